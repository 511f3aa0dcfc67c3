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
#   4. reads the RSS again.
# A posix_spawn loop measured in the same run is the baseline.
# Not part of `make check`; run with `make bench-backlog`.
# Environment: BACKLOG_SIZES, BENCH_N (default 3000 jobs per measurement),
# BACKLOG_PAUSED=1 puts the backlog in a paused queue of its own instead:
# the database is as big, but no pick goes through it (separates the
# scheduler's cost from SQLite's).
set -euo pipefail

B=$(cd "${1:?usage: backlog.sh BUILDDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_N:-3000}
SIZES=${BACKLOG_SIZES:-1000 1000000}
JOBQD=$B/daemon/jobqd
LIBDIR=$B/lib/.libs
[ -x "$JOBQD" ] && [ -e "$LIBDIR/libjobq.so" ] || { echo "backlog: build first (make -C $B)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "backlog: needs the sqlite3 CLI" >&2; exit 1; }

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

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_jobqd() { # STATE: starts, waits for readiness; START_SECS gets the time taken
	local t0 t1
	t0=$(date +%s.%N)
	"$JOBQD" --socket "$T/sock" --state-dir "$1" --workers 2 --log-level warn \
		--keep-count 0 2>>"$T/jobqd.log" &
	PID=$!
	for _ in $(seq 1 6000); do
		"$T/submitters" "$T/sock" 1 1 --no-wait --queue ping >/dev/null 2>&1 && break
		kill -0 "$PID" 2>/dev/null || { cat "$T/jobqd.log" >&2; exit 1; }
		sleep 0.02
	done
	t1=$(date +%s.%N)
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
	# priority -2: below the backlog, so these do not run before (b)
	s8=$("$T/submitters" "$T/sock" 8 "$N" --no-wait --priority -2)
	read -r _ _ _ _ s8_rate <<<"$s8"
	e2e=$("$T/submitters" "$T/sock" 2 "$N" | tail -n 1)
	read -r _ _ _ e2e_rate e2e_failed <<<"$e2e"
	rss1=$(rss_kb "$PID")
	stop_jobqd
	ratio=$(awk -v a="$e2e_rate" -v b="$base_rate" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
	printf '%-10s %9s %10s %10s %12s %12s %9s\n' "$size" "$secs" "$rss0" "$rss1" "$s8_rate" "$e2e_rate" "$ratio"
	[ "$e2e_failed" = 0 ] || { echo "backlog: $e2e_failed jobs did not succeed" >&2; exit 1; }
	rm -rf "$st"
done
