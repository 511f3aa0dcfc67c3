#!/usr/bin/env bash
# sched-hold.sh - `jobq hold` / `jobq release` and `submit --hold`: a held
# job stays queued ("held" in list and show, `list --state held`) and never
# starts, nor do the jobs that wait for it, until released; a job held at
# submit likewise; a whole array is held and released; a running or ended
# job cannot be held (who may: sched-edit.sh, with another user).  Across kill -9 of jobqd a held job stays held (row held = 1,
# and it does not start), and a released one runs.  The history records
# each hold and release with its uid.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# --- hold, dependents wait, release ------------------------------------------
a=$(submit -- sh -c "echo a >>'$T/order'")
wait_ended "$a"
h=$(submit --hold -- sh -c "echo h >>'$T/order'")
d=$(submit --after "$h" -- sh -c "echo d >>'$T/order'")
assert_eq "$(show_field "$h" state)" queued "state of held job $h"
assert_eq "$(show_field "$h" held)" true "held member of job $h"
assert_eq "$(sql "SELECT held FROM jobs WHERE id = $h")" 1 "held column of job $h"
q list --state held -o id,state >"$T/list" || fail "list --state held"
grep -qE "^ *$h +held *$" "$T/list" || fail "list --state held does not show $h as held: $(cat "$T/list")"
grep -qE "^ *$d " "$T/list" && fail "list --state held shows the unheld job $d"
q show "$h" | grep "^state: *queued (held" >/dev/null || fail "show $h does not say held"
assert_stays "$h" queued 600 "held job $h"
assert_eq "$(show_field "$d" state)" queued "job $d waiting for held job $h"
[ "$(cat "$T/order")" = a ] || fail "a held job or its dependent ran: $(cat "$T/order")"
# hold again: nothing changes, no second history row
assert_rc 0 "hold of a held job" q hold "$h"
assert_rc 0 "release of held job $h" q release "$h"
wait_ended "$h"
wait_ended "$d"
assert_eq "$(tr '\n' ' ' <"$T/order")" "a h d " "order after the release"
assert_eq "$(show_field "$h" held)" null "held member after the run"

# --- hold a queued job (not held at submit), then kill -9 ---------------------
g1=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate1")")
g2=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate2")")
wait_for 10 "blockers running" state_is "$g2" running
x=$(submit -- sh -c "echo x >>'$T/x'")
y=$(submit -- sh -c "echo y >>'$T/y'")
assert_rc 0 "hold of queued job $x" q hold "$x"
q --json hold "$y" | pycheck "hold --json" '
if not isinstance(o, list) or len(o) != 1 or o[0].get("held") is not True:
    bad("expected one held job, got %r" % (o,))'
assert_rc 0 "release of $y" q release "$y"
assert_rc 0 "hold of $y again" q hold "$y"
assert_rc 0 "release of $y again" q release "$y"
# running and ended jobs
assert_rc 1 "hold of running job $g1" q hold "$g1"
grep -q "started" "$T/err" || fail "hold of a running job: [$(cat "$T/err")]"
assert_rc 1 "hold of ended job $a" q hold "$a"
grep -q "ended" "$T/err" || fail "hold of an ended job: [$(cat "$T/err")]"
assert_rc 4 "hold of a missing job" q hold 999999
assert_rc 2 "hold without a REF" q hold
assert_rc 2 "hold of a bad REF" q hold x1

kill9_daemon
kill_markers
start_daemon
assert_eq "$(show_field "$x" state)" queued "held job $x after kill -9"
assert_eq "$(show_field "$x" held)" true "held job $x still held after kill -9"
wait_ended "$y"
assert_eq "$(show_field "$y" state)" succeeded "released job $y after kill -9"
assert_stays "$x" queued 500 "held job $x after the restart"
[ -e "$T/x" ] && fail "held job $x ran after kill -9"
# history: submit, holds and releases with the uid, end
uid=$(id -u)
q --json show --history "$y" | pycheck "history of $y" '
h = o["history"]
whats = [e["what"] for e in h]
want = ["submitted", "hold", "release", "hold", "release", "started", "succeeded"]
if whats != want: bad("history %s, expected %s" % (whats, want))
for e in h:
    if e["what"] in ("hold", "release") and e["uid"] != int(a[0]):
        bad("uid %s for %s" % (e["uid"], e["what"]))
ats = [e["at"] for e in h]
if ats != sorted(ats): bad("history not in time order: %s" % ats)' "$uid"
q show --history "$x" >"$T/hist" || fail "show --history $x"
grep -q "^history:" "$T/hist" || fail "show --history: no history section: $(cat "$T/hist")"
grep -qE " hold" "$T/hist" || fail "show --history: no hold line: $(cat "$T/hist")"
assert_eq "$(sql "SELECT count(*) FROM history WHERE job_id = $y")" 4 "history rows of $y (holds and releases only)"
assert_rc 0 "release of $x after the restart" q release "$x"
wait_ended "$x"
assert_eq "$(show_field "$x" state)" succeeded "job $x after its release"

# --- a whole array --------------------------------------------------------------
arr=$(submit --hold --array 1-4 -- sh -c 'echo "$JOBQ_ARRAY_INDEX" >>'"'$T/arr'")
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $arr AND held = 1")" 4 "tasks of array $arr held at submit"
assert_stays "$arr.1" queued 400 "task $arr.1 held"
assert_rc 0 "release of array $arr" q release "$arr"
wait_ended "$arr"
assert_eq "$(sort "$T/arr" | tr '\n' ' ')" "1 2 3 4 " "the tasks of array $arr ran"
arr2=$(submit --array 1-3 --delay 1h -- true)
assert_rc 0 "hold of array $arr2" q hold "$arr2"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $arr2 AND held = 1")" 3 "tasks of array $arr2 held"
assert_rc 0 "release of task $arr2.2" q release "$arr2.2"
assert_eq "$(show_field "$arr2.2" held)" null "task $arr2.2 released"
assert_eq "$(show_field "$arr2.1" held)" true "task $arr2.1 still held"

assert_eq "$(show_field "$g1" state)" interrupted "blocker $g1 after kill -9"
assert_rc 0 "cancel of array $arr2" q cancel "$arr2"
assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-hold: ok"
