/*
 * cron_zone.c - time zones of the tz database: their names
 * (cron_zone_valid, cron_zone_open), and a zone read from its TZif file
 * (RFC 8536, versions 1 to 4) into memory, and the conversion of an instant
 * to the zone's wall-clock time with it: the thread-safe to_local of
 * cron_next() (cron_tz.c), with no TZ variable and no tzset().
 *
 * cron_zone_parse() is pure (bytes in, zone out: every count and index
 * checked against the buffer); cron_zone_load() reads the file.  Times
 * after the last transition follow the file's footer, a POSIX TZ string
 * ("EST5EDT,M3.2.0,M11.1.0", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"; the
 * RFC 8536 extensions: rule times -167..167 hours, and DST all year).
 * Times before the first transition use the first standard-time type (as
 * glibc does).  Leap-second records are ignored: time_t on Linux counts no
 * leap seconds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cron.h"

#define CRON_ZONE_MAX_FILE (1 << 20)
#define CRON_ZONE_MAX_TIMES 100000
#define CRON_ZONE_MAX_OFF (26 * 3600)

struct cron_zone_type {
	int32_t utoff;		/* seconds east of UTC */
	int isdst;
};

/* A POSIX TZ rule: when DST starts or ends in a year. */
struct cron_zone_rule {
	char kind;		/* 'J' (Jn), 'N' (n), 'M' (Mm.w.d) */
	int a, b, c;		/* n; or m, w, d */
	int32_t time;		/* seconds after local midnight */
};

struct cron_zone {
	size_t ntrans;
	int64_t *trans;		/* ascending */
	uint8_t *idx;		/* the type from trans[i] on */
	size_t ntypes;
	struct cron_zone_type *types;
	size_t first;		/* the type before trans[0] */
	int footer;		/* a TZ string follows the last transition */
	int footer_dst;		/* ... with DST rules */
	int32_t std_off, dst_off;
	struct cron_zone_rule start, end;
};

/* ---- reading bytes ---- */

struct cron_zone_rd {
	const uint8_t *p;
	size_t n;
};

static int
cron_zone_take(struct cron_zone_rd *r, size_t n, const uint8_t **out)
{
	if (r->n < n)
		return -EINVAL;
	*out = r->p;
	r->p += n;
	r->n -= n;
	return 0;
}

static uint32_t
cron_zone_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
cron_zone_be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)cron_zone_be32(p) << 32 |
	    cron_zone_be32(p + 4));
}

struct cron_zone_hdr {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int
cron_zone_header(struct cron_zone_rd *r, struct cron_zone_hdr *h)
{
	const uint8_t	*p;

	if (cron_zone_take(r, 44, &p) < 0 || memcmp(p, "TZif", 4) != 0)
		return -EINVAL;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	if (h->version < 1 || h->version > 9)
		return -EINVAL;
	h->isutcnt = cron_zone_be32(p + 20);
	h->isstdcnt = cron_zone_be32(p + 24);
	h->leapcnt = cron_zone_be32(p + 28);
	h->timecnt = cron_zone_be32(p + 32);
	h->typecnt = cron_zone_be32(p + 36);
	h->charcnt = cron_zone_be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > 256 ||
	    h->timecnt > CRON_ZONE_MAX_TIMES || h->charcnt > 65536 ||
	    h->leapcnt > 65536 || (h->isutcnt != 0 &&
	    h->isutcnt != h->typecnt) || (h->isstdcnt != 0 &&
	    h->isstdcnt != h->typecnt))
		return -EINVAL;
	return 0;
}

/* The data block after header h, times of tsize (4 or 8) bytes. */
static int
cron_zone_data(struct cron_zone_rd *r, const struct cron_zone_hdr *h,
	       size_t tsize, struct cron_zone *z)
{
	const uint8_t	*times, *idx, *types, *skip;
	size_t		 i;

	if (cron_zone_take(r, h->timecnt * tsize, &times) < 0 ||
	    cron_zone_take(r, h->timecnt, &idx) < 0 ||
	    cron_zone_take(r, (size_t)h->typecnt * 6, &types) < 0 ||
	    cron_zone_take(r, h->charcnt, &skip) < 0 ||
	    cron_zone_take(r, (size_t)h->leapcnt * (tsize + 4), &skip) < 0 ||
	    cron_zone_take(r, (size_t)h->isstdcnt + h->isutcnt, &skip) < 0)
		return -EINVAL;
	z->ntrans = h->timecnt;
	z->ntypes = h->typecnt;
	z->trans = calloc(z->ntrans + 1, sizeof(*z->trans));
	z->idx = calloc(z->ntrans + 1, 1);
	z->types = calloc(z->ntypes, sizeof(*z->types));
	if (z->trans == NULL || z->idx == NULL || z->types == NULL)
		return -ENOMEM;
	for (i = 0; i < z->ntrans; i++) {
		z->trans[i] = tsize == 8 ? cron_zone_be64(times + 8 * i) :
		    (int32_t)cron_zone_be32(times + 4 * i);
		z->idx[i] = idx[i];
		if (idx[i] >= h->typecnt ||
		    (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return -EINVAL;
	}
	for (i = 0; i < z->ntypes; i++) {
		int32_t off = (int32_t)cron_zone_be32(types + 6 * i);

		if (off < -CRON_ZONE_MAX_OFF || off > CRON_ZONE_MAX_OFF ||
		    types[6 * i + 4] > 1 || types[6 * i + 5] >= h->charcnt)
			return -EINVAL;
		z->types[i].utoff = off;
		z->types[i].isdst = types[6 * i + 4];
	}
	/* before the first transition: the first standard-time type */
	for (z->first = 0; z->first < z->ntypes &&
	    z->types[z->first].isdst; z->first++)
		;
	if (z->first == z->ntypes)
		z->first = 0;
	return 0;
}

/* ---- the footer: a POSIX TZ string ---- */

struct cron_zone_str {
	const char *p, *end;
};

static int
cron_zone_peek(const struct cron_zone_str *s)
{
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static int
cron_zone_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
cron_zone_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A zone abbreviation: three letters or more, or <...>. */
static int
cron_zone_abbr(struct cron_zone_str *s)
{
	const char	*b = s->p;
	int		 c;

	if (cron_zone_peek(s) == '<') {
		s->p++;
		b = s->p;
		while ((c = cron_zone_peek(s)) != '>') {
			if (c < 0 || !(cron_zone_alpha(c) || cron_zone_digit(c) ||
			    c == '+' || c == '-'))
				return -EINVAL;
			s->p++;
		}
		if (s->p - b < 3)
			return -EINVAL;
		s->p++;
		return 0;
	}
	while (cron_zone_alpha(cron_zone_peek(s)))
		s->p++;
	return s->p - b >= 3 ? 0 : -EINVAL;
}

/* A number of at most `digits` digits. */
static int
cron_zone_num(struct cron_zone_str *s, int digits, int *out)
{
	int	v = 0, n = 0;

	while (n < digits && cron_zone_digit(cron_zone_peek(s))) {
		v = v * 10 + (*s->p++ - '0');
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h, in seconds. */
static int
cron_zone_hms(struct cron_zone_str *s, int max_h, int32_t *out)
{
	int	sign = 1, h, m = 0, sec = 0;

	if (cron_zone_peek(s) == '+' || cron_zone_peek(s) == '-')
		sign = *s->p++ == '-' ? -1 : 1;
	if (cron_zone_num(s, 3, &h) < 0 || h > max_h)
		return -EINVAL;
	if (cron_zone_peek(s) == ':') {
		s->p++;
		if (cron_zone_num(s, 2, &m) < 0 || m > 59)
			return -EINVAL;
		if (cron_zone_peek(s) == ':') {
			s->p++;
			if (cron_zone_num(s, 2, &sec) < 0 || sec > 59)
				return -EINVAL;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

static int
cron_zone_rule(struct cron_zone_str *s, struct cron_zone_rule *r)
{
	int	c = cron_zone_peek(s);

	r->time = 2 * 3600;
	if (c == 'J') {
		s->p++;
		r->kind = 'J';
		if (cron_zone_num(s, 3, &r->a) < 0 || r->a < 1 || r->a > 365)
			return -EINVAL;
	} else if (cron_zone_digit(c)) {
		r->kind = 'N';
		if (cron_zone_num(s, 3, &r->a) < 0 || r->a > 365)
			return -EINVAL;
	} else if (c == 'M') {
		s->p++;
		r->kind = 'M';
		if (cron_zone_num(s, 2, &r->a) < 0 || r->a < 1 || r->a > 12 ||
		    cron_zone_peek(s) != '.')
			return -EINVAL;
		s->p++;
		if (cron_zone_num(s, 1, &r->b) < 0 || r->b < 1 || r->b > 5 ||
		    cron_zone_peek(s) != '.')
			return -EINVAL;
		s->p++;
		if (cron_zone_num(s, 1, &r->c) < 0 || r->c > 6)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (cron_zone_peek(s) == '/') {
		s->p++;
		return cron_zone_hms(s, 167, &r->time);
	}
	return 0;
}

static int
cron_zone_footer(struct cron_zone *z, const char *p, size_t n)
{
	struct cron_zone_str	s = { p, p + n };
	int32_t			off;

	if (n == 0)
		return 0;
	if (cron_zone_abbr(&s) < 0 || cron_zone_hms(&s, 24, &off) < 0)
		return -EINVAL;
	z->footer = 1;
	z->std_off = -off;
	if (s.p == s.end)
		return 0;
	if (cron_zone_abbr(&s) < 0)
		return -EINVAL;
	z->footer_dst = 1;
	z->dst_off = z->std_off + 3600;
	if (s.p < s.end && *s.p != ',') {
		if (cron_zone_hms(&s, 24, &off) < 0)
			return -EINVAL;
		z->dst_off = -off;
	}
	if (s.p == s.end) {	/* no rules: M3.2.0,M11.1.0 (glibc would
				   read them from "posixrules") */
		z->start = (struct cron_zone_rule){ 'M', 3, 2, 0, 7200 };
		z->end = (struct cron_zone_rule){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (*s.p++ != ',' || cron_zone_rule(&s, &z->start) < 0 ||
	    cron_zone_peek(&s) != ',')
		return -EINVAL;
	s.p++;
	if (cron_zone_rule(&s, &z->end) < 0 || s.p != s.end)
		return -EINVAL;
	return 0;
}

/* ---- calendar ---- */

/* The year of day number `days` (since 1970-01-01). */
static int64_t
cron_zone_year(int64_t days)
{
	int64_t	z = days + 719468, era, doe, yoe, doy, y;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	return doy >= 306 ? y + 1 : y;	/* March-based year */
}

/* The instant, as local seconds (as if UTC), rule r takes effect in y. */
static int64_t
cron_zone_rule_at(const struct cron_zone_rule *r, int64_t y)
{
	int64_t	day;
	int	mdays, wd1, mday;
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	switch (r->kind) {
	case 'J':
		day = cron_days(y, 1, 1) + r->a - 1 +
		    (cron_leap(y) && r->a >= 60);
		break;
	case 'N':
		day = cron_days(y, 1, 1) + r->a;
		break;
	default:
		mdays = r->a == 2 && cron_leap(y) ? 29 : n[r->a - 1];
		day = cron_days(y, r->a, 1);
		wd1 = (int)(((day % 7) + 7 + 4) % 7);
		mday = 1 + (r->c - wd1 + 7) % 7 + (r->b - 1) * 7;
		while (mday > mdays)
			mday -= 7;
		day += mday - 1;
		break;
	}
	return day * 86400 + r->time;
}

/* The footer's offset and DST flag at t. */
static void
cron_zone_footer_at(const struct cron_zone *z, int64_t t, int32_t *off,
		    int *isdst)
{
	int64_t	y, s, e;
	int	dst;

	*off = z->std_off;
	*isdst = 0;
	if (!z->footer_dst)
		return;
	/* far beyond any use; keeps the arithmetic below from overflowing */
	if (t > (int64_t)1 << 50)
		t = (int64_t)1 << 50;
	if (t < -((int64_t)1 << 50))
		t = -((int64_t)1 << 50);
	y = cron_zone_year((t + z->std_off) / 86400 -
	    ((t + z->std_off) % 86400 < 0));
	s = cron_zone_rule_at(&z->start, y) - z->std_off;
	e = cron_zone_rule_at(&z->end, y) - z->dst_off;
	if (s < e)
		dst = t >= s && t < e;
	else
		dst = !(t >= e && t < s);
	if (dst) {
		*off = z->dst_off;
		*isdst = 1;
	}
}

/* ---- the zone ---- */

void
cron_zone_free(struct cron_zone *z)
{
	if (z == NULL)
		return;
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

int
cron_zone_parse(const void *buf, size_t len, struct cron_zone **out)
{
	struct cron_zone_rd	 r = { buf, len };
	struct cron_zone_hdr	 h;
	struct cron_zone	*z;
	const uint8_t		*skip, *nl;
	int			 rc;

	*out = NULL;
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -ENOMEM;
	if ((rc = cron_zone_header(&r, &h)) < 0)
		goto fail;
	if (h.version >= 2) {
		/* skip the 32-bit block for the 64-bit one and the footer */
		if (cron_zone_take(&r, (size_t)h.timecnt * 5 +
		    (size_t)h.typecnt * 6 + h.charcnt + (size_t)h.leapcnt * 8 +
		    h.isstdcnt + h.isutcnt, &skip) < 0 ||
		    (rc = cron_zone_header(&r, &h)) < 0 ||
		    (rc = cron_zone_data(&r, &h, 8, z)) < 0) {
			rc = rc < 0 ? rc : -EINVAL;
			goto fail;
		}
		rc = -EINVAL;
		if (r.n < 2 || r.p[0] != '\n')
			goto fail;
		nl = memchr(r.p + 1, '\n', r.n - 1);
		if (nl == NULL || (rc = cron_zone_footer(z, (const char *)r.p + 1,
		    (size_t)(nl - r.p - 1))) < 0)
			goto fail;
	} else if ((rc = cron_zone_data(&r, &h, 4, z)) < 0) {
		goto fail;
	}
	*out = z;
	return 0;
fail:
	cron_zone_free(z);
	return rc;
}

static int
cron_zone_err(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
cron_zone_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '+';
}

/* Is the zone name well-formed (see cron.h)?  0 or -EINVAL. */
static int
cron_zone_name(const char *zone, char *err, size_t errlen)
{
	const char	*p, *part;
	size_t		 len;

	if (zone == NULL || zone[0] == '\0')
		return cron_zone_err(-EINVAL, err, errlen, "empty time zone name");
	len = strnlen(zone, 256);
	if (len > 255)
		return cron_zone_err(-EINVAL, err, errlen,
		    "time zone name longer than 255 bytes");
	if (zone[0] == '/')
		return cron_zone_err(-EINVAL, err, errlen,
		    "time zone '%s': must be a name like Europe/Berlin, not a path",
		    zone);
	for (part = p = zone;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == part)
				return cron_zone_err(-EINVAL, err, errlen,
				    "time zone '%s': empty part", zone);
			if ((p - part == 1 && part[0] == '.') ||
			    (p - part == 2 && part[0] == '.' && part[1] == '.'))
				return cron_zone_err(-EINVAL, err, errlen,
				    "time zone '%s': '.' and '..' are not allowed",
				    zone);
			if (*p == '\0')
				return 0;
			part = p + 1;
		} else if (!cron_zone_char(*p)) {
			return cron_zone_err(-EINVAL, err, errlen,
			    "time zone '%.64s': character 0x%02x not allowed",
			    zone, (unsigned char)*p);
		}
	}
}

int
cron_zone_load(const char *path, struct cron_zone **out)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	if (st.st_size > CRON_ZONE_MAX_FILE) {
		close(fd);
		return -EBADMSG;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	rc = cron_zone_parse(buf, got, out);
	free(buf);
	return rc == -EINVAL ? -EBADMSG : rc;
}

int
cron_zone_offset(const struct cron_zone *z, int64_t t, int32_t *off,
		 int *isdst)
{
	size_t	lo, hi, mid;
	const struct cron_zone_type *ty;

	if (z->ntrans == 0 || t < z->trans[0]) {
		if (z->ntrans == 0 && z->footer) {
			cron_zone_footer_at(z, t, off, isdst);
			return 0;
		}
		ty = &z->types[z->first];
	} else if (t >= z->trans[z->ntrans - 1] && z->footer) {
		cron_zone_footer_at(z, t, off, isdst);
		return 0;
	} else {
		/* the last transition at or before t */
		lo = 0;
		hi = z->ntrans;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (z->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &z->types[z->idx[lo]];
	}
	*off = ty->utoff;
	*isdst = ty->isdst;
	return 0;
}

int
cron_zone_to_local(void *ctx, int64_t t, struct tm *out)
{
	const struct cron_zone	*z = ctx;
	int32_t			 off;
	int			 isdst;
	time_t			 tt;

	if (t > INT64_MAX / 2 || t < INT64_MIN / 2)
		return -ERANGE;
	cron_zone_offset(z, t, &off, &isdst);
	tt = (time_t)(t + off);
	if (gmtime_r(&tt, out) == NULL)
		return -ERANGE;
	out->tm_isdst = isdst;
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
	return 0;
}

int
cron_zone_open(const char *zone, struct cron_zone **out, char *err,
	       size_t errlen)
{
	char	path[sizeof(CRON_ZONEINFO) + 257];
	int	rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = cron_zone_name(zone, err, errlen)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", CRON_ZONEINFO, zone);
	rc = cron_zone_load(path, out);
	if (rc == -ENOMEM)
		return cron_zone_err(rc, err, errlen,
		    "time zone '%s': out of memory", zone);
	if (rc == -EISDIR)
		return cron_zone_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (%s is not a regular file)", zone,
		    path);
	if (rc == -EBADMSG)
		return cron_zone_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (%s is not a valid TZif file)",
		    zone, path);
	if (rc < 0)
		return cron_zone_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (no %s: %s)", zone, path,
		    strerror(-rc));
	return 0;
}

int
cron_zone_valid(const char *zone, char *err, size_t errlen)
{
	struct cron_zone	*z;
	int			 rc;

	rc = cron_zone_open(zone, &z, err, errlen);
	cron_zone_free(z);
	return rc;
}
