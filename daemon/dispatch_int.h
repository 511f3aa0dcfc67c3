/*
 * dispatch_int.h - what the files of dispatch share (loop thread only): the
 * handle, a job in flight, the context a store op carries back to its done
 * callback, and the functions one file offers the others.  Only dispatch*.c
 * include it.
 *
 * The files, one concern each (a file's functions carry its name as their
 * prefix; the entry points of dispatch.h keep the names server.c calls):
 *
 *   dispatch.c          the table of active jobs and their lifecycle: every
 *                       state change (job_transition), claim, unclaim;
 *                       shutdown, ping
 *   dispatch_end.c      a job's end (a retry or final), its write and what
 *                       follows it; cancels: of one job, and of many
 *                       queued jobs in one write per chunk
 *   dispatch_start.c    start-up: the handle, the queued jobs found by
 *                       recovery into the table and the scheduler
 *   dispatch_op.c       store ops and their contexts, a request held by an
 *                       op, state changes parked while the disk is full
 *   dispatch_access.c   who may act on a job and what a client sees of
 *                       one (jobqd.conf(5)), refusals
 *   dispatch_reply.c    replies to a request
 *   dispatch_slot.c     worker slots: hand-off to a free worker, the pool's
 *                       reports (ready, started, finished, lost), --timeout
 *   dispatch_batch.c    submit_batch: many jobs, one STORE_INSERT_MANY
 *   dispatch_submit.c   submit: dependency look-up, INSERT, the new jobs
 *   dispatch_ref.c      requests on one job: A.I references, get, list,
 *                       cancel, priority, retry by hand, jobs that have
 *                       left the table
 *   dispatch_wait.c     requests waiting for a job to end
 *   dispatch_array.c    an array as a whole: get, wait, cancel
 *   dispatch_watch.c    watchers and the event stream
 *   dispatch_logs.c     a job's output files: the spec's part for a run
 *                       (names, first run, limit), the logs request
 *   dispatch_purge.c    purge and retention
 *   dispatch_queue.c    queue settings and counts (queue_set, queue_list)
 *   dispatch_stats.c    the stats reply (and its "slurm", queue_list's
 *                       too)
 *   dispatch_hook.c     which hooks a job's end and a queue's drain run
 *   dispatch_edit.c     holds, releases and edits of queued jobs, the
 *                       history request and its notes (cancel, retry)
 *   dispatch_schedule.c recurring schedules: their requests, the timer,
 *                       each fire (schedule.c's decisions)
 *   dispatch_res.c      slots and named resources: the pool, a submit's
 *                       request, what a claim stores and the job gets
 *   dispatch_slurm.c    the Slurm executor: claimed runs to sbatch, the
 *                       squeue poll, scancel, runs found on Slurm at
 *                       start-up
 *   dispatch_exec.c     each queue's executor (local or slurm): the table
 *                       queue -> executor text, fed at start-up and by
 *                       queue_set
 */
#ifndef JOBQD_DISPATCH_INT_H
#define JOBQD_DISPATCH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <uv.h>
#include <cjson/cJSON.h>

#include "dispatch.h"
#include "job.h"
#include "metrics.h"
#include "sched.h"
#include "store.h"

/*
 * TAILQ_REMOVE, with the head written directly when elm is the first element
 * (the store TAILQ_REMOVE makes through elm's tqe_prev): clang's analyzer
 * cannot tell that they alias, and takes the TAILQ_FIRST of a loop that
 * drains a list for a use after free.  The drain loops stay: a reply can run
 * the connection's next request, which may add to the list being drained.
 */
#define DISPATCH_TAILQ_REMOVE(head, elm, field) do {			\
	if (TAILQ_FIRST(head) == (elm))					\
		TAILQ_FIRST(head) = TAILQ_NEXT(elm, field);		\
	TAILQ_REMOVE(head, elm, field);					\
} while (0)

#define DISPATCH_RETRY_DELAY_MS 1000   /* default --retry-delay */

struct dispatch_tmo;    /* a running job's --timeout (dispatch_slot.c) */
struct dsl_job;         /* a run on Slurm (dispatch_slurm.c) */
struct dslurm;          /* the Slurm executor (dispatch_slurm.c) */
struct waiter;          /* dispatch_wait.c */
struct awaiter;         /* dispatch_array.c */
struct watcher;         /* dispatch_watch.c */
struct pdep;            /* dispatch_submit.c */
struct proto_submit;    /* proto.h */
struct sched_queue;     /* sched.h */
TAILQ_HEAD(waiter_list, waiter);
TAILQ_HEAD(awaiter_list, awaiter);
TAILQ_HEAD(watcher_list, watcher);

/*
 * Where a job is in dispatch's pipeline.  The phase refines the job's state
 * (see the top of dispatch.c): QUEUED while it is queued; CLAIMING, RESERVED
 * and RUNNING while it is running; FINISHING once it has ended.
 */
enum sjob_phase { PH_QUEUED, PH_CLAIMING, PH_RESERVED, PH_RUNNING, PH_FINISHING };

/* What a job has only once it has been claimed: allocated by dispatch_run()
 * at its claim (or adoption), freed with the job.  Reads go through
 * dispatch_run_slot() and dispatch_run_started(), which give a queued
 * job's defaults while there is none. */
struct sjob_run {
	int64_t started_at;    /* of the current attempt; 0 until STARTED */
	struct dispatch_tmo *tmo; /* the timeout timer while running */
	struct dsl_job *sl;    /* its run on Slurm (dispatch_slurm.c) */
	char *spec;            /* packed spec while reserved */
	size_t speclen;
	TAILQ_ENTRY(sjob) qlink;   /* reserved list */
	pid_t pid;             /* job's pid/pgid once started */
	int slot;              /* -1 unless running in a slot */
	int64_t ahead_at;      /* when it was sent ahead, util_mono_ms()
	                          (0: it was not) */
	int withdraw;          /* sent ahead: asked back (pool_cancel), to be
	                          DISPATCH_BACK_HAND (handed to a free worker)
	                          or DISPATCH_BACK_QUEUE (queued again) */
};
#define DISPATCH_BACK_HAND	1
#define DISPATCH_BACK_QUEUE	2

/* What a job carries beyond the common case, allocated by dispatch_opt()
 * only when one of it is not 0 (or not empty): a --timeout, --kill-grace,
 * --retry-delay or --retries, a place in an array, someone waiting for it,
 * a submit depending on it.  Most queued jobs have none.  Freed with the
 * job. */
struct sjob_opt {
	int64_t timeout_ms;
	int64_t array_id, array_index;
	struct waiter_list waiters;
	int32_t kill_grace_ms, retry_delay_ms; /* at most a day
	                          (PROTO_MAX_GRACE_MS, _RETRY_DELAY_MS):
	                          set through dispatch_ms32() */
	int max_retries;
	int pins;              /* pending submits that depend on it */
};

/* A job in the table of active jobs.  Compact (104 bytes): a million
 * queued jobs are a million of these.  What only a claimed job needs is in
 * run, what few jobs have in opt; the small fields in bit-fields at the
 * end.  Its owner is node.uid (set by dispatch_add), its slots and
 * resources sched_node_res(&node) (NULL: one slot, none; dispatch_res.c,
 * freed with the job).  Reads of opt's members go through the
 * dispatch_opt_*() accessors below, which give the defaults when there is
 * no opt. */
struct sjob {
	struct sched_node node;   /* node.id is the job's id */
	int64_t submitted_at;
	struct sjob_run *run;  /* NULL until claimed (dispatch_run) */
	struct sjob_opt *opt;  /* NULL: every option at its default */
	struct sjob *hnext;        /* hash chain */
	int attempts;          /* as dispatch decided it (with state) */
	unsigned state:4;      /* jobq_state, as dispatch decided it;
	                          changed only by dispatch_transition() */
	unsigned phase:4;      /* enum sjob_phase */
	unsigned cancel_req:1; /* a cancel arrived */
	unsigned timed_out:1;  /* its timeout fired */
	unsigned gone:1;       /* left the table, kept only while pinned */
	unsigned on_end:1;     /* it has its own end hook (hook.h) */
	unsigned slurm:1;      /* this run is (to be) on Slurm */
	unsigned res_held:1;   /* HELD in the scheduler only because it asks
	                          more than the pool has (its row is not held;
	                          dispatch_res_job), until an edit fixes it */
};
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(struct sjob) <= 104, "struct sjob grew: a queued job's "
    "memory is counted (README, Benchmark)");
#endif
TAILQ_HEAD(sjob_list, sjob);

/* A duration of at most a day (kill_grace_ms, retry_delay_ms: the protocol
 * bounds them) as struct sjob keeps it; a row's out-of-range value clamped. */
static inline int32_t
dispatch_ms32(int64_t ms)
{
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int32_t)ms;
}

/* j's slot (-1: none) and the start of its attempt (0: not started): a
 * queued job's defaults while it has no run. */
static inline int
dispatch_run_slot(const struct sjob *j)
{
	return j->run != NULL ? j->run->slot : -1;
}

static inline int64_t
dispatch_run_started(const struct sjob *j)
{
	return j->run != NULL ? j->run->started_at : 0;
}

/* j's options (struct sjob_opt), their defaults while it has none. */
static inline int64_t
dispatch_opt_timeout(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->timeout_ms : 0;
}

static inline int32_t
dispatch_opt_kill_grace(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->kill_grace_ms : 0;
}

static inline int32_t
dispatch_opt_retry_delay(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->retry_delay_ms : 0;
}

static inline int
dispatch_opt_max_retries(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->max_retries : 0;
}

static inline int64_t
dispatch_opt_array_id(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->array_id : 0;
}

static inline int64_t
dispatch_opt_array_index(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->array_index : 0;
}

static inline int
dispatch_opt_pins(const struct sjob *j)
{
	return j->opt != NULL ? j->opt->pins : 0;
}

static inline int
dispatch_opt_waited(const struct sjob *j)
{
	return j->opt != NULL && !TAILQ_EMPTY(&j->opt->waiters);
}

#define SJOB(n) ((struct sjob *)((char *)(n) - offsetof(struct sjob, node)))
#define SJOB_ID(j) ((j)->node.id)

struct dispatch {
	uv_loop_t *loop;
	struct store *store;
	struct pool *pool;
	struct sched *sched;
	struct sched_res_pool *res;  /* slots and resources (dispatch_res.c) */
	struct stats *stats;
	struct metrics metrics;      /* since start (metrics.h) */
	int64_t started_mono;        /* util_mono_ms() at dispatch_start */
	struct dispatch_config conf;  /* its strings are ours (strdup) */
	/* the table (dispatch.c) */
	struct sjob **buckets;
	size_t nbuckets, njobs;
	/* claims and slots (dispatch.c, dispatch_slot.c) */
	struct sjob_list reserved;   /* claimed, waiting for a free worker */
	size_t nreserved, nclaiming;
	size_t npaired;              /* submits whose INSERT carries its claim
	                                (dispatch_submit.c), not yet done */
	int nslots;
	int64_t *slot_job;           /* job in slot i, 0 = none */
	int64_t *slot_next;          /* job sent ahead to slot i (begun by
	                                its worker after slot_job), 0 = none */
	int64_t *slot_last_ms;       /* how long slot i's last job ran */
	int *slot_up;                /* set by ready(), cleared by lost() */
	uv_timer_t due_timer;        /* the next delayed job's start time */
	uv_timer_t ahead_timer;      /* the next job ahead to take back
	                                (--run-ahead, dispatch_slot.c) */
	/* store ops (dispatch_op.c) */
	size_t inflight;             /* store ops not yet done */
	uv_timer_t retry_timer;      /* parked ops, re-dispatch (disk full) */
	int retry_armed;
	struct store_op *parked, *parked_tail;
	int stop_retries;
	/* retention (dispatch_purge.c) */
	uv_timer_t retention_timer;
	int retention_armed;
	/* giving memory back (dispatch_mem.c) */
	uv_timer_t trim_timer;
	int trim_armed;
	size_t trim_peak;            /* most jobs in the table since the last
	                                trim */
	/* requests held until something happens */
	struct awaiter_list awaiters; /* dispatch_array.c */
	struct watcher_list watchers; /* dispatch_watch.c */
	/* shutdown (dispatch.c) */
	int shutting_down;
	void (*shutdown_done)(void *);
	void *shutdown_arg;
	int pool_stopping;
	int nclosing;                /* timers being closed */
	/* --metrics-file (dispatch_stats.c) */
	uv_timer_t metrics_timer;
	int metrics_failing;         /* the last write failed (logged once) */
	/* recurring schedules (dispatch_schedule.c) */
	struct dsched *schedules;    /* a list, in id order */
	uv_timer_t schedule_timer;   /* the earliest next fire */
	int schedule_running;        /* inside dispatch_schedule_run */
	/* the Slurm executor (dispatch_slurm.c): NULL until a job goes
	 * there or is found there at start-up */
	struct dslurm *slurm;
	uint32_t slurm_instance;     /* store_recovery.instance */
	size_t slurm_nclaiming;      /* claims of runs for Slurm in flight */
	/* hooks (dispatch_hook.c, hook.c) */
	struct hook *hook;           /* NULL: none can run (no exe) */
	char **armed;                /* queues whose drain runs on-drained */
	size_t narmed, armed_cap;
	/* the queues' executors (dispatch_exec.c); NULL: all local */
	struct dispatch_exec *exec;
};

/* What a store op carries back to its done callback. */
struct op_ctx {
	struct dispatch *s;
	struct sjob *job;
	struct dispatch_req *r;   /* NULL once the client has gone */
	cJSON *json;          /* submit/list: the request, freed after the reply */
	void *extra;          /* submit: proto_submit; logs: logs_req; list: filter */
	char *msg;            /* a message the op points to */
	char **strv;          /* claim: its JOBQ_RES_* variables */
	int kind;
	int64_t arg, arg2;    /* per kind */
	struct pdep *pdeps;   /* submit: its dependencies, resolved */
	size_t npdeps;
	jobq_dep *deps;       /* submit: the expanded list the INSERT stores */
	int64_t *ids;         /* lookup: the ids asked for */
	struct sjob **jobs;   /* submit, retry: the new jobs' bookkeeping,
	                         allocated before the write; entries left
	                         non-NULL are freed with the context */
	size_t njobs;
	size_t nreserved;     /* submit: places held for its jobs under the
	                         owner's queued caps (sched_fair_reserve) */
	uid_t owner;          /* submit: whose they are */
	struct store_op *claim; /* submit: the claim paired with its INSERT */
	/* an internal submit (dispatch_submit_internal): who submits, the
	 * schedule's name and fire for its INSERT, and its outcome's
	 * callback */
	uid_t by;
	const char *schedule;
	const struct store_schedule_fire *fire;
	void (*then)(struct dispatch *, void *arg, int status, int64_t id);
	void *then_arg;
};

/* What a request on one job wants done once its id is known. */
enum dispatch_rk { RK_GET, RK_WAIT, RK_CANCEL, RK_LOGS, RK_PRIORITY, RK_RETRY,
	RK_HOLD, RK_RELEASE, RK_HISTORY };

/* What a request wants of a job that has left the table. */
enum dispatch_ended {
	ENDED_WAIT, ENDED_CANCEL, ENDED_LOGS, ENDED_PRIORITY, ENDED_RETRY,
	ENDED_HOLD, ENDED_RELEASE, ENDED_EDIT
};

/* What a STORE_COUNTS op answers. */
enum dispatch_ck { CK_QUEUE_LIST, CK_QUEUE_SET, CK_STATS, CK_METRICS,
	CK_METRICS_FILE };

/* A logs request. */
struct logs_req {
	int64_t id;
	int stream;
	uint64_t offset;
	size_t max;
};

/* ---- dispatch_submit.c (shared with dispatch_batch.c) ---- */
struct proto_submit;
/* The STORE_INSERT input common to a submit and a batch job, state queued. */
void dispatch_submit_fill(struct store_op *, const struct proto_submit *,
    uint32_t uid, int64_t now);

/* ---- dispatch.c ---- */
struct sjob *dispatch_find(const struct dispatch *, int64_t id);
/* A job's bookkeeping, zeroed: NULL when out of memory (FAULT_ALLOC). */
struct sjob *dispatch_job_alloc(void);
/* Start-up: room for n jobs found queued in one slab (if n is large), then
 * one of them (from it while it lasts; NULL: out of memory). */
void dispatch_job_slab_new(size_t n);
struct sjob *dispatch_job_alloc_recovered(void);
/* ... and once they are all in: no more from the slab, and its pages are
 * given back as their jobs go (slab_seal). */
void dispatch_job_slab_seal(void);
/* Enters j (from dispatch_job_alloc) in the table, state queued, not yet in
 * the scheduler. */
void dispatch_add(struct dispatch *, struct sjob *j, int64_t id, int attempts,
    int max_retries, uid_t owner);
void dispatch_unpin(struct sjob *);
/* j's run, made (slot -1) if it has none: out of memory is fatal. */
struct sjob_run *dispatch_run(struct sjob *j);
/* j's opt, allocated (every member 0, no waiter) if it has none; out of
 * memory is fatal, as for dispatch_run(). */
struct sjob_opt *dispatch_opt(struct sjob *j);
/* Sets j's options; an opt is allocated only if one of them is not 0. */
void dispatch_opt_set(struct sjob *j, int64_t timeout_ms,
    int64_t kill_grace_ms, int64_t retry_delay_ms, int64_t array_index);
/* j, just taken from the scheduler by sched_next(), is claimed. */
void dispatch_claim(struct dispatch *, struct sjob *j, int64_t now);
/* j, just taken from the scheduler by sched_next(), was claimed by op (a
 * STORE_CLAIM committed already): on to the worker as dispatch_claim's. */
void dispatch_claim_adopt(struct dispatch *, struct sjob *j);
/* The done callback of a claim (dispatch_claim's, or an adopted one). */
void dispatch_claim_done(struct store_op *);
void dispatch_remove(struct dispatch *, struct sjob *);
/* Sets up j's scheduler node (NEW); the queue must exist or be creatable. */
void dispatch_node_init(struct dispatch *, struct sjob *j, const char *queue,
    int priority, int64_t not_before, int64_t array_id, int throttle);
/* sched_add(): 1 if the job is doomed by a dependency. */
int dispatch_sched_add(struct dispatch *, struct sjob *, int64_t now);
void dispatch_transition(struct sjob *, enum job_event, int exit_code,
    struct job_outcome *);
void dispatch_dispatch(struct dispatch *);
void dispatch_reserve(struct dispatch *, struct sjob *, int at_head);
void dispatch_unreserve(struct dispatch *, struct sjob *);
void dispatch_end(struct dispatch *, struct sjob *, enum job_event,
    int exit_code, int sig, const char *message);
/* dispatch_end() recording what the run used (usage: NULL, none) and a
 * history row written with the end (note: NULL, none; its strings must
 * live until the end's op is done). */
void dispatch_end_usage(struct dispatch *, struct sjob *, enum job_event,
    int exit_code, int sig, const char *message,
    const struct store_usage *usage, const struct store_note *note);
void dispatch_cancel_job(struct dispatch *, struct sjob *);
/* dispatch_cancel_job() by uid, noted in the job's history ("cancel",
 * detail: NULL or a string that outlives the op, such as a literal).  A job
 * still queued ends with its note in the same write. */
void dispatch_cancel_job_by(struct dispatch *, struct sjob *, uid_t,
    const char *detail);
/* dispatch_cancel_job_by() for each job of ids[0..n-1] still in the
 * table, the queued ones in one write per chunk of them (dispatch_end.c). */
void dispatch_cancel_ids(struct dispatch *, const int64_t *ids, size_t n,
    uid_t, const char *detail);
unsigned dispatch_kill_grace(const struct dispatch *, const struct sjob *);
void dispatch_maybe_finish_shutdown(struct dispatch *);
/* The scheduler's callback: n can never start (a dependency failed). */
void dispatch_sched_canceled(void *arg, struct sched_node *n);

/* ---- dispatch_start.c ---- */
/* A job from a recovery row (found queued, or adopted from Slurm) enters
 * the table, state queued, with sq's settings and its scheduler node (NEW);
 * not its hold, slots or resources, nor the scheduler.  NULL when out of
 * memory. */
struct sjob *dispatch_start_row(struct dispatch *,
    const struct store_queued *sq);

/* ---- dispatch_exec.c ---- */
/* The executors of rec's queues into the table; 0 or JOBQ_ENOMEM. */
int dispatch_exec_start(struct dispatch *, const struct store_recovery *rec);
/* queue's executor is now exec_text (the canonical text of proto.h's
 * proto_exec_text; NULL: local), once its queue_set committed. */
void dispatch_queue_exec(struct dispatch *, const char *queue,
    const char *exec_text);
/* queue's executor text, NULL: local; 1 if its jobs go to Slurm. */
const char *dispatch_exec_text(const struct dispatch *, const char *queue);
int dispatch_exec_is_slurm(const struct dispatch *, const char *queue);
void dispatch_exec_free(struct dispatch *);

/* ---- dispatch_access.c ---- */
/* May r cancel, reprioritize, retry or purge a job of owner's (owner or
 * admin)?  Is r an administrator (any job; queue settings)? */
int dispatch_may_touch(const struct dispatch_req *, uid_t owner);
int dispatch_privileged(const struct dispatch_req *);
/* May r read the output of a job of owner's (owner, root, jobqd's uid)? */
int dispatch_may_read_output(const struct dispatch_req *, uid_t owner);
/* What r sees of a job of owner's. */
enum dispatch_view {
	DISPATCH_VIEW_NONE,     /* nothing: not found (visibility private) */
	DISPATCH_VIEW_LIMITED,  /* id, owner, queue, state and times */
	DISPATCH_VIEW_FULL
};
enum dispatch_view dispatch_view(const struct dispatch_req *, uid_t owner);
/* job as r may see it: job itself, tmp filled with the limited view (its
 * strings point into job), or NULL (not to be shown). */
const jobq_job *dispatch_view_job(const struct dispatch_req *,
    const jobq_job *job, jobq_job *tmp);
/* Replies the refusal of verb ("cancel") on what ("job", "array") id of
 * owner's: JOBQ_EPERM naming who may, or not found when r may not even
 * see it. */
void dispatch_refuse(struct dispatch *, struct dispatch_req *,
    const char *what, int64_t id, uid_t owner, const char *verb);
/* Replies JOBQ_EPERM: only administrators may do action. */
void dispatch_refuse_admin(struct dispatch *, struct dispatch_req *,
    const char *action);

/* The refusal of a logs request on job id of owner's. */
void dispatch_logs_refuse(struct dispatch *, struct dispatch_req *,
    int64_t id, uid_t owner);

/* ---- dispatch_op.c ---- */
/* dispatch_op_new / dispatch_op_ctx: out of memory is fatal (a state change
 * must be recorded); the _try forms return NULL instead. */
struct store_op *dispatch_op_new(struct dispatch *, enum store_op_type,
    void (*done)(struct store_op *), void *data);
struct store_op *dispatch_op_try(enum store_op_type,
    void (*done)(struct store_op *), void *data);
struct op_ctx *dispatch_op_ctx(struct dispatch *, struct sjob *,
    struct dispatch_req *);
struct store_op *dispatch_op_for(struct dispatch *, struct dispatch_req *,
    enum store_op_type, void (*done)(struct store_op *));
struct op_ctx *dispatch_op_ctx_try(struct dispatch *, struct sjob *,
    struct dispatch_req *);
/* Frees a context that never went with a submitted op (what it owns too;
 * its request must have been answered or be NULL). */
void dispatch_op_ctx_free(struct op_ctx *);
void dispatch_op_submit(struct dispatch *, struct store_op *);
/* dispatch_op_submit through store_submit_lazy (nobody waits on it). */
void dispatch_op_submit_lazy(struct dispatch *, struct store_op *);
/* Frees op and its context (a done callback's last call). */
void dispatch_op_finish(struct store_op *);
/* r waits for c's op: if the client goes, c->r becomes NULL. */
void dispatch_op_hold(struct dispatch_req *, struct op_ctx *);
/* 1 if op failed for lack of space and was parked for another try. */
int dispatch_op_park(struct dispatch *, struct store_op *);
void dispatch_op_arm_retry(struct dispatch *);
/* Done callback of a state change nobody waits for. */
void dispatch_op_update_done(struct store_op *);
/* An UPDATE op for job id, every field "unchanged". */
struct store_op *dispatch_op_update(struct dispatch *, int64_t id,
    void (*done)(struct store_op *), struct op_ctx *);

/* ---- dispatch_submit.c, for dispatch_batch.c ---- */
/* The checks of one submit before its INSERT: the output limit, its
 * identity (ident_submit: sub->run_uid, run_gid), its resource limits
 * (sub->limits resolved).  0, or an error code with msg. */
int dispatch_submit_admit(const struct dispatch *, const struct dispatch_req *,
    struct proto_submit *, char *msg, size_t msglen);
/* owner's caps on queued jobs for n more in queue: 0 with the places held
 * (sched_fair_reserve in *q), JOBQ_ETOOBIG with msg, or JOBQ_ENOMEM. */
int dispatch_submit_caps_take(struct dispatch *, uid_t owner,
    const char *queue, size_t n, struct sched_queue **q, char *msg,
    size_t msglen);

/*
 * A submit of jobqd's own (a schedule's fire): the job sub (malloc'd,
 * decoded from json; both consumed) of uid, checked as uid's submit
 * (dispatch_submit_admit) and its caps; with after_id > 0 it depends on
 * that job (any outcome) if it is still active; schedule and fire go on
 * its INSERT (they must stay valid until then() is called).  0: then() is
 * called exactly once, possibly before this returns, with 0 and the new
 * job's id or an error; or an error with msg (then() is not called).
 */
int dispatch_submit_internal(struct dispatch *, cJSON *json,
    struct proto_submit *sub, uid_t uid, int64_t after_id,
    const char *schedule, const struct store_schedule_fire *fire,
    void (*then)(struct dispatch *, void *, int, int64_t), void *arg,
    char *msg, size_t msglen);

/* ---- dispatch_schedule.c ---- */
struct dsched;
/* Loads the schedules of rec and arms the timer (start-up). */
int dispatch_schedule_start(struct dispatch *, const struct store_recovery *);
void dispatch_schedule_stop(struct dispatch *);   /* shutdown: the timer */
void dispatch_schedule_free(struct dispatch *);   /* the end: memory */
/* The totals the stats reply shows: schedules r may see, their runs,
 * skips and misses. */
void dispatch_schedule_totals(const struct dispatch *,
    const struct dispatch_req *, int64_t out[4]);

/* ---- dispatch_reply.c ---- */
void dispatch_reply(struct dispatch_req *, cJSON *reply);
void dispatch_reply_error(struct dispatch_req *, int err, const char *msg);
void dispatch_reply_status(struct dispatch_req *, int err);
/* rep from one of the codec's reply encoders; NULL (out of memory): a
 * nomem error instead. */
void dispatch_reply_encoded(struct dispatch_req *, cJSON *rep);
void dispatch_reply_job(struct dispatch_req *, const jobq_job *);
/* A list reply of the jobs r may see, as it may see them. */
void dispatch_reply_jobs(struct dispatch_req *, jobq_job *const *jobs,
    size_t n, int64_t total);
/* dispatch no longer holds r (it passes it on, or r was abandoned). */
void dispatch_reply_detach(struct dispatch_req *);

/* ---- dispatch_slot.c ---- */
extern const struct pool_callbacks dispatch_slot_callbacks;
void dispatch_slot_send(struct dispatch *, struct sjob *, int slot);
int dispatch_slot_find_free(const struct dispatch *);
int dispatch_slot_nfree(const struct dispatch *);
int dispatch_slot_nbusy(const struct dispatch *);
int dispatch_slot_find_ahead(const struct dispatch *);
int dispatch_slot_fits_now(const struct dispatch *, const struct sjob *);
int dispatch_slot_stop(struct dispatch *, struct sjob *, unsigned grace_ms,
    int interrupt);
int dispatch_slot_nahead(const struct dispatch *, int *cap);
void dispatch_slot_withdraw(struct dispatch *, size_t spare);
void dispatch_slot_unstrand(struct dispatch *);
void dispatch_unclaim(struct dispatch *, struct sjob *, int record);
void dispatch_cancel_unstarted(struct dispatch *, struct sjob *);
void dispatch_slot_timeout_stop(struct sjob *);
/* Arms j's --timeout from j->started_at. */
void dispatch_slot_timeout_start(struct dispatch *, struct sjob *);
/* ---- dispatch_slurm.c ---- */
void dispatch_slurm_claimed(struct dispatch *, struct sjob *,
    const struct store_op *claim);
void dispatch_slurm_dispatch(struct dispatch *, int64_t now);
void dispatch_slurm_cancel(struct dispatch *, struct sjob *);
void dispatch_slurm_timeout(struct dispatch *, struct sjob *);
int dispatch_slurm_start(struct dispatch *, const struct store_recovery *);
void dispatch_slurm_shutdown(struct dispatch *);
int dispatch_slurm_busy(const struct dispatch *);
void dispatch_slurm_free(struct dispatch *);
/* 0 if Slurm is not in use, else 1 with *out filled. */
int dispatch_slurm_info(const struct dispatch *, jobq_slurm_info *out);

/* ---- dispatch_ref.c ---- */
/* 1 if ref names a task by index: its id is being looked up, then the
 * request goes on as `kind`. */
int dispatch_ref_resolve(struct dispatch *, struct dispatch_req *,
    const struct dispatch_ref *, enum dispatch_rk kind, int64_t arg,
    void *extra);
/* The job is not active: look it up (a read ordered after every write). */
void dispatch_get_id(struct dispatch *, struct dispatch_req *, int64_t id);
void dispatch_ref_ended(struct dispatch *, struct dispatch_req *, int64_t id,
    enum dispatch_ended kind, struct logs_req *lr);

/* ---- dispatch_wait.c ---- */
void dispatch_wait_id(struct dispatch *, struct dispatch_req *, int64_t id,
    int64_t timeout_ms);
/* r waits for j's end (timeout_ms < 0: for ever). */
int dispatch_wait_add(struct dispatch *, struct sjob *j, struct dispatch_req *,
    int64_t timeout_ms);
/* j's end has committed: answers its waiters with the row read back and
 * removes j from the table; with hooks, the row read back also goes to
 * dispatch_hook_ended. */
void dispatch_wait_ended(struct dispatch *, struct sjob *j, int hooks);

/* ---- dispatch_hook.c ---- */
/* Whether j's end runs a hook (its own on_end, or its queue's on-end). */
int dispatch_hook_wants(const struct dispatch *, const struct sjob *j);
/* Runs the end hooks of job (its committed row). */
void dispatch_hook_ended(struct dispatch *, const jobq_job *job);
/* A job entered j's queue: its next drain runs on-drained. */
void dispatch_hook_arm(struct dispatch *, const struct sjob *j);
/* j's end has committed: on-drained, if its queue is armed and empty. */
void dispatch_hook_drained(struct dispatch *, const struct sjob *j);
void dispatch_hook_free(struct dispatch *);
void dispatch_wait_shutdown(struct sjob *j);

/* ---- dispatch_array.c ---- */
/* kind RK_GET / RK_WAIT / RK_CANCEL on array id. */
void dispatch_array_op(struct dispatch *, struct dispatch_req *,
    enum dispatch_rk kind, int64_t id, int64_t timeout_ms);
/* A task of j->array_id left the table. */
void dispatch_array_task_gone(struct dispatch *, struct sjob *j);
void dispatch_array_shutdown(struct dispatch *);

/* ---- dispatch_watch.c ---- */
/* A state change of j has committed: tell the watchers.  exit_code < 0,
 * sig 0 and reason NULL are left out, as is not_before unless the job is
 * queued with a start time in the future. */
void dispatch_watch_event(struct dispatch *, const struct sjob *j,
    jobq_state st, int exit_code, int sig, const char *reason,
    int64_t not_before);
void dispatch_watch_shutdown(struct dispatch *);

/* ---- dispatch_logs.c ---- */
/* The spec of j's run, from its claim op (a STORE_CLAIM that committed),
 * into j->spec: argv, env, cwd and the output files (wire.h).  0 or a
 * JOBQ_E* code of wire_spec_pack_out(). */
int dispatch_logs_spec(struct dispatch *, struct sjob *j,
    const struct store_op *op);
/* The descriptor of the logs directory (LOGS/UID/ are opened from it;
 * the purge unlinks there too). */
int dispatch_logs_dirfd(const struct dispatch *);
/* lr is consumed. */
void dispatch_logs_id(struct dispatch *, struct dispatch_req *,
    struct logs_req *lr);
/* Replies to r with the slice lr of the output of a job of owner (ended:
 * the job has ended); r's right to it checked already. */
void dispatch_logs_reply(struct dispatch *, struct dispatch_req *,
    const struct logs_req *lr, uid_t owner, int ended);
/* Whether r may read the output of a job of owner: the owner or root (an
 * unprivileged jobqd: its own uid too). */
/* The logs request lr for a job that has left the table (its row job):
 * checks r's right, then replies. */
void dispatch_logs_ended(struct dispatch *, struct dispatch_req *,
    const struct logs_req *lr, const jobq_job *job);
/* The message of j's run that failed at stage with err when it is about
 * the output directories or files (WIRE_STAGE_LOGS_DIR, _USER_DIR,
 * _OUTPUT_REFUSED, a symlink at _OUTPUT_TAKEN): 1 with msg written, else
 * 0. */
int dispatch_logs_spawn_message(const struct sjob *j, int stage, int err,
    char *msg, size_t len);

/* ---- dispatch_mem.c ---- */
/* A job left the table (njobs is down by one): if the table has shrunk by
 * many jobs since its peak, free memory goes back to the system within a
 * second. */
void dispatch_mem_kick(struct dispatch *);

/* ---- dispatch_purge.c ---- */
/* Retention now (start-up) / within a second (a job ended). */
void dispatch_purge_retention(struct dispatch *);
void dispatch_purge_kick(struct dispatch *);

/* ---- dispatch_queue.c ---- */
void dispatch_queue_counts(struct dispatch *, struct dispatch_req *,
    enum dispatch_ck kind, const char *queue);
void dispatch_queue_info(const struct store_queue *, jobq_queue_info *);

/* ---- dispatch_edit.c ---- */
/* RK_HOLD, RK_RELEASE, RK_HISTORY on job id (a task's, resolved). */
void dispatch_edit_by_kind(struct dispatch *, struct dispatch_req *,
    int kind, int64_t id);
void dispatch_history_id(struct dispatch *, struct dispatch_req *,
    int64_t id);
/* A history row alone for job id (what, detail copied): a cancel, a
 * retry, by uid. */
void dispatch_edit_note(struct dispatch *, int64_t id, uid_t uid,
    const char *what, const char *detail);

/* ---- dispatch_stats.c ---- */
/* --metrics-file: the timer that rewrites it; its write once op (a
 * STORE_COUNTS of kind CK_METRICS_FILE) has read the counts. */
void dispatch_metrics_file_start(struct dispatch *);
void dispatch_metrics_file_write(struct dispatch *, const struct store_op *op);
/* The stats reply from the counts of op (a STORE_COUNTS); NULL when out of
 * memory. */
cJSON *dispatch_metrics_reply(struct dispatch *, const struct store_op *);
/* (r: the schedules it may see are counted) */
cJSON *dispatch_stats_reply(struct dispatch *, const struct dispatch_req *r,
    const struct store_op *op);
/* reply with "slurm" added while Slurm is in use (dispatch_slurm_info);
 * reply NULL or freed on failure: NULL.  Of stats and queue_list. */
cJSON *dispatch_stats_slurm(const struct dispatch *, cJSON *reply);

/* dispatch_res.c */
int dispatch_res_start(struct dispatch *, const struct dispatch_config *);
/* 0, or JOBQ_EINVAL with msg: a request the pool can never meet. */
int dispatch_res_admit(const struct dispatch *, const struct proto_submit *,
    char *msg, size_t msglen);
/* 1 if the submit asks one slot and no resource, and a slot is free for
 * it now (dispatch_submit_pairable). */
int dispatch_res_pairable(const struct dispatch *,
    const struct proto_submit *);
/* j (node initialised, not added) asks slots and res (NULL: none). */
void dispatch_res_job(struct dispatch *, struct sjob *j, int slots,
    const char *res);
/* 1 if j asks more than the pool has in all (it stays held in the
 * scheduler: a release leaves it so). */
int dispatch_res_impossible(const struct dispatch *, const struct sjob *j);
/* An edit of j's slots and res (e->set JOBQ_EDIT_SLOTS, _RES) checked
 * against the pool as a submit's: 0 with *out the new request (malloc'd;
 * NULL: one slot, none), or JOBQ_EINVAL with msg.  Nothing changes. */
int dispatch_res_edit_check(const struct dispatch *, const struct sjob *j,
    const struct proto_edit *e, struct sched_res_req **out, char *msg,
    size_t msglen);
/* j (queued) asks r (from dispatch_res_edit_check; consumed) from now on;
 * a job held only for asking too much is placed again. */
void dispatch_res_edit_apply(struct dispatch *, struct sjob *j,
    struct sched_res_req *r);
/* The claim op of j (just taken by sched_next) gets what j was given. */
void dispatch_res_claim(struct dispatch *, struct sjob *j,
    struct store_op *op, struct op_ctx *c);
/* reply with "usage" added (reply NULL or freed on failure: NULL). */
cJSON *dispatch_res_usage(const struct dispatch *, cJSON *reply);
/* Frees an sjob and what it owns (dispatch.c). */
void dispatch_job_free(struct sjob *j);

#endif
