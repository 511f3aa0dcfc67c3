/*
 * dispatch_end.c - the end of a job (loop thread): its outcome as the
 * state machine decides it (job.h), a retry or a final end, its write
 * (an UPDATE op) and, once that has committed, what follows: watchers, the
 * end hook, waiters, the job leaving the table.  Cancels: of one job
 * (dispatch_cancel_job), noted in its history (dispatch_cancel_job_by), and
 * of many queued jobs at once in a few writes (dispatch_cancel_ids).
 *
 * A job canceled while queued ends at once, its note in its end's write.
 * Canceling many (an array's tasks): the queued ones that no job depends
 * on end in memory one by one, as dispatch_end() ends each, and share one
 * UPDATE op per DISPATCH_CANCEL_CHUNK of them (store_update.ids), so that
 * the memory in flight is a few kilobytes per chunk, not an op (~750
 * bytes) per job.  A job others depend on goes alone: its end cascades to
 * its dependents at once (sched_finish), and their cancels must commit
 * after its own (the ordering dispatch.c's header relies on).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobqd.h"
#include "log.h"
#include "stats.h"
#include "util.h"
#include "dispatch_int.h"

#define DISPATCH_CANCEL_CHUNK 1024	/* queued jobs per cancel write */

/* 1 if ev would end j's run in a retry. */
static int
dispatch_would_retry(const struct sjob *j, enum job_event ev, int exit_code)
{
	struct job_outcome oc;

	return job_transition(j->state, ev, j->attempts,
	    dispatch_opt_max_retries(j),
	    exit_code, 0, &oc) == 0 && oc.retry;
}

/* j's end (op, its write or the write of several ends) is done: its
 * watchers, its end hook, its waiters; it leaves the table once they have
 * what they need (dispatch_wait_ended). */
static void
dispatch_end_written(struct dispatch *s, struct sjob *j,
    const struct store_op *op)
{
	if (op->status == 0) {
		dispatch_watch_event(s, j, op->in.update.state,
		    op->in.update.exit_code, op->in.update.signal,
		    op->in.update.reason, 0);
		dispatch_hook_drained(s, j);
	}
	dispatch_wait_ended(s, j, op->status == 0 &&
	    dispatch_hook_wants(s, j));
}

static void
dispatch_end_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its end: %s",
		    SJOB_ID(c->job), jobq_strerror(op->status));
	dispatch_end_written(c->s, c->job, op);
	dispatch_op_finish(op);
}

/* A retry was recorded: the job waits in the queue for its next start. */
static void
dispatch_requeue_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its retry: %s",
		    op->in.update.id, jobq_strerror(op->status));
	else if (c->job != NULL && c->job->phase == PH_QUEUED)
		dispatch_watch_event(c->s, c->job, JOBQ_STATE_QUEUED, -1, 0,
		    op->in.update.reason, op->in.update.not_before);
	dispatch_op_finish(op);
}

/* The end is a retry: queued again once its backoff has passed. */
static void
dispatch_end_requeue(struct dispatch *s, struct sjob *j, struct store_op *op)
{
	int64_t now = util_now_ms(), nb;

	nb = now + sched_backoff_ms(dispatch_opt_retry_delay(j) > 0 ?
	    dispatch_opt_retry_delay(j) : DISPATCH_RETRY_DELAY_MS, j->attempts,
	    STORE_RETRY_CAP_MS, drand48());
	log_info("job %" PRId64 " attempt %d ended (%s); retrying in "
	    "%" PRId64 " ms", SJOB_ID(j), j->attempts, op->in.update.reason,
	    nb - now);
	op->in.update.finished_at = -1;
	op->in.update.not_before = nb;
	op->in.update.requeued_at = now;
	snprintf(op->in.update.requeued, sizeof op->in.update.requeued,
	    "attempt %d (started %" PRId64 ") ended: %s; next start not "
	    "before %" PRId64, j->attempts, dispatch_run_started(j),
	    op->in.update.reason != NULL ? op->in.update.reason : "?", nb);
	op->done = dispatch_requeue_done;
	j->timed_out = 0;
	if (j->run != NULL)
		j->run->started_at = 0;
	j->phase = PH_QUEUED;
	dispatch_op_submit(s, op);
	sched_requeue(s->sched, &j->node, nb, now);
}

/* A final end decided at now: statistics, and the scheduler's dependents
 * (the caller then kicks retention, dispatch_purge_kick). */
static void
dispatch_end_account(struct dispatch *s, struct sjob *j, int64_t now)
{
	int64_t start, started = dispatch_run_started(j);

	start = j->submitted_at > j->node.not_before ? j->submitted_at :
	    j->node.not_before;
	if (started > 0) {
		stats_job_ended(s->stats, now, started > start ?
		    started - start : 0, now - started);
		metrics_observe(&s->metrics.wait, started > start ?
		    (double)(started - start) / 1000.0 : 0);
		metrics_observe(&s->metrics.run, (double)(now -
		    started) / 1000.0);
	} else
		stats_job_ended(s->stats, now, -1, -1);
	if ((int)j->state >= 0 && j->state < JOBQ_STATE_COUNT)
		s->metrics.finished[j->state]++;
	/* a dep_cancel'ed job is DONE in the scheduler already */
	if (j->node.state != SCHED_DONE)
		sched_finish(s->sched, &j->node,
		    j->state == JOBQ_STATE_SUCCEEDED, now);
}

/* The end is final: its write, statistics, dependents, retention. */
static void
dispatch_end_final(struct dispatch *s, struct sjob *j, struct store_op *op)
{
	int64_t now = util_now_ms();

	log_debug("job %" PRId64 " ended %s", SJOB_ID(j),
	    jobq_state_name(j->state));
	op->in.update.finished_at = now;
	op->done = dispatch_end_done;
	j->phase = PH_FINISHING;
	dispatch_op_submit(s, op);
	dispatch_end_account(s, j, now);
	dispatch_purge_kick(s);
}

/* j's run, if it had one, lets go of its slot, its process and its spec. */
static void
dispatch_end_run(struct sjob *j)
{
	if (j->run != NULL) {
		j->run->slot = -1;
		j->run->pid = 0;
		/* a job sent ahead keeps its packed spec until it starts:
		 * one that ends before (spawn failed, worker lost) has it */
		free(j->run->spec);
		j->run->spec = NULL;
		j->run->ahead_at = 0;
		JQ_ASSERT(j->run->sl == NULL);
	}
	j->slurm = 0;
}

/*
 * j ended with event ev: from queued, a cancel or a dep_cancel; from
 * running, the end of its run.  job_transition() decides the next state and
 * dispatch records it; a pending cancel wins over a retry.  The scheduler
 * learns of a final end at once (see the top of dispatch.c for why that is
 * safe).  exit_code < 0 / sig 0: none.
 */
void
dispatch_end(struct dispatch *s, struct sjob *j, enum job_event ev,
    int exit_code, int sig, const char *message)
{
	dispatch_end_usage(s, j, ev, exit_code, sig, message, NULL, NULL);
}

void
dispatch_end_usage(struct dispatch *s, struct sjob *j, enum job_event ev,
    int exit_code, int sig, const char *message,
    const struct store_usage *usage, const struct store_note *note)
{
	struct job_outcome oc;
	struct store_op *op;
	struct op_ctx *c;

	if (j->cancel_req && dispatch_would_retry(j, ev, exit_code))
		ev = JOB_EV_CANCEL;
	dispatch_slot_timeout_stop(j);
	dispatch_transition(j, ev, exit_code, &oc);
	c = dispatch_op_ctx(s, j, NULL);
	if (message != NULL && (c->msg = strdup(message)) == NULL)
		fatalx("out of memory");
	op = dispatch_op_update(s, SJOB_ID(j), NULL, c);
	op->in.update.state = oc.state;
	op->in.update.attempts = oc.attempts;
	op->in.update.exit_code = exit_code;
	op->in.update.signal = sig;
	op->in.update.reason = oc.reason;
	op->in.update.message = c->msg;
	if (usage != NULL)
		op->in.update.usage = *usage;
	if (note != NULL)
		op->in.update.note = *note;
	dispatch_end_run(j);
	if (oc.retry)
		dispatch_end_requeue(s, j, op);
	else
		dispatch_end_final(s, j, op);
}

/* The scheduler canceled n: one of its dependencies can never hold. */
void
dispatch_sched_canceled(void *arg, struct sched_node *n)
{
	struct sjob *j = SJOB(n);

	log_debug("job %" PRId64 " canceled: a dependency can never hold",
	    SJOB_ID(j));
	dispatch_end(arg, j, JOB_EV_DEP_CANCEL, -1, 0,
	    "a dependency can never be satisfied");
}

/* Starts cancelling an active job (no reply: callers wait for its end). */
void
dispatch_cancel_job(struct dispatch *s, struct sjob *j)
{
	int rv;

	if (j->cancel_req || j->phase == PH_FINISHING)
		return;
	j->cancel_req = 1;
	switch (j->phase) {
	case PH_QUEUED:
		dispatch_end(s, j, JOB_EV_CANCEL, -1, 0,
		    "canceled before it started");
		break;
	case PH_CLAIMING:
		break;		/* dispatch_claim_done() sees cancel_req */
	case PH_RESERVED:
		dispatch_unreserve(s, j);
		dispatch_cancel_unstarted(s, j);
		break;
	case PH_RUNNING:
		log_info("job %" PRId64 " canceled while running; stopping it",
		    SJOB_ID(j));
		if (j->slurm) {
			dispatch_slurm_cancel(s, j);
			break;
		}
		rv = dispatch_slot_stop(s, j, dispatch_kill_grace(s, j), 0);
		if (rv < 0)
			log_warnx("job %" PRId64 ": cancel: %s", SJOB_ID(j),
			    jobq_strerror(rv));
		/* a job claimed to go ahead of j waits for it no more
		 * (dispatch_slot_unstrand) */
		dispatch_dispatch(s);
		break;
	case PH_FINISHING:
		break;
	}
}

void
dispatch_cancel_job_by(struct dispatch *s, struct sjob *j, uid_t uid,
    const char *detail)
{
	struct store_note note;

	if (j->cancel_req || j->phase == PH_FINISHING)
		return;
	if (j->phase != PH_QUEUED) {
		/* who canceled it: a row of its own now; the end comes later
		 * (or, claimed, as dispatch_claim_done() decides) */
		dispatch_edit_note(s, SJOB_ID(j), uid, "cancel", detail);
		dispatch_cancel_job(s, j);
		return;
	}
	note.what = "cancel";
	note.detail = detail;
	note.uid = (uint32_t)uid;
	note.at = util_now_ms();
	j->cancel_req = 1;
	dispatch_end_usage(s, j, JOB_EV_CANCEL, -1, 0,
	    "canceled before it started", NULL, &note);
}

/* ---- many queued jobs at once ---- */

/* A chunk's write is done: each of its jobs as dispatch_end_done() does. */
static void
dispatch_cancel_ids_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct sjob **js = c->extra;
	size_t i;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("jobs %" PRId64 " and %zu more: cannot record their "
		    "cancel: %s", op->in.update.ids[0],
		    op->in.update.nids - 1, jobq_strerror(op->status));
	for (i = 0; i < op->in.update.nids; i++)
		dispatch_end_written(c->s, js[i], op);
	free(js);
	c->extra = NULL;
	dispatch_op_finish(op);
}

/* 1 if j can end in a chunk: queued, not pinned, nobody depending on it. */
static int
dispatch_cancel_chunkable(const struct sjob *j)
{
	return j->phase == PH_QUEUED && !j->cancel_req &&
	    dispatch_opt_pins(j) == 0 && sched_node_out(&j->node) == NULL;
}

/* The jobs of ids[*next..n-1] still in the table, canceled: those that can
 * end in a chunk into one op of at most DISPATCH_CANCEL_CHUNK jobs,
 * submitted, the others alone on the way; *next moves past the ids
 * taken. */
static void
dispatch_cancel_chunk(struct dispatch *s, const int64_t *ids, size_t n,
    size_t *next, uid_t uid, const char *detail)
{
	struct job_outcome oc;
	struct store_op *op;
	struct op_ctx *c;
	struct sjob **js, *j;
	const char *reason = NULL;
	int64_t *jids, now = util_now_ms();
	size_t i, k = 0;

	if ((js = calloc(DISPATCH_CANCEL_CHUNK, sizeof(*js))) == NULL ||
	    (jids = calloc(DISPATCH_CANCEL_CHUNK, sizeof(*jids))) == NULL)
		fatalx("out of memory");
	for (i = *next; i < n && k < DISPATCH_CANCEL_CHUNK; i++) {
		if ((j = dispatch_find(s, ids[i])) == NULL)
			continue;
		if (!dispatch_cancel_chunkable(j)) {
			dispatch_cancel_job_by(s, j, uid, detail);
			continue;
		}
		/* dispatch_end_usage(JOB_EV_CANCEL) without an op of its own */
		j->cancel_req = 1;
		dispatch_slot_timeout_stop(j);
		dispatch_transition(j, JOB_EV_CANCEL, -1, &oc);
		JQ_ASSERT(!oc.retry && oc.state == JOBQ_STATE_CANCELED);
		reason = oc.reason;	/* a literal (job.c) */
		dispatch_end_run(j);
		j->phase = PH_FINISHING;
		dispatch_end_account(s, j, now);
		js[k] = j;
		jids[k++] = SJOB_ID(j);
	}
	*next = i;
	if (k == 0) {
		free(js);
		free(jids);
		return;
	}
	log_debug("jobs %" PRId64 " and %zu more canceled before they "
	    "started", jids[0], k - 1);
	c = dispatch_op_ctx(s, NULL, NULL);
	c->extra = js;
	c->ids = jids;
	op = dispatch_op_update(s, 0, dispatch_cancel_ids_done, c);
	op->in.update.state = JOBQ_STATE_CANCELED;
	op->in.update.finished_at = now;
	op->in.update.reason = reason;
	op->in.update.message = "canceled before it started";
	op->in.update.note.what = "cancel";
	op->in.update.note.detail = detail;
	op->in.update.note.uid = (uint32_t)uid;
	op->in.update.note.at = now;
	op->in.update.ids = jids;
	op->in.update.nids = k;
	dispatch_op_submit(s, op);
}

void
dispatch_cancel_ids(struct dispatch *s, const int64_t *ids, size_t n,
    uid_t uid, const char *detail)
{
	size_t next = 0;

	while (next < n)
		dispatch_cancel_chunk(s, ids, n, &next, uid, detail);
	dispatch_purge_kick(s);
}
