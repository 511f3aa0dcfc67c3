/*
 * cmd-edit.c - `jobq hold`, `jobq release` and `jobq edit`: holding queued
 * jobs (or every queued task of an array), releasing them, and changing a
 * queued job's queue, priority, name, labels, start time, timeout, retries,
 * dependencies, command, environment, working directory, worker slots and
 * named resources.  Each change is
 * recorded in the job's history (`jobq show --history`).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "cmd.h"
#include "fmt.h"
#include "util.h"
#include "cmd-int.h"

extern char **environ;

int
cmd_hold(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct cmd_ref_action hold = {
		jobq_hold, jobq_array_hold, NULL
	};
	int json = ctx->json, rc;

	if ((rc = cmd_json_opts("hold", argc, argv, &json)) >= 0)
		return rc;
	return cmd_ref_apply_all(ctx, "hold", &hold, json, argc, argv);
}

int
cmd_release(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct cmd_ref_action release = {
		jobq_release, jobq_array_release, NULL
	};
	int json = ctx->json, rc;

	if ((rc = cmd_json_opts("release", argc, argv, &json)) >= 0)
		return rc;
	return cmd_ref_apply_all(ctx, "release", &release, json, argc, argv);
}

/* ---- edit ---- */

/* What the command line of edit gives. */
struct cmd_edit_args {
	jobq_edit_opts o;
	const char **labels;        /* --label, argc + 1 entries */
	size_t nlabels;
	struct fmt_after after[JOBQ_MAX_DEPS];
	size_t nafter;
	int64_t *drop;              /* --drop-after ids */
	size_t ndrop;
	const char **sets;          /* --env K=V */
	size_t nsets;
	int64_t delay_ms;
	int have_delay, have_at, argv_op, json, no_res;
};

/* --drop-after ID[,ID...] */
static int
cmd_edit_drop(const char *cmd, const char *arg, struct cmd_edit_args *a)
{
	char buf[32];
	const char *p = arg, *e;
	int64_t id;

	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) >= sizeof(buf))
			goto bad;
		snprintf(buf, sizeof(buf), "%.*s", (int)(e - p), p);
		if (fmt_parse_id(buf, &id) != 0)
			goto bad;
		if (a->ndrop >= JOBQ_MAX_DEPS)
			return cmd_usage_error(cmd, "too many --drop-after jobs "
			    "(at most %d)", JOBQ_MAX_DEPS);
		a->drop[a->ndrop++] = id;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
bad:
	return cmd_usage_error(cmd, "invalid --drop-after '%s' (expected job "
	    "IDs joined by commas)", arg);
}

/* One option of edit into a: 0, the usage status, or -1 when c is none of
 * edit's own. */
static int
cmd_edit_opt(const char *cmd, int c, const char *arg, struct cmd_edit_args *a)
{
	int64_t v;
	long n;
	int r;

	switch (c) {
	case CMD_OPT_QUEUE:
		a->o.set |= JOBQ_EDIT_QUEUE;
		a->o.queue = arg;
		return cmd_check_queue(cmd, arg);
	case CMD_OPT_PRIORITY:
		if ((r = cmd_opt_priority(cmd, arg, &v)) != 0)
			return r;
		a->o.set |= JOBQ_EDIT_PRIORITY;
		a->o.priority = (int)v;
		return 0;
	case CMD_OPT_NAME:
		a->o.set |= JOBQ_EDIT_NAME;
		a->o.name = arg;
		return cmd_check_name(cmd, arg);
	case CMD_OPT_NO_NAME:
		a->o.set |= JOBQ_EDIT_NAME;
		a->o.name = NULL;
		return 0;
	case CMD_OPT_LABEL:
		if ((r = cmd_check_label(cmd, arg)) != 0)
			return r;
		a->o.set |= JOBQ_EDIT_LABELS;
		a->labels[a->nlabels++] = arg;
		return 0;
	case CMD_OPT_DELAY:
		a->have_delay = 1;
		return cmd_opt_duration(cmd, "--delay", arg, 0, &a->delay_ms);
	case CMD_OPT_AT:
		a->have_at = 1;
		return cmd_opt_at(cmd, arg, &a->o.not_before);
	case CMD_OPT_TIMEOUT:
		a->o.set |= JOBQ_EDIT_TIMEOUT;
		return cmd_opt_duration(cmd, "--timeout", arg,
		    PROTO_MAX_TIMEOUT_MS, &a->o.timeout_ms);
	case CMD_OPT_RETRIES:
		if ((r = cmd_opt_retries(cmd, arg, &n)) != 0)
			return r;
		a->o.set |= JOBQ_EDIT_RETRIES;
		a->o.max_retries = (int)n;
		return 0;
	case CMD_OPT_AFTER:
		a->o.set |= JOBQ_EDIT_DEPS;
		return cmd_opt_after(cmd, arg, a->after, &a->nafter);
	case CMD_OPT_DROP_AFTER:
		a->o.set |= JOBQ_EDIT_DEPS;
		return cmd_edit_drop(cmd, arg, a);
	case CMD_OPT_ENV:
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			return cmd_usage_error(cmd, "invalid --env '%s' "
			    "(expected K=V with a non-empty K)", arg);
		a->o.set |= JOBQ_EDIT_ENV;
		a->sets[a->nsets++] = arg;
		return 0;
	case CMD_OPT_CWD:
		if (arg[0] != '/')
			return cmd_usage_error(cmd, "invalid --cwd '%s' "
			    "(expected an absolute path)", arg);
		a->o.set |= JOBQ_EDIT_CWD;
		a->o.cwd = arg;
		return 0;
	case CMD_OPT_SLOTS:
		a->o.set |= JOBQ_EDIT_SLOTS;
		return cmd_opt_slots(cmd, arg, &a->o.slots);
	case CMD_OPT_RES:
		if ((r = cmd_opt_res(cmd, arg, "; --no-res for none")) != 0)
			return r;
		if (a->no_res)
			return cmd_usage_error(cmd, "--res and --no-res "
			    "exclude each other");
		a->o.set |= JOBQ_EDIT_RES;
		a->o.res = arg;
		return 0;
	case CMD_OPT_NO_RES:
		if (a->o.res != NULL)
			return cmd_usage_error(cmd, "--res and --no-res "
			    "exclude each other");
		a->no_res = 1;
		a->o.set |= JOBQ_EDIT_RES;
		a->o.res = NULL;
		return 0;
	case CMD_OPT_EDIT_ARGV:
		a->argv_op = 1;
		a->o.set |= JOBQ_EDIT_ARGV;
		return 0;
	default:
		return -1;
	}
}

/* The environment --env makes: the caller's, with the K=V entries over
 * it (as `submit --env` makes a new job's).  NULL if out of memory. */
static const char **
cmd_edit_env(const struct cmd_edit_args *a)
{
	const char **env;
	size_t n = 0, k = 0, i, j, kl;
	int over;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + a->nsets + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		over = strchr(environ[i], '=') == NULL ||
		    environ[i][0] == '=';
		for (j = 0; !over && j < a->nsets; j++) {
			kl = (size_t)(strchr(a->sets[j], '=') - a->sets[j]);
			over = strncmp(environ[i], a->sets[j], kl + 1) == 0;
		}
		if (!over)
			env[k++] = environ[i];
	}
	for (j = 0; j < a->nsets; j++)
		env[k++] = a->sets[j];
	return env;
}

/* The --after REFs resolved to job ids into deps; 0 or the status. */
static int
cmd_edit_deps(jobq_client *cl, const char *cmd, const struct cmd_edit_args *a,
    jobq_dep *deps)
{
	size_t i;
	int rc;

	for (i = 0; i < a->nafter; i++) {
		if ((rc = cmd_ref_job(cl, cmd, &a->after[i].ref, &deps[i].id,
		    NULL)) != 0)
			return rc;
		deps[i].mode = a->after[i].mode;
	}
	return 0;
}

static int
cmd_edit_run(struct cmd_ctx *ctx, const char *cmd, const struct fmt_ref *ref,
    struct cmd_edit_args *a)
{
	jobq_client *cl = NULL;
	jobq_job *job = NULL;
	jobq_dep *deps = NULL;
	const char **env = NULL;
	char what[FMT_REF_LEN + 8];
	int64_t id;
	int rc, err;

	if (a->nsets > 0 && (env = cmd_edit_env(a)) == NULL)
		return cmd_nomem(cmd);
	a->o.env = env;
	if (a->nafter > 0 &&
	    (deps = calloc(a->nafter, sizeof(*deps))) == NULL) {
		free(env);
		return cmd_nomem(cmd);
	}
	if ((rc = cmd_connect_ref(ctx, cmd, ref, &cl, &id, NULL)) != 0)
		goto out;
	if (a->have_delay)
		a->o.not_before = util_now_ms() + a->delay_ms;
	if ((rc = cmd_edit_deps(cl, cmd, a, deps)) != 0)
		goto out;
	a->o.deps_add = deps;
	a->o.ndeps_add = a->nafter;
	a->o.deps_remove = a->drop;
	a->o.ndeps_remove = a->ndrop;
	err = jobq_edit(cl, id, &a->o, a->json ? &job : NULL);
	if (err != 0)
		rc = cmd_fail_what(cmd, cmd_ref_what(ref, what, sizeof(what)),
		    err);
	else if (a->json)
		rc = cmd_print_json(cmd, proto_job_to_json(job));
	else
		rc = 0;
out:
	cmd_close(cl);
	jobq_job_free(job);
	free(deps);
	free(env);
	return rc;
}

int
cmd_edit(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, CMD_OPT_QUEUE },
		{ "priority", required_argument, NULL, CMD_OPT_PRIORITY },
		{ "name", required_argument, NULL, CMD_OPT_NAME },
		{ "no-name", no_argument, NULL, CMD_OPT_NO_NAME },
		{ "label", required_argument, NULL, CMD_OPT_LABEL },
		{ "delay", required_argument, NULL, CMD_OPT_DELAY },
		{ "at", required_argument, NULL, CMD_OPT_AT },
		{ "timeout", required_argument, NULL, CMD_OPT_TIMEOUT },
		{ "retries", required_argument, NULL, CMD_OPT_RETRIES },
		{ "after", required_argument, NULL, CMD_OPT_AFTER },
		{ "drop-after", required_argument, NULL, CMD_OPT_DROP_AFTER },
		{ "env", required_argument, NULL, CMD_OPT_ENV },
		{ "cwd", required_argument, NULL, CMD_OPT_CWD },
		{ "argv", no_argument, NULL, CMD_OPT_EDIT_ARGV },
		{ "slots", required_argument, NULL, CMD_OPT_SLOTS },
		{ "res", required_argument, NULL, CMD_OPT_RES },
		{ "no-res", no_argument, NULL, CMD_OPT_NO_RES },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "edit";
	struct cmd_edit_args a;
	struct fmt_ref ref;
	int c, rc;

	memset(&a, 0, sizeof(a));
	a.json = ctx->json;
	a.labels = calloc((size_t)argc + 1, sizeof(*a.labels));
	a.sets = calloc((size_t)argc + 1, sizeof(*a.sets));
	a.drop = calloc(JOBQ_MAX_DEPS, sizeof(*a.drop));
	if (a.labels == NULL || a.sets == NULL || a.drop == NULL) {
		rc = cmd_nomem(cmd);
		goto out;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		rc = cmd_edit_opt(cmd, c, optarg, &a);
		if (rc > 0 || (rc < 0 &&
		    (rc = cmd_opt_common(cmd, c, argv, &a.json)) >= 0))
			goto out;
	}
	if (optind >= argc) {
		rc = cmd_usage_error(cmd, "expected a job ID");
		goto out;
	}
	if (fmt_parse_ref(argv[optind], &ref) != 0) {
		rc = cmd_usage_error(cmd, "invalid job reference '%s' (expected "
		    "a job ID, or ARRAY.INDEX for a task of an array)",
		    argv[optind]);
		goto out;
	}
	optind++;
	/* options may follow the REF too */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		rc = cmd_edit_opt(cmd, c, optarg, &a);
		if (rc > 0 || (rc < 0 &&
		    (rc = cmd_opt_common(cmd, c, argv, &a.json)) >= 0))
			goto out;
	}
	if (a.argv_op) {
		if (optind >= argc || argv[optind][0] == '\0') {
			rc = cmd_usage_error(cmd, "--argv: expected the new "
			    "command after the options (jobq edit REF --argv "
			    "-- CMD [ARG...])");
			goto out;
		}
		a.o.argv = (const char *const *)&argv[optind];
	} else if (optind < argc) {
		rc = cmd_usage_error(cmd, "unexpected argument '%s'",
		    argv[optind]);
		goto out;
	}
	if (a.have_delay && a.have_at) {
		rc = cmd_usage_error(cmd, "--delay and --at exclude each other");
		goto out;
	}
	if (a.have_delay || a.have_at)
		a.o.set |= JOBQ_EDIT_NOT_BEFORE;
	if (a.o.set == 0) {
		rc = cmd_usage_error(cmd, "nothing to change (see jobq help "
		    "edit)");
		goto out;
	}
	a.o.labels = a.labels;
	rc = cmd_edit_run(ctx, cmd, &ref, &a);
out:
	free(a.labels);
	free(a.sets);
	free(a.drop);
	return rc;
}
