/*
 * pool_int.h - what the files of the worker pool share: the pool and its
 * slots (pool.c: start, supervision, stop; pool_run.c: requests), the reading of the
 * workers' report pipes (pool_report.c) and the watch over heartbeats and
 * deadlines with the killing of a hung worker's tree (pool_watch.c).  Loop
 * thread only.
 */
#ifndef JOBQD_POOL_INT_H
#define JOBQD_POOL_INT_H

#include <sys/types.h>

#include <mqueue.h>
#include <stdint.h>

#include <uv.h>

#include "pool.h"
#include "wire.h"

#define POOL_NAME_MAX       64
#define POOL_WATCH_MS       250		/* heartbeats and deadlines checked */

struct pool_slot {
	struct pool *pool;
	int index;
	unsigned gen;
	char mqname[POOL_NAME_MAX];
	mqd_t mq;			/* (mqd_t)-1 when none */
	mqd_t mq_rd;			/* worker's end until handed over */

	uv_process_t proc;
	uv_pipe_t pipe;
	uv_timer_t timer;		/* EOF wait, then restart backoff */
	int running;			/* a worker generation exists */
	int proc_open, pipe_open;	/* handles not closed yet */
	int exited;			/* process reaped (or never started) */
	int64_t exit_status;
	int term_signal;
	pid_t pid;
	uint64_t start_ms;
	int ready;			/* READY seen for this generation */
	int broken;			/* protocol or queue error, or EOF:
					 * being killed, takes no job */
	int up;				/* ready() was the last word to the
					 * callbacks (lost() not since) */
	int killed;			/* its tree got SIGKILL (pool_watch) */
	int64_t deadline_ms;		/* CLOCK_MONOTONIC: the job told to
					 * stop must have ended by then, else
					 * the worker is hung (0: none) */

	unsigned quick_deaths;
	unsigned backoff_ms;

	/* The job this worker holds. */
	int busy;
	int64_t job_id;
	unsigned attempt;
	pid_t job_pid;
	int job_shm;
	char shm_name[POOL_NAME_MAX];

	/* The job sent ahead (pool.h: running ahead), begun by the worker
	 * after the one above; next_withdrawn: WITHDRAW sent. */
	int next_busy, next_withdrawn, next_shm;
	int64_t next_id;
	unsigned next_attempt;
	char next_shm_name[POOL_NAME_MAX];

	/* Report stream reassembly. */
	char rdbuf[4096];
	unsigned char rec[sizeof(struct wire_report)];
	size_t reclen;
};

struct pool {
	uv_loop_t *loop;
	char *exe;
	pid_t pid;
	int n;
	struct pool_slot *slots;
	struct pool_callbacks cb;
	void *arg;
	struct scoreboard *sb;		/* slot i is the scoreboard's slot i */
	unsigned worker_timeout_ms;
	const char *cgroup_jobs;	/* pool_config's: NULL or not owned */

	uv_timer_t watch_timer;		/* pool_watch.c, every POOL_WATCH_MS */
	int64_t watch_last;		/* CLOCK_MONOTONIC of its last run */
	int64_t watch_base;		/* heartbeats count from here at least
					 * (the daemon itself did not run) */

	int stopping;
	int failed;			/* pool_start failed: free, no done() */
	void (*done)(void *);
	void *done_arg;
	uv_timer_t stop_timer;
	int stop_phase;			/* 0 QUIT sent, 1 TERM sent, 2 KILL sent */
	int nhandles;			/* open uv handles */
	int finishing;			/* closing the timers */
	int starting;			/* inside pool_start: no retries */
};

/* pool.c */
/* Sends sig to the slot's worker if it is alive. */
void pool_kill_worker(struct pool_slot *s, int sig);
/* Closes the report pipe (once). */
void pool_close_pipe(struct pool_slot *s);
/* Unlinks the shm object of the slot's job spec, if any. */
int pool_code(int r);
int pool_send(struct pool_slot *, const char *what, const void *msg,
    size_t len);
void pool_next_release(struct pool_slot *);
void pool_next_promote(struct pool_slot *);
void pool_shm_release(struct pool_slot *s);
/* 1 if the slot's worker can take a job once it is idle. */
int pool_slot_usable(const struct pool_slot *s);
/* The slot's worker can take no job any more: if the callbacks were told
 * ready(), tell them lost(slot, 0, 0).  Never from inside pool_run() or
 * pool_cancel(). */
void pool_slot_down(struct pool_slot *s);
/* ready(slot), when the slot is usable and idle. */
void pool_slot_up(struct pool_slot *s);

/* pool_report.c: uv_read_start callbacks of a slot's report pipe. */
void pool_report_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void pool_report_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* pool_watch.c */
/* Starts the watch timer (initialised and counted in nhandles). */
int pool_watch_start(struct pool *p);
/* Closes it (teardown); close_cb as for the other timers. */
void pool_watch_close(struct pool *p, uv_close_cb close_cb);
/* The slot's job was told to stop with grace_ms: it must end by grace_ms
 * + POOL_MARGIN_MS from now, or the worker is handled as hung. */
void pool_watch_deadline(struct pool_slot *s, unsigned grace_ms);
/* SIGKILL to the slot's worker and its whole process tree (the job's
 * group, every descendant, then the worker); the worker is marked broken:
 * its reports are ignored from now on and its job ends through lost(). */
void pool_watch_kill(struct pool_slot *s);

#endif
