/*
 * fuzz_strv.c - libFuzzer target for store_row_strv_parse (daemon/
 * store_row.c): the one-pass reader of the argv and env columns, JSON
 * arrays of strings jobqd wrote itself.  A damaged or hand-edited row must
 * be refused, never read past its end or crash the claim.
 *
 * Invariants (abort on violation): it returns 0 or JOBQ_EINTERNAL (or
 * JOBQ_ENOMEM); on 0 the vector is NULL-terminated with `count` strings,
 * and cJSON, required to end at the input's end, reads the same text as
 * an array of exactly those strings (the parser accepts nothing strict
 * JSON does not, and reads what it accepts as JSON does); the vector
 * written back by store_row_strv_json parses again to the same strings.
 *
 * Built and run by tests/fuzz/run.sh; not part of `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jobq.h"
#include "store_int.h"
#include "util.h"
#include "fuzz.h"

/* v (n strings) equals the array a, string by string. */
static int
same_as_cjson(char **v, size_t n, const cJSON *a)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(a))
		return 0;
	cJSON_ArrayForEach(e, a) {
		if (i >= n || !cJSON_IsString(e) ||
		    strcmp(e->valuestring, v[i]) != 0)
			return 0;
		i++;
	}
	return i == n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, **v = NULL, **w = NULL, *json;
	size_t n = 0, m = 0, i;
	cJSON *a;
	int rv;

	/* the column is a C string: the parser reads up to its NUL */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rv = store_row_strv_parse(text, &v, &n);
	FUZZ_CHECK(rv == 0 || rv == JOBQ_EINTERNAL || rv == JOBQ_ENOMEM);
	if (rv != 0) {
		free(text);
		return 0;
	}
	FUZZ_CHECK(v != NULL && v[n] == NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(v[i] != NULL);
	a = cJSON_ParseWithOpts(text, NULL, 1);
	FUZZ_CHECK(a != NULL);
	FUZZ_CHECK(same_as_cjson(v, n, a));
	cJSON_Delete(a);
	json = store_row_strv_json((const char *const *)v, n);
	if (json != NULL) {
		FUZZ_CHECK(store_row_strv_parse(json, &w, &m) == 0);
		FUZZ_CHECK(m == n);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(strcmp(v[i], w[i]) == 0);
		util_strv_free(w);
		cJSON_free(json);
	}
	util_strv_free(v);
	free(text);
	return 0;
}
