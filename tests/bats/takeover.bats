#!/usr/bin/env bats
# Session taken over: two clients with one client id on one broker take the
# session from each other. A second shadowd ends with exit 3 naming the
# client id and what to do, and the other keeps serving; two shadowdev with
# one thing name log it (event and a line on stderr) and keep running.
# MQTT 3.1.1 and 5 (mosquitto 2.0 closes the socket in both: the client
# sees its session taken away again and again right after connecting).

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev

setup_file() {
	stack_setup
	broker_start
}

teardown_file() {
	stack_teardown
}

teardown() {
	dev_teardown
	local p
	for p in ${SD_A:-} ${SD_B:-}; do
		kill -TERM "$p" 2>/dev/null
		wait_gone "$p"
	done
}

# sd_spawn NAME ARGS...: a shadowd with its own store, log in $TD/NAME.log.
sd_spawn() {
	local name=$1
	shift
	mkdir -p "$TD/$name-data"
	: >"$TD/$name.log"
	"$BIN/shadowd" --data-dir "$TD/$name-data" "$@" >>"$TD/$name.log" 2>&1 &
	SD_PID=$!
	track_pid "$SD_PID"
}

# The first of the pids to end, within SECONDS; its exit status in ENDED_RC.
first_to_end() {
	local secs=$1 i p
	shift
	for i in $(seq 1 $((secs * 20))); do
		for p in "$@"; do
			if ! kill -0 "$p" 2>/dev/null; then
				ENDED=$p
				ENDED_RC=0
				wait "$p" || ENDED_RC=$?
				return 0
			fi
		done
		sleep 0.05
	done
	echo "first_to_end: none of $* ended within $secs s" >&2
	return 1
}

two_shadowd() {
	local v=$1 id="sd-$BATS_TEST_NUMBER-$RANDOM" survivor name T="tk$BATS_TEST_NUMBER-$$"
	sd_spawn a --mqtt "$v" -i "$id"
	SD_A=$SD_PID
	wait_for_line "$TD/a.log" "ready" 10
	sd_spawn b --mqtt "$v" -i "$id"
	SD_B=$SD_PID
	wait_for_line "$TD/b.log" "ready" 10
	first_to_end 60 "$SD_A" "$SD_B"
	[ "$ENDED_RC" -eq 3 ]
	if [ "$ENDED" = "$SD_A" ]; then name=a survivor=$SD_B; else name=b survivor=$SD_A; fi
	grep -q "another client uses the client id '$id' on 127.0.0.1:$BROKER_PORT" "$TD/$name.log"
	grep -q "Stop the other shadowd, or give each its own client id with -i" "$TD/$name.log"
	kill -0 "$survivor"
	# the other one serves
	run --separate-stderr "$BIN/shadowctl" -t "$T" --timeout 10 set MOTOR=ON
	assert_success
	run ! grep -q "another client uses" "$TD/$([ "$name" = a ] && echo b || echo a).log"
	kill -TERM "$survivor"
	wait "$survivor"
}

@test "MQTT 3.1.1: a second shadowd with the same client id ends with exit 3 naming it; the other serves" {
	two_shadowd 3.1.1
}

@test "MQTT 5: a second shadowd with the same client id ends with exit 3 naming it; the other serves" {
	two_shadowd 5
}

two_devices() {
	local v=$1 T="tkdev$BATS_TEST_NUMBER-$$"
	dev_start d1 -t "$T" --mqtt "$v" --interval 60
	dev_spawn d2 -t "$T" --mqtt "$v" --interval 60 --json
	wait_for_line "$TD/d1.log" "taken-over client id $T: another client uses it \(two devices with one thing name\?\)" 60
	wait_for_line "$TD/d1.err" "$T: another client uses the client id $T on 127.0.0.1:$BROKER_PORT \(two devices with one thing name\?\)" 5
	wait_for_line "$TD/d2.log" "\"event\":\"taken-over\"" 60
	run jqe --arg t "$T" 'select(.event == "taken-over") | .client_id == $t and .thing == $t and (.reason | test("same client id"))' "$TD/d2.log"
	assert_success
	# both keep running, and stop cleanly
	kill -0 "$(sed -n 1p "$TD/dev-pids")"
	dev_stop "$(sed -n 1p "$TD/dev-pids")"
	[ "$DEV_RC" -eq 0 ]
	dev_stop "$(sed -n 2p "$TD/dev-pids")"
	[ "$DEV_RC" -eq 0 ]
}

@test "MQTT 3.1.1: two shadowdev with one thing name log that the session was taken over, naming the client id" {
	two_devices 3.1.1
}

@test "MQTT 5: two shadowdev with one thing name log that the session was taken over, naming the client id" {
	two_devices 5
}
