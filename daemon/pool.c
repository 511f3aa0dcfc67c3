/*
 * pool.c - the worker pool supervisor, on the daemon's libuv loop.  Owns the
 * worker processes, their message queues, their report pipes and the shared
 * memory objects of specs too big for a message; pool_report.c reads the
 * pipes, pool_run.c sends the requests (RUN, CANCEL, WITHDRAW).
 *
 *   jobqd (loop thread)                          worker processes
 *   dispatch.c --pool_run/cancel--> pool.c --mq (fd 4 in the worker)--> worker 0
 *        <--ready/started/         |   <--fd 3 (uv_pipe): wire_report--  ...
 *           finished/lost--        |   --shm "/jobqd.PID.jID.ATTEMPT"--> (big specs)
 *                                  `-- uv_spawn(exe --worker SLOT MQ PID)
 *
 * Per slot, one worker at a time.  A worker's death is noticed by the uv exit
 * callback and by EOF on its pipe, in either order; the slot is cleaned up
 * (job lost, queue closed) once both handles are closed, then a replacement
 * starts at once or after an exponential backoff.  Each queue is created
 * under a name, opened for both ends and unlinked at once; the worker's end
 * is inherited as fd 4.  So nothing stays in /dev/mqueue even if jobqd is
 * killed at any point; shm specs are unlinked by the worker after mapping
 * and again here when the job ends.
 *
 * A message that cannot be queued for a worker (mq_send fails: its queue is
 * full because it stopped reading, or FAULT_MQ_SEND of fault.h) condemns
 * the worker: it is killed like a broken one, and the job it holds - a RUN
 * that never arrived counts as held - comes back through lost().
 *
 * Errors: -errno and UV_E* from the system and libuv are logged here and
 * leave through pool.h as JOBQ_E* codes (pool_code).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "jobq.h"
#include "fault.h"
#include "log.h"
#include "pool.h"
#include "pool_int.h"
#include "proctree.h"
#include "rlimits.h"
#include "scoreboard.h"
#include "util.h"
#include "wire.h"
#include "worker.h"
#include "cgroup.h"

#define POOL_LIVED_LONG_MS  10000	/* a death after this resets backoff */
#define POOL_BACKOFF_MIN_MS 100
#define POOL_BACKOFF_MAX_MS 10000
#define POOL_EOF_WAIT_MS    1000	/* after exit, wait this long for EOF */
#define POOL_STOP_TERM_MS   1000
#define POOL_STOP_KILL_MS   5000
#define POOL_CGROUP_REAP_MS 200		/* a lost job's cgroup: the loop waits
					 * at most this long for it to empty */

static int pool_spawn(struct pool_slot *);
static void pool_maybe_finish(struct pool *);

/* One of the timers closed during teardown; the last one frees the pool. */
static void
pool_release_handle(struct pool *p)
{
	p->nhandles--;
	if (p->finishing && p->nhandles == 0) {
		void (*done)(void *) = p->done;
		void *arg = p->done_arg;
		int failed = p->failed;

		free(p->slots);
		free(p->exe);
		free(p);
		if (!failed && done != NULL)
			done(arg);
	}
}

static void
pool_slot_timer_closed(uv_handle_t *h)
{
	struct pool_slot *s = h->data;

	pool_release_handle(s->pool);
}

static void
pool_stop_timer_closed(uv_handle_t *h)
{
	pool_release_handle(h->data);
}

static void
pool_mq_release_rd(struct pool_slot *s)
{
	if (s->mq_rd != (mqd_t)-1) {
		if (mq_close(s->mq_rd) == -1)
			log_warn("mq_close %s (worker end)", s->mqname);
		s->mq_rd = (mqd_t)-1;
	}
}

static void
pool_mq_release(struct pool_slot *s)
{
	if (s->mq != (mqd_t)-1) {
		if (mq_close(s->mq) == -1)
			log_warn("mq_close %s", s->mqname);
		s->mq = (mqd_t)-1;
	}
	pool_mq_release_rd(s);
}

void
pool_shm_release(struct pool_slot *s)
{
	if (s->job_shm) {
		if (shm_unlink(s->shm_name) == -1 && errno != ENOENT)
			log_warn("shm_unlink %s", s->shm_name);
		s->job_shm = 0;
	}
}

/* SIGKILL takes the worker's whole tree with it (pool_watch_kill): a
 * worker is never killed alone, leaving its job's processes behind. */
void
pool_kill_worker(struct pool_slot *s, int sig)
{
	int r;

	if (!s->running || s->exited || !s->proc_open)
		return;
	if (sig == SIGKILL) {
		pool_watch_kill(s);
		return;
	}
	if ((r = uv_process_kill(&s->proc, sig)) < 0 && r != UV_ESRCH)
		log_warnx("worker %d: kill %d: %s", s->index, sig, uv_strerror(r));
}

/* The JOBQ_E* code for a negative errno or UV_E* code (the same numbers on
 * Linux), which the caller has logged with the system's message. */
int
pool_code(int r)
{
	switch (r) {
	case -ENOMEM:
	case -ENOSPC:
		return JOBQ_ENOMEM;
	case -EINVAL:
		return JOBQ_EINVAL;
	case -E2BIG:
	case -EFBIG:
	case -EMSGSIZE:
		return JOBQ_ETOOBIG;
	default:
		return JOBQ_EINTERNAL;
	}
}

int
pool_slot_usable(const struct pool_slot *s)
{
	return s->running && !s->exited && s->ready && !s->broken;
}

void
pool_slot_down(struct pool_slot *s)
{
	struct pool *p = s->pool;

	if (!s->up)
		return;
	s->up = 0;
	if (!p->stopping && p->cb.lost != NULL)
		p->cb.lost(p->arg, s->index, 0, 0);
}

void
pool_slot_up(struct pool_slot *s)
{
	struct pool *p = s->pool;

	if (p->stopping || s->busy || !pool_slot_usable(s))
		return;
	s->up = 1;
	if (p->cb.ready != NULL)
		p->cb.ready(p->arg, s->index);
}

/* ---- restart ------------------------------------------------------------- */

static void
pool_restart_cb(uv_timer_t *t)
{
	struct pool_slot *s = t->data;

	if (s->pool->stopping || s->running)
		return;
	if (pool_spawn(s) < 0)
		log_warnx("worker %d: restart failed", s->index);
}

/* Schedules the next generation of a slot whose worker lived lived_ms. */
static void
pool_schedule_restart(struct pool_slot *s, uint64_t lived_ms)
{
	int r;

	if (s->pool->stopping)
		return;
	if (lived_ms >= POOL_LIVED_LONG_MS) {
		s->quick_deaths = 0;
		s->backoff_ms = 0;
	} else
		s->quick_deaths++;
	if (s->quick_deaths <= 1) {
		if (pool_spawn(s) == 0)
			return;
		/* pool_spawn already counted the failure and rescheduled */
		return;
	}
	if (s->backoff_ms == 0)
		s->backoff_ms = POOL_BACKOFF_MIN_MS;
	else if (s->backoff_ms < POOL_BACKOFF_MAX_MS) {
		s->backoff_ms *= 2;
		if (s->backoff_ms > POOL_BACKOFF_MAX_MS)
			s->backoff_ms = POOL_BACKOFF_MAX_MS;
	}
	log_warnx("worker %d: %u quick deaths in a row, restarting in %u ms",
	    s->index, s->quick_deaths, s->backoff_ms);
	if ((r = uv_timer_start(&s->timer, pool_restart_cb, s->backoff_ms, 0)) < 0)
		log_warnx("worker %d: uv_timer_start: %s", s->index,
		    uv_strerror(r));
}

/* ---- death --------------------------------------------------------------- */

/* Both handles of the slot's worker are closed and the process reaped. */
static void
pool_slot_dead(struct pool_slot *s)
{
	struct pool *p = s->pool;
	uint64_t lived = uv_now(p->loop) - s->start_ms;
	int64_t job_id = s->job_id, next_id = s->next_id;
	pid_t job_pid = s->job_pid;
	int had_job = s->busy, had_next = s->next_busy, next_unbegun = 0;
	int job_unbegun = 0, have_snap;
	struct scoreboard_snap snap;

	if (uv_timer_stop(&s->timer) < 0)
		log_warnx("worker %d: uv_timer_stop", s->index);
	s->running = 0;
	s->ready = 0;
	s->broken = 0;
	s->killed = 0;
	s->deadline_ms = 0;
	s->reclen = 0;
	s->pid = 0;
	pool_mq_release(s);
	/* The hand-off marker names the last job a RUN was queued for until
	 * the worker begins it (scoreboard.h).  Reports are read to EOF
	 * before this, so a job ahead still here was not begun, and the
	 * marker says so for certain; so does it for the slot's own job
	 * while no STARTED came (its RUN not read yet, or it was promoted
	 * after the job before it and the worker died before its turn). */
	have_snap = scoreboard_read(p->sb, (unsigned)s->index, &snap) == 0;
	if (had_job && !had_next && job_pid == 0)
		job_unbegun = have_snap && snap.handed_id == job_id &&
		    snap.handed_attempt == s->attempt;
	if (had_next) {
		next_unbegun = have_snap && snap.handed_id == next_id &&
		    snap.handed_attempt == s->next_attempt;
		if (!next_unbegun && p->cgroup_jobs != NULL)
			(void)cgroup_job_reap(p->cgroup_jobs, next_id,
			    s->next_attempt, POOL_CGROUP_REAP_MS);
		pool_next_release(s);
	}
	/* A marker of the job reported lost below must not outlive it. */
	scoreboard_handed(p->sb, (unsigned)s->index, 0, 0);
	if (had_job) {
		if (job_pid > 0 && kill(-job_pid, SIGKILL) == -1 &&
		    errno != ESRCH)
			log_warn("kill(-%ld, SIGKILL)", (long)job_pid);
		/* What the job left that the worker could not sweep. */
		if (p->cgroup_jobs != NULL && !job_unbegun)
			(void)cgroup_job_reap(p->cgroup_jobs, job_id,
			    s->attempt, POOL_CGROUP_REAP_MS);
		pool_shm_release(s);
		s->busy = 0;
		s->job_pid = 0;
	}
	if (p->stopping) {
		s->up = 0;
		pool_maybe_finish(p);
		return;
	}
	if (had_job && job_unbegun) {
		log_warnx("worker %d: died before it began job %lld",
		    s->index, (long long)job_id);
		pool_slot_down(s);
		if (p->cb.unstarted != NULL)
			p->cb.unstarted(p->arg, s->index, job_id);
	} else if (had_job) {
		log_warnx("worker %d: lost job %lld (pid %ld)", s->index,
		    (long long)job_id, (long)job_pid);
		s->up = 0;
		if (p->cb.lost != NULL)
			p->cb.lost(p->arg, s->index, job_id, job_pid);
		if (had_next && next_unbegun) {
			log_warnx("worker %d: job %lld, sent ahead, was never "
			    "started", s->index, (long long)next_id);
			if (p->cb.unstarted != NULL)
				p->cb.unstarted(p->arg, s->index, next_id);
		} else if (had_next) {
			log_warnx("worker %d: lost job %lld (sent ahead)",
			    s->index, (long long)next_id);
			if (p->cb.lost != NULL)
				p->cb.lost(p->arg, s->index, next_id, 0);
		}
	} else
		pool_slot_down(s);
	if (!p->stopping && !s->running)
		pool_schedule_restart(s, lived);
}

static void
pool_proc_closed(uv_handle_t *h)
{
	struct pool_slot *s = h->data;

	s->pool->nhandles--;
	s->proc_open = 0;
	if (!s->pipe_open)
		pool_slot_dead(s);
}

static void
pool_pipe_closed(uv_handle_t *h)
{
	struct pool_slot *s = h->data;

	s->pool->nhandles--;
	s->pipe_open = 0;
	if (!s->proc_open)
		pool_slot_dead(s);
}

void
pool_close_pipe(struct pool_slot *s)
{
	if (s->pipe_open && !uv_is_closing((uv_handle_t *)&s->pipe))
		uv_close((uv_handle_t *)&s->pipe, pool_pipe_closed);
}

static void
pool_eof_wait_cb(uv_timer_t *t)
{
	struct pool_slot *s = t->data;

	log_warnx("worker %d: report pipe still open after exit, closing it",
	    s->index);
	pool_close_pipe(s);
}

static void
pool_exit_cb(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct pool_slot *s = proc->data;
	struct pool *p = s->pool;
	int r;

	s->exited = 1;
	s->exit_status = exit_status;
	s->term_signal = term_signal;
	if (term_signal != 0) {
		if (p->stopping)
			log_debug("worker %d (pid %ld) killed by signal %d",
			    s->index, (long)s->pid, term_signal);
		else
			log_warnx("worker %d (pid %ld) killed by signal %d",
			    s->index, (long)s->pid, term_signal);
	} else if (p->stopping && exit_status == 0)
		log_debug("worker %d (pid %ld) exited", s->index, (long)s->pid);
	else
		log_warnx("worker %d (pid %ld) exited with status %lld",
		    s->index, (long)s->pid, (long long)exit_status);
	pool_slot_down(s);
	uv_close((uv_handle_t *)&s->proc, pool_proc_closed);
	/* Reports written before the exit are still in the pipe: read them
	 * up to EOF, but do not wait forever on a descriptor some stray
	 * process may hold. */
	if (s->pipe_open && !uv_is_closing((uv_handle_t *)&s->pipe)) {
		if ((r = uv_timer_start(&s->timer, pool_eof_wait_cb,
		    POOL_EOF_WAIT_MS, 0)) < 0) {
			log_warnx("worker %d: uv_timer_start: %s", s->index,
			    uv_strerror(r));
			pool_close_pipe(s);
		}
	}
}

/* ---- start --------------------------------------------------------------- */

static int
pool_mq_create(struct pool_slot *s)
{
	struct mq_attr attr;
	int tries, err;

	memset(&attr, 0, sizeof attr);
	attr.mq_maxmsg = WIRE_MQ_MAXMSG;
	attr.mq_msgsize = WIRE_MQ_MSGSIZE;
	s->gen++;
	wire_mq_name(s->mqname, sizeof s->mqname, (long)s->pool->pid, s->index,
	    s->gen);
	for (tries = 0; tries < 2; tries++) {
		s->mq = mq_open(s->mqname, O_CREAT | O_EXCL | O_WRONLY |
		    O_NONBLOCK | O_CLOEXEC, 0600, &attr);
		if (s->mq != (mqd_t)-1) {
			/*
			 * The worker's end is opened here too and handed to
			 * it as fd WORKER_MQ_FD, so the name can go at once:
			 * nothing is left in the message-queue file system
			 * whatever happens to jobqd or the worker later.
			 */
			s->mq_rd = mq_open(s->mqname, O_RDONLY | O_NONBLOCK |
			    O_CLOEXEC);
			err = errno;
			if (mq_unlink(s->mqname) == -1)
				log_warn("mq_unlink %s", s->mqname);
			if (s->mq_rd == (mqd_t)-1) {
				log_warnx("mq_open %s: %s", s->mqname,
				    strerror(err));
				mq_close(s->mq);
				s->mq = (mqd_t)-1;
				return -err;
			}
			return 0;
		}
		err = errno;
		if (err != EEXIST || tries > 0)
			break;
		/* Our pid is in the name: a previous process with the
		 * same pid left it behind. */
		log_warnx("message queue %s exists, removing the stale one",
		    s->mqname);
		if (mq_unlink(s->mqname) == -1 && errno != ENOENT)
			break;
	}
	if (err == EMFILE || err == ENOMEM || err == ENOSPC)
		log_warnx("mq_open %s: %s: the per-user message queue limit "
		    "is exhausted (ulimit -q, RLIMIT_MSGQUEUE, "
		    "/proc/sys/fs/mqueue/queues_max); lower --workers",
		    s->mqname, strerror(err));
	else
		log_warnx("mq_open %s: %s", s->mqname, strerror(err));
	return -err;
}

/* Starts a new generation in slot s.  On failure the slot stays empty and,
 * unless the pool is starting or stopping, a retry is scheduled. */
static int
pool_spawn(struct pool_slot *s)
{
	struct pool *p = s->pool;
	uv_process_options_t opt;
	uv_stdio_container_t stdio[WORKER_SCOREBOARD_FD + 1];
	char slotbuf[16], pidbuf[24];
	char *args[7];
	int r;

	if (s->mq == (mqd_t)-1 && (r = pool_mq_create(s)) < 0)
		goto fail_nohandles;
	(void)snprintf(slotbuf, sizeof slotbuf, "%d", s->index);
	(void)snprintf(pidbuf, sizeof pidbuf, "%ld", (long)p->pid);
	args[0] = (char *)"jobqd";
	args[1] = (char *)"--worker";
	args[2] = slotbuf;
	args[3] = s->mqname;
	args[4] = pidbuf;
	args[5] = (char *)p->cgroup_jobs;	/* NULL: no cgroup */
	args[6] = NULL;

	if ((r = uv_pipe_init(p->loop, &s->pipe, 0)) < 0) {
		log_warnx("worker %d: uv_pipe_init: %s", s->index,
		    uv_strerror(r));
		pool_mq_release(s);
		goto fail_nohandles;
	}
	s->pipe.data = s;
	s->pipe_open = 1;
	p->nhandles++;

	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[3].data.stream = (uv_stream_t *)&s->pipe;
	stdio[WORKER_MQ_FD].flags = UV_INHERIT_FD;
	stdio[WORKER_MQ_FD].data.fd = (int)s->mq_rd;
	stdio[WORKER_SCOREBOARD_FD].flags = UV_INHERIT_FD;
	stdio[WORKER_SCOREBOARD_FD].data.fd = scoreboard_fd(p->sb);
	memset(&opt, 0, sizeof opt);
	opt.exit_cb = pool_exit_cb;
	opt.file = p->exe;
	opt.args = args;
	opt.stdio = stdio;
	opt.stdio_count = WORKER_SCOREBOARD_FD + 1;

	s->running = 1;
	s->exited = 0;
	s->ready = 0;
	s->broken = 0;
	s->killed = 0;
	s->deadline_ms = 0;
	s->up = 0;
	s->reclen = 0;
	s->start_ms = uv_now(p->loop);
	/* The previous worker of the slot is reaped: the slot is ours. */
	scoreboard_slot_reset(p->sb, (unsigned)s->index, util_mono_ms());
	s->proc.data = s;
	rlimits_base_refresh();	/* the limits it takes: what its jobs undo */
	r = uv_spawn(p->loop, &s->proc, &opt);
	s->proc_open = 1;	/* initialised even when uv_spawn fails */
	s->proc.data = s;
	p->nhandles++;
	pool_mq_release_rd(s);	/* the worker has its own copy now */
	if (r < 0) {
		log_warnx("worker %d: spawn %s: %s", s->index, p->exe,
		    uv_strerror(r));
		pool_mq_release(s);	/* a new queue for the next try */
		s->exited = 1;
		uv_close((uv_handle_t *)&s->proc, pool_proc_closed);
		uv_close((uv_handle_t *)&s->pipe, pool_pipe_closed);
		/* pool_slot_dead() counts this as a quick death. */
		return r;
	}
	s->pid = s->proc.pid;
	scoreboard_slot_worker(p->sb, (unsigned)s->index, s->pid,
	    proctree_start_time(s->pid));
	if ((r = uv_read_start((uv_stream_t *)&s->pipe, pool_report_alloc,
	    pool_report_read)) < 0) {
		log_warnx("worker %d: uv_read_start: %s", s->index,
		    uv_strerror(r));
		pool_kill_worker(s, SIGKILL);
		pool_close_pipe(s);
		return r;
	}
	log_debug("worker %d: pid %ld, queue %s", s->index, (long)s->pid,
	    s->mqname);
	return 0;

fail_nohandles:
	/* Nothing to close: retry later like a quick death. */
	if (!p->stopping && !p->starting) {
		s->running = 0;
		pool_schedule_restart(s, 0);
	}
	return r;
}

static void
pool_raise_mq_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_MSGQUEUE");
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) == -1)
		log_warn("setrlimit RLIMIT_MSGQUEUE");
}

/* Teardown after pool_stop() or a failed pool_start(): once every worker
 * slot is empty, close the timers; the last close frees the pool. */
static void
pool_maybe_finish(struct pool *p)
{
	int i;

	if (p->finishing)
		return;
	for (i = 0; i < p->n; i++)
		if (p->slots[i].running || p->slots[i].proc_open ||
		    p->slots[i].pipe_open)
			return;
	p->finishing = 1;
	for (i = 0; i < p->n; i++) {
		pool_mq_release(&p->slots[i]);
		uv_close((uv_handle_t *)&p->slots[i].timer, pool_slot_timer_closed);
	}
	uv_close((uv_handle_t *)&p->stop_timer, pool_stop_timer_closed);
	pool_watch_close(p, pool_stop_timer_closed);
}

int
pool_start(uv_loop_t *loop, const struct pool_config *conf,
    const struct pool_callbacks *cb, void *arg, struct pool **out)
{
	struct pool *p;
	struct pool_slot *s;
	int i, r, nworkers = conf->nworkers;

	*out = NULL;
	if (nworkers <= 0 || conf->exe == NULL || conf->scoreboard == NULL ||
	    scoreboard_nslots(conf->scoreboard) < (unsigned)nworkers ||
	    conf->worker_timeout_ms == 0)
		return JOBQ_EINVAL;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return JOBQ_ENOMEM;
	if ((p->exe = strdup(conf->exe)) == NULL ||
	    (p->slots = calloc((size_t)nworkers, sizeof *p->slots)) == NULL) {
		free(p->exe);
		free(p);
		return JOBQ_ENOMEM;
	}
	p->loop = loop;
	p->pid = getpid();
	p->n = nworkers;
	p->cb = *cb;
	p->arg = arg;
	p->sb = conf->scoreboard;
	p->worker_timeout_ms = conf->worker_timeout_ms;
	p->cgroup_jobs = conf->cgroup_jobs;
	pool_raise_mq_limit();

	if ((r = uv_timer_init(loop, &p->stop_timer)) < 0) {
		log_warnx("uv_timer_init: %s", uv_strerror(r));
		free(p->slots);
		free(p->exe);
		free(p);
		return pool_code(r);
	}
	p->stop_timer.data = p;
	p->nhandles++;
	/* cannot fail on Linux: it only initialises the struct; a failed
	 * start leaves the workers to the heartbeat's absence (logged) */
	(void)pool_watch_start(p);
	for (i = 0; i < nworkers; i++) {
		s = &p->slots[i];
		s->pool = p;
		s->index = i;
		s->mq = (mqd_t)-1;
		s->mq_rd = (mqd_t)-1;
		/* cannot fail on Linux: it only initialises the struct */
		(void)uv_timer_init(loop, &s->timer);
		s->timer.data = s;
		p->nhandles++;
	}
	/* Creating every queue first catches the common failure (the
	 * per-user queue limit) before any process exists. */
	p->starting = 1;
	for (i = 0; i < nworkers; i++)
		if ((r = pool_mq_create(&p->slots[i])) < 0)
			goto fail;
	for (i = 0; i < nworkers; i++)
		if ((r = pool_spawn(&p->slots[i])) < 0)
			goto fail;
	p->starting = 0;
	*out = p;
	return 0;
fail:
	p->failed = 1;
	p->stopping = 1;
	for (i = 0; i < nworkers; i++)
		pool_kill_worker(&p->slots[i], SIGKILL);
	pool_maybe_finish(p);
	return pool_code(r);
}

/* ---- what the pool has ---------------------------------------------------- */

int
pool_size(const struct pool *p)
{
	return p->n;
}

pid_t
pool_worker_pid(const struct pool *p, int slot)
{
	const struct pool_slot *s;

	if (slot < 0 || slot >= p->n)
		return 0;
	s = &p->slots[slot];
	return s->running && !s->exited ? s->pid : 0;
}

/* ---- stop ---------------------------------------------------------------- */

static void
pool_stop_timer_cb(uv_timer_t *t)
{
	struct pool *p = t->data;
	int i, sig, r;

	p->stop_phase++;
	sig = p->stop_phase == 1 ? SIGTERM : SIGKILL;
	for (i = 0; i < p->n; i++) {
		if (p->slots[i].running && !p->slots[i].exited) {
			log_warnx("worker %d (pid %ld) still running, sending %s",
			    i, (long)p->slots[i].pid,
			    sig == SIGTERM ? "SIGTERM" : "SIGKILL");
			pool_kill_worker(&p->slots[i], sig);
		}
	}
	if (p->stop_phase == 1 && (r = uv_timer_start(&p->stop_timer,
	    pool_stop_timer_cb, POOL_STOP_KILL_MS - POOL_STOP_TERM_MS, 0)) < 0) {
		log_warnx("uv_timer_start: %s", uv_strerror(r));
		for (i = 0; i < p->n; i++)
			pool_kill_worker(&p->slots[i], SIGKILL);
	}
}

void
pool_stop(struct pool *p, void (*done)(void *), void *arg)
{
	struct wire_msg m;
	struct pool_slot *s;
	int i, r;

	if (p->stopping)
		return;
	p->stopping = 1;
	p->done = done;
	p->done_arg = arg;
	memset(&m, 0, sizeof m);
	m.type = WIRE_QUIT;
	for (i = 0; i < p->n; i++) {
		s = &p->slots[i];
		/* An empty slot's timer is a restart backoff: cancel it.  A
		 * running slot's is the wait for EOF after exit: keep it. */
		if (!s->running && uv_timer_stop(&s->timer) < 0)
			log_warnx("worker %d: uv_timer_stop", i);
		if (!s->running || s->exited)
			continue;
		if (pool_send(s, "QUIT", &m, sizeof m) < 0) {
			log_warnx("worker %d: sending SIGTERM instead of QUIT",
			    i);
			pool_kill_worker(s, SIGTERM);
		}
	}
	if ((r = uv_timer_start(&p->stop_timer, pool_stop_timer_cb,
	    POOL_STOP_TERM_MS, 0)) < 0) {
		log_warnx("uv_timer_start: %s", uv_strerror(r));
		for (i = 0; i < p->n; i++)
			pool_kill_worker(&p->slots[i], SIGKILL);
	}
	pool_maybe_finish(p);
}
