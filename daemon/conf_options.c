/*
 * conf_options.c - jobqd's command-line options in the global section of
 * jobqd.conf(5) ("workers = 4", "keep-age = 7d"): each is checked with
 * the option table's own code and bounds (options_file in options.c) when
 * the file is read, so that a bad value names the file and line, and kept
 * as text for jobqd.c to apply under the command line (conf_options).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "jobq.h"
#include "options.h"
#include "util.h"

int
conf_option_add(struct conf *c, const char *path, size_t line, int global,
    const char *key, const char *val, char *err, size_t errlen)
{
	struct options scratch;
	struct conf_opt *co;
	char msg[512];
	size_t i;
	int r;

	options_defaults(&scratch);
	if (*val == '\0') {
		/* an empty value is an error for an option, unknown else */
		r = options_file(&scratch, key, "x", line, msg, sizeof msg);
		if (r == 1)
			return 1;
		snprintf(err, errlen, "%s:%zu: %s has no value", path, line,
		    key);
		return JOBQ_EINVAL;
	}
	if ((r = options_file(&scratch, key, val, line, msg, sizeof msg)) == 1)
		return 1;
	if (r < 0) {
		snprintf(err, errlen, "%s:%zu: %s", path, line, msg);
		return JOBQ_EINVAL;
	}
	if (!global) {
		snprintf(err, errlen, "%s:%zu: %s is a jobqd option: it belongs "
		    "in the global section (before any [queue] or [user])",
		    path, line, key);
		return JOBQ_EINVAL;
	}
	for (i = 0; i < c->nopts && !options_repeatable(key); i++)
		if (strcmp(c->opts[i].name, key) == 0) {
			snprintf(err, errlen, "%s:%zu: %s is given twice (first "
			    "at line %zu)", path, line, key, c->opts[i].line);
			return JOBQ_EINVAL;
		}
	if (util_grow(&c->opts, &c->cap_opts, c->nopts + 1, sizeof *c->opts) < 0)
		return JOBQ_ENOMEM;
	co = &c->opts[c->nopts];
	co->line = line;
	co->name = strdup(key);
	co->value = strdup(val);
	if (co->name == NULL || co->value == NULL) {
		free(co->name);
		free(co->value);
		return JOBQ_ENOMEM;
	}
	c->nopts++;
	return 0;
}

void
conf_options_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nopts; i++) {
		free(c->opts[i].name);
		free(c->opts[i].value);
	}
	free(c->opts);
}

size_t
conf_options(const struct conf *c, const struct conf_opt **out)
{
	*out = c->opts;
	return c->nopts;
}
