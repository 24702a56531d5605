#!/usr/bin/env bats
# shadowd's own options: --rate-limit, --max-doc-size, --forget-deleted.

load ../helpers/shadowd

setup_file() { sd_stack_start --rate-limit 3 --max-doc-size 100 --forget-deleted 1; }
teardown_file() { stack_teardown; }
setup() { sd_load; }

@test "--rate-limit: requests over N per second and thing get 429 with the token" {
	local t r i; t=$(thing); r=$(root "$t")
	for i in $(seq 1 10); do echo "{\"clientToken\":\"r$i\"}"; done | pub_lines "$r/get"
	wait_answers "$r" 10
	run answers_of "$r"
	local n429 other
	n429=$(echo "$output" | grep -c '"code":429,"message":"TOO_MANY_REQUESTS"')
	other=$(echo "$output" | grep -vc '"code":429')
	# ten requests span at most two one-second windows of 3
	[ "$n429" -ge 4 ]
	[ "$other" -le 6 ]
	[ $((n429 + other)) -eq 10 ]
	echo "$output" | grep '"code":429' | grep -q '"clientToken":"r[0-9]*"'
}

@test "--rate-limit is checked before validation and counts all shadows of a thing" {
	local t i; t=$(thing)
	sleep 1
	for i in 1 2 3 4; do pub "$(nroot "$t" "s$i")/update" '{"state":"bad","clientToken":"v"}'; done
	wait_answers "$(nroot "$t" s4)" 1
	run answers_of "$(nroot "$t" s4)"
	assert_output --partial '"code":429'
	assert_output --partial '"clientToken":"v"'
	run ask "$(root "$(thing other)")" get ''
	assert_output --partial '"code":404'
}

@test "--max-doc-size sets the 413 limit" {
	local r; r=$(root "$(thing)")
	sleep 1
	run ask "$r" update "{\"state\":{\"reported\":{\"a\":\"$(printf 'x%.0s' $(seq 60))\"}}}" 2
	assert_output --partial update/accepted
	run ask "$r" update "{\"state\":{\"desired\":{\"b\":\"$(printf 'y%.0s' $(seq 40))\"}}}"
	assert_json "$(answer update/rejected)" '{"code":413,"message":"The payload exceeds the maximum size allowed","timestamp":1}'
}

@test "--forget-deleted: a deleted version is forgotten after SEC, versions restart at 1" {
	local r; r=$(root "$(thing)")
	sleep 1
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	run ask "$r" update '{"state":{"reported":{"a":2}}}' 2
	run ask "$r" delete ''
	assert_json "$(answer delete/accepted | jq .version)" 2
	sleep 2.1
	run ask "$r" update '{"state":{"reported":{"a":3}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 1
	assert_json "$(answer update/documents | jq .previous)" null
}
