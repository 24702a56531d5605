#!/usr/bin/env bats
# shadowctl watch: the shadow's traffic as JSON Lines.

load ../helpers/common
load ../helpers/shadowctl

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
}

# watch_bg ID ARGS...: watch in the background, subscribed on return.
watch_bg() {
	local id=$1
	shift
	"$CTL" -i "$id" watch "$@" >"$TD/watch.out" 2>"$TD/watch.err" &
	WATCHER=$!
	track_pid "$WATCHER"
	wait_subscribed "$id"
}

# Sets $status to the exit status of the background shadowctl.
watcher_status() {
	status=0
	wait "$WATCHER" || status=$?
}

@test "watch prints request, accepted, delta and documents as JSON Lines" {
	watch_bg "w-$T" --count 4
	ctl set MOTOR=ON
	assert_success
	watcher_status
	[ "$status" -eq 0 ]
	run jq -r '.event' "$TD/watch.out"
	assert_output "update
update/accepted
update/delta
update/documents"
	run jq -c '[.topic, .thing, .shadow]' "$TD/watch.out"
	assert_line --index 0 "[\"\$aws/things/$T/shadow/update\",\"$T\",null]"
	run jq -r '.payload.state.MOTOR // empty' "$TD/watch.out"
	assert_output ON
}

@test "watch lines carry tst, topic, thing, shadow, event, payload in order" {
	watch_bg "w-$T" --count 1
	pub "$(root)/update/delta" '{"state":{"x":1}}'
	watcher_status
	[ "$status" -eq 0 ]
	run jq -c 'keys_unsorted' "$TD/watch.out"
	assert_output '["tst","topic","thing","shadow","event","payload"]'
	run jq -r .tst "$TD/watch.out"
	[[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]
	[ "$(wc -l <"$TD/watch.out")" -eq 1 ]
}

@test "watch gives a payload that is not JSON as a string" {
	watch_bg "w-$T" --count 2
	pub "$(root)/update/accepted" 'not json {'
	pub "$(root)/get" ''
	watcher_status
	[ "$status" -eq 0 ]
	run jq -r .payload "$TD/watch.out"
	assert_line --index 0 'not json {'
	assert_line --index 1 ''
}

@test "watch of a named shadow sees only that shadow" {
	watch_bg "w-$T" -n cfg --count 1
	ctl set classic=1
	ctl -n other set other=1
	ctl -n cfg get
	watcher_status
	[ "$status" -eq 0 ]
	run jq -c '[.event, .shadow]' "$TD/watch.out"
	assert_output '["get","cfg"]'
}

@test "watch of the classic shadow ignores named shadows" {
	watch_bg "w-$T" --count 1
	ctl -n cfg set a=1
	ctl get
	watcher_status
	[ "$status" -eq 0 ]
	run jq -r .topic "$TD/watch.out"
	assert_output "\$aws/things/$T/shadow/get"
}

@test "watch --timeout exits 0 after messages were printed" {
	watch_bg "w-$T" --timeout 1
	ctl set a=1
	watcher_status
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$TD/watch.out")" -eq 4 ]
}

@test "watch --timeout with nothing seen exits 4" {
	ctl watch --timeout 0.3
	assert_failure 4
	[ -z "$output" ]
}

@test "SIGINT ends watch with exit 0" {
	watch_bg "w-$T"
	ctl set a=1
	wait_for_line "$TD/watch.out" 'update/documents'
	kill -INT "$WATCHER"
	watcher_status
	[ "$status" -eq 0 ]
}

@test "watch output is flushed line by line into a pipe" {
	"$CTL" -i "w-$T" watch | while read -r line; do
		echo "$line" >>"$TD/piped"
	done &
	track_pid $!
	wait_subscribed "w-$T"
	pub "$(root)/update/delta" '{"state":{"p":1}}'
	wait_for_line "$TD/piped" '"event":"update/delta"'
}

@test "watch piped into jq" {
	watch_bg "w-$T" --count 4
	ctl set MOTOR=ON
	watcher_status
	[ "$status" -eq 0 ]
	run jq -r 'select(.event == "update/delta") | .payload.state.MOTOR' \
	    "$TD/watch.out"
	assert_output ON
}

@test "watch into a pipe closed early (head -n 1): exit 0, nothing on stderr" {
	local pipeline i
	bash -c "'$CTL' -i 'w-$T' watch 2>'$TD/head.err' | head -n 1 >'$TD/head.out'
	    echo \${PIPESTATUS[0]} >'$TD/head.rc'" &
	pipeline=$!
	track_pid "$pipeline"
	wait_subscribed "w-$T"
	# head takes the first line and goes; the next lines meet a closed pipe
	for i in $(seq 1 100); do
		alive "$pipeline" || break
		pub "$(root)/update/delta" "{\"state\":{\"a\":$i}}"
		sleep 0.1
	done
	wait "$pipeline"
	[ "$(cat "$TD/head.rc")" = 0 ]
	[ ! -s "$TD/head.err" ]
	[ "$(wc -l <"$TD/head.out")" -eq 1 ]
	[ "$(jq -c .payload "$TD/head.out")" = '{"state":{"a":1}}' ]
}

@test "--count does not apply to get" {
	ctl get --count 2
	assert_failure 2
	[[ $stderr == *"--count does not apply to get"* ]]
}
