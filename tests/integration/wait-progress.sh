#!/usr/bin/env bash
# wait-progress.sh - the progress line of `jobq wait` and `submit --wait
# --array` on a terminal (script(1) gives a real pseudo-terminal): counts
# over the tasks of an array and over several jobs, redrawn in place
# ("\r\e[K"), erased before jobq ends, never wider than the terminal;
# nothing of it when stderr is not a terminal, nor for a single job.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v script >/dev/null || skip "no script(1) (util-linux)"
WORKERS=2
start_daemon

# tty_run COLS CMD...: CMD on a pseudo-terminal COLS wide; its output as is
tty_run() {
	local cols=$1 cmd
	shift
	printf -v cmd '%q ' "$@"
	script -qec "stty cols $cols rows 40; $cmd; echo \"rc=\$?\"" /dev/null
}

# --- an array: 4 tasks, 2 at a time, each 0.7 s --------------------------------
a=$(submit --array 1-4%2 -- sh -c 'sleep 0.7; [ "$JOBQ_ARRAY_INDEX" != 3 ]')
tty_run 80 "$JOBQ" -s "$SOCK" wait "$a" >"$T/arr.tty"
grep -q "rc=1" "$T/arr.tty" || fail "wait of an array with a failed task: $(cat -v "$T/arr.tty")"
tr '\r' '\n' <"$T/arr.tty" | sed 's/\x1b\[K//g' | grep '^\[' >"$T/arr.lines" || true
[ "$(nlines "$T/arr.lines")" -ge 2 ] || fail "fewer than 2 progress lines: $(cat -v "$T/arr.tty")"
grep -Eq '^\[  [0-4]/4\] [0-4] succeeded, [01] failed, [0-2] running, [0-4] queued' "$T/arr.lines" ||
	fail "progress line: $(cat "$T/arr.lines")"
grep -q "running" "$T/arr.lines" || fail "no running count"
# redrawn in place, and erased before the end: the last thing before rc= is
# the erase sequence
grep -q $'\r\e\\[K\\[' "$T/arr.tty" || fail "not redrawn with \\r ESC[K"
tr -d '\n' <"$T/arr.tty" | grep $'\r\e\\[Krc=1' >/dev/null || fail "the line is not erased at the end: $(cat -v "$T/arr.tty" | tail -c 200)"

# --- narrow terminal: never wider than it ---------------------------------------
b=$(submit --array 1-3%1 -- sleep 0.6)
tty_run 30 "$JOBQ" -s "$SOCK" wait "$b" >"$T/narrow.tty"
tr '\r' '\n' <"$T/narrow.tty" | sed 's/\x1b\[K//g' | grep '^\[' >"$T/narrow.lines" || true
[ -s "$T/narrow.lines" ] || fail "no progress at 30 columns: $(cat -v "$T/narrow.tty")"
awk 'length > 29 { print "line of " length ": " $0; bad = 1 } END { exit bad }' "$T/narrow.lines" ||
	fail "a progress line wider than 30 columns"

# --- several jobs; submit --wait --array ----------------------------------------
j1=$(submit -- sleep 0.8); j2=$(submit -- sleep 0.8); j3=$(submit -- sleep 1.2)
tty_run 80 "$JOBQ" -s "$SOCK" wait "$j1" "$j2" "$j3" >"$T/jobs.tty"
grep -q "rc=0" "$T/jobs.tty" || fail "wait of 3 jobs: $(cat -v "$T/jobs.tty")"
grep -Eq '\[  [0-3]/3\]' "$T/jobs.tty" || fail "no progress over 3 jobs: $(cat -v "$T/jobs.tty")"
tty_run 80 "$JOBQ" -s "$SOCK" submit --wait --array 1-3%1 -- sleep 0.6 >"$T/sub.tty"
grep -Eq '\[  [0-3]/3\]' "$T/sub.tty" || fail "no progress under submit --wait --array: $(cat -v "$T/sub.tty")"

# --- none for one job, none in a pipe --------------------------------------------
s=$(submit -- sleep 1.2)
tty_run 80 "$JOBQ" -s "$SOCK" wait "$s" >"$T/one.tty"
grep -q $'\e\\[K' "$T/one.tty" && fail "a progress line for a single job: $(cat -v "$T/one.tty")"
c=$(submit --array 1-3%1 -- sleep 0.5)
q wait "$c" >"$T/pipe.out" 2>"$T/pipe.err"
[ -s "$T/pipe.err" ] && fail "progress written to a file: $(cat -v "$T/pipe.err")"
[ -s "$T/pipe.out" ] && fail "wait wrote to stdout: $(cat "$T/pipe.out")"
log "ok"
