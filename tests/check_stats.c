/*
 * check_stats.c - unit tests of the run-time statistics (daemon/stats.c):
 * empty windows, means, p95 precision against exact nearest-rank p95s,
 * samples ageing out of the minute and hour windows, rates, jobs that never
 * started, utilisation (steady, across many bucket boundaries, early
 * uptime), time going backwards and big jumps forward.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define MIN_MS	INT64_C(60000)
#define HOUR_MS	INT64_C(3600000)
/* An epoch-like start that is not aligned on a second or a minute. */
#define T0	INT64_C(1700000012345)

static struct stats_window
win(struct stats *st, int64_t now, int64_t window_ms)
{
	struct stats_window w;

	memset(&w, 0xa5, sizeof w);
	ck_assert_int_eq(stats_window(st, now, window_ms, &w), 0);
	ck_assert_int_eq(w.window_ms, window_ms);
	return (w);
}

static void
assert_rel(double got, double want, double tol)
{
	ck_assert_msg(fabs(got - want) <= tol * fabs(want),
	    "got %f, want %f within %.0f%%", got, want, tol * 100);
}

static void
assert_empty(const struct stats_window *w)
{
	ck_assert_uint_eq(w->finished, 0);
	ck_assert(w->per_second == 0.0);
	ck_assert(w->wait_mean_ms == 0.0);
	ck_assert(w->wait_p95_ms == 0.0);
	ck_assert(w->run_mean_ms == 0.0);
	ck_assert(w->run_p95_ms == 0.0);
	ck_assert(w->utilisation == 0.0);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return ((x > y) - (x < y));
}

/* Exact nearest-rank p95 (sorts v). */
static double
exact_p95(int64_t *v, size_t n)
{
	size_t rank = n - n / 20;

	qsort(v, n, sizeof *v, cmp_i64);
	return ((double)v[rank - 1]);
}

static uint64_t lcg_state;

static uint64_t
lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (lcg_state >> 33);
}

START_TEST(test_empty)
{
	struct stats *st = stats_new(4, T0);
	struct stats_window w;

	ck_assert_ptr_nonnull(st);
	w = win(st, T0, MIN_MS);
	assert_empty(&w);
	w = win(st, T0 + 5000, MIN_MS);
	assert_empty(&w);
	w = win(st, T0 + 2 * HOUR_MS, HOUR_MS);
	assert_empty(&w);
	stats_free(st);
	stats_free(NULL);
}
END_TEST

START_TEST(test_bad_window)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;

	errno = 0;
	ck_assert_int_eq(stats_window(st, T0, 1000, &w), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(stats_window(st, T0, 0, &w), -1);
	ck_assert_int_eq(stats_window(st, T0, -MIN_MS, &w), -1);
	ck_assert_int_eq(stats_window(st, T0, 24 * HOUR_MS, &w), -1);
	ck_assert_int_eq(stats_window(st, T0, MIN_MS, NULL), -1);
	ck_assert_int_eq(stats_window(NULL, T0, MIN_MS, &w), -1);
	/* NULL is ignored by the recorders. */
	stats_job_ended(NULL, T0, 1, 1);
	stats_slot_busy(NULL, T0, 1);
	stats_free(st);
}
END_TEST

START_TEST(test_means_exact)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w;
	int i;

	stats_job_ended(st, T0 + 1000, 10, 100);
	stats_job_ended(st, T0 + 2000, 20, 200);
	stats_job_ended(st, T0 + 3500, 30, 0);
	stats_job_ended(st, T0 + 4000, 40, 301);
	for (i = 0; i < 2; i++) {
		w = win(st, T0 + 5000, i == 0 ? MIN_MS : HOUR_MS);
		ck_assert_uint_eq(w.finished, 4);
		ck_assert(w.wait_mean_ms == 25.0);
		ck_assert(w.run_mean_ms == 150.25);
		/* 4 samples: the p95 is the largest. */
		assert_rel(w.wait_p95_ms, 40.0, 0.10);
		assert_rel(w.run_p95_ms, 301.0, 0.10);
	}
	stats_free(st);
}
END_TEST

START_TEST(test_p95_uniform)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;
	int64_t v;

	/* 1..1000 in a scrambled order: nearest-rank p95 is 950. */
	for (v = 0; v < 1000; v++)
		stats_job_ended(st, T0 + 10 + v * 50, (v * 7919) % 1000 + 1,
		    1000 - (v * 7919) % 1000);
	w = win(st, T0 + 50000, MIN_MS);
	ck_assert_uint_eq(w.finished, 1000);
	assert_rel(w.wait_p95_ms, 950.0, 0.10);
	assert_rel(w.run_p95_ms, 950.0, 0.10);
	assert_rel(w.wait_mean_ms, 500.5, 1e-12);
	w = win(st, T0 + 50000, HOUR_MS);
	assert_rel(w.wait_p95_ms, 950.0, 0.10);
	stats_free(st);
}
END_TEST

START_TEST(test_p95_skewed)
{
	struct stats *st;
	struct stats_window w;
	int i;

	/* 95 of 10 ms and 5 of 10 s: the 95th smallest is 10 ms. */
	st = stats_new(1, T0);
	for (i = 0; i < 100; i++)
		stats_job_ended(st, T0 + 100 * i, i % 20 == 7 ? 10000 : 10,
		    i < 95 ? 10 : 10000);
	w = win(st, T0 + 20000, MIN_MS);
	assert_rel(w.wait_p95_ms, 10.0, 0.10);
	assert_rel(w.run_p95_ms, 10.0, 0.10);
	assert_rel(w.wait_mean_ms, (95 * 10 + 5 * 10000) / 100.0, 1e-12);
	stats_free(st);

	/* 94 of 10 ms and 6 of 10 s: the 95th smallest is 10 s. */
	st = stats_new(1, T0);
	for (i = 0; i < 100; i++)
		stats_job_ended(st, T0 + 100 * i, i < 94 ? 10 : 10000,
		    i < 94 ? 10 : 10000);
	w = win(st, T0 + 20000, MIN_MS);
	assert_rel(w.wait_p95_ms, 10000.0, 0.10);
	w = win(st, T0 + 20000, HOUR_MS);
	assert_rel(w.run_p95_ms, 10000.0, 0.10);
	stats_free(st);
}
END_TEST

/*
 * Random distributions of many shapes (inside the histogram's range, below
 * 2^30 ms) against the exact nearest-rank p95.
 */
START_TEST(test_p95_random)
{
	enum { N = 2000 };
	int64_t *wait = malloc(N * sizeof *wait);
	int round, i;

	ck_assert_ptr_nonnull(wait);
	lcg_state = 42;
	for (round = 0; round < 72; round++) {
		struct stats *st = stats_new(1, T0);
		struct stats_window w;
		int64_t scale = INT64_C(1) << (round % 24);
		double want;

		ck_assert_ptr_nonnull(st);
		for (i = 0; i < N; i++) {
			switch (round % 3) {
			case 0:		/* uniform 0 .. scale */
				wait[i] = (int64_t)(lcg() % (uint64_t)(scale +
				    1));
				break;
			case 1:		/* log-uniform over 2^20 */
				wait[i] = (int64_t)exp2((double)(lcg() % 20000)
				    / 1000.0) * (1 + (scale >> 14));
				break;
			default:	/* bimodal, tail of ~8% */
				wait[i] = lcg() % 100 < 8 ? scale * 50 +
				    (int64_t)(lcg() % 1000) : 3 +
				    (int64_t)(lcg() % 40);
				break;
			}
			stats_job_ended(st, T0 + 1 + i * 25, wait[i], -1);
		}
		w = win(st, T0 + N * 25, MIN_MS);
		ck_assert_uint_eq(w.finished, N);
		ck_assert(w.run_p95_ms == 0.0 && w.run_mean_ms == 0.0);
		want = exact_p95(wait, N);
		if (want == 0.0)
			ck_assert(w.wait_p95_ms == 0.0);
		else
			assert_rel(w.wait_p95_ms, want, 0.10);
		stats_free(st);
	}
	free(wait);
}
END_TEST

/*
 * One value at every magnitude, pinned from above (by a far larger value)
 * and from below (by 0).  Beyond 2^30 ms (12.4 days) there is only the
 * overflow bin, read as the max seen, so only the pin from below is exact.
 */
START_TEST(test_p95_magnitudes)
{
	double v, limit;
	int below;

	for (below = 0; below < 2; below++) {
		limit = below ? 1e12 : (double)(INT64_C(1) << 30);
		for (v = 1.0; v < limit; v *= 1.37) {
			struct stats *st = stats_new(1, T0);
			struct stats_window w;
			int i;

			/* 19 of v and 1 far off: the 19th of 20 is v. */
			for (i = 0; i < 19; i++)
				stats_job_ended(st, T0 + 1, (int64_t)v, -1);
			stats_job_ended(st, T0 + 1,
			    below ? 0 : INT64_C(1) << 50, -1);
			w = win(st, T0 + 2, HOUR_MS);
			assert_rel(w.wait_p95_ms, (double)(int64_t)v, 0.10);
			stats_free(st);
		}
	}
}
END_TEST

/*
 * Precision: every magnitude up to 2^30 ms, in steps of 0.5%, must come back
 * within the ~6% the 8 sub-bins per power of two give (sqrt(9/8) - 1).
 * 19 samples of v between a 0 and a 2^40 ms one (the 20th of 21 is v), so
 * the min/max clamps cannot make it exact.
 */
START_TEST(test_p95_precision)
{
	struct stats *st;
	struct stats_window w;
	double v, worst = 0.0, err;
	int64_t t = T0;
	int i;

	st = stats_new(1, T0);
	for (v = 16.0; v < (double)(INT64_C(1) << 30); v *= 1.005) {
		/* Each in its own second; the minute window sees 1 of them. */
		t += 1000 * 61;
		stats_job_ended(st, t, 0, -1);
		stats_job_ended(st, t, INT64_C(1) << 40, -1);
		for (i = 0; i < 19; i++)
			stats_job_ended(st, t, (int64_t)v, -1);
		w = win(st, t, MIN_MS);
		ck_assert_uint_eq(w.finished, 21);
		err = fabs(w.wait_p95_ms - (double)(int64_t)v) / v;
		if (err > worst)
			worst = err;
	}
	ck_assert_msg(worst <= 0.0608, "worst relative error %f", worst);
	ck_assert_msg(worst > 0.03, "worst relative error %f: too good to "
	    "be read from a histogram", worst);
	stats_free(st);
}
END_TEST

/* Samples of one value: the min/max clamp makes the p95 exact. */
START_TEST(test_p95_single_value)
{
	int64_t vals[] = { 1, 7, 17, 100, 1000, 12345, 999999, 86400000,
	    INT64_C(1) << 31 };
	size_t k;
	int i;

	for (k = 0; k < sizeof vals / sizeof vals[0]; k++) {
		struct stats *st = stats_new(1, T0);
		struct stats_window w;

		for (i = 0; i < 30; i++)
			stats_job_ended(st, T0 + 10 * i, vals[k], vals[k]);
		w = win(st, T0 + 1000, MIN_MS);
		ck_assert(w.wait_p95_ms == (double)vals[k]);
		ck_assert(w.run_p95_ms == (double)vals[k]);
		stats_free(st);
	}
}
END_TEST

START_TEST(test_zero_values)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;
	int i;

	for (i = 0; i < 50; i++)
		stats_job_ended(st, T0 + 10, 0, 0);
	w = win(st, T0 + 20, MIN_MS);
	ck_assert_uint_eq(w.finished, 50);
	ck_assert(w.wait_p95_ms == 0.0 && w.wait_mean_ms == 0.0);
	ck_assert(w.run_p95_ms == 0.0 && w.run_mean_ms == 0.0);
	stats_free(st);
}
END_TEST

/* Ages at whole-second offsets from t; also at times before 1970. */
START_TEST(test_ageing)
{
	int64_t bases[] = { T0 + 1000, -1500, -2 * HOUR_MS - 37, 0 };
	size_t k;

	for (k = 0; k < sizeof bases / sizeof bases[0]; k++) {
		int64_t t = bases[k];
		struct stats *st = stats_new(1, t - 1000);
		struct stats_window w;

		stats_job_ended(st, t, 500, 700);
		w = win(st, t + 59000, MIN_MS);
		ck_assert_uint_eq(w.finished, 1);
		ck_assert(w.wait_mean_ms == 500.0 && w.run_mean_ms == 700.0);
		/* Aged 60 s or more: out of the minute, still in the hour. */
		w = win(st, t + MIN_MS, MIN_MS);
		assert_empty(&w);
		w = win(st, t + 61000, MIN_MS);
		assert_empty(&w);
		w = win(st, t + 61000, HOUR_MS);
		ck_assert_uint_eq(w.finished, 1);
		ck_assert(w.wait_mean_ms == 500.0 && w.run_mean_ms == 700.0);
		assert_rel(w.wait_p95_ms, 500.0, 0.10);
		w = win(st, t + 58 * MIN_MS, HOUR_MS);
		ck_assert_uint_eq(w.finished, 1);
		/* Aged an hour or more: out of the hour too. */
		w = win(st, t + HOUR_MS, HOUR_MS);
		assert_empty(&w);
		w = win(st, t + HOUR_MS + 61000, HOUR_MS);
		assert_empty(&w);
		stats_free(st);
	}
}
END_TEST

START_TEST(test_ageing_mixed)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;
	int64_t t = T0 + 1000;

	stats_job_ended(st, t, 10, 10);                  /* old */
	stats_job_ended(st, t + 30 * MIN_MS, 100, 100);   /* mid */
	stats_job_ended(st, t + 50 * MIN_MS, 1000, 1000); /* recent */
	stats_job_ended(st, t + 50 * MIN_MS + 30000, 3000, 3000);
	w = win(st, t + 50 * MIN_MS + 40000, MIN_MS);
	ck_assert_uint_eq(w.finished, 2);
	ck_assert(w.wait_mean_ms == 2000.0);
	w = win(st, t + 50 * MIN_MS + 40000, HOUR_MS);
	ck_assert_uint_eq(w.finished, 4);
	ck_assert(w.wait_mean_ms == (10 + 100 + 1000 + 3000) / 4.0);
	w = win(st, t + 61 * MIN_MS, HOUR_MS);
	ck_assert_uint_eq(w.finished, 3);
	ck_assert(w.wait_mean_ms == (100 + 1000 + 3000) / 3.0);
	w = win(st, t + 91 * MIN_MS, HOUR_MS);
	ck_assert_uint_eq(w.finished, 2);
	assert_rel(w.wait_p95_ms, 3000.0, 0.10);
	stats_free(st);
}
END_TEST

START_TEST(test_per_second)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;
	int64_t now = T0 + 10 * MIN_MS;
	int i;

	/* 2 a second for the last minute (and more before it). */
	for (i = 0; i < 1200; i++)
		stats_job_ended(st, now - 600000 + 250 + i * 500, 1, 1);
	w = win(st, now, MIN_MS);
	assert_rel(w.per_second, 2.0, 0.03);
	w = win(st, now, HOUR_MS);
	ck_assert_uint_eq(w.finished, 1200);
	/* Up 10 minutes: the hour's rate is over those 10 minutes. */
	assert_rel(w.per_second, 2.0, 0.01);
	stats_free(st);

	/* Early uptime: 10 jobs in the first 5 s -> 2 a second. */
	st = stats_new(1, T0);
	for (i = 0; i < 10; i++)
		stats_job_ended(st, T0 + 250 + i * 500, 1, 1);
	w = win(st, T0 + 5000, MIN_MS);
	assert_rel(w.per_second, 2.0, 1e-9);
	w = win(st, T0 + 5000, HOUR_MS);
	assert_rel(w.per_second, 2.0, 1e-9);
	stats_free(st);
}
END_TEST

START_TEST(test_never_started)
{
	struct stats *st = stats_new(1, T0);
	struct stats_window w;

	stats_job_ended(st, T0 + 100, 40, 400);
	stats_job_ended(st, T0 + 200, -1, -1);
	stats_job_ended(st, T0 + 300, -1, -1);
	stats_job_ended(st, T0 + 400, 60, -1);
	w = win(st, T0 + 1000, MIN_MS);
	ck_assert_uint_eq(w.finished, 4);
	ck_assert(w.wait_mean_ms == 50.0);
	ck_assert(w.run_mean_ms == 400.0);
	assert_rel(w.run_p95_ms, 400.0, 0.10);
	w = win(st, T0 + 1000, HOUR_MS);
	ck_assert_uint_eq(w.finished, 4);
	ck_assert(w.wait_mean_ms == 50.0);
	stats_free(st);

	/* Only never-started jobs: finished counted, figures stay 0. */
	st = stats_new(1, T0);
	stats_job_ended(st, T0 + 100, -1, -1);
	w = win(st, T0 + 1000, MIN_MS);
	ck_assert_uint_eq(w.finished, 1);
	ck_assert(w.wait_mean_ms == 0.0 && w.wait_p95_ms == 0.0);
	ck_assert(w.run_mean_ms == 0.0 && w.run_p95_ms == 0.0);
	stats_free(st);
}
END_TEST

START_TEST(test_util_half_of_one)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w;
	int64_t now = T0 + 5 * MIN_MS;

	/* One of 2 workers busy for 30 s of the last 60 s. */
	stats_slot_busy(st, now - 45000, 1);
	stats_slot_busy(st, now - 15000, 0);
	w = win(st, now, MIN_MS);
	/* 30 s over 2 slots and a window covering 59 to 60 s. */
	ck_assert(w.utilisation >= 30.0 / 120.0 - 1e-12);
	ck_assert(w.utilisation <= 30.0 / 118.0 + 1e-12);
	/* Up 5 minutes: the hour's figure is over those 5 minutes. */
	w = win(st, now, HOUR_MS);
	assert_rel(w.utilisation, 30.0 / (2 * 300.0), 0.01);
	/* A minute later the busy spell has left the minute window. */
	w = win(st, now + MIN_MS, MIN_MS);
	ck_assert(w.utilisation == 0.0);
	stats_free(st);
}
END_TEST

START_TEST(test_util_full_and_clamped)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w;

	stats_slot_busy(st, T0, 1);
	stats_slot_busy(st, T0, 1);
	/* A third "busy" from a confused caller must not exceed 1. */
	stats_slot_busy(st, T0, 1);
	w = win(st, T0 + 3 * MIN_MS, MIN_MS);
	assert_rel(w.utilisation, 1.0, 1e-9);
	ck_assert(w.utilisation <= 1.0);
	w = win(st, T0 + 3 * MIN_MS, HOUR_MS);
	assert_rel(w.utilisation, 1.0, 1e-9);
	/* One idle after three busy: one of two slots is busy. */
	stats_slot_busy(st, T0 + 3 * MIN_MS, 0);
	w = win(st, T0 + 4 * MIN_MS + 30000, MIN_MS);
	assert_rel(w.utilisation, 0.5, 1e-9);
	/* Too many idles do not go below 0. */
	stats_slot_busy(st, T0 + 4 * MIN_MS + 30000, 0);
	stats_slot_busy(st, T0 + 4 * MIN_MS + 30000, 0);
	stats_slot_busy(st, T0 + 4 * MIN_MS + 30000, 0);
	w = win(st, T0 + 5 * MIN_MS + 30000, MIN_MS);
	ck_assert(w.utilisation == 0.0);
	stats_slot_busy(st, T0 + 5 * MIN_MS + 30000, 1);
	w = win(st, T0 + 6 * MIN_MS + 30000, MIN_MS);
	assert_rel(w.utilisation, 0.5, 1e-9);
	stats_free(st);
}
END_TEST

START_TEST(test_util_no_workers)
{
	struct stats *st;
	struct stats_window w;
	int n;

	for (n = -1; n <= 0; n++) {
		st = stats_new(n, T0);
		stats_slot_busy(st, T0 + 1000, 1);
		stats_job_ended(st, T0 + 2000, 5, 5);
		w = win(st, T0 + 30000, MIN_MS);
		ck_assert(w.utilisation == 0.0);
		ck_assert_uint_eq(w.finished, 1);
		w = win(st, T0 + 30000, HOUR_MS);
		ck_assert(w.utilisation == 0.0);
		stats_free(st);
	}
}
END_TEST

START_TEST(test_util_early_uptime)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w;

	stats_slot_busy(st, T0, 1);
	stats_slot_busy(st, T0, 1);
	w = win(st, T0 + 10000, MIN_MS);
	assert_rel(w.utilisation, 1.0, 0.01);
	w = win(st, T0 + 10000, HOUR_MS);
	assert_rel(w.utilisation, 1.0, 0.01);
	/* One goes idle: 10 s of 2 + 10 s of 1 over 20 s. */
	stats_slot_busy(st, T0 + 10000, 0);
	w = win(st, T0 + 20000, MIN_MS);
	assert_rel(w.utilisation, 0.75, 0.01);
	/* Just started: nothing to divide by yet. */
	stats_free(st);
	st = stats_new(2, T0);
	stats_slot_busy(st, T0, 1);
	w = win(st, T0, MIN_MS);
	ck_assert(w.utilisation == 0.0);
	stats_free(st);
}
END_TEST

/*
 * A busy spell of hours with no call in between, then idle: the lazily
 * accounted time must land in the right buckets, and match a twin that was
 * queried every few seconds along the way.
 */
START_TEST(test_util_long_spell)
{
	struct stats *a = stats_new(1, T0), *b = stats_new(1, T0);
	struct stats_window wa, wb;
	int64_t t, end = T0 + 2 * HOUR_MS + 777;

	stats_slot_busy(a, T0 + 1234, 1);
	stats_slot_busy(b, T0 + 1234, 1);
	for (t = T0 + 1234; t < end; t += 7919)
		(void)win(b, t, (t / 7919) % 2 ? MIN_MS : HOUR_MS);
	wa = win(a, end, MIN_MS);
	assert_rel(wa.utilisation, 1.0, 1e-9);
	wa = win(a, end, HOUR_MS);
	assert_rel(wa.utilisation, 1.0, 1e-9);
	stats_slot_busy(a, end, 0);
	stats_slot_busy(b, end, 0);

	wa = win(a, end + 30000, MIN_MS);
	wb = win(b, end + 30000, MIN_MS);
	assert_rel(wa.utilisation, 0.5, 0.02);
	ck_assert(fabs(wa.utilisation - wb.utilisation) < 1e-12);

	wa = win(a, end + 30 * MIN_MS, HOUR_MS);
	wb = win(b, end + 30 * MIN_MS, HOUR_MS);
	assert_rel(wa.utilisation, 0.5, 0.02);
	ck_assert(fabs(wa.utilisation - wb.utilisation) < 1e-12);

	wa = win(a, end + 70 * MIN_MS, HOUR_MS);
	ck_assert(wa.utilisation == 0.0);
	stats_free(a);
	stats_free(b);
}
END_TEST

/* Busy ms of n spells [s, s + len), s = first + i * every, inside [a, b). */
static int64_t
overlap(int64_t first, int64_t len, int64_t every, int n, int64_t a, int64_t b)
{
	int64_t total = 0, s, e;
	int i;

	for (i = 0; i < n; i++) {
		s = first + i * every;
		e = s + len;
		if (s < a)
			s = a;
		if (e > b)
			e = b;
		if (e > s)
			total += e - s;
	}
	return (total);
}

/*
 * Two slots with busy spells that start and stop inside and across second
 * buckets; the utilisation must match, to rounding, the busy time inside
 * the span that stats.c documents: from the start of the 59th second (or
 * minute) bucket before now's, cut at the uptime, to now.
 */
START_TEST(test_util_boundaries)
{
	struct stats *st = stats_new(3, T0);
	struct stats_window w;
	int64_t base = T0 + 10 * MIN_MS, a = base, b = base + 333, q, from;
	int64_t busy, ev[2 * (60 + 20)];
	int i, n = 0;

	/* A: 60 x 700 ms every 1300 ms; B: 20 x 2500 ms every 4100 ms. */
	for (i = 0; i < 60; i++) {
		ev[n++] = (a + i * 1300) * 2 + 1;	/* busy */
		ev[n++] = (a + i * 1300 + 700) * 2;	/* idle */
	}
	for (i = 0; i < 20; i++) {
		ev[n++] = (b + i * 4100) * 2 + 1;
		ev[n++] = (b + i * 4100 + 2500) * 2;
	}
	qsort(ev, n, sizeof ev[0], cmp_i64);
	for (i = 0; i < n; i++)
		stats_slot_busy(st, ev[i] / 2, (int)(ev[i] % 2));
	for (q = base + 81000; q < base + 200000; q += 3333) {
		from = (q / 1000 - 59) * 1000;
		busy = overlap(a, 700, 1300, 60, from, q) +
		    overlap(b, 2500, 4100, 20, from, q);
		w = win(st, q, MIN_MS);
		ck_assert_msg(fabs(w.utilisation - (double)busy / (3.0 *
		    (double)(q - from))) < 1e-9, "q %lld: %f", (long long)q,
		    w.utilisation);
		from = (q / 60000 - 59) * 60000;
		if (from < T0)
			from = T0;
		busy = overlap(a, 700, 1300, 60, from, q) +
		    overlap(b, 2500, 4100, 20, from, q);
		w = win(st, q, HOUR_MS);
		ck_assert(fabs(w.utilisation - (double)busy / (3.0 *
		    (double)(q - from))) < 1e-9);
	}
	stats_free(st);
}
END_TEST

START_TEST(test_time_backwards)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w, w2;
	int i;

	stats_slot_busy(st, T0 + 30000, 1);
	stats_job_ended(st, T0 + 30000, 10, 20);
	/* Everything from here is earlier than the latest now. */
	stats_slot_busy(st, T0 + 10000, 0);
	stats_job_ended(st, T0 - 50000, 30, 40);
	stats_job_ended(st, T0 - 10 * HOUR_MS, 30, 40);
	stats_job_ended(st, INT64_MIN, 30, 40);
	stats_slot_busy(st, INT64_MIN, 1);
	w = win(st, T0, MIN_MS);
	w2 = win(st, T0 + 30000, MIN_MS);
	ck_assert_uint_eq(w.finished, 4);
	ck_assert(w.wait_mean_ms == w2.wait_mean_ms);
	ck_assert(w.wait_mean_ms == 25.0);
	ck_assert(w.utilisation == w2.utilisation);
	ck_assert(w.utilisation >= 0.0 && w.utilisation <= 1.0);
	/* Time moves on normally afterwards. */
	for (i = 0; i < 100; i++) {
		stats_job_ended(st, T0 + 30000 + i * 1000 - (i % 7) * 3000, i,
		    i);
		stats_slot_busy(st, T0 + 30000 + i * 1000 - (i % 5) * 5000,
		    i % 2);
		w = win(st, T0 + 30000 + i * 1000 - (i % 3) * 4000,
		    i % 2 ? MIN_MS : HOUR_MS);
		ck_assert(w.utilisation >= 0.0 && w.utilisation <= 1.0);
	}
	w = win(st, T0 + 30000 + 200 * 1000, MIN_MS);
	ck_assert_uint_eq(w.finished, 0);
	w = win(st, T0 + 30000 + 200 * 1000, HOUR_MS);
	ck_assert_uint_eq(w.finished, 104);
	stats_free(st);
}
END_TEST

START_TEST(test_extreme_times)
{
	struct stats *st = stats_new(1, INT64_MIN);
	struct stats_window w;

	stats_slot_busy(st, INT64_MIN, 1);
	stats_job_ended(st, -5, INT64_MAX, INT64_MAX);
	w = win(st, -1, HOUR_MS);
	ck_assert_uint_eq(w.finished, 1);
	ck_assert(w.utilisation >= 0.0 && w.utilisation <= 1.0);
	ck_assert(w.wait_p95_ms > 1e18);
	stats_job_ended(st, INT64_MAX, 1, 1);
	w = win(st, INT64_MAX, MIN_MS);
	ck_assert_uint_eq(w.finished, 1);
	assert_rel(w.utilisation, 1.0, 1e-9);
	stats_free(st);
}
END_TEST

START_TEST(test_jump_forward)
{
	struct stats *st = stats_new(2, T0);
	struct stats_window w;
	int64_t later = T0 + 3 * 24 * HOUR_MS + 4321;
	int i;

	for (i = 0; i < 300; i++) {
		stats_job_ended(st, T0 + i * 200, 5 + i, 50 + i);
		stats_slot_busy(st, T0 + i * 200, i % 2 == 0);
	}
	w = win(st, T0 + 60000, HOUR_MS);
	ck_assert_uint_eq(w.finished, 300);
	ck_assert(w.utilisation > 0.0);
	/* Days later everything is gone (all slots idle since). */
	w = win(st, later, MIN_MS);
	assert_empty(&w);
	w = win(st, later, HOUR_MS);
	assert_empty(&w);
	/* And new samples stand alone. */
	stats_job_ended(st, later + 10, 7, 9);
	w = win(st, later + 20, MIN_MS);
	ck_assert_uint_eq(w.finished, 1);
	ck_assert(w.wait_mean_ms == 7.0 && w.run_mean_ms == 9.0);
	ck_assert(w.wait_p95_ms == 7.0 && w.run_p95_ms == 9.0);
	w = win(st, later + 20, HOUR_MS);
	ck_assert_uint_eq(w.finished, 1);
	stats_free(st);

	/* A slot busy all along stays busy across the jump. */
	st = stats_new(1, T0);
	stats_slot_busy(st, T0 + 5, 1);
	w = win(st, later, MIN_MS);
	assert_rel(w.utilisation, 1.0, 1e-9);
	stats_slot_busy(st, later, 0);
	w = win(st, later + 30 * MIN_MS, HOUR_MS);
	assert_rel(w.utilisation, 0.5, 0.02);
	stats_free(st);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_bad_window);
	tcase_add_test(tc, test_means_exact);
	tcase_add_test(tc, test_p95_uniform);
	tcase_add_test(tc, test_p95_skewed);
	tcase_add_test(tc, test_p95_random);
	tcase_add_test(tc, test_p95_magnitudes);
	tcase_add_test(tc, test_p95_precision);
	tcase_add_test(tc, test_p95_single_value);
	tcase_add_test(tc, test_zero_values);
	tcase_add_test(tc, test_ageing);
	tcase_add_test(tc, test_ageing_mixed);
	tcase_add_test(tc, test_per_second);
	tcase_add_test(tc, test_never_started);
	tcase_add_test(tc, test_util_half_of_one);
	tcase_add_test(tc, test_util_full_and_clamped);
	tcase_add_test(tc, test_util_no_workers);
	tcase_add_test(tc, test_util_early_uptime);
	tcase_add_test(tc, test_util_long_spell);
	tcase_add_test(tc, test_util_boundaries);
	tcase_add_test(tc, test_time_backwards);
	tcase_add_test(tc, test_extreme_times);
	tcase_add_test(tc, test_jump_forward);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(stats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
