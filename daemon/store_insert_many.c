/*
 * store_insert_many.c - STORE_INSERT_MANY, in the batch's transaction: the
 * jobs of one submit_batch, each inserted as STORE_INSERT inserts a job
 * (store_insert(), its ids from the store's counter), all under one
 * SAVEPOINT so that a job refused for its own reasons rolls back this
 * batch alone, the rest of the transaction (other clients' writes) going
 * on; the id counter goes back to where it was.  A failure of SQLite
 * itself fails the whole transaction as for any write (store_fail()).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "store_int.h"

/* Runs one of SAVEPOINT / RELEASE / ROLLBACK TO; an SQLite code. */
static int
store_insert_many_sql(struct store *s, const char *sql)
{
	return (sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

int
store_insert_many(struct store *s, struct store_op *op)
{
	struct store_op *o;
	int64_t next_id = s->next_id;
	size_t i, n = op->in.insert_many.n;
	int rc, ret;

	if (n == 0 || op->in.insert_many.ops == NULL) {
		op->status = JOBQ_EINVAL;
		return (0);
	}
	if ((rc = store_insert_many_sql(s, "SAVEPOINT jobq_many")) !=
	    SQLITE_OK)
		return (store_fail(s, rc, "insert_many"));
	for (i = 0; i < n; i++) {
		o = &op->in.insert_many.ops[i];
		o->status = 0;
		memset(&o->out, 0, sizeof(o->out));
		if (o->in.insert.array_count != 0 ||
		    o->in.insert.unique_key != NULL ||
		    o->in.insert.ndeps != 0)
			o->status = JOBQ_EINVAL;
		else if ((ret = store_insert(s, o)) != 0)
			return (ret);	/* the transaction fails */
		if (o->status != 0)
			break;
	}
	if (i < n) {
		op->status = op->in.insert_many.ops[i].status;
		op->out.insert_many.failed = i;
		s->next_id = next_id;
		store_env_forget(s);	/* its envs row may go too */
		if ((rc = store_insert_many_sql(s,
		    "ROLLBACK TO jobq_many")) != SQLITE_OK)
			return (store_fail(s, rc, "insert_many"));
	}
	if ((rc = store_insert_many_sql(s, "RELEASE jobq_many")) != SQLITE_OK)
		return (store_fail(s, rc, "insert_many"));
	return (0);
}
