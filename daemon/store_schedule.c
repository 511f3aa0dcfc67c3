/*
 * store_schedule.c - recurring schedules in the store (schema v11): the
 * STORE_SCHEDULE write op (a row added, removed, paused or resumed, or a
 * step without a job recorded: misses, a skip), a fire recorded in the same
 * transaction as its job's INSERT (store_schedule_fired, called by
 * store_insert.c), and the loading of every row at start-up
 * (store_recover).  So a fire is the job row and the schedule's new
 * last_fire / next_fire / counters committed together: a crash at any
 * moment neither loses nor repeats one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

void
store_schedule_free(struct store_schedule *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].cron);
		free(v[i].tz);
		free(v[i].job);
	}
	free(v);
}

static int
store_schedule_add(struct store *s, struct store_op *op)
{
	const struct store_schedule *r = &op->in.schedule.row;
	int rc;

	if (r->name == NULL || r->job == NULL ||
	    (r->cron == NULL && r->every_ms <= 0)) {
		op->status = JOBQ_EINVAL;
		return (0);
	}
	rc = store_run(s, ST_SCHED_ADD, STORE_ARGS(STORE_TEXT(r->name),
	    STORE_INT(r->owner_uid), STORE_TEXT(r->cron),
	    STORE_INT(r->every_ms), STORE_INT(r->anchor), STORE_TEXT(r->tz),
	    STORE_INT(r->at_start != 0), STORE_INT(r->overlap),
	    STORE_INT(r->catch_up), STORE_TEXT(r->job),
	    STORE_INT(r->paused != 0), STORE_INT(r->created_at),
	    STORE_INT(r->next_fire)));
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		/* the owner has a schedule of that name: refused alone */
		op->status = JOBQ_EINVAL;
		return (0);
	}
	if (rc != SQLITE_OK)
		return (store_fail(s, rc, "schedule"));
	op->out.schedule.id = sqlite3_last_insert_rowid(s->db);
	return (0);
}

int
store_schedule_write(struct store *s, struct store_op *op)
{
	const struct store_schedule *r = &op->in.schedule.row;
	int rc;

	switch (op->in.schedule.kind) {
	case STORE_SCHEDULE_ADD:
		return (store_schedule_add(s, op));
	case STORE_SCHEDULE_REMOVE:
		rc = store_run(s, ST_SCHED_REMOVE, STORE_ARGS(
		    STORE_INT(r->id)));
		break;
	case STORE_SCHEDULE_PAUSE:
		rc = store_run(s, ST_SCHED_PAUSE, STORE_ARGS(STORE_INT(r->id),
		    STORE_INT(r->paused != 0), STORE_INT(r->next_fire)));
		break;
	case STORE_SCHEDULE_ADVANCE:
		rc = store_run(s, ST_SCHED_ADVANCE, STORE_ARGS(
		    STORE_INT(r->id), STORE_INT(r->last_fire),
		    STORE_INT(r->next_fire), STORE_INT(r->misses),
		    STORE_INT(r->skips), STORE_INT(r->last_skip)));
		break;
	default:
		op->status = JOBQ_EINVAL;
		return (0);
	}
	if (rc != SQLITE_OK)
		return (store_fail(s, rc, "schedule"));
	if (sqlite3_changes(s->db) == 0)
		op->status = JOBQ_ENOTFOUND;
	return (0);
}

int
store_schedule_fired(struct store *s, const struct store_op *op, int64_t id)
{
	const struct store_schedule_fire *f = op->in.insert.fire;
	int rc;

	if ((rc = store_run(s, ST_SCHED_JOB, STORE_ARGS(STORE_INT(id),
	    STORE_TEXT(op->in.insert.schedule)))) != SQLITE_OK || f == NULL)
		return (rc);
	return (store_run(s, ST_SCHED_FIRED, STORE_ARGS(STORE_INT(f->id),
	    STORE_INT(f->last_fire), STORE_INT(f->next_fire),
	    STORE_INT(f->misses), STORE_INT(id))));
}

/* One row of ST_SCHED_ALL into r: 0 or JOBQ_ENOMEM. */
static int
store_schedule_row(sqlite3_stmt *st, struct store_schedule *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->owner_uid = (uint32_t)sqlite3_column_int64(st, 2);
	r->every_ms = sqlite3_column_int64(st, 4);
	r->anchor = sqlite3_column_int64(st, 5);
	r->at_start = sqlite3_column_int(st, 7);
	r->overlap = sqlite3_column_int(st, 8);
	r->catch_up = sqlite3_column_int(st, 9);
	r->paused = sqlite3_column_int(st, 11);
	r->created_at = sqlite3_column_int64(st, 12);
	r->last_fire = sqlite3_column_int64(st, 13);
	r->next_fire = sqlite3_column_int64(st, 14);
	r->runs = sqlite3_column_int64(st, 15);
	r->skips = sqlite3_column_int64(st, 16);
	r->misses = sqlite3_column_int64(st, 17);
	r->last_skip = sqlite3_column_int64(st, 18);
	r->last_job = sqlite3_column_int64(st, 19);
	if ((r->name = store_row_strdup(st, 1)) == NULL ||
	    (r->job = store_row_strdup(st, 10)) == NULL ||
	    (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    (r->cron = store_row_strdup(st, 3)) == NULL) ||
	    (sqlite3_column_type(st, 6) != SQLITE_NULL &&
	    (r->tz = store_row_strdup(st, 6)) == NULL))
		return (JOBQ_ENOMEM);
	return (0);
}

int
store_schedule_load(struct store *s, struct store_schedule **vp, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_SCHED_ALL];
	struct store_schedule *v = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (util_grow(&v, &cap, n + 1, sizeof(*v)) != 0) {
			ret = JOBQ_ENOMEM;
			break;
		}
		ret = store_schedule_row(st, &v[n]);
		n++;
		if (ret != 0)
			break;
	}
	store_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_err(s, rc, "schedules");
	if (ret != 0) {
		store_schedule_free(v, n);
		return (ret);
	}
	*vp = v;
	*np = n;
	return (0);
}
