/*
 * client_queue.c - libjobq's calls on queues and statistics (jobq.h):
 * queue_set, queue_list and stats, through the codec's encoders and
 * decoders like the calls on jobs; and a queue's executor
 * (jobq_queue_set_executor / jobq_queue_get_executor: queue_set's
 * "executor", the queue objects' of queue_list); the "usage" and "slurm"
 * members of the stats reply (jobq_get_usage, jobq_get_slurm).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "client_int.h"
#include "proto.h"

int
jobq_queue_set(jobq_client *c, const char *queue, int parallel, int paused)
{
	struct proto_queue_set	 q;
	jobq_queue_info		 info;
	cJSON			*reply;
	int			 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (queue == NULL || queue[0] == '\0' ||
	    strlen(queue) > JOBQ_MAX_NAME)
		return JOBQ_EINVAL;
	memset(&q, 0, sizeof(q));	/* has_exec 0: the executor unchanged */
	q.queue = queue;
	q.parallel = parallel;
	q.paused = paused;
	if ((rc = client_request(c, proto_queue_set_to_json(&q), &reply)) != 0)
		return rc;
	rc = proto_queue_set_reply_from_json(reply, &info, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
client_queue_list_exec(jobq_client *c, jobq_queue_info **out,
    struct proto_exec **exec, jobq_slurm_info *slurm, jobq_usage **usage,
    size_t *n_out)
{
	cJSON	*reply;
	int	 rc;

	if (out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	*n_out = 0;
	if (exec != NULL)
		*exec = NULL;
	if (slurm != NULL)
		memset(slurm, 0, sizeof(*slurm));
	if (usage != NULL)
		*usage = NULL;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_queue_list_to_json(), &reply)) != 0)
		return rc;
	rc = proto_queue_list_reply_from_json(reply, out, n_out, NULL, 0);
	if (rc == 0 && slurm != NULL)
		rc = proto_slurm_from_reply(reply, slurm, NULL, 0);
	if (rc == 0 && exec != NULL)
		rc = proto_queue_list_reply_exec(reply, exec, *n_out, NULL, 0);
	if (rc == 0 && usage != NULL)
		rc = proto_usage_from_reply(reply, usage, NULL, 0);
	if (rc != 0 && *out != NULL) {
		jobq_queue_list_free(*out);
		*out = NULL;
		*n_out = 0;
	}
	if (rc != 0 && exec != NULL) {
		free(*exec);
		*exec = NULL;
	}
	return client_decoded(c, reply, rc);
}

int
jobq_queue_list(jobq_client *c, jobq_queue_info **out, size_t *n_out)
{
	return client_queue_list_exec(c, out, NULL, NULL, NULL, n_out);
}

/* e as the codec's struct, checked with the codec's rules (the message in
 * c->errmsg); 0 or JOBQ_EINVAL / JOBQ_ENOMEM. */
static int
client_exec_from(jobq_client *c, const jobq_executor *e,
    struct proto_exec *out)
{
	cJSON	*obj, *opts;
	size_t	 i;
	int	 rc;

	if (e->n_opts > 0 && e->opts == NULL)
		return JOBQ_EINVAL;
	if (memchr(e->type, '\0', sizeof(e->type)) == NULL ||
	    memchr(e->partition, '\0', sizeof(e->partition)) == NULL ||
	    memchr(e->account, '\0', sizeof(e->account)) == NULL)
		return JOBQ_EINVAL;
	if ((obj = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(obj, "type", e->type) == NULL ||
	    (e->partition[0] != '\0' && cJSON_AddStringToObject(obj,
	    "partition", e->partition) == NULL) ||
	    (e->account[0] != '\0' && cJSON_AddStringToObject(obj,
	    "account", e->account) == NULL)) {
		cJSON_Delete(obj);
		return JOBQ_ENOMEM;
	}
	if (e->n_opts > 0) {
		if ((opts = cJSON_AddArrayToObject(obj, "opts")) == NULL) {
			cJSON_Delete(obj);
			return JOBQ_ENOMEM;
		}
		for (i = 0; i < e->n_opts && i <= PROTO_MAX_EXEC_OPTS; i++) {
			if (e->opts[i] == NULL) {
				cJSON_Delete(obj);
				return JOBQ_EINVAL;
			}
			if (!cJSON_AddItemToArray(opts,
			    cJSON_CreateString(e->opts[i]))) {
				cJSON_Delete(obj);
				return JOBQ_ENOMEM;
			}
		}
	}
	rc = proto_exec_from_json(obj, out, c->errmsg, sizeof(c->errmsg));
	cJSON_Delete(obj);
	return rc;
}

int
jobq_queue_set_executor(jobq_client *c, const char *queue,
    const jobq_executor *e)
{
	struct proto_queue_set	*q;
	jobq_queue_info		 info;
	cJSON			*reply, *req;
	int			 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (queue == NULL || queue[0] == '\0' ||
	    strlen(queue) > JOBQ_MAX_NAME || e == NULL)
		return JOBQ_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return JOBQ_ENOMEM;
	c->errmsg[0] = '\0';
	if ((rc = client_exec_from(c, e, &q->exec)) != 0) {
		free(q);
		return rc;
	}
	q->queue = queue;
	q->parallel = -1;
	q->paused = -1;
	q->has_exec = 1;
	req = proto_queue_set_to_json(q);
	free(q);
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_queue_set_reply_from_json(reply, &info, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
jobq_queue_get_executor(jobq_client *c, const char *queue,
    jobq_executor *out)
{
	jobq_queue_info		*qs;
	struct proto_exec	*ex, *e;
	size_t			 n, i;
	int			 rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	memset(out, 0, sizeof(*out));
	snprintf(out->type, sizeof(out->type), "local");
	if (queue == NULL || queue[0] == '\0' ||
	    strlen(queue) > JOBQ_MAX_NAME)
		return JOBQ_EINVAL;
	if ((rc = client_queue_list_exec(c, &qs, &ex, NULL, NULL, &n)) != 0)
		return rc;
	for (i = 0; qs != NULL && i < n && strcmp(qs[i].name, queue) != 0;
	    i++)
		;
	if (qs != NULL && ex != NULL && i < n && ex[i].slurm) {
		e = &ex[i];
		snprintf(out->type, sizeof(out->type), "slurm");
		memcpy(out->partition, e->partition, sizeof(out->partition));
		memcpy(out->account, e->account, sizeof(out->account));
		if (e->nopts > 0 &&
		    (out->opts = calloc(e->nopts, sizeof(*out->opts))) == NULL)
			rc = JOBQ_ENOMEM;
		for (i = 0; rc == 0 && i < e->nopts; i++) {
			if ((out->opts[i] = strdup(e->opts[i])) == NULL)
				rc = JOBQ_ENOMEM;
			else
				out->n_opts++;
		}
	}
	free(ex);
	jobq_queue_list_free(qs);
	if (rc != 0) {
		jobq_executor_release(out);
		snprintf(out->type, sizeof(out->type), "local");
	}
	return rc;
}

void
jobq_executor_release(jobq_executor *e)
{
	size_t	i;

	if (e == NULL)
		return;
	for (i = 0; e->opts != NULL && i < e->n_opts; i++)
		free(e->opts[i]);
	free(e->opts);
	e->opts = NULL;
	e->n_opts = 0;
}

/* The stats request, its reply decoded into each of st, usage and slurm
 * that is not NULL (cleared by the caller); on an error none is left
 * allocated. */
static int
client_stats_call(jobq_client *c, jobq_stats *st, jobq_usage **usage,
    jobq_slurm_info *slurm)
{
	cJSON	*reply;
	int	 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_stats_req_to_json(), &reply)) != 0)
		return rc;
	if (st != NULL)
		rc = proto_stats_reply_from_json(reply, st, NULL, 0);
	if (rc == 0 && usage != NULL)
		rc = proto_usage_from_reply(reply, usage, NULL, 0);
	if (rc == 0 && slurm != NULL)
		rc = proto_slurm_from_reply(reply, slurm, NULL, 0);
	if (rc != 0) {
		if (st != NULL)
			jobq_stats_release(st);
		if (usage != NULL) {
			jobq_usage_free(*usage);
			*usage = NULL;
		}
	}
	return client_decoded(c, reply, rc);
}

int
jobq_get_stats(jobq_client *c, jobq_stats *out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	memset(out, 0, sizeof(*out));
	return client_stats_call(c, out, NULL, NULL);
}

int
jobq_get_usage(jobq_client *c, jobq_usage **out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	return client_stats_call(c, NULL, out, NULL);
}

int
jobq_get_slurm(jobq_client *c, jobq_slurm_info *out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	memset(out, 0, sizeof(*out));
	return client_stats_call(c, NULL, NULL, out);
}

int
jobq_get_stats_ex(jobq_client *c, jobq_stats *st, jobq_usage **usage,
    jobq_slurm_info *slurm)
{
	if (st == NULL && usage == NULL && slurm == NULL)
		return JOBQ_EINVAL;
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (usage != NULL)
		*usage = NULL;
	if (slurm != NULL)
		memset(slurm, 0, sizeof(*slurm));
	return client_stats_call(c, st, usage, slurm);
}

int
jobq_get_metrics(jobq_client *c, char **text_out)
{
	cJSON	*reply;
	int	 rc;

	if (text_out == NULL)
		return JOBQ_EINVAL;
	*text_out = NULL;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_metrics_req_to_json(), &reply)) != 0)
		return rc;
	rc = proto_metrics_reply_from_json(reply, text_out, NULL, 0);
	return client_decoded(c, reply, rc);
}
