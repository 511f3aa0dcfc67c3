#!/usr/bin/env bash
# paired-crash.sh - the crash points of a submit to an idle worker, which is
# stored already claimed for that worker (its INSERT and CLAIM are one
# commit, dispatch_submit.c):
#   (a) kill -9 after that commit, before the worker began the job (the
#       workers are stopped with SIGSTOP): the job is acknowledged, found
#       running at the restart, but the scoreboard's hand-off marker says
#       its worker never began it: it is queued again, its attempt not
#       counted, and runs once (before running ahead it was recorded
#       interrupted);
#   (b) the same with a retry left: queued again without using it, and it
#       runs once;
#   (c) a submit to a paused queue is not claimed: after kill -9 it is
#       still queued and runs once the queue is resumed;
#   (d) kill -9 after the job started: interrupted, its process gone.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1

stop_workers() {
	local p
	for p in $(worker_pids); do kill -STOP "$p"; done
}
row() { sql "SELECT state || ' ' || coalesce(reason, '-') || ' ' || attempts FROM jobs WHERE id = $1"; }

# (a)
start_daemon
stop_workers
a=$(submit -- "$BIN/sh" -c "echo ran >>'$T/ran-a'")
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $a")" running "job $a right after its acknowledgement (claimed with its insert)"
[ ! -e "$T/ran-a" ] || fail "job $a ran although its worker was stopped"
kill9_daemon
start_daemon
grep "job $a was handed to a worker that never started it: queued again" "$LOG" >/dev/null ||
	fail "no log line for job $a queued again"
wait_ended "$a"
assert_eq "$(row "$a")" "succeeded - 1" "job $a after kill -9 before its start"
assert_eq "$(nlines "$T/ran-a")" 1 "runs of job $a"

# (b)
stop_workers
b=$(submit --retries 1 --retry-delay 0s -- "$BIN/sh" -c "echo ran >>'$T/ran-b'")
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $b")" running "job $b right after its acknowledgement"
kill9_daemon
start_daemon
wait_ended "$b"
assert_eq "$(row "$b")" "succeeded - 1" "job $b (a retry left) after kill -9 before its start"
assert_eq "$(nlines "$T/ran-b")" 1 "runs of job $b"

# (c)
assert_rc 0 "pause p" q queue pause p
c=$(submit --queue p -- "$BIN/sh" -c "echo ran >>'$T/ran-c'")
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $c")" queued "job $c in a paused queue"
kill9_daemon
start_daemon
assert_eq "$(job_state "$c")" queued "job $c after kill -9"
assert_rc 0 "resume p" q queue resume p
wait_ended "$c"
assert_eq "$(nlines "$T/ran-c")" 1 "runs of job $c"

# (d)
d=$(submit -- "$BIN/sh" -c "echo ran >>'$T/ran-d'; $(gate_script "$T/never")")
wait_for 10 "job $d started" lines_ge "$T/ran-d" 1
markers_seen 1 "the process of job $d"
kill9_daemon
start_daemon
assert_eq "$(row "$d")" "interrupted daemon_crash 1" "job $d after kill -9 while it ran"
wait_for 10 "the process of job $d gone" no_markers
stop_daemon
