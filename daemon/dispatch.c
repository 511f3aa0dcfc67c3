/*
 * dispatch.c - jobs in flight (loop thread only): the table of active jobs
 * and their lifecycle.
 *
 * dispatch owns the table of active jobs (queued and running; a job leaves the
 * table once its terminal state has committed), the scheduler (sched.c: which
 * queued job runs next), the worker slots, the requests waiting for a job or
 * an array to end, the watchers, the statistics, retention and the shutdown
 * sequence; dispatch_int.h lists the files that share the work (a job's
 * end and the cancels: dispatch_end.c).  It never touches SQLite itself:
 * every change goes through a store op and takes effect for clients only
 * once it has committed.
 *
 * Life of a job here (see job.h for the state machine, sched.h for the
 * scheduling states of a queued job).  j->state is the job's state as
 * dispatch has decided it.  It changes only in dispatch_transition(), which
 * asks job_transition() with the job's real current state; the store op that
 * records the change carries the outcome's state, reason and attempts.
 * j->phase says where the job is in dispatch's pipeline:
 *
 *   state    phase
 *   queued   QUEUED     in the scheduler: blocked on dependencies, delayed
 *                       or ready
 *   running  CLAIMING   claimed (attempts + 1): CLAIM in flight, "running" in
 *                       the store once it commits
 *   running  RESERVED   claim committed, spec packed, waiting for a worker
 *   running  RUNNING    handed to the worker in run->slot (pool_run); STARTED
 *                       records pid and start time and arms --timeout
 *   ended    FINISHING  its end (UPDATE) in flight; once that has committed
 *                       the job leaves the table and its waiters get the
 *                       final row read back
 *
 *   submit [--LOOKUP of its dependencies-->] --INSERT commits--> queued
 *   --sched_next() while a worker is free: claim--> claiming --commits-->
 *   reserved --at once, to the free worker--> running --finished()/lost()
 *   (exited, signaled, spawn_failed, worker_lost, timeout, cancel,
 *   interrupt)--> finishing --commits--> removed from the table.
 *   A queued job ends by cancel (a user's) or dep_cancel (the scheduler's).
 *   Retry: an end the state machine turns into a retry is recorded as queued
 *   with not_before = now + backoff, and the scheduler holds it until then.
 *   Unclaim: a claimed job that never reached a worker goes back to queued,
 *   attempts - 1: its claim could not be committed, jobqd is stopping, or a
 *   cancel came first (it is then canceled from queued).
 *
 *   A job is handed to a worker only after its claim committed, so a job the
 *   daemon crashed on is always found running at restart and becomes
 *   `interrupted` (or is requeued with retries left): never silently re-run,
 *   never lost; unless the scoreboard's hand-off marker shows that the
 *   worker it was handed to never began it: then it is queued again, its
 *   attempt not counted.  An orderly stop puts claimed, unstarted jobs back
 *   in the queue.
 *   Running ahead (dispatch_slot.c): a job may be handed to a worker whose
 *   job has started; it stays RUNNING-phase with run->slot set and sits in
 *   slot_next until that job ends, or comes back unstarted.
 *
 * Dependencies are evaluated by sched_finish() as soon as dispatch decides a
 * job's end (before that end has committed): this is safe because the store
 * commits ops in the order they were submitted, so a dependent's CLAIM (or
 * its cancellation) can never commit before the end of its dependency.  A
 * submit with dependencies first looks them up; dependencies still in the
 * table are pinned (kept in memory even if they leave the table) until the
 * INSERT has committed and the new job's edges are in place
 * (dispatch_submit.c).
 *
 * Slots (dispatch_slot.c): slot_job[i] is the job running in slot i (0 =
 * none); slot_up[i] is set by the pool's ready() and cleared by lost().  A
 * slot is free when it is up and holds no job.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobqd.h"
#include "fault.h"
#include "hook.h"
#include "log.h"
#include "pool.h"
#include "proto.h"
#include "slab.h"
#include "stats.h"
#include "util.h"
#include "wire.h"
#include "dispatch_int.h"

/* ---- the active-job table ---- */

/*
 * A run of DISPATCH_HASH_RUN consecutive ids goes to as many consecutive
 * buckets (8 cache lines), and the runs are spread by a multiplicative
 * hash of id / RUN.  Ids are handed out in order, and start-up, arrays and
 * batches add them in order: with a million jobs found queued, a bucket
 * per id picked at random was a cache miss each, ~11% of the start-up's
 * CPU.  Strides (every 2nd, 64th, 1024th id still in the table) stay
 * spread: within a run by the low bits, across runs by the hash.
 */
#define DISPATCH_HASH_RUN 64

static size_t
dispatch_hash(const struct dispatch *s, int64_t id)
{
	uint64_t u = (uint64_t)id;

	return ((u / DISPATCH_HASH_RUN * 0x9e3779b97f4a7c15ULL >> 20) *
	    DISPATCH_HASH_RUN + u % DISPATCH_HASH_RUN) & (s->nbuckets - 1);
}

struct sjob *
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

/* The fault seam FAULT_ALLOC: a new job's bookkeeping is allocated before
 * anything about the job is written (submit, retry by hand), so that a
 * failure refuses the request cleanly. */
struct sjob *
dispatch_job_alloc(void)
{
	if (fault_hit(FAULT_ALLOC))
		return NULL;
	return calloc(1, sizeof(struct sjob));
}

/*
 * The jobs found queued at start-up, when there are many, are allocated
 * from one slab (slab.h: no malloc each, huge pages), sealed once they are
 * all in (dispatch_start.c): from then on the memory of each page whose
 * jobs are all gone goes back to the system, and the mapping goes once
 * the last of them is freed.  Jobs made later are calloc'd.  One per process,
 * as dispatch is; under AddressSanitizer never, so that it sees every job.
 */
#define DISPATCH_SLAB_MIN 4096
#if defined(__SANITIZE_ADDRESS__)
#define DISPATCH_NO_SLAB 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DISPATCH_NO_SLAB 1
#endif
#endif
static struct slab *dispatch_job_slab;

void
dispatch_job_slab_new(size_t n)
{
	if (n < DISPATCH_SLAB_MIN || dispatch_job_slab != NULL)
		return;
#ifndef DISPATCH_NO_SLAB
	size_t len;
	void *at;

	if ((dispatch_job_slab = slab_new(sizeof(struct sjob), n)) != NULL) {
		at = slab_span(dispatch_job_slab, &len);
		log_debug("%zu jobs found queued: their bookkeeping in one "
		    "slab (%zu KiB at %p)", n, len / 1024, at);
	}
#else
	log_debug("%zu jobs found queued: no slab under AddressSanitizer", n);
#endif
}

void
dispatch_job_slab_seal(void)
{
	size_t pages;

	if (dispatch_job_slab == NULL)
		return;
	pages = slab_seal(dispatch_job_slab);
	log_debug("%zu jobs found queued are in their slab: sealed (%zu "
	    "pages given back now)", slab_used(dispatch_job_slab), pages);
}

struct sjob *
dispatch_job_alloc_recovered(void)
{
	struct sjob *j;

	if (dispatch_job_slab != NULL &&
	    (j = slab_alloc(dispatch_job_slab)) != NULL)
		return j;
	return calloc(1, sizeof(struct sjob));
}

void
dispatch_job_free(struct sjob *j)
{
	free(sched_node_res(&j->node));
	sched_node_release(&j->node);
	if (j->run != NULL)
		free(j->run->spec);
	free(j->run);
	if (j->opt != NULL)
		JQ_ASSERT(TAILQ_EMPTY(&j->opt->waiters));
	free(j->opt);
	if (dispatch_job_slab != NULL && slab_owns(dispatch_job_slab, j)) {
		slab_release(dispatch_job_slab, j);
		if (slab_used(dispatch_job_slab) == 0) {
			slab_free(dispatch_job_slab);
			dispatch_job_slab = NULL;
			log_debug("the last job found queued at start-up is "
			    "gone: its slab is freed");
		}
	} else
		free(j);
}

struct sjob_run *
dispatch_run(struct sjob *j)
{
	if (j->run == NULL) {
		if ((j->run = calloc(1, sizeof *j->run)) == NULL)
			fatalx("out of memory");
		j->run->slot = -1;
	}
	return j->run;
}

struct sjob_opt *
dispatch_opt(struct sjob *j)
{
	if (j->opt == NULL) {
		if ((j->opt = calloc(1, sizeof *j->opt)) == NULL)
			fatalx("out of memory");
		TAILQ_INIT(&j->opt->waiters);
	}
	return j->opt;
}

void
dispatch_opt_set(struct sjob *j, int64_t timeout_ms, int64_t kill_grace_ms,
    int64_t retry_delay_ms, int64_t array_index)
{
	struct sjob_opt *o;

	if (j->opt == NULL && timeout_ms == 0 && kill_grace_ms == 0 &&
	    retry_delay_ms == 0 && array_index == 0)
		return;
	o = dispatch_opt(j);
	o->timeout_ms = timeout_ms;
	o->kill_grace_ms = dispatch_ms32(kill_grace_ms);
	o->retry_delay_ms = dispatch_ms32(retry_delay_ms);
	o->array_index = array_index;
}

void
dispatch_add(struct dispatch *s, struct sjob *j, int64_t id, int attempts,
    int max_retries, uid_t owner)
{
	size_t h;

	j->node.id = id;
	j->state = JOBQ_STATE_QUEUED;
	j->phase = PH_QUEUED;
	j->attempts = attempts;
	if (max_retries != 0)
		dispatch_opt(j)->max_retries = max_retries;
	j->node.uid = owner;	/* kept by dispatch_node_init */
	if (s->njobs >= s->nbuckets)
		dispatch_grow(s);
	h = dispatch_hash(s, id);
	j->hnext = s->buckets[h];
	s->buckets[h] = j;
	if (++s->njobs > s->trim_peak)
		s->trim_peak = s->njobs;
}

void
dispatch_unpin(struct sjob *j)
{
	JQ_ASSERT(dispatch_opt_pins(j) > 0);
	if (--j->opt->pins == 0 && j->gone)
		dispatch_job_free(j);
}

void
dispatch_remove(struct dispatch *s, struct sjob *j)
{
	struct sjob **pp;

	JQ_ASSERT(!dispatch_opt_waited(j));
	JQ_ASSERT(j->node.state == SCHED_DONE || j->node.state == SCHED_NEW);
	for (pp = &s->buckets[dispatch_hash(s, SJOB_ID(j))]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == j) {
			*pp = j->hnext;
			s->njobs--;
			dispatch_mem_kick(s);
			if (dispatch_opt_array_id(j) != 0)
				dispatch_array_task_gone(s, j);
			if (dispatch_opt_pins(j) > 0)
				j->gone = 1;
			else
				dispatch_job_free(j);
			return;
		}
	}
	fatalx("job %" PRId64 " missing from the active table", SJOB_ID(j));
}

void
dispatch_node_init(struct dispatch *s, struct sjob *j, const char *queue,
    int priority, int64_t not_before, int64_t array_id, int throttle)
{
	struct sched_queue *q;
	struct sched_array *a = NULL;
	uid_t owner = j->node.uid;	/* dispatch_add's */

	if ((q = sched_queue_get(s->sched, queue, 1)) == NULL)
		fatalx("out of memory");
	if (array_id != 0 &&
	    (a = sched_array_get(s->sched, array_id, throttle, 1)) == NULL)
		fatalx("out of memory");
	if (array_id != 0)
		dispatch_opt(j)->array_id = array_id;
	sched_node_init(&j->node, SJOB_ID(j), priority, not_before, q, a);
	j->node.uid = owner;	/* fair share and caps: sched_fair.c */
}

/* Out of memory is fatal here: the daemon cannot schedule what it
 * acknowledged.  Every job entering the scheduler arms its queue's drain
 * (dispatch_hook.c). */
int
dispatch_sched_add(struct dispatch *s, struct sjob *j, int64_t now)
{
	int rv = sched_add(s->sched, &j->node, now);

	if (rv < 0)
		fatalx("out of memory");
	dispatch_hook_arm(s, j);
	return rv;
}

/* ---- state changes ---- */

/*
 * The one place where dispatch changes a job's state: job_transition()
 * decides from the job's current state; j takes the outcome's state and
 * attempts, and the caller records oc in the store.  An event the state
 * machine refuses here is a bug in dispatch.
 */
void
dispatch_transition(struct sjob *j, enum job_event ev, int exit_code,
    struct job_outcome *oc)
{
	if (job_transition(j->state, ev, j->attempts, dispatch_opt_max_retries(j),
	    exit_code, 0, oc) != 0)
		fatalx("job %" PRId64 ": event %s in state %s", SJOB_ID(j),
		    job_event_name(ev), jobq_state_name(j->state));
	j->state = oc->state;
	j->attempts = oc->attempts;
}

unsigned
dispatch_kill_grace(const struct dispatch *s, const struct sjob *j)
{
	return dispatch_opt_kill_grace(j) > 0 ?
	    (unsigned)dispatch_opt_kill_grace(j) :
	    s->conf.kill_grace_ms;
}

/* ---- claim ---- */

void
dispatch_reserve(struct dispatch *s, struct sjob *j, int at_head)
{
	j->phase = PH_RESERVED;
	(void)dispatch_run(j);
	if (at_head)
		TAILQ_INSERT_HEAD(&s->reserved, j, run->qlink);
	else
		TAILQ_INSERT_TAIL(&s->reserved, j, run->qlink);
	s->nreserved++;
}

void
dispatch_unreserve(struct dispatch *s, struct sjob *j)
{
	JQ_ASSERT(j->phase == PH_RESERVED);
	TAILQ_REMOVE(&s->reserved, j, run->qlink);
	s->nreserved--;
}

void
dispatch_claim_adopt(struct dispatch *s, struct sjob *j)
{
	struct job_outcome oc;

	JQ_ASSERT(j->phase == PH_QUEUED);
	dispatch_transition(j, JOB_EV_CLAIM, -1, &oc);
	j->phase = PH_CLAIMING;
	s->nclaiming++;
}

/* j, ready in the scheduler, is claimed for a free worker. */
void
dispatch_claim(struct dispatch *s, struct sjob *j, int64_t now)
{
	struct job_outcome oc;
	struct store_op *op;

	JQ_ASSERT(j->phase == PH_QUEUED);
	dispatch_transition(j, JOB_EV_CLAIM, -1, &oc);
	j->phase = PH_CLAIMING;
	if (j->slurm)
		s->slurm_nclaiming++;
	else
		s->nclaiming++;
	op = dispatch_op_new(s, STORE_CLAIM, dispatch_claim_done,
	    dispatch_op_ctx(s, j, NULL));
	op->in.claim.id = SJOB_ID(j);
	op->in.claim.attempts = oc.attempts;
	op->in.claim.started_at = now;
	op->in.claim.slurm = j->slurm;
	if (!j->slurm)
		dispatch_res_claim(s, j, op, op->data);
	dispatch_op_submit(s, op);
}

/* j, claimed but not handed to a worker, is queued again in memory. */
static void
dispatch_unclaim_job(struct sjob *j, struct job_outcome *oc)
{
	dispatch_transition(j, JOB_EV_UNCLAIM, -1, oc);
	j->slurm = 0;
	j->phase = PH_QUEUED;
	if (j->run != NULL) {
		free(j->run->spec);
		j->run->spec = NULL;
		j->run->slot = -1;
		j->run->pid = 0;
		j->run->started_at = 0;
	}
}

/* Puts j, claimed but not handed to a worker, back in the queue; record:
 * its claim had committed, so write the undo too. */
void
dispatch_unclaim(struct dispatch *s, struct sjob *j, int record)
{
	struct job_outcome oc;
	struct store_op *op;

	dispatch_unclaim_job(j, &oc);
	if (record) {
		op = dispatch_op_update(s, SJOB_ID(j), dispatch_op_update_done,
		    dispatch_op_ctx(s, j, NULL));
		op->in.update.state = oc.state;
		op->in.update.attempts = oc.attempts;
		op->in.update.finished_at = -1;
		dispatch_op_submit(s, op);
	}
	sched_requeue(s->sched, &j->node, j->node.not_before, util_now_ms());
}

/* A claimed job is canceled before any worker got it: it never ran, so the
 * claim is undone (its attempt does not count) and it is canceled from
 * queued. */
void
dispatch_cancel_unstarted(struct dispatch *s, struct sjob *j)
{
	struct job_outcome oc;

	dispatch_unclaim_job(j, &oc);
	dispatch_end(s, j, JOB_EV_CANCEL, -1, 0, "canceled before it started");
}

/* j's claim has committed: its spec is packed for a worker. */
static void
dispatch_claimed(struct dispatch *s, struct sjob *j, struct store_op *op)
{
	char msg[128];
	int rv;

	if (j->slurm)	/* a local job's: when a worker gets it to run now
			   (dispatch_slot.c) */
		dispatch_watch_event(s, j, JOBQ_STATE_RUNNING, -1, 0, NULL, 0);
	rv = dispatch_logs_spec(s, j, op);
	if (rv < 0) {
		snprintf(msg, sizeof msg, "packing the job: %s", jobq_strerror(rv));
		j->phase = PH_RUNNING;
		dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
		return;
	}
	if (j->slurm)
		dispatch_slurm_claimed(s, j, op);
	else
		dispatch_reserve(s, j, 0);
}

void
dispatch_claim_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct sjob *j = c->job;

	JQ_ASSERT(j->phase == PH_CLAIMING);
	if (j->slurm)
		s->slurm_nclaiming--;
	else
		s->nclaiming--;
	if (op->status != 0) {
		log_warnx("job %" PRId64 ": cannot claim it: %s; will retry",
		    SJOB_ID(j), jobq_strerror(op->status));
		if (j->cancel_req)	/* still queued in the store */
			dispatch_cancel_unstarted(s, j);
		else
			dispatch_unclaim(s, j, 0);
		dispatch_op_arm_retry(s);
	} else if (j->cancel_req)
		dispatch_cancel_unstarted(s, j);
	else if (s->shutting_down)
		dispatch_unclaim(s, j, 1);
	else
		dispatch_claimed(s, j, op);
	dispatch_op_finish(op);
	dispatch_dispatch(s);
}

static void
dispatch_due_cb(uv_timer_t *t)
{
	dispatch_dispatch(t->data);
}

/*
 * A job is claimed (made "running" in the database) for a worker that is
 * free, or that can take it ahead of the job it runs (dispatch_slot.c:
 * running ahead), and handed to a worker only after its claim committed.
 * So the claim of a worker's next job, and its commit, happen while the
 * worker's current job runs, not between two jobs.  After a crash, a job
 * found running may have started and is interrupted, unless the
 * scoreboard's hand-off marker says its worker never began it: it is then
 * queued again (scoreboard.h, store_recover_unstarted); a job found queued
 * never started.  A claimed job waits in the reserved FIFO only if no
 * worker can take it yet.  A submit while a worker is idle carries its
 * claim in the INSERT's batch (dispatch_submit_pairable; npaired counts
 * those slots as taken until the INSERT is done), the same contract with
 * one commit fewer.  A free worker with nothing to claim takes back a job
 * waiting ahead in another worker (dispatch_slot_withdraw).
 * Which job is next is sched_next()'s choice (priority, FIFO, queue limits,
 * pauses, array throttles); jobs waiting for a time are woken by one timer
 * set to the earliest of them.
 */
void
dispatch_dispatch(struct dispatch *s)
{
	struct sched_node *n;
	struct sjob *j;
	size_t nfree, nahead, coming;
	int64_t now, due;
	int slot, cap;

	if (s->shutting_down)
		return;
	now = util_now_ms();
	sched_due(s->sched, now);
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL &&
	    (((slot = dispatch_slot_find_free(s)) >= 0 &&
	    dispatch_slot_fits_now(s, j)) ||
	    (slot = dispatch_slot_find_ahead(s)) >= 0))
		dispatch_slot_send(s, j, slot);
	if (!s->retry_armed) {
		dispatch_slot_unstrand(s);
		nfree = (size_t)dispatch_slot_nfree(s);
		nahead = (size_t)dispatch_slot_nahead(s, &cap);
		s->res->slots_ahead = cap;
		while (s->nclaiming + s->nreserved + s->npaired <
		    nfree + nahead && (n = sched_next(s->sched, now)) != NULL)
			dispatch_claim(s, SJOB(n), now);
		s->res->slots_ahead = 0;
		coming = s->nclaiming + s->nreserved + s->npaired;
		if (coming < nfree)
			dispatch_slot_withdraw(s, nfree - coming);
		dispatch_slurm_dispatch(s, now);
	}
	if ((due = sched_next_due(s->sched)) >= 0)
		uv_timer_start(&s->due_timer, dispatch_due_cb,
		    (uint64_t)(due > now ? due - now : 0) + 1, 0);
	else
		uv_timer_stop(&s->due_timer);
}

/* ---- who may do what: dispatch_access.c ---- */

void
dispatch_set_conf(struct dispatch *s, const struct conf *c)
{
	s->conf.conf_file = c;
	/* raised running caps may let queued jobs start now */
	if (!s->shutting_down)
		dispatch_dispatch(s);
}

void
dispatch_set_limits(struct dispatch *s, unsigned kill_grace_ms,
    int64_t keep_age_ms, size_t keep_count, uint64_t output_limit,
    uint64_t output_limit_max)
{
	int tighter = (keep_age_ms > 0 && (s->conf.keep_age_ms == 0 ||
	    keep_age_ms < s->conf.keep_age_ms)) || (keep_count > 0 &&
	    (s->conf.keep_count == 0 || keep_count < s->conf.keep_count));

	s->conf.kill_grace_ms = kill_grace_ms;
	s->conf.keep_age_ms = keep_age_ms;
	s->conf.keep_count = keep_count;
	s->conf.output_limit = output_limit;
	s->conf.output_limit_max = output_limit_max;
	/* a tighter retention applies now, not at the next job's end */
	if (tighter)
		dispatch_purge_retention(s);
}

_Static_assert(sizeof(PACKAGE_VERSION) <=
    sizeof(((jobq_server_info *)0)->version), "PACKAGE_VERSION too long");

cJSON *
dispatch_ping(struct dispatch *s)
{
	struct proto_ping_reply p;

	memset(&p, 0, sizeof p);
	memcpy(p.info.version, PACKAGE_VERSION, sizeof(PACKAGE_VERSION));
	p.info.protocol = JOBQ_PROTOCOL_VERSION;
	p.info.pid = getpid();
	p.info.uptime_ms = jobqd_uptime_ms();
	p.info.workers = s->nslots;
	p.queued = (int64_t)sched_nqueued(s->sched);
	p.active = (int64_t)s->njobs;
	(void)snprintf(p.info.isolation, sizeof p.info.isolation, "%s",
	    s->conf.isolation != NULL ? s->conf.isolation : "process-group");
	return proto_ping_reply_to_json(&p);
}

void
dispatch_counts(const struct dispatch *s, struct dispatch_counts *c)
{
	c->queued = sched_nqueued(s->sched);
	c->running = sched_nrunning(s->sched);
	c->busy = dispatch_slot_nbusy(s);
	c->workers = s->nslots;
}

/* ---- shutdown ---- */

int
dispatch_shutting_down(const struct dispatch *s)
{
	return s->shutting_down;
}

static void
dispatch_closed_one(struct dispatch *s)
{
	struct sjob *j;
	size_t i;

	if (--s->nclosing > 0)
		return;
	/* nothing is in flight any more: free what is left */
	for (i = 0; i < s->nbuckets; i++) {
		while ((j = s->buckets[i]) != NULL) {
			s->buckets[i] = j->hnext;
			dispatch_wait_shutdown(j);
			JQ_ASSERT(dispatch_opt_pins(j) == 0);
			dispatch_job_free(j);
		}
	}
	dispatch_array_shutdown(s);
	dispatch_watch_shutdown(s);
	dispatch_schedule_free(s);
	dispatch_slurm_free(s);
	sched_free(s->sched);
	free(s->res);
	stats_free(s->stats);
	dispatch_hook_free(s);
	dispatch_exec_free(s);
	free(s->buckets);
	free(s->slot_job);
	free(s->slot_next);
	free(s->slot_last_ms);
	free(s->slot_up);
	free((char *)s->conf.exe);
	free((char *)s->conf.logs_dir);
	free((char *)s->conf.metrics_file);
	s->shutdown_done(s->shutdown_arg);
	free(s);
}

static void
dispatch_timer_closed(uv_handle_t *h)
{
	dispatch_closed_one(h->data);
}

static void
dispatch_hook_closed(void *arg)
{
	dispatch_closed_one(arg);
}

static void
dispatch_pool_stopped(void *arg)
{
	struct dispatch *s = arg;

	log_debug("workers stopped; closing the store");
	store_close(s->store);
	s->store = NULL;
	s->nclosing = 7 + (s->hook != NULL);
	if (s->hook != NULL) {
		hook_close(s->hook, dispatch_hook_closed, s);
		s->hook = NULL;
	}
	uv_close((uv_handle_t *)&s->retry_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->due_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->ahead_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->retention_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->metrics_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->schedule_timer, dispatch_timer_closed);
	uv_close((uv_handle_t *)&s->trim_timer, dispatch_timer_closed);
}

/* Shutdown proceeds once no job is running and every store op is done. */
void
dispatch_maybe_finish_shutdown(struct dispatch *s)
{
	if (!s->shutting_down || s->pool_stopping)
		return;
	if (dispatch_slot_nbusy(s) > 0 || s->inflight > 0 ||
	    dispatch_slurm_busy(s))
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
	int slot;

	if (s->shutting_down)
		return;
	s->shutting_down = 1;
	s->shutdown_done = done;
	s->shutdown_arg = arg;
	uv_timer_stop(&s->due_timer);
	uv_timer_stop(&s->ahead_timer);
	uv_timer_stop(&s->retention_timer);
	uv_timer_stop(&s->trim_timer);
	uv_timer_stop(&s->metrics_timer);
	dispatch_schedule_stop(s);
	dispatch_slurm_shutdown(s);
	while ((j = TAILQ_FIRST(&s->reserved)) != NULL) {
		dispatch_unreserve(s, j);
		dispatch_unclaim(s, j, 1);
	}
	/* Jobs ahead first, so that a worker reads "give it back" before its
	 * job is stopped: else it may begin the job ahead as its job ends
	 * (then interrupted, not queued again). */
	for (slot = 0; slot < s->nslots; slot++)
		if (s->slot_next[slot] != 0 &&
		    (j = dispatch_find(s, s->slot_next[slot])) != NULL &&
		    j->phase == PH_RUNNING && dispatch_run_slot(j) == slot)
			(void)dispatch_slot_stop(s, j, s->conf.kill_grace_ms,
			    1);
	for (i = 0; i < s->nbuckets; i++)
		for (j = s->buckets[i]; j != NULL; j = j->hnext)
			if (j->phase == PH_RUNNING &&
			    (slot = dispatch_run_slot(j)) >= 0 &&
			    s->slot_next[slot] != SJOB_ID(j))
				(void)dispatch_slot_stop(s, j,
				    s->conf.kill_grace_ms, 1);
	dispatch_maybe_finish_shutdown(s);
}
