/*
 * cmd-int.h - what the cmd*.c files of the jobq client share, internal to
 * them (jobq.c sees cmd.h only): option values, limits and the helpers of
 * cmd.c (errors, connecting, REF resolution, JSON and table output) and
 * cmd-queue.c (queue table and JSON, also used by stats).  Helpers that
 * report return the exit status of jobq(1) (FMT_EXIT_*, 0 when fine).
 */
#ifndef JOBQ_CMD_INT_H
#define JOBQ_CMD_INT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "util.h"

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
	CMD_OPT_OUTPUT_LIMIT,
	CMD_OPT_ON_END,
	CMD_OPT_MERGE_OUTPUT,
	CMD_OPT_MERGED,
	CMD_OPT_USER,		/* ident */
	CMD_OPT_GROUP,
	/* resource limits, in proto_limits[] order */
	CMD_OPT_LIMIT_MEM,
	CMD_OPT_LIMIT_CPU,
	CMD_OPT_LIMIT_NOFILE,
	CMD_OPT_LIMIT_NPROC,
	CMD_OPT_LIMIT_CORE,
	CMD_OPT_LIMIT_NICE,
	CMD_OPT_LIMIT_CPUS,
	CMD_OPT_BATCH,		/* submit --batch */
	CMD_OPT_HOLD,		/* submit --hold; edit (cmd-edit.c) */
	CMD_OPT_SLOTS,		/* submit --slots N */
	CMD_OPT_RES,		/* submit --res NAME=N,... */
	CMD_OPT_NO_RES,		/* edit --no-res */
	CMD_OPT_EDIT_ARGV,
	CMD_OPT_DROP_AFTER,
	CMD_OPT_NO_NAME,
	CMD_OPT_HISTORY,	/* show --history */
	CMD_OPT_CRON,		/* schedule add (cmd-schedule.c) */
	CMD_OPT_EVERY,
	CMD_OPT_AT_START,
	CMD_OPT_TZ,
	CMD_OPT_OVERLAP,
	CMD_OPT_CATCH_UP,
	CMD_OPT_SCHED_OWNER,	/* schedule show|pause|...: --owner */
	CMD_OPT_EXECUTOR,	/* queue set: the executor */
	CMD_OPT_PARTITION,
	CMD_OPT_ACCOUNT,
	CMD_OPT_SLURM_OPT,
};

/* The end of every command's option table: --json, -h/--help. */
#define CMD_OPTS_COMMON \
	{ "json", no_argument, NULL, CMD_OPT_JSON }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }

/* The limits of the protocol (PROTO_MAX_*, jobq-protocol(7)) are checked
 * here too, so that a bad command line is a usage error. */

/* cmd-submit.c, for `schedule add` (cmd-schedule.c): submit's option
 * parsing with the command's own options first (handle: 0, a usage status
 * > 0, or -1 when c is not one of them), into a job template: so and x,
 * which point into the template (cmd_submit_template_free).  The options a
 * schedule's job cannot have (--batch, --wait, --array, --after, --unique,
 * --delay, --at) are usage errors.  -1 (go on: the command is
 * argv[optind..]) or an exit status (0 after --help). */
#define CMD_SUBMIT_MAX_EXTRA 16
struct cmd_submit_extra {
	const struct option *opts;   /* n of them */
	size_t n;
	int (*handle)(const char *cmd, int c, const char *arg, void *ud);
	void *ud;
};
struct cmd_submit_template {
	jobq_submit_opts so;
	jobq_submit_ext x;
	void *mem;
	const char **env;
	char *cwd;
	int json;              /* --json among the options */
};
int cmd_submit_template(struct cmd_ctx *ctx, const char *cmd, int argc,
    char **argv, const struct cmd_submit_extra *extra,
    struct cmd_submit_template *t);
void cmd_submit_template_free(struct cmd_submit_template *t);

/* cmd-batch.c: `submit --batch PATH` (- for stdin); an exit status. */
int cmd_batch(struct cmd_ctx *ctx, const char *cmd, const char *path,
    int json);

/* How a DUR operand is written, in usage texts and errors. */
#define CMD_DUR_HELP "a duration such as 500ms, 90s, 5m, 2h, 1d or 1h30m"

/* cmd.c: options and usage errors */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
int cmd_opt_common(const char *cmd, int c, char **argv, int *json);
int cmd_json_opts(const char *cmd, int argc, char **argv, int *json);
int cmd_no_operands(const char *cmd, int argc, char **argv);
int cmd_opt_duration(const char *cmd, const char *opt, const char *arg,
    int64_t max, int64_t *ms);
int cmd_check_queue(const char *cmd, const char *q);
/* cmd-submit.c: option parsers shared by submit and edit */
int cmd_opt_priority(const char *cmd, const char *arg, int64_t *v);
int cmd_opt_at(const char *cmd, const char *arg, int64_t *ms);
int cmd_opt_after(const char *cmd, const char *arg, struct fmt_after *after,
    size_t *n);
int cmd_opt_retries(const char *cmd, const char *arg, long *n);
int cmd_opt_slots(const char *cmd, const char *arg, int *slots);
/* --res SPEC's form (jobqd checks the names and counts); also: more of
 * the message's parenthesis ("" for none) */
int cmd_opt_res(const char *cmd, const char *arg, const char *also);
int cmd_check_name(const char *cmd, const char *arg);
int cmd_check_label(const char *cmd, const char *arg);

/* cmd.c: the connection and failed requests */
int cmd_connect(const struct cmd_ctx *ctx, const char *cmd, jobq_client **c);
void cmd_close(jobq_client *c);
void cmd_set_client(jobq_client *c);
int cmd_finish(jobq_client *cl, const char *cmd, int err);
int cmd_fail_what(const char *cmd, const char *what, int err);
int cmd_report(const char *cmd, const char *what, int err, const char *reason);
int cmd_report_to(const char *cmd, const char *what, int err,
    const char *reason, cJSON *arr);
cJSON *cmd_error_json(const char *cmd, const char *what, const char *code,
    const char *reason, int status);
void cmd_set_json_errors(void);
int cmd_fail(const char *cmd, int64_t id, int err);

/* Reports an allocation failure; defined here so that every caller (and
 * the static analyzer) sees that the status is not 0. */
static inline int
cmd_nomem(const char *cmd)
{
	fprintf(stderr, "jobq: %s: out of memory\n", cmd);
	return FMT_EXIT_FAIL;
}

/* cmd.c: job references (ID, A.I) */
int cmd_parse_refs(const char *cmd, int argc, char **argv,
    struct fmt_ref **refs, size_t *n);
int cmd_parse_one_ref(const char *cmd, int argc, char **argv,
    struct fmt_ref *ref);
char *cmd_ref_what(const struct fmt_ref *ref, char *buf, size_t len);
int cmd_ref_job(jobq_client *cl, const char *cmd, const struct fmt_ref *ref,
    int64_t *id, jobq_job **task);
int cmd_connect_ref(const struct cmd_ctx *ctx, const char *cmd,
    const struct fmt_ref *ref, jobq_client **cl, int64_t *id, jobq_job **task);

/* cmd.c: waiting */
int cmd_array_ok(const jobq_array_info *ai);
int cmd_wait_until(jobq_client *cl, int64_t id, int is_array,
    int have_deadline, int64_t deadline, jobq_job **job, jobq_array_info *ai);

/* cmd.c: output */
char *cmd_user_name(uint32_t uid, char *buf, size_t len);
void cmd_job_ended_note(const char *cmd, const jobq_job *job);
int cmd_flush(const char *cmd);
int cmd_print_json(const char *cmd, cJSON *doc);
int cmd_json_append(cJSON *arr, cJSON *item);
void cmd_json_push(cJSON **arr, cJSON *item);
cJSON *cmd_counts_json(const size_t counts[JOBQ_STATE_COUNT]);
cJSON *cmd_array_json(const jobq_array_info *ai);

/* What cancel, hold and release do: to one job (or task) and to a whole
 * array; estate: the reason shown for JOBQ_ESTATE (NULL: the daemon's). */
struct cmd_ref_action {
	int (*job)(jobq_client *, int64_t, jobq_job **);
	int (*array)(jobq_client *, int64_t, jobq_array_info *);
	const char *estate;
};
/* Applies a to each REF of argv (the options parsed), printing the --json
 * array when json; returns the worst exit status (cmd-jobs.c). */
int cmd_ref_apply_all(struct cmd_ctx *ctx, const char *cmd,
    const struct cmd_ref_action *a, int json, int argc, char **argv);
void cmd_table_add(struct fmt_table **t, const char *const *cells);
int cmd_table_print(const char *cmd, struct fmt_table *t, size_t width);

/* cmd-progress.c: the progress line of a wait on a terminal */
void cmd_progress_start(const int64_t *ids, size_t n);
int cmd_progress_active(void);
int cmd_progress_slice(void);
void cmd_progress_tick(jobq_client *cl);
void cmd_progress_end(void);

/* cmd-show.c: "A.I" of a task, "-" for a job that is not one */
char *cmd_task_cell(const jobq_job *j, char *buf, size_t len);

/* cmd-queue.c */
/* exec: the queues' executors (queue list), NULL: not shown (stats) */
struct proto_exec;
cJSON *cmd_queue_json(const jobq_queue_info *q, const struct proto_exec *e);
int cmd_queue_table(const char *cmd, const jobq_queue_info *qs,
    const struct proto_exec *exec, size_t n);

/* cmd-stats.c: the slots and resources in use (jobq_get_usage): lines
 * "slots: ..." and "resource: ..." (nothing from an older jobqd), or the
 * protocol's "usage" object (NULL when out of memory). */
void cmd_usage_print(const jobq_usage *u);
cJSON *cmd_usage_json(const jobq_usage *u);
/* cmd-stats.c: the Slurm controller as jobqd sees it (jobq_get_slurm, or
 * queue_list's "slurm"): the line "slurm: controller reachable, ..." or
 * "slurm: controller UNREACHABLE since TIME (ERROR), ..." (nothing when
 * not configured). */
void cmd_slurm_print(const jobq_slurm_info *si);

#endif
