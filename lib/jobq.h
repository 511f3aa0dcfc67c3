/*
 * jobq.h - the C client library for jobqd (libjobq).
 *
 * Everything here is prefixed jobq_ / JOBQ_.  Functions that can fail return
 * 0 (or a non-negative count) on success and a negative JOBQ_E* code on
 * failure; jobq_strerror() turns a code into a message.  The library never
 * prints, never exits and never aborts.
 *
 * Thread safety: a jobq_client is a single connection with one request in
 * flight at a time.  It may be used by one thread at a time; callers that
 * share a handle between threads must serialise calls themselves.  Distinct
 * handles are fully independent and may be used concurrently.  A handle must
 * not be used across fork(); the child should jobq_connect() anew.  The
 * library writes with MSG_NOSIGNAL, so a dead daemon yields JOBQ_EIO, not
 * SIGPIPE.  Objects returned by the library (jobq_job, lists, buffers) belong
 * to the caller and are freed with the matching jobq_*_free().
 */
#ifndef JOBQ_H
#define JOBQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JOBQ_VERSION_STRING "0.1.0"
#define JOBQ_PROTOCOL_VERSION 1

/* Error codes: always negative. */
#define JOBQ_OK            0
#define JOBQ_EINVAL      (-1)  /* invalid argument */
#define JOBQ_ENOMEM      (-2)  /* out of memory */
#define JOBQ_ECONNECT    (-3)  /* cannot connect to jobqd */
#define JOBQ_EIO         (-4)  /* connection failed or closed */
#define JOBQ_EPROTO      (-5)  /* malformed message from the peer */
#define JOBQ_EVERSION    (-6)  /* protocol version not supported */
#define JOBQ_ENOTFOUND   (-7)  /* no such job */
#define JOBQ_ETIMEDOUT   (-8)  /* timed out */
#define JOBQ_EPERM       (-9)  /* permission denied */
#define JOBQ_ETOOBIG     (-10) /* request or job exceeds a documented limit */
#define JOBQ_ESTATE      (-11) /* job is in the wrong state for this */
#define JOBQ_ESTORAGE    (-12) /* daemon could not persist; nothing was done */
#define JOBQ_ESHUTDOWN   (-13) /* daemon is shutting down */
#define JOBQ_EBADREQ     (-14) /* daemon rejected the request as malformed */
#define JOBQ_EUNKNOWNOP  (-15) /* daemon does not know this request */
#define JOBQ_EINTERNAL   (-16) /* daemon internal error */
#define JOBQ_ERR_MIN     (-16)

const char *jobq_strerror(int err);

/* Job states.  Terminal: SUCCEEDED, FAILED, CANCELED, INTERRUPTED. */
typedef enum jobq_state {
	JOBQ_STATE_QUEUED = 0,
	JOBQ_STATE_RUNNING,
	JOBQ_STATE_SUCCEEDED,
	JOBQ_STATE_FAILED,
	JOBQ_STATE_CANCELED,
	JOBQ_STATE_INTERRUPTED,
	JOBQ_STATE_COUNT
} jobq_state;

/* "queued", "running", ...; NULL for an out-of-range value. */
const char *jobq_state_name(jobq_state state);
/* Parses a state name; returns the state (>= 0) or JOBQ_EINVAL. */
int jobq_state_parse(const char *name);
/* 1 if the state is terminal, else 0. */
int jobq_state_is_terminal(jobq_state state);

/* Limits of the protocol (see jobq-protocol(7)). */
#define JOBQ_MAX_FRAME      (16u << 20) /* bytes in one frame's JSON payload */
#define JOBQ_MAX_SPEC       (2u << 20)  /* bytes of argv + env + cwd of one job */
#define JOBQ_MAX_ARGS       65536       /* argv entries */
#define JOBQ_MAX_ENV        65536       /* env entries */
#define JOBQ_MAX_NAME       256         /* bytes of a job or queue name */
#define JOBQ_MAX_LOG_CHUNK  (1u << 20)  /* bytes returned by one log read */

/* A job as the daemon reports it.  Strings are NUL-terminated UTF-8 (or
 * whatever bytes the submitter gave); absent optional strings are NULL. */
typedef struct jobq_job {
	int64_t id;
	jobq_state state;
	char *name;             /* NULL if none */
	char *queue;            /* never NULL */
	char **argv;            /* NULL-terminated */
	size_t argc;
	char *cwd;
	uint32_t owner_uid;
	int exit_code;          /* -1 unless the job exited */
	int signal;             /* 0 unless the job was killed by a signal */
	int64_t submitted_at;   /* milliseconds since the Unix epoch */
	int64_t started_at;     /* 0 if never started */
	int64_t finished_at;    /* 0 if not finished */
	int attempts;           /* times the job was started */
	int max_retries;        /* retry budget given at submit */
	char *reason;           /* why it ended as it did, NULL if none */
	char *message;          /* human detail, NULL if none */
	int64_t pid;            /* job's process (group) id while running, else 0 */
} jobq_job;

void jobq_job_free(jobq_job *job);
void jobq_job_list_free(jobq_job **jobs, size_t n);

typedef struct jobq_client jobq_client;

/* Default socket: $JOBQ_SOCKET, else /run/jobq/jobqd.sock for root, else
 * $XDG_RUNTIME_DIR/jobq/jobqd.sock (or /tmp/jobq-UID/jobqd.sock without
 * XDG_RUNTIME_DIR).  Writes into buf; returns 0 or JOBQ_EINVAL if too long. */
int jobq_default_socket(char *buf, size_t len);

/* Connects and performs the version handshake.  path NULL = default. */
int jobq_connect(const char *path, jobq_client **out);
void jobq_close(jobq_client *c);

/* The daemon's own message for the last call on c that failed with an
 * error reply (e.g. which field of a submit was invalid), or "" if the last
 * call succeeded or failed locally.  Valid until the next call on c. */
const char *jobq_last_error(const jobq_client *c);

typedef struct jobq_submit_opts {
	const char *const *argv;  /* required, NULL-terminated, argv[0] non-empty */
	const char *const *env;   /* NULL-terminated "K=V"; NULL = caller's environ */
	int clean_env;            /* if set and env == NULL, submit an empty env */
	const char *cwd;          /* NULL = caller's current directory */
	const char *name;         /* NULL = none */
	const char *queue;        /* NULL = "default" */
	int max_retries;          /* 0 = no retries */
} jobq_submit_opts;

int jobq_submit(jobq_client *c, const jobq_submit_opts *opts, int64_t *id_out);
int jobq_get(jobq_client *c, int64_t id, jobq_job **out);

typedef struct jobq_filter {
	int state;          /* a jobq_state, or -1 for any */
	const char *queue;  /* NULL for any */
	size_t limit;       /* 0 = no limit; else the newest `limit` jobs */
} jobq_filter;

/* Jobs in ascending id order.  filter NULL = all jobs. */
int jobq_list(jobq_client *c, const jobq_filter *filter, jobq_job ***jobs_out,
    size_t *n_out);

/* Cancels a job and returns once it has ended (a running job gets SIGTERM to
 * its process group, SIGKILL after the daemon's grace period).  JOBQ_ESTATE if
 * the job had already ended.  out may be NULL. */
int jobq_cancel(jobq_client *c, int64_t id, jobq_job **out);

/* Waits until the job has ended.  timeout_ms < 0 waits for ever.
 * JOBQ_ETIMEDOUT on timeout.  out may be NULL. */
int jobq_wait(jobq_client *c, int64_t id, int timeout_ms, jobq_job **out);

typedef enum jobq_stream { JOBQ_STDOUT = 1, JOBQ_STDERR = 2 } jobq_stream;

/* Reads up to len bytes (at most JOBQ_MAX_LOG_CHUNK) of a job's captured
 * output starting at offset.  *nread gets the count; *done is set to 1 when
 * the job has ended and offset + *nread reached the end of the output. */
int jobq_read_output(jobq_client *c, int64_t id, jobq_stream stream,
    uint64_t offset, void *buf, size_t len, size_t *nread, int *done);

typedef struct jobq_server_info {
	char version[32];
	int protocol;
	int64_t uptime_ms;
	int64_t pid;
	int workers;
} jobq_server_info;

int jobq_ping(jobq_client *c, jobq_server_info *out);

#ifdef __cplusplus
}
#endif
#endif /* JOBQ_H */
