/*
 * assign.h - HTTPie-style assignments and dotted paths (shadowctl(1), "Assignments").
 *
 *   KEY=VALUE    string value
 *   KEY:=JSON    any JSON value (number, true, null, object, array, string)
 *   a.b.c=v      dots nest: {"a":{"b":{"c":"v"}}}
 *   a\.b=v       backslash makes the next '.', '=', ':' or '\' literal
 *
 * Offers:
 *   assign_apply   parse one assignment and merge it into *obj (an object,
 *                  created when NULL); later assignments to the same path win
 *   assign_null    set a dotted KEY to null (for unset)
 *   assign_lookup  follow a dotted path in a document (get PATH)
 * All return 0, or -1 with a message in err naming the argument and the
 * cause ("'speed:=4x': invalid JSON after ':='").
 */
#ifndef SHADOW_ASSIGN_H
#define SHADOW_ASSIGN_H

#include <stddef.h>
#include <json-c/json.h>

int assign_apply(json_object **obj, const char *arg, char *err, size_t errlen);
int assign_null(json_object **obj, const char *key, char *err, size_t errlen);
/* *out is borrowed from root; -1 with err when the path is absent. */
int assign_lookup(json_object *root, const char *path, json_object **out,
    char *err, size_t errlen);

#endif
