/*
 * cron_tz.c - the system time-zone seam of cron.h: cron_next() in the
 * process's zone (localtime_r) or in a zone of the tz database (its TZif
 * file read by cron_zone.c: no TZ variable, no tzset(), thread-safe).
 */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "cron.h"

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

int
cron_next(const struct cron_expr *ce, const char *zone, int64_t after,
	  int64_t *next)
{
	static const struct cron_tz sys = { cron_tz_to_local,
	    cron_tz_from_local, NULL };
	struct cron_tz		 tz = { cron_zone_to_local, NULL, NULL };
	struct cron_zone	*z;
	int			 rc;

	if (zone == NULL || zone[0] == '\0') {
		tzset();	/* localtime_r() alone does not look at TZ again */
		return cron_next_tz(ce, &sys, after, next);
	}
	if ((rc = cron_zone_open(zone, &z, NULL, 0)) < 0)
		return rc;
	tz.ctx = z;
	rc = cron_next_tz(ce, &tz, after, next);
	cron_zone_free(z);
	return rc;
}
