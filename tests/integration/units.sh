#!/usr/bin/env bash
# units.sh - the systemd units of systemd/ as make installs them (with
# ExecStart= naming the jobqd under test): systemd-analyze verify finds
# nothing to say about them (an unknown or misspelt directive, a bad
# value), both are Type=notify with NotifyAccess=main and WatchdogSec=,
# and the system unit's sandboxing is what jobqd(8) "Sandboxing under
# systemd" lists.  The exposure systemd-analyze security gives is logged.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
SRC=$(cd "$(dirname "${TESTLIB:-$0}")/../.." && pwd)
SBIN=$(cd "$(dirname "$JOBQD")" && pwd)
mkdir -p "$T/u/user" "$T/xdg"
chmod 0700 "$T/xdg"
for f in jobqd.service user/jobqd.service; do
	sed -e "s|@sbindir@|$SBIN|g" "$SRC/systemd/$f.in" >"$T/u/$f"
done
cp "$SRC/systemd/jobqd.socket" "$T/u/"
cp "$SRC/systemd/user/jobqd.socket" "$T/u/user/"

assert_rc 0 "systemd-analyze verify of the system units" \
	systemd-analyze verify --man=no "$T/u/jobqd.service" "$T/u/jobqd.socket"
[ ! -s "$T/err" ] || fail "systemd-analyze verify (system): $(cat "$T/err")"
assert_rc 0 "systemd-analyze verify of the per-user units" env XDG_RUNTIME_DIR="$T/xdg" \
	systemd-analyze verify --user --man=no "$T/u/user/jobqd.service" "$T/u/user/jobqd.socket"
[ ! -s "$T/err" ] || fail "systemd-analyze verify (user): $(cat "$T/err")"

for f in jobqd.service user/jobqd.service; do
	for d in Type=notify NotifyAccess=main WatchdogSec=30s \
		'ExecReload=/bin/kill -HUP $MAINPID'; do
		grep -qxF "$d" "$T/u/$f" || fail "$f: no [$d]"
	done
done
# The sandboxing of the system unit: exactly the directives jobqd(8)
# documents as applied (a new one must be documented there too).
got=$(grep -E '^(Protect|Private|Restrict|SystemCall|NoNewPrivileges|LockPersonality|MemoryDeny|Capability|Device|IPAddress|KeyringMode|DynamicUser|User=)' \
	"$T/u/jobqd.service" | sort | paste -sd ' ')
assert_eq "$got" "RestrictRealtime=yes SystemCallErrorNumber=EPERM SystemCallFilter=~@module @raw-io @swap" \
	"sandboxing directives of jobqd.service"
# The per-user unit has none (see its comment).
got=$(grep -cE '^(Protect|Private|Restrict|SystemCall|NoNewPrivileges|LockPersonality|MemoryDeny)' \
	"$T/u/user/jobqd.service")
assert_eq "$got" 0 "sandboxing directives of the per-user jobqd.service"

sys=$(systemd-analyze security --offline=yes "$T/u/jobqd.service" 2>&1 | grep 'Overall exposure')
usr=$(XDG_RUNTIME_DIR="$T/xdg" systemd-analyze security --offline=yes --user \
	"$T/u/user/jobqd.service" 2>&1 | grep 'Overall exposure')
log "system unit: ${sys:-no score}"
log "per-user unit: ${usr:-no score}"
echo "units: ok"
