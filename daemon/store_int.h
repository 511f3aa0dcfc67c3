/*
 * store_int.h - what the files of the store share; internal to
 * daemon/store*.c (callers use store.h).
 *
 *   store.c          the handle and the store thread: the queue,
 *                    store_submit(), batches and group commit, the failure
 *                    policy, store_close(); the SQLite glue every file
 *                    uses (binding, stepping, store_code())
 *   store_schema.c   opening: file validation, PRAGMAs, the statements,
 *                    the id counter
 *   store_migrate.c  the schema: its migrations, from any user_version
 *   store_recover.c  start-up recovery (store_recover())
 *   store_insert.c   STORE_INSERT: jobs and arrays
 *   store_insert_many.c STORE_INSERT_MANY: a batch of jobs, all or none
 *   store_env.c      the envs table: an environment stored once, its id
 *   store_write.c    STORE_CLAIM, STORE_UPDATE, STORE_QUEUE_SET, STORE_RETRY
 *   store_purge.c    STORE_PURGE and the removal of purged jobs' output
 *   store_read.c     STORE_GET, LIST, LOOKUP, ARRAY, COUNTS, CHECKPOINT
 *   store_schedule.c STORE_SCHEDULE: recurring schedules' rows, a fire
 *                    recorded with its job's INSERT, their loading
 *   store_reserve.c  the reserve: space given back on a full disk
 *   store_row.c      rows <-> jobq_job; the text encodings of argv/env
 *                    (JSON), labels (hex) and dependencies ("id:mode")
 *
 * Job states: the store changes a job's state in three places only, each
 * asking job_transition() (job.h) for the new state and writing what it
 * answers: recovery of jobs found running (JOB_EV_INTERRUPT, crash = 1),
 * the claim (JOB_EV_CLAIM from the row's state) and the manual retry
 * (JOB_EV_RETRY).  An insert writes `queued`, or what JOB_EV_DEP_CANCEL
 * makes of it; STORE_UPDATE writes the state its caller decided (with
 * job_transition()).  No SQL of the store names a state it assigns.
 *
 * Errors: the op functions of every file return 0 or a negative JOBQ_E*.
 * A write op that fails only for its own reasons (bad input, no such job,
 * wrong state, memory) sets op->status and returns 0: the batch goes on.
 * When SQLite fails inside the batch's transaction, store_fail() applies
 * the failure policy of store.h: disk full returns JOBQ_ESTORAGE, which the
 * op returns and which rolls the batch back (and, with the reserve held,
 * releases it and runs the batch again); anything else is fatal.
 * Reads set op->status (store_err() logs and converts).  SQLite result
 * codes are converted to JOBQ_E* by store_code() alone (store_fail() and
 * store_err() call it); the helpers that speak SQL (store_bind(),
 * store_run(), store_commit() and each file's static ones) return an
 * SQLite code to the op function of their file, which converts it, and
 * leave an op's own refusal in op->status.
 */
#ifndef JOBQD_STORE_INT_H
#define JOBQD_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>

#include <sqlite3.h>
#include <uv.h>

#include "metrics.h"
#include "store.h"

/* The prepared statements (their SQL: store_schema.c). */
enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NEXT_ID,
	ST_META_SET,
	ST_UNIQUE,
	ST_INSERT,
	ST_INSERT_TASKS,
	ST_INSERT_ARRAY,
	ST_INSERT_LABEL,
	ST_INSERT_DEP,
	ST_HISTORY_ADD,
	ST_TASK_LABELS,
	ST_TASK_DEPS,
	ST_CLAIM_SELECT,
	ST_CLAIM_UPDATE,
	ST_SLURM_ID,
	ST_INSERT_RES,
	ST_UPDATE,
	ST_SET_PRIORITY,
	ST_SET_HELD,
	ST_SET_STARTED,
	ST_GET,
	ST_GET_INDEX,
	ST_JOB_STATE,
	ST_ARRAY_ROW,
	ST_ARRAY_TASKS,
	ST_QUEUE_ADD,
	ST_QUEUE_UPDATE,
	ST_QUEUES,
	ST_COUNTS,
	ST_ENDED_COUNT,
	ST_RETRY_UPDATE,
	ST_RETRY_DEPS,
	ST_PURGE_CLEAR,
	ST_PURGE_IDS,
	ST_PURGE_LABELS,
	ST_PURGE_DEPS,
	ST_PURGE_HISTORY,
	ST_PURGE_JOBS,
	ST_PURGE_ARRAYS,
	ST_CHECKPOINT,
	ST_RUNNING,
	ST_RECOVER,
	ST_RECOVER_UNCLAIM,
	ST_QUEUED,
	ST_ADOPT,
	ST_QUEUED_DEPS,
	ST_SCHED_ADD,
	ST_SCHED_REMOVE,
	ST_SCHED_PAUSE,
	ST_SCHED_ADVANCE,
	ST_SCHED_FIRED,
	ST_SCHED_JOB,
	ST_SCHED_ALL,
	ST_ENV_FIND,
	ST_ENV_ADD,
	ST_COUNT
};

/*
 * Columns of a jobq_job (store_row_job()), FROM STORE_JOB_FROM.  Labels
 * come hex-encoded and comma-separated (any byte may be in a label), deps
 * as "id:mode,...", both in insertion order (the labels_job and deps_job
 * indexes hold a job's rows in rowid order).
 */
#define STORE_JOB_COLUMNS \
	"j.id, j.state, j.queue, j.name, j.owner_uid, " \
	"coalesce(a.argv, j.argv), coalesce(a.cwd, j.cwd), j.submitted_at, " \
	"j.started_at, j.finished_at, j.exit_code, j.signal, j.attempts, " \
	"j.max_retries, j.reason, j.message, j.pid, j.priority, " \
	"j.not_before, j.timeout_ms, j.kill_grace_ms, j.retry_delay_ms, " \
	"j.unique_key, j.array_id, j.array_index, " \
	"(SELECT group_concat(hex(label), ',') FROM labels " \
	"WHERE job_id = j.id), " \
	"(SELECT group_concat(dep_id || ':' || mode, ',') FROM deps " \
	"WHERE job_id = j.id), " \
	"coalesce(j.submitter_uid, j.owner_uid), j.run_gid, j.umask, " \
	STORE_LIMITS_COLUMNS ", " \
	"j.mem_peak, j.cpu_user_us, j.cpu_sys_us, j.usage_from, j.on_end, " \
	"j.merge_output, j.held, j.schedule, j.slots, j.res, j.res_given, " \
	"j.executor, j.slurm_id"
/* The resource limits columns, in proto_limits[] order (NULL: not set),
 * and where they start in STORE_JOB_COLUMNS (store_row_limits()), after
 * ident's submitter_uid, run_gid, umask (27 .. 29). */
#define STORE_LIMITS_COLUMNS_BARE \
	"lim_mem, lim_cpu_time, lim_nofile, lim_nproc, lim_core, lim_nice, " \
	"lim_cpus"
#define STORE_LIMITS_COLUMNS \
	"j.lim_mem, j.lim_cpu_time, j.lim_nofile, j.lim_nproc, j.lim_core, " \
	"j.lim_nice, j.lim_cpus"
#define STORE_JOB_COL_LIMITS 30
/* What the last run used (cgroup): mem_peak, cpu_user_us, cpu_sys_us,
 * usage_from, after the limits (37 .. 40). */
#define STORE_JOB_COL_USAGE 37
/* on_end, the job's end hook (41), merge_output (42), held (43). */
#define STORE_JOB_COL_ON_END 41
#define STORE_JOB_COL_MERGE 42
#define STORE_JOB_COL_HELD 43
#define STORE_JOB_COL_SCHEDULE 44   /* the schedule's name (schema v11) */
/* slots (45), res (46), res_given (47): sched_res.c (schema v12) */
#define STORE_JOB_COL_SLOTS 45
/* executor (48: 'slurm' or NULL), slurm_id (49): where the current or
 * last run went, dispatch_slurm.c (schema v13) */
#define STORE_JOB_COL_EXECUTOR 48
#define STORE_JOB_FROM "jobs j LEFT JOIN arrays a ON a.id = j.array_id"

/*
 * Ended jobs, as SQL, for the jobs table and the counts table alike.  The
 * partial index jobs_ended (schema v8) is declared with exactly this WHERE
 * clause: SQLite uses a partial index only for a query whose WHERE contains
 * the index's own term, so the queries that must use it (retention, purge)
 * spell it with this macro too.  Changing it needs a migration.
 */
#define STORE_ENDED "state NOT IN ('queued', 'running')"

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	int64_t next_id;		/* the next id to hand out */
	int64_t next_id_db;		/* meta.next_id as committed */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store_op *pending;	/* guarded by lock */
	struct store_op **pending_tail;
	struct store_op *done;		/* guarded by lock */
	struct store_op **done_tail;
	int stopping;			/* guarded by lock */
	struct metrics_hist commits;	/* guarded by lock: how long each
					   write batch took (metrics.h) */
	/* The store thread's progress, for the watchdog (store_busy_ms):
	 * the monotonic ms at which it took the batch it is running, 0 while
	 * it waits for work.  Written by the store thread only, read from
	 * the loop (atomic, no lock). */
	atomic_int_fast64_t busy_since_ms;

	pthread_t thread;
	int started;
	uv_async_t async;
	int async_init;
	uv_prepare_t prepare;		/* wakes the store thread for what the
					   loop submitted (store_prepare_cb) */
	int prepare_init;
	uv_timer_t lazy;		/* kicks lazy ops (store_submit_lazy) */
	int lazy_init;
	int kick;			/* loop thread only: ops submitted,
					   store thread not woken yet */
	int nclosing;			/* handles still closing */

	/* the reserve (store_reserve.c): the owner thread's, like db */
	int reserve_dirfd;		/* -1: no reserve */
	char *reserve_name;
	char *reserve_path;		/* for messages */
	int64_t reserve_size;
	int reserve_held;		/* the file is there, allocated */
	int64_t reserve_tried_ms;	/* the last attempt (monotonic) */

	/* store_env.c: the environment store_env_id() handed out last and
	 * its envs row (store thread only; env NULL: none) */
	struct {
		char **env;
		size_t envc;
		int64_t id;
	} env_cache;
};

/*
 * A value for a statement parameter (store_bind()): STORE_INT(v),
 * STORE_TEXT(p) (NULL binds NULL), STORE_NULL, STORE_NULLIF(v, none) (NULL
 * when v == none, else the integer v) and STORE_SKIP (left unbound: for a
 * parameter a built statement may not have).
 */
enum store_arg_type { STORE_ARG_INT, STORE_ARG_TEXT, STORE_ARG_NULL,
	STORE_ARG_SKIP };
struct store_arg {
	enum store_arg_type type;
	int64_t i;
	const char *t;
};
#define STORE_INT(v) \
	((struct store_arg){ STORE_ARG_INT, (int64_t)(v), NULL })
#define STORE_TEXT(p) \
	((struct store_arg){ STORE_ARG_TEXT, 0, (p) })
#define STORE_NULL ((struct store_arg){ STORE_ARG_NULL, 0, NULL })
#define STORE_SKIP ((struct store_arg){ STORE_ARG_SKIP, 0, NULL })
#define STORE_NULLIF(v, none) \
	((v) == (none) ? STORE_NULL : STORE_INT(v))
/* STORE_ARGS(a, b, ...) -> the two arguments "vector, count". */
#define STORE_ARGS(...) \
	(const struct store_arg[]){ __VA_ARGS__ }, \
	sizeof((const struct store_arg[]){ __VA_ARGS__ }) / \
	sizeof(struct store_arg)

/* A growable text buffer for the SQL of LIST and PURGE. */
struct store_sqlbuf {
	char *buf;
	size_t len, cap;
	int failed;		/* out of memory: buf is unusable */
};

/* store.c: SQLite glue and the failure policy. */
int	store_code(int rc);
int	store_fail(struct store *, int rc, const char *what);
int	store_err(struct store *, int rc, const char *what);
void	store_reset(sqlite3_stmt *);
int	store_step_done(sqlite3_stmt *);
int	store_bind(sqlite3_stmt *, const struct store_arg *, size_t);
int	store_run(struct store *, enum store_stmt, const struct store_arg *,
	    size_t);
int	store_commit(struct store *);
void	store_sqlbuf_add(struct store_sqlbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* store_schema.c */
int	store_schema_open(struct store *, const char *, int, char *, size_t);
int	store_schema_exec(struct store *, const char *, char *, size_t);

/* store_migrate.c */
int	store_migrate(struct store *, int64_t, char *, size_t);

/* store_insert.c */
int	store_insert(struct store *, struct store_op *);

/* store_insert_many.c */
int	store_insert_many(struct store *, struct store_op *);

/* store_env.c */
int	store_env_id(struct store *, const char *const *, size_t, int64_t *);
void	store_env_forget(struct store *);

/* store_write.c */
int	store_write_claim(struct store *, struct store_op *);
int	store_write_update(struct store *, struct store_op *);
int	store_write_slurm_id(struct store *, struct store_op *);
int	store_write_queue_set(struct store *, struct store_op *);
int	store_write_retry(struct store *, struct store_op *);

/* store_purge.c */
int	store_purge(struct store *, struct store_op *);
/* store_edit.c, store_history.c */
int	store_edit(struct store *, struct store_op *);
void	store_history_read(struct store *, struct store_op *);
void	store_history_free(struct store_history *, size_t);
/* Jobs first..last (ids) held at their insert, each with its history row:
 * SQLite's code. */
int	store_history_held(struct store *, int64_t first, int64_t last,
	    int64_t at, uint32_t uid);
/* A history row for job id, in the batch's transaction: SQLite's code. */
int	store_history_add(struct store *, int64_t id, int64_t at, uint32_t uid,
	    const char *what, const char *detail);
size_t	store_purge_unlink(struct store *, const struct store_op *);

/* store_schedule.c */
int	store_schedule_write(struct store *, struct store_op *);
/* The job op inserted (id) was submitted by a schedule (op->in.insert.
 * schedule, .fire): its jobs row names it and the schedule's row records
 * the fire, in the batch's transaction.  SQLite's code. */
int	store_schedule_fired(struct store *, const struct store_op *, int64_t id);
int	store_schedule_load(struct store *, struct store_schedule **, size_t *);

/* store_reserve.c */
int	store_reserve_refuses(const struct store *);
int	store_reserve_release(struct store *);
void	store_reserve_again(struct store *, int);
void	store_reserve_close(struct store *);

/* store_read.c */
void	store_read_get(struct store *, struct store_op *);
void	store_read_list(struct store *, struct store_op *);
void	store_read_lookup(struct store *, struct store_op *);
void	store_read_array(struct store *, struct store_op *);
void	store_read_counts(struct store *, struct store_op *);
void	store_read_checkpoint(struct store *, struct store_op *);
int	store_read_queues(struct store *, struct store_queue **, size_t *);
int	store_read_is_array(struct store *, int64_t, uid_t *owner);

/* store_row.c */
int	store_row_job(sqlite3_stmt *, jobq_job **);
int	store_row_state(sqlite3_stmt *, int);
char   *store_row_strdup(sqlite3_stmt *, int);
char   *store_row_strv_json(const char *const *, size_t);
int	store_row_strv_parse(const char *, char ***, size_t *);
int	store_row_limits(sqlite3_stmt *, int, jobq_limits *);
int	store_row_bind_limits(sqlite3_stmt *, int, const jobq_limits *);

#endif
