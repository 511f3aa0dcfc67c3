/*
 * dispatch.h - jobs in flight, on the loop thread: the table of active (queued
 * and running) jobs, dispatch to free workers, waiters, cancellation and the
 * shutdown sequence.  It drives store.c for persistence and pool.c for
 * execution, and answers the requests server.c decodes.  Its files are
 * dispatch*.c (dispatch_int.h lists them and what each owns).
 *
 * Every request hands dispatch a struct dispatch_req; dispatch calls r->reply exactly
 * once (possibly before returning).  While dispatch holds a request it sets
 * r->abandon; the server calls it if the client goes away, after which dispatch
 * never touches r again and r->reply is not called.
 */
#ifndef JOBQD_DISPATCH_H
#define JOBQD_DISPATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>
#include <cjson/cJSON.h>
#include "proto.h"

struct store;
struct store_recovery;
struct scoreboard;
struct conf;
struct dispatch;

struct dispatch_req {
	/* Consumes reply.  NULL: something was done (a job stored, jobs
	 * purged) but the reply could not be built (out of memory); the
	 * server then closes the connection, so the client sees an unknown
	 * outcome rather than a refusal. */
	void (*reply)(struct dispatch_req *r, cJSON *reply);
	/* Sends one frame without ending the request (watch); consumes ev.
	 * Returns -1 if the connection is gone or fell too far behind: the
	 * caller must then forget r (abandon is not called any more). */
	int (*push)(struct dispatch_req *r, cJSON *ev);
	void (*abandon)(struct dispatch_req *r);  /* set by dispatch while it holds r */
	void *priv;                            /* dispatch's */
	uid_t uid;                             /* the client's peer credentials */
	/* access (jobqd.conf(5)), set by the server for each request: */
	const gid_t *groups;                   /* uid's groups (NSS), ngroups */
	int ngroups;
	int admin;                             /* root, jobqd's uid, or in the
	                                          admin-group: any job, queues */
	int vis;                               /* enum conf_visibility: what
	                                          it sees of others' jobs */
};

/* What a request names: a job id; task `index` of array `id` (has_index);
 * or the array `id` as a whole (array). */
struct dispatch_ref {
	int64_t id;
	int64_t index;
	int has_index;
	int array;
};

/* list filter; strings point into the request, which dispatch_list owns. */
struct dispatch_filter {
	unsigned states;           /* 1u << state for each wanted; 0 any */
	int64_t owner_uid;         /* -1 any */
	int count;                 /* 1: count the matches, limit aside */
	const char *queue;         /* NULL any */
	const char *name;          /* NULL any */
	const char *schedule;      /* NULL any: jobs.schedule */
	const char **labels;       /* malloc'd (dispatch frees), nlabels */
	size_t nlabels;
	int64_t array_id;          /* 0 any */
	size_t limit;
};

/* What dispatch needs of the daemon's configuration; dispatch_start()
 * copies it, strings included. */
struct dispatch_config {
	const char *exe;          /* this binary, to start the workers */
	const char *logs_dir;     /* the jobs' output: LOGS/ID.out, LOGS/ID.err */
	int logs_fd;              /* logs_dir, opened O_NOFOLLOW at start-up
	                             (the daemon's, kept open) */
	uint64_t output_limit;    /* --output-limit: bytes; 0 = none */
	uint64_t output_limit_max;/* --output-limit-max: 0 = none */
	int workers;              /* worker slots (>= 1) */
	unsigned kill_grace_ms;   /* TERM -> KILL for a cancel or a stop, unless
	                             the job has its own kill_grace_ms */
	int64_t keep_age_ms;      /* retention of ended jobs; 0 = for ever */
	size_t keep_count;        /* ended jobs kept at most; 0 = no limit */
	struct scoreboard *scoreboard; /* the workers' (scoreboard.h), at least
	                             `workers` slots; outlives dispatch */
	unsigned worker_timeout_ms; /* --worker-timeout: a worker without a
	                             heartbeat this long is hung */
	unsigned run_ahead_ms;    /* --run-ahead (dispatch_slot.c): a worker
	                             whose job started less than this ago may
	                             be handed its next job, which goes back
	                             to the queue if not begun this long
	                             after; 0: never */
	const struct conf *conf_file; /* jobqd.conf (conf.h), conf_empty()
	                             without one; not owned */
	/* cgroup (cgroup.h); not owned, must outlive dispatch */
	const char *isolation;    /* for ping: "cgroup PATH", "process-group" */
	const char *cgroup_jobs;  /* the jobs' parent cgroup; NULL: none */
	int64_t hook_timeout_ms;  /* --hook-timeout (hook.h) */
	int hook_max_running;     /* --hook-max-running */
	const char *metrics_file; /* --metrics-file; NULL: none */
	uint64_t metrics_interval_ms; /* --metrics-interval */
	const char *const *resources; /* --resource specs (checked) */
	size_t nresources;
	struct {                  /* the Slurm executor (dispatch_slurm.c) */
		const char *sbatch, *squeue, *scancel, *sacct; /* NULL: PATH */
		int64_t poll_ms;      /* --slurm-poll; 0: 1000 */
		int64_t timeout_ms;   /* --slurm-timeout per command; 0: 30000 */
	} slurm;
};

/* Loads the queued jobs into the scheduler, read one at a time from the
 * store (store_recover_queued_each: call it after store_recover_stream()
 * and before store_start(); rec has the rest), starts the workers and
 * applies retention once.  *nqueued: the jobs loaded.  Returns 0, or
 * JOBQ_ENOMEM / JOBQ_EINTERNAL (the workers could not be started; logged)
 * or a store error. */
int dispatch_start(uv_loop_t *loop, struct store *store,
    struct store_recovery *rec, const struct dispatch_config *conf,
    struct dispatch **out, size_t *nqueued);

/* s->argv etc. point into req_json, which dispatch keeps until it replies and
 * then frees (cJSON_Delete).  dispatch also calls proto_submit_release(sub). */
void dispatch_submit(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_submit *sub);
/* submit_batch (dispatch_batch.c): b's jobs point into req_json; dispatch
 * takes both (b is cleared), replies and frees them. */
struct proto_batch;
void dispatch_batch(struct dispatch *s, struct dispatch_req *r, cJSON *req_json,
    struct proto_batch *b);
void dispatch_get(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref);
/* Takes ownership of req (f's strings point into it). */
void dispatch_list(struct dispatch *s, struct dispatch_req *r, cJSON *req,
    struct dispatch_filter *f);
void dispatch_cancel(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref);
void dispatch_wait(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int64_t timeout_ms);
void dispatch_logs(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int stream, uint64_t offset, size_t max);
void dispatch_priority(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int priority);
void dispatch_retry(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref);
/* Holds (hold 1) or releases a queued job, or every queued task of an
 * array (dispatch_edit.c). */
void dispatch_hold(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int hold);
/* Edits a queued job; takes json and e (e's vectors; e is zeroed). */
struct proto_edit;
void dispatch_edit(struct dispatch *s, struct dispatch_req *r, cJSON *json,
    struct proto_edit *e);
void dispatch_history(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref);
/* Recurring schedules (dispatch_schedule.c).  schedule_add takes json and
 * a's template (a is zeroed); the others: op is the PROTO_OP_SCHEDULE_*
 * of the request. */
struct proto_schedule_add;
struct proto_schedule_ref;
void dispatch_schedule_add(struct dispatch *s, struct dispatch_req *r,
    cJSON *json, struct proto_schedule_add *a);
void dispatch_schedule_list(struct dispatch *s, struct dispatch_req *r);
void dispatch_schedule_op(struct dispatch *s, struct dispatch_req *r, int op,
    const struct proto_schedule_ref *ref);
/* older_than_ms 0: any age; state -1: any terminal state. */
void dispatch_purge(struct dispatch *s, struct dispatch_req *r,
    int64_t older_than_ms, int state);
/* parallel / paused < 0, exec NULL: unchanged (exec replaces the queue's
 * whole executor setting, proto.h). */
struct proto_exec;
void dispatch_queue_set(struct dispatch *s, struct dispatch_req *r,
    const char *queue, int parallel, int paused,
    const struct proto_exec *exec);
void dispatch_queue_list(struct dispatch *s, struct dispatch_req *r);
void dispatch_stats(struct dispatch *s, struct dispatch_req *r);
void dispatch_metrics(struct dispatch *s, struct dispatch_req *r);
/* Streams state changes of ids (n 0: all visible jobs) through r->push. */
void dispatch_watch(struct dispatch *s, struct dispatch_req *r,
    const int64_t *ids, size_t n);
/* {"ok":true,...} for ping. */
cJSON *dispatch_ping(struct dispatch *s);

/* How busy jobqd is, for its systemd STATUS= line (notify.c). */
struct dispatch_counts {
	size_t queued;            /* waiting: blocked, delayed or ready */
	size_t running;
	int busy;                 /* workers running a job */
	int workers;
};
void dispatch_counts(const struct dispatch *s, struct dispatch_counts *c);

int dispatch_shutting_down(const struct dispatch *s);
/* The configuration in force from now on (SIGHUP); not owned. */
void dispatch_set_conf(struct dispatch *s, const struct conf *c);
/* SIGHUP: the options of dispatch_config that may change at run time
 * (jobqd.conf(5)); a tighter keep-age or keep-count is applied at once.
 * Jobs running keep the output limit they started with. */
void dispatch_set_limits(struct dispatch *s, unsigned kill_grace_ms,
    int64_t keep_age_ms, size_t keep_count, uint64_t output_limit,
    uint64_t output_limit_max);
/* Orderly stop: interrupts running jobs, stops the workers, closes the store,
 * then calls done(arg). */
void dispatch_shutdown(struct dispatch *s, void (*done)(void *arg), void *arg);

#endif
