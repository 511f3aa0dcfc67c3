/*
 * store_edit.c - STORE_EDIT: a hold, a release or an edit of a queued job,
 * in the batch's transaction together with its history rows
 * (store_history.c); or a history row alone (a retry by hand, a cancel of
 * a job past queued: a queued job's cancel is noted by its end's UPDATE,
 * store_update.note); or the hold or release of many jobs (an array's),
 * through one prepared UPDATE, without reading their rows.
 *
 * The job's row is read first (ST_GET): the edit is refused unless the job
 * is queued (JOBQ_ESTATE; dispatch has checked already, this is the
 * store's own guard), and the old values make the history's "FIELD: OLD ->
 * NEW" details.  Each field set is one UPDATE (or a DELETE and INSERTs for
 * labels and deps) and one history row.  The statements are prepared per
 * op: edits are rare, and the store's hot statements stay as they are.
 * The caller reads the row back (a STORE_GET after it).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "store_int.h"

#define STORE_EDIT_DETAIL 1024	/* bytes of one detail (cut with "...") */

/* Runs sql with args once. */
static int
store_edit_exec(struct store *s, const char *sql, const struct store_arg *a,
    size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return (rc);
	if ((rc = store_bind(st, a, n)) == SQLITE_OK)
		rc = store_step_done(st);
	(void)sqlite3_finalize(st);
	return (rc);
}

/* The job's row; 0, JOBQ_ENOTFOUND or an error. */
static int
store_edit_get(struct store *s, int64_t id, jobq_job **out)
{
	sqlite3_stmt *st = s->st[ST_GET];
	int rc, ret;

	*out = NULL;
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(id)))) != SQLITE_OK)
		return (store_code(rc));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = store_row_job(st, out);
	else
		ret = rc == SQLITE_DONE ? JOBQ_ENOTFOUND :
		    store_err(s, rc, "edit");
	store_reset(st);
	return (ret);
}

/* "field: old -> new" into buf, cut to fit. */
static void
store_edit_detail(char *buf, size_t len, const char *field, const char *o,
    const char *n)
{
	int k;

	k = snprintf(buf, len, "%s: %s -> %s", field, o, n);
	if (k >= 0 && (size_t)k >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static void
store_edit_i64(char *buf, size_t len, int64_t v)
{
	(void)snprintf(buf, len, "%" PRId64, v);
}

/* Labels or deps as one line, "a=1,b=2" / "ok:3,any:4" ("-": none). */
static void
store_edit_list(char *buf, size_t len, const char *const *labels,
    size_t nlabels, const jobq_dep *deps, size_t ndeps)
{
	size_t i, o = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < nlabels + ndeps && o < len; i++) {
		if (i < nlabels)
			k = snprintf(buf + o, len - o, "%s%s", i ? "," : "",
			    labels[i]);
		else
			k = snprintf(buf + o, len - o, "%s%s:%" PRId64,
			    i ? "," : "",
			    jobq_dep_mode_name(deps[i - nlabels].mode),
			    deps[i - nlabels].id);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (o >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	if (buf[0] == '\0')
		(void)snprintf(buf, len, "-");
}

/* JSON of a string vector, cut to fit (for argv's detail). */
static void
store_edit_strv(char *buf, size_t len, const char *const *v, size_t n)
{
	char *json = store_row_strv_json(v, n);

	(void)snprintf(buf, len, "%s", json != NULL ? json : "?");
	if (json != NULL && strlen(json) >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	cJSON_free(json);
}

/* The job's deps as they are now, "mode:id,..." ("-": none). */
static int
store_edit_deps_now(struct store *s, int64_t id, char *buf, size_t len)
{
	sqlite3_stmt *st;
	size_t o = 0;
	int rc, k;

	buf[0] = '\0';
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT dep_id, mode FROM deps "
	    "WHERE job_id = ?1 ORDER BY rowid", -1, &st, NULL)) != SQLITE_OK)
		return (rc);
	(void)sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = jobq_dep_mode_name(
		    (jobq_dep_mode)sqlite3_column_int(st, 1));

		if (o >= len)
			continue;
		k = snprintf(buf + o, len - o, "%s%s:%" PRId64, o ? "," : "",
		    m != NULL ? m : "?", (int64_t)sqlite3_column_int64(st, 0));
		if (k > 0)
			o += (size_t)k;
	}
	(void)sqlite3_finalize(st);
	if (o >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	if (buf[0] == '\0')
		(void)snprintf(buf, len, "-");
	return (rc == SQLITE_DONE ? SQLITE_OK : rc);
}

/* The fields of e that are set, each an UPDATE and a history row. */
static int
store_edit_fields(struct store *s, const struct store_edit *e,
    const jobq_job *old)
{
	char o[STORE_EDIT_DETAIL], n[STORE_EDIT_DETAIL], d[STORE_EDIT_DETAIL];
	char *json;
	int64_t env_id;
	size_t i;
	int rc = SQLITE_OK;

#define HIST(field) do {						\
	store_edit_detail(d, sizeof(d), field, o, n);			\
	if ((rc = store_history_add(s, e->id, e->at, e->uid, "edit",	\
	    d)) != SQLITE_OK)						\
		return (rc);						\
} while (0)
#define SET(sql, v) do {						\
	if ((rc = store_edit_exec(s, "UPDATE OR FAIL jobs SET " sql		\
	    " WHERE id = ?1", STORE_ARGS(STORE_INT(e->id), v))) !=	\
	    SQLITE_OK)							\
		return (rc);						\
} while (0)
	if (e->set & STORE_EDIT_QUEUE) {
		SET("queue = ?2", STORE_TEXT(e->queue));
		(void)snprintf(o, sizeof(o), "%s", old->queue);
		(void)snprintf(n, sizeof(n), "%s", e->queue);
		HIST("queue");
	}
	if (e->set & STORE_EDIT_PRIORITY) {
		SET("priority = ?2", STORE_INT(e->priority));
		store_edit_i64(o, sizeof(o), old->priority);
		store_edit_i64(n, sizeof(n), e->priority);
		HIST("priority");
	}
	if (e->set & STORE_EDIT_NAME) {
		SET("name = ?2", STORE_TEXT(e->name));
		(void)snprintf(o, sizeof(o), "%s", old->name ? old->name : "-");
		(void)snprintf(n, sizeof(n), "%s", e->name ? e->name : "-");
		HIST("name");
	}
	if (e->set & STORE_EDIT_NOT_BEFORE) {
		SET("not_before = ?2", STORE_INT(e->not_before));
		store_edit_i64(o, sizeof(o), old->not_before);
		store_edit_i64(n, sizeof(n), e->not_before);
		HIST("not_before");
	}
	if (e->set & STORE_EDIT_TIMEOUT) {
		SET("timeout_ms = ?2", STORE_INT(e->timeout_ms));
		store_edit_i64(o, sizeof(o), old->timeout_ms);
		store_edit_i64(n, sizeof(n), e->timeout_ms);
		HIST("timeout_ms");
	}
	if (e->set & STORE_EDIT_RETRIES) {
		SET("max_retries = ?2", STORE_INT(e->max_retries));
		store_edit_i64(o, sizeof(o), old->max_retries);
		store_edit_i64(n, sizeof(n), e->max_retries);
		HIST("retries");
	}
	if (e->set & STORE_EDIT_SLOTS) {
		SET("slots = ?2", STORE_INT(e->slots));
		store_edit_i64(o, sizeof(o), old->slots);
		store_edit_i64(n, sizeof(n), e->slots);
		HIST("slots");
	}
	if (e->set & STORE_EDIT_RES) {
		SET("res = ?2", STORE_TEXT(e->res));
		(void)snprintf(o, sizeof(o), "%s", old->res ? old->res : "-");
		(void)snprintf(n, sizeof(n), "%s", e->res ? e->res : "-");
		HIST("res");
	}
	if (e->set & STORE_EDIT_CWD) {
		SET("cwd = ?2", STORE_TEXT(e->cwd));
		(void)snprintf(o, sizeof(o), "%s", old->cwd ? old->cwd : "");
		(void)snprintf(n, sizeof(n), "%s", e->cwd);
		HIST("cwd");
	}
	if (e->set & (STORE_EDIT_ARGV | STORE_EDIT_ENV)) {
		for (i = 0; i < 2; i++) {
			if (!(e->set & (i == 0 ? STORE_EDIT_ARGV :
			    STORE_EDIT_ENV)))
				continue;
			if (i == 1) {
				/* its envs row (store_env.c); envs_gc_edit
				 * deletes the old one if it was its last */
				env_id = 0;
				if ((e->envc != 0 && (rc = store_env_id(s,
				    e->env, e->envc, &env_id)) != SQLITE_OK) ||
				    (rc = store_edit_exec(s, "UPDATE OR FAIL jobs SET "
				    "env = ?3, env_id = ?2 WHERE id = ?1",
				    STORE_ARGS(STORE_INT(e->id),
				    STORE_NULLIF(env_id, 0),
				    STORE_TEXT(env_id != 0 ? "" : "[]")))) !=
				    SQLITE_OK)
					return (rc);
				store_env_forget(s);
			} else {
				if ((json = store_row_strv_json(e->argv,
				    e->argc)) == NULL)
					return (SQLITE_NOMEM);
				rc = store_edit_exec(s, "UPDATE OR FAIL jobs SET "
				    "argv = ?2 WHERE id = ?1", STORE_ARGS(
				    STORE_INT(e->id), STORE_TEXT(json)));
				cJSON_free(json);
				if (rc != SQLITE_OK)
					return (rc);
			}
			if (i == 0) {
				store_edit_strv(o, sizeof(o),
				    (const char *const *)old->argv, old->argc);
				store_edit_strv(n, sizeof(n), e->argv, e->argc);
				HIST("argv");
			} else {
				/* the values may be secrets: counts only */
				(void)snprintf(d, sizeof(d), "env: replaced "
				    "(%zu entries)", e->envc);
				if ((rc = store_history_add(s, e->id, e->at,
				    e->uid, "edit", d)) != SQLITE_OK)
					return (rc);
			}
		}
	}
	if (e->set & STORE_EDIT_LABELS) {
		if ((rc = store_edit_exec(s, "DELETE FROM labels WHERE "
		    "job_id = ?1", STORE_ARGS(STORE_INT(e->id)))) != SQLITE_OK)
			return (rc);
		for (i = 0; i < e->nlabels; i++)
			if ((rc = store_run(s, ST_INSERT_LABEL,
			    STORE_ARGS(STORE_INT(e->id),
			    STORE_TEXT(e->labels[i])))) != SQLITE_OK)
				return (rc);
		store_edit_list(o, sizeof(o), (const char *const *)old->labels,
		    old->nlabels, NULL, 0);
		store_edit_list(n, sizeof(n), e->labels, e->nlabels, NULL, 0);
		HIST("labels");
	}
	if (e->set & STORE_EDIT_DEPS) {
		store_edit_list(o, sizeof(o), NULL, 0, old->deps, old->ndeps);
		for (i = 0; i < e->ndeps_remove; i++)
			if ((rc = store_edit_exec(s, "DELETE FROM deps WHERE "
			    "job_id = ?1 AND dep_id = ?2",
			    STORE_ARGS(STORE_INT(e->id),
			    STORE_INT(e->deps_remove[i])))) != SQLITE_OK)
				return (rc);
		for (i = 0; i < e->ndeps_add; i++)
			if ((rc = store_run(s, ST_INSERT_DEP,
			    STORE_ARGS(STORE_INT(e->id),
			    STORE_INT(e->deps_add[i].id),
			    STORE_INT(e->deps_add[i].mode)))) != SQLITE_OK)
				return (rc);
		if ((rc = store_edit_deps_now(s, e->id, n, sizeof(n))) !=
		    SQLITE_OK)
			return (rc);
		HIST("deps");
	}
#undef HIST
#undef SET
	return (rc);
}

/* An array's hold or release (e->nids > 0): each job of e->ids queued and
 * not so already changes, with its history row. */
static int
store_edit_held_many(struct store *s, const struct store_edit *e)
{
	size_t i;
	int rc;

	for (i = 0; i < e->nids; i++) {
		if ((rc = store_run(s, ST_SET_HELD, STORE_ARGS(
		    STORE_INT(e->ids[i]), STORE_INT(e->held != 0)))) !=
		    SQLITE_OK)
			return (store_fail(s, rc, "edit"));
		if (sqlite3_changes(s->db) == 0)
			continue;	/* ended, started, or so already */
		if ((rc = store_history_add(s, e->ids[i], e->at, e->uid,
		    e->held ? "hold" : "release", NULL)) != SQLITE_OK)
			return (store_fail(s, rc, "edit (history)"));
	}
	return (0);
}

int
store_edit(struct store *s, struct store_op *op)
{
	const struct store_edit *e = &op->in.edit;
	jobq_job *old = NULL;
	int rc, ret;

	if (e->nids > 0) {
		if (e->held < 0) {
			op->status = JOBQ_EINVAL;
			return (0);
		}
		return (store_edit_held_many(s, e));
	}
	if (e->note != NULL) {
		if ((rc = store_history_add(s, e->id, e->at, e->uid, e->note,
		    e->note_detail)) != SQLITE_OK)
			return (store_fail(s, rc, "history"));
		return (0);
	}
	if ((ret = store_edit_get(s, e->id, &old)) != 0 || old == NULL) {
		op->status = ret != 0 ? ret : JOBQ_EINTERNAL;
		return (0);
	}
	if (old->state != JOBQ_STATE_QUEUED) {
		jobq_job_free(old);
		op->status = JOBQ_ESTATE;
		return (0);
	}
	rc = SQLITE_OK;
	if (e->held >= 0 && (e->held != 0) != (old->held != 0)) {
		if ((rc = store_edit_exec(s, "UPDATE OR FAIL jobs SET held = ?2 WHERE "
		    "id = ?1", STORE_ARGS(STORE_INT(e->id),
		    STORE_INT(e->held != 0)))) == SQLITE_OK)
			rc = store_history_add(s, e->id, e->at, e->uid,
			    e->held ? "hold" : "release", NULL);
	}
	if (rc == SQLITE_OK)
		rc = store_edit_fields(s, e, old);
	jobq_job_free(old);
	if (rc != SQLITE_OK)
		return (store_fail(s, rc, "edit"));
	return (0);
}
