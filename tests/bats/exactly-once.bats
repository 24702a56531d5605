#!/usr/bin/env bats
# Exactly once (shadowd(8), EXACTLY ONCE): every request handed to shadowd is
# applied once and answered, across kill -9 at any moment; a request
# delivered again gets its first answer and is not applied again
# (--dedupe-window).

bats_require_minimum_version 1.5.0

load ../helpers/shadowd
load ../helpers/http

setup_file() { sd_stack_start; }
teardown_file() { stack_teardown; }
setup() { sd_load; }

# Lines of the watcher log on ROOT/SUFFIX, payload only.
payloads() {
	local r=$1 s=$2
	awk -v p="$r/$s " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' \
	    "$TD/watch.log"
}

# accepted_pairs ROOT: "token version" of every update/accepted, distinct.
accepted_pairs() {
	payloads "$1" update/accepted | jq -r '"\(.clientToken) \(.version)"' | sort -u
}

# wait_tokens ROOT N SECONDS: until N distinct clientTokens were accepted.
wait_tokens() {
	local r=$1 n=$2 tries=$(( $3 * 4 )) i
	for i in $(seq 1 "$tries"); do
		[ "$(accepted_pairs "$r" | cut -d' ' -f1 | sort -u | wc -l)" -ge "$n" ] &&
		    return 0
		sleep 0.25
	done
	echo "wait_tokens: $r: $(accepted_pairs "$r" | cut -d' ' -f1 | sort -u | wc -l) of $n tokens accepted" >&2
	return 1
}

# get_doc ROOT TOKEN: [version, reported.n] from the get/accepted with
# TOKEN (repeated update answers may still arrive around it).
get_doc() {
	local i
	pub "$1/get" "{\"clientToken\":\"$2\"}" || return 1
	for i in $(seq 1 120); do
		payloads "$1" get/accepted | jq -c --arg t "$2" \
		    'select(.clientToken == $t) | [.version, .state.reported.n]' | grep . && return 0
		sleep 0.25
	done
	return 1
}

# The measurement of issue 14: 4 things x 400 QoS 1 updates with tokens,
# shadowd killed once mid-burst (after KILL_AT accepted answers), restarted
# on the same store.
burst_trial() {
	local trial=$1 kill_at=$2 k t r i n base
	base=$(wc -l <"$TD/watch.log")
	for k in 1 2 3 4; do
		t=$(thing "$trial-$k"); r=$(root "$t")
		for i in $(seq 1 400); do
			echo "{\"state\":{\"reported\":{\"n\":$i}},\"clientToken\":\"$trial-$k-$i\"}"
		done >"$TD/burst-$trial-$k"
	done
	for k in 1 2 3 4; do
		pub_lines "$(root "$(thing "$trial-$k")")/update" <"$TD/burst-$trial-$k" &
	done
	# two answers per update (accepted, documents); poll without pausing
	for i in $(seq 1 20000); do
		n=$(( $(wc -l <"$TD/watch.log") - base ))
		[ "$n" -ge $((kill_at * 2)) ] && break
	done
	kill -KILL "$SHADOWD_PID"
	wait_gone "$SHADOWD_PID"
	echo "# trial $trial: killed after about $((n / 2)) of 1600 updates answered" >&3
	wait
	sd_start
	for k in 1 2 3 4; do
		t=$(thing "$trial-$k"); r=$(root "$t")
		wait_tokens "$r" 400 60
		# every request applied once: the version is the number sent
		run get_doc "$r" "final-$trial-$k"
		assert_output '[400,400]'
		# each token accepted with one version only, 1 to 400
		[ "$(accepted_pairs "$r" | wc -l)" -eq 400 ]
		[ "$(accepted_pairs "$r" | cut -d' ' -f2 | sort -n | uniq | wc -l)" -eq 400 ]
		[ "$(accepted_pairs "$r" | cut -d' ' -f2 | sort -n | tail -1)" -eq 400 ]
		# nothing refused
		[ "$(payloads "$r" update/rejected | wc -l)" -eq 0 ]
	done
}

@test "kill -9 mid-burst (3 trials, early, middle, late): final version = requests sent, every request answered, each clientToken accepted with one version only" {
	burst_trial a 40
	burst_trial b 700
	burst_trial c 1100
}

@test "a request delivered again with the same clientToken and payload gets the first answer, no documents or delta, and is not applied again" {
	local t r first again; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"desired":{"a":1}},"clientToken":"once"}' 3
	first=$(answer update/accepted)
	run ask "$r" update '{"state":{"desired":{"a":1}},"clientToken":"once"}' 1
	assert_equal "$(answer_kinds)" "update/accepted"
	assert_equal "$(answer update/accepted)" "$first"
	# a refusal is repeated too, with its token
	run ask "$r" update '{"state":{"desired":{"a":2}},"version":7,"clientToken":"old"}'
	assert_equal "$(answer update/rejected | jq -c '[.code, .clientToken]')" '[409,"old"]'
	run ask "$r" update '{"state":{"desired":{"a":2}},"version":7,"clientToken":"old"}'
	assert_equal "$(answer update/rejected | jq -c '[.code, .clientToken]')" '[409,"old"]'
	# the same token with another payload is another request
	run ask "$r" update '{"state":{"desired":{"a":3}},"clientToken":"once"}' 3
	assert_equal "$(answer update/accepted | jq .version)" 2
	# no token: never collapsed
	run ask "$r" update '{"state":{"desired":{"a":3}}}' 2
	run ask "$r" update '{"state":{"desired":{"a":3}}}' 2
	run ask "$r" get '{"clientToken":"g"}'
	assert_equal "$(answer get/accepted | jq -c '[.version, .state.desired.a]')" '[4,3]'
	# a delete delivered again is accepted again, with the version it deleted
	run ask "$r" delete '{"clientToken":"del"}'
	first=$(answer delete/accepted)
	run ask "$r" delete '{"clientToken":"del"}'
	assert_equal "$(answer delete/accepted)" "$first"
}

@test "a clientToken with a newline and a terminal escape is logged on one line: a request cannot forge a log line" {
	local t r; t=$(thing); r=$(root "$t")
	shadowd_stop
	sd_start -v
	local body='{"state":{"reported":{"a":1}},"clientToken":"x\nshadowd: forged\u001b[2J"}'
	run ask "$r" update "$body" 2
	run ask "$r" update "$body" 1
	assert_equal "$(answer update/accepted | jq -r .clientToken)" "$(printf 'x\nshadowd: forged\033[2J')"
	wait_for_line "$TD/shadowd.log" 'seen before' 5
	run grep -c '^shadowd: forged' "$TD/shadowd.log"
	assert_output 0
	run grep -c "$(printf '\033')" "$TD/shadowd.log"
	assert_output 0
	grep -qF 'clientToken x\nshadowd: forged\x1b[2J seen before' "$TD/shadowd.log"
	shadowd_stop
	sd_start
}

@test "the outcomes outlive a restart: delivered again to the next shadowd, a request gets its first answer and is not applied again" {
	local t r first; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"r1"}' 2
	first=$(answer update/accepted)
	run ask "$r" delete '{"clientToken":"d1"}'
	assert_equal "$(answer delete/accepted | jq .version)" 1
	shadowd_stop
	sd_start
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"r1"}' 1
	assert_equal "$(answer_kinds)" "update/accepted"
	assert_equal "$(answer update/accepted)" "$first"
	run ask "$r" delete '{"clientToken":"d1"}'
	assert_equal "$(answer delete/accepted | jq .version)" 1
	# still deleted, nothing applied again
	run ask "$r" get '{"clientToken":"g1"}'
	assert_equal "$(answer get/rejected | jq .code)" 404
}

@test "the outcomes expire after --dedupe-window; with --dedupe-window 0 every delivery is applied" {
	local t r; t=$(thing); r=$(root "$t")
	shadowd_stop
	sd_start --dedupe-window 0
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"same"}' 2
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"same"}' 2
	assert_equal "$(answer update/accepted | jq .version)" 2
	shadowd_stop
	sd_start --dedupe-window 1
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"w"}' 2
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"w"}' 1
	assert_equal "$(answer update/accepted | jq .version)" 3
	# the window is whole seconds: 2.5 s later the outcome is gone
	sleep 2.5
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"w"}' 2
	assert_equal "$(answer update/accepted | jq .version)" 4
	# and pruned from the store (at the next batch)
	[ "$(sqlite3 "$TD/shadowd-data/shadows.db" "SELECT count(*) FROM outcomes WHERE json_extract(answer, '\$.clientToken') = 'w'")" -eq 1 ]
	shadowd_stop
	sd_start
}

@test "answers committed but not acknowledged by the broker are published after a restart" {
	local t r db=$TD/shadowd-data/shadows.db; t=$(thing); r=$(root "$t")
	shadowd_stop
	# what a crash between commit and PUBACK leaves: a row in the outbox
	sqlite3 "$db" "INSERT INTO outbox (topic, body) VALUES ('$r/update/accepted', '{\"clientToken\":\"kept\",\"version\":9}')"
	sd_start
	wait_answers "$r" 1 10
	assert_equal "$(payloads "$r" update/accepted | jq -c '[.clientToken, .version]')" '["kept",9]'
	# once the broker has it, it is forgotten (after a quiet second)
	for i in $(seq 1 40); do
		[ "$(sqlite3 "$db" 'SELECT count(*) FROM outbox')" -eq 0 ] && break
		sleep 0.25
	done
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM outbox')" -eq 0 ]
}

@test "HTTP face: an update sent again with its clientToken and payload gets the first answer, applied once; the notifications go out once" {
	local t r body first; t=$(thing); r=$(root "$t")
	shadowd_stop
	http_shadowd_start
	body='{"state":{"desired":{"h":1}},"clientToken":"http-once"}'
	run hcurl -X POST --data "$body" "$HTTP_URL/things/$t/shadow"
	assert_equal "$(http_status)" 200
	first=$(http_body_of)
	assert_equal "$(printf '%s' "$first" | jq -c '[.version, .clientToken]')" '[1,"http-once"]'
	run hcurl -X POST --data "$body" "$HTTP_URL/things/$t/shadow"
	assert_equal "$(http_status)" 200
	assert_equal "$(http_body_of)" "$first"
	# the same request over MQTT is the same request
	run ask "$r" update "$body" 1
	assert_equal "$(answer update/accepted | jq .version)" 1
	run ask "$r" get '{"clientToken":"g"}'
	assert_equal "$(answer get/accepted | jq .version)" 1
	# one documents and one delta, from the first delivery only
	[ "$(grep -c "^$(printf '%s' "$r" | sed 's/\$/\\$/')/update/documents " "$TD/watch.log")" -eq 1 ]
	[ "$(grep -c "^$(printf '%s' "$r" | sed 's/\$/\\$/')/update/delta " "$TD/watch.log")" -eq 1 ]
}
