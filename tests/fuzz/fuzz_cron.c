/*
 * fuzz_cron.c - libFuzzer target for daemon/cron.c: cron_parse() on
 * arbitrary bytes, the cron_format() round trip, and cron_next_tz() on what
 * parses, through a UTC seam and through a synthetic zone with a DST-like
 * hour jump twice a week.
 *
 * The input is the text, NUL-terminated; its first 8 bytes (when there
 * are that many) also pick `after` (years 1970-2200).
 *
 * Invariants (abort on violation): a refused text gets -EINVAL and a
 * non-empty, NUL-terminated message, also in a tiny buffer; an accepted
 * one has bits only in each field's range, at least one in each, and its
 * lowest value in a field that starts with '*'; its canonical text parses
 * back to the same expression and formats to the same text.  In UTC: the
 * next fire is later than `after`, on a whole minute, matches, and no
 * minute before it matches when it is within two days; -ERANGE only when
 * no day within the horizon matches.  In the synthetic zone: 0 or -ERANGE,
 * a later instant on a whole minute, and asking again from just before it
 * gives it again.
 *
 * An input that starts with "TZif" is also read as a zone file
 * (cron_zone_parse, daemon/cron_zone.c): what it accepts gives offsets
 * within +-26 hours, and cron_next_tz() through it returns 0 with a later
 * instant, -ERANGE or -EINVAL (a zone breaking the algorithm's
 * assumptions), never anything else.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "fuzz.h"

static int
utc_to_local(void *ctx, int64_t t, struct tm *out)
{
	time_t	tt = (time_t)t;

	(void)ctx;
	return gmtime_r(&tt, out) != NULL ? 0 : -ERANGE;
}

static int
utc_from_local(void *ctx, struct tm *in, int64_t *out)
{
	(void)ctx;
	*out = (int64_t)timegm(in);
	return 0;
}

/* A zone one hour ahead from 02:00 on day 1 to 01:00 on day 4 of each
 * week (of the epoch): a gap and a fold twice a week. */
#define WEEK (7 * 86400LL)
static int64_t
fake_off(int64_t t)
{
	int64_t	w = ((t % WEEK) + WEEK) % WEEK;

	return w >= 86400 + 2 * 3600 && w < 3 * 86400 + 3600 ? 3600 : 0;
}

static int
fake_to_local(void *ctx, int64_t t, struct tm *out)
{
	time_t	tt = (time_t)(t + fake_off(t));

	(void)ctx;
	return gmtime_r(&tt, out) != NULL ? 0 : -ERANGE;
}

static const struct cron_tz tz_utc = { utc_to_local, utc_from_local, NULL };
static const struct cron_tz tz_fake = { fake_to_local, NULL, NULL };

static int
day_ok(const struct cron_expr *ce, const struct tm *tm)
{
	int	dom_ok = (int)(ce->dom >> tm->tm_mday & 1);
	int	dow_ok = ce->dow >> tm->tm_wday & 1;

	if (!ce->dom_star && !ce->dow_star)
		return dom_ok || dow_ok;
	return dom_ok && dow_ok;
}

static int
matches(const struct cron_expr *ce, int64_t t)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	return tm.tm_sec == 0 && (ce->minute >> tm.tm_min & 1) &&
	    (ce->hour >> tm.tm_hour & 1) &&
	    (ce->month >> (tm.tm_mon + 1) & 1) && day_ok(ce, &tm);
}

static void
check_expr(const struct cron_expr *ce)
{
	FUZZ_CHECK(ce->minute != 0 && ce->minute >> 60 == 0);
	FUZZ_CHECK(ce->hour != 0 && ce->hour >> 24 == 0);
	FUZZ_CHECK((ce->dom & ~0xfffffffeu) == 0 && ce->dom != 0);
	FUZZ_CHECK((ce->month & ~0x1ffe) == 0 && ce->month != 0);
	FUZZ_CHECK((ce->dow & ~0x7f) == 0 && ce->dow != 0);
	FUZZ_CHECK(!ce->dom_star || (ce->dom & 2));
	FUZZ_CHECK(!ce->dow_star || (ce->dow & 1));
}

static void
check_utc(const struct cron_expr *ce, int64_t after)
{
	int64_t	t = 0, u, again;
	int	rc;

	rc = cron_next_tz(ce, &tz_utc, after, &t);
	FUZZ_CHECK(rc == 0 || rc == -ERANGE);
	if (rc == -ERANGE) {
		/* no day in the horizon matches (its first day aside) */
		for (u = after + 86400; u < after + (int64_t)
		    CRON_HORIZON_YEARS * 365 * 86400; u += 86400) {
			time_t		tt = (time_t)u;
			struct tm	tm;

			gmtime_r(&tt, &tm);
			FUZZ_CHECK(!((ce->month >> (tm.tm_mon + 1) & 1) &&
			    day_ok(ce, &tm)));
		}
		return;
	}
	FUZZ_CHECK(t > after && t % 60 == 0);
	FUZZ_CHECK(matches(ce, t));
	if (t - after <= 2 * 86400)
		for (u = after - ((after % 60) + 60) % 60 + 60; u < t; u += 60)
			FUZZ_CHECK(!matches(ce, u));
	FUZZ_CHECK(cron_next_tz(ce, &tz_utc, t - 1, &again) == 0 &&
	    again == t);
}

static void
check_fake(const struct cron_expr *ce, int64_t after)
{
	int64_t	t = 0, again;
	int	rc;

	rc = cron_next_tz(ce, &tz_fake, after, &t);
	FUZZ_CHECK(rc == 0 || rc == -ERANGE);
	if (rc != 0)
		return;
	FUZZ_CHECK(t > after && t % 60 == 0);
	FUZZ_CHECK(cron_next_tz(ce, &tz_fake, t - 1, &again) == 0 &&
	    again == t);
}

static void
check_zone(const uint8_t *data, size_t size, int64_t after)
{
	static const char *const exprs[] = {
		"* * * * *", "30 2 * * *", "*/15 1-3 * * *", "0 0 29 2 *",
	};
	struct cron_zone *z;
	struct cron_expr ce;
	struct cron_tz	 tz = { cron_zone_to_local, NULL, NULL };
	int64_t		 t, next;
	int32_t		 off;
	size_t		 i;
	int		 rc, dst;

	rc = cron_zone_parse(data, size, &z);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		FUZZ_CHECK(z == NULL);
		return;
	}
	for (t = after - 86400 * 400LL; t < after + 86400 * 400LL;
	    t += 86400 * 7 + 3607) {
		FUZZ_CHECK(cron_zone_offset(z, t, &off, &dst) == 0);
		FUZZ_CHECK(off >= -26 * 3600 && off <= 26 * 3600);
	}
	tz.ctx = z;
	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		FUZZ_CHECK(cron_parse(&ce, exprs[i], NULL, 0) == 0);
		rc = cron_next_tz(&ce, &tz, after, &next);
		FUZZ_CHECK(rc == 0 || rc == -ERANGE || rc == -EINVAL);
		FUZZ_CHECK(rc != 0 || next > after);
	}
	cron_zone_free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cron_expr ce, back;
	char		 text[CRON_MAX_TEXT + 64], err[256], tiny[4];
	char		 canon[CRON_FORMAT_MAX], canon2[CRON_FORMAT_MAX];
	uint64_t	 seed = 0;
	int64_t		 after;
	size_t		 i, n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	int		 rc, len;

	if (size >= 4 && memcmp(data, "TZif", 4) == 0) {
		check_zone(data, size, 1790000000 + (int64_t)(size * 7919 %
		    (50LL * 365 * 86400)));
		return 0;
	}
	memcpy(text, data, n);
	text[n] = '\0';
	for (i = 0; i < 8 && i < size; i++)
		seed = seed << 8 | data[i];
	after = (int64_t)(seed % (230ULL * 365 * 86400));

	memset(err, 'x', sizeof(err));
	rc = cron_parse(&ce, text, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -EINVAL);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL &&
		    err[0] != '\0');
		memset(tiny, 'x', sizeof(tiny));
		FUZZ_CHECK(cron_parse(&back, text, tiny, sizeof(tiny)) ==
		    -EINVAL && memchr(tiny, '\0', sizeof(tiny)) != NULL);
		return 0;
	}
	check_expr(&ce);
	len = cron_format(&ce, canon, sizeof(canon));
	FUZZ_CHECK(len > 0 && (size_t)len == strlen(canon));
	FUZZ_CHECK(cron_parse(&back, canon, err, sizeof(err)) == 0);
	FUZZ_CHECK(memcmp(&back, &ce, sizeof(ce)) == 0);
	FUZZ_CHECK(cron_format(&back, canon2, sizeof(canon2)) == len &&
	    strcmp(canon, canon2) == 0);
	check_utc(&ce, after);
	check_fake(&ce, after);
	return 0;
}
