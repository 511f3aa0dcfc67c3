/*
 * slurm_text.c - the text of jobqd's dialogue with Slurm (slurm_text.h):
 * the batch script, the argv of sbatch/squeue/sacct/scancel, the parsing
 * of their answers and the meaning of a Slurm job's state for jobq.  Pure
 * code: no I/O, no clock, no globals.
 *
 * STATES (slurm_text_state; squeue's long and compact words, sacct's
 * "CANCELLED by UID"; a trailing '+' is ignored):
 *
 *   word (compact)                      state         ended?
 *   PENDING (PD), REQUEUED (RQ),        PENDING       no (requeued jobs
 *   REQUEUE_HOLD (RH), REQUEUE_FED (RF),                wait to run again)
 *   RESV_DEL_HOLD (RD)
 *   RUNNING (R), CONFIGURING (CF),      RUNNING       no (they hold, or are
 *   COMPLETING (CG), SUSPENDED (S),                     booting, their
 *   STOPPED (ST), RESIZING (RS),                        allocation)
 *   SIGNALING (SI), STAGE_OUT (SO)
 *   COMPLETED (CD) ... DEADLINE (DL)    their own     yes
 *   REVOKED (RV), SPECIAL_EXIT (SE)     OTHER_END     yes (SPECIAL_EXIT: Slurm
 *                                                     holds it requeued until
 *                                                     someone releases it;
 *                                                     for jobq the run ended,
 *                                                     and dispatch scancels
 *                                                     what is still listed)
 *   anything else                       UNKNOWN       no: polled again; a job
 *                                                     that leaves squeue in
 *                                                     it is dispatch's "gone"
 *
 * THE END OF A RUN (slurm_text_end; STATUS is the raw wait status: exited
 * CODE when its low byte is 0 and it is at most 0xff00, signaled SIG when
 * its high byte is 0 and SIG = status & 0x7f is 1..64; any other value -
 * Slurm puts its own error codes there, 4021 for an output file it could
 * not open - is neither):
 *
 *   state          event          exit/sig            message
 *   COMPLETED      EXITED         0                   ""
 *   FAILED         SIGNALED       SIG                 ""    (STATUS signaled)
 *                  EXITED         CODE                ""    (exited, CODE != 0)
 *                  SPAWN_FAILED                       "Slurm: FAILED (REASON)
 *                                                      on NODES"
 *   CANCELLED      SIGNALED       SIG, else SIGTERM   "Slurm: CANCELLED"
 *                                 (dispatch makes it a cancel when jobq
 *                                 asked for it)
 *   TIMEOUT        TIMEOUT                            "Slurm: TIMEOUT"
 *   DEADLINE       TIMEOUT                            "Slurm: DEADLINE"
 *   NODE_FAIL,     WORKER_LOST                        "Slurm: NODE_FAIL on
 *   BOOT_FAIL,     (retried like a lost worker)        NODES"
 *   PREEMPTED
 *   OUT_OF_MEMORY  SIGNALED       SIGKILL             "Slurm: OUT_OF_MEMORY"
 *   OTHER_END      WORKER_LOST                        "Slurm: WORD"
 *   PENDING, RUNNING, UNKNOWN: not ended.
 *
 * Note on FAILED: squeue's Reason for a batch script killed by a signal is
 * "JobLaunchFailure" too (Slurm 22.05), so the reason is not used to tell a
 * launch failure; only the status is.  A command that is not found makes
 * the script's exec fail with 127 (126: not executable): EXITED, where a
 * local worker says SPAWN_FAILED.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm_text.h"

/* ---- argv blocks ---- */

/*
 * One argv element: a followed by b ('%' doubled when esc), or a followed
 * by ids[0..nids) joined with ','.
 */
struct sl_arg {
	const char	*a;
	const char	*b;
	int		 esc;
	const int64_t	*ids;
	size_t		 nids;
};

static size_t
sl_arg_len(const struct sl_arg *x)
{
	char	 num[24];
	size_t	 n = strlen(x->a), i;

	if (x->ids != NULL) {
		for (i = 0; i < x->nids; i++)
			n += (size_t)snprintf(num, sizeof(num), "%s%lld",
			    i > 0 ? "," : "", (long long)x->ids[i]);
	} else if (x->b != NULL) {
		for (i = 0; x->b[i] != '\0'; i++)
			n += x->esc && x->b[i] == '%' ? 2 : 1;
	}
	return (n);
}

static char *
sl_arg_put(const struct sl_arg *x, char *p)
{
	size_t	 i, n = strlen(x->a);

	memcpy(p, x->a, n);
	p += n;
	if (x->ids != NULL) {
		for (i = 0; i < x->nids; i++)
			p += sprintf(p, "%s%lld", i > 0 ? "," : "",
			    (long long)x->ids[i]);
	} else if (x->b != NULL) {
		for (i = 0; x->b[i] != '\0'; i++) {
			if (x->esc && x->b[i] == '%')
				*p++ = '%';
			*p++ = x->b[i];
		}
	}
	*p++ = '\0';
	return (p);
}

/* The n elements as a NULL-terminated argv in one malloc'd block. */
static char **
sl_argv_pack(const struct sl_arg *v, size_t n)
{
	char	**argv, *p;
	size_t	  i, bytes, len;

	if (n >= SIZE_MAX / sizeof(char *) - 1)
		return (NULL);
	bytes = (n + 1) * sizeof(char *);
	for (i = 0; i < n; i++) {
		len = sl_arg_len(&v[i]) + 1;
		if (len > SIZE_MAX - bytes)
			return (NULL);
		bytes += len;
	}
	if ((argv = malloc(bytes)) == NULL)
		return (NULL);
	p = (char *)(argv + n + 1);
	for (i = 0; i < n; i++) {
		argv[i] = p;
		p = sl_arg_put(&v[i], p);
	}
	argv[n] = NULL;
	return (argv);
}

static void
sl_str(struct sl_arg *x, const char *a, const char *b, int esc)
{
	memset(x, 0, sizeof(*x));
	x->a = a;
	x->b = b;
	x->esc = esc;
}

/* ---- the batch script ---- */

/* Bytes of s single-quoted (without the NUL); writes them when out. */
static size_t
sl_quote(const char *s, char *out)
{
	size_t	 n = 0;
	char	 prev = '\0';

#define PUT(c) do { if (out != NULL) out[n] = (c); n++; } while (0)
	PUT('\'');
	for (; *s != '\0'; prev = *s, s++) {
		if (*s == '\'') {
			PUT('\''); PUT('\\'); PUT('\''); PUT('\'');
		} else if (*s == '\n' && prev == '\r') {
			/* sbatch refuses a script holding "\r\n" */
			PUT('\''); PUT('\''); PUT('\n');
		} else
			PUT(*s);
	}
	PUT('\'');
#undef PUT
	return (n);
}

char *
slurm_text_script(char *const *argv, size_t argc, int64_t job_id,
    int attempt)
{
	static const char dash_head[] = "set --";
	static const char dash_tail[] = "\nif (exec -- true) 2>/dev/null; "
	    "then exec -- \"$@\"; fi\nexec \"$@\"\n";
	char	 head[96], *buf, *p;
	size_t	 i, n, hlen, q;
	int	 dash;

	if (argv == NULL || argc == 0)
		return (NULL);
	for (i = 0; i < argc; i++)
		if (argv[i] == NULL)
			return (NULL);
	dash = argv[0][0] == '-';
	hlen = (size_t)snprintf(head, sizeof(head),
	    "#!/bin/sh\n# jobq job %lld, attempt %d\n%s", (long long)job_id,
	    attempt, dash ? dash_head : "exec");
	n = hlen + (dash ? sizeof(dash_tail) - 1 : 1) + 1;
	for (i = 0; i < argc; i++) {
		q = sl_quote(argv[i], NULL) + 1;
		if (q > SIZE_MAX - n)
			return (NULL);
		n += q;
	}
	if ((buf = malloc(n)) == NULL)
		return (NULL);
	memcpy(buf, head, hlen);
	p = buf + hlen;
	for (i = 0; i < argc; i++) {
		*p++ = ' ';
		p += sl_quote(argv[i], p);
	}
	if (dash) {
		memcpy(p, dash_tail, sizeof(dash_tail) - 1);
		p += sizeof(dash_tail) - 1;
	} else
		*p++ = '\n';
	*p = '\0';
	return (buf);
}

/* ---- names ---- */

int
slurm_text_instance_ok(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return (0);
	for (i = 0; i < SLURM_TEXT_INSTANCE_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

int
slurm_text_name(char *buf, size_t len, const char *instance, int64_t id,
    int attempt)
{
	int	 n;

	if (buf == NULL || !slurm_text_instance_ok(instance) || id < 1 ||
	    attempt < 1)
		return (JOBQ_EINVAL);
	n = snprintf(buf, len, "jobq.%s.%lld.%d", instance, (long long)id,
	    attempt);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return (JOBQ_EINVAL);
	}
	return (0);
}

/*
 * A decimal number at *s up to the first byte not a digit: no sign, no
 * leading zero, 1..max.  Returns it and moves *s past it, or -1.
 */
static int64_t
sl_number(const char **s, int64_t max)
{
	const char *p = *s;
	int64_t	 v = 0;

	if (*p < '1' || *p > '9')
		return (-1);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (*p - '0')) / 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	*s = p;
	return (v);
}

int
slurm_text_name_parse(const char *name, const char *instance, int64_t *id,
    int *attempt)
{
	const char	*p = name;
	int64_t		 i, a;

	if (name == NULL || !slurm_text_instance_ok(instance) ||
	    strncmp(p, "jobq.", 5) != 0)
		return (-1);
	p += 5;
	if (strncmp(p, instance, SLURM_TEXT_INSTANCE_LEN) != 0 ||
	    p[SLURM_TEXT_INSTANCE_LEN] != '.')
		return (-1);
	p += SLURM_TEXT_INSTANCE_LEN + 1;
	if ((i = sl_number(&p, INT64_MAX)) < 0 || *p++ != '.')
		return (-1);
	if ((a = sl_number(&p, INT32_MAX)) < 0 || *p != '\0')
		return (-1);
	if (id != NULL)
		*id = i;
	if (attempt != NULL)
		*attempt = (int)a;
	return (0);
}

/* ---- sbatch ---- */

#define SL_SBATCH_FIXED 14   /* sbatch's own elements, at most */

char **
slurm_text_sbatch_argv(const struct slurm_text_submit *s)
{
	struct sl_arg	 v[SL_SBATCH_FIXED + PROTO_MAX_EXEC_OPTS];
	char		 name[SLURM_TEXT_NAME_MAX], tmin[24], cpus[24];
	const struct proto_exec *e = s->exec;
	size_t		 n = 0, i, nopts;
	int64_t		 min;

	if (slurm_text_name(name, sizeof(name), s->instance, s->job_id,
	    s->attempt) != 0)
		return (NULL);
	sl_str(&v[n++], s->sbatch != NULL ? s->sbatch : "sbatch", NULL, 0);
	sl_str(&v[n++], "--parsable", NULL, 0);
	sl_str(&v[n++], "--job-name=", name, 0);
	sl_str(&v[n++], "--export=ALL", NULL, 0);
	sl_str(&v[n++], "--chdir=", s->cwd != NULL ? s->cwd : "/", 0);
	sl_str(&v[n++], "--output=", s->out_path != NULL ? s->out_path :
	    "/dev/null", 1);
	sl_str(&v[n++], "--error=", s->err_path != NULL ? s->err_path :
	    "/dev/null", 1);
	sl_str(&v[n++], "--open-mode=append", NULL, 0);
	if (e != NULL && e->partition[0] != '\0')
		sl_str(&v[n++], "--partition=", e->partition, 0);
	if (e != NULL && e->account[0] != '\0')
		sl_str(&v[n++], "--account=", e->account, 0);
	if (s->timeout_ms > 0) {
		min = s->timeout_ms / 60000 + (s->timeout_ms % 60000 != 0);
		(void)snprintf(tmin, sizeof(tmin), "%lld", (long long)min);
		sl_str(&v[n++], "--time=", tmin, 0);
	}
	if (s->slots > 1) {
		(void)snprintf(cpus, sizeof(cpus), "%d", s->slots);
		sl_str(&v[n++], "--cpus-per-task=", cpus, 0);
	}
	if (s->gres != NULL && s->gres[0] != '\0')
		sl_str(&v[n++], "--gres=", s->gres, 0);
	nopts = e != NULL ? e->nopts : 0;
	if (nopts > PROTO_MAX_EXEC_OPTS)
		nopts = PROTO_MAX_EXEC_OPTS;
	for (i = 0; i < nopts; i++) {
		/* an opt is NUL-terminated in its array, or not used */
		if (memchr(e->opts[i], '\0', sizeof(e->opts[i])) == NULL ||
		    e->opts[i][0] == '\0')
			continue;
		sl_str(&v[n++], "--", e->opts[i], 0);
	}
	return (sl_argv_pack(v, n));
}

char *
slurm_text_gres(const char *spec)
{
	const char	*p, *name;
	char		*out, *o;
	size_t		 nlen, dlen;

	if (spec == NULL || *spec == '\0')
		return (NULL);
	if ((out = malloc(strlen(spec) + 1)) == NULL)
		return (NULL);
	o = out;
	for (p = spec;;) {
		name = p;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			goto bad;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		nlen = (size_t)(p - name);
		if (nlen > 32 || *p++ != '=')
			goto bad;
		while (*p == '0' && p[1] >= '0' && p[1] <= '9')
			p++;             /* "02" is 2, as jobqd reads it */
		for (dlen = 0; p[dlen] >= '0' && p[dlen] <= '9'; dlen++)
			;
		if (dlen == 0 || dlen > 9 || (dlen == 1 && *p == '0'))
			goto bad;
		if (o != out)
			*o++ = ',';
		memcpy(o, name, nlen);
		o += nlen;
		*o++ = ':';
		memcpy(o, p, dlen);
		o += dlen;
		p += dlen;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	*o = '\0';
	return (out);
bad:
	free(out);
	return (NULL);
}

int
slurm_text_parse_sbatch(const char *out, int64_t *slurm_id)
{
	const char	*p = out;
	int64_t		 id;

	if (out == NULL || (id = sl_number(&p, INT64_MAX)) < 0)
		return (JOBQ_EPROTO);
	if (*p == ';') {
		/* the cluster's name: one word */
		for (p++; *p != '\0' && *p != '\n'; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return (JOBQ_EPROTO);
	}
	if (*p == '\n')
		p++;
	if (*p != '\0')
		return (JOBQ_EPROTO);
	*slurm_id = id;
	return (0);
}

/* ---- states ---- */

static const struct {
	const char	*word;
	const char	*compact;
	enum slurm_state st;
} sl_states[] = {
	{ "PENDING",       "PD",  SLURM_ST_PENDING },
	{ "REQUEUED",      "RQ",  SLURM_ST_PENDING },
	{ "REQUEUE_HOLD",  "RH",  SLURM_ST_PENDING },
	{ "REQUEUE_FED",   "RF",  SLURM_ST_PENDING },
	{ "RESV_DEL_HOLD", "RD",  SLURM_ST_PENDING },
	{ "RUNNING",       "R",   SLURM_ST_RUNNING },
	{ "CONFIGURING",   "CF",  SLURM_ST_RUNNING },
	{ "COMPLETING",    "CG",  SLURM_ST_RUNNING },
	{ "SUSPENDED",     "S",   SLURM_ST_RUNNING },
	{ "STOPPED",       "ST",  SLURM_ST_RUNNING },
	{ "RESIZING",      "RS",  SLURM_ST_RUNNING },
	{ "SIGNALING",     "SI",  SLURM_ST_RUNNING },
	{ "STAGE_OUT",     "SO",  SLURM_ST_RUNNING },
	{ "COMPLETED",     "CD",  SLURM_ST_COMPLETED },
	{ "FAILED",        "F",   SLURM_ST_FAILED },
	{ "CANCELLED",     "CA",  SLURM_ST_CANCELLED },
	{ "TIMEOUT",       "TO",  SLURM_ST_TIMEOUT },
	{ "NODE_FAIL",     "NF",  SLURM_ST_NODE_FAIL },
	{ "PREEMPTED",     "PR",  SLURM_ST_PREEMPTED },
	{ "OUT_OF_MEMORY", "OOM", SLURM_ST_OUT_OF_MEMORY },
	{ "BOOT_FAIL",     "BF",  SLURM_ST_BOOT_FAIL },
	{ "DEADLINE",      "DL",  SLURM_ST_DEADLINE },
	{ "REVOKED",       "RV",  SLURM_ST_OTHER_END },
	{ "SPECIAL_EXIT",  "SE",  SLURM_ST_OTHER_END },
};

static const char *const sl_state_names[] = {
	"PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
	"NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
	"OTHER_END", "UNKNOWN",
};

enum slurm_state
slurm_text_state(const char *word)
{
	size_t	 n, i;

	if (word == NULL)
		return (SLURM_ST_UNKNOWN);
	/* "CANCELLED by 1000" (sacct), "RUNNING+" */
	n = strcspn(word, " +");
	if (word[n] == '+' && word[n + 1] != '\0')
		return (SLURM_ST_UNKNOWN);
	for (i = 0; i < sizeof(sl_states) / sizeof(sl_states[0]); i++)
		if ((strlen(sl_states[i].word) == n &&
		    strncmp(word, sl_states[i].word, n) == 0) ||
		    (strlen(sl_states[i].compact) == n &&
		    strncmp(word, sl_states[i].compact, n) == 0))
			return (sl_states[i].st);
	return (SLURM_ST_UNKNOWN);
}

const char *
slurm_text_state_name(enum slurm_state st)
{
	if ((unsigned)st >= sizeof(sl_state_names) / sizeof(sl_state_names[0]))
		return (NULL);
	return (sl_state_names[st]);
}

/* ---- squeue, sacct ---- */

char **
slurm_text_squeue_argv(const char *squeue)
{
	struct sl_arg	 v[7];
	size_t		 n = 0;

	sl_str(&v[n++], squeue != NULL ? squeue : "squeue", NULL, 0);
	sl_str(&v[n++], "-a", NULL, 0);
	sl_str(&v[n++], "-h", NULL, 0);
	sl_str(&v[n++], "-t", NULL, 0);
	sl_str(&v[n++], "all", NULL, 0);
	sl_str(&v[n++], "-O", NULL, 0);
	sl_str(&v[n++], "JobID:|,Name:|,State:|,Reason:|,exit_code:|,"
	    "NodeList:|", NULL, 0);
	return (sl_argv_pack(v, n));
}

char **
slurm_text_sacct_argv(const char *sacct, const int64_t *ids, size_t n)
{
	struct sl_arg	 v[8];
	size_t		 k = 0;

	if (ids == NULL || n == 0)
		return (NULL);
	sl_str(&v[k++], sacct != NULL ? sacct : "sacct", NULL, 0);
	sl_str(&v[k++], "-n", NULL, 0);
	sl_str(&v[k++], "-P", NULL, 0);
	sl_str(&v[k++], "-X", NULL, 0);
	sl_str(&v[k++], "-j", NULL, 0);
	sl_str(&v[k], "", NULL, 0);
	v[k].ids = ids;
	v[k++].nids = n;
	sl_str(&v[k++], "-o", NULL, 0);
	sl_str(&v[k++], "JobIDRaw,JobName%200,State,ExitCode,NodeList", NULL,
	    0);
	return (sl_argv_pack(v, k));
}

/* A field: bytes [p, p + n) of a line. */
struct sl_field {
	const char	*p;
	size_t		 n;
};

/* Copies a field into buf (size bytes), truncated, control bytes as '?'. */
static void
sl_copy(char *buf, size_t size, const struct sl_field *f)
{
	size_t	 i, n = f->n < size - 1 ? f->n : size - 1;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)f->p[i] < ' ' || f->p[i] == 0x7f ?
		    '?' : f->p[i];
	buf[n] = '\0';
}

/* A field of digits only (at most 18 of them) as a number, or -1. */
static int64_t
sl_field_num(const struct sl_field *f)
{
	int64_t	 v = 0;
	size_t	 i;

	if (f->n == 0 || f->n > 18)
		return (-1);
	for (i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return (-1);
		v = v * 10 + (f->p[i] - '0');
	}
	return (v);
}

/*
 * Splits line [p, p + n) at '|' into JobID, the name (which may hold '|')
 * and the nright fields after it, into f[0], f[1], f[2..2 + nright).
 * Returns 0, or -1 when there are too few fields.
 */
static int
sl_split(const char *p, size_t n, size_t nright, struct sl_field *f)
{
	const char	*bar, *end = p + n;
	size_t		 k;

	if ((bar = memchr(p, '|', n)) == NULL)
		return (-1);
	f[0].p = p;
	f[0].n = (size_t)(bar - p);
	p = bar + 1;
	for (k = nright; k > 0; k--) {
		for (bar = end; bar > p && bar[-1] != '|'; bar--)
			;
		if (bar == p)
			return (-1);
		f[1 + k].p = bar;
		f[1 + k].n = (size_t)(end - bar);
		end = bar - 1;
	}
	f[1].p = p;
	f[1].n = (size_t)(end - p);
	return (0);
}

enum sl_kind { SL_SQUEUE, SL_SACCT };

/*
 * One line: -1 garbage, 0 not ours (or empty), 1 ours, read into *j.
 */
static int
sl_line(enum sl_kind kind, const char *p, size_t n, const char *instance,
    struct slurm_text_job *j)
{
	struct sl_field	 f[6], *st, *code, *nodes;
	char		 name[SLURM_TEXT_NAME_MAX];
	const char	*colon;
	struct sl_field	 c, s;
	int64_t		 v, sig;

	if (n == 0)
		return (0);
	if (memchr(p, '\0', n) != NULL)
		return (-1);
	if (kind == SL_SQUEUE) {
		/* every field ends with '|' */
		if (p[n - 1] != '|')
			return (-1);
		if (sl_split(p, n - 1, 4, f) != 0)
			return (-1);
		st = &f[2];
		code = &f[4];
		nodes = &f[5];
	} else {
		if (sl_split(p, n, 3, f) != 0)
			return (-1);
		st = &f[2];
		code = &f[3];
		nodes = &f[4];
	}
	if (f[1].n >= sizeof(name))
		return (0);
	memcpy(name, f[1].p, f[1].n);
	name[f[1].n] = '\0';
	memset(j, 0, sizeof(*j));
	if (slurm_text_name_parse(name, instance, &j->job_id, &j->attempt) != 0)
		return (0);
	if ((j->slurm_id = sl_field_num(&f[0])) < 1)
		return (-1);
	sl_copy(j->state_word, sizeof(j->state_word), st);
	j->state = slurm_text_state(j->state_word);
	j->status = -1;
	if (kind == SL_SQUEUE) {
		sl_copy(j->reason, sizeof(j->reason), &f[3]);
		if ((v = sl_field_num(code)) >= 0 && v <= INT32_MAX)
			j->status = (int)v;
	} else if ((colon = memchr(code->p, ':', code->n)) != NULL) {
		c.p = code->p;
		c.n = (size_t)(colon - code->p);
		s.p = colon + 1;
		s.n = code->n - c.n - 1;
		v = sl_field_num(&c);
		sig = sl_field_num(&s);
		if (v >= 0 && v <= 255 && sig >= 0 && sig <= 127)
			j->status = (int)(v << 8 | sig);
	}
	if (!(nodes->n == 13 && memcmp(nodes->p, "None assigned", 13) == 0))
		sl_copy(j->nodes, sizeof(j->nodes), nodes);
	return (1);
}

static int
sl_parse(enum sl_kind kind, const char *out, size_t len, const char *instance,
    struct slurm_text_job **v, size_t *n, size_t *nbad)
{
	struct slurm_text_job	 j, *nv;
	const char		*p = out, *end = out + len, *nl;
	size_t			 cap = 0;
	int			 rc;

	*v = NULL;
	*n = 0;
	*nbad = 0;
	if (out == NULL)
		return (0);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rc = sl_line(kind, p, (size_t)(nl - p), instance, &j);
		p = nl < end ? nl + 1 : end;
		if (rc < 0) {
			(*nbad)++;
			continue;
		}
		if (rc == 0)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if (cap > SIZE_MAX / sizeof(**v) ||
			    (nv = realloc(*v, cap * sizeof(**v))) == NULL) {
				free(*v);
				*v = NULL;
				*n = 0;
				return (JOBQ_ENOMEM);
			}
			*v = nv;
		}
		(*v)[(*n)++] = j;
	}
	return (0);
}

int
slurm_text_parse_squeue(const char *out, size_t len, const char *instance,
    struct slurm_text_job **v, size_t *n, size_t *nbad)
{
	return (sl_parse(SL_SQUEUE, out, len, instance, v, n, nbad));
}

int
slurm_text_parse_sacct(const char *out, size_t len, const char *instance,
    struct slurm_text_job **v, size_t *n, size_t *nbad)
{
	return (sl_parse(SL_SACCT, out, len, instance, v, n, nbad));
}

/* ---- scancel ---- */

static char **
sl_scancel(const char *scancel, const char *sigarg, const int64_t *ids,
    size_t n)
{
	struct sl_arg	*v;
	char		**argv;
	size_t		 k = 0, i;

	if (ids == NULL || n == 0 || n > SIZE_MAX / sizeof(*v) - 3)
		return (NULL);
	if ((v = calloc(n + 3, sizeof(*v))) == NULL)
		return (NULL);
	sl_str(&v[k++], scancel != NULL ? scancel : "scancel", NULL, 0);
	if (sigarg != NULL) {
		sl_str(&v[k++], "--signal=", sigarg, 0);
		sl_str(&v[k++], "--full", NULL, 0);
	}
	for (i = 0; i < n; i++) {
		sl_str(&v[k], "", NULL, 0);
		v[k].ids = &ids[i];
		v[k++].nids = 1;
	}
	argv = sl_argv_pack(v, k);
	free(v);
	return (argv);
}

char **
slurm_text_scancel_argv(const char *scancel, const int64_t *ids, size_t n)
{
	return (sl_scancel(scancel, NULL, ids, n));
}

char **
slurm_text_scancel_signal_argv(const char *scancel, int sig,
    const int64_t *ids, size_t n)
{
	char	 s[16];

	if (sig < 1 || sig > 64)
		return (NULL);
	(void)snprintf(s, sizeof(s), "%d", sig);
	return (sl_scancel(scancel, s, ids, n));
}

/* ---- what an end means ---- */

/* 1 and *code: exited; 2 and *sig: signaled; 0: neither (see the table). */
static int
sl_status(int status, int *code, int *sig)
{
	if (status >= 0 && status <= 0xff00 && (status & 0xff) == 0) {
		*code = status >> 8;
		return (1);
	}
	if (status > 0 && status <= 0xff && (status & 0x7f) >= 1 &&
	    (status & 0x7f) <= 64) {
		*sig = status & 0x7f;
		return (2);
	}
	return (0);
}

/* printf into an end's message (truncated). */
static void __attribute__((format(printf, 2, 3)))
sl_msg(struct slurm_text_end *out, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
}

/* " on NODES" when there are nodes, else "". */
static const char *
sl_on(const struct slurm_text_job *sj)
{
	return (sj->nodes[0] != '\0' ? " on " : "");
}

void
slurm_text_end(const struct slurm_text_job *sj, struct slurm_text_end *out)
{
	char	 word[32];
	int	 code = 0, sig = 0, how;
	size_t	 n;

	memset(out, 0, sizeof(*out));
	out->ev = JOB_EV_WORKER_LOST;
	out->exit_code = -1;
	out->sig = 0;
	how = sl_status(sj->status, &code, &sig);
	switch (sj->state) {
	case SLURM_ST_COMPLETED:
		out->ended = 1;
		out->ev = JOB_EV_EXITED;
		out->exit_code = 0;
		break;
	case SLURM_ST_FAILED:
		out->ended = 1;
		if (how == 2) {
			out->ev = JOB_EV_SIGNALED;
			out->sig = sig;
		} else if (how == 1 && code != 0) {
			out->ev = JOB_EV_EXITED;
			out->exit_code = code;
		} else {
			out->ev = JOB_EV_SPAWN_FAILED;
			if (sj->reason[0] != '\0' &&
			    strcmp(sj->reason, "None") != 0)
				sl_msg(out, "Slurm: FAILED (%s)%s%s",
				    sj->reason, sl_on(sj), sj->nodes);
			else
				sl_msg(out, "Slurm: FAILED%s%s", sl_on(sj),
				    sj->nodes);
		}
		break;
	case SLURM_ST_CANCELLED:
		out->ended = 1;
		out->ev = JOB_EV_SIGNALED;
		out->sig = how == 2 ? sig : SIGTERM;
		sl_msg(out, "Slurm: CANCELLED");
		break;
	case SLURM_ST_TIMEOUT:
	case SLURM_ST_DEADLINE:
		out->ended = 1;
		out->ev = JOB_EV_TIMEOUT;
		sl_msg(out, "Slurm: %s", slurm_text_state_name(sj->state));
		break;
	case SLURM_ST_NODE_FAIL:
	case SLURM_ST_BOOT_FAIL:
	case SLURM_ST_PREEMPTED:
		out->ended = 1;
		out->ev = JOB_EV_WORKER_LOST;
		sl_msg(out, "Slurm: %s%s%s", slurm_text_state_name(sj->state),
		    sl_on(sj), sj->nodes);
		break;
	case SLURM_ST_OUT_OF_MEMORY:
		out->ended = 1;
		out->ev = JOB_EV_SIGNALED;
		out->sig = SIGKILL;
		sl_msg(out, "Slurm: OUT_OF_MEMORY");
		break;
	case SLURM_ST_OTHER_END:
		out->ended = 1;
		out->ev = JOB_EV_WORKER_LOST;
		n = strcspn(sj->state_word, " +");
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, sj->state_word, n);
		word[n] = '\0';
		sl_msg(out, "Slurm: %s", word);
		break;
	case SLURM_ST_PENDING:
	case SLURM_ST_RUNNING:
	case SLURM_ST_UNKNOWN:
	default:
		out->ended = 0;
		break;
	}
}
