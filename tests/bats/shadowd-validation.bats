#!/usr/bin/env bats
# Every rejection of docs/PROTOCOL.md §3 with its exact code and message
# (example I), and hostile input on the request topics.

load ../helpers/shadowd

setup_file() { sd_stack_start; }
teardown_file() { stack_teardown; }

# rejects PAYLOAD CODE MESSAGE [TOKEN]: the update is rejected so, and
# nothing is stored (a get afterwards is still 404).
rejects() {
	local r want
	r=$(root "$(thing)_$RANDOM")
	run ask "$r" update "$1"
	assert_success
	assert_equal "$(answer_kinds)" update/rejected
	if [ -n "${4:-}" ]; then
		want=$(jq -cn --argjson c "$2" --arg m "$3" --arg t "$4" '{code:$c,message:$m,clientToken:$t}')
	else
		want=$(jq -cn --argjson c "$2" --arg m "$3" '{code:$c,message:$m}')
	fi
	if [ "$2" != 404 ] && [ "$2" != 409 ]; then
		want=$(echo "$want" | jq -c '. + {timestamp:1}')
	fi
	assert_json "$(answer update/rejected)" "$want"
	run ask "$r" get ''
	assert_output --partial "get/rejected"
}

@test "truncated JSON is 400 Invalid JSON" {
	rejects '{"state":' 400 "Invalid JSON"
}

@test "an empty payload and non-object JSON are 400 Invalid JSON" {
	rejects '' 400 "Invalid JSON"
	rejects '[1,2]' 400 "Invalid JSON"
	rejects '"state"' 400 "Invalid JSON"
}

@test "a missing state is 400 and echoes the token" {
	rejects '{"clientToken":"t","x":1}' 400 "Missing required node: state" t
}

@test "a state that is not an object is 400" {
	rejects '{"state":"on"}' 400 "State node must be an object"
	rejects '{"state":[1]}' 400 "State node must be an object"
}

@test "a state with delta or another node is 400 naming it" {
	rejects '{"state":{"desired":{"a":1},"delta":{"a":1}}}' 400 "State contains an invalid node: 'delta'"
	rejects '{"state":{"foo":1},"clientToken":"k"}' 400 "State contains an invalid node: 'foo'" k
}

@test "desired or reported that is not an object is 400" {
	rejects '{"state":{"desired":5}}' 400 "Desired node must be an object"
	rejects '{"state":{"reported":"x"}}' 400 "Reported node must be an object"
}

@test "a 65-byte or non-string clientToken is 400 Invalid clientToken, not echoed" {
	rejects "{\"state\":{\"reported\":{\"a\":1}},\"clientToken\":\"$(printf 'x%.0s' $(seq 65))\"}" 400 "Invalid clientToken"
	rejects '{"state":{"reported":{"a":1}},"clientToken":7}' 400 "Invalid clientToken"
}

@test "a version that is not a non-negative integer is 400 Invalid version" {
	rejects '{"state":{"reported":{"a":1}},"version":"3"}' 400 "Invalid version"
	rejects '{"state":{"reported":{"a":1}},"version":-1,"clientToken":"v"}' 400 "Invalid version" v
	rejects '{"state":{"reported":{"a":1}},"version":1.5}' 400 "Invalid version"
	rejects '{"state":{"reported":{"a":1}},"version":99999999999999999999}' 400 "Invalid version"
}

@test "null inside an array is 400 Invalid JSON" {
	rejects '{"state":{"reported":{"a":[1,null]}},"clientToken":"n"}' 400 "Invalid JSON" n
}

@test "more than 6 levels below desired is 400, 6 levels pass" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"desired":{"1":{"2":{"3":{"4":{"5":{"6":"x"}}}}}}}}' 3
	assert_output --partial update/accepted
	rejects '{"state":{"desired":{"1":{"2":{"3":{"4":{"5":{"6":{"7":"x"}}}}}}}}}' 400 "JSON contains too many levels of nesting; maximum is 6"
	rejects '{"state":{"reported":{"1":[[[[[["x"]]]]]]}}}' 400 "JSON contains too many levels of nesting; maximum is 6"
}

@test "a document over 8192 bytes after merging is 413, even from a tiny update" {
	local r big; r=$(root "$(thing)")
	big=$(printf 'a%.0s' $(seq 5000))
	run ask "$r" update "{\"state\":{\"reported\":{\"r\":\"$big\"}}}" 2
	assert_output --partial update/accepted
	big=$(printf 'b%.0s' $(seq 4000))
	run ask "$r" update "{\"state\":{\"desired\":{\"d\":\"$big\"}},\"clientToken\":\"s\"}"
	assert_json "$(answer update/rejected)" '{"code":413,"message":"The payload exceeds the maximum size allowed","clientToken":"s","timestamp":1}'
	run ask "$r" get ''
	assert_json "$(answer get/accepted | jq .version)" 1
}

@test "invalid UTF-8 is 415" {
	local r f; r=$(root "$(thing)")
	f=$TD/bad-utf8
	printf '{"state":{"reported":{"a":"\xc3\x28"}}}' >"$f"
	local before; before=$(count_answers "$r")
	pub_file "$r/update" "$f"
	wait_answers "$r" $((before + 1))
	run answers_of "$r"
	assert_json "$(answer update/rejected)" '{"code":415,"message":"Unsupported documented encoding; supported encoding is UTF-8","timestamp":1}'
}

@test "NaN, Infinity and huge numbers are Invalid JSON" {
	rejects '{"state":{"reported":{"a":NaN}}}' 400 "Invalid JSON"
	rejects '{"state":{"reported":{"a":Infinity}}}' 400 "Invalid JSON"
	rejects '{"state":{"reported":{"a":1e999}}}' 400 "Invalid JSON"
}

@test "duplicate keys: the last one wins" {
	local r; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1,"a":2}}}' 2
	assert_json "$(answer update/documents | jq -c .current.state)" '{"reported":{"a":2}}'
}

@test "binary junk, 1000-level nesting, 128 KiB and 10000 keys get an answer and shadowd stays up" {
	local r f i; r=$(root "$(thing)")
	head -c 3000 /dev/urandom >"$TD/junk"
	printf '\x00\x01{"state":{}}' >>"$TD/junk"
	pub_file "$r/update" "$TD/junk"
	wait_answers "$r" 1
	run answers_of "$r"
	assert_output --regexp '"code":(400|415)'

	{ printf '{"clientToken":"deep","x":'; printf '[%.0s' $(seq 1000); printf ']%.0s' $(seq 1000); printf ',"state":{}}'; } >"$TD/deep"
	pub_file "$r/update" "$TD/deep"
	wait_answers "$r" 2
	run answers_of "$r"
	assert_json "$(echo "$output" | tail -1 | cut -d' ' -f2-)" '{"code":400,"message":"JSON contains too many levels of nesting; maximum is 6","timestamp":1}'

	{ printf '{"state":{"reported":{"big":"'; head -c 131072 /dev/zero | tr '\0' a; printf '"}}}'; } >"$TD/big"
	pub_file "$r/update" "$TD/big"
	wait_answers "$r" 3
	run answers_of "$r"
	assert_json "$(echo "$output" | tail -1 | cut -d' ' -f2-)" '{"code":413,"message":"The payload exceeds the maximum size allowed","timestamp":1}'

	{ printf '{"state":{"reported":{'; for i in $(seq 1 9999); do printf '"k%d":1,' "$i"; done; printf '"k0":1}}}'; } >"$TD/keys"
	pub_file "$r/update" "$TD/keys"
	wait_answers "$r" 4
	run answers_of "$r"
	assert_json "$(echo "$output" | tail -1 | cut -d' ' -f2-)" '{"code":413,"message":"The payload exceeds the maximum size allowed","timestamp":1}'

	kill -0 "$SHADOWD_PID"
	run ask "$r" update '{"state":{"reported":{"ok":true}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 1
}

@test "bad names in the topic get no answer; other topics are ignored" {
	local t ok; t=$(thing)
	pub "\$aws/things/bad name/shadow/update" '{"state":{"reported":{"a":1}}}'
	pub "\$aws/things/$(printf 'n%.0s' $(seq 129))/shadow/get" ''
	pub "\$aws/things/$t/shadow/name/$(printf 's%.0s' $(seq 65))/get" ''
	pub "\$aws/things/$t/shadow/name/b@d/get" ''
	pub "\$aws/things/$t/shadow/update/accepted" '{"state":{}}'
	pub "\$aws/things/$t/shadow/Update" '{"state":{}}'
	pub "\$aws/things/$t/shadow/name/x/y/get" ''
	ok=$(thing ok)
	run ask "$(root "$ok")" get ''
	assert_output --partial get/rejected
	run grep -c -e 'bad name' -e "things/nnnn" -e "/name/ssss" -e 'b@d/get/' -e 'Update/' "$TD/watch.log"
	assert_output 0
	run answers_of "$(root "$t")"
	assert_equal "$(echo "$output" | grep -c 'update/rejected\|update/documents')" 0
	grep -q '"state":{}' "$TD/watch.log"
	# only the two messages this test published on answer-shaped topics
	run grep -c "things/$t/shadow/" "$TD/watch.log"
	assert_output 2
}

@test "a flood of requests is answered exactly, then shadowd answers correctly" {
	local r i n=1500; r=$(root "$(thing)")
	for i in $(seq 1 $n); do
		case $((i % 3)) in
		0) echo "{\"state\":{\"reported\":{\"i\":$i}},\"clientToken\":\"f$i\"}" ;;
		1) echo "garbage $i" ;;
		2) echo "{\"state\":{\"delta\":1},\"clientToken\":\"f$i\"}" ;;
		esac
	done | pub_lines "$r/update"
	wait_answers "$r" $((n / 3 * 2 + n / 3 * 2)) 30
	run answers_of "$r"
	[ "$(echo "$output" | grep -c 'update/accepted')" -eq $((n / 3)) ]
	[ "$(echo "$output" | grep -c 'update/rejected')" -eq $((n / 3 * 2)) ]
	[ "$(echo "$output" | grep -c 'update/documents')" -eq $((n / 3)) ]
	run ask "$r" get '{"clientToken":"last"}'
	assert_json "$(answer get/accepted | jq -c '[.version, .state.reported.i, .clientToken]')" "[$((n / 3)),$n,\"last\"]"
}
