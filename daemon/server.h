/*
 * server.h - the listening socket and the client connections: framing,
 * handshake, request decoding and dispatch to dispatch, replies.
 */
#ifndef JOBQD_SERVER_H
#define JOBQD_SERVER_H

#include <uv.h>

struct dispatch;

/* Binds cfg.socket_path (or adopts cfg.listen_fd) and starts accepting.
 * Returns 0 or a negative errno with a message logged. */
int server_start(uv_loop_t *loop, struct dispatch *s);
/* Stops accepting new connections (shutdown, first step). */
void server_stop_listening(void);
/* Closes every client connection (shutdown, last step). */
void server_close_all(void);

#endif
