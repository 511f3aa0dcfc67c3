#!/usr/bin/env bash
# mu-outputs.sh - output files per user (issue 9): a job's output is in
# logs/UID/ (UID: the job's owner), a directory owned by UID, mode 0700,
# the files owned by UID, mode 0600 - for a root job (uid 0) and for a job
# of another user (made by giving a queued job another owner_uid in the
# stopped daemon's database: it then runs from recovery, as that user;
# mu-ident.sh tests submits by other users).  `jobq logs`
# of a job is for its owner and root only.  Symlinks are never followed: at
# a first run's output path, at a later run's (a retry), a hard link there,
# at logs/UID (pointing at a directory the test watches), at logs/ (jobqd
# refuses to start); the job fails cleanly with a message saying so and
# jobqd stays up.  A purge removes a symlink planted in place of an output
# file, not its target.  A state dir of the old layout (logs/ID.out) is
# moved into logs/UID/ at start-up, by the jobs' owners.  Needs root.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root (to create test users)"
if ! command -v useradd >/dev/null || ! command -v userdel >/dev/null; then
	skip "useradd/userdel missing"
fi
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

UA=jqt_outputs_a
UB=jqt_outputs_b
users_cleanup() {
	userdel -f "$UA" >/dev/null 2>&1
	userdel -f "$UB" >/dev/null 2>&1
}
# the users go before lib.sh's cleanup (which keeps the exit status)
trap 'rc=$?; users_cleanup; (exit $rc); cleanup' EXIT
users_cleanup
useradd -M -N -s /bin/false "$UA" || skip "useradd $UA failed"
useradd -M -N -s /bin/false "$UB" || skip "useradd $UB failed"
A=$(id -u "$UA")
chmod 0755 "$T"
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
as "$UA" test -x "$JOBQ" || skip "$UA cannot run $JOBQ (a private build directory)"

# mode_owner PATH: "MODE UID" of PATH itself (a symlink is not followed).
mode_owner() { stat -c '%a %u' -- "$1"; }
# nothing_in DIR DESCRIPTION: the watched directory DIR stays empty.
nothing_in() { [ -z "$(ls -A "$1")" ] || fail "$2: written into $1: $(ls -lA "$1")"; }

start_daemon
chmod 0666 "$SOCK"

# --- a root job: logs/0/, 0700, files 0600 -----------------------------------
r=$(submit -- sh -c 'echo root out; echo root err >&2')
wait_ended "$r"
assert_eq "$(job_state "$r")" succeeded "state of root's job $r"
assert_eq "$(mode_owner "$STATE/logs/0")" "700 0" "logs/0 of root's jobs"
assert_eq "$(mode_owner "$STATE/logs/0/$r.out")" "600 0" "stdout file of root's job"
assert_eq "$(mode_owner "$STATE/logs/0/$r.err")" "600 0" "stderr file of root's job"
assert_eq "$(q logs "$r")" "root out" "jobq logs of root's job, by root"
[ ! -e "$STATE/logs/$r.out" ] || fail "an output file in logs/ itself"

# --- a job of user A (owner_uid set in the stopped daemon's database) ----------
a=$(submit --delay 1h -- sh -c 'echo out of A; echo err of A >&2')
stop_daemon
sql "UPDATE jobs SET owner_uid = $A, not_before = 0 WHERE id = $a"
start_daemon
chmod 0666 "$SOCK"
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "state of A's job $a"
assert_eq "$(mode_owner "$STATE/logs/$A")" "700 $A" "logs/$A: A's directory"
assert_eq "$(mode_owner "$STATE/logs/$A/$a.out")" "600 $A" "stdout file of A's job"
assert_eq "$(mode_owner "$STATE/logs/$A/$a.err")" "600 $A" "stderr file of A's job"
[ ! -e "$STATE/logs/0/$a.out" ] || fail "A's output in root's directory"

# --- jobq logs: the owner and root only ---------------------------------------
assert_eq "$(q logs "$a")" "out of A" "jobq logs of A's job, by root"
assert_rc 0 "jobq logs of A's job, by A" as "$UA" "$JOBQ" -s "$SOCK" logs --stderr "$a"
assert_eq "$(cat "$T/out")" "err of A" "stderr of A's job, read by A"
assert_rc 1 "jobq logs of A's job, by B" as "$UB" "$JOBQ" -s "$SOCK" logs "$a"
grep -q "job $a belongs to another user: only its owner or root may read its output" "$T/err" ||
	fail "B's refusal does not say what was refused: $(cat "$T/err")"
grep -q "is jobqd running" "$T/err" && fail "a permission error read as a connection problem: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "B got output: $(cat "$T/out")"
assert_rc 1 "jobq logs of root's job, by A" as "$UA" "$JOBQ" -s "$SOCK" logs "$r"
grep -q "job $r belongs to another user" "$T/err" || fail "A's refusal: $(cat "$T/err")"

# --- a symlink at a first run's output path ----------------------------------
echo precious >"$T/victim"
next=$((a + 1))
ln -s "$T/victim" "$STATE/logs/0/$next.out"
j=$(submit -- sh -c 'echo overwritten')
assert_eq "$j" "$next" "id of the job whose output path is a symlink"
wait_ended "$j"
assert_eq "$(job_state "$j")" failed "state of job $j (symlink at its output)"
assert_eq "$(show_field "$j" reason)" spawn_failed "reason of job $j"
assert_match "$(show_field "$j" message)" "a symbolic link \(not followed, left untouched\)" "message of job $j"
assert_eq "$(cat "$T/victim")" precious "the target of the symlink at job $j's output"
[ -L "$STATE/logs/0/$j.out" ] || fail "the symlink at job $j's output was replaced"

# --- a later run (retry): symlink, then hard link, at its output path --------
k=$(submit -- sh -c 'echo run')
wait_ended "$k"
assert_eq "$(q logs "$k")" run "first run of job $k"
rm "$STATE/logs/0/$k.out"
ln -s "$T/victim" "$STATE/logs/0/$k.out"
assert_rc 0 "retry of job $k" q retry "$k"
wait_ended "$k"
assert_eq "$(job_state "$k")" failed "job $k retried onto a symlink"
assert_match "$(show_field "$k" message)" "output files in logs/0/: one is a symbolic link \(not followed\); left untouched" "message of job $k (symlink)"
assert_eq "$(cat "$T/victim")" precious "the target of the symlink at job $k's output"
rm "$STATE/logs/0/$k.out"
ln "$T/victim" "$STATE/logs/0/$k.out"
assert_rc 0 "second retry of job $k" q retry "$k"
wait_ended "$k"
assert_eq "$(job_state "$k")" failed "job $k retried onto a hard link"
assert_match "$(show_field "$k" message)" "one is not the job user's own file with one link; left untouched" "message of job $k (hard link)"
assert_eq "$(cat "$T/victim")" precious "the file hard-linked at job $k's output"
rm "$STATE/logs/0/$k.out"
assert_rc 0 "third retry of job $k" q retry "$k"
wait_ended "$k"
assert_eq "$(job_state "$k")" succeeded "job $k retried with its output file gone (created again)"
assert_eq "$(mode_owner "$STATE/logs/0/$k.out")" "600 0" "job $k's output file made again"

# --- a symlink at logs/UID ------------------------------------------------------
mkdir -m 0700 "$T/watched"
mv "$STATE/logs/$A" "$T/logs-A"
ln -s "$T/watched" "$STATE/logs/$A"
assert_rc 0 "retry of A's job $a" q retry "$a"
wait_ended "$a"
assert_eq "$(job_state "$a")" failed "A's job with logs/$A a symlink"
assert_eq "$(show_field "$a" reason)" spawn_failed "reason of A's job"
assert_match "$(show_field "$a" message)" "output directory logs/$A/: it is a symbolic link \(not followed\)" "message of A's job"
nothing_in "$T/watched" "logs/$A a symlink (job)"
assert_rc 1 "jobq logs through a symlinked logs/$A" q logs "$a"
grep -q "logs/$A is a symbolic link (not followed)" "$T/err" || fail "jobq logs' message: $(cat "$T/err")"
# A directory of the wrong owner or mode is refused the same way.
rm "$STATE/logs/$A"
mkdir -m 0700 "$STATE/logs/$A"
assert_rc 0 "retry of A's job $a (logs/$A root's)" q retry "$a"
wait_ended "$a"
assert_match "$(show_field "$a" message)" "output directory logs/$A/: it is not owned by the job's user" "message of A's job (logs/$A owned by root)"
nothing_in "$STATE/logs/$A" "logs/$A owned by root"
rmdir "$STATE/logs/$A"
mv "$T/logs-A" "$STATE/logs/$A"
# the same for root's directory
mv "$STATE/logs/0" "$T/logs-0"
ln -s "$T/watched" "$STATE/logs/0"
j=$(submit -- sh -c 'echo through')
wait_ended "$j"
assert_eq "$(job_state "$j")" failed "root's job with logs/0 a symlink"
assert_match "$(show_field "$j" message)" "logs/0/: it is a symbolic link" "message of job $j"
nothing_in "$T/watched" "logs/0 a symlink"
rm "$STATE/logs/0"
mv "$T/logs-0" "$STATE/logs/0"
assert_rc 0 "jobqd still answers" q ping

# --- purge: a symlink in place of an output is removed, its target stays -----
p=$(submit -- sh -c 'echo purge me')
wait_ended "$p"
echo "keep me" >"$T/victim2"
rm "$STATE/logs/0/$p.out"
ln -s "$T/victim2" "$STATE/logs/0/$p.out"
cp "$STATE/logs/$A/$a.out" "$T/watched/$a.out"
mv "$STATE/logs/$A" "$T/logs-A"
ln -s "$T/watched" "$STATE/logs/$A"
assert_rc 0 "purge" q purge
[ ! -L "$STATE/logs/0/$p.out" ] || fail "purge left the symlink at job $p's output"
assert_eq "$(cat "$T/victim2")" "keep me" "the target of the purged symlink"
[ ! -e "$STATE/logs/0/$p.err" ] || fail "purge left job $p's stderr"
assert_eq "$(cat "$T/watched/$a.out")" "out of A" "a file behind a symlinked logs/$A, after purge"
grep -q "purge: logs/$A is a symbolic link (not followed)" "$LOG" || fail "purge did not say why A's files stay"
rm "$STATE/logs/$A"
mv "$T/logs-A" "$STATE/logs/$A"
# what the purge had to leave (its directory was a symlink then)
assert_eq "$(cat "$STATE/logs/$A/$a.out")" "out of A" "A's file left by the purge"
rm "$STATE/logs/$A/$a".*

# --- logs/ a symlink while jobqd is stopped: it refuses to start ----------------
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
rm -f "$T/watched"/*
mv "$STATE/logs" "$T/logs-real"
ln -s "$T/watched" "$STATE/logs"
assert_rc 1 "jobqd with logs/ a symlink" timeout $((20 * SLOW)) "$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers 1
grep -q "logs is a symbolic link" "$T/err" || fail "jobqd's refusal: $(cat "$T/err")"
nothing_in "$T/watched" "logs/ a symlink"
rm "$STATE/logs"
mv "$T/logs-real" "$STATE/logs"

# --- upgrade: a state dir of the old layout (logs/ID.out, jobqd's files) ------
# Made from this one: every output file back into logs/ as the version
# before issue 9 kept them (owned by jobqd's uid), A's job's included; plus
# the file of a job the database does not know and an old-layout symlink.
start_daemon
u=$(submit -- sh -c 'echo upgraded')
wait_ended "$u"
a=$(submit --delay 1h -- sh -c 'echo out of A')
stop_daemon
sql "UPDATE jobs SET owner_uid = $A, not_before = 0 WHERE id = $a"
start_daemon
wait_ended "$a"
assert_eq "$(job_state "$a")" succeeded "state of A's job $a (before the upgrade)"
stop_daemon
for d in "$STATE/logs"/*/; do
	mv "$d"* "$STATE/logs/" 2>/dev/null
	rmdir "$d"
done
chown 0:0 "$STATE/logs"/*
ls -A "$STATE/logs" >"$T/old-layout"
if ! grep -qx "$a.out" "$T/old-layout" || ! grep -qx "$u.err" "$T/old-layout"; then
	fail "the old layout was not made: $(cat "$T/old-layout")"
fi
echo "no job" >"$STATE/logs/900.out"
ln -s "$T/victim" "$STATE/logs/899.out"
start_daemon
grep -q "moved .* output file(s) of the old layout into per-user directories" "$LOG" ||
	fail "jobqd did not say it moved the old layout"
assert_eq "$(mode_owner "$STATE/logs/$A")" "700 $A" "logs/$A made by the upgrade"
assert_eq "$(mode_owner "$STATE/logs/$A/$a.out")" "600 $A" "A's file moved and handed to A"
assert_eq "$(mode_owner "$STATE/logs/0/$u.err")" "600 0" "root's file moved"
assert_eq "$(q logs "$u")" upgraded "jobq logs after the upgrade"
assert_eq "$(q logs "$a")" "out of A" "jobq logs of A's job after the upgrade"
[ -z "$(find "$STATE/logs" -maxdepth 1 -type f ! -name 900.out)" ] ||
	fail "files left in logs/: $(ls -A "$STATE/logs")"
assert_eq "$(cat "$STATE/logs/900.out")" "no job" "the file of a job the database does not know"
[ -L "$STATE/logs/899.out" ] || fail "the old-layout symlink was moved or removed"
assert_eq "$(cat "$T/victim")" precious "the target of the old-layout symlink"
n=$(submit -- true)
assert_eq "$n" 901 "the id after the files left in logs/ (the id floor reads logs/ too)"
wait_ended "$n"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "mu-outputs: ok"
