/*
 * seen.h - which kept outcomes exist, found in memory: a map from the
 * 64-bit prefix of an outcome's key to the store row that holds it.
 *
 * The outcomes of writes with a clientToken (shadowd(8), EXACTLY ONCE)
 * are appended to the store in time order, with no index: an index keyed
 * by a hash takes a random page write per request, which cost shadowd a
 * fifth of its updates per second. This map stands in for that index;
 * it is rebuilt from the store at start. A hit only names a row to read:
 * the row's full key and time decide whether it is the same request.
 *
 * Offers:
 *   seen_new       an empty map
 *   seen_put       remember key -> row id (the newest id wins for a key)
 *   seen_find      the row id remembered for a key, if it is not older
 *                  than the oldest row kept
 *   seen_forget_before   rows below this id are gone from the store: their
 *                  entries are ignored, and dropped at the next rebuild
 *   seen_count     entries held (some may be forgotten ones)
 *   seen_free      release it
 *
 * Memory: 16 bytes an entry, at most twice that with the table's slack.
 */
#ifndef SHADOWD_SEEN_H
#define SHADOWD_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seen;

struct seen *seen_new(void);
void seen_free(struct seen *s);
/* 0, or -1 when out of memory (the map is unchanged). */
int seen_put(struct seen *s, uint64_t key, int64_t id);
bool seen_find(const struct seen *s, uint64_t key, int64_t *id);
void seen_forget_before(struct seen *s, int64_t id);
size_t seen_count(const struct seen *s);

#endif
