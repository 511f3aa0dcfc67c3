/*
 * check_cron.c - unit tests of daemon/cron.c and daemon/cron_tz.c: the
 * parser (every field form, names, nicknames, day-of-week 7, every error
 * with its message), the canonical formatter (round trips), next fire in
 * UTC (month ends, leap years, the day-of-month/day-of-week rule, steps,
 * -ERANGE), the DST rules in real zones (America/New_York, Europe/Berlin,
 * Australia/Lord_Howe), cron_zone_valid(), and a randomized comparison of
 * cron_next_tz() against a brute-force model that tries every minute.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

/* For checks inside big loops: a passing ck_assert costs a message to the
 * parent process, this costs nothing. */
#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* ---- helpers ---- */

/* y-m-d h:mi UTC as seconds since the epoch. */
static int64_t
utc(int y, int m, int d, int h, int mi)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static char *
fmt_utc(int64_t t, char *buf, size_t n)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

static long seam_calls;

static int
utc_to_local(void *ctx, int64_t t, struct tm *out)
{
	time_t	tt = (time_t)t;

	(void)ctx;
	seam_calls++;
	return gmtime_r(&tt, out) != NULL ? 0 : -ERANGE;
}

static int
utc_from_local(void *ctx, struct tm *in, int64_t *out)
{
	(void)ctx;
	*out = (int64_t)timegm(in);
	return 0;
}

static const struct cron_tz tz_utc = { utc_to_local, utc_from_local, NULL };

/* The process's zone (TZ), as jobqd's seam does it. */
static int
sys_to_local(void *ctx, int64_t t, struct tm *out)
{
	time_t	tt = (time_t)t;

	(void)ctx;
	seam_calls++;
	return localtime_r(&tt, out) != NULL ? 0 : -ERANGE;
}

static int
sys_from_local(void *ctx, struct tm *in, int64_t *out)
{
	(void)ctx;
	in->tm_isdst = -1;
	*out = (int64_t)mktime(in);
	return 0;
}

static const struct cron_tz tz_sys = { sys_to_local, sys_from_local, NULL };
/* the same without from_local: the algorithm must not need it */
static const struct cron_tz tz_sys_nofrom = { sys_to_local, NULL, NULL };

static void
set_tz(const char *zone)
{
	ck_assert_int_eq(setenv("TZ", zone, 1), 0);
	tzset();
}

static struct cron_expr
parse_ok(const char *text)
{
	struct cron_expr	ce;
	char			err[256];
	int			rc;

	rc = cron_parse(&ce, text, err, sizeof(err));
	ck_assert_msg(rc == 0, "cron_parse(\"%s\"): %d %s", text, rc, err);
	return ce;
}

/* cron_next_tz of text after `after`, which must succeed. */
static int64_t
next_of(const char *text, const struct cron_tz *tz, int64_t after)
{
	struct cron_expr	ce = parse_ok(text);
	int64_t			t = 0;
	int			rc;

	rc = cron_next_tz(&ce, tz, after, &t);
	ck_assert_msg(rc == 0, "cron_next_tz(\"%s\"): %d", text, rc);
	return t;
}

static void
expect_next(const char *text, const struct cron_tz *tz, int64_t after,
	    int64_t want)
{
	char	a[40], b[40], c[40];
	int64_t	got = next_of(text, tz, after);

	ck_assert_msg(got == want, "\"%s\" after %s: %s, want %s", text,
	    fmt_utc(after, a, sizeof(a)), fmt_utc(got, b, sizeof(b)),
	    fmt_utc(want, c, sizeof(c)));
}

#define ALL_MIN (((uint64_t)1 << 60) - 1)
#define ALL_HOUR (((uint64_t)1 << 24) - 1)
#define ALL_DOM 0xfffffffeULL
#define ALL_MON 0x1ffeULL
#define ALL_DOW 0x7fULL

/* ---- parser ---- */

static const struct parse_case {
	const char *text;
	uint64_t minute, hour, dom, month, dow;
	int dom_star, dow_star;
} parse_cases[] = {
	{ "* * * * *", ALL_MIN, ALL_HOUR, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	{ "0 0 1 1 0", 1, 1, 1 << 1, 1 << 1, 1, 0, 0 },
	{ "59 23 31 12 6", 1ULL << 59, 1 << 23, 1U << 31, 1 << 12, 1 << 6, 0, 0 },
	{ "1-5 * * * *", 0x3e, ALL_HOUR, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	{ "*/15 * * * *", 1 | 1ULL << 15 | 1ULL << 30 | 1ULL << 45, ALL_HOUR,
	  ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	{ "10-40/10 */6 * * *", 1ULL << 10 | 1ULL << 20 | 1ULL << 30 |
	  1ULL << 40, 1 | 1 << 6 | 1 << 12 | 1 << 18, ALL_DOM, ALL_MON,
	  ALL_DOW, 1, 1 },
	/* N/S = N-max/S */
	{ "50/3 20/2 25/3 10/1 * ", 1ULL << 50 | 1ULL << 53 | 1ULL << 56 |
	  1ULL << 59, 1 << 20 | 1 << 22, 1 << 25 | 1 << 28 | 1U << 31,
	  1 << 10 | 1 << 11 | 1 << 12, ALL_DOW, 0, 1 },
	{ "1,3,5-7,*/20 * * * *", 1 | 1 << 1 | 1 << 3 | 1 << 5 | 1 << 6 |
	  1 << 7 | 1ULL << 20 | 1ULL << 40, ALL_HOUR, ALL_DOM, ALL_MON,
	  ALL_DOW, 1, 1 },
	/* names, any case, as values and range ends */
	{ "0 0 * jan-mar MON-fri", 1, 1, ALL_DOM, 0xe, 0x3e, 1, 0 },
	{ "0 0 * Dec,feb sun", 1, 1, ALL_DOM, 1 << 12 | 1 << 2, 1, 1, 0 },
	{ "0 0 * jun-12/2 Sat", 1, 1, ALL_DOM, 1 << 6 | 1 << 8 | 1 << 10 |
	  1 << 12, 1 << 6, 1, 0 },
	/* day-of-week 7 is Sunday; ranges may end at 7 */
	{ "0 0 * * 7", 1, 1, ALL_DOM, ALL_MON, 1, 1, 0 },
	{ "0 0 * * 5-7", 1, 1, ALL_DOM, ALL_MON, 1 | 1 << 5 | 1 << 6, 1, 0 },
	{ "0 0 * * fri-7", 1, 1, ALL_DOM, ALL_MON, 1 | 1 << 5 | 1 << 6, 1, 0 },
	{ "0 0 * * 0-7", 1, 1, ALL_DOM, ALL_MON, ALL_DOW, 1, 0 },
	{ "0 0 * * 7-7", 1, 1, ALL_DOM, ALL_MON, 1, 1, 0 },
	/* day-of-week steps run over 0-7 (cronie) */
	{ "0 0 * * */2", 1, 1, ALL_DOM, ALL_MON, 1 | 1 << 2 | 1 << 4 | 1 << 6,
	  1, 1 },
	{ "0 0 * * 1/2", 1, 1, ALL_DOM, ALL_MON, 1 | 1 << 1 | 1 << 3 | 1 << 5,
	  1, 0 },
	/* "restricted" means "does not start with *", whatever the bits */
	{ "0 0 1-31 * 0-6", 1, 1, ALL_DOM, ALL_MON, ALL_DOW, 0, 0 },
	{ "0 0 */2 * *,1", 1, 1, 0xaaaaaaaaULL, ALL_MON, ALL_DOW, 1, 1 },
	/* blanks */
	{ " \t0\t0  *   * *  \t", 1, 1, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	/* nicknames */
	{ "@yearly", 1, 1, 1 << 1, 1 << 1, ALL_DOW, 0, 1 },
	{ "@annually", 1, 1, 1 << 1, 1 << 1, ALL_DOW, 0, 1 },
	{ "@monthly", 1, 1, 1 << 1, ALL_MON, ALL_DOW, 0, 1 },
	{ "@weekly", 1, 1, ALL_DOM, ALL_MON, 1, 1, 0 },
	{ "@daily", 1, 1, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	{ "@midnight", 1, 1, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
	{ " @HOURLY\t", 1, ALL_HOUR, ALL_DOM, ALL_MON, ALL_DOW, 1, 1 },
};

START_TEST(test_parse_forms)
{
	const struct parse_case	*c = &parse_cases[_i];
	struct cron_expr	 ce = parse_ok(c->text);

	ck_assert_msg(ce.minute == c->minute, "%s: minute %llx", c->text,
	    (unsigned long long)ce.minute);
	ck_assert_msg(ce.hour == c->hour, "%s: hour %x", c->text, ce.hour);
	ck_assert_msg(ce.dom == c->dom, "%s: dom %x", c->text, ce.dom);
	ck_assert_msg(ce.month == c->month, "%s: month %x", c->text,
	    ce.month);
	ck_assert_msg(ce.dow == c->dow, "%s: dow %x", c->text, ce.dow);
	ck_assert_int_eq(ce.dom_star, c->dom_star);
	ck_assert_int_eq(ce.dow_star, c->dow_star);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} parse_errors[] = {
	{ "60 * * * *", "minute: 60 out of range 0-59" },
	{ "* 24 * * *", "hour: 24 out of range 0-23" },
	{ "* * 0 * *", "day-of-month: 0 out of range 1-31" },
	{ "* * 32 * *", "day-of-month: 32 out of range 1-31" },
	{ "* * * 0 *", "month: 0 out of range 1-12" },
	{ "* * * 13 *", "month: 13 out of range 1-12" },
	{ "* * * * 8", "day-of-week: 8 out of range 0-7" },
	{ "* * * * 1-8", "day-of-week: 8 out of range 0-7" },
	{ "99999999999999999999 * * * *",
	  "minute: 99999999999999999999 out of range 0-59" },
	{ "*/99999999999999999999 * * * *",
	  "minute: step 99999999999999999999 out of range 1-60" },
	{ "5-2 * * * *",
	  "minute: range 5-2 goes backwards (wrap-around ranges are not supported)" },
	{ "* * * * sat-sun",
	  "day-of-week: range 6-0 goes backwards (wrap-around ranges are not supported)" },
	{ "* * * dec-jan *",
	  "month: range 12-1 goes backwards (wrap-around ranges are not supported)" },
	{ "*/0 * * * *", "minute: step 0" },
	{ "* 1-5/0 * * *", "hour: step 0" },
	{ "*/61 * * * *", "minute: step 61 out of range 1-60" },
	{ "* * * * */8", "day-of-week: step 8 out of range 1-7" },
	{ "*/ * * * *", "minute: a step is missing after '/'" },
	{ "1,,2 * * * *", "minute: empty item in list" },
	{ ",1 * * * *", "minute: empty item in list" },
	{ "* 1, * * *", "hour: empty item in list" },
	{ "1x * * * *", "minute: unexpected 'x' in '1x'" },
	{ "* 1-5x * * *", "hour: unexpected 'x' in '1-5x'" },
	{ "1-5-7 * * * *", "minute: unexpected '-' in '1-5-7'" },
	{ "1/2/3 * * * *", "minute: unexpected '/' in '1/2/3'" },
	{ "*5 * * * *", "minute: unexpected '5' after '*'" },
	{ "-5 * * * *", "minute: unexpected '-'" },
	{ "1- * * * *", "minute: a number is missing" },
	{ "* * * * *\n", "day-of-week: unexpected byte 0x0a after '*'" },
	{ "jan * * * *", "minute: 'jan' is not a number" },
	{ "* * * foo *", "month: unknown name 'foo' (jan..dec)" },
	{ "* * * * sunday", "day-of-week: unknown name 'sunday' (sun..sat)" },
	{ "* * * * jan", "day-of-week: unknown name 'jan' (sun..sat)" },
	{ "* * * * * *",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got 6" },
	{ "* * * * * /bin/true",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got 6" },
	{ "* * * *",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got 4" },
	{ "",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got 0" },
	{ " \t ",
	  "expected 5 fields (minute hour day-of-month month day-of-week), got 0" },
	{ "@reboot", "@reboot is not a schedule: use --at-start" },
	{ "@weekly x", "unexpected text after @weekly" },
	{ "@often",
	  "unknown nickname '@often' (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)" },
	{ "@", "unknown nickname '@' (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)" },
};

START_TEST(test_parse_errors)
{
	struct cron_expr	ce;
	char			err[256];
	const char		*text = parse_errors[_i].text;

	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(cron_parse(&ce, text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, parse_errors[_i].msg);
}
END_TEST

START_TEST(test_parse_limits)
{
	struct cron_expr	ce;
	char			err[16], big[CRON_MAX_TEXT + 2];
	char			msg[256];

	/* a long list is fine up to CRON_MAX_TEXT */
	memset(big, ' ', sizeof(big));
	memcpy(big, "0 0 * * *", 9);
	big[CRON_MAX_TEXT] = '\0';
	ck_assert_int_eq(cron_parse(&ce, big, NULL, 0), 0);
	big[CRON_MAX_TEXT] = ' ';
	big[CRON_MAX_TEXT + 1] = '\0';
	ck_assert_int_eq(cron_parse(&ce, big, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "cron expression longer than 1024 bytes");
	ck_assert_int_eq(cron_parse(&ce, NULL, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "no cron expression");
	/* a tiny buffer gets a truncated, terminated message */
	ck_assert_int_eq(cron_parse(&ce, "* 24 * * *", err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(err, "hour: 24 out of");
	ck_assert_int_eq(cron_parse(&ce, "* 24 * * *", NULL, 0), -EINVAL);
	/* a byte that is not printable is never quoted raw */
	ck_assert_int_eq(cron_parse(&ce, "1\x01 * * * *", msg, sizeof(msg)),
	    -EINVAL);
	ck_assert_str_eq(msg, "minute: unexpected byte 0x01");
	ck_assert_int_eq(cron_parse(&ce, "@\x02x", msg, sizeof(msg)), -EINVAL);
	ck_assert_ptr_null(strchr(msg, '\x02'));
}
END_TEST

/* ---- formatter ---- */

static const struct {
	const char *text, *canon;
} format_cases[] = {
	{ "* * * * *", "* * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "*/15 9-17 * * mon-fri", "*/15 9-17 * * 1-5" },
	{ "0-59/15 0-23 * jan-dec/2 *", "*/15 * * */2 *" },
	{ "0,1,2,5 0 1-31 * 0-7", "0-2,5 0 1-31 * 0-6" },
	{ "0,30 0 */2 * *", "0,30 0 */2 * *" },
	{ "0 0 *,4 jan-jun sun", "0 0 * 1-6 0" },
	{ "0 0 */10,15 * *", "0 0 */10,15 * *" },
	{ "0 0 * * */3,2", "0 0 * * */3,2" },
	{ "0 0 * * 7,1", "0 0 * * 0-1" },
	{ "0 0 1/7 * *,5", "0 0 1,8,15,22,29 * *" },
};

START_TEST(test_format)
{
	struct cron_expr	ce = parse_ok(format_cases[_i].text), back;
	char			buf[CRON_FORMAT_MAX];
	int			n;

	n = cron_format(&ce, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(format_cases[_i].canon));
	ck_assert_str_eq(buf, format_cases[_i].canon);
	back = parse_ok(buf);
	ck_assert(memcmp(&back, &ce, sizeof(ce)) == 0);
}
END_TEST

START_TEST(test_format_limits)
{
	struct cron_expr	ce = parse_ok("*/15 9-17 * * mon-fri"), z;
	char			buf[8];

	ck_assert_int_eq(cron_format(&ce, buf, sizeof(buf)), -ENOSPC);
	ck_assert_str_eq(buf, "*/15 9-");
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(cron_format(&z, buf, sizeof(buf)), -EINVAL);
	/* the worst case fits CRON_FORMAT_MAX: every other value */
	{
		char big[CRON_FORMAT_MAX];

		ce = parse_ok("1-59/2 1-23/2 2-31/2 2-12/2 1-6/2");
		ck_assert_int_gt(cron_format(&ce, big, sizeof(big)), 0);
		z = parse_ok(big);
		ck_assert(memcmp(&z, &ce, sizeof(ce)) == 0);
	}
}
END_TEST

/* random expressions: parse(format(e)) == e */
START_TEST(test_format_random)
{
	struct cron_expr	ce, back;
	char			buf[CRON_FORMAT_MAX];
	int			i;

	srandom(4242);
	for (i = 0; i < 20000; i++) {
		ce.minute = ((uint64_t)random() << 31 ^ (uint64_t)random()) &
		    (((uint64_t)1 << 60) - 1);
		ce.hour = (uint32_t)random() & 0xffffff;
		ce.dom = (uint32_t)random() << 1;
		ce.month = (uint16_t)(random() & 0x1ffe);
		ce.dow = (uint8_t)(random() & 0x7f);
		ce.dom_star = random() & 1;
		ce.dow_star = random() & 1;
		if (random() % 4 == 0)
			ce.dom = 0xfffffffe;
		if (ce.minute == 0 || ce.hour == 0 || ce.dom == 0 ||
		    ce.month == 0 || ce.dow == 0)
			continue;
		/* a field starting with '*' always holds its lowest value */
		if (ce.dom_star)
			ce.dom |= 2;
		if (ce.dow_star)
			ce.dow |= 1;
		CHECK(cron_format(&ce, buf, sizeof(buf)) > 0, "format");
		CHECK(cron_parse(&back, buf, NULL, 0) == 0, "parse %s", buf);
		CHECK(memcmp(&back, &ce, sizeof(ce)) == 0, "round trip %s", buf);
	}
}
END_TEST

/* ---- next fire in UTC ---- */

START_TEST(test_next_basic)
{
	int64_t	t0 = utc(2026, 1, 1, 0, 0);

	/* strictly after, on a whole minute */
	expect_next("* * * * *", &tz_utc, t0, t0 + 60);
	expect_next("* * * * *", &tz_utc, t0 + 1, t0 + 60);
	expect_next("* * * * *", &tz_utc, t0 - 1, t0);
	expect_next("0 0 * * *", &tz_utc, t0, utc(2026, 1, 2, 0, 0));
	expect_next("0 0 * * *", &tz_utc, t0 - 1, t0);
	/* steps */
	expect_next("*/20 */6 * * *", &tz_utc, utc(2026, 1, 1, 0, 40),
	    utc(2026, 1, 1, 6, 0));
	expect_next("10-40/15 * * * *", &tz_utc, utc(2026, 1, 1, 0, 25),
	    utc(2026, 1, 1, 0, 40));
	expect_next("10-40/15 * * * *", &tz_utc, utc(2026, 1, 1, 0, 40),
	    utc(2026, 1, 1, 1, 10));
	expect_next("59 23 31 12 *", &tz_utc, t0, utc(2026, 12, 31, 23, 59));
	expect_next("@yearly", &tz_utc, utc(2026, 12, 31, 23, 59),
	    utc(2027, 1, 1, 0, 0));
	expect_next("@hourly", &tz_utc, utc(2026, 1, 1, 23, 0),
	    utc(2026, 1, 2, 0, 0));
	/* Monday 2026-01-05 */
	expect_next("@weekly", &tz_utc, t0, utc(2026, 1, 4, 0, 0));
	expect_next("30 9 * * mon-fri", &tz_utc, utc(2026, 1, 2, 9, 30),
	    utc(2026, 1, 5, 9, 30));
	expect_next("0 12 * feb *", &tz_utc, t0, utc(2026, 2, 1, 12, 0));
}
END_TEST

START_TEST(test_next_month_ends)
{
	/* the 31st is skipped in 30-day months and February */
	expect_next("0 0 31 * *", &tz_utc, utc(2026, 4, 1, 0, 0),
	    utc(2026, 5, 31, 0, 0));
	expect_next("0 0 31 * *", &tz_utc, utc(2026, 1, 31, 0, 0),
	    utc(2026, 3, 31, 0, 0));
	expect_next("0 0 31 * *", &tz_utc, utc(2026, 7, 31, 0, 0),
	    utc(2026, 8, 31, 0, 0));
	expect_next("0 0 30 * *", &tz_utc, utc(2026, 1, 30, 0, 0),
	    utc(2026, 3, 30, 0, 0));
	expect_next("0 0 31 4,6,9,11,12 *", &tz_utc, utc(2026, 1, 1, 0, 0),
	    utc(2026, 12, 31, 0, 0));
	expect_next("0 0 1 * *", &tz_utc, utc(2026, 12, 31, 0, 0),
	    utc(2027, 1, 1, 0, 0));
}
END_TEST

START_TEST(test_next_leap)
{
	expect_next("0 0 29 2 *", &tz_utc, utc(2026, 1, 1, 0, 0),
	    utc(2028, 2, 29, 0, 0));
	expect_next("0 0 29 2 *", &tz_utc, utc(2028, 2, 29, 0, 0),
	    utc(2032, 2, 29, 0, 0));
	/* 2100 is not a leap year: 8 years from 2096 to 2104 */
	expect_next("0 0 29 2 *", &tz_utc, utc(2096, 2, 29, 0, 0),
	    utc(2104, 2, 29, 0, 0));
	expect_next("0 12 29 feb *", &tz_utc, utc(2097, 1, 1, 0, 0),
	    utc(2104, 2, 29, 12, 0));
	/* 2000 was one (divisible by 400) */
	expect_next("0 0 29 2 *", &tz_utc, utc(1997, 1, 1, 0, 0),
	    utc(2000, 2, 29, 0, 0));
	expect_next("0 0 28 2 *", &tz_utc, utc(2100, 2, 1, 0, 0),
	    utc(2100, 2, 28, 0, 0));
	expect_next("0 0 1 3 *", &tz_utc, utc(2100, 2, 28, 0, 0),
	    utc(2100, 3, 1, 0, 0));
}
END_TEST

START_TEST(test_next_day_rule)
{
	int64_t	t0 = utc(2026, 1, 1, 0, 0);	/* a Thursday */

	/* both restricted: either matches (Friday 2026-01-02) */
	expect_next("0 0 13 * fri", &tz_utc, t0, utc(2026, 1, 2, 0, 0));
	expect_next("0 0 13 * fri", &tz_utc, utc(2026, 1, 9, 0, 0),
	    utc(2026, 1, 13, 0, 0));
	expect_next("0 0 13 * *", &tz_utc, t0, utc(2026, 1, 13, 0, 0));
	expect_next("0 0 * * fri", &tz_utc, t0, utc(2026, 1, 2, 0, 0));
	/* one starts with '*': both must match (odd days that are Fridays) */
	expect_next("0 0 */2 * fri", &tz_utc, t0, utc(2026, 1, 9, 0, 0));
	expect_next("0 0 13 * */1", &tz_utc, t0, utc(2026, 1, 13, 0, 0));
	/* Friday the 13th with a '*' dow list is still "both" */
	expect_next("0 0 13 * *,5", &tz_utc, t0, utc(2026, 1, 13, 0, 0));
	/* restricted but full: "1-31" and "0-6" are still an OR */
	expect_next("0 0 1-31 * 0-6", &tz_utc, t0, utc(2026, 1, 2, 0, 0));
	expect_next("0 0 1 * mon", &tz_utc, utc(2026, 1, 1, 0, 0),
	    utc(2026, 1, 5, 0, 0));
	/* 31 Feb never exists, but the OR makes Mondays in Feb fire */
	expect_next("0 0 31 2 mon", &tz_utc, t0, utc(2026, 2, 2, 0, 0));
}
END_TEST

START_TEST(test_next_range)
{
	static const char *const never[] = {
		"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *",
		"* * 30,31 feb *", "0 0 30 2 */2",
	};
	struct cron_expr	ce;
	int64_t			t = -1;
	size_t			i;

	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		ce = parse_ok(never[i]);
		seam_calls = 0;
		ck_assert_int_eq(cron_next_tz(&ce, &tz_utc,
		    utc(2026, 1, 1, 0, 0), &t), -ERANGE);
		ck_assert_int_eq(t, -1);
		/* no walk minute by minute: the seam is called once */
		ck_assert_int_le(seam_calls, 1);
	}
	/* "after" outside the supported years */
	ce = parse_ok("* * * * *");
	ck_assert_int_eq(cron_next_tz(&ce, &tz_utc, utc(1850, 1, 1, 0, 0), &t),
	    -ERANGE);
	ck_assert_int_eq(cron_next_tz(&ce, &tz_utc, INT64_MAX, &t), -ERANGE);
	ck_assert_int_eq(cron_next_tz(&ce, &tz_utc, INT64_MIN, &t), -ERANGE);
}
END_TEST

/* Rare schedules finish in a few seam calls (no minute-by-minute walk). */
START_TEST(test_next_cheap)
{
	static const char *const rare[] = {
		"0 0 29 2 1", "0 0 29 2 *", "59 23 31 12 *", "0 0 29 2 */1",
		"0 0 13 * 5", "0 0 */31 * 6",
	};
	int64_t	t;
	size_t	i;
	int	j;

	for (i = 0; i < sizeof(rare) / sizeof(rare[0]); i++) {
		t = utc(2096, 3, 1, 0, 0);
		for (j = 0; j < 20; j++) {
			seam_calls = 0;
			t = next_of(rare[i], &tz_utc, t);
			CHECK(seam_calls <= 12, "%s: %ld seam calls", rare[i],
			    seam_calls);
		}
	}
	/* "0 0 29 2 *" 20 times from 2096: 2104, 2108, ..., 2180 */
	ck_assert_int_eq(next_of("0 0 29 2 *", &tz_utc, utc(2176, 2, 29, 0, 0)),
	    utc(2180, 2, 29, 0, 0));
}
END_TEST

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

START_TEST(test_zone_valid)
{
	static const char *const good[] = {
		"UTC", "America/New_York", "Europe/Berlin",
		"Australia/Lord_Howe", "US/Eastern", "Etc/GMT+5",
		"America/Argentina/Buenos_Aires",
	};
	static const struct {
		const char *zone;
		int rc;
		const char *msg;
	} bad[] = {
		{ "", -EINVAL, "empty time zone name" },
		{ "/etc/localtime", -EINVAL,
		  "time zone '/etc/localtime': must be a name like Europe/Berlin, not a path" },
		{ "../../etc/passwd", -EINVAL,
		  "time zone '../../etc/passwd': '.' and '..' are not allowed" },
		{ "Europe/../Europe/Berlin", -EINVAL,
		  "time zone 'Europe/../Europe/Berlin': '.' and '..' are not allowed" },
		{ "Europe/./Berlin", -EINVAL,
		  "time zone 'Europe/./Berlin': '.' and '..' are not allowed" },
		{ "Europe//Berlin", -EINVAL,
		  "time zone 'Europe//Berlin': empty part" },
		{ "Europe/", -EINVAL, "time zone 'Europe/': empty part" },
		{ "Europe/Ber lin", -EINVAL,
		  "time zone 'Europe/Ber lin': character 0x20 not allowed" },
		{ "Mars/Olympus", -ENOENT,
		  "unknown time zone 'Mars/Olympus' (no /usr/share/zoneinfo/Mars/Olympus: No such file or directory)" },
		{ "Europe", -ENOENT,
		  "unknown time zone 'Europe' (/usr/share/zoneinfo/Europe is not a regular file)" },
		{ "zone1970.tab", -ENOENT,
		  "unknown time zone 'zone1970.tab' (/usr/share/zoneinfo/zone1970.tab is not a valid TZif file)" },
	};
	char	err[256], name[300];
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(cron_zone_valid(good[i], err, sizeof(err)) == 0,
		    "%s: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(cron_zone_valid(bad[i].zone, err, sizeof(err)),
		    bad[i].rc);
		ck_assert_str_eq(err, bad[i].msg);
	}
	ck_assert_int_eq(cron_zone_valid(NULL, err, sizeof(err)), -EINVAL);
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(cron_zone_valid(name, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "time zone name longer than 255 bytes");
	ck_assert_int_eq(cron_zone_valid("Europe/Berlin", NULL, 0), 0);
}
END_TEST

/* ---- the TZif reader against glibc ---- */

/* Compare cron_zone_to_local with glibc's localtime_r (TZ=tzval) at n
 * random instants in [from, to) and at every hour of two years. */
static void
compare_zone(const struct cron_zone *z, const char *tzval, const char *name,
	     int64_t from, int64_t to, int n)
{
	struct tm	a, b;
	int64_t		t;
	time_t		tt;
	int		i;

	set_tz(tzval);
	for (i = 0; i < n + 2 * 366 * 24; i++) {
		if (i < n)
			t = from + (int64_t)(((uint64_t)random() << 31 ^
			    (uint64_t)random()) % (uint64_t)(to - from));
		else
			t = utc(2037, 1, 1, 0, 0) + (int64_t)(i - n) * 3600 + 1799;
		tt = (time_t)t;
		CHECK(localtime_r(&tt, &a) != NULL, "localtime_r");
		CHECK(cron_zone_to_local((void *)z, t, &b) == 0, "to_local");
		CHECK(a.tm_year == b.tm_year && a.tm_mon == b.tm_mon &&
		    a.tm_mday == b.tm_mday && a.tm_hour == b.tm_hour &&
		    a.tm_min == b.tm_min && a.tm_sec == b.tm_sec &&
		    a.tm_isdst == b.tm_isdst && a.tm_gmtoff == b.tm_gmtoff,
		    "%s at %lld: glibc %04d-%02d-%02d %02d:%02d:%02d off %ld "
		    "dst %d, cron_zone %04d-%02d-%02d %02d:%02d:%02d off %ld "
		    "dst %d", name, (long long)t, a.tm_year + 1900,
		    a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min, a.tm_sec,
		    a.tm_gmtoff, a.tm_isdst, b.tm_year + 1900, b.tm_mon + 1,
		    b.tm_mday, b.tm_hour, b.tm_min, b.tm_sec, b.tm_gmtoff,
		    b.tm_isdst);
	}
}

/* Every zone of zone1970.tab (and a few more), 1901-2200. */
START_TEST(test_zone_vs_glibc)
{
	static const char *const extra[] = {
		"UTC", "EST5EDT", "Etc/GMT-14", "Etc/GMT+12",
		"America/Nuuk", "Africa/Casablanca", "Asia/Tehran",
		"Pacific/Chatham", "Europe/Dublin", "America/Santiago",
	};
	struct cron_zone *z;
	FILE		*f;
	char		 line[512], *name, *save, tzval[600];
	int		 nzones = 0;
	size_t		 i;

	srandom(77);
	f = fopen(CRON_ZONEINFO "/zone1970.tab", "r");
	ck_assert_ptr_nonnull(f);
	for (;;) {
		if (nzones < 10000 && fgets(line, sizeof(line), f) != NULL) {
			if (line[0] == '#')
				continue;
			strtok_r(line, "\t\n", &save);
			strtok_r(NULL, "\t\n", &save);
			name = strtok_r(NULL, "\t\n", &save);
			if (name == NULL)
				continue;
		} else {
			i = (size_t)(nzones < 10000 ? 0 : nzones - 10000);
			if (i >= sizeof(extra) / sizeof(extra[0]))
				break;
			name = (char *)extra[i];
			if (nzones < 10000)
				nzones = 10000;
		}
		nzones++;
		ck_assert_msg(cron_zone_open(name, &z, line, sizeof(line)) == 0,
		    "%s: %s", name, line);
		snprintf(tzval, sizeof(tzval), ":%s/%s", CRON_ZONEINFO, name);
		compare_zone(z, tzval, name, utc(1901, 1, 1, 0, 0),
		    utc(2200, 1, 1, 0, 0), 300);
		cron_zone_free(z);
	}
	fclose(f);
	ck_assert_int_gt(nzones, 10000 + 5);
}
END_TEST

/* A TZif file with no transitions and footer `tz`. */
static size_t
synth_tzif(uint8_t *buf, size_t len, const char *tz, int32_t off)
{
	size_t	n = 0, k;
	int	block;

	ck_assert_uint_ge(len, 200 + strlen(tz));
	for (block = 0; block < 2; block++) {
		memset(buf + n, 0, 44);
		memcpy(buf + n, "TZif2", 5);
		buf[n + 39] = 1;	/* typecnt */
		buf[n + 43] = 4;	/* charcnt */
		n += 44;
		for (k = 0; k < 4; k++)
			buf[n++] = (uint8_t)((uint32_t)off >> (24 - 8 * k));
		buf[n++] = 0;
		buf[n++] = 0;
		memcpy(buf + n, "XYZ", 4);
		n += 4;
	}
	buf[n++] = '\n';
	memcpy(buf + n, tz, strlen(tz));
	n += strlen(tz);
	buf[n++] = '\n';
	return n;
}

/* The footer's POSIX TZ strings, against glibc's parser of TZ (names
 * that are no file under /usr/share/zoneinfo, which glibc would read). */
START_TEST(test_zone_footer)
{
	static const struct {
		const char *tz;
		int32_t off;
	} cases[] = {
		{ "QQQ5RRR,M3.2.0,M11.1.0", -5 * 3600 },
		{ "QQQ5RRR4,M3.2.0,M11.1.0", -5 * 3600 },
		{ "QQQ5", -5 * 3600 },
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800 },
		{ "CET-1CEST,M3.5.0,M10.5.0/3", 3600 },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 7200 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -7200 },
		{ "XXX3YYY,J60/2,300/3", -3 * 3600 },
		{ "AAA-5:45BBB-6:45:30,M4.5.6/1:30,M9.1.1/23:59:59", 20700 },
		{ "<+13>-13", 13 * 3600 },
		{ "NZST-12NZDT,M9.5.0,M4.1.0/3", 12 * 3600 },
		{ "GMT0IST,M10.5.0,M3.5.0/1", 0 },
	};
	uint8_t			 buf[512];
	struct cron_zone	*z;
	char			 tzval[200];
	size_t			 i, n;

	srandom(78);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = synth_tzif(buf, sizeof(buf), cases[i].tz, cases[i].off);
		ck_assert_msg(cron_zone_parse(buf, n, &z) == 0, "%s",
		    cases[i].tz);
		snprintf(tzval, sizeof(tzval), "%s", cases[i].tz);
		compare_zone(z, tzval, cases[i].tz, utc(1971, 1, 1, 0, 0),
		    utc(2199, 1, 1, 0, 0), 3000);
		cron_zone_free(z);
	}
}
END_TEST

/* DST all year (RFC 8536's extension): also around new year, where glibc,
 * which takes the year in UTC, has standard time for a few hours. */
START_TEST(test_zone_all_year_dst)
{
	uint8_t			 buf[512];
	struct cron_zone	*z;
	size_t			 n;
	int64_t			 t;
	int32_t			 off;
	int			 dst;

	n = synth_tzif(buf, sizeof(buf), "QQQ5RRR,0/0,J365/25", -5 * 3600);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	for (t = utc(2139, 1, 1, 0, 0); t < utc(2141, 1, 1, 0, 0); t += 1800) {
		cron_zone_offset(z, t, &off, &dst);
		CHECK(off == -4 * 3600 && dst == 1, "at %lld: %d %d",
		    (long long)t, off, dst);
	}
	cron_zone_free(z);
}
END_TEST

/* Damaged files are refused: every prefix, bad footers, bad indices. */
START_TEST(test_zone_damaged)
{
	static const char *const bad_footers[] = {
		"ES5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0",
		"EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
		"EST5EDT,J0,J365", "EST5EDT,366,J365", "EST25",
		"EST5EDT,M3.2.0/168,M11.1.0", "<+1>-1", "<+10", "EST5EDT,M3.2.0,M11.1.0x",
		"EST5:60",
	};
	uint8_t			 buf[4096], *file;
	struct cron_zone	*z;
	size_t			 n, k, i;
	FILE			*f;

	f = fopen(CRON_ZONEINFO "/America/New_York", "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_uint_gt(n, 1000);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	cron_zone_free(z);
	/* every strict prefix (own buffers, so that ASan sees overreads) */
	for (k = 0; k < n; k++) {
		file = malloc(k + 1);
		memcpy(file, buf, k);
		CHECK(cron_zone_parse(file, k, &z) == -EINVAL && z == NULL,
		    "prefix of %zu bytes", k);
		free(file);
	}
	for (i = 0; i < sizeof(bad_footers) / sizeof(bad_footers[0]); i++) {
		n = synth_tzif(buf, sizeof(buf), bad_footers[i], 0);
		ck_assert_msg(cron_zone_parse(buf, n, &z) == -EINVAL, "%s",
		    bad_footers[i]);
		ck_assert_ptr_null(z);
	}
	/* a type index out of range, an offset out of range */
	n = synth_tzif(buf, sizeof(buf), "UTC0", 27 * 3600);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), -EINVAL);
	n = synth_tzif(buf, sizeof(buf), "UTC0", 0);
	buf[44 + 44 + 10 + 4] = 1;	/* the 64-bit block's isdst: 1 ok */
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	cron_zone_free(z);
	buf[44 + 44 + 10 + 4] = 2;
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), -EINVAL);
	/* cron_zone_load: missing, not regular, not TZif */
	ck_assert_int_eq(cron_zone_load("/nonexistent/zone", &z), -ENOENT);
	ck_assert_int_eq(cron_zone_load(CRON_ZONEINFO, &z), -EISDIR);
	ck_assert_int_eq(cron_zone_load(CRON_ZONEINFO "/zone1970.tab", &z),
	    -EBADMSG);
	ck_assert_ptr_null(z);
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

int
main(void)
{
	Suite	*s = suite_create("cron");
	TCase	*tc;
	SRunner	*sr;
	int	 nf;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_forms, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_loop_test(tc, test_parse_errors, 0,
	    (int)(sizeof(parse_errors) / sizeof(parse_errors[0])));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_loop_test(tc, test_format, 0,
	    (int)(sizeof(format_cases) / sizeof(format_cases[0])));
	tcase_add_test(tc, test_format_limits);
	tcase_add_test(tc, test_format_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("next");
	tcase_add_test(tc, test_next_basic);
	tcase_add_test(tc, test_next_month_ends);
	tcase_add_test(tc, test_next_leap);
	tcase_add_test(tc, test_next_day_rule);
	tcase_add_test(tc, test_next_range);
	tcase_add_test(tc, test_next_cheap);
	suite_add_tcase(s, tc);

	tc = tcase_create("dst");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_dst_new_york, 0, 2);
	tcase_add_test(tc, test_dst_once_a_day);
	tcase_add_test(tc, test_dst_berlin);
	tcase_add_test(tc, test_dst_lord_howe);
	tcase_add_test(tc, test_next_zone);
	tcase_add_test(tc, test_zone_valid);
	tcase_add_test(tc, test_zone_vs_glibc);
	tcase_add_test(tc, test_zone_footer);
	tcase_add_test(tc, test_zone_all_year_dst);
	tcase_add_test(tc, test_zone_damaged);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_model_sane);
	tcase_add_test(tc, test_random_utc);
	tcase_add_test(tc, test_random_new_york);
	tcase_add_test(tc, test_random_lord_howe);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
