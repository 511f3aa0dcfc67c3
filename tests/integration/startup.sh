#!/usr/bin/env bash
# startup.sh - start-up failures (second daemon, bad state dirs, foreign
# databases, bad options) exit 1 with one line and touch nothing; --help and
# --version; READY=1 to NOTIFY_SOCKET; SIGTERM with a running job; restart
# after a clean stop keeps finished jobs.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# try_daemon WANT MESSAGE ARGS...: runs jobqd ARGS (bounded) expecting exit
# status WANT ("1" or "1|2") and exactly one non-empty line on stderr.
try_daemon() {
	local want=$1 msg=$2
	shift 2
	assert_rc "$want" "$msg" timeout $((10 * SLOW)) "$JOBQD" "$@"
	local lines
	lines=$(grep -c . "$T/err")
	[ "$lines" = 1 ] || fail "$msg: expected one line on stderr, got $lines: $(head -c 600 "$T/err")"
}

# --- help, version, bad options -------------------------------------------
assert_rc 0 "--help" "$JOBQD" --help
grep -q -- --state-dir "$T/out" || fail "--help does not mention --state-dir: $(head -c 300 "$T/out")"
assert_rc 0 "-h" "$JOBQD" -h
assert_rc 0 "--version" "$JOBQD" --version
# JOBQ_VERSION: the version configure has (AC_INIT), from `make check`
: "${JOBQ_VERSION:?JOBQ_VERSION must be the version from configure}"
grep -qF "jobqd $JOBQ_VERSION (" "$T/out" ||
	fail "--version does not print jobqd $JOBQ_VERSION: $(cat "$T/out")"
assert_rc 0 "-V" "$JOBQD" -V

bad="$T/bad-state"
for opts in "--frobnicate" "--workers 0" "--workers abc" "--workers -3" "--sync sometimes" \
	"--kill-grace forever" "--handshake-timeout -1s" "--log-level loud" "extra-argument" \
	"--kill-grace 1e3" "--kill-grace 0x10" "--kill-grace 5.s" "--keep-age 5s1m" "--keep-age 1.5h30m"; do
	# shellcheck disable=SC2086
	assert_rc "1|2" "jobqd $opts" timeout $((10 * SLOW)) "$JOBQD" --socket "$T/bad.sock" --state-dir "$bad" $opts
	# a message, possibly followed by a "Try --help" hint
	lines=$(grep -c . "$T/err")
	[ "$lines" -ge 1 ] && [ "$lines" -le 2 ] || fail "jobqd $opts: expected a one-line message, got $lines lines: $(head -c 600 "$T/err")"
	[ -e "$bad" ] && fail "jobqd $opts created the state dir"
	[ -e "$T/bad.sock" ] && fail "jobqd $opts created the socket"
done

# --- state dir problems ------------------------------------------------------
: >"$T/a-file"
try_daemon 1 "state dir is a regular file" --socket "$T/s1" --state-dir "$T/a-file"
[ -s "$T/a-file" ] && fail "jobqd wrote into the regular file given as state dir"
try_daemon 1 "state dir whose parent is missing" --socket "$T/s1" --state-dir "$T/missing/parent/state"
[ -e "$T/missing" ] && fail "jobqd created the missing parents of the state dir"
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$JOBQD" 2>/dev/null; then
		mkdir -m 0755 "$T/ro" "$T/ro/state"
		chmod 0777 "$T"
		assert_rc 1 "unwritable state dir (as nobody)" timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$JOBQD" --socket "$T/s-ro" --state-dir "$T/ro/state"
		assert_rc 1 "state dir in an unwritable parent (as nobody)" timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$JOBQD" --socket "$T/s-ro" --state-dir "$T/ro/new"
		chmod 0700 "$T"
		[ -z "$(ls -A "$T/ro/state")" ] || fail "jobqd wrote into an unwritable state dir"
	else
		log "running as root and jobqd is not executable by nobody: unwritable-dir cases skipped"
	fi
else
	mkdir "$T/ro" "$T/ro/state"
	chmod 0555 "$T/ro/state" "$T/ro"
	try_daemon 1 "unwritable state dir" --socket "$T/s1" --state-dir "$T/ro/state"
	try_daemon 1 "state dir in an unwritable parent" --socket "$T/s1" --state-dir "$T/ro/new"
	chmod 0755 "$T/ro/state" "$T/ro"
	[ -z "$(ls -A "$T/ro/state")" ] || fail "jobqd wrote into an unwritable state dir"
fi

# --- foreign databases ---------------------------------------------------------
foreign() { # DIR MESSAGE
	local before after
	before=$(sha256sum "$1/jobq.db")
	try_daemon 1 "$2" --socket "$T/s2" --state-dir "$1"
	after=$(sha256sum "$1/jobq.db")
	assert_eq "$after" "$before" "$2: jobq.db was modified"
	[ -e "$1/jobq.db-wal" ] && fail "$2: jobq.db-wal was created"
	[ -e "$1/jobq.db-journal" ] && fail "$2: jobq.db-journal was created"
	[ -e "$T/s2" ] && fail "$2: the socket was created"
}
mkdir "$T/random" "$T/otherapp" "$T/wrongid" "$T/empty"
head -c 65536 /dev/urandom >"$T/random/jobq.db"
foreign "$T/random" "jobq.db of random bytes"
printf 'SQLite format 3\0garbage after the magic%.0s' {1..200} >"$T/random/jobq.db"
foreign "$T/random" "jobq.db with a fake SQLite header"
sqlite3 "$T/otherapp/jobq.db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES('mine');"
foreign "$T/otherapp" "SQLite database of another application"
sqlite3 "$T/wrongid/jobq.db" "PRAGMA application_id=1234; CREATE TABLE jobs(id INTEGER PRIMARY KEY);"
foreign "$T/wrongid" "SQLite database with another application_id"
assert_eq "$(sqlite3 "$T/otherapp/jobq.db" 'SELECT body FROM notes')" mine "the other application's data"

# --- a real daemon: schema, second daemon, NOTIFY_SOCKET ---------------------
python3 - "$T/notify" >"$T/notify.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(30)
try:
    while True:
        m = s.recv(4096).decode()
        print(m.replace("\n", "|"), flush=True)
        if "READY=1" in m.split("\n"):
            break
except socket.timeout:
    print("timeout")
EOF
notify_pid=$!
EXTRA_PIDS=$notify_pid
notify_bound() { [ -S "$T/notify" ]; }
wait_for 10 "notify listener" notify_bound
NOTIFY_SOCKET=$T/notify start_daemon
for ((i = 0; i < 250 * SLOW; i++)); do kill -0 "$notify_pid" 2>/dev/null || break; sleep 0.02; done
grep -q 'READY=1' "$T/notify.out" || fail "no READY=1 on NOTIFY_SOCKET: $(cat "$T/notify.out")"
unset NOTIFY_SOCKET

[ -f "$STATE/jobq.db" ] || fail "$STATE/jobq.db not created"
[ -f "$STATE/jobqd.lock" ] || fail "$STATE/jobqd.lock not created"
[ -d "$STATE/logs" ] || fail "$STATE/logs not created"
schema=$("$JOBQD" --version | sed -n 's/.*schema \([0-9]*\)).*/\1/p')
[ "${schema:-0}" -ge 2 ] || fail "jobqd --version names no schema >= 2: $("$JOBQD" --version)"
assert_eq "$(sqlite3 "$STATE/jobq.db" 'PRAGMA user_version')" "$schema" "user_version"
# 0x4a4f4251 ("JOBQ") = 1246708305
assert_eq "$(sqlite3 "$STATE/jobq.db" 'PRAGMA application_id')" $((0x4a4f4251)) "application_id"
assert_eq "$(sqlite3 "$STATE/jobq.db" 'PRAGMA journal_mode')" wal "journal_mode"
cols=$(sqlite3 "$STATE/jobq.db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_table_info('jobs') ORDER BY name)")
for c in id state queue name owner_uid argv env cwd submitted_at started_at finished_at exit_code signal attempts max_retries reason message pid \
	priority not_before timeout_ms kill_grace_ms retry_delay_ms unique_key array_id array_index; do
	[[ " $cols " == *" $c "* ]] || fail "column $c missing from table jobs ($cols)"
done
tables=$(sqlite3 "$STATE/jobq.db" "SELECT group_concat(name, ' ') FROM sqlite_master WHERE type = 'table'")
for t in jobs labels deps arrays queues meta; do
	[[ " $tables " == *" $t "* ]] || fail "table $t missing ($tables)"
done
if [ "$(id -u)" != 0 ]; then
	assert_eq "$(stat -c %a "$(dirname "$SOCK")")" 700 "mode of the socket's directory"
fi

try_daemon 1 "second jobqd on the same state dir" --socket "$T/s3" --state-dir "$STATE"
grep -q "another jobqd (pid $JOBQD_PID) is using state dir" "$T/err" ||
	fail "second jobqd: message [$(cat "$T/err")], expected 'another jobqd (pid $JOBQD_PID) is using state dir ...'"
[ -e "$T/s3" ] && fail "second jobqd created its socket"
assert_rc 0 "first daemon after the second one failed" q ping

# Default socket from JOBQ_SOCKET on the daemon side.
JOBQ_SOCKET=$T/envsock timeout 10 "$JOBQD" --state-dir "$T/envstate" --workers 1 2>>"$LOG" &
env_pid=$!
EXTRA_PIDS="$EXTRA_PIDS $env_pid"
env_ready() { "$JOBQ" -s "$T/envsock" ping >/dev/null 2>&1; }
wait_for 10 "jobqd listening on \$JOBQ_SOCKET" env_ready
kill -TERM "$env_pid"
wait "$env_pid"
assert_eq "$?" 0 "exit status of the JOBQ_SOCKET daemon"

# --- SIGTERM with a finished and a running (TERM-ignoring) job ---------------
fin=$(submit -- sh -c 'echo kept')
assert_rc 0 "a finished job" q wait "$fin"
# Both workers busy: one job ignores TERM (needs the KILL after the grace).
run=$(submit -- "$BIN/sh" -c "trap '' TERM; \"$BIN/sleep\" 300 & echo ready; while :; do \"$BIN/sleep\" 1; done")
run2=$(submit -- "$BIN/sleep" 300)
wait_for 10 "job $run running" state_is "$run" running
wait_for 10 "job $run2 running" state_is "$run2" running
has_ready() { [ "$(q logs "$run" 2>/dev/null)" = ready ]; }
wait_for 10 "job $run printed ready" has_ready
markers_seen 3 "the processes of jobs $run and $run2"
queued=$(submit -- sleep 1)
queued2=$(submit -- sleep 1)
queued3=$(submit -- sleep 1)
t0=$(date +%s%N)
stop_daemon
el=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$DAEMON_RC" 0 "jobqd exit status after SIGTERM with a running job"
log "shutdown took $el ms"
[ "$el" -ge 1500 ] || fail "shutdown took $el ms: the TERM-ignoring job was not given the 2 s grace"
assert_no_markers 5 "job processes after shutdown"
[ -e "$SOCK" ] && [ "$(id -u)" != 0 ] && log "note: socket file left after a clean stop"

start_daemon
assert_eq "$(show_field "$run" state)" interrupted "state of a job running at shutdown"
assert_eq "$(show_field "$run" reason)" shutdown "reason of a job running at shutdown"
assert_eq "$(show_field "$run2" state)" interrupted "state of a second job running at shutdown"
assert_eq "$(show_field "$run2" reason)" shutdown "reason of a second job running at shutdown"
assert_eq "$(show_field "$fin" state)" succeeded "finished job after a restart"
assert_eq "$(q logs "$fin")" kept "output of a finished job after a restart"
for j in $queued $queued2 $queued3; do
	s=$(show_field "$j" state)
	case $s in queued | running | succeeded) ;; *) fail "job $j queued at shutdown is $s after restart (reason $(show_field "$j" reason))" ;; esac
done
assert_rc 0 "queued jobs run after a restart" timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" wait "$queued" "$queued2" "$queued3"
next=$(submit -- true)
[ "$next" -gt "$queued3" ] || fail "id $next after a restart is not above $queued3"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"

# --- requests while a shutdown waits for a job: refused, clearly ---------------
start_daemon
hold=$(submit -- "$BIN/sh" -c "trap '' TERM; echo ready; while :; do \"$BIN/sleep\" 1; done")
holds_ready() { [ "$(q logs "$hold" 2>/dev/null)" = ready ]; }
wait_for 10 "job $hold printed ready" holds_ready
assert_rc 0 "ping before the shutdown" q ping
# A client connected before the shutdown: its requests after it began get a
# clear error (new connections find the socket gone).
python3 - "$SOCK" "$JOBQD_PID" "$LOG" <<'EOF' || fail "requests during the shutdown"
import json, os, signal, socket, struct, sys, time
sock, pid, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
def call(obj):
    b = json.dumps(obj).encode()
    s.sendall(struct.pack(">I", len(b)) + b)
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            sys.exit("connection closed")
        hdr += c
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            sys.exit("connection closed")
        body += c
    return json.loads(body)
assert call({"op": "hello", "version": 1})["ok"] is True
r = call({"op": "ping"})
assert r["ok"] is True, r            # positive control: served before
mark = "stopping (running jobs get"
before = open(log).read().count(mark)    # earlier stops logged it too
os.kill(pid, signal.SIGTERM)
for _ in range(500):
    if open(log).read().count(mark) > before:
        break
    time.sleep(0.02)
else:
    sys.exit("jobqd never logged its shutdown")
for op in ({"op": "ping"}, {"op": "list"}, {"op": "get", "id": 1},
           {"op": "submit", "argv": ["true"], "env": [], "cwd": "/"}):
    r = call(op)
    if r.get("ok") is not False or r["error"]["code"] != "shutting_down" \
            or "shutting down" not in r["error"]["message"]:
        sys.exit("%s during the shutdown: %r" % (op["op"], r))
EOF
for ((i = 0; i < 750 * SLOW; i++)); do daemon_alive || break; sleep 0.02; done
daemon_alive && fail "jobqd did not exit after its grace"
wait "$JOBQD_PID"
assert_eq "$?" 0 "exit status after a shutdown that refused requests"
JOBQD_PID=
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $hold")" interrupted "state of the job the shutdown waited for"

# --sync normal and SIGINT; durations in the grammar jobq uses (util.c)
start_daemon --sync normal --kill-grace 1m30s --keep-age 1d12h --handshake-timeout 1.5s
assert_rc 0 "a job with --sync normal" q submit --wait -- true
kill -INT "$JOBQD_PID"
for ((i = 0; i < 500 * SLOW; i++)); do daemon_alive || break; sleep 0.02; done
daemon_alive && fail "jobqd did not exit on SIGINT"
wait "$JOBQD_PID"
assert_eq "$?" 0 "exit status after SIGINT"
JOBQD_PID=
echo "startup: ok"
