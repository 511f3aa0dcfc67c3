/*
 * store_env.c - the envs table (schema v14): a job's environment stored
 * once per distinct environment, the job's row pointing at it (jobs.env_id;
 * jobs.env is then ''), so 10,000 jobs submitted from one shell, or one
 * batch, store their 2 KB environment once instead of 10,000 times.  An
 * empty environment has no row: the job's env column is "[]" and env_id
 * NULL (store_insert.c, store_edit.c), as for every row from before v14.
 *
 * store_env_id() finds or adds the row for an environment, in the open
 * transaction: first against the one environment it handed out last (the
 * store's cache: a copy of the strings and the row's id, compared string by
 * string, no encoding), then by its hash (envs_hash index) and text, and
 * adds the row if there is none.  Rows are never updated; the triggers
 * envs_gc and envs_gc_edit delete a row in the transaction that removes
 * its last job (a purge, an edit of the env), so envs holds exactly the
 * environments of the jobs in the table.
 *
 * The cache is the store thread's.  Its id is valid while the row exists
 * in the database as seen by the next statement, so it is dropped
 * (store_env_forget) whenever that may have stopped being true: a
 * rollback (whole transaction or an insert_many's savepoint: the row may
 * have been added in it), a purge and an env edit (their triggers may
 * have deleted it).  Nothing else deletes jobs or envs rows.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util.h"
#include "store_int.h"

void
store_env_forget(struct store *s)
{
	util_strv_free(s->env_cache.env);
	s->env_cache.env = NULL;
	s->env_cache.envc = 0;
	s->env_cache.id = 0;
}

/* FNV-1a 64 over the strings, each with its NUL: envs.hash. */
static int64_t
store_env_hash(const char *const *env, size_t envc)
{
	uint64_t h = 14695981039346656037ULL;
	const unsigned char *p;
	size_t i;

	for (i = 0; i < envc; i++) {
		for (p = (const unsigned char *)env[i]; ; p++) {
			h = (h ^ *p) * 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	}
	return ((int64_t)h);
}

/* Whether env is the cached environment. */
static int
store_env_cached(const struct store *s, const char *const *env, size_t envc)
{
	size_t i;

	if (s->env_cache.env == NULL || s->env_cache.envc != envc)
		return (0);
	for (i = 0; i < envc; i++)
		if (strcmp(s->env_cache.env[i], env[i]) != 0)
			return (0);
	return (1);
}

/* Caches env as row id (best effort: without memory, nothing cached). */
static void
store_env_keep(struct store *s, const char *const *env, size_t envc,
    int64_t id)
{
	char **copy;
	size_t i;

	store_env_forget(s);
	if ((copy = calloc(envc + 1, sizeof(*copy))) == NULL)
		return;
	for (i = 0; i < envc; i++)
		if ((copy[i] = strdup(env[i])) == NULL) {
			util_strv_free(copy);
			return;
		}
	s->env_cache.env = copy;
	s->env_cache.envc = envc;
	s->env_cache.id = id;
}

/* The id of the row holding text (hash h), 0 if none; an SQLite code. */
static int
store_env_find(struct store *s, int64_t h, const char *text, int64_t *id)
{
	sqlite3_stmt *st = s->st[ST_ENV_FIND];
	int rc;

	*id = 0;
	if ((rc = store_bind(st, STORE_ARGS(STORE_INT(h),
	    STORE_TEXT(text)))) != SQLITE_OK)
		return (rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	store_reset(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc);
}

int
store_env_id(struct store *s, const char *const *env, size_t envc,
    int64_t *id)
{
	char *text;
	int64_t h;
	int rc;

	if (store_env_cached(s, env, envc)) {
		*id = s->env_cache.id;
		return (SQLITE_OK);
	}
	if ((text = store_row_strv_json(env, envc)) == NULL)
		return (SQLITE_NOMEM);
	h = store_env_hash(env, envc);
	if ((rc = store_env_find(s, h, text, id)) == SQLITE_OK && *id == 0 &&
	    (rc = store_run(s, ST_ENV_ADD, STORE_ARGS(STORE_INT(h),
	    STORE_TEXT(text)))) == SQLITE_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	cJSON_free(text);
	if (rc == SQLITE_OK)
		store_env_keep(s, env, envc, *id);
	return (rc);
}
