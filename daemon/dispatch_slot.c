/*
 * dispatch_slot.c - the worker slots (loop thread only): handing a claimed
 * job to a free worker, what the pool reports about each slot (ready,
 * started, finished, lost) turned into the end of a job, and a running
 * job's --timeout.
 *
 * slot_job[i] is the job running in slot i (0 = none); slot_up[i] is set by
 * ready() and cleared by lost().  A slot is free when it is up and holds no
 * job.  Busy slots are reported to the statistics (utilisation).
 *
 * Running ahead (pool.h, wire.h): a slot whose job has started can take
 * one more claimed job, slot_next[i], which its worker begins as soon as
 * the first one ends, without waiting for jobqd: the end of one job and
 * the claim of the next are off the worker's path.  When the first job's
 * end is reported, slot_next becomes slot_job.  A job ahead keeps its
 * packed spec until it starts: asked back (a cancel, the shutdown, or a
 * free slot with nothing else to run: dispatch_slot_withdraw) it comes
 * back through unstarted() still claimed, and is handed out again,
 * canceled or put back in the queue.  It holds its place in the
 * scheduler's counts (caps, resources) as a running job from its claim.
 *
 * --run-ahead DUR bounds what running ahead may cost the queue's order: a
 * job is claimed ahead only for a worker whose job started less than DUR
 * ago (or is about to start) and whose job before ran less than DUR (jobs
 * that run long gain nothing from it: slot_last_ms), and a job ahead not
 * begun DUR after it was
 * sent goes back to the queue (dispatch_slot_ahead_cb), so a job of higher
 * priority submitted meanwhile waits at most about DUR behind it; then a
 * long job's successor waits in the queue as before.  The watchers hear
 * "running" for a job ahead when it starts, not at its claim.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "pool.h"
#include "stats.h"
#include "util.h"
#include "wire.h"
#include "dispatch_int.h"

/* A running job's --timeout; outlives the job until its timer is closed. */
struct dispatch_tmo {
	uv_timer_t timer;
	struct dispatch *s;
	struct sjob *j;         /* NULL once the job ended */
};

/* The worker slots job j asks. */
static int
dispatch_slot_asks(const struct sjob *j)
{
	return sched_node_slots(&j->node);
}

/* 1 if j, claimed, may start now beside the jobs the workers run: what it
 * asks is free apart from the jobs waiting ahead (a job claimed on a slot
 * it does not have yet goes ahead only). */
int
dispatch_slot_fits_now(const struct dispatch *s, const struct sjob *j)
{
	const struct sjob *r;
	int i, used = 0;

	for (i = 0; i < s->nslots; i++)
		if (s->slot_job[i] != 0 &&
		    (r = dispatch_find(s, s->slot_job[i])) != NULL)
			used += dispatch_slot_asks(r);
	return used + dispatch_slot_asks(j) <= s->res->slots_total;
}

int
dispatch_slot_find_free(const struct dispatch *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		if (s->slot_up[i] && s->slot_job[i] == 0)
			return i;
	return -1;
}

int
dispatch_slot_nfree(const struct dispatch *s)
{
	int i, n = 0;

	for (i = 0; i < s->nslots; i++)
		n += s->slot_up[i] && s->slot_job[i] == 0;
	return n;
}

/* The workers with a job, running or waiting ahead (at most nslots). */
int
dispatch_slot_nbusy(const struct dispatch *s)
{
	int i, n = 0;

	for (i = 0; i < s->nslots; i++)
		n += s->slot_job[i] != 0 || s->slot_next[i] != 0;
	return n;
}

/* 1 if slot will be able to take a job ahead of the one it holds: a job
 * is claimed for it at once, and sent once that one has started
 * (dispatch_slot_find_ahead). */
static int
dispatch_slot_ahead_later(const struct dispatch *s, int slot)
{
	const struct sjob *j;

	if (s->conf.run_ahead_ms == 0 || !s->slot_up[slot] ||
	    s->slot_job[slot] == 0 || s->slot_next[slot] != 0 ||
	    s->shutting_down ||
	    s->slot_last_ms[slot] >= (int64_t)s->conf.run_ahead_ms)
		return 0;
	j = dispatch_find(s, s->slot_job[slot]);
	/* a job that has run --run-ahead already may run long: its
	 * successor waits in the queue, where priorities still count */
	return j != NULL && !j->cancel_req && !j->timed_out &&
	    (j->run == NULL || j->run->started_at == 0 ||
	    util_now_ms() - j->run->started_at < s->conf.run_ahead_ms);
}

int
dispatch_slot_find_ahead(const struct dispatch *s)
{
	int i;

	for (i = 0; i < s->nslots; i++)
		if (dispatch_slot_ahead_later(s, i) &&
		    pool_can_run_ahead(s->pool, i))
			return i;
	return -1;
}

/* The slots that can take a job ahead now; *cap: those plus the ones that
 * hold one (the scheduler's slots_ahead). */
int
dispatch_slot_nahead(const struct dispatch *s, int *cap)
{
	int i, n = 0, held = 0;

	for (i = 0; i < s->nslots; i++) {
		n += dispatch_slot_ahead_later(s, i);
		held += s->slot_next[i] != 0;
	}
	*cap = n + held;
	return n;
}

/* Up to spare free slots have nothing to run: jobs waiting ahead behind
 * another job are asked back, to be handed to them (unstarted()).  Those
 * asked back for that already and not back yet count against spare. */
void
dispatch_slot_withdraw(struct dispatch *s, size_t spare)
{
	struct sjob *j;
	int i;

	for (i = 0; i < s->nslots && spare > 0; i++)
		if (s->slot_next[i] != 0 &&
		    (j = dispatch_find(s, s->slot_next[i])) != NULL &&
		    j->run != NULL && j->run->withdraw == DISPATCH_BACK_HAND)
			spare--;
	for (i = 0; i < s->nslots && spare > 0; i++) {
		if (s->slot_next[i] == 0 ||
		    (j = dispatch_find(s, s->slot_next[i])) == NULL ||
		    j->run == NULL || j->run->withdraw ||
		    !dispatch_slot_fits_now(s, j))
			continue;
		j->run->withdraw = DISPATCH_BACK_HAND;
		spare--;
		log_debug("job %" PRId64 ": waiting behind job %" PRId64
		    " in worker %d while a worker is free: asked back",
		    SJOB_ID(j), s->slot_job[i], i);
		(void)pool_cancel(s->pool, i, SJOB_ID(j), 0, 0);
	}
}

/*
 * Claimed jobs in the reserved FIFO that no worker will take soon go back
 * to the queue (recorded: their claims committed), last claimed first.  A
 * job claimed to go ahead of a young job waits for nothing else once that
 * job has run --run-ahead, is canceled or timed out, or once the free slot
 * a job asked back was meant for is taken: kept reserved, it would hold
 * its claim until some job ends, maybe hours, with later jobs of higher
 * priority passing it.  Room stays for one job per slot that takes a job
 * ahead once its job has started, per worker being restarted, and per free
 * worker (a job there waits for what it asks to be free, as any claim
 * does).  So room is never less than what dispatch_dispatch claims for
 * (free workers and slots ahead): a job queued again here is not claimed
 * again at once.  Called once the FIFO went as far as it could.
 */
void
dispatch_slot_unstrand(struct dispatch *s)
{
	struct sjob *j;
	size_t room;
	int i, cap;

	if (TAILQ_EMPTY(&s->reserved))
		return;
	room = (size_t)dispatch_slot_nahead(s, &cap);
	for (i = 0; i < s->nslots; i++)
		room += s->slot_job[i] == 0;	/* free, up or restarting */
	while (s->nreserved > room &&
	    (j = TAILQ_LAST(&s->reserved, sjob_list)) != NULL) {
		log_debug("job %" PRId64 ": claimed, but no worker can take "
		    "it soon: queued again", SJOB_ID(j));
		dispatch_unreserve(s, j);
		dispatch_unclaim(s, j, 1);
	}
}

/* The job in slot is over: the slot is free again. */
static void
dispatch_slot_release(struct dispatch *s, int slot)
{
	if (s->slot_job[slot] != 0) {
		s->slot_job[slot] = 0;
		stats_slot_busy(s->stats, util_now_ms(), 0);
	}
}

/* --run-ahead: a job ahead not begun that long after it was sent goes
 * back to the queue (its predecessor runs long); the timer is set for the
 * next one due. */
static void
dispatch_slot_ahead_cb(uv_timer_t *t)
{
	struct dispatch *s = t->data;
	int64_t now = util_mono_ms(), due, next = -1;
	struct sjob *j;
	int i;

	for (i = 0; i < s->nslots; i++) {
		if (s->slot_next[i] == 0 ||
		    (j = dispatch_find(s, s->slot_next[i])) == NULL ||
		    j->run == NULL || j->run->withdraw != 0)
			continue;
		due = j->run->ahead_at + s->conf.run_ahead_ms;
		if (due > now) {
			if (next < 0 || due < next)
				next = due;
			continue;
		}
		j->run->withdraw = DISPATCH_BACK_QUEUE;
		log_debug("job %" PRId64 ": not started %u ms after it was "
		    "sent to worker %d: back to the queue", SJOB_ID(j),
		    s->conf.run_ahead_ms, i);
		(void)pool_cancel(s->pool, i, SJOB_ID(j), 0, 0);
	}
	if (next >= 0)
		uv_timer_start(&s->ahead_timer, dispatch_slot_ahead_cb,
		    (uint64_t)(next - now), 0);
}

/* Hands the reserved job j to the free worker in slot, or ahead of the
 * job it runs. */
void
dispatch_slot_send(struct dispatch *s, struct sjob *j, int slot)
{
	char msg[128];
	int rv, ahead = s->slot_job[slot] != 0;

	dispatch_unreserve(s, j);
	rv = pool_run(s->pool, slot, SJOB_ID(j), (unsigned)j->attempts,
	    j->run->spec, j->run->speclen);
	if (rv == JOBQ_ESTATE) {
		/* the pool disagrees that the slot is free: wait for ready() */
		log_warnx("worker %d is not ready; job %" PRId64 " waits", slot,
		    SJOB_ID(j));
		if (!ahead)
			s->slot_up[slot] = 0;
		dispatch_reserve(s, j, 1);
		return;
	}
	j->phase = PH_RUNNING;
	if (ahead && rv == 0) {
		/* its spec stays until it starts: it may come back */
		j->run->slot = slot;
		j->run->withdraw = 0;
		j->run->ahead_at = util_mono_ms();
		s->slot_next[slot] = SJOB_ID(j);
		if (!uv_is_active((uv_handle_t *)&s->ahead_timer))
			uv_timer_start(&s->ahead_timer, dispatch_slot_ahead_cb,
			    s->conf.run_ahead_ms, 0);
		log_debug("job %" PRId64 " sent to worker %d, after job %"
		    PRId64, SJOB_ID(j), slot, s->slot_job[slot]);
		return;
	}
	free(j->run->spec);
	j->run->spec = NULL;
	j->run->ahead_at = 0;
	if (rv == 0)
		dispatch_watch_event(s, j, JOBQ_STATE_RUNNING, -1, 0, NULL, 0);
	if (rv < 0) {
		snprintf(msg, sizeof msg, "dispatch to worker %d: %s", slot,
		    jobq_strerror(rv));
		dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
		return;
	}
	j->run->slot = slot;
	s->slot_job[slot] = SJOB_ID(j);
	stats_slot_busy(s->stats, util_now_ms(), 1);
	log_debug("job %" PRId64 " dispatched to worker %d", SJOB_ID(j), slot);
}

/* Stops j, handed to the worker in its slot (a cancel, the stop): TERM,
 * KILL after grace; a job still waiting ahead is asked back instead
 * (unstarted(), or stopped at its STARTED if its worker began it). */
int
dispatch_slot_stop(struct dispatch *s, struct sjob *j, unsigned grace_ms,
    int interrupt)
{
	int slot = dispatch_run_slot(j);

	if (slot >= 0 && s->slot_next[slot] == SJOB_ID(j) &&
	    j->run->withdraw == 0)
		j->run->withdraw = DISPATCH_BACK_QUEUE;
	return pool_cancel(s->pool, slot, SJOB_ID(j), grace_ms, interrupt);
}

/* ---- --timeout ---- */

static void
dispatch_slot_tmo_closed(uv_handle_t *h)
{
	free(h->data);
}

void
dispatch_slot_timeout_stop(struct sjob *j)
{
	struct dispatch_tmo *tmo = j->run != NULL ? j->run->tmo : NULL;

	if (tmo != NULL) {
		uv_timer_stop(&tmo->timer);
		tmo->j = NULL;
		uv_close((uv_handle_t *)&tmo->timer, dispatch_slot_tmo_closed);
		j->run->tmo = NULL;
	}
}

/* The job ran past its --timeout: TERM to its group, KILL after grace. */
static void
dispatch_slot_tmo_cb(uv_timer_t *t)
{
	struct dispatch_tmo *tmo = t->data;
	struct sjob *j = tmo->j;
	struct dispatch *s = tmo->s;
	int rv;

	if (j != NULL && j->phase == PH_RUNNING && j->slurm) {
		dispatch_slurm_timeout(s, j);
		return;
	}
	if (j == NULL || j->phase != PH_RUNNING || dispatch_run_slot(j) < 0)
		return;
	j->timed_out = 1;
	log_info("job %" PRId64 " ran past its timeout of %" PRId64 " ms; "
	    "stopping it", SJOB_ID(j), dispatch_opt_timeout(j));
	if ((rv = pool_cancel(s->pool, j->run->slot, SJOB_ID(j),
	    dispatch_kill_grace(s, j), 0)) < 0)
		log_warnx("job %" PRId64 ": timeout: %s", SJOB_ID(j),
		    jobq_strerror(rv));
}

void
dispatch_slot_timeout_start(struct dispatch *s, struct sjob *j)
{
	struct sjob_run *run = dispatch_run(j);
	int64_t left = run->started_at + dispatch_opt_timeout(j) - util_now_ms();
	struct dispatch_tmo *tmo;

	if ((run->tmo = tmo = malloc(sizeof *tmo)) == NULL)
		fatalx("out of memory");
	uv_timer_init(s->loop, &tmo->timer);
	tmo->timer.data = tmo;
	tmo->s = s;
	tmo->j = j;
	uv_timer_start(&tmo->timer, dispatch_slot_tmo_cb,
	    (uint64_t)(left > 0 ? left : 0), 0);
}

/* ---- the pool's reports ---- */

static void
dispatch_slot_ready(void *arg, int slot)
{
	struct dispatch *s = arg;

	s->slot_up[slot] = 1;
	dispatch_dispatch(s);
	dispatch_maybe_finish_shutdown(s);
}

static void
dispatch_slot_started(void *arg, int slot, const struct wire_report *rep)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, rep->job_id);
	struct store_op *op;
	int asked;

	if (j == NULL || dispatch_run_slot(j) != slot ||
	    j->phase != PH_RUNNING) {
		log_warnx("worker %d started unknown job %" PRId64, slot,
		    rep->job_id);
		return;
	}
	j->run->pid = rep->pid;
	j->run->started_at = rep->start_us / 1000;
	free(j->run->spec);	/* kept while it was ahead */
	j->run->spec = NULL;
	asked = j->run->withdraw;
	j->run->withdraw = 0;
	if (j->run->ahead_at != 0) {	/* its claim said nothing yet */
		j->run->ahead_at = 0;
		dispatch_watch_event(s, j, JOBQ_STATE_RUNNING, -1, 0, NULL, 0);
	}
	op = dispatch_op_update(s, SJOB_ID(j), dispatch_op_update_done,
	    dispatch_op_ctx(s, j, NULL));
	op->in.update.set_started = 1;
	op->in.update.started_at = j->run->started_at;
	op->in.update.pid = rep->pid;
	/* informational (jobq show): rides with the next commit */
	dispatch_op_submit_lazy(s, op);
	if (dispatch_opt_timeout(j) > 0 && j->run->tmo == NULL)
		dispatch_slot_timeout_start(s, j);
	/* Asked back while ahead (for a cancel or the stop), but its
	 * worker had begun it: stopped as a running job now. */
	if (asked && (j->cancel_req || s->shutting_down))
		(void)pool_cancel(s->pool, slot, SJOB_ID(j),
		    dispatch_kill_grace(s, j), !j->cancel_req);
	else
		dispatch_dispatch(s);	/* the slot may take one ahead */
}

static const char *
dispatch_slot_stage_name(int stage)
{
	switch (stage) {
	case WIRE_STAGE_SPEC: return "reading the job";
	case WIRE_STAGE_OUTPUT: return "opening the output files";
	case WIRE_STAGE_CWD: return "changing to the working directory";
	case WIRE_STAGE_EXEC: return "executing the command";
	case WIRE_STAGE_FORK: return "creating the process";
	case WIRE_STAGE_OUTPUT_TAKEN: return "creating the output files "
	    "(one exists already, not created by this job: left untouched)";
	case WIRE_STAGE_IDENT_USER: return "looking up the job's user (its "
	    "passwd entry and groups)";
	case WIRE_STAGE_IDENT: return "switching to the job's user, group "
	    "and groups (not run)";
	case WIRE_STAGE_RLIMIT_BASE: return "restoring the resource limits "
	    "jobqd was started with";
	case WIRE_STAGE_LIMIT + 0: return "setting its limit mem (RLIMIT_AS)";
	case WIRE_STAGE_LIMIT + 1: return "setting its limit cpu-time "
	    "(RLIMIT_CPU)";
	case WIRE_STAGE_LIMIT + 2: return "setting its limit nofile "
	    "(RLIMIT_NOFILE)";
	case WIRE_STAGE_LIMIT + 3: return "setting its limit nproc "
	    "(RLIMIT_NPROC)";
	case WIRE_STAGE_LIMIT + 4: return "setting its limit core "
	    "(RLIMIT_CORE)";
	case WIRE_STAGE_LIMIT + 5: return "setting its nice value "
	    "(setpriority)";
	case WIRE_STAGE_CGROUP: return "making or joining its cgroup";
	default: return "starting the job";
	}
}

/* How the run of j that rep reports ended: the event, its exit code (-1:
 * none), signal (0: none) and message (msg[0] 0: none). */
static enum job_event
dispatch_slot_end_event(const struct sjob *j, const struct wire_report *rep,
    int *code, int *sig, char *msg, size_t msglen)
{
	int st = rep->wstatus;

	*code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	*sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	msg[0] = '\0';
	if (rep->type == WIRE_REP_SPAWN_FAILED) {
		if (!dispatch_logs_spawn_message(j, rep->stage, rep->err, msg,
		    msglen))
			snprintf(msg, msglen, "%s: %s",
			    dispatch_slot_stage_name(rep->stage),
			    strerror(rep->err));
		*code = -1;
		*sig = 0;
		return JOB_EV_SPAWN_FAILED;
	}
	if (rep->flags & WIRE_END_INTERRUPTED) {
		snprintf(msg, msglen, "jobqd was stopping");
		return JOB_EV_INTERRUPT;
	}
	/* Once dispatch has decided that the job is canceled or timed out,
	 * that is how it ends, even if its worker reports an end of its own
	 * (it exited before the CANCEL reached the worker, or the worker was
	 * late): a job told to stop never ends succeeded. */
	if (j->cancel_req || (rep->flags & WIRE_END_CANCELED && !j->timed_out))
		return JOB_EV_CANCEL;
	if (j->timed_out) {
		snprintf(msg, msglen, "stopped after its timeout of %" PRId64
		    " ms", dispatch_opt_timeout(j));
		return JOB_EV_TIMEOUT;
	}
	if (rep->flags & WIRE_END_OUTPUT) {
		wire_output_message(rep, msg, msglen);
		return JOB_EV_OUTPUT_LIMIT;
	}
	if (WIFEXITED(st))
		return JOB_EV_EXITED;
	if (WIFSIGNALED(st)) {
		snprintf(msg, msglen, "killed by signal %d (%s)", *sig,
		    strsignal(*sig));
		return JOB_EV_SIGNALED;
	}
	snprintf(msg, msglen, "unexpected wait status 0x%x", st);
	return JOB_EV_WORKER_LOST;
}

/*
 * What the run of a FINISHED report used: from the job's cgroup where it
 * counted (all its processes), else from wait4's rusage (the main process
 * and the descendants it waited for).  "cgroup": both from the cgroup;
 * "cgroup-cpu": CPU time from it, peak memory from rusage (no memory
 * controller); "rusage": both from rusage.
 */
static void
dispatch_slot_usage(const struct wire_report *rep, struct store_usage *u)
{
	int cpu = (rep->cg_flags & WIRE_USAGE_CG_CPU) != 0;
	int mem = (rep->cg_flags & WIRE_USAGE_CG_MEM) != 0;

	if (mem)
		u->mem_peak = rep->cg_mem_peak > (uint64_t)INT64_MAX ?
		    INT64_MAX : (int64_t)rep->cg_mem_peak;
	else
		u->mem_peak = rep->maxrss_kb > 0 && rep->maxrss_kb <=
		    INT64_MAX / 1024 ? rep->maxrss_kb * 1024 : 0;
	u->cpu_user_us = cpu ? rep->cg_user_us : rep->utime_us;
	u->cpu_sys_us = cpu ? rep->cg_sys_us : rep->stime_us;
	if (u->cpu_user_us < 0)
		u->cpu_user_us = 0;
	if (u->cpu_sys_us < 0)
		u->cpu_sys_us = 0;
	u->from = cpu && mem ? "cgroup" : cpu ? "cgroup-cpu" : "rusage";
}

static void
dispatch_slot_finished(void *arg, int slot, const struct wire_report *rep)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, rep->job_id);
	struct store_usage usage;
	enum job_event ev;
	char msg[256];
	int code, sig;

	if (j == NULL || dispatch_run_slot(j) != slot ||
	    j->phase != PH_RUNNING) {
		log_warnx("worker %d finished unknown job %" PRId64, slot,
		    rep->job_id);
		return;
	}
	dispatch_slot_release(s, slot);
	s->slot_last_ms[slot] = rep->type == WIRE_REP_FINISHED &&
	    rep->end_us > rep->start_us ? (rep->end_us - rep->start_us) / 1000 :
	    0;
	if (s->slot_next[slot] != 0) {	/* its worker begins it now */
		s->slot_job[slot] = s->slot_next[slot];
		s->slot_next[slot] = 0;
		stats_slot_busy(s->stats, util_now_ms(), 1);
	}
	ev = dispatch_slot_end_event(j, rep, &code, &sig, msg, sizeof msg);
	memset(&usage, 0, sizeof usage);
	if (rep->type == WIRE_REP_FINISHED)
		dispatch_slot_usage(rep, &usage);
	dispatch_end_usage(s, j, ev, code, sig, msg[0] != '\0' ? msg : NULL,
	    usage.from != NULL ? &usage : NULL, NULL);
	dispatch_maybe_finish_shutdown(s);
}

static void
dispatch_slot_lost(void *arg, int slot, int64_t job_id, pid_t job_pid)
{
	struct dispatch *s = arg;
	struct sjob *j;
	enum job_event ev;
	char msg[128];

	(void)job_pid;
	s->slot_up[slot] = 0;
	if (job_id == 0)
		return;
	j = dispatch_find(s, job_id);
	if (j == NULL || j->phase != PH_RUNNING ||
	    dispatch_run_slot(j) != slot) {
		log_warnx("worker %d lost with unknown job %" PRId64, slot,
		    job_id);
		return;
	}
	if (s->slot_next[slot] == job_id)
		s->slot_next[slot] = 0;
	else
		dispatch_slot_release(s, slot);
	snprintf(msg, sizeof msg, "worker %d died while running the job", slot);
	log_warnx("job %" PRId64 ": %s", job_id, msg);
	if (j->cancel_req)
		ev = JOB_EV_CANCEL;
	else if (s->shutting_down)
		ev = JOB_EV_INTERRUPT;
	else if (j->timed_out)
		ev = JOB_EV_TIMEOUT;
	else
		ev = JOB_EV_WORKER_LOST;
	dispatch_end(s, j, ev, -1, 0, msg);
	dispatch_maybe_finish_shutdown(s);
}

/* The job sent to slot (ahead, or as its own job to a worker that died
 * before it began it) was never begun: canceled from queued if that was
 * asked, put back in the queue if jobqd is stopping, else handed out
 * again (first in line). */
static void
dispatch_slot_unstarted(void *arg, int slot, int64_t job_id)
{
	struct dispatch *s = arg;
	struct sjob *j = dispatch_find(s, job_id);
	int back;

	if (j == NULL || j->phase != PH_RUNNING ||
	    dispatch_run_slot(j) != slot || j->run->pid != 0 ||
	    (s->slot_next[slot] != job_id && s->slot_job[slot] != job_id)) {
		log_warnx("worker %d dropped unknown job %" PRId64, slot,
		    job_id);
		return;
	}
	back = j->run->withdraw;
	if (s->slot_next[slot] == job_id)
		s->slot_next[slot] = 0;
	else
		dispatch_slot_release(s, slot);
	j->run->slot = -1;
	j->run->withdraw = 0;
	j->run->ahead_at = 0;
	log_debug("job %" PRId64 " came back from worker %d unstarted",
	    job_id, slot);
	/* Handed out again only where it fits without a slot it was
	 * waiting for (sched.h: running ahead); else queued again. */
	if (j->cancel_req)
		dispatch_cancel_unstarted(s, j);
	else if (s->shutting_down || back == DISPATCH_BACK_QUEUE ||
	    j->run->spec == NULL || !dispatch_slot_fits_now(s, j))
		dispatch_unclaim(s, j, 1);
	else
		dispatch_reserve(s, j, 1);
	dispatch_dispatch(s);
	dispatch_maybe_finish_shutdown(s);
}

const struct pool_callbacks dispatch_slot_callbacks = {
	.ready = dispatch_slot_ready,
	.started = dispatch_slot_started,
	.finished = dispatch_slot_finished,
	.lost = dispatch_slot_lost,
	.unstarted = dispatch_slot_unstarted,
};
