/*
 * check_cron_dst.c - the DST rules of cron.h in real zones
 * (America/New_York, Europe/Berlin, Australia/Lord_Howe, through the
 * process's TZ and through cron_next() with a zone name), and a randomized
 * comparison of cron_next_tz() against a brute-force model that tries
 * every minute (UTC, New York, Lord Howe).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_cron.h"

/* ---- DST in real zones ---- */

START_TEST(test_dst_new_york)
{
	const struct cron_tz *tz = _i ? &tz_sys_nofrom : &tz_sys;

	set_tz("America/New_York");
	/* 2026-03-08: 02:00 EST -> 03:00 EDT (07:00 UTC) */
	expect_next("30 2 * * *", tz, utc(2026, 3, 7, 12, 0),
	    utc(2026, 3, 8, 7, 0));
	expect_next("30 2 * * *", tz, utc(2026, 3, 8, 7, 0),
	    utc(2026, 3, 9, 6, 30));
	/* several times in the gap, and 03:00: one fire */
	expect_next("0,30,59 2 * * *", tz, utc(2026, 3, 8, 6, 59),
	    utc(2026, 3, 8, 7, 0));
	expect_next("0,30,59 2 * * *", tz, utc(2026, 3, 8, 7, 0),
	    utc(2026, 3, 9, 6, 0));
	expect_next("0 3 * * *", tz, utc(2026, 3, 8, 6, 0),
	    utc(2026, 3, 8, 7, 0));
	expect_next("* * * * *", tz, utc(2026, 3, 8, 6, 59),
	    utc(2026, 3, 8, 7, 0));
	expect_next("* * * * *", tz, utc(2026, 3, 8, 7, 0),
	    utc(2026, 3, 8, 7, 1));
	/* 2026-11-01: 02:00 EDT -> 01:00 EST (06:00 UTC) */
	expect_next("30 1 * * *", tz, utc(2026, 10, 31, 12, 0),
	    utc(2026, 11, 1, 5, 30));
	expect_next("30 1 * * *", tz, utc(2026, 11, 1, 5, 30),
	    utc(2026, 11, 2, 6, 30));
	/* after in the second pass of the repeated hour */
	expect_next("30 1 * * *", tz, utc(2026, 11, 1, 6, 10),
	    utc(2026, 11, 2, 6, 30));
	expect_next("*/15 * * * *", tz, utc(2026, 11, 1, 5, 45),
	    utc(2026, 11, 1, 7, 0));
	expect_next("*/15 * * * *", tz, utc(2026, 11, 1, 6, 20),
	    utc(2026, 11, 1, 7, 0));
	expect_next("0 2 * * *", tz, utc(2026, 11, 1, 5, 0),
	    utc(2026, 11, 1, 7, 0));
}
END_TEST

/* Count the fires of text over [from, to) by calling next repeatedly. */
static int
count_fires(const char *text, const struct cron_tz *tz, int64_t from,
	    int64_t to, int64_t *first)
{
	int64_t	t = from;
	int	n = 0;

	for (;;) {
		t = next_of(text, tz, t);
		if (t >= to)
			return n;
		if (n == 0 && first != NULL)
			*first = t;
		n++;
	}
}

START_TEST(test_dst_once_a_day)
{
	int64_t	first;

	set_tz("America/New_York");
	/* over the whole spring-forward and fall-back days (local) */
	ck_assert_int_eq(count_fires("30 2 * * *", &tz_sys,
	    utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0), &first), 1);
	ck_assert_int_eq(first, utc(2026, 3, 8, 7, 0));
	ck_assert_int_eq(count_fires("30 1 * * *", &tz_sys,
	    utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0), &first), 1);
	ck_assert_int_eq(first, utc(2026, 11, 1, 5, 30));
	/* the day of 23 hours: 23 * 4 fires; of 25 hours: 24 * 4 */
	ck_assert_int_eq(count_fires("*/15 * * * *", &tz_sys,
	    utc(2026, 3, 8, 5, 0) - 1, utc(2026, 3, 9, 4, 0) - 1, NULL),
	    23 * 4);
	ck_assert_int_eq(count_fires("*/15 * * * *", &tz_sys,
	    utc(2026, 11, 1, 4, 0) - 1, utc(2026, 11, 2, 5, 0) - 1, NULL),
	    24 * 4);
	/* hourly: 23 and 24 fires */
	ck_assert_int_eq(count_fires("@hourly", &tz_sys,
	    utc(2026, 3, 8, 5, 0) - 1, utc(2026, 3, 9, 4, 0) - 1, NULL), 23);
	ck_assert_int_eq(count_fires("@hourly", &tz_sys,
	    utc(2026, 11, 1, 4, 0) - 1, utc(2026, 11, 2, 5, 0) - 1, NULL), 24);
}
END_TEST

START_TEST(test_dst_berlin)
{
	set_tz("Europe/Berlin");
	/* 2026-03-29: 02:00 CET -> 03:00 CEST (01:00 UTC) */
	expect_next("30 2 * * *", &tz_sys, utc(2026, 3, 28, 12, 0),
	    utc(2026, 3, 29, 1, 0));
	expect_next("30 2 * * *", &tz_sys, utc(2026, 3, 29, 1, 0),
	    utc(2026, 3, 30, 0, 30));
	/* 2026-10-25: 03:00 CEST -> 02:00 CET (01:00 UTC) */
	expect_next("30 2 * * *", &tz_sys, utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 25, 0, 30));
	expect_next("30 2 * * *", &tz_sys, utc(2026, 10, 25, 0, 30),
	    utc(2026, 10, 26, 1, 30));
	expect_next("@daily", &tz_sys, utc(2026, 10, 24, 12, 0),
	    utc(2026, 10, 24, 22, 0));
	expect_next("@daily", &tz_sys, utc(2026, 10, 24, 22, 0),
	    utc(2026, 10, 25, 23, 0));
}
END_TEST

START_TEST(test_dst_lord_howe)
{
	set_tz("Australia/Lord_Howe");
	/* 2026-10-04: 02:00 +10:30 -> 02:30 +11 (15:30 UTC on the 3rd) */
	expect_next("15 2 * * *", &tz_sys, utc(2026, 10, 3, 0, 0),
	    utc(2026, 10, 3, 15, 30));
	expect_next("0-29 2 * * *", &tz_sys, utc(2026, 10, 3, 15, 29),
	    utc(2026, 10, 3, 15, 30));
	expect_next("0-29 2 * * *", &tz_sys, utc(2026, 10, 3, 15, 30),
	    utc(2026, 10, 4, 15, 0));
	expect_next("30 2 * * *", &tz_sys, utc(2026, 10, 3, 0, 0),
	    utc(2026, 10, 3, 15, 30));
	/* 2026-04-05: 02:00 +11 -> 01:30 +10:30 (15:00 UTC on the 4th) */
	expect_next("45 1 * * *", &tz_sys, utc(2026, 4, 4, 0, 0),
	    utc(2026, 4, 4, 14, 45));
	expect_next("45 1 * * *", &tz_sys, utc(2026, 4, 4, 14, 45),
	    utc(2026, 4, 5, 15, 15));
	expect_next("*/10 * * * *", &tz_sys, utc(2026, 4, 4, 14, 50),
	    utc(2026, 4, 4, 15, 30));
	ck_assert_int_eq(count_fires("45 1 * * *", &tz_sys,
	    utc(2026, 4, 4, 13, 0), utc(2026, 4, 5, 13, 30), NULL), 1);
}
END_TEST

/* A gap of a whole day: Samoa skipped 2011-12-30 (10:00 UTC, from -10 to
 * +14).  A noon job fires once for the missing day, at the first instant
 * after it (2011-12-31 00:00 local), then at noon of the 31st. */
START_TEST(test_dst_apia)
{
	struct cron_expr	ce = parse_ok("0 12 * * *");
	int64_t			t;

	set_tz("Pacific/Apia");
	expect_next("0 12 * * *", &tz_sys, utc(2011, 12, 29, 22, 0),
	    utc(2011, 12, 30, 10, 0));
	expect_next("0 12 * * *", &tz_sys, utc(2011, 12, 30, 10, 0),
	    utc(2011, 12, 30, 22, 0));
	set_tz("UTC");
	ck_assert_int_eq(cron_next(&ce, "Pacific/Apia",
	    utc(2011, 12, 29, 22, 0), &t), 0);
	ck_assert_int_eq(t, utc(2011, 12, 30, 10, 0));
}
END_TEST

/* cron_next() with a zone name; the process's TZ is left as it was. */
START_TEST(test_next_zone)
{
	struct cron_expr	ce = parse_ok("30 2 * * *");
	int64_t			t;
	char			*tz;

	set_tz("UTC");
	ck_assert_int_eq(cron_next(&ce, "America/New_York",
	    utc(2026, 3, 7, 12, 0), &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 8, 7, 0));
	ck_assert_str_eq(getenv("TZ"), "UTC");
	ck_assert_int_eq(cron_next(&ce, "Europe/Berlin", utc(2026, 3, 28, 12, 0),
	    &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 29, 1, 0));
	/* NULL and "": the process's zone */
	ck_assert_int_eq(cron_next(&ce, NULL, utc(2026, 3, 7, 12, 0), &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 8, 2, 30));
	set_tz("America/New_York");
	ck_assert_int_eq(cron_next(&ce, "", utc(2026, 3, 7, 12, 0), &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 8, 7, 0));
	ck_assert_int_eq(cron_next(&ce, "UTC", utc(2026, 3, 7, 12, 0), &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 8, 2, 30));
	ck_assert_str_eq(getenv("TZ"), "America/New_York");
	/* unset TZ stays unset */
	ck_assert_int_eq(unsetenv("TZ"), 0);
	ck_assert_int_eq(cron_next(&ce, "Asia/Tokyo", utc(2026, 3, 7, 12, 0),
	    &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 7, 17, 30));
	ck_assert_ptr_null(getenv("TZ"));
	/* bad zones */
	ck_assert_int_eq(cron_next(&ce, "Mars/Olympus", 0, &t), -ENOENT);
	ck_assert_int_eq(cron_next(&ce, "../etc/passwd", 0, &t), -EINVAL);
	ce = parse_ok("0 0 30 2 *");
	ck_assert_int_eq(cron_next(&ce, "Europe/Berlin", 0, &t), -ERANGE);
	tz = getenv("TZ");
	ck_assert_ptr_null(tz);
}
END_TEST

/* cron_next() from several threads over more zones than its cache holds:
 * the answers are those of the zones read apart (and ASan sees no zone
 * freed while in use). */
#define THR_ZONES 24
#define THR_N 4
#define THR_CALLS 3000

static const char *const thr_zones[THR_ZONES] = {
	"America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
	"Asia/Tokyo", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"Europe/London", "Europe/Paris", "Europe/Moscow", "Asia/Kolkata",
	"Asia/Kathmandu", "Asia/Shanghai", "Australia/Sydney", "Pacific/Auckland",
	"Pacific/Chatham", "America/Sao_Paulo", "America/Santiago", "Africa/Cairo",
	"Africa/Casablanca", "Asia/Tehran", "America/St_Johns", "Europe/Dublin",
	"UTC",
};
static int64_t thr_want[THR_ZONES][8];
static struct cron_expr thr_ce;

static int64_t
thr_after(int k)
{
	return utc(2026, 1, 1, 0, 0) + (int64_t)k * 86400 * 45 + k * 7;
}

static void *
thr_run(void *arg)
{
	long	seed = (long)(intptr_t)arg, bad = 0;
	int	i, z, k;
	int64_t	t;

	for (i = 0; i < THR_CALLS; i++) {
		z = (int)((seed * 7 + i * 13) % THR_ZONES);
		k = (int)((seed + i) % 8);
		if (cron_next(&thr_ce, thr_zones[z], thr_after(k), &t) != 0 ||
		    t != thr_want[z][k])
			bad++;
	}
	return (void *)(intptr_t)bad;
}

START_TEST(test_next_threads)
{
	struct cron_tz		 tz = { cron_zone_to_local, NULL, NULL };
	struct cron_zone	*z;
	pthread_t		 th[THR_N];
	void			*res;
	int			 i, k;

	thr_ce = parse_ok("*/7 1-3 * * *");
	for (i = 0; i < THR_ZONES; i++) {
		ck_assert_int_eq(cron_zone_open(thr_zones[i], &z, NULL, 0), 0);
		tz.ctx = z;
		for (k = 0; k < 8; k++)
			ck_assert_int_eq(cron_next_tz(&thr_ce, &tz, thr_after(k),
			    &thr_want[i][k]), 0);
		cron_zone_free(z);
	}
	for (i = 0; i < THR_N; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, thr_run,
		    (void *)(intptr_t)(i + 1)), 0);
	for (i = 0; i < THR_N; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_int_eq((long)(intptr_t)res, 0);
	}
}
END_TEST

/* ---- the brute-force model ---- */

/* Does wall-clock time ws (seconds, as if UTC) match ce?  Written apart
 * from cron.c: gmtime_r's fields, the rule as cron.h states it. */
static int
model_match(const struct cron_expr *ce, int64_t ws)
{
	time_t		tt = (time_t)ws;
	struct tm	tm;
	int		dom_ok, dow_ok, day_ok;

	gmtime_r(&tt, &tm);
	if (tm.tm_sec != 0)
		return 0;
	dom_ok = (ce->dom >> tm.tm_mday & 1) != 0;
	dow_ok = (ce->dow >> tm.tm_wday & 1) != 0;
	if (!ce->dom_star && !ce->dow_star)
		day_ok = dom_ok || dow_ok;
	else
		day_ok = dom_ok && dow_ok;
	return day_ok && (ce->minute >> tm.tm_min & 1) &&
	    (ce->hour >> tm.tm_hour & 1) && (ce->month >> (tm.tm_mon + 1) & 1);
}

static int64_t
model_wall(const struct cron_tz *tz, int64_t t)
{
	struct tm	tm;
	int64_t		days;
	int		y, m;

	CHECK(tz->to_local(tz->ctx, t, &tm) == 0, "to_local");
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	/* days from civil, through timegm to stay apart from cron.c */
	{
		struct tm d;

		memset(&d, 0, sizeof(d));
		d.tm_year = y - 1900;
		d.tm_mon = m - 1;
		d.tm_mday = tm.tm_mday;
		days = (int64_t)timegm(&d) / 86400;
	}
	return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/*
 * The first fire strictly after `after` within `horizon` seconds, by
 * trying every minute: minute instant t fires when its wall-clock time is
 * new (later than every wall-clock time before it: not a fold's second
 * pass) and matches, or when the wall-clock times skipped between the
 * previous minute and t (a gap) hold a match.  0 and *next, or -1.
 */
static int
model_next(const struct cron_expr *ce, const struct cron_tz *tz,
	   int64_t after, int64_t horizon, int64_t *next)
{
	int64_t	t0 = after - ((after % 60) + 60) % 60;
	int64_t	t = t0 - 2 * 86400, ws, prev, maxw, u;
	int	fires;

	prev = model_wall(tz, t - 60);
	maxw = prev;
	for (; t <= after + horizon; t += 60) {
		ws = model_wall(tz, t);
		fires = ws > maxw && model_match(ce, ws);
		for (u = prev + 60; !fires && u < ws; u += 60)
			if (u > maxw && model_match(ce, u))
				fires = 1;
		if (ws > maxw)
			maxw = ws;
		prev = ws;
		if (fires && t > after) {
			*next = t;
			return 0;
		}
	}
	return -1;
}

/* A random field text: mostly '*', else a value, range, step or list. */
static void
rand_field(char *buf, size_t n, int lo, int hi, int star_pct)
{
	int	k = (int)(random() % 100), a, b, s;

	a = lo + (int)(random() % (hi - lo + 1));
	b = a + (int)(random() % (hi - a + 1));
	s = 1 + (int)(random() % 7);
	if (k < star_pct)
		snprintf(buf, n, "*");
	else if (k < star_pct + 10)
		snprintf(buf, n, "*/%d", s);
	else if (k < star_pct + 30)
		snprintf(buf, n, "%d", a);
	else if (k < star_pct + 45)
		snprintf(buf, n, "%d-%d", a, b);
	else if (k < star_pct + 55)
		snprintf(buf, n, "%d-%d/%d", a, b, s);
	else
		snprintf(buf, n, "%d,%d-%d", lo + (int)(random() % (hi - lo + 1)),
		    a, b);
}

static void
rand_expr(char *buf, size_t n)
{
	char	f[5][32];

	rand_field(f[0], sizeof(f[0]), 0, 59, 15);
	/* hours around the small hours, where the transitions are */
	if (random() % 3 == 0)
		snprintf(f[1], sizeof(f[1]), "%ld-%ld", random() % 3,
		    2 + random() % 2);
	else
		rand_field(f[1], sizeof(f[1]), 0, 23, 35);
	rand_field(f[2], sizeof(f[2]), 1, 31, 60);
	rand_field(f[3], sizeof(f[3]), 1, 12, 70);
	rand_field(f[4], sizeof(f[4]), 0, 7, 55);
	snprintf(buf, n, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
}

/* Compare cron_next_tz with the model on random expressions and times. */
static void
compare_random(const struct cron_tz *tz, unsigned seed, int rounds,
	       const char *zone)
{
	struct cron_expr ce;
	char		 text[200], a[40], b[40], c[40];
	int64_t		 after, got, want, horizon = 40 * 86400;
	int		 i, rc, mrc, compared = 0;
	int64_t		 base = utc(2024, 1, 1, 0, 0);

	srandom(seed);
	for (i = 0; i < rounds; i++) {
		rand_expr(text, sizeof(text));
		CHECK(cron_parse(&ce, text, NULL, 0) == 0, "parse %s", text);
		if (random() % 2) {
			after = base + random() % (8LL * 365 * 86400);
		} else {
			/* days around March/April and October/November */
			static const int mon[4] = { 3, 4, 10, 11 };
			after = utc(2024 + (int)(random() % 8),
			    mon[random() % 4], 1, 0, 0) +
			    random() % (15LL * 86400);
		}
		if (random() % 3 == 0)
			after -= after % 60;
		if (zone != NULL)
			rc = cron_next(&ce, zone, after, &got);
		else
			rc = cron_next_tz(&ce, tz, after, &got);
		mrc = model_next(&ce, tz, after, horizon, &want);
		if (mrc == 0) {
			CHECK(rc == 0 && got == want,
			    "\"%s\" after %s: %d %s, model %s", text,
			    fmt_utc(after, a, sizeof(a)), rc,
			    fmt_utc(got, b, sizeof(b)),
			    fmt_utc(want, c, sizeof(c)));
			compared++;
		} else {
			CHECK(rc == -ERANGE || (rc == 0 &&
			    got > after + horizon),
			    "\"%s\" after %s: %d %s, model: none in 40 days",
			    text, fmt_utc(after, a, sizeof(a)), rc,
			    fmt_utc(got, b, sizeof(b)));
		}
	}
	/* the comparison is not vacuous */
	ck_assert_int_gt(compared, rounds / 2);
}

START_TEST(test_random_utc)
{
	set_tz("UTC");
	compare_random(&tz_utc, 1, 600, NULL);
}
END_TEST

START_TEST(test_random_new_york)
{
	set_tz("America/New_York");
	compare_random(&tz_sys, 2, 150, NULL);
	compare_random(&tz_sys_nofrom, 3, 50, NULL);
	compare_random(&tz_sys, 4, 50, "America/New_York");
}
END_TEST

START_TEST(test_random_lord_howe)
{
	set_tz("Australia/Lord_Howe");
	compare_random(&tz_sys, 5, 150, NULL);
	/* +12:45/+13:45, through cron_zone.c against glibc */
	set_tz("Pacific/Chatham");
	compare_random(&tz_sys, 6, 60, "Pacific/Chatham");
}
END_TEST

/* The model itself sees the transitions (so the comparison means
 * something): the spring-forward 02:30 is at 03:00, once. */
START_TEST(test_model_sane)
{
	struct cron_expr	ce = parse_ok("30 2 * * *");
	int64_t			t;

	set_tz("America/New_York");
	ck_assert_int_eq(model_next(&ce, &tz_sys, utc(2026, 3, 7, 12, 0),
	    86400 * 3, &t), 0);
	ck_assert_int_eq(t, utc(2026, 3, 8, 7, 0));
	ce = parse_ok("30 1 * * *");
	ck_assert_int_eq(model_next(&ce, &tz_sys, utc(2026, 11, 1, 5, 30),
	    86400 * 3, &t), 0);
	ck_assert_int_eq(t, utc(2026, 11, 2, 6, 30));
}
END_TEST

TCase *
check_cron_dst(void)
{
	TCase	*tc = tcase_create("dst");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_dst_new_york, 0, 2);
	tcase_add_test(tc, test_dst_once_a_day);
	tcase_add_test(tc, test_dst_berlin);
	tcase_add_test(tc, test_dst_lord_howe);
	tcase_add_test(tc, test_dst_apia);
	tcase_add_test(tc, test_next_zone);
	tcase_add_test(tc, test_next_threads);
	return tc;
}

TCase *
check_cron_random(void)
{
	TCase	*tc = tcase_create("random");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_model_sane);
	tcase_add_test(tc, test_random_utc);
	tcase_add_test(tc, test_random_new_york);
	tcase_add_test(tc, test_random_lord_howe);
	return tc;
}
