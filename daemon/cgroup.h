/*
 * cgroup.h - whole-tree control of jobs with cgroup v2 (cgroup.c).
 *
 * The daemon (jobqd.c) settles --cgroup at start-up: "off", a cgroup2
 * directory given by path, or "auto": the cgroup jobqd runs in (from
 * /proc/self/cgroup "0::/path" and the cgroup2 mount in
 * /proc/self/mountinfo) when it was delegated to us (systemd Delegate=yes).
 * In cgroup mode, with ROOT the cgroup settled on:
 *
 *   ROOT/              (auto, or jobqd inside ROOT: jobqd moves itself to
 *   ROOT/daemon/        daemon/, as a cgroup with children may hold no
 *   ROOT/jobs/          process: "no internal processes")
 *   ROOT/jobs/job-ID-ATTEMPT/   one per run of a job, made by the worker
 *
 * jobs/ is flock'ed for the life of the daemon (one jobqd per subtree).
 * Controllers (memory, pids, cpu) are enabled in ROOT's and jobs/'s
 * cgroup.subtree_control where the parent offers them; a job's limits are
 * written into its cgroup only for those enabled.
 *
 * The worker (worker.c) creates a job's cgroup before vfork and opens its
 * cgroup.procs; the job's child writes "0" into it before exec (step 2 of
 * worker_spawn.c's child), so every descendant is in it.  However the job
 * ends, cgroup.kill (or, on kernels without it, SIGKILL to each pid in
 * cgroup.procs) kills what is left, setsid double forks included; once
 * cgroup.events says "populated 0" its usage is read (memory.peak,
 * cpu.stat) and the cgroup removed.  A worker lost with its job: the
 * daemon kills and removes the job's cgroup (pool.c); at start-up every
 * job cgroup a previous run left is killed and removed before recovery.
 *
 * All functions return 0 (or a count) or a negative JOBQ_E* code.  The
 * worker's functions log nothing but what they say they do.
 */
#ifndef JOBQD_CGROUP_H
#define JOBQD_CGROUP_H

#include <limits.h>
#include <stdint.h>

/* cpu.max's period: a cpu quota is microseconds per this many. */
#define CGROUP_CPU_PERIOD_US 100000

/* The cgroup the daemon settled on (cgroup_root_open). */
struct cgroup_root {
	char path[PATH_MAX];     /* ROOT */
	char jobs[PATH_MAX];     /* ROOT/jobs */
	int jobs_fd;             /* ROOT/jobs, flock'ed; -1 when not open */
	char controllers[64];    /* enabled for the jobs: "memory pids cpu" */
};

/*
 * Settles --cgroup opt ("auto", "off" or a path).  Returns 1 (cgroup mode,
 * r filled), 0 (process groups: why says why, e.g. "--cgroup off" or "/ is
 * the root of the hierarchy, not delegated"), or JOBQ_EINVAL when an
 * explicit path cannot be used (why says why: the daemon stops).  For
 * "auto" every problem is a 0.
 */
int cgroup_root_open(const char *opt, struct cgroup_root *r, char *why,
    size_t whylen);
/* Kills the processes of every job cgroup under r->jobs and removes them
 * (waiting for each at most timeout_ms): what a previous run left.  Returns
 * how many cgroups were found. */
int cgroup_root_reap(const struct cgroup_root *r, int timeout_ms);
void cgroup_root_close(struct cgroup_root *r);

/* "job-ID-ATTEMPT": the name of a job's cgroup under jobs/. */
void cgroup_job_name(char *buf, size_t len, int64_t id, unsigned attempt);
/* Kills what is in jobs/job-ID-ATTEMPT and removes it, waiting at most
 * timeout_ms (the daemon, for a lost worker's job).  0, JOBQ_ENOTFOUND,
 * or JOBQ_ETIMEDOUT (still populated: left for the next start). */
int cgroup_job_reap(const char *jobs, int64_t id, unsigned attempt,
    int timeout_ms);

/* A job's resource limits for its cgroup (0: none).  Written only for the
 * controllers enabled (struct cgroup_root.controllers). */
struct cgroup_limits {
	uint64_t mem_max;        /* memory.max, bytes */
	uint64_t pids_max;       /* pids.max */
	uint64_t cpu_quota_us;   /* cpu.max: us per CGROUP_CPU_PERIOD_US */
};

/* A job's cgroup in the worker. */
struct cgroup_job {
	int dirfd;               /* its directory; -1: none */
	int procs_fd;            /* its cgroup.procs, for the child; -1 */
	char name[48];
};

/* What a job's cgroup says it used; each valid when its flag is set. */
#define CGROUP_USAGE_CPU 0x1
#define CGROUP_USAGE_MEM 0x2
struct cgroup_usage {
	unsigned flags;
	uint64_t mem_peak;       /* memory.peak, bytes */
	uint64_t user_us, sys_us;   /* cpu.stat user_usec, system_usec */
};

/* The controllers enabled in jobs_fd's cgroup.subtree_control into buf
 * ("" when none or unreadable). */
void cgroup_controllers(int jobs_fd, char *buf, size_t len);
/*
 * Creates jobs/job-ID-ATTEMPT (one left by an earlier try is killed and
 * removed first), writes lim for the controllers named in controllers,
 * and opens its cgroup.procs into cj.  0, or -errno with what failed in
 * what (the worker reports the spawn failed); cj is then closed.
 */
int cgroup_job_create(int jobs_fd, int64_t id, unsigned attempt,
    const char *controllers, const struct cgroup_limits *lim,
    struct cgroup_job *cj, const char **what);
/* A job's --cpus (milli-CPUs, 1000 = one CPU) as cpu.max's quota in
 * microseconds per CGROUP_CPU_PERIOD_US, rounded up; 0 for millis <= 0.
 * (cgroup_write_limits raises a quota below 1000 us to that.) */
uint64_t cgroup_cpu_quota_us(int64_t millis);
/* Writes lim's values into the cgroup dirfd (the files of the controllers
 * named in controllers).  0 or -errno (*what: the file). */
int cgroup_write_limits(int dirfd, const char *controllers,
    const struct cgroup_limits *lim, const char **what);
/* SIGKILL to every process in the cgroup (cgroup.kill, else each pid of
 * cgroup.procs).  0 or -errno. */
int cgroup_kill(int dirfd);
/* 1 if the cgroup still has processes (cgroup.events), 0 if not, -errno. */
int cgroup_populated(int dirfd);
/* Reads memory.peak and cpu.stat into u. */
void cgroup_read_usage(int dirfd, struct cgroup_usage *u);
/* Closes cj's descriptors and removes its directory from jobs_fd.  0 or
 * -errno (EBUSY: still populated). */
int cgroup_job_remove(int jobs_fd, struct cgroup_job *cj);
/* Closes the descriptor for the child (after vfork). */
void cgroup_job_close_procs(struct cgroup_job *cj);

#endif
