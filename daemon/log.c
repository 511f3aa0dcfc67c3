/*
 * log.c - jobqd's logging (see log.h).
 *
 * Owns the log level and the process name.  Both are set at start-up
 * (log_init) or right after fork in a worker (log_setproc), before other
 * threads exist, and are only read afterwards; there is no other shared
 * state.  Every line is formatted into a buffer on the caller's stack and
 * written with a single write(2) on stderr, so lines from different threads
 * and processes never interleave.
 *
 * When stderr is not a terminal (or JOURNAL_STREAM is set, i.e. stderr is
 * connected to journald) each line starts with a syslog "<N>" priority
 * marker; on a terminal the level is spelt out instead for warnings and
 * errors.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static int log_level = LOG_LVL_INFO;
static int log_prefix;			/* 1: emit "<N>" markers */
static char log_procname[64];

static const int log_syslog_prio[] = { 3, 4, 6, 7 };
static const char *const log_level_word[] = {
	"error: ", "warning: ", "", "debug: "
};

static void	log_vwrite(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static void	log_put(const char *, size_t);

void
log_init(int level, const char *procname)
{
	const char *js;

	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	log_level = level;
	js = getenv("JOURNAL_STREAM");
	log_prefix = (js != NULL && *js != '\0') || !isatty(STDERR_FILENO);
	log_setproc(procname);
}

int
log_parse_level(const char *s)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{ "error", LOG_LVL_ERROR }, { "err", LOG_LVL_ERROR },
		{ "warning", LOG_LVL_WARN }, { "warn", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};
	size_t i;

	if (s == NULL)
		return (-1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0)
			return (names[i].level);
	}
	return (-1);
}

void
log_setproc(const char *procname)
{
	if (procname == NULL)
		log_procname[0] = '\0';
	else
		(void)snprintf(log_procname, sizeof(log_procname), "%s",
		    procname);
}

/* Writes one whole line; a short write is retried for the rest. */
static void
log_put(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;		/* nowhere left to report it */
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Formats "[<N>]jobqd: [[proc] ][level: ]message[: strerror]\n". */
static void
log_vwrite(int level, int errnum, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX], ebuf[128];
	const char *es;
	size_t len, room;
	int n, trunc = 0;

	len = 0;
	if (log_prefix)
		n = snprintf(buf, sizeof(buf), "<%d>jobqd: ",
		    log_syslog_prio[level]);
	else
		n = snprintf(buf, sizeof(buf), "jobqd: ");
	if (n > 0)
		len = (size_t)n;
	if (log_procname[0] != '\0') {
		n = snprintf(buf + len, sizeof(buf) - len, "[%s] ",
		    log_procname);
		if (n > 0)
			len += (size_t)n;
	}
	if (!log_prefix) {
		n = snprintf(buf + len, sizeof(buf) - len, "%s",
		    log_level_word[level]);
		if (n > 0)
			len += (size_t)n;
	}
	/* Keep 1 byte for the newline; truncation is marked with "...". */
	room = sizeof(buf) - 1 - len;
	n = vsnprintf(buf + len, room + 1, fmt, ap);
	if (n > 0) {
		if ((size_t)n > room)
			trunc = 1;
		len += (size_t)n < room ? (size_t)n : room;
	}
	if (errnum != 0 && !trunc) {
		es = strerror_r(errnum, ebuf, sizeof(ebuf));
		n = snprintf(buf + len, sizeof(buf) - len, ": %s", es);
		if (n > 0) {
			if ((size_t)n >= sizeof(buf) - len)
				trunc = 1;
			len += (size_t)n;
		}
	}
	if (trunc || len > sizeof(buf) - 1) {
		len = sizeof(buf) - 1;
		memcpy(buf + len - 3, "...", 3);
	}
	buf[len++] = '\n';
	log_put(buf, len);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LVL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LVL_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (log_level >= LOG_LVL_WARN) {
		va_start(ap, fmt);
		log_vwrite(LOG_LVL_WARN, saved, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (log_level >= LOG_LVL_WARN) {
		va_start(ap, fmt);
		log_vwrite(LOG_LVL_WARN, 0, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
