#!/usr/bin/env bash
# crash.sh - kill -9 jobqd while concurrent clients submit; restart on the
# same state dir: every acknowledged id exists exactly once, the long jobs
# that were running are interrupted (daemon_crash), no job process survived,
# and the queued jobs then run to completion.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ -x "$ITEST_LIB" ] || fail "ITEST_LIB ($ITEST_LIB) is not executable"
start_daemon

# Two long jobs occupy both workers, so the storm's jobs stay queued.
long1=$(submit --name long -- "$BIN/sh" -c "\"$BIN/sleep\" 300 & \"$BIN/sleep\" 300")
long2=$(submit --name long -- "$BIN/sleep" 300)
wait_for 10 "job $long1 running" state_is "$long1" running
wait_for 10 "job $long2 running" state_is "$long2" running
markers_seen 3 "the processes of jobs $long1 and $long2"
# A long job with a retry left is requeued rather than interrupted.
retry=$(submit --retries 1 --name retry -- sh -c 'exit 0')
# a job that had finished before the crash keeps its result
done_id=$(submit -- sh -c 'echo before-crash')
# (it is queued behind the long jobs; it only runs after the restart)

mkdir "$T/acked"
"$ITEST_LIB" storm "$SOCK" 4 "$T/acked" 500 >"$T/storm.out" 2>"$T/storm.err" &
storm_pid=$!
EXTRA_PIDS=$storm_pid
acked_total() { cat "$T"/acked/acked.* 2>/dev/null | wc -l; }
enough() { [ "$(acked_total)" -ge 150 ]; }
wait_for 30 "150 acknowledged submits" enough
log "killing jobqd $JOBQD_PID with $(acked_total) acknowledged submits"
old_workers=$(worker_pids)
kill9_daemon

# The storm's connections fail; it must notice and exit.
for ((i = 0; i < 500 * SLOW; i++)); do kill -0 "$storm_pid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$storm_pid" 2>/dev/null && fail "itest_lib storm did not exit after jobqd died"
wait "$storm_pid"
src=$?
[ "$src" = 0 ] || fail "itest_lib storm exited $src: $(cat "$T/storm.err")"
log "$(cat "$T/storm.err")"

# Workers and job processes die with the daemon.
workers_gone() {
	local w
	for w in $old_workers; do kill -0 "$w" 2>/dev/null && return 1; done
	return 0
}
wait_for 5 "the workers of the killed daemon to exit" workers_gone
assert_no_markers 5 "job processes after kill -9 of jobqd"

cat "$T"/acked/acked.* | sort >"$T/acked.all"
nacked=$(wc -l <"$T/acked.all")
[ "$nacked" -ge 150 ] || fail "only $nacked acknowledged ids"
[ -z "$(uniq -d "$T/acked.all")" ] || fail "an id was acknowledged twice: $(uniq -d "$T/acked.all" | head)"

start_daemon
# Every acknowledged id exists exactly once (sqlite and jobq).
sqlite3 "$STATE/jobq.db" "SELECT id FROM jobs" | sort >"$T/db.ids" || fail "sqlite3 query"
[ -z "$(uniq -d "$T/db.ids")" ] || fail "duplicate ids in the jobs table"
missing=$(comm -23 "$T/acked.all" "$T/db.ids" | head)
[ -z "$missing" ] || fail "acknowledged ids missing from the database: $missing"
assert_eq "$(sqlite3 "$STATE/jobq.db" 'PRAGMA integrity_check')" ok "integrity_check after the crash"
q --json list --queue storm | python3 -c '
import json, sys
ids = [j["id"] for j in json.load(sys.stdin)]
if len(ids) != len(set(ids)): print("duplicate ids in list"); sys.exit(1)
have = set(ids)
acked = [int(l) for l in open(sys.argv[1])]
miss = [i for i in acked if i not in have]
if miss: print("acked ids missing from jobq list:", miss[:10]); sys.exit(1)' "$T/acked.all" ||
	fail "jobq list after the restart"

# The long jobs were running: interrupted by the crash.
for id in "$long1" "$long2"; do
	assert_eq "$(show_field "$id" state)" interrupted "state of running job $id after the crash"
	assert_eq "$(show_field "$id" reason)" daemon_crash "reason of running job $id after the crash"
	assert_rc 125 "wait on job $id interrupted by the crash" q wait "$id"
done

# Jobs that were queued (never started) must not be touched by the recovery.
q --json list | python3 -c '
import json, sys
longs = {int(sys.argv[1]), int(sys.argv[2])}
bad = [(j["id"], j["state"], j.get("reason"), j.get("attempts"), j.get("started_at"))
       for j in json.load(sys.stdin)
       if j["id"] not in longs and j["state"] not in ("queued", "running", "succeeded")]
if bad:
    print("jobs that never ran were not left queued by the crash recovery (id, state, reason, attempts, started_at):", bad[:10])
    sys.exit(1)' "$long1" "$long2" || fail "queued jobs after the crash"

# Everything acknowledged runs to completion now.
# (all of them: a job committed but not acknowledged before the crash runs too)
grep -vx -e "$long1" -e "$long2" "$T/db.ids" >"$T/wait.ids"
timeout $((120 * SLOW)) xargs -a "$T/wait.ids" "$JOBQ" -s "$SOCK" wait --timeout $((100 * SLOW))s \
	>/dev/null 2>"$T/wait.err"
rc=$?
case $rc in 0) ;; *) fail "waiting for the queued jobs after the restart: exit $rc $(cat "$T/wait.err")" ;; esac
q --json list --queue storm | python3 -c '
import json, sys
bad = [(j["id"], j["state"]) for j in json.load(sys.stdin) if j["state"] != "succeeded"]
if bad: print("storm jobs not succeeded:", bad[:10], len(bad)); sys.exit(1)' ||
	fail "queued jobs after the restart"
assert_eq "$(show_field "$done_id" state)" succeeded "job queued before the crash"
assert_eq "$(q logs "$done_id")" before-crash "output of the job queued before the crash"
assert_eq "$(show_field "$retry" state)" succeeded "job with retries queued before the crash"

# A second crash, this time with a job that has a retry left while running:
# it is requeued and runs again.
r2=$(submit --retries 1 -- "$BIN/sh" -c "if [ -e '$T/flag' ]; then exit 0; fi; : > '$T/flag'; exec \"$BIN/sleep\" 300")
wait_for 10 "job $r2 running" state_is "$r2" running
flag_there() { [ -e "$T/flag" ]; }
wait_for 10 "job $r2 started" flag_there
markers_seen 1 "the process of job $r2"
kill9_daemon
assert_no_markers 5 "job processes after the second kill -9"
start_daemon
assert_rc 0 "job with a retry left after a crash" timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" wait "$r2"
assert_eq "$(show_field "$r2" attempts)" 2 "attempts of the requeued job"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "crash: ok"
