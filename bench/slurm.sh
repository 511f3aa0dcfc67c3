#!/usr/bin/env bash
# slurm.sh BUILDDIR - what jobq's Slurm executor (issue 13) costs on top of
# Slurm itself: submit -> complete of trivial jobs through a jobq queue with
# `--executor slurm` against the same jobs sent with `sbatch` directly, on
# the same private one-node cluster (tests/integration/slurm-lib.sh: own
# munged, slurmctld, slurmd, ports, temp dir; BENCH_SLURM_CPUS, default 2),
# in the same run.  Not a test: nothing is asserted; `make bench-slurm`.
#
# Rows, each measured A (jobq), B (sbatch), A, B, ... for BENCH_ROUNDS
# rounds (default 3); the table gives medians (min-max) and the median of
# the per-round ratios jobq / sbatch (time: < 1 is jobq faster):
#   one    BENCH_SLURM_ONE (default 5) single trivial jobs one after the
#          other, each timed from before the submit to its completion:
#          A `jobq submit --queue S -- true` + `jobq wait ID`;
#          B `sbatch --parsable --wrap true` + squeue polled every 20 ms
#          until the job is COMPLETED.  The round's value is the median.
#   many   BENCH_SLURM_N (default 200) trivial jobs, first submit to last
#          completion: A one `jobq submit --batch` of N jobs + `jobq wait`
#          on them all; B N x sbatch from a shell loop, then squeue polled
#          every 20 ms until none is pending or running.
# jobqd runs with --slurm-poll BENCH_SLURM_POLL (default 1000, jobqd's
# default): the state of Slurm jobs is polled, so a job's completion is seen
# up to one interval late; the polling of B (20 ms) is a best case for sbatch.
set -u -o pipefail

B=$(cd "${1:?usage: slurm.sh BUILDDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
ONE=${BENCH_SLURM_ONE:-5}
N=${BENCH_SLURM_N:-200}
POLL=${BENCH_SLURM_POLL:-1000}
JOBQD=$B/daemon/jobqd
LIBDIR=$B/lib/.libs
[ -x "$JOBQD" ] || { echo "bench/slurm.sh: build first (make -C $B)" >&2; exit 1; }
# The real CLI executable, not libtool's wrapper script (see bench.sh).
if head -c 4 "$B/client/jobq" | grep -q ELF; then
	JOBQ_BIN=$B/client/jobq
elif [ -x "$B/client/.libs/jobq" ]; then
	JOBQ_BIN=$B/client/.libs/jobq
else
	JOBQ_BIN=$B/client/.libs/lt-jobq
fi

# What slurm-lib.sh expects from lib.sh, the bench's way.
T=$(mktemp -d "${TMPDIR:-/tmp}/jobq-bench-slurm.XXXXXX") || exit 1
SLOW=1 # slurm-lib.sh scales its waits by it
export SLOW
JOBQD_PID=
log() { printf '# %s\n' "$*" >&2; }
fail() { printf 'bench/slurm.sh: %s\n' "$*" >&2; exit 1; }
skip() { printf 'bench/slurm.sh: skipped: %s\n' "$*" >&2; exit 0; }
cleanup() {
	local rc=$?
	trap - EXIT
	[ -n "$JOBQD_PID" ] && kill "$JOBQD_PID" 2>/dev/null && wait "$JOBQD_PID" 2>/dev/null
	rm -rf "$T"
	exit "$rc"
}
# shellcheck source=../tests/integration/slurm-lib.sh
. "$SRC/tests/integration/slurm-lib.sh"
trap 'exit 130' INT
trap 'exit 143' TERM

if ! (slurm_skip_if_absent) 2>/dev/null; then
	echo "bench/slurm.sh: Slurm is not installed (apt-get install slurm-wlm slurmctld slurmd slurm-client munge): n/a"
	exit 0
fi
slurm_jobqd_supported || { echo "bench/slurm.sh: this jobqd has no Slurm executor: n/a"; exit 0; }

SLURM_CPUS=${BENCH_SLURM_CPUS:-2} slurm_start 1 2>"$T/slurm-start.log" ||
	{ cat "$T/slurm-start.log" >&2; exit 1; }

SOCK=$T/sock
jq() { LD_LIBRARY_PATH=$LIBDIR "$JOBQ_BIN" -s "$SOCK" "$@"; }
"$JOBQD" --socket "$SOCK" --state-dir "$T/state" --workers 2 --log-level warn \
	--slurm-poll "${POLL}ms" 2>>"$T/jobqd.log" </dev/null &
JOBQD_PID=$!
for _ in $(seq 1 1000); do
	jq ping >/dev/null 2>&1 && break
	kill -0 "$JOBQD_PID" 2>/dev/null || { cat "$T/jobqd.log" >&2; fail "jobqd did not start"; }
	sleep 0.01
done
jq queue set S --executor slurm >/dev/null || fail "queue set S --executor slurm"

now_ns() { date +%s%N; }
# med V...: the median; spread V...: "median (min-max)" (FMT, default %.0f)
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
spread() { printf '%s\n' "$@" | sort -g | awk -v f="${FMT:-%.0f}" '{a[NR] = $1} END {m = (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2); printf f " (" f "-" f ")", m, a[1], a[NR]}'; }

# sbatch_done IDS...: polls squeue every 20 ms until none of IDS is active.
sbatch_done() {
	local ids
	ids=$(IFS=,; echo "$*")
	while [ -n "$(squeue -h -j "$ids" -t PD,R,CG,CF -o %A 2>/dev/null)" ]; do
		sleep 0.02
	done
}

# one_jobq / one_sbatch: ms from submit to completion of one trivial job.
one_jobq() {
	local t0 id
	t0=$(now_ns)
	id=$(jq submit --queue S -- true) || fail "jobq submit"
	jq wait "$id" >/dev/null || fail "job $id did not succeed"
	echo $((($(now_ns) - t0) / 1000000))
}
one_sbatch() {
	local t0 id
	t0=$(now_ns)
	id=$(sbatch --parsable -o /dev/null --wrap true) || fail "sbatch"
	sbatch_done "$id"
	echo $((($(now_ns) - t0) / 1000000))
}
# many_jobq / many_sbatch: ms from the first submit to the last completion.
many_jobq() {
	local t0 ids i
	for ((i = 0; i < N; i++)); do echo '{"argv":["true"],"queue":"S"}'; done >"$T/batch"
	t0=$(now_ns)
	ids=$(jq submit --batch "$T/batch") || fail "jobq submit --batch"
	# shellcheck disable=SC2086
	jq wait $ids >/dev/null || fail "jobq wait on $N jobs"
	echo $((($(now_ns) - t0) / 1000000))
}
many_sbatch() {
	local t0 ids=() i
	t0=$(now_ns)
	for ((i = 0; i < N; i++)); do
		ids+=("$(sbatch --parsable -o /dev/null --wrap true)") || fail "sbatch $i"
	done
	sbatch_done "${ids[@]}"
	echo $((($(now_ns) - t0) / 1000000))
}

r_one=() a_one=() b_one=() r_many=() a_many=() b_many=()
for ((r = 1; r <= ROUNDS; r++)); do
	va=() vb=()
	for ((k = 0; k < ONE; k++)); do
		va+=("$(one_jobq)")
		vb+=("$(one_sbatch)")
	done
	a=$(med "${va[@]}")
	b=$(med "${vb[@]}")
	a_one+=("$a") b_one+=("$b")
	r_one+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')")
	a=$(many_jobq)
	b=$(many_sbatch)
	a_many+=("$a") b_many+=("$b")
	r_many+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')")
	log "round $r: one job ${a_one[-1]} / ${b_one[-1]} ms, $N jobs $a / $b ms (jobq / sbatch)"
done

echo "Slurm executor, jobq --slurm-poll ${POLL} ms vs sbatch + squeue every 20 ms, one node (${BENCH_SLURM_CPUS:-2} CPUs),"
echo "$ROUNDS interleaved rounds; time ratio jobq / sbatch (< 1: jobq faster); median (min-max)"
printf '%-34s %-22s %-22s %s\n' "row" "jobq (ms)" "sbatch (ms)" "ratio"
printf '%-34s %-22s %-22s %s\n' "one trivial job, submit->complete" \
	"$(spread "${a_one[@]}")" "$(spread "${b_one[@]}")" "$(FMT=%.2f spread "${r_one[@]}")x"
printf '%-34s %-22s %-22s %s\n' "$N trivial jobs, first->last" \
	"$(spread "${a_many[@]}")" "$(spread "${b_many[@]}")" "$(FMT=%.2f spread "${r_many[@]}")x"
