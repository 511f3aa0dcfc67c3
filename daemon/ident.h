/*
 * ident.h - who a job runs as (jobqd(8) "Identity"): the identity of a
 * submit (--user, --group, --clean-env) resolved on the loop thread, and
 * the login-like environment of --clean-env (a pure builder).  The switch
 * itself happens in the job's child (worker_spawn.c).
 */
#ifndef JOBQD_IDENT_H
#define JOBQD_IDENT_H

#include <sys/types.h>
#include <stddef.h>

#include "proto.h"

/* The PATH of a --clean-env job: root's has the sbin directories too. */
#define IDENT_PATH "/usr/local/bin:/usr/bin:/bin"
#define IDENT_PATH_ROOT \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What --clean-env takes from a passwd entry. */
struct ident_pw {
	const char *name;
	const char *dir;      /* "" or NULL: "/" */
	const char *shell;    /* "" or NULL: "/bin/sh" */
	uid_t uid;
};

/*
 * The login-like environment of pw: HOME, USER, LOGNAME, SHELL and PATH
 * (IDENT_PATH, IDENT_PATH_ROOT for uid 0), then the entries of extra
 * (NULL: none), each replacing an entry of the same name.  One malloc'd
 * block (free() frees it all), NULL-terminated, *n its count; NULL when
 * out of memory or an entry of extra is not K=V.  Pure.
 */
char **ident_env_build(const struct ident_pw *pw, const char *const *extra,
    size_t *n);

/*
 * Resolves the identity of a submit sent by uid submitter to a jobqd
 * running as daemon_uid: sub->run_uid (whom the job runs as and belongs
 * to), sub->run_gid (-1: that user's primary group) and, with clean_env,
 * sub->env (replaced by ident_env_build's block).  user/group only from
 * root to a root jobqd.  Returns 0, or JOBQ_EPERM, JOBQ_EINVAL or
 * JOBQ_ENOMEM with a message in msg.  Looks up the user and group
 * databases: called only for root's --user/--group and for --clean-env.
 */
int ident_submit(struct proto_submit *sub, uid_t submitter, uid_t daemon_uid,
    char *msg, size_t msglen);

#endif
