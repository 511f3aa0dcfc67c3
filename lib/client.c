/*
 * client.c - libjobq's public client API (jobq.h): one jobq_client is one
 * Unix stream connection to jobqd with at most one request in flight.  Owns
 * connecting, the version handshake, sending requests and reading replies
 * (blocking, EINTR-safe), and turning replies into jobq_* results; and the
 * watch stream: after jobq_watch() the connection only carries event frames,
 * read with a timeout into a buffer that keeps partial frames across calls.
 * After an I/O or protocol error the connection is marked broken and every
 * later call returns JOBQ_EIO.  Never prints, exits or aborts; no global
 * mutable state.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobq.h"
#include "paths.h"
#include "proto.h"
#include "util.h"

#define CLIENT_NAME "libjobq/" JOBQ_VERSION_STRING

/* Largest integer a JSON number carries exactly (2^53). */
#define CLIENT_MAX_JSON_INT ((int64_t)1 << 53)

extern char **environ;

/* Bytes read from the socket at a time while watching. */
#define CLIENT_WATCH_CHUNK 65536

struct jobq_client {
	int	 fd;
	int	 broken;	/* after an I/O or protocol error */
	int	 streaming;	/* after jobq_watch(): events only */
	char	 errmsg[512];	/* the daemon's message for the last error */
	char	*rbuf;		/* watch: bytes read but not yet decoded are */
	size_t	 rpos, rlen;	/* rbuf[rpos..rlen) */
	size_t	 rcap;
};

int
jobq_default_socket(char *buf, size_t len)
{
	return paths_socket(buf, len);
}

/* --- I/O --- */

static int
client_write_all(jobq_client *c, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_read_all(jobq_client *c, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = read(c->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (n == 0) {
			c->broken = 1;
			return JOBQ_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Sends req and reads one reply.  Returns 0 with *reply_out set when the
 * daemon answered "ok":true, or the error code (the daemon's, or a local
 * one).  Errors that leave the stream in an unknown state break c.
 */
static int
client_call(jobq_client *c, const cJSON *req, cJSON **reply_out)
{
	unsigned char	 hdr[PROTO_HDR_LEN];
	char		*frame, *payload;
	size_t		 flen, plen;
	cJSON		*reply;
	int		 rc;

	*reply_out = NULL;
	c->errmsg[0] = '\0';
	if (c->streaming)
		return JOBQ_EINVAL;
	if (c->broken)
		return JOBQ_EIO;
	if (req == NULL)
		return JOBQ_ENOMEM;
	if ((rc = proto_frame_encode(req, &frame, &flen)) != 0)
		return rc;	/* nothing was sent: c is still usable */
	rc = client_write_all(c, frame, flen);
	free(frame);
	if (rc != 0)
		return rc;

	if ((rc = client_read_all(c, hdr, sizeof(hdr))) != 0)
		return rc;
	plen = ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) |
	    ((size_t)hdr[2] << 8) | (size_t)hdr[3];
	if (plen == 0 || plen > PROTO_MAX_REPLY) {
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	if ((payload = malloc(plen)) == NULL) {
		c->broken = 1;	/* the unread reply desynchronises the stream */
		return JOBQ_ENOMEM;
	}
	if ((rc = client_read_all(c, payload, plen)) != 0) {
		free(payload);
		return rc;
	}
	rc = proto_parse(payload, plen, 0, &reply, NULL, 0);
	free(payload);
	if (rc != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? JOBQ_ENOMEM : JOBQ_EPROTO;
	}
	if ((rc = proto_reply_status(reply, c->errmsg, sizeof c->errmsg)) != 0) {
		cJSON_Delete(reply);
		if (rc == JOBQ_EPROTO)
			c->broken = 1;
		return rc;
	}
	*reply_out = reply;
	return 0;
}

/* A protocol error found while decoding a reply: breaks c. */
static int
client_bad_reply(jobq_client *c, int rc)
{
	if (rc != JOBQ_ENOMEM) {
		c->broken = 1;
		rc = JOBQ_EPROTO;
	}
	return rc;
}

/* client_call for a request that is consumed (NULL: out of memory). */
static int
client_request(jobq_client *c, cJSON *req, cJSON **reply)
{
	int	rc;

	rc = client_call(c, req, reply);
	cJSON_Delete(req);
	return rc;
}

/* The end of decoding a reply: frees it; rc is the decoder's result, and
 * a failure breaks c (see client_bad_reply). */
static int
client_decoded(jobq_client *c, cJSON *reply, int rc)
{
	cJSON_Delete(reply);
	return rc != 0 ? client_bad_reply(c, rc) : 0;
}

/* The array under key in a reply, and its length; 0, or a protocol error
 * (reply freed, c broken). */
static int
client_reply_array(jobq_client *c, cJSON *reply, const char *key,
    cJSON **arr, size_t *n)
{
	cJSON	*item;

	*arr = cJSON_GetObjectItemCaseSensitive(reply, key);
	if (!cJSON_IsArray(*arr))
		return client_decoded(c, reply, JOBQ_EPROTO);
	*n = 0;
	cJSON_ArrayForEach(item, *arr)
		(*n)++;
	return 0;
}

/* --- connection --- */

static int
client_connect_fd(int fd, const struct sockaddr_un *sun)
{
	struct pollfd	pfd;
	socklen_t	slen;
	int		soerr;

	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return 0;
	if (errno != EINTR && errno != EINPROGRESS)
		return -1;
	/* Interrupted: the connection completes asynchronously. */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	slen = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) != 0 ||
	    soerr != 0)
		return -1;
	return 0;
}

static int
client_hello(jobq_client *c)
{
	cJSON	*req, *reply;
	int64_t	 version = 0;
	int	 rc;

	if ((req = cJSON_CreateObject()) == NULL)
		return JOBQ_ENOMEM;
	if (cJSON_AddStringToObject(req, "op", "hello") == NULL ||
	    cJSON_AddNumberToObject(req, "version",
	    JOBQ_PROTOCOL_VERSION) == NULL ||
	    cJSON_AddStringToObject(req, "client", CLIENT_NAME) == NULL) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_get_int(reply, "version", 1, 0, INT32_MAX, &version,
	    NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (version != JOBQ_PROTOCOL_VERSION)
		return JOBQ_EVERSION;
	return 0;
}

int
jobq_connect(const char *path, jobq_client **out)
{
	struct sockaddr_un	 sun;
	char			 def[sizeof(sun.sun_path)];
	jobq_client		*c;
	int			 rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if (path == NULL) {
		if (paths_socket(def, sizeof(def)) != 0)
			return JOBQ_EINVAL;
		path = def;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return JOBQ_EINVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Never hand a job (and its environment) to another user's socket. */
	if ((rc = paths_check_socket(path, 1)) == EPERM) {
		errno = EPERM;
		return JOBQ_EPERM;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return JOBQ_ENOMEM;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = (errno == ENOMEM || errno == ENOBUFS) ? JOBQ_ENOMEM :
		    JOBQ_ECONNECT;
		free(c);
		return rc;
	}
	if (client_connect_fd(c->fd, &sun) != 0) {
		jobq_close(c);
		return JOBQ_ECONNECT;
	}
	if ((rc = client_hello(c)) != 0) {
		jobq_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

const char *
jobq_last_error(const jobq_client *c)
{
	return c != NULL ? c->errmsg : "";
}

void
jobq_close(jobq_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

/* --- requests --- */

/* {"op":op}, or NULL on allocation failure. */
static cJSON *
client_op_request(const char *op)
{
	cJSON	*req;

	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(req, "op", op) == NULL) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* {"op":op,"id":id}, or NULL on allocation failure. */
static cJSON *
client_id_request(const char *op, int64_t id)
{
	cJSON	*req;

	if ((req = client_op_request(op)) == NULL)
		return NULL;
	if (proto_add_int(req, "id", id) != 0) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* Adds key:v to req unless key is NULL; req, or NULL (req freed) on
 * allocation failure or when req is NULL. */
static cJSON *
client_add_int(cJSON *req, const char *key, int64_t v)
{
	if (req != NULL && key != NULL && proto_add_int(req, key, v) != 0) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* Sends req (consumed) and decodes the reply's "job" into *out if wanted. */
static int
client_job_call(jobq_client *c, cJSON *req, jobq_job **out)
{
	cJSON	*reply;
	jobq_job *job;
	int	 rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_job_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "job"), &job, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = job;
	else
		jobq_job_free(job);
	return 0;
}

/* Every request-reply call first: a watching handle takes no requests. */
static int
client_check(jobq_client *c)
{
	if (c == NULL || c->streaming)
		return JOBQ_EINVAL;
	if (c->broken)
		return JOBQ_EIO;
	return 0;
}

static int
client_check_id(jobq_client *c, int64_t id)
{
	int	rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (id <= 0 || id > CLIENT_MAX_JSON_INT)
		return JOBQ_EINVAL;
	return 0;
}

/* A call on one job: {"op":op,"id":id[,key:v]} (no key: NULL), its reply's
 * job into *out if wanted. */
static int
client_job_op(jobq_client *c, const char *op, int64_t id, const char *key,
    int64_t v, jobq_job **out)
{
	cJSON	*req;
	int	 rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	/* A NULL request (out of memory) is client_call's JOBQ_ENOMEM. */
	req = client_add_int(client_id_request(op, id), key, v);
	return client_job_call(c, req, out);
}

/* The caller's environment without entries that cannot be sent (no '=' or
 * an empty name).  The strings are not copied. */
static int
client_environ(const char ***out)
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

int
jobq_submit(jobq_client *c, const jobq_submit_opts *opts, int64_t *id_out)
{
	static const char *const empty[] = { NULL };
	const char *const	*env;
	const char		**own_env = NULL;
	char			*own_cwd = NULL;
	const char		*cwd;
	cJSON			*req, *reply, *existing;
	int64_t			 id;
	size_t			 i;
	int			 rc;

	if (id_out != NULL)
		*id_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL ||
	    opts->argv[0][0] == '\0' || opts->max_retries < 0 ||
	    opts->max_retries > 1000 || opts->array_count < 0 ||
	    (opts->ndeps > 0 && opts->deps == NULL))
		return JOBQ_EINVAL;
	for (i = 0; i < opts->ndeps; i++) {
		if (jobq_dep_mode_name(opts->deps[i].mode) == NULL)
			return JOBQ_EINVAL;
	}

	if (opts->env != NULL)
		env = opts->env;
	else if (opts->clean_env)
		env = empty;
	else {
		if ((rc = client_environ(&own_env)) != 0)
			return rc;
		env = own_env;
	}
	if (opts->cwd != NULL)
		cwd = opts->cwd;
	else {
		if ((own_cwd = getcwd(NULL, 0)) == NULL) {
			rc = errno == ENOMEM ? JOBQ_ENOMEM : JOBQ_EINVAL;
			free(own_env);
			return rc;
		}
		cwd = own_cwd;
	}

	req = proto_submit_to_json(opts, env, cwd);
	free(own_env);
	free(own_cwd);
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_get_int(reply, "id", 1, 1, INT64_MAX, &id, NULL, 0);
	existing = cJSON_GetObjectItemCaseSensitive(reply, "existing");
	if (rc == 0 && existing != NULL && !cJSON_IsBool(existing))
		rc = JOBQ_EPROTO;
	if (rc == 0)
		rc = cJSON_IsTrue(existing) ? 1 : 0;
	cJSON_Delete(reply);
	if (rc < 0)
		return client_bad_reply(c, rc);
	if (id_out != NULL)
		*id_out = id;
	return rc;
}

int
jobq_get(jobq_client *c, int64_t id, jobq_job **out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	return client_job_op(c, "get", id, NULL, 0, out);
}

/* Adds key: [strings of the NULL-terminated list]; 0 or -1. */
static int
client_add_strings(cJSON *obj, const char *key, const char *const *list)
{
	cJSON	*arr, *s;
	size_t	 i;

	if ((arr = cJSON_AddArrayToObject(obj, key)) == NULL)
		return -1;
	for (i = 0; list[i] != NULL; i++) {
		if ((s = cJSON_CreateString(list[i])) == NULL)
			return -1;
		cJSON_AddItemToArray(arr, s);
	}
	return 0;
}

int
jobq_list(jobq_client *c, const jobq_filter *filter, jobq_job ***jobs_out,
    size_t *n_out)
{
	cJSON		*req, *reply, *arr, *item;
	jobq_job	**jobs;
	const char	*state;
	size_t		 n, i;
	int		 rc;

	if (jobs_out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*jobs_out = NULL;
	*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((req = client_op_request("list")) == NULL)
		return JOBQ_ENOMEM;
	if (filter != NULL && filter->state >= 0) {
		if ((state = jobq_state_name((jobq_state)filter->state)) ==
		    NULL) {
			cJSON_Delete(req);
			return JOBQ_EINVAL;
		}
		if (cJSON_AddStringToObject(req, "state", state) == NULL)
			goto nomem;
	}
	if (filter != NULL && filter->queue != NULL &&
	    cJSON_AddStringToObject(req, "queue", filter->queue) == NULL)
		goto nomem;
	if (filter != NULL && filter->limit > 0 &&
	    cJSON_AddNumberToObject(req, "limit", filter->limit > INT32_MAX ?
	    (double)INT32_MAX : (double)filter->limit) == NULL)
		goto nomem;
	if (filter != NULL && filter->name != NULL &&
	    cJSON_AddStringToObject(req, "name", filter->name) == NULL)
		goto nomem;
	if (filter != NULL && filter->labels != NULL &&
	    filter->labels[0] != NULL &&
	    client_add_strings(req, "labels", filter->labels) != 0)
		goto nomem;
	if (filter != NULL && filter->array_id != 0) {
		if (filter->array_id < 0 ||
		    filter->array_id > CLIENT_MAX_JSON_INT) {
			cJSON_Delete(req);
			return JOBQ_EINVAL;
		}
		if (proto_add_int(req, "array_id", filter->array_id) != 0)
			goto nomem;
	}

	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	if ((rc = client_reply_array(c, reply, "jobs", &arr, &n)) != 0)
		return rc;
	if ((jobs = calloc(n + 1, sizeof(*jobs))) == NULL) {
		cJSON_Delete(reply);
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_job_from_json(item, &jobs[i], NULL, 0)) != 0) {
			jobq_job_list_free(jobs, i);
			cJSON_Delete(reply);
			return client_bad_reply(c, rc);
		}
		i++;
	}
	cJSON_Delete(reply);
	*jobs_out = jobs;
	*n_out = n;
	return 0;
nomem:
	cJSON_Delete(req);
	return JOBQ_ENOMEM;
}

int
jobq_cancel(jobq_client *c, int64_t id, jobq_job **out)
{
	return client_job_op(c, "cancel", id, NULL, 0, out);
}

int
jobq_wait(jobq_client *c, int64_t id, int timeout_ms, jobq_job **out)
{
	return client_job_op(c, "wait", id, timeout_ms >= 0 ? "timeout_ms" :
	    NULL, timeout_ms, out);
}

int
jobq_read_output(jobq_client *c, int64_t id, jobq_stream stream,
    uint64_t offset, void *buf, size_t len, size_t *nread, int *done)
{
	cJSON		*req, *reply, *data, *d;
	void		*bytes;
	size_t		 n;
	int64_t		 roff, size;
	int		 rc;

	if (nread != NULL)
		*nread = 0;
	if (done != NULL)
		*done = 0;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	if ((stream != JOBQ_STDOUT && stream != JOBQ_STDERR) || buf == NULL ||
	    len == 0 || nread == NULL || offset > (uint64_t)CLIENT_MAX_JSON_INT)
		return JOBQ_EINVAL;
	if (len > JOBQ_MAX_LOG_CHUNK)
		len = JOBQ_MAX_LOG_CHUNK;

	if ((req = client_id_request("logs", id)) == NULL)
		return JOBQ_ENOMEM;
	if (cJSON_AddStringToObject(req, "stream",
	    stream == JOBQ_STDOUT ? "stdout" : "stderr") == NULL ||
	    proto_add_int(req, "offset", (int64_t)offset) != 0 ||
	    proto_add_int(req, "max", (int64_t)len) != 0) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;

	data = cJSON_GetObjectItemCaseSensitive(reply, "data");
	d = cJSON_GetObjectItemCaseSensitive(reply, "done");
	if (!cJSON_IsString(data) || data->valuestring == NULL ||
	    !cJSON_IsBool(d) ||
	    proto_get_int(reply, "offset", 1, 0, INT64_MAX, &roff, NULL,
	    0) != 0 || (uint64_t)roff != offset ||
	    proto_get_int(reply, "size", 1, 0, INT64_MAX, &size, NULL,
	    0) != 0) {
		cJSON_Delete(reply);
		return client_bad_reply(c, JOBQ_EPROTO);
	}
	if ((rc = proto_b64_decode(data->valuestring, &bytes, &n)) != 0) {
		cJSON_Delete(reply);
		return client_bad_reply(c, rc);
	}
	if (n > len) {
		free(bytes);
		cJSON_Delete(reply);
		return client_bad_reply(c, JOBQ_EPROTO);
	}
	memcpy(buf, bytes, n);
	free(bytes);
	*nread = n;
	if (done != NULL)
		*done = cJSON_IsTrue(d) ? 1 : 0;
	cJSON_Delete(reply);
	return 0;
}

int
jobq_ping(jobq_client *c, jobq_server_info *out)
{
	cJSON		*reply, *v;
	int64_t		 proto, pid, up, workers;
	size_t		 n;
	int		 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, client_op_request("ping"), &reply)) != 0)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(reply, "version");
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    proto_get_int(reply, "protocol", 1, 0, INT32_MAX, &proto, NULL,
	    0) != 0 ||
	    proto_get_int(reply, "pid", 1, 0, INT64_MAX, &pid, NULL, 0) != 0 ||
	    proto_get_int(reply, "uptime_ms", 1, 0, INT64_MAX, &up, NULL,
	    0) != 0 ||
	    proto_get_int(reply, "workers", 1, 0, INT32_MAX, &workers, NULL,
	    0) != 0) {
		cJSON_Delete(reply);
		return client_bad_reply(c, JOBQ_EPROTO);
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		n = strnlen(v->valuestring, sizeof(out->version) - 1);
		memcpy(out->version, v->valuestring, n);
		out->version[n] = '\0';
		out->protocol = (int)proto;
		out->pid = pid;
		out->uptime_ms = up;
		out->workers = (int)workers;
	}
	cJSON_Delete(reply);
	return 0;
}

/* --- arrays --- */

/* {"op":op,"id":id,"array":true}, or NULL on allocation failure. */
static cJSON *
client_array_request(const char *op, int64_t id)
{
	cJSON	*req;

	if ((req = client_id_request(op, id)) == NULL)
		return NULL;
	if (cJSON_AddTrueToObject(req, "array") == NULL) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

/* Sends req (consumed) and decodes the reply's "array", which must be the
 * array asked for, into *out if wanted. */
static int
client_array_call(jobq_client *c, cJSON *req, int64_t id,
    jobq_array_info *out)
{
	jobq_array_info	 info;
	cJSON		*reply;
	int		 rc;

	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_array_info_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "array"), &info, NULL, 0);
	if (rc == 0 && info.id != id)
		rc = JOBQ_EPROTO;
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (out != NULL)
		*out = info;
	return 0;
}

int
jobq_get_task(jobq_client *c, int64_t array_id, int64_t index,
    jobq_job **out)
{
	int	rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if ((rc = client_check_id(c, array_id)) != 0)
		return rc;
	if (index < 0 || index > CLIENT_MAX_JSON_INT)
		return JOBQ_EINVAL;
	return client_job_op(c, "get", array_id, "index", index, out);
}

/* A call on a whole array: {"op":op,"id":id,"array":true[,"timeout_ms"]}
 * (timeout_ms < 0: none), its reply's array into *out if wanted. */
static int
client_array_op(jobq_client *c, const char *op, int64_t array_id,
    int timeout_ms, jobq_array_info *out)
{
	cJSON	*req;
	int	 rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((rc = client_check_id(c, array_id)) != 0)
		return rc;
	if ((req = client_add_int(client_array_request(op, array_id),
	    timeout_ms >= 0 ? "timeout_ms" : NULL, timeout_ms)) == NULL)
		return JOBQ_ENOMEM;
	return client_array_call(c, req, array_id, out);
}

int
jobq_array_get(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	if (out == NULL)
		return JOBQ_EINVAL;
	return client_array_op(c, "get", array_id, -1, out);
}

int
jobq_array_wait(jobq_client *c, int64_t array_id, int timeout_ms,
    jobq_array_info *out)
{
	return client_array_op(c, "wait", array_id, timeout_ms, out);
}

int
jobq_array_cancel(jobq_client *c, int64_t array_id, jobq_array_info *out)
{
	return client_array_op(c, "cancel", array_id, -1, out);
}

/* --- changing jobs --- */

int
jobq_set_priority(jobq_client *c, int64_t id, int priority, jobq_job **out)
{
	return client_job_op(c, "priority", id, "priority", priority, out);
}

int
jobq_retry(jobq_client *c, int64_t id, jobq_job **out)
{
	return client_job_op(c, "retry", id, NULL, 0, out);
}

int
jobq_purge(jobq_client *c, int64_t older_than_ms, int state, size_t *n_out)
{
	const char	*name = NULL;
	cJSON		*req, *reply;
	int64_t		 n;
	int		 rc;

	if (n_out != NULL)
		*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (older_than_ms < 0 || older_than_ms > CLIENT_MAX_JSON_INT)
		return JOBQ_EINVAL;
	if (state != -1 && (name = jobq_state_name((jobq_state)state)) == NULL)
		return JOBQ_EINVAL;
	if ((req = client_op_request("purge")) == NULL)
		return JOBQ_ENOMEM;
	if ((older_than_ms > 0 &&
	    proto_add_int(req, "older_than_ms", older_than_ms) != 0) ||
	    (name != NULL &&
	    cJSON_AddStringToObject(req, "state", name) == NULL)) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_get_int(reply, "purged", 1, 0, INT64_MAX, &n, NULL, 0);
	if ((rc = client_decoded(c, reply, rc)) != 0)
		return rc;
	if (n_out != NULL)
		*n_out = (size_t)n;
	return 0;
}

/* --- queues --- */

int
jobq_queue_set(jobq_client *c, const char *queue, int parallel, int paused)
{
	jobq_queue_info	 q;
	cJSON		*req, *reply;
	int		 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (queue == NULL || queue[0] == '\0' ||
	    strlen(queue) > JOBQ_MAX_NAME)
		return JOBQ_EINVAL;
	if ((req = client_op_request("queue_set")) == NULL)
		return JOBQ_ENOMEM;
	if (cJSON_AddStringToObject(req, "queue", queue) == NULL ||
	    (parallel >= 0 &&
	    proto_add_int(req, "parallel", parallel) != 0) ||
	    (paused >= 0 &&
	    cJSON_AddBoolToObject(req, "paused", paused != 0) == NULL)) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	rc = proto_queue_info_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "queue"), &q, NULL, 0);
	return client_decoded(c, reply, rc);
}

int
jobq_queue_list(jobq_client *c, jobq_queue_info **out, size_t *n_out)
{
	jobq_queue_info	*queues;
	cJSON		*reply, *arr, *item;
	size_t		 n, i;
	int		 rc;

	if (out == NULL || n_out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	*n_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if ((rc = client_request(c, client_op_request("queue_list"),
	    &reply)) != 0)
		return rc;
	if ((rc = client_reply_array(c, reply, "queues", &arr, &n)) != 0)
		return rc;
	/* Never NULL on success, even for no queues. */
	if ((queues = calloc(n > 0 ? n : 1, sizeof(*queues))) == NULL) {
		cJSON_Delete(reply);
		return JOBQ_ENOMEM;
	}
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		if ((rc = proto_queue_info_from_json(item, &queues[i], NULL,
		    0)) != 0) {
			free(queues);
			cJSON_Delete(reply);
			return client_bad_reply(c, rc);
		}
		i++;
	}
	cJSON_Delete(reply);
	*out = queues;
	*n_out = n;
	return 0;
}

/* --- statistics --- */

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
	if ((rc = client_request(c, client_op_request("stats"), &reply)) != 0)
		return rc;
	rc = proto_stats_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "stats"), out, NULL, 0);
	return client_decoded(c, reply, rc);
}

/* --- watch --- */

int
jobq_watch(jobq_client *c, const int64_t *ids, size_t n)
{
	cJSON	*req, *arr, *id, *reply;
	char	 buf[32];
	size_t	 i;
	int	 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if (n > 0 && ids == NULL)
		return JOBQ_EINVAL;
	for (i = 0; i < n; i++) {
		if (ids[i] <= 0 || ids[i] > CLIENT_MAX_JSON_INT)
			return JOBQ_EINVAL;
	}
	if ((req = client_op_request("watch")) == NULL)
		return JOBQ_ENOMEM;
	if (n > 0) {
		if ((arr = cJSON_AddArrayToObject(req, "ids")) == NULL)
			goto nomem;
		for (i = 0; i < n; i++) {
			/* Written as decimal text: exact for any id. */
			snprintf(buf, sizeof(buf), "%lld", (long long)ids[i]);
			if ((id = cJSON_CreateRaw(buf)) == NULL)
				goto nomem;
			cJSON_AddItemToArray(arr, id);
		}
	}
	if ((rc = client_request(c, req, &reply)) != 0)
		return rc;
	cJSON_Delete(reply);
	c->streaming = 1;
	return 0;
nomem:
	cJSON_Delete(req);
	return JOBQ_ENOMEM;
}

/*
 * Takes the first complete frame out of c->rbuf and parses it into *frame.
 * Returns 1 when there was one, 0 when more bytes are needed, or an error
 * (c is then broken).
 */
static int
client_take_frame(jobq_client *c, cJSON **frame)
{
	const char	*payload;
	size_t		 plen, used;
	int		 rc;

	*frame = NULL;
	if (c->rlen == c->rpos)
		return 0;	/* nothing buffered (rbuf may be NULL) */
	rc = proto_frame_parse(c->rbuf + c->rpos, c->rlen - c->rpos,
	    JOBQ_MAX_FRAME, &payload, &plen, &used);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	rc = proto_parse(payload, plen, 0, frame, NULL, 0);
	c->rpos += used;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	if (rc != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? JOBQ_ENOMEM : JOBQ_EPROTO;
	}
	return 1;
}

/*
 * Waits until the socket is readable or the deadline (a util_mono_ms()
 * value; -1: none) passes, then appends what it holds to c->rbuf.  0 when
 * something was read, JOBQ_ETIMEDOUT, or an error that breaks c.
 */
static int
client_fill(jobq_client *c, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	char		*nbuf;
	ssize_t		 n;
	int		 r, wait;

	for (;;) {
		wait = -1;
		if (deadline >= 0) {
			left = deadline - util_mono_ms();
			if (left < 0)
				left = 0;
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (r == 0) {
			if (deadline >= 0 && util_mono_ms() >= deadline)
				return JOBQ_ETIMEDOUT;
			continue;
		}
		/* At most one partial frame is buffered when we read: move it
		 * to the front, then make room for a chunk. */
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
			c->rlen -= c->rpos;
			c->rpos = 0;
		}
		if (c->rcap - c->rlen < CLIENT_WATCH_CHUNK) {
			if ((nbuf = realloc(c->rbuf, c->rlen +
			    CLIENT_WATCH_CHUNK)) == NULL)
				return JOBQ_ENOMEM;	/* nothing lost */
			c->rbuf = nbuf;
			c->rcap = c->rlen + CLIENT_WATCH_CHUNK;
		}
		n = read(c->fd, c->rbuf + c->rlen, CLIENT_WATCH_CHUNK);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			c->broken = 1;
			return JOBQ_EIO;
		}
		if (n == 0) {
			c->broken = 1;
			return JOBQ_EIO;
		}
		c->rlen += (size_t)n;
		return 0;
	}
}

/*
 * Turns one frame of the watch stream into *ev: 0 for a state event, 1 for
 * a frame of a kind this library does not know (skipped), or an error that
 * breaks c (overflow: JOBQ_EIO with a message for jobq_last_error).
 */
static int
client_event(jobq_client *c, const cJSON *frame, jobq_event *ev)
{
	const cJSON	*kind;
	int		 rc;

	kind = cJSON_GetObjectItemCaseSensitive(frame, "event");
	if (kind == NULL && cJSON_GetObjectItemCaseSensitive(frame,
	    "ok") != NULL) {
		/* The daemon ended the stream with an error reply. */
		rc = proto_reply_status(frame, c->errmsg, sizeof(c->errmsg));
		c->broken = 1;
		return rc < 0 ? rc : JOBQ_EPROTO;
	}
	if (!cJSON_IsString(kind) || kind->valuestring == NULL) {
		c->broken = 1;
		return JOBQ_EPROTO;
	}
	if (strcmp(kind->valuestring, "overflow") == 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "the daemon dropped "
		    "this watcher: it fell too far behind");
		c->broken = 1;
		return JOBQ_EIO;
	}
	if (strcmp(kind->valuestring, "state") != 0)
		return 1;
	if ((rc = proto_event_from_json(frame, ev, NULL, 0)) != 0) {
		c->broken = 1;
		return rc == JOBQ_ENOMEM ? rc : JOBQ_EPROTO;
	}
	return 0;
}

int
jobq_watch_next(jobq_client *c, jobq_event *ev, int timeout_ms)
{
	cJSON	*frame;
	int64_t	 deadline;
	int	 rc;

	if (c == NULL || ev == NULL || !c->streaming)
		return JOBQ_EINVAL;
	c->errmsg[0] = '\0';
	if (c->broken)
		return JOBQ_EIO;
	deadline = timeout_ms < 0 ? -1 : util_mono_ms() + timeout_ms;
	for (;;) {
		if ((rc = client_take_frame(c, &frame)) < 0)
			return rc;
		if (rc == 1) {
			rc = client_event(c, frame, ev);
			cJSON_Delete(frame);
			if (rc != 1)
				return rc;
			continue;
		}
		/* Give back a large buffer once it is empty. */
		if (c->rlen == 0 && c->rcap > 4 * CLIENT_WATCH_CHUNK) {
			free(c->rbuf);
			c->rbuf = NULL;
			c->rcap = 0;
		}
		if ((rc = client_fill(c, deadline)) != 0)
			return rc;
	}
}

int
jobq_fd(const jobq_client *c)
{
	if (c == NULL)
		return JOBQ_EINVAL;
	return c->fd;
}
