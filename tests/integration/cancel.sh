#!/usr/bin/env bash
# cancel.sh - cancel a queued job (never runs), a running job whose process
# group holds a background child and a TERM-ignoring shell (all gone, state
# canceled), and a finished job (exit 1).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1 start_daemon

# Occupy the only worker.  The shell starts a background sleep (which keeps
# the default TERM action), then ignores TERM itself and loops.
running=$(submit -- "$BIN/sh" -c "\"$BIN/sleep\" 300 & trap '' TERM; echo ready; while :; do \"$BIN/sleep\" 1; done")
wait_for 10 "job $running running" state_is "$running" running
has_ready() { [ "$(q logs "$running" 2>/dev/null)" = ready ]; }
wait_for 10 "job $running printed ready" has_ready
pid=$(show_field "$running" pid)
two_procs() { [ "$(pgrep -g "$pid" | wc -l)" -ge 2 ]; }
wait_for 5 "two processes in the job's group" two_procs
markers_seen 2 "the processes of job $running"

# A queued job behind it.
queued=$(submit -- sh -c "touch '$T/queued-ran'")
sleep 0.2
assert_eq "$(job_state "$queued")" queued "state of the job behind a busy worker"
# (positive control: the same probe sees the job that did start)
assert_eq "$(job_state "$running")" running "state of the job on the worker"
# the database says so too (states of the jobs table: queued running succeeded
# failed canceled interrupted), and it has not been attempted
assert_eq "$(sqlite3 "$STATE/jobq.db" "SELECT state, attempts FROM jobs WHERE id=$queued")" "queued|0" "row of the queued job in jobq.db"
assert_rc 0 "cancel of a queued job" q cancel "$queued"
assert_eq "$(show_field "$queued" state)" canceled "state after canceling a queued job"
assert_eq "$(show_field "$queued" reason)" canceled "reason after canceling a queued job"
assert_eq "$(show_field "$queued" attempts)" 0 "attempts of a job canceled while queued"
st=$(show_field "$queued" started_at)
[ "$st" = 0 ] || [ "$st" = null ] || fail "a job canceled while queued has started_at=$st"
assert_rc 125 "wait on a job canceled while queued" q wait "$queued"

# Cancel the running one: TERM to the group, KILL after the 2 s grace.
t0=$(date +%s%N)
assert_rc 0 "cancel of a running job" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$running"
el=$((($(date +%s%N) - t0) / 1000000))
log "cancel took $el ms"
[ "$el" -lt $((8000 * SLOW)) ] || fail "cancel took $el ms with a 2 s grace"
assert_eq "$(show_field "$running" state)" canceled "state after canceling a running job"
assert_eq "$(show_field "$running" reason)" canceled "reason after canceling a running job"
p_after=$(show_field "$running" pid)
[ "$p_after" = 0 ] || [ "$p_after" = null ] || fail "pid of a canceled job is $p_after, expected 0/null"
assert_no_markers 5 "processes of the canceled job"
live_in_group() { ps -o stat= -g "$1" 2>/dev/null | grep -v "^Z" >/dev/null; }
live_in_group "$pid" && fail "process group $pid still has live members: $(ps -o pid=,stat=,args= -g "$pid")"
assert_rc 125 "wait on a canceled running job" q wait "$running"

# The worker is free again: a new job runs; the canceled queued job never
# did.  With one worker and FIFO, it would have run before the new job; the
# new job runs the same command, so the probe is shown to see a run.
assert_rc 0 "a job after the cancels" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait -- sh -c "touch '$T/after-ran'"
sleep 0.2
[ -e "$T/after-ran" ] || fail "the job after the cancels left no $T/after-ran (positive control)"
[ -e "$T/queued-ran" ] && fail "the job canceled while queued ran anyway"
assert_eq "$(show_field "$queued" state)" canceled "state of the canceled queued job at the end"

# Canceling a job that has ended is an error (exit 1), and changes nothing.
done_id=$(submit -- true)
q wait "$done_id" >/dev/null
assert_rc 1 "cancel of a finished job" q cancel "$done_id"
[ -s "$T/err" ] || fail "cancel of a finished job printed no message"
assert_eq "$(show_field "$done_id" state)" succeeded "state of a finished job after cancel"
assert_rc 1 "cancel of a canceled job" q cancel "$running"

# A job that exits promptly on TERM is canceled without waiting for the grace.
quick=$(submit -- "$BIN/sleep" 300)
wait_for 10 "job $quick running" state_is "$quick" running
markers_seen 1 "the process of job $quick"
t0=$(date +%s%N)
assert_rc 0 "cancel of a sleep" q cancel "$quick"
el=$((($(date +%s%N) - t0) / 1000000))
[ "$el" -lt $((1800 * SLOW)) ] || fail "cancel of a job that dies on TERM took $el ms (grace is 2 s)"
assert_eq "$(show_field "$quick" state)" canceled "state of the canceled sleep"
assert_no_markers 5 "after canceling the sleep"

daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "cancel: ok"
