/*
 * proctree.c - reading /proc/PID/stat, walking /proc for a process's
 * descendants, and SIGKILL checked against the start time (see
 * proctree.h).  No state of its own; callable from the daemon's loop
 * thread and from a worker.
 *
 *   proctree_kill_descendants(root)
 *     round: walk /proc -> {pid, ppid, state, start} -> mark root's
 *            descendants -> SIGKILL each live one (pidfd, start checked)
 *     until a round finds none alive, or max_ms
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "proctree.h"
#include "util.h"

/* Pause between two walks of a tree kill: the killed need a moment to
 * exit and their orphans to be reparented. */
#define PROCTREE_STEP_US 1000

/* starttime is field 22; fields 3.. follow the name's closing ')'. */
#define PROCTREE_START_FIELD 22

/* The number after the space at *pp, into *v; a leading '-' is allowed
 * when neg_ok (the value is then meaningless: fields jobq never uses).
 * Returns 0 with *pp past it, or -1. */
static int
proctree_field(const char **pp, const char *end, int neg_ok,
    unsigned long long *v)
{
	const char *p = *pp;
	unsigned d;

	if (p >= end || *p != ' ')
		return -1;
	p++;
	if (neg_ok && p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	for (*v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (*v > (ULLONG_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	*pp = p;
	return 0;
}

int
proctree_parse_stat(const char *buf, size_t len, struct proctree_stat *st)
{
	const char *p, *end = buf + len, *close;
	unsigned long long v;
	int field;

	memset(st, 0, sizeof *st);
	/* the name may hold anything: it ends at the last ')' */
	if ((close = memrchr(buf, ')', len)) == NULL || end - close < 3 ||
	    close[1] != ' ')
		return JOBQ_EINVAL;
	for (v = 0, p = buf; p < close && *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (unsigned)(*p - '0')) > INT_MAX)
			return JOBQ_EINVAL;
	if (p == buf || *p != ' ')
		return JOBQ_EINVAL;
	st->pid = (pid_t)v;
	p = close + 2;
	st->state = *p++;
	for (field = 4; field <= PROCTREE_START_FIELD; field++) {
		if (proctree_field(&p, end, field > 5, &v) < 0)
			return JOBQ_EINVAL;
		if (field == 4 || field == 5) {
			if (v > INT_MAX)
				return JOBQ_EINVAL;
			if (field == 4)
				st->ppid = (pid_t)v;
			else
				st->pgrp = (pid_t)v;
		}
	}
	st->start = v;
	return 0;
}

/* Reads /proc/PID/stat relative to the directory fd dfd (or /proc). */
static int
proctree_read_at(int dfd, const char *name, struct proctree_stat *st)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd, err;

	(void)snprintf(path, sizeof path, "%s/stat", name);
	if ((fd = openat(dfd, path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ESRCH)
			return JOBQ_ENOTFOUND;
		err = errno;
		log_warnx("/proc/%s: %s", path, strerror(err));
		return JOBQ_EINTERNAL;
	}
	do
		n = read(fd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	err = errno;
	close(fd);
	if (n <= 0) {
		/* ESRCH: it was reaped between open and read */
		if (n == 0 || err == ESRCH)
			return JOBQ_ENOTFOUND;
		log_warnx("/proc/%s: %s", path, strerror(err));
		return JOBQ_EINTERNAL;
	}
	if (proctree_parse_stat(buf, (size_t)n, st) != 0) {
		log_warnx("/proc/%s: cannot parse it", path);
		return JOBQ_EINTERNAL;
	}
	return 0;
}

int
proctree_read(pid_t pid, struct proctree_stat *st)
{
	char name[24];

	if (pid <= 0)
		return JOBQ_ENOTFOUND;
	(void)snprintf(name, sizeof name, "/proc/%ld", (long)pid);
	return proctree_read_at(AT_FDCWD, name, st);
}

uint64_t
proctree_start_time(pid_t pid)
{
	struct proctree_stat st;

	return proctree_read(pid, &st) == 0 ? st.start : 0;
}

int
proctree_has_children(pid_t pid)
{
	char path[64], c;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof path, "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	do
		n = read(fd, &c, 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	return n < 0 ? -1 : n > 0;
}

static int
proctree_dead(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

int
proctree_alive(pid_t pid, uint64_t start)
{
	struct proctree_stat st;

	if (proctree_read(pid, &st) != 0 || proctree_dead(st.state))
		return 0;
	return start == 0 || st.start == start;
}

/* SIGKILL to pid if it is (still) the live process that started at start
 * (0: no check).  A pidfd holds on to the process that was checked, so
 * the signal cannot reach a successor with the same pid. */
int
proctree_kill(pid_t pid, uint64_t start)
{
	int fd, r;

	if (pid <= 1)
		return 0;
	if (start == 0)
		return kill(pid, SIGKILL) == 0;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd == -1 && errno != ENOSYS)
		return 0;	/* ESRCH: gone */
	if (!proctree_alive(pid, start)) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	if (fd == -1)
		return kill(pid, SIGKILL) == 0;
	r = (int)syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	close(fd);
	return r == 0;
}

int
proctree_kill_group(pid_t pgid, uint64_t start)
{
	struct proctree_stat st;

	if (pgid <= 1 || start == 0)
		return 0;
	if (proctree_read(pgid, &st) != 0 || st.start != start)
		return 0;
	return kill(-pgid, SIGKILL) == 0;
}

/* ---- the walk ------------------------------------------------------------ */

struct proctree_walk {
	struct proctree_stat *v;	/* every process, sorted by pid */
	size_t n, cap;
	ssize_t *parent;		/* index of v[i]'s parent, -1: none */
	unsigned char *mark;		/* 1: a descendant of the root */
	size_t xcap;			/* elements in parent and mark */
};

static int
proctree_cmp(const void *a, const void *b)
{
	const struct proctree_stat *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process in /proc into w, sorted by pid. */
static int
proctree_snapshot(struct proctree_walk *w)
{
	struct proctree_stat st;
	struct dirent *d;
	DIR *dir;
	int r = 0;

	w->n = 0;
	if ((dir = opendir("/proc")) == NULL) {
		log_warn("opendir /proc");
		return JOBQ_EINTERNAL;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (proctree_read_at(dirfd(dir), d->d_name, &st) != 0)
			continue;	/* gone meanwhile, or unreadable */
		if (util_grow(&w->v, &w->cap, w->n + 1, sizeof *w->v) < 0) {
			r = JOBQ_ENOMEM;
			break;
		}
		w->v[w->n++] = st;
	}
	closedir(dir);
	if (r == 0 && w->n > 0)
		qsort(w->v, w->n, sizeof *w->v, proctree_cmp);
	return r;
}

/* Marks the descendants of root in w->mark; returns how many there are.
 * One pass per level of the tree. */
static size_t
proctree_mark(struct proctree_walk *w, pid_t root)
{
	struct proctree_stat key, *pp;
	size_t i, n = 0;
	ssize_t p;
	int changed;

	memset(&key, 0, sizeof key);
	for (i = 0; i < w->n; i++) {
		key.pid = w->v[i].ppid;
		pp = bsearch(&key, w->v, w->n, sizeof *w->v, proctree_cmp);
		w->parent[i] = pp != NULL ? pp - w->v : -1;
		w->mark[i] = w->v[i].ppid == root && w->v[i].pid != root;
		n += w->mark[i];
	}
	do {
		changed = 0;
		for (i = 0; i < w->n; i++) {
			if (w->mark[i] || w->v[i].pid == root ||
			    (p = w->parent[i]) < 0 || !w->mark[p])
				continue;
			w->mark[i] = 1;
			changed = 1;
			n++;
		}
	} while (changed);
	return n;
}

/* One round: SIGKILL to each live descendant of root; *alive: how many
 * were alive.  Returns how many were signaled, or an error. */
static int
proctree_round(struct proctree_walk *w, pid_t root, int *alive)
{
	size_t i;
	int r, killed = 0;

	*alive = 0;
	if ((r = proctree_snapshot(w)) < 0)
		return r;
	if (w->n == 0)
		return 0;
	if (w->n > w->xcap) {
		free(w->parent);
		free(w->mark);
		w->parent = malloc(w->n * sizeof *w->parent);
		w->mark = malloc(w->n);
		w->xcap = w->n;
		if (w->parent == NULL || w->mark == NULL) {
			w->xcap = 0;
			return JOBQ_ENOMEM;
		}
	}
	if (proctree_mark(w, root) == 0)
		return 0;
	for (i = 0; i < w->n; i++) {
		if (!w->mark[i] || proctree_dead(w->v[i].state))
			continue;
		(*alive)++;
		killed += proctree_kill(w->v[i].pid, w->v[i].start);
	}
	return killed;
}

int
proctree_kill_descendants(pid_t root, uint64_t root_start, int max_ms,
    int *left)
{
	struct proctree_walk w;
	int64_t deadline = util_mono_ms() + max_ms;
	int r, alive, total = 0;

	*left = 0;
	memset(&w, 0, sizeof w);
	for (;;) {
		if (!proctree_alive(root, root_start)) {
			r = total > 0 ? total : JOBQ_ENOTFOUND;
			break;
		}
		if ((r = proctree_round(&w, root, &alive)) < 0)
			break;
		total += r;
		if (alive == 0) {
			r = total;
			break;
		}
		if (util_mono_ms() >= deadline) {
			*left = alive;
			r = JOBQ_ETIMEDOUT;
			break;
		}
		(void)usleep(PROCTREE_STEP_US);
	}
	free(w.v);
	free(w.parent);
	free(w.mark);
	return r;
}
