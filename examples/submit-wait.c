/*
 * submit-wait.c - a minimal libjobq program: submit a command to jobqd, wait
 * for it to end, print its state, exit code and standard output, and exit
 * with the job's exit code.
 *
 *   submit-wait [command [arg...]]     (default: echo hello from libjobq)
 *
 * The socket comes from $JOBQ_SOCKET, else the default location (see
 * jobq_default_socket in libjobq(3)).  Build against an installed libjobq:
 *
 *   cc -o submit-wait submit-wait.c $(pkg-config --cflags --libs libjobq)
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jobq.h>

/* Copies the job's captured stdout to our stdout, chunk by chunk. */
static int
copy_output(jobq_client *c, int64_t id)
{
	char		buf[65536];
	uint64_t	offset = 0;
	size_t		n;
	int		done = 0, rc;

	while (!done) {
		rc = jobq_read_output(c, id, JOBQ_STDOUT, offset, buf,
		    sizeof(buf), &n, &done);
		if (rc < 0)
			return rc;
		if (n > 0 && fwrite(buf, 1, n, stdout) != n)
			return JOBQ_EIO;
		offset += n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const dflt[] = { "echo", "hello from libjobq",
	    NULL };
	jobq_submit_opts	 opts = { 0 };
	jobq_client		*c;
	jobq_job		*job;
	int64_t			 id;
	int			 rc, status;

	/* NULL path: $JOBQ_SOCKET or the default socket.  jobq_connect also
	 * performs the protocol version handshake. */
	if ((rc = jobq_connect(NULL, &c)) < 0) {
		fprintf(stderr, "submit-wait: connect: %s\n",
		    jobq_strerror(rc));
		return 125;
	}

	/* argv is NULL-terminated, as main() receives it.  env NULL sends
	 * our environment and cwd NULL our working directory. */
	opts.argv = argc > 1 ? (const char *const *)argv + 1 : dflt;
	if ((rc = jobq_submit(c, &opts, &id)) < 0) {
		fprintf(stderr, "submit-wait: submit: %s\n",
		    jobq_strerror(rc));
		jobq_close(c);
		return 125;
	}
	printf("job %lld submitted\n", (long long)id);

	/* Block until the job has ended (a negative timeout waits for ever). */
	if ((rc = jobq_wait(c, id, -1, &job)) < 0) {
		fprintf(stderr, "submit-wait: wait: %s\n", jobq_strerror(rc));
		jobq_close(c);
		return 125;
	}
	printf("job %lld %s, exit code %d", (long long)job->id,
	    jobq_state_name(job->state), job->exit_code);
	if (job->signal != 0)
		printf(", signal %d", job->signal);
	if (job->reason != NULL)
		printf(" (%s%s%s)", job->reason, job->message ? ": " : "",
		    job->message ? job->message : "");
	printf("\n--- stdout ---\n");
	fflush(stdout);

	if ((rc = copy_output(c, id)) < 0)
		fprintf(stderr, "submit-wait: output: %s\n", jobq_strerror(rc));

	/* Our exit status: the job's exit code, 128+signal like a shell, or
	 * 125 when it neither exited nor was killed (e.g. spawn failure). */
	if (job->exit_code >= 0)
		status = job->exit_code;
	else if (job->signal > 0)
		status = 128 + job->signal;
	else
		status = 125;
	jobq_job_free(job);
	jobq_close(c);
	if (fflush(stdout) != 0)
		return 125;
	return rc < 0 ? 125 : status;
}
