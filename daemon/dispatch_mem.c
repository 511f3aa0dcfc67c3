/*
 * dispatch_mem.c - giving memory back once the job table has shrunk (loop
 * thread only).
 *
 * What a large backlog used stays with the process after its jobs are
 * gone: the slab of the jobs found queued at start-up gives its pages back
 * by itself (slab_seal, dispatch.c), but malloc keeps the memory freed
 * inside its heap (the jobs made since, the store ops and replies of a
 * million cancels or ends) for reuse: RSS stayed at the backlog's peak.
 * So when the table holds DISPATCH_TRIM_DROP fewer jobs than at its peak
 * since the last trim, a timer a second later (one trim for a whole
 * drain's worth of ends) asks malloc to give its free pages back
 * (malloc_trim: glibc; elsewhere nothing is done).  server_flow.c does the
 * same for the memory of replies.
 *
 *   a job leaves the table --peak - njobs >= DROP, not armed--> armed
 *   armed --1 s--> malloc_trim(0), peak = njobs, not armed
 */
#include "config.h"

#include <stdlib.h>	/* __GLIBC__ */
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"
#include "util.h"
#include "dispatch_int.h"

#define DISPATCH_TRIM_DROP 16384	/* jobs: ~3 MB of bookkeeping alone */
#define DISPATCH_TRIM_DELAY_MS 1000

static void
dispatch_mem_trim_cb(uv_timer_t *t)
{
	struct dispatch *s = t->data;
	size_t peak = s->trim_peak;
	int64_t t0 = util_mono_ms();
	int gave = 0;

	s->trim_armed = 0;
	s->trim_peak = s->njobs;
#ifdef __GLIBC__
	gave = malloc_trim(0);
#endif
	log_debug("%zu jobs in the table (%zu at the peak): free memory %s "
	    "in %lld ms", s->njobs, peak, gave ? "given back" :
	    "kept (nothing to give back)", (long long)(util_mono_ms() - t0));
}

void
dispatch_mem_kick(struct dispatch *s)
{
	if (s->trim_armed || s->shutting_down ||
	    s->trim_peak - s->njobs < DISPATCH_TRIM_DROP)
		return;
	s->trim_armed = 1;
	uv_timer_start(&s->trim_timer, dispatch_mem_trim_cb,
	    DISPATCH_TRIM_DELAY_MS, 0);
}
