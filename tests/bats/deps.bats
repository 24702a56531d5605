#!/usr/bin/env bats
# tests/deps.sh: two sets of packages (build and run; tests), and for a
# user who is not root the exact apt-get line to run.

bats_require_minimum_version 1.5.0
load ../helpers/common

setup_file() { stack_setup; }

@test "the run set holds what builds and runs the programs, and no test tool" {
	run "$TOP/tests/deps.sh" list run
	assert_success
	assert_output --partial "libmosquitto-dev"
	assert_output --partial "libsystemd-dev"
	assert_output --partial "mosquitto-clients"
	refute_output --regexp '(^| )(bats|valgrind|mandoc|lintian)( |$)'
}

@test "the test set is the run set and the test tools" {
	local run_set
	run_set=$("$TOP/tests/deps.sh" list run)
	run "$TOP/tests/deps.sh" list test
	assert_success
	[[ $output == "$run_set "* ]]
	assert_output --regexp ' bats '
	assert_output --regexp ' valgrind '
}

@test "everything of the test set is installed here (make check installed it)" {
	run "$TOP/tests/deps.sh" test
	assert_success
	assert_output ""
}

# A dpkg-query that knows every package but one, so that deps.sh finds
# exactly that one missing.
# It lives outside the suite's private directory, where "nobody" may read.
fake_dpkg_query() {
	FAKE=$(mktemp -d /tmp/shadow-deps.XXXXXX)
	echo "$FAKE" >"$TD/fake-dir"
	cat >"$FAKE/dpkg-query" <<'SH'
#!/bin/sh
last=; for a in "$@"; do last=$a; done
[ "$last" = mosquitto-clients ] && exit 1
printf 'install ok installed'
SH
	chmod 755 "$FAKE" "$FAKE/dpkg-query"
}

teardown() { [ ! -f "$TD/fake-dir" ] || rm -rf "$(cat "$TD/fake-dir")"; }

@test "a user who is not root gets the exact apt-get line to run as root" {
	[ "$(id -u)" = 0 ] || skip "needs root to run the script as another user"
	fake_dpkg_query
	# a copy nobody can read: the clone may be under root's 0700 home
	cp "$TOP/tests/deps.sh" "$FAKE/deps.sh"
	chmod 644 "$FAKE/deps.sh"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env PATH="$FAKE:$PATH" bash "$FAKE/deps.sh" run
	assert_failure 1
	assert_line "  apt-get install -y mosquitto-clients"
	assert_output --partial "Install them as root"
}

@test "deps.sh without a set says how to call it" {
	run "$TOP/tests/deps.sh"
	assert_failure 2
	assert_output --partial "usage: tests/deps.sh run|test"
}
