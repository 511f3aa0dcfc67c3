/*
 * conf.h - jobqd's configuration file (jobqd.conf(5)): who may use a
 * shared jobqd, what users see of each other's jobs, per-user caps on jobs
 * and per-job resource limits, by queue and by user.
 *
 * The file is read once at start-up (conf_load) and again on SIGHUP; a
 * struct conf is immutable once built and is swapped whole, so readers on
 * the loop thread keep a pointer for the length of one request only.
 * Without a file every function below answers for the empty configuration:
 * everyone the socket lets in may submit, limited visibility, no caps, no
 * resource limits.
 *
 * Lookups are pure (no I/O, no clock): user and group names were resolved
 * to ids when the file was loaded; the groups of a uid are the caller's to
 * give (conf_user_groups does the NSS lookup, once per connection).
 *
 * Precedence of a setting that several sections give: [user NAME] over
 * [queue NAME] over the global section (the most specific wins).
 */
#ifndef JOBQD_CONF_H
#define JOBQD_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conf;

/* What a user sees of another user's job. */
enum conf_visibility {
	CONF_VIS_LIMITED = 0,  /* id, user, queue, state and times only (default) */
	CONF_VIS_FULL,         /* everything but the output */
	CONF_VIS_PRIVATE       /* nothing: other users' jobs are not listed */
};

/* --after / dependencies on another user's job. */
enum conf_after {
	CONF_AFTER_ALLOW = 0,  /* allowed; only the state is used (default) */
	CONF_AFTER_DENY        /* refused with JOBQ_EPERM */
};

/* Per-job resource limits, in the order of enum conf_rlimit. */
enum conf_rlimit {
	CONF_RL_MEM,       /* bytes: RLIMIT_AS, and memory.max in cgroup mode */
	CONF_RL_CPU,       /* seconds of CPU time: RLIMIT_CPU */
	CONF_RL_NOFILE,    /* open files: RLIMIT_NOFILE */
	CONF_RL_NPROC,     /* processes of the job's user: RLIMIT_NPROC, and
	                      pids.max in cgroup mode */
	CONF_RL_CORE,      /* bytes of core file: RLIMIT_CORE */
	CONF_RL_NICE,      /* nice value, -20..19 (setpriority) */
	CONF_RL_CPUS,      /* milli-CPUs: cpu.max in cgroup mode only */
	CONF_RL_COUNT
};

/* A value a configuration does not set. */
#define CONF_UNSET INT64_MIN

/* One resource's default and bound; CONF_UNSET = not set.  For
 * CONF_RL_NICE, max is the lowest nice value a submit may ask for (unset:
 * 0 for users other than root, who may ask for any); for the others, the
 * highest limit. */
struct conf_lim {
	int64_t def;
	int64_t max;
};

/* Caps on one user's jobs in a scope; 0 = no cap. */
struct conf_caps {
	int64_t queued;    /* jobs queued (not yet running) */
	int64_t running;   /* jobs running at once */
};

/* A daemon option set in the global section ("workers = 4"): jobqd's
 * command-line options (options.h) by the same names, checked when the
 * file is read. */
struct conf_opt {
	char *name;
	char *value;
	size_t line;
};

/* The daemon options c sets, in the file's order (*out NULL if none). */
size_t conf_options(const struct conf *c, const struct conf_opt **out);

/* The empty configuration (never NULL; static, not to be freed). */
const struct conf *conf_empty(void);

/* Parses text (len bytes, the contents of the file named path, which is
 * used in messages only) into *out.  Returns 0, or JOBQ_EINVAL with
 * "PATH:LINE: what is wrong" in err (errlen bytes); JOBQ_ENOMEM. */
int conf_parse(const char *path, const char *text, size_t len,
    struct conf **out, char *err, size_t errlen);

/* Reads path and conf_parse()s it.  The file must be a regular file owned
 * by root or the daemon's uid and not writable by group or others
 * (opened O_NOFOLLOW).  Returns 0, JOBQ_EINVAL / JOBQ_EPERM /
 * JOBQ_ENOTFOUND (no file) / JOBQ_ENOMEM with a message in err. */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);
/* The same, but with root_ok 0 the file must be owned by jobqd's uid (the
 * per-user file, $XDG_CONFIG_HOME/jobq/jobqd.conf). */
int conf_load_owned(const char *path, int root_ok, struct conf **out,
    char *err, size_t errlen);

/* Frees what conf_parse / conf_load made; conf_empty() and NULL are fine. */
void conf_free(struct conf *c);

/* The groups of uid (primary and supplementary, from NSS), into groups
 * (at most *ngroups; *ngroups gets the count).  0, or JOBQ_ENOTFOUND (no
 * such user) / JOBQ_ENOMEM. */
int conf_user_groups(uid_t uid, gid_t *groups, int *ngroups);

/* May uid (a member of groups[0..ngroups)) use the daemon?  Root always
 * may; a user in a deny list may not; with allow lists, only those in one
 * may.  1 or 0. */
int conf_allowed(const struct conf *c, uid_t uid, const gid_t *groups,
    int ngroups);

/* Is uid an administrator: root, or a member of the admin group? */
int conf_admin(const struct conf *c, uid_t uid, const gid_t *groups,
    int ngroups);

/* Why conf_allowed() refuses uid: the rule that refuses it ("deny-users",
 * "deny-groups", or "allow-users/allow-groups" for one not in an allow
 * list), for messages; NULL if uid is allowed. */
const char *conf_refusal(const struct conf *c, uid_t uid,
    const gid_t *groups, int ngroups);

/* admin-group; (gid_t)-1 if none. */
gid_t conf_admin_group(const struct conf *c);

/* The file c was read from; NULL for conf_empty(). */
const char *conf_path(const struct conf *c);

/* socket-mode (-1: not set) and socket-group ((gid_t)-1: not set). */
int conf_socket_mode(const struct conf *c);
gid_t conf_socket_group(const struct conf *c);

/* A one-line summary of c for the log ("2 allowed users, ..."). */
void conf_describe(const struct conf *c, char *buf, size_t len);

enum conf_visibility conf_visibility(const struct conf *c);
enum conf_after conf_after(const struct conf *c);

/* Caps on uid's jobs over all queues, and in queue. */
void conf_caps_global(const struct conf *c, uid_t uid, struct conf_caps *out);
void conf_caps_queue(const struct conf *c, uid_t uid, const char *queue,
    struct conf_caps *out);

/* The configured hook commands (hook.h) of queue: its [queue] section's,
 * else the global one; NULL if neither is set. */
enum conf_hook_kind { CONF_HOOK_END, CONF_HOOK_DRAINED };
const char *conf_hook(const struct conf *c, const char *queue,
    enum conf_hook_kind kind);
/* Whether any queue or the global section sets a hook of that kind. */
int conf_has_hook(const struct conf *c, enum conf_hook_kind kind);

/* The resource limits that apply to uid's jobs in queue. */
void conf_rlimits(const struct conf *c, uid_t uid, const char *queue,
    struct conf_lim out[CONF_RL_COUNT]);

#endif
