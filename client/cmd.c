/*
 * cmd.c - what the commands of the jobq command-line client share (see
 * cmd-int.h; their usage texts are cmd-help.c's): option and usage-error
 * handling, the connection to jobqd and the reporting of failed requests,
 * the resolution of job references (ID, A.I), waiting for jobs and arrays,
 * and JSON and table output.  The commands themselves live in cmd-*.c, one
 * file per family; each parses its own options with getopt_long, talks to
 * jobqd through libjobq only and returns the exit status of jobq(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "client_int.h"
#include "cfg.h"
#include "cmd-int.h"

static void cmd_report_json(const char *, const char *, const char *,
    const char *, int);

/* Prints "jobq: CMD: message" and a hint; returns the usage exit status. */
int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "jobq: %s: %s\nTry 'jobq help %s' for more "
	    "information.\n", cmd, msg, cmd);
	cmd_report_json(cmd, NULL, "usage", msg, FMT_EXIT_USAGE);
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
int
cmd_opt_common(const char *cmd, int c, char **argv, int *json)
{
	switch (c) {
	case CMD_OPT_JSON:
		*json = 1;
		cmd_set_json_errors();
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
int
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
int
cmd_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	return 0;
}

/* The connection of this run, for the daemon's error messages. */
static jobq_client *cmd_client;

void
cmd_close(jobq_client *c)
{
	if (c == cmd_client)
		cmd_client = NULL;
	jobq_close(c);
}

/* Makes c the connection whose jobqd messages cmd_fail* report (watch
 * talks to jobqd on two). */
void
cmd_set_client(jobq_client *c)
{
	cmd_client = c;
}

/* --json was given: errors go to stdout as JSON too (cmd_report). */
static int cmd_json_errors;

void
cmd_set_json_errors(void)
{
	cmd_json_errors = 1;
}

/*
 * The reason for a failed request, from the code and jobqd's message
 * (detail, NULL or "" if none), said once: jobqd's message alone when it
 * names the cause better than the code's text (no such job, wrong state,
 * permission, an array), or when it repeats that text; else "text:
 * detail".  A leading "WHAT: " in detail is dropped (the caller says it).
 */
static void
cmd_reason(int err, const char *what, const char *detail, char *buf,
    size_t len)
{
	const char *text = jobq_strerror(err);
	size_t wl = what != NULL ? strlen(what) : 0;

	if (detail != NULL && wl > 0 && strncmp(detail, what, wl) == 0 &&
	    strncmp(detail + wl, ": ", 2) == 0)
		detail += wl + 2;
	if (detail == NULL || *detail == '\0' || strcmp(detail, text) == 0)
		snprintf(buf, len, "%s", text);
	else if (err == JOBQ_ENOTFOUND || err == JOBQ_ESTATE ||
	    err == JOBQ_EPERM || err == JOBQ_EISARRAY ||
	    strstr(detail, text) != NULL)
		snprintf(buf, len, "%s", detail);
	else
		snprintf(buf, len, "%s: %s", text, detail);
}

cJSON *
cmd_error_json(const char *cmd, const char *what, const char *code,
    const char *reason, int status)
{
	cJSON *o = cJSON_CreateObject(), *e;

	if (o == NULL)
		return NULL;
	if (cJSON_AddFalseToObject(o, "ok") == NULL ||
	    cJSON_AddStringToObject(o, "command", cmd) == NULL ||
	    (what != NULL && *what != '\0' &&
	    cJSON_AddStringToObject(o, "what", what) == NULL) ||
	    (e = cJSON_AddObjectToObject(o, "error")) == NULL ||
	    cJSON_AddStringToObject(e, "code", code) == NULL ||
	    cJSON_AddStringToObject(e, "message", reason) == NULL ||
	    cJSON_AddNumberToObject(o, "status", status) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* With --json, one error object a line on stdout. */
static void
cmd_report_json(const char *cmd, const char *what, const char *code,
    const char *reason, int status)
{
	cJSON *o;
	char *text;

	if (!cmd_json_errors || (o = cmd_error_json(cmd, what, code, reason,
	    status)) == NULL)
		return;
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		printf("%s\n", text);
		free(text);
	}
	cJSON_Delete(o);
	fflush(stdout);
}

/*
 * Reports a failed request, the one way every command does:
 *   jobq: CMD: WHAT: REASON      (WHAT: "job 7", "task 7.3"; may be empty)
 * REASON from cmd_reason() unless given; with --json also an error object
 * on stdout.  Returns the exit status for err.
 */
int
cmd_report(const char *cmd, const char *what, int err, const char *reason)
{
	return cmd_report_to(cmd, what, err, reason, NULL);
}

/* The same, the JSON error object (--json) appended to arr if not NULL
 * (a command's array of results) rather than printed alone. */
int
cmd_report_to(const char *cmd, const char *what, int err, const char *reason,
    cJSON *arr)
{
	const char *detail = jobq_last_error(cmd_client);
	char buf[1024];
	cJSON *o;

	if (reason == NULL && err == JOBQ_EPERM && detail != NULL &&
	    *detail != '\0') {
		/* jobqd's message names the job, its owner and who may act */
		snprintf(buf, sizeof(buf), "%s: %s", jobq_strerror(err), detail);
		reason = buf;
		what = NULL;
	} else if (reason == NULL) {
		cmd_reason(err, what, detail, buf, sizeof(buf));
		reason = buf;
	}
	if (what != NULL && *what != '\0')
		fprintf(stderr, "jobq: %s: %s: %s\n", cmd, what, reason);
	else
		fprintf(stderr, "jobq: %s: %s\n", cmd, reason);
	if (arr == NULL)
		cmd_report_json(cmd, what, proto_errname(err), reason,
		    fmt_err_status(err));
	else if ((o = cmd_error_json(cmd, what, proto_errname(err), reason,
	    fmt_err_status(err))) != NULL && cmd_json_append(arr, o) != 0)
		cJSON_Delete(o);
	return fmt_err_status(err);
}

/* Reports a failed request about what (NULL: nothing named). */
int
cmd_fail_what(const char *cmd, const char *what, int err)
{
	return cmd_report(cmd, what, err, NULL);
}

/* The same for a job id (0: no job named). */
int
cmd_fail(const char *cmd, int64_t id, int err)
{
	char what[40] = "";

	if (id > 0)
		snprintf(what, sizeof(what), "job %lld", (long long)id);
	return cmd_fail_what(cmd, what, err);
}

/* Connects to jobqd; returns 0 or an exit status after reporting. */
int
cmd_connect(const struct cmd_ctx *ctx, const char *cmd, jobq_client **c)
{
	char path[PATH_MAX], msg[PATH_MAX + 256];
	const char *p = ctx->socket, *env = getenv("JOBQ_SOCKET");
	const char *why = NULL;
	const struct cfg *cf;
	struct stat st;
	int err, saved, serr = 0;

	/* -s, else JOBQ_SOCKET, else jobq.conf's socket (cfg.h) */
	if (p == NULL && (env == NULL || *env == '\0')) {
		if ((err = cfg_get(cmd, &cf)) != 0)
			return err;
		p = cf->socket;
	}
	err = client_connect_cli(p, c);
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
		snprintf(msg, sizeof(msg), "refusing to use the socket %s: it "
		    "or its directory belongs to another user, or others may "
		    "write to the directory", p);
		(void)cmd_report(cmd, NULL, JOBQ_ECONNECT, msg);
		return FMT_EXIT_CONNECT;
	}
	if (stat(p, &st) != 0) {
		serr = errno;
		why = serr == ENOENT ? "no such socket" : strerror(serr);
	}
	if (serr == EACCES || (serr == 0 && S_ISSOCK(st.st_mode) &&
	    (saved == EACCES || saved == EPERM))) {
		/* jobqd may well be running: the socket does not let us in */
		snprintf(msg, sizeof(msg), "permission denied: cannot connect "
		    "to jobqd's socket %s: the mode or group of the socket or "
		    "of its directory does not allow you (socket-mode and "
		    "socket-group in jobqd.conf(5))", p);
		(void)cmd_report(cmd, NULL, JOBQ_ECONNECT, msg);
		return FMT_EXIT_CONNECT;
	}
	if (why != NULL)
		;
	else if (!S_ISSOCK(st.st_mode))
		why = "not a socket";
	else if (saved == ECONNREFUSED || saved == EACCES || saved == EPERM)
		why = strerror(saved);
	else
		why = jobq_strerror(err);
	snprintf(msg, sizeof(msg), "cannot connect to jobqd at %s: %s", p,
	    why);
	(void)cmd_report(cmd, NULL, JOBQ_ECONNECT, msg);
	fprintf(stderr, "jobq: is jobqd running?  Start it with 'jobqd' (or "
	    "'systemctl [--user] start jobqd'), or name its socket with -s or "
	    "JOBQ_SOCKET.\n");
	return FMT_EXIT_CONNECT;
}

/*
 * For a job waited for that ended without an exit status of its own
 * (fmt_job_status() 125: never started, canceled, interrupted, its worker
 * lost): why, on stderr, since the status alone cannot say it:
 *   jobq: CMD: job 67: failed (spawn_failed): executing the command: ...
 */
void
cmd_job_ended_note(const char *cmd, const jobq_job *job)
{
	if (job == NULL || fmt_job_status(job) != FMT_EXIT_NOSTATUS ||
	    !jobq_state_is_terminal(job->state))
		return;
	fprintf(stderr, "jobq: %s: job %lld: %s", cmd, (long long)job->id,
	    jobq_state_name(job->state));
	if (job->reason != NULL)
		fprintf(stderr, " (%s)", job->reason);
	if (job->message != NULL && *job->message != '\0')
		fprintf(stderr, ": %s", job->message);
	fputc('\n', stderr);
}

/* The name of user uid into buf ("1234" without a passwd entry); buf. */
char *
cmd_user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];

	if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 &&
	    pwp != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

/* Prints a JSON document on stdout and frees it; 0 or an exit status. */
int
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
int
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
cJSON *
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
cJSON *
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

/* Parses the REF operands argv[optind..argc) (at least one) into *refs
 * (malloc'd, *n entries); 0, or the exit status after reporting (*refs is
 * then NULL and *n 0). */
int
cmd_parse_refs(const char *cmd, int argc, char **argv, struct fmt_ref **refs,
    size_t *n)
{
	struct fmt_ref *r;
	int i;

	*refs = NULL;
	*n = 0;
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing job ID");
	if ((r = calloc((size_t)(argc - optind), sizeof(*r))) == NULL)
		return cmd_nomem(cmd);
	for (i = optind; i < argc; i++) {
		if (fmt_parse_ref(argv[i], &r[i - optind]) != 0) {
			free(r);
			return cmd_usage_error(cmd, "invalid job reference "
			    "'%s' (expected a job ID, or ARRAY.INDEX for a "
			    "task of an array)", argv[i]);
		}
	}
	*refs = r;
	*n = (size_t)(argc - optind);
	return 0;
}

/* Parses exactly one REF operand at argv[optind]; 0 or an exit status. */
int
cmd_parse_one_ref(const char *cmd, int argc, char **argv,
    struct fmt_ref *ref)
{
	struct fmt_ref *refs;
	size_t n;
	int rc;

	if ((rc = cmd_parse_refs(cmd, argc, argv, &refs, &n)) != 0)
		return rc;
	if (n != 1) {
		free(refs);
		return cmd_usage_error(cmd, "expected exactly one job ID");
	}
	*ref = refs[0];
	free(refs);
	return 0;
}

/* "job 7" or "task 7.3" for messages. */
char *
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
int
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

/* Connects and turns ref into a job id as cmd_ref_job does; 0, or the exit
 * status after reporting (*cl is then closed and NULL). */
int
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

/* After the last request of a command: reports err (if not 0) while cl
 * still holds jobqd's message, closes cl; 0 or the exit status. */
int
cmd_finish(jobq_client *cl, const char *cmd, int err)
{
	int rc = err != 0 ? cmd_fail(cmd, 0, err) : 0;

	cmd_close(cl);
	return rc;
}

/* Adds a row to *t; when out of memory frees the table, *t = NULL. */
void
cmd_table_add(struct fmt_table **t, const char *const *cells)
{
	if (*t != NULL && fmt_table_add(*t, cells) != 0) {
		fmt_table_free(*t);
		*t = NULL;
	}
}

/* Prints t (NULL: out of memory) to stdout and frees it; 0 or a status. */
int
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
void
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
int
cmd_check_queue(const char *cmd, const char *q)
{
	const char *why;

	if ((why = proto_queue_name_check(q)) != NULL)
		return cmd_usage_error(cmd, "invalid queue name '%s': it %s", q,
		    why);
	return 0;
}

/* Checks the argument of --name; 0 or the usage status. */
int
cmd_check_name(const char *cmd, const char *arg)
{
	if (*arg == '\0' || strlen(arg) > JOBQ_MAX_NAME)
		return cmd_usage_error(cmd, "--name must be 1 to %d bytes long",
		    JOBQ_MAX_NAME);
	return 0;
}

/* Checks the argument of --label; 0 or the usage status. */
int
cmd_check_label(const char *cmd, const char *arg)
{
	if (fmt_parse_label(arg) != 0)
		return cmd_usage_error(cmd, "invalid --label '%s' (expected K=V "
		    "with a non-empty K, at most %d bytes)", arg, JOBQ_MAX_LABEL);
	return 0;
}

int
cmd_stdout_gone(void)
{
	struct pollfd pfd;

	if (errno == EPIPE)
		return 1;
	if (errno != 0)
		return 0;
	/* the EPIPE came from an earlier write of the stream (its errno is
	 * lost): a pipe or socket whose reader has gone polls POLLERR */
	pfd.fd = STDOUT_FILENO;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP));
}

/* Flushes stdout; 0, or 1 if the reader went away (EPIPE), or -1 on
 * another write error (reported). */
int
cmd_flush(const char *cmd)
{
	errno = 0;
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (cmd_stdout_gone())
		return 1;
	fprintf(stderr, "jobq: %s: write error: %s\n", cmd,
	    errno != 0 ? strerror(errno) : "unknown error");
	return -1;
}

/* Whether every task of an array succeeded. */
int
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
int
cmd_wait_until(jobq_client *cl, int64_t id, int is_array, int have_deadline,
    int64_t deadline, jobq_job **job, jobq_array_info *ai)
{
	int err, sliced;

	for (;;) {
		int tmo = -1;

		if (have_deadline) {
			int64_t rem = deadline - util_mono_ms();

			if (rem < 0)
				rem = 0;
			tmo = rem > INT_MAX ? INT_MAX : (int)rem;
		}
		/* with a progress line: waits in slices, redrawing between */
		sliced = cmd_progress_active() && (tmo < 0 ||
		    tmo > cmd_progress_slice());
		if (sliced) {
			cmd_progress_tick(cl);
			tmo = cmd_progress_slice();
		}
		if (is_array)
			err = jobq_array_wait(cl, id, tmo, ai);
		else
			err = jobq_wait(cl, id, tmo, job);
		if (err == JOBQ_ETIMEDOUT && (sliced || (have_deadline &&
		    tmo == INT_MAX)) && (!have_deadline ||
		    util_mono_ms() < deadline))
			continue;
		return err;
	}
}

/* Parses a DUR option argument; 0 or the usage exit status. */
int
cmd_opt_duration(const char *cmd, const char *opt, const char *arg,
    int64_t max, int64_t *ms)
{
	char buf[40];

	if (util_parse_duration_ms(arg, ms) != 0)
		return cmd_usage_error(cmd, "invalid %s '%s' (expected "
		    CMD_DUR_HELP "; a plain number is seconds)", opt, arg);
	if (max > 0 && *ms > max)
		return cmd_usage_error(cmd, "%s '%s' is too long (at most %s)", opt,
		    arg, fmt_duration(max, buf, sizeof(buf)));
	return 0;
}
