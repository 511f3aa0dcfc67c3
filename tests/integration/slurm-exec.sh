#!/usr/bin/env bash
# slurm-exec.sh - a queue with `--executor slurm` runs its jobs through a real
# (private, one-node) Slurm cluster, and jobq stays the queue:
#   - queue set/list show the executor; bad settings are refused; a queue's
#     partition, account and --slurm-opt reach its Slurm jobs;
#   - 50 jobs with varied exit codes, signals and output end in the right
#     states, with exactly their output (jobq logs), one Slurm job each;
#   - argv with spaces, quotes, newlines, globs, $ and an empty string exact;
#   - ok / notok dependencies between Slurm jobs;
#   - an array throttled to %2 never has more than 2 tasks in Slurm
#     (squeue sampled all along);
#   - --retries: one Slurm job per attempt; --timeout: timed_out, gone from
#     squeue, nothing left running;
#   - cancel of a job pending in Slurm (the partition filled by long jobs)
#     and of a running one: canceled, gone from squeue's active states.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=slurm-lib.sh
. "$(dirname "${TESTLIB:-$0}")/slurm-lib.sh"

slurm_skip_if_absent
SLURM_CPUS=4 slurm_start 1
WORKERS=2
slurm_start_jobqd

# --- the executor setting ------------------------------------------------------
assert_rc 0 "queue set S --executor slurm" q queue set S --executor slurm
pycheck "queue list --json: S's executor" '
qs = o if isinstance(o, list) else o.get("queues", [])
by = {x.get("name"): x for x in qs}
s = by.get("S")
if not s: bad("no queue S")
elif s.get("executor", {}).get("type") != "slurm": bad("S executor %r" % s.get("executor"))
d = by.get("default")
if d and d.get("executor", {}).get("type") != "local": bad("default executor %r" % d.get("executor"))' <<<"$(q --json queue list)"
q queue list >"$T/ql" || fail "queue list"
grep -q slurm "$T/ql" || fail "queue list shows no executor line for S: $(cat "$T/ql")"

assert_rc 0 "queue set P with partition, account, opts" \
	q queue set P --executor slurm --partition debug --account acct_1 --slurm-opt mem=100M --slurm-opt exclusive
pycheck "queue P's executor" '
qs = o if isinstance(o, list) else o.get("queues", [])
p = {x.get("name"): x for x in qs}.get("P", {}).get("executor", {})
want = {"type": "slurm", "partition": "debug", "account": "acct_1", "opts": ["mem=100M", "exclusive"]}
for k, v in want.items():
    if p.get(k) != v: bad("%s=%r, expected %r" % (k, p.get(k), v))' <<<"$(q --json queue list)"
# a job of P carries the partition, account and options into Slurm
pj=$(submit --queue P -- "$BIN/sh" -c 'echo "$SLURM_JOB_PARTITION $SLURM_JOB_ACCOUNT"')
wait_ended "$pj" 30
assert_eq "$(job_state "$pj")" succeeded "job $pj of queue P"
assert_eq "$(slurm_runs "$pj" | wc -l)" 1 "Slurm jobs of job $pj"
sid=$(slurm_runs "$pj" | awk '{print $1}')
assert_eq "$(slurm_squeue -h -t all -j "$sid" -o '%P %a')" "debug acct_1" "partition and account of Slurm job $sid"
assert_eq "$(q logs "$pj")" "debug acct_1" "what job $pj saw"
q stats >"$T/stats" || fail "jobq stats"
grep -q '^slurm: controller reachable' "$T/stats" || fail "jobq stats has no 'slurm: controller reachable' line: $(cat "$T/stats")"
assert_rc 0 "queue set P --executor slurm --slurm-opt nice=7" \
	q queue set P --executor slurm --slurm-opt nice=7
pj=$(submit --queue P -- true)
wait_ended "$pj" 30
sid=$(slurm_runs "$pj" | awk '{print $1}')
assert_eq "$(slurm_squeue -h -t all -j "$sid" -o '%y')" 7 "nice of Slurm job $sid (--slurm-opt nice=7)"
assert_rc 0 "--executor slurm alone drops the opts" q queue set P --executor slurm
assert_rc 0 "P back to local" q queue set P --executor local
assert_rc 2 "--slurm-opt output=x" q queue set P --executor slurm --slurm-opt output=/tmp/x
grep -q 'output: set by jobq' "$T/err" || fail "--slurm-opt output refused without the documented message: $(cat "$T/err")"
assert_rc 2 "bad partition" q queue set P --executor slurm --partition 'a b'
assert_rc 2 "bad executor" q queue set P --executor pbs
assert_rc 2 "partition with local" q queue set P --executor local --partition debug
assert_rc 2 "newline in an opt value" q queue set P --executor slurm --slurm-opt "mem=1
2"

# --- 50 jobs: exit codes, signals, output --------------------------------------
# kind i%5: 0 succeeds with stdout and stderr; 1 exits 1..100; 2 kills
# itself with TERM, 3 with KILL; 4 prints 2000 lines and a last one
# without a newline.
declare -A JOB
for ((i = 0; i < 50; i++)); do
	case $((i % 5)) in
	0) s="echo \"out $i\"; echo \"err $i\" >&2" ;;
	1) s="echo \"out $i\"; exit $((i % 100 + 1))" ;;
	2) s="echo \"out $i\"; kill -TERM \$\$; \"$BIN/sleep\" 10" ;;
	3) s="kill -KILL \$\$" ;;
	4) s="seq 1 2000; printf 'last %s' $i" ;;
	esac
	JOB[$i]=$(submit --queue S -- "$BIN/sh" -c "$s")
done
for ((i = 0; i < 50; i++)); do
	wait_ended "${JOB[$i]}" 60
done
for ((i = 0; i < 50; i++)); do
	id=${JOB[$i]}
	st=$(q --json show "$id") || fail "show $id"
	read -r state code sig reason attempts <<<"$(jf state exit_code signal reason attempts <<<"$st" | tr '\n' ' ')"
	q logs "$id" >"$T/got.out" 2>"$T/logs.err" || fail "jobq logs $id: $(cat "$T/logs.err")"
	q logs "$id" --stderr >"$T/got.err" 2>"$T/logs.err" || fail "jobq logs --stderr $id: $(cat "$T/logs.err")"
	: >"$T/want.err"
	case $((i % 5)) in
	0) want="succeeded 0 null null"; printf 'out %s\n' "$i" >"$T/want.out"; printf 'err %s\n' "$i" >"$T/want.err" ;;
	1) want="failed $((i % 100 + 1)) null exit_code"; printf 'out %s\n' "$i" >"$T/want.out" ;;
	2) want="failed null 15 signal"; printf 'out %s\n' "$i" >"$T/want.out" ;;
	3) want="failed null 9 signal"; : >"$T/want.out" ;;
	4) want="succeeded 0 null null"; { seq 1 2000; printf 'last %s' "$i"; } >"$T/want.out" ;;
	esac
	assert_eq "$state $code $sig $reason" "$want" "job $id (kind $((i % 5))): state exit_code signal reason"
	assert_eq "$attempts" 1 "attempts of job $id"
	cmp -s "$T/got.out" "$T/want.out" || fail "stdout of job $id (kind $((i % 5))): $(head -c 200 "$T/got.out" | od -c | head -5)"
	cmp -s "$T/got.err" "$T/want.err" || fail "stderr of job $id (kind $((i % 5))): $(head -c 200 "$T/got.err")"
	assert_eq "$(slurm_nruns "$id")" 1 "Slurm jobs of jobq job $id ($(slurm_runs "$id"))"
	assert_eq "$(sql "SELECT executor FROM jobs WHERE id = $id")" slurm "jobs.executor of $id"
	sid=$(sql "SELECT slurm_id FROM jobs WHERE id = $id")
	assert_eq "$(slurm_runs "$id" | awk '{print $1}')" "$sid" "jobs.slurm_id of $id against squeue"
done
log "50 jobs ended right, one Slurm job each"
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"

# --- argv exact ----------------------------------------------------------------
args=("a b" "it's" 'say "hi"' $'two\nlines' "" '$HOME' '*' '\' $'tab\there' "-n")
a=$(submit --queue S -- python3 -c 'import sys, json; print(json.dumps(sys.argv[1:]))' "${args[@]}")
wait_ended "$a" 30
assert_eq "$(job_state "$a")" succeeded "argv job $a"
want=$(python3 -c 'import sys, json; print(json.dumps(sys.argv[1:]))' "${args[@]}")
assert_eq "$(q logs "$a")" "$want" "argv of job $a as the program saw it"
# the environment and cwd the job was submitted with
mkdir -p "$T/wd dir"
e=$(cd "$T/wd dir" && submit --queue S --env 'JQ_X=a b$c' -- "$BIN/sh" -c 'printf "%s|%s" "$JQ_X" "$PWD"')
wait_ended "$e" 30
assert_eq "$(q logs "$e")" "a b\$c|$T/wd dir" "env and cwd of job $e"

# --- dependencies ----------------------------------------------------------------
ok=$(submit --queue S -- "$BIN/sh" -c "\"$BIN/sleep\" 1")
bad=$(submit --queue S -- "$BIN/sh" -c "\"$BIN/sleep\" 1; exit 4")
d1=$(submit --queue S --after "ok:$ok" -- "$BIN/sh" -c 'echo d1')
d2=$(submit --queue S --after "notok:$bad" -- "$BIN/sh" -c 'echo d2')
d3=$(submit --queue S --after "ok:$bad" -- "$BIN/sh" -c 'echo d3')
d4=$(submit --queue S --after "notok:$ok" -- "$BIN/sh" -c 'echo d4')
d5=$(submit --queue S --after "any:$bad,$ok" -- "$BIN/sh" -c 'echo d5')
for j in $d1 $d2 $d3 $d4 $d5; do wait_ended "$j" 60; done
assert_eq "$(job_state "$d1") $(q logs "$d1")" "succeeded d1" "d1 after ok:$ok"
assert_eq "$(job_state "$d2") $(q logs "$d2")" "succeeded d2" "d2 after notok:$bad"
assert_eq "$(job_state "$d5") $(q logs "$d5")" "succeeded d5" "d5 after any"
assert_eq "$(job_state "$d3")" canceled "d3 after ok: of a failed job"
assert_eq "$(job_state "$d4")" canceled "d4 after notok: of a succeeded job"
assert_eq "$(slurm_nruns "$d3")$(slurm_nruns "$d4")" 00 "Slurm jobs of the canceled dependents"
for pair in "$d1 $ok" "$d2 $bad" "$d5 $bad" "$d5 $ok"; do
	read -r j dep <<<"$pair"
	[ "$(show_field "$j" started_at)" -ge "$(show_field "$dep" finished_at)" ] ||
		fail "job $j started before its dependency $dep finished"
done

# --- array %2: never more than 2 tasks in Slurm ----------------------------------
rec=$T/arr.rec
A=$(submit --queue S --array 1-8%2 -- "$BIN/sh" -c "$(rec_script "$rec" '$JOBQ_ARRAY_INDEX' 1)")
# sample squeue until the array has ended: the largest number of the
# array's tasks pending or running in Slurm at once.
(
	max=0
	while :; do
		n=$(slurm_jobq_active)
		[ "$n" -gt "$max" ] && max=$n && echo "$max" >"$T/arr.max"
		[ -e "$T/arr.done" ] && break
		sleep 0.05
	done
) &
sampler=$!
EXTRA_PIDS="$EXTRA_PIDS $sampler"
wait_ended "$A" 90
touch "$T/arr.done"
wait "$sampler"
assert_eq "$(nlines "$rec")" 16 "start and end records of the 8 tasks"
[ "$(cat "$T/arr.max" 2>/dev/null || echo 0)" -ge 1 ] || fail "the sampler never saw a task in squeue"
[ "$(cat "$T/arr.max")" -le 2 ] || fail "array %2: $(cat "$T/arr.max") jobq jobs in Slurm at once"
[ "$(max_overlap "$rec")" -le 2 ] || fail "array %2: $(max_overlap "$rec") tasks ran at once"
log "array %2: at most $(cat "$T/arr.max") in Slurm at once, $(max_overlap "$rec") running"
pycheck "array $A counts" 'c = o.get("counts", {})
if c.get("succeeded") != 8: bad("counts %r" % c)' <<<"$(array_json "$A")"

# --- retries: one Slurm job per attempt -------------------------------------------
cnt=$T/tries
r=$(submit --queue S --retries 3 --retry-delay 200ms -- "$BIN/sh" -c \
	"n=\$(cat '$cnt' 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >'$cnt'; echo try \$n; [ \$n -ge 3 ]")
wait_ended "$r" 60
assert_eq "$(job_state "$r") $(show_field "$r" attempts)" "succeeded 3" "retried job $r"
assert_eq "$(cat "$cnt")" 3 "runs of job $r"
names=$(slurm_runs "$r" | awk '{split($2, p, "."); print p[4] ":" $3}' | sort | tr '\n' ' ')
assert_eq "$names" "1:FAILED 2:FAILED 3:COMPLETED " "Slurm jobs of the attempts of job $r"

# --- timeout -------------------------------------------------------------------------
t=$(submit --queue S --timeout 3s --kill-grace 1s -- "$BIN/sh" -c "echo started; \"$BIN/sleep\" 120")
running_in_slurm() { [ "$(slurm_nruns "$1" RUNNING)" = 1 ]; }
wait_for 30 "job $t running in Slurm" running_in_slurm "$t"
markers_seen 1 "the job with a timeout"
wait_ended "$t" 30
assert_eq "$(job_state "$t") $(show_field "$t" reason)" "timed_out timeout" "job $t with --timeout 3s"
rt=$(($(show_field "$t" finished_at) - $(show_field "$t" started_at)))
[ "$rt" -ge 2900 ] && [ "$rt" -le $((3000 + 6000 * SLOW)) ] || fail "job $t timed out after $rt ms"
not_active() { [ "$(slurm_nruns "$1" 'PENDING|RUNNING|COMPLETING|CONFIGURING')" = 0 ]; }
wait_for 15 "timed-out job $t gone from squeue's active jobs" not_active "$t"
assert_no_markers 15 "processes of timed-out job $t"
assert_eq "$(q logs "$t")" started "output of the timed-out job"

# --- cancel: pending in Slurm, and running ------------------------------------------
# 4 CPUs, filled by 4 long jobs; the fifth pends in Slurm.
long=()
for i in 1 2 3 4; do
	long+=("$(submit --queue S -- "$BIN/sh" -c "echo long; \"$BIN/sleep\" 300")")
done
p=$(submit --queue S -- "$BIN/sh" -c 'echo should not run')
for j in "${long[@]}"; do wait_for 30 "long job $j running in Slurm" running_in_slurm "$j"; done
pending_in_slurm() { [ "$(slurm_nruns "$1" PENDING)" = 1 ]; }
wait_for 30 "job $p pending in Slurm" pending_in_slurm "$p"
log "jobq's state of job $p, pending in Slurm: $(job_state "$p")"
assert_rc 0 "cancel of job $p pending in Slurm" q cancel "$p"
wait_ended "$p" 30
assert_eq "$(job_state "$p")" canceled "job $p canceled while pending in Slurm"
wait_for 15 "job $p gone from squeue's active jobs" not_active "$p"
assert_eq "$(q logs "$p")" "" "output of the job canceled before it ran"

c=${long[0]}
assert_rc 0 "cancel of running job $c" q cancel "$c"
wait_ended "$c" 30
assert_eq "$(job_state "$c")" canceled "job $c canceled while running in Slurm"
wait_for 15 "job $c gone from squeue's active jobs" not_active "$c"
assert_eq "$(q logs "$c")" long "output of the canceled running job"
for j in "${long[@]:1}"; do
	assert_rc 0 "cancel of $j" q cancel "$j"
	wait_ended "$j" 30
	wait_for 15 "job $j gone from squeue's active jobs" not_active "$j"
done
assert_no_markers 15 "processes of the canceled jobs"
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"
assert_eq "$(slurm_jobq_active)" 0 "jobq jobs still in Slurm at the end"
exit 0
