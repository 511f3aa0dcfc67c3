/*
 * cmd-progress.c - the live progress line of `jobq wait` (and `submit
 * --wait --array`) on a terminal:
 *
 *   [ 37/100] 35 succeeded, 2 failed, 4 running, 59 queued  1.2/s  ETA 52s
 *
 * over every job of the REFs waited for (an array counts its tasks),
 * rewritten in place on standard error at most every CMD_PROGRESS_MS
 * while cmd_wait_until() waits, and erased at the end.  Only when
 * standard error is a terminal and there is more than one job to wait
 * for: pipes, files and a single job see nothing of it.  The counts come
 * from jobq_get / jobq_array_get on the same connection, asked only for
 * the REFs that have not ended yet.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jobq.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

#define CMD_PROGRESS_MS 500

/* What one REF counts for. */
struct cmd_progress_ref {
	int64_t id;			/* a job, or an array (is_array) */
	int is_array, ended;
	size_t counts[JOBQ_STATE_COUNT];
};

struct cmd_progress {
	struct cmd_progress_ref *refs;
	size_t n;
	int64_t started, last;		/* monotonic ms */
	int shown;			/* a line is on the terminal */
};

static struct cmd_progress *cmd_progress_cur;

void
cmd_progress_start(const int64_t *ids, size_t n)
{
	struct cmd_progress *p;
	size_t i;

	if (cmd_progress_cur != NULL || n == 0 || !isatty(STDERR_FILENO))
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->refs = calloc(n, sizeof(*p->refs))) == NULL) {
		free(p);
		return;			/* no progress line: nothing lost */
	}
	for (i = 0; i < n; i++)
		p->refs[i].id = ids[i];
	p->n = n;
	p->started = util_mono_ms();
	cmd_progress_cur = p;
}

int
cmd_progress_active(void)
{
	return cmd_progress_cur != NULL;
}

/* Asks jobqd about the REFs that have not ended yet. */
static void
cmd_progress_refresh(struct cmd_progress *p, jobq_client *cl)
{
	struct cmd_progress_ref *r;
	jobq_array_info ai;
	jobq_job *job = NULL;
	size_t i;
	int err, st;

	for (i = 0; i < p->n; i++) {
		r = &p->refs[i];
		if (r->ended)
			continue;
		if (!r->is_array) {
			err = jobq_get(cl, r->id, &job);
			if (err == 0) {
				memset(r->counts, 0, sizeof(r->counts));
				r->counts[job->state] = 1;
				r->ended = jobq_state_is_terminal(job->state);
				jobq_job_free(job);
				job = NULL;
				continue;
			}
			if (err != JOBQ_EISARRAY) {
				r->ended = 1;	/* wait reports it */
				continue;
			}
			r->is_array = 1;
		}
		memset(&ai, 0, sizeof(ai));
		if (jobq_array_get(cl, r->id, &ai) != 0) {
			r->ended = 1;
			continue;
		}
		memcpy(r->counts, ai.counts, sizeof(r->counts));
		r->ended = 1;
		for (st = 0; st < JOBQ_STATE_COUNT; st++)
			if (!jobq_state_is_terminal((jobq_state)st) &&
			    ai.counts[st] > 0)
				r->ended = 0;
	}
}

/* The terminal's width (80 if it does not say). */
static size_t
cmd_progress_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Writes the line for the counts now. */
static void
cmd_progress_draw(struct cmd_progress *p, int64_t now)
{
	size_t c[JOBQ_STATE_COUNT], total = 0, done, failed, i, w;
	char line[256], eta[FMT_REL_LEN];
	double secs, rate;
	int st, len;

	memset(c, 0, sizeof(c));
	for (i = 0; i < p->n; i++)
		for (st = 0; st < JOBQ_STATE_COUNT; st++)
			c[st] += p->refs[i].counts[st];
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		total += c[st];
	if (total <= 1)
		return;			/* one job: its status says it all */
	done = total - c[JOBQ_STATE_QUEUED] - c[JOBQ_STATE_RUNNING];
	failed = done - c[JOBQ_STATE_SUCCEEDED];
	secs = (double)(now - p->started) / 1000.0;
	rate = secs > 0 ? (double)done / secs : 0;
	len = snprintf(line, sizeof(line), "[%*zu/%zu] %zu succeeded, %zu "
	    "failed, %zu running, %zu queued", total >= 1000 ? 4 : 3, done,
	    total, c[JOBQ_STATE_SUCCEEDED], failed, c[JOBQ_STATE_RUNNING],
	    c[JOBQ_STATE_QUEUED]);
	if (len > 0 && (size_t)len < sizeof(line) && done > 0 && rate > 0 &&
	    done < total)
		snprintf(line + len, sizeof(line) - (size_t)len, "  %.1f/s  "
		    "ETA %s", rate, fmt_duration(((int64_t)((double)(total -
		    done) / rate) + 1) * 1000, eta, sizeof(eta)));
	w = cmd_progress_width();
	if (w > 1 && strlen(line) >= w)
		line[w - 1] = '\0';	/* never wraps */
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	p->shown = 1;
}

void
cmd_progress_tick(jobq_client *cl)
{
	struct cmd_progress *p = cmd_progress_cur;
	int64_t now;

	if (p == NULL)
		return;
	now = util_mono_ms();
	if (p->last != 0 && now - p->last < CMD_PROGRESS_MS)
		return;
	p->last = now;
	cmd_progress_refresh(p, cl);
	cmd_progress_draw(p, now);
}

int
cmd_progress_slice(void)
{
	return CMD_PROGRESS_MS;
}

void
cmd_progress_end(void)
{
	struct cmd_progress *p = cmd_progress_cur;

	if (p == NULL)
		return;
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	cmd_progress_cur = NULL;
	free(p->refs);
	free(p);
}
