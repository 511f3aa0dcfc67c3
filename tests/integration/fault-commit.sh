#!/usr/bin/env bash
# fault-commit.sh - a COMMIT that fails, through the fault point FAULT_COMMIT
# of a real jobqd (JOBQD_FAULTS=commit@N...: the N-th COMMIT of a store batch
# with writes fails as on a full disk).  (a) A submit whose commit fails is
# refused with a storage error and is not in the database; the daemon goes
# on serving and the next submit works.  (b) When the commit of a running
# job's end fails, the end is retried until it is recorded: the job ends
# succeeded, once, and its waiter is told so.
#
# The hit numbers follow from the store's batching (daemon/store.c): every
# batch with writes commits once, reads commit nothing.  A daemon started
# with retention off (--keep-age 0 --keep-count 0) on a state dir without
# running jobs commits nothing at start-up (no recovery transaction, no
# retention purge), so its commits are, in order, the writes this test
# causes one at a time: the submit's insert together with the claim (a
# submit to an idle worker is stored already claimed for it, in one
# commit: dispatch_submit.c), the record of the start (pid) and the end.  Each step waits for the previous one to be
# visible before the next can happen.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
QUIET=(--keep-age 0 --keep-count 0)

# injected SINCE: the injected commit failures logged after byte SINCE of
# $LOG.
injected() { tail -c +"$(($1 + 1))" "$LOG" | grep -c "commit: injected failure" || true; }

# --- (a) the first commit fails: the submit is refused ----------------------
export JOBQD_FAULTS=commit@1
start_daemon "${QUIET[@]}"
assert_rc 1 "a submit whose commit fails" q submit -- true
grep -qi "storage\|could not store" "$T/err" ||
	fail "refused submit: message [$(cat "$T/err")] does not mention storage"
[ ! -s "$T/out" ] || fail "the refused submit printed [$(cat "$T/out")]"
assert_eq "$(injected 0)" 1 "injected commit failures after the refused submit"
assert_eq "$(sql 'SELECT count(*) FROM jobs')" 0 "rows after the refused submit"
daemon_alive || fail "jobqd died after a failed commit"
assert_rc 0 "list after a failed commit" q list

# Commit 2: the next submit works, and gets the id nobody was given.
id=$(submit -- "$BIN/sh" -c 'exit 0')
assert_eq "$id" 1 "id of the submit after the refused one"
wait_ended "$id"
assert_eq "$WAIT_RC" 0 "wait on the job submitted after the failed commit"
assert_eq "$(job_state "$id")" succeeded "state of job $id"
assert_eq "$(sql 'SELECT count(*) FROM jobs')" 1 "rows after the second submit"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after (a)"

# --- (b) the commit of a job's end fails twice: it is retried -----------------
# Commits: 1 insert + claim, 2 start (pid); 3 and 4, the end, fail; 5 is
# the end's third try.
export JOBQD_FAULTS='commit@3*2'
since=$(wc -c <"$LOG")
start_daemon "${QUIET[@]}"
gate=$T/gate
j=$(submit -- "$BIN/sh" -c "echo run >>'$T/runs'; $(gate_script "$gate")")
started() { [ "$(sql "SELECT state || ' ' || (pid IS NOT NULL) FROM jobs WHERE id = $j")" = "running 1" ]; }
wait_for 10 "job $j recorded as started (commits 1-2)" started
assert_eq "$(injected "$since")" 0 "injected commit failures before the job's end"

q wait "$j" --timeout "$((20 * SLOW))s" >"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
EXTRA_PIDS=$waiter
touch "$gate"
ended() { [ "$(sql "SELECT state FROM jobs WHERE id = $j")" = succeeded ]; }
wait_for 15 "job $j's end recorded in the database" ended
assert_eq "$(injected "$since")" 2 "injected failures of the end's commit"
wait "$waiter"
assert_eq "$?" 0 "exit status of the waiter of job $j"
EXTRA_PIDS=
assert_eq "$(job_state "$j")" succeeded "state of job $j"
assert_eq "$(show_field "$j" attempts)" 1 "attempts of job $j"
assert_eq "$(show_field "$j" exit_code)" 0 "exit code of job $j"
assert_eq "$(nlines "$T/runs")" 1 "runs of job $j"
daemon_alive || fail "jobqd died while the end could not be recorded"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after (b)"
exit 0
