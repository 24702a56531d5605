/*
 * json.c - the strict JSON reader: strict UTF-8, a strict RFC 8259 lexical
 * pass, then json-c (strict mode) for the structure.
 *
 * json-c alone accepts NaN, Infinity, single quotes, "1." and raw control
 * characters, and clamps integers it cannot hold; the lexical pass rejects
 * those before json-c builds anything. It also counts the nesting, so a
 * deep text fails fast, and notes where the first value ended, so that
 * text after it is named as such.
 */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WHY_TRAILING "unexpected text after the document"

enum lex_result {
	LEX_OK,
	LEX_BAD,
	LEX_DEEP
};

struct lex {
	const unsigned char *s;
	size_t n, i;
	int depth;
	bool root_object;
	const char *range_member;
	size_t range_len;
	bool range_key;         /* the current top-level member is range_member */
	bool range_bad;         /* its number is out of range */
	bool done;              /* the first value is complete */
	bool trailing;          /* a token came after it */
	size_t trailing_off;
	size_t key_off, key_len;
	size_t fault;           /* LEX_BAD/LEX_DEEP: offset of the token */
	const char *why;
};

/* Length of the UTF-8 sequence at s (strict), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Offset of the first byte that is not strict UTF-8, or len. */
static size_t
utf8_fault(const void *buf, size_t len)
{
	const unsigned char *s = buf;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

bool
json_utf8_valid(const void *buf, size_t len)
{
	return utf8_fault(buf, len) == len;
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
lex_string(struct lex *lx)
{
	size_t start = ++lx->i;
	unsigned char c;

	while (lx->i < lx->n) {
		c = lx->s[lx->i];
		if (c == '"') {
			lx->key_off = start;
			lx->key_len = lx->i - start;
			lx->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			lx->i++;
			continue;
		}
		if (++lx->i >= lx->n)
			return false;
		c = lx->s[lx->i];
		if (c == 'u') {
			if (lx->n - lx->i < 5 || !is_hex(lx->s[lx->i + 1]) ||
			    !is_hex(lx->s[lx->i + 2]) ||
			    !is_hex(lx->s[lx->i + 3]) ||
			    !is_hex(lx->s[lx->i + 4]))
				return false;
			lx->i += 5;
		} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			lx->i++;
		else
			return false;
	}
	return false;
}

/* Digits of an integer fit in int64 (negative) or uint64 (positive). */
static bool
integer_in_range(const unsigned char *d, size_t n, bool negative)
{
	const char *limit = negative ? "9223372036854775808" :
	    "18446744073709551615";
	size_t ln = strlen(limit);

	if (n != ln)
		return n < ln;
	return memcmp(d, limit, n) <= 0;
}

static bool
double_in_range(const unsigned char *s, size_t n)
{
	char small[64], *buf = small, *end;
	double d;
	bool ok;

	if (n >= sizeof(small) && (buf = malloc(n + 1)) == NULL)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	ok = isfinite(d) && !(errno == ERANGE && fabs(d) > 1.0);
	if (buf != small)
		free(buf);
	return ok;
}

/* 1: fine, 0: bad syntax, -1: syntax fine but out of range. */
static int
lex_number(struct lex *lx)
{
	const unsigned char *s = lx->s;
	size_t start = lx->i, i = lx->i, digits;
	bool negative = false, integer = true;

	if (s[i] == '-') {
		negative = true;
		i++;
	}
	digits = i;
	if (i < lx->n && s[i] == '0')
		i++;
	else if (i < lx->n && s[i] >= '1' && s[i] <= '9')
		while (i < lx->n && is_digit(s[i]))
			i++;
	else
		return 0;
	digits = i - digits;
	if (i < lx->n && s[i] == '.') {
		integer = false;
		if (++i >= lx->n || !is_digit(s[i]))
			return 0;
		while (i < lx->n && is_digit(s[i]))
			i++;
	}
	if (i < lx->n && (s[i] == 'e' || s[i] == 'E')) {
		integer = false;
		if (++i < lx->n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= lx->n || !is_digit(s[i]))
			return 0;
		while (i < lx->n && is_digit(s[i]))
			i++;
	}
	lx->i = i;
	if (integer)
		return integer_in_range(s + start + negative, digits,
		    negative) ? 1 : -1;
	return double_in_range(s + start, i - start) ? 1 : -1;
}

static bool
lex_literal(struct lex *lx)
{
	static const char *words[] = { "true", "false", "null" };
	size_t start = lx->i, n, w;

	while (lx->i < lx->n && lx->s[lx->i] >= 'a' && lx->s[lx->i] <= 'z')
		lx->i++;
	n = lx->i - start;
	for (w = 0; w < 3; w++)
		if (strlen(words[w]) == n &&
		    memcmp(lx->s + start, words[w], n) == 0)
			return true;
	return false;
}

static void
lex_colon(struct lex *lx)
{
	if (lx->depth != 1 || lx->range_member == NULL)
		return;
	lx->range_key = lx->key_len == lx->range_len &&
	    memcmp(lx->s + lx->key_off, lx->range_member, lx->range_len) == 0;
	if (lx->range_key)
		lx->range_bad = false;
}

static enum lex_result
lex_fail(struct lex *lx, enum lex_result r, size_t at, const char *why)
{
	lx->fault = at;
	lx->why = lx->done && lx->depth <= 0 ? WHY_TRAILING : why;
	return r;
}

/* A number at lx->i: LEX_OK, or why it is not one. */
static enum lex_result
lex_number_token(struct lex *lx, size_t at)
{
	int r;

	if ((r = lex_number(lx)) == 0)
		return lex_fail(lx, LEX_BAD, at, "invalid number");
	if (r < 0) {
		if (lx->depth != 1 || !lx->root_object || !lx->range_key)
			return lex_fail(lx, LEX_BAD, at,
			    "number out of range");
		lx->range_bad = true;
	}
	return LEX_OK;
}

/* One token at lx->i (not white space). */
static enum lex_result
lex_token(struct lex *lx)
{
	unsigned char c = lx->s[lx->i];
	size_t at = lx->i;

	switch (c) {
	case '{': case '[':
		if (++lx->depth > JSON_MAX_DEPTH)
			return lex_fail(lx, LEX_DEEP, at, "too deeply nested");
		if (lx->depth == 1)
			lx->root_object = c == '{';
		lx->i++;
		return LEX_OK;
	case '}': case ']':
		lx->depth--;
		lx->i++;
		return LEX_OK;
	case ':':
		lex_colon(lx);
		lx->i++;
		return LEX_OK;
	case ',':
		if (lx->depth == 1)
			lx->range_key = false;
		lx->i++;
		return LEX_OK;
	case '"':
		if (!lex_string(lx))
			return lex_fail(lx, LEX_BAD, at, "invalid string");
		return LEX_OK;
	case 't': case 'f': case 'n':
		if (!lex_literal(lx))
			return lex_fail(lx, LEX_BAD, at, "invalid literal");
		return LEX_OK;
	default:
		if (c != '-' && !is_digit(c))
			return lex_fail(lx, LEX_BAD, at, "unexpected character");
		return lex_number_token(lx, at);
	}
}

/*
 * Strict RFC 8259 tokens, nesting counted; structure is left to json-c.
 * Text after the first complete value is noted, not failed at once, so
 * that the status of a text does not depend on where it stops.
 */
static enum lex_result
lex_json(struct lex *lx)
{
	enum lex_result r;
	unsigned char c;
	size_t at;

	while (lx->i < lx->n) {
		c = lx->s[lx->i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			lx->i++;
			continue;
		}
		at = lx->i;
		if (lx->done && lx->depth <= 0 && !lx->trailing) {
			lx->trailing = true;
			lx->trailing_off = at;
		}
		if ((r = lex_token(lx)) != LEX_OK)
			return r;
		if (lx->depth == 0 && c != ':' && c != ',')
			lx->done = true;
	}
	return LEX_OK;
}

static enum json_status
fail(struct json_result *res, enum json_status st, size_t at, const char *why)
{
	json_object_put(res->value);
	res->value = NULL;
	res->offset = at;
	res->why = why;
	return st;
}

/* json-c on a text the lexical pass accepted. */
static enum json_status
parse_structure(const void *text, size_t len, const struct lex *lx,
    struct json_result *res)
{
	enum json_tokener_error e;
	json_tokener *tok;
	size_t end;

	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return fail(res, JSON_NOMEM, 0, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	res->value = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	/* A top-level number or literal waits for more: the '\0' ends it. */
	if ((e = json_tokener_get_error(tok)) == json_tokener_continue) {
		res->value = json_tokener_parse_ex(tok, "", 1);
		end = len;
		e = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (e == json_tokener_error_depth)
		return fail(res, JSON_DEEP, end, "too deeply nested");
	/* json-c's strict mode fails on the trailing text itself. */
	if (lx->trailing && (e == json_tokener_success ||
	    end >= lx->trailing_off))
		return fail(res, JSON_SYNTAX, lx->trailing_off, WHY_TRAILING);
	if (e != json_tokener_success)
		return fail(res, JSON_SYNTAX, end, json_tokener_error_desc(e));
	if (end != len)
		return fail(res, JSON_SYNTAX, end, WHY_TRAILING);
	return JSON_OK;
}

enum json_status
json_read(const void *text, size_t len, const char *range_member,
    struct json_result *res)
{
	enum json_status st;
	struct lex lx;
	size_t at;

	memset(res, 0, sizeof(*res));
	if (len >= INT_MAX)
		return fail(res, JSON_NOMEM, 0, "text too long");
	if ((at = utf8_fault(text, len)) != len)
		return fail(res, JSON_ENCODING, at, "not UTF-8");
	memset(&lx, 0, sizeof(lx));
	lx.s = text;
	lx.n = len;
	lx.range_member = range_member;
	lx.range_len = range_member != NULL ? strlen(range_member) : 0;
	switch (lex_json(&lx)) {
	case LEX_DEEP:
		return fail(res, JSON_DEEP, lx.fault, lx.why);
	case LEX_BAD:
		return fail(res, JSON_SYNTAX, lx.fault, lx.why);
	default:
		break;
	}
	if (len == 0)
		return fail(res, JSON_SYNTAX, 0, "empty");
	if ((st = parse_structure(text, len, &lx, res)) == JSON_OK)
		res->member_out_of_range = lx.range_bad;
	return st;
}
