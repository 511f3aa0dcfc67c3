#!/usr/bin/env bash
# bench.sh BUILDDIR - every row of issue 10's table, each as a ratio against
# its reference measured in the same run.
#
# Method common to every row: the jobq figure and its reference(s) are
# measured interleaved (A, B, A, B, ... for BENCH_ROUNDS rounds, default 3),
# a ratio is taken within each round, and the table gives the median ratio
# with its spread (min-max over the rounds).  Rates are per second.  Each
# section starts its own jobqd (--workers 2, --sync $BENCH_SYNC, default
# full) on a fresh state dir under a private temporary directory, with its
# own socket.  A reference tool that is missing and cannot be installed
# (task-spooler, beanstalkd, valgrind, python3) gives "n/a" in its row; it
# never fails the run.  Not part of `make check`: timings are never asserted.
#
# Rows (see each section below for its exact method):
#   drain      N (BENCH_N, default 2000) /bin/true pre-queued in a paused
#              queue, 2 workers, resumed: first start to last finish.
#              Reference: posix_spawn loop at concurrency 2 (spawnloop.c);
#              also task-spooler (tsp -S 2) and xargs -P2.
#   cli        BENCH_CLI_N (400) x `jobq submit -- true` from a shell loop,
#              then `jobq wait` on them all.  Reference: shell floor
#              x=$(/bin/true) x400; also `tsp true` x400 then tsp -w.
#   submits    acknowledged durable submits from 1 / 8 / 64 clients
#              (submitters.c; BENCH_SUBMIT_N per measurement, default 2000)
#              into a paused queue.  Reference: beanstalkd -f0 (fsync every
#              write) on a private port and binlog dir, puts from 1 / 8 / 64
#              connections (beanput.c).
#   batch      only if `jobq submit --batch` exists: 10,000 different jobs
#              in one request.  Reference: raw SQLite insert of 10,000 rows
#              in one transaction, synchronous=FULL (rawinsert.c).
#   latency    submit -> job start on an idle daemon, p50 / p99
#              (latency.c, stamp.c).  References in the same loop:
#              posix_spawn -> program start, one fdatasync after idle.
#   cpu        jobqd's instructions per job lifecycle (submit + run),
#              callgrind over the daemon and its workers, minus an idle run,
#              the job itself excluded; and the submit alone.
#   big        BENCH_BIG=1: bench/backlog.sh with 1,000 and 1,000,000
#              queued: dispatch rate, RSS, stats / queue list / list
#              --limit 20 times, start-up (recovery) time.
# Environment: BENCH_ROUNDS, BENCH_N, BENCH_CLI_N, BENCH_SUBMIT_N,
# BENCH_LAT_N (300), BENCH_CG_N (200), BENCH_SYNC, BENCH_BIG=1,
# BENCH_ONLY="drain cli submits batch latency cpu" (a subset),
# BENCH_NO_INSTALL=1 (never apt-get a missing reference).
set -u -o pipefail

B=$(cd "${1:?usage: bench.sh BUILDDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
N=${BENCH_N:-2000}
CLI_N=${BENCH_CLI_N:-400}
SUB_N=${BENCH_SUBMIT_N:-2000}
LAT_N=${BENCH_LAT_N:-300}
CG_N=${BENCH_CG_N:-200}
SYNC=${BENCH_SYNC:-full}
ONLY=${BENCH_ONLY:-drain cli submits batch latency cpu}
JOBQD=$B/daemon/jobqd
LIBDIR=$B/lib/.libs
[ -x "$JOBQD" ] && [ -e "$LIBDIR/libjobq.so" ] || { echo "bench: build first (make -C $B)" >&2; exit 1; }

# The CLI as a user runs it: the real executable, not libtool's wrapper
# script (a bash script that would dominate the CLI loop).  A libtool build
# keeps it in client/.libs and needs the uninstalled libjobq on
# LD_LIBRARY_PATH.
if head -c 4 "$B/client/jobq" | grep -q ELF; then
	JOBQ_BIN=$B/client/jobq
elif [ -x "$B/client/.libs/jobq" ]; then
	JOBQ_BIN=$B/client/.libs/jobq
elif [ -x "$B/client/.libs/lt-jobq" ]; then
	JOBQ_BIN=$B/client/.libs/lt-jobq
else
	JOBQ_BIN=$B/client/jobq
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/jobq-bench.XXXXXX")
PID=
SOCK=
BPID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	if [ -e "$T/ts.sock" ] && command -v tsp >/dev/null; then
		# an interrupted drain round leaves its gate jobs waiting
		[ -p "$T/gate" ] && timeout 2 bash -c ": >'$T/gate'" 2>/dev/null
		TS_SOCKET=$T/ts.sock tsp -K >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }
only() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
now() { echo "$EPOCHREALTIME"; }
# jq ARGS: the CLI against the current section's daemon
jq() { LD_LIBRARY_PATH=$LIBDIR "$JOBQ_BIN" -s "$SOCK" "$@"; }

# want CMD PACKAGE: CMD is on PATH, else try apt-get install PACKAGE once
want() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${BENCH_NO_INSTALL:-0}" = 1 ] && return 1
	command -v apt-get >/dev/null 2>&1 || return 1
	[ "$(id -u)" = 0 ] || return 1
	log "installing $2 for a reference"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >>"$T/apt.log" 2>&1 ||
		{ apt-get update >>"$T/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >>"$T/apt.log" 2>&1; }
	command -v "$1" >/dev/null 2>&1
}

# --- numbers: awk does the arithmetic; "" means "not measured" ---
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print ""; else printf "%.4g", a / b }'; }
# med V...: the median ("" if none)
med() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END {
	if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# spread V...: "median (min-max)", or the median alone with one value, ""
# with none; SUF (default "") after each number.  Numbers >= 100 print
# without decimals, smaller ones with 3 significant digits (ratios: 2
# decimals, RATIO=1).
spread() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk -v suf="${SUF:-}" -v ratio="${RATIO:-0}" '
	function f(x) { if (ratio) return sprintf("%.2f", x) suf; if (x >= 100 || x <= -100) return sprintf("%.0f", x) suf; return sprintf("%.3g", x) suf }
	{ v[NR] = $1 } END {
	if (NR == 0) exit
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	if (NR == 1) print f(m); else print f(m) " (" f(v[1]) "-" f(v[NR]) ")" }'; }
# xr V...: a ratio's spread, "n/a" if nothing was measured
xr() { local s; s=$(SUF=x RATIO=1 spread "$@"); echo "${s:-n/a}"; }
# rate COUNT SECONDS
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s == "" || s + 0 <= 0) print ""; else printf "%.0f", n / s }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

TABLE=$T/table
: >"$TABLE"
# row MEASURE JOBQ REFERENCE RATIO GOAL
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"; }

CC=${CC:-cc}
mkdir -p "$T/bin"
CFLAGS_B="-O2 -I$SRC/lib -I$B/lib"
LDJOBQ="-L$LIBDIR -Wl,-rpath,$LIBDIR -ljobq"
$CC -O2 -o "$T/bin/spawnloop" "$SRC/bench/spawnloop.c" || exit 1
$CC $CFLAGS_B -pthread -o "$T/bin/submitters" "$SRC/bench/submitters.c" $LDJOBQ || exit 1
$CC -O2 -o "$T/bin/stamp" "$SRC/bench/stamp.c" || exit 1
$CC $CFLAGS_B -o "$T/bin/latency" "$SRC/bench/latency.c" $LDJOBQ || exit 1
$CC -O2 -pthread -o "$T/bin/beanput" "$SRC/bench/beanput.c" || exit 1
HAVE_RAWINSERT=0
$CC -O2 -o "$T/bin/rawinsert" "$SRC/bench/rawinsert.c" -lsqlite3 2>>"$T/cc.log" && HAVE_RAWINSERT=1

# start_jobqd NAME [ARGS...]: a jobqd on $T/NAME (state) and $T/NAME.sock,
# ready when `jobq ping` answers.
start_jobqd() {
	local name=$1
	shift
	SOCK=$T/$name.sock
	"$JOBQD" --socket "$SOCK" --state-dir "$T/$name" --workers 2 --sync "$SYNC" \
		--log-level warn "$@" 2>>"$T/jobqd.log" &
	PID=$!
	for _ in $(seq 1 3000); do
		jq ping >/dev/null 2>&1 && break
		kill -0 "$PID" 2>/dev/null || { log "jobqd did not start:"; cat "$T/jobqd.log" >&2; PID=; return 1; }
		sleep 0.01
	done
}
stop_jobqd() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}

HAVE_TSP=0
want tsp task-spooler && HAVE_TSP=1
HAVE_PY=0
command -v python3 >/dev/null 2>&1 && HAVE_PY=1
# tsp against a private server: its own socket, its outputs in $T/tsout
tsp_() { TS_SOCKET=$T/ts.sock TMPDIR=$T/tsout tsp "$@"; }
if [ "$HAVE_TSP" = 1 ]; then
	mkdir -p "$T/tsout"
	tsp_ -S 2 >/dev/null 2>&1 || HAVE_TSP=0
fi

echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), --sync $SYNC, $ROUNDS rounds interleaved; $(date -u '+%Y-%m-%d %H:%M UTC')"

# ------------------------------------------------------------------ drain
# Each round, in this order:
#   spawn  spawnloop N 2: posix_spawn /bin/true, at most 2 at a time, first
#          spawn to last reap.
#   jobq   N /bin/true submitted (8 clients) to a queue paused beforehand,
#          so none starts; then `jobq queue resume`; time = the jobs' own
#          records, max(finished_at) - min(started_at) (ms resolution), read
#          after `jobq wait` on all of them.
#   tsp    task-spooler with 2 slots: two gate jobs (`cat FIFO`) hold both
#          slots while min(N, 900) /bin/true are queued (each queued tsp
#          job is a client process connected to the server, which takes
#          about 1000 connections at most); the clock starts when the gate
#          opens and stops when `tsp -w` returns for the last two jobs; its
#          rate is per job, so it compares with N of the others.  tsp
#          captures each job's output in a file, as jobq does.
#   xargs  seq N | xargs -P2 -n1 /bin/true.
drain_section() {
	local r q t0 t1 s_sp s_jq s_ts s_xa last nts
	local -a r_jq=() r_ts=() r_xa=() v_jq=() v_sp=()
	start_jobqd drain || { row "drain: $N /bin/true pre-queued, 2 workers" "n/a" "n/a" "n/a" ">= 0.85x"; return; }
	for r in $(seq 1 "$ROUNDS"); do
		s_sp=$("$T/bin/spawnloop" "$N" 2 | awk '{ print $(NF-2) }')
		q=drain$r
		jq queue pause "$q" >/dev/null
		"$T/bin/submitters" "$SOCK" 8 "$N" --no-wait --queue "$q" --ids "$T/ids" >/dev/null || return
		jq queue resume "$q" >/dev/null
		# shellcheck disable=SC2046 # one argument per id
		jq wait $(cat "$T/ids") >/dev/null
		s_jq=
		if [ "$HAVE_PY" = 1 ]; then
			s_jq=$(jq list --queue "$q" --limit 0 --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
print((max(x["finished_at"] for x in j) - min(x["started_at"] for x in j)) / 1000)')
		fi
		s_ts=
		if [ "$HAVE_TSP" = 1 ]; then
			rm -f "$T/gate"
			mkfifo "$T/gate"
			tsp_ cat "$T/gate" >/dev/null
			tsp_ cat "$T/gate" >/dev/null
			nts=$((N < 900 ? N : 900))
			for _ in $(seq 1 "$nts"); do tsp_ /bin/true; done >"$T/tids"
			last=$(tail -n 1 "$T/tids")
			t0=$(now)
			: >"$T/gate"
			tsp_ -w "$last" >/dev/null 2>&1
			tsp_ -w "$((last - 1))" >/dev/null 2>&1
			t1=$(now)
			# the time N jobs would take at this rate
			s_ts=$(awk -v s="$(secs "$t0" "$t1")" -v n="$N" -v m="$nts" 'BEGIN { printf "%.6f", s * n / m }')
			tsp_ -C >/dev/null 2>&1
			rm -f "$T"/tsout/ts-out.*
		fi
		t0=$(now)
		seq 1 "$N" | xargs -P2 -n1 /bin/true
		s_xa=$(secs "$t0" "$(now)")
		v_sp+=("$(rate "$N" "$s_sp")")
		v_jq+=("$(rate "$N" "$s_jq")")
		r_jq+=("$(div "$s_sp" "$s_jq")")
		r_ts+=("$(div "$s_sp" "$s_ts")")
		r_xa+=("$(div "$s_sp" "$s_xa")")
		log "drain round $r: spawn ${s_sp}s jobq ${s_jq:-?}s tsp ${s_ts:-n/a}s xargs ${s_xa}s"
	done
	stop_jobqd
	row "drain: $N /bin/true pre-queued, 2 workers, / posix_spawn conc. 2" \
		"$(spread "${v_jq[@]}")/s" "spawn $(spread "${v_sp[@]}")/s" "$(xr "${r_jq[@]}")" ">= 0.85x"
	row "  drain references / posix_spawn conc. 2" "" \
		"tsp -S 2 (min(N, 900) queued): $(xr "${r_ts[@]}"); xargs -P2: $(xr "${r_xa[@]}")" "" "(issue: tsp 0.33x, xargs 0.54x)"
}

# ------------------------------------------------------------------ cli
# Each round, in this order, M = BENCH_CLI_N:
#   floor  for i in 1..M: x=$(/bin/true)   (a fork + exec per iteration)
#   jobq   for i in 1..M: jobq submit -- true >>ids; then jobq wait $(ids);
#          wall time of the loop and the wait together
#   tsp    for i in 1..M: tsp true >>ids; then tsp -w on the last two
# Rates are M / wall time; the ratios are jobq's rate over the floor's and
# over tsp's.  One submit's wall time = the jobq loop's time / M (the
# wait's tail included: an upper bound).
cli_section() {
	local r t0 s_fl s_jq s_ts last x
	local -a r_fl=() r_ts=() r_tsfl=() ms=()
	start_jobqd cli || { row "CLI loop" "n/a" "n/a" "n/a" ">= 0.8x floor"; return; }
	for r in $(seq 1 "$ROUNDS"); do
		t0=$(now)
		# shellcheck disable=SC2034 # x: the floor's command substitution
		for _ in $(seq 1 "$CLI_N"); do x=$(/bin/true); done
		s_fl=$(secs "$t0" "$(now)")
		t0=$(now)
		for _ in $(seq 1 "$CLI_N"); do jq submit -- true; done >"$T/cids"
		# shellcheck disable=SC2046 # one argument per id
		jq wait $(cat "$T/cids") >/dev/null
		s_jq=$(secs "$t0" "$(now)")
		s_ts=
		if [ "$HAVE_TSP" = 1 ]; then
			t0=$(now)
			for _ in $(seq 1 "$CLI_N"); do tsp_ true; done >"$T/tids"
			last=$(tail -n 1 "$T/tids")
			tsp_ -w "$last" >/dev/null 2>&1
			tsp_ -w "$((last - 1))" >/dev/null 2>&1
			s_ts=$(secs "$t0" "$(now)")
			tsp_ -C >/dev/null 2>&1
			rm -f "$T"/tsout/ts-out.*
		fi
		r_fl+=("$(div "$s_fl" "$s_jq")")
		r_ts+=("$(div "$s_ts" "$s_jq")")
		r_tsfl+=("$(div "$s_fl" "$s_ts")")
		ms+=("$(awk -v s="$s_jq" -v n="$CLI_N" 'BEGIN { printf "%.3f", 1000 * s / n }')")
		log "cli round $r: floor ${s_fl}s jobq ${s_jq}s tsp ${s_ts:-n/a}s"
	done
	stop_jobqd
	row "CLI loop: $CLI_N x jobq submit, then wait, / shell floor x=\$(/bin/true)" \
		"$(spread "${ms[@]}") ms/submit" "shell floor" "$(xr "${r_fl[@]}")" ">= 0.8x floor; <= 1.0 ms/submit"
	row "  CLI loop / tsp true x$CLI_N" "" "tsp (floor / tsp: $(xr "${r_tsfl[@]}"))" "$(xr "${r_ts[@]}")" "(>= 1.5x tsp)"
}

# ------------------------------------------------------------------ submits
# beanstalkd -f0 (an fsync after every write: its durable setting) runs on a
# private port with a private binlog dir.  Each round, for K in 1 8 64:
#   jobq   submitters SOCK K BENCH_SUBMIT_N --no-wait into a paused queue
#          (nothing runs meanwhile): acknowledged submits/s, first submit
#          to last acknowledgement
#   bean   beanput PORT K BENCH_SUBMIT_N: acknowledged puts/s, same clock
submits_section() {
	local r k port out js bs have_b=0
	local -A rr=() jr=() br=()
	if want beanstalkd beanstalkd; then
		mkdir -p "$T/binlog"
		port=$((20000 + $$ % 20000))
		beanstalkd -l 127.0.0.1 -p "$port" -b "$T/binlog" -f0 2>>"$T/beanstalkd.log" &
		BPID=$!
		for _ in $(seq 1 200); do
			"$T/bin/beanput" "$port" 1 1 >/dev/null 2>&1 && { have_b=1; break; }
			kill -0 "$BPID" 2>/dev/null || break
			sleep 0.02
		done
	fi
	start_jobqd submits || { row "durable submits" "n/a" "n/a" "n/a" ">= 1.0x / 5x / 10x"; return; }
	jq queue pause sub >/dev/null
	for r in $(seq 1 "$ROUNDS"); do
		for k in 1 8 64; do
			out=$("$T/bin/submitters" "$SOCK" "$k" "$SUB_N" --no-wait --queue sub)
			js=$(awk '{ print $NF }' <<<"$out")
			bs=
			if [ "$have_b" = 1 ]; then
				bs=$("$T/bin/beanput" "$port" "$k" "$SUB_N" | awk '{ print $NF }')
			fi
			jr[$k]+=" $js"
			br[$k]+=" $bs"
			rr[$k]+=" $(div "$js" "$bs")"
			log "submits round $r, $k clients: jobq $js/s beanstalkd ${bs:-n/a}/s"
		done
	done
	stop_jobqd
	if [ -n "$BPID" ]; then
		kill "$BPID" 2>/dev/null
		wait "$BPID" 2>/dev/null
		BPID=
	fi
	for k in 1 8 64; do
		local goal
		case $k in 1) goal=">= 1.0x" ;; 8) goal=">= 5x" ;; 64) goal=">= 10x" ;; esac
		# shellcheck disable=SC2086
		row "durable submits, $k client(s), / beanstalkd -f0" "$(spread ${jr[$k]})/s" \
			"$( [ "$have_b" = 1 ] && echo "$(spread ${br[$k]})/s" || echo "n/a (no beanstalkd)")" \
			"$(xr ${rr[$k]})" "$goal"
	done
}

# ------------------------------------------------------------------ batch
# Only when this build's `jobq submit --help` mentions --batch.  Input: 10,000
# different jobs, one JSON object a line ({"argv": ["/bin/echo", "I"]}; the
# format jobq(1) documents for --batch; BENCH_BATCH_FILE overrides it with a
# ready-made file).  Each round:
#   raw    rawinsert: a new SQLite file, WAL, synchronous=FULL, 10,000 rows
#          in one transaction, BEGIN to COMMIT's return
#   jobq   jobq submit --batch FILE to a daemon whose default queue is
#          paused, the whole command's wall time (process start, reading
#          the file, the request, its commit, the reply)
batch_section() {
	local r t0 s_jq s_raw bf
	local -a rs=() js=() raws=()
	if ! LD_LIBRARY_PATH=$LIBDIR "$JOBQ_BIN" submit --help 2>&1 | grep -- --batch >/dev/null; then
		row "batch submit: 10,000 different jobs, one request" "n/a (no --batch in this build)" \
			"raw SQLite FULL, 10,000 rows, 1 txn" "n/a" ">= 0.5x"
		return
	fi
	bf=${BENCH_BATCH_FILE:-$T/batch.jsonl}
	if [ -z "${BENCH_BATCH_FILE:-}" ]; then
		seq 1 10000 | awk '{ printf "{\"argv\": [\"/bin/echo\", \"%d\"]}\n", $1 }' >"$bf"
	fi
	start_jobqd batch || return
	jq queue pause default >/dev/null
	for r in $(seq 1 "$ROUNDS"); do
		s_raw=
		if [ "$HAVE_RAWINSERT" = 1 ]; then
			rm -f "$T"/raw.db*
			s_raw=$("$T/bin/rawinsert" "$T/raw.db" 10000 | awk '{ print $3 }')
		fi
		t0=$(now)
		if jq submit --batch "$bf" >/dev/null 2>>"$T/batch.log"; then
			s_jq=$(secs "$t0" "$(now)")
		else
			s_jq=
			log "batch round $r: jobq submit --batch failed (see below)"
			tail -n 3 "$T/batch.log" >&2
		fi
		js+=("$(rate 10000 "$s_jq")")
		raws+=("$(rate 10000 "$s_raw")")
		rs+=("$(div "$s_raw" "$s_jq")")
		log "batch round $r: jobq ${s_jq:-failed}s raw ${s_raw:-n/a}s"
	done
	stop_jobqd
	row "batch submit: 10,000 different jobs, one request, / raw SQLite insert" \
		"$(spread "${js[@]}") jobs/s" "raw FULL 1 txn $(spread "${raws[@]}") rows/s" "$(xr "${rs[@]}")" ">= 0.5x"
}

# ------------------------------------------------------------------ latency
# latency.c (its header has the method): BENCH_LAT_N rounds of, each after
# 10 ms idle, submit -> the job's first instruction (a stamp through a FIFO)
# on an idle daemon; posix_spawn -> the same program's first instruction;
# one fdatasync of a 512-byte write in the state dir's file system.  All
# three interleaved in one loop, one process.
latency_section() {
	local out jp50 jp99 sp50 sp99 fp50 lim50 lim99
	start_jobqd latency || { row "submit -> start" "n/a" "n/a" "n/a" ""; return; }
	out=$("$T/bin/latency" "$SOCK" "$T/bin/stamp" "$T" "$LAT_N") || { stop_jobqd; row "submit -> start" "n/a (latency failed)" "" "" ""; return; }
	stop_jobqd
	read -r _ _ jp50 jp99 _ <<<"$(grep '^jobq ' <<<"$out")"
	read -r _ _ sp50 sp99 _ <<<"$(grep '^spawn ' <<<"$out")"
	read -r _ _ fp50 _ _ <<<"$(grep '^fdatasync ' <<<"$out")"
	lim50=$(awk -v a="$sp50" -v b="$fp50" 'BEGIN { printf "%.2f", a + b + 0.3 }')
	lim99=$(awk -v a="$sp99" -v b="$fp50" 'BEGIN { printf "%.2f", a + b + 1 }')
	row "submit -> job start, idle daemon, p50 / p99 ($LAT_N)" "$jp50 / $jp99 ms" \
		"spawn $sp50 / $sp99 ms; fdatasync p50 $fp50 ms" \
		"$(awk -v a="$jp50" -v b="$lim50" 'BEGIN { printf "%.2fx", a / b }') / $(awk -v a="$jp99" -v b="$lim99" 'BEGIN { printf "%.2fx", a / b }') of goal" \
		"p50 <= $lim50 ms, p99 <= $lim99 ms (<= 1.00x)"
}

# ------------------------------------------------------------------ cpu
# Instructions (callgrind's Ir) executed by jobqd and its worker processes
# (--trace-children=yes; the jobs, /bin/true, are not traced:
# --trace-children-skip), summed over every process's callgrind output.
# Three runs, each a fresh state dir, daemon started under callgrind, ready
# when `jobq ping` answers, then SIGTERM:
#   full   BENCH_CG_N jobs submitted by one client, then waited for
#   submit the same submits into a paused queue (nothing runs)
#   idle   no jobs: the daemon is left idle as long as the full run lasted
# per job = (full - idle) / N; submit = (submit - idle) / N (an
# over-subtraction of the idle timers, which are small); claim to finish =
# the difference.  Start-up and shutdown cancel out against the idle run.
cg_run() { # NAME MODE(full|submit|idle) [IDLE_SECS]: CG_IR = the Ir sum, CG_SECS = workload time
	local name=$1 mode=$2 t0
	CG_IR=
	mkdir -p "$T/cg-$name"
	SOCK=$T/cg-$name.sock
	valgrind --tool=callgrind --trace-children=yes \
		--trace-children-skip='/bin/true,/usr/bin/true' \
		--callgrind-out-file="$T/cg-$name/cg.%p" \
		"$JOBQD" --socket "$SOCK" --state-dir "$T/cg-$name/state" --workers 2 \
		--sync "$SYNC" --log-level warn 2>>"$T/valgrind.log" &
	PID=$!
	for _ in $(seq 1 3000); do
		jq ping >/dev/null 2>&1 && break
		kill -0 "$PID" 2>/dev/null || { PID=; return 1; }
		sleep 0.02
	done
	t0=$(now)
	case $mode in
	full) "$T/bin/submitters" "$SOCK" 1 "$CG_N" >/dev/null || return 1 ;;
	submit) jq queue pause cg >/dev/null
		"$T/bin/submitters" "$SOCK" 1 "$CG_N" --no-wait --queue cg >/dev/null || return 1 ;;
	idle) sleep "$3" ;;
	esac
	CG_SECS=$(secs "$t0" "$(now)")
	stop_jobqd
	CG_IR=$(cat "$T/cg-$name"/cg.* | awk '/^summary:/ { s += $2 } END { printf "%.0f", s }')
}
cpu_section() {
	local full sub idle fs tot subj run
	if ! want valgrind valgrind; then
		row "CPU per job lifecycle in jobqd" "n/a (no valgrind)" "~422k instr (issue)" "" ""
		return
	fi
	cg_run full full && full=$CG_IR && fs=$CG_SECS &&
		cg_run submit submit && sub=$CG_IR &&
		cg_run idle idle "$fs" && idle=$CG_IR ||
		{ stop_jobqd; row "CPU per job lifecycle in jobqd" "n/a (callgrind run failed)" "" "" ""; return; }
	tot=$(awk -v a="$full" -v i="$idle" -v n="$CG_N" 'BEGIN { printf "%.0f", (a - i) / n / 1000 }')
	subj=$(awk -v a="$sub" -v i="$idle" -v n="$CG_N" 'BEGIN { printf "%.0f", (a - i) / n / 1000 }')
	run=$((tot - subj))
	log "callgrind: full $full, submit-only $sub, idle $idle instructions; $CG_N jobs"
	row "CPU per job lifecycle in jobqd (callgrind, $CG_N jobs)" \
		"${tot}k instr (submit ${subj}k, claim-finish ${run}k)" "issue: ~422k (137k + 285k)" \
		"$(awk -v a="$tot" 'BEGIN { printf "%.2fx", a / 422 }') of 422k" "lower"
}

# ------------------------------------------------------------------ big
# BENCH_BIG=1: backlog.sh (its header has the method) with 1,000 and
# 1,000,000 queued; its "BIG" lines are read back here.
big_section() {
	local out l1 l2
	local s1 st1 d1 q1 s2 st2 e2 r2 d2 q2 li2 t0
	t0=$(now)
	out=$(BACKLOG_SIZES="1000 1000000" BENCH_SYNC=$SYNC bash "$SRC/bench/backlog.sh" "$B" 2>&1) ||
		{ printf '%s\n' "$out" >&2; row "BIG (backlog.sh)" "n/a (backlog.sh failed)" "" "" ""; return; }
	grep -v '^BIG ' <<<"$out" >&2
	log "BENCH_BIG took $(awk -v s="$(secs "$t0" "$(now)")" 'BEGIN { printf "%.0f", s }') s"
	l1=$(grep '^BIG 1000 ' <<<"$out")
	l2=$(grep '^BIG 1000000 ' <<<"$out")
	# BIG SIZE START_S RSS_EMPTY_KB RSS0_KB COMPLETED_PER_S STATS_MS QLIST_MS
	#     LIST20_MS CLI_STATS_MS CLI_QLIST_MS TRUE_MS
	read -r _ _ st1 _ _ d1 s1 q1 _ _ _ _ <<<"$l1"
	read -r _ _ st2 e2 r2 d2 s2 q2 li2 cs2 cq2 tr2 <<<"$l2"
	row "dispatch with 1M queued / with 1k queued" "$d2/s" "$d1/s" "$(awk -v a="$d2" -v b="$d1" 'BEGIN { printf "%.2fx", a / b }')" ">= 0.9x"
	row "jobqd RSS with 1M queued" "$((r2 / 1024)) MiB" "empty daemon $((e2 / 1024)) MiB" \
		"$(awk -v a="$r2" -v b="$e2" 'BEGIN { printf "%.0fx", a / b }')" "<= 64 MiB"
	row "stats / queue list requests at 1M (libjobq)" "$s2 / $q2 ms" \
		"1k: $s1 / $q1 ms; list --limit 20 at 1M: $li2 ms; whole \`jobq stats\` $cs2 ms, \`jobq queue list\` $cq2 ms, /bin/true $tr2 ms" \
		"$(awk -v a="$s2" -v c="$q2" -v b="$s1" -v d="$q1" 'BEGIN { printf "%.1fx / %.1fx of 1k", a / b, c / d }')" "<= 5 ms at 1M"
	row "start-up (recovery) with 1M queued" "$st2 s" "1k: $st1 s" "$(awk -v a="$st2" -v b="$st1" 'BEGIN { printf "%.0fx", a / b }')" "<= 0.5 s"
}

only drain && drain_section
only cli && cli_section
only submits && submits_section
only batch && batch_section
only latency && latency_section
only cpu && cpu_section
if [ "${BENCH_BIG:-0}" = 1 ]; then
	big_section
else
	row "1M-job rows (dispatch, RSS, stats, start-up)" "not run: BENCH_BIG=1 make bench" "" "" ""
fi

echo
echo "Ratios: median (min-max) over $ROUNDS interleaved rounds; x > 1 is jobq faster, except"
echo "latency, CPU and 1M rows (measured / goal or / reference: lower is better)."
echo
awk -F'\t' 'BEGIN { print "| measure | jobq | reference | ratio | goal |"; print "|---|---|---|---|---|" }
	{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$TABLE"
