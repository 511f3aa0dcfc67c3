/*
 * server_int.h - what the files of the server share (loop thread only): the
 * handle, a connection, and the functions one file offers the others.  Only
 * server*.c include it.
 *
 *   server.c        the listening socket and each connection's life:
 *                   accept, reading and framing, replies, timeouts, close
 *   server_ops.c    requests: who may send what, and the op table that
 *                   hands each decoded request to dispatch
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

/* A watcher further behind than this is told so and disconnected. */
#define SERVER_MAX_WATCH_BACKLOG (4u << 20)

struct server_conn {
	struct server *sv;
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
	TAILQ_ENTRY(server_conn) link;
};

TAILQ_HEAD(server_conn_list, server_conn);

struct server {
	uv_loop_t *loop;
	struct dispatch *disp;
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	unsigned handshake_ms;
	int system_mode;
	uv_pipe_t listener;
	int listening;
	struct server_conn_list conns;
};

/* server.c */
/* Cuts and handles frames while no request is in flight. */
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
/* Runs the handler of r->op; 1 if dispatch took req, 0 if the caller
 * still owns it. */
int server_ops_run(struct server_conn *c, cJSON *req, struct proto_req *r);

#endif
