/*
 * dispatch.c - jobs in flight (loop thread only).
 *
 * dispatch owns the table of active jobs (queued and running; a job leaves the
 * table once its terminal state has committed), the FIFO of queued jobs, the
 * worker slots, the requests waiting for a job to end, and the shutdown
 * sequence.  It never touches SQLite itself: every change goes through a
 * store op and takes effect for clients only once it has committed.
 *
 * Life of a job here (see job.h for the state machine):
 *
 *   submit --INSERT commits--> queued (table + FIFO) --a worker is free-->
 *   claiming (CLAIM in flight: "running" in the store) --commits-->
 *   reserved (spec packed) --at once, to the free worker--> running
 *   (pool_run; the STARTED report records pid and start time without being
 *   waited for) --finished()/lost()--> finishing (UPDATE in flight)
 *   --commits--> removed from the table; waiters get the final row read back.
 *   Retry: finishing is skipped, the job goes back to the queue.
 *
 *   A job is handed to a worker only after its claim committed, so a job the
 *   daemon crashed on is always found running at restart and becomes
 *   `interrupted` (or is requeued with retries left): never silently re-run,
 *   never lost.  An orderly stop puts claimed, unstarted jobs back in the
 *   queue.
 *
 * Slots: slot_job[i] is the job running in slot i (0 = none); slot_up[i] is
 * set by the pool's ready() and cleared by lost().  A slot is free when it is
 * up and holds no job.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobqd.h"
#include "job.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "dispatch.h"
#include "server.h"
#include "store.h"
#include "wire.h"

struct sjob;

struct waiter {
	struct dispatch_req *r;
	struct sjob *job;
	struct dispatch *s;
	uv_timer_t timer;
	int has_timer;
	int is_cancel;
	TAILQ_ENTRY(waiter) link;
};
TAILQ_HEAD(waiter_list, waiter);

enum sjob_phase { PH_QUEUED, PH_CLAIMING, PH_RESERVED, PH_RUNNING, PH_FINISHING };

struct sjob {
	int64_t id;
	enum sjob_phase phase;
	int attempts;
	int max_retries;
	uid_t owner;
	int slot;              /* -1 unless claiming/running */
	pid_t pid;             /* job's pid/pgid once started */
	int cancel_req;        /* a cancel arrived */
	int undo_claim;        /* record attempts: the claim never ran */
	char *spec;            /* packed spec while reserved */
	size_t speclen;
	struct waiter_list waiters;
	TAILQ_ENTRY(sjob) qlink;   /* queued or reserved list */
	struct sjob *hnext;        /* hash chain */
};
TAILQ_HEAD(sjob_list, sjob);

struct dispatch {
	uv_loop_t *loop;
	struct store *store;
	struct pool *pool;
	struct sjob **buckets;
	size_t nbuckets, njobs;
	struct sjob_list queued;
	size_t nqueued;
	struct sjob_list reserved;   /* claimed, waiting for a free worker */
	size_t nreserved, nclaiming;
	int nslots;
	int64_t *slot_job;
	int *slot_up;
	size_t inflight;        /* store ops not yet done */
	int shutting_down;
	void (*shutdown_done)(void *);
	void *shutdown_arg;
	int pool_stopping;
	uv_timer_t retry_timer;  /* re-dispatch after a storage error */
	int retry_armed;
	struct store_op *parked, *parked_tail; /* to submit again (disk full) */
	int stop_retries;
};

static void dispatch_dispatch(struct dispatch *);
static void dispatch_maybe_finish_shutdown(struct dispatch *);
static void dispatch_job_end(struct dispatch *, struct sjob *, enum job_event,
    int exit_code, int sig, const char *message);

/* ---- the active-job table ---- */

static size_t
dispatch_hash(const struct dispatch *s, int64_t id)
{
	return ((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 20 & (s->nbuckets - 1);
}

static struct sjob *
dispatch_find(const struct dispatch *s, int64_t id)
{
	struct sjob *j;

	for (j = s->buckets[dispatch_hash(s, id)]; j != NULL; j = j->hnext)
		if (j->id == id)
			return j;
	return NULL;
}

static void
dispatch_grow(struct dispatch *s)
{
	struct sjob **old = s->buckets, *j, *next;
	size_t oldn = s->nbuckets, i;
	struct sjob **nb;

	nb = calloc(oldn * 2, sizeof *nb);
	if (nb == NULL)
		return;		/* keep the longer chains; still correct */
	s->buckets = nb;
	s->nbuckets = oldn * 2;
	for (i = 0; i < oldn; i++) {
		for (j = old[i]; j != NULL; j = next) {
			size_t h = dispatch_hash(s, j->id);
			next = j->hnext;
			j->hnext = nb[h];
			nb[h] = j;
		}
	}
	free(old);
}

static struct sjob *
dispatch_add(struct dispatch *s, int64_t id, int attempts, int max_retries, uid_t owner)
{
	struct sjob *j;
	size_t h;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	j->id = id;
	j->phase = PH_QUEUED;
	j->attempts = attempts;
	j->max_retries = max_retries;
	j->owner = owner;
	j->slot = -1;
	TAILQ_INIT(&j->waiters);
	if (s->njobs >= s->nbuckets)
		dispatch_grow(s);
	h = dispatch_hash(s, id);
	j->hnext = s->buckets[h];
	s->buckets[h] = j;
	s->njobs++;
	return j;
}

static void
dispatch_remove(struct dispatch *s, struct sjob *j)
{
	struct sjob **pp;

	JQ_ASSERT(TAILQ_EMPTY(&j->waiters));
	for (pp = &s->buckets[dispatch_hash(s, j->id)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == j) {
			*pp = j->hnext;
			s->njobs--;
			free(j);
			return;
		}
	}
	fatalx("job %" PRId64 " missing from the active table", j->id);
}

static void
dispatch_enqueue(struct dispatch *s, struct sjob *j, int front)
{
	j->phase = PH_QUEUED;
	j->slot = -1;
	j->pid = 0;
	if (front)
		TAILQ_INSERT_HEAD(&s->queued, j, qlink);
	else
		TAILQ_INSERT_TAIL(&s->queued, j, qlink);
	s->nqueued++;
}

static void
dispatch_dequeue(struct dispatch *s, struct sjob *j)
{
	JQ_ASSERT(j->phase == PH_QUEUED);
	TAILQ_REMOVE(&s->queued, j, qlink);
	s->nqueued--;
}

/* ---- store ops ---- */

static struct store_op *
dispatch_op(struct dispatch *s, enum store_op_type type,
    void (*done)(struct store_op *), void *data)
{
	struct store_op *op;

	if ((op = calloc(1, sizeof *op)) == NULL)
		fatalx("out of memory");
	op->type = type;
	op->done = done;
	op->data = data;
	return op;
}

static void
dispatch_op_submit(struct dispatch *s, struct store_op *op)
{
	s->inflight++;
	store_submit(s->store, op);
}

/* What a store op carries back to its done callback. */
struct op_ctx {
	struct dispatch *s;
	struct sjob *job;
	struct dispatch_req *r;
	cJSON *json;          /* submit: the request, freed after the reply */
	void *extra;          /* submit: proto_submit; logs: logs_req */
	char *msg;            /* update: the message the store op points to */
	int kind;
};

static struct op_ctx *
dispatch_ctx(struct dispatch *s, struct sjob *job, struct dispatch_req *r)
{
	struct op_ctx *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		fatalx("out of memory");
	c->s = s;
	c->job = job;
	c->r = r;
	return c;
}

static void
dispatch_op_finish(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;

	store_op_release(op);
	free(op);
	free(c->msg);
	free(c);
	s->inflight--;
	dispatch_maybe_finish_shutdown(s);
}

/* ---- replies ---- */

static void
dispatch_reply(struct dispatch_req *r, cJSON *reply)
{
	r->abandon = NULL;
	r->priv = NULL;
	r->reply(r, reply);
}

static void
dispatch_reply_error(struct dispatch_req *r, int err, const char *msg)
{
	dispatch_reply(r, proto_error_reply(err, msg));
}

static void
dispatch_reply_job(struct dispatch_req *r, const jobq_job *job)
{
	cJSON *rep = proto_ok_reply(), *j = proto_job_to_json(job);

	if (rep == NULL || j == NULL) {
		cJSON_Delete(rep);
		cJSON_Delete(j);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	cJSON_AddItemToObject(rep, "job", j);
	dispatch_reply(r, rep);
}

/* A request that holds nothing in dispatch yet cannot be abandoned half-way;
 * requests parked on a store op are detached instead: */
static void
dispatch_abandon_op(struct dispatch_req *r)
{
	struct op_ctx *c = r->priv;

	if (c != NULL)
		c->r = NULL;
}

static void
dispatch_park_on_op(struct dispatch_req *r, struct op_ctx *c)
{
	r->priv = c;
	r->abandon = dispatch_abandon_op;
}

/* ---- waiters ---- */

static void
dispatch_waiter_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
dispatch_waiter_free(struct waiter *w)
{
	if (w->has_timer) {
		uv_timer_stop(&w->timer);
		w->timer.data = w;
		uv_close((uv_handle_t *)&w->timer, dispatch_waiter_timer_closed);
	} else
		free(w);
}

static void
dispatch_waiter_unlink(struct waiter *w)
{
	TAILQ_REMOVE(&w->job->waiters, w, link);
	w->r->abandon = NULL;
	w->r->priv = NULL;
}

static void
dispatch_waiter_abandon(struct dispatch_req *r)
{
	struct waiter *w = r->priv;

	dispatch_waiter_unlink(w);
	dispatch_waiter_free(w);
}

static void
dispatch_waiter_timeout(uv_timer_t *t)
{
	struct waiter *w = t->data;
	struct dispatch_req *r = w->r;

	dispatch_waiter_unlink(w);
	dispatch_waiter_free(w);
	dispatch_reply_error(r, JOBQ_ETIMEDOUT, "timed out waiting for the job to end");
}

static int
dispatch_add_waiter(struct dispatch *s, struct sjob *j, struct dispatch_req *r,
    int64_t timeout_ms, int is_cancel)
{
	struct waiter *w;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return JOBQ_ENOMEM;
	w->r = r;
	w->job = j;
	w->s = s;
	w->is_cancel = is_cancel;
	if (timeout_ms >= 0) {
		uv_timer_init(s->loop, &w->timer);
		w->timer.data = w;
		w->has_timer = 1;
		uv_timer_start(&w->timer, dispatch_waiter_timeout, (uint64_t)timeout_ms, 0);
	}
	TAILQ_INSERT_TAIL(&j->waiters, w, link);
	r->priv = w;
	r->abandon = dispatch_waiter_abandon;
	return 0;
}

/* The job's terminal row is committed: read it back for the waiters. */
static void
dispatch_final_read_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct sjob *j = c->job;
	struct waiter *w;

	while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
		struct dispatch_req *r = w->r;

		dispatch_waiter_unlink(w);
		dispatch_waiter_free(w);
		if (op->status == 0)
			dispatch_reply_job(r, op->out.job);
		else
			dispatch_reply_error(r, op->status, "cannot read the job back");
	}
	dispatch_remove(s, j);
	dispatch_op_finish(op);
}

/* ---- submit ---- */

static void
dispatch_insert_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct proto_submit *sub = c->extra;
	struct dispatch_req *r = c->r;
	struct sjob *j;
	cJSON *rep;

	if (op->status == 0) {
		j = dispatch_add(s, op->out.id, 0, op->in.insert.max_retries,
		    op->in.insert.owner_uid);
		if (j == NULL)
			fatalx("out of memory");
		dispatch_enqueue(s, j, 0);
		log_debug("job %" PRId64 " queued", j->id);
		if (r != NULL) {
			rep = proto_ok_reply();
			cJSON_AddNumberToObject(rep, "id", (double)op->out.id);
			dispatch_reply(r, rep);
		}
	} else if (r != NULL)
		dispatch_reply_error(r, op->status, op->status == JOBQ_ESTORAGE ?
		    "the job could not be stored (disk full?); it was not queued" :
		    jobq_strerror(op->status));
	proto_submit_release(sub);
	free(sub);
	cJSON_Delete(c->json);
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

void
dispatch_submit(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_submit *sub)
{
	struct proto_submit *copy;
	struct store_op *op;
	struct op_ctx *c;

	if (s->shutting_down) {
		proto_submit_release(sub);
		cJSON_Delete(req_json);
		dispatch_reply_error(r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
		return;
	}
	if ((copy = malloc(sizeof *copy)) == NULL)
		fatalx("out of memory");
	*copy = *sub;
	c = dispatch_ctx(s, NULL, r);
	c->extra = copy;
	c->json = req_json;
	op = dispatch_op(s, STORE_INSERT, dispatch_insert_done, c);
	op->in.insert.argv = (const char *const *)copy->argv;
	op->in.insert.argc = copy->argc;
	op->in.insert.env = (const char *const *)copy->env;
	op->in.insert.envc = copy->envc;
	op->in.insert.cwd = copy->cwd;
	op->in.insert.name = copy->name;
	op->in.insert.queue = copy->queue;
	op->in.insert.owner_uid = r->uid;
	op->in.insert.max_retries = copy->max_retries;
	op->in.insert.submitted_at = jobqd_now_ms();
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

/* ---- dispatch ---- */

/*
 * A state change the store could not commit (disk full: JOBQ_ESTORAGE) is
 * parked and submitted again every second, in order, until it commits, so
 * the database never keeps a job "running" that has ended.  During an
 * orderly stop it is tried DISPATCH_STOP_RETRIES more times, then given up
 * (the job is then found interrupted at the next start).  Other store
 * errors are fatal in store.c.
 */
#define DISPATCH_STOP_RETRIES 5

static void
dispatch_retry_cb(uv_timer_t *t)
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

static void
dispatch_arm_retry(struct dispatch *s)
{
	if (s->retry_armed)
		return;
	s->retry_armed = 1;
	uv_timer_start(&s->retry_timer, dispatch_retry_cb, 1000, 0);
}

/* Returns 1 if op was parked for another try. */
static int
dispatch_park(struct dispatch *s, struct store_op *op)
{
	if (op->status != JOBQ_ESTORAGE ||
	    (s->shutting_down && s->stop_retries >= DISPATCH_STOP_RETRIES))
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
	dispatch_arm_retry(s);
	return 1;
}

/* Done callback of state changes nobody waits for. */
static void
dispatch_update_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its state: %s",
		    op->in.update.id, jobq_strerror(op->status));
	dispatch_op_finish(op);
}

/* Puts a claimed-but-never-started job back in the queue, undoing the
 * claim's attempt count. */
static void
dispatch_unclaim(struct dispatch *s, struct sjob *j)
{
	struct store_op *op;

	j->attempts--;
	free(j->spec);
	j->spec = NULL;
	op = dispatch_op(s, STORE_UPDATE, dispatch_update_done,
	    dispatch_ctx(s, j, NULL));
	op->in.update.id = j->id;
	op->in.update.state = JOBQ_STATE_QUEUED;
	op->in.update.attempts = j->attempts;
	op->in.update.finished_at = -1;
	op->in.update.exit_code = -1;
	dispatch_op_submit(s, op);
	dispatch_enqueue(s, j, 1);
}

/* A claimed job is canceled before any worker got it: it never ran, so
 * the claim's attempt does not count. */
static void
dispatch_cancel_unstarted(struct dispatch *s, struct sjob *j)
{
	free(j->spec);
	j->spec = NULL;
	j->attempts--;
	j->undo_claim = 1;
	j->phase = PH_RUNNING;	/* ends from "reserved" on disk */
	dispatch_job_end(s, j, JOB_EV_CANCEL, -1, 0, "canceled before it started");
}

static void
dispatch_unreserve(struct dispatch *s, struct sjob *j)
{
	JQ_ASSERT(j->phase == PH_RESERVED);
	TAILQ_REMOVE(&s->reserved, j, qlink);
	s->nreserved--;
}

static void
dispatch_claim_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct sjob *j = c->job;
	char out[PATH_MAX + 32], err[PATH_MAX + 32];
	int rv;

	JQ_ASSERT(j->phase == PH_CLAIMING);
	s->nclaiming--;
	if (op->status != 0) {
		log_warnx("job %" PRId64 ": cannot claim it: %s; will retry",
		    j->id, jobq_strerror(op->status));
		j->attempts--;
		dispatch_enqueue(s, j, 1);
		dispatch_arm_retry(s);
		goto done;
	}
	if (j->cancel_req) {
		dispatch_cancel_unstarted(s, j);
		goto done;
	}
	if (s->shutting_down) {
		dispatch_unclaim(s, j);
		goto done;
	}
	snprintf(out, sizeof out, "%s/%" PRId64 ".out", cfg.logs_dir, j->id);
	snprintf(err, sizeof err, "%s/%" PRId64 ".err", cfg.logs_dir, j->id);
	rv = wire_spec_pack((const char *const *)op->out.claim.argv,
	    (const char *const *)op->out.claim.env, op->out.claim.cwd, out, err,
	    &j->spec, &j->speclen);
	if (rv < 0) {
		char msg[128];

		snprintf(msg, sizeof msg, "packing the job: %s", strerror(-rv));
		j->phase = PH_RUNNING;
		dispatch_job_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
		goto done;
	}
	j->phase = PH_RESERVED;
	TAILQ_INSERT_TAIL(&s->reserved, j, qlink);
	s->nreserved++;
done:
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

/* Hands a reserved job to the free worker in slot. */
static void
dispatch_send(struct dispatch *s, struct sjob *j, int slot)
{
	char msg[128];
	int rv;

	dispatch_unreserve(s, j);
	rv = pool_run(s->pool, slot, j->id, (unsigned)j->attempts, j->spec,
	    j->speclen);
	if (rv == -EBUSY) {
		/* the pool disagrees that the slot is free: wait for ready() */
		log_warnx("worker %d is not ready; job %" PRId64 " waits", slot,
		    j->id);
		s->slot_up[slot] = 0;
		j->phase = PH_RESERVED;
		TAILQ_INSERT_HEAD(&s->reserved, j, qlink);
		s->nreserved++;
		return;
	}
	free(j->spec);
	j->spec = NULL;
	j->phase = PH_RUNNING;
	if (rv < 0) {
		snprintf(msg, sizeof msg, "dispatch to worker %d: %s", slot,
		    strerror(-rv));
		dispatch_job_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
		return;
	}
	j->slot = slot;
	s->slot_job[slot] = j->id;
	log_debug("job %" PRId64 " dispatched to worker %d", j->id, slot);
}

static int
dispatch_free_slot(const struct dispatch *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slot_up[i] && s->slot_job[i] == 0)
			return i;
	return -1;
}

/*
 * A job is claimed (made "running" in the database) only for a worker that
 * is free, and handed to a worker only after its claim committed: after a
 * crash, a job found running may have started and is interrupted; a job
 * found queued never started.  Claiming ahead of free workers would take an
 * fsync off the path between two jobs of a worker (measured: about 15% more
 * trivial jobs per second) but would turn jobs that never ran into
 * "interrupted" ones after a crash; jobq does not make that trade.  A
 * claimed job waits in the reserved FIFO only if its worker died meanwhile.
 */
static void
dispatch_dispatch(struct dispatch *s)
{
	struct sjob *j;
	struct store_op *op;
	int slot, i, nfree = 0;

	if (s->shutting_down)
		return;
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL &&
	    (slot = dispatch_free_slot(s)) >= 0)
		dispatch_send(s, j, slot);
	if (s->retry_armed)
		return;
	for (i = 0; i < s->nslots; i++)
		nfree += s->slot_up[i] && s->slot_job[i] == 0;
	while ((j = TAILQ_FIRST(&s->queued)) != NULL &&
	    s->nclaiming + s->nreserved < (size_t)nfree) {
		dispatch_dequeue(s, j);
		j->phase = PH_CLAIMING;
		j->attempts++;
		s->nclaiming++;
		op = dispatch_op(s, STORE_CLAIM, dispatch_claim_done,
		    dispatch_ctx(s, j, NULL));
		op->in.claim.id = j->id;
		op->in.claim.attempts = j->attempts;
		op->in.claim.started_at = jobqd_now_ms();
		dispatch_op_submit(s, op);
	}
}

/* ---- the end of a run ---- */

static void
dispatch_end_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct sjob *j = c->job;
	struct store_op *rd;

	if (dispatch_park(s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its end: %s", j->id,
		    jobq_strerror(op->status));
	if (TAILQ_EMPTY(&j->waiters))
		dispatch_remove(s, j);
	else {
		rd = dispatch_op(s, STORE_GET, dispatch_final_read_done,
		    dispatch_ctx(s, j, NULL));
		rd->in.get.id = j->id;
		dispatch_op_submit(s, rd);
	}
	dispatch_op_finish(op);
}

/*
 * A running (or claimed) job ended with event ev.  Decides its next state
 * with job_transition() and records it; a retry puts it back in the queue.
 */
static void
dispatch_job_end(struct dispatch *s, struct sjob *j, enum job_event ev,
    int exit_code, int sig, const char *message)
{
	struct job_outcome oc;
	struct store_op *op;
	struct op_ctx *c;
	int rv;

	rv = job_transition(JOBQ_STATE_RUNNING, ev, j->attempts, j->max_retries,
	    exit_code, 0, &oc);
	JQ_ASSERT(rv == 0);
	c = dispatch_ctx(s, j, NULL);
	if (message != NULL && (c->msg = strdup(message)) == NULL)
		fatalx("out of memory");
	op = dispatch_op(s, STORE_UPDATE, NULL, c);
	op->in.update.id = j->id;
	op->in.update.state = oc.state;
	op->in.update.attempts = j->undo_claim ? j->attempts : -1;
	op->in.update.exit_code = exit_code;
	op->in.update.signal = sig;
	op->in.update.reason = oc.reason;
	op->in.update.message = c->msg;
	j->slot = -1;
	j->pid = 0;
	if (oc.retry && !j->cancel_req) {
		log_info("job %" PRId64 " attempt %d ended (%s); retrying", j->id,
		    j->attempts, oc.reason);
		op->in.update.finished_at = -1;
		op->done = dispatch_update_done;
		dispatch_op_submit(s, op);
		dispatch_enqueue(s, j, 0);
		return;
	}
	if (oc.retry) {
		/* a cancel is pending: it wins over the retry */
		op->in.update.state = JOBQ_STATE_CANCELED;
		op->in.update.reason = "canceled";
	}
	log_debug("job %" PRId64 " ended %s", j->id,
	    jobq_state_name(op->in.update.state));
	op->in.update.finished_at = jobqd_now_ms();
	op->done = dispatch_end_done;
	j->phase = PH_FINISHING;
	dispatch_op_submit(s, op);
}

/* ---- pool callbacks ---- */

static void
dispatch_pool_ready(void *arg, int slot)
{
	struct dispatch *s = arg;

	s->slot_up[slot] = 1;
	dispatch_dispatch(s);
	dispatch_maybe_finish_shutdown(s);
}

static void
dispatch_pool_started(void *arg, int slot, const struct wire_report *rep)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, rep->job_id);
	struct store_op *op;

	if (j == NULL || j->slot != slot || j->phase != PH_RUNNING) {
		log_warnx("worker %d started unknown job %" PRId64, slot, rep->job_id);
		return;
	}
	j->pid = rep->pid;
	op = dispatch_op(s, STORE_UPDATE, dispatch_update_done,
	    dispatch_ctx(s, j, NULL));
	op->in.update.id = j->id;
	op->in.update.state = JOBQ_STATE_RUNNING;
	op->in.update.attempts = -1;
	op->in.update.exit_code = -1;
	op->in.update.started_at = rep->start_us / 1000;
	op->in.update.pid = rep->pid;
	dispatch_op_submit(s, op);
}

static const char *
dispatch_stage_name(int stage)
{
	switch (stage) {
	case WIRE_STAGE_SPEC: return "reading the job";
	case WIRE_STAGE_OUTPUT: return "opening the output files";
	case WIRE_STAGE_CWD: return "changing to the working directory";
	case WIRE_STAGE_EXEC: return "executing the command";
	case WIRE_STAGE_FORK: return "creating the process";
	default: return "starting the job";
	}
}

static void
dispatch_pool_finished(void *arg, int slot, const struct wire_report *rep)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, rep->job_id);
	char msg[256];
	int st = rep->wstatus;

	if (j == NULL || j->slot != slot || j->phase != PH_RUNNING) {
		log_warnx("worker %d finished unknown job %" PRId64, slot,
		    rep->job_id);
		return;
	}
	s->slot_job[slot] = 0;
	if (rep->type == WIRE_REP_SPAWN_FAILED) {
		snprintf(msg, sizeof msg, "%s: %s", dispatch_stage_name(rep->stage),
		    strerror(rep->err));
		dispatch_job_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
	} else if (rep->flags & WIRE_END_INTERRUPTED)
		dispatch_job_end(s, j, JOB_EV_INTERRUPT,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0,
		    "jobqd was stopping");
	else if (rep->flags & WIRE_END_CANCELED)
		dispatch_job_end(s, j, JOB_EV_CANCEL,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0, NULL);
	else if (WIFEXITED(st))
		dispatch_job_end(s, j, JOB_EV_EXITED, WEXITSTATUS(st), 0, NULL);
	else if (WIFSIGNALED(st)) {
		snprintf(msg, sizeof msg, "killed by signal %d (%s)",
		    WTERMSIG(st), strsignal(WTERMSIG(st)));
		dispatch_job_end(s, j, JOB_EV_SIGNALED, -1, WTERMSIG(st), msg);
	} else {
		snprintf(msg, sizeof msg, "unexpected wait status 0x%x", st);
		dispatch_job_end(s, j, JOB_EV_WORKER_LOST, -1, 0, msg);
	}
	dispatch_maybe_finish_shutdown(s);
}

static void
dispatch_pool_lost(void *arg, int slot, int64_t job_id, pid_t job_pid)
{
	struct dispatch *s = arg;
	struct sjob *j;
	char msg[128];

	s->slot_up[slot] = 0;
	if (job_id == 0)
		return;
	j = dispatch_find(s, job_id);
	if (j == NULL || j->phase != PH_RUNNING || j->slot != slot) {
		log_warnx("worker %d lost with unknown job %" PRId64, slot, job_id);
		return;
	}
	s->slot_job[slot] = 0;
	snprintf(msg, sizeof msg, "worker %d died while running the job", slot);
	log_warnx("job %" PRId64 ": %s", job_id, msg);
	if (j->cancel_req)
		dispatch_job_end(s, j, JOB_EV_CANCEL, -1, 0, msg);
	else if (s->shutting_down)
		dispatch_job_end(s, j, JOB_EV_INTERRUPT, -1, 0, msg);
	else
		dispatch_job_end(s, j, JOB_EV_WORKER_LOST, -1, 0, msg);
	dispatch_maybe_finish_shutdown(s);
}

static const struct pool_callbacks dispatch_pool_cb = {
	.ready = dispatch_pool_ready,
	.started = dispatch_pool_started,
	.finished = dispatch_pool_finished,
	.lost = dispatch_pool_lost,
};

/* ---- get / list ---- */

static void
dispatch_get_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (c->r != NULL) {
		if (op->status == 0)
			dispatch_reply_job(c->r, op->out.job);
		else
			dispatch_reply_error(c->r, op->status,
			    op->status == JOBQ_ENOTFOUND ? "no such job" :
			    jobq_strerror(op->status));
	}
	dispatch_op_finish(op);
}

void
dispatch_get(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_GET, dispatch_get_done, c);

	op->in.get.id = id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

static void
dispatch_list_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	cJSON *rep, *arr;
	size_t i;

	if (c->r != NULL) {
		if (op->status != 0)
			dispatch_reply_error(c->r, op->status, jobq_strerror(op->status));
		else {
			rep = proto_ok_reply();
			arr = cJSON_AddArrayToObject(rep, "jobs");
			for (i = 0; i < op->out.list.n; i++)
				cJSON_AddItemToArray(arr,
				    proto_job_to_json(op->out.list.jobs[i]));
			dispatch_reply(c->r, rep);
		}
	}
	dispatch_op_finish(op);
}

void
dispatch_list(struct dispatch *s, struct dispatch_req *r, int state, const char *queue,
    size_t limit)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_LIST, dispatch_list_done, c);

	op->in.list.state = state;
	if (queue != NULL)
		snprintf(op->in.list.queue, sizeof op->in.list.queue, "%s", queue);
	op->in.list.limit = limit;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

/* ---- cancel / wait: jobs that already left the table ---- */

enum { ENDED_WAIT, ENDED_CANCEL, ENDED_LOGS };

struct logs_req {
	int64_t id;
	int stream;
	uint64_t offset;
	size_t max;
};

static void dispatch_logs_reply(struct dispatch *, struct dispatch_req *,
    const struct logs_req *, int done);

static int
dispatch_may_touch(const struct dispatch_req *r, uid_t owner)
{
	return r->uid == 0 || r->uid == owner || r->uid == geteuid();
}

static void
dispatch_ended_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_error(r, op->status, op->status == JOBQ_ENOTFOUND ?
		    "no such job" : jobq_strerror(op->status));
		goto out;
	}
	switch (c->kind) {
	case ENDED_WAIT:
		dispatch_reply_job(r, op->out.job);
		break;
	case ENDED_CANCEL:
		if (!dispatch_may_touch(r, op->out.job->owner_uid))
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the job belongs to another user");
		else
			dispatch_reply_error(r, JOBQ_ESTATE, "the job has already ended");
		break;
	case ENDED_LOGS:
		if (!dispatch_may_touch(r, op->out.job->owner_uid))
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the job belongs to another user");
		else
			dispatch_logs_reply(c->s, r, c->extra,
			    jobq_state_is_terminal(op->out.job->state));
		break;
	}
out:
	free(c->extra);	/* logs_req, or NULL */
	dispatch_op_finish(op);
}

/* The job is not active: look it up (a read ordered after every write). */
static void
dispatch_lookup_ended(struct dispatch *s, struct dispatch_req *r, int64_t id, int kind,
    struct logs_req *lr)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_GET, dispatch_ended_done, c);

	c->kind = kind;
	c->extra = lr;
	op->in.get.id = id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

void
dispatch_cancel(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct sjob *j = dispatch_find(s, id);
	struct store_op *op;
	int rv;

	if (j == NULL) {
		dispatch_lookup_ended(s, r, id, ENDED_CANCEL, NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->owner)) {
		dispatch_reply_error(r, JOBQ_EPERM, "the job belongs to another user");
		return;
	}
	if (j->phase == PH_FINISHING) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has already ended");
		return;
	}
	if ((rv = dispatch_add_waiter(s, j, r, -1, 1)) < 0) {
		dispatch_reply_error(r, rv, jobq_strerror(rv));
		return;
	}
	if (j->cancel_req)
		return;		/* already on its way out; just wait with it */
	j->cancel_req = 1;
	switch (j->phase) {
	case PH_QUEUED:
		dispatch_dequeue(s, j);
		j->phase = PH_FINISHING;
		op = dispatch_op(s, STORE_UPDATE, dispatch_end_done, dispatch_ctx(s, j, NULL));
		op->in.update.id = j->id;
		op->in.update.state = JOBQ_STATE_CANCELED;
		op->in.update.attempts = -1;
		op->in.update.exit_code = -1;
		op->in.update.finished_at = jobqd_now_ms();
		op->in.update.reason = "canceled";
		op->in.update.message = "canceled before it started";
		dispatch_op_submit(s, op);
		break;
	case PH_CLAIMING:
		break;		/* dispatch_claim_done() sees cancel_req */
	case PH_RESERVED:
		dispatch_unreserve(s, j);
		dispatch_cancel_unstarted(s, j);
		break;
	case PH_RUNNING:
		rv = pool_cancel(s->pool, j->slot, j->id, cfg.kill_grace_ms, 0);
		if (rv < 0)
			log_warnx("job %" PRId64 ": cancel: %s", j->id,
			    strerror(-rv));
		break;
	case PH_FINISHING:
		break;
	}
}

void
dispatch_wait(struct dispatch *s, struct dispatch_req *r, int64_t id, int64_t timeout_ms)
{
	struct sjob *j = dispatch_find(s, id);
	int rv;

	if (j == NULL) {
		dispatch_lookup_ended(s, r, id, ENDED_WAIT, NULL);
		return;
	}
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;
	if ((rv = dispatch_add_waiter(s, j, r, timeout_ms, 0)) < 0)
		dispatch_reply_error(r, rv, jobq_strerror(rv));
}

/* ---- logs ---- */

static void
dispatch_logs_reply(struct dispatch *s, struct dispatch_req *r, const struct logs_req *lr,
    int ended)
{
	char path[PATH_MAX + 32];
	char *buf = NULL, *b64;
	struct stat st;
	ssize_t n = 0;
	int fd;
	cJSON *rep;

	snprintf(path, sizeof path, "%s/%" PRId64 ".%s", cfg.logs_dir, lr->id,
	    lr->stream == JOBQ_STDERR ? "err" : "out");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	memset(&st, 0, sizeof st);
	if (fd < 0 && errno != ENOENT) {
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		dispatch_reply_error(r, JOBQ_EINTERNAL, msg);
		return;
	}
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || (buf = malloc(lr->max)) == NULL) {
			close(fd);
			dispatch_reply_error(r, JOBQ_EINTERNAL, "cannot read the output");
			return;
		}
		if ((uint64_t)st.st_size > lr->offset) {
			do
				n = pread(fd, buf, lr->max, (off_t)lr->offset);
			while (n < 0 && errno == EINTR);
			if (n < 0)
				n = 0;
		}
		close(fd);
	}
	b64 = proto_b64_encode(buf != NULL ? buf : "", (size_t)n);
	free(buf);
	if (b64 == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	rep = proto_ok_reply();
	cJSON_AddStringToObject(rep, "data", b64);
	free(b64);
	cJSON_AddNumberToObject(rep, "offset", (double)lr->offset);
	if ((uint64_t)st.st_size < lr->offset + (uint64_t)n)
		st.st_size = (off_t)(lr->offset + (uint64_t)n);
	cJSON_AddNumberToObject(rep, "size", (double)st.st_size);
	cJSON_AddBoolToObject(rep, "done",
	    ended && lr->offset + (uint64_t)n >= (uint64_t)st.st_size);
	dispatch_reply(r, rep);
	(void)s;
}

void
dispatch_logs(struct dispatch *s, struct dispatch_req *r, int64_t id, int stream,
    uint64_t offset, size_t max)
{
	struct sjob *j = dispatch_find(s, id);
	struct logs_req lr = { id, stream, offset, max }, *copy;

	if (j != NULL) {
		if (!dispatch_may_touch(r, j->owner))
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the job belongs to another user");
		else
			dispatch_logs_reply(s, r, &lr, 0);
		return;
	}
	if ((copy = malloc(sizeof *copy)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	*copy = lr;
	dispatch_lookup_ended(s, r, id, ENDED_LOGS, copy);
}

cJSON *
dispatch_ping(struct dispatch *s)
{
	cJSON *rep = proto_ok_reply();

	cJSON_AddStringToObject(rep, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(rep, "protocol", JOBQ_PROTOCOL_VERSION);
	cJSON_AddNumberToObject(rep, "pid", (double)getpid());
	cJSON_AddNumberToObject(rep, "uptime_ms", (double)jobqd_uptime_ms());
	cJSON_AddNumberToObject(rep, "workers", s->nslots);
	cJSON_AddNumberToObject(rep, "queued", (double)s->nqueued);
	cJSON_AddNumberToObject(rep, "active", (double)s->njobs);
	return rep;
}

/* ---- start-up and shutdown ---- */

int
dispatch_start(uv_loop_t *loop, struct store *store, struct store_queued *queued,
    size_t nqueued, struct dispatch **out)
{
	struct dispatch *s;
	size_t i;
	int rv;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return -ENOMEM;
	s->loop = loop;
	s->store = store;
	s->nbuckets = 1024;
	while (s->nbuckets < nqueued)
		s->nbuckets *= 2;
	s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
	s->nslots = cfg.workers;
	s->slot_job = calloc((size_t)s->nslots, sizeof *s->slot_job);
	s->slot_up = calloc((size_t)s->nslots, sizeof *s->slot_up);
	if (s->buckets == NULL || s->slot_job == NULL || s->slot_up == NULL)
		return -ENOMEM;
	TAILQ_INIT(&s->queued);
	TAILQ_INIT(&s->reserved);
	uv_timer_init(loop, &s->retry_timer);
	s->retry_timer.data = s;
	for (i = 0; i < nqueued; i++) {
		struct sjob *j = dispatch_add(s, queued[i].id, queued[i].attempts,
		    queued[i].max_retries, (uid_t)queued[i].owner_uid);

		if (j == NULL)
			return -ENOMEM;
		dispatch_enqueue(s, j, 0);
	}
	rv = pool_start(loop, cfg.exe, cfg.workers, &dispatch_pool_cb, s, &s->pool);
	if (rv < 0)
		return rv;
	*out = s;
	return 0;
}

int
dispatch_shutting_down(const struct dispatch *s)
{
	return s->shutting_down;
}

static int
dispatch_busy(const struct dispatch *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slot_job[i] != 0)
			return 1;
	return 0;
}

static void
dispatch_retry_timer_closed(uv_handle_t *h)
{
	struct dispatch *s = h->data;
	struct sjob *j;
	size_t i;

	/* nothing is in flight any more: free what is left */
	for (i = 0; i < s->nbuckets; i++) {
		while ((j = s->buckets[i]) != NULL) {
			struct waiter *w;

			s->buckets[i] = j->hnext;
			while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
				struct dispatch_req *r = w->r;

				dispatch_waiter_unlink(w);
				dispatch_waiter_free(w);
				dispatch_reply_error(r, JOBQ_ESHUTDOWN,
				    "jobqd is shutting down");
			}
			free(j);
		}
	}
	free(s->buckets);
	free(s->slot_job);
	free(s->slot_up);
	s->shutdown_done(s->shutdown_arg);
	free(s);
}

static void
dispatch_pool_stopped(void *arg)
{
	struct dispatch *s = arg;

	log_debug("workers stopped; closing the store");
	store_close(s->store);
	s->store = NULL;
	uv_close((uv_handle_t *)&s->retry_timer, dispatch_retry_timer_closed);
}

/* Shutdown proceeds once no job is running and every store op is done. */
static void
dispatch_maybe_finish_shutdown(struct dispatch *s)
{
	if (!s->shutting_down || s->pool_stopping)
		return;
	if (dispatch_busy(s) || s->inflight > 0)
		return;
	s->pool_stopping = 1;
	log_info("no job running; stopping the workers");
	pool_stop(s->pool, dispatch_pool_stopped, s);
}

void
dispatch_shutdown(struct dispatch *s, void (*done)(void *), void *arg)
{
	size_t i;
	struct sjob *j;

	if (s->shutting_down)
		return;
	s->shutting_down = 1;
	s->shutdown_done = done;
	s->shutdown_arg = arg;
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL) {
		dispatch_unreserve(s, j);
		dispatch_unclaim(s, j);
	}
	for (i = 0; i < s->nbuckets; i++)
		for (j = s->buckets[i]; j != NULL; j = j->hnext)
			if (j->phase == PH_RUNNING && j->slot >= 0)
				pool_cancel(s->pool, j->slot, j->id,
				    cfg.kill_grace_ms, 1);
	dispatch_maybe_finish_shutdown(s);
}
