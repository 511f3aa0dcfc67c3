/*
 * cmd-batch.c - `jobq submit --batch FILE|-`: one job per line as a JSON
 * object (JSON lines), all of them submitted in one request
 * (jobq_submit_many: one transaction, all or none), one id printed per
 * line in the file's order.  A line's members are those of the protocol's
 * submit job (jobq-protocol(7)) that libjobq sends: argv (required), env
 * (absent: jobq's environment), clean_env, cwd (absent: the current
 * directory; a relative one is taken from it), name, queue, retries,
 * priority, not_before, timeout_ms, kill_grace_ms, retry_delay_ms, labels,
 * output_limit, user, group, limits.  Any other member (deps, unique_key
 * and array are not allowed in a batch) and any invalid line refuse the
 * whole file with the line's number, before anything is sent.  Blank lines
 * are skipped.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd-int.h"

/* The members a line may have. */
static const char *const cmd_batch_keys[] = {
	"argv", "env", "clean_env", "cwd", "name", "queue", "retries",
	"priority", "not_before", "timeout_ms", "kill_grace_ms",
	"retry_delay_ms", "labels", "output_limit", "user", "group", "limits",
	NULL
};

/* Every job of the file: its JSON (the strings of its options point into
 * it), its decoded form and the options sent. */
struct cmd_batch {
	cJSON **json;
	struct proto_submit *sub;
	jobq_submit_opts *opts;
	size_t n, cap;
};

static void
cmd_batch_free(struct cmd_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		proto_submit_release(&b->sub[i]);
		cJSON_Delete(b->json[i]);
	}
	free(b->json);
	free(b->sub);
	free(b->opts);
}

/* Room for one more job; 0 or -1. */
static int
cmd_batch_grow(struct cmd_batch *b)
{
	size_t cap = b->cap == 0 ? 64 : b->cap * 2;
	void *p;

	if (b->n < b->cap)
		return 0;
	if ((p = realloc(b->json, cap * sizeof *b->json)) == NULL)
		return -1;
	b->json = p;
	if ((p = realloc(b->sub, cap * sizeof *b->sub)) == NULL)
		return -1;
	b->sub = p;
	if ((p = realloc(b->opts, cap * sizeof *b->opts)) == NULL)
		return -1;
	b->opts = p;
	b->cap = cap;
	return 0;
}

/* A line's unknown member, or NULL. */
static const char *
cmd_batch_unknown(const cJSON *o)
{
	const cJSON *m;
	size_t i;

	cJSON_ArrayForEach(m, o) {
		for (i = 0; cmd_batch_keys[i] != NULL; i++)
			if (strcmp(m->string, cmd_batch_keys[i]) == 0)
				break;
		if (cmd_batch_keys[i] == NULL)
			return m->string;
	}
	return NULL;
}

/* The line's cwd made absolute (a relative one from here); "cwd" and "env"
 * added when absent (env: an empty placeholder, the options then send
 * jobq's environment).  *own_env: whether the line had its env.  0 or -1
 * (out of memory, or no current directory: errno). */
static int
cmd_batch_complete(cJSON *o, const char *here, int *own_env)
{
	const cJSON *cwd = cJSON_GetObjectItemCaseSensitive(o, "cwd");
	char *abs;
	size_t len;

	*own_env = cJSON_GetObjectItemCaseSensitive(o, "env") != NULL;
	if (!*own_env && cJSON_AddArrayToObject(o, "env") == NULL)
		return -1;
	if (cwd == NULL)
		return cJSON_AddStringToObject(o, "cwd", here) == NULL ? -1 : 0;
	if (!cJSON_IsString(cwd) || cwd->valuestring[0] == '/' ||
	    cwd->valuestring[0] == '\0')
		return 0;	/* absolute, or the decoder's error */
	len = strlen(here) + strlen(cwd->valuestring) + 2;
	if ((abs = malloc(len)) == NULL)
		return -1;
	snprintf(abs, len, "%s/%s", here, cwd->valuestring);
	if (!cJSON_ReplaceItemInObjectCaseSensitive(o, "cwd",
	    cJSON_CreateString(abs))) {
		free(abs);
		return -1;
	}
	free(abs);
	return 0;
}

/* The options of a decoded line. */
static void
cmd_batch_opts(const struct proto_submit *s, int own_env,
    jobq_submit_opts *o)
{
	memset(o, 0, sizeof *o);
	o->argv = (const char *const *)s->argv;
	o->env = own_env ? (const char *const *)s->env : NULL;
	o->clean_env = s->clean_env;
	o->cwd = s->cwd;
	o->name = s->name;
	o->queue = s->queue;
	o->max_retries = s->max_retries;
	o->priority = s->priority;
	o->not_before = s->not_before;
	o->timeout_ms = s->timeout_ms;
	o->kill_grace_ms = s->kill_grace_ms;
	o->retry_delay_ms = s->retry_delay_ms;
	o->labels = s->nlabels > 0 ? (const char *const *)s->labels : NULL;
	o->output_limit = s->output_limit;
	o->user = s->user;
	o->group = s->group;
	o->limits = s->limits;
}

/* One line (lineno) into b; 0, or an exit status after a message. */
static int
cmd_batch_line(const char *cmd, struct cmd_batch *b, char *line,
    size_t lineno, const char *here)
{
	char err[256];
	const char *bad;
	cJSON *o;
	int own_env;

	if (b->n >= JOBQ_MAX_BATCH) {
		fprintf(stderr, "jobq: %s: line %zu: more than %u jobs in one "
		    "batch\n", cmd, lineno, (unsigned)JOBQ_MAX_BATCH);
		return FMT_EXIT_USAGE;
	}
	if ((o = cJSON_Parse(line)) == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		fprintf(stderr, "jobq: %s: line %zu: not a JSON object\n", cmd,
		    lineno);
		return FMT_EXIT_USAGE;
	}
	if ((bad = cmd_batch_unknown(o)) != NULL) {
		fprintf(stderr, "jobq: %s: line %zu: \"%s\" is not a member a "
		    "batch line may have\n", cmd, lineno, bad);
		cJSON_Delete(o);
		return FMT_EXIT_USAGE;
	}
	if (cmd_batch_grow(b) != 0 || cmd_batch_complete(o, here,
	    &own_env) != 0) {
		cJSON_Delete(o);
		return cmd_nomem(cmd);
	}
	if (proto_submit_from_json(o, &b->sub[b->n], err, sizeof err) != 0) {
		fprintf(stderr, "jobq: %s: line %zu: %s\n", cmd, lineno, err);
		cJSON_Delete(o);
		return FMT_EXIT_USAGE;
	}
	b->json[b->n] = o;
	cmd_batch_opts(&b->sub[b->n], own_env, &b->opts[b->n]);
	b->n++;
	return 0;
}

/* Reads every line of f into b; 0 or an exit status. */
static int
cmd_batch_read(const char *cmd, const char *path, FILE *f,
    struct cmd_batch *b)
{
	char *line = NULL, *here, *p;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if ((here = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "jobq: %s: cannot determine the current "
		    "directory: %s\n", cmd, strerror(errno));
		return FMT_EXIT_FAIL;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			fprintf(stderr, "jobq: %s: line %zu: a NUL byte\n",
			    cmd, lineno);
			rc = FMT_EXIT_USAGE;
			break;
		}
		for (p = line; *p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'; p++)
			;
		if (*p != '\0')
			rc = cmd_batch_line(cmd, b, p, lineno, here);
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "jobq: %s: %s: %s\n", cmd, path,
		    strerror(errno));
		rc = FMT_EXIT_FAIL;
	}
	if (rc == 0 && b->n == 0) {
		fprintf(stderr, "jobq: %s: %s: no job in the batch\n", cmd,
		    path);
		rc = FMT_EXIT_USAGE;
	}
	free(line);
	free(here);
	return rc;
}

int
cmd_batch(struct cmd_ctx *ctx, const char *cmd, const char *path, int json)
{
	struct cmd_batch b;
	jobq_client *cl = NULL;
	int64_t *ids = NULL;
	FILE *f;
	size_t i;
	int rc, err;

	memset(&b, 0, sizeof b);
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "jobq: %s: %s: %s\n", cmd, path,
		    strerror(errno));
		return FMT_EXIT_FAIL;
	}
	rc = cmd_batch_read(cmd, path, f, &b);
	if (f != stdin)
		fclose(f);
	if (rc != 0)
		goto out;
	if ((ids = calloc(b.n, sizeof *ids)) == NULL) {
		rc = cmd_nomem(cmd);
		goto out;
	}
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	if ((err = jobq_submit_many(cl, b.opts, b.n, ids)) < 0) {
		rc = cmd_fail(cmd, 0, err);
		goto out;
	}
	for (i = 0; i < b.n; i++)
		printf(json ? "{\"id\":%lld}\n" : "%lld\n", (long long)ids[i]);
	rc = cmd_flush(cmd) < 0 ? FMT_EXIT_FAIL : 0;
out:
	cmd_close(cl);
	free(ids);
	cmd_batch_free(&b);
	return rc;
}
