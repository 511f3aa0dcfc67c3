#!/usr/bin/env bash
# bigjob.sh - a job with ~1 MiB of argv + env runs and sees exactly its
# arguments; a 3 MiB spec is refused with too_big; no IPC objects of jobqd
# are left in /dev/shm or /dev/mqueue after it stops.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

shm_snapshot() { (ls -1 /dev/shm 2>/dev/null; ls -1 /dev/mqueue 2>/dev/null) | grep -i jobq | sort; }
shm_snapshot >"$T/shm.before"

start_daemon
# The workers' message queue names, from their command lines
# (jobqd --worker SLOT MQNAME PID).
mqnames=$(for w in $(worker_pids); do tr '\0' '\n' <"/proc/$w/cmdline" | sed -n '/^--worker$/{n;n;p}'; done)
log "worker queues: $(echo $mqnames)"
# (positive control of the queue check at the end: it has names to look for)
assert_eq "$(wc -w <<<"$mqnames")" 2 "message queue names of the 2 workers"

# 16 arguments of 64 KiB (1 MiB) plus 4 environment entries of 32 KiB.
args=()
for ((i = 0; i < 16; i++)); do
	c=$(printf "\\x$(printf %x $((97 + i)))")
	args+=("$i:$(head -c 65530 /dev/zero | tr '\0' "$c")")
done
envs=()
for ((i = 0; i < 4; i++)); do
	envs+=(--env "BIG$i=$(head -c 32760 /dev/zero | tr '\0' "$((i + 1))")")
done
want_argv=$(printf '%s\0' "${args[@]}" | sha256sum | cut -d' ' -f1)
want_env=$(for ((i = 0; i < 4; i++)); do printf '%s' "${envs[2 * i + 1]}"; printf '\0'; done | sha256sum | cut -d' ' -f1)

id=$(submit "${envs[@]}" -- sh -c '
printf "%s\0" "$@" | sha256sum | cut -d" " -f1
for v in BIG0 BIG1 BIG2 BIG3; do eval "printf %s \"$v=\$$v\""; printf "\0"; done | sha256sum | cut -d" " -f1
echo "$#"' sh "${args[@]}")
assert_rc 0 "wait on the 1 MiB job" timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" wait "$id"
out=$(q logs "$id") || fail "logs of job $id"
assert_eq "$(sed -n 1p <<<"$out")" "$want_argv" "sha256 of the big job's argv"
assert_eq "$(sed -n 2p <<<"$out")" "$want_env" "sha256 of the big job's environment"
assert_eq "$(sed -n 3p <<<"$out")" 16 "argument count of the big job"
# show --json returns the argv intact
q --json show "$id" | python3 -c '
import hashlib, json, sys
a = json.load(sys.stdin)["argv"][4:]
h = hashlib.sha256(b"".join(x.encode() + b"\0" for x in a)).hexdigest()
sys.exit(0 if h == sys.argv[1] else 1)' "$want_argv" || fail "argv of the big job in show --json"

# 3 MiB spec: too_big, over the raw protocol; 2 MiB + 1 too; the daemon lives.
python3 - "$SOCK" <<'EOF' || fail "oversized specs"
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
def send(o):
    b = json.dumps(o).encode(); s.sendall(struct.pack(">I", len(b)) + b)
def recv():
    def exact(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c: raise SystemExit("connection closed")
            b += c
        return b
    n = struct.unpack(">I", exact(4))[0]
    return json.loads(exact(n))
send({"op": "hello", "version": 1}); assert recv()["ok"] is True
fails = 0
for name, argv, env in [("3 MiB argv", ["true"] + ["x" * 65536] * 48, []),
                        ("3 MiB env", ["true"], ["V%d=%s" % (i, "y" * 65536) for i in range(48)]),
                        ("one argument of 2 MiB + 1", ["true", "z" * ((2 << 20) + 1)], [])]:
    send({"op": "submit", "argv": argv, "env": env, "cwd": "/"})
    r = recv()
    code = r.get("error", {}).get("code") if r.get("ok") is False else None
    if code != "too_big":
        print(f"{name}: reply {str(r)[:200]}, expected too_big"); fails += 1
send({"op": "ping"})
if recv().get("ok") is not True:
    print("ping after too_big failed"); fails += 1
sys.exit(1 if fails else 0)
EOF
daemon_alive || fail "jobqd died"
assert_eq "$(q --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 "jobs after the refused submits"

# A big job's output: 4 MiB of stdout captured completely.
big=$(submit -- sh -c 'head -c 4194304 /dev/zero | tr "\0" x')
assert_rc 0 "wait on the 4 MiB output job" timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" wait "$big"
assert_eq "$(q logs "$big" | wc -c)" 4194304 "bytes of a 4 MiB output read back with jobq logs"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
for m in $mqnames; do
	[ -e "/dev/mqueue/${m#/}" ] && fail "message queue $m left behind after jobqd stopped"
done
leftover() { [ -z "$(comm -13 "$T/shm.before" <(shm_snapshot))" ]; }
# Positive control of the probe: a new jobq object in /dev/shm is seen.
probe=/dev/shm/jobq-itest-probe.$$
: >"$probe" || fail "cannot create $probe"
leftover && fail "the /dev/shm probe does not see $probe"
rm -f "$probe"
wait_for 3 "no new jobq objects in /dev/shm or /dev/mqueue: $(comm -13 "$T/shm.before" <(shm_snapshot) | tr '\n' ' ')" leftover
echo "bigjob: ok"
