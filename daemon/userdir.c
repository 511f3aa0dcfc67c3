/*
 * userdir.c - the per-user output directories logs/UID/ (userdir.h): their
 * names, their creation (temporary name, fchown, rename into place) and the
 * checks of an existing one.  No state: every call works from the
 * descriptor of logs/ it is given.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userdir.h"

uid_t
userdir_uid(uid_t uid)
{
	return geteuid() == 0 ? uid : geteuid();
}

void
userdir_name(char *buf, size_t len, uid_t uid)
{
	(void)snprintf(buf, len, "%lu", (unsigned long)uid);
}

const char *
userdir_strerror(int err)
{
	switch (err) {
	case ELOOP:
		return "is a symbolic link (not followed)";
	case ENOTDIR:
		return "is not a directory";
	case EPERM:
		return "is not owned by the job's user, or may be written by "
		    "its group or others: refused";
	default:
		return strerror(err);
	}
}

/* Opens name in logs_fd as a directory, never through a symlink: 0 with
 * *fd, or an errno (ELOOP for a symlink, ENOTDIR for anything else). */
static int
userdir_open1(int logs_fd, const char *name, int *fd)
{
	struct stat st;
	int e;

	*fd = openat(logs_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	e = errno;
	/* O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR or ELOOP. */
	if (e == ENOTDIR && fstatat(logs_fd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		e = ELOOP;
	return e;
}

/* The checks of userdir.h on the open directory fd: 0 or an errno. */
static int
userdir_check(int fd, uid_t uid, int flags)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (flags & USERDIR_ANY_OWNER)
		return 0;
	if (st.st_uid != uid || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return EPERM;
	return 0;
}

/*
 * Makes logs_fd/name complete under a temporary name and renames it into
 * place without replacing anything: 0 (made, or it appeared meanwhile), or
 * an errno.
 */
static int
userdir_create(int logs_fd, const char *name, uid_t uid, gid_t gid)
{
	char tmp[USERDIR_NAME_MAX + 32];
	int fd, e = 0;

	(void)snprintf(tmp, sizeof tmp, ".new-%s-%ld", name, (long)getpid());
	/* A leftover of a killed process that had our pid: empty, or kept. */
	(void)unlinkat(logs_fd, tmp, AT_REMOVEDIR);
	if (mkdirat(logs_fd, tmp, 0700) < 0)
		return errno;
	if ((fd = openat(logs_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		e = errno;
	else {
		if ((uid != geteuid() || gid != (gid_t)-1) &&
		    fchown(fd, uid, gid) < 0)
			e = errno;
		else if (fchmod(fd, 0700) < 0)
			e = errno;
		(void)close(fd);
	}
	if (e == 0 && renameat2(logs_fd, tmp, logs_fd, name,
	    RENAME_NOREPLACE) < 0) {
		e = errno;
		/* A file system without RENAME_NOREPLACE: rename() does not
		 * replace a directory that has entries, nor a non-directory. */
		if (e == EINVAL && renameat(logs_fd, tmp, logs_fd, name) == 0)
			e = 0;
		else if (e == EEXIST || e == ENOTEMPTY || e == EINVAL)
			e = 0;	/* something is there: opened and checked */
	}
	if (e != 0 || faccessat(logs_fd, tmp, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		(void)unlinkat(logs_fd, tmp, AT_REMOVEDIR);
	return e;
}

int
userdir_open(int logs_fd, uid_t uid, gid_t gid, int flags, int *fd)
{
	char name[USERDIR_NAME_MAX];
	int e;

	uid = userdir_uid(uid);
	userdir_name(name, sizeof name, uid);
	e = userdir_open1(logs_fd, name, fd);
	if (e == ENOENT && (flags & USERDIR_CREATE)) {
		if ((e = userdir_create(logs_fd, name, uid, gid)) != 0)
			return e;
		e = userdir_open1(logs_fd, name, fd);
	}
	if (e != 0)
		return e;
	if ((e = userdir_check(*fd, uid, flags)) != 0) {
		(void)close(*fd);
		*fd = -1;
	}
	return e;
}
