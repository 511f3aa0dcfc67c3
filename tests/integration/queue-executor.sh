#!/usr/bin/env bash
# queue-executor.sh - a queue's executor setting (issue 13): `queue set
# --executor slurm --partition --account --slurm-opt` is shown by `queue
# list` (the executor line under the queue, "executor" in --json) and
# stored in queues.executor; `--executor local` clears it; each validation
# rule is refused with its message, by jobq (usage error) and by jobqd
# itself (a raw queue_set: invalid); the setting survives a restart and a
# kill -9; only administrators may change it (as the other queue settings).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v sqlite3 >/dev/null || skip "needs sqlite3"
start_daemon

# --- set, show ----------------------------------------------------------------
assert_rc 0 "set gpu slurm" q queue set gpu --executor slurm --partition gpu.a \
	--account lab_1 --slurm-opt mem=4G --slurm-opt exclusive \
	--slurm-opt 'constraint=a&b'
assert_rc 0 "set cpu --parallel 2" q queue set cpu --parallel 2
assert_rc 0 "queue list" q queue list
grep -A1 '^gpu ' "$T/out" >"$T/gpu.txt"
assert_eq "$(sed -n 2p "$T/gpu.txt")" \
	"  executor: slurm partition=gpu.a account=lab_1 opts=mem=4G,exclusive,constraint=a&b" \
	"the executor line under gpu"
assert_eq "$(grep -c 'executor:' "$T/out")" 1 "executor lines (cpu is local)"
q --json queue list | pycheck "queue list --json" '
d = {x["name"]: x for x in o}
if d["cpu"]["executor"] != {"type": "local"}: bad("cpu: %r" % d["cpu"])
want = {"type": "slurm", "partition": "gpu.a", "account": "lab_1",
        "opts": ["mem=4G", "exclusive", "constraint=a&b"]}
if d["gpu"]["executor"] != want: bad("gpu: %r" % d["gpu"]["executor"])
if d["cpu"]["parallel"] != 2: bad("cpu parallel")'
assert_eq "$(sql "SELECT executor FROM queues WHERE name = 'gpu'")" \
	'{"type":"slurm","partition":"gpu.a","account":"lab_1","opts":["mem=4G","exclusive","constraint=a&b"]}' \
	"the stored text (canonical)"
assert_eq "$(sql "SELECT executor IS NULL FROM queues WHERE name = 'cpu'")" 1 \
	"cpu's stored executor"
# the other settings leave it; --parallel with --executor in one command
assert_rc 0 "pause gpu" q queue pause gpu
assert_rc 0 "set gpu --parallel 3" q queue set gpu --parallel 3
q --json queue list | pycheck "gpu after pause and --parallel" '
g = [x for x in o if x["name"] == "gpu"][0]
if g["executor"]["partition"] != "gpu.a" or not g["paused"] or g["parallel"] != 3:
    bad(g)'
assert_rc 0 "set gpu2 --parallel 1 --executor slurm" \
	q --json queue set gpu2 --parallel 1 --executor slurm
pycheck "queue set --json" '
if o["parallel"] != 1 or o["executor"] != {"type": "slurm"}: bad(o)' <"$T/out"
# a job in a slurm queue is accepted (where it runs is another part's)
submit --queue gpu2 --hold -- true >/dev/null

# --- jobq's checks (usage errors, exit 2) ---------------------------------------
bad_cli() { # MESSAGE ARGS...: jobq refuses with exit 2 and MESSAGE on stderr
	local msg=$1
	shift
	assert_rc 2 "jobq queue $*" q queue "$@"
	grep -qF -- "$msg" "$T/err" || fail "jobq queue $*: no [$msg] in: $(cat "$T/err")"
}
bad_cli "need --executor slurm" set gpu --partition p
bad_cli "need --executor slurm" set gpu --executor local --account a
bad_cli "need --executor slurm" set gpu --slurm-opt mem=1
bad_cli "invalid --executor 'pbs' (expected local or slurm)" set gpu --executor pbs
bad_cli "invalid --partition 'a b': must be 1-63 characters" set gpu --executor slurm --partition 'a b'
bad_cli "invalid --account '': must be 1-63 characters" set gpu --executor slurm --account ''
bad_cli "invalid --partition" set gpu --executor slurm --partition "$(printf 'p%.0s' {1..64})"
bad_cli "--slurm-opt output: set by jobq" set gpu --executor slurm --slurm-opt output=/tmp/x
bad_cli "--slurm-opt wrap: set by jobq" set gpu --executor slurm --slurm-opt wrap
bad_cli "--slurm-opt Mem: the key must be 1-40 characters" set gpu --executor slurm --slurm-opt Mem=1
bad_cli "--slurm-opt : the key must be" set gpu --executor slurm --slurm-opt =1
bad_cli "--slurm-opt mem: the value must not hold control characters" \
	set gpu --executor slurm --slurm-opt "mem=1"$'\n'"#SBATCH x"
bad_cli "--slurm-opt mem: the value is longer than 255 bytes" \
	set gpu --executor slurm --slurm-opt "mem=$(printf 'v%.0s' {1..256})"
many=()
for i in $(seq 33); do many+=(--slurm-opt "o$i=1"); done
bad_cli "--slurm-opt: at most 32 options" set gpu --executor slurm "${many[@]}"
bad_cli "are only for 'queue set'" pause gpu --executor slurm
bad_cli "missing --parallel N or --executor" set gpu
# nothing of it changed the setting
assert_eq "$(sql "SELECT executor FROM queues WHERE name = 'gpu'")" \
	'{"type":"slurm","partition":"gpu.a","account":"lab_1","opts":["mem=4G","exclusive","constraint=a&b"]}' \
	"gpu after the refused changes"

# --- jobqd's own checks (a raw queue_set) ---------------------------------------
python3 - "$SOCK" <<'EOF' || fail "jobqd's checks of queue_set's executor"
import json, socket, struct, sys
def frame(o):
    b = json.dumps(o).encode()
    return struct.pack(">I", len(b)) + b
def recv(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: raise SystemExit("closed")
        h += c
    n = struct.unpack(">I", h)[0]
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise SystemExit("closed")
        b += c
    return json.loads(b)
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(frame({"op": "hello", "version": 1}))
assert recv(s)["ok"]
bad = []
def check(ex, msg):
    s.sendall(frame({"op": "queue_set", "queue": "raw", "executor": ex}))
    r = recv(s)
    if r.get("ok") or r["error"]["code"] != "invalid" or r["error"]["message"] != msg:
        bad.append("%r: %r (expected %r)" % (ex, r, msg))
check({"type": "pbs"}, '--executor: must be "local" or "slurm"')
check("slurm", "executor: must be an object")
check({"type": "slurm", "qos": "x"}, 'executor: unknown member "qos"')
check({"type": "local", "partition": "p"},
      "--partition, --account and --slurm-opt are only for --executor slurm")
check({"type": "slurm", "partition": "a/b"},
      "--partition: must be 1-63 characters of A-Z a-z 0-9 _ . -")
check({"type": "slurm", "account": "x" * 64},
      "--account: must be 1-63 characters of A-Z a-z 0-9 _ . -")
check({"type": "slurm", "opts": ["o=1"] * 33}, "--slurm-opt: at most 32 options")
check({"type": "slurm", "opts": ["dependency=afterok:1"]},
      "--slurm-opt dependency: set by jobq")
check({"type": "slurm", "opts": ["a_b"]}, "--slurm-opt a_b: the key must be "
      "1-40 characters of a-z 0-9 -, starting with a letter (KEY=VALUE or KEY)")
check({"type": "slurm", "opts": ["mem=1\n#SBATCH --uid=0"]},
      "--slurm-opt mem: the value must not hold control characters")
check({"type": "slurm", "opts": [3]}, '--slurm-opt: "opts" must be an array of strings')
# a good one answers the queue with its executor
s.sendall(frame({"op": "queue_set", "queue": "raw", "executor":
                 {"opts": ["time=5"], "type": "slurm"}}))
r = recv(s)
if not r.get("ok") or r["queue"]["executor"] != {"type": "slurm", "opts": ["time=5"]}:
    bad.append("good raw set: %r" % r)
if bad: raise SystemExit("; ".join(bad))
EOF
assert_eq "$(sql "SELECT count(*) FROM queues WHERE name = 'raw'")" 1 "only the good raw set made a queue row"

# --- clear ------------------------------------------------------------------------
assert_rc 0 "set gpu2 local" q queue set gpu2 --executor local
assert_eq "$(sql "SELECT executor IS NULL FROM queues WHERE name = 'gpu2'")" 1 "gpu2's stored executor after local"
q --json queue list | pycheck "gpu2 local" '
g = [x for x in o if x["name"] == "gpu2"][0]
if g["executor"] != {"type": "local"} or g["parallel"] != 1: bad(g)'
grep -q "queue gpu2: parallel 1, running, executor local" "$LOG" || fail "no log line for gpu2's executor"

# --- persistence: restart, kill -9 -----------------------------------------------
gpu_ok() {
	q --json queue list | pycheck "$1" '
d = {x["name"]: x for x in o}
if d["gpu"]["executor"]["opts"] != ["mem=4G", "exclusive", "constraint=a&b"]: bad(d["gpu"])
if d["gpu2"]["executor"] != {"type": "local"}: bad(d["gpu2"])
if d["raw"]["executor"] != {"type": "slurm", "opts": ["time=5"]}: bad(d["raw"])'
}
stop_daemon
start_daemon
gpu_ok "after a restart"
assert_rc 0 "set gpu3 (then kill -9)" q queue set gpu3 --executor slurm --account acct
kill9_daemon
start_daemon
gpu_ok "after kill -9"
q --json queue list | pycheck "gpu3 after kill -9" '
g = [x for x in o if x["name"] == "gpu3"][0]
if g["executor"] != {"type": "slurm", "account": "acct"}: bad(g)'

# --- only administrators ------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	nobody=$(id -u nobody 2>/dev/null); then
	chmod 0755 "$T"
	if setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
		"$JOBQ" -s "$SOCK" ping >/dev/null 2>&1; then
		assert_rc 1 "nobody: set the executor" setpriv --reuid="$nobody" \
			--regid="$(id -g nobody)" --clear-groups "$JOBQ" -s "$SOCK" \
			queue set gpu --executor local
		grep -q "change the executor of queue gpu" "$T/err" ||
			fail "nobody's refusal: $(cat "$T/err")"
		gpu_ok "after nobody's refused change"
	else
		log "nobody cannot reach jobqd: the admin check is not run"
	fi
fi
stop_daemon
