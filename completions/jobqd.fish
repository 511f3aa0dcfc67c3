# jobqd.fish - fish completion for jobqd(8): its options, as in the option
# table of daemon/options.c, with their fixed values.  Installed in fish's
# vendor_completions.d next to jobq.fish.

complete -c jobqd -f
complete -c jobqd -s s -l socket -r -F -d 'Listen on PATH'
complete -c jobqd -s d -l state-dir -x -a '(__fish_complete_directories)' -d 'Database and job output'
complete -c jobqd -s w -l workers -x -d 'Worker processes'
complete -c jobqd -l sync -x -a 'full normal' -d 'When a job counts as stored'
complete -c jobqd -l kill-grace -x -d 'SIGTERM -> SIGKILL delay'
complete -c jobqd -l worker-timeout -x -d 'A worker silent for DUR is hung'
complete -c jobqd -l run-ahead -x -d 'Hand a worker its next job while its job is young'
complete -c jobqd -l handshake-timeout -x -d 'Close clients that send no hello'
complete -c jobqd -l frame-timeout -x -d 'Close clients with a request incomplete'
complete -c jobqd -l max-unsent -x -d 'MiB of unread replies before pausing reads'
complete -c jobqd -l keep-age -x -d 'Remove ended jobs DUR after they ended'
complete -c jobqd -l keep-count -x -d 'Keep at most N ended jobs'
complete -c jobqd -l output-limit -x -d "A job's output limit per run"
complete -c jobqd -l output-limit-max -x -d 'The largest output limit a submit may ask'
complete -c jobqd -l hook-timeout -x -d 'A hook running DUR gets SIGTERM'
complete -c jobqd -l hook-max-running -x -d 'Hooks running at once'
complete -c jobqd -l metrics-file -r -F -d 'Write the metrics to PATH'
complete -c jobqd -l metrics-interval -x -d 'How often --metrics-file is rewritten'
complete -c jobqd -l resource -x -d 'A countable resource: NAME=N or NAME=a,b (repeatable)'
complete -c jobqd -l sbatch -r -F -d 'The sbatch of slurm queues'
complete -c jobqd -l squeue -r -F -d 'squeue, polled for the jobs on Slurm'
complete -c jobqd -l scancel -r -F -d 'scancel, for cancels and timeouts on Slurm'
complete -c jobqd -l sacct -r -F -d "sacct, for jobs squeue has forgotten"
complete -c jobqd -l slurm-poll -x -d 'How often squeue is asked'
complete -c jobqd -l slurm-timeout -x -d 'A Slurm command running DUR is killed'
complete -c jobqd -s c -l config -r -F -d 'The configuration file'
complete -c jobqd -l cgroup -x -a 'auto off (__fish_complete_directories)' -d 'Cgroup v2 PATH for the jobs'
complete -c jobqd -s l -l log-level -x -a 'error warn info debug' -d 'Log level'
complete -c jobqd -s h -l help -d 'Show the help'
complete -c jobqd -s V -l version -d 'Show the version'
