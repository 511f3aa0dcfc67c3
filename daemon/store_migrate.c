/*
 * store_migrate.c - the job store's schema, as the migrations that build
 * it: store_migrate() takes a database from its user_version to
 * STORE_SCHEMA_VERSION (store.h), each step in a transaction of its own.
 * Called by store_schema_open() (store_schema.c), on the thread that
 * opens the store.
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
 *           exact at every commit and after any crash; a (queue, state)
 *           gets its row (n 0) from counts_insert_key or counts_update_key
 *           (BEFORE triggers: v15) when a job first has it, and rows whose
 *           n fell to 0 stay (STORE_COUNTS skips them).  stats, queue list
 *           and retention read it instead of scanning jobs.  Any writer
 *           keeps it (a plain INSERT from the sqlite3 shell too); jobqd's
 *           writes say OR FAIL (store_schema.c).
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
 * index jobs_env (the rows already there keep their env, env_id NULL);
 * 14 -> 15 makes the counts triggers anew, each step OR FAIL and no
 * INSERT OR IGNORE (see the statements' OR FAIL in store_schema.c: no
 * statement journal), the same counts.
 *
 */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "store_int.h"

/*
 * Schema migrations: store_migrate_sql[v] takes user_version v to v + 1, in
 * one transaction together with the user_version and application_id update.
 * (SQL understood by SQLite 3.22, configure's minimum.)
 */
static const char *const store_migrate_sql[STORE_SCHEMA_VERSION] = {
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
	/* 14 -> 15: the counts triggers without a statement journal: each
	 * step OR FAIL (a conflict clause that cannot fire); the row of a new
	 * (queue, state) made by a BEFORE trigger when it is missing, instead
	 * of by an INSERT OR IGNORE, which a writer's OR FAIL would override
	 * (an INSERT ... SELECT that reads counts would go through a
	 * temporary table) */
	"DROP TRIGGER counts_insert;"
	"DROP TRIGGER counts_update;"
	"DROP TRIGGER counts_delete;"
	"DROP TRIGGER IF EXISTS counts_insert_key;"
	"DROP TRIGGER IF EXISTS counts_update_key;"
	"CREATE TRIGGER counts_insert_key BEFORE INSERT ON jobs"
	" WHEN NOT EXISTS (SELECT 1 FROM counts"
	"  WHERE queue = new.queue AND state = new.state) BEGIN"
	" INSERT OR FAIL INTO counts (queue, state, n)"
	"  VALUES (new.queue, new.state, 0);"
	" END;"
	"CREATE TRIGGER counts_insert AFTER INSERT ON jobs BEGIN"
	" UPDATE OR FAIL counts SET n = n + 1"
	"  WHERE queue = new.queue AND state = new.state;"
	" END;"
	"CREATE TRIGGER counts_update_key BEFORE UPDATE OF state, queue"
	" ON jobs WHEN (old.state IS NOT new.state OR"
	"  old.queue IS NOT new.queue) AND NOT EXISTS (SELECT 1 FROM counts"
	"  WHERE queue = new.queue AND state = new.state) BEGIN"
	" INSERT OR FAIL INTO counts (queue, state, n)"
	"  VALUES (new.queue, new.state, 0);"
	" END;"
	"CREATE TRIGGER counts_update AFTER UPDATE OF state, queue ON jobs"
	" WHEN old.state IS NOT new.state OR old.queue IS NOT new.queue BEGIN"
	" UPDATE OR FAIL counts SET n = n - 1"
	"  WHERE queue = old.queue AND state = old.state;"
	" UPDATE OR FAIL counts SET n = n + 1"
	"  WHERE queue = new.queue AND state = new.state;"
	" END;"
	"CREATE TRIGGER counts_delete AFTER DELETE ON jobs BEGIN"
	" UPDATE OR FAIL counts SET n = n - 1"
	"  WHERE queue = old.queue AND state = old.state;"
	" END;",
};

int
store_migrate(struct store *s, int64_t from, char *err, size_t errlen)
{
	char sql[128];
	int64_t v;
	int ret;

	for (v = from; v < STORE_SCHEMA_VERSION; v++) {
		if ((ret = store_schema_exec(s, "BEGIN IMMEDIATE", err,
		    errlen)) != 0)
			return (ret);
		ret = store_schema_exec(s, store_migrate_sql[v], err,
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
