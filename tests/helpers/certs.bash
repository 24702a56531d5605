# Certificates for the bats suites, made with certs.example/make-certs.sh.
#
#   load ../helpers/common
#   load ../helpers/certs
#   setup_file() {
#       stack_setup
#       certs_make lamp                      # $CERTS/{ca,broker,shadowctl,shadowd,lamp}
#       broker_start "$(certs_broker_conf)"  # the broker's listener is mutual TLS
#       shadowd_start --certs "$CERTS/shadowd"
#   }
#
# Then: "$BIN/shadowctl" --certs "$CERTS/shadowctl" -t lamp get
# (SHADOW_ENDPOINT is 127.0.0.1, which the broker certificate names.)

# certs_make [NAME...]: CA, broker, operator and per-NAME certificates in
# $CERTS ($TD/certs); existing files are kept, so calling it again is cheap.
certs_make() {
	export CERTS=$TD/certs
	"$TOP/certs.example/make-certs.sh" "$CERTS" "$@" >/dev/null
}

# certs_make_dated --expired|--future NAME...: certificates that fail the
# date check, signed by the same CA.
certs_make_dated() {
	export CERTS=$TD/certs
	"$TOP/certs.example/make-certs.sh" "$1" "$CERTS" "${@:2}" >/dev/null
}

# certs_broker_conf: writes mosquitto lines that turn broker_start's
# listener into mutual TLS with the certificate CN as user name, and prints
# the file's path (broker_start takes it as its extra configuration).
certs_broker_conf() {
	local conf=$TD/broker-tls.conf
	{
		echo "cafile $CERTS/broker/AmazonRootCA1.pem"
		echo "certfile $CERTS/broker/certificate.pem"
		echo "keyfile $CERTS/broker/privateKey.pem"
		echo "require_certificate true"
		echo "use_identity_as_username true"
	} >"$conf"
	echo "$conf"
}
