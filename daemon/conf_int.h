/*
 * conf_int.h - struct conf, shared by conf.c (lookups) and conf_parse.c
 * (the file's syntax).  Caps inside are -1 when a section does not set
 * them; resource limits CONF_UNSET.
 */
#ifndef JOBQD_CONF_INT_H
#define JOBQD_CONF_INT_H

#include "conf.h"

#define CONF_LIM_UNSET_INIT { \
	[0 ... CONF_RL_COUNT - 1] = { CONF_UNSET, CONF_UNSET } }

struct conf_hooks {           /* commands (hook.h); NULL: none */
	char *on_end;                 /* a job ended for good */
	char *on_drained;             /* a queue has no job left */
};

struct conf_user {            /* [user NAME] */
	uid_t uid;
	size_t line;                  /* of the section header */
	struct conf_caps caps;        /* over all queues */
	struct conf_lim rl[CONF_RL_COUNT];
};

struct conf_queue {           /* [queue NAME] */
	char *name;
	size_t line;                  /* of the section header */
	struct conf_caps user_caps;   /* each user's, in this queue */
	struct conf_lim rl[CONF_RL_COUNT];
	struct conf_hooks hooks;
};

struct conf {
	enum conf_visibility vis;
	enum conf_after after;
	int has_allow;                /* an allow list was given */
	uid_t *allow_users, *deny_users;
	size_t nallow_users, ndeny_users;
	gid_t *allow_groups, *deny_groups;
	size_t nallow_groups, ndeny_groups;
	gid_t admin_gid;              /* (gid_t)-1: none */
	struct conf_caps caps;        /* each user's, over all queues */
	struct conf_lim rl[CONF_RL_COUNT];
	struct conf_user *users;
	size_t nusers;
	struct conf_queue *queues;
	size_t nqueues;
	char *path;                   /* the file (NULL: conf_empty) */
	int socket_mode;              /* -1: not set */
	gid_t socket_gid;             /* (gid_t)-1: not set */
	struct conf_hooks hooks;      /* global: every queue's */
	struct conf_opt *opts;        /* daemon options (conf_options.c) */
	size_t nopts, cap_opts;
};

/*
 * conf_options.c: a global "key = value" that is not a policy key.  If key
 * is one of jobqd's options (options.h), its value is checked with the
 * command line's code and kept; global is 0 inside a [queue]/[user]
 * section.  Returns 1 if key is not an option, 0 if kept, JOBQ_EINVAL with
 * "PATH:LINE: ..." in err, JOBQ_ENOMEM.
 */
int conf_option_add(struct conf *c, const char *path, size_t line,
    int global, const char *key, const char *val, char *err, size_t errlen);
/* Frees c's options (from conf_free). */
void conf_options_free(struct conf *c);

#endif
