/*
 * cfg.h - jobq.conf, the client's defaults (jobq(1), FILES): the user's
 * $XDG_CONFIG_HOME/jobq/jobq.conf (~/.config/jobq/jobq.conf) over the
 * system's SYSCONFDIR/jobq/jobq.conf, "key = value" lines:
 *
 *   socket = PATH               when neither -s nor JOBQ_SOCKET is given
 *   queue = NAME                submit's queue when --queue is not given
 *   color = auto|always|never   list's colours when neither --color nor
 *                               NO_COLOR is given
 *
 * The files are read only when a command first needs one of these values
 * (cfg_get), never by a command that has them all from its command line.
 */
#ifndef JOBQ_CFG_H
#define JOBQ_CFG_H

#include <stddef.h>

enum cfg_color { CFG_COLOR_UNSET = -1, CFG_COLOR_NEVER, CFG_COLOR_ALWAYS,
	CFG_COLOR_AUTO };

struct cfg {
	char *socket;           /* NULL: not set */
	char *queue;            /* NULL: not set */
	enum cfg_color color;
};

/*
 * Parses text (len bytes of the file path, named in messages) over *c:
 * the keys it gives replace c's.  0, or -1 with "PATH:LINE: what is wrong"
 * in err; -2 out of memory.
 */
int cfg_parse(const char *path, const char *text, size_t len, struct cfg *c,
    char *err, size_t errlen);

/* Frees c's strings and unsets its values. */
void cfg_clear(struct cfg *c);

/*
 * The configuration (both files, read at the first call only); 0, or an
 * exit status after reporting "jobq: CMD: FILE:LINE: what is wrong".  A
 * file that does not exist is no error.
 */
int cfg_get(const char *cmd, const struct cfg **out);

#endif
