#!/bin/sh
# make-certs.sh - a local CA and certificates laid out like the AWS IoT
# console download, so that --certs DIR works the same offline.
#
#   make-certs.sh OUTDIR THING...          CA, broker, shadowctl, shadowd and
#                                          one device certificate per thing
#   make-certs.sh --expired OUTDIR NAME... certificates that expired in 2021
#   make-certs.sh --future OUTDIR NAME...  certificates valid only from 2045
#
# Every directory holds AmazonRootCA1.pem (the local CA), certificate.pem and
# privateKey.pem (EC P-256, mode 0600). Existing files are kept, so a second
# run is quick and leaves a running broker's files alone.
set -eu

prog=${0##*/}
leaf_days=825
ca_days=3650

usage() {
	echo "usage: $prog [--expired | --future] OUTDIR [NAME...]" >&2
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

make_key() {
	[ -s "$1" ] && return 0
	(umask 077 && openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:P-256 -out "$1.tmp" 2>/dev/null) ||
	    die "can't make key $1"
	mv "$1.tmp" "$1"
}

make_ca() {
	mkdir -p "$out/ca"
	make_key "$out/ca/ca.key"
	[ -s "$out/ca/AmazonRootCA1.pem" ] && return 0
	openssl req -x509 -new -sha256 -key "$out/ca/ca.key" \
	    -subj "/O=shadow-tools/CN=shadow-tools local CA" -days "$ca_days" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$out/ca/AmazonRootCA1.pem.tmp" 2>/dev/null ||
	    die "can't make the CA certificate in $out/ca"
	mv "$out/ca/AmazonRootCA1.pem.tmp" "$out/ca/AmazonRootCA1.pem"
}

# extensions NAME USAGE: an extension file for a leaf certificate
extensions() {
	printf '[leaf]\nbasicConstraints = critical,CA:FALSE\n'
	printf 'keyUsage = critical,digitalSignature,keyEncipherment\n'
	printf 'extendedKeyUsage = %s\n' "$2"
	if [ "$1" = broker ]; then
		printf 'subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1\n'
	fi
}

# sign_now DIR CN USAGE: a certificate valid from now for leaf_days
sign_now() {
	openssl x509 -req -sha256 -in "$1/req.csr" -CA "$out/ca/AmazonRootCA1.pem" \
	    -CAkey "$out/ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
	    -days "$leaf_days" -extfile "$1/ext.cnf" -extensions leaf \
	    -out "$1/certificate.pem.tmp" 2>/dev/null
}

# sign_dated DIR START END: openssl ca, the only 3.0 tool that takes dates
sign_dated() {
	db="$1/.ca"
	rm -rf "$db"
	mkdir -p "$db"
	: >"$db/index.txt"
	openssl rand -hex 16 >"$db/serial"
	cat >"$db/ca.cnf" <<EOF
[ca]
default_ca = local
[local]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
	cat "$1/ext.cnf" >>"$db/ca.cnf"
	rc=0
	openssl ca -batch -notext -config "$db/ca.cnf" -in "$1/req.csr" \
	    -cert "$out/ca/AmazonRootCA1.pem" -keyfile "$out/ca/ca.key" \
	    -startdate "$2" -enddate "$3" -extensions leaf \
	    -out "$1/certificate.pem.tmp" 2>/dev/null || rc=1
	rm -rf "$db"
	return $rc
}

# make_leaf NAME USAGE: OUTDIR/NAME/{AmazonRootCA1.pem,certificate.pem,privateKey.pem}
make_leaf() {
	dir="$out/$1"
	mkdir -p "$dir"
	make_key "$dir/privateKey.pem"
	if [ ! -s "$dir/AmazonRootCA1.pem" ]; then
		cp "$out/ca/AmazonRootCA1.pem" "$dir/AmazonRootCA1.pem.tmp"
		mv "$dir/AmazonRootCA1.pem.tmp" "$dir/AmazonRootCA1.pem"
	fi
	[ -s "$dir/certificate.pem" ] && return 0
	openssl req -new -sha256 -key "$dir/privateKey.pem" -subj "/CN=$1" \
	    -out "$dir/req.csr" 2>/dev/null || die "can't make a request for $1"
	extensions "$1" "$2" >"$dir/ext.cnf"
	case $mode in
	now) sign_now "$dir" ;;
	expired) sign_dated "$dir" 20200101000000Z 20210101000000Z ;;
	future) sign_dated "$dir" 20450101000000Z 20460101000000Z ;;
	esac || die "can't sign the certificate for $1"
	rm -f "$dir/req.csr" "$dir/ext.cnf"
	mv "$dir/certificate.pem.tmp" "$dir/certificate.pem"
}

check_name() {
	case $1 in
	'' | -* | */* | . | .. | ca)
		die "'$1' can't be a directory name here (reserved or not a plain name)" ;;
	esac
}

mode=now
case ${1:-} in
--expired) mode=expired; shift ;;
--future) mode=future; shift ;;
-h | --help) usage ;;
-*) usage ;;
esac
[ $# -ge 1 ] || usage
out=$1
shift
command -v openssl >/dev/null 2>&1 || die "openssl not found in PATH"
for name in "$@"; do
	check_name "$name"
done
mkdir -p "$out" || die "can't create $out"

make_ca
if [ "$mode" = now ]; then
	make_leaf broker serverAuth
	make_leaf shadowctl clientAuth
	make_leaf shadowd clientAuth
fi
for name in "$@"; do
	make_leaf "$name" clientAuth
done
