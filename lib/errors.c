/*
 * errors.c - messages for the JOBQ_E* error codes and the names of job
 * states and dependency modes.  Pure code with no state; linked into libjobq
 * and jobqd alike.
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
	"daemon internal error",                    /* JOBQ_EINTERNAL */
	"the id names an array"                     /* JOBQ_EISARRAY */
};

static const char *const errors_states[] = {
	"queued",
	"running",
	"succeeded",
	"failed",
	"canceled",
	"interrupted",
	"timed_out"
};

_Static_assert(sizeof(errors_messages) / sizeof(errors_messages[0]) ==
    1 - JOBQ_ERR_MIN, "one message per error code");
_Static_assert(sizeof(errors_states) / sizeof(errors_states[0]) ==
    JOBQ_STATE_COUNT, "one name per state");

static const char *const errors_dep_modes[] = {
	"ok",		/* JOBQ_DEP_OK */
	"notok",	/* JOBQ_DEP_NOTOK */
	"any"		/* JOBQ_DEP_ANY */
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
	case JOBQ_STATE_TIMED_OUT:
		return 1;
	default:
		return 0;
	}
}

const char *
jobq_dep_mode_name(jobq_dep_mode mode)
{
	if ((int)mode < 0 || (size_t)mode >= sizeof(errors_dep_modes) /
	    sizeof(errors_dep_modes[0]))
		return NULL;
	return errors_dep_modes[mode];
}
