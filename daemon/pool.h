/*
 * pool.h - the worker pool supervisor (loop thread).
 *
 * The pool starts N workers at boot with uv_spawn (jobqd --worker ...), one
 * POSIX message queue and one report pipe each, and keeps N alive: when a
 * worker exits (uv exit callback) or its pipe hits EOF it is reaped, the job
 * it held is reported lost, and a replacement is started: at once the first
 * time, then with exponential backoff (100 ms doubling to 10 s) while
 * replacements keep dying within 10 s of their start.
 *
 * Callbacks (all on the loop thread, never from inside a pool_* call):
 *   ready(slot)      the worker in slot can take a job (after start, after a job)
 *   started(slot, report)  the job's process is running
 *   finished(slot, report) FINISHED or SPAWN_FAILED for the job
 *   lost(slot, job_id, job_pid)  the worker died holding job_id (job_pid 0 if
 *                    it had not started it); the pool has already sent SIGKILL
 *                    to the job's process group and, in cgroup mode, emptied
 *                    and removed the job's cgroup (cgroup.h).
 *   lost(slot, 0, 0) the worker in slot can take no job any more (it died, is
 *                    dying, or broke the protocol); a job it holds is reported
 *                    later by finished() or lost(slot, job_id, ...).
 *   unstarted(slot, job_id)  a job sent to slot was never begun: the job
 *                    ahead (below) that the worker dropped (WITHDRAW,
 *                    CANCEL, INTERRUPT), or a job of the slot whose
 *                    worker died before it began it (the hand-off marker
 *                    still named it; after lost(slot, 0, 0)); it is
 *                    jobqd's again, still claimed.
 * ready() follows finished() for the same slot when the worker can take
 * another job.
 *
 * Running ahead (wire.h): while a slot's job runs (its STARTED seen, not
 * told to stop), pool_run() may give the slot one more job, which the
 * worker begins right after the first one's end; finished() for the first
 * then leaves the slot busy with the second (no ready() between).  Before
 * every RUN it queues the pool writes the slot's hand-off marker in the
 * scoreboard (scoreboard.h), which the worker clears as it begins the job.
 * A job ahead ends through unstarted() (the marker still set), or, once
 * begun, like any other.  A slot is free for pool_run() from its ready() until its
 * lost() or the pool_run() that gives it a job.  After lost() the slot gets
 * a new worker and ready() again when it is up.
 *
 * A message the pool cannot queue for a worker (mq_send fails: the worker
 * stopped emptying its queue; or FAULT_MQ_SEND of fault.h) condemns that
 * worker: it is killed and replaced, and its job ends through lost(slot,
 * job_id, pid), or - for a RUN, the job that was never delivered, which
 * did not start - through unstarted().  pool_run() and pool_cancel()
 * return 0 then: the job is the pool's to report, never lost and never
 * left running.
 *
 * Hung workers (pool_watch.c): every worker writes a heartbeat into its
 * slot of the scoreboard (scoreboard.h) at least every 250 ms; one whose
 * heartbeat is older than worker_timeout_ms, or whose job was told to stop
 * (pool_cancel) and has not ended grace_ms + POOL_MARGIN_MS later, is hung:
 * it is SIGKILLed with its whole process tree (the job's group, anything
 * the job left in the worker's subtree) and its job ends through lost().
 * Every SIGKILL of a worker by the pool takes its tree along.  So no
 * cancel, timeout or stop ever waits on a worker.
 *
 * Errors: 0 or a negative JOBQ_E* code (jobq.h); the system's message is
 * logged where a system call failed.
 */
#ifndef JOBQD_POOL_H
#define JOBQD_POOL_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>
#include "wire.h"

/* The slack after a job's kill grace before its worker counts as hung. */
#define POOL_MARGIN_MS 1000

struct pool;

struct pool_config {
	const char *exe;		/* the jobqd binary to run as workers
					 * (readlink /proc/self/exe) */
	int nworkers;
	struct scoreboard *scoreboard;	/* at least nworkers slots: slot i
					 * is worker i's */
	unsigned worker_timeout_ms;	/* heartbeat older: hung (> 0) */
	const char *cgroup_jobs;	/* cgroup.h: jobs' cgroups go here
					 * (passed to the workers; a lost
					 * job's is killed and removed);
					 * NULL: none.  Must outlive the pool */
};

struct pool_callbacks {
	void (*ready)(void *arg, int slot);
	void (*started)(void *arg, int slot, const struct wire_report *rep);
	void (*finished)(void *arg, int slot, const struct wire_report *rep);
	void (*lost)(void *arg, int slot, int64_t job_id, pid_t job_pid);
	void (*unstarted)(void *arg, int slot, int64_t job_id);
};

/* Returns 0, JOBQ_EINVAL, JOBQ_ENOMEM or JOBQ_EINTERNAL (message queues or
 * processes could not be created: see the log).  conf->scoreboard must
 * outlive the pool. */
int pool_start(uv_loop_t *loop, const struct pool_config *conf,
    const struct pool_callbacks *cb, void *arg, struct pool **out);

/* Sends a RUN to the worker in slot, which must be free, or may run one
 * ahead (pool_can_run_ahead; see above).  The
 * spec goes inline or through shared memory.  Returns 0 (the job is the
 * slot's: it ends through finished(), lost() or unstarted()), or, with no
 * callback for this job: JOBQ_EINVAL (bad slot, empty spec),
 * JOBQ_ESHUTDOWN (pool_stop() was called), JOBQ_ESTATE (the slot is
 * neither free nor able to take one ahead),
 * JOBQ_ENOMEM / JOBQ_ETOOBIG / JOBQ_EINTERNAL (the spec's shared memory
 * object could not be written). */
int pool_run(struct pool *p, int slot, int64_t job_id, unsigned attempt,
    const char *spec, size_t spec_len);
/* 1 if slot's job has started, is not being stopped, and no job is
 * ahead of it yet. */
int pool_can_run_ahead(const struct pool *p, int slot);

/* Asks the worker in slot to stop its job: TERM, KILL after grace_ms; the job
 * then ends through finished() with WIRE_END_CANCELED or _INTERRUPTED, or
 * through lost() if the worker could not be told or has not reported its
 * end grace_ms + POOL_MARGIN_MS later (it is then killed as hung).
 * For the job ahead in slot the worker is asked to drop it (WITHDRAW): it
 * ends through unstarted(), or, if the worker began it meanwhile, it is
 * its running job (the caller then stops it as such once started()).
 * Returns 0, JOBQ_EINVAL (bad slot) or JOBQ_ENOTFOUND (the slot does not
 * hold job_id). */
int pool_cancel(struct pool *p, int slot, int64_t job_id, unsigned grace_ms,
    int interrupt);

int pool_size(const struct pool *p);
/* Process ids of the live workers (for ps-style listing and tests). */
pid_t pool_worker_pid(const struct pool *p, int slot);

/* Stops all workers (WIRE_QUIT, then SIGTERM after 1 s, SIGKILL with
 * their trees after 5 s; a worker without a heartbeat for a second is
 * killed at once), closes queues and handles; done(arg) is called when
 * every worker has been reaped.  No other callback fires after
 * pool_stop(). */
void pool_stop(struct pool *p, void (*done)(void *arg), void *arg);

#endif
