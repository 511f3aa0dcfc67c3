/*
 * proto.h - the jobq wire protocol codec, shared by jobqd, libjobq and jobq.
 * Internal: not installed.  The protocol itself is documented in
 * doc/protocol.md (jobq-protocol(7)).
 *
 * Files: proto.c (framing, parsing, error names and replies, member readers
 * and writers, the queue-name rule), proto_job.c (jobs), proto_submit.c
 * (submit requests and replies), proto_batch.c (submit_batch and its
 * reply), proto_req.c (every other request and the
 * op table), proto_reply.c (the replies), proto_sched.c (arrays, queues,
 * watch events, statistics), proto_exec.c (a queue's executor),
 * proto_b64.c (base64).
 *
 * Framing: every message is a 4-byte big-endian unsigned length N
 * (1 <= N <= JOBQ_MAX_FRAME) followed by N bytes holding one JSON object.
 *
 * Functions return 0 on success or a negative JOBQ_E* code.  Decoders never
 * trust the peer: every type, size and count is checked, and a failure comes
 * with a human message in `err` (errlen bytes, always NUL-terminated).
 */
#ifndef JOBQ_PROTO_H
#define JOBQ_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "jobq.h"

#define PROTO_HDR_LEN 4

/* Writes the 4-byte header for a payload of len bytes into hdr. */
void proto_frame_header(uint32_t len, unsigned char hdr[PROTO_HDR_LEN]);

/*
 * Looks for one complete frame at the start of buf[0..len).
 * Returns 1 and sets *payload / *plen / *consumed when a whole frame is there;
 * 0 if more bytes are needed; JOBQ_ETOOBIG if the header announces more than
 * max bytes; JOBQ_EPROTO if it announces 0 bytes.
 */
int proto_frame_parse(const void *buf, size_t len, size_t max,
    const char **payload, size_t *plen, size_t *consumed);

/*
 * Serialises obj (compact JSON) into a malloc'd buffer that holds the header
 * followed by the payload; *out / *outlen get the buffer.  JOBQ_ETOOBIG if the
 * payload would exceed JOBQ_MAX_FRAME.
 */
int proto_frame_encode(const cJSON *obj, char **out, size_t *outlen);

/* Parses a frame payload into a JSON object (must be an object, with a string
 * "op" for requests when require_op is set). */
int proto_parse(const char *payload, size_t plen, int require_op,
    cJSON **out, char *err, size_t errlen);

/* Error codes on the wire are names: "not_found", "timeout", ...  */
const char *proto_errname(int err);          /* JOBQ_E* -> name */
int proto_errcode(const char *name);         /* name -> JOBQ_E* (JOBQ_EPROTO if unknown) */

/* {"ok":false,"error":{"code":NAME,"message":msg}} */
cJSON *proto_error_reply(int err, const char *msg);
/* {"ok":true} */
cJSON *proto_ok_reply(void);
/* For a reply object: 0 if "ok" is true; else the decoded error code, with
 * the daemon's message copied to err. JOBQ_EPROTO if the object is malformed. */
int proto_reply_status(const cJSON *reply, char *err, size_t errlen);

/* A job <-> JSON (field names in doc/protocol.md). */
cJSON *proto_job_to_json(const jobq_job *job);
int proto_job_from_json(const cJSON *obj, jobq_job **out, char *err, size_t errlen);
/* 1 if e is a job's executor as the protocol carries it ("executor" of
 * JOB): 1..15 bytes of [a-z] (fits jobq_job.executor); 0 for "" and the
 * rest. */
int proto_job_executor_ok(const char *e);

/* Bounds of request members (jobq-protocol(7)). */
#define PROTO_MAX_PRIORITY     1000000           /* |priority| */
#define PROTO_MAX_TIMEOUT_MS   315360000000LL    /* 10 years of 365 days */
#define PROTO_MAX_GRACE_MS     86400000LL        /* kill_grace_ms: 1 day */
#define PROTO_MAX_RETRY_DELAY_MS 86400000LL      /* retry_delay_ms: 1 day */
#define PROTO_MAX_PARALLEL     1000000           /* queue_set parallel */
#define PROTO_MAX_RETRIES      1000              /* submit retries */
#define PROTO_MAX_LIMIT        INT32_MAX         /* list limit */
#define PROTO_MAX_WATCH_IDS    100000            /* watch ids */
#define PROTO_MAX_OLDER_THAN_MS (INT64_MAX / 2)  /* purge older_than_ms */
#define PROTO_MAX_STATE_NAME   32                /* bytes of a "state" member */
#define PROTO_MAX_STREAM_NAME  16                /* bytes of logs' "stream" */
#define PROTO_MAX_OUTPUT_LIMIT ((int64_t)1 << 53)  /* submit output_limit */
/* The largest integer a JSON number carries exactly (2^53): watch ids, and
 * what libjobq sends for ids, indexes and offsets. */
#define PROTO_MAX_JSON_INT     ((int64_t)1 << 53)

/* Bounds of the "limits" object's members (proto_limits.c) besides nice's
 * -20..19: mem and core in bytes, cpu_time in seconds, cpus in milli-CPUs
 * (1..PROTO_MAX_CPUS). */
#define PROTO_MAX_LIMIT_BYTES  ((int64_t)1 << 53)
#define PROTO_MAX_CPU_TIME     315360000LL       /* 10 years of 365 days */
#define PROTO_MAX_NOFILE       ((int64_t)1 << 30) /* the kernel's nr_open cap */
#define PROTO_MAX_NPROC        ((int64_t)INT32_MAX)
/* cpus, in milli-CPUs: 8192 CPUs (the kernel's largest NR_CPUS). */
#define PROTO_MAX_CPUS         8192000LL

/* The resource limits of a "limits" object, in JOBQ_LIMIT_* bit order
 * (which is also the order of daemon/conf.h's enum conf_rlimit). */
#define PROTO_NLIMITS 7
struct proto_limit {
	const char *name;      /* the member: "mem", "cpu_time", ... */
	const char *opt;       /* jobq submit's option: "--mem", ... */
	unsigned bit;          /* JOBQ_LIMIT_* */
	int64_t min, max;      /* the protocol's bounds */
	size_t off;            /* of the value in jobq_limits */
};
extern const struct proto_limit proto_limits[PROTO_NLIMITS];
/* Value i of l (whether set or not); proto_limit_set also sets its bit. */
int64_t proto_limit_get(const jobq_limits *l, int i);
void proto_limit_set(jobq_limits *l, int i, int64_t v);
/* 1 if l has no unknown bit and every value set is within its bounds. */
int proto_limits_valid(const jobq_limits *l);
/* A "limits" object (NULL or null: nothing set) into *out; rc_bad (with a
 * message naming the member, prefixed by who) for anything else than an
 * object of known members, each at most once, integers within bounds. */
int proto_limits_decode(const cJSON *obj, const char *who, int rc_bad,
    jobq_limits *out, char *err, size_t errlen);

/* The queue-name rule of submit, queue_set and jobq: 1..JOBQ_MAX_NAME bytes
 * of [A-Za-z0-9_.-].  proto_queue_name_check returns NULL for a good name,
 * else why it is not ("must not be empty", "is too long", "may only hold
 * letters, digits, '_', '.' and '-'"). */
const char *proto_queue_name_check(const char *q);
int proto_queue_name_ok(const char *q);

/* A submit request, decoded and validated.  Pointers point into `obj`, which
 * must outlive the struct.  argv/env/labels arrays and deps are malloc'd
 * (free with proto_submit_release).  Enforces JOBQ_MAX_* limits: argv
 * non-empty with a non-empty argv[0], strings without NUL bytes, cwd
 * absolute, env entries of the form K=V with non-empty K, name/queue at most
 * JOBQ_MAX_NAME bytes and queue a good queue name (proto_queue_name_ok),
 * retries 0..PROTO_MAX_RETRIES;
 * and the scheduling members: priority in +-PROTO_MAX_PRIORITY, not_before
 * >= 0, timeout_ms / kill_grace_ms / retry_delay_ms within their PROTO_MAX_*,
 * unique_key 1..JOBQ_MAX_NAME bytes, labels "K=V" (<= JOBQ_MAX_LABEL bytes,
 * <= JOBQ_MAX_LABELS of them), deps {"id":>=1,"mode":ok|notok|any}
 * (<= JOBQ_MAX_DEPS), array {first >= 0, step >= 1, count
 * 1..JOBQ_MAX_ARRAY, throttle >= 0} without int64 overflow and not with
 * unique_key; output_limit 0..PROTO_MAX_OUTPUT_LIMIT; limits as
 * proto_limits_decode says.  Too many argv/env/labels/deps entries or too many spec bytes
 * give JOBQ_ETOOBIG, everything else JOBQ_EINVAL; `err` names the member. */
struct proto_submit {
	const char **argv;   /* NULL-terminated */
	size_t argc;
	const char **env;    /* NULL-terminated */
	size_t envc;
	const char *cwd;
	const char *name;    /* NULL if absent */
	const char *queue;   /* "default" if absent */
	int max_retries;
	size_t spec_bytes;   /* sum of strlen+1 of argv, env and cwd */
	/* scheduling: 0 / NULL when absent */
	int priority;
	int64_t not_before;
	int64_t timeout_ms;
	int64_t kill_grace_ms;
	int64_t retry_delay_ms;
	const char *unique_key;
	const char **labels; /* NULL-terminated (never NULL after a decode) */
	size_t nlabels;
	jobq_dep *deps;      /* NULL if none */
	size_t ndeps;
	int64_t array_first; /* array_count 0: not an array */
	int64_t array_step;  /* 1 if absent */
	int64_t array_count;
	int array_throttle;
	int64_t output_limit; /* bytes; 0 if absent (the daemon's default) */
	/* identity: NULL / 0 / -1 when absent */
	const char *user;    /* run as (root only): a name or a uid */
	const char *group;   /* primary group (root only): a name or a gid */
	int clean_env;       /* jobqd builds a login-like env (+ env on top) */
	int umask;           /* 0..0777, -1 if absent */
	/* filled by jobqd after the decode (never from the wire) */
	uint32_t run_uid;    /* the job runs as and belongs to this uid */
	int64_t run_gid;     /* its primary group, -1: run_uid's at run time */
	/* resource limits (jobqd resolves them against its configuration) */
	jobq_limits limits;   /* set 0 if absent */
	/* jobq_submit_ext's members (NULL / 0 if absent) */
	const char *on_end;  /* end hook, 1..JOBQ_MAX_HOOK bytes */
	int merge_output;    /* stderr into the stdout file */
	int hold;            /* "hold":true: the job (every task) is queued
	                        on hold (jobq_hold) */
	int slots;           /* 1..JOBQ_MAX_SLOTS; 0 if absent (1) */
	const char *res;     /* 1..JOBQ_MAX_RES bytes; NULL if absent (jobqd
	                        checks it against its resources) */
};
int proto_submit_from_json(const cJSON *req, struct proto_submit *out,
    char *err, size_t errlen);
/* The same, with env_default (NULL: none) taken when req has no "env". */
int proto_submit_from_json_env(const cJSON *req, const cJSON *env_default,
    struct proto_submit *out, char *err, size_t errlen);
void proto_submit_release(struct proto_submit *s);
/* Builds {"op":"submit",...} from library options, with env and cwd already
 * resolved (opts->env / opts->cwd are ignored).  Members at their zero value
 * are left out; array_step 0 is sent as 1.  NULL on allocation failure or
 * when opts cannot be encoded (no argv, NULL cwd, deps NULL with ndeps > 0,
 * an unknown dependency mode, a negative array_count). */
cJSON *proto_submit_to_json(const jobq_submit_opts *opts,
    const char *const *env, const char *cwd);
/* Encodes a decoded submit again (through proto_submit_to_json), its
 * umask too. */
cJSON *proto_submit_req_to_json(const struct proto_submit *s);
/* Adds "umask" (0..0777; < 0: nothing) to a submit request; returns req,
 * or NULL (req freed) on allocation failure or a umask above 0777. */
cJSON *proto_submit_umask(cJSON *req, int umask);
/* Adds the members of ext (a full-size, zero-filled copy of the caller's:
 * client_ext_copy) to a submit request; returns req, or NULL (req freed)
 * on allocation failure.  ext NULL: req as is. */
cJSON *proto_submit_ext(cJSON *req, const jobq_submit_ext *ext);

/* submit_batch (proto_batch.c): {"op":"submit_batch","jobs":[JOB,...]},
 * 1..PROTO_MAX_BATCH (= JOBQ_MAX_BATCH) jobs, each decoded and checked as a
 * single submit (an "op" member in it is ignored), its "env" when absent
 * being the batch's optional "env" (sent once for all); errors name the job:
 * "jobs[I]: ...".  The frame's JOBQ_MAX_FRAME applies to the whole batch.
 * Reply: {"ok":true,"ids":[ID,...]}, one per job, in order. */
#define PROTO_MAX_BATCH        JOBQ_MAX_BATCH
struct proto_batch {
	struct proto_submit *jobs;   /* malloc'd, n of them */
	size_t n;
};
int proto_batch_from_json(const cJSON *req, struct proto_batch *out,
    char *err, size_t errlen);
void proto_batch_release(struct proto_batch *b);
cJSON *proto_batch_to_json(const struct proto_batch *b);
/* Building one: proto_batch_begin gives the request and its "jobs" array;
 * proto_batch_add appends a submit request (from proto_submit_to_json; its
 * "op" removed), taking it whatever happens: 0 or JOBQ_ENOMEM. */
cJSON *proto_batch_begin(cJSON **jobs);
/* Sets the batch's shared "env" (req from proto_batch_begin): 0 or
 * JOBQ_ENOMEM. */
int proto_batch_env(cJSON *req, const char *const *env);
int proto_batch_add(cJSON *jobs, cJSON *submit_req);
cJSON *proto_batch_reply_to_json(const int64_t *ids, size_t n);
/* Reads exactly n ids into ids[]; 0 or JOBQ_EPROTO. */
int proto_batch_reply_from_json(const cJSON *reply, int64_t *ids, size_t n,
    char *err, size_t errlen);

/*
 * The other objects of protocol 1's scheduling additions.  *_to_json return
 * NULL on allocation failure (or an unencodable value); *_from_json return 0,
 * JOBQ_EPROTO (with a message in err) or JOBQ_ENOMEM, and never trust the
 * peer.  "counts" objects map every state name to a count; on decode an
 * absent name counts 0 and unknown names are ignored.
 */
/* "array": {"id","first","step","count","throttle","counts":{...}} */
cJSON *proto_array_info_to_json(const jobq_array_info *a);
int proto_array_info_from_json(const cJSON *obj, jobq_array_info *out,
    char *err, size_t errlen);
/* QUEUEOBJ: {"name","parallel","paused","counts":{...}} */
cJSON *proto_queue_info_to_json(const jobq_queue_info *q);
int proto_queue_info_from_json(const cJSON *obj, jobq_queue_info *out,
    char *err, size_t errlen);
/* A watch event frame {"event":"state",...}; members left at their "unset"
 * value (exit_code -1, signal 0, reason "", not_before 0, array 0) are not
 * written.  Decoding requires "event":"state" (the caller handles
 * "overflow" and unknown kinds); a reason longer than the struct holds is
 * truncated. */
cJSON *proto_event_to_json(const jobq_event *ev);
int proto_event_from_json(const cJSON *obj, jobq_event *out, char *err,
    size_t errlen);
/* {"event":"overflow"}: the daemon drops a watcher that fell behind. */
cJSON *proto_overflow_event_to_json(void);
/* The kind of a watch frame's "event" member: PROTO_EVENT_STATE,
 * PROTO_EVENT_OVERFLOW, PROTO_EVENT_OTHER (a kind this side does not know:
 * skip it), or JOBQ_EPROTO if "event" is absent or not a string. */
#define PROTO_EVENT_STATE    0
#define PROTO_EVENT_OVERFLOW 1
#define PROTO_EVENT_OTHER    2
int proto_event_kind(const cJSON *frame);
/* "stats": {"counts","workers","busy","minute","hour","queues"}.  Decoding
 * fills *out (out->queues malloc'd: free with jobq_stats_release). */
cJSON *proto_stats_to_json(const jobq_stats *st);
int proto_stats_from_json(const cJSON *obj, jobq_stats *out, char *err,
    size_t errlen);
/* Adds "counts":{state name: n, ...} for every state to obj; 0 or -1. */
int proto_add_counts(cJSON *obj, const char *key,
    const size_t counts[JOBQ_STATE_COUNT]);
/* A dependency mode name -> jobq_dep_mode (>= 0), or -1. */
int proto_dep_mode_parse(const char *name);

/* Reads an integer member; returns 0 and sets *v, JOBQ_EINVAL if absent when
 * required or not an integral number in [min,max]. */
int proto_get_int(const cJSON *obj, const char *key, int required,
    int64_t min, int64_t max, int64_t *v, char *err, size_t errlen);
/* Reads an optional string member (NULL if absent); JOBQ_EINVAL if present
 * but not a string or longer than maxlen bytes. */
int proto_get_str(const cJSON *obj, const char *key, size_t maxlen,
    const char **v, char *err, size_t errlen);

/* Base64 (RFC 4648, with padding), for log data. */
char *proto_b64_encode(const void *data, size_t len);              /* malloc'd */
int proto_b64_decode(const char *s, void **out, size_t *outlen);   /* malloc'd */

/* Appended: the largest reply payload libjobq accepts, and an encoder with a
 * caller-chosen payload limit (jobqd's replies, e.g. a long list, may exceed
 * JOBQ_MAX_FRAME; use PROTO_MAX_REPLY for them). */
#define PROTO_MAX_REPLY (256u << 20)
int proto_frame_encode_max(const cJSON *obj, size_t max, char **out,
    size_t *outlen);
/* Appended: adds an integer member exactly, as raw decimal text (cJSON
 * alone prints only 15 significant digits, slowly: see proto.c).  Returns
 * 0 or a JOBQ_E* code. */
int proto_add_int(cJSON *obj, const char *key, int64_t v);

/*
 * Requests (proto_req.c).  Each op has a decoder proto_OP_from_json, which
 * does every check jobqd makes (codes and messages as in
 * jobq-protocol(7): JOBQ_EINVAL for a bad member, JOBQ_ETOOBIG for too
 * many entries, JOBQ_ENOMEM; hello: JOBQ_EBADREQ and JOBQ_EVERSION), and an
 * encoder proto_OP_to_json, which builds {"op":OP,...} with the members at
 * their "unset" value left out (NULL on allocation failure or a value the
 * decoder would refuse to produce).  Strings of a decoded struct point into
 * the request, which must outlive it; vectors (labels, ids) are malloc'd and
 * freed by the op's release function.  Decoding what an encoder built gives
 * the same struct back.  Submit is proto_submit_* above.
 */

/* What get, cancel, wait, logs, priority and retry name: {"id":N}, with
 * "index":I (task I of array N) or, where allowed, "array":true (array N
 * as a whole); index and array exclude each other. */
struct proto_ref {
	int64_t id;          /* >= 1 */
	int64_t index;       /* when has_index */
	int has_index;
	int array;
};
/* Decodes the members of a ref (allow_array: may it name a whole array). */
int proto_ref_from_json(const cJSON *req, int allow_array,
    struct proto_ref *out, char *err, size_t errlen);
/* Adds the members of ref to req; 0 or JOBQ_ENOMEM. */
int proto_ref_add(cJSON *req, const struct proto_ref *ref);

/* {"op":"hello","version":V,"client":STR?}.  The decoder wants the version
 * this codec speaks (JOBQ_PROTOCOL_VERSION); client is free text, NULL when
 * absent or not a string. */
struct proto_hello {
	int64_t version;
	const char *client;
};
int proto_hello_from_json(const cJSON *req, struct proto_hello *out,
    char *err, size_t errlen);
cJSON *proto_hello_to_json(const struct proto_hello *h);

/* {"op":"ping"}, {"op":"queue_list"}, {"op":"stats"}: no members (unknown
 * members are ignored, as in every request). */
int proto_ping_from_json(const cJSON *req, char *err, size_t errlen);
cJSON *proto_ping_to_json(void);
int proto_queue_list_from_json(const cJSON *req, char *err, size_t errlen);
cJSON *proto_queue_list_to_json(void);
int proto_stats_req_from_json(const cJSON *req, char *err, size_t errlen);
cJSON *proto_stats_req_to_json(void);
/* {"op":"metrics"}: no members. */
int proto_metrics_req_from_json(const cJSON *req, char *err, size_t errlen);
cJSON *proto_metrics_req_to_json(void);

/* {"op":"get"|"cancel"|"retry", REF}; get and cancel may name an array. */
int proto_get_from_json(const cJSON *req, struct proto_ref *out, char *err,
    size_t errlen);
cJSON *proto_get_to_json(const struct proto_ref *ref);
int proto_cancel_from_json(const cJSON *req, struct proto_ref *out,
    char *err, size_t errlen);
cJSON *proto_cancel_to_json(const struct proto_ref *ref);
int proto_retry_from_json(const cJSON *req, struct proto_ref *out,
    char *err, size_t errlen);
cJSON *proto_retry_to_json(const struct proto_ref *ref);
/* Appended (holds and edits): {"op":"hold"|"release", REF}, REF may name
 * an array (its queued tasks); {"op":"history", REF}. */
int proto_hold_from_json(const cJSON *req, struct proto_ref *out,
    char *err, size_t errlen);
cJSON *proto_hold_to_json(const struct proto_ref *ref);
int proto_release_from_json(const cJSON *req, struct proto_ref *out,
    char *err, size_t errlen);
cJSON *proto_release_to_json(const struct proto_ref *ref);
int proto_history_from_json(const cJSON *req, struct proto_ref *out,
    char *err, size_t errlen);
cJSON *proto_history_to_json(const struct proto_ref *ref);

/*
 * {"op":"edit", REF, ...} (proto_edit.c): the members present are the
 * changes: "queue":Q, "priority":P, "name":S|null (null: no name),
 * "labels":[...] (replace), "not_before":MS (0: none), "timeout_ms":MS,
 * "retries":N, "deps_add":[DEP,...], "deps_remove":[ID,...], "argv":[...],
 * "env":[...], "cwd":PATH; at least one.  Bounds as at submit.
 */
struct proto_edit {
	struct proto_ref ref;
	unsigned set;          /* JOBQ_EDIT_* bits of the members present */
	const char *queue;
	int priority;
	const char *name;      /* NULL: none */
	const char **labels;   /* malloc'd, NULL-terminated */
	size_t nlabels;
	int64_t not_before, timeout_ms;
	int max_retries;
	jobq_dep *deps_add;    /* malloc'd */
	size_t ndeps_add;
	int64_t *deps_remove;  /* malloc'd */
	size_t ndeps_remove;
	const char **argv;     /* malloc'd, NULL-terminated */
	size_t argc;
	const char **env;      /* malloc'd, NULL-terminated */
	size_t envc;
	const char *cwd;
	size_t spec_bytes;
	int slots;             /* JOBQ_EDIT_SLOTS: 1..JOBQ_MAX_SLOTS */
	const char *res;       /* JOBQ_EDIT_RES: NULL none, else non-empty */
};
int proto_edit_from_json(const cJSON *req, struct proto_edit *out,
    char *err, size_t errlen);
cJSON *proto_edit_to_json(const struct proto_edit *e);
void proto_edit_release(struct proto_edit *e);
/* From library options (id only, no index). */
cJSON *proto_edit_opts_to_json(int64_t id, const jobq_edit_opts *o);
/* history reply: {"ok":true,"history":[{"at":MS,"uid":U,"what":S,
 * "detail":S?},...]}; *out malloc'd (jobq_history_free). */
cJSON *proto_history_reply_to_json(const jobq_history_entry *v, size_t n);
int proto_history_reply_from_json(const cJSON *reply,
    jobq_history_entry **out, size_t *n, char *err, size_t errlen);

/* {"op":"wait", REF, "timeout_ms":INT?}; REF may name an array.  A negative
 * or absent timeout_ms decodes as -1 (wait for ever). */
struct proto_wait {
	struct proto_ref ref;
	int64_t timeout_ms;
};
int proto_wait_from_json(const cJSON *req, struct proto_wait *out,
    char *err, size_t errlen);
cJSON *proto_wait_to_json(const struct proto_wait *w);

/* {"op":"logs", REF, "stream":"stdout"|"stderr", "offset":INT,
 * "max":1..JOBQ_MAX_LOG_CHUNK} */
struct proto_logs {
	struct proto_ref ref;
	jobq_stream stream;
	int64_t offset;
	size_t max;
};
int proto_logs_from_json(const cJSON *req, struct proto_logs *out,
    char *err, size_t errlen);
cJSON *proto_logs_to_json(const struct proto_logs *l);

/* {"op":"priority", REF, "priority":+-PROTO_MAX_PRIORITY} */
struct proto_priority {
	struct proto_ref ref;
	int priority;
};
int proto_priority_from_json(const cJSON *req, struct proto_priority *out,
    char *err, size_t errlen);
cJSON *proto_priority_to_json(const struct proto_priority *p);

/* {"op":"list","state":STATE?,"states":[STATE,...]?,"queue":STR?,
 * "name":STR?,"limit":INT?,"array_id":INT?,"labels":[STR,...]?,
 * "owner_uid":INT?,"count":BOOL?}; "state" and "states" together mean any
 * of them. */
struct proto_list {
	unsigned states;     /* 1u << state for each wanted; 0: any */
	const char *queue;   /* NULL: any */
	const char *name;    /* NULL: any */
	const char **labels; /* malloc'd (NULL when none), NULL-terminated */
	size_t nlabels;
	int64_t array_id;    /* 0: any */
	int64_t owner_uid;   /* -1: any */
	size_t limit;        /* 0: no limit */
	int count;           /* 1: the reply says how many match in all */
	const char *schedule; /* NULL: any; else jobs of that schedule */
};
int proto_list_from_json(const cJSON *req, struct proto_list *out,
    char *err, size_t errlen);
cJSON *proto_list_to_json(const struct proto_list *l);
void proto_list_release(struct proto_list *l);

/* {"op":"purge","older_than_ms":INT?,"state":STATE?}; the state must be
 * terminal. */
struct proto_purge {
	int64_t older_than_ms;   /* 0: any age */
	int state;               /* -1: any terminal state */
};
int proto_purge_from_json(const cJSON *req, struct proto_purge *out,
    char *err, size_t errlen);
cJSON *proto_purge_to_json(const struct proto_purge *p);

/*
 * A queue's executor (proto_exec.c): where its claimed jobs run, "local"
 * (a worker slot; every queue's default) or "slurm" (sbatch).  The
 * "executor" object: {"type":"local"|"slurm","partition":S?,"account":S?,
 * "opts":[S,...]?}; partition and account 1..PROTO_MAX_EXEC_NAME bytes of
 * [A-Za-z0-9_.-]; at most PROTO_MAX_EXEC_OPTS opts, each "KEY=VALUE" or
 * "KEY", KEY 1..PROTO_MAX_EXEC_KEY bytes of [a-z0-9-] starting with a
 * letter and not an option jobq sets itself ("--slurm-opt KEY: set by
 * jobq"), VALUE at most PROTO_MAX_EXEC_VALUE bytes without control
 * characters; partition, account and opts only with "slurm".  The
 * canonical text (proto_exec_text) is what jobqd stores (queues.executor,
 * NULL: local).
 */
#define PROTO_MAX_EXEC_OPTS    32
#define PROTO_MAX_EXEC_NAME    63
#define PROTO_MAX_EXEC_KEY     40
#define PROTO_MAX_EXEC_VALUE   255
/* the longest opt: KEY=VALUE (296 bytes) */
#define PROTO_MAX_EXEC_OPT     (PROTO_MAX_EXEC_KEY + 1 + PROTO_MAX_EXEC_VALUE)
struct proto_exec {
	int slurm;                             /* 0 local, 1 slurm */
	char partition[PROTO_MAX_EXEC_NAME + 1]; /* "" none */
	char account[PROTO_MAX_EXEC_NAME + 1];   /* "" none */
	char opts[PROTO_MAX_EXEC_OPTS][PROTO_MAX_EXEC_OPT + 1]; /* "KEY=VALUE"
	                                          or "KEY", nopts of them */
	size_t nopts;
};
/* JOBQ_EINVAL with a message naming the rule (and the jobq option:
 * "--partition: ...", "--slurm-opt KEY: set by jobq"); unknown members
 * are refused. */
int proto_exec_from_json(const cJSON *obj, struct proto_exec *out,
    char *err, size_t errlen);
/* Always the whole object ({"type":"local"} for a local one); NULL on
 * allocation failure. */
cJSON *proto_exec_to_json(const struct proto_exec *e);
/* The stored text into out (NULL or "": local); 0, JOBQ_EINVAL. */
int proto_exec_parse(const char *text, struct proto_exec *out);
/* The canonical text (cJSON_PrintUnformatted of proto_exec_to_json),
 * malloc'd; NULL for a local executor (or out of memory). */
char *proto_exec_text(const struct proto_exec *e);
/* The rules one by one, for jobq's options: NULL for a good partition or
 * account name, else why not; an opt "KEY=VALUE" or "KEY" (0 or
 * JOBQ_EINVAL with the message). */
const char *proto_exec_name_check(const char *name);
int proto_exec_opt_check(const char *opt, char *err, size_t errlen);
/* A queue object's "executor" into out: absent (an older jobqd) is local,
 * unknown members are skipped; JOBQ_EPROTO if invalid. */
int proto_queue_exec_from_json(const cJSON *queue, struct proto_exec *out,
    char *err, size_t errlen);
/* QUEUEOBJ with its "executor" (e NULL: local). */
cJSON *proto_queue_info_exec_to_json(const jobq_queue_info *q,
    const struct proto_exec *e);

/* {"op":"queue_set","queue":Q,"parallel":INT?,"paused":BOOL?,
 * "executor":EXECUTOR?}: an executor replaces the queue's whole setting */
struct proto_queue_set {
	const char *queue;
	int parallel;            /* -1: unchanged */
	int paused;              /* -1: unchanged, else 0 or 1 */
	int has_exec;            /* "executor" present: exec */
	struct proto_exec exec;
};
int proto_queue_set_from_json(const cJSON *req, struct proto_queue_set *out,
    char *err, size_t errlen);
cJSON *proto_queue_set_to_json(const struct proto_queue_set *q);

/* {"op":"watch","ids":[INT,...]?}: at most PROTO_MAX_WATCH_IDS ids in
 * 1..PROTO_MAX_JSON_INT; the encoder writes them as exact decimal text. */
struct proto_watch {
	int64_t *ids;            /* malloc'd, NULL when none */
	size_t nids;             /* 0: every job */
};
int proto_watch_from_json(const cJSON *req, struct proto_watch *out,
    char *err, size_t errlen);
cJSON *proto_watch_to_json(const struct proto_watch *w);
void proto_watch_release(struct proto_watch *w);

/* Every request, by op: the op table jobqd's server and the fuzzer use. */
/* Recurring schedules (proto_schedule.c). */
#define PROTO_MAX_CRON 256            /* bytes of a cron expression */
#define PROTO_MAX_TZ 128              /* bytes of a zone name */
#define PROTO_MIN_EVERY_MS 1000       /* every_ms: at least 1 s */
struct proto_schedule_add {
	const char *name;
	const char *cron;      /* NULL: every_ms */
	int64_t every_ms;      /* 0: cron */
	const char *tz;        /* NULL: jobqd's local zone */
	int at_start;
	int overlap;           /* jobq_overlap, skip if absent */
	int catch_up;          /* jobq_catch_up, one if absent */
	const cJSON *job;      /* the template, in the request */
	struct proto_submit sub;   /* job decoded (has_sub) */
	int has_sub;
};
int proto_schedule_add_from_json(const cJSON *req,
    struct proto_schedule_add *out, char *err, size_t errlen);
cJSON *proto_schedule_add_to_json(const struct proto_schedule_add *a);
/* The request of a (name, timing: its job, sub, unused) with job, a submit
 * request (consumed; its "op" dropped) as the template. */
cJSON *proto_schedule_add_req(const struct proto_schedule_add *a, cJSON *job);
void proto_schedule_add_release(struct proto_schedule_add *a);
struct proto_schedule_ref {
	const char *name;
	int64_t owner_uid;     /* -1: absent */
};
int proto_schedule_show_from_json(const cJSON *req,
    struct proto_schedule_ref *out, char *err, size_t errlen);
cJSON *proto_schedule_show_to_json(const struct proto_schedule_ref *r);
int proto_schedule_pause_from_json(const cJSON *req,
    struct proto_schedule_ref *out, char *err, size_t errlen);
cJSON *proto_schedule_pause_to_json(const struct proto_schedule_ref *r);
int proto_schedule_resume_from_json(const cJSON *req,
    struct proto_schedule_ref *out, char *err, size_t errlen);
cJSON *proto_schedule_resume_to_json(const struct proto_schedule_ref *r);
int proto_schedule_remove_from_json(const cJSON *req,
    struct proto_schedule_ref *out, char *err, size_t errlen);
cJSON *proto_schedule_remove_to_json(const struct proto_schedule_ref *r);
int proto_schedule_run_now_from_json(const cJSON *req,
    struct proto_schedule_ref *out, char *err, size_t errlen);
cJSON *proto_schedule_run_now_to_json(const struct proto_schedule_ref *r);
int proto_schedule_list_from_json(const cJSON *req, char *err, size_t errlen);
cJSON *proto_schedule_list_to_json(void);
/* Modes by name ("skip", "queue", "allow"; "none", "one", "all"). */
const char *proto_schedule_overlap_name(int mode);
const char *proto_schedule_catch_up_name(int mode);
int proto_schedule_overlap_parse(const char *name);
int proto_schedule_catch_up_parse(const char *name);
/* A schedule object; replies {"ok":true,"schedule":{...}} and
 * {"ok":true,"schedules":[...]}. */
cJSON *proto_schedule_to_json(const jobq_schedule *s);
int proto_schedule_from_json(const cJSON *obj, jobq_schedule **out,
    char *err, size_t errlen);
cJSON *proto_schedule_reply_to_json(const jobq_schedule *s);
int proto_schedule_reply_from_json(const cJSON *reply, jobq_schedule **out,
    char *err, size_t errlen);
cJSON *proto_schedule_list_reply_to_json(jobq_schedule *const *v, size_t n);
int proto_schedule_list_reply_from_json(const cJSON *reply,
    jobq_schedule ***out, size_t *n, char *err, size_t errlen);

enum proto_op {
	PROTO_OP_HELLO,
	PROTO_OP_PING,
	PROTO_OP_SUBMIT,
	PROTO_OP_GET,
	PROTO_OP_LIST,
	PROTO_OP_CANCEL,
	PROTO_OP_WAIT,
	PROTO_OP_LOGS,
	PROTO_OP_PRIORITY,
	PROTO_OP_RETRY,
	PROTO_OP_PURGE,
	PROTO_OP_QUEUE_SET,
	PROTO_OP_QUEUE_LIST,
	PROTO_OP_STATS,
	PROTO_OP_WATCH,
	PROTO_OP_SUBMIT_BATCH,
	PROTO_OP_METRICS,
	PROTO_OP_HOLD,
	PROTO_OP_RELEASE,
	PROTO_OP_EDIT,
	PROTO_OP_HISTORY,
	PROTO_OP_SCHEDULE_ADD,
	PROTO_OP_SCHEDULE_LIST,
	PROTO_OP_SCHEDULE_SHOW,
	PROTO_OP_SCHEDULE_PAUSE,
	PROTO_OP_SCHEDULE_RESUME,
	PROTO_OP_SCHEDULE_REMOVE,
	PROTO_OP_SCHEDULE_RUN_NOW,
	PROTO_OP_COUNT
};
struct proto_req {
	enum proto_op op;
	union {
		struct proto_hello hello;
		struct proto_submit submit;
		struct proto_ref ref;            /* get, cancel, retry, hold,
		                                    release, history */
		struct proto_edit edit;
		struct proto_wait wait;
		struct proto_logs logs;
		struct proto_priority priority;
		struct proto_list list;
		struct proto_purge purge;
		struct proto_queue_set queue_set;
		struct proto_watch watch;
		struct proto_batch batch;
		struct proto_schedule_add schedule_add;
		struct proto_schedule_ref schedule; /* show, pause, resume,
		                                    remove, run_now */
	} u;                                     /* ping, queue_list, stats: none */
};
/* An op's name -> PROTO_OP_* (-1 if unknown), and back (NULL if out of
 * range). */
int proto_op_parse(const char *name);
const char *proto_op_name(int op);
/* Decodes req as a request of op `op` into out (out->op = op), through the
 * op's decoder.  On failure nothing is left to release. */
int proto_req_decode(int op, const cJSON *req, struct proto_req *out,
    char *err, size_t errlen);
/* Decodes any request: its "op" (JOBQ_EBADREQ if not a string,
 * JOBQ_EUNKNOWNOP "unknown request ..." if unknown), then proto_req_decode. */
int proto_req_from_json(const cJSON *req, struct proto_req *out, char *err,
    size_t errlen);
/* Encodes a decoded request again, through the op's encoder. */
cJSON *proto_req_to_json(const struct proto_req *r);
/* Frees what a decoder malloc'd (idempotent: leaves nothing to free). */
void proto_req_release(struct proto_req *r);

/*
 * Replies (proto_reply.c).  Every encoder builds {"ok":true,...} (NULL on
 * allocation failure or an unencodable value); every decoder reads the
 * members of a reply whose status proto_reply_status already found ok, and
 * returns 0, JOBQ_EPROTO (message in err) or JOBQ_ENOMEM.  The replies of
 * get, cancel, wait, priority and retry are job replies; get, cancel and
 * wait on a whole array give array replies.
 */
/* hello: {"ok":true,"version":INT,"server":STR}; server NULL when absent. */
struct proto_hello_reply {
	int64_t version;
	const char *server;      /* points into the reply */
};
cJSON *proto_hello_reply_to_json(const struct proto_hello_reply *h);
int proto_hello_reply_from_json(const cJSON *reply,
    struct proto_hello_reply *out, char *err, size_t errlen);
/* ping: {"ok":true,"version":STR,"protocol":INT,"pid":INT,"uptime_ms":INT,
 * "workers":INT,"queued":INT?,"active":INT?}; queued and active are jobqd's
 * extras (-1: absent). */
struct proto_ping_reply {
	jobq_server_info info;   /* version truncated to what it holds */
	int64_t queued;
	int64_t active;
};
cJSON *proto_ping_reply_to_json(const struct proto_ping_reply *p);
int proto_ping_reply_from_json(const cJSON *reply,
    struct proto_ping_reply *out, char *err, size_t errlen);
/* submit: {"ok":true,"id":INT,"existing":true?,"tasks":[FIRST,LAST]?} */
struct proto_submit_reply {
	int64_t id;
	int existing;
	int64_t first_task;      /* 0 when not an array */
	int64_t last_task;
};
cJSON *proto_submit_reply_to_json(const struct proto_submit_reply *r);
int proto_submit_reply_from_json(const cJSON *reply,
    struct proto_submit_reply *out, char *err, size_t errlen);
/* {"ok":true,"job":JOB} (*out malloc'd, jobq_job_free) */
cJSON *proto_job_reply_to_json(const jobq_job *job);
int proto_job_reply_from_json(const cJSON *reply, jobq_job **out,
    char *err, size_t errlen);
/* {"ok":true,"array":ARRAY} */
cJSON *proto_array_reply_to_json(const jobq_array_info *a);
int proto_array_reply_from_json(const cJSON *reply, jobq_array_info *out,
    char *err, size_t errlen);
/* list: {"ok":true,"jobs":[JOB,...],"total":INT?}; *jobs malloc'd and
 * NULL-terminated (jobq_job_list_free).  total < 0: not sent (from JSON:
 * -1 when absent). */
cJSON *proto_list_reply_to_json(jobq_job *const *jobs, size_t n,
    int64_t total);
int proto_list_reply_from_json(const cJSON *reply, jobq_job ***jobs,
    size_t *n, int64_t *total, char *err, size_t errlen);
/* logs: {"ok":true,"data":BASE64,"offset":INT,"size":INT,"done":BOOL};
 * decoding mallocs data (NULL when len is 0; free()). */
struct proto_logs_reply {
	unsigned char *data;
	size_t len;
	int64_t offset;
	int64_t size;
	int done;
};
cJSON *proto_logs_reply_to_json(const struct proto_logs_reply *l);
int proto_logs_reply_from_json(const cJSON *reply,
    struct proto_logs_reply *out, char *err, size_t errlen);
/* purge: {"ok":true,"purged":INT} */
cJSON *proto_purge_reply_to_json(size_t purged);
int proto_purge_reply_from_json(const cJSON *reply, size_t *purged,
    char *err, size_t errlen);
/* queue_set: {"ok":true,"queue":QUEUE}, QUEUE with its executor e (NULL:
 * local) */
cJSON *proto_queue_set_reply_to_json(const jobq_queue_info *q,
    const struct proto_exec *e);
int proto_queue_set_reply_from_json(const cJSON *reply,
    jobq_queue_info *out, char *err, size_t errlen);
/* queue_list: {"ok":true,"queues":[QUEUE,...]}, queue i with executor e[i]
 * (e NULL: all local); *out malloc'd, never NULL on success
 * (jobq_queue_list_free). */
cJSON *proto_queue_list_reply_to_json(const jobq_queue_info *q,
    const struct proto_exec *e, size_t n);
int proto_queue_list_reply_from_json(const cJSON *reply,
    jobq_queue_info **out, size_t *n, char *err, size_t errlen);
/* The executors of a queue_list reply that proto_queue_list_reply_from_json
 * decoded (n queues), in its order, into *out (malloc'd, never NULL on
 * success; free()). */
int proto_queue_list_reply_exec(const cJSON *reply, struct proto_exec **out,
    size_t n, char *err, size_t errlen);
/* metrics: {"ok":true,"text":STR} (the Prometheus text, *text malloc'd) */
cJSON *proto_metrics_reply_to_json(const char *text);
int proto_metrics_reply_from_json(const cJSON *reply, char **text,
    char *err, size_t errlen);
/* "usage" of the stats and queue_list replies (proto_usage.c):
 * {"slots_used","slots_total","resources":[{"name","used","total"}]}.
 * proto_usage_add() adds it to a reply (reply returned; NULL and reply
 * freed on failure); proto_usage_from_reply() decodes it (absent: zeros). */
cJSON *proto_usage_add(cJSON *reply, const jobq_usage *u);
int proto_usage_from_reply(const cJSON *reply, jobq_usage **out, char *err,
    size_t errlen);
/* "slurm" of the stats and queue_list replies (proto_slurm.c):
 * {"reachable","since","error","pending","running","submitting"}, only
 * when si->configured.  proto_slurm_add() adds it to a reply (reply
 * returned; NULL and reply freed on failure); proto_slurm_from_reply()
 * decodes it (absent: configured 0, zeros). */
cJSON *proto_slurm_add(cJSON *reply, const jobq_slurm_info *si);
int proto_slurm_from_reply(const cJSON *reply, jobq_slurm_info *out,
    char *err, size_t errlen);

/* stats: {"ok":true,"stats":STATS} (jobq_stats_release) */
cJSON *proto_stats_reply_to_json(const jobq_stats *st);
int proto_stats_reply_from_json(const cJSON *reply, jobq_stats *out,
    char *err, size_t errlen);
/* watch: {"ok":true}, then event frames (proto_event_*). */
cJSON *proto_watch_reply_to_json(void);
int proto_watch_reply_from_json(const cJSON *reply, char *err,
    size_t errlen);

#endif
