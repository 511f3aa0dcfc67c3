/*
 * check_proto_req.c - unit tests for the request codecs and the op table
 * (lib/proto_req.c) and the queue-name rule: round trips for every op, and
 * every check jobqd makes on a request, with its code and message
 * (tests/integration/garbage.sh sees the same ones through a real jobqd).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "proto_cmp.h"
#include "check_proto.h"

/* Decodes a request text into *r (which the caller releases). */
static cJSON *
req_decode(const char *text, struct proto_req *r)
{
	cJSON	*obj;
	char	 err[256];

	obj = check_proto_parse(text);
	ck_assert_msg(proto_req_from_json(obj, r, err, sizeof(err)) == 0,
	    "%s: %s", text, err);
	return obj;
}

/* A struct survives the round trip. */
static void
req_roundtrip(const struct proto_req *r)
{
	char	why[256];

	ck_assert_msg(proto_cmp_req_roundtrip(r, why, sizeof(why)) == 0,
	    "%s", why);
}

/* {"op":OP, members...} as text with n string entries under key. */
static char *
req_with_strings(const char *head, const char *key, size_t n,
    const char *entry)
{
	size_t	 len, i;
	char	*s, *p;

	len = strlen(head) + strlen(key) + 16 + n * (strlen(entry) + 3);
	s = malloc(len);
	ck_assert_ptr_nonnull(s);
	p = s + sprintf(s, "%s,\"%s\":[", head, key);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\"", i > 0 ? "," : "", entry);
	strcpy(p, "]}");
	return s;
}

/* --- the op table --- */

START_TEST(test_op_table)
{
	static const char *const names[] = { "hello", "ping", "submit",
	    "get", "list", "cancel", "wait", "logs", "priority", "retry",
	    "purge", "queue_set", "queue_list", "stats", "watch",
	    "submit_batch", "metrics", "hold", "release", "edit", "history",
	    "schedule_add", "schedule_list", "schedule_show", "schedule_pause",
	    "schedule_resume", "schedule_remove", "schedule_run_now" };
	struct proto_req	 r;
	char			 err[256], msg[128];
	cJSON			*obj;
	int			 op;

	ck_assert_int_eq(sizeof(names) / sizeof(names[0]), PROTO_OP_COUNT);
	for (op = 0; op < PROTO_OP_COUNT; op++) {
		ck_assert_str_eq(proto_op_name(op), names[op]);
		ck_assert_int_eq(proto_op_parse(names[op]), op);
	}
	ck_assert_ptr_null(proto_op_name(-1));
	ck_assert_ptr_null(proto_op_name(PROTO_OP_COUNT));
	ck_assert_int_eq(proto_op_parse("show"), -1);
	ck_assert_int_eq(proto_op_parse("PING"), -1);
	ck_assert_int_eq(proto_op_parse(""), -1);
	ck_assert_int_eq(proto_op_parse(NULL), -1);

	check_proto_bad("{\"op\":\"frobnicate\"}", JOBQ_EUNKNOWNOP,
	    "unknown request \"frobnicate\"");
	check_proto_bad("{\"id\":1}", JOBQ_EBADREQ, "missing string \"op\"");
	check_proto_bad("{\"op\":7}", JOBQ_EBADREQ, "missing string \"op\"");
	/* An unknown op is quoted up to 64 bytes. */
	obj = check_proto_parse("{\"op\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)),
	    JOBQ_EUNKNOWNOP);
	snprintf(msg, sizeof(msg), "unknown request \"%.64s\"",
	    cJSON_GetStringValue(cJSON_GetObjectItem(obj, "op")));
	ck_assert_str_eq(err, msg);
	cJSON_Delete(obj);
	/* proto_req_decode with an op out of range */
	obj = check_proto_parse("{}");
	ck_assert_int_eq(proto_req_decode(PROTO_OP_COUNT, obj, &r, err,
	    sizeof(err)), JOBQ_EUNKNOWNOP);
	ck_assert_int_eq(proto_req_decode(-1, obj, &r, err, sizeof(err)),
	    JOBQ_EUNKNOWNOP);
	/* Not an object, through each op's decoder */
	cJSON_Delete(obj);
	obj = cJSON_Parse("[1]");
	for (op = 0; op < PROTO_OP_COUNT; op++) {
		ck_assert_int_lt(proto_req_decode(op, obj, &r, err,
		    sizeof(err)), 0);
		proto_req_release(&r);
	}
	cJSON_Delete(obj);
	ck_assert_ptr_null(proto_req_to_json(NULL));
	r.op = PROTO_OP_COUNT;
	ck_assert_ptr_null(proto_req_to_json(&r));
}
END_TEST

/* Every op's decoder through the table, on the request libjobq would send,
 * and a request's op chosen by the caller. */
START_TEST(test_every_op_roundtrip)
{
	static const char *const texts[] = {
		"{\"op\":\"hello\",\"version\":1,\"client\":\"libjobq/x\"}",
		"{\"op\":\"hello\",\"version\":1}",
		"{\"op\":\"ping\"}",
		"{\"op\":\"submit\",\"argv\":[\"true\"],\"env\":[],\"cwd\":\"/\"}",
		"{\"op\":\"get\",\"id\":1}",
		"{\"op\":\"list\"}",
		"{\"op\":\"cancel\",\"id\":9007199254740992}",
		"{\"op\":\"wait\",\"id\":3,\"timeout_ms\":5000}",
		"{\"op\":\"logs\",\"id\":3,\"stream\":\"stdout\",\"offset\":0,"
		    "\"max\":1}",
		"{\"op\":\"priority\",\"id\":3,\"priority\":-1000000}",
		"{\"op\":\"retry\",\"id\":3}",
		"{\"op\":\"purge\"}",
		"{\"op\":\"queue_set\",\"queue\":\"q\"}",
		"{\"op\":\"queue_list\"}",
		"{\"op\":\"stats\"}",
		"{\"op\":\"watch\"}",
	};
	char	err[256];
	size_t	i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_proto_ok(texts[i]);
	/* Unknown members are ignored, "op" included when the caller names
	 * the op. */
	check_proto_ok("{\"op\":\"ping\",\"extra\":[1,2,{}]}");
	ck_assert_int_eq(proto_cmp_text(PROTO_OP_STATS, "{\"x\":1}", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(proto_cmp_text(PROTO_OP_GET, "{\"op\":\"ping\","
	    "\"id\":4}", err, sizeof(err)), 0);
}
END_TEST

/* --- hello --- */

START_TEST(test_hello)
{
	struct proto_req	 r;
	struct proto_hello	 h;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"hello\",\"version\":1,\"client\":\"me\"}",
	    &r);
	ck_assert_int_eq(r.op, PROTO_OP_HELLO);
	ck_assert_int_eq(r.u.hello.version, 1);
	ck_assert_str_eq(r.u.hello.client, "me");
	req_roundtrip(&r);
	proto_req_release(&r);
	cJSON_Delete(obj);
	/* A client that is not a string is ignored. */
	obj = req_decode("{\"op\":\"hello\",\"version\":1,\"client\":5}", &r);
	ck_assert_ptr_null(r.u.hello.client);
	cJSON_Delete(obj);

	check_proto_bad("{\"op\":\"hello\"}", JOBQ_EBADREQ,
	    "missing \"version\"");
	check_proto_bad("{\"op\":\"hello\",\"version\":\"1\"}", JOBQ_EBADREQ,
	    "\"version\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"hello\",\"version\":-1}", JOBQ_EBADREQ,
	    "\"version\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"hello\",\"version\":1.5}", JOBQ_EBADREQ,
	    "\"version\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"hello\",\"version\":999}", JOBQ_EVERSION,
	    "protocol version 999 is not supported (this jobqd speaks 1)");
	check_proto_bad("{\"op\":\"hello\",\"version\":0}", JOBQ_EVERSION,
	    "protocol version 0 is not supported (this jobqd speaks 1)");

	h.version = JOBQ_PROTOCOL_VERSION;
	h.client = NULL;
	obj = proto_hello_to_json(&h);
	ck_assert_ptr_nonnull(obj);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "client"));
	cJSON_Delete(obj);
	ck_assert_ptr_null(proto_hello_to_json(NULL));
}
END_TEST

/* --- refs: get, cancel, retry, and the refs of wait, logs, priority --- */

START_TEST(test_ref)
{
	struct proto_req	 r;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"get\",\"id\":7,\"index\":-3}", &r);
	ck_assert(r.u.ref.id == 7 && r.u.ref.has_index &&
	    r.u.ref.index == -3 && !r.u.ref.array);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"cancel\",\"id\":7,\"array\":true}", &r);
	ck_assert(r.u.ref.id == 7 && !r.u.ref.has_index && r.u.ref.array);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"get\",\"id\":7,\"array\":false,"
	    "\"index\":0}", &r);
	ck_assert(r.u.ref.has_index && r.u.ref.index == 0 && !r.u.ref.array);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	check_proto_ok("{\"op\":\"wait\",\"id\":2,\"array\":true}");
	check_proto_ok("{\"op\":\"retry\",\"id\":2,\"index\":9007199254740992}");
	check_proto_ok("{\"op\":\"get\",\"id\":1e3}");

	check_proto_bad("{\"op\":\"get\"}", JOBQ_EINVAL, "missing \"id\"");
	check_proto_bad("{\"op\":\"get\",\"id\":0}", JOBQ_EINVAL,
	    "\"id\" must be an integer in 1..9223372036854775807");
	check_proto_bad("{\"op\":\"cancel\",\"id\":\"1\"}", JOBQ_EINVAL,
	    "\"id\" must be an integer in 1..9223372036854775807");
	check_proto_bad("{\"op\":\"get\",\"id\":1.5}", JOBQ_EINVAL,
	    "\"id\" must be an integer in 1..9223372036854775807");
	check_proto_bad("{\"op\":\"get\",\"id\":1,\"index\":null}", JOBQ_EINVAL,
	    "\"index\" must be an integer in "
	    "-9223372036854775808..9223372036854775807");
	check_proto_bad("{\"op\":\"get\",\"id\":1,\"array\":1}", JOBQ_EINVAL,
	    "array: must be true or false");
	check_proto_bad("{\"op\":\"get\",\"id\":1,\"array\":true,\"index\":2}",
	    JOBQ_EINVAL, "array and index exclude each other");
	check_proto_bad("{\"op\":\"retry\",\"id\":1,\"array\":true}",
	    JOBQ_EINVAL,
	    "array: not allowed in this request");
	check_proto_bad("{\"op\":\"priority\",\"id\":1,\"array\":true,"
	    "\"priority\":1}", JOBQ_EINVAL,
	    "array: not allowed in this request");
	check_proto_bad("{\"op\":\"logs\",\"id\":1,\"array\":true,\"stream\":"
	    "\"stdout\",\"offset\":0,\"max\":1}", JOBQ_EINVAL,
	    "array: not allowed in this request");
	/* array false is fine anywhere */
	check_proto_ok("{\"op\":\"retry\",\"id\":1,\"array\":false}");
	ck_assert_ptr_null(proto_get_to_json(NULL));
	ck_assert_ptr_null(proto_cancel_to_json(NULL));
	ck_assert_ptr_null(proto_retry_to_json(NULL));
}
END_TEST

START_TEST(test_wait_priority)
{
	struct proto_req	 r;
	struct proto_wait	 w;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"wait\",\"id\":2}", &r);
	ck_assert_int_eq(r.u.wait.timeout_ms, -1);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"wait\",\"id\":2,\"timeout_ms\":-5}", &r);
	ck_assert_int_eq(r.u.wait.timeout_ms, -1);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"wait\",\"id\":2,\"timeout_ms\":0}", &r);
	ck_assert_int_eq(r.u.wait.timeout_ms, 0);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	check_proto_bad("{\"op\":\"wait\",\"id\":2,\"timeout_ms\":\"5\"}",
	    JOBQ_EINVAL,
	    "\"timeout_ms\" must be an integer in "
	    "-9223372036854775808..9223372036854775807");
	check_proto_bad("{\"op\":\"wait\",\"timeout_ms\":1}", JOBQ_EINVAL,
	    "missing \"id\"");
	memset(&w, 0, sizeof(w));
	w.ref.id = 4;
	w.timeout_ms = -7;
	obj = proto_wait_to_json(&w);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "timeout_ms"));
	cJSON_Delete(obj);
	ck_assert_ptr_null(proto_wait_to_json(NULL));

	obj = req_decode("{\"op\":\"priority\",\"id\":2,\"priority\":1000000}",
	    &r);
	ck_assert_int_eq(r.u.priority.priority, PROTO_MAX_PRIORITY);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	check_proto_bad("{\"op\":\"priority\",\"id\":2}", JOBQ_EINVAL,
	    "missing \"priority\"");
	check_proto_bad("{\"op\":\"priority\",\"id\":2,\"priority\":1000001}",
	    JOBQ_EINVAL, "\"priority\" must be an integer in -1000000..1000000");
	check_proto_bad("{\"op\":\"priority\",\"id\":2,\"priority\":-1000001}",
	    JOBQ_EINVAL, "\"priority\" must be an integer in -1000000..1000000");
	ck_assert_ptr_null(proto_priority_to_json(NULL));
}
END_TEST

/* --- logs --- */

START_TEST(test_logs)
{
	struct proto_req	 r;
	struct proto_logs	 l;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"logs\",\"id\":5,\"index\":2,\"stream\":"
	    "\"stderr\",\"offset\":9007199254740992,\"max\":1048576}", &r);
	ck_assert(r.u.logs.ref.has_index && r.u.logs.ref.index == 2);
	ck_assert_int_eq(r.u.logs.stream, JOBQ_STDERR);
	ck_assert(r.u.logs.offset == PROTO_MAX_JSON_INT);
	ck_assert_uint_eq(r.u.logs.max, JOBQ_MAX_LOG_CHUNK);
	req_roundtrip(&r);
	cJSON_Delete(obj);

	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"offset\":0,\"max\":1}",
	    JOBQ_EINVAL, "stream: must be \"stdout\" or \"stderr\"");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdin\",\"offset\":0,"
	    "\"max\":1}", JOBQ_EINVAL,
	    "stream: must be \"stdout\" or \"stderr\"");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdoutstdoutstdout\","
	    "\"offset\":0,\"max\":1}", JOBQ_EINVAL,
	    "\"stream\" is longer than 16 bytes");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":1,\"offset\":0,"
	    "\"max\":1}", JOBQ_EINVAL, "\"stream\" must be a string");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdout\",\"max\":1}",
	    JOBQ_EINVAL, "missing \"offset\"");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdout\","
	    "\"offset\":-1,\"max\":1}", JOBQ_EINVAL,
	    "\"offset\" must be an integer in 0..9223372036854775807");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdout\","
	    "\"offset\":0}", JOBQ_EINVAL, "missing \"max\"");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdout\","
	    "\"offset\":0,\"max\":0}", JOBQ_EINVAL,
	    "\"max\" must be an integer in 1..1048576");
	check_proto_bad("{\"op\":\"logs\",\"id\":5,\"stream\":\"stdout\","
	    "\"offset\":0,\"max\":1048577}", JOBQ_EINVAL,
	    "\"max\" must be an integer in 1..1048576");
	/* The ref is checked first. */
	check_proto_bad("{\"op\":\"logs\",\"stream\":\"x\"}", JOBQ_EINVAL,
	    "missing \"id\"");

	memset(&l, 0, sizeof(l));
	l.ref.id = 1;
	l.stream = (jobq_stream)3;
	l.max = 1;
	ck_assert_ptr_null(proto_logs_to_json(&l));
	ck_assert_ptr_null(proto_logs_to_json(NULL));
}
END_TEST

/* --- list --- */

START_TEST(test_list)
{
	struct proto_req	 r;
	struct proto_list	 l;
	const char		*labels[] = { "a=1", "b=", NULL };
	char			*text, big[300];
	cJSON			*obj;

	obj = req_decode("{\"op\":\"list\"}", &r);
	ck_assert(r.u.list.states == 0 && r.u.list.owner_uid == -1 &&
	    !r.u.list.count && r.u.list.queue == NULL &&
	    r.u.list.name == NULL && r.u.list.labels == NULL &&
	    r.u.list.nlabels == 0 && r.u.list.array_id == 0 &&
	    r.u.list.limit == 0);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"list\",\"state\":\"timed_out\",\"queue\":"
	    "\"q\",\"name\":\"n m\",\"limit\":2147483647,\"array_id\":"
	    "9007199254740992,\"labels\":[\"a=1\",\"=x\",\"\"]}", &r);
	ck_assert_uint_eq(r.u.list.states, 1u << JOBQ_STATE_TIMED_OUT);
	ck_assert_str_eq(r.u.list.queue, "q");
	ck_assert_str_eq(r.u.list.name, "n m");
	ck_assert_uint_eq(r.u.list.limit, 2147483647u);
	ck_assert(r.u.list.array_id == PROTO_MAX_JSON_INT);
	/* list's labels are matched, not checked for K=V */
	ck_assert_uint_eq(r.u.list.nlabels, 3);
	ck_assert_str_eq(r.u.list.labels[1], "=x");
	ck_assert_ptr_null(r.u.list.labels[3]);
	req_roundtrip(&r);
	proto_req_release(&r);
	ck_assert_ptr_null(r.u.list.labels);
	proto_req_release(&r);	/* idempotent */
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"list\",\"labels\":[],\"limit\":0}", &r);
	ck_assert_ptr_null(r.u.list.labels);
	cJSON_Delete(obj);
	/* several states (with "state": any of them), an owner, a count */
	obj = req_decode("{\"op\":\"list\",\"state\":\"failed\",\"states\":"
	    "[\"queued\",\"running\"],\"owner_uid\":1000,\"count\":true}", &r);
	ck_assert_uint_eq(r.u.list.states, (1u << JOBQ_STATE_FAILED) |
	    (1u << JOBQ_STATE_QUEUED) | (1u << JOBQ_STATE_RUNNING));
	ck_assert(r.u.list.owner_uid == 1000 && r.u.list.count == 1);
	req_roundtrip(&r);
	proto_req_release(&r);
	cJSON_Delete(obj);
	check_proto_bad("{\"op\":\"list\",\"states\":\"queued\"}", JOBQ_EINVAL,
	    "states: must be an array of state names");
	check_proto_bad("{\"op\":\"list\",\"states\":[\"queued\",\"x\"]}",
	    JOBQ_EINVAL, "states: entries must be state names");
	check_proto_bad("{\"op\":\"list\",\"owner_uid\":-1}", JOBQ_EINVAL,
	    "\"owner_uid\" must be an integer in 0..4294967294");
	check_proto_bad("{\"op\":\"list\",\"count\":1}", JOBQ_EINVAL,
	    "count: must be true or false");

	check_proto_bad("{\"op\":\"list\",\"state\":\"bogus\"}", JOBQ_EINVAL,
	    "state: unknown state \"bogus\"");
	check_proto_bad("{\"op\":\"list\",\"state\":\"queuedqueuedqueuedqueuedqueuedq"
	    "ueued\"}", JOBQ_EINVAL, "\"state\" is longer than 32 bytes");
	check_proto_bad("{\"op\":\"list\",\"state\":3}", JOBQ_EINVAL,
	    "\"state\" must be a string");
	memset(big, 'q', 257);
	big[257] = '\0';
	text = malloc(400);
	snprintf(text, 400, "{\"op\":\"list\",\"queue\":\"%s\"}", big);
	check_proto_bad(text, JOBQ_EINVAL,
	    "\"queue\" is longer than 256 bytes");
	snprintf(text, 400, "{\"op\":\"list\",\"name\":\"%s\"}", big);
	check_proto_bad(text, JOBQ_EINVAL, "\"name\" is longer than 256 bytes");
	free(text);
	check_proto_bad("{\"op\":\"list\",\"limit\":-1}", JOBQ_EINVAL,
	    "\"limit\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"list\",\"limit\":2147483648}", JOBQ_EINVAL,
	    "\"limit\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"list\",\"array_id\":-1}", JOBQ_EINVAL,
	    "\"array_id\" must be an integer in 0..9223372036854775807");
	check_proto_bad("{\"op\":\"list\",\"labels\":\"a=1\"}", JOBQ_EINVAL,
	    "labels: must be an array of strings");
	check_proto_bad("{\"op\":\"list\",\"labels\":[\"a=1\",2]}", JOBQ_EINVAL,
	    "labels: entries must be strings of at most 256 bytes");
	text = req_with_strings("{\"op\":\"list\"", "labels", 64, "k=v");
	check_proto_ok(text);
	free(text);
	text = req_with_strings("{\"op\":\"list\"", "labels", 65, "k=v");
	check_proto_bad(text, JOBQ_EINVAL, "labels: more than 64 entries");
	free(text);
	memset(big, 'l', 257);
	text = req_with_strings("{\"op\":\"list\"", "labels", 1, big);
	check_proto_bad(text, JOBQ_EINVAL,
	    "labels: entries must be strings of at most 256 bytes");
	free(text);
	big[256] = '\0';
	text = req_with_strings("{\"op\":\"list\"", "labels", 1, big);
	check_proto_ok(text);
	free(text);
	/* The order of the checks: members, then state, then labels. */
	check_proto_bad("{\"op\":\"list\",\"labels\":5,\"state\":\"x\",\"limit\":-1}",
	    JOBQ_EINVAL, "\"limit\" must be an integer in 0..2147483647");
	check_proto_bad("{\"op\":\"list\",\"labels\":5,\"state\":\"x\"}",
	    JOBQ_EINVAL,
	    "state: unknown state \"x\"");

	/* Encoding: a limit above the protocol's is sent as its maximum;
	 * a bad state cannot be sent. */
	memset(&l, 0, sizeof(l));
	l.owner_uid = -1;
	l.limit = (size_t)1 << 40;
	l.labels = labels;
	l.nlabels = 2;
	obj = proto_list_to_json(&l);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(cp_int(obj, "limit"), 2147483647);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "labels")), 2);
	cJSON_Delete(obj);
	/* one state goes as "state" (read by every jobqd), several as
	 * "states" */
	l.states = 1u << JOBQ_STATE_QUEUED;
	obj = proto_list_to_json(&l);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "queued");
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "states"));
	cJSON_Delete(obj);
	l.states |= 1u << JOBQ_STATE_RUNNING;
	obj = proto_list_to_json(&l);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "state"));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "states")), 2);
	cJSON_Delete(obj);
	l.states = 1u << JOBQ_STATE_COUNT;
	ck_assert_ptr_null(proto_list_to_json(&l));
	l.states = 0;
	l.owner_uid = -2;
	ck_assert_ptr_null(proto_list_to_json(&l));
	l.owner_uid = -1;
	l.labels = NULL;
	ck_assert_ptr_null(proto_list_to_json(&l));
	ck_assert_ptr_null(proto_list_to_json(NULL));
}
END_TEST

/* --- purge --- */

START_TEST(test_purge)
{
	struct proto_req	 r;
	struct proto_purge	 p;
	cJSON			*obj;
	int			 st;

	obj = req_decode("{\"op\":\"purge\"}", &r);
	ck_assert(r.u.purge.older_than_ms == 0 && r.u.purge.state == -1);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"purge\",\"older_than_ms\":604800000,"
	    "\"state\":\"failed\"}", &r);
	ck_assert(r.u.purge.older_than_ms == 604800000 &&
	    r.u.purge.state == JOBQ_STATE_FAILED);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	for (st = 0; st < JOBQ_STATE_COUNT; st++) {
		char	text[128];

		snprintf(text, sizeof(text), "{\"op\":\"purge\",\"state\":\"%s\","
		    "\"older_than_ms\":60000}", jobq_state_name((jobq_state)st));
		if (jobq_state_is_terminal((jobq_state)st))
			check_proto_ok(text);
		else {
			char	msg[128];

			snprintf(msg, sizeof(msg), "state: \"%s\" is not the "
			    "name of a state a job ends in",
			    jobq_state_name((jobq_state)st));
			check_proto_bad(text, JOBQ_EINVAL, msg);
		}
	}
	check_proto_bad("{\"op\":\"purge\",\"state\":\"done\"}", JOBQ_EINVAL,
	    "state: \"done\" is not the name of a state a job ends in");
	check_proto_bad("{\"op\":\"purge\",\"older_than_ms\":-1}", JOBQ_EINVAL,
	    "\"older_than_ms\" must be an integer in 0..4611686018427387903");
	check_proto_bad("{\"op\":\"purge\",\"older_than_ms\":9e18}",
	    JOBQ_EINVAL,
	    "\"older_than_ms\" must be an integer in 0..4611686018427387903");
	check_proto_bad("{\"op\":\"purge\",\"state\":[]}", JOBQ_EINVAL,
	    "\"state\" must be a string");

	/* libjobq may send any state name; jobqd refuses the others. */
	p.older_than_ms = 0;
	p.state = JOBQ_STATE_RUNNING;
	obj = proto_purge_to_json(&p);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "running");
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "older_than_ms"));
	cJSON_Delete(obj);
	p.state = 99;
	ck_assert_ptr_null(proto_purge_to_json(&p));
	ck_assert_ptr_null(proto_purge_to_json(NULL));
}
END_TEST

/* --- queue_set and the queue-name rule --- */

START_TEST(test_queue_set)
{
	struct proto_req	 r;
	struct proto_queue_set	 q;
	char			 name[300], text[400];
	cJSON			*obj;
	const char		*msg = "queue: required, 1-256 characters of "
	    "A-Z a-z 0-9 _ . -";

	obj = req_decode("{\"op\":\"queue_set\",\"queue\":\"batch.1_-\"}", &r);
	ck_assert(r.u.queue_set.parallel == -1 && r.u.queue_set.paused == -1);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"queue_set\",\"queue\":\"b\",\"parallel\":"
	    "1000000,\"paused\":true}", &r);
	ck_assert(r.u.queue_set.parallel == PROTO_MAX_PARALLEL &&
	    r.u.queue_set.paused == 1);
	req_roundtrip(&r);
	cJSON_Delete(obj);
	check_proto_ok("{\"op\":\"queue_set\",\"queue\":\"b\",\"parallel\":0,"
	    "\"paused\":false}");

	check_proto_bad("{\"op\":\"queue_set\"}", JOBQ_EINVAL, msg);
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"\"}", JOBQ_EINVAL,
	    msg);
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a b\"}", JOBQ_EINVAL,
	    msg);
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a/b\"}", JOBQ_EINVAL,
	    msg);
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":5}", JOBQ_EINVAL,
	    "\"queue\" must be a string");
	memset(name, 'q', 257);
	name[257] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"queue_set\",\"queue\":\"%s\"}",
	    name);
	check_proto_bad(text, JOBQ_EINVAL,
	    "\"queue\" is longer than 256 bytes");
	name[256] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"queue_set\",\"queue\":\"%s\"}",
	    name);
	check_proto_ok(text);
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a\",\"parallel\":-1}",
	    JOBQ_EINVAL, "\"parallel\" must be an integer in 0..1000000");
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a\",\"parallel\":1000001}",
	    JOBQ_EINVAL, "\"parallel\" must be an integer in 0..1000000");
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a\",\"paused\":1}",
	    JOBQ_EINVAL, "paused: must be true or false");
	/* paused is checked before the name */
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"a b\",\"paused\":1}",
	    JOBQ_EINVAL, "paused: must be true or false");

	q.queue = "x";
	q.parallel = 3;
	q.paused = 7;		/* any non-zero is true */
	obj = proto_queue_set_to_json(&q);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "paused")));
	cJSON_Delete(obj);
	q.queue = NULL;
	ck_assert_ptr_null(proto_queue_set_to_json(&q));
}
END_TEST

START_TEST(test_queue_name_rule)
{
	char	name[300];

	ck_assert(proto_queue_name_ok("default"));
	ck_assert(proto_queue_name_ok("A-z_0.9"));
	ck_assert(!proto_queue_name_ok(""));
	ck_assert(!proto_queue_name_ok("a b"));
	ck_assert(!proto_queue_name_ok("\xc3\xa9"));
	ck_assert_ptr_null(proto_queue_name_check("q"));
	ck_assert_str_eq(proto_queue_name_check(""), "must not be empty");
	ck_assert_str_eq(proto_queue_name_check("a:b"),
	    "may only hold letters, digits, '_', '.' and '-'");
	memset(name, 'a', 256);
	name[256] = '\0';
	ck_assert(proto_queue_name_ok(name));
	name[256] = 'a';
	name[257] = '\0';
	ck_assert_str_eq(proto_queue_name_check(name), "is too long");
	/* submit uses the same rule */
	ck_assert_int_eq(proto_cmp_text(-1, "{\"op\":\"submit\",\"argv\":"
	    "[\"x\"],\"env\":[],\"cwd\":\"/\",\"queue\":\"a b\"}", name,
	    sizeof(name)), JOBQ_EINVAL);
	ck_assert_str_eq(name, "\"queue\" must match [A-Za-z0-9_.-]+");
}
END_TEST

/* --- watch --- */

START_TEST(test_watch)
{
	struct proto_req	 r;
	struct proto_watch	 w;
	int64_t			 ids[2] = { 1, PROTO_MAX_JSON_INT };
	char			*text;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"watch\",\"ids\":[]}", &r);
	ck_assert(r.u.watch.ids == NULL && r.u.watch.nids == 0);
	cJSON_Delete(obj);
	obj = req_decode("{\"op\":\"watch\",\"ids\":[3,1,3,9007199254740992,"
	    "1.0]}", &r);
	ck_assert_uint_eq(r.u.watch.nids, 5);
	ck_assert(r.u.watch.ids[3] == PROTO_MAX_JSON_INT &&
	    r.u.watch.ids[4] == 1);
	req_roundtrip(&r);
	proto_req_release(&r);
	ck_assert_ptr_null(r.u.watch.ids);
	cJSON_Delete(obj);

	check_proto_bad("{\"op\":\"watch\",\"ids\":5}", JOBQ_EINVAL,
	    "ids: must be an array of at most 100000 job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":{}}", JOBQ_EINVAL,
	    "ids: must be an array of at most 100000 job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":[0]}", JOBQ_EINVAL,
	    "ids: entries must be job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":[1,1.5]}", JOBQ_EINVAL,
	    "ids: entries must be job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":[\"1\"]}", JOBQ_EINVAL,
	    "ids: entries must be job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":[9007199254740994]}",
	    JOBQ_EINVAL,
	    "ids: entries must be job ids");
	check_proto_bad("{\"op\":\"watch\",\"ids\":[-1]}", JOBQ_EINVAL,
	    "ids: entries must be job ids");
	text = req_with_strings("{\"op\":\"watch\"", "ids", 100000, "x");
	/* strings are not ids, but the count is checked first */
	check_proto_bad(text, JOBQ_EINVAL, "ids: entries must be job ids");
	free(text);
	text = req_with_strings("{\"op\":\"watch\"", "ids", 100001, "x");
	check_proto_bad(text, JOBQ_EINVAL,
	    "ids: must be an array of at most 100000 job ids");
	free(text);

	/* The encoder writes ids exactly, beyond 2^53 too. */
	ids[1] = INT64_MAX;
	w.ids = ids;
	w.nids = 2;
	obj = proto_watch_to_json(&w);
	text = cJSON_PrintUnformatted(obj);
	ck_assert_str_eq(text,
	    "{\"op\":\"watch\",\"ids\":[1,9223372036854775807]}");
	free(text);
	cJSON_Delete(obj);
	w.ids = NULL;
	ck_assert_ptr_null(proto_watch_to_json(&w));
	w.nids = 0;
	obj = proto_watch_to_json(&w);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "ids"));
	cJSON_Delete(obj);
}
END_TEST

/* --- submit through the table --- */

START_TEST(test_submit_table)
{
	struct proto_req	 r;
	cJSON			*obj;

	obj = req_decode("{\"op\":\"submit\",\"argv\":[\"a\",\"b\"],\"env\":"
	    "[\"K=V\"],\"cwd\":\"/t\",\"name\":\"n\",\"retries\":3,"
	    "\"priority\":-2,\"not_before\":5,\"timeout_ms\":6,"
	    "\"kill_grace_ms\":7,\"retry_delay_ms\":8,\"labels\":[\"l=1\"],"
	    "\"deps\":[{\"id\":4,\"mode\":\"any\"},{\"id\":5}],"
	    "\"array\":{\"first\":2,\"step\":3,\"count\":4,\"throttle\":1}}",
	    &r);
	ck_assert_int_eq(r.op, PROTO_OP_SUBMIT);
	ck_assert_str_eq(r.u.submit.queue, "default");
	req_roundtrip(&r);
	proto_req_release(&r);
	ck_assert_ptr_null(r.u.submit.argv);
	cJSON_Delete(obj);
	check_proto_ok("{\"op\":\"submit\",\"argv\":[\"a\"],\"env\":[],\"cwd\":\"/\","
	    "\"unique_key\":\"k\",\"queue\":\"q\"}");
	check_proto_bad("{\"op\":\"submit\",\"argv\":[],\"env\":[],\"cwd\":\"/\"}",
	    JOBQ_EINVAL, "\"argv\" must not be empty");
	ck_assert_ptr_null(proto_submit_req_to_json(NULL));
}
END_TEST

void
check_proto_req_add(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("requests");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_op_table);
	tcase_add_test(tc, test_every_op_roundtrip);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_ref);
	tcase_add_test(tc, test_wait_priority);
	tcase_add_test(tc, test_logs);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_purge);
	tcase_add_test(tc, test_queue_set);
	tcase_add_test(tc, test_queue_name_rule);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_submit_table);
	suite_add_tcase(s, tc);
}
