/*
 * route.h - the routes of shadowd's HTTP face read from a request as it
 * came on the wire (dataplane.h): method, path and query in; the
 * operation, its thing and its decoded query parameters out, or the exact
 * 4xx answer. It needs no HTTP server, store or key, so dataplane.c,
 * test_route and fuzz_route call the same code.
 *
 * Offers:
 *   route_parse  method, path and query (neither percent-decoded; query
 *                NULL when the target has no '?') into a struct route:
 *                0, or -1 with status (400, 404 or 405), message (the
 *                text of docs/PROTOCOL.md §12, always printable ASCII: a
 *                404 writes the method's and path's other bytes %XX) and
 *                allow (405 only, the Allow header) set. Every query
 *                parameter must be well percent-encoded, with no NUL in
 *                its name; the ones a route does not read are otherwise
 *                ignored. A nextToken is checked for its form only: the
 *                MAC that binds it to the thing is dataplane.c's to
 *                check, with the key it holds.
 */
#ifndef SHADOWD_ROUTE_H
#define SHADOWD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "topic.h"

#define ROUTE_PAGE_SIZE_DEFAULT 25
#define ROUTE_PAGE_SIZE_MAX 100
#define ROUTE_TOKEN_MAC_LEN 16          /* bytes of a nextToken's MAC */
#define ROUTE_TOPIC_MAX 256             /* bytes of a Publish topic */
#define ROUTE_TOPIC_LEVELS 7            /* '/' in a Publish topic, at most */
#define ROUTE_MESSAGE_MAX 300

enum route_op {
	ROUTE_SHADOW,        /* /things/T/shadow */
	ROUTE_LIST,          /* /api/things/shadow/ListNamedShadowsForThing/T */
	ROUTE_PUBLISH        /* /topics/TOPIC */
};

struct route {
	enum route_op op;
	/* ROUTE_SHADOW and ROUTE_LIST: the decoded, valid thing name */
	char thing[SHADOW_THING_MAX + 1];
	/* ROUTE_SHADOW */
	enum shadow_msg msg;            /* GET, UPDATE or DELETE */
	bool named;                     /* name= given */
	char shadow[SHADOW_NAME_MAX + 1];       /* "" when not named */
	/* ROUTE_LIST */
	int page_size;
	bool token;                     /* nextToken= given */
	char after[SHADOW_NAME_MAX + 1];        /* the name it continues after */
	char token_mac[2 * ROUTE_TOKEN_MAC_LEN + 1];    /* as sent */
	/* ROUTE_PUBLISH: the decoded topic, QoS 0 or 1, retain flag */
	char topic[ROUTE_TOPIC_MAX + 1];
	size_t topic_len;
	int qos;
	bool retain;
	/* route_parse() == -1 */
	int status;
	const char *allow;
	char message[ROUTE_MESSAGE_MAX];
};

int route_parse(const char *method, const char *path, const char *query,
    struct route *r);

#endif
