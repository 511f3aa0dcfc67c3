/*
 * check_wire.c - unit tests for daemon/wire.c: the job spec codec and the
 * IPC names.  Round trips of ordinary, empty, odd and 1 MiB specs, and every
 * class of malformed input (truncation at each byte, lengths past the end,
 * huge counts, bad magic, trailing bytes, embedded NULs) must fail cleanly.
 * Single process; run under ASan/UBSan to catch out-of-bounds reads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "wire.h"

static size_t
check_wire_vlen(char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void
check_wire_roundtrip(const char *const *argv, const char *const *env,
    const char *cwd, const char *out, const char *err)
{
	struct wire_spec s;
	char *buf;
	size_t len, i, n;

	ck_assert_int_eq(wire_spec_pack(argv, env, cwd, out, err, &buf, &len), 0);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_str_eq(s.cwd, cwd);
	ck_assert_str_eq(s.out_path, out);
	ck_assert_str_eq(s.err_path, err);
	n = 0;
	if (argv != NULL)
		while (argv[n] != NULL)
			n++;
	ck_assert_uint_eq(check_wire_vlen(s.argv), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(s.argv[i], argv[i]);
	n = 0;
	if (env != NULL)
		while (env[n] != NULL)
			n++;
	ck_assert_uint_eq(check_wire_vlen(s.env), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(s.env[i], env[i]);
	wire_spec_free(&s);
	ck_assert_ptr_null(s.argv);
	wire_spec_free(&s);	/* idempotent */
	free(buf);
}

/* The resource limits block at the end of a spec without base limits:
 * set, 6 values of 8 bytes, the base count. */
#define CHECK_WIRE_LIMITS0 (4 + PROTO_NLIMITS * 8 + 4)

static void
check_wire_put32(char *p, uint32_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)((v >> 8) & 0xff);
	p[2] = (char)((v >> 16) & 0xff);
	p[3] = (char)((v >> 24) & 0xff);
}

static char *
check_wire_small(size_t *len)
{
	static const char *const argv[] = { "/bin/echo", "a b", "", NULL };
	static const char *const env[] = { "PATH=/bin", "X=", NULL };
	char *buf;

	ck_assert_int_eq(wire_spec_pack(argv, env, "/tmp", "/tmp/o", "/tmp/e",
	    &buf, len), 0);
	return buf;
}

START_TEST(test_roundtrip_basic)
{
	const char *argv[] = { "/bin/sh", "-c", "echo hi", NULL };
	const char *env[] = { "PATH=/usr/bin:/bin", "HOME=/root", NULL };

	check_wire_roundtrip(argv, env, "/", "/tmp/out", "/tmp/err");
}
END_TEST

START_TEST(test_roundtrip_empty)
{
	const char *argv[] = { "true", NULL };
	const char *noenv[] = { NULL };
	const char *empties[] = { "", "", "", NULL };

	check_wire_roundtrip(argv, noenv, "/", "o", "e");
	check_wire_roundtrip(argv, NULL, "", "", "");
	check_wire_roundtrip(empties, empties, "", "", "");
	check_wire_roundtrip(NULL, NULL, "/", "o", "e");
}
END_TEST

START_TEST(test_roundtrip_odd_bytes)
{
	const char *argv[] = { "printf", "line1\nline2\r\n", "\"quoted\" 'single'",
	    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "\x01\x7f\xff\xfe",
	    "$HOME `x` \\", NULL };
	const char *env[] = { "A=multi\nline", "B=\xc3\xa9", "=weird", "NOEQ",
	    NULL };

	check_wire_roundtrip(argv, env, "/t\xc3\xa9st dir", "/o\nut", "/e rr");
}
END_TEST

START_TEST(test_roundtrip_big)
{
	size_t n = 1024 * 1024, i;
	char *big = malloc(n + 1), *big2 = malloc(n / 2 + 1);
	char **argv = calloc(4097, sizeof *argv), **env;

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(big2);
	ck_assert_ptr_nonnull(argv);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	memcpy(big2, "BIG=", 4);
	for (i = 4; i < n / 2; i++)
		big2[i] = (char)('0' + i % 10);
	big2[n / 2] = '\0';
	argv[0] = "cmd";
	argv[1] = big;
	for (i = 2; i < 4096; i++)
		argv[i] = "x";
	argv[4096] = NULL;
	env = calloc(2, sizeof *env);
	ck_assert_ptr_nonnull(env);
	env[0] = big2;
	env[1] = NULL;
	check_wire_roundtrip((const char *const *)argv,
	    (const char *const *)env, "/", "o", "e");
	free(env);
	free(argv);
	free(big);
	free(big2);
}
END_TEST

START_TEST(test_truncate_every_offset)
{
	struct wire_spec s;
	size_t len, cut;
	char *buf = check_wire_small(&len), *copy;

	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	wire_spec_free(&s);
	for (cut = 0; cut < len; cut++) {
		/* An exact-size copy so ASan sees any read past the cut. */
		copy = malloc(cut > 0 ? cut : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, cut);
		ck_assert_msg(wire_spec_unpack(copy, cut, &s) == JOBQ_EINVAL,
		    "truncation at %zu accepted", cut);
		ck_assert_ptr_null(s.argv);
		ck_assert_ptr_null(s.cwd);
		free(copy);
	}
	free(buf);
}
END_TEST

START_TEST(test_trailing_garbage)
{
	struct wire_spec s;
	size_t len;
	char *buf = check_wire_small(&len), *copy = malloc(len + 1);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	copy[len] = 'x';
	ck_assert_int_eq(wire_spec_unpack(copy, len + 1, &s), JOBQ_EINVAL);
	copy[len] = '\0';
	ck_assert_int_eq(wire_spec_unpack(copy, len + 1, &s), JOBQ_EINVAL);
	free(copy);
	free(buf);
}
END_TEST

START_TEST(test_bad_magic)
{
	struct wire_spec s;
	size_t len, i;
	char *buf = check_wire_small(&len);

	for (i = 0; i < 4; i++) {
		buf[i] ^= 0x20;
		ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
		buf[i] ^= 0x20;
	}
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	wire_spec_free(&s);
	ck_assert_int_eq(wire_spec_unpack(NULL, 0, &s), JOBQ_EINVAL);
	free(buf);
}
END_TEST

/* The bytes packed after the env strings: the ident block (flags, uid,
 * gid, umask: who the job runs as, who owns its output files), then the
 * resource limits block (here without base limits). */
#define TAIL (16 + CHECK_WIRE_LIMITS0)

START_TEST(test_embedded_nul)
{
	struct wire_spec s;
	size_t len;
	char *buf = check_wire_small(&len);
	/* Layout: magic 4, argc 4, envc 4, flags 4, limit 8, len(cwd)=4 at
	 * 24, "/tmp" at 28. */
	ck_assert_int_eq(memcmp(buf + 28, "/tmp", 4), 0);
	buf[29] = '\0';
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	buf[29] = 't';
	/* The last char of the last env string "X=", before the tail. */
	ck_assert_int_eq(buf[len - 1 - TAIL], '=');
	buf[len - 1 - TAIL] = '\0';
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	free(buf);
}
END_TEST

START_TEST(test_lengths_past_end)
{
	struct wire_spec s;
	size_t len, off;
	char *buf = check_wire_small(&len);
	uint32_t bad[] = { 0xffffffffu, 0x80000000u, 0x7fffffffu, 0 };

	bad[3] = (uint32_t)len;
	/* cwd length */
	for (off = 0; off < sizeof bad / sizeof bad[0]; off++) {
		char *copy = malloc(len);

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		check_wire_put32(copy + 24, bad[off]);
		ck_assert_int_eq(wire_spec_unpack(copy, len, &s), JOBQ_EINVAL);
		/* the length of the last env string (4 + "X=" + the ident
		 * block from the end) */
		memcpy(copy, buf, len);
		check_wire_put32(copy + len - 6 - TAIL, bad[off]);
		ck_assert_int_eq(wire_spec_unpack(copy, len, &s), JOBQ_EINVAL);
		free(copy);
	}
	/* A length one short leaves trailing bytes, one long runs past. */
	check_wire_put32(buf + len - 6 - TAIL, 1);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + len - 6 - TAIL, 3);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + len - 6 - TAIL, 2);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	wire_spec_free(&s);
	free(buf);
}
END_TEST

START_TEST(test_huge_counts)
{
	struct wire_spec s;
	size_t len;
	char *buf = check_wire_small(&len);
	uint32_t counts[] = { 0xffffffffu, 0x40000000u, 0x3fffffffu, 1000, 4 };
	size_t i;

	for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		check_wire_put32(buf + 4, counts[i]);
		ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
		check_wire_put32(buf + 4, 3);
		check_wire_put32(buf + 8, counts[i]);
		ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
		check_wire_put32(buf + 8, 2);
	}
	/* Fewer strings than present: trailing bytes. */
	check_wire_put32(buf + 8, 1);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + 8, 2);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	wire_spec_free(&s);
	free(buf);
}
END_TEST

START_TEST(test_random_corruption)
{
	struct wire_spec s;
	size_t len, i;
	char *buf = check_wire_small(&len), *copy = malloc(len);
	unsigned seed = 12345;
	int r;

	ck_assert_ptr_nonnull(copy);
	for (i = 0; i < 20000; i++) {
		memcpy(copy, buf, len);
		seed = seed * 1103515245u + 12345u;
		copy[(seed >> 8) % len] = (char)(seed >> 20);
		seed = seed * 1103515245u + 12345u;
		copy[(seed >> 8) % len] = (char)(seed >> 20);
		r = wire_spec_unpack(copy, len, &s);
		ck_assert(r == 0 || r == JOBQ_EINVAL);
		if (r == 0)
			wire_spec_free(&s);
	}
	free(copy);
	free(buf);
}
END_TEST

START_TEST(test_roundtrip_output)
{
	static const char *const argv[] = { "true", NULL };
	struct wire_output o = { .dir = "/var/lib/jobq/logs",
	    .flags = WIRE_OUT_EXCL, .limit = ((uint64_t)5 << 32) | 7,
	    .gid = WIRE_GID_PRIMARY, .umask = 022 };
	struct wire_spec s;
	char *buf;
	size_t len;

	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "12.out",
	    "12.err", &o, &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_str_eq(s.out_dir, "/var/lib/jobq/logs");
	ck_assert_str_eq(s.out_path, "12.out");
	ck_assert_str_eq(s.err_path, "12.err");
	ck_assert_uint_eq(s.out_flags, WIRE_OUT_EXCL);
	ck_assert(s.out_limit == (((uint64_t)5 << 32) | 7));
	ck_assert_uint_eq(s.uid, 0);
	ck_assert_uint_eq(s.gid, WIRE_GID_PRIMARY);
	wire_spec_free(&s);
	free(buf);
	/* The owner of the files in the user's directory. */
	o.flags = WIRE_OUT_USERDIR;
	o.uid = 4000000000u;
	o.gid = 1234;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "12.out",
	    "12.err", &o, &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_uint_eq(s.out_flags, WIRE_OUT_USERDIR);
	ck_assert_uint_eq(s.uid, 4000000000u);
	ck_assert_uint_eq(s.gid, 1234);
	wire_spec_free(&s);
	/* Cut anywhere in the tail: refused. */
	ck_assert_int_eq(wire_spec_unpack(buf, len - 1, &s), JOBQ_EINVAL);
	ck_assert_int_eq(wire_spec_unpack(buf, len - TAIL, &s), JOBQ_EINVAL);
	free(buf);
	/* Without output settings: no dir, no flags, no limit. */
	ck_assert_int_eq(wire_spec_pack(argv, NULL, "/", "o", "e", &buf, &len),
	    0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_str_eq(s.out_dir, "");
	ck_assert_uint_eq(s.out_flags, 0);
	ck_assert(s.out_limit == 0);
	wire_spec_free(&s);
	free(buf);
	o.dir = NULL;
	o.limit = UINT64_MAX;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_str_eq(s.out_dir, "");
	ck_assert(s.out_limit == UINT64_MAX);
	wire_spec_free(&s);
	free(buf);
}
END_TEST

START_TEST(test_roundtrip_ident)
{
	static const char *const argv[] = { "id", NULL };
	struct wire_output o;
	struct wire_spec s;
	char *buf;
	size_t len;

	memset(&o, 0, sizeof o);
	o.id_flags = WIRE_ID_SET;
	o.uid = 1001;
	o.gid = WIRE_GID_PRIMARY;
	o.umask = 027;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_uint_eq(s.id_flags, WIRE_ID_SET);
	ck_assert_uint_eq(s.uid, 1001);
	ck_assert_uint_eq(s.gid, WIRE_GID_PRIMARY);
	ck_assert_uint_eq(s.umask, 027);
	wire_spec_free(&s);
	/* A umask above 0777 or an unknown flag is malformed. */
	buf[len - 1 - CHECK_WIRE_LIMITS0] = 1;	/* umask 0x01000017 */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	buf[len - 1 - CHECK_WIRE_LIMITS0] = 0;
	buf[len - 16 - CHECK_WIRE_LIMITS0] = 2;	/* flags */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	free(buf);
	/* Without settings: no identity, the primary group, umask 022. */
	ck_assert_int_eq(wire_spec_pack(argv, NULL, "/", "o", "e", &buf, &len),
	    0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_uint_eq(s.id_flags, 0);
	ck_assert_uint_eq(s.gid, WIRE_GID_PRIMARY);
	ck_assert_uint_eq(s.umask, 022);
	wire_spec_free(&s);
	free(buf);
}
END_TEST

/* The resource limits block: the job's limits and the start-up limits
 * to restore come back as packed; none when not given. */
START_TEST(test_roundtrip_limits)
{
	static const char *const argv[] = { "true", NULL };
	struct wire_rlimit base[WIRE_RLIMIT_BASE_MAX];
	jobq_limits l;
	struct wire_output o;
	struct wire_spec s;
	char *buf;
	size_t len, i;

	memset(&l, 0, sizeof l);
	memset(&o, 0, sizeof o);
	l.set = JOBQ_LIMIT_ALL;
	l.mem = (int64_t)1 << 53;
	l.cpu_time = 7;
	l.nofile = 3;
	l.nproc = 2147483647;
	l.core = 0;
	l.nice = -20;
	l.cpus = PROTO_MAX_CPUS;
	for (i = 0; i < WIRE_RLIMIT_BASE_MAX; i++) {
		base[i].resource = (uint32_t)(WIRE_RLIMIT_BASE_MAX - 1 - i);
		base[i].cur = i;
		base[i].max = i == 0 ? UINT64_MAX : ((uint64_t)i << 40) + 1;
	}
	o.limits = &l;
	o.rl_base = base;
	o.nrl_base = WIRE_RLIMIT_BASE_MAX;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_int_eq(memcmp(&s.limits, &l, sizeof l), 0);
	ck_assert_uint_eq(s.nrl_base, WIRE_RLIMIT_BASE_MAX);
	for (i = 0; i < WIRE_RLIMIT_BASE_MAX; i++) {
		ck_assert_uint_eq(s.rl_base[i].resource, base[i].resource);
		ck_assert(s.rl_base[i].cur == base[i].cur);
		ck_assert(s.rl_base[i].max == base[i].max);
	}
	wire_spec_free(&s);
	free(buf);

	/* Some set: the others come back 0 whatever the caller had there. */
	l.set = JOBQ_LIMIT_NICE | JOBQ_LIMIT_CORE;
	l.nice = 19;
	l.core = 4096;
	o.nrl_base = 1;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), 0);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_uint_eq(s.limits.set, JOBQ_LIMIT_NICE | JOBQ_LIMIT_CORE);
	ck_assert(s.limits.nice == 19 && s.limits.core == 4096);
	ck_assert(s.limits.mem == 0 && s.limits.nproc == 0);
	ck_assert_uint_eq(s.nrl_base, 1);
	wire_spec_free(&s);
	free(buf);

	/* Invalid ones are not packed. */
	l.nice = 20;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), JOBQ_EINVAL);
	l.nice = 0;
	o.nrl_base = WIRE_RLIMIT_BASE_MAX + 1;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), JOBQ_EINVAL);
	o.nrl_base = 0;
	l.set = JOBQ_LIMIT_ALL + 1;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), JOBQ_EINVAL);
}
END_TEST

/* A forged limits block: unknown bits, a value for a limit not set, values
 * out of bounds, too many base limits or an unknown resource. */
START_TEST(test_limits_forged)
{
	static const char *const argv[] = { "true", NULL };
	struct wire_rlimit base = { 7, 1, 2 };
	jobq_limits l;
	struct wire_output o;
	struct wire_spec s;
	char *buf;
	size_t len, blk;

	memset(&l, 0, sizeof l);
	memset(&o, 0, sizeof o);
	l.set = JOBQ_LIMIT_MEM;
	l.mem = 100;
	o.limits = &l;
	o.rl_base = &base;
	o.nrl_base = 1;
	ck_assert_int_eq(wire_spec_pack_out(argv, NULL, "/", "o", "e", &o,
	    &buf, &len), 0);
	blk = len - CHECK_WIRE_LIMITS0 - 20;
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	wire_spec_free(&s);
	check_wire_put32(buf + blk, JOBQ_LIMIT_ALL + 1);	/* unknown bit */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk, JOBQ_LIMIT_MEM);
	check_wire_put32(buf + blk + 4 + 8, 5);	/* cpu_time not set */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk, JOBQ_LIMIT_MEM | JOBQ_LIMIT_CPU);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert(s.limits.cpu_time == 5);
	wire_spec_free(&s);
	check_wire_put32(buf + blk + 4 + 8, 0);	/* cpu_time 0 */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk, JOBQ_LIMIT_MEM);
	check_wire_put32(buf + blk + 4 + 4, 0x00300000);	/* mem > 2^53 */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + 4, 0x80000000u);	/* mem < 0 */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + 4, 0);
	/* cpus, the last value: 0 is out of its bounds, 1500 in them */
	check_wire_put32(buf + blk, JOBQ_LIMIT_MEM | JOBQ_LIMIT_CPUS);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + 6 * 8, 1500);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert(s.limits.cpus == 1500 && s.limits.mem == 100);
	wire_spec_free(&s);
	check_wire_put32(buf + blk, JOBQ_LIMIT_MEM);	/* cpus not set */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + 6 * 8, 0);
	/* 2 base limits, 1 there */
	check_wire_put32(buf + blk + 4 + PROTO_NLIMITS * 8, 2);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + PROTO_NLIMITS * 8, 0xffffffffu);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 4 + PROTO_NLIMITS * 8, 1);
	check_wire_put32(buf + blk + 8 + PROTO_NLIMITS * 8,
	    WIRE_RLIMIT_BASE_MAX);	/* resource */
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), JOBQ_EINVAL);
	check_wire_put32(buf + blk + 8 + PROTO_NLIMITS * 8, 7);
	ck_assert_int_eq(wire_spec_unpack(buf, len, &s), 0);
	ck_assert_uint_eq(s.nrl_base, 1);
	ck_assert(s.rl_base[0].cur == 1 && s.rl_base[0].max == 2);
	wire_spec_free(&s);
	free(buf);
}
END_TEST

START_TEST(test_output_message)
{
	struct wire_report rep;
	char m[128];

	memset(&rep, 0, sizeof rep);
	rep.out_limit = 1048576;
	rep.flags = WIRE_END_OUTPUT_OUT;
	wire_output_message(&rep, m, sizeof m);
	ck_assert_str_eq(m, "stdout passed the output limit of 1048576 "
	    "bytes: killed, output truncated");
	rep.flags = WIRE_END_OUTPUT_ERR | WIRE_END_CANCELED;
	wire_output_message(&rep, m, sizeof m);
	ck_assert(strncmp(m, "stderr passed", 13) == 0);
	rep.flags = WIRE_END_OUTPUT;
	wire_output_message(&rep, m, sizeof m);
	ck_assert(strncmp(m, "stdout and stderr passed", 24) == 0);
}
END_TEST

START_TEST(test_pack_args)
{
	const char *argv[] = { "x", NULL };
	char *buf = (char *)1;
	size_t len = 1;

	ck_assert_int_eq(wire_spec_pack(argv, NULL, NULL, "o", "e", &buf, &len),
	    JOBQ_EINVAL);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_names)
{
	char b[WIRE_SHM_NAME_MAX], tiny[8];

	wire_mq_name(b, sizeof b, 1234, 3, 7);
	ck_assert_str_eq(b, "/jobqd.1234.w3.7");
	wire_shm_name(b, sizeof b, 1234, INT64_MAX, 4294967295u);
	ck_assert_str_eq(b, "/jobqd.1234.j9223372036854775807.4294967295");
	ck_assert_uint_lt(strlen(b), WIRE_SHM_NAME_MAX);
	wire_shm_name(b, sizeof b, 99, -1, 0);
	ck_assert_str_eq(b, "/jobqd.99.j-1.0");
	wire_mq_name(tiny, sizeof tiny, 1234, 3, 7);
	ck_assert_uint_eq(strlen(tiny), sizeof tiny - 1);
	ck_assert(WIRE_INLINE_MAX > 4096);
	ck_assert(sizeof(struct wire_report) < 512);
}
END_TEST

static Suite *
check_wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("spec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_basic);
	tcase_add_test(tc, test_roundtrip_empty);
	tcase_add_test(tc, test_roundtrip_odd_bytes);
	tcase_add_test(tc, test_roundtrip_big);
	tcase_add_test(tc, test_roundtrip_output);
	tcase_add_test(tc, test_roundtrip_ident);
	tcase_add_test(tc, test_roundtrip_limits);
	tcase_add_test(tc, test_limits_forged);
	tcase_add_test(tc, test_output_message);
	tcase_add_test(tc, test_truncate_every_offset);
	tcase_add_test(tc, test_trailing_garbage);
	tcase_add_test(tc, test_bad_magic);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_lengths_past_end);
	tcase_add_test(tc, test_huge_counts);
	tcase_add_test(tc, test_random_corruption);
	tcase_add_test(tc, test_pack_args);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(check_wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
