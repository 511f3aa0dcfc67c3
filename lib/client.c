/*
 * client.c - libjobq's public client API (jobq.h): one jobq_client is one
 * Unix stream connection to jobqd with at most one request in flight.  Owns
 * connecting, the version handshake, sending requests and reading replies
 * (blocking, EINTR-safe), and turning replies into jobq_* results.  After an
 * I/O or protocol error the connection is marked broken and every later call
 * returns JOBQ_EIO.  Never prints, exits or aborts; no global mutable state.
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
#include <unistd.h>

#include "jobq.h"
#include "paths.h"
#include "proto.h"

#define CLIENT_NAME "libjobq/" JOBQ_VERSION_STRING

/* Largest integer a JSON number carries exactly (2^53). */
#define CLIENT_MAX_JSON_INT ((int64_t)1 << 53)

extern char **environ;

struct jobq_client {
	int	fd;
	int	broken;		/* after an I/O or protocol error */
	char	errmsg[512];	/* the daemon's message for the last error */
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
	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	rc = proto_get_int(reply, "version", 1, 0, INT32_MAX, &version,
	    NULL, 0);
	cJSON_Delete(reply);
	if (rc != 0)
		return client_bad_reply(c, rc);
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
	free(c);
}

/* --- requests --- */

/* {"op":op,"id":id}, or NULL on allocation failure. */
static cJSON *
client_id_request(const char *op, int64_t id)
{
	cJSON	*req;

	if ((req = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(req, "op", op) == NULL ||
	    proto_add_int(req, "id", id) != 0) {
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
	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	rc = proto_job_from_json(cJSON_GetObjectItemCaseSensitive(reply,
	    "job"), &job, NULL, 0);
	cJSON_Delete(reply);
	if (rc != 0)
		return client_bad_reply(c, rc);
	if (out != NULL)
		*out = job;
	else
		jobq_job_free(job);
	return 0;
}

static int
client_check(jobq_client *c)
{
	if (c == NULL)
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
	cJSON			*req, *reply;
	int64_t			 id;
	int			 rc;

	if (id_out != NULL)
		*id_out = 0;
	if ((rc = client_check(c)) != 0)
		return rc;
	if (opts == NULL || opts->argv == NULL || opts->argv[0] == NULL ||
	    opts->argv[0][0] == '\0' || opts->max_retries < 0 ||
	    opts->max_retries > 1000)
		return JOBQ_EINVAL;

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

	req = proto_submit_to_json(opts->argv, env, cwd, opts->name,
	    opts->queue, opts->max_retries);
	free(own_env);
	free(own_cwd);
	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	rc = proto_get_int(reply, "id", 1, 1, INT64_MAX, &id, NULL, 0);
	cJSON_Delete(reply);
	if (rc != 0)
		return client_bad_reply(c, rc);
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

int
jobq_get(jobq_client *c, int64_t id, jobq_job **out)
{
	int	rc;

	if (out == NULL)
		return JOBQ_EINVAL;
	*out = NULL;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	return client_job_call(c, client_id_request("get", id), out);
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
	if ((req = cJSON_CreateObject()) == NULL)
		return JOBQ_ENOMEM;
	if (cJSON_AddStringToObject(req, "op", "list") == NULL)
		goto nomem;
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

	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	arr = cJSON_GetObjectItemCaseSensitive(reply, "jobs");
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(reply);
		return client_bad_reply(c, JOBQ_EPROTO);
	}
	n = 0;
	cJSON_ArrayForEach(item, arr)
		n++;
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
	int	rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	return client_job_call(c, client_id_request("cancel", id), out);
}

int
jobq_wait(jobq_client *c, int64_t id, int timeout_ms, jobq_job **out)
{
	cJSON	*req;
	int	 rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = client_check_id(c, id)) != 0)
		return rc;
	if ((req = client_id_request("wait", id)) == NULL)
		return JOBQ_ENOMEM;
	if (timeout_ms >= 0 &&
	    cJSON_AddNumberToObject(req, "timeout_ms", timeout_ms) == NULL) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	return client_job_call(c, req, out);
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
	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
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
	cJSON		*req, *reply, *v;
	int64_t		 proto, pid, up, workers;
	size_t		 n;
	int		 rc;

	if ((rc = client_check(c)) != 0)
		return rc;
	if ((req = cJSON_CreateObject()) == NULL)
		return JOBQ_ENOMEM;
	if (cJSON_AddStringToObject(req, "op", "ping") == NULL) {
		cJSON_Delete(req);
		return JOBQ_ENOMEM;
	}
	rc = client_call(c, req, &reply);
	cJSON_Delete(req);
	if (rc != 0)
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
