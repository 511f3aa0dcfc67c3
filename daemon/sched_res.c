/*
 * sched_res.c - slots and named resources (sched.h draws the policy): the
 * pool of worker slots and resource instances, parsing a daemon's
 * --resource specs and a job's request, the fit check against what is free
 * minus what better-ranked waiting jobs reserve, assignment of the lowest
 * free instances, release, and the strings a job gets (res_given, its
 * environment).  Pure code like sched.c: no I/O, no clock.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sched_int.h"

static int
sched_res_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-EINVAL);
}

void
sched_res_pool_init(struct sched_res_pool *p, int slots)
{
	memset(p, 0, sizeof(*p));
	p->slots_total = slots > 0 ? slots : 1;
}

static int
sched_res_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SCHED_RES_NAME_MAX || !isalpha((unsigned char)s[0]))
		return (0);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return (0);
	return (1);
}

static int
sched_res_inst_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SCHED_RES_NAME_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_-.:", s[i]) ==
		    NULL)
			return (0);
	return (1);
}

/* A decimal count in s[0..n-1] (digits only), or -1. */
static long
sched_res_count(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

int
sched_res_pool_add(struct sched_res_pool *p, const char *spec, char *err,
    size_t errlen)
{
	struct sched_res_def *d;
	const char *eq, *v, *c;
	size_t nlen, k, i;
	long count;

	if (spec == NULL || (eq = strchr(spec, '=')) == NULL)
		return (sched_res_err(err, errlen, "resource \"%s\": expected "
		    "NAME=COUNT or NAME=a,b,c", spec != NULL ? spec : ""));
	nlen = (size_t)(eq - spec);
	if (!sched_res_name_ok(spec, nlen))
		return (sched_res_err(err, errlen, "resource \"%s\": the name "
		    "must be a letter then letters, digits or '_', at most %d "
		    "bytes", spec, SCHED_RES_NAME_MAX));
	for (k = 0; k < p->nres; k++)
		if (strlen(p->res[k].name) == nlen &&
		    strncasecmp(p->res[k].name, spec, nlen) == 0)
			return (sched_res_err(err, errlen, "resource \"%.*s\" "
			    "is configured twice", (int)nlen, spec));
	if (p->nres >= SCHED_RES_MAX)
		return (sched_res_err(err, errlen, "resource \"%.*s\": too many "
		    "resources (at most %d)", (int)nlen, spec, SCHED_RES_MAX));
	d = &p->res[p->nres];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, spec, nlen);
	v = eq + 1;
	if (strchr(v, ',') == NULL && (count = sched_res_count(v,
	    strlen(v))) >= 0) {
		if (count == 0)
			return (sched_res_err(err, errlen, "resource \"%s\": a "
			    "count of 0", d->name));
		if (count > SCHED_RES_MAX_INST)
			return (sched_res_err(err, errlen, "resource \"%s\": "
			    "too many instances (%ld; at most %d)", d->name,
			    count, SCHED_RES_MAX_INST));
		for (i = 0; i < (size_t)count; i++)
			(void)snprintf(d->inst[i], sizeof(d->inst[i]), "%zu",
			    i);
		d->ninst = (size_t)count;
		p->nres++;
		return (0);
	}
	for (;;) {
		c = strchr(v, ',');
		nlen = c != NULL ? (size_t)(c - v) : strlen(v);
		if (!sched_res_inst_ok(v, nlen))
			return (sched_res_err(err, errlen, "resource \"%s\": "
			    "instance \"%.*s\": 1 to %d letters, digits, '_', "
			    "'-', '.' or ':'", d->name, (int)nlen, v,
			    SCHED_RES_NAME_MAX));
		if (d->ninst >= SCHED_RES_MAX_INST)
			return (sched_res_err(err, errlen, "resource \"%s\": "
			    "too many instances (at most %d)", d->name,
			    SCHED_RES_MAX_INST));
		for (i = 0; i < d->ninst; i++)
			if (strlen(d->inst[i]) == nlen &&
			    memcmp(d->inst[i], v, nlen) == 0)
				return (sched_res_err(err, errlen, "resource "
				    "\"%s\": instance \"%.*s\" twice", d->name,
				    (int)nlen, v));
		memcpy(d->inst[d->ninst++], v, nlen);
		if (c == NULL)
			break;
		v = c + 1;
	}
	p->nres++;
	return (0);
}

int
sched_res_find(const struct sched_res_pool *p, const char *name)
{
	size_t k;

	for (k = 0; k < p->nres; k++)
		if (strcmp(p->res[k].name, name) == 0)
			return ((int)k);
	return (-1);
}

unsigned
sched_res_used(const struct sched_res_pool *p, size_t k)
{
	return ((unsigned)__builtin_popcountll(p->res[k].busy));
}

int
sched_res_req_parse(const struct sched_res_pool *p, int slots,
    const char *res, struct sched_res_req *r, char *err, size_t errlen)
{
	char name[SCHED_RES_NAME_MAX + 1];
	const char *v = res, *eq, *c;
	size_t nlen;
	long count;
	int k;

	memset(r, 0, sizeof(*r));
	if (slots < 0)
		return (sched_res_err(err, errlen, "slots must be at least 1"));
	r->slots = slots == 0 ? 1 : slots;
	if (r->slots > p->slots_total)
		return (sched_res_err(err, errlen, "%d slots asked, but jobqd "
		    "has %d worker slots", r->slots, p->slots_total));
	if (res == NULL || *res == '\0')
		return (0);
	for (;;) {
		c = strchr(v, ',');
		nlen = c != NULL ? (size_t)(c - v) : strlen(v);
		eq = memchr(v, '=', nlen);
		if (eq == NULL || !sched_res_name_ok(v, (size_t)(eq - v)))
			return (sched_res_err(err, errlen, "resources \"%s\": "
			    "expected NAME=COUNT[,NAME=COUNT...]", res));
		memcpy(name, v, (size_t)(eq - v));
		name[eq - v] = '\0';
		if ((k = sched_res_find(p, name)) < 0)
			return (sched_res_err(err, errlen, "unknown resource "
			    "\"%s\"%s", name, p->nres > 0 ? "" :
			    " (jobqd has no resources configured)"));
		count = sched_res_count(eq + 1, nlen - (size_t)(eq - v) - 1);
		if (count <= 0)
			return (sched_res_err(err, errlen, "resource \"%s\": "
			    "the count must be a number from 1", name));
		if (r->n[k] != 0)
			return (sched_res_err(err, errlen, "resource \"%s\" "
			    "asked twice", name));
		if ((size_t)count > p->res[k].ninst)
			return (sched_res_err(err, errlen, "resource \"%s\": "
			    "%ld asked, but jobqd has %zu", name, count,
			    p->res[k].ninst));
		r->n[k] = (unsigned)count;
		if (c == NULL)
			break;
		v = c + 1;
	}
	return (0);
}

int
sched_res_req_edit(const struct sched_res_pool *p,
    const struct sched_res_req *old, int slots, int set_res, const char *res,
    struct sched_res_req *r, char *err, size_t errlen)
{
	int rv;

	if (slots == 0)
		slots = old != NULL ? old->slots : 1;
	if ((rv = sched_res_req_parse(p, slots, set_res ? res : NULL, r, err,
	    errlen)) != 0)
		return (rv);
	if (!set_res && old != NULL)
		memcpy(r->n, old->n, sizeof(r->n));
	return (0);
}

int
sched_res_possible(const struct sched_res_pool *p,
    const struct sched_res_req *r)
{
	size_t k;

	if (r->slots > p->slots_total)
		return (0);
	for (k = 0; k < SCHED_RES_MAX; k++)
		if (r->n[k] > (k < p->nres ? p->res[k].ninst : 0))
			return (0);
	return (1);
}

int
sched_res_fits(const struct sched_res_pool *p, const struct sched_res_req *r)
{
	const struct sched_res_def *d;
	size_t k;
	long free, cap = p->slots_total;
	int plain = r->slots == 1;

	for (k = 0; k < p->nres; k++)
		plain = plain && r->n[k] == 0;
	if (plain && p->slots_ahead > 0)
		cap += p->slots_ahead;
	if ((long)p->slots_used + p->resv_slots + r->slots > cap)
		return (0);
	for (k = 0; k < p->nres; k++) {
		d = &p->res[k];
		if (r->n[k] == 0)
			continue;
		free = (long)d->ninst - (long)sched_res_used(p, k) -
		    (long)d->resv;
		if ((long)r->n[k] > free)
			return (0);
	}
	return (sched_res_possible(p, r));
}

void
sched_res_assign(struct sched_res_pool *p, struct sched_res_req *r)
{
	struct sched_res_def *d;
	unsigned want;
	size_t k, i;

	SCHED_ASSERT(!r->holding);
	p->slots_used += r->slots;
	for (k = 0; k < p->nres; k++) {
		d = &p->res[k];
		r->given[k] = 0;
		for (i = 0, want = r->n[k]; i < d->ninst && want > 0; i++)
			if (!(d->busy & (1ULL << i))) {
				r->given[k] |= 1ULL << i;
				want--;
			}
		SCHED_ASSERT(want == 0);
		d->busy |= r->given[k];
	}
	r->holding = 1;
}

void
sched_res_release(struct sched_res_pool *p, struct sched_res_req *r)
{
	size_t k;

	if (!r->holding)
		return;
	SCHED_ASSERT(p->slots_used >= r->slots);
	p->slots_used -= r->slots;
	for (k = 0; k < p->nres; k++) {
		SCHED_ASSERT((p->res[k].busy & r->given[k]) == r->given[k]);
		p->res[k].busy &= ~r->given[k];
		r->given[k] = 0;
	}
	r->holding = 0;
}

void
sched_res_resv_clear(struct sched_res_pool *p)
{
	size_t k;

	p->resv_slots = 0;
	for (k = 0; k < p->nres; k++)
		p->res[k].resv = 0;
}

void
sched_res_resv_add(struct sched_res_pool *p, const struct sched_res_req *r)
{
	size_t k;

	if (!sched_res_possible(p, r))
		return;
	p->resv_slots += r->slots;
	for (k = 0; k < p->nres; k++)
		p->res[k].resv += r->n[k];
}

/* Resource k's instances in mask, "a,b", appended at buf + *off. */
static void
sched_res_list(const struct sched_res_def *d, uint64_t mask, char *buf,
    size_t len, size_t *off)
{
	size_t i;
	int first = 1, w;

	for (i = 0; i < d->ninst; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		w = snprintf(*off < len ? buf + *off : NULL, *off < len ?
		    len - *off : 0, "%s%s", first ? "" : ",", d->inst[i]);
		*off += (size_t)w;
		first = 0;
	}
}

size_t
sched_res_given_str(const struct sched_res_pool *p,
    const struct sched_res_req *r, char *buf, size_t len)
{
	size_t k, off = 0;
	int w;

	if (len > 0)
		buf[0] = '\0';
	for (k = 0; k < p->nres; k++) {
		if (r->given[k] == 0)
			continue;
		w = snprintf(off < len ? buf + off : NULL, off < len ?
		    len - off : 0, "%s%s=", off > 0 ? ";" : "",
		    p->res[k].name);
		off += (size_t)w;
		sched_res_list(&p->res[k], r->given[k], buf, len, &off);
	}
	return (off);
}

/* "PREFIXlist" for resource k, malloc'd. */
static char *
sched_res_env_one(const struct sched_res_def *d, uint64_t mask,
    const char *prefix, int upper)
{
	size_t off = 0, n, i;
	char *s;

	sched_res_list(d, mask, NULL, 0, &off);
	n = strlen(prefix) + (upper ? strlen(d->name) + 1 : 0) + off + 1;
	if ((s = malloc(n)) == NULL)
		return (NULL);
	if (upper) {
		(void)snprintf(s, n, "%s%s=", prefix, d->name);
		for (i = strlen(prefix); s[i] != '='; i++)
			s[i] = (char)toupper((unsigned char)s[i]);
	} else
		(void)snprintf(s, n, "%s", prefix);
	off = strlen(s);
	sched_res_list(d, mask, s, n, &off);
	return (s);
}

char **
sched_res_env(const struct sched_res_pool *p, const struct sched_res_req *r)
{
	char **v;
	size_t k, n = 0;

	if ((v = calloc(2 * p->nres + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (k = 0; k < p->nres; k++) {
		if (r->given[k] == 0)
			continue;
		if ((v[n++] = sched_res_env_one(&p->res[k], r->given[k],
		    "JOBQ_RES_", 1)) == NULL)
			goto fail;
		if (strcmp(p->res[k].name, "gpu") == 0 &&
		    (v[n++] = sched_res_env_one(&p->res[k], r->given[k],
		    "CUDA_VISIBLE_DEVICES=", 0)) == NULL)
			goto fail;
	}
	return (v);
fail:
	for (k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return (NULL);
}

/* ---- the scheduler's side (sched_int.h) ---- */

void
sched_res_attach(struct sched *s, struct sched_res_pool *p)
{
	s->res = p;
}

int
sched_res_node_fits(struct sched *s, const struct sched_node *n)
{
	struct sched_res_req one, *r = sched_link_res(n);

	if (s->res == NULL)
		return (1);
	if (r != NULL)
		return (sched_res_fits(s->res, r));
	memset(&one, 0, sizeof(one));
	one.slots = 1;
	return (sched_res_fits(s->res, &one));
}

void
sched_res_node_wait(struct sched *s, const struct sched_node *n)
{
	struct sched_res_req one, *r = sched_link_res(n);

	if (s->res == NULL)
		return;
	if (r != NULL) {
		sched_res_resv_add(s->res, r);
		return;
	}
	memset(&one, 0, sizeof(one));
	one.slots = 1;
	sched_res_resv_add(s->res, &one);
}

void
sched_res_node_take(struct sched *s, struct sched_node *n)
{
	struct sched_res_req *r = sched_link_res(n);

	n->res_skip = n->queue->external;
	if (s->res == NULL || n->res_skip)
		return;
	if (r != NULL)
		sched_res_assign(s->res, r);
	else
		s->res->slots_used++;
}

void
sched_res_node_give(struct sched *s, struct sched_node *n)
{
	struct sched_res_req *r = sched_link_res(n);

	if (n->res_skip) {
		n->res_skip = 0;
		return;
	}
	if (s->res == NULL)
		return;
	if (r != NULL)
		sched_res_release(s->res, r);
	else {
		SCHED_ASSERT(s->res->slots_used > 0);
		s->res->slots_used--;
	}
}
