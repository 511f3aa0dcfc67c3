/*
 * check_slurm.c - unit tests (Check) of daemon/slurm.c, the Slurm thread,
 * on a real uv loop with ordinary programs standing in for the Slurm
 * commands: stdout kept exactly (binary, large, truncated past
 * SLURM_OUT_MAX), the start of stderr, stdin fed, the wait status; the
 * deadline (a sleeper, one whose child keeps stdout open, one that closes
 * its output and lives on: each killed with its process group); a missing
 * program; the environment; the identity switch (as root only); FIFO order
 * and slurm_pending; slurm_close with commands queued; the descriptors a
 * command inherits.  Everything handed back is freed (for ASan's leak
 * check); the SLURM_OUT_MAX test is left out under ASan (too slow there).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "jobq.h"
#include "slurm.h"
#include "util.h"

#define MAXDONE 16

static uv_loop_t loop;
static struct slurm *sl;
static struct slurm_cmd *done[MAXDONE];
static size_t ndone, pending_at[MAXDONE];
static int nclosed;
static size_t closed_after;	/* ndone when closed() was called */

static void
on_done(struct slurm_cmd *cmd)
{
	ck_assert_uint_lt(ndone, MAXDONE);
	pending_at[ndone] = slurm_pending(sl);
	done[ndone++] = cmd;
}

static void
on_closed(void *arg)
{
	ck_assert_ptr_eq(arg, &loop);
	nclosed++;
	closed_after = ndone;
}

static void
start(int64_t timeout_ms)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(slurm_new(&loop, timeout_ms, &sl), 0);
	ndone = 0;
	nclosed = 0;
	/* the orphans of a command killed at its deadline become ours, so
	 * that their end can be waited for (gone()) */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

/* Closes the thread, runs the loop to its end; every command handed back
 * is freed. */
static void
stop(void)
{
	size_t i;

	slurm_close(sl, on_closed, &loop);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ck_assert_int_eq(nclosed, 1);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	for (i = 0; i < ndone; i++)
		slurm_cmd_free(done[i]);
	sl = NULL;
}

/* Runs the loop until n commands have come back. */
static void
wait_done(size_t n)
{
	while (ndone < n)
		ck_assert_int_ne(uv_run(&loop, UV_RUN_ONCE), 0);
}

/* A command of the given arguments (NULL-terminated), its argv one malloc'd
 * block as slurm_text builds it. */
static struct slurm_cmd *
mkcmd(const char *a0, ...)
{
	struct slurm_cmd *cmd;
	const char *a[16];
	size_t n = 0, sz = 0, i;
	va_list ap;
	char **v, *p;

	va_start(ap, a0);
	for (a[n] = a0; a[n] != NULL; a[n] = va_arg(ap, const char *)) {
		sz += strlen(a[n]) + 1;
		ck_assert_uint_lt(++n, 16);
	}
	va_end(ap);
	ck_assert_ptr_nonnull(cmd = slurm_cmd_new());
	ck_assert_ptr_nonnull(v = malloc((n + 1) * sizeof *v + sz));
	p = (char *)(v + n + 1);
	for (i = 0; i < n; i++) {
		v[i] = p;
		p = stpcpy(p, a[i]) + 1;
	}
	v[n] = NULL;
	cmd->argv = v;
	cmd->done = on_done;
	return cmd;
}

/* Runs cmd alone and waits for it. */
static struct slurm_cmd *
run(struct slurm_cmd *cmd)
{
	size_t n = ndone;

	slurm_run(sl, cmd);
	wait_done(n + 1);
	ck_assert_ptr_eq(done[n], cmd);
	return cmd;
}

static void
assert_exit(const struct slurm_cmd *cmd, int code)
{
	ck_assert_int_eq(cmd->status, 0);
	ck_assert_msg(WIFEXITED(cmd->wstatus) &&
	    WEXITSTATUS(cmd->wstatus) == code, "wstatus %#x, want exit %d",
	    cmd->wstatus, code);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (bounded) until no process is left in process group pgid, reaping
 * its orphans (start() made us their subreaper); 1 if it is gone. */
static int
gone(pid_t pgid)
{
	int64_t end = now_ms() + 10000;
	struct timespec ts = { 0, 10 * 1000000 };

	while (now_ms() < end) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* ---- output, input, status ---- */

START_TEST(test_stdout_binary)
{
	char path[] = "/tmp/check_slurm.XXXXXX";
	size_t len = 300 * 1024 + 7, i;
	unsigned char *buf;
	struct slurm_cmd *cmd;
	int fd;

	/* every byte value, NULs included, past one 64 KiB read */
	ck_assert_ptr_nonnull(buf = malloc(len));
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + i / 256);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	start(30000);
	cmd = run(mkcmd("/bin/cat", path, NULL));
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, len);
	ck_assert_int_eq(memcmp(cmd->out, buf, len), 0);
	ck_assert_int_eq(cmd->out[len], '\0');
	ck_assert_int_eq(cmd->truncated, 0);
	ck_assert_str_eq(cmd->err, "");
	stop();
	unlink(path);
	free(buf);
}
END_TEST

/* Not under ASan: 32 MiB kept 64 KiB at a time, each realloc a copy there,
 * takes half a minute. */
#ifndef __SANITIZE_ADDRESS__
START_TEST(test_stdout_max)
{
	struct slurm_cmd *cmd, *cmd2;
	char n[32];
	size_t i;

	start(30000);
	/* exactly SLURM_OUT_MAX: all of it, not truncated */
	snprintf(n, sizeof n, "%u", SLURM_OUT_MAX);
	cmd = run(mkcmd("/usr/bin/head", "-c", n, "/dev/zero", NULL));
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, SLURM_OUT_MAX);
	ck_assert_int_eq(cmd->truncated, 0);
	/* more: the rest read (it ends) and dropped */
	snprintf(n, sizeof n, "%u", SLURM_OUT_MAX + 200000);
	cmd2 = run(mkcmd("/usr/bin/head", "-c", n, "/dev/zero", NULL));
	assert_exit(cmd2, 0);
	ck_assert_uint_eq(cmd2->outlen, SLURM_OUT_MAX);
	ck_assert_int_eq(cmd2->truncated, 1);
	for (i = 0; i < cmd2->outlen; i++)
		if (cmd2->out[i] != '\0')
			break;
	ck_assert_uint_eq(i, SLURM_OUT_MAX);
	stop();
}
END_TEST
#endif

START_TEST(test_stdin)
{
	size_t len = 200 * 1024, i;
	struct slurm_cmd *cmd;
	char *in;

	start(30000);
	ck_assert_ptr_nonnull(in = malloc(len + 1));
	for (i = 0; i < len; i++)
		in[i] = i % 61 == 60 ? '\n' : (char)('!' + i % 90);
	in[len] = '\0';
	cmd = mkcmd("/bin/cat", NULL);
	cmd->input = in;
	run(cmd);
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, len);
	ck_assert_int_eq(memcmp(cmd->out, in, len), 0);
	/* no input: an empty stdin (cat ends at once) */
	cmd = run(mkcmd("/bin/cat", NULL));
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, 0);
	/* input the command never reads: it still ends */
	cmd = mkcmd("/bin/true", NULL);
	ck_assert_ptr_nonnull(cmd->input = strdup(in));
	run(cmd);
	assert_exit(cmd, 0);
	stop();
}
END_TEST

START_TEST(test_stderr_status)
{
	struct slurm_cmd *cmd;
	char buf[256];
	size_t i;

	start(30000);
	cmd = run(mkcmd("/bin/sh", "-c",
	    "echo out; echo 'sbatch: error: no' >&2; echo more >&2; exit 3",
	    NULL));
	assert_exit(cmd, 3);
	ck_assert_uint_eq(cmd->outlen, 4);
	ck_assert_str_eq(cmd->out, "out\n");
	ck_assert_str_eq(cmd->err, "sbatch: error: no\nmore\n");
	slurm_cmd_error(cmd, buf, sizeof buf);
	ck_assert_str_eq(buf, "/bin/sh exited 3: sbatch: error: no more");

	/* a lot of stderr: its start kept, the rest drained */
	cmd = run(mkcmd("/bin/sh", "-c",
	    "head -c 300000 /dev/zero | tr '\\000' e >&2; echo ok", NULL));
	assert_exit(cmd, 0);
	ck_assert_str_eq(cmd->out, "ok\n");
	ck_assert_uint_eq(strlen(cmd->err), sizeof cmd->err - 1);
	for (i = 0; i < sizeof cmd->err - 1; i++)
		ck_assert_int_eq(cmd->err[i], 'e');

	/* killed by a signal */
	cmd = run(mkcmd("/bin/sh", "-c", "kill -TERM $$", NULL));
	ck_assert_int_eq(cmd->status, 0);
	ck_assert(WIFSIGNALED(cmd->wstatus));
	ck_assert_int_eq(WTERMSIG(cmd->wstatus), SIGTERM);
	slurm_cmd_error(cmd, buf, sizeof buf);
	ck_assert_str_eq(buf, "/bin/sh killed by signal 15");

	/* success: no error, and no output is no buffer */
	cmd = run(mkcmd("/bin/true", NULL));
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, 0);
	slurm_cmd_error(cmd, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	stop();
}
END_TEST

START_TEST(test_missing)
{
	struct slurm_cmd *cmd;

	start(30000);
	cmd = run(mkcmd("/nonexistent/sbatch", "--parsable", NULL));
	assert_exit(cmd, 127);
	ck_assert_ptr_nonnull(strstr(cmd->err, "cannot execute"));
	ck_assert_uint_eq(cmd->outlen, 0);
	stop();
}
END_TEST

/* ---- the deadline ---- */

/* Runs argv (its first line of output: the pid of its process group's
 * leader) with a 300 ms deadline; it must be killed well before its 30 s
 * sleep ends, nothing left of its process group. */
static void
check_killed(struct slurm_cmd *cmd)
{
	int64_t t0 = now_ms(), took;
	char buf[256];
	long pid;

	run(cmd);
	took = now_ms() - t0;
	ck_assert_int_eq(cmd->status, JOBQ_ETIMEDOUT);
	ck_assert_msg(took < 20000, "came back after %lld ms",
	    (long long)took);
	ck_assert_int_ge(cmd->ms, 300);
	ck_assert_int_lt(cmd->ms, 20000);
	ck_assert_ptr_nonnull(cmd->out);
	pid = strtol(cmd->out, NULL, 10);
	ck_assert_int_gt(pid, 1);
	ck_assert_msg(gone((pid_t)pid), "process group %ld still there", pid);
	slurm_cmd_error(cmd, buf, sizeof buf);
	ck_assert_ptr_nonnull(strstr(buf, "/bin/sh timed out after"));
}

START_TEST(test_timeout_sleep)
{
	start(300);
	check_killed(mkcmd("/bin/sh", "-c", "echo $$; exec sleep 30", NULL));
	stop();
}
END_TEST

START_TEST(test_timeout_child)
{
	start(300);
	/* the shell's child keeps stdout open after the shell is gone */
	check_killed(mkcmd("/bin/sh", "-c", "echo $$; sleep 30 & sleep 30",
	    NULL));
	check_killed(mkcmd("/bin/sh", "-c", "echo $$; sleep 30 & exit 0",
	    NULL));
	stop();
}
END_TEST

START_TEST(test_timeout_closed)
{
	start(300);
	/* its output ends long before it does */
	check_killed(mkcmd("/bin/sh", "-c",
	    "echo $$; exec sleep 30 >&- 2>&-", NULL));
	stop();
}
END_TEST

/* the deadline is per command: the next one runs in full */
START_TEST(test_timeout_next)
{
	struct slurm_cmd *a, *b;

	start(300);
	a = mkcmd("/bin/sh", "-c", "echo $$; exec sleep 30", NULL);
	b = mkcmd("/bin/sh", "-c", "echo next", NULL);
	slurm_run(sl, a);
	slurm_run(sl, b);
	wait_done(2);
	ck_assert_ptr_eq(done[0], a);
	ck_assert_ptr_eq(done[1], b);
	ck_assert_int_eq(a->status, JOBQ_ETIMEDOUT);
	assert_exit(b, 0);
	ck_assert_str_eq(b->out, "next\n");
	ck_assert(gone((pid_t)strtol(a->out, NULL, 10)));
	stop();
}
END_TEST

/* ---- environment, identity, descriptors ---- */

START_TEST(test_env)
{
	struct slurm_cmd *cmd;
	char **env;

	start(30000);
	ck_assert_ptr_nonnull(env = calloc(3, sizeof *env));
	ck_assert_ptr_nonnull(env[0] = strdup("A=1"));
	ck_assert_ptr_nonnull(env[1] = strdup("B=two words"));
	cmd = mkcmd("/usr/bin/env", NULL);
	cmd->env = env;
	run(cmd);
	assert_exit(cmd, 0);
	ck_assert_str_eq(cmd->out, "A=1\nB=two words\n");
	/* an empty one */
	cmd = mkcmd("/usr/bin/env", NULL);
	ck_assert_ptr_nonnull(cmd->env = calloc(1, sizeof *cmd->env));
	run(cmd);
	assert_exit(cmd, 0);
	ck_assert_uint_eq(cmd->outlen, 0);
	/* none: the daemon's own */
	ck_assert_int_eq(setenv("CHECK_SLURM_VAR", "x y", 1), 0);
	cmd = run(mkcmd("/usr/bin/env", NULL));
	assert_exit(cmd, 0);
	ck_assert_ptr_nonnull(strstr(cmd->out, "\nCHECK_SLURM_VAR=x y\n"));
	stop();
}
END_TEST

/* "uid\ngid\ngroups\n" that id should print for uid/gid ((gid_t)-1: the
 * passwd entry's). */
static void
expect_ids(uid_t uid, gid_t gid, char *buf, size_t len)
{
	struct passwd *pw;
	gid_t g[256];
	int n = 256, i, j;
	size_t off;

	ck_assert_ptr_nonnull(pw = getpwuid(uid));
	if (gid == (gid_t)-1)
		gid = pw->pw_gid;
	ck_assert_int_ge(getgrouplist(pw->pw_name, gid, g, &n), 0);
	/* id -G: the effective group, then the others in order */
	off = (size_t)snprintf(buf, len, "%u\n%u\n%u", (unsigned)uid,
	    (unsigned)gid, (unsigned)gid);
	for (i = 0; i < n; i++) {
		if (g[i] == gid)
			continue;
		for (j = 0; j < i; j++)
			if (g[j] == g[i])
				break;
		if (j == i)
			off += (size_t)snprintf(buf + off, len - off, " %u",
			    (unsigned)g[i]);
	}
	snprintf(buf + off, len - off, "\n");
}

START_TEST(test_as_user)
{
	struct slurm_cmd *cmd;
	char want[4096];

	start(30000);
	if (geteuid() != 0) {
		fprintf(stderr, "check_slurm: not root, as_user not tested\n");
		stop();
		return;
	}
	cmd = mkcmd("/bin/sh", "-c", "id -u; id -g; id -G", NULL);
	cmd->as_user = 1;
	cmd->uid = 65534;
	cmd->gid = (gid_t)-1;
	run(cmd);
	assert_exit(cmd, 0);
	expect_ids(65534, (gid_t)-1, want, sizeof want);
	ck_assert_str_eq(cmd->out, want);
	ck_assert_uint_eq(cmd->gid, getpwuid(65534)->pw_gid);
	/* another primary group */
	cmd = mkcmd("/bin/sh", "-c", "id -u; id -g; id -G", NULL);
	cmd->as_user = 1;
	cmd->uid = 65534;
	cmd->gid = 100;
	run(cmd);
	assert_exit(cmd, 0);
	expect_ids(65534, 100, want, sizeof want);
	ck_assert_str_eq(cmd->out, want);
	/* no passwd entry: its own group only */
	if (getpwuid(4000123) == NULL) {
		cmd = mkcmd("/bin/sh", "-c", "id -u; id -g; id -G", NULL);
		cmd->as_user = 1;
		cmd->uid = 4000123;
		cmd->gid = 4000124;
		run(cmd);
		assert_exit(cmd, 0);
		ck_assert_str_eq(cmd->out, "4000123\n4000124\n4000124\n");
	}
	stop();
}
END_TEST

/* no passwd entry and no group given: refused before anything runs (needs
 * no privilege) */
START_TEST(test_as_user_unknown)
{
	struct slurm_cmd *cmd;

	if (getpwuid(4000123) != NULL)
		return;
	start(30000);
	cmd = mkcmd("/bin/sh", "-c", "echo ran", NULL);
	cmd->as_user = 1;
	cmd->uid = 4000123;
	cmd->gid = (gid_t)-1;
	run(cmd);
	ck_assert_int_eq(cmd->status, JOBQ_EIO);
	ck_assert_ptr_nonnull(strstr(cmd->err, "the user's groups"));
	ck_assert_uint_eq(cmd->outlen, 0);
	stop();
}
END_TEST

START_TEST(test_fds)
{
	struct slurm_cmd *cmd;
	int p[2], hi[2];

	/* descriptors without O_CLOEXEC, high and low */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(hi[0] = fcntl(p[0], F_DUPFD, 50), 50);
	ck_assert_int_ge(hi[1] = fcntl(p[1], F_DUPFD, 50), 50);
	start(30000);
	cmd = run(mkcmd("/bin/ls", "/proc/self/fd", NULL));
	assert_exit(cmd, 0);
	/* 0-2 and ls's own directory (the lowest free) */
	ck_assert_str_eq(cmd->out, "0\n1\n2\n3\n");
	stop();
	close(p[0]);
	close(p[1]);
	close(hi[0]);
	close(hi[1]);
}
END_TEST

/* ---- the queue ---- */

START_TEST(test_fifo)
{
	struct slurm_cmd *c[5];
	char s[32];
	size_t i;

	start(30000);
	ck_assert_uint_eq(slurm_pending(sl), 0);
	for (i = 0; i < 5; i++) {
		snprintf(s, sizeof s, "echo %zu", i);
		c[i] = mkcmd("/bin/sh", "-c", s, NULL);
		slurm_run(sl, c[i]);
		ck_assert_uint_eq(slurm_pending(sl), i + 1);
	}
	wait_done(5);
	for (i = 0; i < 5; i++) {
		ck_assert_ptr_eq(done[i], c[i]);
		ck_assert_uint_eq(pending_at[i], 4 - i);
		assert_exit(c[i], 0);
		snprintf(s, sizeof s, "%zu\n", i);
		ck_assert_str_eq(c[i]->out, s);
	}
	ck_assert_uint_eq(slurm_pending(sl), 0);
	stop();
	ck_assert_uint_eq(closed_after, 5);
}
END_TEST

START_TEST(test_close_queued)
{
	char dir[] = "/tmp/check_slurm.XXXXXX", fifo[64], buf[256];
	struct slurm_cmd *c[3];
	int64_t end;
	size_t i;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	start(30000);
	/* the first blocks until we write to the fifo */
	c[0] = mkcmd("/bin/sh", "-c", "read l < \"$0\"; echo \"got $l\"",
	    fifo, NULL);
	c[1] = mkcmd("/bin/sh", "-c", "echo never", NULL);
	c[2] = mkcmd("/bin/sh", "-c", "echo never", NULL);
	for (i = 0; i < 3; i++)
		slurm_run(sl, c[i]);
	ck_assert_uint_eq(slurm_pending(sl), 3);
	/* a writer can open the fifo once the first runs (has it open) */
	end = now_ms() + 10000;
	while ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		ck_assert_int_eq(errno, ENXIO);
		ck_assert_msg(now_ms() < end, "the first never ran");
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	slurm_close(sl, on_closed, &loop);
	ck_assert_uint_eq(slurm_pending(sl), 3);
	ck_assert_int_eq(write(fd, "go\n", 3), 3);
	close(fd);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ck_assert_int_eq(nclosed, 1);
	ck_assert_uint_eq(closed_after, 3);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	ck_assert_uint_eq(ndone, 3);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_eq(done[i], c[i]);
	assert_exit(c[0], 0);
	ck_assert_str_eq(c[0]->out, "got go\n");
	for (i = 1; i < 3; i++) {
		ck_assert_int_eq(c[i]->status, JOBQ_ESHUTDOWN);
		ck_assert_ptr_null(c[i]->out);
		slurm_cmd_error(c[i], buf, sizeof buf);
		ck_assert_str_eq(buf, "/bin/sh not run: jobqd is stopping");
	}
	for (i = 0; i < 3; i++)
		slurm_cmd_free(c[i]);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

START_TEST(test_close_idle)
{
	start(30000);
	stop();
	ck_assert_uint_eq(closed_after, 0);
	/* and right away, before the thread ever waited */
	start(30000);
	slurm_close(sl, on_closed, &loop);
	slurm_cmd_free(NULL);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
	ck_assert_int_eq(nclosed, 1);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *
slurm_suite(void)
{
	Suite *s = suite_create("slurm");
	TCase *tc;

	tc = tcase_create("io");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stdout_binary);
#ifndef __SANITIZE_ADDRESS__
	tcase_add_test(tc, test_stdout_max);
#endif
	tcase_add_test(tc, test_stdin);
	tcase_add_test(tc, test_stderr_status);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);

	/* a hang past the deadline is caught by Check's timeout too */
	tc = tcase_create("deadline");
	tcase_set_timeout(tc, 25);
	tcase_add_test(tc, test_timeout_sleep);
	tcase_add_test(tc, test_timeout_child);
	tcase_add_test(tc, test_timeout_closed);
	tcase_add_test(tc, test_timeout_next);
	suite_add_tcase(s, tc);

	tc = tcase_create("process");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_as_user);
	tcase_add_test(tc, test_as_user_unknown);
	tcase_add_test(tc, test_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_close_queued);
	tcase_add_test(tc, test_close_idle);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(slurm_suite());
	int nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
