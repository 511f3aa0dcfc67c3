/*
 * proto_batch.c - the submit_batch request and its reply:
 * {"op":"submit_batch","jobs":[JOB,...]}, each JOB the members of a single
 * submit request (decoded by proto_submit_from_json, every limit of it
 * checked; an "op" member inside is ignored; without "env", the batch's
 * own "env", sent once), 1..PROTO_MAX_BATCH of them;
 * the reply {"ok":true,"ids":[ID,...]}, one id per job, in order.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

void
proto_batch_release(struct proto_batch *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		proto_submit_release(&b->jobs[i]);
	free(b->jobs);
	memset(b, 0, sizeof(*b));
}

int
proto_batch_from_json(const cJSON *req, struct proto_batch *out, char *err,
    size_t errlen)
{
	const cJSON	*jobs, *j, *env;
	char		 sub[256];
	size_t		 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	jobs = cJSON_GetObjectItemCaseSensitive(req, "jobs");
	if (!cJSON_IsArray(jobs)) {
		proto_seterr(err, errlen, "\"jobs\" must be an array of jobs");
		return JOBQ_EINVAL;
	}
	n = 0;
	cJSON_ArrayForEach(j, jobs) {
		if (++n > PROTO_MAX_BATCH) {
			proto_seterr(err, errlen, "\"jobs\" has more than %u "
			    "entries", (unsigned)PROTO_MAX_BATCH);
			return JOBQ_ETOOBIG;
		}
	}
	if (n == 0) {
		proto_seterr(err, errlen, "\"jobs\" must not be empty");
		return JOBQ_EINVAL;
	}
	env = cJSON_GetObjectItemCaseSensitive(req, "env");
	if ((out->jobs = calloc(n, sizeof(*out->jobs))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	cJSON_ArrayForEach(j, jobs) {
		if ((rc = proto_submit_from_json_env(j, env, &out->jobs[out->n],
		    sub, sizeof(sub))) != 0) {
			proto_seterr(err, errlen, "jobs[%zu]: %s", out->n, sub);
			proto_batch_release(out);
			return rc;
		}
		out->n++;
	}
	return 0;
}

/* A submit request made a batch element: its "op" member removed. */
static cJSON *
proto_batch_elem(cJSON *sreq)
{
	if (sreq != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(sreq, "op");
	return sreq;
}

cJSON *
proto_batch_begin(cJSON **jobs)
{
	struct proto_out	o;

	proto_out_begin(&o, "submit_batch");
	if (!o.failed && (*jobs = cJSON_AddArrayToObject(o.obj, "jobs")) ==
	    NULL)
		proto_out_fail(&o);
	return proto_out_end(&o);
}

int
proto_batch_env(cJSON *req, const char *const *env)
{
	cJSON	*a;
	size_t	 i;

	if (req == NULL || env == NULL ||
	    (a = cJSON_AddArrayToObject(req, "env")) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0; env[i] != NULL; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(env[i])))
			return JOBQ_ENOMEM;
	return 0;
}

int
proto_batch_add(cJSON *jobs, cJSON *submit_req)
{
	if (jobs == NULL || proto_batch_elem(submit_req) == NULL)
		return JOBQ_ENOMEM;
	if (!cJSON_AddItemToArray(jobs, submit_req)) {
		cJSON_Delete(submit_req);
		return JOBQ_ENOMEM;
	}
	return 0;
}

cJSON *
proto_batch_to_json(const struct proto_batch *b)
{
	cJSON	*req, *jobs = NULL;
	size_t	 i;

	if (b == NULL || b->n == 0 || b->n > PROTO_MAX_BATCH ||
	    (req = proto_batch_begin(&jobs)) == NULL)
		return NULL;
	for (i = 0; i < b->n; i++) {
		if (proto_batch_add(jobs,
		    proto_submit_req_to_json(&b->jobs[i])) != 0) {
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

cJSON *
proto_batch_reply_to_json(const int64_t *ids, size_t n)
{
	struct proto_out	 o;
	cJSON			*a = NULL, *id;
	char			 buf[32];
	size_t			 i;

	proto_out_ok(&o);
	if (!o.failed && (a = cJSON_AddArrayToObject(o.obj, "ids")) == NULL)
		proto_out_fail(&o);
	for (i = 0; i < n && !o.failed; i++) {
		/* Written as decimal text: exact for any id. */
		proto_fmt_int(buf, ids[i]);
		if ((id = cJSON_CreateRaw(buf)) == NULL ||
		    !cJSON_AddItemToArray(a, id)) {
			cJSON_Delete(id);
			proto_out_fail(&o);
		}
	}
	return proto_out_end(&o);
}

int
proto_batch_reply_from_json(const cJSON *reply, int64_t *ids, size_t n,
    char *err, size_t errlen)
{
	const cJSON	*a, *e;
	size_t		 i = 0;

	if (!cJSON_IsObject(reply)) {
		proto_seterr(err, errlen, "reply is not an object");
		return JOBQ_EPROTO;
	}
	a = cJSON_GetObjectItemCaseSensitive(reply, "ids");
	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n) {
		proto_seterr(err, errlen, "submit_batch reply \"ids\" is not "
		    "an array of %zu ids", n);
		return JOBQ_EPROTO;
	}
	cJSON_ArrayForEach(e, a) {
		if (proto_num_to_int(e, 1, PROTO_MAX_JSON_INT, &ids[i]) != 0) {
			proto_seterr(err, errlen, "submit_batch reply \"ids\" "
			    "entry %zu is not an id", i);
			return JOBQ_EPROTO;
		}
		i++;
	}
	return 0;
}
