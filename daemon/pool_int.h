/*
 * pool_int.h - what the files of the worker pool share: the pool and its
 * slots (pool.c: start, requests, supervision, stop) and the reading of
 * the workers' report pipes (pool_report.c).  Loop thread only.
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

	unsigned quick_deaths;
	unsigned backoff_ms;

	/* The job this worker holds. */
	int busy;
	int64_t job_id;
	unsigned attempt;
	pid_t job_pid;
	int job_shm;
	char shm_name[POOL_NAME_MAX];

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

#endif
