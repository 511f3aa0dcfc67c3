/*
 * check_conf.c - unit tests (Check) of daemon/conf_parse.c and conf.c:
 * every key of jobqd.conf(5) parsed, every error with its file:line,
 * precedence of sections through the lookups, the allow/deny/admin logic,
 * and conf_load's checks on the file itself.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobq.h"
#include "conf.h"
#include "conf_int.h"

static struct conf *
parse_ok(const char *text)
{
	struct conf *c = NULL;
	char err[512];
	int r;

	r = conf_parse("t.conf", text, strlen(text), &c, err, sizeof err);
	if (r != 0)
		ck_abort_msg("parse failed: %s", err);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Parses text expecting an error whose message is exactly want. */
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

START_TEST(test_empty)
{
	const struct conf *e = conf_empty();
	struct conf *c;
	struct conf_lim rl[CONF_RL_COUNT];
	struct conf_caps caps;
	gid_t g = 100;
	int i;

	c = parse_ok("# nothing\n\n   \t\n");
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_LIMITED);
	ck_assert_int_eq(conf_after(c), CONF_AFTER_ALLOW);
	ck_assert_int_eq(conf_allowed(c, 1000, &g, 1), 1);
	ck_assert_int_eq(conf_admin(c, 1000, &g, 1), 0);
	ck_assert_int_eq(conf_admin(c, 0, NULL, 0), 1);
	ck_assert_int_eq(conf_socket_mode(c), -1);
	ck_assert_uint_eq(conf_socket_group(c), (gid_t)-1);
	ck_assert_str_eq(conf_path(c), "t.conf");
	ck_assert_ptr_null(conf_path(e));
	ck_assert_int_eq(conf_socket_mode(e), -1);
	conf_caps_global(c, 1000, &caps);
	ck_assert_int_eq(caps.queued, 0);
	ck_assert_int_eq(caps.running, 0);
	conf_rlimits(c, 1000, "default", rl);
	for (i = 0; i < CONF_RL_COUNT; i++) {
		ck_assert(rl[i].def == CONF_UNSET);
		ck_assert(rl[i].max == CONF_UNSET);
	}
	conf_free(c);
	conf_free(NULL);
	conf_free((struct conf *)e);    /* a no-op */
}
END_TEST

START_TEST(test_every_key)
{
	struct conf *c;
	struct conf_lim rl[CONF_RL_COUNT];
	struct conf_caps caps;
	char desc[512];

	c = parse_ok(
	    "allow-users = root 1000, 1001\n"
	    "allow-groups = 0 2000\n"
	    "deny-users = 1002\n"
	    "deny-groups = 2001\n"
	    "admin-group = 3000\n"
	    "visibility = private\n"
	    "after-foreign = deny\n"
	    "socket-mode = 0660\n"
	    "socket-group = root\n"
	    "user-max-queued = 100\n"
	    "user-max-running = 4\n"
	    "mem = 512M\n"
	    "mem-max = 2G\n"
	    "cpu-time = 1h\n"
	    "cpu-time-max = 1.5s\n"
	    "nofile = 1024\n"
	    "nofile-max = 4096\n"
	    "nproc = 50\n"
	    "nproc-max = 500\n"
	    "core = 0\n"
	    "core-max = 1K\n"
	    "nice = 5\n"
	    "nice-min = -3\n"
	    "cpus = 1.5\n"
	    "cpus-max = 4\n"
	    "[queue gpu]\n"
	    "user-max-queued = 10\n"
	    "user-max-running = 1\n"
	    "mem = 8G\n"
	    "cpus-max = 0.25\n"
	    "[user 1000]\n"
	    "max-queued = 7\n"
	    "max-running = 2\n"
	    "nice = 10   # trailing comment\n"
	    "cpus = 0.001\n");
	ck_assert_uint_eq(c->nallow_users, 3);
	ck_assert_uint_eq(c->allow_users[0], 0);
	ck_assert_uint_eq(c->allow_users[2], 1001);
	ck_assert_uint_eq(c->nallow_groups, 2);
	ck_assert_uint_eq(c->ndeny_users, 1);
	ck_assert_uint_eq(c->deny_groups[0], 2001);
	ck_assert_uint_eq(c->admin_gid, 3000);
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_PRIVATE);
	ck_assert_int_eq(conf_after(c), CONF_AFTER_DENY);
	ck_assert_int_eq(conf_socket_mode(c), 0660);
	ck_assert_uint_eq(conf_socket_group(c), 0);

	conf_caps_global(c, 1001, &caps);
	ck_assert_int_eq(caps.queued, 100);
	ck_assert_int_eq(caps.running, 4);
	conf_caps_global(c, 1000, &caps);      /* [user 1000] wins */
	ck_assert_int_eq(caps.queued, 7);
	ck_assert_int_eq(caps.running, 2);
	conf_caps_queue(c, 1001, "gpu", &caps);
	ck_assert_int_eq(caps.queued, 10);
	ck_assert_int_eq(caps.running, 1);
	conf_caps_queue(c, 1001, "default", &caps);
	ck_assert_int_eq(caps.queued, 0);

	conf_rlimits(c, 1001, "default", rl);
	ck_assert(rl[CONF_RL_MEM].def == 512LL << 20);
	ck_assert(rl[CONF_RL_MEM].max == 2LL << 30);
	ck_assert(rl[CONF_RL_CPU].def == 3600);
	ck_assert(rl[CONF_RL_CPU].max == 2);   /* rounded up to seconds */
	ck_assert(rl[CONF_RL_NOFILE].def == 1024);
	ck_assert(rl[CONF_RL_NOFILE].max == 4096);
	ck_assert(rl[CONF_RL_NPROC].def == 50);
	ck_assert(rl[CONF_RL_NPROC].max == 500);
	ck_assert(rl[CONF_RL_CORE].def == 0);
	ck_assert(rl[CONF_RL_CORE].max == 1024);
	ck_assert(rl[CONF_RL_NICE].def == 5);
	ck_assert(rl[CONF_RL_NICE].max == -3);
	ck_assert(rl[CONF_RL_CPUS].def == 1500);	/* milli-CPUs */
	ck_assert(rl[CONF_RL_CPUS].max == 4000);
	/* precedence: [user] over [queue] over global, per value */
	conf_rlimits(c, 1001, "gpu", rl);
	ck_assert(rl[CONF_RL_MEM].def == 8LL << 30);
	ck_assert(rl[CONF_RL_MEM].max == 2LL << 30);
	ck_assert(rl[CONF_RL_CPUS].def == 1500);
	ck_assert(rl[CONF_RL_CPUS].max == 250);
	conf_rlimits(c, 1000, "gpu", rl);
	ck_assert(rl[CONF_RL_NICE].def == 10);
	ck_assert(rl[CONF_RL_CPUS].def == 1);
	ck_assert(rl[CONF_RL_CPUS].max == 250);
	ck_assert(rl[CONF_RL_MEM].def == 8LL << 30);
	conf_describe(c, desc, sizeof desc);
	ck_assert_ptr_nonnull(strstr(desc, "visibility private"));
	conf_free(c);

	c = parse_ok("visibility = full\nafter-foreign = allow\n");
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_FULL);
	conf_free(c);
	c = parse_ok("visibility=limited\r\n  after-foreign\t=\tallow  \n"
	    "[ user   root ]\nmem=1\n[queue q]");
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_LIMITED);
	ck_assert_uint_eq(c->nusers, 1);
	ck_assert_uint_eq(c->users[0].uid, 0);
	ck_assert_uint_eq(c->nqueues, 1);
	ck_assert_str_eq(c->queues[0].name, "q");
	conf_free(c);
}
END_TEST

START_TEST(test_errors)
{
	parse_err("bogus = 1\n", "t.conf:1: unknown key \"bogus\"");
	parse_err("\n\nvisibility = maybe\n",
	    "t.conf:3: visibility must be limited, full or private, "
	    "not \"maybe\"");
	parse_err("after-foreign = yes\n",
	    "t.conf:1: after-foreign must be allow or deny, not \"yes\"");
	parse_err("socket-mode = 0999\n", "t.conf:1: socket-mode must be an "
	    "octal mode from 0 to 0777, like 0660, not \"0999\"");
	parse_err("socket-mode = 01777\n", "t.conf:1: socket-mode must be an "
	    "octal mode from 0 to 0777, like 0660, not \"01777\"");
	parse_err("socket-mode = -1\n", "t.conf:1: socket-mode must be an "
	    "octal mode from 0 to 0777, like 0660, not \"-1\"");
	parse_err("mem = lots\n",
	    "t.conf:1: mem must be a size like 512M or 2G, not \"lots\"");
	parse_err("core-max = -1\n",
	    "t.conf:1: core-max must be a size like 512M or 2G, not \"-1\"");
	parse_err("cpu-time = 1y\n", "t.conf:1: cpu-time must be a duration "
	    "like 90s or 1h30m, not \"1y\"");
	parse_err("nofile = 1.5\n",
	    "t.conf:1: nofile must be a whole number >= 0, not \"1.5\"");
	parse_err("nproc-max = 99999999999999999999\n",
	    "t.conf:1: nproc-max must be a whole number >= 0, "
	    "not \"99999999999999999999\"");
	parse_err("user-max-queued = -2\n", "t.conf:1: user-max-queued must "
	    "be a whole number >= 0, not \"-2\"");
	parse_err("cpus = 0\n", "t.conf:1: cpus must be a number of CPUs "
	    "from 0.001 to 8192, like 2 or 1.5, not \"0\"");
	parse_err("cpus-max = 1.0005\n", "t.conf:1: cpus-max must be a number "
	    "of CPUs from 0.001 to 8192, like 2 or 1.5, not \"1.0005\"");
	parse_err("cpus = 8192.001\n", "t.conf:1: cpus must be a number of "
	    "CPUs from 0.001 to 8192, like 2 or 1.5, not \"8192.001\"");
	parse_err("cpus = 1,5\n", "t.conf:1: cpus must be a number of CPUs "
	    "from 0.001 to 8192, like 2 or 1.5, not \"1,5\"");
	parse_err("cpus = -1\n", "t.conf:1: cpus must be a number of CPUs "
	    "from 0.001 to 8192, like 2 or 1.5, not \"-1\"");
	parse_err("nice = 20\n", "t.conf:1: nice must be a nice value from "
	    "-20 to 19, not \"20\"");
	parse_err("nice-min = -21\n", "t.conf:1: nice-min must be a nice "
	    "value from -20 to 19, not \"-21\"");
	parse_err("nice = \n", "t.conf:1: nice has no value");
	parse_err("just words\n", "t.conf:1: expected \"key = value\" or a "
	    "[section], not \"just words\"");
	parse_err("[queue a]\nallow-users = root\n",
	    "t.conf:2: allow-users belongs in the global section (before any "
	    "[queue] or [user]), not in [queue a]");
	parse_err("max-running = 3\n", "t.conf:1: max-running belongs in a "
	    "[user NAME] section, not in the global section");
	parse_err("[user root]\nuser-max-running = 3\n",
	    "t.conf:2: user-max-running belongs in the global section or a "
	    "[queue NAME] section, not in [user root]");
	parse_err("[queue a]\nmem=1\n[queue b]\n[queue a]\n",
	    "t.conf:4: duplicate section [queue a] (first at line 1)");
	parse_err("[user root]\n[user 0]\n",
	    "t.conf:2: duplicate section [user 0] (first at line 1)");
	parse_err("visibility = full\nvisibility = full\n",
	    "t.conf:2: visibility is given twice in the global section");
	parse_err("[queue a]\nmem = 1\nmem = 2\n",
	    "t.conf:3: mem is given twice in [queue a]");
	parse_err("[group x]\n", "t.conf:1: unknown section [group]: a "
	    "section is [queue NAME] or [user NAME]");
	parse_err("[queue]\n", "t.conf:1: [queue] needs a name: [queue NAME]");
	parse_err("[queue a b]\n", "t.conf:1: a section header is "
	    "[queue NAME] or [user NAME] (one name)");
	parse_err("[queue a\n", "t.conf:1: a section header is [queue NAME] "
	    "or [user NAME]");
	parse_err("allow-users = root jqt_no_such_user_zz\n",
	    "t.conf:1: unknown user jqt_no_such_user_zz");
	parse_err("deny-groups = jqt_no_such_group_zz\n",
	    "t.conf:1: unknown group jqt_no_such_group_zz");
	parse_err("admin-group = jqt_no_such_group_zz\n",
	    "t.conf:1: unknown group jqt_no_such_group_zz");
	parse_err("\n[user jqt_no_such_user_zz]\n",
	    "t.conf:2: unknown user jqt_no_such_user_zz");
	parse_err("deny-users = 99999999999\n",
	    "t.conf:1: user id 99999999999 is out of range");
}
END_TEST

START_TEST(test_lists_repeat)
{
	struct conf *c;

	/* list keys may be repeated: they add up */
	c = parse_ok("deny-users = 5\ndeny-users = 6 7\n");
	ck_assert_uint_eq(c->ndeny_users, 3);
	ck_assert_uint_eq(c->deny_users[2], 7);
	ck_assert_int_eq(c->has_allow, 0);
	conf_free(c);
}
END_TEST

START_TEST(test_allow_deny_admin)
{
	struct conf *c;
	gid_t g_staff[] = { 1000, 50 }, g_other[] = { 1001 }, g_bad[] = {
		1002, 666 };

	/* no lists: everyone; deny lists refuse their members */
	c = parse_ok("deny-users = 1003\ndeny-groups = 666\n");
	ck_assert_int_eq(conf_allowed(c, 1001, g_other, 1), 1);
	ck_assert_int_eq(conf_allowed(c, 1003, g_other, 1), 0);
	ck_assert_str_eq(conf_refusal(c, 1003, g_other, 1), "deny-users");
	ck_assert_int_eq(conf_allowed(c, 1002, g_bad, 2), 0);
	ck_assert_str_eq(conf_refusal(c, 1002, g_bad, 2), "deny-groups");
	ck_assert_ptr_null(conf_refusal(c, 1001, g_other, 1));
	/* root always */
	ck_assert_int_eq(conf_allowed(c, 0, g_bad, 2), 1);
	conf_free(c);

	/* allow lists: only their members (and root) */
	c = parse_ok("allow-groups = 50\nallow-users = 1005\n"
	    "deny-users = 1005\nadmin-group = 50\n");
	ck_assert_int_eq(conf_allowed(c, 1000, g_staff, 2), 1);
	ck_assert_int_eq(conf_allowed(c, 1001, g_other, 1), 0);
	ck_assert_str_eq(conf_refusal(c, 1001, g_other, 1),
	    "allow-users/allow-groups");
	/* deny wins over allow */
	ck_assert_int_eq(conf_allowed(c, 1005, g_other, 1), 0);
	ck_assert_int_eq(conf_allowed(c, 0, NULL, 0), 1);
	ck_assert_int_eq(conf_admin(c, 1000, g_staff, 2), 1);
	ck_assert_int_eq(conf_admin(c, 1001, g_other, 1), 0);
	ck_assert_int_eq(conf_admin(c, 0, NULL, 0), 1);
	conf_free(c);
}
END_TEST

static char tmpdir[] = "/tmp/check_conf.XXXXXX";

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

START_TEST(test_load)
{
	struct conf *c = NULL;
	char err[512], path[300], link[300];
	char *p;

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	p = write_file("good.conf", "visibility = full\n", 0644);
	ck_assert_int_eq(conf_load(p, &c, err, sizeof err), 0);
	ck_assert_int_eq(conf_visibility(c), CONF_VIS_FULL);
	ck_assert_str_eq(conf_path(c), p);
	conf_free(c);

	p = write_file("bad.conf", "# x\nvisibility = none\n", 0600);
	ck_assert_int_eq(conf_load(p, &c, err, sizeof err), JOBQ_EINVAL);
	snprintf(path, sizeof path, "%s:2: visibility must be", p);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);

	p = write_file("gw.conf", "", 0664);
	ck_assert_int_eq(conf_load(p, &c, err, sizeof err), JOBQ_EPERM);
	ck_assert_ptr_nonnull(strstr(err, "writable by its group"));
	p = write_file("ow.conf", "", 0606);
	ck_assert_int_eq(conf_load(p, &c, err, sizeof err), JOBQ_EPERM);
	ck_assert_ptr_nonnull(strstr(err, "writable by others"));

	snprintf(path, sizeof path, "%s/good.conf", tmpdir);
	snprintf(link, sizeof link, "%s/link.conf", tmpdir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(conf_load(link, &c, err, sizeof err), JOBQ_EPERM);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));

	ck_assert_int_eq(conf_load(tmpdir, &c, err, sizeof err), JOBQ_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	snprintf(path, sizeof path, "%s/none.conf", tmpdir);
	ck_assert_int_eq(conf_load(path, &c, err, sizeof err),
	    JOBQ_ENOTFOUND);

	if (geteuid() == 0) {
		p = write_file("foreign.conf", "", 0644);
		ck_assert_int_eq(chown(p, 4242, 4242), 0);
		ck_assert_int_eq(conf_load(p, &c, err, sizeof err),
		    JOBQ_EPERM);
		ck_assert_ptr_nonnull(strstr(err, "owned by uid 4242"));
		unlink(p);
	}
	unlink(link);
	snprintf(path, sizeof path, "%s/good.conf", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/bad.conf", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/gw.conf", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/ow.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_lists_repeat);
	tcase_add_test(tc, test_allow_deny_admin);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
