/*
 * route.c - the HTTP face's routes, paths and queries (route.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json.h"
#include "route.h"
#include "topic.h"

#define MSG_QUERY "Invalid percent-encoding in the query"
#define MSG_QUERY_NAME "Invalid query parameter name: no NUL (%00)"
#define NO_ROUTE_METHOD_MAX 64          /* bytes of the method's text */
#define NO_ROUTE_PATH_MAX 200           /* bytes of the path's text */

/*
 * A query parameter route.c reads, percent-decoded. A value that can't be
 * one of the parameter's (longer than any of them, or holding a NUL) is
 * `invalid`, and refused with that parameter's own text.
 */
struct param {
	char name[32];
	char value[512];
	bool seen;
	bool invalid;
};

/* -1, with the answer in r. */
static int
refuse(struct route *r, int status, const char *message, const char *allow)
{
	r->status = status;
	r->allow = allow;
	snprintf(r->message, sizeof(r->message), "%s", message);
	return -1;
}

/* Whether each '%' of s[0..n) starts an escape of two hex digits; *nul
 * tells whether one of them is %00. */
static bool
escapes_valid(const char *s, size_t n, bool *nul)
{
	size_t i = 0;
	int c;

	*nul = false;
	while (i < n) {
		if ((c = percent_next(s, n, &i)) < 0)
			return false;
		if (c == 0)
			*nul = true;
	}
	return true;
}

/* Whether s[0..n), well percent-encoded, decodes to exactly want. */
static bool
decodes_to(const char *s, size_t n, const char *want)
{
	size_t i = 0;

	for (; i < n; want++)
		if (*want == '\0' ||
		    percent_next(s, n, &i) != (unsigned char)*want)
			return false;
	return *want == '\0';
}

/*
 * Read the query: every name and value must be well percent-encoded and
 * no name may decode to hold a NUL, whether route.c reads the parameter or
 * not; the first of each wanted name is decoded into p, the others are
 * ignored whatever their length. -1 with the answer in r.
 */
static int
query_parse(const char *query, struct param *p, size_t np, struct route *r)
{
	const char *s = query, *amp, *eq, *val;
	size_t klen, vlen, i, dlen;
	bool name_nul, val_nul;

	while (s != NULL && *s != '\0') {
		amp = strchr(s, '&');
		klen = amp ? (size_t)(amp - s) : strlen(s);
		eq = memchr(s, '=', klen);
		val = eq ? eq + 1 : "";
		vlen = eq ? klen - (size_t)(eq - s) - 1 : 0;
		if (eq != NULL)
			klen = (size_t)(eq - s);
		if (!escapes_valid(s, klen, &name_nul))
			return refuse(r, 400, MSG_QUERY, NULL);
		if (name_nul)
			return refuse(r, 400, MSG_QUERY_NAME, NULL);
		if (!escapes_valid(val, vlen, &val_nul))
			return refuse(r, 400, MSG_QUERY, NULL);
		for (i = 0; i < np; i++) {
			if (p[i].seen || !decodes_to(s, klen, p[i].name))
				continue;
			p[i].seen = true;
			if (val_nul || percent_decode(val, vlen, p[i].value,
			    sizeof(p[i].value), &dlen) == -1) {
				p[i].invalid = true;
				p[i].value[0] = '\0';
			}
		}
		s = amp ? amp + 1 : NULL;
	}
	return 0;
}

static int
shadow_route(const char *method, const char *query, struct route *r)
{
	struct param p[] = { { .name = "name" } };

	if (strcmp(method, "GET") == 0)
		r->msg = SHADOW_MSG_GET;
	else if (strcmp(method, "POST") == 0)
		r->msg = SHADOW_MSG_UPDATE;
	else if (strcmp(method, "DELETE") == 0)
		r->msg = SHADOW_MSG_DELETE;
	else
		return refuse(r, 405, "Method not allowed; this path takes "
		    "GET, POST and DELETE", "GET, POST, DELETE");
	if (query_parse(query, p, 1, r) == -1)
		return -1;
	if (p[0].seen && (p[0].invalid ||
	    !shadow_name_valid(p[0].value, strlen(p[0].value))))
		return refuse(r, 400, "Invalid shadow name: 1 to 64 of "
		    "A-Z a-z 0-9 : _ - $", NULL);
	if (p[0].seen) {
		r->named = true;
		memcpy(r->shadow, p[0].value, strlen(p[0].value) + 1);
	}
	r->op = ROUTE_SHADOW;
	return 0;
}

static int
page_size(const struct param *p, struct route *r)
{
	char *end;
	long n;

	if (!p->seen) {
		r->page_size = ROUTE_PAGE_SIZE_DEFAULT;
		return 0;
	}
	errno = 0;
	n = strtol(p->value, &end, 10);
	if (p->invalid || p->value[0] < '0' || p->value[0] > '9' ||
	    *end != '\0' || errno != 0 || n < 1 || n > ROUTE_PAGE_SIZE_MAX)
		return refuse(r, 400, "Invalid pageSize: an integer from 1 "
		    "to 100", NULL);
	r->page_size = (int)n;
	return 0;
}

/* The form of a nextToken, hex(name) "." hex(MAC): the name into after,
 * the MAC as sent into token_mac; -1 when it has another form. */
static int
token_parse(const char *token, struct route *r)
{
	const char *dot = strchr(token, '.');
	size_t hl, i;
	int hi, lo;

	if (dot == NULL || (hl = (size_t)(dot - token)) % 2 != 0 ||
	    hl == 0 || hl / 2 > SHADOW_NAME_MAX ||
	    strlen(dot + 1) != 2 * ROUTE_TOKEN_MAC_LEN)
		return -1;
	for (i = 0; i < hl / 2; i++) {
		if ((hi = hex_value(token[2 * i])) < 0 ||
		    (lo = hex_value(token[2 * i + 1])) < 0)
			return -1;
		r->after[i] = (char)(hi * 16 + lo);
	}
	r->after[hl / 2] = '\0';
	if (!shadow_name_valid(r->after, hl / 2))
		return -1;
	memcpy(r->token_mac, dot + 1, sizeof(r->token_mac));
	r->token = true;
	return 0;
}

static int
list_route(const char *method, const char *query, struct route *r)
{
	struct param p[] = { { .name = "nextToken" }, { .name = "pageSize" } };

	if (strcmp(method, "GET") != 0)
		return refuse(r, 405, "Method not allowed; this path takes GET",
		    "GET");
	if (query_parse(query, p, 2, r) == -1)
		return -1;
	if (page_size(&p[1], r) == -1)
		return -1;
	if (p[0].seen && (p[0].invalid || token_parse(p[0].value, r) == -1)) {
		r->token = false;
		r->after[0] = '\0';
		return refuse(r, 400, "Invalid nextToken", NULL);
	}
	r->op = ROUTE_LIST;
	return 0;
}

static bool
publish_topic_valid(const char *topic, size_t len)
{
	size_t i, levels = 0;

	if (len == 0 || len > ROUTE_TOPIC_MAX || strlen(topic) != len ||
	    !json_utf8_valid(topic, len))
		return false;
	for (i = 0; i < len; i++) {
		if (topic[i] == '+' || topic[i] == '#')
			return false;
		if (topic[i] == '/' && ++levels > ROUTE_TOPIC_LEVELS)
			return false;
	}
	return true;
}

static int
publish_options(const char *query, struct route *r)
{
	struct param p[] = { { .name = "qos" }, { .name = "retain" } };

	if (query_parse(query, p, 2, r) == -1)
		return -1;
	if (p[0].seen && (p[0].invalid || (strcmp(p[0].value, "0") != 0 &&
	    strcmp(p[0].value, "1") != 0)))
		return refuse(r, 400, "Invalid qos: 0 or 1", NULL);
	r->qos = p[0].seen && strcmp(p[0].value, "1") == 0 ? 1 : 0;
	if (p[1].seen && (p[1].invalid || (strcmp(p[1].value, "false") != 0 &&
	    strcmp(p[1].value, "true") != 0)))
		return refuse(r, 400, "Invalid retain: true or false", NULL);
	r->retain = p[1].seen && strcmp(p[1].value, "true") == 0;
	return 0;
}

static int
publish_route(const char *method, const char *raw_topic, const char *query,
    struct route *r)
{
	if (strcmp(method, "POST") != 0)
		return refuse(r, 405, "Method not allowed; this path takes "
		    "POST", "POST");
	if (percent_decode(raw_topic, strlen(raw_topic), r->topic,
	    sizeof(r->topic), &r->topic_len) == -1 ||
	    !publish_topic_valid(r->topic, r->topic_len)) {
		r->topic[0] = '\0';
		r->topic_len = 0;
		return refuse(r, 400, "Invalid topic: 1 to 256 bytes of UTF-8, "
		    "at most 7 '/', no '+' or '#'", NULL);
	}
	if (publish_options(query, r) == -1)
		return -1;
	r->op = ROUTE_PUBLISH;
	return 0;
}

/* The thing of PREFIX T SUFFIX (suffix may be ""), T without '/', decoded
 * into r->thing: 1 no match, 0 match, -1 match refused 400. */
static int
match_thing(const char *path, const char *prefix, const char *suffix,
    struct route *r)
{
	const char *start, *end;
	size_t pl = strlen(prefix), sl = strlen(suffix), n, len;

	if (strncmp(path, prefix, pl) != 0)
		return 1;
	start = path + pl;
	n = strlen(start);
	if (n <= sl || strcmp(start + n - sl, suffix) != 0)
		return 1;
	end = start + n - sl;
	if (memchr(start, '/', (size_t)(end - start)) != NULL)
		return 1;
	if (percent_decode(start, (size_t)(end - start), r->thing,
	    sizeof(r->thing), &len) == -1 ||
	    !shadow_thing_name_valid(r->thing, len)) {
		r->thing[0] = '\0';
		return refuse(r, 400, "Invalid thing name: 1 to 128 of "
		    "A-Z a-z 0-9 : _ -", NULL);
	}
	return 0;
}

/*
 * Append s to r->message as printable ASCII: each byte outside '!' to '~'
 * is written %XX (uppercase), so the text is valid UTF-8 whatever bytes
 * came; at most max bytes are appended, never part of an escape.
 */
static void
message_append(struct route *r, size_t *off, const char *s, size_t max)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char c;
	size_t end = *off + max;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= '!' && c <= '~') {
			if (*off + 1 > end)
				break;
			r->message[(*off)++] = (char)c;
			continue;
		}
		if (*off + 3 > end)
			break;
		r->message[(*off)++] = '%';
		r->message[(*off)++] = digits[c >> 4];
		r->message[(*off)++] = digits[c & 15];
	}
	r->message[*off] = '\0';
}

/* 404 "No route for METHOD PATH", both as message_append writes them. */
static int
no_route(const char *method, const char *path, struct route *r)
{
	static const char head[] = "No route for ";
	size_t off = sizeof(head) - 1;

	_Static_assert(sizeof(head) + NO_ROUTE_METHOD_MAX + 1 +
	    NO_ROUTE_PATH_MAX <= ROUTE_MESSAGE_MAX, "message too small");
	memcpy(r->message, head, off);
	message_append(r, &off, method, NO_ROUTE_METHOD_MAX);
	r->message[off++] = ' ';
	message_append(r, &off, path, NO_ROUTE_PATH_MAX);
	r->status = 404;
	r->allow = NULL;
	return -1;
}

int
route_parse(const char *method, const char *path, const char *query,
    struct route *r)
{
	int m;

	memset(r, 0, sizeof(*r));
	if ((m = match_thing(path, "/things/", "/shadow", r)) != 1)
		return m == 0 ? shadow_route(method, query, r) : -1;
	if ((m = match_thing(path,
	    "/api/things/shadow/ListNamedShadowsForThing/", "", r)) != 1)
		return m == 0 ? list_route(method, query, r) : -1;
	if (strncmp(path, "/topics/", 8) == 0)
		return publish_route(method, path + 8, query, r);
	return no_route(method, path, r);
}
