#!/usr/bin/env bats
# The bats library for users' CI (contrib/bats/shadow.bash, installed as
# $(PREFIX)/share/shadow-tools/bats/shadow.bash): the example test file of
# the README runs green, failures say what differed, everything it starts
# is stopped.

bats_require_minimum_version 1.5.0
load ../helpers/common

setup_file() { stack_setup; }
teardown_file() { stack_teardown; }

LIB=$TOP/contrib/bats/shadow.bash

# user_test NAME: write stdin as a user's test file $TD/NAME.bats that
# loads the library from the source tree ("@TEST" stands for bats' test
# keyword, which bats would otherwise take for one of this file); runs it with SHADOW_TEST_DIR in
# $TD/NAME so the pids it started can be checked afterwards.
user_test() {
	sed -e "s|^load /usr/share/shadow-tools/bats/shadow.bash|load $LIB|" \
	    -e 's/^@TEST /@test /' >"$TD/$1.bats"
	mkdir -p "$TD/$1"
	run env -u SHADOW_BROKER_PORT SHADOW_TEST_DIR="$TD/$1" bats --tap "$TD/$1.bats"
}

# all_stopped NAME: no process the user's test started is still running.
all_stopped() {
	local p n=0
	while read -r p; do
		n=$((n + 1))
		if kill -0 "$p" 2>/dev/null; then echo "pid $p still runs"; return 1; fi
	done < <(cat "$TD/$1/pids.all")
	[ "$n" -ge 2 ]
}

# A copy of every pid the stack tracked, kept by a wrapper around
# shadow_track_pid (the library empties its list when it stops the stack).
TRACK='shadow_track_pid() { echo "$1" >>"$SHADOW_TEST_DIR/pids"; echo "$1" >>"$SHADOW_TEST_DIR/pids.all"; }'

@test "the example test file runs green against a private stack and stops it" {
	user_test example < <(cat "$TOP/contrib/bats/example.bats"; echo "$TRACK")
	assert_success
	assert_line "ok 1 the lamp reports what it was asked to do"
	assert_line "ok 2 set --wait returns once the lamp has reported"
	refute_line --partial "not ok"
	all_stopped example
}

@test "the README shows the example test file as it is shipped" {
	run awk '/^```bats$/ { on = 1; next } /^```/ { on = 0 } on' "$TOP/README.md"
	assert_success
	assert_output "$(cat "$TOP/contrib/bats/example.bats")"
}

@test "a device of the user's own, started with shadow_spawn, is tested the same way" {
	cat >"$TD/my-device" <<'DEV'
#!/bin/sh
# reports whatever MOTOR was last desired, as a real device would
while :; do
	want=$(shadowctl -t pump get state.desired.MOTOR -r 2>/dev/null)
	[ -n "$want" ] && shadowctl -t pump set --reported MOTOR="$want" >/dev/null
	sleep 0.2
done
DEV
	chmod +x "$TD/my-device"
	user_test own <<EOF2
load /usr/share/shadow-tools/bats/shadow.bash
$TRACK
setup_file() { shadow_stack_start; shadow_spawn pump $TD/my-device; }
teardown_file() { shadow_stack_stop; }
@TEST "pump follows" {
	[ "\$SHADOW_ENDPOINT" = 127.0.0.1 ]
	[ "\$SHADOW_PORT" != 1883 ]
	shadowctl -t pump set MOTOR=ON
	shadow_wait_reported pump MOTOR ON
	assert_shadow -t pump state.reported.MOTOR ON
}
EOF2
	assert_success
	assert_line "ok 1 pump follows"
	all_stopped own
}

@test "assert_shadow names the path, the expected and the actual value" {
	user_test differs <<EOF2
load /usr/share/shadow-tools/bats/shadow.bash
setup_file() { shadow_stack_start; }
teardown_file() { shadow_stack_stop; }
@TEST "wrong" {
	shadowctl -t lamp set colour=red
	assert_shadow -t lamp state.desired.colour blue
}
EOF2
	assert_failure
	assert_line "not ok 1 wrong"
	assert_line "# path     : state.desired.colour"
	assert_line "# expected : blue"
	assert_line "# actual   : red"
}

@test "shadow_wait_reported gives up after SHADOW_WAIT_TIMEOUT and says what it saw" {
	user_test timeout <<EOF2
load /usr/share/shadow-tools/bats/shadow.bash
setup_file() { shadow_stack_start; shadow_device_start lamp --state MOTOR=OFF; }
teardown_file() { shadow_stack_stop; }
@TEST "never" {
	SHADOW_WAIT_TIMEOUT=1
	shadowctl -t lamp set colour=red
	shadow_wait_reported lamp colour red
}
EOF2
	assert_failure
	assert_line "not ok 1 never"
	assert_line --partial "lamp: state.reported.colour is '' after 1 s, expected 'red'"
}

@test "shadow_stack_start fails clearly when shadowd cannot start" {
	user_test nostart <<EOF2
load /usr/share/shadow-tools/bats/shadow.bash
setup_file() { shadow_stack_start --no-such-option; }
teardown_file() { shadow_stack_stop; }
@TEST "unreached" { true; }
EOF2
	assert_failure
	assert_output --partial "no-such-option"
	run cat "$TD/nostart/pids"
	assert_output ""
}
