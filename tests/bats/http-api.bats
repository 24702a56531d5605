#!/usr/bin/env bats
# shadowd's HTTP face with the clients apps use: the AWS CLI v2
# (aws iot-data) and boto3, dummy credentials, 127.0.0.1 only. Every
# operation, every modelled exception for its fault, paging, Publish, and
# the same store and notifications as the MQTT face.
bats_require_minimum_version 1.5.0

load ../helpers/shadowd
load ../helpers/http

setup_file() { http_stack_start; }
teardown_file() { stack_teardown; }
setup() { sd_load; http_load; }

@test "aws iot-data: update, get and delete a classic shadow; the documents are the MQTT ones" {
	local t; t=$(thing)
	run awsd update-thing-shadow --thing-name "$t" --cli-binary-format raw-in-base64-out \
	    --payload '{"state":{"desired":{"on":true}},"clientToken":"c1"}' "$TD/out.json"
	assert_success
	assert_json "$(cat "$TD/out.json")" '{"state":{"desired":{"on":true}},"metadata":{"desired":{"on":{"timestamp":"T"}}},"version":1,"timestamp":"T","clientToken":"c1"}'
	run awsd get-thing-shadow --thing-name "$t" "$TD/out.json"
	assert_success
	assert_json "$(cat "$TD/out.json")" '{"state":{"desired":{"on":true},"delta":{"on":true}},"metadata":{"desired":{"on":{"timestamp":"T"}}},"version":1,"timestamp":"T"}'
	# the same shadow over MQTT
	run ask "$(root "$t")" get '{"clientToken":"m"}'
	assert_json "$(answer get/accepted)" '{"state":{"desired":{"on":true},"delta":{"on":true}},"metadata":{"desired":{"on":{"timestamp":"T"}}},"version":1,"timestamp":"T","clientToken":"m"}'
	run awsd delete-thing-shadow --thing-name "$t" "$TD/out.json"
	assert_success
	assert_json "$(cat "$TD/out.json")" '{"version":1,"timestamp":"T"}'
	run awsd get-thing-shadow --thing-name "$t" "$TD/out.json"
	assert_failure
	assert_output --partial "ResourceNotFoundException"
	assert_output --partial "No shadow exists with name: '$t'"
}

@test "aws iot-data: named shadows, a thing name with ':' and list-named-shadows-for-thing" {
	local t; t="a:$(thing)"
	run awsd update-thing-shadow --thing-name "$t" --shadow-name cfg --cli-binary-format raw-in-base64-out \
	    --payload '{"state":{"reported":{"speed":3}}}' "$TD/out.json"
	assert_success
	run awsd get-thing-shadow --thing-name "$t" --shadow-name cfg "$TD/out.json"
	assert_success
	assert_equal "$(jq -c .state "$TD/out.json")" '{"reported":{"speed":3}}'
	run awsd list-named-shadows-for-thing --thing-name "$t"
	assert_success
	assert_equal "$(jq -c .results <<<"$output")" '["cfg"]'
	run awsd get-thing-shadow --thing-name "$t" "$TD/out.json"
	assert_failure
	assert_output --partial "No shadow exists with name: '$t'"
}

@test "aws iot-data publish reaches MQTT subscribers, QoS 0 and 1, and retain keeps it" {
	local f=$TD/sub.out id="pubsub-$RANDOM"
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -v -C 2 -W 60 -t 'app/#' >"$f" &
	local sp=$!
	wait_subscribed "$id"
	run awsd publish --topic app/one --cli-binary-format raw-in-base64-out --payload 'hello 0'
	assert_success
	run awsd publish --topic app/two --qos 1 --cli-binary-format raw-in-base64-out --payload '{"n":1}'
	assert_success
	wait "$sp"
	run cat "$f"
	assert_line 'app/one hello 0'
	assert_line 'app/two {"n":1}'
	run py iotdata.py publish app/kept 'still here' 1 true
	assert_success
	run mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -C 1 -W 5 -v -t app/kept
	assert_output 'app/kept still here'
}

@test "boto3: every operation, and the update's notifications on the thing's MQTT topics" {
	local t; t=$(thing)
	run py iotdata.py update "$t" '{"state":{"desired":{"color":"red"}},"clientToken":"b1"}'
	assert_success
	assert_equal "$(jq -c '[.version, .clientToken]' <<<"$output")" '[1,"b1"]'
	wait_answers "$(root "$t")" 3
	run answers_of "$(root "$t")"
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/delta\nupdate/documents')"
	assert_json "$(answer update/delta)" '{"state":{"color":"red"},"metadata":{"color":{"timestamp":"T"}},"version":1,"timestamp":"T","clientToken":"b1"}'
	# a get over HTTP answers over HTTP only
	run py iotdata.py get "$t"
	assert_success
	assert_equal "$(jq -c .state.delta <<<"$output")" '{"color":"red"}'
	run py iotdata.py delete "$t"
	assert_success
	wait_answers "$(root "$t")" 4
	run answers_of "$(root "$t")"
	assert_equal "$(answer_kinds)" "$(printf 'update/accepted\nupdate/delta\nupdate/documents\ndelete/accepted')"
	run py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' named1
	assert_success
	run py iotdata.py list "$t"
	assert_output '{"names": ["named1"], "pages": 1}'
}

@test "boto3 raises the modelled exception for each fault, and nothing is stored" {
	local t; t=$(thing)
	run py iotdata.py get "$t"
	assert_failure 1
	assert_output "ResourceNotFoundException: No shadow exists with name: '$t'"
	run py iotdata.py delete "$t" cfg
	assert_output "ResourceNotFoundException: No shadow exists with name: '$t~cfg'"
	run py iotdata.py update "$t" '{"state":{"desired":{"a":1}}}'
	assert_success
	run py iotdata.py update "$t" '{"state":{"desired":{"a":2}},"version":7}'
	assert_output 'ConflictException: Version conflict'
	run py iotdata.py update "$t" '{"state":'
	assert_output 'InvalidRequestException: Invalid JSON'
	run py iotdata.py update "$t" '{"state":{"desired":{"a":"'"$(head -c 9000 /dev/zero | tr '\0' x)"'"}}}'
	assert_output 'RequestEntityTooLargeException: The payload exceeds the maximum size allowed'
	run py iotdata.py update "$t" "$(printf '{"state":{"desired":{"a":"\xff"}}}')"
	assert_output 'UnsupportedDocumentEncodingException: Unsupported documented encoding; supported encoding is UTF-8'
	run py iotdata.py update "$t" '{"state":{"desired":{"a":1}},"clientToken":"'"$(head -c 65 /dev/zero | tr '\0' t)"'"}'
	assert_output 'InvalidRequestException: Invalid clientToken'
	run py iotdata.py get "$t"
	assert_equal "$(jq -c '[.version, .state.desired]' <<<"$output")" '[1,{"a":1}]'
}

@test "boto3 gets ThrottlingException over the per-thing rate limit" {
	local t; t=$(thing) log=$TD/rl.log
	# a second shadowd with a limit of 1 request per second and thing
	"$BIN/shadowd" --data-dir "$TD/rl-data" -i shadowd-rl --rate-limit 1 --http 127.0.0.1:0 >"$log" 2>&1 &
	local pid=$!
	track_pid "$pid"
	wait_for_line "$log" ready 10
	local url=http://127.0.0.1:$(http_port_of "$log")
	run env HTTP_URL="$url" "$PYTHON3" - "$t" <<'EOF'
import boto3, os, sys, botocore.config
c = boto3.client("iot-data", endpoint_url=os.environ["HTTP_URL"],
                 config=botocore.config.Config(retries={"max_attempts": 1}))
seen = set()
for i in range(300):
    try:
        c.update_thing_shadow(thingName=sys.argv[1], payload=b'{"state":{"reported":{"i":%d}}}' % i)
        seen.add("ok")
    except c.exceptions.ThrottlingException as e:
        seen.add("ThrottlingException: " + e.response["Error"]["Message"])
        break
print(sorted(seen))
EOF
	assert_success
	assert_output "['ThrottlingException: TOO_MANY_REQUESTS', 'ok']"
	kill -TERM "$pid"
	wait_gone "$pid"
}

@test "list-named-shadows-for-thing pages through 120 named shadows 7 at a time, sorted, with nextToken" {
	local t; t=$(thing)
	run env HTTP_URL="$HTTP_URL" "$PYTHON3" - "$t" <<'EOF'
import boto3, os, sys, botocore.config
c = boto3.client("iot-data", endpoint_url=os.environ["HTTP_URL"])
for i in range(120):
    c.update_thing_shadow(thingName=sys.argv[1], shadowName="s%03d" % (119 - i),
                          payload=b'{"state":{"reported":{"n":%d}}}' % i)
EOF
	assert_success
	# the classic shadow is never listed
	run py iotdata.py update "$t" '{"state":{"reported":{"classic":1}}}'
	run py iotdata.py list "$t" 7
	assert_success
	assert_equal "$(jq .pages <<<"$output")" 18
	assert_equal "$(jq -c .names <<<"$output")" "$(seq 0 119 | awk '{ printf "s%03d\n", $1 }' | jq -R . | jq -sc .)"
	# the CLI: one page, then the next with its nextToken
	run awsd list-named-shadows-for-thing --thing-name "$t" --page-size 7
	assert_success
	assert_equal "$(jq -c .results <<<"$output")" '["s000","s001","s002","s003","s004","s005","s006"]'
	run awsd list-named-shadows-for-thing --thing-name "$t" --page-size 3 \
	    --next-token "$(jq -r .nextToken <<<"$output")"
	assert_equal "$(jq -c .results <<<"$output")" '["s007","s008","s009"]'
}

@test "nextToken stays consistent while shadows come and go" {
	local t tok; t=$(thing)
	for s in a b c d e; do
		py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' "$s" >/dev/null
	done
	run py iotdata.py page "$t" 2
	assert_equal "$(jq -c .results <<<"$output")" '["a","b"]'
	tok=$(jq -r .nextToken <<<"$output")
	# b is deleted, bb and a0 appear: the next page goes on after b
	py iotdata.py delete "$t" b >/dev/null
	py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' bb >/dev/null
	py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' a0 >/dev/null
	run py iotdata.py page "$t" 2 "$tok"
	assert_equal "$(jq -c .results <<<"$output")" '["bb","c"]'
	tok=$(jq -r .nextToken <<<"$output")
	run py iotdata.py page "$t" 2 "$tok"
	assert_equal "$(jq -c '[.results, has("nextToken")]' <<<"$output")" '[["d","e"],false]'
	# a thing with no named shadow, or unknown
	run py iotdata.py page "nothing-$t" 5
	assert_equal "$(jq -c '[.results, has("nextToken")]' <<<"$output")" '[[],false]'
}

# restart_sd DIR LOG: a shadowd with the HTTP face on DIR; HTTP_URL its own.
restart_sd() {
	"$BIN/shadowd" --data-dir "$1" -i shadowd-restart --http 127.0.0.1:0 >"$2" 2>&1 &
	RPID=$!
	track_pid "$RPID"
	wait_for_line "$2" ready 10
	HTTP_URL=http://127.0.0.1:$(http_port_of "$2")
}

@test "a nextToken goes on after a restart on the same data directory; forged ones and another store's are refused" {
	local t dir=$TD/restart-data tok suite_tok url0=$HTTP_URL; t=$(thing)
	restart_sd "$dir" "$TD/restart1.log"
	for s in a b c; do
		py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' "$s" >/dev/null
	done
	run py iotdata.py page "$t" 1
	assert_equal "$(jq -c .results <<<"$output")" '["a"]'
	tok=$(jq -r .nextToken <<<"$output")
	kill -TERM "$RPID"
	wait_gone "$RPID"
	# the key is in the store, drawn once
	assert_equal "$(sqlite3 "$dir/shadows.db" "SELECT name, length(value) FROM meta")" 'nextToken key|32'
	restart_sd "$dir" "$TD/restart2.log"
	run awsd list-named-shadows-for-thing --thing-name "$t" --page-size 1 --next-token "$tok"
	assert_success
	assert_equal "$(jq -c .results <<<"$output")" '["b"]'
	run py iotdata.py page "$t" 5 "$(jq -r .nextToken <<<"$output")"
	assert_equal "$(jq -c '[.results, has("nextToken")]' <<<"$output")" '[["c"],false]'
	# forged: the MAC of "a" with the name "b"
	run py iotdata.py page "$t" 1 "62${tok#61}"
	assert_output 'InvalidRequestException: Invalid nextToken'
	# the suite's shadowd has its own store, so its own key
	HTTP_URL=$url0 py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' a >/dev/null
	HTTP_URL=$url0 py iotdata.py update "$t" '{"state":{"reported":{"x":1}}}' b >/dev/null
	suite_tok=$(HTTP_URL=$url0 py iotdata.py page "$t" 1 | jq -r .nextToken)
	assert_equal "${suite_tok%%.*}" 61
	run py iotdata.py page "$t" 1 "$suite_tok"
	assert_output 'InvalidRequestException: Invalid nextToken'
	kill -TERM "$RPID"
	wait_gone "$RPID"
	assert_equal "$(sqlite3 "$dir/shadows.db" "SELECT count(*) FROM meta")" 1
}

@test "boto3 gets InternalFailureException when the store can't write (full disk), and the shadow is as it was" {
	local t; t=$(thing)
	run py iotdata.py update "$t" '{"state":{"reported":{"a":1}}}'
	assert_success
	prlimit --pid "$SHADOWD_PID" --fsize=1:unlimited
	run py iotdata.py update "$t" '{"state":{"reported":{"a":2}}}'
	assert_output 'InternalFailureException: Internal service failure'
	run py iotdata.py delete "$t"
	assert_output 'InternalFailureException: Internal service failure'
	prlimit --pid "$SHADOWD_PID" --fsize=unlimited:unlimited
	run py iotdata.py get "$t"
	assert_equal "$(jq -c '[.version, .state]' <<<"$output")" '[1,{"reported":{"a":1}}]'
	run py iotdata.py update "$t" '{"state":{"reported":{"a":3}}}'
	assert_equal "$(jq .version <<<"$output")" 2
}
