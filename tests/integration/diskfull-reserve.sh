#!/usr/bin/env bash
# diskfull-reserve.sh - the reserve: on a full disk the end of a running job
# is still recorded, `jobq purge` still frees space, and then submits work
# again.  The state dir is a 32 MiB tmpfs in a private mount namespace
# (reserve: 2 MiB, 1/16 of it); a job fills it by writing its stdout until
# ENOSPC.  Its end fails to commit, jobqd releases STATE/reserve and commits
# it at once (logged loudly); while the reserve is gone new submits are
# refused (storage); the purge commits and removes the job's output, jobqd
# makes the reserve again, and the next submit runs.  Needs root (mount
# namespace).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root for a private tmpfs"
command -v unshare >/dev/null && command -v nsenter >/dev/null ||
	skip "unshare/nsenter not installed"
unshare -m --propagation private true 2>/dev/null || skip "cannot create a mount namespace"

mkdir -p "$STATE"
echo "=== start_daemon (tmpfs) ($(date +%T.%N))" >>"$LOG"
# unshare and bash exec: $! is jobqd itself.  Retention off: only the purge
# below removes anything.
unshare -m --propagation private bash -c '
	mount -t tmpfs -o size=32m,mode=0700 jobq-reserve "$1" || exit 99
	shift
	exec "$@"' diskfull-reserve "$STATE" \
	"$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers 2 --kill-grace 2s \
	--keep-age 0 --keep-count 0 2>>"$LOG" </dev/null &
JOBQD_PID=$!
wait_ready
inns() { nsenter -t "$JOBQD_PID" -m "$@"; }
inns findmnt -n "$STATE" >/dev/null || fail "the state dir is not a tmpfs in jobqd's namespace"
avail() { inns df --output=avail -B1 "$STATE" | tail -n 1 | tr -d ' '; }
reserve_size() { inns stat -c %s "$STATE/reserve" 2>/dev/null || echo none; }
assert_eq "$(reserve_size)" $((2 << 20)) "size of STATE/reserve at start-up"

first=$(submit -- true)
wait_ended "$first"

# A job that fills the disk once its start is recorded.
gate=$T/gate
j=$(submit -- "$BIN/sh" -c "$(gate_script "$gate"); cat /dev/zero")
started() { [ "$(show_field "$j" pid)" != null ]; }
wait_for 10 "job $j recorded as started" started
since=$(wc -c <"$LOG")
touch "$gate"

# Its end cannot be written without the reserve: it is, at once.
ended() { state_is "$j" failed; }
wait_for 8 "job $j's end recorded on the full disk" ended
assert_eq "$(show_field "$j" exit_code)" 1 "exit code of job $j (cat: no space left)"
tail -c +"$((since + 1))" "$LOG" | grep "DISK FULL: released the reserve" >/dev/null ||
	fail "no loud line about the reserve: $(tail -c +"$((since + 1))" "$LOG")"
assert_eq "$(reserve_size)" none "STATE/reserve after the disk filled"
[ "$(avail)" -lt $((4 << 20)) ] || fail "the tmpfs is not full: $(avail) bytes free"
assert_eq "$(inns sqlite3 "$STATE/jobq.db" "SELECT state FROM jobs WHERE id = $j")" failed \
	"job $j's state in the database"

# No room for the reserve: new work is refused, cleanly.
assert_rc 1 "a submit while the reserve is gone" q submit -- true
grep -qi "storage\|disk" "$T/err" || fail "refused submit: message [$(cat "$T/err")] does not mention storage"
daemon_alive || fail "jobqd died on the full disk"

# The purge commits, frees the job's output, and the reserve comes back.
assert_rc 0 "jobq purge on the full disk" q purge
assert_eq "$(cat "$T/out")" "purged 2 jobs" "jobq purge's output"
[ "$(avail)" -gt $((16 << 20)) ] || fail "the purge freed nothing: $(avail) bytes free"
assert_eq "$(reserve_size)" $((2 << 20)) "STATE/reserve after the purge"
grep -q "disk space is back" "$LOG" || fail "no line saying the reserve was made again"

# Submits work again.
k=$(submit -- sh -c 'echo after')
wait_ended "$k"
assert_eq "$(job_state "$k")" succeeded "the job submitted after the purge"
assert_eq "$(q logs "$k")" after "output of job $k"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after the full-disk episode"
echo "diskfull-reserve: ok"
