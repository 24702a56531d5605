/*
 * doc.h - the Device Shadow document rules (docs/PROTOCOL.md §2-§8), as a
 * pure library: json-c in, json-c out, no MQTT, no storage, no clock (the
 * caller passes `now`).
 *
 * Offers:
 *   doc_parse_update   validate an update payload: checks 1-11 of §3 (UTF-8
 *                      and JSON through json_read of json.h, then JSON
 *                      object, clientToken, version, state, sections, null
 *                      in arrays, depth) and the 128 KiB payload limit
 *   doc_read_token     the clientToken of a get/delete payload, if valid (§7)
 *   doc_shadow_*       the stored shadow: load from / save to a snapshot
 *   doc_apply_update   checks 12-13 (version, size), merge, metadata,
 *                      version; builds update/accepted, update/delta and
 *                      update/documents
 *   doc_get_accepted, doc_delete_accepted   the get and delete answers
 *   doc_error_*        error documents with the exact codes and texts
 *   doc_merge          the §4 merge of a patch into an object (null deletes,
 *                      objects recurse, the rest replaces, empties pruned)
 *   doc_delta          §6 delta of desired against reported (NULL if empty)
 *   doc_json_equal     deep equality, numbers by value (1 == 1.0)
 *   doc_depth          nesting depth as §3 counts it
 *   doc_compact_size   bytes of the compact serialisation
 *
 * Objects returned (answers, snapshots, the shadow's own state and
 * metadata) share subtrees with each other and with the request by
 * reference count: treat them as read-only, and use them from one thread
 * (json-c's reference counts are not atomic by default).
 */
#ifndef SHADOW_DOC_H
#define SHADOW_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define DOC_MAX_DEPTH 6
#define DOC_MAX_SIZE_DEFAULT 8192
#define DOC_MAX_PAYLOAD (128 * 1024)
#define DOC_MAX_TOKEN 64

/* Exact texts of §3 and §8. */
#define DOC_MSG_ENCODING "Unsupported documented encoding; supported encoding is UTF-8"
#define DOC_MSG_INVALID_JSON "Invalid JSON"
#define DOC_MSG_INVALID_TOKEN "Invalid clientToken"
#define DOC_MSG_INVALID_VERSION "Invalid version"
#define DOC_MSG_MISSING_STATE "Missing required node: state"
#define DOC_MSG_STATE_NOT_OBJECT "State node must be an object"
#define DOC_MSG_DESIRED_NOT_OBJECT "Desired node must be an object"
#define DOC_MSG_REPORTED_NOT_OBJECT "Reported node must be an object"
#define DOC_MSG_TOO_DEEP "JSON contains too many levels of nesting; maximum is 6"
#define DOC_MSG_VERSION_CONFLICT "Version conflict"
#define DOC_MSG_TOO_LARGE "The payload exceeds the maximum size allowed"
#define DOC_MSG_RATE "TOO_MANY_REQUESTS"
#define DOC_MSG_INTERNAL "Internal service failure"

struct doc_error {
	int code;                         /* 400, 404, 409, 413, 415, 429, 500 */
	char message[256];
	bool has_token;                   /* echo token in the error document */
	char token[DOC_MAX_TOKEN + 1];
};

struct doc_request {
	json_object *root;                /* owned; the whole parsed payload */
	json_object *state;               /* borrowed; NULL when "state":null */
	bool has_token;
	char token[DOC_MAX_TOKEN + 1];
	bool has_version;
	int64_t version;
};

/* The stored shadow. state and metadata are objects holding "desired" and
 * "reported" only when non-empty. When !exists, version is the remembered
 * deleted version (0 if none) and state/metadata are empty objects. */
struct doc_shadow {
	json_object *state;
	json_object *metadata;
	int64_t version;
	bool exists;
};

struct doc_update_result {
	json_object *accepted;            /* update/accepted */
	json_object *delta;               /* update/delta, NULL when no delta */
	json_object *documents;           /* update/documents */
};

/* 0 and *req filled, or -1 and *err filled (req left empty). */
int doc_parse_update(const void *payload, size_t len, struct doc_request *req,
    struct doc_error *err);
void doc_request_free(struct doc_request *req);

/* Token of a get/delete payload; false when absent or not valid. */
bool doc_read_token(const void *payload, size_t len,
    char token[DOC_MAX_TOKEN + 1]);

/* A missing shadow that remembers deleted_version (0 = none). */
void doc_shadow_init(struct doc_shadow *s, int64_t deleted_version);
/* Load the snapshot text {"state":..,"metadata":..,"version":V}. -1 if bad. */
int doc_shadow_load(struct doc_shadow *s, const char *snapshot);
/* New snapshot object {"state":..,"metadata":..,"version":V} (caller puts). */
json_object *doc_shadow_snapshot(const struct doc_shadow *s);
void doc_shadow_free(struct doc_shadow *s);

/* Checks 12 and 13, then applies. 0: s updated and *res filled (caller
 * calls doc_update_result_free). -1: s unchanged, *err filled. */
int doc_apply_update(struct doc_shadow *s, const struct doc_request *req,
    int64_t now, size_t max_size, struct doc_update_result *res,
    struct doc_error *err);
void doc_update_result_free(struct doc_update_result *res);

/* token may be NULL. */
json_object *doc_get_accepted(const struct doc_shadow *s, const char *token,
    int64_t now);
json_object *doc_delete_accepted(int64_t version, const char *token,
    int64_t now);

/* Fill err; token may be NULL. */
void doc_error_set(struct doc_error *err, int code, const char *message,
    const char *token);
/* 404 "No shadow exists with name: 'thing'" or 'thing~shadow'. */
void doc_error_not_found(struct doc_error *err, const char *thing,
    const char *shadow, const char *token);
/* {"code":..,"message":..,"timestamp":..,"clientToken":..}; no timestamp
 * on 404 and 409. */
json_object *doc_error_json(const struct doc_error *err, int64_t now);

/* Merge patch into *target (an object, may be NULL = empty) per §4;
 * *target becomes NULL when the result is empty. Patch is not modified. */
void doc_merge(json_object **target, json_object *patch);
/* Delta of desired against reported; new object or NULL when empty. */
json_object *doc_delta(json_object *desired, json_object *reported);
bool doc_json_equal(json_object *a, json_object *b);
int doc_depth(json_object *section);
size_t doc_compact_size(json_object *obj);

#endif
