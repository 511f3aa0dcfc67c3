/*
 * server_int.h - what the files of the server share (loop thread only): the
 * handle, a connection, and the functions one file offers the others.  Only
 * server*.c include it.
 *
 *   server.c        the listening socket and each connection's life:
 *                   accept, reading and framing, replies, timeouts, close
 *   server_ops.c    requests: who may send what, and the op table that
 *                   hands each decoded request to dispatch
 *   server_flow.c   what clients may leave unread: back-pressure per
 *                   connection and across all of them, and giving freed
 *                   reply memory back to the system
 *
 * Output limits (server_flow.c; jobqd(8), LIMITS).  A connection's unsent
 * output is the size of the reply frames queued for it whose write has not
 * completed.  Above SERVER_CONN_HIGH the server reads and handles no more of
 * its requests until it is back to SERVER_CONN_LOW; a request is only
 * handled below SERVER_CONN_HIGH, so what is queued beyond that is at most
 * one reply (or, for a watcher, the backlog it is allowed).  Across all
 * connections, once the unsent output exceeds --max-unsent, every connection
 * that has unsent output stops being read until the total is back to half
 * of it; connections without unsent output are served as usual.  Watchers
 * cannot be paused (their events come from the jobs, not from requests):
 * their output counts towards the total and each is bounded by
 * SERVER_MAX_WATCH_BACKLOG, above SERVER_CONN_HIGH.
 */
#ifndef JOBQD_SERVER_INT_H
#define JOBQD_SERVER_INT_H

#include <stddef.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>
#include <cjson/cJSON.h>

#include "dispatch.h"
#include "proto.h"
#include "server.h"

#define SERVER_CONN_HIGH (1u << 20)
#define SERVER_CONN_LOW (256u << 10)
/* A watcher further behind than this is told so and disconnected. */
#define SERVER_MAX_WATCH_BACKLOG (4u << 20)
/* What one connection can have queued by the rules above (a backstop: a
 * connection beyond it is closed). */
#define SERVER_MAX_WBUF ((size_t)SERVER_CONN_HIGH + PROTO_HDR_LEN + \
	PROTO_MAX_REPLY)
/* The groups of a client that count for jobqd.conf(5) at most (the
 * first ones NSS gives). */
#define SERVER_MAX_GROUPS 1024
/* listen(2)'s backlog; the kernel caps it at net.core.somaxconn. */
#define SERVER_LISTEN_BACKLOG 4096
/* Freed reply memory after which malloc_trim runs, at most once a
 * SERVER_TRIM_MS. */
#define SERVER_TRIM_BYTES (1u << 20)
#define SERVER_TRIM_MS 1000

struct server_conn {
	struct server *sv;
	uv_pipe_t pipe;
	uv_timer_t timer;        /* handshake, then frame, or overflow timeout */
	char *buf;
	size_t off, len, cap;    /* buf[off, len) is unread */
	size_t scan;             /* buf[off, scan) holds whole frames */
	int hello;               /* handshake done */
	int busy;                /* a request is with dispatch */
	int reading;
	int closing;
	int close_after_write;
	int handles_open;
	int in_process;          /* server_process() is on the stack */
	unsigned writes;         /* writes in flight */
	size_t unsent;           /* bytes of the frames of those writes */
	int over;                /* unsent passed SERVER_CONN_HIGH and is not
	                            back to SERVER_CONN_LOW yet */
	int stalled;             /* on sv->stalled (server_flow.c) */
	unsigned stall_gen;
	uid_t uid;
	pid_t pid;
	gid_t *groups;           /* uid's groups (NSS), looked up once, at the
	                            first request after the hello */
	int ngroups;             /* -1: not looked up yet */
	struct dispatch_req req;
	TAILQ_ENTRY(server_conn) link;
	TAILQ_ENTRY(server_conn) stall_link;
};

TAILQ_HEAD(server_conn_list, server_conn);

struct server {
	uv_loop_t *loop;
	struct dispatch *disp;
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	unsigned handshake_ms;
	unsigned frame_ms;
	int system_mode;
	const struct conf *conf_file; /* jobqd.conf (conf.h); not owned */
	uv_pipe_t listener;
	int listening;
	struct server_conn_list conns;

	/* server_flow.c */
	size_t unsent;           /* sum of the connections' unsent */
	size_t max_unsent;       /* --max-unsent */
	int over_cap;            /* unsent passed max_unsent, not back to half */
	struct server_conn_list stalled; /* not handling requests for their
	                                    output, in the order they stopped */
	unsigned stall_gen;
	size_t freed;            /* reply bytes freed since the last trim */
	uv_timer_t trim_timer;
	int trim_init;
};

/* server.c */
/* Cuts and handles frames while c may (see server_flow_blocked). */
void server_process(struct server_conn *c);
/* Sends obj (consumed) as one frame; NULL closes the connection. */
void server_send(struct server_conn *c, cJSON *obj);
void server_send_error(struct server_conn *c, int err, const char *msg,
    int then_close);

/* server_ops.c */
/*
 * What the connection allows before a request of op (-1: unknown) is
 * decoded: hello exactly once and first, and submit only from the daemon's
 * user or root.  0, or an error code with the message in err; *then_close
 * when the error (or, for hello, a decoding error) ends the connection.
 */
int server_ops_admit(struct server_conn *c, int op, char *err, size_t errlen,
    int *then_close);
/* Fills c->req's access members (groups, admin, visibility) from the
 * configuration in force, for the request about to run. */
void server_ops_identity(struct server_conn *c);
/* Runs the handler of r->op; 1 if dispatch took req, 0 if the caller
 * still owns it. */
int server_ops_run(struct server_conn *c, cJSON *req, struct proto_req *r);

/* server_flow.c */
void server_flow_init(struct server *sv, size_t max_unsent);
/* Closes the trim timer (shutdown). */
void server_flow_close(struct server *sv);
/* len bytes were queued for c / of c's were written or dropped. */
void server_flow_queued(struct server_conn *c, size_t len);
void server_flow_written(struct server_conn *c, size_t len);
/* Must c leave its requests (and its socket) alone for now? */
int server_flow_blocked(const struct server_conn *c);
/* c stopped for its output: it is resumed (server_process) once
 * server_flow_blocked no longer holds. */
void server_flow_stall(struct server_conn *c);
/* c is closing: forget it. */
void server_flow_forget(struct server_conn *c);
/* n bytes of buffers were freed: trims the heap soon once enough were. */
void server_flow_freed(struct server *sv, size_t n);

#endif
