/*
 * dispatch.h - jobs in flight, on the loop thread: the table of active (queued
 * and running) jobs, dispatch to free workers, waiters, cancellation and the
 * shutdown sequence.  It drives store.c for persistence and pool.c for
 * execution, and answers the requests server.c decodes.
 *
 * Every request hands dispatch a struct dispatch_req; dispatch calls r->reply exactly
 * once (possibly before returning).  While dispatch holds a request it sets
 * r->abandon; the server calls it if the client goes away, after which dispatch
 * never touches r again and r->reply is not called.
 */
#ifndef JOBQD_DISPATCH_H
#define JOBQD_DISPATCH_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>
#include <cjson/cJSON.h>
#include "proto.h"

struct store;
struct store_queued;
struct dispatch;

struct dispatch_req {
	void (*reply)(struct dispatch_req *r, cJSON *reply); /* consumes reply */
	void (*abandon)(struct dispatch_req *r);  /* set by dispatch while it holds r */
	void *priv;                            /* dispatch's */
	uid_t uid;                             /* the client's peer credentials */
};

int dispatch_start(uv_loop_t *loop, struct store *store,
    struct store_queued *queued, size_t nqueued, struct dispatch **out);

/* s->argv etc. point into req_json, which dispatch keeps until it replies and
 * then frees (cJSON_Delete).  dispatch also calls proto_submit_release(sub). */
void dispatch_submit(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_submit *sub);
void dispatch_get(struct dispatch *s, struct dispatch_req *r, int64_t id);
void dispatch_list(struct dispatch *s, struct dispatch_req *r, int state,
    const char *queue, size_t limit);
void dispatch_cancel(struct dispatch *s, struct dispatch_req *r, int64_t id);
void dispatch_wait(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int64_t timeout_ms);
void dispatch_logs(struct dispatch *s, struct dispatch_req *r, int64_t id,
    int stream, uint64_t offset, size_t max);
/* {"ok":true,...} for ping. */
cJSON *dispatch_ping(struct dispatch *s);

int dispatch_shutting_down(const struct dispatch *s);
/* Orderly stop: interrupts running jobs, stops the workers, closes the store,
 * then calls done(arg). */
void dispatch_shutdown(struct dispatch *s, void (*done)(void *arg), void *arg);

#endif
