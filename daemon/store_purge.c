/*
 * store_purge.c - STORE_PURGE, in the batch's transaction: the ended jobs
 * matching the filters go into temp.purge_ids with one INSERT ... SELECT
 * (its WHERE clause built per op), are read back with one SELECT, and
 * their jobs, labels and deps rows (and arrays left without tasks) are
 * deleted set-wise.  Once the batch committed, store.c calls
 * store_purge_unlink() to remove their output files: logs/UID/ID.out and
 * ID.err, UID the job's owner, by unlinkat() in a descriptor of logs/UID
 * opened from the logs directory's O_DIRECTORY | O_NOFOLLOW (a symlink in
 * place of logs/UID is not followed, one in place of a file is removed
 * itself, its target untouched).  A purge deletes rows; it changes no job's
 * state.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "userdir.h"
#include "util.h"

/* A size_t as an SQL integer. */
static int64_t
store_purge_i64(size_t v)
{
	return (v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/*
 * The statement filling temp.purge_ids: ?1 finished_before, ?2 state, ?3
 * owner, ?4 keep_count, ?5 max; only the filters given are in it.  Jobs go
 * oldest-finished first (jobs_ended, whose WHERE is STORE_ENDED).  limit,
 * when > 0, replaces keep_count (the caller worked out how many to take)
 * and max.  Prepared in *stp and bound: 0, or a JOBQ_E* code for
 * op->status (the batch goes on: nothing was written yet).
 */
static int
store_purge_prepare(struct store *s, const struct store_op *op,
    int64_t limit, sqlite3_stmt **stp)
{
	const char *state = op->in.purge.state >= 0 ?
	    jobq_state_name(op->in.purge.state) : NULL;
	struct store_sqlbuf q;
	sqlite3_stmt *st;
	int rc;

	memset(&q, 0, sizeof(q));
	store_sqlbuf_add(&q, "INSERT INTO temp.purge_ids (id) SELECT id FROM "
	    "main.jobs WHERE " STORE_ENDED);
	if (op->in.purge.finished_before != 0)
		store_sqlbuf_add(&q, " AND finished_at < ?1");
	if (state != NULL)
		store_sqlbuf_add(&q, " AND state = ?2");
	if (op->in.purge.owner_uid >= 0)
		store_sqlbuf_add(&q, " AND owner_uid = ?3");
	if (op->in.purge.keep_count > 0 && limit == 0)
		store_sqlbuf_add(&q, " AND id NOT IN (SELECT id FROM "
		    "main.jobs WHERE " STORE_ENDED " ORDER BY finished_at "
		    "DESC, id DESC LIMIT ?4)");
	store_sqlbuf_add(&q, " ORDER BY finished_at, id");
	if (op->in.purge.max > 0 || limit > 0)
		store_sqlbuf_add(&q, " LIMIT ?5");
	if (q.failed) {
		free(q.buf);
		return (JOBQ_ENOMEM);
	}
	rc = sqlite3_prepare_v2(s->db, q.buf, -1, &st, NULL);
	free(q.buf);
	if (rc != SQLITE_OK)
		return (store_err(s, rc, "purge"));
	rc = store_bind(st, STORE_ARGS(
	    op->in.purge.finished_before != 0 ?
	    STORE_INT(op->in.purge.finished_before) : STORE_SKIP,
	    state != NULL ? STORE_TEXT(state) : STORE_SKIP,
	    op->in.purge.owner_uid >= 0 ? STORE_INT(op->in.purge.owner_uid) :
	    STORE_SKIP,
	    op->in.purge.keep_count > 0 && limit == 0 ?
	    STORE_INT(store_purge_i64(op->in.purge.keep_count)) : STORE_SKIP,
	    limit > 0 ? STORE_INT(limit) : op->in.purge.max > 0 ?
	    STORE_INT(store_purge_i64(op->in.purge.max)) : STORE_SKIP));
	if (rc != SQLITE_OK) {
		(void)sqlite3_finalize(st);
		return (store_code(rc));
	}
	*stp = st;
	return (0);
}

/* The ids in temp.purge_ids, ascending, and their owners into
 * op->out.purge (op->status JOBQ_ENOMEM if they do not fit).  An SQLite
 * code. */
static int
store_purge_ids(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_PURGE_IDS];
	int64_t *ids = NULL;
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0, ucap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&ids, &cap, n + 1, sizeof(*ids)) != 0 ||
		    util_grow(&uids, &ucap, n + 1, sizeof(*uids)) != 0)
			break;
		ids[n] = sqlite3_column_int64(st, 0);
		uids[n++] = (uint32_t)sqlite3_column_int64(st, 1);
	}
	store_reset(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		free(uids);
		if (rc == SQLITE_ROW)
			op->status = JOBQ_ENOMEM;
		return (rc == SQLITE_ROW ? SQLITE_OK : rc);
	}
	op->out.purge.n = n;
	op->out.purge.ids = ids;
	op->out.purge.uids = uids;
	return (SQLITE_OK);
}

/*
 * keep_count alone (retention): the ended jobs beyond the keep_count newest
 * are the (ended - keep_count) oldest, ended read from the counts table,
 * so no query has to rank every ended job.  *limit: how many to take (at
 * most max), -1 for none, 0 when other filters are given (the statement
 * then ranks them itself).  An SQLite code.
 */
static int
store_purge_limit(struct store *s, const struct store_op *op, int64_t *limit)
{
	sqlite3_stmt *st = s->st[ST_ENDED_COUNT];
	int64_t ended, excess;
	int rc;

	*limit = 0;
	if (op->in.purge.keep_count == 0 || op->in.purge.state >= 0 ||
	    op->in.purge.owner_uid >= 0 || op->in.purge.finished_before != 0)
		return (SQLITE_OK);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_reset(st);
		return (rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	}
	ended = sqlite3_column_int64(st, 0);
	store_reset(st);
	excess = ended - store_purge_i64(op->in.purge.keep_count);
	if (excess <= 0)
		*limit = -1;
	else if (op->in.purge.max > 0 &&
	    excess > store_purge_i64(op->in.purge.max))
		*limit = store_purge_i64(op->in.purge.max);
	else
		*limit = excess;
	return (SQLITE_OK);
}

int
store_purge(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = NULL;
	int64_t limit;
	int rc;

	if (op->in.purge.state >= 0 &&
	    (jobq_state_name(op->in.purge.state) == NULL ||
	    !jobq_state_is_terminal(op->in.purge.state))) {
		op->status = JOBQ_EINVAL;
		return (0);
	}
	if ((rc = store_step_done(s->st[ST_PURGE_CLEAR])) != SQLITE_OK)
		return (store_fail(s, rc, "purge"));
	if ((rc = store_purge_limit(s, op, &limit)) != SQLITE_OK)
		return (store_fail(s, rc, "purge"));
	if (limit < 0)
		return (0);	/* no more ended jobs than keep_count */
	if ((op->status = store_purge_prepare(s, op, limit, &st)) != 0)
		return (0);
	rc = sqlite3_step(st);
	(void)sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return (store_fail(s, rc, "purge"));

	/* Only temp.purge_ids has changed so far. */
	if ((rc = store_purge_ids(s, op)) != SQLITE_OK)
		return (store_fail(s, rc, "purge"));
	if (op->status != 0)
		return (0);
	/* envs_gc may delete the cached environment's row */
	if (op->out.purge.n > 0)
		store_env_forget(s);
	if (op->out.purge.n > 0 &&
	    ((rc = store_step_done(s->st[ST_PURGE_LABELS])) != SQLITE_OK ||
	    (rc = store_step_done(s->st[ST_PURGE_DEPS])) != SQLITE_OK ||
	    (rc = store_step_done(s->st[ST_PURGE_HISTORY])) != SQLITE_OK ||
	    (rc = store_step_done(s->st[ST_PURGE_JOBS])) != SQLITE_OK ||
	    (rc = store_step_done(s->st[ST_PURGE_ARRAYS])) != SQLITE_OK)) {
		store_op_release(op);
		return (store_fail(s, rc, "purge"));
	}
	return (0);
}

/* The descriptor of logs/UID for uid, through the one-entry cache *c
 * (c->uid, c->fd; -1: none or not usable): opened O_NOFOLLOW and checked
 * (userdir.h), without creating it.  -1 when there is none to unlink in. */
struct store_purge_dir {
	uint32_t uid;
	int fd;
	int valid;
};

static int
store_purge_dir(struct store *s, int logs_fd, uint32_t uid,
    struct store_purge_dir *c)
{
	int e;

	if (c->valid && c->uid == uid)
		return (c->fd);
	if (c->valid && c->fd >= 0)
		(void)close(c->fd);
	c->uid = uid;
	c->valid = 1;
	if ((e = userdir_open(logs_fd, (uid_t)uid, (gid_t)-1,
	    USERDIR_ANY_OWNER, &c->fd)) != 0 &&
	    e != ENOENT)
		log_warnx("%s: purge: logs/%lu %s: its jobs' output files "
		    "are left", s->path, (unsigned long)uid,
		    userdir_strerror(e));
	return (c->fd);
}

/* After the commit: removes the purged jobs' output files, by name in
 * their owner's directory (see the top; never through a symlink to
 * another directory).  Returns how many files went. */
size_t
store_purge_unlink(struct store *s, const struct store_op *op)
{
	static const char *const ext[] = { "out", "err" };
	struct store_purge_dir c = { 0, -1, 0 };
	char name[32];
	size_t i, k, n = 0;
	int dfd;

	if (op->in.purge.logs_fd < 0)
		return (0);
	for (i = 0; i < op->out.purge.n; i++) {
		if ((dfd = store_purge_dir(s, op->in.purge.logs_fd,
		    op->out.purge.uids[i], &c)) < 0)
			continue;
		for (k = 0; k < 2; k++) {
			(void)snprintf(name, sizeof(name), "%" PRId64 ".%s",
			    op->out.purge.ids[i], ext[k]);
			if (unlinkat(dfd, name, 0) == 0)
				n++;
			else if (errno != ENOENT)
				log_warnx("%s: purge: logs/%lu/%s: %s",
				    s->path, (unsigned long)
				    op->out.purge.uids[i], name,
				    strerror(errno));
		}
	}
	if (c.valid && c.fd >= 0)
		(void)close(c.fd);
	return (n);
}
