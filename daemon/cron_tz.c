/*
 * cron_tz.c - the system time-zone seam of cron.h: cron_next() in the
 * process's zone (localtime_r) or in a zone of the tz database (its TZif
 * file read by cron_zone.c: no TZ variable, no tzset(), thread-safe), and
 * the cache of zones read that spares a caller iterating cron_next() a
 * file read per call.
 *
 * The cache: CRON_TZ_CACHE slots of (name, zone, users).  A zone is used
 * outside the lock (users counts who does), never changed once read, and
 * freed by the last user once it left the cache.  A slot is trusted for
 * CRON_TZ_RECHECK_S seconds; then its file is looked at again (stat: its
 * device, inode, size and mtime) and read again if it changed (a tzdata
 * update).  No I/O is done while holding the lock.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cron.h"

#define CRON_TZ_CACHE 16
#define CRON_TZ_RECHECK_S 60

struct cron_tz_slot {
	char name[256];		/* "" once out of the cache */
	struct cron_zone *z;
	unsigned users;
	int64_t checked;	/* CLOCK_MONOTONIC seconds */
	uint64_t used;		/* for LRU */
	struct stat st;		/* the file's identity when read */
};

static pthread_mutex_t cron_tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cron_tz_slot cron_tz_slots[CRON_TZ_CACHE];
static uint64_t cron_tz_tick;

static int
cron_tz_to_local(void *ctx, int64_t t, struct tm *out)
{
	time_t	tt = (time_t)t;

	(void)ctx;
	if ((int64_t)tt != t || localtime_r(&tt, out) == NULL)
		return -ERANGE;
	return 0;
}

static int
cron_tz_from_local(void *ctx, struct tm *in, int64_t *out)
{
	time_t	t;

	(void)ctx;
	in->tm_isdst = -1;
	t = mktime(in);
	if (t == (time_t)-1)
		return -ERANGE;
	*out = (int64_t)t;
	return 0;
}

static int64_t
cron_tz_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static int
cron_tz_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* With the lock held: the slot of zone, or NULL. */
static struct cron_tz_slot *
cron_tz_find(const char *zone)
{
	int	i;

	for (i = 0; i < CRON_TZ_CACHE; i++)
		if (cron_tz_slots[i].z != NULL &&
		    strcmp(cron_tz_slots[i].name, zone) == 0)
			return &cron_tz_slots[i];
	return NULL;
}

/* With the lock held: take slot s out of the cache; its zone if nobody
 * uses it (for the caller to free after unlocking). */
static struct cron_zone *
cron_tz_evict(struct cron_tz_slot *s)
{
	struct cron_zone	*z = NULL;

	s->name[0] = '\0';
	if (s->users == 0) {
		z = s->z;
		s->z = NULL;
	}
	return z;
}

/* Drop a use of the zone in slot s (NULL: an uncached zone z). */
static void
cron_tz_release(struct cron_tz_slot *s, struct cron_zone *z)
{
	if (s != NULL) {
		pthread_mutex_lock(&cron_tz_lock);
		z = NULL;
		if (--s->users == 0 && s->name[0] == '\0') {
			z = s->z;
			s->z = NULL;
		}
		pthread_mutex_unlock(&cron_tz_lock);
	}
	cron_zone_free(z);
}

/*
 * The zone named zone, in use by the caller until cron_tz_release(*slot,
 * *zp).  0, or cron_zone_open()'s error.
 */
static int
cron_tz_acquire(const char *zone, struct cron_tz_slot **slot,
		struct cron_zone **zp)
{
	struct cron_tz_slot	*s, *best;
	struct cron_zone	*z, *old = NULL, *old2 = NULL;
	struct stat		 st;
	char			 path[sizeof(CRON_ZONEINFO) + 257];
	int64_t			 now = cron_tz_now();
	int			 rc, cached, i;

	*slot = NULL;
	*zp = NULL;
	if (strlen(zone) >= sizeof(s->name))
		return cron_zone_open(zone, zp, NULL, 0);	/* its error */
	pthread_mutex_lock(&cron_tz_lock);
	if ((s = cron_tz_find(zone)) != NULL &&
	    now - s->checked < CRON_TZ_RECHECK_S) {
		s->users++;
		s->used = ++cron_tz_tick;
		*slot = s;
		*zp = s->z;
		pthread_mutex_unlock(&cron_tz_lock);
		return 0;
	}
	cached = s != NULL;
	pthread_mutex_unlock(&cron_tz_lock);

	/* due for a look at its file (the name was checked when cached) */
	snprintf(path, sizeof(path), "%s/%s", CRON_ZONEINFO, zone);
	if (cached && stat(path, &st) == 0) {
		pthread_mutex_lock(&cron_tz_lock);
		if ((s = cron_tz_find(zone)) != NULL &&
		    cron_tz_same_file(&s->st, &st)) {
			s->checked = now;
			s->users++;
			s->used = ++cron_tz_tick;
			*slot = s;
			*zp = s->z;
			pthread_mutex_unlock(&cron_tz_lock);
			return 0;
		}
		pthread_mutex_unlock(&cron_tz_lock);
	}
	/* not cached, or changed: read it (this checks the name) */
	if ((rc = cron_zone_open(zone, &z, NULL, 0)) < 0)
		return rc;
	*zp = z;
	if (stat(path, &st) < 0)
		return 0;	/* gone meanwhile: used once, not cached */

	pthread_mutex_lock(&cron_tz_lock);
	if ((s = cron_tz_find(zone)) != NULL)
		old = cron_tz_evict(s);
	best = NULL;
	for (i = 0; i < CRON_TZ_CACHE; i++) {
		s = &cron_tz_slots[i];
		if (s->z == NULL) {
			best = s;
			break;
		}
		if (s->users == 0 && (best == NULL || s->used < best->used))
			best = s;
	}
	if (best != NULL) {
		if (best->z != NULL)
			old2 = cron_tz_evict(best);
		snprintf(best->name, sizeof(best->name), "%s", zone);
		best->z = z;
		best->users = 1;
		best->checked = now;
		best->used = ++cron_tz_tick;
		best->st = st;
		*slot = best;
	}
	pthread_mutex_unlock(&cron_tz_lock);
	cron_zone_free(old);
	cron_zone_free(old2);
	return 0;
}

int
cron_next(const struct cron_expr *ce, const char *zone, int64_t after,
	  int64_t *next)
{
	static const struct cron_tz sys = { cron_tz_to_local,
	    cron_tz_from_local, NULL };
	struct cron_tz		 tz = { cron_zone_to_local, NULL, NULL };
	struct cron_tz_slot	*slot;
	struct cron_zone	*z;
	int			 rc;

	if (zone == NULL || zone[0] == '\0') {
		tzset();	/* localtime_r() alone does not look at TZ again */
		return cron_next_tz(ce, &sys, after, next);
	}
	if ((rc = cron_tz_acquire(zone, &slot, &z)) < 0)
		return rc;
	tz.ctx = z;
	rc = cron_next_tz(ce, &tz, after, next);
	cron_tz_release(slot, z);
	return rc;
}
