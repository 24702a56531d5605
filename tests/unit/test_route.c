/*
 * test_route.c - the routes of shadowd's HTTP face (cmd/shadowd/route.c),
 * linked from the program's own object (UNIT_LINK_test_route): each route
 * with its parameters, and each refusal with its exact status, text and
 * Allow header (docs/PROTOCOL.md §12).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "route.h"
#include "check.h"

#define T_THING "Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -"
#define T_SHADOW "Invalid shadow name: 1 to 64 of A-Z a-z 0-9 : _ - $"
#define T_QUERY "Invalid percent-encoding in the query"
#define T_QNAME "Invalid query parameter name: no NUL (%00)"
#define T_PAGE "Invalid pageSize: an integer from 1 to 100"
#define T_TOKEN "Invalid nextToken"
#define T_QOS "Invalid qos: 0 or 1"
#define T_RETAIN "Invalid retain: true or false"
#define T_TOPIC "Invalid topic: 1 to 256 bytes of UTF-8, at most 7 '/', " \
    "no '+' or '#'"
#define T_405_SHADOW "Method not allowed; this path takes GET, POST and DELETE"
#define T_405_GET "Method not allowed; this path takes GET"
#define T_405_POST "Method not allowed; this path takes POST"

#define LIST "/api/things/shadow/ListNamedShadowsForThing/"
#define MAC "0123456789abcdef0123456789abcdef"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T128 A64 A64
#define A512 T128 T128 T128 T128

struct refusal {
	const char *method, *path, *query;
	int status;
	const char *message, *allow;
};

static const struct refusal refusals[] = {
	/* No route */
	{ "GET", "/", NULL, 404, "No route for GET /", NULL },
	{ "GET", "/things/lamp", NULL, 404, "No route for GET /things/lamp",
	    NULL },
	{ "GET", "/things//shadow", NULL, 404,
	    "No route for GET /things//shadow", NULL },
	{ "GET", "/things/a/b/shadow", "name=x", 404,
	    "No route for GET /things/a/b/shadow", NULL },
	{ "GET", "/things/lamp/shadow/", NULL, 404,
	    "No route for GET /things/lamp/shadow/", NULL },
	{ "GET", LIST, NULL, 404, "No route for GET " LIST, NULL },
	{ "GET", LIST "lamp/", NULL, 404, "No route for GET " LIST "lamp/",
	    NULL },
	{ "POST", "/topics", NULL, 404, "No route for POST /topics", NULL },
	{ "HEAD", "/Things/lamp/shadow", NULL, 404,
	    "No route for HEAD /Things/lamp/shadow", NULL },
	/* the method and path as printable ASCII, other bytes %XX */
	{ "GET", "/caf\xc3\xa9/\xff\xfe/a b\t\x7f%41", NULL, 404,
	    "No route for GET /caf%C3%A9/%FF%FE/a%20b%09%7F%41", NULL },
	{ "G\xc0T", "/", "x=\xff", 404, "No route for G%C0T /", NULL },
	/* Thing names, before the method */
	{ "PUT", "/things/lamp%201/shadow", NULL, 400, T_THING, NULL },
	{ "GET", "/things/lamp%2/shadow", NULL, 400, T_THING, NULL },
	{ "GET", "/things/lamp%2Fx/shadow", NULL, 400, T_THING, NULL },
	{ "GET", "/things/a%00/shadow", NULL, 400, T_THING, NULL },
	{ "GET", "/things/a$/shadow", NULL, 400, T_THING, NULL },
	{ "GET", "/things/" T128 "a/shadow", NULL, 400, T_THING, NULL },
	{ "POST", LIST "lamp.1", NULL, 400, T_THING, NULL },
	/* Methods */
	{ "PUT", "/things/lamp/shadow", "name=x", 405, T_405_SHADOW,
	    "GET, POST, DELETE" },
	{ "get", "/things/lamp/shadow", NULL, 405, T_405_SHADOW,
	    "GET, POST, DELETE" },
	{ "POST", LIST "lamp", NULL, 405, T_405_GET, "GET" },
	{ "DELETE", LIST "lamp", "pageSize=0", 405, T_405_GET, "GET" },
	{ "GET", "/topics/t", "qos=9", 405, T_405_POST, "POST" },
	{ "PUT", "/topics/%zz", NULL, 405, T_405_POST, "POST" },
	/* Shadow names and the query */
	{ "GET", "/things/lamp/shadow", "name=", 400, T_SHADOW, NULL },
	{ "GET", "/things/lamp/shadow", "name=a%2Fb", 400, T_SHADOW, NULL },
	{ "GET", "/things/lamp/shadow", "name=" A64 "a", 400, T_SHADOW,
	    NULL },
	{ "GET", "/things/lamp/shadow", "name=a%00b", 400, T_SHADOW, NULL },
	{ "GET", "/things/lamp/shadow", "name=" A512, 400, T_SHADOW, NULL },
	{ "GET", "/things/lamp/shadow", "name=%4", 400, T_QUERY, NULL },
	{ "GET", "/things/lamp/shadow", "x=1&%zz=2", 400, T_QUERY, NULL },
	/* every name and value is well encoded, read or not */
	{ "GET", "/things/lamp/shadow", "x=%zz&name=cfg", 400, T_QUERY, NULL },
	{ "GET", "/things/lamp/shadow", "name=cfg&name=%", 400, T_QUERY,
	    NULL },
	{ "DELETE", "/things/lamp/shadow", A512 "%g=1", 400, T_QUERY, NULL },
	/* no name holds a NUL: name%00junk is not read as name */
	{ "DELETE", "/things/lamp/shadow", "name%00junk=cfg", 400, T_QNAME,
	    NULL },
	{ "GET", "/things/lamp/shadow", "name=cfg&x%00=1", 400, T_QNAME,
	    NULL },
	{ "GET", "/things/lamp/shadow", "%00", 400, T_QNAME, NULL },
	{ "GET", LIST "lamp", "pageSize%00=1", 400, T_QNAME, NULL },
	{ "POST", "/topics/t", "qos%00=1", 400, T_QNAME, NULL },
	{ "POST", "/topics/t", "%zz%00=1", 400, T_QUERY, NULL },
	{ "POST", "/topics/t", "%00=%zz", 400, T_QNAME, NULL },
	/* ListNamedShadowsForThing */
	{ "GET", LIST "lamp", "pageSize=0", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=101", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=+5", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=5x", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=99999999999999999999", 400, T_PAGE,
	    NULL },
	{ "GET", LIST "lamp", "nextToken=x&pageSize=0", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=%", 400, T_QUERY, NULL },
	{ "GET", LIST "lamp", "pageSize=1%00", 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "pageSize=" A512, 400, T_PAGE, NULL },
	{ "GET", LIST "lamp", "nextToken=" A512 A512, 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=61." MAC "%00", 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=", 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=61." MAC "0", 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=6." MAC, 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=." MAC, 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=6g." MAC, 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=2f." MAC, 400, T_TOKEN, NULL },
	{ "GET", LIST "lamp", "nextToken=" MAC, 400, T_TOKEN, NULL },
	/* Publish */
	{ "POST", "/topics/", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/a%2F%2Bb", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/a/#", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/a%00b", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/caf%C3", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/%G0", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/1/2/3/4/5/6/7/8/9", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/" T128 T128 "a", NULL, 400, T_TOPIC, NULL },
	{ "POST", "/topics/t", "qos=2", 400, T_QOS, NULL },
	{ "POST", "/topics/t", "qos=", 400, T_QOS, NULL },
	{ "POST", "/topics/t", "retain=yes", 400, T_RETAIN, NULL },
	{ "POST", "/topics/t", "retain=1&qos=2", 400, T_QOS, NULL },
	{ "POST", "/topics/t", "qos=1&retain=%", 400, T_QUERY, NULL },
	{ "POST", "/topics/t", "qos=1%00", 400, T_QOS, NULL },
	{ "POST", "/topics/t", "qos=" A512, 400, T_QOS, NULL },
	{ "POST", "/topics/t", "retain=true%00", 400, T_RETAIN, NULL },
	{ "POST", "/topics/t", "retain=" A512, 400, T_RETAIN, NULL },
};

static void
test_refusals(void)
{
	const struct refusal *t;
	struct route r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		t = &refusals[i];
		rc = route_parse(t->method, t->path, t->query, &r);
		CHECK(rc == -1 && r.status == t->status &&
		    strcmp(r.message, t->message) == 0 &&
		    (t->allow == NULL ? r.allow == NULL : r.allow != NULL &&
		    strcmp(r.allow, t->allow) == 0),
		    "%s %.60s%s%.60s: %d %s%s%s", t->method, t->path,
		    t->query ? "?" : "", t->query ? t->query : "", t->status,
		    t->message, t->allow ? ", Allow: " : "",
		    t->allow ? t->allow : "");
		if (rc != -1)
			printf("#   parsed, not refused\n");
		else if (r.status != t->status ||
		    strcmp(r.message, t->message) != 0)
			printf("#   got %d %s\n", r.status, r.message);
	}
}

static void
test_no_route_truncated(void)
{
	char path[400], want[ROUTE_MESSAGE_MAX];
	struct route r;

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	snprintf(want, sizeof(want), "No route for GET %.200s", path);
	CHECK(route_parse("GET", path, NULL, &r) == -1 && r.status == 404 &&
	    strcmp(r.message, want) == 0 && strlen(r.message) == 17 + 200,
	    "no route: the path in the text is cut at 200 bytes");
}

/* Whether s is printable ASCII only, '!' to '~' and ' '. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < ' ' || *s > '~')
			return 0;
	return 1;
}

static void
test_no_route_utf8(void)
{
	char method[200], path[400], want[ROUTE_MESSAGE_MAX];
	struct route r;
	int c, bad = 0;
	size_t i;

	/* each byte value but NUL, in the method and in the path */
	for (c = 1; c < 256; c++) {
		snprintf(method, sizeof(method), "G%cT", c);
		snprintf(path, sizeof(path), "/a%cb/%c", c, c);
		if (route_parse(method, path, NULL, &r) != -1 ||
		    r.status != 404 || !printable(r.message) ||
		    !json_utf8_valid(r.message, strlen(r.message)))
			bad++;
		if (c < '!' || c > '~')
			snprintf(want, sizeof(want), "No route for G%%%02XT "
			    "/a%%%02Xb/%%%02X", c, c, c);
		else
			snprintf(want, sizeof(want), "No route for G%cT "
			    "/a%cb/%c", c, c, c);
		if (strcmp(r.message, want) != 0) {
			printf("#   byte %d: got %s\n", c, r.message);
			bad++;
		}
	}
	CHECK(bad == 0, "no route: each byte outside '!' to '~' is written "
	    "%%XX, so the text is printable ASCII, valid UTF-8");

	for (i = 0; i < sizeof(path) - 1; i++)
		path[i] = (char)(i % 255 + 1);
	path[sizeof(path) - 1] = '\0';
	memset(method, 0xff, sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	CHECK(route_parse(method, path, NULL, &r) == -1 &&
	    printable(r.message) &&
	    strncmp(r.message, "No route for %FF%FF%FF", 22) == 0 &&
	    strlen(r.message) == 13 + 63 + 1 + 199,
	    "no route: method cut at 64 bytes of text, path at 200, never "
	    "inside an escape (got %zu bytes)", strlen(r.message));
	memset(path, 'x', 199);
	path[0] = '/';
	memcpy(path + 199, "\xff", 2);
	snprintf(want, sizeof(want), "No route for GET %.199s", path);
	CHECK(route_parse("GET", path, NULL, &r) == -1 &&
	    strcmp(r.message, want) == 0,
	    "no route: an escape that would pass 200 bytes is left out");
}

static void
test_query_ignored(void)
{
	char query[3000];
	struct route r;

	CHECK(route_parse("DELETE", "/things/lamp/shadow", A64 "=1", &r) ==
	    0 && r.msg == SHADOW_MSG_DELETE && !r.named,
	    "a 64-byte parameter name shadowd does not read is ignored");
	snprintf(query, sizeof(query), "%s%s=%s%s&name=cfg", A512, A512, A512,
	    A512);
	CHECK(route_parse("GET", "/things/lamp/shadow", query, &r) == 0 &&
	    r.named && strcmp(r.shadow, "cfg") == 0,
	    "an unknown parameter of 1024 + 1024 bytes is ignored");
	CHECK(route_parse("GET", "/things/lamp/shadow",
	    "name=cfg&name=" A512 "&name=%00", &r) == 0 &&
	    strcmp(r.shadow, "cfg") == 0,
	    "a repeated name's later values are not read, only checked for "
	    "their encoding");
	CHECK(route_parse("GET", "/things/lamp/shadow", "nam=x&namex=y&"
	    "Name=z&name%3D=w&x=name", &r) == 0 && !r.named,
	    "names near 'name' are other parameters");
	snprintf(query, sizeof(query), "%s=1&pageSize=3&qos=%s", A512, A512);
	CHECK(route_parse("GET", LIST "lamp", query, &r) == 0 &&
	    r.page_size == 3, "ListNamedShadowsForThing ignores long unknown "
	    "parameters too");
	CHECK(route_parse("POST", "/topics/t", "pageSize=" A512 "&qos=1", &r) ==
	    0 && r.qos == 1, "Publish ignores another operation's "
	    "parameters");
}

static void
test_shadow(void)
{
	struct route r;

	CHECK(route_parse("GET", "/things/lamp-1/shadow", NULL, &r) == 0 &&
	    r.op == ROUTE_SHADOW && r.msg == SHADOW_MSG_GET &&
	    strcmp(r.thing, "lamp-1") == 0 && !r.named && r.shadow[0] == '\0',
	    "GET /things/T/shadow: GetThingShadow of the classic shadow");
	CHECK(route_parse("POST", "/things/lamp%3A1/shadow", "name=%24fw",
	    &r) == 0 && r.op == ROUTE_SHADOW && r.msg == SHADOW_MSG_UPDATE &&
	    strcmp(r.thing, "lamp:1") == 0 && r.named &&
	    strcmp(r.shadow, "$fw") == 0,
	    "POST with name=: UpdateThingShadow, thing and name decoded");
	CHECK(route_parse("DELETE", "/things/" T128 "/shadow", "", &r) == 0 &&
	    r.msg == SHADOW_MSG_DELETE && strlen(r.thing) == 128 && !r.named,
	    "DELETE: DeleteThingShadow; a 128-byte thing; an empty query");
	CHECK(route_parse("GET", "/things/lamp/shadow",
	    "x=%01&name=" A64 "&name=%7e", &r) == 0 && r.named &&
	    strcmp(r.shadow, A64) == 0,
	    "the first name= counts; other parameters' values are not read");
	CHECK(route_parse("GET", "/things/lamp/shadow", "n%61me=cfg", &r) ==
	    0 && r.named && strcmp(r.shadow, "cfg") == 0,
	    "a parameter's name is percent-decoded too");
	CHECK(route_parse("GET", "/things/lamp/shadow", "&&name&x", &r) ==
	    -1 && r.status == 400 && strcmp(r.message, T_SHADOW) == 0,
	    "name without '=' is an empty name");
}

static void
test_list(void)
{
	struct route r;

	CHECK(route_parse("GET", LIST "lamp", NULL, &r) == 0 &&
	    r.op == ROUTE_LIST && strcmp(r.thing, "lamp") == 0 &&
	    r.page_size == ROUTE_PAGE_SIZE_DEFAULT && !r.token &&
	    r.after[0] == '\0',
	    "ListNamedShadowsForThing: page size 25, from the start");
	CHECK(route_parse("GET", LIST "lamp", "pageSize=1", &r) == 0 &&
	    r.page_size == 1, "pageSize=1");
	CHECK(route_parse("GET", LIST "lamp", "pageSize=100", &r) == 0 &&
	    r.page_size == 100, "pageSize=100");
	CHECK(route_parse("GET", LIST "lamp", "pageSize=007", &r) == 0 &&
	    r.page_size == 7, "pageSize=007 is 7");
	CHECK(route_parse("GET", LIST "lamp",
	    "nextToken=636f6e666967." MAC "&pageSize=2", &r) == 0 &&
	    r.token && strcmp(r.after, "config") == 0 &&
	    strcmp(r.token_mac, MAC) == 0 && r.page_size == 2,
	    "nextToken: the name it continues after, and its MAC as sent");
	CHECK(route_parse("GET", LIST "lamp",
	    "nextToken=24464F%2E0123456789ABCDEF0123456789ABCDEF", &r) == 0 &&
	    r.token && strcmp(r.after, "$FO") == 0 &&
	    strcmp(r.token_mac, "0123456789ABCDEF0123456789ABCDEF") == 0,
	    "nextToken percent-decoded; its form alone is checked here");
}

static void
test_publish(void)
{
	struct route r;

	CHECK(route_parse("POST", "/topics/telemetry", NULL, &r) == 0 &&
	    r.op == ROUTE_PUBLISH && strcmp(r.topic, "telemetry") == 0 &&
	    r.topic_len == 9 && r.qos == 0 && !r.retain,
	    "Publish: qos 0, not retained");
	CHECK(route_parse("POST", "/topics/factory%2Fline-1%2Ftemp",
	    "qos=1&retain=true", &r) == 0 &&
	    strcmp(r.topic, "factory/line-1/temp") == 0 && r.qos == 1 &&
	    r.retain, "Publish: %%2F is '/', qos=1, retain=true");
	CHECK(route_parse("POST", "/topics/a/b/c", "qos=0&retain=false",
	    &r) == 0 && strcmp(r.topic, "a/b/c") == 0 && r.qos == 0 &&
	    !r.retain, "Publish: a raw '/' too; qos=0, retain=false");
	CHECK(route_parse("POST", "/topics/1/2/3/4/5/6/7/8", NULL, &r) == 0 &&
	    r.topic_len == 15, "Publish: seven '/' are allowed");
	CHECK(route_parse("POST", "/topics/caf%C3%A9%2F%E2%82%AC", NULL,
	    &r) == 0 && strcmp(r.topic, "caf\xc3\xa9/\xe2\x82\xac") == 0,
	    "Publish: a UTF-8 topic");
	CHECK(route_parse("POST", "/topics/" T128 T128, "qos=1&qos=2", &r) ==
	    0 && r.topic_len == 256 && r.qos == 1,
	    "Publish: a 256-byte topic; the first qos counts");
}

int
main(void)
{
	test_refusals();
	test_no_route_truncated();
	test_no_route_utf8();
	test_query_ignored();
	test_shadow();
	test_list();
	test_publish();
	CHECK_DONE();
}
