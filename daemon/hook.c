/*
 * hook.c - the hook runner (hook.h), loop thread only: the runs waiting
 * for a place, the running ones with their output pipe and timer, and
 * their end.
 *
 * A run's life:
 *
 *   hook_run --> pending (FIFO) --hook_start, fewer than max_running-->
 *   running: process + pipe + timer open
 *     pipe: lines logged until HOOK_LOG_MAX, then counted; EOF closes it
 *     timer: --hook-timeout -> SIGTERM to the group, HOOK_KILL_MS -> KILL
 *     exit: logged; the rest of its process group killed; the pipe gets a
 *       last HOOK_DRAIN_MS to reach EOF (a process that left the group may
 *       hold it open), then is closed
 *   --all three handles closed--> freed; the next pending run starts
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "util.h"

#define HOOK_DRAIN_MS 1000   /* after the exit, for the pipe's EOF */

struct hook_job {
	struct hook *h;
	TAILQ_ENTRY(hook_job) link;
	char what[96];           /* "job 7 (queue)" */
	char *cmd, *cwd;
	char **env;
	uid_t uid;
	gid_t gid;
	int umask;
	/* while running */
	uv_process_t proc;
	uv_pipe_t out;
	uv_timer_t timer;
	int nopen;               /* handles not closed yet */
	int exited, killed, timed_out, out_open;
	int64_t started_ms;
	size_t logged;           /* bytes of output logged */
	uint64_t unlogged;       /* bytes past HOOK_LOG_MAX */
	char line[256];          /* a line being gathered */
	size_t linelen;
};
TAILQ_HEAD(hook_list, hook_job);

struct hook {
	uv_loop_t *loop;
	char *exe;
	int64_t timeout_ms;
	int max_running;
	struct hook_list pending, running;
	size_t npending, nrunning;
	uint64_t started, failed, timed_out, dropped;
	int closing;
	void (*close_done)(void *);
	void *close_arg;
};

static void hook_start_some(struct hook *);

int
hook_new(uv_loop_t *loop, const struct hook_config *cfg, struct hook **out)
{
	struct hook *h;

	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->exe = strdup(cfg->exe)) == NULL) {
		free(h);
		return JOBQ_ENOMEM;
	}
	h->loop = loop;
	h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
	h->max_running = cfg->max_running > 0 ? cfg->max_running : 1;
	TAILQ_INIT(&h->pending);
	TAILQ_INIT(&h->running);
	*out = h;
	return 0;
}

static void
hook_job_free(struct hook_job *r)
{
	free(r->cmd);
	free(r->cwd);
	free(r->env);
	free(r);
}

int
hook_run(struct hook *h, const char *what, const char *cmd, uid_t uid,
    gid_t gid, int umask, const char *cwd, char **env)
{
	struct hook_job *r;

	if (h->closing || h->npending >= HOOK_MAX_PENDING) {
		h->dropped++;
		log_warnx("hook %s dropped: %s", what, h->closing ?
		    "jobqd is stopping" : "too many hooks waiting");
		free(env);
		return JOBQ_ETOOBIG;
	}
	if (env == NULL || (r = calloc(1, sizeof *r)) == NULL) {
		h->dropped++;
		log_warnx("hook %s dropped: out of memory", what);
		free(env);
		return JOBQ_ENOMEM;
	}
	r->h = h;
	r->env = env;
	snprintf(r->what, sizeof r->what, "%s", what);
	r->uid = uid;
	r->gid = gid;
	r->umask = umask & 0777;
	if ((r->cmd = strdup(cmd)) == NULL ||
	    (r->cwd = strdup(cwd != NULL ? cwd : "/")) == NULL) {
		h->dropped++;
		log_warnx("hook %s dropped: out of memory", what);
		hook_job_free(r);
		return JOBQ_ENOMEM;
	}
	TAILQ_INSERT_TAIL(&h->pending, r, link);
	h->npending++;
	hook_start_some(h);
	return 0;
}

/* One line of the hook's output into the log, control bytes escaped. */
static void
hook_log_line(struct hook_job *r, const char *p, size_t n)
{
	char buf[sizeof r->line * 4 + 1];
	size_t i, k = 0;

	for (i = 0; i < n && k + 5 < sizeof buf; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02x",
			    c);
		else
			buf[k++] = (char)c;
	}
	buf[k] = '\0';
	log_info("hook %s: %s", r->what, buf);
}

static void
hook_flush_line(struct hook_job *r)
{
	if (r->linelen > 0)
		hook_log_line(r, r->line, r->linelen);
	r->linelen = 0;
}

static void
hook_alloc_cb(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	static char space[4096];

	(void)hd;
	(void)suggested;
	/* one loop thread, and each read is consumed before the next */
	buf->base = space;
	buf->len = sizeof space;
}

static void hook_closed(uv_handle_t *hd);

static void
hook_close_out(struct hook_job *r)
{
	if (!r->out_open)
		return;
	r->out_open = 0;
	hook_flush_line(r);
	if (r->unlogged > 0)
		log_info("hook %s: %" PRIu64 " more bytes of output not logged",
		    r->what, r->unlogged);
	uv_close((uv_handle_t *)&r->out, hook_closed);
}

static void
hook_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct hook_job *r = st->data;
	ssize_t i;

	if (n < 0) {
		hook_close_out(r);
		return;
	}
	for (i = 0; i < n; i++) {
		char c = buf->base[i];

		if (r->logged >= HOOK_LOG_MAX) {
			r->unlogged++;
			continue;
		}
		r->logged++;
		if (c == '\n') {
			hook_flush_line(r);
			continue;
		}
		r->line[r->linelen++] = c;
		if (r->linelen == sizeof r->line)
			hook_flush_line(r);
	}
}

/* SIGKILL (or sig) to the run's process group; its leader may be gone. */
static void
hook_kill_group(struct hook_job *r, int sig)
{
	if (r->proc.pid > 0 && kill(-r->proc.pid, sig) == -1 &&
	    errno != ESRCH)
		log_warn("hook %s: kill", r->what);
}

static void
hook_timer_cb(uv_timer_t *t)
{
	struct hook_job *r = t->data;

	if (r->exited) {
		/* the pipe never reached EOF: someone left the group with it */
		hook_close_out(r);
		return;
	}
	if (!r->timed_out) {
		r->timed_out = 1;
		r->h->timed_out++;
		log_warnx("hook %s: still running after %" PRId64 " ms "
		    "(--hook-timeout); sending SIGTERM", r->what,
		    r->h->timeout_ms);
		hook_kill_group(r, SIGTERM);
		uv_timer_start(&r->timer, hook_timer_cb, HOOK_KILL_MS, 0);
		return;
	}
	log_warnx("hook %s: sending SIGKILL", r->what);
	r->killed = 1;
	hook_kill_group(r, SIGKILL);
}

static void
hook_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct hook_job *r = p->data;
	int64_t ms = util_mono_ms() - r->started_ms;

	r->exited = 1;
	if (sig != 0) {
		r->h->failed++;
		log_warnx("hook %s: killed by signal %d after %" PRId64 " ms",
		    r->what, sig, ms);
	} else if (status != 0) {
		r->h->failed++;
		log_warnx("hook %s: exited %" PRId64 " after %" PRId64 " ms",
		    r->what, status, ms);
	} else
		log_debug("hook %s: done in %" PRId64 " ms", r->what, ms);
	/* what it left behind in its session goes too */
	hook_kill_group(r, SIGKILL);
	uv_close((uv_handle_t *)&r->proc, hook_closed);
	if (r->out_open)
		uv_timer_start(&r->timer, hook_timer_cb, HOOK_DRAIN_MS, 0);
	else
		uv_close((uv_handle_t *)&r->timer, hook_closed);
}

static void
hook_closed(uv_handle_t *hd)
{
	struct hook_job *r = hd->data;
	struct hook *h = r->h;

	if (hd == (uv_handle_t *)&r->out && r->exited &&
	    !uv_is_closing((uv_handle_t *)&r->timer)) {
		uv_timer_stop(&r->timer);
		uv_close((uv_handle_t *)&r->timer, hook_closed);
	}
	if (--r->nopen > 0)
		return;
	TAILQ_REMOVE(&h->running, r, link);
	h->nrunning--;
	hook_job_free(r);
	if (h->closing && h->nrunning == 0) {
		h->close_done(h->close_arg);
		free(h->exe);
		free(h);
		return;
	}
	hook_start_some(h);
}

/* Starts r (taken off the pending list); on failure logs and frees it. */
static void
hook_start(struct hook *h, struct hook_job *r)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[3];
	uv_file fds[2];
	char uid[16], gid[16], mask[8], *args[8];
	int rv;

	if ((rv = uv_pipe(fds, UV_NONBLOCK_PIPE, 0)) != 0) {
		h->dropped++;
		log_warnx("hook %s not run: pipe: %s", r->what, uv_strerror(rv));
		hook_job_free(r);
		return;
	}
	snprintf(uid, sizeof uid, "%lu", (unsigned long)r->uid);
	snprintf(gid, sizeof gid, "%lu", (unsigned long)r->gid);
	snprintf(mask, sizeof mask, "%03o", (unsigned)r->umask);
	args[0] = h->exe;
	args[1] = (char *)"--hook";
	args[2] = uid;
	args[3] = gid;
	args[4] = mask;
	args[5] = r->cwd;
	args[6] = r->cmd;
	args[7] = NULL;
	memset(&opt, 0, sizeof opt);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = fds[1];
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = fds[1];
	opt.file = h->exe;
	opt.args = args;
	opt.env = r->env;
	opt.cwd = "/";
	opt.flags = UV_PROCESS_DETACHED;	/* setsid: its own group */
	opt.stdio_count = 3;
	opt.stdio = stdio;
	opt.exit_cb = hook_exit_cb;
	r->proc.data = r;
	r->out.data = r;
	r->timer.data = r;
	rv = uv_spawn(h->loop, &r->proc, &opt);
	close(fds[1]);
	TAILQ_INSERT_TAIL(&h->running, r, link);
	h->nrunning++;
	r->nopen = 1;		/* the process handle, even when spawn failed */
	if (rv != 0) {
		h->failed++;
		log_warnx("hook %s not run: %s", r->what, uv_strerror(rv));
		close(fds[0]);
		r->exited = 1;
		uv_close((uv_handle_t *)&r->proc, hook_closed);
		return;
	}
	h->started++;
	r->started_ms = util_mono_ms();
	log_debug("hook %s: started (pid %d)", r->what, r->proc.pid);
	uv_timer_init(h->loop, &r->timer);
	r->nopen++;
	uv_pipe_init(h->loop, &r->out, 0);
	r->nopen++;
	if ((rv = uv_pipe_open(&r->out, fds[0])) != 0)
		close(fds[0]);		/* not the handle's */
	else
		rv = uv_read_start((uv_stream_t *)&r->out, hook_alloc_cb,
		    hook_read_cb);
	if (rv != 0) {
		log_warnx("hook %s: its output is not logged: %s", r->what,
		    uv_strerror(rv));
		uv_close((uv_handle_t *)&r->out, hook_closed);
	} else
		r->out_open = 1;
	uv_timer_start(&r->timer, hook_timer_cb, (uint64_t)h->timeout_ms, 0);
}

static void
hook_start_some(struct hook *h)
{
	struct hook_job *r;

	while (!h->closing && h->nrunning < (size_t)h->max_running &&
	    (r = TAILQ_FIRST(&h->pending)) != NULL) {
		TAILQ_REMOVE(&h->pending, r, link);
		h->npending--;
		hook_start(h, r);
	}
}

void
hook_counts(const struct hook *h, struct hook_counts *out)
{
	out->running = h->nrunning;
	out->pending = h->npending;
	out->started = h->started;
	out->failed = h->failed;
	out->timed_out = h->timed_out;
	out->dropped = h->dropped;
}

void
hook_close(struct hook *h, void (*done)(void *), void *arg)
{
	struct hook_job *r;

	h->closing = 1;
	h->close_done = done;
	h->close_arg = arg;
	if (h->npending > 0)
		log_warnx("%zu hooks not run: jobqd is stopping", h->npending);
	while ((r = TAILQ_FIRST(&h->pending)) != NULL) {
		TAILQ_REMOVE(&h->pending, r, link);
		h->npending--;
		h->dropped++;
		hook_job_free(r);
	}
	TAILQ_FOREACH(r, &h->running, link)
		if (!r->exited) {
			log_info("hook %s: killed, jobqd is stopping", r->what);
			hook_kill_group(r, SIGKILL);
		}
	if (h->nrunning == 0) {
		done(arg);
		free(h->exe);
		free(h);
	}
}
