/*
 * client_queue.c - libjobq's calls on queues and statistics (jobq.h):
 * queue_set, queue_list and stats, through the codec's encoders and
 * decoders like the calls on jobs.
 */
#include "config.h"

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
	q.queue = queue;
	q.parallel = parallel;
	q.paused = paused;
	if ((rc = client_request(c, proto_queue_set_to_json(&q), &reply)) != 0)
		return rc;
	rc = proto_queue_set_reply_from_json(reply, &info, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
jobq_queue_list(jobq_client *c, jobq_queue_info **out, size_t *n_out)
{
	cJSON	*reply;
	int	 rc;

	if (out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_queue_list_to_json(), &reply)) != 0)
		return rc;
	rc = proto_queue_list_reply_from_json(reply, out, n_out, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
jobq_get_stats(jobq_client *c, jobq_stats *out)
{
	cJSON	*reply;
	int	 rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	memset(out, 0, sizeof(*out));
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_stats_req_to_json(), &reply)) != 0)
		return rc;
	rc = proto_stats_reply_from_json(reply, out, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
jobq_get_usage(jobq_client *c, jobq_usage **out)
{
	cJSON	*reply;
	int	 rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, proto_stats_req_to_json(), &reply)) != 0)
		return rc;
	rc = proto_usage_from_reply(reply, out, NULL, 0);
	return client_decoded(c, reply, rc);
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
