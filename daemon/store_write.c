/*
 * store_write.c - the write ops that change one job or queue, in the
 * batch's transaction: STORE_CLAIM, STORE_UPDATE, STORE_QUEUE_SET and
 * STORE_RETRY.  (STORE_INSERT: store_insert.c; STORE_PURGE:
 * store_purge.c.)
 *
 * States: the claim writes what JOB_EV_CLAIM makes of the row's state as
 * read in the same transaction (JOBQ_ESTATE unless it is queued), and the
 * retry what JOB_EV_RETRY makes of it (JOBQ_ESTATE unless it is terminal),
 * attempts included; STORE_UPDATE writes the state its caller decided with
 * job_transition().  No state is assigned here any other way.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "proto.h"
#include "store_int.h"
#include "util.h"

/* What a claim hands its caller: malloc'd, NULL-terminated vectors, and
 * the output settings. */
struct store_write_spec {
	char **argv, **env, *cwd;
	int64_t output_limit;
	jobq_limits limits;
	int first_run;
	uint32_t uid;		/* identity */
	int64_t gid;
	int umask;
	int merge_output;
};

static void
store_write_spec_free(struct store_write_spec *sp)
{
	util_strv_free(sp->argv);
	util_strv_free(sp->env);
	free(sp->cwd);
	memset(sp, 0, sizeof(*sp));
}

/* A task's environment: env without JOBQ_ARRAY_ID / JOBQ_ARRAY_INDEX, then
 * those two set to the task's. */
static int
store_write_task_env(char ***envp, int64_t array_id, int64_t index)
{
	static const char id_name[] = "JOBQ_ARRAY_ID=";
	static const char index_name[] = "JOBQ_ARRAY_INDEX=";
	char **env = *envp, **nv, *a, *b;
	size_t n, i, k = 0;

	for (n = 0; env[n] != NULL; n++)
		;
	nv = calloc(n + 3, sizeof(*nv));
	a = malloc(sizeof(id_name) + 24);
	b = malloc(sizeof(index_name) + 24);
	if (nv == NULL || a == NULL || b == NULL) {
		free(nv);
		free(a);
		free(b);
		return (JOBQ_ENOMEM);
	}
	(void)snprintf(a, sizeof(id_name) + 24, "%s%" PRId64, id_name,
	    array_id);
	(void)snprintf(b, sizeof(index_name) + 24, "%s%" PRId64, index_name,
	    index);
	for (i = 0; i < n; i++) {
		if (strncmp(env[i], id_name, sizeof(id_name) - 1) == 0 ||
		    strncmp(env[i], index_name, sizeof(index_name) - 1) == 0)
			free(env[i]);
		else
			nv[k++] = env[i];
	}
	nv[k++] = a;
	nv[k++] = b;
	nv[k] = NULL;
	free(env);
	*envp = nv;
	return (0);
}

/* env with add's entries (NAME=VALUE each, NULL-terminated) set: entries
 * of the same names dropped, add's copied at the end. */
static int
store_write_env_set(char ***envp, const char *const *add)
{
	char **env = *envp, **nv;
	size_t n, na, i, k = 0, a, len;
	int drop;

	for (n = 0; env != NULL && env[n] != NULL; n++)
		;
	for (na = 0; add[na] != NULL; na++)
		;
	if ((nv = calloc(n + na + 1, sizeof(*nv))) == NULL)
		return (JOBQ_ENOMEM);
	for (a = 0; a < na; a++)
		if ((nv[n + a] = strdup(add[a])) == NULL) {
			for (i = 0; i < a; i++)
				free(nv[n + i]);
			free(nv);
			return (JOBQ_ENOMEM);
		}
	for (i = 0; i < n; i++) {
		for (a = 0, drop = 0; a < na && !drop; a++) {
			len = strcspn(add[a], "=") + 1;
			drop = strncmp(env[i], add[a], len) == 0;
		}
		if (drop)
			free(env[i]);
		else
			nv[k++] = env[i];
	}
	memmove(nv + k, nv + n, na * sizeof(*nv));
	nv[k + na] = NULL;
	free(env);
	*envp = nv;
	return (0);
}

/* The spec in the current row of ST_CLAIM_SELECT (argv, env, cwd, for a
 * task its array id and index, the output limit, whether a claim of the
 * job committed before, and its resource limits). */
static int
store_write_claim_spec(sqlite3_stmt *st, struct store_write_spec *sp)
{
	int64_t array_id = sqlite3_column_int64(st, 4);
	int ret;

	memset(sp, 0, sizeof(*sp));
	sp->output_limit = sqlite3_column_int64(st, 8);
	sp->first_run = sqlite3_column_int(st, 9) == 0;
	sp->uid = (uint32_t)sqlite3_column_int64(st, 10);
	sp->gid = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 11);
	sp->umask = sqlite3_column_int(st, 12) & 0777;
	if (store_row_limits(st, 13, &sp->limits) != 0)
		return (JOBQ_EINTERNAL);
	sp->merge_output = sqlite3_column_int(st, 13 + PROTO_NLIMITS) != 0;
	ret = store_row_strv_parse((const char *)sqlite3_column_text(st, 1),
	    &sp->argv, NULL);
	if (ret == 0)
		ret = store_row_strv_parse((const char *)sqlite3_column_text(st,
		    2), &sp->env, NULL);
	if (ret == 0 && (sp->cwd = store_row_strdup(st, 3)) == NULL)
		ret = JOBQ_ENOMEM;
	if (ret == 0 && array_id != 0)
		ret = store_write_task_env(&sp->env, array_id,
		    sqlite3_column_int64(st, 5));
	if (ret != 0)
		store_write_spec_free(sp);
	return (ret);
}

/*
 * Reads the job a claim is for: its spec into sp and JOB_EV_CLAIM's
 * outcome for its state into o, or the op's refusal in op->status (sp is
 * then empty).  An SQLite code.
 */
static int
store_write_claim_read(struct store *s, struct store_op *op,
    struct store_write_spec *sp, struct job_outcome *o)
{
	sqlite3_stmt *st = s->st[ST_CLAIM_SELECT];
	int rc, sv;

	memset(sp, 0, sizeof(*sp));
	memset(o, 0, sizeof(*o));
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(op->in.claim.id)))) !=
	    SQLITE_OK)
		return (rc);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_reset(st);
		if (rc == SQLITE_DONE)
			op->status = JOBQ_ENOTFOUND;
		return (rc == SQLITE_DONE ? SQLITE_OK : rc);
	}
	/* An unknown state (logged) is not queued either. */
	sv = store_row_state(st, 0);
	if (op->in.claim.reread) {
		/* a run on Slurm submitted again: running, unchanged */
		o->state = JOBQ_STATE_RUNNING;
		o->attempts = sqlite3_column_int(st, 6);
		if (sv != JOBQ_STATE_RUNNING)
			op->status = JOBQ_ESTATE;
		else if ((op->status = store_write_claim_spec(st, sp)) ==
		    JOBQ_EINTERNAL)
			log_warnx("%s: job %" PRId64 ": malformed argv/env "
			    "in the database", s->path, op->in.claim.id);
	} else if (sv < 0 || job_transition((jobq_state)sv, JOB_EV_CLAIM,
	    sqlite3_column_int(st, 6), sqlite3_column_int(st, 7), 0, 0,
	    o) != 0)
		op->status = JOBQ_ESTATE;
	else if ((op->status = store_write_claim_spec(st, sp)) ==
	    JOBQ_EINTERNAL)
		log_warnx("%s: job %" PRId64 ": malformed argv/env or "
		    "resource limits in the database", s->path,
		    op->in.claim.id);
	store_reset(st);
	return (SQLITE_OK);
}

int
store_write_claim(struct store *s, struct store_op *op)
{
	const struct store_op *ins = op->in.claim.of_insert;
	struct store_write_spec sp;
	struct job_outcome o;
	int rc;

	if (ins != NULL) {
		/* ins ran just before, in this transaction */
		if (ins->status != 0 || ins->out.insert.existing ||
		    ins->in.insert.state != JOBQ_STATE_QUEUED ||
		    ins->in.insert.array_count != 0 ||
		    ins->out.insert.id <= 0) {
			op->status = JOBQ_ENOTFOUND;
			return (0);
		}
		op->in.claim.id = ins->out.insert.id;
	}
	if ((rc = store_write_claim_read(s, op, &sp, &o)) != SQLITE_OK)
		return (store_fail(s, rc, "claim"));
	if (op->status != 0)
		return (0);
	if (op->in.claim.reread)
		goto out;
	if (o.attempts != op->in.claim.attempts)
		log_warnx("job %" PRId64 ": claimed as attempt %d, the "
		    "database counts %d", op->in.claim.id,
		    op->in.claim.attempts, o.attempts);
	if (op->in.claim.res_env != NULL &&
	    store_write_env_set(&sp.env, op->in.claim.res_env) != 0) {
		store_write_spec_free(&sp);
		op->status = JOBQ_ENOMEM;
		return (0);
	}
	if ((rc = store_run(s, ST_CLAIM_UPDATE, STORE_ARGS(
	    STORE_INT(op->in.claim.id), STORE_INT(op->in.claim.attempts),
	    STORE_INT(op->in.claim.started_at),
	    STORE_TEXT(jobq_state_name(o.state)),
	    STORE_TEXT(op->in.claim.res_given),
	    op->in.claim.slurm ? STORE_TEXT("slurm") : STORE_NULL))) !=
	    SQLITE_OK) {
		store_write_spec_free(&sp);
		return (store_fail(s, rc, "claim"));
	}
out:
	op->out.claim.argv = sp.argv;
	op->out.claim.env = sp.env;
	op->out.claim.cwd = sp.cwd;
	op->out.claim.output_limit = sp.output_limit;
	op->out.claim.limits = sp.limits;
	op->out.claim.first_run = sp.first_run;
	op->out.claim.uid = sp.uid;
	op->out.claim.gid = sp.gid;
	op->out.claim.umask = sp.umask;
	op->out.claim.merge_output = sp.merge_output;
	return (0);
}

/* The Slurm id of a run, and its history row ("slurm", "submitted as Slurm
 * job N"); nothing if the job has moved on to another run or state. */
int
store_write_slurm_id(struct store *s, struct store_op *op)
{
	char detail[64];
	int rc;

	if ((rc = store_run(s, ST_SLURM_ID, STORE_ARGS(
	    STORE_INT(op->in.slurm_id.id), STORE_INT(op->in.slurm_id.slurm_id),
	    STORE_INT(op->in.slurm_id.attempts)))) != SQLITE_OK)
		return (store_fail(s, rc, "slurm id"));
	if (sqlite3_changes(s->db) == 0) {
		op->status = JOBQ_ENOTFOUND;
		return (0);
	}
	snprintf(detail, sizeof(detail), "attempt %d: Slurm job %" PRId64,
	    op->in.slurm_id.attempts, op->in.slurm_id.slurm_id);
	if ((rc = store_history_add(s, op->in.slurm_id.id, op->in.slurm_id.at,
	    (uint32_t)geteuid(), "slurm", detail)) != SQLITE_OK)
		return (store_fail(s, rc, "slurm id"));
	return (0);
}

/* The state change u to job id, with its history rows: SQLite's code;
 * *found 0 if there is no such job. */
static int
store_write_update_row(struct store *s, const struct store_update *u,
    int64_t id, int *found)
{
	int rc;

	rc = store_run(s, ST_UPDATE, STORE_ARGS(STORE_INT(id),
	    STORE_TEXT(jobq_state_name(u->state)),
	    STORE_INT(u->attempts), STORE_INT(u->started_at),
	    STORE_INT(u->finished_at), STORE_NULLIF(u->exit_code, -1),
	    STORE_NULLIF(u->signal, 0), STORE_NULLIF(u->pid, 0),
	    STORE_TEXT(u->reason), STORE_TEXT(u->message),
	    STORE_INT(u->not_before), STORE_INT(u->usage.mem_peak),
	    STORE_INT(u->usage.cpu_user_us),
	    STORE_INT(u->usage.cpu_sys_us), STORE_TEXT(u->usage.from)));
	if (rc != SQLITE_OK || !(*found = sqlite3_changes(s->db) != 0))
		return (rc);
	if (u->requeued[0] != '\0' && (rc = store_history_add(s, id,
	    u->requeued_at, (uint32_t)geteuid(), "requeued", u->requeued)) !=
	    SQLITE_OK)
		return (rc);
	if (u->note.what != NULL)
		rc = store_history_add(s, id, u->note.at, u->note.uid,
		    u->note.what, u->note.detail);
	return (rc);
}

int
store_write_update(struct store *s, struct store_op *op)
{
	const struct store_update *u = &op->in.update;
	size_t i;
	int rc, found = 1;

	if (u->set_priority)
		rc = store_run(s, ST_SET_PRIORITY, STORE_ARGS(STORE_INT(u->id),
		    STORE_INT(u->priority)));
	else if (u->set_started)
		rc = store_run(s, ST_SET_STARTED, STORE_ARGS(STORE_INT(u->id),
		    STORE_INT(u->started_at), STORE_NULLIF(u->pid, 0)));
	else if (jobq_state_name(u->state) == NULL) {
		op->status = JOBQ_EINVAL;
		return (0);
	} else if (u->nids > 0) {
		for (i = 0, rc = SQLITE_OK; i < u->nids && rc == SQLITE_OK;
		    i++) {
			rc = store_write_update_row(s, u, u->ids[i], &found);
			if (rc == SQLITE_OK && !found)
				log_warnx("job %" PRId64 ": not in the database "
				    "for its update", u->ids[i]);
		}
		found = 1;
	} else
		rc = store_write_update_row(s, u, u->id, &found);
	if (rc != SQLITE_OK)
		return (store_fail(s, rc, "update"));
	if ((u->set_priority || u->set_started) &&
	    sqlite3_changes(s->db) == 0)
		found = 0;
	if (!found)
		op->status = JOBQ_ENOTFOUND;
	return (0);
}

int
store_write_queue_set(struct store *s, struct store_op *op)
{
	const char *name = op->in.queue_set.name;
	int rc;

	if (name[0] == '\0' ||
	    memchr(name, '\0', sizeof(op->in.queue_set.name)) == NULL) {
		op->status = JOBQ_EINVAL;
		return (0);
	}
	if ((rc = store_run(s, ST_QUEUE_ADD, STORE_ARGS(STORE_TEXT(name)))) !=
	    SQLITE_OK ||
	    (rc = store_run(s, ST_QUEUE_UPDATE, STORE_ARGS(STORE_TEXT(name),
	    STORE_INT(op->in.queue_set.parallel),
	    STORE_INT(op->in.queue_set.paused),
	    STORE_INT(op->in.queue_set.set_exec != 0),
	    STORE_TEXT(op->in.queue_set.exec)))) != SQLITE_OK)
		return (store_fail(s, rc, "queue_set"));
	return (0);
}

/*
 * The job a retry is for, into *jp, or the op's refusal in op->status (not
 * found, an array, unreadable).  An SQLite code.
 */
static int
store_write_retry_read(struct store *s, struct store_op *op, jobq_job **jp)
{
	sqlite3_stmt *st = s->st[ST_GET];
	int rc, ret;

	*jp = NULL;
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(op->in.retry.id)))) !=
	    SQLITE_OK)
		return (rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		op->status = store_row_job(st, jp);
	store_reset(st);
	if (rc == SQLITE_ROW)
		return (SQLITE_OK);
	if (rc != SQLITE_DONE)
		return (rc);
	ret = store_read_is_array(s, op->in.retry.id, NULL);
	op->status = ret == 1 ? JOBQ_EISARRAY : ret == 0 ? JOBQ_ENOTFOUND :
	    ret;
	return (SQLITE_OK);
}

/* *taken: whether a queued or running job of j's owner has j's unique_key
 * (a retry would make it twice).  An SQLite code. */
static int
store_write_retry_taken(struct store *s, const jobq_job *j, int *taken)
{
	sqlite3_stmt *st = s->st[ST_UNIQUE];
	int rc;

	*taken = 0;
	if (j->unique_key == NULL)
		return (SQLITE_OK);
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(j->owner_uid),
	    STORE_TEXT(j->unique_key)))) != SQLITE_OK)
		return (rc);
	rc = sqlite3_step(st);
	store_reset(st);
	*taken = rc == SQLITE_ROW;
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc);
}

/* Makes the copy j match the row ST_RETRY_UPDATE made of it. */
static void
store_write_retry_copy(jobq_job *j, const struct job_outcome *o)
{
	j->state = o->state;
	j->attempts = o->attempts;
	j->started_at = 0;
	j->finished_at = 0;
	j->exit_code = -1;
	j->signal = 0;
	j->pid = 0;
	free(j->reason);
	j->reason = NULL;
	free(j->message);
	j->message = NULL;
	j->not_before = 0;
	free(j->deps);
	j->deps = NULL;
	j->ndeps = 0;
}

/*
 * STORE_RETRY.  The job is read first, so that nothing can fail (but
 * SQLite, failing the batch) once it was changed; the copy is then made to
 * match the new row.
 */
int
store_write_retry(struct store *s, struct store_op *op)
{
	struct job_outcome o;
	jobq_job *j;
	int rc, taken;

	if ((rc = store_write_retry_read(s, op, &j)) != SQLITE_OK)
		return (store_fail(s, rc, "retry"));
	if (op->status != 0)
		return (0);
	JQ_ASSERT(j != NULL);	/* read, or op->status tells why not */
	if (job_transition(j->state, JOB_EV_RETRY, j->attempts,
	    j->max_retries, 0, 0, &o) != 0) {
		jobq_job_free(j);
		op->status = JOBQ_ESTATE;
		return (0);
	}
	/* A unique key stays unique among queued and running jobs. */
	if ((rc = store_write_retry_taken(s, j, &taken)) != SQLITE_OK ||
	    taken) {
		jobq_job_free(j);
		if (rc != SQLITE_OK)
			return (store_fail(s, rc, "retry"));
		op->status = JOBQ_ESTATE;
		op->in.retry.unique_conflict = 1;
		return (0);
	}
	if ((rc = store_run(s, ST_RETRY_UPDATE, STORE_ARGS(
	    STORE_INT(op->in.retry.id), STORE_TEXT(jobq_state_name(o.state)),
	    STORE_INT(o.attempts)))) != SQLITE_OK ||
	    (rc = store_run(s, ST_RETRY_DEPS, STORE_ARGS(
	    STORE_INT(op->in.retry.id)))) != SQLITE_OK) {
		jobq_job_free(j);
		return (store_fail(s, rc, "retry"));
	}
	store_write_retry_copy(j, &o);
	op->out.job = j;
	return (0);
}
