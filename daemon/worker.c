/*
 * worker.c - the worker process: owns one job's process from vfork to reap.
 *
 *   jobqd (pool.c, libuv loop)
 *     |  mq "/jobqd.PID.wSLOT.GEN" (RUN/CANCEL/INTERRUPT/QUIT) ---> worker
 *     |  <--- fd 3 pipe: struct wire_report (READY/STARTED/FINISHED/...)
 *     `- jobqd --worker SLOT MQNAME DAEMONPID      (this file)
 *          |  poll(): mq, signalfd(TERM,INT,CHLD), timerfd (kill grace),
 *          |          report pipe (POLLERR = the daemon is gone)
 *          `- job: setsid leader, PDEATHSIG KILL, fds 0/1/2 only, execve
 *               (its pid is its process group id; the group is SIGKILLed
 *               when the leader exits, before the leader is reaped)
 *
 * Signals are never handled asynchronously: TERM, INT and CHLD are blocked
 * and read from a signalfd.  The job is started with vfork(): the worker,
 * every signal blocked, is suspended until the child has exec'd or exited.
 * The child resets every disposition and clears the mask just before
 * execve; a failure before exec leaves {stage, errno} in the worker's memory
 * (the child writes it, then _exit(127)), and is reported as SPAWN_FAILED.
 * One job at a time.
 *
 * ThreadSanitizer turns vfork() into fork(), so under TSan the memory is not
 * shared and a spawn failure shows as a job that exited 127; every other
 * build (plain, ASan/UBSan) has real vfork semantics.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <dirent.h>
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

#include "log.h"
#include "util.h"
#include "wire.h"
#include "worker.h"

#define WORKER_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* Upper bound for a spec in shared memory (the daemon's limit is lower). */
#define WORKER_SHM_MAX ((uint64_t)1 << 30)
/* Waiting for a killed job group to vanish: 200 x 5 ms at most. */
#define WORKER_DRAIN_TRIES 200
#define WORKER_DRAIN_STEP_US 5000

struct worker {
	int slot;
	pid_t daemon_pid;
	mqd_t mq;
	char *msgbuf;
	size_t msgsize;
	int sfd;		/* signalfd: SIGTERM SIGINT SIGCHLD */
	int tfd;		/* timerfd: SIGKILL the group after grace */
	int repfd;		/* WORKER_REPORT_FD */
	int quit;		/* QUIT received: exit when idle */
	pid_t pid;		/* getpid() */
	long nofile;		/* RLIMIT_NOFILE, for the job's fd cleanup */

	/* The running job; job_pid 0 when idle. */
	pid_t job_pid;
	int64_t job_id;
	int64_t start_us;
	uint32_t end_flags;
};

/* What a failed job child leaves in the parent's memory before _exit(127):
 * stage 0 means it did not fail (it exec'd, or died without reporting). */
struct worker_execerr {
	int32_t stage;
	int32_t err;
};

/* Everything the vfork child uses, prepared by the parent beforehand: the
 * child allocates nothing and only reads this (and writes *res, shargv[1]). */
struct worker_child_args {
	volatile struct worker_execerr *res;
	pid_t worker_pid;
	int cwdfd, nullfd, outfd, errfd;
	long maxfd;		/* close() fallback bound (RLIMIT_NOFILE) */
	char *const *argv;
	char *const *env;
	char *const *cand;	/* execve candidates; NULL: path too long */
	size_t ncand;
	int early_err;		/* nonzero: fail at WIRE_STAGE_EXEC, no execve */
	char **shargv;		/* "/bin/sh", (path), argv[1..], NULL */
};

static void worker_drain_group(pid_t);

/* Kills the job's group and waits for its leader; used when the worker must
 * go away with a job running. */
static void
worker_kill_job(struct worker *w)
{
	int status;

	if (w->job_pid <= 0)
		return;
	if (kill(-w->job_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGKILL)", (long)w->job_pid);
	while (waitpid(w->job_pid, &status, 0) == -1) {
		if (errno != EINTR) {
			log_warn("waitpid %ld", (long)w->job_pid);
			break;
		}
	}
	worker_drain_group(w->job_pid);
	w->job_pid = 0;
}

/* One write() of the whole record (atomic: < PIPE_BUF).  Failure means the
 * daemon is gone: kill the job and exit. */
static void
worker_report(struct worker *w, struct wire_report *rep)
{
	ssize_t n;

	for (;;) {
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

/* ---- the job child (between vfork and exec) ----------------------------- */

/*
 * The child shares the worker's memory and runs on its stack until it execs
 * or exits, with the worker suspended meanwhile.  So: async-signal-safe
 * system calls only, no malloc/stdio/log_*, never return from worker_spawn,
 * and end with execve or _exit.  (errno is the worker's: it is clobbered.)
 */

static void __attribute__((noreturn))
worker_child_fail(const struct worker_child_args *a, int stage, int err)
{
	a->res->err = err;
	a->res->stage = stage;
	_exit(127);
}

/* Closes every descriptor >= lowfd: close_range, else /proc/self/fd, else
 * every number below maxfd.  Async-signal-safe (no malloc, no libc state). */
static void
worker_close_from(int lowfd, long maxfd)
{
	char buf[4096];
	long nread, off, fd;
	int dfd, closed;
	const char *c;

	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
	if ((dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		/* Rescan until a full pass closes nothing: closing while
		 * reading the directory may skip entries. */
		do {
			closed = 0;
			nread = -1;
			if (lseek(dfd, 0, SEEK_SET) == -1)
				break;
			while ((nread = syscall(SYS_getdents64, dfd, buf,
			    sizeof buf)) > 0) {
				for (off = 0; off < nread;) {
					struct dirent64 *d =
					    (struct dirent64 *)(buf + off);

					off += d->d_reclen;
					fd = 0;
					for (c = d->d_name; *c >= '0' &&
					    *c <= '9' && fd <= INT_MAX / 10; c++)
						fd = fd * 10 + (*c - '0');
					if (*c != '\0' || c == d->d_name)
						continue;
					if (fd >= lowfd && fd != dfd) {
						close((int)fd);
						closed = 1;
					}
				}
			}
			if (nread < 0)
				break;
		} while (closed);
		close(dfd);
		if (nread == 0)
			return;
	}
	for (fd = lowfd; fd < maxfd; fd++)
		close((int)fd);
}

/* execve, and for ENOEXEC run the file with /bin/sh like execvpe does.
 * Returns only on failure, with errno set. */
static void
worker_exec1(const struct worker_child_args *a, const char *path)
{
	execve(path, a->argv, a->env);
	if (errno == ENOEXEC) {
		a->shargv[1] = (char *)path;
		execve("/bin/sh", a->shargv, a->env);
		errno = ENOEXEC;
	}
}

/* execvpe over the candidates the parent built from the job's PATH; returns
 * the errno to report. */
static int
worker_child_exec(const struct worker_child_args *a)
{
	size_t i;
	int eacces = 0, err = ENOENT;

	for (i = 0; i < a->ncand; i++) {
		if (a->cand[i] == NULL) {
			err = ENAMETOOLONG;
			continue;
		}
		worker_exec1(a, a->cand[i]);
		err = errno;
		switch (err) {
		case EACCES:
			eacces = 1;
			break;
		case ENOENT:
		case ENOTDIR:
		case ESTALE:
		case ENODEV:
		case ETIMEDOUT:
		case ELOOP:
		case ENAMETOOLONG:
			break;
		default:
			return err;
		}
	}
	return eacces ? EACCES : err;
}

/*
 * glibc refuses sigaction() on the two real-time signals it reserves for
 * itself (SIGCANCEL 32, SIGSETXID 33), but an ignored disposition inherited
 * from whoever started jobqd would survive execve into the job.  Set them to
 * default with the raw system call: the child is about to exec, so libc's
 * use of them no longer matters.
 */
static void
worker_child_reset_libc_signals(void)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} ksa;
	int sig;

	memset(&ksa, 0, sizeof ksa);
	ksa.handler = SIG_DFL;
	for (sig = 32; sig < SIGRTMIN; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

/* In the vfork child, every signal blocked: never returns. */
static void __attribute__((noreturn, noinline))
worker_child(const struct worker_child_args *a)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	if (setsid() == -1)
		worker_child_fail(a, WIRE_STAGE_FORK, errno);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		worker_child_fail(a, WIRE_STAGE_FORK, errno);
	if (getppid() != a->worker_pid)
		_exit(127);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL); /* EINVAL for RT sigs used by libc */
	worker_child_reset_libc_signals();
	if (fchdir(a->cwdfd) == -1)
		worker_child_fail(a, WIRE_STAGE_CWD, errno);
	/* All of these are >= 4 (0-2 are open, 3 is the report pipe). */
	if (dup2(a->nullfd, 0) == -1 || dup2(a->outfd, 1) == -1 ||
	    dup2(a->errfd, 2) == -1)
		worker_child_fail(a, WIRE_STAGE_OUTPUT, errno);
	worker_close_from(3, a->maxfd);
	if (a->early_err != 0)
		worker_child_fail(a, WIRE_STAGE_EXEC, a->early_err);
	/* Dispositions are default now: unblocking runs no handler. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		worker_child_fail(a, WIRE_STAGE_FORK, errno);
	worker_child_fail(a, WIRE_STAGE_EXEC, worker_child_exec(a));
}

/* Returns the value of NAME in env, or NULL. */
static const char *
worker_getenv(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* In the parent, before vfork: the execvpe candidate paths for argv[0] in
 * the job's PATH (an empty element is the current directory), in *candp
 * (one malloc'd block, or NULL with the argv itself as the one candidate).
 * Sets a->cand, a->ncand, a->early_err; returns -1 (ENOMEM) on failure. */
static int
worker_plan_exec(struct worker_child_args *a, char ***candp)
{
	const char *file = a->argv[0], *dirs, *p, *end;
	char **cand, *q;
	size_t flen, dlen, n, bytes, i;

	*candp = NULL;
	a->cand = a->argv;	/* argv[0] itself */
	a->ncand = 1;
	a->early_err = 0;
	if (file[0] == '\0') {
		a->early_err = ENOENT;
		return 0;
	}
	if (strchr(file, '/') != NULL)
		return 0;
	flen = strlen(file);
	if (flen > NAME_MAX) {
		a->early_err = ENAMETOOLONG;
		return 0;
	}
	if ((dirs = worker_getenv(a->env, "PATH")) == NULL)
		dirs = WORKER_DEFAULT_PATH;
	n = 1;
	for (p = dirs; *p != '\0'; p++)
		if (*p == ':')
			n++;
	/* Each candidate is at most strlen(dirs) + 1 + flen + 1 bytes. */
	bytes = n * sizeof *cand + strlen(dirs) + n * (flen + 2);
	if ((cand = malloc(bytes)) == NULL)
		return -1;
	q = (char *)(cand + n);
	for (i = 0, p = dirs; i < n; i++, p = end + 1) {
		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		if (dlen + 1 + flen + 1 > PATH_MAX) {
			cand[i] = NULL;
			continue;
		}
		cand[i] = q;
		if (dlen > 0) {
			memcpy(q, p, dlen);
			q[dlen] = '/';
			q += dlen + 1;
		}
		memcpy(q, file, flen + 1);
		q += flen + 1;
	}
	a->cand = cand;
	a->ncand = n;
	*candp = cand;
	return 0;
}

/* ---- the worker proper -------------------------------------------------- */

static int
worker_open_out(int cwdfd, const char *path, int *fd)
{
	const char *p = path[0] == '\0' ? "/dev/null" : path;

	*fd = openat(cwdfd, p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	return *fd == -1 ? -errno : 0;
}

/* Blocks every signal, glibc's reserved ones included (as its posix_spawn
 * does), so that no handler runs in the vfork child on the worker's stack. */
static int
worker_block_all(sigset_t *old)
{
	sigset_t all;

	memset(&all, 0xff, sizeof all);
	return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old,
	    (size_t)(_NSIG / 8));
}

static void
worker_restore_mask(const sigset_t *old)
{
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL,
	    (size_t)(_NSIG / 8)) == -1)
		log_warn("rt_sigprocmask");
}

/* Kept apart so that no variable of worker_spawn lives across vfork. */
static pid_t __attribute__((noinline))
worker_vfork(const struct worker_child_args *a)
{
	pid_t pid;

	if ((pid = vfork()) == 0)
		worker_child(a);
	return pid;
}

/* vforks and execs the job; reports STARTED or SPAWN_FAILED. */
static void
worker_spawn(struct worker *w, int64_t job_id, const struct wire_spec *spec)
{
	volatile struct worker_execerr res;
	struct worker_child_args ca;
	sigset_t omask;
	char **shargv = NULL, **cand = NULL;
	size_t argc, i;
	int64_t start_us = util_now_us();
	int cwdfd = -1, nullfd = -1, outfd = -1, errfd = -1;
	int stage, err = 0, status, r;
	pid_t pid;

	for (argc = 0; spec->argv[argc] != NULL; argc++)
		;
	if (argc == 0) {
		worker_report_spawn_failed(w, job_id, WIRE_STAGE_SPEC, EINVAL,
		    start_us);
		return;
	}
	stage = WIRE_STAGE_CWD;
	if ((cwdfd = open(spec->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		err = errno;
		goto fail;
	}
	stage = WIRE_STAGE_OUTPUT;
	if ((r = worker_open_out(cwdfd, spec->out_path, &outfd)) < 0) {
		err = -r;
		goto fail;
	}
	if (strcmp(spec->out_path, spec->err_path) == 0) {
		/* 2>&1: one open file description, one offset. */
		if ((errfd = fcntl(outfd, F_DUPFD_CLOEXEC, 0)) == -1) {
			err = errno;
			goto fail;
		}
	} else if ((r = worker_open_out(cwdfd, spec->err_path, &errfd)) < 0) {
		err = -r;
		goto fail;
	}
	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		err = errno;
		goto fail;
	}

	/* Everything the child needs, so that it allocates nothing. */
	stage = WIRE_STAGE_FORK;
	memset(&ca, 0, sizeof ca);
	ca.res = &res;
	ca.worker_pid = w->pid;
	ca.cwdfd = cwdfd;
	ca.nullfd = nullfd;
	ca.outfd = outfd;
	ca.errfd = errfd;
	ca.maxfd = w->nofile;
	ca.argv = spec->argv;
	ca.env = spec->env;
	if ((shargv = calloc(argc + 2, sizeof *shargv)) == NULL) {
		err = ENOMEM;
		goto fail;
	}
	shargv[0] = (char *)"/bin/sh";
	for (i = 1; i < argc; i++)
		shargv[i + 1] = spec->argv[i];
	shargv[argc + 1] = NULL;
	ca.shargv = shargv;
	if (worker_plan_exec(&ca, &cand) == -1) {
		err = ENOMEM;
		goto fail;
	}
	res.stage = 0;
	res.err = 0;

	/* The worker is suspended until the child has exec'd or exited. */
	if (worker_block_all(&omask) == -1) {
		err = errno;
		goto fail;
	}
	if ((pid = worker_vfork(&ca)) == -1)
		err = errno;
	worker_restore_mask(&omask);
	close(cwdfd);
	close(nullfd);
	close(outfd);
	close(errfd);
	free(shargv);
	free(cand);
	if (pid == -1) {
		worker_report_spawn_failed(w, job_id, WIRE_STAGE_FORK, err,
		    start_us);
		return;
	}

	if (res.stage == 0) {
		struct wire_report rep;

		w->job_pid = pid;
		w->job_id = job_id;
		w->start_us = start_us;
		w->end_flags = 0;
		memset(&rep, 0, sizeof rep);
		rep.type = WIRE_REP_STARTED;
		rep.job_id = job_id;
		rep.pid = pid;
		rep.start_us = start_us;
		log_debug("job %lld: started pid %ld", (long long)job_id,
		    (long)pid);
		worker_report(w, &rep);
		return;
	}
	stage = res.stage;
	err = res.err;
	/* It has exited already: vfork returned. */
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			log_warn("waitpid %ld", (long)pid);
			break;
		}
	}
	worker_report_spawn_failed(w, job_id, stage, err, start_us);
	return;
fail:
	if (cwdfd != -1)
		close(cwdfd);
	if (nullfd != -1)
		close(nullfd);
	if (outfd != -1)
		close(outfd);
	if (errfd != -1)
		close(errfd);
	free(shargv);
	free(cand);
	worker_report_spawn_failed(w, job_id, stage, err, start_us);
}

/* Maps, unpacks and unlinks a spec in shared memory. */
static int
worker_shm_spec(const struct wire_msg *m, struct wire_spec *spec)
{
	struct stat st;
	char name[WIRE_SHM_NAME_MAX];
	void *p;
	int fd, r;

	if (memchr(m->shm_name, '\0', sizeof m->shm_name) == NULL ||
	    m->shm_name[0] != '/' || strchr(m->shm_name + 1, '/') != NULL) {
		log_warnx("RUN: bad shm name");
		return -EINVAL;
	}
	memcpy(name, m->shm_name, sizeof name);
	if ((fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)) == -1) {
		r = -errno;
		log_warn("shm_open %s", name);
		return r;
	}
	/* Unlink at once: the object lives on while mapped, and nothing is
	 * left behind whatever happens next. */
	if (shm_unlink(name) == -1 && errno != ENOENT)
		log_warn("shm_unlink %s", name);
	if (fstat(fd, &st) == -1) {
		r = -errno;
		log_warn("fstat %s", name);
		close(fd);
		return r;
	}
	if (m->spec_len == 0 || m->spec_len > WORKER_SHM_MAX ||
	    st.st_size < 0 || (uint64_t)st.st_size != m->spec_len) {
		log_warnx("RUN: shm %s is %lld bytes, spec_len %llu", name,
		    (long long)st.st_size, (unsigned long long)m->spec_len);
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)m->spec_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		log_warn("mmap %s", name);
		close(fd);
		return r;
	}
	r = wire_spec_unpack(p, (size_t)m->spec_len, spec);
	if (munmap(p, (size_t)m->spec_len) == -1)
		log_warn("munmap %s", name);
	if (close(fd) == -1)
		log_warn("close %s", name);
	return r;
}

static int
worker_run(struct worker *w, const struct wire_msg *m, size_t n)
{
	struct wire_spec spec;
	int r;

	if (w->job_pid != 0) {
		log_warnx("RUN for job %lld while job %lld runs",
		    (long long)m->job_id, (long long)w->job_id);
		return -1;
	}
	if (m->flags & WIRE_F_SHM) {
		if (n != sizeof *m) {
			log_warnx("RUN (shm): message is %zu bytes", n);
			r = -EINVAL;
		} else
			r = worker_shm_spec(m, &spec);
	} else if (m->spec_len != n - sizeof *m) {
		log_warnx("RUN: spec_len %llu but %zu bytes follow",
		    (unsigned long long)m->spec_len, n - sizeof *m);
		r = -EINVAL;
	} else
		r = wire_spec_unpack((const char *)m + sizeof *m,
		    (size_t)m->spec_len, &spec);
	if (r < 0) {
		if (r != -EINVAL)
			log_warnx("job %lld: spec: %s", (long long)m->job_id,
			    strerror(-r));
		worker_report_spawn_failed(w, m->job_id, WIRE_STAGE_SPEC, -r,
		    util_now_us());
		return 0;
	}
	worker_spawn(w, m->job_id, &spec);
	wire_spec_free(&spec);
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
			if (worker_run(w, (const struct wire_msg *)w->msgbuf,
			    (size_t)n) == -1)
				return -1;
			break;
		case WIRE_CANCEL:
		case WIRE_INTERRUPT:
			worker_cancel(w, &m);
			break;
		case WIRE_QUIT:
			log_debug("quit");
			w->quit = 1;
			break;
		default:
			log_warnx("unknown message type %u", m.type);
			break;
		}
	}
}

/* Reaps children the worker inherited as a subreaper (orphans of the job),
 * without blocking. */
static void
worker_reap_strays(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		log_debug("reaped stray process %ld", (long)pid);
}

/* After the leader is reaped: the group was sent SIGKILL; wait (bounded)
 * until none of it is left, reaping the members that were reparented to
 * us, so that FINISHED means the whole group is gone. */
static void
worker_drain_group(pid_t pgid)
{
	int i;

	for (i = 0; i < WORKER_DRAIN_TRIES; i++) {
		worker_reap_strays();
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return;
		/* Members whose parent is alive elsewhere in the group: make
		 * sure they got the SIGKILL too (they may be new). */
		(void)kill(-pgid, SIGKILL);
		(void)usleep(WORKER_DRAIN_STEP_US);
	}
	log_warnx("process group %ld still has members after %d ms",
	    (long)pgid, WORKER_DRAIN_TRIES * WORKER_DRAIN_STEP_US / 1000);
}

/* The job's leader may have exited: kill what is left of its group while
 * the unreaped leader still pins the group id, then reap and report. */
static void
worker_check_job(struct worker *w)
{
	struct wire_report rep;
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
	if (kill(-w->job_pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGKILL)", (long)w->job_pid);
	memset(&ru, 0, sizeof ru);
	while ((pid = wait4(w->job_pid, &status, 0, &ru)) == -1 && errno == EINTR)
		;
	if (pid == -1) {
		log_warn("wait4 %ld", (long)w->job_pid);
		return;
	}
	worker_drain_group(w->job_pid);
	worker_disarm_timer(w);
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_FINISHED;
	rep.flags = w->end_flags;
	rep.job_id = w->job_id;
	rep.pid = w->job_pid;
	rep.wstatus = status;
	rep.start_us = w->start_us;
	rep.end_us = util_now_us();
	rep.utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	rep.stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	rep.maxrss_kb = ru.ru_maxrss;
	log_debug("job %lld: pid %ld ended, status 0x%x", (long long)w->job_id,
	    (long)w->job_pid, (unsigned)status);
	w->job_pid = 0;
	w->end_flags = 0;
	worker_report(w, &rep);
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
			worker_reap_strays();
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
		if (kill(-w->job_pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill(-%ld, SIGKILL)", (long)w->job_pid);
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

static int
worker_setup(struct worker *w, int argc, char **argv)
{
	static char procname[32];
	struct mq_attr attr;
	struct rlimit rl;
	sigset_t set;
	long slot, dpid;

	if (argc != 3 || worker_parse_int(argv[0], 0, INT_MAX, &slot) == -1 ||
	    worker_parse_int(argv[2], 1, INT_MAX, &dpid) == -1) {
		log_warnx("usage: jobqd --worker SLOT MQNAME DAEMONPID");
		return -1;
	}
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

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		log_warn("sigprocmask");
		return -1;
	}
	/* A write to a dead daemon's pipe must fail with EPIPE, not kill us
	 * before the job's group is killed. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
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
	if (fcntl(WORKER_REPORT_FD, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("report fd %d", WORKER_REPORT_FD);
		return -1;
	}
	w->repfd = WORKER_REPORT_FD;
	if ((w->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("signalfd");
		return -1;
	}
	if ((w->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_warn("timerfd_create");
		return -1;
	}
	/* The queue comes open (read-only, non-blocking) as WORKER_MQ_FD;
	 * its name (argv[1]) is only a label, already unlinked. */
	w->mq = (mqd_t)WORKER_MQ_FD;
	if (fcntl(WORKER_MQ_FD, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("queue %s: fd %d", argv[1], WORKER_MQ_FD);
		return -1;
	}
	if (mq_getattr(w->mq, &attr) == -1) {
		log_warn("mq_getattr %s", argv[1]);
		return -1;
	}
	if (attr.mq_msgsize < (long)sizeof(struct wire_msg)) {
		log_warnx("mq %s: message size %ld too small", argv[1],
		    attr.mq_msgsize);
		return -1;
	}
	w->msgsize = (size_t)attr.mq_msgsize;
	if ((w->msgbuf = malloc(w->msgsize)) == NULL) {
		log_warn("malloc");
		return -1;
	}
	return 0;
}

int
worker_main(int argc, char **argv)
{
	struct worker w;
	struct wire_report rep;
	struct pollfd pfd[4];
	int r;

	memset(&w, 0, sizeof w);
	w.mq = (mqd_t)-1;
	w.sfd = w.tfd = w.repfd = -1;
	if (worker_setup(&w, argc, argv) == -1) {
		free(w.msgbuf);
		return 1;
	}
	memset(&rep, 0, sizeof rep);
	rep.type = WIRE_REP_READY;
	rep.pid = getpid();
	worker_report(&w, &rep);
	log_debug("ready");

	for (;;) {
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
		if ((r = poll(pfd, 4, -1)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (worker_read_signals(&w)) {
				log_debug("stopping");
				break;
			}
		}
		if (pfd[3].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_warnx("report pipe closed: the daemon is gone");
			worker_kill_job(&w);
			free(w.msgbuf);
			return 1;
		}
		if (pfd[2].revents & POLLIN)
			worker_read_timer(&w);
		if (pfd[0].revents & POLLIN) {
			if (worker_read_mq(&w) == -1) {
				worker_kill_job(&w);
				free(w.msgbuf);
				return 1;
			}
		}
	}
	worker_kill_job(&w);
	if (mq_close(w.mq) == -1)
		log_warn("mq_close");
	free(w.msgbuf);
	return 0;
}
