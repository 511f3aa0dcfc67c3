/*
 * job.c - the job state machine drawn in job.h: pure code, no I/O, no
 * state of its own.  Every caller that changes a job's state (dispatch,
 * the store's recovery and retry) asks job_transition() what the new state
 * is, so the rules live in exactly one place.
 */
#include "config.h"

#include <stddef.h>

#include "job.h"

static const char *const job_event_names[JOB_EV_COUNT] = {
	"claim", "exited", "signaled", "spawn_failed", "worker_lost",
	"cancel", "interrupt", "timeout", "unclaim", "dep_cancel", "retry",
	"output_limit"
};

const char *
job_event_name(enum job_event ev)
{
	if ((int)ev < 0 || ev >= JOB_EV_COUNT)
		return (NULL);
	return (job_event_names[ev]);
}

/* The end of a run (from running), before the retry budget is applied. */
static int
job_run_end(enum job_event ev, int exit_code, int crash, struct job_outcome *o)
{
	switch (ev) {
	case JOB_EV_EXITED:
		if (exit_code == 0) {
			o->state = JOBQ_STATE_SUCCEEDED;
		} else {
			o->state = JOBQ_STATE_FAILED;
			o->reason = "exit_code";
		}
		return (0);
	case JOB_EV_SIGNALED:
		o->state = JOBQ_STATE_FAILED;
		o->reason = "signal";
		return (0);
	case JOB_EV_SPAWN_FAILED:
		o->state = JOBQ_STATE_FAILED;
		o->reason = "spawn_failed";
		return (0);
	case JOB_EV_WORKER_LOST:
		o->state = JOBQ_STATE_FAILED;
		o->reason = "worker_lost";
		return (0);
	case JOB_EV_OUTPUT_LIMIT:
		o->state = JOBQ_STATE_FAILED;
		o->reason = "output_limit";
		return (0);
	case JOB_EV_CANCEL:
		o->state = JOBQ_STATE_CANCELED;
		o->reason = "canceled";
		return (0);
	case JOB_EV_INTERRUPT:
		o->state = JOBQ_STATE_INTERRUPTED;
		o->reason = crash ? "daemon_crash" : "shutdown";
		return (0);
	case JOB_EV_TIMEOUT:
		o->state = JOBQ_STATE_TIMED_OUT;
		o->reason = "timeout";
		return (0);
	case JOB_EV_UNCLAIM:
		o->state = JOBQ_STATE_QUEUED;
		o->attempts = o->attempts > 0 ? o->attempts - 1 : 0;
		return (0);
	default:
		return (JOBQ_ESTATE);
	}
}

int
job_transition(jobq_state from, enum job_event ev, int attempts,
    int max_retries, int exit_code, int crash, struct job_outcome *out)
{
	struct job_outcome o;

	o.reason = NULL;
	o.retry = 0;
	o.attempts = attempts;
	switch (from) {
	case JOBQ_STATE_QUEUED:
		switch (ev) {
		case JOB_EV_CLAIM:
			o.state = JOBQ_STATE_RUNNING;
			o.attempts = attempts + 1;
			break;
		case JOB_EV_CANCEL:
			o.state = JOBQ_STATE_CANCELED;
			o.reason = "canceled";
			break;
		case JOB_EV_DEP_CANCEL:
			o.state = JOBQ_STATE_CANCELED;
			o.reason = "dependency";
			break;
		default:
			return (JOBQ_ESTATE);
		}
		break;
	case JOBQ_STATE_RUNNING:
		if (job_run_end(ev, exit_code, crash, &o) != 0)
			return (JOBQ_ESTATE);
		break;
	case JOBQ_STATE_SUCCEEDED:
	case JOBQ_STATE_FAILED:
	case JOBQ_STATE_CANCELED:
	case JOBQ_STATE_TIMED_OUT:
	case JOBQ_STATE_INTERRUPTED:
		/* Only a user's retry moves a job out of a terminal state. */
		if (ev != JOB_EV_RETRY)
			return (JOBQ_ESTATE);
		o.state = JOBQ_STATE_QUEUED;
		o.attempts = 0;
		break;
	default:
		return (JOBQ_ESTATE);
	}

	/* attempts counts starts: max_retries = 2 allows three runs. */
	if ((o.state == JOBQ_STATE_FAILED || o.state == JOBQ_STATE_TIMED_OUT ||
	    o.state == JOBQ_STATE_INTERRUPTED) && attempts <= max_retries) {
		o.state = JOBQ_STATE_QUEUED;
		o.retry = 1;
	}
	*out = o;
	return (0);
}
