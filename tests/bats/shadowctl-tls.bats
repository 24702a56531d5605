#!/usr/bin/env bats
# A plain-MQTT client at a TLS listener, and a TLS client at a plain one:
# each is told which protocol the broker speaks and what to change, not the
# AWS policy hint (the broker hangs up in both cases; the port is probed).
# One broker: plain on $BROKER_PORT, mutual TLS on $TLS_PORT.

load ../helpers/common
load ../helpers/shadowctl

setup_file() {
	stack_setup
	tls_broker_start
}

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
}

@test "shadowctl without TLS at a TLS listener: the broker speaks TLS, add --tls/--ca or use 1883" {
	ctl -p "$TLS_PORT" --timeout 5 get
	assert_failure 3
	[[ $stderr == *"the broker at 127.0.0.1:$TLS_PORT speaks TLS: add --tls/--ca"* ]]
	[[ $stderr == *"port 1883"* ]]
	[[ $stderr != *"iot:Connect"* ]]
	[[ $stderr != *"policy"* ]]
	# the broker saw a TLS record it could not read: what the user would find
	wait_for_line "$TD/broker/mosquitto.log" "wrong version number" 5
}

@test "shadowctl with TLS at a plain listener: the broker speaks plain MQTT, use its TLS port or --no-tls" {
	ctl --certs "$TD/certs/shadowctl" -p "$BROKER_PORT" --timeout 5 get
	assert_failure 3
	[[ $stderr == *"the broker at 127.0.0.1:$BROKER_PORT speaks plain MQTT, not TLS"* ]]
	[[ $stderr == *"8883"* ]]
	[[ $stderr == *"--no-tls"* ]]
	[[ $stderr != *"TLS handshake"* ]]
	[[ $stderr != *"policy"* ]]
}

@test "--tls with only a CA at a plain listener, MQTT 5: the same message" {
	ctl --tls --ca "$TD/certs/ca/AmazonRootCA1.pem" --mqtt 5 \
	    -p "$BROKER_PORT" --timeout 5 get
	assert_failure 3
	[[ $stderr == *"the broker at 127.0.0.1:$BROKER_PORT speaks plain MQTT, not TLS"* ]]
}

@test "without TLS at a TLS listener, MQTT 5 and watch: the same message" {
	ctl -p "$TLS_PORT" --mqtt 5 --timeout 5 watch
	assert_failure 3
	[[ $stderr == *"the broker at 127.0.0.1:$TLS_PORT speaks TLS"* ]]
}
