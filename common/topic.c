#include "topic.h"

#include <string.h>

#define TOPIC_THINGS "$aws/things/"
#define TOPIC_SHADOW "/shadow"
#define TOPIC_NAMED "/shadow/name/"

static const char *const msg_names[SHADOW_MSG_COUNT] = {
	[SHADOW_MSG_GET] = "get",
	[SHADOW_MSG_GET_ACCEPTED] = "get/accepted",
	[SHADOW_MSG_GET_REJECTED] = "get/rejected",
	[SHADOW_MSG_UPDATE] = "update",
	[SHADOW_MSG_UPDATE_ACCEPTED] = "update/accepted",
	[SHADOW_MSG_UPDATE_REJECTED] = "update/rejected",
	[SHADOW_MSG_UPDATE_DELTA] = "update/delta",
	[SHADOW_MSG_UPDATE_DOCUMENTS] = "update/documents",
	[SHADOW_MSG_DELETE] = "delete",
	[SHADOW_MSG_DELETE_ACCEPTED] = "delete/accepted",
	[SHADOW_MSG_DELETE_REJECTED] = "delete/rejected",
};

static bool
name_char_ok(char c, bool dollar)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '-' ||
	    (dollar && c == '$');
}

static bool
name_valid(const char *name, size_t len, size_t max, bool dollar)
{
	if (name == NULL || len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(name[i], dollar))
			return false;
	return true;
}

bool
shadow_thing_name_valid(const char *name, size_t len)
{
	return name_valid(name, len, SHADOW_THING_MAX, false);
}

bool
shadow_name_valid(const char *name, size_t len)
{
	return name_valid(name, len, SHADOW_NAME_MAX, true);
}

const char *
shadow_msg_name(enum shadow_msg msg)
{
	if ((int)msg < 0 || msg >= SHADOW_MSG_COUNT)
		return NULL;
	return msg_names[msg];
}

bool
shadow_msg_is_request(enum shadow_msg msg)
{
	return msg == SHADOW_MSG_GET || msg == SHADOW_MSG_UPDATE ||
	    msg == SHADOW_MSG_DELETE;
}

enum shadow_msg
shadow_msg_accepted(enum shadow_msg request)
{
	/* Each request is followed by its accepted and rejected answers. */
	return shadow_msg_is_request(request) ? request + 1 : SHADOW_MSG_COUNT;
}

enum shadow_msg
shadow_msg_rejected(enum shadow_msg request)
{
	return shadow_msg_is_request(request) ? request + 2 : SHADOW_MSG_COUNT;
}

struct topic_writer {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

static void
put(struct topic_writer *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n + 1 > w->size) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
puts_(struct topic_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static bool
is_wildcard(const char *s)
{
	return strcmp(s, "+") == 0;
}

static enum topic_status
write_root(struct topic_writer *w, const char *thing, const char *shadow,
    bool allow_wildcard)
{
	if (thing == NULL)
		return TOPIC_BAD_ARG;
	if (!(allow_wildcard && is_wildcard(thing)) &&
	    !shadow_thing_name_valid(thing, strlen(thing)))
		return TOPIC_BAD_THING;
	if (shadow != NULL && !(allow_wildcard && is_wildcard(shadow)) &&
	    !shadow_name_valid(shadow, strlen(shadow)))
		return TOPIC_BAD_SHADOW;
	puts_(w, TOPIC_THINGS);
	puts_(w, thing);
	if (shadow != NULL) {
		puts_(w, TOPIC_NAMED);
		puts_(w, shadow);
	} else
		puts_(w, TOPIC_SHADOW);
	return TOPIC_OK;
}

static enum topic_status
finish(struct topic_writer *w, size_t *len)
{
	if (w->overflow) {
		if (w->size > 0)
			w->buf[0] = '\0';
		return TOPIC_TOO_SMALL;
	}
	if (len != NULL)
		*len = w->len;
	return TOPIC_OK;
}

enum topic_status
shadow_topic_build(char *buf, size_t size, const char *thing,
    const char *shadow, enum shadow_msg msg, size_t *len)
{
	struct topic_writer w = { buf, size, 0, false };
	enum topic_status st;

	if (buf == NULL || shadow_msg_name(msg) == NULL)
		return TOPIC_BAD_ARG;
	if ((st = write_root(&w, thing, shadow, false)) != TOPIC_OK)
		return st;
	puts_(&w, "/");
	puts_(&w, msg_names[msg]);
	return finish(&w, len);
}

enum topic_status
shadow_topic_filter(char *buf, size_t size, const char *thing,
    const char *shadow, const char *what, size_t *len)
{
	struct topic_writer w = { buf, size, 0, false };
	enum topic_status st;

	if (buf == NULL)
		return TOPIC_BAD_ARG;
	if ((st = write_root(&w, thing, shadow, true)) != TOPIC_OK)
		return st;
	puts_(&w, "/");
	puts_(&w, what != NULL ? what : "#");
	return finish(&w, len);
}

/* Next '/'-separated level of topic[*pos..len); advances *pos past it. */
static bool
next_level(const char *topic, size_t len, size_t *pos, const char **lvl,
    size_t *lvl_len)
{
	size_t start = *pos;
	size_t i = start;

	if (start > len)
		return false;
	while (i < len && topic[i] != '/')
		i++;
	*lvl = topic + start;
	*lvl_len = i - start;
	*pos = i + 1;
	return true;
}

static bool
level_is(const char *lvl, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(lvl, s, n) == 0;
}

static enum topic_status
match_msg(const char *rest, size_t n, enum shadow_msg *msg)
{
	for (int m = 0; m < SHADOW_MSG_COUNT; m++) {
		if (level_is(rest, n, msg_names[m])) {
			*msg = (enum shadow_msg)m;
			return TOPIC_OK;
		}
	}
	return TOPIC_BAD_MSG;
}

enum topic_status
shadow_topic_match(const char *topic, size_t len, struct shadow_topic *out)
{
	size_t pos = 0, n;
	const char *lvl;
	struct shadow_topic t = { 0 };

	if (topic == NULL || out == NULL)
		return TOPIC_BAD_ARG;
	if (!next_level(topic, len, &pos, &lvl, &n) || !level_is(lvl, n, "$aws"))
		return TOPIC_NOT_SHADOW;
	if (!next_level(topic, len, &pos, &lvl, &n) || !level_is(lvl, n, "things"))
		return TOPIC_NOT_SHADOW;
	if (!next_level(topic, len, &pos, &t.thing, &t.thing_len))
		return TOPIC_NOT_SHADOW;
	if (!next_level(topic, len, &pos, &lvl, &n) || !level_is(lvl, n, "shadow"))
		return TOPIC_NOT_SHADOW;
	if (pos > len)
		return TOPIC_BAD_MSG;
	if (!next_level(topic, len, &pos, &lvl, &n))
		return TOPIC_BAD_MSG;
	if (level_is(lvl, n, "name")) {
		if (!next_level(topic, len, &pos, &t.shadow, &t.shadow_len))
			return TOPIC_BAD_MSG;
		if (pos > len)
			return TOPIC_BAD_MSG;
		lvl = topic + pos;
		n = len - pos;
	} else {
		n = len - (size_t)(lvl - topic);
	}
	if (match_msg(lvl, n, &t.msg) != TOPIC_OK)
		return TOPIC_BAD_MSG;
	if (!shadow_thing_name_valid(t.thing, t.thing_len))
		return TOPIC_BAD_THING;
	if (t.shadow != NULL && !shadow_name_valid(t.shadow, t.shadow_len))
		return TOPIC_BAD_SHADOW;
	*out = t;
	return TOPIC_OK;
}

bool
shadow_topic_is(const struct shadow_topic *t, const char *thing,
    const char *shadow)
{
	if (!level_is(t->thing, t->thing_len, thing))
		return false;
	if (shadow == NULL)
		return t->shadow == NULL;
	return t->shadow != NULL && level_is(t->shadow, t->shadow_len, shadow);
}
