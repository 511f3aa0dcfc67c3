/*
 * dispatch_reply.c - dispatch's replies to a request (loop thread only):
 * each ends the request (r->reply is called exactly once) after dispatch
 * has let go of it.
 */
#include "config.h"

#include <stddef.h>

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
dispatch_reply_object(struct dispatch_req *r, const char *key, cJSON *obj)
{
	cJSON *rep;

	if (obj == NULL || (rep = proto_ok_reply()) == NULL) {
		cJSON_Delete(obj);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	cJSON_AddItemToObject(rep, key, obj);
	dispatch_reply(r, rep);
}

void
dispatch_reply_job(struct dispatch_req *r, const jobq_job *job)
{
	dispatch_reply_object(r, "job", proto_job_to_json(job));
}
