/*
 * test_owned - the owned-key model of shadowdev (cmd/shadowdev/owned.h):
 * which paths a device owns and how a delta is sorted.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "owned.h"

static char err[512];

/* A model owning the NULL-terminated dotted paths. */
static struct owned *
model(const char *const *paths)
{
	struct owned *o = owned_new();

	if (o == NULL)
		abort();
	for (; *paths != NULL; paths++)
		if (owned_add(o, *paths, err, sizeof(err)) != 0)
			abort();
	return o;
}

#define MODEL(...) model((const char *const[]){ __VA_ARGS__, NULL })

/* owned_which for a dotted path written plainly ("light.color"). */
static enum owned_kind
which(const struct owned *o, const char *dotted)
{
	const char *path[OWNED_PATH_MAX];
	char *copy = strdup(dotted), *save = NULL, *seg;
	size_t n = 0;
	enum owned_kind k;

	if (copy == NULL)
		abort();
	for (seg = strtok_r(copy, ".", &save); seg != NULL && n < OWNED_PATH_MAX;
	    seg = strtok_r(NULL, ".", &save))
		path[n++] = seg;
	k = owned_which(o, path, n);
	free(copy);
	return k;
}

static const char *
js(json_object *o)
{
	return o == NULL ? "(none)" : json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
test_which(void)
{
	struct owned *o = MODEL("MOTOR", "light.color");

	CHECK(owned_count(o) == 2, "two owned keys");
	CHECK(which(o, "MOTOR") == OWNED_OWNED, "a top-level key is owned");
	CHECK(which(o, "light.color") == OWNED_OWNED, "a nested key is owned");
	CHECK(which(o, "light.color.r") == OWNED_OWNED,
	    "a path inside an owned key is owned");
	CHECK(which(o, "light") == OWNED_ANCESTOR,
	    "the parent of an owned key is an ancestor");
	CHECK(which(o, "light.level") == OWNED_NONE,
	    "a sibling of an owned key is not owned");
	CHECK(which(o, "FAN") == OWNED_NONE, "another key is not owned");
	CHECK(which(o, "MOTORS") == OWNED_NONE,
	    "a key that only starts like an owned one is not owned");
	owned_free(o);
}

static void
test_escapes_and_assignments(void)
{
	struct owned *o = owned_new();
	const char *dotted[] = { "a.b" };

	CHECK(owned_add(o, "a\\.b", err, sizeof(err)) == 0,
	    "a literal dot is written a\\.b");
	CHECK(owned_which(o, dotted, 1) == OWNED_OWNED,
	    "a\\.b owns the one key named \"a.b\"");
	CHECK(which(o, "a") == OWNED_NONE, "and not the path a");
	CHECK(owned_add_assignment(o, "speed.max:=42", err, sizeof(err)) == 0,
	    "the key of KEY:=JSON is owned");
	CHECK(which(o, "speed.max") == OWNED_OWNED, "speed.max from speed.max:=42");
	CHECK(owned_add_assignment(o, "mode=a=b", err, sizeof(err)) == 0,
	    "the key of KEY=VALUE stops at the first =");
	CHECK(which(o, "mode") == OWNED_OWNED, "mode from mode=a=b");
	CHECK(owned_add(o, "x..y", err, sizeof(err)) == -1 &&
	    strstr(err, "empty key segment") != NULL,
	    "an empty segment is refused with a message (%s)", err);
	CHECK(owned_count(o) == 3, "a refused path is not added");
	owned_free(o);
}

static void
test_shared(void)
{
	struct owned *o = MODEL("MOTOR");
	struct owned *r = owned_ref(o);

	owned_free(o);
	CHECK(which(r, "MOTOR") == OWNED_OWNED,
	    "a reference keeps the model alive after the first is freed");
	owned_free(r);
}

static json_object *
parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	if (o == NULL)
		abort();
	return o;
}

static void
test_split(void)
{
	struct owned *o = MODEL("MOTOR", "light.color");
	json_object *delta = parse("{\"MOTOR\":\"ON\",\"FAN\":1,"
	    "\"light\":{\"color\":\"red\",\"level\":3},\"door\":{\"a\":1}}");
	struct owned_split sp;

	CHECK(owned_split(o, delta, NULL, 0, 1000, &sp) == 0, "split a delta");
	CHECK_STR(js(sp.apply), "{\"MOTOR\":\"ON\",\"light\":{\"color\":\"red\"}}",
	    "owned keys are applied, nested ones in place");
	CHECK_STR(js(sp.ignored), "[\"FAN\",\"light.level\",\"door\"]",
	    "the others are listed as ignored, as dotted paths");
	CHECK(sp.clear == NULL && sp.expired == NULL,
	    "nothing expires without a limit");
	owned_split_free(&sp);
	json_object_put(delta);

	delta = parse("{\"light\":\"off\"}");
	CHECK(owned_split(o, delta, NULL, 0, 1000, &sp) == 0 &&
	    sp.apply == NULL, "a plain value over an owned subtree is not applied");
	CHECK_STR(js(sp.ignored), "[\"light\"]", "and is listed as ignored");
	owned_split_free(&sp);
	json_object_put(delta);

	delta = parse("{\"light\":{\"color\":{\"r\":1}}}");
	CHECK(owned_split(o, delta, NULL, 0, 1000, &sp) == 0, "split an object value");
	CHECK_STR(js(sp.apply), "{\"light\":{\"color\":{\"r\":1}}}",
	    "an object under an owned key is applied whole");
	owned_split_free(&sp);
	json_object_put(delta);
	owned_free(o);
}

static void
test_expiry(void)
{
	struct owned *o = MODEL("MOTOR", "light.color");
	json_object *delta = parse("{\"MOTOR\":\"ON\",\"light\":{\"color\":"
	    "\"red\"}}");
	json_object *meta = parse("{\"MOTOR\":{\"timestamp\":900},"
	    "\"light\":{\"color\":{\"timestamp\":990}}}");
	struct owned_split sp;

	CHECK(owned_split(o, delta, meta, 30, 1000, &sp) == 0,
	    "split with a 30 s limit");
	CHECK_STR(js(sp.apply), "{\"light\":{\"color\":\"red\"}}",
	    "a fresh order is applied");
	CHECK_STR(js(sp.clear), "{\"MOTOR\":null}",
	    "a stale order is cleared (set to null in desired)");
	CHECK_STR(js(sp.expired), "[\"MOTOR\"]", "and listed as expired");
	CHECK(sp.oldest == 900, "the oldest expired timestamp is kept");
	owned_split_free(&sp);
	CHECK(owned_split(o, delta, meta, 0, 1000, &sp) == 0 &&
	    sp.clear == NULL, "limit 0: nothing expires");
	owned_split_free(&sp);
	json_object_put(meta);
	meta = parse("{\"MOTOR\":{\"x\":1}}");
	CHECK(owned_split(o, delta, meta, 30, 1000, &sp) == 0 &&
	    sp.clear == NULL, "no timestamp: the order is applied");
	owned_split_free(&sp);
	json_object_put(meta);
	json_object_put(delta);
	owned_free(o);
}

int
main(void)
{
	test_which();
	test_escapes_and_assignments();
	test_shared();
	test_split();
	test_expiry();
	CHECK_DONE();
}
