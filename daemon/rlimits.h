/*
 * rlimits.h - a job's resource limits (jobq(1) submit --mem, --cpu-time,
 * --nofile, --nproc, --core, --nice): which apply, and the limits jobqd
 * itself was started with, which are a job's base.
 *
 *   submit --rlimits_resolve(conf_rlimits(conf, owner, queue), asked)-->
 *     the effective limits, stored with the job (jobs.lim_*), refused with
 *     JOBQ_ETOOBIG above a maximum, JOBQ_EPERM for a nice below the minimum
 *   claim --rlimits_base_changed--> the start-up limits that jobqd (or its
 *     workers) raised since (as of the last worker started:
 *     rlimits_base_refresh), restored in the job's process before its own
 *     limits are set (wire.h, worker_spawn.c)
 *
 * rlimits.c is pure (no I/O); rlimits_base.c calls getrlimit.
 */
#ifndef JOBQD_RLIMITS_H
#define JOBQD_RLIMITS_H

#include <stddef.h>

#include "conf.h"
#include "jobq.h"
#include "wire.h"

/*
 * The limits a submit that asked for `asked` gets, from conf (the scope's
 * defaults and bounds, conf_rlimits()): for each of mem, cpu-time, nofile,
 * nproc and core, the value asked (refused above the maximum), else the
 * default, else the maximum, never above the maximum; for nice, the value
 * asked (refused below the configured minimum or, without one, below 0 for
 * anyone but root: is_root), else the default (never below the minimum).
 * A limit that nothing sets stays unset: the job keeps jobqd's start-up
 * limit.  Configured values outside the protocol's bounds are clamped into
 * them.  Returns 0 with *out set, or JOBQ_ETOOBIG / JOBQ_EPERM with a
 * message naming the limit, the value and the bound in err.
 */
int rlimits_resolve(const struct conf_lim conf[CONF_RL_COUNT],
    const jobq_limits *asked, int is_root, jobq_limits *out, char *err,
    size_t errlen);

/* The configuration key of limit i (CONF_RL_*): "mem", "cpu-time", ... */
const char *rlimits_conf_key(int i);

/* rlimits_base.c: records the process's resource limits; called first thing
 * in jobqd's main, before anything raises one. */
void rlimits_base_record(void);

/* The recorded limits that differ from the process's current ones as of
 * the last rlimits_base_refresh() (the first call refreshes), at most max
 * of them, into out: what a job's process restores.  Nothing before
 * rlimits_base_record(). */
size_t rlimits_base_changed(struct wire_rlimit *out, size_t max);
/* Reads the process's current limits again: called as a worker is started
 * (pool.c), as that is when a worker takes them. */
void rlimits_base_refresh(void);

#endif
