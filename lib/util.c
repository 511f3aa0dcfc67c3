/*
 * util.c - clocks, the duration and size grammars, vector growth and string vectors
 * shared by jobqd, jobq and libjobq (see util.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

int64_t
util_clock_ms(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_now_ms(void)
{
	return util_clock_ms(CLOCK_REALTIME);
}

int64_t
util_mono_ms(void)
{
	return util_clock_ms(CLOCK_MONOTONIC);
}

int64_t
util_now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
util_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

int
util_parse_duration_ms(const char *s, int64_t *ms)
{
	/* From the largest unit down: parts must come in this order. */
	static const struct {
		const char *unit;
		int64_t mult;   /* milliseconds per unit */
		int rank;
	} units[] = {
		{ "d", 86400000, 0 }, { "h", 3600000, 1 }, { "ms", 1, 4 },
		{ "m", 60000, 2 }, { "s", 1000, 3 },
	};
	int64_t total = 0, v, part, frac, fdiv;
	const char *p = s;
	int last = -1, nparts = 0, rank;
	size_t i, ulen;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p != '\0') {
		if (!util_isdigit(*p))
			return -1;
		for (v = 0; util_isdigit(*p); p++) {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				return -1;
			v = v * 10 + (*p - '0');
		}
		/* A fraction ("1.5s", "0.25"): only for a duration of one
		 * part, down to the millisecond. */
		frac = 0;
		fdiv = 1;
		if (*p == '.') {
			if (nparts != 0 || !util_isdigit(p[1]))
				return -1;
			for (p++; util_isdigit(*p); p++) {
				if (fdiv >= 1000000000)
					return -1;
				frac = frac * 10 + (*p - '0');
				fdiv *= 10;
			}
		}
		nparts++;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ulen = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, ulen) == 0)
				break;   /* "ms" is tried before "m" */
		}
		if (i == sizeof(units) / sizeof(units[0])) {
			/* A lone number without a unit is seconds. */
			if (*p != '\0' || nparts != 1)
				return -1;
			i = 4;
			ulen = 0;
		}
		rank = units[i].rank;
		if (rank <= last)
			return -1;
		last = rank;
		p += ulen;
		if (fdiv > 1 && *p != '\0')
			return -1;	/* "1.5h30m": a fraction ends it */
		if (v > INT64_MAX / units[i].mult)
			return -1;
		part = v * units[i].mult;
		if (fdiv > 1) {
			/* frac / fdiv of a unit, rounded to the millisecond */
			int64_t f = (int64_t)((double)frac *
			    (double)units[i].mult / (double)fdiv + 0.5);

			if (part > INT64_MAX - f)
				return -1;
			part += f;
		}
		if (part > INT64_MAX - total)
			return -1;
		total += part;
	}
	*ms = total;
	return 0;
}

int
util_parse_size(const char *s, int64_t *bytes)
{
	static const char units[] = "kmgt";
	const char *p = s, *u;
	int64_t v = 0, mult = 1;

	if (s == NULL || !util_isdigit(*s))
		return -1;
	for (; util_isdigit(*p); p++) {
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0') {
		if ((u = strchr(units, *p | 0x20)) == NULL)
			return -1;
		for (; u >= units; u--)
			mult *= 1024;
		p++;
		if (strcmp(p, "") != 0 && strcmp(p, "B") != 0 &&
		    strcmp(p, "iB") != 0)
			return -1;
	}
	if (v > INT64_MAX / mult)
		return -1;
	*bytes = v * mult;
	return 0;
}

int
util_parse_cpus(const char *s, int64_t *millis)
{
	const char *p = s;
	int64_t v = 0, f = 0, scale = 100;

	if (s == NULL || !util_isdigit(*s))
		return -1;
	for (; util_isdigit(*p); p++) {
		if (v > (INT64_MAX / 1000 - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!util_isdigit(*p))
			return -1;
		for (; util_isdigit(*p); p++, scale /= 10) {
			if (scale == 0)
				return -1;	/* a fourth decimal */
			f += (*p - '0') * scale;
		}
	}
	if (*p != '\0' || v * 1000 > INT64_MAX - f)
		return -1;
	*millis = v * 1000 + f;
	return 0;
}

int
util_grow(void *vp, size_t *cap, size_t need, size_t elsize)
{
	size_t ncap;
	void *old, *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap < 8 ? 8 : *cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (elsize != 0 && ncap > SIZE_MAX / elsize)
		return -1;
	/* *vp is some T *; copy it rather than access it as a void *. */
	memcpy(&old, vp, sizeof(old));
	if ((nv = realloc(old, ncap * elsize)) == NULL)
		return -1;
	memcpy(vp, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}

void
util_strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}
