/*
 * server_ops.c - requests (loop thread): what a connection may send when
 * (the handshake first; submit: for an unprivileged jobqd only from its
 * user or root, for a root jobqd from whom jobqd.conf(5) allows), the
 * client's access for each request (its groups, looked up once; admin;
 * visibility), and
 * server_ops, the table that maps each op of the codec's op table
 * (proto_req.c, which decodes every request with all the checks of
 * jobq-protocol(7)) to the handler that hands the decoded request to
 * dispatch.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "proto.h"
#include "dispatch.h"
#include "server_int.h"

/* A handler takes a request that passed the op's decoder and hands it to
 * dispatch; it returns 1 if dispatch took req itself, 0 if the caller still
 * owns it.  Whatever it moved out of r it must clear there. */
typedef int server_handler(struct server_conn *, cJSON *, struct proto_req *);

static void
server_ref(const struct proto_ref *p, struct dispatch_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	ref->id = p->id;
	ref->index = p->index;
	ref->has_index = p->has_index;
	ref->array = p->array;
}

static int
server_op_hello(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct proto_hello_reply h;
	char server[64];

	c->hello = 1;
	uv_timer_stop(&c->timer);
	snprintf(server, sizeof server, "jobqd %s", PACKAGE_VERSION);
	h.version = JOBQ_PROTOCOL_VERSION;
	h.server = server;
	server_send(c, proto_hello_reply_to_json(&h));
	return 0;
}

static int
server_op_ping(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	server_send(c, dispatch_ping(c->sv->disp));
	return 0;
}

static int
server_op_submit(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_submit(c->sv->disp, &c->req, req, &r->u.submit);
	memset(&r->u.submit, 0, sizeof r->u.submit);	/* dispatch's now */
	return 1;
}

static int
server_op_submit_batch(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_batch(c->sv->disp, &c->req, req, &r->u.batch);	/* clears it */
	return 1;
}

static int
server_op_get(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.ref, &ref);
	c->busy = 1;
	dispatch_get(c->sv->disp, &c->req, &ref);
	return 0;
}

static int
server_op_list(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct proto_list *l = &r->u.list;
	struct dispatch_filter f;

	memset(&f, 0, sizeof f);
	f.states = l->states;
	f.owner_uid = l->owner_uid;
	f.count = l->count;
	f.queue = l->queue;
	f.name = l->name;
	f.schedule = l->schedule;
	f.labels = l->labels;		/* dispatch frees them */
	f.nlabels = l->nlabels;
	f.array_id = l->array_id;
	f.limit = l->limit;
	l->labels = NULL;
	l->nlabels = 0;
	c->busy = 1;
	dispatch_list(c->sv->disp, &c->req, req, &f);
	return 1;
}

static int
server_op_cancel(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.ref, &ref);
	c->busy = 1;
	dispatch_cancel(c->sv->disp, &c->req, &ref);
	return 0;
}

static int
server_op_wait(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.wait.ref, &ref);
	c->busy = 1;
	dispatch_wait(c->sv->disp, &c->req, &ref, r->u.wait.timeout_ms);
	return 0;
}

static int
server_op_logs(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.logs.ref, &ref);
	c->busy = 1;
	dispatch_logs(c->sv->disp, &c->req, &ref, r->u.logs.stream,
	    (uint64_t)r->u.logs.offset, r->u.logs.max);
	return 0;
}

static int
server_op_priority(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.priority.ref, &ref);
	c->busy = 1;
	dispatch_priority(c->sv->disp, &c->req, &ref, r->u.priority.priority);
	return 0;
}

static int
server_op_retry(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.ref, &ref);
	c->busy = 1;
	dispatch_retry(c->sv->disp, &c->req, &ref);
	return 0;
}

static int
server_op_purge(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_purge(c->sv->disp, &c->req, r->u.purge.older_than_ms,
	    r->u.purge.state);
	return 0;
}

static int
server_op_queue_set(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_queue_set(c->sv->disp, &c->req, r->u.queue_set.queue,
	    r->u.queue_set.parallel, r->u.queue_set.paused,
	    r->u.queue_set.has_exec ? &r->u.queue_set.exec : NULL);
	return 0;
}

static int
server_op_queue_list(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_queue_list(c->sv->disp, &c->req);
	return 0;
}

static int
server_op_stats(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_stats(c->sv->disp, &c->req);
	return 0;
}

static int
server_op_metrics(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_metrics(c->sv->disp, &c->req);
	return 0;
}

static int
server_op_watch(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_watch(c->sv->disp, &c->req, r->u.watch.ids, r->u.watch.nids);
	return 0;
}

static int
server_op_hold(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.ref, &ref);
	c->busy = 1;
	dispatch_hold(c->sv->disp, &c->req, &ref, r->op == PROTO_OP_HOLD);
	return 0;
}

static int
server_op_history(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	struct dispatch_ref ref;

	server_ref(&r->u.ref, &ref);
	c->busy = 1;
	dispatch_history(c->sv->disp, &c->req, &ref);
	return 0;
}

static int
server_op_edit(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_edit(c->sv->disp, &c->req, req, &r->u.edit);
	return 1;	/* req is dispatch's now */
}

static int
server_op_schedule_add(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_schedule_add(c->sv->disp, &c->req, req, &r->u.schedule_add);
	memset(&r->u.schedule_add, 0, sizeof r->u.schedule_add);
	return 1;	/* req is dispatch's now */
}

static int
server_op_schedule_list(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_schedule_list(c->sv->disp, &c->req);
	return 0;
}

static int
server_op_schedule(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	c->busy = 1;
	dispatch_schedule_op(c->sv->disp, &c->req, (int)r->op, &r->u.schedule);
	return 0;
}

/* Who may submit: an unprivileged jobqd, its user and root (jobs run as
 * the former); a root jobqd, whom jobqd.conf(5) allows (root always). */
#define SERVER_OP_SUBMITTER 0x1

static const struct {
	server_handler *handle;
	int flags;
} server_ops[PROTO_OP_COUNT] = {
	[PROTO_OP_HELLO] = { server_op_hello, 0 },
	[PROTO_OP_PING] = { server_op_ping, 0 },
	[PROTO_OP_SUBMIT] = { server_op_submit, SERVER_OP_SUBMITTER },
	[PROTO_OP_GET] = { server_op_get, 0 },
	[PROTO_OP_LIST] = { server_op_list, 0 },
	[PROTO_OP_CANCEL] = { server_op_cancel, 0 },
	[PROTO_OP_WAIT] = { server_op_wait, 0 },
	[PROTO_OP_LOGS] = { server_op_logs, 0 },
	[PROTO_OP_PRIORITY] = { server_op_priority, 0 },
	[PROTO_OP_RETRY] = { server_op_retry, 0 },
	[PROTO_OP_PURGE] = { server_op_purge, 0 },
	[PROTO_OP_QUEUE_SET] = { server_op_queue_set, 0 },
	[PROTO_OP_QUEUE_LIST] = { server_op_queue_list, 0 },
	[PROTO_OP_STATS] = { server_op_stats, 0 },
	[PROTO_OP_WATCH] = { server_op_watch, 0 },
	[PROTO_OP_METRICS] = { server_op_metrics, 0 },
	[PROTO_OP_HOLD] = { server_op_hold, 0 },
	[PROTO_OP_RELEASE] = { server_op_hold, 0 },
	[PROTO_OP_EDIT] = { server_op_edit, 0 },
	[PROTO_OP_HISTORY] = { server_op_history, 0 },
	[PROTO_OP_SCHEDULE_ADD] = { server_op_schedule_add,
	    SERVER_OP_SUBMITTER },
	[PROTO_OP_SCHEDULE_LIST] = { server_op_schedule_list, 0 },
	[PROTO_OP_SCHEDULE_SHOW] = { server_op_schedule, 0 },
	[PROTO_OP_SCHEDULE_PAUSE] = { server_op_schedule, 0 },
	[PROTO_OP_SCHEDULE_RESUME] = { server_op_schedule, 0 },
	[PROTO_OP_SCHEDULE_REMOVE] = { server_op_schedule, 0 },
	[PROTO_OP_SCHEDULE_RUN_NOW] = { server_op_schedule,
	    SERVER_OP_SUBMITTER },
	[PROTO_OP_SUBMIT_BATCH] = { server_op_submit_batch,
	    SERVER_OP_SUBMITTER },
};

/* "alice", or "uid 1234" for a uid without a passwd entry. */
static void
server_ops_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 &&
	    pwp != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %ld", (long)uid);
}

/* The client's groups (primary and supplementary, from NSS), looked up
 * once per connection: what jobqd.conf's group lists are matched against.
 * Root and jobqd's own uid need none (they are allowed and admin). */
static void
server_ops_groups(struct server_conn *c)
{
	gid_t buf[SERVER_MAX_GROUPS];
	int n = SERVER_MAX_GROUPS;

	if (c->ngroups >= 0)
		return;
	c->ngroups = 0;
	if (c->uid == 0 || c->uid == geteuid())
		return;
	if (conf_user_groups(c->uid, buf, &n) != 0 || n <= 0)
		return;
	/* not without them: a deny-groups list would not be applied */
	if ((c->groups = malloc((size_t)n * sizeof *c->groups)) == NULL)
		fatalx("out of memory");
	memcpy(c->groups, buf, (size_t)n * sizeof *buf);
	c->ngroups = n;
}

int
server_ops_admit(struct server_conn *c, int op, char *err, size_t errlen,
    int *then_close)
{
	const char *rule;
	char name[64];

	*then_close = 0;
	if (op == PROTO_OP_HELLO) {
		if (c->hello) {
			snprintf(err, errlen, "hello was already sent");
			return JOBQ_EBADREQ;
		}
		*then_close = 1;
		return 0;
	}
	if (!c->hello) {
		snprintf(err, errlen, "hello expected");
		*then_close = 1;
		return JOBQ_EBADREQ;
	}
	/* Once a shutdown has begun, dispatch only finishes what it holds
	 * (and is freed at the end of it): new requests are refused here. */
	if (dispatch_shutting_down(c->sv->disp)) {
		snprintf(err, errlen, "jobqd is shutting down");
		return JOBQ_ESHUTDOWN;
	}
	server_ops_groups(c);
	if (op < 0 || op >= PROTO_OP_COUNT ||
	    !(server_ops[op].flags & SERVER_OP_SUBMITTER) || c->uid == 0)
		return 0;
	if (geteuid() != 0) {
		if (c->uid == geteuid())
			return 0;
		snprintf(err, errlen,
		    "jobs run as uid %ld; uid %ld may not submit to this jobqd",
		    (long)geteuid(), (long)c->uid);
		return JOBQ_EPERM;
	}
	if ((rule = conf_refusal(c->sv->conf_file, c->uid, c->groups,
	    c->ngroups)) == NULL)
		return 0;
	server_ops_user_name(c->uid, name, sizeof name);
	snprintf(err, errlen, "user %s is not allowed to submit to this jobqd "
	    "(%s in %s)", name, rule, conf_path(c->sv->conf_file) != NULL ?
	    conf_path(c->sv->conf_file) : "the configuration");
	log_info("refused a submit from uid %ld (pid %ld): %s", (long)c->uid,
	    (long)c->pid, rule);
	return JOBQ_EPERM;
}

void
server_ops_identity(struct server_conn *c)
{
	const struct conf *cf = c->sv->conf_file;

	server_ops_groups(c);
	c->req.groups = c->groups;
	c->req.ngroups = c->ngroups;
	c->req.admin = c->uid == 0 || c->uid == geteuid() ||
	    conf_admin(cf, c->uid, c->groups, c->ngroups);
	c->req.vis = (int)conf_visibility(cf);
}

int
server_ops_run(struct server_conn *c, cJSON *req, struct proto_req *r)
{
	JQ_ASSERT(r->op >= 0 && r->op < PROTO_OP_COUNT &&
	    server_ops[r->op].handle != NULL);
	return server_ops[r->op].handle(c, req, r);
}
