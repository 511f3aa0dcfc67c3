/*
 * dispatch_op.c - dispatch's store ops (loop thread only): allocating an op
 * and the context it carries back to its done callback, submitting it,
 * finishing it, holding a request on it, and parking the state changes the
 * store could not commit (disk full) for another try.
 *
 * Every op dispatch submits is counted in s->inflight until its done
 * callback calls dispatch_op_finish(): the shutdown sequence waits for the
 * count to drop to zero before it closes the store.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "dispatch_int.h"

/*
 * A state change the store could not commit (disk full: JOBQ_ESTORAGE) is
 * parked and submitted again every second, in order, until it commits, so
 * the database never keeps a job "running" that has ended.  During an
 * orderly stop it is tried DISPATCH_OP_STOP_RETRIES more times, then given
 * up (the job is then found interrupted at the next start).  Other store
 * errors are fatal in store.c.
 */
#define DISPATCH_OP_STOP_RETRIES 5

struct store_op *
dispatch_op_try(enum store_op_type type, void (*done)(struct store_op *),
    void *data)
{
	struct store_op *op;

	if ((op = calloc(1, sizeof *op)) == NULL)
		return NULL;
	op->type = type;
	op->done = done;
	op->data = data;
	return op;
}

struct store_op *
dispatch_op_new(struct dispatch *s, enum store_op_type type,
    void (*done)(struct store_op *), void *data)
{
	struct store_op *op;

	(void)s;
	if ((op = dispatch_op_try(type, done, data)) == NULL)
		fatalx("out of memory");
	return op;
}

struct op_ctx *
dispatch_op_ctx_try(struct dispatch *s, struct sjob *job,
    struct dispatch_req *r)
{
	struct op_ctx *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->s = s;
	c->job = job;
	c->r = r;
	return c;
}

struct op_ctx *
dispatch_op_ctx(struct dispatch *s, struct sjob *job, struct dispatch_req *r)
{
	struct op_ctx *c;

	if ((c = dispatch_op_ctx_try(s, job, r)) == NULL)
		fatalx("out of memory");
	return c;
}

/* A new op of type for request r (or NULL: nobody waits): its context (no
 * job) holds r, so that r gets the reply from done, or the op learns that r
 * went away. */
struct store_op *
dispatch_op_for(struct dispatch *s, struct dispatch_req *r,
    enum store_op_type type, void (*done)(struct store_op *))
{
	struct op_ctx *c = dispatch_op_ctx(s, NULL, r);
	struct store_op *op = dispatch_op_new(s, type, done, c);

	if (r != NULL)
		dispatch_op_hold(r, c);
	return op;
}

struct store_op *
dispatch_op_update(struct dispatch *s, int64_t id,
    void (*done)(struct store_op *), struct op_ctx *c)
{
	struct store_op *op = dispatch_op_new(s, STORE_UPDATE, done, c);

	op->in.update.id = id;
	op->in.update.attempts = -1;
	op->in.update.exit_code = -1;
	op->in.update.not_before = -1;
	return op;
}

void
dispatch_op_submit(struct dispatch *s, struct store_op *op)
{
	s->inflight++;
	store_submit(s->store, op);
}

void
dispatch_op_submit_lazy(struct dispatch *s, struct store_op *op)
{
	s->inflight++;
	store_submit_lazy(s->store, op);
}

void
dispatch_op_ctx_free(struct op_ctx *c)
{
	size_t i;

	for (i = 0; i < c->njobs; i++)
		if (c->jobs[i] != NULL)
			dispatch_job_free(c->jobs[i]);
	free(c->jobs);
	free(c->msg);
	if (c->strv != NULL) {
		for (i = 0; c->strv[i] != NULL; i++)
			free(c->strv[i]);
		free(c->strv);
	}
	free(c->pdeps);
	free(c->deps);
	free(c->ids);
	free(c);
}

void
dispatch_op_finish(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;

	store_op_release(op);
	free(op);
	dispatch_op_ctx_free(c);
	s->inflight--;
	dispatch_maybe_finish_shutdown(s);
}

/* A request that holds nothing in dispatch yet cannot be abandoned half-way;
 * requests held by a store op are detached from it instead: */
static void
dispatch_op_abandon(struct dispatch_req *r)
{
	struct op_ctx *c = r->priv;

	if (c != NULL)
		c->r = NULL;
}

void
dispatch_op_hold(struct dispatch_req *r, struct op_ctx *c)
{
	r->priv = c;
	r->abandon = dispatch_op_abandon;
}

static void
dispatch_op_retry_cb(uv_timer_t *t)
{
	struct dispatch *s = t->data;
	struct store_op *op, *next;

	s->retry_armed = 0;
	op = s->parked;
	s->parked = s->parked_tail = NULL;
	if (op != NULL && s->shutting_down)
		s->stop_retries++;
	for (; op != NULL; op = next) {
		next = op->next;
		op->next = NULL;
		op->status = 0;
		store_submit(s->store, op);	/* still counted in inflight */
	}
	dispatch_dispatch(s);
}

void
dispatch_op_arm_retry(struct dispatch *s)
{
	if (s->retry_armed)
		return;
	s->retry_armed = 1;
	uv_timer_start(&s->retry_timer, dispatch_op_retry_cb, 1000, 0);
}

int
dispatch_op_park(struct dispatch *s, struct store_op *op)
{
	if (op->status != JOBQ_ESTORAGE ||
	    (s->shutting_down && s->stop_retries >= DISPATCH_OP_STOP_RETRIES))
		return 0;
	if (s->parked == NULL)
		log_warnx("cannot record a job's state (disk full?); "
		    "retrying every second");
	op->next = NULL;
	if (s->parked_tail != NULL)
		s->parked_tail->next = op;
	else
		s->parked = op;
	s->parked_tail = op;
	dispatch_op_arm_retry(s);
	return 1;
}

void
dispatch_op_update_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its state: %s",
		    op->in.update.id, jobq_strerror(op->status));
	dispatch_op_finish(op);
}
