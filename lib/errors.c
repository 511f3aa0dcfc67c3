/*
 * errors.c - messages for the JOBQ_E* error codes and the names of job
 * states.  Pure code with no state; linked into libjobq and jobqd alike.
 */
#include "config.h"

#include <string.h>

#include "jobq.h"

static const char *const errors_messages[] = {
	"success",                                  /* JOBQ_OK */
	"invalid argument",                         /* JOBQ_EINVAL */
	"out of memory",                            /* JOBQ_ENOMEM */
	"cannot connect to jobqd",                  /* JOBQ_ECONNECT */
	"connection to jobqd failed or was closed", /* JOBQ_EIO */
	"malformed message from the peer",          /* JOBQ_EPROTO */
	"protocol version not supported",           /* JOBQ_EVERSION */
	"no such job",                              /* JOBQ_ENOTFOUND */
	"timed out",                                /* JOBQ_ETIMEDOUT */
	"permission denied",                        /* JOBQ_EPERM */
	"request or job exceeds a limit",           /* JOBQ_ETOOBIG */
	"job is in the wrong state for this",       /* JOBQ_ESTATE */
	"daemon could not store the change",        /* JOBQ_ESTORAGE */
	"daemon is shutting down",                  /* JOBQ_ESHUTDOWN */
	"daemon rejected the request as malformed", /* JOBQ_EBADREQ */
	"daemon does not know this request",        /* JOBQ_EUNKNOWNOP */
	"daemon internal error"                     /* JOBQ_EINTERNAL */
};

static const char *const errors_states[JOBQ_STATE_COUNT] = {
	"queued",
	"running",
	"succeeded",
	"failed",
	"canceled",
	"interrupted"
};

const char *
jobq_strerror(int err)
{
	if (err > 0 || err < JOBQ_ERR_MIN)
		return "unknown error";
	return errors_messages[-err];
}

const char *
jobq_state_name(jobq_state state)
{
	if ((int)state < 0 || state >= JOBQ_STATE_COUNT)
		return NULL;
	return errors_states[state];
}

int
jobq_state_parse(const char *name)
{
	int	i;

	if (name == NULL)
		return JOBQ_EINVAL;
	for (i = 0; i < JOBQ_STATE_COUNT; i++) {
		if (strcmp(name, errors_states[i]) == 0)
			return i;
	}
	return JOBQ_EINVAL;
}

int
jobq_state_is_terminal(jobq_state state)
{
	switch (state) {
	case JOBQ_STATE_SUCCEEDED:
	case JOBQ_STATE_FAILED:
	case JOBQ_STATE_CANCELED:
	case JOBQ_STATE_INTERRUPTED:
		return 1;
	default:
		return 0;
	}
}
