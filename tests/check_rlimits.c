/*
 * check_rlimits.c - unit tests for daemon/rlimits.c: a job's resource limits
 * from what it asked for and the configuration's defaults and bounds,
 * with conf_lim arrays built by hand (and once through conf_rlimits over a
 * hand-built struct conf), and a randomized comparison with a model.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "jobq.h"
#include "proto.h"
#include "rlimits.h"

static void
lim_unset(struct conf_lim c[CONF_RL_COUNT])
{
	int i;

	for (i = 0; i < CONF_RL_COUNT; i++)
		c[i].def = c[i].max = CONF_UNSET;
}

static int
resolve(const struct conf_lim c[CONF_RL_COUNT], const jobq_limits *asked,
    int is_root, jobq_limits *out, char *err)
{
	return rlimits_resolve(c, asked, is_root, out, err, 256);
}

/* Nothing configured: what is asked is what applies, nothing else;
 * non-root may not lower its nice value, root may. */
START_TEST(test_empty_conf)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	conf_rlimits(conf_empty(), 1000, "default", c);
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, 0);

	a.set = JOBQ_LIMIT_ALL;
	a.mem = PROTO_MAX_LIMIT_BYTES;
	a.cpu_time = 1;
	a.nofile = 3;
	a.nproc = 7;
	a.core = 0;
	a.nice = 19;
	a.cpus = PROTO_MAX_CPUS;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_int_eq(memcmp(&a, &o, sizeof a), 0);

	a.nice = 0;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nice == 0);
	a.nice = -1;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_EPERM);
	ck_assert_str_eq(err, "nice: -1 is below 0: only root may ask for a "
	    "negative nice value");
	ck_assert_uint_eq(o.set, 0);
	a.nice = -20;
	ck_assert_int_eq(resolve(c, &a, 1, &o, err), 0);
	ck_assert(o.nice == -20);
}
END_TEST

/* A maximum: above it refused (ETOOBIG, message with the limit, the value
 * and the maximum), at it accepted; not asked: the default, else the
 * maximum; a default above the maximum is cut to it. */
START_TEST(test_maxima_defaults)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	lim_unset(c);
	c[CONF_RL_MEM].max = 1 << 30;
	c[CONF_RL_CPU].def = 60;
	c[CONF_RL_CPU].max = 3600;
	c[CONF_RL_NOFILE].def = 1024;
	c[CONF_RL_CORE].def = 0;
	c[CONF_RL_NPROC].def = 500;
	c[CONF_RL_NPROC].max = 100;
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, JOBQ_LIMIT_MEM | JOBQ_LIMIT_CPU |
	    JOBQ_LIMIT_NOFILE | JOBQ_LIMIT_NPROC | JOBQ_LIMIT_CORE);
	ck_assert(o.mem == 1 << 30);
	ck_assert(o.cpu_time == 60);
	ck_assert(o.nofile == 1024);
	ck_assert(o.nproc == 100);
	ck_assert(o.core == 0);

	a.set = JOBQ_LIMIT_MEM;
	a.mem = (1 << 30) + 1;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_ETOOBIG);
	ck_assert_str_eq(err, "mem: 1073741825 bytes is more than the maximum "
	    "of 1073741824 bytes (mem-max)");
	ck_assert_uint_eq(o.set, 0);
	/* root too: a maximum is the configuration's word */
	ck_assert_int_eq(resolve(c, &a, 1, &o, err), JOBQ_ETOOBIG);
	a.mem = 1 << 30;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == 1 << 30);
	a.mem = 4096;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == 4096);

	a.set = JOBQ_LIMIT_CPU;
	a.cpu_time = 3601;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_ETOOBIG);
	ck_assert_str_eq(err, "cpu-time: 3601 s is more than the maximum of "
	    "3600 s (cpu-time-max)");
	a.cpu_time = 3000;	/* above the default, within the maximum */
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpu_time == 3000 && o.mem == 1 << 30);

	a.set = JOBQ_LIMIT_NPROC;
	a.nproc = 101;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_ETOOBIG);
	ck_assert_str_eq(err, "nproc: 101 is more than the maximum of 100 "
	    "(nproc-max)");
	/* no maximum: anything within the protocol */
	a.set = JOBQ_LIMIT_NOFILE | JOBQ_LIMIT_CORE;
	a.nofile = PROTO_MAX_NOFILE;
	a.core = PROTO_MAX_LIMIT_BYTES;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nofile == PROTO_MAX_NOFILE);
	ck_assert(o.core == PROTO_MAX_LIMIT_BYTES);
}
END_TEST

/* cpus (milli-CPUs) like mem: a default, a maximum (cpus-max), the
 * message in CPUs with their fraction. */
START_TEST(test_cpus)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	lim_unset(c);
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, 0);
	c[CONF_RL_CPUS].def = 1000;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, JOBQ_LIMIT_CPUS);
	ck_assert(o.cpus == 1000);
	c[CONF_RL_CPUS].max = 500;	/* the default is cut to it */
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpus == 500);
	c[CONF_RL_CPUS].def = CONF_UNSET;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpus == 500);

	c[CONF_RL_CPUS].max = 1500;
	a.set = JOBQ_LIMIT_CPUS;
	a.cpus = 1501;
	ck_assert_int_eq(resolve(c, &a, 1, &o, err), JOBQ_ETOOBIG);
	ck_assert_str_eq(err, "cpus: 1.501 is more than the maximum of 1.5 "
	    "(cpus-max)");
	ck_assert_uint_eq(o.set, 0);
	c[CONF_RL_CPUS].max = 2000;
	a.cpus = 2250;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_ETOOBIG);
	ck_assert_str_eq(err, "cpus: 2.25 is more than the maximum of 2 "
	    "(cpus-max)");
	a.cpus = 2000;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpus == 2000);
	a.cpus = 1;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpus == 1);
	ck_assert_uint_eq(o.set, JOBQ_LIMIT_CPUS);

	lim_unset(c);
	c[CONF_RL_CPUS].def = 0;	/* clamped into the protocol's bounds */
	c[CONF_RL_CPUS].max = INT64_MAX;
	a.set = 0;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.cpus == 1);
}
END_TEST

/* nice: the configured minimum (conf "max") binds everyone, root too; a
 * default below it is raised to it; with a minimum below 0 a user may ask
 * for a negative value down to it. */
START_TEST(test_nice)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	lim_unset(c);
	c[CONF_RL_NICE].def = 5;
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, JOBQ_LIMIT_NICE);
	ck_assert(o.nice == 5);
	a.set = JOBQ_LIMIT_NICE;
	a.nice = 0;	/* lower than the default, not negative: fine */
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nice == 0);

	c[CONF_RL_NICE].max = 10;	/* nice-min 10 */
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nice == 10);
	a.set = JOBQ_LIMIT_NICE;
	a.nice = 9;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_EPERM);
	ck_assert_str_eq(err, "nice: 9 is below the lowest nice value "
	    "allowed, 10 (nice-min)");
	ck_assert_int_eq(resolve(c, &a, 1, &o, err), JOBQ_EPERM);
	a.nice = 19;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nice == 19);

	c[CONF_RL_NICE].def = CONF_UNSET;
	c[CONF_RL_NICE].max = -5;
	a.nice = -5;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.nice == -5);
	a.nice = -6;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_EPERM);
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert_uint_eq(o.set, 0);	/* no default: jobqd's own */
}
END_TEST

/* Configured values outside the protocol's bounds are clamped into them. */
START_TEST(test_clamp)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	lim_unset(c);
	c[CONF_RL_MEM].def = INT64_MAX;
	c[CONF_RL_NOFILE].def = 0;
	c[CONF_RL_NICE].def = 40;
	c[CONF_RL_CPU].max = 0;
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == PROTO_MAX_LIMIT_BYTES);
	ck_assert(o.nofile == 3);
	ck_assert(o.nice == 19);
	ck_assert(o.cpu_time == 1);
	ck_assert(proto_limits_valid(&o));
}
END_TEST

/* Through conf_rlimits: [user] over [queue] over the global section. */
START_TEST(test_conf_sections)
{
	struct conf_queue q = { .name = "big", .user_caps = { -1, -1 },
	    .rl = CONF_LIM_UNSET_INIT };
	struct conf_user u = { .uid = 1001, .caps = { -1, -1 },
	    .rl = CONF_LIM_UNSET_INIT };
	struct conf cf;
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];

	memcpy(&cf, conf_empty(), sizeof cf);
	cf.rl[CONF_RL_MEM].def = 1 << 20;
	cf.rl[CONF_RL_MEM].max = 1 << 30;
	q.rl[CONF_RL_MEM].max = (int64_t)1 << 34;
	u.rl[CONF_RL_MEM].def = 1 << 25;
	cf.queues = &q;
	cf.nqueues = 1;
	cf.users = &u;
	cf.nusers = 1;
	memset(&a, 0, sizeof a);
	a.set = JOBQ_LIMIT_MEM;
	a.mem = (int64_t)1 << 31;

	conf_rlimits(&cf, 1000, "default", c);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), JOBQ_ETOOBIG);
	conf_rlimits(&cf, 1000, "big", c);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == (int64_t)1 << 31);
	a.set = 0;
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == 1 << 20);
	conf_rlimits(&cf, 1001, "big", c);
	ck_assert_int_eq(resolve(c, &a, 0, &o, err), 0);
	ck_assert(o.mem == 1 << 25);
}
END_TEST

/* ---- randomized: rlimits_resolve against a model ---- */

static int64_t
rnd(int64_t lo, int64_t hi)
{
	return lo + (int64_t)((double)rand() / ((double)RAND_MAX + 1) *
	    (double)(hi - lo + 1));
}

/* A configured value: unset, or near the small values tried. */
static int64_t
rnd_conf(int i)
{
	if (rand() % 3 == 0)
		return CONF_UNSET;
	return i == CONF_RL_NICE ? rnd(-22, 21) : rnd(-1, 12);
}

static int64_t
clampi(int i, int64_t v)
{
	return v < proto_limits[i].min ? proto_limits[i].min :
	    v > proto_limits[i].max ? proto_limits[i].max : v;
}

/* The model: one limit at a time, as jobqd(8) says. 0 ok (*v, *set), 1
 * too big, 2 not permitted. */
static int
model(int i, const struct conf_lim *c, int asked, int64_t av, int root,
    int *set, int64_t *v)
{
	int64_t bound = c->max == CONF_UNSET ? 0 : clampi(i, c->max);

	*set = 0;
	if (i == CONF_RL_NICE) {
		if (asked) {
			if (c->max != CONF_UNSET ? av < bound : !root && av < 0)
				return 2;
			*set = 1, *v = av;
		} else if (c->def != CONF_UNSET) {
			*set = 1;
			*v = clampi(i, c->def);
			if (c->max != CONF_UNSET && *v < bound)
				*v = bound;
		}
		return 0;
	}
	if (asked) {
		if (c->max != CONF_UNSET && av > bound)
			return 1;
		*set = 1, *v = av;
	} else if (c->def != CONF_UNSET) {
		*set = 1;
		*v = clampi(i, c->def);
		if (c->max != CONF_UNSET && *v > bound)
			*v = bound;
	} else if (c->max != CONF_UNSET)
		*set = 1, *v = bound;
	return 0;
}

START_TEST(test_random_model)
{
	struct conf_lim c[CONF_RL_COUNT];
	jobq_limits a, o;
	char err[256];
	int n, i, root, rc, want, r = 0, set;
	int64_t v;

	srand(9);
	for (n = 0; n < 100000; n++) {
		memset(&a, 0, sizeof a);
		root = rand() % 2;
		for (i = 0; i < CONF_RL_COUNT; i++) {
			c[i].def = rnd_conf(i);
			c[i].max = rnd_conf(i);
			if (rand() % 2)
				proto_limit_set(&a, i, i == CONF_RL_NICE ?
				    rnd(-20, 19) : rnd(proto_limits[i].min,
				    12));
		}
		rc = resolve(c, &a, root, &o, err);
		/* the first limit the model refuses is the one refused */
		for (i = 0; i < CONF_RL_COUNT; i++)
			if ((r = model(i, &c[i], (a.set &
			    proto_limits[i].bit) != 0, proto_limit_get(&a, i),
			    root, &set, &v)) != 0)
				break;
		if (i < CONF_RL_COUNT) {
			want = r == 1 ? JOBQ_ETOOBIG : JOBQ_EPERM;
			ck_assert_msg(rc == want, "case %d: %d, expected %d at "
			    "limit %d", n, rc, want, i);
			ck_assert_msg(strncmp(err, rlimits_conf_key(i),
			    strlen(rlimits_conf_key(i))) == 0, "%s", err);
			ck_assert_uint_eq(o.set, 0);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert(proto_limits_valid(&o));
		for (i = 0; i < CONF_RL_COUNT; i++) {
			(void)model(i, &c[i], (a.set & proto_limits[i].bit) !=
			    0, proto_limit_get(&a, i), root, &set, &v);
			ck_assert_msg(((o.set & proto_limits[i].bit) != 0) ==
			    set, "case %d: limit %d set %u", n, i, o.set);
			if (set)
				ck_assert_msg(proto_limit_get(&o, i) == v,
				    "case %d: limit %d = %lld, expected %lld",
				    n, i, (long long)proto_limit_get(&o, i),
				    (long long)v);
		}
	}
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("rlimits");
	TCase *tc = tcase_create("resolve");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_conf);
	tcase_add_test(tc, test_maxima_defaults);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_nice);
	tcase_add_test(tc, test_clamp);
	tcase_add_test(tc, test_conf_sections);
	tcase_add_test(tc, test_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
