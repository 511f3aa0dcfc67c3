#!/usr/bin/env bash
# sched-queues.sh - per-queue limits: `queue set --parallel 1` runs a queue's
# jobs one at a time, --parallel 0 means "only the workers limit"; `queue
# pause` starts nothing new from the queue while other queues and the running
# job carry on, `queue resume` lets the held jobs run; `queue list --json`
# shows limits, the paused flag and counts by state; settings survive a
# restart.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# --- --parallel 1: never two at once ------------------------------------------
assert_rc 0 "queue set q1 --parallel 1" q queue set q1 --parallel 1
ids=()
for k in a b c; do
	ids+=("$(submit --queue q1 -- "$BIN/sh" -c "$(rec_script "$T/q1.rec" "$k" 0.4)")")
done
for id in "${ids[@]}"; do wait_ended "$id"; done
for id in "${ids[@]}"; do
	assert_eq "$(job_state "$id")" succeeded "state of q1 job $id"
done
assert_eq "$(grep -c '^S ' "$T/q1.rec")" 3 "q1 jobs started"
assert_eq "$(grep -c '^E ' "$T/q1.rec")" 3 "q1 jobs ended"
assert_eq "$(max_overlap "$T/q1.rec")" 1 "most q1 jobs (parallel 1) running at once, $(cat "$T/q1.rec")"
# The daemon's own timestamps agree: each started after the previous ended.
q --json list --queue q1 | pycheck "q1 jobs' started_at/finished_at" '
js = sorted(o, key=lambda j: j["started_at"])
for x, y in zip(js, js[1:]):
    if y["started_at"] < x["finished_at"]:
        bad("job %d started at %d before job %d ended at %d" % (y["id"], y["started_at"], x["id"], x["finished_at"]))'

# --- --parallel 0: no queue limit, but never more than the workers ---------------
assert_rc 0 "queue set q2 --parallel 3" q queue set q2 --parallel 3
assert_rc 0 "queue set q2 --parallel 0" q queue set q2 --parallel 0
ids=()
for k in a b c d e; do
	ids+=("$(submit --queue q2 -- "$BIN/sh" -c "$(rec_script "$T/q2.rec" "$k" 0.5)")")
done
for id in "${ids[@]}"; do wait_ended "$id"; done
assert_eq "$(grep -c '^E ' "$T/q2.rec")" 5 "q2 jobs ended"
assert_eq "$(max_overlap "$T/q2.rec")" 2 "most q2 jobs (parallel 0, 2 workers) running at once, $(cat "$T/q2.rec")"

# Bad settings are refused.
assert_rc "1|2" "queue set --parallel -1" q queue set q2 --parallel -1
[ -s "$T/err" ] || fail "queue set --parallel -1: no message"
assert_rc 2 "queue set --parallel many" q queue set q2 --parallel many
assert_rc 2 "queue set without a queue" q queue set
assert_rc 2 "queue with an unknown subcommand" q queue frobnicate q2

# --- pause / resume -------------------------------------------------------------
run=$(submit --queue q3 -- "$BIN/sh" -c "$(gate_script "$T/gate3"); echo ran >\"$T/run.done\"")
wait_for 10 "job $run running" state_is "$run" running
markers_seen 1 "the process of job $run"
assert_rc 0 "queue pause q3" q queue pause q3
p1=$(submit --queue q3 -- "$BIN/sh" -c "echo p1 >>\"$T/q3.order\"")
p2=$(submit --queue q3 -- "$BIN/sh" -c "echo p2 >>\"$T/q3.order\"")
# The running job finishes while the queue is paused.
: >"$T/gate3"
wait_ended "$run"
assert_eq "$(job_state "$run")" succeeded "job that was running when q3 was paused"
# Another queue still runs end to end (the daemon is dispatching) ...
assert_rc 0 "a job in another queue while q3 is paused" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait -- true
# ... while q3's jobs stay queued, with a worker free.
assert_stays "$p1" queued 1000 "job in paused queue q3"
assert_eq "$(job_state "$p2")" queued "second job in paused queue q3"
[ -e "$T/q3.order" ] && fail "a job of paused queue q3 ran: $(cat "$T/q3.order")"
q --json queue list | pycheck "queue list --json while q3 is paused" '
if isinstance(o, dict) and "queues" in o: o = o["queues"]
if not isinstance(o, list): bad("not a list")
qs = {x.get("name"): x for x in o}
names = [x.get("name") for x in o]
if names != sorted(names): bad("not sorted by name: %s" % names)
states = ["queued", "running", "succeeded", "failed", "canceled", "interrupted", "timed_out"]
for n in ("q1", "q2", "q3", "default"):
    if n not in qs: bad("queue %s missing" % n); continue
    c = qs[n].get("counts")
    if not isinstance(c, dict) or any(not isinstance(c.get(s), int) for s in states):
        bad("queue %s: counts %r lack a state" % (n, c))
def want(n, k, v):
    x = qs.get(n, {})
    if k.startswith("counts."):
        got = x.get("counts", {}).get(k[7:])
    else:
        got = x.get(k)
    if got != v: bad("%s.%s = %r, expected %r" % (n, k, got, v))
want("q1", "parallel", 1); want("q1", "paused", False); want("q1", "counts.succeeded", 3)
want("q1", "counts.queued", 0)
want("q2", "parallel", 0); want("q2", "counts.succeeded", 5)
want("q3", "paused", True); want("q3", "parallel", 0)
want("q3", "counts.queued", 2); want("q3", "counts.running", 0); want("q3", "counts.succeeded", 1)
'
assert_rc 0 "plain queue list" q queue list
grep -q q3 "$T/out" || fail "queue list does not show q3: $(cat "$T/out")"

assert_rc 0 "queue resume q3" q queue resume q3
wait_ended "$p1"
wait_ended "$p2"
assert_eq "$(job_state "$p1")" succeeded "first job of q3 after resume"
assert_eq "$(job_state "$p2")" succeeded "second job of q3 after resume"
assert_eq "$(sort "$T/q3.order" | tr '\n' ' ')" "p1 p2 " "q3 jobs that ran after resume"
q --json queue list | pycheck "queue list --json after resume" '
if isinstance(o, dict) and "queues" in o: o = o["queues"]
q3 = [x for x in o if x.get("name") == "q3"]
if not q3: bad("q3 missing")
else:
    q3 = q3[0]
    if q3.get("paused") is not False: bad("q3 paused=%r" % q3.get("paused"))
    if q3.get("counts", {}).get("succeeded") != 3: bad("q3 succeeded=%r" % q3.get("counts"))
    if q3.get("counts", {}).get("queued") != 0: bad("q3 queued=%r" % q3.get("counts"))'

# --- settings survive a restart ---------------------------------------------------
assert_rc 0 "queue pause q4" q queue pause q4
held=$(submit --queue q4 -- true)
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
start_daemon
q --json queue list | pycheck "queue list --json after a restart" '
if isinstance(o, dict) and "queues" in o: o = o["queues"]
qs = {x.get("name"): x for x in o}
if qs.get("q1", {}).get("parallel") != 1: bad("q1 parallel lost: %r" % qs.get("q1"))
if qs.get("q4", {}).get("paused") is not True: bad("q4 no longer paused: %r" % qs.get("q4"))'
assert_rc 0 "a job in another queue after the restart" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait -- true
assert_stays "$held" queued 500 "job of q4, paused before the restart"
assert_rc 0 "queue resume q4" q queue resume q4
wait_ended "$held"
assert_eq "$(job_state "$held")" succeeded "job of q4 after resume"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-queues: ok"
