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
	tmp->held = job->held;
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

/* Who may act on any job, as a list after `first` ("its owner", or NULL):
 * "its owner, root or members of group jobqadm", "root", ...; jobqd's
 * user too for an unprivileged jobqd. */
static void
dispatch_admins(const struct dispatch *s, const char *first, char *buf,
    size_t len)
{
	struct group gr, *grp = NULL;
	char grbuf[16384], who[3][96];
	gid_t gid = (gid_t)-1;
	const struct conf *c = s->conf.conf_file;
	int n = 0;

	if (first != NULL)
		snprintf(who[n++], sizeof who[0], "%s", first);
	snprintf(who[n++], sizeof who[0], "root");
	if (c != NULL)
		gid = conf_admin_group(c);
	if (geteuid() != 0) {
		dispatch_user_name(geteuid(), grbuf, sizeof who[0]);
		snprintf(who[n++], sizeof who[0], "%.64s (jobqd's user)",
		    grbuf);
	} else if (gid != (gid_t)-1) {
		if (getgrgid_r(gid, &gr, grbuf, sizeof grbuf, &grp) == 0 &&
		    grp != NULL)
			snprintf(who[n++], sizeof who[0], "members of group "
			    "%.64s", gr.gr_name);
		else
			snprintf(who[n++], sizeof who[0], "members of group "
			    "%lu", (unsigned long)gid);
	}
	if (n == 1)
		snprintf(buf, len, "%s", who[0]);
	else if (n == 2)
		snprintf(buf, len, "%s or %s", who[0], who[1]);
	else
		snprintf(buf, len, "%s, %s or %s", who[0], who[1], who[2]);
}

void
dispatch_refuse(struct dispatch *s, struct dispatch_req *r,
    const char *what, int64_t id, uid_t owner, const char *verb)
{
	char msg[512], name[64], admins[320];

	if (dispatch_view(r, owner) == DISPATCH_VIEW_NONE) {
		/* private: another user's job does not exist for r */
		dispatch_reply_error(r, JOBQ_ENOTFOUND, strcmp(what, "array") ==
		    0 ? "no such array" : "no such job");
		return;
	}
	dispatch_user_name(owner, name, sizeof name);
	dispatch_admins(s, "its owner", admins, sizeof admins);
	snprintf(msg, sizeof msg, "%s %" PRId64 " belongs to %s: only %s may "
	    "%s it", what, id, name, admins, verb);
	dispatch_reply_error(r, JOBQ_EPERM, msg);
}

void
dispatch_refuse_admin(struct dispatch *s, struct dispatch_req *r,
    const char *action)
{
	char msg[512], admins[320];

	dispatch_admins(s, NULL, admins, sizeof admins);
	snprintf(msg, sizeof msg, "only %s may %s", admins, action);
	dispatch_reply_error(r, JOBQ_EPERM, msg);
}
