/*
 * dispatch_wait.c - requests waiting for a job to end (loop thread only):
 * wait on a job, and a cancel, whose reply is the job's final row too.  A
 * waiter hangs on its job in the table, with an optional timeout; once the
 * job's end has committed the row is read back (ordered after that write)
 * and every waiter gets it.  Waiting on an array as a whole is
 * dispatch_array.c's.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "dispatch_int.h"

struct waiter {
	struct dispatch_req *r;
	struct sjob *job;
	uv_timer_t timer;
	int has_timer;
	TAILQ_ENTRY(waiter) link;
};

static void
dispatch_wait_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
dispatch_wait_free(struct waiter *w)
{
	if (w->has_timer) {
		uv_timer_stop(&w->timer);
		w->timer.data = w;
		uv_close((uv_handle_t *)&w->timer, dispatch_wait_timer_closed);
	} else
		free(w);
}

static void
dispatch_wait_unlink(struct waiter *w)
{
	DISPATCH_TAILQ_REMOVE(&w->job->opt->waiters, w, link);
	dispatch_reply_detach(w->r);
}

static void
dispatch_wait_abandon(struct dispatch_req *r)
{
	struct waiter *w = r->priv;

	dispatch_wait_unlink(w);
	dispatch_wait_free(w);
}

static void
dispatch_wait_timeout(uv_timer_t *t)
{
	struct waiter *w = t->data;
	struct dispatch_req *r = w->r;

	dispatch_wait_unlink(w);
	dispatch_wait_free(w);
	dispatch_reply_error(r, JOBQ_ETIMEDOUT,
	    "timed out waiting for the job to end");
}

int
dispatch_wait_add(struct dispatch *s, struct sjob *j, struct dispatch_req *r,
    int64_t timeout_ms)
{
	struct waiter *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return JOBQ_ENOMEM;
	w->r = r;
	w->job = j;
	if (timeout_ms >= 0) {
		uv_timer_init(s->loop, &w->timer);
		w->timer.data = w;
		w->has_timer = 1;
		uv_timer_start(&w->timer, dispatch_wait_timeout,
		    (uint64_t)timeout_ms, 0);
	}
	TAILQ_INSERT_TAIL(&dispatch_opt(j)->waiters, w, link);
	r->priv = w;
	r->abandon = dispatch_wait_abandon;
	return 0;
}

/* Every waiter of j gets err, or the job's row when err is 0. */
static void
dispatch_wait_answer(struct sjob *j, int err, const jobq_job *job,
    const char *msg)
{
	struct waiter *w;
	struct dispatch_req *r;

	if (j->opt == NULL)
		return;
	while ((w = TAILQ_FIRST(&j->opt->waiters)) != NULL) {
		r = w->r;
		DISPATCH_TAILQ_REMOVE(&j->opt->waiters, w, link); /* w->job is j */
		dispatch_reply_detach(r);
		dispatch_wait_free(w);
		if (err == 0)
			dispatch_reply_job(r, job);
		else
			dispatch_reply_error(r, err, msg);
	}
}

/* The job's terminal row is committed: read back for the waiters and,
 * with c->arg set, the hooks. */
static void
dispatch_wait_read_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (c->arg && op->status == 0)
		dispatch_hook_ended(c->s, op->out.job);
	else if (c->arg)
		log_warnx("job %" PRId64 ": its end hooks are not run: cannot "
		    "read it back: %s", SJOB_ID(c->job),
		    jobq_strerror(op->status));
	dispatch_wait_answer(c->job, op->status, op->out.job,
	    "cannot read the job back");
	dispatch_remove(c->s, c->job);
	dispatch_op_finish(op);
}

void
dispatch_wait_ended(struct dispatch *s, struct sjob *j, int hooks)
{
	struct store_op *rd;
	struct op_ctx *c;

	if (!dispatch_opt_waited(j) && !hooks) {
		dispatch_remove(s, j);
		return;
	}
	c = dispatch_op_ctx(s, j, NULL);
	c->arg = hooks;
	rd = dispatch_op_new(s, STORE_GET, dispatch_wait_read_done, c);
	rd->in.get.id = SJOB_ID(j);
	dispatch_op_submit(s, rd);
}

void
dispatch_wait_shutdown(struct sjob *j)
{
	dispatch_wait_answer(j, JOBQ_ESHUTDOWN, NULL, "jobqd is shutting down");
}

void
dispatch_wait_id(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int64_t timeout_ms)
{
	struct sjob *j = dispatch_find(s, id);
	int rv;

	if (j == NULL) {
		dispatch_ref_ended(s, r, id, ENDED_WAIT, NULL);
		return;
	}
	if (dispatch_view(r, j->node.uid) == DISPATCH_VIEW_NONE) {
		dispatch_reply_status(r, JOBQ_ENOTFOUND);
		return;
	}
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;
	if ((rv = dispatch_wait_add(s, j, r, timeout_ms)) < 0)
		dispatch_reply_error(r, rv, jobq_strerror(rv));
}

void
dispatch_wait(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int64_t timeout_ms)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_WAIT, ref->id, timeout_ms);
	else if (!dispatch_ref_resolve(s, r, ref, RK_WAIT, timeout_ms, NULL))
		dispatch_wait_id(s, r, ref->id, timeout_ms);
}
