/*
 * test_json.c - the strict JSON reader (common/json.h): what it accepts,
 * what it refuses, and where and why it says a text failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "check.h"

/* Status of json_read on a C string; the value is dropped. */
static enum json_status
status_of(const char *text, const char *range_member)
{
	struct json_result r;
	enum json_status st = json_read(text, strlen(text), range_member, &r);

	json_object_put(r.value);
	return st;
}

static bool
accepts(const char *text)
{
	return status_of(text, NULL) == JSON_OK;
}

static bool
syntax(const char *text)
{
	return status_of(text, NULL) == JSON_SYNTAX;
}

/* Fails with st at offset, saying why. */
static bool
fails_at(const char *text, size_t len, enum json_status st, size_t offset,
    const char *why)
{
	struct json_result r;
	bool ok;

	ok = json_read(text, len, NULL, &r) == st && r.value == NULL &&
	    r.offset == offset && r.why != NULL && strcmp(r.why, why) == 0;
	if (!ok)
		printf("#   %s: offset %zu, why \"%s\"\n", text, r.offset,
		    r.why != NULL ? r.why : "(null)");
	json_object_put(r.value);
	return ok;
}

static void
test_values(void)
{
	struct json_result r;

	CHECK(json_read("{\"a\":[1,2.5,\"x\",true,false,null]}", 33, NULL,
	    &r) == JSON_OK && json_object_is_type(r.value, json_type_object),
	    "an object with every kind of value is read");
	CHECK_STR(json_object_to_json_string_ext(r.value, JSON_C_TO_STRING_PLAIN),
	    "{\"a\":[1,2.5,\"x\",true,false,null]}", "and it reads back the same");
	json_object_put(r.value);
	CHECK(json_read("123", 3, NULL, &r) == JSON_OK &&
	    json_object_get_int64(r.value) == 123,
	    "a number alone is a value, though nothing follows it");
	json_object_put(r.value);
	CHECK(json_read("true", 4, NULL, &r) == JSON_OK &&
	    json_object_get_boolean(r.value), "true alone is a value");
	json_object_put(r.value);
	CHECK(json_read("null", 4, NULL, &r) == JSON_OK && r.value == NULL,
	    "null alone is read as a NULL value with status JSON_OK");
	CHECK(json_read(" \t\r\n\"s\" \n", 9, NULL, &r) == JSON_OK &&
	    strcmp(json_object_get_string(r.value), "s") == 0,
	    "white space around the value is allowed");
	json_object_put(r.value);
	CHECK(json_read("\"a\\u0000b\"", 10, NULL, &r) == JSON_OK &&
	    json_object_get_string_len(r.value) == 3,
	    "an escaped NUL stays inside the string");
	json_object_put(r.value);
	CHECK(json_read("\"\\ud800\"", 8, NULL, &r) == JSON_OK &&
	    json_utf8_valid(json_object_get_string(r.value),
	    (size_t)json_object_get_string_len(r.value)),
	    "a lone escaped surrogate reads as valid UTF-8");
	json_object_put(r.value);
	CHECK(accepts("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa1\"]"),
	    "two-, three- and four-byte characters are read");
	CHECK(accepts("-0") && accepts("0.5e-3") && accepts("1E+2"),
	    "RFC 8259 number forms are read");
}

static void
test_utf8(void)
{
	CHECK(json_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF is valid UTF-8");
	CHECK(!json_utf8_valid("\xf8\x88\x80\x80\x80", 5),
	    "five-byte sequences are not UTF-8");
	CHECK(!json_utf8_valid("\xc0\xaf", 2), "an overlong sequence is not");
	CHECK(!json_utf8_valid("\xed\xa0\x80", 3), "an encoded surrogate is not");
	CHECK(!json_utf8_valid("\xf4\x90\x80\x80", 4),
	    "a code point above U+10FFFF is not");
}

static void
test_syntax(void)
{
	static const char *bad[] = {
		"NaN", "-Infinity", "[Infinity]", "{'a':1}", "[1.]", "[.5]",
		"[01]", "[+1]", "[1e]", "[1e+]", "[-]", "[tru]", "[nul]",
		"[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12g4\"]", "[\"unterminated]",
		"[1,]", "{\"a\":1,}", "{\"a\"}", "[1 2]", "{1:2}", "]",
		"[\"tab\there\"]", "{\"a\":1", "  ",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(syntax(bad[i]), "%s is a syntax error", bad[i]);
	CHECK(json_read("[\"a\0\"]", 5, NULL, &(struct json_result){ 0 }) ==
	    JSON_SYNTAX, "a raw NUL in the text is a syntax error");
}

#define TRAILING "unexpected text after the document"

/* Where and why a text fails. */
static const struct fault {
	const char *text;
	enum json_status status;
	size_t offset;
	const char *why;
	const char *name;
} faults[] = {
	{ "[\"ab\xc3\"]", JSON_ENCODING, 4, "not UTF-8",
	    "a truncated sequence fails as encoding, at its first byte" },
	{ "{\"a\":\xff", JSON_ENCODING, 5, "not UTF-8",
	    "bad UTF-8 wins over bad JSON" },
	{ "", JSON_SYNTAX, 0, "empty", "an empty text is refused as empty" },
	{ "[1, x]", JSON_SYNTAX, 4, "unexpected character",
	    "a stray character is named with its offset" },
	{ "[\"a\nb\"]", JSON_SYNTAX, 1, "invalid string",
	    "a raw control character in a string is named at the string" },
	{ "{\"a\":1.}", JSON_SYNTAX, 5, "invalid number",
	    "a bad number is named at the number" },
	{ "{\"a\":", JSON_SYNTAX, 5, "unexpected end of data",
	    "a text that stops early fails at its end" },
	{ "{\"state\":{}} trailing", JSON_SYNTAX, 13, TRAILING,
	    "a word after the document is named as trailing text" },
	{ "{}{}", JSON_SYNTAX, 2, TRAILING, "a second document is trailing text" },
	{ "1 2", JSON_SYNTAX, 2, TRAILING, "a second number is trailing text" },
	{ "[18446744073709551616]", JSON_SYNTAX, 1, "number out of range",
	    "an integer above uint64 is refused" },
};

static void
test_faults(void)
{
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		CHECK(fails_at(faults[i].text, strlen(faults[i].text),
		    faults[i].status, faults[i].offset, faults[i].why),
		    "%s", faults[i].name);
}

static void
test_numbers_in_range(void)
{
	CHECK(accepts("18446744073709551615") &&
	    accepts("-9223372036854775808"),
	    "the largest uint64 and the smallest int64 are read");
	CHECK(syntax("-9223372036854775809"),
	    "an integer below int64 is refused");
	CHECK(syntax("[1e999]") && syntax("-1e400"),
	    "a double that overflows is refused");
	CHECK(accepts("[1e-400]"), "a double that underflows reads as 0");
}

static void
test_range_member(void)
{
	struct json_result r;

	CHECK(json_read("{\"version\":1e999}", 17, "version", &r) == JSON_OK &&
	    r.member_out_of_range,
	    "the named top-level member may be out of range, and says so");
	json_object_put(r.value);
	CHECK(json_read("{\"version\":5}", 13, "version", &r) == JSON_OK &&
	    !r.member_out_of_range, "an in-range member is not flagged");
	json_object_put(r.value);
	CHECK(json_read("{\"version\":1e999,\"version\":1}", 29, "version", &r) ==
	    JSON_OK && !r.member_out_of_range,
	    "the last of duplicate members counts, as json-c keeps it");
	json_object_put(r.value);
	CHECK(status_of("{\"version\":1e999}", NULL) == JSON_SYNTAX,
	    "without the option it is a syntax error");
	CHECK(status_of("{\"a\":{\"version\":1e999}}", "version") ==
	    JSON_SYNTAX, "a nested member of the same name is not exempt");
	CHECK(status_of("{\"version\":[1e999]}", "version") == JSON_SYNTAX,
	    "nor a number inside the member's array");
	CHECK(status_of("{\"other\":1e999}", "version") == JSON_SYNTAX,
	    "nor another member");
	CHECK(status_of("[\"version\",1e999]", "version") == JSON_SYNTAX,
	    "nor a string in an array that looks like the name");
}

/* levels brackets around inner (may be ""). */
static char *
nested(size_t levels, const char *inner)
{
	size_t n = strlen(inner);
	char *t = malloc(2 * levels + n + 1);

	if (t == NULL)
		abort();
	memset(t, '[', levels);
	memcpy(t + levels, inner, n);
	memset(t + levels + n, ']', levels);
	t[2 * levels + n] = '\0';
	return t;
}

static void
test_depth(void)
{
	char *t;

	t = nested(JSON_MAX_DEPTH, "");
	CHECK(accepts(t), "%d levels are read", JSON_MAX_DEPTH);
	free(t);
	t = nested(JSON_MAX_DEPTH - 1, "1");
	CHECK(accepts(t), "%d levels around a value are read",
	    JSON_MAX_DEPTH - 1);
	free(t);
	t = nested(JSON_MAX_DEPTH, "1");
	CHECK(status_of(t, NULL) == JSON_DEEP,
	    "%d levels with a value innermost are too deep (json-c counts "
	    "the value as a level)", JSON_MAX_DEPTH);
	free(t);
	t = nested(JSON_MAX_DEPTH + 1, "");
	CHECK(fails_at(t, strlen(t), JSON_DEEP, JSON_MAX_DEPTH,
	    "too deeply nested"),
	    "one more fails fast, at the bracket that is one too many");
	free(t);
	t = nested(100000, "");
	CHECK(status_of(t, NULL) == JSON_DEEP,
	    "a very deep text fails without recursing");
	free(t);
}

int
main(void)
{
	test_values();
	test_utf8();
	test_syntax();
	test_faults();
	test_numbers_in_range();
	test_range_member();
	test_depth();
	CHECK_DONE();
}
