#!/usr/bin/env bash
# logs.sh - `jobq logs`: --tail N (short outputs, a last line without a
# newline, outputs past one read, 0 and more lines than there are, stderr);
# several jobs and whole arrays with "[ID] " / "[A.I] " line prefixes; -f
# over a running job and over an array, ending with how each job ended on
# stderr and the exit status (the job's for one, 0/1 for several); --json
# for one job and for several; --merge-output jobs and --merged; bad
# values.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# --- --tail ---------------------------------------------------------------------
j=$(submit --wait -- sh -c 'printf "a\nb\nc\nd\n"; printf "e1\ne2\n" >&2') || true
assert_eq "$(q logs --tail 2 "$j")" "$(printf 'c\nd')" "--tail 2"
assert_eq "$(q logs -n 1 "$j")" "d" "-n 1"
assert_eq "$(q logs --tail 0 "$j" | wc -c)" 0 "--tail 0"
assert_eq "$(q logs --tail 99 "$j")" "$(printf 'a\nb\nc\nd')" "--tail past the start"
assert_eq "$(q logs --tail 1 --stderr "$j")" "e2" "--tail 1 --stderr"
nn=$(submit --wait -- printf 'x\ny\nz') || true
assert_eq "$(q logs --tail 1 "$nn")" "z" "--tail 1 of a last line without a newline"
assert_eq "$(q logs --tail 2 "$nn")" "$(printf 'y\nz')" "--tail 2 of it"
big=$(submit --wait -- seq 1 300000) || true
assert_eq "$(q logs --tail 3 "$big" | tr '\n' ' ')" "299998 299999 300000 " "--tail 3 of 2 MB"
q logs --tail 70000 "$big" >"$T/t70k"
assert_eq "$(nlines "$T/t70k")" 70000 "--tail 70000: lines"
assert_eq "$(head -1 "$T/t70k")" 230001 "--tail 70000: the first line (reads across chunks)"
empty=$(submit --wait -- true) || true
assert_eq "$(q logs --tail 5 "$empty" | wc -c)" 0 "--tail of no output"

# --- several jobs, an array -------------------------------------------------------
q logs "$j" "$nn" >"$T/two"
assert_eq "$(cat "$T/two")" "$(printf '[%s] a\n[%s] b\n[%s] c\n[%s] d\n[%s] x\n[%s] y\n[%s] z' "$j" "$j" "$j" "$j" "$nn" "$nn" "$nn")" \
	"two jobs, prefixed, the unterminated last line ended"
a=$(submit --array 1-3 -- sh -c 'echo "i=$JOBQ_ARRAY_INDEX"')
q wait "$a" >/dev/null
assert_eq "$(q logs "$a")" "$(printf '[%s.1] i=1\n[%s.2] i=2\n[%s.3] i=3' "$a" "$a" "$a")" "an array's tasks"
assert_eq "$(q logs --tail 1 "$a.2")" "i=2" "one task: no prefix"

# --- -f ---------------------------------------------------------------------------
gate=$T/gate
f=$(submit -- sh -c "echo first; while [ ! -e '$gate' ]; do sleep 0.05; done; echo second; exit 3")
q logs -f "$f" >"$T/f.out" 2>"$T/f.err" &
lp=$!
wait_for 10 "the first line under -f" lines_ge "$T/f.out" 1
kill -0 "$lp" 2>/dev/null || fail "logs -f ended while the job runs"
touch "$gate"
wait "$lp"
rc=$?
assert_eq "$rc" 3 "logs -f exit status (the job's)"
assert_eq "$(cat "$T/f.out")" "$(printf 'first\nsecond')" "logs -f output"
assert_eq "$(cat "$T/f.err")" "jobq: logs: job $f: failed, exit code 3" "logs -f end line"
fa=$(submit --array 1-2 -- sh -c 'echo "t$JOBQ_ARRAY_INDEX"; exit $((JOBQ_ARRAY_INDEX - 1))')
q logs -f "$fa" >"$T/fa.out" 2>"$T/fa.err"
assert_eq "$?" 1 "logs -f of an array with a failed task"
sort "$T/fa.out" >"$T/fa.sorted"
assert_eq "$(cat "$T/fa.sorted")" "$(printf '[%s.1] t1\n[%s.2] t2' "$fa" "$fa")" "logs -f of an array"
grep -q "^jobq: logs: \[$fa.1\] job [0-9]*: succeeded, exit code 0$" "$T/fa.err" || fail "end of task 1: $(cat "$T/fa.err")"
grep -q "^jobq: logs: \[$fa.2\] job [0-9]*: failed, exit code 1$" "$T/fa.err" || fail "end of task 2: $(cat "$T/fa.err")"

# --- --json -----------------------------------------------------------------------
q logs --json --tail 1 "$j" >"$T/j1"
pycheck "logs --json of one job" '
import base64
if o["id"] != int(a[0]) or o["stream"] != "stdout" or base64.b64decode(o["data_base64"]) != b"d\n": bad("got %r" % o)
' "$j" <"$T/j1"
q --json logs "$j" "$nn" >"$T/j2"
pycheck "logs --json of two jobs" '
import base64
got = [(x["id"], base64.b64decode(x["data_base64"])) for x in o]
if got != [(int(a[0]), b"a\nb\nc\nd\n"), (int(a[1]), b"x\ny\nz")]: bad("got %r" % got)
' "$j" "$nn" <"$T/j2"

# --- --merge-output / --merged: one file, in the order written ----------------------
# The job interleaves the two streams with a pause between writes, so the
# order is the one the job wrote in whatever the scheduling.
m=$(submit --merge-output --wait -- sh -c 'echo o1; sleep 0.05; echo e1 >&2; sleep 0.05; echo o2; sleep 0.05; echo e2 >&2') || true
assert_eq "$(q logs --merged "$m" | tr '\n' ' ')" "o1 e1 o2 e2 " "--merged: both streams in the order written"
assert_eq "$(q logs "$m" | tr '\n' ' ')" "o1 e1 o2 e2 " "a merged job's plain logs"
assert_eq "$(cat "$OUTDIR/$m.out" | tr '\n' ' ')" "o1 e1 o2 e2 " "one file on disk"
[ ! -e "$OUTDIR/$m.err" ] || fail "a merged job has a stderr file"
assert_eq "$(q --json show "$m" | jf merge_output)" true "show --json merge_output"
assert_eq "$(sql "SELECT merge_output FROM jobs WHERE id = $m")" 1 "jobs.merge_output"
q show "$m" | grep '^output: *merged' >/dev/null || fail "show lacks 'output: merged'"
assert_rc 1 "--stderr of a merged job" q logs --stderr "$m"
grep -q "its stderr went to its stdout" "$T/err" || fail "--stderr of a merged job: [$(cat "$T/err")]"
assert_rc 1 "--merged of a job kept apart" q logs --merged "$j"
grep -q "kept apart" "$T/err" || fail "--merged of a job kept apart: [$(cat "$T/err")]"
assert_rc 2 "--merged --stderr" q logs --merged --stderr "$m"
# an array's tasks and -f
ma=$(submit --merge-output --array 1-2 -- sh -c 'echo "o$JOBQ_ARRAY_INDEX"; echo "e$JOBQ_ARRAY_INDEX" >&2') || fail "submit --merge-output --array"
assert_rc 0 "logs -f --merged of a merged array" q logs -f --merged "$ma"
assert_eq "$(sort "$T/out" | tr '\n' ' ')" "[$ma.1] e1 [$ma.1] o1 [$ma.2] e2 [$ma.2] o2 " "--merged over an array"

# --- bad values -------------------------------------------------------------------
assert_rc 2 "--tail -1" q logs --tail -1 "$j"
assert_rc 2 "--tail x" q logs --tail x "$j"
assert_rc 2 "no REF" q logs
assert_rc 4 "no such job" q logs 99999
log "ok"
