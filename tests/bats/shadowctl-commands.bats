#!/usr/bin/env bats
# shadowctl's commands against a real mosquitto and a real shadowd.

load ../helpers/common
load ../helpers/shadowctl

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
}

@test "--help prints the usage on stdout and exits 0" {
	ctl --help
	assert_success
	assert_output --partial "usage: shadowctl"
	assert_output --partial "watch [--count N]"
	[ -z "$stderr" ]
}

@test "--version prints the program name and version" {
	ctl --version
	assert_success
	assert_output "shadowctl 0.1.0"
}

@test "get of a shadow that does not exist is rejected with 404, exit 1" {
	ctl get
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"get rejected: 404 No shadow exists with name: '$T'"* ]]
}

@test "set MOTOR=ON updates desired and prints update/accepted" {
	ctl set MOTOR=ON
	assert_success
	[ "$(jq -r .state.desired.MOTOR <<<"$output")" = ON ]
	[ "$(jq -r .version <<<"$output")" = 1 ]
	[ "$(jq -r 'has("clientToken")' <<<"$output")" = false ]
	ctl get state.desired.MOTOR -r
	assert_success
	assert_output ON
}

@test "output is pretty JSON with two-space indent by default" {
	ctl set MOTOR=ON
	assert_success
	assert_line --index 0 "{"
	assert_line --index 1 '  "state": {'
	assert_line --index 2 '    "desired": {'
}

@test "-c prints one line of compact JSON" {
	ctl set MOTOR=ON -c
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == '{"state":{"desired":{"MOTOR":"ON"}},'* ]]
}

@test "set takes several assignments with := JSON values and dotted keys" {
	ctl set -c speed:=42 on:=true light.color=red 'cfg:={"a":[1,2]}' \
	    'a\.b=dot' ratio:=0.5 none=
	assert_success
	ctl get -c state.desired
	assert_success
	assert_output '{"speed":42,"on":true,"light":{"color":"red"},"cfg":{"a":[1,2]},"a.b":"dot","ratio":0.5,"none":""}'
}

@test "get PATH prints JSON; -r prints a string without quotes" {
	ctl set MOTOR=ON n:=7
	ctl get state.desired.MOTOR
	assert_success
	assert_output '"ON"'
	ctl get state.desired.MOTOR --raw
	assert_output 'ON'
	ctl get state.desired.n -r
	assert_output '7'
	ctl get -c state.delta
	assert_output '{"MOTOR":"ON","n":7}'
}

@test "get PATH that is absent exits 1 naming the path" {
	ctl set MOTOR=ON
	ctl get state.reported.MOTOR
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"state.reported.MOTOR"*absent* ]]
}

@test "set --reported updates reported" {
	ctl set --reported MOTOR=OFF temp:=21.5
	assert_success
	ctl get -c state.reported
	assert_output '{"MOTOR":"OFF","temp":21.5}'
}

@test "options may come before or after the command; -- ends them" {
	ctl -c set MOTOR=ON
	assert_success
	ctl set MOTOR=OFF -c --thing "$T"
	assert_success
	[ "$(jq -r .version <<<"$output")" = 2 ]
	ctl set -c -- -dash=1
	assert_success
	ctl get -r state.desired.-dash
	assert_output 1
}

@test "unset KEY sends null and removes the key" {
	ctl set MOTOR=ON light.color=red light.level:=3
	ctl unset MOTOR light.color -c
	assert_success
	assert_output --partial '"state":{"desired":{"MOTOR":null,"light":{"color":null}}}'
	ctl get -c state.desired
	assert_output '{"light":{"level":3}}'
}

@test "unset --reported removes reported keys" {
	ctl set --reported a=1 b=2
	ctl unset --reported a
	assert_success
	ctl get -c state.reported
	assert_output '{"b":"2"}'
}

@test "unset --all clears the whole section" {
	ctl set a=1 b=2
	ctl set --reported r=1
	ctl unset --all -c
	assert_success
	assert_output --partial '"state":{"desired":null}'
	ctl get -c state
	assert_output '{"reported":{"r":"1"}}'
	ctl unset --all --reported
	assert_success
	ctl get -c state
	assert_output '{}'
}

@test "unset needs keys or --all, not both" {
	ctl unset
	assert_failure 2
	[[ $stderr == *"unset needs the keys"* ]]
	ctl unset --all MOTOR
	assert_failure 2
	[[ $stderr == *"--all takes no keys"* ]]
}

@test "update sends a raw document from the argument" {
	ctl update '{"state":{"desired":{"x":1},"reported":{"y":2}}}' -c
	assert_success
	ctl get -c state
	assert_output '{"desired":{"x":1},"reported":{"y":2},"delta":{"x":1}}'
}

@test "update reads a document from -f FILE" {
	echo '{"state":{"reported":{"from":"file"}}}' >"$TD/u.json"
	ctl update -f "$TD/u.json"
	assert_success
	ctl get -r state.reported.from
	assert_output file
}

@test "update reads a document from standard input with - or no argument" {
	run --separate-stderr bash -c "echo '{\"state\":{\"reported\":{\"s\":1}}}' | '$CTL' update -"
	assert_success
	run --separate-stderr bash -c "echo '{\"state\":{\"reported\":{\"s\":2}}}' | '$CTL' update"
	assert_success
	ctl get -r state.reported.s
	assert_output 2
}

@test "update keeps a clientToken the user gave and shows it" {
	ctl update -c '{"state":{"reported":{"k":1}},"clientToken":"mine-1"}'
	assert_success
	[ "$(jq -r .clientToken <<<"$output")" = mine-1 ]
}

@test "--expect-version sends the version: a match is accepted" {
	ctl set a=1
	ctl set a=2 --expect-version 1 -c
	assert_success
	[ "$(jq -r .version <<<"$output")" = 2 ]
	ctl unset a --expect-version 2
	assert_success
	ctl update '{"state":{"reported":{"z":1}}}' --expect-version 3
	assert_success
}

@test "--expect-version mismatch is a 409 rejection, exit 1" {
	ctl set a=1
	ctl set a=2 --expect-version 7
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"shadowctl: update rejected: 409 Version conflict"* ]]
	ctl update '{"state":{"desired":{"a":3}}}' --expect-version 0
	assert_failure 1
	ctl unset a --expect-version 5
	assert_failure 1
}

@test "--expect-version overrides a version in the raw document" {
	ctl set a=1
	ctl update '{"state":{"desired":{"a":2}},"version":9}' --expect-version 1
	assert_success
}

@test "delete removes the shadow and prints delete/accepted" {
	ctl set a=1
	ctl delete -c
	assert_success
	[ "$(jq -r .version <<<"$output")" = 1 ]
	[ "$(jq -r 'has("clientToken")' <<<"$output")" = false ]
	ctl get
	assert_failure 1
	ctl delete
	assert_failure 1
	[[ $stderr == *"delete rejected: 404"* ]]
}

@test "a rejection by the service prints code and message, exit 1" {
	ctl set --reported big="$(head -c 5000 /dev/zero | tr '\0' x)"
	assert_success
	ctl set big2="$(head -c 4000 /dev/zero | tr '\0' y)"
	assert_failure 1
	[[ $stderr == *"update rejected: 413 The payload exceeds the maximum size allowed"* ]]
}

@test "named shadows (-n) are separate from the classic shadow" {
	ctl -n cfg set mode=eco
	assert_success
	ctl get
	assert_failure 1
	ctl -n cfg get -r state.desired.mode
	assert_success
	assert_output eco
	ctl --shadow other get
	assert_failure 1
	[[ $stderr == *"'$T~other'"* ]]
	SHADOW_NAME=cfg ctl get -r state.desired.mode
	assert_output eco
	ctl -n cfg delete
	assert_success
}

@test "SHADOW_THING gives the thing name" {
	SHADOW_THING=$T ctl set a=1
	assert_success
	unset SHADOW_THING
	ctl get -r state.desired.a
	assert_failure 2
	ctl -t "$T" get -r state.desired.a
	assert_output 1
}

@test "answers with another clientToken are ignored" {
	ctl set --reported real=yes
	# Hold the service so that only the fakes can answer at first.
	kill -STOP "$SHADOWD_PID"
	"$CTL" -i "ctl-$T" get -c >"$TD/out" 2>"$TD/err" &
	local getter=$!
	track_pid "$getter"
	wait_subscribed "ctl-$T"
	pub "$(root)/get/rejected" '{"clientToken":"other","code":404,"message":"fake"}'
	pub "$(root)/get/accepted" '{"clientToken":"other","state":{"reported":{"real":"fake"}},"version":99}'
	pub "$(root)/get/accepted" '{"state":{"reported":{"real":"no token"}},"version":98}'
	kill -CONT "$SHADOWD_PID"
	local rc=0
	wait "$getter" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$TD/err"; false; }
	run jq -r .state.reported.real "$TD/out"
	assert_output yes
}

@test "a second client hammering the same shadow does not confuse answers" {
	ctl set --reported n:=0
	assert_success
	(
		for i in $(seq 1 60); do
			"$CTL" set --reported -c n:="$i" >/dev/null 2>&1 || exit 1
		done
	) &
	local hammer=$!
	track_pid "$hammer"
	# (not "i": bats' run uses that name)
	for round in $(seq 1 10); do
		ctl set -c "mine=$round"
		assert_success
		[ "$(jq -r .state.desired.mine <<<"$output")" = "$round" ]
		[ "$(jq -r '.state.reported // "none"' <<<"$output")" = none ]
	done
	wait "$hammer"
}

@test "the client id is shadowctl- and random, never the thing name" {
	ctl get
	run grep -E "New client connected .* as shadowctl-[a-z0-9]{12} " \
	    "$TD/broker/mosquitto.log"
	assert_success
	run grep -E "as $T " "$TD/broker/mosquitto.log"
	assert_failure
}

@test "-i sets the client id" {
	ctl -i "my-ctl-$T" get
	run grep -F "as my-ctl-$T " "$TD/broker/mosquitto.log"
	assert_success
}

@test "MQTT 5 works too" {
	ctl --mqtt 5 set m5=yes
	assert_success
	ctl --mqtt 5 get -r state.desired.m5
	assert_output yes
}

@test "username and password are passed to the broker (the broker logs the user name)" {
	# (this broker takes anyone: access-password.bats has one that checks)
	ctl -u "someone-$T" -P secret set up=1
	assert_success
	run grep -F "u'someone-$T'" "$TD/broker/mosquitto.log"
	assert_success
}
