/*
 * store.h - the shadow store of shadowd: one SQLite file in the data
 * directory (WAL, synchronous=FULL: each commit is on disk when it
 * returns, one fsync of the log per batch), one row per (thing, shadow
 * name; "" for the classic shadow) holding the version, whether the shadow
 * exists, its snapshot and when it was deleted; the outcomes of recent
 * writes (outcomes) and the answers not yet delivered (outbox).
 *
 * Offers:
 *   store_open       create the directory (0700) and the database, or open
 *                    an existing one; refuses, without writing to it, a file
 *                    that is corrupt or belongs to something else
 *   store_begin / store_commit / store_rollback   one transaction per batch
 *                    (group commit); store_in_transaction says if one is open
 *                    (a failed rollback may leave it open)
 *   store_load       the stored shadow, or a missing one that remembers its
 *                    deleted version (forgotten after forget_deleted seconds)
 *   store_save       write an existing shadow
 *   store_mark_deleted   forget the document, remember the version
 *   store_list_named     the names of a thing's named shadows that exist,
 *                    bytewise sorted, after a given name, a page at a time;
 *                    read on a second connection: what is committed only
 *   store_outcome_put / store_outcome_get / store_outcome_prune /
 *   store_outcome_each   the first outcome of a write with a clientToken,
 *                    appended under the request's key, read back by row id
 *                    (the map from key to row is the caller's: seen.h),
 *                    pruned by age, all read at start
 *   store_outbox_add / store_outbox_done / store_outbox_each   answers kept
 *                    in the transaction of their request until the broker
 *                    has them; the ones left are read back at start
 *   store_secret     a named secret of random bytes, drawn at its first
 *                    use and kept (table meta), the same at every start
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
int store_rollback(struct store *st, char *err, size_t errlen);
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

/* An outcome's key: the SHA-256 of the request (request.c says of what). */
#define STORE_KEY_LEN 32

struct store_outcome {
	int code;                           /* 200, or the error's code */
	int msg;                            /* the answer's enum shadow_msg */
	char *answer;                       /* its JSON; get: malloc'd */
};

/* Row id with the key and not older than since: 1 and *out filled (free
 * out->answer); another key, older, or no such row: 0; or -1. */
int store_outcome_get(struct store *st, int64_t id,
    const unsigned char key[STORE_KEY_LEN], int64_t since,
    struct store_outcome *out, char *err, size_t errlen);
/* Appended; *id: its row. */
int store_outcome_put(struct store *st,
    const unsigned char key[STORE_KEY_LEN], int64_t now,
    const struct store_outcome *o, int64_t *id, char *err, size_t errlen);
/* Rows older than `before` go; *first_kept: every row left has an id at
 * least this. */
int store_outcome_prune(struct store *st, int64_t before,
    int64_t *first_kept, char *err, size_t errlen);
/* fn for each row since a time, in order; fn returning -1 stops it (out
 * of memory). */
int store_outcome_each(struct store *st, int64_t since, int (*fn)(void *ud,
    int64_t id, const unsigned char *key), void *ud, char *err,
    size_t errlen);

int store_outbox_add(struct store *st, const char *topic, const char *body,
    int64_t *id, char *err, size_t errlen);
int store_outbox_done(struct store *st, int64_t id, char *err,
    size_t errlen);
int store_outbox_each(struct store *st, void (*fn)(void *ud, int64_t id,
    const char *topic, const char *body), void *ud, char *err,
    size_t errlen);

/* The secret `name`, len bytes into out: the stored one, or, the first
 * time, len bytes from RAND_bytes stored in the same transaction. Not
 * inside a batch's transaction. */
int store_secret(struct store *st, const char *name, unsigned char *out,
    size_t len, char *err, size_t errlen);

#endif
