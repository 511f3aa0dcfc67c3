/*
 * cmd.c - the commands of the jobq command-line client: submit, list, show,
 * wait, cancel, logs, ping, priority, retry, purge, queue, watch and stats,
 * one cmd_* function each (see cmd.h), plus their usage texts and the
 * resolution of job references (ID, A.I).  Each parses its own options
 * with getopt_long, talks to jobqd through libjobq only and returns the
 * exit status of jobq(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"

extern char **environ;

/* Long-only options share these values. */
enum {
	CMD_OPT_JSON = 256,
	CMD_OPT_NAME,
	CMD_OPT_QUEUE,
	CMD_OPT_CWD,
	CMD_OPT_ENV,
	CMD_OPT_CLEAN_ENV,
	CMD_OPT_RETRIES,
	CMD_OPT_WAIT,
	CMD_OPT_STATE,
	CMD_OPT_LIMIT,
	CMD_OPT_TIMEOUT,
	CMD_OPT_STDERR,
	CMD_OPT_PRIORITY,
	CMD_OPT_DELAY,
	CMD_OPT_AT,
	CMD_OPT_AFTER,
	CMD_OPT_ARRAY,
	CMD_OPT_RETRY_DELAY,
	CMD_OPT_KILL_GRACE,
	CMD_OPT_UNIQUE,
	CMD_OPT_LABEL,
	CMD_OPT_OLDER_THAN,
	CMD_OPT_PARALLEL,
};

/* The end of every command's option table: --json, -h/--help. */
#define CMD_OPTS_COMMON \
	{ "json", no_argument, NULL, CMD_OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }

#define CMD_LOG_CHUNK (64 * 1024)

/* Limits of the submit request (jobq-protocol(7)), checked here too so
 * that a bad command line is a usage error. */
#define CMD_MAX_PRIORITY     1000000
#define CMD_MAX_TIMEOUT_MS   (3650LL * 86400000)   /* 10 years */
#define CMD_MAX_GRACE_MS     86400000LL            /* 1 day */
#define CMD_MAX_PARALLEL     1000000

#define CMD_STATES "queued, running, succeeded, failed, canceled, " \
	"interrupted or timed_out"
#define CMD_DUR_HELP "a duration such as 500ms, 90s, 5m, 2h, 1d or 1h30m"

static const struct {
	const char *name;
	const char *usage;
} cmd_usages[] = {
	{ "submit",
	  "Usage: jobq submit [OPTIONS] [--] CMD [ARG...]\n"
	  "Submit a job that runs CMD with its arguments; print its id.\n"
	  "\n"
	  "  --name N           a name for the job\n"
	  "  --queue Q          the queue to put it in (default \"default\")\n"
	  "  --cwd DIR          run it in DIR (default: the current directory)\n"
	  "  --env K=V          set K to V in its environment (repeatable)\n"
	  "  --clean-env        start from an empty environment instead of the\n"
	  "                     caller's\n"
	  "  --priority N       higher runs first, FIFO among equals (-1000000\n"
	  "                     to 1000000, default 0)\n"
	  "  --delay DUR        start no earlier than DUR from now\n"
	  "  --at TIME          start no earlier than TIME (--delay and --at\n"
	  "                     exclude each other)\n"
	  "  --after [ok:|notok:|any:]REF[,REF...]\n"
	  "                     start once these jobs have ended: ok (default)\n"
	  "                     succeeded, notok did not succeed, any ended at\n"
	  "                     all; an array id means all its tasks\n"
	  "                     (repeatable)\n"
	  "  --array FIRST-LAST[:STEP][%K]\n"
	  "                     submit an array: one task per index FIRST,\n"
	  "                     FIRST+STEP, ... up to LAST (or N alone: one task,\n"
	  "                     index N), at most K running at once; each task\n"
	  "                     gets JOBQ_ARRAY_ID and JOBQ_ARRAY_INDEX; prints\n"
	  "                     the array's id\n"
	  "  --retries N        retry up to N times (0-1000) if it fails\n"
	  "  --retry-delay DUR  wait DUR before the first retry (default 1s),\n"
	  "                     doubling each time, at most 1h, +-20%\n"
	  "  --timeout DUR      stop it after it ran DUR (TERM to its process\n"
	  "                     group, KILL after the kill grace): timed_out\n"
	  "  --kill-grace DUR   time between TERM and KILL on timeout or cancel\n"
	  "                     (default: jobqd's --kill-grace)\n"
	  "  --unique KEY       if a queued or running job of yours has KEY,\n"
	  "                     print its id and submit nothing\n"
	  "  --label K=V        attach the label K=V (repeatable)\n"
	  "  --wait             wait for the job (an array: every task) and exit\n"
	  "                     as 'jobq wait' does\n"
	  "  --json             print {\"id\":N} (with --wait: the job object)\n"
	  "  -h, --help         show this help\n"
	  "DUR: 500ms, 90s, 5m, 2h, 1d, 1h30m; a plain integer is seconds.\n"
	  "TIME: YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], local time or\n"
	  "with Z or +HH:MM/-HH:MM; or HH:MM[:SS], the next such local time.\n"
	  "REF: a job ID, or A.I for the task with index I of array A.\n"
	  "Options end at the first non-option word or at \"--\".\n" },
	{ "list",
	  "Usage: jobq list [--state STATE] [--queue Q] [--name NAME]\n"
	  "                 [--label K=V]... [--array A] [--limit N] [--json]\n"
	  "List jobs in a table, oldest first.  TASK is A.I for a task of\n"
	  "array A; a queued job waiting for its start time shows\n"
	  "\"queued until TIME\".\n"
	  "\n"
	  "  --state STATE  only jobs in STATE (queued, running, succeeded,\n"
	  "                 failed, canceled, interrupted, timed_out)\n"
	  "  --queue Q      only jobs in queue Q\n"
	  "  --name NAME    only jobs named NAME\n"
	  "  --label K=V    only jobs with this label (repeatable: all of them)\n"
	  "  --array A      only the tasks of array A\n"
	  "  --limit N      only the newest N jobs (0: no limit)\n"
	  "  --json         print a JSON array of job objects\n"
	  "  -h, --help     show this help\n" },
	{ "show",
	  "Usage: jobq show REF [--json]\n"
	  "Show every field of one job; for an array id, the array and how many\n"
	  "of its tasks are in each state.  REF: ID, or A.I for the task with\n"
	  "index I of array A.\n"
	  "\n"
	  "  --json         print the job object ({\"array\":{...}} for an array)\n"
	  "  -h, --help     show this help\n" },
	{ "wait",
	  "Usage: jobq wait REF... [--timeout DUR] [--json]\n"
	  "Wait until each job has ended (an array id: every task of it).  With\n"
	  "one job, exit with its status; with an array or several REFs, exit 0\n"
	  "if all succeeded, else 1.\n"
	  "\n"
	  "  --timeout DUR  give up after DUR in all (500ms, 90s, 5m, 2h, 1h30m;\n"
	  "                 a plain number is seconds) and exit 124\n"
	  "  --json         print a JSON array of the job objects\n"
	  "                 ({\"array\":{...}} for an array)\n"
	  "  -h, --help     show this help\n" },
	{ "cancel",
	  "Usage: jobq cancel REF... [--json]\n"
	  "Cancel each job (an array id: every task of it that has not ended)\n"
	  "and wait until it has ended.\n"
	  "\n"
	  "  --json         print a JSON array of the canceled job objects\n"
	  "                 ({\"array\":{...}} for an array)\n"
	  "  -h, --help     show this help\n" },
	{ "logs",
	  "Usage: jobq logs REF [--stderr] [-f|--follow] [--json]\n"
	  "Write the captured standard output of a job to standard output.\n"
	  "REF: a job ID, or A.I for the task with index I of array A.\n"
	  "\n"
	  "  --stderr       the job's standard error instead\n"
	  "  -f, --follow   keep writing output until the job has ended\n"
	  "  --json         print {\"id\",\"stream\",\"size\",\"data_base64\"}\n"
	  "  -h, --help     show this help\n" },
	{ "ping",
	  "Usage: jobq ping [--json]\n"
	  "Check that jobqd answers and show its version, pid, uptime and\n"
	  "number of workers.\n"
	  "\n"
	  "  --json         print {\"version\",\"protocol\",\"pid\",\"uptime_ms\","
	  "\"workers\"}\n"
	  "  -h, --help     show this help\n" },
	{ "priority",
	  "Usage: jobq priority REF N [--json]\n"
	  "Set the priority of a queued job to N (-1000000 to 1000000; higher\n"
	  "runs first, FIFO among equals).\n"
	  "\n"
	  "  --json         print the job object\n"
	  "  -h, --help     show this help\n" },
	{ "retry",
	  "Usage: jobq retry REF [--json]\n"
	  "Queue an ended job again: same id, attempts start again from 0, its\n"
	  "dependencies are not checked again.\n"
	  "\n"
	  "  --json         print the job object\n"
	  "  -h, --help     show this help\n" },
	{ "purge",
	  "Usage: jobq purge [--older-than DUR] [--state STATE] [--json]\n"
	  "Remove ended jobs and their output now and print \"purged N jobs\".\n"
	  "Only your own jobs, unless you are root or jobqd's user.\n"
	  "\n"
	  "  --older-than DUR  only jobs that ended more than DUR ago\n"
	  "  --state STATE     only jobs in STATE (succeeded, failed, canceled,\n"
	  "                    interrupted, timed_out)\n"
	  "  --json            print {\"purged\":N}\n"
	  "  -h, --help        show this help\n" },
	{ "queue",
	  "Usage: jobq queue list [--json]\n"
	  "       jobq queue set Q --parallel N [--json]\n"
	  "       jobq queue pause Q [--json]\n"
	  "       jobq queue resume Q [--json]\n"
	  "Show or change queues (changes: root or jobqd's user only).\n"
	  "\n"
	  "  list           a table of the queues: NAME PARALLEL PAUSED and the\n"
	  "                 number of jobs in each state\n"
	  "  set Q          --parallel N: run at most N jobs of Q at once\n"
	  "                 (0: no limit but the workers)\n"
	  "  pause Q        start nothing new from Q; running jobs finish\n"
	  "  resume Q       start jobs from Q again\n"
	  "  --json         print the queue objects (list) or the changed queue\n"
	  "  -h, --help     show this help\n" },
	{ "watch",
	  "Usage: jobq watch [REF...] [--json]\n"
	  "Print one line per job state change as jobqd commits it:\n"
	  "\"HH:MM:SS.mmm ID STATE [details]\".  With REFs, only those\n"
	  "jobs (an array id: all its tasks), and exit 0 once every one of them\n"
	  "has ended; without, every job you may see, until interrupted\n"
	  "(SIGINT or SIGTERM: exit 0).\n"
	  "\n"
	  "  --json         print the event objects, one per line\n"
	  "  -h, --help     show this help\n" },
	{ "stats",
	  "Usage: jobq stats [--json]\n"
	  "Show how many jobs are in each state, overall and per queue, how\n"
	  "many workers are busy, and over the last minute and hour: jobs\n"
	  "finished per second, mean and 95th percentile of wait and run times,\n"
	  "and utilisation of the workers.\n"
	  "\n"
	  "  --json         print the statistics object\n"
	  "  -h, --help     show this help\n" },
};

int
cmd_help(const char *name, FILE *out)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_usages) / sizeof(cmd_usages[0]); i++) {
		if (strcmp(cmd_usages[i].name, name) == 0) {
			fputs(cmd_usages[i].usage, out);
			return 0;
		}
	}
	return -1;
}

/* Prints "jobq: CMD: message" and a hint; returns the usage exit status. */
static int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jobq: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'jobq help %s' for more information.\n", cmd);
	return FMT_EXIT_USAGE;
}

/* Reports a getopt_long error ('?' or ':'); returns the usage status. */
static int
cmd_opt_error(const char *cmd, int c, char **argv)
{
	const char *word = argv[optind - 1];

	if (c == ':')
		return cmd_usage_error(cmd, "option '%s' needs an argument", word);
	if (optopt != 0 && optopt < 256)
		return cmd_usage_error(cmd, "unknown option '-%c'", optopt);
	return cmd_usage_error(cmd, "unknown option '%s'", word);
}

/*
 * The options every command has, for the default case of its getopt loop:
 * --json sets *json and returns -1 (go on), -h/--help prints the usage and
 * returns 0, anything else is reported and returns the usage status.
 */
static int
cmd_opt_common(const char *cmd, int c, char **argv, int *json)
{
	switch (c) {
	case CMD_OPT_JSON:
		*json = 1;
		return -1;
	case 'h':
		cmd_help(cmd, stdout);
		return 0;
	default:
		return cmd_opt_error(cmd, c, argv);
	}
}

/* Parses the options of a command that has only --json and -h/--help:
 * -1 to go on with the operands at argv[optind..], else the exit status. */
static int
cmd_json_opts(const char *cmd, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		CMD_OPTS_COMMON,
	};
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		if ((rc = cmd_opt_common(cmd, c, argv, json)) >= 0)
			return rc;
	return -1;
}

/* For a command without operands: 0, or the usage status. */
static int
cmd_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	return 0;
}

/* The connection of this run, for the daemon's error messages. */
static jobq_client *cmd_client;

static void
cmd_close(jobq_client *c)
{
	if (c == cmd_client)
		cmd_client = NULL;
	jobq_close(c);
}

/* Reports a failed request: "jobq: CMD: [WHAT: ]reason", with the daemon's
 * own message when it sent one (WHAT: "job 7", "task 7.3", "array 7"). */
static int
cmd_fail_what(const char *cmd, const char *what, int err)
{
	const char *detail = jobq_last_error(cmd_client);
	const char *sep = what != NULL && *what != '\0' ? ": " : "";

	if (what == NULL)
		what = "";
	if (detail != NULL && *detail != '\0')
		fprintf(stderr, "jobq: %s: %s%s%s: %s\n", cmd, what, sep,
		    jobq_strerror(err), detail);
	else
		fprintf(stderr, "jobq: %s: %s%s%s\n", cmd, what, sep,
		    jobq_strerror(err));
	return fmt_err_status(err);
}

/* The same for a job id (0: no job named). */
static int
cmd_fail(const char *cmd, int64_t id, int err)
{
	char what[40] = "";

	if (id > 0)
		snprintf(what, sizeof(what), "job %lld", (long long)id);
	return cmd_fail_what(cmd, what, err);
}

static int
cmd_nomem(const char *cmd)
{
	fprintf(stderr, "jobq: %s: out of memory\n", cmd);
	return FMT_EXIT_FAIL;
}

/* Connects to jobqd; returns 0 or an exit status after reporting. */
static int
cmd_connect(const struct cmd_ctx *ctx, const char *cmd, jobq_client **c)
{
	char path[PATH_MAX];
	const char *p = ctx->socket;
	const char *why = NULL;
	struct stat st;
	int err, saved;

	err = jobq_connect(ctx->socket, c);
	saved = errno;
	if (err == 0) {
		cmd_client = *c;
		return 0;
	}
	if (err != JOBQ_ECONNECT && err != JOBQ_EPERM)
		return cmd_fail(cmd, 0, err);
	if (p == NULL)
		p = jobq_default_socket(path, sizeof(path)) == 0 ? path :
		    "(default socket)";
	if (err == JOBQ_EPERM) {
		fprintf(stderr, "jobq: %s: refusing to use the socket %s: it or "
		    "its directory belongs to another user, or others may "
		    "write to the directory\n", cmd, p);
		return FMT_EXIT_CONNECT;
	}
	if (stat(p, &st) != 0)
		why = errno == ENOENT ? "no such socket" : strerror(errno);
	else if (!S_ISSOCK(st.st_mode))
		why = "not a socket";
	else if (saved == ECONNREFUSED || saved == EACCES || saved == EPERM)
		why = strerror(saved);
	else
		why = jobq_strerror(err);
	fprintf(stderr, "jobq: %s: cannot connect to jobqd at %s: %s\n"
	    "jobq: is jobqd running?  Start it with 'jobqd' (or "
	    "'systemctl [--user] start jobqd'), or name its socket with -s or "
	    "JOBQ_SOCKET.\n", cmd, p, why);
	return FMT_EXIT_CONNECT;
}

/* Prints a JSON document on stdout and frees it; 0 or an exit status. */
static int
cmd_print_json(const char *cmd, cJSON *doc)
{
	char *s;

	if (doc == NULL)
		return cmd_nomem(cmd);
	s = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (s == NULL)
		return cmd_nomem(cmd);
	fputs(s, stdout);
	putchar('\n');
	free(s);
	return 0;
}

/* Adds item to a JSON array, or deletes it; 0 or -1. */
static int
cmd_json_append(cJSON *arr, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

/* {"queued":n,"running":n,...} for every state; NULL when out of memory. */
static cJSON *
cmd_counts_json(const size_t counts[JOBQ_STATE_COUNT])
{
	cJSON *o = cJSON_CreateObject();
	int s;

	for (s = 0; o != NULL && s < JOBQ_STATE_COUNT; s++) {
		if (proto_add_int(o, jobq_state_name((jobq_state)s),
		    (int64_t)counts[s]) != 0) {
			cJSON_Delete(o);
			o = NULL;
		}
	}
	return o;
}

/* {"array":{"id","first","step","count","throttle","counts"}}, as jobqd
 * replies for an array; NULL when out of memory. */
static cJSON *
cmd_array_json(const jobq_array_info *ai)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateObject();
	cJSON *counts = cmd_counts_json(ai->counts);

	if (o == NULL || a == NULL || counts == NULL ||
	    proto_add_int(a, "id", ai->id) != 0 ||
	    proto_add_int(a, "first", ai->first) != 0 ||
	    proto_add_int(a, "step", ai->step) != 0 ||
	    proto_add_int(a, "count", ai->count) != 0 ||
	    proto_add_int(a, "throttle", ai->throttle) != 0 ||
	    !cJSON_AddItemToObject(a, "counts", counts)) {
		cJSON_Delete(counts);
		cJSON_Delete(a);
		cJSON_Delete(o);
		return NULL;
	}
	if (!cJSON_AddItemToObject(o, "array", a)) {
		cJSON_Delete(a);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* {"name","parallel","paused","counts"}; NULL when out of memory. */
static cJSON *
cmd_queue_json(const jobq_queue_info *q)
{
	cJSON *o = cJSON_CreateObject(), *counts = cmd_counts_json(q->counts);

	if (o == NULL || counts == NULL ||
	    cJSON_AddStringToObject(o, "name", q->name) == NULL ||
	    proto_add_int(o, "parallel", q->parallel) != 0 ||
	    cJSON_AddBoolToObject(o, "paused", q->paused != 0) == NULL ||
	    !cJSON_AddItemToObject(o, "counts", counts)) {
		cJSON_Delete(counts);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Parses the REF operands argv[optind..argc) (at least one); returns a
 * malloc'd array, or NULL after reporting (*rc gets the exit status). */
static struct fmt_ref *
cmd_parse_refs(const char *cmd, int argc, char **argv, size_t *n, int *rc)
{
	struct fmt_ref *refs;
	int i;

	*n = 0;
	if (optind >= argc) {
		*rc = cmd_usage_error(cmd, "missing job ID");
		return NULL;
	}
	refs = calloc((size_t)(argc - optind), sizeof(*refs));
	if (refs == NULL) {
		*rc = cmd_nomem(cmd);
		return NULL;
	}
	for (i = optind; i < argc; i++) {
		if (fmt_parse_ref(argv[i], &refs[*n]) != 0) {
			free(refs);
			*rc = cmd_usage_error(cmd, "invalid job reference '%s' "
			    "(expected a job ID, or ARRAY.INDEX for a task of an "
			    "array)", argv[i]);
			return NULL;
		}
		(*n)++;
	}
	return refs;
}

/* Parses exactly one REF operand at argv[optind]; 0 or an exit status. */
static int
cmd_parse_one_ref(const char *cmd, int argc, char **argv,
    struct fmt_ref *ref)
{
	struct fmt_ref *refs;
	size_t n;
	int rc;

	if ((refs = cmd_parse_refs(cmd, argc, argv, &n, &rc)) == NULL)
		return rc;
	*ref = refs[0];
	free(refs);
	if (n != 1)
		return cmd_usage_error(cmd, "expected exactly one job ID");
	return 0;
}

/* "job 7" or "task 7.3" for messages. */
static char *
cmd_ref_what(const struct fmt_ref *ref, char *buf, size_t len)
{
	char r[FMT_REF_LEN];

	snprintf(buf, len, "%s %s", ref->has_index ? "task" : "job",
	    fmt_ref(ref, r, sizeof(r)));
	return buf;
}

/*
 * Turns a REF into a job id: a plain ID as is, A.I through jobq_get_task
 * (the task is handed back in *task when task is not NULL, else freed).
 * Returns 0, or an exit status after reporting.
 */
static int
cmd_ref_job(jobq_client *cl, const char *cmd, const struct fmt_ref *ref,
    int64_t *id, jobq_job **task)
{
	char what[FMT_REF_LEN + 8];
	jobq_job *job = NULL;
	int err;

	if (task != NULL)
		*task = NULL;
	if (!ref->has_index) {
		*id = ref->id;
		return 0;
	}
	err = jobq_get_task(cl, ref->id, ref->index, &job);
	if (err != 0)
		return cmd_fail_what(cmd, cmd_ref_what(ref, what, sizeof(what)),
		    err);
	*id = job->id;
	if (task != NULL)
		*task = job;
	else
		jobq_job_free(job);
	return 0;
}

/* For commands that need one job, not a whole array: the message for a
 * plain id that names an array.  Returns the usage exit status. */
static int
cmd_is_array_error(const char *cmd, int64_t id)
{
	fprintf(stderr, "jobq: %s: %lld is an array; name a task as %lld.INDEX\n",
	    cmd, (long long)id, (long long)id);
	return FMT_EXIT_USAGE;
}

/* Connects and turns ref into a job id as cmd_ref_job does; 0, or the exit
 * status after reporting (*cl is then closed and NULL). */
static int
cmd_connect_ref(const struct cmd_ctx *ctx, const char *cmd,
    const struct fmt_ref *ref, jobq_client **cl, int64_t *id, jobq_job **task)
{
	int rc;

	if ((rc = cmd_connect(ctx, cmd, cl)) != 0)
		return rc;
	if ((rc = cmd_ref_job(*cl, cmd, ref, id, task)) != 0) {
		cmd_close(*cl);
		*cl = NULL;
	}
	return rc;
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
	if ((*refs = cmd_parse_refs(cmd, argc, argv, n, &rc)) == NULL)
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

/* After the last request of a command: reports err (if not 0) while cl
 * still holds jobqd's message, closes cl; 0 or the exit status. */
static int
cmd_finish(jobq_client *cl, const char *cmd, int err)
{
	int rc = err != 0 ? cmd_fail(cmd, 0, err) : 0;

	cmd_close(cl);
	return rc;
}

/* Adds a row to *t; when out of memory frees the table, *t = NULL. */
static void
cmd_table_add(struct fmt_table **t, const char *const *cells)
{
	if (*t != NULL && fmt_table_add(*t, cells) != 0) {
		fmt_table_free(*t);
		*t = NULL;
	}
}

/* Prints t (NULL: out of memory) to stdout and frees it; 0 or a status. */
static int
cmd_table_print(const char *cmd, struct fmt_table *t, size_t width)
{
	if (t == NULL)
		return cmd_nomem(cmd);
	/* Write errors surface when stdout is flushed. */
	(void)fmt_table_print(t, stdout, width);
	fmt_table_free(t);
	return 0;
}

/* Adds item to the JSON array *arr; on failure frees both, *arr = NULL. */
static void
cmd_json_push(cJSON **arr, cJSON *item)
{
	if (*arr != NULL && cmd_json_append(*arr, item) != 0) {
		cJSON_Delete(*arr);
		*arr = NULL;
	} else if (*arr == NULL) {
		cJSON_Delete(item);
	}
}

/* Checks a queue name as the daemon will; 0 or the usage status. */
static int
cmd_check_queue(const char *cmd, const char *q)
{
	size_t n = strlen(q);
	const char *why = NULL;

	if (n == 0)
		why = "must not be empty";
	else if (n > JOBQ_MAX_NAME)
		why = "is too long";
	else if (strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != n)
		why = "may only hold letters, digits, '_', '.' and '-'";
	if (why != NULL)
		return cmd_usage_error(cmd, "invalid queue name '%s': it %s", q,
		    why);
	return 0;
}

/* Checks the argument of --name; 0 or the usage status. */
static int
cmd_check_name(const char *cmd, const char *arg)
{
	if (*arg == '\0' || strlen(arg) > JOBQ_MAX_NAME)
		return cmd_usage_error(cmd, "--name must be 1 to %d bytes long",
		    JOBQ_MAX_NAME);
	return 0;
}

/* Checks the argument of --label; 0 or the usage status. */
static int
cmd_check_label(const char *cmd, const char *arg)
{
	if (fmt_parse_label(arg) != 0)
		return cmd_usage_error(cmd, "invalid --label '%s' (expected K=V "
		    "with a non-empty K, at most %d bytes)", arg, JOBQ_MAX_LABEL);
	return 0;
}

static int64_t
cmd_now_ms(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Status of a request error for a multi-job command: the worst so far. */
static int
cmd_worse(int rc, int status)
{
	return status > rc ? status : rc;
}

/* Flushes stdout; 0, or 1 if the reader went away (EPIPE), or -1 on
 * another write error (reported). */
static int
cmd_flush(const char *cmd)
{
	errno = 0;
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 1;
	fprintf(stderr, "jobq: %s: write error: %s\n", cmd,
	    errno != 0 ? strerror(errno) : "unknown error");
	return -1;
}

/* Whether every task of an array has ended. */
static int
cmd_array_ended(const jobq_array_info *ai)
{
	size_t left = 0;
	int s;

	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		if (!jobq_state_is_terminal((jobq_state)s))
			left += ai->counts[s];
	return left == 0;
}

/* Whether every task of an array succeeded. */
static int
cmd_array_ok(const jobq_array_info *ai)
{
	return ai->count >= 0 &&
	    ai->counts[JOBQ_STATE_SUCCEEDED] == (size_t)ai->count;
}

/*
 * Waits for a job or, when is_array, for every task of an array, until
 * the deadline (have_deadline; monotonic ms) or for ever.  Deadlines beyond
 * INT_MAX ms are waited in chunks.  Returns what libjobq returned.
 */
static int
cmd_wait_until(jobq_client *cl, int64_t id, int is_array, int have_deadline,
    int64_t deadline, jobq_job **job, jobq_array_info *ai)
{
	int err;

	for (;;) {
		int tmo = -1;

		if (have_deadline) {
			int64_t rem = deadline - cmd_now_ms(CLOCK_MONOTONIC);

			if (rem < 0)
				rem = 0;
			tmo = rem > INT_MAX ? INT_MAX : (int)rem;
		}
		if (is_array)
			err = jobq_array_wait(cl, id, tmo, ai);
		else
			err = jobq_wait(cl, id, tmo, job);
		if (err == JOBQ_ETIMEDOUT && have_deadline && tmo == INT_MAX &&
		    cmd_now_ms(CLOCK_MONOTONIC) < deadline)
			continue;
		return err;
	}
}

/* Parses a DUR option argument; 0 or the usage exit status. */
static int
cmd_opt_duration(const char *cmd, const char *opt, const char *arg,
    int64_t max, int64_t *ms)
{
	char buf[40];

	if (fmt_parse_duration(arg, ms) != 0)
		return cmd_usage_error(cmd, "invalid %s '%s' (expected "
		    CMD_DUR_HELP "; a plain number is seconds)", opt, arg);
	if (max > 0 && *ms > max)
		return cmd_usage_error(cmd, "%s '%s' is too long (at most %s)", opt,
		    arg, fmt_duration(max, buf, sizeof(buf)));
	return 0;
}

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
		if (fmt_parse_time(arg, cmd_now_ms(CLOCK_REALTIME), &s->at_ms) != 0)
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
		int64_t now = cmd_now_ms(CLOCK_REALTIME);

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

/* Columns of the terminal when stdout is one, else 0 (no limit). */
static size_t
cmd_term_width(void)
{
	struct winsize ws;
	const char *cols;
	long v;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = getenv("COLUMNS");
	if (cols != NULL && fmt_parse_count(cols, 100000, &v) == 0 && v > 0)
		return (size_t)v;
	return 80;
}

/* The state of a job for a table: "queued until 09:00:00" for a queued job
 * whose start time is still ahead. */
static char *
cmd_state_cell(const jobq_job *j, int64_t now, char *buf, size_t len)
{
	const char *name = jobq_state_name(j->state);
	char when[FMT_TIME_LEN];

	if (name == NULL)
		name = "?";
	if (j->state == JOBQ_STATE_QUEUED && j->not_before > now)
		snprintf(buf, len, "%s until %s", name, fmt_when(j->not_before,
		    now, when, sizeof(when)));
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/* "A.I" of a task, "-" for a job that is not one. */
static char *
cmd_task_cell(const jobq_job *j, char *buf, size_t len)
{
	if (j->array_id != 0)
		snprintf(buf, len, "%lld.%lld", (long long)j->array_id,
		    (long long)j->array_index);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* Adds one job as a row of the list table; 0 or -1 (ENOMEM). */
static int
cmd_list_row(struct fmt_table *t, const jobq_job *j, int64_t now)
{
	char id[24], task[FMT_REF_LEN], state[64], code[FMT_SIG_LEN], att[16];
	char sub[FMT_TIME_LEN];
	const char *cells[9];
	char *command;
	int r;

	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	if (j->exit_code >= 0)
		snprintf(code, sizeof(code), "%d", j->exit_code);
	else if (j->signal > 0)
		fmt_signal_name(j->signal, code, sizeof(code));
	else
		snprintf(code, sizeof(code), "-");
	snprintf(att, sizeof(att), "%d", j->attempts);
	command = fmt_join_argv(j->argv, j->argc);
	if (command == NULL)
		return -1;
	cells[0] = id;
	cells[1] = cmd_task_cell(j, task, sizeof(task));
	cells[2] = cmd_state_cell(j, now, state, sizeof(state));
	cells[3] = j->queue;
	cells[4] = j->name;
	cells[5] = code;
	cells[6] = att;
	cells[7] = fmt_time(j->submitted_at, 0, sub, sizeof(sub));
	cells[8] = command;
	r = fmt_table_add(t, cells);
	free(command);
	return r;
}

int
cmd_list(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, CMD_OPT_STATE },
		{ "queue", required_argument, NULL, CMD_OPT_QUEUE },
		{ "name", required_argument, NULL, CMD_OPT_NAME },
		{ "label", required_argument, NULL, CMD_OPT_LABEL },
		{ "array", required_argument, NULL, CMD_OPT_ARRAY },
		{ "limit", required_argument, NULL, CMD_OPT_LIMIT },
		CMD_OPTS_COMMON,
	};
	static const char *const headers[] = { "ID", "TASK", "STATE", "QUEUE",
		"NAME", "EXIT", "ATTEMPTS", "SUBMITTED", "COMMAND" };
	static const int align[] = { FMT_RIGHT, FMT_LEFT, FMT_LEFT, FMT_LEFT,
		FMT_LEFT, FMT_RIGHT, FMT_RIGHT, FMT_LEFT, FMT_LEFT };
	const char *cmd = "list";
	int json = ctx->json, c, rc, err;
	jobq_filter filter;
	jobq_client *cl = NULL;
	jobq_job **jobs = NULL;
	const char **labels = NULL;
	size_t n = 0, nlabels = 0, i;
	int64_t now;
	long limit;

	memset(&filter, 0, sizeof(filter));
	filter.state = -1;
	labels = calloc((size_t)argc + 1, sizeof(*labels));
	if (labels == NULL)
		return cmd_nomem(cmd);
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_STATE:
			filter.state = jobq_state_parse(optarg);
			if (filter.state < 0) {
				rc = cmd_usage_error(cmd, "invalid state '%s' "
				    "(expected " CMD_STATES ")", optarg);
				goto out;
			}
			break;
		case CMD_OPT_QUEUE:
			if ((rc = cmd_check_queue(cmd, optarg)) != 0)
				goto out;
			filter.queue = optarg;
			break;
		case CMD_OPT_NAME:
			if ((rc = cmd_check_name(cmd, optarg)) != 0)
				goto out;
			filter.name = optarg;
			break;
		case CMD_OPT_LABEL:
			if ((rc = cmd_check_label(cmd, optarg)) != 0)
				goto out;
			labels[nlabels++] = optarg;
			break;
		case CMD_OPT_ARRAY:
			if (fmt_parse_id(optarg, &filter.array_id) != 0) {
				rc = cmd_usage_error(cmd, "invalid --array '%s' "
				    "(expected an array id)", optarg);
				goto out;
			}
			break;
		case CMD_OPT_LIMIT:
			if (fmt_parse_count(optarg, LONG_MAX, &limit) != 0) {
				rc = cmd_usage_error(cmd, "invalid --limit "
				    "'%s' (expected a non-negative integer)",
				    optarg);
				goto out;
			}
			filter.limit = (size_t)limit;
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				goto out;
			break;
		}
	}
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0)
		goto out;
	if (nlabels > 0)
		filter.labels = labels;
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	err = jobq_list(cl, &filter, &jobs, &n);
	if ((rc = cmd_finish(cl, cmd, err)) != 0)
		goto out;
	if (json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, proto_job_to_json(jobs[i]));
		rc = cmd_print_json(cmd, arr);
	} else {
		struct fmt_table *t = fmt_table_new(9, headers, align);

		now = cmd_now_ms(CLOCK_REALTIME);
		for (i = 0; t != NULL && i < n; i++) {
			if (cmd_list_row(t, jobs[i], now) != 0) {
				fmt_table_free(t);
				t = NULL;
			}
		}
		rc = cmd_table_print(cmd, t, cmd_term_width());
	}
	jobq_job_list_free(jobs, n);
out:
	free(labels);
	return rc;
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

/* Prints the fields of a job as "key: value" lines. */
static int
cmd_show_job(const jobq_job *j)
{
	char buf[64], tbuf[FMT_TIME_LEN], sbuf[FMT_SIG_LEN], rel[FMT_REL_LEN];
	char *command, *labels, *deps, *pwbuf = NULL;
	struct passwd pw, *pwp = NULL;
	long pwlen = sysconf(_SC_GETPW_R_SIZE_MAX);
	int64_t end = 0, now = cmd_now_ms(CLOCK_REALTIME);

	command = fmt_join_argv(j->argv, j->argc);
	labels = fmt_join_argv(j->labels, j->nlabels);
	deps = cmd_deps_text(j);
	if (command == NULL || labels == NULL || deps == NULL) {
		free(command);
		free(labels);
		free(deps);
		return -1;
	}
#define SHOW(k, ...) do { printf("%-12s ", k ":"); printf(__VA_ARGS__); \
	putchar('\n'); } while (0)
	SHOW("id", "%lld", (long long)j->id);
	SHOW("task", "%s", cmd_task_cell(j, buf, sizeof(buf)));
	SHOW("state", "%s", jobq_state_name(j->state) != NULL ?
	    jobq_state_name(j->state) : "?");
	SHOW("name", "%s", j->name != NULL ? j->name : "-");
	SHOW("queue", "%s", j->queue != NULL ? j->queue : "-");
	SHOW("priority", "%d", j->priority);
	SHOW("command", "%s", command);
	SHOW("cwd", "%s", j->cwd != NULL ? j->cwd : "-");
	if (pwlen <= 0 || pwlen > 1 << 20)
		pwlen = 16384;
	pwbuf = malloc((size_t)pwlen);
	if (pwbuf != NULL &&
	    getpwuid_r((uid_t)j->owner_uid, &pw, pwbuf, (size_t)pwlen, &pwp) == 0 &&
	    pwp != NULL)
		SHOW("owner", "%lu (%s)", (unsigned long)j->owner_uid, pw.pw_name);
	else
		SHOW("owner", "%lu", (unsigned long)j->owner_uid);
	free(pwbuf);
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
	if (j->started_at > 0) {
		if (j->finished_at > 0)
			end = j->finished_at;
		else if (j->state == JOBQ_STATE_RUNNING)
			end = now;
	}
	if (end > 0)
		SHOW("runtime", "%s", fmt_duration(end - j->started_at, buf,
		    sizeof(buf)));
	else
		SHOW("runtime", "-");
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
	free(command);
	free(labels);
	free(deps);
	return 0;
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

int
cmd_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "show";
	int json = ctx->json, rc, err;
	char what[FMT_REF_LEN + 8];
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	jobq_array_info ai;
	struct fmt_ref ref;
	int64_t id;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
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
	cmd_close(cl);
	if (json)
		rc = cmd_print_json(cmd, proto_job_to_json(job));
	else
		rc = cmd_show_job(job) == 0 ? 0 : cmd_nomem(cmd);
	jobq_job_free(job);
	return rc;
}

int
cmd_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "wait";
	int json = ctx->json, c, rc, err = 0, have_timeout = 0;
	int errst = 0, all_ok = 1, arrays = 0;
	int64_t timeout = 0, deadline = 0, id;
	char what[FMT_REF_LEN + 8];
	jobq_client *cl = NULL;
	jobq_job *last = NULL;
	struct fmt_ref *refs;
	cJSON *arr;
	size_t n, i;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_TIMEOUT:
			if ((rc = cmd_opt_duration(cmd, "--timeout", optarg, 0,
			    &timeout)) != 0)
				return rc;
			have_timeout = 1;
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				return rc;
			break;
		}
	}
	if ((rc = cmd_refs_connect(ctx, cmd, argc, argv, json, &refs, &n, &arr,
	    &cl)) != 0)
		return rc;
	if (have_timeout) {
		int64_t now = cmd_now_ms(CLOCK_MONOTONIC);

		deadline = timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
	}
	for (i = 0; i < n; i++) {
		jobq_job *job = NULL;
		jobq_array_info ai;
		int is_array = 0;
		cJSON *item = NULL;

		if ((rc = cmd_ref_job(cl, cmd, &refs[i], &id, NULL)) != 0) {
			errst = cmd_worse(errst, rc);
			all_ok = 0;
			continue;
		}
		cmd_ref_what(&refs[i], what, sizeof(what));
		err = cmd_wait_until(cl, id, 0, have_timeout, deadline, &job,
		    NULL);
		if (err == JOBQ_EISARRAY && !refs[i].has_index) {
			is_array = 1;
			snprintf(what, sizeof(what), "array %lld", (long long)id);
			memset(&ai, 0, sizeof(ai));
			err = cmd_wait_until(cl, id, 1, have_timeout, deadline,
			    NULL, &ai);
		}
		if (err == JOBQ_ETIMEDOUT) {
			fprintf(stderr, "jobq: %s: timed out waiting for %s\n",
			    cmd, what);
			break;
		}
		if (err != 0) {
			errst = cmd_worse(errst, cmd_fail_what(cmd, what, err));
			all_ok = 0;
			if (err == JOBQ_EIO || err == JOBQ_ECONNECT ||
			    err == JOBQ_ESHUTDOWN)
				break;
			continue;
		}
		if (is_array) {
			arrays++;
			if (!cmd_array_ok(&ai))
				all_ok = 0;
			if (arr != NULL)
				item = cmd_array_json(&ai);
		} else {
			if (job->state != JOBQ_STATE_SUCCEEDED)
				all_ok = 0;
			if (arr != NULL)
				item = proto_job_to_json(job);
			jobq_job_free(last);
			last = job;
		}
		if (arr != NULL && cmd_json_append(arr, item) != 0) {
			cJSON_Delete(arr);
			arr = NULL;
			errst = cmd_worse(errst, cmd_nomem(cmd));
		}
	}
	cmd_close(cl);
	if (err == JOBQ_ETIMEDOUT)
		rc = FMT_EXIT_TIMEOUT;
	else if (errst != 0)
		rc = errst;
	else if (n == 1 && arrays == 0)
		rc = fmt_job_status(last);
	else
		rc = all_ok ? 0 : FMT_EXIT_FAIL;
	if (json && arr != NULL) {
		int jrc = cmd_print_json(cmd, arr);

		if (jrc != 0 && rc == 0)
			rc = jrc;
	}
	jobq_job_free(last);
	free(refs);
	return rc;
}

int
cmd_cancel(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "cancel";
	int json = ctx->json, rc, err, errst = 0;
	char r[FMT_REF_LEN], what[FMT_REF_LEN + 8];
	jobq_client *cl = NULL;
	struct fmt_ref *refs;
	cJSON *arr;
	int64_t id;
	size_t n, i;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_refs_connect(ctx, cmd, argc, argv, json, &refs, &n, &arr,
	    &cl)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		jobq_job *job = NULL;
		jobq_array_info ai;
		cJSON *item = NULL;

		fmt_ref(&refs[i], r, sizeof(r));
		if ((rc = cmd_ref_job(cl, cmd, &refs[i], &id, NULL)) != 0) {
			errst = cmd_worse(errst, rc);
			continue;
		}
		err = jobq_cancel(cl, id, arr != NULL ? &job : NULL);
		if (err == JOBQ_EISARRAY && !refs[i].has_index) {
			memset(&ai, 0, sizeof(ai));
			err = jobq_array_cancel(cl, id, &ai);
			if (err == 0 && arr != NULL)
				item = cmd_array_json(&ai);
		} else if (err == 0 && arr != NULL && job != NULL) {
			item = proto_job_to_json(job);
		}
		jobq_job_free(job);
		if (err == JOBQ_ESTATE) {
			fprintf(stderr, "jobq: cancel %s: job has already ended\n",
			    r);
			errst = cmd_worse(errst, FMT_EXIT_FAIL);
		} else if (err != 0) {
			/* "jobq: cancel REF: reason[: detail]" */
			snprintf(what, sizeof(what), "%s %s", cmd, r);
			errst = cmd_worse(errst, cmd_fail_what(what, NULL, err));
			if (err == JOBQ_EIO || err == JOBQ_ESHUTDOWN)
				break;
		} else if (arr != NULL && cmd_json_append(arr, item) != 0) {
			cJSON_Delete(arr);
			arr = NULL;
			errst = cmd_worse(errst, cmd_nomem(cmd));
		}
	}
	cmd_close(cl);
	free(refs);
	rc = errst;
	if (json && arr != NULL) {
		int jrc = cmd_print_json(cmd, arr);

		if (jrc != 0 && rc == 0)
			rc = jrc;
	}
	return rc;
}

/* Writes all of buf to fd; 0, or -1 with errno set. */
static int
cmd_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Prints the collected output of `logs --json`; 0 or an exit status. */
static int
cmd_logs_json(const char *cmd, int64_t id, int stream, const char *data,
    size_t len)
{
	cJSON *o = cJSON_CreateObject();
	char *b64;

	if (o == NULL)
		return cmd_nomem(cmd);
	b64 = proto_b64_encode(data != NULL ? data : "", len);
	if (b64 == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)id) == NULL ||
	    cJSON_AddStringToObject(o, "stream", stream == JOBQ_STDERR ?
	    "stderr" : "stdout") == NULL ||
	    cJSON_AddNumberToObject(o, "size", (double)len) == NULL ||
	    cJSON_AddStringToObject(o, "data_base64", b64) == NULL) {
		free(b64);
		cJSON_Delete(o);
		return cmd_nomem(cmd);
	}
	free(b64);
	return cmd_print_json(cmd, o);
}

int
cmd_logs(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stderr", no_argument, NULL, CMD_OPT_STDERR },
		{ "follow", no_argument, NULL, 'f' },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "logs";
	int json = ctx->json, follow = 0, c, rc, err, done = 0;
	jobq_stream stream = JOBQ_STDOUT;
	char *buf = NULL, *acc = NULL;
	size_t nread, acclen = 0, acccap = 0;
	jobq_client *cl = NULL;
	struct fmt_ref ref;
	uint64_t offset = 0;
	int64_t id = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":hf", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_STDERR:
			stream = JOBQ_STDERR;
			break;
		case 'f':
			follow = 1;
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				return rc;
			break;
		}
	}
	if ((rc = cmd_parse_one_ref(cmd, argc, argv, &ref)) != 0)
		return rc;
	buf = malloc(CMD_LOG_CHUNK);
	if (buf == NULL)
		return cmd_nomem(cmd);
	if ((rc = cmd_connect_ref(ctx, cmd, &ref, &cl, &id, NULL)) != 0)
		goto out;
	/* Anything printed through stdio so far goes out before raw bytes. */
	if (fflush(stdout) == EOF && errno != EPIPE) {
		fprintf(stderr, "jobq: %s: write error: %s\n", cmd,
		    strerror(errno));
		rc = FMT_EXIT_FAIL;
		goto out;
	}
	for (;;) {
		err = jobq_read_output(cl, id, stream, offset, buf, CMD_LOG_CHUNK,
		    &nread, &done);
		if (err == JOBQ_EISARRAY) {
			rc = cmd_is_array_error(cmd, id);
			goto out;
		}
		if (err != 0) {
			rc = cmd_fail(cmd, id, err);
			goto out;
		}
		if (nread > 0 && json) {
			if (acclen + nread > acccap) {
				size_t ncap = acccap ? acccap : CMD_LOG_CHUNK;
				char *grown;

				while (ncap < acclen + nread)
					ncap *= 2;
				grown = realloc(acc, ncap);
				if (grown == NULL) {
					rc = cmd_nomem(cmd);
					goto out;
				}
				acc = grown;
				acccap = ncap;
			}
			memcpy(acc + acclen, buf, nread);
			acclen += nread;
		} else if (nread > 0 &&
		    cmd_write_all(STDOUT_FILENO, buf, nread) != 0) {
			if (errno == EPIPE) {
				rc = 0;   /* the reader went away: quietly done */
			} else {
				fprintf(stderr, "jobq: %s: write error: %s\n",
				    cmd, strerror(errno));
				rc = FMT_EXIT_FAIL;
			}
			goto out;
		}
		offset += nread;
		if (done)
			break;
		if (nread > 0)
			continue;
		if (!follow)
			break;
		err = jobq_wait(cl, id, 200, NULL);
		if (err != 0 && err != JOBQ_ETIMEDOUT) {
			rc = cmd_fail(cmd, id, err);
			goto out;
		}
	}
	rc = json ? cmd_logs_json(cmd, id, stream, acc, acclen) : 0;
out:
	cmd_close(cl);
	free(acc);
	free(buf);
	return rc;
}

int
cmd_ping(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "ping";
	int json = ctx->json, rc, err;
	jobq_server_info info;
	jobq_client *cl = NULL;
	char up[64];

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0 ||
	    (rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	memset(&info, 0, sizeof(info));
	err = jobq_ping(cl, &info);
	cmd_close(cl);
	if (err != 0)
		return cmd_fail(cmd, 0, err);
	info.version[sizeof(info.version) - 1] = '\0';
	if (json) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL ||
		    cJSON_AddStringToObject(o, "version", info.version) == NULL ||
		    cJSON_AddNumberToObject(o, "protocol", info.protocol) == NULL ||
		    cJSON_AddNumberToObject(o, "pid", (double)info.pid) == NULL ||
		    cJSON_AddNumberToObject(o, "uptime_ms",
		    (double)info.uptime_ms) == NULL ||
		    cJSON_AddNumberToObject(o, "workers", info.workers) == NULL) {
			cJSON_Delete(o);
			return cmd_nomem(cmd);
		}
		return cmd_print_json(cmd, o);
	}
	printf("jobqd %s (protocol %d) pid %lld up %s, %d workers\n",
	    info.version, info.protocol, (long long)info.pid,
	    fmt_duration(info.uptime_ms >= 1000 ? info.uptime_ms -
	    info.uptime_ms % 1000 : info.uptime_ms, up, sizeof(up)),
	    info.workers);
	return 0;
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
	if (fmt_parse_int(prio_arg, -CMD_MAX_PRIORITY, CMD_MAX_PRIORITY,
	    &prio) != 0)
		return cmd_usage_error(cmd, "invalid priority '%s' (expected an "
		    "integer from %d to %d)", prio_arg, -CMD_MAX_PRIORITY,
		    CMD_MAX_PRIORITY);
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

/* Prints the queues as a table. */
static int
cmd_queue_table(const char *cmd, const jobq_queue_info *qs, size_t n)
{
	const char *headers[3 + JOBQ_STATE_COUNT];
	int align[3 + JOBQ_STATE_COUNT];
	char names[JOBQ_STATE_COUNT][24];
	char nums[JOBQ_STATE_COUNT][24], par[24];
	const char *cells[3 + JOBQ_STATE_COUNT];
	struct fmt_table *t;
	size_t i, k;
	int s;

	headers[0] = "NAME";
	headers[1] = "PARALLEL";
	headers[2] = "PAUSED";
	align[0] = align[2] = FMT_LEFT;
	align[1] = FMT_RIGHT;
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		const char *nm = jobq_state_name((jobq_state)s);

		for (k = 0; nm[k] != '\0' && k + 1 < sizeof(names[s]); k++)
			names[s][k] = nm[k] >= 'a' && nm[k] <= 'z' ?
			    (char)(nm[k] - 'a' + 'A') : nm[k];
		names[s][k] = '\0';
		headers[3 + s] = names[s];
		align[3 + s] = FMT_RIGHT;
	}
	t = fmt_table_new(3 + JOBQ_STATE_COUNT, headers, align);
	for (i = 0; t != NULL && i < n; i++) {
		if (qs[i].parallel > 0)
			snprintf(par, sizeof(par), "%d", qs[i].parallel);
		else
			snprintf(par, sizeof(par), "-");
		cells[0] = qs[i].name;
		cells[1] = par;
		cells[2] = qs[i].paused ? "yes" : "no";
		for (s = 0; s < JOBQ_STATE_COUNT; s++) {
			snprintf(nums[s], sizeof(nums[s]), "%zu", qs[i].counts[s]);
			cells[3 + s] = nums[s];
		}
		cmd_table_add(&t, cells);
	}
	return cmd_table_print(cmd, t, 0);
}

/* `queue list`, or the changed queue `name` (--json after a change). */
static int
cmd_queue_print(jobq_client *cl, const char *cmd, const char *name, int json)
{
	jobq_queue_info *qs = NULL;
	cJSON *arr;
	size_t n = 0, i;
	int err, rc;

	err = jobq_queue_list(cl, &qs, &n);
	if (err != 0)
		return cmd_fail(cmd, 0, err);
	if (name != NULL) {
		for (i = 0; i < n && strcmp(qs[i].name, name) != 0; i++)
			;
		if (i == n) {
			fprintf(stderr, "jobq: %s: queue %s is not listed\n", cmd,
			    name);
			rc = FMT_EXIT_FAIL;
		} else {
			rc = cmd_print_json(cmd, cmd_queue_json(&qs[i]));
		}
	} else if (json) {
		arr = cJSON_CreateArray();
		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, cmd_queue_json(&qs[i]));
		rc = cmd_print_json(cmd, arr);
	} else {
		rc = cmd_queue_table(cmd, qs, n);
	}
	jobq_queue_list_free(qs);
	return rc;
}

int
cmd_queue(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, CMD_OPT_PARALLEL },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "queue", *sub, *q = NULL;
	int json = ctx->json, c, rc, err, nargs;
	long parallel = -1;
	jobq_client *cl = NULL;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_PARALLEL:
			if (fmt_parse_count(optarg, CMD_MAX_PARALLEL,
			    &parallel) != 0)
				return cmd_usage_error(cmd, "invalid --parallel "
				    "'%s' (expected an integer from 0 to %d)",
				    optarg, CMD_MAX_PARALLEL);
			break;
		default:
			if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
				return rc;
			break;
		}
	}
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing the queue command (list, "
		    "set, pause or resume)");
	sub = argv[optind++];
	nargs = strcmp(sub, "list") == 0 ? 0 : 1;
	if (strcmp(sub, "list") != 0 && strcmp(sub, "set") != 0 &&
	    strcmp(sub, "pause") != 0 && strcmp(sub, "resume") != 0)
		return cmd_usage_error(cmd, "unknown queue command '%s' "
		    "(expected list, set, pause or resume)", sub);
	if (argc - optind < nargs)
		return cmd_usage_error(cmd, "%s: missing the queue name", sub);
	if (argc - optind > nargs)
		return cmd_usage_error(cmd, "%s: unexpected argument '%s'", sub,
		    argv[optind + nargs]);
	if (nargs == 1) {
		q = argv[optind];
		if ((rc = cmd_check_queue(cmd, q)) != 0)
			return rc;
	}
	if (strcmp(sub, "set") == 0 && parallel < 0)
		return cmd_usage_error(cmd, "set: missing --parallel N");
	if (strcmp(sub, "set") != 0 && parallel >= 0)
		return cmd_usage_error(cmd, "%s: --parallel is only for 'queue "
		    "set'", sub);
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	if (q == NULL) {
		rc = cmd_queue_print(cl, cmd, NULL, json);
		cmd_close(cl);
		return rc;
	}
	if (strcmp(sub, "set") == 0)
		err = jobq_queue_set(cl, q, (int)parallel, -1);
	else
		err = jobq_queue_set(cl, q, -1, strcmp(sub, "pause") == 0);
	if (err != 0) {
		char what[JOBQ_MAX_NAME + 8];

		snprintf(what, sizeof(what), "queue %s", q);
		rc = cmd_fail_what(cmd, what, err);
	} else {
		rc = json ? cmd_queue_print(cl, cmd, q, json) : 0;
	}
	cmd_close(cl);
	return rc;
}

/* ---- watch ---- */

static volatile sig_atomic_t cmd_stop;

static void
cmd_on_signal(int sig)
{
	(void)sig;
	cmd_stop = 1;
}

/* A REF given to `watch`, and whether it has ended. */
struct cmd_watched {
	struct fmt_ref ref;
	int64_t id;         /* the job id, or the array id */
	int is_array;
	int ended;
};

/* Asks jobqd (on the control connection) whether w has ended: 1 or 0, or
 * a negative JOBQ_E* code. */
static int
cmd_watch_check(jobq_client *ctl, const struct cmd_watched *w)
{
	jobq_array_info ai;
	jobq_job *job = NULL;
	int err, r;

	if (w->is_array) {
		memset(&ai, 0, sizeof(ai));
		err = jobq_array_get(ctl, w->id, &ai);
		return err != 0 ? err : cmd_array_ended(&ai);
	}
	err = jobq_get(ctl, w->id, &job);
	if (err != 0)
		return err;
	r = jobq_state_is_terminal(job->state);
	jobq_job_free(job);
	return r;
}

/* The event object of jobq-protocol(7); NULL when out of memory. */
static cJSON *
cmd_event_json(const jobq_event *ev)
{
	const char *state = jobq_state_name(ev->state);
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "event", "state") == NULL ||
	    proto_add_int(o, "id", ev->id) != 0 ||
	    cJSON_AddStringToObject(o, "state", state != NULL ? state : "?") ==
	    NULL ||
	    proto_add_int(o, "time", ev->time) != 0 ||
	    cJSON_AddStringToObject(o, "queue", ev->queue) == NULL ||
	    proto_add_int(o, "attempts", ev->attempts) != 0 ||
	    (ev->exit_code >= 0 &&
	    proto_add_int(o, "exit_code", ev->exit_code) != 0) ||
	    (ev->signal > 0 && proto_add_int(o, "signal", ev->signal) != 0) ||
	    (ev->reason[0] != '\0' &&
	    cJSON_AddStringToObject(o, "reason", ev->reason) == NULL) ||
	    (ev->not_before > 0 &&
	    proto_add_int(o, "not_before", ev->not_before) != 0) ||
	    (ev->array_id != 0 &&
	    (proto_add_int(o, "array_id", ev->array_id) != 0 ||
	    proto_add_int(o, "array_index", ev->array_index) != 0))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Prints one event as a line of text or of JSON; 0, 1 when the reader went
 * away, -1 on another error (reported). */
static int
cmd_watch_print(const char *cmd, const jobq_event *ev, int json)
{
	char clock[FMT_TIME_LEN], when[FMT_TIME_LEN], sig[FMT_SIG_LEN];
	const char *state;

	if (json) {
		cJSON *o = cmd_event_json(ev);
		char *s;

		if (o == NULL || (s = cJSON_PrintUnformatted(o)) == NULL) {
			cJSON_Delete(o);
			cmd_nomem(cmd);
			return -1;
		}
		cJSON_Delete(o);
		fputs(s, stdout);
		putchar('\n');
		free(s);
		return cmd_flush(cmd);
	}
	state = jobq_state_name(ev->state);
	/* "TIME ID STATE" first, always: scripts may cut the fields. */
	printf("%s %lld %s", fmt_clock(ev->time, 1, clock, sizeof(clock)),
	    (long long)ev->id, state != NULL ? state : "?");
	if (ev->array_id != 0)
		printf(" task %lld.%lld", (long long)ev->array_id,
		    (long long)ev->array_index);
	if (ev->state == JOBQ_STATE_QUEUED && ev->not_before > 0)
		printf(" %s %s", ev->attempts > 0 ? "retry at" : "not before",
		    fmt_when(ev->not_before, ev->time, when, sizeof(when)));
	if (ev->state == JOBQ_STATE_RUNNING && ev->attempts > 1)
		printf(" attempt %d", ev->attempts);
	if (ev->exit_code >= 0)
		printf(" exit %d", ev->exit_code);
	if (ev->signal > 0)
		printf(" %s", fmt_signal_name(ev->signal, sig, sizeof(sig)));
	if (ev->reason[0] != '\0' && strcmp(ev->reason, "exit_code") != 0 &&
	    strcmp(ev->reason, "signal") != 0)
		printf(" (%s)", ev->reason);
	putchar('\n');
	return cmd_flush(cmd);
}

/* Resolves the REFs of `watch` on the control connection; 0 or a status. */
static int
cmd_watch_resolve(jobq_client *ctl, const char *cmd, struct cmd_watched *w,
    size_t n)
{
	char what[FMT_REF_LEN + 8];
	jobq_job *job = NULL;
	size_t i;
	int err, rc;

	for (i = 0; i < n; i++) {
		if (w[i].ref.has_index) {
			if ((rc = cmd_ref_job(ctl, cmd, &w[i].ref, &w[i].id,
			    NULL)) != 0)
				return rc;
			continue;
		}
		w[i].id = w[i].ref.id;
		err = jobq_get(ctl, w[i].id, &job);
		jobq_job_free(job);
		job = NULL;
		if (err == JOBQ_EISARRAY)
			w[i].is_array = 1;
		else if (err != 0)
			return cmd_fail_what(cmd, cmd_ref_what(&w[i].ref, what,
			    sizeof(what)), err);
	}
	return 0;
}

/* Re-checks the unfinished REFs that ev may have ended (ev NULL: all of
 * them); returns 1 when all have ended, 0 if not, -1 after reporting an
 * error (*rc gets the exit status). */
static int
cmd_watch_progress(jobq_client *ctl, const char *cmd, struct cmd_watched *w,
    size_t n, const jobq_event *ev, int *rc)
{
	char what[FMT_REF_LEN + 8];
	size_t i, left = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (w[i].ended)
			continue;
		if (ev == NULL || (w[i].is_array && ev->array_id == w[i].id &&
		    jobq_state_is_terminal(ev->state))) {
			r = cmd_watch_check(ctl, &w[i]);
			if (r < 0) {
				*rc = cmd_fail_what(cmd, cmd_ref_what(&w[i].ref,
				    what, sizeof(what)), r);
				return -1;
			}
			w[i].ended = r;
		} else if (!w[i].is_array && ev->id == w[i].id &&
		    jobq_state_is_terminal(ev->state)) {
			w[i].ended = 1;
		}
		if (!w[i].ended)
			left++;
	}
	return left == 0;
}

int
cmd_watch(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "watch";
	int json = ctx->json, rc = 0, err, r;
	jobq_client *ctl = NULL, *cl = NULL;
	struct cmd_watched *w = NULL;
	struct fmt_ref *refs = NULL;
	int64_t *ids = NULL;
	struct sigaction sa;
	jobq_event ev;
	size_t n = 0, i;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if (optind < argc) {
		if ((refs = cmd_parse_refs(cmd, argc, argv, &n, &rc)) == NULL)
			return rc;
		w = calloc(n, sizeof(*w));
		ids = calloc(n, sizeof(*ids));
		if (w == NULL || ids == NULL) {
			rc = cmd_nomem(cmd);
			goto out;
		}
		for (i = 0; i < n; i++)
			w[i].ref = refs[i];
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: let a blocked poll return */
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0) {
		fprintf(stderr, "jobq: %s: sigaction: %s\n", cmd, strerror(errno));
		rc = FMT_EXIT_FAIL;
		goto out;
	}
	/* A second connection answers "has it ended?" while the first one
	 * carries the events. */
	if (n > 0) {
		if ((rc = cmd_connect(ctx, cmd, &ctl)) != 0)
			goto out;
		if ((rc = cmd_watch_resolve(ctl, cmd, w, n)) != 0)
			goto out;
		for (i = 0; i < n; i++)
			ids[i] = w[i].id;
	}
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	err = jobq_watch(cl, ids, n);
	if (err != 0) {
		rc = cmd_fail(cmd, 0, err);
		goto out;
	}
	/* Whatever ended before the watch began sends no event. */
	if (n > 0) {
		cmd_client = ctl;
		r = cmd_watch_progress(ctl, cmd, w, n, NULL, &rc);
		if (r != 0) {
			if (r > 0)
				rc = 0;
			goto out;
		}
	}
	while (!cmd_stop) {
		err = jobq_watch_next(cl, &ev, 250);
		if (err == JOBQ_ETIMEDOUT)
			continue;
		if (cmd_stop)
			break;
		if (err != 0) {
			cmd_client = cl;
			rc = cmd_fail(cmd, 0, err);
			goto out;
		}
		r = cmd_watch_print(cmd, &ev, json);
		if (r != 0) {
			rc = r > 0 ? 0 : FMT_EXIT_FAIL;
			goto out;
		}
		if (n > 0 && jobq_state_is_terminal(ev.state)) {
			cmd_client = ctl;
			r = cmd_watch_progress(ctl, cmd, w, n, &ev, &rc);
			if (r != 0) {
				if (r > 0)
					rc = 0;
				goto out;
			}
		}
	}
	rc = 0;   /* interrupted: a normal end */
out:
	if (ctl != NULL)
		cmd_close(ctl);
	if (cl != NULL)
		cmd_close(cl);
	free(ids);
	free(w);
	free(refs);
	return rc;
}

/* ---- stats ---- */

/* {"window_ms",...}; NULL when out of memory. */
static cJSON *
cmd_window_json(const jobq_window_stats *ws)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    proto_add_int(o, "window_ms", ws->window_ms) != 0 ||
	    proto_add_int(o, "finished", (int64_t)ws->finished) != 0 ||
	    cJSON_AddNumberToObject(o, "per_second", ws->per_second) == NULL ||
	    cJSON_AddNumberToObject(o, "wait_mean_ms", ws->wait_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "wait_p95_ms", ws->wait_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "run_mean_ms", ws->run_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "run_p95_ms", ws->run_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "utilisation", ws->utilisation) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Moves *item into o under key; 0, or -1 (the caller still owns it). */
static int
cmd_json_put(cJSON *o, const char *key, cJSON **item)
{
	if (*item == NULL || !cJSON_AddItemToObject(o, key, *item))
		return -1;
	*item = NULL;
	return 0;
}

static cJSON *
cmd_stats_json(const jobq_stats *st)
{
	cJSON *o = cJSON_CreateObject(), *counts = cmd_counts_json(st->counts);
	cJSON *minute = cmd_window_json(&st->minute);
	cJSON *hour = cmd_window_json(&st->hour);
	cJSON *queues = cJSON_CreateArray();
	size_t i;
	int bad = o == NULL;

	for (i = 0; queues != NULL && i < st->nqueues && !bad; i++)
		bad = cmd_json_append(queues, cmd_queue_json(&st->queues[i])) != 0;
	if (bad || cmd_json_put(o, "counts", &counts) != 0 ||
	    proto_add_int(o, "workers", st->workers) != 0 ||
	    proto_add_int(o, "busy", st->busy) != 0 ||
	    cmd_json_put(o, "minute", &minute) != 0 ||
	    cmd_json_put(o, "hour", &hour) != 0 ||
	    cmd_json_put(o, "queues", &queues) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	cJSON_Delete(counts);
	cJSON_Delete(minute);
	cJSON_Delete(hour);
	cJSON_Delete(queues);
	return o;
}

/* A duration in fractional ms, rounded, for the stats table. */
static char *
cmd_ms(double ms, char *buf, size_t len)
{
	if (!(ms >= 0))   /* also NaN */
		ms = 0;
	if (ms > 9e15)
		ms = 9e15;
	return fmt_duration((int64_t)(ms + 0.5), buf, len);
}

static int
cmd_stats_print(const char *cmd, const jobq_stats *st)
{
	static const char *const headers[] = { "WINDOW", "FINISHED", "PER SEC",
		"WAIT MEAN", "WAIT P95", "RUN MEAN", "RUN P95", "UTILISATION" };
	static const int align[] = { FMT_LEFT, FMT_RIGHT, FMT_RIGHT, FMT_RIGHT,
		FMT_RIGHT, FMT_RIGHT, FMT_RIGHT, FMT_RIGHT };
	const jobq_window_stats *wins[2] = { &st->minute, &st->hour };
	static const char *const wnames[2] = { "last minute", "last hour" };
	char fin[24], ps[32], wm[32], wp[32], rm[32], rp[32], ut[32];
	struct fmt_table *t;
	size_t total = 0;
	int s, i, rc;

	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		total += st->counts[s];
	printf("jobs:     %zu", total);
	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		printf("%s%s %zu", s == 0 ? " (" : ", ",
		    jobq_state_name((jobq_state)s), st->counts[s]);
	printf(")\nworkers:  %d busy of %d\n\n", st->busy, st->workers);
	t = fmt_table_new(8, headers, align);
	for (i = 0; t != NULL && i < 2; i++) {
		const char *cells[8];

		snprintf(fin, sizeof(fin), "%llu",
		    (unsigned long long)wins[i]->finished);
		snprintf(ps, sizeof(ps), "%.2f", wins[i]->per_second);
		snprintf(ut, sizeof(ut), "%.1f%%", wins[i]->utilisation * 100);
		cells[0] = wnames[i];
		cells[1] = fin;
		cells[2] = ps;
		cells[3] = cmd_ms(wins[i]->wait_mean_ms, wm, sizeof(wm));
		cells[4] = cmd_ms(wins[i]->wait_p95_ms, wp, sizeof(wp));
		cells[5] = cmd_ms(wins[i]->run_mean_ms, rm, sizeof(rm));
		cells[6] = cmd_ms(wins[i]->run_p95_ms, rp, sizeof(rp));
		cells[7] = ut;
		cmd_table_add(&t, cells);
	}
	if ((rc = cmd_table_print(cmd, t, 0)) != 0)
		return rc;
	if (st->nqueues == 0)
		return 0;
	putchar('\n');
	return cmd_queue_table(cmd, st->queues, st->nqueues);
}

int
cmd_stats(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "stats";
	int json = ctx->json, rc, err;
	jobq_client *cl = NULL;
	jobq_stats st;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0 ||
	    (rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	memset(&st, 0, sizeof(st));
	err = jobq_get_stats(cl, &st);
	if ((rc = cmd_finish(cl, cmd, err)) != 0)
		return rc;
	if (json)
		rc = cmd_print_json(cmd, cmd_stats_json(&st));
	else
		rc = cmd_stats_print(cmd, &st);
	jobq_stats_release(&st);
	return rc;
}
