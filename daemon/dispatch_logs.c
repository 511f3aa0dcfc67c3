/*
 * dispatch_logs.c - a job's captured output for the logs request (loop
 * thread only): a slice of LOGS/ID.out or LOGS/ID.err from an offset,
 * base64 in the reply, with the file's size and whether the output is
 * complete (the job has ended and the slice reaches the end).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto.h"
#include "dispatch_int.h"

/* Reads up to lr->max bytes of fd at lr->offset into *buf (malloc'd): the
 * count, or -1.  *size gets the file's size. */
static ssize_t
dispatch_logs_read(int fd, const struct logs_req *lr, char **buf,
    uint64_t *size)
{
	struct stat st;
	ssize_t n = 0;

	if (fstat(fd, &st) < 0 || (*buf = malloc(lr->max)) == NULL)
		return -1;
	*size = (uint64_t)st.st_size;
	if (*size > lr->offset) {
		do
			n = pread(fd, *buf, lr->max, (off_t)lr->offset);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			n = 0;
	}
	return n;
}

/* The logs reply for n bytes of data read at lr->offset from a file of
 * size bytes; NULL when out of memory. */
static cJSON *
dispatch_logs_json(const struct logs_req *lr, char *data, size_t n,
    uint64_t size, int ended)
{
	struct proto_logs_reply l;

	if (size < lr->offset + n)
		size = lr->offset + n;
	memset(&l, 0, sizeof l);
	l.data = (unsigned char *)data;
	l.len = n;
	l.offset = (int64_t)lr->offset;
	l.size = (int64_t)size;
	l.done = ended && lr->offset + n >= size;
	return proto_logs_reply_to_json(&l);
}

void
dispatch_logs_reply(struct dispatch *s, struct dispatch_req *r,
    const struct logs_req *lr, int ended)
{
	char path[PATH_MAX + 32], msg[PATH_MAX + 64];
	char *buf = NULL;
	uint64_t size = 0;
	ssize_t n = 0;
	cJSON *rep;
	int fd;

	snprintf(path, sizeof path, "%s/%" PRId64 ".%s", s->conf.logs_dir,
	    lr->id, lr->stream == JOBQ_STDERR ? "err" : "out");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
		dispatch_reply_error(r, JOBQ_EINTERNAL, msg);
		return;
	}
	if (fd >= 0) {
		n = dispatch_logs_read(fd, lr, &buf, &size);
		close(fd);
		if (n < 0) {
			free(buf);
			dispatch_reply_error(r, JOBQ_EINTERNAL,
			    "cannot read the output");
			return;
		}
	}
	rep = dispatch_logs_json(lr, buf, (size_t)n, size, ended);
	free(buf);
	dispatch_reply_encoded(r, rep);
}

void
dispatch_logs_id(struct dispatch *s, struct dispatch_req *r,
    struct logs_req *lr)
{
	struct sjob *j = dispatch_find(s, lr->id);

	if (j != NULL) {
		if (!dispatch_may_touch(r, j->owner))
			dispatch_reply_error(r, JOBQ_EPERM,
			    "the job belongs to another user");
		else
			dispatch_logs_reply(s, r, lr, 0);
		free(lr);
		return;
	}
	dispatch_ref_ended(s, r, lr->id, ENDED_LOGS, lr);
}

void
dispatch_logs(struct dispatch *s, struct dispatch_req *r,
    const struct dispatch_ref *ref, int stream, uint64_t offset, size_t max)
{
	struct logs_req *lr;

	if ((lr = malloc(sizeof *lr)) == NULL) {
		dispatch_reply_error(r, JOBQ_ENOMEM, "out of memory");
		return;
	}
	lr->id = ref->id;
	lr->stream = stream;
	lr->offset = offset;
	lr->max = max;
	if (!dispatch_ref_resolve(s, r, ref, RK_LOGS, 0, lr))
		dispatch_logs_id(s, r, lr);
}
