#!/usr/bin/env bash
# sched-delay.sh - --delay and --at: the job starts no earlier than asked, and
# does start, without holding up the jobs behind it; the --at forms (HH:MM:SS,
# ISO 8601 with Z, local "YYYY-MM-DD HH:MM:SS", a past time); bad values are
# usage errors that create nothing; a delayed job survives kill -9 of jobqd
# and runs once, when due.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=1
start_daemon

# --- --delay 2s -------------------------------------------------------------------
t0=$(now_ms)
d=$(submit --delay 2s -- "$BIN/sh" -c "date +%s%3N >>\"$T/d.ran\"")
assert_eq "$(job_state "$d")" queued "state of a delayed job"
nb=$(show_field "$d" not_before)
[[ $nb =~ ^[0-9]+$ ]] || fail "not_before of a delayed job: [$nb]"
[ "$nb" -ge $((t0 + 2000)) ] || fail "not_before $nb is less than 2 s after the submit ($t0)"
[ "$nb" -le $((t0 + 2000 + 2000 * SLOW)) ] || fail "not_before $nb is far more than 2 s after the submit ($t0)"
# It does not hold up the (single) worker: a later job runs at once.
assert_rc 0 "a job submitted after the delayed one" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait -- true
# (only meaningful while it is not due yet: a slow machine may get here late)
st=$(job_state "$d")
[ "$(now_ms)" -ge "$nb" ] || assert_eq "$st" queued "state of the delayed job while another ran"
wait_ended "$d"
assert_eq "$(job_state "$d")" succeeded "state of the delayed job"
json=$(q --json show "$d")
pycheck "delayed job's times" '
s, st = o["submitted_at"], o["started_at"]
t0 = int(a[0]); slow = int(a[1])
if st < t0 + 2000: bad("started_at %d is less than 2 s after the submit (%d)" % (st, t0))
if st - s < 1900: bad("started_at - submitted_at = %d" % (st - s))
if st > o["not_before"] + 1500 * slow: bad("started %d ms after its not_before" % (st - o["not_before"]))
' "$t0" "$SLOW" <<<"$json"
ran=$(cat "$T/d.ran")
[ "$(nlines "$T/d.ran")" = 1 ] || fail "the delayed job ran $(nlines "$T/d.ran") times"
[ "$ran" -ge $((t0 + 2000)) ] || fail "the delayed job's process ran at $ran, less than 2 s after $t0"

# --- --at -------------------------------------------------------------------------
# HH:MM:SS two seconds ahead (whole seconds: the job is due at that second).
now=$(now_ms)
at=$((now / 1000 + 3))
j1=$(submit --at "$(date -d "@$at" +%H:%M:%S)" -- "$BIN/sh" -c "date +%s%3N >\"$T/at1.ran\"")
assert_eq "$(show_field "$j1" not_before)" $((at * 1000)) "not_before of --at $(date -d "@$at" +%T)"
# ISO 8601 in UTC, and a local "YYYY-MM-DD HH:MM:SS"
j2=$(submit --at "$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)" -- true)
assert_eq "$(show_field "$j2" not_before)" $((at * 1000)) "not_before of --at in UTC"
j3=$(submit --at "$(date -d "@$at" '+%Y-%m-%d %H:%M:%S')" -- true)
assert_eq "$(show_field "$j3" not_before)" $((at * 1000)) "not_before of --at in local time"
j4=$(submit --at "$(date -d "@$at" +%Y-%m-%dT%H:%M:%S%:z)" -- true)
assert_eq "$(show_field "$j4" not_before)" $((at * 1000)) "not_before of --at with a numeric zone"
# a time in the past runs at once
past=$(submit --at 2001-02-03T04:05:06Z -- true)
wait_ended "$past" 10
assert_eq "$(job_state "$past")" succeeded "job --at a past time"
st=$(job_state "$j1")
[ "$(now_ms)" -ge $((at * 1000)) ] || assert_eq "$st" queued "job --at a time ahead, after a past one ran"
for id in "$j1" "$j2" "$j3" "$j4"; do wait_ended "$id"; done
for id in "$j1" "$j2" "$j3" "$j4"; do
	assert_eq "$(job_state "$id")" succeeded "state of --at job $id"
	st=$(show_field "$id" started_at)
	[ "$st" -ge $((at * 1000)) ] || fail "--at job $id started at $st, before $((at * 1000))"
done
[ "$(cat "$T/at1.ran")" -ge $((at * 1000)) ] || fail "--at job ran at $(cat "$T/at1.ran"), before $((at * 1000))"

# --- bad values: usage errors, nothing created --------------------------------------
before=$(sql "SELECT count(*) FROM jobs")
for bad in soon -5s 5x 1.5h30m "" 3h-2m; do
	assert_rc 2 "submit --delay '$bad'" q submit --delay "$bad" -- true
	[ -s "$T/err" ] || fail "submit --delay '$bad': no message"
done
grep -q -- "delay" "$T/err" || fail "submit --delay 3h-2m: message [$(cat "$T/err")] does not name the option"
for bad in 25:00 12:61 tomorrow 2024-13-01T00:00 "2024-01-01 x" ""; do
	assert_rc 2 "submit --at '$bad'" q submit --at "$bad" -- true
	[ -s "$T/err" ] || fail "submit --at '$bad': no message"
done
assert_rc 2 "submit --delay and --at together" q submit --delay 1s --at 12:00 -- true
[ -s "$T/err" ] || fail "submit --delay --at: no message"
assert_eq "$(sql "SELECT count(*) FROM jobs")" "$before" "jobs in the database after refused submits"

# --- a delayed job survives kill -9 --------------------------------------------------
t0=$(now_ms)
k=$(submit --delay 3s -- "$BIN/sh" -c "date +%s%3N >>\"$T/k.ran\"")
assert_eq "$(job_state "$k")" queued "delayed job before the crash"
kill9_daemon
start_daemon
pycheck "delayed job after the restart" '
if o.get("state") != "queued" and int(a[1]) - int(a[0]) < 2900:
    bad("state %s right after the restart" % o.get("state"))
if o.get("not_before", 0) < int(a[0]) + 3000: bad("not_before %r lost or early" % o.get("not_before"))
' "$t0" "$(now_ms)" <<<"$(q --json show "$k")"
wait_ended "$k"
assert_eq "$(job_state "$k")" succeeded "delayed job after the crash"
assert_eq "$(nlines "$T/k.ran")" 1 "times the delayed job ran"
[ "$(cat "$T/k.ran")" -ge $((t0 + 3000)) ] || fail "delayed job ran at $(cat "$T/k.ran"), before $((t0 + 3000))"
st=$(show_field "$k" started_at)
[ "$st" -ge $((t0 + 3000)) ] || fail "delayed job started_at $st, before $((t0 + 3000))"
assert_eq "$(show_field "$k" attempts)" 1 "attempts of the delayed job"
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $k")" succeeded "delayed job's row"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-delay: ok"
