/*
 * check_metrics.c - unit tests of metrics.c: a histogram's buckets and
 * sums, and the text rendering (families, labels escaped, cumulative
 * buckets ending at +Inf = count).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

START_TEST(test_observe)
{
	struct metrics_hist h;

	memset(&h, 0, sizeof(h));
	metrics_observe(&h, 0.0003);	/* first bucket */
	metrics_observe(&h, 0.0005);	/* on the bound: that bucket */
	metrics_observe(&h, -2);	/* counts as 0 */
	metrics_observe(&h, 0.7);	/* le 1 */
	metrics_observe(&h, 1e6);	/* past the last bound: +Inf only */
	ck_assert_uint_eq(h.le[0], 3);
	ck_assert_uint_eq(h.le[10], 1);
	ck_assert_uint_eq(h.count, 5);
	ck_assert(h.sum > 1e6 + 0.7 && h.sum < 1e6 + 0.702);
	for (size_t i = 1; i < METRICS_NBOUNDS; i++)
		ck_assert(metrics_bounds[i] > metrics_bounds[i - 1]);
}
END_TEST

START_TEST(test_render)
{
	struct metrics m;
	struct metrics_hist commit;
	struct metrics_queue qs[2];
	struct metrics_snapshot snap;
	char *t;

	memset(&m, 0, sizeof(m));
	memset(&commit, 0, sizeof(commit));
	memset(qs, 0, sizeof(qs));
	m.submitted = 7;
	m.finished[JOBQ_STATE_SUCCEEDED] = 4;
	m.finished[JOBQ_STATE_FAILED] = 2;
	metrics_observe(&m.run, 0.02);
	metrics_observe(&m.run, 2);
	metrics_observe(&commit, 0.004);
	qs[0].name = "default";
	qs[0].counts[JOBQ_STATE_QUEUED] = 1;
	qs[1].name = "we\"ird\\q";
	qs[1].counts[JOBQ_STATE_RUNNING] = 3;
	memset(&snap, 0, sizeof(snap));
	snap.version = "9.9";
	snap.uptime_s = 12.5;
	snap.workers = 4;
	snap.busy = 3;
	snap.m = &m;
	snap.commit = &commit;
	snap.queues = qs;
	snap.nqueues = 2;
	t = metrics_render(&snap);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE jobq_jobs gauge\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_jobs{queue=\"default\",state=\"queued\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_jobs{queue=\"we\\\"ird\\\\q\",state=\"running\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "jobq_jobs_submitted_total 7\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_jobs_finished_total{state=\"succeeded\"} 4\n"));
	/* only final states are finished */
	ck_assert_ptr_null(strstr(t,
	    "jobq_jobs_finished_total{state=\"queued\"}"));
	/* cumulative buckets */
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_job_run_seconds_bucket{le=\"0.025\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_job_run_seconds_bucket{le=\"2.5\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_job_run_seconds_bucket{le=\"3600\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_job_run_seconds_bucket{le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "jobq_job_run_seconds_count 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "jobq_job_run_seconds_sum 2.020000\n"));
	ck_assert_ptr_nonnull(strstr(t,
	    "jobq_store_commit_seconds_bucket{le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "jobq_workers_busy 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "jobq_build_info{version=\"9.9\"} 1\n"));
	ck_assert(t[strlen(t) - 1] == '\n');
	free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_observe);
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
