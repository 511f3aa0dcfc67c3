/*
 * check_store.c - unit tests of the job store (daemon/store.c) against real
 * SQLite files in a temporary directory and a real libuv loop: persistence
 * across reopen, the op types, group commit, start-up recovery, the
 * disk-full path (through store_fault_commit), refusal of foreign files
 * without touching them, and exact round-trips of awkward strings.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "store.h"

static char tdir[64];
static char dbpath[128];
static uv_loop_t loop;

static int n_done;		/* done() callbacks so far */
static int64_t seq[4096];	/* op->data of each done(), in order */
static int n_commits;		/* COMMITs attempted (via the fault seam) */
static int fault_rc;		/* what the fault seam returns */

static int
count_commit(void)
{
	n_commits++;
	return (fault_rc);
}

static void
on_done(struct store_op *op)
{
	ck_assert_int_lt(n_done, (int)(sizeof(seq) / sizeof(seq[0])));
	seq[n_done++] = (int64_t)(intptr_t)op->data;
}

static void
rm_rf(const char *dir)
{
	char p[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) == -1 && errno == EISDIR)
			rm_rf(p);
		else if (errno == EPERM || errno == EISDIR)
			rm_rf(p);
	}
	(void)closedir(d);
	(void)rmdir(dir);
}

static void
setup(void)
{
	(void)snprintf(tdir, sizeof(tdir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	(void)snprintf(dbpath, sizeof(dbpath), "%s/jobs.db", tdir);
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	n_done = 0;
	n_commits = 0;
	fault_rc = 0;
	store_fault_commit = count_commit;
}

static void
teardown(void)
{
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	store_fault_commit = NULL;
	rm_rf(tdir);
}

static struct store *
open_store(int start)
{
	struct store *s;
	char err[512];

	err[0] = '\0';
	ck_assert_msg(store_open(dbpath, 1, &s, err, sizeof(err)) == 0,
	    "store_open: %s", err);
	if (start)
		ck_assert_int_eq(store_start(s, &loop), 0);
	return (s);
}

static void
close_store(struct store *s)
{
	store_close(s);
	ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 0);
}

static struct store_op *
op_new(enum store_op_type type, int64_t tag)
{
	struct store_op *op;

	op = calloc(1, sizeof(*op));
	ck_assert_ptr_nonnull(op);
	op->type = type;
	op->done = on_done;
	op->data = (void *)(intptr_t)tag;
	return (op);
}

static void
op_free(struct store_op *op)
{
	store_op_release(op);
	free(op);
}

static void
wait_done(int target)
{
	while (n_done < target)
		ck_assert_int_ne(uv_run(&loop, UV_RUN_ONCE), 0);
}

static void
run_op(struct store *s, struct store_op *op)
{
	int target = n_done + 1;

	store_submit(s, op);
	ck_assert_int_eq(n_done, target - 1);	/* never called inline */
	wait_done(target);
}

static const char *const argv_true[] = { "/bin/true", "x", NULL };
static const char *const env_one[] = { "A=1", NULL };

static size_t
vlen(const char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return (n);
}

static struct store_op *
op_insert(const char *const *argv, const char *const *env, const char *cwd,
    const char *name, const char *queue, int max_retries, int64_t tag)
{
	struct store_op *op = op_new(STORE_INSERT, tag);

	op->in.insert.argv = argv;
	op->in.insert.argc = vlen(argv);
	op->in.insert.env = env;
	op->in.insert.envc = vlen(env);
	op->in.insert.cwd = cwd;
	op->in.insert.name = name;
	op->in.insert.queue = queue;
	op->in.insert.owner_uid = 1000;
	op->in.insert.max_retries = max_retries;
	op->in.insert.submitted_at = 1700000000000LL + tag;
	return (op);
}

static int64_t
do_insert(struct store *s, const char *queue, int max_retries)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env_one, "/tmp", NULL, queue, max_retries,
	    0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	ck_assert_int_gt(id, 0);
	op_free(op);
	return (id);
}

static int
do_claim(struct store *s, int64_t id, int attempts, int64_t at)
{
	struct store_op *op = op_new(STORE_CLAIM, 0);
	int status;

	op->in.claim.id = id;
	op->in.claim.attempts = attempts;
	op->in.claim.started_at = at;
	run_op(s, op);
	status = op->status;
	if (status != 0) {
		ck_assert_ptr_null(op->out.claim.argv);
		ck_assert_ptr_null(op->out.claim.cwd);
	}
	op_free(op);
	return (status);
}

static int
do_update(struct store *s, const struct store_update *u)
{
	struct store_op *op = op_new(STORE_UPDATE, 0);
	int status;

	op->in.update = *u;
	run_op(s, op);
	status = op->status;
	op_free(op);
	return (status);
}

/* Returns the GET op (status checked by the caller); free with op_free. */
static struct store_op *
do_get(struct store *s, int64_t id)
{
	struct store_op *op = op_new(STORE_GET, 0);

	op->in.get.id = id;
	run_op(s, op);
	return (op);
}

static struct store_op *
do_list(struct store *s, int state, const char *queue, size_t limit)
{
	struct store_op *op = op_new(STORE_LIST, 0);

	op->in.list.state = state;
	(void)snprintf(op->in.list.queue, sizeof(op->in.list.queue), "%s",
	    queue != NULL ? queue : "");
	op->in.list.limit = limit;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	return (op);
}

/* --- persistence, ids, fields --- */

START_TEST(test_create_reopen)
{
	struct store *s;
	struct store_op *op;
	const jobq_job *j;
	int64_t ids[3];
	int i;

	s = open_store(1);
	for (i = 0; i < 3; i++) {
		ids[i] = do_insert(s, i == 2 ? "other" : "default", i);
		if (i > 0)
			ck_assert_int_gt(ids[i], ids[i - 1]);
	}
	close_store(s);

	s = open_store(1);
	for (i = 0; i < 3; i++) {
		op = do_get(s, ids[i]);
		ck_assert_int_eq(op->status, 0);
		j = op->out.job;
		ck_assert_int_eq(j->id, ids[i]);
		ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
		ck_assert_str_eq(j->queue, i == 2 ? "other" : "default");
		ck_assert_ptr_null(j->name);
		ck_assert_uint_eq(j->argc, 2);
		ck_assert_str_eq(j->argv[0], "/bin/true");
		ck_assert_str_eq(j->argv[1], "x");
		ck_assert_ptr_null(j->argv[2]);
		ck_assert_str_eq(j->cwd, "/tmp");
		ck_assert_uint_eq(j->owner_uid, 1000);
		ck_assert_int_eq(j->exit_code, -1);
		ck_assert_int_eq(j->signal, 0);
		ck_assert_int_eq(j->submitted_at, 1700000000000LL);
		ck_assert_int_eq(j->started_at, 0);
		ck_assert_int_eq(j->finished_at, 0);
		ck_assert_int_eq(j->attempts, 0);
		ck_assert_int_eq(j->max_retries, i);
		ck_assert_ptr_null(j->reason);
		ck_assert_ptr_null(j->message);
		ck_assert_int_eq(j->pid, 0);
		op_free(op);
	}
	op = do_get(s, 999);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	ck_assert_ptr_null(op->out.job);
	op_free(op);
	ck_assert_int_gt(do_insert(s, "default", 0), ids[2]);
	close_store(s);
}
END_TEST

START_TEST(test_close_unstarted)
{
	struct store *s;
	struct store_op *a, *b;

	/* Opened, never started: close still runs queued ops. */
	s = open_store(0);
	close_store(s);

	s = open_store(0);
	a = op_insert(argv_true, env_one, "/", "n", "q", 0, 1);
	b = op_new(STORE_GET, 2);
	b->in.get.id = 1;
	store_submit(s, a);
	store_submit(s, b);
	ck_assert_int_eq(n_done, 0);
	close_store(s);
	ck_assert_int_eq(n_done, 2);
	ck_assert_int_eq(seq[0], 1);
	ck_assert_int_eq(seq[1], 2);
	ck_assert_int_eq(a->status, 0);
	ck_assert_int_eq(b->status, 0);
	ck_assert_int_eq(b->out.job->id, a->out.insert.id);
	ck_assert_str_eq(b->out.job->name, "n");
	op_free(a);
	op_free(b);
}
END_TEST

/* --- claim and update --- */

START_TEST(test_claim_update)
{
	struct store *s;
	struct store_op *op, *ins, *upd;
	struct store_update u;
	const jobq_job *j;
	int64_t id;

	s = open_store(1);
	id = do_insert(s, "default", 2);

	op = op_new(STORE_CLAIM, 0);
	op->in.claim.id = id;
	op->in.claim.attempts = 1;
	op->in.claim.started_at = 5000;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_str_eq(op->out.claim.argv[0], "/bin/true");
	ck_assert_str_eq(op->out.claim.argv[1], "x");
	ck_assert_ptr_null(op->out.claim.argv[2]);
	ck_assert_str_eq(op->out.claim.env[0], "A=1");
	ck_assert_ptr_null(op->out.claim.env[1]);
	ck_assert_str_eq(op->out.claim.cwd, "/tmp");
	op_free(op);

	op = do_get(s, id);
	ck_assert_int_eq(op->status, 0);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(j->attempts, 1);
	ck_assert_int_eq(j->started_at, 5000);
	op_free(op);

	/* Claiming again, or a job that does not exist. */
	ck_assert_int_eq(do_claim(s, id, 2, 6000), JOBQ_ESTATE);
	ck_assert_int_eq(do_claim(s, id + 100, 1, 6000), JOBQ_ENOTFOUND);

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.state = JOBQ_STATE_RUNNING;
	u.attempts = -1;
	u.exit_code = -1;
	u.pid = 4242;
	ck_assert_int_eq(do_update(s, &u), 0);
	op = do_get(s, id);
	ck_assert_int_eq(op->out.job->pid, 4242);
	ck_assert_int_eq(op->out.job->attempts, 1);
	ck_assert_int_eq(op->out.job->started_at, 5000);
	op_free(op);

	/* Failed, then queued again for a retry. */
	u.state = JOBQ_STATE_FAILED;
	u.pid = 0;
	u.exit_code = 3;
	u.finished_at = 7000;
	u.reason = "exit_code";
	u.message = "exited with status 3";
	ck_assert_int_eq(do_update(s, &u), 0);
	op = do_get(s, id);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_FAILED);
	ck_assert_int_eq(j->exit_code, 3);
	ck_assert_int_eq(j->signal, 0);
	ck_assert_int_eq(j->finished_at, 7000);
	ck_assert_int_eq(j->pid, 0);
	ck_assert_str_eq(j->reason, "exit_code");
	ck_assert_str_eq(j->message, "exited with status 3");
	op_free(op);

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.state = JOBQ_STATE_QUEUED;
	u.attempts = 1;
	u.exit_code = -1;
	u.signal = 9;
	u.finished_at = -1;
	u.reason = "signal";
	ck_assert_int_eq(do_update(s, &u), 0);
	op = do_get(s, id);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(j->finished_at, 0);
	ck_assert_int_eq(j->exit_code, -1);
	ck_assert_int_eq(j->signal, 9);
	ck_assert_str_eq(j->reason, "signal");
	ck_assert_ptr_null(j->message);
	op_free(op);
	ck_assert_int_eq(do_claim(s, id, 2, 8000), 0);

	/* A per-op failure does not fail the rest of the batch. */
	ins = op_insert(argv_true, env_one, "/", NULL, "default", 0, 1);
	upd = op_new(STORE_UPDATE, 2);
	upd->in.update = u;
	upd->in.update.id = 12345;
	op = op_new(STORE_GET, 3);
	op->in.get.id = 0;
	store_submit(s, ins);
	store_submit(s, upd);
	store_submit(s, op);
	wait_done(n_done + 3);
	ck_assert_int_eq(ins->status, 0);
	ck_assert_int_eq(upd->status, JOBQ_ENOTFOUND);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	op = do_get(s, ins->out.insert.id);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	op_free(ins);
	op_free(upd);

	/* An invalid state is refused without touching the database. */
	u.id = id;
	u.state = JOBQ_STATE_COUNT;
	ck_assert_int_eq(do_update(s, &u), JOBQ_EINVAL);
	close_store(s);
}
END_TEST

/* --- list --- */

START_TEST(test_list)
{
	struct store *s;
	struct store_op *op;
	int64_t ids[10];
	size_t i;

	s = open_store(1);
	for (i = 0; i < 10; i++)
		ids[i] = do_insert(s, i % 2 ? "b" : "a", 0);
	for (i = 0; i < 10; i += 3)	/* 0, 3, 6, 9 running */
		ck_assert_int_eq(do_claim(s, ids[i], 1, 1), 0);

	op = do_list(s, -1, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 10);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(op->out.list.jobs[i]->id, ids[i]);
	op_free(op);

	op = do_list(s, JOBQ_STATE_RUNNING, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(op->out.list.jobs[i]->id, ids[i * 3]);
		ck_assert_int_eq(op->out.list.jobs[i]->state,
		    JOBQ_STATE_RUNNING);
	}
	op_free(op);

	op = do_list(s, -1, "b", 0);
	ck_assert_uint_eq(op->out.list.n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(op->out.list.jobs[i]->id, ids[i * 2 + 1]);
	op_free(op);

	/* The newest 3, in ascending order. */
	op = do_list(s, -1, NULL, 3);
	ck_assert_uint_eq(op->out.list.n, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(op->out.list.jobs[i]->id, ids[7 + i]);
	op_free(op);

	/* queued in "a": 2, 4, 8 -> newest two: 4, 8 */
	op = do_list(s, JOBQ_STATE_QUEUED, "a", 2);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, ids[4]);
	ck_assert_int_eq(op->out.list.jobs[1]->id, ids[8]);
	op_free(op);

	op = do_list(s, JOBQ_STATE_FAILED, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	op = do_list(s, -1, "nope", 5);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	op = do_list(s, -1, NULL, 100);
	ck_assert_uint_eq(op->out.list.n, 10);
	op_free(op);
	close_store(s);
}
END_TEST

/* --- group commit --- */

#define NBULK 1000

static void
bulk(struct store *s, int start_first)
{
	struct store_op **ops;
	int i, base;

	ops = calloc(NBULK, sizeof(*ops));
	ck_assert_ptr_nonnull(ops);
	base = n_done;
	for (i = 0; i < NBULK; i++)
		ops[i] = op_insert(argv_true, env_one, "/", NULL, "default",
		    0, base + i);
	if (start_first)
		ck_assert_int_eq(store_start(s, &loop), 0);
	for (i = 0; i < NBULK; i++)
		store_submit(s, ops[i]);
	if (!start_first)
		ck_assert_int_eq(store_start(s, &loop), 0);
	wait_done(base + NBULK);
	for (i = 0; i < NBULK; i++) {
		ck_assert_int_eq(seq[base + i], base + i);	/* in order */
		ck_assert_int_eq(ops[i]->status, 0);
		if (i > 0)
			ck_assert_int_gt(ops[i]->out.insert.id, ops[i - 1]->out.insert.id);
	}
	for (i = 0; i < NBULK; i++)
		op_free(ops[i]);
	free(ops);
}

START_TEST(test_group_commit)
{
	struct store *s;
	struct store_op *op;

	/* Queued before the thread runs: exactly one transaction. */
	s = open_store(0);
	bulk(s, 0);
	ck_assert_int_eq(n_commits, 1);
	close_store(s);

	/* Submitted while the thread runs: a handful of transactions. */
	n_commits = 0;
	s = open_store(0);
	bulk(s, 1);
	ck_assert_int_ge(n_commits, 1);
	ck_assert_msg(n_commits <= NBULK / 10, "%d transactions", n_commits);

	op = do_list(s, -1, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 2 * NBULK);
	op_free(op);
	/* Reads alone commit nothing. */
	ck_assert_int_le(n_commits, NBULK / 10);
	close_store(s);
}
END_TEST

START_TEST(test_checkpoint)
{
	struct store *s;
	struct store_op *op;
	struct stat sb;
	char wal[160];

	s = open_store(1);
	(void)do_insert(s, "default", 0);
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	op = op_new(STORE_CHECKPOINT, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	close_store(s);
}
END_TEST

/* --- recovery --- */

START_TEST(test_recover)
{
	struct store *s;
	struct store_op *op;
	struct store_recovery r;
	struct store_update u;
	int64_t a, b, c, d;

	s = open_store(1);
	a = do_insert(s, "qa", 0);	/* running, no retries: interrupted */
	b = do_insert(s, "qb", 1);	/* running, 1 retry: queued again */
	c = do_insert(s, "qc", 0);	/* queued: stays queued */
	d = do_insert(s, "qd", 0);	/* succeeded: untouched */
	ck_assert_int_eq(do_claim(s, a, 1, 100), 0);
	ck_assert_int_eq(do_claim(s, b, 1, 100), 0);
	ck_assert_int_eq(do_claim(s, d, 1, 100), 0);
	memset(&u, 0, sizeof(u));
	u.id = a;
	u.state = JOBQ_STATE_RUNNING;
	u.attempts = -1;
	u.exit_code = -1;
	u.pid = 777;
	ck_assert_int_eq(do_update(s, &u), 0);
	u.id = d;
	u.state = JOBQ_STATE_SUCCEEDED;
	u.exit_code = 0;
	u.pid = 0;
	u.finished_at = 200;
	ck_assert_int_eq(do_update(s, &u), 0);
	close_store(s);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 12345), 0);
	ck_assert_uint_eq(r.n_interrupted, 2);
	ck_assert_uint_eq(r.nqueued, 2);
	ck_assert_int_eq(r.queued[0].id, b);
	ck_assert_str_eq(r.queued[0].queue, "qb");
	ck_assert_int_eq(r.queued[0].attempts, 1);
	ck_assert_int_eq(r.queued[0].max_retries, 1);
	ck_assert_int_eq(r.queued[1].id, c);
	ck_assert_str_eq(r.queued[1].queue, "qc");
	ck_assert_int_eq(r.queued[1].attempts, 0);
	ck_assert_int_eq(r.queued[1].submitted_at, 1700000000000LL);
	ck_assert_uint_eq(r.ndeps, 0);
	ck_assert_uint_eq(r.nqueues, 0);
	store_recovery_release(&r);
	ck_assert_ptr_null(r.queued);
	ck_assert_int_eq(store_start(s, &loop), 0);

	op = do_get(s, a);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_INTERRUPTED);
	ck_assert_str_eq(op->out.job->reason, "daemon_crash");
	ck_assert_int_eq(op->out.job->finished_at, 12345);
	ck_assert_int_eq(op->out.job->pid, 0);
	op_free(op);
	op = do_get(s, b);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_str_eq(op->out.job->reason, "daemon_crash");
	ck_assert_int_eq(op->out.job->finished_at, 0);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	op = do_get(s, d);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_ptr_null(op->out.job->reason);
	op_free(op);

	/* b runs a second time and is lost again: budget exhausted. */
	ck_assert_int_eq(do_claim(s, b, 2, 300), 0);
	close_store(s);
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 999), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);
	ck_assert_uint_eq(r.nqueued, 1);
	ck_assert_int_eq(r.queued[0].id, c);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	op = do_get(s, b);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_INTERRUPTED);
	ck_assert_int_eq(op->out.job->finished_at, 999);
	op_free(op);
	close_store(s);

	/* Nothing to recover: an empty list. */
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 1), 0);
	ck_assert_uint_eq(r.n_interrupted, 0);
	ck_assert_uint_eq(r.nqueued, 1);
	store_recovery_release(&r);
	close_store(s);
}
END_TEST

/* --- disk full --- */

START_TEST(test_disk_full)
{
	struct store *s;
	struct store_op *ops[5], *op;
	int64_t first, last;
	int i, base;

	s = open_store(1);
	first = do_insert(s, "default", 0);

	fault_rc = SQLITE_FULL;
	base = n_done;
	ops[0] = op_insert(argv_true, env_one, "/", NULL, "full", 0, base);
	ops[1] = op_insert(argv_true, env_one, "/", NULL, "full", 0, base + 1);
	ops[2] = op_new(STORE_CLAIM, base + 2);
	ops[2]->in.claim.id = first;
	ops[2]->in.claim.attempts = 1;
	ops[2]->in.claim.started_at = 1;
	ops[3] = op_new(STORE_GET, base + 3);
	ops[3]->in.get.id = first;
	ops[4] = op_new(STORE_LIST, base + 4);
	ops[4]->in.list.state = -1;
	for (i = 0; i < 5; i++)
		store_submit(s, ops[i]);
	wait_done(base + 5);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ops[i]->status, JOBQ_ESTORAGE);
		ck_assert_int_eq(seq[base + i], base + i);
	}
	ck_assert_int_eq(ops[0]->out.insert.id, 0);
	ck_assert_ptr_null(ops[2]->out.claim.argv);
	/* Reads still run, and see the batch rolled back. */
	ck_assert_int_eq(ops[3]->status, 0);
	ck_assert_int_eq(ops[3]->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(ops[4]->status, 0);
	ck_assert_uint_eq(ops[4]->out.list.n, 1);
	for (i = 0; i < 5; i++)
		op_free(ops[i]);

	/* Later batches work. */
	fault_rc = 0;
	last = do_insert(s, "default", 0);
	ck_assert_int_eq(do_claim(s, first, 1, 1), 0);
	close_store(s);

	s = open_store(1);
	op = do_list(s, -1, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, first);
	ck_assert_int_eq(op->out.list.jobs[0]->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(op->out.list.jobs[1]->id, last);
	ck_assert_str_eq(op->out.list.jobs[1]->queue, "default");
	op_free(op);
	close_store(s);
}
END_TEST

/* --- refusal of files that are not ours, untouched --- */

struct snapshot {
	char names[1024];
	char *data;
	size_t len;
};

static void
snap(const char *file, struct snapshot *sn)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	FILE *f;

	sn->names[0] = '\0';
	ck_assert_ptr_nonnull(d = opendir(tdir));
	/* The directory holds one or two entries: order is irrelevant for
	 * two entries only if we sort, so list names in a canonical way. */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		ck_assert_uint_lt(strlen(sn->names) + strlen(de->d_name) + 2,
		    sizeof(sn->names));
		strcat(sn->names, de->d_name);
		strcat(sn->names, "/");
	}
	(void)closedir(d);
	ck_assert_int_eq(stat(file, &sb), 0);
	sn->len = (size_t)sb.st_size;
	sn->data = malloc(sn->len + 1);
	ck_assert_ptr_nonnull(sn->data);
	ck_assert_ptr_nonnull(f = fopen(file, "rbe"));
	ck_assert_uint_eq(fread(sn->data, 1, sn->len, f), sn->len);
	(void)fclose(f);
}

static void
refused(const char *file, const char *what)
{
	struct snapshot before, after;
	struct store *s = (struct store *)&before;
	char err[512];
	int rc;

	snap(file, &before);
	err[0] = '\0';
	rc = store_open(file, 1, &s, err, sizeof(err));
	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, what) != NULL, "message: %s", err);
	ck_assert_msg(strstr(err, file) != NULL, "message: %s", err);
	snap(file, &after);
	ck_assert_str_eq(before.names, after.names);
	ck_assert_uint_eq(before.len, after.len);
	ck_assert(memcmp(before.data, after.data, before.len) == 0);
	free(before.data);
	free(after.data);
}

static void
write_file(const char *file, const void *data, size_t len)
{
	int fd;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(test_refuse_garbage)
{
	unsigned char buf[8192];
	size_t i;
	uint32_t x = 0x12345678;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
	write_file(dbpath, buf, sizeof(buf));
	refused(dbpath, "not a jobq database (not an SQLite file)");
	write_file(dbpath, "hello\n", 6);
	refused(dbpath, "not an SQLite file");
}
END_TEST

static void
sql_file(const char *file, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

START_TEST(test_refuse_other_app)
{
	char other[160];

	sql_file(dbpath, "CREATE TABLE t(x); INSERT INTO t VALUES (42);");
	refused(dbpath, "not a jobq database (application_id");

	(void)snprintf(other, sizeof(other), "%s/other.db", tdir);
	sql_file(other, "PRAGMA application_id = 7;");
	refused(other, "not a jobq database (application_id 0x00000007");

	/* Same in WAL mode: no -shm or -wal may appear either. */
	(void)snprintf(other, sizeof(other), "%s/wal.db", tdir);
	sql_file(other, "PRAGMA journal_mode = WAL; PRAGMA application_id = 9;"
	    "CREATE TABLE t(x);");
	refused(other, "application_id 0x00000009");
}
END_TEST

START_TEST(test_refuse_newer)
{
	struct store *s;
	char msg[128];

	s = open_store(1);
	(void)do_insert(s, "default", 0);
	close_store(s);
	(void)snprintf(msg, sizeof(msg), "PRAGMA user_version = %d;",
	    STORE_SCHEMA_VERSION + 1);
	sql_file(dbpath, msg);
	(void)snprintf(msg, sizeof(msg), "written by a newer jobqd (schema %d, "
	    "this one knows %d)", STORE_SCHEMA_VERSION + 1,
	    STORE_SCHEMA_VERSION);
	refused(dbpath, msg);

	/* An empty file is a new database; an empty SQLite db of nobody's
	 * too. */
	write_file(dbpath, "", 0);
	s = open_store(1);
	close_store(s);
	unlink(dbpath);
	sql_file(dbpath, "PRAGMA user_version = 0;");
	s = open_store(1);
	(void)do_insert(s, "default", 0);
	close_store(s);
}
END_TEST

START_TEST(test_unwritable)
{
	struct store *s;
	char dir[160], file[200], err[512];
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	(void)snprintf(file, sizeof(file), "%s/missing/jobs.db", tdir);
	ck_assert_int_lt(store_open(file, 1, &s, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, file) != NULL &&
	    strstr(err, "cannot create database") != NULL, "%s", err);

	/* A read-only directory, as an unprivileged user (root is not
	 * stopped by permissions, so drop them in a child). */
	(void)snprintf(dir, sizeof(dir), "%s/ro", tdir);
	ck_assert_int_eq(mkdir(dir, 0555), 0);
	ck_assert_int_eq(chmod(tdir, 0755), 0);
	(void)snprintf(file, sizeof(file), "%s/jobs.db", dir);
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc;

		if (geteuid() == 0 && (setgid(65534) != 0 ||
		    setuid(65534) != 0))
			_exit(2);
		err[0] = '\0';
		rc = store_open(file, 1, &s, err, sizeof(err));
		(void)write(pfd[1], err, strlen(err) + 1);
		_exit(rc < 0 ? 0 : 1);
	}
	(void)close(pfd[1]);
	n = read(pfd[0], err, sizeof(err) - 1);
	(void)close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_gt(n, 0);
	err[n] = '\0';
	ck_assert_msg(strstr(err, file) != NULL &&
	    strstr(err, "Permission denied") != NULL, "%s", err);
	ck_assert_int_eq(access(file, F_OK), -1);
}
END_TEST

/* --- exact round-trips --- */

START_TEST(test_roundtrip)
{
	static const char *const argv[] = {
		"/usr/bin/printf", "", "say \"hi\"", "it's", "line1\nline2",
		"tab\there", "back\\slash", "h\xc3\xa9llo \xe2\x9c\x93 "
		"\xe6\x97\xa5\xe6\x9c\xac", "\x01\x1f\x7f", "{\"json\":[1]}",
		"\xff\xfe not utf-8", "", NULL
	};
	static const char *const env[] = {
		"EMPTY=", "EQ=a=b=c", "Q=\"quoted\"\n", "U=\xc3\xbc", NULL
	};
	static const char *const noenv[] = { NULL };
	const char *cwd = "/tmp/dir with spaces/\xc3\xa9\n";
	const char *name = "n\"a\\m\xc3\xa9";
	struct store *s;
	struct store_op *op;
	int64_t id, id2;
	size_t i;

	s = open_store(1);
	op = op_insert(argv, env, cwd, name, "q.1-_", 3, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	op = op_insert(argv_true, noenv, "/", NULL, "default", 0, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id2 = op->out.insert.id;
	op_free(op);
	close_store(s);

	s = open_store(1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.job->argc, vlen(argv));
	for (i = 0; argv[i] != NULL; i++)
		ck_assert_str_eq(op->out.job->argv[i], argv[i]);
	ck_assert_ptr_null(op->out.job->argv[i]);
	ck_assert_str_eq(op->out.job->cwd, cwd);
	ck_assert_str_eq(op->out.job->name, name);
	ck_assert_str_eq(op->out.job->queue, "q.1-_");
	op_free(op);

	op = op_new(STORE_CLAIM, 0);
	op->in.claim.id = id;
	op->in.claim.attempts = 1;
	op->in.claim.started_at = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	for (i = 0; argv[i] != NULL; i++)
		ck_assert_str_eq(op->out.claim.argv[i], argv[i]);
	ck_assert_ptr_null(op->out.claim.argv[i]);
	for (i = 0; env[i] != NULL; i++)
		ck_assert_str_eq(op->out.claim.env[i], env[i]);
	ck_assert_ptr_null(op->out.claim.env[i]);
	ck_assert_str_eq(op->out.claim.cwd, cwd);
	op_free(op);

	op = op_new(STORE_CLAIM, 0);
	op->in.claim.id = id2;
	op->in.claim.attempts = 1;
	op->in.claim.started_at = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_ptr_nonnull(op->out.claim.env);
	ck_assert_ptr_null(op->out.claim.env[0]);
	op_free(op);

	/* An insert without argv is refused. */
	op = op_insert(noenv, noenv, "/", NULL, "default", 0, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	close_store(s);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create_reopen);
	tcase_add_test(tc, test_close_unstarted);
	tcase_add_test(tc, test_claim_update);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_checkpoint);
	tcase_add_test(tc, test_recover);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_refuse_garbage);
	tcase_add_test(tc, test_refuse_other_app);
	tcase_add_test(tc, test_refuse_newer);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
