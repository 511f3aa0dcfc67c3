#!/usr/bin/env bash
# mu-fair.sh - fair share between users and per-user caps, with two test
# users submitting to a root jobqd:
#   1. one worker, user A's 50-task array queued behind A's blocker, then
#      user B's single job: B's job starts among the first few, not after
#      A's 50 tasks;
#   2. user-max-running = 1 with two workers: while A's first job runs,
#      her second stays queued and B's jobs go ahead on the other worker;
#      never two of A's jobs at once (started_at..finished_at from SQLite);
#   3. user-max-queued (global and [queue small]): a submit over a cap is
#      refused with a message naming the user, the count and the key; the
#      other user is not affected; a cancel frees a place.
# Needs root, useradd and runuser; skips (77) while a root jobqd refuses
# other users' submits or does not know --config.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root (creates test users)"
if ! command -v useradd >/dev/null || ! command -v userdel >/dev/null; then
	skip "useradd/userdel missing"
fi
command -v runuser >/dev/null || skip "runuser missing"

UA=jqt_fair_a
UB=jqt_fair_b
del_users() {
	userdel "$UA" 2>/dev/null
	userdel "$UB" 2>/dev/null
	return 0
}
del_users
trap 'rc=$?; del_users; (exit $rc); cleanup' EXIT
add_user "$UA"
add_user "$UB"
UIDA=$(id -u "$UA")

# The users reach the socket (and the gates) through $T.
chmod 755 "$T"

# as USER ARGS...: the CLI as USER.
as() { local u=$1; shift; runuser -u "$u" -- "$JOBQ" -s "$SOCK" "$@"; }
# submit_as USER ARGS...: a submit by USER that must print an id.
submit_as() {
	local u=$1 id
	shift
	id=$(as "$u" submit "$@") || fail "jobq submit $* as $u failed (exit $?)"
	[[ $id =~ ^[0-9]+$ ]] || fail "jobq submit as $u printed [$id], not an id"
	printf '%s\n' "$id"
}

# start_mu [ARGS...]: jobqd as for start_daemon, its socket open to all.
start_mu() {
	if "$JOBQD" --help 2>&1 | grep -- '--socket-mode' >/dev/null; then
		start_daemon --socket-mode 0666 "$@"
	else
		start_daemon "$@"
	fi
	chmod 0666 "$SOCK"
}

# --- 1. fair share: B's single job next to A's array ------------------------
WORKERS=1
start_mu
if ! as "$UA" ping >/dev/null 2>"$T/err" ||
	! as "$UA" submit -- true >"$T/out1" 2>"$T/err"; then
	skip "a root jobqd refuses user $UA: $(head -c 300 "$T/err") (needs jobs run as their submitter)"
fi
probe=$(cat "$T/out1")
wait_ended "$probe"
assert_eq "$(sql "SELECT owner_uid FROM jobs WHERE id = $probe")" "$UIDA" "owner of $UA's job"

blocker=$(submit_as "$UA" -- "$BIN/sh" -c "$(gate_script "$T/gate1")")
wait_for 10 "$UA's blocker $blocker running" state_is "$blocker" running
arr=$(submit_as "$UA" --array 1-50 -- true)
jb=$(submit_as "$UB" -- true)
assert_eq "$(show_field "$jb" state)" queued "B's job behind the blocker"
: >"$T/gate1"
wait_ended "$arr" 60
wait_ended "$jb"
# the order of the starts after the blocker
order=$(sql "SELECT id FROM jobs WHERE id > $blocker AND started_at IS NOT NULL
	ORDER BY started_at, id" | tr '\n' ' ')
pos=$(python3 -c '
import sys
ids = sys.argv[2].split()
print(ids.index(sys.argv[1]) + 1 if sys.argv[1] in ids else 0)' "$jb" "$order")
log "B's job $jb started at position $pos of $(wc -w <<<"$order") after A's blocker"
if [ "$pos" -lt 1 ] || [ "$pos" -gt 3 ]; then
	fail "B's single job $jb started at position $pos behind A's array (order: $order)"
fi
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE array_id = $arr AND state = 'succeeded'")" 50 \
	"A's array tasks succeeded"
stop_daemon

# --- the caps need the configuration file -------------------------------------
if ! "$JOBQD" --help 2>&1 | grep -- '--config' >/dev/null; then
	skip "fair share checked (B's job at position $pos); caps not tested: jobqd has no --config yet"
fi
conf() { printf '%s\n' "$@" >"$T/jobqd.conf"; chmod 0644 "$T/jobqd.conf"; }

# --- 2. user-max-running = 1, two workers -------------------------------------
conf "user-max-running = 1"
WORKERS=2
start_mu --config "$T/jobqd.conf"
ids=
for i in 1 2 3 4; do
	ids="$ids $(submit_as "$UA" -- "$BIN/sh" -c "$(gate_script "$T/gate2"); \"$BIN/sleep\" 0.2")"
done
read -r a1 a2 _ <<<"$ids"
wait_for 10 "A's first job $a1 running" state_is "$a1" running
b1=$(submit_as "$UB" -- "$BIN/sleep" 0.2)
b2=$(submit_as "$UB" -- "$BIN/sleep" 0.2)
# B is not held up by A's cap: her jobs run on the other worker
wait_ended "$b1"
wait_ended "$b2"
assert_eq "$(show_field "$a2" state)" queued "A's second job while her first runs (user-max-running 1)"
: >"$T/gate2"
for id in $ids; do wait_ended "$id" 30; done
sql "SELECT started_at, finished_at FROM jobs WHERE id IN ($(tr ' ' ',' <<<"${ids# }"))
	ORDER BY started_at" >"$T/iv"
python3 - "$T/iv" <<'EOF' || fail "user-max-running 1: $(cat "$T/iv")"
import sys
a = [tuple(int(x) for x in l.strip().split("|")) for l in open(sys.argv[1]) if l.strip()]
assert len(a) == 4, "4 jobs of A expected"
for (s1, f1), (s2, f2) in zip(a, a[1:]):
    if s2 < f1:
        print("two of A's jobs at once: %d..%d and %d..%d" % (s1, f1, s2, f2))
        sys.exit(1)
EOF
for id in $ids; do
	assert_eq "$(show_field "$id" state)" succeeded "A's job $id"
done
stop_daemon

# --- 3. user-max-queued --------------------------------------------------------
conf "user-max-queued = 5" "" "[queue small]" "user-max-queued = 2"
WORKERS=1
start_mu --config "$T/jobqd.conf"
s1=$(submit_as "$UA" --queue small --delay 1h -- true)
submit_as "$UA" --queue small --delay 1h -- true >/dev/null
assert_rc 1 "a third job of A in queue small" \
	runuser -u "$UA" -- "$JOBQ" -s "$SOCK" submit --queue small --delay 1h -- true
grep -q "user $UA has 2 jobs queued in queue small (user-max-queued 2)" "$T/err" ||
	fail "refusal over [queue small] user-max-queued: [$(cat "$T/err")]"
log "refused: $(cat "$T/err")"
# B has her own count
submit_as "$UB" --queue small --delay 1h -- true >/dev/null
submit_as "$UB" --queue small --delay 1h -- true >/dev/null
# an array counts as its tasks: 2 + 3 = 5 fits, 2 + 4 would not
assert_rc 1 "an array of 4 over the global cap" \
	runuser -u "$UA" -- "$JOBQ" -s "$SOCK" submit --array 1-4 --delay 1h -- true
grep -q "user $UA has 2 jobs queued: 4 more would pass user-max-queued 5" "$T/err" ||
	fail "refusal of an array over user-max-queued: [$(cat "$T/err")]"
submit_as "$UA" --array 1-3 --delay 1h -- true >/dev/null
assert_rc 1 "a sixth queued job of A" \
	runuser -u "$UA" -- "$JOBQ" -s "$SOCK" submit --delay 1h -- true
grep -q "user $UA has 5 jobs queued (user-max-queued 5)" "$T/err" ||
	fail "refusal over the global user-max-queued: [$(cat "$T/err")]"
# nothing refused was stored
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE owner_uid = $UIDA AND state = 'queued'")" 5 \
	"A's queued jobs in the store"
# a cancel gives a place back
as "$UA" cancel "$s1" >/dev/null || fail "$UA cancel $s1"
wait_for 10 "job $s1 canceled" state_is "$s1" canceled
submit_as "$UA" --queue small --delay 1h -- true >/dev/null
daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "mu-fair: ok (B's job at position $pos)"
