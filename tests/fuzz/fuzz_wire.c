/*
 * fuzz_wire.c - libFuzzer target for daemon/wire.c's spec decoder, which a
 * worker runs on bytes taken from a message queue or a shared memory object.
 *
 * wire_spec_unpack on the input; when it succeeds, wire_spec_pack_out of the
 * result must unpack to the same spec field by field, and, since the format
 * has exactly one encoding of a spec, must reproduce the input bytes.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "wire.h"
#include "fuzz.h"

static size_t
fuzz_vlen(char *const *v)
{
	size_t	n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void
fuzz_same_vec(char *const *a, char *const *b)
{
	size_t	i, n;

	FUZZ_CHECK(a != NULL && b != NULL);
	n = fuzz_vlen(a);
	FUZZ_CHECK(fuzz_vlen(b) == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(a[i], b[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_spec	 s, s2;
	struct wire_output	 o;
	char			*buf;
	size_t			 len;
	int			 r;

	r = wire_spec_unpack((const char *)data, size, &s);
	if (r != 0) {
		FUZZ_CHECK(r == JOBQ_EINVAL || r == JOBQ_ENOMEM);
		FUZZ_CHECK(s.argv == NULL && s.env == NULL && s.cwd == NULL &&
		    s.out_path == NULL && s.err_path == NULL);
		wire_spec_free(&s);
		return 0;
	}
	FUZZ_CHECK(s.argv != NULL && s.env != NULL && s.cwd != NULL &&
	    s.out_path != NULL && s.err_path != NULL && s.out_dir != NULL);

	o.dir = s.out_dir;
	o.flags = s.out_flags;
	o.limit = s.out_limit;
	o.id_flags = s.id_flags;
	o.uid = s.uid;
	o.gid = s.gid;
	o.umask = s.umask;
	o.limits = &s.limits;
	o.rl_base = s.rl_base;
	o.nrl_base = s.nrl_base;
	FUZZ_CHECK(wire_spec_pack_out((const char *const *)s.argv,
	    (const char *const *)s.env, s.cwd, s.out_path, s.err_path, &o,
	    &buf, &len) == 0);
	FUZZ_CHECK(len == size && memcmp(buf, data, size) == 0);
	FUZZ_CHECK(wire_spec_unpack(buf, len, &s2) == 0);
	FUZZ_CHECK(strcmp(s.cwd, s2.cwd) == 0);
	FUZZ_CHECK(strcmp(s.out_path, s2.out_path) == 0);
	FUZZ_CHECK(strcmp(s.err_path, s2.err_path) == 0);
	FUZZ_CHECK(strcmp(s.out_dir, s2.out_dir) == 0);
	FUZZ_CHECK(s.out_flags == s2.out_flags && s.out_limit == s2.out_limit);
	FUZZ_CHECK(memcmp(&s.limits, &s2.limits, sizeof(s.limits)) == 0);
	FUZZ_CHECK(s.nrl_base == s2.nrl_base && memcmp(s.rl_base, s2.rl_base,
	    sizeof(s.rl_base)) == 0);
	fuzz_same_vec(s.argv, s2.argv);
	fuzz_same_vec(s.env, s2.env);
	free(buf);
	wire_spec_free(&s2);
	wire_spec_free(&s);
	return 0;
}
