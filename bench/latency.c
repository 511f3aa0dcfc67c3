/*
 * latency.c - bench.sh's "submit -> job start" row and its references,
 * measured interleaved in one run.
 *
 *   latency SOCK STAMP DIR N
 *
 * N rounds; each round, in this order, after the machine has been left
 * idle for IDLE_MS (10 ms) before each measurement:
 *   jobq   t0 = CLOCK_MONOTONIC; jobq_submit(STAMP DIR/fifo) on an open
 *          connection to the idle daemon; the job's first act writes its
 *          CLOCK_MONOTONIC into the FIFO: latency = stamp - t0.  Then
 *          jobq_wait for the job's end (its finish committed) so the next
 *          round starts on an idle daemon again.
 *   spawn  t0; posix_spawn(STAMP DIR/fifo); latency = stamp - t0 (the
 *          floor: starting a program at all); waitpid.
 *   sync   write 512 bytes to DIR/syncfile, t0, fdatasync, t1: one
 *          durable write after idle, on the state directory's file system.
 * Prints one line per measure: "NAME N P50_MS P99_MS MAX_MS".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"

#define IDLE_MS 10

extern char **environ;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void idle(void)
{
	struct timespec ts = { 0, IDLE_MS * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	int i99 = (int)(0.99 * (n - 1) + 0.5);

	qsort(v, (size_t)n, sizeof *v, cmp);
	printf("%s %d %.3f %.3f %.3f\n", name, n, v[(n - 1) / 2], v[i99], v[n - 1]);
}

static int read_stamp(int fd, int64_t *ns)
{
	ssize_t r;

	while ((r = read(fd, ns, sizeof *ns)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof *ns ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *sock, *stampprog, *dir;
	char fifo[4096], syncf[4096], buf[512];
	double *lj, *ls, *lf;
	jobq_client *c;
	jobq_submit_opts o;
	const char *jargv[3];
	const char *env[] = { NULL };
	int n, ffd, sfd, rc;

	if (argc != 5) {
		fprintf(stderr, "usage: latency SOCK STAMP DIR N\n");
		return 2;
	}
	sock = argv[1];
	stampprog = argv[2];
	dir = argv[3];
	n = atoi(argv[4]);
	if (n < 1)
		return 2;
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	snprintf(syncf, sizeof syncf, "%s/syncfile", dir);
	/* O_RDWR: opening never blocks, and the FIFO never reports EOF */
	if ((mkfifo(fifo, 0666) != 0 && errno != EEXIST) ||
	    (ffd = open(fifo, O_RDWR)) < 0 ||
	    (sfd = open(syncf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		perror("latency");
		return 1;
	}
	memset(buf, 'x', sizeof buf);
	lj = calloc((size_t)n, sizeof *lj);
	ls = calloc((size_t)n, sizeof *ls);
	lf = calloc((size_t)n, sizeof *lf);
	if (lj == NULL || ls == NULL || lf == NULL)
		return 1;
	if ((rc = jobq_connect(sock, &c)) != 0) {
		fprintf(stderr, "latency: %s\n", jobq_strerror(rc));
		return 1;
	}
	jargv[0] = stampprog;
	jargv[1] = fifo;
	jargv[2] = NULL;
	memset(&o, 0, sizeof o);
	o.argv = jargv;
	o.env = env;
	o.cwd = "/";
	for (int i = 0; i < n; i++) {
		int64_t t0, st, id;
		jobq_job *job;
		pid_t pid;
		int wst;

		idle();
		t0 = mono_ns();
		if ((rc = jobq_submit(c, &o, &id)) != 0) {
			fprintf(stderr, "latency: submit: %s\n", jobq_strerror(rc));
			return 1;
		}
		if (read_stamp(ffd, &st) != 0)
			return 1;
		lj[i] = (st - t0) / 1e6;
		if ((rc = jobq_wait(c, id, -1, &job)) != 0) {
			fprintf(stderr, "latency: wait: %s\n", jobq_strerror(rc));
			return 1;
		}
		jobq_job_free(job);

		idle();
		t0 = mono_ns();
		if (posix_spawn(&pid, stampprog, NULL, NULL, (char **)jargv, environ) != 0)
			return 1;
		if (read_stamp(ffd, &st) != 0)
			return 1;
		ls[i] = (st - t0) / 1e6;
		waitpid(pid, &wst, 0);

		idle();
		if (pwrite(sfd, buf, sizeof buf, (off_t)(i % 64) * 4096) != (ssize_t)sizeof buf)
			return 1;
		t0 = mono_ns();
		if (fdatasync(sfd) != 0)
			return 1;
		lf[i] = (mono_ns() - t0) / 1e6;
	}
	jobq_close(c);
	report("jobq", lj, n);
	report("spawn", ls, n);
	report("fdatasync", lf, n);
	return 0;
}
