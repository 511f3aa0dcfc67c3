#!/usr/bin/env bash
# array-many.sh - a whole large array held, released and canceled: its
# queued tasks change in a few writes (daemon/dispatch_end.c and
# dispatch_edit.c: one op per 1,024 of them, not one per task), each task
# as a change of its own would leave it.
# (a) Hold and release of 2,500 queued tasks and of the same array again:
# each task held, then released, once, each change one history row; a
# hold of a held array records nothing.
# (b) Cancel of 2,500 tasks across three writes: one running (throttle 1),
# one held, one that a job depends on (it goes alone, its dependent
# canceled after it).  Every task ends canceled once, with one "cancel"
# history row, the queued ones never started (attempts 0), the running
# one's processes gone; the counts table equals the rows; all of it holds
# after a restart.
# (c) The commits of the cancel fail (FAULT_COMMIT, as on a full disk):
# the writes are parked and retried until they are recorded, once each.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=2500

# counts_match WHEN: the counts table equals a GROUP BY over the rows.
counts_match() {
	assert_eq "$(sql "SELECT queue || '|' || state || '|' || n FROM counts WHERE n != 0 ORDER BY 1")" \
		"$(sql "SELECT queue || '|' || state || '|' || count(*) FROM jobs GROUP BY queue, state ORDER BY 1")" \
		"counts table against the rows $1"
}

# canceled_once A N WHEN: the N tasks of array A are canceled, each with
# exactly one "cancel" row in its history.
canceled_once() {
	assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $1 AND state = 'canceled'")" "$2" \
		"canceled tasks of $1 $3"
	assert_eq "$(sql "SELECT count(*) || '|' || count(DISTINCT job_id) FROM history WHERE what = 'cancel' AND detail = 'the whole array' AND uid = $(id -u) AND job_id IN (SELECT id FROM jobs WHERE array_id = $1)")" \
		"$2|$2" "cancel history rows of the tasks of $1 $3"
}

# hist_rows A WHAT: "rows|tasks" of the WHAT history rows of array A's tasks.
hist_rows() {
	sql "SELECT count(*) || '|' || count(DISTINCT job_id) FROM history WHERE what = '$2' AND uid = $(id -u) AND job_id IN (SELECT id FROM jobs WHERE array_id = $1)"
}

# --- (a) hold and release ---------------------------------------------------
start_daemon
q queue pause p >/dev/null || fail "pause of queue p"
H=$(submit --queue p --array "1-$N" -- true)
assert_rc 0 "hold of array $H ($N tasks)" q hold "$H"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $H AND held = 1 AND state = 'queued'")" "$N" "held tasks of $H"
assert_eq "$(hist_rows "$H" hold)" "$N|$N" "hold history rows of $H"
assert_rc 0 "hold of held array $H" q hold "$H"
assert_eq "$(hist_rows "$H" hold)" "$N|$N" "hold history rows of $H after a second hold"
assert_rc 0 "release of array $H" q release "$H"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $H AND held = 0 AND state = 'queued'")" "$N" "released tasks of $H"
assert_eq "$(hist_rows "$H" release)" "$N|$N" "release history rows of $H"
counts_match "after the hold and release of $H"
assert_rc 0 "cancel of array $H" q cancel "$H"

# --- (b) a cancel: a mix of tasks, three writes' worth ---------------------------------
A=$(submit --array "1-$N%1" -- "$BIN/sleep" 300)
running1() { [ "$(ids_of --array "$A" --state running | wc -w)" = 1 ]; }
wait_for 10 "one task of $A running" running1
markers_seen 1 "the process of the running task of $A"
run=$(ids_of --array "$A" --state running)
assert_rc 0 "hold of task $A.7" q hold "$A.7"
dep=$(submit --after "ok:$A.1500" -- true)
assert_eq "$(job_state "$dep")" queued "the job depending on $A.1500 before the cancel"

assert_rc 0 "cancel of array $A ($N tasks)" timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$A"
canceled_once "$A" "$N" "after the cancel"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $A AND attempts = 0 AND reason = 'canceled' AND message = 'canceled before it started' AND finished_at IS NOT NULL AND started_at IS NULL")" \
	"$((N - 1))" "tasks of $A canceled before they started"
assert_eq "$(sql "SELECT attempts || '|' || reason FROM jobs WHERE id = $run")" "1|canceled" \
	"the task of $A that was running"
assert_no_markers 5 "the process of the running task of $A"
wait_ended "$dep"
assert_eq "$(job_state "$dep")" canceled "the job depending on $A.1500"
assert_eq "$(show_field "$dep" reason)" dependency "reason of the job depending on $A.1500"
assert_rc 125 "wait on task $A.2000" q wait "$A.2000"
q --json show --history "$A.2000" | pycheck "history of $A.2000" '
w = [(x["what"], x.get("detail")) for x in o["history"]]
if w.count(("cancel", "the whole array")) != 1 or w[-1][0] != "canceled": bad("history %r" % w)'
q --json stats | pycheck "stats after the cancel of $A" '
c = o["counts"]
if c.get("queued", 0) != 0 or c.get("running", 0) != 0: bad("counts %r" % c)'
counts_match "after the cancel of $A"

stop_daemon
start_daemon
canceled_once "$A" "$N" "after a restart"
assert_eq "$(ids_of --array "$A" --state queued)" "" "queued tasks of $A after a restart"
counts_match "after a restart"
stop_daemon

# --- (c) the cancel's commits fail: parked, retried, recorded once ----------
# With retention off and no running job, jobqd commits nothing on its own
# (fault-commit.sh): commit 1 is the held array's insert, and the cancel's
# writes meet the three failures that follow (whatever the batching: each
# failed attempt takes one), then succeed on a retry a second later.
rm -rf "$STATE"
M=1500
mkdir -p "$STATE"
export JOBQD_FAULTS=commit@2*3
start_daemon --keep-age 0 --keep-count 0
unset JOBQD_FAULTS
B=$(submit --hold --array "1-$M" -- true)
since=$(stat -c %s "$LOG")
assert_rc 0 "cancel of array $B while its commits fail" timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$B"
assert_eq "$(tail -c +"$((since + 1))" "$LOG" | grep -c "commit: injected failure")" 3 \
	"injected commit failures during the cancel"
tail -c +"$((since + 1))" "$LOG" | grep -q "retrying every second" ||
	fail "no retry of the parked writes in the log"
canceled_once "$B" "$M" "after the failed commits"
counts_match "after the failed commits"
daemon_alive || fail "jobqd died"
