/*
 * statedir_upgrade.c - the output files of the layout before issue 9
 * (logs/ID.out, logs/ID.err, owned by jobqd's uid) moved into the per-user
 * layout (logs/UID/ID.out, owned by UID: userdir.h), at start-up, before
 * any job runs.  Main thread only.
 *
 * Each file of the old layout whose job the database knows is handed to the
 * job's owner (jobs.owner_uid) and renamed into logs/UID/ (created as a
 * worker would), all relative to directory descriptors: opened O_NOFOLLOW
 * and checked a regular file with one link before its fchown, renamed with
 * renameat2(RENAME_NOREPLACE) (a name taken in logs/UID/ is never
 * replaced).  A symlink or anything but a regular file is left where it is
 * (and said so), as are the files of jobs the database does not know (the
 * id floor still counts them: statedir_max_output_id reads logs/ too).
 * Moving is idempotent: a jobqd killed half-way moves the rest at its next
 * start.  Also removes the temporary directories a killed worker may have
 * left (".new-UID-PID", userdir.c), if empty.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "statedir.h"
#include "userdir.h"
#include "util.h"

/* The files of the old layout found in logs/. */
struct statedir_old {
	int64_t *ids;
	unsigned char *err;	/* 1: ID.err, 0: ID.out */
	size_t n, cap, ecap;
};

/* One logs/UID/ descriptor per owner met (few owners: a short list). */
struct statedir_dirs {
	struct statedir_dir { int64_t uid; int fd; } *v;
	size_t n, cap;
};

/* Reads logs/ for the old layout's files (and removes the temporary
 * directories left by killed workers).  0 or JOBQ_E*. */
static int
statedir_upgrade_scan(int logs_fd, struct statedir_old *o)
{
	struct dirent *de;
	DIR *d;
	int64_t id;
	int fd, e;

	if ((fd = fcntl(logs_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return JOBQ_ESTORAGE;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return JOBQ_ESTORAGE;
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".new-", 5) == 0)
			(void)unlinkat(logs_fd, de->d_name, AT_REMOVEDIR);
		else if ((id = statedir_output_id(de->d_name)) > 0) {
			if (util_grow(&o->ids, &o->cap, o->n + 1,
			    sizeof *o->ids) != 0 ||
			    util_grow(&o->err, &o->ecap, o->n + 1, 1) != 0) {
				(void)closedir(d);
				return JOBQ_ENOMEM;
			}
			o->err[o->n] = strstr(de->d_name, ".err") != NULL;
			o->ids[o->n++] = id;
		}
		errno = 0;
	}
	e = errno;
	(void)closedir(d);
	return e != 0 ? JOBQ_ESTORAGE : 0;
}

/* The descriptor of logs/UID for uid (created if missing), or -1 (said). */
static int
statedir_upgrade_dir(int logs_fd, const char *logs_path,
    struct statedir_dirs *dirs, int64_t uid)
{
	size_t i;
	int fd, e;

	for (i = 0; i < dirs->n; i++)
		if (dirs->v[i].uid == uid)
			return dirs->v[i].fd;
	if (util_grow(&dirs->v, &dirs->cap, dirs->n + 1, sizeof *dirs->v) != 0)
		return -1;
	if ((e = userdir_open(logs_fd, (uid_t)uid, (gid_t)-1, USERDIR_CREATE,
	    &fd)) != 0) {
		log_warnx("%s/%" PRId64 " %s: the output files of uid %" PRId64
		    " stay in %s", logs_path, uid, userdir_strerror(e), uid,
		    logs_path);
		fd = -1;
	}
	dirs->v[dirs->n].uid = uid;
	dirs->v[dirs->n++].fd = fd;
	return fd;
}

/* Moves logs/name into dfd (logs/UID), handed to uid first: 1 if moved, 0
 * if left (said why). */
static int
statedir_upgrade_move(int logs_fd, const char *logs_path, const char *name,
    int dfd, uid_t uid)
{
	struct stat st;
	int fd, e;

	fd = openat(logs_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		log_warnx("%s/%s: %s: left where it is", logs_path, name,
		    e == ELOOP ? "a symbolic link (not followed)" :
		    strerror(e));
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		log_warnx("%s/%s: not a regular file with one link: left "
		    "where it is", logs_path, name);
		(void)close(fd);
		return 0;
	}
	if (st.st_uid != uid && fchown(fd, uid, (gid_t)-1) < 0) {
		log_warn("%s/%s: fchown to uid %lu: left where it is",
		    logs_path, name, (unsigned long)uid);
		(void)close(fd);
		return 0;
	}
	(void)close(fd);
	if (renameat2(logs_fd, name, dfd, name, RENAME_NOREPLACE) == 0)
		return 1;
	e = errno;
	if (e == EINVAL && faccessat(dfd, name, F_OK,
	    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
	    renameat(logs_fd, name, dfd, name) == 0)
		return 1;
	log_warnx("%s/%s: cannot move it into %s/%lu/: %s: left where it is",
	    logs_path, name, logs_path, (unsigned long)uid,
	    e == EEXIST ? "the name is taken there" : strerror(e));
	return 0;
}

int
statedir_upgrade_logs(int logs_fd, const char *logs_path,
    statedir_owners_fn *owners, void *arg, struct statedir_upgrade *res)
{
	struct statedir_old o;
	struct statedir_dirs dirs;
	int64_t *uids = NULL;
	char name[32];
	size_t i;
	int dfd, rv;

	memset(res, 0, sizeof *res);
	memset(&o, 0, sizeof o);
	memset(&dirs, 0, sizeof dirs);
	if ((rv = statedir_upgrade_scan(logs_fd, &o)) != 0 || o.n == 0)
		goto out;
	if ((uids = calloc(o.n, sizeof *uids)) == NULL) {
		rv = JOBQ_ENOMEM;
		goto out;
	}
	if ((rv = owners(arg, o.ids, o.n, uids)) != 0)
		goto out;
	for (i = 0; i < o.n; i++) {
		if (uids[i] < 0 || uids[i] > (int64_t)UINT32_MAX - 1) {
			res->unknown++;
			continue;
		}
		(void)snprintf(name, sizeof name, "%" PRId64 ".%s", o.ids[i],
		    o.err[i] ? "err" : "out");
		/* an unprivileged jobqd's files are all its own */
		uids[i] = userdir_uid((uid_t)uids[i]);
		if ((dfd = statedir_upgrade_dir(logs_fd, logs_path, &dirs,
		    uids[i])) >= 0 && statedir_upgrade_move(logs_fd,
		    logs_path, name, dfd, (uid_t)uids[i]))
			res->moved++;
		else
			res->left++;
	}
out:
	for (i = 0; i < dirs.n; i++)
		if (dirs.v[i].fd >= 0)
			(void)close(dirs.v[i].fd);
	free(dirs.v);
	free(uids);
	free(o.ids);
	free(o.err);
	return rv;
}
