#!/usr/bin/env bash
# resources.sh - jobqd does not leak under churn: descriptors and memory come
# back after hundreds of clients that wait and hang up, cut frames in the
# middle, or pipeline requests without reading replies; many waiters on one
# job all get its end; SIGHUP is harmless; --sync normal works.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
# default) and shows as RSS: keep it small so the figures mean something.
if grep -qa __asan_init "$JOBQD" 2>/dev/null; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
fi
start_daemon --sync normal

nfds() { ls "/proc/$JOBQD_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$JOBQD_PID/status"; }

# Warm up: a few jobs so that lazily opened things are open.
for i in 1 2 3; do q submit --wait -- true >/dev/null || fail "warm-up job $i"; done
fds0=$(nfds)
rss0=$(rss_kb)

long=$(submit -- "$BIN/sleep" 300)
wait_for 10 "the long job to run" state_is "$long" running

python3 - "$SOCK" "$long" <<'EOF' || fail "client churn"
import json, socket, struct, sys
SOCK, LONG = sys.argv[1], int(sys.argv[2])

def frame(obj):
    b = json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b

def conn(hello=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(SOCK)
    if hello:
        s.sendall(frame({"op": "hello", "version": 1}))
        h = s.recv(4)
        n = struct.unpack(">I", h)[0]
        buf = b""
        while len(buf) < n:
            buf += s.recv(n - len(buf))
        assert json.loads(buf)["ok"] is True
    return s

for i in range(300):
    kind = i % 3
    s = conn()
    if kind == 0:
        # a waiter on a running job that hangs up
        s.sendall(frame({"op": "wait", "id": LONG}))
    elif kind == 1:
        # half a frame, then gone
        b = frame({"op": "get", "id": LONG})
        s.sendall(b[: len(b) // 2])
    else:
        # pipelined requests, no reply read
        s.sendall(b"".join(frame({"op": "list"}) for _ in range(20)))
    s.close()
EOF

# Many waiters on one job all see its end.
quick=$(submit -- "$BIN/sleep" 1)
pids=()
for i in $(seq 1 20); do
	q wait --timeout $((30 * SLOW))s "$quick" >"$T/w.$i" 2>&1 &
	pids+=($!)
done
for i in $(seq 1 20); do
	wait "${pids[$((i - 1))]}" || fail "waiter $i exited $?: $(cat "$T/w.$i")"
	[ ! -s "$T/w.$i" ] || fail "waiter $i printed: $(cat "$T/w.$i")"
done
assert_eq "$(job_state "$quick")" succeeded "the job the 20 waiters waited for"

# SIGHUP: logged, nothing else.
kill -HUP "$JOBQD_PID"
assert_rc 0 "ping after SIGHUP" q ping
grep -q "SIGHUP" "$LOG" || fail "SIGHUP was not logged"

q cancel "$long" || fail "cancel the long job"

# Descriptors are back to where they were (the server frees a closed
# connection on the next loop turn: poll briefly).
fds_back() { [ "$(nfds)" -le "$fds0" ]; }
wait_for 10 "jobqd's descriptors to return to $fds0 (now $(nfds))" fds_back
rss1=$(rss_kb)
log "jobqd: $fds0 fds; RSS $rss0 kB before, $rss1 kB after 300 clients"
# Generous bound: the point is that per-connection state is not kept.
[ "$rss1" -lt $((rss0 + 16384)) ] || fail "RSS grew from $rss0 kB to $rss1 kB"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
exit 0
