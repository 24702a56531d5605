#!/usr/bin/env bats
# shadowctl over HTTPS with AWS credentials, against shadowd's HTTPS
# listener (our test CA) with --http-credentials: every source of
# credentials, their precedence, and errors a user can act on.

load ../helpers/common
load ../helpers/shadowctl
load ../helpers/ctlhttp

setup_file() {
	stack_setup
	certs_make                      # the CA and certificates in $TD/certs
	export CERTS=$TD/certs
	(umask 077 && cat >"$TD/keys" <<EOF
# access key id, secret
AKIDENV0000000000001 env-secret
AKIDPROFILE000000001 profile-secret
AKIDOTHER00000000001 other-secret
AKIDCONFIG0000000001 config-secret
AKIDPROCESS000000001 process-secret
EOF
	)
	export CA=$CERTS/broker/AmazonRootCA1.pem
	ctl_http_stack_start --http-credentials "$TD/keys" \
	    --http-cert "$CERTS/broker/certificate.pem" \
	    --http-key "$CERTS/broker/privateKey.pem"
}

teardown_file() { stack_teardown; }

setup() {
	thing_per_test
	aws_env_clear
}

# sctl ARGS...: shadowctl over HTTPS trusting the test CA.
sctl() {
	hctl --ca "$CA" "$@"
}

env_keys() {
	export AWS_ACCESS_KEY_ID=${1:-AKIDENV0000000000001}
	export AWS_SECRET_ACCESS_KEY=${2:-env-secret}
}

@test "keys from the environment sign every command" {
	env_keys
	sctl set MOTOR=ON
	assert_success
	sctl get state.desired.MOTOR -r
	assert_output "ON"
	sctl -n named set a=1
	assert_success
	sctl -c list
	assert_output '["named"]'
	sctl unset MOTOR
	assert_success
	sctl delete
	assert_success
}

@test "a wrong secret exits 3 naming the access key id and where it came from, never the secret" {
	env_keys AKIDENV0000000000001 not-the-secret
	sctl get
	assert_failure 3
	[[ $stderr == *"not authorised"* ]]
	[[ $stderr == *"AKIDENV0000000000001"* ]]
	[[ $stderr == *"AWS_ACCESS_KEY_ID"* ]]
	[[ $stderr != *"not-the-secret"* ]]
}

@test "an unknown access key id exits 3" {
	env_keys AKIDUNKNOWN000000001 whatever
	sctl get
	assert_failure 3
	[[ $stderr == *"AKIDUNKNOWN000000001"* ]]
}

@test "without credentials the request goes unsigned: 403, exit 3, saying where it looked" {
	sctl get
	assert_failure 3
	[[ $stderr == *"no AWS credentials"* ]]
	[[ $stderr == *"$HOME/.aws/credentials"* ]]
}

@test "the default profile of ~/.aws/credentials" {
	printf '[default]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = profile-secret\n' \
	    >"$HOME/.aws/credentials"
	sctl set x=1
	assert_success
}

@test "--aws-profile and AWS_PROFILE choose the profile; --aws-profile wins" {
	printf '[default]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = wrong\n[other]\naws_access_key_id = AKIDOTHER00000000001\naws_secret_access_key = other-secret\n' \
	    >"$HOME/.aws/credentials"
	sctl set x=1
	assert_failure 3
	[[ $stderr == *"AKIDPROFILE000000001"* ]]
	sctl --aws-profile other set x=1
	assert_success
	AWS_PROFILE=other sctl set x=2
	assert_success
	AWS_PROFILE=other sctl --aws-profile default set x=3
	assert_failure 3
}

@test "aws-profile = in our config file chooses the profile" {
	printf '[other]\naws_access_key_id = AKIDOTHER00000000001\naws_secret_access_key = other-secret\n' \
	    >"$HOME/.aws/credentials"
	mkdir -p "$XDG_CONFIG_HOME/shadow"
	printf '[default]\naws-profile = other\n' >"$XDG_CONFIG_HOME/shadow/config"
	sctl set x=1
	rm "$XDG_CONFIG_HOME/shadow/config"
	assert_success
}

@test "a [profile NAME] section of ~/.aws/config" {
	printf '[profile cfg]\naws_access_key_id = AKIDCONFIG0000000001\naws_secret_access_key = config-secret\nregion = eu-west-1\n' \
	    >"$HOME/.aws/config"
	sctl --aws-profile cfg set x=1
	assert_success
}

@test "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE replace the files in ~/.aws" {
	printf '[default]\naws_access_key_id = AKIDOTHER00000000001\naws_secret_access_key = other-secret\n' \
	    >"$TD/creds-elsewhere"
	printf '[profile cfg]\naws_access_key_id = AKIDCONFIG0000000001\naws_secret_access_key = config-secret\n' \
	    >"$TD/config-elsewhere"
	AWS_SHARED_CREDENTIALS_FILE=$TD/creds-elsewhere sctl set x=1
	assert_success
	AWS_CONFIG_FILE=$TD/config-elsewhere sctl --aws-profile cfg set x=2
	assert_success
}

@test "keys in the environment win over the profile" {
	printf '[default]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = wrong\n' \
	    >"$HOME/.aws/credentials"
	env_keys
	sctl set x=1
	assert_success
	env_keys AKIDENV0000000000001 wrong
	printf '[default]\naws_access_key_id = AKIDPROFILE000000001\naws_secret_access_key = profile-secret\n' \
	    >"$HOME/.aws/credentials"
	sctl set x=2
	assert_failure 3
	[[ $stderr == *"AKIDENV0000000000001"* ]]
}

@test "a session token goes with its keys" {
	env_keys
	AWS_SESSION_TOKEN=some-session-token sctl set x=1
	assert_success
}

@test "credential_process: its JSON output signs the requests" {
	cat >"$TD/proc" <<'EOF'
#!/bin/sh
echo '{"Version":1,"AccessKeyId":"AKIDPROCESS000000001","SecretAccessKey":"process-secret","Expiration":"2099-01-01T00:00:00Z"}'
EOF
	chmod +x "$TD/proc"
	printf '[profile p]\ncredential_process = %s\n' "$TD/proc" >"$HOME/.aws/config"
	sctl --aws-profile p set x=1
	assert_success
}

@test "credential_process output that has expired is refused, saying so" {
	cat >"$TD/proc-old" <<'EOF'
#!/bin/sh
echo '{"Version":1,"AccessKeyId":"AKIDPROCESS000000001","SecretAccessKey":"process-secret","Expiration":"2020-01-01T00:00:00Z"}'
EOF
	chmod +x "$TD/proc-old"
	printf '[profile p]\ncredential_process = %s\n' "$TD/proc-old" >"$HOME/.aws/config"
	sctl --aws-profile p get
	assert_failure
	[[ $stderr == *"expired"* ]]
	[[ $stderr != *"process-secret"* ]]
}

@test "a failing credential_process shows its stderr" {
	printf '#!/bin/sh\necho "token for corp has run out: run aws sso login" >&2\nexit 1\n' >"$TD/proc-fail"
	chmod +x "$TD/proc-fail"
	printf '[profile p]\ncredential_process = %s\n' "$TD/proc-fail" >"$HOME/.aws/config"
	sctl --aws-profile p get
	assert_failure
	[[ $stderr == *"aws sso login"* ]]
}

@test "a malformed ~/.aws/credentials names file and line" {
	printf '[default]\naws_access_key_id = AKIDPROFILE000000001\nthis line is wrong\n' \
	    >"$HOME/.aws/credentials"
	sctl get
	assert_failure 2
	[[ $stderr == *"$HOME/.aws/credentials:3"* ]]
}

@test "an AWS host without a region anywhere is a usage error naming where it looked" {
	env_keys
	run --separate-stderr env -u SHADOW_PORT "$CTL" -e https://example.amazonaws.com get
	assert_failure 2
	[[ $stderr == *"region"* ]]
	[[ $stderr == *"--region"* ]]
	[[ $stderr == *"AWS_REGION"* ]]
}

@test "-vv shows the key id used but never a secret" {
	env_keys
	AWS_SESSION_TOKEN=secret-session-token sctl -vv set x=1
	assert_success
	[[ $stderr == *"AKIDENV0000000000001"* ]]
	[[ $stderr != *"env-secret"* ]]
	[[ $stderr != *"secret-session-token"* ]]
}

@test "HTTPS without the CA that signs the server fails with OpenSSL's reason, exit 3" {
	env_keys
	hctl get
	assert_failure 3
	[[ $stderr == *"certif"* ]]
}

@test "--cert/--key over HTTPS authenticate with the certificate instead of SigV4" {
	env_keys
	# shadowd's HTTP face knows only SigV4: an unsigned request is refused,
	# and the message names the certificate that was offered instead.
	sctl --cert "$CERTS/shadowctl/certificate.pem" \
	    --key "$CERTS/shadowctl/privateKey.pem" get
	assert_failure 3
	[[ $stderr == *"client certificate $CERTS/shadowctl/certificate.pem"* ]]
	[[ $stderr != *"AKIDENV"* ]]
}
