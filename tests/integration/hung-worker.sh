#!/usr/bin/env bash
# hung-worker.sh - a worker that stops responding (SIGSTOP) while its job
# runs never holds jobqd up: (a) a --timeout job ends timed_out, (b) `jobq
# cancel` returns and the job ends canceled, (c) with neither, after
# --worker-timeout the worker is killed and replaced, the job ends failed /
# worker_lost and the next job runs on the new worker, (d) SIGTERM of jobqd
# completes (exit 0) and the job is interrupted, (e) after kill -9 of jobqd
# the next start kills the stopped worker and the job's processes and
# records the job interrupted; (f) a worker stopped for less than grace +
# 1 s is not killed, and a job that exits 0 meanwhile, after its timeout
# fired or its cancel was asked, ends timed_out / canceled, not
# succeeded.  Each job leaves a background child and a child in a session
# of its own: nothing of any job is left.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# (a), (b) and (d) run with a --worker-timeout far beyond the kill grace, so
# that only the deadline after a CANCEL / timeout / INTERRUPT can end them;
# (c) and (e) with a short one.
WT=$SLOW		# the short --worker-timeout, seconds
GRACE_MS=300
MARGIN_MS=1000		# jobqd(8): kill grace + 1 s, then the worker is hung
WORKERS=1
# A job's --timeout, long enough for its set-up to be seen (4 processes,
# the worker stopped) before it fires, on a loaded machine too.
TO=$((5 * SLOW))
start_daemon --kill-grace "${GRACE_MS}ms" --worker-timeout 60s

# alive PID: the process exists and is not a zombie.
alive() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v '^Z')" ]; }
dead() { ! alive "$1"; }
stopped() { [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = T ]; }

# A job with a child in its group and one in a session of its own.
JOB="\"$BIN/sleep\" 300 & setsid \"$BIN/sleep\" 300 & echo ready; \"$BIN/sleep\" 300"
has_ready() { [ "$(q logs "$1" 2>/dev/null)" = ready ]; }

# stop_worker_of ID: waits until job ID runs with its 4 processes, then
# SIGSTOPs its worker; sets W (the worker) and T_STOP (ms).
stop_worker_of() {
	local p
	wait_for 10 "job $1 running" state_is "$1" running
	wait_for 10 "job $1 printed ready" has_ready "$1"
	markers_seen 4 "the processes of job $1"
	p=$(show_field "$1" pid)
	[[ $p =~ ^[1-9][0-9]*$ ]] || fail "pid of running job $1: [$p]"
	W=$(ps -o ppid= -p "$p" | tr -d ' ')
	[[ " $(worker_pids | tr '\n' ' ') " == *" $W "* ]] ||
		fail "parent $W of job $1 is not a worker of jobqd"
	EXTRA_PIDS="$EXTRA_PIDS $W"
	kill -STOP "$W"
	wait_for 5 "worker $W stopped" stopped "$W"
	T_STOP=$(now_ms)
	log "job $1: worker $W stopped"
}

# replaced: one worker, not $W.
replaced() { local w; w=$(worker_pids); [ "$(wc -w <<<"$w")" = 1 ] && [ "$w" != "$W" ]; }

# --- (a) --timeout ---------------------------------------------------------------
a=$(submit --timeout "${TO}s" -- "$BIN/sh" -c "$JOB")
stop_worker_of "$a"
wait_ended "$a" 20
el=$(($(now_ms) - T_STOP))
log "(a) timed out job ended $el ms after its worker stopped"
assert_eq "$(job_state "$a")" timed_out "state of a --timeout job on a stopped worker"
assert_eq "$(show_field "$a" reason)" timeout "reason of job $a"
rt=$(($(show_field "$a" finished_at) - $(show_field "$a" started_at)))
[ "$rt" -le $((TO * 1000 + GRACE_MS + MARGIN_MS + 1500 * SLOW)) ] ||
	fail "job $a ended $rt ms after its start: timeout $TO s + grace + margin"
assert_no_markers 5 "processes of job $a"
wait_for 5 "stopped worker $W killed" dead "$W"
wait_for 10 "a replacement for worker $W" replaced

# --- (b) cancel ------------------------------------------------------------------
b=$(submit -- "$BIN/sh" -c "$JOB")
stop_worker_of "$b"
t0=$(now_ms)
assert_rc 0 "cancel of a job on a stopped worker" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$b"
el=$(($(now_ms) - t0))
log "(b) cancel of a job on a stopped worker took $el ms"
[ "$el" -lt $((GRACE_MS + MARGIN_MS + 1500 * SLOW)) ] ||
	fail "cancel took $el ms: grace $GRACE_MS ms + margin"
assert_eq "$(job_state "$b")" canceled "state of a canceled job on a stopped worker"
assert_eq "$(show_field "$b" reason)" canceled "reason of job $b"
assert_no_markers 5 "processes of job $b"
wait_for 5 "stopped worker $W killed" dead "$W"
wait_for 10 "a replacement for worker $W" replaced

# --- (f) a worker stopped for less than the deadline: its job exits 0 while
# the worker cannot tell, after its timeout fired / it was canceled; the
# worker resumes and reports the exit: the job ends timed_out / canceled.
zombie() { [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }
past_timeout() { grep -q "job $1 ran past its timeout" "$LOG"; }
# the job exits 0.5 s after its timeout; its worker is stopped before either
f=$(submit --timeout "${TO}s" -- "$BIN/sh" -c "echo ready; exec \"$BIN/sleep\" ${TO}.5")
wait_for 10 "job $f printed ready" has_ready "$f"
fp=$(show_field "$f" pid)
W=$(ps -o ppid= -p "$fp" | tr -d ' ')
EXTRA_PIDS="$EXTRA_PIDS $W"
kill -STOP "$W"
wait_for $((TO + 5)) "job $f past its timeout" past_timeout "$f"
wait_for 5 "job $f exited (a zombie of the stopped worker)" zombie "$fp"
kill -CONT "$W"
wait_ended "$f"
assert_eq "$(job_state "$f")" timed_out "state of a job that exited 0 after its timeout fired"
alive "$W" || fail "worker $W, stopped for less than grace + margin, was killed"
# the job exits 0 when the gate appears, after its cancel reached jobqd
asked_cancel() { grep -q "job $1 canceled while running" "$LOG"; }
g=$(submit -- "$BIN/sh" -c "echo ready; while [ ! -e \"$T/gate.g\" ]; do \"$BIN/sleep\" 0.02; done")
wait_for 10 "job $g printed ready" has_ready "$g"
gp=$(show_field "$g" pid)
kill -STOP "$W"
q cancel "$g" >"$T/cancel.out" 2>&1 &
cpid=$!
EXTRA_PIDS="$EXTRA_PIDS $cpid"
wait_for 5 "the cancel of job $g asked" asked_cancel "$g"
: >"$T/gate.g"
wait_for 5 "job $g exited (a zombie of the stopped worker)" zombie "$gp"
kill -CONT "$W"
wait "$cpid" || fail "jobq cancel $g exited $?: $(cat "$T/cancel.out")"
assert_eq "$(job_state "$g")" canceled "state of a job that exited 0 after it was canceled"
alive "$W" || fail "worker $W, stopped for less than grace + margin, was killed"

# --- (d) SIGTERM of jobqd ---------------------------------------------------------------
d=$(submit -- "$BIN/sh" -c "$JOB")
stop_worker_of "$d"
t0=$(now_ms)
stop_daemon
el=$(($(now_ms) - t0))
log "(d) shutdown with a stopped worker took $el ms"
assert_eq "$DAEMON_RC" 0 "exit status of jobqd stopped with a stopped worker"
[ "$el" -lt $((GRACE_MS + MARGIN_MS + 2000 * SLOW)) ] ||
	fail "shutdown took $el ms: grace $GRACE_MS ms + margin"
assert_no_markers 5 "processes of job $d after SIGTERM of jobqd"
dead "$W" || fail "the stopped worker $W outlived jobqd"
assert_eq "$(sql "SELECT state || ',' || reason FROM jobs WHERE id = $d")" "interrupted,shutdown" "row of job $d"

# --- (c) neither: --worker-timeout ---------------------------------------------------
OPTS=(--kill-grace "${GRACE_MS}ms" --worker-timeout "${WT}s")
start_daemon "${OPTS[@]}"
c=$(submit -- "$BIN/sh" -c "$JOB")
stop_worker_of "$c"
assert_rc 125 "wait on a job whose worker hung" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" wait "$c"
el=$(($(now_ms) - T_STOP))
log "(c) job ended $el ms after its worker stopped (--worker-timeout ${WT}s)"
assert_eq "$(job_state "$c")" failed "state of a job whose worker hung"
assert_eq "$(show_field "$c" reason)" worker_lost "reason of job $c"
# (the last heartbeat may be up to 250 ms older than the stop, more on a
# loaded machine)
[ "$el" -ge $((WT * 1000 - 500)) ] || fail "worker declared hung $el ms after it stopped, before --worker-timeout ${WT}s"
assert_no_markers 5 "processes of job $c"
wait_for 5 "hung worker $W killed" dead "$W"
wait_for 10 "a replacement for worker $W" replaced
new=$(worker_pids)
n=$(submit -- "$BIN/sh" -c 'echo $PPID')
wait_ended "$n"
assert_eq "$(job_state "$n")" succeeded "state of the job after the hung worker"
assert_eq "$(q logs "$n")" "$new" "the next job ran on the new worker"

# --- (e) kill -9 of jobqd ------------------------------------------------------------------
e=$(submit -- "$BIN/sh" -c "$JOB")
stop_worker_of "$e"
kill9_daemon
# (positive control: what the restart must clean up is there)
alive "$W" || fail "the stopped worker $W died with jobqd"
markers_seen 4 "the processes of job $e after kill -9 of jobqd"
start_daemon "${OPTS[@]}"
assert_no_markers 5 "processes of job $e after the restart"
dead "$W" || fail "the stopped worker $W of the killed jobqd is still there"
assert_eq "$(job_state "$e")" interrupted "state of job $e after the restart"
assert_eq "$(show_field "$e" reason)" daemon_crash "reason of job $e"
grep -q "previous jobqd" "$LOG" || fail "the restart did not log what it killed"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "hung-worker: ok"
