/*
 * dispatch_edit.c - holds, releases and edits of queued jobs, and the
 * history request (loop thread only).
 *
 * Held is a property of a queued job, not a state of its own: the job stays
 * queued (jobq_state has no "held", so the counts[JOBQ_STATE_COUNT] arrays
 * of libjobq's structs keep their size), its row has held = 1 and its
 * scheduler node is SCHED_HELD (sched.h): in no heap, so it is never
 * started, and the jobs that depend on it wait, since it has not ended.
 *
 * Who: the job's owner or an administrator (dispatch_may_touch, as for a
 * cancel).  When: while the job is queued, held or not; once its node has
 * left the queued states (sched_next took it: claimed, running) the request
 * is refused with JOBQ_ESTATE, "the job has started".  Holding a held job or
 * releasing one that is not held changes nothing and records nothing.
 *
 * Order: the scheduler changes first, then a STORE_EDIT op records the
 * change with its history rows, and the reply is the row read back after
 * it.  A claim the scheduler makes after a release is submitted after the
 * edit, so the store never sees a held job claimed.  A disk-full failure
 * parks the op (dispatch_op_park) until it commits, as for a priority.
 *
 * A whole array: every task of it queued now is held (or released), one
 * STORE_EDIT per DISPATCH_EDIT_CHUNK tasks (store_edit.ids: the rows are
 * not read, an UPDATE guarded by state and held changes each, with its
 * history row); a task queued again later (a retry) is not held.  The reply
 * is the array read after those writes.
 *
 * Edits (jobq edit) change the queued job's fields, each checked as at
 * submit: a new queue obeys that queue's caps on queued jobs for the owner
 * (jobqd.conf user-max-queued, max-queued) and, for a task of a throttled
 * array, is refused (its tasks share one queue); argv, env and cwd are
 * refused for a task (its array's are shared); an added dependency must be
 * a job that is queued or running now (one that has ended is refused: it
 * can be judged already), visible to the client, and may not close a
 * cycle (sched_edit_cycle); new slots and resources are checked against
 * jobqd's pool with a submit's messages (dispatch_res_edit_check) and
 * replace the scheduler's request of the job (sched_edit_res).  Everything
 * that can fail is checked or allocated before anything changes.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

#define DISPATCH_EDIT_CHUNK 1024	/* an array's tasks per hold write */

/* The protocol's edit bits are the store's: passed on as they are. */
_Static_assert(JOBQ_EDIT_QUEUE == STORE_EDIT_QUEUE &&
    JOBQ_EDIT_PRIORITY == STORE_EDIT_PRIORITY &&
    JOBQ_EDIT_NAME == STORE_EDIT_NAME &&
    JOBQ_EDIT_LABELS == STORE_EDIT_LABELS &&
    JOBQ_EDIT_NOT_BEFORE == STORE_EDIT_NOT_BEFORE &&
    JOBQ_EDIT_TIMEOUT == STORE_EDIT_TIMEOUT &&
    JOBQ_EDIT_RETRIES == STORE_EDIT_RETRIES &&
    JOBQ_EDIT_DEPS == STORE_EDIT_DEPS && JOBQ_EDIT_ARGV == STORE_EDIT_ARGV &&
    JOBQ_EDIT_ENV == STORE_EDIT_ENV && JOBQ_EDIT_CWD == STORE_EDIT_CWD &&
    JOBQ_EDIT_SLOTS == STORE_EDIT_SLOTS && JOBQ_EDIT_RES == STORE_EDIT_RES,
    "JOBQ_EDIT_* and STORE_EDIT_* differ");

/* An edit request: the decoded edit and the JSON its strings point into. */
struct dispatch_edit_req {
	cJSON *json;
	struct proto_edit e;
};

static void
dispatch_edit_req_free(struct dispatch_edit_req *er)
{
	if (er == NULL)
		return;
	proto_edit_release(&er->e);
	cJSON_Delete(er->json);
	free(er);
}

static int
dispatch_edit_queued(const struct sjob *j)
{
	return j->state == JOBQ_STATE_QUEUED &&
	    (j->node.state == SCHED_BLOCKED || j->node.state == SCHED_DELAYED ||
	    j->node.state == SCHED_READY || j->node.state == SCHED_HELD);
}

/* The done callback of a STORE_EDIT: c->r (if any) gets the row. */
static void
dispatch_edit_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("job %" PRId64 ": cannot record its %s: %s",
		    op->in.edit.id, op->in.edit.held >= 0 ? "hold or release" :
		    "edit", jobq_strerror(op->status));
	if (r != NULL) {
		if (op->status != 0)
			dispatch_reply_status(r, op->status);
		else {
			dispatch_reply_detach(r);
			c->r = NULL;
			dispatch_get_id(c->s, r, op->in.edit.id);
		}
	}
	dispatch_edit_req_free(c->extra);
	dispatch_op_finish(op);
}

/* A STORE_EDIT op for job id by uid, its reply (if any) to r. */
static struct store_op *
dispatch_edit_op(struct dispatch *s, struct sjob *j, int64_t id,
    struct dispatch_req *r, uid_t uid)
{
	struct op_ctx *c = dispatch_op_ctx(s, j, r);
	struct store_op *op = dispatch_op_new(s, STORE_EDIT,
	    dispatch_edit_done, c);

	op->in.edit.id = id;
	op->in.edit.uid = (uint32_t)uid;
	op->in.edit.at = util_now_ms();
	op->in.edit.held = -1;
	return op;
}

void
dispatch_edit_note(struct dispatch *s, int64_t id, uid_t uid,
    const char *what, const char *detail)
{
	struct store_op *op = dispatch_edit_op(s, NULL, id, NULL, uid);
	struct op_ctx *c = op->data;
	size_t wl = strlen(what) + 1;

	/* the op's strings must live until it is done: kept in c->msg */
	if ((c->msg = malloc(wl + (detail != NULL ? strlen(detail) + 1 :
	    0))) == NULL)
		fatalx("out of memory");
	memcpy(c->msg, what, wl);
	op->in.edit.note = c->msg;
	if (detail != NULL) {
		strcpy(c->msg + wl, detail);
		op->in.edit.note_detail = c->msg + wl;
	}
	dispatch_op_submit(s, op);
}

/* ---- hold and release ---- */

/* j held or released in the scheduler (0: changed, 1: nothing to change);
 * its write is the caller's. */
static int
dispatch_edit_hold_sched(struct dispatch *s, struct sjob *j, int hold)
{
	/* res_held: HELD in the scheduler, but not held by its row */
	if ((j->node.state == SCHED_HELD && !j->res_held) == (hold != 0))
		return 1;
	if (hold) {
		(void)sched_edit_hold(s->sched, &j->node);
		j->res_held = 0;
	} else if (!dispatch_res_impossible(s, j))
		(void)sched_edit_release(s->sched, &j->node, util_now_ms());
	else
		j->res_held = 1;	/* stays HELD until an edit fixes it */
	return 0;
}

/* j held or released for r (0: changed, 1: nothing to change). */
static int
dispatch_edit_hold_job(struct dispatch *s, struct sjob *j,
    struct dispatch_req *r, int hold)
{
	struct store_op *op;

	if (dispatch_edit_hold_sched(s, j, hold) == 1)
		return 1;
	op = dispatch_edit_op(s, j, SJOB_ID(j), r, r->uid);
	op->in.edit.held = hold != 0;
	dispatch_op_hold(r, op->data);
	dispatch_op_submit(s, op);
	log_info("job %" PRId64 " %s by uid %ld", SJOB_ID(j), hold ? "held" :
	    "released", (long)r->uid);
	return 0;
}

/* The write of a chunk of an array's holds or releases is done. */
static void
dispatch_edit_many_done(struct store_op *op)
{
	struct op_ctx *c = op->data;

	if (dispatch_op_park(c->s, op))
		return;
	if (op->status != 0)
		log_warnx("jobs %" PRId64 " and %zu more: cannot record their "
		    "%s: %s", op->in.edit.ids[0], op->in.edit.nids - 1,
		    op->in.edit.held ? "hold" : "release",
		    jobq_strerror(op->status));
	dispatch_op_finish(op);
}

/* Writes the hold (or release) by uid of the n jobs of ids (taken), one
 * STORE_EDIT for them all. */
static void
dispatch_edit_hold_many(struct dispatch *s, int64_t *ids, size_t n,
    uid_t uid, int hold)
{
	struct op_ctx *c = dispatch_op_ctx(s, NULL, NULL);
	struct store_op *op = dispatch_op_new(s, STORE_EDIT,
	    dispatch_edit_many_done, c);

	c->ids = ids;
	op->in.edit.uid = (uint32_t)uid;
	op->in.edit.at = util_now_ms();
	op->in.edit.held = hold != 0;
	op->in.edit.ids = ids;
	op->in.edit.nids = n;
	dispatch_op_submit(s, op);
}

static void
dispatch_edit_hold_id(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int hold)
{
	struct sjob *j = dispatch_find(s, id);

	if (j == NULL) {
		dispatch_ref_ended(s, r, id, hold ? ENDED_HOLD : ENDED_RELEASE,
		    NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->node.uid)) {
		dispatch_refuse(s, r, "job", id, j->node.uid, hold ? "hold" :
		    "release");
		return;
	}
	if (!dispatch_edit_queued(j)) {
		dispatch_reply_error(r, JOBQ_ESTATE, j->phase == PH_FINISHING ?
		    "the job has ended" : "the job has started");
		return;
	}
	if (dispatch_edit_hold_job(s, j, r, hold) == 1)
		dispatch_get_id(s, r, id);	/* nothing changed */
	if (!hold)
		dispatch_dispatch(s);
}

/* Every queued task of array id. */
static void
dispatch_edit_hold_array(struct dispatch *s, struct dispatch_req *r,
    int64_t id, int hold)
{
	struct sjob *j;
	int64_t *ids = NULL;
	size_t b, k = 0, n = 0;

	/* all tasks have one owner: the first one active decides */
	for (b = 0; b < s->nbuckets; b++)
		for (j = s->buckets[b]; j != NULL; j = j->hnext)
			if (dispatch_opt_array_id(j) == id && !j->gone &&
			    !dispatch_may_touch(r, j->node.uid)) {
				dispatch_refuse(s, r, "array", id, j->node.uid,
				    hold ? "hold" : "release");
				return;
			}
	for (b = 0; b < s->nbuckets; b++)
		for (j = s->buckets[b]; j != NULL; j = j->hnext) {
			if (dispatch_opt_array_id(j) != id || j->gone ||
			    !dispatch_edit_queued(j) ||
			    dispatch_edit_hold_sched(s, j, hold) == 1)
				continue;
			if (ids == NULL && (ids = calloc(DISPATCH_EDIT_CHUNK,
			    sizeof(*ids))) == NULL)
				fatalx("out of memory");
			ids[k++] = SJOB_ID(j);
			n++;
			if (k == DISPATCH_EDIT_CHUNK) {
				dispatch_edit_hold_many(s, ids, k, r->uid,
				    hold);
				ids = NULL;
				k = 0;
			}
		}
	if (k > 0)
		dispatch_edit_hold_many(s, ids, k, r->uid, hold);
	log_info("array %" PRId64 ": %zu task(s) %s by uid %ld", id, n,
	    hold ? "held" : "released", (long)r->uid);
	/* read after the writes: the array as they left it */
	dispatch_array_op(s, r, RK_GET, id, -1);
	if (!hold)
		dispatch_dispatch(s);
}

void
dispatch_hold(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int hold)
{
	if (ref->array)
		dispatch_edit_hold_array(s, r, ref->id, hold);
	else if (!dispatch_ref_resolve(s, r, ref, hold ? RK_HOLD : RK_RELEASE,
	    0, NULL))
		dispatch_edit_hold_id(s, r, ref->id, hold);
}

void
dispatch_edit_by_kind(struct dispatch *s, struct dispatch_req *r, int kind,
    int64_t id)
{
	switch (kind) {
	case RK_HOLD: dispatch_edit_hold_id(s, r, id, 1); break;
	case RK_RELEASE: dispatch_edit_hold_id(s, r, id, 0); break;
	case RK_HISTORY: dispatch_history_id(s, r, id); break;
	default: JQ_ASSERT(0);
	}
}

/* ---- history ---- */

static void
dispatch_edit_history_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;
	jobq_history_entry *v;
	size_t i, n = op->out.history.n;

	if (r == NULL)
		goto out;
	if (op->status != 0) {
		dispatch_reply_status(r, op->status);
		goto out;
	}
	if (dispatch_view(r, op->out.history.owner_uid) !=
	    DISPATCH_VIEW_FULL) {
		dispatch_refuse(c->s, r, "job", c->arg,
		    op->out.history.owner_uid, "read the history of");
		goto out;
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {	/* the strings stay the op's */
		v[i].at = op->out.history.v[i].at;
		v[i].uid = op->out.history.v[i].uid;
		v[i].what = op->out.history.v[i].what;
		v[i].detail = op->out.history.v[i].detail;
	}
	dispatch_reply_encoded(r, proto_history_reply_to_json(v, n));
	free(v);
out:
	dispatch_op_finish(op);
}

void
dispatch_history_id(struct dispatch *s, struct dispatch_req *r, int64_t id)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_HISTORY,
	    dispatch_edit_history_done);
	struct op_ctx *c = op->data;

	c->arg = id;
	op->in.history.id = id;
	dispatch_op_submit(s, op);
}

void
dispatch_history(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref)
{
	if (!dispatch_ref_resolve(s, r, ref, RK_HISTORY, 0, NULL))
		dispatch_history_id(s, r, ref->id);
}

/* ---- edits ---- */

/* The new queue's cap on the owner's queued jobs: 0, or JOBQ_ETOOBIG with
 * msg, as a submit of one job there would be refused. */
static int
dispatch_edit_queue_cap(struct dispatch *s, const struct sjob *j,
    const char *queue, struct sched_queue *q, char *msg, size_t msglen)
{
	struct conf_caps qc;
	size_t have;

	conf_caps_queue(s->conf.conf_file, j->node.uid, queue, &qc);
	have = sched_fair_nqueued(s->sched, j->node.uid, q);
	if (qc.queued > 0 && have + 1 > (size_t)qc.queued) {
		snprintf(msg, msglen, "uid %ld has %zu jobs queued in queue %s "
		    "(user-max-queued %" PRId64 ")", (long)j->node.uid, have,
		    queue, qc.queued);
		return JOBQ_ETOOBIG;
	}
	return 0;
}

/* The checks of an edit of j before anything changes: 0, or an error code
 * with msg; *q the new queue (created if need be). */
static int
dispatch_edit_check(struct dispatch *s, struct dispatch_req *r,
    struct sjob *j, const struct proto_edit *e, struct sched_queue **q,
    char *msg, size_t msglen)
{
	struct sjob *d;
	size_t i;
	int rv;

	*q = NULL;
	if ((e->set & (JOBQ_EDIT_ARGV | JOBQ_EDIT_ENV | JOBQ_EDIT_CWD)) &&
	    dispatch_opt_array_id(j) != 0) {
		snprintf(msg, msglen, "a task shares its array's argv, env "
		    "and cwd: they cannot be changed for one task");
		return JOBQ_EINVAL;
	}
	if (e->set & JOBQ_EDIT_QUEUE) {
		if ((*q = sched_queue_get(s->sched, e->queue, 1)) == NULL)
			return JOBQ_ENOMEM;
		if (*q != j->node.queue && j->node.array != NULL &&
		    sched_array_throttle(j->node.array) > 0) {
			snprintf(msg, msglen, "the tasks of a throttled array "
			    "share one queue: this one cannot move alone");
			return JOBQ_EINVAL;
		}
		if (*q != j->node.queue && (rv = dispatch_edit_queue_cap(s, j,
		    e->queue, *q, msg, msglen)) != 0)
			return rv;
	}
	for (i = 0; i < e->ndeps_add; i++) {
		d = dispatch_find(s, e->deps_add[i].id);
		if (d != NULL && d->node.uid != r->uid && !r->admin &&
		    dispatch_view(r, d->node.uid) == DISPATCH_VIEW_NONE)
			d = NULL;	/* does not exist for r */
		if (d == NULL || d->gone || d->node.state == SCHED_DONE ||
		    d->node.state == SCHED_NEW) {
			snprintf(msg, msglen, "dependency %" PRId64 ": no "
			    "queued or running job has this id (a job that has "
			    "ended, or an array id, cannot be added)",
			    e->deps_add[i].id);
			return JOBQ_EINVAL;
		}
		if (d->node.uid != j->node.uid && !r->admin &&
		    conf_after(s->conf.conf_file) == CONF_AFTER_DENY) {
			snprintf(msg, msglen, "dependency %" PRId64 " belongs "
			    "to another user: refused by this jobqd "
			    "(after-foreign = deny)", d->node.id);
			return JOBQ_EPERM;
		}
		if ((rv = sched_edit_cycle(s->sched, &j->node, &d->node)) < 0)
			return JOBQ_ENOMEM;
		if (rv == 1) {
			snprintf(msg, msglen, "dependency %" PRId64 " would "
			    "make a cycle: it is job %" PRId64 " or waits for "
			    "it", d->node.id, SJOB_ID(j));
			return JOBQ_EINVAL;
		}
	}
	return 0;
}

/* The scheduler's part of edit e of j (checked): 0 or JOBQ_ENOMEM, with
 * nothing changed. */
static int
dispatch_edit_sched(struct dispatch *s, struct sjob *j,
    const struct proto_edit *e, struct sched_queue *q)
{
	struct sjob *d;
	size_t i, k;
	int64_t now = util_now_ms();

	for (i = 0; i < e->ndeps_add; i++) {
		d = dispatch_find(s, e->deps_add[i].id);
		if (sched_edit_dep_add(s->sched, &j->node, &d->node,
		    (enum sched_dep_mode)e->deps_add[i].mode) < 0)
			goto undo;
	}
	if (q != NULL && sched_edit_queue(s->sched, &j->node, q, now) < 0)
		goto undo;
	for (k = 0; k < e->ndeps_remove; k++)
		if ((d = dispatch_find(s, e->deps_remove[k])) != NULL &&
		    d->node.state != SCHED_DONE)
			(void)sched_edit_dep_remove(s->sched, &j->node,
			    &d->node, now);
	if (e->set & JOBQ_EDIT_PRIORITY)
		sched_set_priority(s->sched, &j->node, e->priority);
	if (e->set & JOBQ_EDIT_NOT_BEFORE)
		sched_edit_not_before(s->sched, &j->node, e->not_before, now);
	if (e->set & JOBQ_EDIT_TIMEOUT)
		dispatch_opt(j)->timeout_ms = e->timeout_ms;
	if (e->set & JOBQ_EDIT_RETRIES)
		dispatch_opt(j)->max_retries = e->max_retries;
	return 0;
undo:
	while (i-- > 0) {
		d = dispatch_find(s, e->deps_add[i].id);
		(void)sched_edit_dep_remove(s->sched, &j->node, &d->node, now);
	}
	return JOBQ_ENOMEM;
}

static void
dispatch_edit_id(struct dispatch *s, struct dispatch_req *r, int64_t id,
    struct dispatch_edit_req *er)
{
	const struct proto_edit *e = &er->e;
	struct sjob *j = dispatch_find(s, id);
	struct sched_queue *q;
	struct sched_res_req *req = NULL;
	struct store_op *op;
	struct store_edit *se;
	char msg[512];
	int rv;

	msg[0] = '\0';
	if (j == NULL) {
		dispatch_edit_req_free(er);
		dispatch_ref_ended(s, r, id, ENDED_EDIT, NULL);
		return;
	}
	if (!dispatch_may_touch(r, j->node.uid)) {
		dispatch_edit_req_free(er);
		dispatch_refuse(s, r, "job", id, j->node.uid, "edit");
		return;
	}
	if (!dispatch_edit_queued(j)) {
		dispatch_edit_req_free(er);
		dispatch_reply_error(r, JOBQ_ESTATE, j->phase == PH_FINISHING ?
		    "the job has ended: only a queued job can be edited" :
		    "the job has started: only a queued job can be edited");
		return;
	}
	if ((rv = dispatch_edit_check(s, r, j, e, &q, msg, sizeof msg)) != 0 ||
	    (rv = dispatch_res_edit_check(s, j, e, &req, msg,
	    sizeof msg)) != 0 ||
	    (rv = dispatch_edit_sched(s, j, e, q)) != 0) {
		free(req);
		dispatch_edit_req_free(er);
		dispatch_reply_error(r, rv, msg[0] != '\0' ? msg :
		    jobq_strerror(rv));
		return;
	}
	if (e->set & (JOBQ_EDIT_SLOTS | JOBQ_EDIT_RES))
		dispatch_res_edit_apply(s, j, req);
	op = dispatch_edit_op(s, j, SJOB_ID(j), r, r->uid);
	((struct op_ctx *)op->data)->extra = er;	/* its strings */
	se = &op->in.edit;
	se->set = e->set;
	se->queue = e->queue;
	se->priority = e->priority;
	se->name = e->name;
	se->labels = (const char *const *)e->labels;
	se->nlabels = e->nlabels;
	se->not_before = e->not_before;
	se->timeout_ms = e->timeout_ms;
	se->max_retries = e->max_retries;
	se->deps_add = e->deps_add;
	se->ndeps_add = e->ndeps_add;
	se->deps_remove = e->deps_remove;
	se->ndeps_remove = e->ndeps_remove;
	se->argv = (const char *const *)e->argv;
	se->argc = e->argc;
	se->env = (const char *const *)e->env;
	se->envc = e->envc;
	se->cwd = e->cwd;
	se->slots = e->slots;
	se->res = e->res;
	dispatch_op_hold(r, op->data);
	dispatch_op_submit(s, op);
	log_info("job %" PRId64 " edited by uid %ld", id, (long)r->uid);
	dispatch_dispatch(s);
}

/* "A.I": the task's id first (as dispatch_ref_resolve, with er kept). */
static void
dispatch_edit_resolve_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;
	struct dispatch_edit_req *er = c->extra;

	c->extra = NULL;
	if (r == NULL)
		dispatch_edit_req_free(er);
	else if (op->status != 0) {
		dispatch_edit_req_free(er);
		dispatch_reply_error(r, op->status, op->status ==
		    JOBQ_ENOTFOUND ? "no such task" :
		    jobq_strerror(op->status));
	} else {
		dispatch_reply_detach(r);
		dispatch_edit_id(c->s, r, op->out.job->id, er);
	}
	dispatch_op_finish(op);
}

void
dispatch_edit(struct dispatch *s, struct dispatch_req *r, cJSON *json,
    struct proto_edit *e)
{
	struct dispatch_edit_req *er;
	struct op_ctx *c;
	struct store_op *op;

	if ((er = calloc(1, sizeof(*er))) == NULL) {
		proto_edit_release(e);
		cJSON_Delete(json);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	er->json = json;
	er->e = *e;
	memset(e, 0, sizeof(*e));
	if (!er->e.ref.has_index) {
		dispatch_edit_id(s, r, er->e.ref.id, er);
		return;
	}
	c = dispatch_op_ctx(s, NULL, r);
	c->extra = er;
	op = dispatch_op_new(s, STORE_GET, dispatch_edit_resolve_done, c);
	op->in.get.id = er->e.ref.id;
	op->in.get.index = er->e.ref.index;
	op->in.get.by_index = 1;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
}
