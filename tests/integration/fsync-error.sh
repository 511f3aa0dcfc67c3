#!/usr/bin/env bash
# fsync-error.sh - when an fdatasync of the database fails, jobqd stops
# (exit 1) instead of retrying and acknowledging: after a failed fsync the
# data may be gone even if a retry succeeds.  Every submit acknowledged
# before that is still there after a restart, exactly once.  The failure is
# injected with strace (the 40th fdatasync: past start-up, which takes 20 on
# a new state dir with schema 13 and its instance row, a few jobs in).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v strace >/dev/null || skip "strace not installed"
strace -qq -o /dev/null true 2>/dev/null || skip "ptrace not permitted here"

echo "=== start_daemon under strace ($(date +%T.%N))" >>"$LOG"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=EIO:when=40 \
	"$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers 2 --kill-grace 2s \
	2>>"$LOG" </dev/null &
JOBQD_PID=$!
wait_ready

: >"$T/acked"
died=0
for ((i = 0; i < 200; i++)); do
	if id=$(q submit -- true 2>>"$T/submit.err"); then
		echo "$id" >>"$T/acked"
	else
		died=1
		break
	fi
done
[ "$died" = 1 ] || fail "200 submits went through an injected fdatasync error"
for ((i = 0; i < 500 * SLOW; i++)); do
	kill -0 "$JOBQD_PID" 2>/dev/null || break
	sleep 0.02
done
kill -0 "$JOBQD_PID" 2>/dev/null && fail "jobqd still runs after its fdatasync failed"
wait "$JOBQD_PID"
rc=$?
JOBQD_PID=
assert_eq "$rc" 1 "exit status of jobqd after a failed fdatasync"
grep -qiE "i/o|disk|sync" "$LOG" || fail "jobqd's log does not say what failed"
log "$(wc -l <"$T/acked") submits acknowledged before the failure"

# Its workers went with it (their queue names carry the daemon's pid).
oldpid=$(head -n 1 "$STATE/jobqd.lock")
[[ $oldpid =~ ^[0-9]+$ ]] || fail "no pid in jobqd.lock: [$oldpid]"
workers_gone() { ! pgrep -f -- "--worker [0-9]+ /jobqd\\.$oldpid\\." >/dev/null; }
wait_for 10 "the workers of the dead jobqd (pid $oldpid) to exit" workers_gone

start_daemon
# Each acknowledged job is there: it ran, or it was running when jobqd
# stopped and is interrupted.
while read -r id; do
	assert_rc "0|125" "acknowledged job $id after the restart" \
		timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" wait --timeout $((50 * SLOW))s "$id"
	st=$(q --json show "$id" | jf state reason | paste -sd ' ')
	case $st in
	"succeeded null" | "interrupted daemon_crash") ;;
	*) fail "acknowledged job $id after the restart: state/reason [$st]" ;;
	esac
done <"$T/acked"
dups=$(sqlite3 "$STATE/jobq.db" "SELECT count(*) - count(DISTINCT id) FROM jobs")
assert_eq "$dups" 0 "duplicate rows"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after the restart"
exit 0
