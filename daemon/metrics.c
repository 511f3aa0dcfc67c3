/*
 * metrics.c - cumulative histograms and the Prometheus text rendering of
 * jobqd's metrics (metrics.h lists the families).  Pure: tested by
 * tests/check_metrics.c, and against a real Prometheus parser by
 * tests/integration/metrics.sh.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const double metrics_bounds[METRICS_NBOUNDS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 300, 3600
};

void
metrics_observe(struct metrics_hist *h, double seconds)
{
	size_t i;

	if (!(seconds > 0))
		seconds = 0;
	for (i = 0; i < METRICS_NBOUNDS; i++)
		if (seconds <= metrics_bounds[i]) {
			h->le[i]++;
			break;
		}
	h->count++;
	h->sum += seconds;
}

/* A growing text buffer; failed is set once an allocation failed. */
struct metrics_buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void __attribute__((__format__(__printf__, 2, 3)))
metrics_add(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t ncap;
	char *np;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
		    b->p != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		ncap = b->cap ? b->cap * 2 : 4096;
		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A label value, escaped: backslash, double quote and newline. */
static void
metrics_label(struct metrics_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			metrics_add(b, "\\\\");
		else if (*v == '"')
			metrics_add(b, "\\\"");
		else if (*v == '\n')
			metrics_add(b, "\\n");
		else
			metrics_add(b, "%c", *v);
	}
}

static void
metrics_head(struct metrics_buf *b, const char *name, const char *type,
    const char *help)
{
	metrics_add(b, "# HELP jobq_%s %s\n# TYPE jobq_%s %s\n", name, help,
	    name, type);
}

static void
metrics_hist(struct metrics_buf *b, const char *name, const char *help,
    const struct metrics_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	metrics_head(b, name, "histogram", help);
	for (i = 0; i < METRICS_NBOUNDS; i++) {
		cum += h->le[i];
		metrics_add(b, "jobq_%s_bucket{le=\"%g\"} %llu\n", name,
		    metrics_bounds[i], (unsigned long long)cum);
	}
	metrics_add(b, "jobq_%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)h->count);
	metrics_add(b, "jobq_%s_sum %.6f\n", name, h->sum);
	metrics_add(b, "jobq_%s_count %llu\n", name,
	    (unsigned long long)h->count);
}

char *
metrics_render(const struct metrics_snapshot *snap)
{
	struct metrics_buf b;
	size_t q;
	int st;

	memset(&b, 0, sizeof(b));
	metrics_head(&b, "build_info", "gauge", "jobqd's version (always 1).");
	metrics_add(&b, "jobq_build_info{version=\"");
	metrics_label(&b, snap->version);
	metrics_add(&b, "\"} 1\n");
	metrics_head(&b, "uptime_seconds", "gauge", "Seconds since jobqd "
	    "started.");
	metrics_add(&b, "jobq_uptime_seconds %.3f\n", snap->uptime_s);
	metrics_head(&b, "workers", "gauge", "Worker slots.");
	metrics_add(&b, "jobq_workers %d\n", snap->workers);
	metrics_head(&b, "workers_busy", "gauge", "Worker slots running a "
	    "job.");
	metrics_add(&b, "jobq_workers_busy %d\n", snap->busy);
	metrics_head(&b, "jobs", "gauge", "Jobs jobqd holds, by queue and "
	    "state.");
	for (q = 0; q < snap->nqueues; q++)
		for (st = 0; st < JOBQ_STATE_COUNT; st++) {
			metrics_add(&b, "jobq_jobs{queue=\"");
			metrics_label(&b, snap->queues[q].name);
			metrics_add(&b, "\",state=\"%s\"} %zu\n",
			    jobq_state_name((jobq_state)st),
			    snap->queues[q].counts[st]);
		}
	metrics_head(&b, "jobs_submitted_total", "counter", "Jobs and array "
	    "tasks accepted since jobqd started.");
	metrics_add(&b, "jobq_jobs_submitted_total %llu\n",
	    (unsigned long long)snap->m->submitted);
	metrics_head(&b, "jobs_finished_total", "counter", "Jobs that ended "
	    "since jobqd started, by final state.");
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		if (jobq_state_is_terminal((jobq_state)st))
			metrics_add(&b, "jobq_jobs_finished_total{state=\"%s\"} "
			    "%llu\n", jobq_state_name((jobq_state)st),
			    (unsigned long long)snap->m->finished[st]);
	metrics_hist(&b, "job_wait_seconds", "From submit (or the due time) "
	    "to the start, of jobs that ended.", &snap->m->wait);
	metrics_hist(&b, "job_run_seconds", "From start to end, of jobs that "
	    "ended.", &snap->m->run);
	metrics_hist(&b, "store_commit_seconds", "One store transaction, "
	    "BEGIN to the COMMIT's return (fsyncs included).", snap->commit);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
