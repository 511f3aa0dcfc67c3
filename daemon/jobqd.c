/*
 * jobqd.c - the daemon's entry point: settings (parsed by options.c),
 * paths, the state-dir lock, start-up order, signals and the orderly stop.  Also the worker entry:
 * `jobqd --worker ...` runs worker_main() (see worker.h).
 *
 * Start-up order: options (the command line, then jobqd.conf under it)
 * -> state dir (created, trusted: statedir.c) ->
 * lock (jobqd.lock, flock) -> the previous run's scoreboard (its leftover
 * processes killed) and a new one -> --cgroup (cgroup.c: the previous
 * run's job cgroups killed and removed) -> store_open (validate/migrate)
 * -> logs/ (trusted, opened once) -> reserve -> output files of the old
 * layout moved into logs/UID/ -> id floor (the highest id among the output
 * files) -> store_recover_stream (running -> interrupted) -> dispatch
 * (the queued jobs read one at a time from the store: before its thread)
 * + worker pool -> store thread -> socket -> READY=1 (notify.c: then STATUS=
 * and the watchdog).  The socket systemd passes (LISTEN_FDS) and the
 * notify variables are checked before the state dir is touched.
 * Stop (SIGTERM/SIGINT): stop accepting -> interrupt running jobs (TERM,
 * KILL after --kill-grace; a worker that has not ended its job by then +
 * 1 s is killed with its tree) and record them -> stop workers -> drain
 * and checkpoint the store -> close clients -> exit 0.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jobqd.h"
#include "conf.h"
#include "fault.h"
#include "hook.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "paths.h"
#include "rlimits.h"
#include "util.h"
#include "cgroup.h"
#include "dispatch.h"
#include "scoreboard.h"
#include "server.h"
#include "statedir.h"
#include "store.h"
#include "wire.h"
#include "worker.h"

/* The options and paths: only this file reads them. */
struct config {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char state_dir[PATH_MAX];
	char db_path[PATH_MAX + 16];
	char logs_dir[PATH_MAX + 16];
	char exe[PATH_MAX];          /* this binary, to start workers */
	int workers;
	int sync_full;
	unsigned kill_grace_ms;
	unsigned worker_timeout_ms;
	unsigned run_ahead_ms;
	unsigned handshake_ms;
	unsigned frame_ms;
	size_t max_unsent;           /* bytes */
	int64_t keep_age_ms;         /* retention of ended jobs; 0 = for ever */
	size_t keep_count;           /* ended jobs kept at most; 0 = no limit */
	uint64_t output_limit;       /* --output-limit; 0 = none */
	uint64_t output_limit_max;   /* --output-limit-max; 0 = none */
	int64_t hook_timeout_ms;     /* --hook-timeout */
	int hook_max_running;        /* --hook-max-running */
	const char *metrics_file;    /* --metrics-file, absolute; NULL: none */
	uint64_t metrics_interval_ms;
	int state_fd;                /* the state dir, opened and checked */
	int logs_fd;                 /* STATE/logs, O_NOFOLLOW, checked */
	int listen_fd;               /* from systemd socket activation, or -1 */
	int system_mode;             /* running as root with system defaults */
	const char *cgroup_opt;      /* --cgroup: "auto", "off" or a path */
	struct cgroup_root cgroup;   /* cgroup mode: the subtree (cgroup.h) */
	int cgroup_on;               /* 1: cgroup mode, 0: process groups */
	char cgroup_why[PATH_MAX + 256]; /* why not, when not */
	char isolation[PATH_MAX + 16]; /* for ping: "cgroup PATH" or
	                                "process-group" */
};
static struct config cfg;

/* At start-up, how long to wait for what the previous jobqd left to die. */
#define JOBQD_REAP_MS 2000

static uv_loop_t jobqd_loop;
static uv_signal_t jobqd_sigterm, jobqd_sigint, jobqd_sighup;
static struct dispatch *jobqd_disp;
static struct server *jobqd_server;
static int64_t jobqd_started_ms;  /* monotonic */
static int jobqd_stopping;
static int cfg_state_explicit;  /* --state-dir was given */
/* jobqd.conf: its path ("" for none), the configuration in force and the
 * one it replaced (freed at the next reload, so that nothing that took it
 * during the reload's turn of the loop is left dangling). */
static char cfg_conf_path[PATH_MAX];
static struct conf *jobqd_conf, *jobqd_conf_prev;

static void jobqd_absolute(char *, size_t);

int64_t
jobqd_uptime_ms(void)
{
	return util_mono_ms() - jobqd_started_ms;
}

static void
jobqd_die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "jobqd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'jobqd --help'.\n");
	exit(2);
}

/*
 * The default worker count is the number of CPUs, but each worker's message
 * queue counts against RLIMIT_MSGQUEUE (800 KiB for ordinary users: about
 * 24 queues): without --workers, stay within what the limit allows.
 */
static void
jobqd_default_workers(void)
{
	struct rlimit rl;
	rlim_t per, fit;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return;
	/* the kernel charges each message plus a pointer per slot */
	per = (rlim_t)WIRE_MQ_MAXMSG * (WIRE_MQ_MSGSIZE + 2 * sizeof(void *)) + 256;
	fit = rl.rlim_max / per;
	if (fit < 1)
		fit = 1;
	if ((rlim_t)cfg.workers > fit) {
		log_info("%d CPUs, but RLIMIT_MSGQUEUE (%llu bytes) allows %llu "
		    "workers: using %llu (see --workers)", cfg.workers,
		    (unsigned long long)rl.rlim_max, (unsigned long long)fit,
		    (unsigned long long)fit);
		cfg.workers = (int)fit;
	}
}

/* The options: the defaults and the command line (jobqd_cli), and those in
 * force, jobqd.conf's global settings applied under the command line
 * (jobqd_opts; its strings are copies, owned). */
static struct options jobqd_cli, jobqd_opts;
static int cfg_conf_user;       /* the per-user default file: ours only */

/*
 * jobqd.conf (conf.h): read at start-up, where anything wrong with it is
 * fatal, and on SIGHUP, where it is logged and the configuration in force
 * is kept.  Returns 0, or -1 with the message in err.
 */
static int
jobqd_conf_load(struct conf **out, char *err, size_t errlen)
{
	char desc[512];

	*out = NULL;
	if (cfg_conf_path[0] == '\0')
		return 0;
	if (conf_load_owned(cfg_conf_path, !cfg_conf_user, out, err,
	    errlen) < 0)
		return -1;
	conf_describe(*out, desc, sizeof desc);
	log_info("configuration %s: %s", cfg_conf_path, desc);
	return 0;
}

/* *o: the command line's options over c's (NULL: no file) over the
 * defaults, settled.  0, or -1 with the message in err (*usage: 1 when
 * the command line alone is at fault). */
static int
jobqd_options_build(struct options *o, const struct conf *c, char *err,
    size_t errlen, int *usage)
{
	const struct conf_opt *co;
	char msg[600];
	size_t i, n;

	*o = jobqd_cli;
	*usage = 0;
	n = c != NULL ? conf_options(c, &co) : 0;
	for (i = 0; i < n; i++)
		switch (options_file(o, co[i].name, co[i].value, co[i].line,
		    msg, sizeof msg)) {
		case 0:
			break;
		case 2:
			log_info("%s:%zu: %s: the command line's value is used",
			    cfg_conf_path, co[i].line, co[i].name);
			break;
		default:
			snprintf(err, errlen, "%s:%zu: %s", cfg_conf_path,
			    co[i].line, msg);
			return -1;
		}
	return options_settle(o, cfg_conf_path[0] ? cfg_conf_path : NULL,
	    err, errlen, usage);
}

static const char *
jobqd_strdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		fatalx("out of memory");
	return d;
}

/* The options that SIGHUP may change, from jobqd_opts into cfg. */
static void
jobqd_settings_runtime(void)
{
	const struct options *o = &jobqd_opts;

	log_init((int)o->log_level, NULL);
	cfg.kill_grace_ms = (unsigned)o->kill_grace_ms;
	cfg.handshake_ms = (unsigned)o->handshake_ms;
	cfg.frame_ms = (unsigned)o->frame_ms;
	cfg.max_unsent = (uint64_t)o->max_unsent_mib > SIZE_MAX >> 20 ?
	    SIZE_MAX : (size_t)o->max_unsent_mib << 20;
	cfg.keep_age_ms = o->keep_age_ms;
	cfg.keep_count = (size_t)o->keep_count;
	cfg.output_limit = (uint64_t)o->output_limit;
	cfg.output_limit_max = (uint64_t)o->output_limit_max;
}

/*
 * The command line, then jobqd.conf: --config FILE; else, as root,
 * SYSCONFDIR/jobq/jobqd.conf, as a user $XDG_CONFIG_HOME/jobq/jobqd.conf
 * (~/.config/jobq/jobqd.conf), if it exists.  A bad file stops jobqd
 * here (exit 1), naming the file and line.
 */
static void
jobqd_options(int argc, char **argv)
{
	const struct options *o = &jobqd_opts;
	char err[PATH_MAX + 1024];
	long ncpu;
	size_t i;
	int usage;

	options_defaults(&jobqd_cli);
	switch (options_parse(&jobqd_cli, argc, argv)) {
	case OPTIONS_EXIT_OK:
		exit(0);
	case OPTIONS_EXIT_USAGE:
		exit(2);
	case OPTIONS_RUN:
		break;
	}
	log_init((int)jobqd_cli.log_level, NULL);
	if (jobqd_cli.config != NULL) {
		if (strlen(jobqd_cli.config) >= sizeof cfg_conf_path)
			jobqd_die_usage("--config: path too long: %s",
			    jobqd_cli.config);
		snprintf(cfg_conf_path, sizeof cfg_conf_path, "%s",
		    jobqd_cli.config);
	} else if (paths_config(cfg_conf_path, sizeof cfg_conf_path,
	    "jobqd.conf", geteuid() == 0) != 0 ||
	    access(cfg_conf_path, F_OK) != 0)
		cfg_conf_path[0] = '\0';
	else
		cfg_conf_user = geteuid() != 0;

	if (jobqd_conf_load(&jobqd_conf, err, sizeof err) < 0)
		fatalx("%s", err);
	if (jobqd_options_build(&jobqd_opts, jobqd_conf, err, sizeof err,
	    &usage) != 0) {
		if (usage) {
			fprintf(stderr, "jobqd: %s\nTry 'jobqd --help'.\n", err);
			exit(2);
		}
		fatalx("%s", err);
	}
	jobqd_opts.socket = jobqd_strdup(o->socket);
	jobqd_opts.state_dir = jobqd_strdup(o->state_dir);
	jobqd_opts.cgroup = jobqd_strdup(o->cgroup);
	jobqd_opts.metrics_file = jobqd_strdup(o->metrics_file);
	jobqd_opts.sbatch = jobqd_strdup(o->sbatch);
	jobqd_opts.squeue = jobqd_strdup(o->squeue);
	jobqd_opts.scancel = jobqd_strdup(o->scancel);
	jobqd_opts.sacct = jobqd_strdup(o->sacct);
	for (i = 0; i < o->resources.n; i++)
		jobqd_opts.resources.v[i] = jobqd_strdup(o->resources.v[i]);

	jobqd_settings_runtime();
	cfg.sync_full = (int)o->sync_full;
	cfg.worker_timeout_ms = (unsigned)o->worker_timeout_ms;
	cfg.run_ahead_ms = (unsigned)o->run_ahead_ms;
	cfg.listen_fd = -1;
	cfg.cgroup_opt = o->cgroup != NULL ? o->cgroup : "auto";
	cfg.hook_timeout_ms = o->hook_timeout_ms;
	cfg.hook_max_running = (int)o->hook_max_running;
	cfg.metrics_interval_ms = (uint64_t)o->metrics_interval_ms;
	if (o->metrics_file != NULL && o->metrics_file[0] != '\0') {
		if (o->metrics_file[0] != '/')
			fatalx("--metrics-file must be an absolute path, not "
			    "\"%s\"", o->metrics_file);
		cfg.metrics_file = o->metrics_file;
	}
	if (o->workers > 0)
		cfg.workers = (int)o->workers;
	else {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.workers = ncpu < 1 ? 1 : ncpu > 1024 ? 1024 : (int)ncpu;
		jobqd_default_workers();
	}

	cfg.system_mode = paths_system_mode();
	if (o->socket != NULL) {
		if (strlen(o->socket) >= sizeof cfg.socket_path)
			jobqd_die_usage("--socket: path too long: %s", o->socket);
		snprintf(cfg.socket_path, sizeof cfg.socket_path, "%s",
		    o->socket);
	} else if (paths_socket(cfg.socket_path, sizeof cfg.socket_path) < 0)
		fatalx("cannot determine the socket path (too long?); use --socket");
	if (o->state_dir != NULL) {
		if (strlen(o->state_dir) >= sizeof cfg.state_dir - 32)
			jobqd_die_usage("--state-dir: path too long: %s",
			    o->state_dir);
		snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s",
		    o->state_dir);
		cfg_state_explicit = 1;
	} else if (paths_state_dir(cfg.state_dir, sizeof cfg.state_dir - 32) < 0)
		fatalx("cannot determine the state directory; use --state-dir");
	jobqd_absolute(cfg.state_dir, sizeof cfg.state_dir - 32);
}

/* options_change_fn for SIGHUP: what changed, and what waits for a
 * restart. */
static void
jobqd_reload_change(void *arg, const char *name, int reload, size_t from)
{
	char where[PATH_MAX + 32];

	(void)arg;
	if (from != 0 && from != OPTIONS_FROM_CLI)
		snprintf(where, sizeof where, "%s:%zu", cfg_conf_path, from);
	else
		snprintf(where, sizeof where, "%s (%s no longer set)",
		    cfg_conf_path, name);
	if (reload)
		log_info("SIGHUP: %s: %s changed", where, name);
	else
		log_warnx("%s: %s changes at the next start; the running "
		    "value is kept", where, name);
}

static void
jobqd_reload(void)
{
	struct options next;
	struct conf *c;
	char err[PATH_MAX + 1024];
	int usage;

	if (cfg_conf_path[0] == '\0') {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if (jobqd_conf_load(&c, err, sizeof err) < 0) {
		log_warnx("SIGHUP: %s; keeping the configuration in force", err);
		return;
	}
	if (jobqd_options_build(&next, c, err, sizeof err, &usage) != 0) {
		log_warnx("SIGHUP: %s; keeping the configuration in force", err);
		conf_free(c);
		return;
	}
	if (options_reload(&jobqd_opts, &next, jobqd_reload_change,
	    NULL) > 0) {
		jobqd_settings_runtime();
		dispatch_set_limits(jobqd_disp, cfg.kill_grace_ms,
		    cfg.keep_age_ms, cfg.keep_count, cfg.output_limit,
		    cfg.output_limit_max);
		server_set_limits(jobqd_server, cfg.handshake_ms, cfg.frame_ms,
		    cfg.max_unsent);
	}
	conf_free(jobqd_conf_prev);
	jobqd_conf_prev = jobqd_conf;
	jobqd_conf = c;
	dispatch_set_conf(jobqd_disp, c);
	server_set_conf(jobqd_server, c);
	log_info("SIGHUP: %s reloaded", cfg_conf_path);
}

/*
 * A relative path made absolute against the current directory: the
 * workers open the output directory by path (from a directory that is not
 * the job's).
 */
static void
jobqd_absolute(char *path, size_t len)
{
	char cwd[PATH_MAX], tmp[PATH_MAX];

	if (path[0] == '/')
		return;
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("getcwd");
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", cwd, path) >= len)
		jobqd_die_usage("--state-dir: path too long: %s", path);
	memcpy(path, tmp, strlen(tmp) + 1);
}

/*
 * The state dir: the default one is created with its parents (as
 * ~/.local/state may not exist yet); one given with --state-dir is created
 * only if its parent exists, so that a typo fails loudly.  It must be
 * ours and writable by nobody else (statedir.h), or jobqd stops here.
 */
static void
jobqd_state_dir(int explicit)
{
	char err[PATH_MAX + 256];

	if (statedir_open(cfg.state_dir, !explicit, &cfg.state_fd, err,
	    sizeof err) != 0)
		fatalx("%s", err);
	snprintf(cfg.db_path, sizeof cfg.db_path, "%s/jobq.db", cfg.state_dir);
	snprintf(cfg.logs_dir, sizeof cfg.logs_dir, "%s/logs", cfg.state_dir);
}

/* logs/: created if missing, opened once, O_NOFOLLOW, and trusted. */
static void
jobqd_logs_dir(void)
{
	char err[PATH_MAX + 256];

	if (statedir_subdir(cfg.state_fd, cfg.state_dir, "logs", &cfg.logs_fd,
	    err, sizeof err) != 0)
		fatalx("%s", err);
}

/* statedir_owners_fn over the store (before store_start). */
static int
jobqd_owners(void *arg, const int64_t *ids, size_t n, int64_t *uids)
{
	return store_job_owners(arg, ids, n, uids);
}

/*
 * The output files of a state dir of the layout before issue 9
 * (logs/ID.out) move into logs/UID/ (statedir_upgrade.c): nothing is read
 * in both layouts after this.
 */
static void
jobqd_logs_upgrade(struct store *store)
{
	struct statedir_upgrade up;
	int rv;

	if ((rv = statedir_upgrade_logs(cfg.logs_fd, cfg.logs_dir,
	    jobqd_owners, store, &up)) != 0)
		fatalx("%s: moving output files into per-user directories: %s",
		    cfg.logs_dir, jobq_strerror(rv));
	if (up.moved > 0)
		log_info("%s: moved %zu output file(s) of the old layout into "
		    "per-user directories (logs/UID/)", cfg.logs_dir, up.moved);
	if (up.unknown > 0)
		log_warnx("%s: %zu output file(s) of jobs the database does not "
		    "know were left in place", cfg.logs_dir, up.unknown);
	if (up.left > 0)
		log_warnx("%s: %zu output file(s) could not be moved into "
		    "per-user directories (see above); left in place",
		    cfg.logs_dir, up.left);
}

/*
 * Ids are never used twice: the id counter must be above every id the
 * output files name.  A database that is empty, missing, an older copy, or
 * that lost committed transactions (a damaged WAL) is not: say so loudly,
 * and go on above the highest id found.
 */
static void
jobqd_id_floor(struct store *store)
{
	int64_t max, was;

	if (statedir_max_output_id(cfg.logs_fd, &max) != 0)
		fatal("%s: cannot read it", cfg.logs_dir);
	if (max == 0 || store_next_id_floor(store, max + 1, &was) == 0)
		return;
	log_warnx("%s: the next job id would be %" PRId64 ", but %s holds "
	    "the output of job %" PRId64 ": the database was lost, replaced "
	    "by an older copy, or lost committed transactions (damaged WAL); "
	    "jobs it no longer knows keep their output, and new ids start at "
	    "%" PRId64 " so that no id is used twice", cfg.db_path, was,
	    cfg.logs_dir, max, max + 1);
}

/* One jobqd per state dir: flock on jobqd.lock, held until exit. */
static void
jobqd_lock(void)
{
	char path[PATH_MAX + 16], buf[32], err[PATH_MAX + 256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/jobqd.lock", cfg.state_dir);
	if (statedir_file(cfg.state_fd, cfg.state_dir, "jobqd.lock",
	    O_RDWR | O_CREAT, &fd, err, sizeof err) != 0)
		fatalx("%s", err);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			fatal("%s: flock", path);
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("another jobqd (pid %s) is using state dir %s",
		    buf[0] ? buf : "?", cfg.state_dir);
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		fatal("%s", path);
	/* fd stays open (and locked) for the life of the process */
}

/*
 * The scoreboard (scoreboard.h), under the lock: what the previous jobqd's
 * workers left running (after a kill -9 or a crash, a stopped or hung
 * worker, a job that lost its parent-death signal) is killed before
 * recovery records their jobs interrupted; the jobs it marks as handed to
 * a worker that never began them are returned in *un (for
 * store_recover_unstarted); then a new one for our workers.
 */
static void
jobqd_scoreboard(struct scoreboard **sb, struct scoreboard_unstarted **un,
    size_t *nun)
{
	char path[PATH_MAX + 16];
	int n;

	snprintf(path, sizeof path, "%s/scoreboard", cfg.state_dir);
	if ((n = scoreboard_reap_unstarted(path, JOBQD_REAP_MS, un, nun)) > 0)
		log_warnx("killed %d process(es) left running by the previous "
		    "jobqd", n);
	if (scoreboard_create(path, (unsigned)cfg.workers, sb) < 0)
		fatalx("%s: cannot create the scoreboard", path);
}

/* The jobs the old scoreboard marks as never begun go back to queued
 * before recovery interrupts the other running ones. */
static void
jobqd_recover_unstarted(struct store *store,
    const struct scoreboard_unstarted *un, size_t nun)
{
	struct store_unstarted *u;
	size_t i, nput;
	int rv;

	if (nun == 0)
		return;
	if ((u = calloc(nun, sizeof *u)) == NULL)
		fatalx("out of memory");
	for (i = 0; i < nun; i++) {
		u[i].id = un[i].job_id;
		u[i].attempt = un[i].attempt;
	}
	if ((rv = store_recover_unstarted(store, u, nun, &nput)) < 0)
		fatalx("%s: recovery failed: %s", cfg.db_path,
		    jobq_strerror(rv));
	if (nput > 0)
		log_warnx("%zu job(s) handed to a worker that never started "
		    "them are queued again", nput);
	free(u);
}

/*
 * --cgroup (cgroup.h): the subtree settled on, and what the previous run
 * left in it killed and removed (before recovery); or process groups.  An
 * explicit path that cannot be used stops jobqd.  Which of them is said
 * once jobqd is ready (jobqd_cgroup_log): a start-up failure stays one line.
 */
static void
jobqd_cgroup(void)
{
	int r, n;

	r = cgroup_root_open(cfg.cgroup_opt, &cfg.cgroup, cfg.cgroup_why,
	    sizeof cfg.cgroup_why);
	if (r < 0)
		fatalx("--cgroup %s: %s", cfg.cgroup_opt, cfg.cgroup_why);
	cfg.cgroup_on = r == 1;
	if (!cfg.cgroup_on) {
		snprintf(cfg.isolation, sizeof cfg.isolation, "process-group");
		return;
	}
	if ((n = cgroup_root_reap(&cfg.cgroup, JOBQD_REAP_MS)) > 0)
		log_warnx("cgroup %s: killed and removed %d job cgroup(s) left "
		    "by the previous jobqd", cfg.cgroup.jobs, n);
	snprintf(cfg.isolation, sizeof cfg.isolation, "cgroup %s",
	    cfg.cgroup.path);
}

static void
jobqd_cgroup_log(void)
{
	if (!cfg.cgroup_on)
		log_info("cgroup v2: not available (%s): falling back to "
		    "process groups", cfg.cgroup_why);
	else
		log_info("cgroup v2: each job in its own cgroup under %s "
		    "(controllers: %s)", cfg.cgroup.jobs,
		    cfg.cgroup.controllers[0] ? cfg.cgroup.controllers : "none");
}

/* What fd 3 is when it is not a listening Unix stream socket; NULL if it
 * is one.  buf holds the description. */
static const char *
jobqd_listen_fd_what(int fd, char *buf, size_t len)
{
	static const struct { int type; const char *name; } types[] = {
		{ SOCK_STREAM, "SOCK_STREAM" }, { SOCK_DGRAM, "SOCK_DGRAM" },
		{ SOCK_SEQPACKET, "SOCK_SEQPACKET" }, { SOCK_RAW, "SOCK_RAW" },
	};
	struct stat st;
	const char *tname = NULL, *fam;
	int domain, type, listening;
	socklen_t sl;
	size_t i;

	if (fstat(fd, &st) < 0) {
		snprintf(buf, len, "not open (%s)", strerror(errno));
		return buf;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(buf, len, "not a socket but %s",
		    S_ISREG(st.st_mode) ? "a regular file" :
		    S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISCHR(st.st_mode) ? "a character device" :
		    S_ISBLK(st.st_mode) ? "a block device" :
		    S_ISFIFO(st.st_mode) ? "a pipe (FIFO)" : "not a file type "
		    "jobqd knows");
		return buf;
	}
	sl = sizeof domain;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &sl) < 0 ||
	    (sl = sizeof type,
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl)) < 0 ||
	    (sl = sizeof listening,
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &sl)) < 0) {
		snprintf(buf, len, "a socket jobqd cannot inspect (%s)",
		    strerror(errno));
		return buf;
	}
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			tname = types[i].name;
	fam = domain == AF_UNIX ? "Unix" : domain == AF_INET ? "IPv4" :
	    domain == AF_INET6 ? "IPv6" : NULL;
	if (domain == AF_UNIX && type == SOCK_STREAM) {
		if (listening)
			return NULL;
		snprintf(buf, len, "a Unix stream socket that is not listening "
		    "(connected, or never passed to listen(2))");
	} else if (domain == AF_UNIX && type == SOCK_DGRAM)
		snprintf(buf, len, "a datagram socket (SOCK_DGRAM)");
	else if ((domain == AF_INET || domain == AF_INET6) &&
	    (type == SOCK_STREAM || type == SOCK_DGRAM))
		snprintf(buf, len, "a %s/%s socket (%s, %s)",
		    type == SOCK_STREAM ? "TCP" : "UDP", fam,
		    domain == AF_INET ? "AF_INET" : "AF_INET6", tname);
	else if (fam != NULL && tname != NULL)
		snprintf(buf, len, "a %s socket of type %s", fam, tname);
	else
		snprintf(buf, len, "a socket of address family %d, type %d",
		    domain, type);
	return buf;
}

/*
 * Socket activation (sd_listen_fds(3)): LISTEN_PID ours and LISTEN_FDS
 * >= 1 give fd 3, which must be a listening Unix stream socket; anything
 * else (a datagram or TCP socket, a file: a wrong ListenStream= or a
 * hand-made LISTEN_FDS) stops jobqd here, before the state dir, the
 * database or a worker is touched.  A LISTEN_PID of another process is a
 * stale variable: ignored.
 */
static void
jobqd_socket_activation(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char what[256], *end;
	long lpid, nfds, i;
	int flags;

	if (pid == NULL || fds == NULL)
		return;
	errno = 0;
	lpid = strtol(pid, &end, 10);
	if (errno != 0 || end == pid || *end != '\0' || lpid <= 0)
		fatalx("LISTEN_PID: \"%.100s\" is not a process id", pid);
	if (lpid != (long)getpid())
		return;
	errno = 0;
	nfds = strtol(fds, &end, 10);
	if (errno != 0 || end == fds || *end != '\0' || nfds < 0 ||
	    nfds > INT_MAX - 3)
		fatalx("LISTEN_FDS: \"%.100s\" is not a number of file "
		    "descriptors", fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (nfds == 0)
		return;
	if (nfds > 1)
		log_warnx("systemd passed %ld sockets; using the first", nfds);
	/* the others stay open, but never reach a worker or a job */
	for (i = 4; i < 3 + nfds; i++)
		if ((flags = fcntl((int)i, F_GETFD)) >= 0)
			(void)fcntl((int)i, F_SETFD, flags | FD_CLOEXEC);
	if (jobqd_listen_fd_what(3, what, sizeof what) != NULL)
		fatalx("LISTEN_FDS: fd 3 is %s, not a Unix stream socket "
		    "listening for connections", what);
	cfg.listen_fd = 3;
	if ((flags = fcntl(3, F_GETFD)) < 0 ||
	    fcntl(3, F_SETFD, flags | FD_CLOEXEC) < 0)
		fatal("LISTEN_FDS: fd 3");
}

static void
jobqd_stopped(void *arg)
{
	server_close_all(jobqd_server);
	uv_close((uv_handle_t *)&jobqd_sigterm, NULL);
	uv_close((uv_handle_t *)&jobqd_sigint, NULL);
	uv_close((uv_handle_t *)&jobqd_sighup, NULL);
	notify_close();
	log_info("stopped");
}

static void
jobqd_signal(uv_signal_t *h, int signum)
{
	if (signum == SIGHUP) {
		notify_reloading();
		jobqd_reload();
		notify_reloaded();
		return;
	}
	if (jobqd_stopping) {
		log_info("%s: already stopping", strsignal(signum));
		return;
	}
	jobqd_stopping = 1;
	log_info("%s: stopping (running jobs get %u ms to exit)",
	    strsignal(signum), cfg.kill_grace_ms);
	notify_stopping();
	server_stop_listening(jobqd_server);
	dispatch_shutdown(jobqd_disp, jobqd_stopped, NULL);
}

int
main(int argc, char **argv)
{
	struct store_recovery rec;
	struct dispatch_config dconf;
	struct server_config srv_cfg;
	struct store *store;
	struct scoreboard *sb;
	struct scoreboard_unstarted *un = NULL;
	char err[1024];
	size_t nqueued, nun = 0;
	ssize_t n;
	int rv;

	if (fault_init(getenv("JOBQD_FAULTS"), err, sizeof err) != 0) {
		fprintf(stderr, "jobqd: %s\n", err);
		return 2;
	}
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "--hook") == 0)
		return hook_exec_main(argc - 2, argv + 2);

	/* before anything raises one: a job's base (rlimits_base.c) */
	rlimits_base_record();
	jobqd_started_ms = util_mono_ms();
	signal(SIGPIPE, SIG_IGN);
	jobqd_options(argc, argv);
	jobqd_socket_activation();
	if (notify_init(err, sizeof err) != 0)
		fatalx("%s", err);
	if ((n = readlink("/proc/self/exe", cfg.exe, sizeof cfg.exe - 1)) < 0)
		fatal("readlink /proc/self/exe");
	cfg.exe[n] = '\0';

	jobqd_state_dir(cfg_state_explicit);
	jobqd_lock();
	jobqd_scoreboard(&sb, &un, &nun);
	jobqd_cgroup();
	if (store_open(cfg.db_path, cfg.sync_full, &store, err,
	    sizeof err) < 0)
		fatalx("%s", err);
	jobqd_logs_dir();
	if ((rv = store_reserve_init(store, cfg.state_fd, "reserve", 0)) < 0)
		fatalx("%s/reserve: %s", cfg.state_dir, rv == JOBQ_EINVAL ?
		    "a symbolic link or not a regular file: refusing to use it" :
		    jobq_strerror(rv));
	jobqd_logs_upgrade(store);
	jobqd_id_floor(store);
	jobqd_recover_unstarted(store, un, nun);
	free(un);
	memset(&rec, 0, sizeof rec);
	if ((rv = store_recover_stream(store, &rec, util_now_ms())) < 0)
		fatalx("%s: recovery failed: %s", cfg.db_path, jobq_strerror(rv));
	if (rec.n_interrupted > 0)
		log_warnx("%zu job(s) were running when the last jobqd died; "
		    "marked interrupted (or requeued)", rec.n_interrupted);

	if (uv_loop_init(&jobqd_loop) < 0)
		fatalx("uv_loop_init failed");
	memset(&dconf, 0, sizeof dconf);
	dconf.exe = cfg.exe;
	dconf.logs_dir = cfg.logs_dir;
	dconf.logs_fd = cfg.logs_fd;
	dconf.output_limit = cfg.output_limit;
	dconf.output_limit_max = cfg.output_limit_max;
	dconf.workers = cfg.workers;
	dconf.kill_grace_ms = cfg.kill_grace_ms;
	dconf.keep_age_ms = cfg.keep_age_ms;
	dconf.keep_count = cfg.keep_count;
	dconf.scoreboard = sb;
	dconf.worker_timeout_ms = cfg.worker_timeout_ms;
	dconf.run_ahead_ms = cfg.run_ahead_ms;
	dconf.conf_file = jobqd_conf != NULL ? jobqd_conf : conf_empty();
	dconf.isolation = cfg.isolation;
	dconf.cgroup_jobs = cfg.cgroup_on ? cfg.cgroup.jobs : NULL;
	dconf.hook_timeout_ms = cfg.hook_timeout_ms;
	dconf.hook_max_running = cfg.hook_max_running;
	dconf.metrics_file = cfg.metrics_file;
	dconf.metrics_interval_ms = cfg.metrics_interval_ms;
	dconf.slurm.sbatch = jobqd_opts.sbatch;
	dconf.slurm.squeue = jobqd_opts.squeue;
	dconf.slurm.scancel = jobqd_opts.scancel;
	dconf.slurm.sacct = jobqd_opts.sacct;
	dconf.slurm.poll_ms = jobqd_opts.slurm_poll_ms;
	dconf.slurm.timeout_ms = jobqd_opts.slurm_timeout_ms;
	dconf.resources = jobqd_opts.resources.v;
	dconf.nresources = jobqd_opts.resources.n;
	/* dispatch reads the queued jobs from the store while this thread
	 * still owns it: before store_start() */
	if ((rv = dispatch_start(&jobqd_loop, store, &rec, &dconf,
	    &jobqd_disp, &nqueued)) < 0)
		fatalx("cannot start dispatch: %s", jobq_strerror(rv));
	store_recovery_release(&rec);
	if ((rv = store_start(store, &jobqd_loop)) < 0)
		fatalx("cannot start the store thread: %s", jobq_strerror(rv));
	memset(&srv_cfg, 0, sizeof srv_cfg);
	srv_cfg.socket_path = cfg.socket_path;
	srv_cfg.listen_fd = cfg.listen_fd;
	srv_cfg.handshake_ms = cfg.handshake_ms;
	srv_cfg.frame_ms = cfg.frame_ms;
	srv_cfg.max_unsent = cfg.max_unsent;
	srv_cfg.system_mode = cfg.system_mode;
	srv_cfg.conf_file = jobqd_conf != NULL ? jobqd_conf : conf_empty();
	if (server_start(&jobqd_loop, &srv_cfg, jobqd_disp, &jobqd_server) < 0)
		fatalx("cannot listen on %s", cfg.socket_path);

	uv_signal_init(&jobqd_loop, &jobqd_sigterm);
	uv_signal_init(&jobqd_loop, &jobqd_sigint);
	uv_signal_init(&jobqd_loop, &jobqd_sighup);
	uv_signal_start(&jobqd_sigterm, jobqd_signal, SIGTERM);
	uv_signal_start(&jobqd_sigint, jobqd_signal, SIGINT);
	uv_signal_start(&jobqd_sighup, jobqd_signal, SIGHUP);

	jobqd_cgroup_log();
	log_info("jobqd %s ready on %s (state %s, %d workers, sync %s, %zu queued)",
	    PACKAGE_VERSION, cfg.listen_fd >= 0 ? "the socket from systemd" :
	    cfg.socket_path, cfg.state_dir, cfg.workers,
	    cfg.sync_full ? "full" : "normal", nqueued);
	notify_ready(&jobqd_loop, store, jobqd_disp);

	uv_run(&jobqd_loop, UV_RUN_DEFAULT);
	server_free(jobqd_server);
	scoreboard_free(sb);
	conf_free(jobqd_conf);
	conf_free(jobqd_conf_prev);
	rv = uv_loop_close(&jobqd_loop);
	if (rv != 0)
		log_debug("loop closed with handles open: %s", uv_strerror(rv));
	return 0;
}
