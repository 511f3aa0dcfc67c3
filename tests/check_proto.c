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
	ck_assert_int_eq(a->priority, b->priority);
	ck_assert(a->not_before == b->not_before);
	ck_assert(a->timeout_ms == b->timeout_ms);
	ck_assert(a->kill_grace_ms == b->kill_grace_ms);
	ck_assert(a->retry_delay_ms == b->retry_delay_ms);
	if (a->unique_key == NULL)
		ck_assert_ptr_null(b->unique_key);
	else
		ck_assert_str_eq(a->unique_key, b->unique_key);
	ck_assert_uint_eq(a->nlabels, b->nlabels);
	ck_assert_ptr_nonnull(b->labels);
	for (i = 0; i < a->nlabels; i++)
		ck_assert_str_eq(a->labels[i], b->labels[i]);
	ck_assert_ptr_null(b->labels[b->nlabels]);
	ck_assert_uint_eq(a->ndeps, b->ndeps);
	for (i = 0; i < a->ndeps; i++) {
		ck_assert(a->deps[i].id == b->deps[i].id);
		ck_assert_int_eq(a->deps[i].mode, b->deps[i].mode);
	}
	if (a->ndeps == 0)
		ck_assert_ptr_null(b->deps);
	ck_assert(a->array_id == b->array_id);
	ck_assert(a->array_index == b->array_index);
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

/* JOB_OK with the members in `first` put in front (they win). */
static cJSON *
job_with(const char *first)
{
	char	text[4096];

	ck_assert_int_lt(snprintf(text, sizeof(text), "{%s,%s}", first,
	    JOB_OK + 1), (int)sizeof(text));
	return parse_ok(text);
}

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
		"\"priority\":\"1\"",
		"\"priority\":2147483648",
		"\"priority\":0.5",
		"\"not_before\":-1",
		"\"timeout_ms\":1.5",
		"\"kill_grace_ms\":\"x\"",
		"\"retry_delay_ms\":-1",
		"\"unique_key\":5",
		"\"labels\":\"a=b\"",
		"\"labels\":{}",
		"\"labels\":[1]",
		"\"labels\":[null]",
		"\"labels\":[\"novalue\"]",
		"\"labels\":[\"=v\"]",
		"\"labels\":[\"a=b\",\"\"]",
		"\"deps\":{}",
		"\"deps\":[1]",
		"\"deps\":[{}]",
		"\"deps\":[{\"id\":0}]",
		"\"deps\":[{\"id\":\"1\"}]",
		"\"deps\":[{\"id\":1,\"mode\":\"bad\"}]",
		"\"deps\":[{\"id\":1,\"mode\":1}]",
		"\"deps\":[{\"id\":1,\"mode\":null}]",
		"\"array_id\":-1",
		"\"array_index\":\"0\"",
		"\"array_index\":-2",
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
	/* A job without the scheduling members (an older daemon). */
	ck_assert_int_eq(job->priority, 0);
	ck_assert(job->not_before == 0 && job->timeout_ms == 0 &&
	    job->kill_grace_ms == 0 && job->retry_delay_ms == 0);
	ck_assert_ptr_null(job->unique_key);
	ck_assert_ptr_nonnull(job->labels);
	ck_assert_ptr_null(job->labels[0]);
	ck_assert_uint_eq(job->nlabels, 0);
	ck_assert_ptr_null(job->deps);
	ck_assert_uint_eq(job->ndeps, 0);
	ck_assert(job->array_id == 0 && job->array_index == 0);
	jobq_job_free(job);
	cJSON_Delete(obj);
	/* Null scheduling members count as absent; a dependency's mode
	 * defaults to ok. */
	obj = job_with("\"priority\":null,\"labels\":null,\"deps\":null,"
	    "\"unique_key\":null,\"not_before\":null,\"array_id\":null");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(job->labels);
	ck_assert_uint_eq(job->nlabels, 0);
	ck_assert_ptr_null(job->deps);
	jobq_job_free(job);
	cJSON_Delete(obj);
	obj = job_with("\"deps\":[{\"id\":4},{\"id\":5,\"mode\":\"any\","
	    "\"future\":1}]");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	ck_assert_uint_eq(job->ndeps, 2);
	ck_assert(job->deps[0].id == 4 && job->deps[0].mode == JOBQ_DEP_OK);
	ck_assert(job->deps[1].id == 5 && job->deps[1].mode == JOBQ_DEP_ANY);
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

/*
 * The submit member `member` takes up to JOBQ_MAX_NAME bytes: a string of
 * exactly that many is decoded whole (field() reads it back), one byte more
 * is refused with a message naming the member.
 */
static void
check_name_limit(const char *member,
    const char *(*field)(const struct proto_submit *))
{
	struct proto_submit	 s;
	cJSON			*req;
	char			 name[JOBQ_MAX_NAME + 2], err[256];

	memset(name, 'n', sizeof(name));
	name[JOBQ_MAX_NAME] = '\0';
	req = base_submit();
	cJSON_AddStringToObject(req, member, name);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(field(&s));
	ck_assert_uint_eq(strlen(field(&s)), JOBQ_MAX_NAME);
	proto_submit_release(&s);
	cJSON_Delete(req);

	name[JOBQ_MAX_NAME] = 'n';
	name[JOBQ_MAX_NAME + 1] = '\0';
	req = base_submit();
	cJSON_AddStringToObject(req, member, name);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_msg(strstr(err, member) != NULL,
	    "message \"%s\" does not name %s", err, member);
	cJSON_Delete(req);
}

static const char *
submit_name(const struct proto_submit *s)
{
	return s->name;
}

static const char *
submit_queue(const struct proto_submit *s)
{
	return s->queue;
}

static const char *
submit_unique_key(const struct proto_submit *s)
{
	return s->unique_key;
}

START_TEST(test_submit_names)
{
	check_name_limit("name", submit_name);
	check_name_limit("queue", submit_queue);
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

/* --- scheduling members of jobs --- */

/* Encodes obj, reparses it through a frame and returns the copy. */
static cJSON *
reframe(const cJSON *obj)
{
	cJSON		*back;
	char		*buf, err[256];
	const char	*payload;
	size_t		 len, plen, used;

	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(proto_frame_encode(obj, &buf, &len), 0);
	ck_assert_int_eq(proto_frame_parse(buf, len, JOBQ_MAX_FRAME, &payload,
	    &plen, &used), 1);
	ck_assert_int_eq(proto_parse(payload, plen, 0, &back, err,
	    sizeof(err)), 0);
	free(buf);
	return back;
}


START_TEST(test_job_sched_roundtrip)
{
	char		*argv_one[] = { "x", NULL };
	char		*labels[] = { "team=infra", "k==v=", "h\xc3\xa9=\xe2\x82\xac",
	    NULL };
	char		*nolabels[] = { NULL };
	jobq_dep	 deps[] = { { 1, JOBQ_DEP_OK }, { 9007199254740991LL,
	    JOBQ_DEP_NOTOK }, { 3, JOBQ_DEP_ANY } };
	jobq_job	 job = {
		.id = 12, .state = JOBQ_STATE_TIMED_OUT, .queue = "q",
		.argv = argv_one, .argc = 1, .cwd = "/", .exit_code = -1,
		.signal = 15, .submitted_at = 1, .started_at = 2,
		.finished_at = 3, .attempts = 1, .reason = "timeout",
		.priority = -1000000, .not_before = 1700000000000LL,
		.timeout_ms = 315360000000LL, .kill_grace_ms = 86400000,
		.retry_delay_ms = 1, .unique_key = "nightly \"backup\"",
		.labels = labels, .nlabels = 3, .deps = deps, .ndeps = 3,
		.array_id = 11, .array_index = 9007199254740991LL
	};
	cJSON		*obj, *l;

	job_roundtrip(&job);
	job.priority = INT32_MAX;
	job_roundtrip(&job);
	job.priority = INT32_MIN;
	job_roundtrip(&job);

	/* What is written: everything set here. */
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "timed_out");
	ck_assert_double_eq(cJSON_GetObjectItem(obj, "timeout_ms")->valuedouble,
	    315360000000.0);
	l = cJSON_GetObjectItem(obj, "labels");
	ck_assert_int_eq(cJSON_GetArraySize(l), 3);
	ck_assert_str_eq(cJSON_GetArrayItem(l, 1)->valuestring, "k==v=");
	l = cJSON_GetObjectItem(obj, "deps");
	ck_assert_int_eq(cJSON_GetArraySize(l), 3);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 1),
	    "mode")->valuestring, "notok");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 2),
	    "mode")->valuestring, "any");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "array_index"));
	cJSON_Delete(obj);

	/* Unset members are left out, except priority and labels. */
	memset(&job, 0, sizeof(job));
	job.id = 1;
	job.queue = "default";
	job.argv = argv_one;
	job.argc = 1;
	job.cwd = "/";
	job.exit_code = -1;
	job.labels = nolabels;
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(obj, "priority")));
	ck_assert_double_eq(cJSON_GetObjectItem(obj, "priority")->valuedouble,
	    0);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(obj, "labels")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "labels")), 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "not_before"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "timeout_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "kill_grace_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "retry_delay_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "unique_key"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "deps"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_id"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_index"));
	cJSON_Delete(obj);
	job_roundtrip(&job);
	/* labels NULL (a job built by hand) is written as []. */
	job.labels = NULL;
	obj = proto_job_to_json(&job);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "labels")), 0);
	cJSON_Delete(obj);
	/* Unencodable: a dependency mode out of range, deps NULL with ndeps. */
	deps[0].mode = (jobq_dep_mode)7;
	job.deps = deps;
	job.ndeps = 1;
	ck_assert_ptr_null(proto_job_to_json(&job));
	job.deps = NULL;
	ck_assert_ptr_null(proto_job_to_json(&job));
}
END_TEST

/* Decodes JOB_OK with one member replaced by a JSON value built in code. */
static int
job_decode_with(const char *key, cJSON *value, char *err, size_t errlen)
{
	cJSON		*obj;
	jobq_job	*job = NULL;
	int		 rc;

	obj = parse_ok(JOB_OK "}");
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddItemToObject(obj, key, value);
	rc = proto_job_from_json(obj, &job, err, errlen);
	if (rc == 0)
		jobq_job_free(job);
	else
		ck_assert_ptr_null(job);
	cJSON_Delete(obj);
	return rc;
}

/* A JSON array of n dependency objects on job 1. */
static cJSON *
deps_array(size_t n)
{
	cJSON	*arr, *d;
	size_t	 i;

	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "id", (double)(i + 1));
		cJSON_AddItemToArray(arr, d);
	}
	return arr;
}

START_TEST(test_job_sched_limits)
{
	char	label[JOBQ_MAX_LABEL + 2], key[JOBQ_MAX_NAME + 2], err[256];

	ck_assert_int_eq(job_decode_with("labels", string_array(JOBQ_MAX_LABELS,
	    "a=b"), err, sizeof(err)), 0);
	ck_assert_int_eq(job_decode_with("labels",
	    string_array(JOBQ_MAX_LABELS + 1, "a=b"), err, sizeof(err)),
	    JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "labels"));
	memset(label, 'v', sizeof(label));
	label[0] = 'k';
	label[1] = '=';
	label[JOBQ_MAX_LABEL] = '\0';
	ck_assert_int_eq(job_decode_with("labels", string_array(1, label), err,
	    sizeof(err)), 0);
	label[JOBQ_MAX_LABEL] = 'v';
	label[JOBQ_MAX_LABEL + 1] = '\0';
	ck_assert_int_eq(job_decode_with("labels", string_array(1, label), err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "labels"));

	ck_assert_int_eq(job_decode_with("deps", deps_array(JOBQ_MAX_DEPS),
	    err, sizeof(err)), 0);
	ck_assert_int_eq(job_decode_with("deps", deps_array(JOBQ_MAX_DEPS + 1),
	    err, sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "deps"));

	memset(key, 'u', sizeof(key));
	key[JOBQ_MAX_NAME] = '\0';
	ck_assert_int_eq(job_decode_with("unique_key", cJSON_CreateString(key),
	    err, sizeof(err)), 0);
	key[JOBQ_MAX_NAME] = 'u';
	key[JOBQ_MAX_NAME + 1] = '\0';
	ck_assert_int_eq(job_decode_with("unique_key", cJSON_CreateString(key),
	    err, sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "unique_key"));
}
END_TEST

/* --- scheduling members of submit --- */

/* proto_submit_to_json(opts) as the daemon sees it: framed and parsed (big
 * integers are written as raw text, which only a parse turns into numbers). */
static cJSON *
submit_json(const jobq_submit_opts *o)
{
	cJSON	*req, *back;

	req = proto_submit_to_json(o, NULL, "/");
	ck_assert_ptr_nonnull(req);
	back = reframe(req);
	cJSON_Delete(req);
	return back;
}

START_TEST(test_submit_sched_roundtrip)
{
	static const char *const argv[] = { "/bin/true", NULL };
	static const char *const labels[] = { "a=1", "b=", "c==d", NULL };
	static const jobq_dep deps[] = { { 5, JOBQ_DEP_OK },
	    { 6, JOBQ_DEP_NOTOK }, { 7, JOBQ_DEP_ANY } };
	struct proto_submit	 s;
	jobq_submit_opts	 o;
	cJSON			*req, *a;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.priority = -1000000;
	o.not_before = 1700000000123LL;
	o.timeout_ms = PROTO_MAX_TIMEOUT_MS;
	o.kill_grace_ms = PROTO_MAX_GRACE_MS;
	o.retry_delay_ms = 250;
	o.labels = labels;
	o.deps = deps;
	o.ndeps = 3;
	o.unique_key = "k";
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "array"));
	ck_assert_msg(proto_submit_from_json(req, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(s.priority, -1000000);
	ck_assert(s.not_before == 1700000000123LL);
	ck_assert(s.timeout_ms == PROTO_MAX_TIMEOUT_MS);
	ck_assert(s.kill_grace_ms == PROTO_MAX_GRACE_MS);
	ck_assert(s.retry_delay_ms == 250);
	ck_assert_str_eq(s.unique_key, "k");
	ck_assert_uint_eq(s.nlabels, 3);
	ck_assert_str_eq(s.labels[0], "a=1");
	ck_assert_str_eq(s.labels[1], "b=");
	ck_assert_str_eq(s.labels[2], "c==d");
	ck_assert_ptr_null(s.labels[3]);
	ck_assert_uint_eq(s.ndeps, 3);
	ck_assert(s.deps[0].id == 5 && s.deps[0].mode == JOBQ_DEP_OK);
	ck_assert(s.deps[1].id == 6 && s.deps[1].mode == JOBQ_DEP_NOTOK);
	ck_assert(s.deps[2].id == 7 && s.deps[2].mode == JOBQ_DEP_ANY);
	ck_assert_int_eq(s.array_count, 0);
	/* Labels do not count toward the spec bytes. */
	ck_assert_uint_eq(s.spec_bytes, 10 + 2);
	proto_submit_release(&s);
	ck_assert_ptr_null(s.labels);
	ck_assert_ptr_null(s.deps);
	cJSON_Delete(req);

	/* An array: step 0 is sent as 1, throttle 0 is left out. */
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.priority = 1000000;
	o.array_first = 3;
	o.array_count = JOBQ_MAX_ARRAY;
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_ptr_nonnull(req);
	a = cJSON_GetObjectItem(req, "array");
	ck_assert(cJSON_IsObject(a));
	ck_assert_double_eq(cJSON_GetObjectItem(a, "step")->valuedouble, 1);
	ck_assert_ptr_null(cJSON_GetObjectItem(a, "throttle"));
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "labels"));
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "deps"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.priority, 1000000);
	ck_assert(s.array_first == 3 && s.array_step == 1 &&
	    s.array_count == JOBQ_MAX_ARRAY && s.array_throttle == 0);
	proto_submit_release(&s);
	cJSON_Delete(req);

	o.array_step = 7;
	o.array_count = 2;
	o.array_throttle = 4;
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert(s.array_first == 3 && s.array_step == 7 &&
	    s.array_count == 2 && s.array_throttle == 4);
	proto_submit_release(&s);
	cJSON_Delete(req);

	/* The largest last index that fits (doubles are exact here). */
	o.array_first = (int64_t)1 << 62;
	o.array_step = ((int64_t)1 << 62) - 1024;
	o.array_count = 2;
	req = submit_json(&o);
	ck_assert_msg(proto_submit_from_json(req, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert(s.array_first == (int64_t)1 << 62);
	proto_submit_release(&s);
	cJSON_Delete(req);
	/* One step more overflows int64. */
	o.array_step = (int64_t)1 << 62;
	req = submit_json(&o);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "array"));
	cJSON_Delete(req);
	/* Overflow only through count. */
	o.array_first = 0;
	o.array_step = ((int64_t)1 << 62) / 1000;
	o.array_count = 10000;
	req = submit_json(&o);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "array"));
	cJSON_Delete(req);
	o.array_count = 1000;
	req = submit_json(&o);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	proto_submit_release(&s);
	cJSON_Delete(req);

	/* unique_key with an array is refused. */
	o.unique_key = "u";
	req = submit_json(&o);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_str_eq(err, "unique_key cannot be used with an array");
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_submit_to_json_bad)
{
	static const char *const argv[] = { "/bin/true", NULL };
	jobq_dep		 dep = { 1, (jobq_dep_mode)3 };
	jobq_submit_opts	 o;

	memset(&o, 0, sizeof(o));
	ck_assert_ptr_null(proto_submit_to_json(NULL, NULL, "/"));
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));  /* argv */
	o.argv = argv;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, NULL)); /* cwd */
	o.ndeps = 1;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));  /* deps */
	o.deps = &dep;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));  /* mode */
	o.ndeps = 0;
	o.array_count = -1;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));
}
END_TEST

START_TEST(test_submit_sched_invalid)
{
	static const struct {
		const char	*json;
		int		 rc;
		const char	*field;
	} cases[] = {
#define S "{\"op\":\"submit\",\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		{ S "\"priority\":1000001}", JOBQ_EINVAL, "priority" },
		{ S "\"priority\":-1000001}", JOBQ_EINVAL, "priority" },
		{ S "\"priority\":1.5}", JOBQ_EINVAL, "priority" },
		{ S "\"priority\":\"1\"}", JOBQ_EINVAL, "priority" },
		{ S "\"priority\":null}", JOBQ_EINVAL, "priority" },
		{ S "\"not_before\":-1}", JOBQ_EINVAL, "not_before" },
		{ S "\"not_before\":\"now\"}", JOBQ_EINVAL, "not_before" },
		{ S "\"timeout_ms\":-1}", JOBQ_EINVAL, "timeout_ms" },
		{ S "\"timeout_ms\":315360000001}", JOBQ_EINVAL,
		    "timeout_ms" },
		{ S "\"kill_grace_ms\":86400001}", JOBQ_EINVAL,
		    "kill_grace_ms" },
		{ S "\"kill_grace_ms\":-1}", JOBQ_EINVAL, "kill_grace_ms" },
		{ S "\"retry_delay_ms\":86400001}", JOBQ_EINVAL,
		    "retry_delay_ms" },
		{ S "\"retry_delay_ms\":true}", JOBQ_EINVAL,
		    "retry_delay_ms" },
		{ S "\"unique_key\":\"\"}", JOBQ_EINVAL, "unique_key" },
		{ S "\"unique_key\":5}", JOBQ_EINVAL, "unique_key" },
		{ S "\"labels\":\"a=b\"}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":{\"a\":\"b\"}}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":[1]}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":[null]}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":[\"novalue\"]}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":[\"=v\"]}", JOBQ_EINVAL, "labels" },
		{ S "\"labels\":[\"a=1\",\"\"]}", JOBQ_EINVAL, "labels" },
		{ S "\"deps\":{}}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[1]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{}]}", JOBQ_EINVAL, "id" },
		{ S "\"deps\":[{\"mode\":\"ok\"}]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{\"id\":0}]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{\"id\":-1}]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{\"id\":\"1\"}]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{\"id\":1.5}]}", JOBQ_EINVAL, "deps" },
		{ S "\"deps\":[{\"id\":1},{\"id\":2,\"mode\":\"afterok\"}]}",
		    JOBQ_EINVAL, "entry 1" },
		{ S "\"deps\":[{\"id\":1,\"mode\":null}]}", JOBQ_EINVAL,
		    "mode" },
		{ S "\"deps\":[{\"id\":1,\"mode\":\"OK\"}]}", JOBQ_EINVAL,
		    "mode" },
		{ S "\"array\":5}", JOBQ_EINVAL, "array" },
		{ S "\"array\":[]}", JOBQ_EINVAL, "array" },
		{ S "\"array\":null}", JOBQ_EINVAL, "array" },
		{ S "\"array\":{\"count\":1}}", JOBQ_EINVAL, "first" },
		{ S "\"array\":{\"first\":0}}", JOBQ_EINVAL, "count" },
		{ S "\"array\":{\"first\":-1,\"count\":1}}", JOBQ_EINVAL,
		    "first" },
		{ S "\"array\":{\"first\":0,\"count\":0}}", JOBQ_EINVAL,
		    "count" },
		{ S "\"array\":{\"first\":0,\"count\":100001}}", JOBQ_EINVAL,
		    "count" },
		{ S "\"array\":{\"first\":0,\"count\":1.5}}", JOBQ_EINVAL,
		    "count" },
		{ S "\"array\":{\"first\":0,\"step\":0,\"count\":2}}",
		    JOBQ_EINVAL, "step" },
		{ S "\"array\":{\"first\":0,\"step\":\"1\",\"count\":2}}",
		    JOBQ_EINVAL, "step" },
		{ S "\"array\":{\"first\":0,\"count\":2,\"throttle\":-1}}",
		    JOBQ_EINVAL, "throttle" },
		{ S "\"array\":{\"first\":0,\"count\":2,\"throttle\":false}}",
		    JOBQ_EINVAL, "throttle" },
		{ S "\"array\":{\"first\":9007199254740992,\"step\":"
		    "9007199254740992,\"count\":100000}}", JOBQ_EINVAL,
		    "array" },
		{ S "\"unique_key\":\"k\",\"array\":{\"first\":0,"
		    "\"count\":1}}", JOBQ_EINVAL, "unique_key" },
		/* Accepted edge values. */
		{ S "\"priority\":-1000000,\"not_before\":0,\"timeout_ms\":0,"
		    "\"kill_grace_ms\":0,\"retry_delay_ms\":0,\"labels\":[],"
		    "\"deps\":[]}", 0, NULL },
		{ S "\"array\":{\"first\":0,\"count\":1,\"throttle\":0}}", 0,
		    NULL },
		{ S "\"array\":{\"first\":5,\"step\":2,\"count\":100000,"
		    "\"throttle\":2147483647}}", 0, NULL },
		{ S "\"deps\":[{\"id\":1,\"mode\":\"any\",\"x\":[]}],"
		    "\"labels\":[\"k=\"]}", 0, NULL },
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
}
END_TEST

START_TEST(test_submit_sched_limits)
{
	struct proto_submit	 s;
	cJSON			*req;
	char			 label[JOBQ_MAX_LABEL + 2];
	char			 err[256];

	/* JOBQ_MAX_LABELS labels of JOBQ_MAX_LABEL bytes pass. */
	memset(label, 'v', sizeof(label));
	label[0] = 'k';
	label[1] = '=';
	label[JOBQ_MAX_LABEL] = '\0';
	req = base_submit();
	cJSON_AddItemToObject(req, "labels", string_array(JOBQ_MAX_LABELS,
	    label));
	ck_assert_msg(proto_submit_from_json(req, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(s.nlabels, JOBQ_MAX_LABELS);
	ck_assert_ptr_null(s.labels[JOBQ_MAX_LABELS]);
	ck_assert_uint_eq(strlen(s.labels[0]), JOBQ_MAX_LABEL);
	proto_submit_release(&s);
	/* One label more: too big. */
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "labels"),
	    cJSON_CreateString("a=b"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "labels"));
	ck_assert_ptr_null(s.labels);
	cJSON_Delete(req);
	/* One byte more in a label: invalid. */
	label[JOBQ_MAX_LABEL] = 'v';
	label[JOBQ_MAX_LABEL + 1] = '\0';
	req = base_submit();
	cJSON_AddItemToObject(req, "labels", string_array(1, label));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "labels"));
	cJSON_Delete(req);

	/* JOBQ_MAX_DEPS dependencies pass, one more is too big. */
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", deps_array(JOBQ_MAX_DEPS));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.ndeps, JOBQ_MAX_DEPS);
	ck_assert(s.deps[JOBQ_MAX_DEPS - 1].id == JOBQ_MAX_DEPS);
	ck_assert_int_eq(s.deps[JOBQ_MAX_DEPS - 1].mode, JOBQ_DEP_OK);
	proto_submit_release(&s);
	cJSON_Delete(req);
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", deps_array(JOBQ_MAX_DEPS + 1));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "deps"));
	ck_assert_ptr_null(s.deps);
	cJSON_Delete(req);
	/* A bad dependency after good ones: nothing leaks (ASan). */
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", deps_array(10));
	cJSON_AddItemToArray(cJSON_GetObjectItem(req, "deps"),
	    cJSON_CreateString("11"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "entry 10"));
	cJSON_Delete(req);

	/* unique_key: 1..JOBQ_MAX_NAME bytes. */
	check_name_limit("unique_key", submit_unique_key);
}
END_TEST

/* --- arrays, queues, events, statistics --- */

START_TEST(test_counts)
{
	size_t	 counts[JOBQ_STATE_COUNT];
	cJSON	*obj, *c;
	int	 st;

	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		counts[st] = (size_t)st * 1000 + 1;
	obj = cJSON_CreateObject();
	ck_assert_int_eq(proto_add_counts(obj, "counts", counts), 0);
	c = cJSON_GetObjectItem(obj, "counts");
	ck_assert_int_eq(cJSON_GetArraySize(c), JOBQ_STATE_COUNT);
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		ck_assert_double_eq(cJSON_GetObjectItem(c,
		    jobq_state_name((jobq_state)st))->valuedouble,
		    st * 1000 + 1);
	ck_assert_double_eq(cJSON_GetObjectItem(c, "timed_out")->valuedouble,
	    6001);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_array_info)
{
	static const char *const bad[] = {
		"[]",
		"{\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":0,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":-1,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":0,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":0,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":100001,"
		    "\"throttle\":0,\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":-1,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":[]}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"queued\":-1}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"timed_out\":\"1\"}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"running\":0.5}}",
	};
	jobq_array_info	 a, b;
	cJSON		*obj, *back;
	char		 err[256];
	size_t		 i;
	int		 st;

	memset(&a, 0, sizeof(a));
	a.id = 9007199254740991LL;
	a.first = 10;
	a.step = 5;
	a.count = 100000;
	a.throttle = 3;
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		a.counts[st] = (size_t)(st + 1) * 7;
	obj = proto_array_info_to_json(&a);
	back = reframe(obj);
	cJSON_Delete(obj);
	memset(&b, 0xff, sizeof(b));
	ck_assert_msg(proto_array_info_from_json(back, &b, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	cJSON_Delete(back);
	ck_assert_ptr_null(proto_array_info_to_json(NULL));

	/* Absent state names count 0; unknown ones are ignored. */
	obj = parse_ok("{\"id\":4,\"first\":0,\"step\":1,\"count\":3,"
	    "\"throttle\":0,\"counts\":{\"queued\":2,\"succeeded\":1,"
	    "\"someday\":-5}}");
	ck_assert_int_eq(proto_array_info_from_json(obj, &b, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_QUEUED], 2);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_SUCCEEDED], 1);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_TIMED_OUT], 0);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i]);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		b.id = 77;
		ck_assert_msg(proto_array_info_from_json(obj, &b, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		ck_assert(b.id == 77);	/* untouched on failure */
		cJSON_Delete(obj);
	}
	ck_assert_int_eq(proto_array_info_from_json(NULL, &b, err,
	    sizeof(err)), JOBQ_EPROTO);
}
END_TEST

START_TEST(test_queue_info)
{
	static const char *const bad[] = {
		"1",
		"{\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":\"\",\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":7,\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":-1,\"paused\":false,"
		    "\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":2147483648,\"paused\":false,"
		    "\"counts\":{}}",
		"{\"name\":\"q\",\"paused\":false,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":0,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":true}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":true,"
		    "\"counts\":{\"failed\":null}}",
	};
	jobq_queue_info	 q, r;
	cJSON		*obj, *back;
	char		 err[256], name[JOBQ_MAX_NAME + 2], text[1024];
	size_t		 i;
	int		 st;

	memset(&q, 0, sizeof(q));
	memset(q.name, 'q', JOBQ_MAX_NAME);
	q.parallel = 1000000;
	q.paused = 1;
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		q.counts[st] = (size_t)st;
	obj = proto_queue_info_to_json(&q);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "paused")));
	back = reframe(obj);
	cJSON_Delete(obj);
	memset(&r, 0xff, sizeof(r));
	ck_assert_msg(proto_queue_info_from_json(back, &r, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&q, &r, sizeof(q));
	cJSON_Delete(back);
	q.paused = 0;
	obj = proto_queue_info_to_json(&q);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(obj, "paused")));
	cJSON_Delete(obj);
	ck_assert_ptr_null(proto_queue_info_to_json(NULL));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i]);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		ck_assert_msg(proto_queue_info_from_json(obj, &r, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	/* A name one byte over JOBQ_MAX_NAME. */
	memset(name, 'n', sizeof(name));
	name[JOBQ_MAX_NAME + 1] = '\0';
	snprintf(text, sizeof(text), "{\"name\":\"%s\",\"parallel\":0,"
	    "\"paused\":false,\"counts\":{}}", name);
	obj = parse_ok(text);
	ck_assert_int_eq(proto_queue_info_from_json(obj, &r, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "name"));
	cJSON_Delete(obj);
	jobq_queue_list_free(NULL);
}
END_TEST

START_TEST(test_event)
{
	static const char *const bad[] = {
		"{\"id\":1,\"state\":\"queued\",\"time\":1,\"queue\":\"q\","
		    "\"attempts\":0}",
		"{\"event\":\"overflow\"}",
		"{\"event\":\"later\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":5}",
		"{\"event\":\"state\",\"id\":0,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"done\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"time\":1,\"queue\":\"q\","
		    "\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\","
		    "\"time\":-1,\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\","
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":null,\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\"}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":-1}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"exit_code\":\"1\"}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"exit_code\":-2}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"signal\":-9}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"reason\":5}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"not_before\":-3}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"array_id\":\"2\"}",
	};
	jobq_event	 ev, back;
	cJSON		*obj, *copy;
	char		 err[256], text[1024], longq[JOBQ_MAX_NAME + 2];
	size_t		 i;

	/* Everything set. */
	memset(&ev, 0, sizeof(ev));
	ev.id = 9007199254740991LL;
	ev.state = JOBQ_STATE_TIMED_OUT;
	ev.time = 1700000000999LL;
	memset(ev.queue, 'q', JOBQ_MAX_NAME);
	ev.attempts = 3;
	ev.exit_code = 0;
	ev.signal = 9;
	snprintf(ev.reason, sizeof(ev.reason), "timeout");
	ev.not_before = 1700000001000LL;
	ev.array_id = 5;
	ev.array_index = 0;
	obj = proto_event_to_json(&ev);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "event")->valuestring,
	    "state");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "array_index"));
	copy = reframe(obj);
	cJSON_Delete(obj);
	memset(&back, 0xff, sizeof(back));
	ck_assert_msg(proto_event_from_json(copy, &back, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&ev, &back, sizeof(ev));
	cJSON_Delete(copy);

	/* The minimum: unset members are not written and decode as unset. */
	memset(&ev, 0, sizeof(ev));
	ev.id = 2;
	ev.state = JOBQ_STATE_QUEUED;
	ev.exit_code = -1;
	snprintf(ev.queue, sizeof(ev.queue), "default");
	obj = proto_event_to_json(&ev);
	ck_assert_int_eq(cJSON_GetArraySize(obj), 6);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "exit_code"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "signal"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "reason"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "not_before"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_id"));
	copy = reframe(obj);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_event_from_json(copy, &back, err, sizeof(err)),
	    0);
	ck_assert_mem_eq(&ev, &back, sizeof(ev));
	cJSON_Delete(copy);

	/* Nulls are absent; unknown members are ignored; a long reason is
	 * truncated to what jobq_event holds. */
	obj = parse_ok("{\"event\":\"state\",\"id\":3,\"state\":\"failed\","
	    "\"time\":5,\"queue\":\"\",\"attempts\":1,\"exit_code\":null,"
	    "\"signal\":null,\"reason\":\"0123456789012345678901234567890123"
	    "456789012345678901234567890123456789\",\"new\":{}}");
	ck_assert_int_eq(proto_event_from_json(obj, &back, err, sizeof(err)),
	    0);
	ck_assert_int_eq(back.exit_code, -1);
	ck_assert_int_eq(back.signal, 0);
	ck_assert_uint_eq(strlen(back.reason), sizeof(back.reason) - 1);
	ck_assert_str_eq(back.queue, "");
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = parse_ok(bad[i]);
		err[0] = '\0';
		ck_assert_msg(proto_event_from_json(obj, &back, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	memset(longq, 'q', sizeof(longq));
	longq[JOBQ_MAX_NAME + 1] = '\0';
	snprintf(text, sizeof(text), "{\"event\":\"state\",\"id\":1,"
	    "\"state\":\"queued\",\"time\":1,\"queue\":\"%s\",\"attempts\":0}",
	    longq);
	obj = parse_ok(text);
	ck_assert_int_eq(proto_event_from_json(obj, &back, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_event_from_json(NULL, &back, err, sizeof(err)),
	    JOBQ_EPROTO);

	/* Unencodable events. */
	ev.state = JOBQ_STATE_COUNT;
	ck_assert_ptr_null(proto_event_to_json(&ev));
	ev.state = JOBQ_STATE_QUEUED;
	memset(ev.queue, 'q', sizeof(ev.queue));	/* not terminated */
	ck_assert_ptr_null(proto_event_to_json(&ev));
	ck_assert_ptr_null(proto_event_to_json(NULL));
}
END_TEST

#define STATS_WIN(ms) "{\"window_ms\":" #ms ",\"finished\":3," \
	"\"per_second\":0.05,\"wait_mean_ms\":1.5,\"wait_p95_ms\":2," \
	"\"run_mean_ms\":10.25,\"run_p95_ms\":20,\"utilisation\":0.5}"

START_TEST(test_stats)
{
	static const struct {
		const char	*json;
		const char	*word;
	} bad[] = {
		{ "[]", "stats" },
		{ "{\"workers\":2,\"busy\":1,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "counts" },
		{ "{\"counts\":{},\"busy\":1,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "workers" },
		{ "{\"counts\":{},\"workers\":-2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000) "}",
		    "workers" },
		{ "{\"counts\":{},\"workers\":2,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "busy" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"hour\":"
		    STATS_WIN(3600000) "}", "minute" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":7}", "hour" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(0) ",\"hour\":" STATS_WIN(3600000) "}",
		    "window_ms" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":-1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":0.5},\"hour\":"
		    STATS_WIN(3600000) "}", "per_second" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":1,"
		    "\"wait_mean_ms\":\"1\",\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":0.5},\"hour\":"
		    STATS_WIN(3600000) "}", "wait_mean_ms" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2},\"hour\":" STATS_WIN(3600000) "}",
		    "utilisation" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":1.5,\"per_second\":1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":1},\"hour\":"
		    STATS_WIN(3600000) "}", "finished" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":1,\"per_second\":1e999,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":1},\"hour\":"
		    STATS_WIN(3600000) "}", "per_second" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
		    ",\"queues\":{}}", "queues" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
		    ",\"queues\":[{\"name\":\"a\",\"parallel\":0,"
		    "\"paused\":false,\"counts\":{}},{\"name\":\"b\"}]}",
		    "queue" },
	};
	jobq_queue_info	 qs[2];
	jobq_stats	 st, back;
	cJSON		*obj, *copy;
	char		 err[256];
	size_t		 i;
	int		 s;

	memset(&st, 0, sizeof(st));
	memset(qs, 0, sizeof(qs));
	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		st.counts[s] = (size_t)s + 100;
	st.workers = 8;
	st.busy = 3;
	st.minute = (jobq_window_stats){ 60000, 42, 0.7, 12.5, 40.25,
	    1000.125, 2000, 0.375 };
	st.hour = (jobq_window_stats){ 3600000, 4200, 1.1666666666666667,
	    0, 0, 0, 0, 1 };
	snprintf(qs[0].name, sizeof(qs[0].name), "default");
	qs[0].counts[JOBQ_STATE_RUNNING] = 3;
	snprintf(qs[1].name, sizeof(qs[1].name), "batch");
	qs[1].parallel = 2;
	qs[1].paused = 1;
	st.queues = qs;
	st.nqueues = 2;
	obj = proto_stats_to_json(&st);
	ck_assert_ptr_nonnull(obj);
	copy = reframe(obj);
	cJSON_Delete(obj);
	ck_assert_msg(proto_stats_from_json(copy, &back, err, sizeof(err)) ==
	    0, "%s", err);
	cJSON_Delete(copy);
	ck_assert_mem_eq(back.counts, st.counts, sizeof(st.counts));
	ck_assert_int_eq(back.workers, 8);
	ck_assert_int_eq(back.busy, 3);
	ck_assert_mem_eq(&back.minute, &st.minute, sizeof(st.minute));
	ck_assert(back.hour.window_ms == 3600000 && back.hour.finished == 4200);
	ck_assert_double_eq_tol(back.hour.per_second, 1.1666666666666667,
	    1e-12);
	ck_assert_double_eq(back.hour.utilisation, 1);
	ck_assert_uint_eq(back.nqueues, 2);
	ck_assert_mem_eq(back.queues, qs, sizeof(qs));
	jobq_stats_release(&back);
	ck_assert_ptr_null(back.queues);
	ck_assert_uint_eq(back.nqueues, 0);
	jobq_stats_release(&back);	/* twice is harmless */
	jobq_stats_release(NULL);

	/* No queues member: none. */
	obj = parse_ok("{\"counts\":{\"queued\":1},\"workers\":2,\"busy\":0,"
	    "\"minute\":" STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
	    "}");
	ck_assert_int_eq(proto_stats_from_json(obj, &back, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(back.counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_ptr_null(back.queues);
	ck_assert_uint_eq(back.nqueues, 0);
	ck_assert_double_eq(back.minute.run_mean_ms, 10.25);
	jobq_stats_release(&back);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i].json);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		ck_assert_msg(proto_stats_from_json(obj, &back, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i].json);
		ck_assert_msg(strstr(err, bad[i].word) != NULL,
		    "message \"%s\" does not name %s", err, bad[i].word);
		ck_assert_ptr_null(back.queues);
		cJSON_Delete(obj);
	}
	/* Unencodable: queues NULL with nqueues. */
	st.queues = NULL;
	ck_assert_ptr_null(proto_stats_to_json(&st));
	ck_assert_ptr_null(proto_stats_to_json(NULL));
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

	tc = tcase_create("sched");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_job_sched_roundtrip);
	tcase_add_test(tc, test_job_sched_limits);
	tcase_add_test(tc, test_submit_sched_roundtrip);
	tcase_add_test(tc, test_submit_to_json_bad);
	tcase_add_test(tc, test_submit_sched_invalid);
	tcase_add_test(tc, test_submit_sched_limits);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_array_info);
	tcase_add_test(tc, test_queue_info);
	tcase_add_test(tc, test_event);
	tcase_add_test(tc, test_stats);
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
