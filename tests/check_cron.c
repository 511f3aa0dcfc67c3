/*
 * check_cron.c - unit tests of daemon/cron.c, daemon/cron_tz.c and
 * daemon/cron_zone.c: here the parser (every field form, names, nicknames,
 * day-of-week 7, every error with its message), the canonical formatter
 * (round trips) and next fire in UTC (month ends, leap years, the
 * day-of-month/day-of-week rule, steps, -ERANGE, cost); the DST rules in
 * real zones and the randomized comparison with a brute-force model in
 * check_cron_dst.c; zone names and the TZif reader in check_cron_zone.c.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_cron.h"

/* ---- helpers ---- */

/* y-m-d h:mi UTC as seconds since the epoch. */
int64_t
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

char *
fmt_utc(int64_t t, char *buf, size_t n)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

long seam_calls;

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

const struct cron_tz tz_utc = { utc_to_local, utc_from_local, NULL };

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

const struct cron_tz tz_sys = { sys_to_local, sys_from_local, NULL };
/* the same without from_local: the algorithm must not need it */
const struct cron_tz tz_sys_nofrom = { sys_to_local, NULL, NULL };

void
set_tz(const char *zone)
{
	ck_assert_int_eq(setenv("TZ", zone, 1), 0);
	tzset();
}

/* Field by field: memcmp would compare the padding and the unused bits
 * beside the bit-fields, which a struct filled field by field leaves as
 * they were (a sanitizer build's stack shows it). */
static int
expr_eq(const struct cron_expr *a, const struct cron_expr *b)
{
	return (a->minute == b->minute && a->hour == b->hour &&
	    a->dom == b->dom && a->month == b->month && a->dow == b->dow &&
	    a->dom_star == b->dom_star && a->dow_star == b->dow_star);
}

struct cron_expr
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
int64_t
next_of(const char *text, const struct cron_tz *tz, int64_t after)
{
	struct cron_expr	ce = parse_ok(text);
	int64_t			t = 0;
	int			rc;

	rc = cron_next_tz(&ce, tz, after, &t);
	ck_assert_msg(rc == 0, "cron_next_tz(\"%s\"): %d", text, rc);
	return t;
}

void
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
	ck_assert(expr_eq(&back, &ce));
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
		ck_assert(expr_eq(&z, &ce));
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
		CHECK(expr_eq(&back, &ce), "round trip %s", buf);
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

	suite_add_tcase(s, check_cron_dst());
	suite_add_tcase(s, check_cron_zone());
	suite_add_tcase(s, check_cron_random());

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
