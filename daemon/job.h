/*
 * job.h - the job state machine: pure code, no I/O.
 *
 *                 submit
 *                   |
 *                   v        cancel
 *       +-------> queued ------------------------------> canceled
 *       |           |
 *       | retry     | claim (attempts += 1)
 *       | (budget   v
 *       |  left)  running --exit 0------------------------> succeeded
 *       |           |  \--exit != 0 / signal / spawn error -> failed
 *       |           |  \--worker died (worker_lost) -------> failed
 *       |           |  \--cancel ---------------------------> canceled
 *       |           |  \--daemon stopped or crashed --------> interrupted
 *       +-----------+
 *   A job that would end failed, timed_out or interrupted goes back to queued instead
 *   while attempts <= max_retries (attempts counts starts, so max_retries = 2
 *   allows three runs in all).  Terminal states never change again.
 */
#ifndef JOBQD_JOB_H
#define JOBQD_JOB_H

#include "jobq.h"

enum job_event {
	JOB_EV_CLAIM,         /* dispatched to a worker */
	JOB_EV_EXITED,        /* process exited; code in job_outcome.exit_code */
	JOB_EV_SIGNALED,      /* process killed by a signal */
	JOB_EV_SPAWN_FAILED,  /* could not start the command */
	JOB_EV_WORKER_LOST,   /* the worker running it died */
	JOB_EV_CANCEL,        /* user cancel (queued or running) */
	JOB_EV_INTERRUPT,     /* daemon shut down or crashed while running */
	JOB_EV_TIMEOUT        /* killed at its deadline (--timeout) */
};

struct job_outcome {
	jobq_state state;     /* the new state */
	const char *reason;   /* static string or NULL: "exit_code", "signal",
	                         "spawn_failed", "worker_lost", "canceled",
	                         "shutdown", "daemon_crash" ... */
	int retry;            /* 1 if the job goes back to queued for another try */
};

/*
 * Computes the transition for `ev` on a job in state `from` that has been
 * started `attempts` times with a budget of `max_retries` retries.
 * exit_code is used for JOB_EV_EXITED; crash distinguishes a crash found at
 * start-up from an orderly shutdown for JOB_EV_INTERRUPT.  Returns 0, or
 * JOBQ_ESTATE when the event is not allowed in that state (out untouched).
 */
int job_transition(jobq_state from, enum job_event ev, int attempts,
    int max_retries, int exit_code, int crash, struct job_outcome *out);

const char *job_event_name(enum job_event ev);

#endif
