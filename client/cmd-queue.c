/*
 * cmd-queue.c - `jobq queue list|set|pause|resume`, and the queue table
 * and JSON object, which `jobq stats` shows too; `queue set --executor`
 * and the executor line under a queue that is not local.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "client_int.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

/* The executor options of `queue set`. */
struct cmd_queue_exec {
	const char *type;              /* --executor; NULL: not given */
	jobq_executor e;
	char *opts[PROTO_MAX_EXEC_OPTS];
	int other;                     /* --partition, --account or
	                                  --slurm-opt given */
};

/* {"name","parallel","paused","counts","executor"?}; NULL when out of
 * memory. */
cJSON *
cmd_queue_json(const jobq_queue_info *q, const struct proto_exec *e)
{
	cJSON *o = cJSON_CreateObject(), *counts = cmd_counts_json(q->counts);
	cJSON *x = e != NULL ? proto_exec_to_json(e) : NULL;

	if (o == NULL || counts == NULL || (e != NULL && x == NULL) ||
	    cJSON_AddStringToObject(o, "name", q->name) == NULL ||
	    proto_add_int(o, "parallel", q->parallel) != 0 ||
	    cJSON_AddBoolToObject(o, "paused", q->paused != 0) == NULL ||
	    !cJSON_AddItemToObject(o, "counts", counts)) {
		cJSON_Delete(x);
		cJSON_Delete(counts);
		cJSON_Delete(o);
		return NULL;
	}
	if (x != NULL && !cJSON_AddItemToObject(o, "executor", x)) {
		cJSON_Delete(x);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* "  executor: slurm partition=P account=A opts=K=V,..." */
static void
cmd_queue_exec_line(const struct proto_exec *e)
{
	size_t i;

	printf("  executor: slurm");
	if (e->partition[0] != '\0')
		printf(" partition=%s", e->partition);
	if (e->account[0] != '\0')
		printf(" account=%s", e->account);
	for (i = 0; i < e->nopts; i++)
		printf("%s%s", i == 0 ? " opts=" : ",", e->opts[i]);
	printf("\n");
}

/* Prints t (NULL: out of memory) with the executor line of each queue that
 * is not local under its row (the table's line 1 + i). */
static int
cmd_queue_table_exec(const char *cmd, struct fmt_table *t,
    const struct proto_exec *exec, size_t n)
{
	char *buf = NULL, *p, *nl;
	size_t len = 0, line = 0;
	FILE *mem;

	if (t == NULL)
		return cmd_nomem(cmd);
	if ((mem = open_memstream(&buf, &len)) == NULL) {
		fmt_table_free(t);
		return cmd_nomem(cmd);
	}
	(void)fmt_table_print(t, mem, 0);
	fmt_table_free(t);
	if (fclose(mem) != 0) {
		free(buf);
		return cmd_nomem(cmd);
	}
	for (p = buf; p != NULL && *p != '\0'; p = nl, line++) {
		if ((nl = strchr(p, '\n')) != NULL)
			nl++;
		fwrite(p, 1, nl != NULL ? (size_t)(nl - p) : strlen(p),
		    stdout);
		if (line >= 1 && line - 1 < n && exec[line - 1].slurm)
			cmd_queue_exec_line(&exec[line - 1]);
	}
	free(buf);
	return 0;
}

/* Prints the queues as a table, each with its executor line unless local
 * (exec NULL: none). */
int
cmd_queue_table(const char *cmd, const jobq_queue_info *qs,
    const struct proto_exec *exec, size_t n)
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
	if (exec != NULL)
		return cmd_queue_table_exec(cmd, t, exec, n);
	return cmd_table_print(cmd, t, 0);
}

/* `queue list`, or the changed queue `name` (--json after a change). */
static int
cmd_queue_print(jobq_client *cl, const char *cmd, const char *name, int json)
{
	jobq_queue_info *qs = NULL;
	struct proto_exec *ex = NULL;
	jobq_usage *u = NULL;
	jobq_slurm_info si;
	cJSON *arr;
	size_t n = 0, i;
	int err, rc;

	/* the usage line comes with the list: one request */
	err = client_queue_list_exec(cl, &qs, &ex, &si,
	    name == NULL && !json ? &u : NULL, &n);
	if (err != 0) {
		jobq_queue_list_free(qs);
		free(ex);
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
			rc = cmd_print_json(cmd, cmd_queue_json(&qs[i],
			    &ex[i]));
		}
	} else if (json) {
		arr = cJSON_CreateArray();
		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, cmd_queue_json(&qs[i], &ex[i]));
		rc = cmd_print_json(cmd, arr);
	} else {
		rc = cmd_queue_table(cmd, qs, ex, n);
		if (rc == 0) {
			cmd_usage_print(u);
			cmd_slurm_print(&si);
			rc = cmd_flush(cmd) < 0 ? FMT_EXIT_FAIL : 0;
		}
	}
	jobq_queue_list_free(qs);
	free(ex);
	jobq_usage_free(u);
	return rc;
}

/* Checks the operands of `queue SUB [Q]` (argv[optind..]) against the
 * subcommand and --parallel; *q gets the queue (NULL for list).  0 or the
 * usage status. */
static int
cmd_queue_operands(const char *cmd, const char *sub, int argc, char **argv,
    long parallel, const struct cmd_queue_exec *x, const char **q)
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
	if (set && parallel < 0 && x->type == NULL && !x->other)
		return cmd_usage_error(cmd, "set: missing --parallel N or "
		    "--executor local|slurm");
	if (!set && parallel >= 0)
		return cmd_usage_error(cmd, "%s: --parallel is only for 'queue "
		    "set'", sub);
	if (!set && (x->type != NULL || x->other))
		return cmd_usage_error(cmd, "%s: --executor, --partition, "
		    "--account and --slurm-opt are only for 'queue set'", sub);
	if (x->other && (x->type == NULL || strcmp(x->type, "slurm") != 0))
		return cmd_usage_error(cmd, "set: --partition, --account and "
		    "--slurm-opt need --executor slurm");
	if (nargs == 1)
		*q = argv[optind];
	return 0;
}

/* `queue set|pause|resume Q` on cl; the exit status.  The executor goes
 * first: a setting jobqd refuses changes nothing. */
static int
cmd_queue_change(jobq_client *cl, const char *cmd, const char *sub,
    const char *q, long parallel, const struct cmd_queue_exec *x, int json)
{
	char what[JOBQ_MAX_NAME + 8];
	int err = 0;

	if (strcmp(sub, "set") != 0)
		err = jobq_queue_set(cl, q, -1, strcmp(sub, "pause") == 0);
	if (strcmp(sub, "set") == 0 && x->type != NULL)
		err = jobq_queue_set_executor(cl, q, &x->e);
	if (err == 0 && strcmp(sub, "set") == 0 && parallel >= 0)
		err = jobq_queue_set(cl, q, (int)parallel, -1);
	if (err != 0) {
		snprintf(what, sizeof(what), "queue %s", q);
		return cmd_fail_what(cmd, what, err);
	}
	return json ? cmd_queue_print(cl, cmd, q, json) : 0;
}

/* An executor option (CMD_OPT_EXECUTOR ... CMD_OPT_SLURM_OPT) into x,
 * checked with the protocol's rules: 0 or the usage status. */
static int
cmd_queue_exec_opt(const char *cmd, int c, const char *arg,
    struct cmd_queue_exec *x)
{
	char err[256];
	const char *why;
	char *dst;

	switch (c) {
	case CMD_OPT_EXECUTOR:
		if (strcmp(arg, "local") != 0 && strcmp(arg, "slurm") != 0)
			return cmd_usage_error(cmd, "invalid --executor '%s' "
			    "(expected local or slurm)", arg);
		x->type = arg;
		snprintf(x->e.type, sizeof(x->e.type), "%s", arg);
		return 0;
	case CMD_OPT_PARTITION:
	case CMD_OPT_ACCOUNT:
		x->other = 1;
		if ((why = proto_exec_name_check(arg)) != NULL)
			return cmd_usage_error(cmd, "invalid %s '%s': %s",
			    c == CMD_OPT_PARTITION ? "--partition" :
			    "--account", arg, why);
		dst = c == CMD_OPT_PARTITION ? x->e.partition : x->e.account;
		snprintf(dst, sizeof(x->e.partition), "%s", arg);
		return 0;
	default:
		x->other = 1;
		if (x->e.n_opts == PROTO_MAX_EXEC_OPTS)
			return cmd_usage_error(cmd, "--slurm-opt: at most %d "
			    "options", PROTO_MAX_EXEC_OPTS);
		if (proto_exec_opt_check(arg, err, sizeof(err)) != 0)
			return cmd_usage_error(cmd, "%s", err);
		x->opts[x->e.n_opts++] = (char *)arg;
		return 0;
	}
}

int
cmd_queue(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, CMD_OPT_PARALLEL },
		{ "executor", required_argument, NULL, CMD_OPT_EXECUTOR },
		{ "partition", required_argument, NULL, CMD_OPT_PARTITION },
		{ "account", required_argument, NULL, CMD_OPT_ACCOUNT },
		{ "slurm-opt", required_argument, NULL, CMD_OPT_SLURM_OPT },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "queue", *sub, *q;
	int json = ctx->json, c, rc;
	long parallel = -1;
	jobq_client *cl = NULL;
	struct cmd_queue_exec x;

	memset(&x, 0, sizeof(x));
	x.e.opts = x.opts;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == CMD_OPT_PARALLEL) {
			if (fmt_parse_count(optarg, PROTO_MAX_PARALLEL,
			    &parallel) != 0)
				return cmd_usage_error(cmd, "invalid --parallel "
				    "'%s' (expected an integer from 0 to %d)",
				    optarg, PROTO_MAX_PARALLEL);
		} else if (c == CMD_OPT_EXECUTOR || c == CMD_OPT_PARTITION ||
		    c == CMD_OPT_ACCOUNT || c == CMD_OPT_SLURM_OPT) {
			if ((rc = cmd_queue_exec_opt(cmd, c, optarg, &x)) != 0)
				return rc;
		} else if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
			return rc;
	}
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing the queue command (list, "
		    "set, pause or resume)");
	sub = argv[optind++];
	if ((rc = cmd_queue_operands(cmd, sub, argc, argv, parallel, &x,
	    &q)) != 0)
		return rc;
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	if (q == NULL)
		rc = cmd_queue_print(cl, cmd, NULL, json);
	else
		rc = cmd_queue_change(cl, cmd, sub, q, parallel, &x, json);
	cmd_close(cl);
	return rc;
}
