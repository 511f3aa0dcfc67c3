# diskfull.sh - jobqd on a full disk: the state dir is a 4 MiB tmpfs in a
# private mount namespace.  A submit that cannot be committed is refused with
# "storage" (never acknowledged), the daemon keeps serving, jobs already
# acknowledged stay, and once space is back everything works again and no job
# is left "running" in the database.  Needs root (mount namespace).
. "$TESTLIB"

[ "$(id -u)" = 0 ] || skip "needs root for a private tmpfs"
command -v unshare >/dev/null && command -v nsenter >/dev/null ||
	skip "unshare/nsenter not installed"
unshare -m --propagation private true 2>/dev/null || skip "cannot create a mount namespace"

mkdir -p "$STATE"
echo "=== start_daemon (tmpfs) ($(date +%T.%N))" >>"$LOG"
# unshare and bash exec: $! is jobqd itself.
unshare -m --propagation private bash -c '
	mount -t tmpfs -o size=4m,mode=0700 jobq-diskfull "$1" || exit 99
	shift
	exec "$@"' diskfull "$STATE" \
	"$JOBQD" --socket "$SOCK" --state-dir "$STATE" --workers 2 --kill-grace 2s \
	2>>"$LOG" </dev/null &
JOBQD_PID=$!
wait_ready
# in the daemon's mount namespace
inns() { nsenter -t "$JOBQD_PID" -m "$@"; }
inns findmnt -n "$STATE" >/dev/null || fail "the state dir is not a tmpfs in jobqd's namespace"

first=$(submit -- true)
assert_rc 0 "a job before the disk is full" q wait "$first"

# Fill the file system from inside the namespace.
inns sh -c "cat /dev/zero > '$STATE/filler'" 2>/dev/null
avail=$(inns df --output=avail -B1 "$STATE" | tail -n 1 | tr -d ' ')
[ "$avail" -lt 8192 ] || fail "the tmpfs is not full: $avail bytes free"

# Submit until the store runs out of space; every acknowledged id is kept.
: >"$T/acked"
refused=0
for ((i = 0; i < 3000; i++)); do
	if id=$(q submit -- true 2>"$T/submit.err"); then
		echo "$id" >>"$T/acked"
	else
		rc=$?
		assert_eq "$rc" 1 "exit status of a submit refused on a full disk"
		grep -qi "storage\|disk" "$T/submit.err" ||
			fail "refused submit: message [$(cat "$T/submit.err")] does not mention storage"
		refused=1
		break
	fi
done
[ "$refused" = 1 ] || fail "3000 submits on a full disk were all acknowledged"
log "refused after $(wc -l <"$T/acked") acknowledged submits on the full disk"

daemon_alive || fail "jobqd died on a full disk"
assert_rc 0 "ping on a full disk" q ping
assert_rc 0 "list on a full disk" q list

# Space comes back: new submits work, every acknowledged job is there and runs.
inns rm -f "$STATE/filler"
again=$(submit -- true)
echo "$again" >>"$T/acked"
while read -r id; do
	assert_rc 0 "job $id acknowledged around the full disk runs" \
		timeout $((60 * SLOW)) "$JOBQ" -s "$SOCK" wait --timeout $((50 * SLOW))s "$id"
done <"$T/acked"
assert_rc 0 "the first job" q wait "$first"

# The database agrees: nothing running, no refused submit stored.
rows=$(inns sqlite3 "$STATE/jobq.db" "SELECT count(*) FROM jobs")
assert_eq "$rows" "$(($(wc -l <"$T/acked") + 1))" "rows in the database (acknowledged + first)"
left=$(inns sqlite3 "$STATE/jobq.db" \
	"SELECT count(*) FROM jobs WHERE state NOT IN ('succeeded')")
assert_eq "$left" 0 "jobs not succeeded in the database"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status after the full-disk episode"
exit 0
