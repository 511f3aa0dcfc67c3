/*
 * check_proto_exec.c - unit tests for a queue's executor setting
 * (lib/proto_exec.c): the "executor" object, each validation rule with its
 * message, the canonical text jobqd stores, queue_set's "executor" member
 * and the executors of the queue_set and queue_list replies.
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

/* Decodes the executor object text: the code, the message in err. */
static int
exec_decode(const char *text, struct proto_exec *e, char *err, size_t len)
{
	cJSON	*obj = cJSON_Parse(text);
	int	 rc;

	ck_assert_msg(obj != NULL, "%s: not JSON", text);
	err[0] = '\0';
	rc = proto_exec_from_json(obj, e, err, len);
	cJSON_Delete(obj);
	return rc;
}

/* The executor text is refused with exactly msg. */
static void
exec_bad(const char *text, const char *msg)
{
	struct proto_exec	e;
	char			err[256];

	ck_assert_msg(exec_decode(text, &e, err, sizeof(err)) == JOBQ_EINVAL,
	    "%s accepted", text);
	ck_assert_msg(strcmp(err, msg) == 0, "%s: \"%s\", expected \"%s\"",
	    text, err, msg);
	ck_assert_int_eq(e.slurm, 0);
	ck_assert_uint_eq(e.nopts, 0);
}

START_TEST(test_exec_good)
{
	struct proto_exec	 e, e2;
	char			 err[256], *text;
	cJSON			*obj;

	ck_assert_int_eq(exec_decode("{\"type\":\"local\"}", &e, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(e.slurm, 0);
	/* local: no text (the stored NULL), and back */
	ck_assert_ptr_null(proto_exec_text(&e));
	ck_assert_int_eq(proto_exec_parse(NULL, &e2), 0);
	ck_assert_int_eq(memcmp(&e, &e2, sizeof(e)), 0);
	ck_assert_int_eq(proto_exec_parse("", &e2), 0);
	ck_assert_int_eq(e2.slurm, 0);
	obj = proto_exec_to_json(&e);
	text = cJSON_PrintUnformatted(obj);
	ck_assert_str_eq(text, "{\"type\":\"local\"}");
	free(text);
	cJSON_Delete(obj);

	ck_assert_int_eq(exec_decode("{\"type\":\"slurm\"}", &e, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(e.slurm, 1);
	ck_assert_str_eq(e.partition, "");
	text = proto_exec_text(&e);
	ck_assert_str_eq(text, "{\"type\":\"slurm\"}");
	free(text);

	/* canonical: member order fixed, whatever the input's */
	ck_assert_int_eq(exec_decode("{\"opts\":[\"mem=4G\",\"exclusive\","
	    "\"constraint=a&b|c\"],\"account\":\"lab_1.x\",\"type\":\"slurm\","
	    "\"partition\":\"gpu-A.1\"}", &e, err, sizeof(err)), 0);
	ck_assert_str_eq(e.partition, "gpu-A.1");
	ck_assert_str_eq(e.account, "lab_1.x");
	ck_assert_uint_eq(e.nopts, 3);
	ck_assert_str_eq(e.opts[0], "mem=4G");
	ck_assert_str_eq(e.opts[1], "exclusive");
	ck_assert_str_eq(e.opts[2], "constraint=a&b|c");
	text = proto_exec_text(&e);
	ck_assert_str_eq(text, "{\"type\":\"slurm\",\"partition\":\"gpu-A.1\","
	    "\"account\":\"lab_1.x\",\"opts\":[\"mem=4G\",\"exclusive\","
	    "\"constraint=a&b|c\"]}");
	ck_assert_int_eq(proto_exec_parse(text, &e2), 0);
	ck_assert_int_eq(memcmp(&e, &e2, sizeof(e)), 0);
	free(text);

	/* the limits themselves */
	ck_assert_int_eq(exec_decode("{\"type\":\"slurm\",\"partition\":"
	    "\"ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\""
	    ",\"opts\":[\"a234567890123456789012345678901234567890=\","
	    "\"x-1\",\"y=\"]}", &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(e.partition), 63);
	ck_assert_uint_eq(e.nopts, 3);
	ck_assert_str_eq(e.opts[2], "y=");
	/* "opts":[] is no opts */
	ck_assert_int_eq(exec_decode("{\"type\":\"slurm\",\"opts\":[]}", &e,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(e.nopts, 0);
	text = proto_exec_text(&e);
	ck_assert_str_eq(text, "{\"type\":\"slurm\"}");
	free(text);
}
END_TEST

START_TEST(test_exec_limits)
{
	struct proto_exec	 e;
	cJSON			*obj, *opts;
	char			 err[256], v[300], *text;
	int			 i;

	/* 32 opts, each with a 40-byte key and a 255-byte value */
	memset(v, 'v', sizeof(v));
	memset(v, 'k', PROTO_MAX_EXEC_KEY);
	v[PROTO_MAX_EXEC_KEY] = '=';
	v[PROTO_MAX_EXEC_KEY + 1 + PROTO_MAX_EXEC_VALUE] = '\0';
	ck_assert_uint_eq(strlen(v), PROTO_MAX_EXEC_OPT);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "type", "slurm");
	opts = cJSON_AddArrayToObject(obj, "opts");
	for (i = 0; i < PROTO_MAX_EXEC_OPTS; i++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(v));
	ck_assert_int_eq(proto_exec_from_json(obj, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(e.nopts, PROTO_MAX_EXEC_OPTS);
	ck_assert_str_eq(e.opts[31], v);
	text = proto_exec_text(&e);
	ck_assert_ptr_nonnull(text);
	free(text);
	/* one more */
	cJSON_AddItemToArray(opts, cJSON_CreateString("x"));
	ck_assert_int_eq(proto_exec_from_json(obj, &e, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_str_eq(err, "--slurm-opt: at most 32 options");
	cJSON_Delete(obj);
	/* a 256-byte value */
	memset(v, 'v', sizeof(v));
	memcpy(v, "k=", 2);
	v[3 + PROTO_MAX_EXEC_VALUE] = '\0';
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "type", "slurm");
	opts = cJSON_AddArrayToObject(obj, "opts");
	cJSON_AddItemToArray(opts, cJSON_CreateString(v));
	ck_assert_int_eq(proto_exec_from_json(obj, &e, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_str_eq(err, "--slurm-opt k: the value is longer than 255 "
	    "bytes");
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_exec_bad)
{
	struct proto_exec	e;
	char			err[256];

	exec_bad("[]", "executor: must be an object");
	exec_bad("{}", "--executor: must be \"local\" or \"slurm\"");
	exec_bad("{\"type\":\"pbs\"}",
	    "--executor: must be \"local\" or \"slurm\"");
	exec_bad("{\"type\":1}", "--executor: must be \"local\" or \"slurm\"");
	exec_bad("{\"type\":\"Slurm\"}",
	    "--executor: must be \"local\" or \"slurm\"");
	exec_bad("{\"type\":\"slurm\",\"qos\":\"x\"}",
	    "executor: unknown member \"qos\"");
	/* partition, account and opts only with slurm */
	exec_bad("{\"type\":\"local\",\"partition\":\"p\"}", "--partition, "
	    "--account and --slurm-opt are only for --executor slurm");
	exec_bad("{\"type\":\"local\",\"account\":\"a\"}", "--partition, "
	    "--account and --slurm-opt are only for --executor slurm");
	exec_bad("{\"type\":\"local\",\"opts\":[]}", "--partition, "
	    "--account and --slurm-opt are only for --executor slurm");
	/* partition and account names */
	exec_bad("{\"type\":\"slurm\",\"partition\":\"\"}",
	    "--partition: must be 1-63 characters of A-Z a-z 0-9 _ . -");
	exec_bad("{\"type\":\"slurm\",\"partition\":"
	    "\"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\""
	    "}", "--partition: must be 1-63 characters of A-Z a-z 0-9 _ . -");
	exec_bad("{\"type\":\"slurm\",\"partition\":\"a b\"}",
	    "--partition: must be 1-63 characters of A-Z a-z 0-9 _ . -");
	exec_bad("{\"type\":\"slurm\",\"partition\":\"a,b\"}",
	    "--partition: must be 1-63 characters of A-Z a-z 0-9 _ . -");
	exec_bad("{\"type\":\"slurm\",\"partition\":3}",
	    "--partition: must be a string");
	exec_bad("{\"type\":\"slurm\",\"account\":\"x/y\"}",
	    "--account: must be 1-63 characters of A-Z a-z 0-9 _ . -");
	exec_bad("{\"type\":\"slurm\",\"account\":null}",
	    "--account: must be a string");
	/* opts */
	exec_bad("{\"type\":\"slurm\",\"opts\":\"mem=1\"}",
	    "--slurm-opt: \"opts\" must be an array of strings");
	exec_bad("{\"type\":\"slurm\",\"opts\":[1]}",
	    "--slurm-opt: \"opts\" must be an array of strings");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"\"]}", "--slurm-opt : the "
	    "key must be 1-40 characters of a-z 0-9 -, starting with a letter "
	    "(KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"=x\"]}", "--slurm-opt : the "
	    "key must be 1-40 characters of a-z 0-9 -, starting with a letter "
	    "(KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"Mem=1\"]}", "--slurm-opt Mem: "
	    "the key must be 1-40 characters of a-z 0-9 -, starting with a "
	    "letter (KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"1mem=1\"]}", "--slurm-opt "
	    "1mem: the key must be 1-40 characters of a-z 0-9 -, starting "
	    "with a letter (KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"-mem=1\"]}", "--slurm-opt "
	    "-mem: the key must be 1-40 characters of a-z 0-9 -, starting "
	    "with a letter (KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"m_em=1\"]}", "--slurm-opt "
	    "m_em: the key must be 1-40 characters of a-z 0-9 -, starting "
	    "with a letter (KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"a\\nb=1\"]}", "--slurm-opt "
	    "a?b: the key must be 1-40 characters of a-z 0-9 -, starting "
	    "with a letter (KEY=VALUE or KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":"
	    "[\"a2345678901234567890123456789012345678901=1\"]}", "--slurm-opt "
	    "a234567890123456789012345678901234567890: the key must be 1-40 "
	    "characters of a-z 0-9 -, starting with a letter (KEY=VALUE or "
	    "KEY)");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"mem=1\\n#SBATCH x\"]}",
	    "--slurm-opt mem: the value must not hold control characters");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"mem=\\u007f\"]}",
	    "--slurm-opt mem: the value must not hold control characters");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"mem=\\t\"]}",
	    "--slurm-opt mem: the value must not hold control characters");
	/* what jobq sets itself, with or without a value */
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"output=/tmp/x\"]}",
	    "--slurm-opt output: set by jobq");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"mem=1\",\"wrap\"]}",
	    "--slurm-opt wrap: set by jobq");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"get-user-env=1\"]}",
	    "--slurm-opt get-user-env: set by jobq");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"job-name=x\"]}",
	    "--slurm-opt job-name: set by jobq");
	exec_bad("{\"type\":\"slurm\",\"opts\":[\"chdir=/\"]}",
	    "--slurm-opt chdir: set by jobq");
	/* ... but not a key that only starts like one */
	ck_assert_int_eq(exec_decode("{\"type\":\"slurm\",\"opts\":"
	    "[\"outputs=1\",\"hold-x\",\"exporter\"]}", &e, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(e.nopts, 3);

	/* stored text that is not an executor */
	ck_assert_int_eq(proto_exec_parse("{", &e), JOBQ_EINVAL);
	ck_assert_int_eq(proto_exec_parse("{\"type\":\"x\"}", &e),
	    JOBQ_EINVAL);
	/* the one-by-one checks jobq uses */
	ck_assert_ptr_null(proto_exec_name_check("gpu"));
	ck_assert_ptr_nonnull(proto_exec_name_check("g p"));
	ck_assert_int_eq(proto_exec_opt_check("mem=4G", err, sizeof(err)), 0);
	ck_assert_int_eq(proto_exec_opt_check("error=x", err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_str_eq(err, "--slurm-opt error: set by jobq");
}
END_TEST

START_TEST(test_exec_queue_set)
{
	struct proto_req	 r;
	struct proto_queue_set	 q;
	cJSON			*obj, *enc;
	char			 err[256], *text;

	check_proto_ok("{\"op\":\"queue_set\",\"queue\":\"q\",\"executor\":"
	    "{\"type\":\"slurm\",\"partition\":\"p\",\"account\":\"a\","
	    "\"opts\":[\"mem=1G\",\"exclusive\"]}}");
	check_proto_ok("{\"op\":\"queue_set\",\"queue\":\"q\",\"parallel\":2,"
	    "\"executor\":{\"type\":\"local\"}}");
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"q\",\"executor\":"
	    "{\"type\":\"slurm\",\"opts\":[\"wrap=x\"]}}", JOBQ_EINVAL,
	    "--slurm-opt wrap: set by jobq");
	check_proto_bad("{\"op\":\"queue_set\",\"queue\":\"q\",\"executor\":"
	    "\"slurm\"}", JOBQ_EINVAL, "executor: must be an object");

	obj = check_proto_parse("{\"op\":\"queue_set\",\"queue\":\"q\","
	    "\"executor\":{\"type\":\"slurm\",\"account\":\"acct\"}}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.u.queue_set.has_exec, 1);
	ck_assert_int_eq(r.u.queue_set.exec.slurm, 1);
	ck_assert_str_eq(r.u.queue_set.exec.account, "acct");
	ck_assert_int_eq(r.u.queue_set.parallel, -1);
	ck_assert_int_eq(r.u.queue_set.paused, -1);
	proto_req_release(&r);
	cJSON_Delete(obj);
	/* absent: unchanged */
	obj = check_proto_parse("{\"op\":\"queue_set\",\"queue\":\"q\","
	    "\"paused\":true}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.u.queue_set.has_exec, 0);
	proto_req_release(&r);
	cJSON_Delete(obj);

	/* the encoder writes the member only when has_exec is set */
	memset(&q, 0, sizeof(q));
	q.queue = "q";
	q.parallel = -1;
	q.paused = -1;
	enc = proto_queue_set_to_json(&q);
	text = cJSON_PrintUnformatted(enc);
	ck_assert_str_eq(text, "{\"op\":\"queue_set\",\"queue\":\"q\"}");
	free(text);
	cJSON_Delete(enc);
	q.has_exec = 1;
	enc = proto_queue_set_to_json(&q);
	text = cJSON_PrintUnformatted(enc);
	ck_assert_str_eq(text, "{\"op\":\"queue_set\",\"queue\":\"q\","
	    "\"executor\":{\"type\":\"local\"}}");
	free(text);
	cJSON_Delete(enc);
}
END_TEST

START_TEST(test_exec_replies)
{
	jobq_queue_info		 q[2], *qs, q2;
	struct proto_exec	 e[2], *es, e2;
	cJSON			*rep, *back;
	char			 err[256];
	size_t			 n;

	memset(q, 0, sizeof(q));
	memset(e, 0, sizeof(e));
	strcpy(q[0].name, "a");
	strcpy(q[1].name, "b");
	q[1].parallel = 4;
	e[1].slurm = 1;
	strcpy(e[1].partition, "debug");
	strcpy(e[1].opts[0], "time=10");
	e[1].nopts = 1;

	rep = proto_queue_list_reply_to_json(q, e, 2);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_queue_list_reply_from_json(back, &qs, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(q, qs, sizeof(q)), 0);
	ck_assert_int_eq(proto_queue_list_reply_exec(back, &es, n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(e, es, sizeof(e)), 0);
	free(es);
	/* the count must be the one decoded (*out NULL then) */
	ck_assert_int_eq(proto_queue_list_reply_exec(back, &es, 3, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_null(es);
	jobq_queue_list_free(qs);
	cJSON_Delete(back);
	cJSON_Delete(rep);

	/* every queue object has one; e NULL: all local */
	rep = proto_queue_list_reply_to_json(q, NULL, 2);
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep,
	    "queues"), 1), "executor"));
	ck_assert_int_eq(proto_queue_list_reply_exec(rep, &es, 2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(es[0].slurm + es[1].slurm, 0);
	free(es);
	cJSON_Delete(rep);

	/* queue_set's reply */
	rep = proto_queue_set_reply_to_json(&q[1], &e[1]);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_queue_set_reply_from_json(back, &q2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&q[1], &q2, sizeof(q2)), 0);
	ck_assert_int_eq(proto_queue_exec_from_json(
	    cJSON_GetObjectItemCaseSensitive(back, "queue"), &e2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&e[1], &e2, sizeof(e2)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);

	/* an older jobqd's queue (no executor) is local; unknown members of
	 * a reply's executor are skipped; a bad one is a protocol error */
	back = check_proto_parse("{\"ok\":true,\"queues\":[{\"name\":\"a\","
	    "\"parallel\":0,\"paused\":false,\"counts\":{}},{\"name\":\"b\","
	    "\"parallel\":0,\"paused\":false,\"counts\":{},\"executor\":"
	    "{\"type\":\"slurm\",\"qos\":\"x\"}}]}");
	ck_assert_int_eq(proto_queue_list_reply_exec(back, &es, 2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(es[0].slurm, 0);
	ck_assert_int_eq(es[1].slurm, 1);
	free(es);
	cJSON_Delete(back);
	back = check_proto_parse("{\"ok\":true,\"queues\":[{\"name\":\"a\","
	    "\"parallel\":0,\"paused\":false,\"counts\":{},\"executor\":"
	    "{\"type\":\"pbs\"}}]}");
	err[0] = '\0';
	ck_assert_int_eq(proto_queue_list_reply_exec(back, &es, 1, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_str_eq(err, "queue \"executor\" is invalid: --executor: "
	    "must be \"local\" or \"slurm\"");
	cJSON_Delete(back);
}
END_TEST

void
check_proto_exec_add(Suite *s)
{
	TCase	*tc = tcase_create("executor");

	tcase_add_test(tc, test_exec_good);
	tcase_add_test(tc, test_exec_limits);
	tcase_add_test(tc, test_exec_bad);
	tcase_add_test(tc, test_exec_queue_set);
	tcase_add_test(tc, test_exec_replies);
	suite_add_tcase(s, tc);
}
