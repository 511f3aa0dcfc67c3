#!/usr/bin/env bash
# output-limit.sh - the output limit: a job whose stdout or stderr grows past
# its limit is killed and ends failed (reason output_limit), the file is cut
# to the limit and marked with one line; the next job runs.  The limit is
# jobqd's --output-limit unless the submit asks for its own, which may not
# exceed --output-limit-max (refused: nothing stored).  Retries apply, each
# run appending to the output of the run before with a limit of its own.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

CAP=65536
marker() { printf 'jobq: output truncated at %s bytes (output limit)\n' "$1"; }
MLEN=$(marker "$CAP" | wc -c)
fsize() { stat -c %s "$1"; }

# --- jobqd's options --------------------------------------------------------
assert_rc 2 "--output-limit above --output-limit-max" \
	"$JOBQD" --socket "$T/s1" --state-dir "$T/st1" --output-limit 2M --output-limit-max 1M
grep -q "output-limit-max" "$T/err" || fail "usage error does not name --output-limit-max: $(cat "$T/err")"
assert_rc 2 "a bad --output-limit" "$JOBQD" --socket "$T/s1" --state-dir "$T/st1" --output-limit 1X
[ ! -e "$T/st1" ] || fail "jobqd created its state dir despite a usage error"

start_daemon --output-limit 64K --output-limit-max 1M

# --- (a) stdout past the default limit: killed, cut, marked -----------------
# 32-byte lines: the limit falls on a line boundary.
line=0123456789012345678901234567890
j=$(submit -- "$BIN/sh" -c "echo err-line >&2; while :; do echo $line; done")
wait_ended "$j"
assert_eq "$WAIT_RC" 137 "jobq wait on a job killed at its output limit"
assert_eq "$(job_state "$j")" failed "state of job $j"
assert_eq "$(show_field "$j" reason)" output_limit "reason of job $j"
assert_eq "$(show_field "$j" signal)" 9 "signal of job $j"
assert_match "$(show_field "$j" message)" "stdout passed the output limit of $CAP bytes" "message of job $j"
out=$OUTDIR/$j.out
assert_eq "$(fsize "$out")" $((CAP + MLEN)) "size of job $j's stdout (limit + marker)"
assert_eq "$(tail -n 1 "$out")" "$(marker "$CAP" | head -c -1)" "last line of job $j's stdout"
assert_eq "$(head -c "$CAP" "$out" | sort -u)" "$line" "the first $CAP bytes of job $j's stdout"
assert_eq "$(q logs "$j" | tail -n 1)" "$(marker "$CAP" | head -c -1)" "jobq logs of job $j ends with the marker"
assert_eq "$(q logs --stderr "$j")" err-line "stderr of job $j (under its limit: untouched)"
assert_no_markers 5 "processes of job $j"

# --- (b) the next job runs ----------------------------------------------------
n=$(submit -- sh -c 'echo next')
wait_ended "$n"
assert_eq "$(job_state "$n")" succeeded "the job after one killed at its limit"
assert_eq "$(q logs "$n")" next "output of job $n"

# --- (c) stderr past it in one burst, the job exiting 0 by itself -------------
# Either the periodic check kills it or it exits first: failed either way;
# zero bytes end no line, so the marker starts one.
b=$(submit -- sh -c 'head -c 300000 /dev/zero >&2')
wait_ended "$b"
assert_eq "$(job_state "$b")" failed "state of job $b (stderr past the limit)"
assert_eq "$(show_field "$b" reason)" output_limit "reason of job $b"
assert_match "$(show_field "$b" message)" "^stderr passed" "message of job $b"
case $(show_field "$b" exit_code)/$WAIT_RC in
0/125 | null/137) ;;
*) fail "job $b: exit_code $(show_field "$b" exit_code), jobq wait $WAIT_RC (want 0/125 or null/137)" ;;
esac
assert_eq "$(fsize "$OUTDIR/$b.err")" $((CAP + 1 + MLEN)) "size of job $b's stderr (limit + newline + marker)"
assert_eq "$(tail -n 1 "$OUTDIR/$b.err")" "$(marker "$CAP" | head -c -1)" "last line of job $b's stderr"

# --- (d) a job's own limit: lower, and higher up to the maximum --------------
lo=$(submit --output-limit 1K -- seq 1000)
wait_ended "$lo"
assert_eq "$(show_field "$lo" reason)" output_limit "reason of job $lo (--output-limit 1K)"
assert_eq "$(fsize "$OUTDIR/$lo.out")" $((1024 + $(marker 1024 | wc -c))) "size of job $lo's stdout"
assert_eq "$(head -n 1 "$OUTDIR/$lo.out")" 1 "first line of job $lo's stdout"
hi=$(submit --output-limit 512K -- sh -c 'head -c 300000 /dev/zero')
wait_ended "$hi"
assert_eq "$(job_state "$hi")" succeeded "job $hi (--output-limit 512K, 300000 bytes)"
assert_eq "$(fsize "$OUTDIR/$hi.out")" 300000 "size of job $hi's stdout"

# --- (e) above --output-limit-max: refused, nothing stored ---------------------
rows=$(sql 'SELECT count(*) FROM jobs')
assert_rc 1 "a submit asking for more than --output-limit-max" q submit --output-limit 2M -- true
grep -q "output-limit-max" "$T/err" || fail "refused submit: message [$(cat "$T/err")] does not name --output-limit-max"
assert_eq "$(sql 'SELECT count(*) FROM jobs')" "$rows" "rows after the refused submit"
assert_rc 2 "jobq submit --output-limit with a bad size" q submit --output-limit 1.5G -- true
assert_rc 2 "jobq submit --output-limit 0" q submit --output-limit 0 -- true
assert_rc 0 "the maximum itself" q submit --output-limit 1M -- true

# --- (f) retries: each run gets the limit, appending to the last --------------
r=$(submit --retries 1 --retry-delay 100ms --output-limit 1K -- seq 1000)
wait_ended "$r"
assert_eq "$(job_state "$r")" failed "state of job $r after its retry"
assert_eq "$(show_field "$r" attempts)" 2 "attempts of job $r"
assert_eq "$(show_field "$r" reason)" output_limit "reason of job $r"
assert_eq "$(fsize "$OUTDIR/$r.out")" $((2 * (1024 + $(marker 1024 | wc -c)))) "size of job $r's stdout (two runs)"
assert_eq "$(grep -c '^jobq: output truncated' "$OUTDIR/$r.out")" 2 "markers in job $r's stdout"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "output-limit: ok"
