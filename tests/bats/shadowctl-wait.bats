#!/usr/bin/env bats
# shadowctl set/update --wait: wait until the device reports what was set.

load ../helpers/common
load ../helpers/shadowctl

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
}

# wait_bg ID ARGS...: shadowctl -i ID ARGS... in the background, subscribed
# (and its update sent) on return; $WAITER is its pid.
wait_bg() {
	local id=$1
	shift
	"$CTL" -i "$id" "$@" >"$TD/wait.out" 2>"$TD/wait.err" &
	WAITER=$!
	track_pid "$WAITER"
	wait_subscribed "$id"
}

# desired_motor_is VALUE: the shadow's desired MOTOR is VALUE (our update
# was accepted).
desired_motor_is() {
	[ "$("$CTL" get -r state.desired.MOTOR 2>/dev/null)" = "$1" ]
}

# Sets $status to the exit status of the background shadowctl.
waiter_status() {
	status=0
	wait "$WAITER" || status=$?
}

@test "set --wait exits 0 once the device reports the value" {
	ctl set --reported MOTOR=OFF
	assert_success
	wait_bg "w-$T" set MOTOR=ON --wait
	# The device reports only after our update was accepted.
	poll_until 10 desired_motor_is ON
	alive "$WAITER"
	ctl set --reported MOTOR=ON
	assert_success
	waiter_status
	[ "$status" -eq 0 ]
	[ "$(jq -r .state.desired.MOTOR "$TD/wait.out")" = ON ]
}

@test "set --wait is still waiting after its update and an unrelated report, and returns right after the device reports" {
	local i
	ctl set --reported MOTOR=OFF
	assert_success
	"$CTL" -vv -c -i "w-$T" set MOTOR=ON --wait --timeout 60 \
	    >"$TD/wait.out" 2>"$TD/wait.err" &
	WAITER=$!
	track_pid "$WAITER"
	# its update was accepted and printed, and its get answered: it waits
	wait_for_line "$TD/wait.out" '"desired":\{"MOTOR":"ON"\}' 10
	wait_for_line "$TD/wait.err" "received PUBLISH .*/get/accepted'" 10
	ctl set --reported other=1
	assert_success
	# the documents of that report reached it (its own update's and this
	# one's), and it is still waiting
	poll_until 10 eval '[ "$(count_lines "$TD/wait.err" "received PUBLISH .*/update/documents")" -ge 2 ]'
	alive "$WAITER"
	ctl set --reported MOTOR=ON
	assert_success
	# right after: well within its 60 s timeout
	poll_until 10 eval '! alive "$WAITER"'
	waiter_status
	[ "$status" -eq 0 ]
	[[ $(cat "$TD/wait.err") != *"timed out"* ]]
}

@test "set --wait is satisfied whether or not the device clears desired" {
	wait_bg "w-$T" set MOTOR=ON --wait
	poll_until 10 desired_motor_is ON
	alive "$WAITER"
	ctl update '{"state":{"reported":{"MOTOR":"ON"},"desired":null}}'
	assert_success
	waiter_status
	[ "$status" -eq 0 ]
}

@test "set --wait does not miss a device that reports right after the update" {
	ctl set --reported MOTOR=OFF
	assert_success
	fake_device ON
	ctl set MOTOR=ON --wait --timeout 5
	assert_success
	ctl get -r state.reported.MOTOR
	assert_output ON
}

@test "set --wait returns at once when reported already holds the value" {
	ctl set --reported MOTOR=ON speed:=3
	assert_success
	ctl set MOTOR=ON speed:=3 --wait --timeout 5
	assert_success
}

@test "set --wait times out with exit 4 naming the keys still different" {
	ctl set --reported MOTOR=OFF light.color=red
	assert_success
	ctl set MOTOR=ON light.color=red --wait --timeout 0.5
	assert_failure 4
	[ "$(jq -r .state.desired.MOTOR <<<"$output")" = ON ]
	[[ $stderr == *'--wait: timed out after 0.5 s; still different: MOTOR (desired "ON", reported "OFF")'* ]]
	[[ $stderr != *light.color* ]]
}

@test "set --wait names a key that was never reported" {
	ctl set newkey:=5 --wait --timeout 0.3
	assert_failure 4
	[[ $stderr == *'newkey (desired 5, reported absent)'* ]]
}

@test "--wait compares values deeply and by number value" {
	ctl set --reported 'cfg:={"a":[1,2],"b":{"c":1.0}}' extra=1
	assert_success
	ctl set 'cfg:={"a":[1,2],"b":{"c":1}}' --wait --timeout 5
	assert_success
	ctl set 'cfg:={"a":[2,1]}' --wait --timeout 0.3
	assert_failure 4
	[[ $stderr == *'cfg.a (desired [2,1], reported [1,2])'* ]]
}

@test "--wait on a key set to null waits until reported lacks it" {
	ctl set --reported gone=1
	assert_success
	ctl set gone:=null --wait --timeout 0.3
	assert_failure 4
	[[ $stderr == *'gone (desired absent, reported "1")'* ]]
	ctl unset --reported gone
	ctl set gone:=null --wait --timeout 5
	assert_success
}

@test "update --wait waits for the desired part of a raw document" {
	fake_device ON
	ctl update '{"state":{"desired":{"MOTOR":"ON"}}}' --wait --timeout 5
	assert_success
}

@test "update --wait without desired state is a usage error" {
	ctl update '{"state":{"reported":{"a":1}}}' --wait
	assert_failure 2
	[[ $stderr == *"--wait needs desired state"* ]]
}

@test "--wait with --reported, unset, get is a usage error" {
	ctl set --reported a=1 --wait
	assert_failure 2
	[[ $stderr == *"--wait"*"--reported"* ]]
	ctl unset a --wait
	assert_failure 2
	[[ $stderr == *"--wait does not apply to unset"* ]]
	ctl get --wait
	assert_failure 2
}

@test "--wait ignores reports from before the update with the same values" {
	# reported held ON, then the device turned it OFF before our update:
	# only the state after our update counts.
	ctl set --reported MOTOR=ON
	assert_success
	ctl set --reported MOTOR=OFF
	assert_success
	ctl set MOTOR=ON --wait --timeout 0.5
	assert_failure 4
	[[ $stderr == *'still different: MOTOR (desired "ON", reported "OFF")'* ]]
}
