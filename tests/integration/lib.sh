# shellcheck shell=bash
# lib.sh - helpers shared by jobq's integration tests.  Sourced, never run.
#
# Environment (exported by `make check`): JOBQD, JOBQ, ITEST_LIB, EXAMPLE.
#
# Every test gets its own temporary directory $T holding the socket ($SOCK),
# the state dir ($STATE), the daemon's stderr ($LOG) and $T/bin, a directory
# of symlinks to sh and sleep: any process started as $T/bin/... carries the
# unique path $T/bin/ in its command line, so `marker_pids` finds what a job
# left behind and the exit trap kills it.
#
# Tests run under `set -o pipefail`: never pipe into grep -q.  grep -q exits
# at its first match, the writer then dies of SIGPIPE on its next write and
# the pipeline fails with 141 although the pattern was there.  Read the
# output whole first: out=$(CMD); grep -q PAT <<<"$out", or CMD | grep PAT
# >/dev/null (grep without -q reads its input to the end).  The same goes
# for `| head` after a writer that may still be writing.

set -u
set -o pipefail

: "${JOBQD:?JOBQD must point to the jobqd binary}"
: "${JOBQ:?JOBQ must point to the jobq binary}"
ITEST_LIB=${ITEST_LIB:-}
EXAMPLE=${EXAMPLE:-}

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/jobq-itest-$TEST_NAME.XXXXXX") || exit 99
# Socket paths must stay short (sun_path is 108 bytes).
SOCK=$T/sock
STATE=$T/state
LOG=$T/jobqd.log
MARK=$T/bin/
BIN=$T/bin
mkdir -p "$BIN"
ln -s "$(command -v sh)" "$BIN/sh"
ln -s "$(command -v sleep)" "$BIN/sleep"
: >"$LOG"

JOBQD_PID=
DAEMON_RC=
# Scaling for slow builds (ASan, TSan): multiply long bounded waits.
SLOW=${ITEST_SLOW:-1}
if grep -qaE "__(asan|tsan)_init" "$JOBQD" 2>/dev/null; then
	SLOW=3
fi

log() { printf '# %s\n' "$*" >&2; }

show_log() {
	if [ -s "$LOG" ]; then
		printf -- '--- tail of jobqd stderr (%s) ---\n' "$LOG" >&2
		tail -n 40 "$LOG" >&2
		printf -- '--- end ---\n' >&2
	fi
}

# ITEST_CONTINUE=1 (debugging aid): report a failure and carry on; the test
# still exits 1 at the end.
ITEST_FAILURES=0
fail() {
	printf 'FAIL [%s]: %s\n' "$TEST_NAME" "$*" >&2
	if [ -n "${ITEST_CONTINUE:-}" ]; then
		ITEST_FAILURES=$((ITEST_FAILURES + 1))
		return 1
	fi
	show_log
	# Inside $(...) or a pipeline: make the test itself stop too.
	if [ "$BASHPID" != "$TEST_PID" ]; then
		kill -USR1 "$TEST_PID" 2>/dev/null
	fi
	exit 1
}

skip() {
	printf 'SKIP [%s]: %s\n' "$TEST_NAME" "$*" >&2
	exit 77
}

# Processes whose command line contains the test's marker path.
marker_pids() {
	pgrep -f -- "$MARK" 2>/dev/null | grep -vx "$$" || true
}

kill_markers() {
	local p
	for p in $(marker_pids); do kill -KILL "$p" 2>/dev/null; done
}

# sanitizer_reports: the first line of each sanitizer report in jobqd's
# stderr, its workers' included.  cleanup fails a test that passed with one:
# ThreadSanitizer carries on after a report, and a daemon that the test
# kills never reaches the exit status that would tell of it.
sanitizer_reports() {
	grep -aE '^WARNING: ThreadSanitizer|^==[0-9]+==ERROR: (Address|Leak|Thread)Sanitizer|^SUMMARY: (Address|Thread|UndefinedBehavior)Sanitizer|: runtime error: ' \
		"$LOG" 2>/dev/null | head -n 20
}

cleanup() {
	local rc=$?
	if [ "$ITEST_FAILURES" -gt 0 ] && [ "$rc" = 0 ]; then
		show_log
		rc=1
	fi
	trap - EXIT INT TERM
	if [ -n "$JOBQD_PID" ] && kill -0 "$JOBQD_PID" 2>/dev/null; then
		local w
		w=$(pgrep -P "$JOBQD_PID" 2>/dev/null || true)
		kill -KILL "$JOBQD_PID" 2>/dev/null
		# shellcheck disable=SC2086
		[ -n "$w" ] && kill -KILL $w 2>/dev/null
		wait "$JOBQD_PID" 2>/dev/null
	fi
	local p
	for p in ${EXTRA_PIDS:-}; do kill -KILL "$p" 2>/dev/null; done
	kill_markers
	if [ "$rc" = 0 ] || [ "$rc" = 77 ]; then
		local rep
		rep=$(sanitizer_reports)
		if [ -n "$rep" ]; then
			printf 'FAIL [%s]: sanitizer reports in jobqd stderr (%s):\n%s\n' \
				"$TEST_NAME" "$LOG" "$rep" >&2
			rc=1
		fi
	fi
	if [ -z "${ITEST_KEEP:-}" ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; }; then
		rm -rf "$T"
	else
		printf '# test files kept in %s\n' "$T" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 1' USR1
TEST_PID=$$
EXTRA_PIDS=

# q ARGS...: the CLI against this test's daemon.
q() { "$JOBQ" -s "$SOCK" "$@"; }

# wait_ready: polls `jobq ping` for up to 10 s (x SLOW); fails at once if the
# daemon died.
wait_ready() {
	local i n=$((500 * SLOW))
	for ((i = 0; i < n; i++)); do
		if ! kill -0 "$JOBQD_PID" 2>/dev/null; then
			wait "$JOBQD_PID" 2>/dev/null
			fail "jobqd (pid $JOBQD_PID) died during start-up (exit $?)"
		fi
		if timeout 5 "$JOBQ" -s "$SOCK" ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.02
	done
	fail "jobqd did not become ready within $((n / 50)) s"
}

# start_daemon [ARGS...]: starts jobqd in the background on $SOCK/$STATE
# (WORKERS, default 2) and waits until it answers.
start_daemon() {
	echo "=== start_daemon $* ($(date +%T.%N))" >>"$LOG"
	"$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers "${WORKERS:-2}" \
		--kill-grace 2s "$@" 2>>"$LOG" </dev/null &
	JOBQD_PID=$!
	wait_ready
}

# stop_daemon: SIGTERM, bounded wait; DAEMON_RC gets jobqd's exit status.
stop_daemon() {
	local i
	[ -n "$JOBQD_PID" ] || fail "stop_daemon: no daemon"
	kill -TERM "$JOBQD_PID" 2>/dev/null || fail "stop_daemon: jobqd (pid $JOBQD_PID) is not running"
	for ((i = 0; i < 750 * SLOW; i++)); do
		kill -0 "$JOBQD_PID" 2>/dev/null || break
		# A zombie of ours still answers kill -0: check its state.
		[ "$(ps -o stat= -p "$JOBQD_PID" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.02
	done
	if [ "$(ps -o stat= -p "$JOBQD_PID" 2>/dev/null | cut -c1)" != Z ] &&
		kill -0 "$JOBQD_PID" 2>/dev/null; then
		fail "jobqd did not exit within $((15 * SLOW)) s of SIGTERM"
		kill -KILL "$JOBQD_PID" 2>/dev/null
	fi
	wait "$JOBQD_PID"
	DAEMON_RC=$?
	JOBQD_PID=
}

# kill9_daemon: SIGKILL, reaped.
kill9_daemon() {
	[ -n "$JOBQD_PID" ] || fail "kill9_daemon: no daemon"
	kill -KILL "$JOBQD_PID" 2>/dev/null
	wait "$JOBQD_PID" 2>/dev/null
	JOBQD_PID=
}

daemon_alive() {
	[ -n "$JOBQD_PID" ] && kill -0 "$JOBQD_PID" 2>/dev/null &&
		[ "$(ps -o stat= -p "$JOBQD_PID" 2>/dev/null | cut -c1)" != Z ]
}

worker_pids() { pgrep -P "$JOBQD_PID" 2>/dev/null | sort -n; }

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 20 ms (bounded).
wait_for() {
	local secs=$1 what=$2 i n
	shift 2
	n=$((secs * 50 * SLOW))
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	fail "timed out after $((secs * SLOW)) s waiting for: $what"
}

no_markers() { [ -z "$(marker_pids)" ]; }

# Positive controls for "nothing left" checks: assert_no_markers can only
# fail if marker_pids would see the processes it asserts are gone.
# markers_seen N DESCRIPTION: waits (bounded) until marker_pids sees at least
# N processes - call it while the job whose remains are checked later runs.
# markers_selftest: a process started as $BIN/sleep is seen, then reaped.
# assert_no_markers runs markers_selftest itself when the test has done
# neither yet.
MARKERS_SEEN=
markers_ge() { [ "$(marker_pids | wc -l)" -ge "$1" ]; }
markers_seen() {
	wait_for 10 "$2: marker_pids to see $1 process(es) under $MARK" markers_ge "$1"
	MARKERS_SEEN=1
}
markers_selftest() {
	local p
	"$BIN/sleep" 60 &
	p=$!
	has_p() { marker_pids | grep -x "$p" >/dev/null; }
	wait_for 5 "marker_pids to see $BIN/sleep (pid $p)" has_p
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	MARKERS_SEEN=1
}

# --- JSON ---------------------------------------------------------------
# jf FIELD [FIELD...]: reads a JSON object on stdin and prints each field on
# its own line (null -> "null", strings raw, others as JSON).
jf() {
	python3 -c '
import json, sys
o = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = o
    for part in k.split("."):
        if isinstance(v, list):
            v = v[int(part)]
        elif isinstance(v, dict):
            v = v.get(part)
        else:
            v = None
    if v is None:
        print("null")
    elif isinstance(v, str):
        print(v)
    else:
        print(json.dumps(v))
' "$@"
}

# show_field ID FIELD: a field of `jobq --json show ID`.
show_field() {
	local out
	out=$(q --json show "$1") || fail "jobq show $1 failed (exit $?)"
	jf "$2" <<<"$out" || fail "jobq --json show $1: not JSON: $out"
}

job_state() { show_field "$1" state; }

# state_is ID STATE: for wait_for.
state_is() { [ "$(q --json show "$1" 2>/dev/null | jf state 2>/dev/null)" = "$2" ]; }

# --- assertions ------------------------------------------------------------
assert_eq() { # ACTUAL EXPECTED MESSAGE
	[ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "$3: got [$1], expected something else"
}

assert_match() { # STRING ERE MESSAGE
	[[ $1 =~ $2 ]] || fail "$3: [$1] does not match /$2/"
}

# assert_rc EXPECTED MESSAGE CMD...: runs CMD (stdout to $T/out, stderr to
# $T/err) and checks its exit status.  EXPECTED may be "1|2".
assert_rc() {
	local want=$1 msg=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if ! [[ "|$want|" == *"|$rc|"* ]]; then
		fail "$msg: \`$*\` exited $rc, expected $want; stdout: $(head -c 500 "$T/out"); stderr: $(head -c 500 "$T/err")"
	fi
}

# submit ARGS...: `jobq submit ARGS` that must print an id.
submit() {
	local id
	id=$(q submit "$@") || fail "jobq submit $* failed (exit $?)"
	[[ $id =~ ^[0-9]+$ ]] || fail "jobq submit printed [$id], not an id"
	printf '%s\n' "$id"
}

# assert_no_markers SECONDS MESSAGE: every marker process is gone (bounded).
assert_no_markers() {
	local i n=$(($1 * 50 * SLOW))
	[ -n "$MARKERS_SEEN" ] || markers_selftest
	for ((i = 0; i < n; i++)); do
		no_markers && return 0
		sleep 0.02
	done
	fail "$2: processes left behind: $(marker_pids | xargs -r ps -o pid=,ppid=,pgid=,stat=,args= -p 2>/dev/null)"
}

# --- scheduling helpers ---
# (used by the sched-*.sh tests of issue 3)

# now_ms: milliseconds since the Unix epoch.
now_ms() { date +%s%3N; }

# sql QUERY: runs QUERY on the daemon's database (readable while it runs).
sql() { sqlite3 -cmd '.timeout 5000' "$STATE/jobq.db" "$1"; }

# wait_ended REF [SECS]: `jobq wait REF`, bounded by SECS (default 20) x SLOW;
# fails if the wait timed out.  WAIT_RC gets wait's exit status.
WAIT_RC=
wait_ended() {
	q wait "$1" --timeout "$((${2:-20} * SLOW))s" >/dev/null 2>"$T/wait_ended.err"
	WAIT_RC=$?
	[ "$WAIT_RC" != 124 ] || fail "jobq wait $1: not ended within $((${2:-20} * SLOW)) s"
	return 0
}

# ids_of ARGS...: the ids `jobq --json list ARGS` prints, space-separated.
ids_of() {
	local out
	out=$(q --json list "$@") || fail "jobq --json list $* failed"
	python3 -c '
import json, sys
a = json.load(sys.stdin)
assert isinstance(a, list), "list --json is not an array"
print(" ".join(str(j["id"]) for j in a))' <<<"$out" || fail "jobq --json list $*: $out"
}

# pycheck DESC CODE [ARG...]: runs the Python CODE with `o` bound to the JSON
# document read from stdin and `a` to the ARGs (strings); CODE reports
# problems with bad(MSG).  Fails the test with DESC and every message.
# pycheck_lines: the same with `o` = the list of JSON documents, one a line.
pycheck_run() {
	local mode=$1 desc=$2 code=$3 out
	shift 3
	out=$(python3 -c '
import json, sys
src = sys.stdin.read()
try:
    if sys.argv[1] == "lines":
        o = [json.loads(l) for l in src.splitlines() if l.strip()]
    else:
        o = json.loads(src)
except Exception as e:
    print("not JSON (%s): %s" % (e, src[:800])); sys.exit(1)
a = sys.argv[3:]
errs = []
def bad(m): errs.append(str(m))
exec(sys.argv[2])
if errs:
    print("; ".join(errs) + " -- in: " + src[:1500]); sys.exit(1)
' "$mode" "$code" "$@" 2>&1) || fail "$desc: $out"
}
pycheck() { pycheck_run doc "$@"; }
pycheck_lines() { pycheck_run lines "$@"; }

# array_json A: the array A as an object (`jobq --json show A`, unwrapped
# from an "array" member if the CLI prints one).
array_json() {
	local out
	out=$(q --json show "$1") || fail "jobq --json show $1 (an array) failed"
	python3 -c '
import json, sys
o = json.load(sys.stdin)
if isinstance(o, dict) and isinstance(o.get("array"), dict): o = o["array"]
print(json.dumps(o))' <<<"$out" || fail "jobq --json show $1: not JSON: $out"
}

# rec_script FILE KEY SECS: shell code for "$BIN/sh" -c that appends
# "S KEY NANOS" to FILE, sleeps SECS (with $BIN/sleep), then appends
# "E KEY NANOS".  KEY may be shell code, e.g. '$JOBQ_ARRAY_INDEX'.
rec_script() {
	printf 'echo "S %s $(date +%%s%%N)" >>"%s"; "%s" %s; echo "E %s $(date +%%s%%N)" >>"%s"' \
		"$2" "$1" "$BIN/sleep" "$3" "$2" "$1"
}

# gate_script GATE: shell code that polls until the file GATE exists.
gate_script() {
	printf 'until [ -e "%s" ]; do "%s" 0.05; done' "$1" "$BIN/sleep"
}

# escaping_job_script GATE: shell code of a job that escapes its process
# group four ways (a background child, setsid, a double fork with setsid,
# setpgid; each "$BIN/sleep" 301..304, so marker_pids sees them), prints
# "ready", then waits for the file GATE and exits 0 (escape.sh, mu-cgroup.sh).
escaping_job_script() {
	local setpgid='import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])'
	printf '%s' "\"$BIN/sleep\" 301 &
setsid \"$BIN/sleep\" 302 &
( setsid \"$BIN/sleep\" 303 & ) &
python3 -c '$setpgid' \"$BIN/sleep\" 304 &
echo ready
$(gate_script "$1")"
}

# max_overlap FILE: the largest number of the S..E intervals of FILE (see
# rec_script) open at once; an S without its E counts as open to the end.
# Recorded intervals lie inside the jobs' lifetimes, so this never
# overstates the real concurrency.
max_overlap() {
	python3 - "$1" <<'EOF'
import sys
ev = []
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3 and p[0] in ("S", "E"):
        ev.append((int(p[2]), 1 if p[0] == "S" else 0))
ev.sort()
cur = best = 0
for t, k in ev:
    cur += 1 if k else -1
    best = max(best, cur)
print(best)
EOF
}

# nlines FILE: its line count (0 if absent); lines_ge FILE N: for wait_for.
nlines() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
lines_ge() { [ "$(nlines "$1")" -ge "$2" ]; }
file_exists() { [ -e "$1" ]; }

# assert_stays ID STATE MS MESSAGE: job ID stays in STATE for MS
# milliseconds (polled).
assert_stays() {
	local end st
	end=$(($(now_ms) + $3))
	while [ "$(now_ms)" -lt "$end" ]; do
		st=$(q --json show "$1" | jf state) || fail "$4: jobq show $1"
		[ "$st" = "$2" ] || fail "$4: job $1 is $st, expected it to stay $2"
		sleep 0.05
	done
}

# --- test users (root-only tests: mu-fair.sh, slurm-user.sh) ---
# add_user NAME: `useradd -M -N -s /bin/sh NAME`, retried (bounded, 5 s)
# while another test holds the passwd lock; skips (77) if it keeps failing.
add_user() {
	local i
	for ((i = 0; i < 50; i++)); do
		useradd -M -N -s /bin/sh "$1" 2>"$T/useradd.err" && return 0
		sleep 0.1
	done
	skip "useradd $1 failed: $(cat "$T/useradd.err")"
}

# --- outputs (issue 9) ---
# OUTDIR: where this test's jobs (run as the test's uid) have their output
# files: $STATE/logs/UID/ID.out and ID.err.
OUTDIR=$STATE/logs/$(id -u)
