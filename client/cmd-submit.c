/*
 * cmd-submit.c - `jobq submit`: the job's command, environment and
 * directory, its scheduling options (priority, --delay/--at, --after,
 * --array, retries, timeout, kill grace, --unique, --label) and --wait.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

extern char **environ;

/* Limits of the submit request (jobq-protocol(7)), checked here too so
 * that a bad command line is a usage error. */
#define CMD_MAX_TIMEOUT_MS   (3650LL * 86400000)   /* 10 years */
#define CMD_MAX_GRACE_MS     86400000LL            /* 1 day */

/* Builds the environment of a submitted job; malloc'd array (entries point
 * into environ or sets), or NULL when out of memory. */
static const char **
cmd_build_env(int clean, char **sets, size_t nsets)
{
	size_t nenv = 0, n = 0, i, j;
	const char **env;

	if (!clean)
		while (environ != NULL && environ[nenv] != NULL)
			nenv++;
	env = calloc(nenv + nsets + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < nenv; i++) {
		const char *eq = strchr(environ[i], '=');

		if (eq != NULL && eq != environ[i])
			env[n++] = environ[i];
	}
	for (i = 0; i < nsets; i++) {
		size_t klen = (size_t)(strchr(sets[i], '=') - sets[i]) + 1;
		int found = 0;

		for (j = 0; j < n; j++) {
			if (strncmp(env[j], sets[i], klen) == 0) {
				env[j] = sets[i];
				found = 1;
			}
		}
		if (!found)
			env[n++] = sets[i];
	}
	env[n] = NULL;
	return env;
}

/* The scheduling options of `submit`, as given on the command line. */
struct cmd_sched {
	int64_t priority;
	int64_t delay_ms;          /* -1: no --delay */
	const char *at;            /* NULL: no --at */
	int64_t at_ms;
	int64_t timeout_ms, kill_grace_ms, retry_delay_ms;  /* -1: not given */
	const char *unique;
	char **labels;             /* NULL-terminated */
	size_t nlabels;
	struct fmt_after *after;   /* JOBQ_MAX_DEPS slots */
	size_t nafter;
	struct fmt_array array;
	int is_array;
};

/* Handles one scheduling option of `submit`; 0 or the usage status. */
static int
cmd_submit_sched_opt(const char *cmd, int c, const char *arg,
    struct cmd_sched *s)
{
	int r;

	switch (c) {
	case CMD_OPT_PRIORITY:
		if (fmt_parse_int(arg, -CMD_MAX_PRIORITY, CMD_MAX_PRIORITY,
		    &s->priority) != 0)
			return cmd_usage_error(cmd, "invalid --priority '%s' "
			    "(expected an integer from %d to %d)", arg,
			    -CMD_MAX_PRIORITY, CMD_MAX_PRIORITY);
		return 0;
	case CMD_OPT_DELAY:
		return cmd_opt_duration(cmd, "--delay", arg, 0, &s->delay_ms);
	case CMD_OPT_AT:
		if (fmt_parse_time(arg, util_now_ms(), &s->at_ms) != 0)
			return cmd_usage_error(cmd, "invalid --at '%s' (expected "
			    "YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], "
			    "optionally with Z or +HH:MM, or HH:MM[:SS])", arg);
		s->at = arg;
		return 0;
	case CMD_OPT_AFTER:
		r = fmt_parse_after(arg, s->after, JOBQ_MAX_DEPS, &s->nafter);
		if (r == -2)
			return cmd_usage_error(cmd, "too many --after jobs (at "
			    "most %d)", JOBQ_MAX_DEPS);
		if (r != 0)
			return cmd_usage_error(cmd, "invalid --after '%s' "
			    "(expected [ok:|notok:|any:]REF[,REF...], REF a job "
			    "ID or ARRAY.INDEX)", arg);
		return 0;
	case CMD_OPT_ARRAY:
		if (fmt_parse_array(arg, &s->array) != 0)
			return cmd_usage_error(cmd, "invalid --array '%s' "
			    "(expected FIRST-LAST[:STEP][%%K] or N, with at most "
			    "%d tasks)", arg, JOBQ_MAX_ARRAY);
		s->is_array = 1;
		return 0;
	case CMD_OPT_RETRY_DELAY:
		return cmd_opt_duration(cmd, "--retry-delay", arg,
		    CMD_MAX_GRACE_MS, &s->retry_delay_ms);
	case CMD_OPT_TIMEOUT:
		return cmd_opt_duration(cmd, "--timeout", arg, CMD_MAX_TIMEOUT_MS,
		    &s->timeout_ms);
	case CMD_OPT_KILL_GRACE:
		return cmd_opt_duration(cmd, "--kill-grace", arg,
		    CMD_MAX_GRACE_MS, &s->kill_grace_ms);
	case CMD_OPT_UNIQUE:
		if (*arg == '\0' || strlen(arg) > JOBQ_MAX_NAME)
			return cmd_usage_error(cmd, "--unique must be 1 to %d "
			    "bytes long", JOBQ_MAX_NAME);
		s->unique = arg;
		return 0;
	case CMD_OPT_LABEL:
		if ((r = cmd_check_label(cmd, arg)) != 0)
			return r;
		if (s->nlabels >= JOBQ_MAX_LABELS)
			return cmd_usage_error(cmd, "too many --label (at most "
			    "%d)", JOBQ_MAX_LABELS);
		s->labels[s->nlabels++] = (char *)arg;
		return 0;
	default:
		return cmd_usage_error(cmd, "internal error: option %d", c);
	}
}

/* Fills the scheduling part of so; resolves --after A.I references with
 * jobq_get_task.  *deps gets a malloc'd array.  0 or an exit status. */
static int
cmd_submit_sched(jobq_client *cl, const char *cmd, const struct cmd_sched *s,
    jobq_submit_opts *so, jobq_dep **deps)
{
	size_t i;
	int rc;

	so->priority = (int)s->priority;
	if (s->delay_ms > 0) {
		int64_t now = util_now_ms();

		so->not_before = s->delay_ms > INT64_MAX - now ? INT64_MAX :
		    now + s->delay_ms;
	} else if (s->at != NULL) {
		/* In the past (even before 1970): as soon as possible. */
		so->not_before = s->at_ms > 0 ? s->at_ms : 0;
	}
	if (s->timeout_ms > 0)
		so->timeout_ms = s->timeout_ms;
	/* 0 on the wire means "the default": ask for 1 ms instead. */
	if (s->kill_grace_ms >= 0)
		so->kill_grace_ms = s->kill_grace_ms > 0 ? s->kill_grace_ms : 1;
	if (s->retry_delay_ms >= 0)
		so->retry_delay_ms = s->retry_delay_ms > 0 ? s->retry_delay_ms : 1;
	so->unique_key = s->unique;
	so->labels = s->nlabels > 0 ? (const char *const *)s->labels : NULL;
	if (s->is_array) {
		so->array_first = s->array.first;
		so->array_step = s->array.step;
		so->array_count = s->array.count;
		so->array_throttle = s->array.throttle;
	}
	*deps = NULL;
	if (s->nafter == 0)
		return 0;
	*deps = calloc(s->nafter, sizeof(**deps));
	if (*deps == NULL)
		return cmd_nomem(cmd);
	for (i = 0; i < s->nafter; i++) {
		if ((rc = cmd_ref_job(cl, cmd, &s->after[i].ref, &(*deps)[i].id,
		    NULL)) != 0)
			return rc;
		(*deps)[i].mode = s->after[i].mode;
	}
	so->deps = *deps;
	so->ndeps = s->nafter;
	return 0;
}

/* `submit --wait` on an array: waits for every task; exit 0 iff all
 * succeeded. */
static int
cmd_submit_wait_array(jobq_client *cl, const char *cmd, int64_t id, int json)
{
	jobq_array_info ai;
	char what[40];
	int err, rc;

	memset(&ai, 0, sizeof(ai));
	err = cmd_wait_until(cl, id, 1, 0, 0, NULL, &ai);
	if (err != 0) {
		snprintf(what, sizeof(what), "array %lld", (long long)id);
		return cmd_fail_what(cmd, what, err);
	}
	rc = cmd_array_ok(&ai) ? 0 : FMT_EXIT_FAIL;
	if (json) {
		int jrc = cmd_print_json(cmd, cmd_array_json(&ai));

		if (jrc != 0)
			rc = jrc;
	}
	return rc;
}

int
cmd_submit(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, CMD_OPT_NAME },
		{ "queue", required_argument, NULL, CMD_OPT_QUEUE },
		{ "cwd", required_argument, NULL, CMD_OPT_CWD },
		{ "env", required_argument, NULL, CMD_OPT_ENV },
		{ "clean-env", no_argument, NULL, CMD_OPT_CLEAN_ENV },
		{ "retries", required_argument, NULL, CMD_OPT_RETRIES },
		{ "priority", required_argument, NULL, CMD_OPT_PRIORITY },
		{ "delay", required_argument, NULL, CMD_OPT_DELAY },
		{ "at", required_argument, NULL, CMD_OPT_AT },
		{ "after", required_argument, NULL, CMD_OPT_AFTER },
		{ "array", required_argument, NULL, CMD_OPT_ARRAY },
		{ "retry-delay", required_argument, NULL, CMD_OPT_RETRY_DELAY },
		{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
		{ "kill-grace", required_argument, NULL, CMD_OPT_KILL_GRACE },
		{ "unique", required_argument, NULL, CMD_OPT_UNIQUE },
		{ "label", required_argument, NULL, CMD_OPT_LABEL },
		{ "wait", no_argument, NULL, CMD_OPT_WAIT },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "submit", *name = NULL, *queue = NULL, *cwd_opt = NULL;
	char **sets = NULL, *cwd = NULL;
	const char **env = NULL;
	size_t nsets = 0;
	long retries = 0;
	int clean = 0, wait = 0, json = ctx->json, c, rc, err, existing = 0;
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	jobq_dep *deps = NULL;
	jobq_submit_opts so;
	struct cmd_sched sched;
	struct stat st;
	int64_t id = 0;

	memset(&sched, 0, sizeof(sched));
	sched.delay_ms = sched.timeout_ms = sched.kill_grace_ms = -1;
	sched.retry_delay_ms = -1;
	sets = calloc((size_t)argc, sizeof(*sets));
	sched.labels = calloc(JOBQ_MAX_LABELS + 1, sizeof(*sched.labels));
	sched.after = calloc(JOBQ_MAX_DEPS, sizeof(*sched.after));
	if (sets == NULL || sched.labels == NULL || sched.after == NULL) {
		rc = cmd_nomem(cmd);
		goto out;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_NAME:
			if ((rc = cmd_check_name(cmd, optarg)) != 0)
				goto out;
			name = optarg;
			break;
		case CMD_OPT_QUEUE:
			if ((rc = cmd_check_queue(cmd, optarg)) != 0)
				goto out;
			queue = optarg;
			break;
		case CMD_OPT_CWD:
			cwd_opt = optarg;
			break;
		case CMD_OPT_ENV:
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				rc = cmd_usage_error(cmd, "invalid --env '%s' "
				    "(expected K=V with a non-empty K)", optarg);
				goto out;
			}
			sets[nsets++] = optarg;
			break;
		case CMD_OPT_CLEAN_ENV:
			clean = 1;
			break;
		case CMD_OPT_RETRIES:
			if (fmt_parse_count(optarg, 1000, &retries) != 0) {
				rc = cmd_usage_error(cmd, "invalid --retries '%s' "
				    "(expected an integer from 0 to 1000)", optarg);
				goto out;
			}
			break;
		case CMD_OPT_PRIORITY:
		case CMD_OPT_DELAY:
		case CMD_OPT_AT:
		case CMD_OPT_AFTER:
		case CMD_OPT_ARRAY:
		case CMD_OPT_RETRY_DELAY:
		case CMD_OPT_TIMEOUT:
		case CMD_OPT_KILL_GRACE:
		case CMD_OPT_UNIQUE:
		case CMD_OPT_LABEL:
			if ((rc = cmd_submit_sched_opt(cmd, c, optarg,
			    &sched)) != 0)
				goto out;
			break;
		case CMD_OPT_WAIT:
			wait = 1;
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				goto out;
			break;
		}
	}
	if (optind >= argc) {
		rc = cmd_usage_error(cmd, "missing the command to run");
		goto out;
	}
	if (argv[optind][0] == '\0') {
		rc = cmd_usage_error(cmd, "the command to run must not be empty");
		goto out;
	}
	if (sched.delay_ms >= 0 && sched.at != NULL) {
		rc = cmd_usage_error(cmd, "--delay and --at exclude each other");
		goto out;
	}
	if (sched.is_array && sched.unique != NULL) {
		rc = cmd_usage_error(cmd, "--unique cannot be used with --array");
		goto out;
	}
	if (cwd_opt != NULL) {
		if (*cwd_opt == '\0') {
			rc = cmd_usage_error(cmd, "--cwd must not be empty");
			goto out;
		}
		cwd = realpath(cwd_opt, NULL);
		if (cwd == NULL) {
			rc = cmd_usage_error(cmd, "--cwd %s: %s", cwd_opt,
			    strerror(errno));
			goto out;
		}
		if (stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = cmd_usage_error(cmd, "--cwd %s: not a directory",
			    cwd_opt);
			goto out;
		}
	} else {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL) {
			fprintf(stderr, "jobq: %s: cannot determine the current "
			    "directory: %s\n", cmd, strerror(errno));
			rc = FMT_EXIT_FAIL;
			goto out;
		}
	}
	env = cmd_build_env(clean, sets, nsets);
	if (env == NULL) {
		rc = cmd_nomem(cmd);
		goto out;
	}
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	memset(&so, 0, sizeof(so));
	so.argv = (const char *const *)(argv + optind);
	so.env = env;
	so.clean_env = clean;
	so.cwd = cwd;
	so.name = name;
	so.queue = queue;
	so.max_retries = (int)retries;
	if ((rc = cmd_submit_sched(cl, cmd, &sched, &so, &deps)) != 0)
		goto out;
	err = jobq_submit(cl, &so, &id);
	if (err < 0) {
		rc = cmd_fail(cmd, 0, err);
		goto out;
	}
	if (err == 1) {
		const char *st_name = "queued or running";

		existing = 1;
		if (jobq_get(cl, id, &job) == 0 &&
		    (job->state == JOBQ_STATE_QUEUED ||
		    job->state == JOBQ_STATE_RUNNING))
			st_name = jobq_state_name(job->state);
		jobq_job_free(job);
		job = NULL;
		fprintf(stderr, "jobq: job %lld with key %s is already %s\n",
		    (long long)id, sched.unique, st_name);
	}
	if (!json || !wait) {
		if (json && existing)
			printf("{\"id\":%lld,\"existing\":true}\n", (long long)id);
		else if (json)
			printf("{\"id\":%lld}\n", (long long)id);
		else
			printf("%lld\n", (long long)id);
	}
	if (!wait) {
		rc = 0;
		goto out;
	}
	if (cmd_flush(cmd) < 0) {
		rc = FMT_EXIT_FAIL;
		goto out;
	}
	if (sched.is_array) {
		rc = cmd_submit_wait_array(cl, cmd, id, json);
		goto out;
	}
	err = jobq_wait(cl, id, -1, &job);
	if (err != 0) {
		rc = cmd_fail(cmd, id, err);
		goto out;
	}
	rc = fmt_job_status(job);
	if (json) {
		int jrc = cmd_print_json(cmd, proto_job_to_json(job));

		if (jrc != 0)
			rc = jrc;
	}
out:
	jobq_job_free(job);
	cmd_close(cl);
	free(deps);
	free(env);
	free(cwd);
	free(sched.after);
	free(sched.labels);
	free(sets);
	return rc;
}
