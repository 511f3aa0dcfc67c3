/*
 * userdir.h - the per-user output directories STATE/logs/UID/ (issue 9):
 * their names, creating and opening them relative to the descriptor of
 * logs/, and the checks they must pass before anything is written, read or
 * removed in them.
 *
 * A job's output files are logs/UID/ID.out and ID.err, where UID is the
 * job's owner (jobs.owner_uid, the user it runs as).  logs/UID/ is owned by
 * UID, mode 0700; it is created on first use by a worker (userdir_open with
 * USERDIR_CREATE), never at a path a symlink could redirect: mkdirat of a
 * temporary name in logs/, fchown + fchmod of its O_NOFOLLOW descriptor,
 * then renameat2(RENAME_NOREPLACE) into place, so that it appears complete
 * or not at all.  An existing logs/UID/ is opened O_DIRECTORY | O_NOFOLLOW
 * and must be a directory owned by UID that neither its group nor others
 * may write to.
 *
 * Shared by the worker (creates, opens the files), dispatch_logs.c
 * (`jobq logs`), store_purge.c (purge and retention), statedir.c (the id
 * floor) and statedir_upgrade.c (the old layout, logs/ID.out).  Errors are
 * errno values (not JOBQ_E* codes): the worker reports them as they are.
 */
#ifndef JOBQD_USERDIR_H
#define JOBQD_USERDIR_H

#include <stddef.h>
#include <sys/types.h>

/* Room for a uid's decimal name ("4294967295") and for the temporary name
 * a directory is made under (".new-UID-PID"). */
#define USERDIR_NAME_MAX 48

/* The directory a job of owner uid writes in: uid's own for a root jobqd;
 * an unprivileged jobqd runs every job as itself (root may submit to it
 * too), so all its output is its own, in logs/EUID/. */
uid_t userdir_uid(uid_t uid);

/* The name of uid's directory in logs/: its decimal value. */
void userdir_name(char *buf, size_t len, uid_t uid);

/* userdir_open's flags. */
#define USERDIR_CREATE    0x1	/* make a missing one (the worker) */
#define USERDIR_ANY_OWNER 0x2	/* skip the owner and mode checks (the
				   purge: unlinking names in a directory
				   never writes through it) */

/*
 * Opens logs_fd/UID, UID = userdir_uid(uid) (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) into *fd and
 * checks it.  With USERDIR_CREATE, a missing one is made first (see the
 * top) owned by uid:gid (gid (gid_t)-1: the creator's group), mode 0700.
 * 0, or an errno: ENOENT (missing, not to be created), ELOOP (a symbolic
 * link: not followed), ENOTDIR (not a directory), EPERM (not owned by uid,
 * or writable by its group or others), or what a system call said.
 */
int userdir_open(int logs_fd, uid_t uid, gid_t gid, int flags, int *fd);

/* What userdir_open's error err means, for messages: "is a symbolic link
 * (not followed)", ... */
const char *userdir_strerror(int err);

#endif
