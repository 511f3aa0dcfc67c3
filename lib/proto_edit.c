/*
 * proto_edit.c - the codec of the edit request ({"op":"edit", REF, ...}:
 * the members present are the changes, each bounded as at submit; "slots"
 * and "res" as a submit's, "res": null dropping the request) and of
 * the history reply; and proto_get_bool, an optional boolean member.
 * Holds, releases and history requests are refs (proto_req.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "proto_int.h"

int
proto_get_bool(const cJSON *obj, const char *key, int *out, char *err,
    size_t errlen)
{
	const cJSON	*b = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = 0;
	if (b == NULL)
		return 0;
	if (!cJSON_IsBool(b)) {
		proto_seterr(err, errlen, "\"%s\" must be a boolean", key);
		return JOBQ_EINVAL;
	}
	*out = cJSON_IsTrue(b);
	return 0;
}

void
proto_edit_release(struct proto_edit *e)
{
	if (e == NULL)
		return;
	free(e->labels);
	free(e->deps_add);
	free(e->deps_remove);
	free(e->argv);
	free(e->env);
	e->labels = NULL;
	e->deps_add = NULL;
	e->deps_remove = NULL;
	e->argv = NULL;
	e->env = NULL;
}

static int
proto_edit_has(const cJSON *req, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(req, key) != NULL;
}

/* "deps_remove": [ID,...] (at most JOBQ_MAX_DEPS ids >= 1). */
static int
proto_edit_ids(const cJSON *req, struct proto_edit *out, char *err,
    size_t errlen)
{
	const cJSON	*arr, *a;
	size_t		 n = 0;

	arr = cJSON_GetObjectItemCaseSensitive(req, "deps_remove");
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "\"deps_remove\" must be an array "
		    "of job ids");
		return JOBQ_EINVAL;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > JOBQ_MAX_DEPS) {
		proto_seterr(err, errlen, "\"deps_remove\" has more than %d "
		    "entries", JOBQ_MAX_DEPS);
		return JOBQ_ETOOBIG;
	}
	if ((out->deps_remove = calloc(n + 1, sizeof(int64_t))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	n = 0;
	cJSON_ArrayForEach(a, arr) {
		if (proto_num_to_int(a, 1, PROTO_MAX_JSON_INT,
		    &out->deps_remove[n]) != 0) {
			proto_seterr(err, errlen, "\"deps_remove\" entry %zu "
			    "is not a job id", n);
			return JOBQ_EINVAL;
		}
		n++;
	}
	out->ndeps_remove = n;
	return 0;
}

/* The scheduling members: queue, priority, name, labels, times, retries,
 * dependencies. */
static int
proto_edit_sched(const cJSON *req, struct proto_edit *out, char *err,
    size_t errlen)
{
	const cJSON	*labels, *a, *name;
	int64_t		 v = 0;
	size_t		 n = 0, i = 0;
	int		 rc;

	if (proto_edit_has(req, "queue")) {
		if ((rc = proto_get_str(req, "queue", JOBQ_MAX_NAME,
		    &out->queue, err, errlen)) != 0)
			return rc;
		if (!proto_queue_name_ok(out->queue)) {
			proto_seterr(err, errlen, "\"queue\" must match "
			    "[A-Za-z0-9_.-]+");
			return JOBQ_EINVAL;
		}
		out->set |= JOBQ_EDIT_QUEUE;
	}
	if (proto_edit_has(req, "priority")) {
		if ((rc = proto_get_int(req, "priority", 1,
		    -PROTO_MAX_PRIORITY, PROTO_MAX_PRIORITY, &v, err,
		    errlen)) != 0)
			return rc;
		out->priority = (int)v;
		out->set |= JOBQ_EDIT_PRIORITY;
	}
	if ((name = cJSON_GetObjectItemCaseSensitive(req, "name")) != NULL) {
		if (!cJSON_IsNull(name) && (rc = proto_get_str(req, "name",
		    JOBQ_MAX_NAME, &out->name, err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_NAME;
	}
	if ((labels = cJSON_GetObjectItemCaseSensitive(req, "labels")) !=
	    NULL) {
		if ((rc = proto_labels_check(labels, "", JOBQ_EINVAL,
		    JOBQ_ETOOBIG, &n, err, errlen)) != 0)
			return rc;
		if ((out->labels = calloc(n + 1, sizeof(*out->labels))) ==
		    NULL) {
			proto_seterr(err, errlen, "out of memory");
			return JOBQ_ENOMEM;
		}
		cJSON_ArrayForEach(a, labels) {
			out->labels[i++] = a->valuestring;
		}
		out->nlabels = n;
		out->set |= JOBQ_EDIT_LABELS;
	}
	if (proto_edit_has(req, "not_before")) {
		if ((rc = proto_get_int(req, "not_before", 1, 0, INT64_MAX,
		    &out->not_before, err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_NOT_BEFORE;
	}
	if (proto_edit_has(req, "timeout_ms")) {
		if ((rc = proto_get_int(req, "timeout_ms", 1, 0,
		    PROTO_MAX_TIMEOUT_MS, &out->timeout_ms, err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_TIMEOUT;
	}
	if (proto_edit_has(req, "retries")) {
		if ((rc = proto_get_int(req, "retries", 1, 0,
		    PROTO_MAX_RETRIES, &v, err, errlen)) != 0)
			return rc;
		out->max_retries = (int)v;
		out->set |= JOBQ_EDIT_RETRIES;
	}
	if (proto_edit_has(req, "deps_add")) {
		if ((rc = proto_deps_decode(cJSON_GetObjectItemCaseSensitive(req,
		    "deps_add"), "", JOBQ_EINVAL, JOBQ_ETOOBIG, &out->deps_add,
		    &out->ndeps_add, err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_DEPS;
	}
	if (proto_edit_has(req, "deps_remove")) {
		if ((rc = proto_edit_ids(req, out, err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_DEPS;
	}
	return 0;
}

/* "slots" (1..JOBQ_MAX_SLOTS) and "res" (a non-empty string, or null: no
 * resources), bounded as at submit; the pool is jobqd's to check. */
static int
proto_edit_res(const cJSON *req, struct proto_edit *out, char *err,
    size_t errlen)
{
	const cJSON	*res;
	int64_t		 v = 0;
	int		 rc;

	if (proto_edit_has(req, "slots")) {
		if ((rc = proto_get_int(req, "slots", 1, 1, JOBQ_MAX_SLOTS,
		    &v, err, errlen)) != 0)
			return rc;
		out->slots = (int)v;
		out->set |= JOBQ_EDIT_SLOTS;
	}
	if ((res = cJSON_GetObjectItemCaseSensitive(req, "res")) != NULL) {
		if (!cJSON_IsNull(res)) {
			if ((rc = proto_get_str(req, "res", JOBQ_MAX_RES,
			    &out->res, err, errlen)) != 0)
				return rc;
			if (out->res[0] == '\0') {
				proto_seterr(err, errlen, "\"res\" must not be "
				    "empty (null: no resources)");
				return JOBQ_EINVAL;
			}
		}
		out->set |= JOBQ_EDIT_RES;
	}
	return 0;
}

/* argv, env, cwd: as at submit, their bytes together bounded. */
static int
proto_edit_spec(const cJSON *req, struct proto_edit *out, char *err,
    size_t errlen)
{
	const cJSON	*cwd;
	int		 rc;

	if (proto_edit_has(req, "argv")) {
		if ((rc = proto_submit_strings(req, "argv", NULL, 1,
		    JOBQ_MAX_ARGS, 0, &out->argv, &out->argc,
		    &out->spec_bytes, err, errlen)) != 0)
			return rc;
		if (out->argv[0][0] == '\0') {
			proto_seterr(err, errlen, "\"argv\" entry 0 is empty");
			return JOBQ_EINVAL;
		}
		out->set |= JOBQ_EDIT_ARGV;
	}
	if (proto_edit_has(req, "env")) {
		if ((rc = proto_submit_strings(req, "env", NULL, 0,
		    JOBQ_MAX_ENV, 1, &out->env, &out->envc, &out->spec_bytes,
		    err, errlen)) != 0)
			return rc;
		out->set |= JOBQ_EDIT_ENV;
	}
	if ((cwd = cJSON_GetObjectItemCaseSensitive(req, "cwd")) != NULL) {
		if (!cJSON_IsString(cwd) || cwd->valuestring == NULL ||
		    cwd->valuestring[0] != '/') {
			proto_seterr(err, errlen, "\"cwd\" must be an absolute "
			    "path");
			return JOBQ_EINVAL;
		}
		out->cwd = cwd->valuestring;
		out->spec_bytes += strlen(out->cwd) + 1;
		if (out->spec_bytes > JOBQ_MAX_SPEC) {
			proto_seterr(err, errlen, "argv, env and cwd exceed "
			    "%u bytes", JOBQ_MAX_SPEC);
			return JOBQ_ETOOBIG;
		}
		out->set |= JOBQ_EDIT_CWD;
	}
	return 0;
}

int
proto_edit_from_json(const cJSON *req, struct proto_edit *out, char *err,
    size_t errlen)
{
	int	rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_ref_from_json(req, 0, &out->ref, err, errlen)) != 0 ||
	    (rc = proto_edit_sched(req, out, err, errlen)) != 0 ||
	    (rc = proto_edit_spec(req, out, err, errlen)) != 0 ||
	    (rc = proto_edit_res(req, out, err, errlen)) != 0)
		goto fail;
	if (out->set == 0) {
		proto_seterr(err, errlen, "nothing to change");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	return 0;
fail:
	proto_edit_release(out);
	return rc;
}

/* The members of an edit (e's or the options'), after REF. */
static void
proto_edit_out(struct proto_out *o, unsigned set, const jobq_edit_opts *e)
{
	cJSON	*a, *n;
	size_t	 i;

	if (set & JOBQ_EDIT_QUEUE)
		proto_out_str(o, "queue", e->queue);
	if (set & JOBQ_EDIT_PRIORITY)
		proto_out_int(o, "priority", e->priority);
	if (set & JOBQ_EDIT_NAME)
		proto_out_str(o, "name", e->name);
	if (set & JOBQ_EDIT_LABELS)
		proto_out_list(o, "labels", e->labels);
	if (set & JOBQ_EDIT_NOT_BEFORE)
		proto_out_int(o, "not_before", e->not_before);
	if (set & JOBQ_EDIT_TIMEOUT)
		proto_out_int(o, "timeout_ms", e->timeout_ms);
	if (set & JOBQ_EDIT_RETRIES)
		proto_out_int(o, "retries", e->max_retries);
	if ((set & JOBQ_EDIT_DEPS) && e->ndeps_add > 0 && !o->failed &&
	    proto_add_deps(o->obj, e->deps_add, e->ndeps_add) != 0)
		proto_out_fail(o);
	if (!o->failed && (set & JOBQ_EDIT_DEPS) && e->ndeps_add > 0) {
		/* proto_add_deps wrote "deps": rename it */
		a = cJSON_DetachItemFromObjectCaseSensitive(o->obj, "deps");
		if (a == NULL || !cJSON_AddItemToObject(o->obj, "deps_add", a))
			proto_out_fail(o);
	}
	if ((set & JOBQ_EDIT_DEPS) && e->ndeps_remove > 0 && !o->failed) {
		if ((a = cJSON_AddArrayToObject(o->obj, "deps_remove")) ==
		    NULL)
			proto_out_fail(o);
		for (i = 0; !o->failed && i < e->ndeps_remove; i++)
			if ((n = cJSON_CreateNumber((double)
			    e->deps_remove[i])) == NULL ||
			    !cJSON_AddItemToArray(a, n))
				proto_out_fail(o);
	}
	if ((set & JOBQ_EDIT_DEPS) && e->ndeps_add == 0 &&
	    e->ndeps_remove == 0 && !o->failed &&
	    cJSON_AddArrayToObject(o->obj, "deps_add") == NULL)
		proto_out_fail(o);
	if (set & JOBQ_EDIT_ARGV)
		proto_out_list(o, "argv", e->argv);
	if (set & JOBQ_EDIT_ENV)
		proto_out_list(o, "env", e->env);
	if (set & JOBQ_EDIT_CWD)
		proto_out_str(o, "cwd", e->cwd);
	if (set & JOBQ_EDIT_SLOTS)
		proto_out_int(o, "slots", e->slots);
	if (set & JOBQ_EDIT_RES)
		proto_out_str(o, "res", e->res);
}

cJSON *
proto_edit_to_json(const struct proto_edit *e)
{
	struct proto_out	o;
	jobq_edit_opts		opts;

	proto_out_begin(&o, "edit");
	if (e == NULL || e->set == 0) {
		proto_out_fail(&o);
		return proto_out_end(&o);
	}
	if (!o.failed && proto_ref_add(o.obj, &e->ref) != 0)
		proto_out_fail(&o);
	memset(&opts, 0, sizeof(opts));
	opts.queue = e->queue;
	opts.priority = e->priority;
	opts.name = e->name;
	opts.labels = (const char *const *)e->labels;
	opts.not_before = e->not_before;
	opts.timeout_ms = e->timeout_ms;
	opts.max_retries = e->max_retries;
	opts.deps_add = e->deps_add;
	opts.ndeps_add = e->ndeps_add;
	opts.deps_remove = e->deps_remove;
	opts.ndeps_remove = e->ndeps_remove;
	opts.argv = (const char *const *)e->argv;
	opts.env = (const char *const *)e->env;
	opts.cwd = e->cwd;
	opts.slots = e->slots;
	opts.res = e->res;
	proto_edit_out(&o, e->set, &opts);
	return proto_out_end(&o);
}

cJSON *
proto_edit_opts_to_json(int64_t id, const jobq_edit_opts *e)
{
	struct proto_out	o;
	struct proto_ref	ref;

	proto_out_begin(&o, "edit");
	if (e == NULL || e->set == 0 || (e->set & ~0x1fffu) != 0 ||
	    ((e->set & JOBQ_EDIT_SLOTS) && (e->slots < 1 ||
	    e->slots > JOBQ_MAX_SLOTS)) ||
	    ((e->set & JOBQ_EDIT_RES) && e->res != NULL &&
	    (e->res[0] == '\0' || strlen(e->res) > JOBQ_MAX_RES)) ||
	    ((e->set & JOBQ_EDIT_QUEUE) && e->queue == NULL) ||
	    ((e->set & JOBQ_EDIT_ARGV) && e->argv == NULL) ||
	    ((e->set & JOBQ_EDIT_ENV) && e->env == NULL) ||
	    ((e->set & JOBQ_EDIT_CWD) && e->cwd == NULL) ||
	    (e->ndeps_add > 0 && e->deps_add == NULL) ||
	    (e->ndeps_remove > 0 && e->deps_remove == NULL)) {
		proto_out_fail(&o);
		return proto_out_end(&o);
	}
	memset(&ref, 0, sizeof(ref));
	ref.id = id;
	if (!o.failed && proto_ref_add(o.obj, &ref) != 0)
		proto_out_fail(&o);
	proto_edit_out(&o, e->set, e);
	return proto_out_end(&o);
}

/* --- the history reply --- */

/* Appends item (consumed; NULL fails) to arr. */
static void
proto_edit_push(struct proto_out *o, cJSON *arr, cJSON *item)
{
	if (item == NULL) {
		o->failed = 1;
		return;
	}
	if (o->failed || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		o->failed = 1;
	}
}

cJSON *
proto_history_reply_to_json(const jobq_history_entry *v, size_t n)
{
	struct proto_out	 o, e;
	cJSON			*arr;
	size_t			 i;

	proto_out_ok(&o);
	if (o.failed || (arr = cJSON_AddArrayToObject(o.obj, "history")) ==
	    NULL) {
		proto_out_fail(&o);
		return proto_out_end(&o);
	}
	for (i = 0; i < n && !o.failed; i++) {
		proto_out_begin(&e, NULL);
		proto_out_int(&e, "at", v[i].at);
		proto_out_int(&e, "uid", v[i].uid);
		proto_out_str(&e, "what", v[i].what);
		if (v[i].detail != NULL)
			proto_out_str(&e, "detail", v[i].detail);
		if (v[i].what == NULL)
			proto_out_fail(&e);
		proto_edit_push(&o, arr, proto_out_end(&e));
	}
	return proto_out_end(&o);
}

void
jobq_history_free(jobq_history_entry *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].what);
		free(v[i].detail);
	}
	free(v);
}

int
proto_history_reply_from_json(const cJSON *reply, jobq_history_entry **out,
    size_t *nout, char *err, size_t errlen)
{
	const cJSON		*arr, *a, *what, *detail;
	jobq_history_entry	*v;
	int64_t			 at, uid;
	size_t			 n, i = 0;
	int			 rc;

	*out = NULL;
	*nout = 0;
	arr = cJSON_GetObjectItemCaseSensitive(reply, "history");
	if (!cJSON_IsArray(arr)) {
		proto_seterr(err, errlen, "\"history\" is not an array");
		return JOBQ_EPROTO;
	}
	n = (size_t)cJSON_GetArraySize(arr);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	cJSON_ArrayForEach(a, arr) {
		what = cJSON_GetObjectItemCaseSensitive(a, "what");
		detail = cJSON_GetObjectItemCaseSensitive(a, "detail");
		if ((rc = proto_rep_int(a, "history entry", "at", 0,
		    INT64_MAX, &at, err, errlen)) != 0 ||
		    (rc = proto_rep_int(a, "history entry", "uid", 0,
		    UINT32_MAX, &uid, err, errlen)) != 0)
			goto fail;
		if (!cJSON_IsString(what) || (detail != NULL &&
		    !cJSON_IsString(detail))) {
			proto_seterr(err, errlen, "history entry \"what\" or "
			    "\"detail\" is not a string");
			rc = JOBQ_EPROTO;
			goto fail;
		}
		v[i].at = at;
		v[i].uid = (uint32_t)uid;
		v[i].what = strdup(what->valuestring);
		v[i].detail = detail != NULL ? strdup(detail->valuestring) :
		    NULL;
		if (v[i].what == NULL || (detail != NULL &&
		    v[i].detail == NULL)) {
			i++;
			proto_seterr(err, errlen, "out of memory");
			rc = JOBQ_ENOMEM;
			goto fail;
		}
		i++;
	}
	*out = v;
	*nout = i;
	return 0;
fail:
	jobq_history_free(v, i);
	return rc;
}
