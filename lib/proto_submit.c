/*
 * proto_submit.c - the submit request: decoding it with every limit of
 * jobq-protocol(7) checked (argv, env, cwd, names, retries, the output
 * limit and the scheduling members: priority, times, unique key, labels,
 * dependencies, arrays; the identity members user, group, clean_env and
 * umask; the resource limits: proto_limits.c), and encoding it from
 * libjobq's options.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

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

/*
 * Decodes an array of strings (argv or env) into a malloc'd NULL-terminated
 * array of pointers into the JSON, adding strlen+1 of each to *bytes.
 */
int
proto_submit_strings(const cJSON *req, const char *key, const cJSON *dflt,
    size_t min, size_t max, int isenv, const char ***out, size_t *count,
    size_t *bytes, char *err, size_t errlen)
{
	const cJSON	*arr, *a;
	const char	**v, *eq;
	size_t		 n, i;

	if ((arr = cJSON_GetObjectItemCaseSensitive(req, key)) == NULL)
		arr = dflt;
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
	cJSON_ArrayForEach(a, labels) {
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

/* A "user" or "group" member: absent, or a non-empty string of at most
 * JOBQ_MAX_NAME bytes (a name or a decimal id; jobqd resolves it). */
static int
proto_submit_id_name(const cJSON *req, const char *key, const char **out,
    char *err, size_t errlen)
{
	int	rc;

	if ((rc = proto_get_str(req, key, JOBQ_MAX_NAME, out, err,
	    errlen)) != 0)
		return rc;
	if (*out != NULL && (*out)[0] == '\0') {
		proto_seterr(err, errlen, "\"%s\" must not be empty", key);
		return JOBQ_EINVAL;
	}
	return 0;
}

/* Decodes the identity members of a submit into out: user, group,
 * clean_env (a boolean) and umask (0..0777; -1 when absent). */
static int
proto_submit_ident(const cJSON *req, struct proto_submit *out, char *err,
    size_t errlen)
{
	const cJSON	*ce;
	int64_t		 v = -1;
	int		 rc;

	if ((rc = proto_submit_id_name(req, "user", &out->user, err,
	    errlen)) != 0 ||
	    (rc = proto_submit_id_name(req, "group", &out->group, err,
	    errlen)) != 0)
		return rc;
	ce = cJSON_GetObjectItemCaseSensitive(req, "clean_env");
	if (ce != NULL && !cJSON_IsBool(ce)) {
		proto_seterr(err, errlen, "\"clean_env\" must be a boolean");
		return JOBQ_EINVAL;
	}
	out->clean_env = ce != NULL && cJSON_IsTrue(ce);
	if ((rc = proto_get_int(req, "umask", 0, 0, 0777, &v, err,
	    errlen)) != 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(req, "umask") == NULL)
		v = -1;
	out->umask = (int)v;
	return 0;
}

int
proto_submit_from_json(const cJSON *req, struct proto_submit *out,
    char *err, size_t errlen)
{
	return proto_submit_from_json_env(req, NULL, out, err, errlen);
}

int
proto_submit_from_json_env(const cJSON *req, const cJSON *env_default,
    struct proto_submit *out, char *err, size_t errlen)
{
	const cJSON	*cwd, *mo;
	int64_t		 retries = 0, slots = 0;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(req)) {
		proto_seterr(err, errlen, "request is not an object");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_submit_strings(req, "argv", NULL, 1, JOBQ_MAX_ARGS, 0,
	    &out->argv, &out->argc, &out->spec_bytes, err, errlen)) != 0)
		goto fail;
	if (out->argv[0][0] == '\0') {
		proto_seterr(err, errlen, "\"argv\" entry 0 is empty");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	if ((rc = proto_submit_strings(req, "env", env_default, 0, JOBQ_MAX_ENV, 1,
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
	else if (!proto_queue_name_ok(out->queue)) {
		proto_seterr(err, errlen, "\"queue\" must match "
		    "[A-Za-z0-9_.-]+");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	if ((rc = proto_get_int(req, "retries", 0, 0, PROTO_MAX_RETRIES,
	    &retries, err, errlen)) != 0)
		goto fail;
	out->max_retries = (int)retries;
	if ((rc = proto_get_int(req, "output_limit", 0, 0,
	    PROTO_MAX_OUTPUT_LIMIT, &out->output_limit, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_submit_sched(req, out, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_submit_ident(req, out, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_get_bool(req, "hold", &out->hold, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_get_int(req, "slots", 0, 1, JOBQ_MAX_SLOTS, &slots,
	    err, errlen)) != 0)
		goto fail;
	out->slots = (int)slots;
	if ((rc = proto_get_str(req, "res", JOBQ_MAX_RES, &out->res, err,
	    errlen)) != 0)
		goto fail;
	if (out->res != NULL && out->res[0] == '\0') {
		proto_seterr(err, errlen, "\"res\" must not be empty");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	out->run_gid = -1;
	if ((rc = proto_limits_decode(cJSON_GetObjectItemCaseSensitive(req,
	    "limits"), "", JOBQ_EINVAL, &out->limits, err, errlen)) != 0)
		goto fail;
	if ((rc = proto_get_str(req, "on_end", JOBQ_MAX_HOOK, &out->on_end,
	    err, errlen)) != 0)
		goto fail;
	if (out->on_end != NULL && out->on_end[0] == '\0') {
		proto_seterr(err, errlen, "\"on_end\" must not be empty");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	mo = cJSON_GetObjectItemCaseSensitive(req, "merge_output");
	if (mo != NULL && !cJSON_IsBool(mo)) {
		proto_seterr(err, errlen, "\"merge_output\" must be a boolean");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	out->merge_output = mo != NULL && cJSON_IsTrue(mo);
	return 0;
fail:
	proto_submit_release(out);
	return rc;
}

/* Adds the "array" member of a submit from opts (array_count > 0). */
static void
proto_submit_out_array(struct proto_out *o, const jobq_submit_opts *opts)
{
	struct proto_out	a;

	proto_out_begin(&a, NULL);
	proto_out_int(&a, "first", opts->array_first);
	proto_out_int(&a, "step", opts->array_step == 0 ? 1 : opts->array_step);
	proto_out_int(&a, "count", opts->array_count);
	proto_out_int_nz(&a, "throttle", opts->array_throttle);
	proto_out_item(o, "array", proto_out_end(&a));
}

/* 1 if opts can be encoded (see proto.h). */
static int
proto_submit_encodable(const jobq_submit_opts *opts, const char *cwd)
{
	size_t	i;

	if (opts == NULL || opts->argv == NULL || cwd == NULL ||
	    (opts->ndeps > 0 && opts->deps == NULL) || opts->array_count < 0 ||
	    opts->output_limit < 0 ||
	    opts->output_limit > PROTO_MAX_OUTPUT_LIMIT ||
	    !proto_limits_valid(&opts->limits))
		return 0;
	for (i = 0; i < opts->ndeps; i++) {
		if (jobq_dep_mode_name(opts->deps[i].mode) == NULL)
			return 0;
	}
	return 1;
}

cJSON *
proto_submit_to_json(const jobq_submit_opts *opts, const char *const *env,
    const char *cwd)
{
	struct proto_out	o;

	if (!proto_submit_encodable(opts, cwd))
		return NULL;
	proto_out_begin(&o, "submit");
	proto_out_list(&o, "argv", opts->argv);
	proto_out_list(&o, "env", env);
	proto_out_str(&o, "cwd", cwd);
	proto_out_str_nn(&o, "name", opts->name);
	proto_out_str_nn(&o, "queue", opts->queue);
	proto_out_int_nz(&o, "retries", opts->max_retries);
	proto_out_int_nz(&o, "output_limit", opts->output_limit);
	proto_out_int_nz(&o, "priority", opts->priority);
	proto_out_int_nz(&o, "not_before", opts->not_before);
	proto_out_int_nz(&o, "timeout_ms", opts->timeout_ms);
	proto_out_int_nz(&o, "kill_grace_ms", opts->kill_grace_ms);
	proto_out_int_nz(&o, "retry_delay_ms", opts->retry_delay_ms);
	proto_out_str_nn(&o, "unique_key", opts->unique_key);
	if (opts->labels != NULL && opts->labels[0] != NULL)
		proto_out_list(&o, "labels", opts->labels);
	if (opts->ndeps > 0 && !o.failed &&
	    proto_add_deps(o.obj, opts->deps, opts->ndeps) != 0)
		proto_out_fail(&o);
	if (opts->array_count > 0)
		proto_submit_out_array(&o, opts);
	proto_out_str_nn(&o, "user", opts->user);
	proto_out_str_nn(&o, "group", opts->group);
	if (opts->clean_env)
		proto_out_bool(&o, "clean_env", 1);
	proto_out_limits(&o, &opts->limits);
	return proto_out_end(&o);
}

cJSON *
proto_submit_req_to_json(const struct proto_submit *s)
{
	jobq_submit_opts	o;
	jobq_submit_ext		x;

	if (s == NULL)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.argv = (const char *const *)s->argv;
	o.name = s->name;
	o.queue = s->queue;
	o.max_retries = s->max_retries;
	o.priority = s->priority;
	o.not_before = s->not_before;
	o.timeout_ms = s->timeout_ms;
	o.kill_grace_ms = s->kill_grace_ms;
	o.retry_delay_ms = s->retry_delay_ms;
	o.unique_key = s->unique_key;
	o.labels = (const char *const *)s->labels;
	o.deps = s->deps;
	o.ndeps = s->ndeps;
	o.array_first = s->array_first;
	o.array_step = s->array_step;
	o.array_count = s->array_count;
	o.array_throttle = s->array_throttle;
	o.output_limit = s->output_limit;
	o.user = s->user;
	o.group = s->group;
	o.clean_env = s->clean_env;
	o.limits = s->limits;
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.on_end = s->on_end;
	x.merge_output = s->merge_output;
	x.hold = s->hold;
	x.slots = s->slots;
	x.res = s->res;
	return proto_submit_ext(proto_submit_umask(proto_submit_to_json(&o,
	    (const char *const *)s->env, s->cwd), s->umask), &x);
}

cJSON *
proto_submit_ext(cJSON *req, const jobq_submit_ext *ext)
{
	if (req == NULL || ext == NULL)
		return req;
	if ((ext->on_end != NULL &&
	    cJSON_AddStringToObject(req, "on_end", ext->on_end) == NULL) ||
	    (ext->merge_output &&
	    cJSON_AddBoolToObject(req, "merge_output", 1) == NULL) ||
	    (ext->hold && cJSON_AddTrueToObject(req, "hold") == NULL) ||
	    (ext->slots > 0 &&
	    cJSON_AddNumberToObject(req, "slots", ext->slots) == NULL) ||
	    (ext->res != NULL &&
	    cJSON_AddStringToObject(req, "res", ext->res) == NULL)) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

cJSON *
proto_submit_umask(cJSON *req, int umask)
{
	if (req == NULL || umask < 0)
		return req;
	if (umask > 0777 ||
	    cJSON_AddNumberToObject(req, "umask", umask) == NULL) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}
