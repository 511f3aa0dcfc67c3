#!/usr/bin/env bash
# sched-priority.sh - with one worker held by a blocker job, queued jobs run
# highest priority first and FIFO among equals; `jobq priority ID N` reorders
# a queued job; priority on a running, ended or missing job is an error.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
start_daemon

# rec KEY: a job command that appends KEY to $T/order.
rec() { printf 'echo %s >>"%s"' "$1" "$T/order"; }

blocker=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate1")")
wait_for 10 "blocker $blocker running" state_is "$blocker" running
markers_seen 1 "the process of blocker $blocker"
p0=$(submit --priority 0 -- sh -c "$(rec p0)")
p5a=$(submit --priority 5 -- sh -c "$(rec p5a)")
p5b=$(submit --priority 5 -- sh -c "$(rec p5b)")
pm3=$(submit --priority -3 -- sh -c "$(rec pm3)")
p10=$(submit --priority 10 -- sh -c "$(rec p10)")
assert_eq "$(show_field "$p10" priority)" 10 "priority of job $p10"
assert_eq "$(show_field "$pm3" priority)" -3 "priority of job $pm3"
assert_eq "$(show_field "$p0" priority)" 0 "priority of job $p0 (emitted always)"
assert_eq "$(show_field "$p5a" state)" queued "state of job $p5a behind the blocker"
[ -e "$T/order" ] && fail "a job ran while the only worker was busy: $(cat "$T/order")"
: >"$T/gate1"
for id in "$blocker" "$p0" "$p5a" "$p5b" "$pm3" "$p10"; do wait_ended "$id"; done
assert_eq "$(tr '\n' ' ' <"$T/order")" "p10 p5a p5b p0 pm3 " "order of the jobs by priority"
# The daemon's start times agree.
q --json list | pycheck "started_at by priority" '
ids = [int(x) for x in a]
by = {j["id"]: j for j in o}
st = [by[i]["started_at"] for i in ids]
if st != sorted(st): bad("start times not in the order %s: %s" % (ids, st))' "$p10" "$p5a" "$p5b" "$p0" "$pm3"

# --- jobq priority reorders queued jobs -------------------------------------------
rm -f "$T/order"
blocker2=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate2")")
wait_for 10 "blocker $blocker2 running" state_is "$blocker2" running
ja=$(submit -- sh -c "$(rec a)")
jb=$(submit -- sh -c "$(rec b)")
jc=$(submit -- sh -c "$(rec c)")
assert_rc 0 "priority of queued job $jc" q priority "$jc" 7
assert_eq "$(show_field "$jc" priority)" 7 "priority of job $jc after jobq priority"
assert_rc 0 "negative priority of queued job $ja" q priority "$ja" -1
assert_eq "$(show_field "$ja" priority)" -1 "priority of job $ja after jobq priority"
assert_eq "$(show_field "$ja" state)" queued "state of job $ja after jobq priority"
q --json priority "$jb" 3 | pycheck "priority --json" '
j = o.get("job", o) if isinstance(o, dict) else o
if not isinstance(j, dict) or j.get("priority") != 3 or j.get("id") != int(a[0]):
    bad("expected job %s with priority 3" % a[0])' "$jb"
assert_rc 0 "priority back to 0" q priority "$jb" 0

# errors: running, missing, bad arguments
assert_rc 1 "priority of running job $blocker2" q priority "$blocker2" 5
grep -qi "queued" "$T/err" || fail "priority of a running job: message [$(cat "$T/err")] does not say it must be queued"
assert_eq "$(show_field "$blocker2" priority)" 0 "priority of running job $blocker2 after a refused change"
assert_rc 4 "priority of a missing job" q priority 999999 5
assert_rc 2 "priority without a value" q priority "$ja"
assert_rc 2 "priority with a bad value" q priority "$ja" high
assert_rc 2 "priority with a bad id" q priority job1 5
assert_rc "1|2" "priority out of range" q priority "$ja" 2000000
[ -s "$T/err" ] || fail "priority out of range: no message"
assert_rc 2 "submit --priority with a bad value" q submit --priority high -- true

: >"$T/gate2"
for id in "$blocker2" "$ja" "$jb" "$jc"; do wait_ended "$id"; done
assert_eq "$(tr '\n' ' ' <"$T/order")" "c b a " "order after jobq priority"

# ended job
assert_rc 1 "priority of ended job $jc" q priority "$jc" 1
grep -qi "queued" "$T/err" || fail "priority of an ended job: message [$(cat "$T/err")] does not say it must be queued"
assert_eq "$(show_field "$jc" priority)" 7 "priority of ended job $jc after a refused change"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-priority: ok"
