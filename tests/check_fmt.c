/*
 * check_fmt.c - unit tests (Check) for the pure helpers of the jobq client
 * in client/fmt.c: time/id/count/reference/--after/--array/
 * --label parsing (including bad input), duration and time formatting,
 * shell quoting, signal names, exit-status mapping and table alignment.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

START_TEST(test_ids_counts)
{
	int64_t id = 0;
	long n = 0;

	ck_assert_int_eq(fmt_parse_id("1", &id), 0);
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(fmt_parse_id("9223372036854775807", &id), 0);
	ck_assert(id == INT64_MAX);
	ck_assert_int_eq(fmt_parse_id("9223372036854775808", &id), -1);
	ck_assert_int_eq(fmt_parse_id("0", &id), -1);
	ck_assert_int_eq(fmt_parse_id("", &id), -1);
	ck_assert_int_eq(fmt_parse_id("-3", &id), -1);
	ck_assert_int_eq(fmt_parse_id("+3", &id), -1);
	ck_assert_int_eq(fmt_parse_id("3x", &id), -1);
	ck_assert_int_eq(fmt_parse_id(" 3", &id), -1);
	ck_assert_int_eq(fmt_parse_id("1.0", &id), -1);

	ck_assert_int_eq(fmt_parse_count("0", 1000, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(fmt_parse_count("1000", 1000, &n), 0);
	ck_assert_int_eq(n, 1000);
	ck_assert_int_eq(fmt_parse_count("1001", 1000, &n), -1);
	ck_assert_int_eq(fmt_parse_count("many", 1000, &n), -1);
	ck_assert_int_eq(fmt_parse_count("-1", 1000, &n), -1);
	ck_assert_int_eq(fmt_parse_count("", 1000, &n), -1);
	ck_assert_int_eq(fmt_parse_count("99999999999999999999999", 1000, &n),
	    -1);
}
END_TEST

/* Sizes in the largest unit that divides them; limits in order, "-" for
 * none. */
START_TEST(test_limits_format)
{
	char buf[FMT_LIMITS_LEN];
	jobq_limits l;

	ck_assert_str_eq(fmt_size(0, buf, sizeof(buf)), "0");
	ck_assert_str_eq(fmt_size(1000, buf, sizeof(buf)), "1000");
	ck_assert_str_eq(fmt_size(1024, buf, sizeof(buf)), "1K");
	ck_assert_str_eq(fmt_size(1536 * 1024, buf, sizeof(buf)), "1536K");
	ck_assert_str_eq(fmt_size((int64_t)1 << 30, buf, sizeof(buf)), "1G");
	ck_assert_str_eq(fmt_size((int64_t)1 << 53, buf, sizeof(buf)),
	    "8192T");
	memset(&l, 0, sizeof(l));
	ck_assert_str_eq(fmt_limits(&l, buf, sizeof(buf)), "-");
	l.set = JOBQ_LIMIT_ALL;
	l.mem = (int64_t)512 << 20;
	l.cpu_time = 90;
	l.nofile = 64;
	l.nproc = 100;
	l.core = 0;
	l.nice = -5;
	l.cpus = 1500;
	ck_assert_str_eq(fmt_limits(&l, buf, sizeof(buf)), "mem 512M, "
	    "cpu-time 1m30s, nofile 64, nproc 100, core 0, nice -5, cpus 1.5");
	ck_assert_str_eq(fmt_cpus(2000, buf, sizeof(buf)), "2");
	ck_assert_str_eq(fmt_cpus(250, buf, sizeof(buf)), "0.25");
	ck_assert_str_eq(fmt_cpus(1, buf, sizeof(buf)), "0.001");
	ck_assert_str_eq(fmt_cpus(1010, buf, sizeof(buf)), "1.01");
	ck_assert_str_eq(fmt_cpus(8192000, buf, sizeof(buf)), "8192");
	l.set = JOBQ_LIMIT_NICE;
	ck_assert_str_eq(fmt_limits(&l, buf, sizeof(buf)), "nice -5");
	/* truncated, never overrun */
	l.set = JOBQ_LIMIT_ALL;
	ck_assert_str_eq(fmt_limits(&l, buf, 12), "mem 512M, c");
}
END_TEST

START_TEST(test_duration_format)
{
	char b[64];

	ck_assert_str_eq(fmt_duration(0, b, sizeof(b)), "0ms");
	ck_assert_str_eq(fmt_duration(-5, b, sizeof(b)), "0ms");
	ck_assert_str_eq(fmt_duration(450, b, sizeof(b)), "450ms");
	ck_assert_str_eq(fmt_duration(1000, b, sizeof(b)), "1s");
	ck_assert_str_eq(fmt_duration(1500, b, sizeof(b)), "1.5s");
	ck_assert_str_eq(fmt_duration(1234, b, sizeof(b)), "1.234s");
	ck_assert_str_eq(fmt_duration(1050, b, sizeof(b)), "1.05s");
	ck_assert_str_eq(fmt_duration(59999, b, sizeof(b)), "59.999s");
	ck_assert_str_eq(fmt_duration(60000, b, sizeof(b)), "1m0s");
	ck_assert_str_eq(fmt_duration(192345, b, sizeof(b)), "3m12s");
	ck_assert_str_eq(fmt_duration(7205000, b, sizeof(b)), "2h0m5s");
	ck_assert_str_eq(fmt_duration(273600000 + 1000, b, sizeof(b)),
	    "3d4h0m1s");
	/* Truncated, never overflowing. */
	ck_assert_str_eq(fmt_duration(192345, b, 3), "3m");
}
END_TEST

START_TEST(test_time_format)
{
	char b[FMT_TIME_LEN];

	ck_assert_int_eq(setenv("TZ", "UTC", 1), 0);
	tzset();
	ck_assert_str_eq(fmt_time(0, 0, b, sizeof(b)), "-");
	ck_assert_str_eq(fmt_time(0, 1, b, sizeof(b)), "-");
	ck_assert_str_eq(fmt_time(1700000000123LL, 0, b, sizeof(b)),
	    "2023-11-14 22:13:20");
	ck_assert_str_eq(fmt_time(1700000000123LL, 1, b, sizeof(b)),
	    "2023-11-14 22:13:20.123");
	ck_assert_str_eq(fmt_time(1700000000005LL, 1, b, sizeof(b)),
	    "2023-11-14 22:13:20.005");
}
END_TEST

/* 2026-11-28T09:00:00Z and friends, in ms since the epoch. */
#define T_0900Z   1795856400000LL
#define T_0800Z   1795852800000LL
#define T_0600Z   1795845600000LL
#define T_1300Z   1795870800000LL
#define T_1400Z   1795874400000LL
#define T_1430Z   1795876200000LL

static void
set_tz(const char *tz)
{
	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

static int64_t
ptime(const char *s, int64_t now)
{
	int64_t ms = -777;

	ck_assert_msg(fmt_parse_time(s, now, &ms) == 0, "'%s' rejected", s);
	return ms;
}

/* Forms with an explicit zone do not depend on TZ. */
static void
check_zoned_times(void)
{
	ck_assert(ptime("2026-11-28T09:00:00Z", 0) == T_0900Z);
	ck_assert(ptime("2026-11-28T09:00Z", 0) == T_0900Z);
	ck_assert(ptime("2026-11-28 09:00Z", 0) == T_0900Z);
	ck_assert(ptime("2026-11-28T09:00:05Z", 0) == T_0900Z + 5000);
	ck_assert(ptime("2026-11-28T09:00:00+01:00", 0) == T_0800Z);
	ck_assert(ptime("2026-11-28T09:00+0300", 0) == T_0600Z);
	ck_assert(ptime("2026-11-28T09:00-05:30", 0) == T_1430Z);
	ck_assert(ptime("2026-11-28T09:00+00:00", 0) == T_0900Z);
	ck_assert(ptime("2024-02-29T00:00:00Z", 0) == 1709164800000LL);
	ck_assert(ptime("1970-01-01T00:00Z", 0) == 0);
	ck_assert(ptime("1970-01-01T00:00+01:00", 0) == -3600000);
	ck_assert(ptime("2000-03-01T00:00Z", 0) == 951868800000LL);
}

START_TEST(test_time_parse_utc)
{
	set_tz("UTC");
	check_zoned_times();
	/* Local time is UTC here. */
	ck_assert(ptime("2026-11-28T09:00", 0) == T_0900Z);
	ck_assert(ptime("2026-11-28 09:00:00", 0) == T_0900Z);
	/* HH:MM[:SS]: next such time after now (13:00Z). */
	ck_assert(ptime("14:00", T_1300Z) == T_1400Z);
	ck_assert(ptime("14:30:00", T_1300Z) == T_1430Z);
	ck_assert(ptime("13:00:01", T_1300Z) == T_1300Z + 1000);
	ck_assert(ptime("13:00", T_1300Z) == T_1300Z + 86400000);   /* not ahead */
	ck_assert(ptime("09:00", T_1300Z) == T_0900Z + 86400000);
	ck_assert(ptime("13:00", T_1300Z - 1) == T_1300Z);
	ck_assert(ptime("00:00", T_1300Z) == T_0900Z + 15 * 3600000LL);
	/* Tomorrow across a month and a year end. */
	ck_assert(ptime("08:00", 1798761600000LL + 9 * 3600000LL) ==
	    1798761600000LL + 86400000 + 8 * 3600000LL);   /* 2026-12-31 */
}
END_TEST

START_TEST(test_time_parse_zone)
{
	int64_t now;

	/* US Eastern by POSIX rule (no tzdata needed): EST = UTC-5 in
	 * November, EDT = UTC-4 in July; DST starts 2026-03-08 02:00. */
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	check_zoned_times();
	ck_assert(ptime("2026-11-28T09:00", 0) == T_1400Z);
	ck_assert(ptime("2026-11-28 09:00:00", 0) == T_1400Z);
	ck_assert(ptime("2026-07-01T09:00", 0) == 1782910800000LL); /* 13:00Z */
	/* Now is 2026-11-28 08:00 EST (13:00Z). */
	ck_assert(ptime("09:00", T_1300Z) == T_1400Z);
	ck_assert(ptime("08:00:01", T_1300Z) == T_1300Z + 1000);
	ck_assert(ptime("08:00", T_1300Z) == T_1300Z + 86400000);
	ck_assert(ptime("07:00", T_1300Z) == 1795953600000LL);   /* 29th 12:00Z */
	/* Late evening local is already the next UTC day: 23:30 EST on the
	 * 28th is 04:30Z on the 29th, and "23:45" is still today (local). */
	now = T_0900Z + 86400000 - 9 * 3600000LL + 4 * 3600000LL + 1800000;
	ck_assert(ptime("23:45", now) == now + 15 * 60000);
	/* Tomorrow across the DST switch: now 2026-03-07 07:00 EST (12:00Z);
	 * 07:00 on the 8th is EDT, 11:00Z: 23 hours later, not 24. */
	ck_assert(ptime("07:00", 1772884800000LL) == 1772967600000LL);
	/* Another zone east of UTC, fixed offset: UTC+3. */
	set_tz("<+03>-3");
	ck_assert(ptime("2026-11-28T09:00", 0) == T_0600Z);
	ck_assert(ptime("10:00", T_0600Z) == T_0600Z + 3600000);
	ck_assert(ptime("08:00", T_0600Z) == T_0600Z + 23 * 3600000LL);
	check_zoned_times();
	set_tz("UTC");
}
END_TEST

START_TEST(test_time_parse_bad)
{
	static const char *const bad[] = {
		"", "9:00", "09:0", "0900", "25:00", "24:00", "12:60", "12:00:60",
		"12:00:", "12:00:5", "12:00:00.5", "09:00Z", "09:00+01:00",
		" 09:00", "09:00 ", "2026-11-28", "2026-11-28T", "2026-11-28T9:00",
		"2026-11-28X09:00", "2026-11-28t09:00", "2026-11-28T09:00Zjunk",
		"2026-11-28T09:00+1", "2026-11-28T09:00+01", "2026-11-28T09:00+01:0",
		"2026-11-28T09:00+24:00", "2026-11-28T09:00+01:60",
		"2026-11-28T09:00z", "2026-02-30T10:00", "2023-02-29T00:00Z",
		"2100-02-29T00:00Z", "2026-13-01T00:00", "2026-00-10T00:00",
		"2026-11-00T00:00", "2026-11-31T00:00", "1969-12-31T23:59Z",
		"0000-01-01T00:00Z", "26-11-28T09:00", "2026/11/28 09:00",
		"2026-1-28T09:00", "+2026-11-28T09:00", "tomorrow", "now",
		"2026-11-28T09:00:00:00", "-09:00",
	};
	size_t i;

	set_tz("UTC");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 12345;

		ck_assert_msg(fmt_parse_time(bad[i], T_1300Z, &ms) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(ms == 12345, "'%s' changed the output", bad[i]);
	}
	ck_assert_int_eq(fmt_parse_time(NULL, 0, NULL), -1);
}
END_TEST

START_TEST(test_parse_int)
{
	int64_t v = 0;

	ck_assert_int_eq(fmt_parse_int("0", -10, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(fmt_parse_int("-10", -10, 10, &v), 0);
	ck_assert_int_eq(v, -10);
	ck_assert_int_eq(fmt_parse_int("+10", -10, 10, &v), 0);
	ck_assert_int_eq(v, 10);
	ck_assert_int_eq(fmt_parse_int("-1000000", -1000000, 1000000, &v), 0);
	ck_assert_int_eq(v, -1000000);
	ck_assert_int_eq(fmt_parse_int("-9223372036854775808", INT64_MIN,
	    INT64_MAX, &v), 0);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(fmt_parse_int("9223372036854775807", INT64_MIN,
	    INT64_MAX, &v), 0);
	ck_assert(v == INT64_MAX);
	v = 5;
	ck_assert_int_eq(fmt_parse_int("9223372036854775808", INT64_MIN,
	    INT64_MAX, &v), -1);
	ck_assert_int_eq(fmt_parse_int("-9223372036854775809", INT64_MIN,
	    INT64_MAX, &v), -1);
	ck_assert_int_eq(fmt_parse_int("11", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("-11", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("-", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("+", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("--1", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("1x", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int(" 1", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("1.0", -10, 10, &v), -1);
	ck_assert_int_eq(fmt_parse_int("5", 6, 10, &v), -1);
	ck_assert_int_eq(v, 5);
}
END_TEST

START_TEST(test_parse_ref)
{
	static const char *const bad[] = {
		"", "0", "-1", "+1", "1.", ".1", "1..2", "1.2.3", "1.-1", "1.+2",
		"a", "1.a", "1 ", " 1", "0.1", "1,2", "9223372036854775808",
		"1.9223372036854775808", "1.2x",
	};
	struct fmt_ref r;
	char b[FMT_REF_LEN];
	size_t i;

	ck_assert_int_eq(fmt_parse_ref("17", &r), 0);
	ck_assert(r.id == 17 && !r.has_index);
	ck_assert_str_eq(fmt_ref(&r, b, sizeof(b)), "17");
	ck_assert_int_eq(fmt_parse_ref("7.3", &r), 0);
	ck_assert(r.id == 7 && r.has_index && r.index == 3);
	ck_assert_str_eq(fmt_ref(&r, b, sizeof(b)), "7.3");
	ck_assert_int_eq(fmt_parse_ref("7.0", &r), 0);
	ck_assert(r.id == 7 && r.has_index && r.index == 0);
	ck_assert_int_eq(fmt_parse_ref("9223372036854775807.9223372036854775807",
	    &r), 0);
	ck_assert(r.id == INT64_MAX && r.index == INT64_MAX);
	ck_assert_str_eq(fmt_ref(&r, b, sizeof(b)),
	    "9223372036854775807.9223372036854775807");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.id = 99;
		ck_assert_msg(fmt_parse_ref(bad[i], &r) == -1, "'%s' accepted",
		    bad[i]);
		ck_assert_msg(r.id == 99, "'%s' changed the output", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_after)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "ok:", "ok:,1", "bad:1", "OK:1",
		"ok:notok:1", "1,notok:2", "ok:1.", "ok 1", "0", "x", ":1",
		"ok;1", "afterok:1",
	};
	struct fmt_after a[4];
	size_t n = 0, i;

	ck_assert_int_eq(fmt_parse_after("5", a, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(a[0].ref.id == 5 && !a[0].ref.has_index &&
	    a[0].mode == JOBQ_DEP_OK);
	ck_assert_int_eq(fmt_parse_after("notok:6,7.2", a, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(a[1].ref.id == 6 && a[1].mode == JOBQ_DEP_NOTOK);
	ck_assert(a[2].ref.id == 7 && a[2].ref.has_index &&
	    a[2].ref.index == 2 && a[2].mode == JOBQ_DEP_NOTOK);
	/* Too many for the room left: nothing is added. */
	ck_assert_int_eq(fmt_parse_after("any:8,9", a, 4, &n), -2);
	ck_assert_uint_eq(n, 3);
	/* Malformed beats too many. */
	ck_assert_int_eq(fmt_parse_after("any:8,x", a, 4, &n), -1);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(fmt_parse_after("any:8", a, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(a[3].ref.id == 8 && a[3].mode == JOBQ_DEP_ANY);
	ck_assert_int_eq(fmt_parse_after("ok:1", a, 4, &n), -2);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 0;
		ck_assert_msg(fmt_parse_after(bad[i], a, 4, &n) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(n == 0, "'%s' changed the count", bad[i]);
	}
	n = 0;
	ck_assert_int_eq(fmt_parse_after("ok:1,2,3", a, 4, &n), 0);
	ck_assert(n == 3 && a[0].mode == JOBQ_DEP_OK && a[2].ref.id == 3);
	ck_assert_str_eq(fmt_dep_mode(JOBQ_DEP_OK), "ok");
	ck_assert_str_eq(fmt_dep_mode(JOBQ_DEP_NOTOK), "notok");
	ck_assert_str_eq(fmt_dep_mode(JOBQ_DEP_ANY), "any");
	ck_assert_str_eq(fmt_dep_mode((jobq_dep_mode)7), "?");
}
END_TEST

static void
check_array(const char *s, int64_t first, int64_t step, int64_t count,
    int throttle)
{
	struct fmt_array a;

	memset(&a, 0xff, sizeof(a));
	ck_assert_msg(fmt_parse_array(s, &a) == 0, "'%s' rejected", s);
	ck_assert_msg(a.first == first && a.step == step && a.count == count &&
	    a.throttle == throttle, "'%s' -> %lld %lld %lld %d", s,
	    (long long)a.first, (long long)a.step, (long long)a.count,
	    a.throttle);
}

START_TEST(test_parse_array)
{
	static const char *const bad[] = {
		"", "-", "1-", "-5", "5-1", "1-10:0", "1-10:", "1-10%", "1-10%-1",
		"1-10:-2", "-1-5", "1-5-7", "a-b", "1-10:2:3", "1-10%2%3",
		"1-10%2:3", "1 -10", "1-10 ", "5%2", "5:2", "0-100000",
		"0-99999999999999999999", "0-9223372036854775807",
		"1-10%2147483648", "1.5-3", "1-1e3", "+1-5", "1-+5",
		"0-200000:2",
	};
	struct fmt_array a;
	size_t i;

	check_array("1-10", 1, 1, 10, 0);
	check_array("0-9:2", 0, 2, 5, 0);
	check_array("1-10:4", 1, 4, 3, 0);      /* 1, 5, 9 */
	check_array("1-10%2", 1, 1, 10, 2);
	check_array("0-100:10%3", 0, 10, 11, 3);
	check_array("5", 5, 1, 1, 0);
	check_array("0", 0, 1, 1, 0);
	check_array("7-7", 7, 1, 1, 0);
	check_array("1-10%0", 1, 1, 10, 0);
	check_array("0-99999", 0, 1, 100000, 0);
	check_array("0-199999:2", 0, 2, 100000, 0);
	check_array("1-1000000:1000000", 1, 1000000, 1, 0);
	check_array("9223372036854775806-9223372036854775807", INT64_MAX - 1,
	    1, 2, 0);
	check_array("0-9223372036854775807:9223372036854775807", 0, INT64_MAX,
	    2, 0);
	check_array("1-2%2147483647", 1, 1, 2, 2147483647);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.first = 42;
		ck_assert_msg(fmt_parse_array(bad[i], &a) == -1, "'%s' accepted",
		    bad[i]);
		ck_assert_msg(a.first == 42, "'%s' changed the output", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_label)
{
	char big[JOBQ_MAX_LABEL + 2];

	ck_assert_int_eq(fmt_parse_label("k=v"), 0);
	ck_assert_int_eq(fmt_parse_label("k="), 0);
	ck_assert_int_eq(fmt_parse_label("k=a=b"), 0);
	ck_assert_int_eq(fmt_parse_label("team=infra"), 0);
	ck_assert_int_eq(fmt_parse_label("=v"), -1);
	ck_assert_int_eq(fmt_parse_label("="), -1);
	ck_assert_int_eq(fmt_parse_label("kv"), -1);
	ck_assert_int_eq(fmt_parse_label(""), -1);
	ck_assert_int_eq(fmt_parse_label(NULL), -1);
	memset(big, 'a', sizeof(big));
	big[1] = '=';
	big[JOBQ_MAX_LABEL] = '\0';
	ck_assert_int_eq(fmt_parse_label(big), 0);
	big[JOBQ_MAX_LABEL] = 'a';
	big[JOBQ_MAX_LABEL + 1] = '\0';
	ck_assert_int_eq(fmt_parse_label(big), -1);
}
END_TEST

START_TEST(test_clock_relative)
{
	char b[64];

	set_tz("UTC");
	ck_assert_str_eq(fmt_clock(T_0900Z + 5123, 1, b, sizeof(b)),
	    "09:00:05.123");
	ck_assert_str_eq(fmt_clock(T_0900Z + 5123, 0, b, sizeof(b)), "09:00:05");
	ck_assert_str_eq(fmt_clock(0, 1, b, sizeof(b)), "-");
	ck_assert_str_eq(fmt_when(T_1400Z, T_0900Z, b, sizeof(b)), "14:00:00");
	ck_assert_str_eq(fmt_when(T_0900Z + 86400000, T_0900Z, b, sizeof(b)),
	    "2026-11-29 09:00:00");
	ck_assert_str_eq(fmt_when(T_0900Z - 10 * 3600000LL, T_0900Z, b,
	    sizeof(b)), "2026-11-27 23:00:00");
	ck_assert_str_eq(fmt_when(T_0900Z + 16 * 3600000LL, T_0900Z +
	    14 * 3600000LL, b, sizeof(b)), "2026-11-29 01:00:00");
	/* The same instants in UTC-5 fall on one local day. */
	set_tz("EST5EDT,M3.2.0,M11.1.0");
	ck_assert_str_eq(fmt_clock(T_1400Z, 0, b, sizeof(b)), "09:00:00");
	ck_assert_str_eq(fmt_when(T_0900Z + 16 * 3600000LL, T_0900Z +
	    14 * 3600000LL, b, sizeof(b)), "20:00:00");
	ck_assert_str_eq(fmt_when(T_0900Z + 86400000, T_0900Z, b, sizeof(b)),
	    "2026-11-29 04:00:00");
	set_tz("UTC");

	ck_assert_str_eq(fmt_relative(T_0900Z + 299000, T_0900Z, b, sizeof(b)),
	    "in 4m59s");
	ck_assert_str_eq(fmt_relative(T_0900Z + 299999, T_0900Z, b, sizeof(b)),
	    "in 4m59s");
	ck_assert_str_eq(fmt_relative(T_0900Z - 12500, T_0900Z, b, sizeof(b)),
	    "12s ago");
	ck_assert_str_eq(fmt_relative(T_0900Z + 450, T_0900Z, b, sizeof(b)),
	    "in 450ms");
	ck_assert_str_eq(fmt_relative(T_0900Z, T_0900Z, b, sizeof(b)), "now");
	ck_assert_str_eq(fmt_relative(T_0900Z + 86400000 + 3600000, T_0900Z, b,
	    sizeof(b)), "in 1d1h0m0s");
	/* No overflow at the extremes. */
	fmt_relative(INT64_MAX, INT64_MIN, b, sizeof(b));
	ck_assert(strncmp(b, "in ", 3) == 0);
	fmt_relative(INT64_MIN, INT64_MAX, b, sizeof(b));
	ck_assert(strstr(b, " ago") != NULL);
}
END_TEST

START_TEST(test_signal_names)
{
	char b[FMT_SIG_LEN];

	ck_assert_str_eq(fmt_signal_name(SIGKILL, b, sizeof(b)), "SIGKILL");
	ck_assert_str_eq(fmt_signal_name(SIGTERM, b, sizeof(b)), "SIGTERM");
	ck_assert_str_eq(fmt_signal_name(SIGSEGV, b, sizeof(b)), "SIGSEGV");
	ck_assert_str_eq(fmt_signal_name(SIGHUP, b, sizeof(b)), "SIGHUP");
	ck_assert_str_eq(fmt_signal_name(SIGINT, b, sizeof(b)), "SIGINT");
	ck_assert_str_eq(fmt_signal_name(SIGPIPE, b, sizeof(b)), "SIGPIPE");
	ck_assert_str_eq(fmt_signal_name(SIGABRT, b, sizeof(b)), "SIGABRT");
	ck_assert_str_eq(fmt_signal_name(SIGUSR1, b, sizeof(b)), "SIGUSR1");
	ck_assert_str_eq(fmt_signal_name(SIGRTMIN, b, sizeof(b)), "SIGRTMIN");
	ck_assert_str_eq(fmt_signal_name(SIGRTMIN + 3, b, sizeof(b)),
	    "SIGRTMIN+3");
	ck_assert_str_eq(fmt_signal_name(200, b, sizeof(b)), "SIG200");
	ck_assert_str_eq(fmt_signal_name(0, b, sizeof(b)), "SIG0");
}
END_TEST

static void
check_quote(const char *in, const char *want)
{
	char *q = fmt_shell_quote(in);

	ck_assert_ptr_nonnull(q);
	ck_assert_msg(strcmp(q, want) == 0, "quote(%s) = [%s], want [%s]", in,
	    q, want);
	free(q);
}

START_TEST(test_shell_quote)
{
	check_quote("plain", "plain");
	check_quote("/usr/bin/env", "/usr/bin/env");
	check_quote("a=b,c:d@e%f+g-h_i.j", "a=b,c:d@e%f+g-h_i.j");
	check_quote("", "''");
	check_quote("two words", "'two words'");
	check_quote("it's", "'it'\\''s'");
	check_quote("'", "''\\'''");
	check_quote("$HOME", "'$HOME'");
	check_quote("a*b", "'a*b'");
	check_quote("~user", "'~user'");
	check_quote("#x", "'#x'");
	check_quote("say \"hi\"", "'say \"hi\"'");
	check_quote("back\\slash", "'back\\slash'");
	check_quote("héllo", "'héllo'");
	check_quote("a\nb", "$'a\\nb'");
	check_quote("t\tx'y\\", "$'t\\tx\\'y\\\\'");
	check_quote("\x01\x7f", "$'\\x01\\x7f'");
}
END_TEST

START_TEST(test_join_argv)
{
	char *argv[] = { "sh", "-c", "echo 'hi'; exit 3", "", NULL };
	char *s;

	s = fmt_join_argv(argv, 4);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "sh -c 'echo '\\''hi'\\''; exit 3' ''");
	free(s);
	s = fmt_join_argv(argv, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

static jobq_job
mkjob(jobq_state st, int code, int sig)
{
	jobq_job j;

	memset(&j, 0, sizeof(j));
	j.state = st;
	j.exit_code = code;
	j.signal = sig;
	return j;
}

START_TEST(test_exit_status)
{
	jobq_job j;

	j = mkjob(JOBQ_STATE_SUCCEEDED, 0, 0);
	ck_assert_int_eq(fmt_job_status(&j), 0);
	j = mkjob(JOBQ_STATE_FAILED, 3, 0);
	ck_assert_int_eq(fmt_job_status(&j), 3);
	j = mkjob(JOBQ_STATE_FAILED, 255, 0);
	ck_assert_int_eq(fmt_job_status(&j), 255);
	j = mkjob(JOBQ_STATE_FAILED, -1, SIGKILL);
	ck_assert_int_eq(fmt_job_status(&j), 137);
	j = mkjob(JOBQ_STATE_FAILED, -1, SIGTERM);
	ck_assert_int_eq(fmt_job_status(&j), 143);
	j = mkjob(JOBQ_STATE_FAILED, -1, 0);           /* spawn_failed */
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_FAILED, 0, 0);      /* output_limit, exited 0 */
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_CANCELED, -1, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_CANCELED, -1, SIGTERM);   /* killed by cancel */
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_INTERRUPTED, -1, SIGKILL);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_INTERRUPTED, -1, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_RUNNING, -1, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_QUEUED, -1, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	/* timed_out maps like failed; a timed-out exit 0 is not success. */
	j = mkjob(JOBQ_STATE_TIMED_OUT, -1, SIGTERM);
	ck_assert_int_eq(fmt_job_status(&j), 143);
	j = mkjob(JOBQ_STATE_TIMED_OUT, -1, SIGKILL);
	ck_assert_int_eq(fmt_job_status(&j), 137);
	j = mkjob(JOBQ_STATE_TIMED_OUT, 7, 0);
	ck_assert_int_eq(fmt_job_status(&j), 7);
	j = mkjob(JOBQ_STATE_TIMED_OUT, 0, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);
	j = mkjob(JOBQ_STATE_TIMED_OUT, -1, 0);
	ck_assert_int_eq(fmt_job_status(&j), 125);

	ck_assert_int_eq(fmt_err_status(0), 0);
	ck_assert_int_eq(fmt_err_status(JOBQ_ECONNECT), 3);
	ck_assert_int_eq(fmt_err_status(JOBQ_ENOTFOUND), 4);
	ck_assert_int_eq(fmt_err_status(JOBQ_ETIMEDOUT), 124);
	ck_assert_int_eq(fmt_err_status(JOBQ_EIO), 1);
	ck_assert_int_eq(fmt_err_status(JOBQ_ESTATE), 1);
	ck_assert_int_eq(fmt_err_status(JOBQ_EINTERNAL), 1);
}
END_TEST

/* Renders a table into a string (malloc'd). */
static char *
render(const struct fmt_table *t, size_t width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fmt_table_print(t, f, width), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_table)
{
	static const char *const hdr[] = { "ID", "NAME", "EXIT", "COMMAND" };
	static const int align[] = { FMT_RIGHT, FMT_LEFT, FMT_RIGHT, FMT_LEFT };
	static const char *const r1[] = { "1", "a", "0", "true" };
	static const char *const r2[] = { "123", "longname", "SIGKILL",
		"sh -c 'sleep 100'" };
	static const char *const r3[] = { "7", NULL, "-", "héllo wörld" };
	struct fmt_table *t = fmt_table_new(4, hdr, align);
	char *s;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(fmt_table_add(t, r1), 0);
	ck_assert_int_eq(fmt_table_add(t, r2), 0);
	ck_assert_int_eq(fmt_table_add(t, r3), 0);
	s = render(t, 0);
	ck_assert_str_eq(s,
	    " ID  NAME         EXIT  COMMAND\n"
	    "  1  a               0  true\n"
	    "123  longname  SIGKILL  sh -c 'sleep 100'\n"
	    "  7  -               -  héllo wörld\n");
	free(s);
	/* Width 32: the prefix is 24 columns, so COMMAND keeps 8. */
	s = render(t, 32);
	ck_assert_str_eq(s,
	    " ID  NAME         EXIT  COMMAND\n"
	    "  1  a               0  true\n"
	    "123  longname  SIGKILL  sh -c...\n"
	    "  7  -               -  héllo...\n");
	free(s);
	/* Too narrow for the columns that cannot drop or shrink further
	 * (COMMAND keeps its header whole): the lines are cut at the width,
	 * never wrapped. */
	s = render(t, 10);
	ck_assert_str_eq(s,
	    " ID  NAME \n"
	    "  1  a    \n"
	    "123  lo...\n"
	    "  7  -    \n");
	free(s);
	fmt_table_free(t);
	ck_assert_uint_eq(fmt_width("héllo"), 5);
	ck_assert_uint_eq(fmt_width(""), 0);
}
END_TEST

/* The display width of one rendered line, SGR sequences aside. */
static size_t
line_width(const char *line, size_t len)
{
	char *copy = malloc(len + 1);
	size_t i, k = 0, w;

	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < len; i++) {
		if (line[i] == '\033') {
			while (i < len && line[i] != 'm')
				i++;
			continue;
		}
		copy[k++] = line[i];
	}
	copy[k] = '\0';
	w = fmt_width(copy);
	free(copy);
	return w;
}

START_TEST(test_width)
{
	/* wide characters take 2 cells, combining marks 0, bytes that are
	 * not UTF-8 1 each */
	ck_assert_uint_eq(fmt_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	ck_assert_uint_eq(fmt_width("e\xcc\x81"), 1);
	ck_assert_uint_eq(fmt_width("\xff\xfe"), 2);
	ck_assert_uint_eq(fmt_width("\xe4\xb8"), 2);	/* cut short */
	ck_assert_uint_eq(fmt_width("\xc0\xaf"), 2);	/* overlong */
	ck_assert_uint_eq(fmt_width("\xed\xa0\x80"), 3);	/* surrogate */
	/* a prefix never splits a character, nor leaves a mark behind */
	ck_assert_uint_eq(fmt_prefix_bytes("\xe4\xb8\xad\xe6\x96\x87x", 3),
	    3);
	ck_assert_uint_eq(fmt_prefix_bytes("\xe4\xb8\xad\xe6\x96\x87x", 4),
	    6);
	ck_assert_uint_eq(fmt_prefix_bytes("ae\xcc\x81" "b", 2), 4);
	ck_assert_uint_eq(fmt_prefix_bytes("abc", 0), 0);
	ck_assert_uint_eq(fmt_prefix_bytes("abc", 9), 3);
}
END_TEST

START_TEST(test_table_fit)
{
	static const char *const hdr[] = { "ID", "STATE", "QUEUE", "TRIES",
		"COMMAND" };
	static const int align[] = { FMT_RIGHT, FMT_LEFT, FMT_LEFT,
		FMT_RIGHT, FMT_LEFT };
	static const char *const r1[] = { "1", "running", "default", "1",
		"sleep 100" };
	static const char *const r2[] = { "22", "failed",
		"\xe4\xb8\xad\xe6\x96\x87\xe9\x98\x9f\xe5\x88\x97", "3",
		"echo \xe4\xbd\xa0\xe5\xa5\xbd" };
	static const char *const st1[] = { NULL, "34", NULL, NULL, NULL };
	struct fmt_table *t = fmt_table_new(5, hdr, align);
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(t);
	fmt_table_col(t, 2, 1, 5);	/* QUEUE drops last, shrinks to 5 */
	fmt_table_col(t, 3, 2, 0);	/* TRIES drops first */
	ck_assert_int_eq(fmt_table_add_styled(t, r1, st1), 0);
	ck_assert_int_eq(fmt_table_add(t, r2), 0);
	/* wide enough: all of it, the CJK queue 8 cells wide */
	s = render(t, 0);
	ck_assert_str_eq(s,
	    "ID  STATE    QUEUE     TRIES  COMMAND\n"
	    " 1  running  default       1  sleep 100\n"
	    "22  failed   \xe4\xb8\xad\xe6\x96\x87\xe9\x98\x9f\xe5\x88\x97      3"
	    "  echo \xe4\xbd\xa0\xe5\xa5\xbd\n");
	free(s);
	/* 33 cells: TRIES goes, COMMAND is cut to what is left */
	s = render(t, 33);
	ck_assert_str_eq(s,
	    "ID  STATE    QUEUE     COMMAND\n"
	    " 1  running  default   sleep 100\n"
	    "22  failed   \xe4\xb8\xad\xe6\x96\x87\xe9\x98\x9f\xe5\x88\x97  "
	    "echo \xe4\xbd\xa0\xe5\xa5\xbd\n");
	free(s);
	/* 24 cells: QUEUE goes too */
	s = render(t, 24);
	ck_assert_str_eq(s,
	    "ID  STATE    COMMAND\n"
	    " 1  running  sleep 100\n"
	    "22  failed   echo \xe4\xbd\xa0\xe5\xa5\xbd\n");
	free(s);
	/* 20 cells: COMMAND cut down to its header's width */
	s = render(t, 20);
	ck_assert_str_eq(s,
	    "ID  STATE    COMMAND\n"
	    " 1  running  slee...\n"
	    "22  failed   echo...\n");
	free(s);
	/* 17 cells: even that does not fit: the lines are cut, a wide
	 * character never split */
	s = render(t, 17);
	ck_assert_str_eq(s,
	    "ID  STATE    C...\n"
	    " 1  running  s...\n"
	    "22  failed   e...\n");
	free(s);
	/* colour: only with color set, around the cell's text only */
	f = open_memstream(&s, &len);
	ck_assert_int_eq(fmt_table_print_color(t, f, 24, 1), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(s, " 1  \033[34mrunning\033[0m  sleep"));
	ck_assert_ptr_null(strstr(s + 1, "\033[0m\033"));
	free(s);
	s = render(t, 24);
	ck_assert_ptr_null(strchr(s, '\033'));
	free(s);
	fmt_table_free(t);
}
END_TEST

/* Random tables at random widths: no line is ever wider than the width,
 * every row is one line, and the columns that may not drop are there. */
START_TEST(test_table_fit_random)
{
	static const char *const words[] = { "a", "queued", "default",
		"sh -c 'exit 3'", "\xe4\xb8\xad\xe6\x96\x87",
		"e\xcc\x81t\xc3\xa9", "x\xffy", "-", "1234567890",
		"\xf0\x9f\x98\x80 emoji" };
	const size_t nw = sizeof(words) / sizeof(words[0]);
	const char *hdr[8], *cells[8], *styles[8];
	char hbuf[8][8], *s, *line, *nl;
	int align[8], round;
	size_t ncols, nrows, c, r, width, lines;
	struct fmt_table *t;

	srand(42);
	for (round = 0; round < 500; round++) {
		ncols = 1 + (size_t)rand() % 8;
		nrows = (size_t)rand() % 6;
		for (c = 0; c < ncols; c++) {
			snprintf(hbuf[c], sizeof(hbuf[c]), "C%zu", c);
			hdr[c] = hbuf[c];
			align[c] = rand() % 2 ? FMT_RIGHT : FMT_LEFT;
		}
		t = fmt_table_new(ncols, hdr, align);
		ck_assert_ptr_nonnull(t);
		for (c = 0; c < ncols; c++)
			fmt_table_col(t, c, rand() % 3, (size_t)rand() % 6);
		for (r = 0; r < nrows; r++) {
			for (c = 0; c < ncols; c++) {
				cells[c] = words[(size_t)rand() % nw];
				styles[c] = rand() % 2 ? "31" : NULL;
			}
			ck_assert_int_eq(fmt_table_add_styled(t, cells, styles),
			    0);
		}
		width = 1 + (size_t)rand() % 100;
		line = NULL;
		lines = 0;
		{
			size_t len = 0;
			FILE *f = open_memstream(&line, &len);

			ck_assert_int_eq(fmt_table_print_color(t, f, width,
			    rand() % 2), 0);
			fclose(f);
		}
		for (s = line; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			ck_assert_msg(line_width(s, (size_t)(nl - s)) <= width,
			    "round %d: a line wider than %zu", round, width);
			lines++;
		}
		ck_assert_str_eq(s, "");
		ck_assert_uint_eq(lines, nrows + 1);
		free(line);
		fmt_table_free(t);
	}
}
END_TEST

START_TEST(test_ago)
{
	char b[FMT_REL_LEN];
	int64_t now = 1000000000000;

	ck_assert_str_eq(fmt_ago(now - 400, now, b, sizeof(b)), "now");
	ck_assert_str_eq(fmt_ago(now - 12000, now, b, sizeof(b)), "12s ago");
	ck_assert_str_eq(fmt_ago(now - 192000, now, b, sizeof(b)), "3m ago");
	ck_assert_str_eq(fmt_ago(now + 5340000, now, b, sizeof(b)),
	    "in 1h29m");
	ck_assert_str_eq(fmt_ago(now - 86400000 * 2 - 3600000 * 4, now, b,
	    sizeof(b)), "2d4h ago");
	ck_assert_str_eq(fmt_ago(now + 59999, now, b, sizeof(b)), "in 59s");
}
END_TEST

static Suite *
fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ids_counts);
	tcase_add_test(tc, test_duration_format);
	tcase_add_test(tc, test_limits_format);
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_time_parse_utc);
	tcase_add_test(tc, test_time_parse_zone);
	tcase_add_test(tc, test_time_parse_bad);
	tcase_add_test(tc, test_parse_int);
	tcase_add_test(tc, test_parse_ref);
	tcase_add_test(tc, test_parse_after);
	tcase_add_test(tc, test_parse_array);
	tcase_add_test(tc, test_parse_label);
	tcase_add_test(tc, test_clock_relative);
	tcase_add_test(tc, test_signal_names);
	tcase_add_test(tc, test_shell_quote);
	tcase_add_test(tc, test_join_argv);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_width);
	tcase_add_test(tc, test_table_fit);
	tcase_add_test(tc, test_table_fit_random);
	tcase_add_test(tc, test_ago);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fmt_suite());
	int failed;

	/* wide characters need a UTF-8 LC_CTYPE, as jobq sets it */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		return 77;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
