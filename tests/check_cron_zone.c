/*
 * check_cron_zone.c - zones of the tz database (daemon/cron_zone.c):
 * cron_zone_valid()'s checks and messages, the TZif reader against glibc's
 * localtime_r() for every zone of zone1970.tab, POSIX TZ footers against
 * glibc's parser, DST all year, and damaged files.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_cron.h"

START_TEST(test_zone_valid)
{
	static const char *const good[] = {
		"UTC", "America/New_York", "Europe/Berlin",
		"Australia/Lord_Howe", "US/Eastern", "Etc/GMT+5",
		"America/Argentina/Buenos_Aires",
	};
	static const struct {
		const char *zone;
		int rc;
		const char *msg;
	} bad[] = {
		{ "", -EINVAL, "empty time zone name" },
		{ "/etc/localtime", -EINVAL,
		  "time zone '/etc/localtime': must be a name like Europe/Berlin, not a path" },
		{ "../../etc/passwd", -EINVAL,
		  "time zone '../../etc/passwd': '.' and '..' are not allowed" },
		{ "Europe/../Europe/Berlin", -EINVAL,
		  "time zone 'Europe/../Europe/Berlin': '.' and '..' are not allowed" },
		{ "Europe/./Berlin", -EINVAL,
		  "time zone 'Europe/./Berlin': '.' and '..' are not allowed" },
		{ "Europe//Berlin", -EINVAL,
		  "time zone 'Europe//Berlin': empty part" },
		{ "Europe/", -EINVAL, "time zone 'Europe/': empty part" },
		{ "Europe/Ber lin", -EINVAL,
		  "time zone 'Europe/Ber lin': character 0x20 not allowed" },
		{ "Mars/Olympus", -ENOENT,
		  "unknown time zone 'Mars/Olympus' (no /usr/share/zoneinfo/Mars/Olympus: No such file or directory)" },
		{ "Europe", -ENOENT,
		  "unknown time zone 'Europe' (/usr/share/zoneinfo/Europe is not a regular file)" },
		{ "zone1970.tab", -ENOENT,
		  "unknown time zone 'zone1970.tab' (/usr/share/zoneinfo/zone1970.tab is not a valid TZif file)" },
	};
	char	err[256], name[300];
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(cron_zone_valid(good[i], err, sizeof(err)) == 0,
		    "%s: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(cron_zone_valid(bad[i].zone, err, sizeof(err)),
		    bad[i].rc);
		ck_assert_str_eq(err, bad[i].msg);
	}
	ck_assert_int_eq(cron_zone_valid(NULL, err, sizeof(err)), -EINVAL);
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(cron_zone_valid(name, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "time zone name longer than 255 bytes");
	ck_assert_int_eq(cron_zone_valid("Europe/Berlin", NULL, 0), 0);
}
END_TEST

/* ---- the TZif reader against glibc ---- */

/* Compare cron_zone_to_local with glibc's localtime_r (TZ=tzval) at n
 * random instants in [from, to) and at every hour of two years. */
static void
compare_zone(const struct cron_zone *z, const char *tzval, const char *name,
	     int64_t from, int64_t to, int n)
{
	struct tm	a, b;
	int64_t		t;
	time_t		tt;
	int		i;

	set_tz(tzval);
	for (i = 0; i < n + 2 * 366 * 24; i++) {
		if (i < n)
			t = from + (int64_t)(((uint64_t)random() << 31 ^
			    (uint64_t)random()) % (uint64_t)(to - from));
		else
			t = utc(2037, 1, 1, 0, 0) + (int64_t)(i - n) * 3600 + 1799;
		tt = (time_t)t;
		CHECK(localtime_r(&tt, &a) != NULL, "localtime_r");
		CHECK(cron_zone_to_local((void *)z, t, &b) == 0, "to_local");
		CHECK(a.tm_year == b.tm_year && a.tm_mon == b.tm_mon &&
		    a.tm_mday == b.tm_mday && a.tm_hour == b.tm_hour &&
		    a.tm_min == b.tm_min && a.tm_sec == b.tm_sec &&
		    a.tm_isdst == b.tm_isdst && a.tm_gmtoff == b.tm_gmtoff,
		    "%s at %lld: glibc %04d-%02d-%02d %02d:%02d:%02d off %ld "
		    "dst %d, cron_zone %04d-%02d-%02d %02d:%02d:%02d off %ld "
		    "dst %d", name, (long long)t, a.tm_year + 1900,
		    a.tm_mon + 1, a.tm_mday, a.tm_hour, a.tm_min, a.tm_sec,
		    a.tm_gmtoff, a.tm_isdst, b.tm_year + 1900, b.tm_mon + 1,
		    b.tm_mday, b.tm_hour, b.tm_min, b.tm_sec, b.tm_gmtoff,
		    b.tm_isdst);
	}
}

/* Every zone of zone1970.tab (and a few more), 1901-2200. */
START_TEST(test_zone_vs_glibc)
{
	static const char *const extra[] = {
		"UTC", "EST5EDT", "Etc/GMT-14", "Etc/GMT+12",
		"America/Nuuk", "Africa/Casablanca", "Asia/Tehran",
		"Pacific/Chatham", "Europe/Dublin", "America/Santiago",
	};
	struct cron_zone *z;
	FILE		*f;
	char		 line[512], *name, *save, tzval[600];
	int		 nzones = 0;
	size_t		 i;

	srandom(77);
	f = fopen(CRON_ZONEINFO "/zone1970.tab", "r");
	ck_assert_ptr_nonnull(f);
	for (;;) {
		if (nzones < 10000 && fgets(line, sizeof(line), f) != NULL) {
			if (line[0] == '#')
				continue;
			strtok_r(line, "\t\n", &save);
			strtok_r(NULL, "\t\n", &save);
			name = strtok_r(NULL, "\t\n", &save);
			if (name == NULL)
				continue;
		} else {
			i = (size_t)(nzones < 10000 ? 0 : nzones - 10000);
			if (i >= sizeof(extra) / sizeof(extra[0]))
				break;
			name = (char *)extra[i];
			if (nzones < 10000)
				nzones = 10000;
		}
		nzones++;
		ck_assert_msg(cron_zone_open(name, &z, line, sizeof(line)) == 0,
		    "%s: %s", name, line);
		snprintf(tzval, sizeof(tzval), ":%s/%s", CRON_ZONEINFO, name);
		compare_zone(z, tzval, name, utc(1901, 1, 1, 0, 0),
		    utc(2200, 1, 1, 0, 0), 300);
		cron_zone_free(z);
	}
	fclose(f);
	ck_assert_int_gt(nzones, 10000 + 5);
}
END_TEST

/* A TZif file with no transitions and footer `tz`. */
static size_t
synth_tzif(uint8_t *buf, size_t len, const char *tz, int32_t off)
{
	size_t	n = 0, k;
	int	block;

	ck_assert_uint_ge(len, 200 + strlen(tz));
	for (block = 0; block < 2; block++) {
		memset(buf + n, 0, 44);
		memcpy(buf + n, "TZif2", 5);
		buf[n + 39] = 1;	/* typecnt */
		buf[n + 43] = 4;	/* charcnt */
		n += 44;
		for (k = 0; k < 4; k++)
			buf[n++] = (uint8_t)((uint32_t)off >> (24 - 8 * k));
		buf[n++] = 0;
		buf[n++] = 0;
		memcpy(buf + n, "XYZ", 4);
		n += 4;
	}
	buf[n++] = '\n';
	memcpy(buf + n, tz, strlen(tz));
	n += strlen(tz);
	buf[n++] = '\n';
	return n;
}

/* The footer's POSIX TZ strings, against glibc's parser of TZ (names
 * that are no file under /usr/share/zoneinfo, which glibc would read). */
START_TEST(test_zone_footer)
{
	static const struct {
		const char *tz;
		int32_t off;
	} cases[] = {
		{ "QQQ5RRR,M3.2.0,M11.1.0", -5 * 3600 },
		{ "QQQ5RRR4,M3.2.0,M11.1.0", -5 * 3600 },
		{ "QQQ5", -5 * 3600 },
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800 },
		{ "CET-1CEST,M3.5.0,M10.5.0/3", 3600 },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", 7200 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -7200 },
		{ "XXX3YYY,J60/2,300/3", -3 * 3600 },
		{ "AAA-5:45BBB-6:45:30,M4.5.6/1:30,M9.1.1/23:59:59", 20700 },
		{ "<+13>-13", 13 * 3600 },
		{ "NZST-12NZDT,M9.5.0,M4.1.0/3", 12 * 3600 },
		{ "GMT0IST,M10.5.0,M3.5.0/1", 0 },
	};
	uint8_t			 buf[512];
	struct cron_zone	*z;
	char			 tzval[200];
	size_t			 i, n;

	srandom(78);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = synth_tzif(buf, sizeof(buf), cases[i].tz, cases[i].off);
		ck_assert_msg(cron_zone_parse(buf, n, &z) == 0, "%s",
		    cases[i].tz);
		snprintf(tzval, sizeof(tzval), "%s", cases[i].tz);
		compare_zone(z, tzval, cases[i].tz, utc(1971, 1, 1, 0, 0),
		    utc(2199, 1, 1, 0, 0), 3000);
		cron_zone_free(z);
	}
}
END_TEST

/* DST all year (RFC 8536's extension): also around new year, where glibc,
 * which takes the year in UTC, has standard time for a few hours. */
START_TEST(test_zone_all_year_dst)
{
	uint8_t			 buf[512];
	struct cron_zone	*z;
	size_t			 n;
	int64_t			 t;
	int32_t			 off;
	int			 dst;

	n = synth_tzif(buf, sizeof(buf), "QQQ5RRR,0/0,J365/25", -5 * 3600);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	/* no overflow at the ends of time (UBSan) */
	cron_zone_offset(z, INT64_MAX, &off, &dst);
	cron_zone_offset(z, INT64_MIN, &off, &dst);
	for (t = utc(2139, 1, 1, 0, 0); t < utc(2141, 1, 1, 0, 0); t += 1800) {
		cron_zone_offset(z, t, &off, &dst);
		CHECK(off == -4 * 3600 && dst == 1, "at %lld: %d %d",
		    (long long)t, off, dst);
	}
	cron_zone_free(z);
}
END_TEST

/* A version 1 file (32-bit times, no footer): before the first transition
 * the first standard-time type, after the last one the last type. */
START_TEST(test_zone_v1)
{
	static const uint8_t v1[] = {
		'T', 'Z', 'i', 'f', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0,
		0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,	/* isut, isstd, leap */
		0, 0, 0, 2,  0, 0, 0, 3,  0, 0, 0, 8,	/* time, type, char */
		0x00, 0x0f, 0x42, 0x40,			/* 1000000 */
		0x00, 0x1e, 0x84, 0x80,			/* 2000000 */
		0, 2,
		0xff, 0xff, 0xc7, 0xc0, 1, 0,		/* -14400 dst */
		0xff, 0xff, 0xb9, 0xb0, 0, 4,		/* -18000 */
		0xff, 0xff, 0xab, 0xa0, 0, 4,		/* -21600 */
		'E', 'D', 'T', 0, 'E', 'S', 'T', 0,
	};
	struct cron_zone	*z;
	int32_t			 off;
	int			 dst;
	struct tm		 tm;

	ck_assert_int_eq(cron_zone_parse(v1, sizeof(v1), &z), 0);
	cron_zone_offset(z, -5000000000LL, &off, &dst);
	ck_assert_int_eq(off, -18000);	/* the first non-DST type: 1 */
	ck_assert_int_eq(dst, 0);
	cron_zone_offset(z, 999999, &off, &dst);
	ck_assert_int_eq(off, -18000);
	cron_zone_offset(z, 1000000, &off, &dst);
	ck_assert_int_eq(off, -14400);
	ck_assert_int_eq(dst, 1);
	cron_zone_offset(z, 1999999, &off, &dst);
	ck_assert_int_eq(off, -14400);
	cron_zone_offset(z, 2000000, &off, &dst);
	ck_assert_int_eq(off, -21600);
	cron_zone_offset(z, 5000000000LL, &off, &dst);
	ck_assert_int_eq(off, -21600);
	ck_assert_int_eq(dst, 0);
	ck_assert_int_eq(cron_zone_to_local(z, INT64_MAX, &tm), -ERANGE);
	ck_assert_int_eq(cron_zone_to_local(z, INT64_MIN, &tm), -ERANGE);
	ck_assert_int_eq(cron_zone_to_local(z, 1000000, &tm), 0);
	/* 1970-01-12 13:46:40 UTC - 4 h */
	ck_assert_int_eq(tm.tm_mday, 12);
	ck_assert_int_eq(tm.tm_hour, 9);
	ck_assert_int_eq(tm.tm_min, 46);
	ck_assert_int_eq(tm.tm_isdst, 1);
	cron_zone_free(z);
}
END_TEST

/* Damaged files are refused: every prefix, bad footers, bad indices. */
START_TEST(test_zone_damaged)
{
	static const char *const bad_footers[] = {
		"ES5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0",
		"EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
		"EST5EDT,J0,J365", "EST5EDT,366,J365", "EST25",
		"EST5EDT,M3.2.0/168,M11.1.0", "<+1>-1", "<+10", "EST5EDT,M3.2.0,M11.1.0x",
		"EST5:60",
	};
	uint8_t			 buf[4096], *file;
	struct cron_zone	*z;
	size_t			 n, k, i;
	FILE			*f;

	f = fopen(CRON_ZONEINFO "/America/New_York", "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_uint_gt(n, 1000);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	cron_zone_free(z);
	/* every strict prefix (own buffers, so that ASan sees overreads) */
	for (k = 0; k < n; k++) {
		file = malloc(k + 1);
		memcpy(file, buf, k);
		CHECK(cron_zone_parse(file, k, &z) == -EINVAL && z == NULL,
		    "prefix of %zu bytes", k);
		free(file);
	}
	for (i = 0; i < sizeof(bad_footers) / sizeof(bad_footers[0]); i++) {
		n = synth_tzif(buf, sizeof(buf), bad_footers[i], 0);
		ck_assert_msg(cron_zone_parse(buf, n, &z) == -EINVAL, "%s",
		    bad_footers[i]);
		ck_assert_ptr_null(z);
	}
	/* a type index out of range, an offset out of range */
	n = synth_tzif(buf, sizeof(buf), "UTC0", 27 * 3600);
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), -EINVAL);
	n = synth_tzif(buf, sizeof(buf), "UTC0", 0);
	buf[44 + 44 + 10 + 4] = 1;	/* the 64-bit block's isdst: 1 ok */
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), 0);
	cron_zone_free(z);
	buf[44 + 44 + 10 + 4] = 2;
	ck_assert_int_eq(cron_zone_parse(buf, n, &z), -EINVAL);
	/* cron_zone_load: missing, not regular, not TZif */
	ck_assert_int_eq(cron_zone_load("/nonexistent/zone", &z), -ENOENT);
	ck_assert_int_eq(cron_zone_load(CRON_ZONEINFO, &z), -EISDIR);
	ck_assert_int_eq(cron_zone_load(CRON_ZONEINFO "/zone1970.tab", &z),
	    -EBADMSG);
	ck_assert_ptr_null(z);
}
END_TEST

TCase *
check_cron_zone(void)
{
	TCase	*tc = tcase_create("zone");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_zone_valid);
	tcase_add_test(tc, test_zone_vs_glibc);
	tcase_add_test(tc, test_zone_footer);
	tcase_add_test(tc, test_zone_all_year_dst);
	tcase_add_test(tc, test_zone_v1);
	tcase_add_test(tc, test_zone_damaged);
	return tc;
}
