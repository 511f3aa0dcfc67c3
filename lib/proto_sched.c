/*
 * proto_sched.c - the objects of protocol 1's scheduling additions: ARRAY
 * (an array and its task counts), QUEUE (a queue's settings and counts),
 * watch events and STATS (counts, workers and the minute / hour windows).
 * Also owns jobq_queue_list_free and jobq_stats_release, since the objects
 * they free are built here.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

/* Reads a required finite number >= 0 (JOBQ_EPROTO). */
static int
proto_rep_double(const cJSON *obj, const char *who, const char *key,
    double *v, char *err, size_t errlen)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) ||
	    item->valuedouble < 0) {
		proto_seterr(err, errlen, "%s \"%s\" is not a number >= 0",
		    who, key);
		return JOBQ_EPROTO;
	}
	*v = item->valuedouble;
	return 0;
}

cJSON *
proto_array_info_to_json(const jobq_array_info *a)
{
	cJSON	*obj;

	if (a == NULL || (obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (proto_add_int(obj, "id", a->id) != 0 ||
	    proto_add_int(obj, "first", a->first) != 0 ||
	    proto_add_int(obj, "step", a->step) != 0 ||
	    proto_add_int(obj, "count", a->count) != 0 ||
	    proto_add_int(obj, "throttle", a->throttle) != 0 ||
	    proto_add_counts(obj, "counts", a->counts) != 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

int
proto_array_info_from_json(const cJSON *obj, jobq_array_info *out,
    char *err, size_t errlen)
{
	jobq_array_info	a;
	int64_t		v;
	int		rc;

	memset(&a, 0, sizeof(a));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "array is not an object");
		return JOBQ_EPROTO;
	}
	if ((rc = proto_rep_int(obj, "array", "id", 1, INT64_MAX, &a.id, err,
	    errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "array", "first", 0, INT64_MAX, &a.first,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "array", "step", 1, INT64_MAX, &a.step,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "array", "count", 1, JOBQ_MAX_ARRAY,
	    &a.count, err, errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "array", "throttle", 0, INT32_MAX, &v,
	    err, errlen)) != 0 ||
	    (rc = proto_counts_decode(cJSON_GetObjectItemCaseSensitive(obj,
	    "counts"), "array", a.counts, err, errlen)) != 0)
		return rc;
	a.throttle = (int)v;
	*out = a;
	return 0;
}

cJSON *
proto_queue_info_to_json(const jobq_queue_info *q)
{
	cJSON	*obj;

	if (q == NULL || (obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(obj, "name", q->name) == NULL ||
	    proto_add_int(obj, "parallel", q->parallel) != 0 ||
	    cJSON_AddBoolToObject(obj, "paused", q->paused != 0) == NULL ||
	    proto_add_counts(obj, "counts", q->counts) != 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

int
proto_queue_info_from_json(const cJSON *obj, jobq_queue_info *out,
    char *err, size_t errlen)
{
	const cJSON	*name, *paused;
	jobq_queue_info	 q;
	int64_t		 v;
	size_t		 n;
	int		 rc;

	memset(&q, 0, sizeof(q));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "queue is not an object");
		return JOBQ_EPROTO;
	}
	name = cJSON_GetObjectItemCaseSensitive(obj, "name");
	if (!cJSON_IsString(name) || name->valuestring == NULL ||
	    (n = strlen(name->valuestring)) == 0 || n > JOBQ_MAX_NAME) {
		proto_seterr(err, errlen, "queue \"name\" is not a string of "
		    "1..%d bytes", JOBQ_MAX_NAME);
		return JOBQ_EPROTO;
	}
	memcpy(q.name, name->valuestring, n + 1);
	if ((rc = proto_rep_int(obj, "queue", "parallel", 0, INT32_MAX, &v,
	    err, errlen)) != 0)
		return rc;
	q.parallel = (int)v;
	paused = cJSON_GetObjectItemCaseSensitive(obj, "paused");
	if (!cJSON_IsBool(paused)) {
		proto_seterr(err, errlen, "queue \"paused\" is not a boolean");
		return JOBQ_EPROTO;
	}
	q.paused = cJSON_IsTrue(paused) ? 1 : 0;
	if ((rc = proto_counts_decode(cJSON_GetObjectItemCaseSensitive(obj,
	    "counts"), "queue", q.counts, err, errlen)) != 0)
		return rc;
	*out = q;
	return 0;
}

void
jobq_queue_list_free(jobq_queue_info *queues)
{
	free(queues);
}

cJSON *
proto_overflow_event_to_json(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && cJSON_AddStringToObject(o, "event", "overflow") ==
	    NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

int
proto_event_kind(const cJSON *frame)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(frame, "event"));

	if (name == NULL)
		return JOBQ_EPROTO;
	if (strcmp(name, "state") == 0)
		return PROTO_EVENT_STATE;
	if (strcmp(name, "overflow") == 0)
		return PROTO_EVENT_OVERFLOW;
	return PROTO_EVENT_OTHER;
}

cJSON *
proto_event_to_json(const jobq_event *ev)
{
	struct proto_out	 o;
	const char		*state;

	if (ev == NULL || (state = jobq_state_name(ev->state)) == NULL ||
	    memchr(ev->queue, '\0', sizeof(ev->queue)) == NULL ||
	    memchr(ev->reason, '\0', sizeof(ev->reason)) == NULL)
		return NULL;
	proto_out_begin(&o, NULL);
	proto_out_str(&o, "event", "state");
	proto_out_int(&o, "id", ev->id);
	proto_out_str(&o, "state", state);
	proto_out_int(&o, "time", ev->time);
	proto_out_str(&o, "queue", ev->queue);
	proto_out_int(&o, "attempts", ev->attempts);
	if (ev->exit_code >= 0)
		proto_out_int(&o, "exit_code", ev->exit_code);
	proto_out_int_nz(&o, "signal", ev->signal);
	if (ev->reason[0] != '\0')
		proto_out_str(&o, "reason", ev->reason);
	proto_out_int_nz(&o, "not_before", ev->not_before);
	if (ev->array_id != 0) {
		proto_out_int(&o, "array_id", ev->array_id);
		proto_out_int(&o, "array_index", ev->array_index);
	}
	return proto_out_end(&o);
}

int
proto_event_from_json(const cJSON *obj, jobq_event *out, char *err,
    size_t errlen)
{
	const cJSON	*kind, *st, *q;
	char		*reason = NULL;
	jobq_event	 ev;
	int64_t		 v;
	size_t		 n;
	int		 rc, state;

	memset(&ev, 0, sizeof(ev));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "event is not an object");
		return JOBQ_EPROTO;
	}
	kind = cJSON_GetObjectItemCaseSensitive(obj, "event");
	if (!cJSON_IsString(kind) || kind->valuestring == NULL ||
	    strcmp(kind->valuestring, "state") != 0) {
		proto_seterr(err, errlen, "not a \"state\" event");
		return JOBQ_EPROTO;
	}
	st = cJSON_GetObjectItemCaseSensitive(obj, "state");
	if (!cJSON_IsString(st) ||
	    (state = jobq_state_parse(st->valuestring)) < 0) {
		proto_seterr(err, errlen, "event \"state\" is not a state name");
		return JOBQ_EPROTO;
	}
	ev.state = (jobq_state)state;
	q = cJSON_GetObjectItemCaseSensitive(obj, "queue");
	if (!cJSON_IsString(q) || q->valuestring == NULL ||
	    (n = strlen(q->valuestring)) > JOBQ_MAX_NAME) {
		proto_seterr(err, errlen, "event \"queue\" is not a string of "
		    "at most %d bytes", JOBQ_MAX_NAME);
		return JOBQ_EPROTO;
	}
	memcpy(ev.queue, q->valuestring, n + 1);
	if ((rc = proto_rep_int(obj, "event", "id", 1, INT64_MAX, &ev.id, err,
	    errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "event", "time", 0, INT64_MAX, &ev.time,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_int(obj, "event", "attempts", 0, INT32_MAX, &v,
	    err, errlen)) != 0)
		return rc;
	ev.attempts = (int)v;
	/* Optional members, with null taken as absent (exit_code -1: none). */
	if ((rc = proto_job_int(obj, "exit_code", 1, -1, -1, INT32_MAX,
	    &v, err, errlen)) != 0)
		return rc;
	ev.exit_code = (int)v;
	if ((rc = proto_job_int(obj, "signal", 1, 0, 0, INT32_MAX, &v, err,
	    errlen)) != 0)
		return rc;
	ev.signal = (int)v;
	if ((rc = proto_job_int(obj, "not_before", 1, 0, 0, INT64_MAX,
	    &ev.not_before, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "array_id", 1, 0, 0, INT64_MAX,
	    &ev.array_id, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "array_index", 1, 0, 0, INT64_MAX,
	    &ev.array_index, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "reason", 1, &reason, err, errlen)) != 0)
		return rc;
	if (reason != NULL) {
		n = strnlen(reason, sizeof(ev.reason) - 1);
		memcpy(ev.reason, reason, n);
		ev.reason[n] = '\0';
		free(reason);
	}
	*out = ev;
	return 0;
}

static cJSON *
proto_window_to_json(const jobq_window_stats *w)
{
	struct proto_out	o;

	proto_out_begin(&o, NULL);
	proto_out_int(&o, "window_ms", w->window_ms);
	proto_out_int(&o, "finished", w->finished > (uint64_t)INT64_MAX ?
	    INT64_MAX : (int64_t)w->finished);
	proto_out_num(&o, "per_second", w->per_second);
	proto_out_num(&o, "wait_mean_ms", w->wait_mean_ms);
	proto_out_num(&o, "wait_p95_ms", w->wait_p95_ms);
	proto_out_num(&o, "run_mean_ms", w->run_mean_ms);
	proto_out_num(&o, "run_p95_ms", w->run_p95_ms);
	proto_out_num(&o, "utilisation", w->utilisation);
	return proto_out_end(&o);
}

static int
proto_window_from_json(const cJSON *obj, const char *who,
    jobq_window_stats *w, char *err, size_t errlen)
{
	int64_t	v;
	int	rc;

	memset(w, 0, sizeof(*w));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "stats \"%s\" is not an object", who);
		return JOBQ_EPROTO;
	}
	if ((rc = proto_rep_int(obj, who, "window_ms", 1, INT64_MAX,
	    &w->window_ms, err, errlen)) != 0 ||
	    (rc = proto_rep_int(obj, who, "finished", 0, INT64_MAX, &v, err,
	    errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "per_second", &w->per_second, err,
	    errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "wait_mean_ms", &w->wait_mean_ms,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "wait_p95_ms", &w->wait_p95_ms,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "run_mean_ms", &w->run_mean_ms,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "run_p95_ms", &w->run_p95_ms,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_double(obj, who, "utilisation", &w->utilisation,
	    err, errlen)) != 0)
		return rc;
	w->finished = (uint64_t)v;
	return 0;
}

cJSON *
proto_stats_to_json(const jobq_stats *st)
{
	struct proto_out	 o;
	cJSON			*arr, *q;
	size_t			 i;

	if (st == NULL || (st->nqueues > 0 && st->queues == NULL))
		return NULL;
	proto_out_begin(&o, NULL);
	if (!o.failed && proto_add_counts(o.obj, "counts", st->counts) != 0)
		proto_out_fail(&o);
	proto_out_int(&o, "workers", st->workers);
	proto_out_int(&o, "busy", st->busy);
	proto_out_item(&o, "minute", proto_window_to_json(&st->minute));
	proto_out_item(&o, "hour", proto_window_to_json(&st->hour));
	if (!o.failed && (q = cJSON_AddObjectToObject(o.obj, "schedules")) !=
	    NULL) {
		if (proto_add_int(q, "count", st->schedules) != 0 ||
		    proto_add_int(q, "runs", st->schedule_runs) != 0 ||
		    proto_add_int(q, "skips", st->schedule_skips) != 0 ||
		    proto_add_int(q, "misses", st->schedule_misses) != 0)
			proto_out_fail(&o);
	} else
		proto_out_fail(&o);
	if (o.failed || (arr = cJSON_AddArrayToObject(o.obj, "queues")) == NULL) {
		proto_out_fail(&o);
		return proto_out_end(&o);
	}
	for (i = 0; i < st->nqueues; i++) {
		if ((q = proto_queue_info_to_json(&st->queues[i])) == NULL) {
			proto_out_fail(&o);
			break;
		}
		cJSON_AddItemToArray(arr, q);
	}
	return proto_out_end(&o);
}

int
proto_stats_from_json(const cJSON *obj, jobq_stats *out, char *err,
    size_t errlen)
{
	const cJSON	*arr, *item;
	jobq_stats	 st;
	int64_t		 v;
	size_t		 n, i;
	int		 rc;

	memset(&st, 0, sizeof(st));
	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "stats is not an object");
		return JOBQ_EPROTO;
	}
	if ((rc = proto_counts_decode(cJSON_GetObjectItemCaseSensitive(obj,
	    "counts"), "stats", st.counts, err, errlen)) != 0)
		return rc;
	if ((rc = proto_rep_int(obj, "stats", "workers", 0, INT32_MAX, &v, err,
	    errlen)) != 0)
		return rc;
	st.workers = (int)v;
	if ((rc = proto_rep_int(obj, "stats", "busy", 0, INT32_MAX, &v, err,
	    errlen)) != 0)
		return rc;
	st.busy = (int)v;
	if ((rc = proto_window_from_json(cJSON_GetObjectItemCaseSensitive(obj,
	    "minute"), "minute", &st.minute, err, errlen)) != 0 ||
	    (rc = proto_window_from_json(cJSON_GetObjectItemCaseSensitive(obj,
	    "hour"), "hour", &st.hour, err, errlen)) != 0)
		return rc;
	/* "schedules" (jobqd 0.2 with schedules; absent: none) */
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "schedules")) !=
	    NULL && ((rc = proto_rep_int(item, "stats schedules", "count", 0,
	    INT64_MAX, &st.schedules, err, errlen)) != 0 ||
	    (rc = proto_rep_int(item, "stats schedules", "runs", 0, INT64_MAX,
	    &st.schedule_runs, err, errlen)) != 0 ||
	    (rc = proto_rep_int(item, "stats schedules", "skips", 0, INT64_MAX,
	    &st.schedule_skips, err, errlen)) != 0 ||
	    (rc = proto_rep_int(item, "stats schedules", "misses", 0,
	    INT64_MAX, &st.schedule_misses, err, errlen)) != 0))
		return rc;

	arr = cJSON_GetObjectItemCaseSensitive(obj, "queues");
	if (arr == NULL) {
		*out = st;
		return 0;
	}
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "stats \"queues\" is not an array");
		return JOBQ_EPROTO;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > 0 && (st.queues = calloc(n, sizeof(*st.queues))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_queue_info_from_json(item, &st.queues[i], err,
		    errlen)) != 0) {
			free(st.queues);
			return rc;
		}
		i++;
	}
	st.nqueues = n;
	*out = st;
	return 0;
}

void
jobq_stats_release(jobq_stats *st)
{
	if (st == NULL)
		return;
	free(st->queues);
	st->queues = NULL;
	st->nqueues = 0;
}

