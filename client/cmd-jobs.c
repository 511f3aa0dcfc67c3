/*
 * cmd-jobs.c - the commands that act on jobs named by REF (ID, A.I):
 * wait, cancel, priority and retry; and purge, which removes ended jobs
 * (logs: cmd-logs.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"


/* For commands that need one job, not a whole array: the message for a
 * plain id that names an array.  Returns the usage exit status. */
static int
cmd_is_array_error(const char *cmd, int64_t id)
{
	return cmd_usage_error(cmd, "%lld is an array; name a task as "
	    "%lld.INDEX", (long long)id, (long long)id);
}

/*
 * The start of the commands that take REF operands and a --json array:
 * parses the REFs (*refs, malloc'd), makes *arr when json (else NULL) and
 * connects.  0, or the exit status after reporting (nothing to free).
 */
static int
cmd_refs_connect(const struct cmd_ctx *ctx, const char *cmd, int argc,
    char **argv, int json, struct fmt_ref **refs, size_t *n, cJSON **arr,
    jobq_client **cl)
{
	int rc;

	*arr = NULL;
	if ((rc = cmd_parse_refs(cmd, argc, argv, refs, n)) != 0)
		return rc;
	if (json && (*arr = cJSON_CreateArray()) == NULL) {
		free(*refs);
		return cmd_nomem(cmd);
	}
	if ((rc = cmd_connect(ctx, cmd, cl)) != 0) {
		cJSON_Delete(*arr);
		free(*refs);
		return rc;
	}
	return 0;
}

/* Status of a request error for a multi-job command: the worst so far. */
static int
cmd_worse(int rc, int status)
{
	return status > rc ? status : rc;
}

/* What `wait` has seen so far. */
struct cmd_wait_state {
	int have_timeout;
	int64_t deadline;          /* monotonic ms, when have_timeout */
	int errst;                 /* the worst request error's status */
	int all_ok;
	int arrays;                /* arrays among the REFs */
	int timed_out;
	jobq_job *last;            /* the last job waited for */
	cJSON *arr;                /* --json: what was waited for */
};

/* Counts what one REF ended as (a job, or when job is NULL the array ai),
 * adding it to the --json array. */
static void
cmd_wait_done(const char *cmd, struct cmd_wait_state *w, jobq_job *job,
    const jobq_array_info *ai)
{
	cJSON *item = NULL;

	if (job == NULL) {
		w->arrays++;
		if (!cmd_array_ok(ai))
			w->all_ok = 0;
		if (w->arr != NULL)
			item = cmd_array_json(ai);
	} else {
		if (job->state != JOBQ_STATE_SUCCEEDED)
			w->all_ok = 0;
		if (w->arr != NULL)
			item = proto_job_to_json(job);
		jobq_job_free(w->last);
		w->last = job;
	}
	if (w->arr != NULL && cmd_json_append(w->arr, item) != 0) {
		cJSON_Delete(w->arr);
		w->arr = NULL;
		w->errst = cmd_worse(w->errst, cmd_nomem(cmd));
	}
}

/* Waits for one REF (a job, or a whole array when a plain id names one).
 * Returns 1 when `wait` must stop there (timed out, or the connection is
 * gone), else 0. */
static int
cmd_wait_one(jobq_client *cl, const char *cmd, const struct fmt_ref *ref,
    struct cmd_wait_state *w)
{
	char what[FMT_REF_LEN + 8];
	jobq_job *job = NULL;
	jobq_array_info ai;
	int64_t id;
	int rc, err;

	if ((rc = cmd_ref_job(cl, cmd, ref, &id, NULL)) != 0) {
		w->errst = cmd_worse(w->errst, rc);
		w->all_ok = 0;
		return 0;
	}
	cmd_ref_what(ref, what, sizeof(what));
	err = cmd_wait_until(cl, id, 0, w->have_timeout, w->deadline, &job,
	    NULL);
	if (err == JOBQ_EISARRAY && !ref->has_index) {
		snprintf(what, sizeof(what), "array %lld", (long long)id);
		memset(&ai, 0, sizeof(ai));
		err = cmd_wait_until(cl, id, 1, w->have_timeout, w->deadline,
		    NULL, &ai);
	}
	if (err == JOBQ_ETIMEDOUT) {
		(void)cmd_report(cmd, what, err, "timed out waiting for it to "
		    "end");
		w->timed_out = 1;
		return 1;
	}
	if (err != 0) {
		w->errst = cmd_worse(w->errst, cmd_fail_what(cmd, what, err));
		w->all_ok = 0;
		return err == JOBQ_EIO || err == JOBQ_ECONNECT ||
		    err == JOBQ_ESHUTDOWN;
	}
	cmd_wait_done(cmd, w, job, &ai);
	return 0;
}

/* On a terminal, a progress line over the REFs' jobs (a task's id found
 * here; one that cannot be found is left to the wait to report). */
static void
cmd_wait_progress(jobq_client *cl, const struct fmt_ref *refs, size_t n)
{
	jobq_job *task = NULL;
	int64_t *ids;
	size_t i, k = 0;

	if (!isatty(STDERR_FILENO) || (ids = calloc(n, sizeof(*ids))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (!refs[i].has_index)
			ids[k++] = refs[i].id;
		else if (jobq_get_task(cl, refs[i].id, refs[i].index,
		    &task) == 0) {
			ids[k++] = task->id;
			jobq_job_free(task);
			task = NULL;
		}
	}
	cmd_progress_start(ids, k);
	free(ids);
}

/* The exit status of `wait` over n REFs. */
static int
cmd_wait_status(const struct cmd_wait_state *w, size_t n)
{
	if (w->timed_out)
		return FMT_EXIT_TIMEOUT;
	if (w->errst != 0)
		return w->errst;
	if (n == 1 && w->arrays == 0) {
		cmd_job_ended_note("wait", w->last);
		return fmt_job_status(w->last);
	}
	return w->all_ok ? 0 : FMT_EXIT_FAIL;
}

int
cmd_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "wait";
	struct cmd_wait_state w;
	int json = ctx->json, c, rc, jrc;
	int64_t timeout = 0, now;
	jobq_client *cl = NULL;
	struct fmt_ref *refs;
	size_t n, i;

	memset(&w, 0, sizeof(w));
	w.all_ok = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == CMD_OPT_TIMEOUT) {
			if ((rc = cmd_opt_duration(cmd, "--timeout", optarg, 0,
			    &timeout)) != 0)
				return rc;
			w.have_timeout = 1;
		} else if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
			return rc;
	}
	if ((rc = cmd_refs_connect(ctx, cmd, argc, argv, json, &refs, &n,
	    &w.arr, &cl)) != 0)
		return rc;
	if (w.have_timeout) {
		now = util_mono_ms();
		w.deadline = timeout > INT64_MAX - now ? INT64_MAX :
		    now + timeout;
	}
	cmd_wait_progress(cl, refs, n);
	for (i = 0; i < n; i++) {
		if (cmd_wait_one(cl, cmd, &refs[i], &w))
			break;
	}
	cmd_progress_end();
	cmd_close(cl);
	rc = cmd_wait_status(&w, n);
	if (json && w.arr != NULL &&
	    (jrc = cmd_print_json(cmd, w.arr)) != 0 && rc == 0)
		rc = jrc;
	jobq_job_free(w.last);
	free(refs);
	return rc;
}

/* Applies action a to one REF (a job, or a whole array when a plain id
 * names one), adding the job or array it left to *arr (--json).  Returns 1
 * when the command must stop there (the connection is gone), else 0;
 * *errst gets the worst status. */
static int
cmd_ref_apply(jobq_client *cl, const char *cmd, const struct fmt_ref *ref,
    const struct cmd_ref_action *a, cJSON **arr, int *errst)
{
	char r[FMT_REF_LEN], what[FMT_REF_LEN + 8];
	jobq_job *job = NULL;
	jobq_array_info ai;
	cJSON *item = NULL;
	int64_t id;
	int rc, err;

	fmt_ref(ref, r, sizeof(r));
	if ((rc = cmd_ref_job(cl, cmd, ref, &id, NULL)) != 0) {
		*errst = cmd_worse(*errst, rc);
		return 0;
	}
	err = a->job(cl, id, *arr != NULL ? &job : NULL);
	if (err == JOBQ_EISARRAY && !ref->has_index) {
		memset(&ai, 0, sizeof(ai));
		err = a->array(cl, id, &ai);
		if (err == 0 && *arr != NULL)
			item = cmd_array_json(&ai);
	} else if (err == 0 && *arr != NULL && job != NULL)
		item = proto_job_to_json(job);
	jobq_job_free(job);
	if (err != 0) {
		/* "jobq: cancel: job REF: reason" */
		snprintf(what, sizeof(what), "%s %s", ref->has_index ? "task" :
		    "job", r);
		*errst = cmd_worse(*errst, cmd_report_to(cmd, what, err,
		    err == JOBQ_ESTATE ? a->estate : NULL, *arr));
		return err == JOBQ_EIO || err == JOBQ_ESHUTDOWN;
	} else if (*arr != NULL && cmd_json_append(*arr, item) != 0) {
		cJSON_Delete(*arr);
		*arr = NULL;
		*errst = cmd_worse(*errst, cmd_nomem(cmd));
	}
	return 0;
}

int
cmd_ref_apply_all(struct cmd_ctx *ctx, const char *cmd,
    const struct cmd_ref_action *a, int json, int argc, char **argv)
{
	int rc, jrc, errst = 0;
	jobq_client *cl = NULL;
	struct fmt_ref *refs;
	cJSON *arr;
	size_t n, i;

	if ((rc = cmd_refs_connect(ctx, cmd, argc, argv, json, &refs, &n, &arr,
	    &cl)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (cmd_ref_apply(cl, cmd, &refs[i], a, &arr, &errst))
			break;
	}
	cmd_close(cl);
	free(refs);
	rc = errst;
	if (json && arr != NULL && (jrc = cmd_print_json(cmd, arr)) != 0 &&
	    rc == 0)
		rc = jrc;
	return rc;
}

int
cmd_cancel(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct cmd_ref_action cancel = {
		jobq_cancel, jobq_array_cancel, "it has already ended"
	};
	int json = ctx->json, rc;

	if ((rc = cmd_json_opts("cancel", argc, argv, &json)) >= 0)
		return rc;
	return cmd_ref_apply_all(ctx, "cancel", &cancel, json, argc, argv);
}

/* Whether s is a negative decimal integer such as "-5". */
static int
cmd_is_negative(const char *s)
{
	return s[0] == '-' && s[1] != '\0' && strspn(s + 1, "0123456789") ==
	    strlen(s + 1);
}

/*
 * getopt_long takes "-5" for an option.  For `priority`, whose N may be
 * negative, such words are handed to getopt as a pointer past the '-'
 * ("5"), and cmd_unhide_negative gives back the whole word for an operand.
 * Returns a malloc'd copy of argv, or NULL.
 */
static char **
cmd_hide_negatives(int argc, char **argv)
{
	char **av = calloc((size_t)argc + 1, sizeof(*av));
	int i;

	if (av == NULL)
		return NULL;
	for (i = 0; i < argc; i++)
		av[i] = i > 0 && cmd_is_negative(argv[i]) ? argv[i] + 1 : argv[i];
	return av;
}

static const char *
cmd_unhide_negative(int argc, char **argv, const char *p)
{
	int i;

	for (i = 1; i < argc; i++)
		if (p == argv[i] + 1 && cmd_is_negative(argv[i]))
			return argv[i];
	return p;
}

/*
 * The end of priority and retry: err is what jobqd answered for job id
 * (named as ref), job the changed job (with --json).  Reports or prints,
 * closes cl, frees job; returns the exit status.
 */
static int
cmd_changed(jobq_client *cl, const char *cmd, const struct fmt_ref *ref,
    int64_t id, int err, int json, jobq_job *job)
{
	int rc;

	if (err == JOBQ_EISARRAY && !ref->has_index)
		rc = cmd_is_array_error(cmd, id);
	else if (err != 0)
		rc = cmd_fail(cmd, id, err);
	else
		rc = json ? cmd_print_json(cmd, proto_job_to_json(job)) : 0;
	cmd_close(cl);
	jobq_job_free(job);
	return rc;
}

int
cmd_priority(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "priority", *prio_arg;
	int json = ctx->json, rc, err;
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	struct fmt_ref ref;
	int64_t id, prio;
	char **av;

	if ((av = cmd_hide_negatives(argc, argv)) == NULL)
		return cmd_nomem(cmd);
	if ((rc = cmd_json_opts(cmd, argc, av, &json)) >= 0) {
		free(av);
		return rc;
	}
	if (argc - optind < 2) {
		free(av);
		return cmd_usage_error(cmd, "expected a job ID and a priority");
	}
	if (argc - optind > 2) {
		rc = cmd_usage_error(cmd, "unexpected argument '%s'",
		    cmd_unhide_negative(argc, argv, av[optind + 2]));
		free(av);
		return rc;
	}
	if (fmt_parse_ref(cmd_unhide_negative(argc, argv, av[optind]),
	    &ref) != 0) {
		rc = cmd_usage_error(cmd, "invalid job reference '%s' (expected "
		    "a job ID, or ARRAY.INDEX for a task of an array)",
		    cmd_unhide_negative(argc, argv, av[optind]));
		free(av);
		return rc;
	}
	prio_arg = cmd_unhide_negative(argc, argv, av[optind + 1]);
	free(av);
	if (fmt_parse_int(prio_arg, -PROTO_MAX_PRIORITY, PROTO_MAX_PRIORITY,
	    &prio) != 0)
		return cmd_usage_error(cmd, "invalid priority '%s' (expected an "
		    "integer from %d to %d)", prio_arg, -PROTO_MAX_PRIORITY,
		    PROTO_MAX_PRIORITY);
	if ((rc = cmd_connect_ref(ctx, cmd, &ref, &cl, &id, NULL)) != 0)
		return rc;
	err = jobq_set_priority(cl, id, (int)prio, json ? &job : NULL);
	return cmd_changed(cl, cmd, &ref, id, err, json, job);
}

int
cmd_retry(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "retry";
	int json = ctx->json, rc, err;
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	struct fmt_ref ref;
	int64_t id;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_parse_one_ref(cmd, argc, argv, &ref)) != 0 ||
	    (rc = cmd_connect_ref(ctx, cmd, &ref, &cl, &id, NULL)) != 0)
		return rc;
	err = jobq_retry(cl, id, json ? &job : NULL);
	return cmd_changed(cl, cmd, &ref, id, err, json, job);
}

int
cmd_purge(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, CMD_OPT_OLDER_THAN },
		{ "state", required_argument, NULL, CMD_OPT_STATE },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "purge";
	int json = ctx->json, c, rc, err, state = -1;
	jobq_client *cl = NULL;
	int64_t older = 0;
	size_t n = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_OLDER_THAN:
			if ((rc = cmd_opt_duration(cmd, "--older-than", optarg, 0,
			    &older)) != 0)
				return rc;
			break;
		case CMD_OPT_STATE:
			state = jobq_state_parse(optarg);
			if (state < 0 || !jobq_state_is_terminal((jobq_state)state))
				return cmd_usage_error(cmd, "invalid state '%s' "
				    "(expected succeeded, failed, canceled, "
				    "interrupted or timed_out)", optarg);
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				return rc;
			break;
		}
	}
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0 ||
	    (rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	err = jobq_purge(cl, older, state, &n);
	if ((rc = cmd_finish(cl, cmd, err)) != 0)
		return rc;
	if (json)
		printf("{\"purged\":%zu}\n", n);
	else
		printf("purged %zu jobs\n", n);
	return 0;
}
