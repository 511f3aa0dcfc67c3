/*
 * dispatch_logs.c - a job's output files (loop thread only): what the spec
 * of a run says about them, the logs request, and the messages of a run
 * that could not open them.
 *
 * Layout (outputs, issue 9): LOGS/UID/ID.out and LOGS/UID/ID.err, UID the
 * job's owner (jobs.owner_uid: the user it runs as).  A run's spec
 * (dispatch_logs_spec) names the files and LOGS by path with
 * WIRE_OUT_USERDIR and the owner's uid: the worker opens LOGS O_NOFOLLOW
 * and checks it as jobqd did at start-up, then LOGS/UID (userdir.h:
 * created on first use, owned by UID, 0700, checked), and creates the
 * files there owned by UID, mode 0600.  The spec says whether this is the
 * job's first run (the files are then created O_EXCL: never another's
 * file overwritten) or a later one (appended to, if they are the user's),
 * and carries its output limit: the job's own (output_limit at submit),
 * else --output-limit, never above --output-limit-max.  The files' group is
 * left to the worker (gid UINT32_MAX) until jobs carry one (ident).
 *
 * The logs request: a slice of LOGS/UID/ID.out or ID.err from an offset,
 * base64 in the reply, with the file's size and whether the output is
 * complete (the job has ended and the slice reaches the end).  Only the
 * job's owner or root may read it (an unprivileged jobqd: its own uid, the
 * only one that has jobs there): not the admin group, whatever else it may
 * do (dispatch_may_read_output, dispatch_access.c).  LOGS/UID is opened from the logs
 * directory's descriptor (opened once at start-up) O_DIRECTORY | O_NOFOLLOW
 * and checked (userdir_open), the file from it O_NOFOLLOW, and it must be a
 * regular file of the job's owner.
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
#include "userdir.h"
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
	struct sjob_run *run = dispatch_run(j);
	char out[32], err[32];
	struct wire_output wo;

	snprintf(out, sizeof out, "%" PRId64 ".out", SJOB_ID(j));
	/* --merge-output: stderr to the stdout file (the worker opens one
	 * file description for both, 2>&1) */
	snprintf(err, sizeof err, "%" PRId64 ".%s", SJOB_ID(j),
	    op->out.claim.merge_output ? "out" : "err");
	memset(&wo, 0, sizeof wo);
	wo.dir = s->conf.logs_dir;
	wo.flags = op->out.claim.first_run ? WIRE_OUT_EXCL : 0;
	wo.limit = dispatch_logs_limit(s, op->out.claim.output_limit);
	/* ident: who the job runs as (worker_spawn.c switches to it) */
	wo.id_flags = WIRE_ID_SET;
	wo.uid = op->out.claim.uid;
	wo.gid = op->out.claim.gid < 0 || op->out.claim.gid >= WIRE_GID_PRIMARY ?
	    WIRE_GID_PRIMARY : (uint32_t)op->out.claim.gid;
	wo.umask = (uint32_t)op->out.claim.umask & 0777;
	/* outputs: in LOGS/UID/, owned by the job's user (and group) */
	wo.flags |= WIRE_OUT_USERDIR;
	/* resource limits: the job's, and jobqd's start-up ones it raised */
	wo.limits = &op->out.claim.limits;
	wo.nrl_base = rlimits_base_changed(base, WIRE_RLIMIT_BASE_MAX);
	wo.rl_base = base;
	return wire_spec_pack_out((const char *const *)op->out.claim.argv,
	    (const char *const *)op->out.claim.env, op->out.claim.cwd, out, err,
	    &wo, &run->spec, &run->speclen);
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

/* Opens LOGS/UID/name for reading (see the top): a descriptor, -1 when
 * there is no such file yet (not an error: no output), or -2 with the
 * reason in msg. */
static int
dispatch_logs_open(struct dispatch *s, uid_t owner, const char *name,
    char *msg, size_t msglen)
{
	char dir[USERDIR_NAME_MAX];
	struct stat st;
	int dfd, fd, e;

	owner = userdir_uid(owner);	/* whose files they are */
	userdir_name(dir, sizeof dir, owner);
	if ((e = userdir_open(dispatch_logs_dirfd(s), owner, (gid_t)-1, 0,
	    &dfd)) != 0) {
		if (e == ENOENT)
			return -1;
		snprintf(msg, msglen, "logs/%s %s", dir, userdir_strerror(e));
		return -2;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	e = errno;
	close(dfd);
	if (fd < 0) {
		if (e == ENOENT)
			return -1;
		snprintf(msg, msglen, "logs/%s/%s %s", dir, name,
		    e == ELOOP ? "is a symbolic link (not followed)" :
		    strerror(e));
		return -2;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != owner) {
		snprintf(msg, msglen, "logs/%s/%s is not a regular file of "
		    "uid %lu: refused", dir, name, (unsigned long)owner);
		close(fd);
		return -2;
	}
	return fd;
}

void
dispatch_logs_reply(struct dispatch *s, struct dispatch_req *r,
    const struct logs_req *lr, uid_t owner, int ended)
{
	char name[32], msg[160];
	char *buf = NULL;
	uint64_t size = 0;
	ssize_t n = 0;
	cJSON *rep;
	int fd;

	snprintf(name, sizeof name, "%" PRId64 ".%s", lr->id,
	    lr->stream == JOBQ_STDERR ? "err" : "out");
	if ((fd = dispatch_logs_open(s, owner, name, msg, sizeof msg)) == -2) {
		dispatch_reply_error(r, JOBQ_EINTERNAL, msg);
		return;
	}
	if (fd >= 0) {
		n = dispatch_logs_read(fd, lr, &buf, &size);
		if (n < 0)
			snprintf(msg, sizeof msg, "logs/%lu/%s: %s",
			    (unsigned long)owner, name, errno == EINVAL ?
			    "not a regular file" : "cannot read the output");
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
dispatch_logs_ended(struct dispatch *s, struct dispatch_req *r,
    const struct logs_req *lr, const jobq_job *job)
{
	if (!dispatch_may_read_output(r, (uid_t)job->owner_uid))
		dispatch_logs_refuse(s, r, lr->id, (uid_t)job->owner_uid);
	else
		dispatch_logs_reply(s, r, lr, (uid_t)job->owner_uid,
		    jobq_state_is_terminal(job->state));
}

void
dispatch_logs_refuse(struct dispatch *s, struct dispatch_req *r, int64_t id,
    uid_t owner)
{
	char msg[128];

	if (dispatch_view(r, owner) == DISPATCH_VIEW_NONE) {
		dispatch_reply_status(r, JOBQ_ENOTFOUND);
		return;
	}
	snprintf(msg, sizeof msg, "job %" PRId64 " belongs to another user: "
	    "only its owner or root may read its output", id);
	dispatch_reply_error(r, JOBQ_EPERM, msg);
}

void
dispatch_logs_id(struct dispatch *s, struct dispatch_req *r,
    struct logs_req *lr)
{
	struct sjob *j = dispatch_find(s, lr->id);

	if (j != NULL) {
		if (!dispatch_may_read_output(r, j->node.uid))
			dispatch_logs_refuse(s, r, lr->id, j->node.uid);
		else
			dispatch_logs_reply(s, r, lr, j->node.uid, 0);
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

/* The directory a run's failure at stage was about, for messages. */
static void
dispatch_logs_where(const struct sjob *j, int stage, char *buf, size_t len)
{
	if (stage == WIRE_STAGE_LOGS_DIR)
		snprintf(buf, len, "logs/");
	else
		snprintf(buf, len, "logs/%lu/", (unsigned long)j->node.uid);
}

int
dispatch_logs_spawn_message(const struct sjob *j, int stage, int err,
    char *msg, size_t len)
{
	char where[USERDIR_NAME_MAX + 8];

	dispatch_logs_where(j, stage, where, sizeof where);
	switch (stage) {
	case WIRE_STAGE_LOGS_DIR:
	case WIRE_STAGE_USER_DIR:
		snprintf(msg, len, "opening the output directory %s: it %s",
		    where, err == EPERM && stage == WIRE_STAGE_LOGS_DIR ?
		    "is not jobqd's, or may be written by its group or "
		    "others: refused" : userdir_strerror(err));
		return 1;
	case WIRE_STAGE_OUTPUT_REFUSED:
		snprintf(msg, len, "opening the output files in %s: one %s; "
		    "left untouched", where, err == ELOOP ? "is a symbolic "
		    "link (not followed)" : err == EPERM ? "is not the job "
		    "user's own file with one link" : err == EINVAL ||
		    err == ENXIO ? "is not a regular file" : strerror(err));
		return 1;
	case WIRE_STAGE_OUTPUT_TAKEN:
		if (err != ELOOP)
			return 0;
		snprintf(msg, len, "creating the output files in %s: one "
		    "exists already, a symbolic link (not followed, left "
		    "untouched)", where);
		return 1;
	default:
		return 0;
	}
}
