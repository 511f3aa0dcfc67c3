/*
 * cmd.c - the commands of the jobq command-line client: submit, list, show,
 * wait, cancel, logs and ping, one cmd_* function each (see cmd.h), plus
 * their usage texts.  Each parses its own options with getopt_long, talks
 * to jobqd through libjobq only and returns the exit status of jobq(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
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
};

#define CMD_LOG_CHUNK (64 * 1024)

static const struct {
	const char *name;
	const char *usage;
} cmd_usages[] = {
	{ "submit",
	  "Usage: jobq submit [OPTIONS] [--] CMD [ARG...]\n"
	  "Submit a job that runs CMD with its arguments; print its id.\n"
	  "\n"
	  "  --name N       a name for the job\n"
	  "  --queue Q      the queue to put it in (default \"default\")\n"
	  "  --cwd DIR      run it in DIR (default: the current directory)\n"
	  "  --env K=V      set K to V in its environment (repeatable)\n"
	  "  --clean-env    start from an empty environment instead of the\n"
	  "                 caller's\n"
	  "  --retries N    retry up to N times (0-1000) if it fails\n"
	  "  --wait         wait for the job and exit with its status\n"
	  "  --json         print {\"id\":N} (with --wait: the job object)\n"
	  "  -h, --help     show this help\n"
	  "Options end at the first non-option word or at \"--\".\n" },
	{ "list",
	  "Usage: jobq list [--state STATE] [--queue Q] [--limit N] [--json]\n"
	  "List jobs in a table, oldest first.\n"
	  "\n"
	  "  --state STATE  only jobs in STATE (queued, running, succeeded,\n"
	  "                 failed, canceled, interrupted)\n"
	  "  --queue Q      only jobs in queue Q\n"
	  "  --limit N      only the newest N jobs (0: no limit)\n"
	  "  --json         print a JSON array of job objects\n"
	  "  -h, --help     show this help\n" },
	{ "show",
	  "Usage: jobq show ID [--json]\n"
	  "Show every field of one job.\n"
	  "\n"
	  "  --json         print the job object\n"
	  "  -h, --help     show this help\n" },
	{ "wait",
	  "Usage: jobq wait ID... [--timeout DUR] [--json]\n"
	  "Wait until each job has ended.  With one job, exit with its status;\n"
	  "with several, exit 0 if all succeeded, else 1.\n"
	  "\n"
	  "  --timeout DUR  give up after DUR in all (500ms, 90s, 5m, 2h, 1.5s;\n"
	  "                 a plain number is seconds) and exit 124\n"
	  "  --json         print a JSON array of the job objects\n"
	  "  -h, --help     show this help\n" },
	{ "cancel",
	  "Usage: jobq cancel ID... [--json]\n"
	  "Cancel each job and wait until it has ended.\n"
	  "\n"
	  "  --json         print a JSON array of the canceled job objects\n"
	  "  -h, --help     show this help\n" },
	{ "logs",
	  "Usage: jobq logs ID [--stderr] [-f|--follow] [--json]\n"
	  "Write the captured standard output of a job to standard output.\n"
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

/* The connection of this run, for the daemon's error messages. */
static jobq_client *cmd_client;

static void
cmd_close(jobq_client *c)
{
	if (c == cmd_client)
		cmd_client = NULL;
	jobq_close(c);
}

/* Reports a failed request: "jobq: CMD: [job ID: ]reason", with the
 * daemon's own message when it sent one. */
static int
cmd_fail(const char *cmd, int64_t id, int err)
{
	const char *detail = jobq_last_error(cmd_client);
	char idbuf[40] = "";

	if (id > 0)
		snprintf(idbuf, sizeof(idbuf), "job %lld: ", (long long)id);
	if (detail != NULL && *detail != '\0')
		fprintf(stderr, "jobq: %s: %s%s: %s\n", cmd, idbuf,
		    jobq_strerror(err), detail);
	else
		fprintf(stderr, "jobq: %s: %s%s\n", cmd, idbuf,
		    jobq_strerror(err));
	return fmt_err_status(err);
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

/* Adds proto_job_to_json(job) to a JSON array; 0 or -1. */
static int
cmd_json_add_job(cJSON *arr, const jobq_job *job)
{
	cJSON *o = proto_job_to_json(job);

	if (o == NULL)
		return -1;
	if (!cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -1;
	}
	return 0;
}

/* Parses the ID operands argv[optind..argc); returns a malloc'd array, or
 * NULL after reporting (*rc gets the exit status). */
static int64_t *
cmd_parse_ids(const char *cmd, int argc, char **argv, size_t *n, int *rc)
{
	int64_t *ids;
	int i;

	*n = 0;
	if (optind >= argc) {
		*rc = cmd_usage_error(cmd, "missing job ID");
		return NULL;
	}
	ids = calloc((size_t)(argc - optind), sizeof(*ids));
	if (ids == NULL) {
		*rc = cmd_nomem(cmd);
		return NULL;
	}
	for (i = optind; i < argc; i++) {
		if (fmt_parse_id(argv[i], &ids[*n]) != 0) {
			free(ids);
			*rc = cmd_usage_error(cmd, "invalid job ID '%s' (expected "
			    "a positive integer)", argv[i]);
			return NULL;
		}
		(*n)++;
	}
	return ids;
}

/*
 * The start of the commands that take several IDs: parses the IDs from
 * argv[optind..], makes the JSON array when json is set, connects.  Returns
 * 0, or an exit status after reporting (nothing left to free).
 */
static int
cmd_ids_connect(const struct cmd_ctx *ctx, const char *cmd, int argc,
    char **argv, int json, int64_t **ids, size_t *n, cJSON **arr,
    jobq_client **cl)
{
	int rc;

	*arr = NULL;
	if ((*ids = cmd_parse_ids(cmd, argc, argv, n, &rc)) == NULL)
		return rc;
	if (json && (*arr = cJSON_CreateArray()) == NULL) {
		free(*ids);
		return cmd_nomem(cmd);
	}
	if ((rc = cmd_connect(ctx, cmd, cl)) != 0) {
		cJSON_Delete(*arr);
		free(*ids);
		return rc;
	}
	return 0;
}

/* Checks a queue name as the daemon will; NULL if fine, else the reason. */
static const char *
cmd_check_queue(const char *q)
{
	size_t n = strlen(q);

	if (n == 0)
		return "must not be empty";
	if (n > JOBQ_MAX_NAME)
		return "is too long";
	if (strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != n)
		return "may only hold letters, digits, '_', '.' and '-'";
	return NULL;
}

static int64_t
cmd_now_ms(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		{ "wait", no_argument, NULL, CMD_OPT_WAIT },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "submit", *name = NULL, *queue = NULL, *cwd_opt = NULL;
	const char *why;
	char **sets = NULL, *cwd = NULL;
	const char **env = NULL;
	size_t nsets = 0;
	long retries = 0;
	int clean = 0, wait = 0, json = ctx->json, c, rc, err;
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	jobq_submit_opts so;
	struct stat st;
	int64_t id = 0;

	sets = calloc((size_t)argc, sizeof(*sets));
	if (sets == NULL)
		return cmd_nomem(cmd);
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_NAME:
			if (*optarg == '\0' || strlen(optarg) > JOBQ_MAX_NAME) {
				rc = cmd_usage_error(cmd, "--name must be 1 to %d "
				    "bytes long", JOBQ_MAX_NAME);
				goto out;
			}
			name = optarg;
			break;
		case CMD_OPT_QUEUE:
			if ((why = cmd_check_queue(optarg)) != NULL) {
				rc = cmd_usage_error(cmd, "invalid queue name "
				    "'%s': it %s", optarg, why);
				goto out;
			}
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
		case CMD_OPT_WAIT:
			wait = 1;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			rc = 0;
			goto out;
		default:
			rc = cmd_opt_error(cmd, c, argv);
			goto out;
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
	err = jobq_submit(cl, &so, &id);
	if (err != 0) {
		rc = cmd_fail(cmd, 0, err);
		goto out;
	}
	if (!json || !wait) {
		if (json)
			printf("{\"id\":%lld}\n", (long long)id);
		else
			printf("%lld\n", (long long)id);
	}
	if (!wait) {
		rc = 0;
		goto out;
	}
	if (fflush(stdout) == EOF && errno != EPIPE) {
		fprintf(stderr, "jobq: %s: write error: %s\n", cmd,
		    strerror(errno));
		rc = FMT_EXIT_FAIL;
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
	free(env);
	free(cwd);
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

/* Adds one job as a row of the list table; 0 or -1 (ENOMEM). */
static int
cmd_list_row(struct fmt_table *t, const jobq_job *j)
{
	char id[24], code[FMT_SIG_LEN], att[16], sub[FMT_TIME_LEN];
	const char *cells[8];
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
	cells[1] = jobq_state_name(j->state) != NULL ?
	    jobq_state_name(j->state) : "?";
	cells[2] = j->queue;
	cells[3] = j->name;
	cells[4] = code;
	cells[5] = att;
	cells[6] = fmt_time(j->submitted_at, 0, sub, sizeof(sub));
	cells[7] = command;
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
		{ "limit", required_argument, NULL, CMD_OPT_LIMIT },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "ID", "STATE", "QUEUE", "NAME",
		"EXIT", "ATTEMPTS", "SUBMITTED", "COMMAND" };
	static const int align[] = { FMT_RIGHT, FMT_LEFT, FMT_LEFT, FMT_LEFT,
		FMT_RIGHT, FMT_RIGHT, FMT_LEFT, FMT_LEFT };
	const char *cmd = "list", *why;
	int json = ctx->json, c, rc, err;
	jobq_filter filter = { -1, NULL, 0 };
	jobq_client *cl = NULL;
	jobq_job **jobs = NULL;
	size_t n = 0, i;
	long limit;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_STATE:
			filter.state = jobq_state_parse(optarg);
			if (filter.state < 0)
				return cmd_usage_error(cmd, "invalid state '%s' "
				    "(expected queued, running, succeeded, "
				    "failed, canceled or interrupted)", optarg);
			break;
		case CMD_OPT_QUEUE:
			if ((why = cmd_check_queue(optarg)) != NULL)
				return cmd_usage_error(cmd, "invalid queue name "
				    "'%s': it %s", optarg, why);
			filter.queue = optarg;
			break;
		case CMD_OPT_LIMIT:
			if (fmt_parse_count(optarg, LONG_MAX, &limit) != 0)
				return cmd_usage_error(cmd, "invalid --limit "
				    "'%s' (expected a non-negative integer)",
				    optarg);
			filter.limit = (size_t)limit;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	err = jobq_list(cl, &filter, &jobs, &n);
	cmd_close(cl);
	if (err != 0)
		return cmd_fail(cmd, 0, err);
	if (json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; arr != NULL && i < n; i++) {
			if (cmd_json_add_job(arr, jobs[i]) != 0) {
				cJSON_Delete(arr);
				arr = NULL;
			}
		}
		rc = cmd_print_json(cmd, arr);
	} else {
		struct fmt_table *t = fmt_table_new(8, headers, align);

		for (i = 0; t != NULL && i < n; i++) {
			if (cmd_list_row(t, jobs[i]) != 0) {
				fmt_table_free(t);
				t = NULL;
			}
		}
		if (t == NULL) {
			rc = cmd_nomem(cmd);
		} else {
			/* Write errors surface when stdout is flushed. */
			(void)fmt_table_print(t, stdout, cmd_term_width());
			fmt_table_free(t);
			rc = 0;
		}
	}
	jobq_job_list_free(jobs, n);
	return rc;
}

/* Prints the fields of a job as "key: value" lines. */
static int
cmd_show_job(const jobq_job *j)
{
	char buf[64], tbuf[FMT_TIME_LEN], sbuf[FMT_SIG_LEN];
	char *command, *pwbuf = NULL;
	struct passwd pw, *pwp = NULL;
	long pwlen = sysconf(_SC_GETPW_R_SIZE_MAX);
	int64_t end = 0;

	command = fmt_join_argv(j->argv, j->argc);
	if (command == NULL)
		return -1;
#define SHOW(k, ...) do { printf("%-12s ", k ":"); printf(__VA_ARGS__); \
	putchar('\n'); } while (0)
	SHOW("id", "%lld", (long long)j->id);
	SHOW("state", "%s", jobq_state_name(j->state) != NULL ?
	    jobq_state_name(j->state) : "?");
	SHOW("name", "%s", j->name != NULL ? j->name : "-");
	SHOW("queue", "%s", j->queue != NULL ? j->queue : "-");
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
			end = cmd_now_ms(CLOCK_REALTIME);
	}
	if (end > 0)
		SHOW("runtime", "%s", fmt_duration(end - j->started_at, buf,
		    sizeof(buf)));
	else
		SHOW("runtime", "-");
	SHOW("attempts", "%d", j->attempts);
	SHOW("max retries", "%d", j->max_retries);
	SHOW("reason", "%s", j->reason != NULL ? j->reason : "-");
	SHOW("message", "%s", j->message != NULL ? j->message : "-");
	if (j->pid > 0)
		SHOW("pid", "%lld", (long long)j->pid);
	else
		SHOW("pid", "-");
#undef SHOW
	free(command);
	return 0;
}

int
cmd_show(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "show";
	int json = ctx->json, c, rc, err;
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	int64_t *ids;
	size_t n;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if ((ids = cmd_parse_ids(cmd, argc, argv, &n, &rc)) == NULL)
		return rc;
	if (n != 1) {
		free(ids);
		return cmd_usage_error(cmd, "expected exactly one job ID");
	}
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0) {
		free(ids);
		return rc;
	}
	err = jobq_get(cl, ids[0], &job);
	cmd_close(cl);
	if (err != 0) {
		rc = cmd_fail(cmd, ids[0], err);
		free(ids);
		return rc;
	}
	free(ids);
	if (json)
		rc = cmd_print_json(cmd, proto_job_to_json(job));
	else
		rc = cmd_show_job(job) == 0 ? 0 : cmd_nomem(cmd);
	jobq_job_free(job);
	return rc;
}

/* Status of a request error for a multi-job command: the worst so far. */
static int
cmd_worse(int rc, int status)
{
	return status > rc ? status : rc;
}

int
cmd_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "wait";
	int json = ctx->json, c, rc, err = 0, have_timeout = 0;
	int errst = 0, all_ok = 1;
	int64_t timeout = 0, deadline = 0, *ids;
	jobq_client *cl = NULL;
	jobq_job *last = NULL;
	cJSON *arr = NULL;
	size_t n, i;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_TIMEOUT:
			if (fmt_parse_duration(optarg, &timeout) != 0)
				return cmd_usage_error(cmd, "invalid --timeout "
				    "'%s' (expected a duration such as 500ms, "
				    "90s, 5m, 2h or 1.5s)", optarg);
			have_timeout = 1;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if ((rc = cmd_ids_connect(ctx, cmd, argc, argv, json, &ids, &n, &arr,
	    &cl)) != 0)
		return rc;
	if (have_timeout) {
		int64_t now = cmd_now_ms(CLOCK_MONOTONIC);

		deadline = timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
	}
	for (i = 0; i < n; i++) {
		jobq_job *job = NULL;

		for (;;) {
			int tmo = -1;

			if (have_timeout) {
				int64_t rem = deadline - cmd_now_ms(CLOCK_MONOTONIC);

				if (rem < 0)
					rem = 0;
				tmo = rem > INT_MAX ? INT_MAX : (int)rem;
			}
			err = jobq_wait(cl, ids[i], tmo, &job);
			/* Deadlines beyond INT_MAX ms are waited in chunks. */
			if (err == JOBQ_ETIMEDOUT && have_timeout &&
			    cmd_now_ms(CLOCK_MONOTONIC) < deadline && tmo == INT_MAX)
				continue;
			break;
		}
		if (err == JOBQ_ETIMEDOUT) {
			fprintf(stderr, "jobq: %s: timed out waiting for job "
			    "%lld\n", cmd, (long long)ids[i]);
			break;
		}
		if (err != 0) {
			errst = cmd_worse(errst, cmd_fail(cmd, ids[i], err));
			if (err == JOBQ_EIO || err == JOBQ_ECONNECT ||
			    err == JOBQ_ESHUTDOWN)
				break;
			continue;
		}
		if (job->state != JOBQ_STATE_SUCCEEDED)
			all_ok = 0;
		if (arr != NULL && cmd_json_add_job(arr, job) != 0) {
			cJSON_Delete(arr);
			arr = NULL;
			errst = cmd_worse(errst, cmd_nomem(cmd));
		}
		jobq_job_free(last);
		last = job;
	}
	cmd_close(cl);
	if (err == JOBQ_ETIMEDOUT)
		rc = FMT_EXIT_TIMEOUT;
	else if (errst != 0)
		rc = errst;
	else if (n == 1)
		rc = fmt_job_status(last);
	else
		rc = all_ok ? 0 : FMT_EXIT_FAIL;
	if (json && arr != NULL) {
		int jrc = cmd_print_json(cmd, arr);

		if (jrc != 0 && rc == 0)
			rc = jrc;
	}
	jobq_job_free(last);
	free(ids);
	return rc;
}

int
cmd_cancel(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "cancel";
	int json = ctx->json, c, rc, err, errst = 0;
	jobq_client *cl = NULL;
	cJSON *arr = NULL;
	int64_t *ids;
	size_t n, i;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if ((rc = cmd_ids_connect(ctx, cmd, argc, argv, json, &ids, &n, &arr,
	    &cl)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		jobq_job *job = NULL;

		err = jobq_cancel(cl, ids[i], arr != NULL ? &job : NULL);
		if (err == JOBQ_ESTATE) {
			fprintf(stderr, "jobq: cancel %lld: job has already "
			    "ended\n", (long long)ids[i]);
			errst = cmd_worse(errst, FMT_EXIT_FAIL);
		} else if (err != 0) {
			fprintf(stderr, "jobq: cancel %lld: %s\n",
			    (long long)ids[i], jobq_strerror(err));
			errst = cmd_worse(errst, fmt_err_status(err));
			if (err == JOBQ_EIO || err == JOBQ_ESHUTDOWN)
				break;
		} else if (arr != NULL && job != NULL &&
		    cmd_json_add_job(arr, job) != 0) {
			cJSON_Delete(arr);
			arr = NULL;
			errst = cmd_worse(errst, cmd_nomem(cmd));
		}
		jobq_job_free(job);
	}
	cmd_close(cl);
	free(ids);
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
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "logs";
	int json = ctx->json, follow = 0, c, rc, err, done = 0;
	jobq_stream stream = JOBQ_STDOUT;
	char *buf = NULL, *acc = NULL;
	size_t n, nread, acclen = 0, acccap = 0;
	jobq_client *cl = NULL;
	uint64_t offset = 0;
	int64_t *ids, id;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":hf", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_STDERR:
			stream = JOBQ_STDERR;
			break;
		case 'f':
			follow = 1;
			break;
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if ((ids = cmd_parse_ids(cmd, argc, argv, &n, &rc)) == NULL)
		return rc;
	id = ids[0];
	free(ids);
	if (n != 1)
		return cmd_usage_error(cmd, "expected exactly one job ID");
	buf = malloc(CMD_LOG_CHUNK);
	if (buf == NULL)
		return cmd_nomem(cmd);
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
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
	static const struct option opts[] = {
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "ping";
	int json = ctx->json, c, rc, err;
	jobq_server_info info;
	jobq_client *cl = NULL;
	char up[64];

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case CMD_OPT_JSON:
			json = 1;
			break;
		case 'h':
			cmd_help(cmd, stdout);
			return 0;
		default:
			return cmd_opt_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		return cmd_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
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
