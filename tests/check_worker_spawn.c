/*
 * check_worker_spawn.c - unit tests (Check) of daemon/worker_spawn.c: a job
 * that starts, the reasons a job cannot start (stage and errno, each
 * reported through the spawn error channel), and the channel itself; the
 * output files in an output directory (first run, append, symlinks, an
 * untrusted directory), in a user's directory in it (WIRE_OUT_USERDIR:
 * made, owned, symlinks and hard links refused) and the output limit
 * (worker_output.c).
 *
 * Built twice: tests/check_worker_spawn with the real vfork(), and
 * tests/check_worker_spawn_fork with -DCHECK_SPAWN_FORK, where vfork() is
 * fork() as under ThreadSanitizer or valgrind (the child's memory is a copy
 * and the parent runs on at once).  Both must report the same outcomes.
 * The tests count the pipes worker_spawn opens (pipe2 is renamed to
 * check_pipe2 for worker_spawn.c by the build): one per spawn until vfork
 * has shown it shares memory, none after that.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "wire.h"
#include "worker_int.h"

static int npipes;	/* pipes worker_spawn opened */

int check_pipe2(int fds[2], int flags);

int
check_pipe2(int fds[2], int flags)
{
	npipes++;
	return (int)syscall(SYS_pipe2, fds, flags);
}

#ifdef CHECK_SPAWN_FORK
pid_t check_spawn_fork(void);

/* worker_spawn.c's vfork() (-Dvfork=check_spawn_fork). */
pid_t
check_spawn_fork(void)
{
	return fork();
}
#define TEST_VFORK check_spawn_fork
#else
#define TEST_VFORK vfork
#endif

/* 1 if vfork() here suspends the parent and shares its memory (0 under
 * ThreadSanitizer, valgrind, or in the fork build). */
static int
vfork_shares(void)
{
	volatile int seen = 0;
	int status;
	pid_t pid;

	if ((pid = TEST_VFORK()) == 0) {
		seen = 1;
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return seen;
}

static char tmpdir[] = "/tmp/check_worker_spawn.XXXXXX";
static char out_path[PATH_MAX], err_path[PATH_MAX];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(out_path, sizeof out_path, "%s/out", tmpdir);
	snprintf(err_path, sizeof err_path, "%s/err", tmpdir);
}

static void
teardown(void)
{
	(void)unlink(out_path);
	(void)unlink(err_path);
	(void)rmdir(tmpdir);
}

/* Spawns argv (environment env, working directory cwd) into *res. */
static void
spawn(const char *const *argv, const char *const *env, const char *cwd,
    struct worker_spawn_result *res)
{
	struct wire_spec spec;

	memset(&spec, 0, sizeof spec);
	spec.argv = (char **)(uintptr_t)argv;
	spec.env = (char **)(uintptr_t)env;
	spec.cwd = (char *)(uintptr_t)cwd;
	spec.out_path = out_path;
	spec.err_path = err_path;
	memset(res, 0xa5, sizeof *res);
	worker_spawn(&spec, getpid(), 1024, res);
}

/* Waits for pid: its exit status (-1 if it did not exit). */
static int
reap(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *const path_env[] = { "PATH=/usr/bin:/bin", NULL };

/* A job that starts: pid > 0, leader of its process group, its output
 * captured. */
static void
expect_started(void)
{
	static const char *const argv[] = { "sh", "-c", "echo hi", NULL };
	struct worker_spawn_result res;
	char buf[16];
	ssize_t n;
	int fd;

	spawn(argv, path_env, tmpdir, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(res.err, 0);
	ck_assert_int_eq(getpgid(res.pid), res.pid);	/* exec'd: after setsid */
	ck_assert_int_eq(reap(res.pid), 0);
	ck_assert_int_ge(fd = open(out_path, O_RDONLY), 0);
	n = read(fd, buf, sizeof buf);
	close(fd);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(buf, "hi\n", 3) == 0);
}

/* A job that cannot start: pid 0, stage and errno as given, no child left. */
static void
expect_failed(const char *const *argv, const char *const *env,
    const char *cwd, int stage, int err)
{
	struct worker_spawn_result res;

	spawn(argv, env, cwd, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, stage);
	ck_assert_int_eq(res.err, err);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* A job with output in tmpdir that cannot start (spawn_out). */
static void spawn_out(const char *const *, uint32_t, uint64_t,
    struct worker_spawn_result *);

static void
expect_failed_out(const char *const *argv, uint32_t flags, int stage,
    int err)
{
	struct worker_spawn_result res;

	spawn_out(argv, flags, 1000, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, stage);
	ck_assert_int_eq(res.err, err);
	ck_assert(res.output.limit == 0);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* The lowest free descriptor (to see that nothing leaks). */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

START_TEST(test_started)
{
	int fd0 = lowest_free_fd();

	expect_started();
	expect_started();
	ck_assert_int_eq(lowest_free_fd(), fd0);
}
END_TEST

START_TEST(test_exec_errors)
{
	static const char *const missing[] = { "/nonexistent/cmd", NULL };
	static const char *const unfound[] = { "no-such-command-here", NULL };
	static const char *const empty[] = { "", NULL };
	static const char *const noexec[] = { "./plain", NULL };
	static const char *const nopath_env[] = { "PATH=/nonexistent:/nope",
	    NULL };
	int fd0 = lowest_free_fd(), fd, i;
	char plain[PATH_MAX];

	snprintf(plain, sizeof plain, "%s/plain", tmpdir);
	ck_assert_int_ge(fd = open(plain, O_WRONLY | O_CREAT, 0644), 0);
	close(fd);
	/* Twice each: the first spawns may take the pipe, later ones not. */
	for (i = 0; i < 2; i++) {
		expect_failed(missing, path_env, "/", WIRE_STAGE_EXEC, ENOENT);
		expect_failed(unfound, nopath_env, "/", WIRE_STAGE_EXEC,
		    ENOENT);
		expect_failed(empty, path_env, "/", WIRE_STAGE_EXEC, ENOENT);
		expect_failed(noexec, path_env, tmpdir, WIRE_STAGE_EXEC,
		    EACCES);
	}
	(void)unlink(plain);
	ck_assert_int_eq(lowest_free_fd(), fd0);
}
END_TEST

/* Failures and successes in turn: no outcome leaks into the next spawn. */
/* Spawns argv with its output in tmpdir/out and tmpdir/err (an output
 * directory: wire.h), flags and limit as given. */
static void
spawn_out(const char *const *argv, uint32_t flags, uint64_t limit,
    struct worker_spawn_result *res)
{
	struct wire_spec spec;

	memset(&spec, 0, sizeof spec);
	spec.argv = (char **)(uintptr_t)argv;
	spec.env = (char **)(uintptr_t)path_env;
	spec.cwd = (char *)"/";
	spec.out_dir = tmpdir;
	spec.out_path = (char *)"out";
	spec.err_path = (char *)"err";
	spec.out_flags = flags;
	spec.out_limit = limit;
	memset(res, 0xa5, sizeof *res);
	worker_spawn(&spec, getpid(), 1024, res);
}

/* The contents of path (at most len - 1 bytes), NUL-terminated; its size. */
static ssize_t
slurp(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	n = read(fd, buf, len - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return n;
}

START_TEST(test_output_dir)
{
	static const char *const hi[] = { "sh", "-c", "echo hi", NULL };
	static const char *const again[] = { "sh", "-c", "echo again", NULL };
	static const char *const bad[] = { "sh", "-c", "echo no", NULL };
	struct worker_spawn_result res;
	struct wire_spec spec;
	char target[PATH_MAX], buf[64];
	int fd0 = lowest_free_fd(), fd;

	/* The first run creates the files. */
	spawn_out(hi, WIRE_OUT_EXCL, 0, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	slurp(out_path, buf, sizeof buf);
	ck_assert_str_eq(buf, "hi\n");
	/* A first run never takes a file that is there. */
	expect_failed_out(bad, WIRE_OUT_EXCL, WIRE_STAGE_OUTPUT_TAKEN, EEXIST);
	slurp(out_path, buf, sizeof buf);
	ck_assert_str_eq(buf, "hi\n");
	/* A later run appends. */
	spawn_out(again, 0, 0, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	slurp(out_path, buf, sizeof buf);
	ck_assert_str_eq(buf, "hi\nagain\n");
	/* A symlink is never followed, first run or not. */
	snprintf(target, sizeof target, "%s/target", tmpdir);
	ck_assert_int_ge(fd = open(target, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "keep\n", 5), 5);
	close(fd);
	ck_assert_int_eq(unlink(err_path), 0);
	ck_assert_int_eq(symlink(target, err_path), 0);
	expect_failed_out(bad, 0, WIRE_STAGE_OUTPUT, ELOOP);
	ck_assert_int_eq(unlink(out_path), 0);
	expect_failed_out(bad, WIRE_OUT_EXCL, WIRE_STAGE_OUTPUT_TAKEN, EEXIST);
	slurp(target, buf, sizeof buf);
	ck_assert_str_eq(buf, "keep\n");
	ck_assert_int_eq(unlink(err_path), 0);
	ck_assert_int_eq(unlink(target), 0);
	/* Nor anything but a regular file (a FIFO would hang the worker). */
	ck_assert_int_eq(mkfifo(err_path, 0600), 0);
	expect_failed_out(bad, 0, WIRE_STAGE_OUTPUT, ENXIO);
	ck_assert_int_eq(unlink(err_path), 0);
	(void)unlink(out_path);
	/* A directory others may write to is not used. */
	ck_assert_int_eq(chmod(tmpdir, 0777), 0);
	expect_failed_out(bad, WIRE_OUT_EXCL, WIRE_STAGE_OUTPUT, EPERM);
	ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	ck_assert_int_eq(access(out_path, F_OK), -1);
	/* Names are plain names in the directory. */
	memset(&spec, 0, sizeof spec);
	spec.argv = (char **)(uintptr_t)bad;
	spec.env = (char **)(uintptr_t)path_env;
	spec.cwd = (char *)"/";
	spec.out_dir = tmpdir;
	spec.out_path = (char *)"../out";
	spec.err_path = (char *)"err";
	worker_spawn(&spec, getpid(), 1024, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_OUTPUT);
	ck_assert_int_eq(res.err, EINVAL);
	ck_assert_int_eq(lowest_free_fd(), fd0);
}
END_TEST

/* Spawns argv with its output in tmpdir/UID/uout and uerr (WIRE_OUT_USERDIR,
 * owned by uid), flags as given. */
static void
spawn_user(const char *const *argv, uint32_t flags, uid_t uid,
    struct worker_spawn_result *res)
{
	struct wire_spec spec;

	memset(&spec, 0, sizeof spec);
	spec.argv = (char **)(uintptr_t)argv;
	spec.env = (char **)(uintptr_t)path_env;
	spec.cwd = (char *)"/";
	spec.out_dir = tmpdir;
	spec.out_path = (char *)"uout";
	spec.err_path = (char *)"uerr";
	spec.out_flags = flags | WIRE_OUT_USERDIR;
	spec.uid = (uint32_t)uid;
	spec.gid = WIRE_GID_PRIMARY;
	memset(res, 0xa5, sizeof *res);
	worker_spawn(&spec, getpid(), 1024, res);
}

/* tmpdir/UID[/name] into buf. */
static void
user_path(char *buf, size_t len, uid_t uid, const char *name)
{
	snprintf(buf, len, "%s/%lu%s%s", tmpdir, (unsigned long)uid,
	    name != NULL ? "/" : "", name != NULL ? name : "");
}

/* The directory of uid's files (userdir.h) and the files themselves. */
START_TEST(test_output_userdir)
{
	static const char *const hi[] = { "sh", "-c", "echo hi", NULL };
	struct worker_spawn_result res;
	uid_t uid = geteuid() == 0 ? 54321 : geteuid();
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], target[PATH_MAX];
	char buf[64];
	struct stat st;
	int fd0 = lowest_free_fd(), fd;

	user_path(dir, sizeof dir, uid, NULL);
	user_path(out, sizeof out, uid, "uout");
	user_path(err, sizeof err, uid, "uerr");
	/* First use: the directory is made, uid's, 0700; the files uid's,
	 * 0600. */
	spawn_user(hi, WIRE_OUT_EXCL, uid, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_uid, uid);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(lstat(out, &st), 0);
	ck_assert_uint_eq(st.st_uid, uid);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	slurp(out, buf, sizeof buf);
	ck_assert_str_eq(buf, "hi\n");
	/* A later run appends to the user's own file ... */
	spawn_user(hi, 0, uid, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	slurp(out, buf, sizeof buf);
	ck_assert_str_eq(buf, "hi\nhi\n");
	/* ... but not through a symlink, nor to a file with two links. */
	snprintf(target, sizeof target, "%s/target", tmpdir);
	ck_assert_int_ge(fd = open(target, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "keep\n", 5), 5);
	close(fd);
	ck_assert_int_eq(unlink(err), 0);
	ck_assert_int_eq(symlink(target, err), 0);
	spawn_user(hi, 0, uid, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_OUTPUT_REFUSED);
	ck_assert_int_eq(res.err, ELOOP);
	ck_assert_int_eq(unlink(err), 0);
	ck_assert_int_eq(link(out, err), 0);
	spawn_user(hi, 0, uid, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_OUTPUT_REFUSED);
	ck_assert_int_eq(res.err, EPERM);
	ck_assert_int_eq(unlink(err), 0);
	/* A first run onto a symlink: taken, said to be a symlink. */
	ck_assert_int_eq(unlink(out), 0);
	ck_assert_int_eq(symlink(target, out), 0);
	spawn_user(hi, WIRE_OUT_EXCL, uid, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_OUTPUT_TAKEN);
	ck_assert_int_eq(res.err, ELOOP);
	slurp(target, buf, sizeof buf);
	ck_assert_str_eq(buf, "keep\n");
	ck_assert_int_eq(unlink(out), 0);
	/* The directory: a symlink is not followed, a group-writable one is
	 * refused; nothing is written. */
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(symlink(tmpdir, dir), 0);
	spawn_user(hi, WIRE_OUT_EXCL, uid, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_USER_DIR);
	ck_assert_int_eq(res.err, ELOOP);
	snprintf(target, sizeof target, "%s/uout", tmpdir);
	ck_assert_int_eq(access(target, F_OK), -1);	/* the link's target */
	snprintf(target, sizeof target, "%s/target", tmpdir);
	ck_assert_int_eq(unlink(dir), 0);
	ck_assert_int_eq(mkdir(dir, 0770), 0);
	ck_assert_int_eq(chmod(dir, 0770), 0);
	if (uid != geteuid())
		ck_assert_int_eq(chown(dir, uid, (gid_t)-1), 0);
	spawn_user(hi, WIRE_OUT_EXCL, uid, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_USER_DIR);
	ck_assert_int_eq(res.err, EPERM);
	ck_assert_int_eq(access(out, F_OK), -1);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(lowest_free_fd(), fd0);
}
END_TEST

static const char marker[] = "jobq: output truncated at 1000 bytes "
    "(output limit)\n";

START_TEST(test_output_limit_end)
{
	/* 300 lines of 20 bytes to stdout, a little to stderr. */
	static const char *const argv[] = { "sh", "-c", "i=0; while [ $i -lt "
	    "300 ]; do echo 0123456789abcdefghi; i=$((i+1)); done; echo e >&2",
	    NULL };
	struct worker_spawn_result res;
	uint64_t limit = 0;
	char buf[4096];
	int fd0 = lowest_free_fd();

	spawn_out(argv, WIRE_OUT_EXCL, 1000, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert(res.output.limit == 1000);
	ck_assert_int_ge(res.output.fd[0], 0);
	ck_assert_int_ge(res.output.fd[1], 0);
	ck_assert_int_eq(reap(res.pid), 0);
	/* Found at the end: truncated at the limit, on a line boundary. */
	ck_assert_uint_eq(worker_output_end(&res.output, 1, &limit),
	    WIRE_END_OUTPUT_OUT);
	ck_assert(limit == 1000);
	ck_assert(res.output.limit == 0);
	ck_assert_int_eq(slurp(out_path, buf, sizeof buf),
	    1000 + (ssize_t)strlen(marker));
	ck_assert_str_eq(buf + 1000, marker);
	ck_assert(strncmp(buf + 980, "0123456789abcdefghi\n", 20) == 0);
	slurp(err_path, buf, sizeof buf);
	ck_assert_str_eq(buf, "e\n");
	ck_assert_int_eq(lowest_free_fd(), fd0);
	/* Nothing watched: nothing to do. */
	ck_assert_uint_eq(worker_output_end(&res.output, 1, &limit), 0);
	ck_assert_int_eq(worker_output_timeout(&res.output), -1);
}
END_TEST

START_TEST(test_output_limit_kill)
{
	static const char *const argv[] = { "sh", "-c", "while :; do echo "
	    "01234567890123456789; done", NULL };
	struct worker_spawn_result res;
	uint64_t limit = 0;
	char buf[4096];
	int status, i, t;
	pid_t pid;

	ck_assert_int_eq(unlink(out_path) == 0 || errno == ENOENT, 1);
	(void)unlink(err_path);
	spawn_out(argv, WIRE_OUT_EXCL, 1000, &res);
	ck_assert_int_gt(res.pid, 0);
	/* Watched while it runs: killed once past the limit. */
	for (i = 0, pid = 0; i < 1000 && pid == 0; i++) {
		t = worker_output_timeout(&res.output);
		ck_assert(t >= 0 && t <= 100);
		usleep(10000);
		worker_output_poll(&res.output, res.pid, 1);
		pid = waitpid(res.pid, &status, WNOHANG);
	}
	ck_assert_int_eq(pid, res.pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_uint_eq(worker_output_end(&res.output, 1, &limit),
	    WIRE_END_OUTPUT_OUT);
	/* 1000 is not a line boundary: the marker starts a line. */
	ck_assert_int_eq(slurp(out_path, buf, sizeof buf),
	    1000 + 1 + (ssize_t)strlen(marker));
	ck_assert_int_eq(buf[1000], '\n');
	ck_assert_str_eq(buf + 1001, marker);
}
END_TEST

START_TEST(test_alternating)
{
	static const char *const missing[] = { "/nonexistent/cmd", NULL };
	int i;

	for (i = 0; i < 3; i++) {
		expect_failed(missing, path_env, "/", WIRE_STAGE_EXEC, ENOENT);
		expect_started();
	}
}
END_TEST

/* Failures before vfork: no channel involved. */
START_TEST(test_before_vfork)
{
	static const char *const argv[] = { "true", NULL };
	struct worker_spawn_result res;
	char err[256];

	expect_failed(argv, path_env, "/nonexistent/dir", WIRE_STAGE_CWD,
	    ENOENT);
	ck_assert_int_eq(fault_init("spawn", err, sizeof err), 0);
	spawn(argv, path_env, "/", &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_FORK);
	ck_assert_int_eq(res.err, EAGAIN);
	ck_assert_int_eq(fault_init(NULL, err, sizeof err), 0);
	ck_assert_int_eq(npipes, 0);
}
END_TEST

/* The pipe is used until vfork has shown that it shares memory: once with a
 * real vfork, for every spawn without. */
START_TEST(test_channel_pipes)
{
	static const char *const missing[] = { "/nonexistent/cmd", NULL };
	int shares = vfork_shares(), i;

#ifdef CHECK_SPAWN_FORK
	ck_assert_int_eq(shares, 0);
#endif
	npipes = 0;
	for (i = 0; i < 4; i++) {
		expect_failed(missing, path_env, "/", WIRE_STAGE_EXEC, ENOENT);
		expect_started();
	}
	ck_assert_int_eq(npipes, (shares ? 1 : 8));
}
END_TEST

/* The job's output file, runs of spaces squeezed to one, into buf. */
static void
read_squeezed(char *buf, size_t len)
{
	char raw[8192];
	ssize_t n;
	size_t i, k = 0;
	int fd;

	ck_assert_int_ge(fd = open(out_path, O_RDONLY), 0);
	n = read(fd, raw, sizeof raw - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	for (i = 0; i < (size_t)n && k + 1 < len; i++)
		if (raw[i] != ' ' || k == 0 || buf[k - 1] != ' ')
			buf[k++] = raw[i];
	buf[k] = '\0';
}

/* Resource limits: the job's set soft = hard, its nice value, and the
 * start-up limits restored before them; a limit the kernel refuses fails
 * the start at its own stage. */
START_TEST(test_limits)
{
	static const char *const argv[] = { "sh", "-c",
	    "cat /proc/self/limits; echo nice $(nice)", NULL };
	struct worker_spawn_result res;
	struct wire_spec spec;
	struct rlimit mq;
	char buf[8192], want[128];

	ck_assert_int_eq(getrlimit(RLIMIT_MSGQUEUE, &mq), 0);
	memset(&spec, 0, sizeof spec);
	spec.argv = (char **)(uintptr_t)argv;
	spec.env = (char **)(uintptr_t)path_env;
	spec.cwd = tmpdir;
	spec.out_path = out_path;
	spec.err_path = err_path;
	spec.limits.set = JOBQ_LIMIT_ALL;
	spec.limits.mem = (int64_t)1 << 30;
	spec.limits.cpu_time = 100;
	spec.limits.nofile = 64;
	spec.limits.nproc = 5000;
	spec.limits.core = 4096;
	spec.limits.nice = 7;
	spec.rl_base[0].resource = RLIMIT_MSGQUEUE;
	spec.rl_base[0].cur = 12345;
	spec.rl_base[0].max = mq.rlim_max;
	spec.nrl_base = 1;
	worker_spawn(&spec, getpid(), 1024, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	read_squeezed(buf, sizeof buf);
	ck_assert_msg(strstr(buf, "Max address space 1073741824 1073741824 "
	    "bytes") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "Max cpu time 100 100 seconds") != NULL,
	    "%s", buf);
	ck_assert_msg(strstr(buf, "Max open files 64 64 files") != NULL,
	    "%s", buf);
	ck_assert_msg(strstr(buf, "Max processes 5000 5000 processes") !=
	    NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "Max core file size 4096 4096 bytes") !=
	    NULL, "%s", buf);
	if (mq.rlim_max == RLIM_INFINITY)
		snprintf(want, sizeof want, "Max msgqueue size 12345 "
		    "unlimited bytes");
	else
		snprintf(want, sizeof want, "Max msgqueue size 12345 %llu "
		    "bytes", (unsigned long long)mq.rlim_max);
	ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "nice 7\n") != NULL, "%s", buf);

	/* Only some set: the others are the worker's. */
	spec.limits.set = JOBQ_LIMIT_NOFILE;
	spec.nrl_base = 0;
	worker_spawn(&spec, getpid(), 1024, &res);
	ck_assert_int_gt(res.pid, 0);
	ck_assert_int_eq(reap(res.pid), 0);
	read_squeezed(buf, sizeof buf);
	ck_assert_msg(strstr(buf, "Max open files 64 64 files") != NULL,
	    "%s", buf);
	ck_assert_msg(strstr(buf, "nice 0\n") != NULL, "%s", buf);

	/* Refused by the kernel: beyond fs.nr_open. */
	spec.limits.nofile = (int64_t)1 << 30;
	worker_spawn(&spec, getpid(), 1024, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_LIMIT + 2);
	ck_assert_int_eq(res.err, EPERM);
	/* A base limit that cannot be restored (soft above hard). */
	spec.limits.set = 0;
	spec.rl_base[0].resource = RLIMIT_CORE;
	spec.rl_base[0].cur = 2;
	spec.rl_base[0].max = 1;
	spec.nrl_base = 1;
	worker_spawn(&spec, getpid(), 1024, &res);
	ck_assert_int_eq(res.pid, 0);
	ck_assert_int_eq(res.stage, WIRE_STAGE_RLIMIT_BASE);
	ck_assert_int_eq(res.err, EINVAL);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

static Suite *
spawn_suite(void)
{
	Suite *s = suite_create("worker_spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_started);
	tcase_add_test(tc, test_exec_errors);
	tcase_add_test(tc, test_alternating);
	tcase_add_test(tc, test_before_vfork);
	tcase_add_test(tc, test_channel_pipes);
	tcase_add_test(tc, test_output_dir);
	tcase_add_test(tc, test_output_userdir);
	tcase_add_test(tc, test_output_limit_end);
	tcase_add_test(tc, test_output_limit_kill);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(spawn_suite());
	int failed;

	/* Each test in its own process: worker_spawn's "vfork shares memory"
	 * is learnt afresh. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
