#!/usr/bin/env bats
# Who may call shadowd's HTTP face: loopback by default; another address
# only with --http-credentials (SigV4) or --http-insecure; HTTPS with
# --http-cert/--http-key. Signatures checked as AWS checks them.
bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/certs
load ../helpers/http

setup_file() {
	stack_setup
	http_aws_env
	broker_start
	printf '# apps allowed to call shadowd\nAKIDAPP  app-secret\n\nAKIDOPS ops-secret # operators\n' >"$TD/keys"
	chmod 600 "$TD/keys"
	http_shadowd_start --http-credentials "$TD/keys"
}
teardown_file() { stack_teardown; }
setup() { http_load; }

# shadowd_try ARGS...: run a second shadowd that must refuse to start.
shadowd_try() {
	run -2 timeout 20 "$BIN/shadowd" --data-dir "$TD/other-data" -i other "$@"
}

# A second shadowd serving HTTP(S) with ARGS; its URL in $URL2.
second_start() {
	local log=$TD/second.log
	"$BIN/shadowd" --data-dir "$TD/second-data" -i second "$@" >"$log" 2>&1 &
	SECOND_PID=$!
	track_pid "$SECOND_PID"
	wait_for_line "$log" ready 10
	URL2=$(sed -n 's/.*IoT Data Plane API on \(https\{0,1\}:\/\/[^ ]*\)$/\1/p' "$log")
}

second_stop() {
	kill -TERM "$SECOND_PID"
	wait_gone "$SECOND_PID"
}

@test "boto3 signed with a listed key passes, with a wrong secret gets 403 InvalidSignatureException" {
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" update lamp '{"state":{"desired":{"on":1}}}'
	assert_success
	run env AWS_ACCESS_KEY_ID=AKIDOPS AWS_SECRET_ACCESS_KEY=ops-secret AWS_DEFAULT_REGION=eu-central-1 \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get lamp
	assert_success
	assert_equal "$(jq -c .state.desired <<<"$output")" '{"on":1}'
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=wrong \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" update lamp '{"state":{"desired":{"on":2}}}'
	assert_failure 1
	assert_output --partial 'ClientError: The request signature we calculated does not match'
	# nothing of the refused ones was applied
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get lamp
	assert_equal "$(jq -c '[.version, .state.desired]' <<<"$output")" '[1,{"on":1}]'
}

@test "no signature: 403 MissingAuthenticationTokenException; unknown key: 403 UnrecognizedClientException" {
	run hcurl "$HTTP_URL/things/lamp/shadow"
	assert_equal "$(http_status)" 403
	assert_equal "$(http_header_of x-amzn-ErrorType)" MissingAuthenticationTokenException
	assert_equal "$(http_body_of | jq -r .message)" 'Missing Authentication Token'
	# the route is not revealed before the signature
	run hcurl "$HTTP_URL/no/route"
	assert_equal "$(http_header_of x-amzn-ErrorType)" MissingAuthenticationTokenException
	run env AWS_ACCESS_KEY_ID=AKIDNOBODY AWS_SECRET_ACCESS_KEY=x \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get lamp
	assert_output 'ClientError: The security token included in the request is invalid.'
}

@test "a signature 10 minutes old is refused; 4 minutes is inside the window" {
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret CLOCK_SKEW=600 \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get lamp
	assert_output --partial 'ClientError: Signature expired'
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret CLOCK_SKEW=240 \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get lamp
	assert_success
}

@test "aws iot-data signed: a thing named a:b, a named shadow, list and publish (paths encoded twice, as AWS signs)" {
	export AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret
	run awsd update-thing-shadow --thing-name a:b --shadow-name 'c:d' --cli-binary-format raw-in-base64-out \
	    --payload '{"state":{"reported":{"x":1}}}' "$TD/out.json"
	assert_success
	run awsd list-named-shadows-for-thing --thing-name a:b --page-size 1
	assert_success
	assert_equal "$(jq -c .results <<<"$output")" '["c:d"]'
	run awsd publish --topic 'app/a:b/x y' --qos 1 --cli-binary-format raw-in-base64-out --payload 'hi'
	assert_success
}

@test "botocore's pure-Python signer (SigV4Auth, no CRT) is accepted too, for a:b and a query" {
	run env AWS_ACCESS_KEY_ID=AKIDAPP AWS_SECRET_ACCESS_KEY=app-secret "$PYTHON3" - "$HTTP_URL" <<'EOF'
import os, sys, urllib.request
import botocore.auth, botocore.credentials
from botocore.awsrequest import AWSRequest
creds = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
body = b'{"state":{"reported":{"pure":1}}}'
r = AWSRequest(method="POST", url=sys.argv[1] + "/things/a%3Ab/shadow?name=p%3Aq", data=body)
botocore.auth.SigV4Auth(creds, "iotdata", "ap-south-1").add_auth(r)
p = r.prepare()
req = urllib.request.Request(p.url, data=body, headers=dict(p.headers), method="POST")
print(urllib.request.urlopen(req).status)
EOF
	assert_success
	assert_output 200
}

@test "curl --aws-sigv4 signs the raw path: refused for a:b as AWS refuses it, accepted for a plain name" {
	run hcurl --aws-sigv4 'aws:amz:us-east-1:iotdata' --user AKIDAPP:app-secret "$HTTP_URL/things/a%3Ab/shadow?name=c%3Ad"
	assert_equal "$(http_status)" 403
	assert_equal "$(http_header_of x-amzn-ErrorType)" InvalidSignatureException
	run hcurl --aws-sigv4 'aws:amz:us-east-1:iotdata' --user AKIDAPP:app-secret "$HTTP_URL/things/lamp/shadow"
	assert_equal "$(http_status)" 200
}

@test "an address that is not loopback without credentials: exit 2, saying why and what to do" {
	shadowd_try --http 0.0.0.0:0
	assert_output --partial '--http 0.0.0.0:0: not a loopback address'
	assert_output --partial 'give --http-credentials FILE'
	assert_output --partial 'or --http-insecure'
	shadowd_try --http '[::]:0'
	assert_output --partial 'not a loopback address'
	# loopback in any form is fine to check: a bad one is a usage error
	shadowd_try --http 'localhost:80x'
	assert_output --partial 'expected [ADDR:]PORT'
}

@test "--http-insecure or --http-credentials lift the refusal (served, here reached on 127.0.0.1)" {
	second_start --http 0.0.0.0:0 --http-insecure
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${URL2##*:}/things/lamp/shadow"
	assert_output 404
	second_stop
	second_start --http 0.0.0.0:0 --http-credentials "$TD/keys"
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${URL2##*:}/things/lamp/shadow"
	assert_output 403
	second_stop
}

@test "credentials file: errors name file and line; readable by others is warned about; options need --http" {
	printf 'AKID1 s1\nAKID2\n' >"$TD/bad-keys"
	shadowd_try --http 0 --http-credentials "$TD/bad-keys"
	assert_output --partial "$TD/bad-keys:2: expected ACCESS_KEY_ID SECRET_ACCESS_KEY"
	printf 'AKID1 s1\nAKID1 s2\n' >"$TD/bad-keys"
	shadowd_try --http 0 --http-credentials "$TD/bad-keys"
	assert_output --partial "$TD/bad-keys:2: access key id AKID1 given twice"
	shadowd_try --http 0 --http-credentials "$TD/none"
	assert_output --partial "--http-credentials: can't open $TD/none"
	shadowd_try --http-credentials "$TD/keys"
	assert_output --partial '--http-credentials needs --http [ADDR:]PORT'
	shadowd_try --http 0 --http-cert "$TD/keys"
	assert_output --partial '--http-cert given without --http-key: HTTPS needs both'
	cp "$TD/keys" "$TD/open-keys"
	chmod 644 "$TD/open-keys"
	second_start --http 0 --http-credentials "$TD/open-keys"
	run cat "$TD/second.log"
	assert_output --partial "credentials file $TD/open-keys is readable by others (mode 0644); chmod 600 it"
	second_stop
}

@test "HTTPS with --http-cert/--http-key: aws iot-data and boto3 verify it; plain HTTP to it gets no answer" {
	certs_make
	second_start --http 0 --http-cert "$CERTS/broker/certificate.pem" --http-key "$CERTS/broker/privateKey.pem"
	[[ $URL2 == https://127.0.0.1:* ]]
	run "$AWS_CLI" iot-data --endpoint-url "$URL2" --ca-bundle "$CERTS/broker/AmazonRootCA1.pem" \
	    update-thing-shadow --thing-name tls --cli-binary-format raw-in-base64-out \
	    --payload '{"state":{"reported":{"secure":true}}}' "$TD/out.json"
	assert_success
	run env HTTP_URL="$URL2" HTTP_CA="$CERTS/broker/AmazonRootCA1.pem" \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get tls
	assert_success
	assert_equal "$(jq -c .state.reported <<<"$output")" '{"secure":true}'
	# a 20 MB body, sent whole before the answer is read: the 413 arrives
	# (the socket closed with bytes unread used to cost boto3 its answer:
	# "SSL validation failed ... EOF occurred in violation of protocol")
	{ printf '{"state":{"reported":{"big":"'; head -c 20000000 /dev/zero | tr '\0' x; printf '"}}}'; } >"$TD/big.json"
	run env HTTP_URL="$URL2" HTTP_CA="$CERTS/broker/AmazonRootCA1.pem" \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" update tls "@$TD/big.json"
	assert_failure 1
	assert_output 'RequestEntityTooLargeException: The payload exceeds the maximum size allowed'
	run "$AWS_CLI" iot-data --endpoint-url "$URL2" --ca-bundle "$CERTS/broker/AmazonRootCA1.pem" \
	    update-thing-shadow --thing-name tls --payload "fileb://$TD/big.json" "$TD/out.json"
	assert_failure
	assert_output --partial 'RequestEntityTooLargeException'
	run env HTTP_URL="$URL2" HTTP_CA="$CERTS/broker/AmazonRootCA1.pem" \
	    "$PYTHON3" "$TOP/tests/helpers/iotdata.py" get tls
	assert_equal "$(jq -c '[.version, .state.reported]' <<<"$output")" '[1,{"secure":true}]'
	run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:${URL2##*:}/things/tls/shadow"
	refute_output 200
	# without the CA, the client refuses the certificate
	run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL2/things/tls/shadow"
	assert_output 000
	second_stop
}

@test "HTTPS files are checked before serving: each fault named, exit 2, nothing served; an open key is warned about" {
	certs_make
	certs_make_dated --expired old
	local c=$CERTS/broker/certificate.pem k=$CERTS/broker/privateKey.pem
	shadowd_try --http 0 --http-cert "$c" --http-key "$TD/missing.pem"
	assert_output --partial "HTTPS (--http-cert, --http-key): can't read private key $TD/missing.pem: No such file or directory"
	echo hello >"$TD/notpem"
	shadowd_try --http 0 --http-cert "$TD/notpem" --http-key "$k"
	assert_output --partial "certificate $TD/notpem is not PEM"
	# the two swapped
	shadowd_try --http 0 --http-cert "$k" --http-key "$c"
	assert_output --partial "certificate $k is not a certificate (its PEM block is 'PRIVATE KEY')"
	shadowd_try --http 0 --http-cert "$c" --http-key "$CERTS/shadowd/privateKey.pem"
	assert_output --partial "private key $CERTS/shadowd/privateKey.pem does not match certificate $c"
	shadowd_try --http 0 --http-cert "$CERTS/old/certificate.pem" --http-key "$CERTS/old/privateKey.pem"
	assert_output --partial "certificate $CERTS/old/certificate.pem expired on 2021-"
	refute_output --partial "serving"
	[ ! -e "$TD/other-data/shadows.db" ]
	cp "$k" "$TD/open-key.pem"
	chmod 644 "$TD/open-key.pem"
	second_start --http 0 --http-cert "$c" --http-key "$TD/open-key.pem"
	[[ $URL2 == https://127.0.0.1:* ]]
	run cat "$TD/second.log"
	assert_output --partial "private key $TD/open-key.pem is readable by others (mode 0644); chmod 600 it"
	second_stop
}
