#!/usr/bin/env bash
# completion-bash.sh - completions/jobq.bash in a non-interactive bash:
# COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as bash sets them
# (the words split at '=' and ':'), the completion function called, COMPREPLY
# checked: commands, global options, each command's options against the
# option tables of client/*.c, state values, queue names and job ids from a
# real jobqd (the newest 200 jobs only), nothing (at once, silently) with
# no jobqd, jobqd's options against daemon/options.c.  Every check runs in
# plain bash, in plain bash under `set -u`, and with bash-completion loaded
# when it is installed (then the command of `jobq submit` is completed by
# its own completion too).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=complete-lib.sh
. "$(dirname "${TESTLIB:-$0}")/complete-lib.sh"

BASH_COMPLETION=
for f in /usr/share/bash-completion/bash_completion \
	/usr/local/share/bash-completion/bash_completion; do
	[ -r "$f" ] && { BASH_COMPLETION=$f; break; }
done

# The driver: MODE (plain, nounset, bc: with bash-completion) and a command
# line; prints COMPREPLY, one a line.  The line is split as bash splits it
# for completion: at blanks, and runs of '=' or ':' are words of their own.
cat >"$T/drive.sh" <<'EOF'
mode=$1 line=$2
if [ "$mode" = bc ]; then
	. "$BASH_COMPLETION" || exit 3
fi
. "$COMPLETIONS/jobq.bash" || exit 3
[ "$mode" = nounset ] && set -u
COMP_LINE=$line COMP_POINT=${#line}
COMP_WORDS=()
for chunk in $line; do
	rest=$chunk
	while [ -n "$rest" ]; do
		[[ $rest =~ ^([=:]+)(.*)$ ]] || [[ $rest =~ ^([^=:]+)(.*)$ ]]
		COMP_WORDS+=("${BASH_REMATCH[1]}")
		rest=${BASH_REMATCH[2]}
	done
done
[[ $line == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
fn=$(complete -p "${COMP_WORDS[0]##*/}" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || exit 4
"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
	"${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF
export COMPLETIONS BASH_COMPLETION

MODES="plain nounset"
if [ -n "$BASH_COMPLETION" ]; then
	MODES+=" bc"
else
	log "bash-completion is not installed: checked without it only"
fi

# comp LINE: the candidates for LINE in $MODE (the completion's stderr in
# $T/comp.err must stay empty).
comp() {
	local rc
	bash --norc --noprofile "$T/drive.sh" "$MODE" "$1" 2>"$T/comp.err"
	rc=$?
	[ "$rc" = 0 ] || fail "[$MODE] completing [$1]: exit $rc: $(cat "$T/comp.err")"
	[ -s "$T/comp.err" ] && fail "[$MODE] completing [$1] wrote to stderr: $(cat "$T/comp.err")"
	return 0
}

static_checks() {
	local c opts

	same_set "[$MODE] commands" "$(help_commands)" "$(comp "jobq ")"
	same_set "[$MODE] 'jobq li'" list "$(comp "jobq li")"
	same_set "[$MODE] global options" "$(help_global_opts)" "$(comp "jobq -")"
	same_set "[$MODE] after --json" "$(help_commands)" "$(comp "jobq --json ")"
	same_set "[$MODE] help COMMAND" "$(help_commands)" "$(comp "jobq help ")"

	# Each command's options, and which of them take an argument.
	for c in $(help_commands); do
		[ "$c" = help ] && continue
		opts=$(src_opts "$c")
		same_set "[$MODE] options of $c" "$(sed 's/=$//' <<<"$opts")" \
			"$(comp "jobq $c -")"
	done
	same_set "[$MODE] submit --" "$(src_opt_names submit | grep -- '^--')" \
		"$(comp "jobq submit --")"
	same_set "[$MODE] 'logs --f'" --follow "$(comp "jobq logs --f")"
	same_set "[$MODE] options after an operand" --timeout "$(comp "jobq wait 5 --t")"

	# Fixed values.
	local states="queued held running succeeded failed canceled interrupted timed_out"
	local ended="succeeded failed canceled interrupted timed_out"
	same_set "[$MODE] list --state" "$(tr ' ' '\n' <<<"$states")" \
		"$(comp "jobq list --state ")"
	same_set "[$MODE] list --state=" "$(tr ' ' '\n' <<<"$states")" \
		"$(comp "jobq list --state=")"
	same_set "[$MODE] list --state=ru" running "$(comp "jobq list --state=ru")"
	same_set "[$MODE] purge --state" "$(tr ' ' '\n' <<<"$ended")" \
		"$(comp "jobq purge --state ")"
	same_set "[$MODE] queue SUBCOMMAND" "$(printf '%s\n' list set pause resume)" \
		"$(comp "jobq queue ")"
	same_set "[$MODE] queue --parallel 2 SUBCOMMAND" \
		"$(printf '%s\n' list set pause resume)" "$(comp "jobq queue --parallel 2 ")"
	same_set "[$MODE] schedule SUBCOMMAND" \
		"$(printf '%s\n' add list show pause resume remove run-now)" "$(comp "jobq schedule ")"
	same_set "[$MODE] schedule --catch-up" "$(printf '%s\n' none one all)" \
		"$(comp "jobq schedule add x --catch-up ")"
	# schedule add NAME: submit's options too, then the job's command
	same_set "[$MODE] schedule add x --pri" --priority "$(comp "jobq schedule add x --pri")"
	has_all "[$MODE] schedule add's command" "$(comp "jobq schedule add x --every 1s tru")" true

	# submit: its options end at the job's command, which is completed as
	# a command name, then as its own command line.
	has_all "[$MODE] submit's command" "$(comp "jobq submit tru")" true
	has_all "[$MODE] submit's command after --wait" "$(comp "jobq submit --wait tru")" true
	has_all "[$MODE] submit's command after --" "$(comp "jobq submit -- tru")" true
	has_none "[$MODE] value of submit --name" "$(comp "jobq submit --name tru")" true
	same_set "[$MODE] options of the job's command" "" "$(comp "jobq submit true --")"
	has_all "[$MODE] submit --cwd" "$(comp "jobq submit --cwd $T/")" "$T/bin"
	has_none "[$MODE] submit --cwd (directories only)" \
		"$(comp "jobq submit --cwd $T/")" "$T/drive.sh"
	has_all "[$MODE] submit --batch" "$(comp "jobq submit --batch $T/dr")" "$T/drive.sh"
	has_all "[$MODE] submit --user" "$(comp "jobq submit --user ro")" root

	# jobqd
	same_set "[$MODE] jobqd options" "$(src_opt_names jobqd)" "$(comp "jobqd -")"
	same_set "[$MODE] jobqd --s" "$(printf '%s\n' --sacct --sbatch --scancel --slurm-poll --slurm-timeout --socket --squeue --state-dir --sync)" \
		"$(comp "jobqd --s")"
	same_set "[$MODE] jobqd --sync" "$(printf '%s\n' full normal)" "$(comp "jobqd --sync ")"
	same_set "[$MODE] jobqd --sync=f" full "$(comp "jobqd --sync=f")"
	has_all "[$MODE] jobqd --cgroup" "$(comp "jobqd --cgroup ")" auto off
	same_set "[$MODE] jobqd --workers (a number)" "" "$(comp "jobqd --workers ")"
	same_set "[$MODE] jobqd -w 2 --w" "$(printf '%s\n' --workers --worker-timeout)" \
		"$(comp "jobqd -w 2 --w")"
	same_set "[$MODE] jobqd --help --w" "$(printf '%s\n' --workers --worker-timeout)" \
		"$(comp "jobqd --help --w")"
	same_set "[$MODE] jobqd -d" "$T/bin" "$(comp "jobqd -d $T/bi")"
	same_set "[$MODE] jobqd -l" "$(printf '%s\n' error warn info debug)" \
		"$(comp "jobqd -l ")"
	return 0
}

# Which options take an argument: the completion's table (_jobq_opts) for
# each command of jobq and for jobqd against the sources.
arg_checks() {
	local c opts
	for c in $(help_commands) jobqd; do
		[ "$c" = help ] && continue
		opts=$(src_opts "$c")
		same_set "options of $c without an argument" "$(grep -v '=$' <<<"$opts")" \
			"$(bash --norc --noprofile -c '. "$COMPLETIONS/jobq.bash"; _jobq_opts "$1"; printf "%s\n" $_jobq_flags' _ "$c")"
		same_set "options of $c with an argument" "$(grep '=$' <<<"$opts" | sed 's/=$//')" \
			"$(bash --norc --noprofile -c '. "$COMPLETIONS/jobq.bash"; _jobq_opts "$1"; printf "%s\n" $_jobq_args' _ "$c")"
	done
}

# With the bash-completion package, the job's command line is completed by
# the command's own completion.
bc_checks() {
	[ "$MODE" = bc ] || return 0
	# Installed as make install does (jobq, jobqd a link to it),
	# bash-completion's loader finds both by the name of the command.
	mkdir -p "$T/bcdir/completions"
	cp "$COMPLETIONS/jobq.bash" "$T/bcdir/completions/jobq"
	ln -sf jobq "$T/bcdir/completions/jobqd"
	assert_eq "$(BASH_COMPLETION_USER_DIR=$T/bcdir bash --norc --noprofile -c \
		'. "$BASH_COMPLETION"; __load_completion jobqd && complete -p jobqd jobq' 2>&1)" \
		"$(printf '%s\n' 'complete -F _jobqd jobqd' 'complete -F _jobq jobq')" \
		"[$MODE] completions loaded for jobqd"
	has_all "[$MODE] submit -- ls --almost-a" \
		"$(comp "jobq submit -- ls --almost-al")" --almost-all
}

daemon_checks() {
	local J="$JOBQ -s $SOCK" out s

	same_set "[$MODE] queue names" "$QUEUES" "$(comp "$J queue pause ")"
	same_set "[$MODE] queue names (--socket=)" "$QUEUES" \
		"$(comp "$JOBQ --socket=$SOCK queue resume ")"
	same_set "[$MODE] queue names (-sPATH)" "$QUEUES" \
		"$(comp "$JOBQ -s$SOCK queue set ")"
	same_set "[$MODE] no queue after queue list" "" "$(comp "$J queue list ")"
	same_set "[$MODE] submit --queue al" alpha "$(comp "$J submit --queue al")"
	same_set "[$MODE] submit --queue=be" beta.x "$(comp "$J submit --queue=be")"
	same_set "[$MODE] list --queue g" gamma-1 "$(comp "$J list --queue g")"

	# Job ids: the newest 200 jobs, and array ids.
	same_set "[$MODE] show: the newest 200 jobs and their arrays" "$REFS" \
		"$(comp "$J show ")"
	same_set "[$MODE] tasks of array $ARR" "$ARR_TASKS" "$(comp "$J show $ARR.")"
	same_set "[$MODE] list --array" "$ARR" "$(comp "$J list --array ")"
	# cancel: jobs that have not ended; retry: jobs that have.
	out=$(comp "$J cancel ")
	has_all "[$MODE] cancel" "$out" "$HELD" "$NEWEST"
	has_none "[$MODE] cancel (ended jobs)" "$out" "$DONE" "$ARR"
	out=$(comp "$J retry ")
	has_all "[$MODE] retry" "$out" "$DONE" "$ARR"
	has_none "[$MODE] retry (jobs not ended)" "$out" "$HELD" "$NEWEST"
	same_set "[$MODE] retry: one REF" "" "$(comp "$J retry $DONE ")"
	has_all "[$MODE] priority" "$(comp "$J priority ")" "$HELD"
	same_set "[$MODE] priority REF N" "" "$(comp "$J priority $HELD ")"
	has_all "[$MODE] wait REF REF" "$(comp "$J wait $DONE ")" "$ARR"
	has_all "[$MODE] wait --json" "$(comp "$J wait --json ")" "$DONE"
	same_set "[$MODE] wait --timeout (a duration)" "" "$(comp "$J wait --timeout ")"
	has_all "[$MODE] watch" "$(comp "$J --json watch ")" "$DONE"
	has_all "[$MODE] logs" "$(comp "$J logs --stderr ")" "$DONE"
	same_set "[$MODE] submit --after=ok:$DONE" "$DONE" \
		"$(comp "$J submit --after=ok:$DONE")"
	out=$(comp "$J submit --after ")
	has_all "[$MODE] submit --after" "$out" ok: notok: any: "$DONE"
	same_set "[$MODE] submit --after $DONE,any:$ARR." "$ARR_TASKS" \
		"$(comp "$J submit --after $DONE,any:$ARR.")"

	# JOBQ_SOCKET is used when there is no -s.
	same_set "[$MODE] queue names via \$JOBQ_SOCKET" "$QUEUES" \
		"$(JOBQ_SOCKET=$SOCK comp "$JOBQ queue pause ")"

	# No jobqd there: nothing, without a message (comp fails on any stderr
	# output).
	same_set "[$MODE] show with no jobqd" "" "$(comp "$JOBQ -s $T/nothing show ")"
	same_set "[$MODE] --queue with no jobqd" "" \
		"$(comp "$JOBQ -s $T/nothing submit --queue ")"
}

# timed_comp LINE: comp LINE, its candidates in $T/timed.out, how long it
# took (ms) on stdout.
timed_comp() {
	local s
	s=$(now_ms)
	comp "$1" >"$T/timed.out"
	echo $(($(now_ms) - s))
}

# quick_check DESCRIPTION LINE: LINE completes to nothing, and takes less
# than a second longer than a completion that asks jobqd nothing, BASE ms
# (this machine may be loaded: an absolute bound would be a guess).
quick_check() {
	local ms
	ms=$(timed_comp "$2")
	same_set "[$MODE] $1" "" "$(cat "$T/timed.out")"
	[ "$ms" -lt $((BASE + 1000 * SLOW)) ] ||
		fail "[$MODE] $1: completing [$2] took $ms ms (one without jobqd: $BASE ms)"
}

MODE=plain
arg_checks
for MODE in $MODES; do
	static_checks
	bc_checks
done
setup_jobs
for MODE in $MODES; do
	daemon_checks
done

# No jobqd: no socket file, a socket nobody listens on any more (jobqd
# stopped), and one whose listener never answers: there the query is cut
# off after 2 s.
stop_daemon
mute_start
for MODE in $MODES; do
	BASE=$(timed_comp "jobq list --state ")
	quick_check "show with no socket" "$JOBQ -s $T/nothing show "
	quick_check "show after jobqd stopped" "$JOBQ -s $SOCK show "
	quick_check "--queue after jobqd stopped" "$JOBQ -s $SOCK submit --queue "
	ms=$(timed_comp "$JOBQ -s $T/mute show ")
	same_set "[$MODE] show with a mute jobqd" "" "$(cat "$T/timed.out")"
	[ "$ms" -ge 1900 ] ||
		fail "[$MODE] show with a mute jobqd took $ms ms: was jobq asked at all?"
	[ "$ms" -lt $((4000 * SLOW)) ] ||
		fail "[$MODE] show with a mute jobqd took $ms ms, not cut off after 2 s"
done
mute_stop
exit 0
