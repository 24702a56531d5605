#!/usr/bin/env bats
# TLS to a broker whose certificate is signed by the right CA but does not
# name the host used (it names elsewhere.invalid; we connect to 127.0.0.1 and
# localhost): refused with exit 3 and the reason, unless --insecure (flag or
# config file), for shadowctl, shadowdev and shadowd. The broker has a plain
# listener for the shadowd that answers, and the mutual-TLS one under test.

load ../helpers/common
load ../helpers/certs

setup_file() {
	stack_setup
	certs_make lamp
	certs_make_misnamed misnamed
	export TLS_PORT
	TLS_PORT=$(free_port)
	cat >"$TD/tls.conf" <<CONF
listener $TLS_PORT 127.0.0.1
cafile $CERTS/ca/AmazonRootCA1.pem
certfile $CERTS/misnamed/certificate.pem
keyfile $CERTS/misnamed/privateKey.pem
require_certificate true
CONF
	broker_start "$TD/tls.conf"
	wait_port "$TLS_PORT"
	shadowd_start
}
teardown_file() { stack_teardown; }

setup() {
	T="tls${BATS_TEST_NUMBER}-$$"
	mkdir -p "$XDG_CONFIG_HOME/shadow"
	rm -f "$XDG_CONFIG_HOME/shadow/config"
}

# tls_ctl ARGS...: shadowctl over the misnamed TLS listener as the operator.
tls_ctl() {
	run --separate-stderr "$BIN/shadowctl" -p "$TLS_PORT" --certs "$CERTS/shadowctl" \
	    -t "$T" -c --timeout 5 "$@"
}

# plain_get PATH: read $T over the plain listener (what was stored).
plain_get() {
	run --separate-stderr "$BIN/shadowctl" -t "$T" -c get "$@"
}

# name_refused: $status/$stderr of a client that refused the broker's name.
name_refused() {
	assert_equal "$status" 3
	[[ $stderr == *"TLS handshake with "*":$TLS_PORT failed: host name verification failed"* ]]
	[ -z "$output" ]
}

@test "the certificate does not name 127.0.0.1: refused with exit 3 and the TLS reason, nothing stored" {
	tls_ctl -e 127.0.0.1 set a=1
	name_refused
	plain_get
	assert_failure 1
}

@test "nor localhost: refused by host name too" {
	tls_ctl -e localhost set a=1
	name_refused
}

@test "--insecure: accepted over TLS, the value stored" {
	tls_ctl -e 127.0.0.1 --insecure set a=1
	assert_success
	assert_output --partial '"version":1'
	plain_get state.desired.a
	assert_success
	assert_output '"1"'
}

@test "--insecure does not skip the CA check: another CA is still refused" {
	certs_make_other() { "$TOP/certs.example/make-certs.sh" "$TD/other" >/dev/null; }
	certs_make_other
	run --separate-stderr "$BIN/shadowctl" -e 127.0.0.1 -p "$TLS_PORT" --insecure \
	    --ca "$TD/other/ca/AmazonRootCA1.pem" --cert "$CERTS/shadowctl/certificate.pem" \
	    --key "$CERTS/shadowctl/privateKey.pem" -t "$T" --timeout 5 set a=1
	assert_equal "$status" 3
	[[ $stderr == *"certificate verify failed"* ]]
}

@test "insecure = true in the config file works like --insecure" {
	# the environment names the plain listener and would win over the file
	unset SHADOW_ENDPOINT SHADOW_PORT
	printf '[default]\nendpoint = 127.0.0.1\nport = %s\ncerts = %s\ninsecure = true\n' \
	    "$TLS_PORT" "$CERTS/shadowctl" >"$XDG_CONFIG_HOME/shadow/config"
	run --separate-stderr "$BIN/shadowctl" -t "$T" -c set b=2
	assert_success
	printf '[default]\nendpoint = 127.0.0.1\nport = %s\ncerts = %s\n' \
	    "$TLS_PORT" "$CERTS/shadowctl" >"$XDG_CONFIG_HOME/shadow/config"
	run --separate-stderr "$BIN/shadowctl" -t "$T" -c --timeout 5 set b=3
	name_refused
	export SHADOW_ENDPOINT=127.0.0.1 SHADOW_PORT=$BROKER_PORT
	rm "$XDG_CONFIG_HOME/shadow/config"
	plain_get state.desired.b
	assert_output '"2"'
}

@test "shadowdev: refused without --insecure (retried, nothing reported), works with it" {
	run --separate-stderr "$BIN/shadowdev" -e 127.0.0.1 -p "$TLS_PORT" --certs "$CERTS/lamp" \
	    -t "$T" --duration 1 --interval 10 --state MOTOR=OFF run
	assert_success
	[[ $stderr == *"host name verification failed"* ]]
	refute_output --partial reported
	run --separate-stderr "$BIN/shadowdev" -e 127.0.0.1 -p "$TLS_PORT" --certs "$CERTS/lamp" \
	    --insecure -t "$T" --duration 0.5 --interval 10 --state MOTOR=OFF run
	assert_success
	assert_output --partial reported
	plain_get state.reported.MOTOR
	assert_output '"OFF"'
}

@test "shadowd: exits 3 without --insecure, serves with it" {
	local pid rc=0
	run --separate-stderr timeout 20 "$BIN/shadowd" -e 127.0.0.1 -p "$TLS_PORT" \
	    --certs "$CERTS/shadowd" --data-dir "$TD/sd2" -i sd-tls2
	assert_equal "$status" 3
	[[ $stderr == *"host name verification failed"* ]]
	"$BIN/shadowd" -e 127.0.0.1 -p "$TLS_PORT" --certs "$CERTS/shadowd" --insecure \
	    --data-dir "$TD/sd3" -i sd-tls3 >"$TD/sd3.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/sd3.log" "ready" 10
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
}
