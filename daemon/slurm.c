/*
 * slurm.c - the Slurm thread (slurm.h): a FIFO of commands guarded by a
 * mutex and a condition variable, run one at a time by a thread of their
 * own with posix pipes and a deadline, their results handed back to the
 * loop through a uv_async.  The thread diagram and the lock discipline are
 * in slurm.h.  What the commands say is read by slurm_text.c; what it
 * means for jobs is decided by dispatch_slurm.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"
#include "jobqd.h"
#include "log.h"
#include "slurm.h"
#include "util.h"
#include "wire.h"
#include "worker_int.h"

extern char **environ;

struct slurm {
	uv_loop_t *loop;
	uv_async_t async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	struct slurm_cmd *todo, **todo_tail;
	struct slurm_cmd *done, **done_tail;
	int closing, exited;
	size_t pending;                 /* queued + running */
	/* the thread's */
	int64_t timeout_ms;
	/* the loop's */
	void (*closed)(void *);
	void *closed_arg;
};

struct slurm_cmd *
slurm_cmd_new(void)
{
	return calloc(1, sizeof(struct slurm_cmd));
}

void
slurm_cmd_free(struct slurm_cmd *cmd)
{
	if (cmd == NULL)
		return;
	free(cmd->argv);
	util_strv_free(cmd->env);
	free(cmd->input);
	free(cmd->spec);
	free(cmd->out);
	free(cmd);
}

void
slurm_cmd_error(const struct slurm_cmd *cmd, char *buf, size_t len)
{
	char err[sizeof cmd->err];
	size_t i;

	/* one line: the stderr's newlines as "; " would be long; keep the
	 * first line that says something */
	snprintf(err, sizeof err, "%s", cmd->err);
	for (i = 0; err[i] != '\0'; i++)
		if (err[i] == '\n') {
			err[i] = err[i + 1] != '\0' ? ' ' : '\0';
		}
	if (cmd->status == JOBQ_ETIMEDOUT)
		snprintf(buf, len, "%s timed out after %lld ms", cmd->argv[0],
		    (long long)cmd->ms);
	else if (cmd->status == JOBQ_ESHUTDOWN)
		snprintf(buf, len, "%s not run: jobqd is stopping",
		    cmd->argv[0]);
	else if (cmd->status != 0)
		snprintf(buf, len, "%s: %s", cmd->argv[0], err);
	else if (WIFEXITED(cmd->wstatus) && WEXITSTATUS(cmd->wstatus) != 0)
		snprintf(buf, len, "%s exited %d%s%s", cmd->argv[0],
		    WEXITSTATUS(cmd->wstatus), err[0] != '\0' ? ": " : "", err);
	else if (WIFSIGNALED(cmd->wstatus))
		snprintf(buf, len, "%s killed by signal %d", cmd->argv[0],
		    WTERMSIG(cmd->wstatus));
	else if (len > 0)
		buf[0] = '\0';
}

/* ---- running one command (the Slurm thread) ---- */

/*
 * The output dir (STATE/logs) and the state dir above it, made searchable
 * by others (adding 0011: 0700 becomes 0711, still neither listable nor
 * writable by anyone else) for a job run as its owner: slurmstepd opens
 * the job's output path on the node as the job's user, who must be able
 * to walk to her own logs/UID/ (0700, hers).  A worker needs none of this:
 * it opens the files as root and hands the job descriptors.  Done once
 * (the Slurm thread's own flag); what cannot be changed is logged, and the
 * run goes on: Slurm then fails the job, saying it could not open its
 * output, and jobq records that.
 */
static void
slurm_searchable(const char *out_dir)
{
	static int done;	/* Slurm thread only */
	struct stat st;
	int fd, up, i;

	if (done || out_dir == NULL || out_dir[0] == '\0')
		return;
	done = 1;
	if ((fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("slurm: %s", out_dir);
		return;
	}
	for (i = 0; i < 2 && fd != -1; i++) {
		if (fstat(fd, &st) == -1 ||
		    ((st.st_mode & 0011) != 0011 &&
		    fchmod(fd, (st.st_mode & 07777) | 0011) == -1))
			log_warn("slurm: making %s%s searchable for the jobs' "
			    "owners", out_dir, i ? "/.." : "");
		else if ((st.st_mode & 0011) != 0011)
			log_info("slurm: %s%s made searchable (mode %04o) for "
			    "the jobs' owners", out_dir, i ? "/.." : "",
			    (unsigned)((st.st_mode & 07777) | 0011));
		up = i == 0 ? openat(fd, "..", O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC) : -1;
		close(fd);
		fd = up;
	}
}

/* Creates (or opens, for a later run) the output files of spec as a worker
 * would; 0 or an errno with what failed in err.  For a job run as its
 * owner, the directories above them are made searchable first
 * (slurm_searchable). */
static int
slurm_files(const struct slurm_cmd *cmd, char *err, size_t errlen)
{
	struct wire_spec spec;
	struct worker_files f = { .cwd = -1, .null = -1, .out = -1, .err = -1 };
	uint64_t base[2];
	int stage = 0, rv;

	if ((rv = wire_spec_unpack(cmd->spec, cmd->speclen, &spec)) != 0) {
		snprintf(err, errlen, "unpacking the job: %s",
		    jobq_strerror(rv));
		return EINVAL;
	}
	if (cmd->as_user)
		slurm_searchable(spec.out_dir);
	rv = worker_files_open(&spec, &f, base, &stage);
	if (rv != 0)
		snprintf(err, errlen, "%s: %s", stage == WIRE_STAGE_CWD ?
		    "working directory" : "output file", strerror(rv));
	worker_files_close(&f);
	wire_spec_free(&spec);
	return rv;
}

/* The groups of uid (passwd entry), for the child: malloc'd; *gid
 * (gid_t)-1 becomes uid's primary group. */
static int
slurm_groups(uid_t uid, gid_t *gidp, gid_t **gp, int *np)
{
	struct passwd pw, *pp = NULL;
	char buf[4096];
	gid_t *g = NULL, *ng, gid = *gidp;
	int n = 32, want, tries;

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &pp) != 0 || pp == NULL) {
		if (gid == (gid_t)-1)
			return ENOENT;
		/* no passwd entry: only its own group */
		if ((g = malloc(sizeof *g)) == NULL)
			return ENOMEM;
		g[0] = gid;
		*gp = g;
		*np = 1;
		return 0;
	}
	if (gid == (gid_t)-1)
		gid = *gidp = pp->pw_gid;
	for (tries = 0; tries < 8; tries++) {
		if ((ng = realloc(g, (size_t)n * sizeof *g)) == NULL) {
			free(g);
			return ENOMEM;
		}
		g = ng;
		want = n;
		if (getgrouplist(pp->pw_name, gid, g, &want) >= 0) {
			*gp = g;
			*np = want;
			return 0;
		}
		if (want <= n || want > 65536)
			break;
		n = want;
	}
	free(g);
	return E2BIG;
}

/* The child: descriptors, signals, identity, exec.  Never returns. */
static void
slurm_child(const struct slurm_cmd *cmd, int in, int out, int err,
    const gid_t *groups, int ngroups)
{
	sigset_t none;

	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(126);
	if (close_range(3, ~0U, 0) == -1) {
		/* before Linux 5.9: one by one */
		long fd, max = sysconf(_SC_OPEN_MAX);

		for (fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			(void)close((int)fd);
	}
	(void)setsid();
	sigemptyset(&none);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (cmd->as_user && (setgroups((size_t)ngroups, groups) == -1 ||
	    setgid(cmd->gid) == -1 || setuid(cmd->uid) == -1 ||
	    getuid() != cmd->uid || geteuid() != cmd->uid)) {
		static const char msg[] = "cannot switch to the job's user\n";
		(void)!write(2, msg, sizeof msg - 1);
		_exit(126);
	}
	execve(cmd->argv[0], cmd->argv, cmd->env != NULL ? cmd->env : environ);
	{
		static const char msg[] = "cannot execute it\n";
		(void)!write(2, msg, sizeof msg - 1);
	}
	_exit(127);
}

/* Appends what fd has to *buf (up to max kept); 0 at EOF, 1 if more may
 * come. */
static int
slurm_read(int fd, char **buf, size_t *len, size_t max, int *trunc)
{
	char tmp[65536];
	ssize_t r;
	char *nb;

	r = read(fd, tmp, sizeof tmp);
	if (r == -1)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (r == 0)
		return 0;
	if (*len + (size_t)r > max) {
		*trunc = 1;
		r = (ssize_t)(max - *len);
	}
	if (r > 0) {
		if ((nb = realloc(*buf, *len + (size_t)r + 1)) == NULL) {
			*trunc = 1;
			return 1;
		}
		*buf = nb;
		memcpy(*buf + *len, tmp, (size_t)r);
		*len += (size_t)r;
		(*buf)[*len] = '\0';
	}
	return 1;
}

/* Feeds stdin, reads stdout and stderr until both end or the deadline;
 * 0 or JOBQ_ETIMEDOUT. */
static int
slurm_io(struct slurm_cmd *cmd, int in, int out, int err, int64_t deadline)
{
	struct pollfd p[3];
	size_t inoff = 0, inlen = cmd->input != NULL ? strlen(cmd->input) : 0;
	size_t errlen = 0;
	char *errbuf = NULL;
	int errtrunc = 0, n, wait;
	ssize_t w;
	int64_t now;

	if (inlen == 0) {
		close(in);
		in = -1;
	}
	while (out != -1 || err != -1) {
		now = util_mono_ms();
		if (now >= deadline) {
			if (in != -1)
				close(in);
			if (out != -1)
				close(out);
			if (err != -1)
				close(err);
			free(errbuf);
			return JOBQ_ETIMEDOUT;
		}
		wait = (int)(deadline - now);
		p[0].fd = in;
		p[0].events = POLLOUT;
		p[1].fd = out;
		p[1].events = POLLIN;
		p[2].fd = err;
		p[2].events = POLLIN;
		n = poll(p, 3, wait);
		if (n == -1 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (in != -1 && (p[0].revents & (POLLOUT | POLLERR |
		    POLLHUP)) != 0) {
			w = write(in, cmd->input + inoff, inlen - inoff);
			if (w > 0)
				inoff += (size_t)w;
			if ((w == -1 && errno != EAGAIN && errno != EINTR) ||
			    inoff == inlen) {
				close(in);
				in = -1;
			}
		}
		if (out != -1 && p[1].revents != 0 && !slurm_read(out,
		    &cmd->out, &cmd->outlen, SLURM_OUT_MAX, &cmd->truncated)) {
			close(out);
			out = -1;
		}
		if (err != -1 && p[2].revents != 0 && !slurm_read(err,
		    &errbuf, &errlen, sizeof cmd->err - 1, &errtrunc)) {
			close(err);
			err = -1;
		}
	}
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	if (err != -1)
		close(err);
	if (errbuf != NULL)
		snprintf(cmd->err, sizeof cmd->err, "%s", errbuf);
	free(errbuf);
	return 0;
}

/* Reaps pid, killing its process group at the deadline (now if kill): its
 * output has ended, but it may close it and live on.  0, or JOBQ_ETIMEDOUT
 * if it was killed. */
static int
slurm_reap(pid_t pid, int *wstatus, int64_t deadline, int kill_now)
{
	struct timespec ts;
	int64_t left;
	long nap = 1;		/* ms, doubled up to 50 */
	pid_t r;

	while (!kill_now) {
		if ((r = waitpid(pid, wstatus, WNOHANG)) == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return 0;	/* not ours: cannot happen */
		if ((left = deadline - util_mono_ms()) <= 0)
			break;
		if (nap > left)
			nap = (long)left;
		ts.tv_sec = 0;
		ts.tv_nsec = nap * 1000000;
		(void)nanosleep(&ts, NULL);
		if ((nap *= 2) > 50)
			nap = 50;
	}
	/* the group, and pid itself should it not have called setsid yet */
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) == -1 && errno == EINTR)
		;
	return JOBQ_ETIMEDOUT;
}

/* Runs cmd to its end or its deadline; fills its results. */
static void
slurm_exec(struct slurm *s, struct slurm_cmd *cmd)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int64_t start = util_mono_ms(), deadline = start + s->timeout_ms;
	gid_t *groups = NULL;
	int ngroups = 0, rv, e;
	pid_t pid;

	if (cmd->spec != NULL && slurm_files(cmd, cmd->err,
	    sizeof cmd->err) != 0) {
		cmd->status = JOBQ_EIO;
		return;
	}
	if (cmd->as_user && (e = slurm_groups(cmd->uid, &cmd->gid, &groups,
	    &ngroups)) != 0) {
		snprintf(cmd->err, sizeof cmd->err, "the user's groups: %s",
		    strerror(e));
		cmd->status = JOBQ_EIO;
		return;
	}
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1) {
		snprintf(cmd->err, sizeof cmd->err, "pipe: %s",
		    strerror(errno));
		cmd->status = JOBQ_EIO;
		goto out;
	}
	if ((pid = fork()) == -1) {
		snprintf(cmd->err, sizeof cmd->err, "fork: %s",
		    strerror(errno));
		cmd->status = JOBQ_EIO;
		goto out;
	}
	if (pid == 0)
		slurm_child(cmd, in[0], out[1], err[1], groups, ngroups);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	rv = slurm_io(cmd, in[1], out[0], err[0], deadline);
	in[1] = out[0] = err[0] = -1;
	cmd->status = slurm_reap(pid, &cmd->wstatus, deadline,
	    rv == JOBQ_ETIMEDOUT);
out:
	for (e = 0; e < 2; e++) {
		if (in[e] != -1)
			close(in[e]);
		if (out[e] != -1)
			close(out[e]);
		if (err[e] != -1)
			close(err[e]);
	}
	free(groups);
	cmd->ms = util_mono_ms() - start;
}

static void *
slurm_main(void *arg)
{
	struct slurm *s = arg;
	struct slurm_cmd *cmd;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->todo == NULL && !s->closing)
			pthread_cond_wait(&s->cv, &s->mu);
		if ((cmd = s->todo) == NULL)
			break;		/* closing, nothing left */
		if ((s->todo = cmd->next) == NULL)
			s->todo_tail = &s->todo;
		cmd->next = NULL;
		if (s->closing)
			cmd->status = JOBQ_ESHUTDOWN;
		else {
			pthread_mutex_unlock(&s->mu);
			slurm_exec(s, cmd);
			pthread_mutex_lock(&s->mu);
		}
		*s->done_tail = cmd;
		s->done_tail = &cmd->next;
		uv_async_send(&s->async);
	}
	s->exited = 1;
	pthread_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
	return NULL;
}

/* ---- the loop's side ---- */

static void
slurm_free(uv_handle_t *h)
{
	struct slurm *s = h->data;
	void (*closed)(void *) = s->closed;
	void *arg = s->closed_arg;

	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	if (closed != NULL)
		closed(arg);
}

static void
slurm_async_cb(uv_async_t *a)
{
	struct slurm *s = a->data;
	struct slurm_cmd *list, *cmd;
	int exited;

	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	exited = s->exited;
	pthread_mutex_unlock(&s->mu);
	while ((cmd = list) != NULL) {
		list = cmd->next;
		cmd->next = NULL;
		s->pending--;
		cmd->done(cmd);
	}
	if (exited && s->pending == 0 && !uv_is_closing((uv_handle_t *)a)) {
		pthread_join(s->thread, NULL);
		uv_close((uv_handle_t *)a, slurm_free);
	}
}

int
slurm_new(uv_loop_t *loop, int64_t timeout_ms, struct slurm **out)
{
	struct slurm *s;
	sigset_t all, old;
	int rv;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return JOBQ_ENOMEM;
	s->loop = loop;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return JOBQ_ENOMEM;
	}
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return JOBQ_ENOMEM;
	}
	if (uv_async_init(loop, &s->async, slurm_async_cb) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return JOBQ_ENOMEM;
	}
	s->async.data = s;
	/* the thread takes no signal: they are the loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rv = pthread_create(&s->thread, NULL, slurm_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		log_warnx("cannot start the Slurm thread: %s", strerror(rv));
		s->closed = NULL;
		uv_close((uv_handle_t *)&s->async, slurm_free);
		return JOBQ_ENOMEM;
	}
	*out = s;
	return 0;
}

void
slurm_run(struct slurm *s, struct slurm_cmd *cmd)
{
	JQ_ASSERT(cmd->argv != NULL && cmd->argv[0] != NULL &&
	    cmd->done != NULL);
	cmd->next = NULL;
	s->pending++;
	pthread_mutex_lock(&s->mu);
	*s->todo_tail = cmd;
	s->todo_tail = &cmd->next;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

size_t
slurm_pending(const struct slurm *s)
{
	return s->pending;
}

void
slurm_close(struct slurm *s, void (*closed)(void *), void *arg)
{
	s->closed = closed;
	s->closed_arg = arg;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}
