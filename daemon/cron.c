/*
 * cron.c - cron expressions (cron.h): the parser, the canonical formatter
 * and the next-fire algorithm.  Pure code: no clock, no I/O; local time
 * only through the struct cron_tz seam.
 *
 * Next fire: a matching wall-clock time W is found by walking the fields
 * hierarchically (year, month, day, hour, minute), each time jumping to the
 * next set bit, so that a call costs a few steps per candidate day.  W's
 * fire instant is then found through the seam (cron_fire): the first
 * instant whose wall-clock time is W, or, when W does not exist (a gap),
 * the first instant after the gap.  That instant does not decrease as W
 * grows, so the first W after `after`'s own wall-clock minute whose instant
 * is later than `after` gives the answer.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cron.h"

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_N };

static const struct cron_field {
	const char *name;
	int lo, hi;		/* the values a number may take */
	int size;		/* the largest step */
} fields[F_N] = {
	{ "minute", 0, 59, 60 },
	{ "hour", 0, 23, 24 },
	{ "day-of-month", 1, 31, 31 },
	{ "month", 1, 12, 12 },
	{ "day-of-week", 0, 7, 7 },
};

static const char *const month_names[12] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};
static const char *const dow_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static const struct {
	const char *name;
	const char *expr;
} nicknames[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int
cron_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- parsing ---- */

/* c for a message: 'c', or byte 0xNN when it is not printable. */
static const char *
cron_chr(char c, char *buf, size_t n)
{
	if (isprint((unsigned char)c) && c != '\'')
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", (unsigned char)c);
	return buf;
}

/* Are the n bytes at s printable (to be quoted in a message)? */
static int
cron_printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A field's text, not NUL-terminated. */
struct cron_tok {
	const char *s;
	size_t n;
};

static int
cron_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One value at *p (a number, or a name where the field has names) ending
 * before `end`; *p is moved past it.  0 or -EINVAL.
 */
static int
cron_value(int f, const char **p, const char *end, int *out, char *err,
	   size_t errlen)
{
	const char	*s = *p, *q = s;
	long		 v = 0;
	int		 i;
	char		 cb[16];

	if (q < end && isdigit((unsigned char)*q)) {
		while (q < end && isdigit((unsigned char)*q)) {
			if (v <= 1000000)
				v = v * 10 + (*q - '0');
			q++;
		}
		if (v < fields[f].lo || v > fields[f].hi)
			return cron_err(err, errlen, "%s: %.*s out of range %d-%d",
			    fields[f].name, (int)(q - s > 24 ? 24 : q - s), s,
			    fields[f].lo, fields[f].hi);
		*out = (int)v;
		*p = q;
		return 0;
	}
	while (q < end && isalpha((unsigned char)*q))
		q++;
	if (q == s) {
		if (s == end || *s == ',')
			return cron_err(err, errlen, "%s: a number is missing",
			    fields[f].name);
		return cron_err(err, errlen, "%s: unexpected %s",
		    fields[f].name, cron_chr(*s, cb, sizeof(cb)));
	}
	if (f == F_MON || f == F_DOW) {
		const char *const *names = f == F_MON ? month_names : dow_names;
		int n = f == F_MON ? 12 : 7;

		for (i = 0; i < n && q - s == 3; i++)
			if (strncasecmp(s, names[i], 3) == 0) {
				*out = f == F_MON ? i + 1 : i;
				*p = q;
				return 0;
			}
		return cron_err(err, errlen, "%s: unknown name '%.*s' (%s)",
		    fields[f].name, (int)(q - s > 24 ? 24 : q - s), s,
		    f == F_MON ? "jan..dec" : "sun..sat");
	}
	return cron_err(err, errlen, "%s: '%.*s' is not a number",
	    fields[f].name, (int)(q - s > 24 ? 24 : q - s), s);
}

/* A step after '/' at *p.  0 or -EINVAL. */
static int
cron_step(int f, const char **p, const char *end, int *out, char *err,
	  size_t errlen)
{
	const char	*s = *p, *q = s;
	long		 v = 0;

	while (q < end && isdigit((unsigned char)*q)) {
		if (v <= 1000000)
			v = v * 10 + (*q - '0');
		q++;
	}
	if (q == s)
		return cron_err(err, errlen, "%s: a step is missing after '/'",
		    fields[f].name);
	if (v == 0)
		return cron_err(err, errlen, "%s: step 0", fields[f].name);
	if (v > fields[f].size)
		return cron_err(err, errlen, "%s: step %.*s out of range 1-%d",
		    fields[f].name, (int)(q - s > 24 ? 24 : q - s), s,
		    fields[f].size);
	*out = (int)v;
	*p = q;
	return 0;
}

/* One list item [s, end) of field f, OR-ed into *bits. */
static int
cron_item(int f, const char *s, const char *end, uint64_t *bits, char *err,
	  size_t errlen)
{
	const char	*p = s;
	int		 a = 0, b = 0, step = 1, v, rc;
	char		 cb[16];

	if (p == end)
		return cron_err(err, errlen, "%s: empty item in list",
		    fields[f].name);
	if (*p == '*') {
		a = fields[f].lo;
		b = fields[f].hi;
		p++;
		if (p < end && *p != '/')
			return cron_err(err, errlen, "%s: unexpected %s after '*'",
			    fields[f].name, cron_chr(*p, cb, sizeof(cb)));
	} else {
		if ((rc = cron_value(f, &p, end, &a, err, errlen)) < 0)
			return rc;
		b = a;
		if (p < end && *p == '-') {
			p++;
			if ((rc = cron_value(f, &p, end, &b, err, errlen)) < 0)
				return rc;
			if (b < a)
				return cron_err(err, errlen,
				    "%s: range %d-%d goes backwards (wrap-around ranges are not supported)",
				    fields[f].name, a, b);
		} else if (p < end && *p == '/') {
			b = fields[f].hi;	/* N/S = N-max/S */
		}
	}
	if (p < end && *p == '/') {
		p++;
		if ((rc = cron_step(f, &p, end, &step, err, errlen)) < 0)
			return rc;
	}
	if (p < end && cron_printable(s, (size_t)(end - s)))
		return cron_err(err, errlen, "%s: unexpected %s in '%.*s'",
		    fields[f].name, cron_chr(*p, cb, sizeof(cb)),
		    (int)(end - s > 40 ? 40 : end - s), s);
	if (p < end)
		return cron_err(err, errlen, "%s: unexpected %s",
		    fields[f].name, cron_chr(*p, cb, sizeof(cb)));
	for (v = a; v <= b; v += step)
		*bits |= (uint64_t)1 << (f == F_DOW && v == 7 ? 0 : v);
	return 0;
}

/* Field f's text: its bits and whether it starts with '*'. */
static int
cron_field(int f, struct cron_tok t, uint64_t *bits, int *star, char *err,
	   size_t errlen)
{
	const char	*p = t.s, *end = t.s + t.n, *c;
	int		 rc;

	*bits = 0;
	*star = t.n > 0 && t.s[0] == '*';
	for (;;) {
		c = memchr(p, ',', (size_t)(end - p));
		if ((rc = cron_item(f, p, c != NULL ? c : end, bits, err,
		    errlen)) < 0)
			return rc;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

int
cron_parse(struct cron_expr *out, const char *text, char *err, size_t errlen)
{
	struct cron_tok	 tok[F_N];
	const char	*p = text, *s;
	uint64_t	 bits[F_N];
	int		 star[F_N], n = 0, f, rc;
	size_t		 i, len;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		return cron_err(err, errlen, "no cron expression");
	len = strnlen(text, CRON_MAX_TEXT + 1);
	if (len > CRON_MAX_TEXT)
		return cron_err(err, errlen,
		    "cron expression longer than %d bytes", CRON_MAX_TEXT);
	while (cron_is_blank(*p))
		p++;
	if (*p == '@') {
		s = p;
		while (*p != '\0' && !cron_is_blank(*p))
			p++;
		len = (size_t)(p - s);
		while (cron_is_blank(*p))
			p++;
		if (*p != '\0')
			return cron_err(err, errlen, "unexpected text after %.*s",
			    cron_printable(s, len) ? (int)(len > 24 ? 24 : len) : 1,
			    s);
		if (len == 7 && strncasecmp(s, "@reboot", 7) == 0)
			return cron_err(err, errlen,
			    "@reboot is not a schedule: use --at-start");
		for (i = 0; i < sizeof(nicknames) / sizeof(nicknames[0]); i++)
			if (strlen(nicknames[i].name) == len &&
			    strncasecmp(s, nicknames[i].name, len) == 0)
				return cron_parse(out, nicknames[i].expr, err,
				    errlen);
		return cron_err(err, errlen,
		    "unknown nickname '%.*s' (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
		    cron_printable(s, len) ? (int)(len > 24 ? 24 : len) : 1, s);
	}
	while (*p != '\0') {
		s = p;
		while (*p != '\0' && !cron_is_blank(*p))
			p++;
		if (n < F_N)
			tok[n] = (struct cron_tok){ s, (size_t)(p - s) };
		n++;
		while (cron_is_blank(*p))
			p++;
	}
	if (n != F_N)
		return cron_err(err, errlen,
		    "expected 5 fields (minute hour day-of-month month day-of-week), got %d",
		    n);
	for (f = 0; f < F_N; f++)
		if ((rc = cron_field(f, tok[f], &bits[f], &star[f], err,
		    errlen)) < 0)
			return rc;
	memset(out, 0, sizeof(*out));
	out->minute = bits[F_MIN];
	out->hour = (uint32_t)bits[F_HOUR];
	out->dom = (uint32_t)bits[F_DOM];
	out->month = (uint16_t)bits[F_MON];
	out->dow = (uint8_t)bits[F_DOW];
	out->dom_star = star[F_DOM] != 0;
	out->dow_star = star[F_DOW] != 0;
	return 0;
}

/* ---- formatting ---- */

struct cron_buf {
	char *s;
	size_t len, n;	/* capacity, length so far (may exceed len) */
};

static void
cron_put(struct cron_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;
	size_t	room = b->n < b->len ? b->len - b->n : 0;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? b->s + b->n : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->n += (size_t)n;
}

static int
cron_bit(uint64_t bits, int v)
{
	return (int)(bits >> v & 1);
}

/* The bits of "*\/step" in field f (day-of-week: over 0-6). */
static uint64_t
cron_prog(int f, int step)
{
	int		lo = fields[f].lo, hi = f == F_DOW ? 6 : fields[f].hi, v;
	uint64_t	prog = 0;

	for (v = lo; v <= hi; v += step)
		prog |= (uint64_t)1 << v;
	return prog;
}

/*
 * Field f's bits.  star: 1 = the field must start with '*' (day-of-month,
 * day-of-week: dom_star, dow_star), 0 = it must not, -1 = either (the
 * other fields: then '*' or '*\/S' only when that is exactly the bits and
 * three values or more).
 */
static void
cron_format_field(struct cron_buf *b, int f, uint64_t bits, int star)
{
	int	lo = fields[f].lo, hi = f == F_DOW ? 6 : fields[f].hi;
	int	size = hi - lo + 1, step = 0, s, v, w, first = 1;
	uint64_t prog = 0, rest;

	/* with star -1, only a step giving three values or more */
	for (s = 1; s <= (star < 0 ? (size - 1) / 2 : size) && star != 0 &&
	    step == 0; s++) {
		prog = cron_prog(f, s);
		if (star < 0 ? prog == bits : (prog & bits) == prog)
			step = s;
	}
	if (star > 0 && step == 0) {	/* no '*' item gives these bits */
		step = size;
		prog = (uint64_t)1 << lo;
	}
	if (step == 0)
		prog = 0;
	else {
		cron_put(b, step == 1 ? "*" : "*/%d", step);
		first = 0;
	}
	rest = bits & ~prog;
	for (v = lo; v <= hi; v++) {
		if (!cron_bit(rest, v))
			continue;
		for (w = v; w < hi && cron_bit(rest, w + 1); w++)
			;
		cron_put(b, first ? "%d" : ",%d", v);
		if (w > v)
			cron_put(b, "-%d", w);
		first = 0;
		v = w;
	}
}

int
cron_format(const struct cron_expr *ce, char *buf, size_t len)
{
	struct cron_buf	b = { buf, len, 0 };
	uint64_t	bits[F_N] = { ce->minute, ce->hour, ce->dom, ce->month,
			    ce->dow };
	int		star[F_N] = { -1, -1, ce->dom_star, -1, ce->dow_star };
	int		f;

	if (len > 0)
		buf[0] = '\0';
	bits[F_MIN] &= ((uint64_t)1 << 60) - 1;
	bits[F_HOUR] &= ((uint64_t)1 << 24) - 1;
	bits[F_DOM] &= 0xfffffffeu;
	bits[F_MON] &= 0x1ffe;
	bits[F_DOW] &= 0x7f;
	for (f = 0; f < F_N; f++)
		if (bits[f] == 0)
			return -EINVAL;
	for (f = 0; f < F_N; f++) {
		if (f > 0)
			cron_put(&b, " ");
		cron_format_field(&b, f, bits[f], star[f]);
	}
	if (b.n >= len)
		return -ENOSPC;
	return (int)b.n;
}

/* ---- calendar arithmetic (proleptic Gregorian) ---- */

int64_t
cron_days(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
cron_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
cron_mdays(int64_t y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m < 1 || m > 12)
		return 0;	/* not reached: callers keep m in 1-12 */
	return m == 2 && cron_leap(y) ? 29 : n[m - 1];
}

/* A wall-clock minute. */
struct cron_wall {
	int64_t y;
	int m, d, h, mi;
};

/* The wall-clock time as seconds, as if it were UTC. */
static int64_t
cron_wall_secs(const struct cron_wall *w)
{
	return cron_days(w->y, w->m, w->d) * 86400 + w->h * 3600 + w->mi * 60;
}

/* The lowest set bit of bits at or above v, or -1. */
static int
cron_next_bit(uint64_t bits, int v, int hi)
{
	for (; v <= hi; v++)
		if (bits >> v & 1)
			return v;
	return -1;
}

static int
cron_day_ok(const struct cron_expr *ce, int64_t y, int m, int d)
{
	int64_t	days = cron_days(y, m, d);
	int	wd = (int)((days % 7 + 7 + 4) % 7);	/* 1970-01-01: Thursday */
	int	dom_ok = (int)(ce->dom >> d & 1), dow_ok = ce->dow >> wd & 1;

	if (!ce->dom_star && !ce->dow_star)
		return dom_ok || dow_ok;
	return dom_ok && dow_ok;
}

/*
 * *w := the first matching wall-clock minute at or after *w (normalized),
 * in a year up to last_y.  0, or -ERANGE if there is none.
 */
static int
cron_match_wall(const struct cron_expr *ce, struct cron_wall *w,
		int64_t last_y)
{
	int	v;

	for (;;) {
		if (w->y > last_y)
			return -ERANGE;
		v = cron_next_bit(ce->month, w->m, 12);
		if (v < 0) {
			w->y++;
			w->m = 1;
			w->d = 1;
			w->h = w->mi = 0;
			continue;
		}
		if (v != w->m) {
			w->m = v;
			w->d = 1;
			w->h = w->mi = 0;
		}
		if (w->d > cron_mdays(w->y, w->m)) {
			w->m++;
			w->d = 1;
			w->h = w->mi = 0;
			if (w->m > 12) {
				w->y++;
				w->m = 1;
			}
			continue;
		}
		if (!cron_day_ok(ce, w->y, w->m, w->d)) {
			w->d++;
			w->h = w->mi = 0;
			continue;
		}
		v = cron_next_bit(ce->hour, w->h, 23);
		if (v < 0) {
			w->d++;
			w->h = w->mi = 0;
			continue;
		}
		if (v != w->h) {
			w->h = v;
			w->mi = 0;
		}
		v = cron_next_bit(ce->minute, w->mi, 59);
		if (v < 0) {
			w->h++;
			w->mi = 0;
			if (w->h > 23) {
				w->d++;
				w->h = 0;
			}
			continue;
		}
		w->mi = v;
		return 0;
	}
}

/* *w := *w + 1 minute, normalized. */
static void
cron_wall_inc(struct cron_wall *w)
{
	if (++w->mi < 60)
		return;
	w->mi = 0;
	if (++w->h < 24)
		return;
	w->h = 0;
	if (++w->d <= cron_mdays(w->y, w->m))
		return;
	w->d = 1;
	if (++w->m <= 12)
		return;
	w->m = 1;
	w->y++;
}

/* ---- through the seam ---- */

/* The wall-clock time of instant t, as seconds as if UTC, in *ws. */
static int
cron_local(const struct cron_tz *tz, int64_t t, int64_t *ws, struct tm *tmp)
{
	struct tm	tm;
	int		rc;

	memset(&tm, 0, sizeof(tm));
	if ((rc = tz->to_local(tz->ctx, t, &tm)) < 0)
		return rc;
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
	    tm.tm_sec > 60)
		return -EINVAL;
	*ws = cron_days((int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec;
	if (tmp != NULL)
		*tmp = tm;
	return 0;
}

/*
 * The fire instant of wall-clock minute w (as seconds g): the first instant
 * whose wall-clock time is g, else (g is in a gap) the first instant after
 * the gap, rounded up to a whole minute.
 */
static int
cron_fire(const struct cron_tz *tz, const struct cron_wall *w, int64_t *out)
{
	int64_t	g = cron_wall_secs(w), probe[4], ws, t, best = 0;
	int64_t	lo = 0, hi = 0, mid;
	int	np = 0, i, rc, found = 0, have_lo = 0, have_hi = 0;

	probe[np++] = g - 86400;
	probe[np++] = g;
	probe[np++] = g + 86400;
	if (tz->from_local != NULL) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)(w->y - 1900);
		tm.tm_mon = w->m - 1;
		tm.tm_mday = w->d;
		tm.tm_hour = w->h;
		tm.tm_min = w->mi;
		tm.tm_isdst = -1;
		if (tz->from_local(tz->ctx, &tm, &t) == 0)
			probe[np++] = t;
	}
	/* each probe's offset o is a candidate: g - o is w if its offset is o */
	for (i = 0; i < np; i++) {
		if ((rc = cron_local(tz, probe[i], &ws, NULL)) < 0)
			return rc;
		t = g - (ws - probe[i]);
		if ((rc = cron_local(tz, t, &ws, NULL)) < 0)
			return rc;
		if (ws == g) {
			if (!found || t < best)
				best = t;
			found = 1;
		} else if (ws < g) {
			if (!have_lo || t > lo)
				lo = t;
			have_lo = 1;
		} else {
			if (!have_hi || t < hi)
				hi = t;
			have_hi = 1;
		}
	}
	if (found) {
		*out = best;
		return 0;
	}
	/* a gap: the first instant in (lo, hi] whose wall-clock time is
	 * past g */
	if (!have_lo || !have_hi || lo >= hi)
		return -EINVAL;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if ((rc = cron_local(tz, mid, &ws, NULL)) < 0)
			return rc;
		if (ws > g)
			hi = mid;
		else
			lo = mid;
	}
	*out = hi % 60 == 0 ? hi : hi + (60 - ((hi % 60) + 60) % 60);
	return 0;
}

int
cron_next_tz(const struct cron_expr *ce, const struct cron_tz *tz,
	     int64_t after, int64_t *next)
{
	struct cron_wall w;
	struct tm	 tm;
	int64_t		 ws, t, last_y;
	int		 rc, guard;

	if (after < -2208988800LL - 86400 || after > 221845392000LL)
		return -ERANGE;	/* outside 1900-9000 */
	if ((rc = cron_local(tz, after, &ws, &tm)) < 0)
		return rc;
	w = (struct cron_wall){ (int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min };
	if (w.y < 1900 || w.y > 9000)
		return -ERANGE;
	last_y = w.y + CRON_HORIZON_YEARS;
	/* each later wall-clock minute's instant is later than `after`
	 * unless it is in the repeated hour of a fold (or a gap) around it,
	 * hence the guard: a day of such minutes */
	for (guard = 0; guard < 1440; guard++) {
		cron_wall_inc(&w);
		if ((rc = cron_match_wall(ce, &w, last_y)) < 0)
			return rc;
		if ((rc = cron_fire(tz, &w, &t)) < 0)
			return rc;
		if (t > after) {
			*next = t;
			return 0;
		}
	}
	return -EINVAL;
}
