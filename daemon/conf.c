/*
 * conf.c - the configuration's lookups: who may use the daemon, who is an
 * administrator, caps and resource limits for a (user, queue), over the
 * struct conf that conf_parse builds (conf_parse.c).  Pure but for
 * conf_user_groups (NSS).
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "jobq.h"

static const struct conf conf_empty_conf = {
	.vis = CONF_VIS_LIMITED,
	.after = CONF_AFTER_ALLOW,
	.admin_gid = (gid_t)-1,
	.socket_mode = -1,
	.socket_gid = (gid_t)-1,
	.caps = { -1, -1 },
	.rl = CONF_LIM_UNSET_INIT,
};

const struct conf *
conf_empty(void)
{
	return &conf_empty_conf;
}

int
conf_user_groups(uid_t uid, gid_t *groups, int *ngroups)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	int n = *ngroups;

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &pwp) != 0 || pwp == NULL)
		return JOBQ_ENOTFOUND;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) {
		/* more than the caller's room: the first *ngroups are kept */
		return 0;
	}
	*ngroups = n;
	return 0;
}

static int
conf_in_uids(const uid_t *v, size_t n, uid_t uid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == uid)
			return 1;
	return 0;
}

static int
conf_in_gids(const gid_t *v, size_t n, const gid_t *groups, int ngroups)
{
	size_t i;
	int j;

	for (i = 0; i < n; i++)
		for (j = 0; j < ngroups; j++)
			if (v[i] == groups[j])
				return 1;
	return 0;
}

int
conf_allowed(const struct conf *c, uid_t uid, const gid_t *groups,
    int ngroups)
{
	if (uid == 0)
		return 1;
	if (conf_in_uids(c->deny_users, c->ndeny_users, uid) ||
	    conf_in_gids(c->deny_groups, c->ndeny_groups, groups, ngroups))
		return 0;
	if (!c->has_allow)
		return 1;
	return conf_in_uids(c->allow_users, c->nallow_users, uid) ||
	    conf_in_gids(c->allow_groups, c->nallow_groups, groups, ngroups);
}

const char *
conf_refusal(const struct conf *c, uid_t uid, const gid_t *groups,
    int ngroups)
{
	if (uid == 0)
		return NULL;
	if (conf_in_uids(c->deny_users, c->ndeny_users, uid))
		return "deny-users";
	if (conf_in_gids(c->deny_groups, c->ndeny_groups, groups, ngroups))
		return "deny-groups";
	if (conf_allowed(c, uid, groups, ngroups))
		return NULL;
	return "allow-users/allow-groups";
}

gid_t
conf_admin_group(const struct conf *c)
{
	return c->admin_gid;
}

const char *
conf_path(const struct conf *c)
{
	return c->path;
}

int
conf_socket_mode(const struct conf *c)
{
	return c->socket_mode;
}

gid_t
conf_socket_group(const struct conf *c)
{
	return c->socket_gid;
}

void
conf_describe(const struct conf *c, char *buf, size_t len)
{
	static const char *vis[] = { "limited", "full", "private" };
	char admin[32] = "none";

	if (c->admin_gid != (gid_t)-1)
		snprintf(admin, sizeof admin, "gid %lu",
		    (unsigned long)c->admin_gid);
	snprintf(buf, len, "allow lists: %s (%zu users, %zu groups), "
	    "deny lists: %zu users, %zu groups, admin group: %s, "
	    "visibility %s, after-foreign %s, %zu [queue] and %zu [user] "
	    "sections", c->has_allow ? "yes" : "no", c->nallow_users,
	    c->nallow_groups, c->ndeny_users, c->ndeny_groups, admin,
	    vis[c->vis], c->after == CONF_AFTER_DENY ? "deny" : "allow",
	    c->nqueues, c->nusers);
}

int
conf_admin(const struct conf *c, uid_t uid, const gid_t *groups,
    int ngroups)
{
	if (uid == 0)
		return 1;
	if (c->admin_gid == (gid_t)-1)
		return 0;
	return conf_in_gids(&c->admin_gid, 1, groups, ngroups);
}

enum conf_visibility
conf_visibility(const struct conf *c)
{
	return c->vis;
}

enum conf_after
conf_after(const struct conf *c)
{
	return c->after;
}

static const struct conf_user *
conf_find_user(const struct conf *c, uid_t uid)
{
	size_t i;

	for (i = 0; i < c->nusers; i++)
		if (c->users[i].uid == uid)
			return &c->users[i];
	return NULL;
}

static const struct conf_queue *
conf_find_queue(const struct conf *c, const char *queue)
{
	size_t i;

	for (i = 0; i < c->nqueues; i++)
		if (strcmp(c->queues[i].name, queue) == 0)
			return &c->queues[i];
	return NULL;
}

/* The first of a, b, c that is set (>= 0); 0 (no cap) if none is. */
static int64_t
conf_pick(int64_t a, int64_t b, int64_t c)
{
	if (a >= 0)
		return a;
	if (b >= 0)
		return b;
	return c >= 0 ? c : 0;
}

void
conf_caps_global(const struct conf *c, uid_t uid, struct conf_caps *out)
{
	const struct conf_user *u = conf_find_user(c, uid);

	out->queued = conf_pick(u ? u->caps.queued : -1, c->caps.queued, -1);
	out->running = conf_pick(u ? u->caps.running : -1, c->caps.running,
	    -1);
}

void
conf_caps_queue(const struct conf *c, uid_t uid, const char *queue,
    struct conf_caps *out)
{
	const struct conf_queue *q = conf_find_queue(c, queue);

	(void)uid;
	out->queued = conf_pick(q ? q->user_caps.queued : -1, -1, -1);
	out->running = conf_pick(q ? q->user_caps.running : -1, -1, -1);
}

static const char *
conf_hook_of(const struct conf_hooks *h, enum conf_hook_kind kind)
{
	return kind == CONF_HOOK_END ? h->on_end : h->on_drained;
}

const char *
conf_hook(const struct conf *c, const char *queue, enum conf_hook_kind kind)
{
	const struct conf_queue *q = conf_find_queue(c, queue);
	const char *cmd = q != NULL ? conf_hook_of(&q->hooks, kind) : NULL;

	return cmd != NULL ? cmd : conf_hook_of(&c->hooks, kind);
}

int
conf_has_hook(const struct conf *c, enum conf_hook_kind kind)
{
	size_t i;

	if (conf_hook_of(&c->hooks, kind) != NULL)
		return 1;
	for (i = 0; i < c->nqueues; i++)
		if (conf_hook_of(&c->queues[i].hooks, kind) != NULL)
			return 1;
	return 0;
}

void
conf_rlimits(const struct conf *c, uid_t uid, const char *queue,
    struct conf_lim out[CONF_RL_COUNT])
{
	const struct conf_user *u = conf_find_user(c, uid);
	const struct conf_queue *q = conf_find_queue(c, queue);
	const struct conf_lim *l[3];
	int i, k;

	/* least specific first, so that a more specific section overrides */
	l[0] = c->rl;
	l[1] = q ? q->rl : NULL;
	l[2] = u ? u->rl : NULL;
	for (i = 0; i < CONF_RL_COUNT; i++) {
		out[i].def = out[i].max = CONF_UNSET;
		for (k = 0; k < 3; k++) {
			if (l[k] == NULL)
				continue;
			if (l[k][i].def != CONF_UNSET)
				out[i].def = l[k][i].def;
			if (l[k][i].max != CONF_UNSET)
				out[i].max = l[k][i].max;
		}
	}
}
