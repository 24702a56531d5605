# Helpers for the shadowctl suites (load after ../helpers/common).
#
#   ctl ARGS...          run shadowctl; $output is stdout, $stderr stderr
#   root [SHADOW]        the topic root of $T (classic, or named SHADOW)
#   fake_device VALUE    answer the next delta of $T by reporting MOTOR=VALUE
#   certs_make           a local CA and certificates in $TD/certs (once)
#   tls_broker_start     the broker with an extra mTLS listener on $TLS_PORT

bats_require_minimum_version 1.5.0

CTL=$BIN/shadowctl

ctl() {
	run --separate-stderr "$CTL" "$@"
}

# A thing name of its own for each test, so tests do not share shadows.
thing_per_test() {
	export T="t${BATS_TEST_NUMBER}-$$"
	export SHADOW_THING=$T
}

root() {
	if [ -n "${1:-}" ]; then
		echo "\$aws/things/$T/shadow/name/$1"
	else
		echo "\$aws/things/$T/shadow"
	fi
}

# sub_bg FILE ID ARGS...: mosquitto_sub in the background, subscribed on return.
sub_bg() {
	local f=$1 id=$2
	shift 2
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 "$@" >"$f" 2>&1 &
	track_pid $!
	wait_subscribed "$id"
}

# fake_device VALUE: the next delta of $T is answered at once with a report
# of MOTOR=VALUE, as a device would (the --wait race).
fake_device() {
	local value=$1 id="dev-$RANDOM$RANDOM"
	(
		mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -C 1 \
		    -t "$(root)/update/delta" >/dev/null 2>&1 &&
		    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 \
		    -t "$(root)/update" \
		    -m "{\"state\":{\"reported\":{\"MOTOR\":\"$value\"}}}"
	) &
	track_pid $!
	wait_subscribed "$id"
}

certs_make() {
	[ -s "$TD/certs/shadowctl/certificate.pem" ] && return 0
	"$TOP/certs.example/make-certs.sh" "$TD/certs" >/dev/null
	"$TOP/certs.example/make-certs.sh" --expired "$TD/certs" expired >/dev/null
	"$TOP/certs.example/make-certs.sh" --future "$TD/certs" future >/dev/null
	# A second, unrelated CA: the wrong CA for our broker.
	"$TOP/certs.example/make-certs.sh" "$TD/other" >/dev/null
}

tls_broker_start() {
	certs_make
	export TLS_PORT
	TLS_PORT=$(free_port)
	cat >"$TD/tls.conf" <<EOF
listener $TLS_PORT 127.0.0.1
cafile $TD/certs/ca/AmazonRootCA1.pem
certfile $TD/certs/broker/certificate.pem
keyfile $TD/certs/broker/privateKey.pem
require_certificate true
EOF
	broker_start "$TD/tls.conf"
	wait_port "$TLS_PORT"
}
