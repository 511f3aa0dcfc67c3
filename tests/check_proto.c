/*
 * check_proto.c - unit tests for the protocol codec (lib/proto.c), error and
 * state names (lib/errors.c) and default paths (lib/paths.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "paths.h"
#include "proto.h"

/* --- helpers --- */

static cJSON *
parse_ok(const char *text)
{
	cJSON	*obj = NULL;
	char	 err[256];
	int	 rc;

	rc = proto_parse(text, strlen(text), 0, &obj, err, sizeof(err));
	ck_assert_msg(rc == 0, "parse of %s failed: %s", text, err);
	return obj;
}

/* Runs proto_submit_from_json on the JSON text; returns its code. */
static int
submit_rc(const char *text, char *err, size_t errlen)
{
	struct proto_submit	 s;
	cJSON			*req;
	int			 rc;

	req = parse_ok(text);
	rc = proto_submit_from_json(req, &s, err, errlen);
	if (rc == 0)
		proto_submit_release(&s);
	cJSON_Delete(req);
	return rc;
}

/* A JSON array of n copies of the string s. */
static cJSON *
string_array(size_t n, const char *s)
{
	cJSON	*arr;
	size_t	 i;

	arr = cJSON_CreateArray();
	ck_assert_ptr_nonnull(arr);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s));
	return arr;
}

static cJSON *
base_submit(void)
{
	cJSON	*req;

	req = parse_ok("{\"op\":\"submit\",\"argv\":[\"/bin/true\"],"
	    "\"env\":[\"A=1\"],\"cwd\":\"/\"}");
	return req;
}

/* --- framing --- */

START_TEST(test_frame_header)
{
	unsigned char	 hdr[PROTO_HDR_LEN];
	const char	*payload;
	size_t		 plen, used;

	proto_frame_header(0x01020304u, hdr);
	ck_assert_int_eq(hdr[0], 1);
	ck_assert_int_eq(hdr[1], 2);
	ck_assert_int_eq(hdr[2], 3);
	ck_assert_int_eq(hdr[3], 4);
	proto_frame_header(0xffffffffu, hdr);
	ck_assert_int_eq(hdr[0], 0xff);
	ck_assert_int_eq(hdr[3], 0xff);
	/* Announces 4 GiB - 1: too big for any max we use. */
	ck_assert_int_eq(proto_frame_parse(hdr, 4, JOBQ_MAX_FRAME, &payload,
	    &plen, &used), JOBQ_ETOOBIG);
}
END_TEST

START_TEST(test_frame_roundtrip_partial)
{
	cJSON		*obj, *back;
	char		*buf, *two;
	const char	*payload;
	size_t		 len, plen, used, i;
	int		 rc;

	obj = parse_ok("{\"op\":\"ping\",\"x\":\"h\\u00e9llo\\n\"}");
	ck_assert_int_eq(proto_frame_encode(obj, &buf, &len), 0);
	ck_assert_uint_gt(len, PROTO_HDR_LEN);
	/* Every strict prefix (fed byte by byte) is incomplete. */
	for (i = 0; i < len; i++)
		ck_assert_int_eq(proto_frame_parse(buf, i, JOBQ_MAX_FRAME,
		    &payload, &plen, &used), 0);
	rc = proto_frame_parse(buf, len, JOBQ_MAX_FRAME, &payload, &plen,
	    &used);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(used, len);
	ck_assert_uint_eq(plen, len - PROTO_HDR_LEN);
	ck_assert_ptr_eq(payload, buf + PROTO_HDR_LEN);
	ck_assert_int_eq(proto_parse(payload, plen, 1, &back, NULL, 0), 0);
	ck_assert_int_ne(cJSON_Compare(obj, back, 1), 0);
	cJSON_Delete(back);

	/* Two frames back to back: the first is consumed exactly. */
	two = malloc(2 * len);
	ck_assert_ptr_nonnull(two);
	memcpy(two, buf, len);
	memcpy(two + len, buf, len);
	ck_assert_int_eq(proto_frame_parse(two, 2 * len - 1, JOBQ_MAX_FRAME,
	    &payload, &plen, &used), 1);
	ck_assert_uint_eq(used, len);
	ck_assert_int_eq(proto_frame_parse(two + used, len - 1,
	    JOBQ_MAX_FRAME, &payload, &plen, &used), 0);
	ck_assert_int_eq(proto_frame_parse(two + len, len, JOBQ_MAX_FRAME,
	    &payload, &plen, &used), 1);
	free(two);
	free(buf);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_frame_bad_lengths)
{
	unsigned char	 buf[16];
	const char	*payload;
	size_t		 plen, used;

	memset(buf, 'x', sizeof(buf));
	proto_frame_header(0, buf);
	ck_assert_int_eq(proto_frame_parse(buf, 4, 100, &payload, &plen,
	    &used), JOBQ_EPROTO);
	proto_frame_header(11, buf);
	ck_assert_int_eq(proto_frame_parse(buf, 16, 10, &payload, &plen,
	    &used), JOBQ_ETOOBIG);
	/* Known to be too big from the header alone. */
	ck_assert_int_eq(proto_frame_parse(buf, 4, 10, &payload, &plen,
	    &used), JOBQ_ETOOBIG);
	proto_frame_header(10, buf);
	ck_assert_int_eq(proto_frame_parse(buf, 14, 10, &payload, &plen,
	    &used), 1);
	proto_frame_header(JOBQ_MAX_FRAME + 1, buf);
	ck_assert_int_eq(proto_frame_parse(buf, 4, JOBQ_MAX_FRAME, &payload,
	    &plen, &used), JOBQ_ETOOBIG);
}
END_TEST

START_TEST(test_frame_encode_too_big)
{
	cJSON	*obj;
	char	*big, *buf;
	size_t	 len;

	big = malloc(JOBQ_MAX_FRAME + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', JOBQ_MAX_FRAME);
	big[JOBQ_MAX_FRAME] = '\0';
	obj = cJSON_CreateObject();
	ck_assert_ptr_nonnull(cJSON_AddStringToObject(obj, "s", big));
	free(big);
	ck_assert_int_eq(proto_frame_encode(obj, &buf, &len), JOBQ_ETOOBIG);
	ck_assert_int_eq(proto_frame_encode_max(obj, PROTO_MAX_REPLY, &buf,
	    &len), 0);
	ck_assert_uint_eq(len, PROTO_HDR_LEN + JOBQ_MAX_FRAME + 8);
	free(buf);
	ck_assert_int_eq(proto_frame_encode_max(obj, 10, &buf, &len),
	    JOBQ_ETOOBIG);
	cJSON_Delete(obj);
}
END_TEST

/* --- parsing --- */

START_TEST(test_parse_bad)
{
	static const char *const bad[] = {
		"", "{", "nope", "{\"op\":}", "[1,2]", "42", "\"op\"", "null",
		"{\"op\":\"ping\"} x", "{\"op\":\"ping\",}",
	};
	cJSON	*obj;
	char	 err[128];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(proto_parse(bad[i], strlen(bad[i]), 0, &obj,
		    err, sizeof(err)) == JOBQ_EBADREQ, "accepted %s", bad[i]);
		ck_assert_ptr_null(obj);
		ck_assert_str_ne(err, "");
	}
	/* op missing or not a string. */
	ck_assert_int_eq(proto_parse("{}", 2, 1, &obj, err, sizeof(err)),
	    JOBQ_EBADREQ);
	ck_assert_int_eq(proto_parse("{\"op\":1}", 8, 1, &obj, err,
	    sizeof(err)), JOBQ_EBADREQ);
	ck_assert_int_eq(proto_parse("{}", 2, 0, &obj, err, sizeof(err)), 0);
	cJSON_Delete(obj);
	/* A raw NUL byte inside the payload. */
	ck_assert_int_eq(proto_parse("{\"op\":\"a\0\"}", 10, 1, &obj, err,
	    sizeof(err)), JOBQ_EBADREQ);
	/* The escape \u0000 inside a string. */
	ck_assert_int_eq(proto_parse("{\"op\":\"a\\u0000b\"}", 17, 1, &obj,
	    err, sizeof(err)), JOBQ_EBADREQ);
	/* An escaped backslash followed by the text u0000 is fine. */
	ck_assert_int_eq(proto_parse("{\"op\":\"a\\\\u0000b\"}", 18, 1, &obj,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "op")->valuestring,
	    "a\\u0000b");
	cJSON_Delete(obj);
	/* The length is honoured: bytes after plen are not read. */
	ck_assert_int_eq(proto_parse("{\"op\":\"x\"}garbage", 10, 1, &obj,
	    err, sizeof(err)), 0);
	cJSON_Delete(obj);
}
END_TEST

/* --- error names and replies --- */

START_TEST(test_errnames)
{
	cJSON		*reply;
	const char	*name;
	char		 err[128];
	int		 code;

	for (code = -1; code >= JOBQ_ERR_MIN; code--) {
		name = proto_errname(code);
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(proto_errcode(name), code);
		reply = proto_error_reply(code, "some detail");
		ck_assert_ptr_nonnull(reply);
		ck_assert_int_eq(proto_reply_status(reply, err, sizeof(err)),
		    code);
		ck_assert_str_eq(err, "some detail");
		cJSON_Delete(reply);
	}
	ck_assert_str_eq(proto_errname(JOBQ_EINVAL), "invalid");
	ck_assert_str_eq(proto_errname(JOBQ_ENOMEM), "no_memory");
	ck_assert_str_eq(proto_errname(JOBQ_ECONNECT), "connect");
	ck_assert_str_eq(proto_errname(JOBQ_EIO), "io");
	ck_assert_str_eq(proto_errname(JOBQ_EPROTO), "protocol");
	ck_assert_str_eq(proto_errname(JOBQ_EVERSION), "version");
	ck_assert_str_eq(proto_errname(JOBQ_ENOTFOUND), "not_found");
	ck_assert_str_eq(proto_errname(JOBQ_ETIMEDOUT), "timeout");
	ck_assert_str_eq(proto_errname(JOBQ_EPERM), "permission");
	ck_assert_str_eq(proto_errname(JOBQ_ETOOBIG), "too_big");
	ck_assert_str_eq(proto_errname(JOBQ_ESTATE), "bad_state");
	ck_assert_str_eq(proto_errname(JOBQ_ESTORAGE), "storage");
	ck_assert_str_eq(proto_errname(JOBQ_ESHUTDOWN), "shutting_down");
	ck_assert_str_eq(proto_errname(JOBQ_EBADREQ), "bad_request");
	ck_assert_str_eq(proto_errname(JOBQ_EUNKNOWNOP), "unknown_op");
	ck_assert_str_eq(proto_errname(JOBQ_EINTERNAL), "internal");
	ck_assert_str_eq(proto_errname(JOBQ_EISARRAY), "is_array");
	ck_assert_int_eq(proto_errcode("is_array"), JOBQ_EISARRAY);
	ck_assert_int_eq(JOBQ_EISARRAY, -17);
	ck_assert_int_eq(JOBQ_ERR_MIN, JOBQ_EISARRAY);
	ck_assert_int_eq(proto_errcode("no_such_code"), JOBQ_EPROTO);
	ck_assert_int_eq(proto_errcode("ok"), JOBQ_EPROTO);
	ck_assert_int_eq(proto_errcode(NULL), JOBQ_EPROTO);
	ck_assert_str_eq(proto_errname(-99), "internal");
	/* A NULL message falls back to jobq_strerror(). */
	reply = proto_error_reply(JOBQ_ENOTFOUND, NULL);
	ck_assert_int_eq(proto_reply_status(reply, err, sizeof(err)),
	    JOBQ_ENOTFOUND);
	ck_assert_str_eq(err, jobq_strerror(JOBQ_ENOTFOUND));
	cJSON_Delete(reply);
}
END_TEST

START_TEST(test_reply_status)
{
	static const char *const bad[] = {
		"{}", "{\"ok\":1}", "{\"ok\":false}",
		"{\"ok\":false,\"error\":\"x\"}",
		"{\"ok\":false,\"error\":{\"message\":\"m\"}}",
		"{\"ok\":false,\"error\":{\"code\":7}}",
		"{\"ok\":false,\"error\":{\"code\":\"weird\"}}",
	};
	cJSON	*obj;
	char	 err[64];
	size_t	 i;

	obj = proto_ok_reply();
	ck_assert_int_eq(proto_reply_status(obj, err, sizeof(err)), 0);
	cJSON_Delete(obj);
	obj = parse_ok("{\"ok\":true,\"extra\":[1]}");
	ck_assert_int_eq(proto_reply_status(obj, NULL, 0), 0);
	cJSON_Delete(obj);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = parse_ok(bad[i]);
		ck_assert_msg(proto_reply_status(obj, err, sizeof(err)) ==
		    JOBQ_EPROTO, "accepted %s", bad[i]);
		cJSON_Delete(obj);
	}
	/* A long daemon message is truncated, still NUL-terminated. */
	obj = parse_ok("{\"ok\":false,\"error\":{\"code\":\"timeout\","
	    "\"message\":\"0123456789abcdef\"}}");
	ck_assert_int_eq(proto_reply_status(obj, err, 8), JOBQ_ETIMEDOUT);
	ck_assert_str_eq(err, "0123456");
	cJSON_Delete(obj);
}
END_TEST

/* --- integers and strings --- */

START_TEST(test_get_int_str)
{
	cJSON		*obj;
	const char	*s;
	int64_t		 v;
	char		 err[128];

	obj = parse_ok("{\"a\":5,\"b\":1.5,\"c\":\"5\",\"d\":-3,\"e\":1e300,"
	    "\"f\":9007199254740992,\"g\":-0,\"h\":null,\"s\":\"hello\","
	    "\"t\":3,\"big\":9223372036854775808}");
	v = 77;
	ck_assert_int_eq(proto_get_int(obj, "a", 1, 0, 10, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(proto_get_int(obj, "a", 1, 6, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "\"a\""));
	ck_assert_int_eq(proto_get_int(obj, "b", 1, 0, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_int(obj, "c", 1, 0, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_int(obj, "d", 1, 0, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_int(obj, "d", 1, -3, 10, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(proto_get_int(obj, "e", 1, INT64_MIN, INT64_MAX, &v,
	    err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_int(obj, "big", 1, INT64_MIN, INT64_MAX,
	    &v, err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_int(obj, "f", 1, 0, INT64_MAX, &v, err,
	    sizeof(err)), 0);
	ck_assert(v == (int64_t)1 << 53);
	ck_assert_int_eq(proto_get_int(obj, "g", 1, 0, 0, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(proto_get_int(obj, "h", 0, 0, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	v = 42;
	ck_assert_int_eq(proto_get_int(obj, "absent", 0, 0, 10, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(proto_get_int(obj, "absent", 1, 0, 10, &v, err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "absent"));

	ck_assert_int_eq(proto_get_str(obj, "s", 5, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s, "hello");
	ck_assert_int_eq(proto_get_str(obj, "s", 4, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_str(obj, "t", 4, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_str(obj, "h", 4, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_int_eq(proto_get_str(obj, "absent", 4, &s, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(s);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_add_int_exact)
{
	static const int64_t vals[] = { 0, 1, -1, 999999999999999LL,
	    1000000000000001LL, -1000000000000001LL, (int64_t)1 << 53,
	    ((int64_t)1 << 53) - 1, 1700000000123LL };
	cJSON	*obj, *back;
	char	*text;
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		obj = cJSON_CreateObject();
		ck_assert_int_eq(proto_add_int(obj, "v", vals[i]), 0);
		text = cJSON_PrintUnformatted(obj);
		ck_assert_ptr_nonnull(text);
		back = parse_ok(text);
		ck_assert_int_eq(proto_get_int(back, "v", 1, INT64_MIN,
		    INT64_MAX, &v, NULL, 0), 0);
		ck_assert_msg(v == vals[i], "%s", text);
		cJSON_free(text);
		cJSON_Delete(back);
		cJSON_Delete(obj);
	}
}
END_TEST

/* --- jobs --- */

static void
job_equal(const jobq_job *a, const jobq_job *b)
{
	size_t	i;

	ck_assert(a->id == b->id);
	ck_assert_int_eq(a->state, b->state);
	if (a->name == NULL)
		ck_assert_ptr_null(b->name);
	else
		ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->queue, b->queue);
	ck_assert_uint_eq(a->argc, b->argc);
	for (i = 0; i < a->argc; i++)
		ck_assert_str_eq(a->argv[i], b->argv[i]);
	ck_assert_ptr_null(b->argv[b->argc]);
	ck_assert_str_eq(a->cwd, b->cwd);
	ck_assert_uint_eq(a->owner_uid, b->owner_uid);
	ck_assert_int_eq(a->exit_code, b->exit_code);
	ck_assert_int_eq(a->signal, b->signal);
	ck_assert(a->submitted_at == b->submitted_at);
	ck_assert(a->started_at == b->started_at);
	ck_assert(a->finished_at == b->finished_at);
	ck_assert_int_eq(a->attempts, b->attempts);
	ck_assert_int_eq(a->max_retries, b->max_retries);
	if (a->reason == NULL)
		ck_assert_ptr_null(b->reason);
	else
		ck_assert_str_eq(a->reason, b->reason);
	if (a->message == NULL)
		ck_assert_ptr_null(b->message);
	else
		ck_assert_str_eq(a->message, b->message);
	ck_assert(a->pid == b->pid);
}

/* Encodes, frames, parses and decodes a job; compares with the original. */
static void
job_roundtrip(const jobq_job *job)
{
	cJSON		*obj, *back;
	jobq_job	*out;
	char		*buf, err[256];
	const char	*payload;
	size_t		 len, plen, used;

	obj = proto_job_to_json(job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(proto_frame_encode(obj, &buf, &len), 0);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_frame_parse(buf, len, JOBQ_MAX_FRAME, &payload,
	    &plen, &used), 1);
	ck_assert_int_eq(proto_parse(payload, plen, 0, &back, err,
	    sizeof(err)), 0);
	free(buf);
	ck_assert_msg(proto_job_from_json(back, &out, err, sizeof(err)) == 0,
	    "decode: %s", err);
	cJSON_Delete(back);
	job_equal(job, out);
	jobq_job_free(out);
}

START_TEST(test_job_roundtrip)
{
	char		*argv_full[] = { "/bin/sh", "-c",
	    "echo \"hi\" 'there'\n\ttab \\ back", "h\xc3\xa9llo \xe2\x82\xac",
	    "", NULL };
	char		*argv_one[] = { "x", NULL };
	jobq_job	 full = {
		.id = 9007199254740991LL, .state = JOBQ_STATE_FAILED,
		.name = "name with \"quotes\"\nand newline",
		.queue = "q.1-_x", .argv = argv_full, .argc = 5,
		.cwd = "/tmp/d\xc3\xafr", .owner_uid = 4294967295u,
		.exit_code = 3, .signal = 9, .submitted_at = 1700000000123LL,
		.started_at = 1700000000456LL, .finished_at = 1700000000789LL,
		.attempts = 2, .max_retries = 1000, .reason = "exit_code",
		.message = "\x01\x1f control", .pid = 4194304
	};
	jobq_job	 nulls = {
		.id = 1, .state = JOBQ_STATE_QUEUED, .name = NULL,
		.queue = "default", .argv = argv_one, .argc = 1, .cwd = "/",
		.owner_uid = 0, .exit_code = -1, .signal = 0,
		.submitted_at = 0, .started_at = 0, .finished_at = 0,
		.attempts = 0, .max_retries = 0, .reason = NULL,
		.message = NULL, .pid = 0
	};
	cJSON		*obj;
	int		 s;

	job_roundtrip(&full);
	job_roundtrip(&nulls);
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		nulls.state = (jobq_state)s;
		job_roundtrip(&nulls);
	}
	/* Nulls are written as JSON null. */
	nulls.state = JOBQ_STATE_RUNNING;
	obj = proto_job_to_json(&nulls);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "name")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "exit_code")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "signal")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "started_at")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "finished_at")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "reason")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "message")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "pid")));
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "running");
	cJSON_Delete(obj);
	/* An out-of-range state cannot be encoded. */
	nulls.state = JOBQ_STATE_COUNT;
	ck_assert_ptr_null(proto_job_to_json(&nulls));
	jobq_job_free(NULL);
	jobq_job_list_free(NULL, 0);
}
END_TEST

#define JOB_OK "{\"id\":7,\"state\":\"succeeded\",\"name\":null," \
	"\"queue\":\"default\",\"argv\":[\"a\"],\"cwd\":\"/\",\"owner_uid\":0," \
	"\"exit_code\":0,\"signal\":null,\"submitted_at\":1,\"started_at\":2," \
	"\"finished_at\":3,\"attempts\":1,\"max_retries\":0,\"reason\":null," \
	"\"message\":null,\"pid\":null"

START_TEST(test_job_bad)
{
	/* Each is JOB_OK with one member overridden (later keys are ignored
	 * by cJSON, so overrides go first) or the object changed. */
	static const char *const bad[] = {
		"\"id\":\"7\"",
		"\"id\":0",
		"\"id\":1.5",
		"\"state\":\"done\"",
		"\"state\":1",
		"\"name\":5",
		"\"queue\":null",
		"\"argv\":\"a\"",
		"\"argv\":[\"a\",1]",
		"\"argv\":[null]",
		"\"cwd\":false",
		"\"owner_uid\":-1",
		"\"owner_uid\":4294967296",
		"\"exit_code\":\"0\"",
		"\"exit_code\":0.5",
		"\"signal\":-1",
		"\"submitted_at\":null",
		"\"started_at\":\"x\"",
		"\"finished_at\":1e400",
		"\"attempts\":[]",
		"\"max_retries\":-1",
		"\"reason\":{}",
		"\"message\":1",
		"\"pid\":-5",
	};
	cJSON		*obj;
	jobq_job	*job;
	char		 err[256];
	size_t		 i;

	obj = parse_ok(JOB_OK "}");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	ck_assert(job->id == 7);
	ck_assert_int_eq(job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(job->signal, 0);
	ck_assert(job->pid == 0);
	jobq_job_free(job);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) + 2; i++) {
		char	text[1024];

		if (i == sizeof(bad) / sizeof(bad[0]))
			snprintf(text, sizeof(text), "[1]");
		else if (i == sizeof(bad) / sizeof(bad[0]) + 1)
			snprintf(text, sizeof(text), "{}");
		else
			snprintf(text, sizeof(text), "{%s,%s}", bad[i],
			    JOB_OK + 1);
		obj = cJSON_Parse(text);
		ck_assert_ptr_nonnull(obj);
		job = (jobq_job *)1;
		err[0] = '\0';
		ck_assert_msg(proto_job_from_json(obj, &job, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", text);
		ck_assert_ptr_null(job);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	/* Missing required members. */
	obj = parse_ok("{\"id\":1,\"state\":\"queued\",\"argv\":[\"a\"]}");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_job_from_json(NULL, &job, err, sizeof(err)),
	    JOBQ_EPROTO);
}
END_TEST

/* --- submit --- */

START_TEST(test_submit_ok)
{
	static const char *const argv[] = { "/bin/echo", "a b", "", NULL };
	static const char *const env[] = { "A=1", "B==", "C=", NULL };
	struct proto_submit	 s;
	jobq_submit_opts	 o;
	cJSON			*req;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.env = env;		/* ignored: env is passed on its own */
	o.name = "my job";
	o.queue = "q_1.x-y";
	o.max_retries = 3;
	req = proto_submit_to_json(&o, env, "/tmp");
	ck_assert_ptr_nonnull(req);
	ck_assert_msg(proto_submit_from_json(req, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(s.argc, 3);
	ck_assert_str_eq(s.argv[0], "/bin/echo");
	ck_assert_str_eq(s.argv[1], "a b");
	ck_assert_str_eq(s.argv[2], "");
	ck_assert_ptr_null(s.argv[3]);
	ck_assert_uint_eq(s.envc, 3);
	ck_assert_str_eq(s.env[1], "B==");
	ck_assert_ptr_null(s.env[3]);
	ck_assert_str_eq(s.cwd, "/tmp");
	ck_assert_str_eq(s.name, "my job");
	ck_assert_str_eq(s.queue, "q_1.x-y");
	ck_assert_int_eq(s.max_retries, 3);
	ck_assert_uint_eq(s.spec_bytes, 10 + 4 + 1 + 4 + 4 + 3 + 5);
	proto_submit_release(&s);
	ck_assert_ptr_null(s.argv);
	cJSON_Delete(req);

	/* Defaults; empty env. */
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "name"));
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "retries"));
	/* No scheduling member is sent when unset. */
	ck_assert_int_eq(cJSON_GetArraySize(req), 4);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.envc, 0);
	ck_assert_ptr_null(s.env[0]);
	ck_assert_ptr_null(s.name);
	ck_assert_str_eq(s.queue, "default");
	ck_assert_int_eq(s.max_retries, 0);
	/* Scheduling defaults. */
	ck_assert_int_eq(s.priority, 0);
	ck_assert(s.not_before == 0 && s.timeout_ms == 0 &&
	    s.kill_grace_ms == 0 && s.retry_delay_ms == 0);
	ck_assert_ptr_null(s.unique_key);
	ck_assert_ptr_nonnull(s.labels);
	ck_assert_ptr_null(s.labels[0]);
	ck_assert_uint_eq(s.nlabels, 0);
	ck_assert_ptr_null(s.deps);
	ck_assert_uint_eq(s.ndeps, 0);
	ck_assert(s.array_count == 0 && s.array_step == 1 &&
	    s.array_first == 0 && s.array_throttle == 0);
	proto_submit_release(&s);
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_submit_invalid)
{
	static const struct {
		const char	*json;
		int		 rc;
		const char	*field;
	} cases[] = {
#define S "\"op\":\"submit\","
		{ "{" S "\"env\":[],\"cwd\":\"/\"}", JOBQ_EINVAL, "argv" },
		{ "{" S "\"argv\":[],\"env\":[],\"cwd\":\"/\"}", JOBQ_EINVAL,
		    "argv" },
		{ "{" S "\"argv\":\"ls\",\"env\":[],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "argv" },
		{ "{" S "\"argv\":[\"\"],\"env\":[],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "argv" },
		{ "{" S "\"argv\":[\"ls\",2],\"env\":[],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "argv" },
		{ "{" S "\"argv\":[null],\"env\":[],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "argv" },
		{ "{" S "\"argv\":[\"ls\"],\"cwd\":\"/\"}", JOBQ_EINVAL,
		    "env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":{},\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[\"NOEQUALS\"],"
		    "\"cwd\":\"/\"}", JOBQ_EINVAL, "env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[\"=v\"],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[true],\"cwd\":\"/\"}",
		    JOBQ_EINVAL, "env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[]}", JOBQ_EINVAL, "cwd" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"tmp\"}",
		    JOBQ_EINVAL, "cwd" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"\"}",
		    JOBQ_EINVAL, "cwd" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":7}",
		    JOBQ_EINVAL, "cwd" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"queue\":\"a b\"}", JOBQ_EINVAL, "queue" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"queue\":\"\"}", JOBQ_EINVAL, "queue" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"queue\":\"a/b\"}", JOBQ_EINVAL, "queue" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"queue\":\"h\\u00e9\"}", JOBQ_EINVAL, "queue" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"queue\":1}", JOBQ_EINVAL, "queue" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"name\":[]}", JOBQ_EINVAL, "name" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":-1}", JOBQ_EINVAL, "retries" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":1001}", JOBQ_EINVAL, "retries" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":2.5}", JOBQ_EINVAL, "retries" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":\"2\"}", JOBQ_EINVAL, "retries" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":1000}", 0, NULL },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"retries\":1000.0}", 0, NULL },
#undef S
	};
	char	err[256];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		rc = submit_rc(cases[i].json, err, sizeof(err));
		ck_assert_msg(rc == cases[i].rc, "%s: got %d want %d (%s)",
		    cases[i].json, rc, cases[i].rc, err);
		if (cases[i].field != NULL)
			ck_assert_msg(strstr(err, cases[i].field) != NULL,
			    "message \"%s\" does not name %s", err,
			    cases[i].field);
	}
	ck_assert_int_eq(proto_submit_from_json(NULL, &(struct proto_submit){
	    0 }, err, sizeof(err)), JOBQ_EINVAL);
}
END_TEST

START_TEST(test_submit_names)
{
	struct proto_submit	 s;
	cJSON			*req;
	char			 name[JOBQ_MAX_NAME + 2], err[256];

	memset(name, 'n', sizeof(name));
	name[JOBQ_MAX_NAME] = '\0';
	req = base_submit();
	cJSON_AddStringToObject(req, "name", name);
	cJSON_AddStringToObject(req, "queue", name);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(s.name), JOBQ_MAX_NAME);
	proto_submit_release(&s);
	cJSON_Delete(req);

	name[JOBQ_MAX_NAME] = 'n';
	name[JOBQ_MAX_NAME + 1] = '\0';
	req = base_submit();
	cJSON_AddStringToObject(req, "name", name);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "name"));
	cJSON_Delete(req);
	req = base_submit();
	cJSON_AddStringToObject(req, "queue", name);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "queue"));
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_submit_limits)
{
	struct proto_submit	 s;
	cJSON			*req;
	char			*big, err[256];
	size_t			 n;

	/* JOBQ_MAX_ARGS argv entries pass, one more is too big. */
	req = base_submit();
	cJSON_ReplaceItemInObject(req, "argv",
	    string_array(JOBQ_MAX_ARGS, "a"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.argc, JOBQ_MAX_ARGS);
	proto_submit_release(&s);
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "argv"),
	    cJSON_CreateString("a"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "argv"));
	cJSON_Delete(req);

	/* The same for env. */
	req = base_submit();
	cJSON_ReplaceItemInObject(req, "env",
	    string_array(JOBQ_MAX_ENV + 1, "A=1"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "env"));
	cJSON_Delete(req);

	/* Spec bytes: argv[0] "/bin/true" (10) + "A=1" (4) + cwd "/" (2) +
	 * one big argument filling the rest exactly: accepted. */
	n = JOBQ_MAX_SPEC - 16 - 1;
	big = malloc(n + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n + 1);
	big[n] = '\0';
	req = base_submit();
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "argv"),
	    cJSON_CreateString(big));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.spec_bytes, JOBQ_MAX_SPEC);
	proto_submit_release(&s);
	cJSON_Delete(req);
	/* One byte more: too big. */
	big[n] = 'x';
	big[n + 1] = '\0';
	req = base_submit();
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "argv"),
	    cJSON_CreateString(big));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	cJSON_Delete(req);
	/* Over the limit through the cwd alone. */
	free(big);
	big = malloc(JOBQ_MAX_SPEC + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', JOBQ_MAX_SPEC);
	big[JOBQ_MAX_SPEC] = '\0';
	big[0] = '/';
	req = base_submit();
	cJSON_ReplaceItemInObject(req, "cwd", cJSON_CreateString(big));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	cJSON_Delete(req);
	/* Over the limit through env. */
	big[0] = 'K';
	big[1] = '=';
	req = base_submit();
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "env"),
	    cJSON_CreateString(big));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	cJSON_Delete(req);
	free(big);
}
END_TEST

/* --- base64 --- */

START_TEST(test_b64_vectors)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char	*enc;
	void	*dec;
	size_t	 i, n;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		enc = proto_b64_encode(vec[i][0], strlen(vec[i][0]));
		ck_assert_ptr_nonnull(enc);
		ck_assert_str_eq(enc, vec[i][1]);
		free(enc);
		ck_assert_int_eq(proto_b64_decode(vec[i][1], &dec, &n), 0);
		ck_assert_uint_eq(n, strlen(vec[i][0]));
		ck_assert_mem_eq(dec, vec[i][0], n);
		free(dec);
	}
	/* All 256 byte values, including "+" and "/" in the output. */
	enc = proto_b64_encode("\xfb\xff\xbf", 3);
	ck_assert_str_eq(enc, "+/+/");
	free(enc);
}
END_TEST

START_TEST(test_b64_random)
{
	unsigned char	 data[1024];
	char		*enc;
	void		*dec;
	size_t		 len, n, i;

	srand(12345);
	for (len = 0; len <= sizeof(data); len += (len < 300 ? 1 : 97)) {
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)(rand() & 0xff);
		if (len > 2)
			data[len / 2] = 0;
		enc = proto_b64_encode(data, len);
		ck_assert_ptr_nonnull(enc);
		ck_assert_uint_eq(strlen(enc), (len + 2) / 3 * 4);
		ck_assert_int_eq(proto_b64_decode(enc, &dec, &n), 0);
		ck_assert_uint_eq(n, len);
		if (len > 0)
			ck_assert_mem_eq(dec, data, len);
		free(dec);
		free(enc);
	}
}
END_TEST

START_TEST(test_b64_invalid)
{
	static const char *const bad[] = {
		"Z", "Zg", "Zg=", "Zm9", "Zg===", "====", "Z===", "Zm9v!A==",
		"Zm 9", "Zg==Zm9v", "Zh==", "Zm9=", "=Zm9", "Zm=v", "Zm9v\n",
		"Zm-_",
	};
	void	*dec;
	size_t	 n, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proto_b64_decode(bad[i], &dec, &n) == JOBQ_EINVAL,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

/* --- errors.c --- */

START_TEST(test_strerror)
{
	const char	*m[1 - JOBQ_ERR_MIN];
	int		 i, j;

	for (i = 0; i >= JOBQ_ERR_MIN; i--) {
		m[-i] = jobq_strerror(i);
		ck_assert_ptr_nonnull(m[-i]);
		ck_assert_str_ne(m[-i], "unknown error");
		ck_assert_str_ne(m[-i], "");
		for (j = 0; j < -i; j++)
			ck_assert_str_ne(m[j], m[-i]);
	}
	ck_assert_str_eq(jobq_strerror(JOBQ_ENOTFOUND), "no such job");
	ck_assert_str_eq(jobq_strerror(JOBQ_EISARRAY), "the id names an array");
	ck_assert_str_eq(jobq_strerror(JOBQ_ERR_MIN - 1), "unknown error");
	ck_assert_str_eq(jobq_strerror(1), "unknown error");
	ck_assert_str_eq(jobq_strerror(INT_MIN), "unknown error");
	ck_assert_str_eq(jobq_strerror(INT_MAX), "unknown error");
}
END_TEST

START_TEST(test_states)
{
	static const char *const names[] = { "queued", "running",
	    "succeeded", "failed", "canceled", "interrupted", "timed_out" };
	int	s;

	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		ck_assert_str_eq(jobq_state_name((jobq_state)s), names[s]);
		ck_assert_int_eq(jobq_state_parse(names[s]), s);
		ck_assert_int_eq(jobq_state_is_terminal((jobq_state)s),
		    s >= JOBQ_STATE_SUCCEEDED);
	}
	ck_assert_ptr_null(jobq_state_name(JOBQ_STATE_COUNT));
	ck_assert_ptr_null(jobq_state_name((jobq_state)-1));
	ck_assert_int_eq(jobq_state_parse("Queued"), JOBQ_EINVAL);
	ck_assert_int_eq(jobq_state_parse(""), JOBQ_EINVAL);
	ck_assert_int_eq(jobq_state_parse(NULL), JOBQ_EINVAL);
	ck_assert_int_eq(jobq_state_is_terminal(JOBQ_STATE_COUNT), 0);
	ck_assert_uint_eq(sizeof(names) / sizeof(names[0]), JOBQ_STATE_COUNT);
	ck_assert_int_eq(JOBQ_STATE_TIMED_OUT, 6);
	ck_assert_int_eq(jobq_state_parse("timed_out"), JOBQ_STATE_TIMED_OUT);
	ck_assert_int_eq(jobq_state_is_terminal(JOBQ_STATE_TIMED_OUT), 1);

	/* Dependency modes. */
	ck_assert_str_eq(jobq_dep_mode_name(JOBQ_DEP_OK), "ok");
	ck_assert_str_eq(jobq_dep_mode_name(JOBQ_DEP_NOTOK), "notok");
	ck_assert_str_eq(jobq_dep_mode_name(JOBQ_DEP_ANY), "any");
	ck_assert_ptr_null(jobq_dep_mode_name((jobq_dep_mode)3));
	ck_assert_ptr_null(jobq_dep_mode_name((jobq_dep_mode)-1));
	ck_assert_int_eq(proto_dep_mode_parse("ok"), JOBQ_DEP_OK);
	ck_assert_int_eq(proto_dep_mode_parse("notok"), JOBQ_DEP_NOTOK);
	ck_assert_int_eq(proto_dep_mode_parse("any"), JOBQ_DEP_ANY);
	ck_assert_int_eq(proto_dep_mode_parse("OK"), -1);
	ck_assert_int_eq(proto_dep_mode_parse("afterok"), -1);
	ck_assert_int_eq(proto_dep_mode_parse(""), -1);
	ck_assert_int_eq(proto_dep_mode_parse(NULL), -1);
}
END_TEST

/* --- paths.c --- */

START_TEST(test_paths_override)
{
	char	buf[256], tiny[8];

	ck_assert_int_eq(setenv("JOBQ_SOCKET", "/x/y.sock", 1), 0);
	ck_assert_int_eq(paths_socket(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/x/y.sock");
	ck_assert_int_eq(paths_socket(tiny, sizeof(tiny)), JOBQ_EINVAL);
	ck_assert_int_eq(paths_socket(buf, 0), JOBQ_EINVAL);
	ck_assert_int_eq(paths_system_mode(), geteuid() == 0);
	/* Empty JOBQ_SOCKET means unset. */
	ck_assert_int_eq(setenv("JOBQ_SOCKET", "", 1), 0);
	ck_assert_int_eq(setenv("XDG_RUNTIME_DIR", "/run/user/77", 1), 0);
	ck_assert_int_eq(paths_socket(buf, sizeof(buf)), 0);
	if (geteuid() == 0)
		ck_assert_str_eq(buf, "/run/jobq/jobqd.sock");
	else
		ck_assert_str_eq(buf, "/run/user/77/jobq/jobqd.sock");
}
END_TEST

/*
 * The per-user defaults, checked in a child process that first drops root
 * (the tests may run as root, where the system-wide defaults apply).  The
 * child reports the number of the first failed check as its exit status.
 */
static int
paths_user_checks(void)
{
	struct passwd	*pw;
	char		 buf[512], want[512];

	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 1;
	if (paths_system_mode() != 0)
		return 2;
	if (unsetenv("JOBQ_SOCKET") != 0 ||
	    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1) != 0)
		return 3;
	if (paths_socket(buf, sizeof(buf)) != 0 ||
	    strcmp(buf, "/run/user/1000/jobq/jobqd.sock") != 0)
		return 4;
	/* Unset or relative XDG_RUNTIME_DIR: /tmp/jobq-UID. */
	snprintf(want, sizeof(want), "/tmp/jobq-%lu/jobqd.sock",
	    (unsigned long)getuid());
	if (unsetenv("XDG_RUNTIME_DIR") != 0 ||
	    paths_socket(buf, sizeof(buf)) != 0 || strcmp(buf, want) != 0)
		return 5;
	if (setenv("XDG_RUNTIME_DIR", "relative", 1) != 0 ||
	    paths_socket(buf, sizeof(buf)) != 0 || strcmp(buf, want) != 0)
		return 6;
	/* JOBQ_SOCKET wins. */
	if (setenv("JOBQ_SOCKET", "/a/b", 1) != 0 ||
	    paths_socket(buf, sizeof(buf)) != 0 || strcmp(buf, "/a/b") != 0)
		return 7;

	/* State directory. */
	if (setenv("XDG_STATE_HOME", "/st", 1) != 0 ||
	    setenv("HOME", "/home/u", 1) != 0 ||
	    paths_state_dir(buf, sizeof(buf)) != 0 ||
	    strcmp(buf, "/st/jobq") != 0)
		return 8;
	if (unsetenv("XDG_STATE_HOME") != 0 ||
	    paths_state_dir(buf, sizeof(buf)) != 0 ||
	    strcmp(buf, "/home/u/.local/state/jobq") != 0)
		return 9;
	if (paths_state_dir(buf, 10) != JOBQ_EINVAL)
		return 10;
	/* Without HOME: the password database. */
	if (unsetenv("HOME") != 0)
		return 11;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
		snprintf(want, sizeof(want), "%s/.local/state/jobq",
		    pw->pw_dir);
		if (paths_state_dir(buf, sizeof(buf)) != 0 ||
		    strcmp(buf, want) != 0)
			return 12;
	} else if (paths_state_dir(buf, sizeof(buf)) != JOBQ_EINVAL)
		return 13;
	return 0;
}

START_TEST(test_paths_user)
{
	pid_t	pid;
	int	status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(paths_user_checks());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "user path check %d failed",
	    WEXITSTATUS(status));
}
END_TEST

START_TEST(test_paths_root)
{
	char	buf[256];

	if (geteuid() != 0)
		return;	/* the system-wide defaults need root */
	ck_assert_int_eq(unsetenv("JOBQ_SOCKET"), 0);
	ck_assert_int_eq(setenv("XDG_STATE_HOME", "/st", 1), 0);
	ck_assert_int_eq(paths_socket(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/jobq/jobqd.sock");
	ck_assert_int_eq(paths_state_dir(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/var/lib/jobq");
	ck_assert_int_eq(paths_state_dir(buf, 5), JOBQ_EINVAL);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("proto");

	tc = tcase_create("frame");
	tcase_add_test(tc, test_frame_header);
	tcase_add_test(tc, test_frame_roundtrip_partial);
	tcase_add_test(tc, test_frame_bad_lengths);
	tcase_add_test(tc, test_frame_encode_too_big);
	tcase_add_test(tc, test_parse_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("replies");
	tcase_add_test(tc, test_errnames);
	tcase_add_test(tc, test_reply_status);
	tcase_add_test(tc, test_get_int_str);
	tcase_add_test(tc, test_add_int_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("job");
	tcase_add_test(tc, test_job_roundtrip);
	tcase_add_test(tc, test_job_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("submit");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_submit_ok);
	tcase_add_test(tc, test_submit_invalid);
	tcase_add_test(tc, test_submit_names);
	tcase_add_test(tc, test_submit_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("base64");
	tcase_add_test(tc, test_b64_vectors);
	tcase_add_test(tc, test_b64_random);
	tcase_add_test(tc, test_b64_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_states);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_add_test(tc, test_paths_override);
	tcase_add_test(tc, test_paths_user);
	tcase_add_test(tc, test_paths_root);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(proto_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
