#!/usr/bin/env bash
# env-argv.sh - a job gets exactly its argv, env and cwd; --clean-env gives
# the login-like set (HOME USER LOGNAME SHELL PATH) and the --env entries; stdin is /dev/null; no descriptors beyond 0, 1, 2.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

start_daemon

# run_job ARGS...: submit, wait (must exit 0), leaves stdout in $T/job.out.
run_job() {
	local id rc
	id=$(submit "$@")
	timeout $((30 * SLOW)) "$JOBQ" -s "$SOCK" wait "$id" >/dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "job $id ($*) exited $rc; stderr: $(q logs --stderr "$id" | head -c 300)"
	q logs "$id" >"$T/job.out" || fail "logs of job $id"
	LAST_ID=$id
}

# --- argv passed byte for byte ----------------------------------------------
args=("a b" "'single'" '"double"' $'line1\nline2' "" "ünïcødé ✓ 日本" '$HOME' '*' '\back\slash'
	' lead' 'trail ' $'\ttab' '--' '-x' "semi;colon|pipe&amp" "" "last")
run_job -- sh -c 'printf "%s\0" "$@"' argv0 "${args[@]}"
printf '%s\0' "${args[@]}" >"$T/expected.argv"
cmp "$T/job.out" "$T/expected.argv" ||
	fail "argv bytes differ: got $(od -c "$T/job.out" | head -5), expected $(od -c "$T/expected.argv" | head -5)"
q --json show "$LAST_ID" | python3 -c '
import json, sys
o = json.load(sys.stdin)
want = ["sh", "-c", "printf \"%s\\0\" \"$@\"", "argv0"] + sys.argv[1:]
if o["argv"] != want:
    print("show argv", o["argv"], "expected", want); sys.exit(1)' "${args[@]}" ||
	fail "argv reported by show --json differs"
# argv[0] itself is passed as given (not replaced by the resolved path)
run_job -- sh -c 'printf "%s" "$0"' 'zero with space'
assert_eq "$(cat "$T/job.out")" "zero with space" "\$0 of sh -c"

# --- environment ------------------------------------------------------------
export ITEST_INHERITED="inherited value"
run_job -- sh -c 'printf "%s|%s" "$ITEST_INHERITED" "$ITEST_GIVEN"'
assert_eq "$(cat "$T/job.out")" "inherited value|" "the caller's environment is the default"
run_job --env ITEST_GIVEN='given=with=equals' --env 'ITEST_SP=a b' -- sh -c 'printf "%s|%s|%s" "$ITEST_INHERITED" "$ITEST_GIVEN" "$ITEST_SP"'
assert_eq "$(cat "$T/job.out")" "inherited value|given=with=equals|a b" "--env adds to the caller's environment"
run_job --env ITEST_INHERITED=overridden -- sh -c 'printf "%s" "$ITEST_INHERITED"'
assert_eq "$(cat "$T/job.out")" "overridden" "--env overrides an inherited variable"
# --clean-env: a login-like environment from the passwd entry of the user
# the job runs as (root here), the --env entries on top.
login=$(getent passwd "$(id -un)" | awk -F: '{ printf "HOME=%s\nLOGNAME=%s\nSHELL=%s\nUSER=%s\n", $6, $1, $7, $1 }')
[ "$(id -u)" = 0 ] && path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin || path=/usr/local/bin:/usr/bin:/bin
run_job --clean-env --env A=1 --env 'B=two words' --env 'C=' --env SHELL=/bin/false -- /usr/bin/env
assert_eq "$(sort "$T/job.out")" "$(printf 'A=1\nB=two words\nC=\n%s\nPATH=%s\n' "$(grep -v ^SHELL= <<<"$login")" "$path" | sed '$a SHELL=/bin/false' | sort)" "--clean-env gives the login-like set and the --env entries"
run_job --clean-env -- /usr/bin/env
assert_eq "$(sort "$T/job.out")" "$(printf '%s\nPATH=%s\n' "$login" "$path" | sort)" "--clean-env without --env gives the login-like set"
# env as stored: the database holds the built environment, a JSON array,
# once per distinct environment (envs, schema v14), the job pointing at it
sqlite3 "$STATE/jobq.db" "SELECT e.env FROM jobs j JOIN envs e ON e.id = j.env_id WHERE j.id=$LAST_ID AND j.env = ''" | python3 -c '
import json, sys
v = json.load(sys.stdin)
sys.exit(0 if sorted(k.split("=")[0] for k in v) == ["HOME", "LOGNAME", "PATH", "SHELL", "USER"] else 1)' || fail "env column of job $LAST_ID is not the login-like set"

# --- cwd -----------------------------------------------------------------
mkdir -p "$T/dir one/sub"
run_job --cwd "$T/dir one/sub" -- pwd -P
assert_eq "$(cat "$T/job.out")" "$(cd "$T/dir one/sub" && pwd -P)" "--cwd"
(cd "$T/dir one" && q submit --wait -- sh -c 'pwd -P > ../cwd.out') >/dev/null ||
	fail "job without --cwd failed"
assert_eq "$(cat "$T/cwd.out")" "$(cd "$T/dir one" && pwd -P)" "default cwd is the caller's"

# --- stdin and descriptors --------------------------------------------------
run_job -- sh -c 'readlink /proc/$$/fd/0; cat; echo "cat=$?"'
assert_eq "$(cat "$T/job.out")" "$(printf '/dev/null\ncat=0')" "stdin of a job"
# Leak some descriptors into the client to make sure they do not travel.
run_job -- sh -c 'ls /proc/$$/fd' 7<"$T/expected.argv" 8>"$T/junk"
assert_eq "$(tr '\n' ' ' <"$T/job.out")" "0 1 2 " "open descriptors of a job"
# default signal dispositions and an empty signal mask (the daemon was
# started in the background by a script, with SIGINT and SIGQUIT ignored)
run_job -- grep -E '^Sig(Blk|Ign):' /proc/self/status
assert_eq "$(tr -s '\t' ' ' <"$T/job.out")" "$(printf 'SigBlk: 0000000000000000\nSigIgn: 0000000000000000')" "signal mask and ignored signals of a job"
run_job -- sh -c 'readlink /proc/$$/fd/1 /proc/$$/fd/2'
out1=$(sed -n 1p "$T/job.out")
out2=$(sed -n 2p "$T/job.out")
assert_match "$out1" "/logs/$(id -u)/$LAST_ID\\.out\$" "stdout of a job goes to logs/UID/ID.out"
assert_match "$out2" "/logs/$(id -u)/$LAST_ID\\.err\$" "stderr of a job goes to logs/UID/ID.err"
[ -f "$OUTDIR/$LAST_ID.out" ] || fail "$OUTDIR/$LAST_ID.out missing"

stop_daemon
assert_eq "$DAEMON_RC" 0 "jobqd exit status"
echo "env-argv: ok"
