/*
 * cfg.c - jobq.conf (cfg.h): the client's defaults file in its two places,
 * read once and only when a command needs a value (cfg_get); the syntax
 * is cfg_parse.c's.
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

#define CFG_MAX_FILE (64 * 1024)
#define CFG_ERR_MAX  (PATH_MAX + 4096 + 300)

/* Reads path over *c: 0 (also when it does not exist, cannot be opened
 * for want of permission or belongs to a user other than the caller and
 * root), else an exit status after reporting. */
static int
cfg_read(const char *cmd, const char *path, struct cfg *c)
{
	char err[CFG_ERR_MAX], *buf;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		/* absent, or in a home jobq cannot enter (sudo -u keeping
		 * HOME): not this user's file */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			return 0;
		snprintf(err, sizeof err, "cannot read it: %s",
		    strerror(errno));
		return cmd_report(cmd, path, JOBQ_EINVAL, err);
	}
	if (fstat(fd, &st) == 0 && st.st_uid != 0 && st.st_uid != geteuid()) {
		/* another user's (a HOME not the caller's): ignored */
		close(fd);
		return 0;
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
