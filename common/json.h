/*
 * json.h - the one strict JSON reader: text in, a json-c value out.
 *
 * Every JSON the tools read (payloads from the broker, update documents,
 * --set values, the store's snapshots) goes through json_read. It accepts
 * exactly one RFC 8259 value: strict UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF), strict tokens (no NaN, Infinity, single quotes,
 * "1.", raw control characters, integers json-c would clamp or doubles
 * that overflow), at most JSON_MAX_DEPTH levels of nesting, and nothing but
 * white space after the value. The structure itself is json-c's, in strict
 * mode.
 *
 * Offers:
 *   json_read         parse a whole text; a status, the value, and where
 *                     and why it failed
 *   json_utf8_valid   the strict UTF-8 check alone
 *   JSON_MAX_DEPTH    the nesting json_read accepts
 */
#ifndef SHADOW_JSON_H
#define SHADOW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define JSON_MAX_DEPTH 64

enum json_status {
	JSON_OK = 0,
	JSON_ENCODING,        /* not strict UTF-8 */
	JSON_SYNTAX,          /* not exactly one JSON value (also: empty) */
	JSON_DEEP,            /* nested deeper than JSON_MAX_DEPTH */
	JSON_NOMEM            /* out of memory, or longer than json-c takes */
};

struct json_result {
	json_object *value;   /* JSON_OK: owned by the caller; NULL for null */
	size_t offset;        /* not JSON_OK: byte offset of the fault */
	const char *why;      /* not JSON_OK: what is wrong, for a message */
	bool member_out_of_range;  /* see range_member */
};

/*
 * Parse text[0..len). On JSON_OK res->value holds the value; otherwise it
 * is NULL and res->offset and res->why say where and what.
 *
 * range_member (may be NULL) names a member of a top-level object whose
 * number the caller validates itself: a number out of range there is not a
 * syntax error, res->member_out_of_range says so instead (the update
 * document's "version", which gets its own error).
 */
enum json_status json_read(const void *text, size_t len,
    const char *range_member, struct json_result *res);

bool json_utf8_valid(const void *buf, size_t len);

#endif
