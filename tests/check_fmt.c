/*
 * check_fmt.c - unit tests (Check) for the pure helpers of the jobq client
 * in client/fmt.c: duration/id/count parsing (including bad input),
 * duration and time formatting, shell quoting, signal names, exit-status
 * mapping and table alignment.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

START_TEST(test_duration_good)
{
	static const struct {
		const char *in;
		int64_t ms;
	} cases[] = {
		{ "500ms", 500 }, { "90s", 90000 }, { "5m", 300000 },
		{ "2h", 7200000 }, { "1.5s", 1500 }, { "10", 10000 },
		{ "0", 0 }, { "0ms", 0 }, { "0.25", 250 }, { "1.5m", 90000 },
		{ "0.001s", 1 }, { "0.0001s", 0 }, { "1.5ms", 1 },
		{ "007s", 7000 }, { "1.123456789123h", 4044444 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;

		ck_assert_msg(fmt_parse_duration(cases[i].in, &ms) == 0,
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
		".s", "1..5s", "1.5.s", "s", "ms", "1d", "1S", "1sec", "1e3",
		"0x10", "1hms", "99999999999999999999", "9999999999999999h",
		"5mm", "1,5s",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 12345;

		ck_assert_msg(fmt_parse_duration(bad[i], &ms) == -1,
		    "'%s' accepted", bad[i]);
		ck_assert_msg(ms == 12345, "'%s' changed the output", bad[i]);
	}
	ck_assert_int_eq(fmt_parse_duration(NULL, NULL), -1);
}
END_TEST

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
	/* Too narrow: the last column still keeps 4 columns. */
	s = render(t, 10);
	ck_assert_str_eq(s,
	    " ID  NAME         EXIT  C...\n"
	    "  1  a               0  true\n"
	    "123  longname  SIGKILL  s...\n"
	    "  7  -               -  h...\n");
	free(s);
	fmt_table_free(t);
	ck_assert_uint_eq(fmt_width("héllo"), 5);
	ck_assert_uint_eq(fmt_width(""), 0);
}
END_TEST

static Suite *
fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_duration_bad);
	tcase_add_test(tc, test_ids_counts);
	tcase_add_test(tc, test_duration_format);
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_signal_names);
	tcase_add_test(tc, test_shell_quote);
	tcase_add_test(tc, test_join_argv);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fmt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
