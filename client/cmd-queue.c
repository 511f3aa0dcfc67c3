/*
 * cmd-queue.c - `jobq queue list|set|pause|resume`, and the queue table
 * and JSON object, which `jobq stats` shows too.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

/* {"name","parallel","paused","counts"}; NULL when out of memory. */
cJSON *
cmd_queue_json(const jobq_queue_info *q)
{
	cJSON *o = cJSON_CreateObject(), *counts = cmd_counts_json(q->counts);

	if (o == NULL || counts == NULL ||
	    cJSON_AddStringToObject(o, "name", q->name) == NULL ||
	    proto_add_int(o, "parallel", q->parallel) != 0 ||
	    cJSON_AddBoolToObject(o, "paused", q->paused != 0) == NULL ||
	    !cJSON_AddItemToObject(o, "counts", counts)) {
		cJSON_Delete(counts);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Prints the queues as a table. */
int
cmd_queue_table(const char *cmd, const jobq_queue_info *qs, size_t n)
{
	const char *headers[3 + JOBQ_STATE_COUNT];
	int align[3 + JOBQ_STATE_COUNT];
	char names[JOBQ_STATE_COUNT][24];
	char nums[JOBQ_STATE_COUNT][24], par[24];
	const char *cells[3 + JOBQ_STATE_COUNT];
	struct fmt_table *t;
	size_t i, k;
	int s;

	headers[0] = "NAME";
	headers[1] = "PARALLEL";
	headers[2] = "PAUSED";
	align[0] = align[2] = FMT_LEFT;
	align[1] = FMT_RIGHT;
	for (s = 0; s < JOBQ_STATE_COUNT; s++) {
		const char *nm = jobq_state_name((jobq_state)s);

		for (k = 0; nm[k] != '\0' && k + 1 < sizeof(names[s]); k++)
			names[s][k] = nm[k] >= 'a' && nm[k] <= 'z' ?
			    (char)(nm[k] - 'a' + 'A') : nm[k];
		names[s][k] = '\0';
		headers[3 + s] = names[s];
		align[3 + s] = FMT_RIGHT;
	}
	t = fmt_table_new(3 + JOBQ_STATE_COUNT, headers, align);
	for (i = 0; t != NULL && i < n; i++) {
		if (qs[i].parallel > 0)
			snprintf(par, sizeof(par), "%d", qs[i].parallel);
		else
			snprintf(par, sizeof(par), "-");
		cells[0] = qs[i].name;
		cells[1] = par;
		cells[2] = qs[i].paused ? "yes" : "no";
		for (s = 0; s < JOBQ_STATE_COUNT; s++) {
			snprintf(nums[s], sizeof(nums[s]), "%zu", qs[i].counts[s]);
			cells[3 + s] = nums[s];
		}
		cmd_table_add(&t, cells);
	}
	return cmd_table_print(cmd, t, 0);
}

/* `queue list`, or the changed queue `name` (--json after a change). */
static int
cmd_queue_print(jobq_client *cl, const char *cmd, const char *name, int json)
{
	jobq_queue_info *qs = NULL;
	jobq_usage *u = NULL;
	cJSON *arr;
	size_t n = 0, i;
	int err, rc;

	err = jobq_queue_list(cl, &qs, &n);
	if (err == 0 && name == NULL && !json)
		err = jobq_get_usage(cl, &u);
	if (err != 0) {
		jobq_queue_list_free(qs);
		return cmd_fail(cmd, 0, err);
	}
	if (name != NULL) {
		for (i = 0; i < n && strcmp(qs[i].name, name) != 0; i++)
			;
		if (i == n) {
			fprintf(stderr, "jobq: %s: queue %s is not listed\n", cmd,
			    name);
			rc = FMT_EXIT_FAIL;
		} else {
			rc = cmd_print_json(cmd, cmd_queue_json(&qs[i]));
		}
	} else if (json) {
		arr = cJSON_CreateArray();
		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, cmd_queue_json(&qs[i]));
		rc = cmd_print_json(cmd, arr);
	} else {
		rc = cmd_queue_table(cmd, qs, n);
		if (rc == 0) {
			cmd_usage_print(u);
			rc = cmd_flush(cmd) < 0 ? FMT_EXIT_FAIL : 0;
		}
	}
	jobq_queue_list_free(qs);
	jobq_usage_free(u);
	return rc;
}

/* Checks the operands of `queue SUB [Q]` (argv[optind..]) against the
 * subcommand and --parallel; *q gets the queue (NULL for list).  0 or the
 * usage status. */
static int
cmd_queue_operands(const char *cmd, const char *sub, int argc, char **argv,
    long parallel, const char **q)
{
	int nargs = strcmp(sub, "list") == 0 ? 0 : 1, set, rc;

	*q = NULL;
	if (strcmp(sub, "list") != 0 && strcmp(sub, "set") != 0 &&
	    strcmp(sub, "pause") != 0 && strcmp(sub, "resume") != 0)
		return cmd_usage_error(cmd, "unknown queue command '%s' "
		    "(expected list, set, pause or resume)", sub);
	if (argc - optind < nargs)
		return cmd_usage_error(cmd, "%s: missing the queue name", sub);
	if (argc - optind > nargs)
		return cmd_usage_error(cmd, "%s: unexpected argument '%s'", sub,
		    argv[optind + nargs]);
	if (nargs == 1 && (rc = cmd_check_queue(cmd, argv[optind])) != 0)
		return rc;
	set = strcmp(sub, "set") == 0;
	if (set && parallel < 0)
		return cmd_usage_error(cmd, "set: missing --parallel N");
	if (!set && parallel >= 0)
		return cmd_usage_error(cmd, "%s: --parallel is only for 'queue "
		    "set'", sub);
	if (nargs == 1)
		*q = argv[optind];
	return 0;
}

/* `queue set|pause|resume Q` on cl; the exit status. */
static int
cmd_queue_change(jobq_client *cl, const char *cmd, const char *sub,
    const char *q, long parallel, int json)
{
	char what[JOBQ_MAX_NAME + 8];
	int err;

	if (strcmp(sub, "set") == 0)
		err = jobq_queue_set(cl, q, (int)parallel, -1);
	else
		err = jobq_queue_set(cl, q, -1, strcmp(sub, "pause") == 0);
	if (err != 0) {
		snprintf(what, sizeof(what), "queue %s", q);
		return cmd_fail_what(cmd, what, err);
	}
	return json ? cmd_queue_print(cl, cmd, q, json) : 0;
}

int
cmd_queue(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, CMD_OPT_PARALLEL },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "queue", *sub, *q;
	int json = ctx->json, c, rc;
	long parallel = -1;
	jobq_client *cl = NULL;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == CMD_OPT_PARALLEL) {
			if (fmt_parse_count(optarg, PROTO_MAX_PARALLEL,
			    &parallel) != 0)
				return cmd_usage_error(cmd, "invalid --parallel "
				    "'%s' (expected an integer from 0 to %d)",
				    optarg, PROTO_MAX_PARALLEL);
		} else if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
			return rc;
	}
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing the queue command (list, "
		    "set, pause or resume)");
	sub = argv[optind++];
	if ((rc = cmd_queue_operands(cmd, sub, argc, argv, parallel, &q)) != 0)
		return rc;
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	if (q == NULL)
		rc = cmd_queue_print(cl, cmd, NULL, json);
	else
		rc = cmd_queue_change(cl, cmd, sub, q, parallel, json);
	cmd_close(cl);
	return rc;
}
