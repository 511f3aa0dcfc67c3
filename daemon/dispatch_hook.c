/*
 * dispatch_hook.c - which hooks a job's end and a queue's drain run (loop
 * thread only; hook.h says how they run).
 *
 * A job's end: once its final end has committed (dispatch_end_done), the
 * job's row is read back (with its waiters' read, dispatch_wait.c) when the
 * job has its own on_end (sjob.on_end) or its queue has an on-end in
 * jobqd.conf (conf_hook: the [queue] section's, else the global one), and
 * each of those runs as the job's user, with its group, umask and
 * directory, the job's facts in its environment (hook_env_job).
 *
 * A queue's drain: a queue is armed when a job enters it (submit, a batch,
 * retry by hand, start-up recovery) and fires its on-drained hook (as
 * jobqd's own user) when, after the end of one of its jobs has committed,
 * it has no queued or running job left; firing disarms it, so a burst of
 * ends runs the hook once.  Retries keep a job queued, so a queue whose
 * last job will run again has not drained.
 */
#include "config.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "hook.h"
#include "log.h"
#include "util.h"
#include "dispatch_int.h"

int
dispatch_hook_wants(const struct dispatch *s, const struct sjob *j)
{
	return s->hook != NULL && (j->on_end ||
	    conf_hook(s->conf.conf_file, sched_queue_name(j->node.queue),
	    CONF_HOOK_END) != NULL);
}

/* uid's passwd entry into pw (strings in buf); pw->name NULL if none. */
static void
dispatch_hook_pw(uid_t uid, struct ident_pw *pw, gid_t *gid, char *buf,
    size_t len)
{
	struct passwd p, *res = NULL;

	memset(pw, 0, sizeof *pw);
	pw->uid = uid;
	if (getpwuid_r(uid, &p, buf, len, &res) == 0 && res != NULL) {
		pw->name = p.pw_name;
		pw->dir = p.pw_dir;
		pw->shell = p.pw_shell;
		if (gid != NULL)
			*gid = p.pw_gid;
	}
}

static void
dispatch_hook_one(struct dispatch *s, const jobq_job *job, const char *cmd,
    enum hook_origin origin)
{
	struct ident_pw pw;
	char buf[4096], what[96];
	gid_t gid = (gid_t)job->owner_uid;	/* no passwd entry: uid = gid */

	dispatch_hook_pw(job->owner_uid, &pw, &gid, buf, sizeof buf);
	if (job->gid >= 0)
		gid = (gid_t)job->gid;
	snprintf(what, sizeof what, "job %" PRId64 " (%s)", job->id,
	    hook_origin_name(origin));
	(void)hook_run(s->hook, what, cmd, job->owner_uid, gid, job->umask,
	    job->cwd, hook_env_job(job, origin, s->conf.logs_dir, &pw));
}

void
dispatch_hook_ended(struct dispatch *s, const jobq_job *job)
{
	const char *cmd;

	if (s->hook == NULL || s->shutting_down)
		return;
	if (job->on_end != NULL)
		dispatch_hook_one(s, job, job->on_end, HOOK_JOB);
	cmd = conf_hook(s->conf.conf_file, job->queue, CONF_HOOK_END);
	if (cmd != NULL)
		dispatch_hook_one(s, job, cmd, conf_hook(s->conf.conf_file,
		    "", CONF_HOOK_END) == cmd ? HOOK_GLOBAL : HOOK_QUEUE);
}

/* The index of queue in the armed list, or -1. */
static ssize_t
dispatch_hook_armed(const struct dispatch *s, const char *queue)
{
	size_t i;

	for (i = 0; i < s->narmed; i++)
		if (strcmp(s->armed[i], queue) == 0)
			return (ssize_t)i;
	return -1;
}

void
dispatch_hook_arm(struct dispatch *s, const struct sjob *j)
{
	const char *queue = sched_queue_name(j->node.queue);
	char *dup;

	if (s->hook == NULL || dispatch_hook_armed(s, queue) >= 0)
		return;
	if ((dup = strdup(queue)) == NULL ||
	    util_grow(&s->armed, &s->armed_cap, s->narmed + 1,
	    sizeof *s->armed) < 0) {
		free(dup);
		log_warnx("queue %s: out of memory; its on-drained hook may "
		    "not run", queue);
		return;
	}
	s->armed[s->narmed++] = dup;
}

void
dispatch_hook_drained(struct dispatch *s, const struct sjob *j)
{
	const struct sched_queue *q = j->node.queue;
	const char *name = sched_queue_name(q), *cmd;
	struct ident_pw pw;
	char buf[4096], what[96];
	ssize_t i;

	if (s->hook == NULL || s->shutting_down ||
	    sched_queue_nqueued(q) > 0 || sched_queue_nrunning(q) > 0 ||
	    (i = dispatch_hook_armed(s, name)) < 0)
		return;
	cmd = conf_hook(s->conf.conf_file, name, CONF_HOOK_DRAINED);
	if (cmd != NULL) {
		log_info("queue %s has drained", name);
		dispatch_hook_pw(geteuid(), &pw, NULL, buf, sizeof buf);
		snprintf(what, sizeof what, "queue %s drained", name);
		(void)hook_run(s->hook, what, cmd, geteuid(), getegid(), 022,
		    "/", hook_env_drained(name, &pw));
	}
	free(s->armed[i]);
	s->armed[i] = s->armed[--s->narmed];
}

void
dispatch_hook_free(struct dispatch *s)
{
	size_t i;

	for (i = 0; i < s->narmed; i++)
		free(s->armed[i]);
	free(s->armed);
	s->armed = NULL;
	s->narmed = s->armed_cap = 0;
}
