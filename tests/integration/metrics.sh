#!/usr/bin/env bash
# metrics.sh - `jobq stats --prometheus` read by a real Prometheus text
# parser (python3-prometheus-client's): every family present with its type;
# the values after a known set of jobs: jobs by queue and state equal to
# `jobq stats --json`, submitted and finished counters, histograms whose
# buckets never decrease and end at their count, commit times counted;
# counters that only grow; --json and --prometheus together refused;
# jobqd --metrics-file: written whole and refreshed, never through a link,
# a failure logged once, a relative path refused.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# the Debian package's parser (a python3 of its own earlier on PATH may
# not have it)
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client.parser' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "python3-prometheus-client is not installed (apt-get install python3-prometheus-client)"
WORKERS=2
start_daemon

for i in 1 2 3; do submit -- true >/dev/null; done
f1=$(submit -- sh -c 'exit 4'); f2=$(submit -- false)
q queue set other >/dev/null
c=$(submit --queue other --delay 1h -- true)
a=$(submit --array 1-4 -- true)
q cancel "$c" >/dev/null
q wait "$a" "$f1" "$f2" >/dev/null || true
q stats --prometheus >"$T/m1" || fail "stats --prometheus"
q --json stats >"$T/stats.json"

check_metrics() { # FILE: parse with the real parser, check the figures
	"$PY" - "$1" "$T/stats.json" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families as parse
fams = {f.name: f for f in parse(open(sys.argv[1]).read())}
bad = []
want = {"jobq_build_info": "gauge", "jobq_uptime_seconds": "gauge", "jobq_workers": "gauge",
        "jobq_workers_busy": "gauge", "jobq_jobs": "gauge", "jobq_jobs_submitted": "counter",
        "jobq_jobs_finished": "counter", "jobq_job_wait_seconds": "histogram",
        "jobq_job_run_seconds": "histogram", "jobq_store_commit_seconds": "histogram"}
for n, t in want.items():
    if n not in fams: bad.append("no family %s (have %s)" % (n, sorted(fams)))
    elif fams[n].type != t: bad.append("%s is a %s, not a %s" % (n, fams[n].type, t))
if bad: sys.exit("\n".join(bad))
def val(fam, name, **labels):
    for s in fams[fam].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()): return s.value
    sys.exit("no sample %s%r" % (name, labels))
st = json.load(open(sys.argv[2]))
for q in st["queues"]:
    for state, n in q["counts"].items():
        if val("jobq_jobs", "jobq_jobs", queue=q["name"], state=state) != n:
            bad.append("jobq_jobs{%s,%s} != %d" % (q["name"], state, n))
if val("jobq_workers", "jobq_workers") != 2: bad.append("workers")
sub = val("jobq_jobs_submitted", "jobq_jobs_submitted_total")
if sub != 10: bad.append("submitted %r, not 10" % sub)
fin = {s: val("jobq_jobs_finished", "jobq_jobs_finished_total", state=s) for s in ("succeeded", "failed", "canceled")}
if fin != {"succeeded": 7, "failed": 2, "canceled": 1}: bad.append("finished %r" % fin)
for h, count in (("jobq_job_wait_seconds", 9), ("jobq_job_run_seconds", 9), ("jobq_store_commit_seconds", None)):
    bk = [(float(s.labels["le"]), s.value) for s in fams[h].samples if s.name == h + "_bucket"]
    c = val(h, h + "_count")
    if count is not None and c != count: bad.append("%s_count %r, not %d" % (h, c, count))
    if count is None and c < 1: bad.append("%s_count %r" % (h, c))
    if [v for _, v in bk] != sorted(v for _, v in bk): bad.append("%s buckets decrease" % h)
    if bk[-1][0] != float("inf") or bk[-1][1] != c: bad.append("%s +Inf %r != count %r" % (h, bk[-1], c))
    if val(h, h + "_sum") < 0: bad.append("%s_sum < 0" % h)
if bad: sys.exit("\n".join(bad))
print(int(val("jobq_store_commit_seconds", "jobq_store_commit_seconds_count")))
PY
}
n1=$(check_metrics "$T/m1") || fail "metrics: $n1"
# one more job: the counters grow, the commit count too
submit --wait -- true >/dev/null
q stats --prometheus >"$T/m2"
grep -q '^jobq_jobs_submitted_total 11$' "$T/m2" || fail "submitted after one more: $(grep submitted_total "$T/m2")"
grep -q '^jobq_jobs_finished_total{state="succeeded"} 8$' "$T/m2" || fail "finished after one more"
n2=$(grep '^jobq_store_commit_seconds_count ' "$T/m2" | awk '{print $2}')
[ "$n2" -gt "$n1" ] || fail "commit count $n1 -> $n2"
assert_rc 2 "--json with --prometheus" q stats --json --prometheus
stop_daemon

# --metrics-file: the same text rewritten every --metrics-interval, whole
# (renamed into place), over a symlink left at PATH.tmp without following it
MF=$T/prom/jobq.prom
mkdir -p "$T/prom"
ln -s "$T/victim" "$MF.tmp"
start_daemon --metrics-file "$MF" --metrics-interval 1s
wait_for 20 "the metrics file" file_exists "$MF"
[ ! -e "$T/victim" ] || fail "the metrics file was written through the symlink at $MF.tmp"
# the counters are since jobqd started: none yet; the parser reads it whole
grep -q '^jobq_jobs_submitted_total 0$' "$MF" || fail "metrics file: submitted: $(grep submitted_total "$MF")"
out=$("$PY" - "$MF" <<'PY' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families as parse
names = {f.name for f in parse(open(sys.argv[1]).read())}
for n in ("jobq_jobs", "jobq_jobs_submitted", "jobq_store_commit_seconds", "jobq_workers_busy"):
    if n not in names: sys.exit("no family %s" % n)
PY
) || fail "metrics file: $out"
submit --wait -- true >/dev/null
grown() { grep -q '^jobq_jobs_submitted_total 1$' "$MF"; }
wait_for 20 "the metrics file to show the new job" grown
[ "$(stat -c %a "$MF")" = 644 ] || fail "metrics file mode $(stat -c %a "$MF")"
# a directory it cannot write to: logged once, jobqd goes on
stop_daemon
start_daemon --metrics-file "$T/nodir/jobq.prom" --metrics-interval 1s
wait_for 20 "the metrics file's failure in the log" grep -q "metrics-file $T/nodir/jobq.prom: cannot write it" "$LOG"
submit --wait -- true >/dev/null || fail "jobqd serves with a failing --metrics-file"
stop_daemon
assert_eq "$(grep -c "cannot write it" "$LOG")" 1 "the failure is logged once"
assert_rc 1 "--metrics-file relative" "$JOBQD" --socket "$T/s2" --state-dir "$T/st2" --metrics-file rel.prom
grep -q "must be an absolute path" "$T/err" || fail "relative --metrics-file: [$(cat "$T/err")]"
log "ok"
