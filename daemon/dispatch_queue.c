/*
 * dispatch_queue.c - queues (loop thread only): queue_set (the settings go
 * to the store, then to the scheduler, and the executor to
 * dispatch_exec.c, once committed) and the replies built from the store's
 * counts per queue and state (STORE_COUNTS): queue_list and queue_set's
 * reply (each queue with its executor, as stored; queue_list with
 * "usage" and "slurm" like stats) and, through dispatch_stats.c, stats.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "dispatch_int.h"

void
dispatch_queue_info(const struct store_queue *sq, jobq_queue_info *qi)
{
	memset(qi, 0, sizeof *qi);
	snprintf(qi->name, sizeof qi->name, "%s", sq->name);
	qi->parallel = sq->parallel;
	qi->paused = sq->paused;
	memcpy(qi->counts, sq->counts, sizeof qi->counts);
}

/* The executor of sq as stored (a text that does not parse: local). */
static void
dispatch_queue_exec_of(const struct store_queue *sq, struct proto_exec *e)
{
	if (proto_exec_parse(sq->executor, e) != 0) {
		log_warnx("queue %s: its stored executor is not valid: %.200s",
		    sq->name, sq->executor);
		memset(e, 0, sizeof *e);
	}
}

/* The queue_list reply from the counts op read; NULL when out of memory. */
static cJSON *
dispatch_queue_list_json(const struct store_op *op)
{
	jobq_queue_info *qi;
	struct proto_exec *e;
	cJSON *rep = NULL;
	size_t i, n = op->out.counts.n;

	qi = calloc(n > 0 ? n : 1, sizeof *qi);
	e = calloc(n > 0 ? n : 1, sizeof *e);
	if (qi != NULL && e != NULL) {
		for (i = 0; i < n; i++) {
			dispatch_queue_info(&op->out.counts.v[i], &qi[i]);
			dispatch_queue_exec_of(&op->out.counts.v[i], &e[i]);
		}
		rep = proto_queue_list_reply_to_json(qi, e, n);
	}
	free(qi);
	free(e);
	return rep;
}

/* The reply to queue_set: the queue named name, as read by op. */
static void
dispatch_queue_set_reply(struct dispatch_req *r, const struct store_op *op,
    const char *name)
{
	jobq_queue_info qi;
	struct proto_exec *e;
	size_t i;

	for (i = 0; i < op->out.counts.n; i++)
		if (strcmp(op->out.counts.v[i].name, name) == 0)
			break;
	if (i == op->out.counts.n) {
		dispatch_reply_error(r, JOBQ_EINTERNAL, "the queue vanished");
		return;
	}
	dispatch_queue_info(&op->out.counts.v[i], &qi);
	if ((e = malloc(sizeof *e)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	dispatch_queue_exec_of(&op->out.counts.v[i], e);
	dispatch_reply_encoded(r, proto_queue_set_reply_to_json(&qi, e));
	free(e);
}

static void
dispatch_queue_counts_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (c->kind == CK_METRICS_FILE) {
		if (op->status == 0)
			dispatch_metrics_file_write(c->s, op);
		goto out;
	}
	if (c->r == NULL)
		goto out;
	if (op->status != 0)
		dispatch_reply_status(c->r, op->status);
	else if (c->kind == CK_QUEUE_LIST)
		dispatch_reply_encoded(c->r, dispatch_stats_slurm(c->s,
		    dispatch_res_usage(c->s, dispatch_queue_list_json(op))));
	else if (c->kind == CK_QUEUE_SET)
		dispatch_queue_set_reply(c->r, op, c->msg);
	else if (c->kind == CK_METRICS)
		dispatch_reply_encoded(c->r, dispatch_metrics_reply(c->s, op));
	else
		dispatch_reply_encoded(c->r, dispatch_stats_reply(c->s, c->r,
		    op));
out:
	dispatch_op_finish(op);
}

void
dispatch_queue_counts(struct dispatch *s, struct dispatch_req *r,
    enum dispatch_ck kind, const char *queue)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_COUNTS,
	    dispatch_queue_counts_done);
	struct op_ctx *c = op->data;

	c->kind = kind;
	if (queue != NULL && (c->msg = strdup(queue)) == NULL)
		fatalx("out of memory");
	dispatch_op_submit(s, op);
}

void
dispatch_queue_list(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_queue_counts(s, r, CK_QUEUE_LIST, NULL);
}

static void
dispatch_queue_set_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dispatch_req *r = c->r;
	struct sched_queue *q;

	if (op->status == 0) {
		if ((q = sched_queue_get(s->sched, op->in.queue_set.name, 1)) ==
		    NULL)
			fatalx("out of memory");
		sched_queue_set(s->sched, q, op->in.queue_set.parallel,
		    op->in.queue_set.paused);
		if (op->in.queue_set.set_exec)
			dispatch_queue_exec(s, sched_queue_name(q),
			    op->in.queue_set.exec);
		log_info("queue %s: parallel %d, %s%s%.300s",
		    sched_queue_name(q), sched_queue_parallel(q),
		    sched_queue_paused(q) ? "paused" : "running",
		    op->in.queue_set.set_exec ? ", executor " : "",
		    !op->in.queue_set.set_exec ? "" :
		    op->in.queue_set.exec != NULL ? op->in.queue_set.exec :
		    "local");
		dispatch_dispatch(s);
	}
	if (r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(r, op->status);
		else {
			dispatch_reply_detach(r);
			dispatch_queue_counts(s, r, CK_QUEUE_SET,
			    op->in.queue_set.name);
		}
	}
	dispatch_op_finish(op);
}

void
dispatch_queue_set(struct dispatch *s, struct dispatch_req *r,
    const char *queue, int parallel, int paused,
    const struct proto_exec *exec)
{
	struct op_ctx *c;
	struct store_op *op;

	char action[JOBQ_MAX_NAME + 64];

	if (!dispatch_privileged(r)) {
		snprintf(action, sizeof action, "%s queue %s", paused > 0 ?
		    "pause" : paused == 0 ? "resume" : exec != NULL &&
		    parallel < 0 ? "change the executor of" : "change the "
		    "parallel limit of", queue);
		dispatch_refuse_admin(s, r, action);
		return;
	}
	c = dispatch_op_ctx(s, NULL, r);
	op = dispatch_op_new(s, STORE_QUEUE_SET, dispatch_queue_set_done, c);
	snprintf(op->in.queue_set.name, sizeof op->in.queue_set.name, "%s",
	    queue);
	op->in.queue_set.parallel = parallel;
	op->in.queue_set.paused = paused;
	if (exec != NULL) {
		/* the text lives in the context, freed with the op */
		op->in.queue_set.set_exec = 1;
		if (exec->slurm && (c->msg = proto_exec_text(exec)) == NULL)
			fatalx("out of memory");
		op->in.queue_set.exec = c->msg;
	}
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
}
