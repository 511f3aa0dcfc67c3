/*
 * sched_int.h - the scheduler's structures, shared by sched.c (queues,
 * arrays, heaps, the time heap, dependencies), sched_node.c (nodes' side
 * records), sched_fair.c (users: fair share and per-user caps) and the
 * other sched_*.c files.  Nothing outside the scheduler includes it.
 */
#ifndef JOBQD_SCHED_INT_H
#define JOBQD_SCHED_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "sched.h"

/* Broken invariants only; stays on in release builds. */
#define SCHED_ASSERT(x) do {						\
	if (!(x))							\
		abort();						\
} while (0)

#define SCHED_NOIDX	UINT32_MAX	/* node.heap_idx: in no heap; heaps hold
					   fewer entries (sched_heap_reserve) */
#define SCHED_HEAP_MIN	16

/* What a heap is ordered by. */
enum sched_heap_kind {
	SCHED_BYPRIO = 0,	/* priority (higher first), then id */
	SCHED_BYTIME,		/* not_before, then id */
	SCHED_BYUSER		/* users' entries: priority, then the user's
				   last start (older first), then id */
};

struct sched_heap {
	struct sched_node	**v;
	size_t			  n;
	size_t			  cap;
	enum sched_heap_kind	  kind;
};

struct sched_queue {
	int			 parallel;
	int			 paused;
	int			 external;	/* sched_ext.c */
	size_t			 nrunning;
	size_t			 nqueued;
	struct sched_heap	 ready;		/* BYUSER: its users' entries */
	char			 name[];
};

struct sched_array {
	int64_t			 id;
	int			 throttle;
	size_t			 nrunning;
	size_t			 nlive;		/* added, not DONE */
	struct sched_queue	*queue;		/* of its live nodes */
	struct sched_uq		*uq;		/* of its live nodes */
	struct sched_heap	 ready;		/* throttle > 0 only */
	struct sched_node	 entry;		/* proxy in uq->ready */
	struct sched_array	*hnext;		/* hash chain */
};

/* A user (sched_fair.c), while she has live nodes or reserved places. */
struct sched_user {
	uid_t			 uid;
	uint64_t		 stamp;		/* s->fair_seq at her last
						   start; 0: none yet */
	size_t			 nqueued;	/* over all queues */
	size_t			 nrunning;
	size_t			 nreserved;	/* sched_fair_reserve() */
	struct sched_uq		*uqs;		/* her queues */
	struct sched_user	*hnext;		/* hash chain */
};

/* One user's nodes in one queue (sched_fair.c). */
struct sched_uq {
	struct sched_user	*user;
	struct sched_queue	*queue;
	size_t			 nqueued;
	size_t			 nrunning;
	size_t			 nreserved;
	struct sched_heap	 ready;		/* BYPRIO: plain nodes and
						   throttled arrays' entries */
	struct sched_node	 entry;		/* proxy in queue->ready */
	struct sched_uq		*unext;		/* user->uqs */
	struct sched_uq		*skip;		/* sched_fair_next()'s list */
};

/*
 * A node's side record (node.link): what few nodes need, kept out of
 * struct sched_node.  A node has one exactly while it has an edge (either
 * way) or a request (sched_node.c: sched_node_trim frees it when it holds
 * neither).  No side record means no edge, nothing pending,
 * sched_edit_cycle's mark unneeded (no edge leads to the node) and a
 * request of one slot, no resource.  Allocated zeroed, so a new one is
 * unmarked (visit 0 < s->visit_epoch during a search).
 */
struct sched_link {
	struct sched_edge	*out;		/* edges to nodes that depend
						   on this one */
	struct sched_edge	*in;		/* edges to nodes this one
						   depends on */
	struct sched_res_req	*res;		/* the caller's; NULL: one slot,
						   no resource */
	uint64_t		 visit;		/* sched_edit_cycle's mark */
	unsigned		 npending;	/* dependencies not yet met:
						   the edges on `in` */
};

struct sched_edge {
	struct sched_node	 *dependent;
	struct sched_node	 *dependency;	/* NULL once on the work list */
	enum sched_dep_mode	  mode;
	int			  succeeded;	/* the dependency's outcome */
	struct sched_edge	 *out_next;	/* dependency->link->out or the
						   work list */
	struct sched_edge	**out_pprev;
	struct sched_edge	 *in_next;	/* dependent->link->in */
	struct sched_edge	**in_pprev;
	struct sched_edge	 *all_next;	/* s->edges */
	struct sched_edge	**all_pprev;
};

struct sched {
	sched_cancel_cb		  canceled;
	void			 *arg;

	struct sched_queue	**queues;	/* sorted by name */
	size_t			  nqueues;
	size_t			  queues_cap;

	struct sched_array	**buckets;	/* power of two */
	size_t			  nbuckets;
	size_t			  narrays;

	struct sched_heap	  delayed;
	size_t			  nqueued;
	size_t			  nrunning;

	struct sched_edge	 *edges;	/* every edge */
	struct sched_edge	 *work;		/* edges to evaluate, FIFO */
	struct sched_edge	**work_tail;
	uint64_t		  visit_epoch;	/* sched_edit_cycle() */

	/* sched_fair.c */
	struct sched_user	**ubuckets;	/* power of two */
	size_t			  nubuckets;
	size_t			  nusers;
	uint64_t		  fair_seq;	/* starts so far */
	const struct conf *const *conf;		/* caps; NULL: none */

	struct sched_res_pool	 *res;		/* sched_res.c; NULL: none */
};

/* sched.c */
int	sched_heap_before(const struct sched_heap *, const struct sched_node *,
	    const struct sched_node *);
int	sched_heap_reserve(struct sched_heap *, size_t);
void	sched_heap_shrink(struct sched_heap *, size_t);
void	sched_heap_push(struct sched_heap *, struct sched_node *);
void	sched_heap_remove(struct sched_heap *, struct sched_node *);
struct sched_node *sched_heap_pop(struct sched_heap *);
void	sched_heap_fix(struct sched_heap *, struct sched_node *);
void	sched_array_sync(struct sched_array *);
int	sched_is_entry(const struct sched_node *);
void	sched_ready_insert(struct sched *, struct sched_node *);
void	sched_ready_remove(struct sched *, struct sched_node *);
void	sched_place(struct sched *, struct sched_node *, int64_t now);
void	sched_edge_unlink_free(struct sched *, struct sched_edge *);

/* sched_node.c */
void	sched_node_trim(struct sched_node *);

/* n's request, as sched_node_res(): here, because sched_res.c is also
 * linked without sched.c and sched_node.c (tests/check_conf*). */
static inline struct sched_res_req *
sched_link_res(const struct sched_node *n)
{
	return (n->link != NULL ? n->link->res : NULL);
}

/* sched_res.c: a node's slots and instances (no pool: always fits) */
int	sched_res_node_fits(struct sched *, const struct sched_node *);
void	sched_res_node_wait(struct sched *, const struct sched_node *);
void	sched_res_node_take(struct sched *, struct sched_node *);
void	sched_res_node_give(struct sched *, struct sched_node *);

/* sched_fair.c */
int	sched_fair_before(const struct sched_node *, const struct sched_node *);
int	sched_fair_attach(struct sched *, struct sched_node *);
void	sched_fair_detach(struct sched *, struct sched_node *);
void	sched_fair_count(struct sched_node *, int dqueued, int drunning);
void	sched_fair_sync(struct sched_uq *);
struct sched_node *sched_fair_next(struct sched *, int external);
void	sched_fair_free(struct sched *);

#endif
