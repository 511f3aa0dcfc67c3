/*
 * client_jobs.c - libjobq's calls on jobs and arrays (jobq.h): submit, get,
 * list, cancel, wait, reading output, priority, retry and purge, hold and
 * release, and their array forms.  Each checks its arguments, builds its request with the
 * codec's encoder, sends it through client.c and decodes the reply with the
 * codec's decoder.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "client_int.h"
#include "proto.h"

extern char **environ;

/* A ref to a job (index < 0) or to task `index` of array id. */
static void
client_jobs_ref(struct proto_ref *ref, int64_t id, int64_t index)
{
	memset(ref, 0, sizeof(*ref));
	ref->id = id;
	if (index >= 0) {
		ref->index = index;
		ref->has_index = 1;
	}
}

int
client_job_call(jobq_client *c, cJSON *req, jobq_job **out)
{
	cJSON		*reply;
	jobq_job	*job;
	int		 rc;

	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_job_reply_from_json(reply, &job, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = job;
	else
		jobq_job_free(job);
	return 0;
}

/* Sends req (consumed) and decodes the reply's array, which must be the
 * array asked for, into *out if wanted. */
static int
client_jobs_array_call(jobq_client *c, cJSON *req, int64_t id,
    jobq_array_info *out)
{
	jobq_array_info	 info;
	cJSON		*reply;
	int		 rc;

	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_array_reply_from_json(reply, &info, NULL, 0);
	if (rc == 0 && info.id != id)
		rc = JOBQ_EPROTO;
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = info;
	return 0;
}

/* The common start of a call on one job: *out cleared, c and id checked,
 * ref filled. */
static int
client_jobs_begin(jobq_client *c, int64_t id, jobq_job **out,
    struct proto_ref *ref)
{
	if (out != NULL)
		*out = NULL;
	client_jobs_ref(ref, id, -1);
	return client_check_id(c, id);
}

/* --- submit --- */

/* The options jobq_submit refuses before sending anything. */
int
client_jobs_submit_ok(const jobq_submit_opts *opts)
{
	size_t	i;

	if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL ||
	    opts->argv[0][0] == '\0' || opts->max_retries < 0 ||
	    opts->max_retries > PROTO_MAX_RETRIES || opts->array_count < 0 ||
	    (opts->ndeps > 0 && opts->deps == NULL))
		return 0;
	for (i = 0; i < opts->ndeps; i++) {
		if (jobq_dep_mode_name(opts->deps[i].mode) == NULL)
			return 0;
	}
	return 1;
}

/* The caller's environment without entries that cannot be sent (no '=' or
 * an empty name).  The strings are not copied. */
int
client_jobs_environ(const char ***out)
{
	const char	**env, *eq;
	size_t		  n, i, j;

	n = 0;
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return JOBQ_ENOMEM;
	for (i = 0, j = 0; i < n; i++) {
		eq = strchr(environ[i], '=');
		if (eq != NULL && eq != environ[i])
			env[j++] = environ[i];
	}
	*out = env;
	return 0;
}

/* The caller's umask: from /proc/self/status ("Umask:", Linux >= 4.7),
 * which leaves it alone; else, or when the caller has one thread
 * (client_connect_cli), with umask() twice, which another thread creating
 * a file in between could see. */
int
client_jobs_umask(const jobq_client *c)
{
	char	line[128], *end;
	FILE	*f;
	long	 v = -1;
	mode_t	 m;

	if (!c->single_thread && (f = fopen("/proc/self/status", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "Umask:", 6) != 0)
				continue;
			errno = 0;
			v = strtol(line + 6, &end, 8);
			if (errno != 0 || end == line + 6 || v < 0 || v > 0777)
				v = -1;
			break;
		}
		fclose(f);
	}
	if (v >= 0)
		return (int)v;
	m = umask(022);
	(void)umask(m);
	return (int)(m & 0777);
}

/* Builds the submit request of opts, with the environment and working
 * directory resolved (opts', none, or the caller's); NULL in *req when out
 * of memory. */
int
client_jobs_submit_req(const jobq_client *c, const jobq_submit_opts *opts,
    cJSON **req)
{
	static const char *const empty[] = { NULL };
	const char *const	*env = opts->env;
	const char		**own_env = NULL, *cwd = opts->cwd;
	char			*own_cwd = NULL;
	int			 rc;

	if (env == NULL && opts->clean_env)
		env = empty;	/* jobqd builds the login-like environment */
	else if (env == NULL) {
		if ((rc = client_jobs_environ(&own_env)) != 0)
			return rc;
		env = own_env;
	}
	if (cwd == NULL) {
		if ((own_cwd = getcwd(NULL, 0)) == NULL) {
			rc = errno == ENOMEM ? JOBQ_ENOMEM : JOBQ_EINVAL;
			free(own_env);
			return rc;
		}
		cwd = own_cwd;
	}
	*req = proto_submit_umask(proto_submit_to_json(opts, env, cwd),
	    client_jobs_umask(c));
	free(own_env);
	free(own_cwd);
	return 0;
}

int
client_ext_copy(void *dst, size_t known, const void *ext)
{
	const unsigned char	*b = ext;
	size_t			 size, i;

	memset(dst, 0, known);
	if (ext == NULL)
		return 0;
	memcpy(&size, ext, sizeof(size));
	if (size < sizeof(size_t))
		return JOBQ_EINVAL;
	for (i = known; i < size; i++) {
		if (b[i] != 0)
			return JOBQ_EINVAL;
	}
	memcpy(dst, ext, size < known ? size : known);
	return 0;
}

int
jobq_submit(jobq_client *c, const jobq_submit_opts *opts, int64_t *id_out)
{
	return jobq_submit_x(c, opts, NULL, id_out);
}

int
jobq_submit_x(jobq_client *c, const jobq_submit_opts *opts,
    const jobq_submit_ext *ext, int64_t *id_out)
{
	struct proto_submit_reply	 sr;
	jobq_submit_ext			 x;
	cJSON				*req, *reply;
	int				 rc;

	if (id_out != NULL)
		*id_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (!client_jobs_submit_ok(opts) ||
	    client_ext_copy(&x, sizeof(x), ext) != 0 ||
	    (x.on_end != NULL && (x.on_end[0] == '\0' ||
	    strlen(x.on_end) > JOBQ_MAX_HOOK)) ||
	    x.slots < 0 || x.slots > JOBQ_MAX_SLOTS ||
	    (x.res != NULL && (x.res[0] == '\0' ||
	    strlen(x.res) > JOBQ_MAX_RES)))
		return JOBQ_EINVAL;
	if ((rc = client_jobs_submit_req(c, opts, &req)) != 0)
		return rc;
	if (ext != NULL && (req = proto_submit_ext(req, &x)) == NULL)
		return JOBQ_ENOMEM;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_submit_reply_from_json(reply, &sr, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (id_out != NULL)
		*id_out = sr.id;
	return sr.existing ? 1 : 0;
}

/* --- one job --- */

int
jobq_get(jobq_client *c, int64_t id, jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	if ((rc = client_jobs_begin(c, id, out, &ref)) != 0)
		return rc;
	return client_job_call(c, proto_get_to_json(&ref), out);
}

int
jobq_cancel(jobq_client *c, int64_t id, jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &ref)) != 0)
		return rc;
	return client_job_call(c, proto_cancel_to_json(&ref), out);
}

int
jobq_wait(jobq_client *c, int64_t id, int timeout_ms, jobq_job **out)
{
	struct proto_wait	w;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &w.ref)) != 0)
		return rc;
	w.timeout_ms = timeout_ms >= 0 ? timeout_ms : -1;
	return client_job_call(c, proto_wait_to_json(&w), out);
}

int
jobq_set_priority(jobq_client *c, int64_t id, int priority, jobq_job **out)
{
	struct proto_priority	p;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &p.ref)) != 0)
		return rc;
	p.priority = priority;
	return client_job_call(c, proto_priority_to_json(&p), out);
}

int
jobq_retry(jobq_client *c, int64_t id, jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &ref)) != 0)
		return rc;
	return client_job_call(c, proto_retry_to_json(&ref), out);
}

/* Copies the bytes of a logs reply that answers `offset` into buf (len
 * bytes); JOBQ_EPROTO for a reply that does not. */
static int
client_jobs_logs_copy(const struct proto_logs_reply *lr, uint64_t offset,
    void *buf, size_t len, size_t *nread, int *done)
{
	if ((uint64_t)lr->offset != offset || lr->len > len)
		return JOBQ_EPROTO;
	if (lr->len > 0)
		memcpy(buf, lr->data, lr->len);
	*nread = lr->len;
	if (done != NULL)
		*done = lr->done;
	return 0;
}

int
jobq_read_output_ex(jobq_client *c, int64_t id, jobq_stream stream,
    uint64_t offset, void *buf, size_t len, size_t *nread, int *done,
    uint64_t *size)
{
	struct proto_logs_reply	 lr;
	struct proto_logs	 l;
	cJSON			*reply;
	int			 rc;

	if (nread != NULL)
		*nread = 0;
	if (done != NULL)
		*done = 0;
	if (size != NULL)
		*size = 0;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	if ((stream != JOBQ_STDOUT && stream != JOBQ_STDERR) || buf == NULL ||
	    len == 0 || nread == NULL || offset > (uint64_t)PROTO_MAX_JSON_INT)
		return JOBQ_EINVAL;
	client_jobs_ref(&l.ref, id, -1);
	l.stream = stream;
	l.offset = (int64_t)offset;
	l.max = len > JOBQ_MAX_LOG_CHUNK ? JOBQ_MAX_LOG_CHUNK : len;
	if ((rc = client_request(c, proto_logs_to_json(&l), &reply)) != 0)
		return rc;
	rc = proto_logs_reply_from_json(reply, &lr, NULL, 0);
	if (rc == 0) {
		rc = client_jobs_logs_copy(&lr, offset, buf, l.max, nread,
		    done);
		if (rc == 0 && size != NULL)
			*size = lr.size > 0 ? (uint64_t)lr.size : 0;
		free(lr.data);
	}
	return client_decoded(c, reply, rc);
}

int
jobq_read_output(jobq_client *c, int64_t id, jobq_stream stream,
    uint64_t offset, void *buf, size_t len, size_t *nread, int *done)
{
	return jobq_read_output_ex(c, id, stream, offset, buf, len, nread,
	    done, NULL);
}

/* --- lists of jobs --- */

/* A list request's members from filter (NULL: all jobs); JOBQ_EINVAL for a
 * filter that cannot be sent. */
static int
client_jobs_filter(const jobq_filter *filter, struct proto_list *l)
{
	size_t	n = 0;

	memset(l, 0, sizeof(*l));
	l->owner_uid = -1;
	if (filter == NULL)
		return 0;
	if ((filter->state >= 0 &&
	    jobq_state_name((jobq_state)filter->state) == NULL) ||
	    filter->array_id < 0 || filter->array_id > PROTO_MAX_JSON_INT)
		return JOBQ_EINVAL;
	while (filter->labels != NULL && filter->labels[n] != NULL)
		n++;
	l->states = filter->state >= 0 ? 1u << filter->state : 0;
	l->queue = filter->queue;
	l->name = filter->name;
	l->labels = (const char **)filter->labels;
	l->nlabels = n;
	l->array_id = filter->array_id;
	l->limit = filter->limit;
	return 0;
}

/* Sends l and decodes the reply. */
static int
client_jobs_list(jobq_client *c, const struct proto_list *l,
    jobq_job ***jobs_out, size_t *n_out, size_t *total_out)
{
	cJSON	*reply;
	int64_t	 total;
	int	 rc;

	if ((rc = client_request(c, proto_list_to_json(l), &reply)) != 0)
		return rc;
	rc = proto_list_reply_from_json(reply, jobs_out, n_out, &total, NULL,
	    0);
	if (total_out != NULL)
		*total_out = total >= 0 ? (size_t)total : *n_out;
	return client_decoded(c, reply, rc);
}

int
jobq_list(jobq_client *c, const jobq_filter *filter, jobq_job ***jobs_out,
    size_t *n_out)
{
	struct proto_list	 l;
	int			 rc;

	if (jobs_out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*jobs_out = NULL;
	*n_out = 0;
	if ((rc = client_check(c)) != 0 ||
	    (rc = client_jobs_filter(filter, &l)) != 0)
		return rc;
	return client_jobs_list(c, &l, jobs_out, n_out, NULL);
}

int
jobq_list_ex(jobq_client *c, const jobq_list_opts *opts,
    jobq_job ***jobs_out, size_t *n_out, size_t *total_out)
{
	return jobq_list_x(c, opts, NULL, jobs_out, n_out, total_out);
}

int
jobq_list_x(jobq_client *c, const jobq_list_opts *opts,
    const jobq_list_ext *ext, jobq_job ***jobs_out, size_t *n_out,
    size_t *total_out)
{
	struct proto_list	 l;
	jobq_list_ext		 x;
	size_t			 n = 0;
	int			 rc;

	if (jobs_out == NULL || n_out == NULL || opts == NULL)
		return JOBQ_EINVAL;
	*jobs_out = NULL;
	*n_out = 0;
	if (total_out != NULL)
		*total_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (client_ext_copy(&x, sizeof(x), ext) != 0 ||
	    (opts->states >> JOBQ_STATE_COUNT) != 0 || opts->array_id < 0 ||
	    opts->array_id > PROTO_MAX_JSON_INT || opts->owner_uid < -1 ||
	    opts->owner_uid > (int64_t)UINT32_MAX - 1)
		return JOBQ_EINVAL;
	while (opts->labels != NULL && opts->labels[n] != NULL)
		n++;
	memset(&l, 0, sizeof(l));
	l.states = opts->states;
	l.queue = opts->queue;
	l.name = opts->name;
	l.labels = (const char **)opts->labels;
	l.nlabels = n;
	l.array_id = opts->array_id;
	l.owner_uid = opts->owner_uid;
	l.limit = opts->limit;
	l.count = total_out != NULL;
	l.schedule = x.schedule;
	if (l.schedule != NULL && (l.schedule[0] == '\0' ||
	    strlen(l.schedule) > JOBQ_MAX_NAME))
		return JOBQ_EINVAL;
	return client_jobs_list(c, &l, jobs_out, n_out, total_out);
}

int
jobq_purge(jobq_client *c, int64_t older_than_ms, int state, size_t *n_out)
{
	struct proto_purge	 p;
	cJSON			*reply;
	size_t			 n;
	int			 rc;

	if (n_out != NULL)
		*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (older_than_ms < 0 || older_than_ms > PROTO_MAX_JSON_INT ||
	    (state != -1 && jobq_state_name((jobq_state)state) == NULL))
		return JOBQ_EINVAL;
	p.older_than_ms = older_than_ms;
	p.state = state;
	if ((rc = client_request(c, proto_purge_to_json(&p), &reply)) != 0)
		return rc;
	rc = proto_purge_reply_from_json(reply, &n, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (n_out != NULL)
		*n_out = n;
	return 0;
}

/* --- arrays --- */

int
jobq_get_task(jobq_client *c, int64_t array_id, int64_t index,
    jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if ((rc = client_check_id(c, array_id)) != 0)
		return rc;
	if (index < 0 || index > PROTO_MAX_JSON_INT)
		return JOBQ_EINVAL;
	client_jobs_ref(&ref, array_id, index);
	return client_job_call(c, proto_get_to_json(&ref), out);
}

/* A call on a whole array: the request of op (PROTO_OP_GET, _WAIT or
 * _CANCEL; timeout_ms < 0: none), its reply's array into *out if wanted. */
static int
client_jobs_array_op(jobq_client *c, int op, int64_t array_id,
    int timeout_ms, jobq_array_info *out)
{
	struct proto_req	r;
	int			rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((rc = client_check_id(c, array_id)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.op = (enum proto_op)op;
	if (op == PROTO_OP_WAIT) {
		client_jobs_ref(&r.u.wait.ref, array_id, -1);
		r.u.wait.ref.array = 1;
		r.u.wait.timeout_ms = timeout_ms >= 0 ? timeout_ms : -1;
	} else {
		client_jobs_ref(&r.u.ref, array_id, -1);
		r.u.ref.array = 1;
	}
	return client_jobs_array_call(c, proto_req_to_json(&r), array_id, out);
}

int
jobq_array_get(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	return client_jobs_array_op(c, PROTO_OP_GET, array_id, -1, out);
}

int
jobq_array_wait(jobq_client *c, int64_t array_id, int timeout_ms,
    jobq_array_info *out)
{
	return client_jobs_array_op(c, PROTO_OP_WAIT, array_id, timeout_ms,
	    out);
}

int
jobq_array_cancel(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	return client_jobs_array_op(c, PROTO_OP_CANCEL, array_id, -1, out);
}

/* --- holds --- */

int
jobq_hold(jobq_client *c, int64_t id, jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &ref)) != 0)
		return rc;
	return client_job_call(c, proto_hold_to_json(&ref), out);
}

int
jobq_release(jobq_client *c, int64_t id, jobq_job **out)
{
	struct proto_ref	ref;
	int			rc;

	if ((rc = client_jobs_begin(c, id, out, &ref)) != 0)
		return rc;
	return client_job_call(c, proto_release_to_json(&ref), out);
}

int
jobq_array_hold(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	return client_jobs_array_op(c, PROTO_OP_HOLD, array_id, -1, out);
}

int
jobq_array_release(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	return client_jobs_array_op(c, PROTO_OP_RELEASE, array_id, -1, out);
}
