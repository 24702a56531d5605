/*
 * fuzz_json - json_read (common/json.h) on arbitrary bytes. A text it
 * accepts is valid UTF-8, is accepted by json-c's own strict parser too,
 * and its json-c serialisation reads back to the same serialisation; a
 * text it refuses has no value and a fault offset inside the text. The
 * "version" exemption only ever turns a refusal into an acceptance.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "require.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* json-c alone, strict mode, with a '\0' to end a top-level scalar. */
static int
json_fz_jsonc_accepts(const uint8_t *data, size_t size)
{
	json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_object *v;
	enum json_tokener_error e;

	REQUIRE(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	v = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if ((e = json_tokener_get_error(tok)) == json_tokener_continue) {
		v = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
	}
	json_object_put(v);
	json_tokener_free(tok);
	return e == json_tokener_success;
}

static void
json_fz_round_trip(json_object *v)
{
	struct json_result again;
	const char *text, *text2;
	char *copy;

	text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	REQUIRE(text != NULL && (copy = strdup(text)) != NULL);
	REQUIRE(json_read(copy, strlen(copy), NULL, &again) == JSON_OK);
	text2 = json_object_to_json_string_ext(again.value,
	    JSON_C_TO_STRING_PLAIN);
	REQUIRE(text2 != NULL && strcmp(copy, text2) == 0);
	json_object_put(again.value);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_result r, rv;
	enum json_status st, stv;

	st = json_read(data, size, NULL, &r);
	if (st == JSON_OK) {
		REQUIRE(json_utf8_valid(data, size));
		REQUIRE(!r.member_out_of_range);
		REQUIRE(json_fz_jsonc_accepts(data, size));
		json_fz_round_trip(r.value);
	} else {
		REQUIRE(r.value == NULL && r.why != NULL && r.offset <= size);
		REQUIRE(st != JSON_ENCODING || !json_utf8_valid(data, size));
	}
	json_object_put(r.value);
	stv = json_read(data, size, "version", &rv);
	if (st == JSON_OK)
		REQUIRE(stv == JSON_OK && !rv.member_out_of_range);
	if (stv == JSON_OK && st != JSON_OK)
		REQUIRE(rv.member_out_of_range ||
		    json_object_is_type(rv.value, json_type_object));
	if (rv.member_out_of_range)
		REQUIRE(stv == JSON_OK &&
		    json_object_is_type(rv.value, json_type_object));
	json_object_put(rv.value);
	return 0;
}
