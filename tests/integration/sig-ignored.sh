#!/usr/bin/env bash
# sig-ignored.sh - jobqd started with signals ignored (INT, QUIT, PIPE, USR1,
# a real-time one) and others blocked (USR2, HUP, ALRM): its jobs still
# start with every signal at its default disposition and an empty mask
# (read by cat exec'd from the job's shell: grep catches SIGSEGV itself).
# The job's child resets only what the worker changed itself (SIGPIPE,
# worker_sig.c): forgetting one shows here as SigIgn.  The workers are
# started by uv_spawn, which already resets what jobqd inherited;
# worker_sig_init's reset at the worker's start-up is the second line.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

real=$JOBQD
cat >"$T/wrap" <<WRAP
#!/bin/sh
exec python3 -c '
import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGUSR1,
          signal.SIGRTMIN + 3):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK,
    {signal.SIGUSR2, signal.SIGHUP, signal.SIGALRM})
os.execv(sys.argv[1], sys.argv[1:])
' "$real" "\$@"
WRAP
chmod +x "$T/wrap"
JOBQD=$T/wrap
start_daemon
JOBQD=$real

# The daemon itself inherited them (the test's premise).
for w in $(worker_pids); do
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$w/status")
	log "worker $w SigIgn $ign"
done
d=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$JOBQD_PID/status")
assert_ne "$((16#$d & 16#200))" 0 "jobqd started with SIGUSR1 ignored (SigIgn $d)"

for i in 1 2 3; do
	j=$(submit -- /bin/sh -c 'exec cat /proc/self/status')
	wait_ended "$j"
	out=$(q logs "$j")
	for f in SigBlk SigIgn SigCgt; do
		v=$(sed -n "s/^$f:[[:space:]]*//p" <<<"$out")
		[ -n "$v" ] || fail "job $j printed no $f: $out"
		assert_eq "$((16#$v))" 0 "$f of job $j ($v)"
	done
done
stop_daemon
