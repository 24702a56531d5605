#!/usr/bin/env bats
# make demo, non-interactively: the stack comes up, the printed shadowctl
# line drives the device, the ACL keeps devices to their own shadow, and
# nothing is left running.

load ../helpers/common

setup_file() {
	stack_setup
	export DEMO_DIR=$TD/demo
}

teardown() {
	pkill -TERM -f "$DEMO_DIR/" 2>/dev/null
	return 0
}

# demo_start: run the demo in the background, log in $TD/demo.out; wait for
# the device to connect; set CTL_LINE to the line it told us to paste.
demo_start() {
	: >"$TD/demo.out"
	DEMO_DURATION=60 "$TOP/tests/demo/run" >"$TD/demo.out" 2>&1 &
	DEMO_PID=$!
	track_pid "$DEMO_PID"
	wait_for_line "$TD/demo.out" "connected" 30
	CTL_LINE=$(grep -E '^ +.*shadowctl .* set MOTOR=ON --wait$' "$TD/demo.out" | sed 's/^ *//')
	[ -n "$CTL_LINE" ]
	DEMO_PORT=$(sed -n 's/.*broker on localhost:\([0-9]*\).*/\1/p' "$TD/demo.out")
}

# demo_stop: Ctrl-C the device as a user would; the script then stops the
# broker and shadowd.
demo_stop() {
	pkill -INT -f "shadowdev .*$DEMO_DIR/certs/demo-motor" || return 1
	wait "$DEMO_PID"
}

@test "make demo brings up broker, shadowd and device, and the printed line turns the motor on" {
	demo_start
	run bash -c "$CTL_LINE"
	assert_success
	assert_output --partial '"MOTOR": "ON"'
	wait_for_line "$TD/demo.out" 'vibration' 10
	demo_stop
	run pgrep -f "$DEMO_DIR/"
	assert_failure
	run ! port_open "$DEMO_PORT"
}

@test "make demo runs a second time in a row and finds the shadow as it was left" {
	demo_start
	run bash -c "${CTL_LINE% set MOTOR=ON --wait} get state.reported.MOTOR -r"
	assert_success
	assert_output "ON"
	demo_stop
	run pgrep -f "$DEMO_DIR/"
	assert_failure
}

@test "the demo ACL keeps a device certificate to its own shadow" {
	demo_start
	local pump=(-e localhost -p "$DEMO_PORT" --certs "$DEMO_DIR/certs/demo-pump")
	local op=(-e localhost -p "$DEMO_PORT" --certs "$DEMO_DIR/certs/shadowctl")

	# its own shadow works
	run "$BIN/shadowctl" "${pump[@]}" -t demo-pump set --reported MOTOR=OFF
	assert_success
	# another thing's shadow: not readable, not writable. The broker drops
	# what the ACL denies (MQTT 3.1.1 has no way to say so), which looks like
	# AWS IoT with a policy that does not allow it: exit 4 and that hint.
	run "$BIN/shadowctl" "${pump[@]}" -t demo-motor --timeout 2 get
	assert_failure 4
	assert_output --partial "policy"
	before=$("$BIN/shadowctl" "${op[@]}" -t demo-motor get -c | jq -c .state)
	run "$BIN/shadowctl" "${pump[@]}" -t demo-motor --timeout 2 set MOTOR=BROKEN
	assert_failure 4
	mosquitto_pub -h localhost -p "$DEMO_PORT" --cafile "$DEMO_DIR/certs/ca/AmazonRootCA1.pem" \
	    --cert "$DEMO_DIR/certs/demo-pump/certificate.pem" --key "$DEMO_DIR/certs/demo-pump/privateKey.pem" \
	    -q 1 -t '$aws/things/demo-motor/shadow/update' -m '{"state":{"desired":{"MOTOR":"BROKEN"}}}'
	# an operator's update after the device's attempt is answered in order,
	# so once it is accepted the device's publish has been dropped for good
	run "$BIN/shadowctl" "${op[@]}" -t demo-motor set --reported probe:=1
	assert_success
	after=$("$BIN/shadowctl" "${op[@]}" -t demo-motor get -c | jq -c '.state | del(.reported.probe)')
	assert_equal "$after" "$before"
	refute_output --partial BROKEN
	# nor its deltas: subscribed, but nothing is delivered
	mosquitto_sub -h localhost -p "$DEMO_PORT" --cafile "$DEMO_DIR/certs/ca/AmazonRootCA1.pem" \
	    --cert "$DEMO_DIR/certs/demo-pump/certificate.pem" --key "$DEMO_DIR/certs/demo-pump/privateKey.pem" \
	    -q 1 -t '$aws/things/demo-motor/shadow/update/delta' -C 1 -W 3 -d >"$TD/stolen" 2>&1 &
	local sub=$! rc=0
	wait_for_line "$TD/stolen" "received SUBACK" 10
	run "$BIN/shadowctl" "${op[@]}" -t demo-motor set secret=42
	assert_success
	# it gives up after 3 s with nothing received (-C 1 not reached)
	wait "$sub" || rc=$?
	[ "$rc" -ne 0 ]
	run grep -c 'secret\|received PUBLISH' "$TD/stolen"
	assert_output 0
	demo_stop
}

@test "the printed aws iot-data line drives the device over the HTTP face" {
	demo_start
	local line
	line=$(grep -E '^ +AWS_ACCESS_KEY_ID=demo .* aws iot-data .*update-thing-shadow ' "$TD/demo.out" | sed 's/^ *//')
	[ -n "$line" ]
	[[ $line == *"--endpoint-url http://127.0.0.1:"* ]]
	# Debian's AWS CLI v2, in a private HOME
	mkdir -p "$TD/home"
	run env HOME="$TD/home" AWS_CONFIG_FILE="$TD/home/none" AWS_SHARED_CREDENTIALS_FILE="$TD/home/none" \
	    AWS_EC2_METADATA_DISABLED=true PATH="/usr/bin:$PATH" bash -c "$line | cat"
	assert_success
	assert_output --partial '"desired":{"MOTOR":"OFF"}'
	wait_for_line "$TD/demo.out" 'applied' 15
	demo_stop
}
