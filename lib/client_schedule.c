/*
 * client_schedule.c - libjobq's calls on recurring schedules (jobq.h):
 * jobq_schedule_add() sends a submit request as the template, the others
 * name a schedule (and its owner, for an administrator).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "client_int.h"
#include "proto.h"

/* A schedule reply into *out (NULL: dropped). */
static int
client_schedule_call(jobq_client *c, cJSON *req, jobq_schedule **out)
{
	jobq_schedule *s = NULL;
	cJSON *reply;
	int rc;

	if (req == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_schedule_reply_from_json(reply, &s, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = s;
	else
		jobq_schedule_free(s);
	return 0;
}

int
jobq_schedule_add(jobq_client *c, const jobq_schedule_opts *opts,
    const jobq_submit_opts *job, const jobq_submit_ext *ext,
    jobq_schedule **out)
{
	struct proto_schedule_add a;
	jobq_schedule_opts o;
	jobq_submit_ext x;
	cJSON *req;
	int rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (client_ext_copy(&o, sizeof(o), opts) != 0 || opts == NULL ||
	    job == NULL || !client_jobs_submit_ok(job) ||
	    client_ext_copy(&x, sizeof(x), ext) != 0 || o.name == NULL ||
	    (o.cron == NULL) == (o.every_ms <= 0) ||
	    (o.cron == NULL && o.every_ms < PROTO_MIN_EVERY_MS) ||
	    proto_schedule_overlap_name((int)o.overlap) == NULL ||
	    proto_schedule_catch_up_name((int)o.catch_up) == NULL)
		return JOBQ_EINVAL;
	if ((rc = client_jobs_submit_req(c, job, &req)) != 0)
		return rc;
	if (req != NULL && ext != NULL)
		req = proto_submit_ext(req, &x);
	if (req == NULL)
		return JOBQ_ENOMEM;
	memset(&a, 0, sizeof(a));
	a.name = o.name;
	a.cron = o.cron;
	a.every_ms = o.cron == NULL ? o.every_ms : 0;
	a.tz = o.tz;
	a.at_start = o.at_start;
	a.overlap = (int)o.overlap;
	a.catch_up = (int)o.catch_up;
	return client_schedule_call(c, proto_schedule_add_req(&a, req), out);
}

int
jobq_schedule_list(jobq_client *c, jobq_schedule ***out, size_t *n_out)
{
	jobq_schedule **v;
	cJSON *req, *reply;
	size_t n;
	int rc;

	if (out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((req = proto_schedule_list_to_json()) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_schedule_list_reply_from_json(reply, &v, &n, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	*out = v;
	*n_out = n;
	return 0;
}

/* The reference of a request on one schedule: 0 or JOBQ_EINVAL. */
static int
client_schedule_ref(jobq_client *c, const char *name, int64_t owner_uid,
    struct proto_schedule_ref *r)
{
	int rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (name == NULL || !proto_queue_name_ok(name) || owner_uid < -1 ||
	    owner_uid > (int64_t)UINT32_MAX - 1)
		return JOBQ_EINVAL;
	r->name = name;
	r->owner_uid = owner_uid;
	return 0;
}

/* show, pause or resume: the request to_json makes on the schedule; out
 * (may be NULL unless need_out) gets the schedule as it is after it. */
static int
client_schedule_one(jobq_client *c, const char *name, int64_t owner_uid,
    cJSON *(*to_json)(const struct proto_schedule_ref *), int need_out,
    jobq_schedule **out)
{
	struct proto_schedule_ref r;
	int rc;

	if (out == NULL && need_out)
		return JOBQ_EINVAL;
	if (out != NULL)
		*out = NULL;
	if ((rc = client_schedule_ref(c, name, owner_uid, &r)) != 0)
		return rc;
	return client_schedule_call(c, to_json(&r), out);
}

int
jobq_schedule_show(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out)
{
	return client_schedule_one(c, name, owner_uid,
	    proto_schedule_show_to_json, 1, out);
}

int
jobq_schedule_pause(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out)
{
	return client_schedule_one(c, name, owner_uid,
	    proto_schedule_pause_to_json, 0, out);
}

int
jobq_schedule_resume(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out)
{
	return client_schedule_one(c, name, owner_uid,
	    proto_schedule_resume_to_json, 0, out);
}

int
jobq_schedule_remove(jobq_client *c, const char *name, int64_t owner_uid)
{
	struct proto_schedule_ref r;
	cJSON *req, *reply;
	int rc;

	if ((rc = client_schedule_ref(c, name, owner_uid, &r)) != 0)
		return rc;
	if ((req = proto_schedule_remove_to_json(&r)) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	return client_decoded(c, reply, 0);
}

int
jobq_schedule_run_now(jobq_client *c, const char *name, int64_t owner_uid,
    int64_t *id_out)
{
	struct proto_submit_reply sr;
	struct proto_schedule_ref r;
	cJSON *req, *reply;
	int rc;

	if (id_out != NULL)
		*id_out = 0;
	if ((rc = client_schedule_ref(c, name, owner_uid, &r)) != 0)
		return rc;
	if ((req = proto_schedule_run_now_to_json(&r)) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_submit_reply_from_json(reply, &sr, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (id_out != NULL)
		*id_out = sr.id;
	return 0;
}
