#!/usr/bin/env bash
# slurm-user.sh - a root jobqd's Slurm queue runs each job as its submitter:
# sbatch runs as her (Slurm's UserId is hers), the job's id is hers, its
# output files in LOGS/UID/ are hers (0600) and hold what it printed; a job
# whose working directory does not exist fails to start (Slurm itself would
# run it in /tmp), and another user cannot read her output.  Needs root,
# useradd, runuser and Slurm; skips (77) otherwise.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=slurm-lib.sh
. "$(dirname "${TESTLIB:-$0}")/slurm-lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root"
command -v useradd >/dev/null && command -v userdel >/dev/null || skip "useradd/userdel missing"
command -v runuser >/dev/null || skip "runuser missing"
slurm_skip_if_absent

UA=jqt_slurm_a
UB=jqt_slurm_b
del_users() { userdel "$UA" 2>/dev/null; userdel "$UB" 2>/dev/null; return 0; }
del_users
trap 'rc=$?; del_users; (exit $rc); slurm_exit_trap' EXIT
add_user "$UA"
add_user "$UB"
UIDA=$(id -u "$UA")
chmod 755 "$T"
as() { local u=$1; shift; runuser -u "$u" -- "$JOBQ" -s "$SOCK" "$@"; }

slurm_start 1
# jobqd has no --socket-mode (jobqd.conf's socket-mode is the option): the
# socket opened to the users as mu-fair.sh does.
slurm_start_jobqd
chmod 0666 "$SOCK"
assert_rc 0 "queue set S --executor slurm" q queue set S --executor slurm

mkdir -p "$T/work"
chmod 777 "$T/work"
j=$(as "$UA" submit --queue S --cwd "$T/work" -- sh -c 'id -u; pwd; echo err >&2') ||
	fail "submit as $UA"
wait_for 60 "job $j ended" state_is "$j" succeeded
sid=$(slurm_runs "$j" | awk '{print $1}')
[ -n "$sid" ] || fail "no Slurm job for job $j"
assert_eq "$(slurm_squeue -h -t all -j "$sid" -o '%U')" "$UIDA" "Slurm's UserId of job $j"
out="$STATE/logs/$UIDA/$j.out"
assert_eq "$(stat -c '%u %a' "$out")" "$UIDA 600" "owner and mode of $out"
assert_eq "$(stat -c '%u %a' "$STATE/logs/$UIDA/$j.err")" "$UIDA 600" "owner and mode of its stderr file"
assert_eq "$(cat "$out")" "$UIDA
$T/work" "what job $j printed (its uid, its directory)"
assert_eq "$(as "$UA" logs "$j")" "$UIDA
$T/work" "jobq logs of job $j, by its owner"
assert_rc 1 "$UB reads $UA's output" as "$UB" logs "$j"

# a working directory gone by the time the job starts (jobq itself refuses
# one that does not exist): spawn_failed, not a run in /tmp
mkdir "$T/gone" && chmod 777 "$T/gone"
assert_rc 0 "pause S" q queue pause S
k=$(as "$UA" submit --queue S --cwd "$T/gone" -- true 2>"$T/sub.err") ||
	fail "submit with a cwd to remove: $(cat "$T/sub.err")"
rmdir "$T/gone"
assert_rc 0 "resume S" q queue resume S
wait_for 30 "job $k ended" state_is "$k" failed
assert_eq "$(show_field "$k" reason)" spawn_failed "reason of job $k"
assert_match "$(show_field "$k" message)" "working directory" "message of job $k"
assert_eq "$(slurm_runs "$k" | wc -l)" 0 "Slurm jobs of job $k"
exit 0
