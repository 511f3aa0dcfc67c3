/*
 * job.c - the job state machine drawn in job.h: pure code, no I/O, no
 * state of its own.  Every caller that changes a job's state (the scheduler,
 * store_recover) asks job_transition() what the new state is, so the rules
 * live in exactly one place.
 */
#include "config.h"

#include <stddef.h>

#include "job.h"

static const char *const job_event_names[] = {
	"claim", "exited", "signaled", "spawn_failed", "worker_lost",
	"cancel", "interrupt", "timeout"
};

const char *
job_event_name(enum job_event ev)
{
	if ((int)ev < 0 ||
	    (size_t)ev >= sizeof(job_event_names) / sizeof(job_event_names[0]))
		return (NULL);
	return (job_event_names[ev]);
}

/*
 * Returns 0 and fills out, or JOBQ_ESTATE if ev is not allowed in from (an
 * out-of-range state or event is not allowed anywhere).
 */
int
job_transition(jobq_state from, enum job_event ev, int attempts,
    int max_retries, int exit_code, int crash, struct job_outcome *out)
{
	struct job_outcome o;

	o.reason = NULL;
	o.retry = 0;
	switch (from) {
	case JOBQ_STATE_QUEUED:
		switch (ev) {
		case JOB_EV_CLAIM:
			o.state = JOBQ_STATE_RUNNING;
			break;
		case JOB_EV_CANCEL:
			o.state = JOBQ_STATE_CANCELED;
			o.reason = "canceled";
			break;
		default:
			return (JOBQ_ESTATE);
		}
		break;
	case JOBQ_STATE_RUNNING:
		switch (ev) {
		case JOB_EV_EXITED:
			if (exit_code == 0)
				o.state = JOBQ_STATE_SUCCEEDED;
			else {
				o.state = JOBQ_STATE_FAILED;
				o.reason = "exit_code";
			}
			break;
		case JOB_EV_SIGNALED:
			o.state = JOBQ_STATE_FAILED;
			o.reason = "signal";
			break;
		case JOB_EV_SPAWN_FAILED:
			o.state = JOBQ_STATE_FAILED;
			o.reason = "spawn_failed";
			break;
		case JOB_EV_WORKER_LOST:
			o.state = JOBQ_STATE_FAILED;
			o.reason = "worker_lost";
			break;
		case JOB_EV_CANCEL:
			o.state = JOBQ_STATE_CANCELED;
			o.reason = "canceled";
			break;
		case JOB_EV_INTERRUPT:
			o.state = JOBQ_STATE_INTERRUPTED;
			o.reason = crash ? "daemon_crash" : "shutdown";
			break;
		case JOB_EV_TIMEOUT:
			o.state = JOBQ_STATE_TIMED_OUT;
			o.reason = "timeout";
			break;
		default:
			return (JOBQ_ESTATE);
		}
		break;
	default:
		/* Terminal states never change; anything else is garbage. */
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
