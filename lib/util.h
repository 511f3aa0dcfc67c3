/*
 * util.h - the few helpers jobqd, jobq and libjobq share: clocks, the
 * duration and size grammars, vector growth and NULL-terminated string vectors.
 * Internal (built into libjobqproto), pure apart from reading the clock;
 * never prints, exits or aborts.
 */
#ifndef JOBQ_UTIL_H
#define JOBQ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds of clock clk (CLOCK_REALTIME: since the epoch); 0 if the
 * clock cannot be read. */
int64_t util_clock_ms(clockid_t clk);
/* util_clock_ms(CLOCK_REALTIME) and util_clock_ms(CLOCK_MONOTONIC). */
int64_t util_now_ms(void);
int64_t util_mono_ms(void);
/* Wall clock in microseconds since the epoch; 0 if unreadable. */
int64_t util_now_us(void);

/*
 * Parses a duration (DUR of jobq(1) and jobqd(8)): one or more parts
 * INTEGER UNIT, units d, h, m, s, ms, each at most once and from the
 * largest down ("1h30m", "2m30s500ms"); a lone number without a unit means
 * seconds ("10"); a duration of one part may have a fraction, kept to the
 * millisecond ("1.5s", "0.25").  Digits only otherwise: no sign, exponent,
 * hexadecimal or space.  Returns 0 and sets *ms, or -1 for empty, malformed
 * or overflowing input (*ms untouched).
 */
int util_parse_duration_ms(const char *s, int64_t *ms);

/*
 * Parses a size (SIZE of jobq(1) and jobqd(8)): a decimal integer of bytes,
 * optionally followed by one of the binary multipliers K, M, G, T (1024,
 * 1024^2, ...; lower case too), which may be followed by "B" or "iB"
 * ("512", "64K", "1G", "2MiB", "10kB").  No sign, space, fraction or
 * hexadecimal.  Returns 0 and sets *bytes, or -1 for empty, malformed or
 * overflowing input (*bytes untouched).
 */
int util_parse_size(const char *s, int64_t *bytes);

/*
 * Parses a number of CPUs (CPUS of jobq(1) and jobqd.conf(5)) into
 * milli-CPUs: a decimal number with at most three digits after the point
 * ("2", "1.5", "0.25", "0.001"), read without the locale.  No sign,
 * exponent, space, or point without digits on both sides.  Returns 0 and
 * sets *millis (which may be 0: the caller checks the bounds), or -1 for
 * empty, malformed or overflowing input (*millis untouched).
 */
int util_parse_cpus(const char *s, int64_t *millis);

/*
 * Makes room for `need` elements of elsize bytes in the vector *vp of
 * capacity *cap (elements): when need > *cap, grows it to at least need,
 * doubling from 8.  Returns 0, or -1 on overflow or allocation failure
 * (*vp and *cap then untouched).  vp is a pointer to the vector pointer.
 */
int util_grow(void *vp, size_t *cap, size_t need, size_t elsize);

/* Frees a NULL-terminated vector of malloc'd strings and the vector; NULL
 * is allowed. */
void util_strv_free(char **v);

#endif
