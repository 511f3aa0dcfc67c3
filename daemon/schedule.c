/*
 * schedule.c - the pure decisions of recurring schedules (schedule.h): the
 * next due time, the step that deals with the due times up to now (on
 * time, missed, caught up) and the overlap rule.  No I/O, no clock.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "schedule.h"

int64_t
schedule_next(const struct schedule_when *w, int64_t after)
{
	int64_t k, out;

	if (w->every_ms > 0) {
		if (after < w->anchor)
			return w->anchor;
		k = (after - w->anchor) / w->every_ms + 1;
		if (k > (INT64_MAX - w->anchor) / w->every_ms)
			return 0;
		return w->anchor + k * w->every_ms;
	}
	if (w->next == NULL || w->next(w->ctx, after, &out) < 0 || out <= after)
		return 0;
	return out;
}

/* The due times in [first, now]: their number *n (at most
 * SCHEDULE_COUNT_MAX for cron: *more is then set), the newest *newest, and
 * the one just after the (n - keep) oldest in *kept (the oldest of the
 * newest `keep`, keep <= SCHEDULE_CATCHUP_MAX), and *after the due time
 * after the last counted (0: none). */
static void
schedule_count(const struct schedule_when *w, int64_t first, int64_t now,
    int64_t keep, int64_t *n, int64_t *newest, int64_t *kept, int64_t *after,
    int *more)
{
	static int64_t ring[SCHEDULE_CATCHUP_MAX + 1];
	int64_t d, i = 0;

	*more = 0;
	if (w->every_ms > 0) {
		*n = (now - first) / w->every_ms + 1;
		*newest = first + (*n - 1) * w->every_ms;
		*kept = *n > keep ? first + (*n - keep) * w->every_ms : first;
		*after = schedule_next(w, *newest);
		return;
	}
	/* (ring: the loop thread's only; keep <= its size) */
	for (d = first; d != 0 && d <= now && i < SCHEDULE_COUNT_MAX;
	    d = schedule_next(w, d))
		ring[i++ % (SCHEDULE_CATCHUP_MAX + 1)] = d;
	*n = i;
	*newest = ring[(i - 1) % (SCHEDULE_CATCHUP_MAX + 1)];
	*kept = i > keep ? ring[(i - keep) % (SCHEDULE_CATCHUP_MAX + 1)] :
	    first;
	*after = d;
	*more = d != 0 && d <= now;
}

void
schedule_step(const struct schedule_when *w, int64_t next_fire,
    int64_t now, enum schedule_catchup_mode catchup, int startup,
    struct schedule_plan *out)
{
	int64_t n, newest, kept, after;
	int more;

	memset(out, 0, sizeof *out);
	out->next_fire = next_fire;
	if (next_fire == 0 || next_fire > now) {
		out->action = SCHEDULE_WAIT;
		return;
	}
	schedule_count(w, next_fire, now, SCHEDULE_CATCHUP_MAX, &n, &newest,
	    &kept, &after, &more);
	if (more) {
		/* a cron outage longer than SCHEDULE_COUNT_MAX due times:
		 * those are missed, the count goes on from the next one */
		out->action = SCHEDULE_MISS;
		out->misses = n;
		out->next_fire = after;
		return;
	}
	if (n == 1 && !startup) {
		out->action = SCHEDULE_FIRE;
		out->due = next_fire;
		out->next_fire = after;
		return;
	}
	switch (catchup) {
	case SCHEDULE_CATCHUP_NONE:
		out->action = SCHEDULE_MISS;
		if (startup) {
			out->misses = n;
			out->next_fire = after;
		} else {
			out->misses = n - 1;
			out->next_fire = newest;
		}
		return;
	case SCHEDULE_CATCHUP_ONE:
		out->action = SCHEDULE_FIRE;
		out->catchup = 1;
		out->due = newest;
		out->misses = n - 1;
		out->next_fire = after;
		return;
	case SCHEDULE_CATCHUP_ALL:
	default:
		if (n > SCHEDULE_CATCHUP_MAX) {
			out->action = SCHEDULE_MISS;
			out->misses = n - SCHEDULE_CATCHUP_MAX;
			out->next_fire = kept;
			return;
		}
		out->action = SCHEDULE_FIRE;
		out->catchup = 1;
		out->due = next_fire;
		out->next_fire = n > 1 ? schedule_next(w, next_fire) : after;
		return;
	}
}

enum schedule_overlap_do
schedule_overlap(enum schedule_overlap_mode mode, int prev_active,
    int catchup)
{
	if (!prev_active)
		return SCHEDULE_DO_SUBMIT;
	switch (mode) {
	case SCHEDULE_OVERLAP_QUEUE:
		return SCHEDULE_DO_AFTER;
	case SCHEDULE_OVERLAP_ALLOW:
		return SCHEDULE_DO_SUBMIT;
	case SCHEDULE_OVERLAP_SKIP:
	default:
		return catchup ? SCHEDULE_DO_SUBMIT : SCHEDULE_DO_SKIP;
	}
}

static const char *const schedule_overlap_names[] = { "skip", "queue",
	"allow" };
static const char *const schedule_catchup_names[] = { "none", "one", "all" };

static int
schedule_parse(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int
schedule_overlap_parse(const char *name)
{
	return schedule_parse(schedule_overlap_names, 3, name);
}

const char *
schedule_overlap_name(int mode)
{
	return mode >= 0 && mode < 3 ? schedule_overlap_names[mode] : NULL;
}

int
schedule_catchup_parse(const char *name)
{
	return schedule_parse(schedule_catchup_names, 3, name);
}

const char *
schedule_catchup_name(int mode)
{
	return mode >= 0 && mode < 3 ? schedule_catchup_names[mode] : NULL;
}
