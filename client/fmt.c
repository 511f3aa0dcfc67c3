/*
 * fmt.c - formatting and parsing helpers of the jobq command-line client:
 * exit-status mapping, durations, times, ids, job references, --after,
 * --array and --label arguments, local times, signal names, shell quoting
 * and aligned tables.  See fmt.h; unit tests in tests/check_fmt.c.  Nothing
 * here calls libjobq (the unit test links fmt.c alone).
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "proto.h"

int
fmt_err_status(int err)
{
	switch (err) {
	case JOBQ_OK:
		return FMT_EXIT_OK;
	case JOBQ_ECONNECT:
		return FMT_EXIT_CONNECT;
	case JOBQ_ENOTFOUND:
		return FMT_EXIT_NOTFOUND;
	case JOBQ_ETIMEDOUT:
		return FMT_EXIT_TIMEOUT;
	default:
		return FMT_EXIT_FAIL;
	}
}

int
fmt_job_status(const jobq_job *job)
{
	/* A canceled or interrupted job may carry the signal that stopped
	 * it, but it has no exit status of its own. */
	if (job->state != JOBQ_STATE_SUCCEEDED && job->state != JOBQ_STATE_FAILED &&
	    job->state != JOBQ_STATE_TIMED_OUT)
		return FMT_EXIT_NOSTATUS;
	/* A timed-out job that caught the TERM and exited 0 did not succeed,
	 * nor did a failed one that exited 0 (past its output limit). */
	if ((job->state == JOBQ_STATE_TIMED_OUT ||
	    job->state == JOBQ_STATE_FAILED) && job->exit_code == 0)
		return FMT_EXIT_NOSTATUS;
	if (job->exit_code >= 0)
		return job->exit_code & 0xff;
	if (job->signal > 0 && job->signal < 128)
		return 128 + job->signal;
	return FMT_EXIT_NOSTATUS;
}

static int
fmt_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses exactly n digits at *pp into *out and advances *pp; 0 or -1. */
static int
fmt_digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!fmt_isdigit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

static int
fmt_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
fmt_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* mktime() of a local broken-down time; 0 and *t, or -1. */
static int
fmt_mktime(struct tm *tm, time_t *t)
{
	tm->tm_isdst = -1;
	tm->tm_wday = -1;   /* mktime sets it on success, even for -1 */
	*t = mktime(tm);
	return tm->tm_wday == -1 ? -1 : 0;
}

/* The parts of a time fmt_parse_time reads. */
struct fmt_tm {
	int y, mo, d;          /* with has_date */
	int h, mi, sec;
	int has_date;
	int has_zone;
	int offset;            /* seconds east of UTC, with has_zone */
};

/* "YYYY-MM-DD" and a 'T' or ' ' when the text starts with a date (it is
 * then at least 10 bytes with '-' after the year); 0 or -1. */
static int
fmt_time_date(const char **pp, struct fmt_tm *t)
{
	const char *p = *pp;

	if (strlen(p) < 10 || p[4] != '-')
		return 0;
	if (fmt_digits(&p, 4, &t->y) != 0 || *p++ != '-' ||
	    fmt_digits(&p, 2, &t->mo) != 0 || *p++ != '-' ||
	    fmt_digits(&p, 2, &t->d) != 0 || (*p != 'T' && *p != ' '))
		return -1;
	*pp = p + 1;
	t->has_date = 1;
	return 0;
}

/* "HH:MM[:SS]"; 0 or -1. */
static int
fmt_time_clock(const char **pp, struct fmt_tm *t)
{
	const char *p = *pp;

	if (fmt_digits(&p, 2, &t->h) != 0 || *p++ != ':' ||
	    fmt_digits(&p, 2, &t->mi) != 0)
		return -1;
	if (*p == ':') {
		p++;
		if (fmt_digits(&p, 2, &t->sec) != 0)
			return -1;
	}
	*pp = p;
	return 0;
}

/* An optional zone after a date: "Z" or +-HH[:]MM; 0 or -1. */
static int
fmt_time_zone(const char **pp, struct fmt_tm *t)
{
	const char *p = *pp;
	int sign, oh, om;

	if (*p == 'Z') {
		*pp = p + 1;
		t->has_zone = 1;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return 0;
	sign = *p++ == '-' ? -1 : 1;
	if (fmt_digits(&p, 2, &oh) != 0)
		return -1;
	if (*p == ':')
		p++;
	if (fmt_digits(&p, 2, &om) != 0 || oh > 23 || om > 59)
		return -1;
	t->offset = sign * (oh * 3600 + om * 60);
	t->has_zone = 1;
	*pp = p;
	return 0;
}

/* 1 if the parts name a real time (and a date from 1970 on). */
static int
fmt_time_valid(const struct fmt_tm *t)
{
	if (t->h > 23 || t->mi > 59 || t->sec > 59)
		return 0;
	return !t->has_date || (t->y >= 1970 && t->mo >= 1 && t->mo <= 12 &&
	    t->d >= 1 && t->d <= fmt_days_in_month(t->y, t->mo));
}

/* A local date and time -> ms since the epoch; 0 or -1. */
static int
fmt_time_local(const struct fmt_tm *t, int64_t *ms)
{
	struct tm tm;
	time_t tt;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->y - 1900;
	tm.tm_mon = t->mo - 1;
	tm.tm_mday = t->d;
	tm.tm_hour = t->h;
	tm.tm_min = t->mi;
	tm.tm_sec = t->sec;
	if (fmt_mktime(&tm, &tt) != 0)
		return -1;
	*ms = (int64_t)tt * 1000;
	return 0;
}

/* HH:MM[:SS] local: today if still ahead of now_ms, else tomorrow. */
static int
fmt_time_next(const struct fmt_tm *t, int64_t now_ms, int64_t *ms)
{
	struct tm tm, base;
	time_t tt;

	tt = (time_t)(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000);
	if (localtime_r(&tt, &base) == NULL)
		return -1;
	base.tm_hour = t->h;
	base.tm_min = t->mi;
	base.tm_sec = t->sec;
	tm = base;
	if (fmt_mktime(&tm, &tt) != 0)
		return -1;
	if ((int64_t)tt * 1000 <= now_ms) {
		tm = base;
		tm.tm_mday++;
		if (fmt_mktime(&tm, &tt) != 0)
			return -1;
	}
	*ms = (int64_t)tt * 1000;
	return 0;
}

int
fmt_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	struct fmt_tm t;
	const char *p = s;

	if (s == NULL)
		return -1;
	memset(&t, 0, sizeof(t));
	if (fmt_time_date(&p, &t) != 0 || fmt_time_clock(&p, &t) != 0 ||
	    (t.has_date && fmt_time_zone(&p, &t) != 0) || *p != '\0' ||
	    !fmt_time_valid(&t))
		return -1;
	if (t.has_zone) {
		*ms = (fmt_days_from_civil(t.y, t.mo, t.d) * 86400 +
		    t.h * 3600 + t.mi * 60 + t.sec - t.offset) * 1000;
		return 0;
	}
	if (t.has_date)
		return fmt_time_local(&t, ms);
	return fmt_time_next(&t, now_ms, ms);
}

int
fmt_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t v = 0, lim;
	const char *p = s;
	int neg = 0;

	if (s == NULL || min > max)
		return -1;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0')
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p != '\0'; p++) {
		if (!fmt_isdigit(*p))
			return -1;
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (neg) {
		int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;

		if (r < min || r > max)
			return -1;
		*out = r;
	} else {
		if (v > (uint64_t)max || (int64_t)v < min)
			return -1;
		*out = (int64_t)v;
	}
	return 0;
}

/* Parses the n bytes at s as a non-negative decimal integer, digits only,
 * at most INT64_MAX; 0 or -1. */
static int
fmt_parse_u(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!fmt_isdigit(s[i]))
			return -1;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
fmt_parse_ref(const char *s, struct fmt_ref *ref)
{
	const char *dot;
	int64_t id, index = 0;

	if (s == NULL)
		return -1;
	dot = strchr(s, '.');
	if (fmt_parse_u(s, dot != NULL ? (size_t)(dot - s) : strlen(s), &id) != 0 ||
	    id <= 0)
		return -1;
	if (dot != NULL && fmt_parse_u(dot + 1, strlen(dot + 1), &index) != 0)
		return -1;
	ref->id = id;
	ref->index = index;
	ref->has_index = dot != NULL;
	return 0;
}

char *
fmt_ref(const struct fmt_ref *ref, char *buf, size_t len)
{
	if (ref->has_index)
		snprintf(buf, len, "%lld.%lld", (long long)ref->id,
		    (long long)ref->index);
	else
		snprintf(buf, len, "%lld", (long long)ref->id);
	return buf;
}

static const char *const fmt_dep_modes[] = { "ok", "notok", "any" };

const char *
fmt_dep_mode(jobq_dep_mode mode)
{
	if ((int)mode < 0 || (size_t)mode >= sizeof(fmt_dep_modes) /
	    sizeof(fmt_dep_modes[0]))
		return "?";
	return fmt_dep_modes[mode];
}

int
fmt_parse_after(const char *s, struct fmt_after *out, size_t max, size_t *n)
{
	jobq_dep_mode mode = JOBQ_DEP_OK;
	const char *p = s, *colon, *comma;
	size_t k = 0, i, len;
	char elem[FMT_REF_LEN];

	if (s == NULL)
		return -1;
	colon = strchr(s, ':');
	if (colon != NULL) {
		for (i = 0; i < sizeof(fmt_dep_modes) / sizeof(fmt_dep_modes[0]);
		    i++) {
			if (strlen(fmt_dep_modes[i]) == (size_t)(colon - s) &&
			    strncmp(s, fmt_dep_modes[i], (size_t)(colon - s)) == 0)
				break;
		}
		if (i == sizeof(fmt_dep_modes) / sizeof(fmt_dep_modes[0]))
			return -1;
		mode = (jobq_dep_mode)i;
		p = colon + 1;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(elem))
			return -1;
		memcpy(elem, p, len);
		elem[len] = '\0';
		if (*n + k >= max) {
			/* Still report malformed input as such. */
			struct fmt_ref r;

			if (fmt_parse_ref(elem, &r) != 0)
				return -1;
			k++;
		} else {
			if (fmt_parse_ref(elem, &out[*n + k].ref) != 0)
				return -1;
			out[*n + k].mode = mode;
			k++;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (*n + k > max)
		return -2;
	*n += k;
	return 0;
}

int
fmt_parse_array(const char *s, struct fmt_array *a)
{
	const char *dash, *colon, *pct, *end;
	int64_t first, last, step = 1, k = 0;

	if (s == NULL || *s == '\0')
		return -1;
	end = s + strlen(s);
	dash = strchr(s, '-');
	if (dash == NULL) {
		if (fmt_parse_u(s, (size_t)(end - s), &first) != 0)
			return -1;
		a->first = first;
		a->step = 1;
		a->count = 1;
		a->throttle = 0;
		return 0;
	}
	pct = strchr(dash, '%');
	if (pct == NULL)
		pct = end;
	colon = memchr(dash, ':', (size_t)(pct - dash));
	if (fmt_parse_u(s, (size_t)(dash - s), &first) != 0 ||
	    fmt_parse_u(dash + 1, (size_t)((colon != NULL ? colon : pct) -
	    (dash + 1)), &last) != 0)
		return -1;
	if (colon != NULL && (fmt_parse_u(colon + 1, (size_t)(pct - colon - 1),
	    &step) != 0 || step < 1))
		return -1;
	if (pct != end && (fmt_parse_u(pct + 1, (size_t)(end - pct - 1), &k) != 0 ||
	    k > INT_MAX))
		return -1;
	if (last < first || (last - first) / step >= JOBQ_MAX_ARRAY)
		return -1;
	a->first = first;
	a->step = step;
	a->count = (last - first) / step + 1;
	a->throttle = (int)k;
	return 0;
}

int
fmt_parse_label(const char *s)
{
	const char *eq;

	if (s == NULL)
		return -1;
	eq = strchr(s, '=');
	if (eq == NULL || eq == s || strlen(s) > JOBQ_MAX_LABEL)
		return -1;
	return 0;
}

int
fmt_parse_id(const char *s, int64_t *id)
{
	int64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (!fmt_isdigit(*p))
			return -1;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0)
		return -1;
	*id = v;
	return 0;
}

int
fmt_parse_count(const char *s, long max, long *out)
{
	long v = 0;
	const char *p;

	if (s == NULL || *s == '\0' || max < 0)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (!fmt_isdigit(*p))
			return -1;
		if (v > (max - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

char *
fmt_size(int64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	if (len == 0)
		return buf;
	while (bytes != 0 && u < 3 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lld", (long long)bytes);
	else
		snprintf(buf, len, "%lld%c", (long long)bytes, units[u]);
	return buf;
}

char *
fmt_cpus(int64_t millis, char *buf, size_t len)
{
	int n;

	if (millis % 1000 == 0) {
		snprintf(buf, len, "%lld", (long long)(millis / 1000));
		return buf;
	}
	n = snprintf(buf, len, "%lld.%03lld", (long long)(millis / 1000),
	    (long long)(millis < 0 ? -(millis % 1000) : millis % 1000));
	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	return buf;
}

char *
fmt_limits(const jobq_limits *l, char *buf, size_t len)
{
	char v[48];
	size_t n = 0;
	int i;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < PROTO_NLIMITS && n < len; i++) {
		if (!(l->set & proto_limits[i].bit))
			continue;
		switch (proto_limits[i].bit) {
		case JOBQ_LIMIT_MEM:
		case JOBQ_LIMIT_CORE:
			fmt_size(proto_limit_get(l, i), v, sizeof(v));
			break;
		case JOBQ_LIMIT_CPU:
			fmt_duration(l->cpu_time * 1000, v, sizeof(v));
			break;
		case JOBQ_LIMIT_CPUS:
			fmt_cpus(l->cpus, v, sizeof(v));
			break;
		default:
			snprintf(v, sizeof(v), "%lld",
			    (long long)proto_limit_get(l, i));
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s",
		    n > 0 ? ", " : "", proto_limits[i].opt + 2, v);
	}
	if (n == 0)
		snprintf(buf, len, "-");
	return buf;
}

char *
fmt_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s, d, h, m;

	if (len == 0)
		return buf;
	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, len, "%lldms", (long long)ms);
		return buf;
	}
	if (ms < 60000) {
		if (ms % 1000 == 0) {
			snprintf(buf, len, "%llds", (long long)(ms / 1000));
		} else {
			char frac[8];
			size_t n;

			snprintf(frac, sizeof(frac), "%03d", (int)(ms % 1000));
			for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
				frac[n - 1] = '\0';
			snprintf(buf, len, "%lld.%ss", (long long)(ms / 1000), frac);
		}
		return buf;
	}
	s = ms / 1000;
	d = s / 86400;
	h = s / 3600 % 24;
	m = s / 60 % 60;
	s %= 60;
	if (d > 0)
		snprintf(buf, len, "%lldd%lldh%lldm%llds", (long long)d,
		    (long long)h, (long long)m, (long long)s);
	else if (h > 0)
		snprintf(buf, len, "%lldh%lldm%llds", (long long)h,
		    (long long)m, (long long)s);
	else
		snprintf(buf, len, "%lldm%llds", (long long)m, (long long)s);
	return buf;
}

/* Local time ms (epoch ms) in the strftime format, with ".mmm" when
 * with_ms; "-" for 0 or less, or when it cannot be converted. */
static char *
fmt_strftime(int64_t ms, const char *format, int with_ms, char *buf,
    size_t len)
{
	struct tm tm;
	time_t t;
	size_t n;

	if (len == 0)
		return buf;
	snprintf(buf, len, "-");
	if (ms <= 0)
		return buf;
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL)
		return buf;
	n = strftime(buf, len, format, &tm);
	if (n == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (with_ms)
		snprintf(buf + n, len - n, ".%03d", (int)(ms % 1000));
	return buf;
}

char *
fmt_time(int64_t ms, int with_ms, char *buf, size_t len)
{
	return fmt_strftime(ms, "%Y-%m-%d %H:%M:%S", with_ms, buf, len);
}

char *
fmt_clock(int64_t ms, int with_ms, char *buf, size_t len)
{
	return fmt_strftime(ms, "%H:%M:%S", with_ms, buf, len);
}

char *
fmt_when(int64_t when, int64_t now_ms, char *buf, size_t len)
{
	struct tm a, b;
	time_t tw, tn;

	if (len == 0)
		return buf;
	tw = (time_t)(when / 1000);
	tn = (time_t)(now_ms / 1000);
	if (when > 0 && now_ms > 0 && localtime_r(&tw, &a) != NULL &&
	    localtime_r(&tn, &b) != NULL && a.tm_year == b.tm_year &&
	    a.tm_yday == b.tm_yday)
		return fmt_clock(when, 0, buf, len);
	return fmt_time(when, 0, buf, len);
}

char *
fmt_relative(int64_t when, int64_t now_ms, char *buf, size_t len)
{
	char d[40];
	int64_t delta;

	if (len == 0)
		return buf;
	if (when == now_ms) {
		snprintf(buf, len, "now");
		return buf;
	}
	/* The difference, clamped where it would overflow. */
	if (when > now_ms)
		delta = now_ms >= 0 || when <= INT64_MAX + now_ms ?
		    when - now_ms : INT64_MAX;
	else
		delta = when >= 0 || now_ms <= INT64_MAX + when ?
		    now_ms - when : INT64_MAX;
	if (delta >= 1000)
		delta -= delta % 1000;
	fmt_duration(delta, d, sizeof(d));
	if (when > now_ms)
		snprintf(buf, len, "in %s", d);
	else
		snprintf(buf, len, "%s ago", d);
	return buf;
}

char *
fmt_signal_name(int sig, char *buf, size_t len)
{
	static const struct {
		int sig;
		const char *name;
	} sigs[] = {
		{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
		{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
		{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
		{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
		{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
#ifdef SIGSTKFLT
		{ SIGSTKFLT, "STKFLT" },
#endif
		{ SIGCHLD, "CHLD" }, { SIGCONT, "CONT" }, { SIGSTOP, "STOP" },
		{ SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
		{ SIGURG, "URG" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
		{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" },
		{ SIGWINCH, "WINCH" }, { SIGIO, "IO" },
#ifdef SIGPWR
		{ SIGPWR, "PWR" },
#endif
		{ SIGSYS, "SYS" },
	};
	size_t i;

	if (len == 0)
		return buf;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigs[i].sig == sig) {
			snprintf(buf, len, "SIG%s", sigs[i].name);
			return buf;
		}
	}
#ifdef SIGRTMIN
	if (sig == SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
#endif
		snprintf(buf, len, "SIG%d", sig);
	return buf;
}

/* Characters that never need quoting anywhere in a shell word. */
static int
fmt_shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    fmt_isdigit((char)c) || (c != '\0' && strchr("_-+=@%:,./", c) != NULL);
}

char *
fmt_shell_quote(const char *s)
{
	const unsigned char *p;
	int plain = 1, ctrl = 0;
	size_t n = 0;
	char *out, *q;

	for (p = (const unsigned char *)s; *p != '\0'; p++, n++) {
		if (!fmt_shell_safe(*p))
			plain = 0;
		if (*p < 0x20 || *p == 0x7f)
			ctrl = 1;
	}
	if (n == 0)
		return strdup("''");
	if (plain)
		return strdup(s);
	/* Worst cases: '\'' (4 bytes) per byte, or \xHH (4 bytes) per byte. */
	if (n > (SIZE_MAX - 4) / 4)
		return NULL;
	out = malloc(4 * n + 4);
	if (out == NULL)
		return NULL;
	q = out;
	if (ctrl) {
		*q++ = '$';
		*q++ = '\'';
		for (p = (const unsigned char *)s; *p != '\0'; p++) {
			switch (*p) {
			case '\n': *q++ = '\\'; *q++ = 'n'; break;
			case '\t': *q++ = '\\'; *q++ = 't'; break;
			case '\r': *q++ = '\\'; *q++ = 'r'; break;
			case '\\': *q++ = '\\'; *q++ = '\\'; break;
			case '\'': *q++ = '\\'; *q++ = '\''; break;
			default:
				if (*p < 0x20 || *p == 0x7f) {
					snprintf(q, 5, "\\x%02x", *p);
					q += 4;
				} else {
					*q++ = (char)*p;
				}
			}
		}
		*q++ = '\'';
	} else {
		*q++ = '\'';
		for (p = (const unsigned char *)s; *p != '\0'; p++) {
			if (*p == '\'') {
				memcpy(q, "'\\''", 4);
				q += 4;
			} else {
				*q++ = (char)*p;
			}
		}
		*q++ = '\'';
	}
	*q = '\0';
	return out;
}

char *
fmt_join_argv(char *const *argv, size_t argc)
{
	char *out = NULL;
	size_t len = 0, i;

	out = strdup("");
	if (out == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		char *w = fmt_shell_quote(argv[i] != NULL ? argv[i] : "");
		size_t wl;
		char *grown;

		if (w == NULL) {
			free(out);
			return NULL;
		}
		wl = strlen(w);
		grown = realloc(out, len + wl + 2);
		if (grown == NULL) {
			free(w);
			free(out);
			return NULL;
		}
		out = grown;
		if (i > 0)
			out[len++] = ' ';
		memcpy(out + len, w, wl + 1);
		len += wl;
		free(w);
	}
	return out;
}

char *
fmt_ago(int64_t when, int64_t now_ms, char *buf, size_t len)
{
	int64_t d = when - now_ms, s;
	char span[32];

	s = (d < 0 ? -d : d) / 1000;
	if (s < 1) {
		snprintf(buf, len, "now");
		return buf;
	}
	if (s < 60)
		snprintf(span, sizeof(span), "%llds", (long long)s);
	else if (s < 3600)
		snprintf(span, sizeof(span), "%lldm", (long long)(s / 60));
	else if (s < 86400)
		snprintf(span, sizeof(span), "%lldh%lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(span, sizeof(span), "%lldd%lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	if (d < 0)
		snprintf(buf, len, "%s ago", span);
	else
		snprintf(buf, len, "in %s", span);
	return buf;
}
