/*
 * worker_int.h - what the files of the worker process share: worker.c (the
 * main loop, messages from the daemon, reports, reaping the job) starts a
 * job's process through worker_spawn.c (its descriptors opened by
 * worker_files.c) and watches the size of its output
 * through worker_output.c; worker_spec.c reads a RUN's spec.
 */
#ifndef JOBQD_WORKER_INT_H
#define JOBQD_WORKER_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/*
 * The output limit of the running job (worker_output.c).  limit 0: nothing
 * is watched and the rest is unused (a zeroed struct is "none").  Else fd[]
 * are the job's stdout and stderr files, kept open by the worker (fd[1] -1
 * when stderr is stdout's file), base[] their sizes when the run began (a
 * later run appends), and each may grow by limit bytes.
 */
struct worker_output {
	uint64_t limit;
	int fd[2];
	uint64_t base[2];
	uint32_t over;          /* WIRE_END_OUTPUT_* seen: the job was killed */
	int64_t next_ms;        /* the next periodic check (monotonic) */
};

/* Milliseconds until the next periodic check is due (0: now), or -1 when
 * nothing is watched: a timeout for poll(). */
int worker_output_timeout(const struct worker_output *o);
/* The periodic check, while the job runs (nothing when not due): a file
 * past its limit gets the job's group pgid SIGKILL; the job then ends as
 * any killed job does. */
void worker_output_poll(struct worker_output *o, pid_t pgid, int64_t job_id);
/* Once the job's group is gone: the last check; each file past its limit is
 * truncated to base + limit and gets the line "jobq: output truncated at
 * LIMIT bytes (output limit)" (after a newline if the kept bytes do not end
 * with one).  Closes the files, clears o and returns the WIRE_END_OUTPUT_*
 * flags for the FINISHED report (*limit set when nonzero). */
uint32_t worker_output_end(struct worker_output *o, int64_t job_id,
    uint64_t *limit);

/* The spec of a RUN message m of n bytes (worker_spec.c), inline or in
 * shared memory, unpacked into spec (zeroed first, empty on failure).
 * Returns 0 or the errno to report (EINVAL: malformed). */
int worker_spec_read(const struct wire_msg *m, size_t n,
    struct wire_spec *spec);

/* The job's descriptors, opened by the worker (-1: not open). */
struct worker_files {
	int cwd, null, out, err;
};

/* Opens the job's working directory, output files (worker_files.c: in the
 * spec's output directory, symlink-proof, the job user's) and /dev/null
 * into f (all -1 before); the output files' sizes go to base.  Returns 0,
 * or an errno with *stage (enum wire_stage) set. */
int worker_files_open(const struct wire_spec *spec, struct worker_files *f,
    uint64_t base[2], int *stage);
/* Closes those of f that are open and sets them to -1. */
void worker_files_close(struct worker_files *f);

/* The outcome of worker_spawn(): pid > 0, the job's process (leader of its
 * own session and process group, not reaped), and with a limit in the spec
 * its output files in output (the caller's to watch and close); or pid 0
 * with stage (enum wire_stage) and err (an errno, for
 * WIRE_REP_SPAWN_FAILED) saying where and why the job could not be
 * started. */
struct worker_spawn_result {
	pid_t pid;
	int stage;
	int err;
	struct worker_output output;
};

/* Starts the job of spec: its descriptors, vfork, the child's set-up and
 * execve (argv[0] resolved against the job's PATH when it has no slash).
 * worker_pid is the calling worker's pid (the child checks that its parent
 * is still it), maxfd the bound for closing descriptors when neither
 * close_range nor /proc works.  A child that failed before exec has been
 * reaped when this returns. */
void worker_spawn(const struct wire_spec *spec, pid_t worker_pid, long maxfd,
    struct worker_spawn_result *res);
/* worker_spawn() in cgroup mode: the child writes "0" into cg_procs_fd (the
 * job's cgroup.procs, cgroup.h; -1: none) before anything else it does
 * after setsid (a failure: WIRE_STAGE_CGROUP). */
void worker_spawn_cg(const struct wire_spec *spec, pid_t worker_pid,
    long maxfd, int cg_procs_fd, struct worker_spawn_result *res);

/* worker_sig.c: the worker's dispositions; the child resets those only. */
void worker_sig_init(void);
int worker_sig_set(int sig, void (*handler)(int));
void worker_sig_child_reset(void);

#endif
