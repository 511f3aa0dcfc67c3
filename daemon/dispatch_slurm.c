/*
 * dispatch_slurm.c - the Slurm executor, dispatch's side (loop thread):
 * jobs of a queue whose executor is slurm are claimed by the scheduler like
 * any other (sched_next_ext: priorities, parallel limits, holds,
 * dependencies, throttles, caps) and then handed to `sbatch` instead of a
 * worker; their state is followed by one `squeue` per poll interval for
 * all of them; a cancel or jobq's own deadline is an `scancel`.  The
 * commands run on the Slurm thread (slurm.c); what they print is read by
 * slurm_text.c, which also maps Slurm's states to jobq's events.
 *
 * A run on Slurm, after its claim has committed (state running, the row's
 * executor 'slurm'):
 *
 *   SUBMITTING --sbatch answers ID--> IN_SLURM (slurm_id known, recorded by
 *        |                             STORE_SLURM_ID) --squeue: RUNNING-->
 *        |                             started (started_at, --timeout armed)
 *        |                             --squeue: an end--> its end recorded
 *        +--sbatch refused (exit != 0, the controller reachable and not
 *        |  complaining of the connection)--> spawn_failed
 *        +--sbatch timed out / could not reach the controller--> UNSURE
 *   UNSURE --a squeue that lists it (by name)--> IN_SLURM
 *          --a good squeue that does not--> RESUBMIT (read its spec again:
 *            a claim with reread) --> SUBMITTING
 *
 * Names: every run is "jobq.INSTANCE.ID.ATTEMPT" in Slurm (INSTANCE: the
 * database's, store_recovery.instance), so a run is found again after a
 * crash anywhere between sbatch and the commit of its id, and an attempt is
 * submitted again only after a good squeue showed Slurm does not have it:
 * never twice.
 *
 * jobqd stopping or crashing does not touch runs on Slurm: they are not its
 * children.  At start-up recovery leaves them running (store_recover.c:
 * r->adopted) and dispatch_slurm_start() puts them back in the table and
 * the scheduler (sched_adopt) as IN_SLURM (or UNSURE without an id); the
 * first squeue says what became of them.  A run Slurm no longer lists
 * (ended longer ago than its MinJobAge) is asked of sacct (accounting);
 * unknown there too, it ends worker_lost with a message saying so.
 *
 * A controller that does not answer: every command has a timeout
 * (--slurm-timeout) and runs off the loop; the poll goes on at its
 * interval, `jobq stats` / `queue list` report the controller unreachable
 * and since when; nothing is submitted again and nothing ends until a
 * squeue answers.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobqd.h"
#include "log.h"
#include "slurm.h"
#include "slurm_text.h"
#include "util.h"
#include "wire.h"
#include "dispatch_int.h"

#define DSL_MAX_SUBMITTING 64   /* sbatch calls queued at once */
#define DSL_MISSING_POLLS  2    /* good squeues without a known run before
                                   it is looked up in sacct / lost */
#define DSL_FAST_POLL_MS   100  /* the poll's interval for DSL_ACTIVE_MS
                                   after a run was submitted, started or
                                   ended (never above --slurm-poll): a
                                   short job's end is seen soon, an idle
                                   cluster is asked every --slurm-poll */
#define DSL_ACTIVE_MS      5000

enum dsl_state { DSL_SUBMITTING, DSL_IN_SLURM, DSL_UNSURE, DSL_RESUBMIT };

/* A job whose run is on Slurm (j->run->sl). */
struct dsl_job {
	struct dslurm *sl;
	struct sjob *j;
	enum dsl_state state;
	int64_t slurm_id;          /* 0: not known */
	int missing;               /* good polls that did not list it */
	int cancel_sent;           /* an scancel is in flight or done */
	TAILQ_ENTRY(dsl_job) link;
};
TAILQ_HEAD(dsl_list, dsl_job);

struct dslurm {
	struct dispatch *s;
	struct slurm *thread;
	char instance[SLURM_TEXT_INSTANCE_LEN + 1];
	char *sbatch, *squeue, *scancel, *sacct;
	char *slurm_conf;          /* jobqd's SLURM_CONF, for sbatch */
	int64_t poll_ms;
	struct dsl_list jobs;
	size_t njobs, nsubmitting;
	uv_timer_t poll_timer;
	int polling;               /* a squeue (or sacct) in flight */
	int64_t active_at;         /* mono ms of the last submit, start or
	                              end (DSL_FAST_POLL_MS) */
	int closing, closed;
	/* the controller, as the last command found it */
	int reachable;
	int64_t since;             /* realtime ms of the last change */
	char error[256];
	int64_t npending, nrunning;
};

static void dispatch_slurm_poll_arm(struct dslurm *);
static void dispatch_slurm_submit(struct dslurm *, struct dsl_job *,
    const struct store_op *claim);

/* ---- set-up ---- */

/* PATH's program name, or NULL. */
static char *
dispatch_slurm_which(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[4096];

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if ((size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)(e - p),
		    p, name) >= sizeof buf)
			continue;
		if (access(buf, X_OK) == 0)
			return strdup(buf);
	}
	return NULL;
}

static char *
dispatch_slurm_prog(const char *given, const char *name)
{
	if (given != NULL && *given != '\0')
		return strdup(given);
	return dispatch_slurm_which(name);
}

/* The executor's state, made the first time a job goes to Slurm or one is
 * found there at start-up; NULL if out of memory or without sbatch. */
static struct dslurm *
dispatch_slurm_get(struct dispatch *s)
{
	struct dslurm *sl;
	const char *c;
	int rv;

	if (s->slurm != NULL)
		return s->slurm;
	if ((sl = calloc(1, sizeof *sl)) == NULL)
		return NULL;
	sl->s = s;
	TAILQ_INIT(&sl->jobs);
	snprintf(sl->instance, sizeof sl->instance, "%08" PRIx32,
	    s->slurm_instance);
	sl->sbatch = dispatch_slurm_prog(s->conf.slurm.sbatch, "sbatch");
	sl->squeue = dispatch_slurm_prog(s->conf.slurm.squeue, "squeue");
	sl->scancel = dispatch_slurm_prog(s->conf.slurm.scancel, "scancel");
	sl->sacct = dispatch_slurm_prog(s->conf.slurm.sacct, "sacct");
	sl->poll_ms = s->conf.slurm.poll_ms > 0 ? s->conf.slurm.poll_ms : 1000;
	if ((c = getenv("SLURM_CONF")) != NULL)
		sl->slurm_conf = strdup(c);
	sl->reachable = 1;
	sl->since = util_now_ms();
	if ((rv = slurm_new(s->loop, s->conf.slurm.timeout_ms,
	    &sl->thread)) < 0) {
		log_warnx("slurm: %s", jobq_strerror(rv));
		free(sl->sbatch);
		free(sl->squeue);
		free(sl->scancel);
		free(sl->sacct);
		free(sl->slurm_conf);
		free(sl);
		return NULL;
	}
	uv_timer_init(s->loop, &sl->poll_timer);
	sl->poll_timer.data = sl;
	if (sl->sbatch == NULL || sl->squeue == NULL || sl->scancel == NULL)
		log_warnx("slurm: sbatch, squeue or scancel not found in PATH "
		    "(or given by --sbatch/--squeue/--scancel): jobs of Slurm "
		    "queues fail to start");
	s->slurm = sl;
	return sl;
}

/* ---- the controller's health ---- */

static void
dispatch_slurm_health(struct dslurm *sl, const struct slurm_cmd *cmd)
{
	char err[sizeof sl->error];
	int ok = cmd->status == 0 && WIFEXITED(cmd->wstatus) &&
	    WEXITSTATUS(cmd->wstatus) == 0;

	if (ok) {
		if (!sl->reachable) {
			log_info("slurm: the controller answers again");
			sl->reachable = 1;
			sl->since = util_now_ms();
			sl->error[0] = '\0';
		}
		return;
	}
	slurm_cmd_error(cmd, err, sizeof err);
	if (sl->reachable) {
		log_warnx("slurm: %s", err);
		sl->reachable = 0;
		sl->since = util_now_ms();
	}
	snprintf(sl->error, sizeof sl->error, "%s", err);
}

/* 1 if a failed sbatch may have reached the controller or failed for want
 * of it: then only a squeue can tell whether the run exists. */
static int
dispatch_slurm_unsure(const struct slurm_cmd *cmd)
{
	static const char *const conn[] = { "Unable to contact",
	    "Socket timed out", "Connection refused", "Zero Bytes",
	    "communication", "Transport endpoint", "slurm_persist_conn",
	    "Unable to establish", "not responding", "Resource temporarily",
	    "try again" };
	size_t i;

	if (cmd->status == JOBQ_ETIMEDOUT || cmd->status == JOBQ_ESHUTDOWN)
		return 1;
	if (cmd->status != 0)
		return 0;	/* never ran: files, exec */
	if (WIFSIGNALED(cmd->wstatus))
		return 1;
	for (i = 0; i < sizeof conn / sizeof conn[0]; i++)
		if (strstr(cmd->err, conn[i]) != NULL)
			return 1;
	return 0;
}

/* ---- a run's end ---- */

static void
dispatch_slurm_forget(struct dslurm *sl, struct dsl_job *dj)
{
	TAILQ_REMOVE(&sl->jobs, dj, link);
	sl->njobs--;
	dj->j->run->sl = NULL;
	free(dj);
}

/* Ends j's run as Slurm's record says (rec NULL: lost, message msg). */
static void
dispatch_slurm_end(struct dslurm *sl, struct dsl_job *dj,
    const struct slurm_text_end *e, const char *msg)
{
	struct dispatch *s = sl->s;
	struct sjob *j = dj->j;
	enum job_event ev = e != NULL ? e->ev : JOB_EV_WORKER_LOST;
	int code = e != NULL ? e->exit_code : -1, sig = e != NULL ? e->sig : 0;
	char buf[256];

	if (msg == NULL && e != NULL && e->message[0] != '\0')
		msg = e->message;
	if (j->cancel_req) {
		ev = JOB_EV_CANCEL;
		code = -1;
		sig = 0;
	} else if (j->timed_out) {
		snprintf(buf, sizeof buf, "stopped after its timeout of %" PRId64
		    " ms", dispatch_opt_timeout(j));
		msg = buf;
		ev = JOB_EV_TIMEOUT;
		code = -1;
		sig = 0;
	}
	if (ev != JOB_EV_EXITED)
		code = -1;
	if (ev != JOB_EV_SIGNALED)
		sig = 0;
	dispatch_slurm_forget(sl, dj);
	dispatch_end(s, j, ev, code, sig, msg);
}

/* ---- scancel ---- */

static void
dispatch_slurm_scancel_done(struct slurm_cmd *cmd)
{
	struct dslurm *sl = cmd->data;
	char err[256];

	if (cmd->status != 0 || !WIFEXITED(cmd->wstatus) ||
	    WEXITSTATUS(cmd->wstatus) != 0) {
		slurm_cmd_error(cmd, err, sizeof err);
		log_warnx("slurm: %s (sent again at the next poll)", err);
		/* the next good poll sends it again for jobs still there */
		for (struct dsl_job *dj = TAILQ_FIRST(&sl->jobs); dj != NULL;
		    dj = TAILQ_NEXT(dj, link))
			dj->cancel_sent = 0;
	}
	slurm_cmd_free(cmd);
}

static void
dispatch_slurm_scancel(struct dslurm *sl, struct dsl_job *dj)
{
	struct slurm_cmd *cmd;

	if (dj->state != DSL_IN_SLURM || dj->cancel_sent || sl->closing ||
	    sl->scancel == NULL)
		return;
	if ((cmd = slurm_cmd_new()) == NULL ||
	    (cmd->argv = slurm_text_scancel_argv(sl->scancel, &dj->slurm_id,
	    1)) == NULL) {
		slurm_cmd_free(cmd);
		return;		/* tried again at the next poll */
	}
	dj->cancel_sent = 1;
	cmd->done = dispatch_slurm_scancel_done;
	cmd->data = sl;
	log_info("job %" PRId64 ": scancel %" PRId64, SJOB_ID(dj->j),
	    dj->slurm_id);
	slurm_run(sl->thread, cmd);
}

void
dispatch_slurm_cancel(struct dispatch *s, struct sjob *j)
{
	if (s->slurm != NULL && j->run != NULL && j->run->sl != NULL)
		dispatch_slurm_scancel(s->slurm, j->run->sl);
}

void
dispatch_slurm_timeout(struct dispatch *s, struct sjob *j)
{
	j->timed_out = 1;
	log_info("job %" PRId64 " ran past its timeout of %" PRId64 " ms; "
	    "cancelling it in Slurm", SJOB_ID(j), dispatch_opt_timeout(j));
	dispatch_slurm_cancel(s, j);
}

/* ---- sbatch ---- */

static void
dispatch_slurm_id_done(struct store_op *op)
{
	if (op->status != 0 && op->status != JOBQ_ENOTFOUND)
		log_warnx("job %" PRId64 ": cannot record its Slurm id: %s "
		    "(found again by name after a restart)",
		    op->in.slurm_id.id, jobq_strerror(op->status));
	dispatch_op_finish(op);
}

/* dj's run is known to Slurm as slurm_id: recorded (lazily: a restart
 * finds it by name anyway). */
static void
dispatch_slurm_known(struct dslurm *sl, struct dsl_job *dj, int64_t slurm_id)
{
	struct dispatch *s = sl->s;
	struct store_op *op;

	dj->state = DSL_IN_SLURM;
	dj->slurm_id = slurm_id;
	dj->missing = 0;
	sl->active_at = util_mono_ms();
	op = dispatch_op_new(s, STORE_SLURM_ID, dispatch_slurm_id_done,
	    dispatch_op_ctx(s, dj->j, NULL));
	op->in.slurm_id.id = SJOB_ID(dj->j);
	op->in.slurm_id.attempts = dj->j->attempts;
	op->in.slurm_id.slurm_id = slurm_id;
	op->in.slurm_id.at = util_now_ms();
	dispatch_op_submit_lazy(s, op);
	if (dj->j->cancel_req || dj->j->timed_out)
		dispatch_slurm_scancel(sl, dj);
}

static void
dispatch_slurm_submitted(struct slurm_cmd *cmd)
{
	struct dsl_job *dj = cmd->data;
	struct sjob *j = dj->j;
	struct dslurm *sl = dj->sl;
	struct dispatch *s = sl->s;
	char err[256], msg[320];
	int64_t id;

	sl->nsubmitting--;
	if (cmd->status == 0 && WIFEXITED(cmd->wstatus) &&
	    WEXITSTATUS(cmd->wstatus) == 0 && cmd->out != NULL &&
	    slurm_text_parse_sbatch(cmd->out, &id) == 0) {
		dispatch_slurm_health(sl, cmd);
		log_debug("job %" PRId64 " attempt %d: Slurm job %" PRId64,
		    SJOB_ID(j), j->attempts, id);
		dispatch_slurm_known(sl, dj, id);
	} else if (dispatch_slurm_unsure(cmd)) {
		/* a squeue will say whether it got there */
		if (cmd->status != JOBQ_ESHUTDOWN)
			dispatch_slurm_health(sl, cmd);
		dj->state = DSL_UNSURE;
	} else {
		slurm_cmd_error(cmd, err, sizeof err);
		snprintf(msg, sizeof msg, "Slurm refused it: %s", err);
		log_warnx("job %" PRId64 ": %s", SJOB_ID(j), msg);
		dispatch_slurm_forget(sl, dj);
		dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
	}
	slurm_cmd_free(cmd);
	dispatch_slurm_poll_arm(sl);
	dispatch_dispatch(s);
	dispatch_maybe_finish_shutdown(s);
}

/* sbatch's environment: the job's, without SLURM_* and SBATCH_* (they
 * would steer sbatch: the queue's settings do that), with jobqd's
 * SLURM_CONF. */
static char **
dispatch_slurm_env(const struct dslurm *sl, char *const *env)
{
	size_t n = 0, k = 0, i;
	char **v;

	while (env != NULL && env[n] != NULL)
		n++;
	if ((v = calloc(n + 2, sizeof *v)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strncmp(env[i], "SLURM_", 6) == 0 ||
		    strncmp(env[i], "SBATCH_", 7) == 0)
			continue;
		if ((v[k++] = strdup(env[i])) == NULL)
			goto fail;
	}
	if (sl->slurm_conf != NULL && asprintf(&v[k++], "SLURM_CONF=%s",
	    sl->slurm_conf) == -1) {
		v[k - 1] = NULL;
		goto fail;
	}
	return v;
fail:
	util_strv_free(v);
	return NULL;
}

/* Hands dj's run to sbatch; claim is the committed claim (or reread) with
 * its spec, j->run->spec the packed spec (taken). */
static void
dispatch_slurm_submit(struct dslurm *sl, struct dsl_job *dj,
    const struct store_op *claim)
{
	struct dispatch *s = sl->s;
	struct sjob *j = dj->j;
	struct slurm_text_submit sub;
	struct proto_exec ex;
	struct slurm_cmd *cmd;
	char out[PATH_MAX], err[PATH_MAX], msg[160];
	const char *txt;
	size_t argc = 0;

	memset(&ex, 0, sizeof ex);
	if ((txt = dispatch_exec_text(s, sched_queue_name(j->node.queue))) !=
	    NULL && proto_exec_parse(txt, &ex) != 0)
		memset(&ex, 0, sizeof ex);
	while (claim->out.claim.argv[argc] != NULL)
		argc++;
	snprintf(out, sizeof out, "%s/%lu/%" PRId64 ".out", s->conf.logs_dir,
	    (unsigned long)claim->out.claim.uid, SJOB_ID(j));
	snprintf(err, sizeof err, "%s/%lu/%" PRId64 ".%s", s->conf.logs_dir,
	    (unsigned long)claim->out.claim.uid, SJOB_ID(j),
	    claim->out.claim.merge_output ? "out" : "err");
	memset(&sub, 0, sizeof sub);
	sub.sbatch = sl->sbatch;
	sub.instance = sl->instance;
	sub.job_id = SJOB_ID(j);
	sub.attempt = j->attempts;
	sub.cwd = claim->out.claim.cwd;
	sub.out_path = out;
	sub.err_path = err;
	sub.exec = &ex;
	sub.timeout_ms = dispatch_opt_timeout(j);
	sub.slots = sched_node_slots(&j->node);
	if ((cmd = slurm_cmd_new()) == NULL)
		fatalx("out of memory");
	if (sl->sbatch == NULL) {
		snprintf(msg, sizeof msg, "sbatch not found (jobqd --sbatch)");
		goto refuse;
	}
	if ((cmd->argv = slurm_text_sbatch_argv(&sub)) == NULL ||
	    (cmd->input = slurm_text_script(claim->out.claim.argv, argc,
	    SJOB_ID(j), j->attempts)) == NULL ||
	    (cmd->env = dispatch_slurm_env(sl, claim->out.claim.env)) == NULL)
		fatalx("out of memory");
	cmd->spec = j->run->spec;
	cmd->speclen = j->run->speclen;
	j->run->spec = NULL;
	if (geteuid() == 0 && claim->out.claim.uid != 0) {
		cmd->as_user = 1;
		cmd->uid = (uid_t)claim->out.claim.uid;
		cmd->gid = claim->out.claim.gid >= 0 ?
		    (gid_t)claim->out.claim.gid : (gid_t)-1;
	}
	cmd->done = dispatch_slurm_submitted;
	cmd->data = dj;
	dj->state = DSL_SUBMITTING;
	sl->nsubmitting++;
	slurm_run(sl->thread, cmd);
	return;
refuse:
	slurm_cmd_free(cmd);
	dispatch_slurm_forget(sl, dj);
	dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0, msg);
}

/* j's claim for Slurm has committed (op: its spec; j->run->spec packed). */
void
dispatch_slurm_claimed(struct dispatch *s, struct sjob *j,
    const struct store_op *op)
{
	struct dslurm *sl = dispatch_slurm_get(s);
	struct dsl_job *dj;

	j->phase = PH_RUNNING;
	dispatch_run(j)->slot = -1;
	if (sl == NULL || (dj = calloc(1, sizeof *dj)) == NULL) {
		dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0,
		    "the Slurm executor could not start (out of memory)");
		return;
	}
	dj->sl = sl;
	dj->j = j;
	j->run->sl = dj;
	TAILQ_INSERT_TAIL(&sl->jobs, dj, link);
	sl->njobs++;
	dispatch_slurm_submit(sl, dj, op);
}

/* A run adopted without a Slurm id, or whose sbatch never got there, is
 * submitted again: its spec is read back (a claim that only reads). */
static void
dispatch_slurm_reread_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch *s = c->s;
	struct sjob *j = c->job;
	struct dsl_job *dj = j->run != NULL ? j->run->sl : NULL;
	int rv;

	if (dj == NULL || s->slurm == NULL || s->slurm->closing) {
		dispatch_op_finish(op);
		return;
	}
	if (op->status != 0) {
		log_warnx("job %" PRId64 ": cannot read it back to submit it "
		    "to Slurm again: %s", SJOB_ID(j), jobq_strerror(op->status));
		dj->state = DSL_UNSURE;	/* again at the next poll */
	} else if (j->cancel_req || j->timed_out) {
		dispatch_slurm_forget(s->slurm, dj);
		dispatch_end(s, j, j->cancel_req ? JOB_EV_CANCEL :
		    JOB_EV_TIMEOUT, -1, 0, "before Slurm ran it");
	} else if ((rv = dispatch_logs_spec(s, j, op)) < 0) {
		dispatch_slurm_forget(s->slurm, dj);
		dispatch_end(s, j, JOB_EV_SPAWN_FAILED, -1, 0,
		    jobq_strerror(rv));
	} else {
		log_info("job %" PRId64 " attempt %d: not in Slurm; "
		    "submitting it", SJOB_ID(j), j->attempts);
		dispatch_slurm_submit(s->slurm, dj, op);
	}
	dispatch_op_finish(op);
}

static void
dispatch_slurm_resubmit(struct dslurm *sl, struct dsl_job *dj)
{
	struct dispatch *s = sl->s;
	struct store_op *op;

	dj->state = DSL_RESUBMIT;
	op = dispatch_op_new(s, STORE_CLAIM, dispatch_slurm_reread_done,
	    dispatch_op_ctx(s, dj->j, NULL));
	op->in.claim.id = SJOB_ID(dj->j);
	op->in.claim.attempts = dj->j->attempts;
	op->in.claim.reread = 1;
	dispatch_op_submit(s, op);
}

/* ---- the poll ---- */

/* j is running on Slurm now: its start, as a worker's STARTED. */
static void
dispatch_slurm_started(struct dslurm *sl, struct dsl_job *dj)
{
	struct dispatch *s = sl->s;
	struct sjob *j = dj->j;
	struct store_op *op;

	if (j->run->started_at != 0)
		return;
	sl->active_at = util_mono_ms();
	j->run->started_at = util_now_ms();
	op = dispatch_op_update(s, SJOB_ID(j), dispatch_op_update_done,
	    dispatch_op_ctx(s, j, NULL));
	op->in.update.set_started = 1;
	op->in.update.started_at = j->run->started_at;
	dispatch_op_submit_lazy(s, op);
	if (dispatch_opt_timeout(j) > 0 && j->run->tmo == NULL)
		dispatch_slot_timeout_start(s, j);
}

/* What one record of ours says. */
static void
dispatch_slurm_record(struct dslurm *sl, const struct slurm_text_job *r)
{
	struct sjob *j = dispatch_find(sl->s, r->job_id);
	struct dsl_job *dj = j != NULL && j->run != NULL ? j->run->sl : NULL;
	struct slurm_text_end e;
	int64_t stray;

	if (dj == NULL || j->attempts != r->attempt ||
	    dj->state == DSL_SUBMITTING || dj->state == DSL_RESUBMIT)
		return;		/* an older run's record, or not ours yet */
	if (dj->state == DSL_UNSURE || dj->slurm_id == 0)
		dispatch_slurm_known(sl, dj, r->slurm_id);
	else if (dj->slurm_id != r->slurm_id) {
		/* two Slurm jobs for one run: never made by jobqd, but
		 * if seen, the one not recorded goes */
		log_warnx("job %" PRId64 " attempt %d: Slurm has it twice "
		    "(%" PRId64 ", %" PRId64 "); cancelling the second",
		    SJOB_ID(j), j->attempts, dj->slurm_id, r->slurm_id);
		stray = r->slurm_id;
		struct slurm_cmd *cmd = slurm_cmd_new();
		if (cmd != NULL && (cmd->argv = slurm_text_scancel_argv(
		    sl->scancel, &stray, 1)) != NULL) {
			cmd->done = dispatch_slurm_scancel_done;
			cmd->data = sl;
			slurm_run(sl->thread, cmd);
		} else
			slurm_cmd_free(cmd);
		return;
	}
	dj->missing = -1;	/* seen by this poll */
	slurm_text_end(r, &e);
	if (!e.ended) {
		if (r->state == SLURM_ST_RUNNING) {
			sl->nrunning++;
			dispatch_slurm_started(sl, dj);
		} else
			sl->npending++;
		if (j->cancel_req || j->timed_out)
			dispatch_slurm_scancel(sl, dj);
		return;
	}
	if (j->run->started_at == 0)
		j->run->started_at = util_now_ms();
	sl->active_at = util_mono_ms();
	dispatch_slurm_end(sl, dj, &e, NULL);
}

static void dispatch_slurm_missing(struct dslurm *, int64_t *, size_t);

static void
dispatch_slurm_sacct_done(struct slurm_cmd *cmd)
{
	struct dslurm *sl = cmd->data;
	struct slurm_text_job *v = NULL;
	struct dsl_job *dj, *next;
	size_t n = 0, nbad = 0, i;
	char msg[200];

	sl->polling = 0;
	if (cmd->status == 0 && WIFEXITED(cmd->wstatus) &&
	    WEXITSTATUS(cmd->wstatus) == 0 && cmd->out != NULL &&
	    slurm_text_parse_sacct(cmd->out, cmd->outlen, sl->instance, &v, &n,
	    &nbad) == 0) {
		for (i = 0; i < n; i++)
			dispatch_slurm_record(sl, &v[i]);
		free(v);
	}
	/* what neither squeue nor sacct knows has ended unseen */
	for (dj = TAILQ_FIRST(&sl->jobs); dj != NULL; dj = next) {
		next = TAILQ_NEXT(dj, link);
		if (dj->state != DSL_IN_SLURM ||
		    dj->missing < DSL_MISSING_POLLS)
			continue;
		snprintf(msg, sizeof msg, "Slurm no longer knows job %" PRId64
		    " and has no accounting record of it: its result is lost",
		    dj->slurm_id);
		log_warnx("job %" PRId64 ": %s", SJOB_ID(dj->j), msg);
		dispatch_slurm_end(sl, dj, NULL, msg);
	}
	slurm_cmd_free(cmd);
	dispatch_slurm_poll_arm(sl);
	dispatch_dispatch(sl->s);
	dispatch_maybe_finish_shutdown(sl->s);
}

/* Runs the Slurm ids squeue no longer lists past sacct. */
static void
dispatch_slurm_missing(struct dslurm *sl, int64_t *ids, size_t n)
{
	struct slurm_cmd *cmd = slurm_cmd_new();

	if (cmd != NULL && sl->sacct != NULL &&
	    (cmd->argv = slurm_text_sacct_argv(sl->sacct, ids, n)) != NULL) {
		cmd->done = dispatch_slurm_sacct_done;
		cmd->data = sl;
		sl->polling = 1;
		slurm_run(sl->thread, cmd);
		return;
	}
	/* no sacct: as if it knew none of them */
	if (cmd == NULL)
		cmd = slurm_cmd_new();
	if (cmd == NULL)
		fatalx("out of memory");
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->status = JOBQ_EIO;
	cmd->data = sl;
	sl->polling = 1;
	dispatch_slurm_sacct_done(cmd);
}

static void
dispatch_slurm_squeue_done(struct slurm_cmd *cmd)
{
	struct dslurm *sl = cmd->data;
	struct slurm_text_job *v = NULL;
	struct dsl_job *dj, *next;
	size_t n = 0, nbad = 0, i, nmiss = 0;
	int64_t *miss = NULL;

	sl->polling = 0;
	dispatch_slurm_health(sl, cmd);
	if (!sl->reachable || cmd->out == NULL || cmd->truncated ||
	    slurm_text_parse_squeue(cmd->out, cmd->outlen, sl->instance, &v,
	    &n, &nbad) != 0) {
		if (sl->reachable && cmd->truncated)
			log_warnx("slurm: squeue's answer passed %u bytes",
			    SLURM_OUT_MAX);
		slurm_cmd_free(cmd);
		dispatch_slurm_poll_arm(sl);
		return;
	}
	if (nbad > 0)
		log_warnx("slurm: %zu lines of squeue not understood", nbad);
	sl->npending = sl->nrunning = 0;
	TAILQ_FOREACH(dj, &sl->jobs, link)
		if (dj->missing < 0)
			dj->missing = 0;
	for (i = 0; i < n; i++)
		dispatch_slurm_record(sl, &v[i]);
	free(v);
	/* the runs this good squeue did not list */
	for (dj = TAILQ_FIRST(&sl->jobs); dj != NULL; dj = next) {
		next = TAILQ_NEXT(dj, link);
		if (dj->missing < 0) {
			dj->missing = 0;
			continue;
		}
		if (dj->state == DSL_UNSURE) {
			dispatch_slurm_resubmit(sl, dj);
			continue;
		}
		if (dj->state != DSL_IN_SLURM)
			continue;
		if (++dj->missing >= DSL_MISSING_POLLS) {
			int64_t *nm = reallocarray(miss, nmiss + 1,
			    sizeof *miss);
			if (nm == NULL)
				break;
			miss = nm;
			miss[nmiss++] = dj->slurm_id;
		}
	}
	slurm_cmd_free(cmd);
	if (nmiss > 0)
		dispatch_slurm_missing(sl, miss, nmiss);
	else
		dispatch_slurm_poll_arm(sl);
	free(miss);
	dispatch_dispatch(sl->s);
	dispatch_maybe_finish_shutdown(sl->s);
}

static void
dispatch_slurm_poll_cb(uv_timer_t *t)
{
	struct dslurm *sl = t->data;
	struct slurm_cmd *cmd;

	if (sl->polling || sl->closing || sl->njobs == 0)
		return;
	if (sl->squeue == NULL || (cmd = slurm_cmd_new()) == NULL ||
	    (cmd->argv = slurm_text_squeue_argv(sl->squeue)) == NULL) {
		if (sl->squeue == NULL)
			snprintf(sl->error, sizeof sl->error, "squeue not "
			    "found (jobqd --squeue)");
		dispatch_slurm_poll_arm(sl);
		return;
	}
	cmd->done = dispatch_slurm_squeue_done;
	cmd->data = sl;
	sl->polling = 1;
	slurm_run(sl->thread, cmd);
}

/* The next poll, if runs are on Slurm and none is in flight. */
static void
dispatch_slurm_poll_arm(struct dslurm *sl)
{
	int64_t delay = sl->poll_ms;

	if (sl->polling || sl->closing || sl->njobs == 0 ||
	    uv_is_active((uv_handle_t *)&sl->poll_timer))
		return;
	if (delay > DSL_FAST_POLL_MS &&
	    util_mono_ms() - sl->active_at < DSL_ACTIVE_MS)
		delay = DSL_FAST_POLL_MS;
	uv_timer_start(&sl->poll_timer, dispatch_slurm_poll_cb,
	    (uint64_t)delay, 0);
}

/* ---- the scheduler's side ---- */

/* Claims the ready jobs of Slurm queues (no worker needed: only what the
 * scheduler's limits allow, and at most DSL_MAX_SUBMITTING claims or
 * sbatch calls at a time). */
void
dispatch_slurm_dispatch(struct dispatch *s, int64_t now)
{
	struct sched_node *n;
	size_t busy;

	busy = s->slurm_nclaiming + (s->slurm != NULL ?
	    s->slurm->nsubmitting : 0);
	if (s->slurm != NULL && s->slurm->closing)
		return;
	while (busy < DSL_MAX_SUBMITTING &&
	    (n = sched_next_ext(s->sched, now, 1)) != NULL) {
		SJOB(n)->slurm = 1;
		dispatch_claim(s, SJOB(n), now);
		busy++;
	}
}

/* ---- start-up ---- */

int
dispatch_slurm_start(struct dispatch *s, const struct store_recovery *rec)
{
	const struct store_queued *sq;
	struct dslurm *sl;
	struct dsl_job *dj;
	struct sjob *j;
	size_t i;

	s->slurm_instance = rec->instance;
	if (rec->nadopted == 0)
		return 0;
	if ((sl = dispatch_slurm_get(s)) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0; i < rec->nadopted; i++) {
		sq = &rec->adopted[i];
		if ((dj = calloc(1, sizeof *dj)) == NULL)
			return JOBQ_ENOMEM;
		if ((j = dispatch_start_row(s, sq)) == NULL) {
			free(dj);
			return JOBQ_ENOMEM;
		}
		j->state = JOBQ_STATE_RUNNING;
		j->phase = PH_RUNNING;
		j->slurm = 1;
		if (sched_adopt(s->sched, &j->node) < 0) {
			free(dj);
			return JOBQ_ENOMEM;
		}
		dispatch_hook_arm(s, j);
		dj->sl = sl;
		dj->j = j;
		dj->slurm_id = sq->slurm_id;
		dj->state = sq->slurm_id > 0 ? DSL_IN_SLURM : DSL_UNSURE;
		dispatch_run(j)->sl = dj;
		TAILQ_INSERT_TAIL(&sl->jobs, dj, link);
		sl->njobs++;
		log_info("job %" PRId64 " attempt %d is on Slurm (%s%" PRId64
		    "): following it", sq->id, sq->attempts, sq->slurm_id > 0 ?
		    "job " : "id not recorded, ", sq->slurm_id);
	}
	/* the first poll at once: adopted runs may have ended meanwhile */
	uv_timer_start(&sl->poll_timer, dispatch_slurm_poll_cb, 0, 0);
	return 0;
}

/* ---- shutdown ---- */

static void
dispatch_slurm_timer_closed(uv_handle_t *h)
{
	struct dslurm *sl = h->data;

	sl->closed = 1;
	dispatch_maybe_finish_shutdown(sl->s);
}

static void
dispatch_slurm_thread_closed(void *arg)
{
	struct dslurm *sl = arg;

	sl->thread = NULL;
	uv_close((uv_handle_t *)&sl->poll_timer, dispatch_slurm_timer_closed);
}

/* jobqd stops: runs on Slurm go on without it (found again at the next
 * start); the thread ends after its current command. */
void
dispatch_slurm_shutdown(struct dispatch *s)
{
	struct dslurm *sl = s->slurm;
	struct dsl_job *dj;

	if (sl == NULL || sl->closing)
		return;
	sl->closing = 1;
	uv_timer_stop(&sl->poll_timer);
	/* their --timeout timers must not outlive the table */
	TAILQ_FOREACH(dj, &sl->jobs, link)
		dispatch_slot_timeout_stop(dj->j);
	if (sl->njobs > 0)
		log_info("%zu jobs on Slurm go on without jobqd; followed "
		    "again at its next start", sl->njobs);
	slurm_close(sl->thread, dispatch_slurm_thread_closed, sl);
}

/* 1 while the Slurm thread has not ended (shutdown waits for it). */
int
dispatch_slurm_busy(const struct dispatch *s)
{
	return s->slurm != NULL && !s->slurm->closed;
}

void
dispatch_slurm_free(struct dispatch *s)
{
	struct dslurm *sl = s->slurm;
	struct dsl_job *dj;

	if (sl == NULL)
		return;
	while ((dj = TAILQ_FIRST(&sl->jobs)) != NULL) {
		TAILQ_REMOVE(&sl->jobs, dj, link);
		free(dj);
	}
	free(sl->sbatch);
	free(sl->squeue);
	free(sl->scancel);
	free(sl->sacct);
	free(sl->slurm_conf);
	free(sl);
	s->slurm = NULL;
}

/* ---- what stats and queue list show ---- */

int
dispatch_slurm_info(const struct dispatch *s, jobq_slurm_info *out)
{
	const struct dslurm *sl = s->slurm;

	memset(out, 0, sizeof *out);
	if (sl == NULL)
		return 0;
	out->configured = 1;
	out->reachable = sl->reachable;
	out->since_ms = sl->since;
	snprintf(out->error, sizeof out->error, "%s", sl->error);
	out->pending = sl->npending;
	out->running = sl->nrunning;
	out->submitting = (int64_t)sl->nsubmitting;
	return 1;
}
