/*
 * proto_usage.c - the "usage" member of the stats and queue_list replies
 * <-> jobq_usage: what is in use of the worker slots and of each named
 * resource (jobqd --resource), in the order configured.
 *
 *   "usage": {"slots_used":N, "slots_total":N,
 *             "resources":[{"name":"gpu","used":N,"total":N}, ...]}
 *
 * A reply without "usage" (an older jobqd) decodes as all zeros.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "proto_int.h"

#define PROTO_USAGE_MAX_RES 64
#define PROTO_USAGE_MAX_N   (1 << 20)

cJSON *
proto_usage_add(cJSON *reply, const jobq_usage *u)
{
	cJSON *o, *arr, *r;
	size_t i;

	if (reply == NULL)
		return NULL;
	if ((o = cJSON_AddObjectToObject(reply, "usage")) == NULL ||
	    cJSON_AddNumberToObject(o, "slots_used", u->slots_used) == NULL ||
	    cJSON_AddNumberToObject(o, "slots_total", u->slots_total) ==
	    NULL || (arr = cJSON_AddArrayToObject(o, "resources")) == NULL)
		goto fail;
	for (i = 0; i < u->nres; i++) {
		if ((r = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, r);
		if (cJSON_AddStringToObject(r, "name", u->res[i].name) ==
		    NULL ||
		    cJSON_AddNumberToObject(r, "used", u->res[i].used) ==
		    NULL ||
		    cJSON_AddNumberToObject(r, "total", u->res[i].total) ==
		    NULL)
			goto fail;
	}
	return reply;
fail:
	cJSON_Delete(reply);
	return NULL;
}

void
jobq_usage_free(jobq_usage *u)
{
	if (u == NULL)
		return;
	free(u->res);
	free(u);
}

/* One entry of "resources" into r. */
static int
proto_usage_res(const cJSON *item, jobq_res_usage *r, char *err,
    size_t errlen)
{
	const cJSON *name;
	int64_t v;
	int rc;

	name = cJSON_GetObjectItemCaseSensitive(item, "name");
	if (!cJSON_IsObject(item) || !cJSON_IsString(name) ||
	    name->valuestring == NULL || name->valuestring[0] == '\0' ||
	    strlen(name->valuestring) >= sizeof(r->name)) {
		proto_seterr(err, errlen, "usage resource has no valid "
		    "\"name\"");
		return JOBQ_EPROTO;
	}
	strcpy(r->name, name->valuestring);
	if ((rc = proto_rep_int(item, "usage resource", "total", 0,
	    PROTO_USAGE_MAX_N, &v, err, errlen)) != 0)
		return rc;
	r->total = (int)v;
	if ((rc = proto_rep_int(item, "usage resource", "used", 0,
	    PROTO_USAGE_MAX_N, &v, err, errlen)) != 0)
		return rc;
	r->used = (int)v;
	return 0;
}

int
proto_usage_from_reply(const cJSON *reply, jobq_usage **out, char *err,
    size_t errlen)
{
	const cJSON *o, *arr, *item;
	jobq_usage *u;
	int64_t v;
	size_t n;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(reply)) {
		proto_seterr(err, errlen, "reply is not an object");
		return JOBQ_EPROTO;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return JOBQ_ENOMEM;
	o = cJSON_GetObjectItemCaseSensitive(reply, "usage");
	if (o == NULL) {
		*out = u;
		return 0;
	}
	if (!cJSON_IsObject(o)) {
		proto_seterr(err, errlen, "\"usage\" is not an object");
		rc = JOBQ_EPROTO;
		goto fail;
	}
	if ((rc = proto_rep_int(o, "usage", "slots_total", 0,
	    PROTO_USAGE_MAX_N, &v, err, errlen)) != 0)
		goto fail;
	u->slots_total = (int)v;
	if ((rc = proto_rep_int(o, "usage", "slots_used", 0,
	    PROTO_USAGE_MAX_N, &v, err, errlen)) != 0)
		goto fail;
	u->slots_used = (int)v;
	arr = cJSON_GetObjectItemCaseSensitive(o, "resources");
	if (!cJSON_IsArray(arr) ||
	    (n = (size_t)cJSON_GetArraySize(arr)) > PROTO_USAGE_MAX_RES) {
		proto_seterr(err, errlen, "usage \"resources\" is not an "
		    "array of at most %d", PROTO_USAGE_MAX_RES);
		rc = JOBQ_EPROTO;
		goto fail;
	}
	/* at least one entry: cJSON_ArrayForEach below may not be told n */
	if ((u->res = calloc(n > 0 ? n : 1, sizeof(*u->res))) == NULL) {
		rc = JOBQ_ENOMEM;
		goto fail;
	}
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_usage_res(item, &u->res[u->nres], err,
		    errlen)) != 0)
			goto fail;
		u->nres++;
	}
	*out = u;
	return 0;
fail:
	jobq_usage_free(u);
	return rc;
}
