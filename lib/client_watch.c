/*
 * client_watch.c - libjobq's watch stream (jobq.h): after jobq_watch() the
 * connection only carries event frames, read with a timeout into a buffer
 * that keeps partial frames across calls and decoded with the codec's
 * proto_event_from_json.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "client_int.h"
#include "proto.h"
#include "util.h"

/* Bytes read from the socket at a time while watching. */
#define CLIENT_WATCH_CHUNK 65536

int
jobq_watch(jobq_client *c, const int64_t *ids, size_t n)
{
	struct proto_watch	 w;
	cJSON			*reply;
	size_t			 i;
	int			 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (n > 0 && ids == NULL)
		return JOBQ_EINVAL;
	for (i = 0; i < n; i++) {
		if (ids[i] <= 0 || ids[i] > PROTO_MAX_JSON_INT)
			return JOBQ_EINVAL;
	}
	w.ids = (int64_t *)ids;
	w.nids = n;
	if ((rc = client_request(c, proto_watch_to_json(&w), &reply)) != 0)
		return rc;
	rc = proto_watch_reply_from_json(reply, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	c->streaming = 1;
	return 0;
}

/*
 * Takes the first complete frame out of c->rbuf and parses it into *frame.
 * Returns 1 when there was one, 0 when more bytes are needed, or an error
 * (c is then broken).
 */
static int
client_watch_take_frame(jobq_client *c, cJSON **frame)
{
	const char	*payload;
	size_t		 plen, used;
	int		 rc;

	*frame = NULL;
	if (c->rlen == c->rpos)
		return 0;	/* nothing buffered (rbuf may be NULL) */
	rc = proto_frame_parse(c->rbuf + c->rpos, c->rlen - c->rpos,
	    JOBQ_MAX_FRAME, &payload, &plen, &used);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	rc = proto_parse(payload, plen, 0, frame, NULL, 0);
	c->rpos += used;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (rc != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? JOBQ_ENOMEM : JOBQ_EPROTO;
	}
	return 1;
}

/*
 * Waits until the socket is readable or the deadline (a util_mono_ms()
 * value; -1: none) passes, then appends what it holds to c->rbuf.  0 when
 * something was read, JOBQ_ETIMEDOUT, or an error that breaks c.
 */
static int
client_watch_fill(jobq_client *c, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	char		*nbuf;
	ssize_t		 n;
	int		 r, wait;

	for (;;) {
		wait = -1;
		if (deadline >= 0) {
			left = deadline - util_mono_ms();
			if (left < 0)
				left = 0;
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (r == 0) {
			if (deadline >= 0 && util_mono_ms() >= deadline)
				return JOBQ_ETIMEDOUT;
			continue;
		}
		/* At most one partial frame is buffered when we read: move it
		 * to the front, then make room for a chunk. */
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
			c->rlen -= c->rpos;
			c->rpos = 0;
		}
		if (c->rcap - c->rlen < CLIENT_WATCH_CHUNK) {
			if ((nbuf = realloc(c->rbuf, c->rlen +
			    CLIENT_WATCH_CHUNK)) == NULL)
				return JOBQ_ENOMEM;	/* nothing lost */
			c->rbuf = nbuf;
			c->rcap = c->rlen + CLIENT_WATCH_CHUNK;
		}
		n = read(c->fd, c->rbuf + c->rlen, CLIENT_WATCH_CHUNK);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (n == 0) {
			c->broken = 1;
			return JOBQ_EIO;
		}
		c->rlen += (size_t)n;
		return 0;
	}
}

/*
 * Turns one frame of the watch stream into *ev: 0 for a state event, 1 for
 * a frame of a kind this library does not know (skipped), or an error that
 * breaks c (overflow: JOBQ_EIO with a message for jobq_last_error).
 */
static int
client_watch_event(jobq_client *c, const cJSON *frame, jobq_event *ev)
{
	int		 rc;

	if (cJSON_GetObjectItemCaseSensitive(frame, "event") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(frame,
	    "ok") != NULL) {
		/* The daemon ended the stream with an error reply. */
		rc = proto_reply_status(frame, c->errmsg, sizeof(c->errmsg));
		c->broken = 1;
		return rc < 0 ? rc : JOBQ_EPROTO;
	}
	switch (proto_event_kind(frame)) {
	case PROTO_EVENT_STATE:
		break;
	case PROTO_EVENT_OVERFLOW:
		snprintf(c->errmsg, sizeof(c->errmsg), "the daemon dropped "
		    "this watcher: it fell too far behind");
		c->broken = 1;
		return JOBQ_EIO;
	case PROTO_EVENT_OTHER:
		return 1;
	default:
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	if ((rc = proto_event_from_json(frame, ev, NULL, 0)) != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? rc : JOBQ_EPROTO;
	}
	return 0;
}

int
jobq_watch_next(jobq_client *c, jobq_event *ev, int timeout_ms)
{
	cJSON	*frame;
	int64_t	 deadline;
	int	 rc;

	if (c == NULL || ev == NULL || !c->streaming)
		return JOBQ_EINVAL;
	c->errmsg[0] = '\0';
	if (c->broken)
		return JOBQ_EIO;
	deadline = timeout_ms < 0 ? -1 : util_mono_ms() + timeout_ms;
	for (;;) {
		if ((rc = client_watch_take_frame(c, &frame)) < 0)
			return rc;
		if (rc == 1) {
			rc = client_watch_event(c, frame, ev);
			cJSON_Delete(frame);
			if (rc != 1)
				return rc;
			continue;
		}
		/* Give back a large buffer once it is empty. */
		if (c->rpos == c->rlen && c->rcap > 4 * CLIENT_WATCH_CHUNK) {
			free(c->rbuf);
			c->rbuf = NULL;
			c->rcap = c->rlen = c->rpos = 0;
		}
		if ((rc = client_watch_fill(c, deadline)) != 0)
			return rc;
	}
}

