#!/usr/bin/env bash
# deb.sh - the Debian packages of debian/, built and installed for real.
#
# 1. Copies the source tree (git's tracked files as they are in the work
#    tree, or the whole $JOBQ_SRCDIR without build dirs) to $T/build/src and
#    runs `DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b` there
#    (log in $T/build.log, its tail shown on failure).  This is the bulk of
#    the run time: configure + make, about 2 minutes on 2 cores (about 4
#    in all, with lintian and the install).
# 2. Checks that jobq, libjobq2 and libjobq-dev exist and hold what they
#    must (dpkg-deb -c), that jobq depends on libncursesw6 (jobq top
#    dlopen()s it), and runs lintian on the .changes where lintian is
#    installed: an error (E:) fails, warnings are printed.
# 3. Installs the three packages in a throwaway root: in a private mount
#    namespace (unshare -m), an overlayfs over / whose upper layer is a
#    tmpfs, chrooted into, so dpkg writes only into the tmpfs and the host
#    is never touched (the namespace and its mounts vanish at the end).  In
#    there (tests/integration/deb-inner.sh): dpkg -i, the postinst's work
#    checked, jobqd started the way jobqd.service would (no systemd as PID 1
#    here: its StateDirectory=/RuntimeDirectory= made as the unit says, its
#    ExecStart= line run), `jobq submit --wait` and a program built from
#    libjobq-dev's example against it, jobqd stopped, dpkg --purge, and
#    nothing of the packages left.
# Skips when JOBQ_DEB_TEST=skip, when dpkg-buildpackage, debhelper or fakeroot are missing; the
# install part needs root, unshare and overlayfs (skipped without them,
# after the build checks have run).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

SRC=${JOBQ_SRCDIR:-$(cd "$(dirname "${TESTLIB:-$0}")/../.." && pwd)}
HERE=$(cd "$(dirname "${TESTLIB:-$0}")" && pwd)

# scripts/check.sh sets JOBQ_DEB_TEST=skip for its second (ASan) pass: the
# packages do not depend on the build the suite runs in.
[ "${JOBQ_DEB_TEST:-}" != skip ] || skip "JOBQ_DEB_TEST=skip (the packages are tested in another pass)"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (apt-get install dpkg-dev)"
command -v dh >/dev/null || skip "debhelper is not installed (apt-get install debhelper)"
command -v fakeroot >/dev/null || skip "fakeroot is not installed (apt-get install fakeroot)"
[ -f "$SRC/debian/rules" ] || skip "no debian/ in $SRC (a dist tarball does not ship it)"
# The build dependencies (debian/control) without the <!nocheck> ones.
if ! (cd "$SRC" && dpkg-checkbuilddeps -P nocheck) >"$T/deps" 2>&1; then
	skip "build dependencies missing: $(cat "$T/deps")"
fi

# --- 1. build ---------------------------------------------------------------
B=$T/build
mkdir -p "$B/src"
if [ -e "$SRC/.git" ] && command -v git >/dev/null &&
	git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	# Tracked files with their work-tree content (uncommitted edits
	# included), so what is tested is what would be committed.
	(cd "$SRC" && git ls-files -z | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf -) | tar -xf - -C "$B/src" ||
		fail "could not copy the tracked files of $SRC"
else
	tar -C "$SRC" --exclude='./_b*' --exclude='./_build*' --exclude=./debian/build \
		--exclude=./autom4te.cache --exclude='*.o' --exclude='*.lo' -cf - . |
		tar -xf - -C "$B/src" || fail "could not copy $SRC"
fi

log "dpkg-buildpackage in $B/src (log: $T/build.log)"
start=$(date +%s)
if ! (cd "$B/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 </dev/null; then
	tail -n 40 "$T/build.log" >&2
	fail "dpkg-buildpackage -us -uc -b failed (log: $T/build.log)"
fi
log "build took $(($(date +%s) - start)) s"

VER=$(cd "$B/src" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
CHANGES=$B/jobq_${VER}_$ARCH.changes
[ -f "$CHANGES" ] || fail "no $CHANGES after the build"
DEBS=()
for p in jobq libjobq2 libjobq-dev; do
	f=$B/${p}_${VER}_$ARCH.deb
	[ -f "$f" ] || fail "package $p was not built (no $f)"
	DEBS+=("$f")
	dpkg-deb -c "$f" | awk '{print $6}' | sed 's|^\./|/|' >"$T/$p.list" ||
		fail "dpkg-deb -c $f"
done

# --- 2. contents ------------------------------------------------------------
has() { # has PKG PATH
	grep -qxF -- "$2" "$T/$1.list" || fail "package $1 lacks $2 (dpkg-deb -c: $T/$1.list)"
}
lacks() { # lacks PKG ERE
	! grep -qE -- "$2" "$T/$1.list" || fail "package $1 has $(grep -E -- "$2" "$T/$1.list" | head -n 1)"
}
for f in /usr/sbin/jobqd /usr/bin/jobq \
	/lib/systemd/system/jobqd.service /lib/systemd/system/jobqd.socket \
	/usr/lib/systemd/user/jobqd.service /usr/lib/systemd/user/jobqd.socket \
	/usr/share/man/man1/jobq.1.gz /usr/share/man/man8/jobqd.8.gz \
	/usr/share/man/man5/jobqd.conf.5.gz /usr/share/man/man7/jobq-protocol.7.gz \
	/usr/share/doc/jobq/copyright /usr/share/doc/jobq/changelog.gz \
	/usr/share/bash-completion/completions/jobq /usr/share/zsh/vendor-completions/_jobq \
	/usr/share/fish/vendor_completions.d/jobq.fish; do
	has jobq "$f"
done
lacks jobq 'libjobq|/usr/include/'
# jobq top dlopen()s ncursesw, which dpkg-shlibdeps cannot see: debian/control
# names the runtime package itself.
deps=$(dpkg-deb -f "$B/jobq_${VER}_$ARCH.deb" Depends) || fail "dpkg-deb -f jobq Depends"
[[ ", $deps," == *", libncursesw6"[,\ ]* ]] || fail "jobq does not depend on libncursesw6 (jobq top loads it): Depends: $deps"
has libjobq2 "/usr/lib/$MA/libjobq.so.2"
grep -qE "^/usr/lib/$MA/libjobq\.so\.2\.[0-9]+\.[0-9]+$" "$T/libjobq2.list" ||
	fail "libjobq2 lacks the real file libjobq.so.2.X.Y"
lacks libjobq2 '\.a$|\.la$|/include/|\.pc$|libjobq\.so$|/sbin/|/bin/'
for f in /usr/include/jobq.h /usr/include/jobq_version.h "/usr/lib/$MA/libjobq.a" \
	"/usr/lib/$MA/libjobq.so" "/usr/lib/$MA/pkgconfig/libjobq.pc" \
	/usr/share/man/man3/libjobq.3.gz; do
	has libjobq-dev "$f"
done
grep -qE '^/usr/share/doc/libjobq-dev/examples/submit-wait\.c(\.gz)?$' "$T/libjobq-dev.list" ||
	fail "libjobq-dev lacks the example submit-wait.c"
lacks libjobq-dev '\.la$|libjobq\.so\.2'
# The .so symlink of -dev points at a file of libjobq2 (libtool links it
# to the real file, libjobq.so.2.X.Y).
link=$(dpkg-deb -c "$B/libjobq-dev_${VER}_$ARCH.deb" | awk '$6 == "./usr/lib/'"$MA"'/libjobq.so" {print $8}')
{ [ -n "$link" ] && grep -qxF "/usr/lib/$MA/$link" "$T/libjobq2.list"; } ||
	fail "libjobq-dev's libjobq.so points to '$link', not a file of libjobq2"
log "package contents: ok"

if command -v lintian >/dev/null; then
	# lintian exits non-zero on errors; the E: lines decide, not its status.
	lintian --display-level '>=pedantic' "$CHANGES" >"$T/lintian.out" 2>&1
	if [ -s "$T/lintian.out" ]; then
		log "lintian says:"
		sed 's/^/#   /' "$T/lintian.out" >&2
	else
		log "lintian: nothing to say"
	fi
	! grep -q '^E: ' "$T/lintian.out" || fail "lintian reports errors (above)"
else
	log "lintian is not installed: lintian check SKIPPED"
fi

# --- 3. install in a throwaway root -------------------------------------------
[ "$(id -u)" = 0 ] || skip "build and contents ok; installing needs root (a private mount namespace)"
command -v unshare >/dev/null || skip "build and contents ok; unshare(1) is not installed"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip "build and contents ok; no overlayfs in this kernel"

# host_state: the host's dpkg status of the three packages.
host_state() { dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' jobq libjobq2 libjobq-dev 2>&1; }
HOST_BEFORE=$(host_state)
mkdir -p "$T/root"
# Everything below runs in a new mount namespace: the overlay, the chroot's
# /proc, /dev, /run and /tmp are invisible to the host and unmounted with it.
# The upper layer is a tmpfs: nothing dpkg writes reaches the host's disk.
# shellcheck disable=SC2016
unshare -m --propagation private bash -c '
	set -e
	R=$1; inner=$2; shift 2
	mount -t tmpfs -o size=512m,mode=0755 jobq-deb-test "$R"
	mkdir "$R/upper" "$R/work" "$R/merged"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/merged"
	M=$R/merged
	mount -t proc proc "$M/proc"
	mount --rbind /dev "$M/dev"
	mount -t sysfs sysfs "$M/sys" 2>/dev/null || true
	mount -t tmpfs -o mode=0755 run "$M/run"
	mount -t tmpfs -o mode=1777 tmp "$M/tmp"
	mkdir "$M/tmp/debs"
	cp "$@" "$M/tmp/debs/"
	cp "$inner" "$M/tmp/deb-inner.sh"
	# Make sure this really is a throwaway root before dpkg runs in it.
	[ "$(findmnt -n -o FSTYPE "$M")" = overlay ]
	exec chroot "$M" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb bash /tmp/deb-inner.sh /tmp/debs
' deb-root "$T/root" "$HERE/deb-inner.sh" "${DEBS[@]}" >"$T/inner.log" 2>&1
rc=$?
cat "$T/inner.log" >&2
[ "$rc" = 0 ] || fail "install/start/purge in the throwaway root failed (exit $rc)"
grep -q '^deb-inner: all ok$' "$T/inner.log" || fail "the throwaway-root script did not finish"
# The host's dpkg database is as it was: dpkg ran only in the overlay.
[ "$(host_state)" = "$HOST_BEFORE" ] || fail "the host's dpkg state of jobq changed: $(host_state)"
exit 0
