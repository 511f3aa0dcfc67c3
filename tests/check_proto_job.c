/*
 * check_proto_job.c - unit tests for the JOB object (lib/proto_job.c): round
 * trips of every member, the scheduling members included, and every check
 * of a peer's job.
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

/* --- jobs --- */

static void
job_equal(const jobq_job *a, const jobq_job *b)
{
	size_t	i;

	ck_assert(a->id == b->id);
	ck_assert_int_eq(a->state, b->state);
	if (a->name == NULL)
		ck_assert_ptr_null(b->name);
	else
		ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->queue, b->queue);
	ck_assert_uint_eq(a->argc, b->argc);
	for (i = 0; i < a->argc; i++)
		ck_assert_str_eq(a->argv[i], b->argv[i]);
	ck_assert_ptr_null(b->argv[b->argc]);
	ck_assert_str_eq(a->cwd, b->cwd);
	ck_assert_uint_eq(a->owner_uid, b->owner_uid);
	ck_assert_uint_eq(a->submitter_uid, b->submitter_uid);
	ck_assert(a->gid == b->gid);
	ck_assert_int_eq(a->umask, b->umask);
	ck_assert_int_eq(a->exit_code, b->exit_code);
	ck_assert_int_eq(a->signal, b->signal);
	ck_assert(a->submitted_at == b->submitted_at);
	ck_assert(a->started_at == b->started_at);
	ck_assert(a->finished_at == b->finished_at);
	ck_assert_int_eq(a->attempts, b->attempts);
	ck_assert_int_eq(a->max_retries, b->max_retries);
	if (a->reason == NULL)
		ck_assert_ptr_null(b->reason);
	else
		ck_assert_str_eq(a->reason, b->reason);
	if (a->message == NULL)
		ck_assert_ptr_null(b->message);
	else
		ck_assert_str_eq(a->message, b->message);
	ck_assert(a->pid == b->pid);
	ck_assert_int_eq(a->priority, b->priority);
	ck_assert(a->not_before == b->not_before);
	ck_assert(a->timeout_ms == b->timeout_ms);
	ck_assert(a->kill_grace_ms == b->kill_grace_ms);
	ck_assert(a->retry_delay_ms == b->retry_delay_ms);
	if (a->unique_key == NULL)
		ck_assert_ptr_null(b->unique_key);
	else
		ck_assert_str_eq(a->unique_key, b->unique_key);
	ck_assert_uint_eq(a->nlabels, b->nlabels);
	ck_assert_ptr_nonnull(b->labels);
	for (i = 0; i < a->nlabels; i++)
		ck_assert_str_eq(a->labels[i], b->labels[i]);
	ck_assert_ptr_null(b->labels[b->nlabels]);
	ck_assert_uint_eq(a->ndeps, b->ndeps);
	for (i = 0; i < a->ndeps; i++) {
		ck_assert(a->deps[i].id == b->deps[i].id);
		ck_assert_int_eq(a->deps[i].mode, b->deps[i].mode);
	}
	if (a->ndeps == 0)
		ck_assert_ptr_null(b->deps);
	ck_assert(a->array_id == b->array_id);
	ck_assert(a->array_index == b->array_index);
	ck_assert_int_eq(a->limited, b->limited);
	ck_assert_uint_eq(a->limits.set, b->limits.set);
	ck_assert(a->limits.mem == b->limits.mem);
	ck_assert(a->limits.cpu_time == b->limits.cpu_time);
	ck_assert(a->limits.nofile == b->limits.nofile);
	ck_assert(a->limits.nproc == b->limits.nproc);
	ck_assert(a->limits.core == b->limits.core);
	ck_assert(a->limits.nice == b->limits.nice);
	ck_assert(a->limits.cpus == b->limits.cpus);
	if (a->schedule == NULL)
		ck_assert_ptr_null(b->schedule);
	else
		ck_assert_str_eq(a->schedule, b->schedule);
	if (a->usage_from == NULL)
		ck_assert_ptr_null(b->usage_from);
	else
		ck_assert_str_eq(a->usage_from, b->usage_from);
	ck_assert(a->mem_peak == b->mem_peak);
	ck_assert(a->cpu_user_us == b->cpu_user_us);
	ck_assert(a->cpu_sys_us == b->cpu_sys_us);
	ck_assert_str_eq(a->executor, b->executor);
	ck_assert(a->slurm_id == b->slurm_id);
}

/* Encodes, frames, parses and decodes a job; compares with the original. */
static void
job_roundtrip(const jobq_job *job)
{
	cJSON		*obj, *back;
	jobq_job	*out;
	char		*buf, err[256];
	const char	*payload;
	size_t		 len, plen, used;

	obj = proto_job_to_json(job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(proto_frame_encode(obj, &buf, &len), 0);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_frame_parse(buf, len, JOBQ_MAX_FRAME, &payload,
	    &plen, &used), 1);
	ck_assert_int_eq(proto_parse(payload, plen, 0, &back, err,
	    sizeof(err)), 0);
	free(buf);
	ck_assert_msg(proto_job_from_json(back, &out, err, sizeof(err)) == 0,
	    "decode: %s", err);
	cJSON_Delete(back);
	job_equal(job, out);
	jobq_job_free(out);
}

START_TEST(test_job_roundtrip)
{
	char		*argv_full[] = { "/bin/sh", "-c",
	    "echo \"hi\" 'there'\n\ttab \\ back", "h\xc3\xa9llo \xe2\x82\xac",
	    "", NULL };
	char		*argv_one[] = { "x", NULL };
	jobq_job	 full = {
		.id = 9007199254740991LL, .state = JOBQ_STATE_FAILED,
		.name = "name with \"quotes\"\nand newline",
		.queue = "q.1-_x", .argv = argv_full, .argc = 5,
		.cwd = "/tmp/d\xc3\xafr", .owner_uid = 4294967295u,
		.exit_code = 3, .signal = 9, .submitted_at = 1700000000123LL,
		.started_at = 1700000000456LL, .finished_at = 1700000000789LL,
		.attempts = 2, .max_retries = 1000, .reason = "exit_code",
		.message = "\x01\x1f control", .pid = 4194304,
		.submitter_uid = 4294967295u, .gid = 4294967294LL,
		.umask = 0777,
		.mem_peak = 9007199254740991LL, .cpu_user_us = 1, .cpu_sys_us = 0,
		.usage_from = "cgroup", .schedule = "nightly backup",
		.slots = 1024, .res = "gpu=2,license=1",
		.res_given = "gpu=1,3;license=0", .executor = "slurm",
		.slurm_id = 9007199254740991LL
	};
	jobq_job	 nulls = {
		.id = 1, .state = JOBQ_STATE_QUEUED, .name = NULL,
		.queue = "default", .argv = argv_one, .argc = 1, .cwd = "/",
		.owner_uid = 0, .exit_code = -1, .signal = 0,
		.submitted_at = 0, .started_at = 0, .finished_at = 0,
		.attempts = 0, .max_retries = 0, .reason = NULL,
		.message = NULL, .pid = 0, .gid = -1, .umask = 022
	};
	cJSON		*obj;
	int		 s;

	job_roundtrip(&full);
	job_roundtrip(&nulls);
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		nulls.state = (jobq_state)s;
		job_roundtrip(&nulls);
	}
	/* Nulls are written as JSON null. */
	nulls.state = JOBQ_STATE_RUNNING;
	obj = proto_job_to_json(&nulls);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "name")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "exit_code")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "signal")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "started_at")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "finished_at")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "reason")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "message")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "pid")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(obj, "gid")));
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "running");
	/* No usage recorded: no usage members; one slot, no resources. */
	ck_assert_int_eq(cp_int(obj, "slots"), 1);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "res"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "res_given"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "usage_from"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "mem_peak"));
	/* A local run: no executor, no Slurm id. */
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "executor"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "slurm_id"));
	cJSON_Delete(obj);
	/* An out-of-range state cannot be encoded. */
	nulls.state = JOBQ_STATE_COUNT;
	ck_assert_ptr_null(proto_job_to_json(&nulls));
	jobq_job_free(NULL);
	jobq_job_list_free(NULL, 0);
}
END_TEST

#define JOB_OK "{\"id\":7,\"state\":\"succeeded\",\"name\":null," \
	"\"queue\":\"default\",\"argv\":[\"a\"],\"cwd\":\"/\",\"owner_uid\":0," \
	"\"exit_code\":0,\"signal\":null,\"submitted_at\":1,\"started_at\":2," \
	"\"finished_at\":3,\"attempts\":1,\"max_retries\":0,\"reason\":null," \
	"\"message\":null,\"pid\":null"

/* JOB_OK with the members in `first` put in front (they win). */
static cJSON *
job_with(const char *first)
{
	char	text[4096];

	ck_assert_int_lt(snprintf(text, sizeof(text), "{%s,%s}", first,
	    JOB_OK + 1), (int)sizeof(text));
	return check_proto_parse(text);
}

/* Another user's job seen limited (jobqd.conf(5)): only id, state, queue,
 * owner_uid, the times and "limited" are on the wire, and it decodes. */
START_TEST(test_job_limited)
{
	static const char *const keys[] = { "id", "state", "queue",
		"owner_uid", "submitted_at", "started_at", "finished_at",
		"limited" };
	char *argv[] = { "secret", NULL }, *labels[] = { "k=v", NULL };
	jobq_job job = {
		.id = 12, .state = JOBQ_STATE_RUNNING, .name = "n",
		.queue = "gpu", .argv = argv, .argc = 1, .cwd = "/home/a",
		.owner_uid = 1001, .exit_code = -1, .submitted_at = 1000,
		.started_at = 2000, .attempts = 1, .labels = labels,
		.nlabels = 1, .limited = 1
	};
	jobq_job *out;
	const cJSON *it;
	cJSON *obj;
	char err[256];
	size_t i, n = 0;

	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	cJSON_ArrayForEach(it, obj) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(it->string, keys[i]) == 0)
				break;
		ck_assert_msg(i < sizeof(keys) / sizeof(keys[0]),
		    "limited job has \"%s\"", it->string);
		n++;
	}
	ck_assert_uint_eq(n, sizeof(keys) / sizeof(keys[0]));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(obj, "limited")));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)), 0);
	cJSON_Delete(obj);
	ck_assert_int_eq(out->limited, 1);
	ck_assert(out->id == 12 && out->state == JOBQ_STATE_RUNNING);
	ck_assert_str_eq(out->queue, "gpu");
	ck_assert_uint_eq(out->owner_uid, 1001);
	ck_assert(out->submitted_at == 1000 && out->started_at == 2000 &&
	    out->finished_at == 0);
	ck_assert_uint_eq(out->argc, 0);
	ck_assert_ptr_nonnull(out->argv);
	ck_assert_ptr_null(out->cwd);
	ck_assert_ptr_null(out->name);
	ck_assert_int_eq(out->exit_code, -1);
	ck_assert_uint_eq(out->nlabels, 0);
	jobq_job_free(out);

	/* "limited" must be a boolean; a limited job still needs its
	 * owner; a job that is not limited still needs its argv */
	obj = cJSON_Parse("{\"id\":1,\"state\":\"queued\",\"queue\":\"q\","
	    "\"owner_uid\":1,\"submitted_at\":1,\"limited\":1}");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	obj = cJSON_Parse("{\"id\":1,\"state\":\"queued\",\"queue\":\"q\","
	    "\"submitted_at\":1,\"limited\":true}");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	obj = cJSON_Parse("{\"id\":1,\"state\":\"queued\",\"queue\":\"q\","
	    "\"owner_uid\":1,\"submitted_at\":1,\"limited\":false}");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
}
END_TEST

/* Where a job's run went: "executor" and "slurm_id", each only when set;
 * absent or null decode as local / none. */
START_TEST(test_job_executor)
{
	char		*argv[] = { "x", NULL };
	jobq_job	 job = {
		.id = 5, .state = JOBQ_STATE_RUNNING, .queue = "hpc",
		.argv = argv, .argc = 1, .cwd = "/", .exit_code = -1,
		.attempts = 1, .gid = -1, .umask = 022, .executor = "slurm"
	};
	jobq_job	*out;
	cJSON		*obj;
	char		 err[256];

	/* claimed for Slurm, sbatch not answered yet: executor only */
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "executor")->valuestring,
	    "slurm");
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "slurm_id"));
	cJSON_Delete(obj);
	job_roundtrip(&job);
	/* with its Slurm id */
	job.slurm_id = 123456;
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(cp_int(obj, "slurm_id"), 123456);
	cJSON_Delete(obj);
	job_roundtrip(&job);
	/* the longest name the member carries */
	memcpy(job.executor, "abcdefghijklmno", 16);
	job_roundtrip(&job);
	/* what the protocol cannot carry is not encoded */
	memcpy(job.executor, "Slurm", 6);
	ck_assert_ptr_null(proto_job_to_json(&job));
	memset(job.executor, 'a', sizeof(job.executor));   /* no NUL */
	ck_assert_ptr_null(proto_job_to_json(&job));
	ck_assert_int_eq(proto_job_executor_ok(""), 0);
	ck_assert_int_eq(proto_job_executor_ok("slurm"), 1);
	ck_assert_int_eq(proto_job_executor_ok("abcdefghijklmnop"), 0);

	/* absent (an older jobqd, or a local run): local, no id */
	obj = check_proto_parse(JOB_OK "}");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out->executor, "");
	ck_assert(out->slurm_id == 0);
	jobq_job_free(out);
	cJSON_Delete(obj);
	/* null is absent */
	obj = job_with("\"executor\":null,\"slurm_id\":null");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out->executor, "");
	ck_assert(out->slurm_id == 0);
	jobq_job_free(out);
	cJSON_Delete(obj);
	/* an executor this client does not know is still shown */
	obj = job_with("\"executor\":\"pbs\",\"slurm_id\":7");
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out->executor, "pbs");
	ck_assert(out->slurm_id == 7);
	jobq_job_free(out);
	cJSON_Delete(obj);
}
END_TEST

START_TEST(test_job_bad)
{
	/* Each is JOB_OK with one member overridden (later keys are ignored
	 * by cJSON, so overrides go first) or the object changed. */
	static const char *const bad[] = {
		"\"id\":\"7\"",
		"\"id\":0",
		"\"id\":1.5",
		"\"state\":\"done\"",
		"\"state\":1",
		"\"name\":5",
		"\"queue\":null",
		"\"argv\":\"a\"",
		"\"argv\":[\"a\",1]",
		"\"argv\":[null]",
		"\"cwd\":false",
		"\"owner_uid\":-1",
		"\"slots\":0",
		"\"slots\":1025",
		"\"slots\":\"2\"",
		"\"res\":2",
		"\"res_given\":[]",
		"\"owner_uid\":4294967296",
		"\"exit_code\":\"0\"",
		"\"exit_code\":0.5",
		"\"signal\":-1",
		"\"submitted_at\":null",
		"\"started_at\":\"x\"",
		"\"finished_at\":1e400",
		"\"attempts\":[]",
		"\"max_retries\":-1",
		"\"reason\":{}",
		"\"message\":1",
		"\"pid\":-5",
		"\"priority\":\"1\"",
		"\"priority\":2147483648",
		"\"priority\":0.5",
		"\"not_before\":-1",
		"\"timeout_ms\":1.5",
		"\"kill_grace_ms\":\"x\"",
		"\"retry_delay_ms\":-1",
		"\"unique_key\":5",
		"\"mem_peak\":-1",
		"\"mem_peak\":\"1\"",
		"\"cpu_user_us\":0.5",
		"\"cpu_sys_us\":-1",
		"\"usage_from\":1",
		"\"labels\":\"a=b\"",
		"\"labels\":{}",
		"\"labels\":[1]",
		"\"labels\":[null]",
		"\"labels\":[\"novalue\"]",
		"\"labels\":[\"=v\"]",
		"\"labels\":[\"a=b\",\"\"]",
		"\"deps\":{}",
		"\"deps\":[1]",
		"\"deps\":[{}]",
		"\"deps\":[{\"id\":0}]",
		"\"deps\":[{\"id\":\"1\"}]",
		"\"deps\":[{\"id\":1,\"mode\":\"bad\"}]",
		"\"deps\":[{\"id\":1,\"mode\":1}]",
		"\"deps\":[{\"id\":1,\"mode\":null}]",
		"\"array_id\":-1",
		"\"array_index\":\"0\"",
		"\"array_index\":-2",
		"\"submitter_uid\":-1",
		"\"submitter_uid\":\"0\"",
		"\"gid\":4294967295",
		"\"gid\":-2",
		"\"umask\":512",
		"\"umask\":\"022\"",
		"\"executor\":\"\"",
		"\"executor\":\"Slurm\"",
		"\"executor\":\"slurm-2\"",
		"\"executor\":\"slurm \"",
		"\"executor\":\"abcdefghijklmnop\"",
		"\"executor\":1",
		"\"executor\":true",
		"\"executor\":{\"type\":\"slurm\"}",
		"\"slurm_id\":0",
		"\"slurm_id\":-1",
		"\"slurm_id\":\"5\"",
		"\"slurm_id\":1.5",
		"\"slurm_id\":1e19",
		"\"slurm_id\":[]",
	};
	cJSON		*obj;
	jobq_job	*job;
	char		 err[256];
	size_t		 i;

	obj = check_proto_parse(JOB_OK "}");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	/* Without the identity members (an older jobqd): the owner
	 * submitted it, its primary group, umask 022. */
	ck_assert_uint_eq(job->submitter_uid, job->owner_uid);
	ck_assert(job->gid == -1);
	ck_assert_int_eq(job->umask, 022);
	ck_assert(job->id == 7);
	ck_assert_int_eq(job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(job->signal, 0);
	ck_assert(job->pid == 0);
	/* A job without the scheduling members (an older daemon). */
	ck_assert_int_eq(job->priority, 0);
	ck_assert(job->not_before == 0 && job->timeout_ms == 0 &&
	    job->kill_grace_ms == 0 && job->retry_delay_ms == 0);
	ck_assert_ptr_null(job->unique_key);
	ck_assert_ptr_nonnull(job->labels);
	ck_assert_ptr_null(job->labels[0]);
	ck_assert_uint_eq(job->nlabels, 0);
	ck_assert_ptr_null(job->deps);
	ck_assert_uint_eq(job->ndeps, 0);
	ck_assert(job->array_id == 0 && job->array_index == 0);
	jobq_job_free(job);
	cJSON_Delete(obj);
	/* Null scheduling members count as absent; a dependency's mode
	 * defaults to ok. */
	obj = job_with("\"priority\":null,\"labels\":null,\"deps\":null,"
	    "\"unique_key\":null,\"not_before\":null,\"array_id\":null");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(job->labels);
	ck_assert_uint_eq(job->nlabels, 0);
	ck_assert_ptr_null(job->deps);
	jobq_job_free(job);
	cJSON_Delete(obj);
	obj = job_with("\"deps\":[{\"id\":4},{\"id\":5,\"mode\":\"any\","
	    "\"future\":1}]");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)), 0);
	ck_assert_uint_eq(job->ndeps, 2);
	ck_assert(job->deps[0].id == 4 && job->deps[0].mode == JOBQ_DEP_OK);
	ck_assert(job->deps[1].id == 5 && job->deps[1].mode == JOBQ_DEP_ANY);
	jobq_job_free(job);
	cJSON_Delete(obj);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]) + 2; i++) {
		char	text[1024];

		if (i == sizeof(bad) / sizeof(bad[0]))
			snprintf(text, sizeof(text), "[1]");
		else if (i == sizeof(bad) / sizeof(bad[0]) + 1)
			snprintf(text, sizeof(text), "{}");
		else
			snprintf(text, sizeof(text), "{%s,%s}", bad[i],
			    JOB_OK + 1);
		obj = cJSON_Parse(text);
		ck_assert_ptr_nonnull(obj);
		job = (jobq_job *)1;
		err[0] = '\0';
		ck_assert_msg(proto_job_from_json(obj, &job, err,
		    sizeof(err)) == JOBQ_EPROTO, "accepted %s", text);
		ck_assert_ptr_null(job);
		ck_assert_str_ne(err, "");
		cJSON_Delete(obj);
	}
	/* Missing required members. */
	obj = check_proto_parse("{\"id\":1,\"state\":\"queued\",\"argv\":[\"a\"]}");
	ck_assert_int_eq(proto_job_from_json(obj, &job, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	ck_assert_int_eq(proto_job_from_json(NULL, &job, err, sizeof(err)),
	    JOBQ_EPROTO);
}
END_TEST


START_TEST(test_job_sched_roundtrip)
{
	char		*argv_one[] = { "x", NULL };
	char		*labels[] = { "team=infra", "k==v=", "h\xc3\xa9=\xe2\x82\xac",
	    NULL };
	char		*nolabels[] = { NULL };
	jobq_dep	 deps[] = { { 1, JOBQ_DEP_OK }, { 9007199254740991LL,
	    JOBQ_DEP_NOTOK }, { 3, JOBQ_DEP_ANY } };
	jobq_job	 job = {
		.id = 12, .state = JOBQ_STATE_TIMED_OUT, .queue = "q",
		.argv = argv_one, .argc = 1, .cwd = "/", .exit_code = -1,
		.signal = 15, .submitted_at = 1, .started_at = 2,
		.finished_at = 3, .attempts = 1, .reason = "timeout",
		.priority = -1000000, .not_before = 1700000000000LL,
		.timeout_ms = 315360000000LL, .kill_grace_ms = 86400000,
		.retry_delay_ms = 1, .unique_key = "nightly \"backup\"",
		.labels = labels, .nlabels = 3, .deps = deps, .ndeps = 3,
		.array_id = 11, .array_index = 9007199254740991LL
	};
	cJSON		*obj, *l;

	job_roundtrip(&job);
	job.priority = INT32_MAX;
	job_roundtrip(&job);
	job.priority = INT32_MIN;
	job_roundtrip(&job);

	/* What is written: everything set here. */
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "state")->valuestring,
	    "timed_out");
	/* raw decimal text (proto_add_int), exact */
	ck_assert(cJSON_IsRaw(cJSON_GetObjectItem(obj, "timeout_ms")));
	ck_assert_str_eq(cJSON_GetObjectItem(obj, "timeout_ms")->valuestring,
	    "315360000000");
	l = cJSON_GetObjectItem(obj, "labels");
	ck_assert_int_eq(cJSON_GetArraySize(l), 3);
	ck_assert_str_eq(cJSON_GetArrayItem(l, 1)->valuestring, "k==v=");
	l = cJSON_GetObjectItem(obj, "deps");
	ck_assert_int_eq(cJSON_GetArraySize(l), 3);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 1),
	    "mode")->valuestring, "notok");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 2),
	    "mode")->valuestring, "any");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(obj, "array_index"));
	cJSON_Delete(obj);

	/* Unset members are left out, except priority and labels. */
	memset(&job, 0, sizeof(job));
	job.id = 1;
	job.queue = "default";
	job.argv = argv_one;
	job.argc = 1;
	job.cwd = "/";
	job.exit_code = -1;
	job.labels = nolabels;
	obj = proto_job_to_json(&job);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(cp_int(obj, "priority"), 0);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(obj, "labels")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "labels")), 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "not_before"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "timeout_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "kill_grace_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "retry_delay_ms"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "unique_key"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "deps"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_id"));
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "array_index"));
	cJSON_Delete(obj);
	job_roundtrip(&job);
	/* labels NULL (a job built by hand) is written as []. */
	job.labels = NULL;
	obj = proto_job_to_json(&job);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(obj,
	    "labels")), 0);
	cJSON_Delete(obj);
	/* Unencodable: a dependency mode out of range, deps NULL with ndeps. */
	deps[0].mode = (jobq_dep_mode)7;
	job.deps = deps;
	job.ndeps = 1;
	ck_assert_ptr_null(proto_job_to_json(&job));
	job.deps = NULL;
	ck_assert_ptr_null(proto_job_to_json(&job));
}
END_TEST

/* Decodes JOB_OK with one member replaced by a JSON value built in code. */
static int
job_decode_with(const char *key, cJSON *value, char *err, size_t errlen)
{
	cJSON		*obj;
	jobq_job	*job = NULL;
	int		 rc;

	obj = check_proto_parse(JOB_OK "}");
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddItemToObject(obj, key, value);
	rc = proto_job_from_json(obj, &job, err, errlen);
	if (rc == 0)
		jobq_job_free(job);
	else
		ck_assert_ptr_null(job);
	cJSON_Delete(obj);
	return rc;
}

START_TEST(test_job_sched_limits)
{
	char	label[JOBQ_MAX_LABEL + 2], key[JOBQ_MAX_NAME + 2], err[256];

	ck_assert_int_eq(job_decode_with("labels", check_proto_strings(JOBQ_MAX_LABELS,
	    "a=b"), err, sizeof(err)), 0);
	ck_assert_int_eq(job_decode_with("labels",
	    check_proto_strings(JOBQ_MAX_LABELS + 1, "a=b"), err, sizeof(err)),
	    JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "labels"));
	memset(label, 'v', sizeof(label));
	label[0] = 'k';
	label[1] = '=';
	label[JOBQ_MAX_LABEL] = '\0';
	ck_assert_int_eq(job_decode_with("labels", check_proto_strings(1, label), err,
	    sizeof(err)), 0);
	label[JOBQ_MAX_LABEL] = 'v';
	label[JOBQ_MAX_LABEL + 1] = '\0';
	ck_assert_int_eq(job_decode_with("labels", check_proto_strings(1, label), err,
	    sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "labels"));

	ck_assert_int_eq(job_decode_with("deps", check_proto_deps(JOBQ_MAX_DEPS),
	    err, sizeof(err)), 0);
	ck_assert_int_eq(job_decode_with("deps", check_proto_deps(JOBQ_MAX_DEPS + 1),
	    err, sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "deps"));

	memset(key, 'u', sizeof(key));
	key[JOBQ_MAX_NAME] = '\0';
	ck_assert_int_eq(job_decode_with("unique_key", cJSON_CreateString(key),
	    err, sizeof(err)), 0);
	key[JOBQ_MAX_NAME] = 'u';
	key[JOBQ_MAX_NAME + 1] = '\0';
	ck_assert_int_eq(job_decode_with("unique_key", cJSON_CreateString(key),
	    err, sizeof(err)), JOBQ_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "unique_key"));
}
END_TEST

/* A job's "limits": written only when some are set, each set member; the
 * decoder refuses a bad one (EPROTO naming it). */
START_TEST(test_job_limits)
{
	char		*argv_one[] = { "x", NULL };
	char		*nolabels[] = { NULL };
	jobq_job	 job = {
		.id = 5, .state = JOBQ_STATE_QUEUED, .queue = "q",
		.argv = argv_one, .argc = 1, .cwd = "/", .exit_code = -1,
		.labels = nolabels,
	};
	jobq_job	*out;
	cJSON		*obj, *l;
	char		 err[256];

	job_roundtrip(&job);
	obj = proto_job_to_json(&job);
	ck_assert_ptr_null(cJSON_GetObjectItem(obj, "limits"));
	cJSON_Delete(obj);

	job.limits.set = JOBQ_LIMIT_ALL;
	job.limits.mem = (int64_t)1 << 53;
	job.limits.cpu_time = 1;
	job.limits.nofile = 1024;
	job.limits.nproc = 64;
	job.limits.core = 0;
	job.limits.nice = -20;
	job.limits.cpus = 1;
	job_roundtrip(&job);
	/* cpus: integer milli-CPUs, 1 .. PROTO_MAX_CPUS */
	memset(&job.limits, 0, sizeof(job.limits));
	job.limits.set = JOBQ_LIMIT_CPUS;
	job.limits.cpus = 1500;
	job_roundtrip(&job);
	obj = proto_job_to_json(&job);
	l = cJSON_GetObjectItem(obj, "limits");
	ck_assert_int_eq(cJSON_GetArraySize(l), 1);
	ck_assert_int_eq(cp_int(l, "cpus"), 1500);
	cJSON_ReplaceItemInObject(l, "cpus", cJSON_CreateNumber(0));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	ck_assert_msg(strstr(err, "\"cpus\" must be an integer in 1..8192000")
	    != NULL, "%s", err);
	cJSON_ReplaceItemInObject(l, "cpus", cJSON_CreateNumber(1.5));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_ReplaceItemInObject(l, "cpus",
	    cJSON_CreateNumber((double)PROTO_MAX_CPUS + 1));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	job.limits.cpus = 0;
	job.limits.set = JOBQ_LIMIT_CORE | JOBQ_LIMIT_NICE;
	job.limits.mem = job.limits.cpu_time = job.limits.nofile = 0;
	job.limits.nproc = 0;
	job.limits.nice = 19;
	job_roundtrip(&job);
	obj = proto_job_to_json(&job);
	l = cJSON_GetObjectItem(obj, "limits");
	ck_assert_int_eq(cJSON_GetArraySize(l), 2);
	ck_assert_int_eq(cp_int(l, "core"), 0);
	ck_assert_int_eq(cp_int(l, "nice"), 19);
	cJSON_ReplaceItemInObject(l, "nice", cJSON_CreateNumber(20));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	ck_assert_msg(strstr(err, "job \"limits\": \"nice\"") != NULL, "%s",
	    err);
	cJSON_ReplaceItemInObject(obj, "limits", cJSON_CreateString("x"));
	ck_assert_int_eq(proto_job_from_json(obj, &out, err, sizeof(err)),
	    JOBQ_EPROTO);
	cJSON_Delete(obj);
	/* An invalid value cannot be encoded. */
	job.limits.nice = 20;
	ck_assert_ptr_null(proto_job_to_json(&job));
}
END_TEST

void
check_proto_job_add(Suite *s)
{
	TCase	*tc;

	tc = tcase_create("job");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_job_roundtrip);
	tcase_add_test(tc, test_job_bad);
	tcase_add_test(tc, test_job_executor);
	tcase_add_test(tc, test_job_limited);
	tcase_add_test(tc, test_job_sched_roundtrip);
	tcase_add_test(tc, test_job_sched_limits);
	tcase_add_test(tc, test_job_limits);
	suite_add_tcase(s, tc);
}
