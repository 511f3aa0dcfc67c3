#!/usr/bin/env bash
# cli-pipeline.sh - what one jobq run costs on the wire and at start-up:
# jobq links libjobq's code statically (no libjobq.so loaded, nothing probed
# along an rpath), does not link ncursesw or libtinfo (jobq top loads them
# with dlopen: no DT_NEEDED for them), sends hello and its request in ONE write and reads both
# replies; a daemon that refuses the hello gets the hello's error reported,
# not the request's; jobq stats and jobq queue list send one request each;
# a submit still carries the caller's umask (read with umask() by the
# one-threaded jobq).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

# The binary, not a libtool wrapper script (jobq links no libtool library).
head -c 4 "$JOBQ" | grep ELF >/dev/null || fail "$JOBQ is not an ELF executable (a libtool wrapper?)"
deps=$(ldd "$JOBQ" 2>&1) || fail "ldd $JOBQ failed: $deps"
[[ $deps != *libjobq* ]] || fail "jobq loads libjobq.so: $deps"
# ncursesw only when jobq top runs (client/top_curses.c)
if command -v readelf >/dev/null; then
	needed=$(readelf -d "$JOBQ") || fail "readelf -d $JOBQ failed"
	grep -q '(NEEDED)' <<<"$needed" || fail "readelf -d $JOBQ shows no NEEDED entry at all: $needed"
	! grep -Eqi '\(NEEDED\).*(curses|tinfo)' <<<"$needed" ||
		fail "jobq is linked with ncurses/tinfo: $(grep NEEDED <<<"$needed")"
else
	log "no readelf: the check that jobq does not link ncurses is skipped"
fi

start_daemon

# One write carries hello and submit; the replies of both are read.
# Under AddressSanitizer LeakSanitizer cannot run traced (it stops the
# process with ptrace itself), and the runtime opens files of its own;
# ThreadSanitizer's runtime writes to descriptors of its own.
if [[ $deps == *libasan* || $deps == *libtsan* ]]; then
	log "sanitizer build: the one-write check under strace is skipped"
elif command -v strace >/dev/null; then
	# -s and --queue given: jobq.conf (jobq(1), FILES) is not even looked
	# for, as no value of it is needed.
	strace -f -o "$T/strace" -e trace=write,writev,sendto,sendmsg,openat \
		"$JOBQ" -s "$SOCK" submit --queue default -- true >"$T/id" 2>"$T/err" ||
		fail "jobq submit under strace failed: $(cat "$T/err")"
	id=$(cat "$T/id")
	[[ $id =~ ^[0-9]+$ ]] || fail "submit printed [$id]"
	socket_writes=$(grep -cE '^[0-9]+ +(sendto|sendmsg|writev)\(3,|^[0-9]+ +write\(3,' "$T/strace")
	assert_eq "$socket_writes" 1 "writes to the socket for one submit ($(grep -E 'sendto|sendmsg|write' "$T/strace"))"
	grep -E 'sendto\(3, .*"op\\":\\"hello\\".*' "$T/strace" >/dev/null ||
		fail "the one write does not start with hello: $(grep sendto "$T/strace")"
	grep -E 'libjobq|ENOENT|jobq\.conf' "$T/strace" | grep -v ld.so >"$T/probes" || true
	[ ! -s "$T/probes" ] || fail "jobq probed for files at start-up: $(cat "$T/probes")"
	wait_ended "$id"
	assert_eq "$(job_state "$id")" succeeded "job $id submitted with the pipelined hello"
	# A plain submit needs jobq.conf's queue: it opens the system's and the
	# user's jobq.conf (the only files it looks for), and nothing else.
	XDG_CONFIG_HOME="$T/xdg" strace -f -o "$T/strace2" -e trace=openat,open,stat,access \
		"$JOBQ" -s "$SOCK" submit -- true >"$T/id" 2>"$T/err" ||
		fail "plain jobq submit under strace failed: $(cat "$T/err")"
	grep -E 'libjobq|ENOENT|jobq\.conf' "$T/strace2" | grep -v ld.so >"$T/probes" || true
	grep -vE "\"(${JOBQ_SYSCONFDIR:?}/jobq|$T/xdg/jobq)/jobq\.conf\"" "$T/probes" >"$T/other" || true
	[ ! -s "$T/other" ] || fail "a plain submit probed for other files: $(cat "$T/other")"
	assert_eq "$(wc -l <"$T/probes")" 2 "files a plain submit looks for ($(cat "$T/probes"))"
	wait_ended "$(cat "$T/id")"
	# stats (counts, usage and Slurm) and queue list (with its usage line)
	# are one request each, in the one write with hello
	for cmd in stats "queue list"; do
		# shellcheck disable=SC2086 # "queue list" is two words
		strace -f -o "$T/strace3" -e trace=write,writev,sendto,sendmsg \
			"$JOBQ" -s "$SOCK" $cmd >"$T/out" 2>"$T/err" ||
			fail "jobq $cmd under strace failed: $(cat "$T/err")"
		grep -q "used of" "$T/out" || fail "jobq $cmd printed no usage line: $(cat "$T/out")"
		socket_writes=$(grep -cE '^[0-9]+ +(sendto|sendmsg|writev)\(3,|^[0-9]+ +write\(3,' "$T/strace3")
		assert_eq "$socket_writes" 1 "writes to the socket for jobq $cmd ($(grep -E 'sendto|sendmsg|write\(3' "$T/strace3"))"
	done
else
	log "strace not installed: the one-write check is skipped"
fi

# ping and list work the same way.
assert_rc 0 "ping" q ping
assert_rc 0 "list" q list

# The umask reaches the job.
id=$( (umask 027 && q submit --wait -- sh -c umask)) || fail "submit --wait of umask"
assert_eq "$(q logs "$id")" 0027 "the job's umask"
id=$( (umask 002 && q submit --wait -- sh -c umask)) || fail "submit --wait of umask"
assert_eq "$(q logs "$id")" 0002 "the job's umask"
stop_daemon

# A daemon that refuses the hello (as jobqd does for another protocol
# version: an error reply, then the connection closed): jobq reports the
# hello's error and exit status, and the fake saw the request only because
# it came in the same write.
python3 - "$T/fake.sock" "$T/fake.out" <<'EOF' &
import json, os, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
open(path + ".ready", "w").close()
c, _ = s.accept()
buf = b""
frames = []
c.settimeout(5)
def frame():
    global buf
    while len(buf) < 4:
        buf += c.recv(65536)
    n = struct.unpack(">I", buf[:4])[0]
    while len(buf) < 4 + n:
        buf += c.recv(65536)
    f, buf = buf[4:4 + n], buf[4 + n:]
    return json.loads(f)
frames.append(frame()["op"])
# what else arrived with it, without waiting for more
c.setblocking(False)
try:
    buf += c.recv(65536)
except BlockingIOError:
    pass
if len(buf) >= 4:
    frames.append(frame()["op"])
rep = json.dumps({"ok": False, "error": {"code": "version", "message": "fake: protocol 1 is not spoken here"}}).encode()
c.sendall(struct.pack(">I", len(rep)) + rep)
c.close()
open(out, "w").write(" ".join(frames) + "\n")
EOF
FAKE=$!
wait_for 10 "the fake daemon" file_exists "$T/fake.sock.ready"
"$JOBQ" -s "$T/fake.sock" submit -- true >"$T/out" 2>"$T/err"
rc=$?
wait "$FAKE" || fail "the fake daemon failed"
assert_ne "$rc" 0 "exit status of a submit whose hello was refused"
grep -q 'fake: protocol 1 is not spoken here' "$T/err" || fail "jobq did not report the hello's error: $(cat "$T/err")"
assert_eq "$(cat "$T/fake.out")" "hello submit" "frames the fake daemon received at once"
[ ! -s "$T/out" ] || fail "jobq printed an id for a refused hello: $(cat "$T/out")"
