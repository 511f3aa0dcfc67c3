/*
 * proto_int.h - what the files of the protocol codec (lib/proto*.c) share
 * and nobody else sees: error messages, number conversion, member writers
 * and the readers of members that jobs, submits and replies have in common.
 */
#ifndef JOBQ_PROTO_INT_H
#define JOBQ_PROTO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "proto.h"

/* The largest count a size_t holds that a JSON integer can carry. */
#define PROTO_MAX_COUNT ((uint64_t)SIZE_MAX > (uint64_t)INT64_MAX ? \
	INT64_MAX : (int64_t)SIZE_MAX)

/* proto.c */
/* Formats a message into err (nothing when err is NULL or errlen 0). */
void proto_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A JSON number (or the raw text proto_add_int writes) -> int64 when
 * integral and in [min,max]; 0 or -1. */
int proto_num_to_int(const cJSON *item, int64_t min, int64_t max,
    int64_t *v);
/* v in decimal into buf, NUL-terminated; its length. */
#define PROTO_INT_LEN 21
size_t proto_fmt_int(char buf[PROTO_INT_LEN], int64_t v);
/* {"op":op}, or NULL on allocation failure. */
cJSON *proto_op_object(const char *op);
/* Member writers; 0 or -1.  add_str writes null for NULL; add_int_nz
 * leaves out 0; add_strings writes a NULL-terminated list (NULL: []). */
int proto_add_str(cJSON *obj, const char *key, const char *s);
int proto_add_int_nz(cJSON *obj, const char *key, int64_t v);
int proto_add_strings(cJSON *obj, const char *key, const char *const *list);
/* Reads a required integer member of a reply object (JOBQ_EPROTO, with
 * "WHO \"KEY\" is not an integer in MIN..MAX"). */
int proto_rep_int(const cJSON *obj, const char *who, const char *key,
    int64_t min, int64_t max, int64_t *v, char *err, size_t errlen);
/* An array of strings (argv or env) of key into a malloc'd NULL-terminated
 * array of pointers into the JSON (dflt if key is absent; min..max
 * entries; isenv: each "K=V"), adding strlen+1 of each to *bytes (at most
 * JOBQ_MAX_SPEC) (proto_submit.c). */
int proto_submit_strings(const cJSON *req, const char *key, const cJSON *dflt,
    size_t min, size_t max, int isenv, const char ***out, size_t *count,
    size_t *bytes, char *err, size_t errlen);
/* An optional boolean member (absent: 0); 0 or JOBQ_EINVAL (proto_edit.c). */
int proto_get_bool(const cJSON *obj, const char *key, int *out, char *err,
    size_t errlen);

/* A "labels" array: at most JOBQ_MAX_LABELS strings "K=V" of at most
 * JOBQ_MAX_LABEL bytes; *n gets the count.  `who` prefixes the messages
 * ("" for a request, "job " for a job).  Too many entries rc_big, anything
 * else rc_bad. */
int proto_labels_check(const cJSON *arr, const char *who, int rc_bad,
    int rc_big, size_t *n, char *err, size_t errlen);
/* A "deps" array into a malloc'd array (NULL when empty): at most
 * JOBQ_MAX_DEPS objects {"id": >= 1, "mode": "ok"|"notok"|"any"?}.  Codes
 * as for proto_labels_check, and JOBQ_ENOMEM. */
int proto_deps_decode(const cJSON *arr, const char *who, int rc_bad,
    int rc_big, jobq_dep **out, size_t *nout, char *err, size_t errlen);
/* Adds "deps":[{"id":N,"mode":M},...]; 0, or -1 (allocation, bad mode). */
int proto_add_deps(cJSON *obj, const jobq_dep *deps, size_t n);
/* A "counts" object: absent state names count 0, unknown names are
 * ignored, a known name must have an integer >= 0.  0 or JOBQ_EPROTO. */
int proto_counts_decode(const cJSON *obj, const char *who,
    size_t counts[JOBQ_STATE_COUNT], char *err, size_t errlen);

/*
 * An object under construction: the first failure sticks, so an encoder is
 * a straight sequence of puts with one check at the end (proto_out_end
 * returns the object, or NULL after freeing it).  proto_out_begin(o, NULL)
 * starts a plain object, proto_out_begin(o, OP) a request {"op":OP}.
 */
struct proto_out {
	cJSON	*obj;
	int	 failed;
};
void proto_out_begin(struct proto_out *o, const char *op);
void proto_out_ok(struct proto_out *o);             /* a reply {"ok":true} */
cJSON *proto_out_end(struct proto_out *o);
void proto_out_fail(struct proto_out *o);
void proto_out_int(struct proto_out *o, const char *key, int64_t v);
void proto_out_int_nz(struct proto_out *o, const char *key, int64_t v);
void proto_out_int_or_null(struct proto_out *o, const char *key, int64_t v,
    int isnull);
void proto_out_num(struct proto_out *o, const char *key, double v);
void proto_out_bool(struct proto_out *o, const char *key, int v);
void proto_out_str(struct proto_out *o, const char *key, const char *s);
void proto_out_str_nn(struct proto_out *o, const char *key, const char *s);
/* n strings (any NULL among them fails); v NULL gives []. */
void proto_out_strv(struct proto_out *o, const char *key,
    const char *const *v, size_t n);
/* A NULL-terminated list (NULL gives []). */
void proto_out_list(struct proto_out *o, const char *key,
    const char *const *list);
/* Adds item (consumed; NULL fails). */
void proto_out_item(struct proto_out *o, const char *key, cJSON *item);

/* proto_limits.c: adds "limits":{...} with the members set in l (nothing
 * when none is; an invalid l fails). */
void proto_out_limits(struct proto_out *o, const jobq_limits *l);

/* proto_job.c: members of a job (or an event) with JOBQ_EPROTO messages
 * "job \"KEY\" ...".  nullable: JSON null or absence gives nullval / NULL;
 * the string is strdup'd. */
int proto_job_int(const cJSON *obj, const char *key, int nullable,
    int64_t nullval, int64_t min, int64_t max, int64_t *v, char *err,
    size_t errlen);
int proto_job_str(const cJSON *obj, const char *key, int nullable, char **v,
    char *err, size_t errlen);

#endif
