#!/usr/bin/env bash
# mu-limits.sh - per-job resource limits (jobq submit --mem, --cpu-time,
# --nofile, --nproc, --core, --nice, --cpus): each rlimit observed from
# inside the job (soft = hard), shown by `jobq show`; a job past its --mem
# fails to allocate, past its --cpu-time is killed; limits the protocol
# refuses are usage errors and one the kernel refuses fails the job cleanly
# (spawn_failed, naming the limit); a job that sets none starts with the
# limits jobqd itself was started with, not those jobqd raised for itself
# (RLIMIT_MSGQUEUE).  --cpus (g, h): accepted, shown, stored (lim_cpus, in
# milli-CPUs), bad values refused, a configured default applied and a value
# above the configured cpus-max refused.  What --cpus enforces, the job's
# cgroup's cpu.max, is not observed here: it needs cgroup mode with the cpu
# controller enabled for jobqd's jobs/ cgroup, and on the machines these
# tests run on the cpu controller is bound to cgroup v1, so no cgroup v2
# tree has it (the writing of cpu.max is unit-tested in check_cgroup.c).
#
# Not here: maxima and defaults of the other limits from the configuration
# file (unit tests in tests/check_rlimits.c and check_conf.c), and a
# negative --nice refused to a user other than root (needs other users to
# submit to a root jobqd; unit-tested in check_rlimits.c).
# The jobs' commands are single-quoted: they expand in the job.
# shellcheck disable=SC2016
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

BASH_BIN=$(command -v bash)
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=

# --- jobqd's own RLIMIT_MSGQUEUE: started with a soft limit below the hard
# one, which jobqd raises for its workers' queues; jobs must not see that.
MQ_HARD=$(ulimit -H -q)
MQ_SOFT=
if [ "$MQ_HARD" = unlimited ]; then
	MQ_SOFT=409600
elif [ "$MQ_HARD" -ge 200000 ]; then
	MQ_SOFT=$((MQ_HARD / 2))
fi
[ -z "$MQ_SOFT" ] || ulimit -S -q "$MQ_SOFT" || fail "ulimit -S -q $MQ_SOFT"
NOFILE_SOFT=$(ulimit -S -n)
NOFILE_HARD=$(ulimit -H -n)
start_daemon

# job_out ID: the job's stdout once it has ended (it must have succeeded).
job_out() {
	wait_ended "$1"
	assert_eq "$(job_state "$1")" succeeded "state of job $1 ($(show_field "$1" message))"
	q logs "$1"
}

# --- (a) every limit, as the job sees it --------------------------------------
j=$(submit --mem 512M --cpu-time 90s --nofile 64 --nproc 4000 --core 1M \
	--nice 5 -- "$BASH_BIN" -c 'echo $(ulimit -S -v) $(ulimit -H -v) $(ulimit -S -t) $(ulimit -H -t) $(ulimit -S -n) $(ulimit -H -n) $(ulimit -S -u) $(ulimit -H -u) $(ulimit -S -c) $(ulimit -H -c) $(nice) $(ps -o ni= -p $$)')
# ulimit -v in KiB, -c in 1024-byte blocks
assert_eq "$(job_out "$j" | tr -s ' ')" "524288 524288 90 90 64 64 4000 4000 1024 1024 5 5" \
	"limits seen by job $j"
assert_eq "$(q show "$j" | sed -n 's/^limits: *//p')" \
	"mem 512M, cpu-time 1m30s, nofile 64, nproc 4000, core 1M, nice 5" "jobq show $j: limits"
assert_eq "$(show_field "$j" limits)" \
	'{"mem": 536870912, "cpu_time": 90, "nofile": 64, "nproc": 4000, "core": 1048576, "nice": 5}' \
	"jobq --json show $j: limits"

# --cpu-time rounds up to whole seconds; root may lower its nice value;
# core 0 is a limit, not "unset".
j=$(submit --cpu-time 1500ms --nice -3 --core 0 -- "$BASH_BIN" -c 'echo $(ulimit -t) $(nice) $(ulimit -c)')
assert_eq "$(job_out "$j")" "2 -3 0" "cpu-time 1500ms, nice -3, core 0 seen by job $j"

# Without limits: jobqd's start-up ones (the test shell's), no limits shown.
j=$(submit -- "$BASH_BIN" -c 'echo $(ulimit -S -n) $(ulimit -H -n) $(ulimit -S -q) $(nice)')
want="$NOFILE_SOFT $NOFILE_HARD $(ulimit -S -q) 0"
assert_eq "$(job_out "$j")" "$want" "limits of job $j, which set none (jobqd's own at start-up)"
assert_eq "$(show_field "$j" limits)" null "jobq --json show $j: limits"
assert_eq "$(q show "$j" | sed -n 's/^limits: *//p')" "-" "jobq show $j: limits"
if [ -n "$MQ_SOFT" ]; then
	# the positive control: jobqd's workers do run with the raised limit
	w=$(worker_pids | head -n 1)
	assert_eq "$(awk '/^Max msgqueue size/ {print $4}' "/proc/$w/limits")" "$MQ_HARD" \
		"RLIMIT_MSGQUEUE of worker $w (raised by jobqd)"
	# and a job that sets its own limits gets the start-up ones for the rest
	j=$(submit --nofile 100 -- "$BASH_BIN" -c 'echo $(ulimit -S -q)')
	assert_eq "$(job_out "$j")" "$MQ_SOFT" "RLIMIT_MSGQUEUE of job $j (with --nofile)"
else
	log "RLIMIT_MSGQUEUE hard limit $MQ_HARD: the start-up limit check is skipped"
fi

# An array: every task has the limits.
a=$(submit --array 1-2 --nofile 50 -- "$BASH_BIN" -c 'ulimit -n')
q wait "$a" --timeout "$((20 * SLOW))s" >/dev/null || fail "array $a did not succeed"
for t in 1 2; do
	assert_eq "$(q logs "$a.$t")" 50 "nofile of task $a.$t"
	assert_eq "$(q --json show "$a.$t" | jf limits.nofile)" 50 "jobq show $a.$t: nofile"
done

# --- (b) a job past its --mem cannot allocate ----------------------------------
if [ -n "$PY" ]; then
	m=$(submit --mem 256M -- "$PY" -c 'b = bytearray(1 << 30); print("allocated")')
	wait_ended "$m"
	assert_eq "$(job_state "$m")" failed "state of job $m (1 GiB under --mem 256M)"
	assert_eq "$(show_field "$m" exit_code)" 1 "exit code of job $m"
	assert_match "$(q logs --stderr "$m")" "MemoryError" "stderr of job $m"
	assert_eq "$(q logs "$m")" "" "stdout of job $m"
	# the same allocation without the limit succeeds (the control)
	m=$(submit --mem 4G -- "$PY" -c 'b = bytearray(1 << 28); print("allocated")')
	assert_eq "$(job_out "$m")" allocated "job $m (256 MiB under --mem 4G)"
else
	log "no python3: the --mem allocation check is skipped"
fi

# --- (c) a busy loop past its --cpu-time is killed ------------------------------
c=$(submit --cpu-time 1 -- "$BASH_BIN" -c 'while :; do :; done')
wait_ended "$c" 30
assert_eq "$(job_state "$c")" failed "state of job $c (busy past --cpu-time 1)"
# soft = hard: the kernel sends SIGKILL at the limit (no SIGXCPU first)
assert_eq "$(show_field "$c" signal)" 9 "signal of job $c"
assert_eq "$(show_field "$c" reason)" signal "reason of job $c"

# --- (d) bad values: usage errors, nothing submitted ------------------------------
n0=$(ids_of | wc -w)
for bad in "--nice 20" "--nice -21" "--nofile 2" "--nproc 0" "--mem 0" "--mem 1X" \
	"--cpu-time 0" "--cpu-time 11000d" "--core -1" "--nofile 1073741825"; do
	# shellcheck disable=SC2086
	assert_rc 2 "jobq submit $bad" q submit $bad -- true
	assert_match "$(cat "$T/err")" "invalid ${bad%% *}" "message for $bad"
done
assert_eq "$(ids_of | wc -w)" "$n0" "jobs after the refused submits"

# --- (e) a limit the kernel refuses: the job fails cleanly, naming it ----------
NR_OPEN=$(cat /proc/sys/fs/nr_open)
if [ "$NR_OPEN" -lt 1073741824 ]; then
	k=$(submit --nofile $((NR_OPEN + 1)) -- true)
	wait_ended "$k"
	assert_eq "$(job_state "$k")" failed "state of job $k (--nofile above fs.nr_open)"
	assert_eq "$(show_field "$k" reason)" spawn_failed "reason of job $k"
	assert_match "$(show_field "$k" message)" "setting its limit nofile \(RLIMIT_NOFILE\): Operation not permitted" \
		"message of job $k"
	n=$(submit -- true)
	wait_ended "$n"
	assert_eq "$(job_state "$n")" succeeded "the job after job $k"
fi

# --- (f) limits survive a restart with the job still queued ----------------------
q queue pause default >/dev/null || fail "queue pause"
p=$(submit --nofile 77 --nice 2 -- "$BASH_BIN" -c 'echo $(ulimit -n) $(nice)')
stop_daemon
start_daemon
q queue resume default >/dev/null || fail "queue resume"
assert_eq "$(job_out "$p")" "77 2" "limits of job $p, queued across a restart"

# --- (g) --cpus: accepted, shown, stored in milli-CPUs; bad values refused ------
# The job runs whatever the isolation mode (the cpu controller is not
# available here: see the top); only its limit is checked.
j=$(submit --cpus 1.5 -- true)
wait_ended "$j"
assert_eq "$(job_state "$j")" succeeded "state of job $j (--cpus 1.5)"
assert_eq "$(q show "$j" | sed -n 's/^limits: *//p')" "cpus 1.5" "jobq show $j: limits"
assert_eq "$(show_field "$j" limits)" '{"cpus": 1500}' "jobq --json show $j: limits"
assert_eq "$(sql "SELECT lim_cpus FROM jobs WHERE id = $j")" 1500 "lim_cpus of job $j"
j=$(submit --cpus 0.001 --nice 1 -- true)
assert_eq "$(q show "$j" | sed -n 's/^limits: *//p')" "nice 1, cpus 0.001" "jobq show $j: limits"
assert_eq "$(sql "SELECT lim_cpus FROM jobs WHERE id = $j")" 1 "lim_cpus of job $j"
j=$(submit --cpus 8192 -- true)
assert_eq "$(q --json show "$j" | jf limits.cpus)" 8192000 "jobq --json show $j: limits.cpus"
# no --cpus, no configuration: none stored
j=$(submit -- true)
assert_eq "$(sql "SELECT lim_cpus IS NULL FROM jobs WHERE id = $j")" 1 "lim_cpus of job $j (none)"
n0=$(ids_of | wc -w)
for bad in 0 0.0 -1 1.0005 abc 1,5 .5 1. 8192.001 1e3 ""; do
	assert_rc 2 "jobq submit --cpus '$bad'" q submit --cpus "$bad" -- true
	assert_match "$(cat "$T/err")" "invalid --cpus" "message for --cpus '$bad'"
done
assert_eq "$(ids_of | wc -w)" "$n0" "jobs after the refused --cpus submits"

# --- (h) cpus and cpus-max from the configuration file --------------------------
CONF=$T/jobqd.conf
printf 'cpus = 0.5\ncpus-max = 2\n[queue big]\ncpus-max = 4\n' >"$CONF"
chmod 0644 "$CONF"
stop_daemon
start_daemon --config "$CONF"
j=$(submit -- true)
assert_eq "$(sql "SELECT lim_cpus FROM jobs WHERE id = $j")" 500 "lim_cpus of job $j (the configured default)"
assert_eq "$(q show "$j" | sed -n 's/^limits: *//p')" "cpus 0.5" "jobq show $j: limits (the default)"
j=$(submit --cpus 2 -- true)
assert_eq "$(sql "SELECT lim_cpus FROM jobs WHERE id = $j")" 2000 "lim_cpus of job $j (at cpus-max)"
n0=$(ids_of | wc -w)
assert_rc 1 "jobq submit --cpus 2.5 above cpus-max 2" q submit --cpus 2.5 -- true
assert_match "$(cat "$T/err")" "cpus: 2.5 is more than the maximum of 2 \(cpus-max\)" \
	"message of the refused --cpus 2.5"
assert_eq "$(ids_of | wc -w)" "$n0" "jobs after the submit above cpus-max"
# a [queue] section's maximum over the global one
j=$(submit --queue big --cpus 2.5 -- true)
assert_eq "$(sql "SELECT lim_cpus FROM jobs WHERE id = $j")" 2500 "lim_cpus of job $j (queue big, cpus-max 4)"
