/*
 * cmd-schedule.c - `jobq schedule add|list|show|pause|resume|remove|
 * run-now`: recurring schedules (jobq_schedule_* of libjobq), one table
 * entry per subcommand; `add` takes submit's options for its job
 * (cmd_submit_template).
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "proto.h"
#include "util.h"
#include "cmd.h"
#include "fmt.h"
#include "cmd-int.h"

/* The options of `schedule add` of its own (submit's aside). */
struct cmd_schedule_args {
	jobq_schedule_opts o;
	int have_when;             /* --cron and --every given */
};

/* {"name", ...} as the protocol's schedule object, with "user". */
static cJSON *
cmd_schedule_json(const jobq_schedule *s)
{
	cJSON *o = proto_schedule_to_json(s);
	char user[64];

	if (o != NULL && cJSON_AddStringToObject(o, "user",
	    cmd_user_name(s->owner_uid, user, sizeof user)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* "cron 30 2 * * * (Europe/Paris)" or "every 5m". */
static char *
cmd_schedule_when(const jobq_schedule *s, char *buf, size_t len)
{
	char d[32];

	if (s->cron != NULL)
		snprintf(buf, len, "cron %s%s%s%s", s->cron, s->tz != NULL ?
		    " (" : "", s->tz != NULL ? s->tz : "", s->tz != NULL ?
		    ")" : "");
	else
		snprintf(buf, len, "every %s", fmt_duration(s->every_ms, d,
		    sizeof d));
	return buf;
}

static char *
cmd_schedule_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		snprintf(buf, len, "-");
	else
		fmt_time(ms, 0, buf, len);
	return buf;
}

/* The last job: "ID (STATE)" or "-". */
static char *
cmd_schedule_last(const jobq_schedule *s, char *buf, size_t len)
{
	if (s->last_job <= 0)
		snprintf(buf, len, "-");
	else if (s->last_job_state >= 0)
		snprintf(buf, len, "%lld (%s)", (long long)s->last_job,
		    jobq_state_name((jobq_state)s->last_job_state));
	else
		snprintf(buf, len, "%lld", (long long)s->last_job);
	return buf;
}

/* `schedule list`: a table (USER when some schedule is another user's). */
static int
cmd_schedule_table(const char *cmd, jobq_schedule *const *v, size_t n)
{
	static const char *const all_headers[] = { "NAME", "USER", "WHEN",
	    "NEXT", "RUNS", "SKIPS", "MISSES", "LAST JOB", "COMMAND" };
	static const int all_align[] = { FMT_LEFT, FMT_LEFT, FMT_LEFT,
	    FMT_LEFT, FMT_RIGHT, FMT_RIGHT, FMT_RIGHT, FMT_LEFT, FMT_LEFT };
	char user[64], when[600], next[64], runs[24], skips[24], misses[24];
	char last[64], *command;
	const char *cells[9], *headers[9];
	int align[9];
	struct fmt_table *t;
	size_t i, k, nc = 0;
	int others = 0;

	for (i = 0; i < n; i++)
		others |= v[i]->owner_uid != (uint32_t)getuid();
	/* USER only when some schedule is another user's */
	for (k = 0; k < 9; k++)
		if (k != 1 || others) {
			headers[nc] = all_headers[k];
			align[nc++] = all_align[k];
		}
	t = fmt_table_new(nc, headers, align);
	for (i = 0; t != NULL && i < n; i++) {
		command = fmt_join_argv(v[i]->argv, v[i]->argc);
		snprintf(runs, sizeof runs, "%lld", (long long)v[i]->runs);
		snprintf(skips, sizeof skips, "%lld", (long long)v[i]->skips);
		snprintf(misses, sizeof misses, "%lld",
		    (long long)v[i]->misses);
		cells[0] = v[i]->name;
		cells[1] = cmd_user_name(v[i]->owner_uid, user, sizeof user);
		cells[2] = cmd_schedule_when(v[i], when, sizeof when);
		cells[3] = v[i]->paused ? "paused" :
		    cmd_schedule_time(v[i]->next_fire, next, sizeof next);
		cells[4] = runs;
		cells[5] = skips;
		cells[6] = misses;
		cells[7] = cmd_schedule_last(v[i], last, sizeof last);
		cells[8] = command != NULL ? command : "?";
		if (!others)
			memmove(&cells[1], &cells[2], 7 * sizeof cells[0]);
		cmd_table_add(&t, cells);
		free(command);
	}
	return cmd_table_print(cmd, t, 0);
}

/* `schedule show`: one field a line. */
static int
cmd_schedule_print(const char *cmd, const jobq_schedule *s, int json)
{
	char user[64], buf[600], t1[64], t2[64], t3[64], t4[64];
	char *command;

	if (json)
		return cmd_print_json(cmd, cmd_schedule_json(s));
	if ((command = fmt_join_argv(s->argv, s->argc)) == NULL)
		return cmd_nomem(cmd);
	printf("name:       %s\n", s->name);
	printf("user:       %s\n", cmd_user_name(s->owner_uid, user,
	    sizeof user));
	printf("when:       %s%s\n", cmd_schedule_when(s, buf, sizeof buf),
	    s->at_start ? ", and at start" : "");
	printf("overlap:    %s\n", proto_schedule_overlap_name(
	    (int)s->overlap));
	printf("catch-up:   %s\n", proto_schedule_catch_up_name(
	    (int)s->catch_up));
	printf("state:      %s\n", s->paused ? "paused" : "active");
	printf("command:    %s\n", command);
	printf("queue:      %s\n", s->queue != NULL ? s->queue : "-");
	if (s->slots > 1)
		printf("slots:      %d\n", s->slots);
	if (s->res != NULL)
		printf("resources:  %s\n", s->res);
	printf("created:    %s\n", cmd_schedule_time(s->created_at, t1,
	    sizeof t1));
	printf("last fire:  %s\n", cmd_schedule_time(s->last_fire, t2,
	    sizeof t2));
	printf("next fire:  %s\n", s->paused ? "- (paused)" :
	    cmd_schedule_time(s->next_fire, t3, sizeof t3));
	printf("runs:       %lld\n", (long long)s->runs);
	printf("skips:      %lld%s%s\n", (long long)s->skips,
	    s->last_skip > 0 ? ", last at " : "", s->last_skip > 0 ?
	    cmd_schedule_time(s->last_skip, t4, sizeof t4) : "");
	printf("misses:     %lld\n", (long long)s->misses);
	printf("last job:   %s\n", cmd_schedule_last(s, buf, sizeof buf));
	free(command);
	return 0;
}

/* The options of `schedule add` before submit's: 0, the usage status, or
 * -1 when c is not one of them. */
static int
cmd_schedule_opt(const char *cmd, int c, const char *arg, void *ud)
{
	struct cmd_schedule_args *a = ud;
	int m;

	switch (c) {
	case CMD_OPT_CRON:
		if (*arg == '\0' || strlen(arg) > PROTO_MAX_CRON)
			return cmd_usage_error(cmd, "invalid --cron (expected "
			    "'MIN HOUR DOM MON DOW' of 1 to %d bytes)",
			    PROTO_MAX_CRON);
		a->o.cron = arg;
		a->have_when++;
		return 0;
	case CMD_OPT_EVERY:
		if (util_parse_duration_ms(arg, &a->o.every_ms) != 0 ||
		    a->o.every_ms < PROTO_MIN_EVERY_MS ||
		    a->o.every_ms > PROTO_MAX_TIMEOUT_MS)
			return cmd_usage_error(cmd, "invalid --every '%s' "
			    "(expected a duration of at least 1s such as 30s, "
			    "5m, 1h or 1d, at most 10 years)", arg);
		a->have_when++;
		return 0;
	case CMD_OPT_AT_START:
		a->o.at_start = 1;
		return 0;
	case CMD_OPT_TZ:
		if (*arg == '\0' || strlen(arg) > PROTO_MAX_TZ)
			return cmd_usage_error(cmd, "invalid --tz (expected a "
			    "zone name such as Europe/Paris)");
		a->o.tz = arg;
		return 0;
	case CMD_OPT_OVERLAP:
		if ((m = proto_schedule_overlap_parse(arg)) < 0)
			return cmd_usage_error(cmd, "invalid --overlap '%s' "
			    "(expected skip, queue or allow)", arg);
		a->o.overlap = (jobq_overlap)m;
		return 0;
	case CMD_OPT_CATCH_UP:
		if ((m = proto_schedule_catch_up_parse(arg)) < 0)
			return cmd_usage_error(cmd, "invalid --catch-up '%s' "
			    "(expected none, one or all)", arg);
		a->o.catch_up = (jobq_catch_up)m;
		return 0;
	default:
		return -1;
	}
}

static int
cmd_schedule_check_name(const char *cmd, const char *name)
{
	const char *why = proto_queue_name_check(name);

	if (why == NULL)
		return 0;
	return cmd_usage_error(cmd, "invalid schedule name '%s': it %s", name,
	    why);
}

/* `schedule add NAME ... CMD`; argv[0] is "add", argv[1] NAME. */
static int
cmd_schedule_add(struct cmd_ctx *ctx, const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cron", required_argument, NULL, CMD_OPT_CRON },
		{ "every", required_argument, NULL, CMD_OPT_EVERY },
		{ "at-start", no_argument, NULL, CMD_OPT_AT_START },
		{ "tz", required_argument, NULL, CMD_OPT_TZ },
		{ "overlap", required_argument, NULL, CMD_OPT_OVERLAP },
		{ "catch-up", required_argument, NULL, CMD_OPT_CATCH_UP },
	};
	struct cmd_schedule_args a;
	struct cmd_submit_extra ex;
	struct cmd_submit_template t;
	jobq_schedule *s = NULL;
	jobq_client *cl = NULL;
	int rc, err;

	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage_error(cmd, "add: missing the schedule name");
	if ((rc = cmd_schedule_check_name(cmd, argv[1])) != 0)
		return rc;
	memset(&a, 0, sizeof a);
	a.o.size = sizeof a.o;
	a.o.name = argv[1];
	a.o.catch_up = JOBQ_CATCH_UP_ONE;
	ex.opts = opts;
	ex.n = sizeof opts / sizeof opts[0];
	ex.handle = cmd_schedule_opt;
	ex.ud = &a;
	/* argv + 1: getopt skips NAME as it would a program name */
	if ((rc = cmd_submit_template(ctx, cmd, argc - 1, argv + 1, &ex,
	    &t)) != -1)
		goto out;
	rc = 0;
	if (a.have_when != 1)
		rc = cmd_usage_error(cmd, "add: give exactly one of --cron "
		    "and --every");
	else if (a.o.tz != NULL && a.o.cron == NULL)
		rc = cmd_usage_error(cmd, "add: --tz goes with --cron only");
	if (rc != 0 || (rc = cmd_connect(ctx, cmd, &cl)) != 0)
		goto out;
	if ((err = jobq_schedule_add(cl, &a.o, &t.so, &t.x, &s)) != 0) {
		rc = cmd_fail_what(cmd, "add", err);
		goto out;
	}
	if (ctx->json || t.json)
		rc = cmd_print_json(cmd, cmd_schedule_json(s));
	else
		printf("%s\n", s->name);
	jobq_schedule_free(s);
out:
	cmd_close(cl);
	cmd_submit_template_free(&t);
	return rc;
}

/* The subcommands on one schedule, or list. */
enum cmd_schedule_sub { SUB_LIST, SUB_SHOW, SUB_PAUSE, SUB_RESUME,
	SUB_REMOVE, SUB_RUN_NOW };

static const struct {
	const char *name;
	enum cmd_schedule_sub sub;
	int nargs;
} cmd_schedule_subs[] = {
	{ "list", SUB_LIST, 0 },
	{ "show", SUB_SHOW, 1 },
	{ "pause", SUB_PAUSE, 1 },
	{ "resume", SUB_RESUME, 1 },
	{ "remove", SUB_REMOVE, 1 },
	{ "run-now", SUB_RUN_NOW, 1 },
};

/* --owner USER: a name or a uid. */
static int
cmd_schedule_owner(const char *cmd, const char *arg, int64_t *uid)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];

	if (fmt_parse_int(arg, 0, (int64_t)UINT32_MAX - 1, uid) == 0)
		return 0;
	if (getpwnam_r(arg, &pw, buf, sizeof buf, &pwp) != 0 || pwp == NULL)
		return cmd_usage_error(cmd, "invalid --owner '%s': no such "
		    "user", arg);
	*uid = (int64_t)pw.pw_uid;
	return 0;
}

static int
cmd_schedule_list(jobq_client *cl, const char *cmd, int json)
{
	jobq_schedule **v = NULL;
	cJSON *arr;
	size_t n = 0, i;
	int err, rc;

	if ((err = jobq_schedule_list(cl, &v, &n)) != 0)
		return cmd_fail_what(cmd, "list", err);
	if (json) {
		arr = cJSON_CreateArray();
		for (i = 0; arr != NULL && i < n; i++)
			cmd_json_push(&arr, cmd_schedule_json(v[i]));
		rc = cmd_print_json(cmd, arr);
	} else
		rc = cmd_schedule_table(cmd, v, n);
	jobq_schedule_list_free(v, n);
	return rc;
}

/* One subcommand on schedule name; the exit status. */
static int
cmd_schedule_one(jobq_client *cl, const char *cmd, enum cmd_schedule_sub sub,
    const char *name, int64_t owner, int json)
{
	jobq_schedule *s = NULL;
	char what[JOBQ_MAX_NAME + 16];
	int64_t id = 0;
	int err, rc = 0;

	snprintf(what, sizeof what, "schedule %s", name);
	switch (sub) {
	case SUB_SHOW:
		err = jobq_schedule_show(cl, name, owner, &s);
		break;
	case SUB_PAUSE:
		err = jobq_schedule_pause(cl, name, owner, &s);
		break;
	case SUB_RESUME:
		err = jobq_schedule_resume(cl, name, owner, &s);
		break;
	case SUB_REMOVE:
		err = jobq_schedule_remove(cl, name, owner);
		break;
	case SUB_RUN_NOW:
	default:
		err = jobq_schedule_run_now(cl, name, owner, &id);
		break;
	}
	if (err != 0)
		return cmd_fail_what(cmd, what, err);
	if (sub == SUB_RUN_NOW && json)
		printf("{\"id\":%lld}\n", (long long)id);
	else if (sub == SUB_RUN_NOW)
		printf("%lld\n", (long long)id);
	else if (s != NULL && (sub == SUB_SHOW || json))
		rc = cmd_schedule_print(cmd, s, json);
	jobq_schedule_free(s);
	return rc;
}

int
cmd_schedule(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, CMD_OPT_SCHED_OWNER },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "schedule", *sub;
	jobq_client *cl = NULL;
	int64_t owner = -1;
	int json = ctx->json, c, rc;
	size_t i;

	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return cmd_schedule_add(ctx, cmd, argc - 1, argv + 1);
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == CMD_OPT_SCHED_OWNER) {
			if ((rc = cmd_schedule_owner(cmd, optarg, &owner)) != 0)
				return rc;
		} else if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
			return rc;
	}
	if (optind >= argc)
		return cmd_usage_error(cmd, "missing the schedule command (add, "
		    "list, show, pause, resume, remove or run-now)");
	sub = argv[optind++];
	for (i = 0; i < sizeof cmd_schedule_subs / sizeof cmd_schedule_subs[0];
	    i++)
		if (strcmp(sub, cmd_schedule_subs[i].name) == 0)
			break;
	if (i == sizeof cmd_schedule_subs / sizeof cmd_schedule_subs[0])
		return cmd_usage_error(cmd, "unknown schedule command '%s' "
		    "(expected add, list, show, pause, resume, remove or "
		    "run-now)", sub);
	if (argc - optind < cmd_schedule_subs[i].nargs)
		return cmd_usage_error(cmd, "%s: missing the schedule name",
		    sub);
	if (argc - optind > cmd_schedule_subs[i].nargs)
		return cmd_usage_error(cmd, "%s: unexpected argument '%s'", sub,
		    argv[optind + cmd_schedule_subs[i].nargs]);
	if (cmd_schedule_subs[i].nargs == 1 &&
	    (rc = cmd_schedule_check_name(cmd, argv[optind])) != 0)
		return rc;
	if (cmd_schedule_subs[i].sub == SUB_LIST && owner >= 0)
		return cmd_usage_error(cmd, "list: --owner is for the commands "
		    "on one schedule");
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	if (cmd_schedule_subs[i].sub == SUB_LIST)
		rc = cmd_schedule_list(cl, cmd, json);
	else
		rc = cmd_schedule_one(cl, cmd, cmd_schedule_subs[i].sub,
		    argv[optind], owner, json);
	cmd_close(cl);
	return rc;
}
