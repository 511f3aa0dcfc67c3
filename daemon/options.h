/*
 * options.h - jobqd's settings: one table of options (name, kind, bounds,
 * reload, help) from which the command line is parsed, the global
 * settings of jobqd.conf(5) are checked and set (options_file) and --help
 * is printed, and the struct they fill.  Precedence: the command line,
 * then the file, then the built-in default.  Only jobqd.c holds a struct options; every other
 * module gets the few values it needs passed explicitly
 * (dispatch_config, server_config).
 */
#ifndef JOBQD_OPTIONS_H
#define JOBQD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define OPTIONS_MAX 48               /* options in the table, at most */
#define OPTIONS_FROM_CLI ((size_t)-1)
#define OPTIONS_LIST_MAX 16          /* values of a repeatable option */

/* A repeatable option's values, in the order given (--resource). */
struct options_list {
	const char *v[OPTIONS_LIST_MAX];
	size_t n;
};

struct options {
	const char *socket;          /* NULL: the default path */
	const char *state_dir;       /* NULL: the default dir */
	int64_t workers;             /* 0: number of CPUs (see jobqd.c) */
	int64_t sync_full;           /* 1: synchronous=FULL */
	int64_t kill_grace_ms;
	int64_t worker_timeout_ms;   /* a worker without a heartbeat: hung */
	int64_t run_ahead_ms;        /* dispatch_config's run_ahead_ms */
	int64_t handshake_ms;
	int64_t frame_ms;
	int64_t max_unsent_mib;
	int64_t keep_age_ms;         /* 0: keep ended jobs for ever */
	int64_t keep_count;          /* 0: no limit */
	int64_t output_limit;        /* bytes a job's stdout or stderr may
	                                grow by per run; 0: no limit */
	int64_t output_limit_max;    /* the most a submit may ask; 0: any */
	int64_t log_level;           /* LOG_LVL_* */
	const char *config;          /* jobqd.conf(5); NULL: the default
	                                (see jobqd.c), "": none */
	const char *cgroup;          /* --cgroup: NULL ("auto"), "off" or a
	                                cgroup2 directory (cgroup.h) */
	int64_t hook_timeout_ms;     /* a hook's run-time limit (hook.h) */
	int64_t hook_max_running;    /* hooks running at once */
	const char *metrics_file;    /* --metrics-file; NULL: none */
	int64_t metrics_interval_ms;
	const char *sbatch, *squeue, *scancel, *sacct; /* the Slurm
	                                commands (dispatch_slurm.c); NULL:
	                                found in PATH */
	int64_t slurm_poll_ms;       /* squeue's interval */
	int64_t slurm_timeout_ms;    /* a Slurm command's time limit */
	struct options_list resources; /* --resource NAME=COUNT|NAME=a,b
	                                (sched_res_pool_add), repeatable */
	size_t from[OPTIONS_MAX];    /* where each option of the table was
	                                set: 0 the default, OPTIONS_FROM_CLI
	                                the command line, else the line of
	                                jobqd.conf */
};

enum options_result {
	OPTIONS_RUN,                 /* parsed: run the daemon */
	OPTIONS_EXIT_OK,             /* --help or --version printed: exit 0 */
	OPTIONS_EXIT_USAGE           /* a message was printed: exit 2 */
};

/* Sets every option to its default. */
void options_defaults(struct options *o);

/*
 * Parses argv (argv[0] is the program) and marks the options it gives
 * OPTIONS_FROM_CLI.  Errors are printed to stderr as one line naming the
 * option and the value, then "Try 'jobqd --help'."; --help prints the
 * usage to stdout, --version the version line.  The output limits are
 * settled later, by options_settle().
 */
enum options_result options_parse(struct options *o, int argc, char **argv);

/*
 * A global "name = value" of jobqd.conf, checked and stored with the
 * command line's code and bounds; line is where it stands.  An option the
 * command line gave keeps the command line's value (returns 2).  Returns 1
 * if name is not an option of the table (the caller's other keys), 0 if
 * set, or -1 with "NAME: what is wrong" in msg.  A string value is not copied: it must
 * live as long as o.
 */
int options_file(struct options *o, const char *name, const char *value,
    size_t line, char *msg, size_t msglen);

/*
 * Settles the output limits together: without output-limit-max the
 * maximum is output-limit; without output-limit the default limit is
 * 1 GiB, or the maximum if that is lower; both given, a limit above the
 * maximum (or none under a maximum) is an error.  file names jobqd.conf in
 * messages.  0, or -1 with the message in msg; *usage is set to 1 when
 * both came from the command line (a usage error), else 0.
 */
/* 1 if the option `name` may be given more than once (in jobqd.conf too). */
int options_repeatable(const char *name);

int options_settle(struct options *o, const char *file, char *msg,
    size_t msglen, int *usage);

/*
 * SIGHUP: next is what the reread file asks for (with the same command
 * line).  For each option whose value differs from run's, fn is called
 * with its name, whether it can change at run time, and next->from[] for
 * it; the ones that can are copied into run, the others keep run's value.
 * Returns how many changed that can.
 */
typedef void options_change_fn(void *arg, const char *name, int reload,
    size_t from);
int options_reload(struct options *run, const struct options *next,
    options_change_fn *fn, void *arg);

#endif
