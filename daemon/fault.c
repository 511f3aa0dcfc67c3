/*
 * fault.c - the fault injection points of fault.h: parsing JOBQD_FAULTS
 * (and JOBQD_FAULT_STALL for "stall") and counting hits.
 */
#include "config.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "fault.h"

struct fault_rule {
	uint64_t first;          /* the first failing hit (1-based); 0 = off */
	uint64_t count;          /* failing hits from first on; 0 = all */
};

static const char *const fault_names[FAULT_NPOINTS] = {
	"spawn", "mq_send", "report_write", "alloc", "commit", "stall"
};

static struct fault_rule fault_rules[FAULT_NPOINTS];
static atomic_uint_fast64_t fault_hits[FAULT_NPOINTS];
static atomic_int fault_enabled;
static char fault_stall_path[PATH_MAX];

const char *
fault_stall_file(void)
{
	return fault_stall_path;
}

const char *
fault_name(enum fault_point p)
{
	if ((int)p < 0 || p >= FAULT_NPOINTS)
		return "?";
	return fault_names[p];
}

/* Reads a decimal number >= 1 at *pp; 0 on success. */
static int
fault_number(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* Parses one POINT[@N][*M] of len bytes at s into the rules. */
static int
fault_parse_one(const char *s, size_t len, char *err, size_t errlen)
{
	char item[64];
	const char *p;
	size_t i, nlen;
	struct fault_rule r = { 1, 1 };

	if (len == 0 || len >= sizeof(item))
		goto bad;
	memcpy(item, s, len);
	item[len] = '\0';
	nlen = strcspn(item, "@*");
	for (i = 0; i < FAULT_NPOINTS; i++)
		if (strlen(fault_names[i]) == nlen &&
		    strncmp(item, fault_names[i], nlen) == 0)
			break;
	if (i == FAULT_NPOINTS)
		goto bad;
	p = item + nlen;
	if (*p == '@') {
		p++;
		if (fault_number(&p, &r.first) != 0)
			goto bad;
	}
	if (*p == '*') {
		p++;
		if (*p == '\0')
			r.count = 0;
		else if (fault_number(&p, &r.count) != 0)
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	fault_rules[i] = r;
	return 0;
bad:
	snprintf(err, errlen, "JOBQD_FAULTS: bad item \"%.*s\" (expected "
	    "POINT[@N][*M] with POINT one of spawn, mq_send, report_write, "
	    "alloc, commit, stall)", (int)(len > 60 ? 60 : len), s);
	return JOBQ_EINVAL;
}

/* "stall" listed: its file, from JOBQD_FAULT_STALL (absolute). */
static int
fault_stall_init(char *err, size_t errlen)
{
	const char *f = getenv("JOBQD_FAULT_STALL");

	if (f == NULL || f[0] != '/' || strlen(f) >= sizeof fault_stall_path) {
		snprintf(err, errlen, "JOBQD_FAULTS: \"stall\" needs "
		    "JOBQD_FAULT_STALL=FILE, an absolute path (the store waits "
		    "while FILE exists)%s", f == NULL ? ": it is not set" :
		    ": it is not an absolute path, or too long");
		return JOBQ_EINVAL;
	}
	memcpy(fault_stall_path, f, strlen(f) + 1);
	return 0;
}

int
fault_init(const char *spec, char *err, size_t errlen)
{
	const char *p, *comma;
	size_t i;
	int any = 0;

	for (i = 0; i < FAULT_NPOINTS; i++) {
		fault_rules[i].first = 0;
		atomic_store(&fault_hits[i], 0);
	}
	atomic_store(&fault_enabled, 0);
	fault_stall_path[0] = '\0';
	if (spec == NULL || *spec == '\0')
		return 0;
	for (p = spec; ; p = comma + 1) {
		comma = strchr(p, ',');
		if (fault_parse_one(p, comma ? (size_t)(comma - p) : strlen(p),
		    err, errlen) != 0) {
			for (i = 0; i < FAULT_NPOINTS; i++)
				fault_rules[i].first = 0;
			return JOBQ_EINVAL;
		}
		any = 1;
		if (comma == NULL)
			break;
	}
	if (fault_rules[FAULT_STALL].first != 0 &&
	    fault_stall_init(err, errlen) != 0) {
		for (i = 0; i < FAULT_NPOINTS; i++)
			fault_rules[i].first = 0;
		return JOBQ_EINVAL;
	}
	atomic_store(&fault_enabled, any);
	return 0;
}

int
fault_hit(enum fault_point p)
{
	uint64_t n;
	const struct fault_rule *r;

	if (!atomic_load_explicit(&fault_enabled, memory_order_relaxed) ||
	    (int)p < 0 || p >= FAULT_NPOINTS)
		return 0;
	r = &fault_rules[p];
	if (r->first == 0)
		return 0;
	n = atomic_fetch_add(&fault_hits[p], 1) + 1;
	if (n < r->first)
		return 0;
	return r->count == 0 || n - r->first < r->count;
}
