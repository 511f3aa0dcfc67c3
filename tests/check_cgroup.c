/*
 * check_cgroup.c - unit tests (Check) of daemon/cgroup.c on plain
 * directories standing in for cgroups: the limits written for the
 * controllers enabled (and only those), usage read from memory.peak and
 * cpu.stat, cgroup.events, the kill (cgroup.kill, else each pid of
 * cgroup.procs), a job cgroup that cannot be completed is removed, and
 * --cgroup values that are refused or mean "off".  The real thing (a
 * private cgroup2 mount) is tests/integration/mu-cgroup.sh.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "cgroup.h"

static char dir[64];
static int dfd = -1;

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_cgroup.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
}

static void
teardown(void)
{
	char cmd[128];

	close(dfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Creates (or replaces) the file name in fd with text s. */
static void
put(int fd, const char *name, const char *s)
{
	int f = openat(fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(write(f, s, strlen(s)), (ssize_t)strlen(s));
	close(f);
}

/* The text of the file name in fd ("<none>" if missing). */
static const char *
get(int fd, const char *name)
{
	static char buf[256];
	ssize_t n;
	int f = openat(fd, name, O_RDONLY);

	if (f == -1)
		return "<none>";
	n = read(f, buf, sizeof buf - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
limit_files(void)
{
	put(dfd, "memory.max", "");
	put(dfd, "memory.swap.max", "");
	put(dfd, "pids.max", "");
	put(dfd, "cpu.max", "");
}

START_TEST(test_limits)
{
	struct cgroup_limits lim = { 50u << 20, 64, 50000 };
	const char *what = "";

	limit_files();
	ck_assert_int_eq(cgroup_write_limits(dfd, "memory pids cpu", &lim,
	    &what), 0);
	ck_assert_str_eq(get(dfd, "memory.max"), "52428800");
	ck_assert_str_eq(get(dfd, "memory.swap.max"), "0");
	ck_assert_str_eq(get(dfd, "pids.max"), "64");
	ck_assert_str_eq(get(dfd, "cpu.max"), "50000 100000");

	/* only the controllers enabled */
	limit_files();
	ck_assert_int_eq(cgroup_write_limits(dfd, "cpuset pids", &lim, &what),
	    0);
	ck_assert_str_eq(get(dfd, "memory.max"), "");
	ck_assert_str_eq(get(dfd, "pids.max"), "64");
	ck_assert_str_eq(get(dfd, "cpu.max"), "");
	/* a word, not a substring: "cpuset" is not "cpu" */
	ck_assert_int_eq(cgroup_write_limits(dfd, "cpuset memoryx", &lim,
	    &what), 0);
	ck_assert_str_eq(get(dfd, "memory.max"), "");

	/* nothing asked, nothing written; none enabled, nothing written */
	limit_files();
	memset(&lim, 0, sizeof lim);
	ck_assert_int_eq(cgroup_write_limits(dfd, "memory pids cpu", &lim,
	    &what), 0);
	ck_assert_str_eq(get(dfd, "memory.max"), "");
	lim.mem_max = 1;
	ck_assert_int_eq(cgroup_write_limits(dfd, "", &lim, &what), 0);
	ck_assert_str_eq(get(dfd, "memory.max"), "");

	/* --cpus as a quota: milli-CPUs x period / 1000, rounded up */
	ck_assert(cgroup_cpu_quota_us(0) == 0);
	ck_assert(cgroup_cpu_quota_us(-5) == 0);
	ck_assert(cgroup_cpu_quota_us(1000) == CGROUP_CPU_PERIOD_US);
	ck_assert(cgroup_cpu_quota_us(1500) == 150000);
	ck_assert(cgroup_cpu_quota_us(250) == 25000);
	ck_assert(cgroup_cpu_quota_us(8192000) == 819200000);
	memset(&lim, 0, sizeof lim);
	lim.cpu_quota_us = cgroup_cpu_quota_us(1500);
	ck_assert_int_eq(cgroup_write_limits(dfd, "cpu", &lim, &what), 0);
	ck_assert_str_eq(get(dfd, "cpu.max"), "150000 100000");
	lim.cpu_quota_us = cgroup_cpu_quota_us(1);	/* 0.001: 100 us */
	ck_assert(lim.cpu_quota_us == 100);
	put(dfd, "cpu.max", "");	/* a plain file: not truncated by it */
	ck_assert_int_eq(cgroup_write_limits(dfd, "cpu", &lim, &what), 0);
	ck_assert_str_eq(get(dfd, "cpu.max"), "1000 100000");
	/* a tiny cpu quota is raised to cpu.max's minimum */
	memset(&lim, 0, sizeof lim);
	lim.cpu_quota_us = 10;
	ck_assert_int_eq(cgroup_write_limits(dfd, "cpu", &lim, &what), 0);
	ck_assert_str_eq(get(dfd, "cpu.max"), "1000 100000");

	/* no swap accounting is fine; a missing pids.max is not */
	ck_assert_int_eq(unlinkat(dfd, "memory.swap.max", 0), 0);
	ck_assert_int_eq(unlinkat(dfd, "pids.max", 0), 0);
	lim.mem_max = 4096;
	lim.pids_max = 3;
	ck_assert_int_eq(cgroup_write_limits(dfd, "memory pids", &lim, &what),
	    -ENOENT);
	ck_assert_str_eq(what, "pids.max");
	ck_assert_str_eq(get(dfd, "memory.max"), "4096");
}
END_TEST

START_TEST(test_usage)
{
	struct cgroup_usage u;

	cgroup_read_usage(dfd, &u);
	ck_assert_uint_eq(u.flags, 0);

	put(dfd, "cpu.stat", "usage_usec 3000\nuser_usec 1000\n"
	    "system_usec 2000\nnr_periods 0\n");
	cgroup_read_usage(dfd, &u);
	ck_assert_uint_eq(u.flags, CGROUP_USAGE_CPU);
	ck_assert_uint_eq(u.user_us, 1000);
	ck_assert_uint_eq(u.sys_us, 2000);

	put(dfd, "memory.peak", "52428800\n");
	cgroup_read_usage(dfd, &u);
	ck_assert_uint_eq(u.flags, CGROUP_USAGE_CPU | CGROUP_USAGE_MEM);
	ck_assert_uint_eq(u.mem_peak, 52428800);

	/* a key that only ends like the one asked for is not it */
	put(dfd, "cpu.stat", "xuser_usec 5\nsystem_usec 7\n");
	cgroup_read_usage(dfd, &u);
	ck_assert_uint_eq(u.flags, CGROUP_USAGE_MEM);
}
END_TEST

START_TEST(test_events)
{
	char buf[64];

	ck_assert_int_eq(cgroup_populated(dfd), -ENOENT);
	put(dfd, "cgroup.events", "populated 1\nfrozen 0\n");
	ck_assert_int_eq(cgroup_populated(dfd), 1);
	put(dfd, "cgroup.events", "frozen 0\npopulated 0\n");
	ck_assert_int_eq(cgroup_populated(dfd), 0);
	put(dfd, "cgroup.events", "frozen 0\n");
	ck_assert_int_eq(cgroup_populated(dfd), -EINVAL);

	cgroup_controllers(dfd, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	put(dfd, "cgroup.subtree_control", "memory pids\n");
	cgroup_controllers(dfd, buf, sizeof buf);
	ck_assert_str_eq(buf, "memory pids");
}
END_TEST

START_TEST(test_kill)
{
	char pids[64];
	pid_t pid;
	int st;

	/* cgroup.kill: "1" is written into it */
	put(dfd, "cgroup.kill", "");
	ck_assert_int_eq(cgroup_kill(dfd), 0);
	ck_assert_str_eq(get(dfd, "cgroup.kill"), "1");

	/* without it (Linux < 5.14): each pid of cgroup.procs gets SIGKILL */
	ck_assert_int_eq(unlinkat(dfd, "cgroup.kill", 0), 0);
	ck_assert_int_eq(cgroup_kill(dfd), -ENOENT);	/* no cgroup.procs */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(pids, sizeof pids, "%ld\n", (long)pid);
	put(dfd, "cgroup.procs", pids);
	ck_assert_int_eq(cgroup_kill(dfd), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}
END_TEST

START_TEST(test_job_create)
{
	struct cgroup_limits lim;
	struct cgroup_job cj;
	struct stat sb;
	const char *what = "";
	char name[48];

	cgroup_job_name(name, sizeof name, 42, 3);
	ck_assert_str_eq(name, "job-42-3");
	memset(&lim, 0, sizeof lim);
	/* a plain directory gets no cgroup.procs: the job's cgroup is not
	 * completed, and nothing of it is left */
	ck_assert_int_eq(cgroup_job_create(dfd, 42, 3, "", &lim, &cj, &what),
	    -ENOENT);
	ck_assert_str_eq(what, "cgroup.procs");
	ck_assert_int_eq(cj.dirfd, -1);
	ck_assert_int_eq(cj.procs_fd, -1);
	ck_assert_int_eq(fstatat(dfd, "job-42-3", &sb, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* a leftover of the same run is replaced (emptied, removed) */
	ck_assert_int_eq(mkdirat(dfd, "job-42-3", 0755), 0);
	ck_assert_int_eq(cgroup_job_create(dfd, 42, 3, "", &lim, &cj, &what),
	    -ENOENT);
	/* a cgroup dir of the daemon's side that does not exist */
	ck_assert_int_eq(cgroup_job_reap(dir, 7, 1, 10), JOBQ_ENOTFOUND);
}
END_TEST

START_TEST(test_root_open)
{
	struct cgroup_root r;
	char why[512];

	ck_assert_int_eq(cgroup_root_open("off", &r, why, sizeof why), 0);
	ck_assert_str_eq(why, "--cgroup off");
	ck_assert_int_eq(r.jobs_fd, -1);
	/* a path given that is no cgroup2 directory stops jobqd */
	ck_assert_int_eq(cgroup_root_open(dir, &r, why, sizeof why),
	    JOBQ_EINVAL);
	ck_assert_msg(strstr(why, "not a directory of a cgroup2") != NULL,
	    "%s", why);
	ck_assert_int_eq(cgroup_root_open("/nonexistent/jobq", &r, why,
	    sizeof why), JOBQ_EINVAL);
	ck_assert_msg(strstr(why, "/nonexistent/jobq") != NULL, "%s", why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("cgroup");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_job_create);
	tcase_add_test(tc, test_root_open);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
