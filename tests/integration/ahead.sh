#!/usr/bin/env bash
# ahead.sh - running ahead (jobqd(8) --run-ahead): a worker whose job has
# started is handed its next job, claimed and committed, and begins it as
# soon as the first one ends.  The crash points of that hand-off, each with
# one worker, job A (a gate job, running) and job B (behind it):
#   (a) kill -9 once B is handed to A's worker but not begun: the
#       scoreboard's hand-off marker says B never started, so B is queued
#       again (attempt not counted) and runs once; A is interrupted and its
#       process gone;
#   (b) kill -9 once B's claim has committed but before it was handed (A's
#       worker is stopped, so A never reports its start): A, handed and
#       never begun, is queued again; B, claimed and not handed, is
#       recorded interrupted as before running ahead (the documented
#       window); neither ran before the restart;
#   (c) a cancel of B while it is ahead: canceled, never ran;
#   (d) an orderly stop with B ahead: B back to queued, A interrupted; B
#       runs once after the restart;
#   (e) kill -9 of A's worker with B ahead: A fails (worker_lost), B runs
#       once on the replacement worker;
#   (f) B not begun --run-ahead after it was handed goes back to the
#       queue (its predecessor runs long) and keeps its priority order
#       there; a worker whose last job ran longer than --run-ahead takes
#       no job ahead; and many short jobs through the ahead path each run
#       once;
#   (h) B claimed to go ahead of A, A canceled before it started: B is
#       queued again at once rather than left claimed.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
row() { sql "SELECT state || ' ' || coalesce(reason, '-') || ' ' || attempts FROM jobs WHERE id = $1"; }
stop_workers() { local p; for p in $(worker_pids); do kill -STOP "$p"; done; }
sent_ahead() { grep -q "job $1 sent to worker 0, after job $2" "$LOG"; }
claimed() { [ "$(sql "SELECT state FROM jobs WHERE id = $1")" = running ]; }

# A job that records each run, then waits for GATE.
gate_job() { submit "${@:3}" -- "$BIN/sh" -c "echo ran >>'$1'; $(gate_script "$2")"; }
rec_job() { submit "${@:2}" -- "$BIN/sh" -c "echo ran >>'$1'"; }

# Queue p paused: A and B submitted, then resumed, so that B is claimed
# while A is young.  With "stopped", the workers are stopped first: A is
# handed to its worker but never reports its start, and B, claimed to go
# ahead of it, waits claimed (returns once it is).
pair() { # TAG [stopped]
	local tag=$1
	assert_rc 0 "pause p" q queue pause p
	A=$(gate_job "$T/ran-a$tag" "$T/gate-$tag" --queue p)
	B=$(rec_job "$T/ran-b$tag" --queue p)
	[ "${2:-}" != stopped ] || stop_workers
	assert_rc 0 "resume p" q queue resume p
	[ "${2:-}" != stopped ] || wait_for 10 "job $B claimed" claimed "$B"
}

# (a) ------------------------------------------------------------------------
start_daemon --run-ahead 1h --log-level debug
pair a
wait_for 10 "job $A started" lines_ge "$T/ran-aa" 1
wait_for 10 "job $B sent ahead of job $A" sent_ahead "$B" "$A"
assert_eq "$(row "$B")" "running - 1" "job $B handed ahead (claimed, committed)"
assert_eq "$(q --json show "$B" | jf state)" running "job $B ahead, as jobq shows it"
markers_seen 1 "the process of job $A"
kill9_daemon
start_daemon --run-ahead 1h --log-level debug
grep -q "job $B was handed to a worker that never started it: queued again" "$LOG" ||
	fail "no log line for job $B queued again"
assert_eq "$(row "$A")" "interrupted daemon_crash 1" "job $A after kill -9 while it ran"
wait_ended "$B"
assert_eq "$(row "$B")" "succeeded - 1" "job $B after kill -9 while it waited ahead"
assert_eq "$(nlines "$T/ran-ba")" 1 "runs of job $B"
wait_for 10 "the process of job $A gone" no_markers
stop_daemon

# (b) ------------------------------------------------------------------------
start_daemon --run-ahead 1h --log-level debug
pair b stopped
assert_eq "$(row "$A")" "running - 1" "job $A handed to its stopped worker"
kill9_daemon
start_daemon --run-ahead 1h --log-level debug
assert_eq "$(row "$B")" "interrupted daemon_crash 1" "job $B claimed, not handed, after kill -9"
wait_for 10 "job $A running again" lines_ge "$T/ran-ab" 1
assert_eq "$(row "$A")" "running - 1" "job $A (never begun) after kill -9: queued again, one attempt"
[ ! -e "$T/ran-bb" ] || fail "job $B ran"
touch "$T/gate-b"
wait_ended "$A"
assert_eq "$(nlines "$T/ran-ab")" 1 "runs of job $A"
stop_daemon

# (c) ------------------------------------------------------------------------
start_daemon --run-ahead 1h --log-level debug
pair c
wait_for 10 "job $B sent ahead of job $A" sent_ahead "$B" "$A"
assert_rc 0 "cancel $B" q cancel "$B"
wait_ended "$B"
assert_eq "$(row "$B")" "canceled canceled 0" "job $B canceled while ahead"
touch "$T/gate-c"
wait_ended "$A"
assert_eq "$(job_state "$A")" succeeded "job $A"
[ ! -e "$T/ran-bc" ] || fail "job $B ran although canceled before it started"

# (d) ------------------------------------------------------------------------
pair d
wait_for 10 "job $B sent ahead of job $A" sent_ahead "$B" "$A"
stop_daemon
assert_eq "$(row "$A")" "interrupted shutdown 1" "job $A after an orderly stop"
assert_eq "$(row "$B")" "queued - 0" "job $B, ahead, after an orderly stop"
[ ! -e "$T/ran-bd" ] || fail "job $B ran before the stop"
start_daemon --run-ahead 1h --log-level debug
wait_ended "$B"
assert_eq "$(nlines "$T/ran-bd")" 1 "runs of job $B"

# (e) ------------------------------------------------------------------------
pair e
wait_for 10 "job $B sent ahead of job $A" sent_ahead "$B" "$A"
w=$(worker_pids)
kill -KILL $w
wait_ended "$A"
assert_eq "$(row "$A")" "failed worker_lost 1" "job $A whose worker was killed"
wait_ended "$B"
assert_eq "$(row "$B")" "succeeded - 1" "job $B, ahead in the killed worker"
assert_eq "$(nlines "$T/ran-be")" 1 "runs of job $B"
stop_daemon

# (f) ------------------------------------------------------------------------
start_daemon --run-ahead 300ms --log-level debug
pair f
wait_for 10 "job $B sent ahead of job $A" sent_ahead "$B" "$A"
back() { [ "$(row "$B")" = "queued - 0" ]; }
wait_for 10 "job $B back in the queue" back
grep -q "job $B: not started 300 ms after it was sent to worker 0: back to the queue" "$LOG" ||
	fail "no log line for job $B going back"
# A job of higher priority submitted now starts before B.
hi=$(submit --queue p --priority 5 -- true)
touch "$T/gate-f"
wait_ended "$hi"
wait_ended "$B"
assert_eq "$(sql "SELECT id FROM jobs WHERE id IN ($hi, $B) ORDER BY started_at, id DESC LIMIT 1")" "$hi" \
	"the first of the jobs behind $A (priority 5 before $B's 0)"
assert_eq "$(nlines "$T/ran-bf")" 1 "runs of job $B"
# A worker whose last job ran longer than --run-ahead takes none ahead.
long=$(submit --queue p -- "$BIN/sleep" 0.5)
wait_ended "$long"
pair g
wait_for 10 "job $A started" lines_ge "$T/ran-ag" 1
assert_stays "$B" queued 600 "job $B behind job $A, after a long job"
sent_ahead "$B" "$A" && fail "job $B was handed ahead after a long job"
touch "$T/gate-g"
wait_ended "$B"
# Many short jobs, most of them handed ahead: each runs once.
: >"$T/many"
ids=$(for i in $(seq 1 60); do submit -- "$BIN/sh" -c "echo $i >>'$T/many'"; done)
# shellcheck disable=SC2086
q wait $ids >/dev/null || fail "wait for the short jobs"
assert_eq "$(sort -n "$T/many" | uniq | wc -l)" 60 "distinct short jobs run"
assert_eq "$(nlines "$T/many")" 60 "runs of the short jobs"
n=$(grep -c "sent to worker 0, after job" "$LOG")
[ "$n" -ge 1 ] || fail "no job was handed ahead"
log "$n job(s) handed ahead"
stop_daemon

# (h) ------------------------------------------------------------------------
# B claimed to go ahead of A, whose worker is stopped (A never reports its
# start); A is canceled: B waits for it no more and is queued again at
# once, instead of staying claimed until some job ends.
start_daemon --run-ahead 1h --worker-timeout 1h --log-level debug
pair h stopped
# (jobq cancel waits for A's end: in the background until the worker goes on)
q cancel "$A" >/dev/null &
cancel_pid=$!
requeued() { [ "$(row "$B")" = "queued - 0" ]; }
wait_for 10 "job $B queued again" requeued
grep "job $B: claimed, but no worker can take it soon: queued again" "$LOG" >/dev/null ||
	fail "no log line for job $B queued again"
[ ! -e "$T/ran-bh" ] || fail "job $B ran while job $A held its worker"
for p in $(worker_pids); do kill -CONT "$p"; done
wait "$cancel_pid" || fail "jobq cancel $A failed"
assert_eq "$(job_state "$A")" canceled "job $A"
wait_ended "$B"
assert_eq "$(row "$B")" "succeeded - 1" "job $B"
assert_eq "$(nlines "$T/ran-bh")" 1 "runs of job $B"
stop_daemon
