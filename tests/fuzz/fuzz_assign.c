/*
 * fuzz_assign - the assignment parser of shadowctl on arbitrary bytes.
 *
 * The input is split at NUL bytes into arguments applied in order to one
 * document: "!KEY" is assign_null, "?PATH" is assign_lookup, anything else
 * assign_apply. After a successful assignment, looking the key up must find
 * what was written (the string for KEY=VALUE, null after an unset); a
 * failure must leave a message. The document is serialised after each step.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "assign.h"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the key of arg ends (shadowctl(1): '\' escapes . = : \). */
static size_t
key_end(const char *arg, int *json)
{
	size_t i;

	*json = 0;
	for (i = 0; arg[i] != '\0'; i++) {
		if (arg[i] == '\\' && arg[i + 1] != '\0' &&
		    strchr(".=:\\", arg[i + 1]) != NULL) {
			i++;
			continue;
		}
		if (arg[i] == '=')
			return i;
		if (arg[i] == ':' && arg[i + 1] == '=') {
			*json = 1;
			return i;
		}
	}
	return i;
}

static void
check_lookup(json_object *obj, const char *key, size_t keylen,
    const char *value, int json, int unset)
{
	char err[512], *path = strndup(key, keylen);
	json_object *out = (json_object *)1, *want;

	REQUIRE(path != NULL);
	err[0] = '\0';
	REQUIRE(assign_lookup(obj, path, &out, err, sizeof(err)) == 0);
	if (unset)
		REQUIRE(out == NULL);
	else if (!json) {
		REQUIRE(json_object_is_type(out, json_type_string));
		REQUIRE(strcmp(json_object_get_string(out), value) == 0);
	} else if ((want = json_tokener_parse(value)) != NULL) {
		REQUIRE(out != NULL &&
		    json_object_get_type(out) == json_object_get_type(want));
		json_object_put(want);
	}
	free(path);
}

static void
step(json_object **obj, const char *arg)
{
	char err[512];
	json_object *out;
	size_t end;
	int json, rc;

	err[0] = '\0';
	if (arg[0] == '?') {
		rc = assign_lookup(*obj, arg + 1, &out, err, sizeof(err));
		if (rc == 0 && out != NULL)
			REQUIRE(json_object_to_json_string(out) != NULL);
	} else if (arg[0] == '!') {
		rc = assign_null(obj, arg + 1, err, sizeof(err));
		if (rc == 0)
			check_lookup(*obj, arg + 1, strlen(arg + 1), NULL, 0, 1);
	} else {
		rc = assign_apply(obj, arg, err, sizeof(err));
		end = key_end(arg, &json);
		if (rc == 0) {
			REQUIRE(arg[end] != '\0');
			check_lookup(*obj, arg, end, arg + end + 1 + json,
			    json, 0);
		}
	}
	if (rc != 0)
		REQUIRE(err[0] != '\0' && strlen(err) < sizeof(err));
	else if (*obj != NULL)
		REQUIRE(json_object_is_type(*obj, json_type_object) &&
		    json_object_to_json_string(*obj) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *end;
	json_object *obj = NULL;

	REQUIRE(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (p = buf; p <= end; p += strlen(p) + 1)
		step(&obj, p);
	json_object_put(obj);
	free(buf);
	return 0;
}
