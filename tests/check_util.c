/*
 * check_util.c - unit tests (Check) of lib/util.c: the duration and size
 * grammars shared by jobq and jobqd (good and bad input, overflow), vector growth
 * and string vectors.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

START_TEST(test_duration_good)
{
	static const struct {
		const char *in;
		int64_t ms;
	} cases[] = {
		{ "500ms", 500 }, { "90s", 90000 }, { "5m", 300000 },
		{ "2h", 7200000 }, { "10", 10000 }, { "0", 0 }, { "0ms", 0 },
		{ "007s", 7000 }, { "1d", 86400000 }, { "1h30m", 5400000 },
		{ "2m30s500ms", 150500 }, { "1d2h3m4s5ms", 93784005 },
		{ "0s", 0 }, { "0d0h", 0 }, { "1m1ms", 60001 },
		{ "1h1s", 3601000 }, { "1d1ms", 86400001 }, { "90m", 5400000 },
		{ "106751991167d", 9223372036828800000LL },
		{ "106751991167d7h12m55s807ms", INT64_MAX },
		{ "9223372036854775807ms", INT64_MAX },
		{ "9223372036854775s807ms", INT64_MAX },
		/* one part may have a fraction, as jobqd's options do */
		{ "1.5s", 1500 }, { "0.25", 250 }, { "1.5m", 90000 },
		{ "0.001s", 1 }, { "2.5h", 9000000 }, { "0.5d", 43200000 },
		{ "1.0005s", 1001 }, { "1.5ms", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;

		ck_assert_msg(util_parse_duration_ms(cases[i].in, &ms) == 0,
		    "'%s' rejected", cases[i].in);
		ck_assert_msg(ms == cases[i].ms, "'%s' -> %lld, expected %lld",
		    cases[i].in, (long long)ms, (long long)cases[i].ms);
	}
}
END_TEST

START_TEST(test_duration_bad)
{
	static const char *const bad[] = {
		"", "soon", "-1", "-1s", "+1s", " 1s", "1s ", "1 s", "1.", ".",
		".s", "1..5s", "1.5.s", "s", "ms", "d", "1S", "1sec", "1e3",
		"0x10", "1hms", "99999999999999999999", "9999999999999999h",
		"5mm", "1,5s", "1m1h", "1s1s", "1d1d", "1ms5s", "1s1m", "1h30",
		"30 m", "1h 30m", "h1", "1h-30m", "3h-2m", "1w", "1y", "1D",
		"1h30m\n", "92233720368547758s", "106751991168d",
		"106751991167d23h", "1hm", "9223372036854775808ms",
		"106751991167d7h12m55s808ms", ".5m", "1.s", "1.5.5s",
		"1.5h30m", "1h.5m", "1h1.5m", "1.0000000001s", "5x", "1m30",
		"1h1h",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 12345;

		ck_assert_msg(util_parse_duration_ms(bad[i], &ms) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(ms == 12345, "'%s' changed the output", bad[i]);
	}
	ck_assert_int_eq(util_parse_duration_ms(NULL, NULL), -1);
}
END_TEST

START_TEST(test_size)
{
	static const struct {
		const char *in;
		int64_t bytes;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "512", 512 }, { "1K", 1024 },
		{ "1k", 1024 }, { "64K", 65536 }, { "2M", 2097152 },
		{ "2MiB", 2097152 }, { "10kB", 10240 }, { "1G", 1073741824 },
		{ "1g", 1073741824 }, { "1T", 1099511627776LL },
		{ "0G", 0 }, { "007K", 7168 },
		{ "9223372036854775807", INT64_MAX },
		{ "8388607T", 9223370937343148032LL },
	};
	static const char *const bad[] = {
		"", "K", "-1", "+1", " 1", "1 ", "1 K", "1.5G", "1e3", "0x10",
		"1KK", "1Ki", "1Kib", "1KB ", "1P", "1E", "1b", "1kiB2",
		"9223372036854775808", "8388608T", "8796093022208G", "G1",
	};
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		ck_assert_msg(util_parse_size(good[i].in, &v) == 0,
		    "'%s' rejected", good[i].in);
		ck_assert_msg(v == good[i].bytes, "'%s' -> %lld, expected %lld",
		    good[i].in, (long long)v, (long long)good[i].bytes);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		ck_assert_msg(util_parse_size(bad[i], &v) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(v == 12345, "'%s' changed the output", bad[i]);
	}
	ck_assert_int_eq(util_parse_size(NULL, NULL), -1);
}
END_TEST

START_TEST(test_cpus)
{
	static const struct {
		const char *in;
		int64_t millis;
	} good[] = {
		{ "0", 0 }, { "1", 1000 }, { "2", 2000 }, { "1.5", 1500 },
		{ "0.25", 250 }, { "0.001", 1 }, { "1.010", 1010 },
		{ "007.5", 7500 }, { "8192", 8192000 },
		{ "9223372036854775", 9223372036854775000LL },
		{ "9223372036854775.807", INT64_MAX },
	};
	static const char *const bad[] = {
		"", ".", ".5", "1.", "-1", "+1", " 1", "1 ", "1,5", "1.0001",
		"0.0005", "1e3", "0x10", "1.5.", "1..5", "1.-5", "2cpus",
		"9223372036854776", "9223372036854775.808",
	};
	size_t i;
	int64_t v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		ck_assert_msg(util_parse_cpus(good[i].in, &v) == 0,
		    "'%s' rejected", good[i].in);
		ck_assert_msg(v == good[i].millis, "'%s' -> %lld, expected "
		    "%lld", good[i].in, (long long)v,
		    (long long)good[i].millis);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		ck_assert_msg(util_parse_cpus(bad[i], &v) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(v == 12345, "'%s' changed the output", bad[i]);
	}
	ck_assert_int_eq(util_parse_cpus(NULL, NULL), -1);
}
END_TEST

START_TEST(test_grow)
{
	int64_t *v = NULL;
	size_t cap = 0, i;

	ck_assert_int_eq(util_grow(&v, &cap, 0, sizeof(*v)), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(util_grow(&v, &cap, 1, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 8);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(util_grow(&v, &cap, i + 1, sizeof(*v)), 0);
		ck_assert_uint_ge(cap, i + 1);
		v[i] = (int64_t)i;
	}
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(v[i], (int64_t)i);
	ck_assert_uint_eq(cap, 1024);
	/* overflow: refused, vector untouched */
	ck_assert_int_eq(util_grow(&v, &cap, SIZE_MAX / 4, sizeof(*v)), -1);
	ck_assert_int_eq(util_grow(&v, &cap, SIZE_MAX, 1), -1);
	ck_assert_uint_eq(cap, 1024);
	ck_assert_int_eq(v[999], 999);
	free(v);
}
END_TEST

START_TEST(test_strv)
{
	char **v = calloc(3, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	v[0] = strdup("a");
	v[1] = strdup("b");
	util_strv_free(v);      /* LeakSanitizer checks the strings go too */
	util_strv_free(NULL);
}
END_TEST

START_TEST(test_clocks)
{
	int64_t a = util_mono_ms(), b = util_mono_ms();

	ck_assert_int_ge(b, a);
	/* after 2020-01-01, in ms and in us */
	ck_assert_int_gt(util_now_ms(), 1577836800000LL);
	ck_assert_int_gt(util_now_us(), 1577836800000000LL);
	ck_assert_int_eq(util_clock_ms((clockid_t)-12345), 0);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_duration_bad);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_grow);
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
