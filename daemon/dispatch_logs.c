/*
 * dispatch_logs.c - a job's output files (loop thread only): what the spec
 * of a run says about them, and the logs request.
 *
 * A run's spec (dispatch_logs_spec) names LOGS/ID.out and LOGS/ID.err, the
 * directory by path (the worker opens it O_NOFOLLOW and checks it as
 * jobqd did at start-up), says whether this is the job's first run (the
 * files are then created O_EXCL: never another's file overwritten) or a
 * later one (appended to), and carries its output limit: the job's own
 * (output_limit at submit), else --output-limit, never above
 * --output-limit-max.
 *
 * The logs request: a slice of LOGS/ID.out or LOGS/ID.err from an offset,
 * base64 in the reply, with the file's size and whether the output is
 * complete (the job has ended and the slice reaches the end).  The file is
 * opened with openat() from the logs directory's descriptor, O_NOFOLLOW,
 * and must be a regular file.
 *
 * The directory is one for every job today: dispatch_logs_dirfd() is where
 * a directory per owner would be chosen (its callers passing the owner).
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

#include "rlimits.h"
#include "proto.h"
#include "wire.h"
#include "dispatch_int.h"

int
dispatch_logs_dirfd(const struct dispatch *s)
{
	return s->conf.logs_fd;
}

/* The output limit of a run: the job's own (0: none asked), else the
 * daemon's default, never above the maximum. */
static uint64_t
dispatch_logs_limit(const struct dispatch *s, int64_t asked)
{
	uint64_t limit = asked > 0 ? (uint64_t)asked : s->conf.output_limit;

	if (s->conf.output_limit_max > 0 &&
	    (limit == 0 || limit > s->conf.output_limit_max))
		limit = s->conf.output_limit_max;
	return limit;
}

int
dispatch_logs_spec(struct dispatch *s, struct sjob *j,
    const struct store_op *op)
{
	struct wire_rlimit base[WIRE_RLIMIT_BASE_MAX];
	char out[32], err[32];
	struct wire_output wo;

	snprintf(out, sizeof out, "%" PRId64 ".out", SJOB_ID(j));
	snprintf(err, sizeof err, "%" PRId64 ".err", SJOB_ID(j));
	memset(&wo, 0, sizeof wo);
	wo.dir = s->conf.logs_dir;
	wo.flags = op->out.claim.first_run ? WIRE_OUT_EXCL : 0;
	wo.limit = dispatch_logs_limit(s, op->out.claim.output_limit);
	/* resource limits: the job's, and jobqd's start-up ones it raised */
	wo.limits = &op->out.claim.limits;
	wo.nrl_base = rlimits_base_changed(base, WIRE_RLIMIT_BASE_MAX);
	wo.rl_base = base;
	return wire_spec_pack_out((const char *const *)op->out.claim.argv,
	    (const char *const *)op->out.claim.env, op->out.claim.cwd, out, err,
	    &wo, &j->spec, &j->speclen);
}

/* Reads up to lr->max bytes of fd at lr->offset into *buf (malloc'd): the
 * count, or -1 (errno EINVAL: not a regular file).  *size gets the file's
 * size. */
static ssize_t
dispatch_logs_read(int fd, const struct logs_req *lr, char **buf,
    uint64_t *size)
{
	struct stat st;
	ssize_t n = 0;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((*buf = malloc(lr->max)) == NULL)
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
	char name[32], msg[128];
	char *buf = NULL;
	uint64_t size = 0;
	ssize_t n = 0;
	cJSON *rep;
	int fd;

	snprintf(name, sizeof name, "%" PRId64 ".%s", lr->id,
	    lr->stream == JOBQ_STDERR ? "err" : "out");
	fd = openat(dispatch_logs_dirfd(s), name, O_RDONLY |
	    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		snprintf(msg, sizeof msg, "logs/%s: %s", name, strerror(errno));
		dispatch_reply_error(r, JOBQ_EINTERNAL, msg);
		return;
	}
	if (fd >= 0) {
		n = dispatch_logs_read(fd, lr, &buf, &size);
		if (n < 0)
			snprintf(msg, sizeof msg, "logs/%s: %s", name,
			    errno == EINVAL ? "not a regular file" :
			    "cannot read the output");
		close(fd);
		if (n < 0) {
			free(buf);
			dispatch_reply_error(r, JOBQ_EINTERNAL, msg);
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
