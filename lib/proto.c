/*
 * proto.c - the jobq wire protocol codec's base: length-prefixed framing,
 * JSON parsing, error names and the generic replies, the member readers
 * and writers every codec file uses, the labels / dependencies / counts
 * members that jobs, submits and replies share, and the queue-name rule.
 * The objects themselves are in proto_job.c, proto_submit.c, proto_req.c,
 * proto_reply.c and proto_sched.c; base64 in proto_b64.c.  Pure code with
 * no state; shared by jobqd, libjobq and jobq.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

/* 2^63 as a double: the first value that does not fit in an int64_t. */
#define PROTO_TWO63 9223372036854775808.0

/*
 * Integer members are written as raw decimal text (proto_add_int), not as
 * cJSON numbers: cJSON (1.7.15) prints every number with "%1.15g" and
 * reads it back with sscanf to check it, ~2-10k instructions each (a job's
 * reply has ~16: ~8% of jobqd's instructions per job), and beyond 10^15
 * not exactly.  A raw member read back in this process (proto_num_to_int)
 * is parsed as text; what is printed is the same either way.
 */

void
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

/* The raw decimal text of proto_fmt_int: "-"? digits, nothing else. */
static int
proto_raw_to_int(const char *s, int64_t min, int64_t max, int64_t *v)
{
	const char	*p = s;
	uint64_t	 u = 0, lim;
	int		 neg = 0;

	if (p == NULL)
		return -1;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (u > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0')
		return -1;
	*v = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) :
	    (int64_t)u;
	return *v < min || *v > max ? -1 : 0;
}

size_t
proto_fmt_int(char buf[PROTO_INT_LEN], int64_t v)
{
	char		 tmp[20];
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t		 n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[len++] = '-';
	while (n > 0)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

int
proto_num_to_int(const cJSON *item, int64_t min, int64_t max, int64_t *v)
{
	double	d;
	int64_t	i;

	if (cJSON_IsRaw(item))
		return proto_raw_to_int(item->valuestring, min, max, v);
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

/* 1 if s has the form K=V with a non-empty K. */
static int
proto_label_valid(const char *s)
{
	const char	*eq;

	eq = strchr(s, '=');
	return eq != NULL && eq != s;
}

int
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

int
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

int
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

int
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


/* --- member writers --- */

int
proto_add_int(cJSON *obj, const char *key, int64_t v)
{
	char	buf[PROTO_INT_LEN];

	proto_fmt_int(buf, v);
	if (cJSON_AddRawToObject(obj, key, buf) == NULL)
		return JOBQ_ENOMEM;
	return 0;
}

int
proto_add_str(cJSON *obj, const char *key, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, key) != NULL ? 0 : -1;
	return cJSON_AddStringToObject(obj, key, s) != NULL ? 0 : -1;
}

int
proto_add_int_nz(cJSON *obj, const char *key, int64_t v)
{
	if (v == 0)
		return 0;
	return proto_add_int(obj, key, v) == 0 ? 0 : -1;
}

int
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
proto_op_object(const char *op)
{
	cJSON	*obj;

	if ((obj = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(obj, "op", op) == NULL) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

int
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

/* --- objects under construction --- */

void
proto_out_begin(struct proto_out *o, const char *op)
{
	o->obj = op != NULL ? proto_op_object(op) : cJSON_CreateObject();
	o->failed = o->obj == NULL;
}

void
proto_out_ok(struct proto_out *o)
{
	o->obj = proto_ok_reply();
	o->failed = o->obj == NULL;
}

void
proto_out_fail(struct proto_out *o)
{
	o->failed = 1;
}

cJSON *
proto_out_end(struct proto_out *o)
{
	if (!o->failed)
		return o->obj;
	cJSON_Delete(o->obj);
	o->obj = NULL;
	return NULL;
}

void
proto_out_int(struct proto_out *o, const char *key, int64_t v)
{
	if (!o->failed && proto_add_int(o->obj, key, v) != 0)
		o->failed = 1;
}

void
proto_out_int_nz(struct proto_out *o, const char *key, int64_t v)
{
	if (v != 0)
		proto_out_int(o, key, v);
}

void
proto_out_int_or_null(struct proto_out *o, const char *key, int64_t v,
    int isnull)
{
	if (!isnull)
		proto_out_int(o, key, v);
	else if (!o->failed && cJSON_AddNullToObject(o->obj, key) == NULL)
		o->failed = 1;
}

void
proto_out_num(struct proto_out *o, const char *key, double v)
{
	if (!o->failed && cJSON_AddNumberToObject(o->obj, key, v) == NULL)
		o->failed = 1;
}

void
proto_out_bool(struct proto_out *o, const char *key, int v)
{
	if (!o->failed && cJSON_AddBoolToObject(o->obj, key, v != 0) == NULL)
		o->failed = 1;
}

void
proto_out_str(struct proto_out *o, const char *key, const char *s)
{
	if (!o->failed && proto_add_str(o->obj, key, s) != 0)
		o->failed = 1;
}

void
proto_out_str_nn(struct proto_out *o, const char *key, const char *s)
{
	if (s != NULL)
		proto_out_str(o, key, s);
}

void
proto_out_strv(struct proto_out *o, const char *key, const char *const *v,
    size_t n)
{
	cJSON	*arr, *s;
	size_t	 i;

	if (o->failed)
		return;
	if ((arr = cJSON_AddArrayToObject(o->obj, key)) == NULL) {
		o->failed = 1;
		return;
	}
	for (i = 0; v != NULL && i < n; i++) {
		if (v[i] == NULL || (s = cJSON_CreateString(v[i])) == NULL) {
			o->failed = 1;
			return;
		}
		cJSON_AddItemToArray(arr, s);
	}
}

void
proto_out_list(struct proto_out *o, const char *key, const char *const *list)
{
	if (!o->failed && proto_add_strings(o->obj, key, list) != 0)
		o->failed = 1;
}

void
proto_out_item(struct proto_out *o, const char *key, cJSON *item)
{
	if (o->failed || item == NULL) {
		cJSON_Delete(item);
		o->failed = 1;
		return;
	}
	if (!cJSON_AddItemToObject(o->obj, key, item)) {
		cJSON_Delete(item);
		o->failed = 1;
	}
}

/* --- queue names --- */

const char *
proto_queue_name_check(const char *q)
{
	size_t	n;

	n = strlen(q);
	if (n == 0)
		return "must not be empty";
	if (n > JOBQ_MAX_NAME)
		return "is too long";
	if (strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != n)
		return "may only hold letters, digits, '_', '.' and '-'";
	return NULL;
}

int
proto_queue_name_ok(const char *q)
{
	return proto_queue_name_check(q) == NULL;
}
