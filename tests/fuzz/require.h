/*
 * require.h - what the libFuzzer harnesses share: REQUIRE(cond) aborts
 * with the file, line and condition when an invariant fails, which
 * libFuzzer (and test_fuzz_regressions) report as a crash.
 */
#ifndef SHADOW_FUZZ_REQUIRE_H
#define SHADOW_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#ifndef REQUIRE
#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)
#endif

#endif
