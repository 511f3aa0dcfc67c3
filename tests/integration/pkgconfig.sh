#!/usr/bin/env bash
# pkgconfig.sh - libjobq as installed: `make install DESTDIR=...` from the
# build dir, then the example program examples/submit-wait.c compiled with
# nothing but `pkg-config --cflags --libs libjobq` (PKG_CONFIG_PATH and
# PKG_CONFIG_SYSROOT_DIR point into the staging dir) and run against a live
# jobqd; where the build made a static libjobq.a, linked against it with
# `pkg-config --static` too, which must bring in what libjobq is built on
# (cJSON, Requires.private) while the plain --libs must not be enough.
# The exported functions must be debian/libjobq2.symbols' list.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

: "${JOBQ_BUILDDIR:?JOBQ_BUILDDIR must be the build directory (make check sets it)}"
: "${JOBQ_SRCDIR:?JOBQ_SRCDIR must be the source directory (make check sets it)}"
TEST_CC=${TEST_CC:-cc}
command -v pkg-config >/dev/null || skip "pkg-config is not installed"

DEST=$T/dest
# The parent make's jobserver is not ours: a plain sequential make.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$JOBQ_BUILDDIR" install DESTDIR="$DEST" \
	>"$T/install.log" 2>&1 || fail "make install DESTDIR=$DEST failed: $(tail -n 20 "$T/install.log")"

# one_file DESCRIPTION FIND-ARGS...: the one file find names in $DEST.
one_file() {
	local what=$1 found
	shift
	found=$(find "$DEST" "$@")
	if [ -z "$found" ] || [ "$(printf '%s\n' "$found" | wc -l)" != 1 ]; then
		fail "expected one installed $what, found: [$found]"
	fi
	printf '%s\n' "$found"
}
pc=$(one_file libjobq.pc -name libjobq.pc)
so=$(one_file "libjobq.so.N file" -name 'libjobq.so.*' -type f)
libdir=$(dirname "$so")
[ -L "$libdir/libjobq.so" ] || fail "no libjobq.so development symlink next to $so"
[ -n "$(find "$DEST" -name jobq.h)" ] || fail "jobq.h is not installed"
[ -n "$(find "$DEST" -name jobq_version.h)" ] || fail "jobq_version.h is not installed"

# The exported symbols are exactly the Debian symbols file's (a function
# added to jobq.h must be added there too, and nothing else leaks out).
if command -v nm >/dev/null && [ -f "$JOBQ_SRCDIR/debian/libjobq2.symbols" ]; then
	nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort >"$T/exported"
	awk '/@Base/ { sub(/@Base.*/, "", $1); print $1 }' \
		"$JOBQ_SRCDIR/debian/libjobq2.symbols" | sort >"$T/listed"
	diff "$T/listed" "$T/exported" >"$T/symdiff" ||
		fail "libjobq's exports differ from debian/libjobq2.symbols (< listed only, > exported only): $(cat "$T/symdiff")"
	[ -s "$T/exported" ] || fail "nm found no exported functions in $so"
fi

# pkg-config as a user of a staged install: the staging dir's libjobq.pc,
# its paths under the sysroot; system paths are kept (with --prefix=/usr the
# flags would otherwise be dropped as system ones and the staged header and
# library never found).
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_SYSROOT_DIR=$DEST PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
assert_eq "$(pkg-config --modversion libjobq)" "$JOBQ_VERSION" "pkg-config --modversion libjobq"
cflags=$(pkg-config --cflags libjobq) || fail "pkg-config --cflags libjobq failed"
libs=$(pkg-config --libs libjobq) || fail "pkg-config --libs libjobq failed"
slibs=$(pkg-config --static --libs libjobq) || fail "pkg-config --static --libs libjobq failed"
[[ " $slibs " == *" -lcjson "* ]] || fail "pkg-config --static --libs libjobq lacks -lcjson: [$slibs]"
[[ " $libs " != *" -lcjson "* ]] || fail "pkg-config --libs libjobq names -lcjson (a private dependency): [$libs]"
log "cflags: $cflags"
log "libs: $libs"
log "static libs: $slibs"

# cc_example OUT LIBS...: the example built as a user would, with the
# build's compiler and flags (a sanitizer build's library needs its flags).
cc_example() {
	local out=$1
	shift
	# shellcheck disable=SC2086 # the flags are lists of words
	"$TEST_CC" ${TEST_CPPFLAGS:-} ${TEST_CFLAGS:-} $cflags -Wall -Werror \
		-o "$out" "$JOBQ_SRCDIR/examples/submit-wait.c" ${TEST_LDFLAGS:-} "$@" >"$T/cc.log" 2>&1
}

# run_example PROG LABEL: the program submits through the live jobqd, waits
# for its job and prints the job's output.
run_example() {
	JOBQ_SOCKET=$SOCK assert_rc 0 "$2" timeout $((30 * SLOW)) "$1" sh -c 'echo "installed libjobq says hi"'
	grep -q "installed libjobq says hi" "$T/out" || fail "$2: output lacks the job's output: $(cat "$T/out")"
	JOBQ_SOCKET=$SOCK assert_rc 7 "$2, a failing job" timeout $((30 * SLOW)) "$1" sh -c 'exit 7'
}

start_daemon

# Shared: the program must load the staged libjobq.so.N, not another one.
# shellcheck disable=SC2086
cc_example "$T/dyn" $libs || fail "linking with pkg-config --libs libjobq failed: $(cat "$T/cc.log")"
ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$T/dyn") || fail "ldd $T/dyn failed"
[[ "$ldd_out" == *"libjobq.so."*" => $libdir/libjobq.so."* ]] || fail "the program does not load the staged libjobq from $libdir: $ldd_out"
LD_LIBRARY_PATH=$libdir run_example "$T/dyn" "example linked with the installed libjobq.so"

# Static: libjobq.a alone is taken statically (-Bstatic for -ljobq only;
# cJSON and libc stay shared, Debian ships no static cJSON).
if [ -f "$libdir/libjobq.a" ]; then
	static_only_jobq() { printf '%s ' "${@/#-ljobq/-Wl,-Bstatic -ljobq -Wl,-Bdynamic}"; }
	# shellcheck disable=SC2086
	read -r -a st_libs <<<"$(static_only_jobq $slibs)"
	cc_example "$T/static" "${st_libs[@]}" || fail "static link with pkg-config --static --libs libjobq failed: $(cat "$T/cc.log")"
	ldd_out=$(ldd "$T/static") || fail "ldd $T/static failed"
	[[ "$ldd_out" != *libjobq* ]] || fail "the static program still loads libjobq: $ldd_out"
	[[ "$ldd_out" == *libcjson* ]] || fail "the static program does not load libcjson (from Requires.private): $ldd_out"
	run_example "$T/static" "example linked with the installed libjobq.a"
	# The control: without --static, cJSON is missing from the link.
	# shellcheck disable=SC2086
	read -r -a st_libs <<<"$(static_only_jobq $libs)"
	if cc_example "$T/static-bad" "${st_libs[@]}"; then
		fail "a static link without pkg-config --static succeeded: libjobq.a does not need cJSON?"
	fi
	grep -q cJSON "$T/cc.log" || fail "the static link without --static failed, but not on cJSON: $(cat "$T/cc.log")"
	log "static libjobq.a: linked and ran"
else
	log "no libjobq.a installed (configure without --enable-static): static link not tried"
fi

daemon_alive || fail "jobqd died"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "pkgconfig: ok"
