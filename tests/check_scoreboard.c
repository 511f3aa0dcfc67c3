/*
 * check_scoreboard.c - unit tests for daemon/scoreboard.c and
 * daemon/proctree.c: the scoreboard's layout, the validation of one
 * written by another boot, another pid namespace, another layout or torn
 * by a crash, a slot's consistent read; parsing /proc/PID/stat; and, with
 * real processes, killing a tree (escaped into its own session) and
 * scoreboard_reap() on a stopped "worker" - never on a pid whose start
 * time does not match; the hand-off marker of running ahead (written,
 * cleared by the matching begin only, torn) and the markers
 * scoreboard_reap_unstarted() finds in a previous jobqd's file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "proctree.h"
#include "scoreboard.h"

static const struct scoreboard_ident here = {
	"0b6a2d2f-5c1e-4a59-9a34-3f1e2d7c9b10", 4026531836ULL
};

/* A valid scoreboard of n slots in a malloc'd buffer. */
static void *
check_sb_buf(unsigned n, size_t *len)
{
	struct scoreboard_hdr h;
	void *b;

	*len = scoreboard_size(n);
	b = calloc(1, *len);
	ck_assert_ptr_nonnull(b);
	scoreboard_header_init(&h, n, 1234, 5678, &here);
	memcpy(b, &h, sizeof h);
	return b;
}

static enum scoreboard_verdict
check_sb_verdict(const void *b, size_t len, const struct scoreboard_ident *id)
{
	enum scoreboard_verdict v;
	int r = scoreboard_validate(b, len, id, &v);

	ck_assert_int_eq(r, v == SCOREBOARD_OK ? 0 : JOBQ_EINVAL);
	return v;
}

/* The header's checksum, recomputed after a deliberate change. */
static void
check_sb_rehash(struct scoreboard_hdr *h)
{
	struct scoreboard_hdr t;

	scoreboard_header_init(&t, h->nslots, h->daemon_pid, h->daemon_start,
	    &here);
	memcpy(t.boot_id, h->boot_id, sizeof t.boot_id);
	t.magic = h->magic;
	t.version = h->version;
	t.hdr_size = h->hdr_size;
	t.slot_size = h->slot_size;
	t.pidns = h->pidns;
	memcpy(h, &t, offsetof(struct scoreboard_hdr, check));
	/* the same FNV-1a as scoreboard.c */
	{
		const unsigned char *p = (const unsigned char *)h;
		uint32_t x = 2166136261U;
		size_t i;

		for (i = 0; i < offsetof(struct scoreboard_hdr, check); i++) {
			x ^= p[i];
			x *= 16777619U;
		}
		h->check = x;
	}
}

START_TEST(test_layout)
{
	ck_assert_uint_eq(sizeof(struct scoreboard_hdr), 128);
	ck_assert_uint_eq(sizeof(struct scoreboard_slot), 64);
	ck_assert_uint_eq(scoreboard_size(0), 128);
	ck_assert_uint_eq(scoreboard_size(3), 128 + 3 * 64);
	ck_assert_uint_eq(scoreboard_size(SCOREBOARD_MAX_SLOTS), 128 + 65536);
	/* the members the layout documents, where version 1 has them */
	ck_assert_uint_eq(offsetof(struct scoreboard_hdr, nslots), 16);
	ck_assert_uint_eq(offsetof(struct scoreboard_hdr, daemon_pid), 24);
	ck_assert_uint_eq(offsetof(struct scoreboard_hdr, boot_id), 48);
	ck_assert_uint_eq(offsetof(struct scoreboard_hdr, check), 124);
	ck_assert_uint_eq(offsetof(struct scoreboard_slot, worker_pid), 8);
	ck_assert_uint_eq(offsetof(struct scoreboard_slot, heartbeat_ms), 40);
	ck_assert(atomic_is_lock_free(&((struct scoreboard_slot *)0)->job_id));
	ck_assert(memcmp("JQSB", &(uint32_t){ SCOREBOARD_MAGIC }, 4) == 0 ||
	    memcmp("BSQJ", &(uint32_t){ SCOREBOARD_MAGIC }, 4) == 0);
}
END_TEST

START_TEST(test_valid)
{
	size_t len;
	void *b = check_sb_buf(4, &len);
	const struct scoreboard_hdr *h = b;

	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_OK);
	ck_assert_uint_eq(h->nslots, 4);
	ck_assert_int_eq(h->daemon_pid, 1234);
	ck_assert_str_eq(h->boot_id, here.boot_id);
	/* a longer file is fine (nslots says what counts) */
	ck_assert_int_eq(check_sb_verdict(b, len - 1, &here), SCOREBOARD_TORN);
	free(b);
}
END_TEST

START_TEST(test_other_boot_ns)
{
	struct scoreboard_ident id = here;
	size_t len;
	void *b = check_sb_buf(2, &len);

	id.boot_id[0] = id.boot_id[0] == 'f' ? 'e' : 'f';
	ck_assert_int_eq(check_sb_verdict(b, len, &id), SCOREBOARD_OTHER_BOOT);
	id = here;
	id.pidns++;
	ck_assert_int_eq(check_sb_verdict(b, len, &id), SCOREBOARD_OTHER_NS);
	/* this boot unknown: nothing in it can be trusted */
	id = here;
	id.boot_id[0] = '\0';
	ck_assert_int_eq(check_sb_verdict(b, len, &id), SCOREBOARD_NO_IDENT);
	id = here;
	id.pidns = 0;
	ck_assert_int_eq(check_sb_verdict(b, len, &id), SCOREBOARD_NO_IDENT);
	free(b);
}
END_TEST

START_TEST(test_other_layout)
{
	size_t len;
	void *b = check_sb_buf(2, &len);
	struct scoreboard_hdr *h = b;

	h->version = SCOREBOARD_VERSION + 1;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_LAYOUT);
	h->version = SCOREBOARD_VERSION;
	h->slot_size = 128;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_LAYOUT);
	h->slot_size = sizeof(struct scoreboard_slot);
	h->hdr_size = 256;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_LAYOUT);
	h->hdr_size = sizeof *h;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_OK);
	h->magic = 0;
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_NOT_OURS);
	free(b);
}
END_TEST

START_TEST(test_torn)
{
	size_t len, i;
	void *b = check_sb_buf(2, &len);
	unsigned char *p = b;
	struct scoreboard_hdr *h = b, good;

	memcpy(&good, h, sizeof good);
	/* any byte of the header after the sizes changed: the checksum */
	for (i = offsetof(struct scoreboard_hdr, nslots); i < sizeof good; i++) {
		p[i] ^= 0x40;
		ck_assert_int_eq(check_sb_verdict(b, len, &here),
		    SCOREBOARD_TORN);
		p[i] ^= 0x40;
	}
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_OK);
	/* a header half written over zeros (a crash while creating it) */
	memset(p + 64, 0, sizeof good - 64);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_TORN);
	memcpy(h, &good, sizeof good);
	/* too short for its slots, for a header, or empty */
	ck_assert_int_eq(check_sb_verdict(b, len - 64, &here), SCOREBOARD_TORN);
	ck_assert_int_eq(check_sb_verdict(b, sizeof good - 1, &here),
	    SCOREBOARD_NOT_OURS);
	ck_assert_int_eq(check_sb_verdict(b, 0, &here), SCOREBOARD_NOT_OURS);
	/* a checksum that matches a nonsense slot count */
	h->nslots = 0;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_TORN);
	h->nslots = SCOREBOARD_MAX_SLOTS + 1;
	check_sb_rehash(h);
	ck_assert_int_eq(check_sb_verdict(b, len, &here), SCOREBOARD_TORN);
	free(b);
}
END_TEST

START_TEST(test_slot_rw)
{
	struct scoreboard_slot s;
	struct scoreboard_snap o;

	memset(&s, 0, sizeof s);
	atomic_store(&s.worker_pid, 77);
	atomic_store(&s.worker_start, 4242);
	atomic_store(&s.heartbeat_ms, 99);
	scoreboard_slot_job(&s, SCOREBOARD_F_JOB | SCOREBOARD_F_PROC, 12, 3,
	    500, 9000);
	ck_assert_uint_eq(atomic_load(&s.seq), 2);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_int_eq(o.worker_pid, 77);
	ck_assert_uint_eq(o.worker_start, 4242);
	ck_assert_int_eq(o.heartbeat_ms, 99);
	ck_assert_uint_eq(o.flags, SCOREBOARD_F_JOB | SCOREBOARD_F_PROC);
	ck_assert_int_eq(o.job_id, 12);
	ck_assert_uint_eq(o.attempt, 3);
	ck_assert_int_eq(o.job_pgid, 500);
	ck_assert_uint_eq(o.job_start, 9000);
	/* a writer that stopped half-way: no job, the worker still known */
	atomic_store(&s.seq, 5);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), JOBQ_ESTATE);
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_int_eq(o.job_pgid, 0);
	ck_assert_int_eq(o.worker_pid, 77);
	atomic_store(&s.seq, 6);
	scoreboard_slot_job(&s, 0, 0, 0, 0, 0);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_uint_eq(atomic_load(&s.seq), 8);
}
END_TEST

START_TEST(test_parse_stat)
{
	static const char line[] = "28949 (cat) R 28938 28938 20255 0 -1 "
	    "4194304 101 0 0 0 0 0 0 0 20 0 1 0 740995 3133440 407 "
	    "18446744073709551615 0 0\n";
	static const char odd[] = "7 (a) b) (c d) ) T 1 7 7 0 -1 0 0 0 0 0 0 "
	    "0 0 0 20 -5 1 0 18446744073709551615 0";
	struct proctree_stat st;
	char buf[256];
	size_t n;

	ck_assert_int_eq(proctree_parse_stat(line, sizeof line - 1, &st), 0);
	ck_assert_int_eq(st.pid, 28949);
	ck_assert_int_eq(st.ppid, 28938);
	ck_assert_int_eq(st.pgrp, 28938);
	ck_assert_int_eq(st.state, 'R');
	ck_assert_uint_eq(st.start, 740995);
	/* a name with parentheses and spaces; a negative nice */
	ck_assert_int_eq(proctree_parse_stat(odd, sizeof odd - 1, &st), 0);
	ck_assert_int_eq(st.pid, 7);
	ck_assert_int_eq(st.state, 'T');
	ck_assert_int_eq(st.ppid, 1);
	ck_assert_uint_eq(st.start, UINT64_MAX);
	/* cut anywhere before the start time: refused */
	for (n = 0; n < strlen("28949 (cat) R 28938 28938 20255 0 -1 4194304 "
	    "101 0 0 0 0 0 0 0 20 0 1 0 7"); n++)
		ck_assert_int_eq(proctree_parse_stat(line, n, &st), JOBQ_EINVAL);
	/* not a number where the pid or the parent is */
	snprintf(buf, sizeof buf, "x (a) R 1 1");
	ck_assert_int_eq(proctree_parse_stat(buf, strlen(buf), &st),
	    JOBQ_EINVAL);
	snprintf(buf, sizeof buf, "1 (a) R -1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 "
	    "0 0 0 5");
	ck_assert_int_eq(proctree_parse_stat(buf, strlen(buf), &st),
	    JOBQ_EINVAL);
	/* a start time beyond 64 bits */
	snprintf(buf, sizeof buf, "1 (a) R 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 "
	    "0 0 0 18446744073709551616");
	ck_assert_int_eq(proctree_parse_stat(buf, strlen(buf), &st),
	    JOBQ_EINVAL);
	buf[strlen(buf) - 1] = '5';
	ck_assert_int_eq(proctree_parse_stat(buf, strlen(buf), &st), 0);
	ck_assert_uint_eq(st.start, UINT64_MAX);
}
END_TEST

START_TEST(test_self)
{
	struct proctree_stat st;
	uint64_t start = proctree_start_time(getpid());

	ck_assert_uint_gt(start, 0);
	ck_assert_int_eq(proctree_read(getpid(), &st), 0);
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_int_eq(proctree_alive(getpid(), start), 1);
	ck_assert_int_eq(proctree_alive(getpid(), start + 1), 0);
	ck_assert_int_eq(proctree_alive(getpid(), 0), 1);
	ck_assert_int_eq(proctree_read(0, &st), JOBQ_ENOTFOUND);
	ck_assert_int_eq(proctree_read(INT32_MAX, &st), JOBQ_ENOTFOUND);
	/* never a signal to a process that is not the one named */
	ck_assert_int_eq(proctree_kill(getpid(), start + 1), 0);
	ck_assert_int_eq(proctree_kill_group(getpgrp(), 1), 0);
}
END_TEST

/* A child (a child subreaper, as a worker is) that starts a grandchild in
 * a session of its own, which forks a great-grandchild; all wait.
 * Returns the child's pid; esc[0] and esc[1] get the grandchild's and the
 * great-grandchild's. */
static pid_t
check_sb_tree(pid_t esc[2])
{
	int p[2];
	pid_t c, me[2];

	ck_assert_int_eq(pipe(p), 0);
	if ((c = fork()) == 0) {
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
		if (fork() == 0) {
			setsid();
			me[0] = getpid();
			if ((me[1] = fork()) == 0)
				for (;;)
					pause();
			(void)write(p[1], me, sizeof me);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	ck_assert_int_gt(c, 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], esc, 2 * sizeof *esc),
	    (ssize_t)(2 * sizeof *esc));
	close(p[0]);
	return c;
}

START_TEST(test_kill_descendants)
{
	pid_t c, g[2];
	uint64_t gstart[2];
	int left = -1, r, st, i;

	/* the root of a tree kill is a subreaper, as the worker is */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	c = check_sb_tree(g);
	for (i = 0; i < 2; i++) {
		gstart[i] = proctree_start_time(g[i]);
		ck_assert_uint_gt(gstart[i], 0);
	}
	ck_assert_int_eq(proctree_has_children(getpid()), 1);
	ck_assert_int_eq(proctree_has_children(g[1]), 0);
	/* the child, the escaped grandchild and its child */
	r = proctree_kill_descendants(getpid(), 0, 2000, &left);
	ck_assert_int_ge(r, 3);
	ck_assert_int_eq(left, 0);
	ck_assert_int_eq(proctree_alive(g[0], gstart[0]), 0);
	ck_assert_int_eq(proctree_alive(g[1], gstart[1]), 0);
	ck_assert_int_eq(waitpid(c, &st, 0), c);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* nothing left: a second walk signals nobody */
	ck_assert_int_eq(proctree_kill_descendants(getpid(), 0, 100, &left), 0);
	ck_assert_int_eq(proctree_kill_descendants(INT32_MAX, 0, 100, &left),
	    JOBQ_ENOTFOUND);
}
END_TEST

/* scoreboard_reap: a stopped "worker" (a child of this test) with a
 * process tree, recorded in slot 1 of a scoreboard; with its start time
 * wrong nothing happens, with it right the whole tree dies. */
START_TEST(test_reap)
{
	char dir[] = "/tmp/check_scoreboard.XXXXXX", path[64];
	struct scoreboard *sb;
	struct scoreboard_slot *slots;
	struct scoreboard_hdr *h;
	uint64_t wstart, gstart, g1start;
	void *map;
	pid_t w, g[2];
	int fd, st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/scoreboard", dir);
	ck_assert_int_eq(scoreboard_create(path, 2, &sb), 0);
	ck_assert_uint_eq(scoreboard_nslots(sb), 2);
	w = check_sb_tree(g);
	wstart = proctree_start_time(w);
	gstart = proctree_start_time(g[0]);
	g1start = proctree_start_time(g[1]);
	ck_assert(wstart > 0 && gstart > 0 && g1start > 0);
	kill(w, SIGSTOP);
	/* the file as a killed jobqd leaves it (its slots written by hand:
	 * the daemon's pid there is ours, whatever) */
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	map = mmap(NULL, scoreboard_size(2), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	ck_assert(map != MAP_FAILED);
	close(fd);
	h = map;
	ck_assert_int_eq(h->daemon_pid, getpid());
	slots = (struct scoreboard_slot *)(void *)(h + 1);
	scoreboard_slot_worker(sb, 1, w, wstart + 1);
	scoreboard_slot_job(&slots[1], SCOREBOARD_F_JOB | SCOREBOARD_F_PROC,
	    5, 1, g[0], gstart + 1);
	ck_assert_int_eq(scoreboard_reap(path, 500), 0);
	ck_assert_int_eq(proctree_alive(w, wstart), 1);
	ck_assert_int_eq(proctree_alive(g[0], gstart), 1);
	/* the right start times */
	scoreboard_slot_worker(sb, 1, w, wstart);
	scoreboard_slot_job(&slots[1], SCOREBOARD_F_JOB | SCOREBOARD_F_PROC,
	    5, 1, g[0], gstart);
	ck_assert_int_ge(scoreboard_reap(path, 2000), 2);	/* the group, the worker */
	ck_assert_int_eq(proctree_alive(g[0], gstart), 0);
	ck_assert_int_eq(proctree_alive(g[1], g1start), 0);
	ck_assert_int_eq(waitpid(w, &st, 0), w);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* another boot: nothing is done (the tree is gone anyway, so plant
	 * a live pid: ours) */
	scoreboard_slot_worker(sb, 0, getpid(), proctree_start_time(getpid()));
	h->boot_id[0] ^= 1;
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);	/* torn */
	check_sb_rehash(h);
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);	/* another boot */
	h->boot_id[0] ^= 1;
	h->pidns++;
	check_sb_rehash(h);
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);	/* another ns */
	munmap(map, scoreboard_size(2));
	scoreboard_free(sb);
	/* no file: nothing to do */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);
	/* a symlink is never followed */
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);
	ck_assert_int_eq(scoreboard_create(path, 1, &sb), 0);
	scoreboard_free(sb);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* scoreboard_attach: the worker's view of the daemon's file. */
START_TEST(test_attach)
{
	char dir[] = "/tmp/check_scoreboard.XXXXXX", path[64];
	struct scoreboard *sb, *w;
	struct scoreboard_snap o;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/scoreboard", dir);
	ck_assert_int_eq(scoreboard_create(path, 2, &sb), 0);
	scoreboard_slot_reset(sb, 1, 1000);
	ck_assert_int_eq(scoreboard_heartbeat(sb, 1), 1000);
	ck_assert_int_eq(scoreboard_attach(scoreboard_fd(sb), 2, getpid(), &w),
	    JOBQ_EINVAL);
	ck_assert_int_eq(scoreboard_attach(scoreboard_fd(sb), 1, getpid() + 1,
	    &w), JOBQ_EINVAL);
	ck_assert_int_eq(scoreboard_attach(scoreboard_fd(sb), 1, getpid(), &w),
	    0);
	scoreboard_beat(w, 1, 2000);
	scoreboard_job(w, 1, SCOREBOARD_F_JOB, 9, 2, 0, 0);
	ck_assert_int_eq(scoreboard_heartbeat(sb, 1), 2000);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.job_id, 9);
	ck_assert_uint_eq(o.flags, SCOREBOARD_F_JOB);
	scoreboard_free(w);
	scoreboard_free(sb);
	ck_assert_int_eq(unlink(path), 0);
	/* a file that cannot be made (a full disk, here no directory): in
	 * memory, usable all the same */
	snprintf(path, sizeof path, "%s/none/scoreboard", dir);
	ck_assert_int_eq(scoreboard_create(path, 1, &sb), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(scoreboard_attach(scoreboard_fd(sb), 0, getpid(), &w),
	    0);
	scoreboard_beat(w, 0, 3000);
	ck_assert_int_eq(scoreboard_heartbeat(sb, 0), 3000);
	scoreboard_free(w);
	scoreboard_free(sb);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The hand-off marker (running ahead): written by jobqd, cleared by
 * jobqd or by the worker that begins the job it names - only that job and
 * attempt. */
START_TEST(test_handed)
{
	char dir[] = "/tmp/check_scoreboard.XXXXXX", path[64];
	struct scoreboard *sb, *w;
	struct scoreboard_snap o;
	const int64_t big = ((int64_t)1 << 33) + 5;	/* uses handed_hi */

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/scoreboard", dir);
	ck_assert_int_eq(scoreboard_create(path, 2, &sb), 0);
	/* none at first */
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	scoreboard_handed(sb, 1, 42, 3);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 42);
	ck_assert_uint_eq(o.handed_attempt, 3);
	/* the other slot and the job members are untouched */
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_int_eq(o.job_id, 0);
	ck_assert_int_eq(scoreboard_read(sb, 0, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);

	/* the worker's side: only its own job and attempt clear it */
	ck_assert_int_eq(scoreboard_attach(scoreboard_fd(sb), 1, getpid(), &w),
	    0);
	scoreboard_begin(w, 1, 42, 2);		/* another attempt */
	scoreboard_begin(w, 1, 43, 3);		/* another job */
	scoreboard_begin(w, 0, 42, 3);		/* another slot */
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 42);
	ck_assert_uint_eq(o.handed_attempt, 3);
	scoreboard_begin(w, 1, 42, 3);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	/* a second begin of the same run: nothing to clear */
	scoreboard_begin(w, 1, 42, 3);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_uint_eq(o.handed_attempt, 0);

	/* ids beyond 32 bits; a new marker replaces the old one */
	scoreboard_handed(sb, 1, 7, 1);
	scoreboard_handed(sb, 1, big, 9);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, big);
	ck_assert_uint_eq(o.handed_attempt, 9);
	scoreboard_begin(w, 1, 7, 1);		/* the replaced one */
	scoreboard_begin(w, 1, big & 0xffffffff, 9);	/* low half only */
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, big);
	scoreboard_begin(w, 1, big, 9);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);

	/* jobqd's clearing: job 0 or attempt 0; a bad id writes none */
	scoreboard_handed(sb, 1, 8, 2);
	scoreboard_handed(sb, 1, 0, 0);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	scoreboard_handed(sb, 1, 8, 2);
	scoreboard_handed(sb, 1, 8, 0);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	scoreboard_handed(sb, 1, -5, 2);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);

	/* a new worker in the slot starts without one */
	scoreboard_handed(sb, 1, 8, 2);
	scoreboard_slot_reset(sb, 1, 1000);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);

	/* the marker is apart from the job members: writing the job (as
	 * the worker does right after begin) leaves a marker as it is */
	scoreboard_handed(sb, 1, 11, 1);
	scoreboard_job(w, 1, SCOREBOARD_F_JOB | SCOREBOARD_F_PROC, 10, 1,
	    500, 9000);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.job_id, 10);
	ck_assert_int_eq(o.handed_id, 11);
	ck_assert_uint_eq(o.handed_attempt, 1);
	scoreboard_job(w, 1, 0, 0, 0, 0, 0);
	ck_assert_int_eq(scoreboard_read(sb, 1, &o), 0);
	ck_assert_int_eq(o.handed_id, 11);
	scoreboard_free(w);
	scoreboard_free(sb);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A marker as a reader finds it in a slot: torn (attempt 0, as a kill
 * between its words leaves it), no id, or whole. */
START_TEST(test_handed_torn)
{
	struct scoreboard_slot s;
	struct scoreboard_snap o;

	memset(&s, 0, sizeof s);
	atomic_store(&s.handed_lo, 77);
	atomic_store(&s.handed_hi, 0);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);		/* attempt 0: none */
	ck_assert_uint_eq(o.handed_attempt, 0);
	atomic_store(&s.handed_attempt, 2);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_int_eq(o.handed_id, 77);
	ck_assert_uint_eq(o.handed_attempt, 2);
	/* an attempt without an id (or with a negative one) says nothing */
	atomic_store(&s.handed_lo, 0);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	atomic_store(&s.handed_hi, 0x80000000u);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), 0);
	ck_assert_int_eq(o.handed_id, 0);
	ck_assert_uint_eq(o.handed_attempt, 0);
	/* read even while the job members are being written (the marker is
	 * not under seq) */
	atomic_store(&s.handed_hi, 1);
	atomic_store(&s.handed_lo, 3);
	atomic_store(&s.seq, 7);
	ck_assert_int_eq(scoreboard_slot_read(&s, &o), JOBQ_ESTATE);
	ck_assert_int_eq(o.handed_id, ((int64_t)1 << 32) + 3);
	ck_assert_uint_eq(o.handed_attempt, 2);
}
END_TEST

/* scoreboard_reap_unstarted: the markers a previous jobqd left, read once
 * what it left running is gone. */
START_TEST(test_reap_unstarted)
{
	char dir[] = "/tmp/check_scoreboard.XXXXXX", path[64];
	struct scoreboard *sb;
	struct scoreboard_unstarted *u;
	struct scoreboard_slot *slots;
	struct scoreboard_hdr *h;
	const int64_t big = ((int64_t)1 << 40) + 1;
	uint64_t wstart;
	size_t n;
	void *map;
	pid_t w;
	int fd, st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/scoreboard", dir);
	/* no file */
	u = (void *)1;
	n = 5;
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(scoreboard_create(path, 4, &sb), 0);
	/* nothing marked */
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(n, 0);
	/* slot 0: marked; slot 1: marked and begun; slot 2: none; slot 3:
	 * marked, its worker (a stopped child) still alive */
	scoreboard_handed(sb, 0, 17, 2);
	scoreboard_handed(sb, 1, 18, 1);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	map = mmap(NULL, scoreboard_size(4), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	ck_assert(map != MAP_FAILED);
	close(fd);
	h = map;
	slots = (struct scoreboard_slot *)(void *)(h + 1);
	atomic_store(&slots[1].handed_attempt, 0);	/* as begin does */
	if ((w = fork()) == 0) {
		for (;;)
			pause();
	}
	ck_assert_int_gt(w, 0);
	kill(w, SIGSTOP);
	wstart = proctree_start_time(w);
	ck_assert_uint_gt(wstart, 0);
	scoreboard_slot_worker(sb, 3, w, wstart);
	scoreboard_handed(sb, 3, big, 4);
	scoreboard_free(sb);	/* jobqd "killed": the file stays */

	ck_assert_int_ge(scoreboard_reap_unstarted(path, 2000, &u, &n), 1);
	ck_assert_int_eq(waitpid(w, &st, 0), w);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u[0].job_id, 17);
	ck_assert_uint_eq(u[0].attempt, 2);
	ck_assert_int_eq(u[1].job_id, big);
	ck_assert_uint_eq(u[1].attempt, 4);
	free(u);
	/* reaping does not clear them: read again, the same (nothing
	 * killed this time) */
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_uint_eq(n, 2);
	free(u);
	/* scoreboard_reap() is the same without the list */
	ck_assert_int_eq(scoreboard_reap(path, 100), 0);

	/* a torn marker (a kill between its words: attempt 0) is none */
	atomic_store(&slots[0].handed_attempt, 0);
	atomic_store(&slots[0].handed_lo, 99);
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(u[0].job_id, big);
	free(u);

	/* another boot, another pid namespace, a torn header: no list */
	h->boot_id[0] ^= 1;
	u = (void *)1;
	n = 5;
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(n, 0);
	check_sb_rehash(h);
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(n, 0);
	h->boot_id[0] ^= 1;
	h->pidns++;
	check_sb_rehash(h);
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_ptr_null(u);
	ck_assert_uint_eq(n, 0);
	h->pidns--;
	check_sb_rehash(h);
	ck_assert_int_eq(scoreboard_reap_unstarted(path, 100, &u, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(u);
	munmap(map, scoreboard_size(4));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
check_scoreboard_suite(void)
{
	Suite *s = suite_create("scoreboard");
	TCase *tc = tcase_create("pure");
	TCase *tp = tcase_create("processes");

	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_other_boot_ns);
	tcase_add_test(tc, test_other_layout);
	tcase_add_test(tc, test_torn);
	tcase_add_test(tc, test_slot_rw);
	tcase_add_test(tc, test_parse_stat);
	tcase_add_test(tc, test_handed_torn);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tp, 30);
	tcase_add_test(tp, test_self);
	tcase_add_test(tp, test_kill_descendants);
	tcase_add_test(tp, test_reap);
	tcase_add_test(tp, test_attach);
	tcase_add_test(tp, test_handed);
	tcase_add_test(tp, test_reap_unstarted);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(check_scoreboard_suite());
	int failed;

	log_init(LOG_LVL_ERROR, "check_scoreboard");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
