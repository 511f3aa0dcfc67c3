/*
 * store_schema.c - opening the job store: the first look at the file, the
 * connection and its PRAGMAs, schema creation and migrations, the prepared
 * statements (the store's SQL, all of it here next to the schema it speaks
 * to) and the id counter.  Runs on the thread that calls store_open().
 *
 * Schema (version STORE_SCHEMA_VERSION):
 *   jobs    one row per job and per array task: state, spec, outcome,
 *           scheduling fields (priority, not_before, timeout_ms,
 *           kill_grace_ms, retry_delay_ms, unique_key) and, for a task,
 *           array_id / array_index; output_limit (bytes, 0: the daemon's)
 *           and claimed (1 once a claim of the job committed: output
 *           files LOGS/ID.* that exist are then its own, and a run
 *           appends to them; 0: its first run creates them, O_EXCL).
 *           Identity: the job runs as owner_uid, with run_gid (NULL:
 *           the owner's primary group) and umask; submitter_uid is who
 *           submitted it (NULL in older rows: the owner).  The resource
 *           limits in force, lim_mem .. lim_cpus (NULL: not set; a task
 *           has its array's).  on_end: the command of its end hook
 *           (submit --on-end; NULL: none; hook.h).  merge_output: 1 when
 *           its stderr goes to its stdout file (submit --merge-output).
 *           A task's argv, env and cwd columns
 *           are '': the task shares its array's (arrays.argv/env/cwd), so a
 *           100,000-task array stores its environment once.  A job's
 *           environment is the envs row env_id (v14; its env column is
 *           ''); an empty one, and a row's from before v14, is in env,
 *           env_id NULL.
 *   envs    (id, hash, env) one row per distinct environment of the jobs
 *           in the table (store_env.c): env its JSON text, hash the
 *           FNV-1a of its strings (index envs_hash); the triggers
 *           envs_gc and envs_gc_edit delete a row with its last job
 *           (index jobs_env, partial: env_id IS NOT NULL).
 *   labels  (job_id, label) one row per "K=V" label, in submit order.
 *   deps    (job_id, dep_id, mode) one row per dependency (mode is a
 *           jobq_dep_mode); a task has its own rows.
 *   arrays  one row per array: first, step, count, throttle, owner_uid,
 *           submitted_at and the tasks' shared argv/env/cwd.
 *   queues  settings of queues set by queue_set (parallel, paused,
 *           executor: the canonical JSON text of the queue's executor,
 *           lib/proto_exec.c; NULL: local).
 *   meta    ('next_id', N): a floor of the id counter (see Ids).
 *   history (job_id, at, uid, what, detail): holds, releases, edits and
 *           the other changes made by hand (store_history.c), deleted
 *           with the job by a purge.
 *   counts  (queue, state, n): how many rows of jobs have that queue and
 *           state, kept by the triggers counts_insert, counts_update and
 *           counts_delete in the transaction that changes jobs, so it is
 *           exact at every commit and after any crash; rows whose n fell
 *           to 0 stay (STORE_COUNTS skips them).  stats, queue list and
 *           retention read it instead of scanning jobs.
 * Indexes of jobs (v8): jobs_state (state, id: recovery, lists by state),
 * jobs_queue (queue, id), jobs_unique, jobs_array, jobs_name (partial: only
 * named jobs), jobs_ended (finished_at, id) WHERE STORE_ENDED (partial:
 * retention and purge, oldest first; queued and running rows are not in
 * it, so a claim writes no entry there).  Each index is a page written by
 * a commit that touches its key: v7 had jobs_queue_state (only for the
 * counts' GROUP BY) and full jobs_name / jobs_finished indexes, and wrote
 * meta on every commit that took ids.
 * Migrations run in order from the file's user_version, each in its own
 * transaction together with the new user_version: 0 -> 1 creates the v1
 * jobs table, 1 -> 2 adds the columns (with their defaults) and the new
 * tables in place, keeping every row; 2 -> 3 adds output_limit and
 * claimed, the latter set for every job already there (whose output files
 * may exist: a later run appends to them); 3 -> 4 adds submitter_uid (NULL:
 * the owner), run_gid (NULL: the owner's primary group at run time) and
 * umask (022 for the rows already there); 4 -> 5 adds the resource limits
 * lim_mem, lim_cpu_time, lim_nofile, lim_nproc, lim_core, lim_nice (NULL:
 * not set; a job stored before has none); 5 -> 6 adds mem_peak (bytes),
 * cpu_user_us, cpu_sys_us and usage_from ("cgroup", "cgroup-cpu",
 * "rusage"): what the job's last ended run used, NULL before one ended;
 * 6 -> 7 adds lim_cpus (milli-CPUs, NULL: not set), the last of the
 * resource limits columns (STORE_LIMITS_COLUMNS); 7 -> 8 replaces the
 * indexes as above and creates counts (filled by one GROUP BY) and its
 * triggers; 8 -> 9 adds on_end (the job's end hook, NULL: none) and
 * merge_output (0 for the rows already there); 9 -> 10 adds jobs.held (1:
 * a queued job on hold; 0 for the rows already there) and the history
 * table with its index history_job; 10 -> 11 adds the schedules table
 * (store_schedule.c: one row per recurring schedule, unique per owner and
 * name: its timing, its job template, paused, its counters and where it
 * stands: last_fire, next_fire; `jobq schedule`) and jobs.schedule (the
 * name of the schedule that submitted the job, NULL: none) with its
 * partial index jobs_schedule; 11 -> 12 adds jobs.slots (worker slots the
 * job occupies, 1 for the rows already there), jobs.res (the resources it
 * asks, "gpu=2,license=1" as submitted; NULL: none) and jobs.res_given (the
 * instances its claim was given, "gpu=1,3;license=0", written in the
 * claim's transaction; NULL while queued: a retry, an unclaim and recovery
 * clear it; an ended job keeps its last run's); 12 -> 13 adds
 * queues.executor (the queue's executor as the canonical JSON text of
 * proto_exec_text, NULL: local; `jobq queue set --executor`),
 * jobs.slurm_id (the Slurm job id of the job's current or last run on
 * Slurm, NULL: none) and jobs.executor ('slurm' when the claim of its run
 * sent it to Slurm, NULL: local), all NULL for the rows already there;
 * 13 -> 14 adds envs with its index and triggers, jobs.env_id and the
 * index jobs_env (the rows already there keep their env, env_id NULL).
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
	[ST_INSERT] = "INSERT INTO jobs (" STORE_INSERT_COLUMNS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	    "?15, ?16, ?17, ?18, ?19, 0, 0, ?23, ?24, ?25, ?26"
	    STORE_INSERT_TAIL_PARAMS ")",
	/* Task i: id ?1 + 1 + i, index ?21 + i * ?22, of ?20 tasks. */
	[ST_INSERT_TASKS] = "INSERT INTO jobs (" STORE_INSERT_COLUMNS ") "
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
	[ST_CLAIM_UPDATE] = "UPDATE jobs SET state = ?4, attempts = ?2, "
	    "started_at = ?3, finished_at = NULL, claimed = 1, "
	    "res_given = ?5, executor = ?6, slurm_id = NULL WHERE id = ?1",
	[ST_SLURM_ID] = "UPDATE jobs SET slurm_id = ?2 WHERE id = ?1 AND "
	    "state = 'running' AND executor = 'slurm' AND attempts = ?3",
	[ST_INSERT_RES] = "UPDATE jobs SET slots = ?3, res = ?4 "
	    "WHERE id BETWEEN ?1 AND ?2",
	[ST_UPDATE] = "UPDATE jobs SET state = ?2, "
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
	[ST_SET_PRIORITY] = "UPDATE jobs SET priority = ?2 WHERE id = ?1",
	/* A run's start: no indexed column, no trigger. */
	[ST_SET_STARTED] = "UPDATE jobs SET started_at = ?2, "
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
	[ST_RETRY_UPDATE] = "UPDATE jobs SET state = ?2, attempts = ?3, "
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
	[ST_RECOVER] = "UPDATE jobs SET state = ?2, finished_at = ?3, "
	    "pid = NULL, reason = ?4, "
	    "not_before = CASE WHEN ?5 < 0 THEN not_before ELSE ?5 END, "
	    "res_given = CASE WHEN ?2 = 'queued' THEN NULL ELSE res_given END "
	    "WHERE id = ?1",
	[ST_RECOVER_UNCLAIM] = "UPDATE jobs SET state = 'queued', "
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
	[ST_SCHED_JOB] = "UPDATE jobs SET schedule = ?2 WHERE id = ?1",
	[ST_ENV_FIND] = "SELECT id FROM envs WHERE hash = ?1 AND env = ?2 "
	    "LIMIT 1",
	[ST_ENV_ADD] = "INSERT INTO envs (hash, env) VALUES (?1, ?2)",
	[ST_SCHED_ALL] = "SELECT id, name, owner_uid, cron, every_ms, anchor, "
	    "tz, at_start, overlap, catch_up, job, paused, created_at, "
	    "last_fire, next_fire, runs, skips, misses, last_skip, last_job "
	    "FROM schedules ORDER BY id",
};

/*
 * Schema migrations: store_schema_migrations[v] takes user_version v to v + 1, in
 * one transaction together with the user_version and application_id update.
 * (SQL understood by SQLite 3.22, configure's minimum.)
 */
static const char *const store_schema_migrations[STORE_SCHEMA_VERSION] = {
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

	/* 2 -> 3: output limits, first runs */
	"ALTER TABLE jobs ADD COLUMN output_limit INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0;"
	"UPDATE jobs SET claimed = 1;",

	/* 3 -> 4: identity (who submitted; the job's group, NULL: the
	 * owner's primary group; its umask) */
	"ALTER TABLE jobs ADD COLUMN submitter_uid INTEGER;"
	"ALTER TABLE jobs ADD COLUMN run_gid INTEGER;"
	"ALTER TABLE jobs ADD COLUMN umask INTEGER NOT NULL DEFAULT 18;",
	/* 4 -> 5: resource limits (NULL: not set) */
	"ALTER TABLE jobs ADD COLUMN lim_mem INTEGER;"
	"ALTER TABLE jobs ADD COLUMN lim_cpu_time INTEGER;"
	"ALTER TABLE jobs ADD COLUMN lim_nofile INTEGER;"
	"ALTER TABLE jobs ADD COLUMN lim_nproc INTEGER;"
	"ALTER TABLE jobs ADD COLUMN lim_core INTEGER;"
	"ALTER TABLE jobs ADD COLUMN lim_nice INTEGER;",
	/* 5 -> 6: what the last run used (peak memory, CPU time) */
	"ALTER TABLE jobs ADD COLUMN mem_peak INTEGER;"
	"ALTER TABLE jobs ADD COLUMN cpu_user_us INTEGER;"
	"ALTER TABLE jobs ADD COLUMN cpu_sys_us INTEGER;"
	"ALTER TABLE jobs ADD COLUMN usage_from TEXT;",
	/* 6 -> 7: the CPU bandwidth limit (milli-CPUs; NULL: not set) */
	"ALTER TABLE jobs ADD COLUMN lim_cpus INTEGER;",
	/* 7 -> 8: fewer pages per commit, counts kept by triggers */
	"DROP INDEX jobs_queue_state;"
	"DROP INDEX jobs_finished;"
	"DROP INDEX jobs_name;"
	"CREATE INDEX jobs_name ON jobs(name) WHERE name IS NOT NULL;"
	"CREATE INDEX jobs_ended ON jobs(finished_at, id) WHERE "
	STORE_ENDED ";"
	"CREATE TABLE counts ("
	" queue TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY (queue, state)) WITHOUT ROWID;"
	"INSERT INTO counts (queue, state, n) "
	" SELECT queue, state, count(*) FROM jobs GROUP BY queue, state;"
	"CREATE TRIGGER counts_insert AFTER INSERT ON jobs BEGIN"
	" INSERT OR IGNORE INTO counts (queue, state, n)"
	"  VALUES (new.queue, new.state, 0);"
	" UPDATE counts SET n = n + 1"
	"  WHERE queue = new.queue AND state = new.state;"
	" END;"
	"CREATE TRIGGER counts_update AFTER UPDATE OF state, queue ON jobs"
	" WHEN old.state IS NOT new.state OR old.queue IS NOT new.queue BEGIN"
	" UPDATE counts SET n = n - 1"
	"  WHERE queue = old.queue AND state = old.state;"
	" INSERT OR IGNORE INTO counts (queue, state, n)"
	"  VALUES (new.queue, new.state, 0);"
	" UPDATE counts SET n = n + 1"
	"  WHERE queue = new.queue AND state = new.state;"
	" END;"
	"CREATE TRIGGER counts_delete AFTER DELETE ON jobs BEGIN"
	" UPDATE counts SET n = n - 1"
	"  WHERE queue = old.queue AND state = old.state;"
	" END;",

	/* 8 -> 9: the job's own end hook (submit --on-end), merged output
	 * (submit --merge-output) */
	"ALTER TABLE jobs ADD COLUMN on_end TEXT;"
	"ALTER TABLE jobs ADD COLUMN merge_output INTEGER NOT NULL DEFAULT 0;",

	/* 9 -> 10: holds (a queued job's flag) and the job history
	 * (store_history.c) */
	"ALTER TABLE jobs ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE history ("
	" job_id INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" what TEXT NOT NULL,"
	" detail TEXT);"
	"CREATE INDEX history_job ON history(job_id, at);",

	/* 10 -> 11: recurring schedules (store_schedule.c) and the job's
	 * schedule */
	"CREATE TABLE schedules ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL,"
	" owner_uid INTEGER NOT NULL,"
	" cron TEXT,"			/* NULL: every_ms */
	" every_ms INTEGER NOT NULL DEFAULT 0,"
	" anchor INTEGER NOT NULL DEFAULT 0,"	/* ms: every's k = 0 */
	" tz TEXT,"			/* NULL: jobqd's local zone */
	" at_start INTEGER NOT NULL DEFAULT 0,"
	" overlap INTEGER NOT NULL DEFAULT 0,"	/* schedule_overlap_mode */
	" catch_up INTEGER NOT NULL DEFAULT 1,"	/* schedule_catchup_mode */
	" job TEXT NOT NULL,"		/* the job template: submit JSON */
	" paused INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" last_fire INTEGER NOT NULL DEFAULT 0,"
	" next_fire INTEGER NOT NULL DEFAULT 0,"
	" runs INTEGER NOT NULL DEFAULT 0,"
	" skips INTEGER NOT NULL DEFAULT 0,"
	" misses INTEGER NOT NULL DEFAULT 0,"
	" last_skip INTEGER NOT NULL DEFAULT 0,"
	" last_job INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (owner_uid, name));"
	"ALTER TABLE jobs ADD COLUMN schedule TEXT;"
	"CREATE INDEX jobs_schedule ON jobs(schedule) "
	" WHERE schedule IS NOT NULL;",
	/* 11 -> 12: slots and named resources (sched_res.c): what a job
	 * asks (slots, res) and what its current or last run was given */
	"ALTER TABLE jobs ADD COLUMN slots INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE jobs ADD COLUMN res TEXT;"
	"ALTER TABLE jobs ADD COLUMN res_given TEXT;",
	/* 12 -> 13: executors (issue 13): the queue's, and where a job's
	 * current or last run went (Slurm) */
	"ALTER TABLE queues ADD COLUMN executor TEXT;"
	"ALTER TABLE jobs ADD COLUMN slurm_id INTEGER;"
	"ALTER TABLE jobs ADD COLUMN executor TEXT;",
	/* 13 -> 14: environments stored once (store_env.c) */
	"CREATE TABLE envs ("
	" id INTEGER PRIMARY KEY,"
	" hash INTEGER NOT NULL,"
	" env TEXT NOT NULL);"
	"CREATE INDEX envs_hash ON envs(hash);"
	"ALTER TABLE jobs ADD COLUMN env_id INTEGER;"
	"CREATE INDEX jobs_env ON jobs(env_id) WHERE env_id IS NOT NULL;"
	"CREATE TRIGGER envs_gc AFTER DELETE ON jobs"
	" WHEN old.env_id IS NOT NULL BEGIN"
	" DELETE FROM envs WHERE id = old.env_id AND NOT EXISTS"
	" (SELECT 1 FROM jobs WHERE env_id = old.env_id); END;"
	"CREATE TRIGGER envs_gc_edit AFTER UPDATE OF env_id ON jobs"
	" WHEN old.env_id IS NOT NULL AND old.env_id IS NOT new.env_id BEGIN"
	" DELETE FROM envs WHERE id = old.env_id AND NOT EXISTS"
	" (SELECT 1 FROM jobs WHERE env_id = old.env_id); END;",
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

static int
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

static int
store_schema_migrate(struct store *s, int64_t from, char *err, size_t errlen)
{
	char sql[128];
	int64_t v;
	int ret;

	for (v = from; v < STORE_SCHEMA_VERSION; v++) {
		if ((ret = store_schema_exec(s, "BEGIN IMMEDIATE", err,
		    errlen)) != 0)
			return (ret);
		ret = store_schema_exec(s, store_schema_migrations[v], err,
		    errlen);
		if (ret == 0) {
			(void)snprintf(sql, sizeof(sql),
			    "PRAGMA application_id = %d; "
			    "PRAGMA user_version = %d",
			    (int)STORE_APP_ID, (int)(v + 1));
			ret = store_schema_exec(s, sql, err, errlen);
		}
		if (ret == 0)
			ret = store_schema_exec(s, "COMMIT", err, errlen);
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
	    (ret = store_schema_migrate(s, version, err, errlen)) != 0 ||
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
