/*
 * scoreboard.h - STATE/scoreboard: what each worker is doing, in a small
 * file that jobqd and its workers map (MAP_SHARED), so that the daemon
 * sees a worker that stopped responding, and the next jobqd finds what a
 * killed one left running.  It costs no fsync: it outlives a crash of
 * jobqd in the page cache, and a reboot is recognised by the boot id.
 *
 *   jobqd (pool.c, pool_watch.c)        worker N (worker.c)
 *     creates it (0600, O_NOFOLLOW),      maps fd 5 (WORKER_SCOREBOARD_FD)
 *     sets slot N's worker pid+start ---> slot N: heartbeat every <= 250 ms,
 *     reads the heartbeats <------------  job id/attempt, the job's process
 *                                         group + its leader's start time
 *   next jobqd after kill -9: scoreboard_reap() kills what is still there
 *
 * Layout, version 1 (native byte order: the file is only ever read on the
 * machine and in the boot that wrote it):
 *   header, 128 bytes, written once by jobqd: magic "JQSB", layout
 *     version, header and slot sizes, number of slots, flags (0), the
 *     daemon's pid and start time, its pid namespace (inode of
 *     /proc/self/ns/pid), the boot id (/proc/sys/kernel/random/boot_id),
 *     reserved bytes, a checksum (FNV-1a) of everything before it
 *   nslots x slot, 64 bytes each (below)
 * A reader that finds another magic, version or size, a wrong checksum (a
 * header torn by a crash while it was written), another boot or another
 * pid namespace acts on nothing in it.
 *
 * A slot is written by its worker only, except that jobqd initialises it
 * when it starts the worker (before the worker runs: heartbeat = now, the
 * rest 0; then the worker's pid and start time).  Members the other side
 * reads are C11 atomics (lock-free: the file is shared between processes);
 * the job's members change under seq (odd while the worker writes them), so
 * a reader never takes one job's process group with another's start time.
 * Flags: SCOREBOARD_F_JOB (job_id/attempt valid: a RUN is being handled),
 * SCOREBOARD_F_PROC (job_pgid/job_start valid: its process was started);
 * the other bits are reserved for later layouts of version 1 (readers
 * ignore bits they do not know).
 *
 * The hand-off marker (handed_lo/hi/attempt, in what were reserved words of
 * layout 1, so older readers ignore it): written by jobqd
 * (scoreboard_handed, pool.c) right before it queues a RUN for the slot,
 * attempt last; cleared (attempt 0) by the worker when it begins that RUN
 * (scoreboard_begin), before anything of the job is done; cleared by jobqd
 * when the worker reports it dropped the job unstarted.  jobqd writes it
 * only while no RUN it sent that slot is unbegun (pool.c), so the two
 * never race.  A marker still set after a crash names a job that was
 * claimed and handed to a worker but certainly never started: recovery
 * puts it back in the queue instead of reporting it interrupted
 * (scoreboard_reap's out list, store_recover).  A marker torn by a kill
 * during its write has attempt 0 and says nothing.
 */
#ifndef JOBQD_SCOREBOARD_H
#define JOBQD_SCOREBOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCOREBOARD_MAGIC	0x4253514aU	/* "JQSB" in little-endian */
#define SCOREBOARD_VERSION	1
#define SCOREBOARD_BOOT_ID_LEN	40		/* 36 characters, NUL-padded */
#define SCOREBOARD_MAX_SLOTS	1024		/* --workers at most */

#define SCOREBOARD_F_JOB	0x1u
#define SCOREBOARD_F_PROC	0x2u

struct scoreboard_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t hdr_size;		/* sizeof(struct scoreboard_hdr) */
	uint32_t slot_size;		/* sizeof(struct scoreboard_slot) */
	uint32_t nslots;
	uint32_t flags;			/* reserved: 0 */
	int32_t daemon_pid;
	uint32_t pad0;
	uint64_t daemon_start;		/* field 22 of /proc/PID/stat */
	uint64_t pidns;			/* st_ino of /proc/self/ns/pid */
	char boot_id[SCOREBOARD_BOOT_ID_LEN];
	uint8_t reserved[32];
	uint32_t pad1;
	uint32_t check;			/* FNV-1a of the bytes before it */
};

struct scoreboard_slot {
	_Atomic uint32_t seq;		/* odd while the job members change */
	_Atomic uint32_t flags;		/* SCOREBOARD_F_* */
	_Atomic int32_t worker_pid;	/* jobqd, when it starts the worker */
	_Atomic int32_t job_pgid;	/* the job's pid = its process group */
	_Atomic uint64_t worker_start;	/* jobqd, with worker_pid */
	_Atomic int64_t job_id;
	_Atomic uint64_t job_start;	/* start time of the job's leader */
	_Atomic int64_t heartbeat_ms;	/* CLOCK_MONOTONIC, by the worker */
	_Atomic uint32_t attempt;
	_Atomic uint32_t handed_lo;	/* jobqd: the job of the RUN queued */
	_Atomic uint32_t handed_hi;	/*   and not yet begun (low, high) */
	_Atomic uint32_t handed_attempt; /* its attempt; 0: no marker */
};

/* What makes the pids in a scoreboard mean something here. */
struct scoreboard_ident {
	char boot_id[SCOREBOARD_BOOT_ID_LEN];	/* "" if unreadable */
	uint64_t pidns;				/* 0 if unreadable */
};

/* One slot, read consistently. */
struct scoreboard_snap {
	pid_t worker_pid;
	uint64_t worker_start;
	uint32_t flags;
	int64_t job_id;
	uint32_t attempt;
	pid_t job_pgid;
	uint64_t job_start;
	int64_t heartbeat_ms;
	int64_t handed_id;		/* the hand-off marker; 0: none */
	uint32_t handed_attempt;
};

/* A job an old scoreboard marks as handed to a worker but never begun. */
struct scoreboard_unstarted {
	int64_t job_id;
	uint32_t attempt;
};

enum scoreboard_verdict {
	SCOREBOARD_OK,
	SCOREBOARD_NOT_OURS,	/* shorter than a header, or another magic */
	SCOREBOARD_LAYOUT,	/* another layout version, header or slot size */
	SCOREBOARD_TORN,	/* checksum wrong, or shorter than its slots */
	SCOREBOARD_OTHER_BOOT,	/* written before the last boot */
	SCOREBOARD_OTHER_NS,	/* written in another pid namespace */
	SCOREBOARD_NO_IDENT	/* this boot's identity cannot be read */
};

struct scoreboard;

/* ---- pure ---- */

/* Bytes of a scoreboard of nslots slots. */
size_t scoreboard_size(unsigned nslots);
/* Fills a header (checksum included). */
void scoreboard_header_init(struct scoreboard_hdr *h, unsigned nslots,
    pid_t daemon_pid, uint64_t daemon_start,
    const struct scoreboard_ident *ident);
/* Checks len bytes of a scoreboard written by someone else against here.
 * Returns 0 (SCOREBOARD_OK) or JOBQ_EINVAL with *v saying why. */
int scoreboard_validate(const void *buf, size_t len,
    const struct scoreboard_ident *here, enum scoreboard_verdict *v);
const char *scoreboard_verdict_name(enum scoreboard_verdict v);
/* Reads a slot (seq retried a bounded number of times).  Returns 0, or
 * JOBQ_ESTATE if its job members were always changing. */
int scoreboard_slot_read(const struct scoreboard_slot *s,
    struct scoreboard_snap *out);
/* The worker's writes of its job members (under seq). */
void scoreboard_slot_job(struct scoreboard_slot *s, uint32_t flags,
    int64_t job_id, uint32_t attempt, pid_t pgid, uint64_t start);

/* The boot id and pid namespace of this process (members left empty/0
 * when unreadable). */
void scoreboard_ident_here(struct scoreboard_ident *id);

/* ---- jobqd ---- */

/* Replaces the file at path with a new scoreboard of nslots slots,
 * mapped.  Returns 0, JOBQ_EINVAL or JOBQ_EINTERNAL (logged). */
int scoreboard_create(const char *path, unsigned nslots,
    struct scoreboard **out);
/* The descriptor (read-write) a worker is given. */
int scoreboard_fd(const struct scoreboard *sb);
unsigned scoreboard_nslots(const struct scoreboard *sb);
/* Unmaps and closes (the file stays). */
void scoreboard_free(struct scoreboard *sb);
/* Before a worker starts in slot: heartbeat now_ms, nothing else. */
void scoreboard_slot_reset(struct scoreboard *sb, unsigned slot,
    int64_t now_ms);
/* The worker just started in slot is pid, started at start. */
void scoreboard_slot_worker(struct scoreboard *sb, unsigned slot, pid_t pid,
    uint64_t start);
int64_t scoreboard_heartbeat(const struct scoreboard *sb, unsigned slot);
int scoreboard_read(const struct scoreboard *sb, unsigned slot,
    struct scoreboard_snap *out);
/* The hand-off marker of slot (job_id 0 or attempt 0: none), written
 * right before a RUN is queued for it, or cleared. */
void scoreboard_handed(struct scoreboard *sb, unsigned slot, int64_t job_id,
    uint32_t attempt);

/*
 * At start-up, before recovery: reads the scoreboard a previous jobqd left
 * at path and, if it is of this boot, pid namespace and layout, SIGKILLs
 * every worker still alive with its recorded start time together with its
 * whole process tree, and every recorded job process group whose leader
 * still has its recorded start time; then waits (at most max_ms) until
 * they are gone.  Logs what it killed.  Returns the number of processes
 * signaled (0 when there was nothing or nothing to trust).
 */
int scoreboard_reap(const char *path, int max_ms);
/* The same, and then (once what it killed is gone) the jobs whose
 * hand-off marker is still set: *out (malloc'ed, *nout entries; NULL and
 * 0 when none or on failure to allocate, which only loses the
 * distinction: those jobs are then recorded interrupted). */
int scoreboard_reap_unstarted(const char *path, int max_ms,
    struct scoreboard_unstarted **out, size_t *nout);

/* ---- a worker ---- */

/* Maps the scoreboard on fd for the worker of slot, checking that jobqd
 * daemon_pid made it.  Returns 0, JOBQ_EINVAL or JOBQ_EINTERNAL (logged). */
int scoreboard_attach(int fd, unsigned slot, pid_t daemon_pid,
    struct scoreboard **out);
void scoreboard_beat(struct scoreboard *sb, unsigned slot, int64_t now_ms);
/* The worker begins the RUN of job_id/attempt: clears the hand-off
 * marker if it names that run. */
void scoreboard_begin(struct scoreboard *sb, unsigned slot, int64_t job_id,
    uint32_t attempt);
/* The worker's job in slot: see scoreboard_slot_job(); flags 0 clears it. */
void scoreboard_job(struct scoreboard *sb, unsigned slot, uint32_t flags,
    int64_t job_id, uint32_t attempt, pid_t pgid, uint64_t start);

#endif
