# jobq.fish - fish completion for jobq(1).
#
# Owns the fish completion of jobq: its global options, its commands, each
# command's options (the getopt_long tables of client/*.c) and their fixed
# values, queue names and job ids asked of jobqd, and the command of
# `jobq submit` (completed as a command line of its own).  Installed in
# fish's vendor_completions.d; jobqd's options are in jobqd.fish.
#
# Queue names and job ids come from `jobq queue list` and `jobq list
# --limit 200` (the newest 200 jobs), run with the -s/--socket of the
# command line, no stdin, stderr discarded and at most 2 s each: with no
# jobqd they offer nothing, at once and without a message.

# The options of jobq COMMAND that take an argument, one a line.
function __jobq_argopts -a cmd
    switch $cmd
        case submit
            printf '%s\n' --batch --name --queue --cwd --env --priority \
                --delay --at --after --array --retries --retry-delay \
                --timeout --kill-grace --unique --label --output-limit \
                --on-end --user --group --mem --cpu-time --nofile --nproc --core \
                --nice --cpus --slots --res
        case list
            printf '%s\n' --state --queue --name --label --array --limit \
                --schedule
        case wait
            echo -- --timeout
        case edit
            printf '%s\n' --queue --priority --name --label --delay --at \
                --timeout --retries --after --drop-after --env --cwd \
                --slots --res
        case purge
            printf '%s\n' --older-than --state
        case queue
            printf '%s\n' --parallel --executor --partition --account \
                --slurm-opt
        case schedule
            printf '%s\n' --cron --every --tz --overlap --catch-up --owner
    end
end

# The words before the cursor from the command name on (the global
# options left out); status 1 when there is no command yet.
function __jobq_words
    set -l toks (commandline -opc)
    set -e toks[1]
    while set -q toks[1]
        switch $toks[1]
            case -s --socket
                set -e toks[1]
                set -q toks[1]; and set -e toks[1]
            case --
                set -e toks[1]
                break
            case '-*'
                set -e toks[1]
            case '*'
                break
        end
    end
    set -q toks[1]; or return 1
    printf '%s\n' $toks
end

# The socket given on the command line, if any.
function __jobq_sock
    set -l toks (commandline -opc)
    set -e toks[1]
    while set -q toks[1]
        switch $toks[1]
            case -s --socket
                set -q toks[2]; and echo -- $toks[2]
                return
            case '--socket=*'
                string replace -- --socket= '' $toks[1]
                return
            case '-s?*'
                string sub -s 3 -- $toks[1]
                return
            case --
                return
            case '-*'
                set -e toks[1]
            case '*'
                return
        end
    end
end

function __jobq_cmd
    set -l w (__jobq_words); or return 1
    echo -- $w[1]
end

function __jobq_needs_cmd
    not __jobq_words >/dev/null
end

# Prints the operands of the command before the cursor; status 0 when its
# options have ended ("--", or the command of `submit`).
function __jobq_ops
    set -l w (__jobq_words); or return 1
    set -l cmd $w[1]
    set -e w[1]
    set -l args (__jobq_argopts $cmd)
    set -l ended 1
    while set -q w[1]
        set -l t $w[1]
        set -e w[1]
        if test $ended = 0; or not string match -q -- '-?*' $t
            echo -- $t
            test $cmd = submit; and set ended 0
        else if test $t = --
            set ended 0
        else if contains -- $t $args
            set -q w[1]; and set -e w[1]
        end
    end
    return $ended
end

# Whether the command is one of the arguments and its options go on.
function __jobq_optok
    set -l c (__jobq_cmd); or return 1
    contains -- $c $argv; or return 1
    not __jobq_ops >/dev/null
end

# __jobq_operand CMD N: whether the word is operand N (0: the first) of
# CMD; N "*": any.
function __jobq_operand -a cmd n
    set -l c (__jobq_cmd); or return 1
    test "$c" = $cmd; or return 1
    set -l ops (__jobq_ops)
    test "$n" = '*'; or test (count $ops) -eq $n
end

# Runs the jobq being completed with the socket of the command line.
function __jobq_call
    set -l cmd
    command -q timeout; and set cmd timeout 2
    set -a cmd (string replace -r -- '^~/' "$HOME/" (commandline -opc)[1])
    set -l sock (__jobq_sock)
    test -n "$sock"; and set -a cmd -s (string replace -r -- '^~/' "$HOME/" $sock)
    $cmd $argv 2>/dev/null </dev/null
end

function __jobq_schedules
    __jobq_call schedule list | while read -l name rest
        test "$name" = NAME; or echo -- $name
    end
end

function __jobq_queues
    __jobq_call queue list | while read -l name rest
        # NAME: the header; "slots:", "resource:": the usage lines;
        # "executor:": a queue's executor line
        test "$name" = NAME; or string match -q -- '*:' $name; or echo -- $name
    end
end

# __jobq_refs [arrays] [STATE...]: the newest 200 jobs in one of the
# STATEs (none: any) as REFs, with their state: job ids and the ids of
# arrays with such a task, or once the word has a '.', the A.I of such
# tasks; "arrays": array ids only.
function __jobq_refs
    set -l what ids
    if test "$argv[1]" = arrays
        set what arrays
        set -e argv[1]
    else if string match -q -- '*.*' (commandline -ct)
        set what tasks
    end
    __jobq_call list --limit 200 -o id,task,state | while read -l id task state rest
        string match -qr -- '^[0-9]+$' $id; or continue
        set -q argv[1]; and not contains -- $state $argv; and continue
        set -l a (string match -r -- '^[0-9]+(?=\.)' $task)
        switch $what
            case ids
                printf '%s\t%s\n' $id $state
                test -n "$a"; and printf '%s\tarray\n' $a
            case tasks
                test -n "$a"; and printf '%s\t%s\n' $task $state
            case arrays
                test -n "$a"; and printf '%s\tarray\n' $a
        end
    end | sort -t \t -k1,1 -u
end

# The value of --after: [ok:|notok:|any:]REF[,REF...].
function __jobq_after
    set -l v (string replace -r -- '^--after=' '' (commandline -ct))
    set -l p (string match -r -- '^.*,' $v)
    set -l last (string replace -r -- '^.*,' '' $v)
    set -l m (string match -r -- '^(?:ok|notok|any):' $last)
    if test -z "$m"
        for mode in ok notok any
            printf '%s\tdependency mode\n' "$p$mode:"
        end
    end
    for r in (__jobq_refs)
        echo -- "$p$m$r"
    end
end

# The command of `jobq submit`, completed as a command line of its own.
function __jobq_job
    set -l ops (__jobq_ops)
    complete -C (string join ' ' -- (string escape -- $ops) (commandline -ct))
end

set -l __jobq_states queued held running succeeded failed canceled interrupted timed_out
set -l __jobq_ended succeeded failed canceled interrupted timed_out

complete -c jobq -f

# Global options and the commands.
complete -c jobq -n __jobq_needs_cmd -s s -l socket -r -F -d "jobqd's socket"
complete -c jobq -n __jobq_needs_cmd -l json -d 'Print one JSON document'
complete -c jobq -n __jobq_needs_cmd -s h -l help -d 'Show the help'
complete -c jobq -n __jobq_needs_cmd -s V -l version -d 'Show the version'
complete -c jobq -n __jobq_needs_cmd -a submit -d 'Submit a job or an array'
complete -c jobq -n __jobq_needs_cmd -a list -d 'List jobs'
complete -c jobq -n __jobq_needs_cmd -a show -d 'Show a job or an array'
complete -c jobq -n __jobq_needs_cmd -a wait -d 'Wait for jobs or arrays to end'
complete -c jobq -n __jobq_needs_cmd -a cancel -d 'Cancel jobs or arrays'
complete -c jobq -n __jobq_needs_cmd -a logs -d 'Print the output of a job'
complete -c jobq -n __jobq_needs_cmd -a priority -d 'Change the priority of a queued job'
complete -c jobq -n __jobq_needs_cmd -a retry -d 'Queue an ended job again'
complete -c jobq -n __jobq_needs_cmd -a hold -d 'Keep queued jobs from starting'
complete -c jobq -n __jobq_needs_cmd -a release -d 'Let held jobs start again'
complete -c jobq -n __jobq_needs_cmd -a edit -d 'Change a queued job'
complete -c jobq -n __jobq_needs_cmd -a purge -d 'Remove ended jobs and their output'
complete -c jobq -n __jobq_needs_cmd -a queue -d 'List, limit, pause, resume queues'
complete -c jobq -n __jobq_needs_cmd -a schedule -d 'Submit a job on a recurring schedule'
complete -c jobq -n __jobq_needs_cmd -a watch -d 'Print job state changes'
complete -c jobq -n __jobq_needs_cmd -a stats -d 'Show counts, throughput, times'
complete -c jobq -n __jobq_needs_cmd -a top -d 'A live full-screen view'
complete -c jobq -n __jobq_needs_cmd -a ping -d 'Check that jobqd answers'
complete -c jobq -n __jobq_needs_cmd -a help -d 'Show help on jobq or a command'

# Every command but help: --json, -h/--help.
set -l __jobq_all submit list show wait cancel logs priority retry hold release edit purge queue schedule watch stats ping
complete -c jobq -n "__jobq_optok $__jobq_all" -l json -d 'Print JSON'
complete -c jobq -n "__jobq_optok $__jobq_all" -s h -l help -d 'Show the help'

# submit
set -l c '__jobq_optok submit'
complete -c jobq -n $c -l batch -r -F -d 'Submit every job of FILE (- for stdin)'
complete -c jobq -n $c -l name -x -d 'A name for the job'
complete -c jobq -n $c -l queue -x -a '(__jobq_queues)' -d 'The queue to put it in'
complete -c jobq -n $c -l cwd -x -a '(__fish_complete_directories)' -d 'Run it in DIR'
complete -c jobq -n $c -l env -x -d 'Set K=V in its environment'
complete -c jobq -n $c -l clean-env -d "A login-like environment"
complete -c jobq -n $c -l merge-output -d "Its stderr into its stdout file"
complete -c jobq -n $c -l hold -d 'Queue it on hold until jobq release'
complete -c jobq -n $c -l slots -x -d 'Worker slots it occupies'
complete -c jobq -n $c -l res -x -d 'Named resources it needs: NAME=N,...'
complete -c jobq -n $c -l priority -x -d 'Higher runs first'
complete -c jobq -n $c -l delay -x -d 'Start no earlier than DUR from now'
complete -c jobq -n $c -l at -x -d 'Start no earlier than TIME'
complete -c jobq -n $c -l after -x -a '(__jobq_after)' -d 'Start once these jobs have ended'
complete -c jobq -n $c -l array -x -d 'Submit an array FIRST-LAST[:STEP][%K]'
complete -c jobq -n $c -l retries -x -d 'Retry up to N times'
complete -c jobq -n $c -l retry-delay -x -d 'Wait DUR before the first retry'
complete -c jobq -n $c -l timeout -x -d 'Stop it after it ran DUR'
complete -c jobq -n $c -l kill-grace -x -d 'Time between TERM and KILL'
complete -c jobq -n $c -l unique -x -d 'Nothing if a job of yours has KEY'
complete -c jobq -n $c -l label -x -d 'Attach the label K=V'
complete -c jobq -n $c -l output-limit -x -d 'Limit its output per run'
complete -c jobq -n $c -l on-end -x -d 'Run CMD once the job has ended'
complete -c jobq -n $c -l user -x -a '(__fish_complete_users)' -d '(root) Run it as USER'
complete -c jobq -n $c -l group -x -a '(__fish_complete_groups)' -d '(root) With GROUP'
complete -c jobq -n $c -l mem -x -d 'Limit its address space'
complete -c jobq -n $c -l cpu-time -x -d 'Limit its CPU time'
complete -c jobq -n $c -l nofile -x -d 'Limit its open files'
complete -c jobq -n $c -l nproc -x -d 'Limit the processes of its user'
complete -c jobq -n $c -l core -x -d 'Limit its core files'
complete -c jobq -n $c -l nice -x -d 'Run it at nice value N'
complete -c jobq -n $c -l cpus -x -d 'Limit its CPU bandwidth'
complete -c jobq -n $c -l wait -d 'Wait for the job'
complete -c jobq -n '__jobq_operand submit 0' -x -a '(__fish_complete_command)'
complete -c jobq -n 'not __jobq_operand submit 0; and __jobq_operand submit "*"' -x -a '(__jobq_job)'

# list
set c '__jobq_optok list'
complete -c jobq -n $c -l state -x -a "$__jobq_states" -d 'Only jobs in STATE'
complete -c jobq -n $c -l queue -x -a '(__jobq_queues)' -d 'Only jobs in queue Q'
complete -c jobq -n $c -l name -x -d 'Only jobs named NAME'
complete -c jobq -n $c -l label -x -d 'Only jobs with label K=V'
complete -c jobq -n $c -l array -x -a '(__jobq_refs arrays)' -d 'Only the tasks of array A'
complete -c jobq -n $c -l limit -x -d 'Only the newest N jobs'
complete -c jobq -n $c -l all -d 'Every job that matches'
complete -c jobq -n $c -l user -x -a '(__fish_complete_users)' -d 'Only the jobs of USER'
complete -c jobq -n $c -l schedule -x -a '(__jobq_schedules)' -d 'Only the jobs of schedule NAME'
complete -c jobq -n $c -l sort -x -a 'id task state queue user name priority exit attempts submitted started ended runtime pid slots res executor slurm_id' -d 'Order by column'
complete -c jobq -n $c -l reverse -d 'The other way round'
complete -c jobq -n $c -s o -l columns -x -a 'id task state queue user name priority exit attempts submitted started ended runtime pid slots res executor slurm_id command' -d 'These columns'
complete -c jobq -n $c -l color -d 'Colour: --color=auto, always or never'
complete -c jobq -n $c -l colour -d 'Colour: --colour=auto, always or never'

# show, retry, priority: one REF; wait, cancel, watch, logs: any number.
complete -c jobq -n '__jobq_operand show 0' -x -a '(__jobq_refs)'
complete -c jobq -n '__jobq_operand logs "*"' -x -a '(__jobq_refs)'
complete -c jobq -n '__jobq_optok logs' -l stderr -d "The jobs' standard error"
complete -c jobq -n '__jobq_optok logs' -l merged -d "Stdout and stderr as written"
complete -c jobq -n '__jobq_optok logs' -s f -l follow -d 'Until the jobs have ended'
complete -c jobq -n '__jobq_optok logs' -s n -l tail -x -d 'Only the last N lines'
complete -c jobq -n '__jobq_operand retry 0' -x -a "(__jobq_refs $__jobq_ended)"
complete -c jobq -n '__jobq_operand priority 0' -x -a '(__jobq_refs queued)'
complete -c jobq -n '__jobq_operand wait "*"' -x -a '(__jobq_refs)'
complete -c jobq -n '__jobq_optok wait' -l timeout -x -d 'Give up after DUR'
complete -c jobq -n '__jobq_operand cancel "*"' -x -a '(__jobq_refs queued running)'
complete -c jobq -n '__jobq_operand watch "*"' -x -a '(__jobq_refs)'

complete -c jobq -n '__jobq_optok show' -l history -d "Then the job's history"
complete -c jobq -n '__jobq_operand hold "*"' -x -a '(__jobq_refs queued)'
complete -c jobq -n '__jobq_operand release "*"' -x -a '(__jobq_refs queued)'

# edit
set c '__jobq_optok edit'
complete -c jobq -n '__jobq_operand edit 0' -x -a '(__jobq_refs queued)'
complete -c jobq -n $c -l queue -x -a '(__jobq_queues)' -d 'Move it to queue Q'
complete -c jobq -n $c -l priority -x -d 'Its priority'
complete -c jobq -n $c -l name -x -d 'Its name'
complete -c jobq -n $c -l no-name -d 'No name'
complete -c jobq -n $c -l label -x -d 'Its labels (replace all)'
complete -c jobq -n $c -l delay -x -d 'Start no earlier than DUR from now'
complete -c jobq -n $c -l at -x -d 'Start no earlier than TIME'
complete -c jobq -n $c -l timeout -x -d 'Its run-time limit'
complete -c jobq -n $c -l retries -x -d 'Retry up to N times'
complete -c jobq -n $c -l after -x -a '(__jobq_after)' -d 'Also wait for these jobs'
complete -c jobq -n $c -l drop-after -x -d 'No longer wait for these jobs'
complete -c jobq -n $c -l env -x -d 'Its environment: yours with K=V'
complete -c jobq -n $c -l cwd -x -a '(__fish_complete_directories)' -d 'Run it in DIR'
complete -c jobq -n $c -l argv -d 'The operands after -- are its command'
complete -c jobq -n $c -l slots -x -d 'Worker slots it occupies'
complete -c jobq -n $c -l res -x -d 'Named resources it needs (replace all)'
complete -c jobq -n $c -l no-res -d 'No named resources'

# stats, top
complete -c jobq -n '__jobq_optok stats' -l prometheus -d 'Metrics in the Prometheus format'
complete -c jobq -n '__jobq_optok top' -s h -l help -d 'Show the help'

# purge
complete -c jobq -n '__jobq_optok purge' -l older-than -x -d 'Only jobs ended DUR ago'
complete -c jobq -n '__jobq_optok purge' -l state -x -a "$__jobq_ended" -d 'Only jobs in STATE'

# queue
complete -c jobq -n '__jobq_optok queue' -l parallel -x -d '(set) At most N at once'
complete -c jobq -n '__jobq_optok queue' -l executor -x -a 'local slurm' -d '(set) Where its jobs run'
complete -c jobq -n '__jobq_optok queue' -l partition -x -d '(set) The Slurm partition'
complete -c jobq -n '__jobq_optok queue' -l account -x -d '(set) The Slurm account'
complete -c jobq -n '__jobq_optok queue' -l slurm-opt -x -d '(set) An sbatch option KEY=VALUE'
complete -c jobq -n '__jobq_operand queue 0' -x -a 'list set pause resume'
complete -c jobq -n '__jobq_operand queue 1; and not contains -- list (__jobq_ops)' -x -a '(__jobq_queues)'

# schedule
set c '__jobq_optok schedule'
complete -c jobq -n $c -l cron -x -d '(add) Fire at the times of MIN HOUR DOM MON DOW'
complete -c jobq -n $c -l every -x -d '(add) Fire every DUR'
complete -c jobq -n $c -l at-start -d '(add) Also fire at once'
complete -c jobq -n $c -l tz -x -d '(add) The zone of --cron'
complete -c jobq -n $c -l overlap -x -a 'skip queue allow' -d '(add) While the previous job is active'
complete -c jobq -n $c -l catch-up -x -a 'none one all' -d '(add) Fires missed while jobqd was down'
complete -c jobq -n $c -l owner -x -a '(__fish_complete_users)' -d 'The schedule of USER'
complete -c jobq -n '__jobq_operand schedule 0' -x -a 'add list show pause resume remove run-now'
complete -c jobq -n '__jobq_operand schedule 1; and not contains -- list (__jobq_ops); and not contains -- add (__jobq_ops)' -x -a '(__jobq_schedules)'

# help
complete -c jobq -n '__jobq_operand help 0' -x -a "$__jobq_all top help"
