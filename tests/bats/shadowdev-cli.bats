#!/usr/bin/env bats
# shadowdev: options, usage errors and TLS file checks (no broker needed,
# except for the test of an unreachable broker, which needs none at all).

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev

setup() {
	stack_setup
	export SHADOW_ENDPOINT=127.0.0.1
}

teardown() {
	stack_teardown
}

@test "shadowdev --help prints the usage on stdout and exits 0" {
	run --separate-stderr "$BIN/shadowdev" --help
	assert_success
	assert_output --partial "usage: shadowdev [OPTIONS] run"
	assert_output --partial "--max-desired-age"
	[ -z "$stderr" ]
}

@test "shadowdev --version prints the program and its version" {
	run "$BIN/shadowdev" --version
	assert_success
	assert_output --regexp '^shadowdev [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a device without a thing name is a usage error" {
	run --separate-stderr "$BIN/shadowdev" run
	assert_equal "$status" 2
	[[ $stderr == *"no thing name"* ]]
	assert_output ""
}

@test "the thing name can come from SHADOW_THING" {
	SHADOW_THING='bad/name' run --separate-stderr "$BIN/shadowdev" run
	assert_equal "$status" 2
	[[ $stderr == *"bad/name"* ]]
}

@test "a missing or unknown command is a usage error" {
	run --separate-stderr "$BIN/shadowdev" -t t1
	assert_equal "$status" 2
	[[ $stderr == *"missing command"* ]]
	run --separate-stderr "$BIN/shadowdev" -t t1 walk
	assert_equal "$status" 2
	[[ $stderr == *"'walk'"* ]]
}

@test "a bad --state is a usage error that names the assignment" {
	run --separate-stderr "$BIN/shadowdev" -t t1 --state 'speed:=4x' run
	assert_equal "$status" 2
	[[ $stderr == *"speed:=4x"* ]]
	run --separate-stderr "$BIN/shadowdev" -t t1 --state 'MOTOR' run
	assert_equal "$status" 2
	[[ $stderr == *"MOTOR"* ]]
}

@test "a bad --interval is a usage error" {
	for bad in 0 -1 abc; do
		run --separate-stderr "$BIN/shadowdev" -t t1 --interval "$bad" run
		assert_equal "$status" 2
		[[ $stderr == *"interval"* ]]
	done
}

@test "an unreadable certificate is reported with its file name, exit 2" {
	run --separate-stderr "$BIN/shadowdev" -t t1 --ca "$TD/nope-ca.pem" \
	    --cert "$TD/nope.pem" --key "$TD/nope.key" run
	assert_equal "$status" 2
	[[ $stderr == *"$TD/nope"* ]]
	echo "not a certificate" >"$TD/junk.pem"
	chmod 000 "$TD/junk.pem"
	run --separate-stderr "$BIN/shadowdev" -t t1 --ca "$TD/junk.pem" run
	assert_equal "$status" 2
	[[ $stderr == *"junk.pem"* ]]
}

@test "an unreachable broker is retried, and SIGTERM still ends the device with 0" {
	local port
	port=$(free_port)
	dev_spawn dev -t t-unreach -p "$port"
	wait_for_line "$TD/dev.err" "retrying" 5
	kill -0 "$DEV_PID"
	dev_stop
	assert_equal "$DEV_RC" 0
	run grep -c connected "$TD/dev.log"
	assert_output 0
}
