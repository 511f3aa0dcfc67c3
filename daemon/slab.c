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
 *
 * Once the owner has made all it will (dispatch: the start-up load) it
 * seals the slab: nothing more is handed out, the free list is dropped,
 * and from then on every page none of whose objects is out goes back to
 * the system (madvise MADV_DONTNEED; the mapping stays, so an object
 * still out keeps its address).  So a backlog that drains gives its
 * memory back page by page, and a few jobs that stay for good hold a
 * few pages, not the whole mapping.  Each page counts the objects out
 * that overlap it (an object may straddle two).
 *
 *   slab_new --> OPEN (alloc, release: free list) --slab_seal--> SEALED
 *                (release only: a page whose count drops to 0 is given
 *                back) --slab_free--> gone
 *
 * Not thread-safe: one owner (dispatch: the loop thread).
 */
#include "config.h"

#include <sys/mman.h>


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slab.h"

/* Broken invariants only (a release of what was not out); stays on in
 * release builds. */
#define SLAB_ASSERT(x) do {						\
	if (!(x))							\
		abort();						\
} while (0)

struct slab {
	char *base;
	size_t maplen;
	size_t size;            /* an object, rounded up to 16 bytes */
	size_t n;               /* objects the mapping holds */
	size_t next;            /* objects base[0 .. next) were handed out */
	size_t used;            /* objects out now */
	void *free;             /* released objects, a list (OPEN only) */
	size_t pg;              /* the page size */
	uint16_t *out;          /* per page: objects out that overlap it */
	int sealed;
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
	pg = (size_t)sysconf(_SC_PAGESIZE);
	if (pg < 4096 || (pg & (pg - 1)) != 0 || pg / 16 + 2 > UINT16_MAX)
		pg = 4096;
	if ((sl = calloc(1, sizeof *sl)) == NULL)
		return NULL;
	sl->pg = pg;
	sl->maplen = (size * n + pg - 1) & ~(pg - 1);
	if ((sl->out = calloc(sl->maplen / pg, sizeof *sl->out)) == NULL) {
		free(sl);
		return NULL;
	}
	p = mmap(NULL, sl->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		free(sl->out);
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

/* The first and last pages object o overlaps. */
static void
slab_pages(const struct slab *sl, const void *o, size_t *first, size_t *last)
{
	size_t off = (size_t)((const char *)o - sl->base);

	*first = off / sl->pg;
	*last = (off + sl->size - 1) / sl->pg;
}

/* Gives pages [a, b) back to the system (their contents are dropped:
 * they read as zeros if touched again). */
static void
slab_drop(struct slab *sl, size_t a, size_t b)
{
	if (a < b)
		(void)madvise(sl->base + a * sl->pg, (b - a) * sl->pg,
		    MADV_DONTNEED);	/* advice: memory, not correctness */
}

void *
slab_alloc(struct slab *sl)
{
	size_t first, last, p;
	void *o;

	if (sl->sealed)
		return NULL;
	if (sl->free != NULL) {
		o = sl->free;
		memcpy(&sl->free, o, sizeof sl->free);
		memset(o, 0, sl->size);
	} else if (sl->next < sl->n)	/* fresh: zero already */
		o = sl->base + sl->next++ * sl->size;
	else
		return NULL;
	sl->used++;
	slab_pages(sl, o, &first, &last);
	for (p = first; p <= last; p++) {
		SLAB_ASSERT(sl->out[p] < UINT16_MAX);
		sl->out[p]++;
	}
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
	size_t first, last, p;

	SLAB_ASSERT(sl->used > 0);
	slab_pages(sl, o, &first, &last);
	for (p = first; p <= last; p++) {
		SLAB_ASSERT(sl->out[p] > 0);
		if (--sl->out[p] == 0 && sl->sealed)
			slab_drop(sl, p, p + 1);
	}
	sl->used--;
	if (!sl->sealed) {
		memcpy(o, &sl->free, sizeof sl->free);
		sl->free = o;
	}
}

size_t
slab_seal(struct slab *sl)
{
	size_t p, run, npages = sl->maplen / sl->pg, dropped = 0;

	if (sl->sealed)
		return 0;
	sl->sealed = 1;
	sl->free = NULL;
	/* every page with nothing out, in runs (pages past the last object
	 * handed out were never touched: dropping them costs nothing) */
	for (p = 0; p < npages; p = run) {
		if (sl->out[p] != 0) {
			run = p + 1;
			continue;
		}
		for (run = p; run < npages && sl->out[run] == 0; run++)
			;
		slab_drop(sl, p, run);
		dropped += run - p;
	}
	return dropped;
}

size_t
slab_used(const struct slab *sl)
{
	return sl->used;
}

void *
slab_span(const struct slab *sl, size_t *len)
{
	*len = sl->maplen;
	return sl->base;
}

void
slab_free(struct slab *sl)
{
	if (sl == NULL)
		return;
	(void)munmap(sl->base, sl->maplen);
	free(sl->out);
	free(sl);
}
