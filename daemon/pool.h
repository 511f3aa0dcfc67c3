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
 * Callbacks (all on the loop thread):
 *   ready(slot)      the worker in slot can take a job (after start, after a job)
 *   started(slot, report)  the job's process is running
 *   finished(slot, report) FINISHED or SPAWN_FAILED for the job
 *   lost(slot, job_id, job_pid)  the worker died holding job_id (job_pid 0 if
 *                    it had not started it); the pool has already sent SIGKILL
 *                    to the job's process group.
 * ready() follows finished() for the same slot.  After lost() the slot gets a
 * new worker and ready() again when it is up.
 */
#ifndef JOBQD_POOL_H
#define JOBQD_POOL_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>
#include "wire.h"

struct pool;

struct pool_callbacks {
	void (*ready)(void *arg, int slot);
	void (*started)(void *arg, int slot, const struct wire_report *rep);
	void (*finished)(void *arg, int slot, const struct wire_report *rep);
	void (*lost)(void *arg, int slot, int64_t job_id, pid_t job_pid);
};

/* exe: path of the jobqd binary to run as workers (readlink /proc/self/exe). */
int pool_start(uv_loop_t *loop, const char *exe, int nworkers,
    const struct pool_callbacks *cb, void *arg, struct pool **out);

/* Sends a RUN to the worker in slot, which must be ready and idle.  The spec
 * goes inline or through shared memory.  Returns 0 or a negative errno; on
 * error no callback fires for this job. */
int pool_run(struct pool *p, int slot, int64_t job_id, unsigned attempt,
    const char *spec, size_t spec_len);

/* Asks the worker in slot to stop its job: TERM, KILL after grace_ms; the job
 * then ends through finished() with WIRE_END_CANCELED or _INTERRUPTED. */
int pool_cancel(struct pool *p, int slot, int64_t job_id, unsigned grace_ms,
    int interrupt);

int pool_size(const struct pool *p);
/* Process ids of the live workers (for ps-style listing and tests). */
pid_t pool_worker_pid(const struct pool *p, int slot);

/* Stops all workers (WIRE_QUIT, then SIGTERM, SIGKILL after 5 s), closes
 * queues and handles; done(arg) is called when every worker has been
 * reaped.  No other callback fires after pool_stop(). */
void pool_stop(struct pool *p, void (*done)(void *arg), void *arg);

#endif
