/*
 * statedir.h - the state dir (jobq.db, jobqd.lock, reserve, logs/) and the
 * trust it must deserve before jobqd writes anything in it.
 *
 * Trust: the state dir and every directory jobqd uses under it (logs/) must
 * be directories owned by jobqd's effective uid that neither their group
 * nor others may write to; else another user could replace what is in
 * them (logs/ by a symlink to a directory of their choice, into which a
 * root jobqd would then write job output and from which `jobq purge` would
 * delete).  jobqd refuses to start on one that is not (exit 1, one line).
 * Everything under the state dir is opened relative to a directory
 * descriptor without following symlinks: logs/ O_DIRECTORY | O_NOFOLLOW,
 * once; the lock and reserve files O_NOFOLLOW (regular files only); the
 * database is refused if it, its -wal or -shm is a symlink (store_schema.c).
 * The state dir itself may be reached through a symlink (an administrator's
 * choice of path); it is the directory it resolves to that is checked.
 * The per-user directories logs/UID/ in logs/ belong to their users, not
 * to jobqd: userdir.h says how they are made and checked.
 *
 * Errors: 0 or a negative JOBQ_E* code, with a one-line message in err.
 */
#ifndef JOBQD_STATEDIR_H
#define JOBQD_STATEDIR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Opens the state dir path (absolute), creating it (0700) if it is missing,
 * with its missing parents (0755) when parents is set, else only if its
 * parent exists.  Then checks it: a directory, trusted (see the top), and
 * readable, writable and searchable.  *fd: O_DIRECTORY, close-on-exec.
 */
int statedir_open(const char *path, int parents, int *fd, char *err,
    size_t errlen);

/*
 * The directory name in the state dir dirfd (path: the state dir's, for
 * messages), created (0700) if missing, opened O_DIRECTORY | O_NOFOLLOW
 * (a symlink is refused) and checked as the state dir is.
 */
int statedir_subdir(int dirfd, const char *path, const char *name, int *fd,
    char *err, size_t errlen);

/*
 * The regular file name in dirfd, opened with flags | O_NOFOLLOW |
 * O_CLOEXEC (O_CREAT: mode 0600); a symlink or anything but a regular file
 * owned by jobqd's euid is refused.
 */
int statedir_file(int dirfd, const char *path, const char *name, int flags,
    int *fd, char *err, size_t errlen);

/*
 * The highest job id an output file in the logs directory logs_fd names
 * (logs/UID/ID.out or ID.err, and logs/ID.out or ID.err of the old layout;
 * 0 if there is none), by reading the directories only (no stat: this runs
 * at every start, over as many files as jobs kept).  logs/UID/ are opened
 * O_NOFOLLOW: a symlink there is skipped.
 */
int statedir_max_output_id(int logs_fd, int64_t *max);

/* The id an output file's name gives (ID.out or ID.err), or 0. */
int64_t statedir_output_id(const char *name);

/*
 * Output files of the layout before issue 9 (logs/ID.out, logs/ID.err)
 * moved into logs/UID/ (statedir_upgrade.c).  owners gives the owners of
 * the jobs ids[0..n-1] into uids[] (-1: no such job; store_job_owners), 0
 * or a JOBQ_E* code.  res counts what was moved and what was left in logs/
 * (unknown: no job of theirs in the database; left: not a regular file, a
 * name taken, an error: each said with log_warnx).  0 or a JOBQ_E* code
 * (logs/ could not be read).
 */
typedef int statedir_owners_fn(void *arg, const int64_t *ids, size_t n,
    int64_t *uids);
struct statedir_upgrade {
	size_t moved;
	size_t unknown;
	size_t left;
};
int statedir_upgrade_logs(int logs_fd, const char *logs_path,
    statedir_owners_fn *owners, void *arg, struct statedir_upgrade *res);

#endif
