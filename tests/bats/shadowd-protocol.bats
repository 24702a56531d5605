#!/usr/bin/env bats
# shadowd answers the Device Shadow protocol exactly (docs/PROTOCOL.md
# §1-§8 and the worked examples of §10), for classic and named shadows.

load ../helpers/shadowd

setup_file() { sd_stack_start; }
teardown_file() { stack_teardown; }

# §10 A-D on one shadow root.
examples_a_to_d() {
	local r=$1
	run ask "$r" update '{"state":{"reported":{"color":"red"}}}' 2
	assert_success
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/documents')"
	assert_json "$(answer update/accepted)" '{"state":{"reported":{"color":"red"}},"metadata":{"reported":{"color":{"timestamp":1}}},"version":1,"timestamp":1}'
	assert_json "$(answer update/documents)" '{"previous":null,"current":{"state":{"reported":{"color":"red"}},"metadata":{"reported":{"color":{"timestamp":1}}},"version":1},"timestamp":1}'

	run ask "$r" update '{"state":{"desired":{"color":"green"}},"clientToken":"c1"}' 3
	assert_success
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/delta\nupdate/documents')"
	assert_json "$(answer update/accepted)" '{"state":{"desired":{"color":"green"}},"metadata":{"desired":{"color":{"timestamp":1}}},"version":2,"timestamp":1,"clientToken":"c1"}'
	assert_json "$(answer update/delta)" '{"state":{"color":"green"},"metadata":{"color":{"timestamp":1}},"version":2,"timestamp":1,"clientToken":"c1"}'
	assert_json "$(answer update/documents)" '{"previous":{"state":{"reported":{"color":"red"}},"metadata":{"reported":{"color":{"timestamp":1}}},"version":1},"current":{"state":{"desired":{"color":"green"},"reported":{"color":"red"}},"metadata":{"desired":{"color":{"timestamp":1}},"reported":{"color":{"timestamp":1}}},"version":2},"timestamp":1,"clientToken":"c1"}'

	run ask "$r" update '{"state":{"reported":{"temp":21}}}' 3
	assert_success
	assert_json "$(answer update/accepted)" '{"state":{"reported":{"temp":21}},"metadata":{"reported":{"temp":{"timestamp":1}}},"version":3,"timestamp":1}'
	assert_json "$(answer update/delta)" '{"state":{"color":"green"},"metadata":{"color":{"timestamp":1}},"version":3,"timestamp":1}'

	run ask "$r" update '{"state":{"reported":{"color":"green"},"desired":null}}' 2
	assert_success
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/documents')"
	assert_json "$(answer update/accepted)" '{"state":{"reported":{"color":"green"},"desired":null},"metadata":{"reported":{"color":{"timestamp":1}},"desired":{"timestamp":1}},"version":4,"timestamp":1}'
	assert_json "$(answer update/documents | jq -c .current.state)" '{"reported":{"color":"green","temp":21}}'
	assert_json "$(answer update/documents | jq -c .current.version)" '4'
	assert_json "$(answer update/documents | jq -c .current.metadata)" '{"reported":{"color":{"timestamp":1},"temp":{"timestamp":1}}}'
	run ask "$r" get '{"clientToken":"g"}'
	assert_json "$(answer get/accepted)" '{"state":{"reported":{"color":"green","temp":21}},"metadata":{"reported":{"color":{"timestamp":1},"temp":{"timestamp":1}}},"version":4,"timestamp":1,"clientToken":"g"}'
}

@test "example A-D: report, set desired, unrelated report, catch up (classic)" {
	examples_a_to_d "$(root "$(thing lamp)")"
}

@test "example A-D: report, set desired, unrelated report, catch up (named)" {
	examples_a_to_d "$(nroot "$(thing lamp)" simShadow1)"
}

examples_e_f() {
	local r=$1
	run ask "$r" update '{"state":{"desired":{"lights":{"color":{"r":255,"g":255}}},"reported":{"lights":{"color":{"r":255,"g":0}}}}}' 3
	assert_success
	run ask "$r" get ''
	assert_success
	assert_json "$(answer get/accepted | jq -c .state.delta)" '{"lights":{"color":{"g":255}}}'
	# a key added to an object that exists: metadata for it, end to end
	run ask "$r" update '{"state":{"desired":{"lights":{"color":{"b":0}}}}}' 3
	assert_success
	assert_json "$(answer update/accepted | jq -c .metadata)" '{"desired":{"lights":{"color":{"b":{"timestamp":1}}}}}'
	assert_json "$(answer update/delta | jq -c '[.state, .metadata]')" '[{"lights":{"color":{"g":255,"b":0}}},{"lights":{"color":{"g":{"timestamp":1},"b":{"timestamp":1}}}}]'
	assert_json "$(answer update/documents | jq -c .current.metadata)" '{"desired":{"lights":{"color":{"r":{"timestamp":1},"g":{"timestamp":1},"b":{"timestamp":1}}}},"reported":{"lights":{"color":{"r":{"timestamp":1},"g":{"timestamp":1}}}}}'
	run ask "$r" get ''
	assert_json "$(answer get/accepted | jq -c .metadata)" '{"desired":{"lights":{"color":{"r":{"timestamp":1},"g":{"timestamp":1},"b":{"timestamp":1}}}},"reported":{"lights":{"color":{"r":{"timestamp":1},"g":{"timestamp":1}}}}}'
	run ask "$r" update '{"state":{"desired":{"colors":["RED","GREEN","BLUE"]}}}' 3
	run ask "$r" update '{"state":{"desired":{"colors":["RED"]}}}' 3
	assert_success
	assert_json "$(answer update/accepted | jq -c .metadata)" '{"desired":{"colors":[{"timestamp":1}]}}'
	assert_json "$(answer update/documents | jq -c .current.state.desired.colors)" '["RED"]'
	run ask "$r" update '{"state":{"desired":{"colors":[null,"RED"]}}}'
	assert_success
	assert_json "$(answer update/rejected)" '{"code":400,"message":"Invalid JSON","timestamp":1}'
}

@test "example E-F: nested delta, arrays replaced whole, null in array rejected (classic)" {
	examples_e_f "$(root "$(thing e)")"
}

@test "example E-F: nested delta, arrays replaced whole, null in array rejected (named)" {
	examples_e_f "$(nroot "$(thing e)" s1)"
}

# Bring a fresh shadow to version N with N updates.
updates_to() {
	local r=$1 n=$2 i
	for i in $(seq 1 "$n"); do echo "{\"state\":{\"reported\":{\"i\":$i}}}"; done |
	    pub_lines "$r/update"
	wait_answers "$r" $((n * 2))
}

examples_g_h() {
	local r=$1 id=$2
	updates_to "$r" 10
	run ask "$r" update '{"state":{"reported":{"a":1}},"version":9,"clientToken":"k"}'
	assert_success
	assert_json "$(answer update/rejected)" '{"code":409,"message":"Version conflict","clientToken":"k"}'
	run ask "$r" update '{"state":{"reported":{"a":1}},"version":10,"clientToken":"k"}' 2
	assert_json "$(answer update/accepted | jq .version)" 11

	run ask "$r" delete '{"clientToken":"d"}'
	assert_success
	assert_json "$(answer delete/accepted)" '{"version":11,"timestamp":1,"clientToken":"d"}'
	run ask "$r" get ''
	assert_json "$(answer get/rejected)" "{\"code\":404,\"message\":\"No shadow exists with name: '$id'\"}"
	run ask "$r" delete ''
	assert_json "$(answer delete/rejected)" "{\"code\":404,\"message\":\"No shadow exists with name: '$id'\"}"
	run ask "$r" update '{"state":{"reported":{"on":true}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 12
	assert_json "$(answer update/documents | jq .previous)" null
}

@test "example G-H: optimistic locking, delete and re-create (classic)" {
	local t; t=$(thing lamp)
	examples_g_h "$(root "$t")" "$t"
}

@test "example G-H: optimistic locking, delete and re-create (named)" {
	local t; t=$(thing lamp)
	examples_g_h "$(nroot "$t" simShadow1)" "$t~simShadow1"
}

@test "get answers state, delta and metadata without metadata.delta" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"a":1,"b":2},"reported":{"a":1}}}' 3
	run ask "$r" get '{"clientToken":"g1"}'
	assert_json "$(answer get/accepted)" '{"state":{"desired":{"a":1,"b":2},"reported":{"a":1},"delta":{"b":2}},"metadata":{"desired":{"a":{"timestamp":1},"b":{"timestamp":1}},"reported":{"a":{"timestamp":1}}},"version":1,"timestamp":1,"clientToken":"g1"}'
}

@test "timestamps are integer seconds of now" {
	local r now ts; r=$(root "$(thing)")
	now=$(date +%s)
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	ts=$(answer update/accepted | jq '.timestamp, .metadata.reported.a.timestamp' | sort -u)
	[ "$(echo "$ts" | wc -l)" -eq 1 ]
	[ "$ts" -ge $((now - 2)) ] && [ "$ts" -le $((now + 5)) ]
}

@test "null deletes a key, untouched keys keep value and metadata" {
	local r t1; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1,"b":{"c":2,"d":3}}}}' 2
	t1=$(answer update/accepted | jq .metadata.reported.a.timestamp)
	# the next update is stamped with a later second than a's
	poll_until 3 eval '[ "$(date +%s)" -gt "$t1" ]'
	run ask "$r" update '{"state":{"reported":{"b":{"c":null},"x":null}}}' 2
	assert_json "$(answer update/accepted | jq -c .state)" '{"reported":{"b":{"c":null},"x":null}}'
	assert_json "$(answer update/accepted | jq -c .metadata)" '{"reported":{"b":{"c":{"timestamp":1}},"x":{"timestamp":1}}}'
	assert_json "$(answer update/documents | jq -c .current.state)" '{"reported":{"a":1,"b":{"d":3}}}'
	[ "$(answer update/documents | jq .current.metadata.reported.a.timestamp)" = "$t1" ]
}

@test "emptied sections and objects disappear; the shadow still exists" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"a":{"b":1}},"reported":{"z":1}}}' 3
	run ask "$r" update '{"state":{"desired":{"a":{"b":null}}}}' 2
	assert_json "$(answer update/documents | jq -c .current)" '{"state":{"reported":{"z":1}},"metadata":{"reported":{"z":{"timestamp":1}}},"version":2}'
	run ask "$r" update '{"state":null}' 2
	assert_json "$(answer update/accepted)" '{"state":null,"metadata":{"timestamp":1},"version":3,"timestamp":1}'
	assert_json "$(answer update/documents | jq -c .current)" '{"state":{},"metadata":{},"version":3}'
	run ask "$r" get ''
	assert_json "$(answer get/accepted)" '{"state":{},"metadata":{},"version":3,"timestamp":1}'
}

@test "an empty state and unchanged values are accepted and bump the version" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	run ask "$r" update '{"state":{}}' 2
	assert_json "$(answer update/accepted)" '{"state":{},"metadata":{},"version":2,"timestamp":1}'
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 3
	run ask "$r" update '{"state":{"desired":{}}}' 2
	assert_json "$(answer update/documents | jq -c .current.state)" '{"reported":{"a":1}}'
}

@test "a value changing shape takes metadata of the new shape" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":{"b":1},"c":[1,{"d":2}],"e":[]}}}' 2
	assert_json "$(answer update/accepted | jq -c .metadata)" '{"reported":{"a":{"b":{"timestamp":1}},"c":[{"timestamp":1},{"d":{"timestamp":1}}],"e":[]}}'
	run ask "$r" update '{"state":{"reported":{"a":5,"c":"x"}}}' 2
	assert_json "$(answer update/documents | jq -c .current.metadata)" '{"reported":{"a":{"timestamp":1},"c":{"timestamp":1},"e":[]}}'
}

@test "empty strings, zero and false are values; an empty object over a value removes it" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"s":"","n":0,"f":false,"a":5}}}' 2
	run ask "$r" update '{"state":{"reported":{"a":{}}}}' 2
	assert_json "$(answer update/documents | jq -c .current.state)" '{"reported":{"s":"","n":0,"f":false}}'
}

@test "delta compares deeply, by value for numbers, by type otherwise" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"n":1,"s":"1","o":{"k":1},"arr":[1,2],"same":{"x":[1]}},"reported":{"n":1.0,"s":1,"o":5,"arr":[2,1],"same":{"x":[1]},"only":1}}}' 3
	assert_json "$(answer update/delta | jq -c .state)" '{"s":"1","o":{"k":1},"arr":[1,2]}'
	assert_json "$(answer update/delta | jq -c .metadata)" '{"s":{"timestamp":1},"o":{"k":{"timestamp":1}},"arr":[{"timestamp":1},{"timestamp":1}]}'
}

@test "a reported-only update that leaves a difference still publishes the whole delta" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"a":1,"b":2}}}' 3
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 3
	assert_json "$(answer update/delta | jq -c .state)" '{"b":2}'
	run ask "$r" update '{"state":{"reported":{"b":2}}}' 2
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/documents')"
}

@test "unknown top-level fields such as thingName are ignored and not stored" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"thingName":"x","hello":[1],"metadata":{"a":1},"timestamp":5,"state":{"reported":{"a":1}}}' 2
	assert_success
	assert_json "$(answer update/documents | jq -c .current)" '{"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":1}}},"version":1}'
}

@test "clientToken is echoed on accepted, delta, documents, get and delete; never null" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"a":1}},"clientToken":"tok-1"}' 3
	[ "$(printf '%s\n' "$output" | grep -c '"clientToken":"tok-1"')" -eq 3 ]
	run ask "$r" get '{"clientToken":"tok-2"}'
	assert_json "$(answer get/accepted | jq .clientToken)" '"tok-2"'
	run ask "$r" update '{"state":{"desired":{"a":2}}}' 3
	refute_output --partial clientToken
	run ask "$r" get '{"clientToken":5}'
	refute_output --partial clientToken
	run ask "$r" get 'not json'
	assert_output --partial get/accepted
	refute_output --partial clientToken
	run ask "$r" delete "{\"clientToken\":\"$(printf 'x%.0s' $(seq 65))\"}"
	assert_output --partial delete/accepted
	refute_output --partial clientToken
}

@test "a 64-byte clientToken is valid and echoed" {
	local r tok; r=$(root "$(thing)")
	tok=$(printf 'y%.0s' $(seq 64))
	run ask "$r" update "{\"state\":{\"reported\":{\"a\":1}},\"clientToken\":\"$tok\"}" 2
	assert_json "$(answer update/accepted | jq .clientToken)" "\"$tok\""
}

@test "the 404 of a named shadow names thing~shadow, and shadows are independent" {
	local t; t=$(thing)
	run ask "$(root "$t")" update '{"state":{"reported":{"c":1}}}' 2
	run ask "$(nroot "$t" one)" update '{"state":{"reported":{"n":1}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 1
	run ask "$(nroot "$t" two)" get '{"clientToken":"q"}'
	assert_json "$(answer get/rejected)" "{\"code\":404,\"message\":\"No shadow exists with name: '$t~two'\",\"clientToken\":\"q\"}"
	run ask "$(nroot "$t" one)" delete ''
	assert_output --partial delete/accepted
	run ask "$(root "$t")" get ''
	assert_json "$(answer get/accepted | jq -c .state)" '{"reported":{"c":1}}'
}

@test "shadow names may contain \$ (reserved names such as \$package)" {
	local t; t=$(thing)
	run ask "$(nroot "$t" '$package')" update '{"state":{"reported":{"v":"1.0"}}}' 2
	assert_output --partial update/accepted
}

@test "answers come in order: accepted, delta, documents, request after request" {
	local r i; r=$(root "$(thing)")
	for i in 1 2 3 4 5; do echo "{\"state\":{\"desired\":{\"v\":$i}},\"clientToken\":\"o$i\"}"; done |
	    pub_lines "$r/update"
	wait_answers "$r" 15
	run answers_of "$r"
	assert_equal "$(printf '%s\n' "$output" | awk '{n=split($1,p,"/"); print p[n]}' | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" \
	    "1accepted 1delta 1documents 1accepted 1delta 1documents 1accepted 1delta 1documents 1accepted 1delta 1documents 1accepted 1delta 1documents "
	assert_equal "$(printf '%s\n' "$output" | grep -o '"version":[0-9]*,"timestamp":[0-9]*,"clientToken":"o[0-9]"}$' | sed 's/"timestamp":[0-9]*,//' | tr '\n' ' ')" \
	    '"version":1,"clientToken":"o1"} "version":1,"clientToken":"o1"} "version":2,"clientToken":"o2"} "version":2,"clientToken":"o2"} "version":3,"clientToken":"o3"} "version":3,"clientToken":"o3"} "version":4,"clientToken":"o4"} "version":4,"clientToken":"o4"} "version":5,"clientToken":"o5"} "version":5,"clientToken":"o5"} '
}

@test "version in a request may be null or match; on a missing shadow it is compared with 0" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1}},"version":3}'
	assert_json "$(answer update/rejected)" '{"code":409,"message":"Version conflict"}'
	run ask "$r" update '{"state":{"reported":{"a":1}},"version":0}' 2
	assert_json "$(answer update/accepted | jq .version)" 1
	run ask "$r" update '{"state":{"reported":{"a":1}},"version":null}' 2
	assert_json "$(answer update/accepted | jq .version)" 2
}

@test "keys keep their insertion order, new keys appended" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"z":1,"a":2}}}' 2
	run ask "$r" update '{"state":{"reported":{"m":3,"z":4}}}' 2
	[ "$(answer update/documents | jq -c '.current.state.reported | keys_unsorted')" = '["z","a","m"]' ]
}
