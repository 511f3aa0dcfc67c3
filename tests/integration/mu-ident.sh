#!/usr/bin/env bash
# mu-ident.sh - a root jobqd runs each job as its submitter (jobqd(8)
# "Identity"), with two test users that have distinct supplementary groups:
# A's job has A's uid, gid and groups exactly, A's umask, only fds 0-2, no
# blocked or ignored signals and exactly the environment A sent (none of
# jobqd's); --clean-env gives exactly A's login-like set; B cannot get a job
# to run as anyone else (--user, --group, a crafted frame with uid members:
# refused or ignored, nothing created); LD_PRELOAD and IFS in a job's
# environment affect only the job (run as its user); root --user/--group;
# an unprivileged jobqd (run as A) still refuses B.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ "$(id -u)" = 0 ] || skip "needs root (creates users, runs a root jobqd)"
for c in useradd userdel groupadd groupdel setpriv getent python3 sqlite3; do
	command -v "$c" >/dev/null || skip "needs $c"
done

UA=jqt_ident_a
UB=jqt_ident_b
G1=jqt_ident_g1
G2=jqt_ident_g2
G3=jqt_ident_g3
UA_JOBQD=
ident_cleanup() {
	# A's jobqd first: userdel refuses a user with processes
	if [ -n "$UA_JOBQD" ]; then
		kill -KILL "$UA_JOBQD" 2>/dev/null
		wait "$UA_JOBQD" 2>/dev/null
		UA_JOBQD=
	fi
	userdel "$UA" 2>/dev/null
	userdel "$UB" 2>/dev/null
	groupdel "$G1" 2>/dev/null
	groupdel "$G2" 2>/dev/null
	groupdel "$G3" 2>/dev/null
	return 0
}
trap 'rc=$?; ident_cleanup; (exit $rc); cleanup' EXIT
ident_cleanup	# what a killed earlier run left
groupadd "$G1" && groupadd "$G2" && groupadd "$G3" ||
	fail "groupadd failed"
# A: primary G1, supplementary G2; B: primary G3.  No home directories.
useradd -M -d "/home/$UA" -s /bin/sh -g "$G1" -G "$G2" "$UA" &&
	useradd -M -d "/home/$UB" -s /bin/sh -g "$G3" "$UB" ||
	fail "useradd failed"
UID_A=$(id -u "$UA")
UID_B=$(id -u "$UB")
GID_G1=$(getent group "$G1" | cut -d: -f3)
GID_G2=$(getent group "$G2" | cut -d: -f3)
GID_G3=$(getent group "$G3" | cut -d: -f3)
chmod 0755 "$T"

# as USER CMD...: CMD as USER (uid, primary gid, groups from the group
# database), with an environment of PATH and IDENT_T only, in /.
as() {
	local u=$1
	shift
	(cd / && exec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
		env -i PATH=/usr/bin:/bin IDENT_T=1 "$@")
}
qa() { as "$UA" "$JOBQ" -s "$SOCK" "$@"; }
qb() { as "$UB" "$JOBQ" -s "$SOCK" "$@"; }
as "$UB" "$JOBQ" --help >/dev/null 2>&1 || skip "jobq is not executable by a test user"
sorted() { tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' '; }
njobs() { sql "SELECT count(*) FROM jobs"; }

# jobqd with a marker in its environment and SIGUSR2 ignored, for the job
# to not inherit.
trap '' USR2
JQT_IDENT_DAEMON_MARKER=from-jobqd start_daemon
trap - USR2
grep -q JQT_IDENT_DAEMON_MARKER "/proc/$JOBQD_PID/environ" || fail "jobqd without its marker (control)"
chmod 0666 "$SOCK"	# until a --socket-mode exists

# logs_of ID: the job's stdout (read as root, who may read any).
logs_of() { q logs "$1"; }

# --- A's identity, umask, descriptors, signals, environment -------------------
# The signals are read by the job's own process (its shell exec'd into grep
# reading /proc/self): a shell's mask read from a child while it waits is
# dash's, which blocks every signal around its wait.
j=$(as "$UA" sh -c "umask 027; exec \"$JOBQ\" -s \"$SOCK\" submit --wait -- /bin/sh -c '
	echo uid \$(id -u); echo gid \$(id -g); echo groups \$(id -G)
	echo umask \$(umask); echo fds-begin; ls /proc/\$\$/fd; echo fds-end
	exec grep -E \"^Sig(Blk|Ign):\" /proc/self/status'" | head -n 1)
[[ $j =~ ^[0-9]+$ ]] || fail "A's submit printed [$j], not an id"
out=$(logs_of "$j")
line() { sed -n "s/^$1 //p" <<<"$out"; }
assert_eq "$(line uid)" "$UID_A" "uid of A's job"
assert_eq "$(line gid)" "$GID_G1" "gid of A's job"
assert_eq "$(line groups | sorted)" "$(id -G "$UA" | sorted)" "groups of A's job"
assert_eq "$(line groups | sorted)" "$(printf '%s\n' "$GID_G1" "$GID_G2" | sorted)" "groups of A's job (G1 G2)"
assert_eq "$(line umask)" 0027 "umask of A's job (submitted under umask 027)"
assert_eq "$(sed -n '/^fds-begin$/,/^fds-end$/p' <<<"$out" | grep -v fds | tr '\n' ' ')" "0 1 2 " "descriptors of A's job (its shell's)"
assert_eq "$(grep -c ':[[:space:]]*0*$' <<<"$(grep -E '^Sig(Blk|Ign):' <<<"$out")")" 2 "blocked and ignored signals of A's job: $(grep Sig <<<"$out")"
assert_eq "$(show_field "$j" owner_uid)" "$UID_A" "owner of A's job"
assert_eq "$(show_field "$j" submitter_uid)" "$UID_A" "submitter of A's job"
assert_eq "$(show_field "$j" umask)" 23 "umask of A's job as shown (027)"
assert_eq "$(show_field "$j" user)" "$UA" "user name of A's job (show --json)"
assert_eq "$(show_field "$j" group)" "$G1" "group name of A's job (show --json)"
j=$(qa submit --wait -- /usr/bin/env) || fail "A's env job failed"
# exactly what A's jobq sent (stored with the job; libtool's wrapper of an
# uninstalled jobq adds a few), nothing of jobqd's
sent=$(sql "SELECT e.env FROM jobs j JOIN envs e ON e.id = j.env_id WHERE j.id = $j" | python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))')
assert_eq "$(logs_of "$j" | sort)" "$sent" "environment of A's job: exactly what A sent"
grep -q '^IDENT_T=1$' <<<"$sent" || fail "A's environment was not sent: $sent"
! grep -q JQT_IDENT_DAEMON_MARKER <<<"$(logs_of "$j")" || fail "jobqd's environment leaked into A's job"

# --- --clean-env: the login-like set of A -------------------------------------
j=$(qa submit --clean-env --wait -- /usr/bin/env) || fail "A's --clean-env job failed"
assert_eq "$(logs_of "$j" | sort)" "$(printf '%s\n' "HOME=/home/$UA" "LOGNAME=$UA" \
	"PATH=/usr/local/bin:/usr/bin:/bin" "SHELL=/bin/sh" "USER=$UA" | sort)" "environment of A's --clean-env job"

# --- B cannot run as anyone else ---------------------------------------------
n0=$(njobs)
assert_rc 1 "B submits --user A" qb submit --user "$UA" -- true
grep -q "only root may submit jobs as another user" "$T/err" ||
	fail "B's --user refusal: message [$(cat "$T/err")]"
assert_rc 1 "B submits --group G1" qb submit --group "$G1" -- true
grep -qi "permission" "$T/err" || fail "B's --group refusal: message [$(cat "$T/err")]"
assert_rc 1 "B submits --user root --group 0" qb submit --user root --group 0 -- true
assert_eq "$(njobs)" "$n0" "jobs after B's refused submits"

# A crafted frame: members naming a uid are ignored, "user" is refused.
as "$UB" python3 - "$SOCK" "$UID_B" >"$T/crafted.out" <<'EOF' || fail "crafted frames: $(cat "$T/crafted.out")"
import json, socket, struct, sys
SOCK, UID_B = sys.argv[1], int(sys.argv[2])

def call(s, obj):
    b = json.dumps(obj).encode()
    s.sendall(struct.pack(">I", len(b)) + b)
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c:
            raise SystemExit("EOF")
        h += c
    n = struct.unpack(">I", h)[0]
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            raise SystemExit("EOF")
        d += c
    return json.loads(d)

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(SOCK)
call(s, {"op": "hello", "version": 1})
sub = {"op": "submit", "argv": ["/bin/sh", "-c", "id -u; id -g"], "env": [],
       "cwd": "/", "uid": 0, "owner_uid": 0, "submitter_uid": 0, "gid": 0,
       "run_uid": 0, "run_gid": 0, "euid": 0}
r = call(s, sub)
if not r.get("ok"):
    raise SystemExit("crafted submit refused: %r" % r)
jid = r["id"]
r = call(s, {"op": "wait", "id": jid})
job = r.get("job", {})
if job.get("owner_uid") != UID_B or job.get("state") != "succeeded":
    raise SystemExit("crafted job %d: %r" % (jid, r))
sub["user"] = "root"
r = call(s, sub)
if r.get("ok") or r.get("error", {}).get("code") != "permission":
    raise SystemExit("crafted submit with user root: %r" % r)
del sub["user"]
sub["group"] = "0"
r = call(s, sub)
if r.get("ok") or r.get("error", {}).get("code") != "permission":
    raise SystemExit("crafted submit with group 0: %r" % r)
print(jid)
EOF
j=$(cat "$T/crafted.out")
assert_eq "$(logs_of "$j" | tr '\n' ' ')" "$UID_B $(id -g "$UB") " "uid and gid of B's crafted job"
assert_eq "$(njobs)" "$((n0 + 1))" "jobs after B's crafted frames (one accepted)"

# --- LD_PRELOAD and IFS affect only the job, as its user ----------------------
if command -v gcc >/dev/null; then
	mkdir -m 1777 "$T/pre"
	cat >"$T/pre.c" <<EOF
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void pre(void)
{
	char p[512];
	snprintf(p, sizeof p, "$T/pre/made-by-%ld", (long)geteuid());
	close(open(p, O_WRONLY | O_CREAT, 0644));
}
EOF
	gcc -shared -fPIC -o "$T/pre.so" "$T/pre.c" || fail "cannot build the preload library"
	chmod 0644 "$T/pre.so"
	j=$(qa submit --env LD_PRELOAD="$T/pre.so" --env IFS=/ --wait -- /bin/sh -c 'id -u') ||
		fail "A's LD_PRELOAD job failed"
	assert_eq "$(logs_of "$j")" "$UID_A" "uid of A's LD_PRELOAD job"
	[ -e "$T/pre/made-by-$UID_A" ] || fail "the preload library did not run in A's job (control)"
	[ ! -e "$T/pre/made-by-0" ] || fail "a root process loaded A's LD_PRELOAD"
	# jobqd and its workers go on: the next job runs.
	j=$(qa submit --wait -- /bin/true) || fail "a job after the LD_PRELOAD job failed"
	[ ! -e "$T/pre/made-by-0" ] || fail "a root process loaded A's LD_PRELOAD (later)"
else
	log "LD_PRELOAD check skipped: no gcc"
fi

# --- root --user / --group -----------------------------------------------------
j=$(submit --user "$UA" --wait -- /bin/sh -c 'echo $(id -u) $(id -g); id -G') ||
	fail "root's --user A job failed"
assert_eq "$(logs_of "$j" | head -n 1)" "$UID_A $GID_G1" "uid and gid of root's --user A job"
assert_eq "$(logs_of "$j" | tail -n 1 | sorted)" "$(id -G "$UA" | sorted)" "groups of root's --user A job"
assert_eq "$(show_field "$j" owner_uid)" "$UID_A" "owner of root's --user A job"
assert_eq "$(show_field "$j" submitter_uid)" 0 "submitter of root's --user A job"
assert_eq "$(qa --json show "$j" | jf owner_uid)" "$UID_A" "A sees the job root submitted for her"
q show "$j" | grep -E "^submitter: +0 \(root\)" >/dev/null || fail "jobq show: no submitter line: $(q show "$j")"
# --group G3 (A is not a member): allowed for root; by number too
j=$(submit --user "$UID_A" --group "$G3" --wait -- /bin/sh -c 'echo $(id -u) $(id -g)') ||
	fail "root's --user UID --group G3 job failed"
assert_eq "$(logs_of "$j")" "$UID_A $GID_G3" "uid and gid of --user $UID_A --group $G3"
assert_eq "$(show_field "$j" gid)" "$GID_G3" "gid of the job as shown"
q show "$j" | grep -E "^group: +$GID_G3 \($G3\)" >/dev/null || fail "jobq show: group line: $(q show "$j")"
# --group alone: root's job with that primary group
j=$(submit --group "$GID_G2" --wait -- /bin/sh -c 'echo $(id -u) $(id -g)') ||
	fail "root's --group job failed"
assert_eq "$(logs_of "$j")" "0 $GID_G2" "uid and gid of root's --group $GID_G2 job"
assert_rc 1 "--user of no user" q submit --user jqt_ident_nobody_here -- true
grep -q "no such user" "$T/err" || fail "--user of no user: message [$(cat "$T/err")]"

# --- an unprivileged jobqd (run as A) still refuses B -------------------------
mkdir -m 0755 "$T/ua" && chown "$UA" "$T/ua"
(cd / && exec setpriv --reuid="$UA" --regid="$GID_G1" --init-groups env -i \
	"$JOBQD" --socket "$T/ua/sock" --state-dir "$T/ua/state" --workers 1 \
	2>>"$LOG" </dev/null) &
UA_JOBQD=$!
EXTRA_PIDS="$EXTRA_PIDS $UA_JOBQD"
ua_ready() { as "$UA" "$JOBQ" -s "$T/ua/sock" ping >/dev/null 2>&1; }
wait_for 10 "jobqd run by A to answer" ua_ready
chmod 0666 "$T/ua/sock"
j=$(as "$UA" "$JOBQ" -s "$T/ua/sock" submit --wait -- /usr/bin/id -u) || fail "A's job on A's jobqd"
n1=$(sqlite3 "$T/ua/state/jobq.db" "SELECT count(*) FROM jobs")
# jobq itself will not use a socket of another user: raw frames.
cat >"$T/frame.py" <<'EOF'
import json, socket, struct, sys
# frame.py SOCK JSON: sends hello and one request, prints the reply.
def call(s, obj):
    b = json.dumps(obj).encode()
    s.sendall(struct.pack(">I", len(b)) + b)
    h = b""
    while len(h) < 4:
        h += s.recv(4 - len(h)) or sys.exit("EOF")
    n = struct.unpack(">I", h)[0]
    d = b""
    while len(d) < n:
        d += s.recv(n - len(d)) or sys.exit("EOF")
    return json.loads(d)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
call(s, {"op": "hello", "version": 1})
print(json.dumps(call(s, json.loads(sys.argv[2]))))
EOF
req='{"op":"submit","argv":["/bin/true"],"env":[],"cwd":"/"}'
r=$(as "$UB" python3 "$T/frame.py" "$T/ua/sock" "$req") || fail "B's frame to A's jobqd: $r"
assert_eq "$(jf ok error.code <<<"$r" | tr '\n' ' ')" "false permission " "B's submit to A's jobqd: $r"
r=$(python3 "$T/frame.py" "$T/ua/sock" '{"op":"submit","argv":["/bin/true"],"env":[],"cwd":"/","user":"'"$UB"'"}') ||
	fail "root's frame to A's jobqd: $r"
assert_eq "$(jf ok error.code <<<"$r" | tr '\n' ' ')" "false permission " "root's --user B on A's jobqd: $r"
assert_match "$(jf error.message <<<"$r")" "not root" "root's --user B on A's jobqd: message"
assert_eq "$(sqlite3 "$T/ua/state/jobq.db" "SELECT count(*) FROM jobs")" "$n1" "jobs on A's jobqd after the refusals"
# root's job on A's jobqd runs as A (no switch)
r=$(python3 "$T/frame.py" "$T/ua/sock" '{"op":"submit","argv":["/usr/bin/id","-u"],"env":[],"cwd":"/"}') ||
	fail "root's frame to A's jobqd: $r"
j2=$(jf id <<<"$r")
[[ $j2 =~ ^[0-9]+$ ]] || fail "root's submit to A's jobqd: $r"
as "$UA" "$JOBQ" -s "$T/ua/sock" wait "$j2" >/dev/null || fail "root's job on A's jobqd failed"
assert_eq "$(as "$UA" "$JOBQ" -s "$T/ua/sock" logs "$j2")" "$UID_A" "uid of root's job on A's jobqd"

echo "mu-ident: ok"
