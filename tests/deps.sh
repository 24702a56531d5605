#!/usr/bin/env bash
# Install what building and testing shadow-tools needs, when it is missing.
# As root: apt-get installs it. Otherwise: print the one sudo line and stop.
set -u
PACKAGES="build-essential pkg-config libmosquitto-dev libjson-c-dev libssl-dev
libsqlite3-dev mosquitto mosquitto-clients bats bats-assert bats-support
mandoc valgrind openssl jq sqlite3 e2fsprogs
libinih-dev libcurl4 curl python3-botocore
libmicrohttpd-dev awscli python3-boto3 wrk"

missing() {
	command -v gcc >/dev/null && command -v make >/dev/null || return 0
	command -v pkg-config >/dev/null || return 0
	pkg-config --exists libmosquitto json-c openssl sqlite3 inih libmicrohttpd || return 0
	[ -x /usr/bin/aws ] || return 0
	/usr/bin/python3 -c 'import boto3' 2>/dev/null || return 0
	compgen -G '/usr/lib/*/libcurl.so.4' >/dev/null || return 0
	python3 -c 'import botocore' 2>/dev/null || return 0
	for c in wrk curl mosquitto mosquitto_pub mosquitto_sub bats mandoc openssl jq valgrind sqlite3 chattr; do
		command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || return 0
	done
	[ -f /usr/lib/bats/bats-assert/load.bash ] || return 0
	[ -f /usr/lib/bats/bats-support/load.bash ] || return 0
	return 1
}

missing || exit 0
# shellcheck disable=SC2086
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing missing packages" >&2
	apt-get update -qq && apt-get install -y -qq $PACKAGES >/dev/null || {
		echo "deps: apt-get install failed; install these packages and retry:" >&2
		echo "  $PACKAGES" | tr '\n' ' ' >&2; echo >&2; exit 1; }
	exit 0
fi
echo "deps: packages are missing. Run this once, then retry:" >&2
echo "  sudo apt-get install -y $(echo $PACKAGES)" >&2
exit 1
