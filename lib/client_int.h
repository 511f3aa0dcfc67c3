/*
 * client_int.h - what the files of libjobq (lib/client*.c) share and the
 * library's users do not see: the handle, and the request-reply plumbing of
 * client.c that the calls in client_jobs.c, client_queue.c and
 * client_watch.c are built on.
 */
#ifndef JOBQ_CLIENT_INT_H
#define JOBQ_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "jobq.h"

struct jobq_client {
	int	 fd;
	int	 broken;	/* after an I/O or protocol error */
	int	 streaming;	/* after jobq_watch(): events only */
	char	 errmsg[512];	/* the daemon's message for the last error */
	char	*rbuf;		/* watch: bytes read but not yet decoded are */
	size_t	 rpos, rlen;	/* rbuf[rpos..rlen) */
	size_t	 rcap;
	unsigned hello_pending:1; /* client_connect_cli: hello goes with the
				     first request */
	unsigned single_thread:1; /* client_connect_cli: the caller has one
				     thread (umask() may be read by setting it) */
};

/*
 * For the jobq command, which links this code statically: jobq_connect,
 * except that the hello is not sent at once but in the same write as the
 * first request (one round trip instead of two; the daemon answers the
 * hello first and, after refusing it, closes the connection without
 * reading the request, whose call then returns the hello's error), and
 * that the caller promises to have one thread: a submit reads the umask
 * with umask() instead of /proc/self/status.  Not exported by libjobq.so.
 */
int client_connect_cli(const char *path, jobq_client **out);

/*
 * Extension structs (jobq_submit_ext, jobq_list_ext): copies the caller's
 * ext (NULL: none) into dst, the library's own struct of `known` bytes,
 * zero-filled past the caller's size, so that members the caller's header
 * did not have read as unset.  JOBQ_EINVAL when ext's size does not cover
 * its size member, or a byte past the library's struct is not zero.
 */
int client_ext_copy(void *dst, size_t known, const void *ext);

/* Every request-reply call first: a watching handle takes no requests, a
 * broken one nothing (JOBQ_EINVAL / JOBQ_EIO). */
int client_check(jobq_client *c);
/* client_check, and id must be an id libjobq can send exactly. */
int client_check_id(jobq_client *c, int64_t id);
/* Sends req (consumed; NULL: out of memory) and reads one reply: 0 with
 * *reply set when the daemon answered "ok":true, or the error code (the
 * daemon's, or a local one).  Errors that leave the stream in an unknown
 * state break c. */
int client_request(jobq_client *c, cJSON *req, cJSON **reply);
/* A protocol error found while decoding a reply: breaks c (JOBQ_ENOMEM
 * leaves it usable and is returned as it is; anything else is
 * JOBQ_EPROTO). */
int client_bad_reply(jobq_client *c, int rc);
/* The end of decoding a reply: frees it; rc is the decoder's result, and a
 * failure breaks c (see client_bad_reply). */
int client_decoded(jobq_client *c, cJSON *reply, int rc);
/* Sends req (consumed) and decodes the reply's job into *out if wanted
 * (client_jobs.c). */
int client_job_call(jobq_client *c, cJSON *req, jobq_job **out);

/* client_jobs.c, for client_batch.c: the options jobq_submit refuses
 * (1: fine), the caller's environment (the strings not copied), its
 * umask. */
int client_jobs_submit_ok(const jobq_submit_opts *opts);
/* The submit request of opts (environment and directory resolved: opts',
 * none with clean_env, or the caller's): 0 (*req NULL when out of memory)
 * or a JOBQ_E* code. */
int client_jobs_submit_req(const jobq_client *c, const jobq_submit_opts *opts,
    cJSON **req);
int client_jobs_environ(const char ***out);
int client_jobs_umask(const jobq_client *c);

/* client_queue.c, for jobq queue list: jobq_queue_list, and each queue's
 * executor in *exec (malloc'd, never NULL on success; free()), the
 * reply's "slurm" in *slurm (as jobq_get_slurm) and its "usage" in *usage
 * (as jobq_get_usage; jobq_usage_free), from the one request; NULL: not
 * wanted.  On an error nothing is left allocated. */
struct proto_exec;
int client_queue_list_exec(jobq_client *c, jobq_queue_info **out,
    struct proto_exec **exec, jobq_slurm_info *slurm, jobq_usage **usage,
    size_t *n_out);

#endif
