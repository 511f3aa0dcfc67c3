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

# runtime ID: finished_at - started_at in ms.
runtime() { echo $(($(show_field "$1" finished_at) - $(show_field "$1" started_at))); }

# --- --timeout 1s on a 30 s job with a child in the background -------------------------------
t1=$(submit --timeout 1s -- "$BIN/sh" -c "\"$BIN/sleep\" 30 & \"$BIN/sleep\" 30")
assert_eq "$(show_field "$t1" timeout_ms)" 1000 "timeout_ms of job $t1"
wait_ended "$t1"
assert_eq "$WAIT_RC" 143 "wait on a job timed out by SIGTERM"
assert_eq "$(job_state "$t1")" timed_out "state of job $t1"
assert_eq "$(show_field "$t1" reason)" timeout "reason of job $t1"
assert_eq "$(show_field "$t1" signal)" 15 "signal of job $t1 (SIGTERM)"
rt=$(runtime "$t1")
log "job $t1 ran $rt ms"
[ "$rt" -ge 950 ] || fail "job $t1 timed out after $rt ms, before its 1 s"
[ "$rt" -le $((1000 + 1500 * SLOW)) ] || fail "job $t1 timed out after $rt ms, expected about 1 s"
assert_no_markers 5 "processes of timed-out job $t1"
assert_eq "$(sql "SELECT state || ',' || reason FROM jobs WHERE id = $t1")" "timed_out,timeout" "row of job $t1"
assert_eq "$(ids_of --state timed_out)" "$t1" "list --state timed_out"

# --- TERM ignored: KILL after --kill-grace 1s -------------------------------------------------
ign="trap '' TERM; \"$BIN/sleep\" 30"
t2=$(submit --timeout 1s --kill-grace 1s -- "$BIN/sh" -c "$ign")
assert_eq "$(show_field "$t2" kill_grace_ms)" 1000 "kill_grace_ms of job $t2"
wait_ended "$t2"
assert_eq "$(job_state "$t2")" timed_out "state of job $t2 (ignores SIGTERM)"
assert_eq "$(show_field "$t2" reason)" timeout "reason of job $t2"
assert_eq "$(show_field "$t2" signal)" 9 "signal of job $t2 (SIGKILL)"
rt=$(runtime "$t2")
log "job $t2 ran $rt ms"
[ "$rt" -ge 1900 ] || fail "job $t2 was killed after $rt ms, before timeout + grace (2 s)"
[ "$rt" -le $((2000 + 1500 * SLOW)) ] || fail "job $t2 was killed after $rt ms, expected about 2 s"
assert_no_markers 5 "processes of job $t2"

rt2=$rt

# the daemon's --kill-grace (3s) when the job gives none
t3=$(submit --timeout 1s -- "$BIN/sh" -c "$ign")
wait_ended "$t3"
assert_eq "$(job_state "$t3")" timed_out "state of job $t3 (ignores SIGTERM)"
assert_eq "$(show_field "$t3" signal)" 9 "signal of job $t3 (SIGKILL)"
rt=$(runtime "$t3")
log "job $t3 ran $rt ms"
[ "$rt" -ge 3900 ] || fail "job $t3 was killed after $rt ms, before timeout + jobqd's grace (4 s)"
[ "$rt" -le $((4000 + 1500 * SLOW)) ] || fail "job $t3 was killed after $rt ms, expected about 4 s"
[ $((rt2 + 1000)) -le "$rt" ] || fail "job $t2 (--kill-grace 1s) ran $rt2 ms, job $t3 (jobqd's 3s) $rt ms: the job's grace was not used"
assert_no_markers 5 "processes of job $t3"

# the job's --kill-grace applies to cancel too
c=$(submit --kill-grace 500ms -- "$BIN/sh" -c "$ign")
wait_for 10 "job $c running" state_is "$c" running
t0=$(now_ms)
assert_rc 0 "cancel job $c, which ignores SIGTERM" q cancel "$c"
el=$(($(now_ms) - t0))
log "cancel of job $c took $el ms"
assert_eq "$(job_state "$c")" canceled "state of job $c"
assert_eq "$(show_field "$c" signal)" 9 "signal of canceled job $c (SIGKILL)"
[ "$el" -ge 450 ] || fail "cancel of job $c returned after $el ms, before its 500 ms grace"
[ "$el" -le 2500 ] || fail "cancel of job $c (--kill-grace 500ms) took $el ms: jobqd's 3 s grace was used"
assert_no_markers 5 "processes of job $c"

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
