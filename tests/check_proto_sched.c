/*
 * check_proto_sched.c - unit tests for the objects of lib/proto_sched.c:
 * counts, ARRAY, QUEUE, watch events and STATS.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "check_proto.h"

/* --- arrays, queues, events, statistics --- */

START_TEST(test_counts)
{
	size_t	 counts[JOBQ_STATE_COUNT];
	cJSON	*obj, *c;
	int	 st;

	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		counts[st] = (size_t)st * 1000 + 1;
	obj = cJSON_CreateObject();
	ck_assert_int_eq(proto_add_counts(obj, "counts", counts), 0);
	c = cJSON_GetObjectItem(obj, "counts");
	ck_assert_int_eq(cJSON_GetArraySize(c), JOBQ_STATE_COUNT);
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		ck_assert_int_eq(cp_int(c, jobq_state_name((jobq_state)st)),
		    st * 1000 + 1);
	ck_assert_int_eq(cp_int(c, "timed_out"), 6001);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_array_info)
{
	static const char *const bad[] = {
		"[]",
		"{\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":0,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":-1,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":0,\"count\":1,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":0,\"throttle\":0,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":100001,"
		    "\"throttle\":0,\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":-1,"
		    "\"counts\":{}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":[]}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"queued\":-1}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"timed_out\":\"1\"}}",
		"{\"id\":1,\"first\":0,\"step\":1,\"count\":1,\"throttle\":0,"
		    "\"counts\":{\"running\":0.5}}",
	};
	jobq_array_info	 a, b;
	cJSON		*obj, *back;
	char		 err[256];
	size_t		 i;
	int		 st;

	memset(&a, 0, sizeof(a));
	a.id = 9007199254740991LL;
	a.first = 10;
	a.step = 5;
	a.count = 100000;
	a.throttle = 3;
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		a.counts[st] = (size_t)(st + 1) * 7;
	obj = proto_array_info_to_json(&a);
	back = check_proto_reframe(obj);
	cJSON_Delete(obj);
	memset(&b, 0xff, sizeof(b));
	ck_assert_msg(proto_array_info_from_json(back, &b, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	cJSON_Delete(back);
	ck_assert_ptr_null(proto_array_info_to_json(NULL));

	/* Absent state names count 0; unknown ones are ignored. */
	obj = check_proto_parse("{\"id\":4,\"first\":0,\"step\":1,\"count\":3,"
	    "\"throttle\":0,\"counts\":{\"queued\":2,\"succeeded\":1,"
	    "\"someday\":-5}}");
	ck_assert_int_eq(proto_array_info_from_json(obj, &b, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_QUEUED], 2);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_SUCCEEDED], 1);
	ck_assert_uint_eq(b.counts[JOBQ_STATE_TIMED_OUT], 0);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i]);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		b.id = 77;
		ck_assert_msg(proto_array_info_from_json(obj, &b, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		ck_assert(b.id == 77);	/* untouched on failure */
		cJSON_Delete(obj);
	}
	ck_assert_int_eq(proto_array_info_from_json(NULL, &b, err,
	    sizeof(err)), JOBQ_EPROTO);
}
END_TEST

START_TEST(test_queue_info)
{
	static const char *const bad[] = {
		"1",
		"{\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":\"\",\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":7,\"parallel\":0,\"paused\":false,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":-1,\"paused\":false,"
		    "\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":2147483648,\"paused\":false,"
		    "\"counts\":{}}",
		"{\"name\":\"q\",\"paused\":false,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":0,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"counts\":{}}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":true}",
		"{\"name\":\"q\",\"parallel\":0,\"paused\":true,"
		    "\"counts\":{\"failed\":null}}",
	};
	jobq_queue_info	 q, r;
	cJSON		*obj, *back;
	char		 err[256], name[JOBQ_MAX_NAME + 2], text[1024];
	size_t		 i;
	int		 st;

	memset(&q, 0, sizeof(q));
	memset(q.name, 'q', JOBQ_MAX_NAME);
	q.parallel = 1000000;
	q.paused = 1;
	for (st = 0; st < JOBQ_STATE_COUNT; st++)
		q.counts[st] = (size_t)st;
	obj = proto_queue_info_to_json(&q);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "paused")));
	back = check_proto_reframe(obj);
	cJSON_Delete(obj);
	memset(&r, 0xff, sizeof(r));
	ck_assert_msg(proto_queue_info_from_json(back, &r, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&q, &r, sizeof(q));
	cJSON_Delete(back);
	q.paused = 0;
	obj = proto_queue_info_to_json(&q);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(obj, "paused")));
	cJSON_Delete(obj);
	ck_assert_ptr_null(proto_queue_info_to_json(NULL));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i]);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		ck_assert_msg(proto_queue_info_from_json(obj, &r, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	/* A name one byte over JOBQ_MAX_NAME. */
	memset(name, 'n', sizeof(name));
	name[JOBQ_MAX_NAME + 1] = '\0';
	snprintf(text, sizeof(text), "{\"name\":\"%s\",\"parallel\":0,"
	    "\"paused\":false,\"counts\":{}}", name);
	obj = check_proto_parse(text);
	ck_assert_int_eq(proto_queue_info_from_json(obj, &r, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "name"));
	cJSON_Delete(obj);
	jobq_queue_list_free(NULL);
}
END_TEST

START_TEST(test_event)
{
	static const char *const bad[] = {
		"{\"id\":1,\"state\":\"queued\",\"time\":1,\"queue\":\"q\","
		    "\"attempts\":0}",
		"{\"event\":\"overflow\"}",
		"{\"event\":\"later\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":5}",
		"{\"event\":\"state\",\"id\":0,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"done\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"time\":1,\"queue\":\"q\","
		    "\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\","
		    "\"time\":-1,\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\","
		    "\"queue\":\"q\",\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":null,\"attempts\":0}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\"}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":-1}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"exit_code\":\"1\"}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"exit_code\":-2}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"signal\":-9}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"failed\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"reason\":5}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"not_before\":-3}",
		"{\"event\":\"state\",\"id\":1,\"state\":\"queued\",\"time\":1,"
		    "\"queue\":\"q\",\"attempts\":1,\"array_id\":\"2\"}",
	};
	jobq_event	 ev, back;
	cJSON		*obj, *copy;
	char		 err[256], text[1024], longq[JOBQ_MAX_NAME + 2];
	size_t		 i;

	/* Everything set. */
	memset(&ev, 0, sizeof(ev));
	ev.id = 9007199254740991LL;
	ev.state = JOBQ_STATE_TIMED_OUT;
	ev.time = 1700000000999LL;
	memset(ev.queue, 'q', JOBQ_MAX_NAME);
	ev.attempts = 3;
	ev.exit_code = 0;
	ev.signal = 9;
	snprintf(ev.reason, sizeof(ev.reason), "timeout");
	ev.not_before = 1700000001000LL;
	ev.array_id = 5;
	ev.array_index = 0;
	obj = proto_event_to_json(&ev);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "event")->valuestring,
	    "state");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "array_index"));
	copy = check_proto_reframe(obj);
	cJSON_Delete(obj);
	memset(&back, 0xff, sizeof(back));
	ck_assert_msg(proto_event_from_json(copy, &back, err, sizeof(err)) ==
	    0, "%s", err);
	ck_assert_mem_eq(&ev, &back, sizeof(ev));
	cJSON_Delete(copy);

	/* The minimum: unset members are not written and decode as unset. */
	memset(&ev, 0, sizeof(ev));
	ev.id = 2;
	ev.state = JOBQ_STATE_QUEUED;
	ev.exit_code = -1;
	snprintf(ev.queue, sizeof(ev.queue), "default");
	obj = proto_event_to_json(&ev);
	ck_assert_int_eq(cJSON_GetArraySize(obj), 6);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "exit_code"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "signal"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "reason"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "not_before"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_id"));
	copy = check_proto_reframe(obj);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_event_from_json(copy, &back, err, sizeof(err)),
	    0);
	ck_assert_mem_eq(&ev, &back, sizeof(ev));
	cJSON_Delete(copy);

	/* Nulls are absent; unknown members are ignored; a long reason is
	 * truncated to what jobq_event holds. */
	obj = check_proto_parse("{\"event\":\"state\",\"id\":3,\"state\":\"failed\","
	    "\"time\":5,\"queue\":\"\",\"attempts\":1,\"exit_code\":null,"
	    "\"signal\":null,\"reason\":\"0123456789012345678901234567890123"
	    "456789012345678901234567890123456789\",\"new\":{}}");
	ck_assert_int_eq(proto_event_from_json(obj, &back, err, sizeof(err)),
	    0);
	ck_assert_int_eq(back.exit_code, -1);
	ck_assert_int_eq(back.signal, 0);
	ck_assert_uint_eq(strlen(back.reason), sizeof(back.reason) - 1);
	ck_assert_str_eq(back.queue, "");
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = check_proto_parse(bad[i]);
		err[0] = '\0';
		ck_assert_msg(proto_event_from_json(obj, &back, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	memset(longq, 'q', sizeof(longq));
	longq[JOBQ_MAX_NAME + 1] = '\0';
	snprintf(text, sizeof(text), "{\"event\":\"state\",\"id\":1,"
	    "\"state\":\"queued\",\"time\":1,\"queue\":\"%s\",\"attempts\":0}",
	    longq);
	obj = check_proto_parse(text);
	ck_assert_int_eq(proto_event_from_json(obj, &back, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_event_from_json(NULL, &back, err, sizeof(err)),
	    JOBQ_EPROTO);

	/* Unencodable events. */
	ev.state = JOBQ_STATE_COUNT;
	ck_assert_ptr_null(proto_event_to_json(&ev));
	ev.state = JOBQ_STATE_QUEUED;
	memset(ev.queue, 'q', sizeof(ev.queue));	/* not terminated */
	ck_assert_ptr_null(proto_event_to_json(&ev));
	ck_assert_ptr_null(proto_event_to_json(NULL));
}
END_TEST

#define STATS_WIN(ms) "{\"window_ms\":" #ms ",\"finished\":3," \
	"\"per_second\":0.05,\"wait_mean_ms\":1.5,\"wait_p95_ms\":2," \
	"\"run_mean_ms\":10.25,\"run_p95_ms\":20,\"utilisation\":0.5}"

START_TEST(test_event_kind)
{
	static const struct {
		const char *json;
		int kind;
	} cases[] = {
		{ "{\"event\":\"state\",\"id\":1}", PROTO_EVENT_STATE },
		{ "{\"event\":\"overflow\"}", PROTO_EVENT_OVERFLOW },
		{ "{\"event\":\"progress\"}", PROTO_EVENT_OTHER },
		{ "{\"event\":\"\"}", PROTO_EVENT_OTHER },
		{ "{\"event\":7}", JOBQ_EPROTO },
		{ "{\"event\":null}", JOBQ_EPROTO },
		{ "{\"ok\":true}", JOBQ_EPROTO },
	};
	cJSON *o;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = cJSON_Parse(cases[i].json);
		ck_assert_ptr_nonnull(o);
		ck_assert_msg(proto_event_kind(o) == cases[i].kind, "%s",
		    cases[i].json);
		cJSON_Delete(o);
	}
	/* the daemon's overflow frame is exactly {"event":"overflow"} */
	o = proto_overflow_event_to_json();
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(proto_event_kind(o), PROTO_EVENT_OVERFLOW);
	text = cJSON_PrintUnformatted(o);
	ck_assert_str_eq(text, "{\"event\":\"overflow\"}");
	free(text);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_stats)
{
	static const struct {
		const char	*json;
		const char	*word;
	} bad[] = {
		{ "[]", "stats" },
		{ "{\"workers\":2,\"busy\":1,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "counts" },
		{ "{\"counts\":{},\"busy\":1,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "workers" },
		{ "{\"counts\":{},\"workers\":-2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000) "}",
		    "workers" },
		{ "{\"counts\":{},\"workers\":2,\"minute\":" STATS_WIN(60000)
		    ",\"hour\":" STATS_WIN(3600000) "}", "busy" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"hour\":"
		    STATS_WIN(3600000) "}", "minute" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":7}", "hour" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(0) ",\"hour\":" STATS_WIN(3600000) "}",
		    "window_ms" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":-1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":0.5},\"hour\":"
		    STATS_WIN(3600000) "}", "per_second" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":1,"
		    "\"wait_mean_ms\":\"1\",\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":0.5},\"hour\":"
		    STATS_WIN(3600000) "}", "wait_mean_ms" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":3,\"per_second\":1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2},\"hour\":" STATS_WIN(3600000) "}",
		    "utilisation" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":1.5,\"per_second\":1,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":1},\"hour\":"
		    STATS_WIN(3600000) "}", "finished" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    "{\"window_ms\":60000,\"finished\":1,\"per_second\":1e999,"
		    "\"wait_mean_ms\":1,\"wait_p95_ms\":2,\"run_mean_ms\":1,"
		    "\"run_p95_ms\":2,\"utilisation\":1},\"hour\":"
		    STATS_WIN(3600000) "}", "per_second" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
		    ",\"queues\":{}}", "queues" },
		{ "{\"counts\":{},\"workers\":2,\"busy\":1,\"minute\":"
		    STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
		    ",\"queues\":[{\"name\":\"a\",\"parallel\":0,"
		    "\"paused\":false,\"counts\":{}},{\"name\":\"b\"}]}",
		    "queue" },
	};
	jobq_queue_info	 qs[2];
	jobq_stats	 st, back;
	cJSON		*obj, *copy;
	char		 err[256];
	size_t		 i;
	int		 s;

	memset(&st, 0, sizeof(st));
	memset(qs, 0, sizeof(qs));
	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		st.counts[s] = (size_t)s + 100;
	st.workers = 8;
	st.busy = 3;
	st.minute = (jobq_window_stats){ 60000, 42, 0.7, 12.5, 40.25,
	    1000.125, 2000, 0.375 };
	st.hour = (jobq_window_stats){ 3600000, 4200, 1.1666666666666667,
	    0, 0, 0, 0, 1 };
	snprintf(qs[0].name, sizeof(qs[0].name), "default");
	qs[0].counts[JOBQ_STATE_RUNNING] = 3;
	snprintf(qs[1].name, sizeof(qs[1].name), "batch");
	qs[1].parallel = 2;
	qs[1].paused = 1;
	st.queues = qs;
	st.nqueues = 2;
	obj = proto_stats_to_json(&st);
	ck_assert_ptr_nonnull(obj);
	copy = check_proto_reframe(obj);
	cJSON_Delete(obj);
	ck_assert_msg(proto_stats_from_json(copy, &back, err, sizeof(err)) ==
	    0, "%s", err);
	cJSON_Delete(copy);
	ck_assert_mem_eq(back.counts, st.counts, sizeof(st.counts));
	ck_assert_int_eq(back.workers, 8);
	ck_assert_int_eq(back.busy, 3);
	ck_assert_mem_eq(&back.minute, &st.minute, sizeof(st.minute));
	ck_assert(back.hour.window_ms == 3600000 && back.hour.finished == 4200);
	ck_assert_double_eq_tol(back.hour.per_second, 1.1666666666666667,
	    1e-12);
	ck_assert_double_eq(back.hour.utilisation, 1);
	ck_assert_uint_eq(back.nqueues, 2);
	ck_assert_mem_eq(back.queues, qs, sizeof(qs));
	jobq_stats_release(&back);
	ck_assert_ptr_null(back.queues);
	ck_assert_uint_eq(back.nqueues, 0);
	jobq_stats_release(&back);	/* twice is harmless */
	jobq_stats_release(NULL);

	/* No queues member: none. */
	obj = check_proto_parse("{\"counts\":{\"queued\":1},\"workers\":2,\"busy\":0,"
	    "\"minute\":" STATS_WIN(60000) ",\"hour\":" STATS_WIN(3600000)
	    "}");
	ck_assert_int_eq(proto_stats_from_json(obj, &back, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(back.counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_ptr_null(back.queues);
	ck_assert_uint_eq(back.nqueues, 0);
	ck_assert_double_eq(back.minute.run_mean_ms, 10.25);
	jobq_stats_release(&back);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = cJSON_Parse(bad[i].json);
		ck_assert_ptr_nonnull(obj);
		err[0] = '\0';
		ck_assert_msg(proto_stats_from_json(obj, &back, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i].json);
		ck_assert_msg(strstr(err, bad[i].word) != NULL,
		    "message \"%s\" does not name %s", err, bad[i].word);
		ck_assert_ptr_null(back.queues);
		cJSON_Delete(obj);
	}
	/* Unencodable: queues NULL with nqueues. */
	st.queues = NULL;
	ck_assert_ptr_null(proto_stats_to_json(&st));
	ck_assert_ptr_null(proto_stats_to_json(NULL));
}
END_TEST

void
check_proto_sched_add(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("sched");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_array_info);
	tcase_add_test(tc, test_queue_info);
	tcase_add_test(tc, test_event);
	tcase_add_test(tc, test_event_kind);
	tcase_add_test(tc, test_stats);
	suite_add_tcase(s, tc);
}
