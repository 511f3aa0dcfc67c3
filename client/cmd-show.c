/*
 * cmd-show.c - `jobq show`: every field of one job, or an array's summary
 * (with --json, the job object or the array object).
 */
#include "config.h"

#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

/* "A.I" of a task, "-" for a job that is not one. */
char *
cmd_task_cell(const jobq_job *j, char *buf, size_t len)
{
	if (j->array_id != 0)
		snprintf(buf, len, "%lld.%lld", (long long)j->array_id,
		    (long long)j->array_index);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* "ok:5, notok:6" for the dependencies of a job; malloc'd or NULL. */
static char *
cmd_deps_text(const jobq_job *j)
{
	size_t i, len = 0;
	char *s;

	if (j->ndeps > SIZE_MAX / 48)
		return NULL;
	s = malloc(j->ndeps * 48 + 2);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < j->ndeps; i++)
		len += (size_t)snprintf(s + len, 48, "%s%s:%lld", i > 0 ? ", " :
		    "", fmt_dep_mode(j->deps[i].mode), (long long)j->deps[i].id);
	if (j->ndeps == 0)
		snprintf(s, 2, "-");
	return s;
}

/* One "key: value" line of `show`. */
#define SHOW(k, ...) do { printf("%-12s ", k ":"); printf(__VA_ARGS__); \
	putchar('\n'); } while (0)

/* The name of user uid (or of group gid: group set) into buf, "" if it
 * has none; for a user, *gid (if gid is not NULL) gets its primary group
 * (-1: none). */
static const char *
cmd_show_name(int group, uint32_t id, int64_t *gid, char *buf, size_t len)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	long n = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	char *b;

	buf[0] = '\0';
	if (gid != NULL)
		*gid = -1;
	if (n <= 0 || n > 1 << 20)
		n = 16384;
	if ((b = malloc((size_t)n)) == NULL)
		return buf;
	if (group && getgrgid_r((gid_t)id, &gr, b, (size_t)n, &grp) == 0 &&
	    grp != NULL)
		snprintf(buf, len, "%s", gr.gr_name);
	else if (!group && getpwuid_r((uid_t)id, &pw, b, (size_t)n,
	    &pwp) == 0 && pwp != NULL) {
		snprintf(buf, len, "%s", pw.pw_name);
		if (gid != NULL)
			*gid = (int64_t)pw.pw_gid;
	}
	free(b);
	return buf;
}

/* The identity lines: owner (the user the job runs as), its group, who
 * submitted it (if another user) and its umask; names where they have
 * them. */
static void
cmd_show_user(uint32_t uid, int64_t *gid)
{
	char name[256];

	cmd_show_name(0, uid, gid, name, sizeof(name));
	if (name[0] != '\0')
		SHOW("owner", "%lu (%s)", (unsigned long)uid, name);
	else
		SHOW("owner", "%lu", (unsigned long)uid);
}

static void
cmd_show_owner(const jobq_job *j)
{
	char name[256];
	int64_t gid;

	cmd_show_user(j->owner_uid, &gid);
	if (j->gid >= 0)
		gid = j->gid;
	if (gid < 0)
		SHOW("group", "the owner's primary group");
	else if (cmd_show_name(1, (uint32_t)gid, NULL, name,
	    sizeof(name))[0] != '\0')
		SHOW("group", "%lld (%s)%s", (long long)gid, name, j->gid < 0 ?
		    ", the owner's primary group" : "");
	else
		SHOW("group", "%lld%s", (long long)gid, j->gid < 0 ?
		    ", the owner's primary group" : "");
	if (j->submitter_uid != j->owner_uid) {
		if (cmd_show_name(0, j->submitter_uid, NULL, name,
		    sizeof(name))[0] != '\0')
			SHOW("submitter", "%lu (%s)",
			    (unsigned long)j->submitter_uid, name);
		else
			SHOW("submitter", "%lu",
			    (unsigned long)j->submitter_uid);
	}
	SHOW("umask", "%04o", (unsigned)j->umask);
}

/* The job object of `show --json`, with "user" and "group": the names of
 * its owner and of its group (as `show` prints them), when they have one;
 * a limited job (another user's) gets "user" only. */
static cJSON *
cmd_show_json(const jobq_job *j)
{
	cJSON *o = proto_job_to_json(j);
	char name[256];
	int64_t gid;

	if (o == NULL)
		return NULL;
	if (cmd_show_name(0, j->owner_uid, &gid, name, sizeof(name))[0] !=
	    '\0' && cJSON_AddStringToObject(o, "user", name) == NULL)
		goto fail;
	if (j->limited)
		return o;	/* another user's: the user's name only */
	if (j->gid >= 0)
		gid = j->gid;
	if (gid >= 0 && cmd_show_name(1, (uint32_t)gid, NULL, name,
	    sizeof(name))[0] != '\0' &&
	    cJSON_AddStringToObject(o, "group", name) == NULL)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* The lines of a job's scheduling, from labels to kill grace. */
static void
cmd_show_sched(const jobq_job *j, const char *labels, const char *deps,
    int64_t now)
{
	char buf[64], tbuf[FMT_TIME_LEN], rel[FMT_REL_LEN];

	SHOW("labels", "%s", j->nlabels > 0 ? labels : "-");
	SHOW("unique key", "%s", j->unique_key != NULL ? j->unique_key : "-");
	SHOW("after", "%s", deps);
	if (j->not_before > 0)
		SHOW("not before", "%s (%s)", fmt_time(j->not_before, 0, tbuf,
		    sizeof(tbuf)), fmt_relative(j->not_before, now, rel,
		    sizeof(rel)));
	else
		SHOW("not before", "-");
	SHOW("timeout", "%s", j->timeout_ms > 0 ? fmt_duration(j->timeout_ms,
	    buf, sizeof(buf)) : "-");
	SHOW("kill grace", "%s", j->kill_grace_ms > 0 ?
	    fmt_duration(j->kill_grace_ms, buf, sizeof(buf)) : "default");
}

/* The resource limits line. */
static void
cmd_show_limits(const jobq_job *j)
{
	char buf[FMT_LIMITS_LEN];

	SHOW("limits", "%s", fmt_limits(&j->limits, buf, sizeof(buf)));
}

/* The lines of a job's run, from its exit code to its times. */
static void
cmd_show_run(const jobq_job *j, int64_t now)
{
	char buf[64], tbuf[FMT_TIME_LEN], sbuf[FMT_SIG_LEN];
	int64_t end = 0;

	if (j->exit_code >= 0)
		SHOW("exit code", "%d", j->exit_code);
	else
		SHOW("exit code", "-");
	if (j->signal > 0)
		SHOW("signal", "%s (%d)", fmt_signal_name(j->signal, sbuf,
		    sizeof(sbuf)), j->signal);
	else
		SHOW("signal", "-");
	SHOW("submitted", "%s", fmt_time(j->submitted_at, 1, tbuf, sizeof(tbuf)));
	SHOW("started", "%s", fmt_time(j->started_at, 1, tbuf, sizeof(tbuf)));
	SHOW("finished", "%s", fmt_time(j->finished_at, 1, tbuf, sizeof(tbuf)));
	if (j->started_at > 0 && j->finished_at > 0)
		end = j->finished_at;
	else if (j->started_at > 0 && j->state == JOBQ_STATE_RUNNING)
		end = now;
	if (end > 0)
		SHOW("runtime", "%s", fmt_duration(end - j->started_at, buf,
		    sizeof(buf)));
	else
		SHOW("runtime", "-");
}

/* What its last ended run used: CPU time, peak memory, where from. */
static void
cmd_show_usage(const jobq_job *j)
{
	if (j->usage_from == NULL) {
		SHOW("cpu time", "-");
		SHOW("peak memory", "-");
		return;
	}
	SHOW("cpu time", "%.3fs (user %.3fs, system %.3fs)",
	    (double)(j->cpu_user_us + j->cpu_sys_us) / 1e6,
	    (double)j->cpu_user_us / 1e6, (double)j->cpu_sys_us / 1e6);
	SHOW("peak memory", "%.1f MiB (%lld bytes)",
	    (double)j->mem_peak / (1024.0 * 1024.0), (long long)j->mem_peak);
	SHOW("usage from", "%s", j->usage_from);
}

/* The lines of a job's retries and end, from attempts to pid. */
static void
cmd_show_end(const jobq_job *j)
{
	char buf[64];

	SHOW("attempts", "%d", j->attempts);
	SHOW("max retries", "%d", j->max_retries);
	SHOW("retry delay", "%s", j->retry_delay_ms > 0 ?
	    fmt_duration(j->retry_delay_ms, buf, sizeof(buf)) : "default (1s)");
	SHOW("reason", "%s", j->reason != NULL ? j->reason : "-");
	SHOW("message", "%s", j->message != NULL ? j->message : "-");
	if (j->pid > 0)
		SHOW("pid", "%lld", (long long)j->pid);
	else
		SHOW("pid", "-");
}

/* Where its current or last run went, when not to a local worker: the
 * Slurm job ("slurm: job N"), or that sbatch has not answered yet (a run
 * that ended so, e.g. sbatch refused it, was not submitted at all). */
static void
cmd_show_executor(const jobq_job *j)
{
	if (strcmp(j->executor, "slurm") == 0) {
		if (j->slurm_id > 0)
			SHOW("slurm", "job %lld", (long long)j->slurm_id);
		else if (j->state == JOBQ_STATE_RUNNING)
			SHOW("slurm", "not yet submitted");
		else
			SHOW("slurm", "not submitted");
	} else if (j->executor[0] != '\0')
		SHOW("executor", "%s", j->executor);
}

/* Another user's job, of which jobqd shows only these (jobqd.conf(5),
 * visibility). */
static int
cmd_show_limited(const jobq_job *j)
{
	char tbuf[FMT_TIME_LEN];

	SHOW("id", "%lld", (long long)j->id);
	SHOW("state", "%s%s", jobq_state_name(j->state) != NULL ?
	    jobq_state_name(j->state) : "?", j->held ? " (held)" : "");
	SHOW("queue", "%s", j->queue != NULL ? j->queue : "-");
	cmd_show_user(j->owner_uid, NULL);
	SHOW("submitted", "%s", fmt_time(j->submitted_at, 1, tbuf, sizeof(tbuf)));
	SHOW("started", "%s", fmt_time(j->started_at, 1, tbuf, sizeof(tbuf)));
	SHOW("finished", "%s", fmt_time(j->finished_at, 1, tbuf, sizeof(tbuf)));
	SHOW("details", "another user's job: jobqd shows only the above");
	return 0;
}

/* Prints the fields of a job as "key: value" lines. */
static int
cmd_show_job(const jobq_job *j)
{
	char buf[64], *command, *labels, *deps;
	int64_t now = util_now_ms();
	int rc = -1;

	if (j->limited)
		return cmd_show_limited(j);
	command = fmt_join_argv(j->argv, j->argc);
	labels = fmt_join_argv(j->labels, j->nlabels);
	deps = cmd_deps_text(j);
	if (command != NULL && labels != NULL && deps != NULL) {
		SHOW("id", "%lld", (long long)j->id);
		SHOW("task", "%s", cmd_task_cell(j, buf, sizeof(buf)));
		SHOW("state", "%s%s", jobq_state_name(j->state) != NULL ?
		    jobq_state_name(j->state) : "?", j->held ?
		    " (held: not started until released)" : "");
		SHOW("name", "%s", j->name != NULL ? j->name : "-");
		SHOW("schedule", "%s", j->schedule != NULL ? j->schedule : "-");
		SHOW("queue", "%s", j->queue != NULL ? j->queue : "-");
		SHOW("priority", "%d", j->priority);
		SHOW("command", "%s", command);
		SHOW("cwd", "%s", j->cwd != NULL ? j->cwd : "-");
		cmd_show_owner(j);
		cmd_show_sched(j, labels, deps, now);
		cmd_show_limits(j);
		SHOW("slots", "%d", j->slots > 0 ? j->slots : 1);
		SHOW("resources", "%s", j->res != NULL ? j->res : "-");
		SHOW("assigned", "%s", j->res_given != NULL ?
		    j->res_given : "-");
		cmd_show_executor(j);
		SHOW("on end", "%s", j->on_end != NULL ? j->on_end : "-");
		SHOW("output", "%s", j->merge_output ? "merged (stderr in "
		    "stdout)" : "stdout and stderr apart");
		cmd_show_run(j, now);
		cmd_show_usage(j);
		cmd_show_end(j);
		rc = 0;
	}
	free(command);
	free(labels);
	free(deps);
	return rc;
}

/* Prints an array's summary: its indices and its tasks by state. */
static void
cmd_show_array(const jobq_array_info *ai)
{
	char idx[96];
	int s;

	if (ai->count <= 1)
		snprintf(idx, sizeof(idx), "%lld", (long long)ai->first);
	else if (ai->step == 1)
		snprintf(idx, sizeof(idx), "%lld-%lld", (long long)ai->first,
		    (long long)(ai->first + ai->step * (ai->count - 1)));
	else
		snprintf(idx, sizeof(idx), "%lld-%lld:%lld", (long long)ai->first,
		    (long long)(ai->first + ai->step * (ai->count - 1)),
		    (long long)ai->step);
	SHOW("array", "%lld", (long long)ai->id);
	SHOW("indices", "%s", idx);
	SHOW("tasks", "%lld", (long long)ai->count);
	if (ai->throttle > 0)
		SHOW("throttle", "%d", ai->throttle);
	else
		SHOW("throttle", "-");
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		char key[32];

		snprintf(key, sizeof(key), "%s:", jobq_state_name((jobq_state)s));
		printf("%-12s %zu\n", key, ai->counts[s]);
	}
}
#undef SHOW

/* show's options (--history, --json, -h): -1 to go on, else the exit
 * status. */
static int
cmd_show_opts(const char *cmd, int argc, char **argv, int *json,
    int *history)
{
	static const struct option opts[] = {
		{ "history", no_argument, NULL, CMD_OPT_HISTORY },
		CMD_OPTS_COMMON,
	};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == CMD_OPT_HISTORY)
			*history = 1;
		else if ((rc = cmd_opt_common(cmd, c, argv, json)) >= 0)
			return rc;
	}
	return -1;
}

/* The history lines (after the job's fields), or the job object with
 * "history" added (json); an exit status. */
static int
cmd_show_history(jobq_client *cl, const char *cmd, const jobq_job *j,
    int json)
{
	jobq_history_entry *v = NULL;
	char tbuf[FMT_TIME_LEN], name[256];
	cJSON *o = NULL, *arr, *e;
	size_t n = 0, i;
	int err;

	if ((err = jobq_history(cl, j->id, &v, &n)) != 0)
		return cmd_fail(cmd, j->id, err);
	if (json) {
		if ((o = cmd_show_json(j)) == NULL ||
		    (arr = cJSON_AddArrayToObject(o, "history")) == NULL)
			goto nomem;
		for (i = 0; i < n; i++) {
			if ((e = cJSON_CreateObject()) == NULL ||
			    !cJSON_AddItemToArray(arr, e) ||
			    cJSON_AddNumberToObject(e, "at",
			    (double)v[i].at) == NULL ||
			    cJSON_AddNumberToObject(e, "uid", v[i].uid) ==
			    NULL ||
			    cJSON_AddStringToObject(e, "what", v[i].what) ==
			    NULL || (v[i].detail != NULL &&
			    cJSON_AddStringToObject(e, "detail",
			    v[i].detail) == NULL))
				goto nomem;
		}
		jobq_history_free(v, n);
		return cmd_print_json(cmd, o);
	}
	if (cmd_show_job(j) != 0)
		goto nomem;
	printf("history:\n");
	for (i = 0; i < n; i++) {
		if (cmd_show_name(0, v[i].uid, NULL, name,
		    sizeof(name))[0] == '\0')
			snprintf(name, sizeof(name), "uid %lu",
			    (unsigned long)v[i].uid);
		printf("  %s  %-10s %s%s%s\n", fmt_time(v[i].at, 1, tbuf,
		    sizeof(tbuf)), name, v[i].what, v[i].detail != NULL ?
		    "  " : "", v[i].detail != NULL ? v[i].detail : "");
	}
	jobq_history_free(v, n);
	return 0;
nomem:
	cJSON_Delete(o);
	jobq_history_free(v, n);
	return cmd_nomem(cmd);
}

int
cmd_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "show";
	int json = ctx->json, rc, err, history = 0;
	char what[FMT_REF_LEN + 8];
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	jobq_array_info ai;
	struct fmt_ref ref;
	int64_t id;

	if ((rc = cmd_show_opts(cmd, argc, argv, &json, &history)) >= 0)
		return rc;
	if ((rc = cmd_parse_one_ref(cmd, argc, argv, &ref)) != 0 ||
	    (rc = cmd_connect_ref(ctx, cmd, &ref, &cl, &id, &job)) != 0)
		return rc;
	err = job != NULL ? 0 : jobq_get(cl, id, &job);
	if (err == JOBQ_EISARRAY) {
		memset(&ai, 0, sizeof(ai));
		err = jobq_array_get(cl, id, &ai);
		if (err != 0) {
			snprintf(what, sizeof(what), "array %lld", (long long)id);
			rc = cmd_fail_what(cmd, what, err);
		} else if (json) {
			rc = cmd_print_json(cmd, cmd_array_json(&ai));
		} else {
			cmd_show_array(&ai);
			rc = 0;
		}
		cmd_close(cl);
		return rc;
	}
	if (err != 0) {
		rc = cmd_fail_what(cmd, cmd_ref_what(&ref, what, sizeof(what)), err);
		cmd_close(cl);
		return rc;
	}
	if (history) {
		rc = cmd_show_history(cl, cmd, job, json);
		cmd_close(cl);
		jobq_job_free(job);
		return rc;
	}
	cmd_close(cl);
	if (json)
		rc = cmd_print_json(cmd, cmd_show_json(job));
	else
		rc = cmd_show_job(job) == 0 ? 0 : cmd_nomem(cmd);
	jobq_job_free(job);
	return rc;
}
