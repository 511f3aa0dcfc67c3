/*
 * hook_env.c - the environment a hook runs with (hook.h): an allow-list
 * built from the job's committed row and its user's passwd entry, nothing
 * from jobqd's own environment.  Pure: no I/O, no clock.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"

const char *
hook_origin_name(enum hook_origin o)
{
	switch (o) {
	case HOOK_JOB:
		return "job";
	case HOOK_QUEUE:
		return "queue";
	case HOOK_GLOBAL:
		return "global";
	}
	return "?";
}

/* The entries being built: each "K=V", malloc'd. */
struct hook_env {
	char *v[32];
	size_t n;
	int oom;
};

static void
hook_env_add(struct hook_env *e, const char *name, const char *value)
{
	size_t len;

	if (e->oom || e->n + 1 >= sizeof e->v / sizeof e->v[0]) {
		e->oom = 1;
		return;
	}
	if (value == NULL)
		value = "";
	len = strlen(name) + 1 + strlen(value) + 1;
	if ((e->v[e->n] = malloc(len)) == NULL) {
		e->oom = 1;
		return;
	}
	snprintf(e->v[e->n], len, "%s=%s", name, value);
	e->n++;
}

static void
hook_env_int(struct hook_env *e, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	hook_env_add(e, name, buf);
}

/* ms (>= 0) as seconds with milliseconds, "1765000000.250"; "" unless
 * present. */
static void
hook_env_secs(struct hook_env *e, const char *name, int64_t ms, int present)
{
	char buf[32];

	if (!present || ms < 0) {
		hook_env_add(e, name, "");
		return;
	}
	snprintf(buf, sizeof buf, "%" PRId64 ".%03d", ms / 1000,
	    (int)(ms % 1000));
	hook_env_add(e, name, buf);
}

/* e's entries on top of pw's login-like ones, as one block; frees e's. */
static char **
hook_env_finish(struct hook_env *e, const struct ident_pw *pw)
{
	char **env = NULL;
	size_t n, i;

	if (!e->oom) {
		e->v[e->n] = NULL;
		env = ident_env_build(pw, (const char *const *)e->v, &n);
	}
	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	return env;
}

char **
hook_env_job(const jobq_job *job, enum hook_origin origin,
    const char *logs_dir, const struct ident_pw *pw)
{
	struct hook_env e;
	char buf[4200];

	memset(&e, 0, sizeof e);
	hook_env_add(&e, "JOBQ_HOOK", "end");
	hook_env_add(&e, "JOBQ_HOOK_ORIGIN", hook_origin_name(origin));
	hook_env_int(&e, "JOBQ_JOB_ID", job->id);
	if (job->array_id != 0)
		snprintf(buf, sizeof buf, "%" PRId64 ".%" PRId64, job->array_id,
		    job->array_index);
	else
		snprintf(buf, sizeof buf, "%" PRId64, job->id);
	hook_env_add(&e, "JOBQ_JOB_REF", buf);
	hook_env_add(&e, "JOBQ_JOB_STATE", jobq_state_name(job->state));
	if (job->exit_code >= 0)
		hook_env_int(&e, "JOBQ_JOB_EXIT_CODE", job->exit_code);
	else
		hook_env_add(&e, "JOBQ_JOB_EXIT_CODE", "");
	if (job->signal > 0)
		hook_env_int(&e, "JOBQ_JOB_SIGNAL", job->signal);
	else
		hook_env_add(&e, "JOBQ_JOB_SIGNAL", "");
	hook_env_add(&e, "JOBQ_JOB_REASON", job->reason);
	hook_env_add(&e, "JOBQ_JOB_NAME", job->name);
	hook_env_add(&e, "JOBQ_JOB_QUEUE", job->queue);
	hook_env_int(&e, "JOBQ_JOB_ATTEMPTS", job->attempts);
	hook_env_secs(&e, "JOBQ_JOB_SUBMITTED", job->submitted_at, 1);
	hook_env_secs(&e, "JOBQ_JOB_STARTED", job->started_at,
	    job->started_at > 0);
	hook_env_secs(&e, "JOBQ_JOB_FINISHED", job->finished_at,
	    job->finished_at > 0);
	hook_env_secs(&e, "JOBQ_JOB_RUNTIME", job->finished_at -
	    job->started_at, job->started_at > 0 &&
	    job->finished_at >= job->started_at);
	hook_env_add(&e, "JOBQ_JOB_CWD", job->cwd);
	if (pw->name != NULL && pw->name[0] != '\0')
		hook_env_add(&e, "JOBQ_JOB_USER", pw->name);
	else
		hook_env_int(&e, "JOBQ_JOB_USER", job->owner_uid);
	snprintf(buf, sizeof buf, "%s/%" PRIu32 "/%" PRId64 ".out", logs_dir,
	    job->owner_uid, job->id);
	hook_env_add(&e, "JOBQ_JOB_STDOUT", buf);
	snprintf(buf, sizeof buf, "%s/%" PRIu32 "/%" PRId64 ".%s", logs_dir,
	    job->owner_uid, job->id, job->merge_output ? "out" : "err");
	hook_env_add(&e, "JOBQ_JOB_STDERR", buf);
	if (job->array_id != 0) {
		hook_env_int(&e, "JOBQ_ARRAY_ID", job->array_id);
		hook_env_int(&e, "JOBQ_ARRAY_INDEX", job->array_index);
	}
	return hook_env_finish(&e, pw);
}

char **
hook_env_drained(const char *queue, const struct ident_pw *pw)
{
	struct hook_env e;

	memset(&e, 0, sizeof e);
	hook_env_add(&e, "JOBQ_HOOK", "drained");
	hook_env_add(&e, "JOBQ_QUEUE", queue);
	return hook_env_finish(&e, pw);
}
