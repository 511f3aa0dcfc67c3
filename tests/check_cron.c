/*
 * check_cron.c - unit tests of daemon/cron.c and daemon/cron_tz.c.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"

START_TEST(test_parse_basic)
{
	struct cron_expr	ce;
	char			err[256];

	ck_assert_int_eq(cron_parse(&ce, "*/15 0-6 1 jan mon-fri", err, sizeof(err)), 0);
	ck_assert_uint_eq(ce.minute, 1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cron");
	TCase	*tc = tcase_create("parse");
	SRunner	*sr;
	int	 nf;

	tcase_add_test(tc, test_parse_basic);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
