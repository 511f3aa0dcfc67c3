/*
 * top_curses.c - loads ncursesw for `jobq top` at run time (dlopen) and
 * fills the table of its functions and variables (top_curses.h).  The
 * library is the soname configure found (JOBQ_CURSES_SONAME, from the
 * DT_NEEDED of a program linked with ncursesw); the symbols are looked up
 * in it and in what it needs (libtinfo holds LINES, COLS, curs_set ...).
 */
#include "config.h"

#ifdef HAVE_CURSES

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "top_curses.h"

#define TOP_CURSES_SYM(field, name) { name, offsetof(struct top_curses, field) }

static const struct {
	const char *name;
	size_t off;		/* of a pointer in struct top_curses */
} top_curses_syms[] = {
	TOP_CURSES_SYM(scr, "stdscr"),
	TOP_CURSES_SYM(cur, "curscr"),
	TOP_CURSES_SYM(lines, "LINES"),
	TOP_CURSES_SYM(cols, "COLS"),
	TOP_CURSES_SYM(initscr, "initscr"),
	TOP_CURSES_SYM(endwin, "endwin"),
	TOP_CURSES_SYM(isendwin, "isendwin"),
	TOP_CURSES_SYM(cbreak, "cbreak"),
	TOP_CURSES_SYM(noecho, "noecho"),
	TOP_CURSES_SYM(nonl, "nonl"),
	TOP_CURSES_SYM(keypad, "keypad"),
	TOP_CURSES_SYM(curs_set, "curs_set"),
	TOP_CURSES_SYM(clearok, "clearok"),
	TOP_CURSES_SYM(wtimeout, "wtimeout"),
	TOP_CURSES_SYM(werase, "werase"),
	TOP_CURSES_SYM(wrefresh, "wrefresh"),
	TOP_CURSES_SYM(wgetch, "wgetch"),
	TOP_CURSES_SYM(wmove, "wmove"),
	TOP_CURSES_SYM(waddnstr, "waddnstr"),
	TOP_CURSES_SYM(waddch, "waddch"),
	TOP_CURSES_SYM(wattr_on, "wattr_on"),
	TOP_CURSES_SYM(wattr_off, "wattr_off"),
};

#define TOP_CURSES_NSYMS (sizeof(top_curses_syms) / sizeof(top_curses_syms[0]))

/* Every field is one pointer, each filled from the list above. */
_Static_assert(sizeof(struct top_curses) == TOP_CURSES_NSYMS * sizeof(void *),
    "top_curses_syms must name every field of struct top_curses");

static struct top_curses top_curses_table;
static int top_curses_loaded;

const struct top_curses *
top_curses_load(char *err, size_t errlen)
{
	const char *lib = JOBQ_CURSES_SONAME, *why;
	void *h, *p;
	size_t i;

	if (top_curses_loaded)
		return &top_curses_table;
	if ((h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load ncursesw (%s): %s", lib,
		    why != NULL ? why : "unknown error");
		return NULL;
	}
	for (i = 0; i < TOP_CURSES_NSYMS; i++) {
		(void)dlerror();
		/* stdscr and curscr are NULL until initscr(): their
		 * addresses are what is kept, never NULL when found */
		if ((p = dlsym(h, top_curses_syms[i].name)) == NULL) {
			why = dlerror();
			snprintf(err, errlen, "cannot load ncursesw (%s): %s", lib,
			    why != NULL ? why : top_curses_syms[i].name);
			(void)dlclose(h);
			return NULL;
		}
		/* a function pointer has a data pointer's size (POSIX) */
		memcpy((char *)&top_curses_table + top_curses_syms[i].off, &p,
		    sizeof(p));
	}
	top_curses_loaded = 1;
	return &top_curses_table;
}

#endif /* HAVE_CURSES */
