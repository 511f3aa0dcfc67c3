#!/usr/bin/env bash
# sched-unique-labels.sh - --unique KEY: a second submit while the first job
# is queued or running prints the same id, says so on stderr, exits 0 and
# creates nothing; once the job ended a new one is created.  --label K=V and
# list filters --label (all must match) and --name.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
start_daemon

rows() { sql "SELECT count(*) || ',' || max(id) FROM jobs"; }

# --- --unique ----------------------------------------------------------------------
u1=$(submit --unique k1 -- "$BIN/sh" -c "$(gate_script "$T/g1")")
wait_for 10 "job $u1 running" state_is "$u1" running
assert_eq "$(show_field "$u1" unique_key)" k1 "unique_key of job $u1"
before=$(rows)
assert_rc 0 "second submit --unique k1 while running" q submit --unique k1 -- true
assert_eq "$(cat "$T/out")" "$u1" "id printed by a duplicate --unique submit"
assert_eq "$(cat "$T/err")" "jobq: job $u1 with key k1 is already running" "stderr of a duplicate --unique submit"
assert_eq "$(rows)" "$before" "jobs after a duplicate --unique submit"
# queued (behind the only worker)
u2=$(submit --unique k2 -- true)
assert_eq "$(job_state "$u2")" queued "state of job $u2"
before=$(rows)
assert_rc 0 "second submit --unique k2 while queued" q submit --unique k2 --name other -- false
assert_eq "$(cat "$T/out")" "$u2" "id printed by a duplicate --unique submit (queued)"
assert_eq "$(cat "$T/err")" "jobq: job $u2 with key k2 is already queued" "stderr of a duplicate --unique submit (queued)"
q --json submit --unique k2 -- true >"$T/out" 2>"$T/err" || fail "submit --json --unique k2"
grep -q "$u2" "$T/out" || fail "submit --json of a duplicate --unique: $(cat "$T/out")"
assert_eq "$(rows)" "$before" "jobs after duplicate --unique submits"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id = $u2")" 1 "rows of job $u2"
assert_ne "$(show_field "$u2" name)" other "name of job $u2 (the duplicate's --name is not applied)"
# --wait on a duplicate waits for the existing job
timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait --unique k2 -- false >"$T/dup.out" 2>"$T/dup.err" &
dup_wait=$!
EXTRA_PIDS=$dup_wait
# a different key creates a new job
u3=$(submit --unique k3 -- true)
assert_ne "$u3" "$u2" "id of a job with another key"
: >"$T/g1"
wait_ended "$u1"
wait_ended "$u2"
wait "$dup_wait"
rc=$?
[ "$rc" = 0 ] || fail "submit --wait of a duplicate --unique exited $rc (should wait for job $u2, which succeeds): $(cat "$T/dup.err")"
assert_eq "$(head -n1 "$T/dup.out")" "$u2" "id printed by submit --wait of a duplicate --unique"
EXTRA_PIDS=
# ended: a new job
before_max=$(sql "SELECT max(id) FROM jobs")
u4=$(q submit --unique k1 -- true 2>"$T/err") || fail "submit --unique k1 after job $u1 ended"
[ "$u4" -gt "$before_max" ] || fail "submit --unique k1 after job $u1 ended printed $u4, not a new id"
assert_eq "$(cat "$T/err")" "" "stderr of a submit --unique creating a job"
# a failed job with the key does not count either
f=$(submit --unique k5 -- false)
wait_ended "$f"
f2=$(submit --unique k5 -- true)
assert_ne "$f2" "$f" "submit --unique after a failed job with the key"
wait_ended "$u4"
wait_ended "$f2"
assert_rc 2 "submit --unique ''" q submit --unique "" -- true

# --- labels --------------------------------------------------------------------------
l1=$(submit --label a=1 --label b=2 --name build -- true)
l2=$(submit --label a=1 --name build -- true)
l3=$(submit --label a=2 --label b=2 --name test -- true)
l4=$(submit --name build2 -- true)
l5=$(submit --label url=http://x/?q=1 -- true)
for id in "$l1" "$l2" "$l3" "$l4" "$l5"; do wait_ended "$id"; done
show_field "$l1" labels | pycheck "labels of job $l1" '
if sorted(o) != ["a=1", "b=2"]: bad("labels %r" % (o,))'
assert_eq "$(show_field "$l4" labels)" "[]" "labels of a job without"
show_field "$l5" labels | pycheck "labels of job $l5" '
if o != ["url=http://x/?q=1"]: bad("labels %r" % (o,))'
assert_eq "$(ids_of --label a=1)" "$l1 $l2" "list --label a=1"
assert_eq "$(ids_of --label a=1 --label b=2)" "$l1" "list --label a=1 --label b=2"
assert_eq "$(ids_of --label b=2)" "$l1 $l3" "list --label b=2"
assert_eq "$(ids_of --label a=3)" "" "list --label a=3"
assert_eq "$(ids_of --label a=1 --label b=3)" "" "list --label a=1 --label b=3"
assert_eq "$(ids_of --label url=http://x/?q=1)" "$l5" "list --label with = in the value"
assert_eq "$(ids_of --label a=1 --state failed)" "" "list --label a=1 --state failed"
assert_rc 0 "plain list --label a=1" q list --label a=1
grep -qw "$l2" "$T/out" || fail "plain list --label a=1 lacks job $l2: $(cat "$T/out")"
grep -qw "$l3" "$T/out" && fail "plain list --label a=1 shows job $l3: $(cat "$T/out")"
# --name
assert_eq "$(ids_of --name build)" "$l1 $l2" "list --name build (exact)"
assert_eq "$(ids_of --name test)" "$l3" "list --name test"
assert_eq "$(ids_of --name nonesuch)" "" "list --name nonesuch"
assert_eq "$(ids_of --name build --label b=2)" "$l1" "list --name build --label b=2"
assert_eq "$(ids_of --name build --limit 1)" "$l2" "list --name build --limit 1"
# bad labels
before=$(rows)
for bad in noequals =v "" "a"; do
	assert_rc 2 "submit --label '$bad'" q submit --label "$bad" -- true
	[ -s "$T/err" ] || fail "submit --label '$bad': no message"
	assert_rc 2 "list --label '$bad'" q list --label "$bad"
done
long=$(printf 'k=%0300d' 0)
assert_rc "1|2" "submit with a label over 256 bytes" q submit --label "$long" -- true
args=()
for i in $(seq 1 65); do args+=(--label "k$i=v"); done
assert_rc "1|2" "submit with 65 labels" q submit "${args[@]}" -- true
assert_eq "$(rows)" "$before" "jobs after refused submits"

# --- retry keeps a unique key unique ------------------------------------------
old=$(submit --unique rk -- "$BIN/sh" -c 'exit 1')
wait_ended "$old"
new=$(submit --unique rk -- "$BIN/sh" -c "$(gate_script "$T/rk.gate")")
[ "$new" != "$old" ] || fail "submit --unique rk after $old ended returned $old"
wait_for 10 "job $new running" state_is "$new" running
assert_rc 1 "retry of $old while $new holds its unique key" q retry "$old"
grep -q "same unique key" "$T/err" || fail "retry refused without saying why: $(cat "$T/err")"
assert_eq "$(job_state "$old")" failed "job $old after the refused retry"
: >"$T/rk.gate"
wait_ended "$new"
assert_rc 0 "retry of $old once $new ended" q retry "$old"
wait_ended "$old"
assert_eq "$(show_field "$old" attempts)" 1 "attempts of $old after its retry"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-unique-labels: ok"
