# shellcheck shell=bash
# slurm-lib.sh - a private Slurm cluster for jobq's integration tests.
# Sourced after lib.sh, never run.
#
# Each test gets its own cluster in $T/slurm ($SLURM_DIR): its own munged
# (own key, own socket), slurmctld and slurmd(s), a generated slurm.conf,
# its own ports, state, spool and logs, so that several clusters (and the
# hand-started one of a developer) coexist.  Nothing is installed or
# started system-wide.
#
#   slurm_skip_if_absent    exit 77 when the Slurm or munge packages are missing
#   slurm_start [NODES]     NODES 1 (default): everything on a loopback
#                           address (127.0.0.1) on free ports.  NODES 2: two network namespaces joined by a
#                           veth pair on a private subnet, slurmctld + slurmd
#                           n1 in the first, slurmd n2 in the second (skips the
#                           test with 77 when namespaces cannot be made).
#                           SLURM_CPUS (default 2) CPUs per node.  Returns once
#                           every node is idle (bounded polling).
#   slurm_stop              cancels every job, stops the daemons, kills
#                           whatever this cluster's slurmstepd or jobs left,
#                           removes the namespaces.  Runs on the exit trap.
#   slurm_ctld_stop/start   stop / restart slurmctld alone (same state), to
#                           make the controller unreachable for a while.
#
# The client commands (sbatch, squeue, scancel, scontrol, sinfo, sacct, srun)
# are wrappers in $SLURM_BIN, first in PATH: in two-node mode they run the
# real command in the controller's network namespace (nsenter --net: not
# `ip netns exec`, which remounts /sys without the cgroup file system that
# slurmd needs), in one-node mode they only exec it.  So a jobqd started by the test finds them in PATH
# like a user's would, and SLURM_CONF is exported.
#
# Telling this cluster's processes from any other: munged, slurmctld and
# the slurmd(s) are started with JOBQ_SLURM_MARK=$SLURM_DIR in their
# environment, which slurmstepd inherits; Slurm puts SLURM_CONF (our
# slurm.conf) into every job's environment.  slurm_leftovers lists the
# processes carrying either, and their descendants.

SLURM_DIR=$T/slurm
SLURM_BIN=$SLURM_DIR/bin
SLURM_NODES=
SLURM_NS=
SLURM_STARTED=
SLURM_MUNGED_PID=
SLURM_CTLD_PID=
SLURM_SLURMD_PIDS=
SLURM_CTLD_NS=
SLURM_PARTITION=debug
SLURM_CPUS=${SLURM_CPUS:-2}
SLURM_REAL_BIN=/usr/bin
SLURM_REAL_SBIN=/usr/sbin

# slurm_skip_if_absent: the test cannot run without Slurm and munge.
slurm_skip_if_absent() {
	local c missing=
	for c in sbatch squeue scancel scontrol sinfo slurmctld slurmd munged; do
		command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		printf 'SKIP: Slurm packages not installed (apt-get install slurm-wlm slurmctld slurmd slurm-client munge): missing%s\n' "$missing" >&2
		exit 77
	fi
	SLURM_REAL_BIN=$(dirname "$(command -v sbatch)")
	if command -v slurmctld >/dev/null 2>&1; then
		SLURM_REAL_SBIN=$(dirname "$(command -v slurmctld)")
	fi
}

# slurm_free_ports N [ADDR]: N distinct TCP ports free on ADDR (default
# every address) right now.
slurm_free_ports() {
	python3 - "$1" "${2:-}" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind((sys.argv[2], 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

slurm_log() { printf '# slurm: %s\n' "$*" >&2; }

# slurm_show_logs: the tails of the cluster's logs (on a failure).
slurm_show_logs() {
	local f
	for f in "$SLURM_DIR"/log/*; do
		[ -s "$f" ] || continue
		printf -- '--- tail of %s ---\n' "$f" >&2
		tail -n 15 "$f" >&2
	done
}

# slurm_fail MESSAGE: fail() with the cluster's logs.
slurm_fail() {
	slurm_show_logs
	fail "$*"
}

# slurm_in_ctld_ns CMD...: CMD where slurmctld runs.
slurm_in_ctld_ns() {
	if [ -n "$SLURM_CTLD_NS" ]; then
		nsenter --net="/run/netns/$SLURM_CTLD_NS" "$@"
	else
		"$@"
	fi
}

# slurm_bg NS LOGNAME CMD...: CMD in the background in its own session,
# in namespace NS ("" = this one), marked; prints its pid.
slurm_bg() {
	local ns=$1 name=$2
	shift 2
	if [ -n "$ns" ]; then
		set -- nsenter --net="/run/netns/$ns" "$@"
	fi
	env JOBQ_SLURM_MARK="$SLURM_DIR" SLURM_CONF="$SLURM_DIR/slurm.conf" \
		setsid "$@" </dev/null >>"$SLURM_DIR/log/$name.out" 2>&1 &
	echo $!
}

# slurm_write_wrappers: $SLURM_BIN/CMD for each client command.
slurm_write_wrappers() {
	local c real
	mkdir -p "$SLURM_BIN"
	for c in sbatch squeue scancel scontrol sinfo sacct srun; do
		real=$SLURM_REAL_BIN/$c
		[ -x "$real" ] || continue
		if [ -n "$SLURM_CTLD_NS" ]; then
			printf '#!/bin/sh\nSLURM_CONF=%s; export SLURM_CONF\nexec nsenter --net=/run/netns/%s %s "$@"\n' \
				"$SLURM_DIR/slurm.conf" "$SLURM_CTLD_NS" "$real" >"$SLURM_BIN/$c"
		else
			printf '#!/bin/sh\nSLURM_CONF=%s; export SLURM_CONF\nexec %s "$@"\n' \
				"$SLURM_DIR/slurm.conf" "$real" >"$SLURM_BIN/$c"
		fi
		chmod 755 "$SLURM_BIN/$c"
	done
}

# slurm_write_conf CTLD_ADDR CTLD_PORT SLURMD_PORT NODE=ADDR...
# On a loopback address the daemons bind only there (NoInAddrAny, and
# NoCtldInAddrAny when the host name resolves to it: the ports are free
# there, not necessarily on every address).  In the
# namespaces they bind to any address: they are alone there, and with
# NoCtldInAddrAny slurmctld would bind to what the host name resolves to
# (127.0.x.1), not to the namespace's address.
slurm_write_conf() {
	local addr=$1 cport=$2 dport=$3 n host comm=
	shift 3
	host=$(hostname -s)
	case $addr in
	127.*)
		comm=CommunicationParameters=NoInAddrAny
		[ "$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR == 1 {print $1}')" = "$addr" ] &&
			comm=$comm,NoCtldInAddrAny
		;;
	esac
	cat >"$SLURM_DIR/slurm.conf" <<EOF
# generated by jobq's tests/integration/slurm-lib.sh
ClusterName=jq
SlurmctldHost=$host($addr)
SlurmctldPort=$cport
SlurmdPort=$dport
$comm
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SLURM_DIR/log/jobcomp.txt
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
Epilog=/bin/true
KillWait=5
MinJobAge=300
ReturnToService=2
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd-%n.log
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd-%n.pid
PlugStackConfig=$SLURM_DIR/plugstack.conf
EOF
	: >"$SLURM_DIR/plugstack.conf"
	SLURM_NODES=
	for n in "$@"; do
		mkdir -p "$SLURM_DIR/spool/${n%%=*}"
		printf 'NodeName=%s NodeAddr=%s CPUs=%s RealMemory=1000 State=UNKNOWN\n' \
			"${n%%=*}" "${n#*=}" "$SLURM_CPUS" >>"$SLURM_DIR/slurm.conf"
		SLURM_NODES="$SLURM_NODES${SLURM_NODES:+,}${n%%=*}"
	done
	printf 'PartitionName=%s Nodes=%s Default=YES MaxTime=INFINITE State=UP\n' \
		"$SLURM_PARTITION" "$SLURM_NODES" >>"$SLURM_DIR/slurm.conf"
}

# slurm_netns_up: two namespaces and a veth pair 10.213.0.1 <-> .2 (the
# subnet exists only inside the namespaces, so it cannot clash).
slurm_netns_up() {
	local base=jqsl-${T##*.} a b
	a=$base-a
	b=$base-b
	ip netns add "$a" 2>"$SLURM_DIR/log/netns.err" || return 1
	SLURM_NS=$a
	ip netns add "$b" 2>>"$SLURM_DIR/log/netns.err" || return 1
	SLURM_NS="$a $b"
	ip -n "$a" link add veth0 type veth peer name veth1 netns "$b" &&
		ip -n "$a" addr add 10.213.0.1/24 dev veth0 &&
		ip -n "$b" addr add 10.213.0.2/24 dev veth1 &&
		ip -n "$a" link set lo up && ip -n "$b" link set lo up &&
		ip -n "$a" link set veth0 up && ip -n "$b" link set veth1 up \
		2>>"$SLURM_DIR/log/netns.err" || return 1
	SLURM_CTLD_NS=$a
}

# slurm_nodes_state: "NODE STATE" lines as sinfo reports them.
slurm_nodes_state() {
	timeout 10 "$SLURM_BIN/sinfo" -h -N -o '%N %T' 2>/dev/null | sort -u
}

slurm_all_idle() {
	local out n
	out=$(slurm_nodes_state) || return 1
	for n in ${SLURM_NODES//,/ }; do
		grep -qx "$n idle" <<<"$out" || return 1
	done
}

slurm_ctld_up() {
	timeout 10 "$SLURM_BIN/scontrol" ping 2>/dev/null | grep 'is UP' >/dev/null
}

# slurm_wait_idle [SECS]: every node idle (bounded).
slurm_wait_idle() {
	local i n=$((${1:-30} * 20 * SLOW))
	for ((i = 0; i < n; i++)); do
		slurm_all_idle && return 0
		kill -0 "$SLURM_CTLD_PID" 2>/dev/null || slurm_fail "slurmctld died"
		sleep 0.05
	done
	slurm_fail "Slurm nodes not idle within $((n / 20)) s: $(slurm_nodes_state | tr '\n' ';')"
}

# slurm_start [NODES]
slurm_start() {
	local nodes=${1:-1} ports i addr
	slurm_skip_if_absent
	[ -z "$SLURM_STARTED" ] || fail "slurm_start: the cluster already runs"
	mkdir -p "$SLURM_DIR"/{log,run,state,spool} || fail "slurm_start: mkdir"
	SLURM_STARTED=1
	SLURM_CTLD_NS=
	case $nodes in
	1)
		# slurmctld binds to what the host name resolves to (with
		# NoCtldInAddrAny): the cluster lives on that address when it
		# is a loopback one (127.0.0.1, or Debian's 127.0.1.1), else on
		# 127.0.0.1 with slurmctld bound to every address.
		addr=$(getent ahostsv4 "$(hostname -s)" 2>/dev/null | awk 'NR == 1 {print $1}')
		case $addr in
		127.*) ports=$(slurm_free_ports 2 "$addr") ;;
		*) addr=127.0.0.1; ports=$(slurm_free_ports 2) ;;
		esac
		[ -n "$ports" ] || fail "slurm_start: no free ports"
		# shellcheck disable=SC2086
		set -- $ports
		slurm_write_conf "$addr" "$1" "$2" "n1=$addr"
		;;
	2)
		if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
			skip "two-node Slurm needs root and ip(8) for network namespaces"
		fi
		if ! slurm_netns_up; then
			skip "cannot make network namespaces here: $(head -c 300 "$SLURM_DIR/log/netns.err")"
		fi
		slurm_write_conf 10.213.0.1 6817 6818 n1=10.213.0.1 n2=10.213.0.2
		;;
	*) fail "slurm_start: NODES must be 1 or 2, not $nodes" ;;
	esac
	slurm_write_wrappers
	export SLURM_CONF=$SLURM_DIR/slurm.conf
	case :$PATH: in
	*":$SLURM_BIN:"*) ;;
	*) PATH=$SLURM_BIN:$PATH ;;
	esac
	export PATH

	dd if=/dev/urandom of="$SLURM_DIR/munge.key" bs=1024 count=1 status=none ||
		fail "slurm_start: munge key"
	chmod 400 "$SLURM_DIR/munge.key"
	SLURM_MUNGED_PID=$(slurm_bg "" munged "$SLURM_REAL_SBIN/munged" -F -f \
		--key-file="$SLURM_DIR/munge.key" -S "$SLURM_DIR/munge.sock" \
		--log-file="$SLURM_DIR/log/munge.log" --pid-file="$SLURM_DIR/run/munge.pid" \
		--seed-file="$SLURM_DIR/run/munge.seed")
	for ((i = 0; i < 500 * SLOW; i++)); do
		[ -S "$SLURM_DIR/munge.sock" ] && break
		kill -0 "$SLURM_MUNGED_PID" 2>/dev/null || slurm_fail "munged died at start-up"
		sleep 0.02
	done
	[ -S "$SLURM_DIR/munge.sock" ] || slurm_fail "munged: no socket within 10 s"

	slurm_ctld_start
	if [ "$nodes" = 1 ]; then
		SLURM_SLURMD_PIDS=$(slurm_bg "" slurmd-n1 "$SLURM_REAL_SBIN/slurmd" -D -f "$SLURM_CONF" -N n1)
	else
		# shellcheck disable=SC2086
		set -- $SLURM_NS
		SLURM_SLURMD_PIDS="$(slurm_bg "$1" slurmd-n1 "$SLURM_REAL_SBIN/slurmd" -D -f "$SLURM_CONF" -N n1)"
		SLURM_SLURMD_PIDS="$SLURM_SLURMD_PIDS $(slurm_bg "$2" slurmd-n2 "$SLURM_REAL_SBIN/slurmd" -D -f "$SLURM_CONF" -N n2)"
	fi
	slurm_wait_idle 30
	slurm_log "cluster up: nodes $SLURM_NODES ($SLURM_CPUS CPUs each), conf $SLURM_CONF"
}

# slurm_ctld_start: (re)starts slurmctld on the saved state and waits until
# it answers.
slurm_ctld_start() {
	local i
	SLURM_CTLD_PID=$(slurm_bg "$SLURM_CTLD_NS" slurmctld "$SLURM_REAL_SBIN/slurmctld" -D -i -f "$SLURM_DIR/slurm.conf")
	for ((i = 0; i < 600 * SLOW; i++)); do
		slurm_ctld_up && return 0
		kill -0 "$SLURM_CTLD_PID" 2>/dev/null || slurm_fail "slurmctld died at start-up"
		sleep 0.05
	done
	slurm_fail "slurmctld did not answer within $((30 * SLOW)) s"
}

# slurm_kill_wait SECS PID...: SIGTERM, a bounded wait, then SIGKILL.
slurm_kill_wait() {
	local secs=$1 i p alive
	shift
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < secs * 50; i++)); do
		alive=
		for p in "$@"; do
			if kill -0 "$p" 2>/dev/null && [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" != Z ]; then
				alive=1
			fi
		done
		[ -z "$alive" ] && break
		sleep 0.02
	done
	kill -KILL "$@" 2>/dev/null
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}

# slurm_ctld_stop: stops slurmctld (SIGTERM, bounded); the nodes and their
# jobs keep running.
slurm_ctld_stop() {
	[ -n "$SLURM_CTLD_PID" ] || fail "slurm_ctld_stop: slurmctld is not running"
	slurm_kill_wait 15 "$SLURM_CTLD_PID"
	SLURM_CTLD_PID=
}

# slurm_leftovers: pids of the processes of this cluster (marked, or with
# our slurm.conf in their environment) and of all their descendants.
slurm_leftovers() {
	[ -n "$SLURM_DIR" ] || return 0
	python3 - "$SLURM_DIR" "$$" <<'EOF'
import os, sys
d, me = sys.argv[1], int(sys.argv[2])
marks = [("JOBQ_SLURM_MARK=" + d).encode(), ("SLURM_CONF=" + d + "/slurm.conf").encode()]
kids, seeds = {}, set()
self_pid = os.getpid()
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    pid = int(p)
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            st = f.read()
        ppid = int(st[st.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(pid)
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = f.read().split(b"\0")
    except (OSError, ValueError):
        continue
    if any(e in env for e in marks):
        seeds.add(pid)
seen, todo = set(), list(seeds)
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    todo.extend(kids.get(p, []))
# Never the test itself, its shells, or this script.
seen -= {me, self_pid, os.getppid()}
x = me
while True:
    try:
        with open("/proc/%d/stat" % x, "rb") as f:
            st = f.read()
        x = int(st[st.rindex(b")") + 2:].split()[1])
    except (OSError, ValueError):
        break
    seen.discard(x)
    if x <= 1:
        break
print(" ".join(str(p) for p in sorted(seen)))
EOF
}

# slurm_stop: everything of this cluster gone; idempotent.
slurm_stop() {
	local ids i left ns
	[ -n "$SLURM_STARTED" ] || return 0
	SLURM_STARTED=
	if [ -n "$SLURM_CTLD_PID" ] && kill -0 "$SLURM_CTLD_PID" 2>/dev/null; then
		ids=$(timeout 10 "$SLURM_BIN/squeue" -h -o %A 2>/dev/null | tr '\n' ' ')
		if [ -n "${ids// /}" ]; then
			# shellcheck disable=SC2086
			timeout 10 "$SLURM_BIN/scancel" $ids 2>/dev/null
			for ((i = 0; i < 300; i++)); do
				[ -z "$(timeout 10 "$SLURM_BIN/squeue" -h -t PD,R,CG,S,CF -o %A 2>/dev/null)" ] && break
				sleep 0.05
			done
		fi
	fi
	# shellcheck disable=SC2086
	slurm_kill_wait 10 $SLURM_SLURMD_PIDS
	SLURM_SLURMD_PIDS=
	[ -n "$SLURM_CTLD_PID" ] && slurm_kill_wait 10 "$SLURM_CTLD_PID"
	SLURM_CTLD_PID=
	[ -n "$SLURM_MUNGED_PID" ] && slurm_kill_wait 10 "$SLURM_MUNGED_PID"
	SLURM_MUNGED_PID=
	# slurmstepd and jobs outlive slurmd: kill what is left, bounded.
	for ((i = 0; i < 100; i++)); do
		left=$(slurm_leftovers)
		[ -z "$left" ] && break
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null
		sleep 0.05
	done
	[ -z "$left" ] || printf '# slurm_stop: processes left: %s\n' "$left" >&2
	for ns in $SLURM_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	SLURM_NS=
	SLURM_CTLD_NS=
}

# The exit trap: jobqd first (it would submit more), then the cluster, then
# lib.sh's cleanup (which removes $T) with the test's exit status.
slurm_exit_trap() {
	local rc=$?
	if [ -n "${JOBQD_PID:-}" ] && kill -0 "$JOBQD_PID" 2>/dev/null; then
		kill -KILL "$JOBQD_PID" 2>/dev/null
		wait "$JOBQD_PID" 2>/dev/null
		JOBQD_PID=
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$SLURM_STARTED" ]; then
		slurm_show_logs
	fi
	slurm_stop
	(exit "$rc")
	cleanup
}
trap slurm_exit_trap EXIT

# --- helpers for the tests -------------------------------------------------

# slurm_squeue ARGS...: squeue of this cluster (bounded).
slurm_squeue() { timeout 20 "$SLURM_BIN/squeue" "$@"; }

# slurm_jobcomp: the job completion records (one line per ended job).
slurm_jobcomp() { cat "$SLURM_DIR/log/jobcomp.txt" 2>/dev/null; }

# --- jobqd with the Slurm executor -------------------------------------------

# slurm_jobqd_supported: this jobqd has the Slurm executor (issue 13).
# (the help read whole: grep -q quitting early could SIGPIPE jobqd under
# pipefail and make a jobqd that has it look as if it had not)
slurm_jobqd_supported() { local h; h=$("$JOBQD" --help 2>&1); [[ $h == *--slurm-poll* ]]; }

# slurm_start_jobqd [ARGS...]: start_daemon with the cluster's commands
# found in PATH (the wrappers) and SLURM_CONF in its environment, polling
# Slurm every SLURM_POLL_MS (200) and giving each command SLURM_TIMEOUT_MS
# (5000).  Fails (not skips) when jobqd has no Slurm executor.
slurm_start_jobqd() {
	slurm_jobqd_supported ||
		fail "this jobqd has no Slurm executor (no --slurm-poll in jobqd --help)"
	start_daemon --slurm-poll "${SLURM_POLL_MS:-200}ms" \
		--slurm-timeout "${SLURM_TIMEOUT_MS:-5000}ms" "$@"
}

# slurm_runs ID: "SLURMID NAME STATE NODE" of every Slurm job of jobq job
# ID (named jobq.INSTANCE.ID.ATTEMPT), as long as squeue remembers it
# (MinJobAge 300 s).
slurm_runs() {
	slurm_squeue -h -t all -o '%A %j %T %N' |
		awk -v id="$1" '{ n = split($2, p, "."); if (n == 4 && p[1] == "jobq" && p[3] == id) print }'
}

# slurm_nruns ID [STATES]: how many Slurm jobs jobq job ID has (in STATES,
# an ERE, e.g. 'PENDING|RUNNING').
slurm_nruns() {
	slurm_runs "$1" | awk -v re="^(${2:-.*})\$" '$3 ~ re' | wc -l | tr -d ' '
}

# slurm_jobq_active: how many jobq Slurm jobs are pending or running now.
slurm_jobq_active() {
	slurm_squeue -h -t PD,R,CG,CF -o '%j' | grep -c '^jobq\.' || true
}

# slurm_dup_names: the job names squeue shows more than once (a jobq run
# submitted twice).
slurm_dup_names() {
	slurm_squeue -h -t all -o '%j' | grep '^jobq\.' | sort | uniq -d
}
