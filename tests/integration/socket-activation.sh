#!/usr/bin/env bash
# socket-activation.sh - jobqd started by systemd-socket-activate takes the
# listening socket from LISTEN_FDS (fd 3) and serves jobs through it.  A
# fd 3 that is not a listening Unix stream socket (a datagram socket, a
# TCP socket, a regular file, a Unix stream socket nobody listens on) is
# refused at start-up with a message naming what it is, before the state
# dir is touched; so is a malformed LISTEN_FDS or LISTEN_PID.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# activate.py KIND ARGS...: makes a descriptor of KIND its fd 3, sets
# LISTEN_PID to its own pid and LISTEN_FDS=1 (or $ACTIVATE_FDS), and execs
# jobqd ARGS (exec keeps the pid, as systemd's fork + exec does).
cat >"$T/activate.py" <<'PY'
import os, socket, sys
kind, t, exe, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
if kind == "dgram":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(t + "/dgram.sock")
elif kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen()
elif kind == "unlistened":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(t + "/unlistened.sock")
elif kind == "stream":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(t + "/sock")
    s.listen()
if kind == "file":
    fd = os.open(t + "/plain", os.O_RDWR | os.O_CREAT, 0o600)
else:
    fd = s.fileno()
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
if "ACTIVATE_EXTRA" in os.environ:      # one more, the last of LISTEN_FDS
    last = 2 + int(os.environ["ACTIVATE_FDS"])
    x = os.open(os.environ["ACTIVATE_EXTRA"], os.O_RDWR | os.O_CREAT, 0o600)
    if x != last:
        os.dup2(x, last)
    os.set_inheritable(last, True)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = os.environ.get("ACTIVATE_FDS", "1")
os.execv(exe, [exe] + args)
PY

# refused KIND MESSAGE: jobqd given fd 3 of KIND exits 1 saying MESSAGE
# (one line), and has not created its state dir.
refused() {
	assert_rc 1 "jobqd with a $1 as fd 3" \
		python3 "$T/activate.py" "$1" "$T" "$JOBQD" --state-dir "$T/st-$1" --workers 1
	grep -qF -- "$2" "$T/err" || fail "$1 as fd 3: stderr [$(cat "$T/err")] does not say [$2]"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$1 as fd 3: more than one line: $(cat "$T/err")"
	[ ! -e "$T/st-$1" ] || fail "$1 as fd 3: the state dir was created before the check"
}
refused dgram "LISTEN_FDS: fd 3 is a datagram socket (SOCK_DGRAM), not a Unix stream socket listening for connections"
refused tcp "LISTEN_FDS: fd 3 is a TCP/IPv4 socket (AF_INET, SOCK_STREAM), not a Unix stream socket"
refused file "LISTEN_FDS: fd 3 is not a socket but a regular file, not a Unix stream socket"
refused unlistened "LISTEN_FDS: fd 3 is a Unix stream socket that is not listening"
ACTIVATE_FDS=two refused stream 'LISTEN_FDS: "two" is not a number of file descriptors'
rm -f "$SOCK"
assert_rc 1 "jobqd with a malformed LISTEN_PID" \
	env LISTEN_PID=12x LISTEN_FDS=1 "$JOBQD" --state-dir "$T/st-pid" --socket "$T/s-pid"
grep -qF 'LISTEN_PID: "12x" is not a process id' "$T/err" || fail "malformed LISTEN_PID: $(cat "$T/err")"
[ ! -e "$T/st-pid" ] || fail "malformed LISTEN_PID: the state dir was created"

# The same way, a listening Unix stream socket is served (no --socket: the
# passed descriptor must be used).  With more descriptors passed, the
# others (fd 9, a file here: beyond the descriptors a worker is given)
# reach neither the workers nor the jobs.
echo "=== activate.py stream ($(date +%T.%N))" >>"$LOG"
JOBQ_SOCKET=$T/wrong.sock ACTIVATE_FDS=7 ACTIVATE_EXTRA=$T/extra \
	python3 "$T/activate.py" stream "$T" "$JOBQD" \
	--state-dir "$STATE" --workers 1 --kill-grace 2s 2>>"$LOG" </dev/null &
JOBQD_PID=$!
wait_ready
assert_rc 0 "submit --wait through the socket from activate.py" q submit --wait -- true
[ -e "$T/wrong.sock" ] && fail "jobqd bound \$JOBQ_SOCKET although activate.py gave it a socket"
grep -q "systemd passed 7 sockets; using the first" "$LOG" || fail "no warning about the other descriptors"
[ "$(readlink "/proc/$JOBQD_PID/fd/9")" = "$T/extra" ] ||
	fail "control: jobqd's fd 9 is not $T/extra"
id=$(submit -- "$BIN/sh" -c 'for f in /proc/$$/fd/*; do readlink "$f"; done')
wait_ended "$id"
fds=$(q logs "$id") || fail "jobq logs $id"
[ -n "$fds" ] || fail "the job listed no descriptors"
grep -qxF "$T/extra" <<<"$fds" && fail "a passed descriptor other than fd 3 reached a job: $fds"
for w in $(worker_pids); do
	for f in /proc/"$w"/fd/*; do
		[ "$(readlink "$f")" != "$T/extra" ] || fail "worker $w has a passed descriptor other than fd 3"
	done
done
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (activate.py)"
rm -rf "$STATE" "$SOCK"

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
