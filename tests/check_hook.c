/*
 * check_hook.c - unit tests for daemon/hook_env.c: the environment of an
 * end hook and of a drained hook (pure): every JOBQ_* member from a job's
 * row, empty values for what a job does not have, the login-like entries of
 * its user, a job's own name never replacing them, and nothing else.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "hook.h"

/* The value of name in env, or NULL. */
static const char *
check_hook_get(char **env, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static size_t
check_hook_count(char **env)
{
	size_t n = 0;

	while (env[n] != NULL)
		n++;
	return n;
}

static jobq_job
check_hook_job(void)
{
	jobq_job j;

	memset(&j, 0, sizeof j);
	j.id = 42;
	j.state = JOBQ_STATE_FAILED;
	j.name = (char *)"build";
	j.queue = (char *)"default";
	j.cwd = (char *)"/srv/src";
	j.owner_uid = 1001;
	j.exit_code = 3;
	j.submitted_at = 1765000000250;
	j.started_at = 1765000001000;
	j.finished_at = 1765000003005;
	j.attempts = 2;
	j.reason = (char *)"exit_code";
	j.gid = -1;
	return j;
}

START_TEST(test_env_job)
{
	struct ident_pw pw = { "alice", "/home/alice", "/bin/bash", 1001 };
	jobq_job j = check_hook_job();
	char **env;

	env = hook_env_job(&j, HOOK_QUEUE, "/var/lib/jobq/logs", &pw);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(check_hook_get(env, "HOME"), "/home/alice");
	ck_assert_str_eq(check_hook_get(env, "USER"), "alice");
	ck_assert_str_eq(check_hook_get(env, "PATH"), IDENT_PATH);
	ck_assert_str_eq(check_hook_get(env, "JOBQ_HOOK"), "end");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_HOOK_ORIGIN"), "queue");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_ID"), "42");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_REF"), "42");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STATE"), "failed");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_EXIT_CODE"), "3");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_SIGNAL"), "");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_REASON"), "exit_code");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_NAME"), "build");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_QUEUE"), "default");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_ATTEMPTS"), "2");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_SUBMITTED"),
	    "1765000000.250");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STARTED"),
	    "1765000001.000");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_FINISHED"),
	    "1765000003.005");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_RUNTIME"), "2.005");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_CWD"), "/srv/src");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_USER"), "alice");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STDOUT"),
	    "/var/lib/jobq/logs/1001/42.out");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STDERR"),
	    "/var/lib/jobq/logs/1001/42.err");
	ck_assert_ptr_null(check_hook_get(env, "JOBQ_ARRAY_ID"));
	/* 5 login-like + 19 JOBQ_*: nothing else */
	ck_assert_uint_eq(check_hook_count(env), 5 + 19);
	free(env);
}
END_TEST

START_TEST(test_env_task_unstarted)
{
	struct ident_pw pw = { NULL, NULL, NULL, 1001 };
	jobq_job j = check_hook_job();
	char **env;

	/* a task canceled before it started, of a user without a passwd
	 * entry, without a name */
	j.array_id = 40;
	j.array_index = 7;
	j.state = JOBQ_STATE_CANCELED;
	j.exit_code = -1;
	j.signal = 0;
	j.started_at = 0;
	j.attempts = 0;
	j.name = NULL;
	env = hook_env_job(&j, HOOK_JOB, "/l", &pw);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_REF"), "40.7");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_ARRAY_ID"), "40");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_ARRAY_INDEX"), "7");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_HOOK_ORIGIN"), "job");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_EXIT_CODE"), "");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STARTED"), "");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_RUNTIME"), "");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_NAME"), "");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_USER"), "1001");
	ck_assert_str_eq(check_hook_get(env, "HOME"), "/");
	ck_assert_uint_eq(check_hook_count(env), 5 + 21);
	free(env);

	/* a signal, and a run of 0 ms */
	j.array_id = 0;
	j.state = JOBQ_STATE_FAILED;
	j.signal = 9;
	j.started_at = j.finished_at;
	env = hook_env_job(&j, HOOK_GLOBAL, "/l", &pw);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_SIGNAL"), "9");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_RUNTIME"), "0.000");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_HOOK_ORIGIN"), "global");
	free(env);

	/* --merge-output: its stderr is its stdout file */
	j.merge_output = 1;
	env = hook_env_job(&j, HOOK_JOB, "/l", &pw);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STDOUT"),
	    "/l/1001/42.out");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_JOB_STDERR"),
	    "/l/1001/42.out");
	free(env);
}
END_TEST

START_TEST(test_env_drained)
{
	struct ident_pw pw = { "root", "/root", "/bin/sh", 0 };
	char **env;

	env = hook_env_drained("nightly", &pw);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(check_hook_get(env, "JOBQ_HOOK"), "drained");
	ck_assert_str_eq(check_hook_get(env, "JOBQ_QUEUE"), "nightly");
	ck_assert_str_eq(check_hook_get(env, "PATH"), IDENT_PATH_ROOT);
	ck_assert_uint_eq(check_hook_count(env), 5 + 2);
	free(env);
}
END_TEST

static Suite *
hook_suite(void)
{
	Suite *s = suite_create("hook");
	TCase *tc = tcase_create("env");

	tcase_add_test(tc, test_env_job);
	tcase_add_test(tc, test_env_task_unstarted);
	tcase_add_test(tc, test_env_drained);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hook_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
