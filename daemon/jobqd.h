/*
 * jobqd.h - what every part of the daemon shares: the process model, the
 * error convention and jobqd_uptime_ms().  The configuration (options and
 * paths) is private to jobqd.c, which hands each part what it needs:
 * struct dispatch_config, struct server_config, store_open()'s arguments.
 *
 * Process model:
 *
 *   jobqd (main process)
 *     main thread:  libuv loop - listening socket and clients (server.c),
 *                   scheduling and job bookkeeping (dispatch.c), worker
 *                   supervision (pool.c), signals and timers
 *     store thread: owns the SQLite connection (store.c); fed by a queue
 *                   under a mutex + condition variable, answers with uv_async
 *     jobqd --worker SLOT ... (N worker processes, pool.c / worker.c)
 *       <- POSIX message queue per worker (RUN / CANCEL / INTERRUPT / QUIT,
 *          big specs through POSIX shared memory)
 *       -> pipe per worker (READY / STARTED / FINISHED / SPAWN_FAILED)
 *       job process (own session and process group, one at a time)
 *
 * Lock order: the store's queue lock is the only lock shared by threads and
 * is a leaf; the loop thread never blocks on the store thread.
 *
 * Errors: every function a daemon header declares returns 0 (or a count)
 * on success and a negative JOBQ_E* code (jobq.h) on failure: the space the
 * protocol speaks, so a code travels from where it arose to the client's
 * reply unchanged.  The boundaries convert once: the store turns SQLite
 * result codes into JOBQ_E* (store_code), the pool and the server turn
 * -errno / UV_E* from system calls and libuv into JOBQ_E* after logging
 * the system's message.  Static helpers that wrap one system call may
 * return -errno inside their file, never through a header.  The pure
 * modules (sched, stats, job, wire) follow the same rule.
 */
#ifndef JOBQD_JOBQD_H
#define JOBQD_JOBQD_H

#include <stdint.h>

/* Monotonic milliseconds since start-up. */
int64_t jobqd_uptime_ms(void);

#endif
