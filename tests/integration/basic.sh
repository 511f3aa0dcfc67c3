#!/usr/bin/env bash
# basic.sh - submit/show/list/wait/logs/ping, exit-code mapping, --json
# shapes, the CLI's exit codes for not-found (4), no daemon (3), usage (2),
# and every command's --help (0, without a daemon).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

start_daemon

assert_rc 0 "ping" q ping
assert_rc 0 "ping through JOBQ_SOCKET" env JOBQ_SOCKET="$SOCK" "$JOBQ" ping

# --- a failing job with output on both streams --------------------------
mkdir "$T/wd"
cd "$T/wd" || fail "cd"
id=$(submit -- sh -c 'echo out-line; echo err-line >&2; exit 3')
assert_rc 3 "wait on a job that exits 3" q wait "$id"
json=$(q --json show "$id") || fail "show --json $id"
python3 - "$json" "$id" "$(id -u)" "$T/wd" <<'EOF' || fail "show --json of job $id: $json"
import json, sys
o = json.loads(sys.argv[1]); jid = int(sys.argv[2])
errs = []
def want(k, v):
    if o.get(k) != v: errs.append(f"{k}={o.get(k)!r}, expected {v!r}")
for k in ("id","state","name","queue","argv","cwd","owner_uid","exit_code","signal",
          "submitted_at","started_at","finished_at","attempts","max_retries","reason","message","pid"):
    if k not in o: errs.append(f"missing key {k}")
want("id", jid); want("state", "failed"); want("reason", "exit_code"); want("exit_code", 3)
want("argv", ["sh", "-c", "echo out-line; echo err-line >&2; exit 3"])
want("cwd", sys.argv[4]); want("owner_uid", int(sys.argv[3])); want("queue", "default")
want("attempts", 1); want("max_retries", 0)
if o.get("name") not in (None, ""): errs.append(f"name={o.get('name')!r}, expected none")
if o.get("signal") not in (0, None): errs.append(f"signal={o.get('signal')!r}")
if o.get("pid") not in (0, None): errs.append(f"pid={o.get('pid')!r} after the job ended")
s, st, f = o.get("submitted_at"), o.get("started_at"), o.get("finished_at")
if not all(isinstance(x, int) for x in (s, st, f)) or not (0 < s <= st <= f):
    errs.append(f"timestamps not ordered: {s} {st} {f}")
import time
if isinstance(s, int) and abs(time.time()*1000 - s) > 600000: errs.append(f"submitted_at {s} is not ms since epoch")
if errs: print("\n".join(errs)); sys.exit(1)
EOF
assert_eq "$(q logs "$id")" "out-line" "stdout of job $id"
assert_eq "$(q logs --stderr "$id")" "err-line" "stderr of job $id"
assert_rc 0 "plain show" q show "$id"
grep -q "$id" "$T/out" || fail "jobq show $id does not print the id: $(cat "$T/out")"

# --- exit status mapping through submit --wait ----------------------------
assert_rc 0 "submit --wait true" q submit --wait -- true
assert_rc 7 "submit --wait exit 7" q submit --wait -- sh -c 'exit 7'
assert_rc 143 "submit --wait killed by SIGTERM" q submit --wait -- sh -c 'kill -TERM $$'
assert_rc 137 "submit --wait killed by SIGKILL" q submit --wait -- sh -c 'kill -KILL $$'
sig=$(submit -- sh -c 'kill -TERM $$')
assert_rc 143 "wait on a job killed by SIGTERM" q wait "$sig"
assert_eq "$(show_field "$sig" state)" failed "state of a job killed by a signal"
assert_eq "$(show_field "$sig" reason)" signal "reason of a job killed by a signal"
assert_eq "$(show_field "$sig" signal)" 15 "signal of a job killed by SIGTERM"
ok=$(submit -- true)
assert_rc 0 "wait on a true job" q wait "$ok"
assert_eq "$(show_field "$ok" state)" succeeded "state of true"
assert_eq "$(show_field "$ok" exit_code)" 0 "exit_code of true"
# spawn failure: the command does not exist
nx=$(submit -- "$T/no/such/command")
assert_rc 125 "wait on a job that cannot be spawned" q wait "$nx"
assert_eq "$(show_field "$nx" state)" failed "state of a spawn failure"
assert_eq "$(show_field "$nx" reason)" spawn_failed "reason of a spawn failure"
# a command found through PATH
assert_rc 0 "PATH lookup of argv[0]" q submit --wait -- env true

# --- names, queues, list filters -----------------------------------------
n1=$(submit --name itest-one --queue qa -- true)
n2=$(submit --name itest-two --queue qa -- sh -c 'exit 1')
n3=$(submit --queue qb -- true)
q wait "$n1" >/dev/null; q wait "$n2" >/dev/null; q wait "$n3" >/dev/null
assert_eq "$(show_field "$n1" name)" itest-one "name of job $n1"
assert_eq "$(show_field "$n1" queue)" qa "queue of job $n1"
list_ids() { q --json list "$@" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert isinstance(a, list), "list --json is not an array"
print(" ".join(str(j["id"]) for j in a))'; }
assert_eq "$(list_ids --queue qa)" "$n1 $n2" "list --queue qa"
assert_eq "$(list_ids --queue qa --state failed)" "$n2" "list --queue qa --state failed"
assert_eq "$(list_ids --limit 2)" "$n2 $n3" "list --limit 2 (newest two, ascending)"
assert_eq "$(list_ids --state running)" "" "list --state running with nothing running"
assert_eq "$(list_ids --queue nonesuch)" "" "list of an empty queue"
all=$(list_ids)
assert_eq "$(wc -w <<<"$all")" 12 "number of jobs in list"
assert_rc 0 "plain list" q list
grep -q itest-two "$T/out" || fail "plain list does not show job names: $(cat "$T/out")"

# --- wait timeout and cancel ---------------------------------------------
long=$(submit -- "$BIN/sleep" 60)
wait_for 10 "job $long running" state_is "$long" running
markers_seen 1 "the process of job $long"
pid=$(show_field "$long" pid)
[[ $pid =~ ^[1-9][0-9]*$ ]] || fail "pid of a running job: [$pid]"
[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "running job $pid is not its own process group leader"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "running job $pid is not in its own session"
start=$(date +%s%N)
assert_rc 124 "wait --timeout 1s on a running job" q wait "$long" --timeout 1s
el=$((($(date +%s%N) - start) / 1000000))
[ "$el" -ge 900 ] || fail "wait --timeout 1s returned after $el ms"
assert_rc 0 "cancel a running job" q cancel "$long"
assert_rc 125 "wait on a canceled job" q wait "$long"
assert_eq "$(show_field "$long" state)" canceled "state after cancel"
assert_no_markers 5 "after cancel"

# --- ping --json, logs -f ---------------------------------------------------
q --json ping | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert isinstance(o, dict), o
assert o.get("protocol") == 1, o
assert isinstance(o.get("pid"), int) and o["pid"] == int(sys.argv[1]), o
assert o.get("workers") == 2, o
assert isinstance(o.get("version"), str) and o["version"], o' "$JOBQD_PID" || fail "ping --json shape"
fol=$(submit -- sh -c 'echo first; sleep 0.5; echo second; echo err >&2')
assert_rc 0 "logs -f of a running job" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" logs -f "$fol"
assert_eq "$(cat "$T/out")" "$(printf 'first\nsecond')" "logs -f output"
assert_eq "$(q logs --stderr "$fol")" err "stderr of the followed job"

# --- only root and the daemon's uid may submit -------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$JOBQ" --help >/dev/null 2>&1; then
	chmod 0711 "$T"
	# As root, jobqd makes its socket 0660: other users cannot connect.
	assert_eq "$(stat -c %a "$SOCK")" 660 "mode of the socket of a jobqd run by root"
	assert_rc 3 "connect as another user" timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$JOBQ" -s "$SOCK" ping
	# Let it connect: jobqd itself still refuses its submit.
	chmod 0666 "$SOCK"
	assert_rc 1 "submit as another user" timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$JOBQ" -s "$SOCK" submit -- true
	grep -qi "permi" "$T/err" || fail "submit as another user: message [$(cat "$T/err")] does not say permission"
	chmod 0660 "$SOCK"
	chmod 0700 "$T"
	assert_eq "$(q --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 14 "jobs after a refused submit"
else
	log "submit-permission check skipped (needs root and a jobq executable by nobody)"
fi

# --- not found: exit 4 ----------------------------------------------------
assert_rc 4 "show of a missing job" q show 999999
assert_rc 4 "wait on a missing job" q wait 999999
assert_rc 4 "logs of a missing job" q logs 999999
assert_rc 4 "cancel of a missing job" q cancel 999999
assert_rc 4 "show --json of a missing job" q --json show 999999

# --- usage: exit 2 --------------------------------------------------------
assert_rc 2 "no command" q
assert_rc 2 "unknown command" q frobnicate
assert_rc 2 "submit without a command" q submit
assert_rc 2 "submit -- without a command" q submit --
assert_rc 2 "show without an id" q show
assert_rc 2 "show with a bad id" q show notanumber
assert_rc 2 "wait without an id" q wait
assert_rc 2 "unknown option" q list --frobnicate
assert_rc 2 "bad --state" q list --state sleeping
assert_rc 2 "bad --retries" q submit --retries many -- true
assert_rc 2 "bad --timeout" q wait "$ok" --timeout soon
assert_rc 2 "bad --env" q submit --env NOEQUALS -- true

# --- no daemon: exit 3 ----------------------------------------------------
assert_rc 3 "ping without a daemon" "$JOBQ" -s "$T/nosock" ping
assert_rc 3 "submit without a daemon" "$JOBQ" -s "$T/nosock" submit -- true
assert_rc 3 "list without a daemon" "$JOBQ" -s "$T/nosock" list
# every command's --help: the usage on stdout, exit 0, no daemon needed
for c in submit list show wait cancel logs ping priority retry purge queue watch stats; do
	assert_rc 0 "$c --help without a daemon" "$JOBQ" -s "$T/nosock" "$c" --help
	grep -q "^Usage: jobq $c" "$T/out" || fail "$c --help: no usage line: $(head -c 300 "$T/out")"
done
: >"$T/notasocket"
assert_rc 3 "ping on a regular file" "$JOBQ" -s "$T/notasocket" ping

daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after SIGTERM"
assert_rc 3 "ping after the daemon stopped" q ping
echo "basic: ok"
