/*
 * hook.h - hooks (jobqd(8) HOOKS): commands jobqd runs when a job has ended
 * for good and when a queue has drained.
 *
 * Which commands (dispatch_hook.c decides, after the end has committed):
 *   the job's own        submit --on-end CMD (jobs.on_end), as the job's user
 *   the queue's          on-end of its [queue] section in jobqd.conf, else
 *                        the global on-end; also as the job's user
 *   drained              on-drained of the queue's section, else the global
 *                        one, once when the queue's last queued or running
 *                        job has ended; as jobqd's own user
 *
 * How one runs (hook.c, loop thread only):
 *
 *   hook_job_ended / hook_queue_drained --> pending FIFO (at most
 *   HOOK_MAX_PENDING; more are dropped and logged)
 *     --while fewer than --hook-max-running run--> uv_spawn(jobqd --hook
 *       UID GID UMASK CWD CMD) in a session of its own, stdin /dev/null,
 *       stdout and stderr one pipe, the environment hook_env_* built
 *       (an allow-list: nothing of jobqd's own environment)
 *       `- hook_exec.c in the child: groups, gid, uid (verified), chdir to
 *          CWD as that user (else HOME, else /), exec /bin/sh -c CMD
 *     output: logged line by line ("hook job 7 (queue): ..."), at most
 *       HOOK_LOG_MAX bytes per run, control bytes escaped
 *     --hook-timeout: SIGTERM to its process group, SIGKILL HOOK_KILL_MS
 *       later; when the hook exits, what is left of its process group is
 *       killed too; its exit status is logged (a failure as a warning).
 *
 * At most once, never in the way: a hook starts after the end it reports
 * has committed and nothing about it is stored, so a crash or a stop before
 * it started loses it (logged at a stop); its outcome never changes the
 * job's state.
 */
#ifndef JOBQD_HOOK_H
#define JOBQD_HOOK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "ident.h"
#include "jobq.h"

#define HOOK_MAX_PENDING 10000   /* runs waiting for a free place */
#define HOOK_LOG_MAX     8192    /* bytes of one run's output logged */
#define HOOK_KILL_MS     5000    /* SIGTERM -> SIGKILL after a timeout */

/* Where a job's end hook comes from (JOBQ_HOOK_ORIGIN). */
enum hook_origin { HOOK_JOB, HOOK_QUEUE, HOOK_GLOBAL };
const char *hook_origin_name(enum hook_origin o);

/*
 * The environment of an end hook for job (its row as committed): HOME,
 * USER, LOGNAME, SHELL and PATH of pw (ident_env_build), then JOBQ_HOOK=end,
 * JOBQ_HOOK_ORIGIN, and the job's JOBQ_JOB_* members (jobqd(8) HOOKS):
 * ID, REF, STATE, EXIT_CODE, SIGNAL, REASON, NAME, QUEUE, ATTEMPTS,
 * SUBMITTED, STARTED, FINISHED, RUNTIME (seconds since the epoch, or for
 * RUNTIME the run's length, with milliseconds: "1765000000.250"; empty when
 * there is none), CWD, USER, STDOUT and STDERR (logs_dir/UID/ID.out and
 * .err), and JOBQ_ARRAY_ID / JOBQ_ARRAY_INDEX for an array's task.  One
 * malloc'd block (free() frees it), NULL-terminated; NULL when out of
 * memory.  Pure.
 */
char **hook_env_job(const jobq_job *job, enum hook_origin origin,
    const char *logs_dir, const struct ident_pw *pw);

/* The environment of a drained hook: pw's HOME .. PATH, JOBQ_HOOK=drained
 * and JOBQ_QUEUE.  As hook_env_job.  Pure. */
char **hook_env_drained(const char *queue, const struct ident_pw *pw);

/* What the hook runner needs (hook.c). */
struct hook_config {
	const char *exe;          /* jobqd's executable (for --hook) */
	int64_t timeout_ms;       /* --hook-timeout (> 0) */
	int max_running;          /* --hook-max-running (>= 1) */
};

struct hook;

int hook_new(uv_loop_t *loop, const struct hook_config *cfg,
    struct hook **out);

/*
 * Queues a run of cmd (/bin/sh -c) as uid:gid with umask, in cwd (its
 * user's, entered as that user; NULL: "/"), with env (hook_env_*; taken:
 * freed by hook.c).  what names the run in the log ("job 7 (queue)").
 * Returns 0, or JOBQ_ENOMEM or JOBQ_ETOOBIG (HOOK_MAX_PENDING waiting; the
 * run is dropped; env is freed in every case).
 */
int hook_run(struct hook *h, const char *what, const char *cmd, uid_t uid,
    gid_t gid, int umask, const char *cwd, char **env);

/* Running and waiting runs, and runs dropped, failed or timed out so far. */
struct hook_counts {
	size_t running, pending;
	uint64_t started, failed, timed_out, dropped;
};
void hook_counts(const struct hook *h, struct hook_counts *out);

/* Drops the waiting runs, kills the running ones (SIGKILL to their process
 * groups) and calls done(arg) once every handle is closed; then frees h. */
void hook_close(struct hook *h, void (*done)(void *), void *arg);

/* `jobqd --hook UID GID UMASK CWD CMD` (hook_exec.c): the child's side.
 * Does not return on success. */
int hook_exec_main(int argc, char **argv);

#endif
