#!/usr/bin/env bash
# sched-deps.sh - --after: ok (default) runs after success, a failed
# dependency cancels the dependent (reason "dependency") and, transitively,
# its own dependents; notok runs only after a failure, any either way; every
# dependency must hold; unknown ids are refused at submit and create nothing;
# dependencies that already ended are evaluated at submit; a chain survives
# kill -9 of jobqd and completes in order after the restart.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=2
start_daemon

# rec KEY [EXIT]: appends "KEY NANOS" to $T/order, then exits EXIT (0).
rec() { printf 'echo "%s $(date +%%s%%N)" >>"%s"; exit %s' "$1" "$T/order" "${2:-0}"; }
# gated KEY GATE [EXIT]: waits for GATE, then as rec.
gated() { printf '%s; %s' "$(gate_script "$2")" "$(rec "$1" "${3:-0}")"; }
order() { if [ -e "$T/order" ]; then cut -d' ' -f1 "$T/order" | tr '\n' ' '; fi; }
assert_dep_canceled() { # ID WHAT
	assert_eq "$(job_state "$1")" canceled "state of $2"
	assert_eq "$(show_field "$1" reason)" dependency "reason of $2"
	case $(show_field "$1" started_at) in 0 | null) ;; *) fail "started_at of $2: $(show_field "$1" started_at)" ;; esac
}

# --- ok: runs after the dependency succeeded -------------------------------------
a=$(submit -- "$BIN/sh" -c "$(gated A "$T/gA")")
b=$(submit --after "ok:$a" -- "$BIN/sh" -c "$(rec B)")
b2=$(submit --after "$a" -- "$BIN/sh" -c "$(rec B2)")
wait_for 10 "job $a running" state_is "$a" running
# A worker is free, yet B waits for A.
assert_stays "$b" queued 700 "job $b waiting for running job $a"
assert_eq "$(job_state "$b2")" queued "job $b2 (--after $a, default mode)"
show_field "$b" deps | pycheck "deps of job $b" '
if o != [{"id": int(a[0]), "mode": "ok"}]: bad("deps %r" % (o,))' "$a"
: >"$T/gA"
wait_ended "$b"
wait_ended "$b2"
assert_eq "$(job_state "$a")" succeeded "state of $a"
assert_eq "$(job_state "$b")" succeeded "state of $b after $a succeeded"
assert_eq "$(job_state "$b2")" succeeded "state of $b2 after $a succeeded"
[ "$(show_field "$b" started_at)" -ge "$(show_field "$a" finished_at)" ] ||
	fail "job $b started before job $a finished"
[ "$(show_field "$b2" started_at)" -ge "$(show_field "$a" finished_at)" ] ||
	fail "job $b2 started before job $a finished"
assert_eq "$(cut -d' ' -f1 "$T/order" | head -n1)" A "first in the order file: $(order)"

# --- a failed dependency cancels its dependents, transitively; notok/any -------------
rm -f "$T/order"
f=$(submit -- "$BIN/sh" -c "$(gated F "$T/gF" 5)")
fb=$(submit --after "ok:$f" -- "$BIN/sh" -c "$(rec FB)")
fc=$(submit --after "$fb" -- "$BIN/sh" -c "$(rec FC)")
fn=$(submit --after "notok:$f" -- "$BIN/sh" -c "$(rec FN)")
fa=$(submit --after "any:$f" -- "$BIN/sh" -c "$(rec FA)")
wait_for 10 "job $f running" state_is "$f" running
assert_eq "$(job_state "$fc")" queued "state of $fc (waiting for $fb)"
: >"$T/gF"
wait_ended "$fc"
wait_ended "$fn"
wait_ended "$fa"
assert_eq "$(job_state "$f")" failed "state of $f"
assert_dep_canceled "$fb" "job $fb (--after ok:$f, which failed)"
assert_dep_canceled "$fc" "job $fc (--after $fb, canceled)"
assert_rc 125 "wait on job $fb canceled by its dependency" q wait "$fb"
assert_eq "$(job_state "$fn")" succeeded "state of $fn (--after notok:$f, which failed)"
assert_eq "$(job_state "$fa")" succeeded "state of $fa (--after any:$f, which failed)"
assert_eq "$(order | tr ' ' '\n' | sort | tr '\n' ' ')" "F FA FN " "jobs that ran"
assert_eq "$(sql "SELECT state || ',' || reason FROM jobs WHERE id = $fc")" "canceled,dependency" "row of job $fc"

# notok on a success cancels; any on a success runs (dependency still running at submit)
g=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gG")")
gn=$(submit --after "notok:$g" -- true)
ga=$(submit --after "any:$g" -- true)
: >"$T/gG"
wait_ended "$gn"
wait_ended "$ga"
assert_dep_canceled "$gn" "job $gn (--after notok:$g, which succeeded)"
assert_eq "$(job_state "$ga")" succeeded "state of $ga (--after any:$g, which succeeded)"

# --- every dependency must hold --------------------------------------------------
x=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gX")")
y=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gY")")
m=$(submit --after "$x,$y" -- true)
m2=$(submit --after "$x" --after "$y" -- true)
yf=$(submit -- "$BIN/sh" -c "$(gate_script "$T/gY"); exit 1")
m3=$(submit --after "ok:$x" --after "notok:$yf" -- true)
m4=$(submit --after "ok:$x" --after "ok:$yf" -- true)
show_field "$m3" deps | pycheck "deps of job $m3" '
if sorted(o, key=lambda d: d["id"]) != [{"id": int(a[0]), "mode": "ok"}, {"id": int(a[1]), "mode": "notok"}]:
    bad("deps %r" % (o,))' "$x" "$yf"
wait_for 10 "jobs $x and $y running" state_is "$y" running
: >"$T/gX"
wait_ended "$x"
assert_stays "$m" queued 700 "job $m (after $x,$y) with only $x done"
assert_eq "$(job_state "$m2")" queued "job $m2 (--after $x --after $y) with only $x done"
: >"$T/gY"
for id in "$m" "$m2" "$m3" "$m4"; do wait_ended "$id"; done
assert_eq "$(job_state "$m")" succeeded "job $m after both dependencies succeeded"
assert_eq "$(job_state "$m2")" succeeded "job $m2 after both dependencies succeeded"
assert_eq "$(job_state "$m3")" succeeded "job $m3 (ok:$x succeeded, notok:$yf failed)"
assert_dep_canceled "$m4" "job $m4 (ok:$x succeeded, ok:$yf failed)"
for id in "$m" "$m2"; do
	[ "$(show_field "$id" started_at)" -ge "$(show_field "$y" finished_at)" ] ||
		fail "job $id started before its dependency $y finished"
done

# --- unknown ids and bad syntax: refused, nothing created --------------------------
before=$(sql "SELECT count(*) || ',' || max(id) FROM jobs")
assert_rc 4 "submit --after an unknown id" q submit --after 999999 -- true
grep -q 999999 "$T/err" || fail "submit --after 999999: message [$(cat "$T/err")] does not name the id"
grep -qi "dependency" "$T/err" || fail "submit --after 999999: message [$(cat "$T/err")] does not say dependency"
assert_eq "$(cat "$T/out")" "" "stdout of a refused submit"
assert_rc 4 "submit --after a known and an unknown id" q submit --after "$x,999998" -- true
grep -q 999998 "$T/err" || fail "submit --after $x,999998: message [$(cat "$T/err")] does not name the id"
for bad in "maybe:$x" "ok:" "ok:abc" "$x," ",$x" ""; do
	assert_rc 2 "submit --after '$bad'" q submit --after "$bad" -- true
	[ -s "$T/err" ] || fail "submit --after '$bad': no message"
done
for bad in "ok:-1" "ok:0" 0; do
	assert_rc "1|2|4" "submit --after '$bad'" q submit --after "$bad" -- true
	[ -s "$T/err" ] || fail "submit --after '$bad': no message"
done
assert_eq "$(sql "SELECT count(*) || ',' || max(id) FROM jobs")" "$before" "jobs after refused submits"

# --- dependencies that already ended are evaluated at submit ---------------------------
# ($a succeeded, $f failed)
e1=$(submit --after "ok:$a" -- true)
e2=$(submit --after "notok:$a" -- true)
assert_dep_canceled "$e2" "job $e2 submitted --after notok: a succeeded job"
e3=$(submit --after "ok:$f" -- true)
assert_dep_canceled "$e3" "job $e3 submitted --after ok: a failed job"
e4=$(submit --after "notok:$f" -- true)
e5=$(submit --after "any:$f" -- true)
e6=$(submit --after "ok:$fb" -- true)
assert_dep_canceled "$e6" "job $e6 submitted --after a canceled job"
for id in "$e1" "$e4" "$e5"; do
	wait_ended "$id"
	assert_eq "$(job_state "$id")" succeeded "job $id submitted with a dependency that already holds"
done

# --- a chain survives kill -9 in the middle ---------------------------------------------
# c1 succeeds before the crash; c2 (with a retry left) is running at the
# crash, blocked on a gate; c3 waits for c1 and c2, c4 for c3.
rm -f "$T/order"
c1=$(submit -- "$BIN/sh" -c "$(rec C1)")
wait_ended "$c1"
c2=$(submit --retries 1 --retry-delay 200ms -- "$BIN/sh" -c "$(gated C2 "$T/gC")")
c3=$(submit --after "$c1,$c2" -- "$BIN/sh" -c "$(rec C3)")
c4=$(submit --after "$c3" -- "$BIN/sh" -c "$(rec C4)")
wait_for 10 "job $c2 running" state_is "$c2" running
markers_seen 1 "the process of job $c2"
kill9_daemon
assert_no_markers 5 "job processes after kill -9 of jobqd"
: >"$T/gC"
start_daemon
wait_ended "$c4" 30
assert_eq "$(order)" "C1 C2 C3 C4 " "order of the chain across the crash"
assert_eq "$(sql "SELECT group_concat(state, ',') FROM (SELECT state FROM jobs WHERE id IN ($c1, $c2, $c3, $c4) ORDER BY id)")" \
	"succeeded,succeeded,succeeded,succeeded" "rows of the chain"
assert_eq "$(sql "SELECT attempts FROM jobs WHERE id = $c2")" 2 "attempts of $c2 (running at the crash)"
q --json list | pycheck "chain timestamps" '
by = {j["id"]: j for j in o}
c = [by[int(x)] for x in a]
for p, n in zip(c, c[1:]):
    if n["started_at"] < p["finished_at"]:
        bad("job %d started at %d before job %d finished at %d" % (n["id"], n["started_at"], p["id"], p["finished_at"]))' \
	"$c1" "$c2" "$c3" "$c4"

assert_no_markers 5 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-deps: ok"
