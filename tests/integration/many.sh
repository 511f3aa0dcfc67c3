#!/usr/bin/env bash
# many.sh - 200 jobs with varied exit codes, signals, stdout and stderr: all
# submitted first, then waited for; each ends in the right state with the
# right captured output, as seen through list --json, logs and the database.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=200
start_daemon

# Job i, by i % 5:
#   0: prints "out-i" and exits 0
#   1: prints "err-i" on stderr and exits 1 + i % 100
#   2: prints "pre-i" then kills itself with SIGKILL (i % 10 < 5) or SIGTERM
#   3: prints seq 1 i on stdout, exits 0
#   4: prints "out-i" and "err-i", exits 0
ids=()
for ((i = 0; i < N; i++)); do
	case $((i % 5)) in
	0) cmd='echo "out-$1"' ;;
	1) cmd='echo "err-$1" >&2; exit $((1 + $1 % 100))' ;;
	2) cmd='echo "pre-$1"; if [ $(($1 % 10)) -lt 5 ]; then kill -KILL $$; else kill -TERM $$; fi; sleep 5' ;;
	3) cmd='seq 1 "$1"' ;;
	4) cmd='echo "out-$1"; echo "err-$1" >&2' ;;
	esac
	ids[i]=$(submit --name "many-$i" -- sh -c "$cmd" sh "$i")
done
log "submitted $N jobs (${ids[0]}..${ids[N-1]})"

timeout $((120 * SLOW)) "$JOBQ" -s "$SOCK" wait --timeout $((100 * SLOW))s "${ids[@]}" >/dev/null 2>"$T/wait.err"
rc=$?
# Some jobs fail, so a multi-job wait exits 1 (0 only when all succeeded).
[ "$rc" = 1 ] || fail "jobq wait on all $N jobs exited $rc, expected 1: $(cat "$T/wait.err")"

q --json list >"$T/list.json" || fail "list --json"
# Fetch the logs of every job.
for ((i = 0; i < N; i++)); do
	q logs "${ids[i]}" >"$T/out.$i" || fail "logs of job ${ids[i]} (many-$i)"
	q logs --stderr "${ids[i]}" >"$T/err.$i" || fail "logs --stderr of job ${ids[i]} (many-$i)"
done
sqlite3 -separator ' ' "$STATE/jobq.db" \
	"SELECT id, state, coalesce(exit_code,'null'), coalesce(signal,'null'), coalesce(reason,'null'), name, attempts FROM jobs ORDER BY id" \
	>"$T/rows" || fail "sqlite3 query of $STATE/jobq.db"

python3 - "$T" "$N" "${ids[@]}" <<'EOF' || fail "results of the $N jobs are wrong"
import json, sys
T, N = sys.argv[1], int(sys.argv[2])
ids = [int(x) for x in sys.argv[3:]]
jobs = {j["id"]: j for j in json.load(open(f"{T}/list.json"))}
rows = {}
for line in open(f"{T}/rows"):
    f = line.split()
    rows[int(f[0])] = f
errs = []
if len(set(ids)) != N: errs.append("duplicate ids returned by submit")
if len(jobs) != N: errs.append(f"list has {len(jobs)} jobs, expected {N}")
if len(rows) != N: errs.append(f"jobs table has {len(rows)} rows, expected {N}")
for i, jid in enumerate(ids):
    k = i % 5
    out = open(f"{T}/out.{i}", "rb").read().decode()
    err = open(f"{T}/err.{i}", "rb").read().decode()
    # a succeeded job has no reason; a failed one says why
    if k == 0:   exp = ("succeeded", 0, 0, None, f"out-{i}\n", "")
    elif k == 1: exp = ("failed", 1 + i % 100, 0, "exit_code", "", f"err-{i}\n")
    elif k == 2:
        s = 9 if i % 10 < 5 else 15
        exp = ("failed", None, s, "signal", f"pre-{i}\n", "")
    elif k == 3: exp = ("succeeded", 0, 0, None, "".join(f"{n}\n" for n in range(1, i + 1)), "")
    else:        exp = ("succeeded", 0, 0, None, f"out-{i}\n", f"err-{i}\n")
    j = jobs.get(jid)
    if j is None:
        errs.append(f"job {jid} (many-{i}) missing from list"); continue
    st, code, sig, reason, eout, eerr = exp
    got_code = j.get("exit_code")
    if code is None and got_code in (-1, None): got_code = None
    got = (j.get("state"), got_code, j.get("signal") or 0, j.get("reason"))
    if got != (st, code, sig, reason):
        errs.append(f"job {jid} (many-{i}): state/exit/signal/reason {got}, expected {(st, code, sig, reason)}")
    if j.get("name") != f"many-{i}": errs.append(f"job {jid}: name {j.get('name')!r}")
    if j.get("attempts") != 1: errs.append(f"job {jid}: attempts {j.get('attempts')}")
    if out != eout: errs.append(f"job {jid} (many-{i}): stdout {out[:60]!r}, expected {eout[:60]!r}")
    if err != eerr: errs.append(f"job {jid} (many-{i}): stderr {err[:60]!r}, expected {eerr[:60]!r}")
    r = rows.get(jid)
    if r is None:
        errs.append(f"job {jid}: no row in sqlite"); continue
    rcode = None if r[2] in ("null", "-1") else int(r[2])
    rsig = 0 if r[3] == "null" else int(r[3])
    rreason = None if r[4] == "null" else r[4]
    if (r[1], rcode, rsig, rreason, r[5]) != (st, code, sig, reason, f"many-{i}"):
        errs.append(f"job {jid}: sqlite row {r}, expected {(st, code, sig, reason)}")
if errs:
    print(f"{len(errs)} problems:"); print("\n".join(errs[:40])); sys.exit(1)
EOF

# No job is left running, and jobqd is still fine.
assert_eq "$(q --json list --state running | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 "running jobs after all ended"
assert_rc 0 "ping after $N jobs" q ping
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "many: ok"
