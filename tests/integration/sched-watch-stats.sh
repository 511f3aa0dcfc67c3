#!/usr/bin/env bash
# sched-watch-stats.sh - `jobq watch --json ID...` prints the state changes
# of the given jobs as they happen, in order, and exits 0 once they all
# ended; `jobq watch` without ids sees every job (human lines) until
# SIGTERM; `jobq stats --json` agrees with `jobq list` and is sane.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# exited PID: for wait_for.
exited() { ! kill -0 "$1" 2>/dev/null; }
# has_event FILE ID: a JSON line about job ID in FILE.
has_event() { grep -q "\"id\": *$2[,}]" "$1" 2>/dev/null; }

# --- watch --json B P ------------------------------------------------------------------
# b waits for a, fails its first attempt and is retried: after the watcher
# is ready it goes running -> queued (retry) -> running -> succeeded.
assert_rc 0 "queue pause wq" q queue pause wq
a=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gA")")
b=$(submit --after "$a" --retries 1 --retry-delay 200ms -- "$BIN/sh" -c \
	"n=\$(cat \"$T/cb\" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >\"$T/cb\"; [ \$n -ge 2 ]")
p=$(submit --queue wq -- true) # a probe, held by the paused queue
"$JOBQ" -s "$SOCK" --json watch "$b" "$p" >"$T/w1.out" 2>"$T/w1.err" &
w1=$!
EXTRA_PIDS=$w1
# Readiness: toggle the probe (cancel / retry) until the watcher reports it.
ready=
for ((i = 0; i < 100 * SLOW; i++)); do
	if [ "$(job_state "$p")" = queued ]; then
		q cancel "$p" >/dev/null || fail "cancel probe $p"
	else
		q retry "$p" >/dev/null || fail "retry probe $p"
	fi
	if has_event "$T/w1.out" "$p"; then ready=1; break; fi
	sleep 0.05
	if has_event "$T/w1.out" "$p"; then ready=1; break; fi
done
[ -n "$ready" ] || fail "watch $b $p reported nothing about probe $p: $(cat "$T/w1.out" "$T/w1.err")"
[ "$(job_state "$p")" = queued ] && { q cancel "$p" >/dev/null || fail "cancel probe $p"; }
kill -0 "$w1" 2>/dev/null || fail "watch $b $p exited before job $b ended: $(cat "$T/w1.err")"
assert_eq "$(job_state "$b")" queued "job $b waiting for job $a"
: >"$T/gA"
wait_for 20 "watch $b $p to exit after job $b ended" exited "$w1"
wait "$w1"
rc=$?
EXTRA_PIDS=
[ "$rc" = 0 ] || fail "watch $b $p exited $rc: $(cat "$T/w1.err")"
assert_eq "$(job_state "$b")" succeeded "state of job $b"
pycheck_lines "watch --json $b $p" '
b, p = int(a[0]), int(a[1])
for e in o:
    if e.get("event") != "state": bad("not a state event: %r" % e)
    if e.get("id") not in (b, p): bad("event of an unwatched job: %r" % e)
    if not isinstance(e.get("time"), int): bad("time: %r" % e)
eb = [e for e in o if e.get("id") == b]
st = [e.get("state") for e in eb]
if st[:1] == ["queued"] and st[1:2] == ["running"]: eb, st = eb[1:], st[1:]  # an initial snapshot
if st != ["running", "queued", "running", "succeeded"]: bad("states of job %d: %s" % (b, st))
else:
    r1, q, r2, s = eb
    if q.get("attempts") != 1: bad("attempts of the retry event: %r" % q.get("attempts"))
    if not isinstance(q.get("not_before"), int) or q["not_before"] <= q["time"]: bad("retry event without a future not_before: %r" % q)
    if s.get("attempts") != 2 or s.get("exit_code") != 0: bad("final event: %r" % s)
    if r1.get("attempts") != 1 or r2.get("attempts") != 2: bad("attempts of the running events: %r, %r" % (r1.get("attempts"), r2.get("attempts")))
    for e in eb:
        if e.get("queue") != "default": bad("queue of %r" % e)
    ts = [e["time"] for e in eb]
    if ts != sorted(ts): bad("times out of order: %s" % ts)
ep = [e.get("state") for e in o if e.get("id") == p]
if not ep or any(s not in ("queued", "canceled") for s in ep): bad("states of the probe: %s" % ep)
' "$b" "$p" <"$T/w1.out"

# watch on a job that has already ended exits at once
assert_rc 0 "watch of an ended job" timeout $((10 * SLOW)) "$JOBQ" -s "$SOCK" watch "$a"
assert_rc 4 "watch of a missing job" timeout $((10 * SLOW)) "$JOBQ" -s "$SOCK" watch 999999

# --- watch --json ARRAY: only its tasks, exits when they all ended ------------------------
arr=$(submit --array 1-3%1 -- "$BIN/sh" -c "$(gate_script "$T/gArr")")
"$JOBQ" -s "$SOCK" --json watch "$arr" >"$T/w3.out" 2>"$T/w3.err" &
w3=$!
EXTRA_PIDS=$w3
other=$(submit -- true)
wait_ended "$other"
sleep 0.5 # let time pass: the watcher must not exit while the tasks run
kill -0 "$w3" 2>/dev/null || fail "watch $arr exited while its tasks were running: $(cat "$T/w3.out" "$T/w3.err")"
: >"$T/gArr"
wait_for 20 "watch $arr to exit" exited "$w3"
wait "$w3"
rc=$?
EXTRA_PIDS=
[ "$rc" = 0 ] || fail "watch $arr exited $rc: $(cat "$T/w3.err")"
array_json "$arr" | pycheck "array $arr when its watcher exited" '
if o.get("counts", {}).get("succeeded") != 3: bad("counts %r" % o.get("counts"))'
pycheck_lines "watch --json $arr" '
for e in o:
    if e.get("array_id") != int(a[0]) or e.get("array_index") not in (1, 2, 3): bad("event not of a task of %s: %r" % (a[0], e))
    if e.get("id") == int(a[1]): bad("event of job %s, not a task: %r" % (a[1], e))' "$arr" "$other" <"$T/w3.out"

# --- watch (every job, human lines) until SIGTERM -----------------------------------------
"$JOBQ" -s "$SOCK" watch >"$T/w2.out" 2>"$T/w2.err" &
w2=$!
EXTRA_PIDS=$w2
seen_probe() {
	local id
	id=$(submit -- true)
	probes="$probes $id"
	for id in $probes; do grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} $id " "$T/w2.out" && return 0; done
	return 1
}
probes=
wait_for 20 "watch to report a probe job" seen_probe
j1=$(submit -- true)
j2=$(submit -- sh -c 'exit 3')
wait_ended "$j1"
wait_ended "$j2"
line_for() { grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} $1 $2( |\$)" "$T/w2.out"; }
wait_for 10 "watch to report job $j1 succeeded" line_for "$j1" succeeded
wait_for 10 "watch to report job $j2 failed" line_for "$j2" failed
assert_eq "$(grep -E "^[^ ]+ $j1 " "$T/w2.out" | cut -d' ' -f3 | tr '\n' ' ')" "queued running succeeded " "watch lines of job $j1"
assert_eq "$(grep -E "^[^ ]+ $j2 " "$T/w2.out" | cut -d' ' -f3 | tr '\n' ' ')" "queued running failed " "watch lines of job $j2"
kill -0 "$w2" 2>/dev/null || fail "watch without ids exited: $(cat "$T/w2.err")"
kill -TERM "$w2"
wait_for 10 "watch to exit on SIGTERM" exited "$w2"
wait "$w2"
rc=$?
EXTRA_PIDS=
assert_eq "$rc" 0 "exit status of watch after SIGTERM"

# --- stats -----------------------------------------------------------------------------
busy=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gS")")
wait_for 10 "job $busy running" state_is "$busy" running
markers_seen 1 "the process of job $busy"
held=$(submit --queue wq -- true)
up1=$(q --json ping | jf uptime_ms) || fail "ping --json"
q --json list >"$T/list.json" || fail "list --json"
q --json stats >"$T/stats.json" || fail "stats --json"
now=$(now_ms)
up2=$(q --json ping | jf uptime_ms) || fail "ping --json"
pycheck "stats --json" '
import json
lst = json.load(open(a[0])); now = int(a[1])
if isinstance(o, dict) and isinstance(o.get("stats"), dict): o = o["stats"]
states = ["queued", "running", "succeeded", "failed", "canceled", "interrupted", "timed_out"]
c = o.get("counts", {})
for s in states:
    n = sum(1 for j in lst if j["state"] == s)
    if c.get(s) != n: bad("counts.%s = %r, list has %d" % (s, c.get(s), n))
if o.get("workers") != 2: bad("workers %r" % o.get("workers"))
if o.get("busy") != 1: bad("busy %r with one job running" % o.get("busy"))
ran = sum(1 for j in lst if j.get("started_at") and j.get("finished_at") and j["finished_at"] >= now - 50000)
for w, ms in (("minute", 60000), ("hour", 3600000)):
    x = o.get(w)
    if not isinstance(x, dict): bad("no %s window" % w); continue
    if x.get("window_ms") != ms: bad("%s.window_ms %r" % (w, x.get("window_ms")))
    f = x.get("finished")
    if not isinstance(f, int) or f < ran: bad("%s.finished %r < %d jobs that ran and ended" % (w, f, ran))
    else:
        # finished over the span the window covers, cut at the uptime
        # (daemon/stats.h), at least 1 s
        up1, up2 = int(a[2]), int(a[3])
        lo = f / max(1.0, min(ms, up2) / 1000.0) - 1e-6
        hi = f / max(1.0, min(ms - 1000, up1) / 1000.0) + 1e-6
        ps = x.get("per_second")
        if not isinstance(ps, (int, float)) or not lo <= ps <= hi:
            bad("%s.per_second %r for %d finished, uptime %d..%d ms: expected %.3f..%.3f" % (w, ps, f, up1, up2, lo, hi))
    u = x.get("utilisation")
    if not isinstance(u, (int, float)) or not 0 <= u <= 1: bad("%s.utilisation %r" % (w, u))
    elif u == 0: bad("%s.utilisation 0 after jobs ran" % w)
    for k in ("wait_mean_ms", "wait_p95_ms", "run_mean_ms", "run_p95_ms"):
        if not isinstance(x.get(k), (int, float)) or x[k] < 0: bad("%s.%s %r" % (w, k, x.get(k)))
if isinstance(o.get("minute"), dict) and isinstance(o.get("hour"), dict) and o["hour"].get("finished", 0) < o["minute"].get("finished", 0):
    bad("hour.finished < minute.finished")
qs = {x.get("name"): x for x in o.get("queues", [])}
for name in sorted(set(j["queue"] for j in lst)):
    if name not in qs: bad("queue %s missing" % name); continue
    for s in states:
        n = sum(1 for j in lst if j["queue"] == name and j["state"] == s)
        if qs[name].get("counts", {}).get(s) != n: bad("queue %s counts.%s = %r, list has %d" % (name, s, qs[name].get("counts", {}).get(s), n))
if qs.get("wq", {}).get("paused") is not True: bad("queue wq not paused: %r" % qs.get("wq"))
' "$T/list.json" "$now" "$up1" "$up2" <"$T/stats.json"
assert_rc 0 "plain stats" q stats
[ -s "$T/out" ] || fail "plain stats printed nothing"
: >"$T/gS"
wait_ended "$busy"
assert_rc 0 "cancel job $held" q cancel "$held"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-watch-stats: ok"
