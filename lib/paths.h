/*
 * paths.h - default locations of the socket and the state directory, shared
 * by jobqd and libjobq so that both agree without configuration.
 *
 *   root:   socket RUNSTATEDIR/jobq/jobqd.sock, state LOCALSTATEDIR/lib/jobq
 *             (configure's runstatedir and localstatedir: /run/jobq and
 *             /var/lib/jobq with --runstatedir=/run --localstatedir=/var)
 *   user:   socket $XDG_RUNTIME_DIR/jobq/jobqd.sock
 *             (without XDG_RUNTIME_DIR: /tmp/jobq-UID/jobqd.sock)
 *           state  $XDG_STATE_HOME/jobq, else $HOME/.local/state/jobq
 *   JOBQ_SOCKET overrides the socket for daemon and client alike.
 */
#ifndef JOBQ_PATHS_H
#define JOBQ_PATHS_H
#include <stddef.h>

/* Each writes a NUL-terminated path into buf; returns 0, or JOBQ_EINVAL if it
 * does not fit or cannot be determined (no HOME for the state dir). */
int paths_socket(char *buf, size_t len);
int paths_state_dir(char *buf, size_t len);
/* 1 when running as root (system-wide defaults), else 0. */
int paths_system_mode(void);

/*
 * A configuration file's path: with system set, SYSCONFDIR/jobq/NAME
 * (configure's sysconfdir: /etc/jobq with --sysconfdir=/etc); else the
 * user's, $XDG_CONFIG_HOME/jobq/NAME (an absolute XDG_CONFIG_HOME only),
 * else ~/.config/jobq/NAME.  0, or JOBQ_EINVAL (no home, too long).
 */
int paths_config(char *buf, size_t len, const char *name, int system);

/*
 * 0 if the socket at path can be trusted: its directory is owned by us or
 * root and not writable by others unless sticky, and (with check_socket) the
 * socket is owned by us or root.  Else a positive errno: EPERM when another
 * user could control the path; ENOENT etc. from lstat.
 */
int paths_check_socket(const char *path, int check_socket);

#endif
