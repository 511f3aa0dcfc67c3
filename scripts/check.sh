#!/usr/bin/env bash
# check.sh - build jobq and run its whole test suite twice: a normal build in
# _build, then an AddressSanitizer + UBSan build in _build-asan.  Besides:
# examples/ built against the installed libjobq, mandoc -Tlint of the man
# pages, clang's static analyzer over a fresh build (_build-scan: any finding
# fails) and a short run of each fuzz target (tests/fuzz/run.sh, corpus kept
# in _build-fuzz; FUZZ_SECONDS, default 30).  Installs the dependencies with
# apt-get first when some are missing (Debian 12 / Ubuntu; sudo only when
# not root), and Slurm + munge for the Slurm tests (which skip without them);
# a step whose tool cannot be installed (mandoc, scan-build,
# clang's libFuzzer) is skipped with a message.  The last line of output is
#   N passed, N failed
# summed over all of it; the exit status is non-zero if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

PKGS=(build-essential autoconf automake libtool pkg-config
	libsqlite3-dev libuv1-dev libcjson-dev libncurses-dev check sqlite3 python3
	procps strace tmux bsdutils python3-prometheus-client
	systemd # systemd: systemd-socket-activate for tests/integration/socket-activation.sh
	dpkg-dev debhelper fakeroot lintian) # tests/integration/deb.sh builds the .debs
# libncurses-dev: jobq top; python3-prometheus-client: the parser of
# metrics.sh; tmux (top.sh) and script(1) of bsdutils
# (list-tty.sh, wait-progress.sh): real terminals for the CLI tests
# Tools of the optional steps, each skipped where its package cannot be
# installed: mandoc (man page lint), clang-tools (scan-build), clang and its
# compiler-rt with libFuzzer (the fuzz targets).
OPT_PKGS=(mandoc clang clang-tools libclang-rt-14-dev)

APT_UPDATED=0
# install_deps PKG...: apt-get installs those of PKG not installed yet.
install_deps() {
	local missing=() p
	command -v dpkg-query >/dev/null || { echo "check.sh: not a Debian-like system; install: $*" >&2; return 0; }
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "check.sh: installing ${missing[*]}" >&2
	local SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	if [ "$APT_UPDATED" = 0 ]; then
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
		APT_UPDATED=1
	fi
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

install_deps "${PKGS[@]}" || { echo "check.sh: could not install the build dependencies" >&2; echo "0 passed, 1 failed"; exit 1; }

# Slurm for tests/integration/slurm-*.sh, each test starting a private
# cluster of its own (slurm-lib.sh); without these packages those tests
# only skip.  The packages must not leave system-wide daemons behind: their
# maintainer scripts start munge/slurmctld/slurmd through invoke-rc.d where
# there is no systemd, so a policy-rc.d that refuses starts is put in place
# for the install if none exists, and a system-wide daemon (one without a
# private socket or config) that still appeared during the install is
# stopped.
SLURM_PKGS=(slurm-wlm slurmctld slurmd slurm-client munge)
slurm_daemons() { pgrep -x 'munged|slurmctld|slurmd' 2>/dev/null | sort -n | tr '\n' ' '; }
install_slurm() {
	local before after p policy=/usr/sbin/policy-rc.d made=
	before=$(slurm_daemons)
	if [ "$(id -u)" = 0 ] && [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# made by jobq scripts/check.sh for the install of Slurm\nexit 101\n' >"$policy" &&
			chmod 755 "$policy" && made=1
	fi
	install_deps "${SLURM_PKGS[@]}" ||
		echo "check.sh: could not install ${SLURM_PKGS[*]}: the Slurm tests will be SKIPPED" >&2
	[ -n "$made" ] && rm -f "$policy"
	after=$(slurm_daemons)
	for p in $after; do
		case " $before " in *" $p "*) continue ;; esac
		# A private cluster (someone's test) names its socket / config.
		case " $(ps -o args= -p "$p") " in *" -S "* | *" --socket"* | *" -f /"*) continue ;; esac
		echo "check.sh: stopping $(ps -o args= -p "$p"), started by the Slurm packages' install" >&2
		kill -TERM "$p" 2>/dev/null
	done
}
install_slurm
# One at a time: a package this release does not have only skips its step.
for p in "${OPT_PKGS[@]}"; do
	install_deps "$p" || echo "check.sh: could not install $p" >&2
done

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
FAILS=()   # what failed, for the summary at the end

# count DIR: adds the results of the .trs files under DIR.
count() {
	local p f
	p=$(find "$1" -name '*.trs' -exec grep -h '^:test-result:' {} + 2>/dev/null | grep -c -E ':test-result: (PASS|XFAIL)')
	f=$(find "$1" -name '*.trs' -exec grep -h '^:test-result:' {} + 2>/dev/null | grep -c -E ':test-result: (FAIL|XPASS|ERROR)')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	echo "check.sh: $1: $p passed, $f failed" >&2
	local t
	for t in $(grep -l -E '^:test-result: (FAIL|XPASS|ERROR)' $(find "$1" -name '*.trs') 2>/dev/null); do
		FAILS+=("$1: ${t#"$1"/} (log: ${t%.trs}.log)")
	done
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
		FAILS+=("$dir: configure")
		FAILED=$((FAILED + 1))
		return
	fi
	if ! make -C "$dir" -j"$JOBS" >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		echo "check.sh: $dir: build failed (see $dir/build.log)" >&2
		FAILS+=("$dir: build (log: $dir/build.log)")
		FAILED=$((FAILED + 1))
		return
	fi
	if ! make -C "$dir" -j"$JOBS" check; then
		echo "check.sh: $dir: make check failed; see $dir/test-suite.log" >&2
		[ -f "$dir/test-suite.log" ] && tail -n 60 "$dir/test-suite.log" >&2
	fi
	if [ -z "$(find "$dir" -name '*.trs' | head -n 1)" ]; then
		echo "check.sh: $dir: no test results" >&2
		FAILS+=("$dir: no test results")
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
		[[ $(LD_LIBRARY_PATH=$lib ldd examples/submit-wait) == *"$so"* ]] &&
		[[ $(LD_LIBRARY_PATH=$lib ldd examples/watch-array) == *"$so"* ]]; then
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
	FAILS+=("examples/ against the installed libjobq")
	FAILED=$((FAILED + 1))
}

# step NAME OK: counts one step that is not a test suite.
step() {
	if [ "$2" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "check.sh: $1: ok" >&2
	else
		FAILED=$((FAILED + 1))
		FAILS+=("$1")
		echo "check.sh: $1: FAILED" >&2
	fi
}

# man_lint: mandoc -Tlint of the pages configure made in _build/man.
man_lint() {
	local out
	if ! command -v mandoc >/dev/null; then
		echo "check.sh: mandoc not available (apt-get install mandoc): man page lint SKIPPED" >&2
		return
	fi
	if [ ! -f _build/man/jobq.1 ]; then
		step "man pages (not made by configure)" 1
		return
	fi
	out=$(mandoc -Tlint _build/man/*.[1-8] 2>&1)
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	step "mandoc -Tlint man/*" "$([ -z "$out" ] && echo 0 || echo 1)"
}

# Checkers left out of the analysis: jobq vforks on purpose (worker_spawn.c:
# the child runs only async-signal-safe code, in a frame of its own, before
# it execs); these two report exactly that design, and nothing else.
SCAN_DISABLED=(security.insecureAPI.vfork unix.Vfork)

# scan: clang's static analyzer over a whole fresh build in _build-scan (an
# up-to-date tree would analyze nothing); any finding fails.  The HTML
# reports stay in _build-scan/report.
scan() {
	local dir=_build-scan args=() c n
	if ! command -v scan-build >/dev/null || ! command -v clang >/dev/null; then
		echo "check.sh: scan-build not available (apt-get install clang clang-tools): static analysis SKIPPED" >&2
		return
	fi
	echo "=== $dir: scan-build" >&2
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! (cd "$dir" && "$ROOT/configure" -q CC=clang); then
		step "scan-build (configure)" 1
		return
	fi
	for c in "${SCAN_DISABLED[@]}"; do
		args+=(-disable-checker "$c")
	done
	if ! scan-build -o "$dir/report" "${args[@]}" make -C "$dir" -j"$JOBS" \
		>"$dir/scan.log" 2>&1; then
		tail -n 40 "$dir/scan.log" >&2
		step "scan-build (the build failed, see $dir/scan.log)" 1
		return
	fi
	n=$(sed -n -E 's/^scan-build: ([0-9]+) bugs? found.*/\1/p' "$dir/scan.log")
	if [ -n "$n" ]; then
		# the analyzer's warnings name their checker: [unix.Malloc]
		grep -E 'warning: .*\[[a-zA-Z]+(\.[a-zA-Z0-9]+)+\]$' "$dir/scan.log" |
			sed -e "s|^$ROOT/||" -e 's|^\.\./||' | sort -u >&2
		echo "check.sh: scan-build: $n findings (reports in $dir/report)" >&2
	elif ! grep -q '^scan-build: No bugs found' "$dir/scan.log"; then
		tail -n 20 "$dir/scan.log" >&2
		step "scan-build (no verdict, see $dir/scan.log)" 1
		return
	fi
	step "scan-build" "${n:-0}"
}

# fuzz: each target of tests/fuzz/run.sh for FUZZ_SECONDS (30 here).
fuzz() {
	local t rc
	if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' |
		clang -fsanitize=fuzzer,address -x c - -o /dev/null 2>/dev/null; then
		echo "check.sh: clang with libFuzzer not available (apt-get install clang libclang-rt-14-dev): fuzzing SKIPPED" >&2
		return
	fi
	for t in proto wire cron slurm strv; do
		echo "=== fuzz_$t: ${FUZZ_SECONDS:-30}s" >&2
		FUZZ_SECONDS=${FUZZ_SECONDS:-30} FUZZ_DIR=$ROOT/_build-fuzz CC=clang \
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks} \
			tests/fuzz/run.sh "$t" >&2
		rc=$?
		step "fuzz_$t" "$rc"
	done
}

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# LeakSanitizer needs ptrace-like access that some containers deny; probe it.
leaks=1
probe=$(mktemp -d)
printf 'int main(void){return 0;}\n' >"$probe/p.c"
if ${CC:-cc} $SAN -o "$probe/p" "$probe/p.c" 2>/dev/null; then
	"$probe/p" >/dev/null 2>&1 || { leaks=0; echo "check.sh: LeakSanitizer unusable here: detect_leaks=0" >&2; }
fi
rm -rf "$probe"

pass _build
installed_example
man_lint
scan
fuzz
# deb.sh builds the packages from the source tree with Debian's flags,
# whatever the build it runs in: once (in _build) is enough.
JOBQ_DEB_TEST=skip \
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	pass _build-asan CFLAGS="-O1 -g $SAN" LDFLAGS="$SAN"

# What failed, last, where a truncated log still shows it: each failed
# step, and each failed test with the tail of its log.
if [ ${#FAILS[@]} -gt 0 ]; then
	echo "=== check.sh: what failed" >&2
	for f in "${FAILS[@]}"; do
		echo "--- $f" >&2
		case $f in
		*"(log: "*)
			l=${f##*(log: }
			l=${l%)}
			[ -f "$l" ] && tail -n 12 "$l" | cut -c1-200 >&2 ;;
		esac
	done
fi
echo "${PASSED} passed, ${FAILED} failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
