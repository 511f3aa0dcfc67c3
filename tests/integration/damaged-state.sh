#!/usr/bin/env bash
# damaged-state.sh - ids are never used twice and output is never
# overwritten, whatever happened to the database: (a) jobq.db truncated to 0
# bytes with the output of N jobs in logs/: jobqd logs a loud line naming
# both numbers, the next id is above N and the old output stays as it was;
# (b) the WAL lost after a kill -9 (committed transactions gone): the same;
# (c) a symlink planted at the output path of the next job is not followed:
# the target is untouched, the job fails cleanly (spawn_failed, a clear
# message), and the job after it runs.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=25
sums() { (cd "$OUTDIR" && sha256sum -- *.out *.err | sort); }

# --- (a) a database truncated to 0 bytes ------------------------------------
start_daemon
for ((i = 1; i <= N; i++)); do
	last=$(submit -- sh -c "echo out of job $i; echo err of job $i >&2")
done
assert_rc 0 "the first $N jobs" timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" wait $(seq 1 "$last")
assert_eq "$last" "$N" "id of job $N"
assert_eq "$(q logs "$N")" "out of job $N" "output of job $N"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
sums >"$T/before"
[ "$(wc -l <"$T/before")" -eq $((2 * N)) ] || fail "expected $((2 * N)) output files: $(cat "$T/before")"

: >"$STATE/jobq.db"
rm -f "$STATE/jobq.db-wal" "$STATE/jobq.db-shm"
since=$(wc -c <"$LOG")
start_daemon
tail -c +"$((since + 1))" "$LOG" | grep "next job id would be 1, but .* holds the output of job $N" >/dev/null ||
	fail "no loud line naming 1 and $N: $(tail -c +"$((since + 1))" "$LOG")"
new=$(submit -- sh -c 'echo new job')
assert_eq "$new" $((N + 1)) "the first id after the database was lost"
wait_ended "$new"
assert_eq "$(q logs "$new")" "new job" "output of job $new"
sums | grep -v " $new\.\(out\|err\)\$" >"$T/after"
diff "$T/before" "$T/after" >/dev/null || fail "old output changed: $(diff "$T/before" "$T/after")"

# --- (b) a lost WAL: committed jobs gone from the database ------------------
for ((i = 0; i < 3; i++)); do
	w=$(submit -- sh -c 'echo in the wal')
done
wait_ended "$w"
assert_eq "$(q logs "$w")" "in the wal" "output of job $w"
kill9_daemon
rm -f "$STATE/jobq.db-wal" "$STATE/jobq.db-shm"
since=$(wc -c <"$LOG")
start_daemon
tail -c +"$((since + 1))" "$LOG" | grep "holds the output of job $w" >/dev/null ||
	fail "no loud line naming job $w after the WAL was lost: $(tail -c +"$((since + 1))" "$LOG")"
assert_rc 4 "job $w, lost with the WAL" q show "$w"
after_wal=$(submit -- true)
assert_eq "$after_wal" $((w + 1)) "the first id after the WAL was lost"
assert_eq "$(cat "$OUTDIR/$w.out")" "in the wal" "output of job $w, lost from the database"

# --- (c) a symlink at the next job's output path -----------------------------
wait_ended "$after_wal"
victim=$T/victim
echo precious >"$victim"
next=$((after_wal + 1))
ln -s "$victim" "$OUTDIR/$next.out"
j=$(submit -- "$BIN/sh" -c 'echo overwritten')
assert_eq "$j" "$next" "id of the job whose output path is taken"
wait_ended "$j"
assert_eq "$(job_state "$j")" failed "state of job $j"
assert_eq "$(show_field "$j" reason)" spawn_failed "reason of job $j"
assert_match "$(show_field "$j" message)" "exists already, a symbolic link.*not followed, left untouched" "message of job $j"
assert_eq "$(cat "$victim")" precious "the symlink's target"
[ -L "$OUTDIR/$next.out" ] || fail "the planted symlink was replaced"
k=$(submit -- sh -c 'echo fine')
wait_ended "$k"
assert_eq "$(job_state "$k")" succeeded "the job after the taken path"
assert_eq "$(q logs "$k")" fine "output of job $k"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "damaged-state: ok"
