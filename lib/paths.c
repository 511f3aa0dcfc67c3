/*
 * paths.c - default locations of jobqd's socket and state directory, shared
 * by the daemon and libjobq so that both agree without configuration (see
 * paths.h for the rules).  Reads the environment; keeps no state.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "paths.h"

/* configure's runstatedir and localstatedir (Makefile.am passes them):
 * /run/jobq and /var/lib/jobq with --runstatedir=/run --localstatedir=/var */
#define PATHS_SYS_SOCKET RUNSTATEDIR "/jobq/jobqd.sock"
#define PATHS_SYS_STATE  LOCALSTATEDIR "/lib/jobq"
#define PATHS_SYS_CONF   SYSCONFDIR "/jobq"

/* An environment variable holding an absolute path, else NULL. */
static const char *
paths_env_abs(const char *name)
{
	const char	*v;

	v = getenv(name);
	if (v == NULL || v[0] != '/')
		return NULL;
	return v;
}

/* snprintf into buf; JOBQ_EINVAL when it does not fit. */
static int
paths_format(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
paths_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (buf == NULL || len == 0)
		return JOBQ_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return JOBQ_EINVAL;
	}
	return 0;
}

int
paths_system_mode(void)
{
	return geteuid() == 0;
}

int
paths_socket(char *buf, size_t len)
{
	const char	*v;

	v = getenv("JOBQ_SOCKET");
	if (v != NULL && v[0] != '\0')
		return paths_format(buf, len, "%s", v);
	if (paths_system_mode())
		return paths_format(buf, len, "%s", PATHS_SYS_SOCKET);
	if ((v = paths_env_abs("XDG_RUNTIME_DIR")) != NULL)
		return paths_format(buf, len, "%s/jobq/jobqd.sock", v);
	return paths_format(buf, len, "/tmp/jobq-%lu/jobqd.sock",
	    (unsigned long)getuid());
}

/* The user's home directory from the password database, into buf. */
static int
paths_pw_home(char *buf, size_t len)
{
	struct passwd	 pw, *res = NULL;
	char		*tmp;
	long		 sz;
	int		 rc, e;

	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	if (sz <= 0)
		sz = 16384;
	for (;;) {
		if ((tmp = malloc((size_t)sz)) == NULL)
			return JOBQ_ENOMEM;
		e = getpwuid_r(getuid(), &pw, tmp, (size_t)sz, &res);
		if (e == ERANGE && sz < (1L << 20)) {
			free(tmp);
			sz *= 2;
			continue;
		}
		break;
	}
	if (e != 0 || res == NULL || pw.pw_dir == NULL ||
	    pw.pw_dir[0] != '/')
		rc = JOBQ_EINVAL;
	else
		rc = paths_format(buf, len, "%s", pw.pw_dir);
	free(tmp);
	return rc;
}

int
paths_state_dir(char *buf, size_t len)
{
	const char	*v;
	char		 home[4096];

	if (paths_system_mode())
		return paths_format(buf, len, "%s", PATHS_SYS_STATE);
	if ((v = paths_env_abs("XDG_STATE_HOME")) != NULL)
		return paths_format(buf, len, "%s/jobq", v);
	if ((v = paths_env_abs("HOME")) == NULL) {
		if (paths_pw_home(home, sizeof(home)) != 0)
			return JOBQ_EINVAL;
		v = home;
	}
	return paths_format(buf, len, "%s/.local/state/jobq", v);
}

int
paths_config(char *buf, size_t len, const char *name, int system)
{
	const char	*v;
	char		 home[4096];

	if (system)
		return paths_format(buf, len, "%s/%s", PATHS_SYS_CONF, name);
	if ((v = paths_env_abs("XDG_CONFIG_HOME")) != NULL)
		return paths_format(buf, len, "%s/jobq/%s", v, name);
	if ((v = paths_env_abs("HOME")) == NULL) {
		if (paths_pw_home(home, sizeof(home)) != 0)
			return JOBQ_EINVAL;
		v = home;
	}
	return paths_format(buf, len, "%s/.config/jobq/%s", v, name);
}

/*
 * A socket path is trusted when its directory is owned by the caller or by
 * root and, if others may write to it, is sticky (like /tmp), and the socket
 * itself, if it exists, is owned by the caller or by root.  Otherwise
 * another user could have put a socket of theirs at the path (for example
 * by creating /tmp/jobq-UID first) and would receive every job, environment
 * included.
 */
int
paths_check_socket(const char *path, int check_socket)
{
	char		 dir[4096], *slash;
	struct stat	 st;
	uid_t		 me = geteuid();

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return ENAMETOOLONG;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (lstat(dir, &st) != 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (st.st_uid != me && st.st_uid != 0)
		return EPERM;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st.st_mode & S_ISVTX) == 0)
		return EPERM;
	if (!check_socket)
		return 0;
	if (lstat(path, &st) != 0)
		return errno;
	if (st.st_uid != me && st.st_uid != 0)
		return EPERM;
	return 0;
}
