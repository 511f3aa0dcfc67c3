/*
 * rlimits_base.c - the resource limits jobqd was started with, a job's
 * base: jobqd raises some of its own (RLIMIT_MSGQUEUE's soft limit to the
 * hard one for its workers' message queues, pool.c) and its workers
 * inherit them, but a job must start with what jobqd was given, not what
 * jobqd took for itself.  Recorded once at start-up; a claim's spec then
 * carries those that differ (wire.h), and the job's process restores them
 * before setting its own (worker_spawn.c).  Which differ is worked out
 * again each time a worker is started (pool.c: a worker's limits are those
 * it inherited then), not at each claim: 16 getrlimit calls a job were
 * about 18 us of the loop thread's time on a VM.  Loop thread only.
 */
#include "config.h"

#include <sys/resource.h>

#include <string.h>

#include "rlimits.h"

_Static_assert(RLIM_NLIMITS <= WIRE_RLIMIT_BASE_MAX,
    "more resources than a spec carries");

static struct rlimit rlimits_base[RLIM_NLIMITS];
static unsigned char rlimits_base_have[RLIM_NLIMITS];
/* those that differ, as of the last rlimits_base_refresh() */
static struct wire_rlimit rlimits_base_diff[RLIM_NLIMITS];
static size_t rlimits_base_ndiff;
static int rlimits_base_fresh;

void
rlimits_base_record(void)
{
	int r;

	for (r = 0; r < RLIM_NLIMITS; r++)
		rlimits_base_have[r] = getrlimit(r, &rlimits_base[r]) == 0;
}

void
rlimits_base_refresh(void)
{
	struct rlimit now;
	size_t n = 0;
	int r;

	for (r = 0; r < RLIM_NLIMITS; r++) {
		if (!rlimits_base_have[r] || getrlimit(r, &now) != 0 ||
		    (now.rlim_cur == rlimits_base[r].rlim_cur &&
		    now.rlim_max == rlimits_base[r].rlim_max))
			continue;
		rlimits_base_diff[n].resource = (uint32_t)r;
		rlimits_base_diff[n].cur = (uint64_t)rlimits_base[r].rlim_cur;
		rlimits_base_diff[n].max = (uint64_t)rlimits_base[r].rlim_max;
		n++;
	}
	rlimits_base_ndiff = n;
	rlimits_base_fresh = 1;
}

size_t
rlimits_base_changed(struct wire_rlimit *out, size_t max)
{
	size_t n;

	if (!rlimits_base_fresh)
		rlimits_base_refresh();
	n = rlimits_base_ndiff < max ? rlimits_base_ndiff : max;
	memcpy(out, rlimits_base_diff, n * sizeof *out);
	return n;
}
