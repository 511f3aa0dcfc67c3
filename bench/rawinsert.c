/*
 * rawinsert.c - reference for bench.sh's "batch submit" row: the raw cost
 * of putting N job rows into SQLite durably, with nothing else around it.
 *
 *   rawinsert DBFILE [N]   (default 10000 rows)
 *
 * Opens DBFILE (new) in WAL mode with synchronous=FULL, as jobqd's --sync
 * full does, creates a table with jobq's main job columns (state, queue,
 * owner, argv, env, cwd, submitted_at, priority; the primary key only, no
 * secondary index), and times one transaction inserting N different rows
 * (each argv differs) from one prepared statement, BEGIN to the return of
 * COMMIT (its fsyncs included).  Prints "rawinsert N SECONDS RATE".
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ex(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "rawinsert: %s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long n;
	double t0, el;
	char arg[64];

	if (argc < 2) {
		fprintf(stderr, "usage: rawinsert DBFILE [N]\n");
		return 2;
	}
	n = argc > 2 ? atol(argv[2]) : 10000;
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	if (ex(db, "PRAGMA journal_mode=WAL") || ex(db, "PRAGMA synchronous=FULL") ||
	    ex(db, "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL,"
	    " queue TEXT NOT NULL, owner_uid INTEGER NOT NULL, argv TEXT NOT NULL,"
	    " env TEXT NOT NULL, cwd TEXT NOT NULL, submitted_at INTEGER NOT NULL,"
	    " priority INTEGER NOT NULL DEFAULT 0)"))
		return 1;
	if (sqlite3_prepare_v2(db, "INSERT INTO jobs (state, queue, owner_uid, argv,"
	    " env, cwd, submitted_at) VALUES ('queued', 'default', 0, ?, '[]', '/', ?)",
	    -1, &st, NULL) != SQLITE_OK)
		return 1;
	t0 = mono();
	if (ex(db, "BEGIN"))
		return 1;
	for (long i = 0; i < n; i++) {
		snprintf(arg, sizeof arg, "[\"/bin/echo\",\"%ld\"]", i);
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL) * 1000);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "rawinsert: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		sqlite3_reset(st);
	}
	if (ex(db, "COMMIT"))
		return 1;
	el = mono() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("rawinsert %ld %.4f %.0f\n", n, el, n / el);
	return 0;
}
