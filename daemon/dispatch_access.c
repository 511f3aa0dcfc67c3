/*
 * dispatch_access.c - who may do what to a job, and what a client sees of
 * one (loop thread only; jobqd.conf(5), jobqd(8) "Access and
 * visibility").  The server gives each request the client's uid, whether
 * it is an administrator (root, jobqd's own uid, or a member of the
 * admin-group) and the visibility of other users' jobs; every decision and
 * every refusal's message is made here, and every reply that carries jobs
 * goes through dispatch_view_job.
 */
#include "config.h"

#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "dispatch_int.h"

int
dispatch_may_touch(const struct dispatch_req *r, uid_t owner)
{
	return r->admin || r->uid == owner;
}

int
dispatch_privileged(const struct dispatch_req *r)
{
	return r->admin;
}

int
dispatch_may_read_output(const struct dispatch_req *r, uid_t owner)
{
	return r->uid == 0 || r->uid == owner || r->uid == geteuid();
}

enum dispatch_view
dispatch_view(const struct dispatch_req *r, uid_t owner)
{
	if (r->admin || r->uid == owner)
		return DISPATCH_VIEW_FULL;
	switch ((enum conf_visibility)r->vis) {
	case CONF_VIS_FULL:
		return DISPATCH_VIEW_FULL;
	case CONF_VIS_PRIVATE:
		return DISPATCH_VIEW_NONE;
	case CONF_VIS_LIMITED:
		break;
	}
	return DISPATCH_VIEW_LIMITED;
}

const jobq_job *
dispatch_view_job(const struct dispatch_req *r, const jobq_job *job,
    jobq_job *tmp)
{
	switch (dispatch_view(r, (uid_t)job->owner_uid)) {
	case DISPATCH_VIEW_FULL:
		return job;
	case DISPATCH_VIEW_NONE:
		return NULL;
	case DISPATCH_VIEW_LIMITED:
		break;
	}
	/* id, owner, queue, state and times: nothing else is sent */
	memset(tmp, 0, sizeof *tmp);
	tmp->id = job->id;
	tmp->state = job->state;
	tmp->queue = job->queue;
	tmp->owner_uid = job->owner_uid;
	tmp->submitted_at = job->submitted_at;
	tmp->started_at = job->started_at;
	tmp->finished_at = job->finished_at;
	tmp->exit_code = -1;
	tmp->limited = 1;
	return tmp;
}

/* "alice", or "uid 1234" without a passwd entry. */
static void
dispatch_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 &&
	    pwp != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

/* Who besides the owner may act on jobs: "root", "root or members of
 * group jobqadm", and jobqd's uid for an unprivileged jobqd. */
static void
dispatch_admins(const struct dispatch *s, char *buf, size_t len)
{
	struct group gr, *grp = NULL;
	char grbuf[16384], self[64] = "";
	gid_t gid = (gid_t)-1;
	const struct conf *c = s->conf.conf_file;

	if (c != NULL)
		gid = conf_admin_group(c);
	if (geteuid() != 0) {
		dispatch_user_name(geteuid(), self, sizeof self);
		snprintf(buf, len, "root or %s (jobqd's user)", self);
		return;
	}
	if (gid == (gid_t)-1) {
		snprintf(buf, len, "root");
		return;
	}
	if (getgrgid_r(gid, &gr, grbuf, sizeof grbuf, &grp) == 0 &&
	    grp != NULL)
		snprintf(buf, len, "root or members of group %s", gr.gr_name);
	else
		snprintf(buf, len, "root or members of group %lu",
		    (unsigned long)gid);
}

void
dispatch_refuse(struct dispatch *s, struct dispatch_req *r,
    const char *what, int64_t id, uid_t owner, const char *verb)
{
	char msg[512], name[64], admins[160];

	if (dispatch_view(r, owner) == DISPATCH_VIEW_NONE) {
		/* private: another user's job does not exist for r */
		dispatch_reply_error(r, JOBQ_ENOTFOUND, strcmp(what, "array") ==
		    0 ? "no such array" : "no such job");
		return;
	}
	dispatch_user_name(owner, name, sizeof name);
	dispatch_admins(s, admins, sizeof admins);
	snprintf(msg, sizeof msg, "%s %" PRId64 " belongs to %s: only its "
	    "owner or %s may %s it", what, id, name, admins, verb);
	dispatch_reply_error(r, JOBQ_EPERM, msg);
}

void
dispatch_refuse_admin(struct dispatch *s, struct dispatch_req *r,
    const char *action)
{
	char msg[512], admins[160];

	dispatch_admins(s, admins, sizeof admins);
	snprintf(msg, sizeof msg, "only %s may %s", admins, action);
	dispatch_reply_error(r, JOBQ_EPERM, msg);
}
