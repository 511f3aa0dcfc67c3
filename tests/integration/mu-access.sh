#!/usr/bin/env bash
# mu-access.sh - a root jobqd shared by several users (jobqd.conf(5)): users
# A and B (distinct supplementary groups) and M (in the admin group) submit
# through a socket whose mode comes from the configuration; B cannot cancel,
# reprioritize, retry or purge A's jobs (exit status and message checked,
# A's rows unchanged in SQLite) nor pause a queue, while M can; B sees A's
# jobs limited (no argv, cwd or name), not at all with visibility = private,
# fully with full; deny-users and allow-groups refuse a submit with the
# permission message and insert nothing; after-foreign = deny refuses
# --after on another user's job; SIGHUP changes the rules (a bad file on
# SIGHUP is logged and the rules in force kept); a bad file is refused at
# start-up with file:line; socket-group gives the socket to a group and a
# user outside it is told "permission denied", not "is jobqd running?".
# Which uid a job runs as is not this test's concern (jobs are `true` and
# sleeps in a paused queue).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root (creates users)"
for c in useradd userdel groupadd groupdel setpriv sqlite3; do
	command -v "$c" >/dev/null || skip "needs $c"
done

S=$(($$ % 100000))
GA=jqtacc_ga$S GB=jqtacc_gb$S GADM=jqtacc_adm$S
UA=jqtacc_a$S UB=jqtacc_b$S UM=jqtacc_m$S
mu_cleanup() {
	local u g
	for u in "$UA" "$UB" "$UM"; do userdel "$u" >/dev/null 2>&1; done
	for g in "$GA" "$GB" "$GADM" "$UA" "$UB" "$UM"; do
		groupdel "$g" >/dev/null 2>&1
	done
}
trap 'rc=$?; mu_cleanup; (exit $rc); cleanup' EXIT
for g in "$GA" "$GB" "$GADM"; do
	groupadd "$g" || skip "groupadd $g failed"
done
useradd -M -s /bin/sh -G "$GA" "$UA" || skip "useradd failed"
useradd -M -s /bin/sh -G "$GB" "$UB" || skip "useradd failed"
useradd -M -s /bin/sh -G "$GADM" "$UM" || skip "useradd failed"
setpriv --reuid="$UA" --regid="$(id -g "$UA")" --init-groups "$JOBQ" --help \
	>/dev/null 2>&1 || skip "$JOBQ cannot be run by another user"

chmod 0755 "$T"
cd "$T" || fail "cd $T"
CONF=$T/jobqd.conf
# as USER CMD...: runs CMD as USER with USER's groups.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"
}
# qas USER ARGS...: the CLI as USER against this test's daemon.
qas() {
	local u=$1
	shift
	as "$u" "$JOBQ" -s "$SOCK" "$@"
}
njobs() { sql "SELECT count(*) FROM jobs"; }
row() { sql "SELECT state, priority FROM jobs WHERE id = $1"; }
# reload: writes the configuration (stdin) and SIGHUPs jobqd, waiting for
# it to log the reload.
RELOADS=0
reload() {
	cat >"$CONF"
	chmod 0644 "$CONF"
	RELOADS=$(grep -c "SIGHUP: $CONF reloaded" "$LOG")
	kill -HUP "$JOBQD_PID"
	reloaded() { [ "$(grep -c "SIGHUP: $CONF reloaded" "$LOG")" -gt "$RELOADS" ]; }
	wait_for 10 "jobqd to reload $CONF" reloaded
}
# perm_msg WHAT: the last command's stderr is a permission error naming WHAT.
perm_msg() {
	grep -q "^jobq: [a-z-]*: permission denied: " "$T/err" ||
		fail "$1: stderr [$(cat "$T/err")] is not 'jobq: CMD: permission denied: ...'"
	grep -q "is jobqd running" "$T/err" && fail "$1: says 'is jobqd running?'"
	grep -qF -- "$2" "$T/err" || fail "$1: stderr [$(cat "$T/err")] does not name [$2]"
}

# --- a bad file is refused at start-up, with file:line ---------------------
printf '# jobqd.conf\nafter-foreign = allow\nvisibility = nope\n' >"$CONF"
chmod 0644 "$CONF"
assert_rc 1 "jobqd with a bad configuration" \
	"$JOBQD" --socket "$T/s1" --state-dir "$T/st1" --config "$CONF"
grep -qF "$CONF:3: visibility must be limited, full or private" "$T/err" ||
	fail "start-up error does not name $CONF:3: $(cat "$T/err")"
printf 'visibility = full\n' >"$CONF"
chmod 0664 "$CONF"
assert_rc 1 "jobqd with a group-writable configuration" \
	"$JOBQD" --socket "$T/s1" --state-dir "$T/st1" --config "$CONF"
grep -qF "$CONF: writable by its group" "$T/err" || fail "group-writable file: $(cat "$T/err")"
[ ! -e "$T/s1" ] || fail "jobqd bound its socket despite a bad configuration"

# --- limited visibility, admin group, rights --------------------------------
cat >"$CONF" <<EOF
# test configuration
visibility = limited
admin-group = $GADM
after-foreign = allow
socket-mode = 0666
EOF
chmod 0644 "$CONF"
start_daemon --config "$CONF"
grep -q "configuration $CONF: " "$LOG" || fail "jobqd did not log the configuration it loaded"
assert_eq "$(stat -c %a "$SOCK")" 666 "socket mode from socket-mode"

q queue pause qa >/dev/null || fail "root: pause qa"
ja=$(qas "$UA" submit --queue qa --name secret-name -- "$BIN/sleep" 300) ||
	fail "A: submit (exit $?)"
jdone=$(qas "$UA" submit -- true) || fail "A: submit true"
assert_rc 0 "A: wait" qas "$UA" wait "$jdone"
jb=$(qas "$UB" submit -- true) || fail "B: submit true"
assert_rc 0 "B: wait" qas "$UB" wait "$jb"
assert_eq "$(sql "SELECT owner_uid FROM jobs WHERE id = $ja")" "$(id -u "$UA")" "owner of A's job"
before_a=$(row "$ja")
before_done=$(row "$jdone")

assert_rc 1 "B: cancel A's job" qas "$UB" cancel "$ja"
perm_msg "B: cancel A's job" "job $ja belongs to $UA: only its owner, root or members of group $GADM may cancel it"
assert_rc 1 "B: priority of A's job" qas "$UB" priority "$ja" 9
perm_msg "B: priority" "may change the priority of it"
assert_rc 1 "B: retry A's ended job" qas "$UB" retry "$jdone"
perm_msg "B: retry" "job $jdone belongs to $UA"
assert_rc 0 "B: purge (its own jobs only)" qas "$UB" purge
assert_eq "$(row "$ja")" "$before_a" "A's queued job after B's attempts"
assert_eq "$(row "$jdone")" "$before_done" "A's ended job after B's purge"
assert_eq "$(sql "SELECT count(*) FROM jobs WHERE id = $jb")" 0 "B's own ended job after its purge"
assert_rc 1 "B: pause a queue" qas "$UB" queue pause qa2
perm_msg "B: pause" "only root or members of group $GADM may pause queue qa2"
assert_eq "$(sql "SELECT count(*) FROM queues WHERE name = 'qa2'")" 0 "queue row after B's refused pause"

# what B sees of A's jobs: id, user, queue, state, times
qas "$UB" --json show "$ja" >"$T/bshow" || fail "B: show A's job"
python3 - "$T/bshow" "$(id -u "$UA")" <<'EOF' || fail "B's view of A's job: $(cat "$T/bshow")"
import json, sys
o = json.load(open(sys.argv[1]))
allowed = {"id", "state", "queue", "owner_uid", "submitted_at", "started_at",
    "finished_at", "limited", "user"}
assert set(o) <= allowed, sorted(set(o) - allowed)
assert o["limited"] is True and o["owner_uid"] == int(sys.argv[2]), o
assert o["queue"] == "qa" and o["state"] == "queued", o
EOF
qas "$UB" --json list >"$T/blist" || fail "B: list"
python3 - "$T/blist" "$ja" "$jdone" <<'EOF' || fail "B's list: $(cat "$T/blist")"
import json, sys
jobs = {j["id"]: j for j in json.load(open(sys.argv[1]))}
for i in (int(sys.argv[2]), int(sys.argv[3])):
    j = jobs[i]
    for k in ("argv", "cwd", "env", "name", "exit_code", "labels"):
        assert k not in j, (i, k, j)
EOF
qas "$UB" list >"$T/blist.txt" || fail "B: list (table)"
head -1 "$T/blist.txt" | grep USER >/dev/null || fail "B's list has no USER column: $(head -2 "$T/blist.txt")"
grep -q "$UA" "$T/blist.txt" || fail "B's list does not name $UA"
grep -q secret-name "$T/blist.txt" && fail "B's list shows the name of A's job"
qas "$UB" show "$ja" >"$T/bshow.txt" || fail "B: show (text)"
grep -q "$UA" "$T/bshow.txt" || fail "B's show does not name the owner: $(cat "$T/bshow.txt")"
grep -q sleep "$T/bshow.txt" && fail "B's show shows A's command"
# A and the admin see A's job in full
assert_eq "$(qas "$UA" --json show "$ja" | jf name)" secret-name "A's own view"
assert_eq "$(qas "$UM" --json show "$ja" | jf name)" secret-name "the admin's view"
# --after on A's job: allowed (after-foreign = allow), only its state is used
jafter=$(qas "$UB" submit --after "$jdone" -- true) || fail "B: --after A's job (allowed)"
assert_rc 0 "B: wait for its --after job" qas "$UB" wait "$jafter"

# the admin group: cancel A's job, pause a queue
assert_rc 0 "M (admin): pause a queue" qas "$UM" queue pause qm
assert_rc 0 "M (admin): cancel A's job" qas "$UM" cancel "$ja"
assert_eq "$(sql "SELECT state FROM jobs WHERE id = $ja")" canceled "A's job after the admin's cancel"

# --- SIGHUP: private visibility, deny-users ---------------------------------
jb2=$(qas "$UB" submit -- true) || fail "B: submit"
assert_rc 0 "B: wait" qas "$UB" wait "$jb2"
reload <<EOF
visibility = private
admin-group = $GADM
deny-users = $UB
EOF
n=$(njobs)
assert_rc 1 "B (denied): submit" qas "$UB" submit -- true
perm_msg "B (deny-users): submit" "user $UB is not allowed to submit to this jobqd (deny-users in $CONF)"
assert_eq "$(njobs)" "$n" "jobs after a refused submit"
assert_rc 4 "B: show A's job (private)" qas "$UB" show "$jdone"
assert_rc 4 "B: cancel A's job (private: not found)" qas "$UB" cancel "$jdone"
qas "$UB" --json list >"$T/blist" || fail "B: list (private)"
python3 - "$T/blist" "$(id -u "$UB")" <<'EOF' || fail "B's private list: $(cat "$T/blist")"
import json, sys
jobs = json.load(open(sys.argv[1]))
assert jobs and all(j["owner_uid"] == int(sys.argv[2]) for j in jobs), jobs
EOF
assert_rc 4 "A: --after B's job (private: no such job)" qas "$UA" submit --after "$jb2" -- true
assert_eq "$(njobs)" "$n" "jobs after a refused --after (private)"
assert_rc 0 "A: --after its own job" qas "$UA" submit --after "$jdone" -- true

# --- SIGHUP: allow-groups, full visibility, after-foreign = deny -----------
reload <<EOF
visibility = full
allow-groups = $GA
after-foreign = deny
EOF
n=$(njobs)
assert_rc 1 "A: --after B's job (after-foreign = deny)" qas "$UA" submit --after "$jb2" -- true
perm_msg "A: --after B's job" "after-foreign = deny in $CONF"
assert_eq "$(njobs)" "$n" "jobs after a refused --after"
assert_rc 1 "B (not in allow-groups): submit" qas "$UB" submit -- true
perm_msg "B (allow-groups): submit" "user $UB is not allowed to submit to this jobqd (allow-users/allow-groups in $CONF)"
assert_eq "$(njobs)" "$n" "jobs after a refused submit (allow-groups)"
assert_rc 0 "A (in allow-groups): submit" qas "$UA" submit -- true
assert_eq "$(qas "$UB" --json show "$jdone" | jf argv.0)" true "B's full view of A's job"
assert_rc 1 "B: logs of A's job (output: owner or root only)" qas "$UB" logs "$jdone"
perm_msg "B: logs" "only its owner or root may read its output"
assert_rc 1 "M (no admin group any more): pause" qas "$UM" queue pause qm2
perm_msg "M: pause after the reload" "only root may pause queue qm2"

# a bad file on SIGHUP: logged, the rules in force kept
printf 'allow-groups = %s\nfrobnicate = 1\n' "$GB" >"$CONF"
kill -HUP "$JOBQD_PID"
badlogged() { grep -qF "SIGHUP: $CONF:2: unknown key \"frobnicate\"; keeping the configuration in force" "$LOG"; }
wait_for 10 "jobqd to log the bad file" badlogged
assert_rc 1 "B after a bad reload: still refused" qas "$UB" submit -- true
daemon_alive || fail "jobqd died on a bad SIGHUP"
stop_daemon

# --- socket-group: only its members may connect ------------------------------
printf 'socket-group = %s\n' "$GA" >"$CONF"
chmod 0644 "$CONF"
start_daemon --config "$CONF"
assert_eq "$(stat -c '%a %G' "$SOCK")" "660 $GA" "socket mode and group from socket-group"
assert_rc 0 "A (in the socket's group): ping" qas "$UA" ping
assert_rc 3 "B (not in the socket's group): ping" qas "$UB" ping
grep -q "permission denied: cannot connect to jobqd's socket $SOCK" "$T/err" ||
	fail "B's connect error does not say permission denied: $(cat "$T/err")"
grep -q "is jobqd running" "$T/err" && fail "B's connect error says 'is jobqd running?'"
stop_daemon
echo "mu-access: ok"
