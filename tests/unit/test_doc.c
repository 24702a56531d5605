/*
 * test_doc.c - the shadow document rules of docs/PROTOCOL.md §2-§8.
 *
 * JSON in this file is written with ' for " (see jtext) and "T"/"U" for the
 * two fixed clocks used below.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "json.h"
#include "check.h"
#include "reference.h"

#define NOW 1700000000
#define LATER 1700000500

static char *
jtext(const char *src)
{
	size_t n = strlen(src), i, o = 0;
	char *out = malloc(n * 12 + 1);

	if (out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (src[i] == '\'')
			out[o++] = '"';
		else if ((src[i] == 'T' || src[i] == 'U') && i > 0 &&
		    src[i - 1] == ':' && (src[i + 1] == ',' ||
		    src[i + 1] == '}' || src[i + 1] == ']')) {
			o += (size_t)sprintf(out + o, "%d",
			    src[i] == 'T' ? NOW : LATER);
		} else
			out[o++] = src[i];
	}
	out[o] = '\0';
	return out;
}

static json_object *
J(const char *src)
{
	char *t = jtext(src);
	json_object *o = json_tokener_parse(t);

	if (o == NULL && strcmp(t, "null") != 0) {
		fprintf(stderr, "bad test JSON: %s\n", t);
		abort();
	}
	free(t);
	return o;
}

static const char *
S(json_object *o)
{
	return json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* got is borrowed; want is test JSON text. */
static int
same_json(json_object *got, const char *want)
{
	json_object *w = J(want);
	int eq = doc_json_equal(got, w) ? 1 : 0;

	if (!eq) {
		printf("#   got:  %s\n", S(got));
		printf("#   want: %s\n", S(w));
	}
	json_object_put(w);
	return eq;
}

#define REJECTS_RAW(lit, ...) rejects_raw(lit, sizeof(lit) - 1, __VA_ARGS__)
#define CHECK_JSON(got, want, ...) CHECK(same_json((got), (want)), __VA_ARGS__)

static int
parse_text(const char *text, struct doc_request *req, struct doc_error *err)
{
	char *t = jtext(text);
	int r = doc_parse_update(t, strlen(t), req, err);

	free(t);
	return r;
}

/* The payload is rejected with code, message and echoed token (or none). */
static int
rejects_raw(const void *p, size_t len, int code, const char *msg,
    const char *token)
{
	struct doc_request req;
	struct doc_error err;
	int ok;

	memset(&err, 0, sizeof(err));
	if (doc_parse_update(p, len, &req, &err) == 0) {
		printf("#   accepted unexpectedly\n");
		doc_request_free(&req);
		return 0;
	}
	ok = err.code == code && strcmp(err.message, msg) == 0 &&
	    req.root == NULL &&
	    (token == NULL ? !err.has_token :
	    err.has_token && strcmp(err.token, token) == 0);
	if (!ok)
		printf("#   got %d '%s' token=%s\n", err.code, err.message,
		    err.has_token ? err.token : "(none)");
	return ok;
}

static int
rejects(const char *text, int code, const char *msg, const char *token)
{
	char *t = jtext(text);
	int ok = rejects_raw(t, strlen(t), code, msg, token);

	free(t);
	return ok;
}

static int
parses(const char *text)
{
	struct doc_request req;
	struct doc_error err;

	if (parse_text(text, &req, &err) != 0) {
		printf("#   rejected: %d %s\n", err.code, err.message);
		return 0;
	}
	doc_request_free(&req);
	return 1;
}

/* Apply one update; 0 or -1, result kept in *res. */
static int
update(struct doc_shadow *s, const char *text, int64_t now, size_t max,
    struct doc_update_result *res, struct doc_error *err)
{
	struct doc_request req;
	int r;

	memset(res, 0, sizeof(*res));
	if (parse_text(text, &req, err) != 0) {
		printf("#   parse rejected: %s\n", err->message);
		return -1;
	}
	r = doc_apply_update(s, &req, now, max, res, err);
	doc_request_free(&req);
	return r;
}

/* Apply and drop the answers. */
static int
apply(struct doc_shadow *s, const char *text, int64_t now)
{
	struct doc_update_result res;
	struct doc_error err;
	int r = update(s, text, now, DOC_MAX_SIZE_DEFAULT, &res, &err);

	doc_update_result_free(&res);
	return r;
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_encoding(void)
{
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"\xff\"}}}",
	    415, DOC_MSG_ENCODING, NULL), "a byte 0xff is not UTF-8: 415");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"\xc0\xaf\"}}}", 415, DOC_MSG_ENCODING, NULL),
	    "an overlong UTF-8 sequence is refused");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"\xe0\x80\xaf\"}}}", 415, DOC_MSG_ENCODING, NULL),
	    "an overlong three-byte sequence is refused");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"\xed\xa0\x80\"}}}", 415, DOC_MSG_ENCODING, NULL),
	    "an encoded UTF-16 surrogate is refused");
	CHECK(REJECTS_RAW(
	    "{\"state\":{\"reported\":{\"a\":\"\xf4\x90\x80\x80\"}}}", 415,
	    DOC_MSG_ENCODING, NULL), "a code point above U+10FFFF is refused");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"\xc3\"}}}",
	    415, DOC_MSG_ENCODING, NULL),
	    "a truncated UTF-8 sequence is refused");
	CHECK(REJECTS_RAW("{\"state\":\xff", 415, DOC_MSG_ENCODING, NULL),
	    "bad UTF-8 wins over bad JSON");
	CHECK(REJECTS_RAW("{\"clientToken\":\"t\",\"state\":{},\"x\":\"\xff\"}", 415, DOC_MSG_ENCODING, NULL),
	    "a 415 does not echo the clientToken");
	CHECK(parses("{'state':{'reported':{'a':'\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa1'}}}"),
	    "two-, three- and four-byte characters are accepted");
}

static void
test_invalid_json(void)
{
	static const char *bad[] = {
		"{'state':", "[1]", "5", "'state'", "null", "true",
		"{'state':{}} x", "{'state':{}}{}", "{'state':{},}",
		"{'state':{'reported':{'a':NaN}}}",
		"{'state':{'reported':{'a':nan}}}",
		"{'state':{'reported':{'a':Infinity}}}",
		"{'state':{'reported':{'a':-Infinity}}}",
		"{'state':{'reported':{'a':1e400}}}",
		"{'state':{'reported':{'a':-1e400}}}",
		"{'state':{'reported':{'a':99999999999999999999999}}}",
		"{'state':{'reported':{'a':-9223372036854775809}}}",
		"{'state':{'reported':{'a':1.}}}",
		"{'state':{'reported':{'a':.5}}}",
		"{'state':{'reported':{'a':01}}}",
		"{'state':{'reported':{'a':+1}}}",
		"{'state':{'reported':{'a':TRUE}}}",
		"{'state':{'reported':{'a':tru}}}",
		"{'state':{'reported':{'a':'\\q'}}}",
		"{'state':{'reported':{'a':'\\u12'}}}",
		"/* c */{'state':{}}",
		"{'state':{'reported':{'a':1}}",
	};
	size_t i;

	CHECK(REJECTS_RAW("", 400, DOC_MSG_INVALID_JSON, NULL),
	    "an empty payload is Invalid JSON");
	CHECK(REJECTS_RAW("  \n", 400, DOC_MSG_INVALID_JSON, NULL),
	    "a blank payload is Invalid JSON");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(rejects(bad[i], 400, DOC_MSG_INVALID_JSON, NULL),
		    "%s is Invalid JSON", bad[i]);
	CHECK(REJECTS_RAW("{'state':{}}", 400, DOC_MSG_INVALID_JSON, NULL),
	    "single-quoted strings are Invalid JSON");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"x\ty\"}}}",
	    400, DOC_MSG_INVALID_JSON, NULL),
	    "a raw tab inside a string is Invalid JSON");
	CHECK(REJECTS_RAW("{\"state\":{}}\0", 400, DOC_MSG_INVALID_JSON,
	    NULL), "a NUL byte after the object is Invalid JSON");
	CHECK(REJECTS_RAW("{\"state\":{\"reported\":{\"a\":\"x\0y\"}}}",
	    400, DOC_MSG_INVALID_JSON, NULL),
	    "a NUL byte inside a string is Invalid JSON");
	CHECK(rejects("{'clientToken':'t','state':{'reported':{'a':NaN}}}",
	    400, DOC_MSG_INVALID_JSON, NULL),
	    "Invalid JSON never echoes a clientToken");
	CHECK(parses("{'state':{'reported':{'a':'\\u0041\\n\\/','b':-0,'c':1.5e-3,'d':1E+2,'e':1e-400}}}"),
	    "escapes, -0, exponents and underflow are valid JSON");
	CHECK(parses(" \t\r\n{'state':{}} \n"),
	    "whitespace around the object is fine");
	CHECK(parses("{'state':{'reported':{'big':18446744073709551615,'small':-9223372036854775808}}}"),
	    "integers up to the 64-bit limits are accepted");
}

static void
test_payload_limits(void)
{
	char *big = malloc(DOC_MAX_PAYLOAD + 64), *deep;
	size_t i, n;

	if (big == NULL)
		abort();
	n = (size_t)sprintf(big, "{\"state\":{},\"x\":\"");
	memset(big + n, 'a', DOC_MAX_PAYLOAD);
	n += DOC_MAX_PAYLOAD;
	n += (size_t)sprintf(big + n, "\"}");
	CHECK(rejects_raw(big, n, 413, DOC_MSG_TOO_LARGE, NULL),
	    "a payload above 128 KiB is 413 straight away");
	free(big);

	deep = malloc(8000);
	if (deep == NULL)
		abort();
	n = (size_t)sprintf(deep, "{\"clientToken\":\"t\",\"state\":{},\"x\":");
	for (i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	CHECK(rejects_raw(deep, n, 400, DOC_MSG_TOO_DEEP, NULL),
	    "1000 nested arrays are too deep for the parser, no token echoed");
	n = 0;
	for (i = 0; i < 1000; i++)
		n += (size_t)sprintf(deep + n, "{\"a\":");
	CHECK(rejects_raw(deep, n, 400, DOC_MSG_TOO_DEEP, NULL),
	    "1000 unterminated nested objects are answered too deep");

	free(deep);
}

static void
test_parser_depth_boundary(void)
{
	struct doc_request req;
	struct doc_error err;
	char deep[400];
	size_t i, n;

	n = (size_t)sprintf(deep, "{\"state\":{},\"x\":");
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
		deep[n++] = '[';
	for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	CHECK(doc_parse_update(deep, n, &req, &err) == 0,
	    "an ignored member may nest up to the parser limit of %d",
	    JSON_MAX_DEPTH);
	doc_request_free(&req);
	n = (size_t)sprintf(deep, "{\"state\":{},\"x\":");
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	CHECK(rejects_raw(deep, n, 400, DOC_MSG_TOO_DEEP, NULL),
	    "one level beyond the parser limit is too deep");
}

static void
test_client_token(void)
{
	char text[200], *t64 = repeat('k', 64), *t65 = repeat('k', 65);
	struct doc_request req;
	struct doc_error err;

	snprintf(text, sizeof(text), "{'clientToken':'%s','state':{}}", t65);
	CHECK(rejects(text, 400, DOC_MSG_INVALID_TOKEN, NULL),
	    "a 65-byte clientToken is Invalid clientToken, not echoed");
	snprintf(text, sizeof(text), "{'clientToken':'%s','state':{}}", t64);
	CHECK(parse_text(text, &req, &err) == 0 && req.has_token &&
	    strcmp(req.token, t64) == 0, "a 64-byte clientToken is accepted");
	doc_request_free(&req);
	CHECK(parse_text("{'clientToken':'\xc3\xa9t\xc3\xa9','state':{}}", &req,
	    &err) == 0 && strcmp(req.token, "\xc3\xa9t\xc3\xa9") == 0,
	    "a clientToken with non-ASCII characters is kept byte for byte");
	doc_request_free(&req);
	CHECK(rejects("{'clientToken':5,'state':{}}", 400,
	    DOC_MSG_INVALID_TOKEN, NULL), "a numeric clientToken is refused");
	CHECK(rejects("{'clientToken':null,'state':{}}", 400,
	    DOC_MSG_INVALID_TOKEN, NULL), "a null clientToken is refused");
	CHECK(rejects("{'clientToken':{'a':1},'state':{}}", 400,
	    DOC_MSG_INVALID_TOKEN, NULL), "an object clientToken is refused");
	CHECK(rejects("{'clientToken':'a\\u0000b','state':{}}", 400,
	    DOC_MSG_INVALID_TOKEN, NULL),
	    "a clientToken holding a NUL character is refused");
	CHECK(rejects("{'clientToken':5,'version':'x'}", 400,
	    DOC_MSG_INVALID_TOKEN, NULL),
	    "a bad clientToken wins over a bad version");
	CHECK(parse_text("{'state':{}}", &req, &err) == 0 && !req.has_token,
	    "no clientToken, none kept");
	doc_request_free(&req);
	free(t64);
	free(t65);
}

static void
test_version_field(void)
{
	struct doc_request req;
	struct doc_error err;

	CHECK(rejects("{'state':{'reported':{'a':1}},'version':'3','clientToken':'v'}",
	    400, DOC_MSG_INVALID_VERSION, "v"),
	    "version \"3\" is Invalid version, token echoed");
	CHECK(rejects("{'state':{},'version':1e30,'clientToken':'v'}", 400,
	    DOC_MSG_INVALID_VERSION, "v"), "version 1e30 is Invalid version");
	CHECK(rejects("{'state':{},'version':-1}", 400,
	    DOC_MSG_INVALID_VERSION, NULL), "a negative version is refused");
	CHECK(rejects("{'state':{},'version':3.5}", 400,
	    DOC_MSG_INVALID_VERSION, NULL), "a fractional version is refused");
	CHECK(rejects("{'state':{},'version':2.0}", 400,
	    DOC_MSG_INVALID_VERSION, NULL), "version 2.0 is not an integer");
	CHECK(rejects("{'state':{},'version':true}", 400,
	    DOC_MSG_INVALID_VERSION, NULL), "a boolean version is refused");
	CHECK(rejects("{'state':{},'version':99999999999999999999999,'clientToken':'v'}",
	    400, DOC_MSG_INVALID_VERSION, "v"),
	    "a version beyond 64-bit integers is Invalid version");
	CHECK(rejects("{'state':{},'version':9223372036854775808}", 400,
	    DOC_MSG_INVALID_VERSION, NULL),
	    "a version just above int64 is Invalid version");
	CHECK(rejects("{'state':{},'version':1e400}", 400,
	    DOC_MSG_INVALID_VERSION, NULL),
	    "a version out of double range is Invalid version");
	CHECK(rejects("{'version':'x'}", 400, DOC_MSG_INVALID_VERSION, NULL),
	    "a bad version wins over a missing state");
	CHECK(parse_text("{'state':{},'version':null}", &req, &err) == 0 &&
	    !req.has_version, "version null means no version check");
	doc_request_free(&req);
	CHECK(parse_text("{'state':{},'version':9223372036854775807}", &req,
	    &err) == 0 && req.has_version && req.version == INT64_MAX,
	    "the largest int64 version is read exactly");
	doc_request_free(&req);
	CHECK(parse_text("{'state':{},'version':99999999999999999999999,'version':7}",
	    &req, &err) == 0 && req.version == 7,
	    "a repeated version member: the last one wins");
	doc_request_free(&req);
	CHECK(parse_text("{'state':{},'version':0}", &req, &err) == 0 &&
	    req.has_version && req.version == 0, "version 0 is valid");
	doc_request_free(&req);
}

static void
test_state_checks(void)
{
	struct doc_request req;
	struct doc_error err;

	CHECK(rejects("{'clientToken':'t','x':1}", 400, DOC_MSG_MISSING_STATE,
	    "t"), "no state: Missing required node, token echoed");
	CHECK(rejects("{'state':'on'}", 400, DOC_MSG_STATE_NOT_OBJECT, NULL),
	    "a string state is refused");
	CHECK(rejects("{'state':[],'clientToken':'t'}", 400,
	    DOC_MSG_STATE_NOT_OBJECT, "t"), "an array state is refused");
	CHECK(rejects("{'state':{'desired':{'a':1},'delta':{'a':1}}}", 400,
	    "State contains an invalid node: 'delta'", NULL),
	    "a delta node in state is refused by name");
	CHECK(rejects("{'state':{'foo':1,'bar':2},'clientToken':'t'}", 400,
	    "State contains an invalid node: 'foo'", "t"),
	    "the first unknown state node is named");
	CHECK(rejects("{'state':{'desired':5}}", 400, DOC_MSG_DESIRED_NOT_OBJECT,
	    NULL), "a number desired is refused");
	CHECK(rejects("{'state':{'desired':[1]}}", 400,
	    DOC_MSG_DESIRED_NOT_OBJECT, NULL), "an array desired is refused");
	CHECK(rejects("{'state':{'reported':'x'},'clientToken':'t'}", 400,
	    DOC_MSG_REPORTED_NOT_OBJECT, "t"), "a string reported is refused");
	CHECK(rejects("{'state':{'reported':true,'desired':1}}", 400,
	    DOC_MSG_DESIRED_NOT_OBJECT, NULL),
	    "desired is checked before reported");
	CHECK(rejects("{'state':{'desired':{'colors':[null,'RED']}},'clientToken':'t'}",
	    400, DOC_MSG_INVALID_JSON, "t"),
	    "null inside an array is Invalid JSON, token echoed");
	CHECK(rejects("{'state':{'reported':{'a':{'b':[[1,null]]}}}}", 400,
	    DOC_MSG_INVALID_JSON, NULL), "null in a nested array is refused");
	CHECK(rejects("{'state':{'reported':{'a':[{'b':[null]}]}}}", 400,
	    DOC_MSG_INVALID_JSON, NULL),
	    "null in an array inside an array element is refused");
	CHECK(parses("{'state':{'reported':{'a':[{'k':null}]}}}"),
	    "an object with a null member inside an array is accepted");
	CHECK(rejects("{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':{'7':[null]}}}}}}}}}",
	    400, DOC_MSG_INVALID_JSON, NULL),
	    "null in an array wins over too deep");
	CHECK(parse_text("{'state':null}", &req, &err) == 0 &&
	    req.state == NULL, "state null is accepted");
	doc_request_free(&req);
	CHECK(parses("{'state':{'desired':null,'reported':null}}"),
	    "null sections are accepted");
	CHECK(parses("{'state':{},'hello':{'x':[null]},'metadata':5,'timestamp':'x'}"),
	    "other top-level members are ignored, even with nulls in arrays");
}

static void
test_long_invalid_node_name(void)
{
	char *name = repeat('n', 300), *text = malloc(400);
	struct doc_request req;
	struct doc_error err;
	size_t n;

	if (text == NULL)
		abort();
	/* a two-byte character straddles the 200-byte cut */
	memcpy(name + 199, "\xc3\xa9", 2);
	n = (size_t)snprintf(text, 400, "{\"state\":{\"%s\":1}}", name);
	CHECK(doc_parse_update(text, n, &req, &err) == -1 && err.code == 400 &&
	    strncmp(err.message, "State contains an invalid node: '", 33) == 0 &&
	    err.message[strlen(err.message) - 1] == '\'' &&
	    json_utf8_valid(err.message, strlen(err.message)),
	    "a very long invalid node name is shortened, still quoted and UTF-8");
	free(name);
	free(text);
}

static void
test_nesting_depth(void)
{
	const char *d6 = "{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':'x'}}}}}}}}";
	const char *d7 = "{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':{'7':'x'}}}}}}}},'clientToken':'t'}";
	json_object *o;

	CHECK(parses(d6), "a value 6 keys below desired is accepted");
	CHECK(rejects(d7, 400, DOC_MSG_TOO_DEEP, "t"),
	    "a value 7 keys below desired is too deep, token echoed");
	CHECK(rejects("{'state':{'reported':{'1':{'2':{'3':{'4':{'5':{'6':{'7':1}}}}}}}}}",
	    400, DOC_MSG_TOO_DEEP, NULL), "reported has the same depth limit");
	CHECK(parses("{'state':{'desired':{'1':{'2':{'3':{'4':{'5':[1]}}}}}}}"),
	    "a non-empty array at level 6 is accepted");
	CHECK(rejects("{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':[1]}}}}}}}}",
	    400, DOC_MSG_TOO_DEEP, NULL),
	    "a non-empty array at level 7 is too deep");
	CHECK(parses("{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':{}}}}}}}}}"),
	    "an empty object at level 7 does not count");
	CHECK(parses("{'state':{'desired':{'1':{'2':{'3':{'4':{'5':{'6':[]}}}}}}}}"),
	    "an empty array at level 7 does not count");
	CHECK(parses("{'state':{'desired':{'a':[[[[[1]]]]]}}}"),
	    "five nested arrays below desired are accepted");
	CHECK(rejects("{'state':{'desired':{'a':[[[[[[1]]]]]]}}}", 400,
	    DOC_MSG_TOO_DEEP, NULL), "six nested arrays below desired are too deep");
	CHECK(parses("{'state':{'desired':{'a':[{'b':[{'c':[1]}]}]}}}"),
	    "objects and arrays mixed up to level 6 are accepted");
	CHECK(rejects("{'state':{'desired':{'a':[{'b':[{'c':[{'d':1}]}]}]}}}", 400,
	    DOC_MSG_TOO_DEEP, NULL), "objects and arrays mixed to level 7 are too deep");

	o = J("{'a':1}");
	CHECK(doc_depth(o) == 1, "a flat section has depth 1");
	json_object_put(o);
	o = J("{}");
	CHECK(doc_depth(o) == 1, "an empty section has depth 1");
	json_object_put(o);
	o = J("{'a':{'b':[]},'c':[{}]}");
	CHECK(doc_depth(o) == 2, "empty containers add no level (depth %d)",
	    doc_depth(o));
	json_object_put(o);
	o = J("{'a':{'b':[1]}}");
	CHECK(doc_depth(o) == 3, "non-empty containers add a level each");
	json_object_put(o);
	CHECK(doc_depth(NULL) == 0, "no section has depth 0");
}

static void
test_many_keys(void)
{
	size_t cap = 200000, n, i;
	char *p = malloc(cap);
	struct doc_request req;
	struct doc_update_result res;
	struct doc_error err;
	struct doc_shadow s;

	if (p == NULL)
		abort();
	n = (size_t)sprintf(p, "{\"clientToken\":\"many\",\"state\":{\"desired\":{");
	for (i = 0; i < 10000; i++)
		n += (size_t)sprintf(p + n, "%s\"k%zu\":%zu", i ? "," : "", i,
		    i);
	n += (size_t)sprintf(p + n, "}}}");
	CHECK(doc_parse_update(p, n, &req, &err) == 0,
	    "10 000 keys in one update parse");
	doc_shadow_init(&s, 0);
	CHECK(doc_apply_update(&s, &req, NOW, DOC_MAX_SIZE_DEFAULT, &res,
	    &err) == -1 && err.code == 413 &&
	    strcmp(err.message, DOC_MSG_TOO_LARGE) == 0 && err.has_token &&
	    strcmp(err.token, "many") == 0,
	    "10 000 keys exceed 8192 bytes: 413 with the token");
	CHECK(!s.exists && s.version == 0, "after the 413 nothing exists");
	CHECK(doc_apply_update(&s, &req, NOW, 1 << 20, &res, &err) == 0 &&
	    json_object_object_length(json_object_object_get(s.state,
	    "desired")) == 10000, "with a larger limit all 10 000 keys are stored");
	doc_update_result_free(&res);
	doc_request_free(&req);
	doc_shadow_free(&s);
	free(p);
}

static void
test_example_a_to_d(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;

	doc_shadow_init(&s, 0);
	CHECK(update(&s, "{'state':{'reported':{'color':'red'}}}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "A: reporting creates the shadow");
	CHECK_JSON(res.accepted, "{'state':{'reported':{'color':'red'}},'metadata':{'reported':{'color':{'timestamp':T}}},'version':1,'timestamp':T}",
	    "A: update/accepted");
	CHECK_JSON(res.documents, "{'previous':null,'current':{'state':{'reported':{'color':'red'}},'metadata':{'reported':{'color':{'timestamp':T}}},'version':1},'timestamp':T}",
	    "A: update/documents with previous null");
	CHECK(res.delta == NULL, "A: no delta");
	doc_update_result_free(&res);

	CHECK(update(&s, "{'state':{'desired':{'color':'green'}},'clientToken':'c1'}",
	    LATER, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "B: app sets desired");
	CHECK_JSON(res.accepted, "{'state':{'desired':{'color':'green'}},'metadata':{'desired':{'color':{'timestamp':U}}},'version':2,'timestamp':U,'clientToken':'c1'}",
	    "B: update/accepted");
	CHECK_JSON(res.delta, "{'state':{'color':'green'},'metadata':{'color':{'timestamp':U}},'version':2,'timestamp':U,'clientToken':'c1'}",
	    "B: update/delta");
	CHECK_JSON(res.documents, "{'previous':{'state':{'reported':{'color':'red'}},'metadata':{'reported':{'color':{'timestamp':T}}},'version':1},'current':{'state':{'desired':{'color':'green'},'reported':{'color':'red'}},'metadata':{'desired':{'color':{'timestamp':U}},'reported':{'color':{'timestamp':T}}},'version':2},'timestamp':U,'clientToken':'c1'}",
	    "B: update/documents");
	doc_update_result_free(&res);

	CHECK(update(&s, "{'state':{'reported':{'temp':21}}}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "C: unrelated report");
	CHECK_JSON(res.accepted, "{'state':{'reported':{'temp':21}},'metadata':{'reported':{'temp':{'timestamp':T}}},'version':3,'timestamp':T}",
	    "C: update/accepted");
	CHECK_JSON(res.delta, "{'state':{'color':'green'},'metadata':{'color':{'timestamp':U}},'version':3,'timestamp':T}",
	    "C: the delta is published again with desired's timestamp");
	CHECK(res.documents != NULL, "C: documents published");
	doc_update_result_free(&res);

	CHECK(update(&s, "{'state':{'reported':{'color':'green'},'desired':null}}",
	    NOW, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "D: catch up and clear desired");
	CHECK_JSON(res.accepted, "{'state':{'reported':{'color':'green'},'desired':null},'metadata':{'reported':{'color':{'timestamp':T}},'desired':{'timestamp':T}},'version':4,'timestamp':T}",
	    "D: update/accepted");
	CHECK(res.delta == NULL, "D: no delta");
	CHECK_JSON(json_object_object_get(json_object_object_get(res.documents,
	    "current"), "state"), "{'reported':{'color':'green','temp':21}}",
	    "D: current state has reported only");
	CHECK_JSON(json_object_object_get(json_object_object_get(res.documents,
	    "current"), "metadata"), "{'reported':{'color':{'timestamp':T},'temp':{'timestamp':T}}}",
	    "D: current metadata has reported only");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_example_e_f(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;
	json_object *get;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'desired':{'lights':{'color':{'r':255,'g':255}}},'reported':{'lights':{'color':{'r':255,'g':0}}}}}",
	    NOW);
	get = doc_get_accepted(&s, NULL, LATER);
	CHECK_JSON(get, "{'state':{'desired':{'lights':{'color':{'r':255,'g':255}}},'reported':{'lights':{'color':{'r':255,'g':0}}},'delta':{'lights':{'color':{'g':255}}}},'metadata':{'desired':{'lights':{'color':{'r':{'timestamp':T},'g':{'timestamp':T}}}},'reported':{'lights':{'color':{'r':{'timestamp':T},'g':{'timestamp':T}}}}},'version':1,'timestamp':U}",
	    "E: get shows the nested delta, no metadata.delta");
	json_object_put(get);
	doc_shadow_free(&s);

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'desired':{'colors':['RED','GREEN','BLUE']}}}", NOW);
	CHECK(update(&s, "{'state':{'desired':{'colors':['RED']}}}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "F: array update accepted");
	CHECK_JSON(s.state, "{'desired':{'colors':['RED']}}",
	    "F: the array is replaced whole");
	CHECK_JSON(json_object_object_get(res.accepted, "metadata"),
	    "{'desired':{'colors':[{'timestamp':U}]}}",
	    "F: accepted metadata has one entry per element");
	CHECK_JSON(s.metadata, "{'desired':{'colors':[{'timestamp':U}]}}",
	    "F: stored metadata follows the new array");
	doc_update_result_free(&res);
	CHECK(rejects("{'state':{'desired':{'colors':[null,'RED']}}}", 400,
	    DOC_MSG_INVALID_JSON, NULL), "F: null in the array is rejected");
	doc_shadow_free(&s);
}

static void
test_example_g_h(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;
	json_object *o;
	int i;

	doc_shadow_init(&s, 0);
	for (i = 0; i < 10; i++)
		apply(&s, "{'state':{'reported':{'n':1}}}", NOW);
	CHECK(s.version == 10, "G: ten updates make version 10");
	CHECK(update(&s, "{'state':{'reported':{'n':2}},'version':9,'clientToken':'k'}",
	    NOW, DOC_MAX_SIZE_DEFAULT, &res, &err) == -1 && err.code == 409,
	    "G: version 9 against 10 is rejected");
	o = doc_error_json(&err, NOW);
	CHECK_JSON(o, "{'code':409,'message':'Version conflict','clientToken':'k'}",
	    "G: the 409 document has no timestamp");
	json_object_put(o);
	CHECK(s.version == 10 && same_json(s.state, "{'reported':{'n':1}}"),
	    "G: the conflict changes nothing");
	CHECK(update(&s, "{'state':{'reported':{'n':2}},'version':10}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 && s.version == 11,
	    "G: the matching version is accepted, version 11");
	doc_update_result_free(&res);
	doc_shadow_free(&s);

	o = doc_delete_accepted(9, "d", NOW);
	CHECK_JSON(o, "{'version':9,'timestamp':T,'clientToken':'d'}",
	    "H: delete/accepted carries the version it had");
	json_object_put(o);
	doc_error_not_found(&err, "lamp", NULL, NULL);
	o = doc_error_json(&err, NOW);
	CHECK_JSON(o, "{'code':404,'message':'No shadow exists with name: \\u0027lamp\\u0027'}",
	    "H: get on a deleted shadow is a 404 without timestamp");
	CHECK(json_object_object_get_ex(o, "timestamp", NULL) == 0 &&
	    json_object_object_get_ex(o, "clientToken", NULL) == 0,
	    "H: the 404 has neither timestamp nor token");
	json_object_put(o);
	doc_shadow_init(&s, 9);
	CHECK(update(&s, "{'state':{'reported':{'on':true}}}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "H: update re-creates");
	CHECK_JSON(res.accepted, "{'state':{'reported':{'on':true}},'metadata':{'reported':{'on':{'timestamp':T}}},'version':10,'timestamp':T}",
	    "H: re-created at the remembered version + 1");
	CHECK_JSON(res.documents, "{'previous':null,'current':{'state':{'reported':{'on':true}},'metadata':{'reported':{'on':{'timestamp':T}}},'version':10},'timestamp':T}",
	    "H: documents says previous null");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_example_i(void)
{
	char *big, *text;
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;
	json_object *before, *o;

	CHECK(rejects("{'state':", 400, DOC_MSG_INVALID_JSON, NULL),
	    "I: truncated JSON");
	CHECK(rejects("{'clientToken':'t','x':1}", 400, DOC_MSG_MISSING_STATE,
	    "t"), "I: missing state with token");
	CHECK(rejects("{'state':'on'}", 400, DOC_MSG_STATE_NOT_OBJECT, NULL),
	    "I: state must be an object");
	CHECK(rejects("{'state':{'desired':5}}", 400,
	    DOC_MSG_DESIRED_NOT_OBJECT, NULL), "I: desired must be an object");

	doc_shadow_init(&s, 0);
	big = repeat('r', 5000 - 8);
	text = malloc(6000);
	if (text == NULL)
		abort();
	sprintf(text, "{'state':{'reported':{'r':'%s'}}}", big);
	CHECK(apply(&s, text, NOW) == 0 &&
	    doc_compact_size(json_object_object_get(s.state, "reported")) == 5000,
	    "I: 5000 bytes of reported are stored");
	free(big);
	before = json_object_get(s.state);
	big = repeat('d', 4000 - 8);
	sprintf(text, "{'state':{'desired':{'d':'%s'}},'clientToken':'big'}",
	    big);
	CHECK(update(&s, text, LATER, DOC_MAX_SIZE_DEFAULT, &res, &err) == -1 &&
	    err.code == 413 && strcmp(err.message, DOC_MSG_TOO_LARGE) == 0 &&
	    err.has_token && strcmp(err.token, "big") == 0,
	    "I: adding 4000 bytes of desired is 413 with the token");
	o = doc_error_json(&err, LATER);
	CHECK_JSON(o, "{'code':413,'message':'The payload exceeds the maximum size allowed','timestamp':U,'clientToken':'big'}",
	    "I: the 413 document carries a timestamp");
	json_object_put(o);
	CHECK(s.version == 1 && s.state == before &&
	    same_json(s.metadata, "{'reported':{'r':{'timestamp':T}}}") &&
	    json_object_object_length(s.state) == 1,
	    "I: after the 413 the shadow is unchanged");
	json_object_put(before);
	CHECK(update(&s, text, LATER, 9000, &res, &err) == 0 && s.version == 2,
	    "I: the same update fits a 9000-byte limit");
	doc_update_result_free(&res);
	free(big);
	free(text);
	doc_shadow_free(&s);
}

static void
test_size_limit_exact(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;

	doc_shadow_init(&s, 0);
	/* {"a":"xx"} is 10 bytes, {"b":1} is 7 */
	CHECK(update(&s, "{'state':{'desired':{'a':'xx'},'reported':{'b':1}}}",
	    NOW, 17, &res, &err) == 0, "desired+reported of exactly the limit fits");
	doc_update_result_free(&res);
	CHECK(update(&s, "{'state':{'reported':{'b':10}}}", NOW, 17, &res,
	    &err) == -1 && err.code == 413 && s.version == 1,
	    "one byte over the limit is 413");
	CHECK(update(&s, "{'state':{'desired':null}}", NOW, 17, &res,
	    &err) == 0 && s.version == 2, "a tiny update that shrinks fits");
	doc_update_result_free(&res);
	CHECK(update(&s, "{'state':{'reported':{'u':'a/b'}}}", NOW, 23, &res,
	    &err) == 0, "a slash counts one byte (not escaped)");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_merge_rules(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;
	json_object *t, *p;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'reported':{'a':1,'b':{'c':2,'d':3},'e':[1,2],'f':'x'}}}", NOW);
	apply(&s, "{'state':{'reported':{'a':null,'zz':null}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':2,'d':3},'e':[1,2],'f':'x'}}",
	    "null deletes a key; deleting an absent key is a no-op");
	apply(&s, "{'state':{'reported':{'b':{'c':20,'n':{'m':1}}}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':20,'d':3,'n':{'m':1}},'e':[1,2],'f':'x'}}",
	    "nested objects merge key by key");
	apply(&s, "{'state':{'reported':{'e':[3]}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':20,'d':3,'n':{'m':1}},'e':[3],'f':'x'}}",
	    "arrays are replaced whole");
	apply(&s, "{'state':{'reported':{'b':{'n':{'m':null}}}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':20,'d':3},'e':[3],'f':'x'}}",
	    "an object emptied by deletion disappears");
	apply(&s, "{'state':{'reported':{'f':{},'g':{},'h':{'i':{}}}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':20,'d':3},'e':[3]}}",
	    "empty objects are not kept and remove what they replace");
	apply(&s, "{'state':{'reported':{'e':{'x':0,'y':'','z':false}}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':{'c':20,'d':3},'e':{'x':0,'y':'','z':false}}}",
	    "0, \"\" and false are ordinary values; an object replaces an array");
	apply(&s, "{'state':{'reported':{'b':5}}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':5,'e':{'x':0,'y':'','z':false}}}",
	    "a scalar replaces an object");
	apply(&s, "{'state':{'reported':{'l':[{'k':null},{}]}}}", NOW);
	CHECK_JSON(json_object_object_get(json_object_object_get(s.state,
	    "reported"), "l"), "[{'k':null},{}]",
	    "objects inside arrays are stored as given");
	apply(&s, "{'state':{'desired':{'q':1}}}", NOW);
	apply(&s, "{'state':{'reported':{'b':null,'e':null,'l':null}}}", NOW);
	CHECK_JSON(s.state, "{'desired':{'q':1}}",
	    "a section emptied by deletions disappears");
	CHECK_JSON(s.metadata, "{'desired':{'q':{'timestamp':T}}}",
	    "its metadata disappears with it");
	CHECK(update(&s, "{'state':{}}", LATER, DOC_MAX_SIZE_DEFAULT, &res,
	    &err) == 0, "an empty state is accepted");
	CHECK(s.version == 12 && same_json(s.state, "{'desired':{'q':1}}"),
	    "an empty state changes nothing but bumps the version");
	CHECK_JSON(res.accepted, "{'state':{},'metadata':{},'version':12,'timestamp':U}",
	    "state {} answers metadata {}");
	doc_update_result_free(&res);
	CHECK(update(&s, "{'state':{'desired':{}}}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 && s.version == 13 &&
	    same_json(s.state, "{'desired':{'q':1}}"),
	    "desired {} is a no-op that bumps the version");
	doc_update_result_free(&res);
	CHECK(update(&s, "{'state':{'desired':{'q':1}}}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 && s.version == 14 &&
	    same_json(s.metadata, "{'desired':{'q':{'timestamp':U}}}"),
	    "writing the same value again bumps version and timestamp");
	doc_update_result_free(&res);
	apply(&s, "{'state':{'reported':{'r':1}}}", NOW);
	CHECK(update(&s, "{'state':null,'clientToken':'n'}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "state null is accepted");
	CHECK_JSON(res.accepted, "{'state':null,'metadata':{'timestamp':U},'version':16,'timestamp':U,'clientToken':'n'}",
	    "state null answers metadata {timestamp}");
	CHECK_JSON(json_object_object_get(res.documents, "current"),
	    "{'state':{},'metadata':{},'version':16}",
	    "state null empties the shadow, which still exists");
	CHECK(s.exists, "an emptied shadow still exists");
	doc_update_result_free(&res);
	t = doc_get_accepted(&s, "g", LATER);
	CHECK_JSON(t, "{'state':{},'metadata':{},'version':16,'timestamp':U,'clientToken':'g'}",
	    "get on an emptied shadow");
	json_object_put(t);
	apply(&s, "{'state':{'desired':{'a':1},'reported':{'b':2}}}", NOW);
	apply(&s, "{'state':{'desired':null}}", NOW);
	CHECK_JSON(s.state, "{'reported':{'b':2}}",
	    "desired null removes desired only");
	apply(&s, "{'state':{'reported':{'n':1,'m':2,'b':3}}}", NOW);
	CHECK_STR(S(s.state), "{\"reported\":{\"b\":3,\"n\":1,\"m\":2}}",
	    "existing keys keep their place, new keys are appended in order");
	doc_shadow_free(&s);

	t = J("{'a':{'b':1},'c':2}");
	p = J("{'a':{'b':null},'d':{'e':null},'f':[1]}");
	doc_merge(&t, p);
	CHECK_JSON(t, "{'c':2,'f':[1]}", "doc_merge prunes and appends");
	CHECK_JSON(p, "{'a':{'b':null},'d':{'e':null},'f':[1]}",
	    "doc_merge leaves the patch alone");
	json_object_put(p);
	p = J("{'c':null,'f':null}");
	doc_merge(&t, p);
	CHECK(t == NULL, "doc_merge empties the target to NULL");
	doc_merge(&t, p);
	CHECK(t == NULL, "doc_merge into NULL with deletions stays NULL");
	json_object_put(p);
	p = J("{'x':{'y':1}}");
	doc_merge(&t, p);
	CHECK_JSON(t, "{'x':{'y':1}}", "doc_merge into NULL creates");
	json_object_put(p);
	json_object_put(t);
}

static void
test_answers_outlive_the_shadow(void)
{
	struct doc_shadow s;
	struct doc_update_result first, res;
	struct doc_error err;
	json_object *get;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'desired':{'a':{'b':1}},'reported':{'a':{'b':2}}}}", NOW);
	CHECK(update(&s, "{'state':{'desired':{'a':{'c':3}}}}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &first, &err) == 0, "first update");
	get = doc_get_accepted(&s, NULL, NOW);
	apply(&s, "{'state':{'desired':{'a':{'b':null,'c':4}},'reported':null}}", LATER);
	apply(&s, "{'state':null}", LATER);
	CHECK(update(&s, "{'state':{'desired':{}}}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 &&
	    same_json(res.accepted, "{'state':{'desired':{}},'metadata':{'desired':{}},'version':5,'timestamp':U}"),
	    "desired {} answers metadata desired {}");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
	CHECK_JSON(first.documents, "{'previous':{'state':{'desired':{'a':{'b':1}},'reported':{'a':{'b':2}}},'metadata':{'desired':{'a':{'b':{'timestamp':T}}},'reported':{'a':{'b':{'timestamp':T}}}},'version':1},'current':{'state':{'desired':{'a':{'b':1,'c':3}},'reported':{'a':{'b':2}}},'metadata':{'desired':{'a':{'b':{'timestamp':T},'c':{'timestamp':T}}},'reported':{'a':{'b':{'timestamp':T}}}},'version':2},'timestamp':T}",
	    "earlier answers are untouched by later updates and outlive the shadow");
	CHECK_JSON(first.delta, "{'state':{'a':{'b':1,'c':3}},'metadata':{'a':{'b':{'timestamp':T},'c':{'timestamp':T}}},'version':2,'timestamp':T}",
	    "the earlier delta is intact");
	CHECK_JSON(json_object_object_get(get, "state"), "{'desired':{'a':{'b':1,'c':3}},'reported':{'a':{'b':2}},'delta':{'a':{'b':1,'c':3}}}",
	    "an earlier get answer is intact");
	json_object_put(get);
	doc_update_result_free(&first);
}

static void
test_deleted_version_memory(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;
	json_object *o;

	doc_shadow_init(&s, 9);
	CHECK(update(&s, "{'state':{'reported':{'a':1}},'version':0,'clientToken':'v'}",
	    NOW, DOC_MAX_SIZE_DEFAULT, &res, &err) == -1 && err.code == 409 &&
	    err.has_token && !s.exists,
	    "after a delete at version 9, version 0 is a conflict");
	CHECK(update(&s, "{'state':{'reported':{'a':1}},'version':9}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 && s.version == 10 &&
	    s.exists, "version 9 matches the remembered version: now 10");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
	doc_shadow_init(&s, 0);
	CHECK(update(&s, "{'state':{'reported':{'a':1}},'version':1}", NOW,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == -1 && err.code == 409,
	    "a never-written shadow is at version 0 for the check");
	CHECK(update(&s, "{'state':null}", NOW, DOC_MAX_SIZE_DEFAULT, &res,
	    &err) == 0 && s.exists && s.version == 1 &&
	    json_object_object_length(s.state) == 0,
	    "state null on a missing shadow creates an empty shadow");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
	CHECK(doc_shadow_load(&s, "{\"state\":{},\"metadata\":{},\"version\":3}") == 0 &&
	    s.exists && s.version == 3, "an emptied shadow loads");
	o = doc_get_accepted(&s, NULL, NOW);
	CHECK_JSON(o, "{'state':{},'metadata':{},'version':3,'timestamp':T}",
	    "get on a loaded emptied shadow");
	json_object_put(o);
	doc_shadow_free(&s);
	doc_error_not_found(&err, "lamp", "", NULL);
	CHECK_STR(err.message, "No shadow exists with name: 'lamp'",
	    "an empty shadow name means the classic shadow");
	CHECK(err.code == 404 && !err.has_token, "404 without token");
}

static void
test_unknown_members_and_duplicates(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;

	doc_shadow_init(&s, 0);
	CHECK(update(&s, "{'state':{'reported':{'a':1,'a':2}},'hello':1,'metadata':{'x':1},'timestamp':5}",
	    NOW, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "extra members accepted");
	CHECK_JSON(res.documents, "{'previous':null,'current':{'state':{'reported':{'a':2}},'metadata':{'reported':{'a':{'timestamp':T}}},'version':1},'timestamp':T}",
	    "extra members are not stored, duplicate keys: last wins");
	CHECK_JSON(res.accepted, "{'state':{'reported':{'a':2}},'metadata':{'reported':{'a':{'timestamp':T}}},'version':1,'timestamp':T}",
	    "accepted echoes state only");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_metadata_shapes(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'reported':{'a':1,'b':{'c':1,'d':2},'arr':[1,{'x':1,'y':[2,3]},[4],[]],'e':[]}}}", NOW);
	CHECK_JSON(s.metadata, "{'reported':{'a':{'timestamp':T},'b':{'c':{'timestamp':T},'d':{'timestamp':T}},'arr':[{'timestamp':T},{'x':{'timestamp':T},'y':[{'timestamp':T},{'timestamp':T}]},[{'timestamp':T}],[]],'e':[]}}",
	    "arrays get per-element metadata, recursively; [] for an empty array");
	CHECK(update(&s, "{'state':{'reported':{'b':{'c':5}}}}", LATER,
	    DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "partial nested update");
	CHECK_JSON(s.metadata, "{'reported':{'a':{'timestamp':T},'b':{'c':{'timestamp':U},'d':{'timestamp':T}},'arr':[{'timestamp':T},{'x':{'timestamp':T},'y':[{'timestamp':T},{'timestamp':T}]},[{'timestamp':T}],[]],'e':[]}}",
	    "untouched leaves keep their old timestamps");
	CHECK_JSON(json_object_object_get(res.accepted, "metadata"),
	    "{'reported':{'b':{'c':{'timestamp':U}}}}",
	    "accepted metadata covers only the request");
	doc_update_result_free(&res);
	apply(&s, "{'state':{'reported':{'a':{'z':1},'b':[1,2],'arr':7,'e':{'k':'v'}}}}", LATER);
	CHECK_JSON(s.metadata, "{'reported':{'a':{'z':{'timestamp':U}},'b':[{'timestamp':U},{'timestamp':U}],'arr':{'timestamp':U},'e':{'k':{'timestamp':U}}}}",
	    "shape changes take the new shape");
	CHECK(update(&s, "{'state':{'reported':{'a':{'z':null,'w':null},'q':null,'n':{'o':null,'p':[1]}}}}",
	    LATER, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "update with nulls");
	CHECK_JSON(json_object_object_get(res.accepted, "metadata"),
	    "{'reported':{'a':{'z':{'timestamp':U},'w':{'timestamp':U}},'q':{'timestamp':U},'n':{'o':{'timestamp':U},'p':[{'timestamp':U}]}}}",
	    "every null in the request gets a timestamp in accepted metadata");
	CHECK_JSON(s.metadata, "{'reported':{'b':[{'timestamp':U},{'timestamp':U}],'arr':{'timestamp':U},'e':{'k':{'timestamp':U}},'n':{'p':[{'timestamp':U}]}}}",
	    "stored metadata drops deleted keys");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_delta_rules(void)
{
	struct {
		const char *d, *r, *want;
		const char *name;
	} cases[] = {
		{ "{'a':1}", NULL, "{'a':1}", "no reported: the delta is desired" },
		{ "{'a':1}", "{'a':1}", NULL, "equal values: no delta" },
		{ "{'a':1}", "{'a':1.0}", NULL, "1 and 1.0 are equal" },
		{ "{'a':1}", "{'a':'1'}", "{'a':1}", "1 and \"1\" differ" },
		{ "{'a':true}", "{'a':1}", "{'a':true}", "true and 1 differ" },
		{ "{'a':0}", "{'a':-0.0}", NULL, "0 and -0.0 are equal" },
		{ "{'a':-5}", "{'a':-5.0}", NULL, "-5 and -5.0 are equal" },
		{ "{'a':1}", "{'a':1.5}", "{'a':1}", "1 and 1.5 differ" },
		{ "{'a':-1}", "{'a':1.0}", "{'a':-1}", "-1 and 1.0 differ" },
		{ "{'a':1}", "{'a':-1.0}", "{'a':1}", "1 and -1.0 differ" },
		{ "{'a':-1}", "{'a':1}", "{'a':-1}", "-1 and 1 differ" },
		{ "{'a':1e300}", "{'a':1}", "{'a':1e300}", "a huge double and 1 differ" },
		{ "{'a':9007199254740993}", "{'a':9007199254740992.0}",
		  "{'a':9007199254740993}", "large int vs nearby double differ" },
		{ "{'a':18446744073709551615}", "{'a':-1}",
		  "{'a':18446744073709551615}", "uint64 max and -1 differ" },
		{ "{'a':[1,2]}", "{'a':[2,1]}", "{'a':[1,2]}", "arrays compare in order" },
		{ "{'a':[1,{'b':2}]}", "{'a':[1.0,{'b':2}]}", NULL,
		  "arrays compare deeply" },
		{ "{'a':{'b':{'c':1,'d':2}}}", "{'a':{'b':{'c':1,'d':3}}}",
		  "{'a':{'b':{'d':2}}}", "nested: the path to the root is kept" },
		{ "{'a':{'b':1}}", "{'a':5}", "{'a':{'b':1}}",
		  "object vs scalar: whole desired value" },
		{ "{'a':1}", "{'a':1,'z':2}", NULL, "keys only in reported never appear" },
		{ "{'a':{'b':1}}", "{'a':{'b':1,'c':2}}", NULL,
		  "nested keys only in reported never appear" },
		{ "{'s':'x'}", "{'s':'x\\u0000'}", "{'s':'x'}",
		  "strings compare by all bytes" },
	};
	size_t i;
	json_object *d, *r, *delta;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = J(cases[i].d);
		r = cases[i].r ? J(cases[i].r) : NULL;
		delta = doc_delta(d, r);
		if (cases[i].want == NULL)
			CHECK(delta == NULL, "%s", cases[i].name);
		else
			CHECK(delta != NULL && same_json(delta, cases[i].want),
			    "%s", cases[i].name);
		json_object_put(delta);
		json_object_put(d);
		json_object_put(r);
	}
	CHECK(doc_delta(NULL, NULL) == NULL, "no desired: no delta");
}

static void
test_delta_message(void)
{
	struct doc_shadow s;
	struct doc_update_result res;
	struct doc_error err;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'desired':{'a':{'b':1,'c':2},'l':[1,2],'k':1},'reported':{'a':{'b':1,'c':3},'k':1}}}",
	    NOW);
	CHECK(update(&s, "{'state':{'desired':{'x':1}},'clientToken':'dm'}",
	    LATER, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0, "update accepted");
	CHECK_JSON(res.delta, "{'state':{'a':{'c':2},'l':[1,2],'x':1},'metadata':{'a':{'c':{'timestamp':T}},'l':[{'timestamp':T},{'timestamp':T}],'x':{'timestamp':U}},'version':2,'timestamp':U,'clientToken':'dm'}",
	    "the delta message is complete, with desired's metadata");
	doc_update_result_free(&res);
	CHECK(update(&s, "{'state':{'reported':{'a':{'c':2},'l':[1,2],'x':1.0}}}",
	    LATER, DOC_MAX_SIZE_DEFAULT, &res, &err) == 0 && res.delta == NULL,
	    "no delta message once reported matches");
	doc_update_result_free(&res);
	doc_shadow_free(&s);
}

static void
test_get_and_tokens(void)
{
	struct doc_shadow s;
	struct doc_error err;
	char token[DOC_MAX_TOKEN + 1], *t65, text[128];
	json_object *o;

	doc_shadow_init(&s, 0);
	apply(&s, "{'state':{'reported':{'a':1}}}", NOW);
	o = doc_get_accepted(&s, NULL, LATER);
	CHECK_JSON(o, "{'state':{'reported':{'a':1}},'metadata':{'reported':{'a':{'timestamp':T}}},'version':1,'timestamp':U}",
	    "get without desired shows no delta");
	json_object_put(o);
	doc_shadow_free(&s);

	CHECK(doc_read_token("{\"clientToken\":\"abc\"}", 21, token) &&
	    strcmp(token, "abc") == 0, "get payload token is read");
	CHECK(!doc_read_token("", 0, token), "empty get payload: no token");
	CHECK(!doc_read_token("hello", 5, token), "non-JSON get payload: no token");
	CHECK(!doc_read_token("[\"clientToken\"]", 15, token),
	    "a JSON array: no token");
	CHECK(!doc_read_token("{\"clientToken\":5}", 17, token),
	    "a numeric token is ignored");
	t65 = repeat('x', 65);
	snprintf(text, sizeof(text), "{\"clientToken\":\"%s\"}", t65);
	CHECK(!doc_read_token(text, strlen(text), token),
	    "a 65-byte token is ignored");
	t65[64] = '\0';
	snprintf(text, sizeof(text), "{\"clientToken\":\"%s\"}", t65);
	CHECK(doc_read_token(text, strlen(text), token) &&
	    strcmp(token, t65) == 0, "a 64-byte token is echoed");
	free(t65);
	CHECK(!doc_read_token("{\"clientToken\":\"a\"} x", 21, token),
	    "trailing garbage: no token");
	CHECK(!doc_read_token("{\"clientToken\":\"a\xff\"}", 20, token),
	    "a token that is not UTF-8 is ignored");
	CHECK(!doc_read_token("{\"clientToken\":\"a\",\"x\":NaN}", 27, token),
	    "a payload that is not strict JSON gives no token");
	CHECK(doc_read_token("{\"clientToken\":\"a\",\"x\":[[1]],\"clientToken\":\"b\"}",
	    47, token) && strcmp(token, "b") == 0,
	    "a repeated clientToken: the last one is echoed");

	doc_error_not_found(&err, "thing1", "simShadow1", "q");
	o = doc_error_json(&err, NOW);
	CHECK_JSON(o, "{'code':404,'message':'No shadow exists with name: \\u0027thing1~simShadow1\\u0027','clientToken':'q'}",
	    "named shadow 404 says thing~shadow and echoes the token");
	json_object_put(o);
	doc_error_set(&err, 400, DOC_MSG_INVALID_JSON, NULL);
	o = doc_error_json(&err, NOW);
	CHECK_JSON(o, "{'code':400,'message':'Invalid JSON','timestamp':T}",
	    "a 400 carries a timestamp and no token");
	json_object_put(o);
	doc_error_set(&err, 429, DOC_MSG_RATE, "r");
	o = doc_error_json(&err, NOW);
	CHECK_JSON(o, "{'code':429,'message':'TOO_MANY_REQUESTS','timestamp':T,'clientToken':'r'}",
	    "a 429 echoes the token");
	json_object_put(o);
}

static void
test_snapshot_round_trip(void)
{
	struct doc_shadow s, t;
	json_object *snap;
	char *text;

	doc_shadow_init(&s, 0);
	CHECK(!s.exists && s.version == 0 &&
	    json_object_object_length(s.state) == 0,
	    "a missing shadow starts empty at version 0");
	apply(&s, "{'state':{'desired':{'a':[1,{'b':2}],'u':'a/b'},'reported':{'c':1.50}}}", NOW);
	snap = doc_shadow_snapshot(&s);
	CHECK_JSON(snap, "{'state':{'desired':{'a':[1,{'b':2}],'u':'a/b'},'reported':{'c':1.5}},'metadata':{'desired':{'a':[{'timestamp':T},{'b':{'timestamp':T}}],'u':{'timestamp':T}},'reported':{'c':{'timestamp':T}}},'version':1}",
	    "snapshot holds state, metadata and version");
	text = strdup(S(snap));
	CHECK(strstr(text, "1.50") != NULL, "doubles keep their written form");
	CHECK(doc_shadow_load(&t, text) == 0 && t.exists && t.version == 1 &&
	    doc_json_equal(t.state, s.state) &&
	    doc_json_equal(t.metadata, s.metadata),
	    "a loaded snapshot equals the shadow");
	CHECK(apply(&t, "{'state':{'desired':{'a':null}},'version':1}", LATER) == 0 &&
	    same_json(t.state, "{'desired':{'u':'a/b'},'reported':{'c':1.5}}") &&
	    same_json(t.metadata, "{'desired':{'u':{'timestamp':T}},'reported':{'c':{'timestamp':T}}}"),
	    "a loaded shadow takes further updates");
	CHECK(same_json(s.state, "{'desired':{'a':[1,{'b':2}],'u':'a/b'},'reported':{'c':1.5}}"),
	    "the original is untouched by updates to the copy");
	free(text);
	json_object_put(snap);
	doc_shadow_free(&t);
	doc_shadow_free(&s);
	CHECK(doc_shadow_load(&t, "{\"state\":{}}") == -1,
	    "a snapshot without version is refused");
	CHECK(doc_shadow_load(&t, "nope") == -1, "a non-JSON snapshot is refused");
}

/* Differential test against a plain in-place reference merge. */
static uint32_t rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static const char *keys[] = { "a", "b", "c", "d" };

static json_object *random_object(int depth, bool allow_null);

static const char *odd_strings[] = {
	"a/b", "q\"uote", "back\\slash", "tab\tnl\ncr\r", "\x01\x1f\x7f",
	"\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa1", "\b\f", "",
};

static json_object *
random_scalar(void)
{
	switch (rng() % 9) {
	case 5:
		return json_object_new_string(odd_strings[rng() % 8]);
	case 6:
		return json_object_new_int64(-(int64_t)(rng() % 100000));
	case 7:
		return json_object_new_uint64(UINT64_MAX - rng() % 3);
	case 8:
		return json_object_new_int64(INT64_MIN + rng() % 3);
	case 0:
		return json_object_new_int64((int64_t)(rng() % 3));
	case 1:
		return json_object_new_double((double)(rng() % 3));
	case 2:
		return json_object_new_string(rng() % 2 ? "x" : "1");
	case 3:
		return json_object_new_boolean(rng() % 2);
	default:
		return json_object_new_string("");
	}
}

static json_object *
random_value(int depth, bool allow_null)
{
	json_object *a;
	uint32_t r = rng() % 10, n, i;

	if (allow_null && r < 3)
		return NULL;
	if (r < 6 || depth >= 3)
		return random_scalar();
	if (r < 8)
		return random_object(depth + 1, allow_null);
	a = json_object_new_array();
	n = rng() % 3;
	for (i = 0; i < n; i++)
		json_object_array_add(a, rng() % 4 || depth > 0 ?
		    random_scalar() : random_object(3, true));
	return a;
}

static json_object *
random_object(int depth, bool allow_null)
{
	json_object *o = json_object_new_object();
	uint32_t n = rng() % 4, i;

	for (i = 0; i < n; i++)
		json_object_object_add(o, keys[rng() % 4],
		    random_value(depth, allow_null));
	return o;
}

/* Metadata mirrors the value: same keys, same array lengths, leaves. */
static bool
meta_mirrors(json_object *v, json_object *m)
{
	json_object *mv;
	size_t i, n;

	if (json_object_is_type(v, json_type_object)) {
		if (!json_object_is_type(m, json_type_object) ||
		    json_object_object_length(m) != json_object_object_length(v))
			return false;
		json_object_object_foreach(v, k, c) {
			if (!json_object_object_get_ex(m, k, &mv) ||
			    !meta_mirrors(c, mv))
				return false;
		}
		return true;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		if (!json_object_is_type(m, json_type_array) ||
		    json_object_array_length(m) != n)
			return false;
		for (i = 0; i < n; i++)
			if (!meta_mirrors(json_object_array_get_idx(v, i),
			    json_object_array_get_idx(m, i)))
				return false;
		return true;
	}
	return json_object_is_type(m, json_type_object) &&
	    json_object_object_length(m) == 1 &&
	    json_object_object_get_ex(m, "timestamp", NULL);
}

static json_object *
random_state(void)
{
	json_object *st;
	uint32_t r = rng() % 20;

	if (r == 0)
		return NULL;
	st = json_object_new_object();
	if (rng() % 3)
		json_object_object_add(st, "desired",
		    rng() % 8 ? random_object(0, true) : NULL);
	if (rng() % 3)
		json_object_object_add(st, "reported",
		    rng() % 8 ? random_object(0, true) : NULL);
	return st;
}

static void
numbers_to_text(json_object **v)
{
	size_t i, n;
	json_object *c;

	char text[64];

	if (json_object_is_type(*v, json_type_int)) {
		if (json_object_get_int64(*v) < 0)
			snprintf(text, sizeof(text), "\x02%lld",
			    (long long)json_object_get_int64(*v));
		else
			snprintf(text, sizeof(text), "\x02%llu",
			    (unsigned long long)json_object_get_uint64(*v));
		json_object_put(*v);
		*v = json_object_new_string(text);
		return;
	}
	if (json_object_is_type(*v, json_type_double)) {
		double d = json_object_get_double(*v);

		if (d == 0)
			snprintf(text, sizeof(text), "\x02%s", "0");
		else if (d == floor(d) && fabs(d) < 1e19)
			snprintf(text, sizeof(text), "\x02%.0f", d);
		else
			snprintf(text, sizeof(text), "\x02%.17g", d);
		json_object_put(*v);
		*v = json_object_new_string(text);
		return;
	}
	if (json_object_is_type(*v, json_type_array)) {
		n = json_object_array_length(*v);
		for (i = 0; i < n; i++) {
			c = json_object_get(json_object_array_get_idx(*v, i));
			numbers_to_text(&c);
			json_object_array_put_idx(*v, i, c);
		}
	} else if (json_object_is_type(*v, json_type_object)) {
		json_object_object_foreach(*v, k, cv) {
			c = json_object_get(cv);
			numbers_to_text(&c);
			json_object_object_add(*v, k, c);
		}
	}
}

/* §6 delta, written the plain way. */
static json_object *
ref_delta(json_object *d, json_object *r)
{
	json_object *out, *rv, *sub, *rs, *ds;
	const char *a, *b;

	if (d == NULL)
		return NULL;
	out = json_object_new_object();
	json_object_object_foreach(d, k, dv) {
		if (r == NULL || !json_object_object_get_ex(r, k, &rv)) {
			json_object_object_add(out, k, json_object_get(dv));
			continue;
		}
		if (json_object_is_type(dv, json_type_object) &&
		    json_object_is_type(rv, json_type_object)) {
			if ((sub = ref_delta(dv, rv)) != NULL)
				json_object_object_add(out, k, sub);
			continue;
		}
		/* equal by value: compare texts with every number written
		 * in one canonical decimal form */
		ds = NULL;
		rs = NULL;
		json_object_deep_copy(dv, &ds, NULL);
		json_object_deep_copy(rv, &rs, NULL);
		numbers_to_text(&ds);
		numbers_to_text(&rs);
		a = S(ds);
		b = S(rs);
		if (strcmp(a, b) != 0)
			json_object_object_add(out, k, json_object_get(dv));
		json_object_put(ds);
		json_object_put(rs);
	}
	if (json_object_object_length(out) == 0) {
		json_object_put(out);
		return NULL;
	}
	return out;
}

/* Store and load the shadow as shadowd does. */
static void
reload(struct doc_shadow *s)
{
	struct doc_shadow t;
	json_object *snap = doc_shadow_snapshot(s);
	char *text = strdup(S(snap));

	json_object_put(snap);
	if (text == NULL || doc_shadow_load(&t, text) != 0)
		abort();
	free(text);
	doc_shadow_free(s);
	*s = t;
}

static void
test_differential(void)
{
	int seq, step, bad_state = 0, bad_meta = 0, bad_version = 0;
	int bad_parse = 0, bad_delta = 0, runs = 0;
	struct doc_shadow s;
	struct doc_request req;
	struct doc_update_result res;
	struct doc_error err;
	json_object *ref, *payload, *st, *get, *want_delta, *got_delta;
	const char *text;

	for (seq = 0; seq < 300; seq++) {
		doc_shadow_init(&s, seq % 3 == 0 ? seq : 0);
		ref = json_object_new_object();
		for (step = 0; step < 12; step++) {
			payload = json_object_new_object();
			st = random_state();
			json_object_object_add(payload, "state", st);
			text = S(payload);
			if (doc_parse_update(text, strlen(text), &req,
			    &err) != 0) {
				if (bad_parse == 0)
					printf("#   %s: %s\n", err.message, text);
				bad_parse++;
				json_object_put(payload);
				continue;
			}
			runs++;
			if (doc_apply_update(&s, &req, NOW + step, 1 << 20,
			    &res, &err) != 0) {
				bad_parse++;
			} else {
				ref_update(ref, st);
				doc_update_result_free(&res);
			}
			doc_request_free(&req);
			json_object_put(payload);
			if (!doc_json_equal(s.state, ref)) {
				if (bad_state++ == 0)
					printf("#   seq %d step %d: got %s want %s\n",
					    seq, step, S(s.state), S(ref));
			}
			if (!meta_mirrors(s.state, s.metadata))
				bad_meta++;
			if (s.version != (seq % 3 == 0 ? seq : 0) + step + 1)
				bad_version++;
			if (step % 4 == 3)
				reload(&s);
			get = doc_get_accepted(&s, NULL, NOW);
			json_object_object_get_ex(json_object_object_get(get,
			    "state"), "delta", &got_delta);
			want_delta = ref_delta(json_object_object_get(ref,
			    "desired"), json_object_object_get(ref, "reported"));
			if (!(got_delta == NULL ? want_delta == NULL :
			    want_delta != NULL &&
			    doc_json_equal(got_delta, want_delta)))
				bad_delta++;
			json_object_put(want_delta);
			json_object_put(get);
		}
		json_object_put(ref);
		doc_shadow_free(&s);
	}
	CHECK(bad_parse == 0, "random updates are all valid (%d failed)",
	    bad_parse);
	CHECK(bad_state == 0, "300 random update sequences (%d updates) match "
	    "the reference merge (%d differ)", runs, bad_state);
	CHECK(bad_meta == 0, "metadata always mirrors the stored state (%d "
	    "differ)", bad_meta);
	CHECK(bad_version == 0, "every accepted update bumps the version");
	CHECK(bad_delta == 0, "get's delta matches the reference document's");
}

/* The size check counts exactly the compact serialisation. */
static void
test_size_boundary_random(void)
{
	int i, bad = 0;
	json_object *doc, *payload, *st, *ref;
	struct doc_shadow s;
	struct doc_request req;
	struct doc_update_result res;
	struct doc_error err;
	const char *text;
	size_t size;

	for (i = 0; i < 300; i++) {
		doc = random_object(0, true);
		payload = json_object_new_object();
		st = json_object_new_object();
		json_object_object_add(st, "reported", doc);
		json_object_object_add(payload, "state", st);
		ref = json_object_new_object();
		ref_update(ref, st);
		size = doc_compact_size(json_object_object_get(ref, "reported"));
		json_object_put(ref);
		if (size == 0) {
			json_object_put(payload);
			continue;
		}
		text = S(payload);
		if (doc_parse_update(text, strlen(text), &req, &err) != 0) {
			bad++;
			json_object_put(payload);
			continue;
		}
		doc_shadow_init(&s, 0);
		if (doc_apply_update(&s, &req, NOW, size - 1, &res, &err) == 0 ||
		    err.code != 413) {
			if (bad == 0)
				printf("#   size %zu: %s\n", size, text);
			bad++;
		}
		doc_update_result_free(&res);
		if (doc_apply_update(&s, &req, NOW, size, &res, &err) != 0)
			bad++;
		doc_update_result_free(&res);
		doc_shadow_free(&s);
		doc_request_free(&req);
		json_object_put(payload);
	}
	CHECK(bad == 0, "300 random documents fit a limit of exactly their "
	    "compact size and not one byte less (%d wrong)", bad);
}

int
main(void)
{
	test_encoding();
	test_invalid_json();
	test_payload_limits();
	test_parser_depth_boundary();
	test_client_token();
	test_version_field();
	test_state_checks();
	test_nesting_depth();
	test_many_keys();
	test_example_a_to_d();
	test_example_e_f();
	test_example_g_h();
	test_example_i();
	test_size_limit_exact();
	test_merge_rules();
	test_unknown_members_and_duplicates();
	test_deleted_version_memory();
	test_answers_outlive_the_shadow();
	test_long_invalid_node_name();
	test_metadata_shapes();
	test_delta_rules();
	test_delta_message();
	test_get_and_tokens();
	test_snapshot_round_trip();
	test_differential();
	test_size_boundary_random();
	CHECK_DONE();
}
