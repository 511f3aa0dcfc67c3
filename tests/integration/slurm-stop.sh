#!/usr/bin/env bash
# slurm-stop.sh - an orderly stop of jobqd (SIGTERM) leaves its runs on
# Slurm alone: jobqd exits promptly while a job with a --timeout runs on
# Slurm and another is pending there; their rows stay running with their
# Slurm ids; a restarted jobqd adopts them, each ends once with its real
# result (the pending one runs once), no Slurm job is submitted twice, and
# the adopted job's timeout still stops a job that runs too long.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=slurm-lib.sh
. "$(dirname "${TESTLIB:-$0}")/slurm-lib.sh"

slurm_skip_if_absent
SLURM_CPUS=2 slurm_start 1
slurm_start_jobqd
assert_rc 0 "queue set S --executor slurm" q queue set S --executor slurm

running_in_slurm() { [ "$(slurm_nruns "$1" RUNNING)" = 1 ]; }
pending_in_slurm() { [ "$(slurm_nruns "$1" PENDING)" = 1 ]; }
# two CPUs: a (4 s, timeout 1 min) and b (forever, timeout 6 s) run, c pends
a=$(submit --queue S --timeout 1m -- "$BIN/sh" -c "\"$BIN/sleep\" 4; echo a done")
b=$(submit --queue S --timeout 6s -- "$BIN/sh" -c "echo b started; exec \"$BIN/sleep\" 600")
c=$(submit --queue S -- "$BIN/sh" -c 'echo c ran')
wait_for 30 "job $a running in Slurm" running_in_slurm "$a"
wait_for 30 "job $b running in Slurm" running_in_slurm "$b"
wait_for 30 "job $c pending in Slurm" pending_in_slurm "$c"

stop_daemon
for j in "$a" "$b" "$c"; do
	assert_eq "$(sql "SELECT state || ' ' || executor || ' ' || (slurm_id > 0) FROM jobs WHERE id = $j")" \
		"running slurm 1" "row of job $j after an orderly stop"
done
assert_eq "$(slurm_nruns "$a" RUNNING)" 1 "job $a still running in Slurm with jobqd stopped"

slurm_start_jobqd
wait_for 60 "job $a ended" state_is "$a" succeeded
assert_eq "$(q logs "$a")" "a done" "output of job $a"
wait_for 60 "job $c ended" state_is "$c" succeeded
assert_eq "$(q logs "$c")" "c ran" "output of job $c"
wait_for 60 "job $b timed out" state_is "$b" timed_out
assert_eq "$(q logs "$b")" "b started" "output of job $b"
for j in "$a" "$b" "$c"; do
	assert_eq "$(slurm_runs "$j" | wc -l)" 1 "Slurm jobs of job $j"
done
[ -z "$(slurm_dup_names)" ] || fail "Slurm job names submitted twice: $(slurm_dup_names)"
not_active() { [ "$(slurm_nruns "$1" 'PENDING|RUNNING|COMPLETING|CONFIGURING')" = 0 ]; }
wait_for 15 "job $b gone from squeue's active jobs" not_active "$b"
stop_daemon
exit 0
