/*
 * test_merge_reference - differential check of the update path: thousands
 * of random update sequences, each sent as text through doc_parse_update
 * and doc_apply_update, against a straightforward reference written here
 * from docs/PROTOCOL.md §4 and §6 (null deletes, objects recurse, the
 * rest replaces, empty objects pruned, empty sections removed; delta by
 * deep equality, numbers by value). Also the 413 limit: an update is
 * refused exactly when the reference result is too large.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "reference.h"
#include "doc.h"

#define SEQUENCES 3000
#define STEPS 10
#define NOW 1700000000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static const char *const keys[] = { "a", "b", "c", "color", "\xc3\xa9",
    "x.y", "" };

static json_object *rand_object(int depth, bool nulls);

static json_object *
rand_scalar(void)
{
	switch (rnd(9)) {
	case 0:
		return json_object_new_int64(rnd(3));
	case 1:
		return json_object_new_double((double)rnd(3));
	case 2:
		return json_object_new_double(0.5);
	case 3:
		return json_object_new_string(rnd(2) ? "1" : "red");
	case 4:
		return json_object_new_string("");
	case 5:
		return json_object_new_boolean(rnd(2));
	case 6:
		return json_object_new_int64(rnd(2) ? INT64_MAX : INT64_MIN);
	case 7:
		return json_object_new_array();
	default:
		return json_object_new_int64(-1);
	}
}

static json_object *
rand_array(int depth)
{
	json_object *a = json_object_new_array();
	uint32_t n = rnd(4), i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, depth < 4 && rnd(3) == 0 ?
		    rand_object(depth + 1, true) : rand_scalar());
	return a;
}

static json_object *
rand_value(int depth, bool nulls)
{
	uint32_t r = rnd(12);

	if (nulls && r < 3)
		return NULL;
	if (depth >= 5 || r < 7)
		return rand_scalar();
	if (r < 10)
		return rand_object(depth + 1, nulls);
	return rand_array(depth + 1);
}

static json_object *
rand_object(int depth, bool nulls)
{
	json_object *o = json_object_new_object();
	uint32_t n = rnd(4), i;

	for (i = 0; i < n; i++)
		json_object_object_add(o, keys[rnd(7)], rand_value(depth, nulls));
	return o;
}

static json_object *
rand_payload(void)
{
	json_object *p = json_object_new_object(), *st;

	if (rnd(25) == 0) {
		json_object_object_add(p, "state", NULL);
		return p;
	}
	st = json_object_new_object();
	if (rnd(3))
		json_object_object_add(st, "desired",
		    rnd(10) ? rand_object(0, true) : NULL);
	if (rnd(3))
		json_object_object_add(st, "reported",
		    rnd(10) ? rand_object(0, true) : NULL);
	json_object_object_add(p, "state", st);
	return p;
}

static bool
is_num(json_object *o)
{
	return json_object_is_type(o, json_type_int) ||
	    json_object_is_type(o, json_type_double);
}

static bool ref_equal(json_object *, json_object *);

static bool
ref_equal_objects(json_object *a, json_object *b)
{
	json_object *bv;

	if (json_object_object_length(a) != json_object_object_length(b))
		return false;
	json_object_object_foreach(a, k, av) {
		if (!json_object_object_get_ex(b, k, &bv) || !ref_equal(av, bv))
			return false;
	}
	return true;
}

static bool
ref_equal(json_object *a, json_object *b)
{
	size_t i, n;

	if (a == NULL || b == NULL)
		return a == b;
	if (is_num(a) && is_num(b)) {
		if (json_object_is_type(a, json_type_int) &&
		    json_object_is_type(b, json_type_int))
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_object:
		return ref_equal_objects(a, b);
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!ref_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return false;
		return true;
	default:
		return true;
	}
}

/* §6: keys of D missing from R or different; objects recurse. */
static json_object *
ref_delta(json_object *d, json_object *r)
{
	json_object *out = json_object_new_object(), *rv, *sub;

	json_object_object_foreach(d, k, dv) {
		rv = ref_field(r, k);
		if (rv != NULL && json_object_is_type(dv, json_type_object) &&
		    json_object_is_type(rv, json_type_object)) {
			if ((sub = ref_delta(dv, rv)) != NULL)
				json_object_object_add(out, k, sub);
		} else if (rv == NULL || !ref_equal(dv, rv))
			json_object_object_add(out, k, ref_copy(dv));
	}
	if (json_object_object_length(out) == 0) {
		json_object_put(out);
		return NULL;
	}
	return out;
}

static size_t
ref_size(json_object *doc)
{
	size_t n = 0;
	int i;
	static const char *const sec[] = { "desired", "reported" };

	for (i = 0; i < 2; i++)
		if (ref_field(doc, sec[i]) != NULL)
			n += strlen(json_object_to_json_string_ext(ref_field(doc,
			    sec[i]), JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
	return n;
}

struct tally {
	int updates, refused, bad_parse, bad_state, bad_delta, bad_get_delta;
	int bad_size, bad_version, bad_merge;
};

static void
note(int *counter, const char *what, int seq, int step, json_object *got,
    json_object *want)
{
	if ((*counter)++ == 0)
		printf("#   %s, sequence %d step %d:\n#   got  %s\n#   want %s\n",
		    what, seq, step, got ? json_object_to_json_string(got) :
		    "(none)", want ? json_object_to_json_string(want) : "(none)");
}

static void
check_delta(struct tally *t, const struct doc_shadow *s, json_object *ref,
    json_object *delta_msg, int seq, int step)
{
	json_object *d = ref_field(ref, "desired"), *want = NULL, *get, *got;

	if (d != NULL)
		want = ref_delta(d, ref_field(ref, "reported"));
	got = delta_msg != NULL ? ref_field(delta_msg, "state") : NULL;
	if (!(want == NULL ? got == NULL : got != NULL && ref_equal(got, want)))
		note(&t->bad_delta, "update/delta differs from the reference",
		    seq, step, got, want);
	get = doc_get_accepted(s, NULL, NOW);
	got = ref_field(ref_field(get, "state"), "delta");
	if (!(want == NULL ? got == NULL : got != NULL && ref_equal(got, want)))
		note(&t->bad_get_delta, "get/accepted delta differs", seq, step,
		    got, want);
	json_object_put(get);
	json_object_put(want);
}

/* doc_merge on its own, against the reference on the same patch. */
static void
check_doc_merge(struct tally *t, json_object *base, json_object *patch,
    int seq, int step)
{
	json_object *got = ref_copy(base), *want = ref_copy(base);

	if (want == NULL)
		want = json_object_new_object();
	doc_merge(&got, patch);
	ref_merge(want, patch);
	if (json_object_object_length(want) == 0) {
		json_object_put(want);
		want = NULL;
	}
	if (!(want == NULL ? got == NULL : got != NULL && ref_equal(got, want)))
		note(&t->bad_merge, "doc_merge differs from the reference", seq,
		    step, got, want);
	json_object_put(got);
	json_object_put(want);
}

static void
run_step(struct tally *t, struct doc_shadow *s, json_object **ref, int seq,
    int step, size_t max_size)
{
	json_object *payload = rand_payload(), *next, *st, *patch;
	struct doc_update_result res;
	struct doc_request req;
	struct doc_error err;
	const char *text = json_object_to_json_string_ext(payload,
	    JSON_C_TO_STRING_PLAIN);
	int64_t version = s->version;

	if (doc_parse_update(text, strlen(text), &req, &err) != 0) {
		note(&t->bad_parse, "a valid update was refused", seq, step,
		    payload, NULL);
		json_object_put(payload);
		return;
	}
	st = ref_field(payload, "state");
	if ((patch = ref_field(st, "desired")) != NULL)
		check_doc_merge(t, ref_field(*ref, "desired"), patch, seq, step);
	next = ref_copy(*ref);
	ref_update(next, st);
	t->updates++;
	if (doc_apply_update(s, &req, NOW + step, max_size, &res, &err) != 0) {
		t->refused++;
		if (err.code != 413 || ref_size(next) <= max_size)
			note(&t->bad_size, "refused though the reference fits",
			    seq, step, payload, next);
		json_object_put(next);
	} else {
		if (ref_size(next) > max_size)
			note(&t->bad_size, "accepted though the reference is too"
			    " large", seq, step, s->state, next);
		if (s->version != version + 1)
			t->bad_version++;
		if (!ref_equal(s->state, next))
			note(&t->bad_state, "stored state differs from the "
			    "reference", seq, step, s->state, next);
		json_object_put(*ref);
		*ref = next;
		check_delta(t, s, *ref, res.delta, seq, step);
		doc_update_result_free(&res);
	}
	doc_request_free(&req);
	json_object_put(payload);
}

/* Store and load the shadow as shadowd does. */
static void
reload(struct doc_shadow *s)
{
	json_object *snap;
	struct doc_shadow t;

	if (!s->exists)
		return;
	snap = doc_shadow_snapshot(s);
	if (doc_shadow_load(&t, json_object_to_json_string_ext(snap,
	    JSON_C_TO_STRING_PLAIN)) != 0)
		abort();
	json_object_put(snap);
	doc_shadow_free(s);
	*s = t;
}

int
main(void)
{
	struct tally t;
	struct doc_shadow s;
	json_object *ref;
	size_t max_size;
	int seq, step;

	memset(&t, 0, sizeof(t));
	for (seq = 0; seq < SEQUENCES; seq++) {
		max_size = seq % 4 == 0 ? 120 : DOC_MAX_SIZE_DEFAULT;
		doc_shadow_init(&s, seq % 5);
		ref = json_object_new_object();
		for (step = 0; step < STEPS; step++) {
			run_step(&t, &s, &ref, seq, step, max_size);
			if (step % 3 == 2)
				reload(&s);
		}
		json_object_put(ref);
		doc_shadow_free(&s);
	}
	printf("# %d updates in %d sequences, %d refused as too large\n",
	    t.updates, SEQUENCES, t.refused);
	CHECK(t.bad_parse == 0, "random valid updates all pass validation "
	    "(%d refused)", t.bad_parse);
	CHECK(t.bad_state == 0, "the stored state after each update equals "
	    "the reference merge (%d differ)", t.bad_state);
	CHECK(t.bad_merge == 0, "doc_merge of a section equals the reference "
	    "merge (%d differ)", t.bad_merge);
	CHECK(t.bad_version == 0, "every accepted update adds one to the "
	    "version (%d did not)", t.bad_version);
	CHECK(t.bad_delta == 0, "update/delta is sent exactly when the "
	    "reference delta is non-empty, and equals it (%d differ)",
	    t.bad_delta);
	CHECK(t.bad_get_delta == 0, "get/accepted shows the reference delta "
	    "(%d differ)", t.bad_get_delta);
	CHECK(t.bad_size == 0, "an update is refused with 413 exactly when "
	    "the reference result is too large (%d differ)", t.bad_size);
	CHECK(t.refused > 0 && t.refused < t.updates, "the size limit was "
	    "both hit and not hit");
	CHECK_DONE();
}
