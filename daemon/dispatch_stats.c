/*
 * dispatch_stats.c - the stats request (loop thread only): the store's
 * counts per queue and state (read by dispatch_queue.c), the worker slots
 * and the sliding windows of stats.c, filled into the codec's jobq_stats
 * and encoded by proto_stats_reply_to_json (doc/protocol.md, "stats").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "stats.h"
#include "util.h"
#include "dispatch_int.h"

/* The window of `window` ms ending at now. */
static void
dispatch_stats_window(struct dispatch *s, int64_t now, int64_t window,
    jobq_window_stats *out)
{
	struct stats_window w;

	memset(&w, 0, sizeof w);
	(void)stats_window(s->stats, now, window, &w);
	memset(out, 0, sizeof *out);
	out->window_ms = window;
	out->finished = w.finished;
	out->per_second = w.per_second;
	out->wait_mean_ms = w.wait_mean_ms;
	out->wait_p95_ms = w.wait_p95_ms;
	out->run_mean_ms = w.run_mean_ms;
	out->run_p95_ms = w.run_p95_ms;
	out->utilisation = w.utilisation;
}

cJSON *
dispatch_stats_reply(struct dispatch *s, const struct store_op *op)
{
	jobq_stats st;
	cJSON *rep;
	int64_t now = util_now_ms();
	size_t i, k, n = op->out.counts.n;

	memset(&st, 0, sizeof st);
	if (n > 0 && (st.queues = calloc(n, sizeof *st.queues)) == NULL)
		return NULL;
	st.nqueues = n;
	for (i = 0; i < n; i++) {
		dispatch_queue_info(&op->out.counts.v[i], &st.queues[i]);
		for (k = 0; k < JOBQ_STATE_COUNT; k++)
			st.counts[k] += op->out.counts.v[i].counts[k];
	}
	st.workers = s->nslots;
	st.busy = dispatch_slot_nbusy(s);
	dispatch_stats_window(s, now, 60000, &st.minute);
	dispatch_stats_window(s, now, 3600000, &st.hour);
	rep = proto_stats_reply_to_json(&st);
	free(st.queues);
	return rep;
}

void
dispatch_stats(struct dispatch *s, struct dispatch_req *r)
{
	dispatch_queue_counts(s, r, CK_STATS, NULL);
}
