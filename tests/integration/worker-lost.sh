#!/usr/bin/env bash
# worker-lost.sh - kill -9 the worker running a job: the job ends failed /
# worker_lost, its processes are gone, a replacement worker appears and new
# jobs run; with --retries 1 the job runs again and can succeed.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

start_daemon

nworkers() { [ "$(worker_pids | wc -l)" -eq 2 ]; }
wait_for 10 "2 workers under jobqd" nworkers
before=$(worker_pids | tr '\n' ' ')
for w in $before; do
	grep -q -- --worker "/proc/$w/cmdline" 2>/dev/null ||
		fail "child $w of jobqd is not a worker: $(tr '\0' ' ' <"/proc/$w/cmdline")"
done

# job_worker ID: pid of the worker that runs job ID (parent of its process).
job_worker() {
	local p
	p=$(show_field "$1" pid)
	[[ $p =~ ^[1-9][0-9]*$ ]] || fail "pid of running job $1: [$p]"
	ps -o ppid= -p "$p" | tr -d ' '
}

id=$(submit -- "$BIN/sh" -c "\"$BIN/sleep\" 300 & echo ready; \"$BIN/sleep\" 300")
wait_for 10 "job $id running" state_is "$id" running
has_ready() { [ "$(q logs "$id" 2>/dev/null)" = ready ]; }
wait_for 10 "job $id printed ready" has_ready
markers_seen 2 "the processes of job $id"
w=$(job_worker "$id")
[[ " $before " == *" $w "* ]] || fail "parent $w of job $id is not one of the workers ($before)"
log "killing worker $w of job $id"
kill -KILL "$w"

assert_rc 125 "wait on a job whose worker died" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" wait "$id"
assert_eq "$(show_field "$id" state)" failed "state of a job whose worker died"
assert_eq "$(show_field "$id" reason)" worker_lost "reason of a job whose worker died"
assert_no_markers 5 "processes of the job whose worker died"

replaced() {
	local now
	now=$(worker_pids | tr '\n' ' ')
	[ "$(wc -w <<<"$now")" -eq 2 ] && [[ " $now " != *" $w "* ]]
}
wait_for 10 "a replacement worker" replaced
after=$(worker_pids | tr '\n' ' ')
log "workers before: $before after: $after"
daemon_alive || fail "jobqd died after losing a worker"
for ((i = 0; i < 4; i++)); do
	assert_rc 0 "job $i after a worker was lost" timeout $((20 * SLOW)) "$JOBQ" -s "$SOCK" submit --wait -- true
done

# --retries 1: first attempt loses its worker, second attempt succeeds.
rid=$(submit --retries 1 -- "$BIN/sh" -c "if [ -e '$T/flag' ]; then echo second; exit 0; fi; : > '$T/flag'; echo first; exec \"$BIN/sleep\" 300")
assert_eq "$(show_field "$rid" max_retries)" 1 "max_retries of a job submitted with --retries 1"
wait_for 10 "job $rid running its first attempt" state_is "$rid" running
flag_there() { [ -e "$T/flag" ]; }
wait_for 10 "first attempt of job $rid" flag_there
markers_seen 1 "the process of job $rid"
w=$(job_worker "$rid")
kill -KILL "$w"
assert_rc 0 "wait on a retried job" timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" wait "$rid"
assert_eq "$(show_field "$rid" state)" succeeded "state of the retried job"
assert_eq "$(show_field "$rid" attempts)" 2 "attempts of the retried job"
grep -qx second <(q logs "$rid") || fail "the retried job's output lacks the second attempt: $(q logs "$rid")"
assert_no_markers 5 "after the retried job"

wait_for 10 "2 workers again" nworkers
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "worker-lost: ok"
