/*
 * statedir.c - the state dir: creating and opening it and logs/, the trust
 * checks of statedir.h (owner and mode of each directory, no symlinks
 * under it), the lock file, and the scan of logs/ and logs/UID/ for the
 * highest job id with output (so that ids are never used twice, even when
 * the database is lost).  Start-up only, on the main thread.  Moving the
 * old layout into logs/UID/: statedir_upgrade.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "statedir.h"

static void	statedir_errf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
statedir_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* 0 if the directory st (what path names) can be trusted; else
 * JOBQ_EPERM with why in err. */
static int
statedir_trusted(const struct stat *st, const char *path, char *err,
    size_t errlen)
{
	uid_t me = geteuid();

	if (!S_ISDIR(st->st_mode)) {
		statedir_errf(err, errlen, "%s is not a directory", path);
		return JOBQ_EINVAL;
	}
	if (st->st_uid != me) {
		statedir_errf(err, errlen, "%s belongs to uid %lu, not to "
		    "jobqd's uid %lu: refusing to use it (its owner could "
		    "replace what jobqd keeps there)", path,
		    (unsigned long)st->st_uid, (unsigned long)me);
		return JOBQ_EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		statedir_errf(err, errlen, "%s may be written by its group or "
		    "others (mode %04o): refusing to use it (chmod go-w %s)",
		    path, (unsigned)(st->st_mode & 07777), path);
		return JOBQ_EPERM;
	}
	return 0;
}

/* mkdir path's missing parents (0755), then path (0700); -1 with errno
 * and the failed directory in err. */
static int
statedir_mkdirs(const char *path, int parents, char *err, size_t errlen)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = p + 1; parents && *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			statedir_errf(err, errlen, "%s", p);
			return -1;
		}
		*s = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		statedir_errf(err, errlen, "%s", path);
		return -1;
	}
	return 0;
}

int
statedir_open(const char *path, int parents, int *fd, char *err,
    size_t errlen)
{
	char where[PATH_MAX];
	struct stat st;
	int e, rv;

	*fd = -1;
	where[0] = '\0';
	if (stat(path, &st) < 0) {
		if (errno != ENOENT ||
		    statedir_mkdirs(path, parents, where, sizeof where) < 0) {
			e = errno;
			if (where[0] != '\0' && strcmp(where, path) != 0)
				statedir_errf(err, errlen, "state directory %s: "
				    "cannot create %s: %s", path, where,
				    strerror(e));
			else
				statedir_errf(err, errlen, "state directory %s: "
				    "%s%s", path, where[0] != '\0' ?
				    "cannot create it: " : "", strerror(e));
			return JOBQ_ESTORAGE;
		}
	}
	if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = errno;
		if (e == ENOTDIR)
			statedir_errf(err, errlen, "state directory %s is not "
			    "a directory", path);
		else
			statedir_errf(err, errlen, "state directory %s: %s",
			    path, strerror(e));
		return e == ENOTDIR ? JOBQ_EINVAL : JOBQ_ESTORAGE;
	}
	if (fstat(*fd, &st) < 0) {
		statedir_errf(err, errlen, "state directory %s: %s", path,
		    strerror(errno));
		rv = JOBQ_ESTORAGE;
	} else if ((rv = statedir_trusted(&st, path, err, errlen)) != 0) {
		/* the message says it all */
	} else if (faccessat(*fd, ".", R_OK | W_OK | X_OK, AT_EACCESS) < 0) {
		statedir_errf(err, errlen, "state directory %s is not "
		    "writable: %s", path, strerror(errno));
		rv = JOBQ_EPERM;
	}
	if (rv != 0) {
		(void)close(*fd);
		*fd = -1;
	}
	return rv;
}

int
statedir_subdir(int dirfd, const char *path, const char *name, int *fd,
    char *err, size_t errlen)
{
	char full[PATH_MAX + 64];
	struct stat st;
	int e, rv;

	(void)snprintf(full, sizeof full, "%s/%s", path, name);
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
		statedir_errf(err, errlen, "%s: cannot create it: %s", full,
		    strerror(errno));
		return JOBQ_ESTORAGE;
	}
	*fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (*fd < 0) {
		e = errno;
		if (e == ELOOP || (e == ENOTDIR &&
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))) {
			statedir_errf(err, errlen, "%s is a symbolic link: "
			    "refusing to follow it", full);
			return JOBQ_EPERM;
		}
		statedir_errf(err, errlen, "%s: %s", full, strerror(e));
		return e == ENOTDIR ? JOBQ_EINVAL : JOBQ_ESTORAGE;
	}
	if (fstat(*fd, &st) < 0) {
		statedir_errf(err, errlen, "%s: %s", full, strerror(errno));
		rv = JOBQ_ESTORAGE;
	} else
		rv = statedir_trusted(&st, full, err, errlen);
	if (rv != 0) {
		(void)close(*fd);
		*fd = -1;
	}
	return rv;
}

int
statedir_file(int dirfd, const char *path, const char *name, int flags,
    int *fd, char *err, size_t errlen)
{
	struct stat st;
	int e;

	*fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0) {
		e = errno;
		if (e == ELOOP) {
			statedir_errf(err, errlen, "%s/%s is a symbolic link: "
			    "refusing to follow it", path, name);
			return JOBQ_EPERM;
		}
		statedir_errf(err, errlen, "%s/%s: %s", path, name,
		    strerror(e));
		return JOBQ_ESTORAGE;
	}
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		statedir_errf(err, errlen, "%s/%s: not a regular file of "
		    "uid %lu: refusing to use it", path, name,
		    (unsigned long)geteuid());
		(void)close(*fd);
		*fd = -1;
		return JOBQ_EPERM;
	}
	return 0;
}

int64_t
statedir_output_id(const char *name)
{
	int64_t id = 0;
	const char *p;

	for (p = name; *p >= '0' && *p <= '9'; p++) {
		if (id > (INT64_MAX - (*p - '0')) / 10)
			return 0;
		id = id * 10 + (*p - '0');
	}
	if (p == name || (strcmp(p, ".out") != 0 && strcmp(p, ".err") != 0))
		return 0;
	return id;
}

/* 1 if name is a uid directory's name in logs/ (decimal digits only). */
static int
statedir_uid_name(const char *name)
{
	const char *p;

	for (p = name; *p >= '0' && *p <= '9'; p++)
		;
	return p != name && *p == '\0' && p - name <= 10;
}

/* Raises *max to the highest id an output file in the directory fd names
 * (fd is consumed); with subdirs, also in its uid directories, opened
 * O_DIRECTORY | O_NOFOLLOW (a symlink there is not followed: skipped).
 * 0 or JOBQ_ESTORAGE. */
static int
statedir_scan_ids(int fd, int subdirs, int64_t *max)
{
	struct dirent *de;
	DIR *d;
	int64_t id;
	int sub, e = 0;

	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return JOBQ_ESTORAGE;
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if ((id = statedir_output_id(de->d_name)) > *max)
			*max = id;
		else if (id == 0 && subdirs && statedir_uid_name(de->d_name) &&
		    (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)) {
			sub = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			/* not a directory, or a symlink: no output there */
			if (sub < 0 && errno != ENOTDIR && errno != ELOOP &&
			    errno != ENOENT) {
				e = errno;
				break;
			}
			if (sub >= 0 && statedir_scan_ids(sub, 0, max) != 0) {
				e = EIO;
				break;
			}
		}
		errno = 0;
	}
	if (e == 0)
		e = errno;
	(void)closedir(d);
	return e != 0 ? JOBQ_ESTORAGE : 0;
}

int
statedir_max_output_id(int logs_fd, int64_t *max)
{
	int fd;

	*max = 0;
	if ((fd = fcntl(logs_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return JOBQ_ESTORAGE;
	return statedir_scan_ids(fd, 1, max);
}
