/*
 * proto_cmp.c - equality of decoded requests and jobs and the codec's
 * round trips, shared by tests/check_proto_req.c and tests/fuzz/fuzz_proto.c
 * (see proto_cmp.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_cmp.h"

static int proto_cmp_fail(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
proto_cmp_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Both NULL, or equal strings. */
static int
proto_cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* n strings each, equal, and both NULL-terminated when asked. */
static int
proto_cmp_strv(const char *const *a, size_t na, const char *const *b,
    size_t nb, int terminated)
{
	size_t	i;

	if (na != nb)
		return 0;
	if (na == 0)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	if (terminated && (a[na] != NULL || b[nb] != NULL))
		return 0;
	for (i = 0; i < na; i++) {
		if (!proto_cmp_str(a[i], b[i]))
			return 0;
	}
	return 1;
}

/* The same limits set, with the same values (unset members ignored). */
static int
proto_cmp_limits(const jobq_limits *a, const jobq_limits *b)
{
	int	i;

	if (a->set != b->set)
		return 0;
	for (i = 0; i < PROTO_NLIMITS; i++)
		if ((a->set & proto_limits[i].bit) &&
		    proto_limit_get(a, i) != proto_limit_get(b, i))
			return 0;
	return 1;
}

static int
proto_cmp_ref(const struct proto_ref *a, const struct proto_ref *b)
{
	return a->id == b->id && a->has_index == b->has_index &&
	    a->index == b->index && a->array == b->array;
}

static int
proto_cmp_submit(const struct proto_submit *a, const struct proto_submit *b,
    char *why, size_t whylen)
{
	if (!proto_cmp_strv(a->argv, a->argc, b->argv, b->argc, 1) ||
	    !proto_cmp_strv(a->env, a->envc, b->env, b->envc, 1) ||
	    !proto_cmp_str(a->cwd, b->cwd) || a->spec_bytes != b->spec_bytes)
		return proto_cmp_fail(why, whylen, "submit: argv, env or cwd");
	if (!proto_cmp_str(a->name, b->name) ||
	    !proto_cmp_str(a->queue, b->queue) ||
	    a->max_retries != b->max_retries)
		return proto_cmp_fail(why, whylen, "submit: name, queue or "
		    "retries");
	if (a->priority != b->priority || a->not_before != b->not_before ||
	    a->timeout_ms != b->timeout_ms ||
	    a->kill_grace_ms != b->kill_grace_ms ||
	    a->retry_delay_ms != b->retry_delay_ms ||
	    !proto_cmp_str(a->unique_key, b->unique_key))
		return proto_cmp_fail(why, whylen, "submit: scheduling");
	if (!proto_cmp_strv(a->labels, a->nlabels, b->labels, b->nlabels, 1) ||
	    a->ndeps != b->ndeps || (a->ndeps > 0 &&
	    memcmp(a->deps, b->deps, a->ndeps * sizeof(*a->deps)) != 0))
		return proto_cmp_fail(why, whylen, "submit: labels or deps");
	if (a->array_first != b->array_first ||
	    a->array_step != b->array_step ||
	    a->array_count != b->array_count ||
	    a->array_throttle != b->array_throttle)
		return proto_cmp_fail(why, whylen, "submit: array");
	if (a->output_limit != b->output_limit)
		return proto_cmp_fail(why, whylen, "submit: output_limit");
	if (!proto_cmp_limits(&a->limits, &b->limits))
		return proto_cmp_fail(why, whylen, "submit: limits");
	if (a->hold != b->hold)
		return proto_cmp_fail(why, whylen, "submit: hold");
	return 0;
}

static int
proto_cmp_edit(const struct proto_edit *a, const struct proto_edit *b)
{
	return proto_cmp_ref(&a->ref, &b->ref) && a->set == b->set &&
	    proto_cmp_str(a->queue, b->queue) && a->priority == b->priority &&
	    proto_cmp_str(a->name, b->name) &&
	    proto_cmp_strv(a->labels, a->nlabels, b->labels, b->nlabels, 1) &&
	    a->not_before == b->not_before && a->timeout_ms == b->timeout_ms &&
	    a->max_retries == b->max_retries &&
	    a->ndeps_add == b->ndeps_add && (a->ndeps_add == 0 ||
	    memcmp(a->deps_add, b->deps_add, a->ndeps_add *
	    sizeof(*a->deps_add)) == 0) &&
	    a->ndeps_remove == b->ndeps_remove && (a->ndeps_remove == 0 ||
	    memcmp(a->deps_remove, b->deps_remove, a->ndeps_remove *
	    sizeof(*a->deps_remove)) == 0) &&
	    proto_cmp_strv(a->argv, a->argc, b->argv, b->argc, 1) &&
	    proto_cmp_strv(a->env, a->envc, b->env, b->envc, 1) &&
	    proto_cmp_str(a->cwd, b->cwd) && a->spec_bytes == b->spec_bytes &&
	    a->slots == b->slots && proto_cmp_str(a->res, b->res);
}

static int
proto_cmp_list(const struct proto_list *a, const struct proto_list *b)
{
	return a->states == b->states && proto_cmp_str(a->queue, b->queue) &&
	    proto_cmp_str(a->name, b->name) &&
	    proto_cmp_strv(a->labels, a->nlabels, b->labels, b->nlabels, 1) &&
	    a->array_id == b->array_id && a->limit == b->limit &&
	    a->owner_uid == b->owner_uid && a->count == b->count &&
	    proto_cmp_str(a->schedule, b->schedule);
}

static int
proto_cmp_watch(const struct proto_watch *a, const struct proto_watch *b)
{
	return a->nids == b->nids && (a->nids == 0 ||
	    memcmp(a->ids, b->ids, a->nids * sizeof(*a->ids)) == 0);
}

/* The members of two requests of the same op. */
static int
proto_cmp_members(const struct proto_req *a, const struct proto_req *b)
{
	switch (a->op) {
	case PROTO_OP_HELLO:
		return a->u.hello.version == b->u.hello.version &&
		    proto_cmp_str(a->u.hello.client, b->u.hello.client);
	case PROTO_OP_GET:
	case PROTO_OP_CANCEL:
	case PROTO_OP_RETRY:
	case PROTO_OP_HOLD:
	case PROTO_OP_RELEASE:
	case PROTO_OP_HISTORY:
		return proto_cmp_ref(&a->u.ref, &b->u.ref);
	case PROTO_OP_EDIT:
		return proto_cmp_edit(&a->u.edit, &b->u.edit);
	case PROTO_OP_LIST:
		return proto_cmp_list(&a->u.list, &b->u.list);
	case PROTO_OP_WAIT:
		return proto_cmp_ref(&a->u.wait.ref, &b->u.wait.ref) &&
		    a->u.wait.timeout_ms == b->u.wait.timeout_ms;
	case PROTO_OP_LOGS:
		return proto_cmp_ref(&a->u.logs.ref, &b->u.logs.ref) &&
		    a->u.logs.stream == b->u.logs.stream &&
		    a->u.logs.offset == b->u.logs.offset &&
		    a->u.logs.max == b->u.logs.max;
	case PROTO_OP_PRIORITY:
		return proto_cmp_ref(&a->u.priority.ref, &b->u.priority.ref) &&
		    a->u.priority.priority == b->u.priority.priority;
	case PROTO_OP_PURGE:
		return a->u.purge.older_than_ms == b->u.purge.older_than_ms &&
		    a->u.purge.state == b->u.purge.state;
	case PROTO_OP_QUEUE_SET:
		return proto_cmp_str(a->u.queue_set.queue, b->u.queue_set.queue)
		    && a->u.queue_set.parallel == b->u.queue_set.parallel &&
		    a->u.queue_set.paused == b->u.queue_set.paused &&
		    a->u.queue_set.has_exec == b->u.queue_set.has_exec &&
		    memcmp(&a->u.queue_set.exec, &b->u.queue_set.exec,
		    sizeof(a->u.queue_set.exec)) == 0;
	case PROTO_OP_WATCH:
		return proto_cmp_watch(&a->u.watch, &b->u.watch);
	case PROTO_OP_SCHEDULE_SHOW:
	case PROTO_OP_SCHEDULE_PAUSE:
	case PROTO_OP_SCHEDULE_RESUME:
	case PROTO_OP_SCHEDULE_REMOVE:
	case PROTO_OP_SCHEDULE_RUN_NOW:
		return proto_cmp_str(a->u.schedule.name, b->u.schedule.name) &&
		    a->u.schedule.owner_uid == b->u.schedule.owner_uid;
	default:	/* ping, queue_list, stats: no members */
		return 1;
	}
}

int
proto_cmp_req(const struct proto_req *a, const struct proto_req *b,
    char *why, size_t whylen)
{
	if (a->op != b->op)
		return proto_cmp_fail(why, whylen, "op %d != %d", (int)a->op,
		    (int)b->op);
	if (a->op == PROTO_OP_SUBMIT)
		return proto_cmp_submit(&a->u.submit, &b->u.submit, why,
		    whylen);
	if (a->op == PROTO_OP_SCHEDULE_ADD) {
		const struct proto_schedule_add *x = &a->u.schedule_add,
		    *y = &b->u.schedule_add;

		if (!proto_cmp_str(x->name, y->name) ||
		    !proto_cmp_str(x->cron, y->cron) ||
		    !proto_cmp_str(x->tz, y->tz) || x->every_ms != y->every_ms ||
		    x->at_start != y->at_start || x->overlap != y->overlap ||
		    x->catch_up != y->catch_up)
			return proto_cmp_fail(why, whylen,
			    "schedule_add: members differ");
		return proto_cmp_submit(&x->sub, &y->sub, why, whylen);
	}
	if (a->op == PROTO_OP_SUBMIT_BATCH) {
		size_t i;

		if (a->u.batch.n != b->u.batch.n)
			return proto_cmp_fail(why, whylen, "submit_batch: %zu "
			    "!= %zu jobs", a->u.batch.n, b->u.batch.n);
		for (i = 0; i < a->u.batch.n; i++)
			if (proto_cmp_submit(&a->u.batch.jobs[i],
			    &b->u.batch.jobs[i], why, whylen) != 0)
				return -1;
		return 0;
	}
	if (!proto_cmp_members(a, b))
		return proto_cmp_fail(why, whylen, "%s: members differ",
		    proto_op_name(a->op));
	return 0;
}

cJSON *
proto_cmp_reparse(const cJSON *obj)
{
	const char	*payload;
	size_t		 len, plen, consumed;
	char		*buf, err[128];
	cJSON		*back = NULL;

	if (obj == NULL || proto_frame_encode_max(obj, PROTO_MAX_REPLY, &buf,
	    &len) != 0)
		return NULL;
	if (proto_frame_parse(buf, len, PROTO_MAX_REPLY, &payload, &plen,
	    &consumed) != 1 || consumed != len ||
	    proto_parse(payload, plen, 0, &back, err, sizeof(err)) != 0)
		back = NULL;
	free(buf);
	return back;
}

int
proto_cmp_req_roundtrip(const struct proto_req *r, char *why, size_t whylen)
{
	struct proto_req	 r2;
	cJSON			*enc, *back;
	char			 err[256];
	int			 rc;

	if ((enc = proto_req_to_json(r)) == NULL)
		return proto_cmp_fail(why, whylen, "%s: cannot be encoded",
		    proto_op_name(r->op));
	back = proto_cmp_reparse(enc);
	cJSON_Delete(enc);
	if (back == NULL)
		return proto_cmp_fail(why, whylen, "%s: the encoding does not "
		    "frame and parse", proto_op_name(r->op));
	if ((rc = proto_req_from_json(back, &r2, err, sizeof(err))) != 0) {
		cJSON_Delete(back);
		return proto_cmp_fail(why, whylen, "%s: the encoding does not "
		    "decode: %s (%d)", proto_op_name(r->op), err, rc);
	}
	rc = proto_cmp_req(r, &r2, why, whylen);
	proto_req_release(&r2);
	cJSON_Delete(back);
	return rc;
}

int
proto_cmp_text(int op, const char *text, char *err, size_t errlen)
{
	struct proto_req	 r;
	cJSON			*obj;
	int			 rc;

	if ((rc = proto_parse(text, strlen(text), 0, &obj, err, errlen)) != 0)
		return rc;
	if (op < 0)
		rc = proto_req_from_json(obj, &r, err, errlen);
	else
		rc = proto_req_decode(op, obj, &r, err, errlen);
	if (rc == 0) {
		if (proto_cmp_req_roundtrip(&r, err, errlen) != 0)
			rc = -100;
		proto_req_release(&r);
	}
	cJSON_Delete(obj);
	return rc;
}

int
proto_cmp_job(const jobq_job *a, const jobq_job *b, char *why,
    size_t whylen)
{
	if (a->id != b->id || a->state != b->state ||
	    !proto_cmp_str(a->name, b->name) ||
	    !proto_cmp_str(a->queue, b->queue) ||
	    !proto_cmp_strv((const char *const *)a->argv, a->argc,
	    (const char *const *)b->argv, b->argc, 1) ||
	    !proto_cmp_str(a->cwd, b->cwd) || a->owner_uid != b->owner_uid ||
	    a->held != b->held ||
	    (a->slots > 0 ? a->slots : 1) != (b->slots > 0 ? b->slots : 1) ||
	    !proto_cmp_str(a->res, b->res) ||
	    !proto_cmp_str(a->res_given, b->res_given) ||
	    strncmp(a->executor, b->executor, sizeof(a->executor)) != 0 ||
	    a->slurm_id != b->slurm_id)
		return proto_cmp_fail(why, whylen, "job %lld: identity",
		    (long long)a->id);
	if (a->exit_code != b->exit_code || a->signal != b->signal ||
	    a->submitted_at != b->submitted_at ||
	    a->started_at != b->started_at ||
	    a->finished_at != b->finished_at || a->attempts != b->attempts ||
	    a->max_retries != b->max_retries ||
	    !proto_cmp_str(a->reason, b->reason) ||
	    !proto_cmp_str(a->message, b->message) || a->pid != b->pid)
		return proto_cmp_fail(why, whylen, "job %lld: outcome",
		    (long long)a->id);
	if (a->priority != b->priority || a->not_before != b->not_before ||
	    a->timeout_ms != b->timeout_ms ||
	    a->kill_grace_ms != b->kill_grace_ms ||
	    a->retry_delay_ms != b->retry_delay_ms ||
	    !proto_cmp_str(a->unique_key, b->unique_key) ||
	    !proto_cmp_strv((const char *const *)a->labels, a->nlabels,
	    (const char *const *)b->labels, b->nlabels, 1) ||
	    a->ndeps != b->ndeps || (a->ndeps > 0 &&
	    memcmp(a->deps, b->deps, a->ndeps * sizeof(*a->deps)) != 0) ||
	    a->array_id != b->array_id || a->array_index != b->array_index ||
	    a->limited != b->limited)
		return proto_cmp_fail(why, whylen, "job %lld: scheduling",
		    (long long)a->id);
	if (!proto_cmp_limits(&a->limits, &b->limits))
		return proto_cmp_fail(why, whylen, "job %lld: limits",
		    (long long)a->id);
	if (!proto_cmp_str(a->schedule, b->schedule))
		return proto_cmp_fail(why, whylen, "job %lld: schedule",
		    (long long)a->id);
	if (!proto_cmp_str(a->usage_from, b->usage_from) ||
	    a->mem_peak != b->mem_peak || a->cpu_user_us != b->cpu_user_us ||
	    a->cpu_sys_us != b->cpu_sys_us)
		return proto_cmp_fail(why, whylen, "job %lld: usage",
		    (long long)a->id);
	return 0;
}
