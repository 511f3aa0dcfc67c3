/*
 * dispatch.c - jobs in flight (loop thread only).
 *
 * dispatch owns the table of active jobs (queued and running; a job leaves the
 * table once its terminal state has committed), the scheduler (sched.c: which
 * queued job runs next), the worker slots, the requests waiting for a job or
 * an array to end, the watchers, the statistics, retention and the shutdown
 * sequence.  It never touches SQLite itself: every change goes through a
 * store op and takes effect for clients only once it has committed.
 *
 * Life of a job here (see job.h for the state machine, sched.h for the
 * scheduling states of a queued job):
 *
 *   submit [--LOOKUP of its dependencies-->] --INSERT commits--> queued
 *   (table + sched: blocked on dependencies, delayed, or ready)
 *   --sched_next() while a worker is free--> claiming (CLAIM in flight:
 *   "running" in the store) --commits--> reserved (spec packed) --at once,
 *   to the free worker--> running (pool_run; the STARTED report records pid
 *   and start time, and arms the --timeout timer) --finished()/lost()-->
 *   finishing (UPDATE in flight) --commits--> removed from the table; waiters
 *   get the final row read back.
 *   Retry: the UPDATE puts it back to queued with not_before = now + backoff
 *   and the scheduler holds it until then.
 *
 *   A job is handed to a worker only after its claim committed, so a job the
 *   daemon crashed on is always found running at restart and becomes
 *   `interrupted` (or is requeued with retries left): never silently re-run,
 *   never lost.  An orderly stop puts claimed, unstarted jobs back in the
 *   queue.
 *
 * Dependencies are evaluated by sched_finish() as soon as dispatch decides a
 * job's end (before that end has committed): this is safe because the store
 * commits ops in the order they were submitted, so a dependent's CLAIM (or
 * its cancellation) can never commit before the end of its dependency.  A
 * submit with dependencies first looks them up; dependencies still in the
 * table are pinned (kept in memory even if they leave the table) until the
 * INSERT has committed and the new job's edges are in place.
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
#include <stddef.h>
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
#include "util.h"
#include "dispatch.h"
#include "sched.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "wire.h"

#define DISPATCH_RETRY_DELAY_MS 1000   /* default --retry-delay */

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

/* A request waiting for every task of an array to end. */
struct awaiter {
	struct dispatch *s;
	struct dispatch_req *r;
	int64_t array_id;
	size_t remaining;       /* tasks still in the table */
	uv_timer_t *timer;      /* NULL: no timeout */
	TAILQ_ENTRY(awaiter) link;
};
TAILQ_HEAD(awaiter_list, awaiter);

/* A client streaming state changes. */
struct watcher {
	struct dispatch *s;
	struct dispatch_req *r;
	int64_t *ids;           /* NULL: every job the client may see */
	size_t n;
	int all_users;
	TAILQ_ENTRY(watcher) link;
};
TAILQ_HEAD(watcher_list, watcher);

enum sjob_phase { PH_QUEUED, PH_CLAIMING, PH_RESERVED, PH_RUNNING, PH_FINISHING };

/* A running job's --timeout. */
struct dispatch_tmo {
	uv_timer_t timer;
	struct dispatch *s;
	struct sjob *j;         /* NULL once the job ended */
};

struct sjob {
	struct sched_node node;   /* node.id is the job's id */
	enum sjob_phase phase;
	int attempts;
	int max_retries;
	uid_t owner;
	int slot;              /* -1 unless claiming/running */
	pid_t pid;             /* job's pid/pgid once started */
	unsigned cancel_req:1; /* a cancel arrived */
	unsigned undo_claim:1; /* record attempts: the claim never ran */
	unsigned timed_out:1;  /* its timeout fired */
	unsigned gone:1;       /* left the table, kept only while pinned */
	unsigned succeeded:1;  /* its end (once sched node is DONE) */
	int pins;              /* pending submits that depend on it */
	int64_t submitted_at, started_at;
	int64_t timeout_ms, kill_grace_ms, retry_delay_ms;
	int64_t array_id, array_index;
	struct dispatch_tmo *tmo; /* the timeout timer while running */
	char *spec;            /* packed spec while reserved */
	size_t speclen;
	struct waiter_list waiters;
	TAILQ_ENTRY(sjob) qlink;   /* reserved list */
	struct sjob *hnext;        /* hash chain */
};
TAILQ_HEAD(sjob_list, sjob);

#define SJOB(n) ((struct sjob *)((char *)(n) - offsetof(struct sjob, node)))
#define SJOB_ID(j) ((j)->node.id)

struct dispatch {
	uv_loop_t *loop;
	struct store *store;
	struct pool *pool;
	struct sched *sched;
	struct stats *stats;
	struct sjob **buckets;
	size_t nbuckets, njobs;
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
	uv_timer_t due_timer;    /* the next delayed job's start time */
	uv_timer_t retention_timer;
	int retention_armed;
	int nclosing;            /* timers being closed at shutdown */
	struct store_op *parked, *parked_tail; /* to submit again (disk full) */
	int stop_retries;
	struct awaiter_list awaiters;
	struct watcher_list watchers;
};

static void dispatch_dispatch(struct dispatch *);
static void dispatch_maybe_finish_shutdown(struct dispatch *);
static void dispatch_job_end(struct dispatch *, struct sjob *, enum job_event,
    int exit_code, int sig, const char *message);
static void dispatch_end_done(struct store_op *);
static void dispatch_array_task_gone(struct dispatch *, struct sjob *);
static void dispatch_retention_kick(struct dispatch *);

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
		if (SJOB_ID(j) == id)
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
			size_t h = dispatch_hash(s, SJOB_ID(j));
			next = j->hnext;
			j->hnext = nb[h];
			nb[h] = j;
		}
	}
	free(old);
}

/* A new job in the table (phase queued, not yet in the scheduler). */
static struct sjob *
dispatch_add(struct dispatch *s, int64_t id, int attempts, int max_retries,
    uid_t owner)
{
	struct sjob *j;
	size_t h;

	if ((j = calloc(1, sizeof *j)) == NULL)
		fatalx("out of memory");
	j->node.id = id;
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
dispatch_unpin(struct sjob *j)
{
	JQ_ASSERT(j->pins > 0);
	if (--j->pins == 0 && j->gone)
		free(j);
}

static void
dispatch_remove(struct dispatch *s, struct sjob *j)
{
	struct sjob **pp;

	JQ_ASSERT(TAILQ_EMPTY(&j->waiters));
	JQ_ASSERT(j->node.state == SCHED_DONE || j->node.state == SCHED_NEW);
	for (pp = &s->buckets[dispatch_hash(s, SJOB_ID(j))]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == j) {
			*pp = j->hnext;
			s->njobs--;
			if (j->array_id != 0)
				dispatch_array_task_gone(s, j);
			if (j->pins > 0)
				j->gone = 1;
			else
				free(j);
			return;
		}
	}
	fatalx("job %" PRId64 " missing from the active table", SJOB_ID(j));
}

/* Sets up the job's scheduling fields and node (state NEW). */
static void
dispatch_node_init(struct dispatch *s, struct sjob *j, const char *queue,
    int priority, int64_t not_before, int64_t array_id, int throttle)
{
	struct sched_queue *q;
	struct sched_array *a = NULL;

	if ((q = sched_queue_get(s->sched, queue, 1)) == NULL)
		fatalx("out of memory");
	if (array_id != 0 &&
	    (a = sched_array_get(s->sched, array_id, throttle, 1)) == NULL)
		fatalx("out of memory");
	j->array_id = array_id;
	sched_node_init(&j->node, SJOB_ID(j), priority, not_before, q, a);
}

/* sched_add(): 1 if the job is doomed by a dependency; out of memory is
 * fatal (the daemon cannot schedule what it acknowledged). */
static int
dispatch_sched_add(struct dispatch *s, struct sjob *j, int64_t now)
{
	int rv = sched_add(s->sched, &j->node, now);

	if (rv < 0)
		fatalx("out of memory");
	return rv;
}

/* ---- store ops ---- */

static struct store_op *
dispatch_op(struct dispatch *s, enum store_op_type type,
    void (*done)(struct store_op *), void *data)
{
	struct store_op *op;

	(void)s;
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

/* A dependency of a submit being resolved. */
struct pdep {
	int64_t id;
	jobq_dep_mode mode;
	struct sjob *pin;       /* in the table at lookup time */
	int succeeded;          /* else: it had ended, this way */
};

/* What a store op carries back to its done callback. */
struct op_ctx {
	struct dispatch *s;
	struct sjob *job;
	struct dispatch_req *r;
	cJSON *json;          /* submit/list: the request, freed after the reply */
	void *extra;          /* submit: proto_submit; logs: logs_req; list: filter */
	char *msg;            /* update: the message the store op points to */
	int kind;
	struct dispatch_ref ref;
	int64_t arg, arg2;    /* per kind */
	struct pdep *pdeps;   /* submit */
	size_t npdeps;
	jobq_dep *deps;       /* submit: the expanded list the INSERT stores */
	int64_t *ids;         /* lookup: the ids asked for */
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
	free(c->pdeps);
	free(c->deps);
	free(c->ids);
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
dispatch_reply_status(struct dispatch_req *r, int err)
{
	const char *msg;

	switch (err) {
	case JOBQ_ENOTFOUND: msg = "no such job"; break;
	case JOBQ_EISARRAY: msg = "the id names an array"; break;
	default: msg = jobq_strerror(err); break;
	}
	dispatch_reply_error(r, err, msg);
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

static int
dispatch_may_touch(const struct dispatch_req *r, uid_t owner)
{
	return r->uid == 0 || r->uid == owner || r->uid == geteuid();
}

static int
dispatch_privileged(const struct dispatch_req *r)
{
	return r->uid == 0 || r->uid == geteuid();
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

/* ---- watchers ---- */

static int
dispatch_watcher_wants(const struct watcher *w, const struct sjob *j)
{
	size_t i;

	if (!w->all_users && w->r->uid != j->owner)
		return 0;
	if (w->ids == NULL)
		return 1;
	for (i = 0; i < w->n; i++)
		if (w->ids[i] == SJOB_ID(j) ||
		    (j->array_id != 0 && w->ids[i] == j->array_id))
			return 1;
	return 0;
}

static void
dispatch_watcher_free(struct dispatch *s, struct watcher *w)
{
	TAILQ_REMOVE(&s->watchers, w, link);
	free(w->ids);
	free(w);
}

/*
 * A state change of j has committed: tell the watchers.  exit_code < 0 and
 * sig 0 are left out, as are reason NULL and not_before <= now.
 */
static void
dispatch_event(struct dispatch *s, const struct sjob *j, jobq_state st,
    int exit_code, int sig, const char *reason, int64_t not_before)
{
	struct watcher *w, *next;
	int64_t now;
	cJSON *ev;

	if (TAILQ_EMPTY(&s->watchers))
		return;
	now = util_now_ms();
	for (w = TAILQ_FIRST(&s->watchers); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (!dispatch_watcher_wants(w, j))
			continue;
		if ((ev = cJSON_CreateObject()) == NULL)
			fatalx("out of memory");
		cJSON_AddStringToObject(ev, "event", "state");
		proto_add_int(ev, "id", SJOB_ID(j));
		cJSON_AddStringToObject(ev, "state", jobq_state_name(st));
		proto_add_int(ev, "time", now);
		cJSON_AddStringToObject(ev, "queue",
		    sched_queue_name(j->node.queue));
		proto_add_int(ev, "attempts", j->attempts);
		if (exit_code >= 0)
			proto_add_int(ev, "exit_code", exit_code);
		if (sig > 0)
			proto_add_int(ev, "signal", sig);
		if (reason != NULL)
			cJSON_AddStringToObject(ev, "reason", reason);
		if (st == JOBQ_STATE_QUEUED && not_before > now)
			proto_add_int(ev, "not_before", not_before);
		if (j->array_id != 0) {
			proto_add_int(ev, "array_id", j->array_id);
			proto_add_int(ev, "array_index", j->array_index);
		}
		if (w->r->push(w->r, ev) < 0) {
			/* gone or too far behind: the server drops it */
			w->r->abandon = NULL;
			w->r->priv = NULL;
			dispatch_watcher_free(s, w);
		}
	}
}

static void
dispatch_watch_abandon(struct dispatch_req *r)
{
	struct watcher *w = r->priv;

	dispatch_watcher_free(w->s, w);
}

/* ---- submit ---- */

static int
dispatch_dep_holds(jobq_dep_mode mode, int succeeded)
{
	switch (mode) {
	case JOBQ_DEP_OK: return succeeded;
	case JOBQ_DEP_NOTOK: return !succeeded;
	default: return 1;
	}
}

/* Moves a submit's context to a new op context (the old one is finished
 * by its op). */
static struct op_ctx *
dispatch_ctx_move(struct dispatch *s, struct op_ctx *c)
{
	struct op_ctx *n = dispatch_ctx(s, NULL, c->r);

	n->extra = c->extra;
	n->json = c->json;
	n->pdeps = c->pdeps;
	n->npdeps = c->npdeps;
	n->deps = c->deps;
	n->msg = c->msg;
	c->extra = NULL;
	c->json = NULL;
	c->pdeps = NULL;
	c->npdeps = 0;
	c->deps = NULL;
	c->msg = NULL;
	if (n->r != NULL)
		dispatch_park_on_op(n->r, n);
	return n;
}

static void
dispatch_submit_drop(struct op_ctx *c)
{
	size_t i;

	for (i = 0; i < c->npdeps; i++)
		if (c->pdeps[i].pin != NULL)
			dispatch_unpin(c->pdeps[i].pin);
	c->npdeps = 0;
	if (c->extra != NULL) {
		proto_submit_release(c->extra);
		free(c->extra);
		c->extra = NULL;
	}
	cJSON_Delete(c->json);
	c->json = NULL;
}

/* Ends a queued job whose scheduler node is already DONE: canceled. */
static void
dispatch_end_queued(struct dispatch *s, struct sjob *j, const char *reason,
    const char *message)
{
	struct op_ctx *c = dispatch_ctx(s, j, NULL);
	struct store_op *op;
	int64_t now = util_now_ms();

	if ((c->msg = strdup(message)) == NULL)
		fatalx("out of memory");
	op = dispatch_op(s, STORE_UPDATE, dispatch_end_done, c);
	op->in.update.id = SJOB_ID(j);
	op->in.update.state = JOBQ_STATE_CANCELED;
	op->in.update.attempts = -1;
	op->in.update.exit_code = -1;
	op->in.update.not_before = -1;
	op->in.update.finished_at = now;
	op->in.update.reason = reason;
	op->in.update.message = c->msg;
	j->phase = PH_FINISHING;
	j->succeeded = 0;
	stats_job_ended(s->stats, now, -1, -1);
	dispatch_op_submit(s, op);
	dispatch_retention_kick(s);
}

/* The scheduler canceled n: one of its dependencies can never hold. */
static void
dispatch_sched_canceled(void *arg, struct sched_node *n)
{
	struct sjob *j = SJOB(n);

	log_debug("job %" PRId64 " canceled: a dependency can never hold",
	    SJOB_ID(j));
	dispatch_end_queued(arg, j, "dependency",
	    "a dependency can never be satisfied");
}

static void
dispatch_insert_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct proto_submit *sub = c->extra;
	struct dispatch_req *r = c->r;
	int64_t now, count, i, first_id;
	struct pdep *pd;
	struct sjob *j;
	cJSON *rep;
	size_t k;

	if (op->status != 0) {
		if (r != NULL)
			dispatch_reply_error(r, op->status,
			    op->status == JOBQ_ESTORAGE ?
			    "the job could not be stored (disk full?); it was not queued" :
			    jobq_strerror(op->status));
		goto out;
	}
	if (op->out.insert.existing) {
		if (r != NULL) {
			rep = proto_ok_reply();
			proto_add_int(rep, "id", op->out.insert.id);
			cJSON_AddBoolToObject(rep, "existing", 1);
			dispatch_reply(r, rep);
		}
		goto out;
	}
	if (op->in.insert.state == JOBQ_STATE_CANCELED) {
		log_debug("job %" PRId64 " stored canceled: %s",
		    op->out.insert.id, op->in.insert.message);
		dispatch_retention_kick(s);
		goto reply;
	}
	now = util_now_ms();
	count = sub->array_count > 0 ? sub->array_count : 1;
	first_id = sub->array_count > 0 ? op->out.insert.first_task :
	    op->out.insert.id;
	for (i = 0; i < count; i++) {
		j = dispatch_add(s, first_id + i, 0, sub->max_retries, r != NULL ?
		    r->uid : (uid_t)op->in.insert.owner_uid);
		j->owner = (uid_t)op->in.insert.owner_uid;
		j->submitted_at = op->in.insert.submitted_at;
		j->timeout_ms = sub->timeout_ms;
		j->kill_grace_ms = sub->kill_grace_ms;
		j->retry_delay_ms = sub->retry_delay_ms;
		if (sub->array_count > 0)
			j->array_index = sub->array_first + i * sub->array_step;
		dispatch_node_init(s, j, sub->queue, sub->priority,
		    sub->not_before, sub->array_count > 0 ?
		    op->out.insert.id : 0, sub->array_throttle);
		for (k = 0; k < c->npdeps; k++) {
			pd = &c->pdeps[k];
			if (pd->pin != NULL && pd->pin->node.state != SCHED_DONE) {
				if (sched_dep_add(s->sched, &j->node,
				    &pd->pin->node, (enum sched_dep_mode)pd->mode) < 0)
					fatalx("out of memory");
			} else
				(void)sched_dep_ended(s->sched, &j->node,
				    (enum sched_dep_mode)pd->mode,
				    pd->pin != NULL ? pd->pin->succeeded :
				    pd->succeeded);
		}
		if (dispatch_sched_add(s, j, now)) {
			dispatch_event(s, j, JOBQ_STATE_QUEUED, -1, 0, NULL, 0);
			dispatch_end_queued(s, j, "dependency",
			    "a dependency ended while the job was being stored");
		} else
			dispatch_event(s, j, JOBQ_STATE_QUEUED, -1, 0, NULL,
			    j->node.not_before);
	}
	if (sub->array_count > 0) {
		/* every task doomed at once leaves an empty array behind */
		struct sched_array *a = sched_array_get(s->sched,
		    op->out.insert.id, 0, 0);

		if (a != NULL)
			sched_array_release(s->sched, a);
	}
	log_debug("job %" PRId64 " queued (%" PRId64 " task(s))",
	    op->out.insert.id, count);
reply:
	if (r != NULL) {
		rep = proto_ok_reply();
		proto_add_int(rep, "id", op->out.insert.id);
		if (sub->array_count > 0) {
			cJSON *t = cJSON_AddArrayToObject(rep, "tasks");

			cJSON_AddItemToArray(t, cJSON_CreateNumber(
			    (double)op->out.insert.first_task));
			cJSON_AddItemToArray(t, cJSON_CreateNumber(
			    (double)(op->out.insert.first_task +
			    sub->array_count - 1)));
		}
		dispatch_reply(r, rep);
	}
out:
	dispatch_submit_drop(c);
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

static void
dispatch_submit_insert(struct dispatch *s, struct op_ctx *c, int doomed)
{
	struct proto_submit *sub = c->extra;
	struct store_op *op;
	size_t i;

	op = dispatch_op(s, STORE_INSERT, dispatch_insert_done, c);
	op->in.insert.argv = (const char *const *)sub->argv;
	op->in.insert.argc = sub->argc;
	op->in.insert.env = (const char *const *)sub->env;
	op->in.insert.envc = sub->envc;
	op->in.insert.cwd = sub->cwd;
	op->in.insert.name = sub->name;
	op->in.insert.queue = sub->queue;
	op->in.insert.owner_uid = c->r->uid;
	op->in.insert.max_retries = sub->max_retries;
	op->in.insert.submitted_at = util_now_ms();
	op->in.insert.priority = sub->priority;
	op->in.insert.not_before = sub->not_before;
	op->in.insert.timeout_ms = sub->timeout_ms;
	op->in.insert.kill_grace_ms = sub->kill_grace_ms;
	op->in.insert.retry_delay_ms = sub->retry_delay_ms;
	op->in.insert.unique_key = sub->unique_key;
	op->in.insert.labels = (const char *const *)sub->labels;
	op->in.insert.nlabels = sub->nlabels;
	if (c->npdeps > 0) {
		if ((c->deps = calloc(c->npdeps, sizeof *c->deps)) == NULL)
			fatalx("out of memory");
		for (i = 0; i < c->npdeps; i++) {
			c->deps[i].id = c->pdeps[i].id;
			c->deps[i].mode = c->pdeps[i].mode;
		}
	}
	op->in.insert.deps = c->deps;
	op->in.insert.ndeps = c->npdeps;
	op->in.insert.array_first = sub->array_first;
	op->in.insert.array_step = sub->array_step;
	op->in.insert.array_count = sub->array_count;
	op->in.insert.array_throttle = sub->array_throttle;
	op->in.insert.state = doomed ? JOBQ_STATE_CANCELED : JOBQ_STATE_QUEUED;
	op->in.insert.message = c->msg;
	dispatch_op_submit(s, op);
}

/* The dependencies of a submit are looked up: expand arrays, pin the ones
 * still active, decide whether one can already never hold. */
static void
dispatch_lookup_done(struct store_op *op)
{
	struct op_ctx *c = op->data, *n;
	struct dispatch *s = c->s;
	struct proto_submit *sub = c->extra;
	char msg[256];
	size_t i, t, total = 0;
	int doomed = 0;

	if (c->r == NULL)
		goto drop;	/* the client left: nothing was acknowledged */
	if (op->status != 0) {
		dispatch_reply_status(c->r, op->status);
		goto drop;
	}
	for (i = 0; i < op->out.lookup.n; i++) {
		const struct store_lookup *lk = &op->out.lookup.v[i];

		if (lk->kind == 0) {
			snprintf(msg, sizeof msg, "dependency %" PRId64
			    ": no such job", lk->id);
			dispatch_reply_error(c->r, JOBQ_ENOTFOUND, msg);
			goto drop;
		}
		total += lk->kind == 2 ? lk->ntasks : 1;
	}
	if (total > JOBQ_MAX_DEPS) {
		snprintf(msg, sizeof msg, "deps: %zu dependencies once arrays "
		    "are expanded (at most %d)", total, JOBQ_MAX_DEPS);
		dispatch_reply_error(c->r, JOBQ_EINVAL, msg);
		goto drop;
	}
	if (total > 0 && (c->pdeps = calloc(total, sizeof *c->pdeps)) == NULL)
		fatalx("out of memory");
	for (i = 0; i < op->out.lookup.n; i++) {
		const struct store_lookup *lk = &op->out.lookup.v[i];
		size_t nt = lk->kind == 2 ? lk->ntasks : 1;

		for (t = 0; t < nt; t++) {
			struct pdep *pd = &c->pdeps[c->npdeps++];
			jobq_state st = lk->kind == 2 ? lk->task_states[t] :
			    lk->state;
			struct sjob *j;

			pd->id = lk->kind == 2 ? lk->task_ids[t] : lk->id;
			pd->mode = sub->deps[i].mode;
			if ((j = dispatch_find(s, pd->id)) != NULL) {
				j->pins++;
				pd->pin = j;
				if (j->node.state != SCHED_DONE ||
				    dispatch_dep_holds(pd->mode, j->succeeded))
					continue;
				st = j->succeeded ? JOBQ_STATE_SUCCEEDED :
				    JOBQ_STATE_FAILED;
			} else {
				if (!jobq_state_is_terminal(st)) {
					log_warnx("dependency %" PRId64 " is %s "
					    "but not active; taken as failed",
					    pd->id, jobq_state_name(st));
					st = JOBQ_STATE_FAILED;
				}
				pd->succeeded = st == JOBQ_STATE_SUCCEEDED;
				if (dispatch_dep_holds(pd->mode, pd->succeeded))
					continue;
			}
			if (!doomed) {
				doomed = 1;
				snprintf(msg, sizeof msg, "dependency %" PRId64
				    " (%s) ended %s", pd->id,
				    jobq_dep_mode_name(pd->mode),
				    jobq_state_name(st));
				if ((c->msg = strdup(msg)) == NULL)
					fatalx("out of memory");
			}
		}
	}
	n = dispatch_ctx_move(s, c);
	dispatch_submit_insert(s, n, doomed);
	dispatch_op_finish(op);
	return;
drop:
	dispatch_submit_drop(c);
	dispatch_op_finish(op);
}

void
dispatch_submit(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_submit *sub)
{
	struct proto_submit *copy;
	struct store_op *op;
	struct op_ctx *c;
	size_t i;

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
	dispatch_park_on_op(r, c);
	if (copy->ndeps == 0) {
		dispatch_submit_insert(s, c, 0);
		return;
	}
	if ((c->ids = calloc(copy->ndeps, sizeof *c->ids)) == NULL)
		fatalx("out of memory");
	for (i = 0; i < copy->ndeps; i++)
		c->ids[i] = copy->deps[i].id;
	op = dispatch_op(s, STORE_LOOKUP, dispatch_lookup_done, c);
	op->in.lookup.ids = c->ids;
	op->in.lookup.n = copy->ndeps;
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

/* A retry was recorded: the job waits in the queue for its next start. */
static void
dispatch_requeue_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its retry: %s",
		    op->in.update.id, jobq_strerror(op->status));
	else if (c->job != NULL && c->job->phase == PH_QUEUED)
		dispatch_event(c->s, c->job, JOBQ_STATE_QUEUED, -1, 0,
		    op->in.update.reason, op->in.update.not_before);
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
	op->in.update.id = SJOB_ID(j);
	op->in.update.state = JOBQ_STATE_QUEUED;
	op->in.update.attempts = j->attempts;
	op->in.update.finished_at = -1;
	op->in.update.exit_code = -1;
	op->in.update.not_before = -1;
	dispatch_op_submit(s, op);
	j->phase = PH_QUEUED;
	j->slot = -1;
	j->pid = 0;
	sched_requeue(s->sched, &j->node, j->node.not_before, util_now_ms());
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
		    SJOB_ID(j), jobq_strerror(op->status));
		j->attempts--;
		j->phase = PH_QUEUED;
		j->slot = -1;
		sched_requeue(s->sched, &j->node, j->node.not_before,
		    util_now_ms());
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
	dispatch_event(s, j, JOBQ_STATE_RUNNING, -1, 0, NULL, 0);
	snprintf(out, sizeof out, "%s/%" PRId64 ".out", cfg.logs_dir, SJOB_ID(j));
	snprintf(err, sizeof err, "%s/%" PRId64 ".err", cfg.logs_dir, SJOB_ID(j));
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
	rv = pool_run(s->pool, slot, SJOB_ID(j), (unsigned)j->attempts, j->spec,
	    j->speclen);
	if (rv == -EBUSY) {
		/* the pool disagrees that the slot is free: wait for ready() */
		log_warnx("worker %d is not ready; job %" PRId64 " waits", slot,
		    SJOB_ID(j));
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
	s->slot_job[slot] = SJOB_ID(j);
	stats_slot_busy(s->stats, util_now_ms(), 1);
	log_debug("job %" PRId64 " dispatched to worker %d", SJOB_ID(j), slot);
}

/* The job in slot is over: the slot is free again. */
static void
dispatch_slot_free(struct dispatch *s, int slot)
{
	if (s->slot_job[slot] != 0) {
		s->slot_job[slot] = 0;
		stats_slot_busy(s->stats, util_now_ms(), 0);
	}
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

static void
dispatch_due_cb(uv_timer_t *t)
{
	dispatch_dispatch(t->data);
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
 * Which job is next is sched_next()'s choice (priority, FIFO, queue limits,
 * pauses, array throttles); jobs waiting for a time are woken by one timer
 * set to the earliest of them.
 */
static void
dispatch_dispatch(struct dispatch *s)
{
	struct sched_node *n;
	struct sjob *j;
	struct store_op *op;
	int slot, i, nfree = 0;
	int64_t now, due;

	if (s->shutting_down)
		return;
	now = util_now_ms();
	sched_due(s->sched, now);
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL &&
	    (slot = dispatch_free_slot(s)) >= 0)
		dispatch_send(s, j, slot);
	if (!s->retry_armed) {
		for (i = 0; i < s->nslots; i++)
			nfree += s->slot_up[i] && s->slot_job[i] == 0;
		while (s->nclaiming + s->nreserved < (size_t)nfree &&
		    (n = sched_next(s->sched, now)) != NULL) {
			j = SJOB(n);
			JQ_ASSERT(j->phase == PH_QUEUED);
			j->phase = PH_CLAIMING;
			j->attempts++;
			s->nclaiming++;
			op = dispatch_op(s, STORE_CLAIM, dispatch_claim_done,
			    dispatch_ctx(s, j, NULL));
			op->in.claim.id = SJOB_ID(j);
			op->in.claim.attempts = j->attempts;
			op->in.claim.started_at = now;
			dispatch_op_submit(s, op);
		}
	}
	if ((due = sched_next_due(s->sched)) >= 0)
		uv_timer_start(&s->due_timer, dispatch_due_cb,
		    (uint64_t)(due > now ? due - now : 0) + 1, 0);
	else
		uv_timer_stop(&s->due_timer);
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
		log_warnx("job %" PRId64 ": cannot record its end: %s", SJOB_ID(j),
		    jobq_strerror(op->status));
	else
		dispatch_event(s, j, op->in.update.state,
		    op->in.update.exit_code, op->in.update.signal,
		    op->in.update.reason, 0);
	if (TAILQ_EMPTY(&j->waiters))
		dispatch_remove(s, j);
	else {
		rd = dispatch_op(s, STORE_GET, dispatch_final_read_done,
		    dispatch_ctx(s, j, NULL));
		rd->in.get.id = SJOB_ID(j);
		dispatch_op_submit(s, rd);
	}
	dispatch_op_finish(op);
}

static void
dispatch_tmo_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
dispatch_tmo_stop(struct sjob *j)
{
	if (j->tmo != NULL) {
		uv_timer_stop(&j->tmo->timer);
		j->tmo->j = NULL;
		uv_close((uv_handle_t *)&j->tmo->timer, dispatch_tmo_closed);
		j->tmo = NULL;
	}
}

/*
 * A running (or claimed) job ended with event ev.  Decides its next state
 * with job_transition() and records it; a retry puts it back in the queue
 * until its backoff has passed.  The scheduler learns of a final end at once
 * (see the top of this file for why that is safe).
 */
static void
dispatch_job_end(struct dispatch *s, struct sjob *j, enum job_event ev,
    int exit_code, int sig, const char *message)
{
	struct job_outcome oc;
	struct store_op *op;
	struct op_ctx *c;
	int64_t now = util_now_ms(), nb, start;
	int rv;

	dispatch_tmo_stop(j);
	rv = job_transition(JOBQ_STATE_RUNNING, ev, j->attempts, j->max_retries,
	    exit_code, 0, &oc);
	JQ_ASSERT(rv == 0);
	c = dispatch_ctx(s, j, NULL);
	if (message != NULL && (c->msg = strdup(message)) == NULL)
		fatalx("out of memory");
	op = dispatch_op(s, STORE_UPDATE, NULL, c);
	op->in.update.id = SJOB_ID(j);
	op->in.update.state = oc.state;
	op->in.update.attempts = j->undo_claim ? j->attempts : -1;
	op->in.update.exit_code = exit_code;
	op->in.update.signal = sig;
	op->in.update.reason = oc.reason;
	op->in.update.message = c->msg;
	op->in.update.not_before = -1;
	j->slot = -1;
	j->pid = 0;
	j->undo_claim = 0;
	if (oc.retry && !j->cancel_req) {
		nb = now + sched_backoff_ms(j->retry_delay_ms > 0 ?
		    j->retry_delay_ms : DISPATCH_RETRY_DELAY_MS, j->attempts,
		    STORE_RETRY_CAP_MS, drand48());
		log_info("job %" PRId64 " attempt %d ended (%s); retrying in "
		    "%" PRId64 " ms", SJOB_ID(j), j->attempts, oc.reason,
		    nb - now);
		op->in.update.finished_at = -1;
		op->in.update.not_before = nb;
		op->done = dispatch_requeue_done;
		j->timed_out = 0;
		j->phase = PH_QUEUED;
		dispatch_op_submit(s, op);
		sched_requeue(s->sched, &j->node, nb, now);
		return;
	}
	if (oc.retry) {
		/* a pending cancel wins over the retry */
		op->in.update.state = JOBQ_STATE_CANCELED;
		op->in.update.reason = "canceled";
	}
	log_debug("job %" PRId64 " ended %s", SJOB_ID(j),
	    jobq_state_name(op->in.update.state));
	op->in.update.finished_at = now;
	op->done = dispatch_end_done;
	j->phase = PH_FINISHING;
	j->succeeded = op->in.update.state == JOBQ_STATE_SUCCEEDED;
	dispatch_op_submit(s, op);
	start = j->submitted_at > j->node.not_before ? j->submitted_at :
	    j->node.not_before;
	if (j->started_at > 0)
		stats_job_ended(s->stats, now, j->started_at > start ?
		    j->started_at - start : 0, now - j->started_at);
	else
		stats_job_ended(s->stats, now, -1, -1);
	sched_finish(s->sched, &j->node, j->succeeded, now);
	dispatch_retention_kick(s);
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

/* The job ran past its --timeout: TERM to its group, KILL after grace. */
static void
dispatch_tmo_cb(uv_timer_t *t)
{
	struct dispatch_tmo *tmo = t->data;
	struct sjob *j = tmo->j;
	struct dispatch *s = tmo->s;
	unsigned grace;
	int rv;

	if (j == NULL || j->phase != PH_RUNNING || j->slot < 0)
		return;
	j->timed_out = 1;
	grace = j->kill_grace_ms > 0 ? (unsigned)j->kill_grace_ms :
	    cfg.kill_grace_ms;
	log_info("job %" PRId64 " ran past its timeout of %" PRId64 " ms; "
	    "stopping it", SJOB_ID(j), j->timeout_ms);
	if ((rv = pool_cancel(s->pool, j->slot, SJOB_ID(j), grace, 0)) < 0)
		log_warnx("job %" PRId64 ": timeout: %s", SJOB_ID(j),
		    strerror(-rv));
}

static void
dispatch_pool_started(void *arg, int slot, const struct wire_report *rep)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, rep->job_id);
	struct store_op *op;
	int64_t now, left;

	if (j == NULL || j->slot != slot || j->phase != PH_RUNNING) {
		log_warnx("worker %d started unknown job %" PRId64, slot, rep->job_id);
		return;
	}
	j->pid = rep->pid;
	j->started_at = rep->start_us / 1000;
	op = dispatch_op(s, STORE_UPDATE, dispatch_update_done,
	    dispatch_ctx(s, j, NULL));
	op->in.update.id = SJOB_ID(j);
	op->in.update.state = JOBQ_STATE_RUNNING;
	op->in.update.attempts = -1;
	op->in.update.exit_code = -1;
	op->in.update.started_at = j->started_at;
	op->in.update.pid = rep->pid;
	op->in.update.not_before = -1;
	dispatch_op_submit(s, op);
	if (j->timeout_ms > 0 && j->tmo == NULL) {
		now = util_now_ms();
		left = j->started_at + j->timeout_ms - now;
		if ((j->tmo = malloc(sizeof *j->tmo)) == NULL)
			fatalx("out of memory");
		uv_timer_init(s->loop, &j->tmo->timer);
		j->tmo->timer.data = j->tmo;
		j->tmo->s = s;
		j->tmo->j = j;
		uv_timer_start(&j->tmo->timer, dispatch_tmo_cb,
		    (uint64_t)(left > 0 ? left : 0), 0);
	}
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
	dispatch_slot_free(s, slot);
	if (rep->type == WIRE_REP_SPAWN_FAILED) {
		snprintf(msg, sizeof msg, "%s: %s", dispatch_stage_name(rep->stage),
		    strerror(rep->err));
		dispatch_job_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
	} else if (rep->flags & WIRE_END_INTERRUPTED)
		dispatch_job_end(s, j, JOB_EV_INTERRUPT,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0,
		    "jobqd was stopping");
	else if ((rep->flags & WIRE_END_CANCELED) && j->timed_out &&
	    !j->cancel_req) {
		snprintf(msg, sizeof msg, "stopped after its timeout of %" PRId64
		    " ms", j->timeout_ms);
		dispatch_job_end(s, j, JOB_EV_TIMEOUT,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0, msg);
	} else if (rep->flags & WIRE_END_CANCELED)
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

	(void)job_pid;
	s->slot_up[slot] = 0;
	if (job_id == 0)
		return;
	j = dispatch_find(s, job_id);
	if (j == NULL || j->phase != PH_RUNNING || j->slot != slot) {
		log_warnx("worker %d lost with unknown job %" PRId64, slot, job_id);
		return;
	}
	dispatch_slot_free(s, slot);
	snprintf(msg, sizeof msg, "worker %d died while running the job", slot);
	log_warnx("job %" PRId64 ": %s", job_id, msg);
	if (j->cancel_req)
		dispatch_job_end(s, j, JOB_EV_CANCEL, -1, 0, msg);
	else if (s->shutting_down)
		dispatch_job_end(s, j, JOB_EV_INTERRUPT, -1, 0, msg);
	else if (j->timed_out)
		dispatch_job_end(s, j, JOB_EV_TIMEOUT, -1, 0, msg);
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

/* ---- references: "A.I" is resolved to a job id first ---- */

enum { RK_GET, RK_WAIT, RK_CANCEL, RK_LOGS, RK_PRIORITY, RK_RETRY };

struct logs_req {
	int64_t id;
	int stream;
	uint64_t offset;
	size_t max;
};

static void dispatch_by_kind(struct dispatch *, struct dispatch_req *, int kind,
    int64_t id, int64_t arg, void *extra);

static void
dispatch_resolve_done(struct store_op *op)
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
		r->abandon = NULL;
		r->priv = NULL;
		dispatch_by_kind(c->s, r, c->kind, op->out.job->id, c->arg,
		    c->extra);
	}
	dispatch_op_finish(op);
}

/* Returns 1 if ref names a task by index: resolution is on its way. */
static int
dispatch_resolve(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int kind, int64_t arg, void *extra)
{
	struct op_ctx *c;
	struct store_op *op;

	if (!ref->has_index)
		return 0;
	c = dispatch_ctx(s, NULL, r);
	c->kind = kind;
	c->arg = arg;
	c->extra = extra;
	op = dispatch_op(s, STORE_GET, dispatch_resolve_done, c);
	op->in.get.id = ref->id;
	op->in.get.index = ref->index;
	op->in.get.by_index = 1;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
	return 1;
}

/* ---- get / list ---- */

static void
dispatch_get_done(struct store_op *op)
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

static void dispatch_array_op(struct dispatch *, struct dispatch_req *, int kind,
    int64_t id, int64_t timeout_ms);

static void
dispatch_get_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_GET, dispatch_get_done, c);

	op->in.get.id = id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

void
dispatch_get(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_GET, ref->id, -1);
	else if (!dispatch_resolve(s, r, ref, RK_GET, 0, NULL))
		dispatch_get_id(s, r, ref->id);
}

static void
dispatch_list_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_filter *f = c->extra;
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
	free(f->labels);
	free(f);
	cJSON_Delete(c->json);
	dispatch_op_finish(op);
}

void
dispatch_list(struct dispatch *s, struct dispatch_req *r, cJSON *req,
    struct dispatch_filter *f)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_LIST, dispatch_list_done, c);
	struct dispatch_filter *copy;

	if ((copy = malloc(sizeof *copy)) == NULL)
		fatalx("out of memory");
	*copy = *f;
	c->extra = copy;
	c->json = req;
	op->in.list.state = f->state;
	if (f->queue != NULL)
		snprintf(op->in.list.queue, sizeof op->in.list.queue, "%s",
		    f->queue);
	op->in.list.limit = f->limit;
	op->in.list.name = f->name;
	op->in.list.labels = (const char *const *)f->labels;
	op->in.list.nlabels = f->nlabels;
	op->in.list.array_id = f->array_id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

/* ---- jobs that already left the table ---- */

enum { ENDED_WAIT, ENDED_CANCEL, ENDED_LOGS, ENDED_PRIORITY, ENDED_RETRY };

static void dispatch_logs_reply(struct dispatch *, struct dispatch_req *,
    const struct logs_req *, int done);
static void dispatch_retry_store(struct dispatch *, struct dispatch_req *,
    int64_t id);

static void
dispatch_ended_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_status(r, op->status);
		goto out;
	}
	if (c->kind != ENDED_WAIT &&
	    !dispatch_may_touch(r, op->out.job->owner_uid)) {
		dispatch_reply_error(r, JOBQ_EPERM, "the job belongs to another user");
		goto out;
	}
	switch (c->kind) {
	case ENDED_WAIT:
		dispatch_reply_job(r, op->out.job);
		break;
	case ENDED_CANCEL:
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has already ended");
		break;
	case ENDED_PRIORITY:
		dispatch_reply_error(r, JOBQ_ESTATE, "the job is not queued");
		break;
	case ENDED_LOGS:
		dispatch_logs_reply(c->s, r, c->extra,
		    jobq_state_is_terminal(op->out.job->state));
		break;
	case ENDED_RETRY:
		if (!jobq_state_is_terminal(op->out.job->state))
			dispatch_reply_error(r, JOBQ_ESTATE,
			    "the job has not ended");
		else {
			r->abandon = NULL;
			r->priv = NULL;
			dispatch_retry_store(c->s, r, op->out.job->id);
		}
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

/* ---- cancel / wait ---- */

/* Starts cancelling an active job (no reply: callers wait for its end). */
static void
dispatch_cancel_job(struct dispatch *s, struct sjob *j)
{
	struct store_op *op;
	int rv;

	if (j->cancel_req || j->phase == PH_FINISHING)
		return;
	j->cancel_req = 1;
	switch (j->phase) {
	case PH_QUEUED:
		op = dispatch_op(s, STORE_UPDATE, dispatch_end_done,
		    dispatch_ctx(s, j, NULL));
		op->in.update.id = SJOB_ID(j);
		op->in.update.state = JOBQ_STATE_CANCELED;
		op->in.update.attempts = -1;
		op->in.update.exit_code = -1;
		op->in.update.not_before = -1;
		op->in.update.finished_at = util_now_ms();
		op->in.update.reason = "canceled";
		op->in.update.message = "canceled before it started";
		j->phase = PH_FINISHING;
		j->succeeded = 0;
		dispatch_op_submit(s, op);
		stats_job_ended(s->stats, op->in.update.finished_at, -1, -1);
		sched_finish(s->sched, &j->node, 0, op->in.update.finished_at);
		dispatch_retention_kick(s);
		break;
	case PH_CLAIMING:
		break;		/* dispatch_claim_done() sees cancel_req */
	case PH_RESERVED:
		dispatch_unreserve(s, j);
		dispatch_cancel_unstarted(s, j);
		break;
	case PH_RUNNING:
		rv = pool_cancel(s->pool, j->slot, SJOB_ID(j), j->kill_grace_ms > 0 ?
		    (unsigned)j->kill_grace_ms : cfg.kill_grace_ms, 0);
		if (rv < 0)
			log_warnx("job %" PRId64 ": cancel: %s", SJOB_ID(j),
			    strerror(-rv));
		break;
	case PH_FINISHING:
		break;
	}
}

static void
dispatch_cancel_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct sjob *j = dispatch_find(s, id);
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
	dispatch_cancel_job(s, j);
}

void
dispatch_cancel(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_CANCEL, ref->id, -1);
	else if (!dispatch_resolve(s, r, ref, RK_CANCEL, 0, NULL))
		dispatch_cancel_id(s, r, ref->id);
}

static void
dispatch_wait_id(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int64_t timeout_ms)
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

void
dispatch_wait(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int64_t timeout_ms)
{
	if (ref->array)
		dispatch_array_op(s, r, RK_WAIT, ref->id, timeout_ms);
	else if (!dispatch_resolve(s, r, ref, RK_WAIT, timeout_ms, NULL))
		dispatch_wait_id(s, r, ref->id, timeout_ms);
}

/* ---- arrays as a whole ---- */

static void
dispatch_array_reply(struct dispatch_req *r, const jobq_array_info *info)
{
	cJSON *rep = proto_ok_reply(), *a = proto_array_info_to_json(info);

	if (rep == NULL || a == NULL) {
		cJSON_Delete(rep);
		cJSON_Delete(a);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	cJSON_AddItemToObject(rep, "array", a);
	dispatch_reply(r, rep);
}

static void
dispatch_awaiter_timer_closed(uv_handle_t *h)
{
	free(h);
}

static void
dispatch_awaiter_free(struct dispatch *s, struct awaiter *aw)
{
	TAILQ_REMOVE(&s->awaiters, aw, link);
	if (aw->timer != NULL) {
		uv_timer_stop(aw->timer);
		uv_close((uv_handle_t *)aw->timer, dispatch_awaiter_timer_closed);
	}
	if (aw->r != NULL) {
		aw->r->abandon = NULL;
		aw->r->priv = NULL;
	}
	free(aw);
}

static void
dispatch_awaiter_abandon(struct dispatch_req *r)
{
	struct awaiter *aw = r->priv;

	aw->r = NULL;
	dispatch_awaiter_free(aw->s, aw);
}

static void
dispatch_awaiter_timeout(uv_timer_t *t)
{
	struct awaiter *aw = t->data;
	struct dispatch_req *r = aw->r;

	dispatch_awaiter_free(aw->s, aw);
	dispatch_reply_error(r, JOBQ_ETIMEDOUT,
	    "timed out waiting for the array's tasks to end");
}

static void
dispatch_array_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dispatch_req *r = c->r;
	struct awaiter *aw;
	struct sjob *j;
	size_t i, remaining = 0;

	if (r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_error(r, op->status, op->status == JOBQ_ENOTFOUND ?
		    "no such array" : jobq_strerror(op->status));
		goto out;
	}
	if (c->kind == RK_CANCEL) {
		uid_t owner = 0;
		int denied = 0;

		for (i = 0; i < op->out.array.ntasks; i++) {
			if ((j = dispatch_find(s, op->out.array.task_ids[i])) == NULL)
				continue;
			owner = j->owner;
			if (!dispatch_may_touch(r, owner)) {
				denied = 1;
				break;
			}
		}
		if (denied) {
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the array belongs to another user");
			goto out;
		}
		for (i = 0; i < op->out.array.ntasks; i++)
			if ((j = dispatch_find(s, op->out.array.task_ids[i])) != NULL)
				dispatch_cancel_job(s, j);
	}
	if (c->kind != RK_GET) {
		for (i = 0; i < op->out.array.ntasks; i++)
			remaining += dispatch_find(s, op->out.array.task_ids[i]) != NULL;
	}
	if (remaining == 0 || c->arg2) {
		dispatch_array_reply(r, &op->out.array.info);
		goto out;
	}
	if ((aw = calloc(1, sizeof *aw)) == NULL)
		fatalx("out of memory");
	aw->s = s;
	aw->r = r;
	aw->array_id = op->in.array.id;
	aw->remaining = remaining;
	if (c->kind == RK_WAIT && c->arg >= 0) {
		if ((aw->timer = malloc(sizeof *aw->timer)) == NULL)
			fatalx("out of memory");
		uv_timer_init(s->loop, aw->timer);
		aw->timer->data = aw;
		uv_timer_start(aw->timer, dispatch_awaiter_timeout,
		    (uint64_t)(c->arg > INT32_MAX ? INT32_MAX : c->arg), 0);
	}
	TAILQ_INSERT_TAIL(&s->awaiters, aw, link);
	r->priv = aw;
	r->abandon = dispatch_awaiter_abandon;
	c->r = NULL;
out:
	dispatch_op_finish(op);
}

/* kind RK_GET / RK_WAIT / RK_CANCEL on array id; final: reply at once. */
static void
dispatch_array_read(struct dispatch *s, struct dispatch_req *r, int kind,
    int64_t id, int64_t timeout_ms, int final)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_ARRAY, dispatch_array_done, c);

	c->kind = kind;
	c->arg = timeout_ms;
	c->arg2 = final;
	op->in.array.id = id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

static void
dispatch_array_op(struct dispatch *s, struct dispatch_req *r, int kind,
    int64_t id, int64_t timeout_ms)
{
	dispatch_array_read(s, r, kind, id, timeout_ms, 0);
}

/* A task of j->array_id left the table: awaiters of that array count down. */
static void
dispatch_array_task_gone(struct dispatch *s, struct sjob *j)
{
	struct awaiter *aw, *next;
	struct dispatch_req *r;

	for (aw = TAILQ_FIRST(&s->awaiters); aw != NULL; aw = next) {
		next = TAILQ_NEXT(aw, link);
		if (aw->array_id != j->array_id || aw->remaining == 0)
			continue;
		if (--aw->remaining > 0)
			continue;
		r = aw->r;
		dispatch_awaiter_free(s, aw);
		/* the last end has committed: read the array back */
		dispatch_array_read(s, r, RK_GET, j->array_id, -1, 1);
	}
}

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

static void
dispatch_logs_id(struct dispatch *s, struct dispatch_req *r, struct logs_req *lr)
{
	struct sjob *j = dispatch_find(s, lr->id);

	if (j != NULL) {
		if (!dispatch_may_touch(r, j->owner))
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the job belongs to another user");
		else
			dispatch_logs_reply(s, r, lr, 0);
		free(lr);
		return;
	}
	dispatch_lookup_ended(s, r, lr->id, ENDED_LOGS, lr);
}

void
dispatch_logs(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int stream, uint64_t offset, size_t max)
{
	struct logs_req *lr;

	if ((lr = malloc(sizeof *lr)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	lr->id = ref->id;
	lr->stream = stream;
	lr->offset = offset;
	lr->max = max;
	if (!dispatch_resolve(s, r, ref, RK_LOGS, 0, lr))
		dispatch_logs_id(s, r, lr);
}

/* ---- priority ---- */

static void
dispatch_priority_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_park(c->s, op))
		return;
	if (c->r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(c->r, op->status);
		else {
			/* read the row back, ordered after the write */
			struct dispatch_req *r = c->r;

			r->abandon = NULL;
			r->priv = NULL;
			c->r = NULL;
			dispatch_get_id(c->s, r, op->in.update.id);
		}
	}
	dispatch_op_finish(op);
}

static void
dispatch_priority_id(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int priority)
{
	struct sjob *j = dispatch_find(s, id);
	struct op_ctx *c;
	struct store_op *op;

	if (j == NULL) {
		dispatch_lookup_ended(s, r, id, ENDED_PRIORITY, NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->owner)) {
		dispatch_reply_error(r, JOBQ_EPERM, "the job belongs to another user");
		return;
	}
	if (j->phase != PH_QUEUED) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job is not queued");
		return;
	}
	sched_set_priority(s->sched, &j->node, priority);
	c = dispatch_ctx(s, j, r);
	op = dispatch_op(s, STORE_UPDATE, dispatch_priority_done, c);
	op->in.update.id = id;
	op->in.update.set_priority = 1;
	op->in.update.priority = priority;
	op->in.update.attempts = -1;
	op->in.update.exit_code = -1;
	op->in.update.not_before = -1;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
	dispatch_dispatch(s);
}

void
dispatch_priority(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int priority)
{
	if (!dispatch_resolve(s, r, ref, RK_PRIORITY, priority, NULL))
		dispatch_priority_id(s, r, ref->id, priority);
}

/* ---- retry by hand ---- */

static void
dispatch_retry_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	const jobq_job *job = op->out.job;
	struct sjob *j;

	if (op->status != 0) {
		if (c->r != NULL && op->in.retry.unique_conflict)
			dispatch_reply_error(c->r, JOBQ_ESTATE, "another queued or "
			    "running job has the same unique key");
		else if (c->r != NULL)
			dispatch_reply_status(c->r, op->status);
		goto out;
	}
	if (dispatch_find(s, job->id) == NULL) {
		j = dispatch_add(s, job->id, 0, job->max_retries,
		    (uid_t)job->owner_uid);
		j->submitted_at = util_now_ms();
		j->timeout_ms = job->timeout_ms;
		j->kill_grace_ms = job->kill_grace_ms;
		j->retry_delay_ms = job->retry_delay_ms;
		j->array_index = job->array_index;
		dispatch_node_init(s, j, job->queue, job->priority, 0,
		    job->array_id, 0);
		(void)dispatch_sched_add(s, j, util_now_ms());
		dispatch_event(s, j, JOBQ_STATE_QUEUED, -1, 0, NULL, 0);
		log_info("job %" PRId64 " queued again by uid %ld", job->id,
		    c->r != NULL ? (long)c->r->uid : -1L);
	}
	if (c->r != NULL)
		dispatch_reply_job(c->r, job);
out:
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

static void
dispatch_retry_store(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_RETRY, dispatch_retry_done, c);

	if (s->shutting_down) {
		free(c);
		free(op);
		dispatch_reply_error(r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
		return;
	}
	op->in.retry.id = id;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

static void
dispatch_retry_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	if (dispatch_find(s, id) != NULL) {
		dispatch_reply_error(r, JOBQ_ESTATE, "the job has not ended");
		return;
	}
	/* check owner and state first, then requeue */
	dispatch_lookup_ended(s, r, id, ENDED_RETRY, NULL);
}

void
dispatch_retry(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (!dispatch_resolve(s, r, ref, RK_RETRY, 0, NULL))
		dispatch_retry_id(s, r, ref->id);
}

static void
dispatch_by_kind(struct dispatch *s, struct dispatch_req *r, int kind,
    int64_t id, int64_t arg, void *extra)
{
	switch (kind) {
	case RK_GET: dispatch_get_id(s, r, id); break;
	case RK_WAIT: dispatch_wait_id(s, r, id, arg); break;
	case RK_CANCEL: dispatch_cancel_id(s, r, id); break;
	case RK_LOGS:
		((struct logs_req *)extra)->id = id;
		dispatch_logs_id(s, r, extra);
		break;
	case RK_PRIORITY: dispatch_priority_id(s, r, id, (int)arg); break;
	case RK_RETRY: dispatch_retry_id(s, r, id); break;
	}
}

/* ---- purge and retention ---- */

/*
 * A purge deletes at most DISPATCH_PURGE_CHUNK jobs per store op and goes
 * on with the next chunk when one comes back full, so that removing a
 * million ended jobs does not hold every other commit for seconds.
 */
#define DISPATCH_PURGE_CHUNK 5000

static void dispatch_purge_chunk(struct dispatch *, struct dispatch_req *,
    const struct store_op *prev, size_t total);

static void
dispatch_purge_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;
	size_t total = (size_t)c->arg + op->out.purge.n;
	cJSON *rep;

	if (op->status == 0 && op->out.purge.n == op->in.purge.max &&
	    !c->s->shutting_down) {
		if (r != NULL) {
			r->abandon = NULL;
			r->priv = NULL;
		}
		dispatch_purge_chunk(c->s, r, op, total);
	} else if (r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(r, op->status);
		else {
			rep = proto_ok_reply();
			proto_add_int(rep, "purged", (int64_t)total);
			dispatch_reply(r, rep);
		}
	} else if (op->status == 0 && total > 0)
		log_info("retention: removed %zu ended job(s)", total);
	else if (op->status != 0)
		log_warnx("retention: %s", jobq_strerror(op->status));
	dispatch_op_finish(op);
}

/* The next chunk of the purge prev, total removed so far (r may be NULL). */
static void
dispatch_purge_chunk(struct dispatch *s, struct dispatch_req *r,
    const struct store_op *prev, size_t total)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_PURGE, dispatch_purge_done, c);

	c->arg = (int64_t)total;
	op->in.purge = prev->in.purge;
	if (r != NULL)
		dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

static void
dispatch_purge_submit(struct dispatch *s, struct dispatch_req *r,
    int64_t finished_before, int state, int64_t owner, size_t keep_count)
{
	struct store_op first;

	memset(&first, 0, sizeof first);
	first.in.purge.finished_before = finished_before;
	first.in.purge.state = state;
	first.in.purge.owner_uid = owner;
	first.in.purge.keep_count = keep_count;
	first.in.purge.max = DISPATCH_PURGE_CHUNK;
	first.in.purge.logs_dir = cfg.logs_dir;
	dispatch_purge_chunk(s, r, &first, 0);
}

void
dispatch_purge(struct dispatch *s, struct dispatch_req *r,
    int64_t older_than_ms, int state)
{
	dispatch_purge_submit(s, r, older_than_ms > 0 ?
	    util_now_ms() - older_than_ms : 0, state,
	    dispatch_privileged(r) ? -1 : (int64_t)r->uid, 0);
}

/*
 * Retention (--keep-age, --keep-count): applied at start-up and then at
 * most once a second after jobs end, as two purges: ended jobs older than
 * the age, and ended jobs beyond the newest keep-count.
 */
static void
dispatch_retention_cb(uv_timer_t *t)
{
	struct dispatch *s = t->data;

	s->retention_armed = 0;
	if (s->shutting_down)
		return;
	if (cfg.keep_age_ms > 0)
		dispatch_purge_submit(s, NULL, util_now_ms() - cfg.keep_age_ms,
		    -1, -1, 0);
	if (cfg.keep_count > 0)
		dispatch_purge_submit(s, NULL, 0, -1, -1, cfg.keep_count);
}

static void
dispatch_retention_kick(struct dispatch *s)
{
	if (s->retention_armed || s->shutting_down ||
	    (cfg.keep_age_ms == 0 && cfg.keep_count == 0))
		return;
	s->retention_armed = 1;
	uv_timer_start(&s->retention_timer, dispatch_retention_cb, 1000, 0);
}

/* ---- queues and statistics ---- */

static void
dispatch_queue_info(const struct store_queue *sq, jobq_queue_info *qi)
{
	memset(qi, 0, sizeof *qi);
	snprintf(qi->name, sizeof qi->name, "%s", sq->name);
	qi->parallel = sq->parallel;
	qi->paused = sq->paused;
	memcpy(qi->counts, sq->counts, sizeof qi->counts);
}

static cJSON *
dispatch_queues_json(const struct store_op *op)
{
	jobq_queue_info qi;
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr != NULL && i < op->out.counts.n; i++) {
		dispatch_queue_info(&op->out.counts.v[i], &qi);
		cJSON_AddItemToArray(arr, proto_queue_info_to_json(&qi));
	}
	return arr;
}

enum { CK_QUEUE_LIST, CK_QUEUE_SET, CK_STATS };

static cJSON *
dispatch_window_json(struct dispatch *s, int64_t now, int64_t window)
{
	struct stats_window w;
	cJSON *o = cJSON_CreateObject();

	memset(&w, 0, sizeof w);
	(void)stats_window(s->stats, now, window, &w);
	proto_add_int(o, "window_ms", window);
	proto_add_int(o, "finished", (int64_t)w.finished);
	cJSON_AddNumberToObject(o, "per_second", w.per_second);
	cJSON_AddNumberToObject(o, "wait_mean_ms", w.wait_mean_ms);
	cJSON_AddNumberToObject(o, "wait_p95_ms", w.wait_p95_ms);
	cJSON_AddNumberToObject(o, "run_mean_ms", w.run_mean_ms);
	cJSON_AddNumberToObject(o, "run_p95_ms", w.run_p95_ms);
	cJSON_AddNumberToObject(o, "utilisation", w.utilisation);
	return o;
}

static void
dispatch_counts_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	cJSON *rep, *st, *counts;
	size_t i, k, total[JOBQ_STATE_COUNT];
	jobq_queue_info qi;
	int64_t now;
	int busy = 0;

	if (c->r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_status(c->r, op->status);
		goto out;
	}
	rep = proto_ok_reply();
	switch (c->kind) {
	case CK_QUEUE_LIST:
		cJSON_AddItemToObject(rep, "queues", dispatch_queues_json(op));
		break;
	case CK_QUEUE_SET:
		for (i = 0; i < op->out.counts.n; i++)
			if (strcmp(op->out.counts.v[i].name, c->msg) == 0)
				break;
		if (i == op->out.counts.n) {
			cJSON_Delete(rep);
			dispatch_reply_error(c->r, JOBQ_EINTERNAL,
			    "the queue vanished");
			goto out;
		}
		dispatch_queue_info(&op->out.counts.v[i], &qi);
		cJSON_AddItemToObject(rep, "queue", proto_queue_info_to_json(&qi));
		break;
	case CK_STATS:
		now = util_now_ms();
		memset(total, 0, sizeof total);
		for (i = 0; i < op->out.counts.n; i++)
			for (k = 0; k < JOBQ_STATE_COUNT; k++)
				total[k] += op->out.counts.v[i].counts[k];
		st = cJSON_AddObjectToObject(rep, "stats");
		counts = cJSON_AddObjectToObject(st, "counts");
		for (k = 0; k < JOBQ_STATE_COUNT; k++)
			proto_add_int(counts, jobq_state_name((jobq_state)k),
			    (int64_t)total[k]);
		for (i = 0; i < (size_t)s->nslots; i++)
			busy += s->slot_job[i] != 0;
		proto_add_int(st, "workers", s->nslots);
		proto_add_int(st, "busy", busy);
		cJSON_AddItemToObject(st, "minute",
		    dispatch_window_json(s, now, 60000));
		cJSON_AddItemToObject(st, "hour",
		    dispatch_window_json(s, now, 3600000));
		cJSON_AddItemToObject(st, "queues", dispatch_queues_json(op));
		break;
	}
	dispatch_reply(c->r, rep);
out:
	dispatch_op_finish(op);
}

static void
dispatch_counts(struct dispatch *s, struct dispatch_req *r, int kind,
    const char *queue)
{
	struct op_ctx *c = dispatch_ctx(s, NULL, r);
	struct store_op *op = dispatch_op(s, STORE_COUNTS, dispatch_counts_done, c);

	c->kind = kind;
	if (queue != NULL && (c->msg = strdup(queue)) == NULL)
		fatalx("out of memory");
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

void
dispatch_queue_list(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_counts(s, r, CK_QUEUE_LIST, NULL);
}

void
dispatch_stats(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_counts(s, r, CK_STATS, NULL);
}

static void
dispatch_queue_set_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dispatch_req *r = c->r;
	struct sched_queue *q;

	if (op->status == 0) {
		if ((q = sched_queue_get(s->sched, op->in.queue_set.name, 1)) == NULL)
			fatalx("out of memory");
		sched_queue_set(s->sched, q, op->in.queue_set.parallel,
		    op->in.queue_set.paused);
		log_info("queue %s: parallel %d, %s", sched_queue_name(q),
		    sched_queue_parallel(q), sched_queue_paused(q) ?
		    "paused" : "running");
		dispatch_dispatch(s);
	}
	if (r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(r, op->status);
		else {
			r->abandon = NULL;
			r->priv = NULL;
			dispatch_counts(s, r, CK_QUEUE_SET, op->in.queue_set.name);
		}
	}
	dispatch_op_finish(op);
}

void
dispatch_queue_set(struct dispatch *s, struct dispatch_req *r,
    const char *queue, int parallel, int paused)
{
	struct op_ctx *c;
	struct store_op *op;

	if (!dispatch_privileged(r)) {
		dispatch_reply_error(r, JOBQ_EPERM,
		    "only root or jobqd's user may change a queue");
		return;
	}
	c = dispatch_ctx(s, NULL, r);
	op = dispatch_op(s, STORE_QUEUE_SET, dispatch_queue_set_done, c);
	snprintf(op->in.queue_set.name, sizeof op->in.queue_set.name, "%s",
	    queue);
	op->in.queue_set.parallel = parallel;
	op->in.queue_set.paused = paused;
	dispatch_park_on_op(r, c);
	dispatch_op_submit(s, op);
}

/* ---- watch ---- */

void
dispatch_watch(struct dispatch *s, struct dispatch_req *r, const int64_t *ids,
    size_t n)
{
	struct watcher *w;

	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (n > 0 && (w->ids = calloc(n, sizeof *w->ids)) == NULL)) {
		free(w);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	if (n > 0)
		memcpy(w->ids, ids, n * sizeof *ids);
	w->n = n;
	w->s = s;
	w->r = r;
	w->all_users = dispatch_privileged(r);
	if (r->push(r, proto_ok_reply()) < 0) {
		free(w->ids);
		free(w);
		return;
	}
	TAILQ_INSERT_TAIL(&s->watchers, w, link);
	r->priv = w;
	r->abandon = dispatch_watch_abandon;
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
	cJSON_AddNumberToObject(rep, "queued", (double)sched_nqueued(s->sched));
	cJSON_AddNumberToObject(rep, "active", (double)s->njobs);
	return rep;
}

/* ---- start-up and shutdown ---- */

int
dispatch_start(uv_loop_t *loop, struct store *store, struct store_recovery *rec,
    struct dispatch **out)
{
	struct dispatch *s;
	struct sjob *j, *dj;
	struct sched_queue *q;
	struct sjob **doomed = NULL;
	size_t i, k, ndoomed = 0;
	int64_t now = util_now_ms();
	int rv;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return -ENOMEM;
	s->loop = loop;
	s->store = store;
	s->nbuckets = 1024;
	while (s->nbuckets < rec->nqueued)
		s->nbuckets *= 2;
	s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
	s->nslots = cfg.workers;
	s->slot_job = calloc((size_t)s->nslots, sizeof *s->slot_job);
	s->slot_up = calloc((size_t)s->nslots, sizeof *s->slot_up);
	s->sched = sched_new(dispatch_sched_canceled, s);
	s->stats = stats_new(s->nslots, now);
	if (s->buckets == NULL || s->slot_job == NULL || s->slot_up == NULL ||
	    s->sched == NULL || s->stats == NULL)
		return -ENOMEM;
	TAILQ_INIT(&s->reserved);
	TAILQ_INIT(&s->awaiters);
	TAILQ_INIT(&s->watchers);
	uv_timer_init(loop, &s->retry_timer);
	s->retry_timer.data = s;
	uv_timer_init(loop, &s->due_timer);
	s->due_timer.data = s;
	uv_timer_init(loop, &s->retention_timer);
	s->retention_timer.data = s;
	for (i = 0; i < rec->nqueues; i++) {
		if ((q = sched_queue_get(s->sched, rec->queues[i].name, 1)) == NULL)
			return -ENOMEM;
		sched_queue_set(s->sched, q, rec->queues[i].parallel,
		    rec->queues[i].paused);
	}
	/* Dependencies always have smaller ids than their dependents, so in
	 * id order every live dependency is already in the table. */
	for (i = 0; i < rec->nqueued; i++) {
		const struct store_queued *sq = &rec->queued[i];

		j = dispatch_add(s, sq->id, sq->attempts, sq->max_retries,
		    (uid_t)sq->owner_uid);
		j->submitted_at = sq->submitted_at;
		j->timeout_ms = sq->timeout_ms;
		j->kill_grace_ms = sq->kill_grace_ms;
		j->retry_delay_ms = sq->retry_delay_ms;
		j->array_index = sq->array_index;
		dispatch_node_init(s, j, sq->queue, sq->priority, sq->not_before,
		    sq->array_id, sq->array_throttle);
		for (k = sq->dep_first; k < sq->dep_first + sq->ndeps; k++) {
			const struct store_dep *d = &rec->deps[k];

			dj = dispatch_find(s, d->dep_id);
			if (dj != NULL && dj->node.state != SCHED_DONE) {
				if (sched_dep_add(s->sched, &j->node, &dj->node,
				    (enum sched_dep_mode)d->mode) < 0)
					return -ENOMEM;
			} else if (dj != NULL)
				(void)sched_dep_ended(s->sched, &j->node,
				    (enum sched_dep_mode)d->mode, 0);
			else if (d->dep_state >= 0 &&
			    jobq_state_is_terminal((jobq_state)d->dep_state))
				(void)sched_dep_ended(s->sched, &j->node,
				    (enum sched_dep_mode)d->mode,
				    d->dep_state == JOBQ_STATE_SUCCEEDED);
			/* else: purged, so it was judged when it ended and
			 * this edge held (or the job would be canceled) */
		}
		if (dispatch_sched_add(s, j, now)) {
			struct sjob **nd = realloc(doomed,
			    (ndoomed + 1) * sizeof *nd);

			if (nd == NULL)
				return -ENOMEM;
			doomed = nd;
			doomed[ndoomed++] = j;
		}
	}
	for (i = 0; i < ndoomed; i++)
		dispatch_end_queued(s, doomed[i], "dependency",
		    "a dependency can never be satisfied");
	free(doomed);
	rv = pool_start(loop, cfg.exe, cfg.workers, &dispatch_pool_cb, s, &s->pool);
	if (rv < 0)
		return rv;
	/* retention at start-up: queued before any client's request */
	dispatch_retention_cb(&s->retention_timer);
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
dispatch_timer_closed(uv_handle_t *h)
{
	struct dispatch *s = h->data;
	struct sjob *j;
	struct awaiter *aw;
	struct watcher *w;
	size_t i;

	if (--s->nclosing > 0)
		return;
	/* nothing is in flight any more: free what is left */
	for (i = 0; i < s->nbuckets; i++) {
		while ((j = s->buckets[i]) != NULL) {
			struct waiter *wt;

			s->buckets[i] = j->hnext;
			while ((wt = TAILQ_FIRST(&j->waiters)) != NULL) {
				struct dispatch_req *r = wt->r;

				dispatch_waiter_unlink(wt);
				dispatch_waiter_free(wt);
				dispatch_reply_error(r, JOBQ_ESHUTDOWN,
				    "jobqd is shutting down");
			}
			JQ_ASSERT(j->pins == 0);
			free(j);
		}
	}
	while ((aw = TAILQ_FIRST(&s->awaiters)) != NULL) {
		struct dispatch_req *r = aw->r;

		dispatch_awaiter_free(s, aw);
		dispatch_reply_error(r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
	}
	while ((w = TAILQ_FIRST(&s->watchers)) != NULL) {
		w->r->abandon = NULL;
		w->r->priv = NULL;
		dispatch_reply_error(w->r, JOBQ_ESHUTDOWN, "jobqd is shutting down");
		dispatch_watcher_free(s, w);
	}
	sched_free(s->sched);
	stats_free(s->stats);
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
	s->nclosing = 3;
	uv_close((uv_handle_t *)&s->retry_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->due_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->retention_timer, dispatch_timer_closed);
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
	uv_timer_stop(&s->due_timer);
	uv_timer_stop(&s->retention_timer);
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL) {
		dispatch_unreserve(s, j);
		dispatch_unclaim(s, j);
	}
	for (i = 0; i < s->nbuckets; i++)
		for (j = s->buckets[i]; j != NULL; j = j->hnext)
			if (j->phase == PH_RUNNING && j->slot >= 0)
				pool_cancel(s->pool, j->slot, SJOB_ID(j),
				    cfg.kill_grace_ms, 1);
	dispatch_maybe_finish_shutdown(s);
}
