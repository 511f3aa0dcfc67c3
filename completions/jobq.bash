# jobq.bash - bash completion for jobq(1) and jobqd(8).
#
# Owns the bash completion of both programs: jobq's global options, its
# commands, each command's options (the getopt_long tables of client/*.c)
# and their fixed values, queue names and job ids asked of jobqd, and
# jobqd's options (daemon/options.c).  Needs nothing but bash (4.1 or
# later); with the bash-completion package loaded, the command of
# `jobq submit` is completed by its own completion (_command_offset).
# Installed as .../bash-completion/completions/jobq, with jobqd a link to
# it; or source it from ~/.bashrc.
#
# Queue names and job ids come from `jobq queue list` and `jobq list
# --limit 200` (the newest 200 jobs), run with the -s/--socket of the
# command line, no stdin, stderr discarded and at most 2 s each: with no
# jobqd they offer nothing, at once and without a message.

# The options of jobq COMMAND (of jobqd for "jobqd"): _jobq_flags gets
# those without an argument, _jobq_args those with one.  Returns 1 for an
# unknown command.
_jobq_opts()
{
	_jobq_flags='--json -h --help'
	case $1 in
	jobqd)
		_jobq_flags='-h --help -V --version'
		_jobq_args='-s --socket -d --state-dir -w --workers --sync
		    --kill-grace --worker-timeout --run-ahead --handshake-timeout
		    --frame-timeout --max-unsent --keep-age --keep-count
		    --output-limit --output-limit-max -c --config --cgroup
		    --hook-timeout --hook-max-running --metrics-file
		    --metrics-interval --resource --sbatch --squeue --scancel
		    --sacct --slurm-poll --slurm-timeout -l --log-level' ;;
	submit)
		_jobq_flags+=' --clean-env --merge-output --wait --hold'
		_jobq_args='--batch --name --queue --cwd --env --priority --delay
		    --at --after --array --retries --retry-delay --timeout
		    --kill-grace --unique --label --output-limit --on-end --user
		    --group --mem --cpu-time --nofile --nproc --core --nice --cpus
		    --slots --res' ;;
	list)
		_jobq_flags+=' --all --reverse --color --colour'
		_jobq_args='--state --queue --name --label --array --limit
		    --user --schedule --sort -o --columns' ;;
	wait)
		_jobq_args='--timeout' ;;
	logs)
		_jobq_flags+=' --stderr --merged -f --follow'
		_jobq_args='-n --tail' ;;
	purge)
		_jobq_args='--older-than --state' ;;
	queue)
		_jobq_args='--parallel --executor --partition --account
		    --slurm-opt' ;;
	schedule)
		_jobq_flags+=' --at-start'
		_jobq_args='--cron --every --tz --overlap --catch-up --owner' ;;
	stats)
		_jobq_flags+=' --prometheus'
		_jobq_args= ;;
	top)
		_jobq_flags='-h --help'
		_jobq_args= ;;
	show)
		_jobq_flags+=' --history'
		_jobq_args= ;;
	edit)
		_jobq_flags+=' --no-name --argv --no-res'
		_jobq_args='--queue --priority --name --label --delay --at
		    --timeout --retries --after --drop-after --env --cwd
		    --slots --res' ;;
	cancel | priority | retry | hold | release | watch | ping)
		_jobq_args= ;;
	help)
		_jobq_flags= _jobq_args= ;;
	*)
		return 1 ;;
	esac
	return 0
}

# Whether $1 is one of the remaining arguments.
_jobq_in()
{
	local w=$1 x
	shift
	for x in $*; do
		[[ $x == "$w" ]] && return 0
	done
	return 1
}

# Splits the command line into words as getopt sees them: bash splits
# "--state=running" and "ok:7" at the '=' and ':' of COMP_WORDBREAKS; the
# parts written without blanks between them are joined again (as
# bash-completion's _init_completion -n =: would).  Sets words, cword, cur
# (the current word up to the cursor), _jobq_raw (the index in COMP_WORDS
# where each word starts) and _jobq_brk (the part of cur up to its last
# '=' or ':' of COMP_WORDBREAKS: bash replaces only what follows it).
_jobq_split()
{
	local line i w lead last= k c
	words=() cword=0 cur= _jobq_raw=() _jobq_brk=
	line=${COMP_LINE-}
	line=${line:0:${COMP_POINT:-${#line}}}
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]-}
		if [[ -n ${COMP_LINE+set} ]]; then
			lead=${line%%[![:space:]]*}
			line=${line#"$lead"}
			if ((i == COMP_CWORD)); then
				w=$line
			elif [[ $line == "$w"* ]]; then
				line=${line#"$w"}
			else
				line= lead=' '
			fi
		else
			lead=' '
		fi
		if ((i > 0)) && [[ -z $lead ]] &&
		    { [[ $w =~ ^[=:]+$ ]] || [[ $last =~ ^[=:]+$ ]]; }; then
			words[${#words[@]} - 1]+=$w
		else
			words+=("$w")
			_jobq_raw+=("$i")
		fi
		last=$w
	done
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	for ((k = ${#cur} - 1; k >= 0; k--)); do
		c=${cur:k:1}
		if [[ $c == [=:] && ${COMP_WORDBREAKS-} == *"$c"* ]]; then
			_jobq_brk=${cur:0:k+1}
			break
		fi
	done
}

# Adds the candidates that start with cur to COMPREPLY, less _jobq_brk.
_jobq_add()
{
	local c
	for c; do
		[[ $c == "$cur"* ]] && COMPREPLY+=("${c:${#_jobq_brk}}")
	done
}

# _jobq_files PREFIX VALUE [-d]: the files (-d: directories) VALUE starts,
# each after PREFIX.
_jobq_files()
{
	local f IFS=$'\n'
	compopt -o filenames 2>/dev/null
	for f in $(compgen "${3:--f}" -- "$2"); do
		_jobq_add "$1$f"
	done
}

# Runs jobq with the socket of the command line (_jobq_sock): quietly,
# without stdin, for at most 2 s.
_jobq_query()
{
	local bin=${words[0]} cmd=()
	[[ $bin == '~/'* ]] && bin=$HOME/${bin#'~/'}
	command -v timeout >/dev/null 2>&1 && cmd=(timeout 2)
	cmd+=("$bin")
	[[ -n $_jobq_sock ]] && cmd+=(-s "$_jobq_sock")
	"${cmd[@]}" "$@" 2>/dev/null </dev/null
}

# The names of jobqd's queues.
_jobq_queues()
{
	_jobq_query queue list | while read -r name _; do
		# NAME: the header; "slots:", "resource:": the usage lines;
		# "executor:": a queue's executor line
		[[ $name == NAME || $name == *: ]] || printf '%s\n' "$name"
	done
}

# The names of the schedules jobqd shows the user.
_jobq_schedules()
{
	_jobq_query schedule list | while read -r name _; do
		[[ $name == NAME ]] || printf '%s\n' "$name"
	done
}

# _jobq_refs WHAT STATES: the newest 200 jobs in one of STATES (a
# space-separated list; empty: any) as REFs: WHAT "ids" gives job ids and
# the ids of arrays with such a task, "tasks" the A.I of such tasks,
# "arrays" the array ids only.
_jobq_refs()
{
	local id task state _
	_jobq_query list --limit 200 -o id,task,state | while read -r id task state _; do
		[[ $id =~ ^[0-9]+$ ]] || continue
		[[ -z $2 ]] || _jobq_in "$state" $2 || continue
		case $1 in
		ids)
			printf '%s\n' "$id"
			[[ $task == *.* ]] && printf '%s\n' "${task%%.*}" ;;
		tasks)
			[[ $task == *.* ]] && printf '%s\n' "$task" ;;
		arrays)
			[[ $task == *.* ]] && printf '%s\n' "${task%%.*}" ;;
		esac
	done | sort -u
}

# _jobq_ref PREFIX VALUE STATES: completes a REF after PREFIX: job and
# array ids, or once VALUE has a '.', the tasks of that array.
_jobq_ref()
{
	local r what=ids
	[[ $2 == *.* ]] && what=tasks
	for r in $(_jobq_refs "$what" "$3"); do
		_jobq_add "$1$r"
	done
}

# _jobq_value OPTION PREFIX VALUE: completes the value of OPTION of command
# $_jobq_cmd; each candidate is PREFIX followed by the value.
_jobq_value()
{
	local p=$2 v=$3 q
	case $_jobq_cmd:$1 in
	list:--state)
		for q in queued held running succeeded failed canceled \
		    interrupted timed_out; do
			_jobq_add "$p$q"
		done ;;
	purge:--state)
		for q in succeeded failed canceled interrupted timed_out; do
			_jobq_add "$p$q"
		done ;;
	*:--queue)
		for q in $(_jobq_queues); do
			_jobq_add "$p$q"
		done ;;
	list:--array)
		for q in $(_jobq_refs arrays ''); do
			_jobq_add "$p$q"
		done ;;
	list:--sort | list:-o | list:--columns)
		for q in id task state queue user name priority exit attempts \
		    submitted started ended runtime pid slots res executor \
		    slurm_id command; do
			[[ $1 == --sort && $q == command ]] || _jobq_add "$p$q"
		done ;;
	queue:--executor)
		_jobq_add "${p}local" "${p}slurm" ;;
	schedule:--overlap)
		_jobq_add "${p}skip" "${p}queue" "${p}allow" ;;
	schedule:--catch-up)
		_jobq_add "${p}none" "${p}one" "${p}all" ;;
	schedule:--owner)
		_jobq_add $(compgen -P "$p" -u -- "$v") ;;
	*:--cwd)
		_jobq_files "$p" "$v" -d ;;
	*:--batch)
		_jobq_add "$p-"
		_jobq_files "$p" "$v" ;;
	*:--user)
		_jobq_add $(compgen -P "$p" -u -- "$v") ;;
	*:--group)
		_jobq_add $(compgen -P "$p" -g -- "$v") ;;
	*:--after)
		# [ok:|notok:|any:]REF[,REF...]: complete the last REF.
		[[ $v == *,* ]] && p+=${v%,*}, v=${v##*,}
		if [[ $v == *:* ]]; then
			p+=${v%%:*}: v=${v#*:}
		else
			_jobq_add "${p}ok:" "${p}notok:" "${p}any:"
		fi
		_jobq_ref "$p" "$v" ''
		compopt -o nospace 2>/dev/null ;;
	esac
}

# The operands of jobq COMMAND: $1 is the index of the operand being
# completed (0: the first), VALUE the text so far.
_jobq_operand()
{
	local n=$1 v=$cur c
	case $_jobq_cmd in
	show)
		((n == 0)) && _jobq_ref '' "$v" '' ;;
	wait | watch | logs)
		_jobq_ref '' "$v" '' ;;
	cancel)
		_jobq_ref '' "$v" 'queued running' ;;
	hold | release)
		_jobq_ref '' "$v" 'queued' ;;
	edit)
		((n == 0)) && _jobq_ref '' "$v" 'queued' ;;
	retry)
		((n == 0)) && _jobq_ref '' "$v" \
		    'succeeded failed canceled interrupted timed_out' ;;
	priority)
		((n == 0)) && _jobq_ref '' "$v" 'queued' ;;
	queue)
		if ((n == 0)); then
			_jobq_add list set pause resume
		elif ((n == 1)) && [[ ${_jobq_ops[0]} != list ]]; then
			for c in $(_jobq_queues); do
				_jobq_add "$c"
			done
		fi ;;
	schedule)
		if ((n == 0)); then
			_jobq_add add list show pause resume remove run-now
		elif ((n == 1)) && [[ ${_jobq_ops[0]} != list &&
		    ${_jobq_ops[0]} != add ]]; then
			for c in $(_jobq_schedules); do
				_jobq_add "$c"
			done
		fi ;;
	help)
		((n == 0)) && _jobq_add $(_jobq_commands) ;;
	esac
}

_jobq_commands()
{
	echo submit list show wait cancel logs priority retry hold release \
	    edit purge queue schedule watch stats top ping help
}

# Whether the command is `schedule add` with at least $1 operands (add,
# NAME, the job's command) before the current word.
_jobq_sched_add()
{
	[[ $_jobq_cmd == schedule && ${_jobq_ops[0]-} == add &&
	    ${#_jobq_ops[@]} -ge $1 ]]
}

_jobq()
{
	local words cword cur _jobq_raw _jobq_brk _jobq_sock= _jobq_cmd=
	local _jobq_flags _jobq_args _jobq_ops=() i w dashdash=
	COMPREPLY=()
	_jobq_split

	# The global options, up to the command (getopt's "+": the first
	# word that is not an option).
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		-s | --socket)
			((i + 1 == cword)) && { _jobq_files '' "$cur"; return 0; }
			_jobq_sock=${words[++i]} ;;
		--socket=*) _jobq_sock=${w#--socket=} ;;
		-s?*) _jobq_sock=${w#-s} ;;
		--) ((i++)); break ;;
		-*) ;;
		*) break ;;
		esac
	done
	[[ $_jobq_sock == '~/'* ]] && _jobq_sock=$HOME/${_jobq_sock#'~/'}
	if ((i >= cword)); then
		case $cur in
		--socket=*) _jobq_files --socket= "${cur#--socket=}" ;;
		-*) _jobq_add -s --socket --json -h --help -V --version ;;
		*) _jobq_add $(_jobq_commands) ;;
		esac
		return 0
	fi
	_jobq_cmd=${words[i]}
	_jobq_opts "$_jobq_cmd" || return 0

	# The command's options and operands before the current word.
	for ((i++; i < cword; i++)); do
		w=${words[i]}
		if [[ -n $dashdash || $w != -?* ]]; then
			_jobq_ops+=("$w")
			# submit: options end at its command; schedule add
			# NAME: likewise, and it takes submit's options too
			if [[ $_jobq_cmd == submit ]] || _jobq_sched_add 3; then
				dashdash=1
				break
			fi
			if _jobq_sched_add 1 && [[ ${#_jobq_ops[@]} == 1 ]]; then
				local f=$_jobq_flags a=$_jobq_args
				_jobq_opts submit
				_jobq_flags="$f ${_jobq_flags/--json -h --help/}"
				_jobq_args="$a $_jobq_args"
			fi
		elif [[ $w == -- ]]; then
			dashdash=1
		elif [[ $w != *=* ]] && _jobq_in "$w" $_jobq_args; then
			if ((++i == cword)); then
				_jobq_value "$w" '' "$cur"
				return 0
			fi
		fi
	done

	if { [[ $_jobq_cmd == submit ]] || _jobq_sched_add 2; } &&
	    { [[ -n $dashdash ]] || [[ $cur != -* ]]; }; then
		# The command of the job: i is the index of its name.
		if ((i == cword)); then
			local IFS=$'\n'
			compopt -o filenames 2>/dev/null
			_jobq_add $(compgen -c -- "$cur" | sort -u)
		elif declare -F _command_offset >/dev/null; then
			_command_offset "${_jobq_raw[i]}"
		else
			_jobq_files '' "$cur"
		fi
		return 0
	fi
	if [[ -z $dashdash && $cur == --*=* ]]; then
		_jobq_in "${cur%%=*}" $_jobq_args &&
		    _jobq_value "${cur%%=*}" "${cur%%=*}=" "${cur#*=}"
		return 0
	fi
	if [[ -z $dashdash && $cur == -* ]]; then
		_jobq_add $_jobq_flags $_jobq_args
		return 0
	fi
	_jobq_operand "${#_jobq_ops[@]}"
	return 0
}

# jobqd's options (daemon/options.c).
_jobqd()
{
	local words cword cur _jobq_raw _jobq_brk _jobq_flags _jobq_args
	local opt= v= p=
	COMPREPLY=()
	_jobq_split
	_jobq_opts jobqd
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} v=${cur#*=} p=$opt=
	elif [[ $cur == -[a-zA-Z]?* ]]; then
		opt=${cur:0:2} v=${cur:2} p=$opt
	elif ((cword > 1)); then
		opt=${words[cword - 1]} v=$cur
	fi
	if [[ -z $opt ]] || ! _jobq_in "$opt" $_jobq_args; then
		[[ $cur == -* ]] && _jobq_add $_jobq_flags $_jobq_args
		return 0
	fi
	case $opt in
	-s | --socket | -c | --config | --metrics-file)
		_jobq_files "$p" "$v" ;;
	-d | --state-dir)
		_jobq_files "$p" "$v" -d ;;
	--sync)
		_jobq_add "${p}full" "${p}normal" ;;
	-l | --log-level)
		_jobq_add "${p}error" "${p}warn" "${p}info" "${p}debug" ;;
	--cgroup)
		_jobq_add "${p}auto" "${p}off"
		_jobq_files "$p" "$v" -d ;;
	esac
	return 0
}

complete -F _jobq jobq
complete -F _jobqd jobqd
