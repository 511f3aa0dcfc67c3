/*
 * conf_parse.c - the syntax of jobqd.conf(5): reading the file safely
 * (conf_load), parsing it into a struct conf (conf_parse) with user and
 * group names resolved to ids, and freeing it (conf_free).  Every error
 * names the file and line.  The lookups over the result are in conf.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h"
#include "jobq.h"
#include "proto.h"
#include "util.h"

#define CONF_MAX_FILE   (1024 * 1024)   /* bytes of configuration file */
#define CONF_MAX_LINE   4096            /* bytes of one line */

/* Where a key may be given. */
#define S_GLOBAL  0x1
#define S_QUEUE   0x2
#define S_USER    0x4
#define S_ANY     (S_GLOBAL | S_QUEUE | S_USER)

enum conf_kind {
	K_USERS,        /* list of user names */
	K_GROUPS,       /* list of group names */
	K_GROUP,        /* one group */
	K_VIS,
	K_AFTER,
	K_MODE,         /* octal file mode */
	K_COUNT,        /* integer >= 0 */
	K_SIZE,         /* bytes */
	K_SECONDS,      /* duration, kept in whole seconds (rounded up) */
	K_NICE,         /* -20..19 */
	K_CPUS,         /* CPUs ("1.5"), kept in milli-CPUs */
	K_COMMAND       /* a shell command (hooks), kept as given */
};

enum conf_key_id {
	KEY_ALLOW_USERS, KEY_ALLOW_GROUPS, KEY_DENY_USERS, KEY_DENY_GROUPS,
	KEY_ADMIN_GROUP, KEY_VISIBILITY, KEY_AFTER_FOREIGN, KEY_SOCKET_MODE,
	KEY_SOCKET_GROUP, KEY_USER_MAX_QUEUED, KEY_USER_MAX_RUNNING,
	KEY_MAX_QUEUED, KEY_MAX_RUNNING, KEY_ON_END, KEY_ON_DRAINED,
	KEY_RL_FIRST    /* then two per resource: default, bound */
};

struct conf_key {
	const char *name;
	int id;
	enum conf_kind kind;
	int where;
	int repeat;             /* may be given more than once (lists append) */
};

static const struct conf_key conf_keys[] = {
	{ "allow-users", KEY_ALLOW_USERS, K_USERS, S_GLOBAL, 1 },
	{ "allow-groups", KEY_ALLOW_GROUPS, K_GROUPS, S_GLOBAL, 1 },
	{ "deny-users", KEY_DENY_USERS, K_USERS, S_GLOBAL, 1 },
	{ "deny-groups", KEY_DENY_GROUPS, K_GROUPS, S_GLOBAL, 1 },
	{ "admin-group", KEY_ADMIN_GROUP, K_GROUP, S_GLOBAL, 0 },
	{ "visibility", KEY_VISIBILITY, K_VIS, S_GLOBAL, 0 },
	{ "after-foreign", KEY_AFTER_FOREIGN, K_AFTER, S_GLOBAL, 0 },
	{ "socket-mode", KEY_SOCKET_MODE, K_MODE, S_GLOBAL, 0 },
	{ "socket-group", KEY_SOCKET_GROUP, K_GROUP, S_GLOBAL, 0 },
	{ "user-max-queued", KEY_USER_MAX_QUEUED, K_COUNT,
	    S_GLOBAL | S_QUEUE, 0 },
	{ "user-max-running", KEY_USER_MAX_RUNNING, K_COUNT,
	    S_GLOBAL | S_QUEUE, 0 },
	{ "max-queued", KEY_MAX_QUEUED, K_COUNT, S_USER, 0 },
	{ "max-running", KEY_MAX_RUNNING, K_COUNT, S_USER, 0 },
	{ "on-end", KEY_ON_END, K_COMMAND, S_GLOBAL | S_QUEUE, 0 },
	{ "on-drained", KEY_ON_DRAINED, K_COMMAND, S_GLOBAL | S_QUEUE, 0 },
#define RL(n, m, r, k) \
	{ n, KEY_RL_FIRST + 2 * (r), k, S_ANY, 0 }, \
	{ m, KEY_RL_FIRST + 2 * (r) + 1, k, S_ANY, 0 }
	RL("mem", "mem-max", CONF_RL_MEM, K_SIZE),
	RL("cpu-time", "cpu-time-max", CONF_RL_CPU, K_SECONDS),
	RL("nofile", "nofile-max", CONF_RL_NOFILE, K_COUNT),
	RL("nproc", "nproc-max", CONF_RL_NPROC, K_COUNT),
	RL("core", "core-max", CONF_RL_CORE, K_SIZE),
	RL("nice", "nice-min", CONF_RL_NICE, K_NICE),
	RL("cpus", "cpus-max", CONF_RL_CPUS, K_CPUS),
#undef RL
};
#define CONF_NKEYS (sizeof conf_keys / sizeof conf_keys[0])

/* The parser's state: the conf being built and the current section. */
struct conf_parser {
	const char *path;
	size_t line;
	char *err;
	size_t errlen;
	struct conf *c;
	int where;                       /* S_GLOBAL, S_QUEUE or S_USER */
	const char *sect;                /* "[queue q]" for messages */
	char sectbuf[300];
	struct conf_caps *caps;          /* the section's caps */
	struct conf_lim *rl;             /* the section's limits */
	struct conf_hooks *hooks;        /* the section's hooks (not [user]) */
	unsigned char seen[CONF_NKEYS];  /* keys given in this section */
	size_t cap_users, cap_queues, cap_au, cap_du, cap_ag, cap_dg;
};

static int
conf_err(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%zu: ", p->path, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return JOBQ_EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return JOBQ_EINVAL;
}

static struct conf *
conf_new(void)
{
	struct conf *c;
	int i;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->vis = CONF_VIS_LIMITED;
	c->after = CONF_AFTER_ALLOW;
	c->admin_gid = (gid_t)-1;
	c->socket_mode = -1;
	c->socket_gid = (gid_t)-1;
	c->caps.queued = c->caps.running = -1;
	for (i = 0; i < CONF_RL_COUNT; i++)
		c->rl[i].def = c->rl[i].max = CONF_UNSET;
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL || c == conf_empty())
		return;
	free(c->path);
	conf_options_free(c);
	free(c->allow_users);
	free(c->deny_users);
	free(c->allow_groups);
	free(c->deny_groups);
	free(c->users);
	free(c->hooks.on_end);
	free(c->hooks.on_drained);
	for (i = 0; i < c->nqueues; i++) {
		free(c->queues[i].name);
		free(c->queues[i].hooks.on_end);
		free(c->queues[i].hooks.on_drained);
	}
	free(c->queues);
	free(c);
}

/* All digits, fits an id: *id.  1 if numeric, 0 if not, -1 if too big. */
static int
conf_numeric_id(const char *s, unsigned long *id)
{
	unsigned long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		if (v > (0xfffffffeUL - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*id = v;
	return 1;
}

static int
conf_resolve_user(struct conf_parser *p, const char *name, uid_t *uid)
{
	struct passwd pw, *pwp = NULL;
	unsigned long id;
	char *buf;
	size_t blen = 4096;
	int e, r;

	if ((r = conf_numeric_id(name, &id)) != 0) {
		if (r < 0)
			return conf_err(p, "user id %s is out of range", name);
		*uid = (uid_t)id;
		return 0;
	}
	for (;;) {
		if ((buf = malloc(blen)) == NULL)
			return JOBQ_ENOMEM;
		e = getpwnam_r(name, &pw, buf, blen, &pwp);
		if (e == ERANGE && blen < 1024 * 1024) {
			free(buf);
			blen *= 4;
			continue;
		}
		break;
	}
	if (e == 0 && pwp != NULL)
		*uid = pw.pw_uid;
	free(buf);
	if (e != 0)
		return conf_err(p, "cannot look up user %s: %s", name,
		    strerror(e));
	if (pwp == NULL)
		return conf_err(p, "unknown user %s", name);
	return 0;
}

static int
conf_resolve_group(struct conf_parser *p, const char *name, gid_t *gid)
{
	struct group gr, *grp = NULL;
	unsigned long id;
	char *buf;
	size_t blen = 4096;
	int e, r;

	if ((r = conf_numeric_id(name, &id)) != 0) {
		if (r < 0)
			return conf_err(p, "group id %s is out of range", name);
		*gid = (gid_t)id;
		return 0;
	}
	for (;;) {
		if ((buf = malloc(blen)) == NULL)
			return JOBQ_ENOMEM;
		e = getgrnam_r(name, &gr, buf, blen, &grp);
		if (e == ERANGE && blen < 16 * 1024 * 1024) {
			free(buf);
			blen *= 4;
			continue;
		}
		break;
	}
	if (e == 0 && grp != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (e != 0)
		return conf_err(p, "cannot look up group %s: %s", name,
		    strerror(e));
	if (grp == NULL)
		return conf_err(p, "unknown group %s", name);
	return 0;
}

/* Appends the ids of a list of names (separated by spaces, tabs or
 * commas) to *v. */
static int
conf_id_list(struct conf_parser *p, char *val, int groups, unsigned **v,
    size_t *n, size_t *cap)
{
	char *tok, *save = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	for (tok = strtok_r(val, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (groups)
			r = conf_resolve_group(p, tok, &gid);
		else
			r = conf_resolve_user(p, tok, &uid);
		if (r < 0)
			return r;
		if (util_grow(v, cap, *n + 1, sizeof **v) < 0)
			return JOBQ_ENOMEM;
		(*v)[(*n)++] = groups ? (unsigned)gid : (unsigned)uid;
	}
	return 0;
}

static int
conf_count(struct conf_parser *p, const char *key, const char *val,
    int64_t *out)
{
	int64_t v = 0;
	const char *s;

	for (s = val; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) ||
		    v > (INT64_MAX - (*s - '0')) / 10)
			return conf_err(p, "%s must be a whole number >= 0, "
			    "not \"%s\"", key, val);
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* A hook's command: kept as given (the line's comment and the space
 * around it already gone), not empty, at most JOBQ_MAX_HOOK bytes. */
static int
conf_command(struct conf_parser *p, const char *key, const char *val,
    char **out)
{
	if (val[0] == '\0')
		return conf_err(p, "%s needs a command", key);
	if (strlen(val) > JOBQ_MAX_HOOK)
		return conf_err(p, "%s: the command is longer than %d bytes",
		    key, JOBQ_MAX_HOOK);
	if ((*out = strdup(val)) == NULL)
		return JOBQ_ENOMEM;
	return 0;
}

static int
conf_value(struct conf_parser *p, const struct conf_key *k, char *val)
{
	struct conf *c = p->c;
	int64_t v = 0;
	long lv;
	char *end;
	int r, rl;

	_Static_assert(sizeof(uid_t) == sizeof(unsigned) &&
	    sizeof(gid_t) == sizeof(unsigned), "ids are unsigned int");
	switch (k->id) {
	case KEY_ALLOW_USERS:
		c->has_allow = 1;
		return conf_id_list(p, val, 0, (unsigned **)&c->allow_users,
		    &c->nallow_users, &p->cap_au);
	case KEY_DENY_USERS:
		return conf_id_list(p, val, 0, (unsigned **)&c->deny_users,
		    &c->ndeny_users, &p->cap_du);
	case KEY_ALLOW_GROUPS:
		c->has_allow = 1;
		return conf_id_list(p, val, 1, (unsigned **)&c->allow_groups,
		    &c->nallow_groups, &p->cap_ag);
	case KEY_DENY_GROUPS:
		return conf_id_list(p, val, 1, (unsigned **)&c->deny_groups,
		    &c->ndeny_groups, &p->cap_dg);
	case KEY_ADMIN_GROUP:
		return conf_resolve_group(p, val, &c->admin_gid);
	case KEY_SOCKET_GROUP:
		return conf_resolve_group(p, val, &c->socket_gid);
	case KEY_VISIBILITY:
		if (strcmp(val, "limited") == 0)
			c->vis = CONF_VIS_LIMITED;
		else if (strcmp(val, "full") == 0)
			c->vis = CONF_VIS_FULL;
		else if (strcmp(val, "private") == 0)
			c->vis = CONF_VIS_PRIVATE;
		else
			return conf_err(p, "visibility must be limited, full "
			    "or private, not \"%s\"", val);
		return 0;
	case KEY_AFTER_FOREIGN:
		if (strcmp(val, "allow") == 0)
			c->after = CONF_AFTER_ALLOW;
		else if (strcmp(val, "deny") == 0)
			c->after = CONF_AFTER_DENY;
		else
			return conf_err(p, "after-foreign must be allow or "
			    "deny, not \"%s\"", val);
		return 0;
	case KEY_SOCKET_MODE:
		errno = 0;
		lv = strtol(val, &end, 8);
		if (!isdigit((unsigned char)val[0]) || *end != '\0' ||
		    errno != 0 || lv < 0 || lv > 0777)
			return conf_err(p, "socket-mode must be an octal mode "
			    "from 0 to 0777, like 0660, not \"%s\"", val);
		c->socket_mode = (int)lv;
		return 0;
	case KEY_USER_MAX_QUEUED:
	case KEY_MAX_QUEUED:
		return conf_count(p, k->name, val, &p->caps->queued);
	case KEY_USER_MAX_RUNNING:
	case KEY_MAX_RUNNING:
		return conf_count(p, k->name, val, &p->caps->running);
	case KEY_ON_END:
		return conf_command(p, k->name, val, &p->hooks->on_end);
	case KEY_ON_DRAINED:
		return conf_command(p, k->name, val, &p->hooks->on_drained);
	}

	rl = (k->id - KEY_RL_FIRST) / 2;
	switch (k->kind) {
	case K_SIZE:
		if (util_parse_size(val, &v) < 0)
			return conf_err(p, "%s must be a size like 512M or "
			    "2G, not \"%s\"", k->name, val);
		break;
	case K_SECONDS:
		if (util_parse_duration_ms(val, &v) < 0)
			return conf_err(p, "%s must be a duration like 90s or "
			    "1h30m, not \"%s\"", k->name, val);
		v = v / 1000 + (v % 1000 != 0);
		break;
	case K_COUNT:
		if ((r = conf_count(p, k->name, val, &v)) < 0)
			return r;
		break;
	case K_NICE:
		errno = 0;
		lv = strtol(val, &end, 10);
		if (val[0] == '\0' || *end != '\0' || errno != 0 ||
		    lv < -20 || lv > 19)
			return conf_err(p, "%s must be a nice value from -20 "
			    "to 19, not \"%s\"", k->name, val);
		v = lv;
		break;
	case K_CPUS:
		if (util_parse_cpus(val, &v) < 0 || v < 1 ||
		    v > PROTO_MAX_CPUS)
			return conf_err(p, "%s must be a number of CPUs from "
			    "0.001 to %lld, like 2 or 1.5, not \"%s\"", k->name,
			    PROTO_MAX_CPUS / 1000, val);
		break;
	default:
		return conf_err(p, "internal error: key %s", k->name);
	}
	if ((k->id - KEY_RL_FIRST) % 2 == 0)
		p->rl[rl].def = v;
	else
		p->rl[rl].max = v;
	return 0;
}

static const char *
conf_where_name(int where)
{
	switch (where) {
	case S_GLOBAL:
		return "the global section (before any [queue] or [user])";
	case S_QUEUE:
		return "a [queue NAME] section";
	case S_USER:
		return "a [user NAME] section";
	case S_GLOBAL | S_QUEUE:
		return "the global section or a [queue NAME] section";
	}
	return "any section";
}

static int
conf_section(struct conf_parser *p, char *s)
{
	struct conf *c = p->c;
	char *kind, *name, *end;
	size_t i;
	uid_t uid = 0;
	int r;

	/* s is "[...]" with the brackets */
	if ((end = strchr(s, ']')) == NULL || end[1] != '\0')
		return conf_err(p, "a section header is [queue NAME] or "
		    "[user NAME]");
	*end = '\0';
	kind = s + 1;
	while (*kind == ' ' || *kind == '\t')
		kind++;
	name = kind + strcspn(kind, " \t");
	if (*name != '\0')
		*name++ = '\0';
	while (*name == ' ' || *name == '\t')
		name++;
	end = name + strcspn(name, " \t");
	if (*end != '\0') {
		*end++ = '\0';
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0')
			return conf_err(p, "a section header is [queue NAME] "
			    "or [user NAME] (one name)");
	}
	if (strcmp(kind, "queue") != 0 && strcmp(kind, "user") != 0)
		return conf_err(p, "unknown section [%s]: a section is "
		    "[queue NAME] or [user NAME]", kind);
	if (*name == '\0')
		return conf_err(p, "[%s] needs a name: [%s NAME]", kind, kind);
	snprintf(p->sectbuf, sizeof p->sectbuf, "[%s %s]", kind, name);
	p->sect = p->sectbuf;
	memset(p->seen, 0, sizeof p->seen);

	if (strcmp(kind, "queue") == 0) {
		for (i = 0; i < c->nqueues; i++)
			if (strcmp(c->queues[i].name, name) == 0)
				return conf_err(p, "duplicate section [queue "
				    "%s] (first at line %zu)", name,
				    c->queues[i].line);
		if (strlen(name) > 64)
			return conf_err(p, "queue name too long: %s", name);
		if (util_grow(&c->queues, &p->cap_queues, c->nqueues + 1,
		    sizeof *c->queues) < 0)
			return JOBQ_ENOMEM;
		memset(&c->queues[c->nqueues], 0, sizeof *c->queues);
		if ((c->queues[c->nqueues].name = strdup(name)) == NULL)
			return JOBQ_ENOMEM;
		c->queues[c->nqueues].line = p->line;
		p->where = S_QUEUE;
		p->caps = &c->queues[c->nqueues].user_caps;
		p->rl = c->queues[c->nqueues].rl;
		p->hooks = &c->queues[c->nqueues].hooks;
		c->nqueues++;
	} else {
		if ((r = conf_resolve_user(p, name, &uid)) < 0)
			return r;
		for (i = 0; i < c->nusers; i++)
			if (c->users[i].uid == uid)
				return conf_err(p, "duplicate section [user "
				    "%s] (first at line %zu)", name,
				    c->users[i].line);
		if (util_grow(&c->users, &p->cap_users, c->nusers + 1,
		    sizeof *c->users) < 0)
			return JOBQ_ENOMEM;
		memset(&c->users[c->nusers], 0, sizeof *c->users);
		c->users[c->nusers].uid = uid;
		c->users[c->nusers].line = p->line;
		p->where = S_USER;
		p->caps = &c->users[c->nusers].caps;
		p->rl = c->users[c->nusers].rl;
		p->hooks = NULL;	/* no hook key may be given in [user] */
		c->nusers++;
	}
	p->caps->queued = p->caps->running = -1;
	for (i = 0; i < CONF_RL_COUNT; i++)
		p->rl[i].def = p->rl[i].max = CONF_UNSET;
	return 0;
}

static char *
conf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
conf_line(struct conf_parser *p, char *s)
{
	const struct conf_key *k = NULL;
	char *eq, *key, *val, *hash;
	size_t i;
	int r;

	if ((hash = strchr(s, '#')) != NULL)
		*hash = '\0';
	s = conf_trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return conf_section(p, s);
	if ((eq = strchr(s, '=')) == NULL)
		return conf_err(p, "expected \"key = value\" or a [section], "
		    "not \"%s\"", s);
	*eq = '\0';
	key = conf_trim(s);
	val = conf_trim(eq + 1);
	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0) {
			k = &conf_keys[i];
			break;
		}
	if (k == NULL) {
		/* not a policy key: one of jobqd's options? (conf_options.c) */
		r = conf_option_add(p->c, p->path, p->line,
		    p->where == S_GLOBAL, key, val, p->err, p->errlen);
		if (r <= 0)
			return r;
		return conf_err(p, "unknown key \"%s\"", key);
	}
	if (!(k->where & p->where))
		return conf_err(p, "%s belongs in %s, not in %s", key,
		    conf_where_name(k->where), p->sect);
	if (p->seen[i] && !k->repeat)
		return conf_err(p, "%s is given twice in %s", key, p->sect);
	p->seen[i] = 1;
	if (*val == '\0')
		return conf_err(p, "%s has no value", key);
	return conf_value(p, k, val);
}

int
conf_parse(const char *path, const char *text, size_t len,
    struct conf **out, char *err, size_t errlen)
{
	struct conf_parser p;
	char line[CONF_MAX_LINE + 1];
	size_t off = 0, n;
	const char *nl;
	int r = 0;

	memset(&p, 0, sizeof p);
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((p.c = conf_new()) == NULL ||
	    (p.c->path = strdup(path)) == NULL) {
		conf_free(p.c);
		snprintf(err, errlen, "%s: out of memory", path);
		return JOBQ_ENOMEM;
	}
	p.where = S_GLOBAL;
	p.sect = "the global section";
	p.caps = &p.c->caps;
	p.rl = p.c->rl;
	p.hooks = &p.c->hooks;
	while (off < len) {
		p.line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (n > CONF_MAX_LINE) {
			r = conf_err(&p, "line longer than %d bytes",
			    CONF_MAX_LINE);
			break;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			r = conf_err(&p, "NUL byte in the file");
			break;
		}
		off += n + (nl != NULL);
		if ((r = conf_line(&p, line)) < 0)
			break;
	}
	if (r < 0) {
		if (r == JOBQ_ENOMEM)
			snprintf(err, errlen, "%s:%zu: out of memory", path,
			    p.line);
		conf_free(p.c);
		return r;
	}
	*out = p.c;
	return 0;
}

int
conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	return conf_load_owned(path, 1, out, err, errlen);
}

int
conf_load_owned(const char *path, int root_ok, struct conf **out,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY);
	if (fd < 0) {
		r = errno;
		snprintf(err, errlen, "%s: %s", path, r == ELOOP ?
		    "is a symbolic link (not followed)" : strerror(r));
		return r == ENOENT ? JOBQ_ENOTFOUND :
		    r == EACCES || r == ELOOP ? JOBQ_EPERM : JOBQ_EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return JOBQ_EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return JOBQ_EINVAL;
	}
	if ((st.st_uid != 0 || !root_ok) && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by %s"
		    "jobqd's uid %lu: not trusted", path,
		    (unsigned long)st.st_uid, root_ok ? "root or " : "",
		    (unsigned long)geteuid());
		close(fd);
		return JOBQ_EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by %s (mode %04o): not "
		    "trusted", path, (st.st_mode & S_IWOTH) ? "others" :
		    "its group", (unsigned)(st.st_mode & 07777));
		close(fd);
		return JOBQ_EPERM;
	}
	if (st.st_size > CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONF_MAX_FILE);
		close(fd);
		return JOBQ_EINVAL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return JOBQ_ENOMEM;
	}
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return JOBQ_EINVAL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: changed while being read", path);
		free(buf);
		return JOBQ_EINVAL;
	}
	r = conf_parse(path, buf, len, out, err, errlen);
	free(buf);
	return r;
}
