#!/usr/bin/env bash
# fault-alloc.sh - jobqd when memory runs out on the submit path, through the
# FAULT_ALLOC seam (JOBQD_FAULTS=alloc@N*M).  dispatch allocates the
# bookkeeping of every new job (each task of an array) before the job is
# written, one FAULT_ALLOC hit per job; a submit or a retry by hand that
# cannot get it is refused with "out of memory" (exit 1) and nothing of it
# is stored; the daemon keeps serving, and later submits and retries run.
# Hits are counted on a quiet daemon: nothing else allocates a job here.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v sqlite3 >/dev/null || skip "sqlite3 not installed"

# Hits 3 and 4 fail: the second task of an array, then a retry by hand.
export JOBQD_FAULTS='alloc@3*2'
start_daemon
unset JOBQD_FAULTS

# hit 1: a job.
a=$(submit -- true)
wait_ended "$a"
assert_eq "$WAIT_RC" 0 "job $a"
njobs=$(sql "select count(*) from jobs")
assert_eq "$njobs" 1 "jobs in the database after one submit"

# hits 2 (task 1) and 3 (task 2, fails): the whole array is refused.
assert_rc 1 "an array submit whose second task cannot be tracked" \
	q submit --array 1-3 -- true
grep -q "out of memory" "$T/err" ||
	fail "refused array: message [$(cat "$T/err")] does not say out of memory"
[ -s "$T/out" ] && fail "refused array: printed an id: $(cat "$T/out")"
assert_eq "$(sql "select count(*) from jobs")" 1 "jobs after the refused array"
assert_eq "$(sql "select count(*) from arrays")" 0 "arrays after the refused array"
daemon_alive || fail "jobqd died refusing a submit"
assert_rc 0 "ping after a refused submit" q ping

# hit 4 (fails): a retry by hand is refused before anything is written.
assert_rc 1 "a retry whose job cannot be tracked" q retry "$a"
grep -q "out of memory" "$T/err" ||
	fail "refused retry: message [$(cat "$T/err")] does not say out of memory"
assert_eq "$(sql "select state || ' ' || attempts from jobs where id = $a")" \
	"succeeded 1" "job $a after the refused retry"

# hit 5: a job again; hit 6: the retry; hits 7 and 8: an array.
b=$(submit -- sh -c 'echo after')
wait_ended "$b"
assert_eq "$WAIT_RC" 0 "job $b submitted after the refusals"
assert_eq "$(q logs "$b")" after "output of job $b"
assert_rc 0 "retry of job $a" q retry "$a"
wait_ended "$a"
assert_eq "$WAIT_RC" 0 "job $a retried"
arr=$(submit --array 1-2 -- true)
wait_ended "$arr"
assert_eq "$WAIT_RC" 0 "array $arr submitted after the refusals"

# Only what was acknowledged is stored, all of it ended; no id was spent
# on the refused array.
assert_eq "$(sql "select count(*) from jobs")" 4 "jobs at the end"
assert_eq "$(sql "select count(*) from jobs where state <> 'succeeded'")" 0 \
	"jobs not succeeded"
assert_eq "$b" 2 "id of the first job after the refused array"

# Every acknowledged job is still there after a restart.
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
start_daemon
assert_eq "$(ids_of)" "$a $b $((arr + 1)) $((arr + 2))" "jobs after a restart"
