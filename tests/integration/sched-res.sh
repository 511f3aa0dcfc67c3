#!/usr/bin/env bash
# sched-res.sh - named resources: jobqd --resource (and jobqd.conf's
# `resource`, repeatable) with its errors; submit --res NAME=N: the job
# gets the lowest free instances in JOBQ_RES_<NAME> (and gpu in
# CUDA_VISIBLE_DEVICES), concurrent jobs never share an instance (checked
# on the intervals the jobs record), license=2 lets 2 run at once, unknown
# or oversized requests are refused; show, SQLite rows, stats and queue
# list say what is used.  kill -9 of jobqd with resource jobs running,
# then a restart: the old runs are gone (reaped), a retried one and a new
# one get instances, and no instance is held by two running jobs (outputs
# and rows in SQLite).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# --- jobqd refuses bad resources ----------------------------------------------------
bad_jobqd() { # WANT-RC MESSAGE-ERE ARGS...
	local want=$1 ere=$2
	shift 2
	"$JOBQD" --socket "$T/bad.sock" --state-dir "$T/bad" "$@" >"$T/out" 2>"$T/err" </dev/null
	local rc=$?
	[ "$rc" = "$want" ] || fail "jobqd $*: exit $rc, expected $want: $(head -c 300 "$T/err")"
	grep -qE "$ere" "$T/err" || fail "jobqd $*: message [$(head -c 300 "$T/err")] does not match /$ere/"
}
bad_jobqd 2 'resource "gpu": a count of 0' --resource gpu=0
bad_jobqd 2 'the name must be a letter' --resource 1gpu=2
bad_jobqd 2 'too many instances' --resource gpu=65
bad_jobqd 2 'instance "a" twice' --resource gpu=a,a
bad_jobqd 2 'NAME=COUNT or NAME=a,b,c' --resource gpu
bad_jobqd 2 '"GPU" is configured twice' --resource gpu=2 --resource GPU=1
many=()
for i in $(seq 1 17); do many+=(--resource "r$i=1"); done
bad_jobqd 2 'too many' "${many[@]}"
printf 'resource = gpu=2\nresource = gpu=1\n' >"$T/dup.conf"
bad_jobqd 1 'dup.conf:2: resource: resource "gpu" is configured twice' --config "$T/dup.conf"
printf 'resource = license=0\n' >"$T/zero.conf"
bad_jobqd 1 'zero.conf:1: resource: resource "license": a count of 0' --config "$T/zero.conf"
[ -e "$T/bad/jobq.db" ] && fail "a refused jobqd created its database"

# --- the daemon, its resources from jobqd.conf ----------------------------------------
CONF="$T/jobqd.conf"
printf 'resource = gpu=0,1,2,3\nresource = license=2\n' >"$CONF"
WORKERS=4
start_daemon --config "$CONF"
# the library's side first, on an idle daemon (it expects gpu=0,1 free)
assert_rc 0 "itest_lib res" timeout $((60 * SLOW)) "$ITEST_LIB" res "$SOCK"

assert_rc 1 "--res tpu=1" q submit --res tpu=1 -- true
grep -q 'unknown resource "tpu"' "$T/err" || fail "--res tpu=1: [$(cat "$T/err")]"
assert_rc 1 "--res gpu=5" q submit --res gpu=5 -- true
grep -q 'resource "gpu": 5 asked, but jobqd has 4' "$T/err" || fail "--res gpu=5: [$(cat "$T/err")]"
assert_rc 1 "--res gpu=0" q submit --res gpu=0 -- true
grep -q 'the count must be a number from 1' "$T/err" || fail "--res gpu=0: [$(cat "$T/err")]"
assert_rc 1 "--res gpu=1,gpu=1" q submit --res gpu=1,gpu=1 -- true
grep -q 'asked twice' "$T/err" || fail "--res gpu=1,gpu=1: [$(cat "$T/err")]"
assert_rc 2 "--res gpu" q submit --res gpu -- true
grep -q "invalid --res 'gpu'" "$T/err" || fail "--res gpu: [$(cat "$T/err")]"
assert_eq "$(sql "SELECT count(*) FROM jobs")" 2 "rows after refused submits (the 2 of itest_lib)"

# --- concurrent gpu jobs never share an instance ---------------------------------------
# Each task records "S|E INDEX NANOS GPUS CUDA".
rec="$T/gpu"
gpu_job="echo \"S \$JOBQ_ARRAY_INDEX \$(date +%s%N) \$JOBQ_RES_GPU \$CUDA_VISIBLE_DEVICES\" >>'$rec'; \"$BIN/sleep\" 0.3; echo \"E \$JOBQ_ARRAY_INDEX \$(date +%s%N) \$JOBQ_RES_GPU \$CUDA_VISIBLE_DEVICES\" >>'$rec'"
arr=$(submit --array 1-6 --res gpu=2 -- "$BIN/sh" -c "$gpu_job")
wait_ended "$arr" 60
assert_eq "$WAIT_RC" 0 "wait of the gpu array $arr"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $arr AND res = 'gpu=2'")" 6 "res of the tasks of $arr"
python3 - "$rec" <<'EOF' || fail "gpu instances: $(cat "$rec")"
import sys
runs = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) != 5: sys.exit("bad line %r" % line)
    k, i, t, g, c = p
    if g != c: sys.exit("JOBQ_RES_GPU %s != CUDA_VISIBLE_DEVICES %s" % (g, c))
    runs.setdefault(i, {})[k] = (int(t), frozenset(g.split(",")))
if len(runs) != 6: sys.exit("%d runs" % len(runs))
for i, r in runs.items():
    if set(r) != {"S", "E"}: sys.exit("task %s: %r" % (i, r))
    g = r["S"][1]
    if len(g) != 2 or not g <= {"0", "1", "2", "3"}: sys.exit("task %s got %s" % (i, sorted(g)))
# task 1 starts first (FIFO), on an idle pool: the lowest instances
if runs["1"]["S"][1] != {"0", "1"}: sys.exit("task 1 got %s, not the lowest 0,1" % sorted(runs["1"]["S"][1]))
v = list(runs.items())
for a in range(len(v)):
    for b in range(a + 1, len(v)):
        (ia, ra), (ib, rb) = v[a], v[b]
        overlap = ra["S"][0] < rb["E"][0] and rb["S"][0] < ra["E"][0]
        if overlap and ra["S"][1] & rb["S"][1]:
            sys.exit("tasks %s and %s ran at once with %s" % (ia, ib, sorted(ra["S"][1] & rb["S"][1])))
EOF
# what the rows say: each task was given 2 gpus
sql "SELECT res_given FROM jobs WHERE array_id = $arr" >"$T/given"
grep -cE '^gpu=[0-3],[0-3]$' "$T/given" | grep -x 6 >/dev/null || fail "res_given of $arr: $(cat "$T/given")"

# --- license=2: two at once --------------------------------------------------------
l1=$(submit --res license=1 -- "$BIN/sh" -c "echo \$JOBQ_RES_LICENSE >'$T/l1'; $(gate_script "$T/lgate")")
l2=$(submit --res license=1 -- "$BIN/sh" -c "echo \$JOBQ_RES_LICENSE >'$T/l2'; $(gate_script "$T/lgate")")
l3=$(submit --res license=1 -- "$BIN/sh" -c "echo \$JOBQ_RES_LICENSE >'$T/l3'")
wait_for 10 "two license jobs running" state_is "$l2" running
state_is "$l1" running || fail "license job $l1 not running"
assert_stays "$l3" queued 500 "third license job $l3"
assert_eq "$(sort "$T/l1" "$T/l2" | tr '\n' ' ')" "0 1 " "licenses given to $l1 and $l2"
q stats >"$T/stats" || fail "stats"
grep -q "^resource: gpu 0 used of 4, license 2 used of 2$" "$T/stats" || fail "stats: $(cat "$T/stats")"
grep -q "^slots: *2 used of 4$" "$T/stats" || fail "stats slots: $(cat "$T/stats")"
q queue list >"$T/ql" || fail "queue list"
grep -q "^resource: gpu 0 used of 4, license 2 used of 2$" "$T/ql" || fail "queue list: $(cat "$T/ql")"
q --json stats | pycheck "stats --json usage" '
u = o.get("usage", {})
want = [{"name": "gpu", "used": 0, "total": 4}, {"name": "license", "used": 2, "total": 2}]
if u.get("resources") != want or u.get("slots_used") != 2 or u.get("slots_total") != 4:
    bad("usage %r" % (u,))'
q show "$l1" >"$T/show" || fail "show $l1"
grep -q "^resources: *license=1$" "$T/show" || fail "show $l1: $(cat "$T/show")"
grep -qE "^assigned: *license=[01]$" "$T/show" || fail "show $l1: $(cat "$T/show")"
assert_eq "$(show_field "$l3" res_given)" null "res_given of queued job $l3"
# list's columns: a running job's instances, a queued job's request
q list -o id,slots,res >"$T/list" || fail "list -o id,slots,res"
grep -qE "^ *$l1 +1 +license=[01] *$" "$T/list" || fail "list: running $l1: $(cat "$T/list")"
grep -qE "^ *$l3 +1 +license=1 *$" "$T/list" || fail "list: queued $l3: $(cat "$T/list")"
touch "$T/lgate"
wait_ended "$l3"
assert_eq "$(show_field "$l3" state)" succeeded "license job $l3"

# --- given back however a run ends: a failure waiting for its retry, a
# timeout, a cancel (each job takes all 4 gpus, so the next one can start
# only once they are back) -----------------------------------------------------------
usage_is() { q stats | grep "^resource: gpu $1 used of 4, license 0 used of 2$" >/dev/null; }
f=$(submit --retries 1 --retry-delay 1h --res gpu=4 -- sh -c 'exit 3')
wait_for 10 "job $f failed once" sh -c "[ \"\$(\"$JOBQ\" -s '$SOCK' --json show $f | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"attempts\"])')\" = 1 ]"
assert_eq "$(show_field "$f" state)" queued "job $f waiting for its retry"
assert_eq "$(show_field "$f" res_given)" null "res_given of job $f waiting for its retry"
usage_is 0 || fail "gpus held by job $f waiting for its retry: $(q stats)"
t=$(submit --timeout 1s --res gpu=4 -- "$BIN/sleep" 30)
wait_ended "$t"
assert_eq "$(show_field "$t" state)" timed_out "job $t"
assert_eq "$(show_field "$t" res_given)" "gpu=0,1,2,3" "res_given of the timed out job $t"
c=$(submit --res gpu=4 -- "$BIN/sh" -c "$(gate_script "$T/never")")
wait_for 10 "job $c running" state_is "$c" running
assert_rc 0 "cancel of $c" q cancel "$c"
wait_ended "$c"
assert_eq "$(show_field "$c" state)" canceled "job $c"
z=$(submit --res gpu=4 -- true)
wait_ended "$z"
assert_eq "$(show_field "$z" state)" succeeded "job $z after a failure, a timeout and a cancel"
usage_is 0 || fail "gpus in use at rest: $(q stats)"
assert_rc 0 "cancel of $f" q cancel "$f"

# --- a schedule's jobs ask what its template asks ---------------------------------------
assert_rc 1 "schedule add --res gpu=5" q schedule add bigres --every 1h --res gpu=5 -- true
grep -q 'resource "gpu": 5 asked, but jobqd has 4' "$T/err" || fail "schedule --res gpu=5: [$(cat "$T/err")]"
assert_rc 0 "schedule add --slots 2 --res gpu=2" q schedule add resjob --every 1h --at-start --slots 2 --res gpu=2 -- "$BIN/sh" -c 'echo "$JOBQ_RES_GPU $CUDA_VISIBLE_DEVICES"'
sj() { [ -n "$(sql "SELECT id FROM jobs WHERE schedule = 'resjob' AND state = 'succeeded'")" ]; }
wait_for 10 "the schedule's first job" sj
sid=$(sql "SELECT id FROM jobs WHERE schedule = 'resjob'")
assert_eq "$(sql "SELECT slots || ' ' || res || ' ' || res_given FROM jobs WHERE id = $sid")" "2 gpu=2 gpu=0,1" "slots, res and res_given of the schedule's job $sid"
assert_eq "$(q logs "$sid")" "0,1 0,1" "the schedule's job $sid's instances"
q schedule show resjob >"$T/sshow" || fail "schedule show resjob"
grep -qx 'slots: *2' "$T/sshow" && grep -qx 'resources: *gpu=2' "$T/sshow" || fail "schedule show: $(cat "$T/sshow")"
assert_eq "$(q --json schedule show resjob | jf slots res | tr '\n' ' ')" "2 gpu=2 " "slots and res of schedule show --json"
assert_rc 0 "schedule remove resjob" q schedule remove resjob

# --- kill -9 of jobqd with resource jobs running ----------------------------------------
kjob() { # NAME: records "PID GPUS" in $T/k.NAME (one line a run), then waits
	printf 'echo "$$ $JOBQ_RES_GPU" >>"%s"; %s' "$T/k.$1" "$(gate_script "$T/kgate")"
}
r1=$(submit --retries 1 --retry-delay 1s --res gpu=2 -- "$BIN/sh" -c "$(kjob r1)")
r2=$(submit --res gpu=2 -- "$BIN/sh" -c "$(kjob r2)")
wait_for 10 "r1 and r2 running" lines_ge "$T/k.r2" 1
wait_for 10 "r1 running" lines_ge "$T/k.r1" 1
old1=$(cut -d' ' -f1 "$T/k.r1")
old2=$(cut -d' ' -f1 "$T/k.r2")
sql "SELECT res_given FROM jobs WHERE state = 'running' ORDER BY id" >"$T/rows"
assert_eq "$(sort "$T/rows" | tr '\n' ' ')" "gpu=0,1 gpu=2,3 " "res_given of the running jobs before kill -9"
kill9_daemon
start_daemon --config "$CONF"
kill -0 "$old1" 2>/dev/null && fail "the old run of $r1 (pid $old1) survived the restart"
kill -0 "$old2" 2>/dev/null && fail "the old run of $r2 (pid $old2) survived the restart"
assert_eq "$(show_field "$r2" state)" interrupted "job $r2 after kill -9"
r3=$(submit --res gpu=2 -- "$BIN/sh" -c "$(kjob r3)")
wait_for 10 "r3 running" lines_ge "$T/k.r3" 1
wait_for 15 "r1 running again" lines_ge "$T/k.r1" 2
g1=$(sed -n 2p "$T/k.r1" | cut -d' ' -f2)
g3=$(cut -d' ' -f2 "$T/k.r3")
python3 - "$g1" "$g3" <<'EOF' || fail "after the restart r1 got [$g1], r3 got [$g3]"
import sys
a, b = (set(x.split(",")) for x in sys.argv[1:3])
sys.exit(0 if len(a) == 2 and len(b) == 2 and not a & b else 1)
EOF
sql "SELECT id || ' ' || res_given FROM jobs WHERE state = 'running' ORDER BY id" >"$T/rows"
assert_eq "$(tr '\n' ' ' <"$T/rows")" "$r1 gpu=$g1 $r3 gpu=$g3 " "running rows after the restart"
assert_eq "$(show_field "$r1" attempts)" 2 "attempts of $r1"
q stats >"$T/stats" || fail "stats"
grep -q "^resource: gpu 4 used of 4, license 0 used of 2$" "$T/stats" || fail "stats after the restart: $(cat "$T/stats")"
touch "$T/kgate"
wait_ended "$r1"
wait_ended "$r3"
q stats >"$T/stats" || fail "stats"
grep -q "^resource: gpu 0 used of 4, license 0 used of 2$" "$T/stats" || fail "stats at the end: $(cat "$T/stats")"
grep -q "^slots: *0 used of 4$" "$T/stats" || fail "slots at the end: $(cat "$T/stats")"

# --- a restart with fewer instances: a job asking more is kept aside ----------
big=$(submit --hold --res gpu=4 -- true)
stop_daemon
printf 'resource = gpu=0,1\nresource = license=2\n' >"$CONF"
start_daemon --config "$CONF"
grep -q "job $big: resource \"gpu\": 4 asked, but jobqd has 2; it stays queued" "$LOG" ||
	fail "no warning about job $big at start-up: $(tail -5 "$LOG")"
assert_rc 0 "release of $big" q release "$big"
after=$(submit --res gpu=1 -- sh -c 'echo $JOBQ_RES_GPU')
wait_ended "$after"
assert_eq "$(show_field "$after" state)" succeeded "job $after behind the impossible job $big"
assert_eq "$(q logs "$after")" 0 "gpu of job $after"
assert_eq "$(show_field "$big" state)" queued "job $big asking 4 of 2 gpus"
assert_rc 0 "cancel of $big" q cancel "$big"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-res: ok"
