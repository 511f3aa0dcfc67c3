/*
 * cfg_parse.c - the syntax of jobq.conf (cfg.h): "key = value" lines, #
 * comments, the three keys and their values checked, every error naming
 * the file and line.  Pure: no I/O (cfg.c reads the files).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "proto.h"

#define CFG_MAX_LINE 4096

static int
cfg_err(char *err, size_t errlen, const char *path, size_t line,
    const char *what, const char *arg)
{
	char msg[CFG_MAX_LINE + 200];

	snprintf(msg, sizeof msg, what, arg);
	snprintf(err, errlen, "%s:%zu: %s", path, line, msg);
	return -1;
}

static char *
cfg_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One line (NUL-terminated, modified); seen: keys given so far (bits). */
static int
cfg_line(const char *path, size_t line, char *s, struct cfg *c,
    unsigned *seen, char *err, size_t errlen)
{
	static const char *const keys[] = { "socket", "queue", "color" };
	char *eq, *key, *val, *hash, *dup;
	const char *why;
	size_t k;

	if ((hash = strchr(s, '#')) != NULL)
		*hash = '\0';
	s = cfg_trim(s);
	if (*s == '\0')
		return 0;
	if ((eq = strchr(s, '=')) == NULL)
		return cfg_err(err, errlen, path, line,
		    "expected \"key = value\", not \"%s\"", s);
	*eq = '\0';
	key = cfg_trim(s);
	val = cfg_trim(eq + 1);
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strcmp(key, keys[k]) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0])
		return cfg_err(err, errlen, path, line, "unknown key \"%s\" "
		    "(socket, queue or color)", key);
	if (*seen & (1u << k))
		return cfg_err(err, errlen, path, line, "%s is given twice",
		    key);
	*seen |= 1u << k;
	if (*val == '\0')
		return cfg_err(err, errlen, path, line, "%s has no value", key);
	switch (k) {
	case 0:
		if (strlen(val) >= PATH_MAX)
			return cfg_err(err, errlen, path, line, "socket: path "
			    "too long%s", "");
		break;
	case 1:
		if ((why = proto_queue_name_check(val)) != NULL) {
			snprintf(err, errlen, "%s:%zu: queue: invalid queue "
			    "name '%s': it %s", path, line, val, why);
			return -1;
		}
		break;
	case 2:
		if (strcmp(val, "never") == 0)
			c->color = CFG_COLOR_NEVER;
		else if (strcmp(val, "always") == 0)
			c->color = CFG_COLOR_ALWAYS;
		else if (strcmp(val, "auto") == 0)
			c->color = CFG_COLOR_AUTO;
		else
			return cfg_err(err, errlen, path, line, "color must be "
			    "auto, always or never, not \"%s\"", val);
		return 0;
	}
	if ((dup = strdup(val)) == NULL)
		return -2;
	if (k == 0) {
		free(c->socket);
		c->socket = dup;
	} else {
		free(c->queue);
		c->queue = dup;
	}
	return 0;
}

int
cfg_parse(const char *path, const char *text, size_t len, struct cfg *c,
    char *err, size_t errlen)
{
	char buf[CFG_MAX_LINE + 1];
	const char *nl;
	size_t off = 0, n, line = 0;
	unsigned seen = 0;
	int r;

	while (off < len) {
		line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (n > CFG_MAX_LINE)
			return cfg_err(err, errlen, path, line, "line longer "
			    "than %s bytes", "4096");
		memcpy(buf, text + off, n);
		buf[n] = '\0';
		if (memchr(buf, '\0', n) != NULL)
			return cfg_err(err, errlen, path, line, "NUL byte in "
			    "the file%s", "");
		off += n + (nl != NULL);
		if ((r = cfg_line(path, line, buf, c, &seen, err, errlen)) != 0)
			return r;
	}
	return 0;
}

void
cfg_clear(struct cfg *c)
{
	free(c->socket);
	free(c->queue);
	c->socket = c->queue = NULL;
	c->color = CFG_COLOR_UNSET;
}
