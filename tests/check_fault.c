/*
 * check_fault.c - unit tests (Check) of daemon/fault.c: the JOBQD_FAULTS
 * grammar (every form, every malformed one), which hits fail, and the
 * file of "stall" (JOBQD_FAULT_STALL).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "fault.h"

/* Returns a bit per hit (1 = failed) for the first n hits of p. */
static unsigned
pattern(enum fault_point p, int n)
{
	unsigned bits = 0;
	int i;

	for (i = 0; i < n; i++)
		if (fault_hit(p))
			bits |= 1u << i;
	return bits;
}

START_TEST(test_forms)
{
	char err[256];

	ck_assert_int_eq(fault_init(NULL, err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_SPAWN, 8), 0);
	ck_assert_int_eq(fault_init("", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_COMMIT, 8), 0);

	ck_assert_int_eq(fault_init("spawn", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_SPAWN, 8), 0x1);
	ck_assert_uint_eq(pattern(FAULT_MQ_SEND, 8), 0);

	ck_assert_int_eq(fault_init("spawn@3", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_SPAWN, 8), 0x4);

	ck_assert_int_eq(fault_init("commit@2*3", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_COMMIT, 8), 0xe);

	ck_assert_int_eq(fault_init("alloc@4*", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_ALLOC, 8), 0xf8);

	ck_assert_int_eq(fault_init("mq_send*2,report_write@2", err,
	    sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_MQ_SEND, 8), 0x3);
	ck_assert_uint_eq(pattern(FAULT_REPORT_WRITE, 8), 0x2);
	ck_assert_uint_eq(pattern(FAULT_SPAWN, 8), 0);

	/* a new spec forgets the old one and its counts */
	ck_assert_int_eq(fault_init("spawn", err, sizeof err), 0);
	ck_assert_uint_eq(pattern(FAULT_MQ_SEND, 8), 0);
	ck_assert_uint_eq(pattern(FAULT_SPAWN, 8), 0x1);
}
END_TEST

START_TEST(test_bad)
{
	static const char *const bad[] = {
		"nope", "spawn@", "spawn@0", "spawn@x", "spawn*0", "spawn@1*x",
		"spawn,", ",spawn", "spawn,,commit", "spawn@1@2", "spawn*2*",
		"spawn ", " spawn", "SPAWN", "spawn@99999999999999999999999",
		"spawnx", "spaw", "commit@1*1x",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(fault_init(bad[i], err, sizeof err) ==
		    JOBQ_EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
		/* a refused spec enables nothing */
		ck_assert_uint_eq(pattern(FAULT_SPAWN, 4), 0);
		ck_assert_uint_eq(pattern(FAULT_COMMIT, 4), 0);
	}
	ck_assert_str_eq(fault_name(FAULT_REPORT_WRITE), "report_write");
	ck_assert_str_eq(fault_name(FAULT_NPOINTS), "?");
	ck_assert_int_eq(fault_hit(FAULT_NPOINTS), 0);
}
END_TEST

/* "stall" takes its file from JOBQD_FAULT_STALL: refused without one. */
START_TEST(test_stall)
{
	char err[256];

	unsetenv("JOBQD_FAULT_STALL");
	err[0] = '\0';
	ck_assert_int_eq(fault_init("stall", err, sizeof err), JOBQ_EINVAL);
	ck_assert_msg(strstr(err, "JOBQD_FAULT_STALL") != NULL, "%s", err);
	ck_assert_uint_eq(pattern(FAULT_STALL, 4), 0);
	setenv("JOBQD_FAULT_STALL", "relative/file", 1);
	ck_assert_int_eq(fault_init("commit,stall*", err, sizeof err),
	    JOBQ_EINVAL);
	ck_assert_uint_eq(pattern(FAULT_COMMIT, 4), 0);
	ck_assert_str_eq(fault_stall_file(), "");

	setenv("JOBQD_FAULT_STALL", "/tmp/x.stall", 1);
	ck_assert_int_eq(fault_init("stall@2*", err, sizeof err), 0);
	ck_assert_str_eq(fault_stall_file(), "/tmp/x.stall");
	ck_assert_uint_eq(pattern(FAULT_STALL, 6), 0x3e);
	ck_assert_str_eq(fault_name(FAULT_STALL), "stall");
	/* not listed: no file, whatever the environment says */
	ck_assert_int_eq(fault_init("spawn", err, sizeof err), 0);
	ck_assert_str_eq(fault_stall_file(), "");
	unsetenv("JOBQD_FAULT_STALL");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_stall);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
