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

# certs_make_misnamed NAME: a broker certificate in $CERTS/NAME, signed by
# the same CA, that names only the host "elsewhere.invalid": connecting to
# 127.0.0.1 or localhost fails the host name check unless --insecure.
certs_make_misnamed() {
	local dir=$CERTS/$1
	[ -s "$dir/certificate.pem" ] && return 0
	mkdir -p "$dir"
	cp "$CERTS/ca/AmazonRootCA1.pem" "$dir/AmazonRootCA1.pem"
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dir/privateKey.pem" 2>/dev/null) || return 1
	printf '[leaf]\nbasicConstraints = critical,CA:FALSE\n%s\n%s\n%s\n' \
	    'keyUsage = critical,digitalSignature,keyEncipherment' \
	    'extendedKeyUsage = serverAuth' \
	    'subjectAltName = DNS:elsewhere.invalid' >"$dir/ext.cnf"
	openssl req -new -sha256 -key "$dir/privateKey.pem" \
	    -subj "/CN=elsewhere.invalid" -out "$dir/req.csr" 2>/dev/null &&
	    openssl x509 -req -sha256 -in "$dir/req.csr" \
	    -CA "$CERTS/ca/AmazonRootCA1.pem" -CAkey "$CERTS/ca/ca.key" \
	    -set_serial "0x$(openssl rand -hex 16)" -days 30 \
	    -extfile "$dir/ext.cnf" -extensions leaf \
	    -out "$dir/certificate.pem" 2>/dev/null || return 1
	rm -f "$dir/req.csr" "$dir/ext.cnf"
}
