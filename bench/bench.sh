#!/usr/bin/env bash
# bench.sh BUILDDIR - jobq throughput against a posix_spawn baseline.
#
# Builds bench/spawnloop.c and bench/submitters.c (linked with
# BUILDDIR/lib/.libs/libjobq.so), starts a jobqd --workers 2 on a temporary
# state dir and measures, in one run:
#   (a) posix_spawn of /bin/true at concurrency 2 (baseline)
#   (b) jobq trivial jobs completed/s: 5000 /bin/true from 2 clients, first
#       submit to last finish, and the ratio to (a)
#   (c) acknowledged submits/s from 1 and from 8 concurrent clients
# Not part of `make check`; run with `make bench`.
# Environment: BENCH_N (default 5000), BENCH_SYNC (full|normal, default full).
set -euo pipefail

B=$(cd "${1:?usage: bench.sh BUILDDIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_N:-5000}
SYNC=${BENCH_SYNC:-full}
JOBQD=$B/daemon/jobqd
LIBDIR=$B/lib/.libs
[ -x "$JOBQD" ] && [ -e "$LIBDIR/libjobq.so" ] || { echo "bench: build first (make -C $B)" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/jobq-bench.XXXXXX")
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

echo "bench: $(nproc) CPUs, $N jobs, --sync $SYNC"
base=$("$T/spawnloop" "$N" 2)
base_rate=$(awk '{print $NF+0}' <<<"${base##*: }")
mkdir "$T/capture"
cap=$("$T/spawnloop" "$N" 2 "$T/capture")
cap_rate=$(awk '{print $NF+0}' <<<"${cap##*: }")
rm -rf "$T/capture"

"$JOBQD" --socket "$T/sock" --state-dir "$T/state" --workers 2 --sync "$SYNC" --log-level warn 2>"$T/jobqd.log" &
PID=$!
for _ in $(seq 1 500); do
	"$T/submitters" "$T/sock" 1 1 >/dev/null 2>&1 && break
	kill -0 "$PID" 2>/dev/null || { cat "$T/jobqd.log" >&2; exit 1; }
	sleep 0.02
done

e2e=$("$T/submitters" "$T/sock" 2 "$N" | tail -n 1)     # complete N secs rate failed
read -r _ _ e2e_secs e2e_rate e2e_failed <<<"$e2e"
# Submit-only rates: jobs go to a queue with a name nobody else uses; they
# may run meanwhile, only acknowledgements are timed.
s1=$("$T/submitters" "$T/sock" 1 "$((N / 5))" --no-wait --queue bench1)
s8=$("$T/submitters" "$T/sock" 8 "$N" --no-wait --queue bench8)
read -r _ _ _ s1_secs s1_rate <<<"$s1"
read -r _ _ _ s8_secs s8_rate <<<"$s8"

ratio=$(awk -v a="$e2e_rate" -v b="$base_rate" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
printf '\n%-48s %12s %10s\n' "measurement" "rate (/s)" "time (s)"
printf '%-48s %12s %10s\n' "(a) posix_spawn /bin/true, concurrency 2" "$base_rate" "$(awk '{print $(NF-2)}' <<<"$base")"
printf '%-48s %12s %10s\n' "(a') same, stdout/stderr to 2 new files each" "$cap_rate" "$(awk '{print $(NF-2)}' <<<"$cap")"
printf '%-48s %12s %10s\n' "(b) jobq jobs completed (2 clients, $N jobs)" "$e2e_rate" "$e2e_secs"
printf '%-48s %12s\n' "    ratio to baseline (a)" "$ratio"
printf '%-48s %12s\n' "    ratio to (a') spawn + output capture" "$(awk -v a="$e2e_rate" -v b="$cap_rate" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')"
printf '%-48s %12s %10s\n' "(c) acked submits, 1 client ($((N / 5)))" "$s1_rate" "$s1_secs"
printf '%-48s %12s %10s\n' "(c) acked submits, 8 clients ($N)" "$s8_rate" "$s8_secs"
[ "$e2e_failed" = 0 ] || { echo "bench: $e2e_failed jobs did not succeed" >&2; exit 1; }
