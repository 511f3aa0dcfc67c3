#!/usr/bin/env bash
# sched-slots.sh - `submit --slots N`: a job occupies N worker slots.  In a
# pool of 2, a 2-slot job waits until both slots are free and nothing else
# runs beside it; it is not starved by 1-slot jobs submitted after it (the
# reservation of jobqd(8) "Slots and resources": a job behind it in its
# queue does not take a slot it waits for, a job of another queue only a
# slot it does not need); --slots over the pool is refused at submit;
# show, the row in SQLite, stats and queue list say what is used.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# --- refused at submit ---------------------------------------------------------
assert_rc 1 "--slots over the pool" q submit --slots 3 -- true
grep -q "3 slots asked, but jobqd has 2 worker slots" "$T/err" ||
	fail "--slots 3: [$(cat "$T/err")]"
assert_rc 2 "--slots 0" q submit --slots 0 -- true
grep -q "invalid --slots '0'" "$T/err" || fail "--slots 0: [$(cat "$T/err")]"
assert_rc 2 "--slots x" q submit --slots x -- true
assert_eq "$(sql "SELECT count(*) FROM jobs")" 0 "rows after refused submits"

# --- a 2-slot job waits for both slots, then runs alone ------------------------
# rec_gate FILE KEY GATE: rec_script's records around a wait for GATE.
rec_gate() {
	printf 'echo "S %s $(date +%%s%%N)" >>"%s"; %s; echo "E %s $(date +%%s%%N)" >>"%s"' \
		"$2" "$1" "$(gate_script "$3")" "$2" "$1"
}
rec="$T/rec"
g1=$(submit -- "$BIN/sh" -c "$(rec_gate "$rec" g1 "$T/gate1")")
wait_for 10 "g1 running" state_is "$g1" running
big=$(submit --slots 2 -- "$BIN/sh" -c "$(rec_gate "$rec" big "$T/gate2")")
# a 1-slot job behind it: the free slot is the big job's, not its
small=$(submit -- "$BIN/sh" -c "$(rec_script "$rec" small 0.1)")
assert_stays "$big" queued 500 "2-slot job $big while one slot is busy"
assert_eq "$(show_field "$small" state)" queued "1-slot job $small behind the waiting 2-slot job"
assert_eq "$(show_field "$big" slots)" 2 "slots of $big (show --json)"
assert_eq "$(sql "SELECT slots FROM jobs WHERE id = $big")" 2 "slots column of $big"
assert_eq "$(sql "SELECT slots FROM jobs WHERE id = $small")" 1 "slots column of $small"
q show "$big" | grep "^slots: *2$" >/dev/null || fail "show $big: no 'slots: 2'"
q stats >"$T/stats" || fail "stats"
grep -q "^slots: *1 used of 2$" "$T/stats" || fail "stats while g1 runs: $(cat "$T/stats")"
touch "$T/gate1"
wait_for 10 "big running" state_is "$big" running
q stats >"$T/stats" || fail "stats"
grep -q "^slots: *2 used of 2$" "$T/stats" || fail "stats while the 2-slot job runs: $(cat "$T/stats")"
q queue list >"$T/ql" || fail "queue list"
grep -q "^slots: *2 used of 2$" "$T/ql" || fail "queue list while the 2-slot job runs: $(cat "$T/ql")"
q --json stats | pycheck "stats --json usage" '
u = o.get("usage")
if u != {"slots_used": 2, "slots_total": 2, "resources": []}: bad("usage %r" % (u,))'
assert_eq "$(show_field "$small" state)" queued "1-slot job $small while the 2-slot job runs"
touch "$T/gate2"
wait_ended "$big"
wait_ended "$small"
assert_eq "$(max_overlap "$rec")" 1 "jobs running beside the 2-slot job (intervals in $rec)"
python3 - "$rec" <<'EOF' || fail "order of the runs: $(cat "$rec")"
import sys
ev = [l.split() for l in open(sys.argv[1])]
keys = [k for s, k, t in sorted(ev, key=lambda e: int(e[2])) if s == "S"]
sys.exit(0 if keys == ["g1", "big", "small"] else 1)
EOF

# --- no starvation behind a stream of 1-slot jobs -------------------------------
rec2="$T/rec2"
: >"$rec2"
a=$(submit -- "$BIN/sh" -c "$(gate_script "$T/ga")")
b=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gb")")
wait_for 10 "a and b running" state_is "$b" running
four=$(submit --slots 2 -- "$BIN/sh" -c "$(rec_script "$rec2" big 0.2)")
# a stream of 1-slot jobs, in this queue and in another one, each time a
# slot comes free
s1=$(submit -- "$BIN/sh" -c "$(rec_script "$rec2" s1 0.05)")
o1=$(submit --queue other -- "$BIN/sh" -c "$(rec_script "$rec2" o1 0.05)")
touch "$T/ga"
wait_ended "$a"
s2=$(submit -- "$BIN/sh" -c "$(rec_script "$rec2" s2 0.05)")
o2=$(submit --queue other -- "$BIN/sh" -c "$(rec_script "$rec2" o2 0.05)")
assert_stays "$s1" queued 300 "1-slot job $s1 while the 2-slot job $four waits"
for j in "$o1" "$s2" "$o2"; do
	assert_eq "$(show_field "$j" state)" queued "1-slot job $j while the 2-slot job waits for a slot"
done
touch "$T/gb"
for j in "$four" "$s1" "$s2" "$o1" "$o2"; do wait_ended "$j"; done
for j in "$four" "$s1" "$s2" "$o1" "$o2"; do
	assert_eq "$(show_field "$j" state)" succeeded "state of $j"
done
python3 - "$rec2" <<'EOF' || fail "the 2-slot job was not first or not alone: $(cat "$rec2")"
import sys
ev = sorted((int(t), s, k) for s, k, t in (l.split() for l in open(sys.argv[1])))
starts = [k for t, s, k in ev if s == "S"]
sys.exit(0 if starts[0] == "big" and ev[1][1:] == ("E", "big") else 1)
EOF

# --- an array: each task asks the same -------------------------------------------
arr=$(submit --slots 2 --array 1-3 -- "$BIN/sh" -c "$(rec_script "$T/rec3" '$JOBQ_ARRAY_INDEX' 0.1)")
wait_ended "$arr"
assert_eq "$(sql "SELECT group_concat(slots) FROM jobs WHERE array_id = $arr")" "2,2,2" "slots of the tasks of $arr"
assert_eq "$(max_overlap "$T/rec3")" 1 "2-slot tasks at once in a pool of 2"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-slots: ok"
