/*
 * dispatch_stats.c - the stats request (loop thread only): the store's
 * counts per queue and state (read by dispatch_queue.c), the worker slots
 * and the sliding windows of stats.c, filled into the codec's jobq_stats
 * and encoded by proto_stats_reply_to_json (doc/protocol.md, "stats"),
 * with "usage" (dispatch_res.c) and, while Slurm is in use, "slurm"
 * (dispatch_slurm_info; queue_list's reply has both too);
 * the metrics request's Prometheus text, and --metrics-file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "metrics.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "dispatch_int.h"

/* The window of `window` ms ending at now. */
static void
dispatch_stats_window(struct dispatch *s, int64_t now, int64_t window,
    jobq_window_stats *out)
{
	struct stats_window w;

	memset(&w, 0, sizeof w);
	(void)stats_window(s->stats, now, window, &w);
	memset(out, 0, sizeof *out);
	out->window_ms = window;
	out->finished = w.finished;
	out->per_second = w.per_second;
	out->wait_mean_ms = w.wait_mean_ms;
	out->wait_p95_ms = w.wait_p95_ms;
	out->run_mean_ms = w.run_mean_ms;
	out->run_p95_ms = w.run_p95_ms;
	out->utilisation = w.utilisation;
}

cJSON *
dispatch_stats_slurm(const struct dispatch *s, cJSON *reply)
{
	jobq_slurm_info si;

	if (reply == NULL || dispatch_slurm_info(s, &si) == 0)
		return reply;
	return proto_slurm_add(reply, &si);
}

cJSON *
dispatch_stats_reply(struct dispatch *s, const struct dispatch_req *r,
    const struct store_op *op)
{
	int64_t sched[4];
	jobq_stats st;
	cJSON *rep;
	int64_t now = util_now_ms();
	size_t i, k, n = op->out.counts.n;

	memset(&st, 0, sizeof st);
	if (n > 0 && (st.queues = calloc(n, sizeof *st.queues)) == NULL)
		return NULL;
	st.nqueues = n;
	for (i = 0; i < n; i++) {
		dispatch_queue_info(&op->out.counts.v[i], &st.queues[i]);
		for (k = 0; k < JOBQ_STATE_COUNT; k++)
			st.counts[k] += op->out.counts.v[i].counts[k];
	}
	st.workers = s->nslots;
	st.busy = dispatch_slot_nbusy(s);
	dispatch_stats_window(s, now, 60000, &st.minute);
	dispatch_stats_window(s, now, 3600000, &st.hour);
	dispatch_schedule_totals(s, r, sched);
	st.schedules = sched[0];
	st.schedule_runs = sched[1];
	st.schedule_skips = sched[2];
	st.schedule_misses = sched[3];
	rep = dispatch_stats_slurm(s, dispatch_res_usage(s,
	    proto_stats_reply_to_json(&st)));
	free(st.queues);
	return rep;
}

void
dispatch_stats(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_queue_counts(s, r, CK_STATS, NULL);
}

/* The Prometheus text of the counters, the store's commit times and the
 * counts per queue read by op; malloc'd, NULL when out of memory. */
static char *
dispatch_metrics_text(struct dispatch *s, const struct store_op *op)
{
	struct metrics_snapshot snap;
	struct metrics_queue *qs = NULL;
	struct metrics_hist commits;
	size_t i, n = op->out.counts.n;
	char *text;

	if (n > 0 && (qs = calloc(n, sizeof *qs)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		qs[i].name = op->out.counts.v[i].name;
		memcpy(qs[i].counts, op->out.counts.v[i].counts,
		    sizeof qs[i].counts);
	}
	store_commit_metrics(s->store, &commits);
	memset(&snap, 0, sizeof snap);
	snap.version = PACKAGE_VERSION;
	snap.uptime_s = (double)(util_mono_ms() - s->started_mono) / 1000.0;
	snap.workers = s->nslots;
	snap.busy = dispatch_slot_nbusy(s);
	snap.m = &s->metrics;
	snap.commit = &commits;
	snap.queues = qs;
	snap.nqueues = n;
	text = metrics_render(&snap);
	free(qs);
	return text;
}

/* The metrics reply: dispatch_metrics_text in a reply. */
cJSON *
dispatch_metrics_reply(struct dispatch *s, const struct store_op *op)
{
	char *text = dispatch_metrics_text(s, op);
	cJSON *rep;

	rep = text != NULL ? proto_metrics_reply_to_json(text) : NULL;
	free(text);
	return rep;
}

/*
 * --metrics-file PATH: every --metrics-interval the same text as the
 * metrics request, written to PATH.tmp (unlinked first, then created
 * O_EXCL | O_NOFOLLOW, mode 0644: never through a link someone left
 * there) and renamed over PATH, so a reader (node_exporter's textfile
 * collector, a cron job) sees a whole file or the previous one.  A
 * failure is logged once until a write succeeds again.
 */
static int
dispatch_metrics_file_put(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, e;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return ENAMETOOLONG;
	if (unlink(tmp) == -1 && errno != ENOENT)
		return errno;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		return errno;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			(void)unlink(tmp);
			return e;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		(void)unlink(tmp);
		return e;
	}
	return 0;
}

void
dispatch_metrics_file_write(struct dispatch *s, const struct store_op *op)
{
	char *text;
	int e;

	if (s->conf.metrics_file == NULL)
		return;
	if ((text = dispatch_metrics_text(s, op)) == NULL)
		e = ENOMEM;
	else
		e = dispatch_metrics_file_put(s->conf.metrics_file, text);
	free(text);
	if (e != 0 && !s->metrics_failing)
		log_warnx("--metrics-file %s: cannot write it: %s (logged "
		    "once until a write succeeds)", s->conf.metrics_file,
		    strerror(e));
	else if (e == 0 && s->metrics_failing)
		log_info("--metrics-file %s: written again",
		    s->conf.metrics_file);
	s->metrics_failing = e != 0;
}

static void
dispatch_metrics_file_tick(uv_timer_t *t)
{
	struct dispatch *s = t->data;

	if (!s->shutting_down)
		dispatch_queue_counts(s, NULL, CK_METRICS_FILE, NULL);
}

void
dispatch_metrics_file_start(struct dispatch *s)
{
	if (s->conf.metrics_file == NULL)
		return;
	uv_timer_start(&s->metrics_timer, dispatch_metrics_file_tick, 0,
	    s->conf.metrics_interval_ms);
}

void
dispatch_metrics(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_queue_counts(s, r, CK_METRICS, NULL);
}
