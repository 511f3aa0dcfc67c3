/*
 * dispatch_watch.c - watchers and the event stream (loop thread only): a
 * watch request stays with dispatch, which pushes one event frame per
 * committed state change of the jobs it asked for (all the jobs its client
 * may see, or some jobs and arrays).  Frames are the codec's
 * (proto_event_to_json; doc/protocol.md, "watch").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

/* A client streaming state changes. */
struct watcher {
	struct dispatch *s;
	struct dispatch_req *r;
	int64_t *ids;           /* NULL: every job the client may see */
	size_t n;
	TAILQ_ENTRY(watcher) link;
};

static int
dispatch_watch_wants(const struct watcher *w, const struct sjob *j)
{
	size_t i;

	if (dispatch_view(w->r, j->node.uid) == DISPATCH_VIEW_NONE)
		return 0;
	if (w->ids == NULL)
		return 1;
	for (i = 0; i < w->n; i++)
		if (w->ids[i] == SJOB_ID(j) ||
		    (dispatch_opt_array_id(j) != 0 &&
		    w->ids[i] == dispatch_opt_array_id(j)))
			return 1;
	return 0;
}

static void
dispatch_watch_free(struct dispatch *s, struct watcher *w)
{
	DISPATCH_TAILQ_REMOVE(&s->watchers, w, link);
	free(w->ids);
	free(w);
}

static void
dispatch_watch_abandon(struct dispatch_req *r)
{
	struct watcher *w = r->priv;

	dispatch_watch_free(w->s, w);
}

/* The event of a state change of j, as the codec's struct. */
static void
dispatch_watch_fill(jobq_event *ev, const struct sjob *j, jobq_state st,
    int exit_code, int sig, const char *reason, int64_t not_before,
    int64_t now)
{
	memset(ev, 0, sizeof *ev);
	ev->id = SJOB_ID(j);
	ev->state = st;
	ev->time = now;
	snprintf(ev->queue, sizeof ev->queue, "%s",
	    sched_queue_name(j->node.queue));
	ev->attempts = j->attempts;
	ev->exit_code = exit_code >= 0 ? exit_code : -1;
	ev->signal = sig > 0 ? sig : 0;
	if (reason != NULL)
		snprintf(ev->reason, sizeof ev->reason, "%s", reason);
	if (st == JOBQ_STATE_QUEUED && not_before > now)
		ev->not_before = not_before;
	if (dispatch_opt_array_id(j) != 0) {
		ev->array_id = j->opt->array_id;
		ev->array_index = j->opt->array_index;
	}
}

void
dispatch_watch_event(struct dispatch *s, const struct sjob *j, jobq_state st,
    int exit_code, int sig, const char *reason, int64_t not_before)
{
	struct watcher *w, *next;
	jobq_event ev, lim;
	cJSON *obj;

	if (TAILQ_EMPTY(&s->watchers))
		return;
	dispatch_watch_fill(&ev, j, st, exit_code, sig, reason, not_before,
	    util_now_ms());
	/* another user's job seen limited: id, state, queue and time */
	memset(&lim, 0, sizeof lim);
	lim.id = ev.id;
	lim.state = ev.state;
	lim.time = ev.time;
	memcpy(lim.queue, ev.queue, sizeof lim.queue);
	lim.exit_code = -1;
	for (w = TAILQ_FIRST(&s->watchers); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (!dispatch_watch_wants(w, j))
			continue;
		if ((obj = proto_event_to_json(dispatch_view(w->r,
		    j->node.uid) == DISPATCH_VIEW_LIMITED ? &lim : &ev)) ==
		    NULL) {
			/* it would miss this change: end its stream */
			log_warnx("a watcher misses an event (out of memory); "
			    "ending its stream");
			dispatch_reply_error(w->r, JOBQ_ENOMEM, "out of memory");
			dispatch_watch_free(s, w);
		} else if (w->r->push(w->r, obj) < 0) {
			/* gone or too far behind: the server drops it */
			dispatch_reply_detach(w->r);
			dispatch_watch_free(s, w);
		}
	}
}

void
dispatch_watch(struct dispatch *s, struct dispatch_req *r, const int64_t *ids,
    size_t n)
{
	struct watcher *w;

	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (n > 0 && (w->ids = calloc(n, sizeof *w->ids)) == NULL)) {
		free(w);
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	if (n > 0)
		memcpy(w->ids, ids, n * sizeof *ids);
	w->n = n;
	w->s = s;
	w->r = r;
	if (r->push(r, proto_watch_reply_to_json()) < 0) {
		free(w->ids);
		free(w);
		return;
	}
	TAILQ_INSERT_TAIL(&s->watchers, w, link);
	r->priv = w;
	r->abandon = dispatch_watch_abandon;
}

void
dispatch_watch_shutdown(struct dispatch *s)
{
	struct watcher *w;

	while ((w = TAILQ_FIRST(&s->watchers)) != NULL) {
		dispatch_reply_error(w->r, JOBQ_ESHUTDOWN,
		    "jobqd is shutting down");
		dispatch_watch_free(s, w);
	}
}
