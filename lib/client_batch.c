/*
 * client_batch.c - jobq_submit_many(): n jobs in one submit_batch request
 * (proto_batch.c), committed by jobqd in one transaction; the caller's
 * environment (sent once, as the batch's "env"), working directory and
 * umask are looked up once for all the jobs that take them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_int.h"
#include "proto.h"

/* The request for jobs[0..n-1] into *req; 0 or a JOBQ_E* code. */
static int
client_batch_req(const jobq_client *c, const jobq_submit_opts *jobs, size_t n,
    cJSON **req)
{
	static const char *const empty[] = { NULL };
	const char	**own_env = NULL;
	char		 *own_cwd = NULL;
	const char *const *env;
	const char	 *cwd;
	cJSON		 *arr = NULL, *job;
	int		  shared;
	size_t		  i;
	int		  umask, rc = 0;

	umask = client_jobs_umask(c);
	if ((*req = proto_batch_begin(&arr)) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		env = jobs[i].env;
		cwd = jobs[i].cwd;
		shared = 0;
		if (env == NULL && jobs[i].clean_env)
			env = empty;
		else if (env == NULL) {
			/* the caller's: sent once, as the batch's "env" */
			if (own_env == NULL &&
			    ((rc = client_jobs_environ(&own_env)) != 0 ||
			    (rc = proto_batch_env(*req, own_env)) != 0))
				break;
			env = empty;
			shared = 1;
		}
		if (cwd == NULL) {
			if (own_cwd == NULL &&
			    (own_cwd = getcwd(NULL, 0)) == NULL) {
				rc = errno == ENOMEM ? JOBQ_ENOMEM :
				    JOBQ_EINVAL;
				break;
			}
			cwd = own_cwd;
		}
		job = proto_submit_umask(proto_submit_to_json(&jobs[i], env,
		    cwd), umask);
		if (shared && job != NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(job, "env");
		rc = proto_batch_add(arr, job);
	}
	free(own_env);
	free(own_cwd);
	if (rc != 0) {
		cJSON_Delete(*req);
		*req = NULL;
	}
	return rc;
}

int
jobq_submit_many(jobq_client *c, const jobq_submit_opts *jobs, size_t n,
    int64_t *ids_out)
{
	cJSON	*req, *reply;
	size_t	 i;
	int	 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (jobs == NULL || ids_out == NULL || n == 0 || n > JOBQ_MAX_BATCH)
		return JOBQ_EINVAL;
	for (i = 0; i < n; i++) {
		ids_out[i] = 0;
		if (!client_jobs_submit_ok(&jobs[i]) || jobs[i].ndeps > 0 ||
		    jobs[i].unique_key != NULL || jobs[i].array_count > 0)
			return JOBQ_EINVAL;
	}
	if ((rc = client_batch_req(c, jobs, n, &req)) != 0)
		return rc;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_batch_reply_from_json(reply, ids_out, n, NULL, 0);
	return client_decoded(c, reply, rc);
}
