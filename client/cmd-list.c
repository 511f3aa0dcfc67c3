/*
 * cmd-list.c - `jobq list`: the jobs a filter selects, as a table fitted
 * to the terminal or as a JSON array.
 *
 * On a terminal (stdout a tty, no --json) the view is for a person: the
 * newest CMD_LIST_TTY_LIMIT jobs, newest first, with a footer saying how
 * many more match; times relative ("3m ago"); states in colour unless
 * NO_COLOR is set or TERM is dumb (--color overrides); columns hidden or
 * narrowed, never wrapped, to fit the width (fmt_table.c).  Elsewhere the
 * output is for programs: every job that matches, oldest first, absolute
 * times, no colour, no width limit.  Columns come from a table
 * (cmd_list_cols): -o/--columns names them; by default TASK, USER and NAME
 * show only when some job has one.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cfg.h"
#include "cmd-int.h"

#define CMD_STATES "queued, held, running, succeeded, failed, canceled, " \
	"interrupted, timed_out"
#define CMD_LIST_TTY_LIMIT 50	/* the jobs a terminal shows by default */
#define CMD_LIST_MAXCOLS 24

enum cmd_list_col {
	COL_ID, COL_TASK, COL_STATE, COL_QUEUE, COL_USER, COL_NAME,
	COL_PRIORITY, COL_EXIT, COL_ATTEMPTS, COL_SUBMITTED, COL_STARTED,
	COL_ENDED, COL_RUNTIME, COL_PID, COL_SLOTS, COL_RES, COL_EXECUTOR,
	COL_SLURM_ID, COL_COMMAND,
	COL_COUNT
};

/* Every column: its name (for -o and --sort), alignment, drop rank on a
 * narrow terminal (0: kept) and the width it may narrow to (0: none). */
static const struct cmd_list_coldef {
	const char *name;
	int align, drop;
	size_t minw;
} cmd_list_cols[COL_COUNT] = {
	[COL_ID] =		{ "ID",		FMT_RIGHT, 0, 0 },
	[COL_TASK] =		{ "TASK",	FMT_LEFT,  3, 0 },
	[COL_STATE] =		{ "STATE",	FMT_LEFT,  0, 0 },
	[COL_QUEUE] =		{ "QUEUE",	FMT_LEFT,  2, 8 },
	[COL_USER] =		{ "USER",	FMT_LEFT,  1, 8 },
	[COL_NAME] =		{ "NAME",	FMT_LEFT,  0, 8 },
	[COL_PRIORITY] =	{ "PRIORITY",	FMT_RIGHT, 5, 0 },
	[COL_EXIT] =		{ "EXIT",	FMT_RIGHT, 4, 0 },
	[COL_ATTEMPTS] =	{ "ATTEMPTS",	FMT_RIGHT, 6, 0 },
	[COL_SUBMITTED] =	{ "SUBMITTED",	FMT_LEFT,  5, 0 },
	[COL_STARTED] =		{ "STARTED",	FMT_LEFT,  5, 0 },
	[COL_ENDED] =		{ "ENDED",	FMT_LEFT,  5, 0 },
	[COL_RUNTIME] =		{ "RUNTIME",	FMT_RIGHT, 4, 0 },
	[COL_PID] =		{ "PID",	FMT_RIGHT, 5, 0 },
	[COL_SLOTS] =		{ "SLOTS",	FMT_RIGHT, 5, 0 },
	[COL_RES] =		{ "RES",	FMT_LEFT,  5, 8 },
	[COL_EXECUTOR] =	{ "EXECUTOR",	FMT_LEFT,  5, 0 },
	[COL_SLURM_ID] =	{ "SLURM_ID",	FMT_RIGHT, 5, 0 },
	[COL_COMMAND] =		{ "COMMAND",	FMT_LEFT,  0, 24 },
};

/* What the command line asked for. */
struct cmd_list_args {
	jobq_list_opts q;
	jobq_list_ext x;		/* --schedule */
	const char **labels;
	int json, all, reverse, color;	/* color: -1 auto, 0 never, 1 always */
	int have_limit, sort;		/* sort: a column, -1 = none */
	enum cmd_list_col cols[CMD_LIST_MAXCOLS];
	size_t ncols;			/* 0: the default columns */
	int held;			/* --state held: 1, held only; 2,
					   queued given too (all queued) */
};

/* What the output looks like. */
struct cmd_list_view {
	int tty, color, relative;
	size_t width;
	int64_t now;
};

/* Columns of the terminal when stdout is one, else 0 (no limit). */
static size_t
cmd_list_width(void)
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

/* The column named name (any case), or -1. */
static int
cmd_list_col_find(const char *name, size_t len)
{
	int c;

	for (c = 0; c < COL_COUNT; c++)
		if (strlen(cmd_list_cols[c].name) == len &&
		    strncasecmp(cmd_list_cols[c].name, name, len) == 0)
			return c;
	return -1;
}

/* "id, task, ..." for error messages. */
static const char *
cmd_list_col_names(void)
{
	static char buf[256];
	size_t off = 0;
	int c, i;

	if (buf[0] != '\0')
		return buf;
	for (c = 0; c < COL_COUNT; c++) {
		for (i = 0; cmd_list_cols[c].name[i] != '\0' &&
		    off + 3 < sizeof(buf); i++)
			buf[off++] = (char)tolower(
			    (unsigned char)cmd_list_cols[c].name[i]);
		if (c + 1 < COL_COUNT && off + 3 < sizeof(buf)) {
			buf[off++] = ',';
			buf[off++] = ' ';
		}
	}
	buf[off] = '\0';
	return buf;
}

/* -o/--columns LIST: appends to a->cols; 0 or the usage status. */
static int
cmd_list_opt_cols(const char *cmd, const char *arg, struct cmd_list_args *a)
{
	const char *p = arg, *e;
	int c;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((c = cmd_list_col_find(p, (size_t)(e - p))) < 0)
			return cmd_usage_error(cmd, "unknown column '%.*s' in "
			    "'%s' (columns: %s)", (int)(e - p), p, arg,
			    cmd_list_col_names());
		if (a->ncols == CMD_LIST_MAXCOLS)
			return cmd_usage_error(cmd, "more than %d columns",
			    CMD_LIST_MAXCOLS);
		a->cols[a->ncols++] = (enum cmd_list_col)c;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* --state LIST (comma-separated; repeated options add up).  "held" is
 * not a state: it selects the queued jobs on hold (*held), filtered here
 * from the queued ones jobqd sends. */
static int
cmd_list_opt_states(const char *cmd, const char *arg, unsigned *states,
    int *held)
{
	char name[32];
	const char *p = arg, *e;
	int st;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		st = -1;
		if ((size_t)(e - p) < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
			st = jobq_state_parse(name);
			if (strcmp(name, "held") == 0) {
				st = JOBQ_STATE_QUEUED;
				if (*held == 0)
					*held = (*states &
					    JOBQ_STATE_BIT(st)) ? 2 : 1;
			} else if (st == JOBQ_STATE_QUEUED && *held == 1)
				*held = 2;
		}
		if (st < 0)
			return cmd_usage_error(cmd, "invalid state '%.*s' "
			    "(expected " CMD_STATES ", or several joined by "
			    "commas)", (int)(e - p), p);
		*states |= JOBQ_STATE_BIT(st);
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* --user NAME|UID. */
static int
cmd_list_opt_user(const char *cmd, const char *arg, int64_t *uid)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int64_t v;

	if (fmt_parse_int(arg, 0, (int64_t)UINT32_MAX - 1, &v) == 0) {
		*uid = v;
		return 0;
	}
	if (getpwnam_r(arg, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return cmd_usage_error(cmd, "invalid --user '%s': no such user",
		    arg);
	*uid = (int64_t)pw.pw_uid;
	return 0;
}

enum {
	CMD_OPT_ALL = 1000, CMD_OPT_SORT, CMD_OPT_REVERSE, CMD_OPT_COLOR,
	CMD_OPT_OWNER, CMD_OPT_SCHEDULE
};

/* One option of `list` into a: 0, the usage status, or -1 when c is not
 * one of list's own. */
static int
cmd_list_opt(const char *cmd, int c, const char *arg, struct cmd_list_args *a,
    size_t *nlabels)
{
	long limit;
	int rc;

	switch (c) {
	case CMD_OPT_STATE:
		return cmd_list_opt_states(cmd, arg, &a->q.states, &a->held);
	case CMD_OPT_QUEUE:
		a->q.queue = arg;
		return cmd_check_queue(cmd, arg);
	case CMD_OPT_NAME:
		a->q.name = arg;
		return cmd_check_name(cmd, arg);
	case CMD_OPT_LABEL:
		if ((rc = cmd_check_label(cmd, arg)) != 0)
			return rc;
		a->labels[(*nlabels)++] = arg;
		return 0;
	case CMD_OPT_ARRAY:
		if (fmt_parse_id(arg, &a->q.array_id) != 0)
			return cmd_usage_error(cmd, "invalid --array '%s' "
			    "(expected an array id)", arg);
		return 0;
	case CMD_OPT_LIMIT:
		if (fmt_parse_count(arg, LONG_MAX, &limit) != 0)
			return cmd_usage_error(cmd, "invalid --limit '%s' "
			    "(expected a non-negative integer)", arg);
		a->q.limit = (size_t)limit;
		a->have_limit = 1;
		return 0;
	case CMD_OPT_ALL:
		a->all = 1;
		return 0;
	case CMD_OPT_OWNER:
		return cmd_list_opt_user(cmd, arg, &a->q.owner_uid);
	case CMD_OPT_SCHEDULE:
		if (!proto_queue_name_ok(arg))
			return cmd_usage_error(cmd, "invalid --schedule '%s' "
			    "(expected a schedule name: letters, digits, '_', "
			    "'.' and '-')", arg);
		a->x.schedule = arg;
		return 0;
	case CMD_OPT_SORT:
		if ((a->sort = cmd_list_col_find(arg, strlen(arg))) < 0 ||
		    a->sort == COL_COMMAND)
			return cmd_usage_error(cmd, "invalid --sort '%s' "
			    "(expected a column but command: %s)", arg,
			    cmd_list_col_names());
		return 0;
	case CMD_OPT_REVERSE:
		a->reverse = 1;
		return 0;
	case 'o':
		return cmd_list_opt_cols(cmd, arg, a);
	case CMD_OPT_COLOR:
		if (arg == NULL || strcmp(arg, "always") == 0)
			a->color = 1;
		else if (strcmp(arg, "never") == 0)
			a->color = 0;
		else if (strcmp(arg, "auto") == 0)
			a->color = -1;
		else
			return cmd_usage_error(cmd, "invalid --color '%s' "
			    "(expected auto, always or never)", arg);
		return 0;
	default:
		return -1;
	}
}

/* ---- cells ---- */

/* The SGR colour of a state. */
static const char *
cmd_list_state_color(jobq_state st)
{
	switch (st) {
	case JOBQ_STATE_RUNNING:	return "1;34";
	case JOBQ_STATE_SUCCEEDED:	return "32";
	case JOBQ_STATE_FAILED:		return "1;31";
	case JOBQ_STATE_TIMED_OUT:	return "31";
	case JOBQ_STATE_CANCELED:	return "33";
	case JOBQ_STATE_INTERRUPTED:	return "35";
	default:			return NULL;
	}
}

/* A time cell: relative on a terminal, else absolute; "-" for none. */
static char *
cmd_list_time(const struct cmd_list_view *v, int64_t t, char *buf,
    size_t len)
{
	if (t <= 0)
		snprintf(buf, len, "-");
	else if (v->relative)
		fmt_ago(t, v->now, buf, len);
	else
		fmt_time(t, 0, buf, len);
	return buf;
}

/* The state, with a queued job's start time when it is ahead. */
static char *
cmd_list_state(const struct cmd_list_view *v, const jobq_job *j, char *buf,
    size_t len)
{
	const char *name = jobq_state_name(j->state);
	char when[FMT_TIME_LEN];

	if (name == NULL)
		name = "?";
	if (j->held)
		snprintf(buf, len, "held");
	else if (j->state == JOBQ_STATE_QUEUED && j->not_before > v->now) {
		if (v->relative)
			snprintf(buf, len, "%s (%s)", name,
			    fmt_ago(j->not_before, v->now, when, sizeof(when)));
		else
			snprintf(buf, len, "%s until %s", name,
			    fmt_when(j->not_before, v->now, when, sizeof(when)));
	} else
		snprintf(buf, len, "%s", name);
	return buf;
}

/* How long the job ran (runs, if running); -1 if it never started. */
static int64_t
cmd_list_runtime(const jobq_job *j, int64_t now)
{
	if (j->started_at <= 0)
		return -1;
	if (j->state == JOBQ_STATE_RUNNING)
		return now > j->started_at ? now - j->started_at : 0;
	if (j->finished_at >= j->started_at)
		return j->finished_at - j->started_at;
	return -1;
}

/* Column c of job j into buf (or *cmdp, malloc'd, for COMMAND); NULL on
 * ENOMEM.  Of a limited job (another user's, jobqd.conf(5)) only the id,
 * state, queue, user and times are known. */
static const char *
cmd_list_cell(const struct cmd_list_view *v, const jobq_job *j,
    enum cmd_list_col c, char *buf, size_t len, char **cmdp)
{
	int64_t rt;

	switch (c) {
	case COL_ID:
		snprintf(buf, len, "%lld", (long long)j->id);
		return buf;
	case COL_TASK:
		return cmd_task_cell(j, buf, len);
	case COL_STATE:
		return cmd_list_state(v, j, buf, len);
	case COL_QUEUE:
		return j->queue;
	case COL_USER:
		return cmd_user_name(j->owner_uid, buf, len);
	case COL_NAME:
		return j->name != NULL ? j->name : "-";
	case COL_PRIORITY:
		snprintf(buf, len, "%d", j->priority);
		return j->limited ? "-" : buf;
	case COL_EXIT:
		if (j->limited || (j->exit_code < 0 && j->signal <= 0))
			return "-";
		if (j->exit_code >= 0)
			snprintf(buf, len, "%d", j->exit_code);
		else
			fmt_signal_name(j->signal, buf, len);
		return buf;
	case COL_ATTEMPTS:
		snprintf(buf, len, "%d", j->attempts);
		return j->limited ? "-" : buf;
	case COL_SUBMITTED:
		return cmd_list_time(v, j->submitted_at, buf, len);
	case COL_STARTED:
		return cmd_list_time(v, j->started_at, buf, len);
	case COL_ENDED:
		return cmd_list_time(v, j->finished_at, buf, len);
	case COL_RUNTIME:
		if ((rt = cmd_list_runtime(j, v->now)) < 0)
			return "-";
		return fmt_duration(rt, buf, len);
	case COL_PID:
		if (j->pid <= 0)
			return "-";
		snprintf(buf, len, "%lld", (long long)j->pid);
		return buf;
	case COL_SLOTS:
		snprintf(buf, len, "%d", j->slots > 0 ? j->slots : 1);
		return j->limited ? "-" : buf;
	case COL_RES:
		/* what a running job holds, else what it asks */
		if (j->state == JOBQ_STATE_RUNNING && j->res_given != NULL)
			return j->res_given;
		return j->res != NULL ? j->res : "-";
	case COL_EXECUTOR:
		/* where its current or last run went; "-": never claimed */
		if (j->executor[0] != '\0')
			return j->executor;
		return j->limited || j->attempts == 0 ? "-" : "local";
	case COL_SLURM_ID:
		if (j->slurm_id <= 0)
			return "-";
		snprintf(buf, len, "%lld", (long long)j->slurm_id);
		return buf;
	case COL_COMMAND:
	default:
		*cmdp = j->limited ? strdup("(another user's job)") :
		    fmt_join_argv(j->argv, j->argc);
		return *cmdp;
	}
}

/* ---- order ---- */

static enum cmd_list_col cmd_list_sort_col;
static int64_t cmd_list_sort_now;

static int
cmd_list_cmp_int(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int
cmd_list_cmp_str(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* qsort's order for --sort: the column's value, then the id. */
static int
cmd_list_cmp(const void *pa, const void *pb)
{
	const jobq_job *a = *(const jobq_job *const *)pa;
	const jobq_job *b = *(const jobq_job *const *)pb;
	int r = 0;

	switch (cmd_list_sort_col) {
	case COL_TASK:
		r = cmd_list_cmp_int(a->array_id, b->array_id);
		if (r == 0)
			r = cmd_list_cmp_int(a->array_index, b->array_index);
		break;
	case COL_STATE:
		r = cmd_list_cmp_str(jobq_state_name(a->state),
		    jobq_state_name(b->state));
		break;
	case COL_QUEUE:	r = cmd_list_cmp_str(a->queue, b->queue); break;
	case COL_USER:	r = cmd_list_cmp_int(a->owner_uid, b->owner_uid); break;
	case COL_NAME:	r = cmd_list_cmp_str(a->name, b->name); break;
	case COL_PRIORITY: r = cmd_list_cmp_int(a->priority, b->priority); break;
	case COL_EXIT:
		r = cmd_list_cmp_int(a->exit_code >= 0 ? a->exit_code :
		    a->signal > 0 ? 128 + a->signal : -1, b->exit_code >= 0 ?
		    b->exit_code : b->signal > 0 ? 128 + b->signal : -1);
		break;
	case COL_ATTEMPTS: r = cmd_list_cmp_int(a->attempts, b->attempts); break;
	case COL_SUBMITTED:
		r = cmd_list_cmp_int(a->submitted_at, b->submitted_at);
		break;
	case COL_STARTED:
		r = cmd_list_cmp_int(a->started_at, b->started_at);
		break;
	case COL_ENDED:
		r = cmd_list_cmp_int(a->finished_at, b->finished_at);
		break;
	case COL_RUNTIME:
		r = cmd_list_cmp_int(cmd_list_runtime(a, cmd_list_sort_now),
		    cmd_list_runtime(b, cmd_list_sort_now));
		break;
	case COL_PID:	r = cmd_list_cmp_int(a->pid, b->pid); break;
	case COL_SLOTS:	r = cmd_list_cmp_int(a->slots, b->slots); break;
	case COL_RES:	r = cmd_list_cmp_str(a->res, b->res); break;
	case COL_EXECUTOR:
		r = cmd_list_cmp_str(a->executor, b->executor);
		break;
	case COL_SLURM_ID:
		r = cmd_list_cmp_int(a->slurm_id, b->slurm_id);
		break;
	default:
		break;
	}
	return r != 0 ? r : cmd_list_cmp_int(a->id, b->id);
}

/* Puts the jobs (ascending ids from the daemon) in the order asked for:
 * by --sort, else newest first on a terminal; --reverse turns it round. */
static void
cmd_list_order(const struct cmd_list_args *a, const struct cmd_list_view *v,
    jobq_job **jobs, size_t n)
{
	int desc = v->tty && !a->json && a->sort < 0;
	size_t i;
	jobq_job *t;

	if (a->sort >= 0) {
		cmd_list_sort_col = (enum cmd_list_col)a->sort;
		cmd_list_sort_now = v->now;
		qsort(jobs, n, sizeof(*jobs), cmd_list_cmp);
	}
	if (desc != a->reverse)
		for (i = 0; i < n / 2; i++) {
			t = jobs[i];
			jobs[i] = jobs[n - 1 - i];
			jobs[n - 1 - i] = t;
		}
}

/* ---- output ---- */

/* The default columns: TASK, USER and NAME only if some job has one. */
static size_t
cmd_list_default_cols(jobq_job *const *jobs, size_t n, enum cmd_list_col *cols)
{
	int task = 0, user = 0, name = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		task |= jobs[i]->array_id != 0;
		user |= jobs[i]->owner_uid != (uint32_t)getuid();
		name |= jobs[i]->name != NULL;
	}
	cols[k++] = COL_ID;
	if (task)
		cols[k++] = COL_TASK;
	cols[k++] = COL_STATE;
	cols[k++] = COL_QUEUE;
	if (user)
		cols[k++] = COL_USER;
	if (name)
		cols[k++] = COL_NAME;
	cols[k++] = COL_EXIT;
	cols[k++] = COL_ATTEMPTS;
	cols[k++] = COL_SUBMITTED;
	cols[k++] = COL_COMMAND;
	return k;
}

/* The table of jobs; 0 or an exit status. */
static int
cmd_list_table(const char *cmd, const struct cmd_list_args *a,
    const struct cmd_list_view *v, jobq_job *const *jobs, size_t n)
{
	enum cmd_list_col defcols[CMD_LIST_MAXCOLS];
	const enum cmd_list_col *cols = a->cols;
	const char *hdr[CMD_LIST_MAXCOLS], *cells[CMD_LIST_MAXCOLS];
	const char *styles[CMD_LIST_MAXCOLS];
	char bufs[CMD_LIST_MAXCOLS][64];
	char *cmds[CMD_LIST_MAXCOLS];
	int align[CMD_LIST_MAXCOLS], fail = 0;
	struct fmt_table *t;
	size_t i, c, ncols = a->ncols;

	if (ncols == 0) {
		ncols = cmd_list_default_cols(jobs, n, defcols);
		cols = defcols;
	}
	for (c = 0; c < ncols; c++) {
		hdr[c] = cmd_list_cols[cols[c]].name;
		align[c] = cmd_list_cols[cols[c]].align;
	}
	if ((t = fmt_table_new(ncols, hdr, align)) == NULL)
		return cmd_nomem(cmd);
	for (c = 0; c < ncols; c++)
		fmt_table_col(t, c, a->ncols > 0 ? 0 :
		    cmd_list_cols[cols[c]].drop, cmd_list_cols[cols[c]].minw);
	for (i = 0; !fail && i < n; i++) {
		for (c = 0; c < ncols; c++) {
			cmds[c] = NULL;
			cells[c] = cmd_list_cell(v, jobs[i], cols[c], bufs[c],
			    sizeof(bufs[c]), &cmds[c]);
			styles[c] = cols[c] == COL_STATE ?
			    cmd_list_state_color(jobs[i]->state) : NULL;
			fail |= cells[c] == NULL;
		}
		if (!fail && fmt_table_add_styled(t, cells, styles) != 0)
			fail = 1;
		for (c = 0; c < ncols; c++)
			free(cmds[c]);
	}
	if (fail) {
		fmt_table_free(t);
		return cmd_nomem(cmd);
	}
	/* Write errors surface when stdout is flushed. */
	(void)fmt_table_print_color(t, stdout, v->width, v->color);
	fmt_table_free(t);
	return 0;
}

/* The last line on a terminal when more jobs match than are shown, as
 * short as the width asks. */
static void
cmd_list_footer(const struct cmd_list_view *v, size_t n, size_t total)
{
	char line[160];
	int len;

	len = snprintf(line, sizeof(line), "(%zu of %zu jobs shown; --all or "
	    "--limit N for more)", n, total);
	if (v->width > 0 && (size_t)len > v->width)
		len = snprintf(line, sizeof(line), "(%zu of %zu jobs shown)", n,
		    total);
	if (v->width > 0 && (size_t)len > v->width)
		line[v->width] = '\0';
	printf("%s\n", line);
}

/* Colour on a terminal unless NO_COLOR (any value but empty) or a dumb
 * terminal says otherwise; --color decides if given, then NO_COLOR, then
 * jobq.conf's color (cfg.h).  1 or 0, or -2 - an exit status (reported)
 * when jobq.conf is bad. */
static int
cmd_list_color(const char *cmd, int opt, int tty)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	const struct cfg *cf;
	int rc;

	if (opt >= 0)
		return opt;
	if (nc != NULL && *nc != '\0')
		return 0;
	if ((rc = cfg_get(cmd, &cf)) != 0)
		return -2 - rc;
	if (cf->color == CFG_COLOR_NEVER || cf->color == CFG_COLOR_ALWAYS)
		return cf->color == CFG_COLOR_ALWAYS;
	return tty && (term == NULL || strcmp(term, "dumb") != 0);
}

/* --state held (without queued): keeps the held jobs among the queued ones,
 * the newest `limit` of them (0: all); the others are freed. */
static void
cmd_list_held(jobq_job **jobs, size_t *n, size_t *total, size_t limit)
{
	size_t i, k = 0, kept, skip, matching;

	for (i = 0; i < *n; i++)
		if (jobs[i]->state != JOBQ_STATE_QUEUED || jobs[i]->held)
			k++;
	matching = k;
	kept = limit > 0 && k > limit ? limit : k;
	skip = k - kept;	/* the oldest: ascending ids */
	k = 0;
	for (i = 0; i < *n; i++) {
		if (jobs[i]->state == JOBQ_STATE_QUEUED && !jobs[i]->held) {
			jobq_job_free(jobs[i]);
			continue;
		}
		if (skip > 0) {
			skip--;
			jobq_job_free(jobs[i]);
			continue;
		}
		jobs[k++] = jobs[i];
	}
	*total = matching;
	*n = k;
	if (jobs != NULL)
		jobs[k] = NULL;	/* the list stays NULL-terminated */
}

/* Asks for the jobs and prints them; an exit status. */
static int
cmd_list_run(struct cmd_ctx *ctx, const char *cmd, struct cmd_list_args *a)
{
	struct cmd_list_view v;
	jobq_client *cl = NULL;
	jobq_job **jobs = NULL;
	cJSON *arr;
	size_t n = 0, total = 0, i, limit;
	int err, rc;

	memset(&v, 0, sizeof(v));
	v.tty = isatty(STDOUT_FILENO) && !a->json;
	v.relative = v.tty;
	v.color = a->json ? 0 : cmd_list_color(cmd, a->color, v.tty);
	if (v.color < 0)
		return -2 - v.color;
	v.width = a->json ? 0 : cmd_list_width();
	if (a->all)
		a->q.limit = 0;
	else if (!a->have_limit && v.tty)
		a->q.limit = CMD_LIST_TTY_LIMIT;
	limit = a->q.limit;
	if (a->held == 1)
		a->q.limit = 0;	/* the limit counts held jobs: below */
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	a->x.size = sizeof(a->x);
	err = jobq_list_x(cl, &a->q, &a->x, &jobs, &n, v.tty ? &total : NULL);
	if ((rc = cmd_finish(cl, cmd, err)) != 0)
		return rc;
	if (a->held == 1)
		cmd_list_held(jobs, &n, &total, limit);
	v.now = util_now_ms();
	cmd_list_order(a, &v, jobs, n);
	if (a->json) {
		arr = cJSON_CreateArray();
		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, proto_job_to_json(jobs[i]));
		rc = cmd_print_json(cmd, arr);
	} else {
		rc = cmd_list_table(cmd, a, &v, jobs, n);
		if (rc == 0 && v.tty && total > n)
			cmd_list_footer(&v, n, total);
	}
	jobq_job_list_free(jobs, n);
	return rc;
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
		{ "user", required_argument, NULL, CMD_OPT_OWNER },
		{ "schedule", required_argument, NULL, CMD_OPT_SCHEDULE },
		{ "limit", required_argument, NULL, CMD_OPT_LIMIT },
		{ "all", no_argument, NULL, CMD_OPT_ALL },
		{ "sort", required_argument, NULL, CMD_OPT_SORT },
		{ "reverse", no_argument, NULL, CMD_OPT_REVERSE },
		{ "columns", required_argument, NULL, 'o' },
		{ "color", optional_argument, NULL, CMD_OPT_COLOR },
		{ "colour", optional_argument, NULL, CMD_OPT_COLOR },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "list";
	struct cmd_list_args a;
	size_t nlabels = 0;
	int c, rc;

	memset(&a, 0, sizeof(a));
	a.q.owner_uid = -1;
	a.json = ctx->json;
	a.color = -1;
	a.sort = -1;
	a.labels = calloc((size_t)argc + 1, sizeof(*a.labels));
	if (a.labels == NULL)
		return cmd_nomem(cmd);
	optind = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		rc = cmd_list_opt(cmd, c, optarg, &a, &nlabels);
		if (rc > 0 || (rc < 0 &&
		    (rc = cmd_opt_common(cmd, c, argv, &a.json)) >= 0))
			goto out;
	}
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0)
		goto out;
	if (a.all && a.have_limit) {
		rc = cmd_usage_error(cmd, "--all and --limit exclude each "
		    "other");
		goto out;
	}
	if (nlabels > 0)
		a.q.labels = a.labels;
	rc = cmd_list_run(ctx, cmd, &a);
out:
	free(a.labels);
	return rc;
}
