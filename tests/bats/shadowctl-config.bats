#!/usr/bin/env bats
# shadowctl: profiles, the config file, precedence (flag > env > file), and
# TLS with client certificates against a mosquitto mTLS listener.

load ../helpers/common
load ../helpers/shadowctl

setup_file() {
	stack_setup
	tls_broker_start
	shadowd_start
}

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
	unset SHADOW_THING SHADOW_ENDPOINT SHADOW_PORT SHADOW_PROFILE SHADOW_CONFIG
	mkdir -p "$XDG_CONFIG_HOME/shadow"
	CONF=$XDG_CONFIG_HOME/shadow/config
	local c=$TD/certs/shadowctl
	cat >"$CONF" <<EOF
# the local default: plain MQTT
[default]
endpoint = 127.0.0.1
port = $BROKER_PORT
thing = $T

[other]
endpoint = 127.0.0.1
port = $BROKER_PORT
thing = $T-other

# like AWS IoT: a folder with the console's file names
[mtls]
endpoint = 127.0.0.1
port = $TLS_PORT
certs = $c
thing = $T
EOF
}

@test "the default profile gives endpoint, port and thing" {
	ctl set a=1
	assert_success
	"$CTL" -t "$T" -e 127.0.0.1 -p "$BROKER_PORT" get -r state.desired.a >"$TD/a"
	[ "$(cat "$TD/a")" = 1 ]
}

@test "--profile picks another section" {
	ctl --profile other set b=2
	assert_success
	ctl -t "$T-other" get -r state.desired.b
	assert_output 2
}

@test "SHADOW_PROFILE picks a section; --profile wins over it" {
	SHADOW_PROFILE=other ctl set c=3
	assert_success
	ctl -t "$T-other" get -r state.desired.c
	assert_output 3
	SHADOW_PROFILE=other ctl --profile default set d=4
	ctl get -r state.desired.d
	assert_output 4
}

@test "an environment variable wins over the file, a flag over both" {
	ctl set e=file
	assert_success
	SHADOW_THING=$T-env ctl set e=env
	assert_success
	SHADOW_THING=$T-env ctl -t "$T-flag" set e=flag
	assert_success
	ctl -t "$T-env" get -r state.desired.e
	assert_output env
	ctl -t "$T-flag" get -r state.desired.e
	assert_output flag
	ctl get -r state.desired.e
	assert_output file
}

@test "SHADOW_PORT wins over the file's port" {
	SHADOW_PORT=1 ctl get
	assert_failure 3
	SHADOW_PORT=1 ctl -p "$BROKER_PORT" set f=1
	assert_success
}

@test "--config names another file; a missing one is a usage error" {
	cp "$CONF" "$TD/alt.conf"
	mv "$CONF" "$CONF.off"
	ctl --config "$TD/alt.conf" set g=1
	assert_success
	SHADOW_CONFIG=$TD/alt.conf ctl get -r state.desired.g
	assert_output 1
	ctl --config "$TD/missing.conf" get
	assert_failure 2
	[[ $stderr == *"$TD/missing.conf"* ]]
	mv "$CONF.off" "$CONF"
}

@test "an unknown key in the config file is a usage error naming file and line" {
	printf '[default]\nthing = x\nbogus = 1\n' >"$TD/bad.conf"
	ctl --config "$TD/bad.conf" get
	assert_failure 2
	[[ $stderr == *"$TD/bad.conf"*3* ]]
	[[ $stderr == *bogus* ]]
}

@test "a profile that is not in the file is a usage error" {
	ctl --profile nosuch get
	assert_failure 2
	[[ $stderr == *nosuch* ]]
}

@test "mTLS: a client certificate from --certs DIR works" {
	ctl --profile mtls set tls=yes
	assert_success
	ctl --profile mtls get -r state.desired.tls
	assert_output yes
}

@test "mTLS: --ca, --cert and --key work" {
	local c=$TD/certs/shadowctl
	ctl -e 127.0.0.1 -p "$TLS_PORT" --ca "$c/AmazonRootCA1.pem" \
	    --cert "$c/certificate.pem" --key "$c/privateKey.pem" set k=v
	assert_success
}

@test "mTLS: SHADOW_CERTS gives the folder" {
	SHADOW_CERTS=$TD/certs/shadowctl ctl -p "$TLS_PORT" set env=certs
	assert_success
}

@test "mTLS: the wrong CA exits 3 with the TLS reason" {
	local c=$TD/certs/shadowctl
	ctl -e 127.0.0.1 -p "$TLS_PORT" --ca "$TD/other/ca/AmazonRootCA1.pem" \
	    --cert "$c/certificate.pem" --key "$c/privateKey.pem" get
	assert_failure 3
	[[ $stderr == *"certificate verify failed"* ]]
}

@test "mTLS: a certificate from another CA is refused by the broker, exit 3" {
	local o=$TD/other/shadowctl
	ctl -e 127.0.0.1 -p "$TLS_PORT" --ca "$TD/certs/ca/AmazonRootCA1.pem" \
	    --cert "$o/certificate.pem" --key "$o/privateKey.pem" get
	assert_failure 3
	[ -n "$stderr" ]
}

@test "mTLS: the broker is reached by host name, and with --insecure" {
	local c=$TD/certs/shadowctl
	ctl -e localhost -p "$TLS_PORT" --certs "$c" set byname=1
	assert_success
	ctl -e 127.0.0.1 -p "$TLS_PORT" --certs "$c" --insecure set insecure=1
	assert_success
}

@test "TLS to a plain listener fails with exit 3" {
	ctl --certs "$TD/certs/shadowctl" -p "$BROKER_PORT" get --timeout 2
	assert_failure 3
}

@test "lines before the first section apply to every profile; the profile wins" {
	printf 'thing = %s-global\nendpoint = 127.0.0.1\nport = %s\n[a]\n[b]\nthing = %s-b\n' \
	    "$T" "$BROKER_PORT" "$T" >"$TD/global.conf"
	ctl --config "$TD/global.conf" --profile a set w=a
	assert_success
	ctl --config "$TD/global.conf" --profile b set w=b
	assert_success
	ctl -t "$T-global" get -r state.desired.w
	assert_output a
	ctl -t "$T-b" get -r state.desired.w
	assert_output b
}

@test "a file's compact and timeout become shadowctl defaults" {
	printf '[default]\nendpoint = 127.0.0.1\nport = %s\nthing = %s\ncompact = true\ntimeout = 0.5\n' \
	    "$BROKER_PORT" "$T" >"$TD/compact.conf"
	ctl --config "$TD/compact.conf" set c=1
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c .state <<<"$output")" = '{"desired":{"c":"1"}}' ]
	# no device reports: --wait gives up after the file's 0.5 s, not the
	# default 10 s
	ctl --config "$TD/compact.conf" set c=2 --wait
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	[[ $stderr == *"--wait: timed out after 0.5 s; still different: c (desired \"2\", reported absent)"* ]]
	# the command line wins over the file
	ctl --config "$TD/compact.conf" set c=3 --wait --timeout 0.3
	assert_failure 4
	[[ $stderr == *"timed out after 0.3 s"* ]]
}
