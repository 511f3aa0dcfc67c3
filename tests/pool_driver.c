/*
 * pool_driver.c - end-to-end test of pool.c + worker.c + wire.c without the
 * rest of jobqd.  Owns nothing but its temp directory.
 *
 *   pool_driver SCENARIO [DIR]    libuv loop + pool of 2 workers, scripted
 *     `- /proc/self/exe --worker SLOT MQ PID   -> worker_main()
 *          `- the test jobs
 *
 * Scenarios: run big cancel lost spawnfail fds pathsearch stop spawnfault
 * mqfault reportfault escape hung heartbeat ahead withdraw withdraw-late
 * ahead-lost ahead-cancel orphan, or "all" (the *fault
 * ones inject failures through fault.h: JOBQD_FAULTS for the workers,
 * fault_init() here).  escape: what a job put outside its group is gone
 * when FINISHED arrives; hung: a SIGSTOPped worker's job told to stop
 * comes back through lost() within grace + margin, its tree killed;
 * heartbeat: a stopped idle worker is replaced after the worker timeout.
 * ahead withdraw withdraw-late ahead-lost ahead-cancel: running ahead
 * (pool.h), a job given to a slot whose job runs (see their section).
 * orphan runs the pool in a child and SIGKILLs it mid-job.
 * Exits 0 when every check passed; prints each failure.  Afterwards it
 * checks that no "jobqd.PID." object is left in /dev/shm and in the mqueue
 * directory ($POOL_DRIVER_MQDIR, default /dev/mqueue; skipped if missing).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "jobq.h"
#include "fault.h"
#include "log.h"
#include "pool.h"
#include "scoreboard.h"
#include "wire.h"
#include "worker.h"

#define NSLOTS 2
#define MAXJOBS 256

struct drv_job {
	int used;
	int slot;
	int started, finished, lost;
	int unstarted;		/* unstarted() calls (a job sent ahead) */
	pid_t pid;
	struct wire_report rep;
	uint64_t cancel_ms, end_ms;
};

struct drv_scenario {
	const char *name;
	void (*begin)(void);
	void (*ready)(int slot);
	void (*started)(int slot, struct drv_job *j, int64_t id);
	void (*finished)(int slot, struct drv_job *j, int64_t id);
	void (*lost)(int slot, struct drv_job *j, int64_t id);
	const char *worker_faults;	/* JOBQD_FAULTS of the workers */
	const char *pool_faults;	/* fault_init() of this process */
	unsigned worker_timeout_ms;	/* 0: 10 s */
	void (*unstarted)(int slot, struct drv_job *j, int64_t id);
};

static uv_loop_t *loop;
static struct pool *pool;
static struct scoreboard *sboard;
static const struct drv_scenario *sc;
static char dir[PATH_MAX];
static char exe[PATH_MAX];
static int failures;
static int stopping;
static int pool_done;
static int slot_idle[NSLOTS];
static int slot_downs[NSLOTS];		/* lost(slot, 0, 0) calls */
static int nready;
static struct drv_job jobs[MAXJOBS];
static uv_timer_t watchdog, delay;
static int64_t next_id;
static pid_t group_pids[16];
static int ngroup;
static const char *base_env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

static void
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL [%s]: ", sc != NULL ? sc->name : "-");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

#define CHECK(e, ...) do { if (!(e)) fail(__VA_ARGS__); } while (0)

static void
drv_pool_done(void *arg)
{
	pool_done = 1;
	pool = NULL;
	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_close((uv_handle_t *)&delay, NULL);
}

static void
drv_stop(void)
{
	if (stopping)
		return;
	stopping = 1;
	pool_stop(pool, drv_pool_done, NULL);
}

static void
drv_watchdog(uv_timer_t *t)
{
	fail("timed out");
	drv_stop();
}

static char *
drv_path(const char *fmt, ...)
{
	static char buf[8][PATH_MAX];
	static int k;
	char *b = buf[k++ % 8];
	int n;
	va_list ap;

	n = snprintf(b, PATH_MAX, "%s/", dir);
	va_start(ap, fmt);
	vsnprintf(b + n, (size_t)(PATH_MAX - n), fmt, ap);
	va_end(ap);
	return b;
}

static char *
drv_slurp(const char *path)
{
	static char buf[65536];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fail("open %s: %s", path, strerror(errno));
		return buf;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int
drv_submit_full(int slot, const char *const *argv, const char *const *env,
    const char *cwd, const char *out, const char *err)
{
	int64_t id = ++next_id;
	char *spec;
	size_t len;
	int r;

	if (id >= MAXJOBS) {
		fail("too many jobs");
		return -1;
	}
	r = wire_spec_pack(argv, env, cwd, out, err, &spec, &len);
	if (r < 0) {
		fail("pack: %s", jobq_strerror(r));
		return -1;
	}
	r = pool_run(pool, slot, id, 1, spec, len);
	free(spec);
	if (r < 0) {
		fail("pool_run job %lld: %s", (long long)id, jobq_strerror(r));
		return -1;
	}
	jobs[id].used = 1;
	jobs[id].slot = slot;
	slot_idle[slot] = 0;
	return (int)id;
}

static int
drv_submit(int slot, const char *const *argv)
{
	int64_t id = next_id + 1;

	return drv_submit_full(slot, argv, base_env, dir,
	    drv_path("out.%lld", (long long)id), drv_path("err.%lld", (long long)id));
}

/* Processes whose process group is pgid. */
static int
drv_group(pid_t pgid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[512], *p, state;
	int n = 0, fd;
	long pg;
	ssize_t r;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		if ((p = strrchr(buf, ')')) == NULL)
			continue;
		if (sscanf(p + 1, " %c %*d %ld", &state, &pg) != 2)
			continue;
		if (pg == pgid && state != 'Z' && state != 'X')
			out[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}

static int
drv_alive(pid_t pid)
{
	char path[64], buf[512], *p, state;
	ssize_t r;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %c", &state) != 1)
		return 0;
	return state != 'Z' && state != 'X';
}

/* Waits up to 2 s for the recorded group to vanish. */
static void
drv_check_group_gone(const char *what)
{
	int i, tries, alive = 0;

	for (tries = 0; tries < 200; tries++) {
		alive = 0;
		for (i = 0; i < ngroup; i++)
			if (drv_alive(group_pids[i]))
				alive++;
		if (alive == 0)
			return;
		usleep(10000);
	}
	fail("%s: %d of %d group processes still alive", what, alive, ngroup);
}

static void
drv_after(uint64_t ms, uv_timer_cb cb)
{
	if (uv_timer_start(&delay, cb, ms, 0) < 0)
		fail("uv_timer_start");
}

/* fault_init() of this process (the pool's side). */
static void
drv_set_faults(const char *spec)
{
	char err[256];

	if (fault_init(spec, err, sizeof err) != 0)
		fail("fault_init %s: %s", spec, err);
}

static void
drv_faults(const struct drv_scenario *s)
{
	drv_set_faults(s->pool_faults);
	if (s->worker_faults != NULL &&
	    setenv("JOBQD_FAULTS", s->worker_faults, 1) == -1)
		fail("setenv: %s", strerror(errno));
}

/* ---- run: 200 jobs, exit codes, signals, output files ------------------ */

#define RUN_N 200

static int run_done;

static void
run_ready(int slot)
{
	char script[256];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	int64_t i = next_id + 1;

	if (next_id >= RUN_N)
		return;
	if (i % 25 == 0)
		snprintf(script, sizeof script, "echo out %lld; kill -9 $$",
		    (long long)i);
	else if (i % 25 == 13)
		snprintf(script, sizeof script, "echo out %lld; echo err %lld >&2; "
		    "kill -TERM $$; sleep 5", (long long)i, (long long)i);
	else
		snprintf(script, sizeof script, "echo out %lld; echo err %lld >&2; "
		    "exit %lld", (long long)i, (long long)i, (long long)(i % 7));
	drv_submit(slot, argv);
}

static void
run_finished(int slot, struct drv_job *j, int64_t id)
{
	int st = j->rep.wstatus;
	char want[64];

	CHECK(j->rep.type == WIRE_REP_FINISHED, "job %lld: type %u", (long long)id,
	    j->rep.type);
	if (id % 25 == 0)
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		    "job %lld: status 0x%x, want SIGKILL", (long long)id, st);
	else if (id % 25 == 13)
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		    "job %lld: status 0x%x, want SIGTERM", (long long)id, st);
	else
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == id % 7,
		    "job %lld: status 0x%x, want exit %lld", (long long)id, st,
		    (long long)(id % 7));
	CHECK(j->rep.pid == j->pid && j->pid > 0, "job %lld: pid", (long long)id);
	CHECK(j->rep.end_us >= j->rep.start_us && j->rep.start_us > 0,
	    "job %lld: times", (long long)id);
	CHECK(j->rep.flags == 0, "job %lld: flags %u", (long long)id, j->rep.flags);
	snprintf(want, sizeof want, "out %lld\n", (long long)id);
	CHECK(strcmp(drv_slurp(drv_path("out.%lld", (long long)id)), want) == 0,
	    "job %lld: stdout", (long long)id);
	if (id % 25 != 0) {
		snprintf(want, sizeof want, "err %lld\n", (long long)id);
		CHECK(strcmp(drv_slurp(drv_path("err.%lld", (long long)id)), want) == 0,
		    "job %lld: stderr", (long long)id);
	}
	if (++run_done == RUN_N)
		drv_stop();
}

/* ---- big: a 1 MiB+ spec through shm -------------------------------------- */

static char *big_args[24];
static char *big_env[8];
static int big_phase;

static void
big_ready(int slot)
{
	const char *argv[32];
	size_t i, n = 0;

	if (slot != 0 || big_phase++ != 0)
		return;
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "n=0; for a; do n=$((n + ${#a})); done; "
	    "echo $# $n ${#B0} ${#B3}";
	argv[n++] = "sh";
	for (i = 0; i < 16; i++) {
		big_args[i] = malloc(65536 + 1);
		memset(big_args[i], 'a' + (int)i, 65536);
		big_args[i][65536] = '\0';
		argv[n++] = big_args[i];
	}
	argv[n] = NULL;
	for (i = 0; i < 4; i++) {
		big_env[i] = malloc(65536 + 4);
		snprintf(big_env[i], 4, "B%zu=", i);
		memset(big_env[i] + 3, '0' + (int)i, 65536);
		big_env[i][65536 + 3] = '\0';
	}
	big_env[4] = (char *)"PATH=/usr/bin:/bin";
	big_env[5] = NULL;
	drv_submit_full(slot, argv, (const char *const *)big_env, dir,
	    drv_path("out.big"), drv_path("err.big"));
}

static int
drv_shm_count(void)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	snprintf(prefix, sizeof prefix, "jobqd.%ld.", (long)getpid());
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void
big_started(int slot, struct drv_job *j, int64_t id)
{
	/* The worker unlinks the object as soon as it has mapped it. */
	CHECK(drv_shm_count() == 0, "shm object still linked after STARTED");
}

static void
big_finished(int slot, struct drv_job *j, int64_t id)
{
	size_t i;

	CHECK(j->rep.type == WIRE_REP_FINISHED && WIFEXITED(j->rep.wstatus) &&
	    WEXITSTATUS(j->rep.wstatus) == 0, "big job: type %u status 0x%x err %d stage %d",
	    j->rep.type, j->rep.wstatus, j->rep.err, j->rep.stage);
	CHECK(strcmp(drv_slurp(drv_path("out.big")), "16 1048576 65536 65536\n") == 0,
	    "big job output: %s", drv_slurp(drv_path("out.big")));
	CHECK(drv_shm_count() == 0, "shm object left after FINISHED");
	for (i = 0; i < 16; i++)
		free(big_args[i]);
	for (i = 0; i < 4; i++)
		free(big_env[i]);
	drv_stop();
}

/* ---- cancel ---------------------------------------------------------------- */

static int cancel_step;
static int64_t cancel_id;

static void
cancel_ready(int slot)
{
	const char *plain[] = { "/bin/sh", "-c", "sleep 1000 & sleep 1000", NULL };
	const char *stubborn[] = { "/bin/sh", "-c",
	    "trap '' TERM; sleep 1000 & sleep 1000", NULL };

	if (slot != 0)
		return;
	switch (cancel_step++) {
	case 0:
		cancel_id = drv_submit(slot, plain);
		break;
	case 1:
		cancel_id = drv_submit(slot, stubborn);
		break;
	case 2:
		cancel_id = drv_submit(slot, plain);
		break;
	default:
		drv_stop();
		break;
	}
}

static void
cancel_now(uv_timer_t *t)
{
	struct drv_job *j = &jobs[cancel_id];
	int r;

	ngroup = drv_group(j->pid, group_pids, 16);
	CHECK(ngroup >= 2, "job %lld: only %d processes in its group",
	    (long long)cancel_id, ngroup);
	CHECK(pool_cancel(pool, 0, cancel_id + 100, 100, 0) == JOBQ_ENOTFOUND,
	    "cancel of a job not running must be JOBQ_ENOTFOUND");
	CHECK(pool_cancel(pool, 1, cancel_id, 100, 0) == JOBQ_ENOTFOUND,
	    "cancel on the wrong slot must be JOBQ_ENOTFOUND");
	CHECK(pool_cancel(pool, NSLOTS, cancel_id, 100, 0) == JOBQ_EINVAL,
	    "cancel on a slot out of range must be JOBQ_EINVAL");
	j->cancel_ms = uv_now(loop);
	r = pool_cancel(pool, 0, cancel_id, cancel_step == 2 ? 400 : 5000,
	    cancel_step == 3);
	CHECK(r == 0, "pool_cancel: %s", jobq_strerror(r));
	CHECK(pool_run(pool, 0, cancel_id + 100, 1, "x", 1) == JOBQ_ESTATE,
	    "RUN on a busy slot whose job is being stopped must be "
	    "JOBQ_ESTATE");
}

static void
cancel_started(int slot, struct drv_job *j, int64_t id)
{
	drv_after(300, cancel_now);
}

static void
cancel_finished(int slot, struct drv_job *j, int64_t id)
{
	int st = j->rep.wstatus;
	uint64_t took = uv_now(loop) - j->cancel_ms;

	CHECK(j->rep.type == WIRE_REP_FINISHED, "job %lld: type %u",
	    (long long)id, j->rep.type);
	if (cancel_step == 2) {
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		    "stubborn job: status 0x%x, want SIGKILL", st);
		CHECK(took >= 350, "stubborn job killed after %llu ms, grace 400",
		    (unsigned long long)took);
	} else {
		/* Ended by the TERM, so before the KILL after its 5 s grace
		 * (an ordering, not a time bound). */
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		    "job %lld: status 0x%x after %llu ms, want SIGTERM",
		    (long long)id, st, (unsigned long long)took);
	}
	CHECK(j->rep.flags == (cancel_step == 3 ? WIRE_END_INTERRUPTED :
	    WIRE_END_CANCELED), "job %lld: flags %u", (long long)id, j->rep.flags);
	drv_check_group_gone("cancel");
}

/* ---- lost ------------------------------------------------------------------ */

static int lost_step;
static pid_t lost_worker;
static int lost_calls;
static uint64_t lost_kill_ms;

static void
lost_kill(uv_timer_t *t)
{
	struct drv_job *j = &jobs[next_id];

	ngroup = drv_group(j->pid, group_pids, 16);
	CHECK(ngroup >= 2, "only %d processes in the job's group", ngroup);
	lost_worker = pool_worker_pid(pool, 0);
	CHECK(lost_worker > 0, "no worker pid");
	if (kill(lost_worker, SIGKILL) == -1)
		fail("kill worker: %s", strerror(errno));
}

static void
lost_check_quiet(uv_timer_t *t)
{
	CHECK(lost_calls == 1, "lost() called %d times", lost_calls);
	/* each death of a worker that had been ready: lost(0, 0, 0) once */
	CHECK(slot_downs[0] == 2, "slot 0 down %d times, want 2",
	    slot_downs[0]);
	CHECK(slot_downs[1] == 0, "slot 1 down %d times", slot_downs[1]);
	drv_stop();
}

static void
lost_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000 & sleep 1000", NULL };
	pid_t w;

	if (slot != 0)
		return;
	switch (lost_step++) {
	case 0:
		drv_submit(slot, argv);
		break;
	case 1:
		/* The replacement after a job loss. */
		w = pool_worker_pid(pool, 0);
		CHECK(w > 0 && w != lost_worker, "replacement pid %ld (old %ld)",
		    (long)w, (long)lost_worker);
		CHECK(lost_calls == 1, "lost() calls %d before replacement",
		    lost_calls);
		/* The loss above was the first quick death (restart at once);
		 * killing the replacement at once is the second: backoff. */
		lost_worker = w;
		lost_kill_ms = uv_now(loop);
		if (kill(w, SIGKILL) == -1)
			fail("kill worker: %s", strerror(errno));
		break;
	case 2:
		w = pool_worker_pid(pool, 0);
		CHECK(w > 0 && w != lost_worker, "second replacement");
		CHECK(uv_now(loop) - lost_kill_ms >= 90,
		    "second quick death restarted after %llu ms, want backoff",
		    (unsigned long long)(uv_now(loop) - lost_kill_ms));
		/* A job still runs on the new worker. */
		{
			const char *ok[] = { "/bin/echo", "again", NULL };
			drv_submit(slot, ok);
		}
		break;
	case 3:
		drv_after(300, lost_check_quiet);
		break;
	}
}

static void
lost_started(int slot, struct drv_job *j, int64_t id)
{
	if (id == 1)
		drv_after(300, lost_kill);
}

static void
lost_lost(int slot, struct drv_job *j, int64_t id)
{
	lost_calls++;
	CHECK(slot == 0 && id == 1, "lost(slot %d, job %lld)", slot, (long long)id);
	CHECK(j->lost == 1, "job lost %d times", j->lost);
	drv_check_group_gone("lost");
}

static void
lost_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id == 2 && j->rep.type == WIRE_REP_FINISHED &&
	    WIFEXITED(j->rep.wstatus) && WEXITSTATUS(j->rep.wstatus) == 0,
	    "job %lld after replacement", (long long)id);
	CHECK(strcmp(drv_slurp(drv_path("out.%lld", (long long)id)), "again\n") == 0,
	    "job after replacement: output");
}

/* ---- spawnfail --------------------------------------------------------------- */

struct sf_case {
	const char *argv0;
	const char *cwd;	/* NULL = dir */
	const char *out;	/* NULL = dir/out.N */
	int type, err, stage;
	const char *want_out;
};

static struct sf_case sf_cases[8];
static int sf_n, sf_i;

static void
sf_setup(void)
{
	char *p;
	int fd;

	p = drv_path("noexec");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, "#!/bin/sh\necho no\n", 18) != 18)
		fail("noexec: %s", strerror(errno));
	close(fd);
	p = drv_path("noshebang");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd == -1 || write(fd, "echo via sh\n", 12) != 12)
		fail("noshebang: %s", strerror(errno));
	close(fd);
	if (symlink("/tmp/whatever", drv_path("link")) == -1)
		fail("symlink: %s", strerror(errno));
	sf_cases[sf_n++] = (struct sf_case){ "no-such-command-jobq", NULL, NULL,
	    WIRE_REP_SPAWN_FAILED, ENOENT, WIRE_STAGE_EXEC, NULL };
	sf_cases[sf_n++] = (struct sf_case){ "/nonexistent/cmd", NULL, NULL,
	    WIRE_REP_SPAWN_FAILED, ENOENT, WIRE_STAGE_EXEC, NULL };
	sf_cases[sf_n++] = (struct sf_case){ "/bin/true", "/nonexistent-dir-jobq",
	    NULL, WIRE_REP_SPAWN_FAILED, ENOENT, WIRE_STAGE_CWD, NULL };
	sf_cases[sf_n++] = (struct sf_case){ "/bin/true", "/etc/passwd",
	    NULL, WIRE_REP_SPAWN_FAILED, ENOTDIR, WIRE_STAGE_CWD, NULL };
	sf_cases[sf_n++] = (struct sf_case){ "/bin/true", NULL,
	    strdup(drv_path("link")), WIRE_REP_SPAWN_FAILED, ELOOP, WIRE_STAGE_OUTPUT, NULL };
	sf_cases[sf_n++] = (struct sf_case){ "/bin/true", NULL,
	    "/nonexistent-dir-jobq/out", WIRE_REP_SPAWN_FAILED, ENOENT,
	    WIRE_STAGE_OUTPUT, NULL };
	sf_cases[sf_n++] = (struct sf_case){ strdup(drv_path("noexec")), NULL, NULL,
	    WIRE_REP_SPAWN_FAILED, EACCES, WIRE_STAGE_EXEC, NULL };
	sf_cases[sf_n++] = (struct sf_case){ strdup(drv_path("noshebang")), NULL, NULL,
	    WIRE_REP_FINISHED, 0, 0, "via sh\n" };
}

static void
sf_ready(int slot)
{
	struct sf_case *c;
	const char *argv[2];
	int64_t id = next_id + 1;

	if (slot != 0)
		return;
	if (sf_i == 0)
		sf_setup();
	if (sf_i >= sf_n) {
		drv_stop();
		return;
	}
	c = &sf_cases[sf_i++];
	argv[0] = c->argv0;
	argv[1] = NULL;
	drv_submit_full(slot, argv, base_env, c->cwd ? c->cwd : dir,
	    c->out ? c->out : drv_path("out.%lld", (long long)id),
	    drv_path("err.%lld", (long long)id));
}

static void
sf_finished(int slot, struct drv_job *j, int64_t id)
{
	struct sf_case *c = &sf_cases[sf_i - 1];

	CHECK(j->rep.type == (uint32_t)c->type, "%s: type %u, want %d", c->argv0,
	    j->rep.type, c->type);
	if (c->type == WIRE_REP_SPAWN_FAILED) {
		CHECK(j->rep.err == c->err && j->rep.stage == c->stage,
		    "%s (cwd %s): err %d (%s) stage %d, want %d stage %d",
		    c->argv0, c->cwd ? c->cwd : ".", j->rep.err,
		    strerror(j->rep.err), j->rep.stage, c->err, c->stage);
		CHECK(!j->started, "%s: STARTED before SPAWN_FAILED", c->argv0);
	} else {
		CHECK(WIFEXITED(j->rep.wstatus) && WEXITSTATUS(j->rep.wstatus) == 0,
		    "%s: status 0x%x", c->argv0, j->rep.wstatus);
		CHECK(strcmp(drv_slurp(drv_path("out.%lld", (long long)id)),
		    c->want_out) == 0, "%s: output", c->argv0);
	}
}

/* ---- fds: the job sees 0,1,2 only; clean signal state; stdin /dev/null -- */

static int fds_step;

static void
fds_ready(int slot)
{
	const char *ls[] = { "/bin/ls", "/proc/self/fd", NULL };
	const char *in[] = { "/usr/bin/readlink", "/proc/self/fd/0", NULL };
	const char *sig[] = { "/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status",
	    NULL };
	const char *pg[] = { "/bin/sh", "-c",
	    "set -- $(cut -d' ' -f5,6 /proc/$$/stat); "
	    "test \"$1\" = $$ && test \"$2\" = $$ && echo leader", NULL };

	if (slot != 0)
		return;
	switch (fds_step++) {
	case 0: drv_submit(slot, ls); break;
	case 1: drv_submit(slot, in); break;
	case 2: drv_submit(slot, sig); break;
	case 3: drv_submit(slot, pg); break;
	default: drv_stop(); break;
	}
}

static void
fds_finished(int slot, struct drv_job *j, int64_t id)
{
	const char *out = drv_slurp(drv_path("out.%lld", (long long)id));
	static const char *want[] = { "0\n1\n2\n3\n", "/dev/null\n",
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", "leader\n" };

	CHECK(j->rep.type == WIRE_REP_FINISHED && WIFEXITED(j->rep.wstatus) &&
	    WEXITSTATUS(j->rep.wstatus) == 0, "fds job %lld: type %u status 0x%x",
	    (long long)id, j->rep.type, j->rep.wstatus);
	CHECK(strcmp(out, want[fds_step - 1]) == 0, "fds job %lld: got \"%s\"",
	    (long long)id, out);
}

/* ---- pathsearch ----------------------------------------------------------- */

static int ps_step;

static void
ps_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail("%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
}

static void
ps_ready(int slot)
{
	static char path1[2 * PATH_MAX + 64], path2[PATH_MAX + 64];
	const char *env1[] = { path1, NULL };
	const char *env2[] = { path2, NULL };
	const char *noenv[] = { NULL };
	const char *cmd[] = { "jobq-only-here", "x", NULL };
	const char *tru[] = { "true", NULL };

	if (slot != 0)
		return;
	if (ps_step == 0) {
		if (mkdir(drv_path("bin1"), 0755) == -1 ||
		    mkdir(drv_path("bin2"), 0755) == -1)
			fail("mkdir: %s", strerror(errno));
		ps_write(drv_path("bin1/jobq-only-here"), "#!/bin/sh\necho bad\n", 0644);
		ps_write(drv_path("bin2/jobq-only-here"),
		    "#!/bin/sh\necho found \"$1\"\n", 0755);
		snprintf(path1, sizeof path1, "PATH=/nonexistent:%s/bin1:%s/bin2",
		    dir, dir);
		snprintf(path2, sizeof path2, "PATH=%s/bin1", dir);
	}
	switch (ps_step++) {
	case 0:	/* skips ENOENT and the non-executable one */
		drv_submit_full(slot, cmd, env1, dir, drv_path("out.1"),
		    drv_path("err.1"));
		break;
	case 1:	/* only a non-executable one: EACCES */
		drv_submit_full(slot, cmd, env2, dir, drv_path("out.2"),
		    drv_path("err.2"));
		break;
	case 2:	/* not in the daemon's PATH lookup: the job's env has none */
		drv_submit_full(slot, tru, noenv, dir, drv_path("out.3"),
		    drv_path("err.3"));
		break;
	case 3:	/* the daemon's own PATH is not used */
		drv_submit(slot, cmd);
		break;
	default:
		drv_stop();
		break;
	}
}

static void
ps_finished(int slot, struct drv_job *j, int64_t id)
{
	switch (id) {
	case 1:
		CHECK(j->rep.type == WIRE_REP_FINISHED &&
		    strcmp(drv_slurp(drv_path("out.1")), "found x\n") == 0,
		    "PATH search: type %u err %d out %s", j->rep.type, j->rep.err,
		    drv_slurp(drv_path("out.1")));
		break;
	case 2:
		CHECK(j->rep.type == WIRE_REP_SPAWN_FAILED && j->rep.err == EACCES &&
		    j->rep.stage == WIRE_STAGE_EXEC, "EACCES: type %u err %d",
		    j->rep.type, j->rep.err);
		break;
	case 3:
		CHECK(j->rep.type == WIRE_REP_FINISHED &&
		    WIFEXITED(j->rep.wstatus) && WEXITSTATUS(j->rep.wstatus) == 0,
		    "default PATH: type %u err %d", j->rep.type, j->rep.err);
		break;
	case 4:
		CHECK(j->rep.type == WIRE_REP_SPAWN_FAILED && j->rep.err == ENOENT,
		    "base PATH: type %u err %d", j->rep.type, j->rep.err);
		break;
	}
}

/* ---- stop: pool_stop with a job running (QUIT, then SIGTERM) ------------ */

static uint64_t stop_ms;

static void
stop_now(uv_timer_t *t)
{
	struct drv_job *j = &jobs[1];

	ngroup = drv_group(j->pid, group_pids, 16);
	CHECK(ngroup >= 2, "only %d processes in the job's group", ngroup);
	group_pids[ngroup++] = pool_worker_pid(pool, 0);
	group_pids[ngroup++] = pool_worker_pid(pool, 1);
	stop_ms = uv_now(loop);
	drv_stop();
}

static void
stop_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000 & sleep 1000", NULL };

	if (slot == 0)
		drv_submit(slot, argv);
}

static void
stop_started(int slot, struct drv_job *j, int64_t id)
{
	drv_after(200, stop_now);
}

static void
stop_end(void)
{
	uint64_t took = uv_now(loop) - stop_ms;

	/* Not before the TERM at 1 s, and over before the pool's own KILL
	 * phase at 5 s (POOL_STOP_KILL_MS) began: the TERM ended it. */
	CHECK(took >= 900 && took < 5000, "stop took %llu ms (QUIT, TERM at "
	    "1 s, KILL at 5 s)", (unsigned long long)took);
	drv_check_group_gone("stop");
}

/* ---- orphan: the daemon dies; workers and jobs must follow ------------ */

static int orphan_fd = -1;

static void
orphan_started(int slot, struct drv_job *j, int64_t id)
{
	pid_t pids[3];

	pids[0] = j->pid;
	pids[1] = pool_worker_pid(pool, 0);
	pids[2] = pool_worker_pid(pool, 1);
	if (write(orphan_fd, pids, sizeof pids) != (ssize_t)sizeof pids ||
	    write(orphan_fd, dir, sizeof dir) != (ssize_t)sizeof dir)
		fail("write: %s", strerror(errno));
}

/* ---- faults: the seams of fault.h, on slot 0 -------------------------------
 * Each process counts its own hits, and nothing else runs: the counts are
 * exact.  A worker's hits: READY is its report write 1, each job then takes
 * one spawn and two report writes (STARTED, FINISHED). */

static int fl_step;
static pid_t fl_worker;

/* Processes whose command line contains this scenario's directory (the
 * jobs run dir/sleep, a symlink; no worker or driver names dir). */
static int
drv_markers(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[4096];
	ssize_t r, i;
	int fd, n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    !drv_alive((pid_t)atol(e->d_name)))
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		for (i = 0; i < r; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[r] = '\0';
		if (strstr(buf, dir) != NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* Waits up to 2 s until the probe sees n marker processes; 1 if it did. */
static int
drv_wait_markers(int n)
{
	int tries;

	for (tries = 0; tries < 200; tries++) {
		if (drv_markers() == n)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Waits up to 2 s for every marker process to vanish. */
static void
drv_check_markers_gone(const char *what)
{
	int tries, n = 0;

	for (tries = 0; tries < 200; tries++) {
		if ((n = drv_markers()) == 0)
			return;
		usleep(10000);
	}
	fail("%s: %d job processes still alive", what, n);
}

static void
drv_sleep_link(void)
{
	const char *sleep_bin = access("/bin/sleep", X_OK) == 0 ?
	    "/bin/sleep" : "/usr/bin/sleep";

	if (symlink(sleep_bin, drv_path("sleep")) == -1)
		fail("symlink %s: %s", sleep_bin, strerror(errno));
}

/* An echo that must end FINISHED, exit 0, with its word on stdout. */
static void
drv_check_echo(struct drv_job *j, int64_t id, const char *word)
{
	char want[64];

	snprintf(want, sizeof want, "%s\n", word);
	CHECK(j->rep.type == WIRE_REP_FINISHED && WIFEXITED(j->rep.wstatus) &&
	    WEXITSTATUS(j->rep.wstatus) == 0, "job %lld (%s): type %u "
	    "status 0x%x err %d stage %d", (long long)id, word, j->rep.type,
	    j->rep.wstatus, j->rep.err, j->rep.stage);
	CHECK(strcmp(drv_slurp(drv_path("out.%lld", (long long)id)), want) == 0,
	    "job %lld: output", (long long)id);
}

static void
drv_echo(int slot, const char *word)
{
	const char *argv[] = { "/bin/echo", word, NULL };

	drv_submit(slot, argv);
}

/* spawnfault (spawn@2): the second job's vfork fails with EAGAIN; it ends
 * SPAWN_FAILED at the fork stage, and the same worker runs the third. */
static void
sfault_ready(int slot)
{
	pid_t w = pool_worker_pid(pool, slot);

	if (slot != 0)
		return;
	if (fl_step == 0)
		fl_worker = w;
	CHECK(w == fl_worker, "step %d: worker %ld, not %ld: replaced", fl_step,
	    (long)w, (long)fl_worker);
	switch (fl_step++) {
	case 0: drv_echo(slot, "one"); break;
	case 1: drv_echo(slot, "two"); break;
	case 2: drv_echo(slot, "three"); break;
	default:
		CHECK(slot_downs[0] == 0, "slot 0 down %d times", slot_downs[0]);
		drv_stop();
		break;
	}
}

static void
sfault_finished(int slot, struct drv_job *j, int64_t id)
{
	if (id != 2) {
		drv_check_echo(j, id, id == 1 ? "one" : "three");
		return;
	}
	CHECK(j->rep.type == WIRE_REP_SPAWN_FAILED && j->rep.err == EAGAIN &&
	    j->rep.stage == WIRE_STAGE_FORK, "job 2: type %u err %d (%s) "
	    "stage %d, want SPAWN_FAILED EAGAIN at the fork stage",
	    j->rep.type, j->rep.err, strerror(j->rep.err), j->rep.stage);
	CHECK(!j->started, "job 2: STARTED although its spawn failed");
}

static void drv_check_marker(int, int64_t, const char *);
static int drv_out_exists(int64_t);

/* mqfault (mq_send@2 in the pool): the RUN of job 2 cannot be queued: the
 * worker is replaced and job 2, which it never began (the hand-off marker
 * still names it), comes back through unstarted() after lost(slot, 0, 0),
 * not through lost(); then a CANCEL that cannot be queued (mq_send@1 again):
 * its worker is replaced too and the running job 3 comes back through
 * lost() with its process group killed.  Jobs on the replacements run. */
static void
mqfault_cancel(uv_timer_t *t)
{
	struct drv_job *j = &jobs[3];
	int r;

	ngroup = drv_group(j->pid, group_pids, 16);
	CHECK(ngroup >= 2, "job 3: only %d processes in its group", ngroup);
	drv_set_faults("mq_send");
	r = pool_cancel(pool, 0, 3, 100, 0);
	CHECK(r == 0, "pool_cancel with a failing mq_send: %s", jobq_strerror(r));
}

static void
mqfault_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000 & sleep 1000", NULL };
	pid_t w = pool_worker_pid(pool, slot);

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		fl_worker = w;
		drv_echo(slot, "one");
		break;
	case 1:
		CHECK(w == fl_worker, "worker replaced after job 1");
		drv_echo(slot, "two");		/* mq_send hit 2 fails */
		CHECK(!slot_idle[slot], "pool_run refused job 2");
		break;
	case 2:
		CHECK(w > 0 && w != fl_worker, "no new worker after the failed "
		    "RUN (pid %ld, old %ld)", (long)w, (long)fl_worker);
		CHECK(jobs[2].unstarted == 1 && !jobs[2].lost &&
		    !jobs[2].started && !jobs[2].finished, "job 2: unstarted "
		    "%d lost %d started %d finished %d", jobs[2].unstarted,
		    jobs[2].lost, jobs[2].started, jobs[2].finished);
		CHECK(slot_downs[0] == 1, "slot 0 down %d times, want 1",
		    slot_downs[0]);
		fl_worker = w;
		drv_submit(slot, argv);		/* job 3 */
		break;
	case 3:
		CHECK(w > 0 && w != fl_worker, "no new worker after the failed "
		    "CANCEL");
		CHECK(jobs[3].lost == 1 && !jobs[3].finished,
		    "job 3: lost %d finished %d", jobs[3].lost, jobs[3].finished);
		CHECK(slot_downs[0] == 2, "slot 0 down %d times, want 2",
		    slot_downs[0]);
		drv_echo(slot, "four");
		break;
	default:
		drv_stop();
		break;
	}
}

static void
mqfault_started(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id != 2, "job 2 started although its RUN was never sent");
	if (id == 3)
		drv_after(100, mqfault_cancel);
}

static void
mqfault_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id == 1 || id == 4, "job %lld finished", (long long)id);
	drv_check_echo(j, id, id == 1 ? "one" : "four");
}

static void
mqfault_lost(int slot, struct drv_job *j, int64_t id)
{
	CHECK(slot == 0 && id == 3, "lost(slot %d, job %lld)", slot,
	    (long long)id);
	drv_check_group_gone("job 3 after its worker was replaced");
}

static void
mqfault_unstarted(int slot, struct drv_job *j, int64_t id)
{
	CHECK(slot == 0 && id == 2, "unstarted(slot %d, job %lld)", slot,
	    (long long)id);
	CHECK(slot_downs[0] == 1, "job 2's unstarted() with slot 0 down %d "
	    "times, want 1 (lost(0, 0, 0) first)", slot_downs[0]);
	CHECK(!drv_out_exists(id), "job 2 ran");
	drv_check_marker(0, 0, "job 2 given back");
}

/* reportfault (report_write@4 in the workers): the STARTED of job 2 cannot
 * be written: the worker kills job 2 and exits, job 2 comes back through
 * lost(slot, 2, 0) and nothing of it is left; the replacement runs job 3
 * (its own 4th write is never reached).  Job 1 is the positive control of
 * the process probe: running, it is seen. */
static void
rfault_ready(int slot)
{
	const char *argv[] = { NULL, "1000", NULL };
	pid_t w = pool_worker_pid(pool, slot);

	if (slot != 0)
		return;
	argv[0] = drv_path("sleep");
	switch (fl_step++) {
	case 0:
		drv_sleep_link();
		fl_worker = w;
		drv_submit(slot, argv);		/* writes 2 and 3 */
		break;
	case 1:
		CHECK(w == fl_worker, "worker replaced after job 1");
		drv_submit(slot, argv);		/* write 4 fails */
		break;
	case 2:
		CHECK(w > 0 && w != fl_worker, "worker not replaced");
		CHECK(jobs[2].lost == 1 && !jobs[2].started &&
		    !jobs[2].finished, "job 2: lost %d started %d finished %d",
		    jobs[2].lost, jobs[2].started, jobs[2].finished);
		drv_echo(slot, "three");
		break;
	default:
		drv_stop();
		break;
	}
}

static void
rfault_started(int slot, struct drv_job *j, int64_t id)
{
	int r;

	CHECK(id == 1 || id == 3, "job %lld started", (long long)id);
	if (id != 1)
		return;
	/* (vfork returns before exec has set the new command line) */
	CHECK(drv_wait_markers(1), "the probe sees %d processes of job 1, "
	    "want 1", drv_markers());
	r = pool_cancel(pool, 0, 1, 100, 0);
	CHECK(r == 0, "pool_cancel: %s", jobq_strerror(r));
}

static void
rfault_finished(int slot, struct drv_job *j, int64_t id)
{
	if (id == 3) {
		drv_check_echo(j, id, "three");
		return;
	}
	CHECK(id == 1 && j->rep.type == WIRE_REP_FINISHED &&
	    j->rep.flags == WIRE_END_CANCELED, "job %lld: type %u flags %u",
	    (long long)id, j->rep.type, j->rep.flags);
	drv_check_markers_gone("job 1 after FINISHED");
}

static void
rfault_lost(int slot, struct drv_job *j, int64_t id)
{
	CHECK(slot == 0 && id == 2 && j->pid == 0, "lost(slot %d, job %lld, "
	    "pid %ld)", slot, (long long)id, (long)j->pid);
	drv_check_markers_gone("job 2 after its worker exited");
}

/* ---- escape: FINISHED only once nothing of the job is left ---------------- */

/* The job leaves an ordinary background child, one in a session of its
 * own, a double-forked one (reparented to the worker) and exits 0. */
static void
esc_ready(int slot)
{
	static char script[4 * PATH_MAX];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	const char *sl = drv_path("sleep");

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		drv_sleep_link();
		snprintf(script, sizeof script, "%s 1000 & setsid %s 1000 & "
		    "( setsid %s 1000 & ) & "
		    "until [ -e %s ]; do sleep 0.01; done", sl, sl, sl,
		    drv_path("gate"));
		drv_submit(slot, argv);
		break;
	default:
		drv_stop();
		break;
	}
}

static void
esc_started(int slot, struct drv_job *j, int64_t id)
{
	int fd;

	/* the three children and the shell (its script names them) */
	CHECK(drv_wait_markers(4), "the probe sees %d processes of the job, "
	    "want 4", drv_markers());
	if ((fd = open(drv_path("gate"), O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		fail("gate: %s", strerror(errno));
	else
		close(fd);
}

static void
esc_finished(int slot, struct drv_job *j, int64_t id)
{
	int n = drv_markers();

	CHECK(j->rep.type == WIRE_REP_FINISHED && WIFEXITED(j->rep.wstatus) &&
	    WEXITSTATUS(j->rep.wstatus) == 0, "job: type %u status 0x%x",
	    j->rep.type, j->rep.wstatus);
	/* not "soon after": at FINISHED, already */
	CHECK(n == 0, "%d processes of the job alive at FINISHED", n);
}

/* ---- hung: a stopped worker's job told to stop ends through lost() ------- */

static uint64_t hung_ms;

static void
hung_stop(uv_timer_t *t)
{
	int r;

	CHECK(drv_wait_markers(4), "the probe sees %d processes of the job, "
	    "want 4", drv_markers());
	fl_worker = pool_worker_pid(pool, 0);
	if (kill(fl_worker, SIGSTOP) == -1)
		fail("SIGSTOP worker: %s", strerror(errno));
	hung_ms = uv_now(loop);
	r = pool_cancel(pool, 0, 1, 100, 0);
	CHECK(r == 0, "pool_cancel: %s", jobq_strerror(r));
}

static void
hung_ready(int slot)
{
	static char script[4 * PATH_MAX];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	const char *sl = drv_path("sleep");

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		drv_sleep_link();
		snprintf(script, sizeof script, "%s 1000 & setsid %s 1000 & "
		    "%s 1000", sl, sl, sl);
		drv_submit(slot, argv);
		break;
	case 1:
		CHECK(jobs[1].lost == 1, "ready() again before lost()");
		CHECK(pool_worker_pid(pool, 0) != fl_worker,
		    "the stopped worker was not replaced");
		drv_echo(slot, "after");
		break;
	default:
		drv_stop();
		break;
	}
}

static void
hung_started(int slot, struct drv_job *j, int64_t id)
{
	if (id == 1)
		drv_after(100, hung_stop);
}

static void
hung_lost(int slot, struct drv_job *j, int64_t id)
{
	uint64_t took = uv_now(loop) - hung_ms;

	CHECK(slot == 0 && id == 1, "lost(slot %d, job %lld)", slot,
	    (long long)id);
	/* grace 100 ms + POOL_MARGIN_MS, seen within a watch period */
	CHECK(took >= 100 + POOL_MARGIN_MS - 10 &&
	    took < 100 + POOL_MARGIN_MS + 2000, "lost() %llu ms after the "
	    "cancel of a stopped worker's job", (unsigned long long)took);
	CHECK(drv_markers() == 0, "%d processes of the job alive at lost()",
	    drv_markers());
	CHECK(!drv_alive(fl_worker), "the stopped worker is alive");
}

static void
hung_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id == 2, "job %lld finished", (long long)id);
	drv_check_echo(j, id, "after");
}

/* ---- heartbeat: an idle worker stopped: replaced after the timeout ------- */

static void
hb_stop(uv_timer_t *t)
{
	fl_worker = pool_worker_pid(pool, 1);
	if (kill(fl_worker, SIGSTOP) == -1)
		fail("SIGSTOP worker: %s", strerror(errno));
	hung_ms = uv_now(loop);
}

static void
hb_ready(int slot)
{
	uint64_t took;

	if (slot != 1)
		return;
	switch (fl_step++) {
	case 0:
		drv_after(100, hb_stop);
		break;
	case 1:
		took = uv_now(loop) - hung_ms;
		CHECK(slot_downs[1] == 1, "slot 1 down %d times", slot_downs[1]);
		CHECK(pool_worker_pid(pool, 1) != fl_worker &&
		    !drv_alive(fl_worker), "the stopped worker was not replaced");
		/* worker timeout 1 s; the last beat up to 250 ms before */
		CHECK(took >= 700 && took < 1000 + 2000, "replaced %llu ms "
		    "after it stopped", (unsigned long long)took);
		CHECK(slot_downs[0] == 0, "the live worker 0 went down");
		drv_echo(slot, "again");
		break;
	default:
		drv_stop();
		break;
	}
}

static void
hb_finished(int slot, struct drv_job *j, int64_t id)
{
	drv_check_echo(j, id, "again");
}

/* ---- running ahead (pool.h): a job sent to a slot whose job runs ---------
 * ahead: B goes ahead of A once A has STARTED (not before; no third one),
 * begins right after A's end with no ready() between, and the hand-off
 * marker names B from its RUN until the worker begins it.  withdraw: B
 * withdrawn comes back through unstarted(), never run.  withdraw-late: a
 * WITHDRAW that arrives once the worker began B is ignored: B runs.
 * ahead-lost: the worker killed, A comes back through lost(), then B
 * through unstarted() (not lost()).  ahead-cancel: A canceled with B
 * ahead, B then runs. */

static int64_t ah_a, ah_b;
static int ah_ready0;		/* ready(0) calls */
static int ah_ready0_at;	/* ... when B was sent ahead */

/* The hand-off marker of slot. */
static void
drv_marker(int slot, int64_t *id, uint32_t *attempt)
{
	struct scoreboard_snap snap;
	int r;

	*id = -1;
	*attempt = 0;
	if ((r = scoreboard_read(sboard, (unsigned)slot, &snap)) != 0) {
		fail("scoreboard_read slot %d: %s", slot, jobq_strerror(r));
		return;
	}
	*id = snap.handed_id;
	*attempt = snap.handed_attempt;
}

static void
drv_check_marker(int slot, int64_t want, const char *what)
{
	int64_t id;
	uint32_t attempt;

	drv_marker(slot, &id, &attempt);
	if (want == 0)
		CHECK(id == 0 && attempt == 0, "%s: marker names job %lld "
		    "attempt %u, want none", what, (long long)id, attempt);
	else
		CHECK(id == want && attempt == 1, "%s: marker names job %lld "
		    "attempt %u, want job %lld attempt 1", what, (long long)id,
		    attempt, (long long)want);
}

/* An echo of word whose spec is too big for a message (shm). */
static int
drv_big_echo(int slot, const char *word)
{
	static char pad[WIRE_MQ_MSGSIZE + 1024];
	const char *argv[] = { "/bin/sh", "-c", "echo \"$1\"", "sh", word, pad,
	    NULL };

	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	return drv_submit(slot, argv);
}

/* pool_run() of a job that must be refused with JOBQ_ESTATE. */
static void
drv_check_refused(int slot, int64_t id, const char *what)
{
	int r = pool_run(pool, slot, id, 1, "x", 1);

	CHECK(r == JOBQ_ESTATE, "%s: pool_run: %s, want JOBQ_ESTATE", what,
	    r == 0 ? "0" : jobq_strerror(r));
}

static int
drv_out_exists(int64_t id)
{
	return access(drv_path("out.%lld", (long long)id), F_OK) == 0;
}

static void
ah_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 0.3; echo A", NULL };

	if (slot != 0)
		return;
	ah_ready0++;
	switch (fl_step++) {
	case 0:
		ah_a = drv_submit(slot, argv);
		CHECK(!pool_can_run_ahead(pool, 0), "a job may go ahead of "
		    "one not started");
		drv_check_refused(0, 200, "ahead of a job not started");
		/* the worker clears it as it begins A, which may be now */
		{
			int64_t mid;
			uint32_t matt;

			drv_marker(0, &mid, &matt);
			CHECK((mid == ah_a && matt == 1) || (mid == 0 &&
			    matt == 0), "A sent: marker names job %lld "
			    "attempt %u", (long long)mid, matt);
		}
		break;
	case 1:
		CHECK(jobs[ah_b].finished == 1, "ready() before B finished");
		drv_stop();
		break;
	default:
		fail("ready() step %d", fl_step);
		break;
	}
}

static void
ah_started(int slot, struct drv_job *j, int64_t id)
{
	if (id == ah_a) {
		drv_check_marker(0, 0, "A started");
		CHECK(pool_can_run_ahead(pool, 0) == 1, "A started: no job "
		    "may go ahead of it");
		CHECK(pool_can_run_ahead(pool, 1) == 0, "idle slot 1 may "
		    "run a job ahead");
		ah_ready0_at = ah_ready0;
		ah_b = drv_big_echo(0, "B");
		if (ah_b <= 0) {
			drv_stop();
			return;
		}
		drv_check_marker(0, ah_b, "B sent ahead");
		CHECK(pool_can_run_ahead(pool, 0) == 0, "a second job may go "
		    "ahead");
		drv_check_refused(0, 201, "a third job");
		return;
	}
	CHECK(id == ah_b, "job %lld started", (long long)id);
	CHECK(jobs[ah_a].finished == 1, "B started before A's end was "
	    "reported");
	CHECK(ah_ready0 == ah_ready0_at, "ready(0) between A's end and B's "
	    "start");
	drv_check_marker(0, 0, "B started");
	CHECK(pool_can_run_ahead(pool, 0) == 1, "B started: no job may go "
	    "ahead of it");
}

static void
ah_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(ah_ready0 == ah_ready0_at, "ready(0) while B was ahead");
	if (id == ah_a) {
		drv_check_echo(j, id, "A");
		CHECK(!jobs[ah_b].started, "B started before A's end");
		CHECK(pool_can_run_ahead(pool, 0) == 0, "B not started: a "
		    "job may go ahead of it");
		drv_check_refused(0, 202, "slot busy with B after A's end");
		return;
	}
	CHECK(id == ah_b, "job %lld finished", (long long)id);
	drv_check_echo(j, id, "B");
	CHECK(j->rep.start_us >= jobs[ah_a].rep.end_us, "B began at %lld, "
	    "before A's end at %lld", (long long)j->rep.start_us,
	    (long long)jobs[ah_a].rep.end_us);
	CHECK(drv_shm_count() == 0, "B's shm object left after FINISHED");
}

/* withdraw */
static void
wd_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000", NULL };

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		ah_a = drv_submit(slot, argv);
		break;
	case 1:
		CHECK(jobs[ah_a].finished == 1 && jobs[ah_b].unstarted == 1 &&
		    !jobs[ah_b].started && !jobs[ah_b].finished &&
		    !jobs[ah_b].lost, "A finished %d; B unstarted %d started "
		    "%d finished %d lost %d", jobs[ah_a].finished,
		    jobs[ah_b].unstarted, jobs[ah_b].started,
		    jobs[ah_b].finished, jobs[ah_b].lost);
		CHECK(!drv_out_exists(ah_b), "B's output file exists");
		drv_stop();
		break;
	default:
		fail("ready() step %d", fl_step);
		break;
	}
}

static void
wd_started(int slot, struct drv_job *j, int64_t id)
{
	int r;

	CHECK(id == ah_a, "job %lld started", (long long)id);
	if (id != ah_a)
		return;
	ah_b = drv_big_echo(0, "B");
	if (ah_b <= 0) {
		drv_stop();
		return;
	}
	drv_check_marker(0, ah_b, "B sent ahead");
	r = pool_cancel(pool, 0, ah_b, 0, 0);
	CHECK(r == 0, "pool_cancel of the job ahead: %s", jobq_strerror(r));
	r = pool_cancel(pool, 0, ah_b, 0, 0);
	CHECK(r == 0, "second pool_cancel of the job ahead: %s",
	    jobq_strerror(r));
	CHECK(pool_can_run_ahead(pool, 0) == 0, "a job may go ahead while "
	    "B is being withdrawn");
}

static void
wd_unstarted(int slot, struct drv_job *j, int64_t id)
{
	int r;

	CHECK(id == ah_b, "unstarted(job %lld)", (long long)id);
	CHECK(!j->started && !j->finished, "B started %d finished %d",
	    j->started, j->finished);
	CHECK(!drv_out_exists(id), "B's output file exists: it ran");
	drv_check_marker(0, 0, "B withdrawn");
	CHECK(drv_shm_count() == 0, "B's shm object left after unstarted()");
	CHECK(pool_can_run_ahead(pool, 0) == 1, "B withdrawn: no job may go "
	    "ahead of A again");
	CHECK(pool_cancel(pool, 0, ah_b, 0, 0) == JOBQ_ENOTFOUND,
	    "B withdrawn: still the slot's");
	r = pool_cancel(pool, 0, ah_a, 100, 0);
	CHECK(r == 0, "pool_cancel of A: %s", jobq_strerror(r));
}

static void
wd_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id == ah_a, "job %lld finished", (long long)id);
	CHECK(j->rep.type == WIRE_REP_FINISHED &&
	    j->rep.flags == WIRE_END_CANCELED, "A: type %u flags %u",
	    j->rep.type, j->rep.flags);
	CHECK(jobs[ah_b].unstarted == 1, "A finished before B's unstarted()");
}

/* withdraw-late: A ends and the worker begins B before the loop reads a
 * report; the WITHDRAW then sent is ignored and B runs to its end. */
static void
wl_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 0.3; echo A", NULL };

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		ah_a = drv_submit(slot, argv);
		break;
	case 1:
		CHECK(jobs[ah_b].finished == 1 && !jobs[ah_b].unstarted,
		    "B finished %d unstarted %d", jobs[ah_b].finished,
		    jobs[ah_b].unstarted);
		drv_stop();
		break;
	default:
		fail("ready() step %d", fl_step);
		break;
	}
}

static void
wl_started(int slot, struct drv_job *j, int64_t id)
{
	int tries, r;

	if (id != ah_a)
		return;
	ah_b = drv_big_echo(0, "B");
	if (ah_b <= 0) {
		drv_stop();
		return;
	}
	/* The worker opens B's output as it begins B (bounded: 10 s). */
	for (tries = 0; tries < 1000 && !drv_out_exists(ah_b); tries++)
		usleep(10000);
	CHECK(drv_out_exists(ah_b), "B not begun 10 s after A's start");
	CHECK(!jobs[ah_a].finished, "A's end already seen");
	r = pool_cancel(pool, 0, ah_b, 0, 0);
	CHECK(r == 0, "pool_cancel of the job ahead: %s", jobq_strerror(r));
}

static void
wl_finished(int slot, struct drv_job *j, int64_t id)
{
	drv_check_echo(j, id, id == ah_a ? "A" : "B");
}

static void
wl_unstarted(int slot, struct drv_job *j, int64_t id)
{
	fail("unstarted(job %lld) after the worker began it", (long long)id);
}

/* ahead-lost */
static void
al_kill(uv_timer_t *t)
{
	struct drv_job *j = &jobs[ah_a];

	ngroup = drv_group(j->pid, group_pids, 16);
	CHECK(ngroup >= 2, "only %d processes in A's group", ngroup);
	fl_worker = pool_worker_pid(pool, 0);
	CHECK(fl_worker > 0, "no worker pid");
	if (kill(fl_worker, SIGKILL) == -1)
		fail("kill worker: %s", strerror(errno));
}

static void
al_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000 & sleep 1000",
	    NULL };
	pid_t w = pool_worker_pid(pool, slot);

	if (slot != 0)
		return;
	switch (fl_step++) {
	case 0:
		ah_a = drv_submit(slot, argv);
		break;
	case 1:
		CHECK(w > 0 && w != fl_worker, "replacement pid %ld (old %ld)",
		    (long)w, (long)fl_worker);
		CHECK(jobs[ah_a].lost == 1 && jobs[ah_b].unstarted == 1 &&
		    !jobs[ah_b].lost && !jobs[ah_b].started,
		    "ready() again with A lost %d, B unstarted %d lost %d "
		    "started %d", jobs[ah_a].lost, jobs[ah_b].unstarted,
		    jobs[ah_b].lost, jobs[ah_b].started);
		CHECK(slot_downs[0] == 1, "slot 0 down %d times, want 1",
		    slot_downs[0]);
		drv_check_marker(0, 0, "replacement ready");
		drv_echo(slot, "after");
		break;
	case 2:
		drv_stop();
		break;
	default:
		fail("ready() step %d", fl_step);
		break;
	}
}

static void
al_started(int slot, struct drv_job *j, int64_t id)
{
	if (id != ah_a)
		return;
	ah_b = drv_big_echo(0, "B");
	if (ah_b <= 0) {
		drv_stop();
		return;
	}
	drv_check_marker(0, ah_b, "B sent ahead");
	/* time for the worker to take B's RUN in (not needed for the
	 * outcome: B is not begun either way) */
	drv_after(200, al_kill);
}

static void
al_lost(int slot, struct drv_job *j, int64_t id)
{
	CHECK(slot == 0 && id == ah_a, "lost(slot %d, job %lld)", slot,
	    (long long)id);
	CHECK(jobs[ah_b].unstarted == 0, "B's unstarted() before A's lost()");
	drv_check_group_gone("A after its worker was killed");
}

static void
al_unstarted(int slot, struct drv_job *j, int64_t id)
{
	CHECK(slot == 0 && id == ah_b, "unstarted(slot %d, job %lld)", slot,
	    (long long)id);
	CHECK(jobs[ah_a].lost == 1, "B's unstarted() before A's lost()");
	CHECK(!j->started && !drv_out_exists(id), "B ran");
	CHECK(drv_shm_count() == 0, "B's shm object left after unstarted()");
}

static void
al_finished(int slot, struct drv_job *j, int64_t id)
{
	CHECK(id == ah_b + 1, "job %lld finished", (long long)id);
	drv_check_echo(j, id, "after");
}

/* ahead-cancel */
static void
ac_ready(int slot)
{
	const char *argv[] = { "/bin/sh", "-c", "sleep 1000", NULL };

	if (slot != 0)
		return;
	ah_ready0++;
	switch (fl_step++) {
	case 0:
		ah_a = drv_submit(slot, argv);
		break;
	case 1:
		CHECK(jobs[ah_b].finished == 1, "ready() before B finished");
		drv_stop();
		break;
	default:
		fail("ready() step %d", fl_step);
		break;
	}
}

static void
ac_started(int slot, struct drv_job *j, int64_t id)
{
	int r;

	if (id == ah_a) {
		ah_ready0_at = ah_ready0;
		drv_echo(0, "B");
		ah_b = next_id;
		if (!jobs[ah_b].used) {
			drv_stop();
			return;
		}
		r = pool_cancel(pool, 0, ah_a, 5000, 0);
		CHECK(r == 0, "pool_cancel of A: %s", jobq_strerror(r));
		drv_check_refused(0, 203, "A being stopped, B ahead");
		return;
	}
	CHECK(id == ah_b, "job %lld started", (long long)id);
	CHECK(jobs[ah_a].finished == 1, "B started before A's end");
	CHECK(ah_ready0 == ah_ready0_at, "ready(0) between A's end and B's "
	    "start");
	drv_check_marker(0, 0, "B started");
}

static void
ac_finished(int slot, struct drv_job *j, int64_t id)
{
	int st = j->rep.wstatus;

	CHECK(ah_ready0 == ah_ready0_at, "ready(0) while B was ahead");
	if (id == ah_a) {
		CHECK(j->rep.type == WIRE_REP_FINISHED &&
		    j->rep.flags == WIRE_END_CANCELED && WIFSIGNALED(st) &&
		    WTERMSIG(st) == SIGTERM, "A: type %u flags %u status "
		    "0x%x, want canceled by SIGTERM", j->rep.type,
		    j->rep.flags, st);
		return;
	}
	CHECK(id == ah_b, "job %lld finished", (long long)id);
	drv_check_echo(j, id, "B");
	CHECK(j->rep.flags == 0, "B: flags %u (A's cancel)", j->rep.flags);
}

/* ---- plumbing --------------------------------------------------------------- */

static const struct drv_scenario scenarios[] = {
	{ "run", NULL, run_ready, NULL, run_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "big", NULL, big_ready, big_started, big_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "cancel", NULL, cancel_ready, cancel_started, cancel_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "lost", NULL, lost_ready, lost_started, lost_finished, lost_lost,
	    NULL, NULL, 0, NULL },
	{ "spawnfail", NULL, sf_ready, NULL, sf_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "fds", NULL, fds_ready, NULL, fds_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "pathsearch", NULL, ps_ready, NULL, ps_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "stop", NULL, stop_ready, stop_started, NULL, NULL,
	    NULL, NULL, 0, NULL },
	{ "spawnfault", NULL, sfault_ready, NULL, sfault_finished, NULL,
	    "spawn@2", NULL, 0, NULL },
	{ "mqfault", NULL, mqfault_ready, mqfault_started, mqfault_finished,
	    mqfault_lost, NULL, "mq_send@2", 0, mqfault_unstarted },
	{ "reportfault", NULL, rfault_ready, rfault_started, rfault_finished,
	    rfault_lost, "report_write@4", NULL, 0, NULL },
	{ "escape", NULL, esc_ready, esc_started, esc_finished, NULL,
	    NULL, NULL, 0, NULL },
	{ "hung", NULL, hung_ready, hung_started, hung_finished, hung_lost,
	    NULL, NULL, 0, NULL },
	{ "heartbeat", NULL, hb_ready, NULL, hb_finished, NULL, NULL, NULL,
	    1000, NULL },
	{ "ahead", NULL, ah_ready, ah_started, ah_finished, NULL, NULL, NULL,
	    0, NULL },
	{ "withdraw", NULL, wd_ready, wd_started, wd_finished, NULL, NULL,
	    NULL, 0, wd_unstarted },
	{ "withdraw-late", NULL, wl_ready, wl_started, wl_finished, NULL,
	    NULL, NULL, 0, wl_unstarted },
	{ "ahead-lost", NULL, al_ready, al_started, al_finished, al_lost,
	    NULL, NULL, 0, al_unstarted },
	{ "ahead-cancel", NULL, ac_ready, ac_started, ac_finished, NULL,
	    NULL, NULL, 0, NULL },
};

static const struct drv_scenario orphan_scenario =
	{ "orphan", NULL, stop_ready, orphan_started, NULL, NULL, NULL, NULL,
	    0, NULL };

static void
cb_ready(void *arg, int slot)
{
	CHECK(slot >= 0 && slot < NSLOTS, "ready slot %d", slot);
	CHECK(!stopping, "ready() after pool_stop");
	slot_idle[slot] = 1;
	nready++;
	sc->ready(slot);
}

static struct drv_job *
drv_job(int64_t id, int slot)
{
	if (id <= 0 || id >= MAXJOBS || !jobs[id].used) {
		fail("callback for unknown job %lld", (long long)id);
		return NULL;
	}
	CHECK(jobs[id].slot == slot, "job %lld on slot %d, callback for %d",
	    (long long)id, jobs[id].slot, slot);
	return &jobs[id];
}

static void
cb_started(void *arg, int slot, const struct wire_report *rep)
{
	struct drv_job *j = drv_job(rep->job_id, slot);

	CHECK(!stopping, "started() after pool_stop");
	if (j == NULL)
		return;
	CHECK(j->started == 0 && !j->finished, "job %lld started twice",
	    (long long)rep->job_id);
	j->started++;
	j->pid = rep->pid;
	if (sc->started != NULL)
		sc->started(slot, j, rep->job_id);
}

static void
cb_finished(void *arg, int slot, const struct wire_report *rep)
{
	struct drv_job *j = drv_job(rep->job_id, slot);

	CHECK(!stopping, "finished() after pool_stop");
	if (j == NULL)
		return;
	CHECK(j->finished == 0, "job %lld finished twice", (long long)rep->job_id);
	CHECK(rep->type == WIRE_REP_SPAWN_FAILED || j->started == 1,
	    "job %lld finished without STARTED", (long long)rep->job_id);
	j->finished++;
	j->rep = *rep;
	if (sc->finished != NULL)
		sc->finished(slot, j, rep->job_id);
}

static void
cb_lost(void *arg, int slot, int64_t job_id, pid_t job_pid)
{
	struct drv_job *j;

	CHECK(!stopping, "lost() after pool_stop");
	if (job_id == 0) {
		/* the slot is down: no pool_run() until ready() */
		CHECK(slot >= 0 && slot < NSLOTS, "lost slot %d", slot);
		CHECK(job_pid == 0, "lost(slot %d, 0, pid %ld)", slot,
		    (long)job_pid);
		slot_downs[slot]++;
		slot_idle[slot] = 0;
		return;
	}
	if ((j = drv_job(job_id, slot)) == NULL)
		return;
	j->lost++;
	CHECK(job_pid == j->pid, "lost pid %ld, started %ld", (long)job_pid,
	    (long)j->pid);
	if (sc->lost != NULL)
		sc->lost(slot, j, job_id);
	else
		fail("unexpected lost() for job %lld", (long long)job_id);
}

static void
cb_unstarted(void *arg, int slot, int64_t job_id)
{
	struct drv_job *j;

	CHECK(!stopping, "unstarted() after pool_stop");
	if ((j = drv_job(job_id, slot)) == NULL)
		return;
	j->unstarted++;
	CHECK(j->unstarted == 1, "job %lld unstarted %d times",
	    (long long)job_id, j->unstarted);
	CHECK(!j->started && !j->finished && !j->lost, "job %lld unstarted "
	    "after started %d finished %d lost %d", (long long)job_id,
	    j->started, j->finished, j->lost);
	if (sc->unstarted != NULL)
		sc->unstarted(slot, j, job_id);
	else
		fail("unexpected unstarted() for job %lld", (long long)job_id);
}

static const struct pool_callbacks drv_cb = {
	cb_ready, cb_started, cb_finished, cb_lost, cb_unstarted
};

static int
drv_count_prefix(const char *dname, const char *prefix)
{
	DIR *d = opendir(dname);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			fprintf(stderr, "leftover %s/%s\n", dname, e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void
drv_rm_rf(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static int
drv_scenario(const struct drv_scenario *s)
{
	const char *mqdir = getenv("POOL_DRIVER_MQDIR");
	struct pool_config pc;
	char prefix[64];
	int r, before = failures, leak;

	sc = s;
	memset(jobs, 0, sizeof jobs);
	memset(slot_idle, 0, sizeof slot_idle);
	memset(slot_downs, 0, sizeof slot_downs);
	next_id = 0;
	fl_step = 0;
	fl_worker = 0;
	ah_a = ah_b = 0;
	ah_ready0 = ah_ready0_at = 0;
	stopping = pool_done = 0;
	nready = 0;
	ngroup = 0;
	snprintf(dir, sizeof dir, "/tmp/pool_driver.%s.XXXXXX", s->name);
	if (mkdtemp(dir) == NULL) {
		fail("mkdtemp: %s", strerror(errno));
		return 1;
	}
	uv_timer_init(loop, &watchdog);
	uv_timer_init(loop, &delay);
	uv_timer_start(&watchdog, drv_watchdog, 60000, 0);
	drv_faults(s);
	memset(&pc, 0, sizeof pc);
	pc.exe = exe;
	pc.nworkers = NSLOTS;
	pc.worker_timeout_ms = s->worker_timeout_ms != 0 ?
	    s->worker_timeout_ms : 10000;
	r = scoreboard_create(drv_path("scoreboard"), NSLOTS, &sboard);
	CHECK(r == 0, "scoreboard_create: %s", jobq_strerror(r));
	pc.scoreboard = sboard;
	if (r == 0)
		r = pool_start(loop, &pc, &drv_cb, NULL, &pool);
	if (r < 0) {
		unsetenv("JOBQD_FAULTS");
		drv_set_faults(NULL);
		fail("pool_start: %s", jobq_strerror(r));
		uv_close((uv_handle_t *)&watchdog, NULL);
		uv_close((uv_handle_t *)&delay, NULL);
		uv_run(loop, UV_RUN_DEFAULT);
		scoreboard_free(sboard);
		sboard = NULL;
		return 1;
	}
	CHECK(pool_size(pool) == NSLOTS, "pool_size");
	if (s->begin != NULL)
		s->begin();
	uv_run(loop, UV_RUN_DEFAULT);
	/* (replacement workers inherited it too, as from jobqd) */
	unsetenv("JOBQD_FAULTS");
	drv_set_faults(NULL);
	CHECK(pool_done, "pool_stop never called done()");
	scoreboard_free(sboard);
	sboard = NULL;
	if (strcmp(s->name, "stop") == 0)
		stop_end();

	snprintf(prefix, sizeof prefix, "jobqd.%ld.", (long)getpid());
	leak = drv_count_prefix("/dev/shm", prefix);
	CHECK(leak <= 0, "%d shm objects left in /dev/shm", leak);
	leak = drv_count_prefix(mqdir != NULL ? mqdir : "/dev/mqueue", prefix);
	if (leak < 0)
		fprintf(stderr, "note: no mqueue mount at %s, queue leak check "
		    "skipped\n", mqdir != NULL ? mqdir : "/dev/mqueue");
	CHECK(leak <= 0, "%d queues left in the mqueue fs", leak);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "children left unreaped");
	if (failures == before)
		drv_rm_rf(dir);
	else
		fprintf(stderr, "kept %s\n", dir);
	printf("%s: %s\n", s->name, failures == before ? "ok" : "FAILED");
	fflush(stdout);
	return failures != before;
}

/* Runs a pool in a child, SIGKILLs the child once its job runs, and checks
 * that the workers (PDEATHSIG) and the job's group go away. */
static int
drv_orphan(void)
{
	pid_t child, pids[3];
	int pfd[2], i, st, before = failures;
	ssize_t n;

	sc = &orphan_scenario;
	if (pipe2(pfd, O_CLOEXEC) == -1 || (child = fork()) == -1) {
		fail("pipe/fork: %s", strerror(errno));
		return 1;
	}
	if (child == 0) {
		close(pfd[0]);
		orphan_fd = pfd[1];
		if (uv_loop_fork(loop) < 0)
			_exit(1);
		drv_scenario(&orphan_scenario);
		_exit(1);
	}
	close(pfd[1]);
	n = read(pfd[0], pids, sizeof pids);
	if (read(pfd[0], dir, sizeof dir) != (ssize_t)sizeof dir)
		dir[0] = '\0';
	close(pfd[0]);
	CHECK(n == (ssize_t)sizeof pids, "no pids from the child");
	if (n == (ssize_t)sizeof pids) {
		for (i = 0; i < 100; i++) {
			if ((ngroup = drv_group(pids[0], group_pids, 14)) >= 2)
				break;
			usleep(10000);
		}
		CHECK(ngroup >= 2, "only %d processes in the job's group", ngroup);
		group_pids[ngroup++] = pids[1];
		group_pids[ngroup++] = pids[2];
	}
	if (kill(child, SIGKILL) == -1 || waitpid(child, &st, 0) == -1)
		fail("kill child: %s", strerror(errno));
	drv_check_group_gone("orphan");
	if (dir[0] != '\0')
		drv_rm_rf(dir);
	printf("orphan: %s\n", failures == before ? "ok" : "FAILED");
	fflush(stdout);
	return failures != before;
}

int
main(int argc, char **argv)
{
	size_t i;
	ssize_t n;
	int ran = 0, leakfd;
	/* without an argument (as a `make check` test): every scenario */
	const char *which = argc == 2 ? argv[1] : "all";

	if (argc >= 2 && strcmp(argv[1], "--worker") == 0) {
		/* as jobqd's main() does before worker_main() */
		char err[256];

		if (fault_init(getenv("JOBQD_FAULTS"), err, sizeof err) != 0) {
			fprintf(stderr, "pool_driver: %s\n", err);
			return 2;
		}
		return worker_main(argc - 2, argv + 2);
	}
	if (argc > 2) {
		fprintf(stderr, "usage: pool_driver run|big|cancel|lost|spawnfail|"
		    "fds|pathsearch|stop|spawnfault|mqfault|reportfault|escape|"
		    "hung|heartbeat|ahead|withdraw|withdraw-late|ahead-lost|"
		    "ahead-cancel|orphan|all\n");
		return 2;
	}
	log_init(getenv("POOL_DRIVER_DEBUG") != NULL ? LOG_LVL_DEBUG :
	    LOG_LVL_WARN, "pool_driver");
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) < 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	exe[n] = '\0';
	signal(SIGPIPE, SIG_IGN);
	/* A descriptor without CLOEXEC that no job may see. */
	if ((leakfd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(leakfd, 20) == -1) {
		perror("open");
		return 1;
	}
	loop = uv_default_loop();
	for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(which, "all") != 0 &&
		    strcmp(which, scenarios[i].name) != 0)
			continue;
		ran++;
		drv_scenario(&scenarios[i]);
	}
	if (strcmp(which, "all") == 0 || strcmp(which, "orphan") == 0) {
		ran++;
		drv_orphan();
	}
	if (ran == 0) {
		fprintf(stderr, "unknown scenario %s\n", which);
		return 2;
	}
	if (uv_loop_close(loop) != 0)
		fail("loop still has handles");
	return failures == 0 ? 0 : 1;
}
