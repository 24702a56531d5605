#!/usr/bin/env bats
# One store, two faces: what an app does over HTTP a device sees over MQTT,
# and the other way round; with the broker away, HTTP updates are still
# applied and answered, and their notifications go out when it is back.
bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev
load ../helpers/http

setup_file() { http_stack_start; }
teardown_file() { stack_teardown; }
setup() {
	http_load
	BROKER_PID=$(cat "$TD/broker.pid" 2>/dev/null || echo "$BROKER_PID")
}
teardown() { dev_teardown; }

reported_motor() {
	py iotdata.py get "$1" | jqe '.state.reported.MOTOR == "ON" and (.state | has("delta") | not)' >/dev/null
}

@test "an HTTP update makes a running shadowdev apply it and report" {
	dev_start lamp -t xlamp --state MOTOR=OFF
	wait_for_line "$TD/lamp.log" 'reported' 10
	run awsd update-thing-shadow --thing-name xlamp --cli-binary-format raw-in-base64-out \
	    --payload '{"state":{"desired":{"MOTOR":"ON"}}}' "$TD/out.json"
	assert_success
	wait_for_line "$TD/lamp.log" 'applied' 10
	poll_until 10 reported_motor xlamp
	run py iotdata.py get xlamp
	assert_equal "$(jq -c .state <<<"$output")" '{"desired":{"MOTOR":"ON"},"reported":{"MOTOR":"ON"}}'
}

@test "an MQTT update is seen by an HTTP get, named shadows too" {
	pub '$aws/things/xfan/shadow/name/cfg/update' '{"state":{"reported":{"speed":2}}}'
	poll_until 10 bash -c "'$PYTHON3' '$TOP/tests/helpers/iotdata.py' get xfan cfg >/dev/null"
	run py iotdata.py get xfan cfg
	assert_equal "$(jq -c '[.version, .state]' <<<"$output")" '[1,{"reported":{"speed":2}}]'
	run awsd list-named-shadows-for-thing --thing-name xfan
	assert_equal "$(jq -c .results <<<"$output")" '["cfg"]'
}

@test "broker away: HTTP updates are applied and answered; their notifications and QoS 1 publishes arrive when it is back; QoS 0 is 503" {
	local id=cross-sub-$RANDOM
	# a device with a persistent session, offline while the broker is away
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -c -i "$id" -q 1 -C 1 -W 10 \
	    -t '$aws/things/xdown/shadow/update/delta' -t 'app/queued' >/dev/null &
	local sp=$!
	wait_subscribed "$id"
	kill "$sp"
	wait "$sp" || true
	broker_stop
	wait_for_line "$TD/shadowd.log" 'lost the connection' 15
	run py iotdata.py update xdown '{"state":{"desired":{"MOTOR":"ON"}}}'
	assert_success
	assert_equal "$(jq .version <<<"$output")" 1
	run py iotdata.py update xdown '{"state":{"desired":{"MOTOR":"OFF"}}}'
	assert_equal "$(jq .version <<<"$output")" 2
	run py iotdata.py get xdown
	assert_equal "$(jq -c .state.desired <<<"$output")" '{"MOTOR":"OFF"}'
	run py iotdata.py publish app/queued kept 1 false
	assert_success
	run py iotdata.py publish app/lost lost 0 false
	assert_failure 1
	assert_output --partial 'ServiceUnavailableException: The broker'
	broker_start
	echo "$BROKER_PID" >"$TD/broker.pid"
	wait_for_line "$TD/shadowd.log" 'regained' 60
	# the device comes back: both deltas and the publish are waiting
	run timeout 30 mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -c -i "$id" -q 1 -C 3 -W 20 -v \
	    -t '$aws/things/xdown/shadow/update/delta' -t 'app/queued'
	assert_success
	assert_line --regexp '^\$aws/things/xdown/shadow/update/delta \{"state":\{"MOTOR":"ON"\}.*"version":1'
	assert_line --regexp '^\$aws/things/xdown/shadow/update/delta \{"state":\{"MOTOR":"OFF"\}.*"version":2'
	assert_line 'app/queued kept'
}
