#!/usr/bin/env bash
# top.sh - `jobq top` as a person sees it, in a real terminal (a tmux pane
# 100x30, read back with capture-pane): the header, the counts, the queues
# (a paused one), the running jobs, the latest failures; a change of state
# shows up without a key (the daemon's event stream); up/down and c + y
# cancel the selected job and only that one; q quits with status 0.  Not
# on a terminal: a usage error.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v tmux >/dev/null || skip "no tmux"
"$JOBQ" top --help >/dev/null 2>&1 || skip "jobq top unavailable"
WORKERS=3
start_daemon
TM="tmux -L jobq-itest-top-$$ -f /dev/null"
top_cleanup() { $TM kill-server 2>/dev/null || true; }
trap 'rc=$?; top_cleanup; (exit $rc); cleanup' EXIT

q top </dev/null >"$T/nt.out" 2>"$T/nt.err"
assert_eq "$?" 2 "top without a terminal"
grep -q "needs a terminal" "$T/nt.err" || fail "top without a terminal does not say why: $(cat "$T/nt.err")"

f1=$(submit -- sh -c 'exit 7')
wait_ended "$f1"
gate=$T/gate
r1=$(submit --name one -- sh -c "while [ ! -e '$gate' ]; do sleep 0.05; done")
r2=$(submit --name two -- sh -c "while [ ! -e '$gate' ]; do sleep 0.05; done")
q queue set batch --parallel 3 >/dev/null
q queue pause batch >/dev/null
wait_for 10 "two running jobs" state_is "$r2" running
state_is "$r1" running || fail "job $r1 is not running"

$TM new-session -d -x 100 -y 30 "sh -c '\"$JOBQ\" -s \"$SOCK\" top; echo \$? >\"$T/top.rc\"'"
pane() { $TM capture-pane -p -t 0 >"$T/pane" 2>/dev/null; }
shows() { pane && grep -q -- "$1" "$T/pane"; }
wait_for 10 "the top screen" shows "jobq top - jobqd"
wait_for 10 "both running jobs" shows "RUNNING (2)"
pane
cp "$T/pane" "$T/top-screen.txt"
grep -Eq "^ +$r1  default +root +[0-9]+s +sh -c" "$T/pane" || fail "running job $r1 not shown: $(cat "$T/pane")"
grep -Eq "^ +$r2  default" "$T/pane" || fail "running job $r2 not shown"
grep -Eq "^ +$f1  failed +exit 7 " "$T/pane" || fail "failed job $f1 not under RECENT FAILURES: $(cat "$T/pane")"
grep -Eq "^batch +0 +0 +0 +3  paused" "$T/pane" || fail "paused queue batch: $(grep batch "$T/pane")"
grep -q "2 running" "$T/pane" || fail "counts line"
awk 'length > 100 { exit 1 }' "$T/pane" || fail "a line wider than the pane"

# an event redraws without a key
f2=$(submit -- sh -c 'exit 9')
wait_for 10 "the new failure on screen" shows "^ *$f2  failed *exit 9"

# select the second running job, cancel it
$TM send-keys -t 0 j
$TM send-keys -t 0 c
wait_for 10 "the confirmation" shows "cancel job $r2? (y/n)"
$TM send-keys -t 0 y
wait_ended "$r2"
assert_eq "$(job_state "$r2")" canceled "the selected job after c y"
assert_eq "$(job_state "$r1")" running "the other job"
wait_for 10 "the cancel's message" shows "job $r2 canceled"
wait_for 10 "one running job left" shows "RUNNING (1)"
# c then n: nothing happens
$TM send-keys -t 0 c
wait_for 10 "the confirmation" shows "cancel job $r1? (y/n)"
$TM send-keys -t 0 n
wait_for 10 "not canceled" shows "not canceled"
assert_eq "$(job_state "$r1")" running "job after c n"

$TM send-keys -t 0 q
wait_for 10 "top to quit" file_exists "$T/top.rc"
assert_eq "$(cat "$T/top.rc")" 0 "top's exit status after q"
touch "$gate"
log "screen:"; cat "$T/top-screen.txt" >&2
log "ok"
