/*
 * test_seen.c - shadowd's map from an outcome's key to its store row
 * (cmd/shadowd/seen.c), linked from the program's own object
 * (UNIT_LINK_test_seen).
 */
#include <stdio.h>

#include "seen.h"
#include "check.h"

/* Keys spread like the SHA-256 prefixes shadowd uses. */
static uint64_t
key_of(uint64_t i)
{
	uint64_t x = i + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int
main(void)
{
	struct seen *s = seen_new();
	int64_t id = 0;
	uint64_t i, found = 0, right = 0;

	if (s == NULL)
		return 1;
	CHECK(!seen_find(s, 42, &id), "an empty map finds nothing");
	CHECK(seen_put(s, 42, 7) == 0 && seen_find(s, 42, &id) && id == 7,
	    "a key put is found with its row (%lld)", (long long)id);
	CHECK(seen_put(s, 42, 9) == 0 && seen_find(s, 42, &id) && id == 9 &&
	    seen_count(s) == 1, "put again, the newest row wins, one entry");
	CHECK(seen_put(s, 0, 3) == 0 && seen_find(s, 0, &id) && id == 3,
	    "the key 0 is a key like the others");
	CHECK(seen_find(s, 42, &id) && id == 9, "and leaves the others be");

	for (i = 0; i < 100000; i++)
		if (seen_put(s, key_of(i), (int64_t)i + 100) == -1)
			break;
	CHECK(i == 100000, "100 000 keys fit (%llu)", (unsigned long long)i);
	for (i = 0; i < 100000; i++)
		if (seen_find(s, key_of(i), &id)) {
			found++;
			right += id == (int64_t)i + 100;
		}
	CHECK(found == 100000 && right == 100000,
	    "every one is found with its own row (%llu found, %llu right)",
	    (unsigned long long)found, (unsigned long long)right);
	CHECK(!seen_find(s, key_of(100001), &id), "a key never put is not");

	seen_forget_before(s, 50100);
	CHECK(!seen_find(s, key_of(10), &id) && seen_find(s, key_of(50000),
	    &id) && id == 50100, "rows below the oldest kept are not found, "
	    "the rest are");
	seen_forget_before(s, 10);
	CHECK(!seen_find(s, key_of(10), &id),
	    "the oldest row kept only moves forward");
	for (i = 200000; i < 320000; i++)
		if (seen_put(s, key_of(i), (int64_t)i) == -1)
			break;
	CHECK(seen_count(s) < 200000,
	    "a rebuild drops the forgotten entries (%zu held)", seen_count(s));
	CHECK(seen_find(s, key_of(99999), &id) && id == 100099 &&
	    seen_find(s, key_of(319999), &id) && id == 319999,
	    "and keeps the others");
	seen_free(s);
	seen_free(NULL);
	CHECK_DONE();
}
