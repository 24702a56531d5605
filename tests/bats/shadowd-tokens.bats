#!/usr/bin/env bats
# Every answer carries its request's clientToken, on every path: store
# errors (damaged document, full disk at commit), the rate limit, shutdown.
# Each fault is made for real; each request is matched to its own answer.

bats_require_minimum_version 1.5.0

load ../helpers/shadowd
load ../helpers/faults

setup_file() { sd_stack_start --rate-limit 5; }
teardown_file() { faults_teardown; }
setup() { sd_load; }
teardown() { fsize_clear "$SHADOWD_PID" 2>/dev/null || true; }

DB() { echo "$TD/shadowd-data/shadows.db"; }

# tokens_of ROOT KIND: the clientTokens of the answers on ROOT/KIND, sorted.
tokens_of() {
	awk -v p="$1/$2 " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' \
	    "$TD/watch.log" | jq -r '.clientToken // "NONE"' | sort
}

# codes_of ROOT KIND: "token code" of the answers on ROOT/KIND, sorted.
codes_of() {
	awk -v p="$1/$2 " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' \
	    "$TD/watch.log" | jq -r '"\(.clientToken // "NONE") \(.code)"' | sort
}

@test "rate limit: each 429 carries the token of its request (update, get, delete)" {
	local t r i; t=$(thing); r=$(root "$t")
	for i in $(seq 1 8); do
		echo "{\"state\":{\"reported\":{\"i\":$i}},\"clientToken\":\"u$i\"}"
	done | pub_lines "$r/update"
	for i in $(seq 1 4); do echo "{\"clientToken\":\"g$i\"}"; done | pub_lines "$r/get"
	for i in $(seq 1 4); do echo "{\"clientToken\":\"d$i\"}"; done | pub_lines "$r/delete"
	# one accepted or rejected answer per request, whatever else comes
	for i in $(seq 1 100); do
		[ $(( $(tokens_of "$r" update/accepted | wc -l) + $(tokens_of "$r" update/rejected | wc -l) +
		    $(tokens_of "$r" get/accepted | wc -l) + $(tokens_of "$r" get/rejected | wc -l) +
		    $(tokens_of "$r" delete/accepted | wc -l) + $(tokens_of "$r" delete/rejected | wc -l) )) -ge 16 ] && break
		sleep 0.1
	done
	run --separate-stderr bash -c "$(declare -f tokens_of); TD=$TD; for k in update get delete; do
	    tokens_of '$r' \$k/accepted; tokens_of '$r' \$k/rejected; done | sort"
	assert_output "$(printf '%s\n' d1 d2 d3 d4 g1 g2 g3 g4 u1 u2 u3 u4 u5 u6 u7 u8 | sort)"
	# at least the requests over 5 per second were refused, each with its own token
	run codes_of "$r" update/rejected
	[ "$(codes_of "$r" update/rejected | grep -c ' 429$')" -ge 3 ]
	run codes_of "$r" delete/rejected
	refute_output --partial NONE
}

@test "store error (a damaged stored document): get, update and delete get 500 with their tokens" {
	local t r; t=$(thing); r=$(root "$t")
	sleep 1.1 # a new rate-limit second for this thing's requests
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlite3 -cmd '.timeout 5000' "$(DB)" "UPDATE shadows SET doc = '{' WHERE thing = '$t'"
	pub "$r/get" '{"clientToken":"bad-get"}'
	pub "$r/update" '{"state":{"reported":{"a":2}},"clientToken":"bad-upd"}'
	pub "$r/delete" '{"clientToken":"bad-del"}'
	wait_answers "$r" 5
	assert_equal "$(codes_of "$r" get/rejected)" "bad-get 500"
	assert_equal "$(codes_of "$r" update/rejected)" "bad-upd 500"
	assert_equal "$(codes_of "$r" delete/rejected)" "bad-del 500"
	grep -q "damaged" "$TD/shadowd.log"
}

@test "store error (disk full at commit): every write of the batch gets 500 with its own token" {
	local t r i; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":0}}}' 2
	fsize_limit "$SHADOWD_PID" 1
	# (four: with the first, the five a second --rate-limit allows)
	for i in 1 2 3 4; do
		echo "{\"state\":{\"reported\":{\"a\":$i}},\"clientToken\":\"full$i\"}"
	done | pub_lines "$r/update"
	wait_answers "$r" 6
	fsize_clear "$SHADOWD_PID"
	run codes_of "$r" update/rejected
	assert_output "$(printf 'full%d 500\n' 1 2 3 4)"
	# nothing of them was applied, and the service resumes
	sleep 1.1
	run ask "$r" get '{"clientToken":"after"}'
	assert_equal "$(answer get/accepted | jq -c '[.version, .state.reported.a, .clientToken]')" '[1,0,"after"]'
}

@test "shutdown (SIGTERM mid-burst): every answer carries its token, every request is answered once, by this shadowd or the next" {
	local t r i n; t=$(thing); r=$(root "$t")
	sleep 1.1
	shadowd_stop
	sd_start # no rate limit: 300 updates in a burst
	for i in $(seq 1 300); do
		echo "{\"state\":{\"reported\":{\"i\":$i}},\"clientToken\":\"s$i\"}"
	done | pub_lines "$r/update" &
	for i in $(seq 1 20000); do
		[ "$(count_answers "$r")" -ge 100 ] && break
	done
	kill -TERM "$SHADOWD_PID"
	wait_gone "$SHADOWD_PID"
	wait
	grep -q "stopped" "$TD/shadowd.log"
	# no rate limit either: the requests published after the first one
	# stopped wait in the broker and reach this one as a burst
	sd_start
	for i in $(seq 1 600); do
		[ "$(tokens_of "$r" update/accepted | uniq | wc -l)" -ge 300 ] && break
		sleep 0.1
	done
	run tokens_of "$r" update/accepted
	assert_equal "$(printf '%s\n' "$output" | uniq)" "$(seq 1 300 | sed 's/^/s/' | sort)"
	# one version per token (an answer sent twice is the same answer)
	[ "$(awk -v p="$r/update/accepted " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' \
	    "$TD/watch.log" | jq -r '"\(.clientToken) \(.version)"' | sort -u | wc -l)" -eq 300 ]
	[ "$(tokens_of "$r" update/rejected | wc -l)" -eq 0 ]
	# the suite's shadowd again, with its rate limit
	shadowd_stop
	sd_start --rate-limit 5
}
