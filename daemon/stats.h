/*
 * stats.h - run-time statistics over sliding windows (last minute, last
 * hour): jobs finished, wait and run times (mean and p95), worker
 * utilisation.  Pure code: no I/O, no clock (callers pass `now` in ms); only
 * the loop thread calls it.  Memory is bounded and independent of the job
 * rate: per-second buckets for the minute, per-minute buckets for the hour,
 * each holding counts, sums and a log-scale histogram from which the p95 is
 * read (relative error of a p95 at most ~10%).
 *
 * (Implementation notes, see stats.c for the design.)  Time never goes
 * back: a `now` earlier than the latest one seen by any call is taken as
 * that latest one.  Windows are bucket-aligned: the minute window covers
 * the current second plus the 59 before it (59..60 s), the hour window the
 * current minute plus the 59 before it (59..60 min), so a sample leaves a
 * window up to one bucket early, never late.  per_second and utilisation
 * divide by the span the buckets actually cover, cut at the uptime (now -
 * the `now` given to stats_new): a daemon up 10 s reports over 10 s.
 * p95 is the nearest-rank one (the ceil(0.95 n)-th smallest), exact for
 * values below 16 ms and within ~6% up to 2^30 ms (12.4 days); beyond that
 * it is the largest value seen.  Means and p95s are 0 with no samples.
 */
#ifndef JOBQD_STATS_H
#define JOBQD_STATS_H

#include <stdint.h>

struct stats;

struct stats_window {
	int64_t window_ms;
	uint64_t finished;
	double per_second;
	double wait_mean_ms, wait_p95_ms;
	double run_mean_ms, run_p95_ms;
	double utilisation;    /* 0..1 */
};

/* nworkers: the worker slots (for utilisation; <= 0: utilisation is
 * always 0). NULL on out of memory. stats_free(NULL) is allowed. */
struct stats *stats_new(int nworkers, int64_t now);
void stats_free(struct stats *st);

/* A job ended at `now` after waiting wait_ms (from submit or its due time to
 * start; < 0 if it never started: counted as finished, not in the wait or
 * run figures) and running run_ms (< 0 if it never started). */
void stats_job_ended(struct stats *st, int64_t now, int64_t wait_ms,
    int64_t run_ms);
/* A worker slot became busy (1) or idle (0) at `now`; utilisation is the
 * integral of busy slots over time divided by nworkers * window.  The count
 * of busy slots is kept within 0..nworkers (an extra busy or idle is
 * ignored); any non-zero `busy` means busy. */
void stats_slot_busy(struct stats *st, int64_t now, int busy);

/* Fills the figures for the window ending at now; window_ms is 60000 or
 * 3600000 (anything else, or a NULL st or out: errno = EINVAL, returns -1).
 * Returns 0.  It also accounts busy time up to now, so st is not const. */
int stats_window(struct stats *st, int64_t now, int64_t window_ms,
    struct stats_window *out);

#endif
