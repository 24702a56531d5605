/* Unit tests for common/topic.c: every topic built, matched, and refused. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "topic.h"

static void
test_names(void)
{
	char longname[SHADOW_THING_MAX + 2];

	CHECK(shadow_thing_name_valid("lamp", 4), "a plain thing name is valid");
	CHECK(shadow_thing_name_valid("a:b_c-D9", 8), "colon, underscore, dash and digits are allowed in thing names");
	CHECK(!shadow_thing_name_valid("", 0), "an empty thing name is refused");
	CHECK(!shadow_thing_name_valid("a/b", 3), "a slash in a thing name is refused");
	CHECK(!shadow_thing_name_valid("a+b", 3), "a plus in a thing name is refused");
	CHECK(!shadow_thing_name_valid("a#", 2), "a hash in a thing name is refused");
	CHECK(!shadow_thing_name_valid("a b", 3), "a space in a thing name is refused");
	CHECK(!shadow_thing_name_valid("$pkg", 4), "a dollar in a thing name is refused");
	CHECK(!shadow_thing_name_valid("caf\xc3\xa9", 5), "non-ASCII in a thing name is refused");
	memset(longname, 'x', sizeof(longname));
	CHECK(shadow_thing_name_valid(longname, SHADOW_THING_MAX), "a 128-byte thing name is valid");
	CHECK(!shadow_thing_name_valid(longname, SHADOW_THING_MAX + 1), "a 129-byte thing name is refused");
	CHECK(shadow_name_valid("$package", 8), "a dollar is allowed in shadow names");
	CHECK(shadow_name_valid(longname, SHADOW_NAME_MAX), "a 64-byte shadow name is valid");
	CHECK(!shadow_name_valid(longname, SHADOW_NAME_MAX + 1), "a 65-byte shadow name is refused");
	CHECK(!shadow_name_valid("a.b", 3), "a dot in a shadow name is refused");
	CHECK(!shadow_name_valid(NULL, 0), "a NULL name is refused");
}

static void
test_build(void)
{
	char buf[SHADOW_TOPIC_MAX];
	size_t len = 0;

	CHECK(shadow_topic_build(buf, sizeof(buf), "lamp", NULL, SHADOW_MSG_UPDATE, &len) == TOPIC_OK &&
	    len == strlen(buf), "a classic update topic is built");
	CHECK_STR(buf, "$aws/things/lamp/shadow/update", "the classic update topic reads as AWS writes it");
	shadow_topic_build(buf, sizeof(buf), "lamp", "cfg", SHADOW_MSG_GET_ACCEPTED, NULL);
	CHECK_STR(buf, "$aws/things/lamp/shadow/name/cfg/get/accepted", "a named get/accepted topic reads as AWS writes it");
	shadow_topic_build(buf, sizeof(buf), "lamp", NULL, SHADOW_MSG_UPDATE_DOCUMENTS, NULL);
	CHECK_STR(buf, "$aws/things/lamp/shadow/update/documents", "the documents topic is built");
	shadow_topic_build(buf, sizeof(buf), "lamp", NULL, SHADOW_MSG_DELETE_REJECTED, NULL);
	CHECK_STR(buf, "$aws/things/lamp/shadow/delete/rejected", "the delete/rejected topic is built");

	CHECK(shadow_topic_build(buf, 10, "lamp", NULL, SHADOW_MSG_GET, NULL) == TOPIC_TOO_SMALL,
	    "a buffer too small is reported, not overrun");
	CHECK(buf[0] == '\0', "a buffer too small is left as an empty string");
	CHECK(shadow_topic_build(buf, strlen("$aws/things/lamp/shadow/get"), "lamp", NULL, SHADOW_MSG_GET, NULL) == TOPIC_TOO_SMALL,
	    "a buffer one byte short of the terminator is too small");
	CHECK(shadow_topic_build(buf, strlen("$aws/things/lamp/shadow/get") + 1, "lamp", NULL, SHADOW_MSG_GET, NULL) == TOPIC_OK,
	    "a buffer of exactly the right size is enough");
	CHECK(shadow_topic_build(buf, sizeof(buf), "la/mp", NULL, SHADOW_MSG_GET, NULL) == TOPIC_BAD_THING,
	    "building with a bad thing name is refused");
	CHECK(shadow_topic_build(buf, sizeof(buf), "lamp", "a b", SHADOW_MSG_GET, NULL) == TOPIC_BAD_SHADOW,
	    "building with a bad shadow name is refused");
	CHECK(shadow_topic_build(buf, sizeof(buf), "+", NULL, SHADOW_MSG_GET, NULL) == TOPIC_BAD_THING,
	    "a wildcard is not a thing name for a topic");
	CHECK(shadow_topic_build(buf, sizeof(buf), "lamp", NULL, SHADOW_MSG_COUNT, NULL) == TOPIC_BAD_ARG,
	    "an unknown message type is refused");
	CHECK(shadow_topic_build(buf, sizeof(buf), NULL, NULL, SHADOW_MSG_GET, NULL) == TOPIC_BAD_ARG,
	    "a NULL thing is refused");

	shadow_topic_filter(buf, sizeof(buf), "+", NULL, "update", NULL);
	CHECK_STR(buf, "$aws/things/+/shadow/update", "the service's classic update filter is built");
	shadow_topic_filter(buf, sizeof(buf), "+", "+", "get", NULL);
	CHECK_STR(buf, "$aws/things/+/shadow/name/+/get", "the service's named get filter is built");
	shadow_topic_filter(buf, sizeof(buf), "lamp", NULL, NULL, NULL);
	CHECK_STR(buf, "$aws/things/lamp/shadow/#", "a whole-shadow filter ends in #");
	CHECK(shadow_topic_filter(buf, sizeof(buf), "a#", NULL, NULL, NULL) == TOPIC_BAD_THING,
	    "a filter with a bad thing name is refused");
}

static void
test_longest(void)
{
	char thing[SHADOW_THING_MAX + 1], shadow[SHADOW_NAME_MAX + 1];
	char buf[SHADOW_TOPIC_MAX];
	size_t len = 0, slashes = 0;

	memset(thing, 't', SHADOW_THING_MAX);
	thing[SHADOW_THING_MAX] = '\0';
	memset(shadow, 's', SHADOW_NAME_MAX);
	shadow[SHADOW_NAME_MAX] = '\0';
	CHECK(shadow_topic_build(buf, sizeof(buf), thing, shadow, SHADOW_MSG_UPDATE_DOCUMENTS, &len) == TOPIC_OK,
	    "the longest possible topic fits SHADOW_TOPIC_MAX");
	for (size_t i = 0; i < len; i++)
		slashes += buf[i] == '/';
	CHECK(len == 234, "the longest topic is 234 bytes as the protocol says (got %zu)", len);
	CHECK(slashes == 7, "the deepest topic has 7 slashes (AWS broker rule)");
}

static enum topic_status
match(const char *topic, struct shadow_topic *t)
{
	return shadow_topic_match(topic, strlen(topic), t);
}

static void
test_match(void)
{
	struct shadow_topic t;
	char buf[SHADOW_TOPIC_MAX];

	CHECK(match("$aws/things/lamp/shadow/update", &t) == TOPIC_OK &&
	    t.thing_len == 4 && memcmp(t.thing, "lamp", 4) == 0 &&
	    t.shadow == NULL && t.msg == SHADOW_MSG_UPDATE,
	    "a classic update request is matched with its thing name");
	CHECK(match("$aws/things/lamp/shadow/name/cfg/delete", &t) == TOPIC_OK &&
	    t.shadow_len == 3 && memcmp(t.shadow, "cfg", 3) == 0 &&
	    t.msg == SHADOW_MSG_DELETE, "a named delete request is matched with its shadow name");
	CHECK(match("$aws/things/lamp/shadow/name/$package/get", &t) == TOPIC_OK,
	    "the reserved $package shadow is matched");
	CHECK(match("$aws/things/lamp/shadow/update/delta", &t) == TOPIC_OK &&
	    t.msg == SHADOW_MSG_UPDATE_DELTA && !shadow_msg_is_request(t.msg),
	    "an answer topic is matched and is not a request");

	for (int m = 0; m < SHADOW_MSG_COUNT; m++) {
		shadow_topic_build(buf, sizeof(buf), "x", m % 2 ? "y" : NULL, (enum shadow_msg)m, NULL);
		CHECK(match(buf, &t) == TOPIC_OK && t.msg == (enum shadow_msg)m,
		    "built topic %s matches back to its message type", buf);
	}

	CHECK(match("$aws/things/lamp/shadow/Update", &t) == TOPIC_BAD_MSG, "topics are case-sensitive");
	CHECK(match("$aws/things/lamp/shadow/frobnicate", &t) == TOPIC_BAD_MSG, "an unknown operation is not matched");
	CHECK(match("$aws/things/lamp/shadow", &t) == TOPIC_BAD_MSG, "the shadow root alone is not a message");
	CHECK(match("$aws/things/lamp/shadow/", &t) == TOPIC_BAD_MSG, "an empty operation is not a message");
	CHECK(match("$aws/things/lamp/shadow/update/", &t) == TOPIC_BAD_MSG, "a trailing slash is not a message");
	CHECK(match("$aws/things/lamp/shadow/update/accepted/x", &t) == TOPIC_BAD_MSG, "an extra level is not a message");
	CHECK(match("$aws/things/lamp/shadow/name/cfg", &t) == TOPIC_BAD_MSG, "a named shadow root alone is not a message");
	CHECK(match("$aws/things/lamp/shadow/name/cfg/", &t) == TOPIC_BAD_MSG, "a named root with a slash is not a message");
	CHECK(match("$aws/things/lamp/shadow/name//get", &t) == TOPIC_BAD_SHADOW, "an empty shadow name is refused");
	CHECK(match("$aws/things//shadow/get", &t) == TOPIC_BAD_THING, "an empty thing name is refused");
	CHECK(match("$aws/things/la mp/shadow/get", &t) == TOPIC_BAD_THING, "a thing name with a space is refused");
	CHECK(match("$aws/things/lamp/shadow/name/a.b/get", &t) == TOPIC_BAD_SHADOW, "a shadow name with a dot is refused");
	CHECK(match("$aws/things/lamp/jobs/get", &t) == TOPIC_NOT_SHADOW, "a jobs topic is not a shadow topic");
	CHECK(match("data/temperature", &t) == TOPIC_NOT_SHADOW, "telemetry is not a shadow topic");
	CHECK(match("$aws/things", &t) == TOPIC_NOT_SHADOW, "a short topic is not a shadow topic");
	CHECK(match("", &t) == TOPIC_NOT_SHADOW, "an empty topic is not a shadow topic");
	CHECK(match("$AWS/things/lamp/shadow/get", &t) == TOPIC_NOT_SHADOW, "$AWS in capitals is not a shadow topic");
	CHECK(shadow_topic_match("$aws/things/lamp/shadow/getX", 27, &t) == TOPIC_OK &&
	    t.msg == SHADOW_MSG_GET, "the length bounds the match, not a terminator");
	CHECK(shadow_topic_match(NULL, 0, &t) == TOPIC_BAD_ARG, "a NULL topic is refused");
}

static void
test_msg_names(void)
{
	CHECK_STR(shadow_msg_name(SHADOW_MSG_UPDATE_DELTA), "update/delta", "the delta event is named update/delta");
	CHECK_STR(shadow_msg_name(SHADOW_MSG_GET), "get", "the get request is named get");
	CHECK(shadow_msg_name(SHADOW_MSG_COUNT) == NULL, "an unknown message has no name");
	CHECK(shadow_msg_accepted(SHADOW_MSG_GET) == SHADOW_MSG_GET_ACCEPTED &&
	    shadow_msg_rejected(SHADOW_MSG_GET) == SHADOW_MSG_GET_REJECTED &&
	    shadow_msg_accepted(SHADOW_MSG_UPDATE) == SHADOW_MSG_UPDATE_ACCEPTED &&
	    shadow_msg_rejected(SHADOW_MSG_UPDATE) == SHADOW_MSG_UPDATE_REJECTED &&
	    shadow_msg_accepted(SHADOW_MSG_DELETE) == SHADOW_MSG_DELETE_ACCEPTED &&
	    shadow_msg_rejected(SHADOW_MSG_DELETE) == SHADOW_MSG_DELETE_REJECTED,
	    "each request has its accepted and rejected answer");
	CHECK(shadow_msg_accepted(SHADOW_MSG_UPDATE_DELTA) == SHADOW_MSG_COUNT,
	    "an answer has no answer of its own");
	CHECK(shadow_msg_is_request(SHADOW_MSG_GET) && shadow_msg_is_request(SHADOW_MSG_UPDATE) &&
	    shadow_msg_is_request(SHADOW_MSG_DELETE), "get, update and delete are requests");
}

static bool
topic_is(const char *topic, const char *thing, const char *shadow)
{
	struct shadow_topic t;

	return shadow_topic_match(topic, strlen(topic), &t) == TOPIC_OK &&
	    shadow_topic_is(&t, thing, shadow);
}

static void
test_topic_is(void)
{
	CHECK(topic_is("$aws/things/lamp/shadow/update/delta", "lamp", NULL),
	    "a classic topic is about its thing and no named shadow");
	CHECK(!topic_is("$aws/things/lamp/shadow/update/delta", "lam", NULL) &&
	    !topic_is("$aws/things/lamp/shadow/update/delta", "lamp2", NULL),
	    "a thing name is compared whole, not as a prefix");
	CHECK(!topic_is("$aws/things/lamp/shadow/update/delta", "lamp", "s"),
	    "a classic topic is not about a named shadow");
	CHECK(topic_is("$aws/things/lamp/shadow/name/s/get/accepted", "lamp",
	    "s"), "a named topic is about its shadow");
	CHECK(!topic_is("$aws/things/lamp/shadow/name/s/get/accepted", "lamp",
	    NULL) && !topic_is("$aws/things/lamp/shadow/name/s/get/accepted",
	    "lamp", "s2"), "and about no other, nor the classic one");
}

int
main(void)
{
	test_names();
	test_build();
	test_longest();
	test_match();
	test_msg_names();
	test_topic_is();
	CHECK_DONE();
}
