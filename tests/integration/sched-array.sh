#!/usr/bin/env bash
# sched-array.sh - --array FIRST-LAST[:STEP][%K]: every index runs exactly
# once with JOBQ_ARRAY_ID/JOBQ_ARRAY_INDEX set, never more than K at once;
# `wait A` waits for every task; `show A` gives the counts; `list --array A`;
# tasks addressed as A.I; cancel one task or the whole array; an array as a
# dependency; bad specs refused; the throttle survives kill -9 of jobqd
# (tasks running at the crash are interrupted, the rest run).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=4
start_daemon

# --- 1-10%2 ------------------------------------------------------------------------
script="echo \"\$JOBQ_ARRAY_INDEX \$JOBQ_ARRAY_ID\" >>\"$T/a.env\"; echo \"task \$JOBQ_ARRAY_INDEX of \$JOBQ_ARRAY_ID\"; $(rec_script "$T/a.rec" '$JOBQ_ARRAY_INDEX' 0.3)"
A=$(submit --array 1-10%2 -- "$BIN/sh" -c "$script")
wait_ended "$A" 30
assert_eq "$WAIT_RC" 0 "jobq wait on array $A (every task succeeded)"
assert_eq "$(grep '^S ' "$T/a.rec" | cut -d' ' -f2 | sort -n | tr '\n' ' ')" "1 2 3 4 5 6 7 8 9 10 " "indices that started (each once)"
assert_eq "$(grep -c '^E ' "$T/a.rec")" 10 "tasks that ended"
assert_eq "$(cut -d' ' -f2 "$T/a.env" | sort -u)" "$A" "JOBQ_ARRAY_ID of the tasks"
assert_eq "$(max_overlap "$T/a.rec")" 2 "most tasks of array %2 running at once (4 workers), $(cat "$T/a.rec")"
array_json "$A" | pycheck "show --json of array $A" '
A = int(a[0])
for k, v in (("id", A), ("first", 1), ("step", 1), ("count", 10), ("throttle", 2)):
    if o.get(k) != v: bad("%s=%r, expected %r" % (k, o.get(k), v))
c = o.get("counts", {})
for s in ("queued", "running", "succeeded", "failed", "canceled", "interrupted", "timed_out"):
    if c.get(s) != (10 if s == "succeeded" else 0): bad("counts.%s=%r" % (s, c.get(s)))' "$A"
assert_rc 0 "plain show of array $A" q show "$A"
grep -q succeeded "$T/out" || fail "show of array $A does not give the counts: $(cat "$T/out")"
q --json list --array "$A" >"$T/a.list" || fail "list --array $A"
pycheck "list --json --array $A" '
A = int(a[0])
if len(o) != 10: bad("%d tasks listed" % len(o))
ids = [j["id"] for j in o]
if ids != list(range(ids[0], ids[0] + len(ids))): bad("task ids not consecutive: %s" % ids)
if A in ids: bad("the array id is a task id")
if sorted(j.get("array_index") for j in o) != list(range(1, 11)): bad("indices %s" % [j.get("array_index") for j in o])
for j in o:
    if j.get("array_id") != A: bad("task %d: array_id %r" % (j["id"], j.get("array_id")))
    if j["state"] != "succeeded": bad("task %d: %s" % (j["id"], j["state"]))
    if j.get("attempts") != 1: bad("task %d: attempts %r" % (j["id"], j.get("attempts")))' "$A" <"$T/a.list"
assert_rc 0 "plain list --array $A" q list --array "$A"
grep -q "$A\\.3\\b" "$T/out" || fail "list --array $A has no $A.3 column: $(cat "$T/out")"
[ "$(grep -c "$A\\.[0-9]" "$T/out")" -ge 10 ] || fail "list --array $A: not every task shown as A.I: $(cat "$T/out")"
# task A.3
t3=$(q --json show "$A.3") || fail "show $A.3"
pycheck "show --json $A.3" '
if o.get("array_id") != int(a[0]) or o.get("array_index") != 3 or o.get("state") != "succeeded":
    bad("not task 3 of array %s" % a[0])' "$A" <<<"$t3"
t3id=$(jf id <<<"$t3")
assert_eq "$(q logs "$A.3")" "task 3 of $A" "logs $A.3"
assert_eq "$(q logs "$t3id")" "task 3 of $A" "logs of task id $t3id"
assert_eq "$(show_field "$t3id" array_index)" 3 "show of task id $t3id"
assert_rc 4 "show of a missing task" q show "$A.11"
assert_rc 4 "logs of a missing task" q logs "$A.0"
assert_rc 2 "show with a bad task reference" q show "$A.x"
assert_rc 4 "show of a missing array's task" q show 999999.1
# logs of a whole array: every task, each line prefixed [A.I] (logs.sh)
q logs "$A" >"$T/alogs" || fail "logs of a whole array"
grep -q "^\[$A\.1\] " "$T/alogs" || fail "logs $A: [$(cat "$T/alogs")] lacks task 1's prefix"
assert_rc 2 "retry of a whole array" q retry "$A"
grep -q "array" "$T/err" || fail "retry $A: message [$(cat "$T/err")] does not say it is an array"
# an array as a dependency, already ended: all its tasks succeeded
dep=$(submit --after "$A" -- true)
wait_ended "$dep"
assert_eq "$(job_state "$dep")" succeeded "job --after array $A (all succeeded)"

# a failing task: wait on the array is not 0
F=$(submit --array 1-3 -- sh -c '[ "$JOBQ_ARRAY_INDEX" != 2 ]')
wait_ended "$F"
assert_ne "$WAIT_RC" 0 "jobq wait on array $F with a failed task"
array_json "$F" | pycheck "counts of array $F" '
c = o.get("counts", {})
if (c.get("succeeded"), c.get("failed")) != (2, 1): bad("counts %r" % c)'
assert_eq "$(show_field "$F.2" state)" failed "state of task $F.2"
# submit --wait on an array waits for every task
assert_rc 0 "submit --wait --array" timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait --array 1-4%2 -- "$BIN/sh" -c "echo \$JOBQ_ARRAY_INDEX >>\"$T/sw\""
assert_eq "$(sort -n "$T/sw" | tr '\n' ' ')" "1 2 3 4 " "tasks run by submit --wait --array"

# --- cancel one task -------------------------------------------------------------------
B=$(submit --array 1-6%1 -- "$BIN/sh" -c "$(gate_script "$T/gB"); echo \$JOBQ_ARRAY_INDEX >>\"$T/b.ran\"")
bany=$(submit --after "any:$B" -- true)
bok=$(submit --after "ok:$B" -- true)
wait_for 10 "task $B.1 running" state_is "$B.1" running
assert_eq "$(job_state "$B.5")" queued "task $B.5 behind the throttle"
assert_rc 0 "cancel task $B.5" q cancel "$B.5"
assert_eq "$(job_state "$B.5")" canceled "task $B.5 after cancel"
assert_eq "$(job_state "$B.4")" queued "task $B.4 after $B.5 was canceled"
assert_eq "$(job_state "$B.1")" running "task $B.1 after $B.5 was canceled"
: >"$T/gB"
wait_ended "$B" 30
assert_ne "$WAIT_RC" 0 "jobq wait on array $B with a canceled task"
assert_eq "$(sort -n "$T/b.ran" | tr '\n' ' ')" "1 2 3 4 6 " "tasks of $B that ran"
array_json "$B" | pycheck "counts of array $B" '
c = o.get("counts", {})
if (c.get("succeeded"), c.get("canceled"), c.get("queued"), c.get("running")) != (5, 1, 0, 0): bad("counts %r" % c)'
wait_ended "$bany"
wait_ended "$bok"
assert_eq "$(job_state "$bany")" succeeded "job --after any:$B"
assert_eq "$(job_state "$bok")" canceled "job --after ok:$B (a task was canceled)"
assert_eq "$(show_field "$bok" reason)" dependency "reason of job --after ok:$B"
[ "$(show_field "$bany" started_at)" -ge "$(show_field "$B.6" finished_at)" ] ||
	fail "job --after any:$B started before the last task ended"

# --- cancel the whole array ------------------------------------------------------------
C=$(submit --array 0-5%2 -- "$BIN/sleep" 30)
running2() { [ "$(ids_of --array "$C" --state running | wc -w)" = 2 ]; }
wait_for 10 "two tasks of $C running" running2
markers_seen 2 "the processes of two tasks of $C"
assert_rc 0 "cancel array $C" timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$C"
array_json "$C" | pycheck "counts of array $C after cancel" '
c = o.get("counts", {})
if c.get("canceled") != 6: bad("counts %r" % c)'
assert_no_markers 5 "after cancel of array $C"
wait_ended "$C" 10
assert_ne "$WAIT_RC" 0 "wait on canceled array $C"

# --- STEP, a single index, bad specs -----------------------------------------------------
D=$(submit --array 0-8:4 -- sh -c 'echo $JOBQ_ARRAY_INDEX')
wait_ended "$D"
assert_eq "$WAIT_RC" 0 "wait on array $D"
q --json list --array "$D" | pycheck "indices of 0-8:4" '
if sorted(j["array_index"] for j in o) != [0, 4, 8]: bad("indices %s" % [j["array_index"] for j in o])'
array_json "$D" | pycheck "array 0-8:4" '
if (o.get("first"), o.get("step"), o.get("count"), o.get("throttle")) != (0, 4, 3, 0): bad("first/step/count/throttle")'
assert_eq "$(q logs "$D.4")" 4 "logs $D.4"
assert_eq "$(q logs "$D.8")" 8 "logs $D.8"
assert_rc 4 "task $D.2 of 0-8:4" q show "$D.2"
S=$(submit --array 7 -- sh -c 'echo $JOBQ_ARRAY_INDEX')
wait_ended "$S"
assert_eq "$(q logs "$S.7")" 7 "logs of the single task $S.7"
array_json "$S" | pycheck "array 7" '
if (o.get("first"), o.get("count")) != (7, 1): bad("first/count")'
before=$(sql "SELECT count(*) || ',' || max(id) FROM jobs")
for bad in 5-1 1-3%x 0-8:0 abc -1-3 1- "" 1-3%-1 1-3:2:2; do
	assert_rc 2 "submit --array '$bad'" q submit --array "$bad" -- true
	[ -s "$T/err" ] || fail "submit --array '$bad': no message"
done
assert_rc "1|2" "submit --array with too many tasks" q submit --array 1-200000 -- true
[ -s "$T/err" ] || fail "submit --array 1-200000: no message"
assert_rc "1|2" "submit --array --unique" q submit --array 1-2 --unique k -- true
grep -qi unique "$T/err" || fail "submit --array --unique: message [$(cat "$T/err")]"
assert_eq "$(sql "SELECT count(*) || ',' || max(id) FROM jobs")" "$before" "jobs after refused array submits"

# --- the throttle survives kill -9 --------------------------------------------------------
# The first two tasks to start run through; later ones wait for a gate that
# only appears after the crash, so two tasks are running when jobqd dies.
R=$T/e.rec
escript="echo \"S \$JOBQ_ARRAY_INDEX \$(date +%s%N)\" >>\"$R\"
if [ \"\$(grep -c '^S ' \"$R\")\" -ge 3 ]; then $(gate_script "$T/gE"); fi
\"$BIN/sleep\" 0.3
echo \"E \$JOBQ_ARRAY_INDEX \$(date +%s%N)\" >>\"$R\""
E=$(submit --array 1-8%2 -- "$BIN/sh" -c "$escript")
crash_point() {
	[ "$(grep -c '^S ' "$R")" = 4 ] && [ "$(grep -c '^E ' "$R")" = 2 ] &&
		[ "$(ids_of --array "$E" --state succeeded | wc -w)" = 2 ] &&
		[ "$(ids_of --array "$E" --state running | wc -w)" = 2 ]
}
wait_for 20 "two tasks of $E done and two blocked" crash_point
blocked=$(ids_of --array "$E" --state running)
markers_seen 2 "the processes of the blocked tasks of $E"
kill9_daemon
assert_no_markers 5 "task processes after kill -9 of jobqd"
pre=$(nlines "$R")
: >"$T/gE"
start_daemon
wait_ended "$E" 30
assert_ne "$WAIT_RC" 0 "wait on array $E with interrupted tasks"
array_json "$E" | pycheck "counts of array $E after the crash" '
c = o.get("counts", {})
if (c.get("succeeded"), c.get("interrupted"), c.get("queued"), c.get("running")) != (6, 2, 0, 0): bad("counts %r" % c)
if o.get("throttle") != 2: bad("throttle %r" % o.get("throttle"))'
for id in $blocked; do
	assert_eq "$(job_state "$id")" interrupted "task $id, running at the crash"
	assert_eq "$(show_field "$id" reason)" daemon_crash "reason of task $id"
done
assert_eq "$(grep '^S ' "$R" | cut -d' ' -f2 | sort -n | tr '\n' ' ')" "1 2 3 4 5 6 7 8 " "indices of $E that started (each once)"
tail -n +$((pre + 1)) "$R" >"$T/e.post"
assert_eq "$(grep -c '^S ' "$T/e.post")" 4 "tasks of $E started after the restart"
[ "$(max_overlap "$T/e.post")" -le 2 ] || fail "more than 2 tasks of $E (%2) at once after the restart: $(cat "$T/e.post")"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE state = 'succeeded' AND id IN ($(ids_of --array "$E" | tr ' ' ','))")" 6 "succeeded rows of $E"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-array: ok"
