/*
 * metrics.h - cumulative counters and histograms since jobqd started, and
 * their rendering in the Prometheus text exposition format (version
 * 0.0.4), for `jobq stats --prometheus` (the "metrics" request).  Pure
 * code: no I/O, no clock, no locks; the callers own the structures (the
 * loop thread its counters, the store thread its commit histogram under
 * the store's lock) and hand a snapshot to metrics_render().
 *
 * The families (all prefixed jobq_):
 *   jobs{queue,state}                gauge: jobs jobqd holds, by queue and state
 *   jobs_submitted_total             counter: jobs and tasks accepted
 *   jobs_finished_total{state}       counter: jobs that ended, by final state
 *   job_wait_seconds                 histogram: submit (or due time) to start
 *   job_run_seconds                  histogram: start to end
 *   store_commit_seconds             histogram: one transaction, BEGIN to the
 *                                    COMMIT's return (its fsyncs included)
 *   workers, workers_busy            gauges
 *   uptime_seconds                   gauge
 *   build_info{version}              gauge, always 1
 * The histograms' buckets are METRICS_BOUNDS (seconds) and +Inf.
 */
#ifndef JOBQD_METRICS_H
#define JOBQD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "jobq.h"

#define METRICS_NBOUNDS 18
extern const double metrics_bounds[METRICS_NBOUNDS];

struct metrics_hist {
	uint64_t le[METRICS_NBOUNDS];	/* observations <= bound i (not
					   cumulative: the smallest bound
					   that holds it) */
	uint64_t count;			/* all of them, +Inf included */
	double sum;			/* seconds */
};

/* The loop thread's counters. */
struct metrics {
	uint64_t submitted;
	uint64_t finished[JOBQ_STATE_COUNT];
	struct metrics_hist wait, run;
};

/* One queue's counts. */
struct metrics_queue {
	const char *name;
	size_t counts[JOBQ_STATE_COUNT];
};

/* Everything one rendering shows. */
struct metrics_snapshot {
	const char *version;
	double uptime_s;
	int workers, busy;
	const struct metrics *m;
	const struct metrics_hist *commit;
	const struct metrics_queue *queues;
	size_t nqueues;
};

/* Counts one observation of `seconds` (< 0 counts as 0). */
void metrics_observe(struct metrics_hist *h, double seconds);

/* The text of snap, malloc'd and NUL-terminated; NULL on out of memory.
 * Label values are escaped as the format says (\\, \", \n). */
char *metrics_render(const struct metrics_snapshot *snap);

#endif
