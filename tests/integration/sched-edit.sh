#!/usr/bin/env bash
# sched-edit.sh - `jobq edit` of a queued job: priority, name, labels,
# timeout, retries, start time, queue (a paused queue keeps it from starting;
# the queue's user-max-queued applies as at submit), dependencies added (a
# cycle refused, the job waits) and dropped (it runs), argv, env and cwd (the
# run uses them), each recorded in the history as "FIELD: OLD -> NEW" with
# the uid; refused once the job has started, for a task's argv, and for
# bad input.  Across kill -9 an edited job keeps its new values, and a
# dependency added on a later job (a higher id) still holds it back.  As
# root, another user may not edit or hold root's job but may edit her own.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

printf '[queue small]\nuser-max-queued = 1\n' >"$T/jobqd.conf"
chmod 0644 "$T/jobqd.conf"
WORKERS=1
start_daemon --config "$T/jobqd.conf"
uid=$(id -u)

blocker=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate1")")
wait_for 10 "blocker $blocker running" state_is "$blocker" running
mkdir "$T/wd"
e=$(submit --name before --label k=1 -- sh -c 'echo "old $V $PWD" >"'"$T"'/e.out"')
assert_rc 0 "edit of queued job $e" q edit "$e" --priority 7 --name after \
	--label a=b --label c=d --timeout 30s --retries 2 --cwd "$T/wd" \
	--env V=new --argv -- sh -c 'echo "new $V $PWD" >"'"$T"'/e.out"'
q --json show "$e" | pycheck "job $e after the edit" '
if o["priority"] != 7 or o["name"] != "after": bad("priority/name %r" % o)
if o["labels"] != ["a=b", "c=d"]: bad("labels %r" % o["labels"])
if o["timeout_ms"] != 30000 or o["max_retries"] != 2: bad("timeout/retries %r" % o)
if o["cwd"] != a[0] + "/wd": bad("cwd %r" % o["cwd"])
if o["argv"][-1].find("new") < 0: bad("argv %r" % o["argv"])
if o["state"] != "queued": bad("state %r" % o["state"])' "$T"
assert_eq "$(sql "SELECT priority || ' ' || name || ' ' || max_retries FROM jobs WHERE id = $e")" "7 after 2" "row of job $e"
q --json show --history "$e" | pycheck "history of the edit" '
h = [x for x in o["history"] if x["what"] == "edit"]
d = [x["detail"] for x in h]
for want in ("priority: 0 -> 7", "name: before -> after", "labels: k=1 -> a=b,c=d",
             "timeout_ms: 0 -> 30000", "retries: 0 -> 2"):
    if want not in d: bad("no %r in %r" % (want, d))
if not any(x.startswith("cwd: ") for x in d): bad("no cwd in %r" % d)
if not any(x.startswith("argv: ") for x in d): bad("no argv in %r" % d)
if not any(x.startswith("env: replaced") for x in d): bad("no env in %r" % d)
for x in h:
    if x["uid"] != int(a[0]): bad("uid %r" % x)' "$uid"
assert_rc 1 "edit of running job $blocker" q edit "$blocker" --priority 1
grep -q "started" "$T/err" || fail "edit of a running job: [$(cat "$T/err")]"
assert_rc 2 "edit without changes" q edit "$e"
assert_rc 2 "edit with a bad priority" q edit "$e" --priority x
assert_rc 2 "edit with a bad queue" q edit "$e" --queue 'a b'
assert_rc 2 "edit --argv without a command" q edit "$e" --argv
assert_rc 4 "edit of a missing job" q edit 999999 --priority 1

# --- queue: paused queue holds it back; user-max-queued of the new queue ----
q queue pause slow >/dev/null || fail "pause slow"
assert_rc 0 "move $e to paused queue slow" q edit "$e" --queue slow
assert_eq "$(show_field "$e" queue)" slow "queue of $e"
: >"$T/gate1"
wait_ended "$blocker"
assert_stays "$e" queued 500 "job $e in paused queue slow"
s1=$(submit --queue small --delay 1h -- true)
assert_rc 1 "move $e into full queue small" q edit "$e" --queue small
grep -q "user-max-queued 1" "$T/err" || fail "cap refusal: [$(cat "$T/err")]"
assert_eq "$(show_field "$e" queue)" slow "queue of $e after a refused move"
assert_rc 0 "move $e back to default" q edit "$e" --queue default
wait_ended "$e"
assert_eq "$(show_field "$e" state)" succeeded "job $e after its move"
assert_eq "$(cat "$T/e.out")" "new new $T/wd" "the run used the edited argv, env and cwd"

# --- dependencies: add (wait), cycle, drop ----------------------------------------
g=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gate2")")
wait_for 10 "gate job $g running" state_is "$g" running
f1=$(submit --hold -- true)
f2=$(submit --after "$f1" -- true)
assert_rc 1 "a cycle: $f1 after its dependent $f2" q edit "$f1" --after "$f2"
grep -q "cycle" "$T/err" || fail "cycle refusal: [$(cat "$T/err")]"
assert_rc 1 "a job after itself" q edit "$f1" --after "$f1"
assert_rc 1 "a dependency that has ended" q edit "$f1" --after "$e"
# the forward dependency: f1 (lower id) now waits for w (higher id, held)
w=$(submit --hold -- true)
assert_rc 0 "$f1 after $w" q edit "$f1" --after "any:$w"
assert_match "$(sql "SELECT dep_id || ':' || mode FROM deps WHERE job_id = $f1")" "^$w:2$" "deps row of $f1"
assert_rc 0 "release of $f1" q release "$f1"
# retries, timeout and priority edited before the crash stay
assert_rc 0 "priority of $f2" q edit "$f2" --priority -4 --delay 2s

kill9_daemon
kill_markers
start_daemon --config "$T/jobqd.conf"
assert_eq "$(show_field "$f2" priority)" -4 "priority of $f2 after kill -9"
assert_eq "$(show_field "$f1" state)" queued "job $f1 after kill -9 (waits for $w)"
assert_stays "$f1" queued 600 "job $f1 waiting for held $w after kill -9"
assert_rc 0 "drop the dependency of $f1 on $w" q edit "$f1" --drop-after "$w"
wait_ended "$f1"
wait_ended "$f2"
assert_eq "$(show_field "$f1" state)" succeeded "job $f1 after --drop-after"
assert_eq "$(show_field "$f2" state)" succeeded "job $f2 after $f1"
q --json show --history "$f1" | pycheck "history of $f1" '
d = [x.get("detail") for x in o["history"] if x["what"] == "edit"]
if "deps: - -> any:%s" % a[0] not in d or "deps: any:%s -> -" % a[0] not in d:
    bad("deps history %r" % d)' "$w"

# --- a task: argv refused, priority fine ---------------------------------------
arr=$(submit --array 1-2 --delay 1h -- true)
assert_rc 1 "argv of task $arr.1" q edit "$arr.1" --argv -- false
grep -q "array" "$T/err" || fail "task argv refusal: [$(cat "$T/err")]"
assert_rc 0 "priority of task $arr.1" q edit "$arr.1" --priority 3
assert_eq "$(show_field "$arr.1" priority)" 3 "priority of task $arr.1"

# --- cancel, retry by hand, automatic retries; purge takes the history ---------
c1=$(submit --hold -- true)
assert_rc 0 "cancel of held job $c1" q cancel "$c1"
assert_rc 0 "retry of $c1" q retry "$c1"
wait_ended "$c1"
r1=$(submit --retries 1 --retry-delay 100ms -- false)
wait_ended "$r1"
q --json show --history "$c1" | pycheck "history of $c1" '
w = [x["what"] for x in o["history"]]
for k in ("hold", "cancel", "retry", "succeeded"):
    if k not in w: bad("no %s in %s" % (k, w))
if w.index("cancel") > w.index("retry"): bad("cancel after retry: %s" % w)'
q --json show --history "$r1" | pycheck "history of $r1" '
h = o["history"]
w = [x["what"] for x in h]
if w != ["submitted", "requeued", "started", "failed"]: bad("history %s" % w)
if not h[1]["detail"].startswith("attempt 1 "): bad("requeued detail %r" % h[1]["detail"])'
# a cancel of a whole array is in each task's history
ca=$(submit --hold --array 1-3 -- true)
assert_rc 0 "cancel of array $ca" q cancel "$ca"
for i in 1 2 3; do
	q --json show --history "$ca.$i" | pycheck "history of $ca.$i" '
h = [x for x in o["history"] if x["what"] == "cancel"]
if len(h) != 1 or h[0].get("detail") != "the whole array" or h[0].get("uid") != 0:
    bad("cancel history %r" % o["history"])'
done
assert_rc 0 "purge of $c1 and $r1" q purge
assert_eq "$(sql "SELECT count(*) FROM history WHERE job_id IN ($c1, $r1, $e)")" 0 "history rows after the purge"

# --- another user (root only) ---------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	U=jqtedit$(($$ % 100000))
	trap 'rc=$?; userdel "$U" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
	useradd -M -s /bin/sh "$U" || fail "useradd $U"
	log "another user: $U"
	stop_daemon
	printf 'socket-mode = 0666\n[queue small]\nuser-max-queued = 1\n' >"$T/jobqd.conf"
	chmod 0755 "$T"
	start_daemon --config "$T/jobqd.conf"
	qu() { setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups "$JOBQ" -s "$SOCK" "$@"; }
	r=$(submit --delay 1h -- true)
	assert_rc 1 "edit of root's job by $U" qu edit "$r" --priority 5
	grep -q "only" "$T/err" || fail "edit by another user: [$(cat "$T/err")]"
	assert_rc 1 "hold of root's job by $U" qu hold "$r"
	assert_eq "$(show_field "$r" priority)" 0 "root's job after refused edits"
	own=$(cd / && qu submit --delay 1h -- true) || fail "$U: submit"
	assert_rc 0 "edit of her own job by $U" qu edit "$own" --priority 2
	assert_rc 0 "hold of her own job by $U" qu hold "$own"
	assert_eq "$(sql "SELECT uid FROM history WHERE job_id = $own AND what = 'hold'")" "$(id -u "$U")" "uid of $U's hold in the history"
	assert_rc 0 "root edits $U's job" q edit "$own" --priority 9
	q cancel "$own" "$r" >/dev/null || fail "cancel"
fi

assert_rc 0 "cancel" q cancel "$arr" "$s1" "$w"
: >"$T/gate2"
assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-edit: ok"
