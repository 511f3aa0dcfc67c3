/*
 * proto_job.c - the JOB object of the protocol <-> jobq_job: encoding every
 * member (null and absent ones as jobq-protocol(7) says) and decoding a
 * peer's job with every type and range checked.  Also owns jobq_job_free and
 * jobq_job_list_free, since the jobs they free are built here.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

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
	free(job->usage_from);
	free(job->on_end);
	free(job->schedule);
	free(job->res);
	free(job->res_given);
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

/* Adds the scheduling members: priority and labels always, the rest when
 * set. */
static void
proto_job_out_sched(struct proto_out *o, const jobq_job *job)
{
	proto_out_int(o, "priority", job->priority);
	proto_out_int_nz(o, "not_before", job->not_before);
	proto_out_int_nz(o, "timeout_ms", job->timeout_ms);
	proto_out_int_nz(o, "kill_grace_ms", job->kill_grace_ms);
	proto_out_int_nz(o, "retry_delay_ms", job->retry_delay_ms);
	proto_out_str_nn(o, "unique_key", job->unique_key);
	proto_out_strv(o, "labels", (const char *const *)job->labels,
	    job->nlabels);
	if (job->ndeps > 0 && (job->deps == NULL || o->failed ||
	    proto_add_deps(o->obj, job->deps, job->ndeps) != 0))
		proto_out_fail(o);
	if (job->array_id != 0) {
		proto_out_int(o, "array_id", job->array_id);
		proto_out_int(o, "array_index", job->array_index);
	}
}

/* Another user's job as the daemon's visibility setting allows (jobqd.conf
 * (5)): these members only. */
static cJSON *
proto_job_limited_to_json(const jobq_job *job, const char *state)
{
	struct proto_out	 o;

	proto_out_begin(&o, NULL);
	proto_out_int(&o, "id", job->id);
	proto_out_str(&o, "state", state);
	proto_out_str(&o, "queue", job->queue != NULL ? job->queue : "default");
	proto_out_int(&o, "owner_uid", job->owner_uid);
	proto_out_int(&o, "submitted_at", job->submitted_at);
	proto_out_int_or_null(&o, "started_at", job->started_at,
	    job->started_at == 0);
	proto_out_int_or_null(&o, "finished_at", job->finished_at,
	    job->finished_at == 0);
	proto_out_bool(&o, "limited", 1);
	return proto_out_end(&o);
}

/* lib/proto.h; reads at most sizeof(jobq_job.executor) bytes of e. */
int
proto_job_executor_ok(const char *e)
{
	size_t	i;

	for (i = 0; i < sizeof(((jobq_job *)0)->executor); i++) {
		if (e[i] == '\0')
			return i > 0;
		if (e[i] < 'a' || e[i] > 'z')
			return 0;
	}
	return 0;
}

cJSON *
proto_job_to_json(const jobq_job *job)
{
	struct proto_out	 o;
	const char		*state;

	if (job == NULL || (state = jobq_state_name(job->state)) == NULL)
		return NULL;
	if (job->limited)
		return proto_job_limited_to_json(job, state);
	proto_out_begin(&o, NULL);
	proto_out_int(&o, "id", job->id);
	proto_out_str(&o, "state", state);
	proto_out_str(&o, "name", job->name);
	proto_out_str(&o, "queue", job->queue != NULL ? job->queue : "default");
	proto_out_strv(&o, "argv", (const char *const *)job->argv, job->argc);
	proto_out_str(&o, "cwd", job->cwd != NULL ? job->cwd : "");
	proto_out_int(&o, "owner_uid", job->owner_uid);
	proto_out_int_or_null(&o, "exit_code", job->exit_code,
	    job->exit_code < 0);
	proto_out_int_or_null(&o, "signal", job->signal, job->signal == 0);
	proto_out_int(&o, "submitted_at", job->submitted_at);
	proto_out_int_or_null(&o, "started_at", job->started_at,
	    job->started_at == 0);
	proto_out_int_or_null(&o, "finished_at", job->finished_at,
	    job->finished_at == 0);
	proto_out_int(&o, "attempts", job->attempts);
	proto_out_int(&o, "max_retries", job->max_retries);
	proto_out_str(&o, "reason", job->reason);
	proto_out_str(&o, "message", job->message);
	proto_out_int_or_null(&o, "pid", job->pid, job->pid == 0);
	proto_job_out_sched(&o, job);
	proto_out_int(&o, "submitter_uid", job->submitter_uid);
	proto_out_int_or_null(&o, "gid", job->gid, job->gid < 0);
	proto_out_int(&o, "umask", job->umask);
	proto_out_limits(&o, &job->limits);
	if (job->usage_from != NULL) {
		proto_out_int(&o, "mem_peak", job->mem_peak);
		proto_out_int(&o, "cpu_user_us", job->cpu_user_us);
		proto_out_int(&o, "cpu_sys_us", job->cpu_sys_us);
		proto_out_str(&o, "usage_from", job->usage_from);
	}
	proto_out_str_nn(&o, "on_end", job->on_end);
	if (job->merge_output)
		proto_out_bool(&o, "merge_output", 1);
	if (job->held)
		proto_out_bool(&o, "held", 1);
	proto_out_str_nn(&o, "schedule", job->schedule);
	proto_out_int(&o, "slots", job->slots > 0 ? job->slots : 1);
	proto_out_str_nn(&o, "res", job->res);
	proto_out_str_nn(&o, "res_given", job->res_given);
	if (proto_job_executor_ok(job->executor))
		proto_out_str(&o, "executor", job->executor);
	else if (job->executor[0] != '\0')
		proto_out_fail(&o);
	proto_out_int_nz(&o, "slurm_id", job->slurm_id > 0 ?
	    job->slurm_id : 0);
	return proto_out_end(&o);
}

int
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

int
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

/* The string members of a job, in the order they are checked. */
static const struct {
	const char	*key;
	int		 nullable;
	size_t		 off;
} proto_job_strs[] = {
	{ "name", 1, offsetof(jobq_job, name) },
	{ "queue", 0, offsetof(jobq_job, queue) },
	{ "cwd", 0, offsetof(jobq_job, cwd) },
	{ "reason", 1, offsetof(jobq_job, reason) },
	{ "message", 1, offsetof(jobq_job, message) },
	{ "usage_from", 1, offsetof(jobq_job, usage_from) },
	{ "on_end", 1, offsetof(jobq_job, on_end) },
	{ "schedule", 1, offsetof(jobq_job, schedule) },
	{ "res", 1, offsetof(jobq_job, res) },
	{ "res_given", 1, offsetof(jobq_job, res_given) },
};

/* The integer members of a job after its strings, in the order they are
 * checked, with the C type each is stored as. */
enum { PROTO_JOB_I64, PROTO_JOB_INT, PROTO_JOB_U32 };
static const struct {
	const char	*key;
	int		 nullable;
	int64_t		 nullval, min, max;
	int		 type;
	size_t		 off;
} proto_job_ints[] = {
	{ "owner_uid", 0, 0, 0, UINT32_MAX, PROTO_JOB_U32,
	    offsetof(jobq_job, owner_uid) },
	{ "exit_code", 1, -1, INT32_MIN, INT32_MAX, PROTO_JOB_INT,
	    offsetof(jobq_job, exit_code) },
	{ "signal", 1, 0, 0, INT32_MAX, PROTO_JOB_INT,
	    offsetof(jobq_job, signal) },
	{ "attempts", 0, 0, 0, INT32_MAX, PROTO_JOB_INT,
	    offsetof(jobq_job, attempts) },
	{ "max_retries", 0, 0, 0, INT32_MAX, PROTO_JOB_INT,
	    offsetof(jobq_job, max_retries) },
	{ "submitted_at", 0, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, submitted_at) },
	{ "started_at", 1, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, started_at) },
	{ "finished_at", 1, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, finished_at) },
	{ "pid", 1, 0, 0, INT64_MAX, PROTO_JOB_I64, offsetof(jobq_job, pid) },
	{ "mem_peak", 1, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, mem_peak) },
	{ "cpu_user_us", 1, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, cpu_user_us) },
	{ "cpu_sys_us", 1, 0, 0, INT64_MAX, PROTO_JOB_I64,
	    offsetof(jobq_job, cpu_sys_us) },
	{ "slots", 1, 1, 1, JOBQ_MAX_SLOTS, PROTO_JOB_INT,
	    offsetof(jobq_job, slots) },
};

/* Decodes the string and integer members of the tables into job; of a
 * limited job (job->limited) only id, queue, owner_uid and submitted_at
 * are required. */
static int
proto_job_members(const cJSON *obj, jobq_job *job, char *err, size_t errlen)
{
	int	 lim = job->limited;

	char	*base = (char *)job;
	int64_t	 v;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(proto_job_strs) / sizeof(proto_job_strs[0]);
	    i++) {
		if ((rc = proto_job_str(obj, proto_job_strs[i].key,
		    proto_job_strs[i].nullable || (lim &&
		    strcmp(proto_job_strs[i].key, "queue") != 0),
		    (char **)(base + proto_job_strs[i].off), err, errlen)) != 0)
			return rc;
	}
	for (i = 0; i < sizeof(proto_job_ints) / sizeof(proto_job_ints[0]);
	    i++) {
		if ((rc = proto_job_int(obj, proto_job_ints[i].key,
		    proto_job_ints[i].nullable || (lim &&
		    strcmp(proto_job_ints[i].key, "owner_uid") != 0 &&
		    strcmp(proto_job_ints[i].key, "submitted_at") != 0),
		    proto_job_ints[i].nullval,
		    proto_job_ints[i].min, proto_job_ints[i].max, &v, err,
		    errlen)) != 0)
			return rc;
		if (proto_job_ints[i].type == PROTO_JOB_U32)
			*(uint32_t *)(base + proto_job_ints[i].off) = (uint32_t)v;
		else if (proto_job_ints[i].type == PROTO_JOB_INT)
			*(int *)(base + proto_job_ints[i].off) = (int)v;
		else
			*(int64_t *)(base + proto_job_ints[i].off) = v;
	}
	return 0;
}

/* Decodes a job's identity members (absent from an older jobqd: the
 * owner submitted it, its primary group, umask 022). */
static int
proto_job_ident(const cJSON *obj, jobq_job *job, char *err, size_t errlen)
{
	int64_t	v;
	int	rc;

	if ((rc = proto_job_int(obj, "submitter_uid", 1, -1, 0, UINT32_MAX,
	    &v, err, errlen)) != 0)
		return rc;
	job->submitter_uid = v < 0 ? job->owner_uid : (uint32_t)v;
	if ((rc = proto_job_int(obj, "gid", 1, -1, 0, UINT32_MAX - 1,
	    &job->gid, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "umask", 1, 022, 0, 0777, &v, err,
	    errlen)) != 0)
		return rc;
	job->umask = (int)v;
	return 0;
}

/* Decodes where a job's current or last run went: "executor" (absent or
 * null: local) and "slurm_id" (absent or null: none). */
static int
proto_job_executor(const cJSON *obj, jobq_job *job, char *err, size_t errlen)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, "executor");
	if (item != NULL && !cJSON_IsNull(item)) {
		if (!cJSON_IsString(item) || item->valuestring == NULL ||
		    !proto_job_executor_ok(item->valuestring)) {
			proto_seterr(err, errlen, "job \"executor\" is not "
			    "1..%zu bytes of [a-z] or null",
			    sizeof(job->executor) - 1);
			return JOBQ_EPROTO;
		}
		/* fits: proto_job_executor_ok */
		memcpy(job->executor, item->valuestring,
		    strlen(item->valuestring) + 1);
	}
	return proto_job_int(obj, "slurm_id", 1, 0, 1, INT64_MAX,
	    &job->slurm_id, err, errlen);
}

/* Decodes a job's "argv" (an array, checked by the caller) into job. */
static int
proto_job_argv(const cJSON *argv, jobq_job *job, char *err, size_t errlen)
{
	const cJSON	*a;
	size_t		 n, i;

	n = 0;
	cJSON_ArrayForEach(a, argv)
		n++;
	if ((job->argv = calloc(n + 1, sizeof(*job->argv))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(a, argv) {
		if (!cJSON_IsString(a) || a->valuestring == NULL) {
			proto_seterr(err, errlen, "job \"argv\" entry %zu is "
			    "not a string", i);
			return JOBQ_EPROTO;
		}
		if ((job->argv[i] = strdup(a->valuestring)) == NULL) {
			proto_seterr(err, errlen, "out of memory");
			return JOBQ_ENOMEM;
		}
		job->argc = ++i;
	}
	return 0;
}

int
proto_job_from_json(const cJSON *obj, jobq_job **out, char *err,
    size_t errlen)
{
	static const cJSON proto_job_no_argv = { .type = cJSON_Array };
	jobq_job	*job;
	const cJSON	*st, *argv, *lim, *mo, *held;
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
	lim = cJSON_GetObjectItemCaseSensitive(obj, "limited");
	if (lim != NULL && !cJSON_IsBool(lim)) {
		proto_seterr(err, errlen, "job \"limited\" is not a boolean");
		return JOBQ_EPROTO;
	}
	mo = cJSON_GetObjectItemCaseSensitive(obj, "merge_output");
	if (mo != NULL && !cJSON_IsBool(mo)) {
		proto_seterr(err, errlen, "job \"merge_output\" is not a "
		    "boolean");
		return JOBQ_EPROTO;
	}
	held = cJSON_GetObjectItemCaseSensitive(obj, "held");
	if (held != NULL && !cJSON_IsBool(held)) {
		proto_seterr(err, errlen, "job \"held\" is not a boolean");
		return JOBQ_EPROTO;
	}
	argv = cJSON_GetObjectItemCaseSensitive(obj, "argv");
	if (cJSON_IsTrue(lim) && argv == NULL)
		argv = &proto_job_no_argv;
	if (!cJSON_IsArray(argv)) {
		proto_seterr(err, errlen, "job \"argv\" is not an array");
		return JOBQ_EPROTO;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		proto_seterr(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	job->state = (jobq_state)state;
	job->limited = cJSON_IsTrue(lim);
	job->merge_output = cJSON_IsTrue(mo);
	job->held = cJSON_IsTrue(held);
	if ((rc = proto_job_argv(argv, job, err, errlen)) != 0 ||
	    (rc = proto_job_int(obj, "id", 0, 0, 1, INT64_MAX, &job->id,
	    err, errlen)) != 0 ||
	    (rc = proto_job_members(obj, job, err, errlen)) != 0 ||
	    (rc = proto_job_sched(obj, job, err, errlen)) != 0 ||
	    (rc = proto_job_ident(obj, job, err, errlen)) != 0 ||
	    (rc = proto_job_executor(obj, job, err, errlen)) != 0 ||
	    (rc = proto_limits_decode(cJSON_GetObjectItemCaseSensitive(obj,
	    "limits"), "job ", JOBQ_EPROTO, &job->limits, err,
	    errlen)) != 0) {
		jobq_job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}
