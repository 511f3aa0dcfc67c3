/*
 * jobqd.c - the daemon's entry point: options, paths, the state-dir lock,
 * start-up order, signals and the orderly stop.  Also the worker entry:
 * `jobqd --worker ...` runs worker_main() (see worker.h).
 *
 * Start-up order: options -> state dir -> lock (jobqd.lock, flock) ->
 * store_open (validate/migrate) -> store_recover (running -> interrupted)
 * -> store thread -> dispatch + worker pool -> socket -> READY=1.
 * Stop (SIGTERM/SIGINT): stop accepting -> interrupt running jobs (TERM,
 * KILL after --kill-grace) and record them -> stop workers -> drain and
 * checkpoint the store -> close clients -> exit 0.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
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
#include "fault.h"
#include "log.h"
#include "paths.h"
#include "util.h"
#include "dispatch.h"
#include "server.h"
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
	unsigned handshake_ms;
	int64_t keep_age_ms;         /* retention of ended jobs; 0 = for ever */
	size_t keep_count;           /* ended jobs kept at most; 0 = no limit */
	int listen_fd;               /* from systemd socket activation, or -1 */
	int system_mode;             /* running as root with system defaults */
};
static struct config cfg;

static uv_loop_t jobqd_loop;
static uv_signal_t jobqd_sigterm, jobqd_sigint, jobqd_sighup;
static struct dispatch *jobqd_disp;
static struct server *jobqd_server;
static int64_t jobqd_started_ms;  /* monotonic */
static int jobqd_stopping;
static int cfg_state_explicit;  /* --state-dir was given */

int64_t
jobqd_uptime_ms(void)
{
	return util_mono_ms() - jobqd_started_ms;
}

static void
jobqd_usage(FILE *f)
{
	fprintf(f,
"usage: jobqd [options]\n"
"Run the jobq daemon in the foreground.\n"
"\n"
"  -s, --socket PATH             listen on PATH (default: $JOBQ_SOCKET, else\n"
"                                /run/jobq/jobqd.sock as root, else\n"
"                                $XDG_RUNTIME_DIR/jobq/jobqd.sock)\n"
"  -d, --state-dir DIR           database and job output (default: /var/lib/jobq\n"
"                                as root, else $XDG_STATE_HOME/jobq or\n"
"                                ~/.local/state/jobq)\n"
"  -w, --workers N               worker processes (default: number of CPUs, as\n"
"                                many as RLIMIT_MSGQUEUE allows)\n"
"      --sync full|normal        full (default): an acknowledged job survives\n"
"                                power loss; normal: survives a daemon crash,\n"
"                                not a power loss\n"
"      --kill-grace DUR          SIGTERM -> SIGKILL delay for cancel and stop\n"
"                                (default 10s)\n"
"      --handshake-timeout DUR   close clients that send no hello (default 10s)\n"
"      --keep-age DUR            remove ended jobs and their output DUR after\n"
"                                they ended (default 7d; 0: keep them)\n"
"      --keep-count N            keep at most N ended jobs, the newest\n"
"                                (default 100000; 0: no limit)\n"
"  -l, --log-level LEVEL         error, warn, info (default) or debug\n"
"  -h, --help                    show this help\n"
"  -V, --version                 show the version\n"
"\n"
"DUR: integers with units d, h, m, s, ms, largest first (1h30m, 500ms);\n"
"a lone number is seconds; one part may have a fraction (1.5s).\n"
"See jobqd(8).\n");
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

static void
jobqd_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "sync", required_argument, NULL, 'S' },
		{ "kill-grace", required_argument, NULL, 'g' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "keep-age", required_argument, NULL, 'A' },
		{ "keep-count", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sock = NULL, *state = NULL;
	int ch, level = LOG_LVL_INFO, workers_given = 0;
	long n;
	int64_t ms;
	char *end;

	cfg.workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (cfg.workers < 1)
		cfg.workers = 1;
	cfg.sync_full = 1;
	cfg.kill_grace_ms = 10000;
	cfg.handshake_ms = 10000;
	cfg.keep_age_ms = 7 * 86400 * 1000LL;
	cfg.keep_count = 100000;
	cfg.listen_fd = -1;
	while ((ch = getopt_long(argc, argv, "s:d:w:l:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			state = optarg;
			break;
		case 'w':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 1024)
				jobqd_die_usage("--workers: \"%s\" is not a number from 1 to 1024",
				    optarg);
			cfg.workers = (int)n;
			workers_given = 1;
			break;
		case 'S':
			if (strcmp(optarg, "full") == 0)
				cfg.sync_full = 1;
			else if (strcmp(optarg, "normal") == 0)
				cfg.sync_full = 0;
			else
				jobqd_die_usage("--sync: \"%s\" is not full or normal",
				    optarg);
			break;
		case 'g':
			if (util_parse_duration_ms(optarg, &ms) != 0 ||
			    ms > INT32_MAX)
				jobqd_die_usage("--kill-grace: bad duration \"%s\"", optarg);
			cfg.kill_grace_ms = (unsigned)ms;
			break;
		case 'H':
			if (util_parse_duration_ms(optarg, &ms) != 0 || ms <= 0 ||
			    ms > INT32_MAX)
				jobqd_die_usage("--handshake-timeout: bad duration \"%s\"",
				    optarg);
			cfg.handshake_ms = (unsigned)ms;
			break;
		case 'A':
			if (util_parse_duration_ms(optarg, &ms) != 0)
				jobqd_die_usage("--keep-age: bad duration \"%s\"",
				    optarg);
			cfg.keep_age_ms = ms;
			break;
		case 'C':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || n < 0)
				jobqd_die_usage("--keep-count: \"%s\" is not a "
				    "number >= 0", optarg);
			cfg.keep_count = (size_t)n;
			break;
		case 'l':
			if ((level = log_parse_level(optarg)) < 0)
				jobqd_die_usage("--log-level: unknown level \"%s\"", optarg);
			break;
		case 'h':
			jobqd_usage(stdout);
			exit(0);
		case 'V':
			printf("jobqd %s (protocol %d, schema %d)\n", PACKAGE_VERSION,
			    JOBQ_PROTOCOL_VERSION, STORE_SCHEMA_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'jobqd --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		jobqd_die_usage("unexpected argument \"%s\"", argv[optind]);
	log_init(level, NULL);
	if (!workers_given)
		jobqd_default_workers();

	cfg.system_mode = paths_system_mode();
	if (sock != NULL) {
		if (strlen(sock) >= sizeof cfg.socket_path)
			jobqd_die_usage("--socket: path too long: %s", sock);
		snprintf(cfg.socket_path, sizeof cfg.socket_path, "%s", sock);
	} else if (paths_socket(cfg.socket_path, sizeof cfg.socket_path) < 0)
		fatalx("cannot determine the socket path (too long?); use --socket");
	if (state != NULL) {
		if (strlen(state) >= sizeof cfg.state_dir - 32)
			jobqd_die_usage("--state-dir: path too long: %s", state);
		snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s", state);
		cfg_state_explicit = 1;
	} else if (paths_state_dir(cfg.state_dir, sizeof cfg.state_dir - 32) < 0)
		fatalx("cannot determine the state directory; use --state-dir");
}

/*
 * The state dir: the default one is created with its parents (as
 * ~/.local/state may not exist yet); one given with --state-dir is created
 * only if its parent exists, so that a typo fails loudly.
 */
static void
jobqd_state_dir(int explicit)
{
	struct stat st;
	char path[PATH_MAX], *p;

	if (stat(cfg.state_dir, &st) < 0) {
		if (errno != ENOENT)
			fatal("state directory %s", cfg.state_dir);
		snprintf(path, sizeof path, "%s", cfg.state_dir);
		for (p = path + 1; !explicit && *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				fatal("state directory %s: cannot create %s",
				    cfg.state_dir, path);
			*p = '/';
		}
		if (mkdir(cfg.state_dir, 0700) < 0)
			fatal("state directory %s: cannot create it", cfg.state_dir);
		if (stat(cfg.state_dir, &st) < 0)
			fatal("state directory %s", cfg.state_dir);
	}
	if (!S_ISDIR(st.st_mode))
		fatalx("state directory %s is not a directory", cfg.state_dir);
	if (access(cfg.state_dir, R_OK | W_OK | X_OK) < 0)
		fatal("state directory %s is not writable", cfg.state_dir);
	snprintf(cfg.db_path, sizeof cfg.db_path, "%s/jobq.db", cfg.state_dir);
	snprintf(cfg.logs_dir, sizeof cfg.logs_dir, "%s/logs", cfg.state_dir);
}

/* One jobqd per state dir: flock on jobqd.lock, held until exit. */
static void
jobqd_lock(void)
{
	char path[PATH_MAX + 16], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/jobqd.lock", cfg.state_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		fatal("%s", path);
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

static void
jobqd_socket_activation(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int flags;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return;
	if (atoi(fds) < 1)
		return;
	if (atoi(fds) > 1)
		log_warnx("systemd passed %d sockets; using the first", atoi(fds));
	cfg.listen_fd = 3;
	if ((flags = fcntl(3, F_GETFD)) < 0)
		fatal("LISTEN_FDS: fd 3");
	fcntl(3, F_SETFD, flags | FD_CLOEXEC);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
jobqd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof sa.sun_path)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    len) < 0)
		log_warn("NOTIFY_SOCKET %s", path);
	close(fd);
}

static void
jobqd_stopped(void *arg)
{
	server_close_all(jobqd_server);
	uv_close((uv_handle_t *)&jobqd_sigterm, NULL);
	uv_close((uv_handle_t *)&jobqd_sigint, NULL);
	uv_close((uv_handle_t *)&jobqd_sighup, NULL);
	log_info("stopped");
}

static void
jobqd_signal(uv_signal_t *h, int signum)
{
	if (signum == SIGHUP) {
		log_info("SIGHUP ignored (nothing to reload)");
		return;
	}
	if (jobqd_stopping) {
		log_info("%s: already stopping", strsignal(signum));
		return;
	}
	jobqd_stopping = 1;
	log_info("%s: stopping (running jobs get %u ms to exit)",
	    strsignal(signum), cfg.kill_grace_ms);
	jobqd_notify("STOPPING=1");
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
	char err[1024];
	size_t nqueued;
	ssize_t n;
	int rv;

	if (fault_init(getenv("JOBQD_FAULTS"), err, sizeof err) != 0) {
		fprintf(stderr, "jobqd: %s\n", err);
		return 2;
	}
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc - 2, argv + 2);

	jobqd_started_ms = util_mono_ms();
	signal(SIGPIPE, SIG_IGN);
	jobqd_options(argc, argv);
	jobqd_socket_activation();
	if ((n = readlink("/proc/self/exe", cfg.exe, sizeof cfg.exe - 1)) < 0)
		fatal("readlink /proc/self/exe");
	cfg.exe[n] = '\0';

	jobqd_state_dir(cfg_state_explicit);
	jobqd_lock();
	if (store_open(cfg.db_path, cfg.sync_full, &store, err,
	    sizeof err) < 0)
		fatalx("%s", err);
	if (mkdir(cfg.logs_dir, 0700) < 0 && errno != EEXIST)
		fatal("%s", cfg.logs_dir);
	memset(&rec, 0, sizeof rec);
	if ((rv = store_recover(store, &rec, util_now_ms())) < 0)
		fatalx("%s: recovery failed: %s", cfg.db_path, jobq_strerror(rv));
	if (rec.n_interrupted > 0)
		log_warnx("%zu job(s) were running when the last jobqd died; "
		    "marked interrupted (or requeued)", rec.n_interrupted);

	if (uv_loop_init(&jobqd_loop) < 0)
		fatalx("uv_loop_init failed");
	if ((rv = store_start(store, &jobqd_loop)) < 0)
		fatalx("cannot start the store thread: %s", jobq_strerror(rv));
	memset(&dconf, 0, sizeof dconf);
	dconf.exe = cfg.exe;
	dconf.logs_dir = cfg.logs_dir;
	dconf.workers = cfg.workers;
	dconf.kill_grace_ms = cfg.kill_grace_ms;
	dconf.keep_age_ms = cfg.keep_age_ms;
	dconf.keep_count = cfg.keep_count;
	if ((rv = dispatch_start(&jobqd_loop, store, &rec, &dconf,
	    &jobqd_disp)) < 0)
		fatalx("cannot start dispatch: %s", jobq_strerror(rv));
	nqueued = rec.nqueued;
	store_recovery_release(&rec);
	memset(&srv_cfg, 0, sizeof srv_cfg);
	srv_cfg.socket_path = cfg.socket_path;
	srv_cfg.listen_fd = cfg.listen_fd;
	srv_cfg.handshake_ms = cfg.handshake_ms;
	srv_cfg.system_mode = cfg.system_mode;
	if (server_start(&jobqd_loop, &srv_cfg, jobqd_disp, &jobqd_server) < 0)
		fatalx("cannot listen on %s", cfg.socket_path);

	uv_signal_init(&jobqd_loop, &jobqd_sigterm);
	uv_signal_init(&jobqd_loop, &jobqd_sigint);
	uv_signal_init(&jobqd_loop, &jobqd_sighup);
	uv_signal_start(&jobqd_sigterm, jobqd_signal, SIGTERM);
	uv_signal_start(&jobqd_sigint, jobqd_signal, SIGINT);
	uv_signal_start(&jobqd_sighup, jobqd_signal, SIGHUP);

	log_info("jobqd %s ready on %s (state %s, %d workers, sync %s, %zu queued)",
	    PACKAGE_VERSION, cfg.listen_fd >= 0 ? "the socket from systemd" :
	    cfg.socket_path, cfg.state_dir, cfg.workers,
	    cfg.sync_full ? "full" : "normal", nqueued);
	jobqd_notify("READY=1");

	uv_run(&jobqd_loop, UV_RUN_DEFAULT);
	server_free(jobqd_server);
	rv = uv_loop_close(&jobqd_loop);
	if (rv != 0)
		log_debug("loop closed with handles open: %s", uv_strerror(rv));
	return 0;
}
