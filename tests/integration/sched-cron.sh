#!/usr/bin/env bash
# sched-cron.sh - recurring schedules through `jobq schedule`: bad inputs
# (usage errors exit 2, refusals 1, unknown names 4, each with its message);
# an --every 1s schedule really submits jobs (rows in SQLite carry its name,
# their output, `jobq list --schedule`, `show`), anchored to its creation
# (no drift); pause, resume, run-now, remove; overlap skip (recorded, with
# its time, while the previous job runs), queue (the new job depends on the
# previous one) and allow (two at once); kill -9 of jobqd then a restart
# ~4 s later: schedules, paused state and counters survive, catch-up none /
# one / all do what they say, and every due time is accounted for exactly
# once (runs + skips + misses against next_fire, one job row per run: no
# fire lost, none repeated); `jobq stats` counts them; another user sees and
# changes only her own schedules (names are unique per owner).
# Timing is only ever waited on (bounded polls), never asserted.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

WORKERS=8
start_daemon

# sv NAME COL: a column of schedule NAME's row (root's).
sv() { sql "SELECT $2 FROM schedules WHERE name = '$1' AND owner_uid = $(id -u)"; }
# njobs NAME: job rows of schedule NAME.
njobs() { sql "SELECT count(*) FROM jobs WHERE schedule = '$1'"; }
runs_ge() { [ "$(sv "$1" runs)" -ge "$2" ]; }
jobs_ge() { [ "$(njobs "$1")" -ge "$2" ]; }
skips_ge() { [ "$(sv "$1" skips)" -ge "$2" ]; }
misses_ge() { [ "$(sv "$1" misses)" -ge "$2" ]; }
running_ge() { [ "$(sql "SELECT count(*) FROM jobs WHERE schedule = '$1' AND state = 'running'")" -ge "$2" ]; }
gated_done() { [ "$(sql "SELECT count(*) FROM jobs WHERE schedule IN ('slow', 'qq', 'aa') AND state IN ('queued', 'running')")" = 0 ]; }
# Each due time up to next_fire counted once: runs + skips + misses equals
# the number of due times before next_fire (anchor + k s, k >= 1; k >= 0
# with --at-start), run-now runs (RN) aside; one job row per run.
accounted() { # NAME [RUN_NOW_RUNS [AT_START]]
	local n=$1 rn=${2:-0} k0=${3:-1} due got
	due=$(sql "SELECT (next_fire - anchor) / 1000 - $k0 FROM schedules WHERE name = '$n' AND owner_uid = $(id -u)")
	got=$(sql "SELECT runs + skips + misses - $rn FROM schedules WHERE name = '$n' AND owner_uid = $(id -u)")
	assert_eq "$got" "$due" "schedule $n: runs + skips + misses against its due times"
	assert_eq "$(njobs "$n")" "$(sv "$n" runs)" "schedule $n: job rows against runs"
	assert_eq "$(sql "SELECT (last_fire - anchor) % 1000 FROM schedules WHERE name = '$n' AND owner_uid = $(id -u)")" 0 "schedule $n: last fire on its grid"
}

# --- bad inputs ---------------------------------------------------------------
assert_rc 2 "add without --cron or --every" q schedule add x -- true
grep -q "exactly one of --cron and --every" "$T/err" || fail "no when: [$(cat "$T/err")]"
assert_rc 2 "add with both" q schedule add x --every 1s --cron '* * * * *' -- true
assert_rc 2 "add with a bad name" q schedule add 'a b' --every 1s -- true
grep -q "invalid schedule name" "$T/err" || fail "bad name: [$(cat "$T/err")]"
assert_rc 2 "add --every 500ms" q schedule add x --every 500ms -- true
grep -q "at least 1s" "$T/err" || fail "--every 500ms: [$(cat "$T/err")]"
assert_rc 2 "add --overlap sometimes" q schedule add x --every 1s --overlap sometimes -- true
assert_rc 2 "add --catch-up two" q schedule add x --every 1s --catch-up two -- true
assert_rc 2 "add --array" q schedule add x --every 1s --array 1-3 -- true
grep -q -- "--array cannot be used for a schedule's job" "$T/err" || fail "--array: [$(cat "$T/err")]"
assert_rc 2 "add --tz without --cron" q schedule add x --every 1s --tz UTC -- true
assert_rc 2 "add without a command" q schedule add x --every 1s
assert_rc 1 "add with a bad cron expression" q schedule add x --cron '61 * * * *' -- true
grep -q "cron: minute: 61 out of range 0-59" "$T/err" || fail "bad cron: [$(cat "$T/err")]"
assert_rc 1 "add with a cron expression that never fires" q schedule add x --cron '0 0 30 2 *' -- true
grep -q "no fire time" "$T/err" || fail "never: [$(cat "$T/err")]"
assert_rc 1 "add with a bad zone" q schedule add x --cron '* * * * *' --tz Mars/Olympus -- true
grep -q "tz: " "$T/err" || fail "bad zone: [$(cat "$T/err")]"
assert_rc 4 "show of an unknown schedule" q schedule show nope
grep -q "no schedule named nope" "$T/err" || fail "unknown: [$(cat "$T/err")]"
assert_rc 4 "pause of an unknown schedule" q schedule pause nope
assert_rc 2 "an unknown subcommand" q schedule frob
assert_rc 2 "show without a name" q schedule show
assert_eq "$(sql "SELECT count(*) FROM schedules")" 0 "schedules after refusals"

# --- a cron schedule in a zone: stored, next fire on a minute -------------------
assert_rc 0 "add of a cron schedule" q schedule add nightly --cron '30 2 * * *' --tz Europe/Paris --queue night -- true
assert_eq "$(sv nightly cron)" "30 2 * * *" "cron column"
assert_eq "$(sv nightly tz)" "Europe/Paris" "tz column"
assert_eq "$(sql "SELECT next_fire % 60000 FROM schedules WHERE name = 'nightly'")" 0 "cron next fire on a whole minute"
# its next fire is the next 02:30 of Paris's wall clock after its creation
want=$(python3 -c '
import sys, datetime, zoneinfo
z = zoneinfo.ZoneInfo("Europe/Paris")
c = datetime.datetime.fromtimestamp(int(sys.argv[1]) / 1000, z)
d = c.replace(hour=2, minute=30, second=0, microsecond=0)
while d <= c: d = (d + datetime.timedelta(days=1)).replace(hour=2, minute=30)
print(int(d.timestamp()) * 1000)' "$(sv nightly created_at)") || fail "python zoneinfo"
assert_eq "$(sv nightly next_fire)" "$want" "next fire of nightly (02:30 in Paris)"
# a leap day: the next February 29
assert_rc 0 "add leap" q schedule add leap --cron '0 0 29 2 *' --tz UTC -- true
want=$(python3 -c '
import sys, datetime
c = datetime.datetime.fromtimestamp(int(sys.argv[1]) / 1000, datetime.timezone.utc)
y = c.year
while True:
    try:
        d = datetime.datetime(y, 2, 29, tzinfo=datetime.timezone.utc)
        if d > c: break
    except ValueError: pass
    y += 1
print(int(d.timestamp()) * 1000)' "$(sv leap created_at)")
assert_eq "$(sv leap next_fire)" "$want" "next fire of leap (February 29)"
assert_rc 0 "remove leap" q schedule remove leap
q --json schedule show nightly | pycheck "show nightly" '
if o["cron"] != "30 2 * * *" or o["queue"] != "night" or o["next_fire"] <= 0 or o["runs"] != 0:
    bad("nightly: %r" % o)'

# --- every 1s: real jobs ----------------------------------------------------------
assert_rc 0 "add tick" q schedule add tick --every 1s --name ticker --label k=v -- sh -c "echo tick-out; echo x >>'$T/ticks'"
assert_eq "$(cat "$T/out")" tick "add prints the name"
assert_rc 1 "add of a duplicate name" q schedule add tick --every 5s -- true
grep -q "a schedule named tick exists already" "$T/err" || fail "duplicate: [$(cat "$T/err")]"
wait_for 15 "tick submitted 3 jobs" jobs_ge tick 3
first=$(sql "SELECT min(id) FROM jobs WHERE schedule = 'tick'")
wait_ended "$first"
assert_eq "$(show_field "$first" schedule)" tick "schedule field of job $first"
assert_eq "$(show_field "$first" name)" ticker "the template's --name"
assert_eq "$(q logs "$first")" tick-out "output of job $first"
q show "$first" | grep "^schedule: *tick$" >/dev/null || fail "show $first has no schedule line"
assert_eq "$(sql "SELECT count(*) FROM jobs j WHERE j.schedule = 'tick' AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.job_id = j.id AND l.label = 'k=v')")" 0 "jobs of tick without the template's label"
# list --schedule shows exactly its jobs
q --json list --schedule tick >"$T/l" || fail "list --schedule"
want=$(sql "SELECT group_concat(id) FROM (SELECT id FROM jobs WHERE schedule = 'tick' ORDER BY id)")
got=$(python3 -c 'import json,sys; print(",".join(str(j["id"]) for j in json.load(open(sys.argv[1]))))' "$T/l")
# more may have come between the two: the list's ids start with the rows'
[[ "$got" == "$want"* || "$want" == "$got"* ]] || fail "list --schedule tick: [$got], rows [$want]"
assert_eq "$(q --json list --schedule nosuch)" "[]" "list --schedule of a schedule without jobs"
assert_rc 2 "list --schedule with a bad name" q list --schedule 'a b'

# --- pause, resume, run-now --------------------------------------------------------
assert_rc 0 "add clock" q schedule add clock --every 1s -- true
assert_rc 0 "pause tick" q --json schedule pause tick
assert_eq "$(jf paused <"$T/out")" true "pause --json"
assert_eq "$(sv tick paused)" 1 "paused column"
n=$(njobs tick)
c=$(sv clock runs)
# the clock schedule is the time-keeper: two of its fires later, tick
# still has n jobs
wait_for 15 "clock ran twice more" runs_ge clock $((c + 2))
assert_eq "$(njobs tick)" "$n" "jobs of tick while paused"
q schedule list >"$T/list" || fail "schedule list"
grep -qE "^tick +every 1s +paused " "$T/list" || fail "list does not show tick paused: $(cat "$T/list")"
id=$(q schedule run-now tick) || fail "run-now"
[[ $id =~ ^[0-9]+$ ]] || fail "run-now printed [$id]"
assert_eq "$(sql "SELECT schedule FROM jobs WHERE id = $id")" tick "run-now's job"
assert_eq "$(sv tick last_job)" "$id" "last_job after run-now"
assert_rc 0 "resume tick" q schedule resume tick
assert_eq "$(sv tick paused)" 0 "paused column after resume"
wait_for 15 "tick fires again" jobs_ge tick $((n + 3))

# --- overlap: skip, queue, allow -----------------------------------------------------
gate="$T/gate"
assert_rc 0 "add slow (skip)" q schedule add slow --every 1s -- "$BIN/sh" -c "$(gate_script "$gate")"
assert_rc 0 "add qq (queue)" q schedule add qq --every 1s --overlap queue -- "$BIN/sh" -c "$(gate_script "$gate")"
assert_rc 0 "add aa (allow)" q schedule add aa --every 1s --overlap allow -- "$BIN/sh" -c "$(gate_script "$gate")"
wait_for 20 "slow skipped twice" skips_ge slow 2
assert_eq "$(njobs slow)" 1 "jobs of slow while its first runs"
assert_ne "$(sv slow last_skip)" 0 "time of the last skip"
q --json schedule show slow | pycheck "show slow" '
if o["skips"] < 2 or o["last_skip"] <= 0 or o["last_job_state"] != "running" or o["overlap"] != "skip":
    bad("slow: %r" % o)'
wait_for 20 "qq queued a second job" jobs_ge qq 2
q1=$(sql "SELECT min(id) FROM jobs WHERE schedule = 'qq'")
q2=$(sql "SELECT min(id) FROM jobs WHERE schedule = 'qq' AND id > $q1")
assert_eq "$(sql "SELECT count(*) FROM deps WHERE job_id = $q2 AND dep_id = $q1")" 1 "qq's second job depends on its first"
assert_eq "$(job_state "$q2")" queued "qq's second job while the first runs"
assert_eq "$(sv qq skips)" 0 "skips of qq"
wait_for 20 "aa runs two at once" running_ge aa 2
assert_eq "$(sv aa skips)" 0 "skips of aa"
for s in slow qq aa; do assert_rc 0 "remove $s" q schedule remove "$s"; done
assert_eq "$(sql "SELECT count(*) FROM schedules WHERE name IN ('slow', 'qq', 'aa')")" 0 "rows after remove"
assert_rc 4 "show of a removed schedule" q schedule show slow
: >"$gate"
wait_for 20 "gated jobs ended" gated_done
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE schedule IN ('slow', 'qq', 'aa') AND state != 'succeeded'")" 0 "gated jobs all succeeded"

# --- kill -9, ~4 s down, restart: catch-up ----------------------------------------------
assert_rc 0 "add cun" q schedule add cun --every 1s --catch-up none -- true
assert_rc 0 "add cu1" q schedule add cu1 --every 1s -- true
# cua's jobs outlast its period: its on-time fires skip, its catch-up's do not
assert_rc 0 "add cua" q schedule add cua --every 1s --catch-up all --at-start -- "$BIN/sleep" 2
assert_rc 0 "pause clock" q schedule pause clock
wait_for 15 "the catch-up schedules ran" runs_ge cua 2
wait_for 15 "cun ran" runs_ge cun 1
kill9_daemon
r_cu1=$(sv cu1 runs) m_cu1=$(sv cu1 misses)
m_cun=$(sv cun misses)
r_cua=$(sv cua runs)
sleep 4	# down for a few periods (the set-up, not an assertion)
start_daemon
wait_for 15 "cu1 caught up (one job for the missed fires)" misses_ge cu1 $((m_cu1 + 2))
wait_for 15 "cun missed the fires" misses_ge cun $((m_cun + 3))
wait_for 15 "cua caught up (a job each, none skipped)" runs_ge cua $((r_cua + 3))
assert_eq "$(sv cua misses)" 0 "misses of cua (catch-up all)"
# the catch-up's jobs (2 s each) were submitted while the one before ran
wait_for 15 "cua's catch-up jobs run side by side" running_ge cua 2
assert_eq "$(sv clock paused)" 1 "clock still paused after kill -9"
q --json schedule list | pycheck "list after restart" '
names = sorted(s["name"] for s in o)
if names != ["clock", "cu1", "cua", "cun", "nightly", "tick"]: bad("names %r" % names)
for s in o:
    if s["name"] != "clock" and not s["paused"] and s["next_fire"] <= 0: bad("no next fire: %r" % s)'
# stopped, every due time is accounted for exactly once (a miss has no job:
# one job row per run), also across the kill -9 (tick was paused: the fires
# of a pause are dropped, so only its rows against its runs)
stop_daemon
accounted cun
accounted cu1
accounted cua 0 0
assert_eq "$(njobs tick)" "$(sv tick runs)" "schedule tick: job rows against runs"
assert_eq "$(( $(sv cu1 runs) > r_cu1 ))" 1 "cu1 ran after the restart"
start_daemon

# --- stats --------------------------------------------------------------------------------
q --json stats | pycheck "stats" '
s = o["schedules"]
if s["count"] != 6 or s["runs"] <= 0 or s["misses"] < 5: bad("schedules %r" % s)'
q stats | grep "^schedules: 6 (runs" >/dev/null || fail "stats has no schedules line"

# --- another user (root only) -------------------------------------------------------------
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	U=jqtsch$(($$ % 100000))
	trap 'rc=$?; userdel "$U" >/dev/null 2>&1; (exit $rc); cleanup' EXIT
	useradd -M -s /bin/sh "$U" || fail "useradd $U"
	uu=$(id -u "$U")
	log "another user: $U"
	stop_daemon
	printf 'socket-mode = 0666\n' >"$T/jobqd.conf"
	chmod 0755 "$T"
	start_daemon --config "$T/jobqd.conf"
	qu() { (cd / && setpriv --reuid="$U" --regid="$(id -g "$U")" --init-groups "$JOBQ" -s "$SOCK" "$@"); }
	assert_rc 0 "$U adds her own tick" qu schedule add tick --every 1h -- true
	assert_eq "$(sql "SELECT count(*) FROM schedules WHERE name = 'tick'")" 2 "two schedules named tick (one per owner)"
	qu --json schedule list >"$T/ul" || fail "$U: list"
	pycheck "her list" 'names = [s["name"] for s in o]
if names != ["tick"] or o[0]["owner_uid"] != '"$uu"': bad("%r" % o)' <"$T/ul"
	assert_rc 4 "$U pauses root's clock" qu schedule pause clock
	assert_rc 4 "$U removes root's nightly" qu schedule remove nightly
	assert_rc 0 "$U shows her tick" qu --json schedule show tick
	assert_eq "$(jf owner_uid <"$T/out")" "$uu" "her tick"
	id=$(qu schedule run-now tick) || fail "$U: run-now"
	assert_eq "$(sql "SELECT owner_uid FROM jobs WHERE id = $id")" "$uu" "owner of her schedule's job"
	# root: both, the own one first, --owner for hers
	assert_eq "$(q --json schedule show tick | jf owner_uid)" 0 "root's show tick"
	assert_eq "$(q --json schedule show tick --owner "$U" | jf owner_uid)" "$uu" "root's show tick --owner"
	q schedule list >"$T/rl" || fail "root's list"
	head -1 "$T/rl" | grep USER >/dev/null || fail "root's list has no USER column: $(cat "$T/rl")"
	grep -qE "^tick +$U " "$T/rl" || fail "root's list does not show $U's tick: $(cat "$T/rl")"
	assert_rc 0 "root pauses her tick" q schedule pause tick --owner "$U"
	assert_eq "$(sql "SELECT paused FROM schedules WHERE name = 'tick' AND owner_uid = $uu")" 1 "her tick paused by root"
	assert_rc 0 "root removes her tick" q schedule remove tick --owner "$U"
	# denied by a reloaded jobqd.conf: her schedule's fires submit no job
	# (each is a miss) until she is allowed again
	assert_rc 0 "$U adds fast" qu schedule add fast --every 1s -- true
	fast() { sql "SELECT $1 FROM schedules WHERE name = 'fast' AND owner_uid = $uu"; }
	fast_runs_ge() { [ "$(fast runs)" -ge "$1" ]; }
	fast_misses_ge() { [ "$(fast misses)" -ge "$1" ]; }
	wait_for 15 "fast ran" fast_runs_ge 1
	printf 'socket-mode = 0666\ndeny-users = %s\n' "$U" >"$T/jobqd.conf"
	nr=$(grep -c "reloaded" "$LOG")
	kill -HUP "$JOBQD_PID"
	reloaded() { [ "$(grep -c "reloaded" "$LOG")" -gt "$nr" ]; }
	wait_for 10 "jobqd to reload" reloaded
	r0=$(fast runs) m0=$(fast misses)
	wait_for 15 "fast's fires missed while $U is denied" fast_misses_ge $((m0 + 2))
	assert_le1() { [ $(($(fast runs) - r0)) -le 1 ]; }
	assert_le1 || fail "fast submitted jobs while $U was denied: runs $r0 -> $(fast runs)"
	assert_eq "$(sql "SELECT count(*) FROM jobs WHERE schedule = 'fast'")" "$(fast runs)" "fast's job rows"
	grep -q "may not submit to this jobqd any more (deny-users)" "$LOG" || fail "no log of the denied fire"
	assert_rc 0 "root removes fast" q schedule remove fast --owner "$U"
fi

assert_rc 0 "remove tick" q schedule remove tick
assert_eq "$(sql "SELECT count(*) FROM schedules WHERE name = 'tick'")" 0 "tick removed"
assert_no_markers 10 "at the end"
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "sched-cron: ok"
