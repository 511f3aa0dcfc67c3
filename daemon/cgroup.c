/*
 * cgroup.c - cgroup v2 for jobs (see cgroup.h): settling --cgroup at
 * start-up (the delegated cgroup jobqd runs in, or a path), the jobs/
 * subtree and its controllers, a job's cgroup in the worker (created,
 * limited, killed, its usage read, removed), and the leftovers of a lost
 * worker or of a previous run.
 *
 * Everything under a cgroup is reached from a directory descriptor
 * (openat, mkdirat, unlinkat), never by a path built from a job's data.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "cgroup.h"
#include "log.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Nested cgroups a job may have made under its own: removed to this depth. */
#define CGROUP_MAX_DEPTH 16

static const char *const cgroup_ctl_names[] = { "memory", "pids", "cpu" };
#define CGROUP_NCTL (sizeof cgroup_ctl_names / sizeof cgroup_ctl_names[0])

/* ---- small file I/O relative to a cgroup's directory ------------------- */

/* Reads the file name in dirfd into buf (NUL-terminated); bytes or -errno. */
static ssize_t
cgroup_read(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	size_t off = 0;
	int fd, e;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -errno;
	while (off + 1 < len) {
		n = read(fd, buf + off, len - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	close(fd);
	return (ssize_t)off;
}

/* Writes s into the file name in dirfd in one write(); 0 or -errno. */
static int
cgroup_write(int dirfd, const char *name, const char *s)
{
	ssize_t n;
	int fd, e = 0;

	if ((fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -errno;
	do
		n = write(fd, s, strlen(s));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		e = -errno;
	if (close(fd) == -1 && e == 0 && errno != EINTR)
		e = -errno;
	return e;
}

/* 1 if word is one of the space-separated words of list. */
static int
cgroup_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
	return 0;
}

/* The value of "key N" in a flat-keyed file's text (cpu.stat, events). */
static int
cgroup_key(const char *text, const char *key, uint64_t *v)
{
	size_t n = strlen(key);
	const char *p;
	char *end;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL) {
		if (strncmp(p, key, n) != 0 || p[n] != ' ')
			continue;
		errno = 0;
		*v = strtoull(p + n + 1, &end, 10);
		if (errno != 0 || end == p + n + 1)
			return -1;
		return 0;
	}
	return -1;
}

/* ---- a cgroup's processes ---------------------------------------------- */

int
cgroup_kill(int dirfd)
{
	char buf[8192], *p, *end;
	long pid;
	ssize_t n;
	int r;

	if ((r = cgroup_write(dirfd, "cgroup.kill", "1")) != -ENOENT)
		return r;
	/* Before Linux 5.14: each pid (the caller repeats until empty). */
	if ((n = cgroup_read(dirfd, "cgroup.procs", buf, sizeof buf)) < 0)
		return (int)n;
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			(void)kill((pid_t)pid, SIGKILL);
	}
	return 0;
}

int
cgroup_populated(int dirfd)
{
	char buf[256];
	uint64_t v;
	ssize_t n;

	if ((n = cgroup_read(dirfd, "cgroup.events", buf, sizeof buf)) < 0)
		return (int)n;
	if (cgroup_key(buf, "populated", &v) != 0)
		return -EINVAL;
	return v != 0;
}

void
cgroup_read_usage(int dirfd, struct cgroup_usage *u)
{
	char buf[1024];
	uint64_t v;

	memset(u, 0, sizeof *u);
	if (cgroup_read(dirfd, "memory.peak", buf, sizeof buf) > 0) {
		errno = 0;
		v = strtoull(buf, NULL, 10);
		if (errno == 0) {
			u->mem_peak = v;
			u->flags |= CGROUP_USAGE_MEM;
		}
	}
	if (cgroup_read(dirfd, "cpu.stat", buf, sizeof buf) > 0 &&
	    cgroup_key(buf, "user_usec", &u->user_us) == 0 &&
	    cgroup_key(buf, "system_usec", &u->sys_us) == 0)
		u->flags |= CGROUP_USAGE_CPU;
}

/*
 * Kills everything in the cgroup name under parent (and in the cgroups a
 * job made below it), waits at most until deadline (monotonic ms) for it
 * to be empty, and removes it, children first.  0 or -errno (-EBUSY: still
 * populated at the deadline).
 */
static int
cgroup_kill_remove(int parent, const char *name, int64_t deadline, int depth)
{
	struct dirent *d;
	DIR *dir;
	int fd, dfd;

	if ((fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return -errno;
	(void)cgroup_kill(fd);
	while (cgroup_populated(fd) == 1 && util_mono_ms() < deadline) {
		(void)usleep(1000);
		(void)cgroup_kill(fd);
	}
	if (depth < CGROUP_MAX_DEPTH && (dfd = dup(fd)) != -1) {
		if ((dir = fdopendir(dfd)) == NULL)
			close(dfd);
		else {
			while ((d = readdir(dir)) != NULL)
				if (d->d_type == DT_DIR && d->d_name[0] != '.')
					(void)cgroup_kill_remove(fd, d->d_name,
					    deadline, depth + 1);
			closedir(dir);
		}
	}
	close(fd);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1)
		return -errno;
	return 0;
}

/* ---- a job's cgroup (worker) -------------------------------------------- */

void
cgroup_job_name(char *buf, size_t len, int64_t id, unsigned attempt)
{
	(void)snprintf(buf, len, "job-%" PRId64 "-%u", id, attempt);
}

void
cgroup_controllers(int jobs_fd, char *buf, size_t len)
{
	char *p;

	if (cgroup_read(jobs_fd, "cgroup.subtree_control", buf, len) < 0)
		buf[0] = '\0';
	if ((p = strchr(buf, '\n')) != NULL)
		*p = '\0';
}

uint64_t
cgroup_cpu_quota_us(int64_t millis)
{
	if (millis <= 0)
		return 0;
	return ((uint64_t)millis * CGROUP_CPU_PERIOD_US + 999) / 1000;
}

int
cgroup_write_limits(int dirfd, const char *controllers,
    const struct cgroup_limits *lim, const char **what)
{
	char buf[64];
	int r;

	if (lim->mem_max > 0 && cgroup_has_word(controllers, "memory")) {
		*what = "memory.max";
		(void)snprintf(buf, sizeof buf, "%" PRIu64, lim->mem_max);
		if ((r = cgroup_write(dirfd, "memory.max", buf)) != 0)
			return r;
		/* No swap beyond it, where swap is accounted. */
		r = cgroup_write(dirfd, "memory.swap.max", "0");
		if (r != 0 && r != -ENOENT) {
			*what = "memory.swap.max";
			return r;
		}
	}
	if (lim->pids_max > 0 && cgroup_has_word(controllers, "pids")) {
		*what = "pids.max";
		(void)snprintf(buf, sizeof buf, "%" PRIu64, lim->pids_max);
		if ((r = cgroup_write(dirfd, "pids.max", buf)) != 0)
			return r;
	}
	if (lim->cpu_quota_us > 0 && cgroup_has_word(controllers, "cpu")) {
		*what = "cpu.max";
		(void)snprintf(buf, sizeof buf, "%" PRIu64 " %d",
		    lim->cpu_quota_us < 1000 ? 1000 : lim->cpu_quota_us,
		    CGROUP_CPU_PERIOD_US);
		if ((r = cgroup_write(dirfd, "cpu.max", buf)) != 0)
			return r;
	}
	return 0;
}

int
cgroup_job_create(int jobs_fd, int64_t id, unsigned attempt,
    const char *controllers, const struct cgroup_limits *lim,
    struct cgroup_job *cj, const char **what)
{
	int r;

	cj->dirfd = cj->procs_fd = -1;
	cgroup_job_name(cj->name, sizeof cj->name, id, attempt);
	*what = "mkdir";
	if (mkdirat(jobs_fd, cj->name, 0755) == -1) {
		if (errno != EEXIST)
			return -errno;
		/* An earlier try of the same run (a lost worker): its
		 * processes are not this job's any more. */
		(void)cgroup_kill_remove(jobs_fd, cj->name,
		    util_mono_ms() + 1000, 0);
		if (mkdirat(jobs_fd, cj->name, 0755) == -1)
			return -errno;
	}
	*what = "open";
	if ((cj->dirfd = openat(jobs_fd, cj->name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) == -1) {
		r = -errno;
		(void)unlinkat(jobs_fd, cj->name, AT_REMOVEDIR);
		return r;
	}
	if ((r = cgroup_write_limits(cj->dirfd, controllers, lim, what)) == 0) {
		*what = "cgroup.procs";
		if ((cj->procs_fd = openat(cj->dirfd, "cgroup.procs",
		    O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			r = -errno;
	}
	if (r != 0)
		(void)cgroup_job_remove(jobs_fd, cj);
	return r;
}

void
cgroup_job_close_procs(struct cgroup_job *cj)
{
	if (cj->procs_fd != -1)
		close(cj->procs_fd);
	cj->procs_fd = -1;
}

int
cgroup_job_remove(int jobs_fd, struct cgroup_job *cj)
{
	int r = 0;

	cgroup_job_close_procs(cj);
	if (cj->dirfd == -1)
		return 0;
	close(cj->dirfd);
	cj->dirfd = -1;
	if (unlinkat(jobs_fd, cj->name, AT_REMOVEDIR) == -1) {
		r = -errno;
		if (r == -EBUSY)	/* cgroups the job made below its own */
			r = cgroup_kill_remove(jobs_fd, cj->name,
			    util_mono_ms() + 1000, 0);
	}
	return r;
}

/* ---- the daemon's side ------------------------------------------------- */

int
cgroup_job_reap(const char *jobs, int64_t id, unsigned attempt,
    int timeout_ms)
{
	char name[48];
	int fd, r;

	if ((fd = open(jobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return JOBQ_ENOTFOUND;
	cgroup_job_name(name, sizeof name, id, attempt);
	r = cgroup_kill_remove(fd, name, util_mono_ms() + timeout_ms, 0);
	close(fd);
	if (r == -ENOENT)
		return JOBQ_ENOTFOUND;
	if (r != 0) {
		log_warnx("cgroup %s/%s: %s: left for the next start", jobs,
		    name, strerror(-r));
		return JOBQ_ETIMEDOUT;
	}
	return 0;
}

int
cgroup_root_reap(const struct cgroup_root *r, int timeout_ms)
{
	int64_t deadline = util_mono_ms() + timeout_ms;
	struct dirent *d;
	DIR *dir;
	int dfd, n = 0, e;

	if ((dfd = dup(r->jobs_fd)) == -1)
		return 0;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_type != DT_DIR || strncmp(d->d_name, "job-", 4) != 0)
			continue;
		n++;
		if ((e = cgroup_kill_remove(r->jobs_fd, d->d_name, deadline,
		    0)) != 0)
			log_warnx("cgroup %s/%s: left by the previous jobqd: "
			    "%s", r->jobs, d->d_name, strerror(-e));
	}
	closedir(dir);
	return n;
}

/* ---- settling --cgroup -------------------------------------------------- */

/* Undoes the octal escapes (\040) of a mountinfo field, in place. */
static void
cgroup_unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* Our cgroup v2 path ("/..." from "0::/...") into buf; 0 or -1. */
static int
cgroup_self(char *buf, size_t len)
{
	char line[PATH_MAX + 64];
	FILE *f;
	int r = -1;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) == 0 && strlen(line + 3) < len) {
			memcpy(buf, line + 3, strlen(line + 3) + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/*
 * The directory of cgroup cg ("/a/b") in a mounted cgroup2 hierarchy, from
 * /proc/self/mountinfo: the first cgroup2 mount whose root is a prefix of
 * cg.  0 or -1.
 */
static int
cgroup_dir_of(const char *cg, char *buf, size_t len)
{
	char line[3 * PATH_MAX], *f[10], *sep, *p;
	size_t rl;
	FILE *fp;
	int i, r = -1;

	if ((fp = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (r != 0 && fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		if (strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (i = 0, p = strtok(line, " "); p != NULL && i < 10;
		    p = strtok(NULL, " "))
			f[i++] = p;
		if (i < 5)
			continue;
		cgroup_unescape(f[3]);	/* root */
		cgroup_unescape(f[4]);	/* mount point */
		rl = strcmp(f[3], "/") == 0 ? 0 : strlen(f[3]);
		if (strncmp(cg, f[3], rl) != 0 || (cg[rl] != '/' && cg[rl]))
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", f[4], strcmp(cg + rl,
		    "/") == 0 ? "" : cg + rl) < len)
			r = 0;
	}
	fclose(fp);
	return r;
}

/* Is dir (a cgroup) delegated to us?  Ours, writable, and marked by
 * systemd (Delegate=yes sets trusted.delegate, or for a user manager
 * user.delegate): a cgroup systemd manages itself is not ours to split. */
static int
cgroup_delegated(const char *dir, char *why, size_t whylen)
{
	struct stat st;
	char v[8];

	if (stat(dir, &st) == -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return 0;
	}
	if (st.st_uid != geteuid() || access(dir, W_OK) == -1) {
		snprintf(why, whylen, "%s is not ours to write (not "
		    "delegated)", dir);
		return 0;
	}
	if (getxattr(dir, "trusted.delegate", v, sizeof v) <= 0 &&
	    getxattr(dir, "user.delegate", v, sizeof v) <= 0) {
		snprintf(why, whylen, "%s is not delegated to jobqd "
		    "(no Delegate=yes: no trusted.delegate attribute)", dir);
		return 0;
	}
	return 1;
}

/* The checks for a path given with --cgroup: a cgroup2 directory, ours,
 * writable.  1, or 0 with why. */
static int
cgroup_usable(const char *dir, char *why, size_t whylen)
{
	struct statfs sf;
	struct stat st;

	if (statfs(dir, &sf) == -1 || stat(dir, &st) == -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return 0;
	}
	if ((unsigned long)sf.f_type != (unsigned long)CGROUP2_SUPER_MAGIC ||
	    !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory of a cgroup2 "
		    "file system", dir);
		return 0;
	}
	if (st.st_uid != geteuid() || access(dir, W_OK) == -1) {
		snprintf(why, whylen, "%s is not ours to write (owner uid "
		    "%lu)", dir, (unsigned long)st.st_uid);
		return 0;
	}
	return 1;
}

/* jobqd itself in ROOT (fd): moved into ROOT/daemon, so that ROOT may
 * hand controllers down.  Logged, never fatal. */
static void
cgroup_move_self(int fd, const char *path)
{
	char pid[24];
	int dfd, r;

	if (mkdirat(fd, "daemon", 0755) == -1 && errno != EEXIST) {
		log_warn("cgroup %s/daemon", path);
		return;
	}
	if ((dfd = openat(fd, "daemon", O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("cgroup %s/daemon", path);
		return;
	}
	(void)snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if ((r = cgroup_write(dfd, "cgroup.procs", pid)) != 0)
		log_warnx("cgroup %s/daemon: cannot move jobqd there: %s",
		    path, strerror(-r));
	close(dfd);
}

/* Enables what fd's parent offers of memory, pids, cpu for fd's children. */
static void
cgroup_enable(int fd)
{
	char avail[256], ctl[16];
	size_t i;

	if (cgroup_read(fd, "cgroup.controllers", avail, sizeof avail) < 0)
		return;
	for (i = 0; i < CGROUP_NCTL; i++) {
		if (!cgroup_has_word(avail, cgroup_ctl_names[i]))
			continue;
		(void)snprintf(ctl, sizeof ctl, "+%s", cgroup_ctl_names[i]);
		(void)cgroup_write(fd, "cgroup.subtree_control", ctl);
	}
}

/* Sets r up in the cgroup dir (checked): jobqd moved out of it when in it,
 * controllers, jobs/ locked.  1, or 0 with why. */
static int
cgroup_setup(struct cgroup_root *r, const char *dir, char *why,
    size_t whylen)
{
	char self[PATH_MAX], selfdir[PATH_MAX];
	struct stat a, b;
	int fd;

	if (strlen(dir) >= sizeof r->path - 8) {
		snprintf(why, whylen, "%s: path too long", dir);
		return 0;
	}
	snprintf(r->path, sizeof r->path, "%s", dir);
	snprintf(r->jobs, sizeof r->jobs, "%s/jobs", dir);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return 0;
	}
	if (cgroup_self(self, sizeof self) == 0 &&
	    cgroup_dir_of(self, selfdir, sizeof selfdir) == 0 &&
	    stat(selfdir, &a) == 0 && fstat(fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		cgroup_move_self(fd, dir);
	cgroup_enable(fd);
	if (mkdirat(fd, "jobs", 0755) == -1 && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", r->jobs, strerror(errno));
		close(fd);
		return 0;
	}
	r->jobs_fd = openat(fd, "jobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	close(fd);
	if (r->jobs_fd == -1) {
		snprintf(why, whylen, "%s: %s", r->jobs, strerror(errno));
		return 0;
	}
	if (flock(r->jobs_fd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(why, whylen, "%s: %s", r->jobs, errno == EWOULDBLOCK ?
		    "in use by another jobqd" : strerror(errno));
		cgroup_root_close(r);
		return 0;
	}
	cgroup_enable(r->jobs_fd);
	cgroup_controllers(r->jobs_fd, r->controllers, sizeof r->controllers);
	return 1;
}

int
cgroup_root_open(const char *opt, struct cgroup_root *r, char *why,
    size_t whylen)
{
	char self[PATH_MAX], dir[PATH_MAX];

	memset(r, 0, sizeof *r);
	r->jobs_fd = -1;
	why[0] = '\0';
	if (strcmp(opt, "off") == 0) {
		snprintf(why, whylen, "--cgroup off");
		return 0;
	}
	if (strcmp(opt, "auto") != 0) {
		if (realpath(opt, dir) == NULL) {
			snprintf(why, whylen, "%s: %s", opt, strerror(errno));
			return JOBQ_EINVAL;
		}
		if (!cgroup_usable(dir, why, whylen) ||
		    !cgroup_setup(r, dir, why, whylen))
			return JOBQ_EINVAL;
		return 1;
	}
	if (cgroup_self(self, sizeof self) != 0) {
		snprintf(why, whylen, "no cgroup v2 hierarchy (no \"0::\" "
		    "line in /proc/self/cgroup)");
		return 0;
	}
	if (strcmp(self, "/") == 0) {
		snprintf(why, whylen, "jobqd runs in the root cgroup, which "
		    "is not delegated");
		return 0;
	}
	if (cgroup_dir_of(self, dir, sizeof dir) != 0) {
		snprintf(why, whylen, "cgroup %s: no cgroup2 mount shows it",
		    self);
		return 0;
	}
	if (!cgroup_usable(dir, why, whylen) ||
	    !cgroup_delegated(dir, why, whylen) ||
	    !cgroup_setup(r, dir, why, whylen))
		return 0;
	return 1;
}

void
cgroup_root_close(struct cgroup_root *r)
{
	if (r->jobs_fd != -1)
		close(r->jobs_fd);
	r->jobs_fd = -1;
}
