/*
 * slab.h - many objects of one size in one mapping (slab.c).
 *
 *   slab_new(size, n)   room for n objects of size bytes (the mapping is
 *                       lazy: pages count once touched); NULL if it cannot
 *                       be had (the caller allocates otherwise)
 *   slab_alloc(sl)      a zeroed object, or NULL when all n are out (or
 *                       once sealed)
 *   slab_owns(sl, o)    1 if o is one of sl's objects
 *   slab_release(sl, o) o (sl's, out) goes back
 *   slab_seal(sl)       no more objects from now on: every page with no
 *                       object out goes back to the system, now and as
 *                       the last object on a page is released; returns
 *                       the pages given back now
 *   slab_used(sl)       objects out now
 *   slab_span(sl, &len) where the mapping is, and its length (for logs)
 *   slab_free(sl)       the mapping goes, whatever is still out (NULL: no-op)
 *
 * One thread at a time.
 */
#ifndef JOBQD_SLAB_H
#define JOBQD_SLAB_H

#include <stddef.h>

struct slab;

struct slab *slab_new(size_t objsize, size_t n);
void *slab_alloc(struct slab *sl);
int slab_owns(const struct slab *sl, const void *o);
void slab_release(struct slab *sl, void *o);
size_t slab_seal(struct slab *sl);
size_t slab_used(const struct slab *sl);
void *slab_span(const struct slab *sl, size_t *len);
void slab_free(struct slab *sl);

#endif
