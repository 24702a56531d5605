/*
 * check.h - a minimal TAP harness for the C unit tests.
 *
 *   CHECK(cond, "what the user would call it")   one TAP line per check
 *   CHECK_STR(got, want, name)                   string equality
 *   CHECK_DONE()                                 plan line; exit status
 */
#ifndef SHADOW_CHECK_H
#define SHADOW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_n, check_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = (cond) ? 1 : 0;                                  \
		check_n++;                                                 \
		if (!ok_)                                                  \
			check_failed++;                                    \
		printf("%s %d - ", ok_ ? "ok" : "not ok", check_n);        \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		if (!ok_)                                                  \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_STR(got, want, ...)                                          \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		int eq_ = (g_ == NULL && w_ == NULL) ||                    \
		    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);     \
		CHECK(eq_, __VA_ARGS__);                                   \
		if (!eq_)                                                  \
			printf("#   got:  %s\n#   want: %s\n",             \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
	} while (0)

#define CHECK_DONE()                                                       \
	do {                                                               \
		printf("1..%d\n", check_n);                                \
		return check_failed == 0 ? 0 : 1;                          \
	} while (0)

#endif
