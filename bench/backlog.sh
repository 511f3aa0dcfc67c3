#!/usr/bin/env bash
# backlog.sh BUILDDIR - what a large queue costs the scheduler.
#
# For each backlog size B in $BACKLOG_SIZES (default "1000 1000000"):
#   1. creates a state dir (one jobqd start/stop for the schema) and inserts
#      B queued /bin/true jobs at priority -1 with sqlite3, in one
#      transaction (submitting a million jobs through the socket would only
#      measure submits again);
#   2. starts jobqd --workers 2 on it and times the start (recovery loads
#      every queued job into the scheduler) and reads its RSS;
#   3. measures, with the backlog in place (same queue, lower priority, so
#      every pick goes through a heap of B jobs): acknowledged submits/s from
#      8 clients (at priority -2, so they wait behind the backlog), then
#      trivial jobs completed/s (2 clients, priority 0);
#   4. reads the RSS again;
#   5. times `jobq stats`, `jobq queue list` and `jobq list --limit 20`
#      twice: the request alone, through libjobq on one connection (rtt.c,
#      median of 21), and the CLI's wall time with its process start
#      (median of 5), next to /bin/true started the same way (the cost of
#      starting any process from this shell, which on a loaded VM is
#      several ms by itself).
# The empty daemon's RSS is read at the first start, before the backlog.
# Start-up time: from the exec of jobqd until `jobq ping` answers (polled
# every 5 ms).  A posix_spawn loop measured in the same run is the baseline.
# Besides the table, one machine-readable line per size for bench.sh:
#   BIG SIZE START_S RSS_EMPTY_KB RSS0_KB COMPLETED_PER_S STATS_MS QLIST_MS
#       LIST20_MS CLI_STATS_MS CLI_QLIST_MS TRUE_MS
# (STATS_MS, QLIST_MS, LIST20_MS: the requests through libjobq; CLI_*: the
# whole `jobq` command; TRUE_MS: /bin/true.)
# The backlog is written straight into the jobs table: if the schema
# changes, the INSERT below must follow it (the row count is checked).
# Not part of `make check`; run with `make bench-backlog`.
# Environment: BACKLOG_SIZES, BENCH_N (default 3000 jobs per measurement),
# BENCH_SYNC (full|normal, default full),
# BACKLOG_PAUSED=1 puts the backlog in a paused queue of its own instead:
# the database is as big, but no pick goes through it (separates the
# scheduler's cost from SQLite's).
set -euo pipefail

B=$(cd "${1:?usage: backlog.sh BUILDDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_N:-3000}
SYNC=${BENCH_SYNC:-full}
SIZES=${BACKLOG_SIZES:-1000 1000000}
JOBQD=$B/daemon/jobqd
LIBDIR=$B/lib/.libs
[ -x "$JOBQD" ] && [ -e "$LIBDIR/libjobq.so" ] || { echo "backlog: build first (make -C $B)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "backlog: needs the sqlite3 CLI" >&2; exit 1; }
# the real CLI executable, not libtool's wrapper script (see bench.sh)
if head -c 4 "$B/client/jobq" | grep -q ELF; then
	JOBQ_BIN=$B/client/jobq
elif [ -x "$B/client/.libs/jobq" ]; then
	JOBQ_BIN=$B/client/.libs/jobq
else
	JOBQ_BIN=$B/client/jobq
fi
jq() { LD_LIBRARY_PATH=$LIBDIR "$JOBQ_BIN" -s "$T/sock" "$@"; }
# ms_median CMD...: median wall time of 5 runs of CMD, in ms
ms_median() {
	local t0
	for _ in 1 2 3 4 5; do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", 1000 * (b - a) }'
	done | sort -g | sed -n 3p
}

T=$(mktemp -d "${TMPDIR:-/tmp}/jobq-backlog.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

CC=${CC:-cc}
$CC -O2 -o "$T/spawnloop" "$SRC/bench/spawnloop.c"
$CC -O2 -pthread -I"$SRC/lib" -I"$B/lib" -o "$T/submitters" "$SRC/bench/submitters.c" \
	-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -ljobq
$CC -O2 -I"$SRC/lib" -I"$B/lib" -o "$T/rtt" "$SRC/bench/rtt.c" \
	-L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -ljobq

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_jobqd() { # STATE: starts, waits for readiness; START_SECS gets the time taken
	local t0 t1
	t0=$EPOCHREALTIME
	"$JOBQD" --socket "$T/sock" --state-dir "$1" --workers 2 --log-level warn \
		--sync "$SYNC" --keep-count 0 2>>"$T/jobqd.log" &
	PID=$!
	for _ in $(seq 1 12000); do
		jq ping >/dev/null 2>&1 && break
		kill -0 "$PID" 2>/dev/null || { cat "$T/jobqd.log" >&2; exit 1; }
		sleep 0.005
	done
	t1=$EPOCHREALTIME
	START_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

stop_jobqd() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=
}

base=$("$T/spawnloop" "$N" 2)
base_rate=$(awk '{print $NF+0}' <<<"${base##*: }")
echo "backlog: $(nproc) CPUs, $N jobs per measurement; posix_spawn /bin/true baseline: $base_rate/s"
printf '\n%-10s %9s %10s %10s %12s %12s %9s\n' "backlog" "start(s)" "RSS0(kB)" "RSS(kB)" "submits/s" "completed/s" "vs spawn"
for size in $SIZES; do
	st=$T/state-$size
	start_jobqd "$st"
	rss_empty=$(rss_kb "$PID")
	stop_jobqd
	now=$(($(date +%s) * 1000))
	sqlite3 "$st/jobq.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $size)
INSERT INTO jobs (state, queue, owner_uid, argv, env, cwd, submitted_at, priority)
SELECT 'queued', 'default', $(id -u), '["/bin/true"]', '[]', '/', $now, -1 FROM c;
UPDATE meta SET value = (SELECT max(id) + 1 FROM jobs) WHERE key = 'next_id';
COMMIT;
SQL
	if [ "${BACKLOG_PAUSED:-0}" = 1 ]; then
		sqlite3 "$st/jobq.db" "UPDATE jobs SET queue = 'backlog' WHERE priority = -1;
			INSERT INTO queues (name, parallel, paused) VALUES ('backlog', 0, 1);" >/dev/null
	fi
	start_jobqd "$st"
	secs=$START_SECS
	rss0=$(rss_kb "$PID")
	# every job counted, whatever its state (the backlog starts running)
	queued=$(jq --json stats | python3 -c 'import json, sys; print(sum(json.load(sys.stdin)["counts"].values()))' 2>/dev/null || echo "?")
	[ "$queued" = "?" ] || [ "$queued" -ge "$size" ] ||
		{ echo "backlog: $queued jobs, not $size: does the INSERT match the schema?" >&2; exit 1; }
	read -r _ _ stats_ms qlist_ms list20_ms <<<"$("$T/rtt" "$T/sock" 21)"
	cli_stats_ms=$(ms_median jq stats)
	cli_qlist_ms=$(ms_median jq queue list)
	true_ms=$(ms_median /bin/true)
	# priority -2: below the backlog, so these do not run before (b)
	s8=$("$T/submitters" "$T/sock" 8 "$N" --no-wait --priority -2)
	read -r _ _ _ _ s8_rate <<<"$s8"
	e2e=$("$T/submitters" "$T/sock" 2 "$N" | tail -n 1)
	read -r _ _ _ e2e_rate e2e_failed <<<"$e2e"
	rss1=$(rss_kb "$PID")
	stop_jobqd
	ratio=$(awk -v a="$e2e_rate" -v b="$base_rate" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
	printf '%-10s %9s %10s %10s %12s %12s %9s\n' "$size" "$secs" "$rss0" "$rss1" "$s8_rate" "$e2e_rate" "$ratio"
	printf '%-10s requests: stats %s ms, queue list %s ms, list --limit 20 %s ms; empty daemon RSS %s kB\n' \
		"" "$stats_ms" "$qlist_ms" "$list20_ms" "$rss_empty"
	printf '%-10s commands: jobq stats %s ms, jobq queue list %s ms; /bin/true %s ms\n' \
		"" "$cli_stats_ms" "$cli_qlist_ms" "$true_ms"
	echo "BIG $size $secs $rss_empty $rss0 $e2e_rate $stats_ms $qlist_ms $list20_ms $cli_stats_ms $cli_qlist_ms $true_ms"
	[ "$e2e_failed" = 0 ] || { echo "backlog: $e2e_failed jobs did not succeed" >&2; exit 1; }
	rm -rf "$st"
done
