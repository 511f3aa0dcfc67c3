/*
 * worker.h - the worker process: the one place where a job's process is set
 * up and watched.  jobqd starts each worker by executing itself as
 *   jobqd --worker SLOT MQNAME DAEMONPID [CGROUP]
 * (CGROUP in cgroup mode: the directory of the jobs' cgroups, cgroup.h)
 * with the report pipe on fd 3, its message queue (read-only, non-blocking;
 * the name MQNAME is a label, unlinked before the worker starts) on fd 4,
 * the scoreboard (scoreboard.h, read-write) on fd 5, /dev/null on 0 and 1,
 * stderr shared.
 *
 * A worker: sets PR_SET_PDEATHSIG(SIGTERM) and PR_SET_CHILD_SUBREAPER,
 * checks its parent is still DAEMONPID, maps its scoreboard slot; writes
 * WIRE_REP_READY; then loops: poll() on the queue, a signalfd (SIGTERM,
 * SIGINT, SIGCHLD) and the running job's kill timer, never longer than
 * 250 ms, and writes its heartbeat (CLOCK_MONOTONIC) into its slot after
 * every wake-up, idle or not.
 * For a RUN it opens the job's output files, then vfork()s the
 * job (everything the child needs is prepared before): new session
 * (setsid), parent-death signal SIGKILL, every signal disposition default
 * and the mask empty, cwd, stdin /dev/null, stdout/stderr to the given files
 * (O_NOFOLLOW), every other descriptor closed, execve with the job's env
 * (argv[0] resolved against the job's PATH when it has no slash).  A child
 * that fails writes {stage, errno} into memory it shares with the suspended
 * worker and exits 127; the worker reports SPAWN_FAILED.
 * The scoreboard gets the job's id and attempt at the RUN, its process
 * group and the leader's start time once it runs; then STARTED and
 * FINISHED (wait4 status and rusage) go to the report pipe.
 * CANCEL/INTERRUPT: SIGTERM to the job's process group, SIGKILL to the group
 * after grace_ms.  On SIGTERM (the daemon died or asked it to stop) the
 * worker kills the job's group with SIGKILL, reaps it and exits.
 * However the job ends, before FINISHED (or the worker's exit): its group
 * gets SIGKILL, then every process left in the worker's subtree (what the
 * job put in another group or session, reparented to the subreaper) is
 * killed and reaped until the worker has no child left (bounded, logged if
 * the bound is hit), so nothing a job started outlives it.  In cgroup mode
 * the job runs in CGROUP/job-ID-ATTEMPT, made before the vfork and joined
 * by the child: the grace's end and the job's end also write cgroup.kill,
 * and once the cgroup is empty its usage goes into FINISHED and it is
 * removed.  A report the
 * worker cannot write ends it the same way (exit 1): the daemon then sees
 * the worker lost.
 *
 * Output files are opened by the worker from the spec's output directory
 * (wire.h: checked, O_NOFOLLOW, created O_EXCL on a first run, appended to
 * later); with an output limit the worker keeps them open and checks their
 * sizes at least every 100 ms and once the job has ended: past the limit
 * the group gets SIGKILL, the file is cut to the limit and marked, and
 * FINISHED carries WIRE_END_OUTPUT_*.
 *
 * worker.c has the loop, the messages and the reports; worker_spawn.c
 * (worker_int.h) starts the job's process, worker_output.c watches its
 * output, worker_spec.c reads a RUN's spec.  Fault seams (fault.h, with
 * JOBQD_FAULTS inherited from jobqd): FAULT_SPAWN fails the vfork with
 * EAGAIN, FAULT_REPORT_WRITE fails the write of a report.
 */
#ifndef JOBQD_WORKER_H
#define JOBQD_WORKER_H

#define WORKER_REPORT_FD 3
#define WORKER_MQ_FD 4
#define WORKER_SCOREBOARD_FD 5

/* argv as passed after "--worker"; returns the process exit status. */
int worker_main(int argc, char **argv);

#endif
