/*
 * check_proto_submit.c - unit tests for the submit request
 * (lib/proto_submit.c): decoding with every limit of jobq-protocol(7),
 * encoding from libjobq's options, and the round trip.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "check_proto.h"
#include "proto_cmp.h"

/* Runs proto_submit_from_json on the JSON text; returns its code. */
static int
submit_rc(const char *text, char *err, size_t errlen)
{
	struct proto_submit	 s;
	cJSON			*req;
	int			 rc;

	req = check_proto_parse(text);
	rc = proto_submit_from_json(req, &s, err, errlen);
	if (rc == 0)
		proto_submit_release(&s);
	cJSON_Delete(req);
	return rc;
}



static cJSON *
base_submit(void)
{
	cJSON	*req;

	req = check_proto_parse("{\"op\":\"submit\",\"argv\":[\"/bin/true\"],"
	    "\"env\":[\"A=1\"],\"cwd\":\"/\"}");
	return req;
}


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
		/* identity */
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"user\":\"\"}", JOBQ_EINVAL, "user" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"user\":0}", JOBQ_EINVAL, "user" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"group\":\"\"}", JOBQ_EINVAL, "group" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"group\":[]}", JOBQ_EINVAL, "group" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"clean_env\":1}", JOBQ_EINVAL, "clean_env" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"umask\":-1}", JOBQ_EINVAL, "umask" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"umask\":512}", JOBQ_EINVAL, "umask" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"umask\":\"022\"}", JOBQ_EINVAL, "umask" },
		{ "{" S "\"argv\":[\"ls\"],\"env\":[],\"cwd\":\"/\","
		    "\"umask\":511,\"clean_env\":false,\"user\":\"u\","
		    "\"uid\":0,\"owner_uid\":0}", 0, NULL },
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

static const char *
submit_user(const struct proto_submit *s)
{
	return s->user;
}

static const char *
submit_group(const struct proto_submit *s)
{
	return s->group;
}

/* slots and res: bounds, and the round trip through libjobq's ext. */
START_TEST(test_submit_res)
{
	static const char *const bad[] = {
		"\"slots\":0", "\"slots\":1025", "\"slots\":-1",
		"\"slots\":1.5", "\"slots\":\"2\"", "\"res\":\"\"",
		"\"res\":7", "\"res\":null",
	};
	struct proto_submit	 s, s2;
	jobq_submit_ext		 x;
	cJSON			*req, *again;
	char			 err[256], text[2400], big[1100];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{%s,\"op\":\"submit\","
		    "\"argv\":[\"a\"],\"env\":[],\"cwd\":\"/\"}", bad[i]);
		ck_assert_msg(submit_rc(text, err, sizeof(err)) == JOBQ_EINVAL,
		    "accepted %s", bad[i]);
	}
	memset(big, 'g', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"submit\",\"argv\":[\"a\"],"
	    "\"env\":[],\"cwd\":\"/\",\"res\":\"%s\"}", big);
	ck_assert_int_eq(submit_rc(text, err, sizeof(err)), JOBQ_EINVAL);

	/* absent: 0 and NULL */
	req = base_submit();
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.slots, 0);
	ck_assert_ptr_null(s.res);
	proto_submit_release(&s);
	cJSON_Delete(req);

	/* from libjobq's ext, decoded, encoded again */
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.slots = 1024;
	x.res = "gpu=2,license=1";
	req = proto_submit_ext(base_submit(), &x);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s.slots, 1024);
	ck_assert_str_eq(s.res, "gpu=2,license=1");
	again = proto_submit_req_to_json(&s);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(proto_submit_from_json(again, &s2, err, sizeof(err)),
	    0);
	ck_assert_int_eq(s2.slots, 1024);
	ck_assert_str_eq(s2.res, "gpu=2,license=1");
	proto_submit_release(&s2);
	proto_submit_release(&s);
	cJSON_Delete(again);
	cJSON_Delete(req);
}
END_TEST

/* The "usage" member of the stats and queue_list replies. */
START_TEST(test_usage)
{
	static const char *const bad[] = {
		"{\"usage\":5}",
		"{\"usage\":{\"slots_used\":1,\"resources\":[]}}",
		"{\"usage\":{\"slots_used\":-1,\"slots_total\":2,"
		    "\"resources\":[]}}",
		"{\"usage\":{\"slots_used\":1,\"slots_total\":2}}",
		"{\"usage\":{\"slots_used\":1,\"slots_total\":2,"
		    "\"resources\":[{\"name\":\"\",\"used\":0,\"total\":1}]}}",
		"{\"usage\":{\"slots_used\":1,\"slots_total\":2,"
		    "\"resources\":[{\"name\":\"gpu\",\"used\":0}]}}",
		"{\"usage\":{\"slots_used\":1,\"slots_total\":2,"
		    "\"resources\":[{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		    "\"used\":0,\"total\":1}]}}",
	};
	jobq_res_usage r[2] = { { "gpu", 3, 4 }, { "license", 0, 2 } };
	jobq_usage u = { 5, 8, r, 2 }, *out;
	cJSON *reply, *obj;
	char err[256];
	size_t i;

	reply = proto_usage_add(cJSON_CreateObject(), &u);
	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(proto_usage_from_reply(reply, &out, err, sizeof(err)),
	    0);
	ck_assert_int_eq(out->slots_used, 5);
	ck_assert_int_eq(out->slots_total, 8);
	ck_assert_uint_eq(out->nres, 2);
	ck_assert_str_eq(out->res[0].name, "gpu");
	ck_assert_int_eq(out->res[0].used, 3);
	ck_assert_int_eq(out->res[0].total, 4);
	ck_assert_str_eq(out->res[1].name, "license");
	ck_assert_int_eq(out->res[1].total, 2);
	jobq_usage_free(out);
	cJSON_Delete(reply);
	/* an older daemon: no usage, zeros */
	obj = check_proto_parse("{\"ok\":true}");
	ck_assert_int_eq(proto_usage_from_reply(obj, &out, err, sizeof(err)), 0);
	ck_assert_int_eq(out->slots_total, 0);
	ck_assert_uint_eq(out->nres, 0);
	jobq_usage_free(out);
	cJSON_Delete(obj);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = check_proto_parse(bad[i]);
		ck_assert_msg(proto_usage_from_reply(obj, &out, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_ptr_null(out);
		cJSON_Delete(obj);
	}
	jobq_usage_free(NULL);
}
END_TEST

START_TEST(test_submit_names)
{
	check_name_limit("name", submit_name);
	check_name_limit("queue", submit_queue);
	check_name_limit("user", submit_user);
	check_name_limit("group", submit_group);
}
END_TEST

/* The identity members: encoded from libjobq's options (umask added by
 * proto_submit_umask), decoded back, and again from the decoded request;
 * absent ones decode as none (umask -1), and members naming a uid are
 * not part of the request at all. */
START_TEST(test_submit_ident_roundtrip)
{
	static const char *const argv[] = { "id", NULL };
	static const char *const env[] = { NULL };
	struct proto_submit	 s, s2;
	jobq_submit_opts	 o;
	cJSON			*req, *req2;
	char			 err[256];
	int			 um;

	for (um = -1; um <= 0777; um += 73) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		o.user = um & 1 ? "alice" : NULL;
		o.group = um & 2 ? "1234" : NULL;
		o.clean_env = (um & 4) != 0;
		req = proto_submit_umask(proto_submit_to_json(&o, env, "/"),
		    um);
		ck_assert_ptr_nonnull(req);
		ck_assert_int_eq(proto_submit_from_json(req, &s, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(s.umask, um);
		ck_assert_int_eq(s.clean_env, o.clean_env);
		ck_assert_int_eq(s.run_gid, -1);
		if (o.user != NULL)
			ck_assert_str_eq(s.user, "alice");
		else
			ck_assert_ptr_null(s.user);
		if (o.group != NULL)
			ck_assert_str_eq(s.group, "1234");
		else
			ck_assert_ptr_null(s.group);
		ck_assert_ptr_null(cJSON_GetObjectItem(req, "uid"));
		ck_assert_int_eq(cJSON_GetObjectItem(req, "clean_env") != NULL,
		    o.clean_env);
		req2 = proto_submit_req_to_json(&s);
		ck_assert_ptr_nonnull(req2);
		ck_assert_int_eq(proto_submit_from_json(req2, &s2, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(s2.umask, um);
		ck_assert_int_eq(s2.clean_env, s.clean_env);
		ck_assert_int_eq(s2.user != NULL, s.user != NULL);
		ck_assert_int_eq(s2.group != NULL, s.group != NULL);
		if (s.user != NULL)
			ck_assert_str_eq(s2.user, s.user);
		if (s.group != NULL)
			ck_assert_str_eq(s2.group, s.group);
		proto_submit_release(&s2);
		proto_submit_release(&s);
		cJSON_Delete(req2);
		cJSON_Delete(req);
	}
	/* A umask above 0777 is not encoded. */
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	ck_assert_ptr_null(proto_submit_umask(proto_submit_to_json(&o, env,
	    "/"), 01000));
	ck_assert_ptr_null(proto_submit_umask(NULL, 022));
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
	    check_proto_strings(JOBQ_MAX_ARGS, "a"));
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
	    check_proto_strings(JOBQ_MAX_ENV + 1, "A=1"));
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

/* --- scheduling members of submit --- */

/* proto_submit_to_json(opts) as the daemon sees it: framed and parsed (big
 * integers are written as raw text, which only a parse turns into numbers). */
static cJSON *
submit_json(const jobq_submit_opts *o)
{
	cJSON	*req, *back;

	req = proto_submit_to_json(o, NULL, "/");
	ck_assert_ptr_nonnull(req);
	back = check_proto_reframe(req);
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
	ck_assert_int_eq(cp_int(a, "step"), 1);
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

START_TEST(test_submit_output_limit)
{
	static const char *const argv[] = { "x", NULL };
	static const char *const bad[] = {
		"{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
		    "\"output_limit\":-1}",
		"{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
		    "\"output_limit\":\"1G\"}",
		"{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
		    "\"output_limit\":1.5}",
		"{\"op\":\"submit\",\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
		    "\"output_limit\":9007199254740994}",
	};
	struct proto_submit	 s;
	jobq_submit_opts	 o;
	cJSON			*req;
	char			 err[256];
	size_t			 i;

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_ptr_null(cJSON_GetObjectItem(req, "output_limit"));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert(s.output_limit == 0);
	proto_submit_release(&s);
	cJSON_Delete(req);

	o.output_limit = PROTO_MAX_OUTPUT_LIMIT;
	req = submit_json(&o);
	ck_assert_ptr_nonnull(req);
	ck_assert_msg(proto_submit_from_json(req, &s, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert(s.output_limit == PROTO_MAX_OUTPUT_LIMIT);
	proto_submit_release(&s);
	cJSON_Delete(req);

	o.output_limit = 1024;
	req = proto_submit_to_json(&o, NULL, "/");
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert(s.output_limit == 1024);
	proto_submit_release(&s);
	cJSON_Delete(req);

	o.output_limit = -1;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));
	o.output_limit = PROTO_MAX_OUTPUT_LIMIT + 1;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = cJSON_Parse(bad[i]);
		ck_assert_ptr_nonnull(req);
		ck_assert_int_eq(proto_submit_from_json(req, &s, err,
		    sizeof(err)), JOBQ_EINVAL);
		ck_assert_msg(strstr(err, "output_limit") != NULL, "%s", err);
		cJSON_Delete(req);
	}
}
END_TEST

/* --- the "limits" member --- */

/* A random value for limit i: a bound, next to one, or anything between;
 * out of bounds too when bad. */
static int64_t
limits_rand_value(int i, int bad)
{
	const struct proto_limit *l = &proto_limits[i];
	int64_t span = l->max - l->min;

	if (bad)
		return rand() % 2 ? l->min - 1 - rand() % 3 :
		    l->max + 2 + 2 * (rand() % 3);	/* exact as doubles */
	switch (rand() % 4) {
	case 0: return l->min;
	case 1: return l->max;
	case 2: return l->min + (span > 0 ? rand() % 2 : 0);
	default:
		return l->min + (int64_t)((double)rand() / RAND_MAX *
		    (double)span);
	}
}

/* Random jobq_limits encode -> decode give the same limits back, with
 * only the members set in the JSON; junk in unset members is not sent. */
START_TEST(test_submit_limits_roundtrip)
{
	static const char *const argv[] = { "x", NULL };
	struct proto_submit	 s;
	jobq_submit_opts	 o;
	cJSON			*req, *lim;
	char			 err[256];
	int			 n, i;

	srand(20261205);
	for (n = 0; n < 2000; n++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		for (i = 0; i < PROTO_NLIMITS; i++) {
			if (rand() % 2)
				proto_limit_set(&o.limits, i,
				    limits_rand_value(i, 0));
			else	/* not set: must not matter */
				*(int64_t *)(void *)((char *)&o.limits +
				    proto_limits[i].off) = -12345 - rand();
		}
		req = submit_json(&o);
		lim = cJSON_GetObjectItem(req, "limits");
		if (o.limits.set == 0)
			ck_assert_ptr_null(lim);
		else
			ck_assert_int_eq(cJSON_GetArraySize(lim),
			    __builtin_popcount(o.limits.set));
		ck_assert_msg(proto_submit_from_json(req, &s, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_uint_eq(s.limits.set, o.limits.set);
		for (i = 0; i < PROTO_NLIMITS; i++) {
			if (o.limits.set & proto_limits[i].bit)
				ck_assert(proto_limit_get(&s.limits, i) ==
				    proto_limit_get(&o.limits, i));
			else
				ck_assert(proto_limit_get(&s.limits, i) == 0);
		}
		proto_submit_release(&s);
		cJSON_Delete(req);
	}
}
END_TEST

/* Every value out of its bounds, of the wrong type, an unknown member or a
 * limits that is no object is refused (EINVAL naming "limits" and the
 * member), by the decoder and by the encoder. */
START_TEST(test_submit_limits_invalid)
{
	static const char *const argv[] = { "x", NULL };
	static const char *const bad[] = {
		"\"limits\":[]", "\"limits\":5", "\"limits\":\"mem\"",
		"\"limits\":{\"rss\":1}", "\"limits\":{\"mem\":\"1G\"}",
		"\"limits\":{\"mem\":1.5}", "\"limits\":{\"mem\":null}",
		"\"limits\":{\"nice\":-21}", "\"limits\":{\"nice\":20}",
		"\"limits\":{\"mem\":0}", "\"limits\":{\"cpu_time\":0}",
		"\"limits\":{\"nofile\":2}", "\"limits\":{\"nproc\":0}",
		"\"limits\":{\"core\":-1}", "\"limits\":{\"mem\":true}",
		"\"limits\":{\"mem\":9007199254740994}",
		"\"limits\":{\"cpu_time\":315360001}",
		"\"limits\":{\"nofile\":1073741825}",
		"\"limits\":{\"nproc\":2147483648}",
		"\"limits\":{\"mem\":1,\"mem\":2}",
	};
	struct proto_submit	 s;
	jobq_submit_opts	 o;
	char			 text[512], err[256];
	size_t			 k;
	int			 i, n;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		snprintf(text, sizeof(text), "{\"op\":\"submit\",\"argv\":"
		    "[\"x\"],\"env\":[],\"cwd\":\"/\",%s}", bad[k]);
		ck_assert_msg(submit_rc(text, err, sizeof(err)) == JOBQ_EINVAL,
		    "%s", bad[k]);
		ck_assert_msg(strstr(err, "\"limits\"") != NULL, "%s: %s",
		    bad[k], err);
	}
	/* Absent, null and {} set nothing. */
	ck_assert_int_eq(submit_rc("{\"op\":\"submit\",\"argv\":[\"x\"],"
	    "\"env\":[],\"cwd\":\"/\",\"limits\":null}", err, sizeof(err)), 0);
	ck_assert_int_eq(submit_rc("{\"op\":\"submit\",\"argv\":[\"x\"],"
	    "\"env\":[],\"cwd\":\"/\",\"limits\":{}}", err, sizeof(err)), 0);
	/* Each bound given is accepted. */
	ck_assert_int_eq(submit_rc("{\"op\":\"submit\",\"argv\":[\"x\"],"
	    "\"env\":[],\"cwd\":\"/\",\"limits\":{\"mem\":1,\"cpu_time\":1,"
	    "\"nofile\":3,\"nproc\":1,\"core\":0,\"nice\":-20,\"cpus\":1}}",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(submit_rc("{\"op\":\"submit\",\"argv\":[\"x\"],"
	    "\"env\":[],\"cwd\":\"/\",\"limits\":{\"mem\":9007199254740992,"
	    "\"cpu_time\":315360000,\"nofile\":1073741824,\"nproc\":2147483647,"
	    "\"core\":9007199254740992,\"nice\":19,\"cpus\":8192000}}", err,
	    sizeof(err)), 0);

	/* Randomly: one member out of bounds among good ones; the message
	 * names it.  The encoder refuses the same options. */
	srand(77);
	for (n = 0; n < 500; n++) {
		memset(&o, 0, sizeof(o));
		o.argv = argv;
		k = (size_t)(rand() % PROTO_NLIMITS);
		for (i = 0; i < PROTO_NLIMITS; i++)
			if ((size_t)i == k || rand() % 2)
				proto_limit_set(&o.limits, i,
				    limits_rand_value(i, (size_t)i == k));
		ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));
		o.limits.set &= ~proto_limits[k].bit;
		{
			cJSON *req = submit_json(&o);
			cJSON *lim;

			if ((lim = cJSON_GetObjectItem(req, "limits")) == NULL) {
				lim = cJSON_CreateObject();
				cJSON_AddItemToObject(req, "limits", lim);
			}
			cJSON_AddNumberToObject(lim, proto_limits[k].name,
			    (double)limits_rand_value((int)k, 1));
			ck_assert_int_eq(proto_submit_from_json(req, &s, err,
			    sizeof(err)), JOBQ_EINVAL);
			ck_assert_msg(strstr(err, proto_limits[k].name) != NULL,
			    "%s", err);
			cJSON_Delete(req);
		}
	}
	/* An unknown bit cannot be encoded. */
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.limits.set = JOBQ_LIMIT_ALL + 1;
	ck_assert_ptr_null(proto_submit_to_json(&o, NULL, "/"));
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
	cJSON_AddItemToObject(req, "labels", check_proto_strings(JOBQ_MAX_LABELS,
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
	cJSON_AddItemToObject(req, "labels", check_proto_strings(1, label));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "labels"));
	cJSON_Delete(req);

	/* JOBQ_MAX_DEPS dependencies pass, one more is too big. */
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", check_proto_deps(JOBQ_MAX_DEPS));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.ndeps, JOBQ_MAX_DEPS);
	ck_assert(s.deps[JOBQ_MAX_DEPS - 1].id == JOBQ_MAX_DEPS);
	ck_assert_int_eq(s.deps[JOBQ_MAX_DEPS - 1].mode, JOBQ_DEP_OK);
	proto_submit_release(&s);
	cJSON_Delete(req);
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", check_proto_deps(JOBQ_MAX_DEPS + 1));
	ck_assert_int_eq(proto_submit_from_json(req, &s, err, sizeof(err)),
	    JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "deps"));
	ck_assert_ptr_null(s.deps);
	cJSON_Delete(req);
	/* A bad dependency after good ones: nothing leaks (ASan). */
	req = base_submit();
	cJSON_AddItemToObject(req, "deps", check_proto_deps(10));
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

/* --- submit_batch --- */

/* The decoder's code and message for text. */
static int
batch_rc(const char *text, char *err, size_t errlen)
{
	struct proto_batch	 b;
	cJSON			*req;
	int			 rc;

	req = check_proto_parse(text);
	rc = proto_batch_from_json(req, &b, err, errlen);
	if (rc == 0)
		proto_batch_release(&b);
	else
		ck_assert_ptr_null(b.jobs);
	cJSON_Delete(req);
	return rc;
}

START_TEST(test_batch_roundtrip)
{
	static const char *const argv1[] = { "/bin/echo", "a b", "\n\"", NULL };
	static const char *const argv2[] = { "sh", "-c", "ünï", NULL };
	static const char *const env1[] = { "A=1", NULL };
	static const char *const env2[] = { "B=2", "C=", NULL };
	static const char *const labels[] = { "k=v", NULL };
	jobq_submit_opts	 o1, o2;
	struct proto_batch	 b, b2;
	struct proto_req	 r;
	cJSON			*req, *jobs = NULL, *enc;
	char			 err[256];

	memset(&o1, 0, sizeof(o1));
	memset(&o2, 0, sizeof(o2));
	o1.argv = argv1;
	o1.queue = "q1";
	o1.priority = -5;
	o1.name = "one";
	o2.argv = argv2;
	o2.max_retries = 3;
	o2.labels = labels;
	o2.timeout_ms = 1000;
	req = proto_batch_begin(&jobs);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(proto_batch_add(jobs, proto_submit_umask(
	    proto_submit_to_json(&o1, env1, "/tmp"), 027)), 0);
	ck_assert_int_eq(proto_batch_add(jobs, proto_submit_to_json(&o2, env2,
	    "/")), 0);
	ck_assert_int_eq(proto_batch_add(jobs, NULL), JOBQ_ENOMEM);
	ck_assert_int_eq(proto_req_from_json(req, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(r.op, PROTO_OP_SUBMIT_BATCH);
	ck_assert_uint_eq(r.u.batch.n, 2);
	b = r.u.batch;
	ck_assert_str_eq(b.jobs[0].argv[2], "\n\"");
	ck_assert_str_eq(b.jobs[0].queue, "q1");
	ck_assert_int_eq(b.jobs[0].priority, -5);
	ck_assert_int_eq(b.jobs[0].umask, 027);
	ck_assert_str_eq(b.jobs[0].cwd, "/tmp");
	ck_assert_str_eq(b.jobs[1].env[1], "C=");
	ck_assert_str_eq(b.jobs[1].queue, "default");
	ck_assert_int_eq(b.jobs[1].umask, -1);
	ck_assert_int_eq(b.jobs[1].max_retries, 3);
	ck_assert_uint_eq(b.jobs[1].nlabels, 1);
	ck_assert_int_eq(proto_cmp_req_roundtrip(&r, err, sizeof(err)), 0);
	/* encoded again and decoded: the same jobs */
	enc = proto_batch_to_json(&b);
	ck_assert_ptr_nonnull(enc);
	ck_assert_int_eq(proto_batch_from_json(enc, &b2, err, sizeof(err)), 0);
	ck_assert_uint_eq(b2.n, 2);
	ck_assert_str_eq(b2.jobs[0].argv[1], "a b");
	proto_batch_release(&b2);
	cJSON_Delete(enc);
	proto_req_release(&r);
	ck_assert_ptr_null(r.u.batch.jobs);
	cJSON_Delete(req);
}
END_TEST

START_TEST(test_batch_invalid)
{
	char	 err[256], *text;
	size_t	 i, len, off;
	const char *job = "{\"argv\":[\"t\"],\"env\":[],\"cwd\":\"/\"},";

	/* the batch's env is taken by the jobs without one */
	{
		struct proto_batch	 b;
		cJSON			*req;

		req = check_proto_parse("{\"env\":[\"S=1\"],\"jobs\":[{\"argv\":"
		    "[\"t\"],\"cwd\":\"/\"},{\"argv\":[\"t\"],\"env\":[],"
		    "\"cwd\":\"/\"}]}");
		ck_assert_int_eq(proto_batch_from_json(req, &b, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(b.jobs[0].envc, 1);
		ck_assert_str_eq(b.jobs[0].env[0], "S=1");
		ck_assert_uint_eq(b.jobs[1].envc, 0);
		proto_batch_release(&b);
		cJSON_Delete(req);
	}
	ck_assert_int_eq(batch_rc("{\"env\":[\"NOEQ\"],\"jobs\":[{\"argv\":"
	    "[\"t\"],\"cwd\":\"/\"}]}", err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "jobs[0]: \"env\""));
	ck_assert_int_eq(batch_rc("{\"op\":\"submit_batch\"}", err,
	    sizeof(err)), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "\"jobs\""));
	ck_assert_int_eq(batch_rc("{\"jobs\":{}}", err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_int_eq(batch_rc("{\"jobs\":[]}", err, sizeof(err)),
	    JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "must not be empty"));
	ck_assert_int_eq(batch_rc("{\"jobs\":[{\"argv\":[\"t\"],\"env\":[],"
	    "\"cwd\":\"/\"},7]}", err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_str_eq(err, "jobs[1]: request is not an object");
	ck_assert_int_eq(batch_rc("{\"jobs\":[{\"argv\":[\"t\"],\"env\":[],"
	    "\"cwd\":\"/\"},{\"argv\":[\"t\"],\"env\":[],\"cwd\":\"rel\"}]}",
	    err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_str_eq(err, "jobs[1]: \"cwd\" must be an absolute path");
	ck_assert_int_eq(batch_rc("{\"jobs\":[{\"argv\":[\"t\"],\"env\":"
	    "[\"NOEQ\"],\"cwd\":\"/\"}]}", err, sizeof(err)), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "jobs[0]: \"env\""));
	/* a short error buffer is cut, not overrun */
	ck_assert_int_eq(batch_rc("{\"jobs\":[5]}", err, 6), JOBQ_EINVAL);
	ck_assert_uint_eq(strlen(err), 5);
	/* PROTO_MAX_BATCH jobs pass, one more is too many */
	len = strlen(job);
	text = malloc(20 + (PROTO_MAX_BATCH + 1) * len);
	ck_assert_ptr_nonnull(text);
	off = (size_t)sprintf(text, "{\"jobs\":[");
	for (i = 0; i < PROTO_MAX_BATCH; i++, off += len)
		memcpy(text + off, job, len);
	strcpy(text + off - 1, "]}");
	ck_assert_int_eq(batch_rc(text, err, sizeof(err)), 0);
	text[off - 1] = ',';
	memcpy(text + off, job, len);
	strcpy(text + off + len - 1, "]}");
	ck_assert_int_eq(batch_rc(text, err, sizeof(err)), JOBQ_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "more than 100000"));
	free(text);
	/* the encoder refuses what the decoder would */
	ck_assert_ptr_null(proto_batch_to_json(NULL));
	{
		struct proto_batch	 e;

		memset(&e, 0, sizeof(e));
		ck_assert_ptr_null(proto_batch_to_json(&e));
	}
}
END_TEST

START_TEST(test_batch_reply)
{
	static const int64_t ids[] = { 5, 6, 7, ((int64_t)1 << 53) };
	int64_t	 got[4];
	cJSON	*rep, *back;
	char	 err[256];

	rep = proto_batch_reply_to_json(ids, 4);
	ck_assert_ptr_nonnull(rep);
	back = proto_cmp_reparse(rep);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(proto_batch_reply_from_json(back, got, 4, err,
	    sizeof(err)), 0);
	ck_assert_mem_eq(got, ids, sizeof(ids));
	/* the count must match what was sent */
	ck_assert_int_eq(proto_batch_reply_from_json(back, got, 3, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	back = check_proto_parse("{\"ok\":true,\"ids\":[1,0]}");
	ck_assert_int_eq(proto_batch_reply_from_json(back, got, 2, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "entry 1"));
	cJSON_Delete(back);
	back = check_proto_parse("{\"ok\":true,\"ids\":[1,\"2\"]}");
	ck_assert_int_eq(proto_batch_reply_from_json(back, got, 2, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(back);
	back = check_proto_parse("{\"ok\":true,\"ids\":{\"0\":1}}");
	ck_assert_int_eq(proto_batch_reply_from_json(back, got, 1, err,
	    sizeof(err)), JOBQ_EPROTO);
	cJSON_Delete(back);
}
END_TEST

void
check_proto_submit_add(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("submit");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_submit_ok);
	tcase_add_test(tc, test_submit_invalid);
	tcase_add_test(tc, test_submit_names);
	tcase_add_test(tc, test_submit_res);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_submit_ident_roundtrip);
	tcase_add_test(tc, test_submit_limits);
	tcase_add_test(tc, test_submit_sched_roundtrip);
	tcase_add_test(tc, test_submit_output_limit);
	tcase_add_test(tc, test_submit_limits_roundtrip);
	tcase_add_test(tc, test_submit_limits_invalid);
	tcase_add_test(tc, test_submit_to_json_bad);
	tcase_add_test(tc, test_submit_sched_invalid);
	tcase_add_test(tc, test_submit_sched_limits);
	tcase_add_test(tc, test_batch_roundtrip);
	tcase_add_test(tc, test_batch_invalid);
	tcase_add_test(tc, test_batch_reply);
	suite_add_tcase(s, tc);
}
