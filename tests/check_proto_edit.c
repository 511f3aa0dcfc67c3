/*
 * check_proto_edit.c - unit tests for the codec of holds, edits and
 * history (lib/proto_edit.c, the hold/release/history refs of
 * lib/proto_req.c): round trips of every member, every refusal with its code
 * and message (slots and res included), jobq_edit_opts to JSON, the history reply, a job's "held"
 * and a submit's "hold".
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

START_TEST(test_hold_refs)
{
	check_proto_ok("{\"op\":\"hold\",\"id\":3}");
	check_proto_ok("{\"op\":\"hold\",\"id\":3,\"index\":0}");
	check_proto_ok("{\"op\":\"hold\",\"id\":3,\"array\":true}");
	check_proto_ok("{\"op\":\"release\",\"id\":9007199254740992}");
	check_proto_ok("{\"op\":\"release\",\"id\":3,\"array\":true}");
	check_proto_ok("{\"op\":\"history\",\"id\":3,\"index\":7}");
	check_proto_bad("{\"op\":\"history\",\"id\":1,\"array\":true}",
	    JOBQ_EINVAL,
	    "array: not allowed in this request");
	check_proto_bad("{\"op\":\"hold\"}", JOBQ_EINVAL, "missing \"id\"");
	check_proto_bad("{\"op\":\"release\",\"id\":0}", JOBQ_EINVAL,
	    "\"id\" must be an integer in 1..9223372036854775807");
}
END_TEST

START_TEST(test_edit_members)
{
	struct proto_req	 r;
	cJSON			*obj;
	char			 err[256];

	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"priority\":-7}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"index\":2,\"queue\":\"q.1\"}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"name\":null}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"name\":\"n\",\"labels\":[]}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"labels\":[\"a=1\",\"b=2\"],"
	    "\"not_before\":0,\"timeout_ms\":5,\"retries\":3}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"deps_add\":[{\"id\":2,"
	    "\"mode\":\"any\"},{\"id\":3,\"mode\":\"notok\"}],"
	    "\"deps_remove\":[4,6]}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"deps_add\":[]}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"argv\":[\"x\",\"\"],"
	    "\"env\":[\"A=1\"],\"cwd\":\"/tmp\"}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"slots\":2}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"slots\":1024,"
	    "\"res\":\"gpu=2,license=1\"}");
	check_proto_ok("{\"op\":\"edit\",\"id\":5,\"res\":null}");
	/* res null: the member was given, no resources */
	obj = check_proto_parse("{\"op\":\"edit\",\"id\":5,\"res\":null}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.u.edit.set, JOBQ_EDIT_RES);
	ck_assert_ptr_null(r.u.edit.res);
	proto_req_release(&r);
	cJSON_Delete(obj);
	obj = check_proto_parse("{\"op\":\"edit\",\"id\":5,\"slots\":3,"
	    "\"res\":\"gpu=1\"}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.u.edit.set, JOBQ_EDIT_SLOTS | JOBQ_EDIT_RES);
	ck_assert_int_eq(r.u.edit.slots, 3);
	ck_assert_str_eq(r.u.edit.res, "gpu=1");
	proto_req_release(&r);
	cJSON_Delete(obj);
	/* which members were given */
	obj = check_proto_parse("{\"op\":\"edit\",\"id\":5,\"name\":null,"
	    "\"retries\":0,\"deps_remove\":[1]}");
	ck_assert_int_eq(proto_req_from_json(obj, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.u.edit.set, JOBQ_EDIT_NAME | JOBQ_EDIT_RETRIES |
	    JOBQ_EDIT_DEPS);
	ck_assert_ptr_null(r.u.edit.name);
	ck_assert_uint_eq(r.u.edit.ndeps_remove, 1);
	ck_assert_int_eq(r.u.edit.deps_remove[0], 1);
	proto_req_release(&r);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_edit_refused)
{
	check_proto_bad("{\"op\":\"edit\",\"id\":5}", JOBQ_EINVAL,
	    "nothing to change");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"array\":true,\"priority\":1}",
	    JOBQ_EINVAL, "array: not allowed in this request");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"priority\":1000001}",
	    JOBQ_EINVAL, "\"priority\" must be an integer in "
	    "-1000000..1000000");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"queue\":\"a b\"}",
	    JOBQ_EINVAL,
	    "\"queue\" must match [A-Za-z0-9_.-]+");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"name\":7}", JOBQ_EINVAL,
	    "\"name\" must be a string");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"labels\":[\"x\"]}",
	    JOBQ_EINVAL,
	    "\"labels\" entry 0 is not of the form K=V with a "
	    "non-empty K");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"retries\":-1}",
	    JOBQ_EINVAL,
	    "\"retries\" must be an integer in 0..1000");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"deps_remove\":[0]}",
	    JOBQ_EINVAL, "\"deps_remove\" entry 0 is not a job id");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"deps_remove\":3}",
	    JOBQ_EINVAL,
	    "\"deps_remove\" must be an array of job ids");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"argv\":[]}", JOBQ_EINVAL,
	    "\"argv\" must not be empty");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"argv\":[\"\"]}",
	    JOBQ_EINVAL,
	    "\"argv\" entry 0 is empty");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"env\":[\"=x\"]}",
	    JOBQ_EINVAL,
	    "\"env\" entry 0 is not of the form K=V");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"cwd\":\"rel\"}",
	    JOBQ_EINVAL,
	    "\"cwd\" must be an absolute path");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"not_before\":-1}",
	    JOBQ_EINVAL,
	    "\"not_before\" must be an integer in 0..9223372036854775807");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"slots\":0}",
	    JOBQ_EINVAL, "\"slots\" must be an integer in 1..1024");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"slots\":1025}",
	    JOBQ_EINVAL, "\"slots\" must be an integer in 1..1024");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"slots\":\"2\"}",
	    JOBQ_EINVAL, "\"slots\" must be an integer in 1..1024");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"res\":\"\"}",
	    JOBQ_EINVAL, "\"res\" must not be empty (null: no resources)");
	check_proto_bad("{\"op\":\"edit\",\"id\":5,\"res\":2}",
	    JOBQ_EINVAL, "\"res\" must be a string");
}
END_TEST

START_TEST(test_edit_opts)
{
	static const char *const labels[] = { "k=v", NULL };
	static const char *const argv[] = { "echo", "hi", NULL };
	static const jobq_dep deps[] = { { 4, JOBQ_DEP_ANY } };
	static const int64_t drop[] = { 8 };
	struct proto_req	 r;
	jobq_edit_opts		 o;
	cJSON			*req;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));	/* nothing */
	ck_assert_ptr_null(proto_edit_opts_to_json(3, NULL));
	o.set = JOBQ_EDIT_QUEUE;				/* no queue */
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));
	o.set = 0x2000;						/* unknown */
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));
	o.set = JOBQ_EDIT_SLOTS;				/* 0 slots */
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));
	o.slots = JOBQ_MAX_SLOTS + 1;
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));
	o.set = JOBQ_EDIT_RES;					/* "" */
	o.res = "";
	ck_assert_ptr_null(proto_edit_opts_to_json(3, &o));
	/* res NULL with JOBQ_EDIT_RES: "res": null, no resources */
	o.res = NULL;
	req = proto_edit_opts_to_json(3, &o);
	ck_assert_ptr_nonnull(req);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(req, "res")));
	ck_assert_int_eq(proto_req_from_json(req, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.u.edit.set, JOBQ_EDIT_RES);
	ck_assert_ptr_null(r.u.edit.res);
	proto_req_release(&r);
	cJSON_Delete(req);
	o.set = JOBQ_EDIT_SLOTS | JOBQ_EDIT_RES;
	o.slots = 4;
	o.res = "gpu=2";
	req = proto_edit_opts_to_json(3, &o);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(proto_req_from_json(req, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.u.edit.set, o.set);
	ck_assert_int_eq(r.u.edit.slots, 4);
	ck_assert_str_eq(r.u.edit.res, "gpu=2");
	proto_req_release(&r);
	cJSON_Delete(req);
	o.slots = 0;
	o.res = NULL;
	o.set = JOBQ_EDIT_QUEUE | JOBQ_EDIT_PRIORITY | JOBQ_EDIT_NAME |
	    JOBQ_EDIT_LABELS | JOBQ_EDIT_DEPS | JOBQ_EDIT_ARGV;
	o.queue = "q";
	o.priority = 12;
	o.labels = labels;
	o.deps_add = deps;
	o.ndeps_add = 1;
	o.deps_remove = drop;
	o.ndeps_remove = 1;
	o.argv = argv;
	req = proto_edit_opts_to_json(3, &o);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(proto_req_from_json(req, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.op, PROTO_OP_EDIT);
	ck_assert_int_eq(r.u.edit.ref.id, 3);
	ck_assert_uint_eq(r.u.edit.set, o.set);
	ck_assert_str_eq(r.u.edit.queue, "q");
	ck_assert_int_eq(r.u.edit.priority, 12);
	ck_assert_ptr_null(r.u.edit.name);
	ck_assert_uint_eq(r.u.edit.nlabels, 1);
	ck_assert_str_eq(r.u.edit.labels[0], "k=v");
	ck_assert_uint_eq(r.u.edit.ndeps_add, 1);
	ck_assert_int_eq(r.u.edit.deps_add[0].id, 4);
	ck_assert_int_eq(r.u.edit.deps_add[0].mode, JOBQ_DEP_ANY);
	ck_assert_int_eq(r.u.edit.deps_remove[0], 8);
	ck_assert_uint_eq(r.u.edit.argc, 2);
	ck_assert_str_eq(r.u.edit.argv[1], "hi");
	proto_req_release(&r);
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_history_reply)
{
	jobq_history_entry	 v[2] = {
		{ 1000, 0, "submitted", NULL },
		{ 2000, 4294967295u, "edit", "priority: 0 -> 1" },
	}, *out;
	cJSON			*rep, *copy;
	size_t			 n;
	char			 err[256];

	rep = proto_history_reply_to_json(v, 2);
	ck_assert_ptr_nonnull(rep);
	copy = check_proto_reframe(rep);
	ck_assert_int_eq(proto_history_reply_from_json(copy, &out, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[0].at, 1000);
	ck_assert_str_eq(out[0].what, "submitted");
	ck_assert_ptr_null(out[0].detail);
	ck_assert_uint_eq(out[1].uid, 4294967295u);
	ck_assert_str_eq(out[1].detail, "priority: 0 -> 1");
	jobq_history_free(out, n);
	cJSON_Delete(copy);
	cJSON_Delete(rep);
	/* empty; malformed */
	rep = proto_history_reply_to_json(NULL, 0);
	ck_assert_int_eq(proto_history_reply_from_json(rep, &out, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	jobq_history_free(out, n);
	cJSON_Delete(rep);
	rep = check_proto_parse("{\"ok\":true}");
	ck_assert_int_eq(proto_history_reply_from_json(rep, &out, &n, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(rep);
	rep = check_proto_parse("{\"ok\":true,\"history\":[{\"at\":-1,"
	    "\"uid\":0,\"what\":\"x\"}]}");
	ck_assert_int_eq(proto_history_reply_from_json(rep, &out, &n, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(rep);
	rep = check_proto_parse("{\"ok\":true,\"history\":[{\"at\":1,"
	    "\"uid\":0,\"what\":3}]}");
	ck_assert_int_eq(proto_history_reply_from_json(rep, &out, &n, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(rep);
	v[0].what = NULL;
	ck_assert_ptr_null(proto_history_reply_to_json(v, 1));
}
END_TEST

START_TEST(test_held_and_hold)
{
	static char *argv[] = { "true", NULL };
	static char *nolabels[] = { NULL };
	jobq_job		 job, *back;
	cJSON			*obj, *bad;
	char			 err[256];
	struct proto_req	 r;

	memset(&job, 0, sizeof(job));
	job.id = 4;
	job.queue = "default";
	job.argv = argv;
	job.argc = 1;
	job.cwd = "/";
	job.labels = nolabels;
	job.exit_code = -1;
	job.held = 1;
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "held")));
	ck_assert_int_eq(proto_job_from_json(obj, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back->held, 1);
	jobq_job_free(back);
	cJSON_ReplaceItemInObject(obj, "held", cJSON_CreateNumber(1));
	ck_assert_int_eq(proto_job_from_json(obj, &back, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	job.held = 0;
	obj = proto_job_to_json(&job);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "held"));
	cJSON_Delete(obj);
	/* a submit's "hold" */
	check_proto_ok("{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
	    "\"hold\":true}");
	bad = check_proto_parse("{\"op\":\"submit\",\"argv\":[\"x\"],"
	    "\"env\":[],\"cwd\":\"/\",\"hold\":true}");
	ck_assert_int_eq(proto_req_from_json(bad, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.u.submit.hold, 1);
	proto_req_release(&r);
	cJSON_Delete(bad);
	check_proto_bad("{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
	    "\"hold\":1}", JOBQ_EINVAL, "\"hold\" must be a boolean");
}
END_TEST

void
check_proto_edit_add(Suite *s)
{
	TCase	*tc = tcase_create("edit");

	tcase_add_test(tc, test_hold_refs);
	tcase_add_test(tc, test_edit_members);
	tcase_add_test(tc, test_edit_refused);
	tcase_add_test(tc, test_edit_opts);
	tcase_add_test(tc, test_history_reply);
	tcase_add_test(tc, test_held_and_hold);
	suite_add_tcase(s, tc);
}
