#!/usr/bin/env bats
# shadowctl: every bad input gives its exit code and a message naming the
# cause, before anything is sent when it can be checked locally.

load ../helpers/common
load ../helpers/shadowctl

setup_file() {
	stack_start
	certs_make
}

teardown_file() {
	stack_teardown
}

setup() {
	thing_per_test
}

@test "no command is a usage error" {
	ctl
	assert_failure 2
	[[ $stderr == *"no command"* ]]
}

@test "an unknown command is a usage error naming it" {
	ctl frobnicate
	assert_failure 2
	[[ $stderr == *"unknown command 'frobnicate'"* ]]
}

@test "an unknown option is a usage error naming it" {
	ctl get --frob
	assert_failure 2
	[[ $stderr == *"--frob"* ]]
}

@test "a missing thing name is a usage error that says how to give one" {
	unset SHADOW_THING
	ctl get
	assert_failure 2
	[[ $stderr == *"no thing name"*"-t NAME"* ]]
}

@test "a bad thing name is a usage error naming it" {
	ctl -t 'bad thing' get
	assert_failure 2
	[[ $stderr == *"'bad thing'"*"thing name"* ]]
	ctl -t "$(head -c 129 /dev/zero | tr '\0' a)" get
	assert_failure 2
	ctl -t 'a/b' get
	assert_failure 2
	ctl -t 'a+' get
	assert_failure 2
}

@test "a bad shadow name is a usage error naming it" {
	ctl -n 'no/slash' get
	assert_failure 2
	[[ $stderr == *"'no/slash'"* ]]
	ctl -n "$(head -c 65 /dev/zero | tr '\0' s)" get
	assert_failure 2
}

@test "a bad assignment is a usage error naming it" {
	ctl set MOTOR
	assert_failure 2
	[[ $stderr == *"'MOTOR'"*"KEY=VALUE"* ]]
	ctl set =ON
	assert_failure 2
	[[ $stderr == *"'=ON'"*"empty key"* ]]
	ctl set a..b=1
	assert_failure 2
	[[ $stderr == *"empty key segment"* ]]
}

@test "invalid JSON after := is a usage error naming the assignment" {
	ctl set speed:=4x
	assert_failure 2
	[[ $stderr == *"'speed:=4x': invalid JSON after ':='"* ]]
	ctl set s:=hello
	assert_failure 2
	[[ $stderr == *"a string needs quotes"* ]]
}

@test "set without assignments is a usage error" {
	ctl set
	assert_failure 2
	[[ $stderr == *"set needs at least one KEY=VALUE"* ]]
}

@test "invalid JSON for update is a usage error with the position" {
	ctl update '{"state":'
	assert_failure 2
	[[ $stderr == *"invalid JSON in the argument"*offset* ]]
	ctl update '{"state":{}} trailing'
	assert_failure 2
	[[ $stderr == *"unexpected text after the document"* ]]
	ctl update '[1,2]'
	assert_failure 2
	[[ $stderr == *"must be a JSON object"* ]]
	echo -n '' >"$TD/empty.json"
	ctl update -f "$TD/empty.json"
	assert_failure 2
	[[ $stderr == *"invalid JSON in $TD/empty.json: empty"* ]]
}

@test "update -f of a missing file is a usage error naming it" {
	ctl update -f "$TD/nope.json"
	assert_failure 2
	[[ $stderr == *"can't read $TD/nope.json: No such file or directory"* ]]
}

@test "an update document over 128 KiB is refused before sending, from a file or standard input" {
	# exactly the limit is read whole (and refused only as JSON)
	head -c 131072 /dev/zero | tr '\0' x >"$TD/max.json"
	ctl update -f "$TD/max.json"
	assert_failure 2
	[[ $stderr == *"invalid JSON in $TD/max.json"* ]]
	[[ $stderr != *"larger than"* ]]
	printf x >>"$TD/max.json"
	ctl update -f "$TD/max.json"
	assert_failure 2
	[[ $stderr == *"update document in $TD/max.json is larger than 131072 bytes"* ]]
	run --separate-stderr bash -c "head -c 1048576 /dev/zero | '$CTL' update -"
	assert_failure 2
	[[ $stderr == *"update document in standard input is larger than 131072 bytes"* ]]
}

@test "update takes the argument or -f, not both" {
	echo '{}' >"$TD/x.json"
	ctl update '{}' -f "$TD/x.json"
	assert_failure 2
	[[ $stderr == *"not both"* ]]
}

@test "an update the service would refuse is refused before sending" {
	ctl update '{"desired":{"a":1}}'
	assert_failure 2
	[[ $stderr == *"Missing required node: state"* ]]
	ctl update '{"state":{"desired":5}}'
	assert_failure 2
	[[ $stderr == *"Desired node must be an object"* ]]
	ctl update '{"state":{"delta":{}}}'
	assert_failure 2
	[[ $stderr == *"State contains an invalid node: 'delta'"* ]]
	ctl update '{"state":{"desired":{"a":[null]}}}'
	assert_failure 2
	ctl update '{"state":{"desired":{}},"version":"3"}'
	assert_failure 2
	[[ $stderr == *"Invalid version"* ]]
	# Nothing reached the service.
	ctl get
	assert_failure 1
}

@test "a clientToken that is too long or not a string is refused" {
	ctl update "{\"state\":{},\"clientToken\":\"$(head -c 65 /dev/zero | tr '\0' k)\"}"
	assert_failure 2
	[[ $stderr == *"clientToken must be a string of at most 64 bytes"* ]]
	ctl update '{"state":{},"clientToken":5}'
	assert_failure 2
	[[ $stderr == *"clientToken"* ]]
}

@test "state nested deeper than 6 levels is refused before sending" {
	ctl set a.b.c.d.e.f=ok
	assert_success
	ctl set a.b.c.d.e.f.g=deep
	assert_failure 2
	[[ $stderr == *"too many levels of nesting"* ]]
}

@test "a request over 8192 bytes of state is refused before sending" {
	ctl set big="$(head -c 8200 /dev/zero | tr '\0' x)"
	assert_failure 2
	[[ $stderr == *"8192"* ]]
	ctl get
	assert_failure 1
}

@test "options that do not fit the command are usage errors" {
	ctl get --reported
	assert_failure 2
	[[ $stderr == *"--reported does not apply to get"* ]]
	ctl delete --expect-version 3
	assert_failure 2
	[[ $stderr == *"--expect-version does not apply to delete"* ]]
	ctl set a=1 --all
	assert_failure 2
	ctl get -f x.json
	assert_failure 2
	ctl delete extra
	assert_failure 2
	[[ $stderr == *"unexpected argument 'extra'"* ]]
	ctl get a b
	assert_failure 2
}

@test "bad option values are usage errors" {
	ctl get --timeout abc
	assert_failure 2
	ctl get --expect-version x
	assert_failure 2
	ctl watch --count 0
	assert_failure 2
	ctl get -p 70000
	assert_failure 2
}

@test "nothing listening on the port exits 3 and says so" {
	local p
	p=$(free_port)
	ctl -p "$p" get
	assert_failure 3
	[[ $stderr == *"127.0.0.1:$p"* ]]
	[[ $stderr == *"refused"* ]]
}

@test "an unknown host exits 3 naming it" {
	ctl -e no-such-host.invalid get --timeout 2
	assert_failure 3
	[[ $stderr == *"no-such-host.invalid"* ]]
}

@test "broker up but no shadow service exits 4 with the AWS policy hint" {
	shadowd_stop
	ctl get --timeout 0.3
	assert_failure 4
	[[ $stderr == *"no answer from the shadow service on 127.0.0.1:$BROKER_PORT within 0.3 s"* ]]
	[[ $stderr == *"shadowd running"* ]]
	[[ $stderr == *"on AWS IoT a policy"* ]]
	shadowd_start
}

@test "a missing certificate file is a usage error naming it" {
	ctl --cert "$TD/none.pem" --key "$TD/certs/shadowctl/privateKey.pem" \
	    --ca "$TD/certs/ca/AmazonRootCA1.pem" get
	assert_failure 2
	[[ $stderr == *"$TD/none.pem"* ]]
}

@test "a certificate that is not PEM is a usage error naming it" {
	echo "hello" >"$TD/junk.pem"
	ctl --cert "$TD/junk.pem" --key "$TD/certs/shadowctl/privateKey.pem" \
	    --ca "$TD/certs/ca/AmazonRootCA1.pem" get
	assert_failure 2
	[[ $stderr == *"$TD/junk.pem"* ]]
}

@test "an unreadable key (a directory) is a usage error naming it" {
	ctl --cert "$TD/certs/shadowctl/certificate.pem" --key "$TD/certs" \
	    --ca "$TD/certs/ca/AmazonRootCA1.pem" get
	assert_failure 2
	[[ $stderr == *"$TD/certs"* ]]
}

@test "a key that does not match the certificate is a usage error" {
	ctl --cert "$TD/certs/shadowctl/certificate.pem" \
	    --key "$TD/certs/shadowd/privateKey.pem" \
	    --ca "$TD/certs/ca/AmazonRootCA1.pem" get
	assert_failure 2
	[[ $stderr == *"match"* ]]
}

@test "an expired certificate is a usage error naming it" {
	ctl --certs "$TD/certs/expired" get
	assert_failure 2
	[[ $stderr == *"$TD/certs/expired/certificate.pem"*"expired"* ]]
}

@test "a certificate not yet valid is a usage error naming it" {
	ctl --certs "$TD/certs/future" get
	assert_failure 2
	[[ $stderr == *"$TD/certs/future/certificate.pem"*"not valid yet"* ]]
}

@test "a missing CA file is a usage error naming it" {
	ctl --ca "$TD/no-ca.pem" get
	assert_failure 2
	[[ $stderr == *"$TD/no-ca.pem"* ]]
}
