/*
 * dispatch_submit.c - the submit request (loop thread only): its output
 * limit checked against --output-limit-max, its identity (whom it runs as:
 * ident.c), its resource limits resolved from the configuration for the
 * job's owner (rlimits_resolve), the look-up of its
 * dependencies, the INSERT, and the new jobs entering the table and the
 * scheduler once it has committed.
 *
 * A submit is never committed yet refused, nor acknowledged but untracked:
 * everything it needs in memory up to the commit - the bookkeeping of each
 * new job (dispatch_job_alloc, the FAULT_ALLOC seam), its op contexts, the
 * dependency list, its queue in the scheduler - is allocated before the
 * INSERT is submitted, and a failure there refuses the submit with
 * JOBQ_ENOMEM, nothing written.  What is still allocated after the commit
 * (the scheduler's heaps and edges, an array's entry) is fatal if it fails:
 * jobqd cannot run what it has stored.  A reply that cannot be built after
 * the commit is passed on as NULL: the server then closes the connection,
 * so the client learns that the outcome is unknown rather than a refusal.
 *
 * Per-user caps on queued jobs (jobqd.conf: user-max-queued, globally or
 * in [queue NAME], max-queued in [user NAME]) are checked just before the
 * INSERT against the scheduler's counts of the owner's queued jobs (an
 * array counts as its tasks); the places are held (sched_fair_reserve) from
 * the check until the jobs enter the scheduler or the submit is dropped,
 * so that concurrent submits cannot pass a cap together.  The caps are read
 * from the configuration of the moment (a reload counts at once).
 *
 * Dependencies still in the table at look-up time are pinned (dispatch.c
 * keeps them in memory even if they leave the table) until the INSERT has
 * committed and the new job's edges are in place.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pwd.h>

#include "conf.h"
#include "rlimits.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"
#include "ident.h"

/* A dependency of a submit, resolved. */
struct pdep {
	int64_t id;
	jobq_dep_mode mode;
	struct sjob *pin;       /* in the table at look-up time */
	int succeeded;          /* else: it had ended, this way */
};

static int
dispatch_submit_dep_holds(jobq_dep_mode mode, int succeeded)
{
	switch (mode) {
	case JOBQ_DEP_OK: return succeeded;
	case JOBQ_DEP_NOTOK: return !succeeded;
	default: return 1;
	}
}

/* Gives back the places c holds under its owner's queued caps. */
static void
dispatch_submit_unreserve(struct op_ctx *c)
{
	const struct proto_submit *sub = c->extra;
	struct sched_queue *q;

	if (c->nreserved == 0)
		return;
	if ((q = sched_queue_get(c->s->sched, sub->queue, 0)) == NULL)
		fatalx("submit: queue %s vanished", sub->queue);
	sched_fair_unreserve(c->s->sched, c->owner, q, c->nreserved);
	c->nreserved = 0;
}

/* An internal submit's outcome (dispatch_submit_internal): then() once. */
static void
dispatch_submit_then(struct op_ctx *c, int status, int64_t id)
{
	void (*then)(struct dispatch *, void *, int, int64_t) = c->then;

	if (then == NULL)
		return;
	c->then = NULL;
	then(c->s, c->then_arg, status, id);
}

/* Lets go of what c holds for a submit (its pins, places held under the
 * caps and the request). */
static void
dispatch_submit_drop(struct op_ctx *c)
{
	size_t i;

	dispatch_submit_unreserve(c);
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

/* Refuses the submit of c, which has no op in flight: out of memory. */
static void
dispatch_submit_refuse(struct op_ctx *c)
{
	log_warnx("a submit was refused: out of memory");
	if (c->r != NULL)
		dispatch_reply_error(c->r, JOBQ_ENOMEM, "out of memory");
	dispatch_submit_then(c, JOBQ_ENOMEM, 0);
	dispatch_submit_drop(c);
	dispatch_op_ctx_free(c);
}

/* The submit reply: the id, and "existing" (a unique key matched) or an
 * array's task ids; NULL when out of memory. */
static cJSON *
dispatch_submit_reply_json(const struct store_op *op,
    const struct proto_submit *sub)
{
	struct proto_submit_reply rep;

	memset(&rep, 0, sizeof rep);
	rep.id = op->out.insert.id;
	rep.existing = op->out.insert.existing;
	if (!rep.existing && sub->array_count > 0) {
		rep.first_task = op->out.insert.first_task;
		rep.last_task = rep.first_task + sub->array_count - 1;
	}
	return proto_submit_reply_to_json(&rep);
}

/* j, new, depends on c's dependencies. */
static void
dispatch_submit_edges(struct dispatch *s, const struct op_ctx *c,
    struct sjob *j)
{
	const struct pdep *pd;
	enum sched_dep_mode mode;
	size_t k;

	for (k = 0; k < c->npdeps; k++) {
		pd = &c->pdeps[k];
		mode = (enum sched_dep_mode)pd->mode;
		if (pd->pin != NULL && pd->pin->node.state != SCHED_DONE) {
			if (sched_dep_add(s->sched, &j->node, &pd->pin->node,
			    mode) < 0)
				fatalx("out of memory");
		} else
			(void)sched_dep_ended(s->sched, &j->node, mode,
			    pd->pin != NULL ?
			    pd->pin->state == JOBQ_STATE_SUCCEEDED :
			    pd->succeeded);
	}
}

/* The INSERT has committed: the new jobs enter the table and the
 * scheduler (their bookkeeping was allocated before). */
static void
dispatch_submit_track(struct dispatch *s, struct op_ctx *c,
    const struct store_op *op)
{
	const struct proto_submit *sub = c->extra;
	struct sched_array *a;
	int64_t now = util_now_ms(), first_id, i;
	struct sjob *j;

	first_id = sub->array_count > 0 ? op->out.insert.first_task :
	    op->out.insert.id;
	for (i = 0; i < (int64_t)c->njobs; i++) {
		j = c->jobs[i];
		c->jobs[i] = NULL;
		dispatch_add(s, j, first_id + i, 0, sub->max_retries,
		    (uid_t)op->in.insert.owner_uid);
		s->metrics.submitted++;
		j->submitted_at = op->in.insert.submitted_at;
		dispatch_opt_set(j, sub->timeout_ms, sub->kill_grace_ms,
		    sub->retry_delay_ms, sub->array_count > 0 ?
		    sub->array_first + i * sub->array_step : 0);
		j->on_end = sub->on_end != NULL;
		dispatch_node_init(s, j, sub->queue, sub->priority,
		    sub->not_before, sub->array_count > 0 ?
		    op->out.insert.id : 0, sub->array_throttle);
		j->node.held = sub->hold;
		dispatch_res_job(s, j, sub->slots, sub->res);
		dispatch_submit_edges(s, c, j);
		if (dispatch_sched_add(s, j, now)) {
			dispatch_watch_event(s, j, JOBQ_STATE_QUEUED, -1, 0,
			    NULL, 0);
			dispatch_end(s, j, JOB_EV_DEP_CANCEL, -1, 0, "a "
			    "dependency ended while the job was being stored");
		} else
			dispatch_watch_event(s, j, JOBQ_STATE_QUEUED, -1, 0,
			    NULL, j->node.not_before);
	}
	/* the jobs count as queued now (held until here: no cap check
	 * comes in between, and the user's place is not freed and made
	 * again) */
	dispatch_submit_unreserve(c);
	/* every task doomed at once leaves an empty array behind */
	if (sub->array_count > 0 &&
	    (a = sched_array_get(s->sched, op->out.insert.id, 0, 0)) != NULL)
		sched_array_release(s->sched, a);
	log_debug("job %" PRId64 " queued (%zu task(s))", op->out.insert.id,
	    c->njobs);
}

/*
 * A submit while a worker is idle: its INSERT and the claim of the new job
 * go to the store as one pair (store_submit_pair), so that one commit
 * stores the job and makes it running for that worker (one fsync between
 * submit and start instead of two).  The contract stays the one of any
 * claim (dispatch_dispatch): a job is claimed only for a free worker, and
 * after a crash a job found running may have started (interrupted), one
 * found queued never did.  Only a lone job (no array, no dependencies, no
 * start time ahead) in a queue that could start it now is paired.
 */
static int
dispatch_submit_pairable(const struct dispatch *s, const struct op_ctx *c,
    int doomed)
{
	const struct proto_submit *sub = c->extra;
	struct sched_queue *q;
	int par, nfree = dispatch_slot_nfree(s);

	if (doomed || sub->hold || sub->array_count > 0 || c->npdeps > 0 ||
	    !dispatch_res_pairable(s, sub) ||
	    c->njobs != 1 ||
	    s->shutting_down || s->retry_armed || nfree <= 0 ||
	    sub->not_before > util_now_ms() ||
	    s->nclaiming + s->nreserved + s->npaired >= (size_t)nfree)
		return 0;
	if ((q = sched_queue_get(s->sched, sub->queue, 0)) == NULL ||
	    sched_queue_paused(q) || sched_queue_external(q))
		return 0;
	par = sched_queue_parallel(q);
	return par <= 0 || sched_queue_nrunning(q) < (size_t)par;
}

/* The paired claim's done callback: a claim like any other once adopted
 * (arg 1), else nothing more to do (dispatch_submit_adopt put the row back,
 * or nothing was claimed). */
static void
dispatch_submit_claim_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (c->arg == 1)
		dispatch_claim_done(op);
	else
		dispatch_op_finish(op);
}

/*
 * The INSERT and its paired claim have committed, the job is in the
 * scheduler: it is taken for the idle worker if the scheduler picks it
 * (it would be next anyway, unless something changed since the submit).
 * Otherwise whatever the scheduler picks is claimed the ordinary way, and
 * the new job's row goes back to queued with an UPDATE submitted now,
 * before anything else (a cancel in reply to this submit) can touch it.
 */
static void
dispatch_submit_adopt(struct dispatch *s, struct store_op *cl)
{
	struct op_ctx *cc = cl->data;
	struct sjob *j = dispatch_find(s, cl->in.claim.id);
	struct sched_node *n = NULL;
	struct store_op *op;
	int64_t now = util_now_ms();

	if (j != NULL && j->phase == PH_QUEUED && !s->shutting_down &&
	    s->nclaiming + s->nreserved + s->npaired <
	    (size_t)dispatch_slot_nfree(s) &&
	    (n = sched_next(s->sched, now)) == &j->node) {
		dispatch_claim_adopt(s, j);
		cc->job = j;
		cc->arg = 1;
		return;
	}
	if (n != NULL)
		dispatch_claim(s, SJOB(n), now);
	log_debug("job %" PRId64 ": not started with its insert; queued",
	    cl->in.claim.id);
	op = dispatch_op_update(s, cl->in.claim.id, dispatch_op_update_done,
	    dispatch_op_ctx(s, NULL, NULL));
	op->in.update.state = JOBQ_STATE_QUEUED;
	op->in.update.attempts = 0;
	op->in.update.finished_at = -1;
	dispatch_op_submit(s, op);
}

static void
dispatch_submit_insert_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dispatch_req *r = c->r;

	if (c->claim != NULL)
		s->npaired--;

	if (op->status != 0) {
		if (r != NULL)
			dispatch_reply_error(r, op->status,
			    op->status == JOBQ_ESTORAGE ?
			    "the job could not be stored (disk full?); it was not queued" :
			    jobq_strerror(op->status));
		dispatch_submit_then(c, op->status, 0);
		goto out;
	}
	if (op->out.insert.existing)
		goto reply;	/* the job with that unique key: nothing new */
	if (op->in.insert.state == JOBQ_STATE_CANCELED) {
		log_debug("job %" PRId64 " stored canceled: %s",
		    op->out.insert.id, op->in.insert.message);
		dispatch_purge_kick(s);
	} else {
		dispatch_submit_track(s, c, op);
		if (c->claim != NULL && c->claim->status == 0)
			dispatch_submit_adopt(s, c->claim);
	}
reply:
	if (r != NULL)
		dispatch_reply(r, dispatch_submit_reply_json(op, c->extra));
	dispatch_submit_then(c, 0, op->out.insert.id);
out:
	dispatch_submit_drop(c);
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

/* What the submit of c needs in memory once its INSERT commits: the list
 * of dependencies it stores and, unless it is stored canceled, the
 * bookkeeping of each new job and its queue.  0 or JOBQ_ENOMEM. */
static int
dispatch_submit_prepare(struct dispatch *s, struct op_ctx *c, int doomed)
{
	const struct proto_submit *sub = c->extra;
	size_t i, n;

	if (c->npdeps > 0) {
		if ((c->deps = calloc(c->npdeps, sizeof *c->deps)) == NULL)
			return JOBQ_ENOMEM;
		for (i = 0; i < c->npdeps; i++) {
			c->deps[i].id = c->pdeps[i].id;
			c->deps[i].mode = c->pdeps[i].mode;
		}
	}
	if (doomed)
		return 0;	/* stored canceled: never in the table */
	n = sub->array_count > 0 ? (size_t)sub->array_count : 1;
	if (sched_queue_get(s->sched, sub->queue, 1) == NULL ||
	    (c->jobs = calloc(n, sizeof *c->jobs)) == NULL)
		return JOBQ_ENOMEM;
	c->njobs = n;
	for (i = 0; i < n; i++)
		if ((c->jobs[i] = dispatch_job_alloc()) == NULL)
			return JOBQ_ENOMEM;
	return 0;
}

/* The INSERT input of one job of sub, submitted by uid at now: the fields
 * a single submit and a batch job share (a single submit adds its own). */
void
dispatch_submit_fill(struct store_op *op, const struct proto_submit *sub,
    uint32_t uid, int64_t now)
{
	op->in.insert.argv = (const char *const *)sub->argv;
	op->in.insert.argc = sub->argc;
	op->in.insert.env = (const char *const *)sub->env;
	op->in.insert.envc = sub->envc;
	op->in.insert.cwd = sub->cwd;
	op->in.insert.name = sub->name;
	op->in.insert.queue = sub->queue;
	op->in.insert.owner_uid = sub->run_uid;	/* ident_submit's */
	op->in.insert.submitter_uid = uid;
	op->in.insert.run_gid = sub->run_gid;
	op->in.insert.umask = sub->umask < 0 ? 022 : sub->umask;
	op->in.insert.max_retries = sub->max_retries;
	op->in.insert.submitted_at = now;
	op->in.insert.priority = sub->priority;
	op->in.insert.not_before = sub->not_before;
	op->in.insert.timeout_ms = sub->timeout_ms;
	op->in.insert.kill_grace_ms = sub->kill_grace_ms;
	op->in.insert.retry_delay_ms = sub->retry_delay_ms;
	op->in.insert.labels = (const char *const *)sub->labels;
	op->in.insert.nlabels = sub->nlabels;
	op->in.insert.output_limit = sub->output_limit;
	op->in.insert.limits = sub->limits;
	op->in.insert.on_end = sub->on_end;
	op->in.insert.merge_output = sub->merge_output;
	op->in.insert.state = JOBQ_STATE_QUEUED;
	op->in.insert.held = sub->hold;
	op->in.insert.slots = sub->slots;
	op->in.insert.res = sub->res;
}

static void
dispatch_submit_insert_fill(struct store_op *op, const struct op_ctx *c,
    int doomed)
{
	const struct proto_submit *sub = c->extra;

	dispatch_submit_fill(op, sub, c->r != NULL ? (uint32_t)c->r->uid :
	    (uint32_t)c->by, util_now_ms());
	op->in.insert.schedule = c->schedule;
	op->in.insert.fire = c->fire;
	op->in.insert.unique_key = sub->unique_key;
	op->in.insert.deps = c->deps;
	op->in.insert.ndeps = c->npdeps;
	op->in.insert.array_first = sub->array_first;
	op->in.insert.array_step = sub->array_step;
	op->in.insert.array_count = sub->array_count;
	op->in.insert.array_throttle = sub->array_throttle;
	if (doomed)
		op->in.insert.state = JOBQ_STATE_CANCELED;
	op->in.insert.message = c->msg;
}

/* The owner's name for a message (NSS; only on a refusal), or the uid. */
static void
dispatch_submit_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pbuf[1024];

	if (getpwuid_r(uid, &pw, pbuf, sizeof pbuf, &res) == 0 &&
	    res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
}

/* One queued cap: 0 if n more jobs fit under cap (0 = none) with have
 * queued already; else JOBQ_ETOOBIG with msg. */
static int
dispatch_submit_cap(uid_t uid, size_t have, size_t n, int64_t cap,
    const char *where, char *msg, size_t msglen)
{
	char name[64];

	if (cap <= 0 || have + n <= (uint64_t)cap)
		return 0;
	dispatch_submit_user_name(uid, name, sizeof name);
	if (have >= (uint64_t)cap)
		snprintf(msg, msglen, "user %s has %zu jobs queued%s "
		    "(user-max-queued %" PRId64 ")", name, have, where, cap);
	else
		snprintf(msg, msglen, "user %s has %zu jobs queued%s: %zu more "
		    "would pass user-max-queued %" PRId64, name, have, where, n,
		    cap);
	return JOBQ_ETOOBIG;
}

int
dispatch_submit_caps_take(struct dispatch *s, uid_t owner, const char *queue,
    size_t n, struct sched_queue **qout, char *msg, size_t msglen)
{
	struct sched_queue *q;
	struct conf_caps qc, gc;
	char where[300];
	int rv;

	if ((q = sched_queue_get(s->sched, queue, 1)) == NULL)
		return JOBQ_ENOMEM;
	conf_caps_queue(s->conf.conf_file, owner, queue, &qc);
	conf_caps_global(s->conf.conf_file, owner, &gc);
	snprintf(where, sizeof where, " in queue %s", queue);
	if ((rv = dispatch_submit_cap(owner,
	    sched_fair_nqueued(s->sched, owner, q), n, qc.queued, where,
	    msg, msglen)) != 0 ||
	    (rv = dispatch_submit_cap(owner,
	    sched_fair_nqueued(s->sched, owner, NULL), n, gc.queued, "",
	    msg, msglen)) != 0)
		return rv;
	if (sched_fair_reserve(s->sched, owner, q, n) < 0)
		return JOBQ_ENOMEM;
	*qout = q;
	return 0;
}

/*
 * The owner's caps on queued jobs, in the submit's queue and over all
 * queues, from the configuration of the moment: 0 with c's jobs' places
 * held (c->nreserved), JOBQ_ETOOBIG with msg, or JOBQ_ENOMEM.
 */
static int
dispatch_submit_caps(struct dispatch *s, struct op_ctx *c, char *msg,
    size_t msglen)
{
	const struct proto_submit *sub = c->extra;
	struct sched_queue *q;
	size_t n = sub->array_count > 0 ? (size_t)sub->array_count : 1;
	int rv;

	c->owner = sub->run_uid;	/* the jobs' owner (ident_submit: --user's) */
	if ((rv = dispatch_submit_caps_take(s, c->owner, sub->queue, n, &q,
	    msg, msglen)) != 0)
		return rv;
	c->nreserved = n;
	return 0;
}

/* Submits the INSERT of c (whose client is there); doomed: a dependency
 * can never hold, the job is stored canceled. */
static void
dispatch_submit_insert(struct dispatch *s, struct op_ctx *c, int doomed)
{
	struct store_op *op;
	char msg[512];
	int rv = 0;

	if (!doomed && (rv = dispatch_submit_caps(s, c, msg, sizeof msg)) ==
	    JOBQ_ETOOBIG) {
		log_info("a submit was refused: %s", msg);
		if (c->r != NULL)
			dispatch_reply_error(c->r, rv, msg);
		dispatch_submit_then(c, rv, 0);
		dispatch_submit_drop(c);
		dispatch_op_ctx_free(c);
		return;
	}
	if ((!doomed && rv < 0) || dispatch_submit_prepare(s, c, doomed) < 0 ||
	    (op = dispatch_op_try(STORE_INSERT, dispatch_submit_insert_done,
	    c)) == NULL) {
		dispatch_submit_refuse(c);
		return;
	}
	dispatch_submit_insert_fill(op, c, doomed);
	if (dispatch_submit_pairable(s, c, doomed)) {
		struct job_outcome oc;
		struct store_op *cl;

		if (job_transition(JOBQ_STATE_QUEUED, JOB_EV_CLAIM, 0,
		    op->in.insert.max_retries, 0, 0, &oc) != 0)
			fatalx("a new job cannot be claimed");
		cl = dispatch_op_new(s, STORE_CLAIM, dispatch_submit_claim_done,
		    dispatch_op_ctx(s, NULL, NULL));
		cl->in.claim.attempts = oc.attempts;
		cl->in.claim.started_at = util_now_ms();
		cl->in.claim.of_insert = op;
		c->claim = cl;
		s->npaired++;
		s->inflight += 2;
		store_submit_pair(s->store, op, cl);
	} else
		dispatch_op_submit(s, op);
}

/* Dependencies on other users' jobs (jobqd.conf(5), after-foreign): one
 * the client may not see does not exist for it; with after-foreign = deny
 * one it does not own is refused (administrators excepted).  0, or an
 * error code with msg. */
static int
dispatch_submit_foreign(struct dispatch *s, const struct dispatch_req *r,
    const struct store_op *op, char *msg, size_t msglen)
{
	const struct store_lookup *lk;
	const char *path;
	size_t i;

	for (i = 0; i < op->out.lookup.n; i++) {
		lk = &op->out.lookup.v[i];
		if (lk->kind == 0 || lk->owner_uid == r->uid || r->admin)
			continue;
		if (dispatch_view(r, lk->owner_uid) == DISPATCH_VIEW_NONE) {
			snprintf(msg, msglen, "dependency %" PRId64
			    ": no such job", lk->id);
			return JOBQ_ENOTFOUND;
		}
		if (conf_after(s->conf.conf_file) == CONF_AFTER_DENY) {
			path = conf_path(s->conf.conf_file);
			snprintf(msg, msglen, "dependency %" PRId64 " belongs "
			    "to another user: --after on another user's job is "
			    "refused by this jobqd (after-foreign = deny in %s)",
			    lk->id, path != NULL ? path : "its configuration");
			return JOBQ_EPERM;
		}
	}
	return 0;
}

/* Every dependency exists and, arrays expanded, there are at most
 * JOBQ_MAX_DEPS of them (*total).  Else an error code, with msg. */
static int
dispatch_submit_check(const struct store_op *op, size_t *total, char *msg,
    size_t msglen)
{
	const struct store_lookup *lk;
	size_t i;

	*total = 0;
	for (i = 0; i < op->out.lookup.n; i++) {
		lk = &op->out.lookup.v[i];
		if (lk->kind == 0) {
			snprintf(msg, msglen, "dependency %" PRId64
			    ": no such job", lk->id);
			return JOBQ_ENOTFOUND;
		}
		*total += lk->kind == 2 ? lk->ntasks : 1;
	}
	if (*total > JOBQ_MAX_DEPS) {
		snprintf(msg, msglen, "deps: %zu dependencies once arrays "
		    "are expanded (at most %d)", *total, JOBQ_MAX_DEPS);
		return JOBQ_EINVAL;
	}
	return 0;
}

/* One dependency: job id, found in state st.  A job still in the table is
 * pinned and, unless it has ended already, judged when it ends.  Returns 1
 * if it can never hold (the first one, want_msg, sets c->msg), 0, or
 * JOBQ_ENOMEM. */
static int
dispatch_submit_pdep(struct dispatch *s, struct op_ctx *c, int64_t id,
    jobq_state st, jobq_dep_mode mode, int want_msg)
{
	struct pdep *pd = &c->pdeps[c->npdeps++];
	struct sjob *j;
	char msg[256];

	pd->id = id;
	pd->mode = mode;
	if ((j = dispatch_find(s, id)) != NULL) {
		dispatch_opt(j)->pins++;
		pd->pin = j;
		if (j->node.state != SCHED_DONE)
			return 0;
		st = j->state;	/* its end is decided, maybe not committed */
	} else if (!jobq_state_is_terminal(st)) {
		log_warnx("dependency %" PRId64 " is %s but not active; taken "
		    "as failed", id, jobq_state_name(st));
		st = JOBQ_STATE_FAILED;
	}
	pd->succeeded = st == JOBQ_STATE_SUCCEEDED;
	if (dispatch_submit_dep_holds(mode, pd->succeeded))
		return 0;
	if (want_msg) {
		snprintf(msg, sizeof msg, "dependency %" PRId64 " (%s) ended %s",
		    id, jobq_dep_mode_name(mode), jobq_state_name(st));
		if ((c->msg = strdup(msg)) == NULL)
			return JOBQ_ENOMEM;
	}
	return 1;
}

/* Expands the dependencies op looked up (an array: its tasks) into
 * c->pdeps.  Returns 1 if one can already never hold, 0, or JOBQ_ENOMEM. */
static int
dispatch_submit_resolve(struct dispatch *s, struct op_ctx *c,
    const struct store_op *op, size_t total)
{
	const struct proto_submit *sub = c->extra;
	const struct store_lookup *lk;
	size_t i, t, nt;
	int doomed = 0, rv;

	if (total > 0 && (c->pdeps = calloc(total, sizeof *c->pdeps)) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0; i < op->out.lookup.n; i++) {
		lk = &op->out.lookup.v[i];
		nt = lk->kind == 2 ? lk->ntasks : 1;
		for (t = 0; t < nt; t++) {
			rv = dispatch_submit_pdep(s, c, lk->kind == 2 ?
			    lk->task_ids[t] : lk->id, lk->kind == 2 ?
			    lk->task_states[t] : lk->state, sub->deps[i].mode,
			    !doomed);
			if (rv < 0)
				return rv;
			doomed |= rv;
		}
	}
	return doomed;
}

/* The submit goes on from the look-up's context c to a new one for the
 * INSERT (c is finished with its op); NULL when out of memory. */
static struct op_ctx *
dispatch_submit_move(struct dispatch *s, struct op_ctx *c)
{
	struct op_ctx *n;

	if ((n = dispatch_op_ctx_try(s, NULL, c->r)) == NULL)
		return NULL;
	n->extra = c->extra;
	n->json = c->json;
	n->pdeps = c->pdeps;
	n->npdeps = c->npdeps;
	n->msg = c->msg;
	c->extra = NULL;
	c->json = NULL;
	c->pdeps = NULL;
	c->npdeps = 0;
	c->msg = NULL;
	dispatch_op_hold(n->r, n);
	return n;
}

/* The dependencies of a submit are looked up: expand arrays, pin the ones
 * still active, decide whether one can already never hold, then INSERT. */
static void
dispatch_submit_lookup_done(struct store_op *op)
{
	struct op_ctx *c = op->data, *n;
	struct dispatch *s = c->s;
	char msg[256];
	size_t total;
	int rv;

	if (c->r == NULL)
		goto drop;	/* the client left: nothing was acknowledged */
	if (op->status != 0) {
		dispatch_reply_status(c->r, op->status);
		goto drop;
	}
	if ((rv = dispatch_submit_foreign(s, c->r, op, msg,
	    sizeof msg)) < 0 ||
	    (rv = dispatch_submit_check(op, &total, msg, sizeof msg)) < 0) {
		dispatch_reply_error(c->r, rv, msg);
		goto drop;
	}
	if ((rv = dispatch_submit_resolve(s, c, op, total)) < 0 ||
	    (n = dispatch_submit_move(s, c)) == NULL) {
		dispatch_reply_error(c->r, JOBQ_ENOMEM, "out of memory");
		goto drop;
	}
	dispatch_submit_insert(s, n, rv);
	dispatch_op_finish(op);
	return;
drop:
	dispatch_submit_drop(c);
	dispatch_op_finish(op);
}

/* 0 if the output limit sub asks for is within --output-limit-max; else
 * JOBQ_ETOOBIG with msg. */
static int
dispatch_submit_limit(const struct dispatch *s, const struct proto_submit *sub,
    char *msg, size_t msglen)
{
	if (sub->output_limit <= 0 || s->conf.output_limit_max == 0 ||
	    (uint64_t)sub->output_limit <= s->conf.output_limit_max)
		return 0;
	snprintf(msg, msglen, "output_limit: %" PRId64 " bytes is more than "
	    "this jobqd allows (--output-limit-max %" PRIu64 " bytes)",
	    sub->output_limit, s->conf.output_limit_max);
	return JOBQ_ETOOBIG;
}

/* The resource limits of the submit sub, of uid's job: what it asked
 * for, completed from and checked against the configuration (rlimits.c);
 * sub->limits becomes them.  0, or JOBQ_ETOOBIG / JOBQ_EPERM with msg. */
static int
dispatch_submit_rlimits(const struct dispatch *s, uid_t uid,
    struct proto_submit *sub, char *msg, size_t msglen)
{
	struct conf_lim lim[CONF_RL_COUNT];
	jobq_limits out;
	int rv;

	/* the configuration of the job's owner (sub->run_uid, decided by
	 * ident_submit: root's --user's); a negative nice: the requester's
	 * right (uid) */
	conf_rlimits(s->conf.conf_file, sub->run_uid, sub->queue, lim);
	if ((rv = rlimits_resolve(lim, &sub->limits, uid == 0, &out, msg,
	    msglen)) != 0)
		return rv;
	sub->limits = out;
	return 0;
}

int
dispatch_submit_admit(const struct dispatch *s, const struct dispatch_req *r,
    struct proto_submit *sub, char *msg, size_t msglen)
{
	int rv;

	if ((rv = dispatch_submit_limit(s, sub, msg, msglen)) != 0 ||
	    (rv = dispatch_res_admit(s, sub, msg, msglen)) != 0 ||
	    (rv = ident_submit(sub, r->uid, geteuid(), msg, msglen)) != 0 ||
	    (rv = dispatch_submit_rlimits(s, r->uid, sub, msg, msglen)) != 0)
		return rv;
	return 0;
}

void
dispatch_submit(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_submit *sub)
{
	struct proto_submit *copy = NULL;
	struct store_op *op;
	struct op_ctx *c = NULL;
	char msg[256];
	size_t i;
	int rv;

	if ((rv = dispatch_submit_admit(s, r, sub, msg, sizeof msg)) != 0) {
		proto_submit_release(sub);
		cJSON_Delete(req_json);
		dispatch_reply_error(r, rv, msg);
		return;
	}
	if (!s->shutting_down && (copy = malloc(sizeof *copy)) != NULL)
		c = dispatch_op_ctx_try(s, NULL, r);
	if (c == NULL) {
		free(copy);
		proto_submit_release(sub);
		cJSON_Delete(req_json);
		if (s->shutting_down)
			dispatch_reply_error(r, JOBQ_ESHUTDOWN,
			    "jobqd is shutting down");
		else
			dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	*copy = *sub;
	c->extra = copy;
	c->json = req_json;
	dispatch_op_hold(r, c);
	if (copy->ndeps == 0) {
		dispatch_submit_insert(s, c, 0);
		return;
	}
	if ((c->ids = calloc(copy->ndeps, sizeof *c->ids)) == NULL ||
	    (op = dispatch_op_try(STORE_LOOKUP, dispatch_submit_lookup_done,
	    c)) == NULL) {
		dispatch_submit_refuse(c);
		return;
	}
	for (i = 0; i < copy->ndeps; i++)
		c->ids[i] = copy->deps[i].id;
	op->in.lookup.ids = c->ids;
	op->in.lookup.n = copy->ndeps;
	dispatch_op_submit(s, op);
}

int
dispatch_submit_internal(struct dispatch *s, cJSON *json,
    struct proto_submit *sub, uid_t uid, int64_t after_id,
    const char *schedule, const struct store_schedule_fire *fire,
    void (*then)(struct dispatch *, void *, int, int64_t), void *arg,
    char *msg, size_t msglen)
{
	struct dispatch_req who;
	struct op_ctx *c = NULL;
	struct sjob *j;
	int rv;

	memset(&who, 0, sizeof who);
	who.uid = uid;
	if (s->shutting_down) {
		snprintf(msg, msglen, "jobqd is shutting down");
		rv = JOBQ_ESHUTDOWN;
	} else if ((rv = dispatch_submit_admit(s, &who, sub, msg,
	    msglen)) == 0 && (c = dispatch_op_ctx_try(s, NULL, NULL)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		rv = JOBQ_ENOMEM;
	}
	if (rv != 0) {
		proto_submit_release(sub);
		free(sub);
		cJSON_Delete(json);
		return rv;
	}
	c->extra = sub;
	c->json = json;
	c->by = uid;
	c->schedule = schedule;
	c->fire = fire;
	c->then = then;
	c->then_arg = arg;
	if (after_id > 0 && (j = dispatch_find(s, after_id)) != NULL &&
	    j->node.state != SCHED_DONE &&
	    (c->pdeps = calloc(1, sizeof *c->pdeps)) != NULL) {
		c->pdeps[0].id = after_id;
		c->pdeps[0].mode = JOBQ_DEP_ANY;
		c->pdeps[0].pin = j;
		dispatch_opt(j)->pins++;
		c->npdeps = 1;
	}
	dispatch_submit_insert(s, c, 0);
	return 0;
}
