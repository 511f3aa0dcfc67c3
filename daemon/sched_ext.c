/*
 * sched_ext.c - external queues (sched.h): queues whose jobs run on
 * another executor (Slurm), so they take no worker slot and no resource of
 * the pool, and the adoption of a node found running elsewhere at start-up.
 * Pure like the rest of the scheduler: no I/O, no clock.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "sched.h"
#include "sched_int.h"

void
sched_queue_set_external(struct sched_queue *q, int external)
{
	q->external = external != 0;
}

int
sched_queue_external(const struct sched_queue *q)
{
	return (q->external);
}

/*
 * A NEW node enters as RUNNING, as if sched_add() and sched_next_ext()
 * had taken it: counted running in its queue, for its user and its array;
 * no slot or resource (res_skip).  Its queue's parallel limit and its
 * array's throttle count it but do not refuse it: it is running already.
 */
int
sched_adopt(struct sched *s, struct sched_node *n)
{
	struct sched_queue	*q = n->queue;
	struct sched_array	*a = n->array;

	SCHED_ASSERT(n->state == SCHED_NEW && q != NULL &&
	    sched_node_in(n) == NULL);
	if (sched_heap_reserve(&s->delayed, s->nqueued + s->nrunning + 1) ||
	    sched_heap_reserve(&q->ready, q->nqueued + q->nrunning + 1) ||
	    (a != NULL && a->throttle > 0 &&
	    sched_heap_reserve(&a->ready, a->nlive + 1)) ||
	    sched_fair_attach(s, n) < 0)
		return (-ENOMEM);
	if (a != NULL) {
		if (a->nlive == 0) {
			a->queue = q;
			a->uq = a->entry.uq = n->uq;
		}
		a->nlive++;
		a->nrunning++;
	}
	n->state = SCHED_RUNNING;
	n->res_skip = 1;
	q->nrunning++;
	s->nrunning++;
	sched_fair_count(n, 0, 1);
	return (0);
}
