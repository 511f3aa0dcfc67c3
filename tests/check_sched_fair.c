/*
 * check_sched_fair.c - unit tests of the scheduler's users
 * (daemon/sched_fair.c): fair rotation between users within a priority,
 * priorities still first, starvation-freedom of a single job next to a
 * huge array, per-user running caps from a configuration built by hand
 * (and swapped, as a reload does), the per-user counts and reserved places,
 * and a randomized comparison against a brute-force reference model with
 * arrays, throttles, parallel limits, pauses, delays, dependencies and caps
 * mixed in; with one user the model is today's order (priority, FIFO).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "sched.h"

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

#define UID0	1000

/* ---- configurations built by hand ---- */

/* A configuration with no caps set anywhere (what conf_parse leaves). */
static void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->admin_gid = (gid_t)-1;
	c->caps.queued = c->caps.running = -1;
}

/* Caps of [user uid]: max-queued, max-running (-1: unset). */
static void
conf_user(struct conf *c, uid_t uid, int64_t queued, int64_t running)
{
	c->users = realloc(c->users, (c->nusers + 1) * sizeof(*c->users));
	ck_assert_ptr_nonnull(c->users);
	memset(&c->users[c->nusers], 0, sizeof(*c->users));
	c->users[c->nusers].uid = uid;
	c->users[c->nusers].caps.queued = queued;
	c->users[c->nusers].caps.running = running;
	c->nusers++;
}

/* Caps of [queue name]: user-max-queued, user-max-running. */
static void
conf_queue(struct conf *c, const char *name, int64_t queued, int64_t running)
{
	c->queues = realloc(c->queues, (c->nqueues + 1) * sizeof(*c->queues));
	ck_assert_ptr_nonnull(c->queues);
	memset(&c->queues[c->nqueues], 0, sizeof(*c->queues));
	c->queues[c->nqueues].name = strdup(name);
	ck_assert_ptr_nonnull(c->queues[c->nqueues].name);
	c->queues[c->nqueues].user_caps.queued = queued;
	c->queues[c->nqueues].user_caps.running = running;
	c->nqueues++;
}

static void
conf_done(struct conf *c)
{
	size_t	i;

	for (i = 0; i < c->nqueues; i++)
		free(c->queues[i].name);
	free(c->queues);
	free(c->users);
}

/* ---- helpers ---- */

static struct sched *
new_sched(void)
{
	struct sched	*s = sched_new(NULL, NULL);

	ck_assert_ptr_nonnull(s);
	return (s);
}

static void
add(struct sched *s, struct sched_node *n, int64_t id, int prio,
    struct sched_queue *q, struct sched_array *a, uid_t uid)
{
	sched_node_init(n, id, prio, 0, q, a);
	n->uid = uid;
	ck_assert_int_eq(sched_add(s, n, 0), 0);
}

/* ---- rotation ---- */

/* Two users, equal priority: they take turns, whoever has more. */
START_TEST(test_two_users_alternate)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_node	 a[10], b[3], *n;
	int			 i, order[13];

	for (i = 0; i < 10; i++)
		add(s, &a[i], 1 + i, 0, q, NULL, UID0);
	for (i = 0; i < 3; i++)
		add(s, &b[i], 100 + i, 0, q, NULL, UID0 + 1);
	ck_assert_uint_eq(sched_fair_nusers(s), 2);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, q), 10);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0 + 1, NULL), 3);
	for (i = 0; i < 13; i++) {
		n = sched_next(s, 0);
		ck_assert_ptr_nonnull(n);
		order[i] = (int)n->id;
	}
	/* A went first (lower id, neither had started), then turns; once B
	 * has nothing left, A's jobs in FIFO order. */
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 100);
	ck_assert_int_eq(order[2], 2);
	ck_assert_int_eq(order[3], 101);
	ck_assert_int_eq(order[4], 3);
	ck_assert_int_eq(order[5], 102);
	for (i = 6; i < 13; i++)
		ck_assert_int_eq(order[i], i - 2);
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_uint_eq(sched_fair_nrunning(s, UID0, q), 10);
	ck_assert_uint_eq(sched_fair_nrunning(s, UID0 + 1, NULL), 3);
	for (i = 0; i < 10; i++)
		sched_finish(s, &a[i], 1, 0);
	for (i = 0; i < 3; i++)
		sched_finish(s, &b[i], 1, 0);
	ck_assert_uint_eq(sched_fair_nusers(s), 0);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, NULL), 0);
	sched_free(s);
}
END_TEST

/* A higher priority wins whoever owns it and whoever started last. */
START_TEST(test_priority_first)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_node	 a[4], b[2];
	int			 i;

	for (i = 0; i < 4; i++)
		add(s, &a[i], 1 + i, 5, q, NULL, UID0);
	add(s, &b[0], 10, 0, q, NULL, UID0 + 1);
	add(s, &b[1], 11, 9, q, NULL, UID0 + 1);
	ck_assert_ptr_eq(sched_next(s, 0), &b[1]);	/* priority 9 */
	/* A (5) over B's 0, every time, although B started least recently
	 * after A's first start */
	for (i = 0; i < 4; i++)
		ck_assert_ptr_eq(sched_next(s, 0), &a[i]);
	ck_assert_ptr_eq(sched_next(s, 0), &b[0]);
	sched_free(s);
}
END_TEST

/* Many users, each with a pile: in every window of U starts at one
 * priority every user starts exactly once. */
START_TEST(test_many_users_round_robin)
{
	enum { U = 17, PER = 40 };
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_node	*n, *v = calloc(U * PER, sizeof(*v));
	int			 i, u, seen[U], k;

	ck_assert_ptr_nonnull(v);
	/* user u's jobs have ids interleaved oddly: u's first job is later
	 * than others' */
	for (i = 0; i < U * PER; i++) {
		u = (i * 7) % U;
		add(s, &v[i], 1 + i, 0, q, NULL, UID0 + (uid_t)u);
	}
	for (k = 0; k < PER; k++) {
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < U; i++) {
			n = sched_next(s, 0);
			ck_assert_ptr_nonnull(n);
			u = (int)(n->uid - UID0);
			CHECK(seen[u] == 0, "round %d: user %d twice", k, u);
			seen[u] = 1;
		}
	}
	ck_assert_ptr_null(sched_next(s, 0));
	sched_free(s);
	free(v);
}
END_TEST

/* A single job of B starts at once next to A's 100,000 tasks (throttled
 * or not), one worker: start, finish, start... */
START_TEST(test_no_starvation_huge_array)
{
	enum { T = 100000 };
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "batch", 1);
	struct sched_array	*arr = sched_array_get(s, 1, _i ? 50 : 0, 1);
	struct sched_node	*t = calloc(T, sizeof(*t)), b, *n;
	int			 i, pos = -1, starts = 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(arr);
	for (i = 0; i < T; i++)
		add(s, &t[i], 2 + i, 0, q, arr, UID0);
	/* a few of A's run first */
	for (i = 0; i < 5; i++) {
		n = sched_next(s, 0);
		ck_assert_ptr_eq(n, &t[i]);
		sched_finish(s, n, 1, 0);
		starts++;
	}
	add(s, &b, T + 10, 0, q, NULL, UID0 + 1);
	while ((n = sched_next(s, 0)) != NULL) {
		if (n == &b)
			pos = starts;
		sched_finish(s, n, 1, 0);
		if (++starts > 20)
			break;
	}
	/* B had never started: hers is the very next start */
	ck_assert_int_eq(pos, 5);
	/* and the rest of A's array goes on in order */
	for (;;) {
		if ((n = sched_next(s, 0)) == NULL)
			break;
		sched_finish(s, n, 1, 0);
	}
	ck_assert_uint_eq(sched_nqueued(s), 0);
	ck_assert_uint_eq(sched_fair_nusers(s), 0);
	sched_free(s);
	free(t);
}
END_TEST

/* Starvation-freedom while B keeps submitting one job at a time and A
 * has thousands: each of B's jobs starts within 2 starts (one worker). */
START_TEST(test_no_starvation_trickle)
{
	enum { T = 5000 };
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_node	*t = calloc(T, sizeof(*t)), b[50], *n;
	int			 i, k, wait;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < T; i++)
		add(s, &t[i], 1 + i, 0, q, NULL, UID0);
	for (k = 0; k < 50; k++) {
		add(s, &b[k], T + 1 + k, 0, q, NULL, UID0 + 1);
		for (wait = 1; ; wait++) {
			n = sched_next(s, 0);
			ck_assert_ptr_nonnull(n);
			sched_finish(s, n, 1, 0);
			if (n == &b[k])
				break;
		}
		CHECK(wait <= 2, "B's job %d waited %d starts", k, wait);
	}
	sched_free(s);
	free(t);
}
END_TEST

/* Rotation holds between queues too (the stamp is the user's). */
START_TEST(test_rotation_across_queues)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q1 = sched_queue_get(s, "q1", 1);
	struct sched_queue	*q2 = sched_queue_get(s, "q2", 1);
	struct sched_node	 a[6], b[2];
	int			 i;

	for (i = 0; i < 3; i++) {
		add(s, &a[i], 1 + i, 0, q1, NULL, UID0);
		add(s, &a[3 + i], 4 + i, 0, q2, NULL, UID0);
	}
	add(s, &b[0], 20, 0, q2, NULL, UID0 + 1);
	add(s, &b[1], 21, 0, q2, NULL, UID0 + 1);
	ck_assert_ptr_eq(sched_next(s, 0), &a[0]);
	ck_assert_ptr_eq(sched_next(s, 0), &b[0]);
	ck_assert_ptr_eq(sched_next(s, 0), &a[1]);
	ck_assert_ptr_eq(sched_next(s, 0), &b[1]);
	for (i = 2; i < 6; i++)
		ck_assert_ptr_eq(sched_next(s, 0), &a[i]);
	sched_free(s);
}
END_TEST

/* ---- caps ---- */

/* A at her running cap is skipped, others go ahead; a reload (a swapped
 * pointer) counts at the next decision. */
START_TEST(test_running_caps)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_queue	*r = sched_queue_get(s, "r", 1);
	struct sched_node	 a[6], b[2], *n;
	struct conf		 c1, c2;
	const struct conf	*cur;
	int			 i;

	conf_init(&c1);
	c1.caps.running = 2;			/* user-max-running 2 */
	conf_queue(&c1, "q", -1, 1);		/* [queue q] user-max-running 1 */
	conf_init(&c2);
	conf_user(&c2, UID0, -1, 4);		/* [user A] max-running 4 */
	cur = &c1;
	sched_fair_conf(s, &cur);
	for (i = 0; i < 3; i++) {
		add(s, &a[i], 1 + i, 0, q, NULL, UID0);
		add(s, &a[3 + i], 10 + i, 0, r, NULL, UID0);
	}
	add(s, &b[0], 20, 0, q, NULL, UID0 + 1);
	add(s, &b[1], 21, 0, q, NULL, UID0 + 1);
	ck_assert_ptr_eq(sched_next(s, 0), &a[0]);	/* q: A's 1 */
	ck_assert_ptr_eq(sched_next(s, 0), &b[0]);	/* q: B's 1 */
	ck_assert_ptr_eq(sched_next(s, 0), &a[3]);	/* A: 2 in all */
	ck_assert_ptr_null(sched_next(s, 0));	/* A at 2, B at 1 in q */
	/* the reload: no queue cap, A may run 4 */
	cur = &c2;
	ck_assert_ptr_eq(sched_next(s, 0), &b[1]);	/* B started longer ago */
	ck_assert_ptr_eq(sched_next(s, 0), &a[1]);
	ck_assert_ptr_eq(sched_next(s, 0), &a[2]);
	ck_assert_ptr_null(sched_next(s, 0));		/* A at 4 */
	ck_assert_uint_eq(sched_fair_nrunning(s, UID0, NULL), 4);
	sched_finish(s, &a[0], 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &a[4]);
	/* no configuration at all: no caps */
	sched_fair_conf(s, NULL);
	ck_assert_ptr_eq(sched_next(s, 0), &a[5]);
	while ((n = sched_next(s, 0)) != NULL)
		;
	sched_free(s);
	conf_done(&c1);
	conf_done(&c2);
}
END_TEST

/* Reserved places count as queued until given back. */
START_TEST(test_reserve)
{
	struct sched		*s = new_sched();
	struct sched_queue	*q = sched_queue_get(s, "q", 1);
	struct sched_queue	*r = sched_queue_get(s, "r", 1);
	struct sched_node	 n[3];
	int			 i;

	ck_assert_int_eq(sched_fair_reserve(s, UID0, q, 3), 0);
	ck_assert_int_eq(sched_fair_reserve(s, UID0, r, 2), 0);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, q), 3);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, r), 2);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, NULL), 5);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0 + 1, NULL), 0);
	sched_fair_unreserve(s, UID0, r, 2);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, NULL), 3);
	sched_fair_unreserve(s, UID0, q, 3);
	for (i = 0; i < 3; i++)
		add(s, &n[i], 1 + i, 0, q, NULL, UID0);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, q), 3);
	ck_assert_uint_eq(sched_fair_nqueued(s, UID0, NULL), 3);
	ck_assert_uint_eq(sched_fair_nusers(s), 1);
	for (i = 0; i < 3; i++)
		sched_finish(s, &n[i], 0, 0);
	ck_assert_uint_eq(sched_fair_nusers(s), 0);
	/* a reservation left at sched_free is freed (LeakSanitizer) */
	ck_assert_int_eq(sched_fair_reserve(s, UID0, q, 1), 0);
	sched_free(s);
}
END_TEST

/* ---- randomized, against a brute-force model ---- */

#define RN	600
#define RQ	3
#define RA	4
#define RU	6
#define RC	4	/* configurations */

enum { R_NEW, R_BLOCKED, R_DELAYED, R_READY, R_RUNNING, R_DONE };

struct rnode {
	struct sched_node	n;
	int			st;
	int			succeeded;
	int			qi, ai, ui;
	int			ndeps;
	int			dep[2];
	enum sched_dep_mode	mode[2];
};

static struct rnode	 rn[RN];
static int		 rcount, rusers;
static int		 rq_paused[RQ], rq_parallel[RQ];
static const int	 ra_throttle[RA] = { 2, 0, 1, 0 };
static const int	 ra_queue[RA] = { 0, -1, 1, 2 };
static uint64_t		 rstamp[RU], rseq;
static struct conf	 rconf[RC];
static const struct conf *rcur;
static uint64_t		 rstate;
static const char *const rqname[RQ] = { "q0", "q1", "q2" };

static uint32_t
rnd(uint32_t n)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 7;
	rstate ^= rstate << 17;
	return ((uint32_t)(rstate >> 11) % n);
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

static void
r_eval(int64_t now)
{
	int	i, k, changed, met, doomed;

	do {
		changed = 0;
		for (i = 0; i < rcount; i++) {
			if (rn[i].st != R_BLOCKED)
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
				changed = 1;
			} else if (met) {
				r_place(i, now);
				changed = 1;
			}
		}
	} while (changed);
}

/* A user with nothing live is forgotten: she comes back with stamp 0. */
static void
r_forget(void)
{
	int	i, u, live[RU] = { 0 };

	for (i = 0; i < rcount; i++)
		if (r_live(i))
			live[rn[i].ui] = 1;
	for (u = 0; u < RU; u++)
		if (!live[u])
			rstamp[u] = 0;
}

static int
r_count(int ui, int qi, int running)
{
	int	i, c = 0;

	for (i = 0; i < rcount; i++)
		if ((ui < 0 || rn[i].ui == ui) && (qi < 0 || rn[i].qi == qi) &&
		    (running ? rn[i].st == R_RUNNING :
		    rn[i].st >= R_BLOCKED && rn[i].st <= R_READY))
			c++;
	return (c);
}

static int
r_array_running(int ai)
{
	int	i, c = 0;

	for (i = 0; i < rcount; i++)
		if (rn[i].ai == ai && rn[i].st == R_RUNNING)
			c++;
	return (c);
}

/* Is user ui at a running cap for queue qi (configuration rcur)? */
static int
r_capped(int ui, int qi)
{
	struct conf_caps	c;

	if (rcur == NULL)
		return (0);
	conf_caps_queue(rcur, UID0 + (uid_t)ui, rqname[qi], &c);
	if (c.running > 0 && r_count(ui, qi, 1) >= c.running)
		return (1);
	conf_caps_global(rcur, UID0 + (uid_t)ui, &c);
	return (c.running > 0 && r_count(ui, -1, 1) >= c.running);
}

/* The model's choice: the eligible READY node with the highest priority,
 * then the user who started least recently, then the lowest id. */
static int
r_next(int64_t now)
{
	int	i, best = -1, qi;

	r_due(now);
	for (i = 0; i < rcount; i++) {
		if (rn[i].st != R_READY)
			continue;
		qi = rn[i].qi;
		if (rq_paused[qi] || (rq_parallel[qi] > 0 &&
		    r_count(-1, qi, 1) >= rq_parallel[qi]))
			continue;
		if (rn[i].ai >= 0 && ra_throttle[rn[i].ai] > 0 &&
		    r_array_running(rn[i].ai) >= ra_throttle[rn[i].ai])
			continue;
		if (r_capped(rn[i].ui, qi))
			continue;
		if (best >= 0) {
			if (rn[i].n.priority != rn[best].n.priority) {
				if (rn[i].n.priority < rn[best].n.priority)
					continue;
			} else if (rstamp[rn[i].ui] != rstamp[rn[best].ui]) {
				if (rstamp[rn[i].ui] > rstamp[rn[best].ui])
					continue;
			} else if (rn[i].n.id > rn[best].n.id)
				continue;
		}
		best = i;
	}
	return (best);
}

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

static void
r_check(struct sched *s, struct sched_queue **qs)
{
	static const enum sched_state map[] = { SCHED_NEW, SCHED_BLOCKED,
	    SCHED_DELAYED, SCHED_READY, SCHED_RUNNING, SCHED_DONE };
	int	i, u, q, nusers = 0;

	for (i = 0; i < rcount; i++)
		CHECK(rn[i].n.state == map[rn[i].st],
		    "node %d (id %lld): state %d, model %d", i,
		    (long long)rn[i].n.id, rn[i].n.state, map[rn[i].st]);
	for (u = 0; u < RU; u++) {
		uid_t uid = UID0 + (uid_t)u;

		for (q = 0; q < RQ; q++) {
			CHECK(sched_fair_nqueued(s, uid, qs[q]) ==
			    (size_t)r_count(u, q, 0), "user %d q%d queued", u,
			    q);
			CHECK(sched_fair_nrunning(s, uid, qs[q]) ==
			    (size_t)r_count(u, q, 1), "user %d q%d running",
			    u, q);
		}
		CHECK(sched_fair_nqueued(s, uid, NULL) ==
		    (size_t)r_count(u, -1, 0), "user %d queued", u);
		CHECK(sched_fair_nrunning(s, uid, NULL) ==
		    (size_t)r_count(u, -1, 1), "user %d running", u);
		if (r_count(u, -1, 0) + r_count(u, -1, 1) > 0)
			nusers++;
	}
	CHECK(sched_fair_nusers(s) == (size_t)nusers, "users %zu, model %d",
	    sched_fair_nusers(s), nusers);
}

/* After a start by ui in qi: her caps of the moment hold. */
static void
r_check_caps(int ui, int qi)
{
	struct conf_caps	c;

	if (rcur == NULL)
		return;
	conf_caps_queue(rcur, UID0 + (uid_t)ui, rqname[qi], &c);
	CHECK(c.running == 0 || r_count(ui, qi, 1) <= c.running,
	    "user %d over her cap in q%d", ui, qi);
	conf_caps_global(rcur, UID0 + (uid_t)ui, &c);
	CHECK(c.running == 0 || r_count(ui, -1, 1) <= c.running,
	    "user %d over her global cap", ui);
}

static void
r_add(struct sched *s, struct sched_queue **qs, struct sched_array **as,
    int64_t now)
{
	struct rnode	*r = &rn[rcount];
	int		 i = rcount, k, nd, d, doomed = 0, rc;
	enum sched_dep_mode m;

	memset(r, 0, sizeof(*r));
	/* user 0 is the heavy one: half of all jobs */
	r->ui = rnd(2) ? 0 : (int)rnd((uint32_t)rusers);
	r->ai = rnd(3) == 0 ? (int)rnd(RA) : -1;
	r->qi = (int)rnd(RQ);
	if (r->ai >= 0) {
		r->ui = r->ai % rusers;		/* an array has one owner */
		if (ra_queue[r->ai] >= 0)
			r->qi = ra_queue[r->ai];
		if (as[r->ai] == NULL ||
		    sched_array_get(s, 500 + r->ai, 0, 0) == NULL)
			as[r->ai] = sched_array_get(s, 500 + r->ai,
			    ra_throttle[r->ai], 1);
		ck_assert_ptr_nonnull(as[r->ai]);
	}
	sched_node_init(&r->n, ((int64_t)i * 7919) % 100003 + 1,
	    (int)rnd(3) - 1, rnd(3) ? 0 : now + (int64_t)rnd(40), qs[r->qi],
	    r->ai >= 0 ? as[r->ai] : NULL);
	r->n.uid = UID0 + (uid_t)r->ui;
	nd = rcount > 0 && rnd(4) == 0 ? 1 + (int)rnd(2) : 0;
	for (k = 0; k < nd; k++) {
		d = (int)rnd((uint32_t)rcount);
		m = (enum sched_dep_mode)rnd(3);
		if (rn[d].st == R_DONE) {
			if (!sched_dep_ended(s, &r->n, m, rn[d].succeeded))
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
	rc = sched_add(s, &r->n, now);
	ck_assert_int_eq(rc, doomed);
	if (doomed) {
		r->st = R_DONE;
		r->ndeps = 0;
		if (r->ai >= 0)
			sched_array_release(s, as[r->ai]);
	} else if (r->ndeps > 0)
		r->st = R_BLOCKED;
	else
		r_place(i, now);
}

static void
r_confs(void)
{
	int	i;

	for (i = 0; i < RC; i++)
		conf_init(&rconf[i]);
	/* 0: no caps.  1: everyone 2 running, 1 per user in q0. */
	rconf[1].caps.running = 2;
	conf_queue(&rconf[1], "q0", -1, 1);
	/* 2: the heavy user 1 running; the others 3 in q1. */
	conf_user(&rconf[2], UID0, -1, 1);
	conf_queue(&rconf[2], "q1", -1, 3);
	/* 3: global 3, user 0 unlimited over all queues but 1 in q2. */
	rconf[3].caps.running = 3;
	conf_user(&rconf[3], UID0, -1, 0);
	conf_queue(&rconf[3], "q2", -1, 1);
}

/* _i: users 1 (today's order), 2, or RU; caps or none. */
START_TEST(test_random_vs_model)
{
	struct sched		*s;
	struct sched_queue	*qs[RQ];
	struct sched_array	*as[RA] = { NULL };
	struct sched_node	*n;
	int64_t			 now = 1000;
	int			 op, i, want, step, q, caps;

	static const int users[] = { 1, 2, RU };

	memset(rn, 0, sizeof(rn));
	memset(rstamp, 0, sizeof(rstamp));
	rcount = 0;
	rseq = 0;
	rusers = users[_i % 3];
	caps = _i % 6 >= 3;
	rstate = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
	r_confs();
	rcur = caps ? &rconf[1] : NULL;
	s = sched_new(NULL, NULL);
	ck_assert_ptr_nonnull(s);
	sched_fair_conf(s, &rcur);
	for (i = 0; i < RQ; i++) {
		qs[i] = sched_queue_get(s, rqname[i], 1);
		ck_assert_ptr_nonnull(qs[i]);
		rq_paused[i] = 0;
		rq_parallel[i] = 0;
	}
	for (step = 0; step < 4000; step++) {
		op = (int)rnd(100);
		if (op < 30) {
			if (rcount < RN)
				r_add(s, qs, as, now);
		} else if (op < 55) {
			want = r_next(now);
			n = sched_next(s, now);
			if (want < 0)
				CHECK(n == NULL, "step %d: got id %lld, model "
				    "none", step, (long long)(n ? n->id : 0));
			else {
				CHECK(n == &rn[want].n, "step %d: got id %lld "
				    "(user %d), model %lld (user %d)", step,
				    (long long)(n ? n->id : -1), n ?
				    (int)(n->uid - UID0) : -1,
				    (long long)rn[want].n.id, rn[want].ui);
				rn[want].st = R_RUNNING;
				rstamp[rn[want].ui] = ++rseq;
				r_check_caps(rn[want].ui, rn[want].qi);
			}
		} else if (op < 70) {
			if ((i = r_pick(R_RUNNING)) >= 0) {
				rn[i].succeeded = (int)rnd(2);
				sched_finish(s, &rn[i].n, rn[i].succeeded, now);
				rn[i].st = R_DONE;
				r_eval(now);
			}
		} else if (op < 74) {
			if ((i = r_pick(-1)) >= 0) {
				sched_finish(s, &rn[i].n, 0, now);
				rn[i].st = R_DONE;
				rn[i].succeeded = 0;
				r_eval(now);
			}
		} else if (op < 80) {
			if ((i = r_pick(R_RUNNING)) >= 0) {
				int64_t nb = rnd(2) ? now : now + 1 +
				    (int64_t)rnd(20);

				sched_requeue(s, &rn[i].n, nb, now);
				r_place(i, now);
			}
		} else if (op < 85) {
			if ((i = r_pick(-1)) >= 0)
				sched_set_priority(s, &rn[i].n,
				    (int)rnd(3) - 1);
		} else if (op < 89) {
			q = (int)rnd(RQ);
			if (rnd(2)) {
				rq_parallel[q] = (int)rnd(4);
				sched_queue_set(s, qs[q], rq_parallel[q], -1);
			} else {
				rq_paused[q] = rnd(4) == 0;
				sched_queue_set(s, qs[q], -1, rq_paused[q]);
			}
		} else if (op < 92) {
			if (caps)	/* a reload */
				rcur = &rconf[rnd(RC)];
		} else
			now += rnd(10);
		r_forget();
		r_check(s, qs);
	}
	/* Drain: no limits, no caps. */
	rcur = NULL;
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
			rstamp[rn[want].ui] = ++rseq;
		}
		ck_assert_ptr_null(sched_next(s, now));
		if (r_pick(R_RUNNING) < 0)
			break;
		for (i = 0; i < rcount; i++) {
			if (rn[i].st != R_RUNNING)
				continue;
			rn[i].succeeded = (int)rnd(2);
			sched_finish(s, &rn[i].n, rn[i].succeeded, now);
			rn[i].st = R_DONE;
			r_eval(now);
		}
		r_forget();
		r_check(s, qs);
	}
	ck_assert_uint_eq(sched_nqueued(s), 0);
	ck_assert_uint_eq(sched_fair_nusers(s), 0);
	sched_free(s);
	for (i = 0; i < RC; i++)
		conf_done(&rconf[i]);
}
END_TEST

static Suite *
sched_fair_suite(void)
{
	Suite	*s = suite_create("sched_fair");
	TCase	*tc;

	tc = tcase_create("rotation");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_users_alternate);
	tcase_add_test(tc, test_priority_first);
	tcase_add_test(tc, test_many_users_round_robin);
	tcase_add_loop_test(tc, test_no_starvation_huge_array, 0, 2);
	tcase_add_test(tc, test_no_starvation_trickle);
	tcase_add_test(tc, test_rotation_across_queues);
	suite_add_tcase(s, tc);

	tc = tcase_create("caps");
	tcase_add_test(tc, test_running_caps);
	tcase_add_test(tc, test_reserve);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_random_vs_model, 0, 12);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(sched_fair_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
