/*
 * check_cfg.c - unit tests (Check) of client/cfg_parse.c, the syntax of
 * jobq.conf: every key and value, every error with its file:line, and the
 * user's file laid over the system's (the keys it gives win, the others
 * stay).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static int
parse(struct cfg *c, const char *text, char *err, size_t errlen)
{
	return cfg_parse("j.conf", text, strlen(text), c, err, errlen);
}

static void
parse_err(const char *text, const char *want)
{
	struct cfg c = { NULL, NULL, CFG_COLOR_UNSET };
	char err[512];

	ck_assert_msg(parse(&c, text, err, sizeof err) == -1,
	    "parsed, but expected: %s", want);
	ck_assert_str_eq(err, want);
	cfg_clear(&c);
}

START_TEST(test_keys)
{
	struct cfg c = { NULL, NULL, CFG_COLOR_UNSET };
	char err[512];

	ck_assert_int_eq(parse(&c, "", err, sizeof err), 0);
	ck_assert_ptr_null(c.socket);
	ck_assert_ptr_null(c.queue);
	ck_assert_int_eq(c.color, CFG_COLOR_UNSET);
	ck_assert_int_eq(parse(&c, "# jobq\n\n  socket =  /run/x.sock  # c\n"
	    "queue=night\r\ncolor = never", err, sizeof err), 0);
	ck_assert_str_eq(c.socket, "/run/x.sock");
	ck_assert_str_eq(c.queue, "night");
	ck_assert_int_eq(c.color, CFG_COLOR_NEVER);
	ck_assert_int_eq(parse(&c, "color = always\n", err, sizeof err), 0);
	ck_assert_int_eq(c.color, CFG_COLOR_ALWAYS);
	ck_assert_int_eq(parse(&c, "color = auto\n", err, sizeof err), 0);
	ck_assert_int_eq(c.color, CFG_COLOR_AUTO);
	cfg_clear(&c);
	ck_assert_ptr_null(c.socket);
	ck_assert_int_eq(c.color, CFG_COLOR_UNSET);
}
END_TEST

START_TEST(test_layers)
{
	struct cfg c = { NULL, NULL, CFG_COLOR_UNSET };
	char err[512];

	/* the system's file, then the user's over it */
	ck_assert_int_eq(parse(&c, "socket = /run/jobq/jobqd.sock\n"
	    "queue = shared\ncolor = never\n", err, sizeof err), 0);
	ck_assert_int_eq(parse(&c, "queue = mine\n", err, sizeof err), 0);
	ck_assert_str_eq(c.socket, "/run/jobq/jobqd.sock");
	ck_assert_str_eq(c.queue, "mine");
	ck_assert_int_eq(c.color, CFG_COLOR_NEVER);
	cfg_clear(&c);
}
END_TEST

START_TEST(test_errors)
{
	char big[5000];

	parse_err("\nsocket /x\n", "j.conf:2: expected \"key = value\", not "
	    "\"socket /x\"");
	parse_err("queue = a\nsock = /x\n", "j.conf:2: unknown key \"sock\" "
	    "(socket, queue or color)");
	parse_err("queue = a\nqueue = b\n", "j.conf:2: queue is given twice");
	parse_err("socket =\n", "j.conf:1: socket has no value");
	parse_err("color = yes\n", "j.conf:1: color must be auto, always or "
	    "never, not \"yes\"");
	parse_err("queue = a b\n", "j.conf:1: queue: invalid queue name 'a b': "
	    "it may only hold letters, digits, '_', '.' and '-'");
	parse_err("[section]\n", "j.conf:1: expected \"key = value\", not "
	    "\"[section]\"");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	parse_err(big, "j.conf:1: line longer than 4096 bytes");
}
END_TEST

START_TEST(test_nul)
{
	struct cfg c = { NULL, NULL, CFG_COLOR_UNSET };
	char err[512];

	ck_assert_int_eq(cfg_parse("j.conf", "queue = a\n\0x\n", 12, &c, err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "j.conf:2: NUL byte in the file");
	cfg_clear(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_layers);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_nul);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
