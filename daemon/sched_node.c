/*
 * sched_node.c - a node's side record (struct sched_link, sched_int.h):
 * what few nodes need (dependency edges, the pending count, the cycle
 * search's mark, a slots/resources request), allocated when a node first
 * needs it and freed as soon as it holds nothing (sched_node_trim), and
 * the accessors through which the rest of jobqd reads it.  The lifetime
 * rules are in sched.h; the edges themselves are linked in sched.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "sched_int.h"

/* Frees n's side record if it holds nothing (no edge, no request). */
void
sched_node_trim(struct sched_node *n)
{
	struct sched_link	*l = n->link;

	if (l == NULL || l->out != NULL || l->in != NULL || l->res != NULL)
		return;
	SCHED_ASSERT(l->npending == 0);	/* one per edge on `in` */
	free(l);
	n->link = NULL;
}

int
sched_node_set_res(struct sched_node *n, struct sched_res_req *r)
{
	struct sched_res_req	*old = sched_node_res(n);

	/* what a RUNNING node took is given back from its request */
	SCHED_ASSERT(old == NULL || !old->holding);
	if (n->link == NULL) {
		if (r == NULL)
			return (0);
		if ((n->link = calloc(1, sizeof(*n->link))) == NULL)
			return (-ENOMEM);
	}
	n->link->res = r;
	sched_node_trim(n);
	return (0);
}

struct sched_res_req *
sched_node_res(const struct sched_node *n)
{
	return (sched_link_res(n));
}

int
sched_node_slots(const struct sched_node *n)
{
	const struct sched_res_req	*r = sched_node_res(n);

	return (r != NULL ? r->slots : 1);
}

void
sched_node_release(struct sched_node *n)
{
	free(n->link);
	n->link = NULL;
}

unsigned
sched_node_npending(const struct sched_node *n)
{
	return (n->link != NULL ? n->link->npending : 0);
}

const struct sched_edge *
sched_node_in(const struct sched_node *n)
{
	return (n->link != NULL ? n->link->in : NULL);
}

const struct sched_edge *
sched_node_out(const struct sched_node *n)
{
	return (n->link != NULL ? n->link->out : NULL);
}
