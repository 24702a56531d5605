#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "check.h"

static char err[512];

static const char *
js(json_object *o)
{
	return json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Apply the NULL-terminated assignments; compact JSON or "ERR: message". */
static char *
apply_all(const char *const *args)
{
	json_object *o = NULL;
	char *s;

	err[0] = '\0';
	for (; *args != NULL; args++) {
		if (assign_apply(&o, *args, err, sizeof(err)) == -1) {
			json_object_put(o);
			if (asprintf(&s, "ERR: %s", err) == -1)
				abort();
			return s;
		}
	}
	if ((s = strdup(js(o))) == NULL)
		abort();
	json_object_put(o);
	return s;
}

#define APPLY(want, name, ...)                                         \
	do {                                                           \
		const char *a_[] = { __VA_ARGS__, NULL };              \
		char *got_ = apply_all(a_);                              \
		CHECK_STR(got_, want, name);                             \
		free(got_);                                            \
	} while (0)

/* True when applying arg fails with a message containing both needles. */
static int
fails_naming(const char *arg, const char *needle)
{
	json_object *o = NULL;
	int rc;

	err[0] = '\0';
	rc = assign_apply(&o, arg, err, sizeof(err));
	json_object_put(o);
	if (rc != -1) {
		printf("#   '%s' was accepted\n", arg);
		return 0;
	}
	if (strstr(err, arg) == NULL || strstr(err, needle) == NULL) {
		printf("#   message: %s\n", err);
		return 0;
	}
	return 1;
}

static void
test_strings(void)
{
	APPLY("{\"MOTOR\":\"ON\"}", "KEY=VALUE sets a string", "MOTOR=ON");
	APPLY("{\"speed\":\"42\"}", "KEY=42 stays a string", "speed=42");
	APPLY("{\"on\":\"true\"}", "KEY=true stays a string", "on=true");
	APPLY("{\"n\":\"null\"}", "KEY=null stays a string", "n=null");
	APPLY("{\"e\":\"\"}", "an empty value is an empty string", "e=");
	APPLY("{\"eq\":\"a=b\"}", "an = in the value is kept", "eq=a=b");
	APPLY("{\"c\":\"x:=y\"}", "a := in a string value is kept", "c=x:=y");
	APPLY("{\"d\":\"1.2.3\"}", "dots in a value do not nest", "d=1.2.3");
	APPLY("{\"b\":\"a\\\\b\"}", "a backslash in a value is kept",
	    "b=a\\b");
	APPLY("{\"u\":\"h\xc3\xa9 \xe2\x98\x83\"}", "UTF-8 values pass through",
	    "u=h\xc3\xa9 \xe2\x98\x83");
	APPLY("{\"q\":\"say \\\"hi\\\"\"}", "quotes in a value are escaped",
	    "q=say \"hi\"");
	APPLY("{\"a:b\":\"c\"}", "a colon not before = is part of the key",
	    "a:b=c");
}

static void
test_json(void)
{
	APPLY("{\"speed\":42}", ":= integer", "speed:=42");
	APPLY("{\"t\":-7.5}", ":= negative double", "t:=-7.5");
	APPLY("{\"x\":1.50}", ":= keeps a double as written", "x:=1.50");
	APPLY("{\"big\":9223372036854775807}", ":= int64 max",
	    "big:=9223372036854775807");
	APPLY("{\"e\":1e3}", ":= exponent", "e:=1e3");
	APPLY("{\"on\":true}", ":= true", "on:=true");
	APPLY("{\"off\":false}", ":= false", "off:=false");
	APPLY("{\"MOTOR\":null}", ":= null", "MOTOR:=null");
	APPLY("{\"s\":\"txt\"}", ":= quoted string", "s:=\"txt\"");
	APPLY("{\"cfg\":{\"a\":[1,2]}}", ":= object", "cfg:={\"a\":[1,2]}");
	APPLY("{\"l\":[1,\"two\",null,{\"x\":false}]}", ":= mixed array",
	    "l:=[1,\"two\",null,{\"x\":false}]");
	APPLY("{\"o\":{}}", ":= empty object", "o:={}");
	APPLY("{\"a\":[]}", ":= empty array", "a:=[]");
	APPLY("{\"w\":1}", ":= allows surrounding whitespace", "w:= 1 ");
	APPLY("{\"nl\":{\"k\":1}}", ":= allows newlines", "nl:={\n\"k\": 1\n}\n");
}

static void
test_nesting(void)
{
	APPLY("{\"light\":{\"color\":\"red\"}}", "dots nest",
	    "light.color=red");
	APPLY("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", "deep nesting with :=",
	    "a.b.c.d:=1");
	APPLY("{\"light\":{\"color\":\"red\",\"level\":5}}",
	    "siblings merge into one object", "light.color=red",
	    "light.level:=5");
	APPLY("{\"a\":{\"x\":1,\"y\":\"2\"}}",
	    "a dotted key adds to an object set with :=", "a:={\"x\":1}",
	    "a.y=2");
	APPLY("{\"a\":{\"b\":\"2\"}}", "a dotted key replaces a scalar",
	    "a=1", "a.b=2");
	APPLY("{\"a\":\"1\"}", "a scalar replaces an earlier object",
	    "a.b=2", "a=1");
	APPLY("{\"k\":\"second\"}", "the last assignment to a key wins",
	    "k=first", "k=second");
	APPLY("{\"k\":5,\"j\":\"x\"}", "overriding keeps key order",
	    "k=1", "j=x", "k:=5");
	APPLY("{\"a\":{\"b\":null}}", "null can be nested", "a.b:=null");
	APPLY("{\"a\":{\"b\":{\"c\":\"z\"}}}", "an array is replaced by nesting",
	    "a:=[1]", "a.b.c=z");
}

static void
test_escapes(void)
{
	APPLY("{\"a.b\":\"c\"}", "\\. is a literal dot", "a\\.b=c");
	APPLY("{\"x\":{\"a.b\":{\"c\":\"d\"}}}", "escaped and real dots mix",
	    "x.a\\.b.c=d");
	APPLY("{\"a=b\":\"c\"}", "\\= is a literal equals sign", "a\\=b=c");
	APPLY("{\"a:\":\"c\"}", "\\: before = keeps the colon in the key",
	    "a\\:=c");
	APPLY("{\"a:=b\":1}", "\\: and \\= together", "a\\:\\=b:=1");
	APPLY("{\"a\\\\\":\"c\"}", "\\\\ is a literal backslash", "a\\\\=c");
	APPLY("{\"a\\\\\":{\"b\":\"c\"}}", "\\\\ then a dot still nests",
	    "a\\\\.b=c");
	APPLY("{\"a\\\\x\":\"c\"}", "a backslash before another char is kept",
	    "a\\x=c");
	APPLY("{\".\":\"dot\"}", "a key that is only a dot", "\\.=dot");
	APPLY("{\"$aws\":\"x\"}", "dollar keys are ordinary", "$aws=x");
}

static void
test_errors(void)
{
	CHECK(fails_naming("MOTOR", "KEY=VALUE"), "no separator is refused");
	CHECK(fails_naming("=x", "empty key"), "an empty key is refused");
	CHECK(fails_naming(":=1", "empty key"), "an empty key with := is refused");
	CHECK(fails_naming("", "empty key"), "an empty argument is refused");
	CHECK(fails_naming("a..b=1", "empty key segment"),
	    "two dots in a row are refused");
	CHECK(fails_naming(".a=1", "empty key segment"),
	    "a leading dot is refused");
	CHECK(fails_naming("a.=1", "empty key segment"),
	    "a trailing dot is refused");
	CHECK(fails_naming("speed:=4x", "invalid JSON"),
	    "trailing garbage after := is refused");
	CHECK(fails_naming("s:=hello", "invalid JSON"),
	    "an unquoted string after := is refused");
	CHECK(fails_naming("s:='x'", "invalid JSON"),
	    "single quotes are not JSON");
	CHECK(fails_naming("a:={\"x\":1", "invalid JSON"),
	    "an unclosed object is refused");
	CHECK(fails_naming("a:={\"x\":1}}", "invalid JSON"),
	    "an extra brace is refused");
	CHECK(fails_naming("a:=[1,]", "invalid JSON"),
	    "a trailing comma is refused");
	CHECK(fails_naming("a:=tru", "invalid JSON"), "a truncated literal");
	CHECK(fails_naming("a:=NaN", "invalid JSON"), "NaN is not JSON");
	CHECK(fails_naming("a:=Infinity", "invalid JSON"),
	    "Infinity is not JSON");
	CHECK(fails_naming("a:=1e999", "invalid JSON"),
	    "a number out of range is refused");
	CHECK(fails_naming("a:=[1,{\"b\":NaN}]", "invalid JSON"),
	    "NaN nested in an array is refused");
	CHECK(fails_naming("a:=", "no JSON"), "nothing after := is refused");
	CHECK(fails_naming("a\\=b", "KEY=VALUE"),
	    "an escaped = is no separator");
}

static void
test_error_keeps_object(void)
{
	json_object *o = NULL;

	CHECK(assign_apply(&o, "a=1", err, sizeof(err)) == 0, "first applies");
	CHECK(assign_apply(&o, "b:=oops", err, sizeof(err)) == -1,
	    "second fails");
	CHECK_STR(js(o), "{\"a\":\"1\"}", "a failed assignment changes nothing");
	json_object_put(o);

	o = json_object_new_array();
	CHECK(assign_apply(&o, "a=1", err, sizeof(err)) == 0,
	    "a non-object target is replaced");
	CHECK_STR(js(o), "{\"a\":\"1\"}", "by an object");
	json_object_put(o);
}

static void
test_null(void)
{
	json_object *o = NULL;

	CHECK(assign_null(&o, "MOTOR", err, sizeof(err)) == 0, "unset a key");
	CHECK(assign_null(&o, "light.color", err, sizeof(err)) == 0,
	    "unset a nested key");
	CHECK(assign_null(&o, "a\\.b", err, sizeof(err)) == 0,
	    "unset a key with a literal dot");
	CHECK(assign_null(&o, "x=y", err, sizeof(err)) == 0,
	    "= is part of an unset key");
	CHECK_STR(js(o), "{\"MOTOR\":null,\"light\":{\"color\":null},"
	    "\"a.b\":null,\"x=y\":null}", "unset sends nulls");
	CHECK(assign_null(&o, "", err, sizeof(err)) == -1 &&
	    strstr(err, "empty key") != NULL, "unset of an empty key fails");
	CHECK(assign_null(&o, "a..b", err, sizeof(err)) == -1 &&
	    strstr(err, "a..b") != NULL, "unset of a..b fails naming it");
	json_object_put(o);
}

static void
test_lookup(void)
{
	json_object *doc, *v;
	const char *text = "{\"state\":{\"reported\":{\"MOTOR\":\"ON\","
	    "\"a.b\":1,\"list\":[10,{\"x\":true}],\"nil\":null,"
	    "\"cfg\":{\"deep\":{\"er\":\"yes\"}}}},\"version\":3}";

	doc = json_tokener_parse(text);
	CHECK(doc != NULL, "document parses");
	CHECK(assign_lookup(doc, "state.reported.MOTOR", &v, err,
	    sizeof(err)) == 0 && strcmp(json_object_get_string(v), "ON") == 0,
	    "a dotted path finds a string");
	CHECK(assign_lookup(doc, "version", &v, err, sizeof(err)) == 0 &&
	    json_object_get_int(v) == 3, "a top-level path finds a number");
	CHECK(assign_lookup(doc, "state.reported.a\\.b", &v, err,
	    sizeof(err)) == 0 && json_object_get_int(v) == 1,
	    "an escaped dot matches a literal key");
	CHECK(assign_lookup(doc, "state.reported.list.1.x", &v, err,
	    sizeof(err)) == 0 && json_object_get_boolean(v),
	    "a number indexes an array");
	CHECK(assign_lookup(doc, "state.reported.cfg.deep", &v, err,
	    sizeof(err)) == 0 && json_object_is_type(v, json_type_object),
	    "a path can end at an object");
	CHECK(assign_lookup(doc, "state.reported.nil", &v, err,
	    sizeof(err)) == 0 && v == NULL, "a present null is found");
	CHECK(assign_lookup(doc, "", &v, err, sizeof(err)) == 0 && v == doc,
	    "the empty path is the whole document");
	CHECK(assign_lookup(doc, "state.desired.MOTOR", &v, err,
	    sizeof(err)) == -1 && strstr(err, "state.desired.MOTOR") &&
	    strstr(err, "absent") && strstr(err, "'desired'"),
	    "an absent path names the path and the missing key");
	CHECK(assign_lookup(doc, "state.reported.MOTOR.x", &v, err,
	    sizeof(err)) == -1, "a path through a string is absent");
	CHECK(assign_lookup(doc, "state.reported.list.2", &v, err,
	    sizeof(err)) == -1, "an index past the end is absent");
	CHECK(assign_lookup(doc, "state.reported.list.01", &v, err,
	    sizeof(err)) == -1, "a padded index is absent");
	CHECK(assign_lookup(doc, "state.reported.list.-1", &v, err,
	    sizeof(err)) == -1, "a negative index is absent");
	CHECK(assign_lookup(doc, "state.reported.nil.x", &v, err,
	    sizeof(err)) == -1, "a path through null is absent");
	CHECK(assign_lookup(doc, "state..reported", &v, err,
	    sizeof(err)) == -1 && strstr(err, "empty key segment"),
	    "an empty segment in a path is an error");
	json_object_put(doc);
}

int
main(void)
{
	test_strings();
	test_json();
	test_nesting();
	test_escapes();
	test_errors();
	test_error_keeps_object();
	test_null();
	test_lookup();
	CHECK_DONE();
}
