#!/usr/bin/env bash
# backlog-restart.sh - a restart with thousands of jobs queued: recovery
# hands them to dispatch one at a time (store_recover_queued_each), their
# bookkeeping shares one slab from 4096 on (dispatch.c, slab.c; not under
# AddressSanitizer), the dependencies among them hold, jobs submitted
# afterwards run beside them, every job runs once, and the slab goes
# with the last of them.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=5000
start_daemon
q queue pause big >/dev/null || fail "queue pause"
python3 - "$N" "$T" >"$T/jobs.jsonl" <<'PY'
import json, sys
n, t = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    # every 500th job leaves a mark: they must run once each
    argv = ["sh", "-c", "echo %d >>%s/marks" % (i, t)] if i % 500 == 0 else ["/bin/true"]
    print(json.dumps({"argv": argv, "queue": "big", "env": ["PATH=/usr/bin:/bin"], "cwd": "/"}))
PY
q submit --batch "$T/jobs.jsonl" >"$T/ids" 2>"$T/err" || fail "submit --batch: $(cat "$T/err")"
assert_eq "$(wc -l <"$T/ids")" "$N" "ids of the batch"
first=$(head -n 1 "$T/ids")
last=$(tail -n 1 "$T/ids")
# a job in the backlog that waits for the last one, and one that waits
# for a job that fails: canceled at its end
dep=$(submit --queue big --after "ok:$last" -- /bin/true)
bad=$(submit --queue big -- /bin/false)
doomed=$(submit --queue big --after "ok:$bad" -- /bin/true)
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (first run)"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE state = 'queued'")" "$((N + 3))" "rows queued before the restart"

start_daemon --log-level debug
# the load: how the jobs were kept
if grep -q "$((N + 3)) jobs found queued: their bookkeeping in one slab" "$LOG"; then
	slab=1
elif grep -q "$((N + 3)) jobs found queued: no slab under AddressSanitizer" "$LOG"; then
	slab=0
else
	fail "jobqd's log says nothing of the $((N + 3)) jobs found queued"
fi
grep -q "ready on .*, $((N + 3)) queued)" "$LOG" || fail "the ready line does not count $((N + 3)) queued"
assert_eq "$(q --json stats | jf counts.queued)" "$((N + 3))" "queued after the restart"
# jobs made after the start (not from the slab) run while the backlog waits
a=$(submit -- sh -c "echo after")
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "job $a submitted after the restart"
assert_eq "$(job_state "$first")" queued "job $first (the backlog is paused)"
q queue resume big >/dev/null || fail "queue resume"
drained() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")" = 0 ]; }
wait_for $((300 * SLOW)) "the backlog to drain" drained
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id BETWEEN $first AND $last AND state = 'succeeded' AND attempts = 1")" "$N" "backlog jobs succeeded, once each"
assert_eq "$(sort -n "$T/marks" | tr '\n' ' ')" "0 500 1000 1500 2000 2500 3000 3500 4000 4500 " "marks left by the backlog"
assert_eq "$(job_state "$dep")" succeeded "job $dep (after the last of the backlog)"
dep_start=$(sql "SELECT started_at FROM jobs WHERE id = $dep")
last_end=$(sql "SELECT finished_at FROM jobs WHERE id = $last")
[ "$dep_start" -ge "$last_end" ] || fail "job $dep started ($dep_start) before job $last ended ($last_end)"
assert_eq "$(job_state "$bad")" failed "job $bad"
assert_eq "$(job_state "$doomed")" canceled "job $doomed (its dependency failed)"
if [ "$slab" = 1 ]; then
	grep -q "the last job found queued at start-up is gone: its slab is freed" "$LOG" ||
		fail "the slab was not freed once the backlog was gone"
fi
b=$(submit -- sh -c "echo later")
wait_ended "$b"
assert_eq "$(q logs "$b")" later "output of job $b, after the slab went"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
