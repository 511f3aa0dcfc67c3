/*
 * cron_tz.c - the system time-zone seam of cron.h: cron_next() in a zone
 * of the tz database (TZ switched under a mutex, see cron.h for why that is
 * acceptable in jobqd) and cron_zone_valid().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cron.h"

static pthread_mutex_t cron_tz_lock = PTHREAD_MUTEX_INITIALIZER;

static int
cron_tz_err(int rc, char *err, size_t errlen, const char *fmt, ...)
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
		return cron_tz_err(-EINVAL, err, errlen, "empty time zone name");
	len = strnlen(zone, 256);
	if (len > 255)
		return cron_tz_err(-EINVAL, err, errlen,
		    "time zone name longer than 255 bytes");
	if (zone[0] == '/')
		return cron_tz_err(-EINVAL, err, errlen,
		    "time zone '%s': must be a name like Europe/Berlin, not a path",
		    zone);
	for (part = p = zone;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == part)
				return cron_tz_err(-EINVAL, err, errlen,
				    "time zone '%s': empty part", zone);
			if ((p - part == 1 && part[0] == '.') ||
			    (p - part == 2 && part[0] == '.' && part[1] == '.'))
				return cron_tz_err(-EINVAL, err, errlen,
				    "time zone '%s': '.' and '..' are not allowed",
				    zone);
			if (*p == '\0')
				return 0;
			part = p + 1;
		} else if (!cron_zone_char(*p)) {
			return cron_tz_err(-EINVAL, err, errlen,
			    "time zone '%.64s': character 0x%02x not allowed",
			    zone, (unsigned char)*p);
		}
	}
}

int
cron_zone_valid(const char *zone, char *err, size_t errlen)
{
	char		path[sizeof(CRON_ZONEINFO) + 257];
	char		magic[4];
	struct stat	st;
	ssize_t		n;
	int		fd, rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = cron_zone_name(zone, err, errlen)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", CRON_ZONEINFO, zone);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cron_tz_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (no %s: %s)", zone, path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cron_tz_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (%s is not a regular file)", zone,
		    path);
	}
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return cron_tz_err(-ENOENT, err, errlen,
		    "unknown time zone '%s' (%s is not a TZif file)", zone,
		    path);
	return 0;
}

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
	char		 tzval[sizeof(CRON_ZONEINFO) + 258];
	char		*old = NULL;
	const char	*cur;
	int		 rc, had;

	if (zone == NULL || zone[0] == '\0') {
		pthread_mutex_lock(&cron_tz_lock);
		tzset();
		rc = cron_next_tz(ce, &sys, after, next);
		pthread_mutex_unlock(&cron_tz_lock);
		return rc;
	}
	if ((rc = cron_zone_valid(zone, NULL, 0)) < 0)
		return rc;
	snprintf(tzval, sizeof(tzval), ":%s/%s", CRON_ZONEINFO, zone);
	pthread_mutex_lock(&cron_tz_lock);
	cur = getenv("TZ");
	had = cur != NULL;
	if (had && (old = strdup(cur)) == NULL) {
		pthread_mutex_unlock(&cron_tz_lock);
		return -ENOMEM;
	}
	if (setenv("TZ", tzval, 1) < 0) {
		rc = -errno;
	} else {
		tzset();
		rc = cron_next_tz(ce, &sys, after, next);
		if (had)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	pthread_mutex_unlock(&cron_tz_lock);
	free(old);
	return rc;
}
