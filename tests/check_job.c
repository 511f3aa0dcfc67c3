/*
 * check_job.c - unit tests of the job state machine (daemon/job.c): every
 * (state, event) pair against a table written from the diagram in job.h
 * (each allowed edge and each refused one), the attempt count after every
 * edge, the retry budget at its boundaries and the crash flag of
 * JOB_EV_INTERRUPT.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

#define NEVENTS JOB_EV_COUNT

/* Expected outcome with no retry budget (attempts 1, max_retries 0). */
struct expect {
	int ok;
	jobq_state state;
	const char *reason;
	int dattempts;   /* attempts after minus before (retry: set to 0) */
};

static struct expect
expected(jobq_state from, enum job_event ev, int exit_code, int crash)
{
	struct expect e = { 0, 0, NULL, 0 };

	if (from == JOBQ_STATE_QUEUED) {
		if (ev == JOB_EV_CLAIM)
			e = (struct expect){ 1, JOBQ_STATE_RUNNING, NULL, 1 };
		else if (ev == JOB_EV_CANCEL)
			e = (struct expect){ 1, JOBQ_STATE_CANCELED,
			    "canceled", 0 };
		else if (ev == JOB_EV_DEP_CANCEL)
			e = (struct expect){ 1, JOBQ_STATE_CANCELED,
			    "dependency", 0 };
	} else if (jobq_state_is_terminal(from)) {
		if (ev == JOB_EV_RETRY)
			e = (struct expect){ 1, JOBQ_STATE_QUEUED, NULL, 0 };
	} else if (from == JOBQ_STATE_RUNNING) {
		switch (ev) {
		case JOB_EV_CLAIM:
		case JOB_EV_DEP_CANCEL:
		case JOB_EV_RETRY:
		case JOB_EV_COUNT:
			break;
		case JOB_EV_UNCLAIM:
			e = (struct expect){ 1, JOBQ_STATE_QUEUED, NULL, -1 };
			break;
		case JOB_EV_EXITED:
			e = exit_code == 0 ?
			    (struct expect){ 1, JOBQ_STATE_SUCCEEDED, NULL } :
			    (struct expect){ 1, JOBQ_STATE_FAILED,
			    "exit_code" };
			break;
		case JOB_EV_SIGNALED:
			e = (struct expect){ 1, JOBQ_STATE_FAILED, "signal" };
			break;
		case JOB_EV_SPAWN_FAILED:
			e = (struct expect){ 1, JOBQ_STATE_FAILED,
			    "spawn_failed" };
			break;
		case JOB_EV_WORKER_LOST:
			e = (struct expect){ 1, JOBQ_STATE_FAILED,
			    "worker_lost" };
			break;
		case JOB_EV_CANCEL:
			e = (struct expect){ 1, JOBQ_STATE_CANCELED,
			    "canceled" };
			break;
		case JOB_EV_INTERRUPT:
			e = (struct expect){ 1, JOBQ_STATE_INTERRUPTED,
			    crash ? "daemon_crash" : "shutdown" };
			break;
		case JOB_EV_TIMEOUT:
			e = (struct expect){ 1, JOBQ_STATE_TIMED_OUT,
			    "timeout" };
			break;
		case JOB_EV_OUTPUT_LIMIT:
			e = (struct expect){ 1, JOBQ_STATE_FAILED,
			    "output_limit" };
			break;
		}
	}
	return (e);
}

static void
check_reason(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
	}
}

START_TEST(test_all_pairs)
{
	struct job_outcome o, sentinel = { JOBQ_STATE_COUNT, "x", 42, 77 };
	struct expect e;
	int st, ev, code, crash, ret, nok = 0, nrefused = 0;
	static const int codes[] = { 0, 1, 255 };

	for (st = 0; st < JOBQ_STATE_COUNT; st++)
	for (ev = 0; ev < NEVENTS; ev++)
	for (code = 0; code < 3; code++)
	for (crash = 0; crash < 2; crash++) {
		o = sentinel;
		ret = job_transition(st, ev, 1, 0, codes[code], crash, &o);
		e = expected(st, ev, codes[code], crash);
		if (!e.ok) {
			ck_assert_msg(ret == JOBQ_ESTATE, "%d/%s: got %d",
			    st, job_event_name(ev), ret);
			/* out untouched */
			ck_assert_int_eq(o.state, sentinel.state);
			ck_assert_ptr_eq(o.reason, sentinel.reason);
			ck_assert_int_eq(o.retry, 42);
			ck_assert_int_eq(o.attempts, 77);
			nrefused++;
			continue;
		}
		ck_assert_msg(ret == 0, "%d/%s", st, job_event_name(ev));
		ck_assert_int_eq(o.state, e.state);
		check_reason(o.reason, e.reason);
		ck_assert_int_eq(o.retry, 0);
		ck_assert_int_eq(o.attempts, ev == JOB_EV_RETRY ? 0 :
		    1 + e.dattempts);
		nok++;
	}
	/* 3 edges from queued, 9 from running, retry from each of the 5
	 * terminal states; every other pair is refused. */
	ck_assert_int_eq(nok, (3 + 9 + 5) * 3 * 2);
	ck_assert_int_eq(nrefused,
	    (JOBQ_STATE_COUNT * NEVENTS - (3 + 9 + 5)) * 3 * 2);
}
END_TEST

START_TEST(test_terminal_only_retry)
{
	struct job_outcome o;
	int st, ev;

	/* Whatever the budget, only a user's retry leaves a terminal state,
	 * and it starts the count of attempts again. */
	for (st = JOBQ_STATE_SUCCEEDED; st < JOBQ_STATE_COUNT; st++) {
		for (ev = 0; ev < NEVENTS; ev++) {
			if (ev == JOB_EV_RETRY)
				continue;
			ck_assert_int_eq(job_transition(st, ev, 0, 100, 0, 0,
			    &o), JOBQ_ESTATE);
		}
		ck_assert_int_eq(job_transition(st, JOB_EV_RETRY, 5, 2, 0, 0,
		    &o), 0);
		ck_assert_int_eq(o.state, JOBQ_STATE_QUEUED);
		ck_assert_int_eq(o.attempts, 0);
		ck_assert_int_eq(o.retry, 0);
	}
	/* Out-of-range values are refused too. */
	ck_assert_int_eq(job_transition(JOBQ_STATE_COUNT, JOB_EV_CLAIM, 0, 0,
	    0, 0, &o), JOBQ_ESTATE);
	ck_assert_int_eq(job_transition(-1, JOB_EV_CLAIM, 0, 0, 0, 0, &o),
	    JOBQ_ESTATE);
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, NEVENTS, 0, 0,
	    0, 0, &o), JOBQ_ESTATE);
}
END_TEST

START_TEST(test_retry_budget)
{
	static const enum job_event retrying[] = {
		JOB_EV_EXITED, JOB_EV_SIGNALED, JOB_EV_SPAWN_FAILED,
		JOB_EV_WORKER_LOST, JOB_EV_INTERRUPT, JOB_EV_TIMEOUT,
		JOB_EV_OUTPUT_LIMIT
	};
	static const char *const reasons[] = {
		"exit_code", "signal", "spawn_failed", "worker_lost",
		"daemon_crash", "timeout", "output_limit"
	};
	struct job_outcome o;
	size_t i;
	int att;

	for (i = 0; i < sizeof(retrying) / sizeof(retrying[0]); i++) {
		/* max_retries = 2: three runs in all. */
		for (att = 1; att <= 2; att++) {
			ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING,
			    retrying[i], att, 2, 7, 1, &o), 0);
			ck_assert_int_eq(o.retry, 1);
			ck_assert_int_eq(o.state, JOBQ_STATE_QUEUED);
			/* the reason of the failed attempt is kept */
			check_reason(o.reason, reasons[i]);
		}
		/* attempts == max_retries + 1 (the third run): exhausted */
		for (att = 3; att <= 4; att++) {
			ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING,
			    retrying[i], att, 2, 7, 1, &o), 0);
			ck_assert_int_eq(o.retry, 0);
			ck_assert_int_eq(o.state,
			    retrying[i] == JOB_EV_INTERRUPT ?
			    JOBQ_STATE_INTERRUPTED :
			    retrying[i] == JOB_EV_TIMEOUT ?
			    JOBQ_STATE_TIMED_OUT : JOBQ_STATE_FAILED);
			check_reason(o.reason, reasons[i]);
		}
	}

	/* max_retries 0: the first failure is final. */
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_EXITED, 1,
	    0, 1, 0, &o), 0);
	ck_assert_int_eq(o.retry, 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_FAILED);
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_EXITED, 0,
	    0, 1, 0, &o), 0);
	ck_assert_int_eq(o.retry, 1);
}
END_TEST

START_TEST(test_no_retry_on_success_or_cancel)
{
	struct job_outcome o;

	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_EXITED, 1,
	    10, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(o.retry, 0);
	ck_assert_ptr_null(o.reason);

	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_CANCEL, 1,
	    10, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_CANCELED);
	ck_assert_int_eq(o.retry, 0);
	ck_assert_str_eq(o.reason, "canceled");

	ck_assert_int_eq(job_transition(JOBQ_STATE_QUEUED, JOB_EV_CANCEL, 0,
	    10, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_CANCELED);
	ck_assert_int_eq(o.retry, 0);

	ck_assert_int_eq(job_transition(JOBQ_STATE_QUEUED, JOB_EV_CLAIM, 0,
	    10, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(o.retry, 0);
	ck_assert_ptr_null(o.reason);
}
END_TEST

START_TEST(test_crash_flag)
{
	struct job_outcome o;

	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_INTERRUPT,
	    1, 0, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_INTERRUPTED);
	ck_assert_str_eq(o.reason, "shutdown");
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_INTERRUPT,
	    1, 0, 0, 1, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_INTERRUPTED);
	ck_assert_str_eq(o.reason, "daemon_crash");
	/* the crash flag means nothing to other events */
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_SIGNALED,
	    1, 0, 0, 1, &o), 0);
	ck_assert_str_eq(o.reason, "signal");
}
END_TEST

START_TEST(test_unclaim)
{
	struct job_outcome o;

	/* an unclaimed job gets its attempt back, never below 0, and is not
	 * a retry (no budget is spent) */
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_UNCLAIM,
	    3, 0, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(o.attempts, 2);
	ck_assert_int_eq(o.retry, 0);
	ck_assert_ptr_null(o.reason);
	ck_assert_int_eq(job_transition(JOBQ_STATE_RUNNING, JOB_EV_UNCLAIM,
	    0, 0, 0, 0, &o), 0);
	ck_assert_int_eq(o.attempts, 0);
	ck_assert_int_eq(job_transition(JOBQ_STATE_QUEUED, JOB_EV_UNCLAIM,
	    1, 0, 0, 0, &o), JOBQ_ESTATE);
	/* a claim counts a start */
	ck_assert_int_eq(job_transition(JOBQ_STATE_QUEUED, JOB_EV_CLAIM,
	    4, 0, 0, 0, &o), 0);
	ck_assert_int_eq(o.attempts, 5);
}
END_TEST

START_TEST(test_cancel_before_start)
{
	struct job_outcome o;

	/* dispatch cancels a claimed job no worker got as two edges: unclaim
	 * (the claim's attempt given back), then cancel from queued */
	ck_assert_int_eq(job_transition(JOBQ_STATE_QUEUED, JOB_EV_CLAIM,
	    2, 5, 0, 0, &o), 0);
	ck_assert_int_eq(o.attempts, 3);
	ck_assert_int_eq(job_transition(o.state, JOB_EV_UNCLAIM, o.attempts,
	    5, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(o.attempts, 2);
	ck_assert_int_eq(job_transition(o.state, JOB_EV_CANCEL, o.attempts,
	    5, 0, 0, &o), 0);
	ck_assert_int_eq(o.state, JOBQ_STATE_CANCELED);
	ck_assert_str_eq(o.reason, "canceled");
	ck_assert_int_eq(o.attempts, 2);
	ck_assert_int_eq(o.retry, 0);
	/* and a canceled job leaves only by a user's retry */
	ck_assert_int_eq(job_transition(o.state, JOB_EV_CLAIM, o.attempts,
	    5, 0, 0, &o), JOBQ_ESTATE);
}
END_TEST

START_TEST(test_event_names)
{
	int ev;

	for (ev = 0; ev < NEVENTS; ev++)
		ck_assert_ptr_nonnull(job_event_name(ev));
	ck_assert_str_eq(job_event_name(JOB_EV_CLAIM), "claim");
	ck_assert_str_eq(job_event_name(JOB_EV_WORKER_LOST), "worker_lost");
	ck_assert_str_eq(job_event_name(JOB_EV_RETRY), "retry");
	ck_assert_str_eq(job_event_name(JOB_EV_OUTPUT_LIMIT), "output_limit");
	ck_assert_ptr_null(job_event_name(NEVENTS));
	ck_assert_ptr_null(job_event_name((enum job_event)-1));
}
END_TEST

static Suite *
job_suite(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_all_pairs);
	tcase_add_test(tc, test_terminal_only_retry);
	tcase_add_test(tc, test_unclaim);
	tcase_add_test(tc, test_cancel_before_start);
	tcase_add_test(tc, test_retry_budget);
	tcase_add_test(tc, test_no_retry_on_success_or_cancel);
	tcase_add_test(tc, test_crash_flag);
	tcase_add_test(tc, test_event_names);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(job_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
