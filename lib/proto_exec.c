/*
 * proto_exec.c - a queue's executor setting (issue 13): where the jobs of
 * the queue run once jobqd's scheduler claims them, "local" (a worker
 * slot, every queue's default) or "slurm" (sbatch, with an optional
 * partition, account and extra sbatch options).  Owns the "executor"
 * object of queue_set requests and of queue objects (QUEUEOBJ of the
 * queue_list and queue_set replies), its validation, and its canonical
 * text, which jobqd stores in queues.executor (NULL there: local).
 * Pure: no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "proto_int.h"

/* The sbatch options jobq sets itself for every run: refused in opts. */
static const char *const proto_exec_reserved[] = {
	"job-name", "comment", "output", "error", "input", "open-mode",
	"chdir", "export", "export-file", "parsable", "wrap", "array",
	"dependency", "uid", "gid", "hold", "wait", "test-only",
	"get-user-env", NULL
};

const char *
proto_exec_name_check(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > PROTO_MAX_EXEC_NAME)
		return "must be 1-63 characters of A-Z a-z 0-9 _ . -";
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return "must be 1-63 characters of A-Z a-z 0-9 _ . -";
	return NULL;
}

/* Copies at most PROTO_MAX_EXEC_KEY bytes of s up to its '=' into buf, with
 * anything unprintable as '?': for messages. */
static void
proto_exec_key_show(const char *s, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && s[i] != '=' && i < PROTO_MAX_EXEC_KEY &&
	    i + 1 < len; i++)
		buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
}

int
proto_exec_opt_check(const char *opt, char *err, size_t errlen)
{
	const char	*eq, *v;
	char		 key[PROTO_MAX_EXEC_KEY + 1];
	size_t		 klen, i;

	proto_exec_key_show(opt, key, sizeof key);
	eq = strchr(opt, '=');
	klen = eq != NULL ? (size_t)(eq - opt) : strlen(opt);
	for (i = 0; i < klen; i++)
		if (!((opt[i] >= 'a' && opt[i] <= 'z') ||
		    (i > 0 && opt[i] >= '0' && opt[i] <= '9') ||
		    (i > 0 && opt[i] == '-')))
			break;
	if (klen == 0 || klen > PROTO_MAX_EXEC_KEY || i < klen) {
		proto_seterr(err, errlen, "--slurm-opt %s: the key must be "
		    "1-%d characters of a-z 0-9 -, starting with a letter "
		    "(KEY=VALUE or KEY)", key, PROTO_MAX_EXEC_KEY);
		return JOBQ_EINVAL;
	}
	for (i = 0; proto_exec_reserved[i] != NULL; i++)
		if (strlen(proto_exec_reserved[i]) == klen &&
		    memcmp(proto_exec_reserved[i], opt, klen) == 0) {
			proto_seterr(err, errlen, "--slurm-opt %s: set by jobq",
			    key);
			return JOBQ_EINVAL;
		}
	if (eq == NULL)
		return 0;
	v = eq + 1;
	if (strlen(v) > PROTO_MAX_EXEC_VALUE) {
		proto_seterr(err, errlen, "--slurm-opt %s: the value is longer "
		    "than %d bytes", key, PROTO_MAX_EXEC_VALUE);
		return JOBQ_EINVAL;
	}
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f) {
			proto_seterr(err, errlen, "--slurm-opt %s: the value "
			    "must not hold control characters", key);
			return JOBQ_EINVAL;
		}
	return 0;
}

/* A partition or account member into buf (64 bytes); absent: "". */
static int
proto_exec_name_member(const cJSON *obj, const char *key, const char *opt,
    char *buf, char *err, size_t errlen)
{
	const cJSON	*item;
	const char	*why;

	buf[0] = '\0';
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, key)) == NULL)
		return 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		proto_seterr(err, errlen, "%s: must be a string", opt);
		return JOBQ_EINVAL;
	}
	if ((why = proto_exec_name_check(item->valuestring)) != NULL) {
		proto_seterr(err, errlen, "%s: %s", opt, why);
		return JOBQ_EINVAL;
	}
	memcpy(buf, item->valuestring, strlen(item->valuestring) + 1);
	return 0;
}

/* The decoder; strict: members other than type, partition, account and
 * opts are refused (a request; a reply skips them). */
static int
proto_exec_decode(const cJSON *obj, int strict, struct proto_exec *out,
    char *err, size_t errlen)
{
	const cJSON	*type, *opts, *item;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(obj)) {
		proto_seterr(err, errlen, "executor: must be an object");
		return JOBQ_EINVAL;
	}
	if (strict)
		cJSON_ArrayForEach(item, obj)
			if (item->string == NULL ||
			    (strcmp(item->string, "type") != 0 &&
			    strcmp(item->string, "partition") != 0 &&
			    strcmp(item->string, "account") != 0 &&
			    strcmp(item->string, "opts") != 0)) {
				proto_seterr(err, errlen, "executor: unknown "
				    "member \"%.40s\"", item->string != NULL ?
				    item->string : "");
				return JOBQ_EINVAL;
			}
	type = cJSON_GetObjectItemCaseSensitive(obj, "type");
	if (!cJSON_IsString(type) || type->valuestring == NULL ||
	    (strcmp(type->valuestring, "local") != 0 &&
	    strcmp(type->valuestring, "slurm") != 0)) {
		proto_seterr(err, errlen, "--executor: must be \"local\" or "
		    "\"slurm\"");
		return JOBQ_EINVAL;
	}
	out->slurm = strcmp(type->valuestring, "slurm") == 0;
	opts = cJSON_GetObjectItemCaseSensitive(obj, "opts");
	if (!out->slurm && (opts != NULL ||
	    cJSON_GetObjectItemCaseSensitive(obj, "partition") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(obj, "account") != NULL)) {
		proto_seterr(err, errlen, "--partition, --account and "
		    "--slurm-opt are only for --executor slurm");
		return JOBQ_EINVAL;
	}
	if ((rc = proto_exec_name_member(obj, "partition", "--partition",
	    out->partition, err, errlen)) != 0 ||
	    (rc = proto_exec_name_member(obj, "account", "--account",
	    out->account, err, errlen)) != 0)
		goto fail;
	if (opts == NULL)
		return 0;
	if (!cJSON_IsArray(opts)) {
		proto_seterr(err, errlen, "--slurm-opt: \"opts\" must be an "
		    "array of strings");
		rc = JOBQ_EINVAL;
		goto fail;
	}
	if (cJSON_GetArraySize(opts) > PROTO_MAX_EXEC_OPTS) {
		proto_seterr(err, errlen, "--slurm-opt: at most %d options",
		    PROTO_MAX_EXEC_OPTS);
		rc = JOBQ_EINVAL;
		goto fail;
	}
	cJSON_ArrayForEach(item, opts) {
		if (!cJSON_IsString(item) || item->valuestring == NULL) {
			proto_seterr(err, errlen, "--slurm-opt: \"opts\" must "
			    "be an array of strings");
			rc = JOBQ_EINVAL;
			goto fail;
		}
		if ((rc = proto_exec_opt_check(item->valuestring, err,
		    errlen)) != 0)
			goto fail;
		/* checked: key <= 40, '=', value <= 255 bytes: it fits */
		memcpy(out->opts[out->nopts++], item->valuestring,
		    strlen(item->valuestring) + 1);
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

int
proto_exec_from_json(const cJSON *obj, struct proto_exec *out, char *err,
    size_t errlen)
{
	return proto_exec_decode(obj, 1, out, err, errlen);
}

cJSON *
proto_exec_to_json(const struct proto_exec *e)
{
	struct proto_out	 o;
	const char		*v[PROTO_MAX_EXEC_OPTS];
	size_t			 i;

	if (e == NULL || e->nopts > PROTO_MAX_EXEC_OPTS)
		return NULL;
	proto_out_begin(&o, NULL);
	proto_out_str(&o, "type", e->slurm ? "slurm" : "local");
	if (e->slurm) {
		if (e->partition[0] != '\0')
			proto_out_str(&o, "partition", e->partition);
		if (e->account[0] != '\0')
			proto_out_str(&o, "account", e->account);
		for (i = 0; i < e->nopts; i++)
			v[i] = e->opts[i];
		if (e->nopts > 0)
			proto_out_strv(&o, "opts", v, e->nopts);
	}
	return proto_out_end(&o);
}

int
proto_exec_parse(const char *text, struct proto_exec *out)
{
	cJSON	*obj;
	int	 rc;

	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0')
		return 0;
	if ((obj = cJSON_Parse(text)) == NULL)
		return JOBQ_EINVAL;
	rc = proto_exec_decode(obj, 1, out, NULL, 0);
	cJSON_Delete(obj);
	return rc;
}

char *
proto_exec_text(const struct proto_exec *e)
{
	cJSON	*obj;
	char	*text;

	if (e == NULL || !e->slurm || (obj = proto_exec_to_json(e)) == NULL)
		return NULL;
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}

int
proto_queue_exec_from_json(const cJSON *queue, struct proto_exec *out,
    char *err, size_t errlen)
{
	const cJSON	*obj;
	char		 why[256];

	memset(out, 0, sizeof(*out));
	if ((obj = cJSON_GetObjectItemCaseSensitive(queue, "executor")) ==
	    NULL)
		return 0;		/* an older jobqd: every queue local */
	if (proto_exec_decode(obj, 0, out, why, sizeof why) != 0) {
		proto_seterr(err, errlen, "queue \"executor\" is invalid: %s",
		    why);
		return JOBQ_EPROTO;
	}
	return 0;
}

cJSON *
proto_queue_info_exec_to_json(const jobq_queue_info *q,
    const struct proto_exec *e)
{
	static const struct proto_exec local;
	cJSON	*obj, *x;

	if ((obj = proto_queue_info_to_json(q)) == NULL)
		return NULL;
	if ((x = proto_exec_to_json(e != NULL ? e : &local)) == NULL ||
	    !cJSON_AddItemToObject(obj, "executor", x)) {
		cJSON_Delete(x);
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}
