#!/usr/bin/env bats
# The systemd units (contrib/systemd) as make install writes them: clean
# under systemd-analyze verify, hardened as shadowd(8) describes, and shadowd
# telling systemd when it is ready (Type=notify).

bats_require_minimum_version 1.5.0
load ../helpers/common

setup_file() {
	stack_setup
	run make -s -C "$TOP" install DESTDIR="$TD/root" PREFIX=/usr \
	    SYSTEMDUNITDIR=/lib/systemd/system BUILD="${BUILD:-build}"
	assert_success
	export UNITS=$TD/root/lib/systemd/system
	# verify looks up the Documentation= man pages and the ExecStart= binary
	export MANPATH=$TD/root/usr/share/man
	broker_start
}

teardown_file() { stack_teardown; }

# verify UNIT: systemd-analyze verify on the installed unit, with its
# ExecStart= pointed at the installed tree.
verify() {
	local dir=$TD/verify
	mkdir -p "$dir"
	sed "s|/usr/bin/|$TD/root/usr/bin/|" "$UNITS/${1/@*./@.}" >"$dir/${1/@*./@.}"
	run systemd-analyze verify "$dir/$1"
}

@test "shadowd.service passes systemd-analyze verify without a message" {
	verify shadowd.service
	assert_success
	assert_output ""
}

@test "shadowdev@.service passes systemd-analyze verify for an instance" {
	verify shadowdev@demo-motor.service
	assert_success
	assert_output ""
}

@test "systemd-analyze verify reports a unit whose program is missing" {
	mkdir -p "$TD/broken"
	sed "s|/usr/bin/shadowd|$TD/nowhere/shadowd|" "$UNITS/shadowd.service" >"$TD/broken/shadowd.service"
	run systemd-analyze verify "$TD/broken/shadowd.service"
	assert_failure
	assert_output --partial "nowhere/shadowd"
}

@test "shadowd.service keeps its data in StateDirectory, under a dynamic user, hardened" {
	local u=$UNITS/shadowd.service
	run grep -E '^(Type|DynamicUser|StateDirectory|ProtectSystem|NoNewPrivileges|PrivateTmp|RestrictAddressFamilies|EnvironmentFile)=' "$u"
	assert_output - <<'EOF2'
Type=notify
EnvironmentFile=-/etc/default/shadowd
DynamicUser=yes
StateDirectory=shadowd
ProtectSystem=strict
PrivateTmp=yes
NoNewPrivileges=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
EOF2
	run grep '^ExecStart=' "$u"
	assert_output 'ExecStart=/usr/bin/shadowd --data-dir ${STATE_DIRECTORY} $SHADOWD_OPTS'
}

@test "shadowdev@.service runs the instance name as the thing" {
	run grep -E '^(ExecStart|StateDirectory|DynamicUser|EnvironmentFile)=' "$UNITS/shadowdev@.service"
	assert_output - <<'EOF2'
EnvironmentFile=-/etc/default/shadowdev
EnvironmentFile=-/etc/default/shadowdev-%i
ExecStart=/usr/bin/shadowdev --thing %i --state-dir ${STATE_DIRECTORY} $SHADOWDEV_OPTS run
DynamicUser=yes
StateDirectory=shadowdev/%i
EOF2
}

# A stand-in for systemd's notification socket: systemd-notify's own
# listener is not available outside systemd, so a datagram socket made with
# python3 receives what shadowd sends to $NOTIFY_SOCKET.
@test "shadowd sends READY=1 to NOTIFY_SOCKET once it serves" {
	local sock=$TD/notify.sock
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
print("listening", flush=True)
print(s.recv(4096).decode(), flush=True)
' "$sock" >"$TD/notify.out" 2>&1 &
	local listener=$!
	track_pid "$listener"
	wait_for_line "$TD/notify.out" listening 10
	NOTIFY_SOCKET=$sock "$BIN/shadowd" --data-dir "$TD/notify-data" >"$TD/notify-shadowd.log" 2>&1 &
	local sd=$!
	track_pid "$sd"
	wait_for_line "$TD/notify.out" 'READY=1' 20
	run grep -c ': ready' "$TD/notify-shadowd.log"
	assert_output 1
	kill -TERM "$sd"
	wait_gone "$sd"
}

@test "shadowd outside systemd (no NOTIFY_SOCKET) starts without a warning" {
	unset NOTIFY_SOCKET
	shadowd_start
	run grep -i 'systemd' "$TD/shadowd.log"
	assert_failure 1
	shadowd_stop
}

@test "shadowd with a NOTIFY_SOCKET nobody listens on says so and serves anyway" {
	NOTIFY_SOCKET=$TD/nobody.sock "$BIN/shadowd" --data-dir "$TD/nobody-data" \
	    -i shadowd-nobody >"$TD/nobody.log" 2>&1 &
	local sd=$!
	track_pid "$sd"
	wait_for_line "$TD/nobody.log" ': ready' 20
	wait_for_line "$TD/nobody.log" "can't tell systemd that shadowd is ready" 5
	run "$BIN/shadowctl" -i ctl-nobody -t nobody set on:=true
	assert_success
	kill -TERM "$sd"
	wait_gone "$sd"
}
