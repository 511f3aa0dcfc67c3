/*
 * cmd-watch.c - `jobq watch`: prints job state changes as jobqd commits
 * them, until interrupted or, given REFs, until all of them have ended
 * (checked on a second connection).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

/* Whether every task of an array has ended. */
static int
cmd_array_ended(const jobq_array_info *ai)
{
	size_t left = 0;
	int s;

	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		if (!jobq_state_is_terminal((jobq_state)s))
			left += ai->counts[s];
	return left == 0;
}

static volatile sig_atomic_t cmd_stop;

static void
cmd_on_signal(int sig)
{
	(void)sig;
	cmd_stop = 1;
}

/* A REF given to `watch`, and whether it has ended. */
struct cmd_watched {
	struct fmt_ref ref;
	int64_t id;         /* the job id, or the array id */
	int is_array;
	int ended;
};

/* Asks jobqd (on the control connection) whether w has ended: 1 or 0, or
 * a negative JOBQ_E* code. */
static int
cmd_watch_check(jobq_client *ctl, const struct cmd_watched *w)
{
	jobq_array_info ai;
	jobq_job *job = NULL;
	int err, r;

	if (w->is_array) {
		memset(&ai, 0, sizeof(ai));
		err = jobq_array_get(ctl, w->id, &ai);
		return err != 0 ? err : cmd_array_ended(&ai);
	}
	err = jobq_get(ctl, w->id, &job);
	if (err != 0)
		return err;
	r = jobq_state_is_terminal(job->state);
	jobq_job_free(job);
	return r;
}

/* The event object of jobq-protocol(7); NULL when out of memory. */
static cJSON *
cmd_event_json(const jobq_event *ev)
{
	const char *state = jobq_state_name(ev->state);
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "event", "state") == NULL ||
	    proto_add_int(o, "id", ev->id) != 0 ||
	    cJSON_AddStringToObject(o, "state", state != NULL ? state : "?") ==
	    NULL ||
	    proto_add_int(o, "time", ev->time) != 0 ||
	    cJSON_AddStringToObject(o, "queue", ev->queue) == NULL ||
	    proto_add_int(o, "attempts", ev->attempts) != 0 ||
	    (ev->exit_code >= 0 &&
	    proto_add_int(o, "exit_code", ev->exit_code) != 0) ||
	    (ev->signal > 0 && proto_add_int(o, "signal", ev->signal) != 0) ||
	    (ev->reason[0] != '\0' &&
	    cJSON_AddStringToObject(o, "reason", ev->reason) == NULL) ||
	    (ev->not_before > 0 &&
	    proto_add_int(o, "not_before", ev->not_before) != 0) ||
	    (ev->array_id != 0 &&
	    (proto_add_int(o, "array_id", ev->array_id) != 0 ||
	    proto_add_int(o, "array_index", ev->array_index) != 0))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Prints one event as a line of text or of JSON; 0, 1 when the reader went
 * away, -1 on another error (reported). */
static int
cmd_watch_print(const char *cmd, const jobq_event *ev, int json)
{
	char clock[FMT_TIME_LEN], when[FMT_TIME_LEN], sig[FMT_SIG_LEN];
	const char *state;

	if (json) {
		cJSON *o = cmd_event_json(ev);
		char *s;

		if (o == NULL || (s = cJSON_PrintUnformatted(o)) == NULL) {
			cJSON_Delete(o);
			cmd_nomem(cmd);
			return -1;
		}
		cJSON_Delete(o);
		fputs(s, stdout);
		putchar('\n');
		free(s);
		return cmd_flush(cmd);
	}
	state = jobq_state_name(ev->state);
	/* "TIME ID STATE" first, always: scripts may cut the fields. */
	printf("%s %lld %s", fmt_clock(ev->time, 1, clock, sizeof(clock)),
	    (long long)ev->id, state != NULL ? state : "?");
	if (ev->array_id != 0)
		printf(" task %lld.%lld", (long long)ev->array_id,
		    (long long)ev->array_index);
	if (ev->state == JOBQ_STATE_QUEUED && ev->not_before > 0)
		printf(" %s %s", ev->attempts > 0 ? "retry at" : "not before",
		    fmt_when(ev->not_before, ev->time, when, sizeof(when)));
	if (ev->state == JOBQ_STATE_RUNNING && ev->attempts > 1)
		printf(" attempt %d", ev->attempts);
	if (ev->exit_code >= 0)
		printf(" exit %d", ev->exit_code);
	if (ev->signal > 0)
		printf(" %s", fmt_signal_name(ev->signal, sig, sizeof(sig)));
	if (ev->reason[0] != '\0' && strcmp(ev->reason, "exit_code") != 0 &&
	    strcmp(ev->reason, "signal") != 0)
		printf(" (%s)", ev->reason);
	putchar('\n');
	return cmd_flush(cmd);
}

/* Resolves the REFs of `watch` on the control connection; 0 or a status. */
static int
cmd_watch_resolve(jobq_client *ctl, const char *cmd, struct cmd_watched *w,
    size_t n)
{
	char what[FMT_REF_LEN + 8];
	jobq_job *job = NULL;
	size_t i;
	int err, rc;

	for (i = 0; i < n; i++) {
		if (w[i].ref.has_index) {
			if ((rc = cmd_ref_job(ctl, cmd, &w[i].ref, &w[i].id,
			    NULL)) != 0)
				return rc;
			continue;
		}
		w[i].id = w[i].ref.id;
		err = jobq_get(ctl, w[i].id, &job);
		jobq_job_free(job);
		job = NULL;
		if (err == JOBQ_EISARRAY)
			w[i].is_array = 1;
		else if (err != 0)
			return cmd_fail_what(cmd, cmd_ref_what(&w[i].ref, what,
			    sizeof(what)), err);
	}
	return 0;
}

/* Re-checks the unfinished REFs that ev may have ended (ev NULL: all of
 * them); returns 1 when all have ended, 0 if not, -1 after reporting an
 * error (*rc gets the exit status). */
static int
cmd_watch_progress(jobq_client *ctl, const char *cmd, struct cmd_watched *w,
    size_t n, const jobq_event *ev, int *rc)
{
	char what[FMT_REF_LEN + 8];
	size_t i, left = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (w[i].ended)
			continue;
		if (ev == NULL || (w[i].is_array && ev->array_id == w[i].id &&
		    jobq_state_is_terminal(ev->state))) {
			r = cmd_watch_check(ctl, &w[i]);
			if (r < 0) {
				*rc = cmd_fail_what(cmd, cmd_ref_what(&w[i].ref,
				    what, sizeof(what)), r);
				return -1;
			}
			w[i].ended = r;
		} else if (!w[i].is_array && ev->id == w[i].id &&
		    jobq_state_is_terminal(ev->state)) {
			w[i].ended = 1;
		}
		if (!w[i].ended)
			left++;
	}
	return left == 0;
}

/* cmd_watch_progress on the control connection (for its error messages);
 * 1 when every REF has ended, 0 if not, -1 after reporting (*rc). */
static int
cmd_watch_ended(jobq_client *ctl, const char *cmd, struct cmd_watched *w,
    size_t n, const jobq_event *ev, int *rc)
{
	cmd_set_client(ctl);
	return cmd_watch_progress(ctl, cmd, w, n, ev, rc);
}

/* Follows the event stream on cl, printing each event, until every REF has
 * ended (n > 0), the reader goes away, or SIGINT / SIGTERM; the exit
 * status. */
static int
cmd_watch_follow(const char *cmd, jobq_client *cl, jobq_client *ctl,
    struct cmd_watched *w, size_t n, int json)
{
	jobq_event ev;
	int err, r, rc = 0;

	/* Whatever ended before the watch began sends no event. */
	if (n > 0 && (r = cmd_watch_ended(ctl, cmd, w, n, NULL, &rc)) != 0)
		return r > 0 ? 0 : rc;
	while (!cmd_stop) {
		err = jobq_watch_next(cl, &ev, 250);
		if (err == JOBQ_ETIMEDOUT)
			continue;
		if (cmd_stop)
			break;
		if (err != 0) {
			cmd_set_client(cl);
			return cmd_fail(cmd, 0, err);
		}
		if ((r = cmd_watch_print(cmd, &ev, json)) != 0)
			return r > 0 ? 0 : FMT_EXIT_FAIL;
		if (n > 0 && jobq_state_is_terminal(ev.state) &&
		    (r = cmd_watch_ended(ctl, cmd, w, n, &ev, &rc)) != 0)
			return r > 0 ? 0 : rc;
	}
	return 0;	/* interrupted: a normal end */
}

/* The REF operands of `watch` (none: every job): *refs, *w and *ids
 * malloc'd with *n entries.  0 or an exit status. */
static int
cmd_watch_refs(const char *cmd, int argc, char **argv, struct fmt_ref **refs,
    struct cmd_watched **w, int64_t **ids, size_t *n)
{
	size_t i;
	int rc;

	if (optind >= argc)
		return 0;
	if ((rc = cmd_parse_refs(cmd, argc, argv, refs, n)) != 0)
		return rc;
	*w = calloc(*n, sizeof(**w));
	*ids = calloc(*n, sizeof(**ids));
	if (*w == NULL || *ids == NULL)
		return cmd_nomem(cmd);
	for (i = 0; i < *n; i++)
		(*w)[i].ref = (*refs)[i];
	return 0;
}

/* SIGINT and SIGTERM end `watch` normally; 0 or an exit status. */
static int
cmd_watch_signals(const char *cmd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cmd_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: let a blocked poll return */
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0) {
		fprintf(stderr, "jobq: %s: sigaction: %s\n", cmd, strerror(errno));
		return FMT_EXIT_FAIL;
	}
	return 0;
}

int
cmd_watch(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "watch";
	int json = ctx->json, rc, err;
	jobq_client *ctl = NULL, *cl = NULL;
	struct cmd_watched *w = NULL;
	struct fmt_ref *refs = NULL;
	int64_t *ids = NULL;
	size_t n = 0, i;

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_watch_refs(cmd, argc, argv, &refs, &w, &ids, &n)) != 0 ||
	    (rc = cmd_watch_signals(cmd)) != 0)
		goto out;
	/* A second connection answers "has it ended?" while the first one
	 * carries the events. */
	if (n > 0 && ((rc = cmd_connect(ctx, cmd, &ctl)) != 0 ||
	    (rc = cmd_watch_resolve(ctl, cmd, w, n)) != 0))
		goto out;
	for (i = 0; i < n; i++)
		ids[i] = w[i].id;
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	if ((err = jobq_watch(cl, ids, n)) != 0)
		rc = cmd_fail(cmd, 0, err);
	else
		rc = cmd_watch_follow(cmd, cl, ctl, w, n, json);
out:
	if (ctl != NULL)
		cmd_close(ctl);
	if (cl != NULL)
		cmd_close(cl);
	free(ids);
	free(w);
	free(refs);
	return rc;
}
