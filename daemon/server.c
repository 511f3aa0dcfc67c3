/*
 * server.c - the listening socket and client connections (loop thread).
 *
 * Each connection reads bytes into a buffer, cuts frames (proto.c), and
 * handles one request at a time: while a request is with dispatch the
 * connection keeps reading only until its buffer holds one more maximal
 * frame, then stops reading until the reply is out.  Replies are written in
 * request order.  The peer's credentials (SO_PEERCRED) are taken at accept.
 * A connection with too much unsent output is neither read nor served until
 * it is written (server_flow.c).
 *
 * Bad input policy: a frame announcing 0 or more than JOBQ_MAX_FRAME bytes
 * gets an error reply and the connection is closed (the stream cannot be
 * resynchronised); a well-framed payload that is not a JSON object with an
 * "op" gets "bad_request" and the connection stays; a connection that sends
 * no hello within the configured handshake time is closed, and so is one
 * that, after the hello, leaves a frame incomplete for the frame timeout
 * (no byte of it arrives while the server reads; a connection between
 * frames may stay idle for ever: a wait, a watcher).
 *
 * Requests: server_ops.c checks what the connection allows and hands each
 * decoded request to dispatch.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "dispatch.h"
#include "server_int.h"

static void server_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);

struct wreq {
	uv_write_t w;
	struct server_conn *c;
	char *data;
	size_t len;
};

static void
server_handle_closed(uv_handle_t *h)
{
	struct server_conn *c = h->data;

	if (--c->handles_open == 0) {
		server_flow_freed(c->sv, c->cap);
		free(c->groups);
		free(c->buf);
		free(c);
	}
}

static void
server_close(struct server_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->busy && c->req.abandon != NULL)
		c->req.abandon(&c->req);
	c->req.abandon = NULL;
	c->busy = 0;
	TAILQ_REMOVE(&c->sv->conns, c, link);
	server_flow_forget(c);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, server_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, server_handle_closed);
}

/* Also called, with UV_ECANCELED, for the writes a close dropped. */
static void
server_write_cb(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct server_conn *c = wr->c;
	size_t len = wr->len;

	free(wr->data);
	free(wr);
	c->writes--;
	if (!c->closing && status < 0) {
		log_debug("client pid %ld: write: %s", (long)c->pid,
		    uv_strerror(status));
		server_close(c);
	} else if (!c->closing && c->close_after_write && c->writes == 0)
		server_close(c);
	server_flow_written(c, len);
}

void
server_send(struct server_conn *c, cJSON *obj)
{
	struct wreq *wr;
	uv_buf_t b;
	size_t len;
	char *data;
	int rv;

	if (obj == NULL) {
		server_close(c);
		return;
	}
	rv = proto_frame_encode_max(obj, PROTO_MAX_REPLY, &data, &len);
	cJSON_Delete(obj);
	if (rv < 0) {
		log_warnx("client pid %ld: cannot encode a reply: %s",
		    (long)c->pid, jobq_strerror(rv));
		obj = proto_error_reply(rv, "the reply is too large");
		if (obj == NULL || proto_frame_encode(obj, &data, &len) < 0) {
			cJSON_Delete(obj);
			server_close(c);
			return;
		}
		cJSON_Delete(obj);
	}
	if (c->closing) {
		free(data);
		return;
	}
	if (c->unsent + len > SERVER_MAX_WBUF) {
		log_warnx("client pid %ld does not read its replies; closing",
		    (long)c->pid);
		free(data);
		server_close(c);
		return;
	}
	if ((wr = malloc(sizeof *wr)) == NULL) {
		free(data);
		server_close(c);
		return;
	}
	wr->c = c;
	wr->data = data;
	wr->len = len;
	b = uv_buf_init(data, (unsigned)len);
	if (uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1,
	    server_write_cb) < 0) {
		free(data);
		free(wr);
		server_close(c);
		return;
	}
	c->writes++;
	server_flow_queued(c, len);
}

void
server_send_error(struct server_conn *c, int err, const char *msg, int then_close)
{
	server_send(c, proto_error_reply(err, msg));
	if (then_close && !c->closing) {
		c->close_after_write = 1;
		if (c->writes == 0)
			server_close(c);
	}
}

static struct server_conn *
server_conn_of(struct dispatch_req *r)
{
	return (struct server_conn *)((char *)r - offsetof(struct server_conn, req));
}

/* dispatch's answer to the request in flight. */
static void
server_reply(struct dispatch_req *r, cJSON *reply)
{
	struct server_conn *c = server_conn_of(r);

	JQ_ASSERT(c->busy);
	c->busy = 0;
	server_send(c, reply);
	if (!c->closing && !c->close_after_write && !c->in_process)
		server_process(c);
}

static void
server_overflow_timeout(uv_timer_t *t)
{
	server_close(t->data);
}

/*
 * dispatch's event for a watching connection.  Returns -1 (and dispatch
 * forgets r) when the connection is gone, or when the client fell more than
 * SERVER_MAX_WATCH_BACKLOG behind: it then gets {"event":"overflow"} and is
 * closed once that is written (or after 5 s if it never reads).
 */
static int
server_push(struct dispatch_req *r, cJSON *ev)
{
	struct server_conn *c = server_conn_of(r);
	void (*abandon)(struct dispatch_req *) = r->abandon;
	cJSON *ov;

	if (c->closing || c->close_after_write) {
		cJSON_Delete(ev);
		return -1;
	}
	r->abandon = NULL;	/* a close below must not call back into dispatch */
	if (c->unsent > SERVER_MAX_WATCH_BACKLOG) {
		cJSON_Delete(ev);
		log_warnx("client pid %ld: watcher fell behind; disconnecting",
		    (long)c->pid);
		ov = proto_overflow_event_to_json();
		c->busy = 0;
		server_send(c, ov);
		if (!c->closing) {
			c->close_after_write = 1;
			uv_timer_start(&c->timer, server_overflow_timeout, 5000, 0);
		}
		return -1;
	}
	server_send(c, ev);
	if (c->closing)
		return -1;
	r->abandon = abandon;
	return 0;
}

/* Room for the next read after buf[0, len): the unread bytes move to the
 * front first (they are moved only here, so each byte at most once a
 * doubling of the buffer). */
static void
server_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct server_conn *c = h->data;
	size_t want = 65536;
	char *nb;

	if (c->cap - c->len < want && c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->scan -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len < want) {
		size_t ncap = c->cap ? c->cap : want;

		while (ncap - c->len < want)
			ncap *= 2;
		if ((nb = realloc(c->buf, ncap)) == NULL) {
			b->base = NULL;
			b->len = 0;
			return;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	b->base = c->buf + c->len;
	b->len = c->cap - c->len;
}

static void
server_pause(struct server_conn *c)
{
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

static void
server_resume(struct server_conn *c)
{
	if (!c->reading && !c->closing) {
		if (uv_read_start((uv_stream_t *)&c->pipe, server_alloc_cb,
		    server_read_cb) == 0)
			c->reading = 1;
	}
}

/* Moves c->scan past the whole frames that arrived.  A frame with a bad
 * length counts as whole: server_process rejects it. */
static void
server_scan(struct server_conn *c)
{
	const char *payload;
	size_t plen, used;
	int rv;

	while (c->scan < c->len) {
		rv = proto_frame_parse(c->buf + c->scan, c->len - c->scan,
		    JOBQ_MAX_FRAME, &payload, &plen, &used);
		if (rv == 0)
			break;
		c->scan = rv < 0 ? c->len : c->scan + used;
	}
}

static void
server_frame_timeout(uv_timer_t *t)
{
	struct server_conn *c = t->data;

	log_info("client pid %ld left a request frame incomplete for %u ms; "
	    "closing", (long)c->pid, c->sv->frame_ms);
	server_close(c);
}

/*
 * After the hello, c->timer is the frame timeout: it runs while the server
 * reads from c and c holds an incomplete frame, and starts again when a
 * byte arrives (fresh).  Not on a connection about to close (the overflow
 * timeout).
 */
static void
server_frame_timer(struct server_conn *c, int fresh)
{
	if (!c->hello || c->closing || c->close_after_write)
		return;
	if (c->reading && c->scan < c->len) {
		if (fresh || !uv_is_active((uv_handle_t *)&c->timer))
			uv_timer_start(&c->timer, server_frame_timeout,
			    c->sv->frame_ms, 0);
	} else
		uv_timer_stop(&c->timer);
}

/* Reads from c or not: not while it has too much unsent output, nor while a
 * request is in flight and one more frame is buffered already. */
static void
server_reading(struct server_conn *c)
{
	if (c->closing)
		return;
	if (server_flow_blocked(c)) {
		server_flow_stall(c);
		server_pause(c);
	} else if (!c->busy || c->len - c->off < PROTO_HDR_LEN + JOBQ_MAX_FRAME)
		server_resume(c);
	else
		server_pause(c);
	server_frame_timer(c, 0);
}

/* Handles one request (an object with a string "op"); takes ownership of
 * req. */
static void
server_request(struct server_conn *c, cJSON *req)
{
	struct proto_req r;
	char err[256];
	int op, rv, then_close;

	op = proto_op_parse(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(req, "op")));
	if ((rv = server_ops_admit(c, op, err, sizeof err, &then_close)) != 0 ||
	    (rv = proto_req_from_json(req, &r, err, sizeof err)) != 0) {
		server_send_error(c, rv, err, then_close);
		cJSON_Delete(req);
		return;
	}
	c->req.reply = server_reply;
	c->req.push = server_push;
	c->req.abandon = NULL;
	c->req.priv = NULL;
	c->req.uid = c->uid;
	server_ops_identity(c);
	if (!server_ops_run(c, req, &r))
		cJSON_Delete(req);
	proto_req_release(&r);
}

void
server_process(struct server_conn *c)
{
	const char *payload;
	size_t plen, used;
	char err[256];
	cJSON *req;
	int rv;

	c->in_process = 1;
	while (!c->busy && !c->closing && !c->close_after_write &&
	    !server_flow_blocked(c)) {
		rv = proto_frame_parse(c->buf + c->off, c->len - c->off,
		    JOBQ_MAX_FRAME, &payload, &plen, &used);
		if (rv == 0)
			break;
		if (rv < 0) {
			c->in_process = 0;
			server_send_error(c, rv == JOBQ_ETOOBIG ? JOBQ_ETOOBIG :
			    JOBQ_EBADREQ, rv == JOBQ_ETOOBIG ?
			    "frame larger than the 16 MiB limit" :
			    "empty frame", 1);
			return;
		}
		rv = proto_parse(payload, plen, 1, &req, err, sizeof err);
		c->off += used;
		if (c->off == c->len)
			c->off = c->len = c->scan = 0;
		if (rv < 0) {
			server_send_error(c, JOBQ_EBADREQ, err, !c->hello);
			continue;
		}
		server_request(c, req);
	}
	c->in_process = 0;
	if (c->closing)
		return;
	server_reading(c);
	/* give back a buffer that grew for a big request */
	if (c->len == 0 && c->cap > (1u << 20)) {
		server_flow_freed(c->sv, c->cap);
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
}

static void
server_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct server_conn *c = st->data;

	if (n == UV_ENOBUFS) {
		log_warnx("client pid %ld: out of memory; closing", (long)c->pid);
		server_close(c);
		return;
	}
	if (n < 0) {
		if (n != UV_EOF)
			log_debug("client pid %ld: read: %s", (long)c->pid,
			    uv_strerror((int)n));
		server_close(c);
		return;
	}
	c->len += (size_t)n;
	server_scan(c);
	if (n > 0)
		server_frame_timer(c, 1);
	if (c->busy)
		server_reading(c);
	else
		server_process(c);
}

/* A server whose start failed, once its listener is closed. */
static void
server_free_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
server_handshake_timeout(uv_timer_t *t)
{
	struct server_conn *c = t->data;

	log_debug("client pid %ld sent no hello in time; closing", (long)c->pid);
	server_close(c);
}

static void
server_accept(uv_stream_t *l, int status)
{
	struct server *sv = l->data;
	struct ucred cr;
	socklen_t crlen = sizeof cr;
	struct server_conn *c;
	uv_os_fd_t fd;

	if (status < 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_warnx("accept: out of memory");
		return;
	}
	c->sv = sv;
	uv_pipe_init(sv->loop, &c->pipe, 0);
	uv_timer_init(sv->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	TAILQ_INSERT_TAIL(&sv->conns, c, link);
	if (uv_accept(l, (uv_stream_t *)&c->pipe) < 0) {
		server_close(c);
		return;
	}
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0) {
		log_warn("SO_PEERCRED");
		server_close(c);
		return;
	}
	c->uid = cr.uid;
	c->pid = cr.pid;
	c->ngroups = -1;
	uv_timer_start(&c->timer, server_handshake_timeout, sv->handshake_ms, 0);
	server_resume(c);
}

/* mkdir -p for the socket's directory; mode for the directories we create. */
static int
server_mkdirs(const char *dir, mode_t mode)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return -ENAMETOOLONG;
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Is something accepting on path?  Then another jobqd owns it. */
static int
server_socket_alive(const char *path)
{
	struct sockaddr_un sa;
	int fd, alive;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	alive = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return alive;
}

/* -errno or a UV_E* code (the same on Linux) -> JOBQ_E*, after the
 * caller logged the system's message. */
static int
server_code(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return JOBQ_EPERM;
	case -ENOMEM:
		return JOBQ_ENOMEM;
	default:
		return JOBQ_EIO;
	}
}

/*
 * The mode and group of a socket jobqd bound (one from systemd has the
 * .socket unit's SocketMode= and SocketGroup=): jobqd.conf's socket-mode,
 * else 0660 with a socket-group, else 0666 for a root jobqd (every local
 * user may connect; who may submit is jobqd.conf's allow and deny lists)
 * and 0600 for an unprivileged one.  The socket's directory is trusted
 * (paths_check_socket), so the path cannot be swapped under us.
 */
static int
server_socket_mode(struct server *sv, const char *path)
{
	gid_t gid = conf_socket_group(sv->conf_file);
	int mode = conf_socket_mode(sv->conf_file), e;

	if (mode < 0)
		mode = gid != (gid_t)-1 ? 0660 : sv->system_mode ? 0666 : 0600;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		e = errno;
		log_warn("%s: chown to group %ld (socket-group)", path,
		    (long)gid);
		return -e;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		e = errno;
		log_warn("%s: chmod %04o", path, (unsigned)mode);
		return -e;
	}
	log_debug("%s: mode %04o, group %ld", path, (unsigned)mode,
	    gid != (gid_t)-1 ? (long)gid : (long)getegid());
	return 0;
}

/* Binds sv->socket_path: creates its directory, refuses one that others
 * may write to, a path that is not a socket or one another jobqd serves,
 * and replaces a stale socket.  0 or -errno / UV_E*, logged. */
static int
server_bind(struct server *sv)
{
	char dir[PATH_MAX], *slash;
	const char *path = sv->socket_path;
	struct stat st;
	mode_t old;
	int rv;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((rv = server_mkdirs(dir, sv->system_mode ? 0755 : 0700)) < 0) {
			log_warnx("%s: %s", dir, strerror(-rv));
			return rv;
		}
	}
	if ((rv = paths_check_socket(path, 0)) != 0) {
		if (rv == EPERM)
			log_warnx("%s: the socket's directory belongs to "
			    "another user or others may write to it; "
			    "refusing to listen there", path);
		else
			log_warnx("%s: %s", path, strerror(rv));
		return -rv;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket", path);
			return -EEXIST;
		}
		if (server_socket_alive(path)) {
			log_warnx("another jobqd is listening on %s", path);
			return -EADDRINUSE;
		}
		unlink(path);	/* stale */
	}
	/* bound 0600, then given its group and mode (server_socket_mode) */
	old = umask(0177);
	rv = uv_pipe_bind(&sv->listener, path);
	umask(old);
	if (rv < 0) {
		log_warnx("%s: %s", path, uv_strerror(rv));
		return rv;
	}
	return server_socket_mode(sv, path);
}

/* Opens the listening socket (adopted or bound) and listens. */
static int
server_listen(struct server *sv)
{
	int rv;

	if (sv->listen_fd >= 0) {
		if ((rv = uv_pipe_open(&sv->listener, sv->listen_fd)) < 0) {
			log_warnx("socket from systemd (fd %d): %s",
			    sv->listen_fd, uv_strerror(rv));
			return rv;
		}
	} else if ((rv = server_bind(sv)) < 0)
		return rv;
	if ((rv = uv_listen((uv_stream_t *)&sv->listener, SERVER_LISTEN_BACKLOG,
	    server_accept)) < 0) {
		log_warnx("listen: %s", uv_strerror(rv));
		return rv;
	}
	return 0;
}

int
server_start(uv_loop_t *loop, const struct server_config *conf,
    struct dispatch *d, struct server **out)
{
	struct server *sv;
	int rv;

	*out = NULL;
	if (conf->listen_fd < 0 && (conf->socket_path == NULL ||
	    strlen(conf->socket_path) >= sizeof sv->socket_path)) {
		log_warnx("no usable socket path");
		return JOBQ_EINVAL;
	}
	if ((sv = calloc(1, sizeof *sv)) == NULL) {
		log_warnx("server: out of memory");
		return JOBQ_ENOMEM;
	}
	sv->loop = loop;
	sv->disp = d;
	if (conf->socket_path != NULL)
		snprintf(sv->socket_path, sizeof sv->socket_path, "%s",
		    conf->socket_path);
	sv->listen_fd = conf->listen_fd;
	sv->handshake_ms = conf->handshake_ms;
	sv->frame_ms = conf->frame_ms;
	sv->system_mode = conf->system_mode;
	sv->conf_file = conf->conf_file;
	TAILQ_INIT(&sv->conns);
	uv_pipe_init(loop, &sv->listener, 0);
	sv->listener.data = sv;
	if ((rv = server_listen(sv)) < 0) {
		/* The handle is closed and freed with the loop's others. */
		uv_close((uv_handle_t *)&sv->listener, server_free_closed);
		return server_code(rv);
	}
	server_flow_init(sv, conf->max_unsent);
	sv->listening = 1;
	*out = sv;
	return 0;
}

void
server_set_conf(struct server *sv, const struct conf *c)
{
	sv->conf_file = c;
}

void
server_set_limits(struct server *sv, unsigned handshake_ms,
    unsigned frame_ms, size_t max_unsent)
{
	sv->handshake_ms = handshake_ms;
	sv->frame_ms = frame_ms;
	sv->max_unsent = max_unsent;
}

void
server_stop_listening(struct server *sv)
{
	if (sv == NULL || !sv->listening)
		return;
	sv->listening = 0;
	uv_close((uv_handle_t *)&sv->listener, NULL);
	if (sv->listen_fd < 0)
		unlink(sv->socket_path);
}

void
server_close_all(struct server *sv)
{
	struct server_conn *c;

	if (sv == NULL)
		return;
	while ((c = TAILQ_FIRST(&sv->conns)) != NULL)
		server_close(c);
	server_flow_close(sv);
}

void
server_free(struct server *sv)
{
	if (sv == NULL)
		return;
	JQ_ASSERT(!sv->listening && TAILQ_EMPTY(&sv->conns) && !sv->trim_init);
	free(sv);
}
