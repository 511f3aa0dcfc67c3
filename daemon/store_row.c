/*
 * store_row.c - rows <-> jobq_job, and the text encodings of the columns
 * that hold more than one value:
 *   argv, env   a JSON array of strings, in jobs or arrays (written by
 *               cJSON, read by store_row_strv_parse())
 *   labels      read as group_concat(hex(label), ','): any byte may be in
 *               a label, so each comes hex-encoded, commas between
 *   deps        read as group_concat(dep_id || ':' || mode, ',')
 * What the database holds is checked as it is read: a malformed value is
 * logged and the op fails with JOBQ_EINTERNAL rather than hand out garbage.
 * A jobq_job built here is freed with jobq_job_free() (lib/jobq.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "proto.h"
#include "store_int.h"
#include "util.h"

/* A malloc'd copy of a text column; "" for NULL.  NULL if out of memory. */
char *
store_row_strdup(sqlite3_stmt *st, int col)
{
	const char *t;

	t = (const char *)sqlite3_column_text(st, col);
	return (strdup(t != NULL ? t : ""));
}

/* A state column as a jobq_state, or JOBQ_EINTERNAL (logged) if it is
 * none. */
int
store_row_state(sqlite3_stmt *st, int col)
{
	const char *t;
	int sv;

	t = (const char *)sqlite3_column_text(st, col);
	if (t == NULL || (sv = jobq_state_parse(t)) < 0) {
		log_warnx("unknown state \"%s\" in the database",
		    t != NULL ? t : "");
		return (JOBQ_EINTERNAL);
	}
	return (sv);
}

/* JSON array of strings, malloc'd by cJSON (cJSON_free()); NULL if out of
 * memory. */
char *
store_row_strv_json(const char *const *v, size_t n)
{
	cJSON *a, *item;
	char *str;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if ((item = cJSON_CreateString(v[i])) == NULL ||
		    !cJSON_AddItemToArray(a, item)) {
			cJSON_Delete(item);
			cJSON_Delete(a);
			return (NULL);
		}
	}
	str = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return (str);
}

/* Whitespace between JSON tokens. */
static const char *
store_row_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return (p);
}

static int
store_row_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* The 4 hex digits at p as a UTF-16 code unit; -1 if they are not. */
static long
store_row_json_u16(const char *p)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = store_row_hexval((unsigned char)p[i])) < 0)
			return (-1);
		v = v << 4 | h;
	}
	return (v);
}

/* Writes code point cp (1 .. 0x10FFFF) at d as UTF-8; past it. */
static char *
store_row_utf8(char *d, long cp)
{
	if (cp < 0x80)
		*d++ = (char)cp;
	else if (cp < 0x800) {
		*d++ = (char)(0xC0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xE0 | cp >> 12);
		*d++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*d++ = (char)(0xF0 | cp >> 18);
		*d++ = (char)(0x80 | (cp >> 12 & 0x3F));
		*d++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	}
	return (d);
}

/*
 * The escape at p (just past its backslash) decoded at d: 0 with *pp past
 * the escape and *dp past what it wrote, or -1 if it is malformed (an
 * unknown escape, \u0000, a surrogate that is not half of a pair).  The
 * bytes written are never more than the escape's: \uXXXX is 6 bytes for
 * at most 3, a pair 12 for 4.
 */
static int
store_row_json_esc(const char **pp, char **dp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = *pp, *c;
	long cp, lo;

	if (*p != 'u') {
		if (*p == '\0' || (c = strchr(from, *p)) == NULL)
			return (-1);
		*(*dp)++ = to[c - from];
		*pp = p + 1;
		return (0);
	}
	if ((cp = store_row_json_u16(p + 1)) <= 0 ||
	    (cp >= 0xDC00 && cp <= 0xDFFF))
		return (-1);
	p += 5;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (p[0] != '\\' || p[1] != 'u' ||
		    (lo = store_row_json_u16(p + 2)) < 0xDC00 || lo > 0xDFFF)
			return (-1);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	}
	*dp = store_row_utf8(*dp, cp);
	*pp = p;
	return (0);
}

/* The JSON string at *pp (just past its opening quote) as a malloc'd C
 * string, *pp then past its closing quote: 0, JOBQ_EINTERNAL if it is
 * malformed (unterminated, a raw control character, a bad escape) or
 * JOBQ_ENOMEM. */
static int
store_row_json_str(const char **pp, char **out)
{
	const char *p = *pp, *e;
	char *str, *d;
	int esc = 0;

	for (e = p; *e != '"'; e++) {
		if ((unsigned char)*e < 0x20)	/* NUL included */
			return (JOBQ_EINTERNAL);
		if (*e == '\\') {
			esc = 1;
			if (*++e == '\0')
				return (JOBQ_EINTERNAL);
		}
	}
	if ((str = malloc((size_t)(e - p) + 1)) == NULL)
		return (JOBQ_ENOMEM);
	if (!esc) {
		memcpy(str, p, (size_t)(e - p));
		d = str + (e - p);
	} else {
		for (d = str; p < e;) {
			if (*p != '\\')
				*d++ = *p++;
			else if (p++, store_row_json_esc(&p, &d) != 0 ||
			    p > e) {
				free(str);
				return (JOBQ_EINTERNAL);
			}
		}
	}
	*d = '\0';
	*pp = e + 1;
	*out = str;
	return (0);
}

/*
 * Parses a JSON array of strings into a NULL-terminated malloc'd vector
 * (count: its length, may be NULL).  Written for the claim's path, where
 * cJSON's tree of a whole environment (each job's, 2 KB from a shell) cost
 * more than the rest of the claim: one pass over each string, no tree.
 * Strict JSON (whitespace between tokens allowed, nothing after the
 * array), but \u0000, which a C string cannot hold, is malformed too:
 * JOBQ_EINTERNAL, as for any other malformed text.
 */
int
store_row_strv_parse(const char *json, char ***out, size_t *count)
{
	const char *p;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int ret = JOBQ_EINTERNAL;

	*out = NULL;
	if (json == NULL)
		return (JOBQ_EINTERNAL);
	p = store_row_json_ws(json);
	if (*p++ != '[')
		return (JOBQ_EINTERNAL);
	p = store_row_json_ws(p);
	if (util_grow(&v, &cap, 1, sizeof(*v)) != 0)
		return (JOBQ_ENOMEM);
	if (*p == ']')
		p++;
	else
		for (;;) {
			if (*p++ != '"')
				goto fail;
			if (util_grow(&v, &cap, n + 2, sizeof(*v)) != 0) {
				ret = JOBQ_ENOMEM;
				goto fail;
			}
			if ((ret = store_row_json_str(&p, &v[n])) != 0)
				goto fail;
			v[++n] = NULL;
			ret = JOBQ_EINTERNAL;
			p = store_row_json_ws(p);
			if (*p == ']') {
				p++;
				break;
			}
			if (*p++ != ',')
				goto fail;
			p = store_row_json_ws(p);
		}
	if (*store_row_json_ws(p) != '\0')
		goto fail;
	v[n] = NULL;
	*out = v;
	if (count != NULL)
		*count = n;
	return (0);
fail:
	v[n] = NULL;
	util_strv_free(v);
	return (ret);
}

/* One label: the len hex digits at p, decoded into a malloc'd string. */
static int
store_row_label(const char *p, size_t len, char **out)
{
	char *l;
	size_t k;
	int hi, lo;

	if (len % 2 != 0)
		return (JOBQ_EINTERNAL);
	if ((l = malloc(len / 2 + 1)) == NULL)
		return (JOBQ_ENOMEM);
	for (k = 0; k < len / 2; k++) {
		if ((hi = store_row_hexval(p[2 * k])) < 0 ||
		    (lo = store_row_hexval(p[2 * k + 1])) < 0) {
			free(l);
			return (JOBQ_EINTERNAL);
		}
		l[k] = (char)(hi << 4 | lo);
	}
	l[k] = '\0';
	*out = l;
	return (0);
}

/* "HEX,HEX,..." (NULL: none) into a NULL-terminated vector, never NULL. */
static int
store_row_labels(const char *hex, char ***out, size_t *count)
{
	const char *p, *e;
	char **v;
	size_t n = 0, i;
	int ret;

	*out = NULL;
	*count = 0;
	if (hex != NULL)
		for (n = 1, p = hex; *p != '\0'; p++)
			if (*p == ',')
				n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return (JOBQ_ENOMEM);
	for (i = 0, p = hex; i < n; i++, p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((ret = store_row_label(p, (size_t)(e - p), &v[i])) != 0) {
			util_strv_free(v);
			return (ret);
		}
	}
	*out = v;
	*count = n;
	return (0);
}

/* "ID:MODE,..." (NULL: none) into a malloc'd vector (NULL if none). */
static int
store_row_deps(const char *text, jobq_dep **out, size_t *count)
{
	const char *p;
	char *end;
	jobq_dep *d;
	size_t n = 1, i;
	long long v;

	*out = NULL;
	*count = 0;
	if (text == NULL)
		return (0);
	for (p = text; *p != '\0'; p++)
		if (*p == ',')
			n++;
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return (JOBQ_ENOMEM);
	for (i = 0, p = text; i < n; i++) {
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != ':')
			goto bad;
		d[i].id = v;
		p = end + 1;
		v = strtoll(p, &end, 10);
		if (end == p || v < JOBQ_DEP_OK || v > JOBQ_DEP_ANY ||
		    (*end != ',' && *end != '\0'))
			goto bad;
		d[i].mode = (jobq_dep_mode)v;
		p = end + 1;
	}
	*out = d;
	*count = n;
	return (0);
bad:
	free(d);
	return (JOBQ_EINTERNAL);
}

/* A text column that may be NULL: a malloc'd copy, or NULL. */
static int
store_row_optdup(sqlite3_stmt *st, int col, char **out)
{
	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return (0);
	if ((*out = store_row_strdup(st, col)) == NULL)
		return (JOBQ_ENOMEM);
	return (0);
}

/* The text columns of STORE_JOB_COLUMNS but argv into j. */
static int
store_row_texts(sqlite3_stmt *st, jobq_job *j)
{
	if ((j->queue = store_row_strdup(st, 2)) == NULL ||
	    (j->cwd = store_row_strdup(st, 6)) == NULL ||
	    store_row_optdup(st, 3, &j->name) != 0 ||
	    store_row_optdup(st, 14, &j->reason) != 0 ||
	    store_row_optdup(st, 15, &j->message) != 0 ||
	    store_row_optdup(st, 22, &j->unique_key) != 0 ||
	    store_row_optdup(st, STORE_JOB_COL_USAGE + 3, &j->usage_from) != 0 ||
	    store_row_optdup(st, STORE_JOB_COL_ON_END, &j->on_end) != 0 ||
	    store_row_optdup(st, STORE_JOB_COL_SCHEDULE, &j->schedule) != 0 ||
	    store_row_optdup(st, STORE_JOB_COL_SLOTS + 1, &j->res) != 0 ||
	    store_row_optdup(st, STORE_JOB_COL_SLOTS + 2, &j->res_given) != 0)
		return (JOBQ_ENOMEM);
	return (0);
}

/* The executor column of STORE_JOB_COLUMNS (NULL: local) into j, and
 * slurm_id; JOBQ_EINTERNAL (logged) for a value the protocol cannot
 * carry. */
static int
store_row_executor(sqlite3_stmt *st, jobq_job *j)
{
	const char *t;

	j->slurm_id = sqlite3_column_int64(st, STORE_JOB_COL_EXECUTOR + 1);
	if (j->slurm_id < 0) {
		log_warnx("job %" PRId64 ": negative slurm_id in the database",
		    j->id);
		return (JOBQ_EINTERNAL);
	}
	if (sqlite3_column_type(st, STORE_JOB_COL_EXECUTOR) == SQLITE_NULL)
		return (0);
	if ((t = (const char *)sqlite3_column_text(st,
	    STORE_JOB_COL_EXECUTOR)) == NULL)
		return (JOBQ_ENOMEM);
	if (strlen(t) >= sizeof(j->executor) ||
	    !proto_job_executor_ok(t)) {
		log_warnx("job %" PRId64 ": malformed executor in the "
		    "database", j->id);
		return (JOBQ_EINTERNAL);
	}
	memcpy(j->executor, t, strlen(t) + 1);
	return (0);
}

/* The numeric columns of STORE_JOB_COLUMNS into j. */
static void
store_row_numbers(sqlite3_stmt *st, jobq_job *j)
{
	j->owner_uid = (uint32_t)sqlite3_column_int64(st, 4);
	j->submitted_at = sqlite3_column_int64(st, 7);
	j->started_at = sqlite3_column_int64(st, 8);	/* NULL -> 0 */
	j->finished_at = sqlite3_column_int64(st, 9);
	j->exit_code = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 10);
	j->signal = sqlite3_column_int(st, 11);
	j->attempts = sqlite3_column_int(st, 12);
	j->max_retries = sqlite3_column_int(st, 13);
	j->pid = sqlite3_column_int64(st, 16);
	j->priority = sqlite3_column_int(st, 17);
	j->not_before = sqlite3_column_int64(st, 18);
	j->timeout_ms = sqlite3_column_int64(st, 19);
	j->kill_grace_ms = sqlite3_column_int64(st, 20);
	j->retry_delay_ms = sqlite3_column_int64(st, 21);
	j->array_id = sqlite3_column_int64(st, 23);
	j->array_index = sqlite3_column_int64(st, 24);
	j->merge_output = sqlite3_column_int(st, STORE_JOB_COL_MERGE) != 0;
	j->submitter_uid = (uint32_t)sqlite3_column_int64(st, 27);
	j->gid = sqlite3_column_type(st, 28) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 28);
	j->umask = sqlite3_column_int(st, 29) & 0777;
	/* NULL -> 0 */
	j->mem_peak = sqlite3_column_int64(st, STORE_JOB_COL_USAGE);
	j->cpu_user_us = sqlite3_column_int64(st, STORE_JOB_COL_USAGE + 1);
	j->cpu_sys_us = sqlite3_column_int64(st, STORE_JOB_COL_USAGE + 2);
	j->held = sqlite3_column_int(st, STORE_JOB_COL_HELD) != 0 &&
	    j->state == JOBQ_STATE_QUEUED;
	j->slots = sqlite3_column_int(st, STORE_JOB_COL_SLOTS);
	if (j->slots < 1)
		j->slots = 1;
}

/* The resource limits in the columns col .. col + PROTO_NLIMITS - 1
 * (STORE_LIMITS_COLUMNS) into *l: NULL is not set; a value outside the
 * protocol's bounds is JOBQ_EINTERNAL. */
int
store_row_limits(sqlite3_stmt *st, int col, jobq_limits *l)
{
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < PROTO_NLIMITS; i++)
		if (sqlite3_column_type(st, col + i) != SQLITE_NULL)
			proto_limit_set(l, i, sqlite3_column_int64(st, col + i));
	return (proto_limits_valid(l) ? 0 : JOBQ_EINTERNAL);
}

/* Binds the parameters first .. first + PROTO_NLIMITS - 1 to the limits of
 * l (NULL: not set); an SQLite code. */
int
store_row_bind_limits(sqlite3_stmt *st, int first, const jobq_limits *l)
{
	int i, rc = SQLITE_OK;

	for (i = 0; i < PROTO_NLIMITS && rc == SQLITE_OK; i++)
		rc = (l->set & proto_limits[i].bit) ?
		    sqlite3_bind_int64(st, first + i, proto_limit_get(l, i)) :
		    sqlite3_bind_null(st, first + i);
	return (rc);
}

/* Builds a jobq_job from a row of STORE_JOB_COLUMNS. */
int
store_row_job(sqlite3_stmt *st, jobq_job **out)
{
	jobq_job *j;
	int ret, sv;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (JOBQ_ENOMEM);
	j->id = sqlite3_column_int64(st, 0);
	if ((sv = store_row_state(st, 1)) < 0) {
		log_warnx("job %" PRId64 ": unknown state in the database",
		    j->id);
		free(j);
		return (sv);
	}
	j->state = (jobq_state)sv;
	store_row_numbers(st, j);
	if ((ret = store_row_texts(st, j)) != 0 ||
	    (ret = store_row_executor(st, j)) != 0)
		goto fail;
	if ((ret = store_row_strv_parse((const char *)sqlite3_column_text(st,
	    5), &j->argv, &j->argc)) != 0) {
		if (ret == JOBQ_EINTERNAL)
			log_warnx("job %" PRId64 ": malformed argv in the "
			    "database", j->id);
		goto fail;
	}
	if ((ret = store_row_labels((const char *)sqlite3_column_text(st, 25),
	    &j->labels, &j->nlabels)) != 0 ||
	    (ret = store_row_deps((const char *)sqlite3_column_text(st, 26),
	    &j->deps, &j->ndeps)) != 0) {
		if (ret == JOBQ_EINTERNAL)
			log_warnx("job %" PRId64 ": malformed labels or deps "
			    "in the database", j->id);
		goto fail;
	}
	if ((ret = store_row_limits(st, STORE_JOB_COL_LIMITS,
	    &j->limits)) != 0) {
		log_warnx("job %" PRId64 ": resource limits out of bounds in "
		    "the database", j->id);
		goto fail;
	}
	*out = j;
	return (0);

fail:
	jobq_job_free(j);
	return (ret);
}
