#!/usr/bin/env bash
# sched-timeout.sh - --timeout: the job's process group gets SIGTERM when the
# limit is reached and the job ends timed_out (reason "timeout"), nothing
# left behind; a job ignoring SIGTERM is killed after --kill-grace (or
# jobqd's --kill-grace); a timeout is a failure for --retries and for
# notok/ok dependencies; a job that ends in time is not affected.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon --kill-grace 3s # (after lib.sh's --kill-grace 2s: the last one counts)
# The --timeout of t1-t3: long enough for a job's set-up (its processes
# seen, its TERM trap set) to happen before it fires on a loaded machine.
TO=$((2 * SLOW))

# runtime ID: finished_at - started_at in ms.
runtime() { echo $(($(show_field "$1" finished_at) - $(show_field "$1" started_at))); }

# --- --timeout TO on a 30 s job with a child in the background -------------------------------
t1=$(submit --timeout "${TO}s" -- "$BIN/sh" -c "\"$BIN/sleep\" 30 & \"$BIN/sleep\" 30")
assert_eq "$(show_field "$t1" timeout_ms)" $((TO * 1000)) "timeout_ms of job $t1"
markers_seen 2 "the processes of job $t1"
wait_ended "$t1"
assert_eq "$WAIT_RC" 143 "wait on a job timed out by SIGTERM"
assert_eq "$(job_state "$t1")" timed_out "state of job $t1"
assert_eq "$(show_field "$t1" reason)" timeout "reason of job $t1"
assert_eq "$(show_field "$t1" signal)" 15 "signal of job $t1 (SIGTERM)"
rt=$(runtime "$t1")
log "job $t1 ran $rt ms"
[ "$rt" -ge $((TO * 1000 - 50)) ] || fail "job $t1 timed out after $rt ms, before its $TO s"
[ "$rt" -le $((TO * 1000 + 1500 * SLOW)) ] || fail "job $t1 timed out after $rt ms, expected about $TO s"
assert_no_markers 5 "processes of timed-out job $t1"
assert_eq "$(sql "SELECT state || ',' || reason FROM jobs WHERE id = $t1")" "timed_out,timeout" "row of job $t1"
assert_eq "$(ids_of --state timed_out)" "$t1" "list --state timed_out"

# --- TERM ignored: KILL after --kill-grace 1s, or after jobqd's 3 s ----------------------------
# t2 (--kill-grace 1s) and t3 (jobqd's grace) run side by side, so that the
# check that t2's own grace was used is an ordering: t2 ends first.
ign="trap '' TERM; echo ready; \"$BIN/sleep\" 30"
# ready ID: the job's shell ignores SIGTERM now (for wait_for)
ready() { [ "$(q logs "$1" 2>/dev/null)" = ready ]; }
t2=$(submit --timeout "${TO}s" --kill-grace 1s -- "$BIN/sh" -c "$ign")
t3=$(submit --timeout "${TO}s" -- "$BIN/sh" -c "$ign")
assert_eq "$(show_field "$t2" kill_grace_ms)" 1000 "kill_grace_ms of job $t2"
wait_ended "$t2"
assert_eq "$(job_state "$t2")" timed_out "state of job $t2 (ignores SIGTERM)"
assert_eq "$(show_field "$t2" reason)" timeout "reason of job $t2"
assert_eq "$(show_field "$t2" signal)" 9 "signal of job $t2 (SIGKILL)"
rt2=$(runtime "$t2")
log "job $t2 ran $rt2 ms"
[ "$rt2" -ge $((TO * 1000 + 900)) ] || fail "job $t2 was killed after $rt2 ms, before timeout + grace ($((TO + 1)) s)"
[ "$rt2" -le $((TO * 1000 + 1000 + 1500 * SLOW)) ] || fail "job $t2 was killed after $rt2 ms, expected about $((TO + 1)) s"

# the daemon's --kill-grace (3s) when the job gives none
wait_ended "$t3"
assert_eq "$(job_state "$t3")" timed_out "state of job $t3 (ignores SIGTERM)"
assert_eq "$(show_field "$t3" signal)" 9 "signal of job $t3 (SIGKILL)"
rt=$(runtime "$t3")
log "job $t3 ran $rt ms"
[ "$rt" -ge $((TO * 1000 + 2900)) ] || fail "job $t3 was killed after $rt ms, before timeout + jobqd's grace ($((TO + 3)) s)"
[ "$rt" -le $((TO * 1000 + 3000 + 1500 * SLOW)) ] || fail "job $t3 was killed after $rt ms, expected about $((TO + 3)) s"
[ "$(show_field "$t2" finished_at)" -lt "$(show_field "$t3" finished_at)" ] ||
	fail "job $t2 (--kill-grace 1s, ran $rt2 ms) did not end before job $t3 (jobqd's 3s, ran $rt ms), started with it: the job's grace was not used"
assert_no_markers 5 "processes of jobs $t2 and $t3"

# the job's --kill-grace applies to cancel too.  Against a reference instead
# of a time bound: job $ref, canceled at the same moment with jobqd's 3 s
# grace, leaves on its own 1.5 s after its SIGTERM; with its 500 ms grace job
# $c ends first, with jobqd's 3 s it would end last.
c=$(submit --kill-grace 500ms -- "$BIN/sh" -c "$ign")
ref=$(submit -- "$BIN/sh" -c "trap '\"$BIN/sleep\" 1.5; exit 0' TERM; echo ready; while :; do \"$BIN/sleep\" 0.1; done")
wait_for 10 "job $c running" state_is "$c" running
wait_for 10 "job $ref running" state_is "$ref" running
wait_for 10 "job $c ignoring SIGTERM" ready "$c"
wait_for 10 "job $ref trapping SIGTERM" ready "$ref"
t0=$(now_ms)
q cancel "$ref" >"$T/ref.out" 2>&1 &
ref_cancel=$!
EXTRA_PIDS=$ref_cancel
assert_rc 0 "cancel job $c, which ignores SIGTERM" q cancel "$c"
el=$(($(now_ms) - t0))
log "cancel of job $c took $el ms"
wait "$ref_cancel" || fail "cancel of job $ref exited $?: $(cat "$T/ref.out")"
EXTRA_PIDS=
assert_eq "$(job_state "$c")" canceled "state of job $c"
assert_eq "$(show_field "$c" signal)" 9 "signal of canceled job $c (SIGKILL)"
assert_eq "$(job_state "$ref")" canceled "state of job $ref"
assert_eq "$(show_field "$ref" exit_code)" 0 "exit code of job $ref (left on its own after SIGTERM)"
[ "$el" -ge 450 ] || fail "cancel of job $c returned after $el ms, before its 500 ms grace"
[ "$(show_field "$c" finished_at)" -lt "$(show_field "$ref" finished_at)" ] ||
	fail "cancel of job $c (--kill-grace 500ms) took $el ms and ended after job $ref, which leaves 1.5 s after SIGTERM: jobqd's 3 s grace was used"
assert_no_markers 5 "processes of jobs $c and $ref"

# --- a timeout is a failure for retries ----------------------------------------------------
t4=$(submit --timeout 1s --retries 1 --retry-delay 200ms -- "$BIN/sh" -c "echo x >>\"$T/c4\"; exec \"$BIN/sleep\" 30")
wait_ended "$t4"
assert_eq "$(job_state "$t4")" timed_out "state of job $t4 (--retries 1)"
assert_eq "$(show_field "$t4" attempts)" 2 "attempts of job $t4 (--retries 1)"
assert_eq "$(nlines "$T/c4")" 2 "runs of job $t4"
assert_no_markers 5 "processes of job $t4"

# ... and for dependencies
t5=$(submit --timeout 1s -- "$BIN/sleep" 30)
n1=$(submit --after "notok:$t5" -- true)
n2=$(submit --after "ok:$t5" -- true)
n3=$(submit --after "any:$t5" -- true)
for id in "$t5" "$n1" "$n2" "$n3"; do wait_ended "$id"; done
assert_eq "$(job_state "$t5")" timed_out "state of job $t5"
assert_eq "$(job_state "$n1")" succeeded "job --after notok: a timed-out job"
assert_eq "$(job_state "$n2")" canceled "job --after ok: a timed-out job"
assert_eq "$(show_field "$n2" reason)" dependency "reason of job --after ok: a timed-out job"
assert_eq "$(job_state "$n3")" succeeded "job --after any: a timed-out job"
# (evaluated at submit too)
n4=$(submit --after "ok:$t5" -- true)
assert_eq "$(job_state "$n4")" canceled "job submitted --after ok: a timed-out job"

# --- ending in time --------------------------------------------------------------------------
ok=$(submit --timeout 5s -- "$BIN/sh" -c "\"$BIN/sleep\" 0.2; echo done")
wait_ended "$ok"
assert_eq "$WAIT_RC" 0 "wait on a job that ended in time"
assert_eq "$(job_state "$ok")" succeeded "state of job $ok"
assert_eq "$(show_field "$ok" exit_code)" 0 "exit_code of job $ok"
assert_eq "$(q logs "$ok")" done "output of job $ok"
bad=$(submit --timeout 5s -- sh -c 'exit 3')
wait_ended "$bad"
assert_eq "$WAIT_RC" 3 "wait on a job that failed in time"
assert_eq "$(job_state "$bad")" failed "state of job $bad"
assert_eq "$(show_field "$bad" reason)" exit_code "reason of job $bad"

# --- bad values ----------------------------------------------------------------------------
assert_rc 2 "submit --timeout with a bad value" q submit --timeout forever -- true
assert_rc 2 "submit --kill-grace with a bad value" q submit --timeout 1s --kill-grace soon -- true
assert_rc 2 "submit --timeout -1s" q submit --timeout -1s -- true

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-timeout: ok"
