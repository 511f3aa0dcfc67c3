/*
 * store_recover.c - start-up recovery (store_recover(), store.h), on the
 * main thread before store_start(): the jobs a previous daemon left
 * `running` end as JOB_EV_INTERRUPT with crash = 1 says (interrupted,
 * reason daemon_crash, or queued again while retries are left), in one
 * transaction; then what dispatch needs to rebuild its tables is read:
 * every queued job in id order, their dependencies with the dependencies'
 * states, and the queues table.  jobqd reads the queued jobs one at a
 * time into dispatch (store_recover_stream, store_recover_queued_each),
 * never as one array of them all (store_recover: the tests).  A run on Slurm (jobs.executor 'slurm')
 * does not depend on jobqd: it is left running and read into r->adopted
 * for dispatch_slurm.c to reconcile with what Slurm says.
 *
 * Before it, store_recover_unstarted(): a running job the old scoreboard
 * marks as handed to a worker that never began it goes back to queued
 * (JOB_EV_UNCLAIM: the attempt does not count).
 *
 * The state each running job gets is job_transition()'s answer, written
 * as is: this file decides no state itself.  On a full disk the reserve
 * (store_reserve.c), if held, is released and the transaction run again.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "sched.h"
#include "store_int.h"
#include "util.h"

/* The database's instance (meta 'instance'), made once at random: the
 * names of its runs on Slurm carry it (slurm_text.h), so a new database
 * under the same state dir never takes an old one's runs for its own. */
static int
store_recover_instance(struct store *s, uint32_t *out)
{
	sqlite3_stmt *st = NULL;
	uint32_t v;
	int rc;

	sqlite3_randomness(sizeof(v), &v);
	rc = sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO meta (key, "
	    "value) VALUES ('instance', ?1)", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_bind_int64(st, 1, v)) ==
	    SQLITE_OK)
		rc = store_step_done(st);
	(void)sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE "
		    "key = 'instance'", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*out = (uint32_t)sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE)
			rc = SQLITE_CORRUPT;
	}
	(void)sqlite3_finalize(st);
	return (rc == SQLITE_OK ? 0 : store_err(s, rc, "instance"));
}

/* A job found running. */
struct store_recover_run {
	int64_t id, retry_delay_ms;
	int attempts, max_retries;
};

/* A uniformly distributed double in [0, 1), from SQLite's PRNG (seeded
 * from the system). */
static double
store_recover_rand01(void)
{
	uint64_t x;

	sqlite3_randomness(sizeof(x), &x);
	return ((double)(x >> 11) * (1.0 / 9007199254740992.0));
}

void
store_recovery_release(struct store_recovery *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nnames; i++)
		free(r->names[i]);
	free(r->names);
	free(r->queued);
	free(r->adopted);
	free(r->deps);
	store_queues_free(r->queues, r->nqueues);
	store_schedule_free(r->schedules, r->nschedules);
	memset(r, 0, sizeof(*r));
}

/*
 * A queue name for r->queued: the same string for a name seen among the
 * last few distinct ones (jobs of a queue tend to come in runs), so a
 * million queued jobs cost a million pointers, not a million names.
 */
#define STORE_INTERN_SCAN 64
static const char *
store_recover_intern(struct store_recovery *r, size_t *cap, const char *name)
{
	size_t i, lo;

	lo = r->nnames > STORE_INTERN_SCAN ? r->nnames - STORE_INTERN_SCAN : 0;
	for (i = r->nnames; i > lo; i--)
		if (strcmp(r->names[i - 1], name) == 0)
			return (r->names[i - 1]);
	if (util_grow(&r->names, cap, r->nnames + 1, sizeof(*r->names)) != 0 ||
	    (r->names[r->nnames] = strdup(name)) == NULL)
		return (NULL);
	return (r->names[r->nnames++]);
}

/* Reads one row of ST_QUEUED (or ST_ADOPT) into q: its strings are the
 * statement's, valid until the next step. */
static void
store_recover_queued_row(sqlite3_stmt *st, struct store_queued *q)
{
	const char *qname;

	memset(q, 0, sizeof(*q));
	q->id = sqlite3_column_int64(st, 0);
	qname = (const char *)sqlite3_column_text(st, 1);
	q->queue = qname != NULL ? qname : "default";
	q->attempts = sqlite3_column_int(st, 2);
	q->max_retries = sqlite3_column_int(st, 3);
	q->submitted_at = sqlite3_column_int64(st, 4);
	q->owner_uid = (uint32_t)sqlite3_column_int64(st, 5);
	q->priority = sqlite3_column_int(st, 6);
	q->not_before = sqlite3_column_int64(st, 7);
	q->timeout_ms = sqlite3_column_int64(st, 8);
	q->kill_grace_ms = sqlite3_column_int64(st, 9);
	q->retry_delay_ms = sqlite3_column_int64(st, 10);
	q->array_id = sqlite3_column_int64(st, 11);
	q->array_index = sqlite3_column_int64(st, 12);
	q->array_throttle = sqlite3_column_int(st, 13);
	q->on_end = sqlite3_column_int(st, 14) != 0;
	q->held = sqlite3_column_int(st, 15) != 0;
	q->slots = sqlite3_column_int(st, 16);
	if (sqlite3_column_type(st, 17) != SQLITE_NULL)
		q->res = (const char *)sqlite3_column_text(st, 17);
}

/* Appends a copy of q to *v (*n entries, room for *cap), its strings
 * interned in r->names.  0 or JOBQ_ENOMEM. */
static int
store_recover_keep(struct store_recovery *r, struct store_queued **v,
    size_t *n, size_t *cap, const struct store_queued *q)
{
	struct store_queued *k;

	if (util_grow(v, cap, *n + 1, sizeof(**v)) != 0)
		return (JOBQ_ENOMEM);
	k = &(*v)[*n];
	*k = *q;
	if ((k->queue = store_recover_intern(r, &r->names_cap,
	    q->queue)) == NULL || (q->res != NULL &&
	    (k->res = store_recover_intern(r, &r->names_cap,
	    q->res)) == NULL))
		return (JOBQ_ENOMEM);
	(*n)++;
	return (0);
}

int
store_recover_queued_each(struct store *s,
    int (*cb)(void *, const struct store_queued *), void *arg)
{
	sqlite3_stmt *st = s->st[ST_QUEUED];
	struct store_queued q;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_recover_queued_row(st, &q);
		if ((ret = cb(arg, &q)) != 0)
			break;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "recovery");
	return (ret);
}

/* Every queued job, in id order, into r->queued. */
struct store_recover_fill {
	struct store_recovery *r;
	size_t cap;
};

static int
store_recover_fill_cb(void *arg, const struct store_queued *q)
{
	struct store_recover_fill *f = arg;

	return (store_recover_keep(f->r, &f->r->queued, &f->r->nqueued,
	    &f->cap, q));
}

static int
store_recover_queued(struct store *s, struct store_recovery *r)
{
	struct store_recover_fill f = { r, 0 };

	return (store_recover_queued_each(s, store_recover_fill_cb, &f));
}

/* Every run on Slurm, in id order, into r->adopted. */
static int
store_recover_adopted(struct store *s, struct store_recovery *r)
{
	sqlite3_stmt *st = s->st[ST_ADOPT];
	struct store_queued q;
	size_t cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_recover_queued_row(st, &q);
		q.slurm_id = sqlite3_column_int64(st, 18);
		q.started_at = sqlite3_column_int64(st, 19);
		if ((ret = store_recover_keep(r, &r->adopted, &r->nadopted,
		    &cap, &q)) != 0)
			break;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "recovery");
	return (ret);
}

int
store_recover_deps_all(struct store *s, struct store_dep **out, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_QUEUED_DEPS];
	struct store_dep *d, *v = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0, mode;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&v, &cap, n + 1, sizeof(*v)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		d = &v[n++];
		d->job_id = sqlite3_column_int64(st, 0);
		d->dep_id = sqlite3_column_int64(st, 1);
		mode = sqlite3_column_int(st, 2);
		if (mode < JOBQ_DEP_OK || mode > JOBQ_DEP_ANY) {
			log_warnx("job %" PRId64 ": unknown dependency mode %d "
			    "in the database, taken as \"ok\"", d->job_id,
			    mode);
			mode = JOBQ_DEP_OK;
		}
		d->mode = (jobq_dep_mode)mode;
		d->dep_state = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
		    store_row_state(st, 3);
		if (d->dep_state < 0)
			d->dep_state = -1;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "recovery");
	if (ret != 0) {
		free(v);
		return (ret);
	}
	*out = v;
	*np = n;
	return (0);
}

/*
 * The dependencies of the queued jobs in r, in job id order: walks
 * r->queued alongside and sets each one's range.
 */
static int
store_recover_deps(struct store *s, struct store_recovery *r)
{
	size_t qi = 0, k;
	int ret;

	if ((ret = store_recover_deps_all(s, &r->deps, &r->ndeps)) != 0)
		return (ret);
	for (k = 0; k < r->ndeps; k++) {
		/* Both are in id order. */
		while (qi < r->nqueued && r->queued[qi].id < r->deps[k].job_id)
			qi++;
		if (qi == r->nqueued || r->queued[qi].id != r->deps[k].job_id)
			continue;
		if (r->queued[qi].ndeps == 0)
			r->queued[qi].dep_first = k;
		r->queued[qi].ndeps++;
	}
	return (0);
}

/* How many jobs are queued, as the counts table says (its triggers keep
 * it exact in every transaction). */
static int
store_recover_count_queued(struct store *s, size_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "SELECT coalesce(sum(n), 0) FROM "
	    "counts WHERE state = 'queued'", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = (size_t)sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(st);
	return (rc == SQLITE_OK ? 0 : store_err(s, rc, "recovery"));
}

/* The jobs found running, in id order. */
static int
store_recover_running(struct store *s, struct store_recover_run **runp,
    size_t *np)
{
	sqlite3_stmt *st = s->st[ST_RUNNING];
	struct store_recover_run *run = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&run, &cap, n + 1, sizeof(*run)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		run[n].id = sqlite3_column_int64(st, 0);
		run[n].attempts = sqlite3_column_int(st, 1);
		run[n].max_retries = sqlite3_column_int(st, 2);
		run[n].retry_delay_ms = sqlite3_column_int64(st, 3);
		n++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "recovery");
	if (ret != 0) {
		free(run);
		return (ret);
	}
	*runp = run;
	*np = n;
	return (0);
}

/* Ends one job found running (JOB_EV_INTERRUPT, crash = 1); an SQLite
 * code. */
static int
store_recover_interrupt(struct store *s, const struct store_recover_run *run,
    int64_t now_ms)
{
	struct job_outcome o;
	int64_t not_before = -1;
	int rc;

	rc = job_transition(JOBQ_STATE_RUNNING, JOB_EV_INTERRUPT,
	    run->attempts, run->max_retries, 0, 1, &o);
	JQ_ASSERT(rc == 0);
	if (o.retry)
		not_before = now_ms + sched_backoff_ms(run->retry_delay_ms > 0 ?
		    run->retry_delay_ms : 1000, run->attempts > 0 ?
		    run->attempts : 1, STORE_RETRY_CAP_MS,
		    store_recover_rand01());
	if ((rc = store_run(s, ST_RECOVER, STORE_ARGS(STORE_INT(run->id),
	    STORE_TEXT(jobq_state_name(o.state)),
	    o.retry ? STORE_NULL : STORE_INT(now_ms), STORE_TEXT(o.reason),
	    STORE_INT(not_before)))) != SQLITE_OK)
		return (rc);
	if (o.retry)
		log_info("job %" PRId64 " was running when jobqd stopped: "
		    "queued again, to start in %" PRId64 " ms", run->id,
		    not_before - now_ms);
	else
		log_info("job %" PRId64 " was running when jobqd stopped: "
		    "interrupted", run->id);
	return (SQLITE_OK);
}

/* Ends every job found running, in one transaction (FAULT_COMMIT applies
 * to its COMMIT); *full is set when it failed for a full disk. */
static int
store_recover_interrupt_all(struct store *s,
    const struct store_recover_run *run, size_t n, int64_t now_ms, int *full)
{
	size_t i;
	int rc, ret;

	*full = 0;
	if ((rc = store_step_done(s->st[ST_BEGIN])) != SQLITE_OK)
		return (store_err(s, rc, "recovery"));
	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = store_recover_interrupt(s, &run[i], now_ms);
	if (rc == SQLITE_OK)
		rc = store_commit(s);
	if (rc == SQLITE_OK)
		return (0);
	ret = store_err(s, rc, "recovery");
	*full = (rc & 0xff) == SQLITE_FULL;
	if (!sqlite3_get_autocommit(s->db))
		(void)store_step_done(s->st[ST_ROLLBACK]);
	return (ret);
}

/* One marked job back to queued if it is still that run; an SQLite
 * code. */
static int
store_recover_unclaim(struct store *s, const struct store_unstarted *u,
    size_t *nput)
{
	struct job_outcome o;
	int rc;

	rc = job_transition(JOBQ_STATE_RUNNING, JOB_EV_UNCLAIM,
	    (int)u->attempt, 0, 0, 1, &o);
	JQ_ASSERT(rc == 0);
	if ((rc = store_run(s, ST_RECOVER_UNCLAIM, STORE_ARGS(STORE_INT(u->id),
	    STORE_INT(u->attempt), STORE_INT(o.attempts)))) != SQLITE_OK)
		return (rc);
	if (sqlite3_changes(s->db) > 0) {
		log_info("job %" PRId64 " was handed to a worker that never "
		    "started it: queued again", u->id);
		(*nput)++;
	}
	return (SQLITE_OK);
}

int
store_recover_unstarted(struct store *s, const struct store_unstarted *u,
    size_t n, size_t *nput)
{
	size_t i;
	int rc, full = 0, tries;

	*nput = 0;
	if (n == 0)
		return (0);
	for (tries = 0; tries < 2; tries++) {
		*nput = 0;
		if ((rc = store_step_done(s->st[ST_BEGIN])) != SQLITE_OK)
			return (store_err(s, rc, "recovery"));
		for (i = 0, rc = SQLITE_OK; i < n && rc == SQLITE_OK; i++)
			rc = store_recover_unclaim(s, &u[i], nput);
		if (rc == SQLITE_OK)
			rc = store_commit(s);
		if (rc == SQLITE_OK)
			return (0);
		full = (rc & 0xff) == SQLITE_FULL;
		if (!sqlite3_get_autocommit(s->db))
			(void)store_step_done(s->st[ST_ROLLBACK]);
		/* A full disk: the reserve (if held) makes room. */
		if (!full || !store_reserve_release(s))
			break;
	}
	*nput = 0;
	return (store_err(s, rc, "recovery"));
}

int
store_recover_stream(struct store *s, struct store_recovery *r,
    int64_t now_ms)
{
	struct store_recover_run *run = NULL;
	size_t nrun = 0;
	int ret, full = 0;

	memset(r, 0, sizeof(*r));
	/* Collect the running jobs first, then change them. */
	if ((ret = store_recover_running(s, &run, &nrun)) != 0)
		return (ret);
	if (nrun > 0)
		ret = store_recover_interrupt_all(s, run, nrun, now_ms, &full);
	/* A full disk: the reserve (if held) makes room for their ends. */
	if (ret != 0 && full && store_reserve_release(s))
		ret = store_recover_interrupt_all(s, run, nrun, now_ms, &full);
	free(run);
	if (ret != 0)
		return (ret);
	if ((ret = store_recover_instance(s, &r->instance)) != 0 ||
	    (ret = store_recover_adopted(s, r)) != 0 ||
	    (ret = store_recover_count_queued(s, &r->nqueued_counted)) != 0 ||
	    (ret = store_read_queues(s, &r->queues, &r->nqueues)) != 0 ||
	    (ret = store_schedule_load(s, &r->schedules,
	    &r->nschedules)) != 0) {
		store_recovery_release(r);
		return (ret);
	}
	r->n_interrupted = nrun;
	return (0);
}

int
store_recover(struct store *s, struct store_recovery *r, int64_t now_ms)
{
	int ret;

	if ((ret = store_recover_stream(s, r, now_ms)) != 0)
		return (ret);
	if ((ret = store_recover_queued(s, r)) != 0 ||
	    (ret = store_recover_deps(s, r)) != 0)
		store_recovery_release(r);
	return (ret);
}
