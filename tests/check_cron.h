/*
 * check_cron.h - what the parts of tests/check_cron share: helpers (UTC
 * times, seams over gmtime_r and the process's zone, parse and next-fire
 * assertions) and the test cases of check_cron_dst.c and check_cron_zone.c.
 */
#ifndef CHECK_CRON_H
#define CHECK_CRON_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "cron.h"

/* For checks inside big loops: a passing ck_assert costs a message to the
 * parent process, this costs nothing. */
#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/* y-m-d h:mi UTC as seconds since the epoch. */
int64_t utc(int y, int m, int d, int h, int mi);
char *fmt_utc(int64_t t, char *buf, size_t n);
/* calls of the seams' to_local (tz_utc, tz_sys) */
extern long seam_calls;
extern const struct cron_tz tz_utc;	/* gmtime_r, timegm */
extern const struct cron_tz tz_sys;	/* localtime_r, mktime (TZ) */
extern const struct cron_tz tz_sys_nofrom;	/* without from_local */
/* setenv("TZ", zone) and tzset() */
void set_tz(const char *zone);
struct cron_expr parse_ok(const char *text);
int64_t next_of(const char *text, const struct cron_tz *tz, int64_t after);
void expect_next(const char *text, const struct cron_tz *tz, int64_t after,
		 int64_t want);

TCase *check_cron_dst(void);
TCase *check_cron_random(void);
TCase *check_cron_zone(void);

#endif
