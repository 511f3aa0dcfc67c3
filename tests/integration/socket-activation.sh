#!/usr/bin/env bash
# socket-activation.sh - jobqd started by systemd-socket-activate takes the
# listening socket from LISTEN_FDS (fd 3) and serves jobs through it.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"

mkdir -p "$STATE"
echo "=== systemd-socket-activate ($(date +%T.%N))" >>"$LOG"
# No --socket: the daemon must use the passed descriptor, not bind its own.
systemd-socket-activate -l "$SOCK" -E JOBQ_SOCKET="$T/wrong.sock" \
	"$JOBQD" --state-dir "$STATE" --workers 2 --kill-grace 2s 2>>"$LOG" </dev/null &
JOBQD_PID=$!
# The socket exists (bound by the activator) before jobqd is running.
sock_there() { [ -S "$SOCK" ]; }
wait_for 10 "the activation socket" sock_there
ino=$(stat -c %i "$SOCK")
wait_ready
exe_is_jobqd() { [ "$(readlink "/proc/$JOBQD_PID/exe")" = "$(readlink -f "$JOBQD")" ]; }
wait_for 5 "jobqd to replace systemd-socket-activate (pid $JOBQD_PID)" exe_is_jobqd

assert_rc 0 "submit --wait through the activated socket" q submit --wait -- sh -c 'echo activated'
id=$(submit -- sh -c 'echo second; exit 3')
assert_rc 3 "wait through the activated socket" q wait "$id"
assert_eq "$(q logs "$id")" second "output of a job through the activated socket"
assert_eq "$(stat -c %i "$SOCK")" "$ino" "inode of the activation socket (jobqd must not rebind it)"
[ -e "$T/wrong.sock" ] && fail "jobqd bound \$JOBQ_SOCKET although it was given a socket"
[ -f "$STATE/jobq.db" ] || fail "state dir not used"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"

# A stale LISTEN_PID (not ours) must be ignored: then jobqd binds --socket.
LISTEN_FDS=1 LISTEN_PID=1 start_daemon
assert_rc 0 "ping with a foreign LISTEN_PID" q ping
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "socket-activation: ok"
