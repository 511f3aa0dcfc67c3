/*
 * pool_watch.c - the pool's watch over its workers (loop thread): their
 * heartbeats in the scoreboard, the deadline of a job told to stop, and
 * the killing of a worker with its whole process tree.
 *
 *   every POOL_WATCH_MS:
 *     for each live worker:  heartbeat older than --worker-timeout
 *                            (or than POOL_STOP_STALE_MS once stopping),
 *                            or its job told to stop (CANCEL, timeout,
 *                            INTERRUPT) still running grace + POOL_MARGIN_MS
 *                            later  ->  hung: pool_watch_kill()
 *   pool_watch_kill: SIGKILL the job's group (its leader's start time
 *     checked), every descendant of the worker (proctree.c: the worker, a
 *     child subreaper kept alive meanwhile, inherits anything orphaned, so
 *     nothing escapes between two walks of /proc), then the worker; the
 *     slot is broken (later reports ignored) and pool.c's path for a dead
 *     worker reports the job lost and starts a replacement.
 *
 * A SIGSTOPped worker is killed all the same: SIGKILL works on stopped
 * processes.  If jobqd itself did not run for a while (it was stopped, or
 * the machine was suspended) the heartbeats are judged from the moment it
 * runs again and the deadlines move by the time it lost, so that a daemon
 * resumed after Ctrl-Z does not kill workers that were stopped with it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "jobq.h"
#include "log.h"
#include "pool.h"
#include "pool_int.h"
#include "proctree.h"
#include "scoreboard.h"
#include "util.h"

/* Walking a hung worker's tree: at most this long (the loop waits). */
#define POOL_TREE_KILL_MS 500
/* A worker that has not beaten for this long while the pool stops will not
 * read its QUIT either. */
#define POOL_STOP_STALE_MS 1000
/* A watch that runs this much later than due: jobqd itself did not run. */
#define POOL_WATCH_GAP_MS 1000

void
pool_watch_kill(struct pool_slot *s)
{
	struct pool *p = s->pool;
	struct scoreboard_snap snap;
	int r, left = 0, group = 0;

	s->broken = 1;
	if (!s->running || s->exited || !s->proc_open)
		return;
	if (!s->killed) {
		s->killed = 1;
		if (scoreboard_read(p->sb, (unsigned)s->index, &snap) == 0 &&
		    (snap.flags & SCOREBOARD_F_PROC))
			group = proctree_kill_group(snap.job_pgid,
			    snap.job_start);
		/* The worker is our child, not reaped: its pid is its own.
		 * One without children (an idle one, normally) costs no walk
		 * of /proc. */
		r = proctree_has_children(s->pid) == 0 ? 0 :
		    proctree_kill_descendants(s->pid, 0, POOL_TREE_KILL_MS,
		    &left);
		if (r == JOBQ_ETIMEDOUT)
			log_warnx("worker %d (pid %ld): %d process(es) of its "
			    "tree still alive after %d ms", s->index,
			    (long)s->pid, left, POOL_TREE_KILL_MS);
		else if (r > 0 || group)
			log_warnx("worker %d (pid %ld): killed %s%d "
			    "process(es) of its tree", s->index, (long)s->pid,
			    group ? "its job's process group and " : "",
			    r > 0 ? r : 0);
	}
	if ((r = uv_process_kill(&s->proc, SIGKILL)) < 0 && r != UV_ESRCH)
		log_warnx("worker %d: kill: %s", s->index, uv_strerror(r));
}

void
pool_watch_deadline(struct pool_slot *s, unsigned grace_ms)
{
	int64_t d = util_mono_ms() + grace_ms + POOL_MARGIN_MS;

	if (s->deadline_ms == 0 || d < s->deadline_ms)
		s->deadline_ms = d;
}

/* The worker in s is hung (why: logged): kill it and its tree; pool.c's
 * path for a dead worker does the rest. */
static void
pool_watch_hung(struct pool_slot *s, const char *why)
{
	log_warnx("worker %d (pid %ld) %s: hung; killing it%s", s->index,
	    (long)s->pid, why, s->busy ? " and its job's processes" : "");
	pool_watch_kill(s);
	pool_slot_down(s);
}

/* jobqd did not run from its last watch until now: count heartbeats from
 * now, and move the deadlines by the time lost. */
static void
pool_watch_gap(struct pool *p, int64_t now, int64_t gap)
{
	int i;

	log_warnx("jobqd did not run for %lld ms: judging the workers from now",
	    (long long)gap);
	p->watch_base = now;
	for (i = 0; i < p->n; i++)
		if (p->slots[i].deadline_ms != 0)
			p->slots[i].deadline_ms += gap;
}

static void
pool_watch_slot(struct pool_slot *s, int64_t now)
{
	struct pool *p = s->pool;
	int64_t hb, age, limit;
	char why[160];

	if (!s->running || s->exited || !s->proc_open || s->killed)
		return;
	if (s->busy && s->deadline_ms != 0 && now >= s->deadline_ms) {
		snprintf(why, sizeof why, "has not ended job %lld, told to "
		    "stop, by its kill grace + %d ms (%lld ms late)",
		    (long long)s->job_id, POOL_MARGIN_MS,
		    (long long)(now - s->deadline_ms));
		pool_watch_hung(s, why);
		return;
	}
	hb = scoreboard_heartbeat(p->sb, (unsigned)s->index);
	if (hb < p->watch_base)
		hb = p->watch_base;
	age = now - hb;
	limit = p->worker_timeout_ms;
	if (p->stopping && limit > POOL_STOP_STALE_MS)
		limit = POOL_STOP_STALE_MS;
	if (age > limit) {
		snprintf(why, sizeof why, "has given no heartbeat for %lld ms%s",
		    (long long)age, p->stopping ? " while jobqd stops" :
		    " (--worker-timeout)");
		pool_watch_hung(s, why);
	}
}

static void
pool_watch_cb(uv_timer_t *t)
{
	struct pool *p = t->data;
	int64_t now = util_mono_ms(), late;
	int i;

	late = now - p->watch_last - POOL_WATCH_MS;
	if (p->watch_last != 0 && late > POOL_WATCH_GAP_MS)
		pool_watch_gap(p, now, late);
	p->watch_last = now;
	if (p->finishing)
		return;
	for (i = 0; i < p->n; i++)
		pool_watch_slot(&p->slots[i], now);
}

int
pool_watch_start(struct pool *p)
{
	int r;

	if ((r = uv_timer_init(p->loop, &p->watch_timer)) < 0) {
		log_warnx("uv_timer_init: %s", uv_strerror(r));
		return r;
	}
	p->watch_timer.data = p;
	p->nhandles++;
	p->watch_last = util_mono_ms();
	p->watch_base = 0;
	if ((r = uv_timer_start(&p->watch_timer, pool_watch_cb, POOL_WATCH_MS,
	    POOL_WATCH_MS)) < 0)
		log_warnx("uv_timer_start: %s", uv_strerror(r));
	return r;
}

void
pool_watch_close(struct pool *p, uv_close_cb close_cb)
{
	uv_close((uv_handle_t *)&p->watch_timer, close_cb);
}
