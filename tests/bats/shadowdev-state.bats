#!/usr/bin/env bats
# shadowdev --state-dir and --telemetry-exec, with scripts as hardware (a
# file stands for the motor, a file for the sensor): the device's own state
# across restarts and kill -9, and telemetry read by a command.

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev
load ../helpers/hardware

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

setup() {
	hw_setup
}

teardown() {
	dev_teardown
}

@test "telemetry from a command: each member of its object on PREFIX/<member>" {
	local T=sensor
	export SENSOR=$TD/sensor.value
	echo 21500 >"$SENSOR"
	dev_start dev -t $T --telemetry-exec "$EXAMPLES/sensor.sh" \
	    --interval 0.3 --telemetry-prefix $T/data
	run mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t "$T/data/#" -v \
	    -C 1 -W 10
	assert_success
	assert_output "$T/data/temperature {\"temp\":21.5,\"unit\":\"C\"}"
	wait_for_line "$TD/dev.log" "telemetry $T/data/temperature \\{\"temp\":21.5,\"unit\":\"C\"\\}" 10
	run grep -c '"unit":"F"' "$TD/dev.log"
	assert_output 0
}

@test "telemetry from a command: failures and bad output are logged and skipped" {
	local T=badsensor
	hw_script sensor 'case $(cat "$MODE") in
fail) echo "no 1-Wire device" >&2; exit 1 ;;
text) echo "hello" ;;
array) echo "[1,2]" ;;
members) echo "{\"bad+name\":1,\"good\":{\"v\":2}}" ;;
esac'
	export MODE=$TD/sensor.mode
	echo fail >"$MODE"
	dev_start dev -t $T --telemetry-exec "$TD/hw/sensor" --interval 0.2 \
	    --telemetry-prefix $T/data --json
	wait_for_line "$TD/dev.log" '"event":"telemetry-failed".*"status":"exit 1".*no 1-Wire device' 10
	echo text >"$MODE"
	wait_for_line "$TD/dev.log" '"event":"telemetry-failed".*"status":"stdout is not a JSON object"' 10
	echo array >"$MODE"
	local n
	n=$(count_lines "$TD/dev.log" 'not a JSON object')
	poll_until 10 lines_at_least "$TD/dev.log" 'not a JSON object' $((n + 1))
	echo members >"$MODE"
	wait_for_line "$TD/dev.log" '"event":"telemetry-failed".*"member":"bad\+name"' 10
	wait_for_line "$TD/dev.log" "\"event\":\"telemetry\".*\"topic\":\"$T/data/good\",\"payload\":\\{\"v\":2\\}" 10
	run grep -c "\"event\":\"telemetry\".*bad+name" "$TD/dev.log"
	assert_output 0
	# The device kept running through all of it.
	kill -0 "$DEV_PID"
}

@test "--state-dir: the state survives a restart, is reported as it was, then desired is caught up" {
	local T=keeper
	export MOTOR_FILE=$TD/keeper.motor
	dev_start dev -t $T --exec "$EXAMPLES/relay.sh" --state-dir "$TD/state"
	run "$BIN/shadowctl" -t $T set MOTOR=ON --wait --timeout 10
	assert_success
	run jq -c . "$TD/state/$T.json"
	assert_output '{"MOTOR":"ON"}'
	assert_equal "$(stat -c %a "$TD/state")" 700
	dev_stop
	# Offline, the shadow is lost: the device reports what the motor has.
	run "$BIN/shadowctl" -t $T delete
	assert_success
	dev_start dev -t $T --exec "$EXAMPLES/relay.sh" --state-dir "$TD/state"
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"ON"\}' 10
	assert_equal "$(calls "$MOTOR_FILE")" 1
	dev_stop
	# Offline, desired changes: at the restart the command catches up.
	run "$BIN/shadowctl" -t $T set MOTOR=OFF
	assert_success
	dev_start dev -t $T --exec "$EXAMPLES/relay.sh" --state-dir "$TD/state"
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	assert_equal "$(tail -n 1 "$MOTOR_FILE")" "gpiochip0 17=0"
	run jq -c . "$TD/state/$T.json"
	assert_output '{"MOTOR":"OFF"}'
}

@test "--state-dir: a named shadow has its own file" {
	local T=named
	dev_start dev -t $T -n cfg --state-dir "$TD/state"
	pub "\$aws/things/$T/shadow/name/cfg/update" \
	    '{"state":{"desired":{"MOTOR":"ON"}}}'
	poll_until 10 test -f "$TD/state/$T~cfg.json"
	run jq -c . "$TD/state/$T~cfg.json"
	assert_output '{"MOTOR":"ON"}'
	[ ! -e "$TD/state/$T.json" ]
}

@test "--state-dir: kill -9 at any moment leaves the old or the new state, never a torn file" {
	local T=crash round i
	mkdir -p "$TD/crash"
	for i in $(seq 1 400); do
		echo "{\"state\":{\"desired\":{\"speed\":$i,\"MOTOR\":\"M$i\"}}}"
	done >"$TD/crash.updates"
	for round in 1 2 3 4 5; do
		dev_start crash -t $T --state MOTOR=OFF --state speed:=0 \
		    --state-dir "$TD/crash"
		mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 \
		    -t "\$aws/things/$T/shadow/update" -l <"$TD/crash.updates" &
		local pub=$!
		# Killed after a different number of applied changes each round.
		poll_until 20 lines_at_least "$TD/crash.log" ' applied ' $((round * 25))
		kill -KILL "$DEV_PID"
		wait "$DEV_PID" || true
		wait "$pub"
		run jqe '(.speed | type) == "number" and (.MOTOR | type) == "string" and
		    (keys == ["MOTOR","speed"])' "$TD/crash/$T.json"
		assert_success
	done
	# And the next start reads it.
	dev_start crash -t $T --state MOTOR=OFF --state speed:=0 --state-dir "$TD/crash"
	wait_for_line "$TD/crash.log" 'reported ' 30
}

@test "--state-dir: a state file that is not a JSON object stops the start (exit 2) and is left as it is" {
	mkdir -p "$TD/bad"
	local f
	for content in '[1,2]' '{"MOTOR":"O' 'MOTOR=ON' '{"a":1} trailing'; do
		f=$TD/bad/broken.json
		printf '%s' "$content" >"$f"
		cp "$f" "$TD/bad.orig"
		run -2 --separate-stderr "$BIN/shadowdev" -t broken --state-dir "$TD/bad" run
		assert_equal "$stderr" "shadowdev: state file $f: not a JSON object (fix or remove it; it was left as it is)"
		cmp "$f" "$TD/bad.orig"
	done
}

@test "--state-dir: values in the file win over --state; keys not owned are ignored with a warning" {
	local T=prefer
	mkdir -p "$TD/pref"
	echo '{"MOTOR":"ON","speed":7,"other":1}' >"$TD/pref/$T.json"
	dev_start dev -t $T --state MOTOR=OFF --state speed:=1 --state-dir "$TD/pref"
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"ON","speed":7\}' 10
	grep -q "state file $TD/pref/$T.json: other not owned by this device" "$TD/dev.err"
}
