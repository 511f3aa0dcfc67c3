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
 *
 * Exit 0 when every assertion held; failures are printed on stderr.
 */
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
		"canceled", "interrupted" };
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

static void usage(void)
{
	fprintf(stderr, "usage: itest_lib api SOCK | storm SOCK NTHREADS OUTDIR [MAX] | threads SOCK\n");
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
