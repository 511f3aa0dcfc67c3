/*
 * client_edit.c - libjobq's edit and history calls (jobq.h): jobq_edit()
 * sends the members of jobq_edit_opts named in its set, jobq_history() reads
 * a job's history.  (Holds are client_jobs.c's, with the other calls on one
 * job.)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobq.h"
#include "client_int.h"
#include "proto.h"

int
jobq_edit(jobq_client *c, int64_t id, const jobq_edit_opts *opts,
    jobq_job **out)
{
	cJSON	*req;
	int	 rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	if ((req = proto_edit_opts_to_json(id, opts)) == NULL)
		return JOBQ_EINVAL;	/* or out of memory */
	return client_job_call(c, req, out);
}

int
jobq_history(jobq_client *c, int64_t id, jobq_history_entry **out,
    size_t *n_out)
{
	struct proto_ref	 ref;
	jobq_history_entry	*v;
	cJSON			*req, *reply;
	size_t			 n;
	int			 rc;

	if (out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	*n_out = 0;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	memset(&ref, 0, sizeof(ref));
	ref.id = id;
	if ((req = proto_history_to_json(&ref)) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_history_reply_from_json(reply, &v, &n, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	*out = v;
	*n_out = n;
	return 0;
}
