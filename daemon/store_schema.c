/*
 * store_schema.c - opening the job store: the first look at the file, the
 * connection and its PRAGMAs, the migrations run (store_migrate.c), the
 * prepared statements (the store's SQL, all of it here) and the id
 * counter.  Runs on the thread that calls store_open().
 *
 * The schema and its migrations: store_migrate.c.
 *
 * Ids: jobs, tasks and arrays take their ids from one counter, so an array
 * id is never a job id, and an id is never used twice, even after its rows
 * were purged, or the database lost: store_next_id_floor() moves the
 * counter above the highest id jobqd found among the output files.  The store keeps the counter in memory (next_id), loaded
 * here as the largest of meta.next_id, max(jobs.id) + 1, max(arrays.id) +
 * 1 and sqlite_sequence + 1; each insert takes ids from it.  Nothing is
 * written back per commit (v7 wrote meta each time): every id handed out
 * is a jobs row inserted in the same transaction (an array's id is below
 * its tasks' ids, and an array has at least one task), jobs is
 * AUTOINCREMENT, so SQLite's own sqlite_sequence row, written with that
 * insert, already holds the highest id ever committed, also once the row
 * is purged.  meta.next_id is written only by store_next_id_floor().
 * An array with count tasks takes count + 1 consecutive ids: A for the
 * array, A + 1 .. A + count for its tasks, in index order.
 *
 * Statements of the store thread and of recovery are prepared once here
 * and reset after use, except LIST and PURGE, whose WHERE clause depends on
 * the filters given and which are prepared per op; one-time start-up SQL
 * (validation, PRAGMAs, migrations) is prepared or sqlite3_exec()'d where
 * it runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE 0
#endif
/* SQLite >= 3.31 refuses a symlink itself; before, the lstat() checks of
 * store_schema_check_file() are all there is. */
#ifndef SQLITE_OPEN_NOFOLLOW
#define SQLITE_OPEN_NOFOLLOW 0
#endif

/* The columns ST_INSERT and ST_INSERT_TASKS fill, ?1 .. ?19, then
 * array_id and array_index, then output_limit ?23, then the identity
 * ?24 .. ?26, then the resource limits ?27 .. ?33, then on_end ?34,
 * merge_output ?35 and env_id ?36 (see store_insert.c). */
#define STORE_INSERT_COLUMNS \
	"id, state, queue, name, owner_uid, argv, env, cwd, submitted_at, " \
	"max_retries, priority, not_before, timeout_ms, kill_grace_ms, " \
	"retry_delay_ms, unique_key, finished_at, reason, message, " \
	"array_id, array_index, output_limit, " \
	"submitter_uid, run_gid, umask, " \
	STORE_LIMITS_COLUMNS_BARE ", on_end, merge_output, env_id"
#define STORE_INSERT_TAIL_PARAMS \
	", ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36"

/* Rows 0 .. ?N - 1, for inserting the rows of an array in one statement. */
#define STORE_SERIES(n) \
	"WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t " \
	"WHERE i + 1 < " n ") "

/*
 * Every statement that writes jobs says OR FAIL.  A statement that fires
 * a trigger (counts_*, envs_gc*), or writes several rows, and may abort on
 * a constraint (OR ABORT, the default: every NOT NULL column) runs in a
 * statement transaction of its own: SQLite copies each page it touches to
 * a statement journal first, to undo that one statement.  That was a third
 * of the cost of an insert.  The store never needs it: a write that fails
 * rolls back the whole batch (SQLITE_FULL) or is fatal (store.c's failure
 * policy), so no transaction carries on after a failed statement.  The
 * triggers' own steps say OR FAIL too (schema v15, store_migrate.c), for
 * the DELETE of a purge, which cannot.
 */
static const char *const store_schema_sql[ST_COUNT] = {
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
	[ST_INSERT] = "INSERT OR FAIL INTO jobs (" STORE_INSERT_COLUMNS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, 0, 0, ?23, ?24, ?25, ?26"
	    STORE_INSERT_TAIL_PARAMS ")",
	/* Task i: id ?1 + 1 + i, index ?21 + i * ?22, of ?20 tasks. */
	[ST_INSERT_TASKS] = "INSERT OR FAIL INTO jobs (" STORE_INSERT_COLUMNS ") "
	    STORE_SERIES("?20")
	    "SELECT ?1 + 1 + i, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?1, ?21 + i * ?22, ?23, "
	    "?24, ?25, ?26" STORE_INSERT_TAIL_PARAMS " FROM t",
	[ST_INSERT_ARRAY] = "INSERT INTO arrays (id, first, step, count, "
	    "throttle, owner_uid, submitted_at, argv, env, cwd) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_INSERT_LABEL] = "INSERT INTO labels (job_id, label) "
	    "VALUES (?1, ?2)",
	[ST_INSERT_DEP] = "INSERT INTO deps (job_id, dep_id, mode) "
	    "VALUES (?1, ?2, ?3)",
	[ST_HISTORY_ADD] = "INSERT INTO history (job_id, at, uid, what, "
	    "detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_TASK_LABELS] = "INSERT INTO labels (job_id, label) "
	    STORE_SERIES("?3") "SELECT ?1 + 1 + i, ?2 FROM t",
	[ST_TASK_DEPS] = "INSERT INTO deps (job_id, dep_id, mode) "
	    STORE_SERIES("?4") "SELECT ?1 + 1 + i, ?2, ?3 FROM t",
	[ST_CLAIM_SELECT] = "SELECT j.state, coalesce(a.argv, j.argv), "
	    "coalesce(a.env, (SELECT env FROM envs WHERE id = j.env_id), "
	    "j.env), coalesce(a.cwd, j.cwd), j.array_id, "
	    "j.array_index, j.attempts, j.max_retries, j.output_limit, "
	    "j.claimed, j.owner_uid, j.run_gid, j.umask, " STORE_LIMITS_COLUMNS
	    ", j.merge_output FROM " STORE_JOB_FROM
	    " WHERE j.id = ?1",
	/* The state (?4) is JOB_EV_CLAIM's. */
	[ST_CLAIM_UPDATE] = "UPDATE OR FAIL jobs SET state = ?4, attempts = ?2, "
	    "started_at = ?3, finished_at = NULL, claimed = 1, "
	    "res_given = ?5, executor = ?6, slurm_id = NULL WHERE id = ?1",
	[ST_SLURM_ID] = "UPDATE OR FAIL jobs SET slurm_id = ?2 WHERE id = ?1 AND "
	    "state = 'running' AND executor = 'slurm' AND attempts = ?3",
	[ST_INSERT_RES] = "UPDATE OR FAIL jobs SET slots = ?3, res = ?4 "
	    "WHERE id BETWEEN ?1 AND ?2",
	[ST_UPDATE] = "UPDATE OR FAIL jobs SET state = ?2, "
	    "attempts = CASE WHEN ?3 < 0 THEN attempts ELSE ?3 END, "
	    "started_at = CASE WHEN ?4 = 0 THEN started_at ELSE ?4 END, "
	    "finished_at = CASE ?5 WHEN 0 THEN finished_at WHEN -1 THEN NULL "
	    "ELSE ?5 END, "
	    "exit_code = ?6, signal = ?7, pid = ?8, reason = ?9, "
	    "message = ?10, "
	    "not_before = CASE WHEN ?11 < 0 THEN not_before ELSE ?11 END, "
	    "res_given = CASE WHEN ?2 = 'queued' THEN NULL ELSE res_given END, "
	    /* the run's usage, with the same write (?15 NULL: unchanged) */
	    "mem_peak = CASE WHEN ?15 IS NULL THEN mem_peak ELSE ?12 END, "
	    "cpu_user_us = CASE WHEN ?15 IS NULL THEN cpu_user_us ELSE ?13 "
	    "END, "
	    "cpu_sys_us = CASE WHEN ?15 IS NULL THEN cpu_sys_us ELSE ?14 END, "
	    "usage_from = coalesce(?15, usage_from) "
	    "WHERE id = ?1",
	[ST_SET_PRIORITY] = "UPDATE OR FAIL jobs SET priority = ?2 WHERE id = ?1",
	[ST_SET_HELD] = "UPDATE OR FAIL jobs SET held = ?2 WHERE id = ?1 AND "
	    "state = 'queued' AND held != ?2",
	/* A run's start: no indexed column, no trigger. */
	[ST_SET_STARTED] = "UPDATE OR FAIL jobs SET started_at = ?2, "
	    "pid = coalesce(?3, pid) WHERE id = ?1",
	[ST_GET] = "SELECT " STORE_JOB_COLUMNS " FROM " STORE_JOB_FROM
	    " WHERE j.id = ?1",
	[ST_GET_INDEX] = "SELECT " STORE_JOB_COLUMNS " FROM " STORE_JOB_FROM
	    " WHERE j.array_id = ?1 AND j.array_id != 0 AND "
	    "j.array_index = ?2 ORDER BY j.id LIMIT 1",
	[ST_JOB_STATE] = "SELECT state, owner_uid FROM jobs WHERE id = ?1",
	[ST_ARRAY_ROW] = "SELECT first, step, count, throttle, owner_uid FROM arrays "
	    "WHERE id = ?1",
	/* Index order is id order: ids were given in index order. */
	[ST_ARRAY_TASKS] = "SELECT id, state FROM jobs WHERE array_id = ?1 "
	    "AND array_id != 0 ORDER BY array_index, id",
	[ST_QUEUE_ADD] = "INSERT OR IGNORE INTO queues (name, parallel, "
	    "paused) VALUES (?1, 0, 0)",
	[ST_QUEUE_UPDATE] = "UPDATE queues SET "
	    "parallel = CASE WHEN ?2 < 0 THEN parallel ELSE ?2 END, "
	    "paused = CASE WHEN ?3 < 0 THEN paused ELSE ?3 != 0 END, "
	    "executor = CASE WHEN ?4 THEN ?5 ELSE executor END "
	    "WHERE name = ?1",
	[ST_QUEUES] = "SELECT name, parallel, paused, executor FROM queues "
	    "ORDER BY name",
	/* The counts table, kept by triggers (schema v8): no scan of jobs. */
	[ST_COUNTS] = "SELECT queue, state, n FROM counts WHERE n > 0 "
	    "ORDER BY queue",
	[ST_ENDED_COUNT] = "SELECT coalesce(sum(n), 0) FROM counts WHERE "
	    STORE_ENDED,
	/* State and attempts (?2, ?3) are JOB_EV_RETRY's. */
	[ST_RETRY_UPDATE] = "UPDATE OR FAIL jobs SET state = ?2, attempts = ?3, "
	    "started_at = NULL, finished_at = NULL, exit_code = NULL, "
	    "signal = NULL, pid = NULL, reason = NULL, message = NULL, "
	    "not_before = 0, held = 0, res_given = NULL WHERE id = ?1",
	[ST_RETRY_DEPS] = "DELETE FROM deps WHERE job_id = ?1",
	[ST_PURGE_CLEAR] = "DELETE FROM temp.purge_ids",
	[ST_PURGE_IDS] = "SELECT p.id, j.owner_uid FROM temp.purge_ids p "
	    "JOIN main.jobs j ON j.id = p.id ORDER BY p.id",
	[ST_PURGE_LABELS] = "DELETE FROM labels WHERE job_id IN "
	    "(SELECT id FROM temp.purge_ids)",
	[ST_PURGE_DEPS] = "DELETE FROM deps WHERE job_id IN "
	    "(SELECT id FROM temp.purge_ids)",
	[ST_PURGE_HISTORY] = "DELETE FROM history WHERE job_id IN "
	    "(SELECT id FROM temp.purge_ids)",
	[ST_PURGE_JOBS] = "DELETE FROM jobs WHERE id IN "
	    "(SELECT id FROM temp.purge_ids)",
	/* Arrays whose last task went (run after ST_PURGE_JOBS). */
	[ST_PURGE_ARRAYS] = "DELETE FROM arrays WHERE NOT EXISTS (SELECT 1 "
	    "FROM jobs WHERE jobs.array_id = arrays.id AND "
	    "jobs.array_id != 0)",
	[ST_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
	[ST_RUNNING] = "SELECT id, attempts, max_retries, retry_delay_ms "
	    "FROM jobs WHERE state = 'running' AND executor IS NULL "
	    "ORDER BY id",
	[ST_RECOVER] = "UPDATE OR FAIL jobs SET state = ?2, finished_at = ?3, "
	    "pid = NULL, reason = ?4, "
	    "not_before = CASE WHEN ?5 < 0 THEN not_before ELSE ?5 END, "
	    "res_given = CASE WHEN ?2 = 'queued' THEN NULL ELSE res_given END "
	    "WHERE id = ?1",
	[ST_RECOVER_UNCLAIM] = "UPDATE OR FAIL jobs SET state = 'queued', "
	    "attempts = ?3, pid = NULL, res_given = NULL "
	    "WHERE id = ?1 AND state = 'running' AND attempts = ?2 AND "
	    "executor IS NULL",
	[ST_QUEUED] = "SELECT j.id, j.queue, j.attempts, j.max_retries, "
	    "j.submitted_at, j.owner_uid, j.priority, j.not_before, "
	    "j.timeout_ms, j.kill_grace_ms, j.retry_delay_ms, j.array_id, "
	    "j.array_index, coalesce(a.throttle, 0), j.on_end IS NOT NULL, "
	    "j.held, j.slots, j.res FROM " STORE_JOB_FROM
	    " WHERE j.state = 'queued' ORDER BY j.id",
	/* Runs on Slurm survive a restart of jobqd: the columns of
	 * ST_QUEUED, then the Slurm id and the start of the run. */
	[ST_ADOPT] = "SELECT j.id, j.queue, j.attempts, j.max_retries, "
	    "j.submitted_at, j.owner_uid, j.priority, j.not_before, "
	    "j.timeout_ms, j.kill_grace_ms, j.retry_delay_ms, j.array_id, "
	    "j.array_index, coalesce(a.throttle, 0), j.on_end IS NOT NULL, "
	    "j.held, j.slots, j.res, coalesce(j.slurm_id, 0), "
	    "coalesce(j.started_at, 0) FROM " STORE_JOB_FROM
	    " WHERE j.state = 'running' AND j.executor = 'slurm' ORDER BY j.id",
	/* One pass over the dependencies in job id order (deps_job), each
	 * one's job kept if queued (jobs_state), the dependency's state
	 * through the primary key.  deps drives (CROSS JOIN): the pass costs
	 * the dependencies, not the queued jobs (a million queued without a
	 * dependency: a million probes of deps_job otherwise). */
	[ST_QUEUED_DEPS] = "SELECT d.job_id, d.dep_id, d.mode, dj.state "
	    "FROM deps d CROSS JOIN jobs j ON j.id = d.job_id "
	    "LEFT JOIN jobs dj ON dj.id = d.dep_id "
	    "WHERE j.state = 'queued' ORDER BY d.job_id",
	/* What a run used (cgroup.h), recorded with its end. */
	/* Schedules (store_schedule.c). */
	[ST_SCHED_ADD] = "INSERT INTO schedules (name, owner_uid, cron, "
	    "every_ms, anchor, tz, at_start, overlap, catch_up, job, paused, "
	    "created_at, next_fire) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13)",
	[ST_SCHED_REMOVE] = "DELETE FROM schedules WHERE id = ?1",
	[ST_SCHED_PAUSE] = "UPDATE schedules SET paused = ?2, next_fire = ?3 "
	    "WHERE id = ?1",
	/* A step without a job: misses and skips counted, next_fire moved
	 * (?3 < 0: last_fire unchanged; ?6 != 0: last_skip). */
	[ST_SCHED_ADVANCE] = "UPDATE schedules SET "
	    "last_fire = CASE WHEN ?2 < 0 THEN last_fire ELSE ?2 END, "
	    "next_fire = ?3, misses = misses + ?4, skips = skips + ?5, "
	    "last_skip = CASE WHEN ?6 = 0 THEN last_skip ELSE ?6 END "
	    "WHERE id = ?1",
	/* A fire: with the job's INSERT (?3 < 0: next_fire unchanged, a
	 * run-now). */
	[ST_SCHED_FIRED] = "UPDATE schedules SET last_fire = ?2, "
	    "next_fire = CASE WHEN ?3 < 0 THEN next_fire ELSE ?3 END, "
	    "runs = runs + 1, misses = misses + ?4, last_job = ?5 "
	    "WHERE id = ?1",
	[ST_SCHED_JOB] = "UPDATE OR FAIL jobs SET schedule = ?2 WHERE id = ?1",
	[ST_ENV_FIND] = "SELECT id FROM envs WHERE hash = ?1 AND env = ?2 "
	    "LIMIT 1",
	[ST_ENV_ADD] = "INSERT INTO envs (hash, env) VALUES (?1, ?2)",
	[ST_SCHED_ALL] = "SELECT id, name, owner_uid, cron, every_ms, anchor, "
	    "tz, at_start, overlap, catch_up, job, paused, created_at, "
	    "last_fire, next_fire, runs, skips, misses, last_skip, last_job "
	    "FROM schedules ORDER BY id",
};

static void	store_schema_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
store_schema_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
store_schema_exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		store_schema_errf(err, errlen, "%s: %s", s->path,
		    msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return (store_code(rc));
	}
	return (0);
}

/* Reads a one-row integer PRAGMA (the statement is used once only); an
 * SQLite code. */
static int
store_schema_pragma_int(sqlite3 *db, const char *sql, int64_t *v)
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
store_schema_validate(sqlite3 *db, const char *path, int64_t *version,
    char *err, size_t errlen)
{
	int64_t appid = 0, uv = 0, tables = 0;
	int rc;

	rc = store_schema_pragma_int(db, "PRAGMA application_id", &appid);
	if (rc == SQLITE_OK)
		rc = store_schema_pragma_int(db, "PRAGMA user_version", &uv);
	if (rc == SQLITE_OK)
		rc = store_schema_pragma_int(db,
		    "SELECT count(*) FROM sqlite_master", &tables);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		store_schema_errf(err, errlen,
		    "%s: not a jobq database (not an SQLite file)", path);
		return (JOBQ_EINVAL);
	}
	if (rc != SQLITE_OK) {
		store_schema_errf(err, errlen, "%s: cannot read database: %s",
		    path, sqlite3_errmsg(db));
		return (store_code(rc));
	}
	if (appid != STORE_APP_ID && (appid != 0 || tables != 0 || uv != 0)) {
		store_schema_errf(err, errlen, "%s: not a jobq database "
		    "(application_id 0x%08" PRIx32 ", expected 0x%08x, "
		    "%" PRId64 " schema objects)", path, (uint32_t)appid,
		    STORE_APP_ID, tables);
		return (JOBQ_EINVAL);
	}
	if (uv > STORE_SCHEMA_VERSION) {
		store_schema_errf(err, errlen, "%s: written by a newer jobqd "
		    "(schema %" PRId64 ", this one knows %d)", path, uv,
		    STORE_SCHEMA_VERSION);
		return (JOBQ_EVERSION);
	}
	if (uv < 0) {
		store_schema_errf(err, errlen, "%s: not a jobq database "
		    "(user_version %" PRId64 ")", path, uv);
		return (JOBQ_EINVAL);
	}
	*version = uv;
	return (0);
}

/* "file:PATH?QUERY" with the bytes URIs reserve %-escaped; NULL if out of
 * memory or absurdly long. */
static char *
store_schema_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *uri, *u;
	size_t len;

	len = strlen(path);
	if (len > (SIZE_MAX - 32 - strlen(query)) / 3 ||
	    (uri = malloc(len * 3 + strlen(query) + 8)) == NULL)
		return (NULL);
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
	*u++ = '?';
	memcpy(u, query, strlen(query) + 1);
	return (uri);
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
store_schema_validate_file(const char *path, int immutable, char *err,
    size_t errlen)
{
	sqlite3 *db = NULL;
	char *uri;
	int64_t version;
	int rc, ret;

	if ((uri = store_schema_uri(path, immutable ? "immutable=1" :
	    "mode=ro")) == NULL) {
		store_schema_errf(err, errlen, "%s: out of memory", path);
		return (JOBQ_ENOMEM);
	}
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		store_schema_errf(err, errlen, "%s: cannot open database: %s",
		    path, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = store_code(rc);
	} else
		ret = store_schema_validate(db, path, &version, err, errlen);
	rc = sqlite3_close(db);
	JQ_ASSERT(rc == SQLITE_OK);
	return (ret);
}

/* Refuses path + suffix (the database, its -wal or -shm) when it is there
 * and not a regular file: a symbolic link in particular, which would send
 * the daemon's writes elsewhere.  0, or JOBQ_EINVAL with a message. */
static int
store_schema_check_link(const char *path, const char *suffix, char *err,
    size_t errlen)
{
	char p[PATH_MAX + 8];
	struct stat sb;

	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) >=
	    sizeof(p) || lstat(p, &sb) != 0 || S_ISREG(sb.st_mode))
		return (0);
	store_schema_errf(err, errlen, "%s: %s; refusing to use it", p,
	    S_ISLNK(sb.st_mode) ? "a symbolic link" : "not a regular file");
	return (JOBQ_EINVAL);
}

/*
 * Looks at path before anything may change it: *exists tells whether it
 * is there; it, its -wal and its -shm must not be symbolic links (nor
 * anything but regular files); an existing non-empty file must be a jobq
 * database (read through its WAL if the immutable look fails and a -wal is
 * there).
 */
static int
store_schema_check_file(const char *path, int *exists, char *err,
    size_t errlen)
{
	char wal[PATH_MAX + 8];
	struct stat sb;
	int ret;

	*exists = 0;
	if ((ret = store_schema_check_link(path, "-wal", err, errlen)) != 0 ||
	    (ret = store_schema_check_link(path, "-shm", err, errlen)) != 0)
		return (ret);
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return (0);
		store_schema_errf(err, errlen, "%s: %s", path,
		    strerror(errno));
		return (JOBQ_ESTORAGE);
	}
	*exists = 1;
	if ((ret = store_schema_check_link(path, "", err, errlen)) != 0)
		return (ret);
	if (sb.st_size == 0 ||
	    (ret = store_schema_validate_file(path, 1, err, errlen)) == 0)
		return (0);
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >=
	    sizeof(wal) || lstat(wal, &sb) != 0 || !S_ISREG(sb.st_mode))
		return (ret);
	if ((ret = store_schema_validate_file(path, 0, err, errlen)) != 0)
		return (ret);
	log_info("%s: read through its WAL (jobqd stopped during a "
	    "checkpoint)", path);
	return (0);
}

/*
 * Creates the file here rather than in SQLite: the error is then precise,
 * and the file (jobs' environments may hold secrets) is private; SQLite
 * gives -wal/-shm the same mode.  *created tells whether this call made it
 * (someone else may have in the meantime).
 */
static int
store_schema_create_file(const char *path, int *created, char *err,
    size_t errlen)
{
	int fd;

	*created = 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return (0);
		store_schema_errf(err, errlen, "%s: cannot create database: "
		    "%s", path, strerror(errno));
		return (JOBQ_ESTORAGE);
	}
	if (close(fd) == -1) {
		store_schema_errf(err, errlen, "%s: %s", path,
		    strerror(errno));
		(void)unlink(path);
		return (JOBQ_ESTORAGE);
	}
	*created = 1;
	return (0);
}

/* Opens the read-write connection s->db. */
static int
store_schema_connect(struct store *s, int exists, char *err, size_t errlen)
{
	const char *verb = exists ? "open" : "create";
	int flags, rc, sys;

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOFOLLOW;
	if (!exists)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc == SQLITE_OK)
		return (0);
	sys = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
	if (sys != 0)
		store_schema_errf(err, errlen, "%s: cannot %s database: %s "
		    "(%s)", s->path, verb, sqlite3_errmsg(s->db),
		    strerror(sys));
	else
		store_schema_errf(err, errlen, "%s: cannot %s database: %s",
		    s->path, verb, s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc));
	return (store_code(rc));
}

/* journal_mode = WAL, synchronous, the busy timeout. */
static int
store_schema_pragmas(struct store *s, int sync_full, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	const char *mode;
	int rc, ret;

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
		store_schema_errf(err, errlen, "%s: cannot switch the "
		    "database to WAL mode%s%s", s->path,
		    rc == SQLITE_CANTOPEN ? "" : ": ",
		    rc == SQLITE_CANTOPEN ? "" : sqlite3_errmsg(s->db));
		return (JOBQ_ESTORAGE);
	}
	if ((ret = store_schema_exec(s, sync_full ?
	    "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", err,
	    errlen)) != 0)
		return (ret);
	if ((rc = sqlite3_busy_timeout(s->db, 5000)) != SQLITE_OK) {
		store_schema_errf(err, errlen, "%s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return (store_code(rc));
	}
	return (0);
}

/* PURGE's id set, then every statement of store_schema_sql. */
static int
store_schema_prepare(struct store *s, char *err, size_t errlen)
{
	int i, rc, ret;

	/* The id set: per connection, in memory, never in the file. */
	if ((ret = store_schema_exec(s, "PRAGMA temp_store = MEMORY; "
	    "CREATE TEMP TABLE purge_ids (id INTEGER PRIMARY KEY)", err,
	    errlen)) != 0)
		return (ret);
	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, store_schema_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			store_schema_errf(err, errlen, "%s: %s", s->path,
			    sqlite3_errmsg(s->db));
			return (store_code(rc));
		}
	}
	return (0);
}

/* Loads the id counter (after the migrations). */
static int
store_schema_next_id(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->st[ST_NEXT_ID];
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		s->next_id = sqlite3_column_int64(st, 0);
	store_reset(st);
	if (rc != SQLITE_ROW) {
		store_schema_errf(err, errlen, "%s: cannot read the id "
		    "counter: %s", s->path, sqlite3_errmsg(s->db));
		return (store_code(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc));
	}
	if (s->next_id < 1)
		s->next_id = 1;
	s->next_id_db = s->next_id;
	return (0);
}

int
store_next_id_floor(struct store *s, int64_t above, int64_t *was)
{
	int rc;

	if (s->next_id >= above)
		return (0);
	*was = s->next_id;
	s->next_id = s->next_id_db = above;
	/* Kept at once (a full disk: by the first insert's batch). */
	if ((rc = store_run(s, ST_META_SET, STORE_ARGS(STORE_INT(above)))) !=
	    SQLITE_OK)
		log_warnx("%s: cannot save the id counter now: %s", s->path,
		    sqlite3_errstr(rc));
	return (1);
}

int
store_job_owners(struct store *s, const int64_t *ids, size_t n,
    int64_t *uids)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_OK;

	if (sqlite3_prepare_v2(s->db, "SELECT owner_uid FROM jobs WHERE "
	    "id = ?1", -1, &st, NULL) != SQLITE_OK)
		return (store_code(sqlite3_errcode(s->db)));
	for (i = 0; i < n; i++) {
		uids[i] = -1;
		(void)sqlite3_bind_int64(st, 1, ids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			uids[i] = sqlite3_column_int64(st, 0);
		(void)sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(st);
	return (rc == SQLITE_OK ? 0 : store_code(rc));
}

/* Undoes a failed open: statements and connection (before an unlink). */
static void
store_schema_close(struct store *s)
{
	int i, rc;

	for (i = 0; i < ST_COUNT; i++) {
		(void)sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	if (s->db != NULL) {
		rc = sqlite3_close(s->db);
		JQ_ASSERT(rc == SQLITE_OK);
		s->db = NULL;
	}
}

/*
 * store_open()'s work on the new handle s (s->path is path): everything
 * but the handle's own fields.  On failure the database is closed again,
 * a file this call created is removed, and err holds a message.
 */
int
store_schema_open(struct store *s, const char *path, int sync_full,
    char *err, size_t errlen)
{
	int64_t version = 0;
	int exists, created = 0, ret;

	if ((ret = store_schema_check_file(path, &exists, err, errlen)) != 0)
		return (ret);
	if (!exists &&
	    (ret = store_schema_create_file(path, &created, err, errlen)) != 0)
		return (ret);
	if ((ret = store_schema_connect(s, exists, err, errlen)) != 0)
		goto fail;
	/*
	 * Look (again) through the real connection: it sees a WAL, and a
	 * file that appeared since the first look.  Reading changes nothing.
	 */
	if ((ret = store_schema_validate(s->db, path, &version, err,
	    errlen)) != 0)
		goto fail;
	/* From here on the database may change. */
	if ((ret = store_schema_pragmas(s, sync_full, err, errlen)) != 0 ||
	    (ret = store_migrate(s, version, err, errlen)) != 0 ||
	    (ret = store_schema_prepare(s, err, errlen)) != 0 ||
	    (ret = store_schema_next_id(s, err, errlen)) != 0)
		goto fail;
	return (0);

fail:
	store_schema_close(s);
	if (created)
		(void)unlink(path);
	return (ret);
}
