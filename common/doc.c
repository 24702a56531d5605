/*
 * doc.c - the Device Shadow document rules (docs/PROTOCOL.md §2-§8).
 *
 * Stored objects are never modified in place: an update builds new objects
 * along the paths it touches and shares every untouched subtree by
 * reference. The previous document therefore stays intact for
 * update/documents and for rollback on 413, without deep copies.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "json.h"

#define ADD_NEW JSON_C_OBJECT_ADD_KEY_IS_NEW
#define ADD_CONST (JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY)

static const char *sections[] = { "desired", "reported" };

/*
 * Set by any failed allocation while building documents. The public
 * functions clear it on entry and check it before returning, so a document
 * with holes is never handed out: they fail cleanly instead (500 or NULL).
 */
static _Thread_local bool nomem;

static json_object *
new_object(void)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		nomem = true;
	return o;
}

static json_object *
new_array(size_t n)
{
	json_object *o = json_object_new_array_ext((int)n);

	if (o == NULL)
		nomem = true;
	return o;
}

static json_object *
new_int64(int64_t v)
{
	json_object *o = json_object_new_int64(v);

	if (o == NULL)
		nomem = true;
	return o;
}

static json_object *
new_string(const char *str)
{
	json_object *o = json_object_new_string(str);

	if (o == NULL)
		nomem = true;
	return o;
}

static void
add_ex(json_object *obj, const char *key, json_object *val, unsigned opts)
{
	if (obj == NULL || json_object_object_add_ex(obj, key, val, opts) != 0) {
		nomem = true;
		json_object_put(val);
	}
}

static void
add_const(json_object *obj, const char *key, json_object *val)
{
	add_ex(obj, key, val, ADD_CONST);
}

static void
add_new(json_object *obj, const char *key, json_object *val)
{
	add_ex(obj, key, val, ADD_NEW);
}

/* o, or NULL (and o freed) if building it ran out of memory. */
static json_object *
built(json_object *o)
{
	if (!nomem)
		return o;
	json_object_put(o);
	return NULL;
}

static void
array_add(json_object *arr, json_object *val)
{
	if (arr == NULL || json_object_array_add(arr, val) != 0) {
		nomem = true;
		json_object_put(val);
	}
}

static bool
is_object(json_object *o)
{
	return json_object_is_type(o, json_type_object);
}

static json_object *
member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static bool
has_member(json_object *obj, const char *key)
{
	return obj != NULL && json_object_object_get_ex(obj, key, NULL);
}

void
doc_error_set(struct doc_error *err, int code, const char *message,
    const char *token)
{
	err->code = code;
	snprintf(err->message, sizeof(err->message), "%s", message);
	err->has_token = token != NULL;
	if (token != NULL)
		snprintf(err->token, sizeof(err->token), "%s", token);
	else
		err->token[0] = '\0';
}

void
doc_error_not_found(struct doc_error *err, const char *thing,
    const char *shadow, const char *token)
{
	char msg[256];

	if (shadow != NULL && shadow[0] != '\0')
		snprintf(msg, sizeof(msg), "No shadow exists with name: '%s~%s'",
		    thing, shadow);
	else
		snprintf(msg, sizeof(msg), "No shadow exists with name: '%s'",
		    thing);
	doc_error_set(err, 404, msg, token);
}

json_object *
doc_error_json(const struct doc_error *err, int64_t now)
{
	json_object *o;

	nomem = false;
	o = new_object();

	add_const(o, "code", new_int64(err->code));
	add_const(o, "message", new_string(err->message));
	if (err->code != 404 && err->code != 409)
		add_const(o, "timestamp", new_int64(now));
	if (err->has_token)
		add_const(o, "clientToken", new_string(err->token));
	return built(o);
}

/* A clientToken value is valid: a string of at most 64 bytes (no NUL, so
 * it can be echoed unchanged). */
static bool
token_valid(json_object *v)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	return len <= DOC_MAX_TOKEN && memchr(s, '\0', (size_t)len) == NULL;
}

bool
doc_read_token(const void *payload, size_t len, char token[DOC_MAX_TOKEN + 1])
{
	struct json_result jr;
	json_object *v;
	bool ok = false;

	token[0] = '\0';
	if (len > DOC_MAX_PAYLOAD ||
	    json_read(payload, len, NULL, &jr) != JSON_OK)
		return false;
	if (is_object(jr.value) &&
	    (v = member(jr.value, "clientToken")) != NULL && token_valid(v)) {
		memcpy(token, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v) + 1);
		ok = true;
	}
	json_object_put(jr.value);
	return ok;
}

/* True if an array anywhere inside v holds a null. */
static bool
null_in_array(json_object *v)
{
	size_t i, n;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, c) {
			(void)k;
			if (null_in_array(c))
				return true;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			json_object *c = json_object_array_get_idx(v, i);

			if (c == NULL || null_in_array(c))
				return true;
		}
	}
	return false;
}

/* Levels added by v: a non-empty object or array counts one. */
static int
levels(json_object *v)
{
	int best = 0, d;
	size_t i, n;

	if (json_object_is_type(v, json_type_object)) {
		if (json_object_object_length(v) == 0)
			return 0;
		json_object_object_foreach(v, k, c) {
			(void)k;
			if ((d = levels(c)) > best)
				best = d;
		}
		return best + 1;
	}
	if (json_object_is_type(v, json_type_array)) {
		if ((n = json_object_array_length(v)) == 0)
			return 0;
		for (i = 0; i < n; i++)
			if ((d = levels(json_object_array_get_idx(v, i))) > best)
				best = d;
		return best + 1;
	}
	return 0;
}

int
doc_depth(json_object *section)
{
	if (section == NULL)
		return 0;
	if (is_object(section) && json_object_object_length(section) == 0)
		return 1;
	return levels(section);
}

static int
reject(struct doc_error *err, int code, const char *message,
    const char *token, json_object *root)
{
	json_object_put(root);
	doc_error_set(err, code, message, token);
	return -1;
}

/* The payload as JSON: 0 and *root (may be NULL for null), or -1 and err
 * set for the checks that come before any other (§3 checks 1-3). */
static int
payload_read(const void *payload, size_t len, json_object **root,
    bool *version_out_of_range, struct doc_error *err)
{
	struct json_result jr;

	switch (json_read(payload, len, "version", &jr)) {
	case JSON_OK:
		*root = jr.value;
		*version_out_of_range = jr.member_out_of_range;
		return 0;
	case JSON_ENCODING:
		return reject(err, 415, DOC_MSG_ENCODING, NULL, NULL);
	case JSON_DEEP:
		return reject(err, 400, DOC_MSG_TOO_DEEP, NULL, NULL);
	case JSON_NOMEM:
		return reject(err, 500, DOC_MSG_INTERNAL, NULL, NULL);
	default:
		return reject(err, 400, DOC_MSG_INVALID_JSON, NULL, NULL);
	}
}

static bool
version_valid(json_object *v, bool out_of_range, int64_t *version)
{
	if (out_of_range || !json_object_is_type(v, json_type_int))
		return false;
	*version = json_object_get_int64(v);
	if (*version == INT64_MAX && json_object_get_uint64(v) != INT64_MAX)
		return false;
	return *version >= 0;
}

/* Bytes of s that fit in max without splitting a UTF-8 character. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Checks 5-11 of §3 on the parsed root. */
static int
check_state(json_object *root, const char *token, struct doc_error *err)
{
	char msg[256];
	json_object *state, *sec;
	size_t i;

	if (!json_object_object_get_ex(root, "state", &state))
		return reject(err, 400, DOC_MSG_MISSING_STATE, token, NULL);
	if (state == NULL)
		return 0;
	if (!is_object(state))
		return reject(err, 400, DOC_MSG_STATE_NOT_OBJECT, token, NULL);
	json_object_object_foreach(state, name, val) {
		(void)val;
		if (strcmp(name, "desired") != 0 &&
		    strcmp(name, "reported") != 0) {
			snprintf(msg, sizeof(msg),
			    "State contains an invalid node: '%.*s'",
			    (int)utf8_prefix(name, 200), name);
			return reject(err, 400, msg, token, NULL);
		}
	}
	if ((sec = member(state, "desired")) != NULL && !is_object(sec))
		return reject(err, 400, DOC_MSG_DESIRED_NOT_OBJECT, token, NULL);
	if ((sec = member(state, "reported")) != NULL && !is_object(sec))
		return reject(err, 400, DOC_MSG_REPORTED_NOT_OBJECT, token,
		    NULL);
	for (i = 0; i < 2; i++)
		if (null_in_array(member(state, sections[i])))
			return reject(err, 400, DOC_MSG_INVALID_JSON, token,
			    NULL);
	for (i = 0; i < 2; i++)
		if (doc_depth(member(state, sections[i])) > DOC_MAX_DEPTH)
			return reject(err, 400, DOC_MSG_TOO_DEEP, token, NULL);
	return 0;
}

int
doc_parse_update(const void *payload, size_t len, struct doc_request *req,
    struct doc_error *err)
{
	json_object *root, *v;
	char tokbuf[DOC_MAX_TOKEN + 1];
	const char *token = NULL;
	int64_t version = 0;
	bool version_bad;

	memset(req, 0, sizeof(*req));
	if (len > DOC_MAX_PAYLOAD)
		return reject(err, 413, DOC_MSG_TOO_LARGE, NULL, NULL);
	if (payload_read(payload, len, &root, &version_bad, err) != 0)
		return -1;
	if (!is_object(root))
		return reject(err, 400, DOC_MSG_INVALID_JSON, NULL, root);
	if (json_object_object_get_ex(root, "clientToken", &v)) {
		if (!token_valid(v))
			return reject(err, 400, DOC_MSG_INVALID_TOKEN, NULL,
			    root);
		memcpy(tokbuf, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v) + 1);
		token = tokbuf;
	}
	if ((v = member(root, "version")) != NULL &&
	    !version_valid(v, version_bad, &version))
		return reject(err, 400, DOC_MSG_INVALID_VERSION, token, root);
	if (check_state(root, token, err) != 0) {
		json_object_put(root);
		return -1;
	}
	req->has_version = v != NULL;
	req->version = v != NULL ? version : 0;
	if (token != NULL) {
		req->has_token = true;
		memcpy(req->token, tokbuf, sizeof(tokbuf));
	}
	req->root = root;
	req->state = member(root, "state");
	return 0;
}

void
doc_request_free(struct doc_request *req)
{
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

void
doc_shadow_init(struct doc_shadow *s, int64_t deleted_version)
{
	s->state = new_object();
	s->metadata = new_object();
	s->version = deleted_version;
	s->exists = false;
}

/* A stored state or metadata: an object holding only desired/reported
 * objects. Anything else is a damaged store, not a shadow. */
static bool
sections_valid(json_object *o)
{
	if (!is_object(o))
		return false;
	json_object_object_foreach(o, key, val) {
		if ((strcmp(key, "desired") != 0 && strcmp(key, "reported") != 0) ||
		    !is_object(val))
			return false;
	}
	return true;
}

int
doc_shadow_load(struct doc_shadow *s, const char *snapshot)
{
	struct json_result jr;
	json_object *root, *state, *meta, *ver;

	memset(s, 0, sizeof(*s));
	if (json_read(snapshot, strlen(snapshot), NULL, &jr) != JSON_OK)
		return -1;
	root = jr.value;
	state = member(root, "state");
	meta = member(root, "metadata");
	ver = member(root, "version");
	if (!is_object(root) || !sections_valid(state) ||
	    !sections_valid(meta) || !json_object_is_type(ver, json_type_int) ||
	    json_object_get_int64(ver) < 0 ||
	    json_object_get_int64(ver) == INT64_MAX) {
		json_object_put(root);
		return -1;
	}
	s->state = json_object_get(state);
	s->metadata = json_object_get(meta);
	s->version = json_object_get_int64(ver);
	s->exists = true;
	json_object_put(root);
	return 0;
}

static json_object *
snapshot_of(json_object *state, json_object *meta, int64_t version)
{
	json_object *o = new_object();

	add_const(o, "state", json_object_get(state));
	add_const(o, "metadata", json_object_get(meta));
	add_const(o, "version", new_int64(version));
	return o;
}

json_object *
doc_shadow_snapshot(const struct doc_shadow *s)
{
	nomem = false;
	return built(snapshot_of(s->state, s->metadata, s->version));
}

void
doc_shadow_free(struct doc_shadow *s)
{
	json_object_put(s->state);
	json_object_put(s->metadata);
	memset(s, 0, sizeof(*s));
}

/* Metadata mirroring v: objects recurse, arrays give one entry per element,
 * every scalar and null becomes the shared {"timestamp":T} leaf. */
static json_object *
meta_of(json_object *v, json_object *leaf)
{
	json_object *o;
	size_t i, n;

	if (json_object_is_type(v, json_type_object)) {
		o = new_object();
		json_object_object_foreach(v, k, c)
			add_new(o, k, meta_of(c, leaf));
		return o;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		o = new_array(n);
		for (i = 0; i < n; i++)
			array_add(o, meta_of(json_object_array_get_idx(v, i),
			    leaf));
		return o;
	}
	return json_object_get(leaf);
}

static json_object *merge_object(json_object *, json_object *, json_object *,
    json_object *, json_object **);

/* New value of a member after patching (NULL: the member goes away). */
static json_object *
merge_value(json_object *old, json_object *old_meta, json_object *patch,
    json_object *leaf, json_object **meta)
{
	if (meta != NULL)
		*meta = NULL;
	if (patch == NULL)
		return NULL;
	if (is_object(patch)) {
		if (!is_object(old))
			old = old_meta = NULL;
		else if (!is_object(old_meta))
			old_meta = NULL;
		return merge_object(old, old_meta, patch, leaf, meta);
	}
	if (meta != NULL)
		*meta = meta_of(patch, leaf);
	return json_object_get(patch);
}

/* A new object: base with patch merged in (§4), NULL when empty. When meta
 * is not NULL, *meta gets the matching metadata built from base_meta. */
static json_object *
merge_object(json_object *base, json_object *base_meta, json_object *patch,
    json_object *leaf, json_object **meta)
{
	json_object *out = new_object(), *om = NULL, *p, *nv, *nm;

	if (meta != NULL)
		*meta = NULL;
	if (meta != NULL && (om = new_object()) == NULL) {
		json_object_put(out);
		return NULL;
	}
	if (out == NULL) {
		json_object_put(om);
		return NULL;
	}
	if (base != NULL) {
		json_object_object_foreach(base, k, v) {
			if (!json_object_object_get_ex(patch, k, &p)) {
				add_new(out, k, json_object_get(v));
				if (om == NULL)
					continue;
				if ((nm = member(base_meta, k)) != NULL)
					add_new(om, k, json_object_get(nm));
				else
					add_new(om, k, meta_of(v, leaf));
				continue;
			}
			nv = merge_value(v, member(base_meta, k), p, leaf,
			    om != NULL ? &nm : NULL);
			if (nv == NULL)
				continue;
			add_new(out, k, nv);
			if (om != NULL)
				add_new(om, k, nm);
		}
	}
	json_object_object_foreach(patch, pk, pv) {
		if (has_member(base, pk))
			continue;
		nv = merge_value(NULL, NULL, pv, leaf, om != NULL ? &nm : NULL);
		if (nv == NULL)
			continue;
		add_new(out, pk, nv);
		if (om != NULL)
			add_new(om, pk, nm);
	}
	if (json_object_object_length(out) == 0) {
		json_object_put(out);
		json_object_put(om);
		om = out = NULL;
	}
	if (meta != NULL)
		*meta = om;
	return out;
}

void
doc_merge(json_object **target, json_object *patch)
{
	json_object *merged;

	if (patch == NULL) {
		json_object_put(*target);
		*target = NULL;
		return;
	}
	nomem = false;
	if (!is_object(patch))
		merged = json_object_get(patch);
	else
		merged = merge_object(is_object(*target) ? *target : NULL,
		    NULL, patch, NULL, NULL);
	if (nomem) {
		json_object_put(merged);
		return;
	}
	json_object_put(*target);
	*target = merged;
}

static bool
int_parts(json_object *o, uint64_t *mag)
{
	int64_t i = json_object_get_int64(o);

	if (i < 0) {
		*mag = (uint64_t)0 - (uint64_t)i;
		return true;
	}
	*mag = json_object_get_uint64(o);
	return false;
}

static bool
int_equals_double(json_object *io, double d)
{
	uint64_t mag;
	bool neg = int_parts(io, &mag);

	if (!isfinite(d) || d != floor(d))
		return false;
	if (d < 0) {
		if (!neg || d < -9223372036854775808.0)
			return false;
		return (uint64_t)(-d) == mag;
	}
	if (d >= 18446744073709551616.0)
		return false;
	return (uint64_t)d == mag && (!neg || mag == 0);
}

static bool
numbers_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a);
	enum json_type tb = json_object_get_type(b);
	uint64_t ma, mb;
	bool na, nb;

	if (ta == json_type_double && tb == json_type_double)
		return json_object_get_double(a) == json_object_get_double(b);
	if (ta == json_type_int && tb == json_type_int) {
		na = int_parts(a, &ma);
		nb = int_parts(b, &mb);
		return ma == mb && (na == nb || ma == 0);
	}
	if (ta == json_type_int)
		return int_equals_double(a, json_object_get_double(b));
	return int_equals_double(b, json_object_get_double(a));
}

static bool
is_number(enum json_type t)
{
	return t == json_type_int || t == json_type_double;
}

bool
doc_json_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a);
	enum json_type tb = json_object_get_type(b);
	json_object *bv;
	size_t i, n;

	if (a == b)
		return true;
	if (is_number(ta) && is_number(tb))
		return numbers_equal(a, b);
	if (ta != tb)
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if ((n = json_object_array_length(a)) !=
		    json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!doc_json_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object:
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, av) {
			if (!json_object_object_get_ex(b, k, &bv) ||
			    !doc_json_equal(av, bv))
				return false;
		}
		return true;
	default:
		return false;
	}
}

static void
delta_add(json_object **out, json_object **om, bool want_meta,
    const char *key, json_object *val, json_object *meta)
{
	if (*out == NULL) {
		*out = new_object();
		if (want_meta)
			*om = new_object();
	}
	add_new(*out, key, val);
	if (*om != NULL && meta != NULL)
		add_new(*om, key, meta);
	else
		json_object_put(meta);
}

/* Delta of d against r (§6); when meta is not NULL, *meta mirrors it with
 * entries taken from dmeta. Objects are only allocated once a difference
 * is found: most subtrees have none. */
static json_object *
delta_object(json_object *d, json_object *r, json_object *dmeta,
    json_object **meta)
{
	json_object *out = NULL, *om = NULL, *rv, *sub, *sm;
	bool want = meta != NULL;

	json_object_object_foreach(d, k, dv) {
		if (r != NULL && json_object_object_get_ex(r, k, &rv)) {
			if (is_object(dv) && is_object(rv)) {
				sm = NULL;
				sub = delta_object(dv, rv, member(dmeta, k),
				    want ? &sm : NULL);
				if (sub != NULL)
					delta_add(&out, &om, want, k, sub, sm);
				continue;
			}
			if (doc_json_equal(dv, rv))
				continue;
		}
		sm = member(dmeta, k);
		delta_add(&out, &om, want, k, json_object_get(dv),
		    json_object_get(sm));
	}
	if (meta != NULL)
		*meta = om;
	return out;
}

json_object *
doc_delta(json_object *desired, json_object *reported)
{
	if (!is_object(desired))
		return NULL;
	nomem = false;
	return built(delta_object(desired, is_object(reported) ? reported :
	    NULL, NULL, NULL));
}

size_t
doc_compact_size(json_object *obj)
{
	size_t len = 0;

	if (obj == NULL)
		return 0;
	json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return len;
}

/* Bytes of s once escaped as json-c does with NOSLASHESCAPE. */
static size_t
escaped_size(const char *s, size_t n)
{
	size_t i, len = n + 2;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\b' || c == '\n' ||
		    c == '\r' || c == '\t' || c == '\f')
			len++;
		else if (c < 0x20)
			len += 5;
	}
	return len;
}

static size_t
digit_count(uint64_t u)
{
	size_t n = 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

/* doc_compact_size without building the text: the size check runs on
 * every update. Must agree with doc_compact_size (tested). */
static size_t
walk_size(json_object *v)
{
	size_t len, i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 4;
	case json_type_boolean:
		return json_object_get_boolean(v) ? 4 : 5;
	case json_type_string:
		return escaped_size(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	case json_type_int:
		if (json_object_get_int64(v) < 0)
			return 1 + digit_count((uint64_t)0 -
			    (uint64_t)json_object_get_int64(v));
		return digit_count(json_object_get_uint64(v));
	case json_type_array:
		n = json_object_array_length(v);
		len = n > 0 ? n + 1 : 2;
		for (i = 0; i < n; i++)
			len += walk_size(json_object_array_get_idx(v, i));
		return len;
	case json_type_object:
		n = (size_t)json_object_object_length(v);
		len = n > 0 ? n + 1 : 2;
		json_object_object_foreach(v, k, c)
			len += escaped_size(k, strlen(k)) + 1 + walk_size(c);
		return len;
	default:
		return doc_compact_size(v);
	}
}

static size_t
section_size(json_object *state, const char *name)
{
	json_object *sec = member(state, name);

	return sec != NULL ? walk_size(sec) : 0;
}

static void
add_common(json_object *o, int64_t version, int64_t now, const char *token)
{
	if (version >= 0)
		add_const(o, "version", new_int64(version));
	add_const(o, "timestamp", new_int64(now));
	if (token != NULL)
		add_const(o, "clientToken", new_string(token));
}

static json_object *
leaf_of(int64_t now)
{
	json_object *leaf = new_object();

	add_const(leaf, "timestamp", new_int64(now));
	return leaf;
}

/* The new desired and reported after the request, sharing what it does
 * not touch. */
static void
merge_sections(const struct doc_shadow *s, json_object *rstate,
    json_object *leaf, json_object *state, json_object *meta)
{
	json_object *old, *p, *nv, *nm;
	size_t i;

	for (i = 0; i < 2; i++) {
		old = member(s->state, sections[i]);
		nv = nm = NULL;
		if (rstate == NULL)
			continue;
		if (!json_object_object_get_ex(rstate, sections[i], &p)) {
			if (old == NULL)
				continue;
			nv = json_object_get(old);
			nm = json_object_get(member(s->metadata, sections[i]));
			if (nm == NULL)
				nm = meta_of(old, leaf);
		} else if (p != NULL)
			nv = merge_value(old, member(s->metadata, sections[i]),
			    p, leaf, &nm);
		if (nv == NULL)
			continue;
		add_const(state, sections[i], nv);
		add_const(meta, sections[i], nm);
	}
}

static json_object *
accepted_of(const struct doc_request *req, json_object *leaf,
    int64_t version, int64_t now, const char *token)
{
	json_object *o = new_object();

	add_const(o, "state", json_object_get(req->state));
	add_const(o, "metadata", meta_of(req->state, leaf));
	add_common(o, version, now, token);
	return o;
}

static json_object *
delta_message(json_object *state, json_object *meta, int64_t version,
    int64_t now, const char *token)
{
	json_object *d, *dm = NULL, *o;

	if ((d = member(state, "desired")) == NULL)
		return NULL;
	d = delta_object(d, member(state, "reported"),
	    member(meta, "desired"), &dm);
	if (d == NULL)
		return NULL;
	o = new_object();
	add_const(o, "state", d);
	add_const(o, "metadata", dm != NULL ? dm : new_object());
	add_common(o, version, now, token);
	return o;
}

int
doc_apply_update(struct doc_shadow *s, const struct doc_request *req,
    int64_t now, size_t max_size, struct doc_update_result *res,
    struct doc_error *err)
{
	const char *token = req->has_token ? req->token : NULL;
	json_object *leaf, *state, *meta, *docs;
	int64_t version;

	memset(res, 0, sizeof(*res));
	if (s->version == INT64_MAX) {
		doc_error_set(err, 500, DOC_MSG_INTERNAL, token);
		return -1;
	}
	if (req->has_version && req->version != s->version) {
		doc_error_set(err, 409, DOC_MSG_VERSION_CONFLICT, token);
		return -1;
	}
	nomem = false;
	leaf = leaf_of(now);
	state = new_object();
	meta = new_object();
	merge_sections(s, req->state, leaf, state, meta);
	if (!nomem && section_size(state, "desired") +
	    section_size(state, "reported") > max_size) {
		json_object_put(state);
		json_object_put(meta);
		json_object_put(leaf);
		doc_error_set(err, 413, DOC_MSG_TOO_LARGE, token);
		return -1;
	}
	version = s->version + 1;
	res->accepted = accepted_of(req, leaf, version, now, token);
	res->delta = delta_message(state, meta, version, now, token);
	docs = new_object();
	add_const(docs, "previous", s->exists ?
	    snapshot_of(s->state, s->metadata, s->version) : NULL);
	add_const(docs, "current", snapshot_of(state, meta, version));
	add_common(docs, -1, now, token);
	res->documents = docs;
	json_object_put(leaf);
	if (nomem || res->accepted == NULL || res->documents == NULL) {
		doc_update_result_free(res);
		json_object_put(state);
		json_object_put(meta);
		doc_error_set(err, 500, DOC_MSG_INTERNAL, token);
		return -1;
	}
	json_object_put(s->state);
	json_object_put(s->metadata);
	s->state = state;
	s->metadata = meta;
	s->version = version;
	s->exists = true;
	return 0;
}

void
doc_update_result_free(struct doc_update_result *res)
{
	json_object_put(res->accepted);
	json_object_put(res->delta);
	json_object_put(res->documents);
	memset(res, 0, sizeof(*res));
}

json_object *
doc_get_accepted(const struct doc_shadow *s, const char *token, int64_t now)
{
	json_object *o, *state, *d, *r, *delta;

	nomem = false;
	o = new_object();
	state = new_object();
	d = member(s->state, "desired");
	r = member(s->state, "reported");
	if (d != NULL)
		add_const(state, "desired", json_object_get(d));
	if (r != NULL)
		add_const(state, "reported", json_object_get(r));
	if (is_object(d) && (delta = delta_object(d, is_object(r) ? r : NULL,
	    NULL, NULL)) != NULL)
		add_const(state, "delta", delta);
	add_const(o, "state", state);
	add_const(o, "metadata", json_object_get(s->metadata));
	add_common(o, s->version, now, token);
	return built(o);
}

json_object *
doc_delete_accepted(int64_t version, const char *token, int64_t now)
{
	json_object *o;

	nomem = false;
	o = new_object();
	add_common(o, version, now, token);
	return built(o);
}
