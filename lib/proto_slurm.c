/*
 * proto_slurm.c - the "slurm" member of the stats and queue_list replies
 * <-> jobq_slurm_info: jobqd's view of the Slurm controller, present only
 * while jobqd uses Slurm (a queue with the slurm executor has had a job,
 * or runs are still there).
 *
 *   "slurm": {"reachable":BOOL, "since":MS, "error":STR,
 *             "pending":N, "running":N, "submitting":N}
 *
 * A reply without "slurm" (Slurm not in use, or an older jobqd) decodes as
 * configured 0 and all zeros.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "proto_int.h"

/* The largest count or time the member carries: what a double holds
 * exactly. */
#define PROTO_SLURM_MAX_N ((int64_t)1 << 53)

cJSON *
proto_slurm_add(cJSON *reply, const jobq_slurm_info *si)
{
	cJSON *o;

	if (reply == NULL || si == NULL || !si->configured)
		return reply;
	if (memchr(si->error, '\0', sizeof(si->error)) == NULL)
		goto fail;
	if ((o = cJSON_AddObjectToObject(reply, "slurm")) == NULL ||
	    cJSON_AddBoolToObject(o, "reachable", si->reachable != 0) ==
	    NULL ||
	    proto_add_int(o, "since", si->since_ms) != 0 ||
	    cJSON_AddStringToObject(o, "error", si->error) == NULL ||
	    proto_add_int(o, "pending", si->pending) != 0 ||
	    proto_add_int(o, "running", si->running) != 0 ||
	    proto_add_int(o, "submitting", si->submitting) != 0)
		goto fail;
	return reply;
fail:
	cJSON_Delete(reply);
	return NULL;
}

int
proto_slurm_from_reply(const cJSON *reply, jobq_slurm_info *out, char *err,
    size_t errlen)
{
	const cJSON *o, *item;
	jobq_slurm_info si;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(reply)) {
		proto_seterr(err, errlen, "reply is not an object");
		return JOBQ_EPROTO;
	}
	if ((o = cJSON_GetObjectItemCaseSensitive(reply, "slurm")) == NULL)
		return 0;
	if (!cJSON_IsObject(o)) {
		proto_seterr(err, errlen, "\"slurm\" is not an object");
		return JOBQ_EPROTO;
	}
	memset(&si, 0, sizeof(si));
	si.configured = 1;
	item = cJSON_GetObjectItemCaseSensitive(o, "reachable");
	if (!cJSON_IsBool(item)) {
		proto_seterr(err, errlen, "slurm \"reachable\" is not a "
		    "boolean");
		return JOBQ_EPROTO;
	}
	si.reachable = cJSON_IsTrue(item);
	item = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (!cJSON_IsString(item) || item->valuestring == NULL ||
	    strlen(item->valuestring) >= sizeof(si.error)) {
		proto_seterr(err, errlen, "slurm \"error\" is not a string of "
		    "at most %zu bytes", sizeof(si.error) - 1);
		return JOBQ_EPROTO;
	}
	strcpy(si.error, item->valuestring);
	if ((rc = proto_rep_int(o, "slurm", "since", 0, PROTO_SLURM_MAX_N,
	    &si.since_ms, err, errlen)) != 0 ||
	    (rc = proto_rep_int(o, "slurm", "pending", 0, PROTO_SLURM_MAX_N,
	    &si.pending, err, errlen)) != 0 ||
	    (rc = proto_rep_int(o, "slurm", "running", 0, PROTO_SLURM_MAX_N,
	    &si.running, err, errlen)) != 0 ||
	    (rc = proto_rep_int(o, "slurm", "submitting", 0,
	    PROTO_SLURM_MAX_N, &si.submitting, err, errlen)) != 0)
		return rc;
	*out = si;
	return 0;
}
