/*
 * submitters.c - libjobq load generator for bench.sh.
 *
 *   submitters SOCK K N [--no-wait] [--queue Q] [--priority P] [--ids FILE]
 *
 * K threads, each with its own connection, submit N /bin/true jobs between
 * them.  Prints the acknowledged submits per second (first submit to last
 * acknowledgement); then, unless --no-wait, waits for every job and prints
 * end-to-end completed jobs per second (first submit to the last job's
 * finished_at as recorded by jobqd).  --ids FILE writes the ids of the jobs
 * submitted, one a line, once all are acknowledged.
 *
 * Output lines (machine-readable, one per figure):
 *   submit K N SECONDS RATE
 *   complete N SECONDS RATE FAILED
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "jobq.h"

struct thr {
	const char *sock;
	const char *queue;
	int priority;
	long n;
	int64_t *ids;
	int err;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void *submitter(void *p)
{
	struct thr *t = p;
	jobq_client *c;
	const char *argv[] = { "/bin/true", NULL };
	const char *env[] = { NULL };
	jobq_submit_opts o;

	if ((t->err = jobq_connect(t->sock, &c)) != 0)
		return NULL;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.env = env;
	o.cwd = "/";
	o.queue = t->queue;
	o.priority = t->priority;
	for (long i = 0; i < t->n; i++)
		if ((t->err = jobq_submit(c, &o, &t->ids[i])) != 0)
			break;
	jobq_close(c);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: submitters SOCK K N [--no-wait] [--queue Q] "
		    "[--priority P]\n");
		return 2;
	}
	const char *sock = argv[1], *queue = NULL, *idsfile = NULL;
	int k = atoi(argv[2]), do_wait = 1, priority = 0;
	long n = atol(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--no-wait") == 0)
			do_wait = 0;
		else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc)
			queue = argv[++i];
		else if (strcmp(argv[i], "--priority") == 0 && i + 1 < argc)
			priority = atoi(argv[++i]);
		else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
			idsfile = argv[++i];
	}
	if (k < 1 || n < k) {
		fprintf(stderr, "submitters: need K >= 1 and N >= K\n");
		return 2;
	}
	struct thr *t = calloc((size_t)k, sizeof *t);
	pthread_t *th = calloc((size_t)k, sizeof *th);
	if (!t || !th)
		return 1;
	int64_t start_wall = wall_ms();
	double t0 = mono();
	for (int i = 0; i < k; i++) {
		t[i].sock = sock;
		t[i].queue = queue;
		t[i].priority = priority;
		t[i].n = n / k + (i < n % k);
		t[i].ids = calloc((size_t)t[i].n, sizeof(int64_t));
		if (!t[i].ids || pthread_create(&th[i], NULL, submitter, &t[i]) != 0)
			return 1;
	}
	for (int i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	double el = mono() - t0;
	for (int i = 0; i < k; i++)
		if (t[i].err) {
			fprintf(stderr, "submitters: thread %d: %s\n", i, jobq_strerror(t[i].err));
			return 1;
		}
	printf("submit %d %ld %.3f %.0f\n", k, n, el, n / el);
	if (idsfile != NULL) {
		FILE *f = fopen(idsfile, "w");

		if (f == NULL) {
			perror(idsfile);
			return 1;
		}
		for (int i = 0; i < k; i++)
			for (long j = 0; j < t[i].n; j++)
				fprintf(f, "%" PRId64 "\n", t[i].ids[j]);
		if (fclose(f) != 0)
			return 1;
	}
	fflush(stdout);
	if (!do_wait)
		return 0;

	jobq_client *c;
	int rc = jobq_connect(sock, &c);
	if (rc) {
		fprintf(stderr, "submitters: %s\n", jobq_strerror(rc));
		return 1;
	}
	int64_t last = 0;
	long failed = 0;
	for (int i = 0; i < k; i++)
		for (long j = 0; j < t[i].n; j++) {
			jobq_job *job;
			if ((rc = jobq_wait(c, t[i].ids[j], -1, &job)) != 0) {
				fprintf(stderr, "submitters: wait %" PRId64 ": %s\n", t[i].ids[j], jobq_strerror(rc));
				return 1;
			}
			if (job->state != JOBQ_STATE_SUCCEEDED)
				failed++;
			if (job->finished_at > last)
				last = job->finished_at;
			jobq_job_free(job);
		}
	jobq_close(c);
	double total = (last - start_wall) / 1000.0;
	if (total <= 0)
		total = mono() - t0;
	printf("complete %ld %.3f %.0f %ld\n", n, total, n / total, failed);
	return failed ? 1 : 0;
}
