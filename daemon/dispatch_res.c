/*
 * dispatch_res.c - slots and named resources of the jobs in flight (loop
 * thread only): the daemon's pool (its worker slots and --resource specs,
 * attached to the scheduler, which assigns and releases instances:
 * sched_res.c), a submit's request checked against it, a job's request
 * kept with it, an edit of that request (jobq edit --slots/--res), what
 * a claim stores and hands the job (res_given and the
 * JOBQ_RES_* variables), and the usage the stats and queue_list replies
 * show.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

int
dispatch_res_start(struct dispatch *s, const struct dispatch_config *conf)
{
	char err[256];
	size_t i;

	if ((s->res = malloc(sizeof(*s->res))) == NULL)
		return JOBQ_ENOMEM;
	sched_res_pool_init(s->res, conf->workers);
	for (i = 0; i < conf->nresources; i++)
		if (sched_res_pool_add(s->res, conf->resources[i], err,
		    sizeof err) != 0) {
			/* options.c checked them: not reached */
			log_warnx("--resource: %s", err);
			return JOBQ_EINVAL;
		}
	sched_res_attach(s->sched, s->res);
	return 0;
}

int
dispatch_res_admit(const struct dispatch *s, const struct proto_submit *sub,
    char *msg, size_t msglen)
{
	struct sched_res_req r;

	if (sched_res_req_parse(s->res, sub->slots, sub->res, &r, msg,
	    msglen) != 0)
		return JOBQ_EINVAL;
	return 0;
}

void
dispatch_res_job(struct dispatch *s, struct sjob *j, int slots,
    const char *res)
{
	struct sched_res_req r, *req;
	char err[256];

	if (slots <= 1 && res == NULL)
		return;		/* one slot, nothing else: no request kept */
	if (sched_res_req_parse(s->res, slots, res, &r, err,
	    sizeof err) != 0) {
		/* stored by a jobqd with more slots or other resources: kept
		 * out of its queue's order (held in the scheduler only), so
		 * that it holds back nothing behind it */
		log_warnx("job %" PRId64 ": %s; it stays queued until jobqd "
		    "has what it asks (--workers, --resource)", SJOB_ID(j),
		    err);
		memset(&r, 0, sizeof(r));
		r.slots = s->res->slots_total + 1;	/* never fits */
		if (!j->node.held)
			j->res_held = 1;
		j->node.held = 1;
	}
	if ((req = malloc(sizeof(*req))) == NULL)
		fatalx("out of memory");
	*req = r;
	/* the node's side record, if it has none yet */
	if (sched_node_set_res(&j->node, req) != 0)
		fatalx("out of memory");
}

int
dispatch_res_edit_check(const struct dispatch *s, const struct sjob *j,
    const struct proto_edit *e, struct sched_res_req **out, char *msg,
    size_t msglen)
{
	const struct sched_res_req *cur = sched_node_res(&j->node);
	struct sched_res_req r;
	int set_slots = (e->set & JOBQ_EDIT_SLOTS) != 0;
	int set_res = (e->set & JOBQ_EDIT_RES) != 0;

	*out = NULL;
	if (!set_slots && !set_res)
		return 0;
	if (cur != NULL && !sched_res_possible(s->res, cur) &&
	    !(set_slots && set_res)) {
		/* what it asks now was not read against this pool */
		snprintf(msg, msglen, "the job asks more than jobqd has "
		    "(--workers, --resource): change its slots and res "
		    "together");
		return JOBQ_EINVAL;
	}
	if (sched_res_req_edit(s->res, cur, set_slots ? e->slots : 0,
	    set_res, e->res, &r, msg, msglen) != 0)
		return JOBQ_EINVAL;
	if (r.slots <= 1 && memcmp(r.n, (unsigned[SCHED_RES_MAX]){ 0 },
	    sizeof(r.n)) == 0)
		return 0;	/* one slot, nothing else: no request kept */
	if ((*out = malloc(sizeof(**out))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return JOBQ_ENOMEM;
	}
	**out = r;
	return 0;
}

void
dispatch_res_edit_apply(struct dispatch *s, struct sjob *j,
    struct sched_res_req *r)
{
	struct sched_res_req *old = sched_node_res(&j->node);
	int rv;

	if ((rv = sched_edit_res(s->sched, &j->node, r)) != 0) {
		/* no side record for r: the edit is half made
		 * (dispatch_edit_sched), so as dispatch_res_job */
		if (rv == -ENOMEM)
			fatalx("out of memory");
		/* checked by dispatch_res_edit_check and dispatch_edit */
		JQ_ASSERT(0);
		free(r);
		return;
	}
	free(old);		/* sched_node_res(&j->node) is r now */
	if (j->res_held) {
		j->res_held = 0;
		(void)sched_edit_release(s->sched, &j->node, util_now_ms());
	}
}

int
dispatch_res_impossible(const struct dispatch *s, const struct sjob *j)
{
	const struct sched_res_req *r = sched_node_res(&j->node);

	return r != NULL && !sched_res_possible(s->res, r);
}

void
dispatch_res_claim(struct dispatch *s, struct sjob *j, struct store_op *op,
    struct op_ctx *c)
{
	const struct sched_res_req *r = sched_node_res(&j->node);
	size_t n;

	if (r == NULL)
		return;
	n = sched_res_given_str(s->res, r, NULL, 0);
	if (n == 0)
		return;		/* slots only */
	if ((c->msg = malloc(n + 1)) == NULL ||
	    (c->strv = sched_res_env(s->res, r)) == NULL)
		fatalx("out of memory");
	(void)sched_res_given_str(s->res, r, c->msg, n + 1);
	op->in.claim.res_given = c->msg;
	op->in.claim.res_env = (const char *const *)c->strv;
}

int
dispatch_res_pairable(const struct dispatch *s,
    const struct proto_submit *sub)
{
	/* a slot free beside the running jobs' and the other paired ones:
	 * an idle worker is not enough when multi-slot jobs run */
	return sub->slots <= 1 && sub->res == NULL &&
	    (size_t)s->res->slots_used + s->npaired <
	    (size_t)s->res->slots_total;
}

cJSON *
dispatch_res_usage(const struct dispatch *s, cJSON *reply)
{
	jobq_res_usage v[SCHED_RES_MAX];
	jobq_usage u;
	size_t k;

	memset(&u, 0, sizeof(u));
	memset(v, 0, sizeof(v));
	/* jobs handed ahead (dispatch_slot.c) wait for a slot: not counted
	 * over the total */
	u.slots_used = s->res->slots_used < s->res->slots_total ?
	    s->res->slots_used : s->res->slots_total;
	u.slots_total = s->res->slots_total;
	u.res = v;
	u.nres = s->res->nres;
	for (k = 0; k < s->res->nres; k++) {
		(void)snprintf(v[k].name, sizeof(v[k].name), "%s",
		    s->res->res[k].name);
		v[k].used = (int)sched_res_used(s->res, k);
		v[k].total = (int)s->res->res[k].ninst;
	}
	return proto_usage_add(reply, &u);
}
