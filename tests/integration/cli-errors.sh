#!/usr/bin/env bash
# cli-errors.sh - how jobq reports what went wrong: one line
# "jobq: CMD: WHAT: REASON" for every command, the reason said once; the
# exit status; with --json (before or after the command) also a JSON error
# object on stdout (code, message, status), in the result array for
# cancel of several jobs; connect and usage errors the same way; a job
# that could not be spawned says why under submit --wait and wait.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
start_daemon

# err_is RC EXPECTED_STDERR CMD...: exit status and the exact first line
err_is() {
	local rc=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	[ "$got" = "$rc" ] || fail "$*: exit $got, not $rc (stderr: $(cat "$T/err"))"
	assert_eq "$(head -1 "$T/err")" "$want" "stderr of $*"
}

# --- no such job: the same line from every command -----------------------------
for c in show cancel wait logs retry; do
	err_is 4 "jobq: $c: job 99999: no such job" q "$c" 99999
	grep -q "no such job: no such job" "$T/err" && fail "$c repeats the reason"
	[ -s "$T/out" ] && fail "$c wrote to stdout without --json: $(cat "$T/out")"
done
err_is 4 "jobq: priority: job 99999: no such job" q priority 99999 3

j=$(submit -- true)
wait_ended "$j"
err_is 1 "jobq: cancel: job $j: it has already ended" q cancel "$j"
a=$(submit --array 1-2 -- true)
q wait "$a" >/dev/null
err_is 4 "jobq: show: task $a.9: no such task" q show "$a.9"
err_is 2 "jobq: retry: $a is an array; name a task as $a.INDEX" q retry "$a"

# --- --json: an error object on stdout as well -----------------------------------
for form in "--json show 99999" "show 99999 --json"; do
	# shellcheck disable=SC2086
	err_is 4 "jobq: show: job 99999: no such job" q $form
	pycheck "--json error ($form)" '
if o != {"ok": False, "command": "show", "what": "job 99999", "error": {"code": "not_found", "message": "no such job"}, "status": 4}: bad("got %r" % o)
' <"$T/out"
done
err_is 4 "jobq: cancel: job $j: it has already ended" q --json cancel "$j" 99999
pycheck "--json cancel of two failing jobs" '
if not isinstance(o, list) or len(o) != 2: bad("not an array of 2: %r" % o)
codes = [(x["what"], x["error"]["code"], x["status"]) for x in o]
if codes != [("job " + a[0], "bad_state", 1), ("job 99999", "not_found", 4)]: bad("got %r" % codes)
' "$j" <"$T/out"
err_is 2 "jobq: list: invalid state 'bogus' (expected queued, held, running, succeeded, failed, canceled, interrupted, timed_out, or several joined by commas)" \
	q --json list --state bogus
pycheck "--json usage error" '
if o["error"]["code"] != "usage" or o["status"] != 2 or "bogus" not in o["error"]["message"]: bad("got %r" % o)
' <"$T/out"
# the help line follows a usage error
sed -n 2p "$T/err" | grep -x "Try 'jobq help list' for more information." >/dev/null || fail "usage hint: $(cat "$T/err")"

# --- cannot connect ---------------------------------------------------------------
err_is 3 "jobq: show: cannot connect to jobqd at $T/nosock: no such socket" \
	"$JOBQ" -s "$T/nosock" --json show 1
grep -q "is jobqd running?" "$T/err" || fail "no hint to start jobqd: $(cat "$T/err")"
pycheck "--json connect error" '
if o["error"]["code"] != "connect" or o["status"] != 3 or o["ok"] is not False: bad("got %r" % o)
' <"$T/out"

# --- a job that could not be spawned says why -------------------------------------
q submit --wait -- "$T/no-such-program" >"$T/out" 2>"$T/err"
rc=$?
assert_eq "$rc" 125 "submit --wait of a missing program"
sid=$(head -1 "$T/out")
[[ $sid =~ ^[0-9]+$ ]] || fail "submit --wait printed [$sid]"
assert_eq "$(cat "$T/err")" \
	"jobq: submit: job $sid: failed (spawn_failed): executing the command: No such file or directory" \
	"submit --wait of a missing program: stderr"
err_is 125 "jobq: wait: job $sid: failed (spawn_failed): executing the command: No such file or directory" \
	q wait "$sid"
# a job that exited with a status is not explained: its status says it
q submit --wait -- sh -c 'exit 3' >/dev/null 2>"$T/err"
assert_eq "$?" 3 "submit --wait of exit 3"
[ -s "$T/err" ] && fail "submit --wait of exit 3 wrote to stderr: $(cat "$T/err")"
log "ok"
