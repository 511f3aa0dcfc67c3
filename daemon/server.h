/*
 * server.h - the listening socket and the client connections: framing,
 * handshake, request decoding (through the codec's op table) and hand-off to
 * dispatch, replies.  All on the loop thread; the state lives in a handle.
 */
#ifndef JOBQD_SERVER_H
#define JOBQD_SERVER_H

#include <stddef.h>
#include <uv.h>

struct dispatch;
struct server;
struct conf;

/* What the server needs of the daemon's configuration. */
struct server_config {
	const char *socket_path; /* bound unless listen_fd >= 0; copied */
	int listen_fd;           /* a listening socket to adopt, or -1 */
	unsigned handshake_ms;   /* close a client that sends no hello in time */
	unsigned frame_ms;       /* close a client that, after the hello,
	                            leaves a frame incomplete this long */
	size_t max_unsent;       /* unsent replies to all clients beyond which
	                            those that have some are not read */
	int system_mode;         /* created directories 0755 and socket 0666
	                            (a system daemon), else 0700 and 0600;
	                            jobqd.conf's socket-mode and socket-group
	                            (conf_file) come first */
	const struct conf *conf_file; /* jobqd.conf (conf.h), conf_empty()
	                            without one; not owned */
};

/* Binds conf->socket_path (or adopts conf->listen_fd) and starts accepting
 * into *out.  Returns 0 or a negative JOBQ_E* code with a message logged
 * (*out is then NULL). */
int server_start(uv_loop_t *loop, const struct server_config *conf,
    struct dispatch *d, struct server **out);
/* The configuration in force from now on (SIGHUP); not owned. */
void server_set_conf(struct server *sv, const struct conf *c);
/* SIGHUP: the timeouts and max_unsent of server_config, for the clients
 * and frames from now on. */
void server_set_limits(struct server *sv, unsigned handshake_ms,
    unsigned frame_ms, size_t max_unsent);
/* Stops accepting new connections (shutdown, first step); removes the
 * socket it bound. */
void server_stop_listening(struct server *sv);
/* Closes every client connection and the server's timers (shutdown, last
 * step). */
void server_close_all(struct server *sv);
/* Frees the handle once the loop has stopped (after server_stop_listening
 * and server_close_all, when every handle has closed).  NULL is fine. */
void server_free(struct server *sv);

#endif
