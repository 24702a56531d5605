#!/usr/bin/env bats
# shadowctl over HTTP (a URL endpoint) against shadowd --http without
# credentials: every command, the same output and exit codes as over MQTT,
# list, --wait by polling, names that need encoding, and what HTTP cannot do.

load ../helpers/common
load ../helpers/shadowctl
load ../helpers/shadowdev
load ../helpers/ctlhttp

setup_file() {
	ctl_http_stack_start
}

teardown_file() { stack_teardown; }

setup() {
	thing_per_test
	aws_env_clear
}

teardown() { dev_teardown; }

@test "get, set, unset, update and delete print what they print over MQTT" {
	local a=$T-mqtt b=$T-http
	mctl -t "$a" set MOTOR=ON speed:=3 light.color=red
	assert_success
	echo "$output" | no_timestamps >"$TD/m.set"
	hctl -t "$b" set MOTOR=ON speed:=3 light.color=red
	assert_success
	echo "$output" | no_timestamps >"$TD/h.set"
	run diff "$TD/m.set" "$TD/h.set"
	assert_success
	for args in "unset speed" "set --reported MOTOR=ON" \
	    "update {\"state\":{\"desired\":{\"x\":[1,2]}}}" "get" \
	    "get state.desired.MOTOR -r" "-c get" "delete"; do
		# shellcheck disable=SC2086
		mctl -t "$a" $args
		assert_success
		echo "$output" | no_timestamps >"$TD/m.out"
		# shellcheck disable=SC2086
		hctl -t "$b" $args
		assert_success
		echo "$output" | no_timestamps >"$TD/h.out"
		run diff "$TD/m.out" "$TD/h.out"
		assert_success
	done
}

@test "the same shadow reads the same over HTTP and MQTT" {
	mctl set MOTOR=ON level:=80
	assert_success
	hctl set --reported MOTOR=OFF
	assert_success
	mctl get
	local m=$output
	hctl get
	assert_success
	# The answer's own timestamp is the time of the get: it may differ.
	assert_equal "$(echo "$output" | sed 's/^  "timestamp": [0-9]*$/  "timestamp": T/')" \
	    "$(echo "$m" | sed 's/^  "timestamp": [0-9]*$/  "timestamp": T/')"
	[[ $output == *'"version": 2'* ]]
	[[ $output == *'"MOTOR": "OFF"'* ]]
}

@test "an update over HTTP reaches the device as a delta on MQTT" {
	sub_bg "$TD/delta" "d-$T" -t "$(root)/update/delta"
	hctl set MOTOR=ON
	assert_success
	wait_for_line "$TD/delta" '"MOTOR":"ON"' 5
}

@test "a get of a missing shadow is rejected the same way: exit 1, same message" {
	mctl get
	assert_failure 1
	local m=$stderr
	hctl get
	assert_failure 1
	assert_equal "$stderr" "$m"
	[[ $stderr == *"get rejected: 404 "* ]]
	hctl delete
	assert_failure 1
	[[ $stderr == *"delete rejected: 404 "* ]]
}

@test "--expect-version over HTTP: a mismatch is a 409 rejection, a match is accepted" {
	hctl set MOTOR=ON
	assert_success
	hctl set MOTOR=OFF --expect-version 7
	assert_failure 1
	[[ $stderr == *"update rejected: 409 Version conflict"* ]]
	hctl -c set MOTOR=OFF --expect-version 1
	assert_success
	[[ $output == *'"version":2'* ]]
	mctl get state.desired.MOTOR -r
	assert_output "OFF"
}

@test "a get PATH that is absent exits 1 over HTTP too" {
	hctl set a=1
	hctl get state.desired.nope
	assert_failure 1
	[[ $stderr == *"nope"* ]]
}

@test "thing and shadow names that need encoding: a:b and \$package" {
	hctl -t "a:b-$T" -n '$package' set v=1
	assert_success
	mctl -t "a:b-$T" -n '$package' get state.desired.v -r
	assert_success
	assert_output "1"
	hctl -t "a:b-$T" -n '$package' get state.desired.v -r
	assert_output "1"
	hctl -t "a:b-$T" -c list
	assert_success
	assert_output '["$package"]'
	hctl -t "a:b-$T" -n '$package' delete
	assert_success
	mctl -t "a:b-$T" -n '$package' get
	assert_failure 1
}

@test "list prints the named shadows: pretty, -c, -r; never the classic one" {
	hctl set c=1
	for n in beta alpha gamma; do
		hctl -n "$n" set v=1
		assert_success
	done
	hctl list
	assert_success
	assert_output '[
  "alpha",
  "beta",
  "gamma"
]'
	hctl list -c
	assert_output '["alpha","beta","gamma"]'
	hctl list -r
	assert_output 'alpha
beta
gamma'
}

@test "list of a thing without named shadows prints an empty array" {
	hctl list -c
	assert_success
	assert_output '[]'
	hctl list -r
	assert_success
	assert_output ''
}

@test "list follows nextToken across pages, also while shadows are added" {
	local i
	for i in 01 03 05 07 09 11 13; do
		hctl -n "s$i" set v=1
		assert_success
	done
	hctl list -c --page-size 1
	assert_success
	assert_output '["s01","s03","s05","s07","s09","s11","s13"]'
	# Add shadows while a paged list runs: the names there before are all
	# listed, once each and in order; a new one may or may not be.
	( for i in 02 04 06 08 10 12 14; do
		env -u SHADOW_PORT "$CTL" -e "$HTTP_URL" -t "$T" -n "s$i" set v=1 \
		    >/dev/null 2>>"$TD/add.err" || echo "s$i: exit $?" >>"$TD/add.err"
	done; touch "$TD/added" ) &
	track_pid $!
	env -u SHADOW_PORT "$CTL" -e "$HTTP_URL" -t "$T" -r list --page-size 2 \
	    >"$TD/list.out"
	poll_until 30 test -e "$TD/added"
	run cat "$TD/add.err"
	assert_output ""
	run sort -c "$TD/list.out"
	assert_success
	run sort -u "$TD/list.out"
	assert_equal "$(wc -l <"$TD/list.out")" "$(echo "$output" | wc -l)"
	for i in 01 03 05 07 09 11 13; do
		grep -qx "s$i" "$TD/list.out"
	done
	hctl list -c --page-size 3
	assert_output '["s01","s02","s03","s04","s05","s06","s07","s08","s09","s10","s11","s12","s13","s14"]'
}

@test "--page-size must be 1-100 and applies to list only" {
	hctl list --page-size 0
	assert_failure 2
	hctl list --page-size 101
	assert_failure 2
	hctl get --page-size 5
	assert_failure 2
	[[ $stderr == *"--page-size"* ]]
}

@test "list over MQTT is a usage error that says why" {
	mctl list
	assert_failure 2
	[[ $stderr == *"list"*"HTTP"*"URL"* ]]
}

@test "watch over HTTP is a usage error that says why" {
	hctl watch --count 1
	assert_failure 2
	[[ $stderr == *"watch needs MQTT"* ]]
}

@test "-p with a URL endpoint is a usage error that says where the port goes" {
	run --separate-stderr "$CTL" -e "$HTTP_URL" -p 1883 get
	assert_failure 2
	[[ $stderr == *"-p/--port"*"https://HOST:PORT"* ]]
	run --separate-stderr env SHADOW_PORT=1883 "$CTL" -e "$HTTP_URL" get
	assert_failure 2
}

@test "a URL endpoint with a path is a usage error" {
	hctl -e "$HTTP_URL/things" get
	assert_failure 2
	[[ $stderr == *"https://HOST[:PORT]"* ]]
}

@test "nothing listening on the URL's port exits 3" {
	local p
	p=$(free_port)
	run --separate-stderr env -u SHADOW_PORT "$CTL" -e "http://127.0.0.1:$p" get
	assert_failure 3
	[[ $stderr == *"127.0.0.1"* ]]
}

@test "set --wait over HTTP converges with a running shadowdev" {
	hctl set MOTOR=OFF
	dev_start dev -t "$T" --interval 60 --state MOTOR=OFF
	hctl set MOTOR=ON --wait --timeout 20
	assert_success
	hctl get state.reported.MOTOR -r
	assert_output "ON"
}

@test "update --wait over HTTP converges when the device already reports the value" {
	hctl set --reported MOTOR=ON
	hctl update '{"state":{"desired":{"MOTOR":"ON"}}}' --wait --timeout 5
	assert_success
}

@test "set --wait over HTTP times out with exit 4 and says what differs" {
	hctl set --reported MOTOR=OFF
	hctl set MOTOR=ON --wait --timeout 3
	assert_failure 4
	[[ $stderr == *"timed out"*"MOTOR"*'"ON"'*'"OFF"'* ]]
	# One message, not one per layer.
	assert_equal "$(echo "$stderr" | wc -l)" 1
}

@test "the MQTT transport never loads libcurl; the HTTP transport does" {
	run ldd "$CTL"
	refute_output --partial libcurl
	mctl set a=1
	run env LD_DEBUG=files "$CTL" get
	assert_success
	refute_output --partial libcurl
	run env -u SHADOW_PORT LD_DEBUG=files "$CTL" -e "$HTTP_URL" get
	assert_success
	assert_output --partial libcurl.so.4
}

@test "the README's HTTPS commands work against shadowd --http" {
	local l seen=0
	printf '[prod]\naws_access_key_id = AKIDREADME0000000001\naws_secret_access_key = readme\n' \
	    >"$HOME/.aws/credentials"
	mctl -t demo-motor set --reported MOTOR=OFF
	dev_start readme-dev -t demo-motor --interval 60
	while IFS= read -r l; do
		seen=$((seen + 1))
		l=${l//"-e https://abc123-ats.iot.eu-west-1.amazonaws.com"/-e $HTTP_URL}
		run --separate-stderr env -u SHADOW_PORT PATH="$BIN:$PATH" bash -c "$l --timeout 20"
		assert_success
	done < <(awk '/^ *```sh$/ { on = 1; next } /^ *```/ { on = 0 }
	    on && /shadowctl .*-e https:/ { sub(/^ +/, ""); print }' "$TOP/README.md")
	[ "$seen" -eq 3 ]
	hctl -t demo-motor get state.reported.MOTOR -r
	assert_output "ON"
}
