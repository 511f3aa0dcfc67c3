#!/usr/bin/env bash
# check.sh - build jobq and run its whole test suite twice: a normal build in
# _build, then an AddressSanitizer + UBSan build in _build-asan.  Installs the
# build dependencies with apt-get first when some are missing (Debian 12 /
# Ubuntu; sudo only when not root).  The last line of output is
#   N passed, N failed
# summed over both passes; the exit status is non-zero if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

PKGS=(build-essential autoconf automake libtool pkg-config
	libsqlite3-dev libuv1-dev libcjson-dev check sqlite3 python3 procps strace
	systemd) # systemd: systemd-socket-activate for tests/integration/socket-activation.sh

install_deps() {
	local missing=() p
	command -v dpkg-query >/dev/null || { echo "check.sh: not a Debian-like system; install: ${PKGS[*]}" >&2; return 0; }
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "check.sh: installing ${missing[*]}" >&2
	local SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

install_deps || { echo "check.sh: could not install the build dependencies" >&2; echo "0 passed, 1 failed"; exit 1; }

if [ ! -x configure ]; then
	autoreconf -fi || { echo "0 passed, 1 failed"; exit 1; }
fi

# With the mqueue file system mounted, the tests also check that no message
# queue is left behind (it is not mounted in some containers).
if [ "$(id -u)" = 0 ] && ! mountpoint -q /dev/mqueue 2>/dev/null; then
	mkdir -p /dev/mqueue 2>/dev/null && mount -t mqueue none /dev/mqueue 2>/dev/null ||
		echo "check.sh: /dev/mqueue not mounted: queue leak checks skipped" >&2
fi

PASSED=0
FAILED=0

# count DIR: adds the results of the .trs files under DIR.
count() {
	local p f
	p=$(find "$1" -name '*.trs' -exec grep -h '^:test-result:' {} + 2>/dev/null | grep -c -E ':test-result: (PASS|XFAIL)')
	f=$(find "$1" -name '*.trs' -exec grep -h '^:test-result:' {} + 2>/dev/null | grep -c -E ':test-result: (FAIL|XPASS|ERROR)')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	echo "check.sh: $1: $p passed, $f failed" >&2
}

# pass NAME CONFIGURE-ARGS...: configure, build and `make check` in NAME.
pass() {
	local dir=$1
	shift
	echo "=== $dir: configure $*" >&2
	mkdir -p "$dir"
	find "$dir" -name '*.trs' -delete 2>/dev/null
	if ! (cd "$dir" && "$ROOT/configure" -q "$@"); then
		echo "check.sh: $dir: configure failed" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	if ! make -C "$dir" -j"$JOBS" >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		echo "check.sh: $dir: build failed (see $dir/build.log)" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	if ! make -C "$dir" -j"$JOBS" check; then
		echo "check.sh: $dir: make check failed; see $dir/test-suite.log" >&2
		[ -f "$dir/test-suite.log" ] && tail -n 60 "$dir/test-suite.log" >&2
	fi
	if [ -z "$(find "$dir" -name '*.trs' | head -n 1)" ]; then
		echo "check.sh: $dir: no test results" >&2
		FAILED=$((FAILED + 1))
		return
	fi
	count "$dir"
}

# installed: `make install` into a staging dir, then build examples/ with its
# own Makefile, which uses `pkg-config --cflags --libs libjobq` as a user
# would, and run it far enough to show it links against the installed
# library (without a daemon it reports the connect error and exits 125).
installed_example() {
	local dest=$ROOT/_build/destdir rc so lib
	rm -rf "$dest"
	if make -C _build install DESTDIR="$dest" >_build/install.log 2>&1 &&
		PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$(dirname "$(find "$dest" -name libjobq.pc | head -n 1)") \
			make -C examples clean all >_build/example.log 2>&1 &&
		so=$(find "$dest" -name 'libjobq.so.[0-9]' | head -n 1) && [ -n "$so" ] &&
		lib=$(dirname "$so") &&
		LD_LIBRARY_PATH=$lib ldd examples/submit-wait | grep -q "$so" &&
		LD_LIBRARY_PATH=$lib ldd examples/watch-array | grep -q "$so"; then
		LD_LIBRARY_PATH=$lib JOBQ_SOCKET=$dest/nonexistent.sock examples/submit-wait >/dev/null 2>&1
		rc=$?
		make -C examples clean >/dev/null 2>&1
		if [ "$rc" = 125 ]; then
			echo "check.sh: example built against the installed libjobq: ok" >&2
			PASSED=$((PASSED + 1))
			return
		fi
		echo "check.sh: installed example exited $rc without a daemon, expected 125" >&2
	else
		cat _build/install.log _build/example.log 2>/dev/null | tail -n 30 >&2
		make -C examples clean >/dev/null 2>&1
		echo "check.sh: building examples/ against the installed libjobq failed" >&2
	fi
	FAILED=$((FAILED + 1))
}

pass _build
installed_example
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# LeakSanitizer needs ptrace-like access that some containers deny; probe it.
leaks=1
probe=$(mktemp -d)
printf 'int main(void){return 0;}\n' >"$probe/p.c"
if ${CC:-cc} $SAN -o "$probe/p" "$probe/p.c" 2>/dev/null; then
	"$probe/p" >/dev/null 2>&1 || { leaks=0; echo "check.sh: LeakSanitizer unusable here: detect_leaks=0" >&2; }
fi
rm -rf "$probe"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	pass _build-asan CFLAGS="-O1 -g $SAN" LDFLAGS="$SAN"

echo "${PASSED} passed, ${FAILED} failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
