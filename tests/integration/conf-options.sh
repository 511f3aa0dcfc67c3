#!/usr/bin/env bash
# conf-options.sh - jobqd's options in jobqd.conf(5): a jobqd started with
# only --config FILE takes socket, state-dir and workers from the file; the
# command line wins over the file; a bad value stops start-up (exit 1)
# naming FILE:LINE; SIGHUP applies a changed log-level and keep-count at
# once and reports a changed workers as waiting for the next start, which
# then takes it.  jobq's own jobq.conf: its socket and default queue are
# used, the environment (JOBQ_SOCKET, NO_COLOR) and the command line win
# over it, and a bad line is reported with FILE:LINE.  A jobqd of an
# ordinary user reads $XDG_CONFIG_HOME/jobq/jobqd.conf by default, only if
# that user owns it (as root, the user is nobody, by setpriv).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

CONF=$T/jobqd.conf
# conf LINES...: writes jobqd.conf, mode 0600 (a group- or world-writable
# file is refused).
conf() {
	printf '%s\n' "$@" >"$CONF"
	chmod 0600 "$CONF"
}

# start_conf ARGS...: jobqd with --config and ARGS only, waited for.
start_conf() {
	echo "=== start_conf $* ($(date +%T.%N))" >>"$LOG"
	"$JOBQD" --config "$CONF" "$@" 2>>"$LOG" </dev/null &
	JOBQD_PID=$!
	wait_ready
}

workers_in_ping() {
	q ping | sed -n 's/.*, \([0-9]*\) workers$/\1/p'
}

# --- every setting from the file ------------------------------------------------
conf "# jobqd's options, as on the command line" \
	"socket = $SOCK" \
	"state-dir = $STATE" \
	"workers = 3" \
	"kill-grace = 2s" \
	"keep-count = 0" \
	"log-level = info" \
	"visibility = full"
start_conf
assert_eq "$(workers_in_ping)" 3 "workers from the file, in jobq ping"
[ -e "$STATE/jobq.db" ] || fail "state-dir from the file: no $STATE/jobq.db"
ids=()
for i in 1 2 3 4; do ids+=("$(submit -- true)"); done
for id in "${ids[@]}"; do wait_ended "$id"; done
assert_eq "$(sql 'SELECT count(*) FROM jobs')" 4 "jobs kept with keep-count = 0"
grep -q '<7>\|debug' "$LOG" && fail "debug lines at log-level = info: $(grep '<7>' "$LOG" | head -3)"

# --- SIGHUP: keep-count and log-level now, workers at the next start --------------
conf "socket = $SOCK" \
	"state-dir = $STATE" \
	"workers = 4" \
	"kill-grace = 2s" \
	"keep-count = 2" \
	"log-level = debug"
mark=$(wc -l <"$LOG")
kill -HUP "$JOBQD_PID"
kept_two() { [ "$(sql 'SELECT count(*) FROM jobs')" = 2 ]; }
wait_for 10 "keep-count = 2 applied after SIGHUP" kept_two
assert_eq "$(sql 'SELECT group_concat(id) FROM (SELECT id FROM jobs ORDER BY id)')" \
	"${ids[2]},${ids[3]}" "the newest jobs kept"
reported() { tail -n +"$((mark + 1))" "$LOG" | grep "$CONF:3: workers changes at the next start" >/dev/null; }
wait_for 10 "changed workers reported as needing a restart" reported
assert_eq "$(workers_in_ping)" 3 "workers after SIGHUP (running value kept)"
j=$(submit -- true)
wait_ended "$j"
stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
tail -n +"$((mark + 1))" "$LOG" | grep '<7>' >/dev/null ||
	fail "no debug line after SIGHUP with log-level = debug"

# the next start takes workers = 4; the command line wins over the file
start_conf
assert_eq "$(workers_in_ping)" 4 "workers from the file at the next start"
stop_daemon
start_conf --workers 2 --log-level info
assert_eq "$(workers_in_ping)" 2 "--workers over the file's workers"
stop_daemon
grep -q "$CONF:3: workers: the command line's value is used" "$LOG" ||
	fail "no log line for the file's workers overridden by --workers"

# --- bad values stop start-up with FILE:LINE, exit 1 -------------------------------
bad() { # LINE-NO MESSAGE-ERE LINES...
	local line=$1 ere=$2
	shift 2
	conf "$@"
	"$JOBQD" --config "$CONF" </dev/null >"$T/out" 2>"$T/err" &
	local pid=$! rc
	gone() { ! kill -0 "$pid" 2>/dev/null; }
	wait_for 10 "jobqd with a bad $CONF to exit" gone
	wait "$pid"
	rc=$?
	assert_eq "$rc" 1 "exit status with [$*]"
	grep -Eq "$CONF:$line: $ere" "$T/err" ||
		fail "[$*]: stderr [$(cat "$T/err")] does not name $CONF:$line with /$ere/"
}
bad 3 'workers: "0" is not a number from 1 to 1024' \
	"socket = $SOCK" "state-dir = $STATE" "workers = 0"
bad 2 'keep-age: bad duration "forever"' \
	"socket = $SOCK" "keep-age = forever" "state-dir = $STATE"
bad 1 'sync: "fast" is not normal or full' "sync = fast" "socket = $SOCK"
bad 3 'kill-grace is a jobqd option: it belongs in the global section' \
	"socket = $SOCK" "[queue q]" "kill-grace = 1s"
bad 2 'output-limit: 2147483648 bytes is above .*:1: output-limit-max' \
	"output-limit-max = 1G" "output-limit = 2G" "socket = $SOCK"
[ -S "$SOCK" ] && fail "a jobqd with a bad file left a socket"

# --- jobq.conf: the client's defaults ----------------------------------------------
XDG=$T/xdg
mkdir -p "$XDG/jobq"
CCONF=$XDG/jobq/jobq.conf
printf '%s\n' "# jobq's defaults" "socket = $SOCK" "queue = night" "color = always" >"$CCONF"
start_daemon
# jq ARGS...: jobq with only the environment given (no -s).
jq() { env -u JOBQ_SOCKET -u NO_COLOR XDG_CONFIG_HOME="$XDG" "$JOBQ" "$@"; }
id=$(jq submit -- true) || fail "submit with the socket from jobq.conf: $id"
assert_eq "$(sql "SELECT queue FROM jobs WHERE id = $id")" night "queue from jobq.conf"
id=$(jq submit --queue day -- true) || fail "submit --queue"
assert_eq "$(sql "SELECT queue FROM jobs WHERE id = $id")" day "--queue over jobq.conf's queue"
wait_ended "$id"
# JOBQ_SOCKET over the file, -s over JOBQ_SOCKET
assert_rc 3 "ping with JOBQ_SOCKET naming no socket" \
	env JOBQ_SOCKET="$T/none.sock" XDG_CONFIG_HOME="$XDG" "$JOBQ" ping
grep -q "$T/none.sock" "$T/err" || fail "JOBQ_SOCKET not used over jobq.conf: $(cat "$T/err")"
assert_rc 0 "ping with -s over JOBQ_SOCKET" \
	env JOBQ_SOCKET="$T/none.sock" XDG_CONFIG_HOME="$XDG" "$JOBQ" -s "$SOCK" ping
# colour: always from the file even into a pipe; NO_COLOR and --color win
esc=$'\033['
out=$(jq list) || fail "list with jobq.conf"
[[ $out == *"$esc"* ]] || fail "color = always: no colour in [$out]"
out=$(NO_COLOR=1 XDG_CONFIG_HOME="$XDG" "$JOBQ" -s "$SOCK" list) || fail "list with NO_COLOR"
[[ $out == *"$esc"* ]] && fail "NO_COLOR did not win over color = always"
out=$(jq list --color=never) || fail "list --color=never"
[[ $out == *"$esc"* ]] && fail "--color=never did not win over color = always"
# errors name the file and line
printf '%s\n' "socket = $SOCK" "queue = night" "colour = never" >"$CCONF"
assert_rc 1 "submit with a bad jobq.conf" jq submit -- true
assert_match "$(cat "$T/err")" "^jobq: submit: $CCONF:3: unknown key \"colour\"" "bad key message"
printf '%s\n' "queue = no/slash" >"$CCONF"
assert_rc 1 "submit with a bad queue in jobq.conf" jq -s "$SOCK" submit -- true
assert_match "$(cat "$T/err")" "^jobq: submit: $CCONF:1: queue: invalid queue name" "bad queue message"
# ...but a command that needs none of its values does not read it
assert_rc 0 "submit with -s and --queue ignores a bad jobq.conf" \
	jq -s "$SOCK" submit --queue day -- true
# another user's file (a HOME that is not ours) is ignored
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$CCONF"
	assert_rc 0 "submit with jobq.conf of another user (ignored)" jq -s "$SOCK" submit -- true
	assert_eq "$(sql "SELECT queue FROM jobs WHERE id = $(cat "$T/out")")" default \
		"queue with another user's jobq.conf ignored"
fi
stop_daemon

# --- the per-user default file ---------------------------------------------------------
# as root: run as nobody (setpriv); as another user: as that user
if [ "$(id -u)" = 0 ]; then
	if ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
		log "no setpriv or no user nobody: the per-user file is not tested"
		echo "conf-options: ok"
		exit 0
	fi
	U=$T/u
	chmod 0711 "$T"
	mkdir -p "$U/cfg/jobq"
	chown -R nobody "$U"
	as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
else
	U=$T/u
	mkdir -p "$U/cfg/jobq"
	as_user=()
fi
UCONF=$U/cfg/jobq/jobqd.conf
printf '%s\n' "socket = $U/sock" "state-dir = $U/state" "workers = 2" >"$UCONF"
chmod 0600 "$UCONF"
[ "$(id -u)" = 0 ] && chown nobody "$UCONF"
# uj ARGS...: as the user, with that user's environment
uenv=(env -u JOBQ_SOCKET HOME="$U" XDG_CONFIG_HOME="$U/cfg" XDG_RUNTIME_DIR="$U")
uj() { "${as_user[@]}" "${uenv[@]}" "$@"; }
# not through uj, so that $! is jobqd itself (setpriv and env exec it)
"${as_user[@]}" "${uenv[@]}" "$JOBQD" 2>>"$LOG" </dev/null &
JOBQD_PID=$!
uping() { uj "$JOBQ" -s "$U/sock" ping >"$T/uping" 2>&1; }
wait_for 10 "jobqd of user $(uj id -un) with its default jobqd.conf" uping
grep -q ", 2 workers$" "$T/uping" || fail "workers from $UCONF: $(cat "$T/uping")"
stop_daemon
assert_eq "$DAEMON_RC" 0 "the user's jobqd exit status"
if [ "$(id -u)" = 0 ]; then
	# owned by root: not the user's file, refused (a system jobqd.conf
	# given with --config may be root's)
	chown root "$UCONF"
	chmod 0644 "$UCONF"
	assert_rc 1 "jobqd with a per-user file owned by root" uj "$JOBQD"
	grep -q "$UCONF: owned by uid 0, not by jobqd's uid" "$T/err" ||
		fail "root-owned per-user file: [$(cat "$T/err")]"
	chown nobody "$UCONF"
fi
chmod 0620 "$UCONF"
assert_rc 1 "jobqd with a group-writable per-user file" uj "$JOBQD"
grep -q "$UCONF: writable by its group" "$T/err" ||
	fail "group-writable per-user file: [$(cat "$T/err")]"

echo "conf-options: ok"
