/*
 * hook_exec.c - `jobqd --hook UID GID UMASK CWD CMD`: the hook's own
 * process (hook.h), started by jobqd with uv_spawn in a session of its
 * own, with the hook's environment, stdin /dev/null and stdout/stderr on
 * jobqd's pipe.  It takes the identity (a fresh, one-threaded process, so
 * the ordinary NSS and credential calls are safe here): the user's groups
 * (initgroups from the passwd entry; only GID without one), gid, uid, each
 * read back; then the umask, the working directory entered as that user
 * (CWD, else $HOME, else /: never a directory the user could not reach
 * herself), and exec /bin/sh -c CMD.  Any failure is written to stderr
 * (jobqd logs it) and exits 127.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook.h"

/* A decimal id or umask from argv; -1 if not one. */
static long long
hook_exec_num(const char *s, int base, long long max)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, base);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > max)
		return -1;
	return v;
}

/* Switches to uid:gid with uid's groups; 0 or an errno. */
static int
hook_exec_ident(uid_t uid, gid_t gid)
{
	struct passwd *pw;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (geteuid() == uid && getegid() == gid)
		return 0;
	errno = 0;
	if ((pw = getpwuid(uid)) != NULL) {
		if (initgroups(pw->pw_name, gid) == -1)
			return errno;
	} else if (setgroups(1, &gid) == -1)
		return errno;
	if (setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1)
		return errno;
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return errno;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return EPERM;
	return 0;
}

int
hook_exec_main(int argc, char **argv)
{
	long long uid, gid, mask;
	const char *home;
	char *sh_argv[4];
	int e;

	if (argc != 5) {
		fprintf(stderr, "jobqd --hook: expected UID GID UMASK CWD CMD\n");
		return 127;
	}
	uid = hook_exec_num(argv[0], 10, (long long)UINT32_MAX - 1);
	gid = hook_exec_num(argv[1], 10, (long long)UINT32_MAX - 1);
	mask = hook_exec_num(argv[2], 8, 0777);
	if (uid < 0 || gid < 0 || mask < 0) {
		fprintf(stderr, "jobqd --hook: bad UID, GID or UMASK\n");
		return 127;
	}
	if ((e = hook_exec_ident((uid_t)uid, (gid_t)gid)) != 0) {
		fprintf(stderr, "jobqd --hook: cannot become uid %lld gid %lld: "
		    "%s\n", uid, gid, strerror(e));
		return 127;
	}
	(void)umask((mode_t)mask);
	if (argv[3][0] == '\0' || chdir(argv[3]) == -1) {
		home = getenv("HOME");
		if ((home == NULL || chdir(home) == -1) && chdir("/") == -1) {
			fprintf(stderr, "jobqd --hook: cannot enter /: %s\n",
			    strerror(errno));
			return 127;
		}
	}
	sh_argv[0] = (char *)"sh";
	sh_argv[1] = (char *)"-c";
	sh_argv[2] = argv[4];
	sh_argv[3] = NULL;
	execv("/bin/sh", sh_argv);
	fprintf(stderr, "jobqd --hook: cannot execute /bin/sh: %s\n",
	    strerror(errno));
	return 127;
}
