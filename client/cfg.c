/*
 * cfg.c - jobq.conf (cfg.h): the client's defaults file, its syntax
 * (cfg_parse: "key = value", # comments, errors with file:line) and its
 * two places, read once and only when a command needs a value (cfg_get).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobq.h"
#include "cfg.h"
#include "cmd-int.h"
#include "paths.h"
#include "proto.h"

#define CFG_MAX_FILE (64 * 1024)
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

/* Reads path over *c: 0 (also when it does not exist), else an exit status
 * after reporting. */
static int
cfg_read(const char *cmd, const char *path, struct cfg *c)
{
	char err[PATH_MAX + CFG_MAX_LINE + 300], *buf;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, sizeof err, "cannot read it: %s",
		    strerror(errno));
		return cmd_report(cmd, path, JOBQ_EINVAL, err);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CFG_MAX_FILE) {
		close(fd);
		return cmd_report(cmd, path, JOBQ_EINVAL, "not a regular file "
		    "of at most 64 KiB");
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return cmd_nomem(cmd);
	}
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		free(buf);
		return cmd_report(cmd, path, JOBQ_EINVAL, "changed while being "
		    "read");
	}
	r = cfg_parse(path, buf, len, c, err, sizeof err);
	free(buf);
	if (r == -2)
		return cmd_nomem(cmd);
	if (r != 0)
		return cmd_report(cmd, NULL, JOBQ_EINVAL, err);
	return 0;
}

int
cfg_get(const char *cmd, const struct cfg **out)
{
	static struct cfg cfg = { NULL, NULL, CFG_COLOR_UNSET };
	static int loaded;
	char path[PATH_MAX];
	int rc;

	if (!loaded) {
		/* the system's first: the user's keys replace its */
		if (paths_config(path, sizeof path, "jobq.conf", 1) == 0 &&
		    (rc = cfg_read(cmd, path, &cfg)) != 0)
			return rc;
		if (paths_config(path, sizeof path, "jobq.conf", 0) == 0 &&
		    (rc = cfg_read(cmd, path, &cfg)) != 0)
			return rc;
		loaded = 1;
	}
	*out = &cfg;
	return 0;
}
