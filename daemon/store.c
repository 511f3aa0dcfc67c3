/*
 * store.c - the job store (see store.h): schema and migrations, the id
 * counter, start-up validation and recovery, and the store thread that owns
 * the SQLite handle.
 *
 *   loop thread                      store thread
 *   -----------                      ------------
 *   store_submit(op) --lock-->  [ pending queue ] --lock--> takes it all
 *                      signal cond                          BEGIN IMMEDIATE
 *                                                           writes (INSERT,
 *                                                             CLAIM, UPDATE,
 *                                                             QUEUE_SET, RETRY,
 *                                                             PURGE), next_id
 *                                                           COMMIT (or ROLLBACK
 *                                                             on SQLITE_FULL)
 *                                                           unlink purged logs
 *                                                           reads (GET, LIST,
 *                                                             LOOKUP, ARRAY,
 *                                                             COUNTS),
 *                                                             CHECKPOINT
 *   store_async_cb   <--lock--  [  done queue   ] <--lock-- appends the batch
 *     done(op) for each,          uv_async_send <---------- wakes the loop
 *     in order, unlocked
 *
 * Lock discipline: s->lock guards pending, done and stopping, and nothing
 * else.  It is a leaf lock, held only to link or unlink list heads: no
 * SQLite call, no callback, no file system call and no other lock while it
 * is held.
 *
 * Ownership of the sqlite3 handle: the thread that calls store_open() until
 * store_start(); the store thread from then until it is joined in
 * store_close(); the thread calling store_close() afterwards.  Each handover
 * is ordered by pthread_create()/pthread_join(), so the handle can be opened
 * SQLITE_OPEN_NOMUTEX.  next_id and next_id_db follow the handle.
 *
 * Schema (version 2):
 *   jobs    one row per job and per array task: state, spec, outcome,
 *           scheduling fields (priority, not_before, timeout_ms,
 *           kill_grace_ms, retry_delay_ms, unique_key) and, for a task,
 *           array_id / array_index.  A task's argv, env and cwd columns
 *           are '': the task shares its array's (arrays.argv/env/cwd), so a
 *           100,000-task array stores its environment once.
 *   labels  (job_id, label) one row per "K=V" label, in submit order.
 *   deps    (job_id, dep_id, mode) one row per dependency (mode is a
 *           jobq_dep_mode); a task has its own rows.
 *   arrays  one row per array: first, step, count, throttle, owner_uid,
 *           submitted_at and the tasks' shared argv/env/cwd.
 *   queues  settings of queues set by queue_set (parallel, paused).
 *   meta    ('next_id', N): the id counter.
 * Migrations run in order from the file's user_version, each in its own
 * transaction together with the new user_version: 0 -> 1 creates the v1
 * jobs table, 1 -> 2 adds the columns (with their defaults) and the new
 * tables in place, keeping every row.
 *
 * Ids: jobs, tasks and arrays take their ids from one counter, so an array
 * id is never a job id, and an id is never used twice, even after its rows
 * were purged.  The store keeps the counter in memory (next_id), loaded at
 * open as the largest of meta.next_id, max(jobs.id) + 1, max(arrays.id) +
 * 1 and sqlite_sequence + 1; each insert takes ids from it, and the batch
 * writes it back to meta in the same transaction before COMMIT.  When a
 * batch is rolled back, next_id goes back to the value the database holds
 * (next_id_db): ids of a rolled-back batch were never acknowledged, so only
 * they may be handed out again.  An array with count tasks takes count + 1
 * consecutive ids: A for the array, A + 1 .. A + count for its tasks, in
 * index order.
 *
 * Statements of the store thread and of recovery are prepared once in
 * store_open() and reset after use, except LIST and PURGE, whose WHERE
 * clause depends on the filters given and which are prepared per op; one-time
 * start-up SQL (validation, PRAGMAs, migrations) is prepared or
 * sqlite3_exec()'d where it runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "job.h"
#include "log.h"
#include "sched.h"
#include "store.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE 0
#endif

int (*store_fault_commit)(void);

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
	ST_TASK_LABELS,
	ST_TASK_DEPS,
	ST_CLAIM_SELECT,
	ST_CLAIM_UPDATE,
	ST_UPDATE,
	ST_SET_PRIORITY,
	ST_GET,
	ST_GET_INDEX,
	ST_JOB_STATE,
	ST_ARRAY_ROW,
	ST_ARRAY_TASKS,
	ST_QUEUE_ADD,
	ST_QUEUE_UPDATE,
	ST_QUEUES,
	ST_COUNTS,
	ST_RETRY_UPDATE,
	ST_RETRY_DEPS,
	ST_PURGE_CLEAR,
	ST_PURGE_IDS,
	ST_PURGE_LABELS,
	ST_PURGE_DEPS,
	ST_PURGE_JOBS,
	ST_PURGE_ARRAYS,
	ST_CHECKPOINT,
	ST_RUNNING,
	ST_RECOVER,
	ST_QUEUED,
	ST_QUEUED_DEPS,
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
	"WHERE job_id = j.id)"
#define STORE_JOB_FROM "jobs j LEFT JOIN arrays a ON a.id = j.array_id"

/* Terminal states, as SQL. */
#define STORE_ENDED "state NOT IN ('queued', 'running')"

/* The columns ST_INSERT and ST_INSERT_TASKS fill, ?1 .. ?19 (see
 * store_bind_insert()). */
#define STORE_INSERT_COLUMNS \
	"id, state, queue, name, owner_uid, argv, env, cwd, submitted_at, " \
	"max_retries, priority, not_before, timeout_ms, kill_grace_ms, " \
	"retry_delay_ms, unique_key, finished_at, reason, message, " \
	"array_id, array_index"

/* Rows 0 .. ?N - 1, for inserting the rows of an array in one statement. */
#define STORE_SERIES(n) \
	"WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t " \
	"WHERE i + 1 < " n ") "

static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_NEXT_ID] = "SELECT max("
	    "coalesce((SELECT value FROM meta WHERE key = 'next_id'), 1), "
	    "coalesce((SELECT max(id) FROM jobs), 0) + 1, "
	    "coalesce((SELECT max(id) FROM arrays), 0) + 1, "
	    "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), "
	    "0) + 1)",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) "
	    "VALUES ('next_id', ?1)",
	[ST_UNIQUE] = "SELECT id FROM jobs WHERE owner_uid = ?1 AND "
	    "unique_key = ?2 AND unique_key IS NOT NULL AND "
	    "state IN ('queued', 'running') ORDER BY id LIMIT 1",
	[ST_INSERT] = "INSERT INTO jobs (" STORE_INSERT_COLUMNS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, 0, 0)",
	/* Task i: id ?1 + 1 + i, index ?21 + i * ?22, of ?20 tasks. */
	[ST_INSERT_TASKS] = "INSERT INTO jobs (" STORE_INSERT_COLUMNS ") "
	    STORE_SERIES("?20")
	    "SELECT ?1 + 1 + i, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?1, ?21 + i * ?22 "
	    "FROM t",
	[ST_INSERT_ARRAY] = "INSERT INTO arrays (id, first, step, count, "
	    "throttle, owner_uid, submitted_at, argv, env, cwd) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_INSERT_LABEL] = "INSERT INTO labels (job_id, label) "
	    "VALUES (?1, ?2)",
	[ST_INSERT_DEP] = "INSERT INTO deps (job_id, dep_id, mode) "
	    "VALUES (?1, ?2, ?3)",
	[ST_TASK_LABELS] = "INSERT INTO labels (job_id, label) "
	    STORE_SERIES("?3") "SELECT ?1 + 1 + i, ?2 FROM t",
	[ST_TASK_DEPS] = "INSERT INTO deps (job_id, dep_id, mode) "
	    STORE_SERIES("?4") "SELECT ?1 + 1 + i, ?2, ?3 FROM t",
	[ST_CLAIM_SELECT] = "SELECT j.state, coalesce(a.argv, j.argv), "
	    "coalesce(a.env, j.env), coalesce(a.cwd, j.cwd), j.array_id, "
	    "j.array_index FROM " STORE_JOB_FROM " WHERE j.id = ?1",
	[ST_CLAIM_UPDATE] = "UPDATE jobs SET state = 'running', attempts = ?2, "
	    "started_at = ?3, finished_at = NULL WHERE id = ?1",
	[ST_UPDATE] = "UPDATE jobs SET state = ?2, "
	    "attempts = CASE WHEN ?3 < 0 THEN attempts ELSE ?3 END, "
	    "started_at = CASE WHEN ?4 = 0 THEN started_at ELSE ?4 END, "
	    "finished_at = CASE ?5 WHEN 0 THEN finished_at WHEN -1 THEN NULL "
	    "ELSE ?5 END, "
	    "exit_code = ?6, signal = ?7, pid = ?8, reason = ?9, "
	    "message = ?10, "
	    "not_before = CASE WHEN ?11 < 0 THEN not_before ELSE ?11 END "
	    "WHERE id = ?1",
	[ST_SET_PRIORITY] = "UPDATE jobs SET priority = ?2 WHERE id = ?1",
	[ST_GET] = "SELECT " STORE_JOB_COLUMNS " FROM " STORE_JOB_FROM
	    " WHERE j.id = ?1",
	[ST_GET_INDEX] = "SELECT " STORE_JOB_COLUMNS " FROM " STORE_JOB_FROM
	    " WHERE j.array_id = ?1 AND j.array_id != 0 AND "
	    "j.array_index = ?2 ORDER BY j.id LIMIT 1",
	[ST_JOB_STATE] = "SELECT state FROM jobs WHERE id = ?1",
	[ST_ARRAY_ROW] = "SELECT first, step, count, throttle FROM arrays "
	    "WHERE id = ?1",
	/* Index order is id order: ids were given in index order. */
	[ST_ARRAY_TASKS] = "SELECT id, state FROM jobs WHERE array_id = ?1 "
	    "AND array_id != 0 ORDER BY array_index, id",
	[ST_QUEUE_ADD] = "INSERT OR IGNORE INTO queues (name, parallel, "
	    "paused) VALUES (?1, 0, 0)",
	[ST_QUEUE_UPDATE] = "UPDATE queues SET "
	    "parallel = CASE WHEN ?2 < 0 THEN parallel ELSE ?2 END, "
	    "paused = CASE WHEN ?3 < 0 THEN paused ELSE ?3 != 0 END "
	    "WHERE name = ?1",
	[ST_QUEUES] = "SELECT name, parallel, paused FROM queues ORDER BY name",
	[ST_COUNTS] = "SELECT queue, state, count(*) FROM jobs "
	    "GROUP BY queue, state ORDER BY queue",
	[ST_RETRY_UPDATE] = "UPDATE jobs SET state = 'queued', attempts = 0, "
	    "started_at = NULL, finished_at = NULL, exit_code = NULL, "
	    "signal = NULL, pid = NULL, reason = NULL, message = NULL, "
	    "not_before = 0 WHERE id = ?1",
	[ST_RETRY_DEPS] = "DELETE FROM deps WHERE job_id = ?1",
	[ST_PURGE_CLEAR] = "DELETE FROM temp.purge_ids",
	[ST_PURGE_IDS] = "SELECT id FROM temp.purge_ids ORDER BY id",
	[ST_PURGE_LABELS] = "DELETE FROM labels WHERE job_id IN "
	    "(SELECT id FROM temp.purge_ids)",
	[ST_PURGE_DEPS] = "DELETE FROM deps WHERE job_id IN "
	    "(SELECT id FROM temp.purge_ids)",
	[ST_PURGE_JOBS] = "DELETE FROM jobs WHERE id IN "
	    "(SELECT id FROM temp.purge_ids)",
	/* Arrays whose last task went (run after ST_PURGE_JOBS). */
	[ST_PURGE_ARRAYS] = "DELETE FROM arrays WHERE NOT EXISTS (SELECT 1 "
	    "FROM jobs WHERE jobs.array_id = arrays.id AND "
	    "jobs.array_id != 0)",
	[ST_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
	[ST_RUNNING] = "SELECT id, attempts, max_retries, retry_delay_ms "
	    "FROM jobs WHERE state = 'running' ORDER BY id",
	[ST_RECOVER] = "UPDATE jobs SET state = ?2, finished_at = ?3, "
	    "pid = NULL, reason = ?4, "
	    "not_before = CASE WHEN ?5 < 0 THEN not_before ELSE ?5 END "
	    "WHERE id = ?1",
	[ST_QUEUED] = "SELECT j.id, j.queue, j.attempts, j.max_retries, "
	    "j.submitted_at, j.owner_uid, j.priority, j.not_before, "
	    "j.timeout_ms, j.kill_grace_ms, j.retry_delay_ms, j.array_id, "
	    "j.array_index, coalesce(a.throttle, 0) FROM " STORE_JOB_FROM
	    " WHERE j.state = 'queued' ORDER BY j.id",
	/* One pass: queued jobs in id order (jobs_state), each one's deps
	 * through deps_job, the dependency's state through the primary key. */
	[ST_QUEUED_DEPS] = "SELECT d.job_id, d.dep_id, d.mode, dj.state "
	    "FROM jobs j JOIN deps d ON d.job_id = j.id "
	    "LEFT JOIN jobs dj ON dj.id = d.dep_id "
	    "WHERE j.state = 'queued' ORDER BY j.id",
};

/*
 * Schema migrations: store_migrations[v] takes user_version v to v + 1, in
 * one transaction together with the user_version and application_id update.
 * (SQL understood by SQLite 3.22, configure's minimum.)
 */
static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" state TEXT NOT NULL,"
	" queue TEXT NOT NULL,"
	" name TEXT,"
	" owner_uid INTEGER NOT NULL,"
	" argv TEXT NOT NULL,"		/* JSON array of strings */
	" env TEXT NOT NULL,"		/* JSON array of "K=V" strings */
	" cwd TEXT NOT NULL,"
	" submitted_at INTEGER NOT NULL,"
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" exit_code INTEGER,"
	" signal INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_retries INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT,"
	" message TEXT,"
	" pid INTEGER);"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE INDEX jobs_queue ON jobs(queue, id);",

	/* 1 -> 2: scheduling */
	"ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN timeout_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN kill_grace_ms INTEGER NOT NULL "
	"DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN retry_delay_ms INTEGER NOT NULL "
	"DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN unique_key TEXT;"
	"ALTER TABLE jobs ADD COLUMN array_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN array_index INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX jobs_queue_state ON jobs(queue, state);"
	"CREATE INDEX jobs_unique ON jobs(owner_uid, unique_key) "
	" WHERE unique_key IS NOT NULL;"
	"CREATE INDEX jobs_array ON jobs(array_id, array_index) "
	" WHERE array_id != 0;"
	"CREATE INDEX jobs_name ON jobs(name);"
	"CREATE INDEX jobs_finished ON jobs(finished_at);"
	"CREATE TABLE labels ("
	" job_id INTEGER NOT NULL,"
	" label TEXT NOT NULL);"
	"CREATE INDEX labels_label ON labels(label, job_id);"
	"CREATE INDEX labels_job ON labels(job_id);"
	"CREATE TABLE deps ("
	" job_id INTEGER NOT NULL,"
	" dep_id INTEGER NOT NULL,"
	" mode INTEGER NOT NULL);"	/* jobq_dep_mode */
	"CREATE INDEX deps_job ON deps(job_id);"
	"CREATE INDEX deps_dep ON deps(dep_id);"
	"CREATE TABLE arrays ("
	" id INTEGER PRIMARY KEY,"
	" first INTEGER NOT NULL,"
	" step INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" throttle INTEGER NOT NULL DEFAULT 0,"
	" owner_uid INTEGER NOT NULL,"
	" submitted_at INTEGER NOT NULL,"
	" argv TEXT NOT NULL,"		/* shared by the tasks */
	" env TEXT NOT NULL,"
	" cwd TEXT NOT NULL);"
	"CREATE TABLE queues ("
	" name TEXT PRIMARY KEY,"
	" parallel INTEGER NOT NULL DEFAULT 0,"
	" paused INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER);"
	"INSERT INTO meta (key, value) SELECT 'next_id', "
	" max(coalesce(max(id), 0) + 1,"
	"  coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)"
	"  + 1) FROM jobs;",
};

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

	pthread_t thread;
	int started;
	uv_async_t async;
	int async_init;
};

/* A growable text buffer for the SQL of LIST and PURGE. */
struct store_sql {
	char *buf;
	size_t len, cap;
	int failed;
};

static void	store_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	store_exec_all(struct store *, const char *, char *, size_t);
static int	store_pragma_int(sqlite3 *, const char *, int64_t *);
static int	store_validate(sqlite3 *, const char *, int64_t *, char *,
		    size_t);
static int	store_validate_file(const char *, int, char *, size_t);
static int	store_migrate(struct store *, int64_t, char *, size_t);
static int	store_load_next_id(struct store *);
static int	store_step_done(struct store *, sqlite3_stmt *);
static void	store_reset(sqlite3_stmt *);
static int	store_bind_text(sqlite3_stmt *, int, const char *);
static void	store_sql_add(struct store_sql *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static char    *store_json_strv(const char *const *, size_t);
static int	store_parse_strv(const char *, char ***, size_t *);
static char    *store_col_strdup(sqlite3_stmt *, int);
static int	store_col_state(sqlite3_stmt *, int);
static int	store_parse_labels(const char *, char ***, size_t *);
static int	store_parse_deps(const char *, jobq_dep **, size_t *);
static int	store_row_job(sqlite3_stmt *, jobq_job **);
static void	store_job_free(jobq_job *);
static void	store_strv_free(char **);
static int	store_is_write(const struct store_op *);
static int	store_array_tasks(struct store *, int64_t, int64_t **,
		    jobq_state **, size_t *);
static int	store_bind_insert(sqlite3_stmt *, const struct store_op *,
		    int64_t, const char *, const char *, const char *);
static int	store_do_insert(struct store *, struct store_op *);
static int	store_claim_env(char ***, int64_t, int64_t);
static int	store_do_claim(struct store *, struct store_op *);
static int	store_do_update(struct store *, struct store_op *);
static int	store_do_queue_set(struct store *, struct store_op *);
static int	store_do_retry(struct store *, struct store_op *);
static int	store_do_purge(struct store *, struct store_op *);
static void	store_purge_unlink(struct store *, const struct store_op *);
static void	store_do_get(struct store *, struct store_op *);
static void	store_do_list(struct store *, struct store_op *);
static void	store_do_lookup(struct store *, struct store_op *);
static void	store_do_array(struct store *, struct store_op *);
static void	store_do_counts(struct store *, struct store_op *);
static void	store_do_checkpoint(struct store *, struct store_op *);
static void	store_batch(struct store *, struct store_op *);
static void	store_finish(struct store *, struct store_op *,
		    struct store_op *);
static void	store_write_failed(struct store *, int, const char *);
static int	store_code(int);
static void    *store_main(void *);
static void	store_async_cb(uv_async_t *);
static void	store_run_done(struct store *);
static void	store_close_cb(uv_handle_t *);
static void	store_free(struct store *);

static void
store_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Maps an SQLite result code onto JOBQ_E*. */
static int
store_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return (JOBQ_ENOMEM);
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return (JOBQ_ESTORAGE);
	default:
		return (JOBQ_EINTERNAL);
	}
}

static void
store_reset(sqlite3_stmt *st)
{
	/* The step's error was already handled; reset repeats it. */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows; returns the SQLite code. */
static int
store_step_done(struct store *s, sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	store_reset(st);
	if (rc == SQLITE_DONE)
		return (SQLITE_OK);
	return (rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

static int
store_exec_all(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		store_errf(err, errlen, "%s: %s", s->path,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return (store_code(rc));
	}
	return (0);
}

/* Reads a one-row integer PRAGMA (the statement is used once only). */
static int
store_pragma_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return (rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_CORRUPT;
	(void)sqlite3_finalize(st);
	return (rc);
}

/*
 * Decides whether db is a jobq database this daemon may use, reading only.
 * Returns 0 with *version set to its user_version, or a negative code with
 * a message in err.
 */
static int
store_validate(sqlite3 *db, const char *path, int64_t *version, char *err,
    size_t errlen)
{
	int64_t appid, uv, tables;
	int rc;

	rc = store_pragma_int(db, "PRAGMA application_id", &appid);
	if (rc == SQLITE_OK)
		rc = store_pragma_int(db, "PRAGMA user_version", &uv);
	if (rc == SQLITE_OK)
		rc = store_pragma_int(db, "SELECT count(*) FROM sqlite_master",
		    &tables);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		store_errf(err, errlen,
		    "%s: not a jobq database (not an SQLite file)", path);
		return (JOBQ_EINVAL);
	}
	if (rc != SQLITE_OK) {
		store_errf(err, errlen, "%s: cannot read database: %s", path,
		    sqlite3_errmsg(db));
		return (store_code(rc));
	}
	if (appid != STORE_APP_ID && (appid != 0 || tables != 0 || uv != 0)) {
		store_errf(err, errlen, "%s: not a jobq database "
		    "(application_id 0x%08" PRIx32 ", expected 0x%08x, "
		    "%" PRId64 " schema objects)", path, (uint32_t)appid,
		    STORE_APP_ID, tables);
		return (JOBQ_EINVAL);
	}
	if (uv > STORE_SCHEMA_VERSION) {
		store_errf(err, errlen, "%s: written by a newer jobqd (schema "
		    "%" PRId64 ", this one knows %d)", path, uv,
		    STORE_SCHEMA_VERSION);
		return (JOBQ_EVERSION);
	}
	if (uv < 0) {
		store_errf(err, errlen, "%s: not a jobq database "
		    "(user_version %" PRId64 ")", path, uv);
		return (JOBQ_EINVAL);
	}
	*version = uv;
	return (0);
}

/*
 * First look at an existing file through an immutable, read-only
 * connection: SQLite then takes no locks, rolls back no hot journal and
 * creates no -wal/-shm/-journal file, so a file we refuse is left exactly
 * as it was.  An immutable connection ignores the WAL, though, and a crash
 * in the middle of a checkpoint leaves the main file half old, half new,
 * to be repaired from the WAL: so when a -wal file is there and the
 * immutable look fails, the verdict is that of an ordinary read-only
 * connection, which reads through the WAL and, being read-only, never
 * checkpoints (immutable = 0).
 */
static int
store_validate_file(const char *path, int immutable, char *err,
    size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	sqlite3 *db = NULL;
	const unsigned char *p;
	char *uri, *u;
	int64_t version;
	size_t len;
	int rc, ret;

	len = strlen(path);
	if (len > (SIZE_MAX - 32) / 3) {
		store_errf(err, errlen, "%s: path too long", path);
		return (JOBQ_EINVAL);
	}
	if ((uri = malloc(len * 3 + 32)) == NULL) {
		store_errf(err, errlen, "%s: out of memory", path);
		return (JOBQ_ENOMEM);
	}
	u = uri;
	memcpy(u, "file:", 5);
	u += 5;
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '?' || *p == '#' || *p == '%' || *p < 0x20 ||
		    *p >= 0x7f) {
			*u++ = '%';
			*u++ = hex[*p >> 4];
			*u++ = hex[*p & 0xf];
		} else
			*u++ = (char)*p;
	}
	if (immutable)
		memcpy(u, "?immutable=1", sizeof("?immutable=1"));
	else
		memcpy(u, "?mode=ro", sizeof("?mode=ro"));

	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	    NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		store_errf(err, errlen, "%s: cannot open database: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = store_code(rc);
	} else
		ret = store_validate(db, path, &version, err, errlen);
	rc = sqlite3_close(db);
	JQ_ASSERT(rc == SQLITE_OK);
	return (ret);
}

static int
store_migrate(struct store *s, int64_t from, char *err, size_t errlen)
{
	char sql[128];
	int64_t v;
	int ret;

	for (v = from; v < STORE_SCHEMA_VERSION; v++) {
		if ((ret = store_exec_all(s, "BEGIN IMMEDIATE", err,
		    errlen)) != 0)
			return (ret);
		ret = store_exec_all(s, store_migrations[v], err, errlen);
		if (ret == 0) {
			(void)snprintf(sql, sizeof(sql),
			    "PRAGMA application_id = %d; "
			    "PRAGMA user_version = %d",
			    (int)STORE_APP_ID, (int)(v + 1));
			ret = store_exec_all(s, sql, err, errlen);
		}
		if (ret == 0)
			ret = store_exec_all(s, "COMMIT", err, errlen);
		if (ret != 0) {
			if (!sqlite3_get_autocommit(s->db))
				(void)sqlite3_exec(s->db, "ROLLBACK", NULL,
				    NULL, NULL);
			return (ret);
		}
		log_info("%s: database schema migrated to version %d",
		    s->path, (int)(v + 1));
	}
	return (0);
}

int
store_open(const char *path, int sync_full, struct store **out, char *err,
    size_t errlen)
{
	struct store *s;
	struct stat sb;
	sqlite3_stmt *st;
	const char *mode;
	int64_t version = 0;
	int exists, created = 0, fd, flags, rc, ret, i;

	*out = NULL;
	if (stat(path, &sb) == 0)
		exists = 1;
	else if (errno == ENOENT)
		exists = 0;
	else {
		store_errf(err, errlen, "%s: %s", path, strerror(errno));
		return (JOBQ_ESTORAGE);
	}
	if (exists && !S_ISREG(sb.st_mode)) {
		store_errf(err, errlen, "%s: not a regular file", path);
		return (JOBQ_EINVAL);
	}
	if (exists && sb.st_size > 0 &&
	    (ret = store_validate_file(path, 1, err, errlen)) != 0) {
		char wal[PATH_MAX + 8];

		if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >=
		    sizeof(wal) || lstat(wal, &sb) != 0 || !S_ISREG(sb.st_mode))
			return (ret);
		if ((ret = store_validate_file(path, 0, err, errlen)) != 0)
			return (ret);
		log_info("%s: read through its WAL (jobqd stopped during a "
		    "checkpoint)", path);
	}
	if (!exists) {
		/*
		 * Create the file here rather than in SQLite: the error is
		 * then precise, and the file (jobs' environments may hold
		 * secrets) is private; SQLite gives -wal/-shm the same mode.
		 */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST) {
			store_errf(err, errlen, "%s: cannot create database: "
			    "%s", path, strerror(errno));
			return (JOBQ_ESTORAGE);
		}
		if (fd != -1) {
			created = 1;
			if (close(fd) == -1) {
				store_errf(err, errlen, "%s: %s", path,
				    strerror(errno));
				(void)unlink(path);
				return (JOBQ_ESTORAGE);
			}
		}
	}

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		store_errf(err, errlen, "%s: out of memory", path);
		return (JOBQ_ENOMEM);
	}
	s->pending_tail = &s->pending;
	s->done_tail = &s->done;
	if ((rc = pthread_mutex_init(&s->lock, NULL)) != 0) {
		store_errf(err, errlen, "pthread_mutex_init: %s",
		    strerror(rc));
		free(s->path);
		free(s);
		return (JOBQ_EINTERNAL);
	}
	if ((rc = pthread_cond_init(&s->cond, NULL)) != 0) {
		store_errf(err, errlen, "pthread_cond_init: %s",
		    strerror(rc));
		(void)pthread_mutex_destroy(&s->lock);
		free(s->path);
		free(s);
		return (JOBQ_EINTERNAL);
	}

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_EXRESCODE;
	if (!exists)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (s->db != NULL && sqlite3_system_errno(s->db) != 0)
			store_errf(err, errlen, "%s: cannot %s database: %s "
			    "(%s)", path, exists ? "open" : "create",
			    sqlite3_errmsg(s->db),
			    strerror(sqlite3_system_errno(s->db)));
		else
			store_errf(err, errlen, "%s: cannot %s database: %s",
			    path, exists ? "open" : "create",
			    s->db != NULL ? sqlite3_errmsg(s->db) :
			    sqlite3_errstr(rc));
		ret = store_code(rc);
		goto fail;
	}
	/*
	 * Look (again) through the real connection: it sees a WAL, and a
	 * file that appeared since stat() above.  Reading changes nothing.
	 */
	if ((ret = store_validate(s->db, path, &version, err, errlen)) != 0)
		goto fail;

	/* From here on the database may change. */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			mode = (const char *)sqlite3_column_text(st, 0);
			rc = (mode != NULL && strcmp(mode, "wal") == 0) ?
			    SQLITE_OK : SQLITE_CANTOPEN;
		}
		(void)sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_CANTOPEN)
			store_errf(err, errlen, "%s: cannot switch the "
			    "database to WAL mode", path);
		else
			store_errf(err, errlen, "%s: cannot switch the "
			    "database to WAL mode: %s", path,
			    sqlite3_errmsg(s->db));
		ret = JOBQ_ESTORAGE;
		goto fail;
	}
	if ((ret = store_exec_all(s, sync_full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL", err, errlen)) != 0)
		goto fail;
	if ((rc = sqlite3_busy_timeout(s->db, 5000)) != SQLITE_OK) {
		store_errf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		ret = store_code(rc);
		goto fail;
	}
	if ((ret = store_migrate(s, version, err, errlen)) != 0)
		goto fail;
	/* PURGE's id set: per connection, in memory, never in the file. */
	if ((ret = store_exec_all(s, "PRAGMA temp_store = MEMORY; "
	    "CREATE TEMP TABLE purge_ids (id INTEGER PRIMARY KEY)", err,
	    errlen)) != 0)
		goto fail;

	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			store_errf(err, errlen, "%s: %s", path,
			    sqlite3_errmsg(s->db));
			ret = store_code(rc);
			goto fail;
		}
	}
	if ((rc = store_load_next_id(s)) != SQLITE_OK) {
		store_errf(err, errlen, "%s: cannot read the id counter: %s",
		    path, sqlite3_errmsg(s->db));
		ret = store_code(rc);
		goto fail;
	}
	*out = s;
	return (0);

fail:
	store_free(s);
	if (created)
		(void)unlink(path);
	return (ret);
}

/* Finalizes statements, closes the database, frees s (never started). */
static void
store_free(struct store *s)
{
	int i, rc;

	for (i = 0; i < ST_COUNT; i++)
		(void)sqlite3_finalize(s->st[i]);
	if (s->db != NULL) {
		rc = sqlite3_close(s->db);
		JQ_ASSERT(rc == SQLITE_OK);
	}
	(void)pthread_cond_destroy(&s->cond);
	(void)pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

/* Loads the id counter (store_open(), after the migrations). */
static int
store_load_next_id(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_NEXT_ID];
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->next_id = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	store_reset(st);
	if (rc != SQLITE_OK)
		return (rc);
	if (s->next_id < 1)
		s->next_id = 1;
	s->next_id_db = s->next_id;
	return (SQLITE_OK);
}

/* A uniformly distributed double in [0, 1), from SQLite's PRNG (seeded
 * from the system). */
static double
store_rand01(void)
{
	uint64_t x;

	sqlite3_randomness(sizeof(x), &x);
	return ((double)(x >> 11) * (1.0 / 9007199254740992.0));
}

void
store_recovery_release(struct store_recovery *r)
{
	if (r == NULL)
		return;
	size_t i;

	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->queued);
	free(r->deps);
	free(r->queues);
	memset(r, 0, sizeof(*r));
}

/* Rows of the queues table, by name, into r (recovery, COUNTS). */
static int
store_read_queues(struct store *s, struct store_recovery *r)
{
	sqlite3_stmt *st = s->st[ST_QUEUES];
	struct store_queue *v = NULL, *nv;
	const char *name;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		name = (const char *)sqlite3_column_text(st, 0);
		(void)snprintf(v[n].name, sizeof(v[n].name), "%s",
		    name != NULL ? name : "");
		v[n].parallel = sqlite3_column_int(st, 1);
		v[n].paused = sqlite3_column_int(st, 2);
		v[n].has_settings = 1;
		n++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: queues: %s", s->path, sqlite3_errstr(rc));
		ret = store_code(rc);
	}
	if (ret != 0) {
		free(v);
		return (ret);
	}
	r->queues = v;
	r->nqueues = n;
	return (0);
}

/*
 * A queue name for r->queued: the same string for a name seen among the
 * last few distinct ones (jobs of a queue tend to come in runs), so a
 * million queued jobs cost a million pointers, not a million names.
 */
#define STORE_INTERN_SCAN 64
static const char *
store_intern(struct store_recovery *r, const char *name)
{
	char **nn;
	size_t i, lo;

	lo = r->nnames > STORE_INTERN_SCAN ? r->nnames - STORE_INTERN_SCAN : 0;
	for (i = r->nnames; i > lo; i--)
		if (strcmp(r->names[i - 1], name) == 0)
			return (r->names[i - 1]);
	if (r->nnames == 0 || (r->nnames >= 8 &&
	    (r->nnames & (r->nnames - 1)) == 0)) {	/* grow by doubling */
		if ((nn = reallocarray(r->names, r->nnames ? r->nnames * 2 : 8,
		    sizeof(*nn))) == NULL)
			return (NULL);
		r->names = nn;
	}
	nn = r->names;
	if ((nn[r->nnames] = strdup(name)) == NULL)
		return (NULL);
	return (nn[r->nnames++]);
}

/* Every queued job, in id order, into r. */
static int
store_recover_queued(struct store *s, struct store_recovery *r)
{
	sqlite3_stmt *st = s->st[ST_QUEUED];
	struct store_queued *q = NULL, *qn;
	const char *qname;
	size_t nq = 0, qcap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nq == qcap) {
			qcap = qcap ? qcap * 2 : 64;
			if ((qn = reallocarray(q, qcap, sizeof(*q))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			q = qn;
		}
		memset(&q[nq], 0, sizeof(q[nq]));
		q[nq].id = sqlite3_column_int64(st, 0);
		qname = (const char *)sqlite3_column_text(st, 1);
		if ((q[nq].queue = store_intern(r, qname != NULL ? qname :
		    "default")) == NULL) {
			ret = JOBQ_ENOMEM;
			break;
		}
		q[nq].attempts = sqlite3_column_int(st, 2);
		q[nq].max_retries = sqlite3_column_int(st, 3);
		q[nq].submitted_at = sqlite3_column_int64(st, 4);
		q[nq].owner_uid = (uint32_t)sqlite3_column_int64(st, 5);
		q[nq].priority = sqlite3_column_int(st, 6);
		q[nq].not_before = sqlite3_column_int64(st, 7);
		q[nq].timeout_ms = sqlite3_column_int64(st, 8);
		q[nq].kill_grace_ms = sqlite3_column_int64(st, 9);
		q[nq].retry_delay_ms = sqlite3_column_int64(st, 10);
		q[nq].array_id = sqlite3_column_int64(st, 11);
		q[nq].array_index = sqlite3_column_int64(st, 12);
		q[nq].array_throttle = sqlite3_column_int(st, 13);
		nq++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: recovery: %s", s->path, sqlite3_errstr(rc));
		ret = store_code(rc);
	}
	if (ret != 0) {
		free(q);
		return (ret);
	}
	r->queued = q;
	r->nqueued = nq;
	return (0);
}

/*
 * The dependencies of the queued jobs in r, in one joined pass ordered by
 * job id: walks r->queued alongside and sets each one's range.
 */
static int
store_recover_deps(struct store *s, struct store_recovery *r)
{
	sqlite3_stmt *st = s->st[ST_QUEUED_DEPS];
	struct store_dep *d = NULL, *dn;
	size_t n = 0, cap = 0, qi = 0;
	int64_t job;
	int rc, ret = 0, mode;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job = sqlite3_column_int64(st, 0);
		/* Both are in id order; a job whose row changed since the
		 * queued pass is skipped. */
		while (qi < r->nqueued && r->queued[qi].id < job)
			qi++;
		if (qi == r->nqueued || r->queued[qi].id != job)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((dn = reallocarray(d, cap, sizeof(*d))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			d = dn;
		}
		if (r->queued[qi].ndeps == 0)
			r->queued[qi].dep_first = n;
		r->queued[qi].ndeps++;
		d[n].dep_id = sqlite3_column_int64(st, 1);
		mode = sqlite3_column_int(st, 2);
		if (mode < JOBQ_DEP_OK || mode > JOBQ_DEP_ANY) {
			log_warnx("job %" PRId64 ": unknown dependency mode "
			    "%d in the database, taken as \"ok\"", job, mode);
			mode = JOBQ_DEP_OK;
		}
		d[n].mode = (jobq_dep_mode)mode;
		d[n].dep_state = sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    -1 : store_col_state(st, 3);
		n++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: recovery: %s", s->path, sqlite3_errstr(rc));
		ret = store_code(rc);
	}
	if (ret != 0) {
		free(d);
		return (ret);
	}
	r->deps = d;
	r->ndeps = n;
	return (0);
}

int
store_recover(struct store *s, struct store_recovery *r, int64_t now_ms)
{
	struct running {
		int64_t id, retry_delay_ms;
		int attempts, max_retries;
	} *run = NULL, *rn;
	struct job_outcome o;
	sqlite3_stmt *st;
	int64_t base, not_before;
	size_t nrun = 0, runcap = 0, i;
	int rc, ret = 0;

	memset(r, 0, sizeof(*r));

	/* Collect the running jobs first, then change them. */
	st = s->st[ST_RUNNING];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nrun == runcap) {
			runcap = runcap ? runcap * 2 : 16;
			if ((rn = reallocarray(run, runcap,
			    sizeof(*run))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			run = rn;
		}
		run[nrun].id = sqlite3_column_int64(st, 0);
		run[nrun].attempts = sqlite3_column_int(st, 1);
		run[nrun].max_retries = sqlite3_column_int(st, 2);
		run[nrun].retry_delay_ms = sqlite3_column_int64(st, 3);
		nrun++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: recovery: %s", s->path, sqlite3_errstr(rc));
		ret = store_code(rc);
	}
	if (ret != 0)
		goto out;

	if (nrun > 0) {
		if ((rc = store_step_done(s, s->st[ST_BEGIN])) != SQLITE_OK)
			goto dberr;
		for (i = 0; i < nrun; i++) {
			ret = job_transition(JOBQ_STATE_RUNNING,
			    JOB_EV_INTERRUPT, run[i].attempts,
			    run[i].max_retries, 0, 1, &o);
			JQ_ASSERT(ret == 0);
			not_before = -1;
			if (o.retry) {
				base = run[i].retry_delay_ms > 0 ?
				    run[i].retry_delay_ms : 1000;
				not_before = now_ms + sched_backoff_ms(base,
				    run[i].attempts > 0 ? run[i].attempts : 1,
				    STORE_RETRY_CAP_MS, store_rand01());
			}
			st = s->st[ST_RECOVER];
			if ((rc = sqlite3_bind_int64(st, 1, run[i].id)) !=
			    SQLITE_OK ||
			    (rc = sqlite3_bind_text(st, 2,
			    jobq_state_name(o.state), -1, SQLITE_STATIC)) !=
			    SQLITE_OK ||
			    (rc = o.retry ? sqlite3_bind_null(st, 3) :
			    sqlite3_bind_int64(st, 3, now_ms)) != SQLITE_OK ||
			    (rc = sqlite3_bind_text(st, 4, o.reason, -1,
			    SQLITE_STATIC)) != SQLITE_OK ||
			    (rc = sqlite3_bind_int64(st, 5, not_before)) !=
			    SQLITE_OK) {
				store_reset(st);
				goto dberr;
			}
			if ((rc = store_step_done(s, st)) != SQLITE_OK)
				goto dberr;
			if (o.retry)
				log_info("job %" PRId64 " was running when "
				    "jobqd stopped: queued again, to start in "
				    "%" PRId64 " ms", run[i].id,
				    not_before - now_ms);
			else
				log_info("job %" PRId64 " was running when "
				    "jobqd stopped: interrupted", run[i].id);
		}
		if (store_fault_commit != NULL &&
		    (rc = store_fault_commit()) != 0)
			goto dberr;
		if ((rc = store_step_done(s, s->st[ST_COMMIT])) != SQLITE_OK)
			goto dberr;
	}

	if ((ret = store_recover_queued(s, r)) != 0 ||
	    (ret = store_recover_deps(s, r)) != 0 ||
	    (ret = store_read_queues(s, r)) != 0) {
		store_recovery_release(r);
		goto out;
	}
	r->n_interrupted = nrun;
	goto out;

dberr:
	log_warnx("%s: recovery: %s", s->path, sqlite3_errstr(rc));
	if (!sqlite3_get_autocommit(s->db))
		(void)store_step_done(s, s->st[ST_ROLLBACK]);
	ret = store_code(rc);
out:
	free(run);
	return (ret);
}

int
store_start(struct store *s, uv_loop_t *loop)
{
	int rc;

	if ((rc = uv_async_init(loop, &s->async, store_async_cb)) != 0) {
		log_warnx("uv_async_init: %s", uv_strerror(rc));
		return (JOBQ_EINTERNAL);
	}
	s->async.data = s;
	s->async_init = 1;
	if ((rc = pthread_create(&s->thread, NULL, store_main, s)) != 0) {
		log_warnx("pthread_create: %s", strerror(rc));
		return (JOBQ_EINTERNAL);
	}
	s->started = 1;
	return (0);
}

void
store_submit(struct store *s, struct store_op *op)
{
	op->status = 0;
	op->next = NULL;
	memset(&op->out, 0, sizeof(op->out));
	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("store: pthread_mutex_lock failed");
	*s->pending_tail = op;
	s->pending_tail = &op->next;
	if (pthread_cond_signal(&s->cond) != 0)
		fatalx("store: pthread_cond_signal failed");
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("store: pthread_mutex_unlock failed");
}

static void *
store_main(void *arg)
{
	struct store *s = arg;
	struct store_op *batch;
	int stop;

	for (;;) {
		if (pthread_mutex_lock(&s->lock) != 0)
			fatalx("store: pthread_mutex_lock failed");
		while (s->pending == NULL && !s->stopping) {
			if (pthread_cond_wait(&s->cond, &s->lock) != 0)
				fatalx("store: pthread_cond_wait failed");
		}
		batch = s->pending;
		s->pending = NULL;
		s->pending_tail = &s->pending;
		stop = s->stopping;
		if (pthread_mutex_unlock(&s->lock) != 0)
			fatalx("store: pthread_mutex_unlock failed");
		if (batch != NULL)
			store_batch(s, batch);
		else if (stop)
			break;
	}
	return (NULL);
}

static int
store_is_write(const struct store_op *op)
{
	switch (op->type) {
	case STORE_INSERT:
	case STORE_CLAIM:
	case STORE_UPDATE:
	case STORE_QUEUE_SET:
	case STORE_RETRY:
	case STORE_PURGE:
		return (1);
	default:
		return (0);
	}
}

/* Turns a write's step failure into the batch outcome: only SQLITE_FULL
 * survives (the batch is rolled back); anything else may have lost data. */
static void
store_write_failed(struct store *s, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_FULL)
		return;
	fatalx("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return (sqlite3_bind_null(st, i));
	return (sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC));
}

/* Appends to a statement being built; remembers an allocation failure. */
static void
store_sql_add(struct store_sql *q, const char *fmt, ...)
{
	va_list ap;
	size_t ncap;
	char *nb;
	int len;

	if (q->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		len = vsnprintf(q->buf != NULL ? q->buf + q->len : NULL,
		    q->cap - q->len, fmt, ap);
		va_end(ap);
		if (len < 0) {
			q->failed = 1;
			return;
		}
		if ((size_t)len < q->cap - q->len) {
			q->len += (size_t)len;
			return;
		}
		ncap = q->cap ? q->cap * 2 : 2048;
		while (ncap - q->len <= (size_t)len)
			ncap *= 2;
		if ((nb = realloc(q->buf, ncap)) == NULL) {
			q->failed = 1;
			return;
		}
		q->buf = nb;
		q->cap = ncap;
	}
}

/* JSON array of strings, malloc'd by cJSON; NULL if out of memory. */
static char *
store_json_strv(const char *const *v, size_t n)
{
	cJSON *a, *item;
	char *str;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if ((item = cJSON_CreateString(v[i])) == NULL ||
		    !cJSON_AddItemToArray(a, item)) {
			cJSON_Delete(item);
			cJSON_Delete(a);
			return (NULL);
		}
	}
	str = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return (str);
}

/* Parses a JSON array of strings into a NULL-terminated malloc'd vector. */
static int
store_parse_strv(const char *json, char ***out, size_t *count)
{
	cJSON *a, *item;
	char **v;
	size_t n, i = 0;
	int sz;

	*out = NULL;
	if (json == NULL || (a = cJSON_Parse(json)) == NULL)
		return (JOBQ_EINTERNAL);
	if (!cJSON_IsArray(a) || (sz = cJSON_GetArraySize(a)) < 0) {
		cJSON_Delete(a);
		return (JOBQ_EINTERNAL);
	}
	n = (size_t)sz;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		cJSON_Delete(a);
		return (JOBQ_ENOMEM);
	}
	cJSON_ArrayForEach(item, a) {
		if (!cJSON_IsString(item) || i >= n) {
			store_strv_free(v);
			cJSON_Delete(a);
			return (JOBQ_EINTERNAL);
		}
		if ((v[i++] = strdup(item->valuestring)) == NULL) {
			store_strv_free(v);
			cJSON_Delete(a);
			return (JOBQ_ENOMEM);
		}
	}
	cJSON_Delete(a);
	*out = v;
	if (count != NULL)
		*count = i;
	return (0);
}

static void
store_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Binds ?1 .. ?19 of ST_INSERT / ST_INSERT_TASKS. */
static int
store_bind_insert(sqlite3_stmt *st, const struct store_op *op, int64_t id,
    const char *argv, const char *env, const char *cwd)
{
	int canceled = op->in.insert.state == JOBQ_STATE_CANCELED;
	int rc;

	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 2,
	    jobq_state_name(op->in.insert.state), -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 3, op->in.insert.queue)) != SQLITE_OK ||
	    (rc = store_bind_text(st, 4, op->in.insert.name)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, op->in.insert.owner_uid)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 6, argv)) != SQLITE_OK ||
	    (rc = store_bind_text(st, 7, env)) != SQLITE_OK ||
	    (rc = store_bind_text(st, 8, cwd)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 9, op->in.insert.submitted_at)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 10, op->in.insert.max_retries)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 11, op->in.insert.priority)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 12, op->in.insert.not_before)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 13, op->in.insert.timeout_ms)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 14, op->in.insert.kill_grace_ms)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 15, op->in.insert.retry_delay_ms)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 16, op->in.insert.unique_key)) !=
	    SQLITE_OK ||
	    (rc = canceled ? sqlite3_bind_int64(st, 17,
	    op->in.insert.submitted_at) : sqlite3_bind_null(st, 17)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 18, canceled ? "dependency" : NULL)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 19, canceled ? op->in.insert.message :
	    NULL)) != SQLITE_OK)
		return (rc);
	return (SQLITE_OK);
}

/* An array's step: 0 is taken as 1. */
static int64_t
store_array_step(const struct store_op *op)
{
	return (op->in.insert.array_step == 0 ? 1 : op->in.insert.array_step);
}

/* Checks an insert's input; 0 or JOBQ_EINVAL. */
static int
store_insert_valid(const struct store_op *op)
{
	int64_t step = store_array_step(op);
	size_t i;

	if (op->in.insert.argv == NULL || op->in.insert.argc == 0 ||
	    (op->in.insert.env == NULL && op->in.insert.envc != 0) ||
	    op->in.insert.cwd == NULL || op->in.insert.queue == NULL ||
	    (op->in.insert.labels == NULL && op->in.insert.nlabels != 0) ||
	    (op->in.insert.deps == NULL && op->in.insert.ndeps != 0))
		return (JOBQ_EINVAL);
	if (op->in.insert.state != JOBQ_STATE_QUEUED &&
	    op->in.insert.state != JOBQ_STATE_CANCELED)
		return (JOBQ_EINVAL);
	for (i = 0; i < op->in.insert.nlabels; i++)
		if (op->in.insert.labels[i] == NULL)
			return (JOBQ_EINVAL);
	for (i = 0; i < op->in.insert.ndeps; i++)
		if (op->in.insert.deps[i].id < 1 ||
		    op->in.insert.deps[i].mode < JOBQ_DEP_OK ||
		    op->in.insert.deps[i].mode > JOBQ_DEP_ANY)
			return (JOBQ_EINVAL);
	if (op->in.insert.array_count == 0)
		return (0);
	if (op->in.insert.array_count < 0 ||
	    op->in.insert.array_count > JOBQ_MAX_ARRAY ||
	    op->in.insert.array_first < 0 || step < 0 ||
	    op->in.insert.array_throttle < 0 ||
	    op->in.insert.unique_key != NULL ||
	    op->in.insert.array_count - 1 > (INT64_MAX -
	    op->in.insert.array_first) / step)
		return (JOBQ_EINVAL);
	return (0);
}

/*
 * STORE_INSERT.  Everything that can fail without failing the batch
 * (validation, the unique_key match, memory) happens before the first row
 * is written; after that only SQLite can fail, and that fails the batch.
 */
static int
store_do_insert(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	char *argv = NULL, *env = NULL;
	int64_t id, count = op->in.insert.array_count;
	size_t i;
	int rc;

	if ((op->status = store_insert_valid(op)) != 0)
		return (SQLITE_OK);

	if (op->in.insert.unique_key != NULL) {
		st = s->st[ST_UNIQUE];
		if ((rc = sqlite3_bind_int64(st, 1,
		    op->in.insert.owner_uid)) != SQLITE_OK ||
		    (rc = store_bind_text(st, 2,
		    op->in.insert.unique_key)) != SQLITE_OK)
			goto fail_st;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			op->out.insert.id = sqlite3_column_int64(st, 0);
			op->out.insert.existing = 1;
			store_reset(st);
			return (SQLITE_OK);
		}
		store_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}

	if ((argv = store_json_strv(op->in.insert.argv,
	    op->in.insert.argc)) == NULL ||
	    (env = store_json_strv(op->in.insert.env,
	    op->in.insert.envc)) == NULL) {
		cJSON_free(argv);
		op->status = JOBQ_ENOMEM;
		return (SQLITE_OK);
	}

	id = s->next_id;
	if (count == 0) {
		s->next_id = id + 1;
		st = s->st[ST_INSERT];
		if ((rc = store_bind_insert(st, op, id, argv, env,
		    op->in.insert.cwd)) != SQLITE_OK)
			goto fail_st;
		if ((rc = store_step_done(s, st)) != SQLITE_OK)
			goto fail;
		for (i = 0; i < op->in.insert.nlabels; i++) {
			st = s->st[ST_INSERT_LABEL];
			if ((rc = sqlite3_bind_int64(st, 1, id)) !=
			    SQLITE_OK ||
			    (rc = store_bind_text(st, 2,
			    op->in.insert.labels[i])) != SQLITE_OK)
				goto fail_st;
			if ((rc = store_step_done(s, st)) != SQLITE_OK)
				goto fail;
		}
		for (i = 0; i < op->in.insert.ndeps; i++) {
			st = s->st[ST_INSERT_DEP];
			if ((rc = sqlite3_bind_int64(st, 1, id)) !=
			    SQLITE_OK ||
			    (rc = sqlite3_bind_int64(st, 2,
			    op->in.insert.deps[i].id)) != SQLITE_OK ||
			    (rc = sqlite3_bind_int(st, 3,
			    (int)op->in.insert.deps[i].mode)) != SQLITE_OK)
				goto fail_st;
			if ((rc = store_step_done(s, st)) != SQLITE_OK)
				goto fail;
		}
		op->out.insert.id = id;
		goto done;
	}

	/* An array: id A, tasks A + 1 .. A + count, in one statement each
	 * for the tasks, each label and each dependency. */
	s->next_id = id + 1 + count;
	st = s->st[ST_INSERT_ARRAY];
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, op->in.insert.array_first)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, store_array_step(op))) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, count)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 5, op->in.insert.array_throttle)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, op->in.insert.owner_uid)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, op->in.insert.submitted_at)) !=
	    SQLITE_OK ||
	    (rc = store_bind_text(st, 8, argv)) != SQLITE_OK ||
	    (rc = store_bind_text(st, 9, env)) != SQLITE_OK ||
	    (rc = store_bind_text(st, 10, op->in.insert.cwd)) != SQLITE_OK)
		goto fail_st;
	if ((rc = store_step_done(s, st)) != SQLITE_OK)
		goto fail;
	st = s->st[ST_INSERT_TASKS];
	if ((rc = store_bind_insert(st, op, id, "", "", "")) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 20, count)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 21, op->in.insert.array_first)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 22, store_array_step(op))) !=
	    SQLITE_OK)
		goto fail_st;
	if ((rc = store_step_done(s, st)) != SQLITE_OK)
		goto fail;
	for (i = 0; i < op->in.insert.nlabels; i++) {
		st = s->st[ST_TASK_LABELS];
		if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
		    (rc = store_bind_text(st, 2, op->in.insert.labels[i])) !=
		    SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 3, count)) != SQLITE_OK)
			goto fail_st;
		if ((rc = store_step_done(s, st)) != SQLITE_OK)
			goto fail;
	}
	for (i = 0; i < op->in.insert.ndeps; i++) {
		st = s->st[ST_TASK_DEPS];
		if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 2,
		    op->in.insert.deps[i].id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 3,
		    (int)op->in.insert.deps[i].mode)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 4, count)) != SQLITE_OK)
			goto fail_st;
		if ((rc = store_step_done(s, st)) != SQLITE_OK)
			goto fail;
	}
	op->out.insert.id = id;
	op->out.insert.first_task = id + 1;
done:
	cJSON_free(argv);
	cJSON_free(env);
	return (SQLITE_OK);

fail_st:
	store_reset(st);
fail:
	cJSON_free(argv);
	cJSON_free(env);
	store_write_failed(s, rc, "insert");
	return (rc);
}

/* A task's environment: env without JOBQ_ARRAY_ID / JOBQ_ARRAY_INDEX, then
 * those two set to the task's. */
static int
store_claim_env(char ***envp, int64_t array_id, int64_t index)
{
	static const char id_name[] = "JOBQ_ARRAY_ID=";
	static const char index_name[] = "JOBQ_ARRAY_INDEX=";
	char **env = *envp, **nv, *a, *b;
	size_t n, i, k = 0;

	for (n = 0; env[n] != NULL; n++)
		;
	nv = calloc(n + 3, sizeof(*nv));
	a = malloc(sizeof(id_name) + 24);
	b = malloc(sizeof(index_name) + 24);
	if (nv == NULL || a == NULL || b == NULL) {
		free(nv);
		free(a);
		free(b);
		return (JOBQ_ENOMEM);
	}
	(void)snprintf(a, sizeof(id_name) + 24, "%s%" PRId64, id_name,
	    array_id);
	(void)snprintf(b, sizeof(index_name) + 24, "%s%" PRId64, index_name,
	    index);
	for (i = 0; i < n; i++) {
		if (strncmp(env[i], id_name, sizeof(id_name) - 1) == 0 ||
		    strncmp(env[i], index_name, sizeof(index_name) - 1) == 0)
			free(env[i]);
		else
			nv[k++] = env[i];
	}
	nv[k++] = a;
	nv[k++] = b;
	nv[k] = NULL;
	free(env);
	*envp = nv;
	return (0);
}

static int
store_do_claim(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_CLAIM_SELECT];
	char **argv = NULL, **env = NULL, *cwd = NULL;
	const char *state;
	int64_t array_id, array_index;
	int rc, ret;

	if ((rc = sqlite3_bind_int64(st, 1, op->in.claim.id)) != SQLITE_OK) {
		store_reset(st);
		store_write_failed(s, rc, "claim");
		return (rc);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		store_reset(st);
		op->status = JOBQ_ENOTFOUND;
		return (SQLITE_OK);
	}
	if (rc != SQLITE_ROW) {
		store_reset(st);
		store_write_failed(s, rc, "claim");
		return (rc);
	}
	state = (const char *)sqlite3_column_text(st, 0);
	if (state == NULL || strcmp(state, "queued") != 0) {
		store_reset(st);
		op->status = JOBQ_ESTATE;
		return (SQLITE_OK);
	}
	array_id = sqlite3_column_int64(st, 4);
	array_index = sqlite3_column_int64(st, 5);
	ret = store_parse_strv((const char *)sqlite3_column_text(st, 1),
	    &argv, NULL);
	if (ret == 0)
		ret = store_parse_strv((const char *)sqlite3_column_text(st,
		    2), &env, NULL);
	if (ret == 0 && (cwd = store_col_strdup(st, 3)) == NULL)
		ret = JOBQ_ENOMEM;
	store_reset(st);
	if (ret == 0 && array_id != 0)
		ret = store_claim_env(&env, array_id, array_index);
	if (ret != 0) {
		if (ret == JOBQ_EINTERNAL)
			log_warnx("%s: job %" PRId64 ": malformed argv/env "
			    "in the database", s->path, op->in.claim.id);
		store_strv_free(argv);
		store_strv_free(env);
		free(cwd);
		op->status = ret;
		return (SQLITE_OK);
	}

	st = s->st[ST_CLAIM_UPDATE];
	if ((rc = sqlite3_bind_int64(st, 1, op->in.claim.id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, op->in.claim.attempts)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, op->in.claim.started_at)) !=
	    SQLITE_OK)
		store_reset(st);
	else
		rc = store_step_done(s, st);
	if (rc != SQLITE_OK) {
		store_strv_free(argv);
		store_strv_free(env);
		free(cwd);
		store_write_failed(s, rc, "claim");
		return (rc);
	}
	op->out.claim.argv = argv;
	op->out.claim.env = env;
	op->out.claim.cwd = cwd;
	return (SQLITE_OK);
}

static int
store_do_update(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	const struct store_update *u = &op->in.update;
	const char *state = NULL;
	int rc;

	if (u->set_priority) {
		st = s->st[ST_SET_PRIORITY];
		if ((rc = sqlite3_bind_int64(st, 1, u->id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 2, u->priority)) != SQLITE_OK)
			store_reset(st);
		else
			rc = store_step_done(s, st);
	} else if ((state = jobq_state_name(u->state)) == NULL) {
		op->status = JOBQ_EINVAL;
		return (SQLITE_OK);
	} else {
		st = s->st[ST_UPDATE];
		if ((rc = sqlite3_bind_int64(st, 1, u->id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_text(st, 2, state, -1,
		    SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 3, u->attempts)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 4, u->started_at)) !=
		    SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 5, u->finished_at)) !=
		    SQLITE_OK ||
		    (rc = u->exit_code == -1 ? sqlite3_bind_null(st, 6) :
		    sqlite3_bind_int(st, 6, u->exit_code)) != SQLITE_OK ||
		    (rc = u->signal == 0 ? sqlite3_bind_null(st, 7) :
		    sqlite3_bind_int(st, 7, u->signal)) != SQLITE_OK ||
		    (rc = u->pid == 0 ? sqlite3_bind_null(st, 8) :
		    sqlite3_bind_int64(st, 8, u->pid)) != SQLITE_OK ||
		    (rc = store_bind_text(st, 9, u->reason)) != SQLITE_OK ||
		    (rc = store_bind_text(st, 10, u->message)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 11, u->not_before)) !=
		    SQLITE_OK)
			store_reset(st);
		else
			rc = store_step_done(s, st);
	}
	if (rc != SQLITE_OK) {
		store_write_failed(s, rc, "update");
		return (rc);
	}
	if (sqlite3_changes(s->db) == 0)
		op->status = JOBQ_ENOTFOUND;
	return (SQLITE_OK);
}

static int
store_do_queue_set(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	int rc;

	if (op->in.queue_set.name[0] == '\0' ||
	    memchr(op->in.queue_set.name, '\0',
	    sizeof(op->in.queue_set.name)) == NULL) {
		op->status = JOBQ_EINVAL;
		return (SQLITE_OK);
	}
	st = s->st[ST_QUEUE_ADD];
	if ((rc = store_bind_text(st, 1, op->in.queue_set.name)) != SQLITE_OK)
		store_reset(st);
	else
		rc = store_step_done(s, st);
	if (rc == SQLITE_OK) {
		st = s->st[ST_QUEUE_UPDATE];
		if ((rc = store_bind_text(st, 1, op->in.queue_set.name)) !=
		    SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 2,
		    op->in.queue_set.parallel)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 3,
		    op->in.queue_set.paused)) != SQLITE_OK)
			store_reset(st);
		else
			rc = store_step_done(s, st);
	}
	if (rc != SQLITE_OK) {
		store_write_failed(s, rc, "queue_set");
		return (rc);
	}
	return (SQLITE_OK);
}

/* 1 if id is an array's, 0 if not, or a JOBQ_E* code. */
static int
store_is_array(struct store *s, int64_t id)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_ROW];
	int rc;

	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_reset(st);
		return (store_code(rc));
	}
	rc = sqlite3_step(st);
	store_reset(st);
	if (rc == SQLITE_ROW)
		return (1);
	if (rc == SQLITE_DONE)
		return (0);
	log_warnx("%s: %s", s->path, sqlite3_errmsg(s->db));
	return (store_code(rc));
}

/*
 * STORE_RETRY.  The job is read first, so that nothing can fail (but
 * SQLite, failing the batch) once it was changed; the copy is then made to
 * match the new row.
 */
static int
store_do_retry(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_GET];
	jobq_job *j = NULL;
	int rc, ret;

	if ((rc = sqlite3_bind_int64(st, 1, op->in.retry.id)) != SQLITE_OK) {
		store_reset(st);
		store_write_failed(s, rc, "retry");
		return (rc);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = store_row_job(st, &j);
		store_reset(st);
		if (ret != 0) {
			op->status = ret;
			return (SQLITE_OK);
		}
	} else {
		store_reset(st);
		if (rc != SQLITE_DONE) {
			store_write_failed(s, rc, "retry");
			return (rc);
		}
		ret = store_is_array(s, op->in.retry.id);
		op->status = ret == 1 ? JOBQ_EISARRAY : ret == 0 ?
		    JOBQ_ENOTFOUND : ret;
		return (SQLITE_OK);
	}
	if (!jobq_state_is_terminal(j->state)) {
		store_job_free(j);
		op->status = JOBQ_ESTATE;
		return (SQLITE_OK);
	}
	/* A unique key stays unique among queued and running jobs. */
	if (j->unique_key != NULL) {
		st = s->st[ST_UNIQUE];
		if ((rc = sqlite3_bind_int64(st, 1, j->owner_uid)) != SQLITE_OK ||
		    (rc = store_bind_text(st, 2, j->unique_key)) != SQLITE_OK) {
			store_reset(st);
			store_job_free(j);
			store_write_failed(s, rc, "retry");
			return (rc);
		}
		rc = sqlite3_step(st);
		store_reset(st);
		if (rc == SQLITE_ROW) {
			store_job_free(j);
			op->status = JOBQ_ESTATE;
			op->in.retry.unique_conflict = 1;
			return (SQLITE_OK);
		}
		if (rc != SQLITE_DONE) {
			store_job_free(j);
			store_write_failed(s, rc, "retry");
			return (rc);
		}
	}

	st = s->st[ST_RETRY_UPDATE];
	if ((rc = sqlite3_bind_int64(st, 1, op->in.retry.id)) != SQLITE_OK)
		store_reset(st);
	else
		rc = store_step_done(s, st);
	if (rc == SQLITE_OK) {
		st = s->st[ST_RETRY_DEPS];
		if ((rc = sqlite3_bind_int64(st, 1, op->in.retry.id)) !=
		    SQLITE_OK)
			store_reset(st);
		else
			rc = store_step_done(s, st);
	}
	if (rc != SQLITE_OK) {
		store_job_free(j);
		store_write_failed(s, rc, "retry");
		return (rc);
	}
	j->state = JOBQ_STATE_QUEUED;
	j->attempts = 0;
	j->started_at = 0;
	j->finished_at = 0;
	j->exit_code = -1;
	j->signal = 0;
	j->pid = 0;
	free(j->reason);
	j->reason = NULL;
	free(j->message);
	j->message = NULL;
	j->not_before = 0;
	free(j->deps);
	j->deps = NULL;
	j->ndeps = 0;
	op->out.job = j;
	return (SQLITE_OK);
}

/*
 * STORE_PURGE: the ids go into temp.purge_ids with one INSERT ... SELECT,
 * are read back with one SELECT (the files are unlinked after the commit),
 * and the rows are deleted set-wise.
 */
static int
store_do_purge(struct store *s, struct store_op *op)
{
	struct store_sql q;
	sqlite3_stmt *st = NULL;
	const char *state = NULL;
	int64_t *ids = NULL, *nids;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	memset(&q, 0, sizeof(q));
	if (op->in.purge.state >= 0 &&
	    ((state = jobq_state_name(op->in.purge.state)) == NULL ||
	    !jobq_state_is_terminal(op->in.purge.state))) {
		op->status = JOBQ_EINVAL;
		return (SQLITE_OK);
	}
	if ((rc = store_step_done(s, s->st[ST_PURGE_CLEAR])) != SQLITE_OK)
		goto fail;

	store_sql_add(&q, "INSERT INTO temp.purge_ids (id) SELECT id FROM "
	    "main.jobs WHERE " STORE_ENDED);
	if (op->in.purge.finished_before != 0)
		store_sql_add(&q, " AND finished_at < ?1");
	if (state != NULL)
		store_sql_add(&q, " AND state = ?2");
	if (op->in.purge.owner_uid >= 0)
		store_sql_add(&q, " AND owner_uid = ?3");
	if (op->in.purge.keep_count > 0)
		store_sql_add(&q, " AND id NOT IN (SELECT id FROM main.jobs "
		    "WHERE " STORE_ENDED " ORDER BY finished_at DESC, id DESC "
		    "LIMIT ?4)");
	if (op->in.purge.max > 0)
		store_sql_add(&q, " ORDER BY id LIMIT ?5");
	if (q.failed) {
		free(q.buf);
		op->status = JOBQ_ENOMEM;
		return (SQLITE_OK);
	}
	rc = sqlite3_prepare_v2(s->db, q.buf, -1, &st, NULL);
	free(q.buf);
	if (rc != SQLITE_OK) {
		log_warnx("%s: purge: %s", s->path, sqlite3_errmsg(s->db));
		op->status = store_code(rc);
		return (SQLITE_OK);
	}
	if ((op->in.purge.finished_before != 0 &&
	    (rc = sqlite3_bind_int64(st, 1, op->in.purge.finished_before)) !=
	    SQLITE_OK) ||
	    (state != NULL && (rc = sqlite3_bind_text(st, 2, state, -1,
	    SQLITE_STATIC)) != SQLITE_OK) ||
	    (op->in.purge.owner_uid >= 0 && (rc = sqlite3_bind_int64(st, 3,
	    op->in.purge.owner_uid)) != SQLITE_OK) ||
	    (op->in.purge.keep_count > 0 && (rc = sqlite3_bind_int64(st, 4,
	    op->in.purge.keep_count > INT64_MAX ? INT64_MAX :
	    (int64_t)op->in.purge.keep_count)) != SQLITE_OK) ||
	    (op->in.purge.max > 0 && (rc = sqlite3_bind_int64(st, 5,
	    op->in.purge.max > INT64_MAX ? INT64_MAX :
	    (int64_t)op->in.purge.max)) != SQLITE_OK)) {
		(void)sqlite3_finalize(st);
		goto fail;
	}
	rc = sqlite3_step(st);
	(void)sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	/* Only temp.purge_ids has changed so far. */
	st = s->st[ST_PURGE_IDS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nids = reallocarray(ids, cap,
			    sizeof(*ids))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			ids = nids;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	store_reset(st);
	if (ret != 0) {
		free(ids);
		op->status = ret;
		return (SQLITE_OK);
	}
	if (rc != SQLITE_DONE) {
		free(ids);
		goto fail;
	}
	if (n > 0 &&
	    ((rc = store_step_done(s, s->st[ST_PURGE_LABELS])) != SQLITE_OK ||
	    (rc = store_step_done(s, s->st[ST_PURGE_DEPS])) != SQLITE_OK ||
	    (rc = store_step_done(s, s->st[ST_PURGE_JOBS])) != SQLITE_OK ||
	    (rc = store_step_done(s, s->st[ST_PURGE_ARRAYS])) != SQLITE_OK)) {
		free(ids);
		goto fail;
	}
	op->out.purge.n = n;
	op->out.purge.ids = ids;
	return (SQLITE_OK);

fail:
	store_write_failed(s, rc, "purge");
	return (rc);
}

/* After the commit: removes the purged jobs' output files. */
static void
store_purge_unlink(struct store *s, const struct store_op *op)
{
	static const char *const ext[] = { "out", "err" };
	char path[PATH_MAX];
	size_t i, k;
	int len;

	if (op->in.purge.logs_dir == NULL)
		return;
	for (i = 0; i < op->out.purge.n; i++) {
		for (k = 0; k < 2; k++) {
			len = snprintf(path, sizeof(path), "%s/%" PRId64 ".%s",
			    op->in.purge.logs_dir, op->out.purge.ids[i],
			    ext[k]);
			if (len < 0 || (size_t)len >= sizeof(path))
				continue;
			if (unlink(path) == -1 && errno != ENOENT)
				log_warnx("%s: purge: %s: %s", s->path, path,
				    strerror(errno));
		}
	}
}

/* A malloc'd copy of a text column; "" for NULL.  NULL if out of memory. */
static char *
store_col_strdup(sqlite3_stmt *st, int col)
{
	const char *t;

	t = (const char *)sqlite3_column_text(st, col);
	return (strdup(t != NULL ? t : ""));
}

/* A state column as a jobq_state, or -1 (logged) if unknown. */
static int
store_col_state(sqlite3_stmt *st, int col)
{
	const char *t;
	int sv;

	t = (const char *)sqlite3_column_text(st, col);
	if (t == NULL || (sv = jobq_state_parse(t)) < 0) {
		log_warnx("unknown state \"%s\" in the database",
		    t != NULL ? t : "");
		return (-1);
	}
	return (sv);
}

static int
store_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* "HEX,HEX,..." (NULL: none) into a NULL-terminated vector, never NULL. */
static int
store_parse_labels(const char *hex, char ***out, size_t *count)
{
	const char *p, *e;
	char **v, *l;
	size_t n = 0, i, k, len;
	int hi, lo;

	*out = NULL;
	*count = 0;
	if (hex != NULL)
		for (n = 1, p = hex; *p != '\0'; p++)
			if (*p == ',')
				n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return (JOBQ_ENOMEM);
	for (i = 0, p = hex; i < n; i++, p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len % 2 != 0)
			goto bad;
		if ((l = malloc(len / 2 + 1)) == NULL) {
			store_strv_free(v);
			return (JOBQ_ENOMEM);
		}
		v[i] = l;
		for (k = 0; k < len / 2; k++) {
			if ((hi = store_hexval(p[2 * k])) < 0 ||
			    (lo = store_hexval(p[2 * k + 1])) < 0)
				goto bad;
			l[k] = (char)(hi << 4 | lo);
		}
		l[k] = '\0';
	}
	*out = v;
	*count = n;
	return (0);
bad:
	store_strv_free(v);
	return (JOBQ_EINTERNAL);
}

/* "ID:MODE,..." (NULL: none) into a malloc'd vector (NULL if none). */
static int
store_parse_deps(const char *text, jobq_dep **out, size_t *count)
{
	const char *p;
	char *end;
	jobq_dep *d;
	size_t n = 1, i;
	long long v;

	*out = NULL;
	*count = 0;
	if (text == NULL)
		return (0);
	for (p = text; *p != '\0'; p++)
		if (*p == ',')
			n++;
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return (JOBQ_ENOMEM);
	for (i = 0, p = text; i < n; i++) {
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != ':')
			goto bad;
		d[i].id = v;
		p = end + 1;
		v = strtoll(p, &end, 10);
		if (end == p || v < JOBQ_DEP_OK || v > JOBQ_DEP_ANY ||
		    (*end != ',' && *end != '\0'))
			goto bad;
		d[i].mode = (jobq_dep_mode)v;
		p = end + 1;
	}
	*out = d;
	*count = n;
	return (0);
bad:
	free(d);
	return (JOBQ_EINTERNAL);
}

/* Builds a jobq_job from a row of STORE_JOB_COLUMNS. */
static int
store_row_job(sqlite3_stmt *st, jobq_job **out)
{
	jobq_job *j;
	int ret, sv;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (JOBQ_ENOMEM);
	j->id = sqlite3_column_int64(st, 0);
	if ((sv = store_col_state(st, 1)) < 0) {
		log_warnx("job %" PRId64 ": unknown state in the database",
		    j->id);
		free(j);
		return (JOBQ_EINTERNAL);
	}
	j->state = (jobq_state)sv;
	ret = JOBQ_ENOMEM;
	if ((j->queue = store_col_strdup(st, 2)) == NULL)
		goto fail;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    (j->name = store_col_strdup(st, 3)) == NULL)
		goto fail;
	j->owner_uid = (uint32_t)sqlite3_column_int64(st, 4);
	if ((ret = store_parse_strv((const char *)sqlite3_column_text(st, 5),
	    &j->argv, &j->argc)) != 0) {
		if (ret == JOBQ_EINTERNAL)
			log_warnx("job %" PRId64 ": malformed argv in the "
			    "database", j->id);
		goto fail;
	}
	ret = JOBQ_ENOMEM;
	if ((j->cwd = store_col_strdup(st, 6)) == NULL)
		goto fail;
	j->submitted_at = sqlite3_column_int64(st, 7);
	j->started_at = sqlite3_column_int64(st, 8);	/* NULL -> 0 */
	j->finished_at = sqlite3_column_int64(st, 9);
	j->exit_code = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 10);
	j->signal = sqlite3_column_int(st, 11);
	j->attempts = sqlite3_column_int(st, 12);
	j->max_retries = sqlite3_column_int(st, 13);
	if (sqlite3_column_type(st, 14) != SQLITE_NULL &&
	    (j->reason = store_col_strdup(st, 14)) == NULL)
		goto fail;
	if (sqlite3_column_type(st, 15) != SQLITE_NULL &&
	    (j->message = store_col_strdup(st, 15)) == NULL)
		goto fail;
	j->pid = sqlite3_column_int64(st, 16);
	j->priority = sqlite3_column_int(st, 17);
	j->not_before = sqlite3_column_int64(st, 18);
	j->timeout_ms = sqlite3_column_int64(st, 19);
	j->kill_grace_ms = sqlite3_column_int64(st, 20);
	j->retry_delay_ms = sqlite3_column_int64(st, 21);
	if (sqlite3_column_type(st, 22) != SQLITE_NULL &&
	    (j->unique_key = store_col_strdup(st, 22)) == NULL)
		goto fail;
	j->array_id = sqlite3_column_int64(st, 23);
	j->array_index = sqlite3_column_int64(st, 24);
	if ((ret = store_parse_labels((const char *)sqlite3_column_text(st,
	    25), &j->labels, &j->nlabels)) != 0 ||
	    (ret = store_parse_deps((const char *)sqlite3_column_text(st, 26),
	    &j->deps, &j->ndeps)) != 0) {
		if (ret == JOBQ_EINTERNAL)
			log_warnx("job %" PRId64 ": malformed labels or deps "
			    "in the database", j->id);
		goto fail;
	}
	*out = j;
	return (0);

fail:
	store_job_free(j);
	return (ret);
}

/* Same layout and allocation as jobq_job_free() expects. */
static void
store_job_free(jobq_job *j)
{
	if (j == NULL)
		return;
	free(j->name);
	free(j->queue);
	store_strv_free(j->argv);
	free(j->cwd);
	free(j->reason);
	free(j->message);
	free(j->unique_key);
	store_strv_free(j->labels);
	free(j->deps);
	free(j);
}

static void
store_do_get(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	int rc, ret;

	st = s->st[op->in.get.by_index ? ST_GET_INDEX : ST_GET];
	if ((rc = sqlite3_bind_int64(st, 1, op->in.get.id)) != SQLITE_OK ||
	    (op->in.get.by_index && (rc = sqlite3_bind_int64(st, 2,
	    op->in.get.index)) != SQLITE_OK)) {
		store_reset(st);
		op->status = store_code(rc);
		return;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		op->status = store_row_job(st, &op->out.job);
	else if (rc == SQLITE_DONE)
		op->status = JOBQ_ENOTFOUND;
	else {
		log_warnx("%s: get: %s", s->path, sqlite3_errmsg(s->db));
		op->status = store_code(rc);
	}
	store_reset(st);
	if (rc == SQLITE_DONE && !op->in.get.by_index) {
		ret = store_is_array(s, op->in.get.id);
		if (ret == 1)
			op->status = JOBQ_EISARRAY;
		else if (ret < 0)
			op->status = ret;
	}
}

/* Largest number of labels one LIST may filter on (host parameters). */
#define STORE_LIST_MAX_LABELS 512

static void
store_do_list(struct store *s, struct store_op *op)
{
	struct store_sql q;
	sqlite3_stmt *st = NULL;
	const char *state = NULL;
	jobq_job **jobs = NULL, **nj, *j;
	size_t n = 0, cap = 0, i;
	int rc, ret = 0;

	if (op->in.list.state >= 0 &&
	    (state = jobq_state_name(op->in.list.state)) == NULL) {
		op->status = JOBQ_EINVAL;
		return;
	}
	if ((op->in.list.labels == NULL && op->in.list.nlabels != 0) ||
	    op->in.list.nlabels > STORE_LIST_MAX_LABELS) {
		op->status = JOBQ_EINVAL;
		return;
	}
	for (i = 0; i < op->in.list.nlabels; i++) {
		if (op->in.list.labels[i] == NULL) {
			op->status = JOBQ_EINVAL;
			return;
		}
	}

	memset(&q, 0, sizeof(q));
	store_sql_add(&q, "SELECT " STORE_JOB_COLUMNS " FROM (SELECT * FROM "
	    "jobs WHERE 1");
	if (state != NULL)
		store_sql_add(&q, " AND state = ?1");
	if (op->in.list.queue[0] != '\0')
		store_sql_add(&q, " AND queue = ?2");
	if (op->in.list.name != NULL)
		store_sql_add(&q, " AND name = ?4");
	if (op->in.list.array_id != 0)
		store_sql_add(&q, " AND array_id = ?5 AND array_id != 0");
	for (i = 0; i < op->in.list.nlabels; i++)
		store_sql_add(&q, " AND EXISTS (SELECT 1 FROM labels l WHERE "
		    "l.label = ?%zu AND l.job_id = jobs.id)", i + 6);
	store_sql_add(&q, " ORDER BY id DESC LIMIT ?3) j "
	    "LEFT JOIN arrays a ON a.id = j.array_id ORDER BY j.id");
	if (q.failed) {
		free(q.buf);
		op->status = JOBQ_ENOMEM;
		return;
	}
	rc = sqlite3_prepare_v2(s->db, q.buf, -1, &st, NULL);
	free(q.buf);
	if (rc != SQLITE_OK) {
		log_warnx("%s: list: %s", s->path, sqlite3_errmsg(s->db));
		op->status = store_code(rc);
		return;
	}
	if ((state != NULL && (rc = sqlite3_bind_text(st, 1, state, -1,
	    SQLITE_STATIC)) != SQLITE_OK) ||
	    (op->in.list.queue[0] != '\0' && (rc = sqlite3_bind_text(st, 2,
	    op->in.list.queue, -1, SQLITE_STATIC)) != SQLITE_OK) ||
	    (rc = sqlite3_bind_int64(st, 3, op->in.list.limit == 0 ||
	    op->in.list.limit > INT64_MAX ? -1 :
	    (int64_t)op->in.list.limit)) != SQLITE_OK ||
	    (op->in.list.name != NULL && (rc = sqlite3_bind_text(st, 4,
	    op->in.list.name, -1, SQLITE_STATIC)) != SQLITE_OK) ||
	    (op->in.list.array_id != 0 && (rc = sqlite3_bind_int64(st, 5,
	    op->in.list.array_id)) != SQLITE_OK)) {
		(void)sqlite3_finalize(st);
		op->status = store_code(rc);
		return;
	}
	for (i = 0; i < op->in.list.nlabels; i++) {
		if ((rc = sqlite3_bind_text(st, (int)i + 6,
		    op->in.list.labels[i], -1, SQLITE_STATIC)) != SQLITE_OK) {
			(void)sqlite3_finalize(st);
			op->status = store_code(rc);
			return;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nj = reallocarray(jobs, cap,
			    sizeof(*jobs))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			jobs = nj;
		}
		if ((ret = store_row_job(st, &j)) != 0)
			break;
		jobs[n++] = j;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: list: %s", s->path, sqlite3_errmsg(s->db));
		ret = store_code(rc);
	}
	(void)sqlite3_finalize(st);
	if (ret != 0) {
		while (n > 0)
			store_job_free(jobs[--n]);
		free(jobs);
		op->status = ret;
		return;
	}
	op->out.list.jobs = jobs;
	op->out.list.n = n;
}

/* The tasks of array id, in id order (ST_ARRAY_TASKS). */
static int
store_array_tasks(struct store *s, int64_t id, int64_t **idsp,
    jobq_state **statesp, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_TASKS];
	int64_t *ids = NULL, *ni;
	jobq_state *states = NULL, *ns;
	size_t n = 0, cap = 0;
	int rc, ret = 0, sv;

	*idsp = NULL;
	*statesp = NULL;
	*np = 0;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_reset(st);
		return (store_code(rc));
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((ni = reallocarray(ids, cap,
			    sizeof(*ids))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			ids = ni;
			if ((ns = reallocarray(states, cap,
			    sizeof(*states))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			states = ns;
		}
		if ((sv = store_col_state(st, 1)) < 0) {
			ret = JOBQ_EINTERNAL;
			break;
		}
		ids[n] = sqlite3_column_int64(st, 0);
		states[n] = (jobq_state)sv;
		n++;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: array: %s", s->path, sqlite3_errmsg(s->db));
		ret = store_code(rc);
	}
	store_reset(st);
	if (ret != 0) {
		free(ids);
		free(states);
		return (ret);
	}
	*idsp = ids;
	*statesp = states;
	*np = n;
	return (0);
}

static void
store_do_lookup(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	struct store_lookup *v;
	size_t i;
	int rc, ret = 0, sv;

	if (op->in.lookup.n == 0)
		return;
	if (op->in.lookup.ids == NULL) {
		op->status = JOBQ_EINVAL;
		return;
	}
	if ((v = calloc(op->in.lookup.n, sizeof(*v))) == NULL) {
		op->status = JOBQ_ENOMEM;
		return;
	}
	op->out.lookup.v = v;
	op->out.lookup.n = op->in.lookup.n;
	for (i = 0; i < op->in.lookup.n && ret == 0; i++) {
		v[i].id = op->in.lookup.ids[i];
		st = s->st[ST_JOB_STATE];
		if ((rc = sqlite3_bind_int64(st, 1, v[i].id)) != SQLITE_OK) {
			store_reset(st);
			ret = store_code(rc);
			break;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if ((sv = store_col_state(st, 0)) < 0)
				ret = JOBQ_EINTERNAL;
			else {
				v[i].kind = 1;
				v[i].state = (jobq_state)sv;
			}
		} else if (rc != SQLITE_DONE) {
			log_warnx("%s: lookup: %s", s->path,
			    sqlite3_errmsg(s->db));
			ret = store_code(rc);
		}
		store_reset(st);
		if (ret != 0 || rc == SQLITE_ROW)
			continue;
		if ((ret = store_is_array(s, v[i].id)) == 1) {
			v[i].kind = 2;
			ret = store_array_tasks(s, v[i].id, &v[i].task_ids,
			    &v[i].task_states, &v[i].ntasks);
		}
	}
	if (ret < 0) {
		store_op_release(op);
		op->status = ret;
	}
}

static void
store_do_array(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_ROW];
	jobq_array_info *info = &op->out.array.info;
	size_t i;
	int rc, ret;

	if ((rc = sqlite3_bind_int64(st, 1, op->in.array.id)) != SQLITE_OK) {
		store_reset(st);
		op->status = store_code(rc);
		return;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info->id = op->in.array.id;
		info->first = sqlite3_column_int64(st, 0);
		info->step = sqlite3_column_int64(st, 1);
		info->count = sqlite3_column_int64(st, 2);
		info->throttle = sqlite3_column_int(st, 3);
	} else if (rc == SQLITE_DONE)
		op->status = JOBQ_ENOTFOUND;
	else {
		log_warnx("%s: array: %s", s->path, sqlite3_errmsg(s->db));
		op->status = store_code(rc);
	}
	store_reset(st);
	if (op->status != 0)
		return;
	if ((ret = store_array_tasks(s, op->in.array.id,
	    &op->out.array.task_ids, &op->out.array.task_states,
	    &op->out.array.ntasks)) != 0) {
		store_op_release(op);
		op->status = ret;
		return;
	}
	for (i = 0; i < op->out.array.ntasks; i++)
		info->counts[op->out.array.task_states[i]]++;
}

/* The entry for queue name at the end of v (appended if not the last). */
static struct store_queue *
store_counts_at(struct store_queue **vp, size_t *np, size_t *capp,
    const char *name)
{
	struct store_queue *nv;
	size_t cap;

	if (*np > 0 && strcmp((*vp)[*np - 1].name, name) == 0)
		return (&(*vp)[*np - 1]);
	if (*np == *capp) {
		cap = *capp ? *capp * 2 : 8;
		if ((nv = reallocarray(*vp, cap, sizeof(**vp))) == NULL)
			return (NULL);
		*vp = nv;
		*capp = cap;
	}
	memset(&(*vp)[*np], 0, sizeof((*vp)[*np]));
	(void)snprintf((*vp)[*np].name, sizeof((*vp)[*np].name), "%s", name);
	return (&(*vp)[(*np)++]);
}

/*
 * STORE_COUNTS: the queues table (by name) merged with the job counts
 * (GROUP BY queue, state over jobs_queue_state, by name).
 */
static void
store_do_counts(struct store *s, struct store_op *op)
{
	struct store_recovery r;
	struct store_queue *v = NULL, *e;
	sqlite3_stmt *st;
	const char *name;
	size_t n = 0, cap = 0, qi = 0;
	int rc, ret, sv;

	memset(&r, 0, sizeof(r));
	if ((ret = store_read_queues(s, &r)) != 0) {
		op->status = ret;
		return;
	}
	st = s->st[ST_COUNTS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name == NULL)
			name = "";
		/* Queues with settings that sort before this one. */
		while (qi < r.nqueues && strcmp(r.queues[qi].name, name) < 0) {
			if ((e = store_counts_at(&v, &n, &cap,
			    r.queues[qi].name)) == NULL)
				goto nomem;
			*e = r.queues[qi++];
		}
		if ((e = store_counts_at(&v, &n, &cap, name)) == NULL)
			goto nomem;
		if (qi < r.nqueues && strcmp(r.queues[qi].name, name) == 0) {
			e->parallel = r.queues[qi].parallel;
			e->paused = r.queues[qi].paused;
			e->has_settings = 1;
			qi++;
		}
		if ((sv = store_col_state(st, 1)) >= 0)
			e->counts[sv] += (size_t)sqlite3_column_int64(st, 2);
	}
	store_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: counts: %s", s->path, sqlite3_errmsg(s->db));
		op->status = store_code(rc);
		goto out;
	}
	for (; qi < r.nqueues; qi++) {
		if ((e = store_counts_at(&v, &n, &cap,
		    r.queues[qi].name)) == NULL)
			goto nomem;
		*e = r.queues[qi];
	}
	op->out.counts.v = v;
	op->out.counts.n = n;
	v = NULL;
	goto out;
nomem:
	store_reset(st);
	op->status = JOBQ_ENOMEM;
out:
	free(v);
	store_recovery_release(&r);
}

static void
store_do_checkpoint(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_CHECKPOINT];
	int rc, busy = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* (busy, log frames, checkpointed frames) */
		if (sqlite3_column_int(st, 0) != 0)
			busy = 1;
	}
	store_reset(st);
	if (rc == SQLITE_DONE && busy)
		rc = SQLITE_BUSY;
	if (rc != SQLITE_DONE) {
		log_warnx("%s: checkpoint: %s", s->path,
		    rc == SQLITE_BUSY ? "database busy" :
		    sqlite3_errmsg(s->db));
		op->status = store_code(rc);
	}
}

/*
 * Runs one batch: the writes in one transaction (with the id counter),
 * then, once committed, the purges' file removal, then the reads, then
 * hands the batch to the done queue.
 */
static void
store_batch(struct store *s, struct store_op *batch)
{
	struct store_op *op, *last = NULL;
	sqlite3_stmt *st;
	int nwrites = 0, rc = SQLITE_OK, failed = 0;

	for (op = batch; op != NULL; op = op->next) {
		op->status = 0;
		if (store_is_write(op))
			nwrites++;
		last = op;
	}

	if (nwrites > 0) {
		if ((rc = store_step_done(s, s->st[ST_BEGIN])) != SQLITE_OK) {
			/* Nothing was written: refuse the batch's writes. */
			log_warnx("%s: cannot begin a transaction: %s",
			    s->path, sqlite3_errstr(rc));
			failed = 1;
		}
		for (op = batch; op != NULL && !failed; op = op->next) {
			switch (op->type) {
			case STORE_INSERT:
				rc = store_do_insert(s, op);
				break;
			case STORE_CLAIM:
				rc = store_do_claim(s, op);
				break;
			case STORE_UPDATE:
				rc = store_do_update(s, op);
				break;
			case STORE_QUEUE_SET:
				rc = store_do_queue_set(s, op);
				break;
			case STORE_RETRY:
				rc = store_do_retry(s, op);
				break;
			case STORE_PURGE:
				rc = store_do_purge(s, op);
				break;
			default:
				continue;
			}
			/* Only SQLITE_FULL returns here: the rest is fatal. */
			if (rc != SQLITE_OK)
				failed = 1;
		}
		if (!failed && s->next_id != s->next_id_db) {
			st = s->st[ST_META_SET];
			if ((rc = sqlite3_bind_int64(st, 1, s->next_id)) !=
			    SQLITE_OK)
				store_reset(st);
			else
				rc = store_step_done(s, st);
			if (rc != SQLITE_OK) {
				store_write_failed(s, rc, "next_id");
				failed = 1;
			}
		}
		if (!failed) {
			rc = store_fault_commit != NULL ?
			    store_fault_commit() : SQLITE_OK;
			if (rc == SQLITE_OK)
				rc = store_step_done(s, s->st[ST_COMMIT]);
			if (rc != SQLITE_OK) {
				store_write_failed(s, rc, "commit");
				failed = 1;
			}
		}
		if (failed) {
			if (rc != SQLITE_OK && (rc & 0xff) == SQLITE_FULL)
				log_warnx("%s: disk full: %d write(s) not "
				    "saved", s->path, nwrites);
			if (!sqlite3_get_autocommit(s->db) &&
			    (rc = store_step_done(s, s->st[ST_ROLLBACK])) !=
			    SQLITE_OK)
				fatalx("%s: rollback: %s", s->path,
				    sqlite3_errstr(rc));
			/* Ids of the batch were never acknowledged. */
			s->next_id = s->next_id_db;
			for (op = batch; op != NULL; op = op->next) {
				if (!store_is_write(op))
					continue;
				store_op_release(op);
				op->status = JOBQ_ESTORAGE;
			}
		} else {
			s->next_id_db = s->next_id;
			for (op = batch; op != NULL; op = op->next)
				if (op->type == STORE_PURGE && op->status == 0)
					store_purge_unlink(s, op);
		}
	}

	for (op = batch; op != NULL; op = op->next) {
		switch (op->type) {
		case STORE_GET:
			store_do_get(s, op);
			break;
		case STORE_LIST:
			store_do_list(s, op);
			break;
		case STORE_LOOKUP:
			store_do_lookup(s, op);
			break;
		case STORE_ARRAY:
			store_do_array(s, op);
			break;
		case STORE_COUNTS:
			store_do_counts(s, op);
			break;
		case STORE_CHECKPOINT:
			store_do_checkpoint(s, op);
			break;
		default:
			if (!store_is_write(op))
				op->status = JOBQ_EINVAL;
			break;
		}
	}
	store_finish(s, batch, last);
}

/* Moves a processed batch to the done queue and wakes the loop. */
static void
store_finish(struct store *s, struct store_op *batch, struct store_op *last)
{
	int rc;

	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("store: pthread_mutex_lock failed");
	*s->done_tail = batch;
	s->done_tail = &last->next;
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("store: pthread_mutex_unlock failed");
	if (s->async_init && (rc = uv_async_send(&s->async)) != 0)
		fatalx("store: uv_async_send: %s", uv_strerror(rc));
}

/* Calls done() for everything in the done queue, in order, unlocked. */
static void
store_run_done(struct store *s)
{
	struct store_op *op, *next;

	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("store: pthread_mutex_lock failed");
	op = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("store: pthread_mutex_unlock failed");
	for (; op != NULL; op = next) {
		next = op->next;	/* done() may free op */
		op->next = NULL;
		op->done(op);
	}
}

static void
store_async_cb(uv_async_t *async)
{
	store_run_done(async->data);
}

static void
store_close_cb(uv_handle_t *h)
{
	store_free(h->data);
}

void
store_close(struct store *s)
{
	struct store_op *batch;
	sqlite3_stmt *st;
	int rc;

	if (s == NULL)
		return;
	if (s->started) {
		if (pthread_mutex_lock(&s->lock) != 0)
			fatalx("store: pthread_mutex_lock failed");
		s->stopping = 1;
		if (pthread_cond_signal(&s->cond) != 0)
			fatalx("store: pthread_cond_signal failed");
		if (pthread_mutex_unlock(&s->lock) != 0)
			fatalx("store: pthread_mutex_unlock failed");
		if ((rc = pthread_join(s->thread, NULL)) != 0)
			fatalx("store: pthread_join: %s", strerror(rc));
		s->started = 0;
	}

	/*
	 * The store thread is gone and this thread owns the database.  Ops
	 * still pending (never started, or submitted by a done() callback
	 * while closing) are run here, until no more come.
	 */
	for (;;) {
		store_run_done(s);
		if (pthread_mutex_lock(&s->lock) != 0)
			fatalx("store: pthread_mutex_lock failed");
		batch = s->pending;
		s->pending = NULL;
		s->pending_tail = &s->pending;
		if (pthread_mutex_unlock(&s->lock) != 0)
			fatalx("store: pthread_mutex_unlock failed");
		if (batch == NULL)
			break;
		store_batch(s, batch);
	}

	st = s->st[ST_CHECKPOINT];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	store_reset(st);
	if (rc != SQLITE_DONE)
		log_warnx("%s: checkpoint: %s", s->path,
		    sqlite3_errmsg(s->db));

	if (s->async_init) {
		/* store_free() runs from the close callback. */
		s->async.data = s;
		uv_close((uv_handle_t *)&s->async, store_close_cb);
	} else
		store_free(s);
}

void
store_op_release(struct store_op *op)
{
	size_t i;

	switch (op->type) {
	case STORE_CLAIM:
		store_strv_free(op->out.claim.argv);
		store_strv_free(op->out.claim.env);
		free(op->out.claim.cwd);
		break;
	case STORE_GET:
	case STORE_RETRY:
		store_job_free(op->out.job);
		break;
	case STORE_LIST:
		for (i = 0; i < op->out.list.n; i++)
			store_job_free(op->out.list.jobs[i]);
		free(op->out.list.jobs);
		break;
	case STORE_LOOKUP:
		for (i = 0; i < op->out.lookup.n; i++) {
			free(op->out.lookup.v[i].task_ids);
			free(op->out.lookup.v[i].task_states);
		}
		free(op->out.lookup.v);
		break;
	case STORE_ARRAY:
		free(op->out.array.task_ids);
		free(op->out.array.task_states);
		break;
	case STORE_COUNTS:
		free(op->out.counts.v);
		break;
	case STORE_PURGE:
		free(op->out.purge.ids);
		break;
	default:
		break;
	}
	memset(&op->out, 0, sizeof(op->out));
}
