/*
 * proto.c - the jobq wire protocol codec: length-prefixed framing, JSON
 * parsing, error names, jobs <-> JSON, submit requests (encode, decode and
 * validate against every documented limit), member readers and base64.
 * Also owns jobq_job_free / jobq_job_list_free, since decoded jobs are built
 * here.  Pure code with no state; shared by jobqd, libjobq and jobq.
 */
#include "config.h"

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
	"internal"       /* JOBQ_EINTERNAL */
};

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
	cJSON		*obj, *argv, *s;
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

cJSON *
proto_submit_to_json(const char *const *argv, const char *const *env,
    const char *cwd, const char *name, const char *queue, int max_retries)
{
	cJSON	*req;

	if (argv == NULL || cwd == NULL)
		return NULL;
	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(req, "op", "submit") == NULL ||
	    proto_add_strings(req, "argv", argv) != 0 ||
	    proto_add_strings(req, "env", env) != 0 ||
	    cJSON_AddStringToObject(req, "cwd", cwd) == NULL ||
	    (name != NULL &&
	    cJSON_AddStringToObject(req, "name", name) == NULL) ||
	    (queue != NULL &&
	    cJSON_AddStringToObject(req, "queue", queue) == NULL) ||
	    (max_retries != 0 &&
	    cJSON_AddNumberToObject(req, "retries", max_retries) == NULL)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
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
