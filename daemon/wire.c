/*
 * wire.c - the job spec codec and the IPC object names shared by the pool
 * (daemon side) and the workers.  Pure code: no I/O, no global state.
 *
 *   jobqd (pool.c) --wire_spec_pack--> mq / shm --wire_spec_unpack--> worker.c
 *
 * Packed spec, all integers little-endian uint32, strings without NUL:
 *   "JQS2" | argc | envc | out flags | out limit low | out limit high |
 *   len cwd | len dir | len out | len err | argc x (len s) | envc x (len s)
 *   | ident flags | uid | gid | umask | the resource limits block (wire.h)
 * Unpacking trusts nothing: every count and length is checked against the
 * bytes that remain, embedded NULs and trailing bytes are rejected.
 * Errors are JOBQ_E* codes (jobq.h), as everywhere in the daemon.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "proto.h"
#include "util.h"
#include "wire.h"

#define WIRE_MAGIC     "JQS2"
/* The fixed part after the magic: argc, envc, flags, limit (2 words). */
#define WIRE_FIXED     (5 * 4)
#define WIRE_MAGIC_LEN 4
/* The ident block after the strings: flags, uid, gid, umask. */
#define WIRE_IDENT     (4 * 4)

/* The limits block's size for n base limits: set, 6 values, n, n x 5. */
#define WIRE_LIMITS_LEN(n) (4 + PROTO_NLIMITS * 8 + 4 + (n) * 20)

/* Writer state for pack: a fixed buffer sized exactly in advance. */
struct wire_out {
	char *p;
};

static void
wire_put_u32(struct wire_out *o, uint32_t v)
{
	unsigned char b[4];

	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
	memcpy(o->p, b, 4);
	o->p += 4;
}

static void
wire_put_u64(struct wire_out *o, uint64_t v)
{
	wire_put_u32(o, (uint32_t)(v & 0xffffffffu));
	wire_put_u32(o, (uint32_t)(v >> 32));
}

/* The resource limits block (see the top). */
static void
wire_put_limits(struct wire_out *o, const struct wire_output *out)
{
	static const jobq_limits none;
	const jobq_limits *l = out != NULL && out->limits != NULL ?
	    out->limits : &none;
	size_t i, n = out != NULL ? out->nrl_base : 0;

	wire_put_u32(o, l->set);
	for (i = 0; i < PROTO_NLIMITS; i++)
		wire_put_u64(o, (l->set & proto_limits[i].bit) ?
		    (uint64_t)proto_limit_get(l, (int)i) : 0);
	wire_put_u32(o, (uint32_t)n);
	for (i = 0; i < n; i++) {
		wire_put_u32(o, out->rl_base[i].resource);
		wire_put_u64(o, out->rl_base[i].cur);
		wire_put_u64(o, out->rl_base[i].max);
	}
}

static void
wire_put_str(struct wire_out *o, const char *s, size_t n)
{
	wire_put_u32(o, (uint32_t)n);
	if (n > 0)
		memcpy(o->p, s, n);
	o->p += n;
}

/* Adds 4 + strlen(s) to *total; JOBQ_ETOOBIG when a length or the sum
 * overflows. */
static int
wire_size_str(const char *s, size_t *total)
{
	size_t n = strlen(s);

	if (n > UINT32_MAX)
		return JOBQ_ETOOBIG;
	if (*total > SIZE_MAX - 4 - n)
		return JOBQ_ETOOBIG;
	*total += 4 + n;
	return 0;
}

static int
wire_count(const char *const *v, size_t *count)
{
	size_t n = 0;

	if (v != NULL)
		while (v[n] != NULL)
			n++;
	if (n > UINT32_MAX)
		return JOBQ_ETOOBIG;
	*count = n;
	return 0;
}

int
wire_spec_pack_out(const char *const *argv, const char *const *env,
    const char *cwd, const char *out_path, const char *err_path,
    const struct wire_output *out, char **buf, size_t *len)
{
	struct wire_out o;
	const char *dir = out != NULL && out->dir != NULL ? out->dir : "";
	uint64_t limit = out != NULL ? out->limit : 0;
	size_t argc, envc, total, i;
	char *b;
	int r;

	*buf = NULL;
	*len = 0;
	if (cwd == NULL || out_path == NULL || err_path == NULL)
		return JOBQ_EINVAL;
	if (out != NULL && ((out->limits != NULL &&
	    !proto_limits_valid(out->limits)) ||
	    out->nrl_base > WIRE_RLIMIT_BASE_MAX ||
	    (out->nrl_base > 0 && out->rl_base == NULL)))
		return JOBQ_EINVAL;
	if ((r = wire_count(argv, &argc)) < 0 ||
	    (r = wire_count(env, &envc)) < 0)
		return r;
	total = WIRE_MAGIC_LEN + WIRE_FIXED + WIRE_IDENT;
	if ((r = wire_size_str(cwd, &total)) < 0 ||
	    (r = wire_size_str(dir, &total)) < 0 ||
	    (r = wire_size_str(out_path, &total)) < 0 ||
	    (r = wire_size_str(err_path, &total)) < 0)
		return r;
	for (i = 0; i < argc; i++)
		if ((r = wire_size_str(argv[i], &total)) < 0)
			return r;
	for (i = 0; i < envc; i++)
		if ((r = wire_size_str(env[i], &total)) < 0)
			return r;
	if (total > SIZE_MAX - WIRE_LIMITS_LEN(WIRE_RLIMIT_BASE_MAX))
		return JOBQ_ETOOBIG;
	total += WIRE_LIMITS_LEN(out != NULL ? out->nrl_base : 0);

	if ((b = malloc(total)) == NULL)
		return JOBQ_ENOMEM;
	o.p = b;
	memcpy(o.p, WIRE_MAGIC, WIRE_MAGIC_LEN);
	o.p += WIRE_MAGIC_LEN;
	wire_put_u32(&o, (uint32_t)argc);
	wire_put_u32(&o, (uint32_t)envc);
	wire_put_u32(&o, out != NULL ? out->flags : 0);
	wire_put_u32(&o, (uint32_t)(limit & 0xffffffffu));
	wire_put_u32(&o, (uint32_t)(limit >> 32));
	wire_put_str(&o, cwd, strlen(cwd));
	wire_put_str(&o, dir, strlen(dir));
	wire_put_str(&o, out_path, strlen(out_path));
	wire_put_str(&o, err_path, strlen(err_path));
	for (i = 0; i < argc; i++)
		wire_put_str(&o, argv[i], strlen(argv[i]));
	for (i = 0; i < envc; i++)
		wire_put_str(&o, env[i], strlen(env[i]));
	wire_put_u32(&o, out != NULL ? out->id_flags : 0);
	wire_put_u32(&o, out != NULL ? out->uid : 0);
	wire_put_u32(&o, out != NULL ? out->gid : WIRE_GID_PRIMARY);
	wire_put_u32(&o, out != NULL ? out->umask & 0777 : 022);
	wire_put_limits(&o, out);
	if ((size_t)(o.p - b) != total) {
		free(b);
		return JOBQ_EINVAL;
	}
	*buf = b;
	*len = total;
	return 0;
}

int
wire_spec_pack(const char *const *argv, const char *const *env,
    const char *cwd, const char *out_path, const char *err_path,
    char **buf, size_t *len)
{
	return wire_spec_pack_out(argv, env, cwd, out_path, err_path, NULL,
	    buf, len);
}

/* Reader state for unpack: the bytes not consumed yet. */
struct wire_in {
	const unsigned char *p;
	size_t left;
};

static int
wire_get_u32(struct wire_in *in, uint32_t *v)
{
	if (in->left < 4)
		return JOBQ_EINVAL;
	*v = (uint32_t)in->p[0] | (uint32_t)in->p[1] << 8 |
	    (uint32_t)in->p[2] << 16 | (uint32_t)in->p[3] << 24;
	in->p += 4;
	in->left -= 4;
	return 0;
}

static int
wire_get_u64(struct wire_in *in, uint64_t *v)
{
	uint32_t lo, hi;
	int r;

	if ((r = wire_get_u32(in, &lo)) < 0 || (r = wire_get_u32(in, &hi)) < 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* The resource limits block into out (see the top). */
static int
wire_get_limits(struct wire_in *in, struct wire_spec *out)
{
	uint64_t v;
	uint32_t set, n, i;
	int r;

	if ((r = wire_get_u32(in, &set)) < 0)
		return r;
	out->limits.set = set;
	for (i = 0; i < PROTO_NLIMITS; i++) {
		if ((r = wire_get_u64(in, &v)) < 0)
			return r;
		if (set & proto_limits[i].bit)
			proto_limit_set(&out->limits, (int)i, (int64_t)v);
		else if (v != 0)
			return JOBQ_EINVAL;
	}
	if (!proto_limits_valid(&out->limits))
		return JOBQ_EINVAL;
	if ((r = wire_get_u32(in, &n)) < 0)
		return r;
	if (n > WIRE_RLIMIT_BASE_MAX)
		return JOBQ_EINVAL;
	for (i = 0; i < n; i++) {
		if ((r = wire_get_u32(in, &out->rl_base[i].resource)) < 0 ||
		    (r = wire_get_u64(in, &out->rl_base[i].cur)) < 0 ||
		    (r = wire_get_u64(in, &out->rl_base[i].max)) < 0)
			return r;
		if (out->rl_base[i].resource >= WIRE_RLIMIT_BASE_MAX)
			return JOBQ_EINVAL;
	}
	out->nrl_base = n;
	return 0;
}

static int
wire_get_str(struct wire_in *in, char **out)
{
	uint32_t n;
	char *s;
	int r;

	*out = NULL;
	if ((r = wire_get_u32(in, &n)) < 0)
		return r;
	if (n > in->left)
		return JOBQ_EINVAL;
	if (n > 0 && memchr(in->p, '\0', n) != NULL)
		return JOBQ_EINVAL;
	if ((s = malloc((size_t)n + 1)) == NULL)
		return JOBQ_ENOMEM;
	if (n > 0)
		memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	in->left -= n;
	*out = s;
	return 0;
}

/* Reads count strings into a NULL-terminated vector.  Each string needs at
 * least 4 bytes, so a count larger than left/4 is rejected before any
 * allocation: a forged huge count cannot make us allocate much. */
static int
wire_get_vec(struct wire_in *in, uint32_t count, char ***out)
{
	char **v;
	size_t i;
	int r;

	*out = NULL;
	if (count > in->left / 4)
		return JOBQ_EINVAL;
	if ((v = calloc((size_t)count + 1, sizeof *v)) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0; i < count; i++) {
		if ((r = wire_get_str(in, &v[i])) < 0) {
			util_strv_free(v);	/* v[i] and after are NULL */
			return r;
		}
	}
	v[count] = NULL;
	*out = v;
	return 0;
}

int
wire_spec_unpack(const char *buf, size_t len, struct wire_spec *out)
{
	struct wire_in in;
	uint32_t argc, envc, lo, hi;
	int r;

	memset(out, 0, sizeof *out);
	if (buf == NULL || len < WIRE_MAGIC_LEN)
		return JOBQ_EINVAL;
	if (memcmp(buf, WIRE_MAGIC, WIRE_MAGIC_LEN) != 0)
		return JOBQ_EINVAL;
	in.p = (const unsigned char *)buf + WIRE_MAGIC_LEN;
	in.left = len - WIRE_MAGIC_LEN;
	if ((r = wire_get_u32(&in, &argc)) < 0 ||
	    (r = wire_get_u32(&in, &envc)) < 0 ||
	    (r = wire_get_u32(&in, &out->out_flags)) < 0 ||
	    (r = wire_get_u32(&in, &lo)) < 0 ||
	    (r = wire_get_u32(&in, &hi)) < 0)
		return r;
	out->out_limit = (uint64_t)hi << 32 | lo;
	/* Cheap early rejection: 4 paths + argc + envc strings, 4 bytes each,
	 * and the words after them. */
	if ((uint64_t)argc + envc + 4 + WIRE_IDENT / 4 > in.left / 4)
		return JOBQ_EINVAL;
	if ((r = wire_get_str(&in, &out->cwd)) < 0 ||
	    (r = wire_get_str(&in, &out->out_dir)) < 0 ||
	    (r = wire_get_str(&in, &out->out_path)) < 0 ||
	    (r = wire_get_str(&in, &out->err_path)) < 0 ||
	    (r = wire_get_vec(&in, argc, &out->argv)) < 0 ||
	    (r = wire_get_vec(&in, envc, &out->env)) < 0 ||
	    (r = wire_get_u32(&in, &out->id_flags)) < 0 ||
	    (r = wire_get_u32(&in, &out->uid)) < 0 ||
	    (r = wire_get_u32(&in, &out->gid)) < 0 ||
	    (r = wire_get_u32(&in, &out->umask)) < 0 ||
	    (r = wire_get_limits(&in, out)) < 0)
		goto fail;
	if (out->umask > 0777 || (out->id_flags & ~(uint32_t)WIRE_ID_SET)) {
		r = JOBQ_EINVAL;
		goto fail;
	}
	if (in.left != 0) {
		r = JOBQ_EINVAL;
		goto fail;
	}
	return 0;
fail:
	wire_spec_free(out);
	return r;
}

void
wire_spec_free(struct wire_spec *spec)
{
	if (spec == NULL)
		return;
	util_strv_free(spec->argv);
	util_strv_free(spec->env);
	free(spec->cwd);
	free(spec->out_path);
	free(spec->err_path);
	free(spec->out_dir);
	memset(spec, 0, sizeof *spec);
}

void
wire_output_message(const struct wire_report *rep, char *buf, size_t len)
{
	const char *which;

	if (len == 0)
		return;
	switch (rep->flags & WIRE_END_OUTPUT) {
	case WIRE_END_OUTPUT_OUT: which = "stdout"; break;
	case WIRE_END_OUTPUT_ERR: which = "stderr"; break;
	default: which = "stdout and stderr"; break;
	}
	(void)snprintf(buf, len, "%s passed the output limit of %llu bytes: "
	    "killed, output truncated", which,
	    (unsigned long long)rep->out_limit);
}

void
wire_mq_name(char *buf, size_t len, long daemon_pid, int slot, unsigned gen)
{
	int n;

	if (len == 0)
		return;
	n = snprintf(buf, len, "/jobqd.%ld.w%d.%u", daemon_pid, slot, gen);
	if (n < 0)
		buf[0] = '\0';
}

void
wire_shm_name(char *buf, size_t len, long daemon_pid, int64_t job_id,
    unsigned attempt)
{
	int n;

	if (len == 0)
		return;
	n = snprintf(buf, len, "/jobqd.%ld.j%lld.%u", daemon_pid,
	    (long long)job_id, attempt);
	if (n < 0)
		buf[0] = '\0';
}
