/*
 * check_proto_schedule.c - unit tests for the codec of recurring schedules
 * (lib/proto_schedule.c): round trips of schedule_add and the requests on
 * one schedule, every refusal with its code and message, a schedule object
 * and the list reply, a job's "schedule" and the list filter.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "proto_cmp.h"
#include "check_proto.h"

#define JOB "\"job\":{\"argv\":[\"echo\",\"hi\"],\"env\":[],\"cwd\":\"/\"}"

START_TEST(test_add)
{
	check_proto_ok("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    JOB "}");
	check_proto_ok("{\"op\":\"schedule_add\",\"name\":\"nightly.b-1\","
	    "\"cron\":\"30 2 * * *\",\"tz\":\"Europe/Paris\",\"at_start\":true,"
	    "\"overlap\":\"queue\",\"catch_up\":\"all\","
	    "\"job\":{\"argv\":[\"x\"],\"env\":[\"A=1\"],\"cwd\":\"/tmp\","
	    "\"queue\":\"q\",\"priority\":5,\"labels\":[\"k=v\"],"
	    "\"timeout_ms\":1000,\"retries\":2}}");
	check_proto_ok("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"overlap\":\"allow\",\"catch_up\":\"none\"," JOB "}");
}
END_TEST

START_TEST(test_add_refused)
{
	check_proto_bad("{\"op\":\"schedule_add\",\"every_ms\":1000," JOB "}",
	    JOBQ_EINVAL, "missing string \"name\"");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"a "
	    "b\",\"every_ms\":1000,"
	    JOB "}", JOBQ_EINVAL, "name: \"a b\" may only hold letters, "
	    "digits, '_', '.' and '-'");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\"," JOB "}",
	    JOBQ_EINVAL, "exactly one of \"cron\" and \"every_ms\" is required");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"cron\":\"* * * * *\"," JOB "}", JOBQ_EINVAL,
	    "exactly one of \"cron\" and \"every_ms\" is required");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":999,"
	    JOB "}", JOBQ_EINVAL,
	    "\"every_ms\" must be an integer in 1000..315360000000");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"tz\":\"UTC\"," JOB "}", JOBQ_EINVAL,
	    "\"tz\" goes with \"cron\" only");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"overlap\":\"sometimes\"," JOB "}", JOBQ_EINVAL,
	    "overlap: \"sometimes\" is none of skip, queue, allow");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"catch_up\":\"two\"," JOB "}", JOBQ_EINVAL,
	    "catch_up: \"two\" is none of none, one, all");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000}",
	    JOBQ_EINVAL, "missing object \"job\"");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"job\":{\"env\":[],\"cwd\":\"/\"}}", JOBQ_EINVAL,
	    "job: missing \"argv\"");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"job\":{\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
	    "\"array\":{\"first\":0,\"count\":2}}}", JOBQ_EINVAL,
	    "job: a schedule's job cannot have an array");
	check_proto_bad("{\"op\":\"schedule_add\",\"name\":\"n\",\"every_ms\":1000,"
	    "\"job\":{\"argv\":[\"x\"],\"env\":[],\"cwd\":\"/\","
	    "\"unique_key\":\"k\"}}", JOBQ_EINVAL,
	    "job: a schedule's job cannot have a unique key");
}
END_TEST

START_TEST(test_refs)
{
	check_proto_ok("{\"op\":\"schedule_show\",\"name\":\"n\"}");
	check_proto_ok("{\"op\":\"schedule_pause\",\"name\":\"n\",\"owner_uid\":7}");
	check_proto_ok("{\"op\":\"schedule_resume\",\"name\":\"n\"}");
	check_proto_ok("{\"op\":\"schedule_remove\",\"name\":\"n\"}");
	check_proto_ok("{\"op\":\"schedule_run_now\",\"name\":\"n\"}");
	check_proto_ok("{\"op\":\"schedule_list\"}");
	check_proto_bad("{\"op\":\"schedule_show\"}", JOBQ_EINVAL,
	    "missing string \"name\"");
	check_proto_bad("{\"op\":\"schedule_remove\",\"name\":7}", JOBQ_EINVAL,
	    "\"name\" must be a string");
	check_proto_bad("{\"op\":\"schedule_pause\",\"name\":\"n\",\"owner_uid\":-2}",
	    JOBQ_EINVAL, "\"owner_uid\" must be an integer in 0..4294967294");
	check_proto_ok("{\"op\":\"list\",\"schedule\":\"n\"}");
}
END_TEST

START_TEST(test_object)
{
	char *argv[] = { "echo", "hi", NULL };
	jobq_schedule s = {
		.name = "n", .owner_uid = 4294967295u, .cron = "*/5 * * * *",
		.tz = "UTC", .at_start = 1, .overlap = JOBQ_OVERLAP_QUEUE,
		.catch_up = JOBQ_CATCH_UP_ALL, .paused = 1,
		.created_at = 1700000000000LL, .last_fire = 1, .next_fire = 2,
		.runs = 3, .skips = 4, .misses = 5, .last_skip = 6,
		.last_job = 9007199254740991LL,
		.last_job_state = JOBQ_STATE_SUCCEEDED, .queue = "q",
		.argv = argv, .argc = 2, .slots = 3, .res = "gpu=2,license=1"
	};
	jobq_schedule *v[2] = { &s, &s }, *b = NULL, **bv = NULL;
	cJSON *rep, *back;
	size_t n = 0;
	char err[256];

	rep = proto_schedule_reply_to_json(&s);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_schedule_reply_from_json(back, &b, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(b->name, "n");
	ck_assert_uint_eq(b->owner_uid, 4294967295u);
	ck_assert_str_eq(b->cron, "*/5 * * * *");
	ck_assert_str_eq(b->tz, "UTC");
	ck_assert_int_eq(b->at_start, 1);
	ck_assert_int_eq(b->overlap, JOBQ_OVERLAP_QUEUE);
	ck_assert_int_eq(b->catch_up, JOBQ_CATCH_UP_ALL);
	ck_assert_int_eq(b->paused, 1);
	ck_assert_int_eq(b->created_at, 1700000000000LL);
	ck_assert_int_eq(b->runs + b->skips + b->misses, 12);
	ck_assert_int_eq(b->last_skip, 6);
	ck_assert_int_eq(b->last_job, 9007199254740991LL);
	ck_assert_int_eq(b->last_job_state, JOBQ_STATE_SUCCEEDED);
	ck_assert_str_eq(b->queue, "q");
	ck_assert_uint_eq(b->argc, 2);
	ck_assert_str_eq(b->argv[1], "hi");
	ck_assert_int_eq(b->slots, 3);
	ck_assert_str_eq(b->res, "gpu=2,license=1");
	jobq_schedule_free(b);
	cJSON_Delete(rep);
	cJSON_Delete(back);

	s.cron = NULL;
	s.tz = NULL;
	s.every_ms = 60000;
	s.last_job_state = -1;
	rep = proto_schedule_list_reply_to_json(v, 2);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_schedule_list_reply_from_json(back, &bv, &n,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_null(bv[1]->cron);
	ck_assert_int_eq(bv[1]->every_ms, 60000);
	ck_assert_int_eq(bv[1]->last_job_state, -1);
	jobq_schedule_list_free(bv, n);
	cJSON_Delete(rep);
	cJSON_Delete(back);

	/* a bad reply */
	back = cJSON_Parse("{\"ok\":true,\"schedule\":{\"name\":\"n\","
	    "\"owner_uid\":1,\"overlap\":\"skip\",\"catch_up\":\"often\"}}");
	ck_assert_int_eq(proto_schedule_reply_from_json(back, &b, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_str_eq(err, "schedule \"catch_up\" is unknown");
	cJSON_Delete(back);
}
END_TEST

void
check_proto_schedule_add(Suite *s)
{
	TCase	*tc = tcase_create("schedule");

	tcase_add_test(tc, test_add);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_refs);
	tcase_add_test(tc, test_object);
	suite_add_tcase(s, tc);
}
