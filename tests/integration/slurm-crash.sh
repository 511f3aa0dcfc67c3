#!/usr/bin/env bash
# slurm-crash.sh - jobq's Slurm executor survives its own crash and the
# controller's absence:
#   1. kill -9 of jobqd with jobs running and pending in Slurm (and more still
#      queued in jobq), then a restart: every job ends exactly once with its
#      real result (state, exit code, output; each job counts its runs in a
#      file), one Slurm job per jobq job (no sbatch of the same attempt
#      twice: job names counted in squeue), nothing left in Slurm.
#   2. slurmctld stopped for 20 s while jobs are in flight: `jobq ping` and
#      `jobq list` keep answering promptly, `jobq stats` reports the
#      controller unreachable (text and JSON); once it is back, stats says
#      reachable and every job ends right, exactly once.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=slurm-lib.sh
. "$(dirname "${TESTLIB:-$0}")/slurm-lib.sh"

slurm_skip_if_absent
SLURM_CPUS=2 slurm_start 1
WORKERS=2
# Each Slurm command may take 3 s before jobqd calls the controller
# unreachable.
SLURM_TIMEOUT_MS=8000  # above the 2.5 s * SLOW a reply may take: a loop blocked on a Slurm command would show
slurm_start_jobqd
assert_rc 0 "queue set S --executor slurm" q queue set S --executor slurm

# job_script ID-FILE-KEY SECS CODE: counts its run in $T/runs.KEY, prints
# "ran KEY", sleeps SECS, exits CODE.
job_script() {
	printf 'echo x >>"%s/runs.%s"; echo "ran %s"; "%s" %s; exit %s' "$T" "$1" "$1" "$BIN/sleep" "$2" "$3"
}

# check_once KEY ID STATE CODE: job ID ended STATE with exit code CODE, ran
# once, printed its line, has one Slurm job.
check_once() {
	local key=$1 id=$2
	assert_eq "$(job_state "$id") $(show_field "$id" exit_code)" "$3 $4" "job $id ($key): state, exit code"
	assert_eq "$(nlines "$T/runs.$key")" 1 "runs of job $id ($key)"
	assert_eq "$(q logs "$id")" "ran $key" "output of job $id ($key)"
	assert_eq "$(show_field "$id" attempts)" 1 "attempts of job $id ($key)"
	assert_eq "$(slurm_nruns "$id")" 1 "Slurm jobs of jobq job $id ($key): $(slurm_runs "$id")"
}

# --- 1. kill -9 of jobqd ---------------------------------------------------------
# 2 CPUs: r1, r2 run (6 s), p1..p3 pend in Slurm or stay queued in jobq.
declare -A ID
ID[r1]=$(submit --queue S -- "$BIN/sh" -c "$(job_script r1 6 0)")
ID[r2]=$(submit --queue S -- "$BIN/sh" -c "$(job_script r2 6 3)")
ID[p1]=$(submit --queue S -- "$BIN/sh" -c "$(job_script p1 1 0)")
ID[p2]=$(submit --queue S -- "$BIN/sh" -c "$(job_script p2 1 5)")
ID[p3]=$(submit --queue S -- "$BIN/sh" -c "$(job_script p3 1 0)")
in_slurm_state() { [ "$(slurm_nruns "$1" "$2")" = 1 ]; }
wait_for 30 "r1 running in Slurm" in_slurm_state "${ID[r1]}" RUNNING
wait_for 30 "r2 running in Slurm" in_slurm_state "${ID[r2]}" RUNNING
wait_for 30 "p1 pending in Slurm" in_slurm_state "${ID[p1]}" PENDING
log "before kill -9: $(slurm_squeue -h -o '%j %T' | tr '\n' ';')"
kill9_daemon
# Slurm goes on without jobqd.
slurm_start_jobqd
for k in r1 r2 p1 p2 p3; do wait_ended "${ID[$k]}" 60; done
check_once r1 "${ID[r1]}" succeeded 0
check_once r2 "${ID[r2]}" failed 3
check_once p1 "${ID[p1]}" succeeded 0
check_once p2 "${ID[p2]}" failed 5
check_once p3 "${ID[p3]}" succeeded 0
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"
assert_eq "$(slurm_jobq_active)" 0 "jobq jobs still in Slurm after the restart"

# A crash in the middle of a burst: some runs submitted, some recorded,
# some neither.  After the restart each of 12 jobs runs exactly once.
burst=()
for i in $(seq 1 12); do
	burst+=("$(submit --queue S -- "$BIN/sh" -c "$(job_script "b$i" 0.5 0)")")
done
some_in_slurm() { [ "$(slurm_squeue -h -t all -o %j | grep -c '^jobq\.')" -gt 5 ]; }
wait_for 30 "some of the burst submitted to Slurm" some_in_slurm
kill9_daemon
slurm_start_jobqd
i=0
for id in "${burst[@]}"; do
	i=$((i + 1))
	wait_ended "$id" 60
	check_once "b$i" "$id" succeeded 0
done
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"
log "kill -9: 17 jobs ended once each, no duplicate sbatch"

# --- 2. slurmctld stopped for 20 s ------------------------------------------------
c1=$(submit --queue S -- "$BIN/sh" -c "$(job_script c1 4 0)")
c2=$(submit --queue S -- "$BIN/sh" -c "$(job_script c2 4 2)")
wait_for 30 "c1 running in Slurm" in_slurm_state "$c1" RUNNING
wait_for 30 "c2 running in Slurm" in_slurm_state "$c2" RUNNING
c3=$(submit --queue S -- "$BIN/sh" -c "$(job_script c3 1 0)")
wait_for 30 "c3 pending in Slurm" in_slurm_state "$c3" PENDING
slurm_ctld_stop
down_at=$(now_ms)
# submitted while the controller is away
c4=$(submit --queue S -- "$BIN/sh" -c "$(job_script c4 1 0)")

# slow_cmd MS CMD...: CMD answered within MS ms (else fail).
slow_cmd() {
	local lim=$1 t0 t1
	shift
	t0=$(now_ms)
	timeout 10 "$@" >/dev/null 2>"$T/slow.err" || fail "\`$*\` failed with slurmctld down: $(cat "$T/slow.err")"
	t1=$(now_ms)
	[ $((t1 - t0)) -le "$lim" ] || fail "\`$*\` took $((t1 - t0)) ms with slurmctld down"
}
unreachable_json() {
	q --json stats 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin).get("slurm")
sys.exit(0 if isinstance(s, dict) and s.get("reachable") is False else 1)'
}
seen_unreachable=
while [ $(($(now_ms) - down_at)) -lt 20000 ]; do
	slow_cmd $((2500 * SLOW)) "$JOBQ" -s "$SOCK" ping
	slow_cmd $((2500 * SLOW)) "$JOBQ" -s "$SOCK" list
	if [ -z "$seen_unreachable" ] && unreachable_json; then
		seen_unreachable=$(($(now_ms) - down_at))
		q stats >"$T/stats.txt" || fail "jobq stats with slurmctld down"
		grep -q 'slurm: controller UNREACHABLE since' "$T/stats.txt" ||
			fail "jobq stats does not say the controller is unreachable: $(cat "$T/stats.txt")"
		q queue list >"$T/ql.txt" || fail "jobq queue list with slurmctld down"
		grep -q 'UNREACHABLE' "$T/ql.txt" || fail "jobq queue list does not say the controller is unreachable: $(cat "$T/ql.txt")"
	fi
	sleep 0.2
done
[ -n "$seen_unreachable" ] || fail "jobq stats never reported the controller unreachable in 20 s: $(q --json stats)"
log "controller reported unreachable $seen_unreachable ms after it stopped"
for j in $c1 $c2 $c3 $c4; do
	case $(job_state "$j") in
	queued | running) ;;
	*) fail "job $j ended $(job_state "$j") while slurmctld was down" ;;
	esac
done
slurm_ctld_start
reachable_json() {
	q --json stats 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin).get("slurm")
sys.exit(0 if isinstance(s, dict) and s.get("reachable") is True else 1)'
}
wait_for 30 "jobq stats: controller reachable again" reachable_json
for j in $c1 $c2 $c3 $c4; do wait_ended "$j" 90; done
check_once c1 "$c1" succeeded 0
check_once c2 "$c2" failed 2
check_once c3 "$c3" succeeded 0
check_once c4 "$c4" succeeded 0
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"
pycheck "stats.slurm after the outage" '
s = o.get("slurm")
if not isinstance(s, dict): bad("no slurm member")
else:
    for k in ("reachable", "since", "error", "pending", "running", "submitting"):
        if k not in s: bad("no %s" % k)
    if s.get("pending") != 0 or s.get("running") != 0 or s.get("submitting") != 0:
        bad("jobs still counted in Slurm: %r" % s)' <<<"$(q --json stats)"
assert_eq "$(slurm_jobq_active)" 0 "jobq jobs still in Slurm at the end"
exit 0
