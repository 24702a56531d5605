#!/usr/bin/env bats
# AWS credentials as the AWS CLI finds them (common/awscred.c, probed by
# build/tests/test_awscred), checked against botocore's own resolution of the
# same HOME and environment, with credential_process run as a real process.

bats_require_minimum_version 1.5.0
load ../helpers/common

PROBE=

setup() {
	PROBE=$TOP/${BUILD:-build}/tests/test_awscred
	[ -x "$PROBE" ] || skip "build the unit tests first (make units)"
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME/.aws"
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	    AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_REGION \
	    AWS_DEFAULT_REGION
}

# The access key id botocore (the AWS CLI's library) resolves for profile $1
# ("" for none), or "none".
botocore_key() {
	python3 - "$1" <<'EOF'
import sys, botocore.session
s = botocore.session.Session(profile=sys.argv[1] or None)
c = s.get_credentials()
print(c.get_frozen_credentials().access_key if c else "none")
EOF
}

# A credential_process helper like a real one: JSON on stdout, it records
# its argv (to show no secret is passed to it) and its stderr on failure.
helper() {
	cat >"$HOME/helper" <<EOF
#!/bin/sh
printf '%s\n' "\$0" "\$@" >"$HOME/helper-argv"
case "\$1" in
fail) echo "token for \$2 is missing: run 'corp-login \$2'" >&2; exit 7 ;;
expired) exp=2001-02-03T04:05:06Z ;;
*) exp=2099-01-01T00:00:00Z ;;
esac
cat <<JSON
{"Version": 1, "AccessKeyId": "AKIDPROC\$2", "SecretAccessKey": "proc-secret-\$2",
 "SessionToken": "proc-token", "Expiration": "\$exp"}
JSON
EOF
	chmod 700 "$HOME/helper"
}

@test "credential_process: the helper's keys are used, and botocore agrees" {
	helper
	cat >"$HOME/.aws/config" <<EOF
[profile ops]
region = eu-west-1
credential_process = $HOME/helper ok ops
EOF
	run "$PROBE" find ops
	assert_success
	assert_line "key=AKIDPROCops token=yes"
	assert_line --partial "source=credential_process of profile ops in $HOME/.aws/config"
	refute_output --partial "proc-secret"
	run botocore_key ops
	assert_output "AKIDPROCops"
	run grep -c . "$HOME/helper-argv"
	assert_output 3
	run ! grep -q secret "$HOME/helper-argv"
}

@test "credential_process: a failure shows the helper's stderr and exit status" {
	helper
	printf '[default]\ncredential_process = %s fail corp\n' "$HOME/helper" \
	    >"$HOME/.aws/config"
	run -2 "$PROBE" find
	assert_output --partial "credential_process of profile default in $HOME/.aws/config ($HOME/helper fail corp) failed (exit 7)"
	assert_output --partial "token for corp is missing: run 'corp-login corp'"
}

@test "credential_process: expired credentials are refused, saying when" {
	helper
	printf '[default]\ncredential_process = %s expired x\n' "$HOME/helper" \
	    >"$HOME/.aws/credentials"
	run -2 "$PROBE" find
	assert_output --partial "returned credentials that expired at 2001-02-03T04:05:06Z"
	assert_output --partial "$HOME/.aws/credentials"
}

@test "precedence matches botocore: environment, credentials file, process, config file" {
	helper
	cat >"$HOME/.aws/credentials" <<EOF
[both]
aws_access_key_id = AKIDCREDFILE
aws_secret_access_key = c
EOF
	cat >"$HOME/.aws/config" <<EOF
[profile both]
aws_access_key_id = AKIDCONFFILE
aws_secret_access_key = f
[profile procfirst]
credential_process = $HOME/helper ok pf
aws_access_key_id = AKIDCONFFILE2
aws_secret_access_key = f
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = d
EOF
	for p in both procfirst ""; do
		run "$PROBE" find "$p"
		assert_success
		want=$(botocore_key "$p")
		assert_line "key=$want token=$([ "$p" = procfirst ] && echo yes || echo no)"
	done
	export AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=e
	run "$PROBE" find
	assert_line "key=AKIDENV token=no"
	assert_line "source=environment (AWS_ACCESS_KEY_ID)"
	[ "$(botocore_key "")" = AKIDENV ]
	run "$PROBE" find both
	assert_line "key=AKIDCREDFILE token=no"
	[ "$(botocore_key both)" = AKIDCREDFILE ]
}

@test "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files" {
	printf '[x]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = m\n' \
	    >"$BATS_TEST_TMPDIR/creds"
	printf '[profile y]\naws_access_key_id = AKIDMOVEDCONF\naws_secret_access_key = m\n' \
	    >"$BATS_TEST_TMPDIR/conf"
	export AWS_SHARED_CREDENTIALS_FILE=$BATS_TEST_TMPDIR/creds
	export AWS_CONFIG_FILE=$BATS_TEST_TMPDIR/conf
	run "$PROBE" find x
	assert_line "key=AKIDMOVED token=no"
	assert_line "source=profile x in $BATS_TEST_TMPDIR/creds"
	run "$PROBE" find y
	assert_line "key=AKIDMOVEDCONF token=no"
	[ "$(botocore_key y)" = AKIDMOVEDCONF ]
}

@test "a malformed credentials file names file and line; nothing is changed" {
	printf '[default]\naws_access_key_id = A\naws_secret_access_key\n' \
	    >"$HOME/.aws/credentials"
	sum=$(sha256sum "$HOME/.aws/credentials")
	run -2 "$PROBE" find
	assert_output --partial "$HOME/.aws/credentials:3: expected 'key = value'"
	[ "$(sha256sum "$HOME/.aws/credentials")" = "$sum" ]
}

@test "no credentials: exit 1 and the places looked at" {
	run -1 "$PROBE" find
	assert_output --partial "looked in the environment (AWS_ACCESS_KEY_ID), then profile default in $HOME/.aws/credentials and in $HOME/.aws/config"
}

@test "region: the profile's, else the endpoint's, else an error naming the places" {
	printf '[profile r]\nregion = ap-south-1\n' >"$HOME/.aws/config"
	run "$PROBE" region "" r x.iot.eu-north-1.amazonaws.com
	assert_line "region=ap-south-1"
	run "$PROBE" region "" "" x.iot.eu-north-1.amazonaws.com
	assert_line "region=eu-north-1"
	run -2 "$PROBE" region "" "" data.iot.amazonaws.com
	assert_output --partial "looked at --region, AWS_REGION, AWS_DEFAULT_REGION"
	AWS_DEFAULT_REGION=sa-east-1 run "$PROBE" region "" r h.example
	assert_line "region=sa-east-1"
}
