/*
 * dispatch_reply.c - dispatch's replies to a request (loop thread only):
 * each ends the request (r->reply is called exactly once) after dispatch
 * has let go of it.  Every reply is built by the codec (proto.h: the
 * proto_*_reply_to_json encoders and proto_error_reply); dispatch builds
 * no JSON of its own.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "proto.h"
#include "dispatch_int.h"

void
dispatch_reply_detach(struct dispatch_req *r)
{
	r->abandon = NULL;
	r->priv = NULL;
}

void
dispatch_reply(struct dispatch_req *r, cJSON *reply)
{
	dispatch_reply_detach(r);
	r->reply(r, reply);
}

void
dispatch_reply_error(struct dispatch_req *r, int err, const char *msg)
{
	dispatch_reply(r, proto_error_reply(err, msg));
}

void
dispatch_reply_status(struct dispatch_req *r, int err)
{
	const char *msg;

	switch (err) {
	case JOBQ_ENOTFOUND: msg = "no such job"; break;
	case JOBQ_EISARRAY: msg = "the id names an array"; break;
	default: msg = jobq_strerror(err); break;
	}
	dispatch_reply_error(r, err, msg);
}

void
dispatch_reply_encoded(struct dispatch_req *r, cJSON *rep)
{
	if (rep == NULL)
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
	else
		dispatch_reply(r, rep);
}

/* Every reply that carries a job or jobs shows them as r may see them
 * (dispatch_view_job). */
void
dispatch_reply_job(struct dispatch_req *r, const jobq_job *job)
{
	const jobq_job *v;
	jobq_job tmp;

	if ((v = dispatch_view_job(r, job, &tmp)) == NULL)
		dispatch_reply_status(r, JOBQ_ENOTFOUND);
	else
		dispatch_reply_encoded(r, proto_job_reply_to_json(v));
}

void
dispatch_reply_jobs(struct dispatch_req *r, jobq_job *const *jobs, size_t n,
    int64_t total)
{
	const jobq_job **v;
	jobq_job *tmp;
	size_t i, k = 0;

	if ((v = calloc(n + 1, sizeof *v)) == NULL ||
	    (tmp = calloc(n + 1, sizeof *tmp)) == NULL) {
		free(v);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		if ((v[k] = dispatch_view_job(r, jobs[i], &tmp[k])) != NULL)
			k++;
	dispatch_reply_encoded(r, proto_list_reply_to_json(
	    (jobq_job *const *)v, k, total));
	free(tmp);
	free(v);
}
