/*
 * test_rate.c - shadowd's per-thing request limit (cmd/shadowd/rate.c),
 * linked from the program's own object (UNIT_LINK_test_rate).
 */
#include <stdio.h>

#include "rate.h"
#include "check.h"

static long
allowed(struct rate *r, const char *thing, int64_t sec, long tries)
{
	long n = 0;

	while (tries-- > 0)
		if (rate_allow(r, thing, sec))
			n++;
	return n;
}

int
main(void)
{
	struct rate *r = rate_new(3);
	char thing[32];
	long i, ok = 0;

	if (r == NULL)
		return 1;
	CHECK(allowed(r, "lamp", 100, 5) == 3,
	    "a thing gets its N requests in one second, no more");
	CHECK(allowed(r, "fan", 100, 3) == 3,
	    "another thing has its own count");
	CHECK(allowed(r, "lamp", 101, 3) == 3,
	    "the next second starts a fresh count");
	for (i = 0; i < 1000; i++) {
		snprintf(thing, sizeof(thing), "thing-%ld", i);
		ok += allowed(r, thing, 102, 4);
	}
	CHECK(ok == 3000, "a thousand things each get their N (%ld of 3000)",
	    ok);
	CHECK(allowed(r, "thing-7", 102, 1) == 0,
	    "and stay limited while the table grows");
	CHECK(allowed(r, "thing-7", 103, 1) == 1,
	    "things idle for a second are forgotten, then counted afresh");
	rate_free(r);
	CHECK_DONE();
}
