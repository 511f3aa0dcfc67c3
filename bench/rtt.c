/*
 * rtt.c - request round trips through libjobq, for backlog.sh: what a
 * `jobq stats`, `jobq queue list` and `jobq list --limit 20` cost the
 * daemon and the wire, without the CLI's process start (which on a loaded
 * VM alone can take 10 ms; backlog.sh times the CLI too, and /bin/true as
 * that start's baseline).
 *
 *   rtt SOCK [N]   (default 21 rounds)
 *
 * One connection; each round times one jobq_get_stats(), one
 * jobq_queue_list() and one jobq_list() with limit 20, from the call to
 * its return, results freed outside the timing.  Prints one line:
 *   rtt N STATS_MS QLIST_MS LIST20_MS
 * each the median over the N rounds, in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jobq.h"

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return (v[n / 2]);
}

int
main(int argc, char **argv)
{
	jobq_client *c;
	jobq_stats st;
	jobq_queue_info *qs;
	jobq_job **jobs;
	jobq_filter f = { .state = -1, .limit = 20 };
	size_t nq, nj;
	double *ts, *tq, *tl, t0;
	int i, n, rv;

	if (argc < 2) {
		fprintf(stderr, "usage: rtt SOCK [N]\n");
		return (2);
	}
	n = argc > 2 ? atoi(argv[2]) : 21;
	if (n < 1)
		n = 1;
	ts = calloc((size_t)n, sizeof *ts);
	tq = calloc((size_t)n, sizeof *tq);
	tl = calloc((size_t)n, sizeof *tl);
	if (ts == NULL || tq == NULL || tl == NULL)
		return (1);
	if ((rv = jobq_connect(argv[1], &c)) < 0) {
		fprintf(stderr, "rtt: %s: %s\n", argv[1], jobq_strerror(rv));
		return (1);
	}
	for (i = 0; i < n; i++) {
		t0 = mono_ms();
		if ((rv = jobq_get_stats(c, &st)) < 0)
			goto fail;
		ts[i] = mono_ms() - t0;
		jobq_stats_release(&st);
		t0 = mono_ms();
		if ((rv = jobq_queue_list(c, &qs, &nq)) < 0)
			goto fail;
		tq[i] = mono_ms() - t0;
		jobq_queue_list_free(qs);
		t0 = mono_ms();
		if ((rv = jobq_list(c, &f, &jobs, &nj)) < 0)
			goto fail;
		tl[i] = mono_ms() - t0;
		jobq_job_list_free(jobs, nj);
	}
	printf("rtt %d %.3f %.3f %.3f\n", n, median(ts, n), median(tq, n),
	    median(tl, n));
	jobq_close(c);
	return (0);
fail:
	fprintf(stderr, "rtt: %s\n", jobq_last_error(c) ? jobq_last_error(c) :
	    jobq_strerror(rv));
	return (1);
}
