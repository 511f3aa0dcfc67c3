/*
 * log.h - jobqd's logging: one line per message on stderr, prefixed with a
 * syslog-style "<N>" level marker that journald understands, so systemd adds
 * time, unit and pid.  log_warn() appends strerror(errno); log_warnx() does
 * not.  fatal()/fatalx() log and exit(1): for start-up failures and broken
 * invariants only.  JQ_ASSERT stays on in release builds.
 */
#ifndef JOBQD_LOG_H
#define JOBQD_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(int level, const char *procname);
int log_parse_level(const char *s);     /* -1 if unknown */
void log_setproc(const char *procname); /* e.g. "worker 3" in worker processes */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define JQ_ASSERT(e) \
	((e) ? (void)0 : fatalx("assertion failed: %s (%s:%d)", #e, __FILE__, __LINE__))

#endif
