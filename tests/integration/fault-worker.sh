#!/usr/bin/env bash
# fault-worker.sh - the worker-side seams of daemon/fault.h through a real
# jobqd (JOBQD_FAULTS, read at start-up and inherited by the workers): a
# spawn that fails (spawn), a RUN or CANCEL the daemon cannot queue for the
# worker (mq_send), a report the worker cannot write (report_write).  Each
# time the job ends in a defined state and reason (never lost, never left
# running), nothing of it is left behind, and the next job runs.
#
# One worker and one job at a time, so every hit is counted exactly: each
# process counts its own.  A worker's report writes: READY (1), then per
# job STARTED and FINISHED; the daemon's mq_sends: one RUN per job, one
# CANCEL per cancel of a running job.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1

# faulty_daemon SPEC: start_daemon with JOBQD_FAULTS=SPEC (jobq and the jobs
# do not get it: a job's environment is its submitter's).
faulty_daemon() {
	JOBQD_FAULTS=$1 start_daemon
	tr '\0' '\n' <"/proc/$JOBQD_PID/environ" | grep -xF "JOBQD_FAULTS=$1" >/dev/null ||
		fail "jobqd (pid $JOBQD_PID) was started without JOBQD_FAULTS=$1"
}
one_worker() { [ "$(worker_pids | wc -l)" -eq 1 ]; }
# a worker other than $1 is up
replaced() { one_worker && [ "$(worker_pids)" != "$1" ]; }
logged() { # TEXT: lines of this daemon's log that hold TEXT
	awk -v pat="$1" '
		/^=== start_daemon/ { n = 0 }
		index($0, pat) { n++ }
		END { print n + 0 }' "$LOG"
}
injected() { logged "as told by JOBQD_FAULTS ($1)"; } # POINT: the seam fired
# gated KEY: a marker job that waits for $T/gate.KEY
gated() { printf '%s; echo %s' "$(gate_script "$T/gate.$1")" "$1"; }

# --- spawn@2: the worker's second vfork fails with EAGAIN ---------------------------------
faulty_daemon spawn@2
wait_for 10 "one worker" one_worker
w0=$(worker_pids)
a=$(submit -- "$BIN/sh" -c "$(gated a)")
wait_for 10 "job $a running" state_is "$a" running
markers_seen 1 "job $a (positive control of the process probe)"
: >"$T/gate.a"
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "job $a (first spawn of the worker)"
b=$(submit -- "$BIN/sh" -c "echo b")
wait_ended "$b"
assert_eq "$WAIT_RC" 125 "wait on job $b, whose spawn failed"
assert_eq "$(job_state "$b")" failed "state of job $b (second spawn: fails)"
assert_eq "$(show_field "$b" reason)" spawn_failed "reason of job $b"
assert_match "$(show_field "$b" message)" "^creating the process: Resource temporarily unavailable$" "message of job $b"
case $(show_field "$b" pid) in 0 | null) ;; *) fail "pid of job $b: $(show_field "$b" pid)" ;; esac
assert_eq "$(q logs "$b")" "" "output of job $b, which never ran"
assert_eq "$(injected spawn)" 1 "spawn faults injected"
c=$(submit -- "$BIN/sh" -c "echo c")
wait_ended "$c"
assert_eq "$(job_state "$c")" succeeded "job $c after the failed spawn"
assert_eq "$(q logs "$c")" c "output of job $c"
assert_eq "$(worker_pids)" "$w0" "the worker after a failed spawn (still the same one)"
assert_no_markers 5 "after the failed spawn"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (spawn@2)"

# --- mq_send@2*2: the second and third RUN cannot be queued ----------------------
# The worker is replaced each time.  The job never started - the hand-off
# marker still names it when its worker dies - so it goes back to the
# queue, its attempt not counted (pool.h: unstarted()), and its RUN goes to
# the replacement: the third RUN (the same job again) fails too, the
# fourth runs it, once.
faulty_daemon 'mq_send@2*2'
wait_for 10 "one worker" one_worker
w0=$(worker_pids)
a=$(submit -- "$BIN/sh" -c "echo a")			# RUN: hit 1
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "job $a (first RUN)"
b=$(submit -- "$BIN/sh" -c "echo b >>\"$T/b.ran\"")	# hits 2, 3 fail; 4
wait_ended "$b"
assert_eq "$WAIT_RC" 0 "wait on job $b, whose first two RUNs could not be sent"
assert_eq "$(job_state "$b")" succeeded "state of job $b"
assert_eq "$(show_field "$b" attempts)" 1 "attempts of job $b (the unsent RUNs not counted)"
assert_eq "$(cat "$T/b.ran")" b "runs of job $b"
assert_eq "$(injected mq_send)" 2 "mq_send faults injected"
assert_eq "$(logged "died before it began job $b")" 2 "jobqd's log: job $b given back twice"
assert_eq "$(logged "lost job $b")" 0 "jobqd's log: job $b reported lost"
replaced "$w0" || fail "worker $w0 still there after the failed RUNs"
w1=$(worker_pids)
c=$(submit -- "$BIN/sh" -c "echo c")			# hit 5
wait_ended "$c"
assert_eq "$(job_state "$c")" succeeded "job $c on the replacement worker"
assert_eq "$(worker_pids)" "$w1" "the worker after job $c"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (mq_send@2*2)"

# --- mq_send@2: the CANCEL of a running job cannot be queued ---------------------------
# The worker is killed and replaced; the job's whole process group is killed
# and the job ends canceled, as asked.
faulty_daemon mq_send@2
wait_for 10 "one worker" one_worker
w0=$(worker_pids)
a=$(submit -- "$BIN/sh" -c "\"$BIN/sleep\" 300 & echo ready; \"$BIN/sleep\" 300")	# RUN: hit 1
wait_for 10 "job $a running" state_is "$a" running
has_ready() { [ "$(q logs "$a" 2>/dev/null)" = ready ]; }
wait_for 10 "job $a printed ready" has_ready
markers_seen 2 "the processes of job $a"
assert_rc 0 "cancel of job $a (the CANCEL cannot be sent)" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$a"
assert_eq "$(job_state "$a")" canceled "state of job $a"
assert_eq "$(injected mq_send)" 1 "mq_send faults injected"
assert_no_markers 5 "processes of job $a, canceled through the loss of its worker"
wait_for 10 "a replacement for worker $w0" replaced "$w0"
b=$(submit -- "$BIN/sh" -c "echo b")			# hit 3
wait_ended "$b"
assert_eq "$(job_state "$b")" succeeded "job $b after the replacement"
assert_eq "$(q logs "$b")" b "output of job $b"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (mq_send@2)"

# --- report_write@4: the worker cannot write the STARTED of the second job ---------------
# Writes: READY 1, job a STARTED 2 / FINISHED 3, job b STARTED 4: fails.  The
# worker kills job b and exits; the daemon reaps and replaces it, job b ends
# failed/worker_lost; the replacement counts afresh and runs job c.
faulty_daemon report_write@4
wait_for 10 "one worker" one_worker
w0=$(worker_pids)
a=$(submit -- "$BIN/sh" -c "$(gated a4)")
wait_for 10 "job $a running" state_is "$a" running
markers_seen 1 "job $a (positive control of the process probe)"
: >"$T/gate.a4"
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "job $a"
b=$(submit -- "$BIN/sh" -c "\"$BIN/sleep\" 300 & \"$BIN/sleep\" 300")
wait_ended "$b"
assert_eq "$WAIT_RC" 125 "wait on job $b, whose worker could not report it"
assert_eq "$(job_state "$b")" failed "state of job $b"
assert_eq "$(show_field "$b" reason)" worker_lost "reason of job $b"
assert_eq "$(injected report_write)" 1 "report_write faults injected"
assert_no_markers 5 "processes of job $b after its worker exited"
wait_for 10 "a replacement for worker $w0" replaced "$w0"
c=$(submit -- "$BIN/sh" -c "echo c")
wait_ended "$c"
assert_eq "$(job_state "$c")" succeeded "job $c on the replacement worker"
assert_eq "$(q logs "$c")" c "output of job $c"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (report_write@4)"
echo "fault-worker: ok"
