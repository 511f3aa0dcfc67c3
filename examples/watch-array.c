/*
 * watch-array.c - a libjobq program using the scheduling calls: submit an
 * array of N tasks (at most 2 running at once), follow its tasks' state
 * changes as the daemon pushes them, then print the array's summary and
 * each task's output.  Exits 0 if every task succeeded.
 *
 *   watch-array [N]     (default 4; each task runs: echo task $JOBQ_ARRAY_INDEX)
 *
 * The socket comes from $JOBQ_SOCKET, else the default location (see
 * jobq_default_socket in libjobq(3)).  Build against an installed libjobq:
 *
 *   cc -o watch-array watch-array.c $(pkg-config --cflags --libs libjobq)
 */
#include <stdio.h>
#include <stdlib.h>

#include <jobq.h>

int
main(int argc, char **argv)
{
	static const char *const cmd[] = { "sh", "-c",
	    "echo task $JOBQ_ARRAY_INDEX", NULL };
	jobq_submit_opts	 opts = { 0 };
	jobq_array_info		 info;
	jobq_client		*c, *w;
	jobq_job		*task;
	jobq_event		 ev;
	int64_t			 id, i, n = 4;
	char			 buf[256];
	size_t			 len;
	int			 rc, done, ended = 0;

	if (argc > 1 && ((n = atoll(argv[1])) < 1 || n > JOBQ_MAX_ARRAY)) {
		fprintf(stderr, "usage: watch-array [N]  (1..%d)\n",
		    JOBQ_MAX_ARRAY);
		return 2;
	}
	opts.argv = cmd;
	opts.array_first = 1;
	opts.array_count = n;
	opts.array_throttle = 2;

	/* Watch first, on a connection of its own, then submit: no event
	 * is missed. */
	if ((rc = jobq_connect(NULL, &c)) < 0 ||
	    (rc = jobq_connect(NULL, &w)) < 0) {
		fprintf(stderr, "watch-array: %s\n", jobq_strerror(rc));
		return 1;
	}
	if ((rc = jobq_watch(w, NULL, 0)) < 0 ||
	    (rc = jobq_submit(c, &opts, &id)) < 0) {
		fprintf(stderr, "watch-array: %s %s\n", jobq_strerror(rc),
		    jobq_last_error(c));
		return 1;
	}
	printf("array %lld: %lld tasks\n", (long long)id, (long long)n);
	while (ended < n && (rc = jobq_watch_next(w, &ev, -1)) == 0) {
		if (ev.array_id != id)
			continue;
		printf("task %lld (job %lld): %s\n", (long long)ev.array_index,
		    (long long)ev.id, jobq_state_name(ev.state));
		ended += jobq_state_is_terminal(ev.state);
	}
	if (rc < 0) {
		fprintf(stderr, "watch-array: %s %s\n", jobq_strerror(rc),
		    jobq_last_error(w));
		return 1;
	}
	jobq_close(w);

	if ((rc = jobq_array_get(c, id, &info)) < 0) {
		fprintf(stderr, "watch-array: %s\n", jobq_strerror(rc));
		return 1;
	}
	printf("array %lld: %zu succeeded, %zu failed\n", (long long)id,
	    info.counts[JOBQ_STATE_SUCCEEDED], info.counts[JOBQ_STATE_FAILED]);
	for (i = 0; i < n; i++) {
		if (jobq_get_task(c, id, info.first + i * info.step,
		    &task) < 0)
			continue;
		if (jobq_read_output(c, task->id, JOBQ_STDOUT, 0, buf,
		    sizeof(buf), &len, &done) == 0)
			printf("  job %lld: %.*s", (long long)task->id,
			    (int)len, buf);
		jobq_job_free(task);
	}
	jobq_close(c);
	return info.counts[JOBQ_STATE_SUCCEEDED] == (size_t)n ? 0 : 1;
}
