/*
 * store_insert.c - STORE_INSERT, in the batch's transaction: a job, or an
 * array (its arrays row holding the tasks' shared argv/env/cwd, and one
 * jobs row per task, inserted set-wise), with their labels and
 * dependencies rows; ids come from the store's counter (store_schema.c).
 *
 * Everything that can fail without failing the batch (validation, the
 * unique_key match, memory) happens before the first row is written;
 * after that only SQLite can fail, and that fails the batch (store_fail()).
 *
 * A job is inserted `queued`, or, when its caller found that a dependency
 * can never hold, in the state JOB_EV_DEP_CANCEL takes a queued job to,
 * with that reason: job_transition() says which.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "job.h"
#include "proto.h"
#include "store_int.h"

/* An array's step: 0 is taken as 1. */
static int64_t
store_insert_step(const struct store_op *op)
{
	return (op->in.insert.array_step == 0 ? 1 : op->in.insert.array_step);
}

/* Checks an array's numbers; 0 or JOBQ_EINVAL. */
static int
store_insert_valid_array(const struct store_op *op)
{
	int64_t step = store_insert_step(op);

	if (op->in.insert.array_count < 0 ||
	    op->in.insert.array_count > JOBQ_MAX_ARRAY ||
	    op->in.insert.array_first < 0 || step < 0 ||
	    op->in.insert.array_throttle < 0 ||
	    op->in.insert.unique_key != NULL ||
	    op->in.insert.array_count - 1 > (INT64_MAX -
	    op->in.insert.array_first) / step)
		return (JOBQ_EINVAL);
	return (0);
}

/* Checks an insert's input; 0 or JOBQ_EINVAL. */
static int
store_insert_valid(const struct store_op *op)
{
	size_t i;

	if (op->in.insert.argv == NULL || op->in.insert.argc == 0 ||
	    op->in.insert.output_limit < 0 ||
	    !proto_limits_valid(&op->in.insert.limits) ||
	    (op->in.insert.env == NULL && op->in.insert.envc != 0) ||
	    op->in.insert.cwd == NULL || op->in.insert.queue == NULL ||
	    (op->in.insert.labels == NULL && op->in.insert.nlabels != 0) ||
	    (op->in.insert.deps == NULL && op->in.insert.ndeps != 0))
		return (JOBQ_EINVAL);
	for (i = 0; i < op->in.insert.nlabels; i++)
		if (op->in.insert.labels[i] == NULL)
			return (JOBQ_EINVAL);
	for (i = 0; i < op->in.insert.ndeps; i++)
		if (op->in.insert.deps[i].id < 1 ||
		    op->in.insert.deps[i].mode < JOBQ_DEP_OK ||
		    op->in.insert.deps[i].mode > JOBQ_DEP_ANY)
			return (JOBQ_EINVAL);
	if (op->in.insert.array_count == 0)
		return (0);
	return (store_insert_valid_array(op));
}

/* The row's initial state: queued, or JOB_EV_DEP_CANCEL's outcome for a
 * queued job; JOBQ_EINVAL for any other state asked. */
static int
store_insert_state(const struct store_op *op, struct job_outcome *o)
{
	switch (op->in.insert.state) {
	case JOBQ_STATE_QUEUED:
		memset(o, 0, sizeof(*o));
		o->state = JOBQ_STATE_QUEUED;
		return (0);
	case JOBQ_STATE_CANCELED:
		if (job_transition(JOBQ_STATE_QUEUED, JOB_EV_DEP_CANCEL, 0,
		    op->in.insert.max_retries, 0, 0, o) != 0)
			return (JOBQ_EINVAL);
		return (0);
	default:
		return (JOBQ_EINVAL);
	}
}

/* Whether a queued or running job of the owner has the unique_key: if
 * so, its id in op->out.insert (existing = 1).  An SQLite code. */
static int
store_insert_existing(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_UNIQUE];
	int rc;

	if (op->in.insert.unique_key == NULL)
		return (SQLITE_OK);
	if ((rc = store_bind(st, STORE_ARGS(
	    STORE_INT(op->in.insert.owner_uid),
	    STORE_TEXT(op->in.insert.unique_key)))) != SQLITE_OK)
		return (rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		op->out.insert.id = sqlite3_column_int64(st, 0);
		op->out.insert.existing = 1;
	}
	store_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc);
}

/* Binds the identity ?24 .. ?26 of ST_INSERT / ST_INSERT_TASKS:
 * submitter_uid, run_gid (NULL: the owner's primary group), umask. */
static int
store_insert_bind_ident(sqlite3_stmt *st, const struct store_op *op)
{
	int rc;

	if ((rc = sqlite3_bind_int64(st, 24,
	    op->in.insert.submitter_uid)) != SQLITE_OK ||
	    (rc = (op->in.insert.run_gid < 0 ? sqlite3_bind_null(st, 25) :
	    sqlite3_bind_int64(st, 25, op->in.insert.run_gid))) != SQLITE_OK)
		return (rc);
	return (sqlite3_bind_int(st, 26, op->in.insert.umask & 0777));
}

/* Binds ?1 .. ?19, ?23, the identity ?24 .. ?26, the resource limits
 * ?27 .. ?33, on_end ?34, merge_output ?35 and env_id ?36 (0: NULL) of
 * ST_INSERT / ST_INSERT_TASKS; an SQLite code.  The env column ?7 is ''
 * (a job's environment is its envs row, a task's its array's), but "[]"
 * for a job without environment (no envs row: cheaper inline). */
static int
store_insert_bind(sqlite3_stmt *st, const struct store_op *op,
    const struct job_outcome *o, int64_t id, const char *argv,
    const char *env, int64_t env_id, const char *cwd)
{
	int ended = o->state != JOBQ_STATE_QUEUED;
	int rc;

	if ((rc = sqlite3_bind_int64(st, 23, op->in.insert.output_limit)) !=
	    SQLITE_OK ||
	    (rc = store_insert_bind_ident(st, op)) != SQLITE_OK ||
	    (rc = store_row_bind_limits(st, 27,
	    &op->in.insert.limits)) != SQLITE_OK ||
	    (rc = (op->in.insert.on_end == NULL ? sqlite3_bind_null(st, 34) :
	    sqlite3_bind_text(st, 34, op->in.insert.on_end, -1,
	    SQLITE_STATIC))) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 35, op->in.insert.merge_output != 0)) !=
	    SQLITE_OK ||
	    (rc = (env_id == 0 ? sqlite3_bind_null(st, 36) :
	    sqlite3_bind_int64(st, 36, env_id))) != SQLITE_OK) {
		store_reset(st);
		return (rc);
	}
	return (store_bind(st, STORE_ARGS(
	    STORE_INT(id),
	    STORE_TEXT(jobq_state_name(o->state)),
	    STORE_TEXT(op->in.insert.queue),
	    STORE_TEXT(op->in.insert.name),
	    STORE_INT(op->in.insert.owner_uid),
	    STORE_TEXT(argv),
	    STORE_TEXT(env),
	    STORE_TEXT(cwd),
	    STORE_INT(op->in.insert.submitted_at),
	    STORE_INT(op->in.insert.max_retries),
	    STORE_INT(op->in.insert.priority),
	    STORE_INT(op->in.insert.not_before),
	    STORE_INT(op->in.insert.timeout_ms),
	    STORE_INT(op->in.insert.kill_grace_ms),
	    STORE_INT(op->in.insert.retry_delay_ms),
	    STORE_TEXT(op->in.insert.unique_key),
	    ended ? STORE_INT(op->in.insert.submitted_at) : STORE_NULL,
	    STORE_TEXT(ended ? o->reason : NULL),
	    STORE_TEXT(ended ? op->in.insert.message : NULL))));
}

/*
 * The labels and dependencies rows of job id (count 0), or of the count
 * tasks id + 1 .. id + count of array id, one statement per label and per
 * dependency; an SQLite code.
 */
static int
store_insert_labels_deps(struct store *s, const struct store_op *op,
    int64_t id, int64_t count)
{
	struct store_arg n = count > 0 ? STORE_INT(count) : STORE_SKIP;
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < op->in.insert.nlabels && rc == SQLITE_OK; i++)
		rc = store_run(s, count > 0 ? ST_TASK_LABELS : ST_INSERT_LABEL,
		    STORE_ARGS(STORE_INT(id),
		    STORE_TEXT(op->in.insert.labels[i]), n));
	for (i = 0; i < op->in.insert.ndeps && rc == SQLITE_OK; i++)
		rc = store_run(s, count > 0 ? ST_TASK_DEPS : ST_INSERT_DEP,
		    STORE_ARGS(STORE_INT(id),
		    STORE_INT(op->in.insert.deps[i].id),
		    STORE_INT(op->in.insert.deps[i].mode), n));
	return (rc);
}

/* One job, id, its environment the envs row env_id; an SQLite code. */
static int
store_insert_job(struct store *s, struct store_op *op,
    const struct job_outcome *o, int64_t id, const char *argv,
    int64_t env_id)
{
	sqlite3_stmt *st = s->st[ST_INSERT];
	int rc;

	if ((rc = store_insert_bind(st, op, o, id, argv,
	    env_id != 0 ? "" : "[]", env_id, op->in.insert.cwd)) !=
	    SQLITE_OK ||
	    (rc = store_step_done(st)) != SQLITE_OK ||
	    (rc = store_insert_labels_deps(s, op, id, 0)) != SQLITE_OK)
		return (rc);
	op->out.insert.id = id;
	return (SQLITE_OK);
}

/* An array: id A, tasks A + 1 .. A + count, in one statement for the
 * tasks; an SQLite code. */
static int
store_insert_array(struct store *s, struct store_op *op,
    const struct job_outcome *o, int64_t id, const char *argv,
    const char *env)
{
	int64_t count = op->in.insert.array_count;
	sqlite3_stmt *st = s->st[ST_INSERT_TASKS];
	int rc;

	if ((rc = store_run(s, ST_INSERT_ARRAY, STORE_ARGS(STORE_INT(id),
	    STORE_INT(op->in.insert.array_first),
	    STORE_INT(store_insert_step(op)), STORE_INT(count),
	    STORE_INT(op->in.insert.array_throttle),
	    STORE_INT(op->in.insert.owner_uid),
	    STORE_INT(op->in.insert.submitted_at), STORE_TEXT(argv),
	    STORE_TEXT(env), STORE_TEXT(op->in.insert.cwd)))) != SQLITE_OK)
		return (rc);
	/* ?20 .. ?22 after the common ?1 .. ?19. */
	if ((rc = store_insert_bind(st, op, o, id, "", "", 0, "")) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 20, count)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 21, op->in.insert.array_first)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 22, store_insert_step(op))) !=
	    SQLITE_OK) {
		store_reset(st);
		return (rc);
	}
	if ((rc = store_step_done(st)) != SQLITE_OK ||
	    (rc = store_insert_labels_deps(s, op, id, count)) != SQLITE_OK)
		return (rc);
	op->out.insert.id = id;
	op->out.insert.first_task = id + 1;
	return (SQLITE_OK);
}

int
store_insert(struct store *s, struct store_op *op)
{
	struct job_outcome o;
	char *argv, *env = NULL;
	int64_t id, env_id = 0, count = op->in.insert.array_count;
	int rc;

	if ((op->status = store_insert_valid(op)) != 0 ||
	    (op->status = store_insert_state(op, &o)) != 0)
		return (0);
	if ((rc = store_insert_existing(s, op)) != SQLITE_OK)
		return (store_fail(s, rc, "insert"));
	if (op->out.insert.existing)
		return (0);

	argv = store_row_strv_json(op->in.insert.argv, op->in.insert.argc);
	if (count != 0)
		env = store_row_strv_json(op->in.insert.env,
		    op->in.insert.envc);
	if (argv == NULL || (count != 0 && env == NULL)) {
		cJSON_free(argv);
		cJSON_free(env);
		op->status = JOBQ_ENOMEM;
		return (0);
	}
	/*
	 * A job's environment is its envs row (store_env.c; none for an
	 * empty one), an array's is in its arrays row.  store_env_id() writes at most the envs row, as
	 * its last statement: failing, it wrote nothing, so its memory
	 * failure refuses this insert alone, like the encodings'.
	 */
	if (count == 0 && op->in.insert.envc != 0 &&
	    (rc = store_env_id(s, op->in.insert.env,
	    op->in.insert.envc, &env_id)) != SQLITE_OK) {
		cJSON_free(argv);
		if (rc != SQLITE_NOMEM)
			return (store_fail(s, rc, "insert"));
		op->status = JOBQ_ENOMEM;
		return (0);
	}
	id = s->next_id;
	s->next_id = id + 1 + count;
	if (count == 0)
		rc = store_insert_job(s, op, &o, id, argv, env_id);
	else
		rc = store_insert_array(s, op, &o, id, argv, env);
	cJSON_free(argv);
	cJSON_free(env);
	if (rc == SQLITE_OK && count == 0 && op->in.insert.schedule != NULL)
		rc = store_schedule_fired(s, op, id);
	/* slots and resources (schema v12): the job's row, or every task's */
	if (rc == SQLITE_OK && (op->in.insert.slots > 1 ||
	    op->in.insert.res != NULL))
		rc = store_run(s, ST_INSERT_RES, STORE_ARGS(
		    STORE_INT(count == 0 ? id : id + 1),
		    STORE_INT(count == 0 ? id : id + count),
		    STORE_INT(op->in.insert.slots > 1 ? op->in.insert.slots : 1),
		    STORE_TEXT(op->in.insert.res)));
	if (rc == SQLITE_OK && op->in.insert.held &&
	    o.state == JOBQ_STATE_QUEUED)
		rc = store_history_held(s, count == 0 ? id : id + 1,
		    count == 0 ? id : id + count, op->in.insert.submitted_at,
		    op->in.insert.submitter_uid);
	return (rc == SQLITE_OK ? 0 : store_fail(s, rc, "insert"));
}
