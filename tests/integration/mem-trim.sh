#!/usr/bin/env bash
# mem-trim.sh - jobqd gives memory back once its job table has shrunk by
# many jobs (dispatch_mem.c): 30,000 held tasks (one request) take their
# bookkeeping; once they are canceled, the log says the free memory was
# given back (malloc_trim) and jobqd's RSS is back below halfway between
# the empty daemon's and the peak's (measured on a 2-CPU VM: 5.3 MB empty,
# 16.3 MB held, 7.9 MB after; 16.1 MB kept before this).  Under
# AddressSanitizer or ThreadSanitizer (their allocators ignore
# malloc_trim: the log says the memory was kept) only the trim's log line
# is checked.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

N=30000
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$JOBQD_PID/status"; }
CHECK_RSS=1
GAVE="given back"
if grep -qaE "__(asan|tsan)_init" "$JOBQD" 2>/dev/null; then
	CHECK_RSS=
	GAVE="kept (nothing to give back)"
	log "jobqd is built with a sanitizer: RSS measured, not checked"
fi

start_daemon --log-level debug
empty=$(rss_kb)
arr=$(submit --hold --array "1-$N" -- /bin/true)
assert_eq "$(q --json stats | jf counts.queued)" "$N" "tasks queued"
peak=$(rss_kb)
log "RSS: empty ${empty} kB, $N tasks held ${peak} kB"
if grep -q "free memory" "$LOG"; then
	fail "memory was trimmed before any job left: $(grep "free memory" "$LOG")"
fi
q cancel "$arr" >/dev/null || fail "jobq cancel $arr"
assert_eq "$(q --json stats | jf counts.queued)" 0 "tasks queued after the cancel"
trimmed() { grep -qF "0 jobs in the table ($N at the peak): free memory $GAVE" "$LOG"; }
wait_for 10 "the trim after the cancel" trimmed
after=$(rss_kb)
log "RSS after the trim: ${after} kB"
if [ -n "$CHECK_RSS" ]; then
	[ "$peak" -gt "$((empty + 4096))" ] ||
		fail "$N held tasks took less than 4 MiB ($empty -> $peak kB): nothing to measure"
	[ "$after" -le "$(((empty + peak) / 2))" ] ||
		fail "RSS ${after} kB after the trim: not below halfway from ${empty} (empty) to ${peak} kB (peak)"
fi
# the daemon goes on as before
j=$(submit -- sh -c "echo after")
wait_ended "$j"
assert_eq "$(q logs "$j")" after "output of job $j after the trim"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
