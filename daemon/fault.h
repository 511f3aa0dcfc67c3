/*
 * fault.h - fault injection points (the seams tests use, as beanstalkd and
 * SQLite have them): a failure path is exercised by telling the real
 * daemon to fail at a named point, without strace, root or a full disk.
 *
 * jobqd reads the environment variable JOBQD_FAULTS once at start-up
 * (fault_init); its worker processes inherit it (jobs never do: a job's
 * environment is its submitter's).  The variable is a comma-separated list
 * of
 *      POINT[@N][*M]      fail the N-th hit of POINT (1-based, default 1)
 *                         and the M-1 hits after it (default M = 1;
 *                         "*" alone: every hit from the N-th on)
 * e.g. JOBQD_FAULTS='spawn@2,commit@3*2'.  Unset or empty: no point ever
 * fails and fault_hit() costs one relaxed atomic load.  A malformed value
 * is a start-up error.  Each process counts its own hits (a worker counts
 * the spawns it made, not the daemon's).
 *
 * The point "stall" also needs JOBQD_FAULT_STALL=FILE (an absolute path;
 * fault_init reads it when "stall" is listed, and refuses the spec
 * without it): a failing hit of it does not fail anything, it holds the
 * store thread before the COMMIT of its batch for as long as FILE exists
 * (store.c), as an fsync that never returns would, for the watchdog tests.
 *
 * Thread safety: fault_hit() may be called from any thread; each point
 * has its own atomic counter.
 */
#ifndef JOBQD_FAULT_H
#define JOBQD_FAULT_H

#include <stddef.h>

enum fault_point {
	FAULT_SPAWN,        /* worker: the job's fork/exec fails (EAGAIN) */
	FAULT_MQ_SEND,      /* pool: mq_send of a message to a worker fails */
	FAULT_REPORT_WRITE, /* worker: a write to the report pipe fails */
	FAULT_ALLOC,        /* dispatch/server: an allocation fails */
	FAULT_COMMIT,       /* store: COMMIT of a batch fails (SQLITE_FULL) */
	FAULT_STALL,        /* store: the thread waits before a COMMIT while
	                       fault_stall_file() exists */
	FAULT_NPOINTS
};

/* Parses spec (NULL or "" = no faults).  Returns 0, or JOBQ_EINVAL with a
 * message in err. */
int fault_init(const char *spec, char *err, size_t errlen);

/* 1 if this hit of point p must fail, else 0. */
int fault_hit(enum fault_point p);

/* JOBQD_FAULT_STALL as read by fault_init ("" when "stall" is not
 * listed). */
const char *fault_stall_file(void);

/* "spawn", "mq_send", ... */
const char *fault_name(enum fault_point p);

#endif
