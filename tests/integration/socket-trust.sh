#!/usr/bin/env bash
# socket-trust.sh - a socket another user could control is never used:
# jobqd refuses to listen in a directory that belongs to another user or
# that others may write to (e.g. a /tmp/jobq-UID created first by someone
# else), and jobq refuses to send a job to a socket owned by another user.
# Needs root (to play the other user, uid 65534).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
command -v setpriv >/dev/null || skip "setpriv not installed"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody true 2>/dev/null || skip "cannot switch to uid 65534"

chmod 0711 "$T"
# A start-up refused after the workers started must leave no message queue
# behind (checked when the mqueue file system is mounted).
mqs() { if mountpoint -q /dev/mqueue 2>/dev/null; then ls /dev/mqueue | grep -c '^jobqd\.' || true; else echo -; fi; }
mq0=$(mqs)

# A directory made by another user, open to everyone.
mkdir "$T/theirs"
chown 65534:65534 "$T/theirs"
chmod 0777 "$T/theirs"
assert_rc 1 "jobqd on a socket in another user's directory" \
	timeout 20 "$JOBQD" --socket "$T/theirs/s" --state-dir "$T/st1" --workers 1
grep -q "another user or others may write" "$T/err" ||
	fail "jobqd's message does not say why: $(cat "$T/err")"
[ ! -e "$T/theirs/s" ] || fail "jobqd created a socket in the untrusted directory"

assert_eq "$(mqs)" "$mq0" "message queues in /dev/mqueue after a refused start"

# Our own directory, but writable by everyone and not sticky.
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
assert_rc 1 "jobqd on a socket in a world-writable directory" \
	timeout 20 "$JOBQD" --socket "$T/open/s" --state-dir "$T/st2" --workers 1

# Another user's daemon on another user's socket: root's jobq will not use it.
# uid 65534 must be able to run jobqd and jobq: when the build directory is
# private (a clone in a mktemp -d directory is 0700), run copies from $T.
NB_JOBQD=$JOBQD NB_JOBQ=$JOBQ
if ! as_nobody test -x "$JOBQD" || ! as_nobody test -x "$JOBQ"; then
	mkdir "$T/nbbin"
	cp "$JOBQD" "$T/nbbin/jobqd" || fail "cannot copy jobqd"
	real=$JOBQ
	# a libtool wrapper script: the binary is in .libs, libjobq in lib/.libs
	if [ "$(head -c 2 "$JOBQ")" = '#!' ]; then
		real=$(dirname "$JOBQ")/.libs/jobq
		cp -P "$(dirname "$JOBQ")"/../lib/.libs/libjobq.so* "$T/nbbin/" ||
			fail "cannot copy libjobq next to jobq"
	fi
	cp "$real" "$T/nbbin/jobq" || fail "cannot copy jobq"
	chmod -R a+rX "$T/nbbin"
	NB_JOBQD=$T/nbbin/jobqd NB_JOBQ=$T/nbbin/jobq
	export LD_LIBRARY_PATH=$T/nbbin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	as_nobody "$NB_JOBQ" --version >/dev/null 2>&1 || fail "uid 65534 cannot run the copied jobq"
fi
mkdir "$T/nobody"
chown 65534:65534 "$T/nobody"
chmod 0755 "$T/nobody"
# setpriv execs jobqd: $! is the daemon itself
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$NB_JOBQD" --socket "$T/nobody/s" --state-dir "$T/nobody/state" \
	--workers 1 2>>"$LOG" </dev/null &
JOBQD_PID=$!
for ((i = 0; i < 500 * SLOW; i++)); do
	[ -S "$T/nobody/s" ] && as_nobody "$NB_JOBQ" -s "$T/nobody/s" ping >/dev/null 2>&1 && break
	daemon_alive || fail "the other user's jobqd died"
	sleep 0.02
done
assert_rc 0 "the other user reaches their own jobqd" as_nobody "$NB_JOBQ" -s "$T/nobody/s" ping
chmod 0666 "$T/nobody/s"
assert_rc 3 "root's jobq and another user's socket" "$JOBQ" -s "$T/nobody/s" submit -- true
grep -q "refusing to use the socket" "$T/err" || fail "jobq's message does not say why: $(cat "$T/err")"
assert_eq "$(as_nobody "$NB_JOBQ" -s "$T/nobody/s" --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 \
	"jobs the other user's jobqd received"
stop_daemon
assert_eq "$DAEMON_RC" 0 "the other user's jobqd exit status"
exit 0
