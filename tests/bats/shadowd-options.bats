#!/usr/bin/env bats
# shadowd's own options: --max-doc-size, --forget-deleted (--rate-limit has
# shadowd-rate.bats, so that it limits no other test).

load ../helpers/shadowd

setup_file() { sd_stack_start --max-doc-size 100 --forget-deleted 1; }
teardown_file() { stack_teardown; }
setup() { sd_load; }

@test "--max-doc-size sets the 413 limit" {
	local r; r=$(root "$(thing)")
	run ask "$r" update "{\"state\":{\"reported\":{\"a\":\"$(printf 'x%.0s' $(seq 60))\"}}}" 2
	assert_output --partial update/accepted
	run ask "$r" update "{\"state\":{\"desired\":{\"b\":\"$(printf 'y%.0s' $(seq 40))\"}}}"
	assert_json "$(answer update/rejected)" '{"code":413,"message":"The payload exceeds the maximum size allowed","timestamp":1}'
}

@test "--forget-deleted: a deleted version is forgotten after SEC, versions restart at 1" {
	local r deleted; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	run ask "$r" update '{"state":{"reported":{"a":2}}}' 2
	run ask "$r" delete ''
	assert_json "$(answer delete/accepted | jq .version)" 2
	deleted=$(answer delete/accepted | jq .timestamp)
	# remembered for a second of shadowd's wall clock (the delete's timestamp)
	poll_until 5 eval '[ "$(date +%s)" -ge $((deleted + 1)) ]'
	run ask "$r" update '{"state":{"reported":{"a":3}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 1
	assert_json "$(answer update/documents | jq .previous)" null
}
