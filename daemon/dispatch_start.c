/*
 * dispatch_start.c - dispatch at start-up (loop thread, before the first
 * client): the handle, the queues' settings and executors, the runs found
 * on Slurm (dispatch_slurm_start), every job found queued with its
 * dependencies into the table and the scheduler, the schedules, the
 * workers, and retention once.  A job from a recovery row enters the table
 * here for both (dispatch_start_row).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jobqd.h"
#include "hook.h"
#include "log.h"
#include "pool.h"
#include "stats.h"
#include "util.h"
#include "dispatch_int.h"

/* What the tables are sized for at start: the queued jobs the counts
 * table has, which the load then finds (a count that is off only costs
 * growing them), at most 16M. */
#define DISPATCH_PRESIZE(rec) ((rec)->nqueued_counted < ((size_t)1 << 24) ? \
	(rec)->nqueued_counted : ((size_t)1 << 24))

static struct dispatch *
dispatch_new(uv_loop_t *loop, struct store *store,
    const struct dispatch_config *conf, size_t nqueued)
{
	struct dispatch *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->loop = loop;
	s->store = store;
	s->conf = *conf;
	s->conf.exe = strdup(conf->exe);
	s->conf.logs_dir = strdup(conf->logs_dir);
	s->conf.metrics_file = conf->metrics_file != NULL ?
	    strdup(conf->metrics_file) : NULL;
	s->nbuckets = 1024;
	while (s->nbuckets < nqueued)
		s->nbuckets *= 2;
	s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
	s->nslots = conf->workers;
	s->slot_job = calloc((size_t)s->nslots, sizeof *s->slot_job);
	s->slot_next = calloc((size_t)s->nslots, sizeof *s->slot_next);
	s->slot_last_ms = calloc((size_t)s->nslots, sizeof *s->slot_last_ms);
	s->slot_up = calloc((size_t)s->nslots, sizeof *s->slot_up);
	s->sched = sched_new(dispatch_sched_canceled, s);
	if (s->sched != NULL)	/* caps read at each decision: see a reload */
		sched_fair_conf(s->sched, &s->conf.conf_file);
	s->stats = stats_new(s->nslots, util_now_ms());
	s->started_mono = util_mono_ms();
	if (s->conf.exe == NULL || s->conf.logs_dir == NULL ||
	    (conf->metrics_file != NULL && s->conf.metrics_file == NULL) ||
	    s->buckets == NULL || s->slot_job == NULL || s->slot_up == NULL ||
	    s->slot_next == NULL || s->slot_last_ms == NULL ||
	    s->sched == NULL || s->stats == NULL)
		return NULL;
	TAILQ_INIT(&s->reserved);
	TAILQ_INIT(&s->awaiters);
	TAILQ_INIT(&s->watchers);
	uv_timer_init(loop, &s->retry_timer);
	s->retry_timer.data = s;
	uv_timer_init(loop, &s->due_timer);
	s->due_timer.data = s;
	uv_timer_init(loop, &s->ahead_timer);
	s->ahead_timer.data = s;
	uv_timer_init(loop, &s->retention_timer);
	s->retention_timer.data = s;
	uv_timer_init(loop, &s->metrics_timer);
	s->metrics_timer.data = s;
	uv_timer_init(loop, &s->schedule_timer);
	s->schedule_timer.data = s;
	uv_timer_init(loop, &s->trim_timer);
	s->trim_timer.data = s;
	return s;
}

/* A dependency of j, a job found queued at start-up. */
static int
dispatch_start_dep(struct dispatch *s, struct sjob *j,
    const struct store_dep *d)
{
	struct sjob *dj = dispatch_find(s, d->dep_id);
	enum sched_dep_mode mode = (enum sched_dep_mode)d->mode;

	if (dj != NULL && dj->node.state != SCHED_DONE)
		return sched_dep_add(s->sched, &j->node, &dj->node, mode) < 0 ?
		    JOBQ_ENOMEM : 0;
	if (dj != NULL)		/* doomed itself: canceled below */
		(void)sched_dep_ended(s->sched, &j->node, mode, 0);
	else if (d->dep_state >= 0 &&
	    jobq_state_is_terminal((jobq_state)d->dep_state))
		(void)sched_dep_ended(s->sched, &j->node, mode,
		    d->dep_state == JOBQ_STATE_SUCCEEDED);
	/* else: purged, so it was judged when it ended and this edge held
	 * (or the job would be canceled) */
	return 0;
}

struct sjob *
dispatch_start_row(struct dispatch *s, const struct store_queued *sq)
{
	struct sjob *j;

	if ((j = dispatch_job_alloc_recovered()) == NULL)
		return NULL;
	dispatch_add(s, j, sq->id, sq->attempts, sq->max_retries,
	    (uid_t)sq->owner_uid);
	j->submitted_at = sq->submitted_at;
	dispatch_opt_set(j, sq->timeout_ms, sq->kill_grace_ms,
	    sq->retry_delay_ms, sq->array_index);
	j->on_end = sq->on_end != 0;
	dispatch_node_init(s, j, sq->queue, sq->priority, sq->not_before,
	    sq->array_id, sq->array_throttle);
	return j;
}

/* A job found queued at start-up enters the table (its node NEW) and
 * *out.  Returns 0 or JOBQ_ENOMEM. */
static int
dispatch_start_job(struct dispatch *s, const struct store_queued *sq,
    struct sjob **out)
{
	struct sjob *j;

	if ((*out = j = dispatch_start_row(s, sq)) == NULL)
		return JOBQ_ENOMEM;
	j->node.held = sq->held;
	dispatch_res_job(s, j, sq->slots, sq->res);
	return 0;
}

/* Its dependencies (deps[*k ..], in job id order: those of j taken), then
 * the scheduler: j, a job found queued.  Returns 1 if a dependency dooms
 * it, 0, or JOBQ_ENOMEM. */
static int
dispatch_start_link(struct dispatch *s, const struct store_dep *deps,
    size_t ndeps, size_t *k, int64_t now, struct sjob *j)
{
	int rv;

	while (*k < ndeps && deps[*k].job_id < SJOB_ID(j))
		(*k)++;
	for (; *k < ndeps && deps[*k].job_id == SJOB_ID(j); (*k)++)
		if ((rv = dispatch_start_dep(s, j, &deps[*k])) < 0)
			return rv;
	return dispatch_sched_add(s, j, now);
}

/* The jobs found queued, as the store reads them (id order). */
struct dispatch_start_jobs {
	struct dispatch *s;
	struct sjob **v;
	size_t n, cap;
};

static int
dispatch_start_job_cb(void *arg, const struct store_queued *sq)
{
	struct dispatch_start_jobs *l = arg;
	int rv;

	if (util_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v) < 0)
		return JOBQ_ENOMEM;
	if ((rv = dispatch_start_job(l->s, sq, &l->v[l->n])) < 0)
		return rv;
	l->n++;
	return 0;
}

/* The queues' settings and the queued jobs, read one at a time from the
 * store (store_recover_queued_each: its thread is not started yet). */
static int
dispatch_start_load(struct dispatch *s, const struct store_recovery *rec,
    size_t *nqueued)
{
	struct dispatch_start_jobs l = { s, NULL, 0, 0 };
	struct sched_queue *q;
	struct store_dep *deps = NULL;
	struct sjob **doomed = NULL;
	size_t i, k = 0, ndeps = 0, ndoomed = 0, cap = 0;
	int64_t now = util_now_ms();
	int rv = 0;

	for (i = 0; i < rec->nqueues; i++) {
		if ((q = sched_queue_get(s->sched, rec->queues[i].name, 1)) ==
		    NULL)
			return JOBQ_ENOMEM;
		sched_queue_set(s->sched, q, rec->queues[i].parallel,
		    rec->queues[i].paused);
	}
	/* Every queued job enters the table first: an edit (jobq edit
	 * --after) may have made a job depend on a later one, so a live
	 * dependency is not always before its dependent in id order.
	 * l.v[i] is the i-th in id order, for the second pass. */
	/* sized once (the table grows as it must if the count is off) */
	(void)util_grow(&l.v, &l.cap, DISPATCH_PRESIZE(rec), sizeof *l.v);
	dispatch_job_slab_new(DISPATCH_PRESIZE(rec));
	if ((rv = store_recover_queued_each(s->store, dispatch_start_job_cb,
	    &l)) < 0 ||
	    (rv = store_recover_deps_all(s->store, &deps, &ndeps)) < 0)
		goto fail;
	for (i = 0; i < l.n; i++) {
		if ((rv = dispatch_start_link(s, deps, ndeps, &k, now,
		    l.v[i])) < 0)
			goto fail;
		if (rv == 0)
			continue;
		if (util_grow(&doomed, &cap, ndoomed + 1, sizeof *doomed) < 0) {
			rv = JOBQ_ENOMEM;
			goto fail;
		}
		doomed[ndoomed++] = l.v[i];
	}
	*nqueued = l.n;
	free(l.v);
	free(deps);
	for (i = 0; i < ndoomed; i++)
		dispatch_end(s, doomed[i], JOB_EV_DEP_CANCEL, -1, 0,
		    "a dependency can never be satisfied");
	free(doomed);
	dispatch_job_slab_seal();
	return 0;
fail:
	free(l.v);
	free(deps);
	free(doomed);
	return rv;
}

int
dispatch_start(uv_loop_t *loop, struct store *store,
    struct store_recovery *rec, const struct dispatch_config *conf,
    struct dispatch **out, size_t *nqueued)
{
	struct pool_config pc;
	struct hook_config hc;
	struct dispatch *s;
	int rv;

	*nqueued = 0;
	if ((s = dispatch_new(loop, store, conf, DISPATCH_PRESIZE(rec))) == NULL)
		return JOBQ_ENOMEM;
	hc.exe = s->conf.exe;
	hc.timeout_ms = conf->hook_timeout_ms;
	hc.max_running = conf->hook_max_running;
	if ((rv = hook_new(loop, &hc, &s->hook)) < 0)
		return rv;
	if ((rv = dispatch_res_start(s, conf)) < 0 ||
	    (rv = dispatch_exec_start(s, rec)) < 0 ||
	    (rv = dispatch_slurm_start(s, rec)) < 0 ||
	    (rv = dispatch_start_load(s, rec, nqueued)) < 0 ||
	    (rv = dispatch_schedule_start(s, rec)) < 0)
		return rv;
	memset(&pc, 0, sizeof pc);
	pc.exe = s->conf.exe;
	pc.nworkers = s->conf.workers;
	pc.scoreboard = s->conf.scoreboard;
	pc.worker_timeout_ms = s->conf.worker_timeout_ms;
	pc.cgroup_jobs = s->conf.cgroup_jobs;
	rv = pool_start(loop, &pc, &dispatch_slot_callbacks, s, &s->pool);
	if (rv < 0) {
		log_warnx("cannot start the workers: %s", jobq_strerror(rv));
		return rv;
	}

	/* retention at start-up: queued before any client's request */
	dispatch_purge_retention(s);
	dispatch_metrics_file_start(s);
	*out = s;
	return 0;
}

