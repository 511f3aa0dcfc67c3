/*
 * server.c - the listening socket and client connections (loop thread).
 *
 * Each connection reads bytes into a buffer, cuts frames (proto.c), and
 * handles one request at a time: while a request is with dispatch the
 * connection keeps reading only until its buffer holds one more maximal
 * frame, then stops reading until the reply is out.  Replies are written in
 * request order.  The peer's credentials (SO_PEERCRED) are taken at accept.
 *
 * Bad input policy: a frame announcing 0 or more than JOBQ_MAX_FRAME bytes
 * gets an error reply and the connection is closed (the stream cannot be
 * resynchronised); a well-framed payload that is not a JSON object with an
 * "op" gets "bad_request" and the connection stays; a connection that sends
 * no hello within cfg.handshake_ms is closed; a client that does not read
 * its replies is closed once SERVER_MAX_WBUF bytes are queued for it.
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

#include "jobqd.h"
#include "log.h"
#include "paths.h"
#include "proto.h"
#include "dispatch.h"
#include "server.h"

#define SERVER_MAX_WBUF (512u << 20)
/* A watcher further behind than this is told so and disconnected. */
#define SERVER_MAX_WATCH_BACKLOG (4u << 20)

struct conn {
	uv_pipe_t pipe;
	uv_timer_t timer;        /* handshake timeout */
	char *buf;
	size_t len, cap;
	int hello;               /* handshake done */
	int busy;                /* a request is with dispatch */
	int reading;
	int closing;
	int close_after_write;
	int handles_open;
	int in_process;          /* server_process() is on the stack */
	unsigned writes;         /* writes in flight */
	uid_t uid;
	pid_t pid;
	struct dispatch_req req;
	TAILQ_ENTRY(conn) link;
};

static TAILQ_HEAD(, conn) server_conns = TAILQ_HEAD_INITIALIZER(server_conns);
static uv_pipe_t server_listener;
static int server_listening;
static struct dispatch *server_disp;
static uv_loop_t *server_loop;

static void server_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void server_process(struct conn *);

struct wreq {
	uv_write_t w;
	struct conn *c;
	char *data;
};

static void
server_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles_open == 0) {
		free(c->buf);
		free(c);
	}
}

static void
server_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->busy && c->req.abandon != NULL)
		c->req.abandon(&c->req);
	c->req.abandon = NULL;
	c->busy = 0;
	TAILQ_REMOVE(&server_conns, c, link);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, server_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, server_handle_closed);
}

static void
server_write_cb(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct conn *c = wr->c;

	free(wr->data);
	free(wr);
	c->writes--;
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("client pid %ld: write: %s", (long)c->pid,
		    uv_strerror(status));
		server_close(c);
		return;
	}
	if (c->close_after_write && c->writes == 0)
		server_close(c);
}

/* Sends obj (consumed) as one frame. */
static void
server_send(struct conn *c, cJSON *obj)
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
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) +
	    len > SERVER_MAX_WBUF) {
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
	b = uv_buf_init(data, (unsigned)len);
	if ((rv = uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1,
	    server_write_cb)) < 0) {
		free(data);
		free(wr);
		server_close(c);
		return;
	}
	c->writes++;
}

static void
server_send_error(struct conn *c, int err, const char *msg, int then_close)
{
	server_send(c, proto_error_reply(err, msg));
	if (then_close && !c->closing) {
		c->close_after_write = 1;
		if (c->writes == 0)
			server_close(c);
	}
}

static struct conn *
server_conn_of(struct dispatch_req *r)
{
	return (struct conn *)((char *)r - offsetof(struct conn, req));
}

/* dispatch's answer to the request in flight. */
static void
server_reply(struct dispatch_req *r, cJSON *reply)
{
	struct conn *c = server_conn_of(r);

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
	struct conn *c = server_conn_of(r);
	void (*abandon)(struct dispatch_req *) = r->abandon;
	cJSON *ov;

	if (c->closing || c->close_after_write) {
		cJSON_Delete(ev);
		return -1;
	}
	r->abandon = NULL;	/* a close below must not call back into dispatch */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >
	    SERVER_MAX_WATCH_BACKLOG) {
		cJSON_Delete(ev);
		log_warnx("client pid %ld: watcher fell behind; disconnecting",
		    (long)c->pid);
		if ((ov = cJSON_CreateObject()) != NULL)
			cJSON_AddStringToObject(ov, "event", "overflow");
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

static void
server_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct conn *c = h->data;
	size_t want = 65536;
	char *nb;

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
server_pause(struct conn *c)
{
	if (c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

static void
server_resume(struct conn *c)
{
	if (!c->reading && !c->closing) {
		if (uv_read_start((uv_stream_t *)&c->pipe, server_alloc_cb,
		    server_read_cb) == 0)
			c->reading = 1;
	}
}

/* {"id":N} with optional "index" (a task of array N) or "array":true. */
static int
server_req_ref(struct conn *c, cJSON *req, int allow_array,
    struct dispatch_ref *ref)
{
	const cJSON *a;
	char err[256];

	memset(ref, 0, sizeof *ref);
	if (proto_get_int(req, "id", 1, 1, INT64_MAX, &ref->id, err,
	    sizeof err) < 0)
		goto bad;
	if (cJSON_GetObjectItemCaseSensitive(req, "index") != NULL) {
		if (proto_get_int(req, "index", 1, INT64_MIN, INT64_MAX,
		    &ref->index, err, sizeof err) < 0)
			goto bad;
		ref->has_index = 1;
	}
	if ((a = cJSON_GetObjectItemCaseSensitive(req, "array")) != NULL) {
		if (!cJSON_IsBool(a)) {
			snprintf(err, sizeof err, "array: must be true or false");
			goto bad;
		}
		ref->array = cJSON_IsTrue(a);
	}
	if (ref->array && !allow_array) {
		snprintf(err, sizeof err, "array: not allowed in this request");
		goto bad;
	}
	if (ref->array && ref->has_index) {
		snprintf(err, sizeof err, "array and index exclude each other");
		goto bad;
	}
	return 0;
bad:
	server_send_error(c, JOBQ_EINVAL, err, 0);
	return -1;
}

/* Reads an optional array of strings (at most max entries of at most
 * maxlen bytes) into a malloc'd vector of pointers into obj. */
static int
server_req_strings(const cJSON *obj, const char *key, size_t max,
    size_t maxlen, const char ***out, size_t *n, char *err, size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *e;
	size_t i = 0, cnt;

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "%s: must be an array of strings", key);
		return JOBQ_EINVAL;
	}
	cnt = (size_t)cJSON_GetArraySize(arr);
	if (cnt > max) {
		snprintf(err, errlen, "%s: more than %zu entries", key, max);
		return JOBQ_EINVAL;
	}
	if (cnt == 0)
		return 0;
	if ((*out = calloc(cnt + 1, sizeof **out)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return JOBQ_ENOMEM;
	}
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || strlen(e->valuestring) > maxlen) {
			snprintf(err, errlen, "%s: entries must be strings of at "
			    "most %zu bytes", key, maxlen);
			free(*out);
			*out = NULL;
			return JOBQ_EINVAL;
		}
		(*out)[i++] = e->valuestring;
	}
	*n = i;
	return 0;
}

static int
server_queue_name_ok(const char *q)
{
	size_t n = strlen(q);

	return n > 0 && n <= JOBQ_MAX_NAME &&
	    strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

static void
server_hello(struct conn *c, cJSON *req)
{
	char err[256], server[64];
	int64_t version;
	cJSON *rep;

	if (proto_get_int(req, "version", 1, 0, INT32_MAX, &version, err,
	    sizeof err) < 0) {
		server_send_error(c, JOBQ_EBADREQ, err, 1);
		return;
	}
	if (version != JOBQ_PROTOCOL_VERSION) {
		snprintf(err, sizeof err,
		    "protocol version %" PRId64 " is not supported (this jobqd speaks %d)",
		    version, JOBQ_PROTOCOL_VERSION);
		server_send_error(c, JOBQ_EVERSION, err, 1);
		return;
	}
	c->hello = 1;
	uv_timer_stop(&c->timer);
	rep = proto_ok_reply();
	cJSON_AddNumberToObject(rep, "version", JOBQ_PROTOCOL_VERSION);
	snprintf(server, sizeof server, "jobqd %s", PACKAGE_VERSION);
	cJSON_AddStringToObject(rep, "server", server);
	server_send(c, rep);
}

/* Handles one decoded request; takes ownership of req. */
static void
server_request(struct conn *c, cJSON *req)
{
	const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "op"));
	struct dispatch_ref ref;
	char err[256];
	int64_t v;

	if (strcmp(op, "hello") == 0) {
		if (c->hello)
			server_send_error(c, JOBQ_EBADREQ, "hello was already sent", 0);
		else
			server_hello(c, req);
		cJSON_Delete(req);
		return;
	}
	if (!c->hello) {
		server_send_error(c, JOBQ_EBADREQ, "hello expected", 1);
		cJSON_Delete(req);
		return;
	}
	c->req.reply = server_reply;
	c->req.push = server_push;
	c->req.abandon = NULL;
	c->req.priv = NULL;
	c->req.uid = c->uid;
	if (strcmp(op, "ping") == 0) {
		server_send(c, dispatch_ping(server_disp));
	} else if (strcmp(op, "submit") == 0) {
		struct proto_submit sub;
		int rv;

		if (c->uid != 0 && c->uid != geteuid()) {
			snprintf(err, sizeof err,
			    "jobs run as uid %ld; uid %ld may not submit to this jobqd",
			    (long)geteuid(), (long)c->uid);
			server_send_error(c, JOBQ_EPERM, err, 0);
		} else if ((rv = proto_submit_from_json(req, &sub, err,
		    sizeof err)) < 0) {
			server_send_error(c, rv, err, 0);
		} else {
			c->busy = 1;
			dispatch_submit(server_disp, &c->req, req, &sub);
			return;		/* dispatch owns req now */
		}
	} else if (strcmp(op, "get") == 0) {
		if (server_req_ref(c, req, 1, &ref) == 0) {
			c->busy = 1;
			dispatch_get(server_disp, &c->req, &ref);
		}
	} else if (strcmp(op, "list") == 0) {
		const char *state = NULL;
		struct dispatch_filter f;
		int rv;

		memset(&f, 0, sizeof f);
		f.state = -1;
		if (proto_get_str(req, "state", 32, &state, err, sizeof err) < 0 ||
		    proto_get_str(req, "queue", JOBQ_MAX_NAME, &f.queue, err,
		    sizeof err) < 0 ||
		    proto_get_str(req, "name", JOBQ_MAX_NAME, &f.name, err,
		    sizeof err) < 0 ||
		    proto_get_int(req, "limit", 0, 0, INT32_MAX, &v, err,
		    sizeof err) < 0 ||
		    proto_get_int(req, "array_id", 0, 0, INT64_MAX, &f.array_id,
		    err, sizeof err) < 0) {
			server_send_error(c, JOBQ_EINVAL, err, 0);
		} else if (state != NULL && (f.state = jobq_state_parse(state)) < 0) {
			snprintf(err, sizeof err, "state: unknown state \"%s\"", state);
			server_send_error(c, JOBQ_EINVAL, err, 0);
		} else if ((rv = server_req_strings(req, "labels", JOBQ_MAX_LABELS,
		    JOBQ_MAX_LABEL, &f.labels, &f.nlabels, err, sizeof err)) < 0) {
			server_send_error(c, rv, err, 0);
		} else {
			if (cJSON_GetObjectItemCaseSensitive(req, "limit") == NULL)
				v = 0;
			if (cJSON_GetObjectItemCaseSensitive(req, "array_id") == NULL)
				f.array_id = 0;
			f.limit = (size_t)v;
			c->busy = 1;
			dispatch_list(server_disp, &c->req, req, &f);
			return;		/* dispatch owns req now */
		}
	} else if (strcmp(op, "cancel") == 0) {
		if (server_req_ref(c, req, 1, &ref) == 0) {
			c->busy = 1;
			dispatch_cancel(server_disp, &c->req, &ref);
		}
	} else if (strcmp(op, "wait") == 0) {
		if (server_req_ref(c, req, 1, &ref) == 0) {
			if (cJSON_GetObjectItemCaseSensitive(req, "timeout_ms") == NULL)
				v = -1;
			else if (proto_get_int(req, "timeout_ms", 0, INT64_MIN,
			    INT64_MAX, &v, err, sizeof err) < 0) {
				server_send_error(c, JOBQ_EINVAL, err, 0);
				goto out;
			}
			c->busy = 1;
			dispatch_wait(server_disp, &c->req, &ref, v < 0 ? -1 : v);
		}
	} else if (strcmp(op, "logs") == 0) {
		const char *stream = NULL;
		int64_t off, max;

		if (server_req_ref(c, req, 0, &ref) < 0)
			goto out;
		if (proto_get_str(req, "stream", 16, &stream, err, sizeof err) < 0 ||
		    proto_get_int(req, "offset", 1, 0, INT64_MAX, &off, err,
		    sizeof err) < 0 ||
		    proto_get_int(req, "max", 1, 1, JOBQ_MAX_LOG_CHUNK, &max, err,
		    sizeof err) < 0) {
			server_send_error(c, JOBQ_EINVAL, err, 0);
		} else if (stream == NULL || (strcmp(stream, "stdout") != 0 &&
		    strcmp(stream, "stderr") != 0)) {
			server_send_error(c, JOBQ_EINVAL,
			    "stream: must be \"stdout\" or \"stderr\"", 0);
		} else {
			c->busy = 1;
			dispatch_logs(server_disp, &c->req, &ref,
			    strcmp(stream, "stderr") == 0 ? JOBQ_STDERR : JOBQ_STDOUT,
			    (uint64_t)off, (size_t)max);
		}
	} else if (strcmp(op, "priority") == 0) {
		if (server_req_ref(c, req, 0, &ref) < 0)
			goto out;
		if (proto_get_int(req, "priority", 1, -1000000, 1000000, &v, err,
		    sizeof err) < 0)
			server_send_error(c, JOBQ_EINVAL, err, 0);
		else {
			c->busy = 1;
			dispatch_priority(server_disp, &c->req, &ref, (int)v);
		}
	} else if (strcmp(op, "retry") == 0) {
		if (server_req_ref(c, req, 0, &ref) == 0) {
			c->busy = 1;
			dispatch_retry(server_disp, &c->req, &ref);
		}
	} else if (strcmp(op, "purge") == 0) {
		const char *state = NULL;
		int st = -1;

		if (proto_get_int(req, "older_than_ms", 0, 0, INT64_MAX / 2, &v,
		    err, sizeof err) < 0 ||
		    proto_get_str(req, "state", 32, &state, err, sizeof err) < 0) {
			server_send_error(c, JOBQ_EINVAL, err, 0);
		} else if (state != NULL && ((st = jobq_state_parse(state)) < 0 ||
		    !jobq_state_is_terminal((jobq_state)st))) {
			snprintf(err, sizeof err, "state: \"%s\" is not the name "
			    "of a state a job ends in", state);
			server_send_error(c, JOBQ_EINVAL, err, 0);
		} else {
			if (cJSON_GetObjectItemCaseSensitive(req,
			    "older_than_ms") == NULL)
				v = 0;
			c->busy = 1;
			dispatch_purge(server_disp, &c->req, v, st);
		}
	} else if (strcmp(op, "queue_set") == 0) {
		const char *queue = NULL;
		const cJSON *p;
		int64_t par = -1;
		int paused = -1;

		if (proto_get_str(req, "queue", JOBQ_MAX_NAME, &queue, err,
		    sizeof err) < 0 ||
		    proto_get_int(req, "parallel", 0, 0, 1000000, &par, err,
		    sizeof err) < 0) {
			server_send_error(c, JOBQ_EINVAL, err, 0);
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(req, "parallel") == NULL)
			par = -1;
		if ((p = cJSON_GetObjectItemCaseSensitive(req, "paused")) != NULL) {
			if (!cJSON_IsBool(p)) {
				server_send_error(c, JOBQ_EINVAL,
				    "paused: must be true or false", 0);
				goto out;
			}
			paused = cJSON_IsTrue(p);
		}
		if (queue == NULL || !server_queue_name_ok(queue)) {
			server_send_error(c, JOBQ_EINVAL, "queue: required, "
			    "1-256 characters of A-Z a-z 0-9 _ . -", 0);
			goto out;
		}
		c->busy = 1;
		dispatch_queue_set(server_disp, &c->req, queue, (int)par, paused);
	} else if (strcmp(op, "queue_list") == 0) {
		c->busy = 1;
		dispatch_queue_list(server_disp, &c->req);
	} else if (strcmp(op, "stats") == 0) {
		c->busy = 1;
		dispatch_stats(server_disp, &c->req);
	} else if (strcmp(op, "watch") == 0) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(req, "ids"), *e;
		int64_t *ids = NULL;
		size_t n = 0;

		if (arr != NULL && (!cJSON_IsArray(arr) ||
		    cJSON_GetArraySize(arr) > 100000)) {
			server_send_error(c, JOBQ_EINVAL,
			    "ids: must be an array of at most 100000 job ids", 0);
			goto out;
		}
		if (arr != NULL && cJSON_GetArraySize(arr) > 0) {
			ids = calloc((size_t)cJSON_GetArraySize(arr), sizeof *ids);
			if (ids == NULL) {
				server_send_error(c, JOBQ_ENOMEM, "out of memory", 0);
				goto out;
			}
			cJSON_ArrayForEach(e, arr) {
				if (!cJSON_IsNumber(e) || e->valuedouble < 1 ||
				    e->valuedouble > 9007199254740992.0 ||
				    e->valuedouble != (double)(int64_t)e->valuedouble) {
					free(ids);
					server_send_error(c, JOBQ_EINVAL,
					    "ids: entries must be job ids", 0);
					goto out;
				}
				ids[n++] = (int64_t)e->valuedouble;
			}
		}
		c->busy = 1;
		c->req.push = server_push;
		dispatch_watch(server_disp, &c->req, ids, n);
		free(ids);
	} else {
		snprintf(err, sizeof err, "unknown request \"%.64s\"", op);
		server_send_error(c, JOBQ_EUNKNOWNOP, err, 0);
	}
out:
	cJSON_Delete(req);
}

/* Cuts and handles frames while no request is in flight. */
static void
server_process(struct conn *c)
{
	const char *payload;
	size_t plen, used;
	char err[256];
	cJSON *req;
	int rv;

	c->in_process = 1;
	while (!c->busy && !c->closing && !c->close_after_write) {
		rv = proto_frame_parse(c->buf, c->len, JOBQ_MAX_FRAME, &payload,
		    &plen, &used);
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
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (rv < 0) {
			server_send_error(c, JOBQ_EBADREQ, err, !c->hello);
			continue;
		}
		server_request(c, req);
	}
	c->in_process = 0;
	if (c->closing)
		return;
	/* Keep reading while idle, or while busy until one more frame fits. */
	if (!c->busy || c->len < PROTO_HDR_LEN + JOBQ_MAX_FRAME)
		server_resume(c);
	else
		server_pause(c);
	/* give back a buffer that grew for a big request */
	if (c->len == 0 && c->cap > (1u << 20)) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
}

static void
server_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = st->data;

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
	if (c->busy) {
		if (c->len >= PROTO_HDR_LEN + JOBQ_MAX_FRAME)
			server_pause(c);
		return;
	}
	server_process(c);
}

static void
server_handshake_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	log_debug("client pid %ld sent no hello in time; closing", (long)c->pid);
	server_close(c);
}

static void
server_accept(uv_stream_t *l, int status)
{
	struct ucred cr;
	socklen_t crlen = sizeof cr;
	struct conn *c;
	uv_os_fd_t fd;

	if (status < 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_warnx("accept: out of memory");
		return;
	}
	uv_pipe_init(server_loop, &c->pipe, 0);
	uv_timer_init(server_loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	TAILQ_INSERT_TAIL(&server_conns, c, link);
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
	uv_timer_start(&c->timer, server_handshake_timeout, cfg.handshake_ms, 0);
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

int
server_start(uv_loop_t *loop, struct dispatch *s)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	mode_t old;
	int rv;

	server_loop = loop;
	server_disp = s;
	uv_pipe_init(loop, &server_listener, 0);
	if (cfg.listen_fd >= 0) {
		if ((rv = uv_pipe_open(&server_listener, cfg.listen_fd)) < 0) {
			log_warnx("socket from systemd (fd %d): %s", cfg.listen_fd,
			    uv_strerror(rv));
			return rv;
		}
	} else {
		snprintf(dir, sizeof dir, "%s", cfg.socket_path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if ((rv = server_mkdirs(dir, cfg.system_mode ? 0755 : 0700)) < 0) {
				log_warnx("%s: %s", dir, strerror(-rv));
				return rv;
			}
		}
		if ((rv = paths_check_socket(cfg.socket_path, 0)) != 0) {
			if (rv == EPERM)
				log_warnx("%s: the socket's directory belongs to "
				    "another user or others may write to it; "
				    "refusing to listen there", cfg.socket_path);
			else
				log_warnx("%s: %s", cfg.socket_path, strerror(rv));
			return -rv;
		}
		if (lstat(cfg.socket_path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode)) {
				log_warnx("%s exists and is not a socket",
				    cfg.socket_path);
				return -EEXIST;
			}
			if (server_socket_alive(cfg.socket_path)) {
				log_warnx("another jobqd is listening on %s",
				    cfg.socket_path);
				return -EADDRINUSE;
			}
			unlink(cfg.socket_path);	/* stale */
		}
		old = umask(cfg.system_mode ? 0117 : 0177);
		rv = uv_pipe_bind(&server_listener, cfg.socket_path);
		umask(old);
		if (rv < 0) {
			log_warnx("%s: %s", cfg.socket_path, uv_strerror(rv));
			return rv;
		}
	}
	if ((rv = uv_listen((uv_stream_t *)&server_listener, 128,
	    server_accept)) < 0) {
		log_warnx("listen: %s", uv_strerror(rv));
		return rv;
	}
	server_listening = 1;
	return 0;
}

void
server_stop_listening(void)
{
	if (!server_listening)
		return;
	server_listening = 0;
	uv_close((uv_handle_t *)&server_listener, NULL);
	if (cfg.listen_fd < 0)
		unlink(cfg.socket_path);
}

void
server_close_all(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&server_conns)) != NULL)
		server_close(c);
}
