/*
 * check_ident.c - unit tests for daemon/ident.c: the login-like
 * environment of --clean-env (ident_env_build, pure: fixed cases and a
 * randomized comparison with a model), and the rules of ident_submit (who
 * may name another user or group, what a job runs as by default).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "ident.h"

static size_t
check_ident_count(char **v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

START_TEST(test_env_user)
{
	struct ident_pw pw = { "alice", "/home/alice", "/bin/bash", 1001 };
	char **v;
	size_t n;

	v = ident_env_build(&pw, NULL, &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(check_ident_count(v), 5);
	ck_assert_str_eq(v[0], "HOME=/home/alice");
	ck_assert_str_eq(v[1], "USER=alice");
	ck_assert_str_eq(v[2], "LOGNAME=alice");
	ck_assert_str_eq(v[3], "SHELL=/bin/bash");
	ck_assert_str_eq(v[4], "PATH=" IDENT_PATH);
	free(v);
}
END_TEST

START_TEST(test_env_root_and_defaults)
{
	struct ident_pw pw = { "root", "", NULL, 0 };
	char **v;
	size_t n;

	v = ident_env_build(&pw, NULL, &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(v[0], "HOME=/");
	ck_assert_str_eq(v[3], "SHELL=/bin/sh");
	ck_assert_str_eq(v[4], "PATH=" IDENT_PATH_ROOT);
	ck_assert(strstr(v[4], "/usr/sbin") != NULL);
	free(v);
}
END_TEST

START_TEST(test_env_extras)
{
	struct ident_pw pw = { "bob", "/home/bob", "/bin/sh", 1002 };
	const char *extra[] = { "PATH=/opt/bin", "A=1", "A=2", "B=", "C=x=y",
	    NULL };
	const char *bad[] = { "A=1", "NOEQ", NULL };
	const char *bad2[] = { "=v", NULL };
	char **v;
	size_t n;

	v = ident_env_build(&pw, extra, &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(v[0], "HOME=/home/bob");
	ck_assert_str_eq(v[3], "SHELL=/bin/sh");
	ck_assert_str_eq(v[4], "PATH=/opt/bin");	/* replaced */
	ck_assert_str_eq(v[5], "A=2");			/* the last one */
	ck_assert_str_eq(v[6], "B=");
	ck_assert_str_eq(v[7], "C=x=y");
	ck_assert_ptr_null(v[8]);
	free(v);
	ck_assert_ptr_null(ident_env_build(&pw, bad, &n));
	ck_assert_ptr_null(ident_env_build(&pw, bad2, &n));
}
END_TEST

/* Random extras over a few names against a model: every name once, the
 * base names first in their order unless replaced, the value of each the
 * last one given. */
START_TEST(test_env_model)
{
	static const char *const names[] = { "HOME", "USER", "LOGNAME",
	    "SHELL", "PATH", "X", "Y", "HOMEX", "PAT" };
	struct ident_pw pw = { "u", "/h", "/s", 7 };
	char buf[32][32];
	const char *extra[33];
	unsigned seed = 12345;
	size_t n, ne, i, k, nn = sizeof(names) / sizeof(names[0]);
	int round, found;
	char **v, *eq, want[64];

	for (round = 0; round < 2000; round++) {
		seed = seed * 1103515245u + 12345u;
		ne = (seed >> 16) % 32;
		for (i = 0; i < ne; i++) {
			seed = seed * 1103515245u + 12345u;
			snprintf(buf[i], sizeof(buf[i]), "%s=%u",
			    names[(seed >> 16) % nn], (seed >> 8) % 100);
			extra[i] = buf[i];
		}
		extra[ne] = NULL;
		v = ident_env_build(&pw, extra, &n);
		ck_assert_ptr_nonnull(v);
		/* each entry: the last extra of its name, else the base */
		for (k = 0; k < n; k++) {
			eq = strchr(v[k], '=');
			ck_assert_ptr_nonnull(eq);
			found = 0;
			for (i = ne; i-- > 0;)
				if (strncmp(extra[i], v[k],
				    (size_t)(eq - v[k]) + 1) == 0) {
					ck_assert_str_eq(v[k], extra[i]);
					found = 1;
					break;
				}
			if (!found) {
				ck_assert(k < 5);
				ck_assert(strncmp(v[k], "HOME=/h", 8) == 0 ||
				    strcmp(v[k], "USER=u") == 0 ||
				    strcmp(v[k], "LOGNAME=u") == 0 ||
				    strcmp(v[k], "SHELL=/s") == 0 ||
				    strcmp(v[k], "PATH=" IDENT_PATH) == 0);
			}
			/* names are unique */
			for (i = 0; i < k; i++)
				ck_assert(strncmp(v[i], v[k],
				    (size_t)(eq - v[k]) + 1) != 0);
		}
		/* every name given or of the base is there */
		for (i = 0; i < nn; i++) {
			snprintf(want, sizeof(want), "%s=", names[i]);
			found = i < 5;
			for (k = 0; k < ne; k++)
				if (strncmp(extra[k], want, strlen(want)) == 0)
					found = 1;
			for (k = 0; k < n && found; k++)
				if (strncmp(v[k], want, strlen(want)) == 0)
					break;
			ck_assert(!found || k < n);
		}
		free(v);
	}
}
END_TEST

static void
check_ident_sub(struct proto_submit *s, const char *user, const char *group,
    int clean)
{
	memset(s, 0, sizeof(*s));
	s->user = user;
	s->group = group;
	s->clean_env = clean;
	s->umask = -1;
}

START_TEST(test_submit_rules)
{
	struct proto_submit s;
	char msg[256];

	/* anyone: runs as and belongs to the submitter, primary group */
	check_ident_sub(&s, NULL, NULL, 0);
	s.run_uid = 99;
	s.run_gid = 5;
	ck_assert_int_eq(ident_submit(&s, 1001, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(s.run_uid, 1001);
	ck_assert_int_eq(s.run_gid, -1);
	/* only root names another user or group */
	check_ident_sub(&s, "root", NULL, 0);
	ck_assert_int_eq(ident_submit(&s, 1001, 0, msg, sizeof(msg)),
	    JOBQ_EPERM);
	ck_assert(strstr(msg, "only root may submit jobs as another user") !=
	    NULL);
	ck_assert_uint_eq(s.run_uid, 1001);
	check_ident_sub(&s, NULL, "0", 0);
	ck_assert_int_eq(ident_submit(&s, 1001, 0, msg, sizeof(msg)),
	    JOBQ_EPERM);
	/* and only to a root jobqd */
	check_ident_sub(&s, "root", NULL, 0);
	ck_assert_int_eq(ident_submit(&s, 0, 1001, msg, sizeof(msg)),
	    JOBQ_EPERM);
	ck_assert(strstr(msg, "not root") != NULL);
	/* root: names and numbers */
	check_ident_sub(&s, "root", "0", 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(s.run_uid, 0);
	ck_assert_int_eq(s.run_gid, 0);
	check_ident_sub(&s, "0", "4000000000", 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(s.run_uid, 0);
	ck_assert_int_eq(s.run_gid, 4000000000LL);
	check_ident_sub(&s, "jqt-no-such-user-xyz", NULL, 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)),
	    JOBQ_EINVAL);
	ck_assert(strstr(msg, "no such user") != NULL);
	check_ident_sub(&s, NULL, "jqt-no-such-group-xyz", 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)),
	    JOBQ_EINVAL);
	check_ident_sub(&s, NULL, "4294967295", 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)),
	    JOBQ_EINVAL);
	check_ident_sub(&s, NULL, "-1", 0);
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)),
	    JOBQ_EINVAL);
}
END_TEST

START_TEST(test_submit_clean_env)
{
	struct proto_submit s;
	const char **env;
	char msg[256];

	check_ident_sub(&s, NULL, NULL, 1);
	env = calloc(2, sizeof(*env));
	ck_assert_ptr_nonnull(env);
	env[0] = "X=1";
	s.env = env;
	s.envc = 1;
	ck_assert_int_eq(ident_submit(&s, 0, 0, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(s.envc, 6);
	ck_assert_str_eq(s.env[1], "USER=root");
	ck_assert_str_eq(s.env[4], "PATH=" IDENT_PATH_ROOT);
	ck_assert_str_eq(s.env[5], "X=1");
	free(s.env);
}
END_TEST

static Suite *
check_ident_suite(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_env_user);
	tcase_add_test(tc, test_env_root_and_defaults);
	tcase_add_test(tc, test_env_extras);
	tcase_add_test(tc, test_env_model);
	tcase_add_test(tc, test_submit_rules);
	tcase_add_test(tc, test_submit_clean_env);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(check_ident_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
