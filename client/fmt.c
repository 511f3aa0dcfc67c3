/*
 * fmt.c - formatting and parsing helpers of the jobq command-line client:
 * exit-status mapping, durations, ids, local times, signal names, shell
 * quoting and aligned tables.  See fmt.h; unit tests in tests/check_fmt.c.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

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
	if (job->state != JOBQ_STATE_SUCCEEDED && job->state != JOBQ_STATE_FAILED)
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

int
fmt_parse_duration(const char *s, int64_t *ms)
{
	/* Largest integer part accepted, per unit, so that the result fits. */
	static const struct {
		const char *unit;
		int64_t mult;   /* milliseconds per unit */
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "", 1000 },
	};
	int64_t ipart = 0, frac = 0, scale = 1, mult = 0;
	const char *p = s;
	int ndig = 0;
	size_t i;

	if (s == NULL)
		return -1;
	for (; fmt_isdigit(*p); p++, ndig++) {
		if (ipart > (INT64_MAX - 9) / 10)
			return -1;
		ipart = ipart * 10 + (*p - '0');
	}
	if (*p == '.') {
		int fdig = 0;

		for (p++; fmt_isdigit(*p); p++, fdig++) {
			if (scale < 1000000000) {   /* keep 9 digits */
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
		}
		if (fdig == 0)
			return -1;
		ndig += fdig;
	}
	if (ndig == 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			mult = units[i].mult;
			break;
		}
	}
	if (mult == 0)
		return -1;
	if (ipart > INT64_MAX / mult - 1)
		return -1;
	/* frac < scale <= 1e9 and mult <= 3.6e6: no overflow. */
	*ms = ipart * mult + frac * mult / scale;
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

char *
fmt_time(int64_t ms, int with_ms, char *buf, size_t len)
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
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (with_ms)
		snprintf(buf + n, len - n, ".%03d", (int)(ms % 1000));
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

size_t
fmt_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Byte length of the first `cols` code points of s. */
static size_t
fmt_prefix_bytes(const char *s, size_t cols)
{
	size_t i = 0, w = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (w == cols)
				break;
			w++;
		}
		i++;
	}
	return i;
}

struct fmt_table {
	size_t ncols;
	size_t nrows;        /* including the header row */
	size_t cap;
	char **cells;        /* nrows * ncols */
	int *align;
	size_t *widths;
};

void
fmt_table_free(struct fmt_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	free(t->widths);
	free(t);
}

struct fmt_table *
fmt_table_new(size_t ncols, const char *const *headers, const int *align)
{
	struct fmt_table *t;
	size_t i;

	if (ncols == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->align = calloc(ncols, sizeof(*t->align));
	t->widths = calloc(ncols, sizeof(*t->widths));
	if (t->align == NULL || t->widths == NULL) {
		fmt_table_free(t);
		return NULL;
	}
	for (i = 0; i < ncols; i++)
		t->align[i] = align != NULL ? align[i] : FMT_LEFT;
	if (fmt_table_add(t, headers) != 0) {
		fmt_table_free(t);
		return NULL;
	}
	return t;
}

int
fmt_table_add(struct fmt_table *t, const char *const *cells)
{
	size_t i, base;

	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **grown;

		if (ncap > SIZE_MAX / sizeof(char *) / t->ncols)
			return -1;
		grown = realloc(t->cells, ncap * t->ncols * sizeof(char *));
		if (grown == NULL)
			return -1;
		t->cells = grown;
		t->cap = ncap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] != NULL ? cells[i] : "-");
		if (t->cells[base + i] == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -1;
		}
	}
	for (i = 0; i < t->ncols; i++) {
		size_t w = fmt_width(t->cells[base + i]);

		if (w > t->widths[i])
			t->widths[i] = w;
	}
	t->nrows++;
	return 0;
}

static int
fmt_pad(FILE *out, size_t n)
{
	while (n-- > 0)
		if (putc(' ', out) == EOF)
			return -1;
	return 0;
}

int
fmt_table_print(const struct fmt_table *t, FILE *out, size_t width)
{
	size_t r, c, last = t->ncols - 1, prefix = 0, avail = 0;

	for (c = 0; c < last; c++)
		prefix += t->widths[c] + 2;
	if (width > 0 && t->align[last] == FMT_LEFT)
		avail = width > prefix + 4 ? width - prefix : 4;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			size_t w = fmt_width(cell);

			if (c > 0 && fputs("  ", out) == EOF)
				return -1;
			if (t->align[c] == FMT_RIGHT &&
			    fmt_pad(out, t->widths[c] - w) != 0)
				return -1;
			if (c == last && avail > 0 && w > avail) {
				size_t nb = fmt_prefix_bytes(cell, avail - 3);

				if (fwrite(cell, 1, nb, out) != nb ||
				    fputs("...", out) == EOF)
					return -1;
				continue;
			}
			if (fputs(cell, out) == EOF)
				return -1;
			if (t->align[c] == FMT_LEFT && c != last &&
			    fmt_pad(out, t->widths[c] - w) != 0)
				return -1;
		}
		if (putc('\n', out) == EOF)
			return -1;
	}
	return 0;
}
