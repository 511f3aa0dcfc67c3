/*
 * proto_req.c - the requests other than submit (hello, ping, get, list,
 * cancel, wait, logs, priority, retry, purge, queue_set, queue_list, stats,
 * watch): decoded with every check jobqd makes, with its codes and
 * messages, and encoded the way libjobq sends them; and the op table that
 * routes any request, submit included, by its "op" to its codec.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

/* Every decoder first: requests are objects. */
static int
proto_req_object(const cJSON *req, char *err, size_t errlen)
{
	if (cJSON_IsObject(req))
		return 0;
	proto_seterr(err, errlen, "request is not an object");
	return JOBQ_EINVAL;
}

/* --- references to a job, a task or an array --- */

int
proto_ref_from_json(const cJSON *req, int allow_array, struct proto_ref *out,
    char *err, size_t errlen)
{
	const cJSON	*a;

	memset(out, 0, sizeof(*out));
	if (proto_get_int(req, "id", 1, 1, INT64_MAX, &out->id, err,
	    errlen) != 0)
		return JOBQ_EINVAL;
	if (cJSON_GetObjectItemCaseSensitive(req, "index") != NULL) {
		if (proto_get_int(req, "index", 1, INT64_MIN, INT64_MAX,
		    &out->index, err, errlen) != 0)
			return JOBQ_EINVAL;
		out->has_index = 1;
	}
	if ((a = cJSON_GetObjectItemCaseSensitive(req, "array")) != NULL) {
		if (!cJSON_IsBool(a)) {
			proto_seterr(err, errlen, "array: must be true or false");
			return JOBQ_EINVAL;
		}
		out->array = cJSON_IsTrue(a);
	}
	if (out->array && !allow_array) {
		proto_seterr(err, errlen, "array: not allowed in this request");
		return JOBQ_EINVAL;
	}
	if (out->array && out->has_index) {
		proto_seterr(err, errlen, "array and index exclude each other");
		return JOBQ_EINVAL;
	}
	return 0;
}

int
proto_ref_add(cJSON *req, const struct proto_ref *ref)
{
	if (proto_add_int(req, "id", ref->id) != 0 ||
	    (ref->has_index && proto_add_int(req, "index", ref->index) != 0) ||
	    (ref->array && cJSON_AddTrueToObject(req, "array") == NULL))
		return JOBQ_ENOMEM;
	return 0;
}

/* Decodes a request that is only a ref. */
static int
proto_ref_req(const cJSON *req, int allow_array, struct proto_ref *out,
    char *err, size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_req_object(req, err, errlen)) != 0)
		return rc;
	return proto_ref_from_json(req, allow_array, out, err, errlen);
}

/* {"op":op, REF}: a builder for the requests on a job. */
static void
proto_ref_begin(struct proto_out *o, const char *op,
    const struct proto_ref *ref)
{
	proto_out_begin(o, op);
	if (ref == NULL)
		proto_out_fail(o);
	else if (!o->failed && proto_ref_add(o->obj, ref) != 0)
		proto_out_fail(o);
}

/* The encoder of a request that is only a ref. */
static cJSON *
proto_ref_to_json(const char *op, const struct proto_ref *ref)
{
	struct proto_out	o;

	proto_ref_begin(&o, op, ref);
	return proto_out_end(&o);
}

/* --- hello --- */

int
proto_hello_from_json(const cJSON *req, struct proto_hello *out, char *err,
    size_t errlen)
{
	const cJSON	*c;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EBADREQ;
	}
	if (proto_get_int(req, "version", 1, 0, INT32_MAX, &out->version, err,
	    errlen) != 0)
		return JOBQ_EBADREQ;
	c = cJSON_GetObjectItemCaseSensitive(req, "client");
	if (cJSON_IsString(c) && c->valuestring != NULL)
		out->client = c->valuestring;
	if (out->version != JOBQ_PROTOCOL_VERSION) {
		proto_seterr(err, errlen, "protocol version %" PRId64 " is not "
		    "supported (this jobqd speaks %d)", out->version,
		    JOBQ_PROTOCOL_VERSION);
		return JOBQ_EVERSION;
	}
	return 0;
}

cJSON *
proto_hello_to_json(const struct proto_hello *h)
{
	struct proto_out	o;

	if (h == NULL)
		return NULL;
	proto_out_begin(&o, "hello");
	proto_out_int(&o, "version", h->version);
	proto_out_str_nn(&o, "client", h->client);
	return proto_out_end(&o);
}

/* --- requests without members: ping, queue_list, stats --- */

int
proto_ping_from_json(const cJSON *req, char *err, size_t errlen)
{
	return proto_req_object(req, err, errlen);
}

cJSON *
proto_ping_to_json(void)
{
	return proto_op_object("ping");
}

int
proto_queue_list_from_json(const cJSON *req, char *err, size_t errlen)
{
	return proto_req_object(req, err, errlen);
}

cJSON *
proto_queue_list_to_json(void)
{
	return proto_op_object("queue_list");
}

int
proto_stats_req_from_json(const cJSON *req, char *err, size_t errlen)
{
	return proto_req_object(req, err, errlen);
}

cJSON *
proto_stats_req_to_json(void)
{
	return proto_op_object("stats");
}

int
proto_metrics_req_from_json(const cJSON *req, char *err, size_t errlen)
{
	return proto_req_object(req, err, errlen);
}

cJSON *
proto_metrics_req_to_json(void)
{
	return proto_op_object("metrics");
}

/* --- get, cancel, retry, wait, priority --- */

int
proto_get_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 1, out, err, errlen);
}

cJSON *
proto_get_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("get", ref);
}

int
proto_cancel_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 1, out, err, errlen);
}

cJSON *
proto_cancel_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("cancel", ref);
}

int
proto_retry_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 0, out, err, errlen);
}

cJSON *
proto_retry_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("retry", ref);
}

int
proto_hold_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 1, out, err, errlen);
}

cJSON *
proto_hold_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("hold", ref);
}

int
proto_release_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 1, out, err, errlen);
}

cJSON *
proto_release_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("release", ref);
}

int
proto_history_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen)
{
	return proto_ref_req(req, 0, out, err, errlen);
}

cJSON *
proto_history_to_json(const struct proto_ref *ref)
{
	return proto_ref_to_json("history", ref);
}

int
proto_wait_from_json(const cJSON *req, struct proto_wait *out, char *err,
    size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	out->timeout_ms = -1;
	if ((rc = proto_ref_req(req, 1, &out->ref, err, errlen)) != 0)
		return rc;
	if (proto_get_int(req, "timeout_ms", 0, INT64_MIN, INT64_MAX,
	    &out->timeout_ms, err, errlen) != 0)
		return JOBQ_EINVAL;
	if (out->timeout_ms < 0)
		out->timeout_ms = -1;
	return 0;
}

cJSON *
proto_wait_to_json(const struct proto_wait *w)
{
	struct proto_out	o;

	proto_ref_begin(&o, "wait", w != NULL ? &w->ref : NULL);
	if (w != NULL && w->timeout_ms >= 0)
		proto_out_int(&o, "timeout_ms", w->timeout_ms);
	return proto_out_end(&o);
}

int
proto_priority_from_json(const cJSON *req, struct proto_priority *out,
    char *err, size_t errlen)
{
	int64_t	v;
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_ref_req(req, 0, &out->ref, err, errlen)) != 0)
		return rc;
	if (proto_get_int(req, "priority", 1, -PROTO_MAX_PRIORITY,
	    PROTO_MAX_PRIORITY, &v, err, errlen) != 0)
		return JOBQ_EINVAL;
	out->priority = (int)v;
	return 0;
}

cJSON *
proto_priority_to_json(const struct proto_priority *p)
{
	struct proto_out	o;

	proto_ref_begin(&o, "priority", p != NULL ? &p->ref : NULL);
	if (p != NULL)
		proto_out_int(&o, "priority", p->priority);
	return proto_out_end(&o);
}

/* --- logs --- */

int
proto_logs_from_json(const cJSON *req, struct proto_logs *out, char *err,
    size_t errlen)
{
	const char	*stream = NULL;
	int64_t		 max;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_ref_req(req, 0, &out->ref, err, errlen)) != 0)
		return rc;
	if (proto_get_str(req, "stream", PROTO_MAX_STREAM_NAME, &stream, err,
	    errlen) != 0 ||
	    proto_get_int(req, "offset", 1, 0, INT64_MAX, &out->offset, err,
	    errlen) != 0 ||
	    proto_get_int(req, "max", 1, 1, JOBQ_MAX_LOG_CHUNK, &max, err,
	    errlen) != 0)
		return JOBQ_EINVAL;
	if (stream != NULL && strcmp(stream, "stdout") == 0)
		out->stream = JOBQ_STDOUT;
	else if (stream != NULL && strcmp(stream, "stderr") == 0)
		out->stream = JOBQ_STDERR;
	else {
		proto_seterr(err, errlen,
		    "stream: must be \"stdout\" or \"stderr\"");
		return JOBQ_EINVAL;
	}
	out->max = (size_t)max;
	return 0;
}

cJSON *
proto_logs_to_json(const struct proto_logs *l)
{
	struct proto_out	o;

	proto_ref_begin(&o, "logs", l != NULL ? &l->ref : NULL);
	if (l == NULL)
		return proto_out_end(&o);
	if (l->stream == JOBQ_STDOUT || l->stream == JOBQ_STDERR)
		proto_out_str(&o, "stream", l->stream == JOBQ_STDOUT ?
		    "stdout" : "stderr");
	else
		proto_out_fail(&o);
	proto_out_int(&o, "offset", l->offset);
	proto_out_int(&o, "max", (int64_t)l->max);
	return proto_out_end(&o);
}

/* --- list --- */

/*
 * Reads list's optional "labels": at most JOBQ_MAX_LABELS strings of at
 * most JOBQ_MAX_LABEL bytes, into a malloc'd vector of pointers into req.
 */
static int
proto_list_labels(const cJSON *req, struct proto_list *out, char *err,
    size_t errlen)
{
	const cJSON	*arr, *e;
	size_t		 i = 0, cnt;

	arr = cJSON_GetObjectItemCaseSensitive(req, "labels");
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "labels: must be an array of strings");
		return JOBQ_EINVAL;
	}
	cnt = (size_t)cJSON_GetArraySize(arr);
	if (cnt > JOBQ_MAX_LABELS) {
		proto_seterr(err, errlen, "labels: more than %zu entries",
		    (size_t)JOBQ_MAX_LABELS);
		return JOBQ_EINVAL;
	}
	if (cnt == 0)
		return 0;
	if ((out->labels = calloc(cnt + 1, sizeof(*out->labels))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || e->valuestring == NULL ||
		    strlen(e->valuestring) > JOBQ_MAX_LABEL) {
			proto_seterr(err, errlen, "labels: entries must be "
			    "strings of at most %zu bytes",
			    (size_t)JOBQ_MAX_LABEL);
			proto_list_release(out);
			return JOBQ_EINVAL;
		}
		out->labels[i++] = e->valuestring;
	}
	out->nlabels = i;
	return 0;
}

/* Reads list's optional "states" (an array of state names) into
 * out->states. */
static int
proto_list_states(const cJSON *req, struct proto_list *out, char *err,
    size_t errlen)
{
	const cJSON	*arr, *e;
	int		 st;

	arr = cJSON_GetObjectItemCaseSensitive(req, "states");
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "states: must be an array of state "
		    "names");
		return JOBQ_EINVAL;
	}
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || e->valuestring == NULL ||
		    (st = jobq_state_parse(e->valuestring)) < 0) {
			proto_seterr(err, errlen, "states: entries must be "
			    "state names");
			return JOBQ_EINVAL;
		}
		out->states |= 1u << st;
	}
	return 0;
}

int
proto_list_from_json(const cJSON *req, struct proto_list *out, char *err,
    size_t errlen)
{
	const char	*state = NULL;
	const cJSON	*count;
	int64_t		 limit = 0;
	int		 rc, st;

	memset(out, 0, sizeof(*out));
	out->owner_uid = -1;
	if ((rc = proto_req_object(req, err, errlen)) != 0)
		return rc;
	if (proto_get_str(req, "state", PROTO_MAX_STATE_NAME, &state, err,
	    errlen) != 0 ||
	    proto_get_str(req, "queue", JOBQ_MAX_NAME, &out->queue, err,
	    errlen) != 0 ||
	    proto_get_str(req, "name", JOBQ_MAX_NAME, &out->name, err,
	    errlen) != 0 ||
	    proto_get_str(req, "schedule", JOBQ_MAX_NAME, &out->schedule, err,
	    errlen) != 0 ||
	    proto_get_int(req, "limit", 0, 0, PROTO_MAX_LIMIT, &limit, err,
	    errlen) != 0 ||
	    proto_get_int(req, "array_id", 0, 0, INT64_MAX, &out->array_id,
	    err, errlen) != 0 ||
	    proto_get_int(req, "owner_uid", 0, 0, UINT32_MAX - 1,
	    &out->owner_uid, err, errlen) != 0)
		return JOBQ_EINVAL;
	if (state != NULL) {
		if ((st = jobq_state_parse(state)) < 0) {
			proto_seterr(err, errlen, "state: unknown state \"%s\"",
			    state);
			return JOBQ_EINVAL;
		}
		out->states |= 1u << st;
	}
	if ((rc = proto_list_states(req, out, err, errlen)) != 0)
		return rc;
	count = cJSON_GetObjectItemCaseSensitive(req, "count");
	if (count != NULL && !cJSON_IsBool(count)) {
		proto_seterr(err, errlen, "count: must be true or false");
		return JOBQ_EINVAL;
	}
	out->count = cJSON_IsTrue(count);
	if ((rc = proto_list_labels(req, out, err, errlen)) != 0)
		return rc;
	out->limit = (size_t)limit;
	return 0;
}

cJSON *
proto_list_to_json(const struct proto_list *l)
{
	struct proto_out	 o;
	const char		*names[JOBQ_STATE_COUNT + 1];
	size_t			 n = 0;
	int			 st;

	if (l == NULL || (l->nlabels > 0 && l->labels == NULL) ||
	    (l->states >> JOBQ_STATE_COUNT) != 0 || l->owner_uid < -1 ||
	    l->owner_uid > (int64_t)UINT32_MAX - 1)
		return NULL;
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		if (l->states & (1u << st))
			names[n++] = jobq_state_name((jobq_state)st);
	names[n] = NULL;
	proto_out_begin(&o, "list");
	/* one state as "state", which every version of jobqd reads */
	if (n == 1)
		proto_out_str(&o, "state", names[0]);
	else if (n > 1)
		proto_out_strv(&o, "states", names, n);
	proto_out_str_nn(&o, "queue", l->queue);
	proto_out_int_nz(&o, "limit", l->limit > PROTO_MAX_LIMIT ?
	    PROTO_MAX_LIMIT : (int64_t)l->limit);
	proto_out_str_nn(&o, "name", l->name);
	proto_out_str_nn(&o, "schedule", l->schedule);
	if (l->nlabels > 0)
		proto_out_strv(&o, "labels", l->labels, l->nlabels);
	proto_out_int_nz(&o, "array_id", l->array_id);
	if (l->owner_uid >= 0)
		proto_out_int(&o, "owner_uid", l->owner_uid);
	if (l->count)
		proto_out_bool(&o, "count", 1);
	return proto_out_end(&o);
}

void
proto_list_release(struct proto_list *l)
{
	if (l == NULL)
		return;
	free(l->labels);
	l->labels = NULL;
	l->nlabels = 0;
}

/* --- purge --- */

int
proto_purge_from_json(const cJSON *req, struct proto_purge *out, char *err,
    size_t errlen)
{
	const char	*state = NULL;
	int		 rc;

	memset(out, 0, sizeof(*out));
	out->state = -1;
	if ((rc = proto_req_object(req, err, errlen)) != 0)
		return rc;
	if (proto_get_int(req, "older_than_ms", 0, 0, PROTO_MAX_OLDER_THAN_MS,
	    &out->older_than_ms, err, errlen) != 0 ||
	    proto_get_str(req, "state", PROTO_MAX_STATE_NAME, &state, err,
	    errlen) != 0)
		return JOBQ_EINVAL;
	if (state != NULL && ((out->state = jobq_state_parse(state)) < 0 ||
	    !jobq_state_is_terminal((jobq_state)out->state))) {
		proto_seterr(err, errlen, "state: \"%s\" is not the name of a "
		    "state a job ends in", state);
		out->state = -1;
		return JOBQ_EINVAL;
	}
	return 0;
}

cJSON *
proto_purge_to_json(const struct proto_purge *p)
{
	struct proto_out	 o;
	const char		*state = NULL;

	if (p == NULL || (p->state >= 0 &&
	    (state = jobq_state_name((jobq_state)p->state)) == NULL))
		return NULL;
	proto_out_begin(&o, "purge");
	if (p->older_than_ms > 0)
		proto_out_int(&o, "older_than_ms", p->older_than_ms);
	proto_out_str_nn(&o, "state", state);
	return proto_out_end(&o);
}

/* --- queue_set --- */

int
proto_queue_set_from_json(const cJSON *req, struct proto_queue_set *out,
    char *err, size_t errlen)
{
	const cJSON	*p;
	int64_t		 par = -1;
	int		 rc;

	memset(out, 0, sizeof(*out));
	out->parallel = -1;
	out->paused = -1;
	if ((rc = proto_req_object(req, err, errlen)) != 0)
		return rc;
	if (proto_get_str(req, "queue", JOBQ_MAX_NAME, &out->queue, err,
	    errlen) != 0 ||
	    proto_get_int(req, "parallel", 0, 0, PROTO_MAX_PARALLEL, &par, err,
	    errlen) != 0)
		return JOBQ_EINVAL;
	out->parallel = (int)par;
	if ((p = cJSON_GetObjectItemCaseSensitive(req, "paused")) != NULL) {
		if (!cJSON_IsBool(p)) {
			proto_seterr(err, errlen,
			    "paused: must be true or false");
			return JOBQ_EINVAL;
		}
		out->paused = cJSON_IsTrue(p) ? 1 : 0;
	}
	if (out->queue == NULL || !proto_queue_name_ok(out->queue)) {
		proto_seterr(err, errlen, "queue: required, 1-%d characters of "
		    "A-Z a-z 0-9 _ . -", JOBQ_MAX_NAME);
		return JOBQ_EINVAL;
	}
	if ((p = cJSON_GetObjectItemCaseSensitive(req, "executor")) != NULL) {
		if ((rc = proto_exec_from_json(p, &out->exec, err,
		    errlen)) != 0)
			return rc;
		out->has_exec = 1;
	}
	return 0;
}

cJSON *
proto_queue_set_to_json(const struct proto_queue_set *q)
{
	struct proto_out	o;

	if (q == NULL || q->queue == NULL)
		return NULL;
	proto_out_begin(&o, "queue_set");
	proto_out_str(&o, "queue", q->queue);
	if (q->parallel >= 0)
		proto_out_int(&o, "parallel", q->parallel);
	if (q->paused >= 0)
		proto_out_bool(&o, "paused", q->paused);
	if (q->has_exec)
		proto_out_item(&o, "executor", proto_exec_to_json(&q->exec));
	return proto_out_end(&o);
}

/* --- watch --- */

int
proto_watch_from_json(const cJSON *req, struct proto_watch *out, char *err,
    size_t errlen)
{
	const cJSON	*arr, *e;
	size_t		 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_req_object(req, err, errlen)) != 0)
		return rc;
	arr = cJSON_GetObjectItemCaseSensitive(req, "ids");
	if (arr != NULL && (!cJSON_IsArray(arr) ||
	    cJSON_GetArraySize(arr) > PROTO_MAX_WATCH_IDS)) {
		proto_seterr(err, errlen, "ids: must be an array of at most %d "
		    "job ids", PROTO_MAX_WATCH_IDS);
		return JOBQ_EINVAL;
	}
	if (arr == NULL || (n = (size_t)cJSON_GetArraySize(arr)) == 0)
		return 0;
	if ((out->ids = calloc(n, sizeof(*out->ids))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	cJSON_ArrayForEach(e, arr) {
		if (proto_num_to_int(e, 1, PROTO_MAX_JSON_INT,
		    &out->ids[out->nids]) != 0) {
			proto_watch_release(out);
			proto_seterr(err, errlen, "ids: entries must be job ids");
			return JOBQ_EINVAL;
		}
		out->nids++;
	}
	return 0;
}

cJSON *
proto_watch_to_json(const struct proto_watch *w)
{
	struct proto_out	 o;
	cJSON			*arr, *id;
	char			 buf[32];
	size_t			 i;

	if (w == NULL || (w->nids > 0 && w->ids == NULL))
		return NULL;
	proto_out_begin(&o, "watch");
	if (o.failed || w->nids == 0)
		return proto_out_end(&o);
	if ((arr = cJSON_AddArrayToObject(o.obj, "ids")) == NULL)
		proto_out_fail(&o);
	for (i = 0; !o.failed && i < w->nids; i++) {
		/* Written as decimal text: exact for any id. */
		proto_fmt_int(buf, w->ids[i]);
		if ((id = cJSON_CreateRaw(buf)) == NULL)
			proto_out_fail(&o);
		else
			cJSON_AddItemToArray(arr, id);
	}
	return proto_out_end(&o);
}

void
proto_watch_release(struct proto_watch *w)
{
	if (w == NULL)
		return;
	free(w->ids);
	w->ids = NULL;
	w->nids = 0;
}

/* --- the op table --- */

/* The table's view of each codec: decoders into and encoders from a
 * struct proto_req. */
#define PROTO_REQ_CODEC(op, member)					\
static int								\
proto_req_dec_##op(const cJSON *req, struct proto_req *r, char *err,	\
    size_t errlen)							\
{									\
	return proto_##op##_from_json(req, &r->u.member, err, errlen);	\
}									\
static cJSON *								\
proto_req_enc_##op(const struct proto_req *r)				\
{									\
	return proto_##op##_to_json(&r->u.member);			\
}
#define PROTO_REQ_BARE(op, dec, enc)					\
static int								\
proto_req_dec_##op(const cJSON *req, struct proto_req *r, char *err,	\
    size_t errlen)							\
{									\
	(void)r;							\
	return dec(req, err, errlen);					\
}									\
static cJSON *								\
proto_req_enc_##op(const struct proto_req *r)				\
{									\
	(void)r;							\
	return enc();							\
}

PROTO_REQ_CODEC(hello, hello)
PROTO_REQ_BARE(ping, proto_ping_from_json, proto_ping_to_json)
PROTO_REQ_CODEC(get, ref)
PROTO_REQ_CODEC(list, list)
PROTO_REQ_CODEC(cancel, ref)
PROTO_REQ_CODEC(wait, wait)
PROTO_REQ_CODEC(logs, logs)
PROTO_REQ_CODEC(priority, priority)
PROTO_REQ_CODEC(retry, ref)
PROTO_REQ_CODEC(purge, purge)
PROTO_REQ_CODEC(queue_set, queue_set)
PROTO_REQ_BARE(queue_list, proto_queue_list_from_json,
    proto_queue_list_to_json)
PROTO_REQ_BARE(stats, proto_stats_req_from_json, proto_stats_req_to_json)
PROTO_REQ_BARE(metrics, proto_metrics_req_from_json,
    proto_metrics_req_to_json)
PROTO_REQ_CODEC(watch, watch)
PROTO_REQ_CODEC(hold, ref)
PROTO_REQ_CODEC(release, ref)
PROTO_REQ_CODEC(edit, edit)
PROTO_REQ_CODEC(history, ref)
PROTO_REQ_CODEC(schedule_add, schedule_add)
PROTO_REQ_BARE(schedule_list, proto_schedule_list_from_json,
    proto_schedule_list_to_json)
PROTO_REQ_CODEC(schedule_show, schedule)
PROTO_REQ_CODEC(schedule_pause, schedule)
PROTO_REQ_CODEC(schedule_resume, schedule)
PROTO_REQ_CODEC(schedule_remove, schedule)
PROTO_REQ_CODEC(schedule_run_now, schedule)

static int
proto_req_dec_submit(const cJSON *req, struct proto_req *r, char *err,
    size_t errlen)
{
	return proto_submit_from_json(req, &r->u.submit, err, errlen);
}

static cJSON *
proto_req_enc_submit(const struct proto_req *r)
{
	return proto_submit_req_to_json(&r->u.submit);
}

static int
proto_req_dec_submit_batch(const cJSON *req, struct proto_req *r, char *err,
    size_t errlen)
{
	return proto_batch_from_json(req, &r->u.batch, err, errlen);
}

static cJSON *
proto_req_enc_submit_batch(const struct proto_req *r)
{
	return proto_batch_to_json(&r->u.batch);
}

static const struct {
	const char	*name;
	int		(*decode)(const cJSON *, struct proto_req *, char *,
			    size_t);
	cJSON		*(*encode)(const struct proto_req *);
} proto_ops[PROTO_OP_COUNT] = {
#define PROTO_OP(OP, op) [PROTO_OP_##OP] =				\
	{ #op, proto_req_dec_##op, proto_req_enc_##op }
	PROTO_OP(HELLO, hello),
	PROTO_OP(PING, ping),
	PROTO_OP(SUBMIT, submit),
	PROTO_OP(GET, get),
	PROTO_OP(LIST, list),
	PROTO_OP(CANCEL, cancel),
	PROTO_OP(WAIT, wait),
	PROTO_OP(LOGS, logs),
	PROTO_OP(PRIORITY, priority),
	PROTO_OP(RETRY, retry),
	PROTO_OP(PURGE, purge),
	PROTO_OP(QUEUE_SET, queue_set),
	PROTO_OP(QUEUE_LIST, queue_list),
	PROTO_OP(STATS, stats),
	PROTO_OP(WATCH, watch),
	PROTO_OP(SUBMIT_BATCH, submit_batch),
	PROTO_OP(METRICS, metrics),
	PROTO_OP(HOLD, hold),
	PROTO_OP(RELEASE, release),
	PROTO_OP(EDIT, edit),
	PROTO_OP(HISTORY, history),
	PROTO_OP(SCHEDULE_ADD, schedule_add),
	PROTO_OP(SCHEDULE_LIST, schedule_list),
	PROTO_OP(SCHEDULE_SHOW, schedule_show),
	PROTO_OP(SCHEDULE_PAUSE, schedule_pause),
	PROTO_OP(SCHEDULE_RESUME, schedule_resume),
	PROTO_OP(SCHEDULE_REMOVE, schedule_remove),
	PROTO_OP(SCHEDULE_RUN_NOW, schedule_run_now),
#undef PROTO_OP
};

int
proto_op_parse(const char *name)
{
	int	op;

	if (name == NULL)
		return -1;
	for (op = 0; op < PROTO_OP_COUNT; op++) {
		if (strcmp(name, proto_ops[op].name) == 0)
			return op;
	}
	return -1;
}

const char *
proto_op_name(int op)
{
	if (op < 0 || op >= PROTO_OP_COUNT)
		return NULL;
	return proto_ops[op].name;
}

int
proto_req_decode(int op, const cJSON *req, struct proto_req *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (op < 0 || op >= PROTO_OP_COUNT) {
		proto_seterr(err, errlen, "no such request");
		return JOBQ_EUNKNOWNOP;
	}
	out->op = (enum proto_op)op;
	return proto_ops[op].decode(req, out, err, errlen);
}

int
proto_req_from_json(const cJSON *req, struct proto_req *out, char *err,
    size_t errlen)
{
	const char	*name;
	int		 op;

	/* proto_req_decode clears it (9.7 KB: once is enough); until then
	 * an op with nothing to release */
	out->op = PROTO_OP_HELLO;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req,
	    "op"));
	if (!cJSON_IsObject(req) || name == NULL) {
		proto_seterr(err, errlen, "missing string \"op\"");
		return JOBQ_EBADREQ;
	}
	if ((op = proto_op_parse(name)) < 0) {
		proto_seterr(err, errlen, "unknown request \"%.64s\"", name);
		return JOBQ_EUNKNOWNOP;
	}
	return proto_req_decode(op, req, out, err, errlen);
}

cJSON *
proto_req_to_json(const struct proto_req *r)
{
	if (r == NULL || (int)r->op < 0 || r->op >= PROTO_OP_COUNT)
		return NULL;
	return proto_ops[r->op].encode(r);
}

void
proto_req_release(struct proto_req *r)
{
	if (r == NULL)
		return;
	switch (r->op) {
	case PROTO_OP_SUBMIT:
		proto_submit_release(&r->u.submit);
		break;
	case PROTO_OP_LIST:
		proto_list_release(&r->u.list);
		break;
	case PROTO_OP_WATCH:
		proto_watch_release(&r->u.watch);
		break;
	case PROTO_OP_SUBMIT_BATCH:
		proto_batch_release(&r->u.batch);
		break;
	case PROTO_OP_EDIT:
		proto_edit_release(&r->u.edit);
		break;
	case PROTO_OP_SCHEDULE_ADD:
		proto_schedule_add_release(&r->u.schedule_add);
		break;
	default:
		break;
	}
}
