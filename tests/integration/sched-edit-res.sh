#!/usr/bin/env bash
# sched-edit-res.sh - `jobq edit --slots N --res SPEC --no-res` of a queued
# or held job: a held job edited from gpu=1 to gpu=2 and released gets two
# instances; a queued 2-slot job (waiting behind a running 1-slot job on a
# 2-slot jobqd) edited to 1 slot starts while that job still runs; --no-res
# drops the request; each change is a history row ("slots: 2 -> 1", "res:
# gpu=1 -> gpu=2") and a row in SQLite; refusals: more slots or resources
# than jobqd has (the submit's messages), an unknown resource, a job that
# has started, bad options.  kill -9 after an edit keeps the edited request
# (rows, then the instances the job gets).  A job asking more than a
# restarted jobqd has stays queued; editing slots alone is refused, slots
# and res together make it run.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon --resource gpu=2
uid=$(id -u)

# job_script FILE GATE: records "$JOBQ_RES_GPU" in FILE, then waits for GATE.
job_script() {
	printf 'echo "gpu=$JOBQ_RES_GPU" >"%s"; %s' "$1" "$(gate_script "$2")"
}
history_has() { # ID DETAIL
	q --json show --history "$1" | pycheck "history of $1" '
d = [x.get("detail") for x in o["history"] if x["what"] == "edit" and x["uid"] == int(a[1])]
if a[0] not in d: bad("no %r in %r" % (a[0], d))' "$2" "$uid"
}

# --- a held job edited from gpu=1 to gpu=2 gets two instances ----------------
h=$(submit --hold --res gpu=1 -- "$BIN/sh" -c "$(job_script "$T/h.out" "$T/gate_h")")
assert_rc 0 "edit of held job $h to gpu=2" q edit "$h" --res gpu=2
assert_eq "$(sql "SELECT slots || ' ' || res || ' ' || held FROM jobs WHERE id = $h")" "1 gpu=2 1" "row of $h after the edit"
assert_eq "$(show_field "$h" res)" "gpu=2" "res of $h"
history_has "$h" "res: gpu=1 -> gpu=2"
assert_rc 0 "release of $h" q release "$h"
wait_for 10 "job $h running" state_is "$h" running
wait_for 10 "job $h recorded its gpus" file_exists "$T/h.out"
wait_for 10 "job $h wrote its gpus" lines_ge "$T/h.out" 1
assert_eq "$(cat "$T/h.out")" "gpu=0,1" "JOBQ_RES_GPU of $h"
assert_eq "$(sql "SELECT res_given FROM jobs WHERE id = $h")" "gpu=0,1" "res_given of $h"
# started: refused as every other edit
assert_rc 1 "edit of running job $h" q edit "$h" --res gpu=1
grep -q "the job has started" "$T/err" || fail "edit of a running job: [$(cat "$T/err")]"
assert_eq "$(sql "SELECT res FROM jobs WHERE id = $h")" "gpu=2" "res of running $h after the refusal"
: >"$T/gate_h"
wait_ended "$h"
assert_eq "$WAIT_RC" 0 "job $h"

# --- a waiting 2-slot job edited to 1 slot starts beside a running one -----------
small=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate_small")")
wait_for 10 "job $small running" state_is "$small" running
big=$(submit --slots 2 -- "$BIN/sh" -c "$(gate_script "$T/gate_big")")
assert_stays "$big" queued 500 "2-slot job $big while $small runs on a 2-slot jobqd"
# refusals change nothing
assert_rc 1 "--slots 3" q edit "$big" --slots 3
grep -q "3 slots asked, but jobqd has 2 worker slots" "$T/err" || fail "--slots 3: [$(cat "$T/err")]"
assert_rc 1 "--res tpu=1" q edit "$big" --res tpu=1
grep -q 'unknown resource "tpu"' "$T/err" || fail "--res tpu=1: [$(cat "$T/err")]"
assert_rc 1 "--res gpu=3" q edit "$big" --res gpu=3
grep -q 'resource "gpu": 3 asked, but jobqd has 2' "$T/err" || fail "--res gpu=3: [$(cat "$T/err")]"
assert_rc 1 "--res gpu=0" q edit "$big" --res gpu=0
grep -q 'the count must be a number from 1' "$T/err" || fail "--res gpu=0: [$(cat "$T/err")]"
assert_rc 2 "--slots 0" q edit "$big" --slots 0
grep -q "invalid --slots '0'" "$T/err" || fail "--slots 0: [$(cat "$T/err")]"
assert_rc 2 "--res gpu" q edit "$big" --res gpu
grep -q "invalid --res 'gpu'" "$T/err" || fail "--res gpu: [$(cat "$T/err")]"
assert_rc 2 "--res with --no-res" q edit "$big" --res gpu=1 --no-res
grep -q "exclude each other" "$T/err" || fail "--res --no-res: [$(cat "$T/err")]"
assert_eq "$(sql "SELECT slots || ' ' || ifnull(res, '-') FROM jobs WHERE id = $big")" "2 -" "row of $big after the refusals"
assert_eq "$(sql "SELECT count(*) FROM history WHERE job_id = $big AND what = 'edit'")" 0 "history of $big after the refusals"
assert_eq "$(show_field "$big" state)" queued "job $big after the refusals"
# 1 slot: it starts while $small still runs
assert_rc 0 "edit of $big to 1 slot" q edit "$big" --slots 1
wait_for 10 "job $big running" state_is "$big" running
assert_eq "$(show_field "$small" state)" running "job $small while $big started"
assert_eq "$(sql "SELECT slots FROM jobs WHERE id = $big")" 1 "slots row of $big"
history_has "$big" "slots: 2 -> 1"
q --json stats | pycheck "slots in use" '
u = o.get("usage") or o
if u["slots_used"] != 2 or u["slots_total"] != 2: bad("usage %r" % u)'
: >"$T/gate_small"
: >"$T/gate_big"
wait_ended "$small"
wait_ended "$big"

# --- --no-res, and kill -9 after an edit ------------------------------------------
n=$(submit --hold --res gpu=1 -- true)
assert_rc 0 "--no-res of $n" q edit "$n" --no-res
assert_eq "$(sql "SELECT ifnull(res, 'NULL') FROM jobs WHERE id = $n")" NULL "res row of $n"
history_has "$n" "res: gpu=1 -> -"
k=$(submit --hold -- "$BIN/sh" -c "$(job_script "$T/k.out" "$T/gate_k")")
assert_rc 0 "edit of $k to 2 slots and gpu=2" q edit "$k" --slots 2 --res gpu=2
history_has "$k" "slots: 1 -> 2"
history_has "$k" "res: - -> gpu=2"
kill9_daemon
kill_markers
start_daemon --resource gpu=2
assert_eq "$(sql "SELECT slots || ' ' || res || ' ' || held FROM jobs WHERE id = $k")" "2 gpu=2 1" "row of $k after kill -9"
assert_eq "$(show_field "$k" slots)" 2 "slots of $k after kill -9"
assert_eq "$(show_field "$k" res)" "gpu=2" "res of $k after kill -9"
assert_eq "$(sql "SELECT ifnull(res, 'NULL') FROM jobs WHERE id = $n")" NULL "res row of $n after kill -9"
assert_rc 0 "release of $k" q release "$k"
wait_for 10 "job $k wrote its gpus" lines_ge "$T/k.out" 1
assert_eq "$(cat "$T/k.out")" "gpu=0,1" "JOBQ_RES_GPU of $k after kill -9"
# it holds both slots: a 1-slot job does not begin (it may be sent ahead
# to $k's worker, and then shows running, to begin when $k ends: jobqd's
# --run-ahead; its state is no proof, its own start is)
w=$(submit -- "$BIN/sh" -c ": >'$T/w.began'")
end=$(($(now_ms) + 400))
while [ "$(now_ms)" -lt "$end" ]; do
	[ ! -e "$T/w.began" ] || fail "1-slot job $w began while 2-slot $k runs"
	sleep 0.05
done
: >"$T/gate_k"
wait_ended "$k"
wait_ended "$w"
assert_eq "$WAIT_RC" 0 "job $w after $k"
[ -e "$T/w.began" ] || fail "job $w left no $T/w.began (the probe's positive control)"
assert_rc 0 "release of $n" q release "$n"
wait_ended "$n"
assert_eq "$WAIT_RC" 0 "job $n without resources"

# --- a job asking more than a restarted jobqd has --------------------------------
x=$(submit --hold --slots 2 --res gpu=2 -- "$BIN/sh" -c "$(job_script "$T/x.out" "$T/gate_x")")
stop_daemon
start_daemon --resource gpu=1
assert_rc 0 "release of $x" q release "$x"
assert_stays "$x" queued 400 "job $x asking gpu=2 of a jobqd with 1"
assert_rc 1 "edit of the slots alone of $x" q edit "$x" --slots 1
grep -q "change its slots and res together" "$T/err" || fail "slots alone: [$(cat "$T/err")]"
assert_rc 1 "edit of $x to gpu=2 on a jobqd with 1" q edit "$x" --slots 1 --res gpu=2
grep -q 'resource "gpu": 2 asked, but jobqd has 1' "$T/err" || fail "gpu=2 of 1: [$(cat "$T/err")]"
assert_rc 0 "edit of $x to 1 slot and gpu=1" q edit "$x" --slots 1 --res gpu=1
wait_for 10 "job $x wrote its gpus" lines_ge "$T/x.out" 1
assert_eq "$(cat "$T/x.out")" "gpu=0" "JOBQ_RES_GPU of $x"
assert_eq "$(sql "SELECT slots || ' ' || res FROM jobs WHERE id = $x")" "1 gpu=1" "row of $x"
: >"$T/gate_x"
wait_ended "$x"
assert_eq "$WAIT_RC" 0 "job $x"
stop_daemon
