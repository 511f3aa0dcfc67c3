/*
 * check_proto_reply.c - unit tests for the reply codecs
 * (lib/proto_reply.c): every reply encoded, framed, parsed and decoded
 * back, and replies a daemon must not send refused with JOBQ_EPROTO.
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

/* The reply text, parsed into rep_, makes the decoder call fail with
 * JOBQ_EPROTO and a message in the caller's err. */
#define REPLY_BAD(text, call) do {					\
	cJSON	*rep_ = check_proto_parse(text);					\
									\
	err[0] = '\0';							\
	ck_assert_msg((call) == JOBQ_EPROTO, "%s accepted", text);	\
	ck_assert_msg(err[0] != '\0', "%s: no message", text);		\
	cJSON_Delete(rep_);						\
} while (0)

START_TEST(test_reply_hello_ping)
{
	struct proto_hello_reply	 h, h2;
	struct proto_ping_reply		 p, p2;
	cJSON				*rep, *back;
	char				 err[256];

	h.version = 1;
	h.server = "jobqd 9.9";
	rep = proto_hello_reply_to_json(&h);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_reply_status(back, err, sizeof(err)), 0);
	ck_assert_int_eq(proto_hello_reply_from_json(back, &h2, err,
	    sizeof(err)), 0);
	ck_assert(h2.version == 1 && strcmp(h2.server, "jobqd 9.9") == 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true}",
	    proto_hello_reply_from_json(rep_, &h2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"version\":1,\"server\":1}",
	    proto_hello_reply_from_json(rep_, &h2, err, sizeof(err)));

	memset(&p, 0, sizeof(p));
	snprintf(p.info.version, sizeof(p.info.version), "%s",
	    PACKAGE_VERSION);
	p.info.protocol = 1;
	p.info.pid = 4242;
	p.info.uptime_ms = 1234567890123LL;
	p.info.workers = 4;
	p.queued = 7;
	p.active = -1;
	rep = proto_ping_reply_to_json(&p);
	ck_assert_ptr_null(cJSON_GetObjectItem(rep, "active"));
	ck_assert_ptr_null(cJSON_GetObjectItem(rep, "isolation"));
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_ping_reply_from_json(back, &p2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&p, &p2, sizeof(p)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	snprintf(p.info.isolation, sizeof(p.info.isolation),
	    "cgroup /sys/fs/cgroup/system.slice/jobqd.service");
	rep = proto_ping_reply_to_json(&p);
	ck_assert_str_eq(cJSON_GetObjectItem(rep, "isolation")->valuestring,
	    p.info.isolation);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_ping_reply_from_json(back, &p2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&p, &p2, sizeof(p)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	/* A long version is cut to what jobq_server_info holds. */
	back = check_proto_parse("{\"ok\":true,\"version\":\"0123456789012345678901234"
	    "56789012345\",\"protocol\":1,\"pid\":1,\"uptime_ms\":0,"
	    "\"workers\":0}");
	ck_assert_int_eq(proto_ping_reply_from_json(back, &p2, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(strlen(p2.info.version), sizeof(p2.info.version) - 1);
	ck_assert(p2.queued == -1 && p2.active == -1);
	ck_assert_str_eq(p2.info.isolation, "");	/* an older jobqd */
	cJSON_Delete(back);
	/* A long isolation is cut to what jobq_server_info holds. */
	{
		char text[1024], longpath[600];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		snprintf(text, sizeof(text), "{\"ok\":true,\"version\":\"x\","
		    "\"protocol\":1,\"pid\":1,\"uptime_ms\":0,\"workers\":0,"
		    "\"isolation\":\"cgroup /%s\"}", longpath);
		back = check_proto_parse(text);
		ck_assert_int_eq(proto_ping_reply_from_json(back, &p2, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(strlen(p2.info.isolation),
		    sizeof(p2.info.isolation) - 1);
		cJSON_Delete(back);
	}
	REPLY_BAD("{\"ok\":true,\"version\":\"x\",\"protocol\":1,\"pid\":1,"
	    "\"uptime_ms\":0,\"workers\":0,\"isolation\":7}",
	    proto_ping_reply_from_json(rep_, &p2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"protocol\":1,\"pid\":1,\"uptime_ms\":0,"
	    "\"workers\":0}",
	    proto_ping_reply_from_json(rep_, &p2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"version\":\"x\",\"protocol\":1,\"pid\":-1,"
	    "\"uptime_ms\":0,\"workers\":0}",
	    proto_ping_reply_from_json(rep_, &p2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"version\":\"x\",\"protocol\":1,\"pid\":1,"
	    "\"uptime_ms\":0,\"workers\":0,\"queued\":-2}",
	    proto_ping_reply_from_json(rep_, &p2, err, sizeof(err)));
	back = cJSON_Parse("[]");
	ck_assert_int_eq(proto_ping_reply_from_json(back, &p2, err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_str_eq(err, "reply is not an object");
	cJSON_Delete(back);
}
END_TEST

START_TEST(test_reply_submit)
{
	struct proto_submit_reply	 s, s2;
	cJSON				*rep, *back;
	char				 err[256];

	memset(&s, 0, sizeof(s));
	s.id = 12;
	rep = proto_submit_reply_to_json(&s);
	ck_assert_ptr_null(cJSON_GetObjectItem(rep, "existing"));
	ck_assert_ptr_null(cJSON_GetObjectItem(rep, "tasks"));
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_submit_reply_from_json(back, &s2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&s, &s2, sizeof(s)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	s.existing = 1;
	s.first_task = 100;
	s.last_task = 199;
	rep = proto_submit_reply_to_json(&s);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_submit_reply_from_json(back, &s2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&s, &s2, sizeof(s)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	back = check_proto_parse("{\"ok\":true,\"id\":3,\"existing\":false}");
	ck_assert_int_eq(proto_submit_reply_from_json(back, &s2, err,
	    sizeof(err)), 0);
	ck_assert(s2.id == 3 && !s2.existing);
	cJSON_Delete(back);
	REPLY_BAD("{\"ok\":true}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"id\":0}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"id\":1,\"existing\":1}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"id\":1,\"tasks\":[5]}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"id\":1,\"tasks\":[5,4]}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"id\":1,\"tasks\":[0,4]}",
	    proto_submit_reply_from_json(rep_, &s2, err, sizeof(err)));
}
END_TEST

static jobq_job *
sample_job(int64_t id)
{
	static char *argv[] = { "sh", "-c", "exit 3", NULL };
	static char *labels[] = { "team=infra", NULL };
	static jobq_job job;

	memset(&job, 0, sizeof(job));
	job.id = id;
	job.state = JOBQ_STATE_FAILED;
	job.queue = "batch";
	job.argv = argv;
	job.argc = 3;
	job.cwd = "/tmp";
	job.owner_uid = 1000;
	job.exit_code = 3;
	job.submitted_at = 1700000000000LL;
	job.started_at = 1700000000100LL;
	job.finished_at = 1700000000200LL;
	job.attempts = 2;
	job.max_retries = 1;
	job.reason = "exit_code";
	job.priority = -4;
	job.labels = labels;
	job.nlabels = 1;
	return &job;
}

START_TEST(test_reply_jobs)
{
	jobq_job		*jobs[3], *j, **v;
	jobq_job		 copy[3];
	jobq_array_info		 a, a2;
	cJSON			*rep, *back;
	char			 err[256];
	size_t			 n, i;
	int64_t			 total;

	for (i = 0; i < 3; i++) {
		copy[i] = *sample_job((int64_t)i + 1);
		jobs[i] = &copy[i];
	}
	rep = proto_job_reply_to_json(jobs[1]);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_job_reply_from_json(back, &j, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(proto_cmp_job(jobs[1], j, err, sizeof(err)), 0);
	jobq_job_free(j);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	ck_assert_ptr_null(proto_job_reply_to_json(NULL));
	REPLY_BAD("{\"ok\":true}",
	    proto_job_reply_from_json(rep_, &j, err, sizeof(err)));

	rep = proto_list_reply_to_json(jobs, 3, 40);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_list_reply_from_json(back, &v, &n, &total, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(total, 40);
	ck_assert_ptr_null(v[3]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(proto_cmp_job(jobs[i], v[i], err,
		    sizeof(err)), 0);
	jobq_job_list_free(v, n);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	rep = proto_list_reply_to_json(NULL, 0, -1);
	ck_assert_ptr_null(cJSON_GetObjectItem(rep, "total"));
	ck_assert_int_eq(proto_list_reply_from_json(rep, &v, &n, &total, err,
	    sizeof(err)), 0);
	ck_assert(n == 0 && v != NULL && v[0] == NULL && total == -1);
	jobq_job_list_free(v, n);
	cJSON_Delete(rep);
	ck_assert_ptr_null(proto_list_reply_to_json(NULL, 1, -1));
	/* metrics: the text back as it was */
	{
		char *text = NULL;

		rep = proto_metrics_reply_to_json("jobq_workers 2\n# x \"y\"\n");
		back = proto_cmp_reparse(rep);
		ck_assert_int_eq(proto_metrics_reply_from_json(back, &text, err,
		    sizeof(err)), 0);
		ck_assert_str_eq(text, "jobq_workers 2\n# x \"y\"\n");
		free(text);
		cJSON_Delete(back);
		cJSON_Delete(rep);
		ck_assert_ptr_null(proto_metrics_reply_to_json(NULL));
		REPLY_BAD("{\"ok\":true,\"text\":5}",
		    proto_metrics_reply_from_json(rep_, &text, err, sizeof(err)));
	}
	REPLY_BAD("{\"ok\":true,\"jobs\":{}}",
	    proto_list_reply_from_json(rep_, &v, &n, NULL, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"jobs\":[{\"id\":1}]}",
	    proto_list_reply_from_json(rep_, &v, &n, NULL, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"jobs\":[],\"total\":-3}",
	    proto_list_reply_from_json(rep_, &v, &n, &total, err,
	    sizeof(err)));

	memset(&a, 0, sizeof(a));
	a.id = 5;
	a.first = 1;
	a.step = 2;
	a.count = 10;
	a.throttle = 3;
	a.counts[JOBQ_STATE_RUNNING] = 3;
	a.counts[JOBQ_STATE_QUEUED] = 7;
	rep = proto_array_reply_to_json(&a);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_array_reply_from_json(back, &a2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&a, &a2, sizeof(a)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true,\"array\":{\"id\":5}}",
	    proto_array_reply_from_json(rep_, &a2, err, sizeof(err)));
}
END_TEST

START_TEST(test_reply_logs_purge)
{
	struct proto_logs_reply	 l, l2;
	unsigned char		 data[] = { 0, 'h', 'i', 0xff };
	size_t			 n;
	cJSON			*rep, *back;
	char			 err[256];

	l.data = data;
	l.len = sizeof(data);
	l.offset = 1000;
	l.size = 1004;
	l.done = 1;
	rep = proto_logs_reply_to_json(&l);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_logs_reply_from_json(back, &l2, err,
	    sizeof(err)), 0);
	ck_assert(l2.len == l.len && memcmp(l2.data, data, l.len) == 0 &&
	    l2.offset == 1000 && l2.size == 1004 && l2.done == 1);
	free(l2.data);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	l.data = NULL;
	l.len = 0;
	l.done = 0;
	rep = proto_logs_reply_to_json(&l);
	ck_assert_str_eq(cJSON_GetObjectItem(rep, "data")->valuestring, "");
	ck_assert_int_eq(proto_logs_reply_from_json(rep, &l2, err,
	    sizeof(err)), 0);
	ck_assert(l2.data == NULL && l2.len == 0 && !l2.done);
	cJSON_Delete(rep);
	l.len = 1;
	ck_assert_ptr_null(proto_logs_reply_to_json(&l));
	REPLY_BAD("{\"ok\":true,\"data\":\"aGk=\",\"offset\":0,\"size\":2}",
	    proto_logs_reply_from_json(rep_, &l2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"data\":\"aGk\",\"offset\":0,\"size\":2,"
	    "\"done\":true}",
	    proto_logs_reply_from_json(rep_, &l2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"offset\":0,\"size\":2,\"done\":true}",
	    proto_logs_reply_from_json(rep_, &l2, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true,\"data\":\"\",\"offset\":-1,\"size\":2,"
	    "\"done\":true}",
	    proto_logs_reply_from_json(rep_, &l2, err, sizeof(err)));

	rep = proto_purge_reply_to_json(12345);
	ck_assert_int_eq(proto_purge_reply_from_json(rep, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 12345);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true,\"purged\":-1}",
	    proto_purge_reply_from_json(rep_, &n, err, sizeof(err)));
	REPLY_BAD("{\"ok\":true}",
	    proto_purge_reply_from_json(rep_, &n, err, sizeof(err)));
}
END_TEST

START_TEST(test_reply_queues_stats)
{
	jobq_queue_info	 q[2], q2, *qs;
	jobq_stats	 st, st2;
	cJSON		*rep, *back;
	char		 err[256];
	size_t		 n;

	memset(q, 0, sizeof(q));
	strcpy(q[0].name, "a");
	q[0].parallel = 2;
	q[0].counts[JOBQ_STATE_QUEUED] = 5;
	strcpy(q[1].name, "b.c");
	q[1].paused = 1;
	rep = proto_queue_set_reply_to_json(&q[1], NULL);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_queue_set_reply_from_json(back, &q2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&q[1], &q2, sizeof(q2)), 0);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true}",
	    proto_queue_set_reply_from_json(rep_, &q2, err, sizeof(err)));

	rep = proto_queue_list_reply_to_json(q, NULL, 2);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_queue_list_reply_from_json(back, &qs, &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(memcmp(q, qs, sizeof(q)), 0);
	jobq_queue_list_free(qs);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	rep = proto_queue_list_reply_to_json(NULL, NULL, 0);
	ck_assert_int_eq(proto_queue_list_reply_from_json(rep, &qs, &n, err,
	    sizeof(err)), 0);
	ck_assert(n == 0 && qs != NULL);
	jobq_queue_list_free(qs);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true,\"queues\":[{\"name\":\"\"}]}",
	    proto_queue_list_reply_from_json(rep_, &qs, &n, err,
	    sizeof(err)));
	REPLY_BAD("{\"ok\":true}",
	    proto_queue_list_reply_from_json(rep_, &qs, &n, err,
	    sizeof(err)));

	memset(&st, 0, sizeof(st));
	st.counts[JOBQ_STATE_SUCCEEDED] = 99;
	st.workers = 4;
	st.busy = 1;
	st.minute.window_ms = 60000;
	st.minute.finished = 3;
	st.minute.per_second = 0.05;
	st.hour.window_ms = 3600000;
	st.queues = q;
	st.nqueues = 2;
	st.schedules = 3;
	st.schedule_runs = 9007199254740991LL;
	st.schedule_skips = 5;
	st.schedule_misses = 7;
	rep = proto_stats_reply_to_json(&st);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_stats_reply_from_json(back, &st2, err,
	    sizeof(err)), 0);
	ck_assert(st2.nqueues == 2 && st2.workers == 4 && st2.busy == 1 &&
	    st2.minute.finished == 3 && st2.hour.window_ms == 3600000 &&
	    memcmp(st2.queues, q, sizeof(q)) == 0 &&
	    memcmp(st2.counts, st.counts, sizeof(st.counts)) == 0);
	ck_assert(st2.schedules == 3 &&
	    st2.schedule_runs == 9007199254740991LL &&
	    st2.schedule_skips == 5 && st2.schedule_misses == 7);
	jobq_stats_release(&st2);
	cJSON_Delete(back);
	cJSON_Delete(rep);
	REPLY_BAD("{\"ok\":true,\"stats\":[]}",
	    proto_stats_reply_from_json(rep_, &st2, err, sizeof(err)));

	rep = proto_watch_reply_to_json();
	ck_assert_int_eq(proto_reply_status(rep, err, sizeof(err)), 0);
	ck_assert_int_eq(proto_watch_reply_from_json(rep, err, sizeof(err)),
	    0);
	cJSON_Delete(rep);
}
END_TEST

/* The "slurm" member of the stats and queue_list replies: only when
 * configured, every member back, absent = configured 0, bad ones
 * refused. */
START_TEST(test_reply_slurm)
{
	static const char *const bad[] = {
		"{\"slurm\":5}",
		"{\"slurm\":null}",
		"{\"slurm\":{}}",
		"{\"slurm\":{\"reachable\":1,\"since\":1,\"error\":\"\","
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"since\":1,\"error\":\"\","
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":\"1\",\"error\":\"\","
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":-1,\"error\":\"\","
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":null,"
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,"
		    "\"pending\":0,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":\"\","
		    "\"pending\":1.5,\"running\":0,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":\"\","
		    "\"pending\":0,\"running\":-2,\"submitting\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":\"\","
		    "\"pending\":0,\"running\":0}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":\"\","
		    "\"pending\":0,\"running\":0,\"submitting\":true}}",
		"{\"slurm\":{\"reachable\":true,\"since\":1,\"error\":\"\","
		    "\"pending\":1e300,\"running\":0,\"submitting\":0}}",
	};
	jobq_slurm_info si, out;
	jobq_stats st;
	cJSON *rep, *back, *obj;
	char err[256], big[400], *text;
	size_t i;

	/* not configured: no member, the reply as it was */
	memset(&si, 0, sizeof(si));
	si.pending = 3;
	memset(&st, 0, sizeof(st));
	rep = proto_slurm_add(proto_stats_reply_to_json(&st), &si);
	ck_assert_ptr_nonnull(rep);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(rep, "slurm"));
	memset(&out, 0xff, sizeof(out));
	ck_assert_int_eq(proto_slurm_from_reply(rep, &out, err, sizeof(err)),
	    0);
	ck_assert(out.configured == 0 && out.reachable == 0 &&
	    out.since_ms == 0 && out.error[0] == '\0' && out.pending == 0 &&
	    out.running == 0 && out.submitting == 0);
	cJSON_Delete(rep);
	ck_assert_ptr_null(proto_slurm_add(NULL, &si));

	/* unreachable, in a stats reply: every member back, the stats too */
	si.configured = 1;
	si.reachable = 0;
	si.since_ms = 1754000000123LL;
	snprintf(si.error, sizeof(si.error), "squeue: error: Unable to "
	    "contact slurm controller \"x\"");
	si.pending = 9007199254740991LL;
	si.running = 7;
	si.submitting = 2;
	st.workers = 3;
	st.minute.window_ms = 60000;
	st.hour.window_ms = 3600000;
	rep = proto_slurm_add(proto_stats_reply_to_json(&st), &si);
	ck_assert_ptr_nonnull(rep);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_reply_status(back, err, sizeof(err)), 0);
	ck_assert_int_eq(proto_slurm_from_reply(back, &out, err, sizeof(err)),
	    0);
	ck_assert_int_eq(out.configured, 1);
	ck_assert_int_eq(out.reachable, si.reachable);
	ck_assert_int_eq(out.since_ms, si.since_ms);
	ck_assert_str_eq(out.error, si.error);
	ck_assert_int_eq(out.pending, si.pending);
	ck_assert_int_eq(out.running, si.running);
	ck_assert_int_eq(out.submitting, si.submitting);
	ck_assert_int_eq(proto_stats_reply_from_json(back, &st, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(st.workers, 3);
	jobq_stats_release(&st);
	cJSON_Delete(back);
	cJSON_Delete(rep);

	/* reachable, in a queue_list reply: "error" "" */
	memset(&si, 0, sizeof(si));
	si.configured = 1;
	si.reachable = 1;
	si.since_ms = 1;
	rep = proto_slurm_add(proto_queue_list_reply_to_json(NULL, NULL, 0),
	    &si);
	ck_assert_ptr_nonnull(rep);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rep,
	    "slurm"));
	ck_assert_str_eq(text, "{\"reachable\":true,\"since\":1,\"error\":\"\","
	    "\"pending\":0,\"running\":0,\"submitting\":0}");
	free(text);
	back = proto_cmp_reparse(rep);
	ck_assert_int_eq(proto_slurm_from_reply(back, &out, err, sizeof(err)),
	    0);
	ck_assert_int_eq(out.configured, 1);
	ck_assert_int_eq(out.reachable, si.reachable);
	ck_assert_int_eq(out.since_ms, si.since_ms);
	ck_assert_str_eq(out.error, si.error);
	ck_assert_int_eq(out.pending, si.pending);
	ck_assert_int_eq(out.running, si.running);
	ck_assert_int_eq(out.submitting, si.submitting);
	cJSON_Delete(back);
	cJSON_Delete(rep);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obj = check_proto_parse(bad[i]);
		err[0] = '\0';
		memset(&out, 0xff, sizeof(out));
		ck_assert_msg(proto_slurm_from_reply(obj, &out, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s: no message", bad[i]);
		ck_assert_int_eq(out.configured, 0);
		cJSON_Delete(obj);
	}
	/* a reply that is not an object */
	obj = cJSON_CreateArray();
	ck_assert_int_eq(proto_slurm_from_reply(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	/* an error longer than jobq_slurm_info holds is refused */
	obj = check_proto_parse("{\"slurm\":{\"reachable\":false,\"since\":1,"
	    "\"error\":\"\",\"pending\":0,\"running\":0,\"submitting\":0}}");
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(out.error)] = '\0';
	cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "slurm"), "error",
	    cJSON_CreateString(big));
	ck_assert_int_eq(proto_slurm_from_reply(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	big[sizeof(out.error) - 1] = '\0';
	cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "slurm"), "error",
	    cJSON_CreateString(big));
	ck_assert_int_eq(proto_slurm_from_reply(obj, &out, err, sizeof(err)),
	    0);
	ck_assert_str_eq(out.error, big);
	cJSON_Delete(obj);
}
END_TEST

void
check_proto_reply_add(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("replies of requests");
	tcase_add_test(tc, test_reply_hello_ping);
	tcase_add_test(tc, test_reply_submit);
	tcase_add_test(tc, test_reply_jobs);
	tcase_add_test(tc, test_reply_logs_purge);
	tcase_add_test(tc, test_reply_queues_stats);
	tcase_add_test(tc, test_reply_slurm);
	suite_add_tcase(s, tc);
}
