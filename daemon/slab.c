/*
 * slab.c - many objects of one size in one anonymous mapping, for a
 * number of them known at once (jobqd's start with a large backlog:
 * dispatch_start.c).  One mmap instead of a malloc each: no per-object
 * header, and the mapping is advised to transparent huge pages, so that a
 * million objects cost a few hundred page faults instead of tens of
 * thousands (a fault is several microseconds on a VM).
 *
 * Pages are touched as objects are handed out (the mapping is lazy).  A
 * released object goes on a free list, linked through its first bytes,
 * and is handed out again first; slab_used() says how many are out, so
 * the owner can slab_free() the whole mapping once the last one is back.
 * Not thread-safe: one owner (dispatch: the loop thread).
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slab.h"

struct slab {
	char *base;
	size_t maplen;
	size_t size;            /* an object, rounded up to 16 bytes */
	size_t n;               /* objects the mapping holds */
	size_t next;            /* objects base[0 .. next) were handed out */
	size_t used;            /* objects out now */
	void *free;             /* released objects, a list */
};

struct slab *
slab_new(size_t objsize, size_t n)
{
	struct slab *sl;
	size_t size, pg;
	void *p;

	if (objsize == 0 || n == 0)
		return NULL;
	size = (objsize + 15) & ~(size_t)15;
	if (size < objsize || n > (SIZE_MAX - 4096) / size)
		return NULL;
	if ((sl = calloc(1, sizeof *sl)) == NULL)
		return NULL;
	pg = 4096;
	sl->maplen = (size * n + pg - 1) & ~(pg - 1);
	p = mmap(NULL, sl->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(sl);
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	(void)madvise(p, sl->maplen, MADV_HUGEPAGE);	/* advice only */
#endif
	sl->base = p;
	sl->size = size;
	sl->n = n;
	return sl;
}

void *
slab_alloc(struct slab *sl)
{
	void *o;

	if (sl->free != NULL) {
		o = sl->free;
		memcpy(&sl->free, o, sizeof sl->free);
		memset(o, 0, sl->size);
	} else if (sl->next < sl->n)	/* fresh: zero already */
		o = sl->base + sl->next++ * sl->size;
	else
		return NULL;
	sl->used++;
	return o;
}

int
slab_owns(const struct slab *sl, const void *o)
{
	uintptr_t a = (uintptr_t)o, b = (uintptr_t)sl->base;

	return a >= b && a < b + sl->next * sl->size &&
	    (a - b) % sl->size == 0;
}

void
slab_release(struct slab *sl, void *o)
{
	memcpy(o, &sl->free, sizeof sl->free);
	sl->free = o;
	sl->used--;
}

size_t
slab_used(const struct slab *sl)
{
	return sl->used;
}

void
slab_free(struct slab *sl)
{
	if (sl == NULL)
		return;
	(void)munmap(sl->base, sl->maplen);
	free(sl);
}
