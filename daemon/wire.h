/*
 * wire.h - messages between jobqd and its worker processes.  Pure code.
 *
 * Daemon -> worker: one POSIX message queue per worker (mq_open'd by the
 * daemon with mq_maxmsg WIRE_MQ_MAXMSG and mq_msgsize WIRE_MQ_MSGSIZE, the
 * kernel's defaults for unprivileged users allow this).  Every message starts
 * with struct wire_msg.  A RUN carries the packed job spec inline when it
 * fits in the message, else the spec is written to a POSIX shared memory
 * object (name in the message) that the worker maps, reads and unlinks.
 *
 * Worker -> daemon: a pipe carrying fixed-size struct wire_report records
 * (sizeof < PIPE_BUF, so each write is atomic).
 *
 * Packed job spec (wire_spec_pack_out): all integers little-endian uint32.
 *   "JQS2" | argc | envc | out flags | out limit (low, high 32 bits) |
 *   len(cwd) cwd | len(dir) dir | len(out) out | len(err) err |
 *   argc x (len s) | envc x (len s) |
 *   ident: flags | uid | gid | umask |
 *   limits: set | 6 x value (low, high) | n base | n x (resource, cur
 *   (low, high), max (low, high))
 * where strings are stored without NUL; unpacking checks every length
 * against the buffer and rejects embedded NULs, unknown limit bits, values
 * outside the protocol's bounds (proto_limits_valid) and resources >=
 * WIRE_RLIMIT_BASE_MAX.
 *
 * Output files: with a dir, out and err are plain names in it, which the
 * worker opens with openat() from a descriptor of dir opened O_NOFOLLOW and
 * checked (owned by the worker's euid, writable by nobody else); the files
 * are opened O_NOFOLLOW, must be regular, and are never truncated: on the
 * job's first run (WIRE_OUT_EXCL) they are created O_EXCL, and a file that
 * exists already fails the start (WIRE_STAGE_OUTPUT_TAKEN); on a later run
 * they are created or appended to.  Without a dir (test harnesses) the
 * paths are relative to the job's cwd, "" means /dev/null, and a file
 * that exists is truncated unless WIRE_OUT_EXCL.
 *
 * With WIRE_OUT_USERDIR (what jobqd sends; outputs, issue 9) the files are
 * in dir's subdirectory named by the decimal uid (userdir.h: created on
 * first use, owned by uid, mode 0700, checked), created mode 0600 and
 * fchown'ed to uid:gid (gid UINT32_MAX: left as created) by the worker
 * before the job starts; a later run appends to a file only if it is a
 * regular file owned by uid with one link (a symlink: ELOOP, else EPERM;
 * WIRE_STAGE_OUTPUT_REFUSED), and creates it if it is missing.  The
 * directories: WIRE_STAGE_LOGS_DIR for dir, WIRE_STAGE_USER_DIR for
 * dir/UID.  A limit > 0
 * is the number of bytes each file may grow by during the run (see
 * worker.h).
 */
#ifndef JOBQD_WIRE_H
#define JOBQD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "jobq.h"

#define WIRE_MQ_MAXMSG   4
#define WIRE_MQ_MSGSIZE  8192
#define WIRE_SHM_NAME_MAX 64

enum wire_msg_type {
	WIRE_RUN = 1,        /* start a job */
	WIRE_CANCEL = 2,     /* TERM the job's group, KILL after grace; ends canceled */
	WIRE_INTERRUPT = 3,  /* same, but ends interrupted (daemon shutdown) */
	WIRE_QUIT = 4,       /* exit when idle */
	WIRE_WITHDRAW = 5    /* the job received ahead (below): drop it unless
	                        begun (-> UNSTARTED); ignored otherwise */
};

/*
 * Running ahead: a RUN may come while the worker's job runs, at most one
 * (jobqd sends it only once that job has STARTED); the worker keeps it and
 * begins it right after reporting the running job's end, so no round trip
 * to jobqd and no commit stands between two jobs of a worker.  A job kept
 * that way is dropped unstarted (report UNSTARTED) on WITHDRAW, QUIT or a
 * CANCEL/INTERRUPT naming it.  See scoreboard.h for the hand-off marker
 * that tells a crash's recovery it never began.
 */

#define WIRE_F_SHM 0x1       /* RUN: spec lives in shm_name, not inline */

struct wire_msg {
	uint32_t type;
	uint32_t flags;
	int64_t job_id;
	uint32_t attempt;
	uint32_t grace_ms;       /* CANCEL/INTERRUPT: TERM -> KILL delay */
	uint64_t spec_len;       /* RUN: bytes of packed spec */
	char shm_name[WIRE_SHM_NAME_MAX]; /* RUN with WIRE_F_SHM */
	/* RUN without WIRE_F_SHM: spec_len bytes of packed spec follow */
};

#define WIRE_INLINE_MAX (WIRE_MQ_MSGSIZE - sizeof(struct wire_msg))

enum wire_report_type {
	WIRE_REP_READY = 1,      /* worker started and has its queue */
	WIRE_REP_STARTED = 2,    /* job process running: pid */
	WIRE_REP_FINISHED = 3,   /* job ended: wstatus valid */
	WIRE_REP_SPAWN_FAILED = 4, /* could not start: err = errno, stage */
	WIRE_REP_UNSTARTED = 5   /* the job kept ahead was dropped unbegun */
};

#define WIRE_END_CANCELED    0x1  /* FINISHED after a CANCEL */
#define WIRE_END_INTERRUPTED 0x2  /* FINISHED after an INTERRUPT */
#define WIRE_END_OUTPUT_OUT  0x4  /* stdout passed the output limit: the job
                                     was killed, the file truncated */
#define WIRE_END_OUTPUT_ERR  0x8  /* the same for stderr */
#define WIRE_END_OUTPUT (WIRE_END_OUTPUT_OUT | WIRE_END_OUTPUT_ERR)

enum wire_stage { WIRE_STAGE_SPEC = 1, WIRE_STAGE_OUTPUT, WIRE_STAGE_CWD,
	WIRE_STAGE_EXEC, WIRE_STAGE_FORK,
	WIRE_STAGE_OUTPUT_TAKEN, /* first run: an output file exists already
	                           (err EEXIST; ELOOP if it is a symlink); it
	                           was left untouched */
	WIRE_STAGE_IDENT_USER,   /* ident: the uid's passwd entry or groups
	                            could not be read (ENOENT: no entry) */
	WIRE_STAGE_IDENT,        /* ident: umask/setgroups/setgid/setuid
	                            failed or did not give exactly the job's
	                            uid, gid and groups (EPERM) */
	/* outputs (issue 9), with WIRE_OUT_USERDIR: */
	WIRE_STAGE_LOGS_DIR,     /* the output dir (logs/) refused or missing */
	WIRE_STAGE_USER_DIR,     /* logs/UID refused or not creatable
	                            (errno as userdir_open's) */
	WIRE_STAGE_OUTPUT_REFUSED, /* a later run: an output file is a symlink
	                            (ELOOP), not a regular file (EINVAL), or not
	                            the job user's own (EPERM); untouched */
	/* resource limits (worker_spawn.c): restoring jobqd's start-up
	 * limits, then the job's limit i (its index in proto_limits[], i.e.
	 * WIRE_STAGE_LIMIT + CONF_RL_*; cpus, not applied in the child, has
	 * none) */
	WIRE_STAGE_RLIMIT_BASE = 20,
	WIRE_STAGE_LIMIT = 21,	/* .. 26 */
	WIRE_STAGE_CGROUP = 27  /* its cgroup could not be made or joined */
};

struct wire_report {
	uint32_t type;
	uint32_t flags;          /* WIRE_END_* */
	int64_t job_id;
	int32_t pid;             /* job's pid = its process group id */
	int32_t wstatus;         /* FINISHED: waitpid status */
	int32_t err;             /* SPAWN_FAILED: errno */
	int32_t stage;           /* SPAWN_FAILED: enum wire_stage */
	int64_t start_us;        /* wall clock, microseconds since epoch */
	int64_t end_us;
	int64_t utime_us, stime_us;
	int64_t maxrss_kb;
	uint64_t out_limit;      /* FINISHED with WIRE_END_OUTPUT_*: the limit */
	/* cgroup (cgroup.h): FINISHED in cgroup mode, what the job's cgroup
	 * counted for all its processes; each valid when its flag is set
	 * (else the daemon uses the rusage above: the main process and the
	 * descendants it waited for). */
	uint32_t cg_flags;       /* WIRE_USAGE_CG_* */
	uint32_t cg_pad;
	uint64_t cg_mem_peak;    /* memory.peak, bytes */
	int64_t cg_user_us, cg_sys_us;  /* cpu.stat user_usec, system_usec */
};

/* Identity (wire_output.id_flags): WIRE_ID_SET: uid, gid and umask are
 * the job's; a worker running as root switches to them, any worker sets
 * the umask. */
#define WIRE_ID_SET 0x1
#define WIRE_GID_PRIMARY 0xffffffffu
#define WIRE_USAGE_CG_CPU 0x1
#define WIRE_USAGE_CG_MEM 0x2

/* How the output files are opened (wire_output.flags). */
#define WIRE_OUT_EXCL 0x1    /* the job's first run: create, never reuse */
#define WIRE_OUT_USERDIR 0x2 /* in dir/UID/, owned by uid:gid (outputs) */

/* resource limits: one limit of jobqd's start-up that a job's process
 * restores (rlimits_base_changed()) */
#define WIRE_RLIMIT_BASE_MAX 16
struct wire_rlimit {
	uint32_t resource;   /* RLIMIT_*, < WIRE_RLIMIT_BASE_MAX */
	uint64_t cur, max;   /* RLIM_INFINITY as is */
};

/* The output files of a spec besides their names (see the top). */
struct wire_output {
	const char *dir;     /* NULL or "": names relative to the job's cwd */
	uint32_t flags;      /* WIRE_OUT_* */
	uint64_t limit;      /* bytes each file may grow by; 0: no limit */
	/* ident: who the job runs as (worker_spawn.c; jobqd(8) "Identity") */
	uint32_t id_flags;   /* WIRE_ID_*; 0: no identity (test harnesses) */
	uint32_t uid;        /* a root worker switches to it */
	uint32_t gid;        /* WIRE_GID_PRIMARY: uid's primary group */
	uint32_t umask;      /* 0..0777 */
	/* with WIRE_OUT_USERDIR, uid also owns the output files and names
	 * their directory; gid is their group unless WIRE_GID_PRIMARY (then
	 * the creator's: the files are 0600 all the same) */
	/* resource limits (NULL / 0: none) */
	const jobq_limits *limits;          /* the job's, set soft = hard */
	const struct wire_rlimit *rl_base;  /* restored before them */
	size_t nrl_base;                    /* <= WIRE_RLIMIT_BASE_MAX */
};

/* A spec unpacked: pointers into the packed buffer's copy (see unpack). */
struct wire_spec {
	char **argv;  /* NULL-terminated, malloc'd array of malloc'd strings */
	char **env;   /* NULL-terminated */
	char *cwd, *out_path, *err_path;
	char *out_dir;           /* "" (or NULL): paths relative to cwd */
	uint32_t out_flags;      /* WIRE_OUT_* */
	uint64_t out_limit;      /* 0: none */
	/* ident (see struct wire_output) */
	uint32_t id_flags, uid, gid, umask;
	/* resource limits: the job's (limits.set 0: none), applied soft =
	 * hard after the start-up limits in rl_base were restored */
	jobq_limits limits;
	struct wire_rlimit rl_base[WIRE_RLIMIT_BASE_MAX];
	uint32_t nrl_base;
};

/* Packs into a malloc'd buffer; returns 0, JOBQ_ENOMEM, JOBQ_EINVAL (a NULL
 * path) or JOBQ_ETOOBIG (a string or the whole beyond 32-bit lengths).
 * out NULL: no dir, no flags, no limit. */
int wire_spec_pack_out(const char *const *argv, const char *const *env,
    const char *cwd, const char *out_path, const char *err_path,
    const struct wire_output *out, char **buf, size_t *len);
/* wire_spec_pack_out() with out NULL. */
int wire_spec_pack(const char *const *argv, const char *const *env,
    const char *cwd, const char *out_path, const char *err_path,
    char **buf, size_t *len);
/* Unpacks with full bounds checking; returns 0, JOBQ_EINVAL (malformed:
 * *out is then all NULL) or JOBQ_ENOMEM. */
int wire_spec_unpack(const char *buf, size_t len, struct wire_spec *out);
void wire_spec_free(struct wire_spec *spec);

/* The message of a FINISHED report with WIRE_END_OUTPUT_*, e.g. "stdout
 * passed the output limit of 1048576 bytes: killed, output truncated". */
void wire_output_message(const struct wire_report *rep, char *buf,
    size_t len);

/* Names: "/jobqd.PID.wSLOT.GEN" for queues, "/jobqd.PID.jID.ATTEMPT" for shm. */
void wire_mq_name(char *buf, size_t len, long daemon_pid, int slot, unsigned gen);
void wire_shm_name(char *buf, size_t len, long daemon_pid, int64_t job_id, unsigned attempt);

#endif
