/*
 * check_sched_res.c - unit tests of slots and named resources
 * (daemon/sched_res.c and its use by sched_next): parsing of --resource
 * specs and of requests with their errors, lowest-free assignment and
 * release, the strings a job gets, the reservation that keeps a job asking
 * many slots from starving behind a stream of one-slot jobs, and a
 * randomized comparison of the scheduler against a brute-force model
 * (random pools, jobs with random slots/resources/priorities in two queues
 * with random parallel limits,
 * random starts, ends, retries and edits of queued jobs' requests): the
 * same job starts with the same
 * instances, nothing is ever assigned twice or over the pool, and every job
 * starts in the end.  Edits of a queued job's request (sched_res_req_edit,
 * sched_edit_res): the kept and replaced parts, the refusals, a waiting
 * job edited down starting at once, and random edits in the randomized
 * comparison (the model re-reads the edited request at each decision).
 * Running ahead (slots_ahead): a plain one-slot request may go beyond
 * slots_total by that many, a bigger one or one with a named resource
 * never, and reservations count against it.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

static char err[256];

/* ---- the pool ---- */

START_TEST(test_pool_specs)
{
	static struct sched_res_pool p;
	char big[400];
	int i;

	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=0,1,2,3", err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_pool_add(&p, "license=5", err, sizeof err),
	    0);
	ck_assert_int_eq(sched_res_pool_add(&p, "disk=ssd-a,ssd.b", err,
	    sizeof err), 0);
	ck_assert_uint_eq(p.nres, 3);
	ck_assert_uint_eq(p.res[1].ninst, 5);
	ck_assert_str_eq(p.res[1].inst[4], "4");
	ck_assert_str_eq(p.res[2].inst[1], "ssd.b");
	ck_assert_int_eq(sched_res_find(&p, "license"), 1);
	ck_assert_int_eq(sched_res_find(&p, "nope"), -1);

	ck_assert_int_eq(sched_res_pool_add(&p, "GPU=2", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "configured twice"));
	ck_assert_int_eq(sched_res_pool_add(&p, "x=0", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "count of 0"));
	ck_assert_int_eq(sched_res_pool_add(&p, "x=65", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too many instances"));
	ck_assert_int_eq(sched_res_pool_add(&p, "1x=2", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "name"));
	ck_assert_int_eq(sched_res_pool_add(&p, "x", err, sizeof err),
	    -EINVAL);
	ck_assert_int_eq(sched_res_pool_add(&p, "x=a,,b", err, sizeof err),
	    -EINVAL);
	ck_assert_int_eq(sched_res_pool_add(&p, "x=a,a", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	ck_assert_int_eq(sched_res_pool_add(&p, "x=a b", err, sizeof err),
	    -EINVAL);
	strcpy(big, "x=");
	for (i = 0; i < 65; i++)
		sprintf(big + strlen(big), "%si%d", i ? "," : "", i);
	ck_assert_int_eq(sched_res_pool_add(&p, big, err, sizeof err),
	    -EINVAL);
	ck_assert_uint_eq(p.nres, 3);
	for (i = 3; i < SCHED_RES_MAX; i++) {
		sprintf(big, "r%d=1", i);
		ck_assert_int_eq(sched_res_pool_add(&p, big, err, sizeof err),
		    0);
	}
	ck_assert_int_eq(sched_res_pool_add(&p, "last=1", err, sizeof err),
	    -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too many resources"));
}
END_TEST

START_TEST(test_requests)
{
	static struct sched_res_pool p;
	struct sched_res_req r;

	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=4", err, sizeof err), 0);
	ck_assert_int_eq(sched_res_pool_add(&p, "license=2", err, sizeof err),
	    0);
	ck_assert_int_eq(sched_res_req_parse(&p, 0, NULL, &r, err,
	    sizeof err), 0);
	ck_assert_int_eq(r.slots, 1);
	ck_assert_int_eq(sched_res_req_parse(&p, 4, "gpu=2,license=1", &r,
	    err, sizeof err), 0);
	ck_assert_int_eq(r.slots, 4);
	ck_assert_uint_eq(r.n[0], 2);
	ck_assert_uint_eq(r.n[1], 1);
	ck_assert_int_eq(sched_res_req_parse(&p, 5, NULL, &r, err,
	    sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "4 worker slots"));
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "tpu=1", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown resource \"tpu\""));
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "license=3", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "3 asked, but jobqd has 2"));
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=0", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1,gpu=1", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1,", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_int_eq(sched_res_req_parse(&p, -1, NULL, &r, err,
	    sizeof err), -EINVAL);
}
END_TEST

START_TEST(test_assign_release_strings)
{
	static struct sched_res_pool p;
	struct sched_res_req a, b, c;
	char buf[128], **env;

	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=0,1,2,3", err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_pool_add(&p, "lic=x,y", err, sizeof err),
	    0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &a, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 2, "gpu=2,lic=1", &b, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=2", &c, err,
	    sizeof err), 0);
	sched_res_assign(&p, &a);
	sched_res_assign(&p, &b);
	ck_assert_uint_eq(a.given[0], 0x1);
	ck_assert_uint_eq(b.given[0], 0x6);
	ck_assert_uint_eq(b.given[1], 0x1);
	ck_assert_int_eq(p.slots_used, 3);
	ck_assert(!sched_res_fits(&p, &c));
	sched_res_release(&p, &a);
	ck_assert(sched_res_fits(&p, &c));
	sched_res_assign(&p, &c);
	ck_assert_uint_eq(c.given[0], 0x9);	/* 0 and 3: lowest free */
	ck_assert_uint_eq(sched_res_given_str(&p, &b, buf, sizeof buf),
	    strlen("gpu=1,2;lic=x"));
	ck_assert_str_eq(buf, "gpu=1,2;lic=x");
	/* truncated, but the length it needs */
	ck_assert_uint_eq(sched_res_given_str(&p, &b, buf, 5), 13);
	ck_assert_str_eq(buf, "gpu=");
	env = sched_res_env(&p, &b);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(env[0], "JOBQ_RES_GPU=1,2");
	ck_assert_str_eq(env[1], "CUDA_VISIBLE_DEVICES=1,2");
	ck_assert_str_eq(env[2], "JOBQ_RES_LIC=x");
	ck_assert_ptr_null(env[3]);
	free(env[0]);
	free(env[1]);
	free(env[2]);
	free(env);
	sched_res_release(&p, &b);
	sched_res_release(&p, &c);
	sched_res_release(&p, &c);	/* holds nothing: no-op */
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_uint_eq(p.res[0].busy | p.res[1].busy, 0);
}
END_TEST

/* ---- through the scheduler ---- */

struct tjob {
	struct sched_node node;
	struct sched_res_req req;
	struct sched_res_req alt;	/* an edit's new request */
	int running, done;
};

/* j asks its req (the node points at it: sched_node_set_res). */
static void
tjob_res(struct tjob *j)
{
	ck_assert_int_eq(sched_node_set_res(&j->node, &j->req), 0);
}

/* The side records of n jobs freed (their requests are theirs): before
 * the jobs go, or are initialised again. */
static void
tjob_release(struct tjob *j, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sched_node_release(&j[i].node);
}

static void
no_cancel(void *arg, struct sched_node *n)
{
	(void)arg;
	(void)n;
	ck_abort_msg("unexpected cancel");
}

/* A 4-slot job behind a stream of 1-slot jobs in a pool of 4 starts. */
START_TEST(test_no_starvation)
{
	static struct sched_res_pool p;
	struct tjob *j = calloc(200, sizeof(*j));
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q = sched_queue_get(s, "default", 1);
	struct sched_node *n;
	int i, next = 0, big = -1, t, nrun;

	sched_res_pool_init(&p, 4);
	sched_res_attach(s, &p);
	/* four 1-slot jobs run */
	for (i = 0; i < 4; i++) {
		sched_node_init(&j[next].node, next + 1, 0, 0, q, NULL);
		ck_assert_int_eq(sched_add(s, &j[next].node, 0), 0);
		next++;
	}
	while ((n = sched_next(s, 0)) != NULL)
		((struct tjob *)n)->running = 1;
	ck_assert_uint_eq(sched_nrunning(s), 4);
	/* the big one, then a stream of small ones */
	big = next;
	ck_assert_int_eq(sched_res_req_parse(&p, 4, NULL, &j[big].req, err,
	    sizeof err), 0);
	sched_node_init(&j[big].node, big + 1, 0, 0, q, NULL);
	tjob_res(&j[big]);
	ck_assert_int_eq(sched_add(s, &j[big].node, 0), 0);
	next++;
	for (t = 0; t < 8 && !j[big].running; t++) {
		/* a new small job, one running job ends */
		sched_node_init(&j[next].node, next + 1, 0, 0, q, NULL);
		ck_assert_int_eq(sched_add(s, &j[next].node, 0), 0);
		next++;
		for (i = 0; i < next; i++)
			if (j[i].running) {
				j[i].running = 0;
				j[i].done = 1;
				sched_finish(s, &j[i].node, 1, 0);
				break;
			}
		while ((n = sched_next(s, 0)) != NULL)
			((struct tjob *)n)->running = 1;
		for (i = nrun = 0; i < next; i++)
			nrun += j[i].running;
		CHECK(j[big].running || p.slots_used == nrun,
		    "small jobs only while the big one waits");
	}
	ck_assert_msg(j[big].running, "the 4-slot job starts after 4 ends");
	ck_assert_int_eq(p.slots_used, 4);
	ck_assert_uint_eq(sched_nrunning(s), 1);
	sched_free(s);
	tjob_release(j, 200);
	free(j);
}
END_TEST

/* An external queue (Slurm): its jobs take no slot or resource of the
 * pool, sched_next() never returns them and sched_next_ext() only them,
 * under the queue's parallel limit; a node taken while its queue was
 * external gives nothing back when its queue has become local; an adopted
 * node counts as running in its queue and array. */
START_TEST(test_external_queue)
{
	static struct sched_res_pool p;
	struct tjob *j = calloc(16, sizeof(*j));
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *loc = sched_queue_get(s, "local", 1);
	struct sched_queue *ext = sched_queue_get(s, "slurm", 1);
	struct sched_array *a;
	struct sched_node *n;
	int i;

	sched_res_pool_init(&p, 1);
	sched_res_attach(s, &p);
	sched_queue_set_external(ext, 1);
	sched_queue_set(s, ext, 3, -1);
	ck_assert_int_eq(sched_queue_external(ext), 1);
	for (i = 0; i < 6; i++) {
		sched_node_init(&j[i].node, i + 1, 0, 0, i < 2 ? loc : ext,
		    NULL);
		ck_assert_int_eq(sched_add(s, &j[i].node, 0), 0);
	}
	/* one slot: one local job; the external ones never by sched_next */
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_int_eq(p.slots_used, 1);
	/* three external ones (the queue's limit), no slot taken */
	for (i = 2; i < 5; i++)
		ck_assert_ptr_eq(sched_next_ext(s, 0, 1), &j[i].node);
	ck_assert_ptr_null(sched_next_ext(s, 0, 1));
	ck_assert_int_eq(p.slots_used, 1);
	ck_assert_uint_eq(sched_queue_nrunning(ext), 3);
	/* the queue becomes local while they run: they give nothing back */
	sched_queue_set_external(ext, 0);
	sched_finish(s, &j[2].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 1);
	sched_requeue(s, &j[3].node, 0, 0);
	ck_assert_int_eq(p.slots_used, 1);
	/* now local: j[3] (requeued) needs the slot like any other */
	ck_assert_ptr_null(sched_next_ext(s, 0, 1));
	sched_finish(s, &j[0].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[1].node);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &j[1].node, 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[3].node);
	ck_assert_int_eq(p.slots_used, 1);
	/* adoption: running at once, in its queue and its throttled array */
	sched_queue_set_external(ext, 1);
	sched_queue_set(s, ext, 4, -1);	/* j[3], j[4] run in it */
	a = sched_array_get(s, 100, 1, 1);
	sched_node_init(&j[10].node, 101, 0, 0, ext, a);
	ck_assert_int_eq(sched_adopt(s, &j[10].node), 0);
	sched_node_init(&j[11].node, 102, 0, 0, ext, a);
	ck_assert_int_eq(sched_add(s, &j[11].node, 0), 0);
	ck_assert_uint_eq(sched_array_nrunning(a), 1);
	/* the throttle (1) holds the second task back; j[5] may start
	 * (limit 4: j[3], j[4], j[10] running) */
	n = sched_next_ext(s, 0, 1);
	ck_assert_ptr_eq(n, &j[5].node);
	ck_assert_ptr_null(sched_next_ext(s, 0, 1));
	sched_finish(s, &j[10].node, 1, 0);
	sched_finish(s, &j[4].node, 1, 0);
	ck_assert_ptr_eq(sched_next_ext(s, 0, 1), &j[11].node);
	ck_assert_int_eq(p.slots_used, 1);
	sched_finish(s, &j[11].node, 1, 0);
	sched_finish(s, &j[5].node, 1, 0);
	sched_finish(s, &j[3].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_uint_eq(sched_nrunning(s), 0);
	sched_free(s);
	free(j);
}
END_TEST

/* A head waiting for a gpu lets another queue's cpu-only head start on
 * the slots it does not need, but not a job that wants the gpu. */
START_TEST(test_reservation_across_queues)
{
	static struct sched_res_pool p;
	struct tjob j[4];
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *qa = sched_queue_get(s, "a", 1);
	struct sched_queue *qb = sched_queue_get(s, "b", 1);
	struct sched_queue *qc = sched_queue_get(s, "c", 1);
	struct sched_node *n;

	memset(j, 0, sizeof j);
	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=1", err, sizeof err), 0);
	sched_res_attach(s, &p);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[0].req, err,
	    sizeof err), 0);
	sched_node_init(&j[0].node, 1, 0, 0, qa, NULL);
	tjob_res(&j[0]);
	ck_assert_int_eq(sched_add(s, &j[0].node, 0), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	/* j1 (queue a, best rank) waits for the gpu */
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[1].req, err,
	    sizeof err), 0);
	sched_node_init(&j[1].node, 2, 5, 0, qa, NULL);
	tjob_res(&j[1]);
	ck_assert_int_eq(sched_add(s, &j[1].node, 0), 0);
	/* j2 in queue b wants the gpu too: held back */
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[2].req, err,
	    sizeof err), 0);
	sched_node_init(&j[2].node, 3, 0, 0, qb, NULL);
	tjob_res(&j[2]);
	ck_assert_int_eq(sched_add(s, &j[2].node, 0), 0);
	/* j3 in queue c: 3 slots free, j1 and j2 reserve one each; 2 slots
	 * do not fit, 1 does */
	ck_assert_int_eq(sched_res_req_parse(&p, 2, NULL, &j[3].req, err,
	    sizeof err), 0);
	sched_node_init(&j[3].node, 4, 0, 0, qc, NULL);
	tjob_res(&j[3]);
	ck_assert_int_eq(sched_add(s, &j[3].node, 0), 0);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &j[3].node, 0, 0);
	/* DONE, its side record kept for its request: released before the
	 * node is set up again */
	ck_assert_ptr_eq(sched_node_res(&j[3].node), &j[3].req);
	sched_node_release(&j[3].node);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, NULL, &j[3].req, err,
	    sizeof err), 0);
	sched_node_init(&j[3].node, 4, 0, 0, qc, NULL);
	tjob_res(&j[3]);
	ck_assert_int_eq(sched_add(s, &j[3].node, 0), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[3].node);
	ck_assert_ptr_null(sched_next(s, 0));
	/* the gpu comes back: j1 (the better rank) gets it, not j2 */
	sched_finish(s, &j[0].node, 1, 0);
	n = sched_next(s, 0);
	ck_assert_ptr_eq(n, &j[1].node);
	ck_assert_uint_eq(j[1].req.given[0], 1);
	ck_assert_ptr_null(sched_next(s, 0));
	/* a retry gives it back while it waits */
	sched_requeue(s, &j[1].node, 1000, 0);
	ck_assert_uint_eq(p.res[0].busy, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[2].node);
	sched_finish(s, &j[2].node, 1, 0);
	sched_finish(s, &j[3].node, 1, 0);
	ck_assert_ptr_eq(sched_next(s, 2000), &j[1].node);
	sched_finish(s, &j[1].node, 0, 2000);
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_uint_eq(p.res[0].busy, 0);
	sched_free(s);
	tjob_release(j, 4);
}
END_TEST

/* Tasks of a throttled array: the throttle and the resources combine. */
START_TEST(test_array_throttle)
{
	static struct sched_res_pool p;
	struct tjob j[4], other;
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q = sched_queue_get(s, "default", 1);
	struct sched_array *a = sched_array_get(s, 100, 2, 1);
	struct sched_node *n;
	int i;

	memset(j, 0, sizeof j);
	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=a,b,c", err, sizeof err),
	    0);
	sched_res_attach(s, &p);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=2", &j[i].req,
		    err, sizeof err), 0);
		sched_node_init(&j[i].node, 101 + i, 0, 0, q, a);
		tjob_res(&j[i]);
		ck_assert_int_eq(sched_add(s, &j[i].node, 0), 0);
	}
	/* throttle 2, but 3 gpus: one task at a time */
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	ck_assert_uint_eq(j[0].req.given[0], 0x3);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &j[0].node, 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[1].node);
	ck_assert_uint_eq(j[1].req.given[0], 0x3);
	/* more gpus than the pool has: never starts and reserves nothing
	 * (another queue's job takes all 3), but at its queue's head it
	 * holds back the tasks behind it until the caller holds it */
	sched_finish(s, &j[1].node, 1, 0);
	j[2].req.n[0] = 4;
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=3", &other.req, err,
	    sizeof err), 0);
	sched_node_init(&other.node, 200, 0, 0, sched_queue_get(s, "o", 1),
	    NULL);
	tjob_res(&other);
	ck_assert_int_eq(sched_add(s, &other.node, 0), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &other.node);
	sched_finish(s, &other.node, 1, 0);
	ck_assert_int_eq(sched_edit_hold(s, &j[2].node), 0);
	n = sched_next(s, 0);
	ck_assert_ptr_eq(n, &j[3].node);
	sched_finish(s, &j[3].node, 1, 0);
	sched_finish(s, &j[2].node, 0, 0);
	ck_assert_int_eq(p.slots_used, 0);
	sched_free(s);
	tjob_release(j, 4);
	tjob_release(&other, 1);
}
END_TEST

/* ---- edits of a queued job's request ---- */

/* sched_res_req_edit keeps what is not given, and checks as a parse. */
START_TEST(test_req_edit)
{
	static struct sched_res_pool p;
	struct sched_res_req old, r;

	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=4", err, sizeof err), 0);
	ck_assert_int_eq(sched_res_pool_add(&p, "license=2", err, sizeof err),
	    0);
	ck_assert_int_eq(sched_res_req_parse(&p, 2, "gpu=3,license=1", &old,
	    err, sizeof err), 0);
	/* slots only: the resources stay */
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 3, 0, NULL, &r, err,
	    sizeof err), 0);
	ck_assert_int_eq(r.slots, 3);
	ck_assert_uint_eq(r.n[0], 3);
	ck_assert_uint_eq(r.n[1], 1);
	/* res only: the slots stay, the resources are replaced */
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 0, 1, "license=2", &r,
	    err, sizeof err), 0);
	ck_assert_int_eq(r.slots, 2);
	ck_assert_uint_eq(r.n[0], 0);
	ck_assert_uint_eq(r.n[1], 2);
	/* no resources */
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 0, 1, NULL, &r, err,
	    sizeof err), 0);
	ck_assert_int_eq(r.slots, 2);
	ck_assert_uint_eq(r.n[0] + r.n[1], 0);
	/* from one slot, none (old NULL) */
	ck_assert_int_eq(sched_res_req_edit(&p, NULL, 0, 1, "gpu=1", &r, err,
	    sizeof err), 0);
	ck_assert_int_eq(r.slots, 1);
	ck_assert_uint_eq(r.n[0], 1);
	/* the refusals, with a submit's messages */
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 5, 0, NULL, &r, err,
	    sizeof err), -EINVAL);
	ck_assert_str_eq(err, "5 slots asked, but jobqd has 4 worker slots");
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 0, 1, "tpu=1", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_str_eq(err, "unknown resource \"tpu\"");
	ck_assert_int_eq(sched_res_req_edit(&p, &old, 0, 1, "gpu=5", &r, err,
	    sizeof err), -EINVAL);
	ck_assert_str_eq(err, "resource \"gpu\": 5 asked, but jobqd has 4");
}
END_TEST

/* A 2-slot head waiting (and holding back the job behind it) starts at
 * once when edited to 1 slot; an edit of a running job, or one asking
 * more than the pool, is refused and changes nothing; nothing leaks. */
START_TEST(test_edit_waiting_head)
{
	static struct sched_res_pool p;
	struct tjob j[3];
	struct sched_res_req big, one, over;
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q = sched_queue_get(s, "default", 1);
	int i;

	memset(j, 0, sizeof j);
	sched_res_pool_init(&p, 2);
	sched_res_attach(s, &p);
	ck_assert_int_eq(sched_res_req_parse(&p, 2, NULL, &j[1].req, err,
	    sizeof err), 0);
	for (i = 0; i < 3; i++) {
		sched_node_init(&j[i].node, i + 1, 0, 0, q, NULL);
		if (i == 1)
			tjob_res(&j[i]);
		ck_assert_int_eq(sched_add(s, &j[i].node, 0), 0);
	}
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	/* job 2 asks 2 of the 2 slots, 1 is taken: it waits, job 3 too */
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_int_eq(p.slots_used, 1);
	/* over the pool: refused, job 2 still asks 2 */
	memset(&over, 0, sizeof over);
	over.slots = 3;
	ck_assert_int_eq(sched_edit_res(s, &j[1].node, &over), -EINVAL);
	ck_assert_ptr_eq(sched_node_res(&j[1].node), &j[1].req);
	ck_assert_ptr_null(sched_next(s, 0));
	/* 1 slot: it starts, and holds exactly 1 */
	ck_assert_int_eq(sched_res_req_edit(&p, sched_node_res(&j[1].node), 1,
	    0, NULL, &one, err, sizeof err), 0);
	ck_assert_int_eq(sched_edit_res(s, &j[1].node, &one), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[1].node);
	ck_assert_int_eq(p.slots_used, 2);
	ck_assert_int_eq(one.holding, 1);
	ck_assert_ptr_null(sched_next(s, 0));
	/* running: refused */
	ck_assert_int_eq(sched_res_req_parse(&p, 2, NULL, &big, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_edit_res(s, &j[1].node, &big), -EINVAL);
	ck_assert_ptr_eq(sched_node_res(&j[1].node), &one);
	sched_finish(s, &j[0].node, 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[2].node);
	sched_finish(s, &j[1].node, 1, 0);
	sched_finish(s, &j[2].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_int_eq(one.holding, 0);
	sched_free(s);
	tjob_release(j, 3);
}
END_TEST

/* A held job edited from gpu=1 to gpu=2 gets two instances once released;
 * a queued head edited off the gpu stops reserving it for another queue's
 * job; back to NULL (one slot) works too. */
START_TEST(test_edit_held_and_reserve)
{
	static struct sched_res_pool p;
	struct tjob j[4];
	struct sched_res_req two, none;
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q0 = sched_queue_get(s, "q0", 1);
	struct sched_queue *q1 = sched_queue_get(s, "q1", 1);
	struct sched_node *n;

	memset(j, 0, sizeof j);
	sched_res_pool_init(&p, 4);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=2", err, sizeof err), 0);
	sched_res_attach(s, &p);
	/* job 1: held, gpu=1 */
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[0].req, err,
	    sizeof err), 0);
	sched_node_init(&j[0].node, 1, 0, 0, q0, NULL);
	tjob_res(&j[0]);
	j[0].node.held = 1;
	ck_assert_int_eq(sched_add(s, &j[0].node, 0), 0);
	ck_assert_ptr_null(sched_next(s, 0));
	ck_assert_int_eq(sched_res_req_edit(&p, sched_node_res(&j[0].node), 0,
	    1, "gpu=2", &two, err, sizeof err), 0);
	ck_assert_int_eq(sched_edit_res(s, &j[0].node, &two), 0);
	ck_assert_int_eq(sched_edit_release(s, &j[0].node, 0), 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	ck_assert_uint_eq(two.given[0], 0x3);
	ck_assert_int_eq(p.slots_used, 1);
	/* job 2 (q0, priority 5) asks gpu=1: waits and reserves it; job 3
	 * (q1) asks gpu=1 too: behind it, it may not take what job 2
	 * waits for */
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[1].req, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &j[2].req, err,
	    sizeof err), 0);
	sched_node_init(&j[1].node, 2, 5, 0, q0, NULL);
	tjob_res(&j[1]);
	sched_node_init(&j[2].node, 3, 0, 0, q1, NULL);
	tjob_res(&j[2]);
	ck_assert_int_eq(sched_add(s, &j[1].node, 0), 0);
	ck_assert_int_eq(sched_add(s, &j[2].node, 0), 0);
	ck_assert_ptr_null(sched_next(s, 0));
	/* job 2 edited to no resources (one slot: NULL): it starts */
	ck_assert_int_eq(sched_res_req_edit(&p, sched_node_res(&j[1].node), 0,
	    1, NULL, &none, err, sizeof err), 0);
	ck_assert_int_eq(none.slots, 1);
	ck_assert_int_eq(sched_edit_res(s, &j[1].node, NULL), 0);
	ck_assert_ptr_null(j[1].node.link);	/* no edge, no request */
	ck_assert_ptr_eq(sched_next(s, 0), &j[1].node);
	ck_assert_int_eq(p.slots_used, 2);
	ck_assert_ptr_null(sched_next(s, 0));	/* the gpus are job 1's */
	sched_finish(s, &j[0].node, 1, 0);
	n = sched_next(s, 0);
	ck_assert_ptr_eq(n, &j[2].node);
	ck_assert_uint_eq(j[2].req.given[0], 0x1);
	sched_finish(s, &j[1].node, 1, 0);
	sched_finish(s, &j[2].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 0);
	ck_assert_uint_eq(p.res[0].busy, 0);
	sched_free(s);
	tjob_release(j, 4);
}
END_TEST

/* ---- randomized comparison against a brute-force model ---- */

#define RJOBS 120
#define RQUEUES 2

struct mjob {
	int queue, prio, slots;
	unsigned n[SCHED_RES_MAX];
	int state;		/* 0 not yet added, 1 ready, 2 running, 3 done */
};

struct model {
	int slots_total;
	int parallel[RQUEUES];	/* 0: no limit */
	size_t nres;
	size_t ninst[SCHED_RES_MAX];
	int owner[SCHED_RES_MAX][SCHED_RES_MAX_INST];	/* job + 1; 0 free */
	struct mjob j[RJOBS];
};

/* Does job i rank before job k (priority, then FIFO)? */
static int
model_before(const struct model *m, int i, int k)
{
	if (m->j[i].prio != m->j[k].prio)
		return (m->j[i].prio > m->j[k].prio);
	return (i < k);
}

/* The model's choice: queue heads in rank order, the first that fits in
 * free minus reserved; -1 if none. */
static int
model_next(const struct model *m)
{
	int head[RQUEUES], used = 0, resv_slots = 0, q, i, best, done[RQUEUES];
	unsigned resv[SCHED_RES_MAX], busy;
	size_t k, x;

	memset(resv, 0, sizeof resv);
	for (q = 0; q < RQUEUES; q++) {
		head[q] = -1;
		done[q] = 0;
		for (i = 0, k = 0; i < RJOBS; i++)
			k += m->j[i].state == 2 && m->j[i].queue == q;
		if (m->parallel[q] > 0 && (int)k >= m->parallel[q])
			continue;	/* at its limit: no head */
		for (i = 0; i < RJOBS; i++)
			if (m->j[i].state == 1 && m->j[i].queue == q &&
			    (head[q] < 0 || model_before(m, i, head[q])))
				head[q] = i;
	}
	for (i = 0; i < RJOBS; i++)
		if (m->j[i].state == 2)
			used += m->j[i].slots;
	for (;;) {
		best = -1;
		for (q = 0; q < RQUEUES; q++)
			if (head[q] >= 0 && !done[q] && (best < 0 ||
			    model_before(m, head[q], head[best])))
				best = q;
		if (best < 0)
			return (-1);
		done[best] = 1;
		i = head[best];
		int fits = used + resv_slots + m->j[i].slots <= m->slots_total;
		for (k = 0; k < m->nres && fits; k++) {
			for (x = 0, busy = 0; x < m->ninst[k]; x++)
				busy += m->owner[k][x] != 0;
			fits = m->j[i].n[k] == 0 ||
			    m->j[i].n[k] + busy + resv[k] <= m->ninst[k];
		}
		if (fits)
			return (i);
		resv_slots += m->j[i].slots;
		for (k = 0; k < m->nres; k++)
			resv[k] += m->j[i].n[k];
	}
}

static void
model_assign(struct model *m, int i)
{
	size_t k, x;
	unsigned want;

	for (k = 0; k < m->nres; k++)
		for (x = 0, want = m->j[i].n[k]; x < m->ninst[k] && want > 0;
		    x++)
			if (m->owner[k][x] == 0) {
				m->owner[k][x] = i + 1;
				want--;
			}
	m->j[i].state = 2;
}

static void
model_release(struct model *m, int i)
{
	size_t k, x;

	for (k = 0; k < m->nres; k++)
		for (x = 0; x < m->ninst[k]; x++)
			if (m->owner[k][x] == i + 1)
				m->owner[k][x] = 0;
}

/* The scheduler's assignment of job i equals the model's, and the pool
 * agrees with the model's owners. */
static void
model_compare(const struct model *m, const struct sched_res_pool *p,
    const struct tjob *t, int i)
{
	size_t k, x;
	uint64_t mask;
	int used = 0, r;

	for (k = 0; k < m->nres; k++) {
		mask = 0;
		for (x = 0; x < m->ninst[k]; x++)
			if (m->owner[k][x] == i + 1)
				mask |= 1ULL << x;
		CHECK(t[i].req.given[k] == mask, "job %d resource %zu: given "
		    "%#llx, model %#llx", i, k,
		    (unsigned long long)t[i].req.given[k],
		    (unsigned long long)mask);
		mask = 0;
		for (x = 0; x < m->ninst[k]; x++)
			if (m->owner[k][x] != 0)
				mask |= 1ULL << x;
		CHECK(p->res[k].busy == mask, "resource %zu busy %#llx, "
		    "model %#llx", k, (unsigned long long)p->res[k].busy,
		    (unsigned long long)mask);
	}
	for (r = 0; r < RJOBS; r++)
		if (m->j[r].state == 2)
			used += m->j[r].slots;
	CHECK(p->slots_used == used && used <= p->slots_total,
	    "slots used %d, model %d, total %d", p->slots_used, used,
	    p->slots_total);
}

/* An edit of queued job i's request, random (sometimes over the pool):
 * sched_res_req_edit against the whole request written out and parsed,
 * then sched_edit_res, the model taking the new request too.  An edit of
 * a running job (if any) is refused and changes nothing. */
static void
model_edit(struct model *m, const struct sched_res_pool *p, struct sched *s,
    struct tjob *t, int i)
{
	char res[160], full[160], err2[256];
	struct sched_res_req want;
	int slots, set_res, rv, wrv, x;
	size_t r, len = 0, flen = 0;

	slots = rand() % 3 == 0 ? 0 : 1 + rand() % (m->slots_total + 1);
	set_res = rand() % 2;
	res[0] = full[0] = '\0';
	for (r = 0; set_res && r < m->nres; r++)
		if (rand() % 2)
			len += (size_t)snprintf(res + len, sizeof res - len,
			    "%sr%zu=%u", len > 0 ? "," : "", r,
			    (unsigned)(1 + (size_t)rand() % (m->ninst[r] + 1)));
	if (set_res)
		snprintf(full, sizeof full, "%s", res);
	else
		for (r = 0; r < m->nres; r++)
			if (m->j[i].n[r] > 0)
				flen += (size_t)snprintf(full + flen,
				    sizeof full - flen, "%sr%zu=%u", flen > 0 ?
				    "," : "", r, m->j[i].n[r]);
	wrv = sched_res_req_parse(p, slots != 0 ? slots : m->j[i].slots,
	    full, &want, err2, sizeof err2);
	rv = sched_res_req_edit(p, &t[i].req, slots, set_res, res[0] != '\0' ?
	    res : NULL, &t[i].alt, err, sizeof err);
	CHECK(rv == wrv && (rv == 0 || strcmp(err, err2) == 0), "edit of %d "
	    "(slots %d, res \"%s\"): %d \"%s\", model %d \"%s\"", i + 1, slots,
	    res, rv, err, wrv, err2);
	if (rv != 0)
		return;
	CHECK(t[i].alt.slots == want.slots && memcmp(t[i].alt.n, want.n,
	    sizeof want.n) == 0, "edit of %d: not the request written out",
	    i + 1);
	ck_assert_int_eq(sched_edit_res(s, &t[i].node, &t[i].alt), 0);
	t[i].req = t[i].alt;
	ck_assert_int_eq(sched_edit_res(s, &t[i].node, &t[i].req), 0);
	m->j[i].slots = t[i].req.slots;
	memcpy(m->j[i].n, t[i].req.n, sizeof m->j[i].n);
	for (x = 0; x < RJOBS; x++)
		if (m->j[x].state == 2) {
			CHECK(sched_edit_res(s, &t[x].node, &t[x].alt) ==
			    -EINVAL && sched_node_res(&t[x].node) == &t[x].req,
			    "edit of running job %d", x + 1);
			break;
		}
}

START_TEST(test_random_vs_model)
{
	static struct sched_res_pool p;
	static struct model m;
	struct tjob *t = calloc(RJOBS, sizeof(*t));
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q[RQUEUES];
	struct sched_node *n;
	char spec[64];
	int added = 0, i, want, steps, k, running;
	size_t r;

	srand(1000 + (unsigned)_i);
	memset(&m, 0, sizeof m);
	q[0] = sched_queue_get(s, "q0", 1);
	q[1] = sched_queue_get(s, "q1", 1);
	for (i = 0; i < RQUEUES; i++) {
		m.parallel[i] = rand() % 3;
		sched_queue_set(s, q[i], m.parallel[i], 0);
	}
	m.slots_total = 1 + rand() % 6;
	sched_res_pool_init(&p, m.slots_total);
	m.nres = (size_t)(rand() % 4);
	for (r = 0; r < m.nres; r++) {
		m.ninst[r] = 1 + (size_t)(rand() % (r == 0 ? 64 : 5));
		snprintf(spec, sizeof spec, "r%zu=%zu", r, m.ninst[r]);
		ck_assert_int_eq(sched_res_pool_add(&p, spec, err, sizeof err),
		    0);
	}
	sched_res_attach(s, &p);
	for (i = 0; i < RJOBS; i++) {
		m.j[i].queue = rand() % RQUEUES;
		m.j[i].prio = rand() % 3;
		m.j[i].slots = 1 + rand() % m.slots_total;
		for (r = 0; r < m.nres; r++)
			if (rand() % 2)
				m.j[i].n[r] = (unsigned)(1 + (size_t)rand() %
				    m.ninst[r]);
		t[i].req.slots = m.j[i].slots;
		memcpy(t[i].req.n, m.j[i].n, sizeof t[i].req.n);
	}
	for (steps = 0; steps < 20000; steps++) {
		want = rand() % 5;
		if (want == 4) {
			/* an edit of a queued job's request */
			for (i = 0, running = 0; i < RJOBS; i++)
				running += m.j[i].state == 1;
			if (running == 0)
				continue;
			k = rand() % running;
			for (i = 0; i < RJOBS; i++)
				if (m.j[i].state == 1 && k-- == 0)
					break;
			model_edit(&m, &p, s, t, i);
		} else if (want == 0 && added < RJOBS) {
			i = added++;
			sched_node_init(&t[i].node, i + 1, m.j[i].prio, 0,
			    q[m.j[i].queue], NULL);
			tjob_res(&t[i]);
			ck_assert_int_eq(sched_add(s, &t[i].node, 0), 0);
			m.j[i].state = 1;
		} else if (want == 1) {
			k = model_next(&m);
			n = sched_next(s, 0);
			if (k < 0) {
				CHECK(n == NULL, "step %d: started job %lld, "
				    "model none", steps, (long long)(n != NULL ?
				    n->id : 0));
				continue;
			}
			CHECK(n != NULL && n->id == k + 1, "step %d: started "
			    "%lld, model %d", steps, (long long)(n != NULL ?
			    n->id : 0), k + 1);
			model_assign(&m, k);
			model_compare(&m, &p, t, k);
		} else {
			/* a running job ends, or is retried (want 3) */
			for (i = 0, running = 0; i < RJOBS; i++)
				running += m.j[i].state == 2;
			if (running == 0)
				continue;
			k = rand() % running;
			for (i = 0; i < RJOBS; i++)
				if (m.j[i].state == 2 && k-- == 0)
					break;
			model_release(&m, i);
			if (want == 3) {
				sched_requeue(s, &t[i].node, 0, 0);
				m.j[i].state = 1;
			} else {
				sched_finish(s, &t[i].node, 1, 0);
				m.j[i].state = 3;
			}
			CHECK(t[i].req.holding == 0, "released");
			model_compare(&m, &p, t, i);
		}
		if (added == RJOBS && sched_nqueued(s) == 0 &&
		    sched_nrunning(s) == 0)
			break;
	}
	for (i = 0; i < RJOBS; i++)
		CHECK(m.j[i].state == 3, "job %d never ended (state %d): "
		    "starved", i + 1, m.j[i].state);
	ck_assert_int_eq(p.slots_used, 0);
	sched_free(s);
	tjob_release(t, RJOBS);
	free(t);
}
END_TEST

/* ---- running ahead: slots_ahead ---- */

/* sched_res_fits with slots_ahead: a one-slot request asking no named
 * instance may go that many slots beyond slots_total, nothing else. */
START_TEST(test_slots_ahead_fits)
{
	static struct sched_res_pool p;
	struct sched_res_req run[2], one, one2, two, g;

	sched_res_pool_init(&p, 2);
	ck_assert_int_eq(sched_res_pool_add(&p, "gpu=2", err, sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, NULL, &run[0], err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, NULL, &run[1], err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, NULL, &one, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, NULL, &one2, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 2, NULL, &two, err,
	    sizeof err), 0);
	ck_assert_int_eq(sched_res_req_parse(&p, 1, "gpu=1", &g, err,
	    sizeof err), 0);
	ck_assert_int_eq(p.slots_ahead, 0);	/* none unless set */
	sched_res_assign(&p, &run[0]);
	sched_res_assign(&p, &run[1]);
	ck_assert_int_eq(p.slots_used, 2);

	/* full: a plain job fits only with slots_ahead >= 1 */
	ck_assert(!sched_res_fits(&p, &one));
	p.slots_ahead = 1;
	ck_assert(sched_res_fits(&p, &one));
	sched_res_assign(&p, &one);		/* used 3 */
	ck_assert_int_eq(p.slots_used, 3);
	ck_assert(!sched_res_fits(&p, &one2));	/* not 4 */
	p.slots_ahead = 2;
	ck_assert(sched_res_fits(&p, &one2));
	p.slots_ahead = -1;			/* never below the total */
	ck_assert(!sched_res_fits(&p, &one2));
	p.slots_ahead = 1;
	sched_res_release(&p, &one);		/* used 2 */

	/* a request with a named resource never uses it, free gpus or not */
	ck_assert_uint_eq(p.res[0].busy, 0);
	ck_assert(!sched_res_fits(&p, &g));
	p.slots_ahead = 5;
	ck_assert(!sched_res_fits(&p, &g));
	/* a 2-slot request neither */
	ck_assert(!sched_res_fits(&p, &two));
	sched_res_release(&p, &run[1]);		/* used 1 */
	ck_assert(!sched_res_fits(&p, &two));	/* 1 + 2 > 2 */
	ck_assert(sched_res_fits(&p, &g));	/* control: a free slot */
	sched_res_release(&p, &run[0]);		/* used 0 */
	ck_assert(sched_res_fits(&p, &two));
	sched_res_assign(&p, &run[0]);
	sched_res_assign(&p, &run[1]);		/* used 2 again */

	/* what waiting nodes reserve counts against it */
	p.slots_ahead = 1;
	sched_res_resv_add(&p, &run[0]);	/* one slot reserved */
	ck_assert_int_eq(p.resv_slots, 1);
	ck_assert(!sched_res_fits(&p, &one));	/* 2 + 1 + 1 > 3 */
	p.slots_ahead = 2;
	ck_assert(sched_res_fits(&p, &one));	/* 2 + 1 + 1 <= 4 */
	sched_res_resv_add(&p, &two);		/* 3 reserved */
	ck_assert(!sched_res_fits(&p, &one));
	p.slots_ahead = 4;
	ck_assert(sched_res_fits(&p, &one));
	sched_res_resv_clear(&p);
	p.slots_ahead = 1;
	ck_assert(sched_res_fits(&p, &one));
	p.slots_ahead = 0;
	ck_assert(!sched_res_fits(&p, &one));
	sched_res_release(&p, &run[0]);
	sched_res_release(&p, &run[1]);
	ck_assert_int_eq(p.slots_used, 0);
}
END_TEST

/* Through sched_next (as dispatch_dispatch sets slots_ahead around its
 * claims): nodes without a request are one plain slot; a better-ranked
 * 2-slot node waiting reserves its slots against the ahead ones. */
START_TEST(test_slots_ahead_sched)
{
	static struct sched_res_pool p;
	struct tjob j[6];
	struct sched *s = sched_new(no_cancel, NULL);
	struct sched_queue *q = sched_queue_get(s, "default", 1);
	struct sched_queue *qb = sched_queue_get(s, "big", 1);
	int i;

	memset(j, 0, sizeof j);
	sched_res_pool_init(&p, 2);
	sched_res_attach(s, &p);
	for (i = 0; i < 4; i++) {
		sched_node_init(&j[i].node, i + 1, 0, 0, q, NULL);
		ck_assert_int_eq(sched_add(s, &j[i].node, 0), 0);
	}
	ck_assert_ptr_eq(sched_next(s, 0), &j[0].node);
	ck_assert_ptr_eq(sched_next(s, 0), &j[1].node);
	ck_assert_ptr_null(sched_next(s, 0));
	p.slots_ahead = 1;
	ck_assert_ptr_eq(sched_next(s, 0), &j[2].node);
	ck_assert_int_eq(p.slots_used, 3);
	ck_assert_ptr_null(sched_next(s, 0));	/* not a 4th */
	p.slots_ahead = 0;
	ck_assert_ptr_null(sched_next(s, 0));
	/* one ends: 2 used, still full without slots_ahead */
	sched_finish(s, &j[0].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 2);
	ck_assert_ptr_null(sched_next(s, 0));
	/* a 2-slot node of better rank in another queue waits (2 + 2 > 2)
	 * and reserves two: j[3] may not go ahead with one slot ahead, only
	 * with three */
	ck_assert_int_eq(sched_res_req_parse(&p, 2, NULL, &j[4].req, err,
	    sizeof err), 0);
	sched_node_init(&j[4].node, 5, 10, 0, qb, NULL);
	tjob_res(&j[4]);
	ck_assert_int_eq(sched_add(s, &j[4].node, 0), 0);
	p.slots_ahead = 1;
	ck_assert_ptr_null(sched_next(s, 0));
	p.slots_ahead = 3;
	ck_assert_ptr_eq(sched_next(s, 0), &j[3].node);
	ck_assert_int_eq(p.slots_used, 3);
	p.slots_ahead = 0;
	/* the 2-slot node starts only once every slot is free, the ones
	 * taken ahead included */
	sched_finish(s, &j[1].node, 1, 0);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &j[2].node, 1, 0);
	ck_assert_ptr_null(sched_next(s, 0));
	sched_finish(s, &j[3].node, 1, 0);
	ck_assert_ptr_eq(sched_next(s, 0), &j[4].node);
	ck_assert_int_eq(p.slots_used, 2);
	sched_finish(s, &j[4].node, 1, 0);
	ck_assert_int_eq(p.slots_used, 0);
	sched_free(s);
	tjob_release(j, 6);
}
END_TEST

static Suite *
sched_res_suite(void)
{
	Suite *s = suite_create("sched_res");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pool_specs);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_assign_release_strings);
	tcase_add_test(tc, test_no_starvation);
	tcase_add_test(tc, test_external_queue);
	tcase_add_test(tc, test_reservation_across_queues);
	tcase_add_test(tc, test_array_throttle);
	tcase_add_test(tc, test_req_edit);
	tcase_add_test(tc, test_edit_waiting_head);
	tcase_add_test(tc, test_edit_held_and_reserve);
	tcase_add_test(tc, test_slots_ahead_fits);
	tcase_add_test(tc, test_slots_ahead_sched);
	tcase_add_loop_test(tc, test_random_vs_model, 0, 40);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(sched_res_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
