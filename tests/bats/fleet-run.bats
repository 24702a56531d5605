#!/usr/bin/env bats
# shadowdev --count / --things-from: many devices in one process against a
# real mosquitto and a real shadowd, each obeying its own shadow.

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev

setup_file() {
	stack_setup
	broker_start
	broker_pid_save
	shadowd_start
}

teardown_file() {
	stack_teardown
}

setup() {
	broker_pid_load
}

teardown() {
	dev_teardown
}

@test "a fleet of 50 obeys a desired change on each of its things" {
	dev_spawn fleet -t pump --count 50 --connect-rate 500 --interval 1
	wait_for_line "$TD/fleet.log" 'fleet-connected all 50 devices' 20
	fleet_desired_all pump 50 '{"MOTOR":"ON"}'
	fleet_all_reported pump 50 MOTOR '"ON"'
	# A summary line, not one line per device.
	wait_for_line "$TD/fleet.log" ' fleet 50/50 connected, 50 deltas applied' 10
	refute grep -qE ' (applied|reported|telemetry) ' "$TD/fleet.log"
	dev_stop
	assert_equal "$DEV_RC" 0
	grep -qE ' stopped$' "$TD/fleet.log"
}

@test "each device of a fleet keeps its own state and publishes its own telemetry" {
	dev_spawn fleet -t own --count 3 -v --json --interval 0.3 \
	    --telemetry-prefix own/data
	wait_for_line "$TD/fleet.log" '"event":"fleet-connected"' 10
	desired_set own-2 '{"MOTOR":"ON"}'
	poll_until 10 ctl_reported_is own-2 MOTOR '"ON"'
	run mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t own/data/vibration \
	    -C 1 -W 10
	assert_success
	ctl_reported_is own-1 MOTOR '"OFF"'
	ctl_reported_is own-3 MOTOR '"OFF"'
	run jq -s -e '[.[] | select(.event == "applied") | .thing] == ["own-2"]' \
	    "$TD/fleet.log"
	assert_success
	run jq -s -e '[.[] | select(.event == "connected") | .thing] | sort ==
	    ["own-1","own-2","own-3"]' "$TD/fleet.log"
	assert_success
}

@test "a fleet survives a broker restart and obeys again" {
	dev_spawn fleet -t surv --count 20 --connect-rate 500 -v --json
	wait_for_line "$TD/fleet.log" '"event":"fleet-connected"' 20
	fleet_desired_all surv 20 '{"MOTOR":"ON"}'
	fleet_all_reported surv 20 MOTOR '"ON"'
	broker_restart
	broker_pid_save
	poll_until 30 eval '[ "$(fleet_connected_events "$TD/fleet.log")" -ge 40 ]'
	run jq -s -e '[.[] | select(.event == "disconnected")] | length >= 20' \
	    "$TD/fleet.log"
	assert_success
	fleet_desired_all surv 20 '{"MOTOR":"OFF"}'
	fleet_all_reported surv 20 MOTOR '"OFF"'
}

@test "--things-from runs exactly the things of the file" {
	printf '# pumps of hall 3\n\npump-a\n  pump-b  \n' >"$TD/things.txt"
	dev_spawn fleet --things-from "$TD/things.txt" --json
	wait_for_line "$TD/fleet.log" '"event":"fleet-connected","devices":2' 10
	desired_set pump-b '{"MOTOR":"ON"}'
	poll_until 10 ctl_reported_is pump-b MOTOR '"ON"'
	ctl_reported_is pump-a MOTOR '"OFF"'
}

@test "--things-from with a bad line fails with the file and line" {
	printf 'ok-1\n# fine\nbad name\n' >"$TD/bad.txt"
	run -2 "$BIN/shadowdev" --things-from "$TD/bad.txt" run
	assert_output --partial "$TD/bad.txt:3: thing name 'bad name'"
	printf 'x-1\nx-1\n' >"$TD/dup.txt"
	run -2 "$BIN/shadowdev" --things-from "$TD/dup.txt" run
	assert_output --partial "thing 'x-1' is listed twice"
	run -2 "$BIN/shadowdev" --things-from "$TD/missing.txt" run
	assert_output --partial "can't read thing list $TD/missing.txt"
}

@test "--count beyond the file descriptor limit fails with a clear error" {
	run -2 bash -c "ulimit -n 1000 && exec '$BIN/shadowdev' -t big --count 5000 run"
	assert_output --partial "5000 devices need ~5032 file descriptors but the limit is 1000"
	assert_output --partial "ulimit -n"
}

@test "fleet options that cannot work together are refused" {
	run -2 "$BIN/shadowdev" -t a --count 2 --things-from /dev/null run
	assert_output --partial "give one of them"
	run -2 "$BIN/shadowdev" -t a --count 2 -i me run
	assert_output --partial "use their thing names as client ids"
	run -2 "$BIN/shadowdev" --count 2 run
	assert_output --partial "no thing name"
}
