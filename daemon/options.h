/*
 * options.h - jobqd's settings: one table of options (name, kind, bounds,
 * help) from which the command line is parsed and --help is printed, and
 * the struct they fill.  Only jobqd.c holds a struct options; every other
 * module gets the few values it needs passed explicitly
 * (dispatch_config, server_config).
 */
#ifndef JOBQD_OPTIONS_H
#define JOBQD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct options {
	const char *socket;          /* NULL: the default path */
	const char *state_dir;       /* NULL: the default dir */
	int64_t workers;             /* 0: number of CPUs (see jobqd.c) */
	int64_t sync_full;           /* 1: synchronous=FULL */
	int64_t kill_grace_ms;
	int64_t worker_timeout_ms;   /* a worker without a heartbeat: hung */
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
};

enum options_result {
	OPTIONS_RUN,                 /* parsed: run the daemon */
	OPTIONS_EXIT_OK,             /* --help or --version printed: exit 0 */
	OPTIONS_EXIT_USAGE           /* a message was printed: exit 2 */
};

/* Sets every option to its default. */
void options_defaults(struct options *o);

/*
 * Parses argv (argv[0] is the program).  Errors are printed to stderr as
 * one line naming the option and the value, then "Try 'jobqd --help'.";
 * --help prints the usage to stdout, --version the version line.  The
 * output limits are settled together: without --output-limit-max the
 * maximum is --output-limit; without --output-limit the default limit is
 * 1 GiB, or the maximum if that is lower; both given, a limit above the
 * maximum (or none under a maximum) is a usage error.
 */
enum options_result options_parse(struct options *o, int argc, char **argv);

#endif
