#!/usr/bin/env bash
# libjobq.sh - the C library against a live daemon: every API call and error
# code (itest_lib api), 8 threads with their own handles (itest_lib threads),
# the scheduling calls and the watch stream (itest_lib sched, watch), the
# library against a scripted fake daemon (itest_lib fake), and the shipped
# example program.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ -x "$ITEST_LIB" ] || fail "ITEST_LIB ($ITEST_LIB) is not executable"
[ -x "$EXAMPLE" ] || fail "EXAMPLE ($EXAMPLE) is not executable"
start_daemon

# api expects a fresh daemon (it counts the jobs it lists).
assert_rc 0 "itest_lib api" timeout $((90 * SLOW)) "$ITEST_LIB" api "$SOCK"
assert_rc 0 "itest_lib threads" timeout $((120 * SLOW)) "$ITEST_LIB" threads "$SOCK"
# scheduling calls (expects 2 workers; purges timed_out jobs, so after api)
assert_rc 0 "itest_lib sched" timeout $((120 * SLOW)) "$ITEST_LIB" sched "$SOCK"
assert_rc 0 "itest_lib watch" timeout $((60 * SLOW)) "$ITEST_LIB" watch "$SOCK"
# a scripted fake jobqd: split frames, overflow, bad replies
assert_rc 0 "itest_lib fake" timeout $((30 * SLOW)) "$ITEST_LIB" fake "$T"
assert_no_markers 5 "after the library tests"

# The example: default command, then a given one with its exit status.
JOBQ_SOCKET=$SOCK assert_rc 0 "example with the default command" timeout $((30 * SLOW)) "$EXAMPLE"
grep -q "hello from libjobq" "$T/out" || fail "example output lacks the job's output: $(cat "$T/out")"
JOBQ_SOCKET=$SOCK assert_rc 0 "example with a command" timeout $((30 * SLOW)) "$EXAMPLE" sh -c 'echo "example says hi"'
grep -q "example says hi" "$T/out" || fail "example output lacks the job's output: $(cat "$T/out")"
JOBQ_SOCKET=$SOCK assert_rc 5 "example with a failing command" timeout $((30 * SLOW)) "$EXAMPLE" sh -c 'exit 5'
JOBQ_SOCKET=$T/nosock timeout 10 "$EXAMPLE" true >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "example without a daemon exited $rc"
grep -q "cannot connect" "$T/err" || fail "example without a daemon: stderr [$(cat "$T/err")] lacks jobq_strerror(JOBQ_ECONNECT)"

daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "libjobq: ok"
