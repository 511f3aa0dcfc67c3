/*
 * schedule.h - the decisions of recurring schedules (jobq schedule), pure
 * code: no I/O, no clock, no logging (schedule.c; the daemon's side, timer,
 * firing and requests, is dispatch_schedule.c).
 *
 * Times are milliseconds since the epoch (realtime).  A schedule's fires
 * are its due times:
 *   --every DUR   anchor + k * every for k >= 0, the anchor being the time
 *                 the schedule was added: no drift, whatever the time a job
 *                 was really submitted at;
 *   --cron EXPR   what cron_next() (cron.h) gives, in whole seconds.
 * The store keeps next_fire, the first due time not yet dealt with (0:
 * none, a cron expression that never fires again).  Each step deals with
 * the fires due by `now` and moves next_fire past them; the caller writes
 * that in the same transaction as the job it submits.
 *
 * schedule_step(), with n the number of due times in [next_fire, now]:
 *   n == 0                  SCHEDULE_WAIT: arm a timer at next_fire.
 *   n == 1, not at start-up SCHEDULE_FIRE for next_fire (on time).
 *   otherwise (start-up: fires that came due while jobqd was down; or
 *   several due at once: a suspend, a clock jump) the catch-up policy:
 *     none: SCHEDULE_MISS of all n at start-up; else of the n - 1 oldest,
 *           the newest then fires as on time;
 *     one:  SCHEDULE_FIRE of the newest due time, the n - 1 others
 *           counted as misses (merged into that one job);
 *     all:  SCHEDULE_FIRE of the oldest due time, one job per due time,
 *           one step each; but when n > SCHEDULE_CATCHUP_MAX, first a
 *           SCHEDULE_MISS of the n - SCHEDULE_CATCHUP_MAX oldest.
 * A cron schedule's n is counted by iterating cron_next, at most
 * SCHEDULE_COUNT_MAX times: beyond that the rest of an outage is one miss
 * step that goes straight to the next due time after now (an --every
 * schedule's arithmetic is exact and O(1) whatever the outage).
 *
 * schedule_overlap() turns a FIRE into what it submits: with the
 * schedule's previous job still queued or running, skip records a skip
 * (no job), queue submits a job that depends on the previous one (any
 * outcome: it starts once that one ended), allow submits a job that may
 * run at the same time.  A FIRE of the catch-up policy (plan.catchup: one
 * or all after an outage) is never skipped: the policy asked for that job
 * (with queue it still waits for the previous one).
 */
#ifndef JOBQD_SCHEDULE_H
#define JOBQD_SCHEDULE_H

#include <stdint.h>

#define SCHEDULE_CATCHUP_MAX 1000      /* catch-up all: jobs per outage */
#define SCHEDULE_COUNT_MAX 1000000     /* cron due times counted per step */
#define SCHEDULE_MIN_EVERY_MS 1000     /* --every: at least 1 s */

enum schedule_overlap_mode { SCHEDULE_OVERLAP_SKIP, SCHEDULE_OVERLAP_QUEUE,
	SCHEDULE_OVERLAP_ALLOW };
enum schedule_catchup_mode { SCHEDULE_CATCHUP_NONE, SCHEDULE_CATCHUP_ONE,
	SCHEDULE_CATCHUP_ALL };

/* When a schedule fires: every_ms > 0 (with anchor), else next(). */
struct schedule_when {
	int64_t every_ms;
	int64_t anchor;
	/* The first due time strictly after `after` into *out: 0, or < 0 if
	 * there is none (cron_next's -ERANGE). */
	int (*next)(const void *ctx, int64_t after, int64_t *out);
	const void *ctx;
};

enum schedule_action { SCHEDULE_WAIT, SCHEDULE_FIRE, SCHEDULE_MISS };

struct schedule_plan {
	enum schedule_action action;
	int64_t due;        /* FIRE: the due time the job stands for */
	int64_t misses;     /* due times counted as missed by this step */
	int64_t next_fire;  /* next_fire once the step is recorded (0: none) */
	int catchup;        /* FIRE: decided by the catch-up policy */
};

/* The first due time strictly after `after` (0: none). */
int64_t schedule_next(const struct schedule_when *w, int64_t after);

/* The next step for a schedule whose first unhandled due time is
 * next_fire (0: none), at now. */
void schedule_step(const struct schedule_when *w, int64_t next_fire,
    int64_t now, enum schedule_catchup_mode catchup, int startup,
    struct schedule_plan *out);

enum schedule_overlap_do { SCHEDULE_DO_SUBMIT, SCHEDULE_DO_AFTER,
	SCHEDULE_DO_SKIP };
/* What a fire does, given whether the previous job is still active and
 * whether the fire is a catch-up's. */
enum schedule_overlap_do schedule_overlap(enum schedule_overlap_mode mode,
    int prev_active, int catchup);

/* Names <-> modes ("skip", "queue", "allow"; "none", "one", "all"):
 * -1 for an unknown name, NULL for a bad mode. */
int schedule_overlap_parse(const char *name);
const char *schedule_overlap_name(int mode);
int schedule_catchup_parse(const char *name);
const char *schedule_catchup_name(int mode);

#endif
