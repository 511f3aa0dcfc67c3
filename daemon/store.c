/*
 * store.c - the job store's handle and its thread (see store.h): the queue
 * between the loop and the store thread, store_submit(), batches and group
 * commit, the failure policy, store_close(); and the SQLite glue the other
 * store files share (store_int.h lists them all).
 *
 *   loop thread                      store thread
 *   -----------                      ------------
 *   store_submit(op) --lock-->  [ pending queue ] --lock--> takes it all
 *   store_prepare_cb:  signal cond                          (the reserve made
 *                                                             again if due)
 *                                                           BEGIN IMMEDIATE
 *                                                           writes (INSERT,
 *                                                             CLAIM, UPDATE,
 *                                                             QUEUE_SET, RETRY,
 *                                                             PURGE), next_id
 *                                                           COMMIT (or ROLLBACK
 *                                                             on SQLITE_FULL:
 *                                                             reserve held?
 *                                                             release it, run
 *                                                             the batch again)
 *                                                           unlink purged logs
 *                                                           reads (GET, LIST,
 *                                                             LOOKUP, ARRAY,
 *                                                             COUNTS),
 *                                                             CHECKPOINT
 *   store_async_cb   <--lock--  [  done queue   ] <--lock-- appends the batch
 *     done(op) for each,          uv_async_send <---------- wakes the loop
 *     in order, unlocked
 *
 * The wake-up is deferred (once the loop has started): store_submit() only
 * appends and notes a kick; a uv_prepare handle signals the condition
 * variable right before the loop next waits for I/O.  So everything one
 * turn of the loop submits (a job's end and the claim of the next job for
 * the worker it freed; the reports of two workers read together) reaches
 * the store thread as one batch, one commit, instead of the thread taking
 * the first op alone while the loop is still adding the second.  It costs a
 * lone request only the rest of that loop turn.
 *
 * Lock discipline: s->lock guards pending, done and stopping, and nothing
 * else.  It is a leaf lock, held only to link or unlink list heads (in
 * store_lock() .. store_unlock() pairs below): no SQLite call, no callback,
 * no file system call and no other lock while it is held.
 *
 * Ownership of the sqlite3 handle: the thread that calls store_open() until
 * store_start(); the store thread from then until it is joined in
 * store_close(); the thread calling store_close() afterwards.  Each handover
 * is ordered by pthread_create()/pthread_join(), so the handle can be opened
 * SQLITE_OPEN_NOMUTEX.  next_id and next_id_db follow the handle.
 *
 * Failure policy (store_fail()): a write that SQLite refuses with
 * SQLITE_FULL, or a COMMIT that does (or that fault_hit(FAULT_COMMIT)
 * fails as if it did), rolls the batch back and every write op of it gets
 * JOBQ_ESTORAGE; any other failure inside the transaction is fatal.  When a
 * batch is rolled back, next_id goes back to the value the database holds
 * (next_id_db): ids of a rolled-back batch were never acknowledged.  If the
 * reserve was held, it is released (store_reserve.c) and the batch runs
 * again at once, its inserts refused with JOBQ_ESTORAGE as they are for as
 * long as the reserve is not made again: the space is for the state of
 * jobs already accepted, purges and retention.
 *
 * Job states are never decided here: see store_int.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "store_int.h"
#include "util.h"

int (*store_fault_commit)(void);

/* How each op type is run: a write in the batch's transaction, or a read
 * after it. */
static const struct {
	int (*write)(struct store *, struct store_op *);
	void (*read)(struct store *, struct store_op *);
} store_ops[] = {
	[STORE_INSERT] = { store_insert, NULL },
	[STORE_CLAIM] = { store_write_claim, NULL },
	[STORE_UPDATE] = { store_write_update, NULL },
	[STORE_GET] = { NULL, store_read_get },
	[STORE_LIST] = { NULL, store_read_list },
	[STORE_CHECKPOINT] = { NULL, store_read_checkpoint },
	[STORE_LOOKUP] = { NULL, store_read_lookup },
	[STORE_ARRAY] = { NULL, store_read_array },
	[STORE_QUEUE_SET] = { store_write_queue_set, NULL },
	[STORE_COUNTS] = { NULL, store_read_counts },
	[STORE_RETRY] = { store_write_retry, NULL },
	[STORE_PURGE] = { store_purge, NULL },
	[STORE_INSERT_MANY] = { store_insert_many, NULL },
	[STORE_EDIT] = { store_edit, NULL },
	[STORE_HISTORY] = { NULL, store_history_read },
	[STORE_SCHEDULE] = { store_schedule_write, NULL },
	[STORE_SLURM_ID] = { store_write_slurm_id, NULL },
};
#define STORE_NOPS (sizeof(store_ops) / sizeof(store_ops[0]))

static void	store_free(struct store *);
static void	store_batch(struct store *, struct store_op *);
static void	store_async_cb(uv_async_t *);
static void	store_prepare_cb(uv_prepare_t *);
static void	store_lazy_cb(uv_timer_t *);

/* ---- the lock (a leaf: see the top of this file) ---- */

static void
store_lock(struct store *s)
{
	if (pthread_mutex_lock(&s->lock) != 0)
		fatalx("store: pthread_mutex_lock failed");
}

static void
store_unlock(struct store *s)
{
	if (pthread_mutex_unlock(&s->lock) != 0)
		fatalx("store: pthread_mutex_unlock failed");
}

static void
store_signal(struct store *s)
{
	if (pthread_cond_signal(&s->cond) != 0)
		fatalx("store: pthread_cond_signal failed");
}

/* Unlinks the whole pending queue (s->lock held). */
static struct store_op *
store_take_pending(struct store *s)
{
	struct store_op *batch = s->pending;

	s->pending = NULL;
	s->pending_tail = &s->pending;
	return (batch);
}

/* ---- SQLite glue (store_int.h) ---- */

/* The one conversion of SQLite result codes into JOBQ_E*. */
int
store_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return (0);
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

/* A write in the batch's transaction failed with rc: disk full rolls the
 * batch back (JOBQ_ESTORAGE); anything else may have lost data. */
int
store_fail(struct store *s, int rc, const char *what)
{
	if ((rc & 0xff) != SQLITE_FULL)
		fatalx("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return (store_code(rc));	/* JOBQ_ESTORAGE */
}

/* A read failed with rc: logged; its JOBQ_E*. */
int
store_err(struct store *s, int rc, const char *what)
{
	log_warnx("%s: %s: %s", s->path, what, rc == SQLITE_BUSY ?
	    "database busy" : sqlite3_errmsg(s->db));
	return (store_code(rc));
}

void
store_reset(sqlite3_stmt *st)
{
	/* The step's error was already handled; reset repeats it. */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows and resets it; an SQLite code. */
int
store_step_done(sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	store_reset(st);
	if (rc == SQLITE_DONE)
		return (SQLITE_OK);
	return (rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

/* Binds a[0 .. n-1] to parameters 1 .. n; on failure resets st.  An SQLite
 * code. */
int
store_bind(sqlite3_stmt *st, const struct store_arg *a, size_t n)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (a[i].type) {
		case STORE_ARG_INT:
			rc = sqlite3_bind_int64(st, (int)i + 1, a[i].i);
			break;
		case STORE_ARG_TEXT:
			rc = a[i].t == NULL ? sqlite3_bind_null(st, (int)i + 1) :
			    sqlite3_bind_text(st, (int)i + 1, a[i].t, -1,
			    SQLITE_STATIC);
			break;
		case STORE_ARG_NULL:
			rc = sqlite3_bind_null(st, (int)i + 1);
			break;
		case STORE_ARG_SKIP:
			break;
		}
	}
	if (rc != SQLITE_OK)
		store_reset(st);
	return (rc);
}

/* Binds and steps a prepared statement that returns no rows; an SQLite
 * code. */
int
store_run(struct store *s, enum store_stmt id, const struct store_arg *a,
    size_t n)
{
	sqlite3_stmt *st = s->st[id];
	int rc;

	if ((rc = store_bind(st, a, n)) != SQLITE_OK)
		return (rc);
	return (store_step_done(st));
}

/*
 * FAULT_STALL (JOBQD_FAULTS=stall...): the thread waits here, before the
 * COMMIT, for as long as the file fault_stall_file() exists, as it would
 * in an fsync that does not return.
 */
static void
store_stall(struct store *s)
{
	const char *f = fault_stall_file();
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	if (access(f, F_OK) != 0)
		return;
	log_warnx("%s: commit: held while %s exists (JOBQD_FAULTS stall)",
	    s->path, f);
	while (access(f, F_OK) == 0)
		(void)nanosleep(&ts, NULL);
	log_info("%s: commit: %s is gone, going on", s->path, f);
}

/*
 * COMMITs the open transaction (of a batch with writes, or of recovery);
 * an SQLite code.  The fault seams come first: FAULT_STALL holds it while
 * a file exists, FAULT_COMMIT (JOBQD_FAULTS) fails it as a full disk
 * would, then the test hook of store.h.
 */
int
store_commit(struct store *s)
{
	int rc;

	if (fault_hit(FAULT_STALL))
		store_stall(s);
	if (store_fault_commit != NULL &&
	    (rc = store_fault_commit()) != SQLITE_OK)
		return (rc);
	if (fault_hit(FAULT_COMMIT)) {
		log_warnx("%s: commit: injected failure (JOBQD_FAULTS), "
		    "taken as a full disk", s->path);
		return (SQLITE_FULL);
	}
	return (store_step_done(s->st[ST_COMMIT]));
}

/* Appends to a statement being built; remembers an allocation failure. */
void
store_sqlbuf_add(struct store_sqlbuf *q, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (q->failed)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || util_grow(&q->buf, &q->cap, q->len + (size_t)len + 1,
	    1) != 0) {
		q->failed = 1;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(q->buf + q->len, q->cap - q->len, fmt, ap);
	va_end(ap);
	q->len += (size_t)len;
}

/* ---- the handle ---- */

/*
 * SQLite's memory statistics off, before SQLite is first used: with them
 * each of its allocations (~330 a job) took a global mutex twice, ~40k
 * instructions a job; jobqd reads none of them (sqlite3_memory_used, soft
 * heap limits).  sqlite3_config refuses once SQLite is initialized (a
 * second store_open in one process): then nothing changes.
 */
static void
store_sqlite_config(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_open(const char *path, int sync_full, struct store **out, char *err,
    size_t errlen)
{
	struct store *s;
	int rc, ret;

	*out = NULL;
	store_sqlite_config();
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		(void)snprintf(err, errlen, "%s: out of memory", path);
		return (JOBQ_ENOMEM);
	}
	s->pending_tail = &s->pending;
	s->done_tail = &s->done;
	s->reserve_dirfd = -1;
	if ((rc = pthread_mutex_init(&s->lock, NULL)) != 0) {
		(void)snprintf(err, errlen, "pthread_mutex_init: %s",
		    strerror(rc));
		free(s->path);
		free(s);
		return (JOBQ_EINTERNAL);
	}
	if ((rc = pthread_cond_init(&s->cond, NULL)) != 0) {
		(void)snprintf(err, errlen, "pthread_cond_init: %s",
		    strerror(rc));
		(void)pthread_mutex_destroy(&s->lock);
		free(s->path);
		free(s);
		return (JOBQ_EINTERNAL);
	}
	if ((ret = store_schema_open(s, path, sync_full, err, errlen)) != 0) {
		store_free(s);
		return (ret);
	}
	*out = s;
	return (0);
}

/* Finalizes statements, closes the database, frees s (not running). */
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
	store_reserve_close(s);
	store_env_forget(s);
	free(s->reserve_name);
	free(s->reserve_path);
	free(s->path);
	free(s);
}

/* ---- the store thread ---- */

static void *
store_main(void *arg)
{
	struct store *s = arg;
	struct store_op *batch;
	int stop;

	for (;;) {
		store_lock(s);
		while (s->pending == NULL && !s->stopping) {
			if (pthread_cond_wait(&s->cond, &s->lock) != 0)
				fatalx("store: pthread_cond_wait failed");
		}
		batch = store_take_pending(s);
		stop = s->stopping;
		store_unlock(s);
		if (batch != NULL) {
			atomic_store(&s->busy_since_ms, util_mono_ms());
			store_batch(s, batch);
			atomic_store(&s->busy_since_ms, 0);
		} else if (stop)
			break;
	}
	return (NULL);
}

int64_t
store_busy_ms(struct store *s, int64_t now_ms)
{
	int64_t since = atomic_load(&s->busy_since_ms);

	return (since == 0 || now_ms < since ? 0 : now_ms - since);
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
	if ((rc = uv_prepare_init(loop, &s->prepare)) != 0 ||
	    (rc = uv_prepare_start(&s->prepare, store_prepare_cb)) != 0) {
		log_warnx("uv_prepare: %s", uv_strerror(rc));
		return (JOBQ_EINTERNAL);
	}
	/* never what keeps the loop running */
	uv_unref((uv_handle_t *)&s->prepare);
	s->prepare.data = s;
	s->prepare_init = 1;
	if ((rc = uv_timer_init(loop, &s->lazy)) != 0) {
		log_warnx("uv_timer_init: %s", uv_strerror(rc));
		return (JOBQ_EINTERNAL);
	}
	uv_unref((uv_handle_t *)&s->lazy);
	s->lazy.data = s;
	s->lazy_init = 1;
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
	store_submit_pair(s, op, NULL);
}

void
store_submit_pair(struct store *s, struct store_op *a, struct store_op *b)
{
	a->status = 0;
	a->next = b;
	memset(&a->out, 0, sizeof(a->out));
	if (b != NULL) {
		b->status = 0;
		b->next = NULL;
		memset(&b->out, 0, sizeof(b->out));
	}
	store_lock(s);
	*s->pending_tail = a;
	s->pending_tail = b != NULL ? &b->next : &a->next;
	if (!s->prepare_init)
		store_signal(s);
	store_unlock(s);
	s->kick = 1;
}

void
store_submit_lazy(struct store *s, struct store_op *op)
{
	op->status = 0;
	op->next = NULL;
	memset(&op->out, 0, sizeof(op->out));
	store_lock(s);
	*s->pending_tail = op;
	s->pending_tail = &op->next;
	if (!s->lazy_init)
		store_signal(s);
	store_unlock(s);
	if (s->lazy_init && !uv_is_active((uv_handle_t *)&s->lazy))
		uv_timer_start(&s->lazy, store_lazy_cb, STORE_LAZY_MS, 0);
}

/* Lazy ops waited STORE_LAZY_MS for another batch: they go now (if a batch
 * took them meanwhile, the store thread finds nothing and waits again). */
static void
store_lazy_cb(uv_timer_t *t)
{
	struct store *s = t->data;

	s->kick = 1;
	store_prepare_cb(&s->prepare);
}

/* Before the loop waits: wake the store thread for what was submitted. */
static void
store_prepare_cb(uv_prepare_t *h)
{
	struct store *s = h->data;

	if (!s->kick)
		return;
	s->kick = 0;
	store_lock(s);
	store_signal(s);
	store_unlock(s);
}

static int
store_is_write(const struct store_op *op)
{
	return ((size_t)op->type < STORE_NOPS &&
	    store_ops[op->type].write != NULL);
}

/* Runs the write ops of batch in the open transaction and COMMITs it;
 * 0, or JOBQ_ESTORAGE when it must be rolled back.  An op whose status is
 * set already (an insert refused while the reserve is released) is left
 * out. */
static int
store_batch_commit(struct store *s, struct store_op *batch)
{
	struct store_op *op;
	struct timespec t0, t1;
	int rc, ret;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (op = batch; op != NULL; op = op->next) {
		if (!store_is_write(op) || op->status != 0)
			continue;
		/* Only a full disk returns here: the rest is fatal. */
		if ((ret = store_ops[op->type].write(s, op)) != 0)
			return (ret);
	}
	if ((rc = store_commit(s)) != SQLITE_OK)
		return (store_fail(s, rc, "commit"));
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&s->lock);
	metrics_observe(&s->commits, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	pthread_mutex_unlock(&s->lock);
	return (0);
}

void
store_commit_metrics(struct store *s, struct metrics_hist *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->commits;
	pthread_mutex_unlock(&s->lock);
}

/* Rolls back a failed batch: its writes get JOBQ_ESTORAGE. */
static void
store_batch_rollback(struct store *s, struct store_op *batch)
{
	struct store_op *op;
	int rc;

	if (!sqlite3_get_autocommit(s->db) &&
	    (rc = store_step_done(s->st[ST_ROLLBACK])) != SQLITE_OK)
		fatalx("%s: rollback: %s", s->path, sqlite3_errstr(rc));
	/* Ids of the batch were never acknowledged; an envs row the cache
	 * names may have gone with the transaction. */
	s->next_id = s->next_id_db;
	store_env_forget(s);
	for (op = batch; op != NULL; op = op->next) {
		if (!store_is_write(op))
			continue;
		store_op_release(op);
		op->status = JOBQ_ESTORAGE;
	}
}

/* Readies the writes of batch for a run: status 0, but JOBQ_ESTORAGE for
 * an insert while the reserve is released.  The writes left to run. */
static int
store_batch_admit(struct store *s, struct store_op *batch)
{
	struct store_op *op;
	int n = 0, refuse = store_reserve_refuses(s);

	for (op = batch; op != NULL; op = op->next) {
		if (!store_is_write(op))
			continue;
		op->status = refuse && (op->type == STORE_INSERT ||
		    op->type == STORE_INSERT_MANY) ?
		    JOBQ_ESTORAGE : 0;
		n += op->status == 0;
	}
	return (n);
}

/* One run of the writes of batch in one transaction: 0 (committed, or
 * nothing left to write), -1 (the disk is full: rolled back) or -2 (no
 * transaction could begin); after a failure its writes have
 * JOBQ_ESTORAGE. */
static int
store_batch_try(struct store *s, struct store_op *batch)
{
	int rc;

	if (store_batch_admit(s, batch) == 0)
		return (0);
	if ((rc = store_step_done(s->st[ST_BEGIN])) != SQLITE_OK) {
		/* Nothing was written: refuse the batch's writes. */
		log_warnx("%s: cannot begin a transaction: %s", s->path,
		    sqlite3_errstr(rc));
		store_batch_rollback(s, batch);
		return (-2);
	}
	if (store_batch_commit(s, batch) != 0) {
		store_batch_rollback(s, batch);
		return (-1);
	}
	return (0);
}

/* 1 if batch holds an insert. */
static int
store_batch_inserts(const struct store_op *batch)
{
	for (; batch != NULL; batch = batch->next)
		if (batch->type == STORE_INSERT ||
		    batch->type == STORE_INSERT_MANY)
			return (1);
	return (0);
}

/* The writes of a batch, in one transaction (run again at once with the
 * reserve released if the disk was full); then the purges' files. */
static void
store_batch_writes(struct store *s, struct store_op *batch, int nwrites)
{
	struct store_op *op;
	size_t unlinked = 0;
	int rc;

	store_reserve_again(s, store_batch_inserts(batch));
	if ((rc = store_batch_try(s, batch)) != 0) {
		if (rc != -1)
			return;
		if (!store_reserve_release(s)) {
			log_warnx("%s: disk full: %d write(s) not saved",
			    s->path, nwrites);
			return;
		}
		if (store_batch_try(s, batch) != 0) {
			log_warnx("%s: disk full, even with the reserve "
			    "released: %d write(s) not saved", s->path,
			    nwrites);
			return;
		}
	}
	s->next_id_db = s->next_id;
	for (op = batch; op != NULL; op = op->next)
		if (op->type == STORE_PURGE && op->status == 0)
			unlinked += store_purge_unlink(s, op);
	if (unlinked > 0)
		store_reserve_again(s, 1);
}

/* Moves a processed batch to the done queue and wakes the loop. */
static void
store_finish(struct store *s, struct store_op *batch, struct store_op *last)
{
	int rc;

	store_lock(s);
	*s->done_tail = batch;
	s->done_tail = &last->next;
	store_unlock(s);
	if (s->async_init && (rc = uv_async_send(&s->async)) != 0)
		fatalx("store: uv_async_send: %s", uv_strerror(rc));
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
	int nwrites = 0;

	for (op = batch; op != NULL; op = op->next) {
		op->status = 0;
		nwrites += store_is_write(op);
		last = op;
	}
	if (nwrites > 0)
		store_batch_writes(s, batch, nwrites);
	for (op = batch; op != NULL; op = op->next) {
		if ((size_t)op->type >= STORE_NOPS ||
		    (store_ops[op->type].write == NULL &&
		    store_ops[op->type].read == NULL))
			op->status = JOBQ_EINVAL;
		else if (store_ops[op->type].read != NULL)
			store_ops[op->type].read(s, op);
	}
	store_finish(s, batch, last);
}

/* ---- back on the loop thread ---- */

/* Calls done() for everything in the done queue, in order, unlocked. */
static void
store_run_done(struct store *s)
{
	struct store_op *op, *next;

	store_lock(s);
	op = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	store_unlock(s);
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
	struct store *s = h->data;

	if (--s->nclosing == 0)
		store_free(s);
}

void
store_close(struct store *s)
{
	struct store_op *batch;
	int rc;

	if (s == NULL)
		return;
	if (s->started) {
		store_lock(s);
		s->stopping = 1;
		store_signal(s);
		store_unlock(s);
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
		store_lock(s);
		batch = store_take_pending(s);
		store_unlock(s);
		if (batch == NULL)
			break;
		store_batch(s, batch);
	}

	while ((rc = sqlite3_step(s->st[ST_CHECKPOINT])) == SQLITE_ROW)
		;
	store_reset(s->st[ST_CHECKPOINT]);
	if (rc != SQLITE_DONE)
		(void)store_err(s, rc, "checkpoint");

	if (s->async_init || s->prepare_init || s->lazy_init) {
		/* store_free() runs from the last close callback. */
		if (s->prepare_init) {
			s->nclosing++;
			s->prepare.data = s;
			uv_close((uv_handle_t *)&s->prepare, store_close_cb);
		}
		if (s->lazy_init) {
			s->nclosing++;
			s->lazy.data = s;
			uv_close((uv_handle_t *)&s->lazy, store_close_cb);
		}
		if (s->async_init) {
			s->nclosing++;
			s->async.data = s;
			uv_close((uv_handle_t *)&s->async, store_close_cb);
		}
	} else
		store_free(s);
}

void
store_op_release(struct store_op *op)
{
	size_t i;

	switch (op->type) {
	case STORE_CLAIM:
		util_strv_free(op->out.claim.argv);
		util_strv_free(op->out.claim.env);
		free(op->out.claim.cwd);
		break;
	case STORE_GET:
	case STORE_RETRY:
		jobq_job_free(op->out.job);
		break;
	case STORE_HISTORY:
		store_history_free(op->out.history.v, op->out.history.n);
		break;
	case STORE_LIST:
		jobq_job_list_free(op->out.list.jobs, op->out.list.n);
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
		store_queues_free(op->out.counts.v, op->out.counts.n);
		break;
	case STORE_PURGE:
		free(op->out.purge.ids);
		free(op->out.purge.uids);
		break;
	default:
		break;
	}
	memset(&op->out, 0, sizeof(op->out));
}
