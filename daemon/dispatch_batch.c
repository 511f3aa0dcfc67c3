/*
 * dispatch_batch.c - the submit_batch request (loop thread only): every job
 * checked as a single submit is (dispatch_submit_admit: output limit,
 * identity, resource limits; then the owner's queued caps, the places
 * held job by job), one STORE_INSERT_MANY that inserts them all under a
 * savepoint of the batch's transaction (store_insert_many.c), and, once it
 * has committed, the new jobs entering the table and the scheduler in one
 * loop (dispatch_batch_track) before the reply lists their ids.
 *
 * Dependencies, unique keys and arrays are refused in a batch (the error
 * names the job): their look-ups and matches would make one batch many
 * round trips to the store.  Like a submit, a batch is never committed yet
 * refused nor acknowledged but untracked: the bookkeeping of every job is
 * allocated before the INSERT (JOBQ_ENOMEM refuses it, nothing written).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

/* What a batch holds from its checks to its reply (op_ctx's extra). */
struct batch {
	struct proto_batch b;
	struct sched_queue **q;   /* per job: where its place is held */
	size_t nreserved;         /* jobs 0..nreserved-1 hold a place */
	struct store_op *ops;     /* the STORE_INSERT inputs */
};

/* Gives back the places held, frees what bt holds (not the request). */
static void
dispatch_batch_free(struct dispatch *s, struct batch *bt)
{
	size_t i;

	if (bt == NULL)
		return;
	for (i = 0; i < bt->nreserved; i++)
		sched_fair_unreserve(s->sched, bt->b.jobs[i].run_uid, bt->q[i],
		    1);
	proto_batch_release(&bt->b);
	free(bt->q);
	free(bt->ops);
	free(bt);
}

/* Done with c: its batch, request and context (c has no op). */
static void
dispatch_batch_drop(struct op_ctx *c)
{
	dispatch_batch_free(c->s, c->extra);
	c->extra = NULL;
	cJSON_Delete(c->json);
	c->json = NULL;
}

/* One job of the batch, checked as a submit: 0 or an error code with msg
 * naming the job. */
static int
dispatch_batch_check(struct dispatch *s, struct dispatch_req *r,
    struct batch *bt, size_t i, char *msg, size_t msglen)
{
	struct proto_submit *sub = &bt->b.jobs[i];
	char m[400];
	int rv;

	if (sub->ndeps > 0 || sub->unique_key != NULL || sub->array_count > 0)
	{
		snprintf(msg, msglen, "jobs[%zu]: %s cannot be used in a "
		    "batch", i, sub->ndeps > 0 ? "deps" : sub->unique_key !=
		    NULL ? "unique_key" : "array");
		return JOBQ_EINVAL;
	}
	if ((rv = dispatch_submit_admit(s, r, sub, m, sizeof m)) != 0 ||
	    (rv = dispatch_submit_caps_take(s, sub->run_uid, sub->queue, 1,
	    &bt->q[i], m, sizeof m)) != 0) {
		if (rv == JOBQ_ENOMEM)
			snprintf(m, sizeof m, "out of memory");
		snprintf(msg, msglen, "jobs[%zu]: %s", i, m);
		return rv;
	}
	bt->nreserved = i + 1;
	return 0;
}

/*
 * The batch has committed: every new job enters the table and the
 * scheduler, in one loop.  This is the one place for per-job bookkeeping
 * after the commit (a job's counts, its watch event).
 */
static void
dispatch_batch_track(struct dispatch *s, struct op_ctx *c)
{
	struct batch *bt = c->extra;
	const struct proto_submit *sub;
	const struct store_op *o;
	int64_t now = util_now_ms();
	struct sjob *j;
	size_t i;

	/* the jobs count as queued from here (their places were held) */
	for (i = 0; i < bt->nreserved; i++)
		sched_fair_unreserve(s->sched, bt->b.jobs[i].run_uid, bt->q[i],
		    1);
	bt->nreserved = 0;
	for (i = 0; i < bt->b.n; i++) {
		sub = &bt->b.jobs[i];
		o = &bt->ops[i];
		j = c->jobs[i];
		c->jobs[i] = NULL;
		dispatch_add(s, j, o->out.insert.id, 0, sub->max_retries,
		    (uid_t)o->in.insert.owner_uid);
		s->metrics.submitted++;
		j->submitted_at = o->in.insert.submitted_at;
		dispatch_opt_set(j, sub->timeout_ms, sub->kill_grace_ms,
		    sub->retry_delay_ms, 0);
		j->on_end = sub->on_end != NULL;
		dispatch_node_init(s, j, sub->queue, sub->priority,
		    sub->not_before, 0, 0);
		j->node.held = sub->hold;
		dispatch_res_job(s, j, sub->slots, sub->res);
		(void)dispatch_sched_add(s, j, now);	/* no deps: never doomed */
		dispatch_watch_event(s, j, JOBQ_STATE_QUEUED, -1, 0, NULL,
		    j->node.not_before);
	}
	log_debug("batch of %zu job(s) queued: %" PRId64 "..%" PRId64,
	    bt->b.n, bt->ops[0].out.insert.id,
	    bt->ops[bt->b.n - 1].out.insert.id);
}

static void
dispatch_batch_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct batch *bt = c->extra;
	char msg[512];
	int64_t *ids;
	size_t i;

	if (op->status != 0) {
		if (c->r != NULL) {
			if (op->status == JOBQ_ESTORAGE)
				snprintf(msg, sizeof msg, "the batch could not "
				    "be stored (disk full?); no job of it was "
				    "queued");
			else
				snprintf(msg, sizeof msg, "jobs[%zu]: %s; no "
				    "job of the batch was queued",
				    op->out.insert_many.failed,
				    jobq_strerror(op->status));
			dispatch_reply_error(c->r, op->status, msg);
		}
		goto out;
	}
	dispatch_batch_track(s, c);
	if (c->r != NULL) {
		if ((ids = malloc(bt->b.n * sizeof *ids)) == NULL)
			dispatch_reply(c->r, NULL);	/* outcome unknown */
		else {
			for (i = 0; i < bt->b.n; i++)
				ids[i] = bt->ops[i].out.insert.id;
			dispatch_reply(c->r,
			    proto_batch_reply_to_json(ids, bt->b.n));
			free(ids);
		}
	}
out:
	dispatch_batch_drop(c);
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

/* Refuses the batch: err with msg, everything let go. */
static void
dispatch_batch_refuse(struct dispatch *s, struct dispatch_req *r,
    cJSON *req_json, struct batch *bt, int err, const char *msg)
{
	dispatch_batch_free(s, bt);
	cJSON_Delete(req_json);
	dispatch_reply_error(r, err, msg);
}

void
dispatch_batch(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_batch *b)
{
	struct batch *bt;
	struct store_op *op;
	struct op_ctx *c;
	char msg[512];
	int64_t now;
	size_t i, n = b->n;
	int rv;

	if ((bt = calloc(1, sizeof *bt)) == NULL) {
		proto_batch_release(b);
		cJSON_Delete(req_json);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	bt->b = *b;
	memset(b, 0, sizeof *b);
	if (s->shutting_down) {
		dispatch_batch_refuse(s, r, req_json, bt, JOBQ_ESHUTDOWN,
		    "jobqd is shutting down");
		return;
	}
	if ((bt->q = calloc(n, sizeof *bt->q)) == NULL ||
	    (bt->ops = calloc(n, sizeof *bt->ops)) == NULL) {
		dispatch_batch_refuse(s, r, req_json, bt, JOBQ_ENOMEM,
		    "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if ((rv = dispatch_batch_check(s, r, bt, i, msg,
		    sizeof msg)) != 0) {
			log_info("a batch was refused: %s", msg);
			dispatch_batch_refuse(s, r, req_json, bt, rv, msg);
			return;
		}
	}
	if ((c = dispatch_op_ctx_try(s, NULL, r)) == NULL) {
		dispatch_batch_refuse(s, r, req_json, bt, JOBQ_ENOMEM,
		    "out of memory");
		return;
	}
	c->extra = bt;
	c->json = req_json;
	if ((c->jobs = calloc(n, sizeof *c->jobs)) == NULL)
		goto nomem;
	c->njobs = n;
	for (i = 0; i < n; i++)
		if ((c->jobs[i] = dispatch_job_alloc()) == NULL)
			goto nomem;
	if ((op = dispatch_op_try(STORE_INSERT_MANY, dispatch_batch_done,
	    c)) == NULL)
		goto nomem;
	now = util_now_ms();
	for (i = 0; i < n; i++) {
		bt->ops[i].type = STORE_INSERT;
		dispatch_submit_fill(&bt->ops[i], &bt->b.jobs[i],
		    (uint32_t)r->uid, now);
		bt->ops[i].in.insert.array_step = 1;
	}
	op->in.insert_many.ops = bt->ops;
	op->in.insert_many.n = n;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
	return;
nomem:
	log_warnx("a batch was refused: out of memory");
	dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
	dispatch_batch_drop(c);
	dispatch_op_ctx_free(c);
}
