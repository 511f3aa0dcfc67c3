/*
 * jobqd.h - the daemon's configuration and the few helpers every part of
 * the daemon shares.
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

#include <limits.h>
#include <stdint.h>
#include <sys/un.h>

struct config {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char state_dir[PATH_MAX];
	char db_path[PATH_MAX + 16];
	char logs_dir[PATH_MAX + 16];
	char exe[PATH_MAX];          /* this binary, to start workers */
	int workers;
	int sync_full;
	unsigned kill_grace_ms;
	unsigned handshake_ms;
	int64_t keep_age_ms;         /* retention of ended jobs; 0 = for ever */
	size_t keep_count;           /* ended jobs kept at most; 0 = no limit */
	int listen_fd;               /* from systemd socket activation, or -1 */
	int system_mode;             /* running as root with system defaults */
};

extern struct config cfg;

/* Monotonic milliseconds since start-up. */
int64_t jobqd_uptime_ms(void);

#endif
