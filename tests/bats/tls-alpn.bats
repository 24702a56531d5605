#!/usr/bin/env bats
# What shadowctl and shadowdev offer in the TLS handshake (ALPN), seen on
# the wire by "openssl s_server -alpn": on port 443 x-amzn-mqtt-ca with a
# client certificate and mqtt with a user name, as AWS IoT Core expects;
# nothing on other ports unless --alpn says so.
#
# Port 443 needs privileges: the suite runs in a network namespace of its
# own (unshare -rn: a private loopback where an unprivileged user may bind
# 443), or, as root without user namespaces, on the host's 127.0.0.1:443.

bats_require_minimum_version 1.5.0
load ../helpers/common
load ../helpers/certs

setup_file() {
	stack_setup
	certs_make dev
	if unshare -rn true 2>/dev/null; then
		export NETNS=private
	elif [ "$(id -u)" = 0 ] && ! port_open 443; then
		export NETNS=host
	else
		export NETNS=none
	fi
}

teardown_file() { stack_teardown; }

# on_wire PORT CLIENT ARGS...: run CLIENT (shadowctl or shadowdev) with
# ARGS against an s_server on 127.0.0.1:PORT and print the ALPN lines the
# server logged, and its count of completed handshakes. The client cannot get an MQTT answer from s_server; it is
# stopped once the handshake is logged.
on_wire() {
	[ "$NETNS" != none ] ||
		skip "port 443 needs root or user namespaces (unshare -rn)"
	local port=$1 prog=$2 wrap=()
	shift 2
	[ "$NETNS" = private ] && wrap=(unshare -rn)
	export BIN
	"${wrap[@]}" bash -c '
		set -u
		ip link set lo up 2>/dev/null || [ "$NETNS" = host ] || exit 9
		log=$TD/s_server.$BATS_TEST_NUMBER.log
		openssl s_server -www -naccept 1 -accept "127.0.0.1:$0" \
		    -alpn x-amzn-mqtt-ca,mqtt -verify 1 \
		    -cert "$CERTS/broker/certificate.pem" \
		    -key "$CERTS/broker/privateKey.pem" \
		    -CAfile "$CERTS/broker/AmazonRootCA1.pem" </dev/null >"$log" 2>&1 &
		server=$!
		for i in $(seq 1 200); do grep -q ACCEPT "$log" && break; sleep 0.05; done
		"$BIN/$1" -e 127.0.0.1 -p "$0" "${@:2}" >"$log.client" 2>&1 &
		client=$!
		for i in $(seq 1 200); do kill -0 "$server" 2>/dev/null || break; sleep 0.05; done
		kill -TERM "$client" "$server" 2>/dev/null
		wait "$client"
		wait "$server"
		grep -E "^ALPN|server accepts that finished" "$log"
	' "$port" "$prog" "$@"
}

@test "shadowctl on port 443 with a client certificate offers x-amzn-mqtt-ca" {
	run on_wire 443 shadowctl --certs "$CERTS/shadowctl" -t dev get --timeout 2
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	assert_line "ALPN protocols advertised by the client: x-amzn-mqtt-ca"
	assert_line "ALPN protocols selected: x-amzn-mqtt-ca"
}

@test "shadowctl on port 443 with a user name offers mqtt" {
	run on_wire 443 shadowctl --ca "$CERTS/broker/AmazonRootCA1.pem" -u authorizer-user -P secret -t dev get --timeout 2
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	assert_line "ALPN protocols advertised by the client: mqtt"
}

@test "shadowdev on port 443 with a client certificate offers x-amzn-mqtt-ca" {
	run on_wire 443 shadowdev --certs "$CERTS/dev" -t dev run
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	assert_line "ALPN protocols advertised by the client: x-amzn-mqtt-ca"
}

@test "shadowdev on port 443 with a user name offers mqtt" {
	run on_wire 443 shadowdev --ca "$CERTS/broker/AmazonRootCA1.pem" -u authorizer-user -P secret -t dev run
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	assert_line "ALPN protocols advertised by the client: mqtt"
}

@test "on another port the tools offer no ALPN" {
	run on_wire 8883 shadowctl --certs "$CERTS/shadowctl" -t dev get --timeout 2
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	refute_line --partial "ALPN protocols advertised"
}

@test "--alpn offers the given protocol on any port" {
	run on_wire 8883 shadowctl --certs "$CERTS/shadowctl" --alpn mqtt -t dev get --timeout 2
	assert_success
	assert_line --regexp '^ +1 server accepts that finished$'
	assert_line "ALPN protocols advertised by the client: mqtt"
}
