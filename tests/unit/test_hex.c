/* Unit tests for common/hex.c: hex digits, strict percent-decoding and
 * percent-encoding. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "hex.h"

static void
test_hex(void)
{
	const unsigned char in[] = { 0x00, 0x9f, 0xff, 0x3a };
	char out[9];

	hex_encode(in, sizeof(in), out);
	CHECK_STR(out, "009fff3a", "bytes become lowercase hex");
	CHECK(hex_value('0') == 0 && hex_value('9') == 9, "decimal digits");
	CHECK(hex_value('a') == 10 && hex_value('F') == 15, "hex letters, either case");
	CHECK(hex_value('g') == -1 && hex_value('%') == -1, "anything else is no digit");
}

static int
decode(const char *s, char *out, size_t size, size_t *n)
{
	return percent_decode(s, strlen(s), out, size, n);
}

static void
test_percent(void)
{
	char out[16];
	size_t n = 0;

	CHECK(decode("a%3Ab", out, sizeof(out), &n) == 0 && n == 3 &&
	    strcmp(out, "a:b") == 0, "%%3A decodes to a colon");
	CHECK(decode("a%2fb%2F", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "a/b/") == 0, "escapes in either case");
	CHECK(decode("a+b", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "a+b") == 0, "a plus stays a plus (no form decoding)");
	CHECK(decode("a%00b", out, sizeof(out), &n) == 0 && n == 3 &&
	    out[1] == '\0', "%%00 decodes to a NUL inside, the length tells");
	CHECK(decode("a%2", out, sizeof(out), &n) == -1, "a cut escape is refused");
	CHECK(decode("a%", out, sizeof(out), &n) == -1, "a lone percent is refused");
	CHECK(decode("%zz", out, sizeof(out), &n) == -1, "an escape of non-hex digits is refused");
	CHECK(decode("abcd", out, 4, &n) == -1, "an output too small is refused");
	CHECK(decode("abc", out, 4, &n) == 0 && n == 3, "an output of exactly the size fits");
	CHECK(decode("", out, sizeof(out), &n) == 0 && n == 0 && out[0] == '\0',
	    "the empty string decodes to the empty string");
}

static void
test_percent_next(void)
{
	const char *s = "a%41%00%4";
	size_t n = strlen(s), i = 0;
	int c1, c2, c3;

	c1 = percent_next(s, n, &i);
	CHECK(c1 == 'a' && i == 1, "a plain byte is itself, one step on");
	c2 = percent_next(s, n, &i);
	CHECK(c2 == 'A' && i == 4, "an escape is its value, three steps on");
	c3 = percent_next(s, n, &i);
	CHECK(c3 == 0 && i == 7, "%%00 is a NUL byte");
	CHECK(percent_next(s, n, &i) == -1 && i == 7,
	    "a cut escape is -1 and does not move");
	i = 0;
	CHECK(percent_next("%4142", 2, &i) == -1 && i == 0,
	    "an escape is cut by the length given, not by the NUL");
	i = 0;
	CHECK(percent_next("\xc3\xa9", 2, &i) == 0xc3 && i == 1,
	    "a byte above 127 is returned as unsigned");
}

static void
test_percent_encode(void)
{
	char out[16], dec[16];
	size_t n = 0;

	CHECK(percent_encode("a:b", out, sizeof(out)) == 0 &&
	    strcmp(out, "a%3Ab") == 0, "a colon is encoded, in uppercase hex");
	CHECK(percent_encode("$package", out, sizeof(out)) == 0 &&
	    strcmp(out, "%24package") == 0, "a dollar is encoded");
	CHECK(percent_encode("Az09-._~", out, sizeof(out)) == 0 &&
	    strcmp(out, "Az09-._~") == 0, "the unreserved characters stay");
	CHECK(percent_encode("a/b c+", out, sizeof(out)) == 0 &&
	    strcmp(out, "a%2Fb%20c%2B") == 0, "slash, space and plus are encoded");
	CHECK(percent_encode("\xc3\xa9", out, sizeof(out)) == 0 &&
	    strcmp(out, "%C3%A9") == 0, "UTF-8 is encoded byte by byte");
	CHECK(percent_encode("::", out, 7) == 0 && strcmp(out, "%3A%3A") == 0,
	    "an output of exactly the size fits");
	CHECK(percent_encode("::", out, 6) == -1, "an output too small is refused");
	CHECK(percent_encode("", out, 1) == 0 && out[0] == '\0',
	    "the empty string encodes to the empty string");
	CHECK(percent_encode("a:b/$c", out, sizeof(out)) == 0 &&
	    percent_decode(out, strlen(out), dec, sizeof(dec), &n) == 0 &&
	    strcmp(dec, "a:b/$c") == 0, "decoding undoes encoding");
}

int
main(void)
{
	test_hex();
	test_percent();
	test_percent_next();
	test_percent_encode();
	CHECK_DONE();
}
