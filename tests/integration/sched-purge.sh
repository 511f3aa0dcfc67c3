#!/usr/bin/env bash
# sched-purge.sh - `jobq purge --state/--older-than` removes ended jobs and
# their output files and leaves queued and running jobs alone; jobqd's
# --keep-count N keeps at most N ended jobs (the newest), --keep-age applies
# at start-up; ids are never reused after a purge, across restarts too.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon
LOGS=$OUTDIR

have_logs() { [ -e "$LOGS/$1.out" ] && [ -e "$LOGS/$1.err" ]; }
no_logs() { [ ! -e "$LOGS/$1.out" ] && [ ! -e "$LOGS/$1.err" ]; }
gone() { # ID WHAT: no such job, no row, no output files
	assert_rc 4 "show of purged $2 $1" q show "$1"
	assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id = $1")" 0 "row of purged $2 $1"
	no_logs "$1" || fail "output files of purged $2 $1 are still there: $(ls "$LOGS")"
}
purged_n() { # expected count, ARGS...: runs jobq purge ARGS, checks its message
	local want=$1
	shift
	assert_rc 0 "purge $*" q purge "$@"
	assert_eq "$(cat "$T/out")" "purged $want jobs" "output of purge $*"
}

s1=$(submit -- sh -c 'echo s1')
s2=$(submit -- sh -c 'echo s2; echo e2 >&2')
s3=$(submit -- true)
f1=$(submit -- sh -c 'echo f1; echo oops >&2; exit 1')
for id in "$s1" "$s2" "$s3" "$f1"; do wait_ended "$id"; done
run=$(submit -- "$BIN/sh" -c "echo running; $(gate_script "$T/g1")")
wait_for 10 "job $run running" state_is "$run" running
markers_seen 1 "the process of job $run"
qd=$(submit --delay 1h -- true)
for id in "$s1" "$s2" "$s3" "$f1" "$run"; do
	have_logs "$id" || fail "no output files for job $id in $LOGS: $(ls "$LOGS")"
done

# --state failed
purged_n 1 --state failed
gone "$f1" "failed job"
assert_eq "$(q logs "$s1")" s1 "output of job $s1 after purge --state failed"
# --older-than: nothing is an hour old
purged_n 0 --older-than 1h
for id in "$s1" "$s2" "$s3"; do assert_eq "$(job_state "$id")" succeeded "job $id after purge --older-than 1h"; done
# --older-than 5m, once they are: their finished_at is moved 10 minutes back
# in the database (waiting for them to age would race the young job's age
# against the speed of the machine)
sql "UPDATE jobs SET finished_at = finished_at - 600000 WHERE id IN ($s1, $s2, $s3)" ||
	fail "cannot age jobs $s1 $s2 $s3"
young=$(submit -- true)
wait_ended "$young"
purged_n 3 --older-than 5m
for id in "$s1" "$s2" "$s3"; do gone "$id" "succeeded job"; done
assert_eq "$(job_state "$young")" succeeded "job $young, ended just now"
# queued and running jobs are untouched
assert_eq "$(job_state "$run")" running "running job $run after purges"
assert_eq "$(job_state "$qd")" queued "queued job $qd after purges"
have_logs "$run" || fail "output files of running job $run were removed"
q --json purge | pycheck "purge --json" '
n = o.get("purged") if isinstance(o, dict) else None
if n != 1: bad("purged %r, expected 1 (job %s)" % (n, a[0]))' "$young"
gone "$young" "succeeded job"
assert_eq "$(job_state "$run")" running "running job $run after purge"
assert_eq "$(job_state "$qd")" queued "queued job $qd after purge"
assert_eq "$(sql "SELECT group_concat(id) FROM (SELECT id FROM jobs ORDER BY id)")" "$run,$qd" "rows left after the purges"
# bad arguments
assert_rc "1|2" "purge --state running" q purge --state running
[ -s "$T/err" ] || fail "purge --state running: no message"
assert_rc 2 "purge --state bogus" q purge --state bogus
assert_rc 2 "purge --older-than soon" q purge --older-than soon
assert_eq "$(sql "SELECT count(*) FROM jobs")" 2 "rows after refused purges"

# --- ids are never reused ----------------------------------------------------------
: >"$T/g1"
wait_ended "$run"
assert_rc 0 "cancel job $qd" q cancel "$qd"
newest=$(submit -- true)
wait_ended "$newest"
purged_n 3
assert_eq "$(sql "SELECT count(*) FROM jobs")" 0 "rows after purging everything"
n1=$(submit -- true)
[ "$n1" -gt "$newest" ] || fail "id $n1 after purging job $newest: reused"
A=$(submit --array 1-3 -- true)
wait_ended "$A"
last=$(ids_of --array "$A" | awk '{ print $NF }')
purged_n 4
stop_daemon
start_daemon
n2=$(submit -- true)
[ "$n2" -gt "$last" ] && [ "$n2" -gt "$A" ] || fail "id $n2 after purging array $A (tasks up to $last) and a restart: reused"
wait_ended "$n2"

# --- --keep-age at start-up ------------------------------------------------------------
stop_daemon
ended_ms=$(sql "SELECT finished_at FROM jobs WHERE id = $n2")
while [ "$(now_ms)" -le $((ended_ms + 1100)) ]; do sleep 0.1; done
start_daemon --keep-age 1s
gone "$n2" "job (older than --keep-age 1s at start-up)"

# --- --keep-count 3 ----------------------------------------------------------------------
stop_daemon
start_daemon --keep-count 3
held=$(submit --delay 1h -- true)
ids=()
for i in $(seq 1 12); do ids+=("$(submit -- sh -c "echo job$i")"); done
for id in "${ids[@]}"; do wait_ended "$id"; done
ended_rows() { sql "SELECT count(*) FROM jobs WHERE state <> 'queued' AND state <> 'running'"; }
at_most_3() { [ "$(ended_rows)" -le 3 ]; }
wait_for 10 "at most 3 ended jobs (--keep-count 3)" at_most_3
keep="${ids[9]} ${ids[10]} ${ids[11]}"
assert_eq "$(ids_of --state succeeded)" "$keep" "ended jobs kept (the newest 3)"
assert_eq "$(q logs "${ids[11]}")" job12 "output of the newest job"
have_logs "${ids[9]}" || fail "output files of kept job ${ids[9]} missing"
for id in "${ids[@]:0:9}"; do
	assert_rc 4 "show of job $id beyond --keep-count" q show "$id"
	no_logs "$id" || fail "output files of job $id beyond --keep-count remain: $(ls "$LOGS")"
done
assert_eq "$(job_state "$held")" queued "queued job with --keep-count"
# the files left in the logs dir belong to kept jobs only
for f in "$LOGS"/*; do
	[ -e "$f" ] || continue
	id=$(basename "$f" | cut -d. -f1)
	[[ " $keep $held " == *" $id "* ]] || fail "stray output file $f"
done
assert_rc 0 "cancel job $held" q cancel "$held"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (--keep-count 3)"

# --- a purge bigger than one chunk (jobqd deletes 5000 per store op) ------------
# 12,000 ended jobs written straight into the database while jobqd is down.
now=$(now_ms)
sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000)
	INSERT INTO jobs (state, queue, owner_uid, argv, env, cwd, submitted_at, finished_at, exit_code, attempts)
	SELECT 'succeeded', 'bulk', $(id -u), '[\"true\"]', '[]', '/', $now, $now, 0, 1 FROM c;
	UPDATE meta SET value = (SELECT max(id) + 1 FROM jobs) WHERE key = 'next_id';" >/dev/null ||
	fail "cannot insert the bulk rows"
start_daemon --keep-count 0 --keep-age 0
bulk_rows() { sql "SELECT count(*) FROM jobs WHERE queue = 'bulk'"; }
assert_eq "$(bulk_rows)" 12000 "bulk rows before the purge"
assert_rc 0 "purge of 12000 ended jobs" q purge --state succeeded
grep -qx "purged 1200[0-9] jobs" "$T/out" || fail "purge output: $(cat "$T/out"), expected all 12000 and more"
assert_eq "$(bulk_rows)" 0 "bulk rows after the purge"
assert_rc 0 "ping after the big purge" q ping

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-purge: ok"
