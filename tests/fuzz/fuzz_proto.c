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
 * Every request decoder of the op table (lib/proto_req.c) runs on every
 * object, and the object is also routed by its own "op" as jobqd's server
 * routes it; every reply decoder runs on it too.
 *
 * Invariants (abort on violation): whatever a request decoder accepts
 * respects the documented limits, and re-encoded with the op's encoder,
 * framed and parsed it decodes back to an equal request (tests/proto_cmp.c);
 * a decoder that fails leaves nothing allocated (LeakSanitizer) and writes
 * a NUL-terminated message even into a tiny buffer; a decoded reply
 * re-encodes and decodes back to the same reply (jobs: the same id, state
 * and argv, and a second round trip changes nothing); strict base64 has
 * exactly one encoding, so encode(decode(s)) == s.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_cmp.h"
#include "fuzz.h"

#define FUZZ_SMALL_MAX 64
#define FUZZ_MAX_FRAMES 8

/* Frames obj and parses it back; aborts if that fails. */
static cJSON *
fuzz_reparse(const cJSON *obj)
{
	cJSON	*back;

	FUZZ_CHECK(obj != NULL);
	back = proto_cmp_reparse(obj);
	FUZZ_CHECK(back != NULL);
	return back;
}

static void
fuzz_job_roundtrip(const jobq_job *job)
{
	cJSON		*obj, *back;
	jobq_job	*job2, *job3;
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
	/* The first round trip normalises; a second one changes nothing. */
	FUZZ_CHECK((obj = proto_job_to_json(job2)) != NULL);
	back = fuzz_reparse(obj);
	cJSON_Delete(obj);
	FUZZ_CHECK(proto_job_from_json(back, &job3, err, sizeof(err)) == 0);
	cJSON_Delete(back);
	FUZZ_CHECK(proto_cmp_job(job2, job3, err, sizeof(err)) == 0);
	jobq_job_free(job3);
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

/* What every decoded request must respect (jobq-protocol(7)). */
static void
fuzz_req_limits(const struct proto_req *r)
{
	const struct proto_submit	*s = &r->u.submit;
	size_t				 i;

	switch (r->op) {
	case PROTO_OP_HELLO:
		FUZZ_CHECK(r->u.hello.version == JOBQ_PROTOCOL_VERSION);
		break;
	case PROTO_OP_SUBMIT:
		FUZZ_CHECK(s->argc >= 1 && s->argv[0][0] != '\0');
		FUZZ_CHECK(s->cwd != NULL && s->cwd[0] == '/');
		FUZZ_CHECK(s->queue != NULL && proto_queue_name_ok(s->queue));
		FUZZ_CHECK(s->spec_bytes <= JOBQ_MAX_SPEC);
		FUZZ_CHECK(s->max_retries >= 0 &&
		    s->max_retries <= PROTO_MAX_RETRIES);
		FUZZ_CHECK(s->nlabels <= JOBQ_MAX_LABELS &&
		    s->ndeps <= JOBQ_MAX_DEPS);
		FUZZ_CHECK(s->array_count >= 0 &&
		    s->array_count <= JOBQ_MAX_ARRAY);
		FUZZ_CHECK(proto_limits_valid(&s->limits));
		break;
	case PROTO_OP_LIST:
		FUZZ_CHECK(r->u.list.nlabels <= JOBQ_MAX_LABELS);
		FUZZ_CHECK((r->u.list.states >> JOBQ_STATE_COUNT) == 0 &&
		    r->u.list.owner_uid >= -1);
		FUZZ_CHECK(r->u.list.limit <= PROTO_MAX_LIMIT);
		break;
	case PROTO_OP_LOGS:
		FUZZ_CHECK(r->u.logs.max >= 1 &&
		    r->u.logs.max <= JOBQ_MAX_LOG_CHUNK);
		FUZZ_CHECK(!r->u.logs.ref.array);
		break;
	case PROTO_OP_PRIORITY:
		FUZZ_CHECK(r->u.priority.priority >= -PROTO_MAX_PRIORITY &&
		    r->u.priority.priority <= PROTO_MAX_PRIORITY);
		break;
	case PROTO_OP_PURGE:
		FUZZ_CHECK(r->u.purge.state == -1 ||
		    jobq_state_is_terminal((jobq_state)r->u.purge.state));
		break;
	case PROTO_OP_QUEUE_SET:
		FUZZ_CHECK(proto_queue_name_ok(r->u.queue_set.queue));
		FUZZ_CHECK(r->u.queue_set.parallel <= PROTO_MAX_PARALLEL);
		break;
	case PROTO_OP_SUBMIT_BATCH:
		FUZZ_CHECK(r->u.batch.n >= 1 && r->u.batch.n <= PROTO_MAX_BATCH);
		for (i = 0; i < r->u.batch.n; i++)
			FUZZ_CHECK(r->u.batch.jobs[i].argc >= 1 &&
			    r->u.batch.jobs[i].spec_bytes <= JOBQ_MAX_SPEC &&
			    proto_queue_name_ok(r->u.batch.jobs[i].queue));
		break;
	case PROTO_OP_WATCH:
		FUZZ_CHECK(r->u.watch.nids <= PROTO_MAX_WATCH_IDS);
		for (i = 0; i < r->u.watch.nids; i++)
			FUZZ_CHECK(r->u.watch.ids[i] >= 1 &&
			    r->u.watch.ids[i] <= PROTO_MAX_JSON_INT);
		break;
	default:
		break;
	}
}

/* Every request decoder on obj, and obj routed by its own "op". */
static void
fuzz_requests(const cJSON *obj)
{
	struct proto_req	r;
	char			err[128], tiny[4];
	int			op, rc;

	for (op = -1; op < PROTO_OP_COUNT; op++) {
		if (op < 0)
			rc = proto_req_from_json(obj, &r, err, sizeof(err));
		else
			rc = proto_req_decode(op, obj, &r, err, sizeof(err));
		if (rc == 0) {
			FUZZ_CHECK(op < 0 || (int)r.op == op);
			fuzz_req_limits(&r);
			if (proto_cmp_req_roundtrip(&r, err, sizeof(err)) != 0) {
				fprintf(stderr, "fuzz_proto: %s\n", err);
				FUZZ_CHECK(!"a request survives its round trip");
			}
		} else
			FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		proto_req_release(&r);
		/* Short error buffers must be truncated, never overrun. */
		if (op >= 0 && proto_req_decode(op, obj, &r, tiny,
		    sizeof(tiny)) != 0)
			FUZZ_CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
		proto_req_release(&r);
	}
}

/* The replies with small members: hello, ping, submit, purge. */
static void
fuzz_small_replies(const cJSON *obj)
{
	struct proto_hello_reply	 h, h2;
	struct proto_ping_reply		 p, p2;
	struct proto_submit_reply	 s, s2;
	size_t				 n, n2;
	cJSON				*enc, *back;
	char				 err[128];

	if (proto_hello_reply_from_json(obj, &h, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_hello_reply_to_json(&h));
		FUZZ_CHECK(proto_hello_reply_from_json(back, &h2, err,
		    sizeof(err)) == 0 && h.version == h2.version &&
		    (h.server == NULL) == (h2.server == NULL) &&
		    (h.server == NULL || strcmp(h.server, h2.server) == 0));
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_ping_reply_from_json(obj, &p, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_ping_reply_to_json(&p));
		FUZZ_CHECK(proto_ping_reply_from_json(back, &p2, err,
		    sizeof(err)) == 0 && memcmp(&p, &p2, sizeof(p)) == 0);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_submit_reply_from_json(obj, &s, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_submit_reply_to_json(&s));
		FUZZ_CHECK(proto_submit_reply_from_json(back, &s2, err,
		    sizeof(err)) == 0 && memcmp(&s, &s2, sizeof(s)) == 0);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_purge_reply_from_json(obj, &n, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_purge_reply_to_json(n));
		FUZZ_CHECK(proto_purge_reply_from_json(back, &n2, err,
		    sizeof(err)) == 0 && n == n2);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
}

/* The logs reply: the bytes, offsets and end come back the same. */
static void
fuzz_logs_reply(const cJSON *obj)
{
	struct proto_logs_reply	 l, l2;
	cJSON			*enc, *back;
	char			 err[128];

	if (proto_logs_reply_from_json(obj, &l, err, sizeof(err)) != 0)
		return;
	FUZZ_CHECK((l.len == 0) == (l.data == NULL));
	back = fuzz_reparse(enc = proto_logs_reply_to_json(&l));
	FUZZ_CHECK(proto_logs_reply_from_json(back, &l2, err,
	    sizeof(err)) == 0 && l.len == l2.len &&
	    (l.len == 0 || memcmp(l.data, l2.data, l.len) == 0) &&
	    l.offset == l2.offset && l.size == l2.size && l.done == l2.done);
	free(l2.data);
	free(l.data);
	cJSON_Delete(enc);
	cJSON_Delete(back);
}

/* The replies with lists: queue_list (every member back), its and stats'
 * usage and slurm (every member back) and list (the jobs' ids, states and argv
 * counts back; fuzz_job checks jobs). */
static void
fuzz_list_replies(const cJSON *obj)
{
	jobq_queue_info	 *q, *q2;
	jobq_usage	 *u, *u2 = NULL;
	jobq_slurm_info	  si, si2;
	jobq_job	**jobs, **jobs2;
	int64_t		  total, total2;
	size_t		  n, n2, i;
	cJSON		 *enc, *back;
	char		  err[128];

	if (proto_queue_list_reply_from_json(obj, &q, &n, err,
	    sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_queue_list_reply_to_json(q,
		    NULL, n));
		FUZZ_CHECK(proto_queue_list_reply_from_json(back, &q2, &n2, err,
		    sizeof(err)) == 0 && n == n2);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(memcmp(&q[i], &q2[i], sizeof(q[i])) == 0);
		jobq_queue_list_free(q2);
		jobq_queue_list_free(q);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_usage_from_reply(obj, &u, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_usage_add(cJSON_CreateObject(),
		    u));
		FUZZ_CHECK(proto_usage_from_reply(back, &u2, err,
		    sizeof(err)) == 0 && u->slots_used == u2->slots_used &&
		    u->slots_total == u2->slots_total && u->nres == u2->nres);
		for (i = 0; i < u->nres && i < u2->nres; i++)
			FUZZ_CHECK(memcmp(&u->res[i], &u2->res[i],
			    sizeof(u->res[i])) == 0);
		jobq_usage_free(u2);
		jobq_usage_free(u);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_slurm_from_reply(obj, &si, err, sizeof(err)) == 0) {
		back = fuzz_reparse(enc = proto_slurm_add(cJSON_CreateObject(),
		    &si));
		FUZZ_CHECK(proto_slurm_from_reply(back, &si2, err,
		    sizeof(err)) == 0 && si.configured == si2.configured &&
		    si.reachable == si2.reachable &&
		    si.since_ms == si2.since_ms &&
		    strcmp(si.error, si2.error) == 0 &&
		    si.pending == si2.pending && si.running == si2.running &&
		    si.submitting == si2.submitting);
		cJSON_Delete(enc);
		cJSON_Delete(back);
	}
	if (proto_list_reply_from_json(obj, &jobs, &n, &total, err,
	    sizeof(err)) != 0)
		return;
	FUZZ_CHECK(jobs[n] == NULL);
	back = fuzz_reparse(enc = proto_list_reply_to_json(jobs, n, total));
	FUZZ_CHECK(proto_list_reply_from_json(back, &jobs2, &n2, &total2, err,
	    sizeof(err)) == 0 && n == n2 && total == total2);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(jobs[i]->id == jobs2[i]->id &&
		    jobs[i]->state == jobs2[i]->state &&
		    jobs[i]->argc == jobs2[i]->argc);
	jobq_job_list_free(jobs2, n2);
	jobq_job_list_free(jobs, n);
	cJSON_Delete(enc);
	cJSON_Delete(back);
}

/* Decoded replies re-encode and decode back the same. */
static void
fuzz_replies(const cJSON *obj)
{
	fuzz_small_replies(obj);
	fuzz_logs_reply(obj);
	fuzz_list_replies(obj);
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

	fuzz_requests(obj);
	fuzz_replies(obj);
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
