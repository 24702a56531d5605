/*
 * hex.h - hexadecimal digits and percent-encoding, as URLs and AWS use them.
 *
 * Offers:
 *   hex_encode      bytes to lowercase hex (2n characters and a NUL)
 *   hex_value       the value of one hex digit, or -1
 *   percent_next    one byte of a percent-encoded text, decoded (the one
 *                   reading of %XX: percent_decode and the HTTP routes)
 *   percent_decode  %XX decoding that refuses a '%' not followed by two hex
 *                   digits (the decoded bytes may hold a NUL)
 *   percent_encode  %XX (uppercase) for every byte but the unreserved
 *                   characters of RFC 3986, A-Z a-z 0-9 - . _ ~
 *   percent_escape  the same for one byte (for callers that append)
 */
#ifndef SHADOW_HEX_H
#define SHADOW_HEX_H

#include <stddef.h>

void hex_encode(const unsigned char *in, size_t n, char *out);
int hex_value(char c);
/* The byte at s[*i] (*i < n) of the n bytes of s, decoded: itself, or the
 * value of the escape %XX there; *i moves past it. -1 (*i unchanged) for a
 * '%' not followed by two hex digits. */
int percent_next(const char *s, size_t n, size_t *i);
/* Decodes n bytes of s into out (size bytes, NUL-terminated); *outlen gets
 * the decoded length. -1 on a bad escape or when out is too small. */
int percent_decode(const char *s, size_t n, char *out, size_t size,
    size_t *outlen);
/* Encodes the string s into out (size bytes, NUL-terminated); -1 when out
 * is too small (3 * strlen(s) + 1 always fits). */
int percent_encode(const char *s, char *out, size_t size);
/* c into out: itself (returns 1) or %XX (returns 3). */
size_t percent_escape(unsigned char c, char out[3]);

#endif
