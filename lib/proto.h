/*
 * proto.h - the jobq wire protocol codec, shared by jobqd, libjobq and jobq.
 * Internal: not installed.  The protocol itself is documented in
 * doc/protocol.md (jobq-protocol(7)).
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

/* Bounds of submit members (jobq-protocol(7)). */
#define PROTO_MAX_PRIORITY     1000000           /* |priority| */
#define PROTO_MAX_TIMEOUT_MS   315360000000LL    /* 10 years of 365 days */
#define PROTO_MAX_GRACE_MS     86400000LL        /* kill_grace_ms: 1 day */
#define PROTO_MAX_RETRY_DELAY_MS 86400000LL      /* retry_delay_ms: 1 day */
#define PROTO_MAX_PARALLEL     1000000           /* queue_set parallel */

/* A submit request, decoded and validated.  Pointers point into `obj`, which
 * must outlive the struct.  argv/env/labels arrays and deps are malloc'd
 * (free with proto_submit_release).  Enforces JOBQ_MAX_* limits: argv
 * non-empty with a non-empty argv[0], strings without NUL bytes, cwd
 * absolute, env entries of the form K=V with non-empty K, name/queue at most
 * JOBQ_MAX_NAME bytes and queue matching [A-Za-z0-9_.-]+, retries 0..1000;
 * and the scheduling members: priority in +-PROTO_MAX_PRIORITY, not_before
 * >= 0, timeout_ms / kill_grace_ms / retry_delay_ms within their PROTO_MAX_*,
 * unique_key 1..JOBQ_MAX_NAME bytes, labels "K=V" (<= JOBQ_MAX_LABEL bytes,
 * <= JOBQ_MAX_LABELS of them), deps {"id":>=1,"mode":ok|notok|any}
 * (<= JOBQ_MAX_DEPS), array {first >= 0, step >= 1, count
 * 1..JOBQ_MAX_ARRAY, throttle >= 0} without int64 overflow and not with
 * unique_key.  Too many argv/env/labels/deps entries or too many spec bytes
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
};
int proto_submit_from_json(const cJSON *req, struct proto_submit *out,
    char *err, size_t errlen);
void proto_submit_release(struct proto_submit *s);
/* Builds {"op":"submit",...} from library options, with env and cwd already
 * resolved (opts->env / opts->cwd are ignored).  Members at their zero value
 * are left out; array_step 0 is sent as 1.  NULL on allocation failure or
 * when opts cannot be encoded (no argv, NULL cwd, deps NULL with ndeps > 0,
 * an unknown dependency mode, a negative array_count). */
cJSON *proto_submit_to_json(const jobq_submit_opts *opts,
    const char *const *env, const char *cwd);

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
/* Appended: adds an integer member exactly (cJSON alone prints only 15
 * significant digits).  Returns 0 or a JOBQ_E* code. */
int proto_add_int(cJSON *obj, const char *key, int64_t v);

#endif
