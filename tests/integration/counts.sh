#!/usr/bin/env bash
# counts.sh - `jobq stats` and `jobq queue list` count jobs by queue and
# state from the counts table that triggers keep (schema v8), never by a
# scan of the jobs table: after every kind of change (submit, array, run to
# success and failure, cancel of a queued and a running job, a dependency
# that can never hold, timeout, retry by hand, purge, retention, kill -9
# and recovery, a migration from a v7 database) their numbers equal a
# GROUP BY over the rows, read with sqlite3 while jobqd runs.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# check_counts WHERE: stats, queue list and the rows agree.  Called only
# when no job is between states (ended, queued in a paused queue, or held
# at a gate), so the three reads see the same commit.
check_counts() {
	local stats ql groups settings
	stats=$(q --json stats) || fail "$1: jobq stats failed"
	ql=$(q --json queue list) || fail "$1: jobq queue list failed"
	groups=$(sql "SELECT queue || '|' || state || '|' || count(*) FROM jobs GROUP BY queue, state")
	settings=$(sql "SELECT name FROM queues")
	python3 - "$stats" "$ql" "$groups" "$settings" <<'EOF' || fail "$1: counts differ from the rows (see above)"
import json, sys
stats, ql = json.loads(sys.argv[1]), json.loads(sys.argv[2])
want = {}
for line in sys.argv[3].splitlines():
    qn, st, n = line.split("|")
    want.setdefault(qn, {})[st] = int(n)
for qn in sys.argv[4].splitlines():
    want.setdefault(qn, {})
names = sorted(want)
ok = True
def cmp(what, got):
    global ok
    if [q["name"] for q in got] != names:
        print("%s: queues %s, rows say %s" % (what, [q["name"] for q in got], names)); ok = False
        return
    for q in got:
        exp = {s: want[q["name"]].get(s, 0) for s in q["counts"]}
        if q["counts"] != exp:
            print("%s: queue %s: %s, rows say %s" % (what, q["name"], q["counts"], exp)); ok = False
cmp("queue list", ql)
cmp("stats", stats["queues"])
tot = {}
for qn in want:
    for s, n in want[qn].items():
        tot[s] = tot.get(s, 0) + n
for s, n in stats["counts"].items():
    if n != tot.get(s, 0):
        print("stats total %s: %d, rows say %d" % (s, n, tot.get(s, 0))); ok = False
sys.exit(0 if ok else 1)
EOF
	log "counts agree: $1"
}

start_daemon
check_counts "empty"

# Ends of every kind, in two queues.
a1=$(submit -- true)
a2=$(submit -- true)
f1=$(submit --queue q2 -- false)
f2=$(submit --queue q2 -- sh -c 'kill -TERM $$')
for id in "$a1" "$a2" "$f1" "$f2"; do wait_ended "$id"; done
check_counts "succeeded and failed"

# A paused queue with an array and a job; a cancel of a queued job.
assert_rc 0 "pause qp" q queue pause qp
arr=$(submit --queue qp --array 1-10 -- true)
p1=$(submit --queue qp -- true)
p2=$(submit --queue qp -- true)
check_counts "array and jobs queued in a paused queue"
assert_rc 0 "cancel queued $p2" q cancel "$p2"
wait_ended "$p2"
check_counts "a queued job canceled"

# A dependency that can never hold: canceled at its submit.
d1=$(submit --after "$f1" -- true)
wait_ended "$d1"
assert_eq "$(job_state "$d1")" canceled "job $d1 after a failed dependency"
check_counts "a job canceled at submit by its dependency"

# Running, then canceled while running; a timeout.
run=$(submit -- "$BIN/sh" -c "$(gate_script "$T/never")")
wait_for 10 "job $run running" state_is "$run" running
check_counts "a job running"
assert_rc 0 "cancel running $run" q cancel "$run"
wait_ended "$run"
to=$(submit --timeout 1s -- "$BIN/sh" -c "$(gate_script "$T/never")")
wait_ended "$to"
assert_eq "$(job_state "$to")" timed_out "job $to"
check_counts "canceled while running, timed out"

# Retry by hand: failed -> queued -> failed again.
assert_rc 0 "retry $f1" q retry "$f1"
wait_ended "$f1"
check_counts "a retried job"

# kill -9 with a job running: recovery makes it interrupted.
g=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate")")
wait_for 10 "job $g running" state_is "$g" running
check_counts "before kill -9"
kill9_daemon
kill_markers
start_daemon
assert_eq "$(job_state "$g")" interrupted "job $g after kill -9"
check_counts "after kill -9 and recovery"

# The array runs once its queue is resumed.
assert_rc 0 "resume qp" q queue resume qp
wait_ended "$p1"
while read -r id; do wait_ended "$id"; done < <(sql "SELECT id FROM jobs WHERE array_id = $arr")
check_counts "the array ran"

# purge
assert_rc 0 "purge --state failed" q purge --state failed
check_counts "purge --state failed"
assert_rc 0 "purge" q purge
check_counts "purge of everything ended"

# Retention: --keep-count 3 at start-up keeps the 3 newest ended jobs.
for i in 1 2 3 4 5 6; do wait_ended "$(submit --queue "r$((i % 2))" -- true)"; done
stop_daemon
start_daemon --keep-count 3
ended_le3() { [ "$(sql "SELECT count(*) FROM jobs WHERE state NOT IN ('queued', 'running')")" -le 3 ]; }
wait_for 10 "retention to keep 3 ended jobs" ended_le3
check_counts "retention --keep-count 3"
stop_daemon

# A v7 database (the counts table and its triggers, v15's too, dropped, as v7 had
# none; the columns and tables of later versions dropped): the migration to
# v8 fills counts from the rows there, and the later ones run after it.
SCHEMA=$("$JOBQD" --version | sed -n 's/.*schema \([0-9]*\)).*/\1/p')
[ -n "$SCHEMA" ] || fail "jobqd --version names no schema version"
sql "UPDATE jobs SET env = (SELECT env FROM envs WHERE id = env_id) WHERE env_id IS NOT NULL; DROP TRIGGER envs_gc; DROP TRIGGER envs_gc_edit; DROP INDEX jobs_env; ALTER TABLE jobs DROP COLUMN env_id; DROP TABLE envs;" || fail "cannot drop v14's envs"
sql "ALTER TABLE jobs DROP COLUMN on_end; ALTER TABLE jobs DROP COLUMN merge_output;" || fail "cannot drop v9's columns"
sql "DROP INDEX jobs_schedule; DROP TABLE schedules; ALTER TABLE jobs DROP COLUMN schedule;" || fail "cannot drop v11's schedules"
sql "DROP INDEX history_job; DROP TABLE history; ALTER TABLE jobs DROP COLUMN held;" || fail "cannot drop v10's objects"
sql "ALTER TABLE jobs DROP COLUMN executor; ALTER TABLE jobs DROP COLUMN slurm_id; ALTER TABLE queues DROP COLUMN executor;" || fail "cannot drop v13's columns"
sql "ALTER TABLE jobs DROP COLUMN slots; ALTER TABLE jobs DROP COLUMN res; ALTER TABLE jobs DROP COLUMN res_given;" || fail "cannot drop v12's columns"
sql "DROP TRIGGER counts_insert_key; DROP TRIGGER counts_update_key; DROP TRIGGER counts_insert; DROP TRIGGER counts_update; DROP TRIGGER counts_delete; DROP TABLE counts; DROP INDEX jobs_ended; DROP INDEX jobs_name; CREATE INDEX jobs_name ON jobs(name); CREATE INDEX jobs_finished ON jobs(finished_at); CREATE INDEX jobs_queue_state ON jobs(queue, state); INSERT INTO jobs (state, queue, owner_uid, argv, env, cwd, submitted_at, finished_at) VALUES ('failed', 'old', 0, '[\"true\"]', '[]', '/', 1, 2); PRAGMA user_version = 7;" ||
	fail "cannot make a v7 database"
start_daemon
assert_eq "$(sql "PRAGMA user_version")" "$SCHEMA" "user_version after the migrations"
check_counts "after a migration from v7"
stop_daemon
