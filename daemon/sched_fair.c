/*
 * sched_fair.c - the scheduler's users: fair share between the users of a
 * queue and per-user caps on running jobs (sched.h draws the policy;
 * sched_int.h the structures).  Pure code like sched.c: no I/O, no clock;
 * the configuration is only read (conf.h's lookups are pure).
 *
 * Layout.  A queue's ready heap holds one entry per user with READY nodes
 * in it: the proxy node of a struct sched_uq (that user's nodes in that
 * queue).  The uq has its own ready heap, ordered as the queue's heap was
 * before users existed (priority, then id): plain nodes and the entries of
 * throttled arrays.  The uq's entry is in its queue's heap iff the uq has
 * READY nodes; it carries a copy of the priority and id of the uq's best
 * node, and sched_fair_sync() re-establishes that after every change to the
 * uq's heap (sched_array_sync() calls it for arrays).
 *
 * Fair share: round robin by least recent start.  Each user has a stamp,
 * the value of a counter of all starts at her last start (0 if none).  A
 * queue's heap orders users' entries by the priority of their best node
 * (higher first), then stamp (older first), then the best node's id.  So a
 * higher priority always wins whoever owns it; among equal priorities the
 * user who started least recently goes next, so users with READY jobs at
 * one priority take turns, one start each, whatever their numbers of jobs
 * (a 100,000-task array gets one start per turn like a single job); and a
 * user alone sees exactly the order of before (priority, then FIFO).  The
 * stamp is global, so the turns also hold between queues: sched_next()
 * compares the queues' heads with the same order.  A user's stamp is kept
 * while she has live nodes; a user who comes back later starts at 0 (she
 * has started least recently of all, which is fair).
 *
 * Caps: a user at her running cap (globally, or in the queue) is skipped:
 * sched_fair_next() pops capped users' entries off a queue's heap until it
 * finds one under its caps, then pushes the skipped ones back.  The caps are
 * read at each decision, so a reloaded configuration counts from the next
 * start.  Queued caps are the caller's (dispatch checks them at submit with
 * sched_fair_nqueued and holds places with sched_fair_reserve).
 *
 * Memory: users and uqs are allocated by sched_add() (through
 * sched_fair_attach, which also reserves the uq's heap) and by
 * sched_fair_reserve(), the only calls here that can fail; they are freed
 * when they hold nothing (no live node, no reserved place).  A queue's heap
 * holds at most one entry per uq with live nodes, so the room sched_add()
 * reserves there (the queue's live nodes) still bounds it.
 *
 * Cost: sched_fair_next() is O(Q + (C + 1 + Qu) log n): Q queues looked at,
 * C entries skipped at their caps (each looked up in the configuration,
 * popped and pushed back), and the starting user's entries in her Qu queues
 * re-keyed.  Without caps C is 0.  User lookup is O(1) expected (a chained
 * hash table), a uq's O(Qu).  With slots and resources (sched_res.c) the
 * queue heads are taken in rank order until one fits, each waiting head
 * reserving what it asks: at most Q passes over the Q queues, O(Q^2).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "conf.h"
#include "sched.h"
#include "sched_int.h"

static size_t
sched_fair_hash(const struct sched *s, uid_t uid)
{
	uint64_t	h = (uint64_t)uid * UINT64_C(0x9e3779b97f4a7c15);

	return ((size_t)(h >> 32) & (s->nubuckets - 1));
}

/* Doubles the table; on failure the chains just grow longer. */
static void
sched_fair_rehash(struct sched *s)
{
	struct sched_user	**old = s->ubuckets, *u, *next;
	size_t			  oldn = s->nubuckets, n, i, b;

	n = oldn == 0 ? 16 : oldn * 2;
	if (n > SIZE_MAX / sizeof(*old))
		return;
	s->ubuckets = calloc(n, sizeof(*old));
	if (s->ubuckets == NULL) {
		s->ubuckets = old;
		return;
	}
	s->nubuckets = n;
	for (i = 0; i < oldn; i++) {
		for (u = old[i]; u != NULL; u = next) {
			next = u->hnext;
			b = sched_fair_hash(s, u->uid);
			u->hnext = s->ubuckets[b];
			s->ubuckets[b] = u;
		}
	}
	free(old);
}

static struct sched_user *
sched_fair_user(const struct sched *s, uid_t uid)
{
	struct sched_user	*u;

	if (s->nubuckets == 0)
		return (NULL);
	for (u = s->ubuckets[sched_fair_hash(s, uid)]; u != NULL; u = u->hnext)
		if (u->uid == uid)
			return (u);
	return (NULL);
}

static struct sched_uq *
sched_fair_find(const struct sched_user *u, const struct sched_queue *q)
{
	struct sched_uq	*uq;

	for (uq = u != NULL ? u->uqs : NULL; uq != NULL; uq = uq->unext)
		if (uq->queue == q)
			return (uq);
	return (NULL);
}

/* Frees uq if it holds nothing, then its user if she holds nothing. */
static void
sched_fair_release(struct sched *s, struct sched_uq *uq)
{
	struct sched_user	*u = uq->user, **up;
	struct sched_uq		**pp;

	if (uq->nqueued + uq->nrunning + uq->nreserved > 0)
		return;
	SCHED_ASSERT(uq->ready.n == 0 && uq->entry.heap_idx == SCHED_NOIDX);
	for (pp = &u->uqs; *pp != uq; pp = &(*pp)->unext)
		SCHED_ASSERT(*pp != NULL);
	*pp = uq->unext;
	free(uq->ready.v);
	free(uq);
	if (u->uqs != NULL)
		return;
	SCHED_ASSERT(u->nqueued + u->nrunning + u->nreserved == 0);
	for (up = &s->ubuckets[sched_fair_hash(s, u->uid)]; *up != u;
	    up = &(*up)->hnext)
		SCHED_ASSERT(*up != NULL);
	*up = u->hnext;
	s->nusers--;
	free(u);
}

/* uid's place in q, created if absent; NULL when out of memory. */
static struct sched_uq *
sched_fair_get(struct sched *s, uid_t uid, struct sched_queue *q)
{
	struct sched_user	*u, **up;
	struct sched_uq		*uq;
	size_t			 b;

	if ((u = sched_fair_user(s, uid)) == NULL) {
		if (s->nusers >= s->nubuckets)
			sched_fair_rehash(s);
		if (s->nubuckets == 0 || (u = calloc(1, sizeof(*u))) == NULL)
			return (NULL);
		u->uid = uid;
		b = sched_fair_hash(s, uid);
		u->hnext = s->ubuckets[b];
		s->ubuckets[b] = u;
		s->nusers++;
	}
	if ((uq = sched_fair_find(u, q)) != NULL)
		return (uq);
	if ((uq = calloc(1, sizeof(*uq))) == NULL)
		goto fail;
	uq->user = u;
	uq->queue = q;
	uq->ready.kind = SCHED_BYPRIO;
	sched_node_init(&uq->entry, 0, 0, 0, q, NULL);
	uq->entry.uid = uid;
	uq->entry.uq = uq;
	uq->unext = u->uqs;
	u->uqs = uq;
	return (uq);
fail:
	/* a user just made for this holds nothing: not kept */
	if (u->uqs == NULL) {
		for (up = &s->ubuckets[sched_fair_hash(s, uid)]; *up != u;
		    up = &(*up)->hnext)
			SCHED_ASSERT(*up != NULL);
		*up = u->hnext;
		s->nusers--;
		free(u);
	}
	return (NULL);
}

int
sched_fair_before(const struct sched_node *a, const struct sched_node *b)
{
	uint64_t	sa = a->uq->user->stamp, sb = b->uq->user->stamp;

	if (a->priority != b->priority)
		return (a->priority > b->priority);
	if (sa != sb)
		return (sa < sb);
	return (a->id < b->id);
}

int
sched_fair_attach(struct sched *s, struct sched_node *n)
{
	struct sched_uq	*uq;

	if ((uq = sched_fair_get(s, n->uid, n->queue)) == NULL)
		return (-ENOMEM);
	if (sched_heap_reserve(&uq->ready,
	    uq->nqueued + uq->nrunning + 1) < 0) {
		sched_fair_release(s, uq);
		return (-ENOMEM);
	}
	n->uq = uq;
	return (0);
}

void
sched_fair_detach(struct sched *s, struct sched_node *n)
{
	struct sched_uq	*uq = n->uq;

	n->uq = NULL;
	if (uq == NULL)
		return;
	sched_heap_shrink(&uq->ready, uq->nqueued + uq->nrunning);
	sched_fair_release(s, uq);
}

void
sched_fair_count(struct sched_node *n, int dqueued, int drunning)
{
	struct sched_uq		*uq = n->uq;
	struct sched_user	*u = uq->user;

	SCHED_ASSERT(dqueued >= 0 || (uq->nqueued > 0 && u->nqueued > 0));
	SCHED_ASSERT(drunning >= 0 || (uq->nrunning > 0 && u->nrunning > 0));
	uq->nqueued += (size_t)(ptrdiff_t)dqueued;
	u->nqueued += (size_t)(ptrdiff_t)dqueued;
	uq->nrunning += (size_t)(ptrdiff_t)drunning;
	u->nrunning += (size_t)(ptrdiff_t)drunning;
}

/* uq's entry is in its queue's heap iff uq has READY nodes; keyed by the
 * best of them. */
void
sched_fair_sync(struct sched_uq *uq)
{
	struct sched_node	*e = &uq->entry, *best;
	struct sched_heap	*qh = &uq->queue->ready;

	if (uq->ready.n == 0) {
		if (e->heap_idx != SCHED_NOIDX)
			sched_heap_remove(qh, e);
		return;
	}
	best = uq->ready.v[0];
	e->priority = best->priority;
	e->id = best->id;
	if (e->heap_idx != SCHED_NOIDX)
		sched_heap_fix(qh, e);
	else
		sched_heap_push(qh, e);
}

/* Is uq's user at a running cap, over all queues or in uq's queue? */
static int
sched_fair_capped(const struct sched *s, const struct sched_uq *uq)
{
	const struct conf	*c;
	struct conf_caps	 caps;

	if (s->conf == NULL || (c = *s->conf) == NULL)
		return (0);
	conf_caps_queue(c, uq->user->uid, uq->queue->name, &caps);
	if (caps.running > 0 && uq->nrunning >= (uint64_t)caps.running)
		return (1);
	conf_caps_global(c, uq->user->uid, &caps);
	return (caps.running > 0 &&
	    uq->user->nrunning >= (uint64_t)caps.running);
}

/* The head of q's heap among users under their caps, or NULL. */
static struct sched_node *
sched_fair_head(const struct sched *s, struct sched_queue *q)
{
	struct sched_uq		*skipped = NULL, *uq;
	struct sched_node	*h = NULL;

	while (q->ready.n > 0) {
		uq = q->ready.v[0]->uq;
		if (!sched_fair_capped(s, uq)) {
			h = &uq->entry;
			break;
		}
		(void)sched_heap_pop(&q->ready);
		uq->skip = skipped;
		skipped = uq;
	}
	/* popped just now: the room is there */
	while ((uq = skipped) != NULL) {
		skipped = uq->skip;
		uq->skip = NULL;
		sched_heap_push(&q->ready, &uq->entry);
	}
	return (h);
}

/* The node a queue head (a uq's entry) stands for: the uq's best node, or
 * the best task of the throttled array at the top of the uq's heap. */
static struct sched_node *
sched_fair_node(struct sched_node *h)
{
	struct sched_node	*n = h->uq->ready.v[0];

	return (sched_is_entry(n) ? n->array->ready.v[0] : n);
}

/*
 * The best READY node that may start (its queue not paused and under its
 * limit, its user under her caps, its array under its throttle), taken out
 * of the heaps with its array's count done; the caller makes it RUNNING.
 */
struct sched_node *
sched_fair_next(struct sched *s, int external)
{
	struct sched_queue	*q;
	struct sched_node	*h, *best, *n, *last = NULL;
	struct sched_array	*a;
	struct sched_uq		*uq;
	struct sched_user	*u;
	size_t			 i;

	if (s->res != NULL)
		sched_res_resv_clear(s->res);
	/* the queue heads in rank order until one fits (sched.h: slots and
	 * resources): each pass takes the best head after `last`, the one
	 * that did not fit and reserved what it asks; O(Q) per pass */
	for (;;) {
		best = NULL;
		for (i = 0; i < s->nqueues; i++) {
			q = s->queues[i];
			if (q->external != external || q->paused ||
			    q->ready.n == 0 || (q->parallel > 0 &&
			    q->nrunning >= (size_t)q->parallel))
				continue;
			if ((h = sched_fair_head(s, q)) == NULL ||
			    (last != NULL && !sched_fair_before(last, h)))
				continue;
			if (best == NULL || sched_fair_before(h, best))
				best = h;
		}
		if (best == NULL)
			return (NULL);
		n = sched_fair_node(best);
		if (external || sched_res_node_fits(s, n))
			break;
		sched_res_node_wait(s, n);
		last = best;
	}
	uq = best->uq;
	h = uq->ready.v[0];
	if (sched_is_entry(h)) {
		a = h->array;
		n = sched_heap_pop(&a->ready);
		a->nrunning++;
		sched_array_sync(a);	/* and uq */
	} else {
		n = sched_heap_pop(&uq->ready);
		if (n->array != NULL)
			n->array->nrunning++;
		sched_fair_sync(uq);
	}
	SCHED_ASSERT(n->uq == uq);
	/* her turn is taken: behind every user of the same priority */
	u = uq->user;
	u->stamp = ++s->fair_seq;
	for (uq = u->uqs; uq != NULL; uq = uq->unext)
		if (uq->entry.heap_idx != SCHED_NOIDX)
			sched_heap_fix(&uq->queue->ready, &uq->entry);
	return (n);
}

void
sched_fair_free(struct sched *s)
{
	struct sched_user	*u, *next;
	struct sched_uq		*uq, *unext;
	size_t			 i;

	for (i = 0; i < s->nubuckets; i++) {
		for (u = s->ubuckets[i]; u != NULL; u = next) {
			next = u->hnext;
			for (uq = u->uqs; uq != NULL; uq = unext) {
				unext = uq->unext;
				free(uq->ready.v);
				free(uq);
			}
			free(u);
		}
	}
	free(s->ubuckets);
}

/* ---- the API (sched.h) ---- */

void
sched_fair_conf(struct sched *s, const struct conf *const *confp)
{
	s->conf = confp;
}

size_t
sched_fair_nqueued(const struct sched *s, uid_t uid,
    const struct sched_queue *q)
{
	const struct sched_user	*u = sched_fair_user(s, uid);
	const struct sched_uq	*uq;

	if (u == NULL)
		return (0);
	if (q == NULL)
		return (u->nqueued + u->nreserved);
	uq = sched_fair_find(u, q);
	return (uq != NULL ? uq->nqueued + uq->nreserved : 0);
}

size_t
sched_fair_nrunning(const struct sched *s, uid_t uid,
    const struct sched_queue *q)
{
	const struct sched_user	*u = sched_fair_user(s, uid);
	const struct sched_uq	*uq;

	if (u == NULL)
		return (0);
	if (q == NULL)
		return (u->nrunning);
	uq = sched_fair_find(u, q);
	return (uq != NULL ? uq->nrunning : 0);
}

int
sched_fair_reserve(struct sched *s, uid_t uid, struct sched_queue *q,
    size_t n)
{
	struct sched_uq	*uq;

	if ((uq = sched_fair_get(s, uid, q)) == NULL)
		return (-ENOMEM);
	uq->nreserved += n;
	uq->user->nreserved += n;
	return (0);
}

void
sched_fair_unreserve(struct sched *s, uid_t uid, struct sched_queue *q,
    size_t n)
{
	struct sched_uq	*uq = sched_fair_find(sched_fair_user(s, uid), q);

	SCHED_ASSERT(uq != NULL && uq->nreserved >= n &&
	    uq->user->nreserved >= n);
	uq->nreserved -= n;
	uq->user->nreserved -= n;
	sched_fair_release(s, uq);
}

size_t
sched_fair_nusers(const struct sched *s)
{
	return (s->nusers);
}
