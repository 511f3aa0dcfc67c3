/*
 * cron.h - cron expressions for recurring schedules: the parser, the
 * canonical formatter and the next-fire algorithm (cron.c, pure: no clock,
 * no I/O; every conversion between an instant and a local wall-clock time
 * goes through the time-zone seam struct cron_tz), the system time-zone
 * seam (cron_tz.c: cron_next) and zones of the tz database read from their
 * TZif files (cron_zone.c).
 *
 * GRAMMAR (Vixie cron / cronie): five fields separated by spaces or tabs,
 *     MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK
 * ranges 0-59, 0-23, 1-31, 1-12, 0-7 (0 and 7 are Sunday).  Each field is
 * a comma list of items: `*`, `N`, `N-M`, `*\/S`, `N-M/S` and `N/S` (= N to
 * the field's maximum, step S, as cronie; in the day-of-week field the
 * maximum is 7, so `1/2` is Mon,Wed,Fri,Sun).  Months may be written
 * jan..dec and weekdays sun..sat (three letters, any case) wherever a number
 * goes.  Refused, each with a message naming the field: ranges that go
 * backwards (5-2: no wrap-around), step 0 or a step above the field's size,
 * empty list items, numbers with trailing garbage, values out of range
 * (also huge numbers), more or fewer than five fields.  Nicknames (any
 * case): @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *",
 * @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
 * @hourly = "0 * * * *"; @reboot is refused (use --at-start).
 *
 * DAY RULE (Vixie): when both the day-of-month and the day-of-week field are
 * restricted (neither starts with `*`), a day matches when EITHER matches
 * ("0 0 1 * mon": the 1st and every Monday); otherwise both must match
 * (so "0 0 *\/2 * mon" is odd days that are Mondays).
 *
 * DST RULES (quoted by jobqd(8)):
 *  - schedules are evaluated in the wall-clock time of their zone;
 *  - spring forward: a matching wall-clock time that does not exist (it is
 *    inside the gap) fires once, at the first instant after the gap: 02:30
 *    on a day that jumps from 02:00 to 03:00 fires at 03:00 local time.
 *    Several matching times inside one gap, and a match at the gap's end
 *    (03:00), give ONE fire; so a daily 02:30 job runs exactly once that day;
 *  - fall back: a wall-clock time that occurs twice fires once, at its
 *    FIRST occurrence; so a daily 01:30 job runs exactly once, and
 *    "*\/15 * * * *" does not fire during the repeated hour's second pass;
 *  - leap days: "0 0 29 2 *" fires only on February 29 (the next one may be
 *    up to 8 years away: 2096, then 2104).
 * The algorithm assumes what holds for every zone of the tz database since
 * 1900: offsets within +-24 hours, and at most one offset change within a
 * day of any instant (plus the change it is looking at).
 */
#ifndef JOBQD_CRON_H
#define JOBQD_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The furthest cron_next_tz() looks: beyond it, -ERANGE. */
#define CRON_HORIZON_YEARS 8
/* The longest text cron_parse() accepts (bytes, without the NUL). */
#define CRON_MAX_TEXT 1024
/* A buffer this large always holds cron_format()'s text. */
#define CRON_FORMAT_MAX 512

struct cron_expr {
	uint64_t minute;	/* bit N: minute N, 0-59 */
	uint32_t hour;		/* bit N: hour N, 0-23 */
	uint32_t dom;		/* bit N: day of month N, 1-31 */
	uint16_t month;		/* bit N: month N, 1-12 */
	uint8_t dow;		/* bit N: weekday N, 0-6, 0 = Sunday */
	unsigned dom_star:1;	/* the day-of-month field starts with '*' */
	unsigned dow_star:1;	/* the day-of-week field starts with '*' */
};

/* Parse `text` into *out.  0, or -EINVAL with a message in err (at most
 * errlen bytes, NUL-terminated; err may be NULL when errlen is 0) naming the
 * field and what is wrong, e.g. "hour: 24 out of range 0-23". */
int cron_parse(struct cron_expr *out, const char *text, char *err,
	       size_t errlen);

/* The canonical text of *ce (numbers only, runs as ranges, `*` or `*\/S`
 * first in a field that starts with '*'): parsing it gives back *ce when
 * *ce is what cron_parse() makes (a field flagged dom_star or dow_star
 * holds its lowest value; else that value is added).
 * Returns its length, or -ENOSPC (buf then holds a truncated,
 * NUL-terminated text) when len is too small; CRON_FORMAT_MAX always
 * suffices.  -EINVAL if *ce has no bit in some field. */
int cron_format(const struct cron_expr *ce, char *buf, size_t len);

/*
 * The time-zone seam.  to_local: like localtime_r(): the wall-clock time of
 * instant t (seconds since the epoch) in the zone; 0 or a negative errno.
 * from_local: like mktime(): an instant whose wall-clock time is *in
 * (tm_isdst -1; *in may be changed); 0 or a negative errno.  from_local may
 * resolve a wall-clock time that occurs twice or never either way, or may
 * be NULL: cron_next_tz() uses it only as a first guess and checks
 * everything with to_local.  Only tm_year, tm_mon, tm_mday, tm_hour, tm_min
 * and tm_sec of to_local's result are read.
 */
struct cron_tz {
	int (*to_local)(void *ctx, int64_t t, struct tm *out);
	int (*from_local)(void *ctx, struct tm *in, int64_t *out);
	void *ctx;
};

/* The first fire time of *ce strictly after `after` (seconds since the
 * epoch), following the DST rules above, in *next: a whole minute of the
 * zone's wall clock (a whole UTC minute in every zone's current offsets).
 * 0; -ERANGE if there is none within CRON_HORIZON_YEARS years of `after`'s
 * local year (e.g. "0 0 30 2 *") or `after` is outside years 1900-9000;
 * a seam's error as it returned it; -EINVAL if the seam contradicts itself
 * or breaks the assumptions above.  Pure: no clock, no I/O. */
int cron_next_tz(const struct cron_expr *ce, const struct cron_tz *tz,
		 int64_t after, int64_t *next);

/*
 * cron_next_tz() in a zone of the system's database (cron_tz.c): zone NULL
 * or "" is the process's local zone (TZ, else /etc/localtime; through
 * localtime_r() and mktime()); else an IANA name, opened with
 * cron_zone_open() (its error is returned) and read by cron_zone.c's own
 * TZif reader, so that no TZ variable is switched: cron_next() is
 * thread-safe.  Zones read are cached (16 of them); a cached zone's file is
 * looked at again (stat) once a minute at most and read again when it
 * changed, so a tzdata update is seen within a minute.
 */
int cron_next(const struct cron_expr *ce, const char *zone, int64_t after,
	      int64_t *next);

/* ---- zones of the tz database (cron_zone.c) ---- */

#define CRON_ZONEINFO "/usr/share/zoneinfo"

/* A zone read from a TZif file (RFC 8536); opaque. */
struct cron_zone;

/* 0 if zone names a time zone file under CRON_ZONEINFO: only letters,
 * digits and . _ - + in parts separated by single '/', no part "." or
 * "..", no leading '/', at most 255 bytes, and the file must be a regular
 * file holding a valid TZif zone (magic "TZif", every count and index in
 * bounds, a valid POSIX TZ footer).  Else -EINVAL (a malformed name) or
 * -ENOENT (no such zone), with a message in err. */
int cron_zone_valid(const char *zone, char *err, size_t errlen);

/* cron_zone_valid() that keeps the zone in *out (cron_zone_free() it);
 * also -ENOMEM.  *out is NULL on error. */
int cron_zone_open(const char *zone, struct cron_zone **out, char *err,
		   size_t errlen);

/* The TZif file at path: 0, -errno of open(), -EISDIR (not a regular
 * file), -EBADMSG (not a valid TZif file), -ENOMEM. */
int cron_zone_load(const char *path, struct cron_zone **out);

/* A zone from the bytes of a TZif file (pure): 0, -EINVAL, -ENOMEM. */
int cron_zone_parse(const void *buf, size_t len, struct cron_zone **out);

void cron_zone_free(struct cron_zone *z);

/* The offset east of UTC (seconds) and DST flag of zone z at instant t. */
int cron_zone_offset(const struct cron_zone *z, int64_t t, int32_t *off,
		     int *isdst);

/* A cron_tz to_local with ctx a struct cron_zone *: like localtime_r()
 * (tm_zone is NULL); -ERANGE for an instant out of range. */
int cron_zone_to_local(void *ctx, int64_t t, struct tm *out);

/* Calendar arithmetic (proleptic Gregorian), shared by cron.c and
 * cron_zone.c: days from 1970-01-01 to y-m-d (m 1-12; H. Hinnant's
 * days_from_civil), and whether y is a leap year. */
int64_t cron_days(int64_t y, int m, int d);
int cron_leap(int64_t y);

#endif
