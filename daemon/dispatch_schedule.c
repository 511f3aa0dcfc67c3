/*
 * dispatch_schedule.c - recurring schedules in jobqd (loop thread only):
 * the schedules in memory (loaded at start-up, kept in step with their rows),
 * the requests schedule_add, _list, _show, _pause, _resume, _remove and
 * _run_now, the ONE timer armed for the earliest next fire, and each fire.
 * What to do when is schedule.c's (pure, Check-tested): this file applies
 * its steps.
 *
 * Durability: a fire is its job's INSERT with the schedule's new last_fire,
 * next_fire and counters in the same transaction (store_schedule_fired); a
 * step without a job (misses, a skip) is one STORE_SCHEDULE write.  The
 * memory follows only what committed, and a schedule has at most one write
 * in flight (busy), so a crash at any moment leaves the row as the last
 * commit left it: no fire lost, none repeated.
 *
 * The timer: after every change (add, pause, resume, remove, a step
 * committed) and on each wake, every schedule that is not busy or paused is
 * stepped with the realtime clock, and the timer is armed for the earliest
 * next fire, at most SCHEDULE_MAX_SLEEP_MS ahead, so that a jump of the
 * wall clock is noticed within that time (no polling every second).
 *
 * Who: a schedule's owner is the peer that added it; its jobs are submitted
 * as that user's (dispatch_submit_internal: the same checks as her submit,
 * at each fire).  A client sees and changes its own schedules; an
 * administrator (root, jobqd's user, the admin group) all of them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "cron.h"
#include "log.h"
#include "proto.h"
#include "schedule.h"
#include "util.h"
#include "dispatch_int.h"

/* The longest the timer sleeps: the wall clock is looked at again then. */
#define SCHEDULE_MAX_SLEEP_MS 60000
/* After a write that failed (disk full): the next try. */
#define SCHEDULE_RETRY_MS 1000

struct dsched {
	struct store_schedule row;    /* its strings are ours */
	struct cron_expr ce;          /* row.cron parsed */
	int cron_ok;
	cJSON *tmpl_json;             /* the template (what list shows) */
	struct proto_submit tmpl;
	int tmpl_ok;
	int busy;                     /* a write of it in flight */
	int removed;                  /* freed once neither busy nor pinned */
	int stopping;                 /* a pause or remove in flight: no
	                                 fire meanwhile */
	int refs;                     /* replies being built */
	int startup;                  /* not yet caught up since start-up */
	int64_t retry_at;             /* not stepped before (ms) */
	struct store_schedule_fire fire;  /* the fire in flight */
	struct op_ctx *waiter;        /* run_now's request */
	struct dispatch *s;
	struct dsched *next;
};

static void dispatch_schedule_run(struct dispatch *);
static void dispatch_schedule_timer_cb(uv_timer_t *);

/* ---- memory ---- */

static void
dispatch_schedule_release(struct dsched *d)
{
	free(d->row.name);
	free(d->row.cron);
	free(d->row.tz);
	free(d->row.job);
	if (d->tmpl_ok)
		proto_submit_release(&d->tmpl);
	cJSON_Delete(d->tmpl_json);
	free(d);
}

/* Unlinks and frees d if it was removed and nothing holds it. */
static void
dispatch_schedule_gc(struct dispatch *s, struct dsched *d)
{
	struct dsched **pp;

	if (!d->removed || d->busy || d->refs > 0)
		return;
	for (pp = &s->schedules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	dispatch_schedule_release(d);
}

/* A copy of p into *q (p NULL: NULL): 0, or -1 when out of memory. */
static int
dispatch_schedule_strdup(const char *p, char **q)
{
	*q = NULL;
	return p != NULL && (*q = strdup(p)) == NULL ? -1 : 0;
}

/* d's row copied from row (strings duplicated), its cron expression and
 * template parsed: 0, JOBQ_ENOMEM (d's strings then NULL or its own), or
 * JOBQ_EINVAL with msg (the row stays usable: it never fires if its cron
 * expression is bad, its fires are misses if its template is). */
static int
dispatch_schedule_init(struct dsched *d, const struct store_schedule *row,
    char *msg, size_t msglen)
{
	char err[256];

	d->row = *row;
	d->row.name = d->row.cron = d->row.tz = d->row.job = NULL;
	if (dispatch_schedule_strdup(row->name, &d->row.name) != 0 ||
	    dispatch_schedule_strdup(row->cron, &d->row.cron) != 0 ||
	    dispatch_schedule_strdup(row->tz, &d->row.tz) != 0 ||
	    dispatch_schedule_strdup(row->job, &d->row.job) != 0) {
		snprintf(msg, msglen, "out of memory");
		return JOBQ_ENOMEM;
	}
	if (d->row.cron != NULL) {
		if (cron_parse(&d->ce, d->row.cron, err, sizeof err) != 0) {
			snprintf(msg, msglen, "cron: %s", err);
			return JOBQ_EINVAL;
		}
		d->cron_ok = 1;
	}
	if ((d->tmpl_json = cJSON_Parse(d->row.job)) == NULL ||
	    proto_submit_from_json(d->tmpl_json, &d->tmpl, err,
	    sizeof err) != 0) {
		snprintf(msg, msglen, "job: %s", d->tmpl_json == NULL ?
		    "not JSON" : err);
		return JOBQ_EINVAL;
	}
	d->tmpl_ok = 1;
	return 0;
}

/* ---- timing (schedule.c's view of d) ---- */

static int
dispatch_schedule_cron_next(const void *ctx, int64_t after, int64_t *out)
{
	const struct dsched *d = ctx;
	int64_t sec, nx;

	sec = after >= 0 ? after / 1000 : -((999 - after) / 1000);
	if (!d->cron_ok || cron_next(&d->ce, d->row.tz, sec, &nx) != 0)
		return -1;
	*out = nx * 1000;
	return 0;
}

static struct schedule_when
dispatch_schedule_when(const struct dsched *d)
{
	struct schedule_when w;

	memset(&w, 0, sizeof w);
	if (d->row.cron == NULL) {
		w.every_ms = d->row.every_ms;
		w.anchor = d->row.anchor;
	} else {
		w.next = dispatch_schedule_cron_next;
		w.ctx = d;
	}
	return w;
}

/* ---- steps ---- */

/* The write of a step without a job has committed (or failed). */
static void
dispatch_schedule_advanced(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dsched *d = c->extra;
	struct dispatch *s = c->s;
	const struct store_schedule *w = &op->in.schedule.row;

	c->extra = NULL;
	d->busy = 0;
	if (op->status == 0) {
		if (w->last_fire >= 0)
			d->row.last_fire = w->last_fire;
		d->row.next_fire = w->next_fire;
		d->row.misses += w->misses;
		d->row.skips += w->skips;
		if (w->last_skip != 0)
			d->row.last_skip = w->last_skip;
	} else {
		log_warnx("schedule %s: its step could not be stored: %s",
		    d->row.name, jobq_strerror(op->status));
		d->retry_at = util_now_ms() + SCHEDULE_RETRY_MS;
	}
	dispatch_op_finish(op);
	dispatch_schedule_gc(s, d);
	dispatch_schedule_run(s);
}

/* Records a step without a job: next_fire, misses and skips added. */
static void
dispatch_schedule_advance(struct dispatch *s, struct dsched *d,
    int64_t next_fire, int64_t misses, int64_t skips, int64_t now)
{
	struct op_ctx *c = dispatch_op_ctx(s, NULL, NULL);
	struct store_op *op = dispatch_op_new(s, STORE_SCHEDULE,
	    dispatch_schedule_advanced, c);

	c->extra = d;
	d->busy = 1;
	op->in.schedule.kind = STORE_SCHEDULE_ADVANCE;
	op->in.schedule.row.id = d->row.id;
	op->in.schedule.row.last_fire = -1;
	op->in.schedule.row.next_fire = next_fire;
	op->in.schedule.row.misses = misses;
	op->in.schedule.row.skips = skips;
	op->in.schedule.row.last_skip = skips > 0 ? now : 0;
	dispatch_op_submit(s, op);
}

/* The INSERT of a fire's job is done (status 0, id) or was refused. */
static void
dispatch_schedule_fired(struct dispatch *s, void *arg, int status, int64_t id)
{
	struct dsched *d = arg;
	struct op_ctx *w = d->waiter;
	struct proto_submit_reply rep;

	d->busy = 0;
	d->waiter = NULL;
	if (status == 0) {
		d->row.last_fire = d->fire.last_fire;
		if (d->fire.next_fire >= 0)
			d->row.next_fire = d->fire.next_fire;
		d->row.runs++;
		d->row.misses += d->fire.misses;
		d->row.last_job = id;
		log_info("schedule %s: job %" PRId64 " submitted", d->row.name,
		    id);
	} else {
		log_warnx("schedule %s: its job could not be submitted: %s",
		    d->row.name, jobq_strerror(status));
		d->retry_at = util_now_ms() + SCHEDULE_RETRY_MS;
	}
	if (w != NULL) {
		if (w->r != NULL && status == 0) {
			memset(&rep, 0, sizeof rep);
			rep.id = id;
			dispatch_reply_encoded(w->r,
			    proto_submit_reply_to_json(&rep));
		} else if (w->r != NULL)
			dispatch_reply_error(w->r, status, status ==
			    JOBQ_ESTORAGE ? "the job could not be stored (disk "
			    "full?); it was not queued" : jobq_strerror(status));
		dispatch_op_ctx_free(w);
	}
	dispatch_schedule_gc(s, d);
	dispatch_schedule_run(s);	/* (inside a run: that run goes on) */
}

/* Whether d's last job is still queued or running. */
static int
dispatch_schedule_prev_active(const struct dispatch *s, const struct dsched *d)
{
	const struct sjob *j;

	if (d->row.last_job <= 0 ||
	    (j = dispatch_find(s, d->row.last_job)) == NULL)
		return 0;
	return !j->gone && j->node.state != SCHED_DONE;
}

/* Whether the owner may still submit to this jobqd (as server_ops_admit
 * checks a client's submit): a root jobqd's configuration of the moment,
 * deny and allow lists (a reload counts).  0, or JOBQ_EPERM with msg. */
static int
dispatch_schedule_allowed(const struct dispatch *s, uid_t uid, char *msg,
    size_t msglen)
{
	gid_t groups[256];
	int n = 256;
	const char *rule;

	if (uid == 0 || geteuid() != 0 || uid == geteuid())
		return 0;
	if (conf_user_groups(uid, groups, &n) != 0)
		n = 0;
	if ((rule = conf_refusal(s->conf.conf_file, uid, groups, n)) == NULL)
		return 0;
	snprintf(msg, msglen, "uid %lu may not submit to this jobqd any more "
	    "(%s)", (unsigned long)uid, rule);
	return JOBQ_EPERM;
}

/* Submits d's job for a fire (d->fire set): 0, or an error with msg (then
 * nothing is in flight). */
static int
dispatch_schedule_submit(struct dispatch *s, struct dsched *d,
    int64_t after_id, char *msg, size_t msglen)
{
	struct proto_submit *sub;
	char err[256];
	cJSON *json;
	int rv;

	if ((rv = dispatch_schedule_allowed(s, (uid_t)d->row.owner_uid, msg,
	    msglen)) != 0)
		return rv;
	if ((json = cJSON_Parse(d->row.job)) == NULL ||
	    (sub = calloc(1, sizeof *sub)) == NULL) {
		cJSON_Delete(json);
		snprintf(msg, msglen, "out of memory");
		return JOBQ_ENOMEM;
	}
	if ((rv = proto_submit_from_json(json, sub, err, sizeof err)) != 0) {
		snprintf(msg, msglen, "its job template: %s", err);
		free(sub);
		cJSON_Delete(json);
		return rv;
	}
	d->busy = 1;
	rv = dispatch_submit_internal(s, json, sub, (uid_t)d->row.owner_uid,
	    after_id, d->row.name, &d->fire, dispatch_schedule_fired, d, msg,
	    msglen);
	if (rv != 0)
		d->busy = 0;
	return rv;
}

/* One step of d at now (schedule_step); may leave d busy. */
static void
dispatch_schedule_step(struct dispatch *s, struct dsched *d, int64_t now)
{
	struct schedule_when w = dispatch_schedule_when(d);
	struct schedule_plan p;
	enum schedule_overlap_do what;
	char msg[512];

	schedule_step(&w, d->row.next_fire, now,
	    (enum schedule_catchup_mode)d->row.catch_up, d->startup, &p);
	switch (p.action) {
	case SCHEDULE_WAIT:
		d->startup = 0;
		return;
	case SCHEDULE_MISS:
		log_info("schedule %s: %" PRId64 " fire(s) missed", d->row.name,
		    p.misses);
		dispatch_schedule_advance(s, d, p.next_fire, p.misses, 0, now);
		return;
	case SCHEDULE_FIRE:
		break;
	}
	what = schedule_overlap((enum schedule_overlap_mode)d->row.overlap,
	    dispatch_schedule_prev_active(s, d), p.catchup);
	if (what == SCHEDULE_DO_SKIP) {
		log_info("schedule %s: skipped, job %" PRId64 " is still "
		    "active", d->row.name, d->row.last_job);
		dispatch_schedule_advance(s, d, p.next_fire, p.misses, 1, now);
		return;
	}
	d->fire.id = d->row.id;
	d->fire.last_fire = p.due;
	d->fire.next_fire = p.next_fire;
	d->fire.misses = p.misses;
	if (dispatch_schedule_submit(s, d, what == SCHEDULE_DO_AFTER ?
	    d->row.last_job : 0, msg, sizeof msg) != 0) {
		/* the fire happened, its job could not be: a miss */
		log_warnx("schedule %s: no job for this fire: %s", d->row.name,
		    msg);
		dispatch_schedule_advance(s, d, p.next_fire, p.misses + 1, 0,
		    now);
	}
}

/* Steps every schedule that can be, then arms the timer. */
static void
dispatch_schedule_run(struct dispatch *s)
{
	struct dsched *d;
	int64_t now = util_now_ms(), earliest = 0, t, delay;

	if (s->shutting_down || s->schedule_running)
		return;
	s->schedule_running = 1;
	for (d = s->schedules; d != NULL; d = d->next) {
		if (d->busy || d->removed || d->row.paused || d->stopping > 0)
			continue;
		if (d->retry_at <= now) {
			d->retry_at = 0;
			dispatch_schedule_step(s, d, now);
			if (d->busy)
				continue;
		}
		t = d->retry_at > now ? d->retry_at : d->row.next_fire;
		if (t != 0 && (earliest == 0 || t < earliest))
			earliest = t;
	}
	s->schedule_running = 0;
	if (earliest == 0) {
		uv_timer_stop(&s->schedule_timer);
		return;
	}
	delay = earliest - now;
	if (delay < 0)
		delay = 0;
	if (delay > SCHEDULE_MAX_SLEEP_MS)
		delay = SCHEDULE_MAX_SLEEP_MS;
	uv_timer_start(&s->schedule_timer, dispatch_schedule_timer_cb,
	    (uint64_t)delay, 0);
}

static void
dispatch_schedule_timer_cb(uv_timer_t *t)
{
	dispatch_schedule_run(t->data);
}

/* ---- replies: schedules as r sees them, with their last job's state ---- */

struct dsched_reply {
	struct dsched **v;
	size_t n;
	int single;            /* {"schedule":..} rather than a list */
};

static int
dispatch_schedule_cmp(const void *a, const void *b)
{
	const struct dsched *x = *(struct dsched *const *)a;
	const struct dsched *y = *(struct dsched *const *)b;

	if (x->row.owner_uid != y->row.owner_uid)
		return x->row.owner_uid < y->row.owner_uid ? -1 : 1;
	return strcmp(x->row.name, y->row.name);
}

/* d as a jobq_schedule (its strings point into d), last job state st. */
static void
dispatch_schedule_view(const struct dsched *d, int st, jobq_schedule *o)
{
	memset(o, 0, sizeof *o);
	o->name = d->row.name;
	o->owner_uid = d->row.owner_uid;
	o->cron = d->row.cron;
	o->every_ms = d->row.cron == NULL ? d->row.every_ms : 0;
	o->tz = d->row.tz;
	o->at_start = d->row.at_start;
	o->overlap = (jobq_overlap)d->row.overlap;
	o->catch_up = (jobq_catch_up)d->row.catch_up;
	o->paused = d->row.paused;
	o->created_at = d->row.created_at;
	o->last_fire = d->row.last_fire;
	o->next_fire = d->row.paused ? 0 : d->row.next_fire;
	o->runs = d->row.runs;
	o->skips = d->row.skips;
	o->misses = d->row.misses;
	o->last_skip = d->row.last_skip;
	o->last_job = d->row.last_job;
	o->last_job_state = st;
	if (d->tmpl_ok) {
		o->queue = (char *)d->tmpl.queue;
		o->argv = (char **)d->tmpl.argv;
		o->argc = d->tmpl.argc;
		o->slots = d->tmpl.slots;
		o->res = (char *)d->tmpl.res;
	}
}

/* The state of job id: from the table, else from the look-up op (NULL:
 * none), else -1. */
static int
dispatch_schedule_state(const struct dispatch *s, int64_t id,
    const struct store_op *lk)
{
	const struct sjob *j;
	size_t i;

	if (id <= 0)
		return -1;
	if ((j = dispatch_find(s, id)) != NULL && !j->gone)
		return (int)j->state;
	for (i = 0; lk != NULL && i < lk->out.lookup.n; i++)
		if (lk->out.lookup.v[i].id == id && lk->out.lookup.v[i].kind == 1)
			return (int)lk->out.lookup.v[i].state;
	return -1;
}

/* Replies with the schedules of rp (and unpins and frees them). */
static void
dispatch_schedule_reply_now(struct dispatch *s, struct dispatch_req *r,
    struct dsched_reply *rp, const struct store_op *lk)
{
	jobq_schedule *views = NULL, **ptrs = NULL;
	size_t i;

	if (r != NULL && rp->n > 0 &&
	    ((views = calloc(rp->n, sizeof *views)) == NULL ||
	    (ptrs = calloc(rp->n, sizeof *ptrs)) == NULL)) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		r = NULL;
	}
	for (i = 0; r != NULL && i < rp->n; i++) {
		dispatch_schedule_view(rp->v[i], dispatch_schedule_state(s,
		    rp->v[i]->row.last_job, lk), &views[i]);
		ptrs[i] = &views[i];
	}
	if (r != NULL && rp->single)
		dispatch_reply_encoded(r, proto_schedule_reply_to_json(ptrs[0]));
	else if (r != NULL)
		dispatch_reply_encoded(r, proto_schedule_list_reply_to_json(ptrs,
		    rp->n));
	free(views);
	free(ptrs);
	for (i = 0; i < rp->n; i++) {
		rp->v[i]->refs--;
		dispatch_schedule_gc(s, rp->v[i]);
	}
	free(rp->v);
	free(rp);
}

static void
dispatch_schedule_lookup_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dsched_reply *rp = c->extra;

	c->extra = NULL;
	dispatch_schedule_reply_now(c->s, c->r, rp, op->status == 0 ? op :
	    NULL);
	dispatch_op_finish(op);
}

/* Replies to r with v[0..n-1] (v malloc'd, consumed): the state of the
 * last jobs that left the table is looked up first (a read after every
 * write). */
static void
dispatch_schedule_reply(struct dispatch *s, struct dispatch_req *r,
    struct dsched **v, size_t n, int single)
{
	struct dsched_reply *rp;
	struct store_op *op = NULL;
	struct op_ctx *c = NULL;
	const struct sjob *j;
	size_t i, k = 0;

	if ((rp = calloc(1, sizeof *rp)) == NULL ||
	    (c = dispatch_op_ctx_try(s, NULL, r)) == NULL ||
	    (n > 0 && (c->ids = calloc(n, sizeof *c->ids)) == NULL) ||
	    (op = dispatch_op_try(STORE_LOOKUP, dispatch_schedule_lookup_done,
	    c)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		if (c != NULL)
			dispatch_op_ctx_free(c);
		free(rp);
		free(v);
		return;
	}
	rp->v = v;
	rp->n = n;
	rp->single = single;
	for (i = 0; i < n; i++)
		v[i]->refs++;
	for (i = 0; i < n; i++)
		if (v[i]->row.last_job > 0 && ((j = dispatch_find(s,
		    v[i]->row.last_job)) == NULL || j->gone))
			c->ids[k++] = v[i]->row.last_job;
	if (k == 0) {
		free(op);
		dispatch_op_ctx_free(c);
		dispatch_schedule_reply_now(s, r, rp, NULL);
		return;
	}
	c->extra = rp;
	op->in.lookup.ids = c->ids;
	op->in.lookup.n = k;
	dispatch_op_hold(r, c);
	dispatch_op_submit(s, op);
}

static int
dispatch_schedule_visible(const struct dispatch_req *r, const struct dsched *d)
{
	return !d->removed && (r->admin || d->row.owner_uid == (uint32_t)r->uid);
}

void
dispatch_schedule_list(struct dispatch *s, struct dispatch_req *r)
{
	struct dsched **v = NULL, *d;
	size_t n = 0, i = 0;

	for (d = s->schedules; d != NULL; d = d->next)
		n += dispatch_schedule_visible(r, d);
	if (n > 0 && (v = calloc(n, sizeof *v)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	for (d = s->schedules; d != NULL; d = d->next)
		if (dispatch_schedule_visible(r, d))
			v[i++] = d;
	if (n > 1)
		qsort(v, n, sizeof *v, dispatch_schedule_cmp);
	dispatch_schedule_reply(s, r, v, n, 0);
}

/* Replies with one schedule. */
static void
dispatch_schedule_reply_one(struct dispatch *s, struct dispatch_req *r,
    struct dsched *d)
{
	struct dsched **v;

	if ((v = calloc(1, sizeof *v)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	v[0] = d;
	dispatch_schedule_reply(s, r, v, 1, 1);
}

void
dispatch_schedule_totals(const struct dispatch *s,
    const struct dispatch_req *r, int64_t out[4])
{
	const struct dsched *d;

	memset(out, 0, 4 * sizeof out[0]);
	for (d = s->schedules; d != NULL; d = d->next)
		if (r == NULL || dispatch_schedule_visible(r, d)) {
			out[0]++;
			out[1] += d->row.runs;
			out[2] += d->row.skips;
			out[3] += d->row.misses;
		}
}

/* ---- the schedule a request names ---- */

/* The schedule ref names for r, or NULL after replying the error. */
static struct dsched *
dispatch_schedule_find(struct dispatch *s, struct dispatch_req *r,
    const struct proto_schedule_ref *ref)
{
	struct dsched *d, *own = NULL, *other = NULL;
	size_t nother = 0;
	char msg[400];

	for (d = s->schedules; d != NULL; d = d->next) {
		if (!dispatch_schedule_visible(r, d) ||
		    strcmp(d->row.name, ref->name) != 0 ||
		    (ref->owner_uid >= 0 &&
		    d->row.owner_uid != (uint32_t)ref->owner_uid))
			continue;
		if (d->row.owner_uid == (uint32_t)r->uid)
			own = d;
		else {
			other = d;
			nother++;
		}
	}
	if (own != NULL)
		return own;
	if (nother == 1)
		return other;
	if (nother > 1) {
		snprintf(msg, sizeof msg, "several users have a schedule named "
		    "%s: say whose (owner_uid)", ref->name);
		dispatch_reply_error(r, JOBQ_EINVAL, msg);
		return NULL;
	}
	snprintf(msg, sizeof msg, "no schedule named %s", ref->name);
	dispatch_reply_error(r, JOBQ_ENOTFOUND, msg);
	return NULL;
}

/* ---- add, pause, resume, remove ---- */

/* The write of a request has committed (or failed): memory follows, then
 * the reply. */
static void
dispatch_schedule_written(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct dsched *d = c->extra, **pp;
	const struct store_schedule *w = &op->in.schedule.row;
	struct dispatch_req *r = c->r;
	char msg[400];

	c->extra = NULL;
	if (op->in.schedule.kind == STORE_SCHEDULE_REMOVE ||
	    (op->in.schedule.kind == STORE_SCHEDULE_PAUSE && w->paused))
		d->stopping--;
	if (op->status != 0) {
		if (op->in.schedule.kind == STORE_SCHEDULE_ADD &&
		    op->status == JOBQ_EINVAL)
			snprintf(msg, sizeof msg, "a schedule named %s exists "
			    "already", w->name);
		else
			snprintf(msg, sizeof msg, "%s", op->status ==
			    JOBQ_ESTORAGE ? "the change could not be stored "
			    "(disk full?)" : jobq_strerror(op->status));
		if (r != NULL)
			dispatch_reply_error(r, op->status, msg);
		if (op->in.schedule.kind == STORE_SCHEDULE_ADD)
			dispatch_schedule_release(d);
		goto out;
	}
	switch (op->in.schedule.kind) {
	case STORE_SCHEDULE_ADD:
		d->row.id = op->out.schedule.id;
		for (pp = &s->schedules; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = d;
		log_info("schedule %s of uid %lu added", d->row.name,
		    (unsigned long)d->row.owner_uid);
		break;
	case STORE_SCHEDULE_PAUSE:
		d->row.paused = w->paused;
		d->row.next_fire = w->next_fire;
		d->retry_at = 0;
		break;
	case STORE_SCHEDULE_REMOVE:
		d->removed = 1;
		if (r != NULL)
			dispatch_reply(r, proto_ok_reply());
		dispatch_schedule_gc(s, d);
		goto out;
	default:
		break;
	}
	if (r != NULL)
		dispatch_schedule_reply_one(s, r, d);
out:
	dispatch_op_finish(op);
	dispatch_schedule_run(s);
}

/* The STORE_SCHEDULE write of kind for d on r's behalf (the caller
 * submits it); NULL after replying JOBQ_ENOMEM. */
static struct store_op *
dispatch_schedule_write(struct dispatch *s, struct dispatch_req *r,
    struct dsched *d, enum store_schedule_kind kind)
{
	struct op_ctx *c = dispatch_op_ctx_try(s, NULL, r);
	struct store_op *op = NULL;

	if (c == NULL || (op = dispatch_op_try(STORE_SCHEDULE,
	    dispatch_schedule_written, c)) == NULL) {
		free(c);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return NULL;
	}
	c->extra = d;
	op->in.schedule.kind = kind;
	op->in.schedule.row.id = d->row.id;
	dispatch_op_hold(r, c);
	return op;
}

/* The checks of a new schedule's timing; its first next_fire in *first:
 * 0, or JOBQ_EINVAL with msg. */
static int
dispatch_schedule_check(struct dsched *d, int64_t now, char *msg,
    size_t msglen)
{
	struct schedule_when w;
	char err[300];

	if (d->row.tz != NULL &&
	    cron_zone_valid(d->row.tz, err, sizeof err) != 0) {
		snprintf(msg, msglen, "tz: %s", err);
		return JOBQ_EINVAL;
	}
	w = dispatch_schedule_when(d);
	if (d->row.at_start)
		d->row.next_fire = now;
	else if ((d->row.next_fire = schedule_next(&w, now)) == 0) {
		snprintf(msg, msglen, "cron: \"%s\" has no fire time in the "
		    "next %d years", d->row.cron, CRON_HORIZON_YEARS);
		return JOBQ_EINVAL;
	}
	return 0;
}

void
dispatch_schedule_add(struct dispatch *s, struct dispatch_req *r,
    cJSON *json, struct proto_schedule_add *a)
{
	struct store_schedule row;
	struct dsched *d = NULL, *e;
	struct store_op *op;
	char msg[512], *job = NULL;
	int64_t now = util_now_ms();
	int rv = 0;

	for (e = s->schedules; e != NULL; e = e->next)
		if (!e->removed && e->row.owner_uid == (uint32_t)r->uid &&
		    strcmp(e->row.name, a->name) == 0) {
			snprintf(msg, sizeof msg, "a schedule named %s exists "
			    "already", a->name);
			rv = JOBQ_EINVAL;
			goto refuse;
		}
	if (s->shutting_down) {
		snprintf(msg, sizeof msg, "jobqd is shutting down");
		rv = JOBQ_ESHUTDOWN;
		goto refuse;
	}
	/* the template, checked as r's submit of it would be */
	if ((rv = dispatch_submit_admit(s, r, &a->sub, msg,
	    sizeof msg)) != 0)
		goto refuse;
	if ((job = cJSON_PrintUnformatted(a->job)) == NULL ||
	    (d = calloc(1, sizeof *d)) == NULL) {
		snprintf(msg, sizeof msg, "out of memory");
		rv = JOBQ_ENOMEM;
		goto refuse;
	}
	memset(&row, 0, sizeof row);
	row.name = (char *)a->name;
	row.owner_uid = (uint32_t)r->uid;
	row.cron = (char *)a->cron;
	row.every_ms = a->cron == NULL ? a->every_ms : 0;
	row.anchor = now;
	row.tz = (char *)a->tz;
	row.at_start = a->at_start;
	row.overlap = a->overlap;
	row.catch_up = a->catch_up;
	row.job = job;
	row.created_at = now;
	d->s = s;
	if ((rv = dispatch_schedule_init(d, &row, msg, sizeof msg)) != 0 ||
	    (rv = dispatch_schedule_check(d, now, msg, sizeof msg)) != 0)
		goto refuse;
	cJSON_free(job);
	job = NULL;
	if ((op = dispatch_schedule_write(s, r, d, STORE_SCHEDULE_ADD)) ==
	    NULL) {
		dispatch_schedule_release(d);	/* refused: out of memory */
	} else {
		op->in.schedule.row = d->row;
		dispatch_op_submit(s, op);
	}
	proto_schedule_add_release(a);
	cJSON_Delete(json);
	return;
refuse:
	if (d != NULL)
		dispatch_schedule_release(d);
	cJSON_free(job);
	proto_schedule_add_release(a);
	cJSON_Delete(json);
	dispatch_reply_error(r, rv, msg);
}

/* run_now: one job now, next_fire as it is. */
static void
dispatch_schedule_run_now(struct dispatch *s, struct dispatch_req *r,
    struct dsched *d)
{
	char msg[512];
	int rv;

	if (d->busy) {
		snprintf(msg, sizeof msg, "schedule %s: a fire of it is being "
		    "stored; try again", d->row.name);
		dispatch_reply_error(r, JOBQ_ESTATE, msg);
		return;
	}
	d->fire.id = d->row.id;
	d->fire.last_fire = util_now_ms();
	d->fire.next_fire = -1;
	d->fire.misses = 0;
	if ((d->waiter = dispatch_op_ctx_try(s, NULL, r)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	dispatch_op_hold(r, d->waiter);
	if ((rv = dispatch_schedule_submit(s, d,
	    d->row.overlap == SCHEDULE_OVERLAP_QUEUE &&
	    dispatch_schedule_prev_active(s, d) ? d->row.last_job : 0, msg,
	    sizeof msg)) != 0) {
		if (d->waiter->r != NULL)
			dispatch_reply_error(d->waiter->r, rv, msg);
		dispatch_op_ctx_free(d->waiter);
		d->waiter = NULL;
	}
}

void
dispatch_schedule_op(struct dispatch *s, struct dispatch_req *r, int op,
    const struct proto_schedule_ref *ref)
{
	struct schedule_when w;
	struct store_op *sop;
	struct dsched *d;

	if ((d = dispatch_schedule_find(s, r, ref)) == NULL)
		return;
	switch (op) {
	case PROTO_OP_SCHEDULE_SHOW:
		dispatch_schedule_reply_one(s, r, d);
		return;
	case PROTO_OP_SCHEDULE_RUN_NOW:
		dispatch_schedule_run_now(s, r, d);
		return;
	case PROTO_OP_SCHEDULE_REMOVE:
		if ((sop = dispatch_schedule_write(s, r, d,
		    STORE_SCHEDULE_REMOVE)) == NULL)
			return;
		d->stopping++;	/* no fire between the request and its commit */
		break;
	case PROTO_OP_SCHEDULE_PAUSE:
		if ((sop = dispatch_schedule_write(s, r, d,
		    STORE_SCHEDULE_PAUSE)) == NULL)
			return;
		sop->in.schedule.row.paused = 1;
		sop->in.schedule.row.next_fire = 0;
		d->stopping++;
		break;
	case PROTO_OP_SCHEDULE_RESUME:
	default:
		if ((sop = dispatch_schedule_write(s, r, d,
		    STORE_SCHEDULE_PAUSE)) == NULL)
			return;
		w = dispatch_schedule_when(d);
		sop->in.schedule.row.paused = 0;
		sop->in.schedule.row.next_fire = !d->row.paused ?
		    d->row.next_fire : d->row.at_start ? util_now_ms() :
		    schedule_next(&w, util_now_ms());
		break;
	}
	dispatch_op_submit(s, sop);
}

/* ---- start-up and the end ---- */

int
dispatch_schedule_start(struct dispatch *s, const struct store_recovery *rec)
{
	struct dsched *d, **tail = &s->schedules;
	char msg[512];
	size_t i;
	int rv;

	for (i = 0; i < rec->nschedules; i++) {
		if ((d = calloc(1, sizeof *d)) == NULL)
			return JOBQ_ENOMEM;
		d->s = s;
		if ((rv = dispatch_schedule_init(d, &rec->schedules[i], msg,
		    sizeof msg)) == JOBQ_ENOMEM) {
			dispatch_schedule_release(d);
			return rv;
		}
		if (rv != 0)
			log_warnx("schedule %s: %s", rec->schedules[i].name, msg);
		d->startup = 1;
		*tail = d;
		tail = &d->next;
	}
	if (rec->nschedules > 0)
		log_info("%zu schedule(s) loaded", rec->nschedules);
	dispatch_schedule_run(s);
	return 0;
}

void
dispatch_schedule_stop(struct dispatch *s)
{
	uv_timer_stop(&s->schedule_timer);
}

void
dispatch_schedule_free(struct dispatch *s)
{
	struct dsched *d;

	while ((d = s->schedules) != NULL) {
		s->schedules = d->next;
		dispatch_schedule_release(d);
	}
}
