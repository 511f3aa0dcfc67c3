/*
 * fuzz_slurm.c - libFuzzer target for daemon/slurm_text.c: the parsers of
 * the Slurm commands' output (slurm_text_parse_squeue and
 * slurm_text_parse_sacct on arbitrary bytes, NULs included), sbatch's
 * answer, the --res to --gres conversion, the state words, and the batch
 * script's quoting.
 *
 * Invariants (abort on violation): the parsers return 0 (no ENOMEM here);
 * the jobs they keep and the lines they count bad are no more than the
 * lines; each kept job has a Slurm id >= 1, its name (rebuilt) parses back
 * to its id and attempt, its strings are NUL-terminated without control
 * bytes and its state is that of its state word; slurm_text_end says
 * "ended" exactly for the ended states, with an event of the mapping and a
 * NUL-terminated message.  A --gres value holds only names, digits, ':'
 * and ','.  The script of the input split at NULs into argv has no "\r\n"
 * and its exec line, unquoted as sh does, gives argv back byte for byte.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm_text.h"
#include "fuzz.h"

#define INST "0123abcd"

static int
clean(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return i < size;
}

static void
check_jobs(struct slurm_text_job *v, size_t n, size_t nbad, size_t lines)
{
	struct slurm_text_end e;
	char name[SLURM_TEXT_NAME_MAX];
	int64_t id;
	size_t i;
	int a, ended;

	FUZZ_CHECK(n + nbad <= lines);
	FUZZ_CHECK((n == 0) == (v == NULL));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].slurm_id >= 1);
		FUZZ_CHECK(slurm_text_name(name, sizeof(name), INST,
		    v[i].job_id, v[i].attempt) == 0);
		FUZZ_CHECK(slurm_text_name_parse(name, INST, &id, &a) == 0 &&
		    id == v[i].job_id && a == v[i].attempt);
		FUZZ_CHECK(clean(v[i].state_word, sizeof(v[i].state_word)));
		FUZZ_CHECK(clean(v[i].reason, sizeof(v[i].reason)));
		FUZZ_CHECK(clean(v[i].nodes, sizeof(v[i].nodes)));
		FUZZ_CHECK(v[i].state == slurm_text_state(v[i].state_word));
		FUZZ_CHECK(v[i].status >= -1);
		slurm_text_end(&v[i], &e);
		ended = v[i].state != SLURM_ST_PENDING &&
		    v[i].state != SLURM_ST_RUNNING &&
		    v[i].state != SLURM_ST_UNKNOWN;
		FUZZ_CHECK(e.ended == ended);
		FUZZ_CHECK(memchr(e.message, '\0', sizeof(e.message)) != NULL);
		if (ended) {
			FUZZ_CHECK(e.ev == JOB_EV_EXITED ||
			    e.ev == JOB_EV_SIGNALED ||
			    e.ev == JOB_EV_TIMEOUT ||
			    e.ev == JOB_EV_SPAWN_FAILED ||
			    e.ev == JOB_EV_WORKER_LOST);
			FUZZ_CHECK(e.ev != JOB_EV_EXITED ||
			    (e.exit_code >= 0 && e.exit_code <= 255));
			FUZZ_CHECK(e.ev != JOB_EV_SIGNALED ||
			    (e.sig >= 1 && e.sig <= 64));
		}
	}
}

/* Unquotes one word of the exec line at *p (sh's single quotes and \').
 * Returns its length in out, moves *p past it. */
static size_t
unquote(const char **p, char *out)
{
	const char *s = *p;
	size_t n = 0;

	for (;;) {
		if (*s == '\'') {
			for (s++; *s != '\''; s++) {
				FUZZ_CHECK(*s != '\0');
				out[n++] = *s;
			}
			s++;
		} else if (s[0] == '\\' && s[1] == '\'') {
			out[n++] = '\'';
			s += 2;
		} else
			break;
	}
	*p = s;
	return n;
}

static void
check_script(const uint8_t *data, size_t size)
{
	char *copy, **argv, *script, *word;
	const char *p;
	size_t argc = 0, i, n;

	if ((copy = malloc(size + 1)) == NULL)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv = calloc(size + 2, sizeof(*argv));
	word = malloc(4 * size + 16);
	FUZZ_CHECK(argv != NULL && word != NULL);
	argv[argc++] = copy;
	for (i = 0; i < size; i++)
		if (copy[i] == '\0')
			argv[argc++] = copy + i + 1;
	script = slurm_text_script(argv, argc, 1, 1);
	FUZZ_CHECK(script != NULL);
	FUZZ_CHECK(strstr(script, "\r\n") == NULL);
	p = strstr(script, "\n# jobq job 1, attempt 1\n");
	FUZZ_CHECK(p == script + 9);
	p += strlen("\n# jobq job 1, attempt 1\n");
	if (argv[0][0] == '-') {
		FUZZ_CHECK(strncmp(p, "set --", 6) == 0);
		p += 6;
	} else {
		FUZZ_CHECK(strncmp(p, "exec", 4) == 0);
		p += 4;
	}
	for (i = 0; i < argc; i++) {
		FUZZ_CHECK(*p == ' ');
		p++;
		n = unquote(&p, word);
		FUZZ_CHECK(n == strlen(argv[i]) &&
		    memcmp(word, argv[i], n) == 0);
	}
	FUZZ_CHECK(*p == '\n');
	free(script);
	free(word);
	free(argv);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slurm_text_job *v;
	char *text, *g;
	size_t n, nbad, lines = 1, i;
	int64_t id;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	FUZZ_CHECK(slurm_text_parse_squeue((const char *)data, size, INST,
	    &v, &n, &nbad) == 0);
	check_jobs(v, n, nbad, lines);
	free(v);
	FUZZ_CHECK(slurm_text_parse_sacct((const char *)data, size, INST,
	    &v, &n, &nbad) == 0);
	check_jobs(v, n, nbad, lines);
	free(v);

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (slurm_text_parse_sbatch(text, &id) == 0)
		FUZZ_CHECK(id >= 1);
	(void)slurm_text_state(text);
	if ((g = slurm_text_gres(text)) != NULL) {
		FUZZ_CHECK(g[0] != '\0');
		for (i = 0; g[i] != '\0'; i++)
			FUZZ_CHECK((g[i] >= 'a' && g[i] <= 'z') ||
			    (g[i] >= 'A' && g[i] <= 'Z') ||
			    (g[i] >= '0' && g[i] <= '9') || g[i] == '_' ||
			    g[i] == ':' || g[i] == ',');
		free(g);
	}
	free(text);
	if (size <= 4096)
		check_script(data, size);
	return 0;
}
