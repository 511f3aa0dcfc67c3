#!/usr/bin/env bash
# slurm-cluster.sh - the private Slurm cluster of slurm-lib.sh works, with sbatch
# itself: in one-node mode a batch job runs and writes its output; in two-node
# mode (network namespaces) both nodes are idle and jobs, sbatch's and
# jobq's (a queue with --executor slurm), land on both
# (squeue's NodeList); slurmctld stops and restarts on its state; each time slurm_stop leaves no daemon, slurmstepd or
# job process of the cluster behind, while a cluster started by someone else
# (SLURM_CONF elsewhere) is never touched.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=slurm-lib.sh
. "$(dirname "${TESTLIB:-$0}")/slurm-lib.sh"

slurm_skip_if_absent

# Slurm and munge daemons of someone else's cluster, running before ours:
# they must still run at the end.
others=$(pgrep -x 'slurmctld|slurmd|munged' | tr '\n' ' ')

# sbatch_wait_done ID SECS: the job left squeue's active states (bounded).
job_active() { [ -n "$(slurm_squeue -h -j "$1" -t PD,R,CG,CF,S -o %A 2>/dev/null)" ]; }
job_done() { ! job_active "$1"; }

# pids of the daemons, recorded before slurm_stop forgets them.
cluster_pids() { echo "$SLURM_MUNGED_PID $SLURM_CTLD_PID $SLURM_SLURMD_PIDS"; }

assert_all_gone() { # PIDS... : none alive, no leftovers
	local p st
	for p in "$@"; do
		# one look: a process that ends between two looks is gone
		st=$(ps -o stat=,args= -p "$p" 2>/dev/null)
		if [ -n "$st" ] && [ "${st:0:1}" != Z ]; then
			fail "$what: process $p ($st) still runs after slurm_stop"
		fi
	done
	[ -z "$(slurm_leftovers)" ] || fail "$what: leftovers after slurm_stop: $(slurm_leftovers | xargs -r ps -o pid=,args= -p)"
}

# --- one node ---------------------------------------------------------------
what="one node"
slurm_start 1
log "one node: $(slurm_nodes_state | tr '\n' ' ')"
[ "$(command -v sbatch)" = "$SLURM_BIN/sbatch" ] || fail "sbatch is not the cluster's wrapper"

out=$T/o1
id=$(sbatch --parsable -o "$out" --wrap 'echo "hello from $SLURM_JOB_ID on $SLURMD_NODENAME"; exit 3') ||
	slurm_fail "sbatch failed"
[[ $id =~ ^[0-9]+$ ]] || fail "sbatch --parsable printed [$id]"
wait_for 30 "job $id to end" job_done "$id"
wait_for 10 "output of job $id" file_exists "$out"
assert_eq "$(cat "$out")" "hello from $id on n1" "job output"
st=$(slurm_squeue -h -j "$id" -t all -o '%T %N')
assert_eq "$st" "FAILED n1" "state of job $id (exit 3)"
grep -q "JobId=$id .*JobState=FAILED" "$SLURM_DIR/log/jobcomp.txt" || fail "no jobcomp record for $id"

# The controller stopped and restarted on its state: unreachable meanwhile,
# then it still knows the ended job, and the node is idle again.
slurm_ctld_stop
slurm_squeue -h >/dev/null 2>&1 && fail "squeue answered with slurmctld stopped"
slurm_ctld_start
assert_eq "$(slurm_squeue -h -j "$id" -t all -o '%T')" FAILED "job $id after slurmctld's restart"
slurm_wait_idle 30

# A long job running at stop time: slurm_stop must cancel it and leave no
# slurmstepd or job process behind.  The job is a $BIN/sleep, so
# marker_pids sees it too.
long=$(sbatch --parsable -o /dev/null --wrap "exec $BIN/sleep 600") || slurm_fail "sbatch long"
running() { [ "$(slurm_squeue -h -j "$long" -o %T)" = RUNNING ]; }
wait_for 30 "job $long to run" running
markers_seen 1 "the long Slurm job"
stepd=$(pgrep -x slurmstepd | while read -r p; do
	env=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null)
	grep -qx "JOBQ_SLURM_MARK=$SLURM_DIR" <<<"$env" && echo "$p"
done)
[ -n "$stepd" ] || fail "no slurmstepd of this cluster found while job $long runs (the leftover check could not work)"
[ -n "$(slurm_leftovers)" ] || fail "slurm_leftovers sees nothing while job $long runs"
pids=$(cluster_pids)
slurm_stop
# shellcheck disable=SC2086
assert_all_gone $pids $stepd
assert_no_markers 10 "after slurm_stop (one node)"
[ -z "$(ls "$SLURM_DIR"/munge.sock 2>/dev/null)" ] || log "munge socket file stays (harmless)"

# --- two nodes ---------------------------------------------------------------
what="two nodes"
if [ "$(id -u)" != 0 ] || ! ip netns add "jqsl-probe-$$" 2>/dev/null; then
	log "SKIP two-node mode: network namespaces unavailable (needs root)"
	# Someone else's cluster was left alone.
for p in $others; do
	kill -0 "$p" 2>/dev/null || fail "process $p of another cluster (not ours) is gone"
done
exit 0
fi
ip netns del "jqsl-probe-$$"
rm -rf "$SLURM_DIR"
SLURM_CPUS=1 slurm_start 2
st=$(slurm_nodes_state | tr '\n' ' ')
assert_eq "$st" "n1 idle n2 idle " "sinfo in two-node mode"
ns_a=${SLURM_NS%% *}
ns_b=${SLURM_NS##* }
# (outputs read whole first: under pipefail, grep -q quitting at its match
# can fail the pipeline with the writer's SIGPIPE)
out=$(ip netns list)
grep -q "^$ns_b" <<<"$out" || fail "namespace $ns_b not listed"
out=$(ip -n "$ns_b" -o addr show dev veth1)
grep -q -F 10.213.0.2 <<<"$out" || fail "n2's namespace has no 10.213.0.2"

# Four 1-CPU jobs on two 1-CPU nodes: two run at once, one on each node;
# all four end, on both nodes.
ids=
for i in 1 2 3 4; do
	ids="$ids $(sbatch --parsable -o "$T/two.$i" --wrap "echo \$SLURMD_NODENAME; $BIN/sleep 1")" ||
		slurm_fail "sbatch $i (two nodes)"
done
both_run() { [ "$(slurm_squeue -h -t R -o %N | sort -u | tr '\n' ' ')" = "n1 n2 " ]; }
wait_for 30 "a job running on each node" both_run
for id in $ids; do
	wait_for 30 "job $id to end (two nodes)" job_done "$id"
done
nodes=$(slurm_squeue -h -t all -o '%N' | sort -u | tr '\n' ' ')
assert_eq "$nodes" "n1 n2 " "NodeList of the ended jobs"
outs=$(cat "$T"/two.* | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
assert_eq "$outs" "n1=2 n2=2 " "SLURMD_NODENAME printed by the jobs"
slurm_squeue -h -t all -o '%T' | grep -vx COMPLETED && fail "a two-node job did not complete"

# The same through jobq's Slurm executor: four jobs of a slurm queue land
# on both nodes, each ends succeeded with its node's name as its output.
if slurm_jobqd_supported; then
	slurm_start_jobqd
	assert_rc 0 "queue set S --executor slurm (two nodes)" q queue set S --executor slurm
	jids=()
	for i in 1 2 3 4; do
		jids+=("$(submit --queue S -- "$BIN/sh" -c "echo \$SLURMD_NODENAME; $BIN/sleep 1")")
	done
	jouts=
	for j in "${jids[@]}"; do
		wait_for 60 "jobq job $j ended (two nodes)" state_is "$j" succeeded
		jouts="$jouts$(q logs "$j")
"
	done
	jouts=$(printf '%s' "$jouts" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
	log "two nodes through jobq: $jouts"
	assert_eq "$jouts" "n1=2 n2=2 " "nodes of jobq's four Slurm jobs (jobq logs)"
	stop_daemon
fi

long=$(sbatch --parsable -o /dev/null -w n2 --wrap "exec $BIN/sleep 600") || slurm_fail "sbatch long on n2"
running() { [ "$(slurm_squeue -h -j "$long" -o '%T %N')" = "RUNNING n2" ]; }
wait_for 30 "job $long to run on n2" running
markers_seen 1 "the long Slurm job on n2"
pids=$(cluster_pids)
slurm_stop
# shellcheck disable=SC2086
assert_all_gone $pids
assert_no_markers 10 "after slurm_stop (two nodes)"
for ns in $ns_a $ns_b; do
	out=$(ip netns list)
	grep -q "^$ns\b" <<<"$out" && fail "namespace $ns left after slurm_stop"
done
# Someone else's cluster was left alone.
for p in $others; do
	kill -0 "$p" 2>/dev/null || fail "process $p of another cluster (not ours) is gone"
done
exit 0
