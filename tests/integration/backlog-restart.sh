#!/usr/bin/env bash
# backlog-restart.sh - a restart with thousands of jobs queued: recovery
# hands them to dispatch one at a time (store_recover_queued_each), their
# bookkeeping shares one slab from 4096 on (dispatch.c, slab.c; not under
# AddressSanitizer), the dependencies among them hold, jobs submitted
# afterwards run beside them, every job runs once, and the slab goes
# with the last of them.  A held job of the backlog stays after the rest
# has drained: the slab, sealed after the load, has by then given back
# every page but the one or two that job is on (its Rss in smaps); before,
# the whole mapping stayed.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=5000
start_daemon
q queue pause big >/dev/null || fail "queue pause"
held=$(submit --queue big --hold -- /bin/true)
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
NQ=$((N + 4))
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE state = 'queued'")" "$NQ" "rows queued before the restart"

start_daemon --log-level debug
# the load: how the jobs were kept
if grep -q "$NQ jobs found queued: their bookkeeping in one slab" "$LOG"; then
	slab=1
	at=$(sed -n "s/.*$NQ jobs found queued: their bookkeeping in one slab ([0-9]* KiB at 0x\([0-9a-f]*\)).*/\1/p" "$LOG")
	[ -n "$at" ] || fail "the log does not say where the slab is"
	grep -q "$NQ jobs found queued are in their slab: sealed" "$LOG" ||
		fail "the slab was not sealed after the load"
elif grep -q "$NQ jobs found queued: no slab under AddressSanitizer" "$LOG"; then
	slab=0
else
	fail "jobqd's log says nothing of the $NQ jobs found queued"
fi
# slab_rss_kb: the Rss of jobqd's mapping that starts at $at
slab_rss_kb() {
	awk -v at="$at" '/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); m = (r[1] == at) }
		m && /^Rss:/ { print $2; exit }' "/proc/$JOBQD_PID/smaps"
}
grep -q "ready on .*, $NQ queued)" "$LOG" || fail "the ready line does not count $NQ queued"
assert_eq "$(q --json stats | jf counts.queued)" "$NQ" "queued after the restart"
# jobs made after the start (not from the slab) run while the backlog waits
a=$(submit -- sh -c "echo after")
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "job $a submitted after the restart"
assert_eq "$(job_state "$first")" queued "job $first (the backlog is paused)"
q queue resume big >/dev/null || fail "queue resume"
drained() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running') AND id != $held")" = 0 ]; }
wait_for $((300 * SLOW)) "the backlog to drain" drained
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id BETWEEN $first AND $last AND state = 'succeeded' AND attempts = 1")" "$N" "backlog jobs succeeded, once each"
assert_eq "$(sort -n "$T/marks" | tr '\n' ' ')" "0 500 1000 1500 2000 2500 3000 3500 4000 4500 " "marks left by the backlog"
assert_eq "$(job_state "$dep")" succeeded "job $dep (after the last of the backlog)"
dep_start=$(sql "SELECT started_at FROM jobs WHERE id = $dep")
last_end=$(sql "SELECT finished_at FROM jobs WHERE id = $last")
[ "$dep_start" -ge "$last_end" ] || fail "job $dep started ($dep_start) before job $last ended ($last_end)"
assert_eq "$(job_state "$bad")" failed "job $bad"
assert_eq "$(job_state "$doomed")" canceled "job $doomed (its dependency failed)"
assert_eq "$(job_state "$held")" queued "job $held (held)"
if [ "$slab" = 1 ]; then
	# (the rows are committed just before the jobs leave the table)
	slab_small() { rss=$(slab_rss_kb); [ -n "$rss" ] && [ "$rss" -le 8 ]; }
	wait_for 10 "the slab to give back all but job $held's pages" slab_small
	log "the slab's Rss with job $held left in it: $rss kB"
	if grep -q "its slab is freed" "$LOG"; then
		fail "the slab was freed while job $held was still in it"
	fi
fi
q cancel "$held" >/dev/null || fail "jobq cancel $held"
if [ "$slab" = 1 ]; then
	slab_gone() { grep -q "the last job found queued at start-up is gone: its slab is freed" "$LOG"; }
	wait_for 10 "the slab to be freed once the backlog is gone" slab_gone
	[ -z "$(slab_rss_kb)" ] || fail "the slab's mapping is still there"
fi
b=$(submit -- sh -c "echo later")
wait_ended "$b"
assert_eq "$(q logs "$b")" later "output of job $b, after the slab went"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
