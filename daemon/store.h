/*
 * store.h - the job store: SQLite in WAL mode, owned by one store thread.
 *
 * Thread model: store_open() and store_recover() (or store_recover_stream()
 * and store_recover_queued_each(), which dispatch_start() calls) run on the
 * main thread before store_start(); ops submitted meanwhile wait for the
 * thread.  After store_start() only the store thread touches
 * the sqlite3 handle.  The loop thread hands work over with store_submit():
 * the op is appended to a queue guarded by a mutex, and a condition variable
 * wakes the store thread right before the loop next waits for I/O (a
 * uv_prepare handle), so that what one turn of the loop submits is one
 * batch (store_submit_lazy: not before another op or STORE_LAZY_MS).  The store thread takes everything queued at once,
 * runs all write ops in ONE transaction (group commit), commits, then runs the
 * read ops, moves every op to the done queue and wakes the loop with an event
 * (uv_async_send).  On the loop thread each op's done() callback is called,
 * in submission order.  A write op's done() is only called after its
 * transaction committed (op->status == 0) or was rolled back (op->status < 0).
 * Reads issued after a write see that write.
 *
 * Lock order: store->lock is a leaf lock; no other lock is taken while it is
 * held, and no I/O is done while holding it.
 *
 * Failure policy: SQLITE_FULL (disk full) rolls the batch back; every write
 * op in it gets JOBQ_ESTORAGE and the daemon keeps running (nothing is
 * acknowledged).  The fault point FAULT_COMMIT (fault.h, JOBQD_FAULTS)
 * fails a COMMIT the same way (and FAULT_STALL holds the store thread
 * before one while a file exists).  Any other failure to commit, an fsync error
 * in particular, is fatal: data may be lost, so the daemon stops instead of
 * acknowledging.
 *
 * The reserve (store_reserve_init, store_reserve.c): a file of preallocated
 * space next to the database.  When a batch fails for a full disk while
 * the reserve is held, the store deletes the reserve and runs the batch
 * again at once, so that the ends of running jobs, purges and retention
 * commit even on a full disk; while the reserve is released, inserts (new
 * submits) are refused with JOBQ_ESTORAGE, so that the space it gave back
 * is kept for those.  The reserve is made again as soon as the file system
 * has room for it twice over: before a batch with an insert, after a purge
 * removed files, and at most once a second otherwise.
 *
 * Errors: every function declared here returns 0 or a negative JOBQ_E*
 * code, and op->status is 0 or a JOBQ_E* code; SQLite's result codes never
 * leave the store.
 *
 * Job states: the store assigns a state itself only through
 * job_transition() (job.h): recovery (JOB_EV_INTERRUPT), STORE_CLAIM
 * (JOB_EV_CLAIM on the row's state) and STORE_RETRY (JOB_EV_RETRY).
 * STORE_UPDATE writes the state its caller decided.
 *
 * Schema (PRAGMA user_version = STORE_SCHEMA_VERSION, application_id
 * STORE_APP_ID) is created or migrated by store_open() (the schema and
 * its migrations: store_migrate.c); a database with another
 * application_id, or a newer user_version, is refused untouched.
 */
#ifndef JOBQD_STORE_H
#define JOBQD_STORE_H

#include <stdint.h>
#include <stddef.h>
#include <uv.h>
#include "jobq.h"

#define STORE_SCHEMA_VERSION 15
#define STORE_APP_ID 0x4a4f4251 /* "JOBQ" */

struct store;

enum store_op_type {
	STORE_INSERT,   /* write: new job or array -> out.insert */
	STORE_CLAIM,    /* write: queued -> running (JOB_EV_CLAIM on the
	                   row's state: JOBQ_ESTATE unless queued,
	                   JOBQ_ENOTFOUND if no such job);
	                   -> out.claim.argv/env/cwd, output_limit, limits and
	                   first_run (no claim of the job had committed
	                   before: no output file of it can exist) */
	STORE_UPDATE,   /* write: set state and outcome fields of one job */
	STORE_GET,      /* read: one job -> out.job (JOBQ_ENOTFOUND if none;
	                   JOBQ_EISARRAY if the id is an array's) */
	STORE_LIST,     /* read: jobs matching the filter -> out.jobs */
	STORE_CHECKPOINT,/* write-less: wal_checkpoint(TRUNCATE) */
	STORE_LOOKUP,   /* read: what each of in.lookup.ids is -> out.lookup */
	STORE_ARRAY,    /* read: an array and its tasks' states -> out.array */
	STORE_QUEUE_SET,/* write: upsert a queue's settings */
	STORE_COUNTS,   /* read: job counts per queue and state -> out.counts */
	STORE_RETRY,    /* write: ended job -> queued, attempts 0 (both as
	                   JOB_EV_RETRY says), outcome cleared, its deps rows
	                   deleted; -> out.job (the new row); JOBQ_ESTATE if
	                   not terminal, or if its unique_key is taken
	                   (in.retry.unique_conflict) */
	STORE_INSERT_MANY,/* write: in.insert_many.ops[0..n-1], each a
	                   STORE_INSERT's input (jobs only: no array, no
	                   unique_key, no deps), inserted under one SAVEPOINT of
	                   the batch's transaction: all or none.  Each op's
	                   out.insert.id is set; a job refused (its op's status)
	                   rolls back to the savepoint, restores the id counter
	                   and gives op->status = that status with
	                   out.insert_many.failed = its index
	                   (store_insert_many.c) */
	STORE_EDIT,     /* write: hold, release or edit a queued job, and its
	                   history rows (store_edit.c); JOBQ_ESTATE unless
	                   queued, JOBQ_ENOTFOUND */
	STORE_HISTORY,  /* read: a job's history rows -> out.history
	                   (store_history.c) */
	STORE_SCHEDULE, /* write: a schedule's row added, removed, paused or
	                   resumed, or a step without a job (misses, a skip)
	                   recorded (store_schedule.c); JOBQ_EINVAL for a
	                   name its owner has already, JOBQ_ENOTFOUND */
	STORE_SLURM_ID, /* write: the Slurm job id of a running job's run
	                   (jobs.slurm_id) and a "slurm" history row */
	STORE_PURGE     /* write: delete ended jobs (+ their deps/labels rows,
	                   arrays left without tasks) -> out.purge; after the
	                   commit, unlinks UID/ID.out and UID/ID.err of each
	                   from in.purge.logs_fd (unlinkat, never through a
	                   symlink) */
};

/* Fields of STORE_UPDATE; -1 / NULL / 0 means "leave as it is" as noted. */
struct store_update {
	int64_t id;
	jobq_state state;
	int attempts;          /* -1: unchanged */
	int64_t started_at;    /* 0: unchanged */
	int64_t finished_at;   /* 0: unchanged; -1: set NULL (requeue) */
	int exit_code;         /* -1: NULL */
	int signal;            /* 0: NULL */
	int64_t pid;           /* 0: NULL */
	const char *reason;    /* NULL: NULL */
	const char *message;   /* NULL: NULL */
	int64_t not_before;    /* -1: unchanged; else set (0 = none) */
	int set_priority;      /* if set, priority = priority (state etc. are
	                          then ignored: only the priority changes;
	                          any state, JOBQ_ENOTFOUND if no such job) */
	int priority;
	/* cgroup (cgroup.h): what the run used, recorded when from is set
	 * (with a state change only; in the same UPDATE) */
	/* an automatic retry (state queued again): recorded in the history
	 * (store_history.c) as "requeued", at requeued_at, with this detail;
	 * "": not one */
	char requeued[192];
	int64_t requeued_at;
	/* a history row of its own written with the change, in the same
	 * transaction: who canceled a job still queued (what "cancel"), so
	 * that a cancel is one op per job; what NULL: none.  The strings
	 * must live until the op is done. */
	struct store_note {
		const char *what;
		const char *detail;    /* NULL: none */
		uint32_t uid;
		int64_t at;
	} note;
	/* several jobs (a cancel of many queued jobs, dispatch_end.c): when
	 * nids > 0, id is ignored and the change (with its note) is made to
	 * each of ids[0..nids-1], in the same transaction; a job not found
	 * is skipped (and logged).  State changes only. */
	const int64_t *ids;
	size_t nids;
	struct store_usage {
		const char *from;      /* "cgroup", "cgroup-cpu", "rusage";
		                          NULL: nothing recorded */
		int64_t mem_peak;      /* bytes */
		int64_t cpu_user_us, cpu_sys_us;
	} usage;
	int set_started;       /* if set, only started_at (and pid, unless
	                          0) change: a run's start, recorded lazily;
	                          an UPDATE of no indexed column, so it fires
	                          no trigger and touches no index; any state,
	                          JOBQ_ENOTFOUND if no such job */
};

/* STORE_EDIT: what changes (set: STORE_EDIT_* bits) and who does it.  Each
 * change is one history row (what "hold", "release" or "edit"; an edit's
 * detail "FIELD: OLD -> NEW", one row per field). */
#define STORE_EDIT_QUEUE      0x001u
#define STORE_EDIT_PRIORITY   0x002u
#define STORE_EDIT_NAME       0x004u
#define STORE_EDIT_LABELS     0x008u
#define STORE_EDIT_NOT_BEFORE 0x010u
#define STORE_EDIT_TIMEOUT    0x020u
#define STORE_EDIT_RETRIES    0x040u
#define STORE_EDIT_DEPS       0x080u
#define STORE_EDIT_ARGV       0x100u
#define STORE_EDIT_ENV        0x200u
#define STORE_EDIT_CWD        0x400u
#define STORE_EDIT_SLOTS      0x800u
#define STORE_EDIT_RES       0x1000u
struct store_edit {
	int64_t id;
	uint32_t uid;          /* who */
	int64_t at;            /* ms */
	int held;              /* -1 unchanged; 0 release; 1 hold */
	unsigned set;
	const char *queue;
	int priority;
	const char *name;      /* NULL: none */
	const char *const *labels; size_t nlabels;  /* replace them all */
	int64_t not_before;    /* 0: none */
	int64_t timeout_ms;
	int max_retries;
	const jobq_dep *deps_add; size_t ndeps_add; /* job ids */
	const int64_t *deps_remove; size_t ndeps_remove;
	const char *const *argv; size_t argc;
	const char *const *env; size_t envc;
	const char *cwd;
	int slots;             /* STORE_EDIT_SLOTS: jobs.slots */
	const char *res;       /* STORE_EDIT_RES: jobs.res, NULL none */
	/* non-NULL: only a history row (what = note, detail note_detail) for
	 * a job in any state: a cancel, a retry */
	const char *note, *note_detail;
	/* several jobs (an array's hold or release): when nids > 0, id is
	 * ignored and only held (0 or 1) is applied, to each of ids that is
	 * queued and not so already, each change with its history row */
	const int64_t *ids;
	size_t nids;
};

/* A recurring schedule's row (schema v11; schedule.h for the timing,
 * dispatch_schedule.c for its use).  Times in ms; 0: none. */
struct store_schedule {
	int64_t id;
	char *name;            /* malloc'd (store_schedule_load) or the
	                          caller's (STORE_SCHEDULE add) */
	uint32_t owner_uid;
	char *cron;            /* NULL: every_ms */
	int64_t every_ms, anchor;
	char *tz;              /* NULL: jobqd's local zone */
	int at_start, overlap, catch_up;
	char *job;             /* the job template: submit request JSON */
	int paused;
	int64_t created_at, last_fire, next_fire;
	int64_t runs, skips, misses, last_skip, last_job;
};
void store_schedule_free(struct store_schedule *v, size_t n);

/* STORE_SCHEDULE's kinds. */
enum store_schedule_kind { STORE_SCHEDULE_ADD, STORE_SCHEDULE_REMOVE,
	STORE_SCHEDULE_PAUSE, STORE_SCHEDULE_ADVANCE };

/* A fire recorded with the INSERT of its job (in.insert.fire). */
struct store_schedule_fire {
	int64_t id;            /* the schedule's */
	int64_t last_fire;     /* the due time the job stands for */
	int64_t next_fire;     /* -1: unchanged (a run-now) */
	int64_t misses;        /* due times merged into this one */
};

/* One history row (STORE_HISTORY). */
struct store_history {
	int64_t at;            /* ms */
	uint32_t uid;
	char *what;            /* malloc'd */
	char *detail;          /* malloc'd, NULL if none */
};

/* What a dependency id refers to (STORE_LOOKUP). */
struct store_lookup {
	int64_t id;
	int kind;              /* 0: nothing; 1: a job; 2: an array */
	jobq_state state;      /* kind 1 */
	uid_t owner_uid;       /* kind 1 and 2 */
	int64_t *task_ids;     /* kind 2: malloc'd, ntasks entries, id order */
	jobq_state *task_states;
	size_t ntasks;
};

/* A queue's settings and counts (STORE_COUNTS, recovery). */
struct store_queue {
	char name[JOBQ_MAX_NAME + 1];
	int parallel;
	int paused;
	int has_settings;      /* a row in the queues table */
	size_t counts[JOBQ_STATE_COUNT];
	char *executor;        /* queues.executor (schema 13): the canonical
	                          text of its executor (proto_exec_text),
	                          malloc'd; NULL: local */
};
/* Frees v[0..n-1]'s executors and v. */
void store_queues_free(struct store_queue *v, size_t n);

struct store_op {
	enum store_op_type type;
	int status;                    /* out: 0 or JOBQ_E* */
	void (*done)(struct store_op *op); /* called on the loop thread */
	void *data;                    /* caller's */
	struct store_op *next;         /* queue link, owned by the store */

	union {
		struct {                       /* STORE_INSERT */
			const char *const *argv; size_t argc;
			const char *const *env; size_t envc;
			const char *cwd, *name, *queue;
			uint32_t owner_uid;
			int max_retries;
			int64_t submitted_at;  /* ms */
			int priority;
			int64_t not_before, timeout_ms, kill_grace_ms,
			    retry_delay_ms;
			const char *unique_key;        /* NULL: none */
			const char *on_end;            /* end hook; NULL: none */
			int merge_output;              /* stderr into stdout */
			const char *const *labels;     /* nlabels "K=V" */
			size_t nlabels;
			const jobq_dep *deps;          /* ndeps, already
			                                  expanded: job ids only */
			size_t ndeps;
			/* array: count > 0 inserts an arrays row (id A) and
			 * count task rows (ids A+1..A+count) with array_index
			 * first + i*step, all sharing argv/env/cwd/options
			 * (stored once, in the arrays row), each with its own
			 * labels and deps rows.  step 0 is taken as 1; count
			 * > JOBQ_MAX_ARRAY, first < 0, step < 0, an overflow
			 * of the last index or a unique_key: JOBQ_EINVAL.
			 * (STORE_CLAIM of a task appends JOBQ_ARRAY_ID=A and
			 * JOBQ_ARRAY_INDEX=index to out.claim.env, replacing
			 * entries of those names.) */
			int64_t array_first, array_step, array_count;
			int array_throttle;
			int64_t output_limit;  /* bytes; 0: the daemon's */
			/* identity: the job runs as owner_uid */
			uint32_t submitter_uid;/* who submitted it */
			int64_t run_gid;       /* -1: owner's primary group */
			int umask;             /* 0..0777 */
			jobq_limits limits;    /* resource limits in force
			                          (resolved at submit); set 0:
			                          none */
			/* initial state: QUEUED, or CANCELED (reason
			 * "dependency", finished_at = submitted_at) for a job
			 * whose dependency can never hold */
			jobq_state state;
			const char *message;           /* for CANCELED */
			int held;      /* queued on hold (schema v9), with a
			                  "hold" history row per job */
			/* a schedule's job (one job, no array): jobs.schedule
			 * = schedule, and the fire recorded in its row in the
			 * same transaction (NULL: not one) */
			const char *schedule;
			const struct store_schedule_fire *fire;
			int slots;     /* worker slots (schema v12); 0: 1 */
			const char *res;  /* resources asked, as checked by
			                  sched_res_req_parse; NULL: none */
		} insert;
		struct {                       /* STORE_CLAIM */
			int64_t id;
			int attempts;          /* new attempt count */
			int64_t started_at;    /* ms */
			/* non-NULL: claim the job this STORE_INSERT (of
			 * one job, submitted with store_submit_pair() just
			 * before) inserted; id is set from its out.insert.
			 * JOBQ_ENOTFOUND if it inserted none (refused,
			 * existing, stored canceled, rolled back). */
			const struct store_op *of_insert;
			/* the instances it was given ("gpu=1,3", stored
			 * as res_given; NULL: none) and the variables that
			 * tell the job (JOBQ_RES_GPU=1,3, ...; NULL or
			 * NULL-terminated), set in out.claim.env over
			 * entries of the same names */
			const char *res_given;
			const char *const *res_env;
			/* the run goes to Slurm: jobs.executor = 'slurm'
			 * (and slurm_id cleared), so recovery adopts it
			 * instead of interrupting it */
			int slurm;
			/* read only: the spec of a job already running on
			 * Slurm (a run adopted at start-up that must be
			 * submitted again), no change; JOBQ_ESTATE unless
			 * running */
			int reread;
		} claim;
		struct {                       /* STORE_SLURM_ID */
			int64_t id;
			int attempts;          /* of the run: ignored if the
			                          job moved on (no change) */
			int64_t slurm_id;
			int64_t at;            /* ms, for the history row */
		} slurm_id;
		struct store_update update;    /* STORE_UPDATE */
		struct store_edit edit;        /* STORE_EDIT */
		struct { int64_t id; } history;  /* STORE_HISTORY */
		struct {                       /* STORE_SCHEDULE */
			enum store_schedule_kind kind;
			/* ADD: every field but id and the counters; REMOVE:
			 * id; PAUSE: id, paused, next_fire; ADVANCE: id,
			 * last_fire (-1 unchanged), next_fire, misses, skips
			 * (added), last_skip (0 unchanged) */
			struct store_schedule row;
		} schedule;
		struct {                       /* STORE_GET */
			int64_t id;
			int64_t index;         /* with by_index: task `index`
			                          of array `id` */
			int by_index;
		} get;
		struct {                       /* STORE_LIST */
			unsigned states;       /* 1u << state each; 0 any */
			char queue[JOBQ_MAX_NAME + 1]; /* "" any */
			size_t limit;          /* 0 no limit: newest `limit`, ascending */
			const char *name;      /* NULL any (caller keeps it alive) */
			const char *schedule;  /* NULL any: jobs.schedule */
			const char *const *labels; /* nlabels (<= 512), all
			                          required */
			size_t nlabels;
			int64_t array_id;      /* 0 any */
			int by_owner;          /* 0 any; 1 owner_uid's only */
			uid_t owner_uid;
			int by_user;           /* 0 any; 1 user_uid's only */
			uid_t user_uid;        /* (by_owner: visibility,
			                          by_user: the request's) */
			int count;             /* 1: out.list.total too */
		} list;
		struct {                       /* STORE_LOOKUP */
			const int64_t *ids;    /* caller keeps alive */
			size_t n;
		} lookup;
		struct { int64_t id; } array;  /* STORE_ARRAY */
		struct {                       /* STORE_INSERT_MANY */
			struct store_op *ops;  /* n STORE_INSERT inputs
			                          (caller's) */
			size_t n;
		} insert_many;
		struct {                       /* STORE_QUEUE_SET */
			char name[JOBQ_MAX_NAME + 1];
			int parallel;          /* -1 unchanged (0 for a new row) */
			int paused;            /* -1 unchanged */
			int set_exec;          /* 1: executor = exec */
			const char *exec;      /* the executor's text, NULL:
			                          local (caller keeps alive) */
		} queue_set;
		struct {                       /* STORE_RETRY */
			int64_t id;
			int unique_conflict;   /* out: JOBQ_ESTATE because a
			                          queued or running job of the
			                          owner has the same unique_key */
		} retry;
		struct {                       /* STORE_PURGE */
			int64_t finished_before; /* ms: finished_at < this; 0 any */
			int state;             /* a terminal state, or -1 any */
			int64_t owner_uid;     /* -1 any user */
			size_t keep_count;     /* 0: none kept; else the newest
			                          keep_count ended jobs are kept
			                          whatever their age (retention):
			                          the newest of ALL ended jobs (by
			                          finished_at, then id), whatever
			                          the other filters */
			size_t max;            /* 0: every match; else at most
			                          max of them, lowest ids first
			                          (callers purge in chunks so
			                          that one op does not hold the
			                          store for seconds) */
			int logs_fd;           /* logs/, the directory of the
			                          output files' UID/ dirs; -1:
			                          leave them */
		} purge;
	} in;

	union {
		struct {                       /* STORE_INSERT */
			int64_t id;            /* the job's or the array's */
			int64_t first_task;    /* arrays: ids first_task..+count-1 */
			int existing;          /* unique_key matched job `id` */
		} insert;
		struct {                       /* STORE_CLAIM: malloc'd, caller frees */
			char **argv;           /* NULL-terminated, each malloc'd */
			char **env;            /* NULL-terminated, each malloc'd */
			char *cwd;
			int64_t output_limit;  /* as submitted; 0: none asked */
			jobq_limits limits;    /* as stored at submit */
			int first_run;         /* the first claim of the job
			                          ever committed (a retry, by
			                          hand or not, is not) */
			uint32_t uid;          /* identity: runs as uid */
			int64_t gid;           /* -1: uid's primary group */
			int umask;
			int merge_output;      /* its stderr into its stdout */
		} claim;
		jobq_job *job;                 /* STORE_GET, STORE_RETRY: caller frees */
		struct { struct store_history *v; size_t n; uid_t owner_uid; }
		    history;                   /* STORE_HISTORY: time order;
		                                  the job's owner */
		struct { jobq_job **jobs; size_t n; int64_t total; }
		    list; /* STORE_LIST: caller frees jobs; total: matches
		           * without the limit if in.list.count, else -1 */
		struct { size_t failed; } insert_many; /* the job refused */
		struct { int64_t id; } schedule;       /* ADD: the new row's */
		struct { struct store_lookup *v; size_t n; } lookup; /* in.lookup order */
		struct {                       /* STORE_ARRAY */
			jobq_array_info info;  /* counts filled */
			int64_t *task_ids;     /* malloc'd, ntasks entries, id
			                          order */
			jobq_state *task_states;
			size_t ntasks;         /* tasks still stored: info.count
			                          unless some were purged */
			uid_t owner_uid;       /* the array's submitter */
		} array;
		struct { struct store_queue *v; size_t n; } counts; /* by name;
		                                  every queue with a row or a job
		                                  (store_op_release frees) */
		struct {                       /* STORE_PURGE */
			size_t n;
			int64_t *ids;          /* the n purged ids, ascending
			                          (malloc'd; store_op_release) */
			uint32_t *uids;        /* their owners (malloc'd): the
			                          files are in LOGS/UID/ */
		} purge;
	} out;
};

/* A job found at start-up that must be scheduled again. */
struct store_queued {
	int64_t id;
	const char *queue;        /* in store_recovery.names */
	int attempts;
	int max_retries;
	int64_t submitted_at;
	uint32_t owner_uid;
	int priority;
	int64_t not_before, timeout_ms, kill_grace_ms, retry_delay_ms;
	int64_t array_id, array_index;
	int array_throttle;
	int on_end;               /* it has an end hook (jobs.on_end) */
	int held;                 /* on hold (schema v9) */
	int slots;                /* schema v12 */
	const char *res;          /* in store_recovery.names; NULL: none */
	int64_t slurm_id;         /* adopted only: its run's Slurm id (0:
	                             sbatch's answer was never recorded) */
	int64_t started_at;       /* adopted only: when it was claimed */
	size_t dep_first, ndeps;  /* its entries in store_recovery.deps
	                             (deps[dep_first .. dep_first+ndeps-1]) */
};

/* A dependency of a recovered queued job. */
struct store_dep {
	int64_t job_id;           /* the job that depends */
	int64_t dep_id;
	jobq_dep_mode mode;
	int dep_state;            /* the dependency's state, -1 if purged */
};

/* Everything store_recover() hands dispatch (free with
 * store_recovery_release). */
struct store_recovery {
	struct store_queued *queued;   /* id order */
	size_t nqueued;
	size_t nqueued_counted;        /* the queued jobs the counts table
	                                  has (store_recover_stream(): for
	                                  sizing what will hold them) */
	char **names;                  /* the queue names queued[] point to */
	size_t nnames, names_cap;
	struct store_dep *deps;
	size_t ndeps;
	struct store_queue *queues;    /* rows of the queues table (counts 0),
	                                  with their executors */
	size_t nqueues;
	size_t n_interrupted;          /* jobs found running */
	uint32_t instance;             /* this database's random instance
	                                  (meta 'instance', made once): it
	                                  names its runs on Slurm */
	struct store_queued *adopted;  /* jobs found running on Slurm: left
	                                  running for dispatch to reconcile
	                                  (id order; no deps) */
	size_t nadopted;
	struct store_schedule *schedules; /* every schedule, id order */
	size_t nschedules;
};
void store_recovery_release(struct store_recovery *r);

/* The durations of the write batches committed so far (metrics.h's
 * store_commit_seconds); any thread. */
struct metrics_hist;
void store_commit_metrics(struct store *s, struct metrics_hist *out);

/*
 * Opens (creating if absent) the database at path.  sync_full selects
 * synchronous=FULL (power-loss safe) rather than NORMAL.  On failure returns
 * a negative code and writes a message fit for the user to err.
 */
int store_open(const char *path, int sync_full, struct store **out,
    char *err, size_t errlen);

/*
 * Start-up recovery, on the main thread before store_start(): every job left
 * `running` by a previous daemon becomes `interrupted` (reason
 * "daemon_crash", finished_at now) or, with retries left, `queued` again
 * with not_before = now + the job's backoff (sched_backoff_ms with cap
 * STORE_RETRY_CAP_MS).  Then fills r: every queued job in id order with its
 * dependencies (and their states), and the queues table.
 */
#define STORE_RETRY_CAP_MS (3600 * 1000)
int store_recover(struct store *s, struct store_recovery *r, int64_t now_ms);

/*
 * The same without a copy of every queued job (a million of them are 150
 * MB): store_recover_stream() does all store_recover() does but read the
 * queued jobs and their dependencies (r->queued and r->deps stay empty);
 * then, still before store_start(), store_recover_queued_each() hands
 * each queued job, in id order, to cb (its strings valid during the call
 * only; dep_first and ndeps 0), stopping at cb's first nonzero return,
 * which it returns; and store_recover_deps_all() gives every dependency
 * of a queued job, in job id order (job_id set; free *out).  0 or a
 * JOBQ_E* code.
 */
int store_recover_stream(struct store *s, struct store_recovery *r,
    int64_t now_ms);
int store_recover_queued_each(struct store *s,
    int (*cb)(void *arg, const struct store_queued *q), void *arg);
int store_recover_deps_all(struct store *s, struct store_dep **out,
    size_t *n);

/*
 * Before store_recover(), on the main thread: the jobs the previous daemon
 * handed to a worker that certainly never began them (the scoreboard's
 * hand-off markers, scoreboard.h).  Each found running with that attempt
 * (and not on Slurm) goes back to queued, the attempt not counted
 * (JOB_EV_UNCLAIM), in one transaction; the others are left to
 * store_recover().  *nput: how many went back.  0 or a JOBQ_E* code.
 */
struct store_unstarted {
	int64_t id;
	uint32_t attempt;
};
int store_recover_unstarted(struct store *s, const struct store_unstarted *u,
    size_t n, size_t *nput);

/*
 * The id counter must be above every id the output files in the logs
 * directory name (jobqd found `above` - 1 the highest): when it is not (the
 * database is empty, missing or older than the files, or lost committed
 * transactions), ids start at `above` from now on, so that none is used
 * twice.  Before store_start().  Returns 0 when the counter was above
 * already, else 1 with *was set to the next id the database had.
 */
int store_next_id_floor(struct store *s, int64_t above, int64_t *was);

/*
 * The owners (owner_uid) of the jobs ids[0..n-1] into uids[] (-1: no such
 * job), for moving the output files of the old layout into logs/UID/
 * (statedir_upgrade.c).  Before store_start().  0 or a JOBQ_E* code.
 */
int store_job_owners(struct store *s, const int64_t *ids, size_t n,
    int64_t *uids);

/*
 * The reserve: the file `name` in directory dirfd (the state dir; the store
 * keeps a duplicate of the descriptor), of `size` bytes allocated (0: 16
 * MiB, at most 1/16 of the file system).  Created (or kept) now, before
 * store_start(); see the failure policy at the top.  Returns 0: the
 * reserve is held; or it could not be made for want of space (logged: it
 * is made later, inserts are refused meanwhile); or the file system cannot
 * preallocate (logged: no reserve at all).  JOBQ_EINVAL: name is a symlink
 * or not a regular file (left alone, not logged); JOBQ_ENOMEM,
 * JOBQ_EINTERNAL.
 */
int store_reserve_init(struct store *s, int dirfd, const char *name,
    int64_t size);

/* Starts the store thread; done callbacks run on `loop`. */
int store_start(struct store *s, uv_loop_t *loop);

/*
 * The store thread's progress (any thread, lock-free): for how long (ms,
 * monotonic, as of now_ms) it has been running the batch it took, or 0
 * while it waits for work.  Waiting counts as progress: a store with
 * nothing to do is healthy.  A COMMIT that does not return (an fsync that
 * hangs) shows as a value that keeps growing; the watchdog (notify.c)
 * stops its pings when it passes the watchdog interval.
 */
int64_t store_busy_ms(struct store *s, int64_t now_ms);

/* Queues an op (loop thread only).  op->done is always called exactly once,
 * later, on the loop thread; never from inside store_submit(). */
void store_submit(struct store *s, struct store_op *op);
/* store_submit(op) for a write nobody waits on (a running job's pid and
 * start time): it does not wake the store thread, but goes with the next
 * batch, at the latest STORE_LAZY_MS later (a drain's start records then
 * share the commits of ends and claims instead of taking their own). */
#define STORE_LAZY_MS 50
void store_submit_lazy(struct store *s, struct store_op *op);
/* store_submit(a) then store_submit(b), as one hand-over: both are in the
 * same batch, so they commit (or roll back) in one transaction. */
void store_submit_pair(struct store *s, struct store_op *a,
    struct store_op *b);

/* Stops the store on the loop thread: the thread finishes every queued op
 * (their done() callbacks are called from inside store_close(), on the
 * calling thread), checkpoints the WAL (TRUNCATE), exits and is joined; the
 * database is closed and the async handle uv_close()d, so run the loop once
 * more (UV_RUN_NOWAIT) before uv_loop_close().  Safe on a store that was
 * opened but never started. */
void store_close(struct store *s);

/* Frees what an op's out union holds (CLAIM strings, GET/RETRY job, LIST
 * jobs, LOOKUP, ARRAY and COUNTS vectors, PURGE ids). */
void store_op_release(struct store_op *op);

/*
 * Test hook, for check_store only (NULL in the daemon, which has
 * FAULT_COMMIT of fault.h instead).  When set, it is called on the store
 * thread before the COMMIT of every batch that has writes (and of
 * store_recover()'s transaction), before fault_hit(FAULT_COMMIT); a nonzero
 * return is taken as that SQLite result code from COMMIT, e.g. SQLITE_FULL
 * to test the disk-full path.  Set it before store_start() or between
 * batches from the loop thread before the store_submit() that should see
 * it.
 */
extern int (*store_fault_commit)(void);

#endif
