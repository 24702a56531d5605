/*
 * store.h - the shadow store of shadowd: one SQLite file in the data
 * directory (WAL, synchronous=FULL), one row per (thing, shadow name; ""
 * for the classic shadow) holding the version, whether the shadow exists,
 * its snapshot and when it was deleted.
 *
 * Offers:
 *   store_open       create the directory (0700) and the database, or open
 *                    an existing one; refuses, without writing to it, a file
 *                    that is corrupt or belongs to something else
 *   store_begin / store_commit / store_rollback   one transaction per batch
 *                    (group commit); store_in_transaction says if one is open
 *   store_load       the stored shadow, or a missing one that remembers its
 *                    deleted version (forgotten after forget_deleted seconds)
 *   store_save       write an existing shadow
 *   store_mark_deleted   forget the document, remember the version
 *   store_list_named     the names of a thing's named shadows that exist,
 *                    bytewise sorted, after a given name, a page at a time
 *   store_close      finalize the statements, close the database
 *
 * Every function returning int gives 0, or -1 with err filled.
 */
#ifndef SHADOWD_STORE_H
#define SHADOWD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct store;
struct doc_shadow;

int store_open(struct store **st, const char *dir, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_path(const struct store *st);

int store_begin(struct store *st, char *err, size_t errlen);
int store_commit(struct store *st, char *err, size_t errlen);
void store_rollback(struct store *st);
bool store_in_transaction(const struct store *st);

int store_load(struct store *st, const char *thing, const char *shadow,
    int64_t now, long forget_deleted, struct doc_shadow *s, char *err,
    size_t errlen);
int store_save(struct store *st, const char *thing, const char *shadow,
    const struct doc_shadow *s, char *err, size_t errlen);
int store_mark_deleted(struct store *st, const char *thing,
    const char *shadow, int64_t version, int64_t now, char *err,
    size_t errlen);

/* Up to limit names after `after` ("" = from the first) appended to the
 * json-c array names; *more tells whether others follow. */
int store_list_named(struct store *st, const char *thing, const char *after,
    int limit, json_object *names, bool *more, char *err, size_t errlen);

#endif
