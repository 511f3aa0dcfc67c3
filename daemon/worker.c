/*
 * worker.c - the worker process: its main loop, the messages from the
 * daemon, the reports to it, its scoreboard slot, and the job's process
 * from start to reap (worker_spawn.c starts it).
 *
 *   jobqd (pool.c, libuv loop)
 *     |  mq "/jobqd.PID.wSLOT.GEN" (RUN/CANCEL/INTERRUPT/QUIT) ---> worker
 *     |  <--- fd 3 pipe: struct wire_report (READY/STARTED/FINISHED/...)
 *     |  <--> fd 5: STATE/scoreboard, slot SLOT (heartbeat, job, group)
 *     `- jobqd --worker SLOT MQNAME DAEMONPID      (this file)
 *          |  poll() <= 250 ms: mq, signalfd(TERM,INT,CHLD), timerfd (kill
 *          |          grace), report pipe (POLLERR = the daemon is gone);
 *          |          heartbeat after each wake-up
 *          `- job (worker_spawn.c): setsid leader, PDEATHSIG KILL, its
 *               cgroup joined (cgroup mode, see worker_cgroup_start), fds
 *               0/1/2 only, execve (its pid is its process group id; the
 *               group is SIGKILLed when the leader exits, before the leader
 *               is reaped; then worker_sweep() kills and reaps whatever
 *               else the job left in the worker's subtree)
 *
 * Signals are never handled asynchronously: TERM, INT and CHLD are blocked
 * and read from a signalfd.  One job at a time, and at most one more kept
 * to begin right after it (wire.h: running ahead).  A report that cannot be
 * written (the daemon is gone, or FAULT_REPORT_WRITE of fault.h) ends the
 * worker: it kills the job's group, sweeps and exits 1, and the daemon
 * sees the worker lost.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"
#include "cgroup.h"
#include "fault.h"
#include "log.h"
#include "proctree.h"
#include "scoreboard.h"
#include "util.h"
#include "wire.h"
#include "worker.h"
#include "worker_int.h"

/* The heartbeat: poll() never sleeps longer than this. */
#define WORKER_HEARTBEAT_MS 250
/* Killing what a job left behind: at most this long in all, in walks of
 * /proc of at most WORKER_SWEEP_STEP_MS (the heartbeat goes on between). */
#define WORKER_SWEEP_MS 2000
#define WORKER_SWEEP_STEP_MS 100

struct worker {
	int slot;
	pid_t daemon_pid;
	mqd_t mq;
	char *msgbuf;
	size_t msgsize;
	struct scoreboard *sb;	/* our slot is sb's slot `slot` */
	int sfd;		/* signalfd: SIGTERM SIGINT SIGCHLD */
	int tfd;		/* timerfd: SIGKILL the group after grace */
	int repfd;		/* WORKER_REPORT_FD */
	int quit;		/* QUIT received: exit when idle */
	pid_t pid;		/* getpid() */
	long nofile;		/* RLIMIT_NOFILE, for the job's fd cleanup */

	/* A RUN received while the job runs (wire.h: running ahead), begun
	 * once that job's end is reported; ahead_len 0: none. */
	char *ahead;
	size_t ahead_len;

	/* The running job; job_pid 0 when idle. */
	pid_t job_pid;
	int64_t job_id;
	uint32_t attempt;
	int64_t start_us;
	uint32_t end_flags;
	struct worker_output output;	/* its output limit (worker_output.c) */

	/* cgroup mode (cgroup.h): the jobs' parent cgroup (-1: none), the
	 * controllers enabled there, the running job's cgroup. */
	int cg_jobs_fd;
	char cg_ctl[64];
	struct cgroup_job cg;
};

static void worker_sweep(struct worker *, pid_t);
static int worker_reap_strays(void);

/* SIGKILL to the job's group, and in cgroup mode to its whole cgroup. */
static void
worker_kill_all(struct worker *w)
{
	int r;

	if (kill(-w->job_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGKILL)", (long)w->job_pid);
	if (w->cg.dirfd != -1 && (r = cgroup_kill(w->cg.dirfd)) != 0)
		log_warnx("job %lld: cgroup %s: kill: %s", (long long)w->job_id,
		    w->cg.name, strerror(-r));
}

/*
 * Once the job's leader is reaped, in cgroup mode: everything in its cgroup
 * is killed (again, until cgroup.events says it is empty; bounded by
 * WORKER_SWEEP_MS, the heartbeat going on), what it used is read into *u,
 * and the cgroup is removed.  u->flags 0 when there is none.
 */
static void
worker_cgroup_end(struct worker *w, struct cgroup_usage *u)
{
	int64_t t0 = util_mono_ms(), now;
	int r;

	memset(u, 0, sizeof *u);
	if (w->cg.dirfd == -1)
		return;
	for (;;) {
		(void)cgroup_kill(w->cg.dirfd);
		if ((r = cgroup_populated(w->cg.dirfd)) <= 0)
			break;
		(void)worker_reap_strays();	/* its orphans are ours */
		now = util_mono_ms();
		scoreboard_beat(w->sb, (unsigned)w->slot, now);
		if (now - t0 >= WORKER_SWEEP_MS) {
			log_warnx("job %lld: cgroup %s still has processes "
			    "after %d ms", (long long)w->job_id, w->cg.name,
			    WORKER_SWEEP_MS);
			break;
		}
		(void)usleep(1000);
	}
	if (r < 0)
		log_warnx("job %lld: cgroup %s: cgroup.events: %s",
		    (long long)w->job_id, w->cg.name, strerror(-r));
	cgroup_read_usage(w->cg.dirfd, u);
	if ((r = cgroup_job_remove(w->cg_jobs_fd, &w->cg)) != 0)
		log_warnx("job %lld: cgroup %s: cannot remove it: %s",
		    (long long)w->job_id, w->cg.name, strerror(-r));
}

/* Kills the job's group and waits for its leader, then for everything the
 * job left; used when the worker must go away with a job running. */
static void
worker_kill_job(struct worker *w)
{
	struct cgroup_usage u;
	int status;

	if (w->job_pid <= 0)
		return;
	worker_kill_all(w);
	while (waitpid(w->job_pid, &status, 0) == -1) {
		if (errno != EINTR) {
			log_warn("waitpid %ld", (long)w->job_pid);
			break;
		}
	}
	worker_cgroup_end(w, &u);
	worker_sweep(w, w->job_pid);
	w->job_pid = 0;
	scoreboard_job(w->sb, (unsigned)w->slot, 0, 0, 0, 0, 0);
}

/* ---- reports ------------------------------------------------------------- */

/* One write() of the whole record (atomic: < PIPE_BUF).  Failure means the
 * daemon is gone or cannot be told: kill the job and exit. */
static void
worker_report(struct worker *w, struct wire_report *rep)
{
	ssize_t n;

	for (;;) {
		if (fault_hit(FAULT_REPORT_WRITE)) {
			log_warnx("report type %u: failing the write as told by "
			    "JOBQD_FAULTS (report_write)", rep->type);
			n = -1;
			errno = EIO;
			break;
		}
		n = write(w->repfd, rep, sizeof *rep);
		if (n == (ssize_t)sizeof *rep)
			return;
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n == -1)
		log_warn("report pipe");
	else
		log_warnx("report pipe: short write %zd", n);
	worker_kill_job(w);
	exit(1);
}

static void
worker_report_spawn_failed(struct worker *w, int64_t job_id, int stage,
    int err, int64_t start_us)
{
	struct wire_report rep;

	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_SPAWN_FAILED;
	rep.job_id = job_id;
	rep.stage = stage;
	rep.err = err;
	rep.start_us = start_us;
	rep.end_us = util_now_us();
	log_debug("job %lld: spawn failed at stage %d: %s", (long long)job_id,
	    stage, strerror(err));
	worker_report(w, &rep);
}

/* STARTED for the job just started as pid: it is now the worker's job,
 * and the scoreboard says so (its group and its leader's start time)
 * before the daemon hears of it. */
static void
worker_report_started(struct worker *w, int64_t job_id, pid_t pid,
    int64_t start_us)
{
	struct wire_report rep;

	w->job_pid = pid;
	w->job_id = job_id;
	w->start_us = start_us;
	w->end_flags = 0;
	scoreboard_job(w->sb, (unsigned)w->slot,
	    SCOREBOARD_F_JOB | SCOREBOARD_F_PROC, job_id, w->attempt, pid,
	    proctree_start_time(pid));
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_STARTED;
	rep.job_id = job_id;
	rep.pid = pid;
	rep.start_us = start_us;
	log_debug("job %lld: started pid %ld", (long long)job_id, (long)pid);
	worker_report(w, &rep);
}

/* ---- messages from the daemon ------------------------------------------ */

/*
 * cgroup mode: the job's cgroup, made before vfork with the job's limits
 * for the controllers enabled; the child joins it.  Returns 0 or the errno
 * to report (WIRE_STAGE_CGROUP).
 */
static int
worker_cgroup_start(struct worker *w, const struct wire_msg *m,
    const struct wire_spec *spec)
{
	struct cgroup_limits lim;
	const char *what = "";
	int r;

	/* The job's limits for its cgroup, from its spec's resource limits
	 * (mem_max: its memory limit in bytes, --mem; pids_max: its process
	 * limit, --nproc, for the job's tree only where RLIMIT_NPROC counts
	 * all of its user's processes; cpu_quota_us: its CPU bandwidth,
	 * --cpus, as a quota per CGROUP_CPU_PERIOD_US (cgroup_cpu_quota_us;
	 * cgroup_write_limits raises it to at least 1000 us)).  0: not
	 * written.  Each is written only where its controller is enabled:
	 * without the cpu controller (or out of cgroup mode) --cpus is not
	 * enforced, as jobqd(8) says. */
	memset(&lim, 0, sizeof lim);
	if ((spec->limits.set & JOBQ_LIMIT_MEM) && spec->limits.mem > 0)
		lim.mem_max = (uint64_t)spec->limits.mem;
	if ((spec->limits.set & JOBQ_LIMIT_NPROC) && spec->limits.nproc > 0)
		lim.pids_max = (uint64_t)spec->limits.nproc;
	if ((spec->limits.set & JOBQ_LIMIT_CPUS) && spec->limits.cpus > 0)
		lim.cpu_quota_us = cgroup_cpu_quota_us(spec->limits.cpus);
	r = cgroup_job_create(w->cg_jobs_fd, m->job_id, m->attempt, w->cg_ctl,
	    &lim, &w->cg, &what);
	if (r == 0)
		return 0;
	log_warnx("job %lld: cgroup job-%lld-%u: %s: %s", (long long)m->job_id,
	    (long long)m->job_id, m->attempt, what, strerror(-r));
	return -r;
}

/* Returns -1 on a fatal protocol error (a RUN while a job runs). */
static int
worker_run(struct worker *w, const struct wire_msg *m, size_t n)
{
	struct worker_spawn_result res;
	struct wire_spec spec;
	int64_t start_us;
	int err;

	if (w->job_pid != 0) {
		log_warnx("RUN for job %lld while job %lld runs",
		    (long long)m->job_id, (long long)w->job_id);
		return -1;
	}
	w->attempt = m->attempt;
	/* From here on the job may start: the hand-off marker goes first. */
	scoreboard_begin(w->sb, (unsigned)w->slot, m->job_id, m->attempt);
	scoreboard_job(w->sb, (unsigned)w->slot, SCOREBOARD_F_JOB, m->job_id,
	    m->attempt, 0, 0);
	err = worker_spec_read(m, n, &spec);
	start_us = util_now_us();
	if (err != 0) {
		if (err != EINVAL)
			log_warnx("job %lld: spec: %s", (long long)m->job_id,
			    strerror(err));
		scoreboard_job(w->sb, (unsigned)w->slot, 0, 0, 0, 0, 0);
		worker_report_spawn_failed(w, m->job_id, WIRE_STAGE_SPEC, err,
		    start_us);
		return 0;
	}
	if (w->cg_jobs_fd != -1 &&
	    (err = worker_cgroup_start(w, m, &spec)) != 0) {
		wire_spec_free(&spec);
		scoreboard_job(w->sb, (unsigned)w->slot, 0, 0, 0, 0, 0);
		worker_report_spawn_failed(w, m->job_id, WIRE_STAGE_CGROUP, err,
		    start_us);
		return 0;
	}
	worker_spawn_cg(&spec, w->pid, w->nofile, w->cg.procs_fd, &res);
	wire_spec_free(&spec);
	cgroup_job_close_procs(&w->cg);
	if (res.pid <= 0 && w->cg.dirfd != -1 &&
	    (err = cgroup_job_remove(w->cg_jobs_fd, &w->cg)) != 0)
		log_warnx("job %lld: cgroup %s: cannot remove it: %s",
		    (long long)m->job_id, w->cg.name, strerror(-err));
	w->output = res.output;
	if (res.pid > 0)
		worker_report_started(w, m->job_id, res.pid, start_us);
	else {
		scoreboard_job(w->sb, (unsigned)w->slot, 0, 0, 0, 0, 0);
		worker_report_spawn_failed(w, m->job_id, res.stage, res.err,
		    start_us);
	}
	return 0;
}

static void
worker_arm_timer(struct worker *w, unsigned ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (ms == 0)
		its.it_value.tv_nsec = 1;	/* 0 would disarm */
	if (timerfd_settime(w->tfd, 0, &its, NULL) == -1) {
		log_warn("timerfd_settime");
		if (kill(-w->job_pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill(-%ld, SIGKILL)", (long)w->job_pid);
	}
}

static void
worker_disarm_timer(struct worker *w)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	if (timerfd_settime(w->tfd, 0, &its, NULL) == -1)
		log_warn("timerfd_settime");
}

static void
worker_cancel(struct worker *w, const struct wire_msg *m)
{
	if (w->job_pid == 0 || m->job_id != w->job_id) {
		log_debug("%s for job %lld: not running here",
		    m->type == WIRE_CANCEL ? "CANCEL" : "INTERRUPT",
		    (long long)m->job_id);
		return;
	}
	w->end_flags |= m->type == WIRE_CANCEL ? WIRE_END_CANCELED :
	    WIRE_END_INTERRUPTED;
	log_debug("job %lld: %s, grace %u ms", (long long)m->job_id,
	    m->type == WIRE_CANCEL ? "cancel" : "interrupt", m->grace_ms);
	if (kill(-w->job_pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGTERM)", (long)w->job_pid);
	/* A stopped group would sit on the TERM until the KILL. */
	if (kill(-w->job_pid, SIGCONT) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGCONT)", (long)w->job_pid);
	worker_arm_timer(w, m->grace_ms);
}

/* A RUN while the job runs: kept to begin after it.  -1 on a protocol
 * error (a second one). */
static int
worker_keep(struct worker *w, const char *buf, size_t n)
{
	const struct wire_msg *m = (const struct wire_msg *)(const void *)buf;

	if (w->ahead_len != 0) {
		log_warnx("RUN for job %lld while job %lld runs and another "
		    "waits", (long long)m->job_id, (long long)w->job_id);
		return -1;
	}
	memcpy(w->ahead, buf, n);
	w->ahead_len = n;
	log_debug("job %lld: kept, to start after job %lld",
	    (long long)m->job_id, (long long)w->job_id);
	return 0;
}

/* Drops the job kept ahead if it is job_id (any if job_id is 0): it was
 * never begun (UNSTARTED).  1 if dropped. */
static int
worker_drop(struct worker *w, int64_t job_id)
{
	struct wire_report rep;
	struct wire_msg m;

	if (w->ahead_len == 0)
		return 0;
	memcpy(&m, w->ahead, sizeof m);
	if (job_id != 0 && m.job_id != job_id)
		return 0;
	w->ahead_len = 0;
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_UNSTARTED;
	rep.job_id = m.job_id;
	log_debug("job %lld: dropped before it started", (long long)m.job_id);
	worker_report(w, &rep);
	return 1;
}

/* The running job's end was reported: begin the job kept ahead. */
static void
worker_run_ahead(struct worker *w)
{
	size_t n = w->ahead_len;

	if (n == 0 || w->job_pid != 0)
		return;
	w->ahead_len = 0;
	(void)worker_run(w, (const struct wire_msg *)(void *)w->ahead, n);
}

/* Returns -1 on a fatal protocol error. */
static int
worker_read_mq(struct worker *w)
{
	struct wire_msg m;
	ssize_t n;

	for (;;) {
		n = mq_receive(w->mq, w->msgbuf, w->msgsize, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			log_warn("mq_receive");
			return -1;
		}
		if ((size_t)n < sizeof m) {
			log_warnx("short message: %zd bytes", n);
			continue;
		}
		memcpy(&m, w->msgbuf, sizeof m);
		switch (m.type) {
		case WIRE_RUN:
			if (w->job_pid != 0) {
				if (worker_keep(w, w->msgbuf, (size_t)n) == -1)
					return -1;
			} else if (worker_run(w,
			    (const struct wire_msg *)w->msgbuf, (size_t)n) == -1)
				return -1;
			break;
		case WIRE_CANCEL:
		case WIRE_INTERRUPT:
			if (!worker_drop(w, m.job_id))
				worker_cancel(w, &m);
			break;
		case WIRE_WITHDRAW:
			(void)worker_drop(w, m.job_id);
			break;
		case WIRE_QUIT:
			log_debug("quit");
			w->quit = 1;
			(void)worker_drop(w, 0);
			break;
		default:
			log_warnx("unknown message type %u", m.type);
			break;
		}
	}
}

/* Reaps the children that have exited, without blocking (the worker is a
 * child subreaper: orphans of the job are its children).  Returns 1 if
 * children remain, 0 if the worker has none. */
static int
worker_reap_strays(void)
{
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			log_debug("reaped stray process %ld", (long)pid);
			continue;
		}
		if (pid == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != ECHILD)
			log_warn("waitpid");
		return 0;
	}
}

/*
 * After the job's leader is reaped: nothing the job started may outlive
 * it.  Its group gets SIGKILL; then whatever left the group (setsid, a
 * double fork, setpgid) is in the worker's subtree - the worker is a child
 * subreaper and has no children but the job's - so every descendant is
 * killed (proctree.c) and every child reaped until the worker has no child
 * left.  The first check costs one waitpid() for a job that left nothing.
 * Bounded by WORKER_SWEEP_MS (a process stuck in the kernel cannot be
 * waited for); the heartbeat goes on meanwhile.
 */
static void
worker_sweep(struct worker *w, pid_t pgid)
{
	int64_t t0 = util_mono_ms(), now;
	int r, left = 0, killed = 0;

	for (;;) {
		if (pgid > 0)
			(void)kill(-pgid, SIGKILL);
		if (!worker_reap_strays())
			break;
		now = util_mono_ms();
		scoreboard_beat(w->sb, (unsigned)w->slot, now);
		if (now - t0 >= WORKER_SWEEP_MS) {
			log_warnx("job %lld: processes it left still alive after "
			    "%d ms (%d at the last look)", (long long)w->job_id,
			    WORKER_SWEEP_MS, left);
			break;
		}
		r = proctree_kill_descendants(w->pid, 0, WORKER_SWEEP_STEP_MS,
		    &left);
		if (r > 0)
			killed += r;
		else if (r != JOBQ_ETIMEDOUT)
			(void)usleep(1000);	/* dying: reap them next */
	}
	if (killed > 0)
		log_info("job %lld: killed %d process(es) it left behind",
		    (long long)w->job_id, killed);
}

/* The job's leader may have exited: kill what is left of its group while
 * the unreaped leader still pins the group id, then reap and report. */
static void
worker_check_job(struct worker *w)
{
	struct wire_report rep;
	struct cgroup_usage cu;
	struct rusage ru;
	siginfo_t si;
	pid_t pid;
	int status;

	if (w->job_pid == 0)
		return;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)w->job_pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
		log_warn("waitid %ld", (long)w->job_pid);
		return;
	}
	if (si.si_pid != w->job_pid)
		return;
	worker_kill_all(w);
	memset(&ru, 0, sizeof ru);
	while ((pid = wait4(w->job_pid, &status, 0, &ru)) == -1 && errno == EINTR)
		;
	if (pid == -1) {
		log_warn("wait4 %ld", (long)w->job_pid);
		return;
	}
	worker_cgroup_end(w, &cu);
	worker_sweep(w, w->job_pid);
	scoreboard_job(w->sb, (unsigned)w->slot, 0, 0, 0, 0, 0);
	worker_disarm_timer(w);
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_FINISHED;
	rep.flags = w->end_flags | worker_output_end(&w->output, w->job_id,
	    &rep.out_limit);
	rep.job_id = w->job_id;
	rep.pid = w->job_pid;
	rep.wstatus = status;
	rep.start_us = w->start_us;
	rep.end_us = util_now_us();
	rep.utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	rep.stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	rep.maxrss_kb = ru.ru_maxrss;
	if (cu.flags & CGROUP_USAGE_CPU) {
		rep.cg_flags |= WIRE_USAGE_CG_CPU;
		rep.cg_user_us = (int64_t)cu.user_us;
		rep.cg_sys_us = (int64_t)cu.sys_us;
	}
	if (cu.flags & CGROUP_USAGE_MEM) {
		rep.cg_flags |= WIRE_USAGE_CG_MEM;
		rep.cg_mem_peak = cu.mem_peak;
	}
	log_debug("job %lld: pid %ld ended, status 0x%x", (long long)w->job_id,
	    (long)w->job_pid, (unsigned)status);
	w->job_pid = 0;
	w->end_flags = 0;
	worker_report(w, &rep);
	worker_run_ahead(w);
}

/* Returns 1 when the worker must stop (SIGTERM/SIGINT). */
static int
worker_read_signals(struct worker *w)
{
	struct signalfd_siginfo si;
	ssize_t n;
	int stop = 0, chld = 0;

	for (;;) {
		n = read(w->sfd, &si, sizeof si);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("signalfd read");
			break;
		}
		if (n != (ssize_t)sizeof si) {
			log_warnx("signalfd: short read %zd", n);
			break;
		}
		if (si.ssi_signo == SIGCHLD)
			chld = 1;
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_debug("signal %u from pid %u", si.ssi_signo,
			    si.ssi_pid);
			stop = 1;
		}
	}
	if (chld) {
		worker_check_job(w);
		/* Never reap the leader before its group is killed. */
		if (w->job_pid == 0)
			(void)worker_reap_strays();
	}
	return stop;
}

static void
worker_read_timer(struct worker *w)
{
	uint64_t exp;
	ssize_t n;

	do
		n = read(w->tfd, &exp, sizeof exp);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno != EAGAIN)
			log_warn("timerfd read");
		return;
	}
	if (w->job_pid != 0) {
		log_debug("job %lld: grace over, SIGKILL", (long long)w->job_id);
		worker_kill_all(w);
	}
}

static int
worker_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Signals (TERM, INT, CHLD blocked for the signalfd in *set; PIPE
 * ignored), parent-death signal, subreaper, and the parent check. */
static int
worker_setup_process(struct worker *w, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, set, NULL) == -1) {
		log_warn("sigprocmask");
		return -1;
	}
	/* A write to a dead daemon's pipe must fail with EPIPE, not kill us
	 * before the job's group is killed. */
	worker_sig_init();
	if (worker_sig_set(SIGPIPE, SIG_IGN) == -1) {
		log_warn("signal SIGPIPE");
		return -1;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1) {
		log_warn("prctl PR_SET_PDEATHSIG");
		return -1;
	}
	/* Orphans of the job are reparented to us, so its group can be
	 * waited for and reaped (worker_drain_group). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		log_warn("prctl PR_SET_CHILD_SUBREAPER");
		return -1;
	}
	if (getppid() != w->daemon_pid) {
		log_warnx("parent %ld is not the daemon %ld", (long)getppid(),
		    (long)w->daemon_pid);
		return -1;
	}
	return 0;
}

/* The scoreboard comes open as WORKER_SCOREBOARD_FD: mapped, the
 * descriptor is not needed any more. */
static int
worker_setup_scoreboard(struct worker *w)
{
	if (scoreboard_attach(WORKER_SCOREBOARD_FD, (unsigned)w->slot,
	    w->daemon_pid, &w->sb) < 0)
		return -1;
	if (close(WORKER_SCOREBOARD_FD) == -1)
		log_warn("close scoreboard fd %d", WORKER_SCOREBOARD_FD);
	scoreboard_beat(w->sb, (unsigned)w->slot, util_mono_ms());
	return 0;
}

/* The report pipe, the signalfd for set, the kill timer and the message
 * queue (named mqname, for messages only) with its receive buffer. */
static int
worker_setup_fds(struct worker *w, const sigset_t *set, const char *mqname)
{
	struct mq_attr attr;

	if (fcntl(WORKER_REPORT_FD, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("report fd %d", WORKER_REPORT_FD);
		return -1;
	}
	w->repfd = WORKER_REPORT_FD;
	if ((w->sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("signalfd");
		return -1;
	}
	if ((w->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_warn("timerfd_create");
		return -1;
	}
	/* The queue comes open (read-only, non-blocking) as WORKER_MQ_FD;
	 * its name is only a label, already unlinked. */
	w->mq = (mqd_t)WORKER_MQ_FD;
	if (fcntl(WORKER_MQ_FD, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("queue %s: fd %d", mqname, WORKER_MQ_FD);
		return -1;
	}
	if (mq_getattr(w->mq, &attr) == -1) {
		log_warn("mq_getattr %s", mqname);
		return -1;
	}
	if (attr.mq_msgsize < (long)sizeof(struct wire_msg)) {
		log_warnx("mq %s: message size %ld too small", mqname,
		    attr.mq_msgsize);
		return -1;
	}
	w->msgsize = (size_t)attr.mq_msgsize;
	if ((w->msgbuf = malloc(w->msgsize)) == NULL ||
	    (w->ahead = malloc(w->msgsize)) == NULL) {
		log_warn("malloc");
		return -1;
	}
	return 0;
}

static int
worker_setup(struct worker *w, int argc, char **argv)
{
	static char procname[32];
	struct rlimit rl;
	sigset_t set;
	long slot, dpid;

	if ((argc != 3 && argc != 4) ||
	    worker_parse_int(argv[0], 0, INT_MAX, &slot) == -1 ||
	    worker_parse_int(argv[2], 1, INT_MAX, &dpid) == -1) {
		log_warnx("usage: jobqd --worker SLOT MQNAME DAEMONPID "
		    "[CGROUP]");
		return -1;
	}
	if (argc == 4 && (w->cg_jobs_fd = open(argv[3], O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("cgroup %s", argv[3]);
		return -1;
	}
	if (w->cg_jobs_fd != -1)
		cgroup_controllers(w->cg_jobs_fd, w->cg_ctl, sizeof w->cg_ctl);
	w->slot = (int)slot;
	w->daemon_pid = (pid_t)dpid;
	w->pid = getpid();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur <= INT_MAX)
		w->nofile = (long)rl.rlim_cur;
	else
		w->nofile = 65536;
	(void)snprintf(procname, sizeof procname, "worker %d", w->slot);
	log_setproc(procname);
	if (worker_setup_process(w, &set) == -1 ||
	    worker_setup_scoreboard(w) == -1)
		return -1;
	return worker_setup_fds(w, &set, argv[1]);
}

/* poll()'s timeout: the next heartbeat, or sooner when the running job's
 * output size is due for a look (worker_output.c). */
static int
worker_poll_timeout(struct worker *w)
{
	int out = worker_output_timeout(&w->output);

	return out >= 0 && out < WORKER_HEARTBEAT_MS ? out :
	    WORKER_HEARTBEAT_MS;
}

/* What the worker holds, freed; returns code. */
static int
worker_exit(struct worker *w, int code)
{
	free(w->msgbuf);
	free(w->ahead);
	scoreboard_free(w->sb);
	return code;
}

int
worker_main(int argc, char **argv)
{
	struct worker w;
	struct wire_report rep;
	struct pollfd pfd[4];

	memset(&w, 0, sizeof w);
	w.mq = (mqd_t)-1;
	w.sfd = w.tfd = w.repfd = -1;
	w.cg_jobs_fd = w.cg.dirfd = w.cg.procs_fd = -1;
	if (worker_setup(&w, argc, argv) == -1)
		return worker_exit(&w, 1);
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_READY;
	rep.pid = getpid();
	worker_report(&w, &rep);
	log_debug("ready");

	for (;;) {
		scoreboard_beat(w.sb, (unsigned)w.slot, util_mono_ms());
		if (w.quit && w.job_pid == 0)
			break;
		pfd[0].fd = (int)w.mq;
		pfd[0].events = POLLIN;
		pfd[1].fd = w.sfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = w.tfd;
		pfd[2].events = POLLIN;
		pfd[3].fd = w.repfd;	/* POLLERR once the daemon's end closes */
		pfd[3].events = 0;
		if (poll(pfd, 4, worker_poll_timeout(&w)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		worker_output_poll(&w.output, w.job_pid, w.job_id);
		if (pfd[1].revents & POLLIN) {
			if (worker_read_signals(&w)) {
				log_debug("stopping");
				break;
			}
		}
		if (pfd[3].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_warnx("report pipe closed: the daemon is gone");
			worker_kill_job(&w);
			return worker_exit(&w, 1);
		}
		if (pfd[2].revents & POLLIN)
			worker_read_timer(&w);
		if (pfd[0].revents & POLLIN) {
			if (worker_read_mq(&w) == -1) {
				worker_kill_job(&w);
				return worker_exit(&w, 1);
			}
		}
	}
	worker_kill_job(&w);
	if (mq_close(w.mq) == -1)
		log_warn("mq_close");
	return worker_exit(&w, 0);
}
