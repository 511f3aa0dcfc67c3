/*
 * worker_spawn.c - preparing and starting a job's process, in the worker:
 * the job's descriptors (cwd, stdout/stderr files, /dev/null), the execvpe
 * candidates from the job's PATH, then vfork() and the child's set-up up to
 * execve.
 *
 * The job's descriptors (cwd, output files, /dev/null) are opened by
 * worker_files.c.
 *
 *   worker.c --worker_spawn(spec)--> open cwd/out/err, plan exec, resolve
 *     the job's user (passwd entry, group list), block signals
 *     `- vfork child (worker suspended): setsid, PDEATHSIG KILL, join the
 *        job's cgroup (cgroup mode: "0" into its cgroup.procs, opened by
 *        the worker), resource limits (jobqd's start-up ones, then the
 *        job's) and nice, default dispositions (only the signals the
 *        worker changed: worker_sig.c), identity (umask; a root
 *        worker: setgroups, setresgid, setresuid, verified, PDEATHSIG
 *        again), chdir, dup2 0/1/2, close the rest, empty mask, execve
 *        a failure before exec: {stage, errno} to the worker, _exit(127)
 *
 * Identity (wire.h WIRE_ID_SET; jobqd(8) "Identity").  The job's umask is
 * set in the child.  A worker running as root (a root jobqd) runs every job
 * as its uid: before vfork it reads the uid's passwd entry and group list
 * (getpwuid_r, getgrouplist: not async-signal-safe, so not in the child),
 * sorted and without duplicates as the kernel keeps them, and keeps them
 * for a second (worker_spawn_ident_cache); the child sets
 * the groups, then real/effective/saved gid, then uid, with the raw system
 * calls (glibc's wrappers would signal the worker's other threads, if it
 * had any, from the child), reads them back with getresuid, getresgid and
 * getgroups and refuses to exec unless they are exactly the job's
 * (WIRE_STAGE_IDENT).  The credential change clears PR_SET_PDEATHSIG, so it
 * is set again.  It also makes the process dumpable as fs.suid_dumpable
 * says: with 0 or 2 the job's user cannot ptrace it before it execs, but
 * with 1 she could, and a vfork child shares the worker's (root's) memory;
 * so with suid_dumpable 1 a switching spawn uses fork() (the pipe carries
 * its outcome), and the child makes itself not dumpable after the switch
 * in any case.  After a switch the working directory is entered by path
 * as the job's user (chdir), not through the worker's descriptor: the job
 * gets no directory its user could not reach.  A worker that is not root
 * never switches: it runs jobs as itself.
 *
 * The job is started with vfork(): the worker, every signal blocked, is
 * suspended until the child has exec'd or exited.  Everything the child
 * uses is prepared before (struct worker_spawn_args): it allocates nothing
 * and makes async-signal-safe system calls only.  FAULT_SPAWN (fault.h)
 * makes the vfork fail with EAGAIN.
 *
 * The error channel.  When worker_spawn returns, the worker must know
 * whether the job started or why not (STARTED or SPAWN_FAILED).  With a
 * real vfork that is free: the worker is suspended until the child has
 * exec'd or exited, and a failing child writes {stage, errno} into the
 * worker's own memory (struct worker_spawn_chan on worker_spawn's stack).
 * But ThreadSanitizer and valgrind (and any libc or tool that does the same)
 * turn vfork() into fork(): the child's memory is a copy and fork returns
 * at once, so the failure would be lost and the job reported as exiting
 * 127.  A MAP_SHARED page would carry the record but not the moment: the
 * worker would read it before the child got anywhere.  What tells a forked
 * parent "exec'd or exited" is a close-on-exec pipe: its write end closes
 * at execve (EOF: started) or carries the record before _exit (failed).
 *
 * The pipe costs four system calls per job (pipe2, close, read, close), so
 * it is used only until vfork has shown that it shares memory: the child's
 * first act is to set chan->ran, which the worker sees after vfork returns
 * only if it does.  From then on (the first job of every worker, in any
 * build without such a tool) the hot path is vfork and execve alone; under
 * fork semantics every spawn uses the pipe.  The child keeps the pipe's
 * write end open across its descriptor clean-up; execve closes it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "proto.h"
#include "userdir.h"
#include "wire.h"
#include "worker_int.h"

#define WORKER_SPAWN_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* What a failed job child reports before _exit(127): stage 0 means it did
 * not fail (it exec'd, or died without reporting).  Also the record sent
 * through the pipe (8 bytes: one atomic write). */
struct worker_spawn_execerr {
	int32_t stage;
	int32_t err;
};

/* The channel in the worker's memory (on worker_spawn's stack): written by
 * the child, read by the worker once vfork has returned. */
struct worker_spawn_chan {
	int32_t ran;			/* the child got going */
	struct worker_spawn_execerr x;
};

/* Set once a vfork child's write to the worker's memory was seen: vfork
 * shares memory and suspends the worker, no pipe is needed any more. */
static int worker_spawn_shared;

/* Everything the vfork child uses, prepared by the parent beforehand: the
 * child allocates nothing and only reads this (and writes *chan, shargv[1]). */
struct worker_spawn_args {
	volatile struct worker_spawn_chan *chan;
	int chan_fd;		/* the pipe's write end, or -1 */
	pid_t worker_pid;
	struct worker_files fds;
	long maxfd;		/* close() fallback bound (RLIMIT_NOFILE) */
	char *const *argv;
	char *const *env;
	char *const *cand;	/* execve candidates; NULL: path too long */
	size_t ncand;
	int early_err;		/* nonzero: fail at WIRE_STAGE_EXEC, no execve */
	char **shargv;		/* "/bin/sh", (path), argv[1..], NULL */
	/* ident (worker_spawn_ident_prepare) */
	int id_umask;		/* -1: left as it is */
	int id_switch;		/* root worker: become id_uid/id_gid/groups */
	uid_t id_uid;
	gid_t id_gid;
	gid_t *id_groups;	/* sorted, unique (the cache's) */
	size_t id_ngroups;
	gid_t *id_check;	/* id_ngroups + 1 entries, for getgroups */
	const char *cwd_path;	/* after a switch: chdir to it */
	int use_fork;		/* fork, not vfork (see the top) */
	/* resource limits: the spec's (wire.h) */
	const jobq_limits *limits;
	const struct wire_rlimit *rl_base;
	size_t nrl_base;
	int cg_procs_fd;	/* the job's cgroup.procs (cgroup.h), or -1 */
};

/* ---- the job child (between vfork and exec) ----------------------------- */

/*
 * The child shares the worker's memory and runs on its stack until it execs
 * or exits, with the worker suspended meanwhile.  So: async-signal-safe
 * system calls only, no malloc/stdio/log_*, never return from
 * worker_spawn_vfork, and end with execve or _exit.  (errno is the
 * worker's: it is clobbered.)
 */

static void __attribute__((noreturn))
worker_spawn_child_fail(const struct worker_spawn_args *a, int stage, int err)
{
	struct worker_spawn_execerr x;

	a->chan->x.err = err;
	a->chan->x.stage = stage;
	if (a->chan_fd != -1) {
		x.stage = stage;
		x.err = err;
		while (write(a->chan_fd, &x, sizeof x) == -1 && errno == EINTR)
			;
	}
	_exit(127);
}

/* Closes the descriptors named in one getdents64 buffer that are >= lowfd
 * (but not dfd or keep); returns how many. */
static int
worker_spawn_close_dents(const char *buf, long nread, int lowfd, int dfd,
    int keep)
{
	const struct dirent64 *d;
	const char *c;
	long off, fd;
	int closed = 0;

	for (off = 0; off < nread; off += d->d_reclen) {
		d = (const struct dirent64 *)(const void *)(buf + off);
		fd = 0;
		for (c = d->d_name; *c >= '0' && *c <= '9' && fd <= INT_MAX / 10;
		    c++)
			fd = fd * 10 + (*c - '0');
		if (*c != '\0' || c == d->d_name)
			continue;
		if (fd >= lowfd && fd != dfd && fd != keep) {
			close((int)fd);
			closed++;
		}
	}
	return closed;
}

/* close_range over every descriptor >= lowfd but keep (-1: none); 0, or -1
 * when the kernel lacks it. */
static int
worker_spawn_close_range(int lowfd, int keep)
{
	if (keep < lowfd)
		return (int)syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0);
	if (keep > lowfd && syscall(SYS_close_range, (unsigned)lowfd,
	    (unsigned)keep - 1, 0) != 0)
		return -1;
	return (int)syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0);
}

/* Closes every descriptor >= lowfd but keep (-1: none): close_range, else
 * /proc/self/fd, else every number below maxfd.  Async-signal-safe (no
 * malloc, no libc state). */
static void
worker_spawn_close_from(int lowfd, int keep, long maxfd)
{
	char buf[4096];
	long nread, fd;
	int dfd, closed;

	if (worker_spawn_close_range(lowfd, keep) == 0)
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
			    sizeof buf)) > 0)
				closed += worker_spawn_close_dents(buf, nread,
				    lowfd, dfd, keep);
			if (nread < 0)
				break;
		} while (closed);
		close(dfd);
		if (nread == 0)
			return;
	}
	for (fd = lowfd; fd < maxfd; fd++)
		if (fd != keep)
			close((int)fd);
}

/* execve, and for ENOEXEC run the file with /bin/sh like execvpe does.
 * Returns only on failure, with errno set. */
static void
worker_spawn_exec1(const struct worker_spawn_args *a, const char *path)
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
worker_spawn_child_exec(const struct worker_spawn_args *a)
{
	size_t i;
	int eacces = 0, err = ENOENT;

	for (i = 0; i < a->ncand; i++) {
		if (a->cand[i] == NULL) {
			err = ENAMETOOLONG;
			continue;
		}
		worker_spawn_exec1(a, a->cand[i]);
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

#if defined(SYS_setresuid32)
#define WORKER_SPAWN_SYS_SETGROUPS SYS_setgroups32
#define WORKER_SPAWN_SYS_SETRESGID SYS_setresgid32
#define WORKER_SPAWN_SYS_SETRESUID SYS_setresuid32
#else
#define WORKER_SPAWN_SYS_SETGROUPS SYS_setgroups
#define WORKER_SPAWN_SYS_SETRESGID SYS_setresgid
#define WORKER_SPAWN_SYS_SETRESUID SYS_setresuid
#endif

/* Step 4 of the child: the job's umask, and for a root worker its groups,
 * gid and uid, each checked and then verified; a failure never execs. */
static void
worker_spawn_child_ident(const struct worker_spawn_args *a)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	size_t i;
	int n;

	if (a->id_umask >= 0)
		(void)umask((mode_t)a->id_umask);
	if (!a->id_switch)
		return;
	if (syscall(WORKER_SPAWN_SYS_SETGROUPS, a->id_ngroups,
	    a->id_groups) == -1 ||
	    syscall(WORKER_SPAWN_SYS_SETRESGID, a->id_gid, a->id_gid,
	    a->id_gid) == -1 ||
	    syscall(WORKER_SPAWN_SYS_SETRESUID, a->id_uid, a->id_uid,
	    a->id_uid) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_IDENT, errno);
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_IDENT, errno);
	if (ru != a->id_uid || eu != a->id_uid || su != a->id_uid ||
	    rg != a->id_gid || eg != a->id_gid || sg != a->id_gid)
		worker_spawn_child_fail(a, WIRE_STAGE_IDENT, EPERM);
	n = getgroups((int)a->id_ngroups + 1, a->id_check);
	if (n < 0 || (size_t)n != a->id_ngroups)
		worker_spawn_child_fail(a, WIRE_STAGE_IDENT, EPERM);
	for (i = 0; i < a->id_ngroups; i++)
		if (a->id_check[i] != a->id_groups[i])
			worker_spawn_child_fail(a, WIRE_STAGE_IDENT, EPERM);
	/* Changing credentials cleared the parent-death signal, and may have
	 * made us dumpable (fs.suid_dumpable 1; we are not sharing the
	 * worker's memory then). */
	if (prctl(PR_SET_DUMPABLE, 0) == -1 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_IDENT, errno);
	if (getppid() != a->worker_pid)
		_exit(127);
}

/* A 64-bit rlimit for the raw prlimit64 system call. */
struct worker_spawn_rlim {
	uint64_t cur, max;
};

/* prlimit64(0, resource, {v, v}): setrlimit as one raw system call. */
static int
worker_spawn_setrlimit(int resource, uint64_t cur, uint64_t max)
{
	struct worker_spawn_rlim rl;

	rl.cur = cur;
	rl.max = max;
	return (int)syscall(SYS_prlimit64, 0, resource, &rl, NULL);
}

/* The RLIMIT_* of the job's limit i (its index in proto_limits[]: mem,
 * cpu_time, nofile, nproc, core), and nice's index after them.  cpus, after
 * nice, is no rlimit: the job's cgroup's cpu.max (worker.c), never applied
 * here. */
static const int worker_spawn_rlimits[] = {
	RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_CORE
};
#define WORKER_SPAWN_NICE 5
_Static_assert(sizeof worker_spawn_rlimits / sizeof worker_spawn_rlimits[0]
    == WORKER_SPAWN_NICE && JOBQ_LIMIT_NICE == 1u << WORKER_SPAWN_NICE &&
    JOBQ_LIMIT_CPUS == 1u << (WORKER_SPAWN_NICE + 1) &&
    PROTO_NLIMITS == WORKER_SPAWN_NICE + 2, "worker_spawn_rlimits[]");

/*
 * Step 3 of the child (after its session, before any change of identity):
 * the limits jobqd was started with, where jobqd has raised its own since
 * (rlimits_base.c), then the job's own limits, soft = hard so that the job
 * cannot raise them again, and its nice value.  Raw system calls
 * (async-signal-safe); a failure is reported as WIRE_STAGE_RLIMIT_BASE or
 * WIRE_STAGE_LIMIT + the limit's index.
 */
static void
worker_spawn_child_limits(const struct worker_spawn_args *a)
{
	const jobq_limits *l = a->limits;
	uint64_t v;
	size_t i;

	for (i = 0; i < a->nrl_base; i++)
		if (worker_spawn_setrlimit((int)a->rl_base[i].resource,
		    a->rl_base[i].cur, a->rl_base[i].max) == -1)
			worker_spawn_child_fail(a, WIRE_STAGE_RLIMIT_BASE, errno);
	if (l == NULL || l->set == 0)
		return;
	for (i = 0; i < sizeof worker_spawn_rlimits /
	    sizeof worker_spawn_rlimits[0]; i++) {
		if (!(l->set & proto_limits[i].bit))
			continue;
		v = (uint64_t)proto_limit_get(l, (int)i);
		if (worker_spawn_setrlimit(worker_spawn_rlimits[i], v, v) == -1)
			worker_spawn_child_fail(a, WIRE_STAGE_LIMIT + (int)i,
			    errno);
	}
	if ((l->set & JOBQ_LIMIT_NICE) && syscall(SYS_setpriority,
	    PRIO_PROCESS, 0, (int)l->nice) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_LIMIT + WORKER_SPAWN_NICE,
		    errno);
}

/* Step 2: the child joins the job's cgroup before anything else it does,
 * so that every process it starts is in it too. */
static void
worker_spawn_child_cgroup(const struct worker_spawn_args *a)
{
	ssize_t n;

	if (a->cg_procs_fd == -1)
		return;
	while ((n = write(a->cg_procs_fd, "0", 1)) == -1 && errno == EINTR)
		;
	if (n != 1)
		worker_spawn_child_fail(a, WIRE_STAGE_CGROUP, n == -1 ? errno :
		    EIO);
}

/* In the vfork child, every signal blocked: never returns. */
static void __attribute__((noreturn, noinline))
worker_spawn_child(const struct worker_spawn_args *a)
{
	sigset_t none;

	a->chan->ran = 1;
	if (setsid() == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_FORK, errno);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_FORK, errno);
	if (getppid() != a->worker_pid)
		_exit(127);
	worker_spawn_child_cgroup(a);
	worker_spawn_child_limits(a);
	worker_sig_child_reset();
	worker_spawn_child_ident(a);
	if ((a->cwd_path != NULL ? chdir(a->cwd_path) : fchdir(a->fds.cwd)) ==
	    -1)
		worker_spawn_child_fail(a, WIRE_STAGE_CWD, errno);
	/* All of these are >= 4 (0-2 are open, 3 is the report pipe). */
	if (dup2(a->fds.null, 0) == -1 || dup2(a->fds.out, 1) == -1 ||
	    dup2(a->fds.err, 2) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_OUTPUT, errno);
	worker_spawn_close_from(3, a->chan_fd, a->maxfd);
	if (a->early_err != 0)
		worker_spawn_child_fail(a, WIRE_STAGE_EXEC, a->early_err);
	/* Dispositions are default now: unblocking runs no handler. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		worker_spawn_child_fail(a, WIRE_STAGE_FORK, errno);
	worker_spawn_child_fail(a, WIRE_STAGE_EXEC, worker_spawn_child_exec(a));
}

/* ---- in the worker, before vfork ---------------------------------------- */

/* Returns the value of NAME in env, or NULL. */
static const char *
worker_spawn_getenv(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* The execvpe candidate paths for argv[0] in the job's PATH (an empty
 * element is the current directory), in *candp (one malloc'd block, or NULL
 * with the argv itself as the one candidate).  Sets a->cand, a->ncand,
 * a->early_err; returns 0 or ENOMEM. */
static int
worker_spawn_plan_exec(struct worker_spawn_args *a, char ***candp)
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
	if ((dirs = worker_spawn_getenv(a->env, "PATH")) == NULL)
		dirs = WORKER_SPAWN_DEFAULT_PATH;
	n = 1;
	for (p = dirs; *p != '\0'; p++)
		if (*p == ':')
			n++;
	/* Each candidate is at most strlen(dirs) + 1 + flen + 1 bytes. */
	bytes = n * sizeof *cand + strlen(dirs) + n * (flen + 2);
	if ((cand = malloc(bytes)) == NULL)
		return ENOMEM;
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

/* "/bin/sh", NULL, argv[1..], NULL for a file that turns out to be a
 * script without #! (slot 1 is the path, set by the child); NULL if out of
 * memory. */
static char **
worker_spawn_shargv(char *const *argv)
{
	char **v;
	size_t argc, i;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	if ((v = calloc(argc + 2, sizeof *v)) == NULL)
		return NULL;
	v[0] = (char *)"/bin/sh";
	for (i = 1; i < argc; i++)
		v[i + 1] = argv[i];
	v[argc + 1] = NULL;
	return v;
}

/*
 * The last user a job of this worker ran as: its primary group, its group
 * list (sorted, unique) and a buffer for getgroups in the child, and
 * fs.suid_dumpable, all kept for WORKER_SPAWN_IDENT_TTL_MS: the user and
 * group databases can be slow to ask (NSS modules: ~0.2 ms a job here),
 * and a change to them reaches jobs at most that much later.
 */
#define WORKER_SPAWN_IDENT_TTL_MS 1000
static struct {
	int valid;
	uid_t uid;
	gid_t pgid;
	gid_t *groups, *check;	/* n and n + 1 entries */
	size_t n;
	int dumpable;		/* fs.suid_dumpable (-1: unreadable) */
	int64_t at_ms;		/* CLOCK_MONOTONIC */
} worker_spawn_ident_cache;

static int64_t
worker_spawn_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
worker_spawn_gid_cmp(const void *x, const void *y)
{
	gid_t a = *(const gid_t *)x, b = *(const gid_t *)y;

	return a < b ? -1 : a > b;
}

/* The group list of user name (primary group gid) into *gp, *np: sorted,
 * without duplicates (malloc'd, n + 1 entries).  0 or an errno. */
static int
worker_spawn_ident_groups(const char *name, gid_t gid, gid_t **gp,
    size_t *np)
{
	long max = sysconf(_SC_NGROUPS_MAX);
	gid_t *g = NULL, *ng;
	int n = 32, want, tries;
	size_t i, k;

	for (tries = 0; tries < 8; tries++) {
		if ((ng = realloc(g, ((size_t)n + 1) * sizeof *g)) == NULL) {
			free(g);
			return ENOMEM;
		}
		g = ng;
		want = n;
		if (getgrouplist(name, gid, g, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n || want > (1 << 20)) {
			free(g);
			return E2BIG;
		}
		n = want;
	}
	if (tries == 8 || (max > 0 && n > max)) {
		free(g);
		return E2BIG;
	}
	qsort(g, (size_t)n, sizeof *g, worker_spawn_gid_cmp);
	for (i = k = 0; i < (size_t)n; i++)
		if (k == 0 || g[k - 1] != g[i])
			g[k++] = g[i];
	*gp = g;
	*np = k;
	return 0;
}

/* fs.suid_dumpable: 0 (a process becomes undumpable when its uid
 * changes), 2 (dumpable by root only) or 1 (by its user: insecure); -1 if
 * unreadable (then taken as 1). */
static int
worker_spawn_suid_dumpable(void)
{
	char c = '1';
	int fd;

	if ((fd = open("/proc/sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = '1';
	close(fd);
	return c == '0' ? 0 : c == '2' ? 2 : 1;
}

/* Fills the cache for uid from its passwd entry.  0, or an errno
 * (ENOENT: the uid has no passwd entry). */
static int
worker_spawn_ident_lookup(uid_t uid)
{
	struct passwd pw, *res = NULL;
	long len = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf = NULL, *nb;
	gid_t *g = NULL, *check;
	size_t n = 0;
	int e;

	if (len <= 0 || len > (1 << 20))
		len = 16384;
	for (;;) {
		if ((nb = realloc(buf, (size_t)len)) == NULL) {
			free(buf);
			return ENOMEM;
		}
		buf = nb;
		e = getpwuid_r(uid, &pw, buf, (size_t)len, &res);
		if (e != ERANGE || len >= (1 << 24))
			break;
		len *= 2;
	}
	if (res == NULL) {
		free(buf);
		return e != 0 ? e : ENOENT;
	}
	e = worker_spawn_ident_groups(pw.pw_name, pw.pw_gid, &g, &n);
	if (e == 0 && (check = calloc(n + 1, sizeof *check)) == NULL) {
		free(g);
		e = ENOMEM;
	}
	if (e == 0) {
		free(worker_spawn_ident_cache.groups);
		free(worker_spawn_ident_cache.check);
		worker_spawn_ident_cache.valid = 1;
		worker_spawn_ident_cache.uid = pw.pw_uid;
		worker_spawn_ident_cache.pgid = pw.pw_gid;
		worker_spawn_ident_cache.groups = g;
		worker_spawn_ident_cache.check = check;
		worker_spawn_ident_cache.n = n;
		worker_spawn_ident_cache.dumpable =
		    worker_spawn_suid_dumpable();
		worker_spawn_ident_cache.at_ms = worker_spawn_now_ms();
	}
	free(buf);
	return e;
}

/* Who the job runs as (see the top): its umask; for a root worker its
 * uid, gid and groups, from the uid's passwd entry (through the cache).
 * 0, or an errno (WIRE_STAGE_IDENT_USER; ENOENT: the uid has no passwd
 * entry). */
static int
worker_spawn_ident_prepare(const struct wire_spec *spec,
    struct worker_spawn_args *a)
{
	int64_t now;
	int e;

	a->id_umask = -1;
	if (!(spec->id_flags & WIRE_ID_SET))
		return 0;
	a->id_umask = (int)(spec->umask & 0777);
	if (geteuid() != 0)
		return 0;	/* jobs run as the worker's user */
	now = worker_spawn_now_ms();
	if (!worker_spawn_ident_cache.valid ||
	    worker_spawn_ident_cache.uid != (uid_t)spec->uid ||
	    now - worker_spawn_ident_cache.at_ms >= WORKER_SPAWN_IDENT_TTL_MS ||
	    now < worker_spawn_ident_cache.at_ms) {
		worker_spawn_ident_cache.valid = 0;
		if ((e = worker_spawn_ident_lookup((uid_t)spec->uid)) != 0)
			return e;
	}
	a->id_uid = worker_spawn_ident_cache.uid;
	a->id_gid = spec->gid == WIRE_GID_PRIMARY ?
	    worker_spawn_ident_cache.pgid : (gid_t)spec->gid;
	a->id_groups = worker_spawn_ident_cache.groups;
	a->id_check = worker_spawn_ident_cache.check;
	a->id_ngroups = worker_spawn_ident_cache.n;
	a->id_switch = 1;
	a->cwd_path = spec->cwd;
	a->use_fork = a->id_uid != 0 && worker_spawn_ident_cache.dumpable != 0;
	return 0;
}

/* Blocks every signal, glibc's reserved ones included (as its posix_spawn
 * does), so that no handler runs in the vfork child on the worker's stack. */
static int
worker_spawn_block_all(sigset_t *old)
{
	sigset_t all;

	memset(&all, 0xff, sizeof all);
	return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old,
	    (size_t)(_NSIG / 8));
}

static void
worker_spawn_restore_mask(const sigset_t *old)
{
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL,
	    (size_t)(_NSIG / 8)) == -1)
		log_warn("rt_sigprocmask");
}

/* Kept apart so that no variable of the callers lives across vfork. */
static pid_t __attribute__((noinline))
worker_spawn_vfork(const struct worker_spawn_args *a)
{
	pid_t pid;

	if ((pid = a->use_fork ? fork() : vfork()) == 0)
		worker_spawn_child(a);
	return pid;
}

/* Closes the pipe p (if open), after reading the record of child pid (if
 * it was started) into chan: nothing (EOF) when it exec'd or died without
 * one. */
static void
worker_spawn_chan_end(int p[2], pid_t pid,
    volatile struct worker_spawn_chan *chan)
{
	struct worker_spawn_execerr x;
	ssize_t n;

	if (p[1] != -1)
		close(p[1]);	/* else read() never sees EOF */
	if (p[0] == -1)
		return;
	if (pid > 0) {
		while ((n = read(p[0], &x, sizeof x)) == -1 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof x) {
			chan->x.stage = x.stage;
			chan->x.err = x.err;
		} else if (n == -1)
			log_warn("read from the spawn pipe");
	}
	close(p[0]);
}

/* vforks the child with every signal blocked; the worker is suspended until
 * the child has exec'd or exited (with a pipe when that is not known to
 * hold, see the top of the file).  Returns its pid, or -1 with *err set. */
static pid_t
worker_spawn_start(struct worker_spawn_args *a, int *err)
{
	sigset_t omask;
	int p[2] = { -1, -1 };
	pid_t pid = -1;

	if (fault_hit(FAULT_SPAWN)) {
		log_warnx("vfork: failing as told by JOBQD_FAULTS (spawn)");
		*err = EAGAIN;
		return -1;
	}
	if ((!worker_spawn_shared || a->use_fork) &&
	    pipe2(p, O_CLOEXEC) == -1) {
		*err = errno;
		return -1;
	}
	a->chan_fd = p[1];
	if (worker_spawn_block_all(&omask) == -1)
		*err = errno;
	else {
		if ((pid = worker_spawn_vfork(a)) == -1)
			*err = errno;
		worker_spawn_restore_mask(&omask);
	}
	if (pid > 0 && a->chan->ran && !a->use_fork)
		worker_spawn_shared = 1;
	worker_spawn_chan_end(p, pid, a->chan);
	return pid;
}

/* With a limit in spec, the started job's output files move from f to *o
 * (watched by worker_output.c); else nothing happens. */
static void
worker_spawn_keep_output(const struct wire_spec *spec,
    struct worker_files *f, const uint64_t base[2],
    struct worker_output *o)
{
	if (spec->out_limit == 0)
		return;
	o->limit = spec->out_limit;
	o->fd[0] = f->out;
	o->base[0] = base[0];
	f->out = -1;
	o->fd[1] = -1;
	if (strcmp(spec->out_path, spec->err_path) != 0) {
		o->fd[1] = f->err;
		o->base[1] = base[1];
		f->err = -1;
	}
}

void
worker_spawn(const struct wire_spec *spec, pid_t worker_pid, long maxfd,
    struct worker_spawn_result *res)
{
	worker_spawn_cg(spec, worker_pid, maxfd, -1, res);
}

void
worker_spawn_cg(const struct wire_spec *spec, pid_t worker_pid, long maxfd,
    int cg_procs_fd, struct worker_spawn_result *res)
{
	volatile struct worker_spawn_chan chan;
	struct worker_spawn_args ca;
	uint64_t base[2] = { 0, 0 };
	char **cand = NULL;
	int status, err;
	pid_t pid = -1;

	memset(&ca, 0, sizeof ca);
	ca.fds.cwd = ca.fds.null = ca.fds.out = ca.fds.err = -1;
	ca.chan_fd = -1;
	ca.cg_procs_fd = cg_procs_fd;
	res->pid = 0;
	res->stage = WIRE_STAGE_SPEC;
	res->err = EINVAL;
	memset(&res->output, 0, sizeof res->output);
	if (spec->argv[0] == NULL)
		return;
	if ((err = worker_files_open(spec, &ca.fds, base, &res->stage)) != 0)
		goto done;

	/* Everything the child needs, so that it allocates nothing. */
	res->stage = WIRE_STAGE_FORK;
	chan.ran = 0;
	chan.x.stage = 0;
	chan.x.err = 0;
	ca.chan = &chan;
	ca.worker_pid = worker_pid;
	ca.maxfd = maxfd;
	ca.argv = spec->argv;
	ca.env = spec->env;
	ca.limits = &spec->limits;
	ca.rl_base = spec->rl_base;
	ca.nrl_base = spec->nrl_base;
	if ((ca.shargv = worker_spawn_shargv(spec->argv)) == NULL) {
		err = ENOMEM;
		goto done;
	}
	if ((err = worker_spawn_plan_exec(&ca, &cand)) != 0)
		goto done;
	if ((err = worker_spawn_ident_prepare(spec, &ca)) != 0) {
		res->stage = WIRE_STAGE_IDENT_USER;
		goto done;
	}
	pid = worker_spawn_start(&ca, &err);
	if (pid > 0 && chan.x.stage == 0)
		worker_spawn_keep_output(spec, &ca.fds, base, &res->output);
done:
	worker_files_close(&ca.fds);
	free(ca.shargv);
	free(cand);
	if (pid == -1) {
		res->err = err;
		return;
	}
	if (chan.x.stage == 0) {
		res->pid = pid;
		res->err = 0;
		return;
	}
	res->stage = chan.x.stage;
	res->err = chan.x.err;
	/* It has exited, or is about to: it reported and only _exit is left. */
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			log_warn("waitpid %ld", (long)pid);
			break;
		}
	}
}
