/*
 * rlimits.c - which resource limits a submitted job gets: what it asked
 * for, checked against and completed from the configuration's defaults and
 * bounds for its user and queue (rlimits.h).  Pure: no I/O, no clock.
 *
 * Indexes: CONF_RL_* (conf.h) = the order of proto_limits[] (proto.h) =
 * the JOBQ_LIMIT_* bits (jobq.h), asserted below.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "rlimits.h"

_Static_assert(JOBQ_LIMIT_MEM == 1u << CONF_RL_MEM &&
    JOBQ_LIMIT_CPU == 1u << CONF_RL_CPU &&
    JOBQ_LIMIT_NOFILE == 1u << CONF_RL_NOFILE &&
    JOBQ_LIMIT_NPROC == 1u << CONF_RL_NPROC &&
    JOBQ_LIMIT_CORE == 1u << CONF_RL_CORE &&
    JOBQ_LIMIT_NICE == 1u << CONF_RL_NICE &&
    JOBQ_LIMIT_CPUS == 1u << CONF_RL_CPUS &&
    CONF_RL_COUNT == PROTO_NLIMITS, "limit indexes disagree");

static const struct {
	const char *key;	/* jobqd.conf's, "-max"/"-min" appended */
	const char *unit;	/* in messages: " bytes", "" */
} rlimits_names[CONF_RL_COUNT] = {
	[CONF_RL_MEM] = { "mem", " bytes" },
	[CONF_RL_CPU] = { "cpu-time", " s" },
	[CONF_RL_NOFILE] = { "nofile", "" },
	[CONF_RL_NPROC] = { "nproc", "" },
	[CONF_RL_CORE] = { "core", " bytes" },
	[CONF_RL_NICE] = { "nice", "" },
	[CONF_RL_CPUS] = { "cpus", "" },
};

const char *
rlimits_conf_key(int i)
{
	return i >= 0 && i < CONF_RL_COUNT ? rlimits_names[i].key : "?";
}

/* v within limit i's protocol bounds. */
static int64_t
rlimits_clamp(int i, int64_t v)
{
	if (v < proto_limits[i].min)
		return proto_limits[i].min;
	if (v > proto_limits[i].max)
		return proto_limits[i].max;
	return v;
}

/* Value v of limit i for a message: cpus's milli-CPUs as CPUs ("1.5"). */
static const char *
rlimits_fmt(int i, int64_t v, char *buf, size_t len)
{
	int n;

	if (i != CONF_RL_CPUS || v % 1000 == 0)
		snprintf(buf, len, "%" PRId64,
		    i == CONF_RL_CPUS ? v / 1000 : v);
	else {
		n = snprintf(buf, len, "%" PRId64 ".%03" PRId64, v / 1000,
		    v % 1000);
		while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
			buf[--n] = '\0';
	}
	return buf;
}

/* One of mem .. core, or cpus. */
static int
rlimits_one(int i, const struct conf_lim *c, const jobq_limits *asked,
    jobq_limits *out, char *err, size_t errlen)
{
	int have_max = c->max != CONF_UNSET;
	int64_t max = have_max ? rlimits_clamp(i, c->max) : 0, v;
	char vb[32], mb[32];

	if (asked->set & proto_limits[i].bit) {
		v = proto_limit_get(asked, i);
		if (have_max && v > max) {
			snprintf(err, errlen, "%s: %s%s is more than the "
			    "maximum of %s%s (%s-max)", rlimits_names[i].key,
			    rlimits_fmt(i, v, vb, sizeof vb),
			    rlimits_names[i].unit,
			    rlimits_fmt(i, max, mb, sizeof mb),
			    rlimits_names[i].unit, rlimits_names[i].key);
			return JOBQ_ETOOBIG;
		}
	} else if (c->def != CONF_UNSET) {
		v = rlimits_clamp(i, c->def);
		if (have_max && v > max)
			v = max;
	} else if (have_max)
		v = max;
	else
		return 0;
	proto_limit_set(out, i, v);
	return 0;
}

/* The nice value: the configured "max" is the lowest allowed. */
static int
rlimits_nice(const struct conf_lim *c, const jobq_limits *asked, int is_root,
    jobq_limits *out, char *err, size_t errlen)
{
	const int i = CONF_RL_NICE;
	int have_min = c->max != CONF_UNSET;
	int64_t min = have_min ? rlimits_clamp(i, c->max) : 0, v;

	if (asked->set & JOBQ_LIMIT_NICE) {
		v = asked->nice;
		if (have_min && v < min) {
			snprintf(err, errlen, "nice: %" PRId64 " is below the "
			    "lowest nice value allowed, %" PRId64 " (nice-min)",
			    v, min);
			return JOBQ_EPERM;
		}
		if (!have_min && !is_root && v < 0) {
			snprintf(err, errlen, "nice: %" PRId64 " is below 0: "
			    "only root may ask for a negative nice value", v);
			return JOBQ_EPERM;
		}
	} else if (c->def != CONF_UNSET) {
		v = rlimits_clamp(i, c->def);
		if (have_min && v < min)
			v = min;
	} else
		return 0;
	proto_limit_set(out, i, v);
	return 0;
}

int
rlimits_resolve(const struct conf_lim conf[CONF_RL_COUNT],
    const jobq_limits *asked, int is_root, jobq_limits *out, char *err,
    size_t errlen)
{
	int i, rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < CONF_RL_COUNT; i++) {
		rc = i == CONF_RL_NICE ?
		    rlimits_nice(&conf[i], asked, is_root, out, err, errlen) :
		    rlimits_one(i, &conf[i], asked, out, err, errlen);
		if (rc != 0) {
			memset(out, 0, sizeof(*out));
			return rc;
		}
	}
	return 0;
}
