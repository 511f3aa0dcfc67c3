#!/usr/bin/env bash
# demo.sh - from a fresh clone on Debian 12 / Ubuntu: install the build
# dependencies (sudo only when not root), build jobq in _build, start jobqd
# on the default socket in the background unless one is already running,
# run a job and show its output.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PKGS=(build-essential autoconf automake libtool pkg-config
	libsqlite3-dev libuv1-dev libcjson-dev libncurses-dev)

missing=()
if command -v dpkg-query >/dev/null; then
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
fi
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	echo "demo: installing ${missing[*]}"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

mkdir -p _build
BUILDLOG=$ROOT/_build/build.log
echo "demo: building in _build/ (log: $BUILDLOG)"
# the autotools' and the compiler's chatter goes to the log, not the screen
if ! { [ -x configure ] || autoreconf -fi; } >"$BUILDLOG" 2>&1 ||
	! { cd _build && { [ -f Makefile ] || "$ROOT/configure" -q; } &&
	make -j"$(nproc 2>/dev/null || echo 2)"; } >>"$BUILDLOG" 2>&1; then
	tail -n 30 "$BUILDLOG" >&2
	echo "demo: the build failed; the whole log is $BUILDLOG" >&2
	exit 1
fi
JOBQD=$PWD/daemon/jobqd
JOBQ=$PWD/client/jobq

if "$JOBQ" ping >/dev/null 2>&1; then
	echo "demo: jobqd is already running"
else
	log=$PWD/jobqd.log
	echo "demo: starting jobqd in the background (log: $log)"
	nohup "$JOBQD" </dev/null >>"$log" 2>&1 &
	started=$!
	for _ in $(seq 1 500); do
		"$JOBQ" ping >/dev/null 2>&1 && break
		kill -0 $! 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.02
	done
	"$JOBQ" ping
fi

echo "\$ jobq submit --wait -- echo \"hello from jobq\""
id=$("$JOBQ" submit --wait -- echo "hello from jobq" | head -n 1)
echo "$id"
echo "\$ jobq logs $id"
"$JOBQ" logs "$id"
[ -n "${started:-}" ] && echo "demo: jobqd (pid $started) keeps running; stop it with: kill $started"
cat <<MSG

The programs are in $PWD:
  $JOBQ
  $JOBQD
Use them from there, put them on your PATH for this shell with
  export PATH="$PWD/client:$PWD/daemon:\$PATH"
or install them (with the man pages, the library and the systemd units) with
  sudo make -C "$PWD" install
MSG
exit 0
