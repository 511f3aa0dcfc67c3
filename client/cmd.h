/*
 * cmd.h - the commands of the jobq command-line client, one function each
 * (defined in cmd-*.c, one file per family; what they share is in cmd.c,
 * declared in cmd-int.h).
 *
 * Every cmd_* function takes the global context and the command's own
 * arguments (argv[0] is the command name), parses its options with
 * getopt_long (handling --help and --json itself), talks to jobqd through
 * libjobq, prints its result and returns the process exit status (see
 * FMT_EXIT_* in fmt.h).  Errors are reported on stderr as
 * "jobq: <command>: <reason>".
 */
#ifndef JOBQ_CMD_H
#define JOBQ_CMD_H

#include <stdio.h>

struct cmd_ctx {
	const char *socket;   /* -s/--socket, or NULL for JOBQ_SOCKET/default */
	int json;             /* --json given before the command */
};

typedef int cmd_fn(struct cmd_ctx *ctx, int argc, char **argv);

/* --json was given: failures are reported on stdout as JSON too. */
void cmd_set_json_errors(void);

cmd_fn cmd_submit;
cmd_fn cmd_list;
cmd_fn cmd_top;
cmd_fn cmd_show;
cmd_fn cmd_wait;
cmd_fn cmd_cancel;
cmd_fn cmd_hold;
cmd_fn cmd_release;
cmd_fn cmd_edit;
cmd_fn cmd_logs;
cmd_fn cmd_ping;
cmd_fn cmd_priority;
cmd_fn cmd_retry;
cmd_fn cmd_purge;
cmd_fn cmd_queue;
cmd_fn cmd_watch;
cmd_fn cmd_stats;
cmd_fn cmd_schedule;

/* Prints the usage text of the command called `name` to out; returns 0,
 * or -1 if there is no such command. */
int cmd_help(const char *name, FILE *out);
/* After a failed write or flush of stdout (errno as it left it, or 0):
 * whether its reader went away (EPIPE, now or in an earlier write), which
 * is not an error for jobq. */
int cmd_stdout_gone(void);

#endif
