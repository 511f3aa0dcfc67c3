/*
 * check_slab.c - unit tests of slab.c: objects handed out zeroed, aligned,
 * distinct and within the slab; NULL when all are out; a released one
 * handed out again (zeroed); slab_owns() for its own objects only; and a
 * randomized run against a model (each live object filled with its own
 * pattern, checked when it is released: no two ever overlap); sealing: no
 * object after it, every page with no object out is no longer resident
 * (mincore) at the seal and as its last object is released, and objects
 * still out keep their contents.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slab.h"

#define OBJ 104		/* struct sjob's size today: not a multiple of 16 */

static int
all_zero(const unsigned char *p, size_t n)
{
	static const unsigned char zero[OBJ];

	return memcmp(p, zero, n) == 0;
}

START_TEST(test_basic)
{
	struct slab *sl = slab_new(OBJ, 3);
	unsigned char *a, *b, *c, *d, *e;
	char *m;

	ck_assert_ptr_nonnull(sl);
	ck_assert_uint_eq(slab_used(sl), 0);
	a = slab_alloc(sl);
	b = slab_alloc(sl);
	c = slab_alloc(sl);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	ck_assert(a != b && b != c && a != c);
	ck_assert_uint_eq((uintptr_t)a % 16, 0);
	ck_assert_uint_eq((uintptr_t)b % 16, 0);
	ck_assert(all_zero(a, OBJ) && all_zero(b, OBJ) && all_zero(c, OBJ));
	ck_assert_ptr_null(slab_alloc(sl));	/* all three out */
	ck_assert_uint_eq(slab_used(sl), 3);
	ck_assert(slab_owns(sl, a) && slab_owns(sl, b) && slab_owns(sl, c));
	ck_assert(!slab_owns(sl, a + 1));	/* inside, not an object */
	m = malloc(OBJ);
	ck_assert(!slab_owns(sl, m));
	free(m);
	memset(b, 0xa5, OBJ);
	slab_release(sl, b);
	ck_assert_uint_eq(slab_used(sl), 2);
	d = slab_alloc(sl);			/* b's place, zeroed again */
	ck_assert_ptr_eq(d, b);
	ck_assert(all_zero(d, OBJ));
	ck_assert_ptr_null(slab_alloc(sl));
	slab_release(sl, a);
	slab_release(sl, c);
	slab_release(sl, d);
	ck_assert_uint_eq(slab_used(sl), 0);
	e = slab_alloc(sl);
	ck_assert(e == a || e == c || e == d);
	slab_free(sl);
	slab_free(NULL);
}
END_TEST

START_TEST(test_owns_unhanded)
{
	struct slab *sl = slab_new(OBJ, 4);
	unsigned char *a;

	ck_assert_ptr_nonnull(sl);
	a = slab_alloc(sl);
	ck_assert(slab_owns(sl, a));
	/* the next object's place was never handed out: not owned */
	ck_assert(!slab_owns(sl, a + ((OBJ + 15) & ~15)));
	slab_free(sl);
}
END_TEST

START_TEST(test_bad_sizes)
{
	ck_assert_ptr_null(slab_new(0, 10));
	ck_assert_ptr_null(slab_new(OBJ, 0));
	ck_assert_ptr_null(slab_new(SIZE_MAX / 2, 4));
}
END_TEST

/* Random allocs and releases against a model. */
#define NOBJ 5000
START_TEST(test_random)
{
	static unsigned char *live[NOBJ];
	static uint32_t tag[NOBJ];
	struct slab *sl = slab_new(OBJ, NOBJ);
	unsigned char want[OBJ];
	size_t nlive = 0, k;
	uint32_t seed = 12345, t = 0;
	int step;

	ck_assert_ptr_nonnull(sl);
	for (step = 0; step < 100000; step++) {
		seed = seed * 1103515245u + 12345u;
		if (nlive < NOBJ && (nlive == 0 || (seed >> 16) % 3 != 0)) {
			unsigned char *o = slab_alloc(sl);

			ck_assert_ptr_nonnull(o);
			ck_assert(slab_owns(sl, o));
			ck_assert(all_zero(o, OBJ));
			tag[nlive] = ++t;
			memset(o, (int)(t & 0xff), OBJ);
			memcpy(o, &t, sizeof t);
			live[nlive++] = o;
		} else {
			unsigned char *o;
			uint32_t got;

			if (nlive == NOBJ)	/* all out */
				ck_assert_ptr_null(slab_alloc(sl));
			k = (seed >> 8) % nlive;
			o = live[k];
			memcpy(&got, o, sizeof got);
			ck_assert_uint_eq(got, tag[k]);
			memset(want, (int)(tag[k] & 0xff), OBJ);
			ck_assert(memcmp(o + sizeof got, want + sizeof got,
			    OBJ - sizeof got) == 0);
			slab_release(sl, o);
			live[k] = live[nlive - 1];
			tag[k] = tag[nlive - 1];
			nlive--;
		}
		if (slab_used(sl) != nlive)
			ck_abort_msg("used %zu, live %zu", slab_used(sl), nlive);
	}
	slab_free(sl);
}
END_TEST

/* Whether the page at p is resident. */
static int
resident(const void *p)
{
	unsigned char v = 0;

	ck_assert_int_eq(mincore((void *)p, 1, &v), 0);
	return v & 1;
}

/* Checks every page of the slab whose objects start at base (n objects of
 * sz bytes, sz a multiple of 16): one with no object out (out[i] == 0) is
 * not resident; an object out still holds its pattern (its index's low
 * byte). */
static void
check_pages(const unsigned char *base, size_t n, size_t sz,
    const unsigned char *out)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), npages, p, i;
	unsigned char want[OBJ];

	npages = (n * sz + pg - 1) / pg;
	for (p = 0; p < npages; p++) {
		int busy = 0;

		for (i = p * pg / sz; i < n && i * sz < (p + 1) * pg; i++)
			busy |= out[i];
		if (!busy && resident(base + p * pg))
			ck_abort_msg("page %zu: nothing out, still resident", p);
	}
	for (i = 0; i < n; i++) {
		if (!out[i])
			continue;
		memset(want, (int)(i & 0xff), OBJ);
		if (memcmp(base + i * sz, want, OBJ) != 0)
			ck_abort_msg("object %zu lost its contents", i);
	}
}

/* Sealing: fixed cases, then random releases, every page checked. */
#define NSEAL 20000
START_TEST(test_seal)
{
	static unsigned char *obj[NSEAL];
	static unsigned char out[NSEAL];
	struct slab *sl = slab_new(OBJ, NSEAL);
	size_t sz = (OBJ + 15) & ~(size_t)15, i, left, pg;
	uint32_t seed = 777;

	pg = (size_t)sysconf(_SC_PAGESIZE);
	ck_assert_ptr_nonnull(sl);
	for (i = 0; i < NSEAL - 100; i++) {	/* the last 100: never out */
		obj[i] = slab_alloc(sl);
		ck_assert_ptr_nonnull(obj[i]);
		ck_assert_ptr_eq(obj[i], obj[0] + i * sz);
		memset(obj[i], (int)(i & 0xff), OBJ);
		out[i] = 1;
	}
	ck_assert(resident(obj[0]));
	/* before the seal, released objects keep their pages (free list) */
	for (i = 0; i < 3 * pg / sz + 2; i++) {
		slab_release(sl, obj[i]);
		out[i] = 0;
	}
	ck_assert(resident(obj[0]));
	/* the seal: the first pages (all released) and the tail go */
	ck_assert_uint_ge(slab_seal(sl), 3);
	ck_assert_uint_eq(slab_seal(sl), 0);	/* once */
	ck_assert_ptr_null(slab_alloc(sl));
	ck_assert_uint_eq(slab_used(sl), NSEAL - 100 - (3 * pg / sz + 2));
	check_pages(obj[0], NSEAL, sz, out);
	/* released one by one, at random: each emptied page goes at once */
	left = slab_used(sl);
	while (left > 0) {
		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % (NSEAL - 100);
		if (!out[i])
			continue;
		slab_release(sl, obj[i]);
		out[i] = 0;
		left--;
		ck_assert_uint_eq(slab_used(sl), left);
		if (left % 997 == 0 || left < 50)
			check_pages(obj[0], NSEAL, sz, out);
	}
	check_pages(obj[0], NSEAL, sz, out);
	slab_free(sl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_owns_unhanded);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_seal);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
