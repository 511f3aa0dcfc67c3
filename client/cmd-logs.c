/*
 * cmd-logs.c - `jobq logs`: the captured stdout (or stderr) of jobs.
 *
 * --merged shows the one output of jobs submitted with --merge-output
 * (stderr in the stdout file, in the order written) and refuses others;
 * --stderr refuses those.
 *
 * One job: its bytes as they are.  Several jobs, or an array (every task):
 * each line prefixed with "[ID] " or "[A.I] ", a last unterminated line
 * ended with a newline.  --tail N starts each job's output N lines before
 * its end (found by reading backwards from the size jobqd reports).
 * -f/--follow reads the jobs round-robin as their output grows until each
 * has ended, says on stderr how each ended, and exits with the job's
 * status for one job (as `submit --wait` does), else 0 if every job
 * succeeded and 1 if not.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

#define CMD_LOGS_CHUNK (64 * 1024)
#define CMD_LOGS_POLL_MS 200

/* One job whose output is shown. */
struct cmd_logs_job {
	int64_t id;
	int merged;			/* submitted with --merge-output */
	char label[FMT_REF_LEN + 3];	/* "[A.I] " */
	uint64_t off;			/* the next byte to read */
	int done;			/* ended and all read */
	char *part;			/* a line not yet ended (prefixed) */
	size_t plen, pcap;
	char *acc;			/* --json: everything read */
	size_t alen, acap;
};

struct cmd_logs {
	const char *cmd;
	jobq_client *cl;
	jobq_stream stream;
	int json, follow, prefix;
	int merged;			/* --merged */
	long tail;			/* -1: from the start */
	struct cmd_logs_job *jobs;
	size_t n, cap;
	char *buf;			/* CMD_LOGS_CHUNK */
};

/* Writes all of buf to stdout; 0, -1 when the reader went away (a quiet
 * end), or an exit status. */
static int
cmd_logs_write(const char *cmd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(STDOUT_FILENO, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				return -1;
			fprintf(stderr, "jobq: %s: write error: %s\n", cmd,
			    strerror(errno));
			return FMT_EXIT_FAIL;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Appends n bytes to a growing buffer; 0 or -1. */
static int
cmd_logs_keep(char **p, size_t *len, size_t *cap, const char *b, size_t n)
{
	if (util_grow(p, cap, *len + n + 1, 1) != 0)
		return -1;
	memcpy(*p + *len, b, n);
	*len += n;
	return 0;
}

/* Takes n bytes of j's output: kept for --json, written raw for one job,
 * else line by line with j's prefix.  0, -1 (reader gone) or a status. */
static int
cmd_logs_put(struct cmd_logs *L, struct cmd_logs_job *j, const char *b,
    size_t n)
{
	const char *nl;
	size_t k;
	int r;

	if (L->json)
		return cmd_logs_keep(&j->acc, &j->alen, &j->acap, b, n) == 0 ?
		    0 : cmd_nomem(L->cmd);
	if (!L->prefix)
		return cmd_logs_write(L->cmd, b, n);
	while (n > 0) {
		nl = memchr(b, '\n', n);
		k = nl != NULL ? (size_t)(nl - b) + 1 : n;
		if (j->plen == 0 && cmd_logs_keep(&j->part, &j->plen, &j->pcap,
		    j->label, strlen(j->label)) != 0)
			return cmd_nomem(L->cmd);
		if (cmd_logs_keep(&j->part, &j->plen, &j->pcap, b, k) != 0)
			return cmd_nomem(L->cmd);
		if (nl != NULL) {
			if ((r = cmd_logs_write(L->cmd, j->part, j->plen)) != 0)
				return r;
			j->plen = 0;
		}
		b += k;
		n -= k;
	}
	return 0;
}

/* At the end of j's output: a prefixed line left open is ended. */
static int
cmd_logs_flush(struct cmd_logs *L, struct cmd_logs_job *j)
{
	int r;

	if (L->json || !L->prefix || j->plen == 0)
		return 0;
	if (cmd_logs_keep(&j->part, &j->plen, &j->pcap, "\n", 1) != 0)
		return cmd_nomem(L->cmd);
	r = cmd_logs_write(L->cmd, j->part, j->plen);
	j->plen = 0;
	return r;
}

/* Adds a job (merged: submitted with --merge-output) to show; 0 or an
 * exit status.  Its output must be what was asked: --merged needs a job
 * whose stdout has both; --stderr one whose stderr is apart. */
static int
cmd_logs_add(struct cmd_logs *L, int64_t id, const struct fmt_ref *ref,
    int merged)
{
	struct cmd_logs_job *j;
	char r[FMT_REF_LEN], what[FMT_REF_LEN + 8];

	if (L->merged && !merged) {
		fprintf(stderr, "jobq: %s: %s: its stdout and stderr were kept "
		    "apart (submit it with --merge-output to have both in "
		    "one file, in the order they were written)\n", L->cmd,
		    cmd_ref_what(ref, what, sizeof(what)));
		return FMT_EXIT_FAIL;
	}
	if (L->stream == JOBQ_STDERR && merged) {
		fprintf(stderr, "jobq: %s: %s: its stderr went to its stdout "
		    "(--merge-output): jobq logs %s\n", L->cmd,
		    cmd_ref_what(ref, what, sizeof(what)), fmt_ref(ref, r,
		    sizeof(r)));
		return FMT_EXIT_FAIL;
	}
	if (util_grow(&L->jobs, &L->cap, L->n + 1, sizeof(*L->jobs)) != 0)
		return cmd_nomem(L->cmd);
	j = &L->jobs[L->n++];
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->merged = merged;
	snprintf(j->label, sizeof(j->label), "[%s] ", fmt_ref(ref, r,
	    sizeof(r)));
	return 0;
}

/* The REFs to jobs: a plain id that names an array gives every task (in
 * index order).  0 or an exit status. */
static int
cmd_logs_resolve(struct cmd_logs *L, const struct fmt_ref *refs, size_t n)
{
	jobq_filter f;
	jobq_job **tasks = NULL, *job = NULL;
	struct fmt_ref tr;
	char what[FMT_REF_LEN + 8];
	size_t i, k, nt = 0;
	int64_t id;
	int err, rc;

	for (i = 0; i < n; i++) {
		if (refs[i].has_index) {
			if ((rc = cmd_ref_job(L->cl, L->cmd, &refs[i], &id,
			    &job)) == 0)
				rc = cmd_logs_add(L, id, &refs[i],
				    job->merge_output);
			jobq_job_free(job);
			job = NULL;
			if (rc != 0)
				return rc;
			continue;
		}
		err = jobq_get(L->cl, refs[i].id, &job);
		if (err == 0) {
			rc = cmd_logs_add(L, refs[i].id, &refs[i],
			    job->merge_output);
			jobq_job_free(job);
			job = NULL;
			if (rc != 0)
				return rc;
			continue;
		}
		if (err != JOBQ_EISARRAY)
			return cmd_fail_what(L->cmd, cmd_ref_what(&refs[i], what,
			    sizeof(what)), err);
		memset(&f, 0, sizeof(f));
		f.state = -1;
		f.array_id = refs[i].id;
		if ((err = jobq_list(L->cl, &f, &tasks, &nt)) != 0)
			return cmd_fail_what(L->cmd, cmd_ref_what(&refs[i], what,
			    sizeof(what)), err);
		L->prefix = 1;
		for (k = 0, rc = 0; rc == 0 && k < nt; k++) {
			tr.id = tasks[k]->array_id;
			tr.index = tasks[k]->array_index;
			tr.has_index = 1;
			rc = cmd_logs_add(L, tasks[k]->id, &tr,
			    tasks[k]->merge_output);
		}
		jobq_job_list_free(tasks, nt);
		if (rc != 0)
			return rc;
	}
	if (L->n > 1)
		L->prefix = 1;
	return 0;
}

/* Where the last L->tail lines of j's output start: reads backwards from
 * the end in chunks until it has seen that many line ends (one ending the
 * output itself does not count).  0 or an exit status. */
static int
cmd_logs_tail(struct cmd_logs *L, struct cmd_logs_job *j)
{
	uint64_t size, end, start;
	size_t nread, i;
	long seen = 0;
	int err, done;
	char what[32];

	snprintf(what, sizeof(what), "job %lld", (long long)j->id);
	if ((err = jobq_read_output_ex(L->cl, j->id, L->stream, 0, L->buf, 1,
	    &nread, &done, &size)) != 0)
		return cmd_fail_what(L->cmd, what, err);
	if (L->tail == 0) {
		j->off = size;
		return 0;
	}
	end = size;
	while (end > 0) {
		start = end > CMD_LOGS_CHUNK ? end - CMD_LOGS_CHUNK : 0;
		if ((err = jobq_read_output_ex(L->cl, j->id, L->stream, start,
		    L->buf, (size_t)(end - start), &nread, &done, NULL)) != 0)
			return cmd_fail_what(L->cmd, what, err);
		for (i = nread; i-- > 0;) {
			if (L->buf[i] != '\n' || start + i + 1 == size)
				continue;
			if (++seen == L->tail) {
				j->off = start + i + 1;
				return 0;
			}
		}
		end = start;
	}
	j->off = 0;
	return 0;
}

/* Reads one chunk of j's output; *got gets the bytes.  0, -1 (reader
 * gone) or an exit status. */
static int
cmd_logs_step(struct cmd_logs *L, struct cmd_logs_job *j, size_t *got)
{
	char what[32];
	int err, done = 0, r;

	*got = 0;
	err = jobq_read_output(L->cl, j->id, L->stream, j->off, L->buf,
	    CMD_LOGS_CHUNK, got, &done);
	if (err != 0) {
		snprintf(what, sizeof(what), "job %lld", (long long)j->id);
		return cmd_fail_what(L->cmd, what, err);
	}
	if (*got > 0 && (r = cmd_logs_put(L, j, L->buf, *got)) != 0)
		return r;
	j->off += *got;
	if (done || (*got == 0 && !L->follow)) {
		j->done = 1;
		return cmd_logs_flush(L, j);
	}
	return 0;
}

/* -f: says on stderr how j ended; its exit status (fmt_job_status), or
 * an exit status of jobq's when it cannot be read. */
static int
cmd_logs_ended(struct cmd_logs *L, struct cmd_logs_job *j)
{
	jobq_job *job = NULL;
	char sig[FMT_SIG_LEN], what[32];
	int err, st;

	snprintf(what, sizeof(what), "job %lld", (long long)j->id);
	if ((err = jobq_get(L->cl, j->id, &job)) != 0)
		return cmd_fail_what(L->cmd, what, err);
	st = fmt_job_status(job);
	fprintf(stderr, "jobq: %s: %s%s: %s", L->cmd, L->prefix ? j->label :
	    "", what, jobq_state_name(job->state));
	if (job->exit_code >= 0)
		fprintf(stderr, ", exit code %d", job->exit_code);
	else if (job->signal > 0)
		fprintf(stderr, ", killed by %s", fmt_signal_name(job->signal,
		    sig, sizeof(sig)));
	if (job->reason != NULL && job->exit_code < 0 && job->signal <= 0)
		fprintf(stderr, " (%s)", job->reason);
	fputc('\n', stderr);
	if (job->state != JOBQ_STATE_SUCCEEDED && st == 0)
		st = FMT_EXIT_FAIL;
	jobq_job_free(job);
	return st;
}

/* Reads every job to its end (follow: round-robin while they grow).
 * Returns the exit status. */
static int
cmd_logs_run(struct cmd_logs *L)
{
	size_t i, got, live;
	int r, status = 0, st, moved, ok = 1;

	for (;;) {
		live = 0;
		moved = 0;
		for (i = 0; i < L->n; i++) {
			struct cmd_logs_job *j = &L->jobs[i];

			/* without -f, one job at a time, in order */
			while (!j->done) {
				if ((r = cmd_logs_step(L, j, &got)) != 0)
					return r < 0 ? 0 : r;
				moved |= got > 0;
				if (L->follow)
					break;
			}
			if (!j->done) {
				live++;
				continue;
			}
			if (L->follow && j->off != UINT64_MAX) {
				st = cmd_logs_ended(L, j);
				j->off = UINT64_MAX;	/* reported */
				if (st != 0)
					ok = 0;
				status = st;
			}
		}
		if (live == 0)
			break;
		if (!moved) {
			/* nothing new: wait a little for the first that runs */
			for (i = 0; i < L->n && L->jobs[i].done; i++)
				;
			r = jobq_wait(L->cl, L->jobs[i].id, CMD_LOGS_POLL_MS,
			    NULL);
			if (r != 0 && r != JOBQ_ETIMEDOUT)
				return cmd_fail(L->cmd, L->jobs[i].id, r);
		}
	}
	if (!L->follow)
		return 0;
	if (L->n == 1)
		return status;
	return ok ? 0 : FMT_EXIT_FAIL;
}

/* --json: one object per job ({"id","stream","size","data_base64"}), an
 * array of them for several.  0 or an exit status. */
static int
cmd_logs_json(struct cmd_logs *L)
{
	cJSON *arr = NULL, *o;
	char *b64;
	size_t i;

	if (L->n != 1 && (arr = cJSON_CreateArray()) == NULL)
		return cmd_nomem(L->cmd);
	for (i = 0; i < L->n; i++) {
		struct cmd_logs_job *j = &L->jobs[i];

		o = cJSON_CreateObject();
		b64 = proto_b64_encode(j->acc != NULL ? j->acc : "", j->alen);
		if (o == NULL || b64 == NULL ||
		    cJSON_AddNumberToObject(o, "id", (double)j->id) == NULL ||
		    cJSON_AddStringToObject(o, "stream", L->stream ==
		    JOBQ_STDERR ? "stderr" : "stdout") == NULL ||
		    cJSON_AddNumberToObject(o, "size", (double)j->alen) ==
		    NULL ||
		    cJSON_AddStringToObject(o, "data_base64", b64) == NULL) {
			free(b64);
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return cmd_nomem(L->cmd);
		}
		free(b64);
		if (arr == NULL)
			return cmd_print_json(L->cmd, o);
		if (cmd_json_append(arr, o) != 0) {
			cJSON_Delete(arr);
			return cmd_nomem(L->cmd);
		}
	}
	return cmd_print_json(L->cmd, arr);
}

int
cmd_logs(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stderr", no_argument, NULL, CMD_OPT_STDERR },
		{ "merged", no_argument, NULL, CMD_OPT_MERGED },
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 'n' },
		CMD_OPTS_COMMON,
	};
	struct cmd_logs L;
	struct fmt_ref *refs = NULL;
	size_t nrefs = 0, i;
	int c, rc, st;

	memset(&L, 0, sizeof(L));
	L.cmd = "logs";
	L.json = ctx->json;
	L.stream = JOBQ_STDOUT;
	L.tail = -1;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":hfn:", opts, NULL)) != -1) {
		if (c == CMD_OPT_STDERR)
			L.stream = JOBQ_STDERR;
		else if (c == CMD_OPT_MERGED)
			L.merged = 1;
		else if (c == 'f')
			L.follow = 1;
		else if (c == 'n') {
			if (fmt_parse_count(optarg, LONG_MAX, &L.tail) != 0)
				return cmd_usage_error(L.cmd, "invalid --tail "
				    "'%s' (expected a number of lines)", optarg);
		} else if ((rc = cmd_opt_common(L.cmd, c, argv, &L.json)) >= 0)
			return rc;
	}
	if (L.merged && L.stream == JOBQ_STDERR)
		return cmd_usage_error(L.cmd, "--merged and --stderr exclude "
		    "each other");
	if ((rc = cmd_parse_refs(L.cmd, argc, argv, &refs, &nrefs)) != 0)
		return rc;
	if ((L.buf = malloc(CMD_LOGS_CHUNK)) == NULL) {
		free(refs);
		return cmd_nomem(L.cmd);
	}
	if ((rc = cmd_connect(ctx, L.cmd, &L.cl)) != 0 ||
	    (rc = cmd_logs_resolve(&L, refs, nrefs)) != 0)
		goto out;
	for (i = 0; L.tail >= 0 && i < L.n; i++)
		if ((rc = cmd_logs_tail(&L, &L.jobs[i])) != 0)
			goto out;
	/* Anything printed through stdio so far goes out before raw bytes. */
	if (fflush(stdout) == EOF && errno != EPIPE) {
		fprintf(stderr, "jobq: %s: write error: %s\n", L.cmd,
		    strerror(errno));
		rc = FMT_EXIT_FAIL;
		goto out;
	}
	rc = cmd_logs_run(&L);
	if (L.json && (st = cmd_logs_json(&L)) != 0)
		rc = st;
out:
	cmd_close(L.cl);
	for (i = 0; i < L.n; i++) {
		free(L.jobs[i].part);
		free(L.jobs[i].acc);
	}
	free(L.jobs);
	free(L.buf);
	free(refs);
	return rc;
}
