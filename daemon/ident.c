/*
 * ident.c - who a job runs as (jobqd(8) "Identity"), on the daemon's side:
 * the identity of a submit and the environment of --clean-env.
 *
 * A job runs as, and belongs to, the uid the kernel gave for the
 * submitting connection (SO_PEERCRED, server.c), never one the request
 * names; only root may name another (user, group), and only a jobqd
 * running as root can switch to it.  A name is looked up first, then a
 * decimal number: a user must have a passwd entry (the worker needs its
 * groups), a numeric group need not have a group entry.  With clean_env
 * the job's environment is built here from the passwd entry of the user it
 * runs as and stored as the job's: the worker only ever passes a job's
 * environment to execve, nothing in jobqd reads it for itself.
 *
 * ident_env_build is pure (tests/check_ident.c); ident_submit reads the
 * user and group databases (getpwnam_r and friends, on the loop thread)
 * only for user, group and clean_env.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "ident.h"

/* 1 if e (K=V) sets name (len bytes, without '='). */
static int
ident_env_is(const char *e, const char *name, size_t len)
{
	return strncmp(e, name, len) == 0 && e[len] == '=';
}

char **
ident_env_build(const struct ident_pw *pw, const char *const *extra,
    size_t *n)
{
	const char *base[5], *dir, *shell, *eq;
	size_t nb = 0, ne = 0, bytes = 0, i, k, len, count = 0;
	char **v, *q;
	static const char *const names[5] = { "HOME", "USER", "LOGNAME",
	    "SHELL", "PATH" };

	*n = 0;
	dir = pw->dir != NULL && pw->dir[0] != '\0' ? pw->dir : "/";
	shell = pw->shell != NULL && pw->shell[0] != '\0' ? pw->shell :
	    "/bin/sh";
	base[nb++] = dir;
	base[nb++] = pw->name != NULL ? pw->name : "";
	base[nb++] = pw->name != NULL ? pw->name : "";
	base[nb++] = shell;
	base[nb++] = pw->uid == 0 ? IDENT_PATH_ROOT : IDENT_PATH;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		eq = strchr(extra[i], '=');
		if (eq == NULL || eq == extra[i])
			return NULL;
		if (strlen(extra[i]) > SIZE_MAX / 4)
			return NULL;
		bytes += strlen(extra[i]) + 1;
		ne++;
	}
	for (k = 0; k < nb; k++)
		bytes += strlen(names[k]) + 1 + strlen(base[k]) + 1;
	if (ne > SIZE_MAX / sizeof(*v) - nb - 1 ||
	    bytes > SIZE_MAX - (nb + ne + 1) * sizeof(*v))
		return NULL;
	if ((v = malloc((nb + ne + 1) * sizeof(*v) + bytes)) == NULL)
		return NULL;
	q = (char *)(v + nb + ne + 1);
	/* The base entries an extra one does not replace, then the extras
	 * (the last of several with one name wins, as in a shell). */
	for (k = 0; k < nb; k++) {
		len = strlen(names[k]);
		for (i = 0; i < ne; i++)
			if (ident_env_is(extra[i], names[k], len))
				break;
		if (i < ne)
			continue;
		v[count++] = q;
		q += sprintf(q, "%s=%s", names[k], base[k]) + 1;
	}
	for (i = 0; i < ne; i++) {
		len = (size_t)(strchr(extra[i], '=') - extra[i]);
		for (k = i + 1; k < ne; k++)
			if (ident_env_is(extra[k], extra[i], len))
				break;
		if (k < ne)
			continue;
		v[count++] = q;
		memcpy(q, extra[i], strlen(extra[i]) + 1);
		q += strlen(extra[i]) + 1;
	}
	v[count] = NULL;
	*n = count;
	return v;
}

/* A getpw*_r / getgr*_r buffer's size. */
static size_t
ident_bufsize(int which)
{
	long n = sysconf(which);

	return n > 0 && n <= (1 << 20) ? (size_t)n : 16384;
}

/* Looks up a user by name (name != NULL) or uid into *pw, its strings in
 * *buf (malloc'd, the caller frees it).  0, JOBQ_ENOTFOUND or
 * JOBQ_ENOMEM. */
static int
ident_getpw(const char *name, uid_t uid, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;
	size_t len = ident_bufsize(_SC_GETPW_R_SIZE_MAX);
	char *b;
	int e;

	*buf = NULL;
	for (;;) {
		if ((b = realloc(*buf, len)) == NULL)
			return JOBQ_ENOMEM;
		*buf = b;
		e = name != NULL ? getpwnam_r(name, pw, b, len, &res) :
		    getpwuid_r(uid, pw, b, len, &res);
		if (e != ERANGE || len >= (1 << 24))
			break;
		len *= 2;
	}
	if (e == ENOMEM)
		return JOBQ_ENOMEM;
	return res != NULL ? 0 : JOBQ_ENOTFOUND;
}

/* A group's gid by name; 0, JOBQ_ENOTFOUND or JOBQ_ENOMEM. */
static int
ident_getgr(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	size_t len = ident_bufsize(_SC_GETGR_R_SIZE_MAX);
	char *buf = NULL, *b;
	int e;

	for (;;) {
		if ((b = realloc(buf, len)) == NULL) {
			free(buf);
			return JOBQ_ENOMEM;
		}
		buf = b;
		e = getgrnam_r(name, &gr, buf, len, &res);
		if (e != ERANGE || len >= (1 << 24))
			break;
		len *= 2;
	}
	if (res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (e == ENOMEM)
		return JOBQ_ENOMEM;
	return res != NULL ? 0 : JOBQ_ENOTFOUND;
}

/* A decimal id below UINT32_MAX (the kernel's -1): 0, or -1. */
static int
ident_number(const char *s, uint32_t *v)
{
	unsigned long long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned)(*s - '0');
		if (n >= UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)n;
	return 0;
}

/* sub->user into sub->run_uid: a user name, else a uid with a passwd
 * entry. */
static int
ident_user(struct proto_submit *sub, char *msg, size_t msglen)
{
	struct passwd pw;
	char *buf = NULL;
	uint32_t n;
	int rc;

	rc = ident_getpw(sub->user, 0, &pw, &buf);
	if (rc == JOBQ_ENOTFOUND && ident_number(sub->user, &n) == 0) {
		free(buf);
		rc = ident_getpw(NULL, (uid_t)n, &pw, &buf);
	}
	if (rc == 0)
		sub->run_uid = (uint32_t)pw.pw_uid;
	free(buf);
	if (rc == JOBQ_ENOTFOUND) {
		snprintf(msg, msglen, "user: no such user: %s", sub->user);
		return JOBQ_EINVAL;
	}
	if (rc != 0)
		snprintf(msg, msglen, "out of memory");
	return rc;
}

/* sub->group into sub->run_gid: a group name, else a gid. */
static int
ident_group(struct proto_submit *sub, char *msg, size_t msglen)
{
	gid_t gid;
	uint32_t n;
	int rc;

	rc = ident_getgr(sub->group, &gid);
	if (rc == JOBQ_ENOTFOUND && ident_number(sub->group, &n) == 0) {
		gid = (gid_t)n;
		rc = 0;
	}
	if (rc == 0 && (uint32_t)gid != UINT32_MAX) {
		sub->run_gid = (int64_t)gid;
		return 0;
	}
	if (rc == JOBQ_ENOMEM) {
		snprintf(msg, msglen, "out of memory");
		return rc;
	}
	snprintf(msg, msglen, "group: no such group: %s", sub->group);
	return JOBQ_EINVAL;
}

/* Replaces sub->env with the login-like environment of uid (its entries
 * on top). */
static int
ident_clean_env(struct proto_submit *sub, uid_t uid, char *msg, size_t msglen)
{
	struct ident_pw ip;
	struct passwd pw;
	char *buf = NULL, **env;
	size_t n;
	int rc;

	if ((rc = ident_getpw(NULL, uid, &pw, &buf)) != 0) {
		free(buf);
		if (rc == JOBQ_ENOTFOUND) {
			snprintf(msg, msglen, "clean_env: uid %lu has no "
			    "passwd entry", (unsigned long)uid);
			return JOBQ_EINVAL;
		}
		snprintf(msg, msglen, "out of memory");
		return rc;
	}
	ip.name = pw.pw_name;
	ip.dir = pw.pw_dir;
	ip.shell = pw.pw_shell;
	ip.uid = pw.pw_uid;
	env = ident_env_build(&ip, (const char *const *)sub->env, &n);
	free(buf);
	if (env == NULL) {
		snprintf(msg, msglen, "out of memory");
		return JOBQ_ENOMEM;
	}
	free(sub->env);
	sub->env = (const char **)env;
	sub->envc = n;
	return 0;
}

int
ident_submit(struct proto_submit *sub, uid_t submitter, uid_t daemon_uid,
    char *msg, size_t msglen)
{
	int rc;

	sub->run_uid = (uint32_t)submitter;
	sub->run_gid = -1;
	if (sub->user != NULL || sub->group != NULL) {
		if (submitter != 0) {
			snprintf(msg, msglen, "only root may submit jobs as "
			    "another user or group (user, group)");
			return JOBQ_EPERM;
		}
		if (daemon_uid != 0) {
			snprintf(msg, msglen, "jobqd runs as uid %lu, not "
			    "root: it cannot run jobs as another user or "
			    "group", (unsigned long)daemon_uid);
			return JOBQ_EPERM;
		}
		if ((sub->user != NULL &&
		    (rc = ident_user(sub, msg, msglen)) != 0) ||
		    (sub->group != NULL &&
		    (rc = ident_group(sub, msg, msglen)) != 0))
			return rc;
	}
	if (sub->clean_env)
		return ident_clean_env(sub, daemon_uid == 0 ?
		    (uid_t)sub->run_uid : daemon_uid, msg, msglen);
	return 0;
}
