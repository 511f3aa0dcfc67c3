#!/usr/bin/env bash
# completion-zsh.sh - completions/_jobq in zsh's completion system: its
# syntax (zsh -n), then, driven through a pseudo-terminal (zcomp.zsh, with
# zsh/zpty), the matches offered for real command lines: commands, global
# options, each command's options against the option tables of client/*.c,
# state values, queue names and job ids from a real jobqd (the newest 200
# jobs only), nothing (without a message, cut off after 2 s) with no
# jobqd, jobqd's options against daemon/options.c.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=complete-lib.sh
. "$(dirname "${TESTLIB:-$0}")/complete-lib.sh"

command -v zsh >/dev/null || skip "zsh is not installed"
zsh -n "$COMPLETIONS/_jobq" || fail "zsh -n completions/_jobq: syntax error"
zsh -fc 'zmodload zsh/zpty' 2>/dev/null ||
	skip "zsh/zpty is missing: only the syntax of _jobq was checked"

ZCOMP=$SRC/tests/integration/zcomp.zsh

# comp LINE: the matches for LINE; what else the terminal showed must not
# hold a message of jobq.
comp() {
	local rc
	ZCOMP_RAW=$T/zcomp.raw ZCOMP_DUMP=$T/zcompdump zsh -f "$ZCOMP" "$COMPLETIONS" "$1" 2>"$T/comp.err"
	rc=$?
	[ "$rc" = 0 ] || fail "completing [$1]: exit $rc: $(cat "$T/comp.err")"
	[ -s "$T/comp.err" ] && fail "completing [$1]: $(cat "$T/comp.err")"
	grep -q 'jobq: ' "$T/zcomp.raw" &&
		fail "completing [$1] showed a message: $(cat "$T/zcomp.raw")"
	return 0
}

states="queued held running succeeded failed canceled interrupted timed_out"
ended="succeeded failed canceled interrupted timed_out"

same_set "commands" "$(help_commands)" "$(comp "jobq ")"
same_set "'jobq li'" list "$(comp "jobq li")"
same_set "global options" "$(help_global_opts)" "$(comp "jobq -")"
same_set "help COMMAND" "$(help_commands)" "$(comp "jobq help ")"
for c in $(help_commands); do
	[ "$c" = help ] && continue
	# submit's options end at "--" too (_arguments -S offers it as "-").
	same_set "options of $c" "$(src_opt_names "$c")" \
		"$(comp "jobq $c -" | { if [ "$c" = submit ]; then grep -vx -- -; else cat; fi; })"
done
same_set "list --state" "$(tr ' ' '\n' <<<"$states")" "$(comp "jobq list --state ")"
same_set "list --state=ru" running "$(comp "jobq list --state=ru")"
same_set "purge --state" "$(tr ' ' '\n' <<<"$ended")" "$(comp "jobq purge --state ")"
same_set "queue SUBCOMMAND" "$(printf '%s\n' list set pause resume)" "$(comp "jobq queue ")"
same_set "schedule SUBCOMMAND" "$(printf '%s\n' add list show pause resume remove run-now)" "$(comp "jobq schedule ")"
same_set "schedule --overlap" "$(printf '%s\n' skip queue allow)" "$(comp "jobq schedule add x --overlap ")"
has_all "submit's command" "$(comp "jobq submit --wait tru")" true
has_none "value of submit --name" "$(comp "jobq submit --name tru")" true
has_all "the job's command line after --" \
	"$(comp "jobq submit --name x -- ls --almost-a")" --almost-all
same_set "jobqd options" "$(src_opt_names jobqd)" "$(comp "jobqd -")"
same_set "jobqd --sync" "$(printf '%s\n' full normal)" "$(comp "jobqd --sync ")"
same_set "jobqd -l" "$(printf '%s\n' error warn info debug)" "$(comp "jobqd -l ")"

setup_jobs
J="$JOBQ -s $SOCK"
same_set "queue names" "$QUEUES" "$(comp "$J queue pause ")"
same_set "queue names (--socket=)" "$QUEUES" "$(comp "$JOBQ --socket=$SOCK queue set ")"
same_set "no queue after queue list" "" "$(comp "$J queue list ")"
same_set "submit --queue=be" beta.x "$(comp "$J submit --queue=be")"
same_set "show: the newest 200 jobs and their arrays" "$REFS" "$(comp "$J show ")"
same_set "tasks of array $ARR" "$ARR_TASKS" "$(comp "$J show $ARR.")"
same_set "list --array" "$ARR" "$(comp "$J list --array ")"
out=$(comp "$J cancel ")
has_all "cancel" "$out" "$HELD" "$NEWEST"
has_none "cancel (ended jobs)" "$out" "$DONE" "$ARR"
out=$(comp "$J retry ")
has_all "retry" "$out" "$DONE" "$ARR"
has_none "retry (jobs not ended)" "$out" "$HELD"
has_all "wait REF REF" "$(comp "$J wait $DONE ")" "$ARR"
same_set "submit --after=ok:$DONE" "$DONE" "$(comp "$J submit --after=ok:$DONE")"

# No jobqd: a socket nobody listens on any more, and one whose listener
# never answers (the query is cut off after 2 s).
stop_daemon
mute_start
mute_cutoff_check
mute_stop
exit 0
