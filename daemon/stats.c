/*
 * stats.c - run-time statistics over the last minute and the last hour
 * (stats.h): jobs finished, wait and run times (mean, p95), worker
 * utilisation.  Pure code: no I/O, no clock, no logging, never aborts.
 *
 * Design
 *
 * Buckets.  Two ring buffers of STATS_NBUCKETS (60) buckets each: `sec`
 * keyed by the epoch second now / 1000 and `min` keyed by the epoch minute
 * now / 60000 (floor division), slot = epoch % 60.  Every event is recorded
 * in both rings.  A bucket remembers its epoch; a slot holding an older epoch
 * is cleared when it is reused, and a query only sums the slots whose epoch
 * lies in the window, so stale slots never need a sweep.  Memory is fixed
 * (about 240 KB per struct stats) whatever the job rate.
 *
 * Each bucket holds: jobs finished; for wait and for run a sample count, sum,
 * min, max and a histogram; and the busy slot-milliseconds spent in it.
 *
 * Windows and coarseness.  The minute window sums the second buckets of
 * epochs nowE - 59 .. nowE, i.e. it covers [(nowE - 59) * 1000, now]: the
 * current partial second plus 59 whole ones, between 59 and 60 s.  The hour
 * window does the same with minute buckets: between 59 and 60 minutes, so a
 * sample leaves the hour window up to one minute early (and the minute
 * window up to one second early); a sample aged 60 s (60 min) or more is
 * never counted.  per_second and utilisation divide by the span the summed
 * buckets really cover (the "effective window"), cut at the uptime: now -
 * max(window start, the now given to stats_new).  A daemon up for 10 s thus
 * shows rates and utilisation over those 10 s.  per_second uses at least
 * one second as its divisor, so the first jobs do not show absurd rates.
 *
 * Histogram.  Log-linear: bin 0 holds values <= 0; values 1 .. 2^30 - 1 ms
 * (12.4 days) fall into 30 powers of two, each cut into 8 equal sub-bins
 * (bin = 1 + 8 * e + sub, e = floor(log2 v)); values >= 2^30 go to one
 * overflow bin.  A sub-bin spans at most 1/8 of its lower bound, so its
 * representative, the geometric middle of the lowest and highest integer
 * it can hold, is within ~6% of any value in it (values below 16 ms are
 * exact).  The p95 is the nearest-rank one (the ceil(0.95 n)-th smallest
 * sample): the representative of the bin that holds it, clamped to the
 * min and max seen in the window; the overflow bin's representative is
 * the max seen.  Bins are 32-bit and saturate; the p95 reads the bins' own
 * total, so a (theoretical) saturated bin only blurs the p95.
 *
 * Time.  `now` is clamped to [-2^62, 2^62] and never goes back: a now
 * earlier than the latest seen is taken as that latest.  Busy time is
 * accounted lazily: on each call, busy * (now - last change) is spread over
 * the second and minute buckets it crosses; only the part inside the last
 * 60 buckets of each ring is written (older parts are out of every window),
 * so a long quiet gap or a jump of days costs at most 61 steps per ring.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define STATS_NBUCKETS	60
#define STATS_SEC_MS	INT64_C(1000)
#define STATS_MIN_MS	INT64_C(60000)
#define STATS_T_LIMIT	(INT64_C(1) << 62)

#define STATS_HIST_SUB	8	/* sub-bins per power of two (2^3) */
#define STATS_HIST_SHIFT 3
#define STATS_HIST_OCT	30	/* powers of two: up to 2^30 - 1 */
#define STATS_HIST_OVER	(1 + STATS_HIST_OCT * STATS_HIST_SUB)
#define STATS_HIST_N	(STATS_HIST_OVER + 1)

struct stats_series {
	uint64_t	n;
	double		sum;
	int64_t		min;
	int64_t		max;
	uint32_t	hist[STATS_HIST_N];
};

struct stats_bucket {
	int64_t			epoch;
	uint64_t		finished;
	struct stats_series	wait;
	struct stats_series	run;
	int64_t			busy_ms;	/* slot-milliseconds */
};

struct stats {
	int			nworkers;
	int			busy;	/* slots busy now */
	int64_t			start;	/* now at stats_new */
	int64_t			last;	/* latest now seen */
	int64_t			last_change; /* busy counted up to it */
	struct stats_bucket	sec[STATS_NBUCKETS];
	struct stats_bucket	min[STATS_NBUCKETS];
};

/* A window's merged figures for one series. */
struct stats_merged {
	uint64_t	n;
	double		sum;
	int64_t		min;
	int64_t		max;
	uint64_t	hist[STATS_HIST_N];
};

static int64_t
stats_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return (q);
}

static int64_t
stats_clamp_time(int64_t t)
{
	if (t > STATS_T_LIMIT)
		return (STATS_T_LIMIT);
	if (t < -STATS_T_LIMIT)
		return (-STATS_T_LIMIT);
	return (t);
}

/* Clamps now and makes it monotonic. */
static int64_t
stats_now(struct stats *st, int64_t now)
{
	now = stats_clamp_time(now);
	if (now < st->last)
		now = st->last;
	st->last = now;
	return (now);
}

static struct stats_bucket *
stats_bucket(struct stats_bucket *ring, int64_t epoch)
{
	int64_t slot = epoch % STATS_NBUCKETS;
	struct stats_bucket *b;

	if (slot < 0)
		slot += STATS_NBUCKETS;
	b = &ring[slot];
	if (b->epoch != epoch) {
		memset(b, 0, sizeof *b);
		b->epoch = epoch;
	}
	return (b);
}

static int
stats_hist_index(int64_t v)
{
	int e, sub;

	if (v <= 0)
		return (0);
	if (v >= (INT64_C(1) << STATS_HIST_OCT))
		return (STATS_HIST_OVER);
	e = 63 - __builtin_clzll((unsigned long long)v);
	if (e >= STATS_HIST_SHIFT)
		sub = (int)(v >> (e - STATS_HIST_SHIFT)) & (STATS_HIST_SUB - 1);
	else
		sub = (int)(v << (STATS_HIST_SHIFT - e)) & (STATS_HIST_SUB - 1);
	return (1 + e * STATS_HIST_SUB + sub);
}

/*
 * Representative value of an ordinary bin (not 0, not the overflow): the
 * geometric middle of the lowest and highest integers it holds.
 */
static double
stats_hist_value(int i)
{
	int e = (i - 1) / STATS_HIST_SUB, sub = (i - 1) % STATS_HIST_SUB;
	double lo, hi;

	if (e >= STATS_HIST_SHIFT) {
		lo = (double)((int64_t)(STATS_HIST_SUB + sub) <<
		    (e - STATS_HIST_SHIFT));
		hi = lo + (double)(INT64_C(1) << (e - STATS_HIST_SHIFT)) - 1;
	} else {
		/* Below 8 every reachable bin holds a single integer. */
		lo = hi = (double)((STATS_HIST_SUB + sub) >>
		    (STATS_HIST_SHIFT - e));
	}
	return (sqrt(lo * hi));
}

static void
stats_series_add(struct stats_series *s, int64_t v)
{
	int i = stats_hist_index(v);

	if (s->n == 0 || v < s->min)
		s->min = v;
	if (s->n == 0 || v > s->max)
		s->max = v;
	s->n++;
	s->sum += (double)v;
	if (s->hist[i] < UINT32_MAX)
		s->hist[i]++;
}

/*
 * Adds busy * (to - from) slot-ms to the buckets of ring (unit ms each) that
 * [from, to) crosses, skipping what lies before the last 60 buckets.
 */
static void
stats_spread(struct stats_bucket *ring, int64_t unit, int64_t from,
    int64_t to, int busy)
{
	int64_t lo = (stats_floordiv(to, unit) - (STATS_NBUCKETS - 1)) * unit;
	int64_t t, e, end;

	if (from < lo)
		from = lo;
	for (t = from; t < to; t = end) {
		e = stats_floordiv(t, unit);
		end = (e + 1) * unit;
		if (end > to)
			end = to;
		stats_bucket(ring, e)->busy_ms += (int64_t)busy * (end - t);
	}
}

/* Accounts the busy slots' time up to now (already made monotonic). */
static void
stats_account(struct stats *st, int64_t now)
{
	if (now <= st->last_change)
		return;
	if (st->busy > 0) {
		stats_spread(st->sec, STATS_SEC_MS, st->last_change, now,
		    st->busy);
		stats_spread(st->min, STATS_MIN_MS, st->last_change, now,
		    st->busy);
	}
	st->last_change = now;
}

struct stats *
stats_new(int nworkers, int64_t now)
{
	struct stats *st;
	int i;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return (NULL);
	st->nworkers = nworkers;
	now = stats_clamp_time(now);
	st->start = st->last = st->last_change = now;
	for (i = 0; i < STATS_NBUCKETS; i++)
		st->sec[i].epoch = st->min[i].epoch = INT64_MIN;
	return (st);
}

void
stats_free(struct stats *st)
{
	free(st);
}

void
stats_job_ended(struct stats *st, int64_t now, int64_t wait_ms,
    int64_t run_ms)
{
	struct stats_bucket *b[2];
	int i;

	if (st == NULL)
		return;
	now = stats_now(st, now);
	stats_account(st, now);
	b[0] = stats_bucket(st->sec, stats_floordiv(now, STATS_SEC_MS));
	b[1] = stats_bucket(st->min, stats_floordiv(now, STATS_MIN_MS));
	for (i = 0; i < 2; i++) {
		b[i]->finished++;
		if (wait_ms >= 0)
			stats_series_add(&b[i]->wait, wait_ms);
		if (run_ms >= 0)
			stats_series_add(&b[i]->run, run_ms);
	}
}

void
stats_slot_busy(struct stats *st, int64_t now, int busy)
{
	if (st == NULL)
		return;
	now = stats_now(st, now);
	stats_account(st, now);
	if (busy) {
		if (st->busy < st->nworkers)
			st->busy++;
	} else if (st->busy > 0)
		st->busy--;
}

static void
stats_merge(struct stats_merged *m, const struct stats_series *s)
{
	int i;

	if (s->n == 0)
		return;
	if (m->n == 0 || s->min < m->min)
		m->min = s->min;
	if (m->n == 0 || s->max > m->max)
		m->max = s->max;
	m->n += s->n;
	m->sum += s->sum;
	for (i = 0; i < STATS_HIST_N; i++)
		m->hist[i] += s->hist[i];
}

static double
stats_mean(const struct stats_merged *m)
{
	return (m->n == 0 ? 0.0 : m->sum / (double)m->n);
}

/* Nearest-rank p95 read from the merged histogram; 0 with no samples. */
static double
stats_p95(const struct stats_merged *m)
{
	uint64_t total = 0, rank, cum = 0;
	double v;
	int i;

	for (i = 0; i < STATS_HIST_N; i++)
		total += m->hist[i];
	if (total == 0)
		return (0.0);
	rank = total - total / 20;	/* ceil(0.95 * total) */
	for (i = 0; i < STATS_HIST_N; i++) {
		cum += m->hist[i];
		if (cum >= rank)
			break;
	}
	if (i == 0)
		return (0.0);
	if (i >= STATS_HIST_OVER)
		return ((double)m->max);
	v = stats_hist_value(i);
	if (v < (double)m->min)
		v = (double)m->min;
	if (v > (double)m->max)
		v = (double)m->max;
	return (v);
}

int
stats_window(struct stats *st, int64_t now, int64_t window_ms,
    struct stats_window *out)
{
	struct stats_merged wait, run;
	struct stats_bucket *ring;
	int64_t unit, nowe, from, span, busy_ms = 0;
	uint64_t finished = 0;
	double util;
	int i;

	if (st == NULL || out == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (window_ms == 60 * STATS_SEC_MS) {
		ring = st->sec;
		unit = STATS_SEC_MS;
	} else if (window_ms == 60 * STATS_MIN_MS) {
		ring = st->min;
		unit = STATS_MIN_MS;
	} else {
		errno = EINVAL;
		return (-1);
	}
	now = stats_now(st, now);
	stats_account(st, now);

	memset(&wait, 0, sizeof wait);
	memset(&run, 0, sizeof run);
	nowe = stats_floordiv(now, unit);
	for (i = 0; i < STATS_NBUCKETS; i++) {
		const struct stats_bucket *b = &ring[i];

		if (b->epoch > nowe || b->epoch <= nowe - STATS_NBUCKETS)
			continue;
		finished += b->finished;
		busy_ms += b->busy_ms;
		stats_merge(&wait, &b->wait);
		stats_merge(&run, &b->run);
	}

	/* The span the buckets cover, cut at the uptime. */
	from = (nowe - (STATS_NBUCKETS - 1)) * unit;
	if (from < st->start)
		from = st->start;
	span = now - from;
	if (span < 0)
		span = 0;

	memset(out, 0, sizeof *out);
	out->window_ms = window_ms;
	out->finished = finished;
	out->per_second = (double)finished /
	    ((double)(span > STATS_SEC_MS ? span : STATS_SEC_MS) / 1000.0);
	out->wait_mean_ms = stats_mean(&wait);
	out->wait_p95_ms = stats_p95(&wait);
	out->run_mean_ms = stats_mean(&run);
	out->run_p95_ms = stats_p95(&run);
	util = 0.0;
	if (st->nworkers > 0 && span > 0) {
		util = (double)busy_ms / ((double)st->nworkers * (double)span);
		if (util > 1.0)
			util = 1.0;
		if (util < 0.0)
			util = 0.0;
	}
	out->utilisation = util;
	return (0);
}
