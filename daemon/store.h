/*
 * store.h - the job store: SQLite in WAL mode, owned by one store thread.
 *
 * Thread model: store_open() and store_recover() run on the main thread
 * before store_start().  After store_start() only the store thread touches
 * the sqlite3 handle.  The loop thread hands work over with store_submit():
 * the op is appended to a queue guarded by a mutex, and a condition variable
 * wakes the store thread.  The store thread takes everything queued at once,
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
 * Failure policy: SQLITE_FULL (disk full) rolls the batch back; every op in
 * it gets JOBQ_ESTORAGE and the daemon keeps running (nothing is
 * acknowledged).  Any other failure to commit, an fsync error in particular,
 * is fatal: data may be lost, so the daemon stops instead of acknowledging.
 *
 * Schema (PRAGMA user_version = STORE_SCHEMA_VERSION, application_id
 * STORE_APP_ID) is created or migrated by store_open(); a database with
 * another application_id, or a newer user_version, is refused untouched.
 */
#ifndef JOBQD_STORE_H
#define JOBQD_STORE_H

#include <stdint.h>
#include <stddef.h>
#include <uv.h>
#include "jobq.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_APP_ID 0x4a4f4251 /* "JOBQ" */

struct store;

enum store_op_type {
	STORE_INSERT,   /* write: new job -> out.id */
	STORE_CLAIM,    /* write: queued -> running; -> out.argv/env/cwd */
	STORE_UPDATE,   /* write: set state and outcome fields of one job */
	STORE_GET,      /* read: one job -> out.job (JOBQ_ENOTFOUND if none) */
	STORE_LIST,     /* read: jobs matching the filter -> out.jobs */
	STORE_CHECKPOINT/* write-less: wal_checkpoint(TRUNCATE) */
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
};

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
		} insert;
		struct {                       /* STORE_CLAIM */
			int64_t id;
			int attempts;          /* new attempt count */
			int64_t started_at;    /* ms */
		} claim;
		struct store_update update;    /* STORE_UPDATE */
		struct { int64_t id; } get;    /* STORE_GET */
		struct {                       /* STORE_LIST */
			int state;             /* -1 any */
			char queue[JOBQ_MAX_NAME + 1]; /* "" any */
			size_t limit;          /* 0 no limit: newest `limit`, ascending */
		} list;
	} in;

	union {
		int64_t id;                    /* STORE_INSERT */
		struct {                       /* STORE_CLAIM: malloc'd, caller frees */
			char **argv;           /* NULL-terminated, each malloc'd */
			char **env;            /* NULL-terminated, each malloc'd */
			char *cwd;
		} claim;
		jobq_job *job;                 /* STORE_GET: caller frees */
		struct { jobq_job **jobs; size_t n; } list; /* STORE_LIST: caller frees */
	} out;
};

/* A job found at start-up that must be scheduled again. */
struct store_queued {
	int64_t id;
	char queue[JOBQ_MAX_NAME + 1];
	int attempts;
	int max_retries;
	int64_t submitted_at;
	uint32_t owner_uid;
};

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
 * "daemon_crash", finished_at now) or, with retries left, `queued` again.
 * Then returns every queued job in id order in a malloc'd array (*n entries).
 * *n_interrupted gets the number of jobs found running.
 */
int store_recover(struct store *s, struct store_queued **queued, size_t *n,
    size_t *n_interrupted, int64_t now_ms);

/* Starts the store thread; done callbacks run on `loop`. */
int store_start(struct store *s, uv_loop_t *loop);

/* Queues an op (loop thread only).  op->done is always called exactly once,
 * later, on the loop thread; never from inside store_submit(). */
void store_submit(struct store *s, struct store_op *op);

/* Stops the store on the loop thread: the thread finishes every queued op
 * (their done() callbacks are called from inside store_close(), on the
 * calling thread), checkpoints the WAL (TRUNCATE), exits and is joined; the
 * database is closed and the async handle uv_close()d, so run the loop once
 * more (UV_RUN_NOWAIT) before uv_loop_close().  Safe on a store that was
 * opened but never started. */
void store_close(struct store *s);

/* Frees what an op's out union holds (CLAIM strings, GET job, LIST jobs). */
void store_op_release(struct store_op *op);

/*
 * Fault seam, for tests only (NULL in the daemon).  When set, it is called
 * on the store thread before the COMMIT of every batch that has writes (and
 * of store_recover()'s transaction); a nonzero return is taken as that
 * SQLite result code from COMMIT, e.g. SQLITE_FULL to test the disk-full
 * path.  Set it before store_start() or between batches from the loop
 * thread before the store_submit() that should see it.
 */
extern int (*store_fault_commit)(void);

#endif
