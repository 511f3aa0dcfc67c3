/*
 * dispatch_purge.c - removing ended jobs (loop thread only): the purge
 * request, and retention (--keep-age, --keep-count), applied at start-up
 * and then at most once a second after jobs end, as two purges: ended jobs
 * older than the age, and ended jobs beyond the newest keep-count.
 *
 * A purge deletes at most DISPATCH_PURGE_CHUNK jobs per store op and goes
 * on with the next chunk when one comes back full, so that removing a
 * million ended jobs does not hold every other commit for seconds.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

#define DISPATCH_PURGE_CHUNK 5000

static void dispatch_purge_chunk(struct dispatch *, struct dispatch_req *,
    const struct store_op *prev, size_t total, int retention);

/* The purge is over: total jobs removed, or the error status.  r NULL:
 * retention, or a client that has gone. */
static void
dispatch_purge_over(struct dispatch_req *r, int retention, int status,
    size_t total)
{
	if (r == NULL) {
		if (retention && status != 0)
			log_warnx("retention: %s", jobq_strerror(status));
		else if (retention && total > 0)
			log_info("retention: removed %zu ended job(s)", total);
	} else if (status != 0)
		dispatch_reply_status(r, status);
	else
		/* NULL (out of memory): done, but cannot say so. */
		dispatch_reply(r, proto_purge_reply_to_json(total));
}

static void
dispatch_purge_done(struct store_op *op)
{
	struct op_ctx *c = op->data;
	struct dispatch_req *r = c->r;
	size_t total = (size_t)c->arg + op->out.purge.n;

	if (op->status == 0 && op->out.purge.n == op->in.purge.max &&
	    !c->s->shutting_down) {
		if (r != NULL)
			dispatch_reply_detach(r);
		dispatch_purge_chunk(c->s, r, op, total, (int)c->arg2);
	} else
		dispatch_purge_over(r, (int)c->arg2, op->status, total);
	dispatch_op_finish(op);
}

/* The next chunk of the purge prev, total removed so far (r NULL: the
 * client has gone, or retention). */
static void
dispatch_purge_chunk(struct dispatch *s, struct dispatch_req *r,
    const struct store_op *prev, size_t total, int retention)
{
	struct store_op *op = dispatch_op_for(s, r, STORE_PURGE,
	    dispatch_purge_done);
	struct op_ctx *c = op->data;

	c->arg = (int64_t)total;
	c->arg2 = retention;
	op->in.purge = prev->in.purge;
	dispatch_op_submit(s, op);
}

static void
dispatch_purge_submit(struct dispatch *s, struct dispatch_req *r,
    int64_t finished_before, int state, int64_t owner, size_t keep_count)
{
	struct store_op first;

	memset(&first, 0, sizeof first);
	first.in.purge.finished_before = finished_before;
	first.in.purge.state = state;
	first.in.purge.owner_uid = owner;
	first.in.purge.keep_count = keep_count;
	first.in.purge.max = DISPATCH_PURGE_CHUNK;
	first.in.purge.logs_fd = dispatch_logs_dirfd(s);
	dispatch_purge_chunk(s, r, &first, 0, r == NULL);
}

void
dispatch_purge(struct dispatch *s, struct dispatch_req *r,
    int64_t older_than_ms, int state)
{
	dispatch_purge_submit(s, r, older_than_ms > 0 ?
	    util_now_ms() - older_than_ms : 0, state,
	    dispatch_privileged(r) ? -1 : (int64_t)r->uid, 0);
}

void
dispatch_purge_retention(struct dispatch *s)
{
	if (s->shutting_down)
		return;
	if (s->conf.keep_age_ms > 0)
		dispatch_purge_submit(s, NULL,
		    util_now_ms() - s->conf.keep_age_ms, -1, -1, 0);
	if (s->conf.keep_count > 0)
		dispatch_purge_submit(s, NULL, 0, -1, -1, s->conf.keep_count);
}

static void
dispatch_purge_retention_cb(uv_timer_t *t)
{
	struct dispatch *s = t->data;

	s->retention_armed = 0;
	dispatch_purge_retention(s);
}

void
dispatch_purge_kick(struct dispatch *s)
{
	if (s->retention_armed || s->shutting_down ||
	    (s->conf.keep_age_ms == 0 && s->conf.keep_count == 0))
		return;
	s->retention_armed = 1;
	uv_timer_start(&s->retention_timer, dispatch_purge_retention_cb, 1000,
	    0);
}
