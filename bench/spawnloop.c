/*
 * spawnloop.c - baseline for bench.sh: how fast can this machine run
 * /bin/true with posix_spawn, at most CONC processes at a time?
 *
 *   spawnloop [N [CONC [DIR]]]   (default 5000 processes, concurrency 2)
 *
 * With DIR, each process gets its stdout and stderr redirected to two new
 * files DIR/I.out and DIR/I.err (O_CREAT|O_TRUNC), as a job runner that
 * captures output must do: the baseline for "spawn plus output capture".
 *
 * Prints "spawnloop: N processes in S s: R/s".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000;
	int conc = argc > 2 ? atoi(argv[2]) : 2;
	const char *dir = argc > 3 ? argv[3] : NULL;
	char out[4096], err[4096];
	char *args[] = { "/bin/true", NULL };
	long started = 0, done = 0;
	int running = 0;

	if (n < 1 || conc < 1) {
		fprintf(stderr, "usage: spawnloop [N [CONC [DIR]]]\n");
		return 2;
	}
	double t0 = now();
	while (done < n) {
		while (running < conc && started < n) {
			pid_t pid;
			posix_spawn_file_actions_t fa, *fap = NULL;
			int rc;

			if (dir != NULL) {
				snprintf(out, sizeof out, "%s/%ld.out", dir, started);
				snprintf(err, sizeof err, "%s/%ld.err", dir, started);
				posix_spawn_file_actions_init(&fa);
				posix_spawn_file_actions_addopen(&fa, 1, out,
				    O_WRONLY | O_CREAT | O_TRUNC, 0600);
				posix_spawn_file_actions_addopen(&fa, 2, err,
				    O_WRONLY | O_CREAT | O_TRUNC, 0600);
				fap = &fa;
			}
			rc = posix_spawn(&pid, args[0], fap, NULL, args, environ);
			if (fap != NULL)
				posix_spawn_file_actions_destroy(fap);
			if (rc != 0) {
				fprintf(stderr, "posix_spawn: %s\n", strerror(rc));
				return 1;
			}
			started++;
			running++;
		}
		int st;
		if (wait(&st) < 0) {
			perror("wait");
			return 1;
		}
		running--;
		done++;
	}
	double el = now() - t0;
	printf("spawnloop: %ld processes in %.3f s: %.0f/s\n", n, el, n / el);
	return 0;
}
