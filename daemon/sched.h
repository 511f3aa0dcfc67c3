/*
 * sched.h - the scheduler's policy: which queued job runs next.  Pure code:
 * no I/O, no clock (callers pass `now`), no libuv, no SQLite; only the loop
 * thread calls it.  dispatch.c embeds a struct sched_node in each of its jobs
 * and drives it; tests/check_sched.c drives it directly.
 *
 * A node is in one of these scheduling states:
 *
 *            sched_add                       deps all met, not_before <= now
 *   (new) -----------> BLOCKED (npending > 0) ------------------------+
 *              |              | deps met, not_before > now            |
 *              |              v                                       v
 *              +--------> DELAYED (time heap) --due (sched_due)--> READY
 *              |                                                      |
 *              +------------------------------------------------------+
 *                                                                     |
 *        sched_requeue (retry / unclaim) <-- RUNNING <--sched_next----+
 *                                               |
 *   sched_finish (from any state) ----------> DONE (caller frees it)
 *
 * READY nodes wait in a heap of their owner's (n->uid) in their queue,
 * ordered by priority (higher first), then id (lower first: FIFO).  Tasks
 * of a throttled array wait in the array's own heap; the array appears in
 * its owner's heap as one entry (keyed by its best task) while fewer than
 * `throttle` of its tasks run.  A queue's heap holds one entry per user with
 * READY nodes there (sched_fair.c), ordered by the priority of her best
 * node, then by when she last started a job (least recently first), then
 * that node's id.  So a higher priority goes first whoever owns it; among
 * equal priorities users take turns, one start each (fair share: one
 * user's 100,000-task array does not starve another user's single job,
 * which starts at the next start); and a user alone sees plain priority,
 * then FIFO.  A user at a running cap of the configuration (user-max-running
 * over all queues or in the queue, max-running of [user NAME]; read through
 * sched_fair_conf()'s pointer at each decision) is skipped and the others
 * go ahead.  sched_next() looks at the head of every queue that is neither
 * paused nor at its parallel limit and takes the best one: O(Q + (C + Qu +
 * 1) log n) for Q queues and n queued jobs, where C is the users skipped at
 * their caps (0 without caps) and Qu the queues of the user who starts.
 * The global cap (the workers) is the caller's: it calls sched_next() only
 * while it has a free worker.  Caps on queued jobs are the caller's too
 * (sched_fair_nqueued, sched_fair_reserve).
 *
 * Dependencies: sched_dep_add() links a node to a live dependency node;
 * sched_dep_ended() accounts for a dependency that has already ended.  When a
 * node finishes, each dependent edge is evaluated: ok holds iff the
 * dependency succeeded, notok iff it did not, any always.  A dependency that
 * holds decrements npending; one that can never hold dooms the dependent,
 * which is finished as failed (canceled, reason "dependency") at once, and so
 * on transitively; the caller learns of each through the `canceled` callback.
 */
#ifndef JOBQD_SCHED_H
#define JOBQD_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCHED_MAX_NAME 256

enum sched_dep_mode { SCHED_DEP_OK, SCHED_DEP_NOTOK, SCHED_DEP_ANY };

enum sched_state {
	SCHED_NEW = 0,   /* initialised, not yet added */
	SCHED_BLOCKED,   /* waiting for dependencies */
	SCHED_DELAYED,   /* dependencies met, waiting for not_before */
	SCHED_READY,     /* may run now */
	SCHED_HELD,      /* held (sched_edit.c): never started until released */
	SCHED_RUNNING,   /* handed out by sched_next() */
	SCHED_DONE       /* finished; no longer referenced by the scheduler */
};

struct sched;
struct sched_queue;
struct sched_array;
struct sched_edge;
struct sched_uq;
struct sched_res_req;
struct sched_link;
struct conf;

/* Embedded in the caller's job; the caller owns the memory.  Fields marked
 * (ro) are the scheduler's; the caller reads them only.  64 bytes on LP64
 * (asserted below): a million queued jobs carry a million of these
 * (bench/backlog.sh).  What few nodes need (dependency edges, the pending
 * count, sched_edit_cycle's mark, a slots/resources request) is in a side
 * record, `link`, allocated only when the node first needs it: an edge to
 * or from it (sched_dep_add, sched_edit_dep_add) or a request
 * (sched_node_set_res, sched_edit_res).  What it holds is read through
 * the accessors below (sched_node_res, sched_node_in, ...); its layout is
 * the scheduler's. */
struct sched_node {
	int64_t id;                 /* FIFO order among equal priorities */
	int64_t not_before;         /* ms; 0 = none */
	struct sched_queue *queue;  /* required */
	struct sched_array *array;  /* NULL unless an array task */
	struct sched_uq *uq;        /* (ro) its user's place in its queue */
	struct sched_link *link;    /* (ro) the side record (sched_int.h):
	                               its edges, its pending count, its
	                               request; NULL (sched_node_init): none,
	                               so no edge, nothing pending, one slot
	                               and no resource */
	int priority;
	uid_t uid;                  /* owner: set before sched_add (0 by
	                               sched_node_init); one per array */
	uint32_t heap_idx;          /* (ro) SCHED_NOIDX: in no heap */
	uint8_t state;              /* (ro) enum sched_state */
	uint8_t doomed;             /* (ro) a dependency can never hold */
	uint8_t held;               /* set before sched_add to add it HELD;
	                               then (ro): sched_edit_hold/_release */
	uint8_t res_skip;           /* (ro) RUNNING in an external queue:
	                               took no slot or resource */
};
_Static_assert(sizeof(struct sched_node) <= 64,
    "struct sched_node: one per queued job, keep it within 64 bytes");

/* Called for every node the scheduler finishes on its own (a dependency
 * that can never hold): the node is DONE when this is called and the
 * caller must record it as canceled, reason "dependency".  Called in
 * dependency order (a node before the nodes that depend on it). */
typedef void (*sched_cancel_cb)(void *arg, struct sched_node *n);
/*
 * Precisely: each canceled node is reported after the node whose end doomed
 * it (the one sched_finish()ed, or an earlier canceled one), breadth first,
 * so chains and diamonds come in dependency order.  (If a doomed node also
 * depends on a node that is canceled later in the same cascade through a
 * longer path, it may be reported before that one.)  Inside the callback
 * n->array is still valid (the array is freed after the callback returns if
 * n was its last node); the caller may free n in the callback.  The
 * callback should not change the scheduler.
 */

struct sched *sched_new(sched_cancel_cb canceled, void *arg);
/* Frees the scheduler's own memory (queues, arrays, edges, heaps); nodes
 * belong to the caller.  Any node not DONE must not be used afterwards. */
void sched_free(struct sched *s);

/* ---- queues ---- */
/* The queue named name, created (parallel 0, not paused) if absent and
 * create is set; NULL if absent (or out of memory). */
struct sched_queue *sched_queue_get(struct sched *s, const char *name,
    int create);
/* parallel < 0 / paused < 0: unchanged. */
void sched_queue_set(struct sched *s, struct sched_queue *q, int parallel,
    int paused);
const char *sched_queue_name(const struct sched_queue *q);
int sched_queue_parallel(const struct sched_queue *q);
int sched_queue_paused(const struct sched_queue *q);
size_t sched_queue_nrunning(const struct sched_queue *q);
size_t sched_queue_nqueued(const struct sched_queue *q); /* BLOCKED+DELAYED+READY */
/* Iteration in name order: first(s), then next(s, q) until NULL. */
struct sched_queue *sched_queue_first(struct sched *s);
struct sched_queue *sched_queue_next(struct sched *s, struct sched_queue *q);

/* ---- arrays ---- */
/* The array with this id, created with `throttle` (0 = none) if absent and
 * create is set.  An array is freed when its last node is DONE. */
struct sched_array *sched_array_get(struct sched *s, int64_t id, int throttle,
    int create);
/*
 * Lifetime, precisely: a node counts for its array from a successful
 * sched_add() until it is DONE; the array is freed when that count drops
 * to 0 through sched_finish() or a cascade (the caller's node then has
 * n->array set to NULL by sched_finish()).  So do not keep an array pointer
 * across calls that end nodes (sched_finish, sched_add of a doomed node):
 * look it up again.  An array that never had a node added (e.g. every task
 * was doomed at sched_add()) is not freed by that; sched_array_release()
 * frees it at once (if it has no live node), else sched_free() does.  An existing array keeps its throttle (the argument
 * is then ignored); throttle < 0 counts as 0.
 */
void sched_array_release(struct sched *s, struct sched_array *a);
size_t sched_array_nrunning(const struct sched_array *a);
int64_t sched_array_id(const struct sched_array *a);
int sched_array_throttle(const struct sched_array *a);
size_t sched_array_nlive(const struct sched_array *a); /* added, not DONE */
size_t sched_narrays(const struct sched *s);

/* ---- nodes ---- */
/* Sets the node up (state NEW, no side record); queue/array must come
 * from this scheduler.  n must be zeroed, or released (sched_node_release)
 * if it was used before: a side record still attached would be lost. */
void sched_node_init(struct sched_node *n, int64_t id, int priority,
    int64_t not_before, struct sched_queue *q, struct sched_array *a);

/*
 * The side record.  A node's request (slots and resources, sched_res.c) is
 * the caller's storage: the node points at it and never frees it.
 * sched_node_set_res() sets it (NULL: one slot, no resource) on a node that
 * holds nothing by it (not RUNNING with its request taken; a queued node
 * is edited with sched_edit_res, which checks): 0, or -ENOMEM when a side
 * record is needed (r != NULL and none yet) and cannot be allocated
 * (nothing changed).  sched_node_res() reads it (NULL: one slot, none);
 * sched_node_slots() is the slots it asks (1 without a request).
 *
 * Lifetime: a node has a side record exactly while it has an edge (to a
 * dependency or from a dependent) or a request: the scheduler frees it as
 * soon as it holds neither (its last edge gone as a node ended, or a
 * dependency was met or removed; its request set to NULL).  Edges are all
 * gone when a node is DONE, so a DONE node keeps one only for its request,
 * which the caller may still read (sched_node_res) until it frees it.
 * sched_node_release() frees the side record, not the request (free that
 * first, through sched_node_res): the owner calls it before it frees a
 * node, or before sched_node_init() again, when the node is NEW (no edges:
 * a NEW node with edges is sched_finish()ed first) or DONE; it does
 * nothing on a node without one.  (On a node in another state only when
 * the scheduler goes too, just before or after sched_free(), which frees
 * the edges without reading the nodes: at shutdown.)  Afterwards the node
 * may be freed or sched_node_init()ed again.
 */
int sched_node_set_res(struct sched_node *n, struct sched_res_req *r);
struct sched_res_req *sched_node_res(const struct sched_node *n);
int sched_node_slots(const struct sched_node *n);
void sched_node_release(struct sched_node *n);
/* Reads: dependencies not yet met (0 without a side record); the first of
 * the edges to the nodes it depends on (in) and of those from the nodes
 * that depend on it (out), NULL if none: sched_node_out(n) == NULL means
 * "no live node depends on n". */
unsigned sched_node_npending(const struct sched_node *n);
const struct sched_edge *sched_node_in(const struct sched_node *n);
const struct sched_edge *sched_node_out(const struct sched_node *n);

/* Before sched_add(): n depends on the live node dep (not DONE) with mode.
 * Returns 0 or -ENOMEM (the edge, or a side record for n or dep, could not
 * be allocated: nothing changed).  dep may itself still be NEW (not yet
 * added). */
int sched_dep_add(struct sched *s, struct sched_node *n, struct sched_node *dep,
    enum sched_dep_mode mode);
/* Before sched_add(): a dependency of n that has already ended, successfully
 * or not.  Returns 1 if it holds, 0 if it can never hold (n is doomed). */
int sched_dep_ended(struct sched *s, struct sched_node *n,
    enum sched_dep_mode mode, int succeeded);

/* Adds a NEW node: BLOCKED, DELAYED or READY.  A doomed node is not added:
 * returns 1 and the node is DONE (no callback: the caller cancels it);
 * else returns 0.  Also returns -ENOMEM (the node is left NEW, edges and
 * all, nothing changed): sched_add is the only call that reserves memory,
 * so requeue/next/due/finish never fail.  If a doomed node already had
 * dependents (added after it was linked to), they are evaluated as if it
 * had failed, with callbacks, before sched_add returns. */
int sched_add(struct sched *s, struct sched_node *n, int64_t now);

/* Moves every DELAYED node due by now to READY. */
void sched_due(struct sched *s, int64_t now);
/* The earliest not_before among DELAYED nodes, or -1 if none. */
int64_t sched_next_due(const struct sched *s);

/* The best READY node that may start now (queue not paused and under its
 * limit, array under its throttle), made RUNNING; NULL if none.  Calls
 * sched_due(s, now) first.  Only nodes of local queues (not external). */
struct sched_node *sched_next(struct sched *s, int64_t now);

/*
 * External queues (sched_ext.c): a queue whose jobs run elsewhere (on
 * Slurm) competes for no worker slot and no resource of the pool.
 * sched_next() never returns their nodes; sched_next_ext() returns only
 * theirs, under the same rules otherwise (priority, fair share, caps,
 * pause, parallel limits, throttles).  A node taken from an external
 * queue holds no slot or resource (res_skip), even if its queue becomes
 * local while it runs.  sched_adopt() adds a NEW node directly as RUNNING:
 * a job found still running elsewhere at start-up (its dependencies held
 * when it started: add none).  -ENOMEM as sched_add().
 */
void sched_queue_set_external(struct sched_queue *q, int external);
int sched_queue_external(const struct sched_queue *q);
struct sched_node *sched_next_ext(struct sched *s, int64_t now,
    int external);
int sched_adopt(struct sched *s, struct sched_node *n);

/* A RUNNING node goes back to wait (a retry, or a claim undone):
 * DELAYED if not_before > now, else READY. */
void sched_requeue(struct sched *s, struct sched_node *n, int64_t not_before,
    int64_t now);

/* Changes the priority of a node that is not RUNNING or DONE.  (On a NEW or
 * RUNNING node it just sets the field: it counts from the next placing.) */
void sched_set_priority(struct sched *s, struct sched_node *n, int priority);

/* The node has ended (from any state but DONE): it becomes DONE, leaves
 * every structure, and its dependents are evaluated with `succeeded`
 * (transitively; canceled dependents are reported through the callback).
 * now is needed to place dependents that become runnable.  A NEW node may
 * be finished too (in-edges dropped, dependents evaluated).  Never
 * allocates. */
void sched_finish(struct sched *s, struct sched_node *n, int succeeded,
    int64_t now);

/* ---- holds and edits of queued nodes (sched_edit.c) ---- */
/*
 * Held is a property of a queued node, drawn as its own state: a HELD node
 * is in no heap, counts as queued (sched_nqueued, its queue, its user) and
 * keeps its dependency edges, so it never starts and never makes room for
 * anything (its dependents stay BLOCKED: it has not ended).  A dependency of
 * a HELD node that ends still counts (npending drops; one that can never
 * hold cancels the held node through the callback, as for a BLOCKED one).
 * Releasing places it as sched_add would: BLOCKED while dependencies are
 * pending, else DELAYED or READY by not_before.  A node added with
 * n->held set starts HELD.  None of these allocates but as said.
 */
/* A queued node (BLOCKED, DELAYED, READY, HELD) becomes HELD: 0, or
 * -EINVAL if it is not queued (RUNNING, NEW, DONE). */
int sched_edit_hold(struct sched *s, struct sched_node *n);
/* A HELD node is placed again: 0, or -EINVAL if it is not HELD. */
int sched_edit_release(struct sched *s, struct sched_node *n, int64_t now);
/* A queued node's start time (0: none), placed again if DELAYED/READY. */
void sched_edit_not_before(struct sched *s, struct sched_node *n,
    int64_t not_before, int64_t now);
/* A queued node moves to queue q (its user's caps there are the caller's
 * check): 0, -ENOMEM (nothing changed), or -EINVAL for a task of a
 * throttled array (its tasks share one queue) or a node not queued. */
int sched_edit_queue(struct sched *s, struct sched_node *n,
    struct sched_queue *q, int64_t now);
/* 1 if making n depend on dep would close a cycle (dep is n, or depends
 * on n through live edges), else 0; -ENOMEM.  O(nodes and edges
 * reached). */
int sched_edit_cycle(struct sched *s, struct sched_node *n,
    struct sched_node *dep);
/* A queued node n now also depends on the live node dep (not DONE; the
 * caller checked sched_edit_cycle): a DELAYED or READY n becomes BLOCKED.
 * 0 or -ENOMEM (nothing changed), -EINVAL if n is not queued. */
int sched_edit_dep_add(struct sched *s, struct sched_node *n,
    struct sched_node *dep, enum sched_dep_mode mode);
/* n no longer depends on dep: its edges to dep are dropped; a BLOCKED n
 * with nothing left pending is placed.  Returns the edges dropped. */
int sched_edit_dep_remove(struct sched *s, struct sched_node *n,
    struct sched_node *dep, int64_t now);
/* A queued node's slots and resources become r (the caller's storage, as
 * with sched_node_set_res; NULL: one slot, none; the old request is the
 * caller's to free): 0, -EINVAL (nothing changed) if n is not queued or r
 * asks more than the attached pool has in all, or -ENOMEM (nothing
 * changed) if n needs a side record for r and none can be allocated.  A
 * queued node holds nothing and the reservations are made afresh at each
 * sched_next(), so its place (rank) stays and nothing is leaked or counted
 * twice. */
int sched_edit_res(struct sched *s, struct sched_node *n,
    struct sched_res_req *r);

/* Counts. */
size_t sched_nqueued(const struct sched *s);   /* BLOCKED+DELAYED+READY */
size_t sched_nrunning(const struct sched *s);

/* ---- users: fair share and per-user caps (sched_fair.c) ---- */
/*
 * The running caps come from the configuration (conf_caps_global,
 * conf_caps_queue), read through *confp at every decision: the caller may
 * swap *confp (a reload) at any time between calls; confp NULL or *confp
 * NULL: no caps.  confp must stay valid while s lives.
 */
void sched_fair_conf(struct sched *s, const struct conf *const *confp);
/* uid's jobs queued (BLOCKED+DELAYED+READY) plus places reserved, in q, or
 * over all queues if q is NULL; and running. */
size_t sched_fair_nqueued(const struct sched *s, uid_t uid,
    const struct sched_queue *q);
size_t sched_fair_nrunning(const struct sched *s, uid_t uid,
    const struct sched_queue *q);
/* Counts n places as queued for uid in q before the jobs exist (a submit
 * between its cap check and its nodes' sched_add): 0 or -ENOMEM.
 * sched_fair_unreserve() gives them back (before the nodes are added, or
 * when the submit is dropped). */
int sched_fair_reserve(struct sched *s, uid_t uid, struct sched_queue *q,
    size_t n);
void sched_fair_unreserve(struct sched *s, uid_t uid, struct sched_queue *q,
    size_t n);
/* Users the scheduler keeps (with live nodes or reserved places). */
size_t sched_fair_nusers(const struct sched *s);

/*
 * Retry backoff: base * 2^(attempt-1), capped at max(cap, base), then
 * jittered by a factor in [0.8, 1.2] taken from rand01 in [0, 1), and capped
 * again.  attempt >= 1 is the attempt that just failed.  Never negative.
 */
int64_t sched_backoff_ms(int64_t base, int attempt, int64_t cap, double rand01);

/* ---- slots and named resources (sched_res.c) ---- */
/*
 * A pool: the daemon's worker slots (slots_total) and up to SCHED_RES_MAX
 * named countable resources, each with 1..SCHED_RES_MAX_INST named
 * instances.  A node asks (sched_node_res) for `slots` slots
 * (1..slots_total) and n[k] instances of resource k; NULL asks one slot.
 * Once attached (sched_res_attach), sched_next() starts a node only when
 * what it asks is free, assigns it the lowest free instances of each
 * resource (in the order they were configured) as it becomes RUNNING, and
 * gives them back when it leaves RUNNING (sched_requeue: a retry or an
 * unclaim; sched_finish: any end).
 *
 * No starvation, by reservation: at each decision sched_next() takes the
 * queue heads (each queue's best node that may start by the other limits:
 * pause, parallel, user caps, throttles) in rank order.  The first that
 * fits in what is free minus what is reserved starts; one that does not fit
 * reserves what it asks (its slots and its instances of each resource), so
 * a lower-ranked head may start only with what is left over, never with
 * what a better one waits for.  Within a queue, jobs start in rank order:
 * the head that does not fit holds back the jobs behind it in its queue.
 * A node that asks more than the pool has in all (the pool shrank across a
 * restart) never starts and reserves nothing; at its queue's head it holds
 * back the nodes behind it, so the caller keeps such nodes HELD
 * (dispatch_res.c).
 *
 * Running ahead: slots_ahead (set by the caller around its claims, 0
 * otherwise) lets a node that asks one slot and no named instance start
 * with up to that many slots beyond slots_total: the caller hands such a
 * node to a worker whose job runs, to begin when that job ends
 * (dispatch_slot.c), so slots_used may exceed slots_total by the jobs
 * waiting so.  A node asking more never uses it, and what better-ranked
 * waiting nodes reserve counts against it as against the free slots.
 */
#define SCHED_RES_MAX 16          /* resources of one pool */
#define SCHED_RES_MAX_INST 64     /* instances of one resource */
#define SCHED_RES_NAME_MAX 32     /* bytes of a resource or instance name */

struct sched_res_def {
	char name[SCHED_RES_NAME_MAX + 1];
	size_t ninst;
	char inst[SCHED_RES_MAX_INST][SCHED_RES_NAME_MAX + 1];
	uint64_t busy;            /* bit i: instance i is assigned */
	unsigned resv;            /* reserved in the current decision */
};

struct sched_res_pool {
	int slots_total, slots_used, resv_slots;
	int slots_ahead;	/* see "Running ahead" above */
	size_t nres;
	struct sched_res_def res[SCHED_RES_MAX];
};

struct sched_res_req {
	int slots;                        /* 1..slots_total */
	unsigned n[SCHED_RES_MAX];        /* instances of pool resource k */
	uint64_t given[SCHED_RES_MAX];    /* (ro) assigned while RUNNING */
	int holding;                      /* (ro) slots/instances taken */
};

/* An empty pool of `slots` slots (at least 1). */
void sched_res_pool_init(struct sched_res_pool *p, int slots);
/* Adds the resource of spec "NAME=COUNT" (instances "0".."COUNT-1") or
 * "NAME=a,b,c" (named instances).  NAME: a letter, then letters, digits
 * or '_', at most SCHED_RES_NAME_MAX bytes, unique whatever the case;
 * instances: 1..SCHED_RES_NAME_MAX bytes of letters, digits, '_', '-',
 * '.', ':', unique.  0, or -EINVAL with a message in err. */
int sched_res_pool_add(struct sched_res_pool *p, const char *spec,
    char *err, size_t errlen);
/* Resource named name (exactly), or -1. */
int sched_res_find(const struct sched_res_pool *p, const char *name);
/* Instances of resource k assigned now. */
unsigned sched_res_used(const struct sched_res_pool *p, size_t k);
/* A request of slots (0 taken as 1) and res ("NAME=N,NAME=N", NULL or
 * "" none) against p: 0, or -EINVAL with a message (slots over the pool,
 * an unknown resource, a count of 0 or over what is configured, a name
 * twice, bad syntax). */
int sched_res_req_parse(const struct sched_res_pool *p, int slots,
    const char *res, struct sched_res_req *r, char *err, size_t errlen);
/* The request old (NULL: one slot, none) edited: slots (0: old's kept)
 * and, if set_res, res (NULL or "": none; else old's resources kept),
 * checked against p as by sched_res_req_parse: 0, or -EINVAL with its
 * message.  old must be one p can meet (sched_res_possible) unless both
 * slots and set_res are given. */
int sched_res_req_edit(const struct sched_res_pool *p,
    const struct sched_res_req *old, int slots, int set_res, const char *res,
    struct sched_res_req *r, char *err, size_t errlen);
/* 1 if r could ever be met by p (not more than it has in all). */
int sched_res_possible(const struct sched_res_pool *p,
    const struct sched_res_req *r);
/* 1 if r fits in what is free minus what is reserved. */
int sched_res_fits(const struct sched_res_pool *p,
    const struct sched_res_req *r);
/* Takes r's slots and the lowest free instances (r must fit). */
void sched_res_assign(struct sched_res_pool *p, struct sched_res_req *r);
/* Gives back what r holds (nothing if it holds nothing). */
void sched_res_release(struct sched_res_pool *p, struct sched_res_req *r);
/* The current decision's reservations: cleared, or r's added. */
void sched_res_resv_clear(struct sched_res_pool *p);
void sched_res_resv_add(struct sched_res_pool *p,
    const struct sched_res_req *r);
/* What r was given, "gpu=1,3;license=0" ("" for none), into buf; the
 * length it needs (as snprintf). */
size_t sched_res_given_str(const struct sched_res_pool *p,
    const struct sched_res_req *r, char *buf, size_t len);
/* The environment r's job gets: "JOBQ_RES_<NAME upper-cased>=i,j" per
 * resource it was given, and CUDA_VISIBLE_DEVICES=i,j for one named gpu;
 * a malloc'd NULL-terminated vector of malloc'd strings, or NULL (no
 * memory). */
char **sched_res_env(const struct sched_res_pool *p,
    const struct sched_res_req *r);
/* The scheduler uses p (NULL: none, every node one slot, no check); p
 * must outlive s or be detached.  Nodes RUNNING when it is attached are
 * not counted: attach before the first sched_next(). */
void sched_res_attach(struct sched *s, struct sched_res_pool *p);

#endif
