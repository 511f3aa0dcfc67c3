#!/usr/bin/env bash
# hooks.sh - end and drained hooks (jobqd(8) HOOKS), through a real jobqd:
# a job's own --on-end runs once it has ended for good, with exactly the
# allow-listed environment (the job's facts, nothing of jobqd's own), in
# the job's directory; as another user it runs with that user's uid, gid
# and groups; jobqd.conf's on-end (the [queue] section's, else the global
# one) and on-drained (once per drain); the hook's output goes to jobqd's
# log; its failure, a timeout (--hook-timeout: killed with its process
# group) and --hook-max-running never touch the job; a retried job's hook
# runs once, after the last attempt; bad --on-end values are refused.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v python3 >/dev/null || skip "needs python3"
command -v sqlite3 >/dev/null || skip "needs sqlite3"

H=$T/hooks
mkdir -p "$H"
chmod 0777 "$H"

# envfile NAME KEY: the value of KEY in the env dump $H/NAME.
envval() { sed -n "s/^$2=//p" "$H/$1"; }

# --- a job's own hook: environment, directory, output, state untouched -------
# jobqd gets a marker and LD_PRELOAD-ish variables in its environment; the
# hook must see none of them.
JQT_HOOK_MARKER=from-jobqd LD_LIBRARY_PATH=/nonexistent start_daemon \
	--hook-timeout 2s --log-level debug
mkdir -p "$T/wd"
id1=$(cd "$T/wd" && q submit --name hooked --queue qa \
	--on-end "env > $H/env1; pwd > $H/pwd1; echo hook-says-hello; exit 9" \
	-- sh -c 'echo job-out; exit 4') || fail "submit --on-end"
wait_for 20 "the hook of job $id1" file_exists "$H/pwd1"
wait_for 10 "the hook's env dump" lines_ge "$H/env1" 10
assert_eq "$(job_state "$id1")" failed "a failing hook does not change the job (state)"
assert_eq "$(q --json show "$id1" | jf exit_code)" 4 "the job's exit code"
assert_eq "$(envval env1 JOBQ_HOOK)" end "JOBQ_HOOK"
assert_eq "$(envval env1 JOBQ_HOOK_ORIGIN)" job "JOBQ_HOOK_ORIGIN"
assert_eq "$(envval env1 JOBQ_JOB_ID)" "$id1" "JOBQ_JOB_ID"
assert_eq "$(envval env1 JOBQ_JOB_REF)" "$id1" "JOBQ_JOB_REF"
assert_eq "$(envval env1 JOBQ_JOB_STATE)" failed "JOBQ_JOB_STATE"
assert_eq "$(envval env1 JOBQ_JOB_EXIT_CODE)" 4 "JOBQ_JOB_EXIT_CODE"
assert_eq "$(envval env1 JOBQ_JOB_SIGNAL)" "" "JOBQ_JOB_SIGNAL (none)"
assert_eq "$(envval env1 JOBQ_JOB_REASON)" exit_code "JOBQ_JOB_REASON"
assert_eq "$(envval env1 JOBQ_JOB_NAME)" hooked "JOBQ_JOB_NAME"
assert_eq "$(envval env1 JOBQ_JOB_QUEUE)" qa "JOBQ_JOB_QUEUE"
assert_eq "$(envval env1 JOBQ_JOB_ATTEMPTS)" 1 "JOBQ_JOB_ATTEMPTS"
assert_eq "$(envval env1 JOBQ_JOB_CWD)" "$T/wd" "JOBQ_JOB_CWD"
assert_eq "$(envval env1 JOBQ_JOB_USER)" "$(id -un)" "JOBQ_JOB_USER"
assert_eq "$(cat "$H/pwd1")" "$T/wd" "the hook runs in the job's directory"
out=$(envval env1 JOBQ_JOB_STDOUT)
assert_eq "$out" "$OUTDIR/$id1.out" "JOBQ_JOB_STDOUT"
assert_eq "$(cat "$out")" job-out "the stdout file the hook is told about"
assert_eq "$(envval env1 JOBQ_JOB_STDERR)" "$OUTDIR/$id1.err" "JOBQ_JOB_STDERR"
# times: seconds with milliseconds, matching the job's own (ms) times
fin=$(q --json show "$id1" | jf finished_at)
st=$(q --json show "$id1" | jf started_at)
assert_eq "$(envval env1 JOBQ_JOB_FINISHED)" "$((fin / 1000)).$(printf %03d $((fin % 1000)))" "JOBQ_JOB_FINISHED"
assert_eq "$(envval env1 JOBQ_JOB_STARTED)" "$((st / 1000)).$(printf %03d $((st % 1000)))" "JOBQ_JOB_STARTED"
assert_eq "$(envval env1 JOBQ_JOB_RUNTIME)" "$(((fin - st) / 1000)).$(printf %03d $(((fin - st) % 1000)))" "JOBQ_JOB_RUNTIME"
# the allow-list: nothing else
names=$(sed 's/=.*//' "$H/env1" | grep -v -x -E 'PWD|SHLVL|_' | sort | tr '\n' ' ')
assert_eq "$names" "HOME JOBQ_HOOK JOBQ_HOOK_ORIGIN JOBQ_JOB_ATTEMPTS JOBQ_JOB_CWD JOBQ_JOB_EXIT_CODE JOBQ_JOB_FINISHED JOBQ_JOB_ID JOBQ_JOB_NAME JOBQ_JOB_QUEUE JOBQ_JOB_REASON JOBQ_JOB_REF JOBQ_JOB_RUNTIME JOBQ_JOB_SIGNAL JOBQ_JOB_STARTED JOBQ_JOB_STATE JOBQ_JOB_STDERR JOBQ_JOB_STDOUT JOBQ_JOB_SUBMITTED JOBQ_JOB_USER LOGNAME PATH SHELL USER " \
	"the hook's environment is exactly the allow-list"
wait_for 10 "the hook's output in jobqd's log" grep -q "hook job $id1 (job): hook-says-hello" "$LOG"
wait_for 10 "the hook's failure in jobqd's log" grep -q "hook job $id1 (job): exited 9" "$LOG"
# stored and shown
assert_eq "$(sql "SELECT on_end FROM jobs WHERE id = $id1")" \
	"env > $H/env1; pwd > $H/pwd1; echo hook-says-hello; exit 9" "jobs.on_end"
q show "$id1" | grep "^on end: *env > $H/env1" >/dev/null || fail "show lacks the on end line: $(q show "$id1")"
assert_eq "$(q --json show "$id1" | jf on_end)" "env > $H/env1; pwd > $H/pwd1; echo hook-says-hello; exit 9" "show --json on_end"

# a signal, an array task: SIGNAL, REF A.I and the array variables
aid=$(q submit --array 1-2 --on-end "env > $H/arr.\$JOBQ_ARRAY_INDEX" -- sh -c 'kill -TERM $$') ||
	fail "submit --array --on-end"
wait_for 20 "the array's hooks" file_exists "$H/arr.2"
wait_for 20 "the array's hooks" file_exists "$H/arr.1"
wait_for 10 "the env dump" lines_ge "$H/arr.2" 10
assert_eq "$(envval arr.2 JOBQ_JOB_REF)" "$aid.2" "JOBQ_JOB_REF of a task"
assert_eq "$(envval arr.2 JOBQ_ARRAY_ID)" "$aid" "JOBQ_ARRAY_ID"
assert_eq "$(envval arr.2 JOBQ_JOB_SIGNAL)" 15 "JOBQ_JOB_SIGNAL"
assert_eq "$(envval arr.2 JOBQ_JOB_EXIT_CODE)" "" "JOBQ_JOB_EXIT_CODE of a signaled job"

# retries: the hook runs once, after the last attempt
rid=$(q submit --retries 2 --retry-delay 100ms --on-end "echo \$JOBQ_JOB_ATTEMPTS >> $H/retry" -- false) ||
	fail "submit --retries --on-end"
wait_ended "$rid" 30
wait_for 10 "the retried job's hook" file_exists "$H/retry"
# jobqd logs (debug) each hook's end: after that, nothing else may come
wait_for 10 "the retried job's hook to finish" grep -q "hook job $rid (job): done" "$LOG"
assert_eq "$(cat "$H/retry")" 3 "the hook ran once, after attempt 3"

# --hook-timeout: SIGTERM to the group, the job untouched
tid=$(q submit --on-end "echo \$\$ > $H/tpid; sleep 300 & wait" -- true) || fail "submit (timeout hook)"
wait_for 20 "the slow hook" file_exists "$H/tpid"
wait_for 20 "the hook's timeout in the log" grep -q "hook job $tid (job): still running after 2000 ms" "$LOG"
hpid=$(cat "$H/tpid")
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for 20 "the timed-out hook to be gone" gone "$hpid"
# (a zombie waiting for whoever inherited it is gone already)
left=$(ps -e -o sid=,pid=,stat=,comm= | awk -v s="$hpid" '$1 == s && $3 !~ /^Z/')
[ -z "$left" ] || fail "processes of the timed-out hook's session are left: $left"
assert_eq "$(job_state "$tid")" succeeded "a timed-out hook does not change the job"

# bad values
assert_rc 2 "--on-end ''" q submit --on-end '' -- true
long=$(head -c 4097 /dev/zero | tr '\0' x)
assert_rc 2 "--on-end of 4097 bytes" q submit --on-end "$long" -- true
daemon_alive || fail "jobqd died"
stop_daemon

# --- jobqd.conf: the queue's on-end, else the global one; on-drained ---------
CONF=$T/jobqd.conf
cat >"$CONF" <<EOF
on-end = echo "\$JOBQ_HOOK_ORIGIN \$JOBQ_JOB_ID" >> $H/conf-end
[queue qd]
on-end = echo "\$JOBQ_HOOK_ORIGIN \$JOBQ_JOB_ID" >> $H/conf-qd
on-drained = echo "\$JOBQ_HOOK \$JOBQ_QUEUE \$(id -u)" >> $H/drained
EOF
chmod 0644 "$CONF"
: >"$H/order"
WORKERS=5 start_daemon --config "$CONF" --hook-max-running 1
# three jobs in qd: the queue's hook for each, the global one for none;
# one drain once all three have ended
gate=$T/gate
ids=""
for i in 1 2 3; do
	ids="$ids $(q submit --queue qd --on-end "echo S \$JOBQ_JOB_ID \$(date +%s%N) >> $H/order; sleep 0.2; echo E \$JOBQ_JOB_ID \$(date +%s%N) >> $H/order" \
		-- sh -c "while [ ! -e $gate ]; do sleep 0.02; done")" || fail "submit to qd"
done
d1=$(q submit -- true) || fail "submit to default"
wait_for 20 "the default queue's job's global hook" file_exists "$H/conf-end"
touch "$gate"
for id in $ids; do wait_ended "$id" 30; done
wait_for 20 "three queue hooks" lines_ge "$H/conf-qd" 3
wait_for 20 "the drained hook" file_exists "$H/drained"
wait_for 20 "three job hooks with --hook-max-running 1" lines_ge "$H/order" 6
assert_eq "$(sort "$H/conf-qd" | tr '\n' ' ')" "$(for id in $ids; do echo "queue $id"; done | sort | tr '\n' ' ')" "the queue's on-end, once per job"
assert_eq "$(cat "$H/conf-end")" "global $d1" "the global on-end for the default queue only"
assert_eq "$(cat "$H/drained")" "drained qd $(id -u)" "on-drained once, as jobqd's user"
ov=$(sed -E "s/[0-9]{6}$//" "$H/order" >"$H/order.ms" && max_overlap "$H/order.ms")
assert_eq "$ov" 1 "--hook-max-running 1: hooks never overlap"
# the next job makes the queue busy again: a second drain
n2=$(q submit --queue qd -- true) || fail "submit to qd again"
wait_ended "$n2" 30
wait_for 20 "the second drain" lines_ge "$H/drained" 2
daemon_alive || fail "jobqd died"
stop_daemon

# --- as another user: uid, gid and groups of the job's user ------------------
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	UA=jqt_hook_a
	GA=jqt_hook_g
	hook_users_cleanup() { userdel "$UA" 2>/dev/null; groupdel "$GA" 2>/dev/null; return 0; }
	trap 'rc=$?; hook_users_cleanup; (exit $rc); cleanup' EXIT
	hook_users_cleanup
	groupadd "$GA" && useradd -M -d /nonexistent -s /bin/sh -G "$GA" "$UA" || fail "useradd"
	chmod 0755 "$T"
	start_daemon
	chmod 0666 "$SOCK"
	mkdir -p "$T/ua"
	chown "$UA" "$T/ua"
	(cd "$T/ua" && setpriv --reuid="$UA" --regid="$(id -g "$UA")" --init-groups \
		env -i PATH=/usr/bin:/bin "$JOBQ" -s "$SOCK" submit \
		--on-end "id -u > $H/ua; id -g >> $H/ua; id -G | tr ' ' '\n' | sort -n | tr '\n' ' ' >> $H/ua; echo >> $H/ua; pwd >> $H/ua" \
		-- true) >/dev/null || fail "submit as $UA"
	wait_for 20 "the hook of $UA's job" lines_ge "$H/ua" 4
	assert_eq "$(sed -n 1p "$H/ua")" "$(id -u "$UA")" "the hook's uid"
	assert_eq "$(sed -n 2p "$H/ua")" "$(id -g "$UA")" "the hook's gid"
	assert_eq "$(sed -n 3p "$H/ua")" "$(id -G "$UA" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "the hook's groups"
	assert_eq "$(sed -n 4p "$H/ua")" "$T/ua" "the hook's directory"
	stat -c %U "$H/ua" | grep -x "$UA" >/dev/null || fail "the hook's file is not owned by $UA"
	stop_daemon
else
	log "not root (or no useradd/setpriv): the other-user part is skipped"
fi

echo "hooks: ok"
