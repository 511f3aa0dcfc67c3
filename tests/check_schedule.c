/*
 * check_schedule.c - unit tests of schedule.c, the pure decisions of
 * recurring schedules: --every anchoring, the next due time after a long
 * outage (O(1) for --every), catch-up none/one/all at start-up and at run
 * time, the cap of catch-up all, the overlap rule, and a randomized
 * comparison of whole outages against a brute-force model that lists every
 * due time one by one.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "schedule.h"

static struct schedule_when
every(int64_t anchor, int64_t ms)
{
	struct schedule_when w = { ms, anchor, NULL, NULL };

	return w;
}

/* A cron-like fake: due times at multiples of 60 s whose minute is not a
 * multiple of `gap` (irregular spacing), from 0 on. */
static int
fake_next(const void *ctx, int64_t after, int64_t *out)
{
	int64_t gap = *(const int64_t *)ctx, m;

	m = after < 0 ? 0 : after / 60000 + 1;
	while (gap > 1 && m % gap == 0)
		m++;
	*out = m * 60000;
	return 0;
}

static struct schedule_when
fake(const int64_t *gap)
{
	struct schedule_when w = { 0, 0, fake_next, gap };

	return w;
}

START_TEST(test_every_anchor)
{
	struct schedule_when w = every(1000000, 5000);

	ck_assert_int_eq(schedule_next(&w, 1000000), 1005000);
	ck_assert_int_eq(schedule_next(&w, 1004999), 1005000);
	ck_assert_int_eq(schedule_next(&w, 1005000), 1010000);
	/* before the anchor: the anchor itself (--at-start) */
	ck_assert_int_eq(schedule_next(&w, 999999), 1000000);
	/* no drift: late wake-ups do not move the grid */
	ck_assert_int_eq(schedule_next(&w, 1012345), 1015000);
}
END_TEST

START_TEST(test_on_time)
{
	struct schedule_when w = every(0, 1000);
	struct schedule_plan p;

	schedule_step(&w, 5000, 4999, SCHEDULE_CATCHUP_ONE, 0, &p);
	ck_assert_int_eq(p.action, SCHEDULE_WAIT);
	ck_assert_int_eq(p.next_fire, 5000);
	schedule_step(&w, 5000, 5300, SCHEDULE_CATCHUP_NONE, 0, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.catchup, 0);
	ck_assert_int_eq(p.due, 5000);
	ck_assert_int_eq(p.misses, 0);
	ck_assert_int_eq(p.next_fire, 6000);
	schedule_step(&w, 0, 5300, SCHEDULE_CATCHUP_ALL, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_WAIT);
}
END_TEST

START_TEST(test_startup_none_one_all)
{
	struct schedule_when w = every(0, 1000);
	struct schedule_plan p;

	/* down from before 5000 to 9500: 5000..9000 due, 5 of them */
	schedule_step(&w, 5000, 9500, SCHEDULE_CATCHUP_NONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_MISS);
	ck_assert_int_eq(p.misses, 5);
	ck_assert_int_eq(p.next_fire, 10000);
	schedule_step(&w, 5000, 9500, SCHEDULE_CATCHUP_ONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.due, 9000);
	ck_assert_int_eq(p.misses, 4);
	ck_assert_int_eq(p.next_fire, 10000);
	schedule_step(&w, 5000, 9500, SCHEDULE_CATCHUP_ALL, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.catchup, 1);
	ck_assert_int_eq(p.due, 5000);
	ck_assert_int_eq(p.misses, 0);
	ck_assert_int_eq(p.next_fire, 6000);
	/* one due at start-up: none misses it, the others submit it */
	schedule_step(&w, 9000, 9500, SCHEDULE_CATCHUP_NONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_MISS);
	ck_assert_int_eq(p.misses, 1);
	schedule_step(&w, 9000, 9500, SCHEDULE_CATCHUP_ONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.misses, 0);
}
END_TEST

START_TEST(test_runtime_none)
{
	struct schedule_when w = every(0, 1000);
	struct schedule_plan p;

	/* a suspend: 3 due at once; none misses the 2 older, then the
	 * newest fires on time */
	schedule_step(&w, 5000, 7200, SCHEDULE_CATCHUP_NONE, 0, &p);
	ck_assert_int_eq(p.action, SCHEDULE_MISS);
	ck_assert_int_eq(p.misses, 2);
	ck_assert_int_eq(p.next_fire, 7000);
	schedule_step(&w, p.next_fire, 7200, SCHEDULE_CATCHUP_NONE, 0, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.due, 7000);
	ck_assert_int_eq(p.next_fire, 8000);
}
END_TEST

START_TEST(test_all_cap)
{
	struct schedule_when w = every(0, 1000);
	struct schedule_plan p;
	int64_t n = SCHEDULE_CATCHUP_MAX + 250;

	schedule_step(&w, 1000, n * 1000, SCHEDULE_CATCHUP_ALL, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_MISS);
	ck_assert_int_eq(p.misses, 250);
	ck_assert_int_eq(p.next_fire, 251000);
	schedule_step(&w, p.next_fire, n * 1000, SCHEDULE_CATCHUP_ALL, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.due, 251000);
}
END_TEST

/* Ten years down with --every 1s: one step, no iteration of 3e8 fires. */
START_TEST(test_long_outage)
{
	struct schedule_when w = every(7, 1000);
	struct schedule_plan p;
	int64_t ten_years = 315360000000LL;

	schedule_step(&w, 1007, ten_years, SCHEDULE_CATCHUP_ONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.due, ten_years - 1000 + 7);
	ck_assert_int_eq(p.misses, (ten_years - 1007) / 1000);
	ck_assert_int_eq(p.next_fire, ten_years + 7);
	schedule_step(&w, 1007, ten_years, SCHEDULE_CATCHUP_NONE, 1, &p);
	ck_assert_int_eq(p.misses, (ten_years - 1007) / 1000 + 1);
	ck_assert_int_eq(p.next_fire, ten_years + 7);
}
END_TEST

START_TEST(test_cron_fake)
{
	int64_t gap = 3;
	struct schedule_when w = fake(&gap);
	struct schedule_plan p;

	/* minutes 1 2 4 5 7 8 ... */
	ck_assert_int_eq(schedule_next(&w, 60000), 120000);
	ck_assert_int_eq(schedule_next(&w, 120000), 240000);
	schedule_step(&w, 60000, 300000, SCHEDULE_CATCHUP_ONE, 1, &p);
	ck_assert_int_eq(p.action, SCHEDULE_FIRE);
	ck_assert_int_eq(p.due, 300000);
	ck_assert_int_eq(p.misses, 3);
	ck_assert_int_eq(p.next_fire, 420000);
}
END_TEST

START_TEST(test_overlap)
{
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_SKIP, 0, 0),
	    SCHEDULE_DO_SUBMIT);
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_SKIP, 1, 0),
	    SCHEDULE_DO_SKIP);
	/* a catch-up's job is never skipped; queue still waits */
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_SKIP, 1, 1),
	    SCHEDULE_DO_SUBMIT);
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_QUEUE, 1, 1),
	    SCHEDULE_DO_AFTER);
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_QUEUE, 1, 0),
	    SCHEDULE_DO_AFTER);
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_QUEUE, 0, 0),
	    SCHEDULE_DO_SUBMIT);
	ck_assert_int_eq(schedule_overlap(SCHEDULE_OVERLAP_ALLOW, 1, 0),
	    SCHEDULE_DO_SUBMIT);
	ck_assert_int_eq(schedule_overlap_parse("queue"),
	    SCHEDULE_OVERLAP_QUEUE);
	ck_assert_int_eq(schedule_overlap_parse("sometimes"), -1);
	ck_assert_int_eq(schedule_catchup_parse("all"), SCHEDULE_CATCHUP_ALL);
	ck_assert_str_eq(schedule_catchup_name(SCHEDULE_CATCHUP_NONE), "none");
	ck_assert_ptr_null(schedule_overlap_name(7));
}
END_TEST

/*
 * Random outages against a model: the model lists every due time in
 * [next_fire, now] one by one and says which get a job and how many are
 * missed; the steps, applied until WAIT, must give the same jobs (the same
 * due times, in order) and misses, and leave next_fire at the first due
 * time after now.
 */
static void
model(const struct schedule_when *w, int64_t first, int64_t now, int mode,
    int startup, int64_t *jobs, int64_t *njobs, int64_t *misses,
    int64_t *next, int64_t *ncatch)
{
	int64_t due[4096], n = 0, d, i;

	for (d = first; d <= now; d = schedule_next(w, d))
		due[n++] = d;
	*next = d;
	*njobs = *misses = *ncatch = 0;
	if (n == 0)
		return;
	if (n == 1 && !startup) {
		jobs[(*njobs)++] = due[0];
		return;
	}
	/* the jobs of one and all are the catch-up's, but for the newest
	 * of all at run time, which comes due alone at the end */
	if (mode == SCHEDULE_CATCHUP_ONE)
		*ncatch = 1;
	else if (mode == SCHEDULE_CATCHUP_ALL)
		*ncatch = (n > SCHEDULE_CATCHUP_MAX ? SCHEDULE_CATCHUP_MAX : n) -
		    !startup;
	switch (mode) {
	case SCHEDULE_CATCHUP_NONE:
		*misses = startup ? n : n - 1;
		if (!startup)
			jobs[(*njobs)++] = due[n - 1];
		break;
	case SCHEDULE_CATCHUP_ONE:
		*misses = n - 1;
		jobs[(*njobs)++] = due[n - 1];
		break;
	default:
		i = n > SCHEDULE_CATCHUP_MAX ? n - SCHEDULE_CATCHUP_MAX : 0;
		*misses = i;
		for (; i < n; i++)
			jobs[(*njobs)++] = due[i];
	}
}

START_TEST(test_random_vs_model)
{
	static int64_t got[4096], want[4096];
	int64_t gap, ngot, nwant, mgot, mwant, wnext, next, first, now;
	int64_t cgot, cwant;
	struct schedule_when w;
	struct schedule_plan p;
	int round, mode, startup, steps;

	srand(1234u + (unsigned)_i);
	for (round = 0; round < 300; round++) {
		gap = 1 + rand() % 4;
		if (rand() % 2)
			w = every(rand() % 100000, 1000 * (1 + rand() % 90));
		else
			w = fake(&gap);
		mode = rand() % 3;
		startup = rand() % 2;
		first = schedule_next(&w, rand() % 1000000);
		now = first - 5000 + rand() % (rand() % 2 ? 200000 :
		    (w.every_ms > 0 ? 1200 * w.every_ms : 2000 * 60000));
		model(&w, first, now, mode, startup, want, &nwant, &mwant,
		    &wnext, &cwant);
		ngot = mgot = cgot = 0;
		next = first;
		for (steps = 0; steps < 5000; steps++) {
			schedule_step(&w, next, now, (enum schedule_catchup_mode)
			    mode, startup, &p);
			if (p.action == SCHEDULE_WAIT)
				break;
			mgot += p.misses;
			if (p.action == SCHEDULE_FIRE) {
				got[ngot++] = p.due;
				cgot += p.catchup;
			}
			ck_assert_int_gt(p.next_fire, next);
			next = p.next_fire;
		}
		ck_assert_int_eq(p.action, SCHEDULE_WAIT);
		ck_assert_int_eq(mgot, mwant);
		ck_assert_int_eq(ngot, nwant);
		for (steps = 0; steps < ngot; steps++)
			ck_assert_int_eq(got[steps], want[steps]);
		ck_assert_int_eq(next, wnext);
		ck_assert_int_eq(cgot, cwant);
	}
}
END_TEST

static Suite *
schedule_suite(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("decisions");

	tcase_add_test(tc, test_every_anchor);
	tcase_add_test(tc, test_on_time);
	tcase_add_test(tc, test_startup_none_one_all);
	tcase_add_test(tc, test_runtime_none);
	tcase_add_test(tc, test_all_cap);
	tcase_add_test(tc, test_long_outage);
	tcase_add_test(tc, test_cron_fake);
	tcase_add_test(tc, test_overlap);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_random_vs_model, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(schedule_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
