/*
 * sched_edit.c - holds and edits of queued nodes (sched.h): hold and
 * release, a new start time, a move to another queue, dependencies added
 * (with the cycle check) and removed.  Pure code like sched.c: no I/O, no
 * clock, no logging.
 *
 * A HELD node is in no heap (sched.c's table of where a node is): taking
 * it out of the time heap or its ready heap is all a hold does, and a
 * release is sched_add()'s placing again.  So a held node costs nothing at
 * sched_next(), and sched_next() can never return it.  The counts (queue,
 * user, scheduler) do not change: held or not, the node is queued.
 *
 * Memory: sched_add() reserved room in every heap the node can enter in
 * its queue, so hold, release and a new start time never allocate; a move
 * to another queue reserves in the new queue first (sched_fair_attach), an
 * added dependency allocates its edge (and the side records it needs,
 * sched_dep_add) first and a new request its node's side record
 * (sched_node_set_res), so that a failure changes nothing.
 *
 * The cycle check walks the live in-edges from the new dependency, marking
 * nodes with an epoch (the visit of their side records), so each node and
 * edge is seen once: a node is a cycle's only if the walk reaches the node
 * being edited.  Ended nodes have no edges, so the walk stays within the
 * live graph.  Every node it reaches has a side record: the new dependency
 * is looked at only if it has in-edges, and any other is an edge's
 * dependency; a node without one has no edge, so no walk can reach it and
 * it needs no mark.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "sched_int.h"

static int
sched_edit_queued(const struct sched_node *n)
{
	return (n->state == SCHED_BLOCKED || n->state == SCHED_DELAYED ||
	    n->state == SCHED_READY || n->state == SCHED_HELD);
}

/* Takes a DELAYED or READY node out of its heap (state left as is). */
static void
sched_edit_unplace(struct sched *s, struct sched_node *n)
{
	if (n->state == SCHED_DELAYED)
		sched_heap_remove(&s->delayed, n);
	else if (n->state == SCHED_READY)
		sched_ready_remove(s, n);
}

int
sched_edit_hold(struct sched *s, struct sched_node *n)
{
	if (!sched_edit_queued(n))
		return (-EINVAL);
	sched_edit_unplace(s, n);
	n->held = 1;
	n->state = SCHED_HELD;
	return (0);
}

int
sched_edit_release(struct sched *s, struct sched_node *n, int64_t now)
{
	if (n->state != SCHED_HELD)
		return (-EINVAL);
	n->held = 0;
	if (sched_node_npending(n) > 0)
		n->state = SCHED_BLOCKED;
	else
		sched_place(s, n, now);
	return (0);
}

void
sched_edit_not_before(struct sched *s, struct sched_node *n,
    int64_t not_before, int64_t now)
{
	if (n->state == SCHED_DELAYED || n->state == SCHED_READY) {
		sched_edit_unplace(s, n);
		n->not_before = not_before;
		sched_place(s, n, now);
	} else
		n->not_before = not_before;
}

int
sched_edit_queue(struct sched *s, struct sched_node *n, struct sched_queue *q,
    int64_t now)
{
	struct sched_queue	*oldq = n->queue;
	struct sched_uq		*olduq = n->uq, *newuq;
	enum sched_state	 st = n->state;

	if (!sched_edit_queued(n) ||
	    (n->array != NULL && n->array->throttle > 0 && q != oldq))
		return (-EINVAL);
	if (q == oldq)
		return (0);
	/* room first: the new queue's heap and the user's place in it */
	if (sched_heap_reserve(&q->ready, q->nqueued + q->nrunning + 1) < 0)
		return (-ENOMEM);
	n->queue = q;
	if (sched_fair_attach(s, n) < 0) {
		n->queue = oldq;
		n->uq = olduq;
		return (-ENOMEM);
	}
	newuq = n->uq;
	/* out of the old queue */
	n->queue = oldq;
	n->uq = olduq;
	sched_edit_unplace(s, n);
	sched_fair_count(n, -1, 0);
	oldq->nqueued--;
	sched_fair_detach(s, n);
	sched_heap_shrink(&oldq->ready, oldq->nqueued + oldq->nrunning);
	/* into the new one */
	n->queue = q;
	n->uq = newuq;
	sched_fair_count(n, 1, 0);
	q->nqueued++;
	if (st == SCHED_DELAYED || st == SCHED_READY)
		sched_place(s, n, now);
	return (0);
}

int
sched_edit_cycle(struct sched *s, struct sched_node *n,
    struct sched_node *dep)
{
	struct sched_node	**stack, **v, *x, *y;
	struct sched_edge	 *e;
	size_t			  sn = 0, cap = 64;
	int			  found = 0;

	if (dep == n)
		return (1);
	if (sched_node_in(dep) == NULL)
		return (0);	/* depends on nothing: reaches nothing */
	if ((stack = malloc(cap * sizeof(*stack))) == NULL)
		return (-ENOMEM);
	s->visit_epoch++;
	dep->link->visit = s->visit_epoch;
	stack[sn++] = dep;
	while (sn > 0 && !found) {
		x = stack[--sn];
		SCHED_ASSERT(x->link != NULL);
		for (e = x->link->in; e != NULL; e = e->in_next) {
			y = e->dependency;
			if (y == n) {
				found = 1;
				break;
			}
			if (y == NULL)	/* on a cascade's work list: ended */
				continue;
			/* y has an out-edge (e): it has a side record */
			if (y->link->visit == s->visit_epoch)
				continue;
			y->link->visit = s->visit_epoch;
			if (sn == cap) {
				v = realloc(stack, 2 * cap * sizeof(*stack));
				if (v == NULL) {
					free(stack);
					return (-ENOMEM);
				}
				stack = v;
				cap *= 2;
			}
			stack[sn++] = y;
		}
	}
	free(stack);
	return (found);
}

int
sched_edit_dep_add(struct sched *s, struct sched_node *n,
    struct sched_node *dep, enum sched_dep_mode mode)
{
	enum sched_state	st = n->state;
	int			rv;

	if (!sched_edit_queued(n) || dep->state == SCHED_DONE ||
	    dep->state == SCHED_NEW)
		return (-EINVAL);
	/* sched_dep_add wants a NEW node: it only links and counts */
	n->state = SCHED_NEW;
	rv = sched_dep_add(s, n, dep, mode);
	n->state = st;
	if (rv < 0)
		return (rv);
	if (st == SCHED_DELAYED || st == SCHED_READY) {
		sched_edit_unplace(s, n);
		n->state = SCHED_BLOCKED;
	}
	return (0);
}

int
sched_edit_dep_remove(struct sched *s, struct sched_node *n,
    struct sched_node *dep, int64_t now)
{
	struct sched_edge	*e, *next;
	int			 k = 0;

	if (n->link == NULL)
		return (0);	/* depends on nothing */
	for (e = n->link->in; e != NULL; e = next) {
		next = e->in_next;
		if (e->dependency != dep)
			continue;
		sched_edge_unlink_free(s, e);
		SCHED_ASSERT(n->link->npending > 0);
		n->link->npending--;
		k++;
	}
	if (k == 0)
		return (0);
	if (n->link->npending == 0 && n->state == SCHED_BLOCKED)
		sched_place(s, n, now);
	/* the last edge of either end gone? */
	sched_node_trim(n);
	sched_node_trim(dep);
	return (k);
}

int
sched_edit_res(struct sched *s, struct sched_node *n, struct sched_res_req *r)
{
	struct sched_res_req	*old = sched_node_res(n);
	int			 rv;

	if (!sched_edit_queued(n) || (old != NULL && old->holding) ||
	    (r != NULL && s->res != NULL && !sched_res_possible(s->res, r)))
		return (-EINVAL);
	if ((rv = sched_node_set_res(n, r)) < 0)
		return (rv);	/* -ENOMEM: no side record, r untouched */
	/* nothing held while queued; reservations are per decision */
	if (r != NULL) {
		memset(r->given, 0, sizeof(r->given));
		r->holding = 0;
	}
	return (0);
}
