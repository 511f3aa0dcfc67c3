/*
 * proto_limits.c - the "limits" object of the protocol (a submit's member
 * and a job's) <-> jobq_limits: one table of the seven resource limits, their
 * member names and bounds, shared by the codec, jobqd (limits.c) and jobq
 * (the options and `show`).
 *
 *   "limits": {"mem":BYTES, "cpu_time":SECONDS, "nofile":N, "nproc":N,
 *              "core":BYTES, "nice":-20..19,
 *              "cpus":MILLI-CPUS}                every member optional
 *
 * cpus is an integer of milli-CPUs (1500 = one and a half CPUs), so that
 * the codec stays exact.
 *
 * An absent member is not set (its bit is clear in jobq_limits.set); an
 * empty object, like an absent one, sets nothing.  Unknown members are
 * refused: a limit this side does not know must not be silently dropped.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

const struct proto_limit proto_limits[PROTO_NLIMITS] = {
	{ "mem", "--mem", JOBQ_LIMIT_MEM, 1, PROTO_MAX_LIMIT_BYTES,
	    offsetof(jobq_limits, mem) },
	{ "cpu_time", "--cpu-time", JOBQ_LIMIT_CPU, 1, PROTO_MAX_CPU_TIME,
	    offsetof(jobq_limits, cpu_time) },
	{ "nofile", "--nofile", JOBQ_LIMIT_NOFILE, 3, PROTO_MAX_NOFILE,
	    offsetof(jobq_limits, nofile) },
	{ "nproc", "--nproc", JOBQ_LIMIT_NPROC, 1, PROTO_MAX_NPROC,
	    offsetof(jobq_limits, nproc) },
	{ "core", "--core", JOBQ_LIMIT_CORE, 0, PROTO_MAX_LIMIT_BYTES,
	    offsetof(jobq_limits, core) },
	{ "nice", "--nice", JOBQ_LIMIT_NICE, -20, 19,
	    offsetof(jobq_limits, nice) },
	{ "cpus", "--cpus", JOBQ_LIMIT_CPUS, 1, PROTO_MAX_CPUS,
	    offsetof(jobq_limits, cpus) },
};

int64_t
proto_limit_get(const jobq_limits *l, int i)
{
	return *(const int64_t *)(const void *)((const char *)l +
	    proto_limits[i].off);
}

void
proto_limit_set(jobq_limits *l, int i, int64_t v)
{
	*(int64_t *)(void *)((char *)l + proto_limits[i].off) = v;
	l->set |= proto_limits[i].bit;
}

int
proto_limits_valid(const jobq_limits *l)
{
	int64_t v;
	int i;

	if ((l->set & ~JOBQ_LIMIT_ALL) != 0)
		return 0;
	for (i = 0; i < PROTO_NLIMITS; i++) {
		if (!(l->set & proto_limits[i].bit))
			continue;
		v = proto_limit_get(l, i);
		if (v < proto_limits[i].min || v > proto_limits[i].max)
			return 0;
	}
	return 1;
}

int
proto_limits_decode(const cJSON *obj, const char *who, int rc_bad,
    jobq_limits *out, char *err, size_t errlen)
{
	const cJSON *m;
	int64_t v;
	int i;

	memset(out, 0, sizeof(*out));
	if (obj == NULL || cJSON_IsNull(obj))
		return 0;
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "%s\"limits\" must be an object", who);
		return rc_bad;
	}
	cJSON_ArrayForEach(m, obj) {
		for (i = 0; i < PROTO_NLIMITS; i++)
			if (m->string != NULL &&
			    strcmp(m->string, proto_limits[i].name) == 0)
				break;
		if (i == PROTO_NLIMITS) {
			proto_seterr(err, errlen, "%s\"limits\": unknown member "
			    "\"%.64s\"", who, m->string != NULL ? m->string : "");
			return rc_bad;
		}
		if ((out->set & proto_limits[i].bit) != 0) {
			proto_seterr(err, errlen, "%s\"limits\": \"%s\" given "
			    "twice", who, proto_limits[i].name);
			return rc_bad;
		}
		if (proto_num_to_int(m, proto_limits[i].min,
		    proto_limits[i].max, &v) != 0) {
			proto_seterr(err, errlen, "%s\"limits\": \"%s\" must be "
			    "an integer in %lld..%lld", who, proto_limits[i].name,
			    (long long)proto_limits[i].min,
			    (long long)proto_limits[i].max);
			return rc_bad;
		}
		proto_limit_set(out, i, v);
	}
	return 0;
}

void
proto_out_limits(struct proto_out *o, const jobq_limits *l)
{
	struct proto_out a;
	int i;

	if (l->set == 0 || o->failed)
		return;
	if (!proto_limits_valid(l)) {
		proto_out_fail(o);
		return;
	}
	proto_out_begin(&a, NULL);
	for (i = 0; i < PROTO_NLIMITS; i++)
		if (l->set & proto_limits[i].bit)
			proto_out_int(&a, proto_limits[i].name,
			    proto_limit_get(l, i));
	proto_out_item(o, "limits", proto_out_end(&a));
}
