#!/usr/bin/env bash
# deb-inner.sh - run by deb.sh as root inside its throwaway root (a chroot
# into an overlayfs over / in a private mount namespace), never on its own:
# installs the .debs in $1, checks what the maintainer scripts did, runs
# jobqd as jobqd.service would and a job through it, builds and runs
# libjobq-dev's example against it, stops jobqd, purges the packages and
# checks that nothing of them is left.  Last line on success:
#   deb-inner: all ok
set -u
set -o pipefail

DEBS=$1
PKGS=(jobq libjobq2 libjobq-dev)
UNIT=/lib/systemd/system/jobqd.service
PID=
W=/tmp/deb-inner
mkdir -p "$W"

say() { printf 'deb-inner: %s\n' "$*"; }
fail() {
	say "FAIL: $*"
	if [ -s "$W/jobqd.log" ]; then
		say "--- tail of jobqd's stderr ---"
		tail -n 30 "$W/jobqd.log"
	fi
	exit 1
}
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID" 2>/dev/null
		pkill -KILL -P "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
}
trap cleanup EXIT
# ld_knows: the dynamic linker's cache has libjobq.so.2 (no grep -q in a
# pipeline: under pipefail its early exit would fail the pipeline).
ld_knows() { [[ $(ldconfig -p) == *"libjobq.so.2 ("* ]]; }

[ "$(stat -f -c %T /)" = overlayfs ] || fail "/ is not an overlay: refusing to run dpkg here"

# --- install -----------------------------------------------------------------
dpkg -i "$DEBS"/*.deb >"$W/dpkg-i.log" 2>&1 || { cat "$W/dpkg-i.log"; fail "dpkg -i"; }
for p in "${PKGS[@]}"; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	[ "$s" = "install ok installed" ] || fail "$p after dpkg -i: '$s'"
done
say "dpkg -i: ok"

# The postinst (dh_installsystemd's part) enables the system units; the
# per-user ones are installed, not enabled (debian/rules: --no-enable).
for l in /etc/systemd/system/multi-user.target.wants/jobqd.service \
	/etc/systemd/system/sockets.target.wants/jobqd.socket; do
	[ -L "$l" ] || fail "postinst did not enable the unit: no $l"
	[ -f "$(readlink -f "$l")" ] || fail "$l points nowhere"
done
[ ! -e /etc/systemd/user/sockets.target.wants/jobqd.socket ] ||
	fail "the per-user jobqd.socket was enabled"
# No system user: jobqd runs as root and runs each job as its submitter
# (jobqd.service has no User=), so the packaging creates none.
! grep -q '^User=' "$UNIT" || fail "$UNIT has User= but the packaging makes no user"
! getent passwd jobq >/dev/null || fail "a jobq user appeared, which nothing documents"
nf=$(ldd /usr/sbin/jobqd | grep 'not found')
[ -z "$nf" ] || fail "jobqd: $nf"
ld_knows || fail "ldconfig does not know libjobq.so.2 after install"
say "postinst: ok (units enabled, no system user, libjobq.so.2 known)"

# --- jobqd as jobqd.service starts it ------------------------------------------
# systemd would make StateDirectory= and RuntimeDirectory= with their modes
# before ExecStart=; the postinst does not (nor should it), so make them the
# way the unit says.
unitval() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
sd=$(unitval StateDirectory)
sm=$(unitval StateDirectoryMode)
rd=$(unitval RuntimeDirectory)
rm=$(unitval RuntimeDirectoryMode)
{ [ "$sd" = jobq ] && [ "$rd" = jobq ]; } || fail "unexpected StateDirectory=$sd RuntimeDirectory=$rd"
install -d -m "${sm:-0755}" /var/lib/jobq
install -d -m "${rm:-0755}" /run/jobq
exec_start=$(unitval ExecStart)
case $exec_start in
/usr/sbin/jobqd\ *) ;;
*) fail "ExecStart= of the installed unit: '$exec_start'" ;;
esac
# shellcheck disable=SC2086 # the unit's line is split on blanks, as systemd does
$exec_start 2>"$W/jobqd.log" </dev/null &
PID=$!
ok=
for ((i = 0; i < 500; i++)); do
	kill -0 "$PID" 2>/dev/null || { wait "$PID"; fail "jobqd died at start (exit $?)"; }
	if timeout 5 jobq ping >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.02
done
[ -n "$ok" ] || fail "jobqd (ExecStart=$exec_start) did not answer jobq ping within 10 s"
[ -S /run/jobq/jobqd.sock ] || fail "no socket at /run/jobq/jobqd.sock"
say "jobqd started as ExecStart= says: ok"

# The CLI with its defaults (the system socket) against it.
jobq submit --wait -- true >"$W/submit.out" || fail "jobq submit --wait -- true: exit $?"
jobq submit --wait -- sh -c 'exit 3' >>"$W/submit.out"
rc=$?
[ "$rc" = 3 ] || fail "jobq submit --wait of a job exiting 3 gave $rc"
say "jobq submit --wait: ok"
[ -n "$(find /var/lib/jobq -mindepth 1 -print -quit)" ] || fail "nothing in /var/lib/jobq"
[ "$(stat -c %a /var/lib/jobq)" = "${sm#0}" ] || fail "/var/lib/jobq has mode $(stat -c %a /var/lib/jobq)"

# libjobq-dev: its example, built with pkg-config as its comment says.
if command -v cc >/dev/null; then
	ex=/usr/share/doc/libjobq-dev/examples/submit-wait.c
	if [ -f "$ex.gz" ]; then zcat "$ex.gz" >"$W/submit-wait.c"; else cp "$ex" "$W/submit-wait.c"; fi
	# shellcheck disable=SC2046
	cc -o "$W/submit-wait" "$W/submit-wait.c" $(pkg-config --cflags --libs libjobq) \
		>"$W/cc.log" 2>&1 || { cat "$W/cc.log"; fail "building the example against libjobq-dev"; }
	[[ $(ldd "$W/submit-wait") == *"libjobq.so.2 => /"* ]] || fail "the example is not linked to libjobq.so.2"
	out=$("$W/submit-wait" echo from-the-example) || fail "the example exited $?"
	case $out in *from-the-example*) ;; *) fail "the example printed '$out'" ;; esac
	say "libjobq-dev example built and run: ok"
else
	say "no C compiler: libjobq-dev example SKIPPED"
fi

kill -TERM "$PID"
for ((i = 0; i < 750; i++)); do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.02
done
kill -0 "$PID" 2>/dev/null && fail "jobqd did not exit within 15 s of SIGTERM"
wait "$PID"
rc=$?
PID=
[ "$rc" = 0 ] || fail "jobqd exited $rc on SIGTERM"
say "jobqd stopped: ok"

# --- purge -------------------------------------------------------------------
: >"$W/files"
for p in "${PKGS[@]}"; do
	dpkg -L "$p" >>"$W/files" || fail "dpkg -L $p"
done
dpkg --purge "${PKGS[@]}" >"$W/purge.log" 2>&1 || { cat "$W/purge.log"; fail "dpkg --purge"; }
for p in "${PKGS[@]}"; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)
	case $s in "" | "un "*| "pn "*) ;; *) fail "$p after purge: '$s'" ;; esac
done
left=0
while IFS= read -r f; do
	# Directories are shared (/usr/bin, /lib: a link to usr/lib on a
	# merged-/usr system); files and links to files must be gone.
	if [ -e "$f" ] || [ -L "$f" ]; then
		[ -d "$f" ] && continue
		say "left after purge: $f"
		left=$((left + 1))
	fi
done <"$W/files"
[ "$left" = 0 ] || fail "$left files of the packages left after purge"
# debian/jobq.postrm: purge removes the state and runtime directories.
for d in /var/lib/jobq /run/jobq /usr/share/doc/jobq /usr/share/doc/libjobq-dev \
	/etc/systemd/system/multi-user.target.wants/jobqd.service \
	/etc/systemd/system/sockets.target.wants/jobqd.socket; do
	{ [ ! -e "$d" ] && [ ! -L "$d" ]; } || fail "left after purge: $d"
done
if [ -n "$(find /var/lib/systemd/deb-systemd-helper-enabled -name '*jobqd*' 2>/dev/null)" ]; then
	fail "deb-systemd-helper state left: $(find /var/lib/systemd/deb-systemd-helper-enabled -name '*jobqd*')"
fi
ld_knows && fail "ldconfig still lists libjobq.so.2 after purge"
say "dpkg --purge: ok, nothing left"
say "all ok"
