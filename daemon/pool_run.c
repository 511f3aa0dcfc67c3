/*
 * pool_run.c - the requests of the worker pool (loop thread): a job handed
 * to a worker (pool_run: RUN, inline or with its spec in POSIX shm, the
 * hand-off marker written first), to a free worker or ahead of the job a
 * worker runs (pool.h: running ahead); a job asked to stop (CANCEL,
 * INTERRUPT) or, still waiting ahead, asked back (WITHDRAW); the job ahead
 * becoming the slot's, or leaving it.  A message that cannot be queued
 * condemns its worker (pool_send_failed).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "fault.h"
#include "log.h"
#include "pool.h"
#include "pool_int.h"
#include "scoreboard.h"
#include "wire.h"

/* The job ahead is no longer the slot's: its shm object and hand-off
 * marker go. */
void
pool_next_release(struct pool_slot *s)
{
	if (!s->next_busy)
		return;
	if (s->next_shm && shm_unlink(s->next_shm_name) == -1 &&
	    errno != ENOENT)
		log_warn("shm_unlink %s", s->next_shm_name);
	scoreboard_handed(s->pool->sb, (unsigned)s->index, 0, 0);
	s->next_busy = s->next_withdrawn = s->next_shm = 0;
}

/* The slot's job ended and the worker begins the job ahead: it is the
 * slot's job now (the current one's shm released by the caller). */
void
pool_next_promote(struct pool_slot *s)
{
	s->job_id = s->next_id;
	s->attempt = s->next_attempt;
	s->job_pid = 0;
	s->job_shm = s->next_shm;
	memcpy(s->shm_name, s->next_shm_name, sizeof s->shm_name);
	s->next_busy = s->next_withdrawn = s->next_shm = 0;
}

/* Queues a message for the slot's worker; returns 0 or -errno (logged). */
int
pool_send(struct pool_slot *s, const char *what, const void *msg, size_t len)
{
	int r;

	if (fault_hit(FAULT_MQ_SEND)) {
		log_warnx("worker %d: %s: failing mq_send as told by "
		    "JOBQD_FAULTS (mq_send)", s->index, what);
		return -EAGAIN;
	}
	if (s->mq == (mqd_t)-1)
		r = -EPIPE;
	else if (mq_send(s->mq, msg, len, 0) == -1)
		r = -errno;
	else
		return 0;
	log_warnx("worker %d: %s: mq_send: %s", s->index, what, strerror(-r));
	return r;
}

/*
 * A message for the worker in s could not be queued: a worker that does
 * not empty its queue (EAGAIN) or cannot be reached is of no use.  Kill it;
 * the job it holds comes back through lost() once it is reaped, and
 * pool_exit_cb tells the callbacks the slot is down (not from here: this
 * runs inside pool_run/pool_cancel, whose caller must not be re-entered).
 */
static void
pool_send_failed(struct pool_slot *s)
{
	log_warnx("worker %d (pid %ld): cannot reach it, killing it%s",
	    s->index, (long)s->pid, s->busy ? "; its job is lost" : "");
	s->broken = 1;
	pool_kill_worker(s, SIGKILL);
}

/* Writes the spec to a new shm object named for the job; returns 0 or
 * -errno (logged). */
static int
pool_shm_create(const char *name, const char *spec, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd, r, tries;

	for (tries = 0;; tries++) {
		fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd != -1)
			break;
		r = -errno;
		if (r != -EEXIST || tries > 0) {
			log_warn("shm_open %s", name);
			return r;
		}
		/* Left by an earlier process with our pid, or a lost worker
		 * that never mapped it. */
		if (shm_unlink(name) == -1 && errno != ENOENT) {
			r = -errno;
			log_warn("shm_unlink %s", name);
			return r;
		}
	}
	if (ftruncate(fd, (off_t)len) == -1) {
		r = -errno;
		log_warn("ftruncate %s", name);
		goto fail;
	}
	while (off < len) {
		n = pwrite(fd, spec + off, len - off, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = -errno;
			log_warn("pwrite %s", name);
			goto fail;
		}
		if (n == 0) {
			log_warnx("pwrite %s: wrote nothing", name);
			r = -EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		r = -errno;
		log_warn("close %s", name);
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	if (shm_unlink(name) == -1 && errno != ENOENT)
		log_warn("shm_unlink %s", name);
	return r;
}

/* The job a RUN was sent for (or was to be sent for) is the slot's now. */
static void
pool_hold(struct pool_slot *s, int64_t job_id, unsigned attempt)
{
	s->busy = 1;
	s->job_id = job_id;
	s->attempt = attempt;
	s->job_pid = 0;
}

int
pool_run(struct pool *p, int slot, int64_t job_id, unsigned attempt,
    const char *spec, size_t spec_len)
{
	struct pool_slot *s;
	struct wire_msg *m;
	char buf[WIRE_MQ_MSGSIZE], what[64];
	size_t len;
	int r, ahead;

	if (slot < 0 || slot >= p->n || spec_len == 0)
		return JOBQ_EINVAL;
	if (p->stopping)
		return JOBQ_ESHUTDOWN;
	s = &p->slots[slot];
	if (!pool_slot_usable(s) || (s->busy && !pool_can_run_ahead(p, slot)))
		return JOBQ_ESTATE;
	ahead = s->busy;
	memset(buf, 0, sizeof(struct wire_msg));
	m = (struct wire_msg *)(void *)buf;
	m->type = WIRE_RUN;
	m->job_id = job_id;
	m->attempt = attempt;
	m->spec_len = spec_len;
	len = sizeof *m;
	if (spec_len <= WIRE_INLINE_MAX) {
		memcpy(buf + sizeof *m, spec, spec_len);
		len += spec_len;
	} else {
		wire_shm_name(m->shm_name, sizeof m->shm_name, (long)p->pid,
		    job_id, attempt);
		m->flags = WIRE_F_SHM;
		if ((r = pool_shm_create(m->shm_name, spec, spec_len)) < 0)
			return pool_code(r);
	}
	if (ahead) {
		s->next_busy = 1;
		s->next_id = job_id;
		s->next_attempt = attempt;
		s->next_shm = (m->flags & WIRE_F_SHM) != 0;
		memcpy(s->next_shm_name, m->shm_name, sizeof s->next_shm_name);
	} else {
		s->job_shm = (m->flags & WIRE_F_SHM) != 0;
		memcpy(s->shm_name, m->shm_name, sizeof s->shm_name);
		pool_hold(s, job_id, attempt);
	}
	/* Before the RUN can be read: the worker clears it as it begins. */
	scoreboard_handed(p->sb, (unsigned)slot, job_id, attempt);
	(void)snprintf(what, sizeof what, "RUN job %lld", (long long)job_id);
	if (pool_send(s, what, buf, len) < 0)
		pool_send_failed(s);
	return 0;
}

int
pool_can_run_ahead(const struct pool *p, int slot)
{
	const struct pool_slot *s;

	if (slot < 0 || slot >= p->n || p->stopping)
		return 0;
	s = &p->slots[slot];
	return pool_slot_usable(s) && s->busy && s->job_pid > 0 &&
	    !s->next_busy && s->deadline_ms == 0;
}

/* Asks the worker to drop the job ahead (once). */
static int
pool_withdraw(struct pool_slot *s)
{
	struct wire_msg m;
	char what[64];

	if (s->next_withdrawn)
		return 0;
	s->next_withdrawn = 1;
	memset(&m, 0, sizeof m);
	m.type = WIRE_WITHDRAW;
	m.job_id = s->next_id;
	m.attempt = s->next_attempt;
	(void)snprintf(what, sizeof what, "WITHDRAW job %lld",
	    (long long)s->next_id);
	if (pool_send(s, what, &m, sizeof m) < 0)
		pool_send_failed(s);
	return 0;
}

int
pool_cancel(struct pool *p, int slot, int64_t job_id, unsigned grace_ms,
    int interrupt)
{
	struct pool_slot *s;
	struct wire_msg m;
	char what[64];

	if (slot < 0 || slot >= p->n)
		return JOBQ_EINVAL;
	s = &p->slots[slot];
	if (s->next_busy && s->next_id == job_id)
		return pool_withdraw(s);
	if (!s->busy || s->job_id != job_id)
		return JOBQ_ENOTFOUND;
	memset(&m, 0, sizeof m);
	m.type = interrupt ? WIRE_INTERRUPT : WIRE_CANCEL;
	m.job_id = job_id;
	m.attempt = s->attempt;
	m.grace_ms = grace_ms;
	(void)snprintf(what, sizeof what, "%s job %lld",
	    interrupt ? "INTERRUPT" : "CANCEL", (long long)job_id);
	/* Whatever the worker does, the job is over by grace + margin. */
	pool_watch_deadline(s, grace_ms);
	if (pool_send(s, what, &m, sizeof m) < 0)
		pool_send_failed(s);
	return 0;
}

