/*
 * fmt.h - formatting and parsing helpers of the jobq command-line client:
 * durations, ids and counts, local times, shell quoting, signal names,
 * exit-status mapping and aligned tables.  Everything here is pure (no
 * daemon, no global state) apart from fmt_time's use of the local time zone
 * and fmt_table_print's FILE output, so it is unit-tested in
 * tests/check_fmt.c.
 */
#ifndef JOBQ_FMT_H
#define JOBQ_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "jobq.h"

/* Exit statuses of jobq(1). */
#define FMT_EXIT_OK        0
#define FMT_EXIT_FAIL      1    /* a request failed */
#define FMT_EXIT_USAGE     2    /* bad command line */
#define FMT_EXIT_CONNECT   3    /* cannot connect to jobqd */
#define FMT_EXIT_NOTFOUND  4    /* no such job */
#define FMT_EXIT_TIMEOUT   124  /* wait timed out */
#define FMT_EXIT_NOSTATUS  125  /* job ended without an exit status */

/* Exit status for a libjobq error code: JOBQ_ECONNECT -> 3, JOBQ_ENOTFOUND
 * -> 4, JOBQ_ETIMEDOUT -> 124, 0 -> 0, anything else -> 1. */
int fmt_err_status(int err);

/* Exit status that reflects an ended job: for a succeeded or failed job,
 * its exit code if it exited, 128+N if killed by signal N; else 125
 * (canceled, interrupted, worker lost, spawn failure, not ended). */
int fmt_job_status(const jobq_job *job);

/* Parses a duration: a non-negative decimal number (optionally with a
 * fraction) and an optional unit ms, s, m or h; no unit means seconds.
 * "500ms", "90s", "5m", "2h", "1.5s", "10".  Returns 0 and sets *ms, or -1
 * for empty, negative, malformed or overflowing input. */
int fmt_parse_duration(const char *s, int64_t *ms);

/* Parses a job id: a positive decimal integer, digits only.  0 or -1. */
int fmt_parse_id(const char *s, int64_t *id);

/* Parses a decimal integer in [0, max], digits only.  0 or -1. */
int fmt_parse_count(const char *s, long max, long *out);

/* Formats a span of milliseconds: "450ms", "1.5s", "12s", "3m12s",
 * "2h0m5s", "3d4h0m0s".  Negative spans are formatted as 0.  Returns buf. */
char *fmt_duration(int64_t ms, char *buf, size_t len);

/* Formats ms since the epoch as local "YYYY-MM-DD HH:MM:SS" (with_ms: plus
 * ".mmm"); 0 or an unrepresentable time gives "-".  Returns buf. */
#define FMT_TIME_LEN 32
char *fmt_time(int64_t ms, int with_ms, char *buf, size_t len);

/* Signal name such as "SIGKILL"; "SIGRTMIN+N" for real-time signals;
 * "SIG<N>" for unknown numbers.  Returns buf. */
#define FMT_SIG_LEN 24
char *fmt_signal_name(int sig, char *buf, size_t len);

/* A word quoted for a POSIX shell where needed: returned as is if it only
 * holds safe characters, else in '...' quotes, or as $'...' with escapes
 * when it holds control characters.  malloc'd; NULL when out of memory. */
char *fmt_shell_quote(const char *s);

/* argv[0..argc) each shell-quoted and joined with spaces; malloc'd. */
char *fmt_join_argv(char *const *argv, size_t argc);

/* Number of terminal columns a UTF-8 string takes (counts code points). */
size_t fmt_width(const char *s);

/* Aligned text tables: columns separated by two spaces, a header row, the
 * last column neither padded nor (when left-aligned) limited except by the
 * total width given to fmt_table_print. */
#define FMT_LEFT  0
#define FMT_RIGHT 1
struct fmt_table;
/* headers and align have ncols entries; align NULL = all left. */
struct fmt_table *fmt_table_new(size_t ncols, const char *const *headers,
    const int *align);
/* Adds a row of ncols cells (copied; NULL counts as "-").  0 or -1 (ENOMEM). */
int fmt_table_add(struct fmt_table *t, const char *const *cells);
/* Writes the table; width > 0 cuts the last column with "..." so that no
 * line is wider than width (the last column keeps at least 4 columns).
 * Returns 0, or -1 on a write error. */
int fmt_table_print(const struct fmt_table *t, FILE *out, size_t width);
void fmt_table_free(struct fmt_table *t);

#endif
