/*
 * proto_schedule.c - the codec of recurring schedules (jobq-protocol(7)):
 * the requests schedule_add, schedule_list, schedule_show, schedule_pause,
 * schedule_resume, schedule_remove and schedule_run_now with every check of
 * their members, and a schedule object (jobq_schedule) in replies.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

static const char *const proto_schedule_overlaps[] = { "skip", "queue",
	"allow" };
static const char *const proto_schedule_catchups[] = { "none", "one", "all" };

static int
proto_schedule_mode(const char *const *names, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < 3; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *
proto_schedule_overlap_name(int mode)
{
	return mode >= 0 && mode < 3 ? proto_schedule_overlaps[mode] : NULL;
}

const char *
proto_schedule_catch_up_name(int mode)
{
	return mode >= 0 && mode < 3 ? proto_schedule_catchups[mode] : NULL;
}

int
proto_schedule_overlap_parse(const char *name)
{
	return proto_schedule_mode(proto_schedule_overlaps, name);
}

int
proto_schedule_catch_up_parse(const char *name)
{
	return proto_schedule_mode(proto_schedule_catchups, name);
}

/* The "name" member: required, a queue name's characters. */
static int
proto_schedule_name(const cJSON *req, const char **name, char *err,
    size_t errlen)
{
	const char *why;

	if (proto_get_str(req, "name", JOBQ_MAX_NAME, name, err, errlen) != 0)
		return JOBQ_EINVAL;
	if (*name == NULL) {
		proto_seterr(err, errlen, "missing string \"name\"");
		return JOBQ_EINVAL;
	}
	if ((why = proto_queue_name_check(*name)) != NULL) {
		proto_seterr(err, errlen, "name: \"%s\" %s", *name, why);
		return JOBQ_EINVAL;
	}
	return 0;
}

/* What a schedule's job template may not have: 0 or JOBQ_EINVAL. */
static int
proto_schedule_template(const struct proto_submit *s, char *err,
    size_t errlen)
{
	const char *what = NULL;

	if (s->array_count > 0)
		what = "an array";
	else if (s->ndeps > 0)
		what = "dependencies";
	else if (s->unique_key != NULL)
		what = "a unique key";
	else if (s->not_before != 0)
		what = "a start time";
	if (what == NULL)
		return 0;
	proto_seterr(err, errlen, "job: a schedule's job cannot have %s", what);
	return JOBQ_EINVAL;
}

/* The timing members of a schedule_add. */
static int
proto_schedule_timing(const cJSON *req, struct proto_schedule_add *out,
    char *err, size_t errlen)
{
	const char *ov = NULL, *cu = NULL;

	if (proto_get_str(req, "cron", PROTO_MAX_CRON, &out->cron, err,
	    errlen) != 0 ||
	    proto_get_str(req, "tz", PROTO_MAX_TZ, &out->tz, err,
	    errlen) != 0 ||
	    proto_get_int(req, "every_ms", 0, PROTO_MIN_EVERY_MS,
	    PROTO_MAX_TIMEOUT_MS, &out->every_ms, err, errlen) != 0 ||
	    proto_get_bool(req, "at_start", &out->at_start, err,
	    errlen) != 0 ||
	    proto_get_str(req, "overlap", 16, &ov, err, errlen) != 0 ||
	    proto_get_str(req, "catch_up", 16, &cu, err, errlen) != 0)
		return JOBQ_EINVAL;
	if ((out->cron == NULL) == (out->every_ms == 0)) {
		proto_seterr(err, errlen, "exactly one of \"cron\" and "
		    "\"every_ms\" is required");
		return JOBQ_EINVAL;
	}
	if (out->tz != NULL && out->cron == NULL) {
		proto_seterr(err, errlen, "\"tz\" goes with \"cron\" only");
		return JOBQ_EINVAL;
	}
	out->overlap = ov == NULL ? 0 : proto_schedule_overlap_parse(ov);
	out->catch_up = cu == NULL ? 1 : proto_schedule_catch_up_parse(cu);
	if (out->overlap < 0) {
		proto_seterr(err, errlen, "overlap: \"%s\" is none of skip, "
		    "queue, allow", ov);
		return JOBQ_EINVAL;
	}
	if (out->catch_up < 0) {
		proto_seterr(err, errlen, "catch_up: \"%s\" is none of none, "
		    "one, all", cu);
		return JOBQ_EINVAL;
	}
	return 0;
}

int
proto_schedule_add_from_json(const cJSON *req, struct proto_schedule_add *out,
    char *err, size_t errlen)
{
	char sub_err[200];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_schedule_name(req, &out->name, err, errlen)) != 0 ||
	    (rc = proto_schedule_timing(req, out, err, errlen)) != 0)
		return rc;
	out->job = cJSON_GetObjectItemCaseSensitive(req, "job");
	if (!cJSON_IsObject(out->job)) {
		proto_seterr(err, errlen, "missing object \"job\"");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_submit_from_json(out->job, &out->sub, sub_err,
	    sizeof(sub_err))) != 0) {
		proto_seterr(err, errlen, "job: %s", sub_err);
		return rc;
	}
	out->has_sub = 1;
	if ((rc = proto_schedule_template(&out->sub, err, errlen)) != 0) {
		proto_schedule_add_release(out);
		return rc;
	}
	return 0;
}

void
proto_schedule_add_release(struct proto_schedule_add *a)
{
	if (a == NULL || !a->has_sub)
		return;
	proto_submit_release(&a->sub);
	a->has_sub = 0;
}

cJSON *
proto_schedule_add_req(const struct proto_schedule_add *a, cJSON *job)
{
	struct proto_out o;

	if (a == NULL || job == NULL || a->name == NULL ||
	    proto_schedule_overlap_name(a->overlap) == NULL ||
	    proto_schedule_catch_up_name(a->catch_up) == NULL) {
		cJSON_Delete(job);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(job, "op");
	proto_out_begin(&o, "schedule_add");
	proto_out_str(&o, "name", a->name);
	proto_out_str_nn(&o, "cron", a->cron);
	proto_out_int_nz(&o, "every_ms", a->every_ms);
	proto_out_str_nn(&o, "tz", a->tz);
	if (a->at_start)
		proto_out_bool(&o, "at_start", 1);
	proto_out_str(&o, "overlap", proto_schedule_overlap_name(a->overlap));
	proto_out_str(&o, "catch_up",
	    proto_schedule_catch_up_name(a->catch_up));
	proto_out_item(&o, "job", job);
	return proto_out_end(&o);
}

cJSON *
proto_schedule_add_to_json(const struct proto_schedule_add *a)
{
	if (a == NULL || !a->has_sub)
		return NULL;
	return proto_schedule_add_req(a, proto_submit_req_to_json(&a->sub));
}

/* --- requests on one schedule: name, and owner_uid --- */

static int
proto_schedule_ref_from_json(const cJSON *req, struct proto_schedule_ref *out,
    char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->owner_uid = -1;
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_schedule_name(req, &out->name, err, errlen)) != 0)
		return rc;
	if (proto_get_int(req, "owner_uid", 0, 0, UINT32_MAX - 1,
	    &out->owner_uid, err, errlen) != 0)
		return JOBQ_EINVAL;
	return 0;
}

static cJSON *
proto_schedule_ref_to_json(const char *op, const struct proto_schedule_ref *r)
{
	struct proto_out o;

	if (r == NULL || r->name == NULL || r->owner_uid < -1 ||
	    r->owner_uid > (int64_t)UINT32_MAX - 1)
		return NULL;
	proto_out_begin(&o, op);
	proto_out_str(&o, "name", r->name);
	if (r->owner_uid >= 0)
		proto_out_int(&o, "owner_uid", r->owner_uid);
	return proto_out_end(&o);
}

#define PROTO_SCHEDULE_REF(op)						\
int									\
proto_##op##_from_json(const cJSON *req, struct proto_schedule_ref *out,\
    char *err, size_t errlen)						\
{									\
	return proto_schedule_ref_from_json(req, out, err, errlen);	\
}									\
cJSON *									\
proto_##op##_to_json(const struct proto_schedule_ref *r)		\
{									\
	return proto_schedule_ref_to_json(#op, r);			\
}
PROTO_SCHEDULE_REF(schedule_show)
PROTO_SCHEDULE_REF(schedule_pause)
PROTO_SCHEDULE_REF(schedule_resume)
PROTO_SCHEDULE_REF(schedule_remove)
PROTO_SCHEDULE_REF(schedule_run_now)

int
proto_schedule_list_from_json(const cJSON *req, char *err, size_t errlen)
{
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	return 0;
}

cJSON *
proto_schedule_list_to_json(void)
{
	return proto_op_object("schedule_list");
}

/* --- a schedule in a reply --- */

cJSON *
proto_schedule_to_json(const jobq_schedule *s)
{
	struct proto_out o;

	if (s == NULL || s->name == NULL ||
	    proto_schedule_overlap_name((int)s->overlap) == NULL ||
	    proto_schedule_catch_up_name((int)s->catch_up) == NULL)
		return NULL;
	proto_out_begin(&o, NULL);
	proto_out_str(&o, "name", s->name);
	proto_out_int(&o, "owner_uid", s->owner_uid);
	proto_out_str_nn(&o, "cron", s->cron);
	proto_out_int_nz(&o, "every_ms", s->every_ms);
	proto_out_str_nn(&o, "tz", s->tz);
	proto_out_bool(&o, "at_start", s->at_start);
	proto_out_str(&o, "overlap", proto_schedule_overlap_name(
	    (int)s->overlap));
	proto_out_str(&o, "catch_up", proto_schedule_catch_up_name(
	    (int)s->catch_up));
	proto_out_bool(&o, "paused", s->paused);
	proto_out_int(&o, "created_at", s->created_at);
	proto_out_int(&o, "last_fire", s->last_fire);
	proto_out_int(&o, "next_fire", s->next_fire);
	proto_out_int(&o, "runs", s->runs);
	proto_out_int(&o, "skips", s->skips);
	proto_out_int(&o, "misses", s->misses);
	proto_out_int(&o, "last_skip", s->last_skip);
	proto_out_int(&o, "last_job", s->last_job);
	if (s->last_job_state >= 0 && s->last_job_state < JOBQ_STATE_COUNT)
		proto_out_str(&o, "last_job_state",
		    jobq_state_name((jobq_state)s->last_job_state));
	proto_out_str_nn(&o, "queue", s->queue);
	proto_out_strv(&o, "argv", (const char *const *)s->argv, s->argc);
	proto_out_int(&o, "slots", s->slots > 0 ? s->slots : 1);
	proto_out_str_nn(&o, "res", s->res);
	return proto_out_end(&o);
}

void
jobq_schedule_free(jobq_schedule *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->name);
	free(s->cron);
	free(s->tz);
	free(s->queue);
	free(s->res);
	for (i = 0; s->argv != NULL && i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	free(s);
}

void
jobq_schedule_list_free(jobq_schedule **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		jobq_schedule_free(v[i]);
	free(v);
}

/* The integer members of a schedule object. */
static const struct {
	const char *key;
	int64_t max;
	size_t off;
} proto_schedule_ints[] = {
	{ "created_at", INT64_MAX, offsetof(jobq_schedule, created_at) },
	{ "last_fire", INT64_MAX, offsetof(jobq_schedule, last_fire) },
	{ "next_fire", INT64_MAX, offsetof(jobq_schedule, next_fire) },
	{ "runs", INT64_MAX, offsetof(jobq_schedule, runs) },
	{ "skips", INT64_MAX, offsetof(jobq_schedule, skips) },
	{ "misses", INT64_MAX, offsetof(jobq_schedule, misses) },
	{ "last_skip", INT64_MAX, offsetof(jobq_schedule, last_skip) },
	{ "last_job", INT64_MAX, offsetof(jobq_schedule, last_job) },
};

/* The strings and modes of a schedule object into s. */
static int
proto_schedule_strs(const cJSON *obj, jobq_schedule *s, char *err,
    size_t errlen)
{
	const cJSON *st, *ov, *cu;
	int rc, m;

	if ((rc = proto_job_str(obj, "name", 0, &s->name, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "cron", 1, &s->cron, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "tz", 1, &s->tz, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "queue", 1, &s->queue, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "res", 1, &s->res, err, errlen)) != 0)
		return rc;
	ov = cJSON_GetObjectItemCaseSensitive(obj, "overlap");
	cu = cJSON_GetObjectItemCaseSensitive(obj, "catch_up");
	st = cJSON_GetObjectItemCaseSensitive(obj, "last_job_state");
	if ((m = proto_schedule_overlap_parse(cJSON_GetStringValue(ov))) < 0) {
		proto_seterr(err, errlen, "schedule \"overlap\" is unknown");
		return JOBQ_EPROTO;
	}
	s->overlap = (jobq_overlap)m;
	if ((m = proto_schedule_catch_up_parse(cJSON_GetStringValue(cu))) < 0) {
		proto_seterr(err, errlen, "schedule \"catch_up\" is unknown");
		return JOBQ_EPROTO;
	}
	s->catch_up = (jobq_catch_up)m;
	s->last_job_state = -1;
	if (st != NULL && (!cJSON_IsString(st) ||
	    (s->last_job_state = jobq_state_parse(st->valuestring)) < 0)) {
		proto_seterr(err, errlen, "schedule \"last_job_state\" is not "
		    "a state");
		return JOBQ_EPROTO;
	}
	return 0;
}

int
proto_schedule_from_json(const cJSON *obj, jobq_schedule **out, char *err,
    size_t errlen)
{
	const char **argv = NULL;
	jobq_schedule *s;
	int64_t v;
	size_t i, bytes = 0;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "schedule is not an object");
		return JOBQ_EPROTO;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = proto_schedule_strs(obj, s, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_rep_int(obj, "schedule", "owner_uid", 0, UINT32_MAX,
	    &v, err, errlen)) != 0)
		goto fail;
	s->owner_uid = (uint32_t)v;
	if ((rc = proto_job_int(obj, "every_ms", 1, 0, 0, INT64_MAX,
	    &s->every_ms, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "slots", 1, 1, 1, JOBQ_MAX_SLOTS, &v, err,
	    errlen)) != 0)
		goto fail;
	s->slots = (int)v;
	for (i = 0; i < sizeof(proto_schedule_ints) /
	    sizeof(proto_schedule_ints[0]); i++) {
		if ((rc = proto_rep_int(obj, "schedule",
		    proto_schedule_ints[i].key, 0, proto_schedule_ints[i].max,
		    &v, err, errlen)) != 0)
			goto fail;
		*(int64_t *)(void *)((char *)s + proto_schedule_ints[i].off) =
		    v;
	}
	s->at_start = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj,
	    "at_start"));
	s->paused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj,
	    "paused"));
	if ((rc = proto_submit_strings(obj, "argv", NULL, 0, JOBQ_MAX_ARGS, 0,
	    &argv, &s->argc, &bytes, err, errlen)) != 0) {
		rc = rc == JOBQ_ENOMEM ? rc : JOBQ_EPROTO;
		goto fail;
	}
	if ((s->argv = calloc(s->argc + 1, sizeof(*s->argv))) == NULL) {
		rc = JOBQ_ENOMEM;
		goto fail;
	}
	for (i = 0; i < s->argc; i++)
		if ((s->argv[i] = strdup(argv[i])) == NULL) {
			rc = JOBQ_ENOMEM;
			goto fail;
		}
	free(argv);
	*out = s;
	return 0;
fail:
	free(argv);
	jobq_schedule_free(s);
	return rc;
}

cJSON *
proto_schedule_reply_to_json(const jobq_schedule *s)
{
	struct proto_out o;

	proto_out_ok(&o);
	proto_out_item(&o, "schedule", proto_schedule_to_json(s));
	return proto_out_end(&o);
}

int
proto_schedule_reply_from_json(const cJSON *reply, jobq_schedule **out,
    char *err, size_t errlen)
{
	return proto_schedule_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "schedule"), out, err, errlen);
}

cJSON *
proto_schedule_list_reply_to_json(jobq_schedule *const *v, size_t n)
{
	struct proto_out o;
	cJSON *arr, *item;
	size_t i;

	proto_out_ok(&o);
	if (o.failed || (arr = cJSON_AddArrayToObject(o.obj, "schedules")) ==
	    NULL) {
		proto_out_fail(&o);
		return proto_out_end(&o);
	}
	for (i = 0; i < n && !o.failed; i++) {
		if ((item = proto_schedule_to_json(v[i])) == NULL)
			proto_out_fail(&o);
		else
			cJSON_AddItemToArray(arr, item);
	}
	return proto_out_end(&o);
}

int
proto_schedule_list_reply_from_json(const cJSON *reply, jobq_schedule ***out,
    size_t *nout, char *err, size_t errlen)
{
	const cJSON *arr, *a;
	jobq_schedule **v;
	size_t n, i = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	arr = cJSON_GetObjectItemCaseSensitive(reply, "schedules");
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "\"schedules\" is not an array");
		return JOBQ_EPROTO;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return JOBQ_ENOMEM;
	cJSON_ArrayForEach(a, arr) {
		if ((rc = proto_schedule_from_json(a, &v[i], err,
		    errlen)) != 0) {
			jobq_schedule_list_free(v, i);
			return rc;
		}
		i++;
	}
	*out = v;
	*nout = i;
	return 0;
}
