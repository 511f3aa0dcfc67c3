/*
 * worker_files.c - the job's descriptors, opened by the worker before it
 * starts the job (worker_spawn.c): its working directory, its stdout and
 * stderr files, /dev/null for its stdin.
 *
 * Output files (wire.h): in the spec's output directory, opened from a
 * descriptor of it (O_NOFOLLOW, ours, writable by nobody else) and, as
 * jobqd asks (WIRE_OUT_USERDIR), of its subdirectory of the job's user
 * (userdir.h: logs/UID/, created on first use, owned by UID, 0700); each
 * file O_NOFOLLOW and regular, created O_EXCL mode 0600 on the job's first
 * run and fchown'ed to the job's user here, by the worker, before the job
 * starts (not opened in the child after an identity switch: the worker
 * keeps the descriptors for the output limit, worker_output.c); on a later
 * run appended to (opened without O_CREAT; it must be the user's regular
 * file with one link) or created if missing; never truncated.  With an
 * output limit the started job's files stay open in the worker.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "userdir.h"
#include "wire.h"
#include "worker_int.h"

/* Opens the output directory dir: never through a symlink, and only one
 * that is ours and writable by nobody else (as jobqd checked at start-up).
 * A descriptor, or -1 with errno set. */
static int
worker_files_open_dir(const char *dir)
{
	struct stat st;
	int fd, e;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		/* O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR; say ELOOP */
		if (errno == ENOTDIR && lstat(dir, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			errno = ELOOP;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* 1 if name is a plain file name: not empty, no '/', not "." or "..". */
static int
worker_files_plain_name(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Whom the output files in a dir must belong to (see wire.h). */
struct worker_files_owner {
	int userdir;		/* WIRE_OUT_USERDIR: in dir/UID/ */
	uid_t uid;		/* the spec's uid, else ours */
	gid_t gid;		/* (gid_t)-1: the creator's group */
	int refused;		/* the stage of a refused file */
};

/* An output file just opened with flags of (in a dir: a regular file only,
 * O_NONBLOCK taken off again; one that existed must also be own's, with
 * one link): 0 with *base its size, or an errno (fd is then closed). */
static int
worker_files_check_file(int fd, int in_dir, int of, int existed,
    const struct worker_files_owner *own, uint64_t *base)
{
	struct stat st;
	int e;

	if (fstat(fd, &st) == -1)
		e = errno;
	else if (in_dir && !S_ISREG(st.st_mode))
		e = EINVAL;	/* not a regular file: left alone */
	else if (in_dir && existed && (st.st_uid != own->uid ||
	    st.st_nlink != 1))
		e = EPERM;	/* not the job's (a hard link?): left alone */
	else if (in_dir && fcntl(fd, F_SETFL, of & O_APPEND) == -1)
		e = errno;
	else {
		if (S_ISREG(st.st_mode))
			*base = (uint64_t)st.st_size;
		return 0;
	}
	close(fd);
	return e;
}

/* In a dir: creates name (O_EXCL, mode 0600) and hands it to own's user.
 * A descriptor, or -1 with errno set (nothing is left behind). */
static int
worker_files_create_file(int dirfd, const char *name, int of,
    const struct worker_files_owner *own)
{
	int fd, e;

	if ((fd = openat(dirfd, name, of | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	if (own->userdir && (own->uid != geteuid() || own->gid != (gid_t)-1) &&
	    fchown(fd, own->uid, own->gid) == -1) {
		e = errno;
		close(fd);
		(void)unlinkat(dirfd, name, 0);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Opens one output file, name, relative to dirfd ("" without a dir:
 * /dev/null).  Never follows a symlink; in a dir never truncates: on the
 * job's first run (WIRE_OUT_EXCL) the file is created and must not exist
 * (else *stage becomes WIRE_STAGE_OUTPUT_TAKEN), on a later run it is
 * appended to if it is there (opened without O_CREAT: a regular file of
 * own's user with one link only, else *stage becomes own->refused), else
 * created.  In a dir only a regular file is taken, opened O_NONBLOCK so that
 * a FIFO cannot hang the worker; a file created there belongs to own's
 * user.  *base gets its size.  A descriptor, or -1 with errno set.
 */
static int
worker_files_open_file(int dirfd, const char *name, int in_dir,
    uint32_t flags, const struct worker_files_owner *own, int *stage,
    uint64_t *base)
{
	int fd, e, existed = 0, of = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;

	*base = 0;
	if (!in_dir && name[0] == '\0')
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in_dir && !worker_files_plain_name(name)) {
		errno = EINVAL;
		return -1;
	}
	if (!in_dir) {
		/* Without a dir (test harnesses), as jobqd used to: truncated. */
		of |= O_CREAT | ((flags & WIRE_OUT_EXCL) ? O_EXCL : O_TRUNC);
		if ((fd = openat(dirfd, name, of, 0600)) == -1)
			return -1;
	} else if (flags & WIRE_OUT_EXCL) {
		of |= O_NONBLOCK;
		if ((fd = worker_files_create_file(dirfd, name, of, own)) == -1) {
			e = errno;
			if (e == EEXIST) {
				*stage = WIRE_STAGE_OUTPUT_TAKEN;
				if (own->userdir && fstatat(dirfd, name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					e = ELOOP;
			}
			errno = e;
			return -1;
		}
	} else {
		of |= O_NONBLOCK | O_APPEND;
		if ((fd = openat(dirfd, name, of)) != -1)
			existed = 1;
		else if (errno != ENOENT) {
			/* a symlink; a FIFO without a reader (O_NONBLOCK) */
			if (errno == ELOOP || errno == ENXIO)
				*stage = own->refused;
			return -1;
		} else if ((fd = worker_files_create_file(dirfd, name, of,
		    own)) == -1)
			return -1;
	}
	if ((e = worker_files_check_file(fd, in_dir, of, existed, own,
	    base)) != 0) {
		if (existed)
			*stage = own->refused;
		errno = e;
		return -1;
	}
	return fd;
}

/* Opens the output dir of spec (and with WIRE_OUT_USERDIR its directory of
 * the job's user, created if missing) into *dirfd; fills own.  0, or an
 * errno with *stage set. */
static int
worker_files_open_outdir(const struct wire_spec *spec, int *dirfd,
    struct worker_files_owner *own, int *stage)
{
	int logs, err;

	own->userdir = (spec->out_flags & WIRE_OUT_USERDIR) != 0;
	own->uid = own->userdir ? userdir_uid((uid_t)spec->uid) : geteuid();
	own->gid = own->userdir && geteuid() == 0 &&
	    spec->gid != WIRE_GID_PRIMARY ?
	    (gid_t)spec->gid : (gid_t)-1;
	own->refused = own->userdir ? WIRE_STAGE_OUTPUT_REFUSED :
	    WIRE_STAGE_OUTPUT;
	if (own->userdir)
		*stage = WIRE_STAGE_LOGS_DIR;
	if ((logs = worker_files_open_dir(spec->out_dir)) == -1)
		return errno;
	if (!own->userdir) {
		*dirfd = logs;
		return 0;
	}
	*stage = WIRE_STAGE_USER_DIR;
	err = userdir_open(logs, own->uid, own->gid, USERDIR_CREATE,
	    dirfd);
	close(logs);
	if (err == 0)
		*stage = WIRE_STAGE_OUTPUT;
	return err;
}

/* Opens the job's working directory, output files and /dev/null into f
 * (all -1 before); the output files' sizes go to base.  Returns 0, or an
 * errno with *stage set. */
int
worker_files_open(const struct wire_spec *spec, struct worker_files *f,
    uint64_t base[2], int *stage)
{
	struct worker_files_owner own;
	int dirfd, in_dir = spec->out_dir != NULL && spec->out_dir[0] != '\0';
	int err = 0;

	*stage = WIRE_STAGE_CWD;
	if ((f->cwd = open(spec->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	*stage = WIRE_STAGE_OUTPUT;
	dirfd = f->cwd;
	memset(&own, 0, sizeof own);
	if (in_dir && (err = worker_files_open_outdir(spec, &dirfd, &own,
	    stage)) != 0)
		return err;
	if ((f->out = worker_files_open_file(dirfd, spec->out_path, in_dir,
	    spec->out_flags, &own, stage, &base[0])) == -1)
		err = errno;
	else if (strcmp(spec->out_path, spec->err_path) == 0) {
		/* 2>&1: one open file description, one offset. */
		if ((f->err = fcntl(f->out, F_DUPFD_CLOEXEC, 0)) == -1)
			err = errno;
	} else if ((f->err = worker_files_open_file(dirfd, spec->err_path,
	    in_dir, spec->out_flags, &own, stage, &base[1])) == -1)
		err = errno;
	if (in_dir)
		close(dirfd);
	if (err != 0)
		return err;
	if ((f->null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	return 0;
}

static void
worker_files_close1(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

void
worker_files_close(struct worker_files *f)
{
	worker_files_close1(&f->cwd);
	worker_files_close1(&f->null);
	worker_files_close1(&f->out);
	worker_files_close1(&f->err);
}
