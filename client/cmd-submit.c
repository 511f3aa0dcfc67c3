/*
 * cmd-submit.c - `jobq submit`: the job's command, environment and
 * directory, its output limit, its scheduling options (priority,
 * --delay/--at, --after, --array, retries, timeout, kill grace, --unique,
 * --label), its resource limits (--mem, --cpu-time, --nofile, --nproc,
 * --core, --nice, --cpus), its slots and named resources (--slots, --res)
 * and --wait; --batch goes to cmd-batch.c.
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
#include "cfg.h"
#include "cmd-int.h"

extern char **environ;

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

/* Option parsers shared by submit and edit: 0 or the usage exit status. */
int
cmd_opt_priority(const char *cmd, const char *arg, int64_t *v)
{
	if (fmt_parse_int(arg, -PROTO_MAX_PRIORITY, PROTO_MAX_PRIORITY, v) != 0)
		return cmd_usage_error(cmd, "invalid --priority '%s' (expected "
		    "an integer from %d to %d)", arg, -PROTO_MAX_PRIORITY,
		    PROTO_MAX_PRIORITY);
	return 0;
}

int
cmd_opt_at(const char *cmd, const char *arg, int64_t *ms)
{
	if (fmt_parse_time(arg, util_now_ms(), ms) != 0)
		return cmd_usage_error(cmd, "invalid --at '%s' (expected "
		    "YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], "
		    "optionally with Z or +HH:MM, or HH:MM[:SS])", arg);
	return 0;
}

int
cmd_opt_after(const char *cmd, const char *arg, struct fmt_after *after,
    size_t *n)
{
	int r = fmt_parse_after(arg, after, JOBQ_MAX_DEPS, n);

	if (r == -2)
		return cmd_usage_error(cmd, "too many --after jobs (at most %d)",
		    JOBQ_MAX_DEPS);
	if (r != 0)
		return cmd_usage_error(cmd, "invalid --after '%s' (expected "
		    "[ok:|notok:|any:]REF[,REF...], REF a job ID or "
		    "ARRAY.INDEX)", arg);
	return 0;
}

int
cmd_opt_slots(const char *cmd, const char *arg, int *slots)
{
	int64_t v;

	if (fmt_parse_int(arg, 1, JOBQ_MAX_SLOTS, &v) != 0)
		return cmd_usage_error(cmd, "invalid --slots '%s' (expected an "
		    "integer from 1 to %d: worker slots the job occupies)", arg,
		    JOBQ_MAX_SLOTS);
	*slots = (int)v;
	return 0;
}

int
cmd_opt_res(const char *cmd, const char *arg, const char *also)
{
	if (arg[0] == '\0' || strlen(arg) > JOBQ_MAX_RES ||
	    strchr(arg, '=') == NULL)
		return cmd_usage_error(cmd, "invalid --res '%s' (expected "
		    "NAME=COUNT[,NAME=COUNT...], such as gpu=2,license=1%s)",
		    arg, also);
	return 0;
}

int
cmd_opt_retries(const char *cmd, const char *arg, long *n)
{
	if (fmt_parse_count(arg, PROTO_MAX_RETRIES, n) != 0)
		return cmd_usage_error(cmd, "invalid --retries '%s' (expected "
		    "an integer from 0 to %d)", arg, PROTO_MAX_RETRIES);
	return 0;
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

/* Handles one scheduling option of `submit`; 0 or the usage status, or -1
 * if c is not a scheduling option. */
static int
cmd_submit_sched_opt(const char *cmd, int c, const char *arg,
    struct cmd_sched *s)
{
	int r;

	switch (c) {
	case CMD_OPT_PRIORITY:
		return cmd_opt_priority(cmd, arg, &s->priority);
	case CMD_OPT_DELAY:
		return cmd_opt_duration(cmd, "--delay", arg, 0, &s->delay_ms);
	case CMD_OPT_AT:
		s->at = arg;
		return cmd_opt_at(cmd, arg, &s->at_ms);
	case CMD_OPT_AFTER:
		return cmd_opt_after(cmd, arg, s->after, &s->nafter);
	case CMD_OPT_ARRAY:
		if (fmt_parse_array(arg, &s->array) != 0)
			return cmd_usage_error(cmd, "invalid --array '%s' "
			    "(expected FIRST-LAST[:STEP][%%K] or N, with at most "
			    "%d tasks)", arg, JOBQ_MAX_ARRAY);
		s->is_array = 1;
		return 0;
	case CMD_OPT_RETRY_DELAY:
		return cmd_opt_duration(cmd, "--retry-delay", arg,
		    PROTO_MAX_RETRY_DELAY_MS, &s->retry_delay_ms);
	case CMD_OPT_TIMEOUT:
		return cmd_opt_duration(cmd, "--timeout", arg, PROTO_MAX_TIMEOUT_MS,
		    &s->timeout_ms);
	case CMD_OPT_KILL_GRACE:
		return cmd_opt_duration(cmd, "--kill-grace", arg,
		    PROTO_MAX_GRACE_MS, &s->kill_grace_ms);
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
		return -1;
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
	cmd_progress_start(&id, 1);
	err = cmd_wait_until(cl, id, 1, 0, 0, NULL, &ai);
	cmd_progress_end();
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

/* What the command line of `submit` gives, apart from the scheduling. */
struct cmd_submit_args {
	const char *name, *queue, *cwd_opt;
	char **sets;               /* --env K=V, nsets of them */
	size_t nsets;
	long retries;
	int64_t output_limit;      /* 0: not given */
	const char *on_end;        /* --on-end CMD */
	int merge_output;          /* --merge-output */
	const char *user, *group;  /* --user, --group (root only) */
	jobq_limits limits;        /* --mem, --cpu-time, ... */
	int clean, wait, json;
	int hold;                  /* --hold */
	int slots;                 /* --slots N; 0: not given */
	const char *res;           /* --res NAME=N,...; NULL: none */
	struct cmd_sched sched;
	const char *batch;         /* --batch FILE */
	struct cmd_ctx *ctx;
	int nopts;                 /* options other than --batch, --json */
	const struct cmd_submit_extra *extra; /* schedule add's own */
};

/* A resource limit option (CMD_OPT_LIMIT_*) into l; 0 or the usage
 * status.  Sizes for --mem and --core, a duration for --cpu-time (rounded
 * up to whole seconds), a number of CPUs for --cpus (kept in milli-CPUs),
 * integers for the others. */
static int
cmd_submit_limit(const char *cmd, int c, const char *arg, jobq_limits *l)
{
	int i = c - CMD_OPT_LIMIT_MEM;
	const struct proto_limit *pl = &proto_limits[i];
	int64_t v;
	char lo[32], hi[32];

	switch (pl->bit) {
	case JOBQ_LIMIT_MEM:
	case JOBQ_LIMIT_CORE:
		if (util_parse_size(arg, &v) != 0 || v < pl->min || v > pl->max)
			return cmd_usage_error(cmd, "invalid %s '%s' (expected "
			    "a size of at least %lld bytes such as 512K, 64M or "
			    "1G)", pl->opt, arg, (long long)pl->min);
		break;
	case JOBQ_LIMIT_CPU:
		if (util_parse_duration_ms(arg, &v) != 0 || v < 1 ||
		    v > pl->max * 1000)
			return cmd_usage_error(cmd, "invalid %s '%s' (expected "
			    "a duration such as 90s, 5m, 2h or 1h30m, at most "
			    "10 years)", pl->opt, arg);
		v = (v + 999) / 1000;	/* whole seconds, rounded up */
		break;
	case JOBQ_LIMIT_CPUS:
		if (util_parse_cpus(arg, &v) != 0 || v < pl->min ||
		    v > pl->max)
			return cmd_usage_error(cmd, "invalid %s '%s' (expected "
			    "a number of CPUs from 0.001 to %lld with at most "
			    "3 decimals, such as 2, 1.5 or 0.25)", pl->opt, arg,
			    (long long)(pl->max / 1000));
		break;
	default:
		if (fmt_parse_int(arg, pl->min, pl->max, &v) != 0) {
			snprintf(lo, sizeof lo, "%lld", (long long)pl->min);
			snprintf(hi, sizeof hi, "%lld", (long long)pl->max);
			return cmd_usage_error(cmd, "invalid %s '%s' (expected "
			    "an integer from %s to %s)", pl->opt, arg, lo, hi);
		}
		break;
	}
	proto_limit_set(l, i, v);
	return 0;
}

/* Handles one option of `submit`: 0, the usage status, or -1 when c is
 * none of submit's own (then cmd_opt_common's). */
static int
cmd_submit_opt(const char *cmd, int c, const char *arg,
    struct cmd_submit_args *a)
{
	int rc;

	if (c != CMD_OPT_BATCH && c != CMD_OPT_JSON)
		a->nopts++;
	switch (c) {
	case CMD_OPT_BATCH:
		a->batch = arg;
		return 0;
	case CMD_OPT_NAME:
		a->name = arg;
		return cmd_check_name(cmd, arg);
	case CMD_OPT_QUEUE:
		a->queue = arg;
		return cmd_check_queue(cmd, arg);
	case CMD_OPT_CWD:
		a->cwd_opt = arg;
		return 0;
	case CMD_OPT_ENV:
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			return cmd_usage_error(cmd, "invalid --env '%s' "
			    "(expected K=V with a non-empty K)", arg);
		a->sets[a->nsets++] = (char *)arg;
		return 0;
	case CMD_OPT_CLEAN_ENV:
		a->clean = 1;
		return 0;
	case CMD_OPT_HOLD:
		a->hold = 1;
		return 0;
	case CMD_OPT_SLOTS:
		return cmd_opt_slots(cmd, arg, &a->slots);
	case CMD_OPT_RES:
		a->res = arg;
		return cmd_opt_res(cmd, arg, "");
	case CMD_OPT_RETRIES:
		return cmd_opt_retries(cmd, arg, &a->retries);
	case CMD_OPT_WAIT:
		a->wait = 1;
		return 0;
	case CMD_OPT_USER:
	case CMD_OPT_GROUP:
		if (arg[0] == '\0' || strlen(arg) > JOBQ_MAX_NAME)
			return cmd_usage_error(cmd, "invalid --%s '%s' "
			    "(expected a name or a number)", c == CMD_OPT_USER ?
			    "user" : "group", arg);
		if (c == CMD_OPT_USER)
			a->user = arg;
		else
			a->group = arg;
		return 0;
	case CMD_OPT_OUTPUT_LIMIT:
		if (util_parse_size(arg, &a->output_limit) != 0 ||
		    a->output_limit < 1 ||
		    a->output_limit > PROTO_MAX_OUTPUT_LIMIT)
			return cmd_usage_error(cmd, "invalid --output-limit '%s' "
			    "(expected a size of at least 1 byte such as 512K, "
			    "64M or 1G)", arg);
		return 0;
	case CMD_OPT_MERGE_OUTPUT:
		a->merge_output = 1;
		return 0;
	case CMD_OPT_ON_END:
		if (arg[0] == '\0' || strlen(arg) > JOBQ_MAX_HOOK)
			return cmd_usage_error(cmd, "invalid --on-end (expected "
			    "a shell command of 1 to %d bytes)", JOBQ_MAX_HOOK);
		a->on_end = arg;
		return 0;
	case CMD_OPT_LIMIT_MEM:
	case CMD_OPT_LIMIT_CPU:
	case CMD_OPT_LIMIT_NOFILE:
	case CMD_OPT_LIMIT_NPROC:
	case CMD_OPT_LIMIT_CORE:
	case CMD_OPT_LIMIT_NICE:
	case CMD_OPT_LIMIT_CPUS:
		return cmd_submit_limit(cmd, c, arg, &a->limits);
	default:
		if ((rc = cmd_submit_sched_opt(cmd, c, arg, &a->sched)) >= 0)
			return rc;
		return -1;
	}
}

/* The options a schedule's job template cannot have: 0 or the usage
 * status. */
static int
cmd_submit_template_check(const char *cmd, const struct cmd_submit_args *a)
{
	const char *opt = NULL;

	if (a->batch != NULL)
		opt = "--batch";
	else if (a->wait)
		opt = "--wait";
	else if (a->sched.is_array)
		opt = "--array";
	else if (a->sched.nafter > 0)
		opt = "--after";
	else if (a->sched.unique != NULL)
		opt = "--unique";
	else if (a->sched.delay_ms >= 0)
		opt = "--delay";
	else if (a->sched.at != NULL)
		opt = "--at";
	if (opt == NULL)
		return 0;
	return cmd_usage_error(cmd, "%s cannot be used for a schedule's job",
	    opt);
}


/* Parses the options and checks the command line; -1 (go on: the command
 * is argv[optind..]) or an exit status (0 after --help). */
static int
cmd_submit_args(const char *cmd, int argc, char **argv,
    struct cmd_submit_args *a)
{
	/* submit's options (CMD_OPTS_COMMON apart) */
	static const struct option cmd_submit_options[] = {
		{ "name", required_argument, NULL, CMD_OPT_NAME },
		{ "queue", required_argument, NULL, CMD_OPT_QUEUE },
		{ "cwd", required_argument, NULL, CMD_OPT_CWD },
		{ "env", required_argument, NULL, CMD_OPT_ENV },
		{ "clean-env", no_argument, NULL, CMD_OPT_CLEAN_ENV },
		{ "hold", no_argument, NULL, CMD_OPT_HOLD },
		{ "slots", required_argument, NULL, CMD_OPT_SLOTS },
		{ "res", required_argument, NULL, CMD_OPT_RES },
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
		{ "output-limit", required_argument, NULL,
		    CMD_OPT_OUTPUT_LIMIT },
		{ "on-end", required_argument, NULL, CMD_OPT_ON_END },
		{ "merge-output", no_argument, NULL, CMD_OPT_MERGE_OUTPUT },
		{ "mem", required_argument, NULL, CMD_OPT_LIMIT_MEM },
		{ "cpu-time", required_argument, NULL, CMD_OPT_LIMIT_CPU },
		{ "nofile", required_argument, NULL, CMD_OPT_LIMIT_NOFILE },
		{ "nproc", required_argument, NULL, CMD_OPT_LIMIT_NPROC },
		{ "core", required_argument, NULL, CMD_OPT_LIMIT_CORE },
		{ "nice", required_argument, NULL, CMD_OPT_LIMIT_NICE },
		{ "cpus", required_argument, NULL, CMD_OPT_LIMIT_CPUS },
		{ "wait", no_argument, NULL, CMD_OPT_WAIT },
		{ "user", required_argument, NULL, CMD_OPT_USER },
		{ "group", required_argument, NULL, CMD_OPT_GROUP },
		{ "batch", required_argument, NULL, CMD_OPT_BATCH },
	};
#define CMD_SUBMIT_NOPTS \
	(sizeof(cmd_submit_options) / sizeof(cmd_submit_options[0]))
	static const struct option common[] = { CMD_OPTS_COMMON };
	struct option opts[CMD_SUBMIT_NOPTS + CMD_SUBMIT_MAX_EXTRA + 3];
	size_t n = 0, i;
	int c, rc;

	for (i = 0; i < CMD_SUBMIT_NOPTS; i++)
		opts[n++] = cmd_submit_options[i];
	for (i = 0; a->extra != NULL && i < a->extra->n &&
	    i < CMD_SUBMIT_MAX_EXTRA; i++)
		opts[n++] = a->extra->opts[i];
	for (i = 0; i < 3; i++)
		opts[n++] = common[i];
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (a->extra != NULL && (rc = a->extra->handle(cmd, c, optarg,
		    a->extra->ud)) != -1) {
			if (rc > 0)
				return rc;
			continue;
		}
		if ((rc = cmd_submit_opt(cmd, c, optarg, a)) > 0)
			return rc;
		if (rc < 0 && (rc = cmd_opt_common(cmd, c, argv,
		    &a->json)) >= 0)
			return rc;
	}
	if (a->extra != NULL && (rc = cmd_submit_template_check(cmd, a)) != 0)
		return rc;
	if (a->batch != NULL && (optind < argc || a->nopts > 0))
		return cmd_usage_error(cmd, "--batch takes no command and no "
		    "option but --json (the jobs' options are in the file)");
	if (a->batch != NULL)
		return cmd_batch(a->ctx, cmd, a->batch, a->json);
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing the command to run");
	if (argv[optind][0] == '\0')
		return cmd_usage_error(cmd,
		    "the command to run must not be empty");
	if (a->sched.delay_ms >= 0 && a->sched.at != NULL)
		return cmd_usage_error(cmd,
		    "--delay and --at exclude each other");
	if (a->sched.is_array && a->sched.unique != NULL)
		return cmd_usage_error(cmd,
		    "--unique cannot be used with --array");
	return -1;
}

/* The job's directory: --cwd resolved (a usage error if it is not a
 * directory), else the current one.  0 (*cwd malloc'd) or an exit status. */
static int
cmd_submit_cwd(const char *cmd, const char *cwd_opt, char **cwd)
{
	struct stat st;

	if (cwd_opt == NULL) {
		if ((*cwd = getcwd(NULL, 0)) != NULL)
			return 0;
		fprintf(stderr, "jobq: %s: cannot determine the current "
		    "directory: %s\n", cmd, strerror(errno));
		return FMT_EXIT_FAIL;
	}
	if (*cwd_opt == '\0')
		return cmd_usage_error(cmd, "--cwd must not be empty");
	if ((*cwd = realpath(cwd_opt, NULL)) == NULL)
		return cmd_usage_error(cmd, "--cwd %s: %s", cwd_opt,
		    strerror(errno));
	if (stat(*cwd, &st) != 0 || !S_ISDIR(st.st_mode))
		return cmd_usage_error(cmd, "--cwd %s: not a directory",
		    cwd_opt);
	return 0;
}

/* Prints the new job's id (or says which job already has the key, for
 * jobq_submit's 1 in `existing`), unless --json --wait prints the job
 * later. */
static void
cmd_submit_report(jobq_client *cl, const struct cmd_submit_args *a,
    int64_t id, int existing)
{
	const char *st_name = "queued or running";
	jobq_job *job = NULL;

	if (existing) {
		if (jobq_get(cl, id, &job) == 0 &&
		    (job->state == JOBQ_STATE_QUEUED ||
		    job->state == JOBQ_STATE_RUNNING))
			st_name = jobq_state_name(job->state);
		jobq_job_free(job);
		fprintf(stderr, "jobq: job %lld with key %s is already %s\n",
		    (long long)id, a->sched.unique, st_name);
	}
	if (a->json && a->wait)
		return;
	if (a->json && existing)
		printf("{\"id\":%lld,\"existing\":true}\n", (long long)id);
	else if (a->json)
		printf("{\"id\":%lld}\n", (long long)id);
	else
		printf("%lld\n", (long long)id);
}

/* `submit --wait` on a job: waits for it; exit status as the job's. */
static int
cmd_submit_wait_job(jobq_client *cl, const char *cmd, int64_t id, int json)
{
	jobq_job *job = NULL;
	int err, rc, jrc;

	if ((err = jobq_wait(cl, id, -1, &job)) != 0)
		return cmd_fail(cmd, id, err);
	rc = fmt_job_status(job);
	cmd_job_ended_note(cmd, job);
	if (json && (jrc = cmd_print_json(cmd, proto_job_to_json(job))) != 0)
		rc = jrc;
	jobq_job_free(job);
	return rc;
}

/* Connects, submits and reports; with --wait waits too.  An exit status. */
static int
cmd_submit_run(struct cmd_ctx *ctx, const char *cmd,
    const struct cmd_submit_args *a, jobq_submit_opts *so)
{
	jobq_client *cl = NULL;
	jobq_dep *deps = NULL;
	jobq_submit_ext x;
	int64_t id = 0;
	int rc, err;

	memset(&x, 0, sizeof x);
	x.size = sizeof x;
	x.on_end = a->on_end;
	x.merge_output = a->merge_output;
	x.hold = a->hold;
	x.slots = a->slots;
	x.res = a->res;
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	if ((rc = cmd_submit_sched(cl, cmd, &a->sched, so, &deps)) != 0)
		goto out;
	if ((err = jobq_submit_x(cl, so, &x, &id)) < 0) {
		rc = cmd_fail(cmd, 0, err);
		goto out;
	}
	cmd_submit_report(cl, a, id, err == 1);
	if (!a->wait)
		rc = 0;
	else if (cmd_flush(cmd) < 0)
		rc = FMT_EXIT_FAIL;
	else if (a->sched.is_array)
		rc = cmd_submit_wait_array(cl, cmd, id, a->json);
	else
		rc = cmd_submit_wait_job(cl, cmd, id, a->json);
out:
	cmd_close(cl);
	free(deps);
	return rc;
}

/* Frees what a's parse allocated. */
static void
cmd_submit_args_free(struct cmd_submit_args *a)
{
	free(a->sched.after);
	free(a->sched.labels);
	free(a->sets);
}

/* Parses argv into a, the job's directory and environment (*cwd, *env:
 * malloc'd) and *so; -1 (go on) or an exit status. */
static int
cmd_submit_prepare(struct cmd_ctx *ctx, const char *cmd, int argc,
    char **argv, struct cmd_submit_args *a, jobq_submit_opts *so,
    const char ***env, char **cwd)
{
	const struct cfg *cf;
	int rc;

	a->json = ctx->json;
	a->ctx = ctx;
	a->sched.delay_ms = a->sched.timeout_ms = a->sched.kill_grace_ms = -1;
	a->sched.retry_delay_ms = -1;
	a->sets = calloc((size_t)argc, sizeof(*a->sets));
	a->sched.labels = calloc(JOBQ_MAX_LABELS + 1,
	    sizeof(*a->sched.labels));
	/* not calloc: only the nafter first are read, and zeroing the
	 * 32 KB (touching its pages) was a tenth of a submit's CPU */
	a->sched.after = malloc(JOBQ_MAX_DEPS * sizeof(*a->sched.after));
	if (a->sets == NULL || a->sched.labels == NULL ||
	    a->sched.after == NULL)
		return cmd_nomem(cmd);
	if ((rc = cmd_submit_args(cmd, argc, argv, a)) >= 0 ||
	    (rc = cmd_submit_cwd(cmd, a->cwd_opt, cwd)) != 0)
		return rc;
	if ((*env = cmd_build_env(a->clean, a->sets, a->nsets)) == NULL)
		return cmd_nomem(cmd);
	memset(so, 0, sizeof(*so));
	so->argv = (const char *const *)(argv + optind);
	so->env = *env;
	so->clean_env = a->clean;
	so->cwd = *cwd;
	so->name = a->name;
	so->queue = a->queue;
	/* without --queue: jobq.conf's queue, if any (cfg.h) */
	if (so->queue == NULL) {
		if ((rc = cfg_get(cmd, &cf)) != 0)
			return rc;
		so->queue = cf->queue;
	}
	so->max_retries = (int)a->retries;
	so->output_limit = a->output_limit;
	so->user = a->user;
	so->group = a->group;
	so->limits = a->limits;
	return -1;
}

int
cmd_submit(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "submit";
	struct cmd_submit_args a;
	const char **env = NULL;
	jobq_submit_opts so;
	char *cwd = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = cmd_submit_prepare(ctx, cmd, argc, argv, &a, &so, &env,
	    &cwd)) == -1)
		rc = cmd_submit_run(ctx, cmd, &a, &so);
	free(env);
	free(cwd);
	cmd_submit_args_free(&a);
	return rc;
}

int
cmd_submit_template(struct cmd_ctx *ctx, const char *cmd, int argc,
    char **argv, const struct cmd_submit_extra *extra,
    struct cmd_submit_template *t)
{
	struct cmd_submit_args *a;
	jobq_dep *deps = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cmd_nomem(cmd);
	t->mem = a;
	a->extra = extra;
	if ((rc = cmd_submit_prepare(ctx, cmd, argc, argv, a, &t->so,
	    &t->env, &t->cwd)) != -1)
		return rc;
	/* no --after: no look-up, no connection */
	if ((rc = cmd_submit_sched(NULL, cmd, &a->sched, &t->so, &deps)) != 0)
		return rc;
	t->x.size = sizeof(t->x);
	t->x.on_end = a->on_end;
	t->x.merge_output = a->merge_output;
	t->x.hold = a->hold;
	t->x.slots = a->slots;
	t->x.res = a->res;
	t->json = a->json;
	return -1;
}

void
cmd_submit_template_free(struct cmd_submit_template *t)
{
	if (t->mem != NULL)
		cmd_submit_args_free(t->mem);
	free(t->mem);
	free(t->env);
	free(t->cwd);
	memset(t, 0, sizeof(*t));
}
