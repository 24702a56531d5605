/*
 * fuzz_doc_update - the update path of shadowd on arbitrary bytes.
 *
 * The input is a sequence of requests separated by the byte 0x1e (ASCII
 * record separator); each is parsed with doc_parse_update and, when valid,
 * applied with doc_apply_update to one shadow carried across the sequence.
 * An empty request deletes the shadow. A request starting with '@' is not
 * a request but a stored snapshot: when doc_shadow_load takes it, it
 * replaces the shadow (a corrupt or foreign store row); from then on only
 * memory safety, the version and the answers are checked, since such a
 * shadow need not follow the rules. The size limit and the remembered
 * deleted version are picked from the input length. Every answer is
 * serialised, and after each request:
 *   - accepted: version +1; desired+reported compact size <= max_size;
 *     state holds only non-empty desired/reported with no empty object;
 *     depth of each section <= 6; state equals an independent reference
 *     merge; the delta message equals doc_delta(desired, reported); the
 *     snapshot round-trips through doc_shadow_load; documents.previous is
 *     the shadow before; the request is not modified;
 *   - rejected: only 409 (version given and different) or 413 (the
 *     reference merge is too large); the shadow is unchanged.
 * doc_read_token runs on each request too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "doc.h"
#include "../unit/reference.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)
#define SEP 0x1e
#define PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
text_of(json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, PLAIN);
	char *d;

	REQUIRE(t != NULL);
	d = strdup(t);
	REQUIRE(d != NULL);
	return d;
}

static size_t
sections_size(json_object *state)
{
	return doc_compact_size(ref_field(state, "desired")) +
	    doc_compact_size(ref_field(state, "reported"));
}

/* No empty object is kept outside arrays (arrays are opaque values). */
static int
no_empty_objects(json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return 1;
	if (json_object_object_length(o) == 0)
		return 0;
	json_object_object_foreach(o, k, v) {
		(void)k;
		if (!no_empty_objects(v))
			return 0;
	}
	return 1;
}

static void
check_state_shape(json_object *state)
{
	REQUIRE(json_object_is_type(state, json_type_object));
	json_object_object_foreach(state, k, v) {
		REQUIRE(strcmp(k, "desired") == 0 || strcmp(k, "reported") == 0);
		REQUIRE(no_empty_objects(v));
		REQUIRE(doc_depth(v) <= DOC_MAX_DEPTH);
	}
}

static void
check_snapshot(const struct doc_shadow *s)
{
	json_object *snap = doc_shadow_snapshot(s);
	struct doc_shadow t;
	char *text = text_of(snap);

	REQUIRE(doc_shadow_load(&t, text) == 0);
	REQUIRE(t.version == s->version && t.exists);
	REQUIRE(doc_json_equal(t.state, s->state));
	REQUIRE(doc_json_equal(t.metadata, s->metadata));
	doc_shadow_free(&t);
	free(text);
	json_object_put(snap);
}

static void
check_delta(const struct doc_shadow *s, json_object *delta_msg)
{
	json_object *want = doc_delta(ref_field(s->state, "desired"),
	    ref_field(s->state, "reported"));

	if (want == NULL)
		REQUIRE(delta_msg == NULL);
	else {
		REQUIRE(delta_msg != NULL);
		REQUIRE(doc_json_equal(ref_field(delta_msg, "state"), want));
		REQUIRE(json_object_get_int64(ref_field(delta_msg, "version")) ==
		    s->version);
		json_object_put(want);
	}
}

/* Serialise every part of an answer (shared sub-objects included). */
static void
serialise(json_object *o)
{
	if (o != NULL)
		REQUIRE(json_object_to_json_string_ext(o, PLAIN) != NULL);
}

/* Set once a snapshot from the input was loaded. */
static int foreign;

static void
apply_foreign(struct doc_shadow *s, struct doc_request *req, int64_t now,
    size_t max_size)
{
	struct doc_update_result res;
	struct doc_error err;
	json_object *j;
	int64_t version = s->version;

	if (doc_apply_update(s, req, now, max_size, &res, &err) != 0) {
		REQUIRE(s->version == version);
		serialise(j = doc_error_json(&err, now));
		json_object_put(j);
		return;
	}
	REQUIRE(version < INT64_MAX && s->version == version + 1);
	serialise(res.accepted);
	serialise(res.delta);
	serialise(res.documents);
	doc_update_result_free(&res);
	serialise(j = doc_shadow_snapshot(s));
	json_object_put(j);
}

static void
apply_one(struct doc_shadow *s, struct doc_request *req, int64_t now,
    size_t max_size)
{
	struct doc_update_result res;
	struct doc_error err;
	json_object *before_state = ref_copy(s->state), *ref, *j;
	char *before = text_of(s->state), *before_meta = text_of(s->metadata);
	char *req_text = text_of(req->root), *after;
	int64_t version = s->version;
	int existed = s->exists;

	ref = ref_copy(s->state);
	ref_update(ref, req->state);
	memset(&res, 0, sizeof(res));
	if (doc_apply_update(s, req, now, max_size, &res, &err) != 0) {
		REQUIRE(err.code == 409 || err.code == 413);
		if (err.code == 409)
			REQUIRE(req->has_version && req->version != version);
		else
			REQUIRE(sections_size(ref) > max_size);
		REQUIRE(s->version == version && s->exists == existed);
		after = text_of(s->state);
		REQUIRE(strcmp(after, before) == 0);
		free(after);
		after = text_of(s->metadata);
		REQUIRE(strcmp(after, before_meta) == 0);
		free(after);
		serialise(j = doc_error_json(&err, now));
		json_object_put(j);
	} else {
		REQUIRE(!req->has_version || req->version == version);
		REQUIRE(s->exists && s->version == version + 1);
		REQUIRE(sections_size(s->state) <= max_size);
		check_state_shape(s->state);
		REQUIRE(doc_json_equal(s->state, ref));
		serialise(res.accepted);
		serialise(res.delta);
		serialise(res.documents);
		REQUIRE(json_object_get_int64(ref_field(res.accepted, "version")) ==
		    s->version);
		j = ref_field(res.documents, "previous");
		if (existed)
			REQUIRE(j != NULL && doc_json_equal(ref_field(j, "state"),
			    before_state));
		else
			REQUIRE(j == NULL);
		REQUIRE(doc_json_equal(ref_field(ref_field(res.documents, "current"),
		    "state"), s->state));
		check_delta(s, res.delta);
		check_snapshot(s);
		doc_update_result_free(&res);
	}
	after = text_of(req->root);
	REQUIRE(strcmp(after, req_text) == 0);
	free(after);
	free(req_text);
	free(before);
	free(before_meta);
	json_object_put(before_state);
	json_object_put(ref);
}

static void
load_foreign(struct doc_shadow *s, const uint8_t *p, size_t n, int64_t now)
{
	char *text = malloc(n + 1);
	struct doc_shadow t;
	json_object *j;

	REQUIRE(text != NULL);
	memcpy(text, p, n);
	text[n] = '\0';
	if (doc_shadow_load(&t, text) == 0) {
		REQUIRE(t.exists && t.state != NULL && t.metadata != NULL);
		doc_shadow_free(s);
		*s = t;
		foreign = 1;
		serialise(j = doc_get_accepted(s, NULL, now));
		json_object_put(j);
	}
	free(text);
}

static void
one_request(struct doc_shadow *s, const uint8_t *p, size_t n, int64_t now,
    size_t max_size)
{
	char token[DOC_MAX_TOKEN + 1];
	struct doc_request req;
	struct doc_error err;
	json_object *j;

	if (doc_read_token(p, n, token))
		REQUIRE(strlen(token) <= DOC_MAX_TOKEN);
	if (n > 0 && p[0] == '@') {
		load_foreign(s, p + 1, n - 1, now);
		return;
	}
	memset(&err, 0, sizeof(err));
	if (doc_parse_update(p, n, &req, &err) != 0) {
		REQUIRE(err.code == 400 || err.code == 413 || err.code == 415);
		REQUIRE(err.message[0] != '\0');
		serialise(j = doc_error_json(&err, now));
		json_object_put(j);
		return;
	}
	REQUIRE(json_object_is_type(req.root, json_type_object));
	if (req.has_token)
		REQUIRE(strlen(req.token) <= DOC_MAX_TOKEN);
	if (foreign)
		apply_foreign(s, &req, now, max_size);
	else
		apply_one(s, &req, now, max_size);
	serialise(j = doc_get_accepted(s, req.has_token ? req.token : NULL,
	    now));
	doc_request_free(&req);
	json_object_put(j);
}

/* Store and load the shadow as shadowd does between requests. */
static void
reload(struct doc_shadow *s)
{
	json_object *snap;
	struct doc_shadow t;
	char *text;

	if (!s->exists)
		return;
	snap = doc_shadow_snapshot(s);
	text = text_of(snap);
	REQUIRE(doc_shadow_load(&t, text) == 0);
	free(text);
	json_object_put(snap);
	doc_shadow_free(s);
	*s = t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { DOC_MAX_SIZE_DEFAULT, 1 << 20, 256,
	    24, DOC_MAX_SIZE_DEFAULT };
	size_t max_size = limits[size % 5], start = 0, i;
	struct doc_shadow s;
	int64_t now = 1700000000, version;
	json_object *j;
	int n = 0;

	foreign = 0;
	doc_shadow_init(&s, size % 3 == 0 ? 7 : 0);
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != SEP)
			continue;
		if (i == start && size > 0) {
			version = s.version;
			serialise(j = doc_delete_accepted(version, NULL, now));
			json_object_put(j);
			doc_shadow_free(&s);
			doc_shadow_init(&s, version);
		} else
			one_request(&s, data + start, i - start, now++,
			    max_size);
		if (++n % 3 == 0)
			reload(&s);
		start = i + 1;
	}
	doc_shadow_free(&s);
	return 0;
}
