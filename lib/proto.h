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

/* A submit request, decoded and validated.  Pointers point into `obj`, which
 * must outlive the struct.  argv/env arrays are malloc'd (free with
 * proto_submit_release).  Enforces JOBQ_MAX_* limits: argv non-empty with a
 * non-empty argv[0], strings without NUL bytes, cwd absolute, env entries of
 * the form K=V with non-empty K, name/queue at most JOBQ_MAX_NAME bytes and
 * queue matching [A-Za-z0-9_.-]+, retries 0..1000. */
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
};
int proto_submit_from_json(const cJSON *req, struct proto_submit *out,
    char *err, size_t errlen);
void proto_submit_release(struct proto_submit *s);
/* Builds {"op":"submit",...} from library options (env/cwd already resolved). */
cJSON *proto_submit_to_json(const char *const *argv, const char *const *env,
    const char *cwd, const char *name, const char *queue, int max_retries);

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
