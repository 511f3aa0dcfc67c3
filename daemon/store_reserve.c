/*
 * store_reserve.c - the reserve: a file of preallocated space in the state
 * dir (STATE/reserve) that the store gives back to the file system when a
 * batch fails for a full disk, so that the ends of running jobs, purges and
 * retention can still be recorded (store.h, "the reserve").
 *
 *   store_reserve_init()   at start-up: made (or kept) with posix_fallocate
 *   store_batch_writes()   a batch fails with SQLITE_FULL (store.c):
 *     store_reserve_release()  unlinkat, logged loudly; the batch runs
 *                              again at once, its inserts refused
 *     store_reserve_refuses()  while released: every insert gets
 *                              JOBQ_ESTORAGE (new work waits for space)
 *     store_reserve_again()    made again once the file system has room
 *                              for it twice over: before a batch with an
 *                              insert, after a purge removed files, and at
 *                              most once a second otherwise
 *
 * The file is opened from the state dir's descriptor, O_NOFOLLOW, and must
 * be a regular file.  Runs on the thread that owns the store (the main
 * thread before store_start(), then the store thread).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "util.h"

#define STORE_RESERVE_MAX   ((int64_t)16 << 20)
#define STORE_RESERVE_MIN   ((int64_t)4096)
#define STORE_RESERVE_RETRY_MS 1000

/* 16 MiB, at most 1/16 of the file system, in whole 4 KiB blocks. */
static int64_t
store_reserve_size(int dirfd)
{
	struct statvfs sv;
	int64_t size = STORE_RESERVE_MAX, fs;

	if (fstatvfs(dirfd, &sv) == 0) {
		fs = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
		if (fs / 16 < size)
			size = fs / 16;
	}
	size -= size % STORE_RESERVE_MIN;
	return (size < STORE_RESERVE_MIN ? STORE_RESERVE_MIN : size);
}

/* Bytes free for us in the file system of dirfd; -1 if unknown. */
static int64_t
store_reserve_free(int dirfd)
{
	struct statvfs sv;

	if (fstatvfs(dirfd, &sv) != 0)
		return (-1);
	return ((int64_t)sv.f_bavail * (int64_t)sv.f_frsize);
}

/*
 * Makes the reserve file: 0 (held), or an errno: ENOSPC / EDQUOT (no room
 * now: nothing is left behind), EINVAL (the name is not a regular file:
 * left alone), anything else from the system.
 */
static int
store_reserve_make(struct store *s)
{
	struct stat st;
	int fd, rc;

	fd = openat(s->reserve_dirfd, s->reserve_name, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd == -1)
		return (errno == ELOOP ? EINVAL : errno);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return (EINVAL);
	}
	if ((rc = posix_fallocate(fd, 0, (off_t)s->reserve_size)) == 0 &&
	    st.st_size > s->reserve_size &&
	    ftruncate(fd, (off_t)s->reserve_size) == -1)
		rc = errno;
	(void)close(fd);
	if (rc == ENOSPC || rc == EDQUOT)
		(void)unlinkat(s->reserve_dirfd, s->reserve_name, 0);
	return (rc);
}

int
store_reserve_init(struct store *s, int dirfd, const char *name,
    int64_t size)
{
	const char *slash = strrchr(s->path, '/');
	int dlen = slash != NULL ? (int)(slash - s->path) : 1;
	int rc;

	/* Its path for messages: next to the database. */
	if (asprintf(&s->reserve_path, "%.*s/%s", dlen, slash != NULL ?
	    s->path : ".", name) < 0) {
		s->reserve_path = NULL;
		return (JOBQ_ENOMEM);
	}
	if ((s->reserve_name = strdup(name)) == NULL)
		return (JOBQ_ENOMEM);
	if ((s->reserve_dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("reserve: dup");
		return (JOBQ_EINTERNAL);
	}
	s->reserve_size = size > 0 ? size : store_reserve_size(dirfd);
	s->reserve_tried_ms = util_mono_ms();
	switch ((rc = store_reserve_make(s))) {
	case 0:
		s->reserve_held = 1;
		log_debug("%s: %" PRId64 " bytes", s->reserve_path,
		    s->reserve_size);
		return (0);
	case ENOSPC:
	case EDQUOT:
		log_warnx("%s: no room for the reserve (%" PRId64 " bytes): "
		    "the disk is full; new submits are refused until there "
		    "is", s->reserve_path, s->reserve_size);
		return (0);
	case EINVAL:
		return (JOBQ_EINVAL);	/* the caller says so */
	default:
		log_warnx("%s: %s; running without a reserve",
		    s->reserve_path, strerror(rc));
		(void)unlinkat(s->reserve_dirfd, name, 0);
		store_reserve_close(s);
		return (0);
	}
}

int
store_reserve_refuses(const struct store *s)
{
	return (s->reserve_dirfd >= 0 && !s->reserve_held);
}

int
store_reserve_release(struct store *s)
{
	if (s->reserve_dirfd < 0 || !s->reserve_held)
		return (0);
	if (unlinkat(s->reserve_dirfd, s->reserve_name, 0) == -1 &&
	    errno != ENOENT) {
		log_warn("%s: disk full, and the reserve %s cannot be "
		    "removed", s->path, s->reserve_path);
		return (0);
	}
	s->reserve_held = 0;
	s->reserve_tried_ms = util_mono_ms();
	log_warnx("%s: DISK FULL: released the reserve %s (%" PRId64
	    " bytes) so that the state of jobs can be recorded; new submits "
	    "are refused until there is room for it again (jobq purge, "
	    "--keep-age, --keep-count, or free space otherwise)", s->path,
	    s->reserve_path, s->reserve_size);
	return (1);
}

void
store_reserve_again(struct store *s, int now)
{
	int64_t t, avail;
	int rc;

	if (!store_reserve_refuses(s))
		return;
	t = util_mono_ms();
	if (!now && t - s->reserve_tried_ms < STORE_RESERVE_RETRY_MS)
		return;
	s->reserve_tried_ms = t;
	/* Twice over: the reserve, and as much again to work in. */
	if ((avail = store_reserve_free(s->reserve_dirfd)) >= 0 &&
	    avail / 2 < s->reserve_size)
		return;
	if ((rc = store_reserve_make(s)) != 0) {
		if (rc != ENOSPC && rc != EDQUOT)
			log_warnx("%s: %s", s->reserve_path, strerror(rc));
		return;
	}
	s->reserve_held = 1;
	log_info("%s: disk space is back: the reserve %s (%" PRId64
	    " bytes) is made again; submits are accepted", s->path,
	    s->reserve_path, s->reserve_size);
}

void
store_reserve_close(struct store *s)
{
	if (s->reserve_dirfd >= 0)
		(void)close(s->reserve_dirfd);
	s->reserve_dirfd = -1;
	s->reserve_held = 0;
}
