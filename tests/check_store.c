/*
 * check_store.c - unit tests of the job store (daemon/store.c) against real
 * SQLite files in a temporary directory and a real libuv loop: persistence
 * across reopen, the op types, group commit, start-up recovery, the
 * disk-full path (through store_fault_commit, and FAULT_COMMIT of
 * daemon/fault.h as JOBQD_FAULTS sets it), the state changes the store
 * makes itself (job_transition()'s), refusal of foreign files without
 * touching them, and exact round-trips of awkward strings.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <uv.h>

#include "fault.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

static char tdir[64];
static char dbpath[128];
static uv_loop_t loop;

static int n_done;		/* done() callbacks so far */
static int64_t seq[4096];	/* op->data of each done(), in order */
static int n_commits;		/* COMMITs attempted (via the fault seam) */
static int fault_rc;		/* what the fault seam returns */
static int fail_next;		/* the next fail_next COMMITs: SQLITE_FULL */

static int
count_commit(void)
{
	n_commits++;
	if (fail_next > 0) {
		fail_next--;
		return (SQLITE_FULL);
	}
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
	fail_next = 0;
	store_fault_commit = count_commit;
}

static void
teardown(void)
{
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	store_fault_commit = NULL;
	ck_assert_int_eq(fault_init(NULL, NULL, 0), 0);
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
	if (type == STORE_PURGE)
		op->in.purge.logs_fd = -1;	/* leave files alone */
	return (op);
}

/* A descriptor of the directory logs (NULL: -1). */
static int
logs_fd(const char *logs)
{
	int fd;

	if (logs == NULL)
		return (-1);
	fd = open(logs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return (fd);
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

/* An insert's status. */
static int
do_insert_status(struct store *s)
{
	struct store_op *op;
	int status;

	op = op_insert(argv_true, env_one, "/tmp", NULL, "default", 0, 0);
	run_op(s, op);
	status = op->status;
	op_free(op);
	return (status);
}

/* A claim of job id (its run `attempts`, started at `at`), not yet
 * submitted; tag: as for op_new. */
static struct store_op *
claim_new(int64_t id, int attempts, int64_t at, int64_t tag)
{
	struct store_op *op = op_new(STORE_CLAIM, tag);

	op->in.claim.id = id;
	op->in.claim.attempts = attempts;
	op->in.claim.started_at = at;
	return (op);
}

/* A claim that must succeed: its op, for the output fields; op_free it.
 * claim_op: started at 1. */
static struct store_op *
claim_op_at(struct store *s, int64_t id, int attempts, int64_t at)
{
	struct store_op *op = claim_new(id, attempts, at, 0);

	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	return (op);
}

static struct store_op *
claim_op(struct store *s, int64_t id, int attempts)
{
	return (claim_op_at(s, id, attempts, 1));
}

/* A claim for the Slurm executor (in.claim.slurm) that must succeed. */
static void
claim_slurm(struct store *s, int64_t id, int attempts, int64_t at)
{
	struct store_op *op = claim_new(id, attempts, at, 0);

	op->in.claim.slurm = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
}

/* A reread (in.claim.reread) of running job id's spec: its op, status not
 * checked; op_free it. */
static struct store_op *
claim_reread(struct store *s, int64_t id)
{
	struct store_op *op = op_new(STORE_CLAIM, 0);

	op->in.claim.id = id;
	op->in.claim.reread = 1;
	run_op(s, op);
	return (op);
}

/* STORE_SLURM_ID: run `attempts` of job id is Slurm job slurm_id (known at
 * `at`); the op's status. */
static int
do_slurm_id(struct store *s, int64_t id, int attempts, int64_t slurm_id,
    int64_t at)
{
	struct store_op *op = op_new(STORE_SLURM_ID, 0);
	int status;

	op->in.slurm_id.id = id;
	op->in.slurm_id.attempts = attempts;
	op->in.slurm_id.slurm_id = slurm_id;
	op->in.slurm_id.at = at;
	run_op(s, op);
	status = op->status;
	op_free(op);
	return (status);
}

static int
do_claim(struct store *s, int64_t id, int attempts, int64_t at)
{
	struct store_op *op = claim_new(id, attempts, at, 0);
	int status;

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

	op->in.list.states = state >= 0 ? 1u << state : 0;
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

static void	check_counts_table(void);

START_TEST(test_claim_update)
{
	struct store *s;
	struct store_op *op, *ins, *upd;
	struct store_update u, v;
	const jobq_job *j;
	int64_t id;

	s = open_store(1);
	id = do_insert(s, "default", 2);

	op = claim_op_at(s, id, 1, 5000);
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
	ck_assert_ptr_null(op->out.job->usage_from);	/* none yet */
	ck_assert_int_eq(op->out.job->mem_peak, 0);
	op_free(op);

	/* Failed (with what the run used), then queued again for a retry. */
	u.state = JOBQ_STATE_FAILED;
	u.pid = 0;
	u.exit_code = 3;
	u.finished_at = 7000;
	u.reason = "exit_code";
	u.message = "exited with status 3";
	u.usage.from = "cgroup";
	u.usage.mem_peak = 52428800;
	u.usage.cpu_user_us = 500000;
	u.usage.cpu_sys_us = 12345;
	ck_assert_int_eq(do_update(s, &u), 0);
	op = do_get(s, id);
	j = op->out.job;
	ck_assert_str_eq(j->usage_from, "cgroup");
	ck_assert_int_eq(j->mem_peak, 52428800);
	ck_assert_int_eq(j->cpu_user_us, 500000);
	ck_assert_int_eq(j->cpu_sys_us, 12345);
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
	/* an update without usage leaves the last run's */
	ck_assert_str_eq(j->usage_from, "cgroup");
	ck_assert_int_eq(j->mem_peak, 52428800);
	ck_assert_int_eq(j->cpu_sys_us, 12345);
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

	/* A run's start (set_started): started_at and pid only, any state,
	 * the counts untouched; pid 0 keeps the pid */
	memset(&v, 0, sizeof(v));
	v.id = id;
	v.set_started = 1;
	v.state = JOBQ_STATE_FAILED;	/* ignored */
	v.started_at = 8100;
	v.pid = 777;
	ck_assert_int_eq(do_update(s, &v), 0);
	op = do_get(s, id);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(j->started_at, 8100);
	ck_assert_int_eq(j->pid, 777);
	ck_assert_int_eq(j->attempts, 2);
	ck_assert_str_eq(j->usage_from, "cgroup");
	op_free(op);
	v.pid = 0;
	v.started_at = 8200;
	ck_assert_int_eq(do_update(s, &v), 0);
	op = do_get(s, id);
	ck_assert_int_eq(op->out.job->pid, 777);
	ck_assert_int_eq(op->out.job->started_at, 8200);
	op_free(op);
	check_counts_table();
	v.id = id + 1000;
	ck_assert_int_eq(do_update(s, &v), JOBQ_ENOTFOUND);
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

/* A job with dependencies inserted into s (state queued). */
static int64_t
do_insert_deps(struct store *s, const jobq_dep *deps, size_t ndeps)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env_one, "/tmp", NULL, "default", 0, 0);
	op->in.insert.deps = deps;
	op->in.insert.ndeps = ndeps;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	return (id);
}

/* Recovery's dependency pass: each queued job's dependencies, in job id
 * order, with their states (-1: purged); a job not queued has none read;
 * queued jobs without any have ndeps 0. */
START_TEST(test_recover_deps)
{
	struct store *s;
	struct store_recovery r;
	struct store_update u;
	struct store_op *op;
	jobq_dep deps[3];
	int64_t a, b, c, d, e, f;
	size_t i;

	s = open_store(1);
	a = do_insert(s, "default", 0);		/* succeeds */
	b = do_insert(s, "default", 0);		/* stays queued */
	memset(deps, 0, sizeof(deps));
	deps[0].id = a;
	deps[0].mode = JOBQ_DEP_OK;
	deps[1].id = b;
	deps[1].mode = JOBQ_DEP_ANY;
	deps[2].id = 999999;			/* no such job: purged */
	deps[2].mode = JOBQ_DEP_NOTOK;
	c = do_insert_deps(s, deps, 3);		/* queued, 3 deps */
	d = do_insert(s, "default", 0);		/* queued, none */
	e = do_insert_deps(s, deps, 1);		/* claimed: not read */
	f = do_insert_deps(s, &deps[1], 1);	/* queued, 1 dep */
	ck_assert_int_eq(do_claim(s, a, 1, 100), 0);
	memset(&u, 0, sizeof(u));
	u.id = a;
	u.state = JOBQ_STATE_SUCCEEDED;
	u.exit_code = 0;
	u.finished_at = 200;
	ck_assert_int_eq(do_update(s, &u), 0);
	ck_assert_int_eq(do_claim(s, e, 1, 100), 0);
	u.id = e;
	u.state = JOBQ_STATE_FAILED;
	u.exit_code = 1;
	ck_assert_int_eq(do_update(s, &u), 0);
	close_store(s);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 1000), 0);
	ck_assert_uint_eq(r.nqueued, 4);
	ck_assert_int_eq(r.queued[0].id, b);
	ck_assert_int_eq(r.queued[1].id, c);
	ck_assert_int_eq(r.queued[2].id, d);
	ck_assert_int_eq(r.queued[3].id, f);
	ck_assert_uint_eq(r.queued[0].ndeps, 0);
	ck_assert_uint_eq(r.queued[2].ndeps, 0);
	ck_assert_uint_eq(r.ndeps, 4);
	ck_assert_uint_eq(r.queued[1].ndeps, 3);
	ck_assert_uint_eq(r.queued[3].ndeps, 1);
	ck_assert_uint_lt(r.queued[1].dep_first, r.queued[3].dep_first);
	for (i = 0; i < 3; i++) {
		const struct store_dep *sd =
		    &r.deps[r.queued[1].dep_first + i];

		if (sd->dep_id == a) {
			ck_assert_int_eq(sd->mode, JOBQ_DEP_OK);
			ck_assert_int_eq(sd->dep_state, JOBQ_STATE_SUCCEEDED);
		} else if (sd->dep_id == b) {
			ck_assert_int_eq(sd->mode, JOBQ_DEP_ANY);
			ck_assert_int_eq(sd->dep_state, JOBQ_STATE_QUEUED);
		} else {
			ck_assert_int_eq(sd->dep_id, 999999);
			ck_assert_int_eq(sd->mode, JOBQ_DEP_NOTOK);
			ck_assert_int_eq(sd->dep_state, -1);
		}
	}
	ck_assert_int_eq(r.deps[r.queued[3].dep_first].dep_id, b);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	op = do_get(s, e);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_FAILED);
	op_free(op);
	close_store(s);
}
END_TEST

/* store_recover_stream + store_recover_queued_each + store_recover_deps_all
 * (jobqd's way): the same jobs and dependencies as store_recover, one at
 * a time, without r->queued; a nonzero return of the callback stops. */
struct stream_seen {
	int64_t ids[8];
	char queues[8][16];
	size_t n;
	size_t stop_after;	/* 0: never */
};

static int
stream_cb(void *arg, const struct store_queued *q)
{
	struct stream_seen *v = arg;

	ck_assert_uint_lt(v->n, 8);
	ck_assert_uint_eq(q->ndeps, 0);
	v->ids[v->n] = q->id;
	snprintf(v->queues[v->n], sizeof v->queues[0], "%s", q->queue);
	v->n++;
	return v->stop_after != 0 && v->n == v->stop_after ? -77 : 0;
}

START_TEST(test_recover_stream)
{
	struct store *s;
	struct store_recovery r;
	struct store_dep *deps;
	struct stream_seen v;
	jobq_dep dep[2];
	int64_t a, b, c, d;
	size_t n;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "other", 0);
	memset(dep, 0, sizeof(dep));
	dep[0].id = a;
	dep[0].mode = JOBQ_DEP_OK;
	dep[1].id = b;
	dep[1].mode = JOBQ_DEP_ANY;
	c = do_insert_deps(s, dep, 2);
	d = do_insert_deps(s, &dep[1], 1);
	ck_assert_int_eq(do_claim(s, a, 1, 100), 0);	/* running: recovered */
	close_store(s);

	s = open_store(0);
	ck_assert_int_eq(store_recover_stream(s, &r, 1000), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);
	ck_assert_uint_eq(r.nqueued, 0);
	ck_assert_ptr_null(r.queued);
	ck_assert_uint_eq(r.nqueued_counted, 3);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(store_recover_queued_each(s, stream_cb, &v), 0);
	ck_assert_uint_eq(v.n, 3);	/* a is interrupted (no retries) */
	ck_assert_int_eq(v.ids[0], b);
	ck_assert_int_eq(v.ids[1], c);
	ck_assert_int_eq(v.ids[2], d);
	ck_assert_str_eq(v.queues[0], "other");
	ck_assert_str_eq(v.queues[1], "default");
	/* stopped by the callback: its code back, the statement reset */
	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	ck_assert_int_eq(store_recover_queued_each(s, stream_cb, &v), -77);
	ck_assert_uint_eq(v.n, 2);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(store_recover_queued_each(s, stream_cb, &v), 0);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_int_eq(store_recover_deps_all(s, &deps, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(deps[0].job_id, c);
	ck_assert_int_eq(deps[1].job_id, c);
	ck_assert_int_eq(deps[2].job_id, d);
	ck_assert_int_eq(deps[2].dep_id, b);
	ck_assert_int_eq(deps[2].mode, JOBQ_DEP_ANY);
	ck_assert_int_eq(deps[2].dep_state, JOBQ_STATE_QUEUED);
	ck_assert(deps[0].dep_id == a || deps[1].dep_id == a);
	ck_assert_int_eq(deps[deps[0].dep_id == a ? 0 : 1].dep_state,
	    JOBQ_STATE_INTERRUPTED);
	free(deps);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	close_store(s);
}
END_TEST

/* store_recover_queued_each over thousands of rows written straight into
 * the table (as bench/backlog.sh does): every row once, in id order, each
 * with its own queue, priority and request; stopped by the callback at
 * two points, then a full read again from the start. */
#define LOAD_N 2600
struct load_seen {
	int64_t last;
	size_t n, stop_after, bad;
};

static int
load_cb(void *arg, const struct store_queued *q)
{
	struct load_seen *v = arg;
	char want[16];
	int64_t x = q->id;	/* the rows below: id x is row x */

	snprintf(want, sizeof(want), "q%d", (int)(x % 3 == 0 ? 0 : x % 7));
	if (q->id <= v->last || strcmp(q->queue, want) != 0 ||
	    q->priority != (int)(x % 5) ||
	    (x % 11 == 0) != (q->res != NULL) ||
	    (q->res != NULL && strcmp(q->res, "gpu:1") != 0))
		v->bad++;
	v->last = q->id;
	v->n++;
	return v->stop_after != 0 && v->n == v->stop_after ? -78 : 0;
}

START_TEST(test_recover_load_chunks)
{
	struct store *s;
	struct store_recovery r;
	struct load_seen v;
	sqlite3 *db;
	char sql[1024];

	s = open_store(1);
	close_store(s);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 "
	    "UNION ALL SELECT x + 1 FROM c WHERE x < %d) INSERT INTO jobs "
	    "(id, state, queue, owner_uid, argv, env, cwd, submitted_at, "
	    "priority, res) SELECT x, 'queued', 'q' || (CASE WHEN x %% 3 = 0 "
	    "THEN 0 ELSE x %% 7 END), 0, '[\"/bin/true\"]', '[]', '/', 1000, "
	    "x %% 5, CASE WHEN x %% 11 = 0 THEN 'gpu:1' END FROM c; COMMIT",
	    LOAD_N);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

	s = open_store(0);
	ck_assert_int_eq(store_recover_stream(s, &r, 2000), 0);
	ck_assert_uint_eq(r.nqueued_counted, LOAD_N);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(store_recover_queued_each(s, load_cb, &v), 0);
	ck_assert_uint_eq(v.n, LOAD_N);
	ck_assert_uint_eq(v.bad, 0);
	ck_assert_int_eq(v.last, LOAD_N);
	memset(&v, 0, sizeof(v));
	v.stop_after = 1100;
	ck_assert_int_eq(store_recover_queued_each(s, load_cb, &v), -78);
	ck_assert_uint_eq(v.n, 1100);
	memset(&v, 0, sizeof(v));
	v.stop_after = 513;
	ck_assert_int_eq(store_recover_queued_each(s, load_cb, &v), -78);
	ck_assert_uint_eq(v.n, 513);
	ck_assert_uint_eq(v.bad, 0);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(store_recover_queued_each(s, load_cb, &v), 0);
	ck_assert_uint_eq(v.n, LOAD_N);
	ck_assert_uint_eq(v.bad, 0);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
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
	ops[2] = claim_new(first, 1, 1, base + 2);
	ops[3] = op_new(STORE_GET, base + 3);
	ops[3]->in.get.id = first;
	ops[4] = op_new(STORE_LIST, base + 4);
	ops[4]->in.list.states = 0;
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

	op = claim_op(s, id, 1);
	for (i = 0; argv[i] != NULL; i++)
		ck_assert_str_eq(op->out.claim.argv[i], argv[i]);
	ck_assert_ptr_null(op->out.claim.argv[i]);
	for (i = 0; env[i] != NULL; i++)
		ck_assert_str_eq(op->out.claim.env[i], env[i]);
	ck_assert_ptr_null(op->out.claim.env[i]);
	ck_assert_str_eq(op->out.claim.cwd, cwd);
	op_free(op);

	op = claim_op(s, id2, 1);
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

/* ---- schema v2 and the scheduling ops ---- */

/* One integer from the database file (the store must be closed). */
static int64_t
sql_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	return (v);
}

static struct store_op *
do_get_index(struct store *s, int64_t array_id, int64_t index)
{
	struct store_op *op = op_new(STORE_GET, 0);

	op->in.get.id = array_id;
	op->in.get.index = index;
	op->in.get.by_index = 1;
	run_op(s, op);
	return (op);
}

/* Sets a job's outcome: terminal state st, finished at `at`. */
static void
do_end(struct store *s, int64_t id, jobq_state st, int64_t at)
{
	struct store_update u;

	memset(&u, 0, sizeof(u));
	u.id = id;
	u.state = st;
	u.attempts = -1;
	u.exit_code = st == JOBQ_STATE_SUCCEEDED ? 0 : -1;
	u.finished_at = at;
	u.not_before = -1;
	u.reason = st == JOBQ_STATE_SUCCEEDED ? "exit_code" : "test";
	ck_assert_int_eq(do_update(s, &u), 0);
}

static int64_t
do_insert_key(struct store *s, uint32_t uid, const char *key, int *existing)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.owner_uid = uid;
	op->in.insert.unique_key = key;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	*existing = op->out.insert.existing;
	op_free(op);
	return (id);
}

static int64_t
do_insert_array(struct store *s, int64_t first, int64_t step, int64_t count,
    int throttle, int64_t *first_task)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env_one, "/arr", "arr", "aq", 1, 0);
	op->in.insert.array_first = first;
	op->in.insert.array_step = step;
	op->in.insert.array_count = count;
	op->in.insert.array_throttle = throttle;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	ck_assert_int_eq(op->out.insert.first_task, id + 1);
	ck_assert_int_eq(op->out.insert.existing, 0);
	if (first_task != NULL)
		*first_task = op->out.insert.first_task;
	op_free(op);
	return (id);
}

/* The id counter the database holds: what store_open() loads (ST_NEXT_ID:
 * meta.next_id is only a floor; sqlite_sequence and the rows count too). */
static int64_t
db_next_id(void)
{
	return (sql_int("SELECT max("
	    "coalesce((SELECT value FROM meta WHERE key = 'next_id'), 1), "
	    "coalesce((SELECT max(id) FROM jobs), 0) + 1, "
	    "coalesce((SELECT max(id) FROM arrays), 0) + 1, "
	    "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), "
	    "0) + 1)"));
}

/* The counts table (kept by triggers) equals a GROUP BY over jobs. */
static void
check_counts_table(void)
{
	ck_assert_int_eq(sql_int("SELECT count(*) FROM ("
	    "SELECT queue, state, n FROM counts WHERE n != 0 EXCEPT "
	    "SELECT queue, state, count(*) FROM jobs GROUP BY queue, state)"),
	    0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM ("
	    "SELECT queue, state, count(*) FROM jobs GROUP BY queue, state "
	    "EXCEPT SELECT queue, state, n FROM counts)"), 0);
}

/* A STORE_SCHEDULE op of kind on a row. */
static struct store_op *
op_sched(enum store_schedule_kind kind, const struct store_schedule *row)
{
	struct store_op *op = op_new(STORE_SCHEDULE, 0);

	op->in.schedule.kind = kind;
	op->in.schedule.row = *row;
	return (op);
}

static int
do_sched(struct store *s, enum store_schedule_kind kind,
    const struct store_schedule *row, int64_t *id)
{
	struct store_op *op = op_sched(kind, row);
	int status;

	run_op(s, op);
	status = op->status;
	if (id != NULL)
		*id = op->out.schedule.id;
	op_free(op);
	return (status);
}

/* Schedules: rows added (unique per owner and name), a fire committed with
 * its job's INSERT or not at all (a full disk rolls both back), steps
 * without a job, pause, remove, the list filter, loading at recovery. */
START_TEST(test_schedules)
{
	struct store_schedule row, adv;
	struct store_schedule_fire fire;
	struct store_recovery r;
	struct store_op *op;
	struct store *s;
	int64_t sid, sid2, job;

	s = open_store(1);
	memset(&row, 0, sizeof(row));
	row.name = "n";
	row.owner_uid = 1000;
	row.every_ms = 1000;
	row.anchor = 5000;
	row.catch_up = 2;
	row.overlap = 1;
	row.job = "{\"argv\":[\"x\"]}";
	row.created_at = 5000;
	row.next_fire = 6000;
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_ADD, &row, &sid), 0);
	ck_assert_int_gt(sid, 0);
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_ADD, &row, NULL),
	    JOBQ_EINVAL);
	row.owner_uid = 1001;
	row.cron = "*/5 * * * *";
	row.tz = "UTC";
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_ADD, &row, &sid2), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM schedules"), 2);

	/* a fire: the job and the row in one transaction */
	memset(&fire, 0, sizeof(fire));
	fire.id = sid;
	fire.last_fire = 6000;
	fire.next_fire = 7000;
	fire.misses = 2;
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.schedule = "n";
	op->in.insert.fire = &fire;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	job = op->out.insert.id;
	op_free(op);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "schedule = 'n'"), 1);
	ck_assert_int_eq(sql_int("SELECT runs * 1000000 + misses * 1000 + "
	    "(last_job = (SELECT max(id) FROM jobs)) FROM schedules WHERE "
	    "owner_uid = 1000"), 1002001);
	ck_assert_int_eq(sql_int("SELECT last_fire + next_fire FROM schedules "
	    "WHERE owner_uid = 1000"), 13000);
	op = do_get(s, job);
	ck_assert_str_eq(op->out.job->schedule, "n");
	op_free(op);

	/* a full disk: neither the job nor the fire */
	fire.last_fire = 7000;
	fire.next_fire = 8000;
	fire.misses = 0;
	fail_next = 1;
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.schedule = "n";
	op->in.insert.fire = &fire;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ESTORAGE);
	op_free(op);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "schedule = 'n'"), 1);
	ck_assert_int_eq(sql_int("SELECT runs * 100000 + last_fire FROM "
	    "schedules WHERE owner_uid = 1000"), 106000);

	/* a run-now (next_fire -1: unchanged) */
	fire.last_fire = 6500;
	fire.next_fire = -1;
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.schedule = "n";
	op->in.insert.fire = &fire;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	ck_assert_int_eq(sql_int("SELECT runs * 100000 + next_fire FROM "
	    "schedules WHERE owner_uid = 1000"), 207000);

	/* a skip: no job */
	memset(&adv, 0, sizeof(adv));
	adv.id = sid;
	adv.last_fire = -1;
	adv.next_fire = 8000;
	adv.misses = 1;
	adv.skips = 1;
	adv.last_skip = 7100;
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_ADVANCE, &adv, NULL), 0);
	ck_assert_int_eq(sql_int("SELECT skips * 1000000000 + misses * "
	    "100000000 + last_skip * 10000 + last_fire FROM schedules WHERE "
	    "owner_uid = 1000"), 1000000000 + 300000000 + 71000000 + 6500);

	/* the list filter */
	op = op_new(STORE_LIST, 0);
	op->in.list.schedule = "n";
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.list.n, 2);
	op_free(op);
	op = op_new(STORE_LIST, 0);
	op->in.list.schedule = "other";
	run_op(s, op);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);

	/* pause, remove */
	adv.paused = 1;
	adv.next_fire = 0;
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_PAUSE, &adv, NULL), 0);
	ck_assert_int_eq(sql_int("SELECT paused * 10 + next_fire FROM "
	    "schedules WHERE owner_uid = 1000"), 10);
	adv.id = sid2;
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_REMOVE, &adv, NULL), 0);
	ck_assert_int_eq(do_sched(s, STORE_SCHEDULE_REMOVE, &adv, NULL),
	    JOBQ_ENOTFOUND);
	close_store(s);

	/* loaded at start-up, as stored */
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 9000), 0);
	ck_assert_uint_eq(r.nschedules, 1);
	ck_assert_str_eq(r.schedules[0].name, "n");
	ck_assert_ptr_null(r.schedules[0].cron);
	ck_assert_int_eq(r.schedules[0].every_ms, 1000);
	ck_assert_int_eq(r.schedules[0].overlap, 1);
	ck_assert_int_eq(r.schedules[0].catch_up, 2);
	ck_assert_int_eq(r.schedules[0].runs, 2);
	ck_assert_int_eq(r.schedules[0].skips, 1);
	ck_assert_int_eq(r.schedules[0].paused, 1);
	ck_assert_str_eq(r.schedules[0].job, "{\"argv\":[\"x\"]}");
	store_recovery_release(&r);
	close_store(s);
}
END_TEST

/* --- slots and resources (schema 12) --- */

START_TEST(test_res)
{
	static const char *const add[] = { "A=2", "JOBQ_RES_GPU=1,3",
	    "CUDA_VISIBLE_DEVICES=1,3", NULL };
	struct store *s;
	struct store_op *op;
	struct store_update u;
	int64_t id, plain;
	char q[128];

	s = open_store(1);
	op = op_insert(argv_true, env_one, "/tmp", NULL, "default", 1, 0);
	op->in.insert.slots = 3;
	op->in.insert.res = "gpu=2";
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	plain = do_insert(s, "default", 0);
	op = do_get(s, id);
	ck_assert_int_eq(op->out.job->slots, 3);
	ck_assert_str_eq(op->out.job->res, "gpu=2");
	ck_assert_ptr_null(op->out.job->res_given);
	op_free(op);
	op = do_get(s, plain);
	ck_assert_int_eq(op->out.job->slots, 1);
	ck_assert_ptr_null(op->out.job->res);
	op_free(op);

	/* the claim stores what it was given and sets the variables over
	 * the job's own of the same names */
	op = claim_new(id, 1, 5000, 0);
	op->in.claim.res_given = "gpu=1,3";
	op->in.claim.res_env = add;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_str_eq(op->out.claim.env[0], "A=2");
	ck_assert_str_eq(op->out.claim.env[1], "JOBQ_RES_GPU=1,3");
	ck_assert_str_eq(op->out.claim.env[2], "CUDA_VISIBLE_DEVICES=1,3");
	ck_assert_ptr_null(op->out.claim.env[3]);
	op_free(op);
	snprintf(q, sizeof q, "SELECT res_given = 'gpu=1,3' FROM jobs "
	    "WHERE id = %lld", (long long)id);
	ck_assert_int_eq(sql_int(q), 1);
	/* a claim without resources leaves none behind (bindings reset) */
	ck_assert_int_eq(do_claim(s, plain, 1, 5000), 0);
	snprintf(q, sizeof q, "SELECT res_given IS NULL FROM jobs "
	    "WHERE id = %lld", (long long)plain);
	ck_assert_int_eq(sql_int(q), 1);

	/* queued again (a retry): res_given cleared */
	memset(&u, 0, sizeof(u));
	u.id = id;
	u.state = JOBQ_STATE_QUEUED;
	u.attempts = -1;
	u.exit_code = -1;
	u.finished_at = -1;
	u.not_before = -1;
	ck_assert_int_eq(do_update(s, &u), 0);
	snprintf(q, sizeof q, "SELECT res_given IS NULL FROM jobs "
	    "WHERE id = %lld", (long long)id);
	ck_assert_int_eq(sql_int(q), 1);
	close_store(s);
}
END_TEST

START_TEST(test_fresh)
{
	struct store *s;

	s = open_store(1);
	close_store(s);
	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(STORE_SCHEMA_VERSION, 15);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name = 'env_id'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name IN ('envs', 'envs_hash', 'jobs_env', 'envs_gc', "
	    "'envs_gc_edit')"), 5);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'queues') WHERE name = 'executor'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('slurm_id', 'executor')"), 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name = 'schedule'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'schedules')"), 20);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('slots', 'res', 'res_given')"), 3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name = 'held'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'history')"), 5);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('output_limit', 'claimed')"), 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('submitter_uid', 'run_gid', 'umask')"), 3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('lim_mem', 'lim_cpu_time', 'lim_nofile', "
	    "'lim_nproc', 'lim_core', 'lim_nice', 'lim_cpus')"), 7);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name IN ('mem_peak', 'cpu_user_us', 'cpu_sys_us', "
	    "'usage_from')"), 4);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'jobs') WHERE name = 'on_end'"), 1);
	ck_assert_int_eq(sql_int("PRAGMA application_id"), STORE_APP_ID);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('jobs', 'labels', 'deps', 'arrays', "
	    "'queues', 'meta', 'counts')"), 7);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND name IN ('jobs_state', 'jobs_queue', "
	    "'jobs_unique', 'jobs_array', 'jobs_name', 'jobs_ended', "
	    "'labels_label', 'labels_job', 'deps_job', 'deps_dep')"), 10);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND name IN ('jobs_queue_state', "
	    "'jobs_finished')"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'trigger' AND name LIKE 'counts_%'"), 5);
	ck_assert_int_eq(db_next_id(), 1);
	/* The purge scratch table lives in memory, not in the file. */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'purge_ids'"), 0);
}
END_TEST

/* The v1 schema exactly as jobqd 0.1 created it. */
static const char v1_ddl[] =
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL,"
	" queue TEXT NOT NULL, name TEXT, owner_uid INTEGER NOT NULL,"
	" argv TEXT NOT NULL, env TEXT NOT NULL, cwd TEXT NOT NULL,"
	" submitted_at INTEGER NOT NULL, started_at INTEGER,"
	" finished_at INTEGER, exit_code INTEGER, signal INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_retries INTEGER NOT NULL DEFAULT 0, reason TEXT, message TEXT,"
	" pid INTEGER);"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE INDEX jobs_queue ON jobs(queue, id);"
	"PRAGMA application_id = 1246708305;"	/* 0x4a4f4251 */
	"PRAGMA user_version = 1;";

START_TEST(test_migrate_v1)
{
	struct store *s;
	struct store_op *op;
	const jobq_job *j;
	struct store_recovery r;

	ck_assert_int_eq(STORE_APP_ID, 1246708305);
	sql_file(dbpath, v1_ddl);
	sql_file(dbpath, "INSERT INTO jobs (id, state, queue, name, owner_uid, "
	    "argv, env, cwd, submitted_at) VALUES (3, 'queued', 'q1', 'old', "
	    "42, '[\"/bin/echo\",\"v1\"]', '[\"X=1\"]', '/v1', 1000);"
	    "INSERT INTO jobs (id, state, queue, owner_uid, argv, env, cwd, "
	    "submitted_at, started_at, finished_at, exit_code, attempts, "
	    "reason) VALUES (7, 'succeeded', 'q2', 42, '[\"/bin/true\"]', "
	    "'[]', '/', 2000, 2100, 2200, 0, 1, 'exit_code');"
	    /* v1 ids came from AUTOINCREMENT: 9 was used, then deleted. */
	    "UPDATE sqlite_sequence SET seq = 9 WHERE name = 'jobs';");
	ck_assert_int_eq(sql_int("PRAGMA user_version"), 1);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 5000), 0);
	ck_assert_uint_eq(r.nqueued, 1);
	ck_assert_int_eq(r.queued[0].id, 3);
	ck_assert_int_eq(r.queued[0].priority, 0);
	ck_assert_int_eq(r.queued[0].not_before, 0);
	ck_assert_uint_eq(r.queued[0].ndeps, 0);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);

	op = do_get(s, 3);
	ck_assert_int_eq(op->status, 0);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
	ck_assert_str_eq(j->name, "old");
	ck_assert_str_eq(j->queue, "q1");
	ck_assert_str_eq(j->argv[1], "v1");
	ck_assert_str_eq(j->cwd, "/v1");
	ck_assert_int_eq(j->owner_uid, 42);
	ck_assert_int_eq(j->priority, 0);
	ck_assert_int_eq(j->not_before, 0);
	ck_assert_int_eq(j->timeout_ms, 0);
	ck_assert_int_eq(j->kill_grace_ms, 0);
	ck_assert_int_eq(j->retry_delay_ms, 0);
	ck_assert_ptr_null(j->unique_key);
	ck_assert_ptr_nonnull(j->labels);
	ck_assert_ptr_null(j->labels[0]);
	ck_assert_uint_eq(j->nlabels, 0);
	ck_assert_ptr_null(j->deps);
	ck_assert_uint_eq(j->ndeps, 0);
	ck_assert_int_eq(j->array_id, 0);
	ck_assert_int_eq(j->array_index, 0);
	op_free(op);
	op = do_get(s, 7);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(op->out.job->finished_at, 2200);
	ck_assert_str_eq(op->out.job->reason, "exit_code");
	op_free(op);
	/* The claim of a migrated job still works. */
	ck_assert_int_eq(do_claim(s, 3, 1, 6000), 0);
	/* New ids continue past every id v1 ever gave. */
	ck_assert_int_eq(do_insert(s, "default", 0), 10);
	close_store(s);

	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs"), 3);
	/* The two rows from before 4: submitted by their owner, its
	 * primary group, umask 022 (the one inserted since has its own). */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "submitter_uid IS NULL AND run_gid IS NULL AND umask = 18"), 2);
	/* Jobs from before the resource limits have none. */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE lim_mem IS "
	    "NULL AND lim_nice IS NULL AND lim_cpus IS NULL AND id IN (3, 7)"),
	    2);
	/* Jobs from before 6 have no usage recorded. */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE usage_from "
	    "IS NULL AND mem_peak IS NULL"), 3);
	/* Jobs from before 3 may have output files: never a first run. */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE claimed = 1 "
	    "AND output_limit = 0 AND id IN (3, 7)"), 2);
	ck_assert_int_eq(sql_int("SELECT claimed FROM jobs WHERE id = 10"), 0);
	ck_assert_int_eq(db_next_id(), 11);
	/* v8: counts filled from the rows there, the new indexes made. */
	check_counts_table();
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND name IN ('jobs_ended', 'jobs_name')"), 2);
}
END_TEST

START_TEST(test_output_fields)
{
	struct store_update u;
	struct store *s;
	struct store_op *op;
	int64_t id, arr;

	s = open_store(1);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 1, 0);
	op->in.insert.output_limit = 5000;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	/* The first claim ever: a first run, with the limit asked. */
	op = claim_op(s, id, 1);
	ck_assert_int_eq(op->out.claim.first_run, 1);
	ck_assert_int_eq(op->out.claim.output_limit, 5000);
	op_free(op);
	/* An automatic retry (queued again by an update): not a first run. */
	memset(&u, 0, sizeof(u));
	u.id = id;
	u.state = JOBQ_STATE_QUEUED;
	u.attempts = -1;
	u.exit_code = 1;
	u.finished_at = -1;
	u.not_before = 0;
	ck_assert_int_eq(do_update(s, &u), 0);
	op = claim_op(s, id, 2);
	ck_assert_int_eq(op->out.claim.first_run, 0);
	ck_assert_int_eq(op->out.claim.output_limit, 5000);
	op_free(op);
	/* A retry by hand (attempts back to 0): still not a first run. */
	do_end(s, id, JOBQ_STATE_FAILED, 10);
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = id;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	op = claim_op(s, id, 1);
	ck_assert_int_eq(op->out.claim.first_run, 0);
	op_free(op);
	/* A negative limit is refused; tasks share the array's limit. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.output_limit = -1;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.output_limit = 1 << 20;
	op->in.insert.array_count = 2;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	arr = op->out.insert.id;
	op_free(op);
	op = claim_op(s, arr + 2, 1);
	ck_assert_int_eq(op->out.claim.first_run, 1);
	ck_assert_int_eq(op->out.claim.output_limit, 1 << 20);
	op_free(op);
	/* Without one asked: 0 (the daemon's default). */
	op = claim_op(s, do_insert(s, "default", 0), 1);
	ck_assert_int_eq(op->out.claim.output_limit, 0);
	ck_assert_int_eq(op->out.claim.first_run, 1);
	op_free(op);
	close_store(s);
}
END_TEST

/* Resource limits: stored as given (NULL for those not set), handed to
 * the claim and shown by a get; a task has its array's; out of bounds
 * refused; a row out of bounds fails the read. */
START_TEST(test_rlimits)
{
	struct store *s;
	struct store_op *op;
	jobq_limits l;
	int64_t id, arr;
	char sql[128];

	s = open_store(1);
	memset(&l, 0, sizeof(l));
	l.set = JOBQ_LIMIT_MEM | JOBQ_LIMIT_CORE | JOBQ_LIMIT_NICE |
	    JOBQ_LIMIT_CPUS;
	l.mem = (int64_t)1 << 53;
	l.core = 0;
	l.nice = -20;
	l.cpus = 1500;
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.limits = l;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "lim_cpu_time IS NULL AND lim_nofile IS NULL AND lim_nproc IS "
	    "NULL AND lim_core = 0 AND lim_nice = -20 AND lim_cpus = 1500"), 1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(memcmp(&op->out.job->limits, &l, sizeof(l)), 0);
	op_free(op);
	op = claim_op(s, id, 1);
	ck_assert_int_eq(memcmp(&op->out.claim.limits, &l, sizeof(l)), 0);
	op_free(op);

	/* An array: every task the same. */
	memset(&l, 0, sizeof(l));
	l.set = JOBQ_LIMIT_CPU | JOBQ_LIMIT_NOFILE | JOBQ_LIMIT_NPROC;
	l.cpu_time = 60;
	l.nofile = 3;
	l.nproc = 10;
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.limits = l;
	op->in.insert.array_count = 3;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	arr = op->out.insert.id;
	op_free(op);
	op = do_get_index(s, arr, 2);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(memcmp(&op->out.job->limits, &l, sizeof(l)), 0);
	op_free(op);
	op = claim_op(s, arr + 1, 1);
	ck_assert_int_eq(memcmp(&op->out.claim.limits, &l, sizeof(l)), 0);
	op_free(op);

	/* None: none. */
	op = claim_op(s, do_insert(s, "default", 0), 1);
	ck_assert_uint_eq(op->out.claim.limits.set, 0);
	op_free(op);

	/* Out of bounds: refused, nothing written. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.limits.set = JOBQ_LIMIT_NICE;
	op->in.insert.limits.nice = 20;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	close_store(s);

	/* A damaged row: the get fails rather than hand it out. */
	(void)snprintf(sql, sizeof(sql), "UPDATE jobs SET lim_nofile = 0 "
	    "WHERE id = %lld;", (long long)id);
	sql_file(dbpath, sql);
	s = open_store(1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, JOBQ_EINTERNAL);
	op_free(op);
	close_store(s);
	(void)snprintf(sql, sizeof(sql), "UPDATE jobs SET lim_nofile = NULL, "
	    "lim_cpus = 0 WHERE id = %lld;", (long long)id);
	sql_file(dbpath, sql);
	s = open_store(1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, JOBQ_EINTERNAL);
	op_free(op);
	close_store(s);
}
END_TEST

START_TEST(test_id_floor)
{
	struct store *s;
	int64_t was = -1;

	s = open_store(0);
	/* An empty database, output up to job 300 on disk. */
	ck_assert_int_eq(store_next_id_floor(s, 301, &was), 1);
	ck_assert_int_eq(was, 1);
	ck_assert_int_eq(store_start(s, &loop), 0);
	ck_assert_int_eq(do_insert(s, "default", 0), 301);
	close_store(s);
	ck_assert_int_eq(db_next_id(), 302);
	/* Saved at once, even before an insert. */
	s = open_store(0);
	was = -1;
	ck_assert_int_eq(store_next_id_floor(s, 302, &was), 0);
	ck_assert_int_eq(was, -1);
	ck_assert_int_eq(store_next_id_floor(s, 500, &was), 1);
	ck_assert_int_eq(was, 302);
	close_store(s);
	ck_assert_int_eq(db_next_id(), 500);
	/* A failed batch does not take the counter back below the floor. */
	s = open_store(1);
	fault_rc = SQLITE_FULL;
	ck_assert_int_eq(do_insert_status(s), JOBQ_ESTORAGE);
	fault_rc = 0;
	ck_assert_int_eq(do_insert(s, "default", 0), 500);
	close_store(s);
}
END_TEST

/* The owners of jobs by id, before the store thread (the old layout's
 * output files are moved by them at start-up). */
START_TEST(test_job_owners)
{
	struct store *s;
	struct store_op *op;
	int64_t ids[3], uids[3] = { 7, 7, 7 };

	s = open_store(1);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.owner_uid = 4000000000u;
	run_op(s, op);
	ids[0] = op->out.insert.id;
	op_free(op);
	ids[1] = do_insert(s, "default", 0);	/* uid 1000 */
	ids[2] = ids[1] + 100;			/* no such job */
	close_store(s);
	s = open_store(0);
	ck_assert_int_eq(store_job_owners(s, ids, 3, uids), 0);
	ck_assert_int_eq(uids[0], 4000000000);
	ck_assert_int_eq(uids[1], 1000);
	ck_assert_int_eq(uids[2], -1);
	close_store(s);
}
END_TEST

/* 1 if the file name exists in tdir. */
static int
in_tdir(const char *name)
{
	char p[256];

	(void)snprintf(p, sizeof(p), "%s/%s", tdir, name);
	return (access(p, F_OK) == 0);
}

START_TEST(test_reserve)
{
	struct store_op *ops[2];
	struct store *s;
	struct stat st;
	char p[256];
	int64_t a, b, c;
	int dfd, i, base;

	ck_assert_int_ge(dfd = open(tdir, O_RDONLY | O_DIRECTORY), 0);
	s = open_store(0);
	ck_assert_int_eq(store_reserve_init(s, dfd, "reserve", 8192), 0);
	(void)snprintf(p, sizeof(p), "%s/reserve", tdir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 8192);
	ck_assert_int_eq(store_start(s, &loop), 0);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "default", 0);
	ck_assert_int_eq(do_claim(s, a, 1, 1), 0);

	/* The disk is full: the reserve goes, the batch runs again at once;
	 * the job's end commits, the new submit is refused. */
	fail_next = 1;
	base = n_done;
	ops[0] = op_insert(argv_true, env_one, "/", NULL, "full", 0, base);
	ops[1] = op_new(STORE_UPDATE, base + 1);
	ops[1]->in.update.id = a;
	ops[1]->in.update.state = JOBQ_STATE_SUCCEEDED;
	ops[1]->in.update.attempts = -1;
	ops[1]->in.update.exit_code = 0;
	ops[1]->in.update.finished_at = 7;
	ops[1]->in.update.not_before = -1;
	for (i = 0; i < 2; i++)
		store_submit(s, ops[i]);
	wait_done(base + 2);
	ck_assert_int_eq(ops[0]->status, JOBQ_ESTORAGE);
	ck_assert_int_eq(ops[1]->status, 0);
	for (i = 0; i < 2; i++)
		op_free(ops[i]);
	ck_assert_int_eq(fail_next, 0);
	ck_assert(!in_tdir("reserve"));
	/* While it is gone, state changes still commit... */
	ck_assert_int_eq(do_claim(s, b, 1, 1), 0);
	ck_assert(!in_tdir("reserve"));
	/* ...and a submit makes it again first (there is room here). */
	ck_assert_int_gt(c = do_insert(s, "default", 0), b);
	ck_assert(in_tdir("reserve"));

	/* Full again, and full even with the reserve released: the claim
	 * is not saved. */
	fail_next = 2;
	ck_assert_int_eq(do_claim(s, c, 1, 1), JOBQ_ESTORAGE);
	ck_assert(!in_tdir("reserve"));
	ck_assert_int_eq(fail_next, 0);
	/* Room again: the claim commits. */
	ck_assert_int_eq(do_claim(s, c, 1, 1), 0);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT state = 'succeeded' FROM jobs "
	    "WHERE id = " "1"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE queue = "
	    "'full'"), 0);

	/* A symlink in its place is refused, and left alone. */
	ck_assert_int_eq(symlink("/nonexistent/x", p), 0);
	s = open_store(0);
	ck_assert_int_eq(store_reserve_init(s, dfd, "reserve", 8192),
	    JOBQ_EINVAL);
	close_store(s);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	(void)close(dfd);
}
END_TEST

START_TEST(test_ids_never_reused)
{
	struct store *s;
	struct store_op *op;
	int64_t a, b, c, arr, d, e;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "default", 0);
	c = do_insert(s, "default", 0);
	arr = do_insert_array(s, 0, 1, 3, 0, NULL);
	ck_assert_int_eq(arr, c + 1);
	/* b, c and the whole array end and are purged: the newest ids. */
	do_end(s, b, JOBQ_STATE_SUCCEEDED, 100);
	do_end(s, c, JOBQ_STATE_FAILED, 100);
	do_end(s, arr + 1, JOBQ_STATE_SUCCEEDED, 100);
	do_end(s, arr + 2, JOBQ_STATE_SUCCEEDED, 100);
	do_end(s, arr + 3, JOBQ_STATE_CANCELED, 100);
	op = op_new(STORE_PURGE, 0);
	op->in.purge.state = -1;
	op->in.purge.owner_uid = -1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.purge.n, 5);
	op_free(op);
	op = do_get(s, arr);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);	/* array row gone */
	op_free(op);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT max(id) FROM jobs"), a);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM arrays"), 0);

	s = open_store(1);
	d = do_insert(s, "default", 0);
	ck_assert_int_gt(d, arr + 3);
	e = do_insert_array(s, 0, 1, 2, 0, NULL);
	ck_assert_int_eq(e, d + 1);
	ck_assert_int_gt(do_insert(s, "default", 0), e + 2);
	close_store(s);
}
END_TEST

static size_t	do_purge(struct store *, int64_t, int, int64_t, size_t,
		    const char *);

/* A lazy write (store_submit_lazy) commits on its own after STORE_LAZY_MS,
 * or with the next op submitted, in one COMMIT with it; the ops one loop
 * turn submits go as one batch. */
START_TEST(test_lazy_and_batching)
{
	struct store *s;
	struct store_op *a, *b;
	int64_t id;
	int base, commits;

	s = open_store(1);
	id = do_insert(s, "default", 0);
	/* lazy alone: done, in one commit of its own */
	a = op_new(STORE_UPDATE, 1);
	a->in.update.id = id;
	a->in.update.state = JOBQ_STATE_QUEUED;
	a->in.update.attempts = -1;
	a->in.update.exit_code = -1;
	a->in.update.not_before = -1;
	a->in.update.pid = 4242;
	base = n_done;
	commits = n_commits;
	store_submit_lazy(s, a);
	wait_done(base + 1);
	ck_assert_int_eq(a->status, 0);
	ck_assert_int_eq(n_commits, commits + 1);
	/* lazy, then an ordinary write: one commit for both, in order */
	b = op_new(STORE_UPDATE, 2);
	b->in.update = a->in.update;
	b->in.update.pid = 4343;
	a->in.update.pid = 4444;
	base = n_done;
	commits = n_commits;
	store_submit_lazy(s, a);
	store_submit(s, b);
	wait_done(base + 2);
	ck_assert_int_eq(n_commits, commits + 1);
	ck_assert_int_eq(seq[base], 1);
	ck_assert_int_eq(seq[base + 1], 2);
	/* two ordinary writes of one loop turn: one batch */
	base = n_done;
	commits = n_commits;
	store_submit(s, a);
	store_submit(s, b);
	wait_done(base + 2);
	ck_assert_int_eq(n_commits, commits + 1);
	op_free(a);
	op_free(b);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT pid FROM jobs"), 4343);
}
END_TEST

/* Schema v8: a commit no longer writes meta (the floor stays as it was),
 * and the counter still never goes back after the newest rows are purged
 * and the store reopened. */
START_TEST(test_no_meta_write)
{
	struct store *s;
	int64_t a, b, arr;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "default", 0);
	arr = do_insert_array(s, 0, 1, 2, 0, NULL);
	ck_assert_int_eq(do_claim(s, b, 1, 7), 0);
	do_end(s, b, JOBQ_STATE_SUCCEEDED, 10);
	do_end(s, arr + 1, JOBQ_STATE_SUCCEEDED, 11);
	do_end(s, arr + 2, JOBQ_STATE_FAILED, 12);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT value FROM meta WHERE key = "
	    "'next_id'"), 1);
	ck_assert_int_eq(db_next_id(), arr + 3);
	s = open_store(1);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 0, NULL), 3);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT max(id) FROM jobs"), a);
	ck_assert_int_eq(sql_int("SELECT value FROM meta WHERE key = "
	    "'next_id'"), 1);
	s = open_store(1);
	ck_assert_int_eq(do_insert(s, "default", 0), arr + 3);
	close_store(s);
	check_counts_table();
}
END_TEST

/* The counts table follows every kind of write: inserts (jobs, arrays, a
 * job canceled at insert), claims, ends, retries, purges, recovery. */
START_TEST(test_counts_table)
{
	struct store *s;
	struct store_op *op;
	int64_t a, b, c, arr;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "q2", 0);
	c = do_insert(s, "q2", 1);
	arr = do_insert_array(s, 0, 1, 5, 0, NULL);
	close_store(s);
	check_counts_table();
	ck_assert_int_eq(sql_int("SELECT n FROM counts WHERE queue = 'aq' "
	    "AND state = 'queued'"), 5);
	s = open_store(1);
	ck_assert_int_eq(do_claim(s, a, 1, 5), 0);
	ck_assert_int_eq(do_claim(s, c, 1, 5), 0);
	ck_assert_int_eq(do_claim(s, arr + 1, 1, 5), 0);
	do_end(s, a, JOBQ_STATE_SUCCEEDED, 10);
	do_end(s, b, JOBQ_STATE_CANCELED, 11);
	do_end(s, arr + 1, JOBQ_STATE_FAILED, 12);
	close_store(s);
	check_counts_table();
	s = open_store(1);
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = arr + 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	close_store(s);
	check_counts_table();
	/* Recovery: c was running (1 retry left: requeued). */
	s = open_store(1);
	close_store(s);
	check_counts_table();
	s = open_store(1);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 0, NULL), 2);
	op = op_new(STORE_COUNTS, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	/* aq, default (no job left, no settings: gone), q2 */
	ck_assert_uint_eq(op->out.counts.n, 2);
	ck_assert_str_eq(op->out.counts.v[0].name, "aq");
	ck_assert_uint_eq(op->out.counts.v[0].counts[JOBQ_STATE_QUEUED], 5);
	ck_assert_str_eq(op->out.counts.v[1].name, "q2");
	op_free(op);
	close_store(s);
	check_counts_table();
}
END_TEST

/* ---- argv / env columns: store_row_strv_parse ---- */

static const struct {
	const char *json;
	const char *v[4];	/* NULL-terminated */
} strv_ok[] = {
	{ "[]", { NULL } },
	{ " [ ]\n", { NULL } },
	{ "[\"a\"]", { "a", NULL } },
	{ "[\"a\",\"\",\"b c\"]", { "a", "", "b c", NULL } },
	{ "\t[ \"a\" ,\r\n \"b\" ] ", { "a", "b", NULL } },
	{ "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", { "\"\\/\b\f\n\r\t", NULL } },
	{ "[\"A=\\u00e9\\u20AC\"]", { "A=\xc3\xa9\xe2\x82\xac", NULL } },
	{ "[\"\\ud83d\\ude00x\"]", { "\xf0\x9f\x98\x80x", NULL } },
	{ "[\"\\u0001\\u001f\\u0041\"]", { "\x01\x1f" "A", NULL } },
	{ "[\"\xc3\xa9\xff\"]", { "\xc3\xa9\xff", NULL } },	/* bytes as is */
};

static const char *const strv_bad[] = {
	"", "[", "]", "[\"a\"", "[\"a\",]", "[,\"a\"]", "[\"a\" \"b\"]", "[1]",
	"[\"a\"]x", "[\"a\"],", "[\"\\x\"]", "[\"\\u0000\"]", "[\"\\ud800\"]",
	"[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\ud800\\\"]", "[\"\\u12\"]",
	"[\"\\u12g4\"]", "[\"a\nb\"]", "[\"\t\"]", "{\"a\":1}", "[\"abc",
	"[\"abc\\", "[null]", "[[\"a\"]]", "\"a\"",
};

START_TEST(test_strv_parse)
{
	char **v;
	size_t i, k, n;

	for (i = 0; i < sizeof(strv_ok) / sizeof(strv_ok[0]); i++) {
		ck_assert_msg(store_row_strv_parse(strv_ok[i].json, &v, &n) == 0,
		    "refused %s", strv_ok[i].json);
		for (k = 0; strv_ok[i].v[k] != NULL; k++) {
			ck_assert_ptr_nonnull(v[k]);
			ck_assert_str_eq(v[k], strv_ok[i].v[k]);
		}
		ck_assert_ptr_null(v[k]);
		ck_assert_uint_eq(n, k);
		util_strv_free(v);
	}
	for (i = 0; i < sizeof(strv_bad) / sizeof(strv_bad[0]); i++) {
		v = (char **)1;
		ck_assert_msg(store_row_strv_parse(strv_bad[i], &v, &n) ==
		    JOBQ_EINTERNAL, "accepted %s", strv_bad[i]);
		ck_assert_ptr_null(v);
	}
	ck_assert_int_eq(store_row_strv_parse(NULL, &v, NULL), JOBQ_EINTERNAL);
}
END_TEST

/* Random vectors of random strings (any byte but NUL), written as the
 * store writes them (cJSON): read back the same, as cJSON reads them. */
START_TEST(test_strv_parse_random)
{
	char *in[9], **v, *json, buf[9][40];
	cJSON *a;
	size_t n, k, len;
	int it;

	srandom(1234);
	for (it = 0; it < 20000; it++) {
		n = (size_t)(random() % 9);
		for (k = 0; k < n; k++) {
			len = (size_t)(random() % 39);
			for (size_t c = 0; c < len; c++)
				/* mostly what needs escaping */
				buf[k][c] = (char)(random() % 2 ?
				    1 + random() % 0x7f : 1 + random() % 255);
			buf[k][len] = '\0';
			in[k] = buf[k];
		}
		in[n] = NULL;
		json = store_row_strv_json((const char *const *)in, n);
		ck_assert_ptr_nonnull(json);
		ck_assert_msg(store_row_strv_parse(json, &v, &len) == 0,
		    "refused %s", json);
		ck_assert_uint_eq(len, n);
		ck_assert_ptr_nonnull(a = cJSON_Parse(json));
		ck_assert_int_eq(cJSON_GetArraySize(a), (int)n);
		for (k = 0; k < n; k++) {
			ck_assert_str_eq(v[k], in[k]);
			ck_assert_str_eq(v[k],
			    cJSON_GetArrayItem(a, (int)k)->valuestring);
		}
		ck_assert_ptr_null(v[n]);
		cJSON_Delete(a);
		util_strv_free(v);
		cJSON_free(json);
	}
}
END_TEST

/* The counts triggers as schemas 8 to 14 made them. */
#define COUNTS_TRIGGERS_V14 \
	"DROP TRIGGER counts_insert; DROP TRIGGER counts_update;" \
	"DROP TRIGGER counts_delete; DROP TRIGGER counts_insert_key;" \
	"DROP TRIGGER counts_update_key;" \
	"CREATE TRIGGER counts_insert AFTER INSERT ON jobs BEGIN" \
	" INSERT OR IGNORE INTO counts (queue, state, n)" \
	"  VALUES (new.queue, new.state, 0);" \
	" UPDATE counts SET n = n + 1" \
	"  WHERE queue = new.queue AND state = new.state;" \
	" END;" \
	"CREATE TRIGGER counts_update AFTER UPDATE OF state, queue ON jobs" \
	" WHEN old.state IS NOT new.state OR old.queue IS NOT new.queue BEGIN" \
	" UPDATE counts SET n = n - 1" \
	"  WHERE queue = old.queue AND state = old.state;" \
	" INSERT OR IGNORE INTO counts (queue, state, n)" \
	"  VALUES (new.queue, new.state, 0);" \
	" UPDATE counts SET n = n + 1" \
	"  WHERE queue = new.queue AND state = new.state;" \
	" END;" \
	"CREATE TRIGGER counts_delete AFTER DELETE ON jobs BEGIN" \
	" UPDATE counts SET n = n - 1" \
	"  WHERE queue = old.queue AND state = old.state;" \
	" END;"

/* A schema 14 database migrates to 15: its counts triggers are made anew
 * (each step OR FAIL, no INSERT OR IGNORE, which the writes' OR FAIL would
 * turn into a failure; a BEFORE trigger makes a missing row), and the counts stay exact through every kind of
 * write after it: a first job of a (queue, state), claims, ends, a purge,
 * and another program's plain INSERT and DELETE (bench/backlog.sh's). */
START_TEST(test_migrate_v14)
{
	struct store *s;
	int64_t a, b, c;
	char q[160];

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "q2", 0);
	close_store(s);
	sql_file(dbpath, COUNTS_TRIGGERS_V14 "PRAGMA user_version = 14;");
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'trigger' AND sql LIKE '%OR IGNORE%'"), 2);

	s = open_store(1);
	ck_assert_int_eq(sql_int("PRAGMA user_version"), 15);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'trigger' AND sql LIKE '%OR IGNORE%'"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'trigger' AND name LIKE 'counts_%' AND "
	    "sql LIKE '%OR FAIL%'"), 5);
	check_counts_table();
	c = do_insert(s, "new", 0);	/* no counts row yet */
	ck_assert_int_eq(do_claim(s, a, 1, 5), 0);
	do_end(s, a, JOBQ_STATE_SUCCEEDED, 10);
	do_end(s, b, JOBQ_STATE_CANCELED, 11);
	close_store(s);
	check_counts_table();
	ck_assert_int_eq(sql_int("SELECT n FROM counts WHERE queue = 'new' "
	    "AND state = 'queued'"), 1);
	ck_assert_int_eq(sql_int("SELECT n FROM counts WHERE queue = "
	    "'default' AND state = 'succeeded'"), 1);

	(void)snprintf(q, sizeof(q), "INSERT INTO jobs (state, queue, "
	    "owner_uid, argv, env, cwd, submitted_at) VALUES ('queued', "
	    "'new', 0, '[\"true\"]', '[]', '/', 1); DELETE FROM jobs WHERE "
	    "id = %lld;", (long long)c);
	sql_file(dbpath, q);
	check_counts_table();
	ck_assert_int_eq(sql_int("SELECT n FROM counts WHERE queue = 'new' "
	    "AND state = 'queued'"), 1);
	s = open_store(1);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 0, NULL), 2);
	close_store(s);
	check_counts_table();
	ck_assert_int_eq(sql_int("SELECT coalesce(sum(n), 0) FROM counts"), 1);
}
END_TEST

/* Whether the plan of sql names index (EXPLAIN QUERY PLAN's detail). */
static int
plan_uses(const char *sql, const char *index)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *q;
	int found = 0;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_gt(asprintf(&q, "EXPLAIN QUERY PLAN %s", sql), 0);
	ck_assert_msg(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", q, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strstr((const char *)sqlite3_column_text(st, 3), index) !=
		    NULL)
			found = 1;
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	free(q);
	return (found);
}

/* Retention keeps the keep_count newest ended jobs and removes the oldest
 * first, through the partial index jobs_ended. */
START_TEST(test_retention_index)
{
	struct store *s;
	int64_t id[10];
	int i;

	s = open_store(1);
	for (i = 0; i < 10; i++)
		id[i] = do_insert(s, "default", 0);
	/* Finished in an order unlike the ids': 9, 8, ..., 0 oldest first,
	 * except that 0 and 1 finish last. */
	for (i = 9; i >= 2; i--)
		do_end(s, id[i], JOBQ_STATE_SUCCEEDED, 100 + (9 - i));
	do_end(s, id[1], JOBQ_STATE_FAILED, 200);
	do_end(s, id[0], JOBQ_STATE_SUCCEEDED, 201);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 20, NULL), 0);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 10, NULL), 0);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 4, NULL), 6);
	close_store(s);
	/* Kept: the 4 newest-finished (0, 1, 2, 3). */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs"), 4);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE id IN "
	    "(1, 2, 3, 4)"), 4);
	check_counts_table();
	ck_assert(plan_uses("SELECT id FROM jobs WHERE " STORE_ENDED
	    " ORDER BY finished_at, id LIMIT 5", "jobs_ended"));
	ck_assert(plan_uses("SELECT id FROM jobs WHERE " STORE_ENDED
	    " AND finished_at < 5 ORDER BY finished_at, id", "jobs_ended"));
	ck_assert(plan_uses("SELECT id FROM jobs WHERE name = 'x'",
	    "jobs_name"));
}
END_TEST

START_TEST(test_insert_fields)
{
	static const char *const labels[] = { "team=infra", "k=v=w",
	    "odd=\xff\x01,\"", NULL };
	struct store *s;
	struct store_op *op;
	const jobq_job *j;
	jobq_dep deps[3];
	int64_t d1, d2, id, cid;
	size_t i;

	s = open_store(1);
	d1 = do_insert(s, "default", 0);
	d2 = do_insert(s, "default", 0);
	deps[0].id = d1;
	deps[0].mode = JOBQ_DEP_OK;
	deps[1].id = d2;
	deps[1].mode = JOBQ_DEP_NOTOK;
	deps[2].id = d1;
	deps[2].mode = JOBQ_DEP_ANY;

	op = op_insert(argv_true, env_one, "/w", "named", "prio", 2, 0);
	op->in.insert.priority = -77;
	op->in.insert.not_before = 1800000000000LL;
	op->in.insert.timeout_ms = 60000;
	op->in.insert.kill_grace_ms = 2500;
	op->in.insert.retry_delay_ms = 750;
	op->in.insert.unique_key = "key-1";
	op->in.insert.labels = labels;
	op->in.insert.nlabels = vlen(labels);
	op->in.insert.deps = deps;
	op->in.insert.ndeps = 3;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.insert.existing, 0);
	id = op->out.insert.id;
	ck_assert_int_eq(id, d2 + 1);
	op_free(op);
	close_store(s);

	s = open_store(1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, 0);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
	ck_assert_str_eq(j->name, "named");
	ck_assert_str_eq(j->queue, "prio");
	ck_assert_int_eq(j->max_retries, 2);
	ck_assert_int_eq(j->priority, -77);
	ck_assert_int_eq(j->not_before, 1800000000000LL);
	ck_assert_int_eq(j->timeout_ms, 60000);
	ck_assert_int_eq(j->kill_grace_ms, 2500);
	ck_assert_int_eq(j->retry_delay_ms, 750);
	ck_assert_str_eq(j->unique_key, "key-1");
	ck_assert_uint_eq(j->nlabels, 3);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(j->labels[i], labels[i]);
	ck_assert_ptr_null(j->labels[3]);
	ck_assert_uint_eq(j->ndeps, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(j->deps[i].id, deps[i].id);
		ck_assert_int_eq(j->deps[i].mode, deps[i].mode);
	}
	ck_assert_int_eq(j->array_id, 0);
	op_free(op);

	/* A job whose dependency can never hold is created canceled. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 5);
	op->in.insert.state = JOBQ_STATE_CANCELED;
	op->in.insert.message = "dependency 2 failed";
	op->in.insert.deps = deps;
	op->in.insert.ndeps = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	cid = op->out.insert.id;
	op_free(op);
	op = do_get(s, cid);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_CANCELED);
	ck_assert_str_eq(j->reason, "dependency");
	ck_assert_str_eq(j->message, "dependency 2 failed");
	ck_assert_int_eq(j->finished_at, j->submitted_at);
	ck_assert_int_eq(j->finished_at, 1700000000005LL);
	op_free(op);
	ck_assert_int_eq(do_claim(s, cid, 1, 1), JOBQ_ESTATE);

	/* Priority changes alone; not_before -1 keeps, >= 0 sets. */
	{
		struct store_update u;

		memset(&u, 0, sizeof(u));
		u.id = id;
		u.set_priority = 1;
		u.priority = 500;
		u.state = JOBQ_STATE_FAILED;	/* ignored */
		ck_assert_int_eq(do_update(s, &u), 0);
		op = do_get(s, id);
		ck_assert_int_eq(op->out.job->priority, 500);
		ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
		ck_assert_int_eq(op->out.job->not_before, 1800000000000LL);
		ck_assert_int_eq(op->out.job->max_retries, 2);
		op_free(op);
		u.id = id + 1000;
		ck_assert_int_eq(do_update(s, &u), JOBQ_ENOTFOUND);

		memset(&u, 0, sizeof(u));
		u.id = id;
		u.state = JOBQ_STATE_QUEUED;
		u.attempts = -1;
		u.exit_code = -1;
		u.not_before = -1;
		ck_assert_int_eq(do_update(s, &u), 0);
		op = do_get(s, id);
		ck_assert_int_eq(op->out.job->not_before, 1800000000000LL);
		op_free(op);
		u.not_before = 1234;
		ck_assert_int_eq(do_update(s, &u), 0);
		op = do_get(s, id);
		ck_assert_int_eq(op->out.job->not_before, 1234);
		ck_assert_int_eq(op->out.job->priority, 500);
		op_free(op);
	}

	/* Bad inputs are refused and take no id. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.ndeps = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.array_count = JOBQ_MAX_ARRAY + 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.array_count = 2;
	op->in.insert.array_first = INT64_MAX;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.array_count = 2;
	op->in.insert.unique_key = "k";
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	ck_assert_int_eq(do_insert(s, "default", 0), cid + 1);
	close_store(s);
}
END_TEST

START_TEST(test_array)
{
	static const char *const env_arr[] = { "JOBQ_ARRAY_ID=99", "B=2",
	    "JOBQ_ARRAY_INDEX=x", "JOBQ_ARRAY_IDX=keep", NULL };
	static const char *const labels[] = { "kind=task", NULL };
	struct store *s;
	struct store_op *op;
	const jobq_job *j;
	jobq_dep dep;
	int64_t a, pre, lone;
	size_t i, k;
	char want[64];
	int found_id, found_index;

	s = open_store(1);
	pre = do_insert(s, "default", 0);
	op = op_insert(argv_true, env_arr, "/arr", "arr", "aq", 1, 0);
	op->in.insert.array_first = 3;
	op->in.insert.array_step = 2;
	op->in.insert.array_count = 5;
	op->in.insert.array_throttle = 2;
	op->in.insert.priority = 9;
	op->in.insert.timeout_ms = 1000;
	op->in.insert.labels = labels;
	op->in.insert.nlabels = 1;
	dep.id = pre;
	dep.mode = JOBQ_DEP_ANY;
	op->in.insert.deps = &dep;
	op->in.insert.ndeps = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	a = op->out.insert.id;
	ck_assert_int_eq(a, pre + 1);
	ck_assert_int_eq(op->out.insert.first_task, a + 1);
	op_free(op);
	lone = do_insert(s, "default", 0);
	ck_assert_int_eq(lone, a + 6);	/* A + 1 .. A + 5 are the tasks */
	close_store(s);

	s = open_store(1);
	for (i = 0; i < 5; i++) {
		op = do_get(s, a + 1 + (int64_t)i);
		ck_assert_int_eq(op->status, 0);
		j = op->out.job;
		ck_assert_int_eq(j->array_id, a);
		ck_assert_int_eq(j->array_index, 3 + 2 * (int64_t)i);
		ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
		ck_assert_str_eq(j->argv[0], "/bin/true");
		ck_assert_uint_eq(j->argc, 2);
		ck_assert_str_eq(j->cwd, "/arr");
		ck_assert_str_eq(j->name, "arr");
		ck_assert_str_eq(j->queue, "aq");
		ck_assert_int_eq(j->priority, 9);
		ck_assert_int_eq(j->timeout_ms, 1000);
		ck_assert_int_eq(j->max_retries, 1);
		ck_assert_uint_eq(j->nlabels, 1);
		ck_assert_str_eq(j->labels[0], "kind=task");
		ck_assert_uint_eq(j->ndeps, 1);
		ck_assert_int_eq(j->deps[0].id, pre);
		ck_assert_int_eq(j->deps[0].mode, JOBQ_DEP_ANY);
		op_free(op);
	}

	/* By index. */
	op = do_get_index(s, a, 7);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.job->id, a + 3);
	op_free(op);
	op = do_get_index(s, a, 4);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	op = do_get_index(s, a, 13);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	op = do_get_index(s, lone, 0);	/* not an array */
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	/* The array's own id. */
	op = do_get(s, a);
	ck_assert_int_eq(op->status, JOBQ_EISARRAY);
	ck_assert_ptr_null(op->out.job);
	op_free(op);

	/* Claim: JOBQ_ARRAY_ID / _INDEX replace the submitted ones. */
	op = claim_op_at(s, a + 2, 1, 10);
	ck_assert_str_eq(op->out.claim.cwd, "/arr");
	ck_assert_str_eq(op->out.claim.argv[1], "x");
	found_id = found_index = 0;
	for (k = 0; op->out.claim.env[k] != NULL; k++) {
		(void)snprintf(want, sizeof(want), "JOBQ_ARRAY_ID=%" PRId64,
		    a);
		if (strncmp(op->out.claim.env[k], "JOBQ_ARRAY_ID=", 14) == 0) {
			ck_assert_str_eq(op->out.claim.env[k], want);
			found_id++;
		}
		if (strncmp(op->out.claim.env[k], "JOBQ_ARRAY_INDEX=",
		    17) == 0) {
			ck_assert_str_eq(op->out.claim.env[k],
			    "JOBQ_ARRAY_INDEX=5");
			found_index++;
		}
	}
	ck_assert_uint_eq(k, 4);
	ck_assert_int_eq(found_id, 1);
	ck_assert_int_eq(found_index, 1);
	ck_assert_str_eq(op->out.claim.env[0], "B=2");
	ck_assert_str_eq(op->out.claim.env[1], "JOBQ_ARRAY_IDX=keep");
	op_free(op);
	/* A plain job's env is untouched. */
	op = claim_op_at(s, lone, 1, 10);
	ck_assert_str_eq(op->out.claim.env[0], "A=1");
	ck_assert_ptr_null(op->out.claim.env[1]);
	op_free(op);

	/* The array as a whole. */
	do_end(s, a + 2, JOBQ_STATE_FAILED, 50);
	ck_assert_int_eq(do_claim(s, a + 5, 1, 10), 0);
	op = op_new(STORE_ARRAY, 0);
	op->in.array.id = a;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.array.info.id, a);
	ck_assert_int_eq(op->out.array.info.first, 3);
	ck_assert_int_eq(op->out.array.info.step, 2);
	ck_assert_int_eq(op->out.array.info.count, 5);
	ck_assert_int_eq(op->out.array.info.throttle, 2);
	ck_assert_uint_eq(op->out.array.info.counts[JOBQ_STATE_QUEUED], 3);
	ck_assert_uint_eq(op->out.array.info.counts[JOBQ_STATE_FAILED], 1);
	ck_assert_uint_eq(op->out.array.info.counts[JOBQ_STATE_RUNNING], 1);
	ck_assert_uint_eq(op->out.array.ntasks, 5);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(op->out.array.task_ids[i], a + 1 +
		    (int64_t)i);
	ck_assert_int_eq(op->out.array.task_states[1], JOBQ_STATE_FAILED);
	ck_assert_int_eq(op->out.array.task_states[4], JOBQ_STATE_RUNNING);
	op_free(op);
	op = op_new(STORE_ARRAY, 0);
	op->in.array.id = lone;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	ck_assert_ptr_null(op->out.array.task_ids);
	op_free(op);

	/* Step 0 is taken as 1. */
	{
		int64_t b = do_insert_array(s, 4, 0, 2, 0, NULL);

		op = do_get_index(s, b, 5);
		ck_assert_int_eq(op->status, 0);
		ck_assert_int_eq(op->out.job->id, b + 2);
		op_free(op);
		op = op_new(STORE_ARRAY, 0);
		op->in.array.id = b;
		run_op(s, op);
		ck_assert_int_eq(op->out.array.info.step, 1);
		op_free(op);
	}

	/* Stored once: the tasks' rows hold no copy of argv/env/cwd. */
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "array_id != 0 AND argv = '' AND env = '' AND cwd = ''"), 7);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM labels"), 5);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM deps"), 5);
}
END_TEST

START_TEST(test_unique_key)
{
	struct store *s;
	int64_t a, b, c, d;
	int ex;

	s = open_store(1);
	a = do_insert_key(s, 1000, "nightly", &ex);
	ck_assert_int_eq(ex, 0);
	ck_assert_int_eq(do_insert_key(s, 1000, "nightly", &ex), a);
	ck_assert_int_eq(ex, 1);
	/* Another user's key does not match; another key neither. */
	b = do_insert_key(s, 1001, "nightly", &ex);
	ck_assert_int_eq(ex, 0);
	ck_assert_int_ne(b, a);
	c = do_insert_key(s, 1000, "weekly", &ex);
	ck_assert_int_eq(ex, 0);
	ck_assert_int_gt(c, b);
	/* Running still matches. */
	ck_assert_int_eq(do_claim(s, a, 1, 5), 0);
	ck_assert_int_eq(do_insert_key(s, 1000, "nightly", &ex), a);
	ck_assert_int_eq(ex, 1);
	/* Once it ended, a new one is created, and that one matches. */
	do_end(s, a, JOBQ_STATE_SUCCEEDED, 6);
	d = do_insert_key(s, 1000, "nightly", &ex);
	ck_assert_int_eq(ex, 0);
	ck_assert_int_gt(d, c);
	ck_assert_int_eq(do_insert_key(s, 1000, "nightly", &ex), d);
	ck_assert_int_eq(ex, 1);
	/* "existing" took no id. */
	ck_assert_int_eq(do_insert(s, "default", 0), d + 1);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "unique_key = 'nightly'"), 3);
}
END_TEST

static struct store_op *
do_list_f(struct store *s, int state, const char *name,
    const char *const *labels, int64_t array_id, size_t limit)
{
	struct store_op *op = op_new(STORE_LIST, 0);

	op->in.list.states = state >= 0 ? 1u << state : 0;
	op->in.list.limit = limit;
	op->in.list.name = name;
	op->in.list.labels = labels;
	op->in.list.nlabels = labels != NULL ? vlen(labels) : 0;
	op->in.list.array_id = array_id;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	return (op);
}

/* A queued job named name with nlabels labels; returns its id. */
static int64_t
do_insert_labeled(struct store *s, const char *name,
    const char *const *labels, size_t nlabels)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env_one, "/", name, "default", 0, 0);
	op->in.insert.labels = labels;
	op->in.insert.nlabels = nlabels;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	return (id);
}

/* A LIST with several states, an owner and a count. */
static struct store_op *
do_list_count(struct store *s, unsigned states, const char *queue,
    int64_t user, const char *name, size_t limit)
{
	struct store_op *op = op_new(STORE_LIST, 0);

	op->in.list.states = states;
	(void)snprintf(op->in.list.queue, sizeof(op->in.list.queue), "%s",
	    queue != NULL ? queue : "");
	op->in.list.name = name;
	if (user >= 0) {
		op->in.list.by_user = 1;
		op->in.list.user_uid = (uid_t)user;
	}
	op->in.list.limit = limit;
	op->in.list.count = 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	return (op);
}

/* Several states, the owner, and the total without the limit: from the
 * counts table or counted, the same answer. */
START_TEST(test_list_states_count)
{
	const unsigned qr = (1u << JOBQ_STATE_QUEUED) |
	    (1u << JOBQ_STATE_RUNNING);
	struct store *s;
	struct store_op *op;
	int64_t ids[12];
	size_t i;

	s = open_store(1);
	for (i = 0; i < 12; i++) {
		op = op_insert(argv_true, env_one, "/tmp", NULL,
		    i % 3 ? "a" : "b", 0, 0);
		op->in.insert.owner_uid = i < 3 ? 7 : 1000;
		run_op(s, op);
		ck_assert_int_eq(op->status, 0);
		ids[i] = op->out.insert.id;
		op_free(op);
	}
	for (i = 0; i < 12; i += 4)	/* 0, 4, 8 running */
		ck_assert_int_eq(do_claim(s, ids[i], 1, 1), 0);
	do_end(s, ids[4], JOBQ_STATE_SUCCEEDED, 5);	/* 4 succeeded */

	/* queued or running: all but 4, newest 3 shown, 11 in all (from
	 * the counts table) */
	op = do_list_count(s, qr, NULL, -1, NULL, 3);
	ck_assert_uint_eq(op->out.list.n, 3);
	ck_assert_int_eq(op->out.list.total, 11);
	ck_assert_int_eq(op->out.list.jobs[0]->id, ids[9]);
	op_free(op);
	/* the same in queue "b" (0, 3, 6, 9): 4 */
	op = do_list_count(s, qr, "b", -1, NULL, 1);
	ck_assert_int_eq(op->out.list.total, 4);
	op_free(op);
	/* under the limit: the total is what came, without a count */
	op = do_list_count(s, 1u << JOBQ_STATE_SUCCEEDED, NULL, -1, NULL, 5);
	ck_assert(op->out.list.n == 1 && op->out.list.total == 1);
	ck_assert_int_eq(op->out.list.jobs[0]->id, ids[4]);
	op_free(op);
	/* by owner (rows counted): uid 7 has 0, 1, 2; 1000 the other 9 */
	op = do_list_count(s, 0, NULL, 7, NULL, 2);
	ck_assert(op->out.list.n == 2 && op->out.list.total == 3);
	ck_assert(op->out.list.jobs[0]->id == ids[1] &&
	    op->out.list.jobs[1]->id == ids[2]);
	op_free(op);
	op = do_list_count(s, qr, NULL, 1000, NULL, 1);
	ck_assert_int_eq(op->out.list.total, 8);
	op_free(op);
	op = do_list_count(s, qr, "a", 7, NULL, 1);
	ck_assert_int_eq(op->out.list.total, 2);
	op_free(op);
	op = do_list_count(s, 0, NULL, 4242, NULL, 1);
	ck_assert(op->out.list.n == 0 && op->out.list.total == 0);
	op_free(op);
	/* a state outside the mask is refused */
	op = op_new(STORE_LIST, 0);
	op->in.list.states = 1u << JOBQ_STATE_COUNT;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);
	close_store(s);
}
END_TEST

START_TEST(test_list_filters)
{
	static const char *const l_ab[] = { "a=1", "b=2", NULL };
	static const char *const l_a[] = { "a=1", NULL };
	static const char *const l_b[] = { "b=2", NULL };
	static const char *const l_none[] = { "zz=9", NULL };
	static const char *const l_ab_only[] = { "a=1", "b=2", NULL };
	struct store *s;
	struct store_op *op;
	int64_t j1, j2, j3, arr;

	s = open_store(1);
	j1 = do_insert_labeled(s, "build", l_ab, 2);
	j2 = do_insert_labeled(s, "build", l_a, 1);
	j3 = do_insert_labeled(s, "test", l_b, 1);
	arr = do_insert_array(s, 0, 1, 4, 0, NULL);

	op = do_list_f(s, -1, "build", NULL, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, j1);
	ck_assert_int_eq(op->out.list.jobs[1]->id, j2);
	op_free(op);
	op = do_list_f(s, -1, "buil", NULL, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	op = do_list_f(s, -1, NULL, l_a, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, j1);
	ck_assert_int_eq(op->out.list.jobs[1]->id, j2);
	op_free(op);
	op = do_list_f(s, -1, NULL, l_ab_only, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 1);
	ck_assert_int_eq(op->out.list.jobs[0]->id, j1);
	ck_assert_uint_eq(op->out.list.jobs[0]->nlabels, 2);
	ck_assert_str_eq(op->out.list.jobs[0]->labels[1], "b=2");
	op_free(op);
	op = do_list_f(s, -1, NULL, l_b, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, j1);
	ck_assert_int_eq(op->out.list.jobs[1]->id, j3);
	op_free(op);
	op = do_list_f(s, -1, NULL, l_none, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	/* Combined: name and label; and with a limit. */
	op = do_list_f(s, -1, "test", l_a, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	op = do_list_f(s, -1, "build", l_a, 0, 1);
	ck_assert_uint_eq(op->out.list.n, 1);
	ck_assert_int_eq(op->out.list.jobs[0]->id, j2);
	op_free(op);

	/* An array's tasks. */
	ck_assert_int_eq(do_claim(s, arr + 2, 1, 1), 0);
	op = do_list_f(s, -1, NULL, NULL, arr, 0);
	ck_assert_uint_eq(op->out.list.n, 4);
	ck_assert_int_eq(op->out.list.jobs[0]->id, arr + 1);
	ck_assert_int_eq(op->out.list.jobs[3]->id, arr + 4);
	ck_assert_str_eq(op->out.list.jobs[3]->argv[0], "/bin/true");
	ck_assert_str_eq(op->out.list.jobs[3]->cwd, "/arr");
	op_free(op);
	op = do_list_f(s, JOBQ_STATE_QUEUED, NULL, NULL, arr, 2);
	ck_assert_uint_eq(op->out.list.n, 2);
	ck_assert_int_eq(op->out.list.jobs[0]->id, arr + 3);
	ck_assert_int_eq(op->out.list.jobs[1]->id, arr + 4);
	op_free(op);
	op = do_list_f(s, -1, NULL, NULL, j1, 0);	/* not an array */
	ck_assert_uint_eq(op->out.list.n, 0);
	op_free(op);
	/* Everything: the array's own id is not a job. */
	op = do_list_f(s, -1, NULL, NULL, 0, 0);
	ck_assert_uint_eq(op->out.list.n, 7);
	op_free(op);
	close_store(s);
}
END_TEST

START_TEST(test_lookup)
{
	struct store *s;
	struct store_op *op;
	int64_t ids[4], j, arr;

	s = open_store(1);
	j = do_insert(s, "default", 0);
	arr = do_insert_array(s, 10, 5, 3, 0, NULL);
	do_end(s, arr + 2, JOBQ_STATE_SUCCEEDED, 9);
	do_end(s, j, JOBQ_STATE_FAILED, 9);
	ids[0] = arr;
	ids[1] = 12345;
	ids[2] = j;
	ids[3] = arr + 1;
	op = op_new(STORE_LOOKUP, 0);
	op->in.lookup.ids = ids;
	op->in.lookup.n = 4;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.lookup.n, 4);
	ck_assert_int_eq(op->out.lookup.v[0].id, arr);
	ck_assert_int_eq(op->out.lookup.v[0].kind, 2);
	ck_assert_uint_eq(op->out.lookup.v[0].ntasks, 3);
	ck_assert_int_eq(op->out.lookup.v[0].task_ids[0], arr + 1);
	ck_assert_int_eq(op->out.lookup.v[0].task_ids[2], arr + 3);
	ck_assert_int_eq(op->out.lookup.v[0].task_states[0],
	    JOBQ_STATE_QUEUED);
	ck_assert_int_eq(op->out.lookup.v[0].task_states[1],
	    JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(op->out.lookup.v[1].kind, 0);
	ck_assert_int_eq(op->out.lookup.v[1].id, 12345);
	ck_assert_ptr_null(op->out.lookup.v[1].task_ids);
	ck_assert_int_eq(op->out.lookup.v[2].kind, 1);
	ck_assert_int_eq(op->out.lookup.v[2].state, JOBQ_STATE_FAILED);
	ck_assert_int_eq(op->out.lookup.v[3].kind, 1);
	ck_assert_int_eq(op->out.lookup.v[3].state, JOBQ_STATE_QUEUED);
	op_free(op);

	op = op_new(STORE_LOOKUP, 0);
	run_op(s, op);		/* nothing asked: nothing answered */
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.lookup.n, 0);
	op_free(op);
	close_store(s);
}
END_TEST

static void
do_queue_set(struct store *s, const char *name, int parallel, int paused,
    int want)
{
	struct store_op *op = op_new(STORE_QUEUE_SET, 0);

	(void)snprintf(op->in.queue_set.name, sizeof(op->in.queue_set.name),
	    "%s", name);
	op->in.queue_set.parallel = parallel;
	op->in.queue_set.paused = paused;
	run_op(s, op);
	ck_assert_int_eq(op->status, want);
	op_free(op);
}

START_TEST(test_queue_set_counts)
{
	struct store *s;
	struct store_op *op;
	const struct store_queue *q;
	struct store_recovery r;
	int64_t a1, a2;

	s = open_store(1);
	op = op_new(STORE_COUNTS, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.counts.n, 0);
	op_free(op);

	do_queue_set(s, "b", 3, -1, 0);
	do_queue_set(s, "b", -1, 1, 0);
	do_queue_set(s, "d", -1, -1, 0);	/* a row with defaults */
	do_queue_set(s, "", 1, 1, JOBQ_EINVAL);
	a1 = do_insert(s, "a", 0);
	a2 = do_insert(s, "a", 0);
	(void)do_insert(s, "a", 0);
	(void)do_insert(s, "b", 0);
	(void)do_insert(s, "c", 0);
	ck_assert_int_eq(do_claim(s, a1, 1, 1), 0);
	do_end(s, a2, JOBQ_STATE_TIMED_OUT, 5);

	op = op_new(STORE_COUNTS, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.counts.n, 4);
	q = op->out.counts.v;
	ck_assert_str_eq(q[0].name, "a");
	ck_assert_int_eq(q[0].has_settings, 0);
	ck_assert_int_eq(q[0].parallel, 0);
	ck_assert_uint_eq(q[0].counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_uint_eq(q[0].counts[JOBQ_STATE_RUNNING], 1);
	ck_assert_uint_eq(q[0].counts[JOBQ_STATE_TIMED_OUT], 1);
	ck_assert_uint_eq(q[0].counts[JOBQ_STATE_SUCCEEDED], 0);
	ck_assert_str_eq(q[1].name, "b");
	ck_assert_int_eq(q[1].has_settings, 1);
	ck_assert_int_eq(q[1].parallel, 3);
	ck_assert_int_eq(q[1].paused, 1);
	ck_assert_uint_eq(q[1].counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_str_eq(q[2].name, "c");
	ck_assert_int_eq(q[2].has_settings, 0);
	ck_assert_uint_eq(q[2].counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_str_eq(q[3].name, "d");
	ck_assert_int_eq(q[3].has_settings, 1);
	ck_assert_int_eq(q[3].parallel, 0);
	ck_assert_int_eq(q[3].paused, 0);
	ck_assert_uint_eq(q[3].counts[JOBQ_STATE_QUEUED], 0);
	op_free(op);

	do_queue_set(s, "b", 0, 0, 0);
	close_store(s);

	/* Recovery hands over the queues table. */
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 100), 0);
	ck_assert_uint_eq(r.nqueues, 2);
	ck_assert_str_eq(r.queues[0].name, "b");
	ck_assert_int_eq(r.queues[0].parallel, 0);
	ck_assert_int_eq(r.queues[0].paused, 0);
	ck_assert_int_eq(r.queues[0].has_settings, 1);
	ck_assert_str_eq(r.queues[1].name, "d");
	store_recovery_release(&r);
	close_store(s);
}
END_TEST

/* STORE_QUEUE_SET with an executor (schema 13). */
static void
do_queue_exec(struct store *s, const char *name, int parallel,
    const char *exec)
{
	struct store_op *op = op_new(STORE_QUEUE_SET, 0);

	(void)snprintf(op->in.queue_set.name, sizeof(op->in.queue_set.name),
	    "%s", name);
	op->in.queue_set.parallel = parallel;
	op->in.queue_set.paused = -1;
	op->in.queue_set.set_exec = 1;
	op->in.queue_set.exec = exec;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
}

#define EXEC_S "{\"type\":\"slurm\",\"partition\":\"gpu\"}"

START_TEST(test_queue_executor)
{
	struct store *s;
	struct store_op *op;
	const struct store_queue *q;
	struct store_recovery r;

	s = open_store(1);
	do_queue_exec(s, "s1", 2, EXEC_S);
	do_queue_exec(s, "s2", -1, "{\"type\":\"slurm\"}");
	do_queue_exec(s, "s2", -1, NULL);        /* back to local */
	do_queue_exec(s, "s3", -1, "{\"type\":\"slurm\"}");
	/* settings without the executor leave it */
	do_queue_set(s, "s1", 5, 1, 0);
	do_queue_set(s, "s3", -1, -1, 0);
	(void)do_insert(s, "s1", 0);
	(void)do_insert(s, "s0", 0);

	op = op_new(STORE_COUNTS, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.counts.n, 4);
	q = op->out.counts.v;
	ck_assert_str_eq(q[0].name, "s0");
	ck_assert_ptr_null(q[0].executor);
	ck_assert_str_eq(q[1].name, "s1");
	ck_assert_str_eq(q[1].executor, EXEC_S);
	ck_assert_int_eq(q[1].parallel, 5);
	ck_assert_int_eq(q[1].paused, 1);
	ck_assert_uint_eq(q[1].counts[JOBQ_STATE_QUEUED], 1);
	ck_assert_str_eq(q[2].name, "s2");
	ck_assert_ptr_null(q[2].executor);
	ck_assert_str_eq(q[3].name, "s3");
	ck_assert_str_eq(q[3].executor, "{\"type\":\"slurm\"}");
	op_free(op);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM queues WHERE "
	    "executor IS NULL"), 1);

	/* recovery hands the executors over */
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 100), 0);
	ck_assert_uint_eq(r.nqueues, 3);
	ck_assert_str_eq(r.queues[0].name, "s1");
	ck_assert_str_eq(r.queues[0].executor, EXEC_S);
	ck_assert_ptr_null(r.queues[1].executor);
	ck_assert_str_eq(r.queues[2].executor, "{\"type\":\"slurm\"}");
	store_recovery_release(&r);
	close_store(s);
}
END_TEST

/* A schema 12 database (as jobqd 12 left it) migrates to 13: rows kept,
 * the new columns NULL. */
START_TEST(test_migrate_v12)
{
	struct store *s;
	struct store_op *op;
	struct store_recovery r;
	int64_t id;
	char q[128];

	if (sqlite3_libversion_number() < 3035000)
		return;	/* DROP COLUMN makes the old schema */
	s = open_store(1);
	do_queue_set(s, "old", 3, 1, 0);
	id = do_insert(s, "old", 0);
	close_store(s);
	/* back to v12: the environment into the row, no envs */
	sql_file(dbpath, "UPDATE jobs SET env = (SELECT env FROM envs "
	    "WHERE id = env_id) WHERE env_id IS NOT NULL;"
	    "DROP TRIGGER envs_gc; DROP TRIGGER envs_gc_edit;"
	    "DROP INDEX jobs_env; ALTER TABLE jobs DROP COLUMN env_id;"
	    "DROP TABLE envs;"
	    "ALTER TABLE queues DROP COLUMN executor;"
	    "ALTER TABLE jobs DROP COLUMN slurm_id;"
	    "ALTER TABLE jobs DROP COLUMN executor;"
	    "PRAGMA user_version = 12;");
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_table_info("
	    "'queues') WHERE name = 'executor'"), 0);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 100), 0);
	ck_assert_uint_eq(r.nqueues, 1);
	ck_assert_str_eq(r.queues[0].name, "old");
	ck_assert_int_eq(r.queues[0].parallel, 3);
	ck_assert_int_eq(r.queues[0].paused, 1);
	ck_assert_ptr_null(r.queues[0].executor);
	ck_assert_uint_eq(r.nqueued, 1);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	do_queue_exec(s, "old", -1, EXEC_S);
	close_store(s);

	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM queues WHERE "
	    "name = 'old' AND parallel = 3 AND paused = 1 AND executor = '"
	    EXEC_S "'"), 1);
	(void)snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE id = "
	    "%lld AND slurm_id IS NULL AND executor IS NULL", (long long)id);
	ck_assert_int_eq(sql_int(q), 1);
	/* the old row keeps its environment in jobs.env; its claim has it */
	(void)snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE id = "
	    "%lld AND env_id IS NULL AND env = '[\"A=1\"]'", (long long)id);
	ck_assert_int_eq(sql_int(q), 1);
	s = open_store(1);
	op = claim_op(s, id, 1);
	ck_assert_str_eq(op->out.claim.env[0], "A=1");
	ck_assert_ptr_null(op->out.claim.env[1]);
	op_free(op);
	close_store(s);
}
END_TEST

static const char *const env_three[] = { "C=3", NULL };

/* A job with environment env, its status checked: its id. */
static int64_t
do_insert_env(struct store *s, const char *const *env)
{
	struct store_op *op;
	int64_t id;

	op = op_insert(argv_true, env, "/", NULL, "default", 0, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	id = op->out.insert.id;
	op_free(op);
	return (id);
}

/* An edit's status. */
static int
do_edit(struct store *s, const struct store_edit *e)
{
	struct store_op *op = op_new(STORE_EDIT, 0);
	int status;

	op->in.edit = *e;
	run_op(s, op);
	status = op->status;
	op_free(op);
	return (status);
}

/* An insert_many of n jobs with env (op_many_free it). */
static struct store_op *
op_many(size_t n, const char *const *env)
{
	struct store_op *op = op_new(STORE_INSERT_MANY, 0), *o;
	size_t i;

	op->in.insert_many.ops = calloc(n, sizeof(*op->in.insert_many.ops));
	ck_assert_ptr_nonnull(op->in.insert_many.ops);
	op->in.insert_many.n = n;
	for (i = 0; i < n; i++) {
		o = op_insert(argv_true, env, "/", NULL, "default", 0, 0);
		op->in.insert_many.ops[i] = *o;
		op_free(o);
	}
	return (op);
}

static void
op_many_free(struct store_op *op)
{
	free(op->in.insert_many.ops);
	op_free(op);
}

/* Job id's environment, as its claim gives it: "K=V,K=V". */
static void
claim_env(struct store *s, int64_t id, char *buf, size_t len)
{
	struct store_op *op = claim_op(s, id, 1);
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; op->out.claim.env[i] != NULL; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    op->out.claim.env[i]);
	op_free(op);
}

/*
 * Schema v14: a job's environment is stored once per distinct environment
 * (envs), shared by every job that has it, found again after a restart
 * (not only through the store's cache), deleted with its last job by a
 * purge or an env edit, and gone with a rolled-back batch.
 */
START_TEST(test_envs)
{
	static const char *const env_two[] = { "A=1", "B=2", NULL };
	static const char *const env_b[] = { "A=1", "B=3", NULL };
	static const char *const env_empty[] = { NULL };
	struct store *s;
	struct store_op *op, *many;
	struct store_edit e;
	int64_t a1, a2, b1, c1, d1, arr;
	char buf[256];

	s = open_store(1);
	a1 = do_insert(s, "default", 0);	/* env_one */
	a2 = do_insert(s, "default", 0);
	b1 = do_insert_env(s, env_two);
	c1 = do_insert_env(s, env_empty);
	arr = do_insert_array(s, 0, 1, 3, 0, NULL);
	/* env_one and env_two; the empty one inline, no row */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs"), 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE env != '' "
	    "AND array_id = 0"), 1);
	(void)snprintf(buf, sizeof(buf), "SELECT count(*) FROM jobs WHERE "
	    "id = %lld AND env = '[]' AND env_id IS NULL", (long long)c1);
	ck_assert_int_eq(sql_int(buf), 1);
	ck_assert_int_eq(sql_int("SELECT count(DISTINCT env_id) FROM jobs "
	    "WHERE array_id = 0"), 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE "
	    "array_id != 0 AND env_id IS NOT NULL"), 0);
	close_store(s);

	/* a restart: the cache is empty, the rows are found by hash */
	s = open_store(1);
	d1 = do_insert_env(s, env_two);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs"), 2);
	claim_env(s, a1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1");
	claim_env(s, b1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1,B=2");
	claim_env(s, c1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	claim_env(s, d1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1,B=2");
	claim_env(s, arr + 2, buf, sizeof(buf));
	ck_assert(strstr(buf, "A=1") == buf);

	/* an edit: a new row; the old one stays while a job has it */
	memset(&e, 0, sizeof(e));
	e.id = a2;
	e.set = STORE_EDIT_ENV;
	e.env = env_b;
	e.envc = 2;
	e.at = 5;
	ck_assert_int_eq(do_edit(s, &e), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs"), 3);
	claim_env(s, a2, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1,B=3");
	/* edited to empty: inline, and env_two's row stays (d1 has it) */
	e.id = do_insert_env(s, env_two);
	e.env = env_empty;
	e.envc = 0;
	ck_assert_int_eq(do_edit(s, &e), 0);
	(void)snprintf(buf, sizeof(buf), "SELECT count(*) FROM jobs WHERE "
	    "id = %lld AND env = '[]' AND env_id IS NULL", (long long)e.id);
	ck_assert_int_eq(sql_int(buf), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs"), 3);
	e.env = env_two;	/* and back */
	e.envc = 2;
	ck_assert_int_eq(do_edit(s, &e), 0);
	claim_env(s, e.id, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1,B=2");

	/* a batch refused half-way leaves no row behind */
	many = op_many(3, env_b);
	many->in.insert_many.ops[1].in.insert.env = env_three;
	many->in.insert_many.ops[1].in.insert.envc = 1;
	many->in.insert_many.ops[2].in.insert.array_count = 2;	/* refused */
	run_op(s, many);
	ck_assert_int_eq(many->status, JOBQ_EINVAL);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs WHERE env = "
	    "'[\"C=3\"]'"), 0);
	op_many_free(many);
	/* and the cache forgot it: the same environment again gets a row */
	op = op_insert(argv_true, env_three, "/", NULL, "default", 0, 0);
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs WHERE env = "
	    "'[\"C=3\"]'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs j WHERE "
	    "env_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM envs e "
	    "WHERE e.id = j.env_id)"), 0);

	/* purges: a row goes with its last job */
	do_end(s, a1, JOBQ_STATE_SUCCEEDED, 10);
	do_end(s, b1, JOBQ_STATE_SUCCEEDED, 10);
	ck_assert_uint_eq(do_purge(s, 11, -1, -1, 0, NULL), 2);
	/* env_one: a1 gone, the array has its own; env_two: d1 has it */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs WHERE env = "
	    "'[\"A=1\"]'"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs WHERE env = "
	    "'[\"A=1\",\"B=2\"]'"), 1);
	/* the cache holds env_two (the last insert's) when its row goes */
	a1 = do_insert_env(s, env_two);
	do_end(s, d1, JOBQ_STATE_SUCCEEDED, 12);
	do_end(s, a1, JOBQ_STATE_SUCCEEDED, 12);
	do_end(s, e.id, JOBQ_STATE_SUCCEEDED, 12);	/* the edited one */
	ck_assert_uint_eq(do_purge(s, 13, -1, -1, 0, NULL), 3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs WHERE env = "
	    "'[\"A=1\",\"B=2\"]'"), 0);
	/* the purge made the cache forget: env_two gets a row again */
	b1 = do_insert_env(s, env_two);
	claim_env(s, b1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A=1,B=2");
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs j WHERE "
	    "env_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM envs e "
	    "WHERE e.id = j.env_id)"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM envs e WHERE NOT "
	    "EXISTS (SELECT 1 FROM jobs j WHERE j.env_id = e.id)"), 0);
	close_store(s);
}
END_TEST

START_TEST(test_retry)
{
	struct store *s;
	struct store_op *op;
	const jobq_job *j;
	jobq_dep dep;
	int64_t d, id, arr;

	s = open_store(1);
	d = do_insert(s, "default", 0);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 3, 0);
	dep.id = d;
	dep.mode = JOBQ_DEP_OK;
	op->in.insert.deps = &dep;
	op->in.insert.ndeps = 1;
	op->in.insert.not_before = 777;
	run_op(s, op);
	id = op->out.insert.id;
	op_free(op);
	arr = do_insert_array(s, 0, 1, 2, 0, NULL);

	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = id;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ESTATE);	/* queued */
	ck_assert_ptr_null(op->out.job);
	op_free(op);
	ck_assert_int_eq(do_claim(s, id, 2, 50), 0);
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = id;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ESTATE);	/* running */
	op_free(op);
	{
		struct store_update u;

		memset(&u, 0, sizeof(u));
		u.id = id;
		u.state = JOBQ_STATE_FAILED;
		u.attempts = -1;
		u.exit_code = 4;
		u.signal = 0;
		u.pid = 0;
		u.finished_at = 60;
		u.reason = "exit_code";
		u.message = "exited with status 4";
		u.not_before = -1;
		ck_assert_int_eq(do_update(s, &u), 0);
	}
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = id;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	j = op->out.job;
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(j->id, id);
	ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(j->attempts, 0);
	ck_assert_int_eq(j->max_retries, 3);
	ck_assert_int_eq(j->started_at, 0);
	ck_assert_int_eq(j->finished_at, 0);
	ck_assert_int_eq(j->exit_code, -1);
	ck_assert_ptr_null(j->reason);
	ck_assert_ptr_null(j->message);
	ck_assert_int_eq(j->not_before, 0);
	ck_assert_uint_eq(j->ndeps, 0);
	ck_assert_ptr_null(j->deps);
	op_free(op);
	/* The stored row says the same. */
	op = do_get(s, id);
	j = op->out.job;
	ck_assert_int_eq(j->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(j->attempts, 0);
	ck_assert_int_eq(j->started_at, 0);
	ck_assert_int_eq(j->finished_at, 0);
	ck_assert_int_eq(j->exit_code, -1);
	ck_assert_ptr_null(j->reason);
	ck_assert_ptr_null(j->message);
	ck_assert_int_eq(j->not_before, 0);
	ck_assert_uint_eq(j->ndeps, 0);
	op_free(op);
	ck_assert_int_eq(do_claim(s, id, 1, 70), 0);

	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = 9999;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = arr;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EISARRAY);
	op_free(op);
	/* A task can be retried like any job. */
	do_end(s, arr + 1, JOBQ_STATE_INTERRUPTED, 80);
	op = op_new(STORE_RETRY, 0);
	op->in.retry.id = arr + 1;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(op->out.job->array_id, arr);
	op_free(op);
	/* A unique key stays unique: no retry while another queued or
	 * running job of the owner has it; fine once that one ended. */
	{
		int ex = 0;
		int64_t k1 = do_insert_key(s, 1000, "nightly", &ex), k2;

		do_end(s, k1, JOBQ_STATE_FAILED, 90);
		k2 = do_insert_key(s, 1000, "nightly", &ex);
		ck_assert_int_eq(ex, 0);
		op = op_new(STORE_RETRY, 0);
		op->in.retry.id = k1;
		run_op(s, op);
		ck_assert_int_eq(op->status, JOBQ_ESTATE);
		ck_assert_int_eq(op->in.retry.unique_conflict, 1);
		op_free(op);
		do_end(s, k2, JOBQ_STATE_SUCCEEDED, 95);
		op = op_new(STORE_RETRY, 0);
		op->in.retry.id = k1;
		run_op(s, op);
		ck_assert_int_eq(op->status, 0);
		ck_assert_int_eq(op->in.retry.unique_conflict, 0);
		op_free(op);
	}
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM deps"), 0);
}
END_TEST

/* The output files of job id of uid: dir/UID/ID.out and .err (the
 * layout of userdir.h); the directory is made as needed. */
static void
touch_logs(const char *dir, uid_t uid, int64_t id)
{
	char p[256];

	(void)snprintf(p, sizeof(p), "%s/%lu", dir, (unsigned long)uid);
	ck_assert(mkdir(p, 0700) == 0 || errno == EEXIST);
	(void)snprintf(p, sizeof(p), "%s/%lu/%" PRId64 ".out", dir,
	    (unsigned long)uid, id);
	write_file(p, "out", 3);
	(void)snprintf(p, sizeof(p), "%s/%lu/%" PRId64 ".err", dir,
	    (unsigned long)uid, id);
	write_file(p, "err", 3);
}

static int
has_logs(const char *dir, uid_t uid, int64_t id)
{
	char p[256];
	int n = 0;

	(void)snprintf(p, sizeof(p), "%s/%lu/%" PRId64 ".out", dir,
	    (unsigned long)uid, id);
	n += faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	(void)snprintf(p, sizeof(p), "%s/%lu/%" PRId64 ".err", dir,
	    (unsigned long)uid, id);
	n += faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	return (n);
}

static size_t
do_purge(struct store *s, int64_t before, int state, int64_t owner,
    size_t keep, const char *logs)
{
	struct store_op *op = op_new(STORE_PURGE, 0);
	size_t n, i;

	op->in.purge.finished_before = before;
	op->in.purge.state = state;
	op->in.purge.owner_uid = owner;
	op->in.purge.keep_count = keep;
	op->in.purge.logs_fd = logs_fd(logs);
	run_op(s, op);
	if (op->in.purge.logs_fd >= 0)
		(void)close(op->in.purge.logs_fd);
	ck_assert_int_eq(op->status, 0);
	n = op->out.purge.n;
	for (i = 1; i < n; i++)
		ck_assert_int_gt(op->out.purge.ids[i], op->out.purge.ids[i - 1]);
	op_free(op);
	return (n);
}

static int
exists(struct store *s, int64_t id)
{
	struct store_op *op = do_get(s, id);
	int st = op->status;

	op_free(op);
	ck_assert(st == 0 || st == JOBQ_ENOTFOUND);
	return (st == 0);
}

START_TEST(test_purge)
{
	static const char *const lab[] = { "p=1", NULL };
	struct store *s;
	struct store_op *op;
	char logs[128], target[192], link[192];
	int64_t id[10], arr, q, r;
	jobq_dep dep;
	int i;

	(void)snprintf(logs, sizeof(logs), "%s/logs", tdir);
	ck_assert_int_eq(mkdir(logs, 0700), 0);
	s = open_store(1);
	/* id[i] ended at 100 * (i + 1); uid 1000 for even i, 2000 odd;
	 * failed for i % 3 == 0, else succeeded. */
	for (i = 0; i < 10; i++) {
		op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
		op->in.insert.owner_uid = i % 2 ? 2000 : 1000;
		op->in.insert.labels = lab;
		op->in.insert.nlabels = 1;
		run_op(s, op);
		id[i] = op->out.insert.id;
		op_free(op);
		do_end(s, id[i], i % 3 == 0 ? JOBQ_STATE_FAILED :
		    JOBQ_STATE_SUCCEEDED, 100 * (i + 1));
		touch_logs(logs, i % 2 ? 2000 : 1000, id[i]);
	}
	q = do_insert(s, "default", 0);		/* queued: never purged */
	r = do_insert(s, "default", 0);		/* running: never purged */
	ck_assert_int_eq(do_claim(s, r, 1, 1), 0);
	touch_logs(logs, 1000, q);
	touch_logs(logs, 1000, r);
	/* q depends on id[0]: q's deps row stays, id[0]'s go. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	dep.id = id[0];
	dep.mode = JOBQ_DEP_ANY;
	op->in.insert.deps = &dep;
	op->in.insert.ndeps = 1;
	run_op(s, op);
	op_free(op);

	/* A chunk: at most 1 of those ended before 250, the lowest id. */
	op = op_new(STORE_PURGE, 0);
	op->in.purge.finished_before = 250;
	op->in.purge.state = -1;
	op->in.purge.owner_uid = -1;
	op->in.purge.max = 1;
	op->in.purge.logs_fd = logs_fd(logs);
	run_op(s, op);
	(void)close(op->in.purge.logs_fd);
	ck_assert_int_eq(op->status, 0);
	ck_assert_uint_eq(op->out.purge.n, 1);
	ck_assert_int_eq(op->out.purge.ids[0], id[0]);
	op_free(op);
	ck_assert(!exists(s, id[0]) && exists(s, id[1]));
	/* Age: ended before 250 -> id[0] (gone already), id[1]. */
	ck_assert_uint_eq(do_purge(s, 250, -1, -1, 0, logs), 1);
	ck_assert(!exists(s, id[0]) && !exists(s, id[1]) && exists(s, id[2]));
	ck_assert_int_eq(has_logs(logs, 1000, id[0]), 0);
	ck_assert_int_eq(has_logs(logs, 2000, id[1]), 0);
	ck_assert_int_eq(has_logs(logs, 1000, id[2]), 2);
	/* State: failed -> id[3], id[6], id[9].  A symlink planted in place
	 * of id[3]'s output (uid 2000) goes itself, its target stays; a
	 * symlink in place of logs/3000 is not followed. */
	(void)snprintf(target, sizeof(target), "%s/target", tdir);
	write_file(target, "keep", 4);
	(void)snprintf(link, sizeof(link), "%s/2000/%" PRId64 ".out", logs,
	    id[3]);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_uint_eq(do_purge(s, 0, JOBQ_STATE_FAILED, -1, 0, logs), 3);
	ck_assert_int_eq(has_logs(logs, 2000, id[3]), 0);
	ck_assert_int_eq(access(target, F_OK), 0);
	ck_assert(!exists(s, id[3]) && !exists(s, id[6]) && !exists(s, id[9]));
	ck_assert_int_eq(has_logs(logs, 2000, id[9]), 0);
	/* Owner 2000 (odd, left: 5, 7), keeping the newest 3 ended jobs of
	 * all (8, 7, 5): nothing. */
	ck_assert_uint_eq(do_purge(s, 0, -1, 2000, 3, logs), 0);
	/* Keeping the newest 2 (8, 7): id[5] goes. */
	ck_assert_uint_eq(do_purge(s, 0, -1, 2000, 2, logs), 1);
	ck_assert(!exists(s, id[5]) && exists(s, id[7]));
	/* Owner 1000, state succeeded, age < 900: id[2], id[4]. */
	ck_assert_uint_eq(do_purge(s, 900, JOBQ_STATE_SUCCEEDED, 1000, 0,
	    logs), 2);
	ck_assert(!exists(s, id[2]) && !exists(s, id[4]) && exists(s, id[8]));
	/* Everything ended, keeping the newest one: id[7] goes, id[8]
	 * stays. */
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 1, logs), 1);
	ck_assert(!exists(s, id[7]) && exists(s, id[8]));
	ck_assert(exists(s, q) && exists(s, r));
	ck_assert_int_eq(has_logs(logs, 1000, q), 2);
	ck_assert_int_eq(has_logs(logs, 1000, r), 2);
	ck_assert_int_eq(has_logs(logs, 1000, id[8]), 2);
	/* Not a terminal state: refused. */
	op = op_new(STORE_PURGE, 0);
	op->in.purge.state = JOBQ_STATE_QUEUED;
	op->in.purge.owner_uid = -1;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_EINVAL);
	op_free(op);

	/* An array: its row goes with its last task. */
	arr = do_insert_array(s, 0, 1, 3, 0, NULL);
	do_end(s, arr + 1, JOBQ_STATE_SUCCEEDED, 5000);
	do_end(s, arr + 2, JOBQ_STATE_SUCCEEDED, 5000);
	/* Ended before 5001: id[8], arr + 1, arr + 2. */
	ck_assert_uint_eq(do_purge(s, 5001, -1, -1, 0, NULL), 3);
	ck_assert(!exists(s, id[8]));
	op = op_new(STORE_ARRAY, 0);
	op->in.array.id = arr;
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.array.info.count, 3);
	ck_assert_uint_eq(op->out.array.ntasks, 1);
	ck_assert_int_eq(op->out.array.task_ids[0], arr + 3);
	op_free(op);
	do_end(s, arr + 3, JOBQ_STATE_SUCCEEDED, 6000);
	ck_assert_uint_eq(do_purge(s, 0, -1, -1, 0, NULL), 1);
	op = op_new(STORE_ARRAY, 0);
	op->in.array.id = arr;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ENOTFOUND);
	op_free(op);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM arrays"), 0);
	/* Labels of purged jobs are gone; the dependent's deps row is
	 * kept (its dependency now reads as purged). */
	ck_assert_int_eq(sql_int("SELECT count(*) FROM labels"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM deps"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs"), 3);
}
END_TEST

/*
 * A crash in the middle of a checkpoint: the main file holds pages that are
 * neither old nor new (here: garbage) wherever the WAL holds the committed
 * version.  jobqd must start on it, reading through the WAL, and see every
 * committed row.
 */
START_TEST(test_torn_checkpoint)
{
	struct store *s;
	struct store_op *op;
	sqlite3 *db;
	unsigned char hdr[32], fh[24], *junk;
	char wal[sizeof(dbpath) + 8];
	uint32_t psz, pgno;
	int64_t id;
	int fd, wfd, ntorn = 0;
	off_t off;

	s = open_store(1);
	id = do_insert(s, "before", 0);
	close_store(s);		/* checkpointed: everything in the main file */

	/* Commit more through a connection that leaves its WAL behind. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
	    1, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0;"
	    "CREATE INDEX torn_cwd ON jobs(cwd);"
	    "UPDATE jobs SET queue = 'after' WHERE queue = 'before';",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);

	/* Tear every page of the main file that the WAL has a copy of. */
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_ge(wfd = open(wal, O_RDONLY), 0);
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
	ck_assert_int_eq(read(wfd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	psz = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 |
	    (uint32_t)hdr[10] << 8 | hdr[11];
	ck_assert(psz >= 512 && psz <= 65536);
	ck_assert_ptr_nonnull(junk = malloc(psz));
	memset(junk, 0xa5, psz);
	for (off = sizeof(hdr); pread(wfd, fh, sizeof(fh), off) ==
	    (ssize_t)sizeof(fh); off += (off_t)sizeof(fh) + psz) {
		pgno = (uint32_t)fh[0] << 24 | (uint32_t)fh[1] << 16 |
		    (uint32_t)fh[2] << 8 | fh[3];
		ck_assert_int_eq(pwrite(fd, junk, psz, (off_t)(pgno - 1) * psz),
		    (ssize_t)psz);
		ntorn++;
	}
	ck_assert_int_gt(ntorn, 0);
	free(junk);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(close(wfd), 0);

	/* jobqd starts and sees the committed state. */
	s = open_store(1);
	op = do_get(s, id);
	ck_assert_int_eq(op->status, 0);
	ck_assert_str_eq(op->out.job->queue, "after");
	op_free(op);
	close_store(s);
}
END_TEST

/* A run handed to Slurm (claim.slurm) survives a restart of jobqd: it is
 * not interrupted but read into r.adopted with its Slurm id, recorded by
 * STORE_SLURM_ID (with a history row; refused for another attempt); a
 * reread claim returns its spec without changing it; a local run beside
 * it is interrupted as before. */
START_TEST(test_recover_slurm)
{
	struct store *s;
	struct store_op *op;
	struct store_recovery r;
	int64_t a, b, c;

	s = open_store(1);
	a = do_insert(s, "sl", 0);	/* on Slurm, id recorded */
	b = do_insert(s, "sl", 0);	/* on Slurm, sbatch unanswered */
	c = do_insert(s, "loc", 0);	/* local: interrupted */
	claim_slurm(s, a, 1, 100);
	claim_slurm(s, b, 1, 200);
	ck_assert_int_eq(do_claim(s, c, 1, 300), 0);
	/* attempt 2 is not its run */
	ck_assert_int_eq(do_slurm_id(s, a, 2, 41, 0), JOBQ_ENOTFOUND);
	ck_assert_int_eq(do_slurm_id(s, a, 1, 41, 150), 0);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM history WHERE "
	    "what = 'slurm' AND detail = 'attempt 1: Slurm job 41'"), 1);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 12345), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);
	ck_assert_uint_eq(r.nqueued, 0);
	ck_assert_uint_eq(r.nadopted, 2);
	ck_assert_int_eq(r.adopted[0].id, a);
	ck_assert_int_eq(r.adopted[0].slurm_id, 41);
	ck_assert_int_eq(r.adopted[0].started_at, 100);
	ck_assert_int_eq(r.adopted[0].attempts, 1);
	ck_assert_str_eq(r.adopted[0].queue, "sl");
	ck_assert_int_eq(r.adopted[1].id, b);
	ck_assert_int_eq(r.adopted[1].slurm_id, 0);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	op = do_get(s, a);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_RUNNING);
	op_free(op);
	op = do_get(s, c);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_INTERRUPTED);
	op_free(op);
	/* a reread: the spec, no change; refused for a job not running */
	op = claim_reread(s, b);
	ck_assert_int_eq(op->status, 0);
	ck_assert_str_eq(op->out.claim.argv[0], "/bin/true");
	op_free(op);
	op = claim_reread(s, c);
	ck_assert_int_eq(op->status, JOBQ_ESTATE);
	op_free(op);
	op = do_get(s, b);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	close_store(s);
}
END_TEST

/*
 * store_recover_unstarted: the jobs an old scoreboard marks as handed to
 * a worker that never began them go back to queued (the attempt not
 * counted, pid and res_given cleared) when they are still running that
 * attempt locally; any other row is left to store_recover().
 */
START_TEST(test_recover_unstarted)
{
	struct store *s;
	struct store_op *op;
	struct store_recovery r;
	struct store_update u;
	struct store_unstarted un[9];
	int64_t a, b, c, d, e, f;
	size_t nput;
	char q[160];

	s = open_store(1);
	a = do_insert(s, "q", 0);	/* running attempt 1: queued again */
	b = do_insert(s, "q", 0);	/* listed with attempt 2: interrupted */
	c = do_insert(s, "q", 0);	/* queued: untouched */
	d = do_insert(s, "q", 0);	/* succeeded: untouched */
	e = do_insert(s, "sl", 0);	/* on Slurm: left running (adopted) */
	f = do_insert(s, "q", 2);	/* running attempt 2: back to 1 */
	op = claim_new(a, 1, 100, 0);
	op->in.claim.res_given = "gpu=0";
	run_op(s, op);
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	memset(&u, 0, sizeof(u));
	u.id = a;
	u.state = JOBQ_STATE_RUNNING;
	u.attempts = -1;
	u.exit_code = -1;
	u.pid = 777;
	ck_assert_int_eq(do_update(s, &u), 0);
	ck_assert_int_eq(do_claim(s, b, 1, 100), 0);
	ck_assert_int_eq(do_claim(s, d, 1, 100), 0);
	u.id = d;
	u.state = JOBQ_STATE_SUCCEEDED;
	u.exit_code = 0;
	u.pid = 0;
	u.finished_at = 200;
	ck_assert_int_eq(do_update(s, &u), 0);
	claim_slurm(s, e, 1, 100);
	ck_assert_int_eq(do_claim(s, f, 1, 100), 0);
	close_store(s);
	snprintf(q, sizeof(q), "UPDATE jobs SET attempts = 2 WHERE id = %lld",
	    (long long)f);
	sql_file(dbpath, q);

	s = open_store(0);
	/* nothing listed: nothing done */
	nput = 9;
	ck_assert_int_eq(store_recover_unstarted(s, un, 0, &nput), 0);
	ck_assert_uint_eq(nput, 0);
	memset(un, 0, sizeof(un));
	un[0].id = a;
	un[0].attempt = 1;
	un[1].id = b;
	un[1].attempt = 2;	/* another run than the row's */
	un[2].id = c;
	un[2].attempt = 1;
	un[3].id = d;
	un[3].attempt = 1;
	un[4].id = e;
	un[4].attempt = 1;
	un[5].id = f;
	un[5].attempt = 2;
	un[6].id = 999999;	/* no such job */
	un[6].attempt = 1;
	un[7].id = a;		/* twice: the second finds it queued */
	un[7].attempt = 1;
	un[8].id = b;
	un[8].attempt = 0;	/* attempt 0 never matches a run */
	ck_assert_int_eq(store_recover_unstarted(s, un, 9, &nput), 0);
	ck_assert_uint_eq(nput, 2);
	ck_assert_int_eq(store_recover(s, &r, 12345), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);	/* b */
	ck_assert_uint_eq(r.nqueued, 3);
	ck_assert_int_eq(r.queued[0].id, a);
	ck_assert_int_eq(r.queued[0].attempts, 0);
	ck_assert_int_eq(r.queued[1].id, c);
	ck_assert_int_eq(r.queued[2].id, f);
	ck_assert_int_eq(r.queued[2].attempts, 1);
	ck_assert_uint_eq(r.nadopted, 1);
	ck_assert_int_eq(r.adopted[0].id, e);
	store_recovery_release(&r);
	ck_assert_int_eq(store_start(s, &loop), 0);
	op = do_get(s, a);
	ck_assert_int_eq(op->status, 0);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(op->out.job->attempts, 0);
	ck_assert_int_eq(op->out.job->pid, 0);
	ck_assert_ptr_null(op->out.job->res_given);
	ck_assert_int_eq(op->out.job->finished_at, 0);
	/* not a crash's victim: it never ran */
	ck_assert_ptr_null(op->out.job->reason);
	op_free(op);
	op = do_get(s, b);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_INTERRUPTED);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	op = do_get(s, c);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(op->out.job->attempts, 0);
	op_free(op);
	op = do_get(s, d);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	op = do_get(s, e);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	op = do_get(s, f);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	/* queued again, it is claimed as its first run once more */
	ck_assert_int_eq(do_claim(s, a, 1, 20000), 0);
	close_store(s);
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE id = %lld "
	    "AND state = 'running' AND attempts = 1", (long long)a);
	ck_assert_int_eq(sql_int(q), 1);
}
END_TEST

/* Job id's GET succeeds and says its run went to executor ("": local), as
 * Slurm job slurm_id (0: none known). */
static void
check_executor(struct store *s, int64_t id, const char *executor,
    int64_t slurm_id)
{
	struct store_op *op = do_get(s, id);

	ck_assert_int_eq(op->status, 0);
	ck_assert_str_eq(op->out.job->executor, executor);
	ck_assert_int_eq(op->out.job->slurm_id, slurm_id);
	op_free(op);
}

/* Where a job's run went (jobs.executor, jobs.slurm_id, schema 13) is in
 * the job GET and LIST read: set with plain SQL and by a claim for Slurm
 * and STORE_SLURM_ID; a value the protocol cannot carry fails the read. */
START_TEST(test_job_executor)
{
	struct store *s;
	struct store_op *op;
	static const char *const bad[] = {
		"executor = 'Slurm!'",
		"executor = 'abcdefghijklmnop'",
		"executor = 'slurm', slurm_id = -3",
	};
	int64_t a, b, c, d, e;
	size_t i;
	char q[256];

	s = open_store(1);
	a = do_insert(s, "sl", 0);	/* on Slurm, id known */
	b = do_insert(s, "sl", 0);	/* on Slurm, sbatch unanswered */
	c = do_insert(s, "loc", 0);	/* local */
	d = do_insert(s, "sl", 0);	/* claimed for Slurm below */
	e = do_insert(s, "bad", 0);
	close_store(s);
	snprintf(q, sizeof q, "UPDATE jobs SET state = 'running', "
	    "executor = 'slurm', slurm_id = 4242 WHERE id = %lld; "
	    "UPDATE jobs SET executor = 'slurm' WHERE id = %lld",
	    (long long)a, (long long)b);
	sql_file(dbpath, q);

	s = open_store(1);
	check_executor(s, a, "slurm", 4242);
	check_executor(s, b, "slurm", 0);
	check_executor(s, c, "", 0);
	op = do_list(s, -1, NULL, 0);
	ck_assert_uint_eq(op->out.list.n, 5);
	for (i = 0; i < op->out.list.n; i++) {
		const jobq_job *j = op->out.list.jobs[i];

		ck_assert_str_eq(j->executor, j->id == a || j->id == b ?
		    "slurm" : "");
		ck_assert_int_eq(j->slurm_id, j->id == a ? 4242 : 0);
	}
	op_free(op);

	/* the daemon's own path: a claim for Slurm, then its id */
	claim_slurm(s, d, 1, 100);
	check_executor(s, d, "slurm", 0);
	ck_assert_int_eq(do_slurm_id(s, d, 1, 77, 150), 0);
	check_executor(s, d, "slurm", 77);
	/* a local claim leaves none */
	ck_assert_int_eq(do_claim(s, c, 1, 300), 0);
	check_executor(s, c, "", 0);
	close_store(s);

	/* what the protocol cannot carry is not handed out */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(q, sizeof q, "UPDATE jobs SET %s WHERE id = %lld",
		    bad[i], (long long)e);
		sql_file(dbpath, q);
		s = open_store(1);
		op = do_get(s, e);
		ck_assert_int_eq(op->status, JOBQ_EINTERNAL);
		ck_assert_ptr_null(op->out.job);
		op_free(op);
		close_store(s);
	}
}
END_TEST

START_TEST(test_recover_v2)
{
	struct store *s;
	struct store_op *op;
	struct store_recovery r;
	const struct store_queued *qj;
	jobq_dep deps[3];
	int64_t ok, gone, waiting, j1, j2, run, arr, now = 1000000;
	size_t i;

	s = open_store(1);
	ok = do_insert(s, "default", 0);
	gone = do_insert(s, "default", 0);
	waiting = do_insert(s, "default", 0);
	do_end(s, ok, JOBQ_STATE_SUCCEEDED, 10);
	do_end(s, gone, JOBQ_STATE_FAILED, 10);
	deps[0].id = ok;
	deps[0].mode = JOBQ_DEP_OK;
	deps[1].id = gone;
	deps[1].mode = JOBQ_DEP_NOTOK;
	deps[2].id = waiting;
	deps[2].mode = JOBQ_DEP_ANY;
	op = op_insert(argv_true, env_one, "/", NULL, "qx", 0, 0);
	op->in.insert.deps = deps;
	op->in.insert.ndeps = 3;
	op->in.insert.priority = 4;
	op->in.insert.not_before = 5555;
	op->in.insert.timeout_ms = 66;
	op->in.insert.kill_grace_ms = 77;
	op->in.insert.retry_delay_ms = 88;
	run_op(s, op);
	j1 = op->out.insert.id;
	op_free(op);
	op = op_insert(argv_true, env_one, "/", NULL, "default", 0, 0);
	op->in.insert.deps = &deps[2];
	op->in.insert.ndeps = 1;
	run_op(s, op);
	j2 = op->out.insert.id;
	op_free(op);
	/* Running, 2 attempts so far, 5 retries, backoff base 500 ms:
	 * next start 500 * 2^(2-1) * [0.8, 1.2] ms from now. */
	op = op_insert(argv_true, env_one, "/", NULL, "default", 5, 0);
	op->in.insert.retry_delay_ms = 500;
	run_op(s, op);
	run = op->out.insert.id;
	op_free(op);
	ck_assert_int_eq(do_claim(s, run, 2, 20), 0);
	arr = do_insert_array(s, 0, 1, 2, 3, NULL);
	do_queue_set(s, "qx", 2, 1, 0);
	/* The dependency "gone" is purged. */
	ck_assert_uint_eq(do_purge(s, 0, JOBQ_STATE_FAILED, -1, 0, NULL), 1);
	close_store(s);

	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, now), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);
	/* waiting, j1, j2, run, the two tasks */
	ck_assert_uint_eq(r.nqueued, 6);
	ck_assert_int_eq(r.queued[0].id, waiting);
	ck_assert_uint_eq(r.queued[0].ndeps, 0);
	qj = &r.queued[1];
	ck_assert_int_eq(qj->id, j1);
	ck_assert_str_eq(qj->queue, "qx");
	ck_assert_int_eq(qj->priority, 4);
	ck_assert_int_eq(qj->not_before, 5555);
	ck_assert_int_eq(qj->timeout_ms, 66);
	ck_assert_int_eq(qj->kill_grace_ms, 77);
	ck_assert_int_eq(qj->retry_delay_ms, 88);
	ck_assert_int_eq(qj->array_id, 0);
	ck_assert_uint_eq(qj->ndeps, 3);
	ck_assert_uint_le(qj->dep_first + qj->ndeps, r.ndeps);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(r.deps[qj->dep_first + i].dep_id, deps[i].id);
		ck_assert_int_eq(r.deps[qj->dep_first + i].mode, deps[i].mode);
	}
	ck_assert_int_eq(r.deps[qj->dep_first].dep_state,
	    JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(r.deps[qj->dep_first + 1].dep_state, -1);
	ck_assert_int_eq(r.deps[qj->dep_first + 2].dep_state,
	    JOBQ_STATE_QUEUED);
	qj = &r.queued[2];
	ck_assert_int_eq(qj->id, j2);
	ck_assert_uint_eq(qj->ndeps, 1);
	ck_assert_int_eq(r.deps[qj->dep_first].dep_id, waiting);
	ck_assert_int_eq(r.deps[qj->dep_first].dep_state, JOBQ_STATE_QUEUED);
	ck_assert_uint_eq(r.ndeps, 4);
	qj = &r.queued[3];
	ck_assert_int_eq(qj->id, run);
	ck_assert_int_eq(qj->attempts, 2);
	ck_assert_int_ge(qj->not_before, now + 800);
	ck_assert_int_le(qj->not_before, now + 1200);
	ck_assert_uint_eq(qj->ndeps, 0);
	for (i = 4; i < 6; i++) {
		ck_assert_int_eq(r.queued[i].id, arr + (int64_t)i - 3);
		ck_assert_int_eq(r.queued[i].array_id, arr);
		ck_assert_int_eq(r.queued[i].array_index, (int64_t)i - 4);
		ck_assert_int_eq(r.queued[i].array_throttle, 3);
	}
	ck_assert_uint_eq(r.nqueues, 1);
	ck_assert_str_eq(r.queues[0].name, "qx");
	ck_assert_int_eq(r.queues[0].parallel, 2);
	ck_assert_int_eq(r.queues[0].paused, 1);
	store_recovery_release(&r);
	ck_assert_ptr_null(r.queued);
	ck_assert_ptr_null(r.deps);
	ck_assert_uint_eq(r.nqueued, 0);

	ck_assert_int_eq(store_start(s, &loop), 0);
	op = do_get(s, run);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_QUEUED);
	ck_assert_str_eq(op->out.job->reason, "daemon_crash");
	ck_assert_int_ge(op->out.job->not_before, now + 800);
	ck_assert_int_le(op->out.job->not_before, now + 1200);
	op_free(op);
	close_store(s);
}
END_TEST

/* A COMMIT that fails with SQLITE_FULL hands no id out twice. */
START_TEST(test_disk_full_ids)
{
	struct store *s;
	struct store_op *ops[3], *op;
	int64_t first, arr, next, after;
	int i, base;

	s = open_store(1);
	first = do_insert(s, "default", 0);

	fault_rc = SQLITE_FULL;
	base = n_done;
	ops[0] = op_insert(argv_true, env_one, "/", NULL, "full", 0, base);
	ops[1] = op_insert(argv_true, env_one, "/", NULL, "full", 0, base + 1);
	ops[1]->in.insert.array_count = 10;
	ops[2] = op_new(STORE_QUEUE_SET, base + 2);
	(void)snprintf(ops[2]->in.queue_set.name,
	    sizeof(ops[2]->in.queue_set.name), "full");
	ops[2]->in.queue_set.parallel = 1;
	ops[2]->in.queue_set.paused = -1;
	for (i = 0; i < 3; i++)
		store_submit(s, ops[i]);
	wait_done(base + 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ops[i]->status, JOBQ_ESTORAGE);
		op_free(ops[i]);
	}
	fault_rc = 0;

	/* The ids the failed batch took come back: none was committed. */
	next = do_insert(s, "default", 0);
	ck_assert_int_eq(next, first + 1);
	arr = do_insert_array(s, 0, 1, 4, 0, NULL);
	ck_assert_int_eq(arr, next + 1);
	/* And a purge that fails to commit changes nothing either. */
	do_end(s, next, JOBQ_STATE_SUCCEEDED, 5);
	fault_rc = SQLITE_FULL;
	op = op_new(STORE_PURGE, 0);
	op->in.purge.state = -1;
	op->in.purge.owner_uid = -1;
	run_op(s, op);
	ck_assert_int_eq(op->status, JOBQ_ESTORAGE);
	ck_assert_ptr_null(op->out.purge.ids);
	op_free(op);
	fault_rc = 0;
	ck_assert(exists(s, next));
	op = op_new(STORE_COUNTS, 0);
	run_op(s, op);
	ck_assert_uint_eq(op->out.counts.n, 2);	/* no "full" queue */
	ck_assert_str_eq(op->out.counts.v[0].name, "aq");
	ck_assert_str_eq(op->out.counts.v[1].name, "default");
	op_free(op);
	close_store(s);
	ck_assert_int_eq(db_next_id(), arr + 5);

	s = open_store(1);
	after = do_insert(s, "default", 0);
	ck_assert_int_eq(after, arr + 5);
	close_store(s);
}
END_TEST

/* Runs SQL on the database file (the store must be closed). */
static void
sql_exec(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg != NULL ? msg : "?");
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

static void
faults(const char *spec)
{
	char err[256];

	err[0] = '\0';
	ck_assert_msg(fault_init(spec, err, sizeof(err)) == 0, "%s", err);
}

/*
 * FAULT_COMMIT (JOBQD_FAULTS=commit@N): the N-th COMMIT of a batch with
 * writes fails as a full disk: every write of that batch gets
 * JOBQ_ESTORAGE, nothing of it is stored, its ids come back, reads still
 * run, and the next batch commits.  Batches without writes do not count.
 */
START_TEST(test_fault_commit)
{
	struct store *s;
	struct store_op *ops[4], *op;
	int64_t first, next;
	int i, base;

	faults("commit@2");
	s = open_store(1);
	first = do_insert(s, "default", 0);		/* commit 1 */
	op = do_get(s, first);				/* no commit */
	ck_assert_int_eq(op->status, 0);
	op_free(op);
	close_store(s);

	/* Queued before the thread runs: one batch, commit 2. */
	s = open_store(0);
	base = n_done;
	ops[0] = op_insert(argv_true, env_one, "/", NULL, "lost", 0, base);
	ops[1] = claim_new(first, 1, 5, base + 1);
	ops[2] = op_insert(argv_true, env_one, "/", NULL, "lost", 0,
	    base + 2);
	ops[2]->in.insert.array_count = 3;
	ops[3] = op_new(STORE_GET, base + 3);
	ops[3]->in.get.id = first;
	for (i = 0; i < 4; i++)
		store_submit(s, ops[i]);
	ck_assert_int_eq(store_start(s, &loop), 0);
	wait_done(base + 4);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ops[i]->status, JOBQ_ESTORAGE);
		ck_assert_int_eq(seq[base + i], base + i);
	}
	ck_assert_int_eq(ops[0]->out.insert.id, 0);
	ck_assert_ptr_null(ops[1]->out.claim.argv);
	ck_assert_int_eq(ops[3]->status, 0);
	ck_assert_int_eq(ops[3]->out.job->state, JOBQ_STATE_QUEUED);
	for (i = 0; i < 4; i++)
		op_free(ops[i]);

	/* Commit 3 works, with the ids the failed batch had taken. */
	next = do_insert(s, "default", 0);
	ck_assert_int_eq(next, first + 1);
	ck_assert_int_eq(do_claim(s, first, 1, 7), 0);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs"), 2);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE queue = "
	    "'lost'"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM arrays"), 0);
	ck_assert_int_eq(db_next_id(), next + 1);
}
END_TEST

/* FAULT_COMMIT applies to recovery's transaction too: it fails and leaves
 * the jobs running, for the next start to recover. */
START_TEST(test_fault_commit_recover)
{
	struct store *s;
	struct store_recovery r;
	int64_t a, b;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "default", 0);
	ck_assert_int_eq(do_claim(s, a, 1, 100), 0);
	close_store(s);

	faults("commit@1");
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 500), JOBQ_ESTORAGE);
	ck_assert_ptr_null(r.queued);
	ck_assert_uint_eq(r.n_interrupted, 0);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM jobs WHERE state = "
	    "'running'"), 1);

	/* The fault was one hit: the next start recovers. */
	s = open_store(0);
	ck_assert_int_eq(store_recover(s, &r, 600), 0);
	ck_assert_uint_eq(r.n_interrupted, 1);
	ck_assert_uint_eq(r.nqueued, 1);
	ck_assert_int_eq(r.queued[0].id, b);
	store_recovery_release(&r);
	close_store(s);
	ck_assert_int_eq(sql_int("SELECT finished_at FROM jobs WHERE state = "
	    "'interrupted'"), 600);
}
END_TEST

/*
 * The claim asks job_transition() about the row's own state: a job that is
 * not queued (running, ended, or a state the store does not know) is
 * refused with JOBQ_ESTATE and left as it is.
 */
START_TEST(test_claim_states)
{
	struct store *s;
	struct store_op *op;
	struct store_update u;
	int64_t q, done, odd;
	char sql[128];

	s = open_store(1);
	q = do_insert(s, "default", 0);
	done = do_insert(s, "default", 0);
	odd = do_insert(s, "default", 0);
	ck_assert_int_eq(do_claim(s, done, 1, 10), 0);
	memset(&u, 0, sizeof(u));
	u.id = done;
	u.state = JOBQ_STATE_SUCCEEDED;
	u.attempts = -1;
	u.exit_code = 0;
	u.finished_at = 20;
	u.not_before = -1;
	ck_assert_int_eq(do_update(s, &u), 0);
	ck_assert_int_eq(do_claim(s, done, 2, 30), JOBQ_ESTATE);
	ck_assert_int_eq(do_claim(s, 9999, 1, 30), JOBQ_ENOTFOUND);
	close_store(s);
	(void)snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 'paused' "
	    "WHERE id = %" PRId64, odd);
	sql_exec(sql);

	s = open_store(1);
	ck_assert_int_eq(do_claim(s, odd, 1, 30), JOBQ_ESTATE);
	ck_assert_int_eq(do_claim(s, q, 1, 40), 0);
	ck_assert_int_eq(do_claim(s, q, 2, 50), JOBQ_ESTATE);
	op = do_get(s, q);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_RUNNING);
	ck_assert_int_eq(op->out.job->attempts, 1);
	ck_assert_int_eq(op->out.job->started_at, 40);
	op_free(op);
	op = do_get(s, done);
	ck_assert_int_eq(op->out.job->state, JOBQ_STATE_SUCCEEDED);
	ck_assert_int_eq(op->out.job->attempts, 1);
	op_free(op);
	close_store(s);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE "
	    "id = %" PRId64 " AND state = 'paused'", odd);
	ck_assert_int_eq(sql_int(sql), 1);
}
END_TEST

/* An UPDATE with a note (a cancel of a queued job: dispatch's one op per
 * job) writes the history row with the change; none when no row changed,
 * none with a priority change. */
START_TEST(test_update_note)
{
	struct store *s;
	struct store_update u;
	char sql[256];
	int64_t a, b;

	s = open_store(1);
	a = do_insert(s, "default", 0);
	b = do_insert(s, "default", 0);
	memset(&u, 0, sizeof(u));
	u.id = a;
	u.state = JOBQ_STATE_CANCELED;
	u.attempts = -1;
	u.exit_code = -1;
	u.finished_at = 900;
	u.not_before = -1;
	u.reason = "canceled";
	u.note.what = "cancel";
	u.note.detail = "the whole array";
	u.note.uid = 1234;
	u.note.at = 777;
	ck_assert_int_eq(do_update(s, &u), 0);
	u.id = b + 1000;	/* no such job: refused, no row */
	ck_assert_int_eq(do_update(s, &u), JOBQ_ENOTFOUND);
	memset(&u, 0, sizeof(u));
	u.id = b;
	u.set_priority = 1;
	u.priority = 5;
	u.note.what = "cancel";
	ck_assert_int_eq(do_update(s, &u), 0);
	close_store(s);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM history WHERE "
	    "job_id = %" PRId64 " AND what = 'cancel' AND detail = 'the whole "
	    "array' AND uid = 1234 AND at = 777", a);
	ck_assert_int_eq(sql_int(sql), 1);
	(void)snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE "
	    "id = %" PRId64 " AND state = 'canceled' AND finished_at = 900", a);
	ck_assert_int_eq(sql_int(sql), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM history"), 1);
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
	tcase_add_test(tc, test_res);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_states_count);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_checkpoint);
	tcase_add_test(tc, test_recover);
	tcase_add_test(tc, test_recover_deps);
	tcase_add_test(tc, test_recover_stream);
	tcase_add_test(tc, test_recover_load_chunks);
	tcase_add_test(tc, test_recover_slurm);
	tcase_add_test(tc, test_recover_unstarted);
	tcase_add_test(tc, test_job_executor);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_refuse_garbage);
	tcase_add_test(tc, test_refuse_other_app);
	tcase_add_test(tc, test_refuse_newer);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_fresh);
	tcase_add_test(tc, test_schedules);
	tcase_add_test(tc, test_output_fields);
	tcase_add_test(tc, test_rlimits);
	tcase_add_test(tc, test_id_floor);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_ids_never_reused);
	tcase_add_test(tc, test_insert_fields);
	tcase_add_test(tc, test_array);
	tcase_add_test(tc, test_unique_key);
	tcase_add_test(tc, test_list_filters);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_queue_set_counts);
	tcase_add_test(tc, test_queue_executor);
	tcase_add_test(tc, test_migrate_v12);
	tcase_add_test(tc, test_envs);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_purge);
	tcase_add_test(tc, test_no_meta_write);
	tcase_add_test(tc, test_lazy_and_batching);
	tcase_add_test(tc, test_counts_table);
	tcase_add_test(tc, test_migrate_v14);
	tcase_add_test(tc, test_strv_parse);
	tcase_add_test(tc, test_strv_parse_random);
	tcase_add_test(tc, test_retention_index);
	tcase_add_test(tc, test_job_owners);
	tcase_add_test(tc, test_recover_v2);
	tcase_add_test(tc, test_torn_checkpoint);
	tcase_add_test(tc, test_disk_full_ids);
	tcase_add_test(tc, test_fault_commit);
	tcase_add_test(tc, test_fault_commit_recover);
	tcase_add_test(tc, test_claim_states);
	tcase_add_test(tc, test_update_note);
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
