/*
 * check_sched.c - unit tests of the scheduler's policy (daemon/sched.c):
 * ordering (priority, FIFO, across queues), queue limits and pausing, the
 * time heap, requeue, dependencies and cancellation cascades, nodes' side
 * records (made for a first edge or request, freed when they hold
 * nothing, released by the owner: nothing leaks, under ASan with
 * CK_FORK=no), throttled arrays and their lifetime, retry backoff, and a
 * randomized comparison against a brute-force reference model.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

/* ---- helpers ---- */

/* For checks inside big loops: a passing ck_assert costs a message to the
 * parent process, this costs nothing. */
#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* The canceled callback's log. */
struct rec {
	struct sched_node	**v;
	size_t			  n;
	size_t			  cap;
	int			  bad_state;	/* a callback saw n not DONE */
};

static void
rec_cb(void *arg, struct sched_node *n)
{
	struct rec	*r = arg;

	if (n->state != SCHED_DONE)
		r->bad_state = 1;
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 64 : r->cap * 2;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		ck_assert_ptr_nonnull(r->v);
	}
	r->v[r->n++] = n;
}

static struct rec rec;

static struct sched *
new_sched(void)
{
	struct sched	*s;

	free(rec.v);
	memset(&rec, 0, sizeof(rec));
	s = sched_new(rec_cb, &rec);
	ck_assert_ptr_nonnull(s);
	return (s);
}

static void
free_sched(struct sched *s)
{
	sched_free(s);
	free(rec.v);
	memset(&rec, 0, sizeof(rec));
}

static struct sched_queue *
queue(struct sched *s, const char *name)
{
	struct sched_queue	*q;

	q = sched_queue_get(s, name, 1);
	ck_assert_ptr_nonnull(q);
	return (q);
}

/* Inits and adds n; expects it added (not doomed). */
static void
add(struct sched *s, struct sched_node *n, int64_t id, int prio,
    int64_t not_before, struct sched_queue *q, struct sched_array *a,
    int64_t now)
{
	sched_node_init(n, id, prio, not_before, q, a);
	ck_assert_int_eq(sched_add(s, n, now), 0);
}

/* The id sched_next hands out, or -1. */
static int64_t
next_id(struct sched *s, int64_t now)
{
	struct sched_node	*n;

	n = sched_next(s, now);
	if (n == NULL)
		return (-1);
	ck_assert_int_eq(n->state, SCHED_RUNNING);
	return (n->id);
}

/* ---- ordering ---- */

START_TEST(test_priority_then_fifo)
{
	static const int64_t	 ins[] = { 5, 3, 9, 1, 7, 2, 8, 4, 6, 10 };
	/* priority id % 3: 2 -> 2,5,8; 1 -> 1,4,7,10; 0 -> 3,6,9 */
	static const int64_t	 want[] = { 2, 5, 8, 1, 4, 7, 10, 3, 6, 9 };
	struct sched_node	 nodes[10];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "default");
	size_t			 i;

	for (i = 0; i < 10; i++)
		add(s, &nodes[i], ins[i], (int)(ins[i] % 3), 0, q, NULL, 0);
	ck_assert_uint_eq(sched_nqueued(s), 10);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(next_id(s, 0), want[i]);
	ck_assert_int_eq(next_id(s, 0), -1);
	ck_assert_uint_eq(sched_nqueued(s), 0);
	ck_assert_uint_eq(sched_nrunning(s), 10);
	free_sched(s);
}
END_TEST

START_TEST(test_negative_and_extreme_priorities)
{
	struct sched_node	 n[4];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &n[0], 1, -1000000, 0, q, NULL, 0);
	add(s, &n[1], 2, 0, 0, q, NULL, 0);
	add(s, &n[2], 3, 1000000, 0, q, NULL, 0);
	add(s, &n[3], 4, -1, 0, q, NULL, 0);
	ck_assert_int_eq(next_id(s, 0), 3);
	ck_assert_int_eq(next_id(s, 0), 2);
	ck_assert_int_eq(next_id(s, 0), 4);
	ck_assert_int_eq(next_id(s, 0), 1);
	free_sched(s);
}
END_TEST

START_TEST(test_fifo_equal_priority)
{
	enum { N = 1000 };
	struct sched_node	*nodes;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "default");
	int64_t			 i, j;

	nodes = calloc(N, sizeof(*nodes));
	ck_assert_ptr_nonnull(nodes);
	/* Submission order = id order. */
	for (i = 0; i < N; i++)
		add(s, &nodes[i], i + 1, 7, 0, q, NULL, 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(next_id(s, 0), i + 1);
	for (i = 0; i < N; i++)
		sched_finish(s, &nodes[i], 1, 0);
	/* Inserted in a scrambled order: still handed out by id. */
	for (i = 0; i < N; i++) {
		j = (i * 389) % N;	/* 389 is prime to 1000 */
		add(s, &nodes[i], j + 1, 0, 0, q, NULL, 0);
	}
	for (i = 0; i < N; i++)
		ck_assert_int_eq(next_id(s, 0), i + 1);
	ck_assert_int_eq(next_id(s, 0), -1);
	free(nodes);
	free_sched(s);
}
END_TEST

START_TEST(test_nothing_eligible)
{
	struct sched_node	 a, b;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	ck_assert_ptr_null(sched_next(s, 0));
	add(s, &a, 1, 0, 0, q, NULL, 0);
	add(s, &b, 2, 0, 0, q, NULL, 0);
	ck_assert_uint_eq(sched_nqueued(s), 2);
	ck_assert_uint_eq(sched_queue_nqueued(q), 2);
	/* The global cap is the caller's: with two "workers" it stops. */
	ck_assert_ptr_eq(sched_next(s, 0), &a);
	ck_assert_ptr_eq(sched_next(s, 0), &b);
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_uint_eq(sched_nrunning(s), 2);
	ck_assert_uint_eq(sched_queue_nrunning(q), 2);
	ck_assert_uint_eq(sched_nqueued(s), 0);
	sched_finish(s, &a, 1, 0);
	sched_finish(s, &b, 0, 0);
	ck_assert_int_eq(a.state, SCHED_DONE);
	ck_assert_int_eq(b.state, SCHED_DONE);
	ck_assert_uint_eq(sched_nrunning(s), 0);
	ck_assert_uint_eq(sched_queue_nrunning(q), 0);
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_uint_eq(rec.n, 0);
	free_sched(s);
}
END_TEST

START_TEST(test_priority_across_queues)
{
	struct sched_node	 n[6];
	struct sched		*s = new_sched();
	struct sched_queue	*qa = queue(s, "a"), *qb = queue(s, "b");
	struct sched_queue	*qc = queue(s, "c");

	add(s, &n[0], 1, 1, 0, qa, NULL, 0);
	add(s, &n[1], 2, 1, 0, qa, NULL, 0);
	add(s, &n[2], 3, 5, 0, qb, NULL, 0);
	add(s, &n[3], 4, 1, 0, qb, NULL, 0);
	add(s, &n[4], 5, 1, 0, qc, NULL, 0);
	add(s, &n[5], 0, 1, 0, qc, NULL, 0);
	ck_assert_int_eq(next_id(s, 0), 3);	/* highest priority */
	ck_assert_int_eq(next_id(s, 0), 0);	/* then ids across queues */
	ck_assert_int_eq(next_id(s, 0), 1);
	ck_assert_int_eq(next_id(s, 0), 2);
	ck_assert_int_eq(next_id(s, 0), 4);
	ck_assert_int_eq(next_id(s, 0), 5);
	ck_assert_int_eq(next_id(s, 0), -1);
	free_sched(s);
}
END_TEST

START_TEST(test_set_priority)
{
	struct sched_node	 n[5], dep;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &n[0], 1, 0, 0, q, NULL, 0);
	add(s, &n[1], 2, 0, 0, q, NULL, 0);
	add(s, &n[2], 3, 0, 0, q, NULL, 0);
	/* DELAYED and BLOCKED nodes keep a changed priority. */
	add(s, &n[3], 4, 0, 100, q, NULL, 0);
	add(s, &dep, 10, -5, 0, queue(s, "other"), NULL, 0);
	sched_node_init(&n[4], 5, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &n[4], &dep, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_add(s, &n[4], 0), 0);
	ck_assert_int_eq(n[4].state, SCHED_BLOCKED);
	ck_assert_int_eq(n[3].state, SCHED_DELAYED);

	sched_set_priority(s, &n[2], 10);	/* up: first */
	sched_set_priority(s, &n[0], -10);	/* down: last */
	sched_set_priority(s, &n[3], 20);
	sched_set_priority(s, &n[4], 30);
	ck_assert_int_eq(next_id(s, 0), 3);
	sched_set_priority(s, &n[2], -100);	/* RUNNING: just the field */
	ck_assert_int_eq(n[2].priority, -100);
	ck_assert_int_eq(next_id(s, 0), 2);
	/* dep (priority -5) and n[0] (-10) remain READY; finishing dep
	 * unblocks n[4] (30) and time makes n[3] (20) due. */
	ck_assert_int_eq(next_id(s, 0), 10);
	sched_finish(s, &dep, 1, 0);
	ck_assert_int_eq(n[4].state, SCHED_READY);
	ck_assert_int_eq(next_id(s, 100), 5);
	ck_assert_int_eq(next_id(s, 100), 4);
	ck_assert_int_eq(next_id(s, 100), 1);
	ck_assert_int_eq(next_id(s, 100), -1);
	free_sched(s);
}
END_TEST

/* ---- queues ---- */

START_TEST(test_queue_iteration)
{
	static const char	*names[] = { "zeta", "alpha", "mid", "beta" };
	static const char	*sorted[] = { "alpha", "beta", "mid", "zeta" };
	struct sched		*s = new_sched();
	struct sched_queue	*q, *qs[4];
	size_t			 i;

	ck_assert_ptr_null(sched_queue_first(s));
	for (i = 0; i < 4; i++)
		qs[i] = queue(s, names[i]);
	for (i = 0; i < 4; i++)
		ck_assert_ptr_eq(sched_queue_get(s, names[i], 0), qs[i]);
	ck_assert_ptr_eq(sched_queue_get(s, "mid", 1), qs[2]);
	ck_assert_ptr_null(sched_queue_get(s, "nope", 0));
	i = 0;
	for (q = sched_queue_first(s); q != NULL; q = sched_queue_next(s, q)) {
		ck_assert_uint_lt(i, 4);
		ck_assert_str_eq(sched_queue_name(q), sorted[i]);
		i++;
	}
	ck_assert_uint_eq(i, 4);
	q = qs[0];
	ck_assert_int_eq(sched_queue_parallel(q), 0);
	ck_assert_int_eq(sched_queue_paused(q), 0);
	sched_queue_set(s, q, 3, 1);
	ck_assert_int_eq(sched_queue_parallel(q), 3);
	ck_assert_int_eq(sched_queue_paused(q), 1);
	sched_queue_set(s, q, -1, -1);		/* unchanged */
	ck_assert_int_eq(sched_queue_parallel(q), 3);
	ck_assert_int_eq(sched_queue_paused(q), 1);
	sched_queue_set(s, q, 0, 0);
	ck_assert_int_eq(sched_queue_parallel(q), 0);
	ck_assert_int_eq(sched_queue_paused(q), 0);
	free_sched(s);
}
END_TEST

START_TEST(test_parallel_limit)
{
	struct sched_node	 n[4], o;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q"), *other = queue(s, "other");
	int			 i;

	sched_queue_set(s, q, 2, -1);
	for (i = 0; i < 4; i++)
		add(s, &n[i], i + 1, 0, 0, q, NULL, 0);
	add(s, &o, 100, -50, 0, other, NULL, 0);
	ck_assert_int_eq(next_id(s, 0), 1);
	ck_assert_int_eq(next_id(s, 0), 2);
	/* q is at its limit: the other queue's low-priority job runs. */
	ck_assert_int_eq(next_id(s, 0), 100);
	ck_assert_int_eq(next_id(s, 0), -1);
	ck_assert_uint_eq(sched_queue_nrunning(q), 2);
	ck_assert_uint_eq(sched_queue_nqueued(q), 2);
	sched_finish(s, &n[0], 1, 0);
	ck_assert_int_eq(next_id(s, 0), 3);
	ck_assert_int_eq(next_id(s, 0), -1);
	/* A requeue also frees the slot. */
	sched_requeue(s, &n[1], 0, 0);
	ck_assert_int_eq(next_id(s, 0), 2);
	ck_assert_int_eq(next_id(s, 0), -1);
	/* Lowering the limit below nrunning starts nothing more. */
	sched_queue_set(s, q, 1, -1);
	sched_finish(s, &n[1], 1, 0);
	ck_assert_int_eq(next_id(s, 0), -1);
	/* 0 = no limit. */
	sched_queue_set(s, q, 0, -1);
	ck_assert_int_eq(next_id(s, 0), 4);
	free_sched(s);
}
END_TEST

START_TEST(test_pause_resume)
{
	struct sched_node	 n[3];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &n[0], 1, 0, 0, q, NULL, 0);
	ck_assert_int_eq(next_id(s, 0), 1);
	sched_queue_set(s, q, -1, 1);
	add(s, &n[1], 2, 0, 0, q, NULL, 0);
	add(s, &n[2], 3, 9, 5, q, NULL, 0);
	ck_assert_int_eq(next_id(s, 10), -1);
	/* Running jobs are unaffected; the queued wait. */
	ck_assert_int_eq(n[0].state, SCHED_RUNNING);
	ck_assert_uint_eq(sched_queue_nrunning(q), 1);
	ck_assert_uint_eq(sched_queue_nqueued(q), 2);
	sched_finish(s, &n[0], 1, 10);
	ck_assert_uint_eq(sched_queue_nrunning(q), 0);
	ck_assert_int_eq(next_id(s, 10), -1);
	sched_queue_set(s, q, -1, 0);
	ck_assert_int_eq(next_id(s, 10), 3);
	ck_assert_int_eq(next_id(s, 10), 2);
	free_sched(s);
}
END_TEST

/* ---- time ---- */

START_TEST(test_delayed)
{
	struct sched_node	 n[4];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	ck_assert_int_eq(sched_next_due(s), -1);
	add(s, &n[0], 1, 0, 1500, q, NULL, 1000);
	add(s, &n[1], 2, 0, 1200, q, NULL, 1000);
	add(s, &n[2], 3, 0, 0, q, NULL, 1000);
	add(s, &n[3], 4, 5, 1000, q, NULL, 1000);	/* not_before == now */
	ck_assert_int_eq(n[0].state, SCHED_DELAYED);
	ck_assert_int_eq(n[1].state, SCHED_DELAYED);
	ck_assert_int_eq(n[3].state, SCHED_READY);
	ck_assert_int_eq(sched_next_due(s), 1200);
	ck_assert_uint_eq(sched_nqueued(s), 4);
	ck_assert_int_eq(next_id(s, 1000), 4);
	ck_assert_int_eq(next_id(s, 1000), 3);
	ck_assert_int_eq(next_id(s, 1000), -1);
	ck_assert_int_eq(next_id(s, 1199), -1);
	ck_assert_int_eq(n[1].state, SCHED_DELAYED);
	ck_assert_int_eq(next_id(s, 1200), 2);
	ck_assert_int_eq(sched_next_due(s), 1500);
	/* sched_due alone moves it to READY without starting it. */
	sched_due(s, 1600);
	ck_assert_int_eq(n[0].state, SCHED_READY);
	ck_assert_int_eq(sched_next_due(s), -1);
	ck_assert_int_eq(next_id(s, 1600), 1);
	free_sched(s);
}
END_TEST

START_TEST(test_delayed_priority_and_ties)
{
	struct sched_node	 n[4];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &n[0], 1, 0, 0, q, NULL, 0);
	add(s, &n[1], 2, 3, 50, q, NULL, 0);
	add(s, &n[2], 3, 3, 50, q, NULL, 0);
	add(s, &n[3], 4, 1, 60, q, NULL, 0);
	ck_assert_int_eq(sched_next_due(s), 50);
	/* Once due, a delayed job competes by priority: 2 and 3 beat 1. */
	ck_assert_int_eq(next_id(s, 100), 2);
	ck_assert_int_eq(next_id(s, 100), 3);
	ck_assert_int_eq(next_id(s, 100), 4);
	ck_assert_int_eq(next_id(s, 100), 1);
	free_sched(s);
}
END_TEST

START_TEST(test_requeue_backoff)
{
	struct sched_node	 n, m;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	int64_t			 now = 5000, d;

	add(s, &n, 1, 0, 0, q, NULL, now);
	add(s, &m, 2, 0, 0, q, NULL, now);
	ck_assert_ptr_eq(sched_next(s, now), &n);
	d = sched_backoff_ms(1000, 1, 60000, 0.5);
	ck_assert_int_eq(d, 1000);
	sched_requeue(s, &n, now + d, now);
	ck_assert_int_eq(n.state, SCHED_DELAYED);
	ck_assert_int_eq(n.not_before, now + d);
	ck_assert_uint_eq(sched_nrunning(s), 0);
	ck_assert_uint_eq(sched_nqueued(s), 2);
	ck_assert_int_eq(sched_next_due(s), now + d);
	ck_assert_ptr_eq(sched_next(s, now), &m);
	ck_assert_ptr_null(sched_next(s, now + d - 1));
	ck_assert_ptr_eq(sched_next(s, now + d), &n);
	/* Second failure: twice the delay. */
	now += d;
	d = sched_backoff_ms(1000, 2, 60000, 0.5);
	ck_assert_int_eq(d, 2000);
	sched_requeue(s, &n, now + d, now);
	ck_assert_ptr_null(sched_next(s, now + d - 1));
	ck_assert_ptr_eq(sched_next(s, now + d), &n);
	/* A claim undone: READY at once, first again by id. */
	sched_requeue(s, &m, 0, now + d);
	ck_assert_int_eq(m.state, SCHED_READY);
	sched_requeue(s, &n, 0, now + d);
	ck_assert_ptr_eq(sched_next(s, now + d), &n);
	ck_assert_ptr_eq(sched_next(s, now + d), &m);
	free_sched(s);
}
END_TEST

/* ---- dependencies ---- */

static const struct {
	enum sched_dep_mode	mode;
	int			succeeded;
	int			holds;
} dep_table[] = {
	{ SCHED_DEP_OK, 1, 1 },
	{ SCHED_DEP_OK, 0, 0 },
	{ SCHED_DEP_NOTOK, 1, 0 },
	{ SCHED_DEP_NOTOK, 0, 1 },
	{ SCHED_DEP_ANY, 1, 1 },
	{ SCHED_DEP_ANY, 0, 1 },
};

START_TEST(test_dep_modes)
{
	struct sched_node	 a, b;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	int			 holds = dep_table[_i].holds;

	add(s, &a, 1, 0, 0, q, NULL, 0);
	sched_node_init(&b, 2, 100, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &b, &a, dep_table[_i].mode), 0);
	ck_assert_uint_eq(sched_node_npending(&b), 1);
	ck_assert_int_eq(sched_add(s, &b, 0), 0);
	ck_assert_int_eq(b.state, SCHED_BLOCKED);
	ck_assert_uint_eq(sched_nqueued(s), 2);
	/* b has the higher priority but is blocked. */
	ck_assert_ptr_eq(sched_next(s, 0), &a);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &a, dep_table[_i].succeeded, 0);
	ck_assert_ptr_null(sched_node_out(&a));
	ck_assert_ptr_null(sched_node_in(&b));
	if (holds) {
		ck_assert_int_eq(b.state, SCHED_READY);
		ck_assert_uint_eq(sched_node_npending(&b), 0);
		ck_assert_uint_eq(rec.n, 0);
		ck_assert_uint_eq(sched_nqueued(s), 1);
		ck_assert_ptr_eq(sched_next(s, 0), &b);
	} else {
		ck_assert_int_eq(b.state, SCHED_DONE);
		ck_assert_int_eq(b.doomed, 1);
		ck_assert_uint_eq(rec.n, 1);
		ck_assert_ptr_eq(rec.v[0], &b);
		ck_assert_uint_eq(sched_nqueued(s), 0);
		ck_assert_uint_eq(sched_queue_nqueued(q), 0);
		ck_assert_ptr_null(sched_next(s, 0));
	}
	ck_assert_int_eq(rec.bad_state, 0);
	free_sched(s);
}
END_TEST

START_TEST(test_dep_ended)
{
	struct sched_node	 n, live;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	int			 holds = dep_table[_i].holds;

	add(s, &live, 1, 0, 0, q, NULL, 0);
	sched_node_init(&n, 2, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &n, &live, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_dep_ended(s, &n, dep_table[_i].mode,
	    dep_table[_i].succeeded), holds);
	ck_assert_int_eq(n.doomed, !holds);
	if (holds) {
		ck_assert_int_eq(sched_add(s, &n, 0), 0);
		ck_assert_int_eq(n.state, SCHED_BLOCKED);
		/* only the live one */
		ck_assert_uint_eq(sched_node_npending(&n), 1);
		sched_finish(s, &live, 0, 0);
		ck_assert_int_eq(n.state, SCHED_READY);
		ck_assert_uint_eq(sched_nqueued(s), 1);
	} else {
		/* Not added; its live edge is gone; no callback. */
		ck_assert_int_eq(sched_add(s, &n, 0), 1);
		ck_assert_int_eq(n.state, SCHED_DONE);
		ck_assert_ptr_null(sched_node_in(&n));
		ck_assert_ptr_null(sched_node_out(&live));
		ck_assert_uint_eq(sched_nqueued(s), 1);
		ck_assert_uint_eq(sched_queue_nqueued(q), 1);
		sched_finish(s, &live, 0, 0);
		ck_assert_uint_eq(sched_nqueued(s), 0);
	}
	ck_assert_uint_eq(rec.n, 0);
	free_sched(s);
}
END_TEST

START_TEST(test_dep_ended_no_edges)
{
	struct sched_node	 n;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	/* All dependencies ended and held: READY (or DELAYED) at once. */
	sched_node_init(&n, 1, 0, 50, q, NULL);
	ck_assert_int_eq(sched_dep_ended(s, &n, SCHED_DEP_OK, 1), 1);
	ck_assert_int_eq(sched_dep_ended(s, &n, SCHED_DEP_NOTOK, 0), 1);
	ck_assert_int_eq(sched_add(s, &n, 0), 0);
	ck_assert_int_eq(n.state, SCHED_DELAYED);
	ck_assert_int_eq(next_id(s, 49), -1);
	ck_assert_int_eq(next_id(s, 50), 1);
	free_sched(s);
}
END_TEST

START_TEST(test_multiple_deps)
{
	struct sched_node	 a, b, c, d, e;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &a, 1, 0, 0, q, NULL, 0);
	add(s, &b, 2, 0, 0, q, NULL, 0);
	/* c: a ok, b any -> runs when both ended so. */
	sched_node_init(&c, 3, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &c, &a, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_add(s, &c, &b, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_add(s, &c, 0), 0);
	/* d: a ok, b ok -> b fails: canceled although a held. */
	sched_node_init(&d, 4, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &d, &a, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_add(s, &d, &b, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &d, 0), 0);
	/* e: b notok twice (the same dependency twice), a any, with a delay. */
	sched_node_init(&e, 5, 0, 70, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &e, &b, SCHED_DEP_NOTOK), 0);
	ck_assert_int_eq(sched_dep_add(s, &e, &b, SCHED_DEP_NOTOK), 0);
	ck_assert_int_eq(sched_dep_add(s, &e, &a, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_add(s, &e, 0), 0);
	ck_assert_uint_eq(sched_node_npending(&c), 2);
	ck_assert_uint_eq(sched_node_npending(&d), 2);
	ck_assert_uint_eq(sched_node_npending(&e), 3);

	ck_assert_int_eq(next_id(s, 0), 1);
	ck_assert_int_eq(next_id(s, 0), 2);
	ck_assert_int_eq(next_id(s, 0), -1);
	sched_finish(s, &a, 1, 10);
	ck_assert_int_eq(c.state, SCHED_BLOCKED);
	ck_assert_int_eq(d.state, SCHED_BLOCKED);
	ck_assert_int_eq(e.state, SCHED_BLOCKED);
	ck_assert_uint_eq(sched_node_npending(&c), 1);
	ck_assert_uint_eq(sched_node_npending(&d), 1);
	ck_assert_uint_eq(sched_node_npending(&e), 2);
	sched_finish(s, &b, 0, 20);
	ck_assert_int_eq(c.state, SCHED_READY);
	ck_assert_int_eq(d.state, SCHED_DONE);
	ck_assert_int_eq(e.state, SCHED_DELAYED);	/* 70 > now 20 */
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_ptr_eq(rec.v[0], &d);
	ck_assert_uint_eq(sched_nqueued(s), 2);
	ck_assert_int_eq(next_id(s, 20), 3);
	ck_assert_int_eq(next_id(s, 20), -1);
	ck_assert_int_eq(next_id(s, 70), 5);
	free_sched(s);
}
END_TEST

/* Builds a chain: n[i] depends (ok) on n[i-1]; n[0] is added running. */
static void
chain(struct sched *s, struct sched_queue *q, struct sched_node *n, size_t len)
{
	size_t	i;

	add(s, &n[0], 1, 0, 0, q, NULL, 0);
	for (i = 1; i < len; i++) {
		sched_node_init(&n[i], (int64_t)i + 1, 0, 0, q, NULL);
		ck_assert_int_eq(sched_dep_add(s, &n[i], &n[i - 1],
		    SCHED_DEP_OK), 0);
		ck_assert_int_eq(sched_add(s, &n[i], 0), 0);
	}
	ck_assert_ptr_eq(sched_next(s, 0), &n[0]);
}

START_TEST(test_chain_cancel)
{
	struct sched_node	 n[3], x;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	chain(s, q, n, 3);
	/* x runs only if n[1] fails: it is canceled, so x runs. */
	sched_node_init(&x, 10, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &x, &n[1], SCHED_DEP_NOTOK), 0);
	ck_assert_int_eq(sched_add(s, &x, 0), 0);
	sched_finish(s, &n[0], 0, 0);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_ptr_eq(rec.v[0], &n[1]);
	ck_assert_ptr_eq(rec.v[1], &n[2]);
	ck_assert_int_eq(n[1].state, SCHED_DONE);
	ck_assert_int_eq(n[2].state, SCHED_DONE);
	ck_assert_int_eq(x.state, SCHED_READY);
	ck_assert_uint_eq(sched_nqueued(s), 1);
	ck_assert_uint_eq(sched_nrunning(s), 0);
	ck_assert_int_eq(next_id(s, 0), 10);
	free_sched(s);
}
END_TEST

START_TEST(test_chain_success)
{
	struct sched_node	 n[3];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	chain(s, q, n, 3);
	sched_finish(s, &n[0], 1, 0);
	ck_assert_int_eq(n[1].state, SCHED_READY);
	ck_assert_int_eq(n[2].state, SCHED_BLOCKED);
	ck_assert_ptr_eq(sched_next(s, 0), &n[1]);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &n[1], 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &n[2]);
	ck_assert_uint_eq(rec.n, 0);
	free_sched(s);
}
END_TEST

/* Index of p in the callback log, or -1. */
static int
rec_pos(const struct sched_node *p)
{
	size_t	i;

	for (i = 0; i < rec.n; i++)
		if (rec.v[i] == p)
			return ((int)i);
	return (-1);
}

START_TEST(test_diamond)
{
	struct sched_node	 a, b, c, d;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	/* a <- b, a <- c, b <- d, c <- d; c depends on a with mode _i. */
	add(s, &a, 1, 0, 0, q, NULL, 0);
	sched_node_init(&b, 2, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &b, &a, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &b, 0), 0);
	sched_node_init(&c, 3, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &c, &a,
	    _i == 0 ? SCHED_DEP_OK : SCHED_DEP_NOTOK), 0);
	ck_assert_int_eq(sched_add(s, &c, 0), 0);
	/* d depends on both; with _i == 0 both are canceled first. */
	sched_node_init(&d, 4, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &d, &c, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_add(s, &d, &b, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &d, 0), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &a);
	sched_finish(s, &a, 0, 0);
	if (_i == 0) {
		ck_assert_uint_eq(rec.n, 3);
		ck_assert_int_ge(rec_pos(&b), 0);
		ck_assert_int_ge(rec_pos(&c), 0);
		ck_assert_int_eq(rec_pos(&d), 2);
		ck_assert_uint_eq(sched_nqueued(s), 0);
	} else {
		/* c runs (a failed), b is canceled and dooms d. */
		ck_assert_uint_eq(rec.n, 2);
		ck_assert_int_eq(rec_pos(&b), 0);
		ck_assert_int_eq(rec_pos(&d), 1);
		ck_assert_int_eq(c.state, SCHED_READY);
		ck_assert_ptr_null(sched_node_out(&c));
		ck_assert_uint_eq(sched_nqueued(s), 1);
	}
	ck_assert_int_eq(d.state, SCHED_DONE);
	ck_assert_ptr_null(sched_node_in(&d));
	ck_assert_int_eq(rec.bad_state, 0);
	free_sched(s);
}
END_TEST

START_TEST(test_long_chain)
{
	enum { N = 100000 };
	struct sched_node	*n;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	size_t			 i;

	n = calloc(N, sizeof(*n));
	ck_assert_ptr_nonnull(n);
	chain(s, q, n, N);
	ck_assert_uint_eq(sched_nqueued(s), N - 1);
	sched_finish(s, &n[0], 0, 0);
	ck_assert_uint_eq(rec.n, N - 1);
	for (i = 1; i < N; i++) {
		CHECK(rec.v[i - 1] == &n[i], "callback %zu out of order", i);
		CHECK(n[i].state == SCHED_DONE, "node %zu not DONE", i);
	}
	ck_assert_uint_eq(sched_nqueued(s), 0);
	ck_assert_uint_eq(sched_queue_nqueued(q), 0);
	free(n);
	free_sched(s);
}
END_TEST

START_TEST(test_fan_out)
{
	enum { N = 5000 };
	struct sched_node	*n, root;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	size_t			 i;

	n = calloc(N, sizeof(*n));
	ck_assert_ptr_nonnull(n);
	add(s, &root, 1, 0, 0, q, NULL, 0);
	for (i = 0; i < N; i++) {
		sched_node_init(&n[i], (int64_t)i + 2, 0, 0, q, NULL);
		ck_assert_int_eq(sched_dep_add(s, &n[i], &root,
		    i % 2 ? SCHED_DEP_OK : SCHED_DEP_NOTOK), 0);
		ck_assert_int_eq(sched_add(s, &n[i], 0), 0);
	}
	ck_assert_ptr_eq(sched_next(s, 0), &root);
	sched_finish(s, &root, 1, 0);
	ck_assert_uint_eq(rec.n, N / 2);
	ck_assert_uint_eq(sched_nqueued(s), N / 2);
	for (i = 0; i < N; i += 2)
		ck_assert_int_eq(n[i].state, SCHED_DONE);
	for (i = 1; i < N; i += 2)
		ck_assert_int_eq(next_id(s, 0), (int64_t)i + 2);
	free(n);
	free_sched(s);
}
END_TEST

/* A dependency still NEW that is doomed at sched_add: its dependents are
 * evaluated as if it had failed. */
START_TEST(test_doomed_with_dependents)
{
	struct sched_node	 a, b, c;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	sched_node_init(&a, 1, 0, 0, q, NULL);
	sched_node_init(&b, 2, 0, 0, q, NULL);
	sched_node_init(&c, 3, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &b, &a, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_add(s, &c, &a, SCHED_DEP_NOTOK), 0);
	ck_assert_int_eq(sched_dep_ended(s, &a, SCHED_DEP_OK, 0), 0);
	ck_assert_int_eq(sched_add(s, &c, 0), 0);	/* c BLOCKED; b NEW */
	ck_assert_int_eq(sched_add(s, &a, 0), 1);
	ck_assert_int_eq(a.state, SCHED_DONE);
	ck_assert_int_eq(c.state, SCHED_READY);
	ck_assert_int_eq(b.state, SCHED_NEW);
	ck_assert_int_eq(b.doomed, 1);
	ck_assert_uint_eq(rec.n, 0);
	ck_assert_int_eq(sched_add(s, &b, 0), 1);
	ck_assert_int_eq(b.state, SCHED_DONE);
	ck_assert_uint_eq(sched_nqueued(s), 1);
	free_sched(s);
}
END_TEST

/*
 * The side record (sched.h): none without an edge or a request; made for
 * both ends of a first edge and for a request; gone as soon as it holds
 * neither; a DONE node keeps it for its request only, until
 * sched_node_release.  Run under ASan (CK_FORK=no) nothing leaks.
 */
START_TEST(test_link_lifetime)
{
	struct sched_node	 a, b, c, d, e, f;
	struct sched_res_req	 rc, re, rf;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	memset(&rc, 0, sizeof(rc));
	rc.slots = 2;
	re = rf = rc;
	add(s, &a, 1, 0, 0, q, NULL, 0);
	add(s, &b, 2, 0, 0, q, NULL, 0);
	ck_assert_ptr_null(a.link);
	ck_assert_ptr_null(sched_node_res(&a));
	ck_assert_int_eq(sched_node_slots(&a), 1);
	ck_assert_uint_eq(sched_node_npending(&a), 0);
	ck_assert_ptr_null(sched_node_in(&a));
	ck_assert_ptr_null(sched_node_out(&a));
	/* c asks 2 slots and depends on a and b */
	sched_node_init(&c, 3, 0, 0, q, NULL);
	ck_assert_int_eq(sched_node_set_res(&c, &rc), 0);
	ck_assert_ptr_nonnull(c.link);
	ck_assert_ptr_eq(sched_node_res(&c), &rc);
	ck_assert_int_eq(sched_node_slots(&c), 2);
	ck_assert_int_eq(sched_dep_add(s, &c, &a, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_add(s, &c, &b, SCHED_DEP_ANY), 0);
	ck_assert_ptr_nonnull(a.link);
	ck_assert_ptr_nonnull(sched_node_out(&a));
	ck_assert_ptr_nonnull(sched_node_in(&c));
	ck_assert_uint_eq(sched_node_npending(&c), 2);
	ck_assert_int_eq(sched_add(s, &c, 0), 0);
	/* d (none yet) comes to depend on c by an edit; e, with a request,
	 * on d */
	add(s, &d, 4, 0, 0, q, NULL, 0);
	ck_assert_ptr_null(d.link);
	/* d has no side record: it reaches nothing */
	ck_assert_int_eq(sched_edit_cycle(s, &c, &d), 0);
	ck_assert_int_eq(sched_edit_cycle(s, &d, &c), 0);
	ck_assert_int_eq(sched_edit_dep_add(s, &d, &c, SCHED_DEP_OK), 0);
	ck_assert_int_eq(d.state, SCHED_BLOCKED);
	ck_assert_ptr_nonnull(d.link);
	ck_assert_int_eq(sched_edit_cycle(s, &c, &d), 1);
	ck_assert_int_eq(sched_edit_cycle(s, &a, &d), 1);	/* d, c, a */
	ck_assert_int_eq(sched_edit_cycle(s, &b, &a), 0);
	sched_node_init(&e, 5, 0, 0, q, NULL);
	ck_assert_int_eq(sched_node_set_res(&e, &re), 0);
	ck_assert_int_eq(sched_dep_add(s, &e, &d, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &e, 0), 0);
	/* a request set and unset: a side record made for it goes with it,
	 * one that has edges stays */
	add(s, &f, 6, 0, 0, q, NULL, 0);
	ck_assert_int_eq(sched_edit_res(s, &f, &rf), 0);
	ck_assert_ptr_nonnull(f.link);
	ck_assert_int_eq(sched_edit_res(s, &f, NULL), 0);
	ck_assert_ptr_null(f.link);
	ck_assert_int_eq(sched_node_set_res(&b, &rf), 0);
	ck_assert_int_eq(sched_node_set_res(&b, NULL), 0);
	ck_assert_ptr_nonnull(b.link);
	ck_assert_ptr_nonnull(sched_node_out(&b));
	/* a ends well: c waits for b; a's side record is gone */
	ck_assert_ptr_eq(sched_next(s, 0), &a);
	sched_finish(s, &a, 1, 0);
	ck_assert_ptr_null(a.link);
	ck_assert_uint_eq(sched_node_npending(&c), 1);
	/* d's edge to c removed (d placed; it keeps its record for e) and
	 * added again */
	ck_assert_int_eq(sched_edit_dep_remove(s, &d, &c, 0), 1);
	ck_assert_int_eq(d.state, SCHED_READY);
	ck_assert_ptr_null(sched_node_in(&d));
	ck_assert_ptr_nonnull(sched_node_out(&d));
	ck_assert_ptr_null(sched_node_out(&c));
	ck_assert_ptr_nonnull(c.link);		/* its request, its in-edge */
	ck_assert_int_eq(sched_edit_dep_add(s, &d, &c, SCHED_DEP_OK), 0);
	ck_assert_int_eq(d.state, SCHED_BLOCKED);
	/* b ends (any holds): c READY, and runs */
	ck_assert_ptr_eq(sched_next(s, 0), &b);
	sched_finish(s, &b, 0, 0);
	ck_assert_ptr_null(b.link);
	ck_assert_int_eq(c.state, SCHED_READY);
	ck_assert_ptr_null(sched_node_in(&c));
	ck_assert_uint_eq(sched_node_npending(&c), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &c);
	/* c fails: d is canceled, then e */
	sched_finish(s, &c, 0, 0);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_ptr_eq(rec.v[0], &d);
	ck_assert_ptr_eq(rec.v[1], &e);
	ck_assert_int_eq(rec.bad_state, 0);
	ck_assert_ptr_null(d.link);		/* DONE, no request */
	/* DONE with a request: the record stays for it until released */
	ck_assert_ptr_eq(sched_node_res(&c), &rc);
	ck_assert_ptr_eq(sched_node_res(&e), &re);
	ck_assert_ptr_null(sched_node_in(&e));
	ck_assert_ptr_null(sched_node_out(&c));
	sched_node_release(&c);
	sched_node_release(&e);
	sched_node_release(&a);			/* none: nothing to do */
	ck_assert_ptr_null(c.link);
	ck_assert_ptr_null(sched_node_res(&c));
	ck_assert_int_eq(sched_node_slots(&c), 1);
	/* released, set up again: doomed at sched_add with a request and a
	 * live dependency (edge dropped; the request kept) */
	sched_node_init(&c, 7, 0, 0, q, NULL);
	ck_assert_int_eq(sched_node_set_res(&c, &rc), 0);
	ck_assert_int_eq(sched_dep_add(s, &c, &f, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_dep_ended(s, &c, SCHED_DEP_OK, 0), 0);
	ck_assert_int_eq(sched_add(s, &c, 0), 1);
	ck_assert_ptr_null(f.link);
	ck_assert_ptr_eq(sched_node_res(&c), &rc);
	sched_node_release(&c);
	/* NEW, with edges both ways and a request, dropped by its owner (its
	 * INSERT failed): finished, then released */
	sched_node_init(&c, 8, 0, 0, q, NULL);
	sched_node_init(&d, 9, 0, 0, q, NULL);
	ck_assert_int_eq(sched_node_set_res(&c, &rc), 0);
	ck_assert_int_eq(sched_dep_add(s, &c, &f, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_dep_add(s, &d, &c, SCHED_DEP_OK), 0);
	sched_finish(s, &c, 0, 0);
	ck_assert_ptr_null(f.link);
	ck_assert_ptr_null(d.link);		/* NEW, doomed */
	ck_assert_int_eq(d.doomed, 1);
	ck_assert_int_eq(sched_add(s, &d, 0), 1);
	sched_node_release(&c);
	ck_assert_uint_eq(sched_nqueued(s), 1);	/* f */
	free_sched(s);
}
END_TEST

/* What dispatch does: each node and its request on the heap, both freed
 * by the owner in the cancel callback, in the middle of a cascade. */
struct lnode {
	struct sched_node	 n;	/* first */
	int			*freed;
};

static void
lnode_free_cb(void *arg, struct sched_node *n)
{
	struct lnode	*l = (struct lnode *)n;

	(void)arg;
	(*l->freed)++;
	free(sched_node_res(n));
	sched_node_release(n);
	free(l);
}

START_TEST(test_link_free_in_callback)
{
	enum { N = 50 };
	struct lnode		*l[N];
	struct sched_res_req	*r;
	struct sched		*s = sched_new(lnode_free_cb, NULL);
	struct sched_queue	*q = queue(s, "q");
	int			 i, freed = 0;

	/* a diamond-ish net: i depends on i-1 and on i/2 (ok), each with
	 * a request of i % 3 + 1 slots */
	for (i = 0; i < N; i++) {
		l[i] = calloc(1, sizeof(*l[i]));
		r = calloc(1, sizeof(*r));
		ck_assert(l[i] != NULL && r != NULL);
		r->slots = i % 3 + 1;
		l[i]->freed = &freed;
		sched_node_init(&l[i]->n, i + 1, 0, 0, q, NULL);
		ck_assert_int_eq(sched_node_set_res(&l[i]->n, r), 0);
		if (i > 0)
			ck_assert_int_eq(sched_dep_add(s, &l[i]->n,
			    &l[i - 1]->n, SCHED_DEP_OK), 0);
		if (i > 1)
			ck_assert_int_eq(sched_dep_add(s, &l[i]->n,
			    &l[i / 2]->n, SCHED_DEP_OK), 0);
		ck_assert_int_eq(sched_add(s, &l[i]->n, 0), 0);
	}
	ck_assert_ptr_eq(sched_next(s, 0), &l[0]->n);
	sched_finish(s, &l[0]->n, 0, 0);
	ck_assert_int_eq(freed, N - 1);
	ck_assert_uint_eq(sched_nqueued(s), 0);
	free(sched_node_res(&l[0]->n));
	sched_node_release(&l[0]->n);
	free(l[0]);
	sched_free(s);
}
END_TEST

/* ---- cancel (finish while waiting) ---- */

START_TEST(test_finish_waiting)
{
	struct sched_node	 r1, r2, dl1, dl2, dep, bl;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	add(s, &r1, 1, 0, 0, q, NULL, 0);
	add(s, &r2, 2, 0, 0, q, NULL, 0);
	add(s, &dl1, 3, 0, 100, q, NULL, 0);
	add(s, &dl2, 4, 0, 200, q, NULL, 0);
	add(s, &dep, 5, -1, 0, q, NULL, 0);
	sched_node_init(&bl, 6, 9, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &bl, &dep, SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_add(s, &bl, 0), 0);
	ck_assert_uint_eq(sched_nqueued(s), 6);

	sched_finish(s, &r1, 0, 0);		/* READY, head */
	sched_finish(s, &dl1, 0, 0);		/* DELAYED, head */
	sched_finish(s, &bl, 0, 0);		/* BLOCKED */
	ck_assert_int_eq(r1.state, SCHED_DONE);
	ck_assert_int_eq(dl1.state, SCHED_DONE);
	ck_assert_int_eq(bl.state, SCHED_DONE);
	ck_assert_ptr_null(sched_node_in(&bl));
	ck_assert_ptr_null(sched_node_out(&dep));
	ck_assert_uint_eq(sched_nqueued(s), 3);
	ck_assert_uint_eq(sched_queue_nqueued(q), 3);
	ck_assert_int_eq(sched_next_due(s), 200);
	ck_assert_uint_eq(rec.n, 0);		/* the caller's own cancels */
	ck_assert_int_eq(next_id(s, 1000), 2);
	ck_assert_int_eq(next_id(s, 1000), 4);
	ck_assert_int_eq(next_id(s, 1000), 5);
	ck_assert_int_eq(next_id(s, 1000), -1);
	ck_assert_int_eq(sched_next_due(s), -1);
	free_sched(s);
}
END_TEST

START_TEST(test_finish_new)
{
	struct sched_node	 a, b, c;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");

	/* A NEW node dropped by the caller (e.g. its INSERT failed). */
	add(s, &a, 1, 0, 0, q, NULL, 0);
	sched_node_init(&b, 2, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &b, &a, SCHED_DEP_OK), 0);
	sched_node_init(&c, 3, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &c, &b, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &c, 0), 0);
	sched_finish(s, &b, 0, 0);
	ck_assert_int_eq(b.state, SCHED_DONE);
	ck_assert_ptr_null(sched_node_out(&a));
	ck_assert_int_eq(c.state, SCHED_DONE);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_uint_eq(sched_nqueued(s), 1);
	free_sched(s);
}
END_TEST

/* ---- arrays ---- */

START_TEST(test_array_throttle)
{
	enum { T = 10, K = 2 };
	struct sched_node	 t[T], plain[3];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a;
	struct sched_node	*n;
	int			 i, j, done = 0, max = 0;
	int64_t			 last = 0;

	a = sched_array_get(s, 100, K, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(sched_array_get(s, 100, 7, 1), a);
	ck_assert_int_eq(sched_array_throttle(a), K);
	ck_assert_int_eq(sched_array_id(a), 100);
	/* Tasks added in scrambled order, ids 101..110. */
	for (i = 0; i < T; i++)
		add(s, &t[i], 101 + (i * 3) % T, 0, 0, q, a, 0);
	add(s, &plain[0], 200, 0, 0, q, NULL, 0);
	add(s, &plain[1], 201, 0, 0, q, NULL, 0);
	ck_assert_uint_eq(sched_array_nlive(a), T);
	ck_assert_int_eq(next_id(s, 0), 101);
	ck_assert_int_eq(next_id(s, 0), 102);
	ck_assert_uint_eq(sched_array_nrunning(a), K);
	/* At its throttle: the other jobs of the queue still run. */
	ck_assert_int_eq(next_id(s, 0), 200);
	ck_assert_int_eq(next_id(s, 0), 201);
	ck_assert_int_eq(next_id(s, 0), -1);
	/* Another job arriving later (lower id, lower priority) starts
	 * too: the array's waiting tasks are not eligible. */
	add(s, &plain[2], 50, -3, 0, q, NULL, 0);
	ck_assert_int_eq(next_id(s, 0), 50);
	/* Run the rest, finishing the oldest running task each time; the
	 * array never has more than K running and goes in id order. */
	last = 102;
	for (;;) {
		for (i = 0; i < T; i++)
			if (t[i].state == SCHED_RUNNING)
				break;
		if (i == T)
			break;
		/* the lowest running id */
		for (j = i + 1; j < T; j++)
			if (t[j].state == SCHED_RUNNING && t[j].id < t[i].id)
				i = j;
		sched_finish(s, &t[i], 1, 0);
		done++;
		while ((n = sched_next(s, 0)) != NULL) {
			ck_assert_int_eq(n->id, last + 1);
			last = n->id;
		}
		a = sched_array_get(s, 100, 0, 0);
		if (done < T) {
			ck_assert_ptr_nonnull(a);
			if ((int)sched_array_nrunning(a) > max)
				max = (int)sched_array_nrunning(a);
			ck_assert_int_le(sched_array_nrunning(a), K);
		}
	}
	ck_assert_int_eq(done, T);
	ck_assert_int_eq(max, K);
	ck_assert_int_eq(last, 110);
	/* The last task's end freed the array. */
	ck_assert_ptr_null(sched_array_get(s, 100, 0, 0));
	ck_assert_uint_eq(sched_narrays(s), 0);
	free_sched(s);
}
END_TEST

START_TEST(test_array_priority)
{
	struct sched_node	 t[3], p;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q"), *q2 = queue(s, "q2");
	struct sched_array	*a = sched_array_get(s, 1000, 1, 1);

	ck_assert_ptr_nonnull(a);
	add(s, &t[0], 1, 0, 0, q, a, 0);
	add(s, &t[1], 2, 0, 0, q, a, 0);
	add(s, &t[2], 3, 0, 0, q, a, 0);
	add(s, &p, 10, 1, 0, q2, NULL, 0);
	/* Raising a waiting task re-keys the array's entry. */
	sched_set_priority(s, &t[2], 5);
	ck_assert_int_eq(next_id(s, 0), 3);
	ck_assert_int_eq(next_id(s, 0), 10);	/* array at throttle 1 */
	ck_assert_int_eq(next_id(s, 0), -1);
	sched_set_priority(s, &t[1], 2);
	sched_requeue(s, &t[2], 0, 0);		/* back, still priority 5 */
	ck_assert_int_eq(next_id(s, 0), 3);
	sched_finish(s, &t[2], 1, 0);
	ck_assert_int_eq(next_id(s, 0), 2);
	/* Cancel the last waiting task: nothing left to hand out. */
	sched_finish(s, &t[0], 0, 0);
	ck_assert_int_eq(next_id(s, 0), -1);
	ck_assert_ptr_eq(sched_array_get(s, 1000, 0, 0), a);
	sched_finish(s, &t[1], 1, 0);
	ck_assert_ptr_null(sched_array_get(s, 1000, 0, 0));
	ck_assert_ptr_null(t[1].array);
	free_sched(s);
}
END_TEST

START_TEST(test_array_delayed_requeue)
{
	struct sched_node	 t[3];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a = sched_array_get(s, 5, 2, 1);

	add(s, &t[0], 1, 0, 0, q, a, 0);
	add(s, &t[1], 2, 0, 0, q, a, 0);
	add(s, &t[2], 3, 0, 0, q, a, 0);
	ck_assert_int_eq(next_id(s, 0), 1);
	ck_assert_int_eq(next_id(s, 0), 2);
	ck_assert_int_eq(next_id(s, 0), -1);
	/* A retry with a delay frees a throttle slot for task 3. */
	sched_requeue(s, &t[0], 100, 0);
	ck_assert_int_eq(t[0].state, SCHED_DELAYED);
	ck_assert_uint_eq(sched_array_nrunning(a), 1);
	ck_assert_int_eq(next_id(s, 0), 3);
	ck_assert_int_eq(next_id(s, 100), -1);	/* due, but throttled */
	ck_assert_int_eq(t[0].state, SCHED_READY);
	sched_finish(s, &t[1], 1, 100);
	ck_assert_int_eq(next_id(s, 100), 1);
	free_sched(s);
}
END_TEST

START_TEST(test_array_unthrottled)
{
	struct sched_node	 t[4];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a = sched_array_get(s, 9, 0, 1);
	int			 i;

	ck_assert_int_eq(sched_array_throttle(a), 0);
	for (i = 0; i < 4; i++)
		add(s, &t[i], 4 - i, 0, 0, q, a, 0);
	for (i = 1; i <= 4; i++)
		ck_assert_int_eq(next_id(s, 0), i);
	ck_assert_uint_eq(sched_array_nrunning(a), 4);
	for (i = 0; i < 3; i++)
		sched_finish(s, &t[i], 1, 0);
	ck_assert_uint_eq(sched_array_nrunning(a), 1);
	ck_assert_ptr_eq(sched_array_get(s, 9, 0, 0), a);
	sched_finish(s, &t[3], 1, 0);
	ck_assert_ptr_null(sched_array_get(s, 9, 0, 0));
	free_sched(s);
}
END_TEST

START_TEST(test_array_lifetime)
{
	struct sched_node	 other, t[2], u, dep, v[2];
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a, *b, *c;

	/* Created first, tasks added later: survives other nodes ending. */
	a = sched_array_get(s, 7, 1, 1);
	add(s, &other, 1, 0, 0, q, NULL, 0);
	sched_finish(s, &other, 1, 0);
	ck_assert_ptr_eq(sched_array_get(s, 7, 0, 0), a);
	add(s, &t[0], 2, 0, 0, q, a, 0);
	add(s, &t[1], 3, 0, 0, q, a, 0);
	ck_assert_int_eq(next_id(s, 0), 2);
	sched_finish(s, &t[0], 1, 0);
	ck_assert_ptr_eq(sched_array_get(s, 7, 0, 0), a);
	ck_assert_ptr_eq(t[0].array, a);
	ck_assert_int_eq(next_id(s, 0), 3);
	sched_finish(s, &t[1], 1, 0);
	ck_assert_ptr_null(sched_array_get(s, 7, 0, 0));
	ck_assert_ptr_null(t[1].array);

	/* Every task doomed at sched_add: kept until released. */
	b = sched_array_get(s, 8, 2, 1);
	sched_node_init(&u, 4, 0, 0, q, b);
	ck_assert_int_eq(sched_dep_ended(s, &u, SCHED_DEP_OK, 0), 0);
	ck_assert_int_eq(sched_add(s, &u, 0), 1);
	ck_assert_ptr_eq(sched_array_get(s, 8, 0, 0), b);
	ck_assert_uint_eq(sched_array_nlive(b), 0);
	sched_array_release(s, b);
	ck_assert_ptr_null(sched_array_get(s, 8, 0, 0));

	/* Release of an array with live nodes does nothing. */
	c = sched_array_get(s, 11, 1, 1);
	add(s, &dep, 5, 0, 0, q, NULL, 0);
	sched_node_init(&v[0], 6, 0, 0, q, c);
	ck_assert_int_eq(sched_dep_add(s, &v[0], &dep, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &v[0], 0), 0);
	sched_node_init(&v[1], 7, 0, 0, q, c);
	ck_assert_int_eq(sched_dep_add(s, &v[1], &dep, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &v[1], 0), 0);
	sched_array_release(s, c);
	ck_assert_ptr_eq(sched_array_get(s, 11, 0, 0), c);
	ck_assert_uint_eq(sched_narrays(s), 1);
	/* Canceled by the cascade: freed after the callbacks. */
	ck_assert_int_eq(next_id(s, 0), 5);
	sched_finish(s, &dep, 0, 0);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_ptr_null(sched_array_get(s, 11, 0, 0));
	ck_assert_uint_eq(sched_narrays(s), 0);
	free_sched(s);
}
END_TEST

/* The callback may still read the node's array. */
static int64_t cb_array_id;

static void
array_cb(void *arg, struct sched_node *n)
{
	(void)arg;
	cb_array_id = n->array != NULL ? sched_array_id(n->array) : -1;
}

START_TEST(test_array_valid_in_callback)
{
	struct sched_node	 dep, t;
	struct sched		*s = sched_new(array_cb, NULL);
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a = sched_array_get(s, 77, 3, 1);

	add(s, &dep, 1, 0, 0, q, NULL, 0);
	sched_node_init(&t, 2, 0, 0, q, a);
	ck_assert_int_eq(sched_dep_add(s, &t, &dep, SCHED_DEP_OK), 0);
	ck_assert_int_eq(sched_add(s, &t, 0), 0);
	cb_array_id = 0;
	sched_finish(s, &dep, 0, 0);
	ck_assert_int_eq(cb_array_id, 77);
	ck_assert_ptr_null(sched_array_get(s, 77, 0, 0));
	sched_free(s);
}
END_TEST

START_TEST(test_many_arrays)
{
	enum { N = 3000 };
	struct sched_node	*t;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a;
	int			 i;

	t = calloc(N, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < N; i++) {
		a = sched_array_get(s, i * 1000003LL, 1 + i % 3, 1);
		ck_assert_ptr_nonnull(a);
		add(s, &t[i], i + 1, 0, 0, q, a, 0);
	}
	ck_assert_uint_eq(sched_narrays(s), N);
	for (i = 0; i < N; i++) {
		a = sched_array_get(s, i * 1000003LL, 0, 0);
		ck_assert_ptr_eq(a, t[i].array);
		ck_assert_int_eq(sched_array_throttle(a), 1 + i % 3);
	}
	for (i = 0; i < N; i++)
		ck_assert_int_eq(next_id(s, 0), i + 1);
	for (i = N - 1; i >= 0; i--)
		sched_finish(s, &t[i], 1, 0);
	ck_assert_uint_eq(sched_narrays(s), 0);
	free(t);
	free_sched(s);
}
END_TEST

/* ---- backoff ---- */

START_TEST(test_backoff)
{
	int64_t	v, want;
	int	i, k;

	/* Doubling from base, rand01 0.5 = factor 1.0. */
	want = 1000;
	for (i = 1; i <= 6; i++) {
		ck_assert_int_eq(sched_backoff_ms(1000, i, 60000, 0.5), want);
		want *= 2;
	}
	/* 64000 > cap. */
	ck_assert_int_eq(sched_backoff_ms(1000, 7, 60000, 0.5), 60000);
	ck_assert_int_eq(sched_backoff_ms(1000, 100, 60000, 0.5), 60000);
	ck_assert_int_eq(sched_backoff_ms(1000, INT_MAX, 60000, 0.5), 60000);
	ck_assert_int_eq(sched_backoff_ms(1000, INT_MAX, INT64_MAX, 0.0),
	    (int64_t)((double)INT64_MAX * 0.8));
	v = sched_backoff_ms(INT64_MAX / 3, 5, INT64_MAX, 0.99);
	ck_assert_int_ge(v, 0);
	ck_assert_int_le(v, INT64_MAX);
	/* Jitter bounds: [0.8, 1.2) of the doubled value, capped again. */
	ck_assert_int_eq(sched_backoff_ms(1000, 1, 60000, 0.0), 800);
	ck_assert_int_eq(sched_backoff_ms(1000, 3, 60000, 0.0), 3200);
	v = sched_backoff_ms(1000, 3, 60000, 0.999999);
	ck_assert_int_ge(v, 4799);
	ck_assert_int_lt(v, 4800);
	ck_assert_int_eq(sched_backoff_ms(1000, 10, 60000, 0.999), 60000);
	ck_assert_int_eq(sched_backoff_ms(1000, 10, 60000, 0.0), 48000);
	for (k = 0; k < 1000; k++) {
		double	r = k / 1000.0;

		for (i = 1; i < 12; i++) {
			int64_t	d = 1000LL << (i - 1);

			if (d > 60000)
				d = 60000;
			v = sched_backoff_ms(1000, i, 60000, r);
			ck_assert_int_ge(v, (int64_t)(d * 0.8) - 1);
			ck_assert_int_le(v, (int64_t)(d * 1.2));
			ck_assert_int_le(v, 60000);
		}
	}
	/* Base 0 or negative: no delay. */
	ck_assert_int_eq(sched_backoff_ms(0, 5, 60000, 0.7), 0);
	ck_assert_int_eq(sched_backoff_ms(-10, 1, 60000, 0.7), 0);
	/* cap below base: capped at base. */
	ck_assert_int_eq(sched_backoff_ms(5000, 3, 1000, 0.5), 5000);
	ck_assert_int_eq(sched_backoff_ms(5000, 1, 0, 0.9), 5000);
	ck_assert_int_eq(sched_backoff_ms(5000, 1, 0, 0.0), 4000);
	/* Out-of-range rand01 is clamped; never negative. */
	ck_assert_int_eq(sched_backoff_ms(1000, 1, 60000, -3.0), 800);
	ck_assert_int_eq(sched_backoff_ms(1000, 1, 60000, 7.0), 1200);
	ck_assert_int_ge(sched_backoff_ms(1, 1, 1, 0.0), 0);
	/* attempt below 1 counts as the first. */
	ck_assert_int_eq(sched_backoff_ms(1000, 0, 60000, 0.5), 1000);
}
END_TEST

/* ---- randomized, against a brute-force model ---- */

#define RN	500
#define RQ	3
#define RA	3

enum { R_NEW, R_BLOCKED, R_DELAYED, R_READY, R_HELD, R_RUNNING, R_DONE };
#define RDEPS	8

struct rnode {
	struct sched_node	n;
	int			st;		/* R_* */
	int			succeeded;
	int			qi;
	int			ai;		/* -1 = none */
	int			ndeps;
	int			dep[RDEPS];
	enum sched_dep_mode	mode[RDEPS];
	int			expect_cb;
	int			got_cb;
};

static struct rnode	 rn[RN];
static int		 rcount;
static int		 rq_paused[RQ], rq_parallel[RQ];
static const int	 ra_throttle[RA] = { 2, 0, 1 };
static const int	 ra_queue[RA] = { 0, -1, 1 };	/* -1: any */
static uint64_t		 rstate;

static uint32_t
rnd(uint32_t n)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 7;
	rstate ^= rstate << 17;
	return ((uint32_t)(rstate >> 11) % n);
}

static void
rcb(void *arg, struct sched_node *n)
{
	struct rnode	*r = (struct rnode *)n;	/* n is the first member */

	(void)arg;
	ck_assert_int_eq(n->state, SCHED_DONE);
	ck_assert_int_eq(r->got_cb, 0);
	r->got_cb = 1;
}

static int
r_live(int i)
{
	return (rn[i].st >= R_BLOCKED && rn[i].st <= R_RUNNING);
}

static void
r_place(int i, int64_t now)
{
	rn[i].st = rn[i].n.not_before > now ? R_DELAYED : R_READY;
}

static void
r_due(int64_t now)
{
	int	i;

	for (i = 0; i < rcount; i++)
		if (rn[i].st == R_DELAYED && rn[i].n.not_before <= now)
			rn[i].st = R_READY;
}

static int
r_holds(enum sched_dep_mode m, int ok)
{
	return (m == SCHED_DEP_ANY || (m == SCHED_DEP_OK) == (ok != 0));
}

/* Dependencies to a fixpoint: cancel the doomed, place the met. */
static void
r_eval(int64_t now)
{
	int	i, k, changed, met, doomed;

	do {
		changed = 0;
		for (i = 0; i < rcount; i++) {
			if (rn[i].st != R_BLOCKED && rn[i].st != R_HELD)
				continue;
			met = 1;
			doomed = 0;
			for (k = 0; k < rn[i].ndeps; k++) {
				struct rnode *d = &rn[rn[i].dep[k]];

				if (d->st != R_DONE)
					met = 0;
				else if (!r_holds(rn[i].mode[k], d->succeeded))
					doomed = 1;
			}
			if (doomed) {
				rn[i].st = R_DONE;
				rn[i].succeeded = 0;
				rn[i].expect_cb = 1;
				changed = 1;
			} else if (met && rn[i].st == R_BLOCKED) {
				r_place(i, now);
				changed = 1;
			}
		}
	} while (changed);
}

static int
r_running_in_queue(int qi)
{
	int	i, c = 0;

	for (i = 0; i < rcount; i++)
		if (rn[i].st == R_RUNNING && rn[i].qi == qi)
			c++;
	return (c);
}

static int
r_live_in_array(int ai, int running)
{
	int	i, c = 0;

	for (i = 0; i < rcount; i++)
		if (rn[i].ai == ai && (running ? rn[i].st == R_RUNNING :
		    r_live(i)))
			c++;
	return (c);
}

/* The model's choice for sched_next, or -1. */
static int
r_next(int64_t now)
{
	int	i, best = -1, qrun[RQ], arun[RA];

	r_due(now);
	for (i = 0; i < RQ; i++)
		qrun[i] = r_running_in_queue(i);
	for (i = 0; i < RA; i++)
		arun[i] = r_live_in_array(i, 1);
	for (i = 0; i < rcount; i++) {
		if (rn[i].st != R_READY)
			continue;
		if (rq_paused[rn[i].qi] || (rq_parallel[rn[i].qi] > 0 &&
		    qrun[rn[i].qi] >= rq_parallel[rn[i].qi]))
			continue;
		if (rn[i].ai >= 0 && ra_throttle[rn[i].ai] > 0 &&
		    arun[rn[i].ai] >= ra_throttle[rn[i].ai])
			continue;
		if (best < 0 || rn[i].n.priority > rn[best].n.priority ||
		    (rn[i].n.priority == rn[best].n.priority &&
		    rn[i].n.id < rn[best].n.id))
			best = i;
	}
	return (best);
}

/* A random index whose model state is st (or live if st < 0), or -1. */
static int
r_pick(int st)
{
	int	i, c = 0, k;

	for (i = 0; i < rcount; i++)
		if (st < 0 ? (r_live(i) && rn[i].st != R_RUNNING) :
		    rn[i].st == st)
			c++;
	if (c == 0)
		return (-1);
	k = (int)rnd((uint32_t)c);
	for (i = 0; i < rcount; i++)
		if ((st < 0 ? (r_live(i) && rn[i].st != R_RUNNING) :
		    rn[i].st == st) && k-- == 0)
			return (i);
	return (-1);
}

/* The model's dependencies of i not yet ended. */
static int
r_pending(int i)
{
	int	k, c = 0;

	for (k = 0; k < rn[i].ndeps; k++)
		c += rn[rn[i].dep[k]].st != R_DONE;
	return (c);
}

static void
r_check(struct sched *s, struct sched_queue **qs)
{
	static const enum sched_state map[] = { SCHED_NEW, SCHED_BLOCKED,
	    SCHED_DELAYED, SCHED_READY, SCHED_HELD, SCHED_RUNNING,
	    SCHED_DONE };
	size_t			 nq = 0, nr = 0, qn[RQ] = { 0 }, qr[RQ] = { 0 };
	int64_t			 due = -1;
	struct sched_array	*a;
	int			 i, live;

	for (i = 0; i < rcount; i++) {
		CHECK(rn[i].n.state == map[rn[i].st],
		    "node %d (id %lld): state %d, model %d", i,
		    (long long)rn[i].n.id, rn[i].n.state, map[rn[i].st]);
		CHECK(rn[i].got_cb == rn[i].expect_cb,
		    "node %d (id %lld): callback %d, model %d", i,
		    (long long)rn[i].n.id, rn[i].got_cb, rn[i].expect_cb);
		if (rn[i].st >= R_BLOCKED && rn[i].st <= R_HELD) {
			nq++;
			qn[rn[i].qi]++;
		}
		if (rn[i].st == R_RUNNING) {
			nr++;
			qr[rn[i].qi]++;
		}
		if (rn[i].st == R_DELAYED &&
		    (due < 0 || rn[i].n.not_before < due))
			due = rn[i].n.not_before;
	}
	ck_assert_uint_eq(sched_nqueued(s), nq);
	ck_assert_uint_eq(sched_nrunning(s), nr);
	for (i = 0; i < RQ; i++) {
		ck_assert_uint_eq(sched_queue_nqueued(qs[i]), qn[i]);
		ck_assert_uint_eq(sched_queue_nrunning(qs[i]), qr[i]);
	}
	ck_assert_int_eq(sched_next_due(s), due);
	/* a side record exactly while there are edges (no requests here);
	 * pending: the edges to live dependencies */
	for (i = 0; i < rcount; i++) {
		CHECK((rn[i].n.link != NULL) ==
		    (sched_node_in(&rn[i].n) != NULL ||
		    sched_node_out(&rn[i].n) != NULL),
		    "node %d (id %lld): side record %s its edges", i,
		    (long long)rn[i].n.id, rn[i].n.link != NULL ?
		    "without" : "missing for");
		CHECK(rn[i].st == R_DONE || sched_node_npending(&rn[i].n) ==
		    (unsigned)r_pending(i), "node %d (id %lld): pending %u, "
		    "model %d", i, (long long)rn[i].n.id,
		    sched_node_npending(&rn[i].n), r_pending(i));
	}
	for (i = 0; i < RA; i++) {
		a = sched_array_get(s, 1000000 + i, 0, 0);
		live = r_live_in_array(i, 0);
		if (live == 0)
			ck_assert_ptr_null(a);
		else {
			ck_assert_ptr_nonnull(a);
			ck_assert_uint_eq(sched_array_nlive(a), (size_t)live);
			ck_assert_uint_eq(sched_array_nrunning(a),
			    (size_t)r_live_in_array(i, 1));
		}
	}
}

static void
r_add(struct sched *s, struct sched_queue **qs, int64_t now)
{
	struct rnode		*r = &rn[rcount];
	struct sched_array	*a = NULL;
	enum sched_dep_mode	 m;
	int			 i = rcount, k, nd, d, doomed = 0, rc;
	int64_t			 id;

	memset(r, 0, sizeof(*r));
	r->ai = rnd(4) == 0 ? (int)rnd(RA) : -1;
	r->qi = (int)rnd(RQ);
	if (r->ai >= 0) {
		if (ra_queue[r->ai] >= 0)
			r->qi = ra_queue[r->ai];
		a = sched_array_get(s, 1000000 + r->ai,
		    ra_throttle[r->ai], 1);
		ck_assert_ptr_nonnull(a);
	}
	/* Unique ids in a scrambled order (7919 is prime to 100003). */
	id = ((int64_t)i * 7919) % 100003 + 1;
	sched_node_init(&r->n, id, (int)rnd(5) - 2,
	    rnd(2) ? 0 : now + (int64_t)rnd(50), qs[r->qi], a);
	nd = rcount > 0 ? (int)rnd(4) : 0;
	if (nd > 2)
		nd = 0;
	for (k = 0; k < nd; k++) {
		d = (int)rnd((uint32_t)rcount);
		m = (enum sched_dep_mode)rnd(3);
		if (rn[d].st == R_DONE) {
			rc = sched_dep_ended(s, &r->n, m, rn[d].succeeded);
			ck_assert_int_eq(rc, r_holds(m, rn[d].succeeded));
			if (!rc)
				doomed = 1;
		} else {
			ck_assert_int_eq(sched_dep_add(s, &r->n, &rn[d].n, m),
			    0);
			r->dep[r->ndeps] = d;
			r->mode[r->ndeps] = m;
			r->ndeps++;
		}
	}
	rcount++;
	r->n.held = rnd(8) == 0;
	rc = sched_add(s, &r->n, now);
	ck_assert_int_eq(rc, doomed);
	if (doomed) {
		r->st = R_DONE;
		r->succeeded = 0;
		r->ndeps = 0;
		if (a != NULL)
			sched_array_release(s, a);
	} else if (r->n.held)
		r->st = R_HELD;
	else if (r->ndeps > 0)
		r->st = R_BLOCKED;
	else
		r_place(i, now);
}

/* A random queued node (BLOCKED, DELAYED, READY; HELD too if held), or -1. */
static int
r_pick_queued(int held)
{
	int	i, c = 0, k;

	for (i = 0; i < rcount; i++)
		if ((rn[i].st >= R_BLOCKED && rn[i].st <= R_READY) ||
		    (held && rn[i].st == R_HELD))
			c++;
	if (c == 0)
		return (-1);
	k = (int)rnd((uint32_t)c);
	for (i = 0; i < rcount; i++)
		if (((rn[i].st >= R_BLOCKED && rn[i].st <= R_READY) ||
		    (held && rn[i].st == R_HELD)) && k-- == 0)
			return (i);
	return (-1);
}

/* The model's cycle check: does d reach i through live edges? */
static int
r_reaches(int d, int i)
{
	int	seen[RN], stack[RN], sn = 0, x, k, y;

	if (d == i)
		return (1);
	memset(seen, 0, sizeof(seen));
	seen[d] = 1;
	stack[sn++] = d;
	while (sn > 0) {
		x = stack[--sn];
		if (rn[x].st == R_DONE)
			continue;
		for (k = 0; k < rn[x].ndeps; k++) {
			y = rn[x].dep[k];
			if (rn[y].st == R_DONE || seen[y])
				continue;
			if (y == i)
				return (1);
			seen[y] = 1;
			stack[sn++] = y;
		}
	}
	return (0);
}

/* Holds and edits (sched_edit.c), each against the model. */
static void
r_edit(struct sched *s, struct sched_queue **qs, int op, int64_t now)
{
	int	i, d, k, m, met, rc;

	if (op < 5) {				/* hold */
		if ((i = r_pick_queued(0)) >= 0) {
			ck_assert_int_eq(sched_edit_hold(s, &rn[i].n), 0);
			rn[i].st = R_HELD;
		} else if ((i = r_pick(R_RUNNING)) >= 0)
			ck_assert_int_eq(sched_edit_hold(s, &rn[i].n),
			    -EINVAL);
	} else if (op < 10) {			/* release */
		if ((i = r_pick(R_HELD)) < 0)
			return;
		ck_assert_int_eq(sched_edit_release(s, &rn[i].n, now), 0);
		met = 1;
		for (k = 0; k < rn[i].ndeps; k++)
			if (rn[rn[i].dep[k]].st != R_DONE)
				met = 0;
		if (met)
			r_place(i, now);
		else
			rn[i].st = R_BLOCKED;
	} else if (op < 13) {			/* start time */
		if ((i = r_pick_queued(1)) < 0)
			return;
		sched_edit_not_before(s, &rn[i].n, rnd(2) ? 0 :
		    now + (int64_t)rnd(40) - 10, now);
		if (rn[i].st == R_DELAYED || rn[i].st == R_READY)
			r_place(i, now);
	} else if (op < 16) {			/* queue */
		if ((i = r_pick_queued(1)) < 0)
			return;
		k = (int)rnd(RQ);
		rc = sched_edit_queue(s, &rn[i].n, qs[k], now);
		if (rn[i].ai >= 0 && ra_throttle[rn[i].ai] > 0 &&
		    k != rn[i].qi) {
			ck_assert_int_eq(rc, -EINVAL);
			return;
		}
		ck_assert_int_eq(rc, 0);
		rn[i].qi = k;
		if (rn[i].st == R_DELAYED || rn[i].st == R_READY)
			r_place(i, now);
	} else if (op < 18) {			/* dependency added */
		if ((i = r_pick_queued(1)) < 0 || rn[i].ndeps == RDEPS ||
		    (d = r_pick(-1)) < 0)
			return;
		if (rnd(2) && (k = r_pick(R_RUNNING)) >= 0)
			d = k;
		rc = sched_edit_cycle(s, &rn[i].n, &rn[d].n);
		ck_assert_int_eq(rc, r_reaches(d, i));
		if (rc)
			return;
		m = (int)rnd(3);
		ck_assert_int_eq(sched_edit_dep_add(s, &rn[i].n, &rn[d].n,
		    (enum sched_dep_mode)m), 0);
		rn[i].dep[rn[i].ndeps] = d;
		rn[i].mode[rn[i].ndeps] = (enum sched_dep_mode)m;
		rn[i].ndeps++;
		if (rn[i].st == R_DELAYED || rn[i].st == R_READY)
			rn[i].st = R_BLOCKED;
	} else {				/* dependency removed */
		if ((i = r_pick_queued(1)) < 0 || rn[i].ndeps == 0)
			return;
		d = rn[i].dep[rnd((uint32_t)rn[i].ndeps)];
		rc = sched_edit_dep_remove(s, &rn[i].n, &rn[d].n, now);
		m = 0;
		for (k = 0; k < rn[i].ndeps; k++) {
			if (rn[i].dep[k] == d) {
				m++;
				continue;
			}
			rn[i].dep[k - m] = rn[i].dep[k];
			rn[i].mode[k - m] = rn[i].mode[k];
		}
		rn[i].ndeps -= m;
		/* edges to a dependency that has ended are gone already */
		ck_assert_int_eq(rc, rn[d].st == R_DONE ? 0 : m);
		r_eval(now);
	}
}

START_TEST(test_random_vs_model)
{
	struct sched		*s;
	struct sched_queue	*qs[RQ];
	struct sched_node	*n;
	int64_t			 now = 1000;
	int			 op, i, want, step, q;
	char			 name[16];

	memset(rn, 0, sizeof(rn));
	rcount = 0;
	rstate = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
	s = sched_new(rcb, NULL);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < RQ; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		qs[i] = queue(s, name);
		rq_paused[i] = 0;
		rq_parallel[i] = 0;
	}
	for (step = 0; step < 3000; step++) {
		op = (int)rnd(120);
		if (op >= 100)
			r_edit(s, qs, op - 100, now);
		else if (op < 28) {
			if (rcount < RN)
				r_add(s, qs, now);
		} else if (op < 50) {
			want = r_next(now);
			n = sched_next(s, now);
			if (want < 0)
				ck_assert_msg(n == NULL,
				    "step %d: got id %lld, model none", step,
				    (long long)(n ? n->id : 0));
			else {
				ck_assert_msg(n == &rn[want].n,
				    "step %d: got id %lld, model %lld", step,
				    (long long)(n ? n->id : -1),
				    (long long)rn[want].n.id);
				rn[want].st = R_RUNNING;
			}
		} else if (op < 64) {
			if ((i = r_pick(R_RUNNING)) >= 0) {
				rn[i].succeeded = (int)rnd(2);
				sched_finish(s, &rn[i].n, rn[i].succeeded, now);
				rn[i].st = R_DONE;
				r_eval(now);
			}
		} else if (op < 70) {
			if ((i = r_pick(-1)) >= 0) {	/* cancel */
				sched_finish(s, &rn[i].n, 0, now);
				rn[i].st = R_DONE;
				rn[i].succeeded = 0;
				r_eval(now);
			}
		} else if (op < 77) {
			if ((i = r_pick(R_RUNNING)) >= 0) {
				int64_t nb = rnd(2) ? now - (int64_t)rnd(5) :
				    now + 1 + (int64_t)rnd(30);

				sched_requeue(s, &rn[i].n, nb, now);
				r_place(i, now);
			}
		} else if (op < 85) {
			if ((i = r_pick(-1)) >= 0)
				sched_set_priority(s, &rn[i].n,
				    (int)rnd(7) - 3);
		} else if (op < 90) {
			q = (int)rnd(RQ);
			if (rnd(2)) {
				rq_parallel[q] = (int)rnd(4);
				sched_queue_set(s, qs[q], rq_parallel[q], -1);
			} else {
				rq_paused[q] = rnd(3) == 0;
				sched_queue_set(s, qs[q], -1, rq_paused[q]);
			}
		} else if (op < 93) {
			sched_due(s, now);
			r_due(now);
		} else
			now += rnd(15);
		r_check(s, qs);
	}
	/* Drain: release, unpause, no limits, run everything to the end. */
	while (r_pick(R_HELD) >= 0)
		r_edit(s, qs, 5, now);
	for (i = 0; i < RQ; i++) {
		rq_paused[i] = 0;
		rq_parallel[i] = 0;
		sched_queue_set(s, qs[i], 0, 0);
	}
	for (;;) {
		now += 100;
		while ((want = r_next(now)) >= 0) {
			ck_assert_ptr_eq(sched_next(s, now), &rn[want].n);
			rn[want].st = R_RUNNING;
		}
		ck_assert_ptr_null(sched_next(s, now));
		if ((i = r_pick(R_RUNNING)) < 0)
			break;
		for (i = 0; i < rcount; i++) {
			if (rn[i].st != R_RUNNING)
				continue;
			rn[i].succeeded = (int)rnd(2);
			sched_finish(s, &rn[i].n, rn[i].succeeded, now);
			rn[i].st = R_DONE;
			r_eval(now);
		}
		r_check(s, qs);
	}
	r_check(s, qs);
	ck_assert_uint_eq(sched_nqueued(s), 0);
	ck_assert_uint_eq(sched_nrunning(s), 0);
	ck_assert_uint_eq(sched_narrays(s), 0);
	sched_free(s);
}
END_TEST

/* A held node never starts, holds up its dependents, and takes no place
 * of its throttled array; released, it is placed as sched_add would. */
START_TEST(test_hold_release)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q"), *q2 = queue(s, "q2");
	struct sched_array	*a;
	struct sched_node	 n[6];

	add(s, &n[0], 1, 5, 0, q, NULL, 0);
	sched_node_init(&n[1], 2, 0, 0, q, NULL);
	ck_assert_int_eq(sched_dep_add(s, &n[1], &n[0], SCHED_DEP_ANY), 0);
	ck_assert_int_eq(sched_add(s, &n[1], 0), 0);
	ck_assert_int_eq(sched_edit_hold(s, &n[0]), 0);
	ck_assert_int_eq(n[0].state, SCHED_HELD);
	ck_assert_uint_eq(sched_nqueued(s), 2);
	ck_assert_int_eq(next_id(s, 0), -1);	/* n[1] stays blocked */
	ck_assert_int_eq(n[1].state, SCHED_BLOCKED);
	/* a cycle: n[0] may not depend on its dependent n[1] */
	ck_assert_int_eq(sched_edit_cycle(s, &n[0], &n[1]), 1);
	ck_assert_int_eq(sched_edit_cycle(s, &n[0], &n[0]), 1);
	ck_assert_int_eq(sched_edit_cycle(s, &n[1], &n[0]), 0);
	/* a start time set while held counts at the release */
	sched_edit_not_before(s, &n[0], 50, 0);
	ck_assert_int_eq(sched_edit_release(s, &n[0], 10), 0);
	ck_assert_int_eq(n[0].state, SCHED_DELAYED);
	ck_assert_int_eq(sched_edit_release(s, &n[0], 10), -EINVAL);
	ck_assert_int_eq(next_id(s, 60), 1);
	ck_assert_int_eq(sched_edit_hold(s, &n[0]), -EINVAL); /* running */
	sched_finish(s, &n[0], 1, 60);
	ck_assert_int_eq(next_id(s, 60), 2);
	sched_finish(s, &n[1], 1, 60);
	/* throttle 1: the held first task does not count */
	a = sched_array_get(s, 100, 1, 1);
	ck_assert_ptr_nonnull(a);
	sched_node_init(&n[2], 101, 0, 0, q, a);
	n[2].held = 1;
	ck_assert_int_eq(sched_add(s, &n[2], 60), 0);
	ck_assert_int_eq(n[2].state, SCHED_HELD);
	add(s, &n[3], 102, 0, 0, q, a, 60);
	ck_assert_int_eq(sched_edit_queue(s, &n[3], q2, 60), -EINVAL);
	ck_assert_int_eq(next_id(s, 60), 102);
	ck_assert_int_eq(sched_edit_release(s, &n[2], 60), 0);
	ck_assert_int_eq(next_id(s, 60), -1);	/* throttled */
	sched_finish(s, &n[3], 1, 60);
	ck_assert_int_eq(next_id(s, 60), 101);
	sched_finish(s, &n[2], 1, 60);
	/* a queue move, and a held node canceled by its dependency */
	add(s, &n[4], 200, 0, 0, q, NULL, 60);
	sched_queue_set(s, q, -1, 1);
	ck_assert_int_eq(sched_edit_queue(s, &n[4], q2, 60), 0);
	ck_assert_uint_eq(sched_queue_nqueued(q), 0);
	ck_assert_uint_eq(sched_queue_nqueued(q2), 1);
	sched_node_init(&n[5], 201, 0, 0, q2, NULL);
	ck_assert_int_eq(sched_dep_add(s, &n[5], &n[4], SCHED_DEP_OK), 0);
	n[5].held = 1;
	ck_assert_int_eq(sched_add(s, &n[5], 60), 0);
	ck_assert_int_eq(next_id(s, 60), 200);
	sched_finish(s, &n[4], 0, 60);
	ck_assert_int_eq(n[5].state, SCHED_DONE);
	ck_assert_uint_eq(rec.n, 1);
	ck_assert_ptr_eq(rec.v[0], &n[5]);
	ck_assert_uint_eq(sched_nqueued(s), 0);
	free_sched(s);
}
END_TEST

/* sched_free with nodes, edges, arrays still in place (LeakSanitizer). */
START_TEST(test_free_busy)
{
	struct sched_node	*n;
	struct sched		*s = new_sched();
	struct sched_queue	*q = queue(s, "q");
	struct sched_array	*a = sched_array_get(s, 3, 2, 1);
	int			 i;

	n = calloc(100, sizeof(*n));
	ck_assert_ptr_nonnull(n);
	for (i = 0; i < 100; i++) {
		sched_node_init(&n[i], i + 1, i % 4, i % 3 ? 0 : 500, q,
		    i % 5 ? NULL : a);
		if (i > 10)
			ck_assert_int_eq(sched_dep_add(s, &n[i], &n[i - 10],
			    SCHED_DEP_ANY), 0);
		ck_assert_int_eq(sched_add(s, &n[i], 0), 0);
	}
	ck_assert_ptr_nonnull(sched_next(s, 0));
	/* the caller may free nodes first, side records and all (at
	 * shutdown: live nodes too, with edges) */
	for (i = 0; i < 100; i++)
		sched_node_release(&n[i]);
	free(n);
	free_sched(s);
}
END_TEST

static Suite *
sched_suite(void)
{
	Suite	*s = suite_create("sched");
	TCase	*tc;

	tc = tcase_create("order");
	tcase_add_test(tc, test_priority_then_fifo);
	tcase_add_test(tc, test_negative_and_extreme_priorities);
	tcase_add_test(tc, test_fifo_equal_priority);
	tcase_add_test(tc, test_nothing_eligible);
	tcase_add_test(tc, test_priority_across_queues);
	tcase_add_test(tc, test_set_priority);
	suite_add_tcase(s, tc);

	tc = tcase_create("queues");
	tcase_add_test(tc, test_queue_iteration);
	tcase_add_test(tc, test_parallel_limit);
	tcase_add_test(tc, test_pause_resume);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_test(tc, test_delayed);
	tcase_add_test(tc, test_delayed_priority_and_ties);
	tcase_add_test(tc, test_requeue_backoff);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);

	tc = tcase_create("deps");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_dep_modes, 0,
	    sizeof(dep_table) / sizeof(dep_table[0]));
	tcase_add_loop_test(tc, test_dep_ended, 0,
	    sizeof(dep_table) / sizeof(dep_table[0]));
	tcase_add_test(tc, test_dep_ended_no_edges);
	tcase_add_test(tc, test_multiple_deps);
	tcase_add_test(tc, test_chain_cancel);
	tcase_add_test(tc, test_chain_success);
	tcase_add_loop_test(tc, test_diamond, 0, 2);
	tcase_add_test(tc, test_long_chain);
	tcase_add_test(tc, test_fan_out);
	tcase_add_test(tc, test_doomed_with_dependents);
	tcase_add_test(tc, test_finish_waiting);
	tcase_add_test(tc, test_finish_new);
	tcase_add_test(tc, test_link_lifetime);
	tcase_add_test(tc, test_link_free_in_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("arrays");
	tcase_add_test(tc, test_array_throttle);
	tcase_add_test(tc, test_array_priority);
	tcase_add_test(tc, test_array_delayed_requeue);
	tcase_add_test(tc, test_array_unthrottled);
	tcase_add_test(tc, test_array_lifetime);
	tcase_add_test(tc, test_array_valid_in_callback);
	tcase_add_test(tc, test_many_arrays);
	tcase_add_test(tc, test_free_busy);
	tcase_add_test(tc, test_hold_release);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_random_vs_model, 0, 8);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(sched_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
