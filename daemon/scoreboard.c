/*
 * scoreboard.c - STATE/scoreboard (see scoreboard.h): its layout and
 * validation (pure), creating and mapping it (jobqd), attaching to it and
 * writing one's slot (a worker), and acting on the one a killed jobqd left
 * behind (scoreboard_reap, at start-up).
 *
 *   jobqd start-up: lock -> scoreboard_reap(old) -> scoreboard_create(new)
 *     -> store recovery (running -> interrupted) -> workers (fd 5 each)
 *
 * The old file is never reused: scoreboard_create() unlinks it and creates
 * a new one (O_EXCL, O_NOFOLLOW, 0600), so a process of the old run that
 * could not be killed keeps its own inode.  The new file is written out in
 * full before it is mapped, so that its blocks exist and a store through
 * the mapping does not have to allocate any.  When it cannot be written
 * (a full disk) the scoreboard lives in a memfd instead: the heartbeats
 * work the same, only the next start cannot read it (logged).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "proctree.h"
#include "scoreboard.h"
#include "util.h"

#if ATOMIC_INT_LOCK_FREE != 2 || ATOMIC_LLONG_LOCK_FREE != 2
#error "the scoreboard needs lock-free 32- and 64-bit atomics"
#endif
_Static_assert(sizeof(struct scoreboard_hdr) == 128, "header is 128 bytes");
_Static_assert(sizeof(struct scoreboard_slot) == 64, "a slot is 64 bytes");
_Static_assert(offsetof(struct scoreboard_hdr, check) == 124,
    "the checksum ends the header");

/* Reads of a slot whose job members keep changing, before giving up. */
#define SCOREBOARD_READ_TRIES 1000
#define SCOREBOARD_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
/* Waiting for what scoreboard_reap() killed to be gone: steps of 10 ms. */
#define SCOREBOARD_REAP_STEP_US 10000

struct scoreboard {
	int fd;
	void *map;
	size_t len;
	unsigned nslots;
	struct scoreboard_hdr *hdr;
	struct scoreboard_slot *slots;
};

/* ---- pure ---------------------------------------------------------------- */

static uint32_t
scoreboard_fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261U;

	while (n-- > 0) {
		h ^= *b++;
		h *= 16777619U;
	}
	return h;
}

size_t
scoreboard_size(unsigned nslots)
{
	return sizeof(struct scoreboard_hdr) +
	    (size_t)nslots * sizeof(struct scoreboard_slot);
}

void
scoreboard_header_init(struct scoreboard_hdr *h, unsigned nslots,
    pid_t daemon_pid, uint64_t daemon_start,
    const struct scoreboard_ident *ident)
{
	memset(h, 0, sizeof *h);
	h->magic = SCOREBOARD_MAGIC;
	h->version = SCOREBOARD_VERSION;
	h->hdr_size = sizeof *h;
	h->slot_size = sizeof(struct scoreboard_slot);
	h->nslots = nslots;
	h->daemon_pid = (int32_t)daemon_pid;
	h->daemon_start = daemon_start;
	h->pidns = ident->pidns;
	memcpy(h->boot_id, ident->boot_id, sizeof h->boot_id);
	h->boot_id[sizeof h->boot_id - 1] = '\0';
	h->check = scoreboard_fnv(h, offsetof(struct scoreboard_hdr, check));
}

/* The checks that need no identity: a scoreboard of this layout, whole. */
static enum scoreboard_verdict
scoreboard_check_layout(const void *buf, size_t len)
{
	struct scoreboard_hdr h;

	if (len < sizeof h)
		return SCOREBOARD_NOT_OURS;
	memcpy(&h, buf, sizeof h);
	if (h.magic != SCOREBOARD_MAGIC)
		return SCOREBOARD_NOT_OURS;
	if (h.version != SCOREBOARD_VERSION || h.hdr_size != sizeof h ||
	    h.slot_size != sizeof(struct scoreboard_slot))
		return SCOREBOARD_LAYOUT;
	if (h.check != scoreboard_fnv(&h, offsetof(struct scoreboard_hdr,
	    check)))
		return SCOREBOARD_TORN;
	if (h.nslots == 0 || h.nslots > SCOREBOARD_MAX_SLOTS ||
	    len < scoreboard_size(h.nslots))
		return SCOREBOARD_TORN;
	return SCOREBOARD_OK;
}

int
scoreboard_validate(const void *buf, size_t len,
    const struct scoreboard_ident *here, enum scoreboard_verdict *v)
{
	const struct scoreboard_hdr *h = buf;

	if ((*v = scoreboard_check_layout(buf, len)) != SCOREBOARD_OK)
		return JOBQ_EINVAL;
	if (here->boot_id[0] == '\0' || here->pidns == 0)
		*v = SCOREBOARD_NO_IDENT;
	else if (strncmp(h->boot_id, here->boot_id, sizeof h->boot_id) != 0)
		*v = SCOREBOARD_OTHER_BOOT;
	else if (h->pidns != here->pidns)
		*v = SCOREBOARD_OTHER_NS;
	return *v == SCOREBOARD_OK ? 0 : JOBQ_EINVAL;
}

const char *
scoreboard_verdict_name(enum scoreboard_verdict v)
{
	switch (v) {
	case SCOREBOARD_OK: return "valid";
	case SCOREBOARD_NOT_OURS: return "not a scoreboard";
	case SCOREBOARD_LAYOUT: return "another layout";
	case SCOREBOARD_TORN: return "torn or truncated";
	case SCOREBOARD_OTHER_BOOT: return "written before the last boot";
	case SCOREBOARD_OTHER_NS: return "written in another pid namespace";
	case SCOREBOARD_NO_IDENT: return "this boot's id cannot be read";
	}
	return "?";
}

int
scoreboard_slot_read(const struct scoreboard_slot *s,
    struct scoreboard_snap *o)
{
	uint32_t q1, q2;
	int tries;

	memset(o, 0, sizeof *o);
	o->worker_pid = atomic_load_explicit(&s->worker_pid,
	    memory_order_acquire);
	o->worker_start = atomic_load_explicit(&s->worker_start,
	    memory_order_acquire);
	o->heartbeat_ms = atomic_load_explicit(&s->heartbeat_ms,
	    memory_order_relaxed);
	/* attempt is written last and cleared first: read it first. */
	o->handed_attempt = atomic_load_explicit(&s->handed_attempt,
	    memory_order_acquire);
	o->handed_id = (int64_t)((uint64_t)atomic_load_explicit(&s->handed_hi,
	    memory_order_relaxed) << 32 |
	    atomic_load_explicit(&s->handed_lo, memory_order_relaxed));
	if (o->handed_attempt == 0 || o->handed_id <= 0) {
		o->handed_attempt = 0;
		o->handed_id = 0;
	}
	for (tries = 0; tries < SCOREBOARD_READ_TRIES; tries++) {
		q1 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (q1 & 1) {
			(void)sched_yield();
			continue;
		}
		o->flags = atomic_load_explicit(&s->flags, memory_order_relaxed);
		o->job_id = atomic_load_explicit(&s->job_id,
		    memory_order_relaxed);
		o->attempt = atomic_load_explicit(&s->attempt,
		    memory_order_relaxed);
		o->job_pgid = atomic_load_explicit(&s->job_pgid,
		    memory_order_relaxed);
		o->job_start = atomic_load_explicit(&s->job_start,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		q2 = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (q1 == q2)
			return 0;
	}
	o->flags = 0;
	o->job_id = 0;
	o->attempt = 0;
	o->job_pgid = 0;
	o->job_start = 0;
	return JOBQ_ESTATE;
}

void
scoreboard_slot_job(struct scoreboard_slot *s, uint32_t flags,
    int64_t job_id, uint32_t attempt, pid_t pgid, uint64_t start)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->flags, flags, memory_order_relaxed);
	atomic_store_explicit(&s->job_id, job_id, memory_order_relaxed);
	atomic_store_explicit(&s->attempt, attempt, memory_order_relaxed);
	atomic_store_explicit(&s->job_pgid, (int32_t)pgid,
	    memory_order_relaxed);
	atomic_store_explicit(&s->job_start, start, memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 2, memory_order_release);
}

void
scoreboard_ident_here(struct scoreboard_ident *id)
{
	struct stat st;
	ssize_t n;
	int fd;

	memset(id, 0, sizeof *id);
	if ((fd = open(SCOREBOARD_BOOT_ID_PATH, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, id->boot_id, sizeof id->boot_id - 1);
		close(fd);
		if (n < 0)
			n = 0;
		id->boot_id[n] = '\0';
		id->boot_id[strcspn(id->boot_id, "\n")] = '\0';
	}
	if (stat("/proc/self/ns/pid", &st) == 0)
		id->pidns = (uint64_t)st.st_ino;
}

/* ---- jobqd --------------------------------------------------------------- */

/* Writes len zero bytes to fd from offset 0. */
static int
scoreboard_fill(int fd, size_t len)
{
	char *zero;
	size_t off = 0;
	ssize_t n;

	if ((zero = calloc(1, len)) == NULL)
		return -ENOMEM;
	while (off < len) {
		n = pwrite(fd, zero + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(zero);
			return n == 0 ? -EIO : -errno;
		}
		off += (size_t)n;
	}
	free(zero);
	return 0;
}

/* Replaces path with a new file of len zero bytes; its descriptor, or -1
 * (logged). */
static int
scoreboard_open_new(const char *path, size_t len)
{
	int fd, r;

	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s: cannot remove the old scoreboard", path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		log_warn("%s", path);
		return -1;
	}
	if ((r = scoreboard_fill(fd, len)) < 0) {
		log_warnx("%s: writing it: %s", path, strerror(-r));
		close(fd);
		(void)unlink(path);
		return -1;
	}
	return fd;
}

int
scoreboard_create(const char *path, unsigned nslots, struct scoreboard **out)
{
	struct scoreboard_ident ident;
	struct scoreboard_hdr h;
	struct scoreboard *sb;

	*out = NULL;
	if (nslots == 0 || nslots > SCOREBOARD_MAX_SLOTS)
		return JOBQ_EINVAL;
	if ((sb = calloc(1, sizeof *sb)) == NULL)
		return JOBQ_ENOMEM;
	sb->len = scoreboard_size(nslots);
	sb->nslots = nslots;
	if ((sb->fd = scoreboard_open_new(path, sb->len)) == -1) {
		/* A full disk must not keep jobqd from starting: heartbeats
		 * work as well from memory; only the next start will not
		 * know what this run left. */
		log_warnx("%s: keeping the scoreboard in memory only: after a "
		    "crash of this jobqd, processes its workers leave will "
		    "not be found", path);
		if ((sb->fd = memfd_create("jobqd-scoreboard",
		    MFD_CLOEXEC)) == -1 ||
		    ftruncate(sb->fd, (off_t)sb->len) == -1) {
			log_warn("memfd for the scoreboard");
			goto fail;
		}
	}
	sb->map = mmap(NULL, sb->len, PROT_READ | PROT_WRITE, MAP_SHARED,
	    sb->fd, 0);
	if (sb->map == MAP_FAILED) {
		log_warn("%s: mmap", path);
		goto fail;
	}
	sb->hdr = sb->map;
	sb->slots = (struct scoreboard_slot *)(void *)(sb->hdr + 1);
	scoreboard_ident_here(&ident);
	if (ident.boot_id[0] == '\0')
		log_warnx("%s cannot be read: after a crash, jobqd will not "
		    "find the processes this run leaves", SCOREBOARD_BOOT_ID_PATH);
	scoreboard_header_init(&h, nslots, getpid(),
	    proctree_start_time(getpid()), &ident);
	memcpy(sb->hdr, &h, sizeof h);
	*out = sb;
	return 0;
fail:
	if (sb->fd != -1)
		close(sb->fd);
	free(sb);
	return JOBQ_EINTERNAL;
}

int
scoreboard_fd(const struct scoreboard *sb)
{
	return sb->fd;
}

unsigned
scoreboard_nslots(const struct scoreboard *sb)
{
	return sb->nslots;
}

void
scoreboard_free(struct scoreboard *sb)
{
	if (sb == NULL)
		return;
	if (sb->map != MAP_FAILED && munmap(sb->map, sb->len) == -1)
		log_warn("munmap scoreboard");
	if (sb->fd >= 0)
		close(sb->fd);
	free(sb);
}

void
scoreboard_slot_reset(struct scoreboard *sb, unsigned slot, int64_t now_ms)
{
	struct scoreboard_slot *s = &sb->slots[slot];

	atomic_store_explicit(&s->worker_pid, 0, memory_order_relaxed);
	atomic_store_explicit(&s->worker_start, 0, memory_order_relaxed);
	atomic_store_explicit(&s->heartbeat_ms, now_ms, memory_order_relaxed);
	scoreboard_slot_job(s, 0, 0, 0, 0, 0);
	scoreboard_handed(sb, slot, 0, 0);
}

void
scoreboard_handed(struct scoreboard *sb, unsigned slot, int64_t job_id,
    uint32_t attempt)
{
	struct scoreboard_slot *s = &sb->slots[slot];

	atomic_store_explicit(&s->handed_attempt, 0, memory_order_release);
	if (job_id <= 0 || attempt == 0)
		return;
	atomic_store_explicit(&s->handed_lo, (uint32_t)job_id,
	    memory_order_relaxed);
	atomic_store_explicit(&s->handed_hi, (uint32_t)((uint64_t)job_id >> 32),
	    memory_order_relaxed);
	atomic_store_explicit(&s->handed_attempt, attempt,
	    memory_order_release);
}

void
scoreboard_slot_worker(struct scoreboard *sb, unsigned slot, pid_t pid,
    uint64_t start)
{
	struct scoreboard_slot *s = &sb->slots[slot];

	atomic_store_explicit(&s->worker_start, start, memory_order_relaxed);
	atomic_store_explicit(&s->worker_pid, (int32_t)pid,
	    memory_order_release);
}

int64_t
scoreboard_heartbeat(const struct scoreboard *sb, unsigned slot)
{
	return atomic_load_explicit(&sb->slots[slot].heartbeat_ms,
	    memory_order_relaxed);
}

int
scoreboard_read(const struct scoreboard *sb, unsigned slot,
    struct scoreboard_snap *out)
{
	return scoreboard_slot_read(&sb->slots[slot], out);
}

/* ---- what a killed jobqd left -------------------------------------------- */

/* Kills what slot i of an old scoreboard names; returns how many
 * processes were signaled. */
static int
scoreboard_reap_slot(const struct scoreboard_hdr *h,
    const struct scoreboard_slot *slot, unsigned i, int max_ms)
{
	struct scoreboard_snap s;
	int r, left, n = 0;

	if (scoreboard_slot_read(slot, &s) != 0)
		log_warnx("scoreboard slot %u: its job was being written; "
		    "only its worker is used", i);
	if (s.worker_pid > 1 && s.worker_start != 0 &&
	    proctree_alive(s.worker_pid, s.worker_start)) {
		if ((s.flags & SCOREBOARD_F_PROC) &&
		    proctree_kill_group(s.job_pgid, s.job_start))
			n++;
		r = proctree_kill_descendants(s.worker_pid, s.worker_start,
		    max_ms, &left);
		if (r == JOBQ_ETIMEDOUT)
			log_warnx("worker %u (pid %ld) of jobqd %ld: %d "
			    "process(es) of its tree still alive after %d ms",
			    i, (long)s.worker_pid, (long)h->daemon_pid, left,
			    max_ms);
		r = r > 0 ? r : 0;
		n += r + proctree_kill(s.worker_pid, s.worker_start);
		log_warnx("worker %u (pid %ld) of the previous jobqd (pid %ld) "
		    "was still there%s%lld: killed it and %d process(es) of "
		    "its tree", i, (long)s.worker_pid, (long)h->daemon_pid,
		    (s.flags & SCOREBOARD_F_JOB) ? " running job " : "",
		    (s.flags & SCOREBOARD_F_JOB) ? (long long)s.job_id : 0LL,
		    r);
	} else if ((s.flags & SCOREBOARD_F_PROC) &&
	    proctree_kill_group(s.job_pgid, s.job_start)) {
		n++;
		log_warnx("job %lld of the previous jobqd (pid %ld): its "
		    "process group %ld was still there: killed it",
		    (long long)s.job_id, (long)h->daemon_pid, (long)s.job_pgid);
	}
	return n;
}

/* 1 while a worker or job leader an old scoreboard names is alive. */
static int
scoreboard_reap_pending(const struct scoreboard_hdr *h,
    const struct scoreboard_slot *slots)
{
	struct scoreboard_snap s;
	unsigned i;

	for (i = 0; i < h->nslots; i++) {
		(void)scoreboard_slot_read(&slots[i], &s);
		if (s.worker_pid > 1 && s.worker_start != 0 &&
		    proctree_alive(s.worker_pid, s.worker_start))
			return 1;
		if ((s.flags & SCOREBOARD_F_PROC) && s.job_pgid > 1 &&
		    s.job_start != 0 && proctree_alive(s.job_pgid, s.job_start))
			return 1;
	}
	return 0;
}

/* Opens and maps the old scoreboard at path if it is a plain file of
 * ours of a sane size; NULL (logged when odd) otherwise. */
static void *
scoreboard_map_old(const char *path, size_t *len)
{
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warn("%s: ignored", path);
		return NULL;
	}
	map = NULL;
	if (fstat(fd, &st) == -1)
		log_warn("%s: ignored", path);
	else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size < (off_t)sizeof(struct scoreboard_hdr) ||
	    st.st_size > (off_t)scoreboard_size(SCOREBOARD_MAX_SLOTS))
		log_warnx("%s: not a scoreboard of ours (type, owner or "
		    "size): ignored", path);
	else {
		*len = (size_t)st.st_size;
		map = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			log_warn("%s: mmap", path);
			map = NULL;
		}
	}
	close(fd);
	return map;
}

/* Appends the marker of slot, if any, to *out. */
static void
scoreboard_reap_marker(const struct scoreboard_slot *slot,
    struct scoreboard_unstarted **out, size_t *n, size_t *cap)
{
	struct scoreboard_snap s;

	(void)scoreboard_slot_read(slot, &s);
	if (s.handed_attempt == 0)
		return;
	if (util_grow(out, cap, *n + 1, sizeof **out) != 0) {
		log_warnx("scoreboard: out of memory: job %lld, handed to a "
		    "worker and never started, will count as interrupted",
		    (long long)s.handed_id);
		return;
	}
	(*out)[*n].job_id = s.handed_id;
	(*out)[*n].attempt = s.handed_attempt;
	(*n)++;
}

int
scoreboard_reap(const char *path, int max_ms)
{
	return scoreboard_reap_unstarted(path, max_ms, NULL, NULL);
}

int
scoreboard_reap_unstarted(const char *path, int max_ms,
    struct scoreboard_unstarted **out, size_t *nout)
{
	const struct scoreboard_hdr *h;
	const struct scoreboard_slot *slots;
	struct scoreboard_ident here;
	enum scoreboard_verdict v;
	int64_t deadline;
	size_t len = 0;
	unsigned i;
	void *map;
	int n = 0;

	if (out != NULL) {
		*out = NULL;
		*nout = 0;
	}
	if ((map = scoreboard_map_old(path, &len)) == NULL)
		return 0;
	scoreboard_ident_here(&here);
	if (scoreboard_validate(map, len, &here, &v) != 0) {
		if (v == SCOREBOARD_OTHER_BOOT)
			log_debug("%s: %s", path, scoreboard_verdict_name(v));
		else
			log_warnx("%s: %s: not acted on", path,
			    scoreboard_verdict_name(v));
		munmap(map, len);
		return 0;
	}
	h = map;
	slots = (const struct scoreboard_slot *)(const void *)(h + 1);
	for (i = 0; i < h->nslots; i++)
		n += scoreboard_reap_slot(h, &slots[i], i, max_ms);
	deadline = util_mono_ms() + max_ms;
	while (n > 0 && scoreboard_reap_pending(h, slots)) {
		if (util_mono_ms() >= deadline) {
			log_warnx("%s: processes of the previous jobqd still "
			    "alive after %d ms", path, max_ms);
			break;
		}
		(void)usleep(SCOREBOARD_REAP_STEP_US);
	}
	/* Read only now: a worker still alive could have begun its job. */
	if (out != NULL) {
		size_t cap = 0;

		for (i = 0; i < h->nslots; i++)
			scoreboard_reap_marker(&slots[i], out, nout, &cap);
	}
	munmap(map, len);
	return n;
}

/* ---- a worker ------------------------------------------------------------ */

int
scoreboard_attach(int fd, unsigned slot, pid_t daemon_pid,
    struct scoreboard **out)
{
	struct scoreboard *sb;
	enum scoreboard_verdict v;
	struct stat st;

	*out = NULL;
	if (fstat(fd, &st) == -1) {
		log_warn("scoreboard fd %d", fd);
		return JOBQ_EINTERNAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*sb->hdr) ||
	    st.st_size > (off_t)scoreboard_size(SCOREBOARD_MAX_SLOTS)) {
		log_warnx("scoreboard fd %d: not a scoreboard", fd);
		return JOBQ_EINVAL;
	}
	if ((sb = calloc(1, sizeof *sb)) == NULL)
		return JOBQ_ENOMEM;
	sb->fd = -1;
	sb->len = (size_t)st.st_size;
	sb->map = mmap(NULL, sb->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	if (sb->map == MAP_FAILED) {
		log_warn("scoreboard: mmap");
		free(sb);
		return JOBQ_EINTERNAL;
	}
	sb->hdr = sb->map;
	sb->slots = (struct scoreboard_slot *)(void *)(sb->hdr + 1);
	if ((v = scoreboard_check_layout(sb->map, sb->len)) != SCOREBOARD_OK ||
	    sb->hdr->daemon_pid != (int32_t)daemon_pid ||
	    slot >= sb->hdr->nslots) {
		log_warnx("scoreboard: %s, daemon %ld, %u slots: not for "
		    "worker %u of jobqd %ld", scoreboard_verdict_name(v),
		    (long)sb->hdr->daemon_pid, sb->hdr->nslots, slot,
		    (long)daemon_pid);
		scoreboard_free(sb);
		return JOBQ_EINVAL;
	}
	sb->nslots = sb->hdr->nslots;
	*out = sb;
	return 0;
}

void
scoreboard_beat(struct scoreboard *sb, unsigned slot, int64_t now_ms)
{
	atomic_store_explicit(&sb->slots[slot].heartbeat_ms, now_ms,
	    memory_order_relaxed);
}

void
scoreboard_begin(struct scoreboard *sb, unsigned slot, int64_t job_id,
    uint32_t attempt)
{
	struct scoreboard_snap o;

	(void)scoreboard_slot_read(&sb->slots[slot], &o);
	if (o.handed_attempt == attempt && o.handed_id == job_id)
		atomic_store_explicit(&sb->slots[slot].handed_attempt, 0,
		    memory_order_release);
}

void
scoreboard_job(struct scoreboard *sb, unsigned slot, uint32_t flags,
    int64_t job_id, uint32_t attempt, pid_t pgid, uint64_t start)
{
	scoreboard_slot_job(&sb->slots[slot], flags, job_id, attempt, pgid,
	    start);
}
