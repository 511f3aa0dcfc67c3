/*
 * fmt_table.c - display widths of UTF-8 text (wcwidth) and the aligned
 * tables of the jobq client, fitted into the terminal's width: columns
 * hidden by rank, then narrowed, never wrapped (fmt.h says how).  Pure
 * apart from the FILE it prints to and LC_CTYPE (fmt_table_locale), so it
 * is unit-tested in tests/check_fmt.c.
 */
#include "config.h"

#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "fmt.h"

#define FMT_TABLE_DOTS "..."

struct fmt_table {
	size_t ncols;
	size_t nrows;        /* including the header row */
	size_t cap;
	char **cells;        /* nrows * ncols */
	char **styles;       /* nrows * ncols, NULL entries: none */
	int *align;
	int *drop;           /* 0: always shown */
	size_t *minw;        /* 0: never narrowed */
	size_t *widths;      /* the widest cell of each column */
};

void
fmt_table_locale(void)
{
	static int done;
	const char *cs;

	if (done)
		return;
	done = 1;
	if (setlocale(LC_CTYPE, "") != NULL &&
	    (cs = nl_langinfo(CODESET)) != NULL &&
	    strcasecmp(cs, "UTF-8") == 0)
		return;
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "C");
}

/*
 * Decodes the UTF-8 character at s (s[0] != 0) into *cp; returns its
 * length, or 0 if the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included).
 */
static size_t
fmt_table_utf8(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* The cells of the character at s, and its length in *len (1 for a byte
 * that starts no valid character, which then counts 1 cell). */
static size_t
fmt_table_char(const char *s, size_t *len)
{
	uint32_t cp;
	int w;

	if ((*len = fmt_table_utf8((const unsigned char *)s, &cp)) == 0) {
		*len = 1;
		return 1;
	}
	if (cp < 0x80)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : (size_t)w;
}

size_t
fmt_width(const char *s)
{
	size_t w = 0, len;

	while (*s != '\0') {
		w += fmt_table_char(s, &len);
		s += len;
	}
	return w;
}

size_t
fmt_prefix_bytes(const char *s, size_t cols)
{
	size_t i = 0, w = 0, cw, len;

	while (s[i] != '\0') {
		cw = fmt_table_char(s + i, &len);
		if (w + cw > cols)
			break;
		w += cw;
		i += len;
	}
	/* combining marks (0 cells) that follow stay with their base */
	while (s[i] != '\0' && fmt_table_char(s + i, &len) == 0)
		i += len;
	return i;
}

void
fmt_table_free(struct fmt_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++) {
		free(t->cells[i]);
		free(t->styles[i]);
	}
	free(t->cells);
	free(t->styles);
	free(t->align);
	free(t->drop);
	free(t->minw);
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
	t->drop = calloc(ncols, sizeof(*t->drop));
	t->minw = calloc(ncols, sizeof(*t->minw));
	t->widths = calloc(ncols, sizeof(*t->widths));
	if (t->align == NULL || t->drop == NULL || t->minw == NULL ||
	    t->widths == NULL) {
		fmt_table_free(t);
		return NULL;
	}
	for (i = 0; i < ncols; i++)
		t->align[i] = align != NULL ? align[i] : FMT_LEFT;
	if (t->align[ncols - 1] == FMT_LEFT)
		t->minw[ncols - 1] = 4;
	if (fmt_table_add(t, headers) != 0) {
		fmt_table_free(t);
		return NULL;
	}
	return t;
}

void
fmt_table_col(struct fmt_table *t, size_t col, int drop, size_t minw)
{
	if (col >= t->ncols)
		return;
	t->drop[col] = drop > 0 ? drop : 0;
	t->minw[col] = minw;
}

int
fmt_table_add_styled(struct fmt_table *t, const char *const *cells,
    const char *const *styles)
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
		grown = realloc(t->styles, ncap * t->ncols * sizeof(char *));
		if (grown == NULL)
			return -1;
		t->styles = grown;
		t->cap = ncap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] != NULL ? cells[i] : "-");
		t->styles[base + i] = styles != NULL && styles[i] != NULL ?
		    strdup(styles[i]) : NULL;
		if (t->cells[base + i] == NULL || (styles != NULL &&
		    styles[i] != NULL && t->styles[base + i] == NULL)) {
			do {
				free(t->cells[base + i]);
				free(t->styles[base + i]);
			} while (i-- > 0);
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

int
fmt_table_add(struct fmt_table *t, const char *const *cells)
{
	return fmt_table_add_styled(t, cells, NULL);
}

/* Measures every column's widest cell. */
static void
fmt_table_measure(struct fmt_table *t)
{
	size_t r, c, wc;

	for (c = 0; c < t->ncols; c++)
		t->widths[c] = 0;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			wc = fmt_width(t->cells[r * t->ncols + c]);
			if (wc > t->widths[c])
				t->widths[c] = wc;
		}
}

/* The width of the columns shown (w[c], 0 = hidden) with their gaps. */
static size_t
fmt_table_total(const struct fmt_table *t, const size_t *w, const int *shown)
{
	size_t c, total = 0, n = 0;

	for (c = 0; c < t->ncols; c++)
		if (shown[c]) {
			total += w[c];
			n++;
		}
	return total + (n > 0 ? 2 * (n - 1) : 0);
}

/* The narrowest column c may become: its minimum, never below its header
 * (0 minimum: it never narrows). */
static size_t
fmt_table_floor(const struct fmt_table *t, size_t c)
{
	size_t hw = fmt_width(t->cells[c]);

	if (t->minw[c] == 0)
		return t->widths[c];
	if (hw > t->widths[c])
		hw = t->widths[c];
	return t->minw[c] > hw ? (t->minw[c] < t->widths[c] ? t->minw[c] :
	    t->widths[c]) : hw;
}

/*
 * Decides which columns show, and how wide, for width (0: no limit).
 * Columns are hidden only while the table does not fit even with every
 * column that may narrow at its narrowest; then those columns narrow,
 * the last first, as far as needed.
 */
static void
fmt_table_fit(const struct fmt_table *t, size_t width, size_t *w, int *shown)
{
	size_t c, total, over, cut, min;
	int best;

	for (c = 0; c < t->ncols; c++) {
		w[c] = fmt_table_floor(t, c);
		shown[c] = 1;
	}
	if (width > 0)
		while (fmt_table_total(t, w, shown) > width) {
			best = -1;
			for (c = 0; c < t->ncols; c++)
				if (shown[c] && t->drop[c] > 0 && (best < 0 ||
				    t->drop[c] >= t->drop[best]))
					best = (int)c;
			if (best < 0)
				break;
			shown[best] = 0;
		}
	for (c = 0; c < t->ncols; c++)
		w[c] = t->widths[c];
	if (width == 0)
		return;
	total = fmt_table_total(t, w, shown);
	/* narrow: the last column first, then right to left */
	for (c = t->ncols; c-- > 0 && total > width;) {
		if (!shown[c] || t->minw[c] == 0)
			continue;
		min = fmt_table_floor(t, c);
		if (w[c] <= min)
			continue;
		over = total - width;
		cut = w[c] - min < over ? w[c] - min : over;
		w[c] -= cut;
		total -= cut;
	}
}

static int
fmt_table_pad(FILE *out, size_t n)
{
	while (n-- > 0)
		if (putc(' ', out) == EOF)
			return -1;
	return 0;
}

/* Writes one cell in avail cells, cut with "..." when it does not fit;
 * *used gets the cells written. */
static int
fmt_table_cell(FILE *out, const char *cell, const char *style, size_t avail,
    size_t *used)
{
	size_t w = fmt_width(cell), nb;

	if (style != NULL && fprintf(out, "\033[%sm", style) < 0)
		return -1;
	if (w <= avail) {
		if (fputs(cell, out) == EOF)
			return -1;
		*used = w;
	} else if (avail < sizeof(FMT_TABLE_DOTS)) {
		nb = fmt_prefix_bytes(cell, avail);
		if (fwrite(cell, 1, nb, out) != nb)
			return -1;
		*used = fmt_width(cell) - fmt_width(cell + nb);
	} else {
		nb = fmt_prefix_bytes(cell, avail - 3);
		if (fwrite(cell, 1, nb, out) != nb ||
		    fputs(FMT_TABLE_DOTS, out) == EOF)
			return -1;
		*used = fmt_width(cell) - fmt_width(cell + nb) + 3;
	}
	if (style != NULL && fputs("\033[0m", out) == EOF)
		return -1;
	return 0;
}

/* Writes row r: the columns shown, each in w[c] cells, the line cut at
 * width (0: not); no padding after the last column. */
static int
fmt_table_row(const struct fmt_table *t, FILE *out, size_t r,
    const size_t *w, const int *shown, size_t width, int color)
{
	size_t c, last = 0, pos = 0, cw, avail, used;
	const char *cell, *style;

	for (c = 0; c < t->ncols; c++)
		if (shown[c])
			last = c;
	for (c = 0; c < t->ncols; c++) {
		if (!shown[c])
			continue;
		cell = t->cells[r * t->ncols + c];
		style = color ? t->styles[r * t->ncols + c] : NULL;
		cw = fmt_width(cell);
		if (pos > 0) {
			if (width > 0 && pos + 2 >= width)
				break;
			if (fputs("  ", out) == EOF)
				return -1;
			pos += 2;
		}
		avail = w[c];
		if (width > 0 && pos + avail > width)
			avail = width - pos;
		if (t->align[c] == FMT_RIGHT && cw < avail) {
			if (fmt_table_pad(out, avail - cw) != 0)
				return -1;
			pos += avail - cw;
			avail = cw;
		}
		if (fmt_table_cell(out, cell, style, avail, &used) != 0)
			return -1;
		pos += used;
		if (t->align[c] == FMT_LEFT && c != last && used < avail) {
			if (fmt_table_pad(out, avail - used) != 0)
				return -1;
			pos += avail - used;
		}
	}
	return putc('\n', out) == EOF ? -1 : 0;
}

int
fmt_table_print_color(const struct fmt_table *t, FILE *out, size_t width,
    int color)
{
	size_t *w, r;
	int *shown, rc = 0;

	w = calloc(t->ncols, sizeof(*w));
	shown = calloc(t->ncols, sizeof(*shown));
	if (w == NULL || shown == NULL) {
		free(w);
		free(shown);
		return -1;
	}
	/* the widths in cells, measured now that LC_CTYPE knows them */
	fmt_table_locale();
	fmt_table_measure((struct fmt_table *)t);
	fmt_table_fit(t, width, w, shown);
	for (r = 0; rc == 0 && r < t->nrows; r++)
		rc = fmt_table_row(t, out, r, w, shown, width, color);
	free(w);
	free(shown);
	return rc;
}

int
fmt_table_print(const struct fmt_table *t, FILE *out, size_t width)
{
	return fmt_table_print_color(t, out, width, 0);
}
