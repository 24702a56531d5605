#!/usr/bin/env bats
# Secrets: private key files open to group or others are warned about, by
# name; --password-file keeps the password out of argv; -v/-vv output never
# shows a password or key material. A TLS broker (server certificate, client
# certificates accepted) that wants a user name and password.

load ../helpers/shadowd
load ../helpers/certs

PASSWORD='s3cr3t-Pa55-word-4711'

setup_file() {
	stack_setup
	certs_make lamp
	local conf
	conf=$(certs_broker_conf)
	sed -i '/require_certificate/d; /use_identity_as_username/d' "$conf"
	mosquitto_passwd -c -b "$TD/passwd" shadowd "$PASSWORD" >/dev/null
	mosquitto_passwd -b "$TD/passwd" shadowctl "$PASSWORD" >/dev/null
	mosquitto_passwd -b "$TD/passwd" lamp "$PASSWORD" >/dev/null
	printf '%s\n' "$PASSWORD" >"$TD/pw"
	chmod 600 "$TD/pw"
	{ echo "password_file $TD/passwd"; echo "allow_anonymous false"; } >>"$conf"
	broker_start "$conf"
	echo "$BROKER_PID" >"$TD/broker.pid"
	shadowd_start --ca "$CERTS/ca/AmazonRootCA1.pem" -u shadowd --password-file "$TD/pw"
	echo "$SHADOWD_PID" >"$TD/shadowd.pid"
	# a copy of lamp's files whose key mode each test sets
	mkdir -p "$TD/lamp"
	cp "$CERTS/lamp/"*.pem "$TD/lamp/"
}
teardown_file() { stack_teardown; }
setup() { chmod 600 "$TD/lamp/privateKey.pem"; }

ctl() {
	"$BIN/shadowctl" --certs "$TD/lamp" -u lamp --password-file "$TD/pw" -t lamp -c "$@"
}

@test "the broker wants the password: without it shadowctl is refused (exit 3)" {
	run "$BIN/shadowctl" --certs "$TD/lamp" -u lamp -t lamp --timeout 3 get
	assert_failure 3
	assert_output --partial "not authorised"
}

@test "a private key readable by others: a warning naming the file, and the command works" {
	ctl set --reported on:=true >/dev/null
	chmod 644 "$TD/lamp/privateKey.pem"
	run --separate-stderr ctl get state.reported.on
	assert_success
	assert_output true
	[[ "$stderr" == *"private key $TD/lamp/privateKey.pem is readable by others (mode 0644)"* ]]
}

@test "a private key readable by its group is warned about too; mode 600 is not" {
	ctl set --reported on:=true >/dev/null
	chmod 640 "$TD/lamp/privateKey.pem"
	run --separate-stderr ctl get state.reported.on
	assert_success
	[[ "$stderr" == *"$TD/lamp/privateKey.pem"*"(mode 0640)"* ]]
	chmod 600 "$TD/lamp/privateKey.pem"
	run --separate-stderr ctl get state.reported.on
	assert_success
	[ -z "$stderr" ]
}

@test "shadowdev and shadowd warn about an open private key file as well" {
	chmod 644 "$TD/lamp/privateKey.pem"
	run --separate-stderr "$BIN/shadowdev" --certs "$TD/lamp" -u lamp --password-file "$TD/pw" -t lamp --duration 0.5 --interval 10 run
	assert_success
	[[ "$stderr" == *"private key $TD/lamp/privateKey.pem is readable by others"* ]]
	run "$BIN/shadowd" --certs "$TD/lamp" --data-dir "$TD/sd-keymode" -u lamp --password-file "$TD/pw" -p 1
	assert_failure 3
	assert_output --partial "private key $TD/lamp/privateKey.pem is readable by others"
}

@test "--password-file: the password is used and is not in the command line of a running watch" {
	local id=watch-pw-$RANDOM pid
	"$BIN/shadowctl" --certs "$TD/lamp" -u lamp --password-file "$TD/pw" -t lamp -i "$id" \
	    watch --timeout 10 >"$TD/watch-pw.out" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_subscribed "$id"
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$TD/cmdline"
	grep -qF -- "--password-file $TD/pw" "$TD/cmdline"
	run grep -F -- "$PASSWORD" "$TD/cmdline"
	assert_failure 1
	local args; args=$(ps -ww -o args= -p "$pid")
	[[ $args == *"--password-file $TD/pw"* ]]
	[[ $args != *"$PASSWORD"* ]]
	ctl set x:=1 >/dev/null
	wait_for_line "$TD/watch-pw.out" '"event":"update/accepted"' 5
	kill -INT "$pid"
	wait "$pid"
	run grep -F -- "$PASSWORD" "$TD/watch-pw.out"
	assert_failure 1
}

@test "a wrong password in the file is refused: exit 3 naming the cause, the password not shown" {
	printf 'not-the-password\n' >"$TD/pw-wrong"
	run "$BIN/shadowctl" --certs "$TD/lamp" -u lamp --password-file "$TD/pw-wrong" -t lamp --timeout 3 -vv get
	assert_failure 3
	assert_output --partial "refused the connection"
	refute_output --partial "not-the-password"
}

# no_secrets FILE: neither the password nor any line of the key is in FILE.
no_secrets() {
	local line
	[ -s "$1" ] || { echo "$1 is empty: nothing was checked" >&2; return 1; }
	if grep -qF -- "$PASSWORD" "$1"; then echo "password in $1" >&2; return 1; fi
	if grep -q 'PRIVATE KEY' "$1"; then echo "key material in $1" >&2; return 1; fi
	while read -r line; do
		case $line in -----*) continue ;; esac
		if grep -qF -- "$line" "$1"; then echo "key line in $1" >&2; return 1; fi
	done <"$TD/lamp/privateKey.pem"
}

@test "-v and -vv never print the password or key material: shadowctl, shadowdev, shadowd" {
	local v
	for v in -v -vv; do
		ctl "$v" set --reported "v:=1" >"$TD/ctl$v.log" 2>&1
		ctl "$v" get >>"$TD/ctl$v.log" 2>&1
		"$BIN/shadowdev" --certs "$TD/lamp" -u lamp --password-file "$TD/pw" -t lamp \
		    --duration 1 --interval 0.2 "$v" run >"$TD/dev$v.log" 2>&1
		"$BIN/shadowd" --certs "$TD/lamp" --data-dir "$TD/sd$v" -u shadowd \
		    --password-file "$TD/pw" -i "sd-verbose$v" "$v" >"$TD/sd$v.log" 2>&1 &
		local pid=$!
		track_pid "$pid"
		wait_for_line "$TD/sd$v.log" ready 10
		# a request for the verbose shadowd to log (no such shadow: exit 1)
		run "$BIN/shadowctl" --ca "$CERTS/ca/AmazonRootCA1.pem" -u shadowctl --password-file "$TD/pw" \
		    -t other -c get
		assert_equal "$status" 1
		kill -TERM "$pid"
		wait "$pid"
		# the logs have something to say, and no secret
		[ "$(wc -l <"$TD/ctl$v.log")" -ge 2 ]
		[ "$(wc -l <"$TD/dev$v.log")" -ge 2 ]
		grep -q ready "$TD/sd$v.log"
		no_secrets "$TD/ctl$v.log"
		no_secrets "$TD/dev$v.log"
		no_secrets "$TD/sd$v.log"
	done
	grep -q 'mosquitto:' "$TD/ctl-vv.log"
}
