/*
 * proctree.h - processes as /proc shows them, and SIGKILL that never hits
 * a reused pid.  Used by the daemon (a hung worker's whole tree, what a
 * killed jobqd left running: pool_watch.c, scoreboard.c) and by the worker
 * (what a job left behind: worker.c).
 *
 * A process is named by its pid and its start time (field 22 of
 * /proc/PID/stat, clock ticks after boot): a pid that was reused has
 * another start time.  Before a signal is sent the process is opened with
 * pidfd_open() and its start time checked again through /proc, and the
 * signal goes through the pidfd (kill() after the same check on kernels
 * without pidfds, older than 5.3).  A group is signaled only while its
 * leader (alive or a zombie) still has the start time recorded.
 *
 * Descendants are found by walking /proc (every /proc/PID/stat: parent,
 * state, start time).  Killing a tree keeps its root alive while the rest
 * dies: a root that is a child subreaper (the worker) inherits what is
 * orphaned meanwhile, so nothing leaves the tree between two walks.
 *
 * Errors: 0 (or a count) or a negative JOBQ_E* code, as in every daemon
 * header.
 */
#ifndef JOBQD_PROCTREE_H
#define JOBQD_PROCTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proctree_stat {
	pid_t pid;
	pid_t ppid;
	pid_t pgrp;
	char state;		/* R S D Z T t X I ... */
	uint64_t start;		/* start time, clock ticks after boot */
};

/* Parses the text of /proc/PID/stat (len bytes, no NUL needed; the name
 * in parentheses may hold anything).  Returns 0 or JOBQ_EINVAL. */
int proctree_parse_stat(const char *buf, size_t len, struct proctree_stat *st);

/* Reads /proc/PID/stat.  Returns 0, JOBQ_ENOTFOUND (no such process) or
 * JOBQ_EINTERNAL (logged). */
int proctree_read(pid_t pid, struct proctree_stat *st);

/* The start time of pid, or 0 when it cannot be read. */
uint64_t proctree_start_time(pid_t pid);

/* 1 if pid is the process that started at start (start 0: any) and has
 * not exited (a zombie counts as gone), else 0. */
int proctree_alive(pid_t pid, uint64_t start);

/* Whether pid's main thread has children (/proc/PID/task/PID/children):
 * 1 or 0, or -1 when that cannot be told (a kernel without
 * CONFIG_PROC_CHILDREN).  Exact for a single-threaded process only. */
int proctree_has_children(pid_t pid);

/* SIGKILL to pid if it is still the process that started at start (start
 * 0: no check, for a child of the caller's that it has not reaped).
 * Returns 1 if signaled, 0 if that process is gone (or a zombie). */
int proctree_kill(pid_t pid, uint64_t start);

/* SIGKILL to the process group pgid if its leader, pid pgid, still has
 * start time start (alive or a zombie: an unreaped leader pins the group).
 * Returns 1 if signaled, 0 if not. */
int proctree_kill_group(pid_t pgid, uint64_t start);

/*
 * SIGKILLs every live descendant of root (root itself untouched), walking
 * /proc again until a walk finds none alive or max_ms have passed.  root
 * must be the process that started at root_start (0: no check).  Returns
 * the number of processes signaled, JOBQ_ETIMEDOUT if some were still
 * alive after max_ms (*left: how many), JOBQ_ENOTFOUND if root is gone,
 * JOBQ_ENOMEM or JOBQ_EINTERNAL (/proc unreadable, logged).
 */
int proctree_kill_descendants(pid_t root, uint64_t root_start, int max_ms,
    int *left);

#endif
