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
 *   argc x (len s) | envc x (len s)
 * where strings are stored without NUL; unpacking checks every length
 * against the buffer and rejects embedded NULs.
 *
 * Output files: with a dir, out and err are plain names in it, which the
 * worker opens with openat() from a descriptor of dir opened O_NOFOLLOW and
 * checked (owned by the worker's euid, writable by nobody else); the files
 * are opened O_NOFOLLOW, must be regular, and are never truncated: on the
 * job's first run (WIRE_OUT_EXCL) they are created O_EXCL, and a file that
 * exists already fails the start (WIRE_STAGE_OUTPUT_TAKEN); on a later run
 * they are created or appended to.  Without a dir (test harnesses) the
 * paths are relative to the job's cwd, "" means /dev/null, and a file
 * that exists is truncated unless WIRE_OUT_EXCL.  A limit > 0
 * is the number of bytes each file may grow by during the run (see
 * worker.h).
 */
#ifndef JOBQD_WIRE_H
#define JOBQD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MQ_MAXMSG   4
#define WIRE_MQ_MSGSIZE  8192
#define WIRE_SHM_NAME_MAX 64

enum wire_msg_type {
	WIRE_RUN = 1,        /* start a job */
	WIRE_CANCEL = 2,     /* TERM the job's group, KILL after grace; ends canceled */
	WIRE_INTERRUPT = 3,  /* same, but ends interrupted (daemon shutdown) */
	WIRE_QUIT = 4        /* exit when idle */
};

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
	WIRE_REP_SPAWN_FAILED = 4 /* could not start: err = errno, stage */
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
	                           (err EEXIST); it was left untouched */
	WIRE_STAGE_CGROUP       /* its cgroup could not be made or joined */
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

#define WIRE_USAGE_CG_CPU 0x1
#define WIRE_USAGE_CG_MEM 0x2

/* How the output files are opened (wire_output.flags). */
#define WIRE_OUT_EXCL 0x1    /* the job's first run: create, never reuse */

/* The output files of a spec besides their names (see the top). */
struct wire_output {
	const char *dir;     /* NULL or "": names relative to the job's cwd */
	uint32_t flags;      /* WIRE_OUT_* */
	uint64_t limit;      /* bytes each file may grow by; 0: no limit */
};

/* A spec unpacked: pointers into the packed buffer's copy (see unpack). */
struct wire_spec {
	char **argv;  /* NULL-terminated, malloc'd array of malloc'd strings */
	char **env;   /* NULL-terminated */
	char *cwd, *out_path, *err_path;
	char *out_dir;           /* "" (or NULL): paths relative to cwd */
	uint32_t out_flags;      /* WIRE_OUT_* */
	uint64_t out_limit;      /* 0: none */
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
