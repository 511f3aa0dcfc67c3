/*
 * dispatch_ref.c - the requests on one job (loop thread only): resolving a
 * reference "A.I" (task I of array A) to a job id, get, list, cancel,
 * priority and retry by hand, and the look-up of a job that has left the
 * table (its row, read after every write before it) for wait, cancel,
 * logs, priority and retry.  An array as a whole is dispatch_array.c's.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

static void dispatch_ref_by_kind(struct dispatch *, struct dispatch_req *,
    enum dispatch_rk kind, int64_t id, int64_t arg, void *extra);
static void dispatch_ref_retry_store(struct dispatch *, struct dispatch_req *,
    const jobq_job *job);

/* ---- references: "A.I" is resolved to a job id first ---- */

static void
dispatch_ref_resolve_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (r == NULL)
		free(c->extra);
	else if (op->status != 0) {
		free(c->extra);
		dispatch_reply_error(r, op->status, op->status == JOBQ_ENOTFOUND ?
		    "no such task" : jobq_strerror(op->status));
	} else {
		dispatch_reply_detach(r);
		dispatch_ref_by_kind(c->s, r, c->kind, op->out.job->id, c->arg,
		    c->extra);
	}
	dispatch_op_finish(op);
}

int
dispatch_ref_resolve(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, enum dispatch_rk kind, int64_t arg,
    void *extra)
{
	struct op_ctx *c;
	struct store_op *op;

	if (!ref->has_index)
		return 0;
	c = dispatch_op_ctx(s, NULL, r);
	c->kind = kind;
	c->arg = arg;
	c->extra = extra;
	op = dispatch_op_new(s, STORE_GET, dispatch_ref_resolve_done, c);
	op->in.get.id = ref->id;
	op->in.get.index = ref->index;
	op->in.get.by_index = 1;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
	return 1;
}

/* ---- jobs that have left the table ---- */

/* The row of a job that has left the table, for a request of kind
 * c->kind. */
static void
dispatch_ref_ended_job(struct op_ctx *c, struct dispatch_req *r,
    const jobq_job *job)
{
	struct job_outcome oc;

	switch ((enum dispatch_ended)c->kind) {
	case ENDED_WAIT:
		dispatch_reply_job(r, job);
		break;
	case ENDED_CANCEL:
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has already ended");
		break;
	case ENDED_PRIORITY:
		dispatch_reply_error(r, JOBQ_ESTATE, "the job is not queued");
		break;
	case ENDED_HOLD:
	case ENDED_RELEASE:
	case ENDED_EDIT:
		dispatch_reply_error(r, JOBQ_ESTATE, job->state ==
		    JOBQ_STATE_RUNNING ? "the job has started" :
		    "the job has ended");
		break;
	case ENDED_LOGS:	/* its own rule: owner or root */
		dispatch_logs_ended(c->s, r, c->extra, job);
		break;
	case ENDED_RETRY:
		/* the state machine says whether it may be retried */
		if (job_transition(job->state, JOB_EV_RETRY, job->attempts,
		    job->max_retries, -1, 0, &oc) != 0)
			dispatch_reply_error(r, JOBQ_ESTATE,
			    "the job has not ended");
		else {
			dispatch_reply_detach(r);
			dispatch_ref_retry_store(c->s, r, job);
		}
		break;
	}
}

static void
dispatch_ref_ended_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (r == NULL)
		goto out;
	if (op->status != 0)
		dispatch_reply_status(r, op->status);
	else if (c->kind != ENDED_WAIT && c->kind != ENDED_LOGS &&
	    !dispatch_may_touch(r, op->out.job->owner_uid))
		dispatch_refuse(c->s, r, "job", op->out.job->id,
		    op->out.job->owner_uid, c->kind == ENDED_CANCEL ? "cancel" :
		    c->kind == ENDED_PRIORITY ? "change the priority of" :
		    c->kind == ENDED_HOLD ? "hold" :
		    c->kind == ENDED_RELEASE ? "release" :
		    c->kind == ENDED_EDIT ? "edit" : "retry");
	else
		dispatch_ref_ended_job(c, r, op->out.job);
out:
	free(c->extra);	/* logs_req, or NULL */
	dispatch_op_finish(op);
}

void
dispatch_ref_ended(struct dispatch *s, struct dispatch_req *r, int64_t id,
    enum dispatch_ended kind, struct logs_req *lr)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_GET,
	    dispatch_ref_ended_done);
	struct op_ctx *c = op->data;

	c->kind = kind;
	c->extra = lr;
	op->in.get.id = id;
	dispatch_op_submit(s, op);
}

/* ---- get / list ---- */

static void
dispatch_ref_get_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (c->r != NULL) {
		if (op->status == 0)
			dispatch_reply_job(c->r, op->out.job);
		else
			dispatch_reply_status(c->r, op->status);
	}
	dispatch_op_finish(op);
}

/* Replies to r with job id's row as the store has it (ordered after any
 * write submitted before). */
void
dispatch_get_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_GET,
	    dispatch_ref_get_done);

	op->in.get.id = id;
	dispatch_op_submit(s, op);
}

void
dispatch_get(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_GET, ref->id, -1);
	else if (!dispatch_ref_resolve(s, r, ref, RK_GET, 0, NULL))
		dispatch_get_id(s, r, ref->id);
}

static void
dispatch_ref_list_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_filter *f = c->extra;

	if (c->r != NULL) {
		if (op->status != 0)
			dispatch_reply_error(c->r, op->status,
			    jobq_strerror(op->status));
		else
			dispatch_reply_jobs(c->r, op->out.list.jobs,
			    op->out.list.n, op->out.list.total);
	}
	free(f->labels);
	free(f);
	cJSON_Delete(c->json);
	dispatch_op_finish(op);
}

void
dispatch_list(struct dispatch *s, struct dispatch_req *r, cJSON *req,
    struct dispatch_filter *f)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_LIST,
	    dispatch_ref_list_done);
	struct op_ctx *c = op->data;
	struct dispatch_filter *copy;

	if ((copy = malloc(sizeof *copy)) == NULL)
		fatalx("out of memory");
	*copy = *f;
	c->extra = copy;
	c->json = req;
	op->in.list.states = f->states;
	op->in.list.count = f->count;
	if (f->owner_uid >= 0) {
		op->in.list.by_user = 1;
		op->in.list.user_uid = (uid_t)f->owner_uid;
	}
	if (f->queue != NULL)
		snprintf(op->in.list.queue, sizeof op->in.list.queue, "%s",
		    f->queue);
	op->in.list.limit = f->limit;
	op->in.list.name = f->name;
	op->in.list.schedule = f->schedule;
	op->in.list.labels = (const char *const *)f->labels;
	op->in.list.nlabels = f->nlabels;
	op->in.list.array_id = f->array_id;
	/* visibility private: only r's own jobs (before the limit) */
	if (dispatch_view(r, (uid_t)-1) == DISPATCH_VIEW_NONE) {
		op->in.list.by_owner = 1;
		op->in.list.owner_uid = r->uid;
	}
	dispatch_op_submit(s, op);
}

/* ---- cancel ---- */

static void
dispatch_ref_cancel_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct sjob *j = dispatch_find(s, id);
	int rv;

	if (j == NULL) {
		dispatch_ref_ended(s, r, id, ENDED_CANCEL, NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->node.uid)) {
		dispatch_refuse(s, r, "job", id, j->node.uid, "cancel");
		return;
	}
	if (j->phase == PH_FINISHING) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has already ended");
		return;
	}
	/* the reply is the job's final row, once its end has committed */
	if ((rv = dispatch_wait_add(s, j, r, -1)) < 0) {
		dispatch_reply_error(r, rv, jobq_strerror(rv));
		return;
	}
	dispatch_cancel_job_by(s, j, r->uid, NULL);
}

void
dispatch_cancel(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_CANCEL, ref->id, -1);
	else if (!dispatch_ref_resolve(s, r, ref, RK_CANCEL, 0, NULL))
		dispatch_ref_cancel_id(s, r, ref->id);
}

/* ---- priority ---- */

static void
dispatch_ref_priority_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (dispatch_op_park(c->s, op))
		return;
	if (r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(r, op->status);
		else {
			/* read the row back, ordered after the write */
			dispatch_reply_detach(r);
			c->r = NULL;
			dispatch_get_id(c->s, r, op->in.update.id);
		}
	}
	dispatch_op_finish(op);
}

static void
dispatch_ref_priority_id(struct dispatch *s, struct dispatch_req *r,
    int64_t id, int priority)
{
	struct sjob *j = dispatch_find(s, id);
	struct op_ctx *c;
	struct store_op *op;

	if (j == NULL) {
		dispatch_ref_ended(s, r, id, ENDED_PRIORITY, NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->node.uid)) {
		dispatch_refuse(s, r, "job", id, j->node.uid,
		    "change the priority of");
		return;
	}
	if (j->state != JOBQ_STATE_QUEUED) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job is not queued");
		return;
	}
	sched_set_priority(s->sched, &j->node, priority);
	c = dispatch_op_ctx(s, j, r);
	op = dispatch_op_update(s, id, dispatch_ref_priority_done, c);
	op->in.update.set_priority = 1;
	op->in.update.priority = priority;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
	dispatch_dispatch(s);
}

void
dispatch_priority(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int priority)
{
	if (!dispatch_ref_resolve(s, r, ref, RK_PRIORITY, priority, NULL))
		dispatch_ref_priority_id(s, r, ref->id, priority);
}

/* ---- retry by hand ---- */

/* The retry has committed: the job enters the table again, in the state
 * job_transition() gives a retry of the state it had ended in (c->arg). */
static void
dispatch_ref_retry_track(struct dispatch *s, struct op_ctx *c,
    const jobq_job *job)
{
	struct job_outcome oc;
	struct sjob *j;
	int rv;

	rv = job_transition((jobq_state)c->arg, JOB_EV_RETRY, job->attempts,
	    job->max_retries, -1, 0, &oc);
	JQ_ASSERT(rv == 0 && oc.state == JOBQ_STATE_QUEUED);
	j = c->jobs[0];
	c->jobs[0] = NULL;
	dispatch_add(s, j, job->id, oc.attempts, job->max_retries,
	    (uid_t)job->owner_uid);
	j->submitted_at = util_now_ms();
	dispatch_opt_set(j, job->timeout_ms, job->kill_grace_ms,
	    job->retry_delay_ms, job->array_index);
	dispatch_node_init(s, j, job->queue, job->priority, 0, job->array_id,
	    0);
	dispatch_res_job(s, j, job->slots, job->res);
	(void)dispatch_sched_add(s, j, util_now_ms());
	dispatch_watch_event(s, j, JOBQ_STATE_QUEUED, -1, 0, NULL, 0);
	log_info("job %" PRId64 " queued again by uid %ld", job->id,
	    c->r != NULL ? (long)c->r->uid : -1L);
}

static void
dispatch_ref_retry_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;

	if (op->status != 0) {
		if (c->r != NULL && op->in.retry.unique_conflict)
			dispatch_reply_error(c->r, JOBQ_ESTATE, "another queued "
			    "or running job has the same unique key");
		else if (c->r != NULL)
			dispatch_reply_status(c->r, op->status);
		goto out;
	}
	if (dispatch_find(s, op->out.job->id) == NULL)
		dispatch_ref_retry_track(s, c, op->out.job);
	dispatch_edit_note(s, op->out.job->id, c->owner, "retry", NULL);
	if (c->r != NULL)
		dispatch_reply_job(c->r, op->out.job);
out:
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

/* Queues job, ended, again.  Its bookkeeping is allocated first, so that a
 * failure refuses the retry before anything is written. */
static void
dispatch_ref_retry_store(struct dispatch *s, struct dispatch_req *r,
    const jobq_job *job)
{
	struct op_ctx *c;
	struct store_op *op = NULL;

	if (s->shutting_down) {
		dispatch_reply_error(r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
		return;
	}
	if ((c = dispatch_op_ctx_try(s, NULL, r)) != NULL &&
	    (c->jobs = calloc(1, sizeof *c->jobs)) != NULL) {
		c->njobs = 1;
		c->jobs[0] = dispatch_job_alloc();
	}
	if (c == NULL || c->jobs == NULL || c->jobs[0] == NULL ||
	    (op = dispatch_op_try(STORE_RETRY, dispatch_ref_retry_done,
	    c)) == NULL) {
		if (c != NULL)
			dispatch_op_ctx_free(c);
		log_warnx("a retry of job %" PRId64 " was refused: out of memory",
		    job->id);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	c->arg = job->state;
	c->owner = r->uid;	/* who retries it: its history */
	op->in.retry.id = job->id;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
}

static void
dispatch_ref_retry_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct sjob *j;

	if ((j = dispatch_find(s, id)) != NULL &&
	    !dispatch_may_touch(r, j->node.uid)) {
		dispatch_refuse(s, r, "job", id, j->node.uid, "retry");
		return;
	}
	if (j != NULL) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has not ended");
		return;
	}
	/* check owner and state first, then requeue */
	dispatch_ref_ended(s, r, id, ENDED_RETRY, NULL);
}

void
dispatch_retry(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (!dispatch_ref_resolve(s, r, ref, RK_RETRY, 0, NULL))
		dispatch_ref_retry_id(s, r, ref->id);
}

static void
dispatch_ref_by_kind(struct dispatch *s, struct dispatch_req *r,
    enum dispatch_rk kind, int64_t id, int64_t arg, void *extra)
{
	switch (kind) {
	case RK_GET: dispatch_get_id(s, r, id); break;
	case RK_WAIT: dispatch_wait_id(s, r, id, arg); break;
	case RK_CANCEL: dispatch_ref_cancel_id(s, r, id); break;
	case RK_LOGS:
		((struct logs_req *)extra)->id = id;
		dispatch_logs_id(s, r, extra);
		break;
	case RK_PRIORITY: dispatch_ref_priority_id(s, r, id, (int)arg); break;
	case RK_RETRY: dispatch_ref_retry_id(s, r, id); break;
	case RK_HOLD:
	case RK_RELEASE:
	case RK_HISTORY:
		dispatch_edit_by_kind(s, r, kind, id);
		break;
	}
}
