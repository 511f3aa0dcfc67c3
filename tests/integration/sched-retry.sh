#!/usr/bin/env bash
# sched-retry.sh - automatic retries: --retries N runs a failing job up to
# N+1 times, backing off from --retry-delay (doubling, +-20% jitter); while
# it waits the job is queued with not_before in the future; the attempt
# count is exact across kill -9 of jobqd (while running and while waiting);
# `jobq retry` re-queues a failed or canceled job (attempts from 0), and is
# refused for a job that has not ended.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# cnt FILE: shell code that counts runs in FILE ($n = this run's number) and
# appends "N MS" to FILE.times.
cnt() {
	printf 'n=$(cat "%s" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"%s"; echo "$n $(date +%%s%%3N)" >>"%s.times"' \
		"$1" "$1" "$1"
}
# gap FILE I: ms between run I and run I+1 (from FILE.times).
gap() { awk -v i="$2" '$1 == i { a = $2 } $1 == i + 1 { b = $2 } END { print b - a }' "$1.times"; }
# queued_again ID ATTEMPTS: for wait_for; the `show --json` that matched is
# left in $T/queued_again.json, the time just before it in $T/queued_again.ms
queued_again() {
	local out t
	t=$(now_ms)
	out=$(q --json show "$1") || return 1
	[ "$(jf state attempts <<<"$out" | tr '\n' ' ')" = "queued $2 " ] || return 1
	printf '%s\n' "$out" >"$T/queued_again.json"
	echo "$t" >"$T/queued_again.ms"
}

# --- fails twice, then succeeds ---------------------------------------------------
j=$(submit --retries 3 --retry-delay 200ms -- "$BIN/sh" -c "$(cnt "$T/c1"); [ \$n -ge 3 ]")
wait_ended "$j"
assert_eq "$WAIT_RC" 0 "wait on a job that succeeded on its third attempt"
assert_eq "$(job_state "$j")" succeeded "state of job $j"
assert_eq "$(show_field "$j" attempts)" 3 "attempts of job $j"
assert_eq "$(show_field "$j" max_retries)" 3 "max_retries of job $j"
assert_eq "$(show_field "$j" retry_delay_ms)" 200 "retry_delay_ms of job $j"
assert_eq "$(cat "$T/c1")" 3 "runs of job $j"
g1=$(gap "$T/c1" 1)
g2=$(gap "$T/c1" 2)
log "gaps between attempts: $g1 ms, $g2 ms"
[ "$g1" -ge 160 ] || fail "first retry after $g1 ms, expected >= 0.8 x 200"
[ "$g2" -ge 320 ] || fail "second retry after $g2 ms, expected >= 0.8 x 400 (doubling)"
[ "$g1" -le $((240 + 500 * SLOW)) ] || fail "first retry after $g1 ms, expected about 200"
[ "$g2" -le $((480 + 500 * SLOW)) ] || fail "second retry after $g2 ms, expected about 400"

# --- always fails: --retries 1 = 2 attempts; queued with not_before while waiting ----------
# (3 s: the poll below must see the wait, which the delay's jitter can make
# 20% shorter, even on a loaded machine)
r=$(submit --retries 1 --retry-delay 3s -- "$BIN/sh" -c "$(cnt "$T/c2"); exit 1")
wait_for 10 "job $r waiting to retry" queued_again "$r" 1
# the look that saw it queued (a second one could come after its retry)
json=$(cat "$T/queued_again.json")
before=$(cat "$T/queued_again.ms")
t1=$(awk '$1 == 1 { print $2 }' "$T/c2.times")	# (run 2 may be there too by now)
pycheck "job $r waiting to retry" '
before, t1, slow = int(a[0]), int(a[1]), int(a[2])
nb = o.get("not_before")
if not isinstance(nb, int): bad("not_before %r" % nb)
else:
    if nb <= before: bad("not_before %d is not in the future (now %d)" % (nb, before))
    if nb < t1 + 2400: bad("not_before %d is less than 0.8 x 3 s after the first run (%d)" % (nb, t1))
    if nb > t1 + 3600 + 500 * slow: bad("not_before %d is far more than 3 s after the first run (%d)" % (nb, t1))
if o.get("pid") not in (0, None): bad("pid %r while waiting" % o.get("pid"))
' "$before" "$t1" "$SLOW" <<<"$json"
queued_ids=$(ids_of --state queued)
if [ "$(now_ms)" -lt "$(jf not_before <<<"$json")" ]; then
	assert_eq "$queued_ids" "$r" "list --state queued while job $r waits to retry"
fi
wait_ended "$r"
assert_eq "$WAIT_RC" 1 "wait on a job that failed twice"
assert_eq "$(job_state "$r")" failed "state of job $r"
assert_eq "$(show_field "$r" attempts)" 2 "attempts of job $r (--retries 1)"
assert_eq "$(show_field "$r" reason)" exit_code "reason of job $r"
assert_eq "$(cat "$T/c2")" 2 "runs of job $r"
[ "$(gap "$T/c2" 1)" -ge 2400 ] || fail "retry of job $r after $(gap "$T/c2" 1) ms, expected >= 2400"

# --- kill -9 while an attempt runs ---------------------------------------------------
k=$(submit --retries 2 --retry-delay 200ms -- "$BIN/sh" -c "$(cnt "$T/c3"); if [ \$n = 1 ]; then $(gate_script "$T/g3"); fi; exit 1")
wait_for 10 "job $k running" state_is "$k" running
wait_for 10 "job $k's first run" file_exists "$T/c3"
markers_seen 1 "the process of job $k"
kill9_daemon
assert_no_markers 5 "job processes after kill -9 of jobqd"
: >"$T/g3"
start_daemon
wait_ended "$k"
assert_eq "$(job_state "$k")" failed "state of job $k"
assert_eq "$(cat "$T/c3")" 3 "runs of job $k (--retries 2, first run killed by the crash)"
assert_eq "$(show_field "$k" attempts)" 3 "attempts of job $k"
assert_eq "$(sql "SELECT attempts FROM jobs WHERE id = $k")" 3 "attempts in job $k's row"

# --- kill -9 while waiting to retry --------------------------------------------------
w=$(submit --retries 2 --retry-delay 2s -- "$BIN/sh" -c "$(cnt "$T/c4"); exit 1")
wait_for 10 "job $w waiting to retry" queued_again "$w" 1
# not_before of the same snapshot: a second look may come after the retry
# ran (then it is the next back-off's, and the check below would be wrong)
nb=$(jf not_before <"$T/queued_again.json")
killed_at=$(now_ms)
kill9_daemon
start_daemon
att=$(sql "SELECT attempts FROM jobs WHERE id = $w")
[ "$(now_ms)" -ge "$nb" ] || assert_eq "$att" 1 "attempts in job $w's row after the restart"
wait_ended "$w" 30
assert_eq "$(job_state "$w")" failed "state of job $w"
assert_eq "$(cat "$T/c4")" 3 "runs of job $w (--retries 2)"
assert_eq "$(show_field "$w" attempts)" 3 "attempts of job $w"
# Only when the crash did fall in the wait (with 500 ms to spare for the kill
# to land): on a loaded machine the retry may already have started (and been
# cut short by the crash, so that its time line can be missing).
if [ "$((killed_at + 500))" -lt "$nb" ]; then
	t2=$(awk '$1 == 2 { print $2 }' "$T/c4.times")
	[ -n "$t2" ] && [ "$t2" -ge "$nb" ] || fail "job $w ran again at [$t2], before its not_before $nb"
fi

# --- jobq retry ---------------------------------------------------------------------
f=$(submit -- "$BIN/sh" -c "$(cnt "$T/c5"); [ \$n -ge 2 ]")
wait_ended "$f"
assert_eq "$(job_state "$f")" failed "state of job $f"
q --json retry "$f" | pycheck "retry --json $f" '
j = o.get("job", o)
if j.get("id") != int(a[0]): bad("id %r" % j.get("id"))
if j.get("state") not in ("queued", "running"): bad("state %r" % j.get("state"))
if j.get("state") == "queued" and j.get("attempts") != 0: bad("attempts %r" % j.get("attempts"))' "$f"
wait_ended "$f"
assert_eq "$(job_state "$f")" succeeded "state of job $f after jobq retry"
assert_eq "$(show_field "$f" attempts)" 1 "attempts of job $f after jobq retry (from 0 again)"
assert_eq "$(show_field "$f" exit_code)" 0 "exit_code of job $f after jobq retry"
assert_eq "$(cat "$T/c5")" 2 "runs of job $f"

c=$(submit -- "$BIN/sh" -c "if [ -e \"$T/flag6\" ]; then exit 0; fi; : >\"$T/flag6\"; exec \"$BIN/sleep\" 30")
wait_for 10 "job $c started" file_exists "$T/flag6"
assert_rc 0 "cancel job $c" q cancel "$c"
assert_eq "$(job_state "$c")" canceled "state of job $c"
assert_rc 0 "retry of canceled job $c" q retry "$c"
wait_ended "$c"
assert_eq "$(job_state "$c")" succeeded "state of job $c after jobq retry"
assert_eq "$(show_field "$c" attempts)" 1 "attempts of job $c after jobq retry"

# canceled for its dependency: retry runs it, dependencies are not checked again
ok=$(submit -- true)
wait_ended "$ok"
d=$(submit --after "notok:$ok" -- true)
assert_eq "$(job_state "$d")" canceled "job --after notok: a succeeded job"
assert_rc 0 "retry of job $d canceled for its dependency" q retry "$d"
wait_ended "$d"
assert_eq "$(job_state "$d")" succeeded "job $d after jobq retry"

# errors
qd=$(submit --delay 1h -- true)
assert_rc 1 "retry of queued job $qd" q retry "$qd"
[ -s "$T/err" ] || fail "retry of a queued job: no message"
assert_eq "$(job_state "$qd")" queued "job $qd after a refused retry"
run=$(submit -- "$BIN/sh" -c "$(gate_script "$T/g7")")
wait_for 10 "job $run running" state_is "$run" running
assert_rc 1 "retry of running job $run" q retry "$run"
[ -s "$T/err" ] || fail "retry of a running job: no message"
assert_eq "$(job_state "$run")" running "job $run after a refused retry"
assert_rc 4 "retry of a missing job" q retry 999999
assert_rc 2 "retry without an id" q retry
assert_rc 2 "retry with a bad id" q retry x1
assert_rc 2 "submit --retry-delay with a bad value" q submit --retries 1 --retry-delay fast -- true
assert_rc "1|2" "submit --retries -1" q submit --retries -1 -- true
: >"$T/g7"
wait_ended "$run"
assert_rc 0 "cancel job $qd" q cancel "$qd"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-retry: ok"
