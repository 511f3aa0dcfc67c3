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

#include "jobq_version.h"  /* JOBQ_VERSION_STRING, from configure */

#ifdef __cplusplus
extern "C" {
#endif

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
#define JOBQ_EISARRAY    (-17) /* the id names an array: use the jobq_array_* call */
#define JOBQ_ERR_MIN     (-17)

const char *jobq_strerror(int err);

/* Job states.  Terminal: SUCCEEDED, FAILED, CANCELED, INTERRUPTED,
 * TIMED_OUT.  A queued job may be waiting for its dependencies or for its
 * start time (not_before: a delay, --at, or a retry's backoff). */
typedef enum jobq_state {
	JOBQ_STATE_QUEUED = 0,
	JOBQ_STATE_RUNNING,
	JOBQ_STATE_SUCCEEDED,
	JOBQ_STATE_FAILED,
	JOBQ_STATE_CANCELED,
	JOBQ_STATE_INTERRUPTED,
	JOBQ_STATE_TIMED_OUT,
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
#define JOBQ_MAX_LABELS     64          /* labels of one job */
#define JOBQ_MAX_LABEL      256         /* bytes of one "K=V" label */
#define JOBQ_MAX_DEPS       1024        /* dependencies of one job (after
                                           expanding arrays) */
#define JOBQ_MAX_ARRAY      100000      /* tasks in one array */
#define JOBQ_MAX_BATCH      100000      /* jobs in one jobq_submit_many */
#define JOBQ_MAX_HOOK       4096        /* bytes of a hook's command */
#define JOBQ_MAX_SLOTS      1024        /* worker slots a job may ask */
#define JOBQ_MAX_RES        1024        /* bytes of a resource request */

/* Dependency modes (Slurm's afterok / afternotok / afterany). */
typedef enum jobq_dep_mode {
	JOBQ_DEP_OK = 0,    /* the dependency succeeded */
	JOBQ_DEP_NOTOK,     /* it ended failed, timed out, canceled or interrupted */
	JOBQ_DEP_ANY        /* it ended at all */
} jobq_dep_mode;

typedef struct jobq_dep {
	int64_t id;         /* a job id, or (at submit) an array id = all its tasks */
	jobq_dep_mode mode;
} jobq_dep;

/* "ok", "notok", "any"; NULL if out of range. */
const char *jobq_dep_mode_name(jobq_dep_mode mode);

/* A job as the daemon reports it.  Strings are NUL-terminated UTF-8 (or
 * whatever bytes the submitter gave); absent optional strings are NULL. */
/* Per-job resource limits (jobq_limits.set: which members are given).
 * Each is applied in the job's process before exec with soft = hard:
 * mem RLIMIT_AS (bytes), cpu_time RLIMIT_CPU (seconds), nofile
 * RLIMIT_NOFILE, nproc RLIMIT_NPROC (processes of the job's user), core
 * RLIMIT_CORE (bytes), nice setpriority (-20..19).  cpus is not an rlimit:
 * a CPU bandwidth (milli-CPUs: 1000 = one CPU's time), the cgroup's cpu.max,
 * enforced only in cgroup mode with the cpu controller enabled. */
#define JOBQ_LIMIT_MEM     0x01u
#define JOBQ_LIMIT_CPU     0x02u
#define JOBQ_LIMIT_NOFILE  0x04u
#define JOBQ_LIMIT_NPROC   0x08u
#define JOBQ_LIMIT_CORE    0x10u
#define JOBQ_LIMIT_NICE    0x20u
#define JOBQ_LIMIT_CPUS    0x40u
#define JOBQ_LIMIT_ALL     0x7fu

typedef struct jobq_limits {
	unsigned set;           /* JOBQ_LIMIT_* bits; 0 = none given */
	int64_t mem;            /* bytes, >= 1 */
	int64_t cpu_time;       /* seconds, >= 1 */
	int64_t nofile;         /* open files, >= 3 */
	int64_t nproc;          /* processes, >= 1 */
	int64_t core;           /* bytes, >= 0 */
	int64_t nice;           /* -20..19 */
	int64_t cpus;           /* milli-CPUs (1000 = one CPU), >= 1; cgroup
	                           cpu.max only */
} jobq_limits;

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
	/* scheduling (0 / NULL when unset) */
	int priority;           /* higher runs first; FIFO among equals */
	int64_t not_before;     /* ms since the epoch: earliest start (delay, --at,
	                           retry backoff); 0 = none */
	int64_t timeout_ms;     /* run-time limit; 0 = none */
	int64_t kill_grace_ms;  /* TERM -> KILL grace on timeout/cancel */
	int64_t retry_delay_ms; /* backoff base for automatic retries */
	char *unique_key;       /* NULL if none */
	char **labels;          /* "K=V" entries, NULL-terminated (never NULL) */
	size_t nlabels;
	jobq_dep *deps;         /* dependencies (NULL if none) */
	size_t ndeps;
	int64_t array_id;       /* the array this job is a task of; 0 if none */
	int64_t array_index;    /* its index in the array */
	int limited;            /* 1: another user's job, of which the daemon
	                           shows only id, state, queue, owner_uid and
	                           the times (jobqd.conf(5), visibility); the
	                           rest is 0 / NULL / empty */
	/* identity (jobqd(8) "Identity"): the job runs as owner_uid */
	uint32_t submitter_uid; /* who submitted it (root for --user) */
	int64_t gid;            /* the job's group; -1 = owner_uid's primary
	                           group at run time */
	int umask;              /* the umask the job starts with (0..0777) */
	/* resource limits in force for the job (its own and the daemon's
	 * configured defaults); set 0: none */
	jobq_limits limits;
	/* What its last ended run used; usage_from NULL (and the rest 0)
	 * when none was recorded.  usage_from: "cgroup" (the job's cgroup,
	 * all its processes), "cgroup-cpu" (CPU time from the cgroup, peak
	 * memory from rusage) or "rusage" (wait4: the main process and the
	 * descendants it waited for). */
	int64_t mem_peak;       /* peak memory, bytes */
	int64_t cpu_user_us;    /* CPU time in user mode, microseconds */
	int64_t cpu_sys_us;     /* CPU time in the kernel, microseconds */
	char *usage_from;
	/* the job's own end hook (submit --on-end: jobq_submit_ext.on_end),
	 * NULL if none */
	char *on_end;
	int merge_output;       /* 1: its stderr goes to its stdout file
	                           (jobq_submit_ext.merge_output) */
	/* appended: 1 for a queued job on hold (jobq_hold): it is not started
	 * until released; 0 otherwise */
	int held;
	/* appended: the name of the recurring schedule that submitted the job
	 * (jobq_schedule_add), NULL if none */
	char *schedule;
	/* appended: slots and named resources (jobq_submit_ext.slots, .res):
	 * the worker slots the job occupies (1 unless asked), the resources
	 * it asks ("gpu=2,license=1", NULL: none) and the instances its
	 * current or last run was given ("gpu=1,3;license=0"; NULL while
	 * queued, or when it asked none) */
	int slots;
	char *res;
	char *res_given;
	/* appended: where the job's current or last run was sent: "" local
	 * (or never claimed), "slurm": the Slurm executor (a queue's
	 * jobq_queue_set_executor); and that run's Slurm job id, 0 while
	 * unknown (not yet submitted) or for a local run */
	char executor[16];
	int64_t slurm_id;
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
	int clean_env;            /* if set: the job's environment is a login-like
	                             minimum jobqd builds from the passwd entry
	                             of the user it runs as (HOME USER LOGNAME
	                             SHELL PATH), env's entries (if any) added
	                             on top */
	const char *cwd;          /* NULL = caller's current directory */
	const char *name;         /* NULL = none */
	const char *queue;        /* NULL = "default" */
	int max_retries;          /* 0 = no retries */
	/* scheduling; zero-initialised means "unset" for every field */
	int priority;             /* higher runs first (any int) */
	int64_t not_before;       /* ms since the epoch; 0 = as soon as possible */
	int64_t timeout_ms;       /* 0 = no limit */
	int64_t kill_grace_ms;    /* 0 = the daemon's --kill-grace */
	int64_t retry_delay_ms;   /* backoff base; 0 = 1000 ms */
	const char *unique_key;   /* NULL = none */
	const char *const *labels;/* NULL-terminated "K=V" entries, or NULL */
	const jobq_dep *deps;     /* ndeps entries, all must hold */
	size_t ndeps;
	/* array: when array_count > 0, submits one task per index
	 * array_first, array_first + array_step, ... (array_count of them),
	 * with JOBQ_ARRAY_ID and JOBQ_ARRAY_INDEX in each task's environment;
	 * at most array_throttle (0 = no limit) run at once. */
	int64_t array_first;
	int64_t array_step;       /* 0 is taken as 1 */
	int64_t array_count;
	int array_throttle;
	/* output limit: the bytes each of the job's stdout and stderr may grow
	 * by in one run; past it the job is killed and ends failed (reason
	 * "output_limit").  0 = the daemon's --output-limit; more than its
	 * --output-limit-max is refused (JOBQ_ETOOBIG). */
	int64_t output_limit;
	/* identity, root only (else JOBQ_EPERM): run the job as user (a name
	 * or a numeric uid; the job then belongs to that user) and/or with
	 * group (a name or a numeric gid) as its primary group.  NULL = the
	 * caller / the user's primary group.  The caller's umask is always
	 * sent and applied to the job. */
	const char *user;
	const char *group;
	/* resource limits (jobq_limits): only the members named in
	 * limits.set are sent; the daemon fills the others from its
	 * configured defaults.  Above a configured maximum: JOBQ_ETOOBIG; a
	 * nice below the allowed minimum (for users other than root: below 0
	 * unless configured): JOBQ_EPERM. */
	jobq_limits limits;
} jobq_submit_opts;

/* Submits a job (or an array: *id_out is then the array's id).  Returns 0
 * when a job was created, 1 when unique_key matched a queued or running job
 * of the same user and *id_out is that job's id (nothing was created), or a
 * negative JOBQ_E* code. */
int jobq_submit(jobq_client *c, const jobq_submit_opts *opts, int64_t *id_out);
/* Submits n jobs (1..JOBQ_MAX_BATCH; the request must also fit in
 * JOBQ_MAX_FRAME) in one request, committed in one transaction: all of
 * them or none.  jobs[i] is as for jobq_submit (env NULL: the caller's
 * environment, cwd NULL: the caller's), except that deps, unique_key and
 * arrays are refused (JOBQ_EINVAL).  On success ids_out[0..n-1] holds the
 * new ids in order and 0 is returned; else a negative JOBQ_E* code, nothing
 * was submitted, and jobq_last_error() names the job ("jobs[I]: ..."). */
int jobq_submit_many(jobq_client *c, const jobq_submit_opts *jobs, size_t n,
    int64_t *ids_out);
int jobq_get(jobq_client *c, int64_t id, jobq_job **out);

/*
 * Options added after jobq_submit_opts was fixed.  jobq_submit_opts and
 * jobq_list_opts are allocated by the caller, so a member added to them
 * would be read past the end of an older program's struct; new options go
 * into these extension structs instead.  The caller zeroes one, sets size
 * to sizeof the struct it was built with, and then sets the members it
 * wants: the library reads only the members that lie within size (the
 * others count as zero, "unset"), and refuses (JOBQ_EINVAL) a size larger
 * than its own unless the bytes past its own struct are all zero.  So a
 * program built against an older header keeps working with a newer
 * library, and members are only ever appended.
 */
typedef struct jobq_submit_ext {
	size_t size;              /* sizeof(jobq_submit_ext) */
	/* end hook: a shell command (/bin/sh -c, 1..JOBQ_MAX_HOOK bytes) jobqd
	 * runs as the job's user once the job has ended for good, with the
	 * job's id, state, exit code, name, queue, times and output files in
	 * its environment (jobqd(8), HOOKS); NULL = none */
	const char *on_end;
	/* 1: the job's stderr goes to its stdout file, as 2>&1 does: one file
	 * with both, in the order they were written (JOBQ_STDERR then reads
	 * nothing); 0 = two files */
	int merge_output;
	/* 1: the job (every task of an array) is queued on hold: it does not
	 * start until jobq_release() / jobq_array_release(); 0 = not held */
	int hold;
	/* worker slots the job occupies while it runs, 1..the daemon's
	 * workers (jobq submit --slots); 0 = 1 */
	int slots;
	/* named resources it needs, "NAME=COUNT[,NAME=COUNT...]" of those
	 * jobqd was started with (--resource); it starts only when that many
	 * instances are free, and gets them in JOBQ_RES_<NAME> (and
	 * CUDA_VISIBLE_DEVICES for gpu); NULL = none.  An unknown name or a
	 * count above what jobqd has: JOBQ_EINVAL from the daemon */
	const char *res;
} jobq_submit_ext;

/* jobq_submit() with ext's options as well; ext NULL is jobq_submit(). */
int jobq_submit_x(jobq_client *c, const jobq_submit_opts *opts,
    const jobq_submit_ext *ext, int64_t *id_out);

typedef struct jobq_filter {
	int state;          /* a jobq_state, or -1 for any */
	const char *queue;  /* NULL for any */
	size_t limit;       /* 0 = no limit; else the newest `limit` jobs */
	const char *name;   /* NULL for any; else exactly this name */
	const char *const *labels; /* NULL-terminated "K=V"; a job must have all */
	int64_t array_id;   /* 0 for any; else only this array's tasks */
} jobq_filter;

/* Jobs in ascending id order.  filter NULL = all jobs. */
int jobq_list(jobq_client *c, const jobq_filter *filter, jobq_job ***jobs_out,
    size_t *n_out);

/* What jobq_list_ex() selects: jobq_filter's members and more.  Zero it
 * (memset) before setting members, then set owner_uid to -1 unless
 * wanted: later versions add members only with new functions. */
#define JOBQ_STATE_BIT(s) (1u << (unsigned)(s))
typedef struct jobq_list_opts {
	unsigned states;          /* JOBQ_STATE_BIT(state) for each state
	                             wanted, ORed; 0 for any */
	const char *queue;        /* NULL for any */
	const char *name;         /* NULL for any; else exactly this name */
	const char *const *labels; /* NULL-terminated "K=V"; all required */
	int64_t array_id;         /* 0 for any */
	int64_t owner_uid;        /* -1 for any; else that user's jobs */
	size_t limit;             /* 0 = no limit; else the newest `limit` */
} jobq_list_opts;

/* Like jobq_list() (ascending id order), with several states and an
 * owner; total_out, if not NULL, gets how many jobs match in all, the
 * limit aside (from the daemon's per-queue counts when only states and
 * queue are given, else counted). */
int jobq_list_ex(jobq_client *c, const jobq_list_opts *opts,
    jobq_job ***jobs_out, size_t *n_out, size_t *total_out);

/* Selectors added after jobq_list_opts was fixed, extended as
 * jobq_submit_ext is (size first; members only appended). */
typedef struct jobq_list_ext {
	size_t size;              /* sizeof(jobq_list_ext) */
	/* appended: NULL for any; else only the jobs submitted by the
	 * recurring schedule of this name (jobq_job.schedule) */
	const char *schedule;
} jobq_list_ext;

/* jobq_list_ex() with ext's selectors as well; ext NULL is jobq_list_ex(). */
int jobq_list_x(jobq_client *c, const jobq_list_opts *opts,
    const jobq_list_ext *ext, jobq_job ***jobs_out, size_t *n_out,
    size_t *total_out);

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
/* The same; *size (if not NULL) gets the stream's size when jobqd read it
 * (for reading the end first, as `jobq logs --tail` does). */
int jobq_read_output_ex(jobq_client *c, int64_t id, jobq_stream stream,
    uint64_t offset, void *buf, size_t len, size_t *nread, int *done,
    uint64_t *size);

typedef struct jobq_server_info {
	char version[32];
	int protocol;
	int64_t uptime_ms;
	int64_t pid;
	int workers;
	/* How a job's processes are kept together: "cgroup PATH" (cgroup v2,
	 * each job in its own cgroup under PATH) or "process-group";
	 * "" from an older jobqd.  Truncated to fit. */
	char isolation[256];
} jobq_server_info;

int jobq_ping(jobq_client *c, jobq_server_info *out);

/* ---- arrays ----
 * An array has its own id (never a job's id); its tasks are ordinary jobs
 * with their own ids, array_id and array_index.  jobq_get/jobq_wait/
 * jobq_cancel on an array id fail with JOBQ_EISARRAY. */
typedef struct jobq_array_info {
	int64_t id;
	int64_t first, step, count;
	int throttle;                   /* 0 = none */
	size_t counts[JOBQ_STATE_COUNT];/* tasks by state */
} jobq_array_info;

/* The task of array array_id with index `index`. */
int jobq_get_task(jobq_client *c, int64_t array_id, int64_t index,
    jobq_job **out);
int jobq_array_get(jobq_client *c, int64_t array_id, jobq_array_info *out);
/* Waits until every task has ended (timeout_ms < 0: for ever). */
int jobq_array_wait(jobq_client *c, int64_t array_id, int timeout_ms,
    jobq_array_info *out);
/* Cancels every task that has not ended and returns once they all have. */
int jobq_array_cancel(jobq_client *c, int64_t array_id, jobq_array_info *out);

/* ---- changing jobs ---- */

/* Sets the priority of a queued job (JOBQ_ESTATE otherwise).  out may be NULL. */
int jobq_set_priority(jobq_client *c, int64_t id, int priority, jobq_job **out);
/* Puts an ended job (any terminal state) back in the queue by hand: same id,
 * attempts start again from 0, its dependencies are not checked again.
 * JOBQ_ESTATE if the job has not ended, or if its unique_key is held by a
 * queued or running job of the same user.  out may be NULL. */
int jobq_retry(jobq_client *c, int64_t id, jobq_job **out);

/* ---- holds, edits and history ----
 * A held job stays queued (state JOBQ_STATE_QUEUED, jobq_job.held 1) and is
 * never started until released; jobs that depend on it wait too.  Only the
 * job's owner or an administrator may hold, release or edit it (JOBQ_EPERM);
 * JOBQ_ESTATE once the job has started or ended.  out may be NULL. */
int jobq_hold(jobq_client *c, int64_t id, jobq_job **out);
int jobq_release(jobq_client *c, int64_t id, jobq_job **out);
/* The same for every queued task of an array (a task queued again later,
 * by a retry, is not held). */
int jobq_array_hold(jobq_client *c, int64_t array_id, jobq_array_info *out);
int jobq_array_release(jobq_client *c, int64_t array_id,
    jobq_array_info *out);

/* What jobq_edit() changes: the members named in set (JOBQ_EDIT_* bits);
 * each is checked as at submit.  Zero it (memset) before use. */
#define JOBQ_EDIT_QUEUE      0x001u  /* obeys the queue's caps, as a submit */
#define JOBQ_EDIT_PRIORITY   0x002u
#define JOBQ_EDIT_NAME       0x004u  /* name NULL: no name */
#define JOBQ_EDIT_LABELS     0x008u  /* replaces them all */
#define JOBQ_EDIT_NOT_BEFORE 0x010u  /* 0: as soon as possible */
#define JOBQ_EDIT_TIMEOUT    0x020u
#define JOBQ_EDIT_RETRIES    0x040u
#define JOBQ_EDIT_DEPS       0x080u  /* deps_add and deps_remove */
#define JOBQ_EDIT_ARGV       0x100u  /* not for an array task */
#define JOBQ_EDIT_ENV        0x200u  /* not for an array task */
#define JOBQ_EDIT_CWD        0x400u  /* not for an array task */
#define JOBQ_EDIT_SLOTS      0x800u  /* checked against jobqd's workers */
#define JOBQ_EDIT_RES       0x1000u  /* res NULL: no resources */
typedef struct jobq_edit_opts {
	unsigned set;
	const char *queue;
	int priority;
	const char *name;
	const char *const *labels;   /* NULL-terminated "K=V"; NULL: none */
	int64_t not_before;          /* ms since the epoch */
	int64_t timeout_ms;
	int max_retries;
	const jobq_dep *deps_add;    /* job ids (not arrays); a cycle, or a
	                                dependency that can never hold, is
	                                refused (JOBQ_EINVAL) */
	size_t ndeps_add;
	const int64_t *deps_remove;
	size_t ndeps_remove;
	const char *const *argv;     /* NULL-terminated */
	const char *const *env;      /* NULL-terminated "K=V" */
	const char *cwd;             /* absolute */
	/* appended: worker slots (1..) and named resources
	 * ("NAME=COUNT[,...]"), checked against jobqd's pool as at submit */
	int slots;
	const char *res;
} jobq_edit_opts;
/* Changes a queued (or held) job; each change is recorded in its history. */
int jobq_edit(jobq_client *c, int64_t id, const jobq_edit_opts *opts,
    jobq_job **out);

/* A job's history, oldest first: its submit, starts and end (derived from
 * the job), and every hold, release, edit (one entry per field, detail
 * "FIELD: OLD -> NEW"), cancel and retry, with the uid that caused it
 * (jobqd's own uid for what jobqd did by itself).  Kept until the job is
 * purged. */
typedef struct jobq_history_entry {
	int64_t at;             /* ms since the epoch */
	uint32_t uid;
	char *what;             /* "submitted", "started", "hold", "edit", ...
	                           or the state the job ended in */
	char *detail;           /* NULL if none */
} jobq_history_entry;
int jobq_history(jobq_client *c, int64_t id, jobq_history_entry **out,
    size_t *n_out);
void jobq_history_free(jobq_history_entry *v, size_t n);

/* Removes ended jobs and their output now: those that ended more than
 * older_than_ms ago (0 = any age), in `state` (-1 = any terminal state).
 * Only the caller's jobs unless the caller is root or the daemon's user.
 * *n_out (may be NULL) gets the number removed. */
int jobq_purge(jobq_client *c, int64_t older_than_ms, int state, size_t *n_out);

/* ---- queues ---- */
typedef struct jobq_queue_info {
	char name[JOBQ_MAX_NAME + 1];
	int parallel;                   /* 0 = no limit but the workers */
	int paused;
	size_t counts[JOBQ_STATE_COUNT];/* jobs by state */
} jobq_queue_info;

/* Changes a queue, creating it if needed: parallel < 0 leaves the limit,
 * paused < 0 leaves the paused flag. */
int jobq_queue_set(jobq_client *c, const char *queue, int parallel, int paused);
/* *out: malloc'd, sorted by name, never NULL on success (free with
 * jobq_queue_list_free). */
int jobq_queue_list(jobq_client *c, jobq_queue_info **out, size_t *n_out);
void jobq_queue_list_free(jobq_queue_info *queues);

/* A queue's executor: where jobqd runs the jobs it claims from the queue,
 * "local" (its workers; every queue's default) or "slurm" (sbatch, with
 * the partition, account and extra sbatch options: jobq(1) queue set
 * --executor).  partition and account: "" or 1..63 characters of
 * [A-Za-z0-9_.-]; at most 32 opts, each "KEY=VALUE" or "KEY" (KEY 1..40
 * of [a-z0-9-] starting with a letter, not one jobq sets itself such as
 * output or job-name; VALUE at most 255 bytes, no control characters);
 * partition, account and opts only with "slurm". */
typedef struct jobq_executor {
	char type[16];                    /* "local" or "slurm" */
	char partition[64], account[64];  /* "" none */
	char **opts;                      /* "KEY=VALUE" or "KEY"; malloc'd
	                                     by jobq_queue_get_executor */
	size_t n_opts;
} jobq_executor;
/* Replaces queue's whole executor setting (creating the queue if needed);
 * administrators only, as the other queue settings.  JOBQ_EINVAL, with
 * the rule broken in jobq_last_error, for a setting that breaks the rules
 * above (checked before anything is sent). */
int jobq_queue_set_executor(jobq_client *c, const char *queue,
    const jobq_executor *e);
/* queue's executor into *out (free with jobq_executor_release); a queue
 * jobqd does not list (no settings, no jobs) is local. */
int jobq_queue_get_executor(jobq_client *c, const char *queue,
    jobq_executor *out);
/* Frees out->opts (from jobq_queue_get_executor) and clears them. */
void jobq_executor_release(jobq_executor *e);

/* ---- watch ----
 * jobq_watch() turns the connection into an event stream: the daemon pushes
 * one event per state change of the given jobs (ids NULL / n 0: of every job
 * the caller may see), as it commits.  After it, only jobq_watch_next(),
 * jobq_fd() and jobq_close() may be called on c (anything else: JOBQ_EINVAL).
 * jobq_fd() gives the socket for poll(); one read may bring several events,
 * so once it is readable call jobq_watch_next(c, ev, 0) until it returns
 * JOBQ_ETIMEDOUT.  A daemon that drops a watcher for falling too far behind
 * makes jobq_watch_next() return JOBQ_EIO (see jobq_last_error()). */
typedef struct jobq_event {
	int64_t id;
	jobq_state state;
	int64_t time;           /* ms since the epoch */
	char queue[JOBQ_MAX_NAME + 1];
	int attempts;
	int exit_code;          /* -1 unless exited */
	int signal;
	char reason[64];        /* "" if none */
	int64_t not_before;     /* for a queued job waiting to (re)start, else 0 */
	int64_t array_id;
	int64_t array_index;
} jobq_event;

int jobq_watch(jobq_client *c, const int64_t *ids, size_t n);
/* Next event; timeout_ms < 0 waits for ever; JOBQ_ETIMEDOUT if none came. */
int jobq_watch_next(jobq_client *c, jobq_event *ev, int timeout_ms);
int jobq_fd(const jobq_client *c);

/* ---- statistics ---- */
typedef struct jobq_window_stats {
	int64_t window_ms;      /* 60000 or 3600000 */
	uint64_t finished;      /* jobs that ended in the window */
	double per_second;      /* finished / the part of the window jobqd
	                           has been up (at least 1 s) */
	double wait_mean_ms, wait_p95_ms;   /* submit (or due time) -> start */
	double run_mean_ms, run_p95_ms;     /* start -> end */
	double utilisation;     /* busy worker time / (workers * window), 0..1 */
} jobq_window_stats;

typedef struct jobq_stats {
	size_t counts[JOBQ_STATE_COUNT];    /* every job the daemon holds */
	int workers, busy;                  /* worker slots, and those running a job */
	jobq_window_stats minute, hour;
	jobq_queue_info *queues;            /* per queue counts */
	size_t nqueues;
	/* appended: the recurring schedules the caller may see (all for an
	 * administrator) and their counters, summed (jobq_schedule) */
	int64_t schedules, schedule_runs, schedule_skips, schedule_misses;
} jobq_stats;

int jobq_get_stats(jobq_client *c, jobq_stats *out);
void jobq_stats_release(jobq_stats *st);

/* What is in use now of the worker slots and of each named resource
 * (jobqd --resource), in the order configured.  Library-allocated. */
typedef struct jobq_res_usage {
	char name[33];
	int used, total;
} jobq_res_usage;
typedef struct jobq_usage {
	int slots_used, slots_total;
	jobq_res_usage *res;    /* nres entries */
	size_t nres;
} jobq_usage;
/* *out: malloc'd (jobq_usage_free).  A daemon too old to say gives
 * slots_total 0 and no resources. */
int jobq_get_usage(jobq_client *c, jobq_usage **out);

/* jobqd's view of the Slurm controller (queues with the slurm executor;
 * jobq(1) queue set --executor).  configured 0: no job has gone to Slurm
 * since jobqd started (the rest is 0). */
typedef struct jobq_slurm_info {
	int configured;
	int reachable;          /* the last command to the controller worked */
	int64_t since_ms;       /* realtime ms of the last change of reachable */
	char error[256];        /* the last failure, "" none */
	int64_t pending, running;  /* jobq's jobs Slurm reports pending /
	                              running (at the last poll) */
	int64_t submitting;     /* claimed, sbatch not answered yet */
} jobq_slurm_info;
/* One stats request (its "slurm" member); a jobqd that does not say (Slurm
 * not in use, or older) gives configured 0. */
int jobq_get_slurm(jobq_client *c, jobq_slurm_info *out);
void jobq_usage_free(jobq_usage *u);
/* jobq_get_stats, jobq_get_usage and jobq_get_slurm from ONE stats request
 * (one round trip, one moment): each of st, usage and slurm that is not
 * NULL is filled as those would (at least one; JOBQ_EINVAL otherwise).
 * On an error nothing is left allocated: *usage NULL, st released. */
int jobq_get_stats_ex(jobq_client *c, jobq_stats *st, jobq_usage **usage,
    jobq_slurm_info *slurm);

/* jobqd's metrics since it started, as Prometheus text (exposition format
 * 0.0.4): jobs by queue and state, submitted and finished counters, wait,
 * run and store commit histograms, workers.  *text_out is malloc'd (free
 * it with free()). */
int jobq_get_metrics(jobq_client *c, char **text_out);

/* ---- recurring schedules ---- */
/*
 * A schedule submits a job, from the template it was added with, each time
 * it fires: at the times of a cron expression (MIN HOUR DOM MON DOW, in
 * jobqd's local zone or tz), or every every_ms from the time it was added.
 * Its jobs belong to its owner (who added it) and carry its name
 * (jobq_job.schedule).  Names are unique per owner: a non-root user sees and
 * changes only her own schedules, root (and jobqd's user) all of them; with
 * several users' schedules of one name, an administrator says whose with
 * owner_uid (-1: the caller's own, else the only one of that name).
 * Times are ms since the epoch, 0 for none.
 */
typedef enum jobq_overlap {
	JOBQ_OVERLAP_SKIP = 0,  /* no new job while the previous one is queued
	                           or running: the fire is counted as a skip */
	JOBQ_OVERLAP_QUEUE = 1, /* the new job waits for the previous one to
	                           end (a dependency, any outcome) */
	JOBQ_OVERLAP_ALLOW = 2  /* the new job may run at the same time */
} jobq_overlap;
typedef enum jobq_catch_up {
	JOBQ_CATCH_UP_NONE = 0, /* fires missed while jobqd was down: none */
	JOBQ_CATCH_UP_ONE = 1,  /* one job for all of them */
	JOBQ_CATCH_UP_ALL = 2   /* one job each, at most 1000 */
} jobq_catch_up;

typedef struct jobq_schedule_opts {
	size_t size;            /* sizeof(jobq_schedule_opts) */
	const char *name;       /* 1..JOBQ_MAX_NAME of [A-Za-z0-9_.-] */
	const char *cron;       /* "MIN HOUR DOM MON DOW", or NULL ... */
	int64_t every_ms;       /* ... every every_ms (>= 1000) */
	const char *tz;         /* an IANA zone for cron; NULL: jobqd's */
	int at_start;           /* also fire at once when added or resumed */
	jobq_overlap overlap;
	jobq_catch_up catch_up;
} jobq_schedule_opts;

typedef struct jobq_schedule {
	char *name;
	uint32_t owner_uid;
	char *cron;             /* NULL: every_ms */
	int64_t every_ms;
	char *tz;               /* NULL: jobqd's local zone */
	int at_start;
	jobq_overlap overlap;
	jobq_catch_up catch_up;
	int paused;
	int64_t created_at;
	int64_t last_fire;      /* the due time of the last job submitted */
	int64_t next_fire;      /* 0: none (paused, or never again) */
	int64_t runs, skips, misses;
	int64_t last_skip;      /* when the last skip happened */
	int64_t last_job;       /* the id of the last job submitted, 0: none */
	int last_job_state;     /* its jobq_state, -1: unknown (purged) */
	char *queue;            /* the template's queue */
	char **argv;            /* the template's command, argc strings */
	size_t argc;
	/* appended: the worker slots and resources its jobs ask
	 * (jobq_submit_ext.slots, .res): slots 1 unless asked, res NULL if
	 * none */
	int slots;
	char *res;
} jobq_schedule;

/* Adds a schedule submitting `job` (with ext, may be NULL) as jobq_submit_x
 * would; the template is checked as a submit is (JOBQ_EINVAL with the
 * daemon's message in jobq_last_error: a bad cron expression or zone, a
 * name the caller has already).  Arrays, dependencies, unique keys and
 * start times are refused in a template.  out (may be NULL) gets the new
 * schedule. */
int jobq_schedule_add(jobq_client *c, const jobq_schedule_opts *opts,
    const jobq_submit_opts *job, const jobq_submit_ext *ext,
    jobq_schedule **out);
/* Every schedule the caller may see, by owner then name. */
int jobq_schedule_list(jobq_client *c, jobq_schedule ***out, size_t *n_out);
int jobq_schedule_show(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out);
/* Pause (no fire until resumed; fires while paused are dropped, not
 * counted) or resume (next fire from now; at once with at_start); out may
 * be NULL. */
int jobq_schedule_pause(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out);
int jobq_schedule_resume(jobq_client *c, const char *name, int64_t owner_uid,
    jobq_schedule **out);
/* Removes it (its jobs stay). */
int jobq_schedule_remove(jobq_client *c, const char *name, int64_t owner_uid);
/* Submits one job now (a run: whatever its overlap setting, and its next
 * fire stays as it was); *id_out (may be NULL) gets the job's id. */
int jobq_schedule_run_now(jobq_client *c, const char *name, int64_t owner_uid,
    int64_t *id_out);
void jobq_schedule_free(jobq_schedule *s);
void jobq_schedule_list_free(jobq_schedule **v, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* JOBQ_H */
