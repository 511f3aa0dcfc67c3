#!/usr/bin/env bash
# escape.sh - a job's processes end with the job, even those that left its
# process group: a child that setsid()s, a nohup-style double fork
# (`( setsid sleep & ) &`, reparented to the worker) and a child that
# setpgid()s into a group of its own, besides an ordinary background child.
# None is left after: the main process exits (succeeded), `jobq cancel`,
# --timeout, SIGTERM of jobqd, kill -9 of jobqd.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v setsid >/dev/null || skip "no setsid(1)"

WORKERS=2
OPTS=(--kill-grace 500ms)
start_daemon "${OPTS[@]}"

has_ready() { [ "$(q logs "$1" 2>/dev/null)" = ready ]; }

# escaped_job NAME [SUBMIT-OPTIONS...]: submits the job, waits until its
# four children and its main process are seen; prints the id.
escaped_job() {
	local name=$1 id
	shift
	id=$(submit "$@" -- "$BIN/sh" -c "$(escaping_job_script "$T/gate.$name")")
	wait_for 10 "job $id ($name) running" state_is "$id" running
	wait_for 10 "job $id ($name) printed ready" has_ready "$id"
	markers_seen 5 "the processes of job $id ($name)" >&2
	# the escapes are where they claim to be: other sessions and groups
	local sid pg
	sid=$(ps -o sid= -p "$(show_field "$id" pid)" | tr -d ' ')
	for arg in 302 303; do
		pg=$(pgrep -f -- "$BIN/sleep $arg")
		[ -n "$pg" ] || fail "job $id: no sleep $arg"
		[ "$(ps -o sid= -p "$pg" | tr -d ' ')" != "$sid" ] ||
			fail "job $id: sleep $arg is in the job's session"
	done
	printf '%s\n' "$id"
}

# --- the main process exits --------------------------------------------------------
id=$(escaped_job exit)
: >"$T/gate.exit"
wait_ended "$id"
assert_eq "$(job_state "$id")" succeeded "state of the job whose main process exited"
assert_no_markers 5 "processes left by job $id after its main process exited"

# --- jobq cancel --------------------------------------------------------------------
id=$(escaped_job cancel)
assert_rc 0 "cancel of job $id" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" cancel "$id"
assert_eq "$(job_state "$id")" canceled "state of the canceled job"
assert_no_markers 5 "processes left by job $id after jobq cancel"

# --- --timeout -----------------------------------------------------------------------
# long enough for the set-up to be seen before it fires, on a loaded machine
id=$(escaped_job timeout --timeout "$((5 * SLOW))s")
wait_ended "$id"
assert_eq "$(job_state "$id")" timed_out "state of the job past its timeout"
assert_no_markers 5 "processes left by job $id after its timeout"

# --- SIGTERM of jobqd -------------------------------------------------------------------
id=$(escaped_job term)
stop_daemon
assert_eq "$DAEMON_RC" 0 "exit status of jobqd after SIGTERM"
assert_no_markers 5 "processes left by job $id after SIGTERM of jobqd"
assert_eq "$(sql "SELECT state || ',' || reason FROM jobs WHERE id = $id")" "interrupted,shutdown" "row of job $id"

# --- kill -9 of jobqd --------------------------------------------------------------------
start_daemon "${OPTS[@]}"
id=$(escaped_job kill9)
kill9_daemon
assert_no_markers 5 "processes left by job $id after kill -9 of jobqd"
start_daemon "${OPTS[@]}"
assert_eq "$(job_state "$id")" interrupted "state of job $id after the restart"
assert_eq "$(show_field "$id" reason)" daemon_crash "reason of job $id"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "escape: ok"
