/*
 * check_proto.c - unit tests for the protocol codec's base (lib/proto.c:
 * framing, parsing, error names and replies, member readers and writers),
 * base64 (lib/proto_b64.c), error and state names (lib/errors.c) and
 * default paths (lib/paths.c); and the tests/check_proto program, which
 * also runs the cases of check_proto_job.c, check_proto_submit.c,
 * check_proto_sched.c, check_proto_req.c and check_proto_reply.c.
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
#include "proto_cmp.h"
#include "proto_int.h"
#include "check_proto.h"

/* --- helpers shared by the files of this program --- */

cJSON *
check_proto_parse(const char *text)
{
	cJSON	*obj = NULL;
	char	 err[256];
	int	 rc;

	rc = proto_parse(text, strlen(text), 0, &obj, err, sizeof(err));
	ck_assert_msg(rc == 0, "parse of %s failed: %s", text, err);
	return obj;
}


/* A JSON array of n copies of the string s. */
cJSON *
check_proto_strings(size_t n, const char *s)
{
	cJSON	*arr;
	size_t	 i;

	arr = cJSON_CreateArray();
	ck_assert_ptr_nonnull(arr);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s));
	return arr;
}

/* A JSON array of n dependency objects on job 1. */
cJSON *
check_proto_deps(size_t n)
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

/* A request text decodes (by its op) and survives the round trip. */
void
check_proto_ok(const char *text)
{
	char	err[256];
	int	rc;

	rc = proto_cmp_text(-1, text, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: %d (%s)", text, rc, err);
}

/* A request text fails to decode with code and exactly the message msg. */
void
check_proto_bad(const char *text, int code, const char *msg)
{
	char	err[256];
	int	rc;

	rc = proto_cmp_text(-1, text, err, sizeof(err));
	ck_assert_msg(rc == code, "%s: code %d, expected %d (%s)", text, rc,
	    code, err);
	ck_assert_msg(strcmp(err, msg) == 0, "%s: message \"%s\", expected "
	    "\"%s\"", text, err, msg);
}

cJSON *
check_proto_reframe(const cJSON *obj)
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

	obj = check_proto_parse("{\"op\":\"ping\",\"x\":\"h\\u00e9llo\\n\"}");
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
	obj = check_proto_parse("{\"ok\":true,\"extra\":[1]}");
	ck_assert_int_eq(proto_reply_status(obj, NULL, 0), 0);
	cJSON_Delete(obj);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = check_proto_parse(bad[i]);
		ck_assert_msg(proto_reply_status(obj, err, sizeof(err)) ==
		    JOBQ_EPROTO, "accepted %s", bad[i]);
		cJSON_Delete(obj);
	}
	/* A long daemon message is truncated, still NUL-terminated. */
	obj = check_proto_parse("{\"ok\":false,\"error\":{\"code\":\"timeout\","
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

	obj = check_proto_parse("{\"a\":5,\"b\":1.5,\"c\":\"5\",\"d\":-3,\"e\":1e300,"
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
		back = check_proto_parse(text);
		ck_assert_int_eq(proto_get_int(back, "v", 1, INT64_MIN,
		    INT64_MAX, &v, NULL, 0), 0);
		ck_assert_msg(v == vals[i], "%s", text);
		cJSON_free(text);
		cJSON_Delete(back);
		cJSON_Delete(obj);
	}
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
		ck_assert_str_eq(buf, RUNSTATEDIR "/jobq/jobqd.sock");
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
	/* configure's runstatedir and localstatedir: /run/jobq and
	 * /var/lib/jobq with --runstatedir=/run --localstatedir=/var */
	ck_assert_int_eq(paths_socket(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, RUNSTATEDIR "/jobq/jobqd.sock");
	ck_assert_int_eq(paths_state_dir(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, LOCALSTATEDIR "/lib/jobq");
	ck_assert_int_eq(paths_state_dir(buf, 5), JOBQ_EINVAL);
}
END_TEST

/* The configuration files' places (jobqd.conf, jobq.conf). */
START_TEST(test_paths_config)
{
	char	buf[256];

	ck_assert_int_eq(paths_config(buf, sizeof(buf), "jobq.conf", 1), 0);
	ck_assert_str_eq(buf, SYSCONFDIR "/jobq/jobq.conf");
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", "/cfg", 1), 0);
	ck_assert_int_eq(paths_config(buf, sizeof(buf), "jobqd.conf", 0), 0);
	ck_assert_str_eq(buf, "/cfg/jobq/jobqd.conf");
	/* a relative XDG_CONFIG_HOME is ignored (XDG base directories) */
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", "rel", 1), 0);
	ck_assert_int_eq(setenv("HOME", "/home/u", 1), 0);
	ck_assert_int_eq(paths_config(buf, sizeof(buf), "jobq.conf", 0), 0);
	ck_assert_str_eq(buf, "/home/u/.config/jobq/jobq.conf");
	ck_assert_int_eq(paths_config(buf, 10, "jobq.conf", 0), JOBQ_EINVAL);
	ck_assert_int_eq(unsetenv("XDG_CONFIG_HOME"), 0);
}
END_TEST

long long
cp_int(const cJSON *obj, const char *key)
{
	int64_t	v = 0;

	if (proto_num_to_int(cJSON_GetObjectItem(obj, key), INT64_MIN,
	    INT64_MAX, &v) != 0)
		ck_abort_msg("\"%s\" is not an integer member", key);
	return (long long)v;
}

/* Integers are raw decimal text, read back exactly in this process and
 * through the printed text. */
START_TEST(test_int_members)
{
	static const int64_t vals[] = { 0, 1, -1, INT32_MAX, INT32_MIN,
	    (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1, 1796664701017LL,
	    999999999999999LL, 1000000000000000LL, 9007199254740993LL,
	    INT64_MAX, INT64_MIN, -1234567890123LL };
	static const char *const bad[] = { "", "-", "12a", " 1", "1 ",
	    "+1", "9223372036854775808", "-9223372036854775809",
	    "99999999999999999999" };
	char	 buf[PROTO_INT_LEN], want[32], *txt;
	cJSON	*o, *back, *raw;
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
		ck_assert_uint_eq(proto_fmt_int(buf, vals[i]), strlen(want));
		ck_assert_str_eq(buf, want);
		o = cJSON_CreateObject();
		ck_assert_int_eq(proto_add_int(o, "n", vals[i]), 0);
		ck_assert(cJSON_IsRaw(cJSON_GetObjectItem(o, "n")));
		v = 42;
		ck_assert_int_eq(proto_num_to_int(cJSON_GetObjectItem(o, "n"),
		    INT64_MIN, INT64_MAX, &v), 0);
		ck_assert_int_eq(v, vals[i]);
		if (vals[i] != INT64_MAX)	/* out of [v + 1, max] */
			ck_assert_int_eq(proto_num_to_int(
			    cJSON_GetObjectItem(o, "n"), vals[i] + 1, INT64_MAX,
			    &v), -1);
		else				/* out of [min, v - 1] */
			ck_assert_int_eq(proto_num_to_int(
			    cJSON_GetObjectItem(o, "n"), INT64_MIN, vals[i] - 1,
			    &v), -1);
		txt = cJSON_PrintUnformatted(o);
		ck_assert_ptr_nonnull(txt);
		ck_assert_ptr_nonnull(strstr(txt, want));
		back = cJSON_Parse(txt);
		ck_assert_ptr_nonnull(back);
		/* through text: exact where a double is (|v| <= 2^53) */
		if (vals[i] >= -9007199254740992LL &&
		    vals[i] <= 9007199254740992LL) {
			ck_assert_int_eq(proto_num_to_int(cJSON_GetObjectItem(
			    back, "n"), INT64_MIN, INT64_MAX, &v), 0);
			ck_assert_int_eq(v, vals[i]);
		}
		cJSON_Delete(back);
		cJSON_free(txt);
		cJSON_Delete(o);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw = cJSON_CreateRaw(bad[i]);
		ck_assert_ptr_nonnull(raw);
		if (proto_num_to_int(raw, INT64_MIN, INT64_MAX, &v) != -1)
			ck_abort_msg("raw \"%s\" read as %lld", bad[i],
			    (long long)v);
		cJSON_Delete(raw);
	}
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
	tcase_add_test(tc, test_int_members);
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

	check_proto_job_add(s);
	check_proto_submit_add(s);
	check_proto_sched_add(s);

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
	tcase_add_test(tc, test_paths_config);
	suite_add_tcase(s, tc);

	check_proto_req_add(s);
	check_proto_reply_add(s);
	check_proto_edit_add(s);
	check_proto_schedule_add(s);
	check_proto_exec_add(s);
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
