/*
 * proto_reply.c - the successful replies of every request: encoded the way
 * jobqd sends them and decoded the way libjobq reads them (after
 * proto_reply_status found "ok":true), with every member checked.  The
 * objects inside (JOB, ARRAY, QUEUE, STATS) are proto_job.c's and
 * proto_sched.c's.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

/* Replies are objects. */
static int
proto_reply_object(const cJSON *reply, char *err, size_t errlen)
{
	if (cJSON_IsObject(reply))
		return 0;
	proto_seterr(err, errlen, "reply is not an object");
	return JOBQ_EPROTO;
}

/* Reads an optional string member of a reply (NULL when absent). */
static int
proto_reply_str(const cJSON *reply, const char *who, const char *key,
    const char **v, char *err, size_t errlen)
{
	const cJSON	*item;

	*v = NULL;
	if ((item = cJSON_GetObjectItemCaseSensitive(reply, key)) == NULL)
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		proto_seterr(err, errlen, "%s \"%s\" is not a string", who, key);
		return JOBQ_EPROTO;
	}
	*v = item->valuestring;
	return 0;
}

/* Reads an optional boolean member of a reply (absent: 0). */
static int
proto_reply_bool(const cJSON *reply, const char *who, const char *key,
    int required, int *v, char *err, size_t errlen)
{
	const cJSON	*item;

	*v = 0;
	item = cJSON_GetObjectItemCaseSensitive(reply, key);
	if (item == NULL && !required)
		return 0;
	if (!cJSON_IsBool(item)) {
		proto_seterr(err, errlen, "%s \"%s\" is not a boolean", who,
		    key);
		return JOBQ_EPROTO;
	}
	*v = cJSON_IsTrue(item) ? 1 : 0;
	return 0;
}

/* Reads an optional integer member >= 0 of a reply (absent: -1). */
static int
proto_reply_count(const cJSON *reply, const char *who, const char *key,
    int64_t *v, char *err, size_t errlen)
{
	*v = -1;
	if (cJSON_GetObjectItemCaseSensitive(reply, key) == NULL)
		return 0;
	return proto_rep_int(reply, who, key, 0, INT64_MAX, v, err, errlen);
}

/* --- hello, ping --- */

cJSON *
proto_hello_reply_to_json(const struct proto_hello_reply *h)
{
	struct proto_out	o;

	if (h == NULL)
		return NULL;
	proto_out_ok(&o);
	proto_out_int(&o, "version", h->version);
	proto_out_str_nn(&o, "server", h->server);
	return proto_out_end(&o);
}

int
proto_hello_reply_from_json(const cJSON *reply,
    struct proto_hello_reply *out, char *err, size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "hello reply", "version", 0, INT32_MAX,
	    &out->version, err, errlen)) != 0 ||
	    (rc = proto_reply_str(reply, "hello reply", "server", &out->server,
	    err, errlen)) != 0)
		return rc;
	return 0;
}

cJSON *
proto_ping_reply_to_json(const struct proto_ping_reply *p)
{
	struct proto_out	o;

	if (p == NULL ||
	    memchr(p->info.version, '\0', sizeof(p->info.version)) == NULL)
		return NULL;
	proto_out_ok(&o);
	proto_out_str(&o, "version", p->info.version);
	proto_out_int(&o, "protocol", p->info.protocol);
	proto_out_int(&o, "pid", p->info.pid);
	proto_out_int(&o, "uptime_ms", p->info.uptime_ms);
	proto_out_int(&o, "workers", p->info.workers);
	if (memchr(p->info.isolation, '\0', sizeof(p->info.isolation)) ==
	    NULL)
		return NULL;
	proto_out_str_nn(&o, "isolation", p->info.isolation[0] != '\0' ?
	    p->info.isolation : NULL);
	if (p->queued >= 0)
		proto_out_int(&o, "queued", p->queued);
	if (p->active >= 0)
		proto_out_int(&o, "active", p->active);
	return proto_out_end(&o);
}

int
proto_ping_reply_from_json(const cJSON *reply, struct proto_ping_reply *out,
    char *err, size_t errlen)
{
	const char	*version, *isolation;
	int64_t		 protocol, workers;
	size_t		 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0 ||
	    (rc = proto_reply_str(reply, "ping reply", "version", &version,
	    err, errlen)) != 0)
		return rc;
	if (version == NULL) {
		proto_seterr(err, errlen, "ping reply without \"version\"");
		return JOBQ_EPROTO;
	}
	if ((rc = proto_rep_int(reply, "ping reply", "protocol", 0, INT32_MAX,
	    &protocol, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "ping reply", "pid", 0, INT64_MAX,
	    &out->info.pid, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "ping reply", "uptime_ms", 0, INT64_MAX,
	    &out->info.uptime_ms, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "ping reply", "workers", 0, INT32_MAX,
	    &workers, err, errlen)) != 0 ||
	    (rc = proto_reply_count(reply, "ping reply", "queued",
	    &out->queued, err, errlen)) != 0 ||
	    (rc = proto_reply_count(reply, "ping reply", "active",
	    &out->active, err, errlen)) != 0 ||
	    (rc = proto_reply_str(reply, "ping reply", "isolation",
	    &isolation, err, errlen)) != 0)
		return rc;
	if (isolation != NULL) {
		n = strnlen(isolation, sizeof(out->info.isolation) - 1);
		memcpy(out->info.isolation, isolation, n);
		out->info.isolation[n] = '\0';
	}
	n = strnlen(version, sizeof(out->info.version) - 1);
	memcpy(out->info.version, version, n);
	out->info.version[n] = '\0';
	out->info.protocol = (int)protocol;
	out->info.workers = (int)workers;
	return 0;
}

/* --- submit --- */

cJSON *
proto_submit_reply_to_json(const struct proto_submit_reply *r)
{
	struct proto_out	 o;
	cJSON			*t;

	if (r == NULL)
		return NULL;
	proto_out_ok(&o);
	proto_out_int(&o, "id", r->id);
	if (r->existing)
		proto_out_bool(&o, "existing", 1);
	if (r->first_task != 0 && !o.failed) {
		if ((t = cJSON_AddArrayToObject(o.obj, "tasks")) == NULL)
			proto_out_fail(&o);
		else if (!cJSON_AddItemToArray(t,
		    cJSON_CreateNumber((double)r->first_task)) ||
		    !cJSON_AddItemToArray(t,
		    cJSON_CreateNumber((double)r->last_task)))
			proto_out_fail(&o);
	}
	return proto_out_end(&o);
}

/* Reads submit's optional "tasks":[FIRST,LAST] (1 <= FIRST <= LAST). */
static int
proto_submit_reply_tasks(const cJSON *reply, struct proto_submit_reply *out,
    char *err, size_t errlen)
{
	const cJSON	*t;

	t = cJSON_GetObjectItemCaseSensitive(reply, "tasks");
	if (t == NULL)
		return 0;
	if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 2 ||
	    proto_num_to_int(cJSON_GetArrayItem(t, 0), 1, INT64_MAX,
	    &out->first_task) != 0 ||
	    proto_num_to_int(cJSON_GetArrayItem(t, 1), out->first_task,
	    INT64_MAX, &out->last_task) != 0) {
		out->first_task = out->last_task = 0;
		proto_seterr(err, errlen, "submit reply \"tasks\" is not "
		    "[FIRST, LAST] with 1 <= FIRST <= LAST");
		return JOBQ_EPROTO;
	}
	return 0;
}

int
proto_submit_reply_from_json(const cJSON *reply,
    struct proto_submit_reply *out, char *err, size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "submit reply", "id", 1, INT64_MAX,
	    &out->id, err, errlen)) != 0 ||
	    (rc = proto_reply_bool(reply, "submit reply", "existing", 0,
	    &out->existing, err, errlen)) != 0 ||
	    (rc = proto_submit_reply_tasks(reply, out, err, errlen)) != 0)
		return rc;
	return 0;
}

/* --- a job, an array --- */

cJSON *
proto_job_reply_to_json(const jobq_job *job)
{
	struct proto_out	o;

	proto_out_ok(&o);
	proto_out_item(&o, "job", proto_job_to_json(job));
	return proto_out_end(&o);
}

int
proto_job_reply_from_json(const cJSON *reply, jobq_job **out, char *err,
    size_t errlen)
{
	int	rc;

	*out = NULL;
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	return proto_job_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "job"), out, err, errlen);
}

cJSON *
proto_array_reply_to_json(const jobq_array_info *a)
{
	struct proto_out	o;

	proto_out_ok(&o);
	proto_out_item(&o, "array", proto_array_info_to_json(a));
	return proto_out_end(&o);
}

int
proto_array_reply_from_json(const cJSON *reply, jobq_array_info *out,
    char *err, size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	return proto_array_info_from_json(cJSON_GetObjectItemCaseSensitive(
	    reply, "array"), out, err, errlen);
}

/* --- list --- */

cJSON *
proto_list_reply_to_json(jobq_job *const *jobs, size_t n, int64_t total)
{
	struct proto_out	 o;
	cJSON			*arr = NULL, *j;
	size_t			 i;

	if (n > 0 && jobs == NULL)
		return NULL;
	proto_out_ok(&o);
	if (o.failed || (arr = cJSON_AddArrayToObject(o.obj, "jobs")) == NULL)
		proto_out_fail(&o);
	for (i = 0; !o.failed && i < n; i++) {
		if ((j = proto_job_to_json(jobs[i])) == NULL)
			proto_out_fail(&o);
		else
			cJSON_AddItemToArray(arr, j);
	}
	if (total >= 0)
		proto_out_int(&o, "total", total);
	return proto_out_end(&o);
}

/* The array under key in a reply, and its length (JOBQ_EPROTO if it is not
 * an array). */
static int
proto_reply_array(const cJSON *reply, const char *who, const char *key,
    const cJSON **arr, size_t *n, char *err, size_t errlen)
{
	const cJSON	*item;
	int		 rc;

	*n = 0;
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	*arr = cJSON_GetObjectItemCaseSensitive(reply, key);
	if (!cJSON_IsArray(*arr)) {
		proto_seterr(err, errlen, "%s \"%s\" is not an array", who, key);
		return JOBQ_EPROTO;
	}
	cJSON_ArrayForEach(item, *arr)
		(*n)++;
	return 0;
}

int
proto_list_reply_from_json(const cJSON *reply, jobq_job ***jobs, size_t *n,
    int64_t *total, char *err, size_t errlen)
{
	const cJSON	*arr, *item;
	jobq_job	**v;
	size_t		 cnt, i;
	int		 rc;

	*jobs = NULL;
	*n = 0;
	if (total != NULL)
		*total = -1;
	if ((rc = proto_reply_array(reply, "list reply", "jobs", &arr, &cnt,
	    err, errlen)) != 0)
		return rc;
	if (total != NULL && proto_get_int(reply, "total", 0, 0, INT64_MAX,
	    total, err, errlen) != 0)
		return JOBQ_EPROTO;
	if ((v = calloc(cnt + 1, sizeof(*v))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_job_from_json(item, &v[i], err, errlen)) != 0) {
			jobq_job_list_free(v, i);
			return rc;
		}
		i++;
	}
	*jobs = v;
	*n = cnt;
	return 0;
}

/* --- logs --- */

cJSON *
proto_logs_reply_to_json(const struct proto_logs_reply *l)
{
	struct proto_out	 o;
	char			*b64;

	if (l == NULL || (l->len > 0 && l->data == NULL))
		return NULL;
	if ((b64 = proto_b64_encode(l->data != NULL ? (const void *)l->data :
	    "", l->len)) == NULL)
		return NULL;
	proto_out_ok(&o);
	proto_out_str(&o, "data", b64);
	free(b64);
	proto_out_int(&o, "offset", l->offset);
	proto_out_int(&o, "size", l->size);
	proto_out_bool(&o, "done", l->done);
	return proto_out_end(&o);
}

int
proto_logs_reply_from_json(const cJSON *reply, struct proto_logs_reply *out,
    char *err, size_t errlen)
{
	const char	*data;
	void		*bytes;
	size_t		 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0 ||
	    (rc = proto_reply_str(reply, "logs reply", "data", &data, err,
	    errlen)) != 0 ||
	    (rc = proto_reply_bool(reply, "logs reply", "done", 1, &out->done,
	    err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "logs reply", "offset", 0, INT64_MAX,
	    &out->offset, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "logs reply", "size", 0, INT64_MAX,
	    &out->size, err, errlen)) != 0)
		return rc;
	if (data == NULL) {
		proto_seterr(err, errlen, "logs reply without \"data\"");
		return JOBQ_EPROTO;
	}
	if ((rc = proto_b64_decode(data, &bytes, &n)) != 0) {
		proto_seterr(err, errlen, rc == JOBQ_ENOMEM ? "out of memory" :
		    "logs reply \"data\" is not base64");
		return rc == JOBQ_ENOMEM ? rc : JOBQ_EPROTO;
	}
	if (n == 0) {
		free(bytes);
		bytes = NULL;
	}
	out->data = bytes;
	out->len = n;
	return 0;
}

/* --- purge --- */

cJSON *
proto_purge_reply_to_json(size_t purged)
{
	struct proto_out	o;

	proto_out_ok(&o);
	proto_out_int(&o, "purged", (uint64_t)purged > (uint64_t)INT64_MAX ?
	    INT64_MAX : (int64_t)purged);
	return proto_out_end(&o);
}

int
proto_purge_reply_from_json(const cJSON *reply, size_t *purged, char *err,
    size_t errlen)
{
	int64_t	v;
	int	rc;

	*purged = 0;
	if ((rc = proto_reply_object(reply, err, errlen)) != 0 ||
	    (rc = proto_rep_int(reply, "purge reply", "purged", 0,
	    PROTO_MAX_COUNT, &v, err, errlen)) != 0)
		return rc;
	*purged = (size_t)v;
	return 0;
}

/* --- queues, statistics --- */

cJSON *
proto_queue_set_reply_to_json(const jobq_queue_info *q,
    const struct proto_exec *e)
{
	struct proto_out	o;

	proto_out_ok(&o);
	proto_out_item(&o, "queue", proto_queue_info_exec_to_json(q, e));
	return proto_out_end(&o);
}

int
proto_queue_set_reply_from_json(const cJSON *reply, jobq_queue_info *out,
    char *err, size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	return proto_queue_info_from_json(cJSON_GetObjectItemCaseSensitive(
	    reply, "queue"), out, err, errlen);
}

cJSON *
proto_queue_list_reply_to_json(const jobq_queue_info *q,
    const struct proto_exec *e, size_t n)
{
	struct proto_out	 o;
	cJSON			*arr = NULL, *item;
	size_t			 i;

	if (n > 0 && q == NULL)
		return NULL;
	proto_out_ok(&o);
	if (o.failed || (arr = cJSON_AddArrayToObject(o.obj, "queues")) == NULL)
		proto_out_fail(&o);
	for (i = 0; !o.failed && i < n; i++) {
		if ((item = proto_queue_info_exec_to_json(&q[i],
		    e != NULL ? &e[i] : NULL)) == NULL)
			proto_out_fail(&o);
		else
			cJSON_AddItemToArray(arr, item);
	}
	return proto_out_end(&o);
}

int
proto_queue_list_reply_from_json(const cJSON *reply, jobq_queue_info **out,
    size_t *n, char *err, size_t errlen)
{
	const cJSON	*arr, *item;
	jobq_queue_info	*v;
	size_t		 cnt, i;
	int		 rc;

	*out = NULL;
	*n = 0;
	if ((rc = proto_reply_array(reply, "queue_list reply", "queues", &arr,
	    &cnt, err, errlen)) != 0)
		return rc;
	/* Never NULL on success, even for no queues. */
	if ((v = calloc(cnt > 0 ? cnt : 1, sizeof(*v))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_queue_info_from_json(item, &v[i], err,
		    errlen)) != 0) {
			free(v);
			return rc;
		}
		i++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
proto_queue_list_reply_exec(const cJSON *reply, struct proto_exec **out,
    size_t n, char *err, size_t errlen)
{
	const cJSON		*arr, *item;
	struct proto_exec	*v;
	size_t			 cnt, i;
	int			 rc;

	*out = NULL;
	if ((rc = proto_reply_array(reply, "queue_list reply", "queues", &arr,
	    &cnt, err, errlen)) != 0)
		return rc;
	if (cnt != n) {
		proto_seterr(err, errlen, "queue_list reply: %zu queues, not "
		    "%zu", cnt, n);
		return JOBQ_EPROTO;
	}
	if ((v = calloc(cnt > 0 ? cnt : 1, sizeof(*v))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_queue_exec_from_json(item, &v[i], err,
		    errlen)) != 0) {
			free(v);
			return rc;
		}
		i++;
	}
	*out = v;
	return 0;
}

cJSON *
proto_stats_reply_to_json(const jobq_stats *st)
{
	struct proto_out	o;

	proto_out_ok(&o);
	proto_out_item(&o, "stats", proto_stats_to_json(st));
	return proto_out_end(&o);
}

int
proto_stats_reply_from_json(const cJSON *reply, jobq_stats *out, char *err,
    size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	return proto_stats_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "stats"), out, err, errlen);
}

/* --- watch --- */

cJSON *
proto_watch_reply_to_json(void)
{
	return proto_ok_reply();
}

int
proto_watch_reply_from_json(const cJSON *reply, char *err, size_t errlen)
{
	return proto_reply_object(reply, err, errlen);
}

cJSON *
proto_metrics_reply_to_json(const char *text)
{
	struct proto_out	 o;

	if (text == NULL)
		return NULL;
	proto_out_ok(&o);
	proto_out_str(&o, "text", text);
	return proto_out_end(&o);
}

int
proto_metrics_reply_from_json(const cJSON *reply, char **text, char *err,
    size_t errlen)
{
	const cJSON	*t;
	int		 rc;

	*text = NULL;
	if ((rc = proto_reply_object(reply, err, errlen)) != 0)
		return rc;
	t = cJSON_GetObjectItemCaseSensitive(reply, "text");
	if (!cJSON_IsString(t) || t->valuestring == NULL) {
		proto_seterr(err, errlen, "metrics reply: \"text\" must be a "
		    "string");
		return JOBQ_EPROTO;
	}
	if ((*text = strdup(t->valuestring)) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	return 0;
}
