/*
 * rlimits_base.c - the resource limits jobqd was started with, a job's
 * base: jobqd raises some of its own (RLIMIT_MSGQUEUE's soft limit to the
 * hard one for its workers' message queues, pool.c) and its workers
 * inherit them, but a job must start with what jobqd was given, not what
 * jobqd took for itself.  Recorded once at start-up; a claim's spec then
 * carries those that differ now (wire.h), and the job's process restores
 * them before setting its own (worker_spawn.c).
 */
#include "config.h"

#include <sys/resource.h>

#include <string.h>

#include "rlimits.h"

_Static_assert(RLIM_NLIMITS <= WIRE_RLIMIT_BASE_MAX,
    "more resources than a spec carries");

static struct rlimit rlimits_base[RLIM_NLIMITS];
static unsigned char rlimits_base_have[RLIM_NLIMITS];

void
rlimits_base_record(void)
{
	int r;

	for (r = 0; r < RLIM_NLIMITS; r++)
		rlimits_base_have[r] = getrlimit(r, &rlimits_base[r]) == 0;
}

size_t
rlimits_base_changed(struct wire_rlimit *out, size_t max)
{
	struct rlimit now;
	size_t n = 0;
	int r;

	for (r = 0; r < RLIM_NLIMITS && n < max; r++) {
		if (!rlimits_base_have[r] || getrlimit(r, &now) != 0 ||
		    (now.rlim_cur == rlimits_base[r].rlim_cur &&
		    now.rlim_max == rlimits_base[r].rlim_max))
			continue;
		out[n].resource = (uint32_t)r;
		out[n].cur = (uint64_t)rlimits_base[r].rlim_cur;
		out[n].max = (uint64_t)rlimits_base[r].rlim_max;
		n++;
	}
	return n;
}
