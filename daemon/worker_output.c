/*
 * worker_output.c - the output limit of the running job, in the worker:
 * the sizes of its stdout and stderr files, looked at through descriptors
 * the worker keeps (fstat, at least every WORKER_OUTPUT_PERIOD_MS while
 * the job runs and once when it has ended); a file that grew past the
 * limit gets the job's group SIGKILL, and once the group is gone it is
 * truncated to the limit and marked.
 *
 *   worker_spawn() --res.output--> worker.c keeps it while the job runs
 *     poll() timeout: worker_output_timeout()
 *     after each wake-up: worker_output_poll() --past the limit--> SIGKILL
 *     job reaped, group drained: worker_output_end() --> truncate + marker,
 *       WIRE_END_OUTPUT_* in the FINISHED report (the daemon ends the job
 *       failed, reason output_limit)
 *
 * The limit counts the bytes a file gained during the run (its size minus
 * its size when the run began): a retried job appends to the output of
 * its earlier runs, and each run may add `limit` bytes to each file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "wire.h"
#include "worker_int.h"

#define WORKER_OUTPUT_PERIOD_MS 100

static const char *const worker_output_name[2] = { "stdout", "stderr" };

int
worker_output_timeout(const struct worker_output *o)
{
	int64_t left;

	if (o->limit == 0)
		return -1;
	left = o->next_ms - util_mono_ms();
	if (left <= 0)
		return 0;
	return left > WORKER_OUTPUT_PERIOD_MS ? WORKER_OUTPUT_PERIOD_MS :
	    (int)left;
}

/* The WIRE_END_OUTPUT_* of the files now past their limit. */
static uint32_t
worker_output_scan(const struct worker_output *o)
{
	static const uint32_t bit[2] = { WIRE_END_OUTPUT_OUT,
	    WIRE_END_OUTPUT_ERR };
	struct stat st;
	uint64_t size;
	uint32_t over = 0;
	int i;

	for (i = 0; i < 2; i++) {
		if (o->fd[i] == -1)
			continue;
		if (fstat(o->fd[i], &st) == -1) {
			log_warn("fstat of the job's %s", worker_output_name[i]);
			continue;
		}
		size = (uint64_t)st.st_size;
		if (size > o->base[i] && size - o->base[i] > o->limit)
			over |= bit[i];
	}
	return over;
}

void
worker_output_poll(struct worker_output *o, pid_t pgid, int64_t job_id)
{
	int64_t now;
	uint32_t over;

	if (o->limit == 0 || pgid <= 0 || (now = util_mono_ms()) < o->next_ms)
		return;
	o->next_ms = now + WORKER_OUTPUT_PERIOD_MS;
	if (o->over != 0 || (over = worker_output_scan(o)) == 0)
		return;
	o->over = over;
	log_info("job %lld: %s passed the output limit of %llu bytes; "
	    "killing it", (long long)job_id, over == WIRE_END_OUTPUT_ERR ?
	    "stderr" : "stdout", (unsigned long long)o->limit);
	if (kill(-pgid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill(-%ld, SIGKILL)", (long)pgid);
}

/* The byte of file fd (open for writing only) at off, through a read-only
 * descriptor of the same file; '\n' if it cannot be read. */
static char
worker_output_byte(int fd, off_t off)
{
	char path[32], c = '\n';
	int rfd;

	(void)snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((rfd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return c;
	if (pread(rfd, &c, 1, off) != 1)
		c = '\n';
	(void)close(rfd);
	return c;
}

/* Cuts file i of o back to its limit and appends the marker line. */
static void
worker_output_cut(const struct worker_output *o, int i, int64_t job_id)
{
	char marker[96], last = '\n';
	off_t keep = (off_t)(o->base[i] + o->limit);
	ssize_t n;
	int len;

	if (ftruncate(o->fd[i], keep) == -1) {
		log_warn("job %lld: truncating its %s", (long long)job_id,
		    worker_output_name[i]);
		return;
	}
	if (keep > 0)
		last = worker_output_byte(o->fd[i], keep - 1);
	len = snprintf(marker, sizeof marker, "%sjobq: output truncated at "
	    "%llu bytes (output limit)\n", last == '\n' ? "" : "\n",
	    (unsigned long long)o->limit);
	do
		n = pwrite(o->fd[i], marker, (size_t)len, keep);
	while (n == -1 && errno == EINTR);
	if (n != len)
		log_warnx("job %lld: cannot mark its %s as truncated",
		    (long long)job_id, worker_output_name[i]);
}

uint32_t
worker_output_end(struct worker_output *o, int64_t job_id, uint64_t *limit)
{
	uint32_t over;
	int i;

	if (o->limit == 0)
		return 0;
	over = o->over | worker_output_scan(o);
	for (i = 0; i < 2; i++) {
		if (o->fd[i] == -1)
			continue;
		if (over & (i == 0 ? WIRE_END_OUTPUT_OUT : WIRE_END_OUTPUT_ERR))
			worker_output_cut(o, i, job_id);
		if (close(o->fd[i]) == -1)
			log_warn("close of the job's %s", worker_output_name[i]);
	}
	if (over != 0) {
		*limit = o->limit;
		log_info("job %lld: output truncated at the limit of %llu bytes",
		    (long long)job_id, (unsigned long long)o->limit);
	}
	memset(o, 0, sizeof *o);
	return over;
}
