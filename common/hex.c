/*
 * hex.c - hexadecimal digits and percent-encoding (hex.h).
 */
#include "hex.h"

#include <string.h>

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
percent_next(const char *s, size_t n, size_t *i)
{
	int hi, lo;

	if (s[*i] != '%')
		return (unsigned char)s[(*i)++];
	if (n - *i < 3 || (hi = hex_value(s[*i + 1])) < 0 ||
	    (lo = hex_value(s[*i + 2])) < 0)
		return -1;
	*i += 3;
	return hi * 16 + lo;
}

int
percent_decode(const char *s, size_t n, char *out, size_t size,
    size_t *outlen)
{
	size_t i = 0, o = 0;
	int c;

	while (i < n) {
		if (o + 1 >= size || (c = percent_next(s, n, &i)) < 0)
			return -1;
		out[o++] = (char)c;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

size_t
percent_escape(unsigned char c, char out[3])
{
	static const char digits[] = "0123456789ABCDEF";

	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~') {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '%';
	out[1] = digits[c >> 4];
	out[2] = digits[c & 15];
	return 3;
}

int
percent_encode(const char *s, char *out, size_t size)
{
	const unsigned char *p;
	char esc[3];
	size_t o = 0, n;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		n = percent_escape(*p, esc);
		if (o + n >= size)
			return -1;
		memcpy(out + o, esc, n);
		o += n;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return 0;
}
