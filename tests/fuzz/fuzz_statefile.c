/*
 * fuzz_statefile - the --state-dir file reader of shadowdev on arbitrary
 * bytes (cmd/shadowdev/statefile.h).
 *
 * statefile_parse accepts exactly one JSON object (white space around it
 * allowed); anything else fails with a message. What it accepts, written
 * back as statefile_write writes it, must read back equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "require.h"
#include "statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_object *state = (json_object *)1, *again = NULL;
	const char *text;

	err[0] = '\0';
	if (statefile_parse((const char *)data, size, &state, err,
	    sizeof(err)) != 0) {
		REQUIRE(state == NULL);
		REQUIRE(err[0] != '\0' && strlen(err) < sizeof(err));
		return 0;
	}
	REQUIRE(json_object_is_type(state, json_type_object));
	text = json_object_to_json_string_ext(state,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	REQUIRE(text != NULL);
	REQUIRE(statefile_parse(text, strlen(text), &again, err,
	    sizeof(err)) == 0);
	REQUIRE(json_object_equal(state, again));
	json_object_put(again);
	json_object_put(state);
	return 0;
}
