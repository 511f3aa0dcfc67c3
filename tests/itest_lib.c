/*
 * itest_lib.c - libjobq driven integration test program.
 *
 *   itest_lib api SOCK               every API call and error code
 *   itest_lib storm SOCK NTHREADS OUTDIR [MAX]
 *                                    NTHREADS threads, each on its own
 *                                    connection, submit short jobs until the
 *                                    connection fails (or MAX each), writing
 *                                    every acknowledged id to OUTDIR/acked.T
 *   itest_lib threads SOCK           8 threads x own handle submit and wait
 *   itest_lib sched SOCK             the scheduling calls against a daemon with
 *                                    2 workers: priority, labels, name, unique
 *                                    keys, dependencies, arrays and their tasks,
 *                                    retry, timeouts, start times, purge,
 *                                    queues, stats (needs no fresh daemon)
 *   itest_lib watch SOCK             jobq_watch / jobq_watch_next: a job's
 *                                    events, watching given ids (an array)
 *   itest_lib fake DIR               no daemon: a scripted fake on DIR/fake.sock
 *                                    checks the requests the library sends and
 *                                    feeds it split frames, overflow, bad replies
 *
 * Exit 0 when every assertion held; failures are printed on stderr.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"

static int failures;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&fail_lock);
	failures++;
	fputs("itest_lib: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&fail_lock);
}

#define CHECK(cond, ...) do { if (!(cond)) failf(__VA_ARGS__); } while (0)
#define CHECK_RC(expr, want) do { \
	int rc_ = (expr); \
	if (rc_ != (want)) \
		failf("%s:%d: %s = %d (%s), expected %d (%s)", __FILE__, __LINE__, \
		    #expr, rc_, jobq_strerror(rc_), (want), jobq_strerror(want)); \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int submit_argv(jobq_client *c, const char *const *argv, const char *queue,
    int64_t *id)
{
	jobq_submit_opts o;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.queue = queue;
	return jobq_submit(c, &o, id);
}

/* ------------------------------------------------------------------ api */

static void api_strings(void)
{
	for (int e = 0; e >= JOBQ_ERR_MIN; e--) {
		const char *s = jobq_strerror(e);
		CHECK(s != NULL && *s != '\0', "jobq_strerror(%d) is empty", e);
	}
	CHECK(jobq_strerror(-1000) != NULL, "jobq_strerror(-1000) is NULL");
	CHECK(jobq_strerror(5) != NULL, "jobq_strerror(5) is NULL");
	/* distinct messages for distinct codes */
	for (int a = -1; a >= JOBQ_ERR_MIN; a--)
		for (int b = a - 1; b >= JOBQ_ERR_MIN; b--)
			CHECK(strcmp(jobq_strerror(a), jobq_strerror(b)) != 0,
			    "jobq_strerror(%d) == jobq_strerror(%d)", a, b);
	static const char *names[] = { "queued", "running", "succeeded", "failed",
		"canceled", "interrupted", "timed_out" };
	CHECK(sizeof names / sizeof names[0] == JOBQ_STATE_COUNT, "state name table");
	for (int s = 0; s < JOBQ_STATE_COUNT; s++) {
		const char *n = jobq_state_name((jobq_state)s);
		CHECK(n && strcmp(n, names[s]) == 0, "jobq_state_name(%d) = %s", s, n ? n : "NULL");
		CHECK(jobq_state_parse(names[s]) == s, "jobq_state_parse(%s)", names[s]);
		CHECK(jobq_state_is_terminal((jobq_state)s) == (s >= JOBQ_STATE_SUCCEEDED),
		    "jobq_state_is_terminal(%d)", s);
	}
	CHECK(jobq_state_name(JOBQ_STATE_COUNT) == NULL, "jobq_state_name(COUNT) not NULL");
	CHECK(jobq_state_parse("bogus") == JOBQ_EINVAL, "jobq_state_parse(bogus)");
	CHECK(jobq_state_parse(NULL) == JOBQ_EINVAL, "jobq_state_parse(NULL)");
	CHECK(jobq_dep_mode_name(JOBQ_DEP_OK) && strcmp(jobq_dep_mode_name(JOBQ_DEP_OK), "ok") == 0 &&
	    strcmp(jobq_dep_mode_name(JOBQ_DEP_NOTOK), "notok") == 0 &&
	    strcmp(jobq_dep_mode_name(JOBQ_DEP_ANY), "any") == 0 &&
	    jobq_dep_mode_name((jobq_dep_mode)3) == NULL, "jobq_dep_mode_name");
}

static void api_default_socket(const char *sock)
{
	char buf[256], tiny[4];
	setenv("JOBQ_SOCKET", sock, 1);
	CHECK_RC(jobq_default_socket(buf, sizeof buf), 0);
	CHECK(strcmp(buf, sock) == 0, "jobq_default_socket = %s, expected $JOBQ_SOCKET %s", buf, sock);
	CHECK_RC(jobq_default_socket(tiny, sizeof tiny), JOBQ_EINVAL);
	/* NULL path = default = $JOBQ_SOCKET */
	jobq_client *c = NULL;
	CHECK_RC(jobq_connect(NULL, &c), 0);
	if (c) {
		CHECK_RC(jobq_ping(c, NULL), 0);
		jobq_close(c);
	}
	unsetenv("JOBQ_SOCKET");
}

/* The extension structs: a size that does not cover the size member, or a
 * larger struct than the library's with a byte set past it, is refused
 * before anything is sent; a larger one with a zero tail is read as the
 * library's own (a program built against a newer header). */
static void api_ext(jobq_client *c)
{
	union { jobq_submit_ext x; unsigned char b[sizeof(jobq_submit_ext) + 16]; } su;
	union { jobq_list_ext x; unsigned char b[sizeof(jobq_list_ext) + 16]; } lu;
	const char *argv[] = { "true", NULL };
	jobq_submit_opts o;
	jobq_list_opts lo;
	jobq_job *job = NULL, **jobs = NULL;
	size_t n = 0, total = 0, n2 = 0, total2 = 0;
	int64_t id = 0;

	memset(&o, 0, sizeof o);
	o.argv = argv;
	memset(&su, 0, sizeof su);
	su.x.size = 0;
	CHECK_RC(jobq_submit_x(c, &o, &su.x, &id), JOBQ_EINVAL);
	su.x.size = sizeof su.b;
	su.b[sizeof su.b - 1] = 1;
	CHECK_RC(jobq_submit_x(c, &o, &su.x, &id), JOBQ_EINVAL);
	su.b[sizeof su.b - 1] = 0;
	CHECK_RC(jobq_submit_x(c, &o, &su.x, &id), 0);
	CHECK_RC(jobq_wait(c, id, 30000, &job), 0);
	if (job != NULL) {
		CHECK(job->state == JOBQ_STATE_SUCCEEDED, "submit_x job state %d", job->state);
		jobq_job_free(job);
	}
	CHECK_RC(jobq_submit_x(c, &o, NULL, &id), 0);
	CHECK_RC(jobq_wait(c, id, 30000, NULL), 0);

	memset(&lo, 0, sizeof lo);
	lo.owner_uid = -1;
	memset(&lu, 0, sizeof lu);
	lu.x.size = sizeof(size_t) - 1;
	CHECK_RC(jobq_list_x(c, &lo, &lu.x, &jobs, &n, NULL), JOBQ_EINVAL);
	lu.x.size = sizeof lu.b;
	lu.b[sizeof(jobq_list_ext)] = 7;
	CHECK_RC(jobq_list_x(c, &lo, &lu.x, &jobs, &n, NULL), JOBQ_EINVAL);
	lu.b[sizeof(jobq_list_ext)] = 0;
	CHECK_RC(jobq_list_x(c, &lo, &lu.x, &jobs, &n, &total), 0);
	jobq_job_list_free(jobs, n);
	CHECK_RC(jobq_list_ex(c, &lo, &jobs, &n2, &total2), 0);
	jobq_job_list_free(jobs, n2);
	CHECK(n == n2 && total == total2 && n > 0,
	    "list_x %zu/%zu, list_ex %zu/%zu", n, total, n2, total2);
}

static void api(const char *sock)
{
	jobq_client *c = NULL;
	jobq_server_info info;
	jobq_job *job = NULL, **jobs = NULL;
	size_t n = 0;
	int64_t id_ok = 0, id_fail = 0, id_long = 0, id_q = 0;
	char buf[64];
	size_t nread;
	int done;

	api_strings();

	CHECK_RC(jobq_connect("/nonexistent/jobq.sock", &c), JOBQ_ECONNECT);
	CHECK(c == NULL, "jobq_connect failure left a handle");
	CHECK_RC(jobq_connect(sock, NULL), JOBQ_EINVAL);
	if (jobq_connect(sock, &c) != 0 || !c) {
		failf("cannot connect to %s", sock);
		return;
	}
	jobq_close(NULL);

	memset(&info, 0, sizeof info);
	CHECK_RC(jobq_ping(c, &info), 0);
	CHECK(info.protocol == JOBQ_PROTOCOL_VERSION, "ping protocol %d", info.protocol);
	CHECK(info.pid > 0 && info.pid != getpid(), "ping pid %" PRId64, info.pid);
	CHECK(info.workers == 2, "ping workers %d, expected 2", info.workers);
	CHECK(info.version[0] != '\0', "ping version empty");
	CHECK(info.uptime_ms >= 0, "ping uptime %" PRId64, info.uptime_ms);

	/* submit: bad arguments */
	jobq_submit_opts o;
	int64_t id = -1;
	CHECK_RC(jobq_submit(c, NULL, &id), JOBQ_EINVAL);
	memset(&o, 0, sizeof o);
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);          /* no argv */
	const char *empty_argv[] = { NULL };
	o.argv = empty_argv;
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);          /* argc 0 */
	const char *empty0[] = { "", NULL };
	o.argv = empty0;
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);          /* argv[0] "" */
	const char *t_argv[] = { "true", NULL };
	o.argv = t_argv;
	o.cwd = "relative/dir";
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);          /* relative cwd */
	o.cwd = NULL;
	o.queue = "bad queue!";
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);
	o.queue = NULL;
	o.max_retries = -1;
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);
	o.max_retries = 0;
	const char *bad_env[] = { "NOEQUALS", NULL };
	o.env = bad_env;
	CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EINVAL);
	o.env = NULL;

	/* the connection still works after all the rejected requests */
	CHECK_RC(jobq_ping(c, NULL), 0);

	/* submit + get */
	const char *ok_argv[] = { "sh", "-c", "printf 'hello-out'; printf 'hello-err' >&2", NULL };
	const char *env[] = { "ITEST=1", "PATH=/usr/bin:/bin", NULL };
	memset(&o, 0, sizeof o);
	o.argv = ok_argv;
	o.env = env;
	o.cwd = "/";
	o.name = "api-ok";
	o.queue = "apiq";
	o.max_retries = 2;
	CHECK_RC(jobq_submit(c, &o, &id_ok), 0);
	CHECK(id_ok > 0, "submit id %" PRId64, id_ok);
	CHECK_RC(jobq_get(c, id_ok, &job), 0);
	if (job) {
		CHECK(job->id == id_ok, "get id");
		CHECK(job->name && strcmp(job->name, "api-ok") == 0, "get name");
		CHECK(job->queue && strcmp(job->queue, "apiq") == 0, "get queue");
		CHECK(job->argc == 3 && job->argv && job->argv[3] == NULL &&
		    strcmp(job->argv[2], ok_argv[2]) == 0, "get argv");
		CHECK(job->cwd && strcmp(job->cwd, "/") == 0, "get cwd");
		CHECK(job->owner_uid == getuid(), "get owner_uid %u", job->owner_uid);
		CHECK(job->max_retries == 2, "get max_retries %d", job->max_retries);
		CHECK(job->submitted_at > 1500000000000LL, "get submitted_at %" PRId64, job->submitted_at);
		jobq_job_free(job);
		job = NULL;
	}
	jobq_job_free(NULL);

	/* wait */
	CHECK_RC(jobq_wait(c, id_ok, 20000, &job), 0);
	if (job) {
		CHECK(job->state == JOBQ_STATE_SUCCEEDED, "wait state %d", job->state);
		CHECK(job->exit_code == 0 && job->signal == 0, "wait exit %d sig %d", job->exit_code, job->signal);
		CHECK(job->attempts == 1, "attempts %d", job->attempts);
		CHECK(job->started_at >= job->submitted_at && job->finished_at >= job->started_at,
		    "timestamps");
		CHECK(job->pid == 0, "pid %" PRId64 " after the end", job->pid);
		jobq_job_free(job);
		job = NULL;
	}
	CHECK_RC(jobq_wait(c, id_ok, 0, NULL), 0);  /* already ended: no timeout */

	/* read_output: whole, offsets, done flag, stderr */
	memset(buf, 0, sizeof buf);
	CHECK_RC(jobq_read_output(c, id_ok, JOBQ_STDOUT, 0, buf, sizeof buf, &nread, &done), 0);
	CHECK(nread == 9 && memcmp(buf, "hello-out", 9) == 0, "read_output: %zu [%.*s]", nread, (int)nread, buf);
	CHECK(done == 1, "read_output: done %d for a finished job read to the end", done);
	CHECK_RC(jobq_read_output(c, id_ok, JOBQ_STDOUT, 6, buf, 2, &nread, &done), 0);
	CHECK(nread == 2 && memcmp(buf, "ou", 2) == 0, "read_output at 6: %zu [%.*s]", nread, (int)nread, buf);
	CHECK(done == 0, "read_output: done %d before the end", done);
	CHECK_RC(jobq_read_output(c, id_ok, JOBQ_STDOUT, 9, buf, sizeof buf, &nread, &done), 0);
	CHECK(nread == 0 && done == 1, "read_output at end: %zu done %d", nread, done);
	CHECK_RC(jobq_read_output(c, id_ok, JOBQ_STDERR, 0, buf, sizeof buf, &nread, &done), 0);
	CHECK(nread == 9 && memcmp(buf, "hello-err", 9) == 0, "read_output stderr: %zu [%.*s]", nread, (int)nread, buf);
	CHECK_RC(jobq_read_output(c, id_ok, (jobq_stream)3, 0, buf, sizeof buf, &nread, &done), JOBQ_EINVAL);
	CHECK_RC(jobq_read_output(c, id_ok, JOBQ_STDOUT, 0, NULL, sizeof buf, &nread, &done), JOBQ_EINVAL);
	CHECK_RC(jobq_read_output(c, 999999999, JOBQ_STDOUT, 0, buf, sizeof buf, &nread, &done), JOBQ_ENOTFOUND);

	/* a failing job */
	const char *fail_argv[] = { "sh", "-c", "exit 42", NULL };
	CHECK_RC(submit_argv(c, fail_argv, "apiq", &id_fail), 0);
	CHECK_RC(jobq_wait(c, id_fail, 20000, &job), 0);
	if (job) {
		CHECK(job->state == JOBQ_STATE_FAILED && job->exit_code == 42,
		    "failing job: state %d exit %d", job->state, job->exit_code);
		CHECK(job->reason && strcmp(job->reason, "exit_code") == 0, "failing job reason %s",
		    job->reason ? job->reason : "NULL");
		jobq_job_free(job);
		job = NULL;
	}

	/* wait timeout, cancel */
	const char *long_argv[] = { "sleep", "60", NULL };
	CHECK_RC(submit_argv(c, long_argv, "apilong", &id_long), 0);
	int64_t t0 = now_ms();
	CHECK_RC(jobq_wait(c, id_long, 300, &job), JOBQ_ETIMEDOUT);
	int64_t el = now_ms() - t0;
	CHECK(el >= 250 && el < 5000, "wait(300 ms) took %" PRId64 " ms", el);
	if (job) {
		jobq_job_free(job);
		job = NULL;
	}
	/* the handle is still usable after a timeout */
	CHECK_RC(jobq_get(c, id_long, &job), 0);
	if (job) {
		CHECK(job->state == JOBQ_STATE_RUNNING || job->state == JOBQ_STATE_QUEUED,
		    "long job state %d", job->state);
		jobq_job_free(job);
		job = NULL;
	}
	CHECK_RC(jobq_cancel(c, id_long, &job), 0);
	if (job) {
		CHECK(job->state == JOBQ_STATE_CANCELED, "cancel: state %d", job->state);
		CHECK(job->reason && strcmp(job->reason, "canceled") == 0, "cancel reason");
		jobq_job_free(job);
		job = NULL;
	}
	CHECK_RC(jobq_cancel(c, id_long, NULL), JOBQ_ESTATE);
	CHECK_RC(jobq_cancel(c, id_ok, NULL), JOBQ_ESTATE);

	/* a queued job in a busy daemon: fill both workers, then one more */
	int64_t busy[2];
	CHECK_RC(submit_argv(c, long_argv, "apibusy", &busy[0]), 0);
	CHECK_RC(submit_argv(c, long_argv, "apibusy", &busy[1]), 0);
	CHECK_RC(submit_argv(c, long_argv, "apibusy", &id_q), 0);
	for (int i = 0; i < 200; i++) {
		int running = 0;
		for (int k = 0; k < 2; k++)
			if (jobq_get(c, busy[k], &job) == 0) {
				running += job->state == JOBQ_STATE_RUNNING;
				jobq_job_free(job);
				job = NULL;
			}
		if (running == 2)
			break;
		usleep(20000);
	}
	/* id_q may have been handed ahead to a worker whose job had just
	 * started (jobqd --run-ahead): it is queued again once it has not
	 * started within the run-ahead time (50 ms by default) */
	for (int i = 0; i < 200; i++) {
		int queued = 0;
		if (jobq_get(c, id_q, &job) == 0) {
			queued = job->state == JOBQ_STATE_QUEUED;
			jobq_job_free(job);
			job = NULL;
		}
		if (queued)
			break;
		usleep(20000);
	}

	/* list + filters */
	CHECK_RC(jobq_list(c, NULL, &jobs, &n), 0);
	CHECK(n == 6, "list: %zu jobs, expected 6", n);
	for (size_t i = 1; i < n; i++)
		CHECK(jobs[i - 1]->id < jobs[i]->id, "list not in ascending id order");
	jobq_job_list_free(jobs, n);
	jobq_filter f = { .state = -1, .queue = "apiq", .limit = 0 };
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 2 && jobs[0]->id == id_ok && jobs[1]->id == id_fail, "list queue=apiq: %zu", n);
	jobq_job_list_free(jobs, n);
	f.state = JOBQ_STATE_FAILED;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 1 && jobs[0]->id == id_fail, "list apiq failed: %zu", n);
	jobq_job_list_free(jobs, n);
	f.queue = NULL;
	f.state = JOBQ_STATE_CANCELED;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 1 && jobs[0]->id == id_long, "list canceled: %zu", n);
	jobq_job_list_free(jobs, n);
	f.state = JOBQ_STATE_QUEUED;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 1 && jobs[0]->id == id_q, "list queued: %zu (expected job %" PRId64 ")", n, id_q);
	jobq_job_list_free(jobs, n);
	f.state = -1;
	f.limit = 2;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 2 && jobs[0]->id == busy[1] && jobs[1]->id == id_q, "list limit 2: %zu", n);
	jobq_job_list_free(jobs, n);
	f.limit = 0;
	f.queue = "no-such-queue";
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 0, "list of an empty queue: %zu", n);
	jobq_job_list_free(jobs, n);
	CHECK_RC(jobq_list(c, NULL, NULL, &n), JOBQ_EINVAL);

	/* cancel a queued job, then the running ones */
	CHECK_RC(jobq_cancel(c, id_q, &job), 0);
	if (job) {
		CHECK(job->state == JOBQ_STATE_CANCELED && job->attempts == 0,
		    "cancel queued: state %d attempts %d", job->state, job->attempts);
		jobq_job_free(job);
		job = NULL;
	}
	CHECK_RC(jobq_cancel(c, busy[0], NULL), 0);
	CHECK_RC(jobq_cancel(c, busy[1], NULL), 0);

	/* not found */
	CHECK_RC(jobq_get(c, 999999999, &job), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_wait(c, 999999999, 100, NULL), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_cancel(c, 999999999, NULL), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_get(c, id_ok, NULL), JOBQ_EINVAL);
	CHECK_RC(jobq_ping(c, NULL), 0);
	api_ext(c);
	jobq_close(c);

	api_default_socket(sock);
}

/* ---------------------------------------------------------------- storm */

struct storm_arg {
	const char *sock;
	const char *outdir;
	int idx;
	long max;
	long acked;
	int last_err;
};

static void *storm_thread(void *p)
{
	struct storm_arg *a = p;
	char path[4096];
	jobq_client *c = NULL;
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/acked.%d", a->outdir, a->idx);
	f = fopen(path, "a");
	if (!f) {
		failf("storm: %s: %s", path, strerror(errno));
		return NULL;
	}
	rc = jobq_connect(a->sock, &c);
	if (rc) {
		failf("storm thread %d: connect: %s", a->idx, jobq_strerror(rc));
		fclose(f);
		return NULL;
	}
	const char *argv[] = { "sleep", "0.01", NULL };
	jobq_submit_opts o;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.name = "storm";
	o.queue = "storm";
	for (;;) {
		int64_t id;
		if (a->max > 0 && a->acked >= a->max) {
			/* cap reached: keep the connection until the daemon goes away */
			rc = jobq_ping(c, NULL);
			if (rc) {
				a->last_err = rc;
				break;
			}
			usleep(20000);
			continue;
		}
		rc = jobq_submit(c, &o, &id);
		if (rc) {
			a->last_err = rc;
			break;
		}
		fprintf(f, "%" PRId64 "\n", id);
		fflush(f);
		a->acked++;
	}
	fclose(f);
	jobq_close(c);
	return NULL;
}

static int storm(const char *sock, int nthreads, const char *outdir, long max)
{
	struct storm_arg *args = calloc((size_t)nthreads, sizeof *args);
	pthread_t *th = calloc((size_t)nthreads, sizeof *th);
	if (!args || !th)
		return 2;
	for (int i = 0; i < nthreads; i++) {
		args[i] = (struct storm_arg){ .sock = sock, .outdir = outdir, .idx = i, .max = max };
		if (pthread_create(&th[i], NULL, storm_thread, &args[i]) != 0) {
			failf("pthread_create");
			return 2;
		}
	}
	long total = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		total += args[i].acked;
		if (args[i].last_err != JOBQ_EIO && args[i].last_err != JOBQ_ESHUTDOWN)
			failf("storm thread %d ended with %d (%s), expected a connection failure",
			    i, args[i].last_err, jobq_strerror(args[i].last_err));
	}
	fprintf(stderr, "itest_lib storm: %ld acknowledged submits\n", total);
	free(args);
	free(th);
	return 0;
}

/* -------------------------------------------------------------- threads */

struct thr_arg {
	const char *sock;
	int idx;
};

static void *threads_thread(void *p)
{
	struct thr_arg *a = p;
	jobq_client *c = NULL;
	int rc = jobq_connect(a->sock, &c);
	if (rc) {
		failf("thread %d: connect: %s", a->idx, jobq_strerror(rc));
		return NULL;
	}
	for (int k = 0; k < 10; k++) {
		char script[64];
		int want = (a->idx * 10 + k) % 7;
		snprintf(script, sizeof script, "echo t%d-%d; exit %d", a->idx, k, want);
		const char *argv[] = { "sh", "-c", script, NULL };
		jobq_submit_opts o;
		int64_t id;
		jobq_job *job = NULL;
		memset(&o, 0, sizeof o);
		o.argv = argv;
		rc = jobq_submit(c, &o, &id);
		if (rc) {
			failf("thread %d: submit: %s", a->idx, jobq_strerror(rc));
			break;
		}
		rc = jobq_wait(c, id, 60000, &job);
		if (rc) {
			failf("thread %d: wait %" PRId64 ": %s", a->idx, id, jobq_strerror(rc));
			break;
		}
		if (job->exit_code != want || job->id != id)
			failf("thread %d: job %" PRId64 " exit %d, expected %d", a->idx, id,
			    job->exit_code, want);
		jobq_job_free(job);
		char buf[64], expect[64];
		size_t nread;
		int done;
		snprintf(expect, sizeof expect, "t%d-%d\n", a->idx, k);
		rc = jobq_read_output(c, id, JOBQ_STDOUT, 0, buf, sizeof buf, &nread, &done);
		if (rc || nread != strlen(expect) || memcmp(buf, expect, nread) != 0 || !done)
			failf("thread %d: output of job %" PRId64 ": rc %d [%.*s] done %d", a->idx,
			    id, rc, (int)(rc ? 0 : nread), buf, done);
	}
	jobq_close(c);
	return NULL;
}

static int threads(const char *sock)
{
	enum { N = 8 };
	pthread_t th[N];
	struct thr_arg args[N];
	for (int i = 0; i < N; i++) {
		args[i] = (struct thr_arg){ .sock = sock, .idx = i };
		if (pthread_create(&th[i], NULL, threads_thread, &args[i]) != 0) {
			failf("pthread_create");
			return 2;
		}
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	return 0;
}

/* ---------------------------------------------------------------- sched */

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A queue name unique to this run, so that sched works on a busy daemon. */
static const char *qname(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "it-%ld-%s", (long)getpid(), what);
	return buf;
}

/* Output of a finished job's stdout into buf (NUL-terminated). */
static size_t job_stdout(jobq_client *c, int64_t id, char *buf, size_t len)
{
	size_t n = 0;
	int done = 0;
	buf[0] = '\0';
	if (jobq_read_output(c, id, JOBQ_STDOUT, 0, buf, len - 1, &n, &done) != 0)
		return 0;
	buf[n] = '\0';
	return n;
}

static int has_label(const jobq_job *j, const char *l)
{
	for (size_t i = 0; i < j->nlabels; i++)
		if (strcmp(j->labels[i], l) == 0)
			return 1;
	return 0;
}

/* priority: set at submit, changed while queued, honoured by the queue */
static void sched_priority(jobq_client *c)
{
	char q[64];
	const char *argv[] = { "sleep", "0.2", NULL };
	jobq_submit_opts o;
	jobq_job *j = NULL;
	int64_t id[3];
	static const int prio[3] = { 0, 5, -5 };

	qname(q, sizeof q, "prio");
	CHECK_RC(jobq_queue_set(c, q, 1, 1), 0);        /* one at a time, paused */
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.queue = q;
	for (int i = 0; i < 3; i++) {
		o.priority = prio[i];
		CHECK_RC(jobq_submit(c, &o, &id[i]), 0);
	}
	CHECK_RC(jobq_get(c, id[1], &j), 0);
	if (j) {
		CHECK(j->priority == 5 && j->state == JOBQ_STATE_QUEUED,
		    "priority at submit: %d, state %d", j->priority, j->state);
		jobq_job_free(j);
		j = NULL;
	}
	/* -5 -> 10: now the first to run */
	CHECK_RC(jobq_set_priority(c, id[2], 10, &j), 0);
	if (j) {
		CHECK(j->id == id[2] && j->priority == 10, "set_priority: job %" PRId64 " priority %d",
		    j->id, j->priority);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_set_priority(c, id[0], 1, NULL), 0);
	CHECK_RC(jobq_set_priority(c, 999999999, 1, NULL), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_set_priority(c, 0, 1, NULL), JOBQ_EINVAL);
	CHECK_RC(jobq_queue_set(c, q, -1, 0), 0);        /* resume */
	int64_t start[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		CHECK_RC(jobq_wait(c, id[i], 60000, &j), 0);
		if (j) {
			CHECK(j->state == JOBQ_STATE_SUCCEEDED, "prio job %d state %d", i, j->state);
			start[i] = j->started_at;
			jobq_job_free(j);
			j = NULL;
		}
	}
	/* priorities now 1, 5, 10: run order 2, 1, 0 */
	CHECK(start[2] < start[1] && start[1] < start[0],
	    "priority order: started at %" PRId64 " (p10), %" PRId64 " (p5), %" PRId64 " (p1)",
	    start[2], start[1], start[0]);
	/* an ended job's priority cannot change */
	CHECK_RC(jobq_set_priority(c, id[0], 3, NULL), JOBQ_ESTATE);
	CHECK(jobq_last_error(c)[0] != '\0', "no daemon message for set_priority on an ended job");
}

/* labels, name and unique keys; the list filters */
static void sched_labels_unique(jobq_client *c)
{
	char q[64], key[64], name[64];
	const char *argv[] = { "true", NULL };
	const char *labels[] = { "team=infra", "env=test", NULL };
	const char *want_infra[] = { "team=infra", NULL };
	const char *want_both[] = { "env=test", "team=infra", NULL };
	const char *want_other[] = { "team=web", NULL };
	jobq_submit_opts o;
	jobq_job *j = NULL, **jobs = NULL;
	jobq_filter f;
	size_t n = 0;
	int64_t a = 0, b = 0, u1 = 0, u2 = 0, u3 = 0;

	qname(q, sizeof q, "lbl");
	snprintf(name, sizeof name, "lbl-%ld", (long)getpid());
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.queue = q;
	o.labels = labels;
	o.name = name;
	CHECK_RC(jobq_submit(c, &o, &a), 0);
	o.labels = NULL;
	CHECK_RC(jobq_submit(c, &o, &b), 0);
	CHECK_RC(jobq_wait(c, a, 30000, &j), 0);
	if (j) {
		CHECK(j->nlabels == 2 && has_label(j, "team=infra") && has_label(j, "env=test") &&
		    j->labels[2] == NULL, "labels of job %" PRId64 ": %zu", a, j->nlabels);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_get(c, b, &j), 0);
	if (j) {
		CHECK(j->nlabels == 0 && j->labels && j->labels[0] == NULL, "job without labels");
		jobq_job_free(j);
		j = NULL;
	}
	memset(&f, 0, sizeof f);
	f.state = -1;
	f.labels = want_infra;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 1 && jobs[0]->id == a, "list labels team=infra: %zu", n);
	jobq_job_list_free(jobs, n);
	f.labels = want_both;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 1 && jobs[0]->id == a, "list labels env=test team=infra: %zu", n);
	jobq_job_list_free(jobs, n);
	f.labels = want_other;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 0, "list labels team=web: %zu", n);
	jobq_job_list_free(jobs, n);
	f.labels = NULL;
	f.name = name;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 2 && jobs[0]->id == a && jobs[1]->id == b, "list name=%s: %zu", name, n);
	jobq_job_list_free(jobs, n);
	f.name = "no such name";
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 0, "list of a name nobody used: %zu", n);
	jobq_job_list_free(jobs, n);
	const char *bad_labels[] = { "novalue", NULL };
	o.labels = bad_labels;
	CHECK_RC(jobq_submit(c, &o, &a), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "labels") != NULL, "bad label message: %s", jobq_last_error(c));
	o.labels = NULL;

	/* unique key: a queued job with the key is found, not duplicated */
	qname(q, sizeof q, "uniq");
	CHECK_RC(jobq_queue_set(c, q, -1, 1), 0);
	snprintf(key, sizeof key, "key-%ld", (long)getpid());
	o.queue = q;
	o.unique_key = key;
	CHECK_RC(jobq_submit(c, &o, &u1), 0);
	CHECK_RC(jobq_submit(c, &o, &u2), 1);
	CHECK(u2 == u1, "unique key: second submit gave %" PRId64 ", expected %" PRId64, u2, u1);
	CHECK_RC(jobq_get(c, u1, &j), 0);
	if (j) {
		CHECK(j->unique_key && strcmp(j->unique_key, key) == 0, "unique_key of the job");
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_cancel(c, u1, NULL), 0);
	CHECK_RC(jobq_submit(c, &o, &u3), 0);            /* ended: a new job */
	CHECK(u3 != u1 && u3 > 0, "unique key after cancel: %" PRId64, u3);
	CHECK_RC(jobq_cancel(c, u3, NULL), 0);
	o.unique_key = "";
	CHECK_RC(jobq_submit(c, &o, &u3), JOBQ_EINVAL);
	CHECK_RC(jobq_queue_set(c, q, -1, 0), 0);
}

/* dependencies: ok / notok / any on a failing job; unknown ids */
static void sched_deps(jobq_client *c)
{
	const char *fail_argv[] = { "sh", "-c", "sleep 0.2; exit 3", NULL };
	const char *ok_argv[] = { "true", NULL };
	jobq_submit_opts o;
	jobq_job *j = NULL;
	int64_t a = 0, b_ok = 0, b_notok = 0, b_any = 0, x = 0;
	jobq_dep d;

	memset(&o, 0, sizeof o);
	o.argv = fail_argv;
	CHECK_RC(jobq_submit(c, &o, &a), 0);
	o.argv = ok_argv;
	o.deps = &d;
	o.ndeps = 1;
	d.id = a;
	d.mode = JOBQ_DEP_OK;
	CHECK_RC(jobq_submit(c, &o, &b_ok), 0);
	d.mode = JOBQ_DEP_NOTOK;
	CHECK_RC(jobq_submit(c, &o, &b_notok), 0);
	d.mode = JOBQ_DEP_ANY;
	CHECK_RC(jobq_submit(c, &o, &b_any), 0);

	CHECK_RC(jobq_get(c, b_notok, &j), 0);
	if (j) {
		CHECK(j->ndeps == 1 && j->deps[0].id == a && j->deps[0].mode == JOBQ_DEP_NOTOK,
		    "deps of job %" PRId64 ": %zu", b_notok, j->ndeps);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_wait(c, b_ok, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_CANCELED && j->reason && strcmp(j->reason, "dependency") == 0,
		    "ok-dependent of a failed job: state %d reason %s", j->state, j->reason ? j->reason : "NULL");
		CHECK(j->attempts == 0, "ok-dependent ran %d times", j->attempts);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_wait(c, b_notok, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_SUCCEEDED, "notok-dependent: state %d", j->state);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_wait(c, b_any, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_SUCCEEDED, "any-dependent: state %d", j->state);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_get(c, a, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_FAILED, "dependency state %d", j->state);
		jobq_job_free(j);
		j = NULL;
	}
	/* an unknown dependency: not_found, nothing created */
	d.id = 999999999;
	d.mode = JOBQ_DEP_OK;
	CHECK_RC(jobq_submit(c, &o, &x), JOBQ_ENOTFOUND);
	CHECK(strstr(jobq_last_error(c), "dependency") != NULL, "unknown dependency message: %s",
	    jobq_last_error(c));
	/* local checks */
	o.deps = NULL;
	CHECK_RC(jobq_submit(c, &o, &x), JOBQ_EINVAL);
	o.deps = &d;
	d.mode = (jobq_dep_mode)9;
	CHECK_RC(jobq_submit(c, &o, &x), JOBQ_EINVAL);
}

/* arrays: submit, is_array, tasks by index, array get/wait/cancel, list */
static void sched_arrays(jobq_client *c)
{
	const char *argv[] = { "sh", "-c", "echo $JOBQ_ARRAY_ID:$JOBQ_ARRAY_INDEX", NULL };
	const char *long_argv[] = { "sleep", "60", NULL };
	jobq_submit_opts o;
	jobq_array_info info;
	jobq_job *j = NULL, **jobs = NULL;
	jobq_filter f;
	size_t n = 0;
	int64_t a = 0, b = 0;
	char out[128], want[128];

	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.array_first = 1;
	o.array_step = 2;
	o.array_count = 4;
	o.array_throttle = 2;
	CHECK_RC(jobq_submit(c, &o, &a), 0);
	CHECK(a > 0, "array id %" PRId64, a);
	CHECK_RC(jobq_get(c, a, &j), JOBQ_EISARRAY);
	CHECK_RC(jobq_wait(c, a, 100, NULL), JOBQ_EISARRAY);
	CHECK_RC(jobq_cancel(c, a, NULL), JOBQ_EISARRAY);
	memset(&info, 0, sizeof info);
	CHECK_RC(jobq_array_wait(c, a, 60000, &info), 0);
	CHECK(info.id == a && info.first == 1 && info.step == 2 && info.count == 4 &&
	    info.throttle == 2, "array info: id %" PRId64 " first %" PRId64 " step %" PRId64
	    " count %" PRId64 " throttle %d", info.id, info.first, info.step, info.count, info.throttle);
	CHECK(info.counts[JOBQ_STATE_SUCCEEDED] == 4, "array: %zu tasks succeeded",
	    info.counts[JOBQ_STATE_SUCCEEDED]);
	memset(&info, 0, sizeof info);
	CHECK_RC(jobq_array_get(c, a, &info), 0);
	CHECK(info.id == a && info.counts[JOBQ_STATE_SUCCEEDED] == 4, "array_get");
	CHECK_RC(jobq_array_get(c, a, NULL), JOBQ_EINVAL);

	/* tasks by index */
	CHECK_RC(jobq_get_task(c, a, 5, &j), 0);
	if (j) {
		CHECK(j->array_id == a && j->array_index == 5 && j->id != a,
		    "task 5: id %" PRId64 " array %" PRId64 " index %" PRId64, j->id, j->array_id,
		    j->array_index);
		CHECK(j->state == JOBQ_STATE_SUCCEEDED, "task 5 state %d", j->state);
		snprintf(want, sizeof want, "%" PRId64 ":5\n", a);
		job_stdout(c, j->id, out, sizeof out);
		CHECK(strcmp(out, want) == 0, "task 5 output [%s], expected [%s]", out, want);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_get_task(c, a, 2, &j), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_get_task(c, a, -1, &j), JOBQ_EINVAL);

	/* list array_id: the four tasks, consecutive ids, indexes 1 3 5 7 */
	memset(&f, 0, sizeof f);
	f.state = -1;
	f.array_id = a;
	CHECK_RC(jobq_list(c, &f, &jobs, &n), 0);
	CHECK(n == 4, "list array_id: %zu tasks", n);
	for (size_t i = 0; i < n && n == 4; i++) {
		CHECK(jobs[i]->array_id == a && jobs[i]->array_index == (int64_t)(1 + 2 * i),
		    "task %zu: array %" PRId64 " index %" PRId64, i, jobs[i]->array_id,
		    jobs[i]->array_index);
		CHECK(jobs[i]->id == jobs[0]->id + (int64_t)i, "task ids not consecutive");
	}
	jobq_job_list_free(jobs, n);

	/* unique_key with an array is refused */
	o.unique_key = "array-key";
	CHECK_RC(jobq_submit(c, &o, &b), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "unique_key") != NULL, "message: %s", jobq_last_error(c));
	o.unique_key = NULL;
	o.array_count = JOBQ_MAX_ARRAY + 1;
	CHECK_RC(jobq_submit(c, &o, &b), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "count") != NULL, "message: %s", jobq_last_error(c));

	/* array cancel and array wait timeout */
	o.argv = long_argv;
	o.array_first = 0;
	o.array_step = 0;     /* taken as 1 */
	o.array_count = 3;
	o.array_throttle = 0;
	CHECK_RC(jobq_submit(c, &o, &b), 0);
	memset(&info, 0, sizeof info);
	CHECK_RC(jobq_array_wait(c, b, 200, &info), JOBQ_ETIMEDOUT);
	CHECK_RC(jobq_array_cancel(c, b, &info), 0);
	CHECK(info.id == b && info.step == 1 && info.count == 3 &&
	    info.counts[JOBQ_STATE_CANCELED] == 3, "array cancel: %zu canceled",
	    info.counts[JOBQ_STATE_CANCELED]);
	CHECK_RC(jobq_get_task(c, b, 2, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_CANCELED, "task 2 after array cancel: %d", j->state);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_array_wait(c, b, 0, NULL), 0);
	CHECK_RC(jobq_array_get(c, 999999999, &info), JOBQ_ENOTFOUND);
}

/* retry by hand, timeouts, start times, purge */
static void sched_retry_timeout(jobq_client *c)
{
	const char *fail_argv[] = { "sh", "-c", "exit 7", NULL };
	const char *sleep_argv[] = { "sleep", "30", NULL };
	const char *ok_argv[] = { "true", NULL };
	jobq_submit_opts o;
	jobq_job *j = NULL;
	int64_t a = 0, t = 0, d = 0;
	size_t n = 0;

	memset(&o, 0, sizeof o);
	o.argv = fail_argv;
	CHECK_RC(jobq_submit(c, &o, &a), 0);
	CHECK_RC(jobq_wait(c, a, 30000, NULL), 0);
	CHECK_RC(jobq_retry(c, a, &j), 0);
	if (j) {
		CHECK(j->id == a && (j->state == JOBQ_STATE_QUEUED || j->state == JOBQ_STATE_RUNNING),
		    "retry: state %d", j->state);
		CHECK(j->attempts == 0 || j->state == JOBQ_STATE_RUNNING, "retry: attempts %d", j->attempts);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_wait(c, a, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_FAILED && j->exit_code == 7 && j->attempts == 1,
		    "after retry: state %d exit %d attempts %d", j->state, j->exit_code, j->attempts);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_retry(c, 999999999, NULL), JOBQ_ENOTFOUND);

	/* a run-time limit */
	o.argv = sleep_argv;
	o.timeout_ms = 300;
	o.kill_grace_ms = 500;
	CHECK_RC(jobq_submit(c, &o, &t), 0);
	CHECK_RC(jobq_wait(c, t, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_TIMED_OUT, "timeout: state %d (%s)", j->state,
		    jobq_state_name(j->state));
		CHECK(j->timeout_ms == 300 && j->kill_grace_ms == 500, "timeout_ms %" PRId64
		    " kill_grace_ms %" PRId64, j->timeout_ms, j->kill_grace_ms);
		CHECK(j->finished_at - j->started_at >= 250, "timed out after %" PRId64 " ms",
		    j->finished_at - j->started_at);
		jobq_job_free(j);
		j = NULL;
	}
	/* retry: a queued job cannot be retried */
	o.timeout_ms = 0;
	o.kill_grace_ms = 0;
	o.argv = ok_argv;
	o.not_before = wall_ms() + 1500;
	o.retry_delay_ms = 2000;
	CHECK_RC(jobq_submit(c, &o, &d), 0);
	CHECK_RC(jobq_retry(c, d, NULL), JOBQ_ESTATE);
	CHECK_RC(jobq_get(c, d, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_QUEUED && j->not_before == o.not_before &&
		    j->retry_delay_ms == 2000, "delayed job: state %d not_before %" PRId64,
		    j->state, j->not_before);
		jobq_job_free(j);
		j = NULL;
	}
	CHECK_RC(jobq_wait(c, d, 30000, &j), 0);
	if (j) {
		CHECK(j->state == JOBQ_STATE_SUCCEEDED && j->started_at >= o.not_before,
		    "delayed job started at %" PRId64 ", not before %" PRId64, j->started_at,
		    o.not_before);
		jobq_job_free(j);
		j = NULL;
	}

	/* purge the timed-out job (and any other of ours) */
	CHECK_RC(jobq_purge(c, 0, JOBQ_STATE_TIMED_OUT, &n), 0);
	CHECK(n >= 1, "purge timed_out: %zu", n);
	CHECK_RC(jobq_get(c, t, &j), JOBQ_ENOTFOUND);
	CHECK_RC(jobq_get(c, d, &j), 0);     /* succeeded: kept */
	jobq_job_free(j);
	j = NULL;
	CHECK_RC(jobq_purge(c, 0, JOBQ_STATE_QUEUED, &n), JOBQ_EINVAL);
	CHECK_RC(jobq_purge(c, 0, 99, &n), JOBQ_EINVAL);
	CHECK_RC(jobq_purge(c, -1, -1, &n), JOBQ_EINVAL);
	CHECK_RC(jobq_purge(c, 3600000, -1, &n), 0);   /* nothing that old */
	CHECK(n == 0, "purge older than an hour: %zu", n);
}

/* queues and statistics */
static void sched_queues_stats(jobq_client *c)
{
	char q[64];
	const char *argv[] = { "true", NULL };
	jobq_submit_opts o;
	jobq_queue_info *qs = NULL;
	jobq_stats st;
	size_t n = 0;
	int64_t id = 0;

	qname(q, sizeof q, "qs");
	CHECK_RC(jobq_queue_set(c, q, 3, 1), 0);
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.queue = q;
	CHECK_RC(jobq_submit(c, &o, &id), 0);
	CHECK_RC(jobq_queue_list(c, &qs, &n), 0);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			CHECK(strcmp(qs[i - 1].name, qs[i].name) < 0, "queue_list not sorted");
		if (strcmp(qs[i].name, q) == 0) {
			found = 1;
			CHECK(qs[i].parallel == 3 && qs[i].paused == 1 &&
			    qs[i].counts[JOBQ_STATE_QUEUED] == 1, "queue %s: parallel %d paused %d queued %zu",
			    q, qs[i].parallel, qs[i].paused, qs[i].counts[JOBQ_STATE_QUEUED]);
		}
	}
	CHECK(found, "queue_list lacks %s", q);
	jobq_queue_list_free(qs);
	CHECK_RC(jobq_queue_set(c, q, -1, 0), 0);       /* resume, limit kept */
	CHECK_RC(jobq_wait(c, id, 30000, NULL), 0);
	CHECK_RC(jobq_queue_list(c, &qs, &n), 0);
	found = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(qs[i].name, q) == 0) {
			found = 1;
			CHECK(qs[i].parallel == 3 && qs[i].paused == 0 &&
			    qs[i].counts[JOBQ_STATE_SUCCEEDED] == 1, "queue %s after resume: parallel %d "
			    "paused %d succeeded %zu", q, qs[i].parallel, qs[i].paused,
			    qs[i].counts[JOBQ_STATE_SUCCEEDED]);
		}
	CHECK(found, "queue_list lacks %s after resume", q);
	jobq_queue_list_free(qs);
	CHECK_RC(jobq_queue_set(c, "bad queue!", 1, -1), JOBQ_EINVAL);
	CHECK_RC(jobq_queue_set(c, NULL, 1, -1), JOBQ_EINVAL);
	CHECK_RC(jobq_queue_set(c, q, 1000001, -1), JOBQ_EINVAL);
	CHECK_RC(jobq_queue_list(c, NULL, &n), JOBQ_EINVAL);

	memset(&st, 0xff, sizeof st);
	CHECK_RC(jobq_get_stats(c, &st), 0);
	CHECK(st.workers == 2 && st.busy >= 0 && st.busy <= st.workers, "stats workers %d busy %d",
	    st.workers, st.busy);
	CHECK(st.minute.window_ms == 60000 && st.hour.window_ms == 3600000,
	    "stats windows %" PRId64 " %" PRId64, st.minute.window_ms, st.hour.window_ms);
	CHECK(st.minute.finished >= 1 && st.hour.finished >= st.minute.finished,
	    "stats finished: minute %" PRIu64 " hour %" PRIu64, st.minute.finished, st.hour.finished);
	CHECK(st.counts[JOBQ_STATE_SUCCEEDED] >= 1, "stats counts succeeded %zu",
	    st.counts[JOBQ_STATE_SUCCEEDED]);
	CHECK(st.minute.utilisation >= 0 && st.minute.utilisation <= 1.01, "utilisation %f",
	    st.minute.utilisation);
	found = 0;
	for (size_t i = 0; i < st.nqueues; i++)
		if (strcmp(st.queues[i].name, q) == 0)
			found = st.queues[i].counts[JOBQ_STATE_SUCCEEDED] == 1;
	CHECK(found, "stats queues lack %s with 1 succeeded job", q);
	jobq_stats_release(&st);
	CHECK(st.queues == NULL, "jobq_stats_release left queues");
	CHECK_RC(jobq_get_stats(c, NULL), JOBQ_EINVAL);
}

static void sched(const char *sock)
{
	jobq_client *c = NULL;

	if (jobq_connect(sock, &c) != 0 || !c) {
		failf("cannot connect to %s", sock);
		return;
	}
	sched_priority(c);
	sched_labels_unique(c);
	sched_deps(c);
	sched_arrays(c);
	sched_retry_timeout(c);
	sched_queues_stats(c);
	CHECK_RC(jobq_ping(c, NULL), 0);
	jobq_close(c);
}

/* ---------------------------------------------------------------- watch */

/* Reads events until job id reaches a terminal state; appends its states to
 * st (at most max); returns the count, or -1 on a watch error. */
static int watch_job(jobq_client *w, int64_t id, jobq_event *evs, int max, int timeout_ms)
{
	int n = 0;
	int64_t t0 = now_ms();
	for (;;) {
		jobq_event ev;
		int left = timeout_ms - (int)(now_ms() - t0);
		if (left < 0)
			left = 0;
		int rc = jobq_watch_next(w, &ev, left);
		if (rc != 0) {
			failf("watch_next while waiting for job %" PRId64 ": %s (%s)", id,
			    jobq_strerror(rc), jobq_last_error(w));
			return -1;
		}
		if (ev.id != id)
			continue;
		if (n < max)
			evs[n++] = ev;
		if (jobq_state_is_terminal(ev.state))
			return n;
	}
}

static void watch(const char *sock)
{
	jobq_client *w = NULL, *c = NULL, *w2 = NULL;
	const char *argv[] = { "sh", "-c", "sleep 0.3; exit 3", NULL };
	const char *ok_argv[] = { "true", NULL };
	jobq_submit_opts o;
	jobq_event evs[16], ev;
	jobq_job *j = NULL;
	int64_t id = 0, arr = 0, other = 0;
	char q[64];

	if (jobq_connect(sock, &w) != 0 || jobq_connect(sock, &c) != 0 ||
	    jobq_connect(sock, &w2) != 0) {
		failf("cannot connect to %s", sock);
		return;
	}
	CHECK_RC(jobq_watch_next(w, &ev, 0), JOBQ_EINVAL);    /* not watching */
	int64_t bad_ids[] = { 5, 0 };
	CHECK_RC(jobq_watch(w, bad_ids, 2), JOBQ_EINVAL);
	CHECK_RC(jobq_watch(w, NULL, 1), JOBQ_EINVAL);
	CHECK(jobq_fd(w) >= 0 && jobq_fd(NULL) == JOBQ_EINVAL, "jobq_fd");

	/* every job: a failing job's life as events */
	CHECK_RC(jobq_watch(w, NULL, 0), 0);
	CHECK_RC(jobq_ping(w, NULL), JOBQ_EINVAL);             /* streaming */
	CHECK_RC(jobq_get(w, 1, &j), JOBQ_EINVAL);
	CHECK_RC(jobq_watch(w, NULL, 0), JOBQ_EINVAL);
	int64_t t0 = now_ms();
	CHECK_RC(jobq_watch_next(w, &ev, 200), JOBQ_ETIMEDOUT);
	int64_t el = now_ms() - t0;
	CHECK(el >= 150 && el < 5000, "watch_next(200 ms) took %" PRId64 " ms", el);

	memset(&o, 0, sizeof o);
	o.argv = argv;
	CHECK_RC(jobq_submit(c, &o, &id), 0);
	int n = watch_job(w, id, evs, 16, 60000);
	if (n > 0) {
		/* queued, running, failed (a daemon may start with a snapshot) */
		int k = 0;
		if (n >= 4 && evs[0].state == JOBQ_STATE_QUEUED && evs[1].state == JOBQ_STATE_QUEUED)
			k = 1;
		CHECK(n - k == 3 && evs[k].state == JOBQ_STATE_QUEUED &&
		    evs[k + 1].state == JOBQ_STATE_RUNNING && evs[k + 2].state == JOBQ_STATE_FAILED,
		    "events of job %" PRId64 ": %d (%s ...)", id, n, jobq_state_name(evs[0].state));
		jobq_event *e = &evs[n - 1];
		CHECK(e->exit_code == 3 && e->signal == 0 && e->attempts == 1 &&
		    strcmp(e->reason, "exit_code") == 0 && strcmp(e->queue, "default") == 0 &&
		    e->array_id == 0, "final event: exit %d signal %d attempts %d reason %s queue %s",
		    e->exit_code, e->signal, e->attempts, e->reason, e->queue);
		for (int i = 1; i < n; i++)
			CHECK(evs[i].time >= evs[i - 1].time, "event times go back");
		CHECK(evs[n - 2].attempts == 1 && evs[n - 2].exit_code == -1,
		    "running event: attempts %d exit %d", evs[n - 2].attempts, evs[n - 2].exit_code);
	}

	/* given ids (an array id = its tasks): other jobs are not reported */
	qname(q, sizeof q, "watch");
	CHECK_RC(jobq_queue_set(c, q, -1, 1), 0);
	o.argv = ok_argv;
	o.queue = q;
	o.array_first = 10;
	o.array_count = 2;
	CHECK_RC(jobq_submit(c, &o, &arr), 0);
	CHECK_RC(jobq_watch(w2, &arr, 1), 0);
	o.array_count = 0;
	o.queue = NULL;
	CHECK_RC(jobq_submit(c, &o, &other), 0);
	CHECK_RC(jobq_queue_set(c, q, -1, 0), 0);
	CHECK_RC(jobq_array_wait(c, arr, 60000, NULL), 0);
	CHECK_RC(jobq_wait(c, other, 60000, NULL), 0);
	int ended = 0, seen10 = 0, seen11 = 0;
	for (;;) {
		int rc = jobq_watch_next(w2, &ev, 3000);
		if (rc == JOBQ_ETIMEDOUT)
			break;
		if (rc != 0) {
			failf("watch ids: %s", jobq_strerror(rc));
			break;
		}
		CHECK(ev.array_id == arr && ev.id != other, "watch [%" PRId64 "]: event of job %"
		    PRId64 " (array %" PRId64 ")", arr, ev.id, ev.array_id);
		seen10 |= ev.array_index == 10;
		seen11 |= ev.array_index == 11;
		if (ev.state == JOBQ_STATE_SUCCEEDED && ++ended == 2)
			break;
	}
	CHECK(ended == 2 && seen10 && seen11, "watch of array %" PRId64 ": %d tasks ended", arr, ended);

	/* many events in quick succession: none lost, each task's in order */
	enum { NT = 200 };
	static int phase[NT];
	jobq_client *w3 = NULL;
	int64_t big = 0;
	CHECK_RC(jobq_connect(sock, &w3), 0);
	if (w3) {
		CHECK_RC(jobq_watch(w3, NULL, 0), 0);
		o.array_first = 0;
		o.array_count = NT;
		CHECK_RC(jobq_submit(c, &o, &big), 0);
		int done_n = 0, order_ok = 1;
		while (done_n < NT) {
			int rc = jobq_watch_next(w3, &ev, 60000);
			if (rc != 0) {
				failf("watch of %d tasks: %s after %d ended", NT, jobq_strerror(rc), done_n);
				break;
			}
			if (ev.array_id != big || ev.array_index < 0 || ev.array_index >= NT)
				continue;
			int *p = &phase[ev.array_index];
			int want = ev.state == JOBQ_STATE_QUEUED ? 0 : ev.state == JOBQ_STATE_RUNNING ? 1 : 2;
			if (want != *p)
				order_ok = 0;
			*p = want + 1;
			done_n += ev.state == JOBQ_STATE_SUCCEEDED;
		}
		CHECK(done_n == NT && order_ok, "watch of %d tasks: %d ended, order %s", NT, done_n,
		    order_ok ? "ok" : "wrong");
		jobq_close(w3);
	}

	jobq_close(w);
	jobq_close(w2);
	CHECK_RC(jobq_ping(c, NULL), 0);
	jobq_close(c);
}

/* ----------------------------------------------------------------- fake */

/* A scripted stand-in for jobqd on DIR/fake.sock: checks what the library
 * sends and answers with exactly the bytes each case needs (split frames,
 * overflow, bad replies), which a real daemon cannot be made to do. */

static int fake_read(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fake_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One request's JSON text (malloc'd), or NULL. */
static char *fake_recv(int fd)
{
	unsigned char h[4];
	if (fake_read(fd, h, 4) != 0)
		return NULL;
	size_t n = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
	if (n == 0 || n > (1u << 20))
		return NULL;
	char *s = malloc(n + 1);
	if (!s || fake_read(fd, s, n) != 0) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* header + json into buf; returns the length */
static size_t fake_frame(char *buf, size_t cap, const char *json)
{
	size_t n = strlen(json);
	if (n + 4 > cap)
		abort();
	buf[0] = (char)(n >> 24);
	buf[1] = (char)(n >> 16);
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	memcpy(buf + 4, json, n);
	return n + 4;
}

static void fake_send(int fd, const char *json)
{
	char buf[4096];
	size_t n = fake_frame(buf, sizeof buf, json);
	if (fake_write(fd, buf, n) != 0)
		failf("fake: write failed");
}

/* Expects a request containing every string of want (NULL-terminated). */
static void fake_expect(int fd, const char *const *want)
{
	char *req = fake_recv(fd);
	if (!req) {
		failf("fake: no request (expected %s)", want[0]);
		return;
	}
	for (size_t i = 0; want[i]; i++)
		CHECK(strstr(req, want[i]) != NULL, "fake: request %s lacks %s", req, want[i]);
	free(req);
}

#define EXPECT(fd, ...) do { \
	static const char *const w_[] = { __VA_ARGS__, NULL }; \
	fake_expect((fd), w_); \
	} while (0)

#define EV(id, st) "{\"event\":\"state\",\"id\":" #id ",\"state\":\"" st "\",\"time\":1000," \
	"\"queue\":\"default\",\"attempts\":1}"

struct fake {
	int lfd;
	int ncases;
};

static void fake_hello(int fd)
{
	EXPECT(fd, "\"op\":\"hello\"");
	fake_send(fd, "{\"ok\":true,\"version\":1,\"server\":\"fake\"}");
}

/* The server side of case k (the client side is in fake()). */
static void fake_case(int k, int fd)
{
	char buf[4096];
	size_t n;

	fake_hello(fd);
	switch (k) {
	case 0:	/* submit: every scheduling member; "existing" */
		EXPECT(fd, "\"op\":\"submit\"", "\"priority\":7", "\"not_before\":1700000000000",
		    "\"timeout_ms\":1500", "\"kill_grace_ms\":20", "\"retry_delay_ms\":30",
		    "\"labels\":[\"a=b\",\"c=\"]", "\"deps\":[{\"id\":3,\"mode\":\"notok\"},"
		    "{\"id\":4,\"mode\":\"any\"}]", "\"array\":{\"first\":2,\"step\":1,\"count\":5,"
		    "\"throttle\":2}");
		fake_send(fd, "{\"ok\":true,\"id\":40,\"tasks\":[41,45]}");
		EXPECT(fd, "\"unique_key\":\"k1\"");
		fake_send(fd, "{\"ok\":true,\"id\":42,\"existing\":true}");
		EXPECT(fd, "\"unique_key\":\"k1\"");
		fake_send(fd, "{\"ok\":true,\"id\":43,\"existing\":false}");
		EXPECT(fd, "\"op\":\"submit\"");
		fake_send(fd, "{\"ok\":true,\"id\":44,\"existing\":\"yes\"}");
		break;
	case 1:	/* arrays, tasks, priority, retry, purge, queues, stats, list */
		EXPECT(fd, "\"op\":\"get\"", "\"id\":9", "\"array\":true");
		fake_send(fd, "{\"ok\":true,\"array\":{\"id\":9,\"first\":0,\"step\":3,\"count\":2,"
		    "\"throttle\":1,\"counts\":{\"queued\":1,\"timed_out\":1}}}");
		EXPECT(fd, "\"op\":\"wait\"", "\"id\":9", "\"array\":true", "\"timeout_ms\":50");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"timeout\",\"message\":\"t\"}}");
		EXPECT(fd, "\"op\":\"get\"", "\"id\":9", "\"index\":6");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":"
		    "\"array 9 has no task with index 6\"}}");
		EXPECT(fd, "\"op\":\"get\"", "\"id\":9");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"is_array\",\"message\":\"9 is an array\"}}");
		EXPECT(fd, "\"op\":\"priority\"", "\"id\":5", "\"priority\":-3");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"bad_state\",\"message\":"
		    "\"the job is not queued\"}}");
		EXPECT(fd, "\"op\":\"retry\"", "\"id\":5");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"bad_state\",\"message\":\"x\"}}");
		EXPECT(fd, "\"op\":\"purge\"", "\"older_than_ms\":60000", "\"state\":\"timed_out\"");
		fake_send(fd, "{\"ok\":true,\"purged\":12}");
		EXPECT(fd, "{\"op\":\"purge\"}");
		fake_send(fd, "{\"ok\":true,\"purged\":0}");
		EXPECT(fd, "\"op\":\"queue_set\"", "\"queue\":\"q1\"", "\"parallel\":4");
		fake_send(fd, "{\"ok\":true,\"queue\":{\"name\":\"q1\",\"parallel\":4,\"paused\":false,"
		    "\"counts\":{}}}");
		EXPECT(fd, "{\"op\":\"queue_set\",\"queue\":\"q1\",\"paused\":true}");
		fake_send(fd, "{\"ok\":true,\"queue\":{\"name\":\"q1\",\"parallel\":4,\"paused\":true,"
		    "\"counts\":{}}}");
		EXPECT(fd, "{\"op\":\"queue_list\"}");
		fake_send(fd, "{\"ok\":true,\"queues\":[{\"name\":\"a\",\"parallel\":0,\"paused\":false,"
		    "\"counts\":{\"running\":2}},{\"name\":\"b\",\"parallel\":1,\"paused\":true,"
		    "\"counts\":{}}]}");
		EXPECT(fd, "{\"op\":\"queue_list\"}");
		fake_send(fd, "{\"ok\":true,\"queues\":[]}");
		EXPECT(fd, "{\"op\":\"stats\"}");
		fake_send(fd, "{\"ok\":true,\"stats\":{\"counts\":{\"succeeded\":5},\"workers\":4,"
		    "\"busy\":1,\"minute\":{\"window_ms\":60000,\"finished\":5,\"per_second\":0.083,"
		    "\"wait_mean_ms\":1.5,\"wait_p95_ms\":3,\"run_mean_ms\":10,\"run_p95_ms\":20,"
		    "\"utilisation\":0.25},\"hour\":{\"window_ms\":3600000,\"finished\":5,"
		    "\"per_second\":0.001,\"wait_mean_ms\":1.5,\"wait_p95_ms\":3,\"run_mean_ms\":10,"
		    "\"run_p95_ms\":20,\"utilisation\":0.01},\"queues\":[{\"name\":\"default\","
		    "\"parallel\":0,\"paused\":false,\"counts\":{\"succeeded\":5}}]}}");
		/* jobq_get_stats_ex: ONE request for the three parts */
		EXPECT(fd, "{\"op\":\"stats\"}");
		fake_send(fd, "{\"ok\":true,\"stats\":{\"counts\":{\"queued\":2},\"workers\":3,"
		    "\"busy\":2,\"minute\":{\"window_ms\":60000,\"finished\":0,\"per_second\":0,"
		    "\"wait_mean_ms\":0,\"wait_p95_ms\":0,\"run_mean_ms\":0,\"run_p95_ms\":0,"
		    "\"utilisation\":0},\"hour\":{\"window_ms\":3600000,\"finished\":0,"
		    "\"per_second\":0,\"wait_mean_ms\":0,\"wait_p95_ms\":0,\"run_mean_ms\":0,"
		    "\"run_p95_ms\":0,\"utilisation\":0},\"queues\":[]},\"usage\":{\"slots_total\":3,\"slots_used\":2,\"resources\":"
		    "[{\"name\":\"gpu\",\"total\":4,\"used\":1}]},\"slurm\":{\"reachable\":true,"
		    "\"error\":\"\",\"since\":1700000000000,\"pending\":1,\"running\":2,"
		    "\"submitting\":0}}");
		EXPECT(fd, "\"op\":\"list\"", "\"name\":\"nm\"", "\"labels\":[\"k=v\"]", "\"array_id\":9");
		fake_send(fd, "{\"ok\":true,\"jobs\":[]}");
		/* a reply for another array breaks the handle */
		EXPECT(fd, "\"op\":\"cancel\"", "\"array\":true");
		fake_send(fd, "{\"ok\":true,\"array\":{\"id\":8,\"first\":0,\"step\":1,\"count\":1,"
		    "\"throttle\":0,\"counts\":{}}}");
		break;
	case 2:	/* watch: split frames, unknown kinds, overflow */
		EXPECT(fd, "{\"op\":\"watch\",\"ids\":[5,9007199254740992]}");
		fake_send(fd, "{\"ok\":true}");
		/* event 1 whole and half of event 2 in one write */
		n = fake_frame(buf, sizeof buf, EV(5, "queued"));
		size_t n2 = fake_frame(buf + n, sizeof buf - n, EV(5, "running"));
		size_t cut = n + n2 / 2;
		fake_write(fd, buf, cut);
		usleep(400000);
		fake_write(fd, buf + cut, n + n2 - cut);
		/* an event of a kind the library does not know, then one byte at a time */
		fake_send(fd, "{\"event\":\"something_new\",\"x\":1}");
		n = fake_frame(buf, sizeof buf, "{\"event\":\"state\",\"id\":5,\"state\":\"timed_out\","
		    "\"time\":2000,\"queue\":\"q\",\"attempts\":1,\"signal\":15,\"reason\":\"timeout\","
		    "\"array_id\":3,\"array_index\":7}");
		for (size_t i = 0; i < n; i++) {
			fake_write(fd, buf + i, 1);
			usleep(2000);
		}
		fake_send(fd, "{\"event\":\"overflow\"}");
		break;
	case 3:	/* watch: the daemon closes the stream */
		EXPECT(fd, "{\"op\":\"watch\"}");
		fake_send(fd, "{\"ok\":true}");
		fake_send(fd, EV(1, "queued"));
		return;		/* closed at once */
	case 4:	/* watch: a malformed event */
		EXPECT(fd, "{\"op\":\"watch\"}");
		fake_send(fd, "{\"ok\":true}");
		fake_send(fd, "{\"event\":\"state\",\"id\":\"1\"}");
		break;
	case 5:	/* watch: an error reply ends the stream */
		EXPECT(fd, "{\"op\":\"watch\"}");
		fake_send(fd, "{\"ok\":true}");
		fake_send(fd, "{\"ok\":false,\"error\":{\"code\":\"shutting_down\",\"message\":\"bye\"}}");
		break;
	}
	/* wait for the client to close */
	char c;
	while (read(fd, &c, 1) > 0)
		;
}

static void *fake_thread(void *p)
{
	struct fake *f = p;
	for (int k = 0; k < f->ncases; k++) {
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0) {
			failf("fake: accept: %s", strerror(errno));
			return NULL;
		}
		fake_case(k, fd);
		close(fd);
	}
	return NULL;
}

static int fake(const char *dir)
{
	struct sockaddr_un sun;
	struct fake f;
	pthread_t th;
	char path[sizeof sun.sun_path];
	jobq_client *c = NULL;
	jobq_event ev;
	jobq_array_info ai;
	jobq_queue_info *qs = NULL;
	jobq_stats st;
	jobq_job **jobs = NULL, *j = NULL;
	size_t n = 0;
	int64_t id = 0;

	if ((size_t)snprintf(path, sizeof path, "%s/fake.sock", dir) >= sizeof path)
		return 2;
	unlink(path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (f.lfd < 0 || bind(f.lfd, (struct sockaddr *)&sun, sizeof sun) != 0 || listen(f.lfd, 4) != 0) {
		failf("fake: %s: %s", path, strerror(errno));
		return 1;
	}
	f.ncases = 6;
	if (pthread_create(&th, NULL, fake_thread, &f) != 0)
		return 2;

	/* case 0 */
	const char *argv[] = { "x", NULL };
	const char *labels[] = { "a=b", "c=", NULL };
	jobq_dep deps[] = { { 3, JOBQ_DEP_NOTOK }, { 4, JOBQ_DEP_ANY } };
	jobq_submit_opts o;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.clean_env = 1;
	o.cwd = "/";
	o.priority = 7;
	o.not_before = 1700000000000LL;
	o.timeout_ms = 1500;
	o.kill_grace_ms = 20;
	o.retry_delay_ms = 30;
	o.labels = labels;
	o.deps = deps;
	o.ndeps = 2;
	o.array_first = 2;
	o.array_count = 5;
	o.array_throttle = 2;
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		CHECK_RC(jobq_submit(c, &o, &id), 0);
		CHECK(id == 40, "fake submit: id %" PRId64, id);
		memset(&o, 0, sizeof o);
		o.argv = argv;
		o.clean_env = 1;
		o.cwd = "/";
		o.unique_key = "k1";
		CHECK_RC(jobq_submit(c, &o, &id), 1);
		CHECK(id == 42, "fake submit existing: id %" PRId64, id);
		CHECK_RC(jobq_submit(c, &o, &id), 0);
		CHECK(id == 43, "fake submit existing false: id %" PRId64, id);
		CHECK_RC(jobq_submit(c, &o, &id), JOBQ_EPROTO);   /* "existing":"yes" */
		CHECK_RC(jobq_ping(c, NULL), JOBQ_EIO);          /* broken */
		jobq_close(c);
		c = NULL;
	}

	/* case 1 */
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		memset(&ai, 0, sizeof ai);
		CHECK_RC(jobq_array_get(c, 9, &ai), 0);
		CHECK(ai.id == 9 && ai.step == 3 && ai.count == 2 && ai.throttle == 1 &&
		    ai.counts[JOBQ_STATE_QUEUED] == 1 && ai.counts[JOBQ_STATE_TIMED_OUT] == 1 &&
		    ai.counts[JOBQ_STATE_RUNNING] == 0, "fake array_get");
		CHECK_RC(jobq_array_wait(c, 9, 50, &ai), JOBQ_ETIMEDOUT);
		CHECK_RC(jobq_get_task(c, 9, 6, &j), JOBQ_ENOTFOUND);
		CHECK(strstr(jobq_last_error(c), "index 6") != NULL, "last_error %s", jobq_last_error(c));
		CHECK_RC(jobq_get(c, 9, &j), JOBQ_EISARRAY);
		CHECK_RC(jobq_set_priority(c, 5, -3, &j), JOBQ_ESTATE);
		CHECK(strcmp(jobq_last_error(c), "the job is not queued") == 0, "last_error %s",
		    jobq_last_error(c));
		CHECK_RC(jobq_retry(c, 5, &j), JOBQ_ESTATE);
		CHECK_RC(jobq_purge(c, 60000, JOBQ_STATE_TIMED_OUT, &n), 0);
		CHECK(n == 12, "fake purge: %zu", n);
		CHECK_RC(jobq_purge(c, 0, -1, NULL), 0);
		CHECK_RC(jobq_queue_set(c, "q1", 4, -1), 0);
		CHECK_RC(jobq_queue_set(c, "q1", -1, 1), 0);
		CHECK_RC(jobq_queue_list(c, &qs, &n), 0);
		CHECK(n == 2 && qs && strcmp(qs[0].name, "a") == 0 && qs[0].counts[JOBQ_STATE_RUNNING] == 2 &&
		    strcmp(qs[1].name, "b") == 0 && qs[1].parallel == 1 && qs[1].paused == 1,
		    "fake queue_list");
		jobq_queue_list_free(qs);
		CHECK_RC(jobq_queue_list(c, &qs, &n), 0);
		CHECK(n == 0 && qs != NULL, "fake empty queue_list: %zu %p", n, (void *)qs);
		jobq_queue_list_free(qs);
		CHECK_RC(jobq_get_stats(c, &st), 0);
		CHECK(st.workers == 4 && st.busy == 1 && st.counts[JOBQ_STATE_SUCCEEDED] == 5 &&
		    st.minute.finished == 5 && st.minute.utilisation == 0.25 && st.hour.window_ms == 3600000 &&
		    st.nqueues == 1 && strcmp(st.queues[0].name, "default") == 0, "fake stats");
		jobq_stats_release(&st);
		{
			jobq_usage *u = NULL;
			jobq_slurm_info si;

			CHECK_RC(jobq_get_stats_ex(c, NULL, NULL, NULL), JOBQ_EINVAL);
			CHECK_RC(jobq_get_stats_ex(c, &st, &u, &si), 0);
			CHECK(st.workers == 3 && st.busy == 2 &&
			    st.counts[JOBQ_STATE_QUEUED] == 2 && u != NULL &&
			    u->slots_total == 3 && u->slots_used == 2 && u->nres == 1 &&
			    strcmp(u->res[0].name, "gpu") == 0 && u->res[0].used == 1 &&
			    si.configured == 1 && si.reachable == 1 && si.pending == 1 &&
			    si.running == 2 && si.since_ms == 1700000000000LL,
			    "fake stats_ex: workers %d busy %d, usage %p, slurm %d/%d",
			    st.workers, st.busy, (void *)u, si.configured, si.reachable);
			jobq_stats_release(&st);
			jobq_usage_free(u);
		}
		const char *ll[] = { "k=v", NULL };
		jobq_filter fl = { .state = -1, .name = "nm", .labels = ll, .array_id = 9 };
		CHECK_RC(jobq_list(c, &fl, &jobs, &n), 0);
		CHECK(n == 0, "fake list");
		jobq_job_list_free(jobs, n);
		CHECK_RC(jobq_array_cancel(c, 9, &ai), JOBQ_EPROTO);  /* array 8 in the reply */
		CHECK_RC(jobq_ping(c, NULL), JOBQ_EIO);
		jobq_close(c);
		c = NULL;
	}

	/* case 2 */
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		int64_t ids[] = { 5, (int64_t)1 << 53 };
		CHECK_RC(jobq_watch(c, ids, 2), 0);
		CHECK_RC(jobq_watch_next(c, &ev, 2000), 0);
		CHECK(ev.id == 5 && ev.state == JOBQ_STATE_QUEUED && ev.exit_code == -1 &&
		    strcmp(ev.queue, "default") == 0, "fake event 1");
		/* half a frame is there: a timeout loses nothing */
		CHECK_RC(jobq_watch_next(c, &ev, 100), JOBQ_ETIMEDOUT);
		CHECK_RC(jobq_watch_next(c, &ev, 5000), 0);
		CHECK(ev.id == 5 && ev.state == JOBQ_STATE_RUNNING, "fake event 2 (split)");
		CHECK_RC(jobq_watch_next(c, &ev, -1), 0);       /* unknown kind skipped */
		CHECK(ev.state == JOBQ_STATE_TIMED_OUT && ev.signal == 15 && ev.time == 2000 &&
		    strcmp(ev.reason, "timeout") == 0 && ev.array_id == 3 && ev.array_index == 7 &&
		    strcmp(ev.queue, "q") == 0, "fake event 3 (byte by byte)");
		CHECK_RC(jobq_watch_next(c, &ev, 5000), JOBQ_EIO);
		CHECK(strcmp(jobq_last_error(c), "the daemon dropped this watcher: it fell too far behind")
		    == 0, "overflow message: %s", jobq_last_error(c));
		CHECK_RC(jobq_watch_next(c, &ev, 0), JOBQ_EIO);
		CHECK_RC(jobq_ping(c, NULL), JOBQ_EINVAL);
		jobq_close(c);
		c = NULL;
	}

	/* case 3 */
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		CHECK_RC(jobq_watch(c, NULL, 0), 0);
		CHECK_RC(jobq_watch_next(c, &ev, 5000), 0);
		CHECK(ev.id == 1, "fake case 3 event");
		CHECK_RC(jobq_watch_next(c, &ev, 5000), JOBQ_EIO);  /* the fake closed */
		CHECK(jobq_last_error(c)[0] == '\0', "EOF message %s", jobq_last_error(c));
		jobq_close(c);
		c = NULL;
	}

	/* case 4 */
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		CHECK_RC(jobq_watch(c, NULL, 0), 0);
		CHECK_RC(jobq_watch_next(c, &ev, 5000), JOBQ_EPROTO);
		CHECK_RC(jobq_watch_next(c, &ev, 0), JOBQ_EIO);
		jobq_close(c);
		c = NULL;
	}

	/* case 5 */
	CHECK_RC(jobq_connect(path, &c), 0);
	if (c) {
		CHECK_RC(jobq_watch(c, NULL, 0), 0);
		CHECK_RC(jobq_watch_next(c, &ev, 5000), JOBQ_ESHUTDOWN);
		CHECK(strcmp(jobq_last_error(c), "bye") == 0, "error frame message %s", jobq_last_error(c));
		CHECK_RC(jobq_watch_next(c, &ev, 0), JOBQ_EIO);
		jobq_close(c);
		c = NULL;
	}

	pthread_join(th, NULL);
	close(f.lfd);
	unlink(path);
	return 0;
}

/* `batch SOCK`: jobq_submit_many: n jobs, each its own argv/env/cwd/queue/
 * priority, ids in order, each runs with its own values; refusals (a bad
 * job, deps, n 0 or above JOBQ_MAX_BATCH) submit nothing. */
static void batch(const char *sock)
{
	enum { N = 50 };
	jobq_client *c = NULL;
	jobq_submit_opts o[N];
	jobq_dep d = { 1, JOBQ_DEP_OK };
	char args[N][32], envs[N][32], qn[N][16];
	const char *argvs[N][4], *envv[N][2];

	int64_t ids[N], id0 = 0;
	jobq_job *job = NULL;
	int i;

	CHECK_RC(jobq_connect(sock, &c), 0);
	if (c == NULL)
		return;
	memset(o, 0, sizeof o);
	for (i = 0; i < N; i++) {
		snprintf(args[i], sizeof args[i], "arg %d \"q\"", i);
		snprintf(envs[i], sizeof envs[i], "BATCH_V=v%d", i);
		snprintf(qn[i], sizeof qn[i], "bq%d", i % 3);
		argvs[i][0] = "sh";
		argvs[i][1] = "-c";
		argvs[i][2] = "exit ${#BATCH_V}";
		argvs[i][3] = NULL;
		envv[i][0] = envs[i];
		envv[i][1] = NULL;
		o[i].argv = argvs[i];
		o[i].env = envv[i];
		o[i].cwd = i % 2 ? "/tmp" : "/";
		o[i].queue = qn[i];
		o[i].priority = i;
		o[i].name = args[i];
	}
	CHECK_RC(jobq_submit_many(c, o, N, ids), 0);
	for (i = 0; i < N; i++) {
		CHECK(i == 0 || ids[i] == ids[i - 1] + 1, "ids not in order: "
		    "%lld after %lld", (long long)ids[i], (long long)ids[i - 1]);
		if (i == 0)
			id0 = ids[0];
	}
	for (i = 0; i < N; i++) {
		CHECK_RC(jobq_wait(c, ids[i], 20000, &job), 0);
		if (job == NULL)
			continue;
		CHECK(job->exit_code == (int)strlen(envs[i]) - 8,
		    "job %d: exit %d", i, job->exit_code);
		CHECK(strcmp(job->queue, qn[i]) == 0 && job->priority == i &&
		    strcmp(job->cwd, o[i].cwd) == 0 &&
		    strcmp(job->name, args[i]) == 0, "job %d: its values", i);
		jobq_job_free(job);
		job = NULL;
	}
	/* refusals: nothing submitted (the next id follows the batch) */
	o[7].argv = NULL;
	CHECK_RC(jobq_submit_many(c, o, N, ids), JOBQ_EINVAL);
	o[7].argv = argvs[7];
	o[9].deps = &d;
	o[9].ndeps = 1;
	CHECK_RC(jobq_submit_many(c, o, N, ids), JOBQ_EINVAL);
	o[9].ndeps = 0;
	o[9].deps = NULL;
	CHECK_RC(jobq_submit_many(c, o, 0, ids), JOBQ_EINVAL);
	CHECK_RC(jobq_submit_many(c, o, (size_t)JOBQ_MAX_BATCH + 1, ids),
	    JOBQ_EINVAL);
	o[3].queue = "bad queue";	/* refused by jobqd, naming the job */
	CHECK_RC(jobq_submit_many(c, o, N, ids), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "jobs[3]") != NULL,
	    "error does not name jobs[3]: %s", jobq_last_error(c));
	o[3].queue = qn[3];
	CHECK_RC(jobq_submit_many(c, o, 1, ids), 0);
	CHECK(ids[0] == id0 + N, "refused batches took ids: %lld, expected "
	    "%lld", (long long)ids[0], (long long)(id0 + N));
	jobq_close(c);
}

/* Slots and named resources through the library, against a jobqd with
 * 4 workers and --resource gpu=0,1,2,3 --resource license=2 and nothing
 * running (sched-res.sh): the usage, a job asking slots and resources,
 * the daemon's refusals and the library's own, an older ext. */
static void res(const char *sock)
{
	static const char *const argv[] = { "sh", "-c", "echo $JOBQ_RES_GPU", NULL };
	jobq_submit_opts o;
	jobq_submit_ext x;
	jobq_client *c = NULL;
	jobq_usage *u = NULL;
	jobq_job *j = NULL;
	int64_t id = 0;
	int rc;

	CHECK_RC(jobq_connect(sock, &c), 0);
	if (c == NULL)
		return;
	CHECK_RC(jobq_get_usage(c, &u), 0);
	CHECK(u != NULL && u->slots_total == 4 && u->slots_used == 0 &&
	    u->nres == 2 && strcmp(u->res[0].name, "gpu") == 0 &&
	    u->res[0].total == 4 && u->res[0].used == 0 &&
	    strcmp(u->res[1].name, "license") == 0 && u->res[1].total == 2,
	    "usage of an idle jobqd with gpu=4, license=2");
	jobq_usage_free(u);
	CHECK_RC(jobq_get_usage(c, NULL), JOBQ_EINVAL);

	memset(&o, 0, sizeof(o));
	o.argv = argv;
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.slots = 2;
	x.res = "gpu=2,license=1";
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), 0);
	CHECK_RC(jobq_wait(c, id, 30000, &j), 0);
	CHECK(j != NULL && j->state == JOBQ_STATE_SUCCEEDED && j->slots == 2 &&
	    j->res != NULL && strcmp(j->res, "gpu=2,license=1") == 0 &&
	    j->res_given != NULL &&
	    strcmp(j->res_given, "gpu=0,1;license=0") == 0,
	    "job %lld with slots 2 and gpu=2,license=1: slots %d res %s given %s",
	    (long long)id, j != NULL ? j->slots : -1,
	    j != NULL && j->res != NULL ? j->res : "(null)",
	    j != NULL && j->res_given != NULL ? j->res_given : "(null)");
	CHECK(j != NULL && j->executor[0] == '\0' && j->slurm_id == 0,
	    "job %lld ran locally: executor \"%.16s\" slurm_id %lld",
	    (long long)id, j != NULL ? j->executor : "?",
	    j != NULL ? (long long)j->slurm_id : -1LL);
	jobq_job_free(j);
	j = NULL;

	/* refused by the daemon, with its message */
	x.slots = 5;
	x.res = NULL;
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "5 slots asked, but jobqd has 4 "
	    "worker slots") != NULL, "slots 5: [%s]", jobq_last_error(c));
	x.slots = 0;
	x.res = "tpu=1";
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);
	CHECK(strstr(jobq_last_error(c), "unknown resource \"tpu\"") != NULL,
	    "tpu=1: [%s]", jobq_last_error(c));
	x.res = "license=3";
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);
	/* refused by the library */
	x.res = NULL;
	x.slots = -1;
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);
	x.slots = JOBQ_MAX_SLOTS + 1;
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);
	x.slots = 0;
	x.res = "";
	CHECK_RC(jobq_submit_x(c, &o, &x, &id), JOBQ_EINVAL);

	/* an ext built before slots: one slot, nothing asked */
	memset(&x, 0, sizeof(x));
	x.size = offsetof(jobq_submit_ext, slots);
	rc = jobq_submit_x(c, &o, &x, &id);
	CHECK_RC(rc, 0);
	CHECK_RC(jobq_wait(c, id, 30000, &j), 0);
	CHECK(j != NULL && j->slots == 1 && j->res == NULL &&
	    j->res_given == NULL, "job of an older ext");
	jobq_job_free(j);
	jobq_close(c);
}

static void usage(void)
{
	fprintf(stderr, "usage: itest_lib api SOCK | storm SOCK NTHREADS OUTDIR [MAX] | threads SOCK |\n"
	    "       sched SOCK | watch SOCK | fake DIR | batch SOCK | res SOCK\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int rc;
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "api") == 0 && argc == 3) {
		api(argv[2]);
		rc = 0;
	} else if (strcmp(argv[1], "storm") == 0 && (argc == 5 || argc == 6)) {
		int n = atoi(argv[3]);
		if (n < 1 || n > 256)
			usage();
		rc = storm(argv[2], n, argv[4], argc == 6 ? atol(argv[5]) : 0);
	} else if (strcmp(argv[1], "threads") == 0 && argc == 3) {
		rc = threads(argv[2]);
	} else if (strcmp(argv[1], "sched") == 0 && argc == 3) {
		sched(argv[2]);
		rc = 0;
	} else if (strcmp(argv[1], "watch") == 0 && argc == 3) {
		watch(argv[2]);
		rc = 0;
	} else if (strcmp(argv[1], "batch") == 0 && argc == 3) {
		batch(argv[2]);
		rc = 0;
	} else if (strcmp(argv[1], "res") == 0 && argc == 3) {
		res(argv[2]);
		rc = 0;
	} else if (strcmp(argv[1], "fake") == 0 && argc == 3) {
		rc = fake(argv[2]);
	} else {
		usage();
		return 2;
	}
	if (rc)
		return rc;
	if (failures) {
		fprintf(stderr, "itest_lib %s: %d failure(s)\n", argv[1], failures);
		return 1;
	}
	printf("itest_lib %s: ok\n", argv[1]);
	return 0;
}
