#!/usr/bin/env bats
# shadowdev --exec: deltas applied by commands, with scripts as hardware (a
# file stands for the motor), against a real mosquitto and a real shadowd.
# Failures and retries, timeouts, merged deltas, a command that reports
# something else, and what a command can and cannot see.

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

@test "workshop with a relay: MOTOR=ON reaches the motor, reported follows, --wait returns" {
	local T=relay
	export MOTOR_FILE=$TD/relay.motor
	dev_start dev -t $T --exec "$EXAMPLES/relay.sh"
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	run "$BIN/shadowctl" -t $T set MOTOR=ON --wait --timeout 10
	assert_success
	assert_equal "$(cat "$MOTOR_FILE")" "gpiochip0 17=1"
	grep -qE ' exec \{"MOTOR":"ON"\} version [0-9]+$' "$TD/dev.log"
	grep -qE ' exec-done \{"MOTOR":"ON"\} in [0-9.]+ s$' "$TD/dev.log"
	ctl_reported_is $T MOTOR '"ON"'
	run "$BIN/shadowctl" -t $T set MOTOR=OFF --wait --timeout 10
	assert_success
	assert_equal "$(tail -n 1 "$MOTOR_FILE")" "gpiochip0 17=0"
	assert_equal "$(calls "$MOTOR_FILE")" 2
}

@test "a value the command refuses: exec-failed with its exit status and stderr, nothing reported" {
	local T=refuse
	export MOTOR_FILE=$TD/refuse.motor
	dev_start dev -t $T --exec "$EXAMPLES/relay.sh" --json
	wait_for_line "$TD/dev.log" '"event":"reported"' 10
	desired_set $T '{"MOTOR":"FAST"}'
	wait_for_line "$TD/dev.log" '"event":"exec-failed"' 10
	run jq -s -e '[.[] | select(.event == "exec-failed")][0] |
	    .exit_code == 2 and .status == "exit 2" and .retry_in == 1 and
	    (.stderr | test("MOTOR must be ON or OFF"))' "$TD/dev.log"
	assert_success
	ctl_reported_is $T MOTOR '"OFF"'
	[ ! -e "$MOTOR_FILE" ]
}

@test "a failing command is retried with backoff until it succeeds" {
	local T=flaky
	hw_script flaky 'n=$(cat "$COUNT" 2>/dev/null || echo 0)
echo $((n + 1)) >"$COUNT"
cat >>"$INPUTS"
[ "$n" -ge 2 ] || { echo "bus error $n" >&2; exit 1; }'
	export COUNT=$TD/flaky.count INPUTS=$TD/flaky.inputs
	dev_start dev -t $T --exec "$TD/hw/flaky"
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'exec-failed exit 1; retrying in 1 s: bus error 0' 10
	wait_for_line "$TD/dev.log" 'exec-failed exit 1; retrying in 2 s: bus error 1' 10
	wait_for_line "$TD/dev.log" 'exec-done \{"MOTOR":"ON"\}' 10
	poll_until 10 ctl_reported_is $T MOTOR '"ON"'
	assert_equal "$(cat "$COUNT")" 3
	run jq -s -c 'unique' "$INPUTS"
	assert_output '[{"MOTOR":"ON"}]'
}

@test "a failed order is not retried once desired no longer wants it" {
	local T=giveup
	hw_script fail 'cat >>"$INPUTS"; exit 1'
	export INPUTS=$TD/giveup.inputs
	dev_start dev -t $T --exec "$TD/hw/fail" -v --interval 1
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'exec-failed exit 1; retrying in 1 s' 10
	# Desired back at the device's own value: no delta is left to retry.
	desired_set $T '{"MOTOR":"OFF"}'
	wait_for_line "$TD/dev.err" 'shadow version [0-9]+: nothing to apply' 20
	local n t
	n=$(calls "$INPUTS")
	t=$(count_lines "$TD/dev.log" ' telemetry ')
	# Longer than any backoff so far (at most 4 s), by the device's clock.
	poll_until 30 lines_at_least "$TD/dev.log" ' telemetry ' $((t + 6))
	assert_equal "$(calls "$INPUTS")" "$n"
	shadow_has_no_delta $T
}

@test "a hanging command is stopped at --exec-timeout" {
	local T=hang
	hw_script hang 'echo $$ >"$PIDFILE"; exec sleep 60'
	export PIDFILE=$TD/hang.pid
	dev_start dev -t $T --exec "$TD/hw/hang" --exec-timeout 1
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'exec-failed timed out after 1.0 s \(stopped with SIGTERM\)' 10
	poll_until 5 gone "$(cat "$PIDFILE")"
	ctl_reported_is $T MOTOR '"OFF"'
}

@test "a command that ignores SIGTERM is killed 5 s later with SIGKILL" {
	local T=stubborn
	hw_script stubborn 'trap "" TERM
echo $$ >"$PIDFILE"
while :; do sleep 1; done'
	export PIDFILE=$TD/stubborn.pid
	dev_start dev -t $T --exec "$TD/hw/stubborn" --exec-timeout 1 --json
	wait_for_line "$TD/dev.log" '"event":"reported"' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" '"event":"exec"' 10
	local t0=$SECONDS
	wait_for_line "$TD/dev.log" '"event":"exec-failed"' 15
	[ $((SECONDS - t0)) -ge 5 ]
	run jq -s -e '[.[] | select(.event == "exec-failed")][0] |
	    .killed and .timed_out and
	    (.status | test("killed with SIGKILL"))' "$TD/dev.log"
	assert_success
	poll_until 5 gone "$(cat "$PIDFILE")"
}

@test "a command that reports another value: that is reported, the delta stays, no loop" {
	local T=stuck
	hw_script stuck 'cat >>"$INPUTS"; echo "{\"MOTOR\":\"JAMMED\",\"extra\":1}"'
	export INPUTS=$TD/stuck.inputs
	dev_start dev -t $T --exec "$TD/hw/stuck" -v
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"JAMMED"\}' 10
	grep -qE ' ignored extra ' "$TD/dev.log"
	# The delta our own report causes is no new order.
	wait_for_line "$TD/dev.err" 'follows our report: not a new order' 10
	shadow_doc $T | jqe '.state.delta.MOTOR == "ON" and
	    .state.reported.MOTOR == "JAMMED"'
	assert_equal "$(calls "$INPUTS")" 1
}

@test "deltas during a slow command are merged and the latest values applied next" {
	local T=slow
	hw_script slow 'cat >>"$INPUTS"; echo >>"$INPUTS"
while [ ! -e "$RELEASE" ]; do sleep 0.05; done
rm -f "$RELEASE"'
	export INPUTS=$TD/slow.inputs RELEASE=$TD/slow.release
	dev_start dev -t $T --exec "$TD/hw/slow" --state MOTOR=OFF --state speed=0
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF","speed":"0"\}' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'exec \{"MOTOR":"ON"\}' 10
	desired_set $T '{"speed":"1"}'
	wait_for_line "$TD/dev.log" 'delta .*"speed":"1"' 10
	desired_set $T '{"speed":"2"}'
	wait_for_line "$TD/dev.log" 'delta .*"speed":"2"' 10
	touch "$RELEASE"
	wait_for_line "$TD/dev.log" 'exec \{"speed":"2"\}' 10
	touch "$RELEASE"
	poll_until 10 ctl_reported_is $T speed '"2"'
	ctl_reported_is $T MOTOR '"ON"'
	run jq -s -c '.' "$INPUTS"
	assert_output '[{"MOTOR":"ON"},{"speed":"2"}]'
	assert_equal "$(count_lines "$TD/dev.log" ' exec \{')" 2
}

@test "desired values reach the command only as data on stdin" {
	local T=inject
	mkdir -p "$TD/home"
	touch "$TD/home/canary"
	hw_script record 'cat >"$INPUT"; echo "args:$#" >>"$INPUT"'
	export INPUT=$TD/inject.input
	HOME=$TD/home dev_start dev -t $T --exec "$TD/hw/record" \
	    --state 'a=x' --state 'b=x' --state 'c=x'
	wait_for_line "$TD/dev.log" 'reported ' 10
	desired_set $T "{\"a\":\"\$(touch $TD/pwned)\",\"b\":\"; rm -rf ~\",\"c\":\"\`touch $TD/pwned2\`\"}"
	wait_for_line "$TD/dev.log" 'exec-done ' 10
	run jqe --arg p "$TD" '.a == "$(touch \($p)/pwned)" and
	    .b == "; rm -rf ~" and .c == "`touch \($p)/pwned2`"' <(head -n 1 "$INPUT")
	assert_success
	assert_equal "$(tail -n 1 "$INPUT")" "args:0"
	[ ! -e "$TD/pwned" ]
	[ ! -e "$TD/pwned2" ]
	[ -e "$TD/home/canary" ]
	poll_until 10 ctl_reported_is $T b '"; rm -rf ~"'
}

@test "a command sees no secret of ours and no descriptor but its own three" {
	local T=secret
	hw_script envdump 'env >"$DUMP"; ls /proc/self/fd >"$FDS"; cat >/dev/null'
	export DUMP=$TD/secret.env FDS=$TD/secret.fds
	SHADOW_USERNAME=dev SHADOW_PASSWORD=hunter2 AWS_SECRET_ACCESS_KEY=sk \
	    dev_start dev -t $T --exec "$TD/hw/envdump"
	wait_for_line "$TD/dev.log" 'reported ' 10
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" 'exec-done ' 10
	run grep -c 'hunter2\|SHADOW_PASSWORD\|SHADOW_USERNAME\|AWS_SECRET' "$DUMP"
	assert_output 0
	grep -qx "SHADOW_THING=$T" "$DUMP"
	grep -qx 'SHADOW_SHADOW=' "$DUMP"
	grep -qE '^SHADOW_VERSION=[0-9]+$' "$DUMP"
	# 0, 1, 2, and 3: the directory ls itself is reading
	run sort -n "$FDS"
	assert_output "$(printf '0\n1\n2\n3')"
}

@test "a command that floods stdout or stderr fails without unbounded memory" {
	local T=flood
	hw_script flood 'cat >/dev/null; head -c 50000000 /dev/zero | tr "\0" x >&${STREAM:-1}'
	dev_start dev -t $T --exec "$TD/hw/flood" --json
	wait_for_line "$TD/dev.log" '"event":"reported"' 10
	local before
	before=$(hwm "$DEV_PID")
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" '"event":"exec-failed"' 20
	run jq -s -e '[.[] | select(.event == "exec-failed")][0] |
	    (.status | test("more than 64 KiB"))' "$TD/dev.log"
	assert_success
	# 50 MB went through; the device's peak memory hardly moved.
	[ $(( $(hwm "$DEV_PID") - before )) -lt 10000 ]
	dev_stop
	STREAM=2 dev_start dev2 -t $T-err --exec "$TD/hw/flood"
	wait_for_line "$TD/dev2.log" 'reported ' 10
	desired_set $T-err '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev2.log" 'exec-failed wrote more than 64 KiB of output; retrying in 1 s: x+$' 20
}

@test "--exec-timeout, --exec and --state-dir refuse bad values" {
	run -2 "$BIN/shadowdev" -t x --exec-timeout 0 run
	assert_output --partial 'exec-timeout'
	run -2 "$BIN/shadowdev" -t x --exec '' run
	assert_output --partial 'shell command'
	run -2 "$BIN/shadowdev" -t x --exec-jobs 0 run
	assert_output --partial 'exec-jobs'
}

# man_example FILE: the literal block after ".Pa FILE :" in shadowdev(1).
man_example() {
	awk -v f="$1" '$0 == ".Pa " f " :" { on = 1; next }
	    on && /^\.Bd/ { body = 1; next }
	    body && /^\.Ed/ { exit }
	    body { gsub(/\\e/, "\\"); print }' "$TOP/man/shadowdev.1"
}

# script_body FILE: the example script without its comment header.
script_body() {
	awk 'NR == 1 || !/^# / { print }' "$EXAMPLES/$1"
}

@test "the examples of shadowdev(1) are the scripts these tests run" {
	run diff <(man_example relay.sh) <(script_body relay.sh)
	assert_success
	run diff <(man_example sensor.sh) <(script_body sensor.sh)
	assert_success
	[ -n "$(man_example relay.sh)" ]
}
