#!/usr/bin/env bash
# metrics.sh - `jobq stats --prometheus` read by a real Prometheus text
# parser (python3-prometheus-client's): every family present with its type;
# the values after a known set of jobs: jobs by queue and state equal to
# `jobq stats --json`, submitted and finished counters, histograms whose
# buckets never decrease and end at their count, commit times counted;
# counters that only grow; --json and --prometheus together refused.
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
log "ok"
