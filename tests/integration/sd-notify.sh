#!/usr/bin/env bash
# sd-notify.sh - jobqd as a systemd Type=notify service with WatchdogSec=,
# against a NOTIFY_SOCKET of the test's own (a python3 listener recording
# each datagram with its arrival time and sender pid): READY=1 with a
# STATUS= line; WATCHDOG=1 every half interval; STATUS= lines that follow
# the counts, at most one a second; RELOADING=1 + MONOTONIC_USEC= then
# READY=1 around SIGHUP (good and bad configuration); STOPPING=1.  The
# watchdog pings stop while the store thread is stuck before a COMMIT (the
# fault point "stall", JOBQD_FAULTS=stall* with JOBQD_FAULT_STALL=FILE:
# held while FILE exists) although the loop still answers, and come back
# once it moves.  Malformed or foreign notify variables: refused or
# ignored.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

NSOCK=$T/notify.sock
NLOG=$T/notify.log
STALL=$T/stall
CONF=$T/jobqd.conf
W_S=$SLOW                        # WatchdogSec, seconds
W_US=$((W_S * 1000000))

# The listener: one line per datagram, "REALTIME MONOTONIC PID MESSAGE"
# (newlines of the message as "|").
python3 - "$NSOCK" "$NLOG" <<'EOF' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = -1
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    out.write("%.6f %.6f %d %s\n" % (time.time(), time.monotonic(), pid,
              msg.decode("utf-8", "replace").replace("\n", "|")))
EOF
LISTENER=$!
disown "$LISTENER"   # killed by the exit trap (EXTRA_PIDS), without a notice
EXTRA_PIDS=$LISTENER
sock_there() { [ -S "$NSOCK" ]; }
wait_for 10 "the notify listener's socket" sock_there
: >>"$NLOG"

now() { date +%s.%N; }
# msgs [FIELD-REGEX]: the messages (4th field on) matching an ERE.
msgs() { cut -d' ' -f4- "$NLOG" | grep -E "${1:-.}" || true; }
nmsgs() { msgs "$1" | wc -l | tr -d ' '; }
# after N: the lines of $NLOG after its N-th.
after() { tail -n +"$(($1 + 1))" "$NLOG"; }
nlog() { wc -l <"$NLOG" | tr -d ' '; }
# has_after N ERE: a message after line N matches.
has_after() { after "$1" | cut -d' ' -f4- | grep -E "$2" >/dev/null; }
# last_ping: the arrival time (realtime) of the last WATCHDOG=1, or 0.
last_ping() { awk '$4 == "WATCHDOG=1" { t = $1 } END { print t ? t : 0 }' "$NLOG"; }
# fgt A B: A > B, as decimal numbers.
fgt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
# fadd A B: A + B.
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a + b }'; }

printf 'visibility = full\n' >"$CONF"
chmod 0644 "$CONF"
WORKERS=1

# --- start: READY=1 with STATUS=, from jobqd itself ------------------------
# WATCHDOG_PID is the pid of the subshell that execs jobqd: its own.
echo "=== start_daemon with NOTIFY_SOCKET ($(date +%T.%N))" >>"$LOG"
(
	export NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=$W_US WATCHDOG_PID=$BASHPID
	export JOBQD_FAULTS='stall*' JOBQD_FAULT_STALL=$STALL
	exec "$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers 1 \
		--kill-grace 2s --config "$CONF" 2>>"$LOG" </dev/null
) &
JOBQD_PID=$!
wait_ready
ready() { [ "$(nmsgs '^READY=1')" -ge 1 ]; }
wait_for 5 "READY=1" ready
assert_eq "$(msgs | head -n 1)" "READY=1|STATUS=0 queued, 0 running, 0 of 1 workers busy" \
	"the first notification"
grep -q "watchdog: WATCHDOG=1 every $((W_US / 2000)) ms" "$LOG" ||
	fail "jobqd did not log its watchdog interval"

# The workers (and so the jobs) do not inherit the notify variables.
worker=$(worker_pids | head -n 1)
[ -n "$worker" ] || fail "no worker process"
tr '\0' '\n' <"/proc/$worker/environ" | grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' &&
	fail "worker $worker inherited the notify variables"

# --- periodic WATCHDOG=1 ------------------------------------------------------
pings_ge() { [ "$(nmsgs '^WATCHDOG=1$')" -ge "$1" ]; }
wait_for $((4 * W_S)) "5 WATCHDOG=1 pings" pings_ge 5
awk -v w="$W_S" '$4 == "WATCHDOG=1" { if (p) { g = $2 - p; if (g >= w || g < w / 2 - 0.1) bad = bad " " g } p = $2 }
	END { if (bad != "") { print "gaps between pings (s):" bad; exit 1 } }' "$NLOG" ||
	fail "WATCHDOG=1 not every half interval ($W_S s / 2): $(awk '$4 == "WATCHDOG=1" { print $2 }' "$NLOG" | paste -sd ' ')"
# Every notification comes from jobqd itself (NotifyAccess=main).
others=$(awk -v p="$JOBQD_PID" '$3 != p' "$NLOG")
[ -z "$others" ] || fail "notifications not from jobqd (pid $JOBQD_PID): $others"

# --- STATUS= follows the counts, at most once a second -------------------------
gate=$T/gate
n0=$(nlog)
j1=$(submit -- "$BIN/sh" -c "$(gate_script "$gate")")
st_after() { has_after "$1" "^STATUS=$2\$"; }
wait_for 10 "STATUS= with job $j1 running" st_after "$n0" "0 queued, 1 running, 1 of 1 workers busy"
n1=$(nlog)
j2=$(submit -- true)
wait_for 10 "STATUS= with job $j2 queued" st_after "$n1" "1 queued, 1 running, 1 of 1 workers busy"
n2=$(nlog)
touch "$gate"
wait_ended "$j2"
wait_for 10 "STATUS= when idle again" st_after "$n2" "0 queued, 0 running, 0 of 1 workers busy"
# No two STATUS= lines less than a second apart (loop time: 0.95 s for
# rounding), and never the same line twice in a row.
awk '$4 ~ /STATUS=/ { if (p && $2 - p < 0.95) { print "STATUS= lines " $2 - p " s apart"; exit 1 } p = $2 }' "$NLOG" ||
	fail "STATUS= more often than once a second: $(grep STATUS= "$NLOG")"
msgs '^STATUS=' | uniq -d | grep . && fail "the same STATUS= sent twice in a row"

# --- SIGHUP: RELOADING=1 + MONOTONIC_USEC, then READY=1 --------------------------
# reload_notified N: after line N, RELOADING=1 with a MONOTONIC_USEC no later
# than its arrival (and at most 5 s before), then READY=1.  0: so; 1: not
# yet; 2: a malformed RELOADING=1 (printed).
reload_notified() {
	after "$1" | awk '
	!seen && $4 ~ /^RELOADING=1/ {
		seen = 1
		if ($4 !~ /^RELOADING=1\|MONOTONIC_USEC=[0-9]+$/) {
			print "malformed: " $4; bad = 1; exit
		}
		split($4, f, "=")
		mono = f[3] / 1e6
		if (mono > $2 + 0.001 || mono < $2 - 5) {
			print "MONOTONIC_USEC " mono " s, arrived at " $2 " s"; bad = 1; exit
		}
		next
	}
	seen && $4 == "READY=1" { ok = 1 }
	END { exit bad ? 2 : ok ? 0 : 1 }'
}
# reload_ok N: reload_notified, failing at once on a malformed message.
reload_ok() {
	local rc
	reload_notified "$1"
	rc=$?
	[ "$rc" != 2 ] || fail "reload notification after line $1: $(after "$1")"
	return "$rc"
}
n3=$(nlog)
kill -HUP "$JOBQD_PID"
wait_for 10 "RELOADING=1 then READY=1 on SIGHUP" reload_ok "$n3"
grep -q "SIGHUP: $CONF reloaded" "$LOG" || fail "jobqd did not log the reload"
# A bad file: the configuration in force is kept, and jobqd is ready again.
printf 'frobnicate = 1\n' >"$CONF"
n4=$(nlog)
kill -HUP "$JOBQD_PID"
wait_for 10 "RELOADING=1 then READY=1 on a failed reload" reload_ok "$n4"
grep -q "SIGHUP: $CONF:1: unknown key" "$LOG" || fail "the bad reload was not logged"
daemon_alive || fail "jobqd died on a bad reload"

# --- the store thread stuck: no WATCHDOG=1 until it moves again ----------------
touch "$STALL"
q submit -- true >"$T/stalled.out" 2>"$T/stalled.err" &
stalled=$!
EXTRA_PIDS="$LISTENER $stalled"
held() { grep -q "commit: held while $STALL exists" "$LOG"; }
wait_for 10 "the store thread to be held before a COMMIT" held
t0=$(now)
# Pings stop: none for more than two intervals (bounded wait) ...
quiet() {
	local lp
	lp=$(last_ping)
	fgt "$(now)" "$(fadd "$lp" "$((25 * W_S))e-1")"
}
wait_for $((8 * W_S)) "WATCHDOG=1 to stop while the store is stuck" quiet
# ... and they stopped because of the stall: the last one came at most an
# interval (plus the half-interval tick and slack) after it began.
lp=$(last_ping)
fgt "$(fadd "$t0" $((2 * W_S)))" "$lp" ||
	fail "last WATCHDOG=1 at $lp, more than $((2 * W_S)) s after the stall began ($t0)"
grep -q "watchdog: the store thread has been on one batch for .* WATCHDOG=1 withheld" "$LOG" ||
	fail "jobqd did not log that it withholds the pings"
# The loop itself still turns: it answers, only the store is stuck.
assert_rc 0 "ping while the store thread is stuck" q ping
kill -0 "$stalled" 2>/dev/null || fail "the submit returned while its commit was held"
daemon_alive || fail "jobqd died while its store thread was stuck"

t1=$(now)
rm -f "$STALL"
ping_since() { fgt "$(last_ping)" "$1"; }
wait_for $((5 * W_S)) "WATCHDOG=1 again once the store moves" ping_since "$t1"
wait "$stalled"
assert_eq "$?" 0 "exit status of the submit that was held"
EXTRA_PIDS=$LISTENER
grep -q "watchdog: the store thread moves again: WATCHDOG=1 resumed" "$LOG" ||
	fail "jobqd did not log that the pings resumed"

# --- stop: STOPPING=1 ------------------------------------------------------------
n5=$(nlog)
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
has_after "$n5" '^STOPPING=1' || fail "no STOPPING=1 on SIGTERM: $(after "$n5")"

# --- WATCHDOG_PID of another process: no watchdog, READY=1 all the same ---------
printf 'visibility = full\n' >"$CONF"
n6=$(nlog)
NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=$W_US WATCHDOG_PID=1 start_daemon
ready_after() { has_after "$n6" '^READY=1'; }
wait_for 5 "READY=1 (foreign WATCHDOG_PID)" ready_after
# A positive control for the silence: a STATUS= change gets through.
j3=$(submit -- "$BIN/sleep" 2)
wait_for 10 "STATUS= with job $j3 running" st_after "$n6" "0 queued, 1 running, 1 of 1 workers busy"
wait_ended "$j3"
has_after "$n6" '^WATCHDOG=1' && fail "WATCHDOG=1 sent although WATCHDOG_PID is not jobqd's"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status (foreign WATCHDOG_PID)"

# --- malformed variables: start-up errors, nothing touched -----------------------
bad_env() { # EXIT-STATUS DESCRIPTION EXPECTED-MESSAGE VAR=VALUE...
	local rc=$1 desc=$2 want=$3
	shift 3
	assert_rc "$rc" "$desc" env "$@" "$JOBQD" --socket "$T/s2" --state-dir "$T/st2"
	grep -qF -- "$want" "$T/err" || fail "$desc: stderr [$(cat "$T/err")] does not say [$want]"
	[ ! -e "$T/st2" ] || fail "$desc: the state dir was created"
}
bad_env 1 "NOTIFY_SOCKET relative" "NOTIFY_SOCKET: \"notify.sock\" is neither an absolute path nor an abstract socket name" \
	NOTIFY_SOCKET=notify.sock
bad_env 1 "WATCHDOG_USEC not a number" "WATCHDOG_USEC: \"30s\" is not a positive number of microseconds" \
	NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=30s
bad_env 1 "WATCHDOG_USEC 0" "WATCHDOG_USEC: \"0\" is not a positive number" \
	NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=0
bad_env 1 "WATCHDOG_PID not a pid" "WATCHDOG_PID: \"me\" is not a process id" \
	NOTIFY_SOCKET="$NSOCK" WATCHDOG_USEC=1000000 WATCHDOG_PID=me
bad_env 2 "stall without its file" "\"stall\" needs JOBQD_FAULT_STALL=FILE" \
	JOBQD_FAULTS=stall
echo "sd-notify: ok"
