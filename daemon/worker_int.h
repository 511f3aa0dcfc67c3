/*
 * worker_int.h - what the files of the worker process share: worker.c (the
 * main loop, messages from the daemon, reports, reaping the job) starts a
 * job's process through worker_spawn.c.
 */
#ifndef JOBQD_WORKER_INT_H
#define JOBQD_WORKER_INT_H

#include <sys/types.h>

#include "wire.h"

/* The outcome of worker_spawn(): pid > 0, the job's process (leader of its
 * own session and process group, not reaped); or pid 0 with stage (enum
 * wire_stage) and err (an errno, for WIRE_REP_SPAWN_FAILED) saying where
 * and why the job could not be started. */
struct worker_spawn_result {
	pid_t pid;
	int stage;
	int err;
};

/* Starts the job of spec: its descriptors, vfork, the child's set-up and
 * execve (argv[0] resolved against the job's PATH when it has no slash).
 * worker_pid is the calling worker's pid (the child checks that its parent
 * is still it), maxfd the bound for closing descriptors when neither
 * close_range nor /proc works.  A child that failed before exec has been
 * reaped when this returns. */
void worker_spawn(const struct wire_spec *spec, pid_t worker_pid, long maxfd,
    struct worker_spawn_result *res);

#endif
