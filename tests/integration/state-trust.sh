#!/usr/bin/env bash
# state-trust.sh - a state dir another user could control is refused: one
# owned by another user, one its group or others may write to, a logs/ that
# is a symlink or another user's, and symlinks in place of the lock file,
# the database or the reserve.  jobqd exits 1 with one line saying why and
# writes nothing there.  A logs/ swapped for a symlink while jobqd runs is
# not followed: new jobs fail to open their output there, and `jobq purge`
# deletes in the real directory only.  Needs root (to play another user).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root to act as another user"
id 65534 >/dev/null 2>&1 || skip "no user 65534"

# refused DIR MESSAGE-ERE DESCRIPTION: jobqd on state dir DIR exits 1 with
# one line matching MESSAGE-ERE (besides informational ones: "<6>").
refused() {
	assert_rc 1 "$3" timeout $((10 * SLOW)) "$JOBQD" --socket "$T/s" --state-dir "$1" --workers 1
	grep -v '^<6>' "$T/err" >"$T/err1"
	[ "$(wc -l <"$T/err1")" -eq 1 ] || fail "$3: not one line: $(cat "$T/err")"
	grep -Eq -- "$2" "$T/err1" || fail "$3: message [$(cat "$T/err")] does not match /$2/"
	[ ! -e "$T/s" ] || fail "$3: the socket was created"
}
# empty DIR DESCRIPTION: DIR holds nothing (jobqd wrote nothing there).
empty() { [ -z "$(ls -A "$1")" ] || fail "$2: jobqd wrote into $1: $(ls -A "$1")"; }

# --- the state dir -----------------------------------------------------------
mkdir -m 0700 "$T/theirs"
chown 65534:65534 "$T/theirs"
refused "$T/theirs" "belongs to uid 65534, not to jobqd's uid 0" "a state dir owned by another user"
empty "$T/theirs" "another user's state dir"

mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
refused "$T/open" "may be written by its group or others \(mode 0777\)" "a world-writable state dir"
empty "$T/open" "a world-writable state dir"
mkdir "$T/grp"
chmod 0770 "$T/grp"
refused "$T/grp" "group or others" "a group-writable state dir"
empty "$T/grp" "a group-writable state dir"

# --- what jobqd uses under it --------------------------------------------------
mkdir -m 0700 "$T/elsewhere"
mkdir -m 0700 "$T/st-logs"
ln -s "$T/elsewhere" "$T/st-logs/logs"
refused "$T/st-logs" "logs is a symbolic link" "logs/ a symlink"
empty "$T/elsewhere" "the target of logs/"

mkdir -m 0700 "$T/st-logs2" "$T/st-logs2/logs"
chown 65534:65534 "$T/st-logs2/logs"
refused "$T/st-logs2" "logs belongs to uid 65534" "logs/ owned by another user"
mkdir -m 0700 "$T/st-logs3" "$T/st-logs3/logs"
chmod 0777 "$T/st-logs3/logs"
refused "$T/st-logs3" "logs may be written by its group or others" "a world-writable logs/"

echo keep >"$T/target"
for f in jobqd.lock jobq.db reserve; do
	mkdir -m 0700 "$T/st-$f"
	ln -s "$T/target" "$T/st-$f/$f"
	refused "$T/st-$f" "$f.*symbolic link" "$f a symlink"
	assert_eq "$(cat "$T/target")" keep "the target of the $f symlink"
done

# --- a trusted state dir works; logs/ swapped while jobqd runs ---------------
start_daemon --keep-age 0 --keep-count 0
a=$(submit -- sh -c 'echo a')
wait_ended "$a"
assert_eq "$(q logs "$a")" a "output of job $a (positive control)"
mv "$STATE/logs" "$STATE/logs.real"
ln -s "$T/elsewhere" "$STATE/logs"
mkdir -p "$T/elsewhere/0"
echo "not jobqd's" >"$T/elsewhere/0/$a.out"
b=$(submit -- sh -c 'echo b')
wait_ended "$b"
assert_eq "$(job_state "$b")" failed "a job whose logs/ became a symlink"
assert_eq "$(show_field "$b" reason)" spawn_failed "reason of job $b"
assert_match "$(show_field "$b" message)" "output directory logs/: it is a symbolic link \(not followed\)" "message of job $b"
[ ! -e "$T/elsewhere/0/$b.out" ] || fail "job $b wrote its output through the symlink"
# jobq logs and purge work in the directory jobqd opened at start-up
assert_eq "$(q logs "$a")" a "jobq logs of job $a after the swap"
assert_rc 0 "purge after the swap" q purge
[ ! -e "$STATE/logs.real/0/$a.out" ] || fail "purge left job $a's output"
assert_eq "$(cat "$T/elsewhere/0/$a.out")" "not jobqd's" "the file in the symlink's target"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "state-trust: ok"
