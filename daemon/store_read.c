/*
 * store_read.c - the read ops, run on the store thread after a batch's
 * writes committed (so a read sees every write submitted before it):
 * STORE_GET, STORE_LIST (its statement built per op from the filters),
 * STORE_LOOKUP, STORE_ARRAY, STORE_COUNTS and STORE_CHECKPOINT; and the
 * queues table read, shared with recovery.  Each sets op->status; none
 * changes the database.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

/* Largest number of labels one LIST may filter on (host parameters). */
#define STORE_LIST_MAX_LABELS 512

void
store_queues_free(struct store_queue *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].executor);
	free(v);
}

/* Rows of the queues table, by name (recovery, COUNTS). */
int
store_read_queues(struct store *s, struct store_queue **vp, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_QUEUES];
	struct store_queue *v = NULL;
	const char *name, *exec;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&v, &cap, n + 1, sizeof(*v)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		memset(&v[n], 0, sizeof(v[n]));
		name = (const char *)sqlite3_column_text(st, 0);
		(void)snprintf(v[n].name, sizeof(v[n].name), "%s",
		    name != NULL ? name : "");
		v[n].parallel = sqlite3_column_int(st, 1);
		v[n].paused = sqlite3_column_int(st, 2);
		v[n].has_settings = 1;
		exec = (const char *)sqlite3_column_text(st, 3);
		if (exec != NULL && exec[0] != '\0' &&
		    (v[n].executor = strdup(exec)) == NULL) {
			ret = JOBQ_ENOMEM;
			break;
		}
		n++;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "queues");
	if (ret != 0) {
		store_queues_free(v, n);
		return (ret);
	}
	*vp = v;
	*np = n;
	return (0);
}

/* 1 if id is an array's, 0 if not, or a JOBQ_E* code. */
int
store_read_is_array(struct store *s, int64_t id, uid_t *owner)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_ROW];
	int rc;

	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(id)))) != SQLITE_OK)
		return (store_code(rc));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && owner != NULL)
		*owner = (uid_t)sqlite3_column_int64(st, 4);
	store_reset(st);
	if (rc == SQLITE_ROW)
		return (1);
	if (rc == SQLITE_DONE)
		return (0);
	return (store_err(s, rc, "array"));
}

void
store_read_get(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st;
	int rc, ret;

	st = s->st[op->in.get.by_index ? ST_GET_INDEX : ST_GET];
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(op->in.get.id),
	    op->in.get.by_index ? STORE_INT(op->in.get.index) :
	    STORE_SKIP))) != SQLITE_OK) {
		op->status = store_code(rc);
		return;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		op->status = store_row_job(st, &op->out.job);
	else if (rc == SQLITE_DONE)
		op->status = JOBQ_ENOTFOUND;
	else
		op->status = store_err(s, rc, "get");
	store_reset(st);
	if (rc == SQLITE_DONE && !op->in.get.by_index) {
		ret = store_read_is_array(s, op->in.get.id, NULL);
		if (ret == 1)
			op->status = JOBQ_EISARRAY;
		else if (ret < 0)
			op->status = ret;
	}
}

/* Checks a LIST's filters; 0 or JOBQ_EINVAL. */
static int
store_read_list_valid(const struct store_op *op)
{
	size_t i;

	if ((op->in.list.states >> JOBQ_STATE_COUNT) != 0)
		return (JOBQ_EINVAL);
	if ((op->in.list.labels == NULL && op->in.list.nlabels != 0) ||
	    op->in.list.nlabels > STORE_LIST_MAX_LABELS)
		return (JOBQ_EINVAL);
	for (i = 0; i < op->in.list.nlabels; i++)
		if (op->in.list.labels[i] == NULL)
			return (JOBQ_EINVAL);
	return (0);
}

/* " AND state IN ('queued', ...)" for the states wanted (names are ours,
 * never the client's bytes). */
static void
store_read_list_states(struct store_sqlbuf *q, unsigned states)
{
	const char *sep = " AND state IN (";
	int st;

	if (states == 0)
		return;
	for (st = 0; st < JOBQ_STATE_COUNT; st++) {
		if ((states & (1u << st)) == 0)
			continue;
		store_sqlbuf_add(q, "%s'%s'", sep,
		    jobq_state_name((jobq_state)st));
		sep = ", ";
	}
	store_sqlbuf_add(q, ")");
}

/* The WHERE clause of a LIST (after "WHERE 1"): ?2 queue, ?4 name, ?5
 * array id, ?6.. labels; the owners are integers, written in. */
static void
store_read_list_where(struct store_sqlbuf *q, const struct store_op *op)
{
	size_t i;

	store_read_list_states(q, op->in.list.states);
	if (op->in.list.queue[0] != '\0')
		store_sqlbuf_add(q, " AND queue = ?2");
	if (op->in.list.name != NULL)
		store_sqlbuf_add(q, " AND name = ?4");
	if (op->in.list.schedule != NULL)
		store_sqlbuf_add(q, " AND schedule = ?1");
	if (op->in.list.array_id != 0)
		store_sqlbuf_add(q, " AND array_id = ?5 AND array_id != 0");
	if (op->in.list.by_owner)
		store_sqlbuf_add(q, " AND owner_uid = %lu",
		    (unsigned long)op->in.list.owner_uid);
	if (op->in.list.by_user)
		store_sqlbuf_add(q, " AND owner_uid = %lu",
		    (unsigned long)op->in.list.user_uid);
	for (i = 0; i < op->in.list.nlabels; i++)
		store_sqlbuf_add(q, " AND EXISTS (SELECT 1 FROM labels l "
		    "WHERE l.label = ?%zu AND l.job_id = jobs.id)", i + 6);
}

/* Prepares q's text into *stp and binds a LIST's parameters (?3, the
 * limit, only if with_limit); a JOBQ_E* code.  Frees q's text. */
static int
store_read_list_bind(struct store *s, const struct store_op *op,
    struct store_sqlbuf *q, int with_limit, sqlite3_stmt **stp)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (q->failed) {
		free(q->buf);
		return (JOBQ_ENOMEM);
	}
	rc = sqlite3_prepare_v2(s->db, q->buf, -1, &st, NULL);
	free(q->buf);
	if (rc != SQLITE_OK)
		return (store_err(s, rc, "list"));
	rc = store_bind(st, STORE_ARGS(
	    op->in.list.schedule != NULL ? STORE_TEXT(op->in.list.schedule) :
	    STORE_SKIP,
	    op->in.list.queue[0] != '\0' ? STORE_TEXT(op->in.list.queue) :
	    STORE_SKIP,
	    with_limit ? STORE_INT(op->in.list.limit == 0 ||
	    op->in.list.limit > INT64_MAX ? -1 : (int64_t)op->in.list.limit) :
	    STORE_SKIP,
	    op->in.list.name != NULL ? STORE_TEXT(op->in.list.name) :
	    STORE_SKIP,
	    op->in.list.array_id != 0 ? STORE_INT(op->in.list.array_id) :
	    STORE_SKIP));
	for (i = 0; i < op->in.list.nlabels && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_text(st, (int)i + 6, op->in.list.labels[i],
		    -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		(void)sqlite3_finalize(st);
		return (store_code(rc));
	}
	*stp = st;
	return (0);
}

/*
 * LIST's statement: ?2 queue, ?3 limit (-1: none), ?4 name, ?5 array id,
 * ?6.. labels; only the filters given are in it.  Prepared in *stp and
 * bound; a JOBQ_E* code.
 */
static int
store_read_list_prepare(struct store *s, const struct store_op *op,
    sqlite3_stmt **stp)
{
	struct store_sqlbuf q;

	memset(&q, 0, sizeof(q));
	store_sqlbuf_add(&q, "SELECT " STORE_JOB_COLUMNS " FROM (SELECT * "
	    "FROM jobs WHERE 1");
	store_read_list_where(&q, op);
	store_sqlbuf_add(&q, " ORDER BY id DESC LIMIT ?3) j "
	    "LEFT JOIN arrays a ON a.id = j.array_id ORDER BY j.id");
	return (store_read_list_bind(s, op, &q, 1, stp));
}

/*
 * How many jobs a LIST matches, its limit aside, into *total.  Filtered by
 * states and queue only, the counts table (kept by triggers in the same
 * transactions as jobs: store_migrate.c) answers in O(queues x states);
 * with other filters the rows are counted.
 */
static int
store_read_list_count(struct store *s, const struct store_op *op,
    int64_t *total)
{
	struct store_sqlbuf q;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	memset(&q, 0, sizeof(q));
	if (op->in.list.name == NULL && op->in.list.array_id == 0 &&
	    op->in.list.schedule == NULL &&
	    !op->in.list.by_owner && !op->in.list.by_user &&
	    op->in.list.nlabels == 0) {
		store_sqlbuf_add(&q, "SELECT coalesce(sum(n), 0) FROM counts "
		    "WHERE 1");
		store_read_list_states(&q, op->in.list.states);
		if (op->in.list.queue[0] != '\0')
			store_sqlbuf_add(&q, " AND queue = ?2");
	} else {
		store_sqlbuf_add(&q, "SELECT count(*) FROM jobs WHERE 1");
		store_read_list_where(&q, op);
	}
	if ((ret = store_read_list_bind(s, op, &q, 0, &st)) != 0)
		return (ret);
	if (st == NULL)
		return (JOBQ_EINTERNAL);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		ret = 0;
	} else
		ret = store_err(s, rc, "list count");
	(void)sqlite3_finalize(st);
	return (ret);
}

void
store_read_list(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = NULL;
	jobq_job **jobs = NULL;
	size_t n = 0, cap = 0;
	int rc, ret;

	op->out.list.total = -1;
	if ((ret = store_read_list_valid(op)) != 0 ||
	    (ret = store_read_list_prepare(s, op, &st)) != 0) {
		op->status = ret;
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&jobs, &cap, n + 1, sizeof(*jobs)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		if ((ret = store_row_job(st, &jobs[n])) != 0)
			break;
		n++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "list");
	(void)sqlite3_finalize(st);
	/* fewer than the limit: they are all there is */
	if (ret == 0 && op->in.list.count) {
		if (op->in.list.limit == 0 || n < op->in.list.limit)
			op->out.list.total = (int64_t)n;
		else
			ret = store_read_list_count(s, op, &op->out.list.total);
	}
	if (ret != 0) {
		jobq_job_list_free(jobs, n);
		op->status = ret;
		return;
	}
	op->out.list.jobs = jobs;
	op->out.list.n = n;
}

/* The tasks of array id, in id order (ST_ARRAY_TASKS). */
static int
store_read_array_tasks(struct store *s, int64_t id, int64_t **idsp,
    jobq_state **statesp, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_TASKS];
	int64_t *ids = NULL;
	jobq_state *states = NULL;
	size_t n = 0, cap = 0, scap = 0;
	int rc, ret = 0, sv;

	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(id)))) != SQLITE_OK)
		return (store_code(rc));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&ids, &cap, n + 1, sizeof(*ids)) != 0 ||
		    util_grow(&states, &scap, n + 1, sizeof(*states)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		if ((sv = store_row_state(st, 1)) < 0) {
			ret = sv;
			break;
		}
		ids[n] = sqlite3_column_int64(st, 0);
		states[n] = (jobq_state)sv;
		n++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "array");
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

/* What id is: a job (with its state), an array (with its tasks) or
 * nothing. */
static int
store_read_lookup_one(struct store *s, struct store_lookup *v)
{
	sqlite3_stmt *st = s->st[ST_JOB_STATE];
	int rc, ret = 0;

	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(v->id)))) != SQLITE_OK)
		return (store_code(rc));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((ret = store_row_state(st, 0)) >= 0) {
			v->kind = 1;
			v->state = (jobq_state)ret;
			v->owner_uid = (uid_t)sqlite3_column_int64(st, 1);
			ret = 0;
		}
	} else if (rc != SQLITE_DONE)
		ret = store_err(s, rc, "lookup");
	store_reset(st);
	if (ret != 0 || rc == SQLITE_ROW)
		return (ret);
	if ((ret = store_read_is_array(s, v->id, &v->owner_uid)) != 1)
		return (ret);
	v->kind = 2;
	return (store_read_array_tasks(s, v->id, &v->task_ids,
	    &v->task_states, &v->ntasks));
}

void
store_read_lookup(struct store *s, struct store_op *op)
{
	struct store_lookup *v;
	size_t i;
	int ret = 0;

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
		ret = store_read_lookup_one(s, &v[i]);
	}
	if (ret != 0) {
		store_op_release(op);
		op->status = ret;
	}
}

void
store_read_array(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_ARRAY_ROW];
	jobq_array_info *info = &op->out.array.info;
	size_t i;
	int rc, ret;

	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(op->in.array.id)))) !=
	    SQLITE_OK) {
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
		op->out.array.owner_uid = (uid_t)sqlite3_column_int64(st, 4);
	} else if (rc == SQLITE_DONE)
		op->status = JOBQ_ENOTFOUND;
	else
		op->status = store_err(s, rc, "array");
	store_reset(st);
	if (op->status != 0)
		return;
	if ((ret = store_read_array_tasks(s, op->in.array.id,
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
store_read_counts_at(struct store_queue **vp, size_t *np, size_t *capp,
    const char *name)
{
	struct store_queue *e;

	if (*np > 0 && strcmp((*vp)[*np - 1].name, name) == 0)
		return (&(*vp)[*np - 1]);
	if (util_grow(vp, capp, *np + 1, sizeof(**vp)) != 0)
		return (NULL);
	e = &(*vp)[(*np)++];
	memset(e, 0, sizeof(*e));
	(void)snprintf(e->name, sizeof(e->name), "%s", name);
	return (e);
}

/* Appends the queues with settings q[*qi ..] that sort before name (all
 * of them for name NULL), moving their executors; 0 or JOBQ_ENOMEM. */
static int
store_read_counts_settings(struct store_queue **vp, size_t *np, size_t *capp,
    struct store_queue *q, size_t nq, size_t *qi, const char *name)
{
	struct store_queue *e;

	for (; *qi < nq && (name == NULL || strcmp(q[*qi].name, name) < 0);
	    (*qi)++) {
		if ((e = store_read_counts_at(vp, np, capp,
		    q[*qi].name)) == NULL)
			return (JOBQ_ENOMEM);
		*e = q[*qi];
		q[*qi].executor = NULL;
	}
	return (0);
}

/*
 * STORE_COUNTS: the queues table (by name) merged with the job counts
 * of the counts table (kept by triggers, store_migrate.c), by name: its
 * size is that of the queues and states, not of the jobs.
 */
void
store_read_counts(struct store *s, struct store_op *op)
{
	struct store_queue *q = NULL, *v = NULL, *e;
	sqlite3_stmt *st = s->st[ST_COUNTS];
	const char *name;
	size_t nq = 0, n = 0, cap = 0, qi = 0;
	int rc = SQLITE_DONE, ret, sv;

	if ((ret = store_read_queues(s, &q, &nq)) != 0) {
		op->status = ret;
		return;
	}
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name == NULL)
			name = "";
		if ((ret = store_read_counts_settings(&v, &n, &cap, q, nq, &qi,
		    name)) != 0 ||
		    (e = store_read_counts_at(&v, &n, &cap, name)) == NULL) {
			ret = JOBQ_ENOMEM;
			break;
		}
		if (qi < nq && strcmp(q[qi].name, name) == 0) {
			e->parallel = q[qi].parallel;
			e->paused = q[qi].paused;
			e->has_settings = 1;
			e->executor = q[qi].executor;
			q[qi].executor = NULL;
			qi++;
		}
		if ((sv = store_row_state(st, 1)) >= 0)
			e->counts[sv] += (size_t)sqlite3_column_int64(st, 2);
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "counts");
	if (ret == 0)
		ret = store_read_counts_settings(&v, &n, &cap, q, nq, &qi,
		    NULL);
	store_queues_free(q, nq);
	if (ret != 0) {
		store_queues_free(v, n);
		op->status = ret;
		return;
	}
	op->out.counts.v = v;
	op->out.counts.n = n;
}

void
store_read_checkpoint(struct store *s, struct store_op *op)
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
	if (rc != SQLITE_DONE)
		op->status = store_err(s, rc, "checkpoint");
}
