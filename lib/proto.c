/*
 * proto.c - the jobq wire protocol codec: length-prefixed framing, JSON
 * parsing, error names, jobs <-> JSON, submit requests (encode, decode and
 * validate against every documented limit), arrays, queues, watch events
 * and statistics <-> JSON, member readers and base64.  Also owns
 * jobq_job_free / jobq_job_list_free, jobq_queue_list_free and
 * jobq_stats_release, since the objects they free are built here.  Pure code
 * with no state; shared by jobqd, libjobq and jobq.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* 2^63 as a double: the first value that does not fit in an int64_t. */
#define PROTO_TWO63 9223372036854775808.0

static void proto_seterr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
proto_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* --- framing --- */

void
proto_frame_header(uint32_t len, unsigned char hdr[PROTO_HDR_LEN])
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

int
proto_frame_parse(const void *buf, size_t len, size_t max,
    const char **payload, size_t *plen, size_t *consumed)
{
	const unsigned char	*p = buf;
	uint32_t		 n;

	if (len < PROTO_HDR_LEN)
		return 0;
	n = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	if (n == 0)
		return JOBQ_EPROTO;
	if (n > max)
		return JOBQ_ETOOBIG;
	if (len - PROTO_HDR_LEN < n)
		return 0;
	*payload = (const char *)p + PROTO_HDR_LEN;
	*plen = n;
	*consumed = PROTO_HDR_LEN + (size_t)n;
	return 1;
}

int
proto_frame_encode_max(const cJSON *obj, size_t max, char **out,
    size_t *outlen)
{
	char	*json, *buf;
	size_t	 n;

	if (obj == NULL || out == NULL || outlen == NULL)
		return JOBQ_EINVAL;
	if ((json = cJSON_PrintUnformatted(obj)) == NULL)
		return JOBQ_ENOMEM;
	n = strlen(json);
	if (n > max || n > UINT32_MAX) {
		cJSON_free(json);
		return JOBQ_ETOOBIG;
	}
	if (n == 0) {
		cJSON_free(json);
		return JOBQ_EPROTO;
	}
	if ((buf = malloc(PROTO_HDR_LEN + n)) == NULL) {
		cJSON_free(json);
		return JOBQ_ENOMEM;
	}
	proto_frame_header((uint32_t)n, (unsigned char *)buf);
	memcpy(buf + PROTO_HDR_LEN, json, n);
	cJSON_free(json);
	*out = buf;
	*outlen = PROTO_HDR_LEN + n;
	return 0;
}

int
proto_frame_encode(const cJSON *obj, char **out, size_t *outlen)
{
	return proto_frame_encode_max(obj, JOBQ_MAX_FRAME, out, outlen);
}

/*
 * 1 if the JSON text holds the escape \u0000 inside a string: cJSON would
 * silently truncate the string there, and protocol strings never hold NUL.
 * Backslashes only occur inside strings in valid JSON, so a flat scan that
 * skips the character after each backslash is exact.
 */
static int
proto_has_nul_escape(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\')
			continue;
		if (i + 1 >= len)
			return 0;
		if (s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' &&
		    s[i + 3] == '0' && s[i + 4] == '0' && s[i + 5] == '0')
			return 1;
		i++;
	}
	return 0;
}

int
proto_parse(const char *payload, size_t plen, int require_op, cJSON **out,
    char *err, size_t errlen)
{
	char		*copy;
	const char	*end = NULL;
	cJSON		*obj, *op;

	*out = NULL;
	if (payload == NULL || plen == 0) {
		proto_seterr(err, errlen, "empty message");
		return JOBQ_EBADREQ;
	}
	if (memchr(payload, '\0', plen) != NULL) {
		proto_seterr(err, errlen, "NUL byte in message");
		return JOBQ_EBADREQ;
	}
	if (proto_has_nul_escape(payload, plen)) {
		proto_seterr(err, errlen, "NUL character in a string");
		return JOBQ_EBADREQ;
	}
	if ((copy = malloc(plen + 1)) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	memcpy(copy, payload, plen);
	copy[plen] = '\0';
	obj = cJSON_ParseWithOpts(copy, &end, 1);
	free(copy);
	if (obj == NULL) {
		proto_seterr(err, errlen, "message is not valid JSON");
		return JOBQ_EBADREQ;
	}
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		proto_seterr(err, errlen, "message is not a JSON object");
		return JOBQ_EBADREQ;
	}
	if (require_op) {
		op = cJSON_GetObjectItemCaseSensitive(obj, "op");
		if (!cJSON_IsString(op) || op->valuestring == NULL) {
			cJSON_Delete(obj);
			proto_seterr(err, errlen, "missing string \"op\"");
			return JOBQ_EBADREQ;
		}
	}
	*out = obj;
	return 0;
}

/* --- errors and replies --- */

static const char *const proto_errnames[] = {
	"ok",            /* JOBQ_OK */
	"invalid",       /* JOBQ_EINVAL */
	"no_memory",     /* JOBQ_ENOMEM */
	"connect",       /* JOBQ_ECONNECT (client-local) */
	"io",            /* JOBQ_EIO (client-local) */
	"protocol",      /* JOBQ_EPROTO */
	"version",       /* JOBQ_EVERSION */
	"not_found",     /* JOBQ_ENOTFOUND */
	"timeout",       /* JOBQ_ETIMEDOUT */
	"permission",    /* JOBQ_EPERM */
	"too_big",       /* JOBQ_ETOOBIG */
	"bad_state",     /* JOBQ_ESTATE */
	"storage",       /* JOBQ_ESTORAGE */
	"shutting_down", /* JOBQ_ESHUTDOWN */
	"bad_request",   /* JOBQ_EBADREQ */
	"unknown_op",    /* JOBQ_EUNKNOWNOP */
	"internal",      /* JOBQ_EINTERNAL */
	"is_array"       /* JOBQ_EISARRAY */
};

_Static_assert(sizeof(proto_errnames) / sizeof(proto_errnames[0]) ==
    1 - JOBQ_ERR_MIN, "one wire name per error code");

const char *
proto_errname(int err)
{
	if (err >= 0 || err < JOBQ_ERR_MIN)
		return "internal";
	return proto_errnames[-err];
}

int
proto_errcode(const char *name)
{
	int	i;

	if (name == NULL)
		return JOBQ_EPROTO;
	for (i = 1; i <= -JOBQ_ERR_MIN; i++) {
		if (strcmp(name, proto_errnames[i]) == 0)
			return -i;
	}
	return JOBQ_EPROTO;
}

cJSON *
proto_error_reply(int err, const char *msg)
{
	cJSON	*reply, *e;

	if ((reply = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddFalseToObject(reply, "ok") == NULL ||
	    (e = cJSON_AddObjectToObject(reply, "error")) == NULL ||
	    cJSON_AddStringToObject(e, "code", proto_errname(err)) == NULL ||
	    cJSON_AddStringToObject(e, "message",
	    msg != NULL ? msg : jobq_strerror(err)) == NULL) {
		cJSON_Delete(reply);
		return NULL;
	}
	return reply;
}

cJSON *
proto_ok_reply(void)
{
	cJSON	*reply;

	if ((reply = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddTrueToObject(reply, "ok") == NULL) {
		cJSON_Delete(reply);
		return NULL;
	}
	return reply;
}

int
proto_reply_status(const cJSON *reply, char *err, size_t errlen)
{
	const cJSON	*ok, *e, *code, *msg;
	int		 rc;

	proto_seterr(err, errlen, "%s", "");
	if (!cJSON_IsObject(reply)) {
		proto_seterr(err, errlen, "reply is not an object");
		return JOBQ_EPROTO;
	}
	ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
	if (cJSON_IsTrue(ok))
		return 0;
	if (!cJSON_IsFalse(ok)) {
		proto_seterr(err, errlen, "reply without boolean \"ok\"");
		return JOBQ_EPROTO;
	}
	e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	code = cJSON_GetObjectItemCaseSensitive(e, "code");
	if (!cJSON_IsObject(e) || !cJSON_IsString(code) ||
	    code->valuestring == NULL) {
		proto_seterr(err, errlen, "error reply without a code");
		return JOBQ_EPROTO;
	}
	rc = proto_errcode(code->valuestring);
	msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(msg) && msg->valuestring != NULL)
		proto_seterr(err, errlen, "%s", msg->valuestring);
	else
		proto_seterr(err, errlen, "%s", jobq_strerror(rc));
	return rc;
}

/* --- member readers --- */

/* Converts a JSON number to an int64 when integral and in [min,max]. */
static int
proto_num_to_int(const cJSON *item, int64_t min, int64_t max, int64_t *v)
{
	double	d;
	int64_t	i;

	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (!(d >= -PROTO_TWO63 && d < PROTO_TWO63))	/* also rejects NaN */
		return -1;
	i = (int64_t)d;
	if ((double)i != d || i < min || i > max)
		return -1;
	*v = i;
	return 0;
}

int
proto_get_int(const cJSON *obj, const char *key, int required, int64_t min,
    int64_t max, int64_t *v, char *err, size_t errlen)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (item == NULL) {
		if (!required)
			return 0;
		proto_seterr(err, errlen, "missing \"%s\"", key);
		return JOBQ_EINVAL;
	}
	if (proto_num_to_int(item, min, max, v) != 0) {
		proto_seterr(err, errlen, "\"%s\" must be an integer in "
		    "%lld..%lld", key, (long long)min, (long long)max);
		return JOBQ_EINVAL;
	}
	return 0;
}

int
proto_get_str(const cJSON *obj, const char *key, size_t maxlen,
    const char **v, char *err, size_t errlen)
{
	const cJSON	*item;

	*v = NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (item == NULL)
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		proto_seterr(err, errlen, "\"%s\" must be a string", key);
		return JOBQ_EINVAL;
	}
	if (strlen(item->valuestring) > maxlen) {
		proto_seterr(err, errlen, "\"%s\" is longer than %zu bytes",
		    key, maxlen);
		return JOBQ_EINVAL;
	}
	*v = item->valuestring;
	return 0;
}

/* --- labels, dependencies and counts (shared by jobs and submit) --- */

/* The largest count a size_t holds that a JSON integer can carry. */
#define PROTO_MAX_COUNT ((uint64_t)SIZE_MAX > (uint64_t)INT64_MAX ? \
	INT64_MAX : (int64_t)SIZE_MAX)

/* 1 if s has the form K=V with a non-empty K. */
static int
proto_label_valid(const char *s)
{
	const char	*eq;

	eq = strchr(s, '=');
	return eq != NULL && eq != s;
}

/*
 * Checks a "labels" array: at most JOBQ_MAX_LABELS strings "K=V" of at most
 * JOBQ_MAX_LABEL bytes; *n gets the count.  `who` prefixes the messages
 * ("" for a request, "job " for a job).  Codes: too many entries rc_big,
 * anything else rc_bad.
 */
static int
proto_labels_check(const cJSON *arr, const char *who, int rc_bad,
    int rc_big, size_t *n, char *err, size_t errlen)
{
	const cJSON	*a;
	size_t		 i;

	*n = 0;
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "%s\"labels\" must be an array of "
		    "strings", who);
		return rc_bad;
	}
	i = 0;
	cJSON_ArrayForEach(a, arr) {
		if (i >= JOBQ_MAX_LABELS) {
			proto_seterr(err, errlen, "%s\"labels\" has more than "
			    "%d entries", who, JOBQ_MAX_LABELS);
			return rc_big;
		}
		if (!cJSON_IsString(a) || a->valuestring == NULL) {
			proto_seterr(err, errlen, "%s\"labels\" entry %zu is "
			    "not a string", who, i);
			return rc_bad;
		}
		if (strlen(a->valuestring) > JOBQ_MAX_LABEL) {
			proto_seterr(err, errlen, "%s\"labels\" entry %zu is "
			    "longer than %d bytes", who, i, JOBQ_MAX_LABEL);
			return rc_bad;
		}
		if (!proto_label_valid(a->valuestring)) {
			proto_seterr(err, errlen, "%s\"labels\" entry %zu is "
			    "not of the form K=V with a non-empty K", who, i);
			return rc_bad;
		}
		i++;
	}
	*n = i;
	return 0;
}

int
proto_dep_mode_parse(const char *name)
{
	int	m;

	if (name == NULL)
		return -1;
	for (m = JOBQ_DEP_OK; m <= JOBQ_DEP_ANY; m++) {
		if (strcmp(name, jobq_dep_mode_name((jobq_dep_mode)m)) == 0)
			return m;
	}
	return -1;
}

/*
 * Decodes a "deps" array into a malloc'd array (NULL when empty): at most
 * JOBQ_MAX_DEPS objects {"id": >= 1, "mode": "ok"|"notok"|"any"} with the
 * mode optional (default "ok").  Codes as for proto_labels_check, and
 * JOBQ_ENOMEM.
 */
static int
proto_deps_decode(const cJSON *arr, const char *who, int rc_bad, int rc_big,
    jobq_dep **out, size_t *nout, char *err, size_t errlen)
{
	const cJSON	*a, *mode;
	jobq_dep	*deps;
	char		 sub[160];
	size_t		 n, i;
	int		 m;

	*out = NULL;
	*nout = 0;
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "%s\"deps\" must be an array of "
		    "objects", who);
		return rc_bad;
	}
	n = 0;
	cJSON_ArrayForEach(a, arr) {
		if (++n > JOBQ_MAX_DEPS) {
			proto_seterr(err, errlen, "%s\"deps\" has more than %d "
			    "entries", who, JOBQ_MAX_DEPS);
			return rc_big;
		}
	}
	if (n == 0)
		return 0;
	if ((deps = calloc(n, sizeof(*deps))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(a, arr) {
		if (!cJSON_IsObject(a)) {
			proto_seterr(err, errlen, "%s\"deps\" entry %zu is not "
			    "an object", who, i);
			goto bad;
		}
		if (proto_get_int(a, "id", 1, 1, INT64_MAX, &deps[i].id, sub,
		    sizeof(sub)) != 0) {
			proto_seterr(err, errlen, "%s\"deps\" entry %zu: %s",
			    who, i, sub);
			goto bad;
		}
		mode = cJSON_GetObjectItemCaseSensitive(a, "mode");
		if (mode == NULL)
			m = JOBQ_DEP_OK;
		else if (!cJSON_IsString(mode) ||
		    (m = proto_dep_mode_parse(mode->valuestring)) < 0) {
			proto_seterr(err, errlen, "%s\"deps\" entry %zu: "
			    "\"mode\" must be \"ok\", \"notok\" or \"any\"",
			    who, i);
			goto bad;
		}
		deps[i].mode = (jobq_dep_mode)m;
		i++;
	}
	*out = deps;
	*nout = n;
	return 0;
bad:
	free(deps);
	return rc_bad;
}

/* Adds "deps":[{"id":N,"mode":M},...]; 0, or -1 (allocation, bad mode). */
static int
proto_add_deps(cJSON *obj, const jobq_dep *deps, size_t n)
{
	cJSON		*arr, *d;
	const char	*mode;
	size_t		 i;

	if ((arr = cJSON_AddArrayToObject(obj, "deps")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((mode = jobq_dep_mode_name(deps[i].mode)) == NULL)
			return -1;
		if ((d = cJSON_CreateObject()) == NULL)
			return -1;
		cJSON_AddItemToArray(arr, d);
		if (proto_add_int(d, "id", deps[i].id) != 0 ||
		    cJSON_AddStringToObject(d, "mode", mode) == NULL)
			return -1;
	}
	return 0;
}

int
proto_add_counts(cJSON *obj, const char *key,
    const size_t counts[JOBQ_STATE_COUNT])
{
	cJSON	*c;
	int	 s;

	if ((c = cJSON_AddObjectToObject(obj, key)) == NULL)
		return -1;
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		if (proto_add_int(c, jobq_state_name((jobq_state)s),
		    (uint64_t)counts[s] > (uint64_t)INT64_MAX ? INT64_MAX :
		    (int64_t)counts[s]) != 0)
			return -1;
	}
	return 0;
}

/* Decodes a "counts" object: absent state names count 0, unknown names are
 * ignored, a known name must have an integer >= 0.  0 or JOBQ_EPROTO. */
static int
proto_counts_decode(const cJSON *obj, const char *who,
    size_t counts[JOBQ_STATE_COUNT], char *err, size_t errlen)
{
	const cJSON	*item;
	int64_t		 v;
	int		 s;

	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "%s \"counts\" is not an object", who);
		return JOBQ_EPROTO;
	}
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		counts[s] = 0;
		item = cJSON_GetObjectItemCaseSensitive(obj,
		    jobq_state_name((jobq_state)s));
		if (item == NULL)
			continue;
		if (proto_num_to_int(item, 0, PROTO_MAX_COUNT, &v) != 0) {
			proto_seterr(err, errlen, "%s \"counts\" \"%s\" is not "
			    "an integer >= 0", who,
			    jobq_state_name((jobq_state)s));
			return JOBQ_EPROTO;
		}
		counts[s] = (size_t)v;
	}
	return 0;
}

/* --- jobs --- */

void
jobq_job_free(jobq_job *job)
{
	size_t	i;

	if (job == NULL)
		return;
	free(job->name);
	free(job->queue);
	if (job->argv != NULL) {
		for (i = 0; i < job->argc; i++)
			free(job->argv[i]);
		free(job->argv);
	}
	free(job->cwd);
	free(job->reason);
	free(job->message);
	free(job->unique_key);
	if (job->labels != NULL) {
		for (i = 0; i < job->nlabels; i++)
			free(job->labels[i]);
		free(job->labels);
	}
	free(job->deps);
	free(job);
}

void
jobq_job_list_free(jobq_job **jobs, size_t n)
{
	size_t	i;

	if (jobs == NULL)
		return;
	for (i = 0; i < n; i++)
		jobq_job_free(jobs[i]);
	free(jobs);
}

/*
 * cJSON prints numbers with 15 significant digits, which is exact for
 * integers below 10^15; larger ones are written as raw decimal text.
 */
#define PROTO_EXACT_PRINT 999999999999999LL

int
proto_add_int(cJSON *obj, const char *key, int64_t v)
{
	char	buf[32];
	int	n;

	if (v >= -PROTO_EXACT_PRINT && v <= PROTO_EXACT_PRINT) {
		if (cJSON_AddNumberToObject(obj, key, (double)v) == NULL)
			return JOBQ_ENOMEM;
		return 0;
	}
	n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return JOBQ_EINTERNAL;
	if (cJSON_AddRawToObject(obj, key, buf) == NULL)
		return JOBQ_ENOMEM;
	return 0;
}

/* Adds an integer member, or null when isnull. */
static int
proto_add_int_or_null(cJSON *obj, const char *key, int64_t v, int isnull)
{
	if (isnull)
		return cJSON_AddNullToObject(obj, key) != NULL ? 0 : -1;
	return proto_add_int(obj, key, v) == 0 ? 0 : -1;
}

/* Adds a string member, or null for NULL. */
static int
proto_add_str(cJSON *obj, const char *key, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, key) != NULL ? 0 : -1;
	return cJSON_AddStringToObject(obj, key, s) != NULL ? 0 : -1;
}

cJSON *
proto_job_to_json(const jobq_job *job)
{
	cJSON		*obj, *argv, *labels, *s;
	const char	*state;
	size_t		 i;

	if (job == NULL || (state = jobq_state_name(job->state)) == NULL)
		return NULL;
	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (proto_add_int(obj, "id", job->id) != 0 ||
	    proto_add_str(obj, "state", state) != 0 ||
	    proto_add_str(obj, "name", job->name) != 0 ||
	    proto_add_str(obj, "queue",
	    job->queue != NULL ? job->queue : "default") != 0 ||
	    (argv = cJSON_AddArrayToObject(obj, "argv")) == NULL)
		goto fail;
	for (i = 0; job->argv != NULL && i < job->argc; i++) {
		if ((s = cJSON_CreateString(job->argv[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(argv, s);
	}
	if (proto_add_str(obj, "cwd", job->cwd != NULL ? job->cwd : "") != 0 ||
	    proto_add_int(obj, "owner_uid", job->owner_uid) != 0 ||
	    proto_add_int_or_null(obj, "exit_code", job->exit_code,
	    job->exit_code < 0) != 0 ||
	    proto_add_int_or_null(obj, "signal", job->signal,
	    job->signal == 0) != 0 ||
	    proto_add_int(obj, "submitted_at", job->submitted_at) != 0 ||
	    proto_add_int_or_null(obj, "started_at", job->started_at,
	    job->started_at == 0) != 0 ||
	    proto_add_int_or_null(obj, "finished_at", job->finished_at,
	    job->finished_at == 0) != 0 ||
	    proto_add_int(obj, "attempts", job->attempts) != 0 ||
	    proto_add_int(obj, "max_retries", job->max_retries) != 0 ||
	    proto_add_str(obj, "reason", job->reason) != 0 ||
	    proto_add_str(obj, "message", job->message) != 0 ||
	    proto_add_int_or_null(obj, "pid", job->pid, job->pid == 0) != 0)
		goto fail;

	/* Scheduling members: priority and labels always, the rest when set. */
	if (proto_add_int(obj, "priority", job->priority) != 0 ||
	    (job->not_before != 0 &&
	    proto_add_int(obj, "not_before", job->not_before) != 0) ||
	    (job->timeout_ms != 0 &&
	    proto_add_int(obj, "timeout_ms", job->timeout_ms) != 0) ||
	    (job->kill_grace_ms != 0 &&
	    proto_add_int(obj, "kill_grace_ms", job->kill_grace_ms) != 0) ||
	    (job->retry_delay_ms != 0 &&
	    proto_add_int(obj, "retry_delay_ms", job->retry_delay_ms) != 0) ||
	    (job->unique_key != NULL &&
	    proto_add_str(obj, "unique_key", job->unique_key) != 0) ||
	    (labels = cJSON_AddArrayToObject(obj, "labels")) == NULL)
		goto fail;
	for (i = 0; job->labels != NULL && i < job->nlabels; i++) {
		if (job->labels[i] == NULL)
			goto fail;
		if ((s = cJSON_CreateString(job->labels[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(labels, s);
	}
	if (job->ndeps > 0 && (job->deps == NULL ||
	    proto_add_deps(obj, job->deps, job->ndeps) != 0))
		goto fail;
	if (job->array_id != 0 &&
	    (proto_add_int(obj, "array_id", job->array_id) != 0 ||
	    proto_add_int(obj, "array_index", job->array_index) != 0))
		goto fail;
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}

/*
 * Reads a job's integer member.  nullable: JSON null (or absence) gives
 * nullval.  Returns 0 or JOBQ_EPROTO.
 */
static int
proto_job_int(const cJSON *obj, const char *key, int nullable,
    int64_t nullval, int64_t min, int64_t max, int64_t *v, char *err,
    size_t errlen)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (nullable && (item == NULL || cJSON_IsNull(item))) {
		*v = nullval;
		return 0;
	}
	if (item == NULL) {
		proto_seterr(err, errlen, "job without \"%s\"", key);
		return JOBQ_EPROTO;
	}
	if (proto_num_to_int(item, min, max, v) != 0) {
		proto_seterr(err, errlen, "job \"%s\" is not an integer in "
		    "%lld..%lld%s", key, (long long)min, (long long)max,
		    nullable ? " or null" : "");
		return JOBQ_EPROTO;
	}
	return 0;
}

/*
 * Copies a job's string member into *v.  nullable: JSON null (or absence)
 * gives NULL.  Returns 0, JOBQ_EPROTO or JOBQ_ENOMEM.
 */
static int
proto_job_str(const cJSON *obj, const char *key, int nullable, char **v,
    char *err, size_t errlen)
{
	const cJSON	*item;

	*v = NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (nullable && (item == NULL || cJSON_IsNull(item)))
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		proto_seterr(err, errlen, "job \"%s\" is not a string%s", key,
		    nullable ? " or null" : "");
		return JOBQ_EPROTO;
	}
	if ((*v = strdup(item->valuestring)) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	return 0;
}

/*
 * Decodes a job's scheduling members into job (all optional: absent or null
 * leaves 0 / NULL, except labels, which become an empty array).
 */
static int
proto_job_sched(const cJSON *obj, jobq_job *job, char *err, size_t errlen)
{
	const cJSON	*labels, *deps, *a;
	int64_t		 v;
	size_t		 n, i;
	int		 rc;

	if ((rc = proto_job_int(obj, "priority", 1, 0, INT32_MIN, INT32_MAX,
	    &v, err, errlen)) != 0)
		return rc;
	job->priority = (int)v;
	if ((rc = proto_job_int(obj, "not_before", 1, 0, 0, INT64_MAX,
	    &job->not_before, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "timeout_ms", 1, 0, 0, INT64_MAX,
	    &job->timeout_ms, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "kill_grace_ms", 1, 0, 0, INT64_MAX,
	    &job->kill_grace_ms, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "retry_delay_ms", 1, 0, 0, INT64_MAX,
	    &job->retry_delay_ms, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "array_id", 1, 0, 0, INT64_MAX,
	    &job->array_id, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "array_index", 1, 0, 0, INT64_MAX,
	    &job->array_index, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "unique_key", 1, &job->unique_key, err,
	    errlen)) != 0)
		return rc;
	if (job->unique_key != NULL &&
	    strlen(job->unique_key) > JOBQ_MAX_NAME) {
		proto_seterr(err, errlen, "job \"unique_key\" is longer than %d "
		    "bytes", JOBQ_MAX_NAME);
		return JOBQ_EPROTO;
	}

	n = 0;
	labels = cJSON_GetObjectItemCaseSensitive(obj, "labels");
	if (labels != NULL && !cJSON_IsNull(labels) &&
	    (rc = proto_labels_check(labels, "job ", JOBQ_EPROTO, JOBQ_EPROTO,
	    &n, err, errlen)) != 0)
		return rc;
	if ((job->labels = calloc(n + 1, sizeof(*job->labels))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	if (n > 0) {
		cJSON_ArrayForEach(a, labels) {
			if ((job->labels[i] = strdup(a->valuestring)) == NULL) {
				proto_seterr(err, errlen, "out of memory");
				return JOBQ_ENOMEM;
			}
			job->nlabels = ++i;
		}
	}

	deps = cJSON_GetObjectItemCaseSensitive(obj, "deps");
	if (deps != NULL && !cJSON_IsNull(deps))
		return proto_deps_decode(deps, "job ", JOBQ_EPROTO, JOBQ_EPROTO,
		    &job->deps, &job->ndeps, err, errlen);
	return 0;
}

int
proto_job_from_json(const cJSON *obj, jobq_job **out, char *err,
    size_t errlen)
{
	jobq_job	*job;
	const cJSON	*st, *argv, *a;
	int64_t		 v;
	size_t		 n, i;
	int		 rc, state;

	*out = NULL;
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "job is not an object");
		return JOBQ_EPROTO;
	}
	st = cJSON_GetObjectItemCaseSensitive(obj, "state");
	if (!cJSON_IsString(st) ||
	    (state = jobq_state_parse(st->valuestring)) < 0) {
		proto_seterr(err, errlen, "job \"state\" is not a state name");
		return JOBQ_EPROTO;
	}
	argv = cJSON_GetObjectItemCaseSensitive(obj, "argv");
	if (!cJSON_IsArray(argv)) {
		proto_seterr(err, errlen, "job \"argv\" is not an array");
		return JOBQ_EPROTO;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	job->state = (jobq_state)state;

	n = 0;
	cJSON_ArrayForEach(a, argv)
		n++;
	if ((job->argv = calloc(n + 1, sizeof(*job->argv))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		rc = JOBQ_ENOMEM;
		goto fail;
	}
	i = 0;
	cJSON_ArrayForEach(a, argv) {
		if (!cJSON_IsString(a) || a->valuestring == NULL) {
			proto_seterr(err, errlen, "job \"argv\" entry %zu is "
			    "not a string", i);
			rc = JOBQ_EPROTO;
			goto fail;
		}
		if ((job->argv[i] = strdup(a->valuestring)) == NULL) {
			proto_seterr(err, errlen, "out of memory");
			rc = JOBQ_ENOMEM;
			goto fail;
		}
		job->argc = ++i;
	}

	if ((rc = proto_job_int(obj, "id", 0, 0, 1, INT64_MAX, &job->id,
	    err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "name", 1, &job->name, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "queue", 0, &job->queue, err,
	    errlen)) != 0 ||
	    (rc = proto_job_str(obj, "cwd", 0, &job->cwd, err, errlen)) != 0 ||
	    (rc = proto_job_str(obj, "reason", 1, &job->reason, err,
	    errlen)) != 0 ||
	    (rc = proto_job_str(obj, "message", 1, &job->message, err,
	    errlen)) != 0)
		goto fail;

	if ((rc = proto_job_int(obj, "owner_uid", 0, 0, 0, UINT32_MAX, &v,
	    err, errlen)) != 0)
		goto fail;
	job->owner_uid = (uint32_t)v;
	if ((rc = proto_job_int(obj, "exit_code", 1, -1, INT32_MIN, INT32_MAX,
	    &v, err, errlen)) != 0)
		goto fail;
	job->exit_code = (int)v;
	if ((rc = proto_job_int(obj, "signal", 1, 0, 0, INT32_MAX, &v, err,
	    errlen)) != 0)
		goto fail;
	job->signal = (int)v;
	if ((rc = proto_job_int(obj, "attempts", 0, 0, 0, INT32_MAX, &v, err,
	    errlen)) != 0)
		goto fail;
	job->attempts = (int)v;
	if ((rc = proto_job_int(obj, "max_retries", 0, 0, 0, INT32_MAX, &v,
	    err, errlen)) != 0)
		goto fail;
	job->max_retries = (int)v;
	if ((rc = proto_job_int(obj, "submitted_at", 0, 0, 0, INT64_MAX,
	    &job->submitted_at, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "started_at", 1, 0, 0, INT64_MAX,
	    &job->started_at, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "finished_at", 1, 0, 0, INT64_MAX,
	    &job->finished_at, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "pid", 1, 0, 0, INT64_MAX, &job->pid,
	    err, errlen)) != 0)
		goto fail;
	if ((rc = proto_job_sched(obj, job, err, errlen)) != 0)
		goto fail;

	*out = job;
	return 0;
fail:
	jobq_job_free(job);
	return rc;
}

/* --- submit --- */

void
proto_submit_release(struct proto_submit *s)
{
	if (s == NULL)
		return;
	free(s->argv);
	free(s->env);
	free(s->labels);
	free(s->deps);
	memset(s, 0, sizeof(*s));
}

/* 1 if q matches [A-Za-z0-9_.-]+. */
static int
proto_queue_valid(const char *q)
{
	const char	*p;

	if (*q == '\0')
		return 0;
	for (p = q; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-'))
			return 0;
	}
	return 1;
}

/*
 * Decodes an array of strings (argv or env) into a malloc'd NULL-terminated
 * array of pointers into the JSON, adding strlen+1 of each to *bytes.
 */
static int
proto_submit_strings(const cJSON *req, const char *key, size_t min,
    size_t max, int isenv, const char ***out, size_t *count, size_t *bytes,
    char *err, size_t errlen)
{
	const cJSON	*arr, *a;
	const char	**v, *eq;
	size_t		 n, i;

	arr = cJSON_GetObjectItemCaseSensitive(req, key);
	if (arr == NULL) {
		proto_seterr(err, errlen, "missing \"%s\"", key);
		return JOBQ_EINVAL;
	}
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "\"%s\" must be an array of strings",
		    key);
		return JOBQ_EINVAL;
	}
	n = 0;
	cJSON_ArrayForEach(a, arr) {
		if (++n > max) {
			proto_seterr(err, errlen, "\"%s\" has more than %zu "
			    "entries", key, max);
			return JOBQ_ETOOBIG;
		}
	}
	if (n < min) {
		proto_seterr(err, errlen, "\"%s\" must not be empty", key);
		return JOBQ_EINVAL;
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(a, arr) {
		if (!cJSON_IsString(a) || a->valuestring == NULL) {
			proto_seterr(err, errlen, "\"%s\" entry %zu is not a "
			    "string", key, i);
			free(v);
			return JOBQ_EINVAL;
		}
		if (isenv) {
			eq = strchr(a->valuestring, '=');
			if (eq == NULL || eq == a->valuestring) {
				proto_seterr(err, errlen, "\"%s\" entry %zu is "
				    "not of the form K=V", key, i);
				free(v);
				return JOBQ_EINVAL;
			}
		}
		*bytes += strlen(a->valuestring) + 1;
		if (*bytes > JOBQ_MAX_SPEC) {
			proto_seterr(err, errlen, "argv, env and cwd exceed "
			    "%u bytes", JOBQ_MAX_SPEC);
			free(v);
			return JOBQ_ETOOBIG;
		}
		v[i++] = a->valuestring;
	}
	*out = v;
	*count = n;
	return 0;
}

/* Decodes the "array" member of a submit into out. */
static int
proto_submit_array(const cJSON *arr, struct proto_submit *out, char *err,
    size_t errlen)
{
	char	sub[160];
	int64_t	first = 0, step = 1, count = 0, throttle = 0;

	if (!cJSON_IsObject(arr)) {
		proto_seterr(err, errlen, "\"array\" must be an object");
		return JOBQ_EINVAL;
	}
	if (proto_get_int(arr, "first", 1, 0, INT64_MAX, &first, sub,
	    sizeof(sub)) != 0 ||
	    proto_get_int(arr, "step", 0, 1, INT64_MAX, &step, sub,
	    sizeof(sub)) != 0 ||
	    proto_get_int(arr, "count", 1, 1, JOBQ_MAX_ARRAY, &count, sub,
	    sizeof(sub)) != 0 ||
	    proto_get_int(arr, "throttle", 0, 0, INT32_MAX, &throttle, sub,
	    sizeof(sub)) != 0) {
		proto_seterr(err, errlen, "\"array\": %s", sub);
		return JOBQ_EINVAL;
	}
	/* The last index, first + step * (count - 1), must fit. */
	if (count > 1 && step > (INT64_MAX - first) / (count - 1)) {
		proto_seterr(err, errlen, "\"array\": the last index, first + "
		    "step * (count - 1), exceeds %lld", (long long)INT64_MAX);
		return JOBQ_EINVAL;
	}
	out->array_first = first;
	out->array_step = step;
	out->array_count = count;
	out->array_throttle = (int)throttle;
	return 0;
}

/* Decodes and validates the scheduling members of a submit into out. */
static int
proto_submit_sched(const cJSON *req, struct proto_submit *out, char *err,
    size_t errlen)
{
	const cJSON	*labels, *deps, *arr, *a;
	int64_t		 v = 0;
	size_t		 n, i;
	int		 rc;

	if ((rc = proto_get_int(req, "priority", 0, -PROTO_MAX_PRIORITY,
	    PROTO_MAX_PRIORITY, &v, err, errlen)) != 0)
		return rc;
	out->priority = (int)v;
	if ((rc = proto_get_int(req, "not_before", 0, 0, INT64_MAX,
	    &out->not_before, err, errlen)) != 0 ||
	    (rc = proto_get_int(req, "timeout_ms", 0, 0, PROTO_MAX_TIMEOUT_MS,
	    &out->timeout_ms, err, errlen)) != 0 ||
	    (rc = proto_get_int(req, "kill_grace_ms", 0, 0, PROTO_MAX_GRACE_MS,
	    &out->kill_grace_ms, err, errlen)) != 0 ||
	    (rc = proto_get_int(req, "retry_delay_ms", 0, 0,
	    PROTO_MAX_RETRY_DELAY_MS, &out->retry_delay_ms, err,
	    errlen)) != 0 ||
	    (rc = proto_get_str(req, "unique_key", JOBQ_MAX_NAME,
	    &out->unique_key, err, errlen)) != 0)
		return rc;
	if (out->unique_key != NULL && out->unique_key[0] == '\0') {
		proto_seterr(err, errlen, "\"unique_key\" must not be empty");
		return JOBQ_EINVAL;
	}

	n = 0;
	labels = cJSON_GetObjectItemCaseSensitive(req, "labels");
	if (labels != NULL && (rc = proto_labels_check(labels, "",
	    JOBQ_EINVAL, JOBQ_ETOOBIG, &n, err, errlen)) != 0)
		return rc;
	if ((out->labels = calloc(n + 1, sizeof(*out->labels))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	if (n > 0) {
		cJSON_ArrayForEach(a, labels)
			out->labels[i++] = a->valuestring;
	}
	out->nlabels = n;

	deps = cJSON_GetObjectItemCaseSensitive(req, "deps");
	if (deps != NULL && (rc = proto_deps_decode(deps, "", JOBQ_EINVAL,
	    JOBQ_ETOOBIG, &out->deps, &out->ndeps, err, errlen)) != 0)
		return rc;

	out->array_step = 1;
	arr = cJSON_GetObjectItemCaseSensitive(req, "array");
	if (arr != NULL) {
		if ((rc = proto_submit_array(arr, out, err, errlen)) != 0)
			return rc;
		if (out->unique_key != NULL) {
			proto_seterr(err, errlen, "unique_key cannot be used "
			    "with an array");
			return JOBQ_EINVAL;
		}
	}
	return 0;
}

int
proto_submit_from_json(const cJSON *req, struct proto_submit *out,
    char *err, size_t errlen)
{
	const cJSON	*cwd;
	int64_t		 retries = 0;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_submit_strings(req, "argv", 1, JOBQ_MAX_ARGS, 0,
	    &out->argv, &out->argc, &out->spec_bytes, err, errlen)) != 0)
		goto fail;
	if (out->argv[0][0] == '\0') {
		proto_seterr(err, errlen, "\"argv\" entry 0 is empty");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	if ((rc = proto_submit_strings(req, "env", 0, JOBQ_MAX_ENV, 1,
	    &out->env, &out->envc, &out->spec_bytes, err, errlen)) != 0)
		goto fail;

	cwd = cJSON_GetObjectItemCaseSensitive(req, "cwd");
	if (!cJSON_IsString(cwd) || cwd->valuestring == NULL ||
	    cwd->valuestring[0] != '/') {
		proto_seterr(err, errlen, "\"cwd\" must be an absolute path");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	out->cwd = cwd->valuestring;
	out->spec_bytes += strlen(out->cwd) + 1;
	if (out->spec_bytes > JOBQ_MAX_SPEC) {
		proto_seterr(err, errlen, "argv, env and cwd exceed %u bytes",
		    JOBQ_MAX_SPEC);
		rc = JOBQ_ETOOBIG;
		goto fail;
	}

	if ((rc = proto_get_str(req, "name", JOBQ_MAX_NAME, &out->name, err,
	    errlen)) != 0)
		goto fail;
	if ((rc = proto_get_str(req, "queue", JOBQ_MAX_NAME, &out->queue, err,
	    errlen)) != 0)
		goto fail;
	if (out->queue == NULL)
		out->queue = "default";
	else if (!proto_queue_valid(out->queue)) {
		proto_seterr(err, errlen, "\"queue\" must match "
		    "[A-Za-z0-9_.-]+");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	if ((rc = proto_get_int(req, "retries", 0, 0, 1000, &retries, err,
	    errlen)) != 0)
		goto fail;
	out->max_retries = (int)retries;
	if ((rc = proto_submit_sched(req, out, err, errlen)) != 0)
		goto fail;
	return 0;
fail:
	proto_submit_release(out);
	return rc;
}

/* Adds key: [strings...]; NULL list gives an empty array. */
static int
proto_add_strings(cJSON *obj, const char *key, const char *const *list)
{
	cJSON	*arr, *s;
	size_t	 i;

	if ((arr = cJSON_AddArrayToObject(obj, key)) == NULL)
		return -1;
	for (i = 0; list != NULL && list[i] != NULL; i++) {
		if ((s = cJSON_CreateString(list[i])) == NULL)
			return -1;
		cJSON_AddItemToArray(arr, s);
	}
	return 0;
}

/* Adds an integer member when v != 0; 0 or -1. */
static int
proto_add_int_nz(cJSON *obj, const char *key, int64_t v)
{
	if (v == 0)
		return 0;
	return proto_add_int(obj, key, v) == 0 ? 0 : -1;
}

cJSON *
proto_submit_to_json(const jobq_submit_opts *opts, const char *const *env,
    const char *cwd)
{
	cJSON	*req, *arr;
	size_t	 i;

	if (opts == NULL || opts->argv == NULL || cwd == NULL ||
	    (opts->ndeps > 0 && opts->deps == NULL) || opts->array_count < 0)
		return NULL;
	for (i = 0; i < opts->ndeps; i++) {
		if (jobq_dep_mode_name(opts->deps[i].mode) == NULL)
			return NULL;
	}
	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(req, "op", "submit") == NULL ||
	    proto_add_strings(req, "argv", opts->argv) != 0 ||
	    proto_add_strings(req, "env", env) != 0 ||
	    cJSON_AddStringToObject(req, "cwd", cwd) == NULL ||
	    (opts->name != NULL &&
	    cJSON_AddStringToObject(req, "name", opts->name) == NULL) ||
	    (opts->queue != NULL &&
	    cJSON_AddStringToObject(req, "queue", opts->queue) == NULL) ||
	    proto_add_int_nz(req, "retries", opts->max_retries) != 0 ||
	    proto_add_int_nz(req, "priority", opts->priority) != 0 ||
	    proto_add_int_nz(req, "not_before", opts->not_before) != 0 ||
	    proto_add_int_nz(req, "timeout_ms", opts->timeout_ms) != 0 ||
	    proto_add_int_nz(req, "kill_grace_ms", opts->kill_grace_ms) != 0 ||
	    proto_add_int_nz(req, "retry_delay_ms",
	    opts->retry_delay_ms) != 0 ||
	    (opts->unique_key != NULL && cJSON_AddStringToObject(req,
	    "unique_key", opts->unique_key) == NULL) ||
	    (opts->labels != NULL && opts->labels[0] != NULL &&
	    proto_add_strings(req, "labels", opts->labels) != 0) ||
	    (opts->ndeps > 0 &&
	    proto_add_deps(req, opts->deps, opts->ndeps) != 0))
		goto fail;
	if (opts->array_count > 0) {
		if ((arr = cJSON_AddObjectToObject(req, "array")) == NULL ||
		    proto_add_int(arr, "first", opts->array_first) != 0 ||
		    proto_add_int(arr, "step", opts->array_step == 0 ? 1 :
		    opts->array_step) != 0 ||
		    proto_add_int(arr, "count", opts->array_count) != 0 ||
		    proto_add_int_nz(arr, "throttle",
		    opts->array_throttle) != 0)
			goto fail;
	}
	return req;
fail:
	cJSON_Delete(req);
	return NULL;
}

/* --- arrays, queues, watch events, statistics --- */

/* Reads a required integer member of a reply object (JOBQ_EPROTO). */
static int
proto_rep_int(const cJSON *obj, const char *who, const char *key,
    int64_t min, int64_t max, int64_t *v, char *err, size_t errlen)
{
	if (proto_num_to_int(cJSON_GetObjectItemCaseSensitive(obj, key), min,
	    max, v) != 0) {
		proto_seterr(err, errlen, "%s \"%s\" is not an integer in "
		    "%lld..%lld", who, key, (long long)min, (long long)max);
		return JOBQ_EPROTO;
	}
	return 0;
}

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
proto_event_to_json(const jobq_event *ev)
{
	cJSON		*obj;
	const char	*state;

	if (ev == NULL || (state = jobq_state_name(ev->state)) == NULL ||
	    memchr(ev->queue, '\0', sizeof(ev->queue)) == NULL ||
	    memchr(ev->reason, '\0', sizeof(ev->reason)) == NULL)
		return NULL;
	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(obj, "event", "state") == NULL ||
	    proto_add_int(obj, "id", ev->id) != 0 ||
	    cJSON_AddStringToObject(obj, "state", state) == NULL ||
	    proto_add_int(obj, "time", ev->time) != 0 ||
	    cJSON_AddStringToObject(obj, "queue", ev->queue) == NULL ||
	    proto_add_int(obj, "attempts", ev->attempts) != 0 ||
	    (ev->exit_code >= 0 &&
	    proto_add_int(obj, "exit_code", ev->exit_code) != 0) ||
	    proto_add_int_nz(obj, "signal", ev->signal) != 0 ||
	    (ev->reason[0] != '\0' &&
	    cJSON_AddStringToObject(obj, "reason", ev->reason) == NULL) ||
	    proto_add_int_nz(obj, "not_before", ev->not_before) != 0 ||
	    (ev->array_id != 0 &&
	    (proto_add_int(obj, "array_id", ev->array_id) != 0 ||
	    proto_add_int(obj, "array_index", ev->array_index) != 0))) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
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
	cJSON	*obj;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (proto_add_int(obj, "window_ms", w->window_ms) != 0 ||
	    proto_add_int(obj, "finished", w->finished > (uint64_t)INT64_MAX ?
	    INT64_MAX : (int64_t)w->finished) != 0 ||
	    cJSON_AddNumberToObject(obj, "per_second", w->per_second) == NULL ||
	    cJSON_AddNumberToObject(obj, "wait_mean_ms",
	    w->wait_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(obj, "wait_p95_ms", w->wait_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(obj, "run_mean_ms", w->run_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(obj, "run_p95_ms", w->run_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(obj, "utilisation",
	    w->utilisation) == NULL) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
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
	cJSON	*obj, *w, *arr, *q;
	size_t	 i;

	if (st == NULL || (st->nqueues > 0 && st->queues == NULL))
		return NULL;
	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (proto_add_counts(obj, "counts", st->counts) != 0 ||
	    proto_add_int(obj, "workers", st->workers) != 0 ||
	    proto_add_int(obj, "busy", st->busy) != 0)
		goto fail;
	if ((w = proto_window_to_json(&st->minute)) == NULL)
		goto fail;
	cJSON_AddItemToObject(obj, "minute", w);
	if ((w = proto_window_to_json(&st->hour)) == NULL)
		goto fail;
	cJSON_AddItemToObject(obj, "hour", w);
	if ((arr = cJSON_AddArrayToObject(obj, "queues")) == NULL)
		goto fail;
	for (i = 0; i < st->nqueues; i++) {
		if ((q = proto_queue_info_to_json(&st->queues[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, q);
	}
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
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

	arr = cJSON_GetObjectItemCaseSensitive(obj, "queues");
	if (arr == NULL) {
		*out = st;
		return 0;
	}
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "stats \"queues\" is not an array");
		return JOBQ_EPROTO;
	}
	n = 0;
	cJSON_ArrayForEach(item, arr)
		n++;
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

/* --- base64 --- */

static const char proto_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
proto_b64_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;
	uint32_t		 v;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 3 <= len; i += 3) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = proto_b64_alphabet[(v >> 6) & 63];
		*o++ = proto_b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
		*o++ = proto_b64_alphabet[(v >> 18) & 63];
		*o++ = proto_b64_alphabet[(v >> 12) & 63];
		*o++ = proto_b64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
proto_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict decoding: the length is a multiple of 4, only the alphabet, '='
 * only as the final one or two characters, and unused bits zero (so every
 * byte string has exactly one accepted encoding).
 */
int
proto_b64_decode(const char *s, void **out, size_t *outlen)
{
	unsigned char	*buf;
	size_t		 len, i, o, pad;
	int		 a, b, c, d;

	if (s == NULL || out == NULL || outlen == NULL)
		return JOBQ_EINVAL;
	len = strlen(s);
	if (len % 4 != 0)
		return JOBQ_EINVAL;
	pad = 0;
	if (len > 0 && s[len - 1] == '=')
		pad = (s[len - 2] == '=') ? 2 : 1;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return JOBQ_ENOMEM;
	o = 0;
	for (i = 0; i < len; i += 4) {
		a = proto_b64_value((unsigned char)s[i]);
		b = proto_b64_value((unsigned char)s[i + 1]);
		if (i + 4 == len && pad == 2) {
			c = 0;
			d = 0;
		} else if (i + 4 == len && pad == 1) {
			c = proto_b64_value((unsigned char)s[i + 2]);
			d = 0;
		} else {
			c = proto_b64_value((unsigned char)s[i + 2]);
			d = proto_b64_value((unsigned char)s[i + 3]);
		}
		if (a < 0 || b < 0 || c < 0 || d < 0)
			goto bad;
		buf[o++] = (unsigned char)((a << 2) | (b >> 4));
		if (i + 4 == len && pad == 2) {
			if ((b & 15) != 0)
				goto bad;
			break;
		}
		buf[o++] = (unsigned char)(((b & 15) << 4) | (c >> 2));
		if (i + 4 == len && pad == 1) {
			if ((c & 3) != 0)
				goto bad;
			break;
		}
		buf[o++] = (unsigned char)(((c & 3) << 6) | d);
	}
	*out = buf;
	*outlen = o;
	return 0;
bad:
	free(buf);
	return JOBQ_EINVAL;
}
