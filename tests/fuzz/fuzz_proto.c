/*
 * fuzz_proto.c - libFuzzer target for lib/proto.c, the decoders that take
 * untrusted bytes from a peer (jobqd reads requests, libjobq reads replies).
 *
 * The input is a byte stream of frames: each complete frame (found with
 * proto_frame_parse, checked against a small max too) is decoded with
 * proto_parse and every reader is run on the object.  An input with no
 * complete frame at its start is also tried as one bare payload, so the
 * fuzzer reaches the JSON decoders without having to fix up a header.
 *
 * Invariants (abort on violation): a decoded job re-encoded with
 * proto_job_to_json + proto_frame_encode decodes back to the same id, state
 * and argv; a decoded submit re-encoded with proto_submit_to_json decodes
 * back to the same request; strict base64 has exactly one encoding, so
 * encode(decode(s)) == s.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define FUZZ_SMALL_MAX 64
#define FUZZ_MAX_FRAMES 8

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_proto: invariant failed: %s (%s:%d)\n", \
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* Decodes one re-encoded frame back into an object; aborts if it fails. */
static cJSON *
fuzz_reparse(const cJSON *obj)
{
	char		*buf, err[128];
	const char	*payload;
	size_t		 len, plen, consumed;
	cJSON		*back;

	FUZZ_CHECK(proto_frame_encode(obj, &buf, &len) == 0);
	FUZZ_CHECK(proto_frame_parse(buf, len, JOBQ_MAX_FRAME, &payload, &plen,
	    &consumed) == 1);
	FUZZ_CHECK(consumed == len);
	FUZZ_CHECK(proto_parse(payload, plen, 0, &back, err, sizeof(err)) == 0);
	free(buf);
	return back;
}

static void
fuzz_job_roundtrip(const jobq_job *job)
{
	cJSON		*obj, *back;
	jobq_job	*job2;
	char		 err[128];
	size_t		 i;

	FUZZ_CHECK((obj = proto_job_to_json(job)) != NULL);
	back = fuzz_reparse(obj);
	cJSON_Delete(obj);
	FUZZ_CHECK(proto_job_from_json(back, &job2, err, sizeof(err)) == 0);
	cJSON_Delete(back);
	FUZZ_CHECK(job2->id == job->id);
	FUZZ_CHECK(job2->state == job->state);
	FUZZ_CHECK(job2->argc == job->argc);
	for (i = 0; i < job->argc; i++)
		FUZZ_CHECK(strcmp(job2->argv[i], job->argv[i]) == 0);
	FUZZ_CHECK(job2->argv[job2->argc] == NULL);
	jobq_job_free(job2);
}

static void
fuzz_job(const cJSON *obj)
{
	jobq_job	*job = NULL;
	char		 err[64], tiny[4];

	if (proto_job_from_json(obj, &job, err, sizeof(err)) == 0) {
		FUZZ_CHECK(job != NULL && job->id >= 1 && job->queue != NULL &&
		    job->cwd != NULL && job->argv != NULL &&
		    job->argv[job->argc] == NULL);
		fuzz_job_roundtrip(job);
		jobq_job_free(job);
	} else
		FUZZ_CHECK(job == NULL);
	/* Short error buffers must be truncated, never overrun. */
	if (proto_job_from_json(obj, &job, tiny, sizeof(tiny)) == 0)
		jobq_job_free(job);
}

/* Same strings in the same order, both NULL-terminated. */
static int
fuzz_same_strings(const char **a, size_t na, const char **b, size_t nb)
{
	size_t	i;

	if (na != nb || a[na] != NULL || b[nb] != NULL)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static void
fuzz_submit(const cJSON *obj)
{
	struct proto_submit	 s, s2;
	jobq_submit_opts	 o;
	cJSON			*req, *back;
	char			 err[128];

	if (proto_submit_from_json(obj, &s, err, sizeof(err)) != 0) {
		FUZZ_CHECK(s.argv == NULL && s.env == NULL);
		return;
	}
	FUZZ_CHECK(s.argc >= 1 && s.argv[0][0] != '\0');
	FUZZ_CHECK(s.cwd != NULL && s.cwd[0] == '/');
	FUZZ_CHECK(s.queue != NULL && s.spec_bytes <= JOBQ_MAX_SPEC);
	FUZZ_CHECK(s.max_retries >= 0 && s.max_retries <= 1000);

	memset(&o, 0, sizeof(o));
	o.argv = (const char *const *)s.argv;
	o.name = s.name;
	o.queue = s.queue;
	o.max_retries = s.max_retries;
	o.priority = s.priority;
	o.not_before = s.not_before;
	o.timeout_ms = s.timeout_ms;
	o.kill_grace_ms = s.kill_grace_ms;
	o.retry_delay_ms = s.retry_delay_ms;
	o.unique_key = s.unique_key;
	o.labels = (const char *const *)s.labels;
	o.deps = s.deps;
	o.ndeps = s.ndeps;
	o.array_first = s.array_first;
	o.array_step = s.array_step;
	o.array_count = s.array_count;
	o.array_throttle = s.array_throttle;
	req = proto_submit_to_json(&o, (const char *const *)s.env, s.cwd);
	FUZZ_CHECK(req != NULL);
	back = fuzz_reparse(req);
	cJSON_Delete(req);
	FUZZ_CHECK(proto_submit_from_json(back, &s2, err, sizeof(err)) == 0);
	FUZZ_CHECK(fuzz_same_strings(s.argv, s.argc, s2.argv, s2.argc));
	FUZZ_CHECK(fuzz_same_strings(s.env, s.envc, s2.env, s2.envc));
	FUZZ_CHECK(strcmp(s.cwd, s2.cwd) == 0);
	FUZZ_CHECK(strcmp(s.queue, s2.queue) == 0);
	FUZZ_CHECK((s.name == NULL) == (s2.name == NULL));
	FUZZ_CHECK(s.name == NULL || strcmp(s.name, s2.name) == 0);
	FUZZ_CHECK(s.max_retries == s2.max_retries);
	FUZZ_CHECK(s.spec_bytes == s2.spec_bytes);
	FUZZ_CHECK(s.priority == s2.priority && s.not_before == s2.not_before &&
	    s.timeout_ms == s2.timeout_ms &&
	    s.kill_grace_ms == s2.kill_grace_ms &&
	    s.retry_delay_ms == s2.retry_delay_ms);
	FUZZ_CHECK((s.unique_key == NULL) == (s2.unique_key == NULL));
	FUZZ_CHECK(s.unique_key == NULL ||
	    strcmp(s.unique_key, s2.unique_key) == 0);
	FUZZ_CHECK(fuzz_same_strings(s.labels, s.nlabels, s2.labels,
	    s2.nlabels));
	FUZZ_CHECK(s.ndeps == s2.ndeps && (s.ndeps == 0 ||
	    memcmp(s.deps, s2.deps, s.ndeps * sizeof(*s.deps)) == 0));
	FUZZ_CHECK(s.array_first == s2.array_first &&
	    s.array_step == s2.array_step && s.array_count == s2.array_count &&
	    s.array_throttle == s2.array_throttle);
	proto_submit_release(&s2);
	cJSON_Delete(back);
	proto_submit_release(&s);
}

static void
fuzz_members(const cJSON *obj)
{
	static const char *const keys[] = { "op", "id", "name", "queue",
	    "timeout_ms", "offset", "version", "data", "state" };
	const char	*str;
	int64_t		 v;
	char		 err[64];
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)proto_get_int(obj, keys[i], 1, INT64_MIN, INT64_MAX, &v,
		    err, sizeof(err));
		(void)proto_get_int(obj, keys[i], 0, 1, INT32_MAX, &v, err,
		    sizeof(err));
		if (proto_get_str(obj, keys[i], JOBQ_MAX_NAME, &str, err,
		    sizeof(err)) == 0 && str != NULL)
			FUZZ_CHECK(strlen(str) <= JOBQ_MAX_NAME);
		(void)proto_get_str(obj, keys[i], 4, &str, err, sizeof(err));
	}
}

static void
fuzz_b64(const cJSON *obj)
{
	const cJSON	*data;
	void		*bin;
	size_t		 binlen;
	char		*again;

	data = cJSON_GetObjectItemCaseSensitive(obj, "data");
	if (!cJSON_IsString(data) || data->valuestring == NULL)
		return;
	if (proto_b64_decode(data->valuestring, &bin, &binlen) != 0)
		return;
	again = proto_b64_encode(bin, binlen);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(strcmp(again, data->valuestring) == 0);
	free(again);
	free(bin);
}

/* The scheduling codecs: whatever decodes re-encodes and decodes the same. */
static void
fuzz_sched(const cJSON *obj)
{
	jobq_array_info	 a, a2;
	jobq_queue_info	 q, q2;
	jobq_event	 e, e2;
	jobq_stats	 st, st2;
	const cJSON	*item;
	cJSON		*enc, *back;
	char		 err[128];

	if (proto_array_info_from_json(cJSON_GetObjectItemCaseSensitive(obj,
	    "array"), &a, err, sizeof(err)) == 0) {
		FUZZ_CHECK((enc = proto_array_info_to_json(&a)) != NULL);
		back = fuzz_reparse(enc);
		cJSON_Delete(enc);
		FUZZ_CHECK(proto_array_info_from_json(back, &a2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(memcmp(&a, &a2, sizeof(a)) == 0);
		cJSON_Delete(back);
	}
	if (proto_queue_info_from_json(cJSON_GetObjectItemCaseSensitive(obj,
	    "queue"), &q, err, sizeof(err)) == 0) {
		FUZZ_CHECK((enc = proto_queue_info_to_json(&q)) != NULL);
		back = fuzz_reparse(enc);
		cJSON_Delete(enc);
		memset(&q2, 0, sizeof(q2));
		FUZZ_CHECK(proto_queue_info_from_json(back, &q2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(strcmp(q.name, q2.name) == 0 &&
		    q.parallel == q2.parallel && q.paused == q2.paused &&
		    memcmp(q.counts, q2.counts, sizeof(q.counts)) == 0);
		cJSON_Delete(back);
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(obj,
	    "queues"))
		(void)proto_queue_info_from_json(item, &q, err, sizeof(err));
	if (proto_event_from_json(obj, &e, err, sizeof(err)) == 0) {
		FUZZ_CHECK((enc = proto_event_to_json(&e)) != NULL);
		back = fuzz_reparse(enc);
		cJSON_Delete(enc);
		memset(&e2, 0, sizeof(e2));
		FUZZ_CHECK(proto_event_from_json(back, &e2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(e.id == e2.id && e.state == e2.state &&
		    e.time == e2.time && strcmp(e.queue, e2.queue) == 0 &&
		    e.attempts == e2.attempts && e.exit_code == e2.exit_code &&
		    e.signal == e2.signal && strcmp(e.reason, e2.reason) == 0 &&
		    e.not_before == e2.not_before &&
		    (e.array_id == 0 || (e.array_id == e2.array_id &&
		    e.array_index == e2.array_index)));
		cJSON_Delete(back);
	}
	if (proto_stats_from_json(cJSON_GetObjectItemCaseSensitive(obj,
	    "stats"), &st, err, sizeof(err)) == 0) {
		FUZZ_CHECK(st.nqueues == 0 || st.queues != NULL);
		FUZZ_CHECK((enc = proto_stats_to_json(&st)) != NULL);
		back = fuzz_reparse(enc);
		cJSON_Delete(enc);
		FUZZ_CHECK(proto_stats_from_json(back, &st2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(st.nqueues == st2.nqueues &&
		    st.workers == st2.workers && st.busy == st2.busy &&
		    memcmp(st.counts, st2.counts, sizeof(st.counts)) == 0);
		jobq_stats_release(&st2);
		jobq_stats_release(&st);
		cJSON_Delete(back);
	}
}

static void
fuzz_payload(const char *payload, size_t plen)
{
	cJSON	*obj = NULL, *obj1 = NULL;
	char	 err[128];
	int	 rc1, rc0;

	rc1 = proto_parse(payload, plen, 1, &obj1, err, sizeof(err));
	rc0 = proto_parse(payload, plen, 0, &obj, err, sizeof(err));
	/* Replies have no "op": decode them too, and the two must agree. */
	FUZZ_CHECK(rc1 != 0 || rc0 == 0);
	FUZZ_CHECK((rc1 == 0) == (obj1 != NULL) && (rc0 == 0) == (obj != NULL));
	cJSON_Delete(obj1);
	if (obj == NULL)
		return;
	FUZZ_CHECK(cJSON_IsObject(obj));

	fuzz_submit(obj);
	fuzz_members(obj);
	(void)proto_reply_status(obj, err, sizeof(err));
	(void)proto_reply_status(obj, err, 2);
	fuzz_job(obj);
	fuzz_job(cJSON_GetObjectItemCaseSensitive(obj, "job"));
	fuzz_b64(obj);
	fuzz_sched(obj);
	cJSON_Delete(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*payload, *p2;
	size_t		 plen, consumed, pl2, c2, off = 0;
	int		 rc, rcs, frames = 0;

	while (frames < FUZZ_MAX_FRAMES) {
		rc = proto_frame_parse(data + off, size - off, JOBQ_MAX_FRAME,
		    &payload, &plen, &consumed);
		rcs = proto_frame_parse(data + off, size - off, FUZZ_SMALL_MAX,
		    &p2, &pl2, &c2);
		/* The small limit can only turn a frame into ETOOBIG. */
		if (rc == 1 && plen <= FUZZ_SMALL_MAX)
			FUZZ_CHECK(rcs == 1 && p2 == payload && pl2 == plen &&
			    c2 == consumed);
		else if (rc == 1)
			FUZZ_CHECK(rcs == JOBQ_ETOOBIG);
		if (rc != 1)
			break;
		FUZZ_CHECK(plen >= 1 && plen <= JOBQ_MAX_FRAME &&
		    consumed == plen + PROTO_HDR_LEN && consumed <= size - off);
		fuzz_payload(payload, plen);
		off += consumed;
		frames++;
	}
	if (frames == 0 && size > 0)
		fuzz_payload((const char *)data, size);
	return 0;
}
