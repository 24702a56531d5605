#!/usr/bin/env bats
# A broker that wants a user name and password (plain MQTT, anonymous
# clients refused): the credentials reach it from -u/-P, --password-file,
# the config file and the environment, for shadowctl, shadowdev and shadowd.
# A wrong or missing password is refused with exit 3 and nothing is stored.
# Since the broker refuses anonymous clients, every "accepted" test here
# fails when the credentials are not sent.

load ../helpers/common

PASSWORD='pl41n-Pa55-0815'

setup_file() {
	stack_setup
	mosquitto_passwd -c -b "$TD/passwd" shadowd "$PASSWORD" >/dev/null
	mosquitto_passwd -b "$TD/passwd" lamp "$PASSWORD" >/dev/null
	printf '%s\n' "$PASSWORD" >"$TD/pw"
	printf 'not-the-password\n' >"$TD/pw-wrong"
	chmod 600 "$TD/pw" "$TD/pw-wrong"
	{ echo "password_file $TD/passwd"; echo "allow_anonymous false"; } >"$TD/auth.conf"
	broker_start "$TD/auth.conf"
	shadowd_start -u shadowd --password-file "$TD/pw"
}
teardown_file() { stack_teardown; }

setup() {
	T="pw${BATS_TEST_NUMBER}-$$"
	mkdir -p "$XDG_CONFIG_HOME/shadow"
	rm -f "$XDG_CONFIG_HOME/shadow/config"
}

# as_lamp ARGS...: shadowctl with the right credentials (password file).
as_lamp() {
	run --separate-stderr "$BIN/shadowctl" -u lamp --password-file "$TD/pw" \
	    -t "$T" -c "$@"
}

# stored_is JSON: the shadow of $T holds desired JSON (read with the right
# credentials).
stored_is() {
	as_lamp get state.desired
	assert_success
	assert_output "$1"
}

# nothing_stored: $T has no shadow (a refused client stored nothing).
nothing_stored() {
	as_lamp get
	assert_failure 1
	[[ $stderr == *"No shadow exists"* ]]
}

# refused: $status and $stderr of a client the broker turned away.
refused() {
	assert_equal "$status" 3
	[[ $stderr == *"not authorised"* || $stderr == *"bad username or password"* ]]
	[[ $stderr != *"$PASSWORD"* && $stderr != *not-the-password* ]]
	[ -z "$output" ]
}

@test "no credentials: refused with exit 3 'not authorised', nothing stored" {
	run --separate-stderr "$BIN/shadowctl" -t "$T" --timeout 3 set a=1
	refused
	[[ $stderr == *"not authorised"* ]]
	nothing_stored
}

@test "-u and -P: accepted, the value stored, the broker saw the user name" {
	run --separate-stderr "$BIN/shadowctl" -u lamp -P "$PASSWORD" -t "$T" -c set a=1
	assert_success
	assert_output --partial '"version":1'
	stored_is '{"a":"1"}'
	run grep -F "u'lamp'" "$TD/broker/mosquitto.log"
	assert_success
}

@test "-P with a wrong password: exit 3 naming the cause, the password not shown, nothing stored" {
	run --separate-stderr "$BIN/shadowctl" -u lamp -P not-the-password -t "$T" \
	    --timeout 3 -vv set a=1
	refused
	nothing_stored
}

@test "-u without a password is refused, nothing stored" {
	run --separate-stderr "$BIN/shadowctl" -u lamp -t "$T" --timeout 3 set a=1
	refused
	nothing_stored
}

@test "-P without -u is a usage error that says what to add" {
	run --separate-stderr "$BIN/shadowctl" -P "$PASSWORD" -t "$T" set a=1
	assert_failure 2
	[[ $stderr == *"needs a user name"* ]]
	[[ $stderr != *"$PASSWORD"* ]]
	nothing_stored
}

@test "--password-file: accepted and stored; a wrong one refused" {
	as_lamp set b=2
	assert_success
	stored_is '{"b":"2"}'
	run --separate-stderr "$BIN/shadowctl" -u lamp --password-file "$TD/pw-wrong" \
	    -t "$T" -c --timeout 3 set b=3
	refused
	stored_is '{"b":"2"}'
}

@test "config file: username and password of the profile are sent; a wrong one is refused" {
	cat >"$XDG_CONFIG_HOME/shadow/config" <<EOF
[default]
username = lamp
password = $PASSWORD
[filed]
username = lamp
password-file = $TD/pw
[wrong]
username = lamp
password = not-the-password
EOF
	run --separate-stderr "$BIN/shadowctl" -t "$T" -c set c=1
	assert_success
	run --separate-stderr "$BIN/shadowctl" --profile filed -t "$T" -c set d=1
	assert_success
	stored_is '{"c":"1","d":"1"}'
	run --separate-stderr "$BIN/shadowctl" --profile wrong -t "$T" -c --timeout 3 set e=1
	refused
	stored_is '{"c":"1","d":"1"}'
}

@test "SHADOW_USERNAME and SHADOW_PASSWORD are sent; -P on the command line wins over them" {
	SHADOW_USERNAME=lamp SHADOW_PASSWORD=$PASSWORD \
	    run --separate-stderr "$BIN/shadowctl" -t "$T" -c set f=1
	assert_success
	stored_is '{"f":"1"}'
	SHADOW_USERNAME=lamp SHADOW_PASSWORD=$PASSWORD \
	    run --separate-stderr "$BIN/shadowctl" -P not-the-password -t "$T" -c --timeout 3 set f=2
	refused
	SHADOW_USERNAME=lamp SHADOW_PASSWORD=not-the-password \
	    run --separate-stderr "$BIN/shadowctl" -P "$PASSWORD" -t "$T" -c set f=3
	assert_success
	stored_is '{"f":"3"}'
}

@test "shadowdev: -u/-P reach the broker and the report is stored; without them it is refused (retried) and stores nothing" {
	# a broker that refuses is retried, not fatal (man shadowdev)
	run --separate-stderr "$BIN/shadowdev" -t "$T" --duration 1 --interval 10 \
	    --state MOTOR=OFF run
	assert_success
	[[ $stderr == *"not authorised"* ]]
	refute_output --partial reported
	nothing_stored
	run --separate-stderr "$BIN/shadowdev" -u lamp -P "$PASSWORD" -t "$T" \
	    --duration 0.3 --interval 10 --state MOTOR=OFF run
	assert_success
	as_lamp get state.reported.MOTOR
	assert_success
	assert_output '"OFF"'
}

@test "shadowd: -u/-P reach the broker (ready); a wrong password exits 3 naming the cause" {
	local pid
	"$BIN/shadowd" --data-dir "$TD/sd2" -i sd-pw2 -u shadowd -P "$PASSWORD" \
	    >"$TD/sd2.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/sd2.log" "ready" 10
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	run --separate-stderr timeout 20 "$BIN/shadowd" --data-dir "$TD/sd3" -i sd-pw3 \
	    -u shadowd -P not-the-password
	assert_equal "$status" 3
	[[ $stderr == *"not authorised"* || $stderr == *"bad username or password"* ]]
	[[ $stderr != *not-the-password* ]]
}
