/*
 * dispatch_array.c - an array as a whole (loop thread only): get, wait and
 * cancel on an array id.  The array and its tasks are read from the store;
 * a wait or cancel whose tasks are still in the table becomes an awaiter
 * that counts them down as they leave it (dispatch_array_task_gone), then
 * reads the array back for its reply.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "proto.h"
#include "dispatch_int.h"

/* A request waiting for every task of an array to end. */
struct awaiter {
	struct dispatch *s;
	struct dispatch_req *r;
	int64_t array_id;
	size_t remaining;       /* tasks still in the table */
	uv_timer_t *timer;      /* NULL: no timeout */
	TAILQ_ENTRY(awaiter) link;
};

static void dispatch_array_read(struct dispatch *, struct dispatch_req *,
    enum dispatch_rk kind, int64_t id, int64_t timeout_ms, int final);

static void
dispatch_array_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void
dispatch_array_free(struct dispatch *s, struct awaiter *aw)
{
	DISPATCH_TAILQ_REMOVE(&s->awaiters, aw, link);
	if (aw->timer != NULL) {
		uv_timer_stop(aw->timer);
		uv_close((uv_handle_t *)aw->timer, dispatch_array_timer_closed);
	}
	if (aw->r != NULL)
		dispatch_reply_detach(aw->r);
	free(aw);
}

static void
dispatch_array_abandon(struct dispatch_req *r)
{
	struct awaiter *aw = r->priv;

	aw->r = NULL;
	dispatch_array_free(aw->s, aw);
}

static void
dispatch_array_timeout(uv_timer_t *t)
{
	struct awaiter *aw = t->data;
	struct dispatch_req *r = aw->r;

	dispatch_array_free(aw->s, aw);
	dispatch_reply_error(r, JOBQ_ETIMEDOUT,
	    "timed out waiting for the array's tasks to end");
}

/* Cancels every task of the array op read that is still in the table, if
 * r may touch all of them, noting the cancel in each one's history.  0 or
 * JOBQ_EPERM (nothing canceled). */
static int
dispatch_array_cancel(struct dispatch *s, struct dispatch_req *r,
    const struct store_op *op)
{
	struct sjob *j;
	size_t i;

	if (!dispatch_may_touch(r, op->out.array.owner_uid))
		return JOBQ_EPERM;
	for (i = 0; i < op->out.array.ntasks; i++)
		if ((j = dispatch_find(s, op->out.array.task_ids[i])) != NULL &&
		    !dispatch_may_touch(r, j->node.uid))
			return JOBQ_EPERM;
	/* who canceled it: each task's history */
	dispatch_cancel_ids(s, op->out.array.task_ids, op->out.array.ntasks,
	    r->uid, "the whole array");
	return 0;
}

/* r waits for `remaining` tasks of array id to leave the table. */
static void
dispatch_array_await(struct dispatch *s, struct dispatch_req *r, int64_t id,
    size_t remaining, int64_t timeout_ms)
{
	struct awaiter *aw;

	if ((aw = calloc(1, sizeof *aw)) == NULL)
		fatalx("out of memory");
	aw->s = s;
	aw->r = r;
	aw->array_id = id;
	aw->remaining = remaining;
	if (timeout_ms >= 0) {
		if ((aw->timer = malloc(sizeof *aw->timer)) == NULL)
			fatalx("out of memory");
		uv_timer_init(s->loop, aw->timer);
		aw->timer->data = aw;
		uv_timer_start(aw->timer, dispatch_array_timeout,
		    (uint64_t)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms),
		    0);
	}
	TAILQ_INSERT_TAIL(&s->awaiters, aw, link);
	r->priv = aw;
	r->abandon = dispatch_array_abandon;
}

static void
dispatch_array_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dispatch_req *r = c->r;
	size_t i, remaining = 0;

	if (r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_error(r, op->status, op->status == JOBQ_ENOTFOUND ?
		    "no such array" : jobq_strerror(op->status));
		goto out;
	}
	if (dispatch_view(r, op->out.array.owner_uid) == DISPATCH_VIEW_NONE) {
		dispatch_reply_error(r, JOBQ_ENOTFOUND, "no such array");
		goto out;
	}
	if (c->kind == RK_CANCEL && dispatch_array_cancel(s, r, op) < 0) {
		dispatch_refuse(s, r, "array", op->in.array.id,
		    op->out.array.owner_uid, "cancel");
		goto out;
	}
	if (c->kind != RK_GET)
		for (i = 0; i < op->out.array.ntasks; i++)
			remaining += dispatch_find(s,
			    op->out.array.task_ids[i]) != NULL;
	if (remaining == 0 || c->arg2) {
		dispatch_reply_encoded(r,
		    proto_array_reply_to_json(&op->out.array.info));
		goto out;
	}
	c->r = NULL;
	dispatch_array_await(s, r, op->in.array.id, remaining,
	    c->kind == RK_WAIT ? c->arg : -1);
out:
	dispatch_op_finish(op);
}

/* kind on array id; final: reply with what is read, at once. */
static void
dispatch_array_read(struct dispatch *s, struct dispatch_req *r,
    enum dispatch_rk kind, int64_t id, int64_t timeout_ms, int final)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_ARRAY,
	    dispatch_array_done);
	struct op_ctx *c = op->data;

	c->kind = kind;
	c->arg = timeout_ms;
	c->arg2 = final;
	op->in.array.id = id;
	dispatch_op_submit(s, op);
}

void
dispatch_array_op(struct dispatch *s, struct dispatch_req *r,
    enum dispatch_rk kind, int64_t id, int64_t timeout_ms)
{
	dispatch_array_read(s, r, kind, id, timeout_ms, 0);
}

void
dispatch_array_task_gone(struct dispatch *s, struct sjob *j)
{
	struct awaiter *aw, *next;
	struct dispatch_req *r;

	for (aw = TAILQ_FIRST(&s->awaiters); aw != NULL; aw = next) {
		next = TAILQ_NEXT(aw, link);
		if (aw->array_id != dispatch_opt_array_id(j) || aw->remaining == 0)
			continue;
		if (--aw->remaining > 0)
			continue;
		r = aw->r;
		dispatch_array_free(s, aw);
		/* the last end has committed: read the array back */
		dispatch_array_read(s, r, RK_GET, dispatch_opt_array_id(j), -1, 1);
	}
}

void
dispatch_array_shutdown(struct dispatch *s)
{
	struct awaiter *aw;
	struct dispatch_req *r;

	while ((aw = TAILQ_FIRST(&s->awaiters)) != NULL) {
		r = aw->r;
		dispatch_array_free(s, aw);
		dispatch_reply_error(r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
	}
}
