/*
 * store.c - the job store (see store.h): schema and migrations, start-up
 * validation and recovery, and the store thread that owns the SQLite handle.
 *
 *   loop thread                      store thread
 *   -----------                      ------------
 *   store_submit(op) --lock-->  [ pending queue ] --lock--> takes it all
 *                      signal cond                          BEGIN IMMEDIATE
 *                                                           writes (INSERT,
 *                                                             CLAIM, UPDATE)
 *                                                           COMMIT (or ROLLBACK
 *                                                             on SQLITE_FULL)
 *                                                           reads (GET, LIST),
 *                                                             CHECKPOINT
 *   store_async_cb   <--lock--  [  done queue   ] <--lock-- appends the batch
 *     done(op) for each,          uv_async_send <---------- wakes the loop
 *     in order, unlocked
 *
 * Lock discipline: s->lock guards pending, done and stopping, and nothing
 * else.  It is a leaf lock, held only to link or unlink list heads: no
 * SQLite call, no callback and no other lock while it is held.
 *
 * Ownership of the sqlite3 handle: the thread that calls store_open() until
 * store_start(); the store thread from then until it is joined in
 * store_close(); the thread calling store_close() afterwards.  Each handover
 * is ordered by pthread_create()/pthread_join(), so the handle can be opened
 * SQLITE_OPEN_NOMUTEX.
 *
 * Every statement of the store thread and of recovery is prepared once in
 * store_open() and reset after use; only one-time start-up SQL (validation,
 * PRAGMAs, migrations) is prepared or sqlite3_exec()'d where it runs.
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
#include "store.h"

#ifndef SQLITE_OPEN_EXRESCODE
#define SQLITE_OPEN_EXRESCODE 0
#endif

int (*store_fault_commit)(void);

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_CLAIM_SELECT,
	ST_CLAIM_UPDATE,
	ST_UPDATE,
	ST_GET,
	ST_LIST,		/* 4 variants: + 1 state, + 2 queue */
	ST_LIST_STATE,
	ST_LIST_QUEUE,
	ST_LIST_STATE_QUEUE,
	ST_CHECKPOINT,
	ST_RUNNING,
	ST_QUEUED,
	ST_RECOVER,
	ST_COUNT
};

#define STORE_JOB_COLUMNS \
	"id, state, queue, name, owner_uid, argv, cwd, submitted_at, " \
	"started_at, finished_at, exit_code, signal, attempts, max_retries, " \
	"reason, message, pid"
#define STORE_LIST_SQL(where) \
	"SELECT " STORE_JOB_COLUMNS " FROM (SELECT * FROM jobs " where \
	" ORDER BY id DESC LIMIT ?3) ORDER BY id"

static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO jobs (state, queue, name, owner_uid, argv, "
	    "env, cwd, submitted_at, max_retries) "
	    "VALUES ('queued', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CLAIM_SELECT] = "SELECT state, argv, env, cwd FROM jobs "
	    "WHERE id = ?1",
	[ST_CLAIM_UPDATE] = "UPDATE jobs SET state = 'running', attempts = ?2, "
	    "started_at = ?3, finished_at = NULL WHERE id = ?1",
	[ST_UPDATE] = "UPDATE jobs SET state = ?2, "
	    "attempts = CASE WHEN ?3 < 0 THEN attempts ELSE ?3 END, "
	    "started_at = CASE WHEN ?4 = 0 THEN started_at ELSE ?4 END, "
	    "finished_at = CASE ?5 WHEN 0 THEN finished_at WHEN -1 THEN NULL "
	    "ELSE ?5 END, "
	    "exit_code = ?6, signal = ?7, pid = ?8, reason = ?9, "
	    "message = ?10 WHERE id = ?1",
	[ST_GET] = "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE id = ?1",
	[ST_LIST] = STORE_LIST_SQL(""),
	[ST_LIST_STATE] = STORE_LIST_SQL("WHERE state = ?1"),
	[ST_LIST_QUEUE] = STORE_LIST_SQL("WHERE queue = ?2"),
	[ST_LIST_STATE_QUEUE] =
	    STORE_LIST_SQL("WHERE state = ?1 AND queue = ?2"),
	[ST_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
	[ST_RUNNING] = "SELECT id, attempts, max_retries FROM jobs "
	    "WHERE state = 'running' ORDER BY id",
	[ST_QUEUED] = "SELECT id, queue, attempts, max_retries, submitted_at, "
	    "owner_uid FROM jobs WHERE state = 'queued' ORDER BY id",
	[ST_RECOVER] = "UPDATE jobs SET state = ?2, finished_at = ?3, "
	    "pid = NULL, reason = ?4 WHERE id = ?1",
};

/*
 * Schema migrations: store_migrations[v] takes user_version v to v + 1, in
 * one transaction together with the user_version and application_id update.
 * Schema v2 is one more entry here (and STORE_SCHEMA_VERSION = 2).
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
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];

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

static void	store_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	store_exec_all(struct store *, const char *, char *, size_t);
static int	store_pragma_int(sqlite3 *, const char *, int64_t *);
static int	store_validate(sqlite3 *, const char *, int64_t *, char *,
		    size_t);
static int	store_validate_immutable(const char *, char *, size_t);
static int	store_migrate(struct store *, int64_t, char *, size_t);
static int	store_step_done(struct store *, sqlite3_stmt *);
static void	store_reset(sqlite3_stmt *);
static char    *store_json_strv(const char *const *, size_t);
static int	store_parse_strv(const char *, char ***, size_t *);
static char    *store_col_strdup(sqlite3_stmt *, int);
static int	store_row_job(sqlite3_stmt *, jobq_job **);
static void	store_job_free(jobq_job *);
static void	store_strv_free(char **);
static int	store_is_write(const struct store_op *);
static int	store_do_insert(struct store *, struct store_op *);
static int	store_do_claim(struct store *, struct store_op *);
static int	store_do_update(struct store *, struct store_op *);
static void	store_do_get(struct store *, struct store_op *);
static void	store_do_list(struct store *, struct store_op *);
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
 * as it was.
 */
static int
store_validate_immutable(const char *path, char *err, size_t errlen)
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
	memcpy(u, "?immutable=1", sizeof("?immutable=1"));

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
	    (ret = store_validate_immutable(path, err, errlen)) != 0)
		return (ret);
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

int
store_recover(struct store *s, struct store_queued **queued, size_t *n,
    size_t *n_interrupted, int64_t now_ms)
{
	struct running {
		int64_t id;
		int attempts, max_retries;
	} *run = NULL, *r;
	struct store_queued *q = NULL, *qn;
	struct job_outcome o;
	sqlite3_stmt *st;
	const char *qname;
	size_t nrun = 0, runcap = 0, nq = 0, qcap = 0, i;
	int rc, ret = 0;

	*queued = NULL;
	*n = 0;
	*n_interrupted = 0;

	/* Collect the running jobs first, then change them. */
	st = s->st[ST_RUNNING];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nrun == runcap) {
			runcap = runcap ? runcap * 2 : 16;
			if ((r = reallocarray(run, runcap,
			    sizeof(*run))) == NULL) {
				ret = JOBQ_ENOMEM;
				break;
			}
			run = r;
		}
		run[nrun].id = sqlite3_column_int64(st, 0);
		run[nrun].attempts = sqlite3_column_int(st, 1);
		run[nrun].max_retries = sqlite3_column_int(st, 2);
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
			st = s->st[ST_RECOVER];
			if ((rc = sqlite3_bind_int64(st, 1, run[i].id)) !=
			    SQLITE_OK ||
			    (rc = sqlite3_bind_text(st, 2,
			    jobq_state_name(o.state), -1, SQLITE_STATIC)) !=
			    SQLITE_OK ||
			    (rc = o.retry ? sqlite3_bind_null(st, 3) :
			    sqlite3_bind_int64(st, 3, now_ms)) != SQLITE_OK ||
			    (rc = sqlite3_bind_text(st, 4, o.reason, -1,
			    SQLITE_STATIC)) != SQLITE_OK) {
				store_reset(st);
				goto dberr;
			}
			if ((rc = store_step_done(s, st)) != SQLITE_OK)
				goto dberr;
			log_info("job %" PRId64 " was running when jobqd "
			    "stopped: %s", run[i].id, o.retry ?
			    "queued again" : "interrupted");
		}
		if (store_fault_commit != NULL &&
		    (rc = store_fault_commit()) != 0)
			goto dberr;
		if ((rc = store_step_done(s, s->st[ST_COMMIT])) != SQLITE_OK)
			goto dberr;
	}
	*n_interrupted = nrun;

	st = s->st[ST_QUEUED];
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
		if (qname != NULL)
			(void)snprintf(q[nq].queue, sizeof(q[nq].queue), "%s",
			    qname);
		q[nq].attempts = sqlite3_column_int(st, 2);
		q[nq].max_retries = sqlite3_column_int(st, 3);
		q[nq].submitted_at = sqlite3_column_int64(st, 4);
		q[nq].owner_uid = (uint32_t)sqlite3_column_int64(st, 5);
		nq++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_warnx("%s: recovery: %s", s->path, sqlite3_errstr(rc));
		ret = store_code(rc);
	}
	if (ret != 0) {
		free(q);
		goto out;
	}
	*queued = q;
	*n = nq;
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
	return (op->type == STORE_INSERT || op->type == STORE_CLAIM ||
	    op->type == STORE_UPDATE);
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

static int
store_do_insert(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_INSERT];
	char *argv = NULL, *env = NULL;
	int rc;

	if (op->in.insert.argv == NULL || op->in.insert.argc == 0 ||
	    (op->in.insert.env == NULL && op->in.insert.envc != 0) ||
	    op->in.insert.cwd == NULL || op->in.insert.queue == NULL) {
		op->status = JOBQ_EINVAL;
		return (SQLITE_OK);
	}
	if ((argv = store_json_strv(op->in.insert.argv,
	    op->in.insert.argc)) == NULL ||
	    (env = store_json_strv(op->in.insert.env,
	    op->in.insert.envc)) == NULL) {
		cJSON_free(argv);
		op->status = JOBQ_ENOMEM;
		return (SQLITE_OK);
	}
	if ((rc = sqlite3_bind_text(st, 1, op->in.insert.queue, -1,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = op->in.insert.name == NULL ? sqlite3_bind_null(st, 2) :
	    sqlite3_bind_text(st, 2, op->in.insert.name, -1,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, op->in.insert.owner_uid)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 4, argv, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 5, env, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 6, op->in.insert.cwd, -1,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, op->in.insert.submitted_at)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 8, op->in.insert.max_retries)) !=
	    SQLITE_OK)
		store_reset(st);
	else
		rc = store_step_done(s, st);
	cJSON_free(argv);
	cJSON_free(env);
	if (rc != SQLITE_OK) {
		store_write_failed(s, rc, "insert");
		return (rc);
	}
	op->out.id = sqlite3_last_insert_rowid(s->db);
	return (SQLITE_OK);
}

static int
store_do_claim(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_CLAIM_SELECT];
	char **argv = NULL, **env = NULL, *cwd = NULL;
	const char *state;
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
	ret = store_parse_strv((const char *)sqlite3_column_text(st, 1),
	    &argv, NULL);
	if (ret == 0)
		ret = store_parse_strv((const char *)sqlite3_column_text(st,
		    2), &env, NULL);
	if (ret == 0 && (cwd = store_col_strdup(st, 3)) == NULL)
		ret = JOBQ_ENOMEM;
	store_reset(st);
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
	sqlite3_stmt *st = s->st[ST_UPDATE];
	const struct store_update *u = &op->in.update;
	const char *state;
	int rc;

	if ((state = jobq_state_name(u->state)) == NULL) {
		op->status = JOBQ_EINVAL;
		return (SQLITE_OK);
	}
	if ((rc = sqlite3_bind_int64(st, 1, u->id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, u->attempts)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, u->started_at)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, u->finished_at)) != SQLITE_OK ||
	    (rc = u->exit_code == -1 ? sqlite3_bind_null(st, 6) :
	    sqlite3_bind_int(st, 6, u->exit_code)) != SQLITE_OK ||
	    (rc = u->signal == 0 ? sqlite3_bind_null(st, 7) :
	    sqlite3_bind_int(st, 7, u->signal)) != SQLITE_OK ||
	    (rc = u->pid == 0 ? sqlite3_bind_null(st, 8) :
	    sqlite3_bind_int64(st, 8, u->pid)) != SQLITE_OK ||
	    (rc = u->reason == NULL ? sqlite3_bind_null(st, 9) :
	    sqlite3_bind_text(st, 9, u->reason, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = u->message == NULL ? sqlite3_bind_null(st, 10) :
	    sqlite3_bind_text(st, 10, u->message, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		store_reset(st);
	else
		rc = store_step_done(s, st);
	if (rc != SQLITE_OK) {
		store_write_failed(s, rc, "update");
		return (rc);
	}
	if (sqlite3_changes(s->db) == 0)
		op->status = JOBQ_ENOTFOUND;
	return (SQLITE_OK);
}

/* A malloc'd copy of a text column; "" for NULL.  NULL if out of memory. */
static char *
store_col_strdup(sqlite3_stmt *st, int col)
{
	const char *t;

	t = (const char *)sqlite3_column_text(st, col);
	return (strdup(t != NULL ? t : ""));
}

/* Builds a jobq_job from a row of STORE_JOB_COLUMNS. */
static int
store_row_job(sqlite3_stmt *st, jobq_job **out)
{
	jobq_job *j;
	const char *state;
	int ret, sv;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (JOBQ_ENOMEM);
	j->id = sqlite3_column_int64(st, 0);
	state = (const char *)sqlite3_column_text(st, 1);
	if (state == NULL || (sv = jobq_state_parse(state)) < 0) {
		log_warnx("job %" PRId64 ": unknown state \"%s\" in the "
		    "database", j->id, state != NULL ? state : "");
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
	free(j);
}

static void
store_do_get(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_GET];
	int rc;

	if ((rc = sqlite3_bind_int64(st, 1, op->in.get.id)) != SQLITE_OK) {
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
}

static void
store_do_list(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	const char *state = NULL;
	jobq_job **jobs = NULL, **nj, *j;
	size_t n = 0, cap = 0;
	int rc, ret = 0, which = ST_LIST;

	if (op->in.list.state >= 0) {
		if ((state = jobq_state_name(op->in.list.state)) == NULL) {
			op->status = JOBQ_EINVAL;
			return;
		}
		which += 1;
	}
	if (op->in.list.queue[0] != '\0')
		which += 2;
	st = s->st[which];
	if ((state != NULL && (rc = sqlite3_bind_text(st, 1, state, -1,
	    SQLITE_STATIC)) != SQLITE_OK) ||
	    (op->in.list.queue[0] != '\0' && (rc = sqlite3_bind_text(st, 2,
	    op->in.list.queue, -1, SQLITE_STATIC)) != SQLITE_OK) ||
	    (rc = sqlite3_bind_int64(st, 3, op->in.list.limit == 0 ||
	    op->in.list.limit > INT64_MAX ? -1 :
	    (int64_t)op->in.list.limit)) != SQLITE_OK) {
		store_reset(st);
		op->status = store_code(rc);
		return;
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
	store_reset(st);
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
 * Runs one batch: the writes in one transaction, then the reads, then hands
 * the batch to the done queue.
 */
static void
store_batch(struct store *s, struct store_op *batch)
{
	struct store_op *op, *last = NULL;
	int nwrites = 0, rc, failed = 0;

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
			default:
				continue;
			}
			/* Only SQLITE_FULL returns here: the rest is fatal. */
			if (rc != SQLITE_OK)
				failed = 1;
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
			for (op = batch; op != NULL; op = op->next) {
				if (!store_is_write(op))
					continue;
				store_op_release(op);
				op->status = JOBQ_ESTORAGE;
			}
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
		case STORE_CHECKPOINT:
			store_do_checkpoint(s, op);
			break;
		case STORE_INSERT:
		case STORE_CLAIM:
		case STORE_UPDATE:
			break;
		default:
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
		store_job_free(op->out.job);
		break;
	case STORE_LIST:
		for (i = 0; i < op->out.list.n; i++)
			store_job_free(op->out.list.jobs[i]);
		free(op->out.list.jobs);
		break;
	default:
		break;
	}
	memset(&op->out, 0, sizeof(op->out));
}
