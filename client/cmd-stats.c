/*
 * cmd-stats.c - the commands that ask jobqd about itself: `jobq ping`
 * (version, pid, uptime, workers, isolation) and `jobq stats` (counts, throughput,
 * wait and run times, utilisation, per queue, the Slurm controller's state);
 * the slots and Slurm lines `jobq queue list` prints too.
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
#include "cmd-int.h"

int
cmd_ping(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *cmd = "ping";
	int json = ctx->json, rc, err;
	jobq_server_info info;
	jobq_client *cl = NULL;
	char up[64];

	if ((rc = cmd_json_opts(cmd, argc, argv, &json)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0 ||
	    (rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	memset(&info, 0, sizeof(info));
	err = jobq_ping(cl, &info);
	cmd_close(cl);
	if (err != 0)
		return cmd_fail(cmd, 0, err);
	info.version[sizeof(info.version) - 1] = '\0';
	info.isolation[sizeof(info.isolation) - 1] = '\0';
	if (json) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL ||
		    cJSON_AddStringToObject(o, "version", info.version) == NULL ||
		    cJSON_AddNumberToObject(o, "protocol", info.protocol) == NULL ||
		    cJSON_AddNumberToObject(o, "pid", (double)info.pid) == NULL ||
		    cJSON_AddNumberToObject(o, "uptime_ms",
		    (double)info.uptime_ms) == NULL ||
		    cJSON_AddNumberToObject(o, "workers", info.workers) == NULL ||
		    (info.isolation[0] != '\0' && cJSON_AddStringToObject(o,
		    "isolation", info.isolation) == NULL)) {
			cJSON_Delete(o);
			return cmd_nomem(cmd);
		}
		return cmd_print_json(cmd, o);
	}
	printf("jobqd %s (protocol %d) pid %lld up %s, %d workers\n",
	    info.version, info.protocol, (long long)info.pid,
	    fmt_duration(info.uptime_ms >= 1000 ? info.uptime_ms -
	    info.uptime_ms % 1000 : info.uptime_ms, up, sizeof(up)),
	    info.workers);
	if (info.isolation[0] != '\0')
		printf("isolation: %s\n", info.isolation);
	return 0;
}

/* {"window_ms",...}; NULL when out of memory. */
static cJSON *
cmd_window_json(const jobq_window_stats *ws)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    proto_add_int(o, "window_ms", ws->window_ms) != 0 ||
	    proto_add_int(o, "finished", (int64_t)ws->finished) != 0 ||
	    cJSON_AddNumberToObject(o, "per_second", ws->per_second) == NULL ||
	    cJSON_AddNumberToObject(o, "wait_mean_ms", ws->wait_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "wait_p95_ms", ws->wait_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "run_mean_ms", ws->run_mean_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "run_p95_ms", ws->run_p95_ms) == NULL ||
	    cJSON_AddNumberToObject(o, "utilisation", ws->utilisation) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Moves *item into o under key; 0, or -1 (the caller still owns it). */
static int
cmd_json_put(cJSON *o, const char *key, cJSON **item)
{
	if (*item == NULL || !cJSON_AddItemToObject(o, key, *item))
		return -1;
	*item = NULL;
	return 0;
}

/* "schedules":{"count","runs","skips","misses"}: 0 or -1. */
static int
cmd_stats_schedules_json(cJSON *o, const jobq_stats *st)
{
	cJSON *s = cJSON_AddObjectToObject(o, "schedules");

	if (s == NULL || proto_add_int(s, "count", st->schedules) != 0 ||
	    proto_add_int(s, "runs", st->schedule_runs) != 0 ||
	    proto_add_int(s, "skips", st->schedule_skips) != 0 ||
	    proto_add_int(s, "misses", st->schedule_misses) != 0)
		return -1;
	return 0;
}

static cJSON *
cmd_stats_json(const jobq_stats *st)
{
	cJSON *o = cJSON_CreateObject(), *counts = cmd_counts_json(st->counts);
	cJSON *minute = cmd_window_json(&st->minute);
	cJSON *hour = cmd_window_json(&st->hour);
	cJSON *queues = cJSON_CreateArray();
	size_t i;
	int bad = o == NULL;

	for (i = 0; queues != NULL && i < st->nqueues && !bad; i++)
		bad = cmd_json_append(queues, cmd_queue_json(&st->queues[i],
		    NULL)) != 0;
	if (bad || cmd_json_put(o, "counts", &counts) != 0 ||
	    proto_add_int(o, "workers", st->workers) != 0 ||
	    proto_add_int(o, "busy", st->busy) != 0 ||
	    cmd_stats_schedules_json(o, st) != 0 ||
	    cmd_json_put(o, "minute", &minute) != 0 ||
	    cmd_json_put(o, "hour", &hour) != 0 ||
	    cmd_json_put(o, "queues", &queues) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	cJSON_Delete(counts);
	cJSON_Delete(minute);
	cJSON_Delete(hour);
	cJSON_Delete(queues);
	return o;
}

/* A duration in fractional ms, rounded, for the stats table. */
static char *
cmd_ms(double ms, char *buf, size_t len)
{
	if (!(ms >= 0))   /* also NaN */
		ms = 0;
	if (ms > 9e15)
		ms = 9e15;
	return fmt_duration((int64_t)(ms + 0.5), buf, len);
}

void
cmd_usage_print(const jobq_usage *u)
{
	size_t i;

	if (u == NULL || u->slots_total == 0)
		return;		/* an older jobqd */
	printf("slots:    %d used of %d\n", u->slots_used, u->slots_total);
	for (i = 0; i < u->nres; i++)
		printf("%s%s %d used of %d", i == 0 ? "resource: " : ", ",
		    u->res[i].name, u->res[i].used, u->res[i].total);
	if (u->nres > 0)
		printf("\n");
}

cJSON *
cmd_usage_json(const jobq_usage *u)
{
	cJSON *o = cJSON_CreateObject(), *r;

	if (o == NULL || proto_usage_add(o, u) == NULL)
		return NULL;
	r = cJSON_DetachItemFromObjectCaseSensitive(o, "usage");
	cJSON_Delete(o);
	return r;
}

void
cmd_slurm_print(const jobq_slurm_info *si)
{
	char when[FMT_TIME_LEN], err[sizeof(si->error)];
	size_t i;

	if (si == NULL || !si->configured)
		return;
	if (si->reachable)
		printf("slurm: controller reachable");
	else {
		/* jobqd's words, from Slurm's commands: no terminal controls */
		for (i = 0; si->error[i] != '\0' && i + 1 < sizeof(err); i++)
			err[i] = (unsigned char)si->error[i] < 0x20 ||
			    si->error[i] == 0x7f ? '?' : si->error[i];
		err[i] = '\0';
		printf("slurm: controller UNREACHABLE since %s",
		    fmt_time(si->since_ms, 0, when, sizeof(when)));
		if (err[0] != '\0')
			printf(" (%s)", err);
	}
	printf(", %lld pending, %lld running, %lld submitting\n",
	    (long long)si->pending, (long long)si->running,
	    (long long)si->submitting);
}

static int
cmd_stats_print(const char *cmd, const jobq_stats *st, const jobq_usage *u,
    const jobq_slurm_info *si)
{
	static const char *const headers[] = { "WINDOW", "FINISHED", "PER SEC",
		"WAIT MEAN", "WAIT P95", "RUN MEAN", "RUN P95", "UTILISATION" };
	static const int align[] = { FMT_LEFT, FMT_RIGHT, FMT_RIGHT, FMT_RIGHT,
		FMT_RIGHT, FMT_RIGHT, FMT_RIGHT, FMT_RIGHT };
	const jobq_window_stats *wins[2] = { &st->minute, &st->hour };
	static const char *const wnames[2] = { "last minute", "last hour" };
	char fin[24], ps[32], wm[32], wp[32], rm[32], rp[32], ut[32];
	struct fmt_table *t;
	size_t total = 0;
	int s, i, rc;

	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		total += st->counts[s];
	printf("jobs:     %zu", total);
	for (s = 0; s < JOBQ_STATE_COUNT; s++)
		printf("%s%s %zu", s == 0 ? " (" : ", ",
		    jobq_state_name((jobq_state)s), st->counts[s]);
	printf(")\nworkers:  %d busy of %d\n", st->busy, st->workers);
	printf("schedules: %lld (runs %lld, skips %lld, misses %lld)\n\n",
	    (long long)st->schedules, (long long)st->schedule_runs,
	    (long long)st->schedule_skips, (long long)st->schedule_misses);
	cmd_usage_print(u);
	cmd_slurm_print(si);
	printf("\n");
	t = fmt_table_new(8, headers, align);
	for (i = 0; t != NULL && i < 2; i++) {
		const char *cells[8];

		snprintf(fin, sizeof(fin), "%llu",
		    (unsigned long long)wins[i]->finished);
		snprintf(ps, sizeof(ps), "%.2f", wins[i]->per_second);
		snprintf(ut, sizeof(ut), "%.1f%%", wins[i]->utilisation * 100);
		cells[0] = wnames[i];
		cells[1] = fin;
		cells[2] = ps;
		cells[3] = cmd_ms(wins[i]->wait_mean_ms, wm, sizeof(wm));
		cells[4] = cmd_ms(wins[i]->wait_p95_ms, wp, sizeof(wp));
		cells[5] = cmd_ms(wins[i]->run_mean_ms, rm, sizeof(rm));
		cells[6] = cmd_ms(wins[i]->run_p95_ms, rp, sizeof(rp));
		cells[7] = ut;
		cmd_table_add(&t, cells);
	}
	if ((rc = cmd_table_print(cmd, t, 0)) != 0)
		return rc;
	if (st->nqueues == 0)
		return 0;
	putchar('\n');
	return cmd_queue_table(cmd, st->queues, NULL, st->nqueues);
}

/* stats --prometheus: jobqd's metrics as Prometheus text. */
static int
cmd_stats_prometheus(struct cmd_ctx *ctx, const char *cmd)
{
	jobq_client *cl = NULL;
	char *text = NULL;
	int rc, err;

	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	err = jobq_get_metrics(cl, &text);
	if ((rc = cmd_finish(cl, cmd, err)) != 0)
		return rc;
	fputs(text, stdout);
	free(text);
	return cmd_flush(cmd) < 0 ? FMT_EXIT_FAIL : 0;
}

int
cmd_stats(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prometheus", no_argument, NULL, 'P' },
		CMD_OPTS_COMMON,
	};
	const char *cmd = "stats";
	int json = ctx->json, prom = 0, c, rc, err;
	jobq_client *cl = NULL;
	jobq_usage *u = NULL;
	jobq_slurm_info si;
	cJSON *o, *uj;
	jobq_stats st;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'P')
			prom = 1;
		else if ((rc = cmd_opt_common(cmd, c, argv, &json)) >= 0)
			return rc;
	}
	if ((rc = cmd_no_operands(cmd, argc, argv)) != 0)
		return rc;
	if (prom && json)
		return cmd_usage_error(cmd, "--prometheus and --json exclude "
		    "each other");
	if (prom)
		return cmd_stats_prometheus(ctx, cmd);
	if ((rc = cmd_connect(ctx, cmd, &cl)) != 0)
		return rc;
	/* counts, usage and Slurm from one request: one moment */
	err = jobq_get_stats_ex(cl, &st, &u, &si);
	if ((rc = cmd_finish(cl, cmd, err)) != 0) {
		jobq_stats_release(&st);
		return rc;
	}
	if (json) {
		o = cmd_stats_json(&st);
		if (o != NULL && ((uj = cmd_usage_json(u)) == NULL ||
		    !cJSON_AddItemToObject(o, "usage", uj))) {
			cJSON_Delete(uj);
			cJSON_Delete(o);
			o = NULL;
		}
		/* "slurm": the protocol's object, when configured */
		rc = cmd_print_json(cmd, proto_slurm_add(o, &si));
	} else
		rc = cmd_stats_print(cmd, &st, u, &si);
	jobq_stats_release(&st);
	jobq_usage_free(u);
	return rc;
}
