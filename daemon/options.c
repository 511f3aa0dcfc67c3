/*
 * options.c - jobqd's option table: every option once, with its kind,
 * bounds and help text; the command line is parsed and --help printed from
 * it (the way tmux keeps its commands in a table).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "log.h"
#include "options.h"
#include "sched.h"
#include "store.h"
#include "util.h"

enum options_kind {
	OPTIONS_STR,         /* a string kept as given */
	OPTIONS_INT,         /* a decimal integer in [min, max] */
	OPTIONS_DUR,         /* a duration (util_parse_duration_ms) in [min, max] ms */
	OPTIONS_SIZE,        /* a size (util_parse_size) in [min, max] bytes */
	OPTIONS_WORD,        /* one of words[]: the value is its index */
	OPTIONS_LEVEL,       /* a log level (log_parse_level) */
	OPTIONS_RES,         /* a resource spec (sched_res_pool_add) added to
	                        a struct options_list: repeatable */
	OPTIONS_HELP,
	OPTIONS_VERSION
};

struct options_def {
	const char *name;
	int shortopt;                /* 0: none */
	enum options_kind kind;
	size_t off;                  /* of the member in struct options */
	int64_t min, max;
	const char *const *words;    /* OPTIONS_WORD, NULL-terminated */
	const char *arg;             /* the argument's name in --help */
	const char *help;            /* lines after the first are indented */
	int reload;                  /* OPTIONS_RELOAD: SIGHUP changes it;
	                                OPTIONS_RESTART: only a restart */
};

#define OPTIONS_RESTART 0
#define OPTIONS_RELOAD  1

#define OPT_OFF(m) offsetof(struct options, m)

static const char *const options_sync_words[] = { "normal", "full", NULL };

static const struct options_def options_table[] = {
	{ "socket", 's', OPTIONS_STR, OPT_OFF(socket), 0, 0, NULL, "PATH",
	  "listen on PATH (default: $JOBQ_SOCKET, else\n"
	  "/run/jobq/jobqd.sock as root, else\n"
	  "$XDG_RUNTIME_DIR/jobq/jobqd.sock)",
	  OPTIONS_RESTART },
	{ "state-dir", 'd', OPTIONS_STR, OPT_OFF(state_dir), 0, 0, NULL, "DIR",
	  "database and job output (default: /var/lib/jobq\n"
	  "as root, else $XDG_STATE_HOME/jobq or\n"
	  "~/.local/state/jobq)",
	  OPTIONS_RESTART },
	{ "workers", 'w', OPTIONS_INT, OPT_OFF(workers), 1, 1024, NULL, "N",
	  "worker processes (default: number of CPUs, as\n"
	  "many as RLIMIT_MSGQUEUE allows)",
	  OPTIONS_RESTART },
	{ "sync", 0, OPTIONS_WORD, OPT_OFF(sync_full), 0, 1,
	  options_sync_words, "full|normal",
	  "full (default): an acknowledged job survives\n"
	  "power loss; normal: survives a daemon crash,\n"
	  "not a power loss",
	  OPTIONS_RESTART },
	{ "kill-grace", 0, OPTIONS_DUR, OPT_OFF(kill_grace_ms), 0, INT32_MAX,
	  NULL, "DUR",
	  "SIGTERM -> SIGKILL delay for cancel and stop\n"
	  "(default 10s)",
	  OPTIONS_RELOAD },
	{ "worker-timeout", 0, OPTIONS_DUR, OPT_OFF(worker_timeout_ms), 1000,
	  INT32_MAX, NULL, "DUR",
	  "a worker without a heartbeat for DUR is hung:\n"
	  "killed with its job's processes, replaced\n"
	  "(default 10s, at least 1s)",
	  OPTIONS_RESTART },
	{ "run-ahead", 0, OPTIONS_DUR, OPT_OFF(run_ahead_ms), 0, 3600000,
	  NULL, "DUR",
	  "hand a worker its next job while its job has\n"
	  "run less than DUR; back to the queue if not\n"
	  "started DUR later (default 50ms; 0: never)",
	  OPTIONS_RESTART },
	{ "handshake-timeout", 0, OPTIONS_DUR, OPT_OFF(handshake_ms), 1,
	  INT32_MAX, NULL, "DUR",
	  "close clients that send no hello (default 10s)",
	  OPTIONS_RELOAD },
	{ "frame-timeout", 0, OPTIONS_DUR, OPT_OFF(frame_ms), 1, INT32_MAX,
	  NULL, "DUR",
	  "close clients that leave a request incomplete\n"
	  "for DUR after the hello (default 30s)",
	  OPTIONS_RELOAD },
	{ "max-unsent", 0, OPTIONS_INT, OPT_OFF(max_unsent_mib), 1, 1048576,
	  NULL, "MIB",
	  "stop reading from clients with unread replies\n"
	  "while those exceed MIB MiB in all (default 64)",
	  OPTIONS_RELOAD },
	{ "keep-age", 0, OPTIONS_DUR, OPT_OFF(keep_age_ms), 0, INT64_MAX, NULL,
	  "DUR",
	  "remove ended jobs and their output DUR after\n"
	  "they ended (default 7d; 0: keep them)",
	  OPTIONS_RELOAD },
	{ "keep-count", 0, OPTIONS_INT, OPT_OFF(keep_count), 0, INT64_MAX,
	  NULL, "N",
	  "keep at most N ended jobs, the newest\n"
	  "(default 100000; 0: no limit)",
	  OPTIONS_RELOAD },
	{ "output-limit", 0, OPTIONS_SIZE, OPT_OFF(output_limit), 0,
	  INT64_MAX, NULL, "SIZE",
	  "a job's stdout and stderr may each grow by SIZE\n"
	  "per run; past it the job is killed and fails\n"
	  "(default 1G; 0: no limit)",
	  OPTIONS_RELOAD },
	{ "output-limit-max", 0, OPTIONS_SIZE, OPT_OFF(output_limit_max), 0,
	  INT64_MAX, NULL, "SIZE",
	  "the largest output limit a submit may ask for\n"
	  "(default: --output-limit; 0: any)",
	  OPTIONS_RELOAD },
	{ "config", 'c', OPTIONS_STR, OPT_OFF(config), 0, 0, NULL, "FILE",
	  "the configuration file, jobqd.conf(5): these\n"
	  "options (the command line wins), who may submit,\n"
	  "what users see, caps and limits (default:\n"
	  SYSCONFDIR "/jobq/jobqd.conf as root, else\n"
	  "$XDG_CONFIG_HOME/jobq/jobqd.conf, if it exists;\n"
	  "\"\": none); SIGHUP rereads it",
	  OPTIONS_RESTART },
	{ "cgroup", 0, OPTIONS_STR, OPT_OFF(cgroup), 0, 0, NULL,
	  "PATH|auto|off",
	  "run each job in its own cgroup v2 under PATH,\n"
	  "killed as a whole when it ends; auto (default):\n"
	  "the cgroup jobqd runs in if delegated to it;\n"
	  "off: process groups only",
	  OPTIONS_RESTART },
	{ "hook-timeout", 0, OPTIONS_DUR, OPT_OFF(hook_timeout_ms), 1,
	  INT32_MAX, NULL, "DUR",
	  "a hook still running after DUR gets SIGTERM,\n"
	  "then SIGKILL (default 60s)",
	  OPTIONS_RESTART },
	{ "hook-max-running", 0, OPTIONS_INT, OPT_OFF(hook_max_running), 1,
	  1024, NULL, "N",
	  "hooks running at once; more wait (default 4)",
	  OPTIONS_RESTART },
	{ "metrics-file", 0, OPTIONS_STR, OPT_OFF(metrics_file), 0, 0, NULL,
	  "PATH",
	  "write the metrics (as jobq stats --prometheus)\n"
	  "to PATH every --metrics-interval (default: none)",
	  OPTIONS_RESTART },
	{ "metrics-interval", 0, OPTIONS_DUR, OPT_OFF(metrics_interval_ms),
	  1000, INT32_MAX, NULL, "DUR",
	  "how often --metrics-file is rewritten\n"
	  "(default 15s, at least 1s)",
	  OPTIONS_RESTART },
	{ "resource", 0, OPTIONS_RES, OPT_OFF(resources), 0, 0, NULL,
	  "SPEC",
	  "a countable resource jobs may ask for (submit\n"
	  "--res NAME=K): SPEC NAME=N is N instances named\n"
	  "0..N-1, NAME=a,b,c the instances named;\n"
	  "repeatable (at most 16 resources)",
	  OPTIONS_RESTART },
	{ "sbatch", 0, OPTIONS_STR, OPT_OFF(sbatch), 0, 0, NULL, "PATH",
	  "the sbatch of queues with the slurm executor\n"
	  "(default: found in PATH); also --squeue,\n"
	  "--scancel, --sacct",
	  OPTIONS_RESTART },
	{ "squeue", 0, OPTIONS_STR, OPT_OFF(squeue), 0, 0, NULL, "PATH",
	  "squeue, polled for the jobs on Slurm",
	  OPTIONS_RESTART },
	{ "scancel", 0, OPTIONS_STR, OPT_OFF(scancel), 0, 0, NULL, "PATH",
	  "scancel, for cancels and timeouts on Slurm",
	  OPTIONS_RESTART },
	{ "sacct", 0, OPTIONS_STR, OPT_OFF(sacct), 0, 0, NULL, "PATH",
	  "sacct, asked for jobs squeue has forgotten",
	  OPTIONS_RESTART },
	{ "slurm-poll", 0, OPTIONS_DUR, OPT_OFF(slurm_poll_ms), 50,
	  INT32_MAX, NULL, "DUR",
	  "how often squeue is asked about the jobs on\n"
	  "Slurm (default 1s; every 100ms for 5s after\n"
	  "a run was submitted, started or ended)",
	  OPTIONS_RESTART },
	{ "slurm-timeout", 0, OPTIONS_DUR, OPT_OFF(slurm_timeout_ms), 1000,
	  INT32_MAX, NULL, "DUR",
	  "a Slurm command still running after DUR is\n"
	  "killed and counts as failed (default 30s)",
	  OPTIONS_RESTART },
	{ "log-level", 'l', OPTIONS_LEVEL, OPT_OFF(log_level), 0, 0, NULL,
	  "LEVEL", "error, warn, info (default) or debug",
	  OPTIONS_RELOAD },
	{ "help", 'h', OPTIONS_HELP, 0, 0, 0, NULL, NULL, "show this help",
	  OPTIONS_RESTART },
	{ "version", 'V', OPTIONS_VERSION, 0, 0, 0, NULL, NULL,
	  "show the version",
	  OPTIONS_RESTART },
};
#define OPTIONS_N (sizeof(options_table) / sizeof(options_table[0]))
#define OPTIONS_HELP_COL 32

void
options_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->sync_full = 1;
	o->kill_grace_ms = 10000;
	o->worker_timeout_ms = 10000;
	o->run_ahead_ms = 50;
	o->handshake_ms = 10000;
	o->frame_ms = 30000;
	o->max_unsent_mib = 64;
	o->keep_age_ms = 7 * 86400 * 1000LL;
	o->keep_count = 100000;
	o->hook_timeout_ms = 60000;
	o->hook_max_running = 4;
	o->metrics_interval_ms = 15000;
	o->slurm_poll_ms = 1000;
	o->slurm_timeout_ms = 30000;
	o->output_limit = -1;        /* settled by options_limits() */
	o->output_limit_max = -1;
	o->log_level = LOG_LVL_INFO;
}

static void
options_usage(FILE *f)
{
	const struct options_def *d;
	const char *p, *nl;
	char head[64];
	size_t i;
	int n;

	fprintf(f, "usage: jobqd [options]\n"
	    "Run the jobq daemon in the foreground.\n\n");
	for (i = 0; i < OPTIONS_N; i++) {
		d = &options_table[i];
		if (d->shortopt != 0)
			n = snprintf(head, sizeof head, "  -%c, --%s%s%s",
			    d->shortopt, d->name, d->arg ? " " : "",
			    d->arg ? d->arg : "");
		else
			n = snprintf(head, sizeof head, "      --%s%s%s",
			    d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(f, "%s%*s", head, n < OPTIONS_HELP_COL ?
		    OPTIONS_HELP_COL - n : 1, "");
		for (p = d->help; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			fprintf(f, "%.*s\n%*s", (int)(nl - p), p,
			    OPTIONS_HELP_COL, "");
		fprintf(f, "%s\n", p);
	}
	fprintf(f, "\n"
	    "DUR: integers with units d, h, m, s, ms, largest first (1h30m, 500ms);\n"
	    "a lone number is seconds; one part may have a fraction (1.5s).\n"
	    "SIZE: bytes, or with K, M, G or T (powers of 1024): 512K, 1G.\n"
	    "See jobqd(8).\n");
}

/* Adds the resource spec arg to l, checked with the ones before it (a
 * name twice, too many). */
static int
options_set_res(struct options_list *l, const char *arg, char *msg,
    size_t msglen)
{
	static struct sched_res_pool pool;	/* 40 KiB: not on the stack */
	size_t i;

	sched_res_pool_init(&pool, 1);
	for (i = 0; i < l->n; i++)
		(void)sched_res_pool_add(&pool, l->v[i], NULL, 0);
	if (sched_res_pool_add(&pool, arg, msg, msglen) != 0)
		return -1;
	if (l->n >= OPTIONS_LIST_MAX) {
		snprintf(msg, msglen, "too many (at most %d)",
		    OPTIONS_LIST_MAX);
		return -1;
	}
	l->v[l->n++] = arg;
	return 0;
}

int
options_repeatable(const char *name)
{
	return strcmp(name, "resource") == 0;
}

/* Stores arg into the member d names; 0, or -1 with what is wrong in msg
 * (without the option's name). */
static int
options_set(struct options *o, const struct options_def *d, const char *arg,
    char *msg, size_t msglen)
{
	char *member = (char *)o + d->off, *end;
	int64_t v;
	long long ll;
	size_t i, n;
	int level;

	switch (d->kind) {
	case OPTIONS_STR:
		memcpy(member, &arg, sizeof arg);
		return 0;
	case OPTIONS_INT:
		errno = 0;
		ll = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || ll < d->min ||
		    ll > d->max) {
			if (d->max == INT64_MAX)
				snprintf(msg, msglen, "\"%s\" is not a number "
				    ">= %" PRId64, arg, d->min);
			else
				snprintf(msg, msglen, "\"%s\" is not a number "
				    "from %" PRId64 " to %" PRId64, arg, d->min,
				    d->max);
			return -1;
		}
		v = ll;
		break;
	case OPTIONS_DUR:
		if (util_parse_duration_ms(arg, &v) != 0 || v < d->min ||
		    v > d->max) {
			snprintf(msg, msglen, "bad duration \"%s\"", arg);
			return -1;
		}
		break;
	case OPTIONS_SIZE:
		if (util_parse_size(arg, &v) != 0 || v < d->min || v > d->max) {
			snprintf(msg, msglen, "bad size \"%s\" (bytes, or with "
			    "K, M, G or T: 64M, 1G)", arg);
			return -1;
		}
		break;
	case OPTIONS_WORD:
		for (i = 0; d->words[i] != NULL; i++)
			if (strcmp(arg, d->words[i]) == 0)
				break;
		if (d->words[i] == NULL) {
			n = (size_t)snprintf(msg, msglen, "\"%s\" is not ", arg);
			for (i = 0; d->words[i] != NULL && n < msglen; i++)
				n += (size_t)snprintf(msg + n, msglen - n,
				    "%s%s", i == 0 ? "" : d->words[i + 1] ==
				    NULL ? " or " : ", ", d->words[i]);
			return -1;
		}
		v = (int64_t)i;
		break;
	case OPTIONS_LEVEL:
		if ((level = log_parse_level(arg)) < 0) {
			snprintf(msg, msglen, "unknown level \"%s\"", arg);
			return -1;
		}
		v = level;
		break;
	case OPTIONS_RES:
		return options_set_res((struct options_list *)(void *)member,
		    arg, msg, msglen);
	default:
		snprintf(msg, msglen, "takes no value");
		return -1;
	}
	memcpy(member, &v, sizeof v);
	return 0;
}

#define OPTIONS_OUTPUT_LIMIT ((int64_t)1 << 30)	/* 1 GiB */

static const struct options_def *
options_find(const char *name)
{
	size_t i;

	for (i = 0; i < OPTIONS_N; i++)
		if (strcmp(options_table[i].name, name) == 0)
			return &options_table[i];
	return NULL;
}

/* "--NAME" or "FILE:LINE: NAME": where option d of o was set. */
static void
options_where(const struct options *o, const struct options_def *d,
    const char *file, char *buf, size_t len)
{
	size_t from = o->from[d - options_table];

	if (from == OPTIONS_FROM_CLI || from == 0 || file == NULL)
		snprintf(buf, len, "--%s", d->name);
	else
		snprintf(buf, len, "%s:%zu: %s", file, from, d->name);
}

int
options_settle(struct options *o, const char *file, char *msg,
    size_t msglen, int *usage)
{
	const struct options_def *dl = options_find("output-limit"),
	    *dm = options_find("output-limit-max");
	int64_t lim = o->output_limit, max = o->output_limit_max;
	char wl[300], wm[300];

	*usage = 0;
	if (lim < 0) {
		lim = OPTIONS_OUTPUT_LIMIT;
		if (max > 0 && max < lim)
			lim = max;
	} else if (max > 0 && (lim == 0 || lim > max)) {
		options_where(o, dl, file, wl, sizeof wl);
		options_where(o, dm, file, wm, sizeof wm);
		*usage = o->from[dl - options_table] == OPTIONS_FROM_CLI &&
		    o->from[dm - options_table] == OPTIONS_FROM_CLI;
		if (lim == 0)
			snprintf(msg, msglen, "%s: 0 (no limit) is above %s (%"
			    PRId64 " bytes)", wl, wm, max);
		else
			snprintf(msg, msglen, "%s: %" PRId64 " bytes is above "
			    "%s (%" PRId64 " bytes)", wl, lim, wm, max);
		return -1;
	}
	if (max < 0)
		max = lim;
	o->output_limit = lim;
	o->output_limit_max = max;
	return 0;
}

int
options_file(struct options *o, const char *name, const char *value,
    size_t line, char *msg, size_t msglen)
{
	const struct options_def *d = options_find(name);
	struct options scratch;
	size_t n;

	if (d == NULL || d->kind == OPTIONS_HELP ||
	    d->kind == OPTIONS_VERSION)
		return 1;
	if (strcmp(d->name, "config") == 0) {
		snprintf(msg, msglen, "%s: a file cannot name the file to read "
		    "(--config is for the command line)", name);
		return -1;
	}
	n = (size_t)snprintf(msg, msglen, "%s: ", name);
	if (n >= msglen)
		n = 0;
	/* checked in any case, so that a bad value is reported even where
	 * the command line overrides it */
	memcpy(&scratch, o, sizeof scratch);
	if (options_set(&scratch, d, value, msg + n, msglen - n) != 0)
		return -1;
	if (o->from[d - options_table] == OPTIONS_FROM_CLI)
		return 2;
	(void)options_set(o, d, value, msg + n, msglen - n);
	o->from[d - options_table] = line;
	return 0;
}

static int
options_differ(const struct options *a, const struct options *b,
    const struct options_def *d)
{
	const char *sa, *sb;
	int64_t va, vb;

	if (d->kind == OPTIONS_RES) {
		const struct options_list *la = (const void *)((const char *)a +
		    d->off), *lb = (const void *)((const char *)b + d->off);
		size_t i;

		if (la->n != lb->n)
			return 1;
		for (i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return 1;
		return 0;
	}
	if (d->kind == OPTIONS_STR) {
		memcpy(&sa, (const char *)a + d->off, sizeof sa);
		memcpy(&sb, (const char *)b + d->off, sizeof sb);
		if (sa == NULL || sb == NULL)
			return sa != sb;
		return strcmp(sa, sb) != 0;
	}
	memcpy(&va, (const char *)a + d->off, sizeof va);
	memcpy(&vb, (const char *)b + d->off, sizeof vb);
	return va != vb;
}

int
options_reload(struct options *run, const struct options *next,
    options_change_fn *fn, void *arg)
{
	const struct options_def *d;
	size_t i;
	int n = 0;

	for (i = 0; i < OPTIONS_N; i++) {
		d = &options_table[i];
		if (d->kind == OPTIONS_HELP || d->kind == OPTIONS_VERSION ||
		    strcmp(d->name, "config") == 0 ||
		    !options_differ(run, next, d))
			continue;
		fn(arg, d->name, d->reload == OPTIONS_RELOAD, next->from[i]);
		if (d->reload != OPTIONS_RELOAD)
			continue;
		/* reloadable options are all numbers (none is a string) */
		memcpy((char *)run + d->off, (const char *)next + d->off,
		    sizeof(int64_t));
		run->from[i] = next->from[i];
		n++;
	}
	return n;
}

enum options_result
options_parse(struct options *o, int argc, char **argv)
{
	struct option longopts[OPTIONS_N + 1];
	char shortopts[2 * OPTIONS_N + 1], *sp = shortopts, msg[512];
	const struct options_def *d;
	size_t i;
	int ch, idx;

	_Static_assert(OPTIONS_N <= OPTIONS_MAX, "raise OPTIONS_MAX");
	for (i = 0; i < OPTIONS_N; i++) {
		d = &options_table[i];
		longopts[i].name = d->name;
		longopts[i].has_arg = d->arg != NULL ? required_argument :
		    no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + (int)i;
		if (d->shortopt != 0) {
			*sp++ = (char)d->shortopt;
			if (d->arg != NULL)
				*sp++ = ':';
		}
	}
	memset(&longopts[OPTIONS_N], 0, sizeof longopts[OPTIONS_N]);
	*sp = '\0';

	optind = 1;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch >= 256 && ch < 256 + (int)OPTIONS_N)
			idx = ch - 256;
		else {
			for (idx = 0; idx < (int)OPTIONS_N; idx++)
				if (options_table[idx].shortopt == ch)
					break;
			if (idx == (int)OPTIONS_N) {
				fprintf(stderr, "Try 'jobqd --help'.\n");
				return OPTIONS_EXIT_USAGE;
			}
		}
		d = &options_table[idx];
		if (d->kind == OPTIONS_HELP) {
			options_usage(stdout);
			return OPTIONS_EXIT_OK;
		}
		if (d->kind == OPTIONS_VERSION) {
			printf("jobqd %s (protocol %d, schema %d)\n",
			    PACKAGE_VERSION, JOBQ_PROTOCOL_VERSION,
			    STORE_SCHEMA_VERSION);
			return OPTIONS_EXIT_OK;
		}
		if (options_set(o, d, optarg, msg, sizeof msg) != 0) {
			fprintf(stderr, "jobqd: --%s: %s\nTry 'jobqd --help'.\n",
			    d->name, msg);
			return OPTIONS_EXIT_USAGE;
		}
		o->from[idx] = OPTIONS_FROM_CLI;
	}
	if (optind < argc) {
		fprintf(stderr, "jobqd: unexpected argument \"%s\"\n"
		    "Try 'jobqd --help'.\n", argv[optind]);
		return OPTIONS_EXIT_USAGE;
	}
	return OPTIONS_RUN;
}
