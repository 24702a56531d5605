/*
 * topic.h - AWS IoT Device Shadow topic names, without allocating.
 *
 * Offers:
 *   shadow_thing_name_valid / shadow_name_valid   name rules
 *                          (docs/PROTOCOL.md §1)
 *   shadow_topic_build     write "$aws/things/T/shadow[/name/S]/<msg>" into
 *                          the caller's buffer; TOPIC_TOO_SMALL if it won't fit
 *   shadow_topic_filter    the same for a subscription filter ending in "/#"
 *                          or in an operation ("/update/#")
 *   shadow_topic_match     split a topic into thing, shadow and message type,
 *                          as pointers and lengths into the topic
 *   shadow_topic_is        a matched topic names this thing and shadow
 *   shadow_msg_name        "update/delta" for SHADOW_MSG_UPDATE_DELTA
 *   shadow_msg_is_request  true for get, update, delete
 *   shadow_msg_accepted / shadow_msg_rejected   the answers to a request
 */
#ifndef SHADOW_TOPIC_H
#define SHADOW_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#define SHADOW_THING_MAX 128
#define SHADOW_NAME_MAX 64
/* Longest topic: prefix + 128 + "/shadow/name/" + 64 + "/update/documents". */
#define SHADOW_TOPIC_MAX 256

enum shadow_msg {
	SHADOW_MSG_GET,
	SHADOW_MSG_GET_ACCEPTED,
	SHADOW_MSG_GET_REJECTED,
	SHADOW_MSG_UPDATE,
	SHADOW_MSG_UPDATE_ACCEPTED,
	SHADOW_MSG_UPDATE_REJECTED,
	SHADOW_MSG_UPDATE_DELTA,
	SHADOW_MSG_UPDATE_DOCUMENTS,
	SHADOW_MSG_DELETE,
	SHADOW_MSG_DELETE_ACCEPTED,
	SHADOW_MSG_DELETE_REJECTED,
	SHADOW_MSG_COUNT
};

enum topic_status {
	TOPIC_OK = 0,
	TOPIC_TOO_SMALL,      /* build: buffer too small */
	TOPIC_BAD_THING,      /* thing name breaks the rules */
	TOPIC_BAD_SHADOW,     /* shadow name breaks the rules */
	TOPIC_NOT_SHADOW,     /* not "$aws/things/<x>/shadow/..." */
	TOPIC_BAD_MSG,        /* shadow root, but no known message type */
	TOPIC_BAD_ARG         /* NULL argument */
};

struct shadow_topic {
	const char *thing;    /* points into the matched topic */
	size_t thing_len;
	const char *shadow;   /* NULL for the classic shadow */
	size_t shadow_len;
	enum shadow_msg msg;
};

bool shadow_thing_name_valid(const char *name, size_t len);
bool shadow_name_valid(const char *name, size_t len);

/* shadow may be NULL (classic). *len (may be NULL) gets strlen of result. */
enum topic_status shadow_topic_build(char *buf, size_t size, const char *thing,
    const char *shadow, enum shadow_msg msg, size_t *len);

/*
 * Subscription filter for one shadow. what: NULL for ".../#" (everything
 * under the shadow root), or a string appended after the root, e.g.
 * "update/delta" or "get/+". thing may be "+" for all things, shadow may be
 * "+" for all named shadows.
 */
enum topic_status shadow_topic_filter(char *buf, size_t size, const char *thing,
    const char *shadow, const char *what, size_t *len);

enum topic_status shadow_topic_match(const char *topic, size_t len,
    struct shadow_topic *out);

/* t (from shadow_topic_match) is about thing and shadow (NULL: classic). */
bool shadow_topic_is(const struct shadow_topic *t, const char *thing,
    const char *shadow);

const char *shadow_msg_name(enum shadow_msg msg);
bool shadow_msg_is_request(enum shadow_msg msg);
/* GET -> GET_ACCEPTED etc.; SHADOW_MSG_COUNT for a message that is no request. */
enum shadow_msg shadow_msg_accepted(enum shadow_msg request);
enum shadow_msg shadow_msg_rejected(enum shadow_msg request);

#endif
