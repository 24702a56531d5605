/*
 * reference.h - docs/PROTOCOL.md §4 written out the plain way, for the tests
 * that check common/doc.c against an independent reference (the unit tests
 * and the fuzzer). Deliberately shares no code with doc.c.
 *
 *   ref_copy     deep copy (NULL stays NULL)
 *   ref_field    member of an object, NULL for anything else
 *   ref_merge    null deletes, object into object recurses, the rest
 *                replaces; emptied objects are not kept
 *   ref_update   merge a request's state into a stored state in place:
 *                state NULL or a section NULL removes; empty sections go
 */
#ifndef SHADOW_TEST_REFERENCE_H
#define SHADOW_TEST_REFERENCE_H

#include <stdlib.h>
#include <json-c/json.h>

static inline json_object *
ref_copy(json_object *o)
{
	json_object *c = NULL;

	if (o != NULL && json_object_deep_copy(o, &c, NULL) != 0)
		abort();
	return c;
}

static inline json_object *
ref_field(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, k, &v);
	return v;
}

static inline void
ref_merge(json_object *target, json_object *patch)
{
	json_object *cur;

	json_object_object_foreach(patch, k, v) {
		if (v == NULL) {
			json_object_object_del(target, k);
			continue;
		}
		if (!json_object_is_type(v, json_type_object)) {
			json_object_object_add(target, k, ref_copy(v));
			continue;
		}
		cur = ref_field(target, k);
		if (!json_object_is_type(cur, json_type_object)) {
			cur = json_object_new_object();
			json_object_object_add(target, k, cur);
		}
		ref_merge(cur, v);
		if (json_object_object_length(cur) == 0)
			json_object_object_del(target, k);
	}
}

static inline void
ref_update(json_object *doc, json_object *state)
{
	static const char *const sec[] = { "desired", "reported" };
	json_object *p, *cur;
	int i;

	for (i = 0; i < 2; i++) {
		if (state == NULL) {
			json_object_object_del(doc, sec[i]);
			continue;
		}
		if (!json_object_object_get_ex(state, sec[i], &p))
			continue;
		if (p == NULL) {
			json_object_object_del(doc, sec[i]);
			continue;
		}
		if ((cur = ref_field(doc, sec[i])) == NULL) {
			cur = json_object_new_object();
			json_object_object_add(doc, sec[i], cur);
		}
		ref_merge(cur, p);
		if (json_object_object_length(cur) == 0)
			json_object_object_del(doc, sec[i]);
	}
}

#endif
