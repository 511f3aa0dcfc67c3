/*
 * cmd-top.c - `jobq top`: a live full-screen view of jobqd (ncurses).
 *
 *   jobq top - jobqd 0.2.0 pid 812, 4 workers (3 busy)          12:00:01
 *   3 queued, 3 running, 120 succeeded, 2 failed ...   finished 1m 0.8/s
 *   QUEUE ...   (per queue counts, limits, paused)
 *   RUNNING (3)    ID  QUEUE  USER  RUNTIME  COMMAND   (one selected)
 *   RECENT FAILURES  ID  STATE  EXIT  ENDED  COMMAND
 *   q quit  up/down select  c cancel the selected job  r redraw
 *
 * Two connections: one is a watch stream of every state change (jobq
 * watch), which says when to look again; the other asks for the stats,
 * the running jobs and the newest failures.  The screen is redrawn when
 * an event came (at most every CMD_TOP_MIN_MS) and once a second for the
 * clocks.  Nothing is polled faster than that; a key is read as soon as
 * it is typed (poll on the terminal and the stream).
 *
 * ncursesw is not linked: it is loaded when top runs and called through
 * the table tc (top_curses.h), never through curses.h's macros.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

#ifdef HAVE_CURSES
#include "top_curses.h"

#define CMD_TOP_MIN_MS 200	/* redraws after events, at most this often */
#define CMD_TOP_TICK_MS 1000	/* and once a second in any case */
#define CMD_TOP_FAILS 8		/* recent failures shown */

struct cmd_top {
	jobq_client *req, *watch;
	jobq_server_info info;
	jobq_stats st;
	int have_st;
	jobq_job **run, **fail;
	size_t nrun, nfail;
	int64_t sel_id;			/* the selected running job, 0: none */
	size_t sel;
	char msg[256];
	int64_t msg_until;		/* monotonic ms */
	uint64_t events;
	int watch_lost;
};

/* ncursesw, loaded by cmd_top() before anything is drawn */
static const struct top_curses *tc;

/* Writes s at row y, cut to the screen's width (in cells), with attr. */
static void
cmd_top_line(int y, const char *s, int attr)
{
	size_t nb;

	if (y < 0 || y >= *tc->lines)
		return;
	nb = fmt_prefix_bytes(s, (size_t)*tc->cols);
	if (attr)
		tc->wattr_on(*tc->scr, (attr_t)attr, NULL);
	if (tc->wmove(*tc->scr, y, 0) != ERR)
		tc->waddnstr(*tc->scr, s, (int)nb);
	if (attr) {
		/* the bar spans the whole width */
		for (size_t w = fmt_width(s); w < (size_t)*tc->cols; w++)
			tc->waddch(*tc->scr, ' ');
		tc->wattr_off(*tc->scr, (attr_t)attr, NULL);
	}
}

/* Asks jobqd for what the screen shows; 0 or a JOBQ_E* code. */
static int
cmd_top_fetch(struct cmd_top *t)
{
	jobq_list_opts o;
	int err;

	if (t->have_st)
		jobq_stats_release(&t->st);
	t->have_st = 0;
	if ((err = jobq_get_stats(t->req, &t->st)) != 0)
		return err;
	t->have_st = 1;
	jobq_job_list_free(t->run, t->nrun);
	jobq_job_list_free(t->fail, t->nfail);
	t->run = t->fail = NULL;
	t->nrun = t->nfail = 0;
	memset(&o, 0, sizeof(o));
	o.owner_uid = -1;
	o.states = JOBQ_STATE_BIT(JOBQ_STATE_RUNNING);
	if ((err = jobq_list_ex(t->req, &o, &t->run, &t->nrun, NULL)) != 0)
		return err;
	o.states = JOBQ_STATE_BIT(JOBQ_STATE_FAILED) |
	    JOBQ_STATE_BIT(JOBQ_STATE_TIMED_OUT) |
	    JOBQ_STATE_BIT(JOBQ_STATE_INTERRUPTED);
	o.limit = CMD_TOP_FAILS;
	return jobq_list_ex(t->req, &o, &t->fail, &t->nfail, NULL);
}

/* Keeps the selection on the same job when it can, else in range. */
static void
cmd_top_select(struct cmd_top *t)
{
	size_t i;

	for (i = 0; t->sel_id != 0 && i < t->nrun; i++)
		if (t->run[i]->id == t->sel_id) {
			t->sel = i;
			return;
		}
	if (t->sel >= t->nrun)
		t->sel = t->nrun > 0 ? t->nrun - 1 : 0;
	t->sel_id = t->nrun > 0 ? t->run[t->sel]->id : 0;
}

/* The header: version, workers, time; the counts and the rates. */
static int
cmd_top_head(struct cmd_top *t, int y)
{
	char line[512], clock[FMT_TIME_LEN], dur[32];
	size_t off = 0;
	int st;

	snprintf(line, sizeof(line), "jobq top - jobqd %s pid %lld, %d "
	    "workers (%d busy), %llu events   %s", t->info.version,
	    (long long)t->info.pid, t->st.workers, t->st.busy,
	    (unsigned long long)t->events, fmt_clock(util_now_ms(), 0, clock,
	    sizeof(clock)));
	cmd_top_line(y++, line, A_REVERSE);
	line[0] = '\0';
	for (st = 0; st < JOBQ_STATE_COUNT && off < sizeof(line); st++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%zu "
		    "%s", st > 0 ? ", " : "", t->st.counts[st],
		    jobq_state_name((jobq_state)st));
	cmd_top_line(y++, line, 0);
	snprintf(line, sizeof(line), "finished: %.2f/s last minute, %.2f/s "
	    "last hour; wait p95 %s; utilisation %.0f%%",
	    t->st.minute.per_second, t->st.hour.per_second,
	    fmt_duration((int64_t)t->st.minute.wait_p95_ms, dur, sizeof(dur)),
	    100.0 * t->st.minute.utilisation);
	cmd_top_line(y++, line, 0);
	return y + 1;
}

/* The queues, at most max rows. */
static int
cmd_top_queues(struct cmd_top *t, int y, int max)
{
	char line[512], par[16];
	size_t i;

	snprintf(line, sizeof(line), "%-20s %8s %8s %8s %8s  %s", "QUEUE",
	    "QUEUED", "RUNNING", "FAILED", "PARALLEL", "");
	cmd_top_line(y++, line, A_BOLD);
	for (i = 0; i < t->st.nqueues && (int)i < max; i++) {
		const jobq_queue_info *q = &t->st.queues[i];

		snprintf(par, sizeof(par), "%d", q->parallel);
		snprintf(line, sizeof(line), "%-20s %8zu %8zu %8zu %8s  %s",
		    q->name, q->counts[JOBQ_STATE_QUEUED],
		    q->counts[JOBQ_STATE_RUNNING], q->counts[JOBQ_STATE_FAILED],
		    q->parallel > 0 ? par : "-", q->paused ? "paused" : "");
		cmd_top_line(y++, line, 0);
	}
	return y + 1;
}

/* One job as a row: id, a state or queue column, user/exit, a time, the
 * command. */
static void
cmd_top_job(int y, const jobq_job *j, const char *c2, const char *c3,
    const char *c4, int attr)
{
	char line[1024], *cmd;

	cmd = j->limited ? NULL : fmt_join_argv(j->argv, j->argc);
	snprintf(line, sizeof(line), "%8lld  %-12.12s %-10.10s %10s  %s",
	    (long long)j->id, c2, c3, c4, cmd != NULL ? cmd :
	    "(another user's job)");
	free(cmd);
	cmd_top_line(y, line, attr);
}

static void
cmd_top_draw(struct cmd_top *t)
{
	char hdr[128], user[32], dur[32], code[FMT_SIG_LEN], when[FMT_REL_LEN];
	int64_t now = util_now_ms(), mono = util_mono_ms();
	int y = 0, room, bottom = *tc->lines - 1, first, k;
	size_t i;

	tc->werase(*tc->scr);
	if (t->have_st) {
		y = cmd_top_head(t, y);
		y = cmd_top_queues(t, y, (*tc->lines - 8) / 4 > 1 ?
		    (*tc->lines - 8) / 4 : 1);
	}
	/* running jobs: what is left above the failures */
	room = bottom - y - 3 - (int)(t->nfail < 3 ? t->nfail : 3);
	snprintf(hdr, sizeof(hdr), "RUNNING (%zu)", t->nrun);
	cmd_top_line(y++, hdr, A_BOLD);
	first = t->sel >= (size_t)(room > 1 ? room : 1) ?
	    (int)t->sel - room + 1 : 0;
	for (k = 0; k < room && (size_t)(first + k) < t->nrun; k++) {
		const jobq_job *j = t->run[first + k];

		cmd_user_name(j->owner_uid, user, sizeof(user));
		/* whole seconds: the screen changes once a second ("0s", not
		 * fmt_duration's "0ms", in the first one) */
		if (j->started_at > 0 && now - j->started_at >= 1000)
			fmt_duration((now - j->started_at) / 1000 * 1000, dur,
			    sizeof(dur));
		else
			snprintf(dur, sizeof(dur), "0s");
		cmd_top_job(y++, j, j->queue, user, dur,
		    (size_t)(first + k) == t->sel ? A_REVERSE : 0);
	}
	y++;
	cmd_top_line(y++, "RECENT FAILURES", A_BOLD);
	for (i = t->nfail; i-- > 0 && y < bottom;) {
		const jobq_job *j = t->fail[i];

		if (j->exit_code >= 0)
			snprintf(code, sizeof(code), "exit %d", j->exit_code);
		else if (j->signal > 0)
			fmt_signal_name(j->signal, code, sizeof(code));
		else
			snprintf(code, sizeof(code), "%s", j->reason != NULL ?
			    j->reason : "-");
		cmd_top_job(y++, j, jobq_state_name(j->state), code,
		    fmt_ago(j->finished_at, now, when, sizeof(when)), 0);
	}
	if (t->msg[0] != '\0' && mono < t->msg_until)
		cmd_top_line(bottom, t->msg, A_BOLD);
	else
		cmd_top_line(bottom, t->watch_lost ? "q quit  (the event "
		    "stream was lost: redrawing once a second)" : "q quit  "
		    "up/down select  c cancel the selected job  r redraw",
		    A_REVERSE);
	tc->wrefresh(*tc->scr);
}

/* Shows msg on the last line for a few seconds. */
static void
cmd_top_say(struct cmd_top *t, const char *msg)
{
	snprintf(t->msg, sizeof(t->msg), "%s", msg);
	t->msg_until = util_mono_ms() + 4000;
}

/* c: asks, then cancels the selected job (the call returns once it has
 * ended). */
static void
cmd_top_cancel(struct cmd_top *t)
{
	char msg[256];
	int64_t id = t->sel_id;
	int ch, err;

	if (id == 0) {
		cmd_top_say(t, "no running job selected");
		return;
	}
	snprintf(msg, sizeof(msg), "cancel job %lld? (y/n)", (long long)id);
	cmd_top_line(*tc->lines - 1, msg, A_BOLD);
	tc->wrefresh(*tc->scr);
	tc->wtimeout(*tc->scr, 10000);
	ch = tc->wgetch(*tc->scr);
	tc->wtimeout(*tc->scr, 0);
	if (ch != 'y' && ch != 'Y') {
		cmd_top_say(t, "not canceled");
		return;
	}
	snprintf(msg, sizeof(msg), "canceling job %lld ...", (long long)id);
	cmd_top_line(*tc->lines - 1, msg, A_BOLD);
	tc->wrefresh(*tc->scr);
	err = jobq_cancel(t->req, id, NULL);
	if (err == 0)
		snprintf(msg, sizeof(msg), "job %lld canceled", (long long)id);
	else
		snprintf(msg, sizeof(msg), "job %lld: %s", (long long)id,
		    jobq_last_error(t->req) != NULL &&
		    *jobq_last_error(t->req) != '\0' ?
		    jobq_last_error(t->req) : jobq_strerror(err));
	cmd_top_say(t, msg);
}

/* Takes the keys typed; 1 to quit. */
static int
cmd_top_keys(struct cmd_top *t, int *dirty)
{
	int ch;

	while ((ch = tc->wgetch(*tc->scr)) != ERR) {
		switch (ch) {
		case 'q':
		case 'Q':
			return 1;
		case KEY_UP:
		case 'k':
			if (t->sel > 0)
				t->sel--;
			break;
		case KEY_DOWN:
		case 'j':
			if (t->sel + 1 < t->nrun)
				t->sel++;
			break;
		case 'c':
			cmd_top_cancel(t);
			break;
		case 'r':
		case 12:	/* ^L */
			tc->clearok(*tc->cur, TRUE);
			break;
		default:
			break;
		}
		t->sel_id = t->sel < t->nrun ? t->run[t->sel]->id : 0;
		*dirty = 1;
	}
	return 0;
}

/* Reads the events that came; sets *dirty if any did. */
static void
cmd_top_events(struct cmd_top *t, int *dirty)
{
	jobq_event ev;
	int err;

	while ((err = jobq_watch_next(t->watch, &ev, 0)) == 0) {
		t->events++;
		*dirty = 1;
	}
	if (err != JOBQ_ETIMEDOUT) {
		t->watch_lost = 1;	/* go on with the ticks alone */
		*dirty = 1;
	}
}

static int
cmd_top_loop(struct cmd_top *t, const char *cmd)
{
	struct pollfd pfd[2];
	int64_t last = 0, now;
	int dirty = 1, err, n;

	for (;;) {
		now = util_mono_ms();
		if ((dirty && now - last >= CMD_TOP_MIN_MS) ||
		    now - last >= CMD_TOP_TICK_MS) {
			if ((err = cmd_top_fetch(t)) != 0) {
				tc->endwin();
				return cmd_fail(cmd, 0, err);
			}
			cmd_top_select(t);
			cmd_top_draw(t);
			last = now;
			dirty = 0;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->watch_lost ? -1 : jobq_fd(t->watch);
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, dirty ? CMD_TOP_MIN_MS : CMD_TOP_TICK_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			cmd_top_events(t, &dirty);
		if (cmd_top_keys(t, &dirty))
			break;
	}
	return 0;
}

int
cmd_top(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "top";
	struct cmd_top t;
	char why[512];
	int c, rc, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			(void)cmd_help(cmd, stdout);
			return 0;
		}
		return cmd_usage_error(cmd, "unknown option '%s'",
		    argv[optind - 1]);
	}
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0)
		return rc;
	if (ctx->json)
		return cmd_usage_error(cmd, "--json does not go with top (use "
		    "jobq watch --json)");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cmd_usage_error(cmd, "needs a terminal (for a stream of "
		    "changes in a pipe: jobq watch)");
	if ((tc = top_curses_load(why, sizeof(why))) == NULL) {
		fprintf(stderr, "jobq: %s: %s\n", cmd, why);
		return FMT_EXIT_FAIL;
	}
	memset(&t, 0, sizeof(t));
	if ((rc = cmd_connect(ctx, cmd, &t.req)) != 0)
		return rc;
	if ((err = jobq_ping(t.req, &t.info)) != 0 ||
	    (rc = cmd_connect(ctx, cmd, &t.watch)) != 0 ||
	    (err = jobq_watch(t.watch, NULL, 0)) != 0) {
		rc = rc != 0 ? rc : cmd_fail(cmd, 0, err);
		goto out;
	}
	cmd_set_client(t.req);
	fmt_table_locale();	/* ncursesw and the widths need it */
	if (tc->initscr() == NULL) {
		rc = cmd_usage_error(cmd, "cannot set up the terminal");
		goto out;
	}
	tc->cbreak();
	tc->noecho();
	tc->nonl();
	tc->keypad(*tc->scr, TRUE);
	tc->curs_set(0);
	tc->wtimeout(*tc->scr, 0);
	rc = cmd_top_loop(&t, cmd);
	if (!tc->isendwin())
		tc->endwin();
out:
	if (t.have_st)
		jobq_stats_release(&t.st);
	jobq_job_list_free(t.run, t.nrun);
	jobq_job_list_free(t.fail, t.nfail);
	cmd_close(t.watch);
	cmd_close(t.req);
	return rc;
}

#else /* !HAVE_CURSES */

int
cmd_top(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fprintf(stderr, "jobq: top: this jobq was built without ncurses "
	    "(install libncurses-dev and build again)\n");
	return FMT_EXIT_FAIL;
}

#endif
