#!/usr/bin/env bats
# shadowdev against a real mosquitto and a real shadowd: the workshop
# scenario, offline catch-up, owned and unknown keys, stale and expired
# orders, the JSON log, and restarts of the broker and of shadowd.

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

teardown() {
	dev_teardown
}

@test "workshop: desired MOTOR=ON makes the device vibrate, MOTOR=OFF stops it" {
	local T=workshop
	dev_start dev -t $T --interval 0.2 --telemetry-prefix $T/data
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"OFF"\}'
	grep -qE ' connected \(new session\)$' "$TD/dev.log"
	run "$BIN/shadowctl" -t $T set MOTOR=ON --wait --timeout 10
	assert_success
	wait_for_line "$TD/dev.log" 'applied \{"MOTOR":"ON"\}'
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"ON"\}'
	run mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t $T/data/vibration \
	    -C 2 -W 10
	assert_success
	assert_equal "${#lines[@]}" 2
	echo "${lines[0]}" | jqe '.vibration >= -500 and .vibration <= 500'
	run "$BIN/shadowctl" -t $T set MOTOR=OFF --wait --timeout 10
	assert_success
	wait_for_line "$TD/dev.log" 'applied \{"MOTOR":"OFF"\}'
	run mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -v \
	    -t $T/data/temperature -t $T/data/vibration -C 3 -W 10
	assert_success
	assert_line --index 0 --regexp "^$T/data/temperature \{\"temp\":[0-9]+,\"unit\":\"F\"\}$"
	refute_output --partial vibration
	poll_until 5 reported_is $T MOTOR '"OFF"'
}

@test "offline catch-up: a device started after desired changed applies it at once (session kept)" {
	local T=catchup
	dev_start dev1 -t $T
	wait_for_line "$TD/dev1.log" 'reported \{"MOTOR":"OFF"\}'
	dev_stop
	assert_equal "$DEV_RC" 0
	desired_set $T '{"MOTOR":"ON"}'
	poll_until 5 eval "shadow_doc $T | jqe '.state.delta.MOTOR == \"ON\"'"
	dev_start dev2 -t $T
	wait_for_line "$TD/dev2.log" 'connected \(session kept\)'
	wait_for_line "$TD/dev2.log" 'applied \{"MOTOR":"ON"\}'
	wait_for_line "$TD/dev2.log" 'reported \{"MOTOR":"ON"\}'
	poll_until 5 reported_is $T MOTOR '"ON"'
}

@test "offline catch-up: a device with a new session learns the change from get" {
	local T=catchget
	dev_start dev1 -t $T
	wait_for_line "$TD/dev1.log" 'reported'
	dev_stop
	desired_set $T '{"MOTOR":"ON","speed":3}'
	poll_until 5 eval "shadow_doc $T | jqe '.state.delta.MOTOR == \"ON\"'"
	dev_start dev2 -t $T -i $T-new --json --state MOTOR=OFF --state speed:=1
	wait_for_line "$TD/dev2.log" '"event":"reported".*"MOTOR":"ON"'
	run jq -s -c '[.[] | select(.event != "telemetry") | .event]' "$TD/dev2.log"
	assert_output --regexp '^\["connected","delta","applied","reported"'
	run jq -s -e 'map(select(.event == "delta"))[0] |
	    .source == "get" and .state == {"MOTOR":"ON","speed":3}' "$TD/dev2.log"
	assert_success
	poll_until 5 reported_is $T speed 3
}

@test "a shadow that does not exist yet gets the initial state reported" {
	local T=fresh
	dev_start dev -t $T --state MOTOR=OFF --state 'light.color=red' \
	    --state 'limits:={"max":9,"on":true}'
	wait_for_line "$TD/dev.log" 'reported'
	poll_until 5 eval "shadow_doc $T | jqe '.state.reported ==
	    {\"MOTOR\":\"OFF\",\"light\":{\"color\":\"red\"},\"limits\":{\"max\":9,\"on\":true}}'"
}

@test "delta keys the device does not own are logged as ignored and left alone" {
	local T=owned
	dev_start dev -t $T --json --state MOTOR=OFF --state 'light.color=red' \
	    --state 'cfg:={"a":1}'
	wait_for_line "$TD/dev.log" '"event":"reported"'
	desired_set $T '{"color":"blue","light":{"color":"green","size":3},"cfg":{"b":2},"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" '"event":"applied"'
	wait_for_line "$TD/dev.log" '"event":"ignored"'
	run jq -s -e 'map(select(.event == "applied"))[0].state ==
	    {"light":{"color":"green"},"cfg":{"b":2},"MOTOR":"ON"}' "$TD/dev.log"
	assert_success
	run jq -s -c 'map(select(.event == "ignored"))[0].keys | sort' "$TD/dev.log"
	assert_output '["color","light.size"]'
	poll_until 5 eval "shadow_doc $T | jqe '.state.reported ==
	    {\"MOTOR\":\"ON\",\"light\":{\"color\":\"green\"},\"cfg\":{\"a\":1,\"b\":2}}'"
	run eval "shadow_doc $T | jq -c .state.delta"
	assert_output '{"color":"blue","light":{"size":3}}'
}

@test "a device on a named shadow obeys that shadow, not the classic one" {
	local T=named root="\$aws/things/named/shadow/name/cfg"
	dev_start dev -t $T -n cfg --json
	wait_for_line "$TD/dev.log" '"event":"reported"'
	desired_set $T '{"MOTOR":"ON"}'
	pub "$root/update" '{"state":{"desired":{"MOTOR":"ON"}}}'
	wait_for_line "$TD/dev.log" '"event":"applied".*"MOTOR":"ON"'
	run jq -s 'map(select(.event == "delta")) | length' "$TD/dev.log"
	assert_output 1
	poll_until 5 eval "req '$root' get '{}' | grep -q '\"reported\":{\"MOTOR\":\"ON\"}'"
	run eval "shadow_doc $T | jq -c .state"
	assert_output '{"desired":{"MOTOR":"ON"},"delta":{"MOTOR":"ON"}}'
}

@test "a stale delta (version not newer than the last applied) is dropped" {
	local T=stale
	dev_start dev -t $T -v --json
	wait_for_line "$TD/dev.log" '"event":"reported"'
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" '"event":"applied".*"ON"'
	pub "\$aws/things/$T/shadow/update/delta" '{"state":{"MOTOR":"OFF"},"version":1}'
	wait_for_line "$TD/dev.log" '"event":"stale".*"version":1'
	run grep -c '"event":"applied".*"OFF"' "$TD/dev.log"
	assert_output 0
}

@test "a delta delivered twice with one version (a redelivery) is applied once and reported once" {
	local T=redeliver id="cap-$RANDOM" delta reports
	local r="\$aws/things/redeliver/shadow"
	dev_start dev -t $T -v --json
	wait_for_line "$TD/dev.log" '"event":"reported"' 20
	# capture the delta shadowd publishes, to deliver it again as it is
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -C 1 -W 30 \
	    -t "$r/update/delta" >"$TD/delta.msg" 2>&1 &
	local sp=$!
	track_pid "$sp"
	wait_subscribed "$id"
	desired_set $T '{"MOTOR":"ON"}'
	wait "$sp"
	delta=$(cat "$TD/delta.msg")
	[ "$(jq -c .state <<<"$delta")" = '{"MOTOR":"ON"}' ]
	wait_for_line "$TD/dev.log" '"event":"reported".*"MOTOR":"ON"' 20
	reports=$(count_lines "$TD/dev.log" '"event":"reported"')
	pub "$r/update/delta" "$delta"
	wait_for_line "$TD/dev.log" "\"event\":\"stale\".*\"version\":$(jq .version <<<"$delta")" 20
	# a later order, obeyed after the redelivery was handled: the log is
	# complete up to here
	desired_set $T '{"MOTOR":"OFF"}'
	# (the first report was of MOTOR OFF too: wait for one more report)
	poll_until 20 lines_at_least "$TD/dev.log" '"event":"reported"' $((reports + 1))
	wait_for_line "$TD/dev.log" '"event":"applied".*"MOTOR":"OFF"'
	run count_lines "$TD/dev.log" '"event":"applied".*"MOTOR":"ON"'
	assert_output 1
	run count_lines "$TD/dev.log" '"event":"reported"'
	assert_output $((reports + 1))
}

@test "--max-desired-age: an order older than the limit is not applied and is removed from desired" {
	local T=expiry ts
	dev_start dev1 -t $T
	wait_for_line "$TD/dev1.log" 'reported'
	dev_stop
	desired_set $T '{"MOTOR":"ON"}'
	poll_until 5 eval "shadow_doc $T | jqe '.metadata.desired.MOTOR.timestamp' >/dev/null"
	ts=$(shadow_doc $T | jqe '.metadata.desired.MOTOR.timestamp')
	# timestamps are whole seconds: wait until the order is surely > 1 s old
	poll_until 5 eval '[ "$(date +%s)" -ge $((ts + 2)) ]'
	dev_start dev2 -t $T --json --max-desired-age 1
	wait_for_line "$TD/dev2.log" '"event":"expired".*"keys":\["MOTOR"\]'
	poll_until 5 desired_lacks $T MOTOR
	run grep -c '"event":"applied"' "$TD/dev2.log"
	assert_output 0
	run eval "shadow_doc $T | jq -r .state.reported.MOTOR"
	assert_output OFF
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev2.log" '"event":"applied".*"MOTOR":"ON"'
}

@test "--json: every log line is a JSON object with the documented fields" {
	local T=jsonlog
	dev_start dev -t $T --json --interval 0.2 --telemetry-prefix $T
	wait_for_line "$TD/dev.log" '"event":"reported"'
	desired_set $T '{"MOTOR":"ON","x":1}'
	wait_for_line "$TD/dev.log" '"event":"reported".*"ON"'
	wait_for_line "$TD/dev.log" '"topic":"jsonlog/vibration"'
	dev_stop
	assert_equal "$DEV_RC" 0
	run jqe -s 'all(.[]; (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))
	    and (.event | type == "string") and .thing == "jsonlog")' "$TD/dev.log"
	assert_success
	run jqe -s '
	    (map(select(.event == "connected"))[0].session_present | type == "boolean") and
	    (map(select(.event == "delta"))[0] | .state == {"MOTOR":"ON","x":1} and (.version | type == "number")) and
	    (map(select(.event == "applied"))[0].state == {"MOTOR":"ON"}) and
	    (map(select(.event == "ignored"))[0].keys == ["x"]) and
	    (map(select(.event == "reported"))[-1] | .state == {"MOTOR":"ON"} and (.version | type == "number")) and
	    (map(select(.event == "telemetry" and .topic == "jsonlog/temperature"))[0].payload | .unit == "F" and (.temp | type == "number")) and
	    (map(select(.event == "telemetry" and .topic == "jsonlog/vibration"))[0].payload.vibration | type == "number") and
	    (.[-1].event == "stopped")' "$TD/dev.log"
	assert_success
}

@test "--duration stops the device by itself; SIGINT disconnects it cleanly with exit 0" {
	run --separate-stderr "$BIN/shadowdev" -t dur --duration 0.5 run
	assert_success
	assert_line --index 0 --regexp ' connected \((new session|session kept)\)$'
	assert_line --index -1 --regexp ' stopped$'
	dev_start dev -t sigint
	kill -INT "$DEV_PID"
	DEV_RC=0
	wait "$DEV_PID" || DEV_RC=$?
	assert_equal "$DEV_RC" 0
	wait_for_line "$TD/broker/mosquitto.log" 'Client sigint disconnected\.'
}

@test "shadowd restart while the device runs: an order sent meanwhile is obeyed" {
	local T=sdrestart
	dev_start dev -t $T
	wait_for_line "$TD/dev.log" 'reported'
	shadowd_stop
	desired_set $T '{"MOTOR":"ON"}'
	shadowd_start
	wait_for_line "$TD/dev.log" 'applied \{"MOTOR":"ON"\}' 10
	wait_for_line "$TD/dev.log" 'reported \{"MOTOR":"ON"\}' 10
}

@test "broker restart: the device reconnects with its session and keeps obeying" {
	local T=brokerrestart
	dev_start dev -t $T --json --interval 0.3
	wait_for_line "$TD/dev.log" '"event":"reported"'
	broker_stop
	wait_for_line "$TD/dev.log" '"event":"disconnected"'
	broker_start
	broker_pid_save
	# sent while the device is still away (its first retry waits >= 0.5 s)
	desired_set $T '{"MOTOR":"ON"}'
	poll_until 10 eval '[ "$(count_lines "$TD/dev.log" "\"event\":\"connected\".*\"session_present\":true")" -ge 1 ]'
	wait_for_line "$TD/dev.log" '"event":"applied".*"MOTOR":"ON"' 10
	wait_for_line "$TD/dev.log" '"event":"reported".*"MOTOR":"ON"' 10
	desired_set $T '{"MOTOR":"OFF"}'
	wait_for_line "$TD/dev.log" '"event":"applied".*"MOTOR":"OFF"' 10
	poll_until 10 reported_is $T MOTOR '"OFF"'
}

@test "broker restart that loses the session: the device subscribes again and keeps obeying" {
	local T=brokerfresh delta="\$aws/things/brokerfresh/shadow/update/delta"
	local update="\$aws/things/+/shadow/update" dev_subs sd_subs
	broker_pid_load
	dev_start dev -t $T --json
	wait_for_line "$TD/dev.log" '"event":"reported"'
	dev_subs=$(subscribed_times $T "$delta")
	sd_subs=$(subscribed_times shadowd "$update")
	assert_equal "$dev_subs" 1
	broker_stop
	rm -f "$TD/broker/mosquitto.db"
	wait_for_line "$TD/dev.log" '"event":"disconnected"'
	broker_start
	broker_pid_save
	poll_until 10 eval '[ "$(count_lines "$TD/dev.log" "\"event\":\"connected\".*\"session_present\":false")" -ge 2 ]'
	poll_until 10 eval '[ "$(subscribed_times $T "$delta")" -gt "$dev_subs" ]'
	poll_until 10 eval '[ "$(subscribed_times shadowd "$update")" -gt "$sd_subs" ]'
	desired_set $T '{"MOTOR":"ON"}'
	wait_for_line "$TD/dev.log" '"event":"applied".*"MOTOR":"ON"' 10
	poll_until 10 reported_is $T MOTOR '"ON"'
}
