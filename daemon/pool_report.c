/*
 * pool_report.c - the workers' report pipes, on the daemon's loop: records
 * reassembled from the byte stream, checked against what the slot expects,
 * and turned into the pool's ready/started/finished callbacks.
 *
 *   worker --fd 3: struct wire_report--> uv_pipe --pool_report_read-->
 *     READY -> ready()   STARTED -> started()   FINISHED/SPAWN_FAILED ->
 *     finished(), then ready() (or the job ahead becomes the slot's)
 *     UNSTARTED (the job ahead dropped) -> unstarted()
 *     anything unexpected -> the worker is killed
 *     EOF or error -> the worker is killed, the pipe closed (pool.c reaps)
 *
 * A worker is trusted with nothing: a report for a job it does not hold, a
 * second READY, an unknown type or a partial record at EOF marks it broken;
 * it is killed and its slot goes the way of any dead worker (pool.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <signal.h>
#include <string.h>

#include <uv.h>

#include "log.h"
#include "pool_int.h"
#include "wire.h"

static void
pool_report_broken(struct pool_slot *s, const char *why,
    const struct wire_report *rep)
{
	log_warnx("worker %d (pid %ld): %s (report type %u, job %lld, "
	    "holding %lld): killing it", s->index, (long)s->pid, why,
	    rep->type, (long long)rep->job_id,
	    s->busy ? (long long)s->job_id : -1LL);
	s->broken = 1;
	pool_kill_worker(s, SIGKILL);
	pool_slot_down(s);
}

static void
pool_report_ready(struct pool_slot *s, const struct wire_report *rep)
{
	if (s->ready || s->busy) {
		pool_report_broken(s, "unexpected READY", rep);
		return;
	}
	s->ready = 1;
	log_debug("worker %d (pid %ld) ready", s->index, (long)s->pid);
	pool_slot_up(s);
}

static void
pool_report_started(struct pool_slot *s, const struct wire_report *rep)
{
	struct pool *p = s->pool;

	if (!s->busy || rep->job_id != s->job_id || s->job_pid != 0 ||
	    rep->pid <= 0) {
		pool_report_broken(s, "unexpected STARTED", rep);
		return;
	}
	s->job_pid = rep->pid;
	if (!p->stopping && p->cb.started != NULL)
		p->cb.started(p->arg, s->index, rep);
}

/* FINISHED or SPAWN_FAILED. */
static void
pool_report_end(struct pool_slot *s, const struct wire_report *rep)
{
	struct pool *p = s->pool;

	if (!s->busy || rep->job_id != s->job_id ||
	    (rep->type == WIRE_REP_FINISHED && s->job_pid == 0)) {
		pool_report_broken(s, "unexpected end of job", rep);
		return;
	}
	pool_shm_release(s);
	s->job_pid = 0;
	s->deadline_ms = 0;
	if (s->next_busy)
		pool_next_promote(s);	/* the worker begins it now */
	else
		s->busy = 0;
	/* finished() may hand the slot the next job at once: a worker that
	 * can take none must be known as down before. */
	if (!pool_slot_usable(s))
		pool_slot_down(s);
	if (!p->stopping && p->cb.finished != NULL)
		p->cb.finished(p->arg, s->index, rep);
	/* finished() may have started the next job already. */
	pool_slot_up(s);
}

/* The job ahead was dropped unbegun. */
static void
pool_report_unstarted(struct pool_slot *s, const struct wire_report *rep)
{
	struct pool *p = s->pool;

	if (!s->next_busy || rep->job_id != s->next_id) {
		pool_report_broken(s, "unexpected UNSTARTED", rep);
		return;
	}
	pool_next_release(s);
	if (!p->stopping && p->cb.unstarted != NULL)
		p->cb.unstarted(p->arg, s->index, rep->job_id);
}

static void
pool_report_dispatch(struct pool_slot *s, const struct wire_report *rep)
{
	switch (rep->type) {
	case WIRE_REP_READY:
		pool_report_ready(s, rep);
		break;
	case WIRE_REP_STARTED:
		pool_report_started(s, rep);
		break;
	case WIRE_REP_FINISHED:
	case WIRE_REP_SPAWN_FAILED:
		pool_report_end(s, rep);
		break;
	case WIRE_REP_UNSTARTED:
		pool_report_unstarted(s, rep);
		break;
	default:
		pool_report_broken(s, "unknown report", rep);
		break;
	}
}

void
pool_report_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct pool_slot *s = h->data;

	(void)suggested;
	buf->base = s->rdbuf;
	buf->len = sizeof s->rdbuf;
}

void
pool_report_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct pool_slot *s = st->data;
	struct wire_report rep;
	size_t off = 0, take;

	if (nread < 0) {
		if (nread != UV_EOF)
			log_warnx("worker %d: report pipe: %s", s->index,
			    uv_strerror((int)nread));
		if (s->reclen != 0)
			log_warnx("worker %d: %zu bytes of a partial report "
			    "at EOF", s->index, s->reclen);
		/* A worker without its pipe is useless (and normally dying). */
		s->broken = 1;
		pool_kill_worker(s, SIGKILL);
		pool_close_pipe(s);
		pool_slot_down(s);
		return;
	}
	while ((size_t)nread > off) {
		take = sizeof s->rec - s->reclen;
		if (take > (size_t)nread - off)
			take = (size_t)nread - off;
		memcpy(s->rec + s->reclen, buf->base + off, take);
		s->reclen += take;
		off += take;
		if (s->reclen < sizeof s->rec)
			break;
		s->reclen = 0;
		if (s->broken)
			continue;
		memcpy(&rep, s->rec, sizeof rep);
		pool_report_dispatch(s, &rep);
		/* The callbacks may have stopped the pool; the slot stays
		 * valid until its handles close, so carry on. */
	}
}
