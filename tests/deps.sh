#!/usr/bin/env bash
# Install the Debian packages shadow-tools needs, when some are missing.
#   tests/deps.sh run     build and run the programs and make demo
#   tests/deps.sh test    the above, and what make check needs
#   tests/deps.sh list SET   print the packages of SET (for CI)
# As root: apt-get installs the missing ones, with its progress shown.
# Otherwise: prints the exact apt-get line to run as root, and fails.
set -u
RUN_PACKAGES="build-essential pkg-config libmosquitto-dev libjson-c-dev
libssl-dev libsqlite3-dev libsystemd-dev libinih-dev libcurl4 mosquitto
mosquitto-clients openssl libmicrohttpd-dev libcurl4-openssl-dev"
TEST_PACKAGES="bats bats-assert bats-support mandoc valgrind jq sqlite3
e2fsprogs systemd python3 iproute2 util-linux procps debhelper lintian curl
python3-botocore awscli python3-boto3 wrk"

usage() { echo "usage: tests/deps.sh run|test|list run|list test" >&2; exit 2; }

# The lists are words: split them on purpose.
# shellcheck disable=SC2086
set_packages() {
	case $1 in
	run) echo $RUN_PACKAGES ;;
	test) echo $RUN_PACKAGES $TEST_PACKAGES ;;
	*) usage ;;
	esac
}

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then
	[ $# -eq 2 ] || usage
	set_packages "$2"
	exit 0
fi
[ $# -eq 1 ] || usage
wanted=$(set_packages "$1")

command -v dpkg-query >/dev/null || {
	echo "deps: dpkg-query not found: this is not Debian or Ubuntu." >&2
	echo "deps: install the equivalents of: $wanted" >&2
	exit 1
}
missing=
for p in $wanted; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -n "$missing" ] || exit 0
missing=${missing# }

# shellcheck disable=SC2086
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$(printf ' %s' $missing)" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get update && apt-get install -y --no-install-recommends $missing; }; then
		echo "deps: apt-get install failed; install these packages and retry:" >&2
		echo "  apt-get install -y $missing" >&2
		exit 1
	fi
	exit 0
fi
echo "deps: these packages are missing. Install them as root, then retry:" >&2
echo "  apt-get install -y $missing" >&2
echo "deps: (from this account: sudo apt-get install -y $missing, or su -c '...')" >&2
exit 1
