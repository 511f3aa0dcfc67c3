/*
 * server_flow.c - what clients may leave unread (loop thread): the unsent
 * output of each connection and of all of them, back-pressure on the
 * connections that have too much of it (the rules are in server_int.h and
 * jobqd(8), LIMITS), and giving freed reply memory back to the system.
 *
 * A connection that may not go on (server_flow_blocked) is "stalled": it is
 * put on sv->stalled and neither read nor served until its own writes, or
 * everybody's, bring it back under the limits; then server_process resumes
 * it, in the order the connections stalled.
 *
 * Memory: nothing is kept for a connection once its replies are written
 * (the frames are freed as their writes complete, the read buffer when it
 * closes or empties), but glibc keeps freed memory in its heaps: once
 * SERVER_TRIM_BYTES of buffers were freed, malloc_trim(0) runs, at most once
 * every SERVER_TRIM_MS.
 */
#include "config.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"
#include "server_int.h"

/* The rules of server_int.h only hold in this order. */
_Static_assert(SERVER_CONN_LOW < SERVER_CONN_HIGH, "flow watermarks");
_Static_assert(SERVER_CONN_HIGH < SERVER_MAX_WATCH_BACKLOG,
    "a watcher may fall further behind than a client is let run ahead");
_Static_assert(SERVER_MAX_WATCH_BACKLOG < SERVER_MAX_WBUF, "backstop");

static void
server_flow_trim(uv_timer_t *t)
{
	struct server *sv = t->data;

	sv->freed = 0;
#ifdef __GLIBC__
	log_debug("returning freed memory to the system (malloc_trim: %s)",
	    malloc_trim(0) ? "some" : "none");
#endif
}

void
server_flow_init(struct server *sv, size_t max_unsent)
{
	sv->max_unsent = max_unsent;
	TAILQ_INIT(&sv->stalled);
	uv_timer_init(sv->loop, &sv->trim_timer);
	uv_unref((uv_handle_t *)&sv->trim_timer);
	sv->trim_timer.data = sv;
	sv->trim_init = 1;
}

void
server_flow_close(struct server *sv)
{
	if (!sv->trim_init)
		return;
	sv->trim_init = 0;
	uv_close((uv_handle_t *)&sv->trim_timer, NULL);
}

void
server_flow_freed(struct server *sv, size_t n)
{
	sv->freed += n;
	if (sv->freed >= SERVER_TRIM_BYTES && sv->trim_init &&
	    !uv_is_active((uv_handle_t *)&sv->trim_timer))
		uv_timer_start(&sv->trim_timer, server_flow_trim,
		    SERVER_TRIM_MS, 0);
}

int
server_flow_blocked(const struct server_conn *c)
{
	return c->over || (c->sv->over_cap && c->unsent > 0);
}

void
server_flow_stall(struct server_conn *c)
{
	struct server *sv = c->sv;

	if (c->stalled || c->closing)
		return;
	c->stalled = 1;
	c->stall_gen = sv->stall_gen;
	TAILQ_INSERT_TAIL(&sv->stalled, c, stall_link);
}

void
server_flow_forget(struct server_conn *c)
{
	struct server *sv = c->sv;

	if (!c->stalled)
		return;
	c->stalled = 0;
	if (TAILQ_FIRST(&sv->stalled) == c)	/* see DISPATCH_TAILQ_REMOVE */
		TAILQ_FIRST(&sv->stalled) = TAILQ_NEXT(c, stall_link);
	TAILQ_REMOVE(&sv->stalled, c, stall_link);
}

/* Lets c go on if it was stalled. */
static void
server_flow_resume(struct server_conn *c)
{
	server_flow_forget(c);
	if (!c->closing && !c->in_process)
		server_process(c);
}

/*
 * The total fell back under half the cap: resumes the stalled connections
 * in the order they stopped.  Each may run a request and stall again (at
 * the tail, with the new generation), or push the total over the cap again,
 * which ends the round: the rest wait for the next one.
 */
static void
server_flow_kick(struct server *sv)
{
	struct server_conn *c;
	unsigned gen = ++sv->stall_gen;

	while ((c = TAILQ_FIRST(&sv->stalled)) != NULL &&
	    c->stall_gen != gen && !sv->over_cap)
		server_flow_resume(c);
}

void
server_flow_queued(struct server_conn *c, size_t len)
{
	struct server *sv = c->sv;

	c->unsent += len;
	sv->unsent += len;
	if (c->unsent > SERVER_CONN_HIGH)
		c->over = 1;
	if (!sv->over_cap && sv->unsent > sv->max_unsent) {
		sv->over_cap = 1;
		log_warnx("clients leave %zu bytes of replies unread (more than "
		    "--max-unsent): reading only from those that have none",
		    sv->unsent);
	}
}

void
server_flow_written(struct server_conn *c, size_t len)
{
	struct server *sv = c->sv;

	JQ_ASSERT(c->unsent >= len && sv->unsent >= len);
	c->unsent -= len;
	sv->unsent -= len;
	server_flow_freed(sv, len);
	if (c->over && c->unsent <= SERVER_CONN_LOW)
		c->over = 0;
	if (sv->over_cap && sv->unsent <= sv->max_unsent / 2) {
		sv->over_cap = 0;
		log_info("unread replies down to %zu bytes: reading from every "
		    "client again", sv->unsent);
		server_flow_kick(sv);
	}
	if (c->stalled && !server_flow_blocked(c))
		server_flow_resume(c);
}
