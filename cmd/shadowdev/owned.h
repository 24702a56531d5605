/*
 * owned.h - the keys a device owns (--state KEY=VALUE, CLI.md shadowdev)
 * and what it does with each key of a delta.
 *
 * An owned key is a dotted path written as for shadowctl ("light.color";
 * "a\.b" for a literal dot, see assign.h). A path lies on an owned key or
 * inside one (OWNED), above one ("light" when "light.color" is owned:
 * ANCESTOR), or elsewhere (NONE). A delta is sorted by the model, not
 * acted on: the device loop applies, clears and logs.
 *
 * Offers:
 *   owned_new, owned_ref, owned_free   a set of owned keys (shared by
 *                      reference between the devices of a fleet)
 *   owned_add          add a dotted path
 *   owned_add_assignment  add the key of a KEY=VALUE / KEY:=JSON argument
 *   owned_count        how many keys
 *   owned_which        OWNED, ANCESTOR or NONE for a path of keys
 *   owned_split        sort a delta: owned and fresh (apply), owned and
 *                      older than max_age by its metadata (clear, expired),
 *                      not owned (ignored)
 *   owned_split_free   release what owned_split made
 */
#ifndef SHADOWDEV_OWNED_H
#define SHADOWDEV_OWNED_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* Deepest path the model follows into a delta. */
#define OWNED_PATH_MAX 16

enum owned_kind {
	OWNED_NONE,       /* no owned key at or below this path */
	OWNED_ANCESTOR,   /* an owned key lies below this path */
	OWNED_OWNED       /* this path is an owned key, or inside one */
};

struct owned;

/* A delta sorted by what the device does with each of its keys. */
struct owned_split {
	json_object *apply;     /* owned and fresh: to merge into the state */
	json_object *clear;     /* owned but expired: those paths set to null */
	json_object *expired;   /* dotted keys of clear (array of strings) */
	json_object *ignored;   /* dotted keys not owned (array of strings) */
	int64_t oldest;         /* desired timestamp of the oldest expired key */
};

struct owned *owned_new(void);
struct owned *owned_ref(struct owned *o);
void owned_free(struct owned *o);
int owned_add(struct owned *o, const char *path, char *err, size_t errlen);
int owned_add_assignment(struct owned *o, const char *arg, char *err,
    size_t errlen);
size_t owned_count(const struct owned *o);
enum owned_kind owned_which(const struct owned *o, const char *const *path,
    size_t n);
/*
 * meta: the delta's metadata (may be NULL); max_age 0: nothing expires;
 * now: seconds since the epoch. 0, or -1 when out of memory (sp freed).
 */
int owned_split(const struct owned *o, json_object *delta, json_object *meta,
    double max_age, int64_t now, struct owned_split *sp);
void owned_split_free(struct owned_split *sp);

#endif
