/*
 * job.h - the job state machine: pure code, no I/O.  Every change of a
 * job's state, in dispatch and in the store, is asked of job_transition();
 * nothing else decides a state.
 *
 *   submit --> queued <------------------------------------------+
 *   (a submit whose dependency can never hold is inserted        |
 *    queued and at once dep_cancel'ed in the same commit)        |
 *                                                                |
 *   queued --claim (attempts+1)--> running                       |
 *   queued --cancel--------------> canceled (canceled)           |
 *   queued --dep_cancel----------> canceled (dependency)         |
 *   running --unclaim (attempts-1)--> queued  (claimed, never    |
 *            handed to a worker: the claim could not be written, |
 *            jobqd is stopping, or a cancel came first - the job |
 *            is then canceled from queued)                       |
 *   running --exited 0-------------> succeeded                   |
 *   running --exited != 0----------> failed (exit_code)       *  |
 *   running --signaled-------------> failed (signal)          *  |
 *   running --spawn_failed---------> failed (spawn_failed)    *  |
 *   running --worker_lost----------> failed (worker_lost)     *  |
 *   running --timeout--------------> timed_out (timeout)      *  |
 *   running --output_limit---------> failed (output_limit)    *  |
 *   running --interrupt------------> interrupted (shutdown,   *  |
 *                                    or daemon_crash at start-up)|
 *   running --cancel---------------> canceled (canceled)         |
 *   succeeded/failed/canceled/timed_out/interrupted              |
 *            --retry (jobq retry; attempts 0)--------------------+
 *
 *   * An end marked * goes back to queued instead (retry = 1, the reason
 *     of the failed attempt kept) while attempts <= max_retries: attempts
 *     counts starts, so max_retries = 2 allows three runs in all.
 *
 * The terminal states (succeeded, failed, canceled, timed_out,
 * interrupted) change only through `retry`, the explicit request of a
 * user; no event of the daemon's own moves a job out of them.
 */
#ifndef JOBQD_JOB_H
#define JOBQD_JOB_H

#include "jobq.h"

enum job_event {
	JOB_EV_CLAIM,         /* dispatched to a worker */
	JOB_EV_EXITED,        /* process exited; code in exit_code */
	JOB_EV_SIGNALED,      /* process killed by a signal */
	JOB_EV_SPAWN_FAILED,  /* could not start the command */
	JOB_EV_WORKER_LOST,   /* the worker running it died or hung */
	JOB_EV_CANCEL,        /* user cancel (queued or running) */
	JOB_EV_INTERRUPT,     /* daemon shut down or crashed while running */
	JOB_EV_TIMEOUT,       /* killed at its deadline (--timeout) */
	JOB_EV_UNCLAIM,       /* claimed but never handed to a worker */
	JOB_EV_DEP_CANCEL,    /* a dependency can no longer be satisfied */
	JOB_EV_RETRY,         /* jobq retry of an ended job */
	JOB_EV_OUTPUT_LIMIT,  /* its stdout or stderr passed the output limit
	                         (the worker killed it) */
	JOB_EV_COUNT
};

struct job_outcome {
	jobq_state state;     /* the new state */
	const char *reason;   /* static string or NULL: "exit_code", "signal",
	                         "spawn_failed", "worker_lost", "canceled",
	                         "dependency", "timeout", "shutdown",
	                         "daemon_crash", "output_limit" */
	int retry;            /* 1 if the job goes back to queued for another
	                         try (an automatic retry, not JOB_EV_RETRY) */
	int attempts;         /* the job's attempt count after the event */
};

/*
 * Computes the transition for `ev` on a job in state `from` that has been
 * started `attempts` times with a budget of `max_retries` retries.
 * exit_code is used for JOB_EV_EXITED; crash distinguishes a crash found at
 * start-up from an orderly shutdown for JOB_EV_INTERRUPT.  Returns 0, or
 * JOBQ_ESTATE when the event is not allowed in that state (out untouched;
 * an out-of-range state or event is allowed nowhere).
 */
int job_transition(jobq_state from, enum job_event ev, int attempts,
    int max_retries, int exit_code, int crash, struct job_outcome *out);

/* "claim", "exited", ...; NULL for an out-of-range event. */
const char *job_event_name(enum job_event ev);

#endif
