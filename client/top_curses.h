/*
 * top_curses.h - the ncursesw functions and variables `jobq top` uses,
 * reached through a table of pointers that top_curses.c fills with
 * dlopen() and dlsym() when top runs: jobq is not linked with ncursesw,
 * so no other command pays for loading it and libtinfo at each start.
 *
 * <curses.h> is included for its types and constants only (WINDOW,
 * A_BOLD, KEY_UP, ERR, TRUE).  Its macros that stand for a function or
 * a variable (refresh, getch, attron, mvaddnstr, LINES, stdscr ...) must
 * not be used: each would link ncursesw again.  Call the w* functions
 * through the table and read the variables through its pointers.
 */
#ifndef JOBQ_TOP_CURSES_H
#define JOBQ_TOP_CURSES_H

#include <curses.h>

/* The types are those of <curses.h>, taken with __typeof__. */
struct top_curses {
	WINDOW	**scr;			/* stdscr */
	WINDOW	**cur;			/* curscr */
	int	 *lines;		/* LINES */
	int	 *cols;			/* COLS */
	__typeof__(initscr)	*initscr;
	__typeof__(endwin)	*endwin;
	__typeof__(isendwin)	*isendwin;
	__typeof__(cbreak)	*cbreak;
	__typeof__(noecho)	*noecho;
	__typeof__(nonl)	*nonl;
	__typeof__(keypad)	*keypad;
	__typeof__(curs_set)	*curs_set;
	__typeof__(clearok)	*clearok;
	__typeof__(wtimeout)	*wtimeout;
	__typeof__(werase)	*werase;
	__typeof__(wrefresh)	*wrefresh;
	__typeof__(wgetch)	*wgetch;
	__typeof__(wmove)	*wmove;
	__typeof__(waddnstr)	*waddnstr;
	__typeof__(waddch)	*waddch;
	__typeof__(wattr_on)	*wattr_on;
	__typeof__(wattr_off)	*wattr_off;
};

/*
 * Loads ncursesw (once; it stays loaded) and returns the filled table, or
 * NULL with a one-line reason naming the library and dlerror()'s words
 * in err.
 */
const struct top_curses *top_curses_load(char *err, size_t errlen);

#endif
