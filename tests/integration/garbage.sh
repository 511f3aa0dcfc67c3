#!/usr/bin/env bash
# garbage.sh - the daemon survives malformed and hostile clients (garbage
# bytes, truncated frames, zero and oversized lengths, invalid JSON, unknown
# ops, missing or wrong handshake, idle connections, bad arguments to every
# scheduling request) and keeps serving others.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

start_daemon --handshake-timeout 1s

python3 - "$SOCK" "$JOBQ" <<'EOF' || fail "protocol robustness checks failed"
import json, os, socket, struct, subprocess, sys, time

SOCK, JOBQ = sys.argv[1], sys.argv[2]
errors = []

def err(msg):
    print("FAIL:", msg); errors.append(msg)

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(SOCK)
    return s

def frame(obj):
    b = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c:
            return None
        buf += c
    return buf

def recv_frame(s):
    """A decoded reply, or None on EOF."""
    h = recv_exact(s, 4)
    if h is None:
        return None
    n = struct.unpack(">I", h)[0]
    if n == 0 or n > (16 << 20):
        raise ValueError(f"reply with bad length {n}")
    b = recv_exact(s, n)
    if b is None:
        raise ValueError("truncated reply")
    o = json.loads(b)
    if not isinstance(o, dict):
        raise ValueError(f"reply is not an object: {b[:100]!r}")
    return o

def closed(s, wait=5.0):
    """True if the peer closes the connection (EOF / reset) within wait s."""
    s.settimeout(wait)
    try:
        while True:
            c = s.recv(4096)
            if not c:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

def hello(s):
    s.sendall(frame({"op": "hello", "version": 1}))
    r = recv_frame(s)
    if not r or r.get("ok") is not True or r.get("version") != 1:
        raise ValueError(f"bad hello reply {r}")

def expect_error(name, s, code=None, then_closed=False):
    try:
        r = recv_frame(s)
    except Exception as e:
        err(f"{name}: {e}"); return
    if r is None:
        err(f"{name}: connection closed without an error reply"); return
    if r.get("ok") is not False or not isinstance(r.get("error"), dict):
        err(f"{name}: expected an error reply, got {r}"); return
    e = r["error"]
    if not isinstance(e.get("message"), str) or not e.get("message"):
        err(f"{name}: error without a message: {r}")
    if code is not None and e.get("code") != code:
        err(f"{name}: error code {e.get('code')!r}, expected {code!r}")
    if then_closed and not closed(s):
        err(f"{name}: connection not closed after the error")

def still_served(name, s):
    try:
        s.sendall(frame({"op": "ping"}))
        r = recv_frame(s)
        if not r or r.get("ok") is not True:
            err(f"{name}: ping on the same connection failed: {r}")
    except Exception as e:
        err(f"{name}: connection unusable afterwards: {e}")

def cli_ok(name):
    try:
        p = subprocess.run([JOBQ, "-s", SOCK, "submit", "--wait", "--", "sh", "-c", "echo served"],
                           capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        err(f"{name}: jobq submit --wait timed out"); return
    if p.returncode != 0:
        err(f"{name}: jobq submit --wait exited {p.returncode}: {p.stderr[:300]!r}")

# 1. garbage bytes before any frame (the first 4 bytes announce ~4 GiB)
s = conn(); s.sendall(b"\xff\xfe\xfd\xfcGARBAGE\x00\x01 not a frame at all")
expect_error("garbage bytes", s, then_closed=True); s.close()

# 2. zero length
s = conn(); s.sendall(struct.pack(">I", 0))
expect_error("zero-length frame", s, then_closed=True); s.close()

# 3. oversized length header (16 MiB + 1), no body
s = conn(); s.sendall(struct.pack(">I", (16 << 20) + 1))
expect_error("oversized length", s, then_closed=True); s.close()
# ... also after a successful hello
s = conn(); hello(s); s.sendall(struct.pack(">I", 0xFFFFFFFF))
expect_error("oversized length after hello", s, then_closed=True); s.close()

# 4. truncated frame then close (before and after hello)
s = conn(); s.sendall(struct.pack(">I", 100) + b'{"op":"hel'); s.close()
s = conn(); hello(s); s.sendall(struct.pack(">I", 1000) + b'{"op":"submit","argv":["x'); s.close()
s = conn(); s.sendall(b"\x00\x00"); s.close()
s = conn(); s.close()

# 5. op before hello
s = conn(); s.sendall(frame({"op": "ping"}))
expect_error("op before hello", s, "bad_request", then_closed=True); s.close()
s = conn(); s.sendall(frame({"op": "submit", "argv": ["true"], "env": [], "cwd": "/"}))
expect_error("submit before hello", s, "bad_request", then_closed=True); s.close()

# 6. wrong version / malformed hello
s = conn(); s.sendall(frame({"op": "hello", "version": 999}))
expect_error("wrong version", s, "version", then_closed=True); s.close()
s = conn(); s.sendall(frame({"op": "hello", "version": 0}))
expect_error("version 0", s, "version", then_closed=True); s.close()

# 7. after hello: invalid JSON, non-objects, missing/odd op: bad_request, kept
s = conn(); hello(s)
for name, payload in [("invalid JSON", b"{not json"),
                      ("binary junk", bytes(range(256))),
                      ("JSON array", b"[1,2,3]"),
                      ("JSON string", b'"ping"'),
                      ("JSON number", b"42"),
                      ("JSON null", b"null"),
                      ("object without op", b'{"id":1}'),
                      ("op not a string", b'{"op":5}'),
                      ("trailing garbage", b'{"op":"ping"} xyz'),
                      ("NUL in the frame", b'{"op":"pi\x00ng"}')]:
    s.sendall(frame(payload))
    # a raw NUL may end the string early (then "pi" is an unknown op)
    expect_error(name, s, None if "NUL" in name else "bad_request")
still_served("after bad requests", s)

# 8. unknown op: unknown_op, kept
s.sendall(frame({"op": "frobnicate"}))
expect_error("unknown op", s, "unknown_op")
still_served("after unknown op", s)

# 9. well-framed requests with bad arguments get an error, not a crash
for name, req in [("submit without argv", {"op": "submit", "env": [], "cwd": "/"}),
                  ("submit with empty argv", {"op": "submit", "argv": [], "env": [], "cwd": "/"}),
                  ("submit with argv of numbers", {"op": "submit", "argv": [1, 2], "env": [], "cwd": "/"}),
                  ("submit with relative cwd", {"op": "submit", "argv": ["true"], "env": [], "cwd": "rel"}),
                  ("submit with bad env", {"op": "submit", "argv": ["true"], "env": ["NOEQ"], "cwd": "/"}),
                  ("submit with retries -1", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "retries": -1}),
                  ("get with a string id", {"op": "get", "id": "abc"}),
                  ("get without id", {"op": "get"}),
                  ("get with a float id", {"op": "get", "id": 1.5}),
                  ("wait with a bad timeout", {"op": "wait", "id": 1, "timeout_ms": "x"}),
                  ("cancel with a huge id", {"op": "cancel", "id": 1e300}),
                  # the scheduling requests
                  # submit_batch: wrong types, huge counts
                  ("submit_batch without jobs", {"op": "submit_batch"}),
                  ("submit_batch with jobs a string", {"op": "submit_batch", "jobs": "x"}),
                  ("submit_batch with jobs of numbers", {"op": "submit_batch", "jobs": [1, 2]}),
                  ("submit_batch with a bad job", {"op": "submit_batch", "jobs": [{"argv": ["true"], "env": [], "cwd": "/"}, {"argv": "true", "env": [], "cwd": "/"}]}),
                  ("submit_batch with 100001 jobs", {"op": "submit_batch", "jobs": [{}] * 100001}),
                  ("submit_batch with an array job", {"op": "submit_batch", "jobs": [{"argv": ["true"], "env": [], "cwd": "/", "array": {"count": 3}}]}),
                  ("submit with a string priority", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "priority": "high"}),
                  ("submit with priority 1e9", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "priority": 1000000000}),
                  ("submit with deps not an array", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "deps": 5}),
                  ("submit with a dep mode of junk", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "deps": [{"id": 1, "mode": "maybe"}]}),
                  ("submit with a dep id 0", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "deps": [{"id": 0}]}),
                  ("submit with a dep on no job", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "deps": [{"id": 987654321}]}),
                  ("submit with 2000 deps", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "deps": [{"id": i + 1} for i in range(2000)]}),
                  ("submit with array count 0", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "array": {"first": 1, "count": 0}}),
                  ("submit with an overflowing array", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "array": {"first": 9223372036854775000, "step": 1000, "count": 100}}),
                  ("submit with a label without =", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "labels": ["novalue"]}),
                  ("submit with a negative timeout", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "timeout_ms": -1}),
                  ("submit with unique_key and array", {"op": "submit", "argv": ["true"], "env": [], "cwd": "/", "unique_key": "k", "array": {"first": 1, "count": 2}}),
                  ("get with a string index", {"op": "get", "id": 1, "index": "x"}),
                  ("get with index and array", {"op": "get", "id": 1, "index": 1, "array": True}),
                  ("logs of a whole array", {"op": "logs", "id": 1, "array": True, "stream": "stdout", "offset": 0, "max": 10}),
                  ("priority without a value", {"op": "priority", "id": 1}),
                  ("priority of no job", {"op": "priority", "id": 987654321, "priority": 1}),
                  ("retry of no job", {"op": "retry", "id": 987654321}),
                  ("purge of a queued state", {"op": "purge", "state": "queued"}),
                  ("purge with a negative age", {"op": "purge", "older_than_ms": -5}),
                  ("queue_set without a queue", {"op": "queue_set", "parallel": 1}),
                  ("queue_set with a bad name", {"op": "queue_set", "queue": "a b/c"}),
                  ("queue_set with parallel -1", {"op": "queue_set", "queue": "q", "parallel": -1}),
                  ("queue_set with paused 1", {"op": "queue_set", "queue": "q", "paused": 1}),
                  ("list with labels of numbers", {"op": "list", "labels": [1, 2]}),
                  ("list with a string array_id", {"op": "list", "array_id": "a"}),
                  ("watch with ids not an array", {"op": "watch", "ids": "all"}),
                  ("watch with an id 0", {"op": "watch", "ids": [0]}),
                  ("second hello", {"op": "hello", "version": 1})]:
    s.sendall(frame(req))
    try:
        r = recv_frame(s)
    except Exception as e:
        err(f"{name}: {e}"); break
    if name == "second hello":
        continue  # either answer is acceptable; the connection must survive
    if r is None:
        err(f"{name}: connection closed"); break
    if r.get("ok") is not False:
        err(f"{name}: accepted: {r}")
still_served("after bad arguments", s)
s.close()

# 10. while an idle pre-hello client and a half-sent frame are pending, other
#     clients are served; the idle one is closed by the handshake timeout.
idle = conn()
t0 = time.monotonic()
half = conn(); hello(half); half.sendall(struct.pack(">I", 200) + b'{"op":"ping"')
slow = conn(); slow.sendall(b"\x00\x00\x00")   # 3 of 4 header bytes
cli_ok("submit --wait while bad clients are connected")
if not closed(idle, 6):
    err("idle connection not closed by the 1 s handshake timeout")
el = time.monotonic() - t0
if el < 0.5:
    err(f"idle connection closed after {el:.2f} s, before the 1 s handshake timeout")
if not closed(slow, 6):
    err("connection stuck in the header before hello not closed by the handshake timeout")
cli_ok("submit --wait after the idle clients")
half.close(); slow.close(); idle.close()

# 11. many connections at once, then dropped
socks = [conn() for _ in range(50)]
for i, x in enumerate(socks):
    if i % 2: x.sendall(frame({"op": "hello", "version": 1}))
for x in socks: x.close()
cli_ok("submit --wait after 50 dropped connections")

print("garbage: %d failure(s)" % len(errors))
sys.exit(1 if errors else 0)
EOF

daemon_alive || fail "jobqd died during the garbage tests"
assert_rc 0 "ping at the end" q ping
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "garbage: ok"
