/*
 * client.c - libjobq's connection (jobq.h): one jobq_client is one Unix
 * stream connection to jobqd with at most one request in flight.  Owns
 * connecting, the version handshake, sending requests and reading replies
 * (blocking, EINTR-safe), the checks every call makes first, and ping.  The
 * calls on jobs are in client_jobs.c, on queues and statistics in
 * client_queue.c, the watch stream in client_watch.c; requests and replies
 * are built and read by the codec (proto.h).  After an I/O or protocol error
 * the connection is marked broken and every later call returns JOBQ_EIO.
 * Never prints, exits or aborts; no global mutable state.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "client_int.h"
#include "paths.h"
#include "proto.h"

#define CLIENT_NAME "libjobq/" JOBQ_VERSION_STRING

int
jobq_default_socket(char *buf, size_t len)
{
	return paths_socket(buf, len);
}

/* --- I/O --- */

static int
client_write_all(jobq_client *c, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_read_all(jobq_client *c, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = read(c->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (n == 0) {
			c->broken = 1;
			return JOBQ_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply frame: 0 with *reply_out set when the daemon answered
 * "ok":true, or the error code (the daemon's, or a local one). */
static int
client_read_reply(jobq_client *c, cJSON **reply_out)
{
	unsigned char	 hdr[PROTO_HDR_LEN];
	char		*payload;
	size_t		 plen;
	cJSON		*reply;
	int		 rc;

	if ((rc = client_read_all(c, hdr, sizeof(hdr))) != 0)
		return rc;
	plen = ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) |
	    ((size_t)hdr[2] << 8) | (size_t)hdr[3];
	if (plen == 0 || plen > PROTO_MAX_REPLY) {
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	if ((payload = malloc(plen)) == NULL) {
		c->broken = 1;	/* the unread reply desynchronises the stream */
		return JOBQ_ENOMEM;
	}
	if ((rc = client_read_all(c, payload, plen)) != 0) {
		free(payload);
		return rc;
	}
	rc = proto_parse(payload, plen, 0, &reply, NULL, 0);
	free(payload);
	if (rc != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? JOBQ_ENOMEM : JOBQ_EPROTO;
	}
	if ((rc = proto_reply_status(reply, c->errmsg, sizeof c->errmsg)) != 0) {
		cJSON_Delete(reply);
		if (rc == JOBQ_EPROTO)
			c->broken = 1;
		return rc;
	}
	*reply_out = reply;
	return 0;
}

static int	client_hello_check(jobq_client *, cJSON *);

/*
 * The frames of req into *frame: after the hello's when the hello is still
 * to be sent (client_connect_cli), so that both leave in one write.
 */
static int
client_frames(jobq_client *c, const cJSON *req, char **frame, size_t *flen)
{
	struct proto_hello	 h;
	cJSON			*hello;
	char			*hf, *rf, *both;
	size_t			 hlen, rlen;
	int			 rc;

	if (!c->hello_pending)
		return proto_frame_encode(req, frame, flen);
	h.version = JOBQ_PROTOCOL_VERSION;
	h.client = CLIENT_NAME;
	if ((hello = proto_hello_to_json(&h)) == NULL)
		return JOBQ_ENOMEM;
	rc = proto_frame_encode(hello, &hf, &hlen);
	cJSON_Delete(hello);
	if (rc != 0)
		return rc;
	if ((rc = proto_frame_encode(req, &rf, &rlen)) != 0) {
		free(hf);
		return rc;
	}
	if ((both = realloc(hf, hlen + rlen)) == NULL) {
		free(hf);
		free(rf);
		return JOBQ_ENOMEM;
	}
	memcpy(both + hlen, rf, rlen);
	free(rf);
	*frame = both;
	*flen = hlen + rlen;
	return 0;
}

/* client_request without consuming req. */
static int
client_call(jobq_client *c, const cJSON *req, cJSON **reply_out)
{
	char		*frame;
	size_t		 flen;
	cJSON		*hello;
	int		 rc;

	*reply_out = NULL;
	c->errmsg[0] = '\0';
	if (c->streaming)
		return JOBQ_EINVAL;
	if (c->broken)
		return JOBQ_EIO;
	if (req == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_frames(c, req, &frame, &flen)) != 0)
		return rc;	/* nothing was sent: c is still usable */
	rc = client_write_all(c, frame, flen);
	free(frame);
	if (rc != 0)
		return rc;
	if (c->hello_pending) {
		/* The daemon answers the hello first; after a refused hello
		 * it closes the connection without reading req. */
		c->hello_pending = 0;
		if ((rc = client_read_reply(c, &hello)) != 0 ||
		    (rc = client_hello_check(c, hello)) != 0) {
			c->broken = 1;
			return rc;
		}
	}
	return client_read_reply(c, reply_out);
}

int
client_bad_reply(jobq_client *c, int rc)
{
	if (rc != JOBQ_ENOMEM) {
		c->broken = 1;
		rc = JOBQ_EPROTO;
	}
	return rc;
}

int
client_request(jobq_client *c, cJSON *req, cJSON **reply)
{
	int	rc;

	rc = client_call(c, req, reply);
	cJSON_Delete(req);
	return rc;
}

int
client_decoded(jobq_client *c, cJSON *reply, int rc)
{
	cJSON_Delete(reply);
	return rc != 0 ? client_bad_reply(c, rc) : 0;
}

/* --- connection --- */

static int
client_connect_fd(int fd, const struct sockaddr_un *sun)
{
	struct pollfd	pfd;
	socklen_t	slen;
	int		soerr;

	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return 0;
	if (errno != EINTR && errno != EINPROGRESS)
		return -1;
	/* Interrupted: the connection completes asynchronously. */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	slen = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0 ||
	    soerr != 0)
		return -1;
	return 0;
}

/* Checks (and frees) the reply to hello. */
static int
client_hello_check(jobq_client *c, cJSON *reply)
{
	struct proto_hello_reply	 hr;
	int64_t				 version;
	int				 rc;

	rc = proto_hello_reply_from_json(reply, &hr, NULL, 0);
	version = hr.version;
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (version != JOBQ_PROTOCOL_VERSION)
		return JOBQ_EVERSION;
	return 0;
}

static int
client_hello(jobq_client *c)
{
	struct proto_hello		 h;
	cJSON				*reply;
	int				 rc;

	h.version = JOBQ_PROTOCOL_VERSION;
	h.client = CLIENT_NAME;
	if ((rc = client_request(c, proto_hello_to_json(&h), &reply)) != 0)
		return rc;
	return client_hello_check(c, reply);
}

/* jobq_connect, with the hello sent now or (cli) with the first
 * request. */
static int
client_connect(const char *path, int cli, jobq_client **out)
{
	struct sockaddr_un	 sun;
	char			 def[sizeof(sun.sun_path)];
	jobq_client		*c;
	int			 rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if (path == NULL) {
		if (paths_socket(def, sizeof(def)) != 0)
			return JOBQ_EINVAL;
		path = def;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return JOBQ_EINVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Never hand a job (and its environment) to another user's socket. */
	if (paths_check_socket(path, 1) == EPERM) {
		errno = EPERM;
		return JOBQ_EPERM;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return JOBQ_ENOMEM;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = (errno == ENOMEM || errno == ENOBUFS) ? JOBQ_ENOMEM :
		    JOBQ_ECONNECT;
		free(c);
		return rc;
	}
	if (client_connect_fd(c->fd, &sun) != 0) {
		jobq_close(c);
		return JOBQ_ECONNECT;
	}
	if (cli)
		c->hello_pending = c->single_thread = 1;
	else if ((rc = client_hello(c)) != 0) {
		jobq_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

int
jobq_connect(const char *path, jobq_client **out)
{
	return client_connect(path, 0, out);
}

int
client_connect_cli(const char *path, jobq_client **out)
{
	return client_connect(path, 1, out);
}

const char *
jobq_last_error(const jobq_client *c)
{
	return c != NULL ? c->errmsg : "";
}

void
jobq_close(jobq_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

/* --- the checks every call makes --- */

int
client_check(jobq_client *c)
{
	if (c == NULL || c->streaming)
		return JOBQ_EINVAL;
	if (c->broken)
		return JOBQ_EIO;
	return 0;
}

int
client_check_id(jobq_client *c, int64_t id)
{
	int	rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (id <= 0 || id > PROTO_MAX_JSON_INT)
		return JOBQ_EINVAL;
	return 0;
}

/* --- ping --- */

int
jobq_ping(jobq_client *c, jobq_server_info *out)
{
	struct proto_ping_reply	 p;
	cJSON			*reply;
	int			 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_ping_to_json(), &reply)) != 0)
		return rc;
	rc = proto_ping_reply_from_json(reply, &p, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = p.info;
	return 0;
}

int
jobq_fd(const jobq_client *c)
{
	if (c == NULL)
		return JOBQ_EINVAL;
	return c->fd;
}
