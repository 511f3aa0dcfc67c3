/*
 * slurm.h - the Slurm thread: runs the Slurm commands (sbatch, squeue,
 * sacct, scancel) off the loop thread, one at a time, each with a timeout,
 * so a slow or dead controller never stalls jobqd's loop.
 *
 *   loop thread                              Slurm thread (slurm.c)
 *   slurm_run(cmd) --lock mu; append to todo; signal cv-->
 *                                            take the oldest; unlock;
 *                                            [create the output files];
 *                                            fork, [become the user], exec;
 *                                            feed stdin, read stdout/stderr
 *                                            until EOF or the deadline
 *                                            (SIGKILL to its process group);
 *                                            reap (by the deadline too:
 *                                            it may outlive its output);
 *                                            lock; append to done
 *   uv_async <--------------------------------------------------------+
 *   slurm_async_cb: takes done, calls each cmd->done (loop thread)
 *
 * mu guards todo, done, closing and exited; it is a leaf (nothing else is
 * taken while it is held) and no I/O is done under it.  The loop thread
 * never waits for the Slurm thread: slurm_close() asks it to stop after
 * the command it runs (what is still queued is handed back with status
 * JOBQ_ESHUTDOWN) and the thread is joined once it has said it exited.
 * The thread blocks every signal; the commands start with none blocked
 * and SIGPIPE at its default.
 */
#ifndef JOBQD_SLURM_H
#define JOBQD_SLURM_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct slurm;

#define SLURM_OUT_MAX (16u << 20)      /* stdout kept: the rest is read and
                                          dropped (truncated = 1) */

struct slurm_cmd {
	/* in (owned by the cmd: slurm_cmd_free) */
	char **argv;           /* one malloc'd block (slurm_text_*_argv) */
	char **env;            /* util_strv; NULL: jobqd's environment */
	char *input;           /* standard input (a string: no NUL in
	                          it); NULL: empty */
	int as_user;           /* run as uid/gid with uid's groups (jobqd
	                          is root and the job's owner is not) */
	uid_t uid;
	gid_t gid;
	char *spec;            /* a packed wire_spec (wire.h): its output
	                          files are created first, as a worker
	                          would (worker_files_open), so Slurm
	                          appends to files that are the owner's;
	                          NULL: none */
	size_t speclen;
	/* out */
	int status;            /* 0: it ran (see wstatus); JOBQ_ETIMEDOUT
	                          (killed at the deadline), JOBQ_ESHUTDOWN
	                          (never run), JOBQ_EIO (could not run it or
	                          prepare its files: err says why) */
	int wstatus;           /* its wait status when status is 0 */
	char *out;             /* its stdout, NUL-terminated (malloc'd) */
	size_t outlen;
	int truncated;
	char err[512];         /* the start of its stderr, or why it could
	                          not run */
	int64_t ms;            /* how long it took */
	/* the caller's */
	void (*done)(struct slurm_cmd *);   /* on the loop thread */
	void *data;
	struct slurm_cmd *next;             /* the thread's lists */
};

/* Starts the thread; timeout_ms bounds each command.  0 or JOBQ_E*. */
int slurm_new(uv_loop_t *loop, int64_t timeout_ms, struct slurm **out);
/* Queues cmd (never NULL fields but argv); cmd->done is called later on
 * the loop thread, also when the command could not run. */
void slurm_run(struct slurm *s, struct slurm_cmd *cmd);
/* Commands queued or running. */
size_t slurm_pending(const struct slurm *s);
/* Stops the thread after its current command; queued commands come back
 * with JOBQ_ESHUTDOWN; closed(arg) once the thread is joined and the
 * handle closed, then s is freed. */
void slurm_close(struct slurm *s, void (*closed)(void *), void *arg);

struct slurm_cmd *slurm_cmd_new(void);
void slurm_cmd_free(struct slurm_cmd *cmd);
/* A one-line description of how cmd failed ("timed out after 30000 ms",
 * "exit 1: sbatch: error: ...", "killed by signal 9"); "" if it ran and
 * exited 0. */
void slurm_cmd_error(const struct slurm_cmd *cmd, char *buf, size_t len);

#endif
