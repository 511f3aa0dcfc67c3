/*
 * sched.c - the scheduler's policy drawn in sched.h: queues, throttled
 * arrays, the time heap and dependency edges.  Pure code: no I/O, no clock,
 * no logging; only malloc/realloc/free.  Allocation failure is returned
 * (-ENOMEM or NULL); only a broken invariant aborts (SCHED_ASSERT, always on).
 *
 * Where a node is, by state:
 *
 *   NEW      nowhere (it may already have edges: in-edges from
 *            sched_dep_add, out-edges if others were linked to it)
 *   BLOCKED  only on its edges; npending > 0 in-edges not yet met
 *   DELAYED  s->delayed: a min-heap by (not_before, id)
 *   READY    its owner's ready heap in its queue (n->uq: sched_fair.c), a
 *            max-heap by (priority, -id); or, for a task of a throttled
 *            array (throttle > 0), the array's own ready heap, ordered the
 *            same way; the queue's heap holds the users' entries
 *   HELD     only on its edges (sched_hold.c): in no heap, counted queued
 *   RUNNING  in no structure; counted in nrunning of scheduler, queue, array
 *   DONE     nowhere: the scheduler keeps no pointer to it
 *
 * A node is in at most one heap at a time and heap_idx is its slot there
 * (SCHED_NOIDX when in none), so removal and re-keying are O(log n).
 *
 * Throttled arrays.  struct sched_array embeds a proxy node, `entry`, that
 * stands for the whole array in its owner's ready heap in its queue (all
 * its tasks have one owner).  The entry is in that
 * heap iff the array has READY tasks and nrunning < throttle; its priority
 * and id are copies of the array's best READY task.  sched_array_sync()
 * re-establishes that after every change to the array's heap or nrunning.
 * sched_next() takes the best head over the eligible queues; when that head
 * is an array entry it pops the array's best task instead and syncs the
 * entry (kept with the next task's key, or removed at the throttle), and
 * sched_fair_sync() the user's entry after it.  All
 * tasks of a throttled array share one queue.  Arrays without a throttle put
 * their tasks straight in the queue heap and only count them.
 *
 * An array lives while it has live nodes (added and not yet DONE): it is
 * freed when the last one ends.  An array none of whose nodes was ever added
 * (or all were doomed at sched_add) stays until sched_array_release() or
 * sched_free().
 *
 * Dependencies.  An edge (dependent -> dependency, mode) is on two doubly
 * linked lists: the dependency's `out` and the dependent's `in`, both in
 * the nodes' side records (below), so it is unlinked in O(1) from either
 * end; every edge is also on s->edges so that sched_free() can reclaim
 * edges of nodes the caller has already freed.
 * When a node ends, its out-edges are moved, tagged with its outcome, to the
 * tail of a FIFO work list (linked through the same `out` links).  The
 * cascade loop takes edges from the head: a holding edge decrements the
 * dependent's npending (placing it when that reaches 0); a failing one ends
 * the dependent at once (unlinking its other in-edges, wherever they are,
 * the work list included), reports it through the callback and appends its
 * own out-edges.  No recursion: a chain of any length runs in constant
 * stack.  A canceled node is reported after the node whose end doomed it,
 * and the breadth-first order reports a chain or a diamond in dependency
 * order.
 *
 * Memory.  Heaps are arrays of pointers, grown by doubling and halved when
 * under a quarter full.  sched_add() reserves room so that every heap can
 * hold all the live nodes that could ever enter it (the time heap: all live
 * nodes; a queue heap: the queue's live nodes, which bounds its plain nodes
 * plus array entries; an array heap: the array's live nodes).  Therefore
 * sched_add() is the only operation that can fail; sched_due, sched_next,
 * sched_requeue, sched_set_priority and sched_finish (with its cascades)
 * never allocate.  The only per-node allocations are an edge per
 * dependency and the side record (struct sched_link: edges, pending count,
 * cycle mark, request), made by sched_dep_add for both ends of a first
 * edge and by sched_node_set_res for a first request, before sched_add.
 * A node has one exactly while it has an edge or a request: wherever an
 * edge goes (an end, a dependency met or removed) or a request is unset,
 * sched_node_trim() frees a side record left holding nothing.  Edges on
 * the work list have no dependency (NULL: it ended, and its side record
 * may be gone), so an edge unlinked from there trims only its dependent.
 * One that keeps a request stays until sched_node_release, DONE or not.
 * Nodes without one (most of a backlog) cost sizeof(struct sched_node)
 * alone.
 *
 * Cost: sched_add, sched_requeue, sched_set_priority, sched_finish and each
 * node made due are O(log n) (plus O(1) per edge); sched_next is
 * O(Q + (C + Qu + 1) log n) (sched_fair.c); queue lookup O(log Q) and creation O(Q); array lookup O(1)
 * expected (a chained hash table).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "sched_int.h"


/* ---- heaps ---- */

int
sched_heap_before(const struct sched_heap *h, const struct sched_node *a,
    const struct sched_node *b)
{
	if (h->kind == SCHED_BYTIME) {
		if (a->not_before != b->not_before)
			return (a->not_before < b->not_before);
		return (a->id < b->id);
	}
	if (h->kind == SCHED_BYUSER)
		return (sched_fair_before(a, b));
	if (a->priority != b->priority)
		return (a->priority > b->priority);
	return (a->id < b->id);
}

static void
sched_heap_set(struct sched_heap *h, size_t i, struct sched_node *n)
{
	h->v[i] = n;
	n->heap_idx = i;
}

static void
sched_heap_up(struct sched_heap *h, size_t i)
{
	struct sched_node	*n = h->v[i];
	size_t			 p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!sched_heap_before(h, n, h->v[p]))
			break;
		sched_heap_set(h, i, h->v[p]);
		i = p;
	}
	sched_heap_set(h, i, n);
}

static void
sched_heap_down(struct sched_heap *h, size_t i)
{
	struct sched_node	*n = h->v[i];
	size_t			 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && sched_heap_before(h, h->v[c + 1], h->v[c]))
			c++;
		if (!sched_heap_before(h, h->v[c], n))
			break;
		sched_heap_set(h, i, h->v[c]);
		i = c;
	}
	sched_heap_set(h, i, n);
}

/* Room for at least want entries; 0 or -ENOMEM. */
int
sched_heap_reserve(struct sched_heap *h, size_t want)
{
	struct sched_node	**v;
	size_t			  cap;

	if (h->cap >= want)
		return (0);
	if (want >= SCHED_NOIDX)	/* heap_idx is 32 bits */
		return (-ENOMEM);
	cap = h->cap < SCHED_HEAP_MIN ? SCHED_HEAP_MIN : h->cap;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(*v))
			return (-ENOMEM);
		cap *= 2;
	}
	v = realloc(h->v, cap * sizeof(*v));
	if (v == NULL)
		return (-ENOMEM);
	h->v = v;
	h->cap = cap;
	return (0);
}

/* Gives memory back once live (a bound on the entries) is under cap / 4. */
void
sched_heap_shrink(struct sched_heap *h, size_t live)
{
	struct sched_node	**v;
	size_t			  cap;

	if (h->cap <= SCHED_HEAP_MIN || live >= h->cap / 4)
		return;
	cap = h->cap / 2;
	SCHED_ASSERT(h->n <= cap);
	v = realloc(h->v, cap * sizeof(*v));
	if (v == NULL)
		return;		/* keep the larger block */
	h->v = v;
	h->cap = cap;
}

/* Room was reserved by sched_add(): never fails. */
void
sched_heap_push(struct sched_heap *h, struct sched_node *n)
{
	SCHED_ASSERT(n->heap_idx == SCHED_NOIDX && h->n < h->cap);
	h->v[h->n] = n;
	n->heap_idx = h->n++;
	sched_heap_up(h, n->heap_idx);
}

void
sched_heap_remove(struct sched_heap *h, struct sched_node *n)
{
	size_t			 i = n->heap_idx;
	struct sched_node	*last;

	SCHED_ASSERT(i < h->n && h->v[i] == n);
	n->heap_idx = SCHED_NOIDX;
	last = h->v[--h->n];
	if (last == n)
		return;
	sched_heap_set(h, i, last);
	sched_heap_up(h, i);
	sched_heap_down(h, last->heap_idx);
}

struct sched_node *
sched_heap_pop(struct sched_heap *h)
{
	struct sched_node	*n;

	SCHED_ASSERT(h->n > 0);
	n = h->v[0];
	sched_heap_remove(h, n);
	return (n);
}

/* n's key changed. */
void
sched_heap_fix(struct sched_heap *h, struct sched_node *n)
{
	SCHED_ASSERT(n->heap_idx < h->n && h->v[n->heap_idx] == n);
	sched_heap_up(h, n->heap_idx);
	sched_heap_down(h, n->heap_idx);
}

/* ---- scheduler ---- */

struct sched *
sched_new(sched_cancel_cb canceled, void *arg)
{
	struct sched	*s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (NULL);
	s->canceled = canceled;
	s->arg = arg;
	s->delayed.kind = SCHED_BYTIME;
	s->work_tail = &s->work;
	return (s);
}

void
sched_free(struct sched *s)
{
	struct sched_array	*a, *next;
	struct sched_edge	*e;
	size_t			 i;

	if (s == NULL)
		return;
	while ((e = s->edges) != NULL) {
		s->edges = e->all_next;
		free(e);
	}
	for (i = 0; i < s->nbuckets; i++) {
		for (a = s->buckets[i]; a != NULL; a = next) {
			next = a->hnext;
			free(a->ready.v);
			free(a);
		}
	}
	free(s->buckets);
	sched_fair_free(s);
	for (i = 0; i < s->nqueues; i++) {
		free(s->queues[i]->ready.v);
		free(s->queues[i]);
	}
	free(s->queues);
	free(s->delayed.v);
	free(s);
}

size_t
sched_nqueued(const struct sched *s)
{
	return (s->nqueued);
}

size_t
sched_nrunning(const struct sched *s)
{
	return (s->nrunning);
}

/* ---- queues ---- */

/* The slot of name in s->queues, or where it would go; *found set if there. */
static size_t
sched_queue_find(const struct sched *s, const char *name, int *found)
{
	size_t	lo = 0, hi = s->nqueues, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, s->queues[mid]->name);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (lo);
}

struct sched_queue *
sched_queue_get(struct sched *s, const char *name, int create)
{
	struct sched_queue	 *q, **v;
	size_t			  i, len, cap;
	int			  found;

	i = sched_queue_find(s, name, &found);
	if (found)
		return (s->queues[i]);
	if (!create)
		return (NULL);
	if (s->nqueues == s->queues_cap) {
		cap = s->queues_cap == 0 ? 8 : s->queues_cap * 2;
		v = realloc(s->queues, cap * sizeof(*v));
		if (v == NULL)
			return (NULL);
		s->queues = v;
		s->queues_cap = cap;
	}
	len = strlen(name);
	q = calloc(1, sizeof(*q) + len + 1);
	if (q == NULL)
		return (NULL);
	memcpy(q->name, name, len + 1);
	q->ready.kind = SCHED_BYUSER;
	memmove(&s->queues[i + 1], &s->queues[i],
	    (s->nqueues - i) * sizeof(*s->queues));
	s->queues[i] = q;
	s->nqueues++;
	return (q);
}

void
sched_queue_set(struct sched *s, struct sched_queue *q, int parallel,
    int paused)
{
	if (parallel >= 0)
		q->parallel = parallel;
	if (paused >= 0)
		q->paused = paused != 0;
}

const char *
sched_queue_name(const struct sched_queue *q)
{
	return (q->name);
}

int
sched_queue_parallel(const struct sched_queue *q)
{
	return (q->parallel);
}

int
sched_queue_paused(const struct sched_queue *q)
{
	return (q->paused);
}

size_t
sched_queue_nrunning(const struct sched_queue *q)
{
	return (q->nrunning);
}

size_t
sched_queue_nqueued(const struct sched_queue *q)
{
	return (q->nqueued);
}

struct sched_queue *
sched_queue_first(struct sched *s)
{
	return (s->nqueues > 0 ? s->queues[0] : NULL);
}

struct sched_queue *
sched_queue_next(struct sched *s, struct sched_queue *q)
{
	size_t	i;
	int	found;

	i = sched_queue_find(s, q->name, &found);
	SCHED_ASSERT(found && s->queues[i] == q);
	return (i + 1 < s->nqueues ? s->queues[i + 1] : NULL);
}

/* ---- arrays ---- */

static size_t
sched_array_hash(const struct sched *s, int64_t id)
{
	uint64_t	h = (uint64_t)id * UINT64_C(0x9e3779b97f4a7c15);

	return ((size_t)(h >> 32) & (s->nbuckets - 1));
}

/* Doubles the table; on failure the chains just grow longer. */
static void
sched_array_rehash(struct sched *s)
{
	struct sched_array	**old = s->buckets, *a, *next;
	size_t			  oldn = s->nbuckets, n, i, b;

	n = oldn == 0 ? 16 : oldn * 2;
	if (n > SIZE_MAX / sizeof(*old))
		return;
	s->buckets = calloc(n, sizeof(*old));
	if (s->buckets == NULL) {
		s->buckets = old;
		return;
	}
	s->nbuckets = n;
	for (i = 0; i < oldn; i++) {
		for (a = old[i]; a != NULL; a = next) {
			next = a->hnext;
			b = sched_array_hash(s, a->id);
			a->hnext = s->buckets[b];
			s->buckets[b] = a;
		}
	}
	free(old);
}

struct sched_array *
sched_array_get(struct sched *s, int64_t id, int throttle, int create)
{
	struct sched_array	*a;
	size_t			 b;

	if (s->nbuckets > 0) {
		for (a = s->buckets[sched_array_hash(s, id)]; a != NULL;
		    a = a->hnext) {
			if (a->id == id)
				return (a);
		}
	}
	if (!create)
		return (NULL);
	if (s->narrays >= s->nbuckets)
		sched_array_rehash(s);
	if (s->nbuckets == 0)
		return (NULL);
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return (NULL);
	a->id = id;
	a->throttle = throttle > 0 ? throttle : 0;
	sched_node_init(&a->entry, id, 0, 0, NULL, a);
	b = sched_array_hash(s, id);
	a->hnext = s->buckets[b];
	s->buckets[b] = a;
	s->narrays++;
	return (a);
}

static void
sched_array_free(struct sched *s, struct sched_array *a)
{
	struct sched_array	**pp;

	SCHED_ASSERT(a->nlive == 0 && a->nrunning == 0 && a->ready.n == 0 &&
	    a->entry.heap_idx == SCHED_NOIDX);
	for (pp = &s->buckets[sched_array_hash(s, a->id)]; *pp != a;
	    pp = &(*pp)->hnext)
		SCHED_ASSERT(*pp != NULL);
	*pp = a->hnext;
	s->narrays--;
	free(a->ready.v);
	free(a);
}

void
sched_array_release(struct sched *s, struct sched_array *a)
{
	if (a != NULL && a->nlive == 0)
		sched_array_free(s, a);
}

int64_t
sched_array_id(const struct sched_array *a)
{
	return (a->id);
}

int
sched_array_throttle(const struct sched_array *a)
{
	return (a->throttle);
}

size_t
sched_array_nrunning(const struct sched_array *a)
{
	return (a->nrunning);
}

size_t
sched_array_nlive(const struct sched_array *a)
{
	return (a->nlive);
}

size_t
sched_narrays(const struct sched *s)
{
	return (s->narrays);
}

static int
sched_throttled(const struct sched_node *n)
{
	return (n->array != NULL && n->array->throttle > 0);
}

/*
 * The array's entry is in its queue's heap iff it has READY tasks and runs
 * fewer than throttle; keyed by its best READY task.
 */
void
sched_array_sync(struct sched_array *a)
{
	struct sched_node	*e = &a->entry, *best;
	struct sched_heap	*qh = &a->uq->ready;
	int			 want;

	want = a->ready.n > 0 && a->nrunning < (size_t)a->throttle;
	if (!want) {
		if (e->heap_idx != SCHED_NOIDX)
			sched_heap_remove(qh, e);
		sched_fair_sync(a->uq);
		return;
	}
	best = a->ready.v[0];
	e->priority = best->priority;
	e->id = best->id;
	if (e->heap_idx != SCHED_NOIDX)
		sched_heap_fix(qh, e);
	else
		sched_heap_push(qh, e);
	sched_fair_sync(a->uq);
}

int
sched_is_entry(const struct sched_node *n)
{
	return (n->array != NULL && n == &n->array->entry);
}

/* ---- nodes ---- */

void
sched_node_init(struct sched_node *n, int64_t id, int priority,
    int64_t not_before, struct sched_queue *q, struct sched_array *a)
{
	n->id = id;
	n->priority = priority;
	n->not_before = not_before;
	n->queue = q;
	n->array = a;
	n->state = SCHED_NEW;
	n->doomed = 0;
	n->heap_idx = SCHED_NOIDX;
	n->link = NULL;
	n->uid = 0;
	n->uq = NULL;
	n->held = 0;
	n->res_skip = 0;
}

void
sched_ready_insert(struct sched *s, struct sched_node *n)
{
	n->state = SCHED_READY;
	if (sched_throttled(n)) {
		sched_heap_push(&n->array->ready, n);
		sched_array_sync(n->array);
	} else {
		sched_heap_push(&n->uq->ready, n);
		sched_fair_sync(n->uq);
	}
}

void
sched_ready_remove(struct sched *s, struct sched_node *n)
{
	if (sched_throttled(n)) {
		sched_heap_remove(&n->array->ready, n);
		sched_array_sync(n->array);
	} else {
		sched_heap_remove(&n->uq->ready, n);
		sched_fair_sync(n->uq);
	}
}

/* A node whose dependencies are all met: DELAYED or READY. */
void
sched_place(struct sched *s, struct sched_node *n, int64_t now)
{
	if (n->not_before > now) {
		n->state = SCHED_DELAYED;
		sched_heap_push(&s->delayed, n);
	} else
		sched_ready_insert(s, n);
}

/* ---- edges ---- */

void
sched_edge_unlink_free(struct sched *s, struct sched_edge *e)
{
	if (s->work_tail == &e->out_next)
		s->work_tail = e->out_pprev;
	*e->out_pprev = e->out_next;
	if (e->out_next != NULL)
		e->out_next->out_pprev = e->out_pprev;
	*e->in_pprev = e->in_next;
	if (e->in_next != NULL)
		e->in_next->in_pprev = e->in_pprev;
	*e->all_pprev = e->all_next;
	if (e->all_next != NULL)
		e->all_next->all_pprev = e->all_pprev;
	free(e);
}

static void
sched_unlink_in(struct sched *s, struct sched_node *n)
{
	struct sched_edge	*e, *next;
	struct sched_node	*dep;

	if (n->link == NULL)
		return;
	for (e = n->link->in; e != NULL; e = next) {
		next = e->in_next;
		dep = e->dependency;	/* NULL: on the work list */
		sched_edge_unlink_free(s, e);
		if (dep != NULL)
			sched_node_trim(dep);	/* its last dependent? */
	}
	n->link->npending = 0;
}

/*
 * n has just become DONE: its out-edges, tagged with its outcome and with
 * no dependency any more (n may be freed by the caller from now on), move
 * to the work list's tail, so that no pointer into its side record is
 * left, and its side record goes unless it keeps a request.
 */
static void
sched_queue_out(struct sched *s, struct sched_node *n, int succeeded)
{
	struct sched_edge	*e, *last = NULL, *out;

	SCHED_ASSERT(n->state == SCHED_DONE);
	if (n->link == NULL)
		return;
	SCHED_ASSERT(n->link->in == NULL);	/* sched_unlink_in */
	if ((out = n->link->out) != NULL) {
		for (e = out; e != NULL; e = e->out_next) {
			e->succeeded = succeeded;
			e->dependency = NULL;
			last = e;
		}
		*s->work_tail = out;
		out->out_pprev = s->work_tail;
		s->work_tail = &last->out_next;
		n->link->out = NULL;
	}
	sched_node_trim(n);
}

static int
sched_edge_holds(enum sched_dep_mode mode, int succeeded)
{
	switch (mode) {
	case SCHED_DEP_OK:
		return (succeeded);
	case SCHED_DEP_NOTOK:
		return (!succeeded);
	case SCHED_DEP_ANY:
		return (1);
	}
	SCHED_ASSERT(0);
	return (0);
}

int
sched_dep_add(struct sched *s, struct sched_node *n, struct sched_node *dep,
    enum sched_dep_mode mode)
{
	struct sched_edge	*e;
	struct sched_link	*nl = n->link, *dl = dep->link;

	SCHED_ASSERT(n->state == SCHED_NEW && dep->state != SCHED_DONE &&
	    n != dep);
	SCHED_ASSERT(mode == SCHED_DEP_OK || mode == SCHED_DEP_NOTOK ||
	    mode == SCHED_DEP_ANY);
	/* all the memory first (side records for ends without one, then the
	 * edge), so that a failure changes nothing */
	if ((nl == NULL && (nl = calloc(1, sizeof(*nl))) == NULL) ||
	    (dl == NULL && (dl = calloc(1, sizeof(*dl))) == NULL) ||
	    (e = malloc(sizeof(*e))) == NULL) {
		if (nl != n->link)
			free(nl);
		if (dl != dep->link)
			free(dl);
		return (-ENOMEM);
	}
	n->link = nl;
	dep->link = dl;
	e->dependent = n;
	e->dependency = dep;
	e->mode = mode;
	e->succeeded = 0;
	e->out_next = dl->out;
	if (dl->out != NULL)
		dl->out->out_pprev = &e->out_next;
	dl->out = e;
	e->out_pprev = &dl->out;
	e->in_next = nl->in;
	if (nl->in != NULL)
		nl->in->in_pprev = &e->in_next;
	nl->in = e;
	e->in_pprev = &nl->in;
	e->all_next = s->edges;
	if (s->edges != NULL)
		s->edges->all_pprev = &e->all_next;
	s->edges = e;
	e->all_pprev = &s->edges;
	nl->npending++;
	return (0);
}

int
sched_dep_ended(struct sched *s, struct sched_node *n,
    enum sched_dep_mode mode, int succeeded)
{
	SCHED_ASSERT(n->state == SCHED_NEW);
	if (sched_edge_holds(mode, succeeded))
		return (1);
	n->doomed = 1;
	return (0);
}

/* ---- leaving ---- */

/*
 * Takes n out of every structure and count, unlinks its in-edges and makes
 * it DONE.  Its out-edges are left to the caller.  Returns n's array if n
 * was its last live node (the caller frees it when done with n).
 */
static struct sched_array *
sched_leave(struct sched *s, struct sched_node *n)
{
	struct sched_queue	*q = n->queue;
	struct sched_array	*a = n->array;
	enum sched_state	 was = n->state;

	switch (was) {
	case SCHED_NEW:
		break;
	case SCHED_BLOCKED:
	case SCHED_HELD:
		break;
	case SCHED_DELAYED:
		sched_heap_remove(&s->delayed, n);
		break;
	case SCHED_READY:
		sched_ready_remove(s, n);
		break;
	case SCHED_RUNNING:
		q->nrunning--;
		s->nrunning--;
		sched_fair_count(n, 0, -1);
		sched_res_node_give(s, n);
		if (a != NULL) {
			SCHED_ASSERT(a->nrunning > 0);
			a->nrunning--;
			if (a->throttle > 0)
				sched_array_sync(a);
		}
		break;
	default:
		SCHED_ASSERT(0);
	}
	if (was == SCHED_BLOCKED || was == SCHED_DELAYED ||
	    was == SCHED_READY || was == SCHED_HELD) {
		SCHED_ASSERT(q->nqueued > 0 && s->nqueued > 0);
		q->nqueued--;
		s->nqueued--;
		sched_fair_count(n, -1, 0);
	}
	sched_unlink_in(s, n);
	n->state = SCHED_DONE;
	if (was == SCHED_NEW)
		return (NULL);
	sched_fair_detach(s, n);
	sched_heap_shrink(&s->delayed, s->nqueued + s->nrunning);
	sched_heap_shrink(&q->ready, q->nqueued + q->nrunning);
	if (a == NULL)
		return (NULL);
	SCHED_ASSERT(a->nlive > 0);
	a->nlive--;
	sched_heap_shrink(&a->ready, a->nlive);
	return (a->nlive == 0 ? a : NULL);
}

/* Evaluates the work list until it is empty. */
static void
sched_cascade(struct sched *s, int64_t now)
{
	struct sched_edge	*e;
	struct sched_node	*d;
	struct sched_array	*dead;
	int			 holds;

	while ((e = s->work) != NULL) {
		d = e->dependent;
		holds = sched_edge_holds(e->mode, e->succeeded);
		/* The unlink advances s->work through e->out_pprev (which
		 * points at it); said directly too, for the static analyzer,
		 * which does not see that alias. */
		s->work = e->out_next;
		sched_edge_unlink_free(s, e);
		SCHED_ASSERT(d->link != NULL && d->link->npending > 0);
		SCHED_ASSERT(d->state == SCHED_NEW ||
		    d->state == SCHED_BLOCKED || d->state == SCHED_HELD);
		d->link->npending--;
		if (holds) {
			if (d->link->npending == 0 &&
			    d->state == SCHED_BLOCKED)
				sched_place(s, d, now);
			sched_node_trim(d);	/* its last one met? */
			continue;
		}
		d->doomed = 1;
		if (d->state == SCHED_NEW) {
			sched_node_trim(d);
			continue;	/* sched_add will refuse it */
		}
		dead = sched_leave(s, d);
		sched_queue_out(s, d, 0);
		if (s->canceled != NULL)
			s->canceled(s->arg, d);
		if (dead != NULL)
			sched_array_free(s, dead);
	}
	s->work_tail = &s->work;
}

void
sched_finish(struct sched *s, struct sched_node *n, int succeeded,
    int64_t now)
{
	struct sched_array	*dead;

	SCHED_ASSERT(n->state != SCHED_DONE);
	dead = sched_leave(s, n);
	if (dead != NULL) {
		sched_array_free(s, dead);
		n->array = NULL;
	}
	sched_queue_out(s, n, succeeded != 0);
	sched_cascade(s, now);
}

/* ---- adding, running ---- */

int
sched_add(struct sched *s, struct sched_node *n, int64_t now)
{
	struct sched_queue	*q = n->queue;
	struct sched_array	*a = n->array;

	SCHED_ASSERT(n->state == SCHED_NEW && q != NULL);
	if (n->doomed) {
		sched_unlink_in(s, n);
		n->state = SCHED_DONE;
		sched_queue_out(s, n, 0);
		sched_cascade(s, now);
		return (1);
	}
	if (a != NULL && a->throttle > 0 && a->nlive > 0)
		SCHED_ASSERT(a->queue == q);
	if (sched_heap_reserve(&s->delayed, s->nqueued + s->nrunning + 1) ||
	    sched_heap_reserve(&q->ready, q->nqueued + q->nrunning + 1) ||
	    (a != NULL && a->throttle > 0 &&
	    sched_heap_reserve(&a->ready, a->nlive + 1)) ||
	    sched_fair_attach(s, n) < 0)
		return (-ENOMEM);
	if (a != NULL && a->throttle > 0 && a->nlive > 0)
		SCHED_ASSERT(a->uq == n->uq);	/* one owner */
	if (a != NULL) {
		if (a->nlive == 0) {
			a->queue = q;
			a->uq = a->entry.uq = n->uq;
		}
		a->nlive++;
	}
	q->nqueued++;
	s->nqueued++;
	sched_fair_count(n, 1, 0);
	if (n->held)
		n->state = SCHED_HELD;
	else if (sched_node_npending(n) > 0)
		n->state = SCHED_BLOCKED;
	else
		sched_place(s, n, now);
	return (0);
}

void
sched_due(struct sched *s, int64_t now)
{
	struct sched_node	*n;

	while (s->delayed.n > 0 && s->delayed.v[0]->not_before <= now) {
		n = sched_heap_pop(&s->delayed);
		sched_ready_insert(s, n);
	}
}

int64_t
sched_next_due(const struct sched *s)
{
	return (s->delayed.n > 0 ? s->delayed.v[0]->not_before : -1);
}

struct sched_node *
sched_next(struct sched *s, int64_t now)
{
	return (sched_next_ext(s, now, 0));
}

struct sched_node *
sched_next_ext(struct sched *s, int64_t now, int external)
{
	struct sched_node	*n;

	sched_due(s, now);
	if ((n = sched_fair_next(s, external)) == NULL)
		return (NULL);
	SCHED_ASSERT(n->state == SCHED_READY);
	n->state = SCHED_RUNNING;
	n->queue->nqueued--;
	n->queue->nrunning++;
	s->nqueued--;
	s->nrunning++;
	sched_fair_count(n, -1, 1);
	sched_res_node_take(s, n);
	return (n);
}

void
sched_requeue(struct sched *s, struct sched_node *n, int64_t not_before,
    int64_t now)
{
	struct sched_queue	*q = n->queue;
	struct sched_array	*a = n->array;

	SCHED_ASSERT(n->state == SCHED_RUNNING);
	q->nrunning--;
	s->nrunning--;
	q->nqueued++;
	s->nqueued++;
	sched_fair_count(n, 1, -1);
	sched_res_node_give(s, n);
	if (a != NULL)
		a->nrunning--;
	n->not_before = not_before;
	sched_place(s, n, now);
	if (a != NULL && a->throttle > 0)
		sched_array_sync(a);
}

void
sched_set_priority(struct sched *s, struct sched_node *n, int priority)
{
	n->priority = priority;
	if (n->state != SCHED_READY)
		return;		/* no heap keyed by priority holds it */
	if (sched_throttled(n)) {
		sched_heap_fix(&n->array->ready, n);
		sched_array_sync(n->array);
	} else {
		sched_heap_fix(&n->uq->ready, n);
		sched_fair_sync(n->uq);
	}
}

/* ---- backoff ---- */

int64_t
sched_backoff_ms(int64_t base, int attempt, int64_t cap, double rand01)
{
	int64_t	v;
	double	d;
	int	i;

	if (base <= 0)
		return (0);
	if (cap < base)
		cap = base;
	/* base * 2^(attempt-1), stopping at the cap: at most 63 doublings. */
	v = base;
	for (i = 1; i < attempt && v < cap; i++)
		v = v > cap / 2 ? cap : v * 2;
	if (!(rand01 >= 0.0))
		rand01 = 0.0;		/* negative or NaN */
	else if (rand01 > 1.0)
		rand01 = 1.0;
	d = (double)v * (0.8 + 0.4 * rand01);
	/* (double)cap may round up past cap; anything below it converts
	 * to an int64 below cap. */
	if (d >= (double)cap)
		return (cap);
	return ((int64_t)d);
}
