/*
 * fmt.h - formatting and parsing helpers of the jobq command-line client:
 * durations, times, ids and counts, job references (ID, A.I), --after,
 * --array and --label arguments, local times, shell quoting, signal names,
 * exit-status mapping and aligned tables.  Everything here is pure (no
 * daemon, no global state, no libjobq calls) apart from the use of the local
 * time zone by the time functions and fmt_table_print's FILE output, so it
 * is unit-tested in tests/check_fmt.c.
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

/* Exit status that reflects an ended job: for a succeeded, failed or
 * timed-out job, its exit code if it exited, 128+N if killed by signal N;
 * else 125 (canceled, interrupted, worker lost, spawn failure, not ended).
 * A timed-out job that exited 0 (it caught the TERM) also gives 125, so
 * that a timed-out job never looks successful. */
int fmt_job_status(const jobq_job *job);

/* Parses a time for --at, given the current time now_ms (ms since the
 * epoch):
 *   YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], optionally followed by
 *   "Z", "+HH:MM" / "-HH:MM" (or +HHMM): with a zone, that exact instant;
 *   without one, local time (mktime);
 *   HH:MM[:SS]: the next such local time: today if later than now_ms, else
 *   tomorrow.
 * Fields are range-checked (month 1-12, day within the month, hour 0-23,
 * minute and second 0-59, year 1970-9999).  Returns 0 and sets *ms (which
 * may lie in the past, and is negative only before the epoch), or -1. */
int fmt_parse_time(const char *s, int64_t now_ms, int64_t *ms);

/* Parses a signed decimal integer in [min, max]: an optional '-' or '+'
 * and digits only.  0 or -1. */
int fmt_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/* A job reference: "ID" (a job, or a whole array) or "A.I" (the task with
 * index I of array A). */
struct fmt_ref {
	int64_t id;         /* the job id, or the array id A */
	int64_t index;      /* I, when has_index */
	int has_index;
};
/* Parses "ID" (positive) or "A.I" (A positive, I >= 0), digits only.
 * 0 or -1. */
int fmt_parse_ref(const char *s, struct fmt_ref *ref);
/* Formats a reference as "ID" or "A.I".  Returns buf. */
#define FMT_REF_LEN 48
char *fmt_ref(const struct fmt_ref *ref, char *buf, size_t len);

/* One dependency of --after: a reference and a mode. */
struct fmt_after {
	struct fmt_ref ref;
	jobq_dep_mode mode;
};
/* Parses "[ok:|notok:|any:]REF[,REF...]" (the mode, default ok, applies to
 * every REF of the list) and appends the entries to out[*n..max).  Returns
 * 0; -1 if malformed (empty list or element, bad mode or REF); -2 if the
 * entries would not fit (more than max in all).  On failure *n and out are
 * left as they were. */
int fmt_parse_after(const char *s, struct fmt_after *out, size_t max,
    size_t *n);
/* "ok", "notok", "any" ("?" if out of range). */
const char *fmt_dep_mode(jobq_dep_mode mode);

/* An --array argument. */
struct fmt_array {
	int64_t first, step, count;
	int throttle;       /* 0 = no limit */
};
/* Parses "FIRST-LAST[:STEP][%K]" (indices FIRST, FIRST+STEP, ... up to
 * LAST) or "N" (one task, index N).  FIRST, LAST >= 0, LAST >= FIRST,
 * STEP >= 1, K >= 0 (0 = no limit), at most JOBQ_MAX_ARRAY tasks; digits
 * only.  0 or -1. */
int fmt_parse_array(const char *s, struct fmt_array *a);

/* Checks a label "K=V": K non-empty and without '=', at most JOBQ_MAX_LABEL
 * bytes in all.  0 or -1. */
int fmt_parse_label(const char *s);

/* Parses a job id: a positive decimal integer, digits only.  0 or -1. */
int fmt_parse_id(const char *s, int64_t *id);

/* Parses a decimal integer in [0, max], digits only.  0 or -1. */
int fmt_parse_count(const char *s, long max, long *out);

/* Formats a span of milliseconds: "450ms", "1.5s", "12s", "3m12s",
 * "2h0m5s", "3d4h0m0s".  Negative spans are formatted as 0.  Returns buf. */
char *fmt_duration(int64_t ms, char *buf, size_t len);

/* Formats a size in bytes: "512", "64K", "1G", "3T" (the largest binary
 * unit that divides it exactly), as util_parse_size reads it.  Returns
 * buf. */
char *fmt_size(int64_t bytes, char *buf, size_t len);

/* Formats milli-CPUs as a number of CPUs: "2", "1.5", "0.001" (as
 * util_parse_cpus reads it).  Returns buf. */
char *fmt_cpus(int64_t millis, char *buf, size_t len);

/* Formats a job's resource limits as "mem 1G, cpu-time 1m0s, nofile 64,
 * nproc 100, core 0, nice 5, cpus 1.5" (those set, in that order), or "-"
 * when none is.  Returns buf. */
#define FMT_LIMITS_LEN 160
char *fmt_limits(const jobq_limits *l, char *buf, size_t len);

/* Formats ms since the epoch as local "YYYY-MM-DD HH:MM:SS" (with_ms: plus
 * ".mmm"); 0 or an unrepresentable time gives "-".  Returns buf. */
#define FMT_TIME_LEN 32
char *fmt_time(int64_t ms, int with_ms, char *buf, size_t len);

/* Formats ms since the epoch as local "HH:MM:SS" (with_ms: plus ".mmm");
 * 0 or an unrepresentable time gives "-".  Returns buf. */
char *fmt_clock(int64_t ms, int with_ms, char *buf, size_t len);

/* A short local time for `when` as seen at now_ms: "HH:MM:SS" if both fall
 * on the same local day, else "YYYY-MM-DD HH:MM:SS".  Returns buf. */
char *fmt_when(int64_t when, int64_t now_ms, char *buf, size_t len);

/* The distance from now_ms to `when`, in whole seconds from one second on:
 * "in 4m59s", "12s ago", "in 450ms", "now" (equal).  Returns buf. */
#define FMT_REL_LEN 48
char *fmt_relative(int64_t when, int64_t now_ms, char *buf, size_t len);

/* The distance from now_ms to `when` for a table, in its two largest
 * units at most: "12s ago", "3m ago", "1h29m ago", "2d4h ago", "in 5m",
 * "in 1h29m"; "now" within a second.  Returns buf. */
char *fmt_ago(int64_t when, int64_t now_ms, char *buf, size_t len);

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

/* Tables and display widths: fmt_table.c. */

/* Number of terminal cells a UTF-8 string takes: wcwidth(3) of each code
 * point (2 for East Asian wide characters, 0 for combining marks), 1 for
 * a byte that is not valid UTF-8 or a character wcwidth does not know.
 * Needs a UTF-8 LC_CTYPE for the wide characters (fmt_table_locale). */
size_t fmt_width(const char *s);
/* Byte length of the longest prefix of s that takes at most cols cells
 * (never splitting a character). */
size_t fmt_prefix_bytes(const char *s, size_t cols);
/* Sets LC_CTYPE from the environment, or to C.UTF-8 if that is not a
 * UTF-8 locale, so that fmt_width() knows wide characters.  Once (later
 * calls do nothing); jobq calls it only where it lays out text, so that a
 * submit does not read the locale files. */
void fmt_table_locale(void);

/* Aligned text tables: columns separated by two spaces, a header row.
 * fmt_table_print() fits the table into a width: it first hides the
 * columns that may be dropped (fmt_table_col(): highest drop rank first,
 * the rightmost among equals), then narrows the columns that may shrink
 * (the last column first, then right to left), cutting their cells with
 * "...", and finally cuts any line still too wide: no line is ever wider
 * than the width, and none wraps. */
#define FMT_LEFT  0
#define FMT_RIGHT 1
struct fmt_table;
/* headers and align have ncols entries; align NULL = all left.  The last
 * column, if left-aligned, may shrink to 4 cells; the others are kept
 * whole unless fmt_table_col() says otherwise. */
struct fmt_table *fmt_table_new(size_t ncols, const char *const *headers,
    const int *align);
/* Column col may be hidden when the width is short (drop > 0: the
 * higher, the sooner) and narrowed down to minw cells (0: never). */
void fmt_table_col(struct fmt_table *t, size_t col, int drop, size_t minw);
/* Adds a row of ncols cells (copied; NULL counts as "-").  0 or -1 (ENOMEM). */
int fmt_table_add(struct fmt_table *t, const char *const *cells);
/* The same with an SGR colour per cell ("32" for green; NULL: none),
 * used only when printing with colour. */
int fmt_table_add_styled(struct fmt_table *t, const char *const *cells,
    const char *const *styles);
/* Writes the table fitted into width cells (0: no limit), with colours
 * (SGR sequences around the cells' text, not counted in the width) if
 * color is set; the cells are measured then, after fmt_table_locale().
 * Returns 0, or -1 on a write error. */
int fmt_table_print_color(const struct fmt_table *t, FILE *out,
    size_t width, int color);
/* fmt_table_print_color() without colours. */
int fmt_table_print(const struct fmt_table *t, FILE *out, size_t width);
void fmt_table_free(struct fmt_table *t);

#endif
