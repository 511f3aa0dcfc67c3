/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: FUZZ_CHECK,
 * which aborts (so that libFuzzer keeps the input as a crash) when an
 * invariant does not hold, naming it and where.
 */
#ifndef JOBQ_FUZZ_H
#define JOBQ_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond,	\
		    __FILE__, __LINE__);					\
		abort();						\
	}								\
} while (0)

#endif
