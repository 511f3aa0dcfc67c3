#!/usr/bin/env bash
# batch.sh - jobq submit --batch / submit_batch / jobq_submit_many: jobs with
# their own argv (spaces, quotes, newlines, unicode), env, cwd, queue and
# priority each run with exactly their values; ids in order in the reply and
# in SQLite; a bad line refuses the file naming the line, nothing added;
# deps/unique/arrays refused; over JOBQ_MAX_BATCH refused; kill -9 of jobqd
# during a large batch leaves all of it or none, an acknowledged batch whole.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

start_daemon

rows() { sql "SELECT count(*) FROM jobs"; }

# --- jobs with their own values ---------------------------------------------
mkdir -p "$T/d1" "$T/d 2"
python3 - "$T" >"$T/jobs.jsonl" <<'PY'
import json, sys
T = sys.argv[1]
args = [["a b", "'single'"], ['"double"', "line1\nline2"], ["ünïcødé ✓ 日本", ""],
        ["$HOME", "*"], ["\\back\\slash", " lead"]]
for i, a in enumerate(args):
    j = {"argv": ["sh", "-c", 'printf "%s\\0" "$@"; printf "%s|%s" "$PWD" "$BV"', "argv0"] + a,
         "env": ["BV=value %d \"q\"" % i, "PATH=/usr/bin:/bin"],
         "cwd": T + ("/d1" if i % 2 else "/d 2"),
         "queue": "bq%d" % (i % 2), "priority": 10 * i, "name": "job %d" % i}
    print(json.dumps(j, ensure_ascii=(i % 2 == 0)))
    if i == 2:
        print("")        # a blank line is skipped
PY
before=$(rows)
q submit --batch "$T/jobs.jsonl" >"$T/ids" 2>"$T/err" || fail "submit --batch failed: $(cat "$T/err")"
mapfile -t ids <"$T/ids"
assert_eq "${#ids[@]}" 5 "one id per job"
for ((i = 1; i < 5; i++)); do
	assert_eq "${ids[$i]}" "$((ids[i - 1] + 1))" "ids in the file's order"
done
assert_eq "$(rows)" "$((before + 5))" "rows added"
assert_eq "$(sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM jobs WHERE id >= ${ids[0]} ORDER BY id)")" "${ids[*]}" "ids in SQLite"
for ((i = 0; i < 5; i++)); do
	wait_ended "${ids[$i]}"
	assert_eq "$WAIT_RC" 0 "job $i exit"
	q logs "${ids[$i]}" >"$T/out.$i" || fail "logs of job $i"
done
python3 - "$T" "${ids[@]}" <<'PY' || fail "a job ran with values not its own"
import json, subprocess, sys
T, ids = sys.argv[1], sys.argv[2:]
lines = [l for l in open(T + "/jobs.jsonl") if l.strip()]
bad = 0
for i, l in enumerate(lines):
    j = json.loads(l)
    want = "".join(a + "\0" for a in j["argv"][4:]) + j["cwd"] + "|" + j["env"][0][3:]
    got = open("%s/out.%d" % (T, i), encoding="utf-8").read()
    if got != want:
        print("job", i, "got", repr(got), "want", repr(want)); bad = 1
sys.exit(bad)
PY
assert_eq "$(sql "SELECT group_concat(queue || ':' || priority || ':' || name, ',') FROM (SELECT * FROM jobs WHERE id >= ${ids[0]} ORDER BY id)")" \
	"bq0:0:job 0,bq1:10:job 1,bq0:20:job 2,bq1:30:job 3,bq0:40:job 4" "queue, priority, name stored"

# env absent: jobq's own environment, as a submit copies it; cwd relative
export BATCH_INHERITED="inherited"
( cd "$T" && printf '{"argv":["sh","-c","printf %%s \\"$BATCH_INHERITED\\""],"cwd":"d1"}\n' | q submit --batch - ) >"$T/ids" ||
	fail "submit --batch - failed"
id=$(cat "$T/ids")
wait_ended "$id"
assert_eq "$(q logs "$id")" "inherited" "env absent: the caller's"
assert_eq "$(show_field "$id" cwd)" "$T/d1" "a relative cwd from the current directory"
# 50 jobs with the caller's environment: one envs row (schema v14) for all,
# the row of the job above; each job's own env column empty
( cd "$T" && for i in $(seq 1 50); do printf '{"argv":["true"],"queue":"envq"}\n'; done | q submit --batch - ) >"$T/ids50" ||
	fail "submit --batch of 50 failed"
assert_eq "$(sql "SELECT count(DISTINCT env_id) || ':' || count(*) || ':' || max(env) FROM jobs WHERE queue = 'envq' AND env_id IS NOT NULL")" \
	"1:50:" "50 jobs with one environment share one envs row"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE queue = 'envq' AND env_id = (SELECT env_id FROM jobs WHERE id = $id)")" 50 \
	"the same row as an earlier job with that environment"

# --json
printf '{"argv":["true"]}\n{"argv":["true"]}\n' | q --json submit --batch - >"$T/json" || fail "--json --batch"
pycheck_lines "--json --batch prints one {\"id\":N} a line" 'len(o) == 2 and all(set(x) == {"id"} for x in o) or bad(o)' <"$T/json"

# --- refusals: nothing added -------------------------------------------------
before=$(rows)
printf '{"argv":["true"]}\n{"argv":["true"]}\n{"argv":["true"],"queue":"bad queue"}\n{"argv":["true"]}\n' >"$T/bad.jsonl"
assert_rc 2 "a bad line" q submit --batch "$T/bad.jsonl"
assert_match "$(cat "$T/err")" "line 3: .*queue" "the error names the line"
printf '{"argv":["true"]}\nnot json\n' >"$T/bad.jsonl"
assert_rc 2 "a line that is not JSON" q submit --batch "$T/bad.jsonl"
assert_match "$(cat "$T/err")" "line 2: not a JSON object" "the error names the line"
printf '{"argv":["true"]}\n{"argv":["true"],"deps":[{"id":1,"mode":"ok"}]}\n' >"$T/bad.jsonl"
assert_rc 2 "deps in a batch" q submit --batch "$T/bad.jsonl"
assert_match "$(cat "$T/err")" "line 2: .*deps" "the error names the line"
assert_rc 2 "--batch with a command" q submit --batch "$T/jobs.jsonl" -- true
assert_rc 2 "--batch with another option" q submit --queue x --batch "$T/jobs.jsonl"
assert_rc 1 "--batch of a missing file" q submit --batch "$T/nonexistent"
assert_eq "$(rows)" "$before" "no row added by a refused batch"

# The daemon's own checks, through the protocol: a job it refuses (an
# unknown user for root, deps) names its index; over the cap; wrong types.
python3 - "$SOCK" <<'PY' || fail "submit_batch protocol checks failed"
import json, socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(60); s.connect(sys.argv[1])
    send(s, {"op": "hello", "version": 1}); return s
def send(s, o):
    b = json.dumps(o).encode(); s.sendall(struct.pack(">I", len(b)) + b)
    h = b""
    while len(h) < 4: h += s.recv(4 - len(h))
    n = struct.unpack(">I", h)[0]; b = b""
    while len(b) < n: b += s.recv(n - len(b))
    return json.loads(b)
s = conn(); bad = 0
job = {"argv": ["true"], "env": [], "cwd": "/"}
def want(req, code, text):
    global bad
    r = send(s, req)
    if r.get("ok") or r.get("error", {}).get("code") != code or text not in r["error"].get("message", ""):
        print("FAIL", json.dumps(req)[:200], "->", r); bad = 1
want({"op": "submit_batch", "jobs": [job, dict(job, deps=[{"id": 1, "mode": "ok"}])]}, "invalid", "jobs[1]")
want({"op": "submit_batch", "jobs": [job, job, dict(job, unique_key="k")]}, "invalid", "jobs[2]")
want({"op": "submit_batch", "jobs": [job, dict(job, array={"count": 2})]}, "invalid", "jobs[1]")
want({"op": "submit_batch", "jobs": [job, dict(job, argv=[])]}, "invalid", "jobs[1]")
want({"op": "submit_batch", "jobs": []}, "invalid", "jobs")
want({"op": "submit_batch", "jobs": {"0": job}}, "invalid", "jobs")
want({"op": "submit_batch"}, "invalid", "jobs")
want({"op": "submit_batch", "jobs": [job, 3]}, "invalid", "jobs[1]")
want({"op": "submit_batch", "jobs": [job] * 100001}, "too_big", "100000")
r = send(s, {"op": "submit_batch", "jobs": [job] * 3})
if not r.get("ok") or len(r.get("ids", [])) != 3 or r["ids"] != list(range(r["ids"][0], r["ids"][0] + 3)):
    print("FAIL three jobs:", r); bad = 1
sys.exit(bad)
PY
assert_eq "$(rows)" "$((before + 3))" "only the accepted batch of the protocol checks added rows"

# --- kill -9 during a large batch: all or nothing ---------------------------
q queue pause big >/dev/null || fail "pause big"
seq 1 20000 | awk '{ printf "{\"argv\":[\"/bin/echo\",\"%d\"],\"queue\":\"big\",\"env\":[]}\n", $1 }' >"$T/big.jsonl"
for delay in 0.3 0.8 1.5 4; do
	before=$(rows)
	q submit --batch "$T/big.jsonl" >"$T/big.ids" 2>"$T/big.err" &
	cpid=$!
	sleep "$delay"
	kill9_daemon
	wait "$cpid"
	crc=$?
	start_daemon
	added=$(($(rows) - before))
	log "kill -9 after ${delay}s: client exit $crc, $added rows added"
	[ "$added" = 0 ] || [ "$added" = 20000 ] || fail "kill -9 during a batch left $added of its 20000 rows"
	if [ "$crc" = 0 ]; then
		assert_eq "$(wc -l <"$T/big.ids")" 20000 "an acknowledged batch prints every id"
		assert_eq "$added" 20000 "an acknowledged batch is all there"
		assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id BETWEEN $(head -1 "$T/big.ids") AND $(tail -1 "$T/big.ids")")" 20000 \
			"its ids are its rows"
	fi
done
# every environment is stored once (schema v14: envs), each job pointing at
# its row (an empty one inline), across the kill -9s; no row without a job,
# no job without its row
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE queue = 'big' AND env = '[]' AND env_id IS NULL")" \
	"$(sql "SELECT count(*) FROM jobs WHERE queue = 'big'")" "an empty environment is stored inline, without a row"
assert_eq "$(sql "SELECT count(*) FROM jobs j WHERE env_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM envs e WHERE e.id = j.env_id)")" 0 \
	"no job names an environment row that is not there"
assert_eq "$(sql "SELECT count(*) FROM envs e WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.env_id = e.id)")" 0 \
	"no environment row without a job"
assert_eq "$(sql "SELECT count(*) FROM envs")" "$(sql "SELECT count(DISTINCT env) FROM envs")" "no environment stored twice"
# the jobs of a batch committed before a restart are scheduled
assert_eq "$(q --json queue list | python3 -c 'import json,sys; print(sum(x["counts"]["queued"] for x in json.load(sys.stdin) if x["name"] == "big"))')" \
	"$(sql "SELECT count(*) FROM jobs WHERE queue = 'big' AND state = 'queued'")" "recovered batch jobs are queued"

# --- through libjobq ---------------------------------------------------------
assert_rc 0 "itest_lib batch" timeout $((120 * SLOW)) "$ITEST_LIB" batch "$SOCK"

stop_daemon
