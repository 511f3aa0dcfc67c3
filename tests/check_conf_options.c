/*
 * check_conf_options.c - unit tests (Check) of jobqd's options in
 * jobqd.conf(5): daemon/conf_options.c and the file side of options.c
 * (options_file, options_settle, options_reload).  Every kind of option
 * from the file, bounds and misplaced keys with their file:line, the
 * command line over the file over the default, and what SIGHUP changes,
 * checked against a model over random sequences of files.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "conf.h"
#include "log.h"
#include "options.h"

static struct conf *
parse_ok(const char *text)
{
	struct conf *c = NULL;
	char err[512];

	if (conf_parse("t.conf", text, strlen(text), &c, err, sizeof err) != 0)
		ck_abort_msg("parse failed: %s", err);
	return c;
}

static void
parse_err(const char *text, const char *want)
{
	struct conf *c = NULL;
	char err[512];
	int r;

	r = conf_parse("t.conf", text, strlen(text), &c, err, sizeof err);
	ck_assert_msg(r == JOBQ_EINVAL, "parsed (%d) but expected: %s", r,
	    want);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

/* o: what jobqd makes of the command line cli (defaults first) and c. */
static int
build(struct options *o, const struct options *cli, const struct conf *c,
    char *err, size_t errlen, int *usage)
{
	const struct conf_opt *co;
	size_t i, n = conf_options(c, &co);

	*o = *cli;
	for (i = 0; i < n; i++)
		if (options_file(o, co[i].name, co[i].value, co[i].line, err,
		    errlen) < 0)
			return -1;
	return options_settle(o, "t.conf", err, errlen, usage);
}

START_TEST(test_every_kind)
{
	struct options cli, o;
	struct conf *c;
	char err[512];
	int usage;

	c = parse_ok("# jobqd's options\n"
	    "socket = /tmp/x.sock\n"          /* string */
	    "workers = 4\n"                   /* integer */
	    "sync = normal\n"                 /* word */
	    "keep-age = 1d12h\n"              /* duration */
	    "kill-grace = 1.5s\n"
	    "output-limit = 64M\n"            /* size */
	    "log-level = debug\n"             /* level */
	    "visibility = full\n"             /* a policy key among them */
	    "[queue q]\nuser-max-running = 2\n");
	options_defaults(&cli);
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), 0);
	ck_assert_str_eq(o.socket, "/tmp/x.sock");
	ck_assert_int_eq(o.workers, 4);
	ck_assert_int_eq(o.sync_full, 0);
	ck_assert_int_eq(o.keep_age_ms, 36 * 3600 * 1000LL);
	ck_assert_int_eq(o.kill_grace_ms, 1500);
	ck_assert_int_eq(o.output_limit, 64 << 20);
	ck_assert_int_eq(o.output_limit_max, 64 << 20);
	ck_assert_int_eq(o.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_FULL);
	/* untouched ones keep the default */
	ck_assert_int_eq(o.keep_count, 100000);
	ck_assert_ptr_null(o.state_dir);
	ck_assert_uint_eq(o.from[0], 2);     /* socket: line 2 */
	conf_free(c);

	/* no options: the defaults, and nothing kept */
	c = parse_ok("visibility = private\n");
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), 0);
	ck_assert_int_eq(o.workers, 0);
	ck_assert_int_eq(o.sync_full, 1);
	ck_assert_int_eq(o.output_limit, 1LL << 30);
	conf_free(c);
}
END_TEST

START_TEST(test_errors)
{
	parse_err("\n\nworkers = 0\n",
	    "t.conf:3: workers: \"0\" is not a number from 1 to 1024");
	parse_err("workers = 1025\n",
	    "t.conf:1: workers: \"1025\" is not a number from 1 to 1024");
	parse_err("workers = 4x\n",
	    "t.conf:1: workers: \"4x\" is not a number from 1 to 1024");
	parse_err("keep-count = -1\n",
	    "t.conf:1: keep-count: \"-1\" is not a number >= 0");
	parse_err("# a\nworker-timeout = 500ms\n",
	    "t.conf:2: worker-timeout: bad duration \"500ms\"");
	parse_err("keep-age = 3 days\n",
	    "t.conf:1: keep-age: bad duration \"3 days\"");
	parse_err("output-limit = 1Q\n", "t.conf:1: output-limit: bad size "
	    "\"1Q\" (bytes, or with K, M, G or T: 64M, 1G)");
	parse_err("sync = fast\n",
	    "t.conf:1: sync: \"fast\" is not normal or full");
	parse_err("log-level = loud\n",
	    "t.conf:1: log-level: unknown level \"loud\"");
	parse_err("workers =\n", "t.conf:1: workers has no value");
	parse_err("config = /etc/x\n", "t.conf:1: config: a file cannot name "
	    "the file to read (--config is for the command line)");
	parse_err("help = 1\n", "t.conf:1: unknown key \"help\"");
	parse_err("wrokers = 2\n", "t.conf:1: unknown key \"wrokers\"");
	parse_err("workers = 2\nsync = full\nworkers = 3\n",
	    "t.conf:3: workers is given twice (first at line 1)");
	parse_err("[queue q]\nkeep-age = 1d\n", "t.conf:2: keep-age is a "
	    "jobqd option: it belongs in the global section (before any "
	    "[queue] or [user])");
	/* a bad value is reported before the misplacement */
	parse_err("[user 0]\nworkers = 0\n",
	    "t.conf:2: workers: \"0\" is not a number from 1 to 1024");
}
END_TEST

/* the line options_file recorded for keep-age, read back through
 * options_reload (which reports where each changed option came from)
 * rather than by its place in the option table */
static void
keep_age_from(void *arg, const char *name, int reload, size_t from)
{
	(void)reload;
	if (strcmp(name, "keep-age") == 0)
		*(size_t *)arg = from;
}

START_TEST(test_cli_wins)
{
	char *argv[] = { "jobqd", "--workers", "2", "--sync", "normal",
	    "--output-limit-max", "1G", NULL };
	struct options cli, o;
	struct conf *c;
	char err[512];
	int usage;

	options_defaults(&cli);
	ck_assert_int_eq(options_parse(&cli, 7, argv), OPTIONS_RUN);
	c = parse_ok("workers = 8\nsync = full\nkeep-count = 7\n");
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), 0);
	ck_assert_int_eq(o.workers, 2);
	ck_assert_int_eq(o.sync_full, 0);
	ck_assert_uint_eq(o.from[2], OPTIONS_FROM_CLI);
	ck_assert_int_eq(o.keep_count, 7);         /* the file over default */
	ck_assert_int_eq(o.output_limit, 1LL << 30);
	/* options_file says which ones the command line keeps */
	ck_assert_int_eq(options_file(&o, "workers", "9", 1, err, sizeof err), 2);
	ck_assert_int_eq(o.workers, 2);
	ck_assert_int_eq(options_file(&o, "keep-age", "1h", 4, err, sizeof err),
	    0);
	ck_assert_int_eq(o.keep_age_ms, 3600 * 1000);
	{
		struct options run, next = o;
		size_t from = 0;

		options_defaults(&run);
		options_reload(&run, &next, keep_age_from, &from);
		ck_assert_uint_eq(from, 4);
	}
	/* a bad value is an error even where the command line wins */
	ck_assert_int_eq(options_file(&o, "workers", "x", 1, err, sizeof err),
	    -1);
	ck_assert_str_eq(err, "workers: \"x\" is not a number from 1 to 1024");
	ck_assert_int_eq(options_file(&o, "nope", "1", 1, err, sizeof err), 1);
	conf_free(c);

	/* the limits settled across the two: the file's limit above the
	 * command line's maximum names both */
	c = parse_ok("\noutput-limit = 2G\n");
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), -1);
	ck_assert_int_eq(usage, 0);
	ck_assert_str_eq(err, "t.conf:2: output-limit: 2147483648 bytes is "
	    "above --output-limit-max (1073741824 bytes)");
	conf_free(c);
	c = parse_ok("output-limit-max = 1M\noutput-limit = 0\n");
	options_defaults(&cli);
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), -1);
	ck_assert_str_eq(err, "t.conf:2: output-limit: 0 (no limit) is above "
	    "t.conf:1: output-limit-max (1048576 bytes)");
	conf_free(c);
	c = parse_ok("output-limit-max = 1M\n");
	ck_assert_int_eq(build(&o, &cli, c, err, sizeof err, &usage), 0);
	ck_assert_int_eq(o.output_limit, 1 << 20);
	conf_free(c);
}
END_TEST

/* SIGHUP over random files: every option that differs is reported once;
 * reloadable ones take the new value, the others keep the running one.
 * The model: workers, sync, socket restart-only; keep-count, log-level,
 * kill-grace reloadable (jobqd.conf(5), "reload" column). */
struct seen {
	char names[16][32];
	int reload[16];
	size_t n;
};

static void
note(void *arg, const char *name, int reload, size_t from)
{
	struct seen *s = arg;

	(void)from;
	ck_assert_uint_lt(s->n, 16);
	snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
	s->reload[s->n++] = reload;
}

static int
seen_has(const struct seen *s, const char *name, int reload)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return s->reload[i] == reload ? 1 : -1;
	return 0;
}

START_TEST(test_reload_model)
{
	static const char *const socks[] = { "/tmp/a", "/tmp/b" };
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	struct options cli, run, next, before;
	struct conf *c;
	struct seen s;
	char text[512], err[512];
	int i, usage, n, want, w, sy, kc, lv, kg, so;

	srand(1234);
	options_defaults(&cli);
	c = parse_ok("");
	ck_assert_int_eq(build(&run, &cli, c, err, sizeof err, &usage), 0);
	conf_free(c);
	for (i = 0; i < 500; i++) {
		w = rand() % 4;       /* 0: not set */
		sy = rand() % 3;
		kc = rand() % 4;
		lv = rand() % 5;
		kg = rand() % 3;
		so = rand() % 3;
		n = 0;
		text[0] = '\0';
#define ADD(...) n += snprintf(text + n, sizeof text - (size_t)n, __VA_ARGS__)
		if (w)
			ADD("workers = %d\n", w);
		if (sy)
			ADD("sync = %s\n", sy == 1 ? "normal" : "full");
		if (kc)
			ADD("keep-count = %d\n", kc * 10);
		if (lv)
			ADD("log-level = %s\n", levels[lv - 1]);
		if (kg)
			ADD("kill-grace = %ds\n", kg);
		if (so)
			ADD("socket = %s\n", socks[so - 1]);
#undef ADD
		c = parse_ok(text);
		ck_assert_int_eq(build(&next, &cli, c, err, sizeof err,
		    &usage), 0);
		before = run;
		memset(&s, 0, sizeof s);
		want = (before.keep_count != next.keep_count) +
		    (before.log_level != next.log_level) +
		    (before.kill_grace_ms != next.kill_grace_ms);
		ck_assert_int_eq(options_reload(&run, &next, note, &s), want);
		/* restart-only: reported if changed, value kept */
		ck_assert_int_eq(seen_has(&s, "workers", 0),
		    before.workers != next.workers);
		ck_assert_int_eq(run.workers, before.workers);
		ck_assert_int_eq(seen_has(&s, "sync", 0),
		    before.sync_full != next.sync_full);
		ck_assert_int_eq(run.sync_full, before.sync_full);
		ck_assert_int_eq(seen_has(&s, "socket", 0),
		    (before.socket == NULL) != (next.socket == NULL) ||
		    (before.socket != NULL && next.socket != NULL &&
		    strcmp(before.socket, next.socket) != 0));
		ck_assert_ptr_eq(run.socket, before.socket);
		/* reloadable: reported if changed, value taken */
		ck_assert_int_eq(seen_has(&s, "keep-count", 1),
		    before.keep_count != next.keep_count);
		ck_assert_int_eq(run.keep_count, next.keep_count);
		ck_assert_int_eq(seen_has(&s, "log-level", 1),
		    before.log_level != next.log_level);
		ck_assert_int_eq(run.log_level, next.log_level);
		ck_assert_int_eq(run.kill_grace_ms, next.kill_grace_ms);
		ck_assert_uint_eq(s.n, (size_t)want +
		    (before.workers != next.workers) +
		    (before.sync_full != next.sync_full) +
		    (size_t)seen_has(&s, "socket", 0));
		/* run.socket points into the first conf that set it: keep
		 * the test's copies alive (socks[]) instead */
		if (run.socket != NULL)
			run.socket = strcmp(run.socket, socks[0]) == 0 ?
			    socks[0] : socks[1];
		conf_free(c);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf_options");
	TCase *tc = tcase_create("conf_options");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_kind);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_cli_wins);
	tcase_add_test(tc, test_reload_model);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
