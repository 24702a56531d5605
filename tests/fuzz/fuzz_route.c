/*
 * fuzz_route - shadowd's HTTP routes (cmd/shadowd/route.c) on arbitrary
 * bytes: the first line is the method ("GET" when there is no newline),
 * the rest the request target, split at its first '?' into path and query
 * as http.c splits it (no '?': no query). Each string is parsed from a
 * heap copy of exactly its size, so a read past its end is an ASan report.
 *
 * Checked against a plain reading of docs/PROTOCOL.md §12: which route a
 * path names; a refusal's status, Allow header and text are the ones that
 * route documents, in the documented order (thing name, then method, then
 * the query's form, then its parameters), the text printable ASCII; a
 * query is refused when any name or value, read or not, is badly
 * percent-encoded or a name holds a NUL, and otherwise its parameters are
 * the first of each name compared byte for byte after decoding; a parsed
 * thing, shadow name, nextToken name and topic are valid, hold no NUL and
 * are what the path and query said; page size, qos and retain are in range
 * and are what the query said. A parsed request rebuilt from its result
 * (every string percent-encoded) parses to the same result.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json.h"
#include "require.h"
#include "route.h"
#include "topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FR_LIST_PREFIX "/api/things/shadow/ListNamedShadowsForThing/"

/* What a path names, read with lengths rather than route.c's matching. */
enum fr_kind { FR_NONE, FR_SHADOW, FR_LIST, FR_PUBLISH };

struct fr_ref {
	enum fr_kind kind;
	const char *raw;                /* the thing or topic as sent */
	size_t raw_len;
};

static const char *const fr_msg_thing =
    "Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -";
static const char *const fr_msg_shadow =
    "Invalid shadow name: 1 to 64 of A-Z a-z 0-9 : _ - $";
static const char *const fr_msg_query =
    "Invalid percent-encoding in the query";
static const char *const fr_msg_qname =
    "Invalid query parameter name: no NUL (%00)";
static const char *const fr_msg_page =
    "Invalid pageSize: an integer from 1 to 100";
static const char *const fr_msg_token = "Invalid nextToken";
static const char *const fr_msg_qos = "Invalid qos: 0 or 1";
static const char *const fr_msg_retain = "Invalid retain: true or false";
static const char *const fr_msg_topic =
    "Invalid topic: 1 to 256 bytes of UTF-8, at most 7 '/', no '+' or '#'";

static bool
fr_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static struct fr_ref
fr_classify(const char *path)
{
	struct fr_ref ref = { FR_NONE, NULL, 0 };
	size_t len = strlen(path), pl;

	pl = strlen("/things/");
	if (fr_starts(path, "/things/") && len > pl + strlen("/shadow") &&
	    strcmp(path + len - strlen("/shadow"), "/shadow") == 0) {
		ref.raw = path + pl;
		ref.raw_len = len - pl - strlen("/shadow");
		if (memchr(ref.raw, '/', ref.raw_len) == NULL) {
			ref.kind = FR_SHADOW;
			return ref;
		}
	}
	pl = strlen(FR_LIST_PREFIX);
	if (fr_starts(path, FR_LIST_PREFIX) && len > pl &&
	    strchr(path + pl, '/') == NULL) {
		ref.kind = FR_LIST;
		ref.raw = path + pl;
		ref.raw_len = len - pl;
		return ref;
	}
	if (fr_starts(path, "/topics/")) {
		ref.kind = FR_PUBLISH;
		ref.raw = path + strlen("/topics/");
		ref.raw_len = len - strlen("/topics/");
		return ref;
	}
	ref.kind = FR_NONE;
	return ref;
}

/* %XX decoding of n bytes into a malloc'd buffer; NULL on a bad escape. */
static char *
fr_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	REQUIRE(out != NULL);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (n - i < 3 || (hi = hex_value(s[i + 1])) < 0 ||
		    (lo = hex_value(s[i + 2])) < 0) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static bool
fr_name_ok(const char *s, size_t n, size_t max, bool dollar)
{
	size_t i;
	unsigned char c;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
		    c == '-' || (dollar && c == '$')))
			return false;
	}
	return true;
}

static bool
fr_topic_ok(const char *s, size_t n)
{
	size_t i, slashes = 0;

	if (n == 0 || n > ROUTE_TOPIC_MAX || memchr(s, '\0', n) != NULL ||
	    !json_utf8_valid(s, n))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '+' || s[i] == '#')
			return false;
		if (s[i] == '/')
			slashes++;
	}
	return slashes <= ROUTE_TOPIC_LEVELS;
}

/* One parameter of a query, from s to the next '&' or the end: its name
 * and value decoded (malloc'd; NULL on a bad escape); *next, the rest. */
static void
fr_param(const char *s, const char **next, char **k, size_t *kn, char **v,
    size_t *vn)
{
	const char *end = s + strcspn(s, "&"), *eq;

	eq = memchr(s, '=', (size_t)(end - s));
	*k = fr_decode(s, (size_t)((eq ? eq : end) - s), kn);
	*v = fr_decode(eq ? eq + 1 : "", eq ? (size_t)(end - eq - 1) : 0, vn);
	*next = *end == '&' ? end + 1 : NULL;
}

/* The first fault of the query's form, or NULL: a name or value with a
 * bad escape, or a name holding a NUL, whatever the parameter. */
static const char *
fr_query_fault(const char *query)
{
	const char *s = query, *fault = NULL;
	char *k, *v;
	size_t kn, vn;

	while (s != NULL && fault == NULL) {
		fr_param(s, &s, &k, &kn, &v, &vn);
		if (k == NULL)
			fault = fr_msg_query;
		else if (memchr(k, '\0', kn) != NULL)
			fault = fr_msg_qname;
		else if (v == NULL)
			fault = fr_msg_query;
		free(k);
		free(v);
	}
	return fault;
}

/* The decoded value of the first parameter named name in a query of good
 * form (malloc'd), or NULL when there is none. */
static char *
fr_first(const char *query, const char *name, size_t *vn)
{
	const char *s = query;
	char *k, *v;
	size_t kn;
	bool match;

	while (s != NULL) {
		fr_param(s, &s, &k, &kn, &v, vn);
		REQUIRE(k != NULL && v != NULL);
		match = kn == strlen(name) && memcmp(k, name, kn) == 0;
		free(k);
		if (match)
			return v;
		free(v);
	}
	return NULL;
}

/* A pageSize value: digits only, 1 to 100 (leading zeros allowed), at
 * most 511 bytes as every value route.c reads. */
static bool
fr_page_ok(const char *v, size_t n)
{
	size_t i;
	int val = 0;

	if (n == 0 || n > 511)
		return false;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		if (val <= ROUTE_PAGE_SIZE_MAX)
			val = val * 10 + (v[i] - '0');
	}
	return val >= 1 && val <= ROUTE_PAGE_SIZE_MAX;
}

static bool
fr_value_is(const char *v, size_t n, const char *want)
{
	return v != NULL && n == strlen(want) && memcmp(v, want, n) == 0;
}

/* The 404 text: method and path as printable ASCII, each byte outside
 * '!' to '~' written %XX, cut at 64 and 200 bytes between characters. */
static void
fr_printable(char *out, size_t size, const char *s, size_t max)
{
	size_t o = strlen(out), end = o + max;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x21 && c <= 0x7e) {
			if (o + 1 > end)
				break;
			REQUIRE(o + 1 < size);
			out[o++] = (char)c;
		} else {
			if (o + 3 > end)
				break;
			REQUIRE(o + 3 < size);
			snprintf(out + o, size - o, "%%%02X", c);
			o += 3;
		}
	}
	out[o] = '\0';
}

/* The raw thing of a SHADOW or LIST path, decoded: valid or not. */
static bool
fr_thing_ok(const struct fr_ref *ref, char **decoded)
{
	size_t n;

	*decoded = fr_decode(ref->raw, ref->raw_len, &n);
	return *decoded != NULL && fr_name_ok(*decoded, n, SHADOW_THING_MAX,
	    false);
}

static bool
fr_method_ok(enum fr_kind kind, const char *method)
{
	switch (kind) {
	case FR_SHADOW:
		return strcmp(method, "GET") == 0 ||
		    strcmp(method, "POST") == 0 ||
		    strcmp(method, "DELETE") == 0;
	case FR_LIST:
		return strcmp(method, "GET") == 0;
	case FR_PUBLISH:
		return strcmp(method, "POST") == 0;
	case FR_NONE:
		break;
	}
	return false;
}

static bool
fr_is(const char *got, const char *want)
{
	return strcmp(got, want) == 0;
}

static void
fr_check_refusal(const char *method, const char *path, const char *query,
    const struct fr_ref *ref, const struct route *r)
{
	char want[ROUTE_MESSAGE_MAX], *thing = NULL, *topic = NULL;
	char *v1 = NULL, *v2 = NULL;
	const char *m = r->message, *fault = fr_query_fault(query);
	bool thing_ok = false;
	size_t tlen, n1 = 0, n2 = 0, i;

	REQUIRE(memchr(m, '\0', sizeof(r->message)) != NULL);
	REQUIRE(json_utf8_valid(m, strlen(m)));
	for (i = 0; m[i] != '\0'; i++)
		REQUIRE(m[i] >= ' ' && m[i] <= '~');
	REQUIRE((r->allow != NULL) == (r->status == 405));
	if (ref->kind == FR_SHADOW || ref->kind == FR_LIST)
		thing_ok = fr_thing_ok(ref, &thing);
	switch (ref->kind) {
	case FR_NONE:
		REQUIRE(r->status == 404);
		snprintf(want, sizeof(want), "No route for ");
		fr_printable(want, sizeof(want), method, 64);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), " ");
		fr_printable(want, sizeof(want), path, 200);
		REQUIRE(fr_is(m, want));
		break;
	case FR_SHADOW:
		if (!thing_ok) {
			REQUIRE(r->status == 400 && fr_is(m, fr_msg_thing));
		} else if (!fr_method_ok(ref->kind, method)) {
			REQUIRE(r->status == 405 && fr_is(m, "Method not "
			    "allowed; this path takes GET, POST and DELETE") &&
			    fr_is(r->allow, "GET, POST, DELETE"));
		} else if (fault != NULL) {
			REQUIRE(r->status == 400 && fr_is(m, fault));
		} else {
			/* the first name= is not a shadow name */
			v1 = fr_first(query, "name", &n1);
			REQUIRE(v1 != NULL && !fr_name_ok(v1, n1,
			    SHADOW_NAME_MAX, true));
			REQUIRE(r->status == 400 && fr_is(m, fr_msg_shadow));
		}
		break;
	case FR_LIST:
		if (!thing_ok) {
			REQUIRE(r->status == 400 && fr_is(m, fr_msg_thing));
		} else if (!fr_method_ok(ref->kind, method)) {
			REQUIRE(r->status == 405 && fr_is(m, "Method not "
			    "allowed; this path takes GET") &&
			    fr_is(r->allow, "GET"));
		} else if (fault != NULL) {
			REQUIRE(r->status == 400 && fr_is(m, fault));
		} else {
			/* pageSize is checked first, then nextToken's form */
			v1 = fr_first(query, "pageSize", &n1);
			v2 = fr_first(query, "nextToken", &n2);
			REQUIRE(r->status == 400);
			if (v1 != NULL && !fr_page_ok(v1, n1))
				REQUIRE(fr_is(m, fr_msg_page));
			else
				REQUIRE(v2 != NULL && fr_is(m, fr_msg_token));
		}
		break;
	case FR_PUBLISH:
		if (!fr_method_ok(ref->kind, method)) {
			REQUIRE(r->status == 405 && fr_is(m, "Method not "
			    "allowed; this path takes POST") &&
			    fr_is(r->allow, "POST"));
			break;
		}
		REQUIRE(r->status == 400);
		topic = fr_decode(ref->raw, ref->raw_len, &tlen);
		if (topic == NULL || !fr_topic_ok(topic, tlen)) {
			REQUIRE(fr_is(m, fr_msg_topic));
			break;
		}
		if (fault != NULL) {
			REQUIRE(fr_is(m, fault));
			break;
		}
		v1 = fr_first(query, "qos", &n1);
		v2 = fr_first(query, "retain", &n2);
		if (v1 != NULL && !fr_value_is(v1, n1, "0") &&
		    !fr_value_is(v1, n1, "1"))
			REQUIRE(fr_is(m, fr_msg_qos));
		else
			REQUIRE(v2 != NULL && !fr_value_is(v2, n2, "true") &&
			    !fr_value_is(v2, n2, "false") &&
			    fr_is(m, fr_msg_retain));
		break;
	}
	free(thing);
	free(topic);
	free(v1);
	free(v2);
}

/* A malloc'd copy of exactly strlen(s) + 1 bytes; NULL stays NULL. */
static char *
fr_exact(const char *s)
{
	char *d;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	d = malloc(n + 1);
	REQUIRE(d != NULL);
	memcpy(d, s, n + 1);
	return d;
}

static int
fr_parse(const char *method, const char *path, const char *query,
    struct route *r)
{
	char *m = fr_exact(method), *p = fr_exact(path), *q = fr_exact(query);
	int rc;

	rc = route_parse(m, p, q, r);
	REQUIRE(rc == 0 || rc == -1);
	free(m);
	free(p);
	free(q);
	return rc;
}

static char *
fr_encode(const char *s)
{
	size_t size = 3 * strlen(s) + 1;
	char *out = malloc(size);

	REQUIRE(out != NULL);
	REQUIRE(percent_encode(s, out, size) == 0);
	return out;
}

/* The same request as r, written afresh with every string encoded. */
static void
fr_rebuild(const struct route *r, char *method, size_t msize, char *path,
    size_t psize, char *query, size_t qsize)
{
	char *a, *b, token[2 * SHADOW_NAME_MAX + 2 + 2 * ROUTE_TOKEN_MAC_LEN];
	size_t n;

	switch (r->op) {
	case ROUTE_SHADOW:
		snprintf(method, msize, "%s", r->msg == SHADOW_MSG_GET ? "GET" :
		    r->msg == SHADOW_MSG_UPDATE ? "POST" : "DELETE");
		a = fr_encode(r->thing);
		b = fr_encode(r->shadow);
		snprintf(path, psize, "/things/%s/shadow", a);
		snprintf(query, qsize, "%s%s", r->named ? "name=" : "",
		    r->named ? b : "");
		break;
	case ROUTE_LIST:
		snprintf(method, msize, "GET");
		a = fr_encode(r->thing);
		n = strlen(r->after);
		hex_encode((const unsigned char *)r->after, n, token);
		snprintf(token + 2 * n, sizeof(token) - 2 * n, ".%s",
		    r->token_mac);
		b = fr_encode(token);
		snprintf(path, psize, FR_LIST_PREFIX "%s", a);
		snprintf(query, qsize, "pageSize=%d%s%s", r->page_size,
		    r->token ? "&nextToken=" : "", r->token ? b : "");
		break;
	case ROUTE_PUBLISH:
	default:
		snprintf(method, msize, "POST");
		a = fr_encode(r->topic);
		b = NULL;
		snprintf(path, psize, "/topics/%s", a);
		snprintf(query, qsize, "retain=%s&qos=%d",
		    r->retain ? "true" : "false", r->qos);
		break;
	}
	free(a);
	free(b);
}

static void
fr_check_parsed(const char *method, const char *sent_query,
    const struct fr_ref *ref, const struct route *r)
{
	char *decoded = NULL, m[16], path[1024], query[1024], *v;
	struct route again;
	size_t n, vn;

	/* the query was of good form; its first parameters are the result */
	REQUIRE(fr_query_fault(sent_query) == NULL);
	switch (r->op) {
	case ROUTE_SHADOW:
		v = fr_first(sent_query, "name", &vn);
		REQUIRE(r->named == (v != NULL));
		REQUIRE(v == NULL || (vn == strlen(r->shadow) &&
		    memcmp(v, r->shadow, vn) == 0));
		free(v);
		break;
	case ROUTE_LIST:
		v = fr_first(sent_query, "pageSize", &vn);
		REQUIRE(v == NULL ? r->page_size == ROUTE_PAGE_SIZE_DEFAULT :
		    fr_page_ok(v, vn) && r->page_size == atoi(v));
		free(v);
		v = fr_first(sent_query, "nextToken", &vn);
		REQUIRE(r->token == (v != NULL));
		REQUIRE(v == NULL || (vn == 2 * strlen(r->after) + 1 +
		    2 * ROUTE_TOKEN_MAC_LEN && v[2 * strlen(r->after)] == '.' &&
		    fr_is(v + vn - 2 * ROUTE_TOKEN_MAC_LEN, r->token_mac)));
		free(v);
		break;
	case ROUTE_PUBLISH:
		v = fr_first(sent_query, "qos", &vn);
		REQUIRE(r->qos == (fr_value_is(v, vn, "1") ? 1 : 0));
		REQUIRE(v == NULL || fr_value_is(v, vn, "0") ||
		    fr_value_is(v, vn, "1"));
		free(v);
		v = fr_first(sent_query, "retain", &vn);
		REQUIRE(r->retain == fr_value_is(v, vn, "true"));
		REQUIRE(v == NULL || fr_value_is(v, vn, "true") ||
		    fr_value_is(v, vn, "false"));
		free(v);
		break;
	}

	switch (r->op) {
	case ROUTE_SHADOW:
	case ROUTE_LIST:
		REQUIRE(ref->kind == (r->op == ROUTE_SHADOW ? FR_SHADOW :
		    FR_LIST));
		REQUIRE(memchr(r->thing, '\0', sizeof(r->thing)) != NULL);
		REQUIRE(shadow_thing_name_valid(r->thing, strlen(r->thing)));
		REQUIRE(fr_thing_ok(ref, &decoded) &&
		    fr_is(r->thing, decoded));
		free(decoded);
		break;
	case ROUTE_PUBLISH:
		REQUIRE(ref->kind == FR_PUBLISH);
		REQUIRE(r->topic_len == strlen(r->topic));
		REQUIRE(fr_topic_ok(r->topic, r->topic_len));
		decoded = fr_decode(ref->raw, ref->raw_len, &n);
		REQUIRE(decoded != NULL && n == r->topic_len &&
		    memcmp(decoded, r->topic, n) == 0);
		free(decoded);
		REQUIRE(r->qos == 0 || r->qos == 1);
		break;
	default:
		REQUIRE(!"route_parse gave an unknown operation");
	}
	REQUIRE(fr_method_ok(ref->kind, method));
	if (r->op == ROUTE_SHADOW) {
		REQUIRE((r->msg == SHADOW_MSG_GET && fr_is(method, "GET")) ||
		    (r->msg == SHADOW_MSG_UPDATE && fr_is(method, "POST")) ||
		    (r->msg == SHADOW_MSG_DELETE && fr_is(method, "DELETE")));
		REQUIRE(memchr(r->shadow, '\0', sizeof(r->shadow)) != NULL);
		if (r->named)
			REQUIRE(fr_name_ok(r->shadow, strlen(r->shadow),
			    SHADOW_NAME_MAX, true) &&
			    shadow_name_valid(r->shadow, strlen(r->shadow)));
		else
			REQUIRE(r->shadow[0] == '\0');
	}
	if (r->op == ROUTE_LIST) {
		REQUIRE(r->page_size >= 1 &&
		    r->page_size <= ROUTE_PAGE_SIZE_MAX);
		REQUIRE(memchr(r->after, '\0', sizeof(r->after)) != NULL);
		if (r->token)
			REQUIRE(fr_name_ok(r->after, strlen(r->after),
			    SHADOW_NAME_MAX, true) &&
			    strlen(r->token_mac) == 2 * ROUTE_TOKEN_MAC_LEN);
		else
			REQUIRE(r->after[0] == '\0' &&
			    r->token_mac[0] == '\0');
	}

	/* Written afresh, it reads the same. */
	fr_rebuild(r, m, sizeof(m), path, sizeof(path), query, sizeof(query));
	REQUIRE(fr_parse(m, path, query, &again) == 0);
	REQUIRE(again.op == r->op);
	switch (r->op) {
	case ROUTE_SHADOW:
		REQUIRE(fr_is(again.thing, r->thing) && again.msg == r->msg &&
		    again.named == r->named &&
		    fr_is(again.shadow, r->shadow));
		break;
	case ROUTE_LIST:
		REQUIRE(fr_is(again.thing, r->thing) &&
		    again.page_size == r->page_size &&
		    again.token == r->token && fr_is(again.after, r->after) &&
		    fr_is(again.token_mac, r->token_mac));
		break;
	case ROUTE_PUBLISH:
		REQUIRE(again.topic_len == r->topic_len &&
		    fr_is(again.topic, r->topic) && again.qos == r->qos &&
		    again.retain == r->retain);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *method = "GET", *target, *query;
	struct fr_ref ref;
	struct route r;

	text = malloc(size + 1);
	REQUIRE(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	target = strchr(text, '\n');
	if (target != NULL) {
		*target++ = '\0';
		method = text;
	} else
		target = text;
	if ((query = strchr(target, '?')) != NULL)
		*query++ = '\0';
	ref = fr_classify(target);
	if (fr_parse(method, target, query, &r) == -1)
		fr_check_refusal(method, target, query, &ref, &r);
	else
		fr_check_parsed(method, query, &ref, &r);
	free(text);
	return 0;
}
