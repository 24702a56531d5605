/*
 * fuzz_topic - shadow_topic_match on arbitrary bytes; a matched topic must
 * rebuild byte for byte with shadow_topic_build, and the name validators
 * must agree with a plain reading of PROTOCOL §9. The input is also used
 * the other way round: split into thing and shadow, built, then matched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topic.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
ref_name_valid(const char *s, size_t n, size_t max, int dollar)
{
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ':' || c == '_' ||
		    c == '-' || (dollar && c == '$')))
			return 0;
	}
	return 1;
}

static char *
dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	REQUIRE(d != NULL);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Build into a heap buffer of exactly size bytes so ASan sees overflows. */
static enum topic_status
build_exact(size_t size, const char *thing, const char *shadow,
    enum shadow_msg msg, char **out, size_t *len)
{
	char *buf = malloc(size ? size : 1);
	enum topic_status st;

	REQUIRE(buf != NULL);
	st = shadow_topic_build(size ? buf : buf, size, thing, shadow, msg, len);
	*out = buf;
	return st;
}

static void
check_rebuild(const char *topic, size_t size, const struct shadow_topic *t)
{
	char *thing, *shadow = NULL, *buf;
	size_t len = 0, small;
	enum topic_status st;

	REQUIRE(t->thing >= topic && t->thing + t->thing_len <= topic + size);
	thing = dup_n(t->thing, t->thing_len);
	if (t->shadow != NULL) {
		REQUIRE(t->shadow >= topic &&
		    t->shadow + t->shadow_len <= topic + size);
		shadow = dup_n(t->shadow, t->shadow_len);
	}
	REQUIRE(shadow_msg_name(t->msg) != NULL);
	st = build_exact(size + 1, thing, shadow, t->msg, &buf, &len);
	REQUIRE(st == TOPIC_OK);
	REQUIRE(len == size && memcmp(buf, topic, size) == 0);
	REQUIRE(size <= SHADOW_TOPIC_MAX);
	free(buf);
	/* One byte short of the terminator must fail cleanly. */
	small = size % 7 == 0 ? 0 : size;
	st = build_exact(small, thing, shadow, t->msg, &buf, &len);
	REQUIRE(st == TOPIC_TOO_SMALL);
	free(buf);
	free(thing);
	free(shadow);
}

static void
check_match(const char *topic, size_t size)
{
	struct shadow_topic t;
	enum topic_status st;

	memset(&t, 0, sizeof(t));
	st = shadow_topic_match(topic, size, &t);
	REQUIRE(st >= TOPIC_OK && st <= TOPIC_BAD_ARG);
	REQUIRE(st != TOPIC_TOO_SMALL && st != TOPIC_BAD_ARG);
	if (st == TOPIC_OK)
		check_rebuild(topic, size, &t);
}

/* The input as a thing name and a shadow name, built then matched back. */
static void
check_build(const char *data, size_t size)
{
	char *thing, *shadow, buf[SHADOW_TOPIC_MAX + 1], filt[SHADOW_TOPIC_MAX + 1];
	const char *nul = memchr(data, '\0', size);
	size_t cut = nul ? (size_t)(nul - data) : size / 2, len;
	enum shadow_msg msg = (enum shadow_msg)(size % SHADOW_MSG_COUNT);
	struct shadow_topic t;
	enum topic_status st;
	int thing_ok, shadow_ok;

	thing = dup_n(data, cut);
	shadow = cut < size ? dup_n(data + cut + 1 - (nul == NULL),
	    size - cut - 1 + (nul == NULL)) : NULL;
	thing_ok = ref_name_valid(thing, strlen(thing), SHADOW_THING_MAX, 0);
	shadow_ok = shadow == NULL ||
	    ref_name_valid(shadow, strlen(shadow), SHADOW_NAME_MAX, 1);
	st = shadow_topic_build(buf, sizeof(buf), thing, shadow, msg, &len);
	if (!thing_ok)
		REQUIRE(st == TOPIC_BAD_THING);
	else if (!shadow_ok)
		REQUIRE(st == TOPIC_BAD_SHADOW);
	else {
		REQUIRE(st == TOPIC_OK && len == strlen(buf));
		memset(&t, 0, sizeof(t));
		REQUIRE(shadow_topic_match(buf, len, &t) == TOPIC_OK);
		REQUIRE(t.msg == msg && t.thing_len == strlen(thing) &&
		    memcmp(t.thing, thing, t.thing_len) == 0);
		REQUIRE((shadow == NULL) == (t.shadow == NULL));
		if (shadow != NULL)
			REQUIRE(t.shadow_len == strlen(shadow) &&
			    memcmp(t.shadow, shadow, t.shadow_len) == 0);
	}
	st = shadow_topic_filter(filt, sizeof(filt), thing, shadow,
	    size % 2 ? NULL : "update/#", &len);
	if (st == TOPIC_OK)
		REQUIRE(len == strlen(filt));
	st = shadow_topic_filter(filt, size % 40, "+", shadow ? "+" : NULL,
	    thing, &len);
	if (st == TOPIC_OK)
		REQUIRE(len == strlen(filt) && len < size % 40);
	free(thing);
	free(shadow);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *copy;

	REQUIRE(shadow_thing_name_valid(s, size) ==
	    ref_name_valid(s, size, SHADOW_THING_MAX, 0));
	REQUIRE(shadow_name_valid(s, size) ==
	    ref_name_valid(s, size, SHADOW_NAME_MAX, 1));
	/* An exact-size copy: a read past len is an ASan report. */
	copy = malloc(size ? size : 1);
	REQUIRE(copy != NULL);
	memcpy(copy, data, size);
	check_match(copy, size);
	free(copy);
	check_build(s, size);
	return 0;
}
