#!/usr/bin/env bats
# Access control as the demo sets it up: a mutual-TLS broker whose user name
# is the certificate CN, operators (shadowd, shadowctl) on every shadow, and
# each device on $aws/things/<its CN>/shadow/# only. A device certificate
# cannot read or update another thing's shadow, nor see its deltas, classic
# or named, under MQTT 3.1.1 and 5.

load ../helpers/shadowd
load ../helpers/certs

setup_file() {
	stack_setup
	certs_make lamp fan
	local conf acl=$TD/acl
	cat >"$acl" <<'ACL'
user shadowd
topic deny $aws/things/sealed/shadow/update/+
topic readwrite $aws/things/#
user shadowctl
topic readwrite $aws/things/#
pattern readwrite $aws/things/%u/shadow/#
ACL
	conf=$(certs_broker_conf)
	echo "acl_file $acl" >>"$conf"
	broker_start "$conf"
	echo "$BROKER_PID" >"$TD/broker.pid"
	shadowd_start --certs "$CERTS/shadowd" --mqtt 5
	echo "$SHADOWD_PID" >"$TD/shadowd.pid"
	# fan's shadows, made by the operator, with a delta pending
	op -t fan set --reported MOTOR=OFF >/dev/null
	op -t fan set MOTOR=ON >/dev/null
	op -t fan -n cfg set --reported speed:=1 >/dev/null
	op -t fan -n cfg set speed:=2 >/dev/null
}
teardown_file() { stack_teardown; }
setup() { BROKER_PID=$(cat "$TD/broker.pid"); SHADOWD_PID=$(cat "$TD/shadowd.pid"); }

op() { "$BIN/shadowctl" --certs "$CERTS/shadowctl" -c "$@"; }
lamp() { "$BIN/shadowctl" --certs "$CERTS/lamp" -c "$@"; }

# state_of ARGS...: the operator's view of a shadow (version and state).
state_of() { op "$@" get | jq -c '[.version, .state]'; }

# lamp_pub TOPIC PAYLOAD VERSION: a raw QoS 1 publish with lamp's certificate;
# mosquitto_pub returns once the broker has handled it.
lamp_pub() {
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V "$3" -q 1 \
	    --cafile "$CERTS/lamp/AmazonRootCA1.pem" --cert "$CERTS/lamp/certificate.pem" \
	    --key "$CERTS/lamp/privateKey.pem" -t "$1" -m "$2"
}

@test "a device reads and updates its own shadows, classic and named, MQTT 3.1.1 and 5" {
	local v
	for v in 3.1.1 5; do
		run lamp -t lamp --mqtt "$v" set --reported "on:=true"
		assert_success
		run lamp -t lamp --mqtt "$v" get state.reported.on
		assert_success
		assert_output true
		run lamp -t lamp -n cfg --mqtt "$v" set "level:=3"
		assert_success
		run lamp -t lamp -n cfg --mqtt "$v" get state.delta.level
		assert_output 3
	done
}

@test "a device can't update another thing's shadow, classic or named: nothing changes" {
	local v n before
	for n in "" cfg; do
		local sel=(-t fan); [ -n "$n" ] && sel+=(-n "$n")
		local topic='$aws/things/fan/shadow'${n:+/name/$n}/update
		before=$(state_of "${sel[@]}")
		for v in 3.1.1 5; do
			run timeout 30 "$BIN/shadowctl" --certs "$CERTS/lamp" "${sel[@]}" --mqtt "$v" --timeout 1 set MOTOR=BROKEN
			[ "$status" -eq 3 ] || [ "$status" -eq 4 ]
			refute_output --partial accepted
			lamp_pub "$topic" '{"state":{"desired":{"MOTOR":"BROKEN"}}}' "$( [ "$v" = 5 ] && echo mqttv5 || echo mqttv311)"
		done
		# the operator's own update is handled after the device's attempts
		op "${sel[@]}" set --reported seen:=1 >/dev/null
		run state_of "${sel[@]}"
		refute_output --partial BROKEN
		[ "$(echo "$output" | jq '.[0]')" -eq $(( $(echo "$before" | jq '.[0]') + 1 )) ]
	done
}

@test "a device can't read another thing's shadow: no get answer reaches it, classic or named" {
	local v n
	for v in 3.1.1 5; do
		for n in "" cfg; do
			local sel=(-t fan); [ -n "$n" ] && sel+=(-n "$n")
			run timeout 30 "$BIN/shadowctl" --certs "$CERTS/lamp" "${sel[@]}" --mqtt "$v" --timeout 1 get
			[ "$status" -eq 3 ] || [ "$status" -eq 4 ]
			refute_output --partial MOTOR
			refute_output --partial speed
		done
	done
}

# watch_as CERT ID ARGS...: shadowctl watch in the background, its output
# in $TD/ID.out; waits until the broker has its subscriptions.
watch_as() {
	local cert=$1 id=$2
	shift 2
	timeout -k 10 60 "$BIN/shadowctl" --certs "$CERTS/$cert" -i "$id" "$@" watch \
	    >"$TD/$id.out" 2>"$TD/$id.err" &
	echo $! >"$TD/$id.pid"
	wait_subscribed "$id"
}

# watch_end ID: wait for it (in this shell: it is our child); WRC = status.
watch_end() {
	WRC=0
	wait "$(cat "$TD/$1.pid")" || WRC=$?
}

@test "a device sees no delta, document or answer of another thing, classic or named, MQTT 3.1.1 and 5" {
	local v n
	for v in 3.1.1 5; do
		for n in "" cfg; do
			local sel=(-t fan) own=(-t lamp) tag="w${v//./}${n:-c}"
			[ -n "$n" ] && sel+=(-n "$n") own+=(-n "$n")
			watch_as lamp "$tag-other" "${sel[@]}" --mqtt "$v" --timeout 30
			watch_as lamp "$tag-own" "${own[@]}" --mqtt "$v" --timeout 30 --count 4
			watch_as shadowctl "$tag-op" "${sel[@]}" --mqtt "$v" --timeout 30 --count 6
			# on fan's shadow: update, accepted, delta, documents, get, accepted
			op "${sel[@]}" set "x:=$RANDOM" >/dev/null
			op "${sel[@]}" get >/dev/null
			watch_end "$tag-op"; [ "$WRC" -eq 0 ]
			grep -q '"event":"update/delta"' "$TD/$tag-op.out"
			grep -q '"event":"get/accepted"' "$TD/$tag-op.out"
			# then on lamp's own: it sees that, after fan's traffic
			op "${own[@]}" set "x:=$RANDOM" >/dev/null
			watch_end "$tag-own"; [ "$WRC" -eq 0 ]
			grep -q '"event":"update/delta"' "$TD/$tag-own.out"
			# the device's watch on fan's shadow got nothing
			kill -INT "$(cat "$TD/$tag-other.pid")"
			watch_end "$tag-other"
			[ "$WRC" -ne 124 ]
			[ ! -s "$TD/$tag-other.out" ] || { cat "$TD/$tag-other.out" >&2; return 1; }
		done
	done
}

@test "a device subscribed to every shadow with a wildcard receives only its own" {
	local id=lamp-wild-$RANDOM
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -v -W 6 \
	    --cafile "$CERTS/lamp/AmazonRootCA1.pem" --cert "$CERTS/lamp/certificate.pem" \
	    --key "$CERTS/lamp/privateKey.pem" -t '$aws/things/+/shadow/#' -t '#' \
	    >"$TD/wild.out" 2>&1 &
	local sp=$!
	wait_subscribed "$id"
	op -t fan set "x:=$RANDOM" >/dev/null
	op -t fan -n cfg set "x:=$RANDOM" >/dev/null
	op -t lamp set "x:=$RANDOM" >/dev/null
	wait_for_line "$TD/wild.out" '^\$aws/things/lamp/shadow/update/documents ' 5
	reap "$sp"
	run grep -c '^\$aws/things/lamp/' "$TD/wild.out"
	[ "$output" -ge 3 ]
	run grep -v '^\$aws/things/lamp/' "$TD/wild.out"
	assert_output ""
}

@test "MQTT 5: a publish the broker refuses is exit 3, not authorised to publish, naming the topic" {
	run timeout 30 "$BIN/shadowctl" --certs "$CERTS/lamp" -t fan --mqtt 5 --timeout 3 set MOTOR=BROKEN
	assert_failure 3
	assert_output --partial 'not authorised to publish to $aws/things/fan/shadow/update'
	run timeout 30 "$BIN/shadowctl" --certs "$CERTS/lamp" -t fan -n cfg --mqtt 5 --timeout 3 get
	assert_failure 3
	assert_output --partial 'not authorised to publish to $aws/things/fan/shadow/name/cfg/get'
	# MQTT 3.1.1 has no way to say so: the broker drops it, a timeout
	run timeout 30 "$BIN/shadowctl" --certs "$CERTS/lamp" -t fan --mqtt 3.1.1 --timeout 2 get
	assert_failure 4
}

@test "MQTT 5: an answer the broker refuses to shadowd is logged by shadowd, naming the topic and the reason" {
	run timeout 30 "$BIN/shadowctl" --certs "$CERTS/shadowctl" -t sealed --timeout 2 set --reported x:=1
	assert_failure 4
	wait_for_line "$TD/shadowd.log" 'refused the answer on \$aws/things/sealed/shadow/update/accepted: not authorised' 5
	# the answers to other things still flow
	run op -t lamp get
	assert_success
}
