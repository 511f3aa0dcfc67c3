/*
 * jobq.c - main() of jobq(1), the command-line client of jobqd: parses the
 * global options (those before the command name), dispatches to the cmd_*
 * function of the command and maps the outcome to the exit status.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "cmd.h"
#include "fmt.h"

static const struct {
	const char *name;
	cmd_fn *fn;
	const char *summary;
} jobq_commands[] = {
	{ "submit", cmd_submit, "submit a job or an array (prints its id)" },
	{ "list", cmd_list, "list jobs" },
	{ "show", cmd_show, "show every field of a job, or an array's summary" },
	{ "wait", cmd_wait, "wait for jobs or arrays to end" },
	{ "cancel", cmd_cancel, "cancel jobs or arrays" },
	{ "logs", cmd_logs, "print the captured output of a job" },
	{ "priority", cmd_priority, "change the priority of a queued job" },
	{ "retry", cmd_retry, "queue an ended job again" },
	{ "hold", cmd_hold, "keep queued jobs from starting" },
	{ "release", cmd_release, "let held jobs start again" },
	{ "edit", cmd_edit, "change a queued job" },
	{ "purge", cmd_purge, "remove ended jobs and their output" },
	{ "queue", cmd_queue, "list queues, set their limits, pause, resume" },
	{ "schedule", cmd_schedule, "submit a job on a recurring schedule" },
	{ "watch", cmd_watch, "print job state changes as they happen" },
	{ "stats", cmd_stats, "show counts, throughput, wait and run times" },
	{ "top", cmd_top, "a live full-screen view of jobs and queues" },
	{ "ping", cmd_ping, "check that jobqd answers" },
	{ "help", NULL, "show help on jobq or on a command" },
};

#define JOBQ_NCOMMANDS (sizeof(jobq_commands) / sizeof(jobq_commands[0]))

static void
jobq_print_usage(FILE *out)
{
	size_t i;

	fputs("Usage: jobq [-s PATH] [--json] COMMAND [ARGS...]\n"
	    "       jobq -h|--help | -V|--version\n"
	    "Submit and manage jobs of the jobqd job-queue daemon.\n"
	    "\n"
	    "Commands:\n", out);
	for (i = 0; i < JOBQ_NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", jobq_commands[i].name,
		    jobq_commands[i].summary);
	fputs("\n"
	    "Global options (before the command):\n"
	    "  -s, --socket PATH  jobqd's socket (default: $JOBQ_SOCKET, else\n"
	    "                     jobq.conf's socket, else the standard per-user\n"
	    "                     or system socket)\n"
	    "      --json         print one JSON document on stdout\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\n"
	    "A job is named by its ID, a task of an array by ARRAY.INDEX (7.3); an\n"
	    "array's id alone means the whole array.  Durations: 500ms, 90s, 5m,\n"
	    "2h, 1d, 1h30m (a plain number is seconds).\n"
	    "\n"
	    "Defaults for socket, queue and color: ~/.config/jobq/jobq.conf over\n"
	    SYSCONFDIR "/jobq/jobq.conf (jobq(1), FILES).\n"
	    "\n"
	    "Run 'jobq help COMMAND' or 'jobq COMMAND --help' for the options of a\n"
	    "command.  See jobq(1).\n", out);
}

static int
jobq_usage_error(const char *fmt, const char *arg)
{
	fputs("jobq: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'jobq --help' for more information.\n", stderr);
	return FMT_EXIT_USAGE;
}

/* `jobq help [CMD]` */
static int
jobq_help(int argc, char **argv)
{
	if (argc > 2)
		return jobq_usage_error("help: unexpected argument '%s'", argv[2]);
	if (argc < 2) {
		jobq_print_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		fputs("Usage: jobq help [COMMAND]\n"
		    "Show the usage of jobq or of one command.\n", stdout);
		return 0;
	}
	if (cmd_help(argv[1], stdout) != 0)
		return jobq_usage_error("help: unknown command '%s'", argv[1]);
	return 0;
}

/* Flushes stdout; a reader that went away (EPIPE) is not an error. */
static int
jobq_finish(int rc)
{
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (cmd_stdout_gone())
			return rc;
		fprintf(stderr, "jobq: write error: %s\n",
		    errno != 0 ? strerror(errno) : "unknown error");
		return rc == 0 ? FMT_EXIT_FAIL : rc;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_ctx ctx = { NULL, 0 };
	struct sigaction sa;
	const char *name;
	size_t i;
	int c;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGPIPE, &sa, NULL) != 0) {
		fprintf(stderr, "jobq: cannot ignore SIGPIPE: %s\n",
		    strerror(errno));
		return FMT_EXIT_FAIL;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (*optarg == '\0')
				return jobq_usage_error("--socket must not be "
				    "empty%s", "");
			ctx.socket = optarg;
			break;
		case 'j':
			ctx.json = 1;
			cmd_set_json_errors();
			break;
		case 'h':
			jobq_print_usage(stdout);
			return jobq_finish(0);
		case 'V':
			printf("jobq %s\n", JOBQ_VERSION_STRING);
			return jobq_finish(0);
		case ':':
			return jobq_usage_error("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0 && optopt < 256) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return jobq_usage_error("unknown option '%s'", opt);
			}
			return jobq_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		jobq_print_usage(stderr);
		return FMT_EXIT_USAGE;
	}
	name = argv[optind];
	if (strcmp(name, "help") == 0)
		return jobq_finish(jobq_help(argc - optind, argv + optind));
	for (i = 0; i < JOBQ_NCOMMANDS; i++) {
		if (jobq_commands[i].fn != NULL &&
		    strcmp(jobq_commands[i].name, name) == 0)
			return jobq_finish(jobq_commands[i].fn(&ctx,
			    argc - optind, argv + optind));
	}
	return jobq_usage_error("unknown command '%s'", name);
}
