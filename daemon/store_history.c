/*
 * store_history.c - a job's history (schema v10): the rows of the history
 * table, and the reading of it (STORE_HISTORY).
 *
 * What is recorded, and what is derived.  Every job goes queued -> running
 * -> ended, and the jobs row already stores when (submitted_at, started_at,
 * finished_at) and who submitted it (submitter_uid); writing a history row
 * for each of those would put one more insert (and an index entry) into
 * every claim and every end, the hot path of a drain.  So those are derived
 * from the row when the history is read: "submitted" (by submitter_uid),
 * "started" and the end ("succeeded", "failed", ...: by jobqd, whose uid the
 * store reports as geteuid()).  What the row cannot tell is written as a
 * row of its own, in the same transaction as the change it records: holds,
 * releases and edits (store_edit.c, one row per field changed, "FIELD: OLD
 * -> NEW"), cancels and retries by hand, and each automatic retry (whose
 * run's start and end the row forgets when the job is queued again).  A
 * purge deletes the rows with the job (ST_PURGE_HISTORY).
 *
 * A read gives the derived and the stored rows merged in time order: at
 * equal times (the same millisecond) "submitted" and "started" come before
 * the stored rows and the end after them, so that a cancel's own row ("who
 * canceled it", written with the end) reads before the end it caused.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

int
store_history_add(struct store *s, int64_t id, int64_t at, uint32_t uid,
    const char *what, const char *detail)
{
	return (store_run(s, ST_HISTORY_ADD, STORE_ARGS(STORE_INT(id),
	    STORE_INT(at), STORE_INT(uid), STORE_TEXT(what),
	    STORE_TEXT(detail))));
}

int
store_history_held(struct store *s, int64_t first, int64_t last, int64_t at,
    uint32_t uid)
{
	sqlite3_stmt *st;
	int rc, i;
	static const char *const sql[2] = {
		"UPDATE OR FAIL jobs SET held = 1 WHERE id BETWEEN ?1 AND ?2",
		"INSERT INTO history (job_id, at, uid, what, detail) SELECT "
		"id, ?3, ?4, 'hold', 'at submit' FROM jobs WHERE id BETWEEN ?1 "
		"AND ?2 ORDER BY id",
	};

	for (i = 0; i < 2; i++) {
		if ((rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL)) !=
		    SQLITE_OK)
			return (rc);
		if ((rc = store_bind(st, STORE_ARGS(STORE_INT(first),
		    STORE_INT(last), i ? STORE_INT(at) : STORE_SKIP,
		    i ? STORE_INT(uid) : STORE_SKIP))) == SQLITE_OK)
			rc = store_step_done(st);
		(void)sqlite3_finalize(st);
		if (rc != SQLITE_OK)
			return (rc);
	}
	return (SQLITE_OK);
}

void
store_history_free(struct store_history *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].what);
		free(v[i].detail);
	}
	free(v);
}

/* Appends a row (what and detail copied); 0 or JOBQ_ENOMEM. */
static int
store_history_push(struct store_history **v, size_t *n, size_t *cap,
    int64_t at, uint32_t uid, const char *what, const char *detail)
{
	struct store_history *h;

	if (*n == *cap) {
		size_t c = *cap == 0 ? 8 : *cap * 2;

		if ((h = realloc(*v, c * sizeof(*h))) == NULL)
			return (JOBQ_ENOMEM);
		*v = h;
		*cap = c;
	}
	h = &(*v)[*n];
	h->at = at;
	h->uid = uid;
	h->what = strdup(what);
	h->detail = detail != NULL ? strdup(detail) : NULL;
	if (h->what == NULL || (detail != NULL && h->detail == NULL)) {
		free(h->what);
		free(h->detail);
		return (JOBQ_ENOMEM);
	}
	(*n)++;
	return (0);
}

/* The rows derived from the job's own row (see the top of this file); *end
 * is set if the last of them is the job's end. */
static int
store_history_derived(const jobq_job *j, struct store_history **v,
    size_t *n, size_t *cap, int *end)
{
	char detail[512];
	uint32_t self = (uint32_t)geteuid();
	int ret;

	if ((ret = store_history_push(v, n, cap, j->submitted_at,
	    j->submitter_uid, "submitted", NULL)) != 0)
		return (ret);
	if (j->started_at > 0) {
		(void)snprintf(detail, sizeof(detail), "attempt %d",
		    j->attempts);
		if ((ret = store_history_push(v, n, cap, j->started_at, self,
		    "started", detail)) != 0)
			return (ret);
	}
	if (j->finished_at > 0 && jobq_state_is_terminal(j->state)) {
		detail[0] = '\0';
		if (j->exit_code >= 0)
			(void)snprintf(detail, sizeof(detail), "exit %d",
			    j->exit_code);
		else if (j->signal > 0)
			(void)snprintf(detail, sizeof(detail), "signal %d",
			    j->signal);
		if (j->reason != NULL)
			(void)snprintf(detail + strlen(detail),
			    sizeof(detail) - strlen(detail), "%sreason %s",
			    detail[0] != '\0' ? ", " : "", j->reason);
		if ((ret = store_history_push(v, n, cap, j->finished_at, self,
		    jobq_state_name(j->state), detail[0] != '\0' ? detail :
		    NULL)) != 0)
			return (ret);
		*end = 1;
	}
	return (0);
}

/* Stable merge by time: derived rows d[0..nd) before stored ones at equal
 * times, but for the end (d[nd - 1] if end), after them; both are in time
 * order already. */
static struct store_history *
store_history_merge(struct store_history *d, size_t nd, int end,
    struct store_history *r, size_t nr)
{
	struct store_history *v;
	size_t i = 0, k = 0, o = 0;

	if ((v = malloc((nd + nr + 1) * sizeof(*v))) == NULL)
		return (NULL);
	while (i < nd || k < nr) {
		if (k == nr || (i < nd && (d[i].at < r[k].at ||
		    (d[i].at == r[k].at && !(end && i == nd - 1)))))
			v[o++] = d[i++];
		else
			v[o++] = r[k++];
	}
	return (v);
}

void
store_history_read(struct store *s, struct store_op *op)
{
	struct store_history *d = NULL, *r = NULL, *v;
	size_t nd = 0, capd = 0, nr = 0, capr = 0;
	sqlite3_stmt *st = s->st[ST_GET];
	jobq_job *j = NULL;
	const char *what, *detail;
	int rc, ret, end = 0;

	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(op->in.history.id)))) !=
	    SQLITE_OK) {
		op->status = store_code(rc);
		return;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = store_row_job(st, &j);
	else
		ret = rc == SQLITE_DONE ? JOBQ_ENOTFOUND :
		    store_err(s, rc, "history");
	store_reset(st);
	if (ret == 0 && j == NULL)   /* store_err() never returns 0 */
		ret = JOBQ_EINTERNAL;
	if (ret != 0) {
		op->status = ret;
		return;
	}
	ret = store_history_derived(j, &d, &nd, &capd, &end);
	op->out.history.owner_uid = (uid_t)j->owner_uid;
	jobq_job_free(j);
	if (ret != 0)
		goto fail;
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT at, uid, what, detail "
	    "FROM history WHERE job_id = ?1 ORDER BY at, rowid", -1, &st,
	    NULL)) != SQLITE_OK) {
		ret = store_err(s, rc, "history");
		goto fail;
	}
	(void)sqlite3_bind_int64(st, 1, op->in.history.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		what = (const char *)sqlite3_column_text(st, 2);
		detail = (const char *)sqlite3_column_text(st, 3);
		if ((ret = store_history_push(&r, &nr, &capr,
		    sqlite3_column_int64(st, 0),
		    (uint32_t)sqlite3_column_int64(st, 1),
		    what != NULL ? what : "", detail)) != 0)
			break;
	}
	(void)sqlite3_finalize(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "history");
	if (ret != 0)
		goto fail;
	if ((v = store_history_merge(d, nd, end, r, nr)) == NULL) {
		ret = JOBQ_ENOMEM;
		goto fail;
	}
	free(d);
	free(r);
	op->out.history.v = v;
	op->out.history.n = nd + nr;
	return;
fail:
	store_history_free(d, nd);
	store_history_free(r, nr);
	op->status = ret;
}
