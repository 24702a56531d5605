#!/usr/bin/env bats
# Bad input on shadowd's HTTP face: each gets its clear answer (status,
# x-amzn-ErrorType, message), nothing stored changes, and shadowd and its
# MQTT side carry on.
bats_require_minimum_version 1.5.0

load ../helpers/shadowd
load ../helpers/http

MAXCONN=8

setup_file() {
	export SHADOWD_HTTP_IDLE_TIMEOUT=3
	http_stack_start --http-max-connections "$MAXCONN"
	http_aws_env
	py iotdata.py update keep '{"state":{"reported":{"v":1}}}' >/dev/null
}
teardown_file() { stack_teardown; }
setup() { sd_load; http_load; }

# The fixed shadow is untouched, and both faces still answer.
still_serving() {
	local out
	out=$(curl -s --max-time 10 "$HTTP_URL/things/keep/shadow") || return 1
	[ "$(jq -c '[.version, .state.reported]' <<<"$out")" = '[1,{"v":1}]' ] || {
		echo "keep changed or no answer: $out" >&2; return 1; }
	out=$(ask "$(root keep)" get '{"clientToken":"alive"}') || return 1
	[[ $out == *get/accepted* ]] || { echo "no MQTT answer: $out" >&2; return 1; }
	kill -0 "$SHADOWD_PID"
}

# refused STATUS TYPE MESSAGE: the hcurl output in $output is that error.
refused() {
	assert_equal "$(http_status)" "$1"
	assert_equal "$(http_header_of x-amzn-ErrorType)" "$2"
	assert_equal "$(http_header_of Content-Type)" application/json
	assert_equal "$(http_body_of | jq -r .message)" "$3"
}

@test "invalid JSON, non-UTF-8 and 1000 levels of nesting: 400, 415, 400" {
	run hcurl -X POST --data-binary '{"state":{' "$HTTP_URL/things/keep/shadow"
	refused 400 InvalidRequestException 'Invalid JSON'
	run hcurl -X POST --data-binary "$(printf '{"state":{"reported":{"v":"\xc3\x28"}}}')" "$HTTP_URL/things/keep/shadow"
	refused 415 UnsupportedDocumentEncodingException 'Unsupported documented encoding; supported encoding is UTF-8'
	local deep
	deep=$(printf '{"state":{"reported":'; printf '{"a":%.0s' $(seq 1 1000); printf '1'; printf '}%.0s' $(seq 1 1000); printf '}}')
	run hcurl -X POST --data-binary "$deep" "$HTTP_URL/things/keep/shadow"
	assert_equal "$(http_status)" 400
	assert_equal "$(http_header_of x-amzn-ErrorType)" InvalidRequestException
	still_serving
}

@test "a 10 MiB body is refused 413: before it is sent when the client asks to continue, else read and dropped; past 32 MiB more the connection is cut" {
	head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' a >"$TD/big"
	# curl asks to continue first: shadowd answers 413 and no byte is sent
	run curl -s -o "$TD/big.out" -w '%{http_code} %{size_upload}' --max-time 30 \
	    -X POST --data-binary @"$TD/big" "$HTTP_URL/things/keep/shadow"
	assert_output '413 0'
	assert_equal "$(jq -r .message "$TD/big.out")" 'The payload exceeds the maximum size allowed'
	# without Expect: the body is read, not kept, and then answered
	run curl -s -o "$TD/big.out" -w '%{http_code} %{size_upload}' --max-time 30 -H 'Expect:' \
	    -X POST --data-binary @"$TD/big" "$HTTP_URL/topics/big"
	assert_output "413 $((10 * 1024 * 1024))"
	# declared longer than the limit and 32 MiB more: answered at once
	run bash -c "head -c $((40 * 1024 * 1024)) /dev/zero | curl -s -o '$TD/big.out' -w '%{http_code}' --max-time 30 -H 'Expect:' -H 'Content-Length: $((40 * 1024 * 1024))' -X POST --data-binary @- '$HTTP_URL/things/keep/shadow'"
	assert_output '413'
	# a chunked body that goes on past that is cut off, with no answer
	run bash -c "head -c $((40 * 1024 * 1024)) /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Expect:' -H 'Transfer-Encoding: chunked' -X POST --data-binary @- '$HTTP_URL/things/keep/shadow'"
	assert_output '000'
	# a chunked body without a length: refused once it passes 128 KiB
	run bash -c "head -c 200000 /dev/zero | curl -s -o '$TD/big.out' -w '%{http_code}' --max-time 30 -H 'Transfer-Encoding: chunked' -X POST --data-binary @- '$HTTP_URL/things/keep/shadow'"
	assert_output '413'
	# the limit itself: exactly 128 KiB is read whole, one byte more is not
	run bash -c "head -c 131072 /dev/zero | tr '\0' a | curl -s -o '$TD/big.out' -w '%{http_code}' --max-time 30 -H 'Transfer-Encoding: chunked' -X POST --data-binary @- '$HTTP_URL/topics/big'"
	assert_output '200'
	run bash -c "head -c 131073 /dev/zero | tr '\0' a | curl -s -o '$TD/big.out' -w '%{http_code}' --max-time 30 -H 'Transfer-Encoding: chunked' -X POST --data-binary @- '$HTTP_URL/topics/big'"
	assert_output '413'
	still_serving
}

@test "bad thing and shadow names, bad percent-encoding: 400 naming the fault" {
	run hcurl "$HTTP_URL/things/bad!name/shadow"
	refused 400 InvalidRequestException 'Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -'
	run hcurl "$HTTP_URL/things/$(head -c 129 /dev/zero | tr '\0' t)/shadow"
	refused 400 InvalidRequestException 'Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -'
	run hcurl "$HTTP_URL/things/keep/shadow?name=no%20spaces"
	refused 400 InvalidRequestException 'Invalid shadow name: 1 to 64 of A-Z a-z 0-9 : _ - $'
	run hcurl "$HTTP_URL/things/keep/shadow?name="
	refused 400 InvalidRequestException 'Invalid shadow name: 1 to 64 of A-Z a-z 0-9 : _ - $'
	run hcurl "$HTTP_URL/things/ke%zzep/shadow"
	refused 400 InvalidRequestException 'Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -'
	run hcurl "$HTTP_URL/things/keep/shadow?name=a%2"
	refused 400 InvalidRequestException 'Invalid percent-encoding in the query'
	# a parameter shadowd does not read must be well encoded too
	run hcurl "$HTTP_URL/things/keep/shadow?x=%zz&name=n1"
	refused 400 InvalidRequestException 'Invalid percent-encoding in the query'
	# name%00junk is not name: a NUL in a name is refused, never cut there
	run hcurl -X DELETE "$HTTP_URL/things/keep/shadow?name%00junk=cfg"
	refused 400 InvalidRequestException 'Invalid query parameter name: no NUL (%00)'
	# a value too long for its parameter gets that parameter's text
	run hcurl "$HTTP_URL/things/keep/shadow?name=$(head -c 600 /dev/zero | tr '\0' n)"
	refused 400 InvalidRequestException 'Invalid shadow name: 1 to 64 of A-Z a-z 0-9 : _ - $'
	# an unknown parameter is ignored whatever its length
	run hcurl "$HTTP_URL/things/keep/shadow?$(head -c 100 /dev/zero | tr '\0' k)=$(head -c 2000 /dev/zero | tr '\0' v)"
	assert_equal "$(http_status)" 200
	assert_equal "$(http_body_of | jq -c '[.version, .state.reported]')" '[1,{"v":1}]'
	run hcurl "$HTTP_URL/things/ke%00ep/shadow"
	refused 400 InvalidRequestException 'Invalid thing name: 1 to 128 of A-Z a-z 0-9 : _ -'
	# the name decoded: %3A is ':'
	run hcurl "$HTTP_URL/things/no%3Asuch/shadow"
	refused 404 ResourceNotFoundException "No shadow exists with name: 'no:such'"
	still_serving
}

@test "pageSize 0, 101 and x, a forged nextToken and one of another thing: 400" {
	local u=$HTTP_URL/api/things/shadow/ListNamedShadowsForThing/keep p tok
	for p in 0 101 x -1 ''; do
		run hcurl "$u?pageSize=$p"
		refused 400 InvalidRequestException 'Invalid pageSize: an integer from 1 to 100'
	done
	py iotdata.py update keep '{"state":{"reported":{"v":1}}}' n1 >/dev/null
	py iotdata.py update keep '{"state":{"reported":{"v":1}}}' n2 >/dev/null
	run hcurl "$u?pageSize=1"
	assert_equal "$(http_status)" 200
	tok=$(http_body_of | jq -r .nextToken)
	run hcurl "$u?pageSize=1&nextToken=$tok"
	assert_equal "$(http_body_of | jq -c .results)" '["n2"]'
	# forged: another name with the same MAC, garbage, and another thing's
	run hcurl "$u?nextToken=6e30${tok#6e31}"
	refused 400 InvalidRequestException 'Invalid nextToken'
	run hcurl "$u?nextToken=garbage"
	refused 400 InvalidRequestException 'Invalid nextToken'
	run hcurl "$HTTP_URL/api/things/shadow/ListNamedShadowsForThing/other?nextToken=$tok"
	refused 400 InvalidRequestException 'Invalid nextToken'
	still_serving
}

@test "unknown route 404, wrong method 405 with Allow, bad Publish topic and options 400" {
	run hcurl "$HTTP_URL/nothing/here"
	refused 404 ResourceNotFoundException 'No route for GET /nothing/here'
	# raw bytes that are not UTF-8 in the target: the message is JSON of
	# printable ASCII, each other byte written %XX
	run hcurl --request-target "$(printf '/caf\xc3\xa9/\xff\xfe?x=\xc0')" "$HTTP_URL/"
	refused 404 ResourceNotFoundException 'No route for GET /caf%C3%A9/%FF%FE'
	http_body_of | "$PYTHON3" -c 'import json, sys; json.loads(sys.stdin.buffer.read())'
	run hcurl -X "$(printf 'G\xc0T')" "$HTTP_URL/x"
	assert_equal "$(http_status)" 404
	assert_equal "$(http_body_of | "$PYTHON3" -c 'import json, sys; print(json.loads(sys.stdin.buffer.read())["message"])')" 'No route for G%C0T /x'
	run hcurl -X PUT "$HTTP_URL/things/keep/shadow"
	refused 405 MethodNotAllowedException 'Method not allowed; this path takes GET, POST and DELETE'
	assert_equal "$(http_header_of Allow)" 'GET, POST, DELETE'
	run hcurl -X POST "$HTTP_URL/api/things/shadow/ListNamedShadowsForThing/keep"
	refused 405 MethodNotAllowedException 'Method not allowed; this path takes GET'
	run hcurl "$HTTP_URL/topics/a"
	refused 405 MethodNotAllowedException 'Method not allowed; this path takes POST'
	local t
	for t in 'a%2F%2B' 'a%23' '' "$(head -c 257 /dev/zero | tr '\0' t)" 'a/b/c/d/e/f/g/h/i' '%FF'; do
		run hcurl -X POST -d x "$HTTP_URL/topics/$t"
		refused 400 InvalidRequestException "Invalid topic: 1 to 256 bytes of UTF-8, at most 7 '/', no '+' or '#'"
	done
	run hcurl -X POST -d x "$HTTP_URL/topics/a?qos=2"
	refused 400 InvalidRequestException 'Invalid qos: 0 or 1'
	run hcurl -X POST -d x "$HTTP_URL/topics/a?retain=yes"
	refused 400 InvalidRequestException 'Invalid retain: true or false'
	# an update sent with GET is a get: the body is ignored
	run hcurl -X GET -d '{"state":{"reported":{"v":9}}}' "$HTTP_URL/things/keep/shadow"
	assert_equal "$(http_status)" 200
	still_serving
}

@test "a client that sends half a request and stalls is closed after the idle timeout; others are served meanwhile" {
	local start
	exec 5<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
	printf 'POST /things/keep/shadow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"state":' >&5
	start=$(date +%s)
	# served while it stalls
	run hcurl "$HTTP_URL/things/keep/shadow"
	assert_equal "$(http_status)" 200
	# the stalled connection ends (EOF) after SHADOWD_HTTP_IDLE_TIMEOUT=3 s
	run timeout 30 cat <&5
	assert_success
	exec 5<&-
	[ $(( $(date +%s) - start )) -ge 2 ]
	still_serving
}

@test "connections beyond --http-max-connections are refused at once; the others are served" {
	local i
	# (descriptors from 31: bats uses some below)
	for i in $(seq 1 "$MAXCONN"); do
		eval "exec $((30 + i))<>/dev/tcp/127.0.0.1/$HTTP_PORT"
	done
	# the one too many: closed at once, no answer
	run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$HTTP_URL/things/keep/shadow"
	assert_output '000'
	# the open ones are served
	printf 'GET /things/keep/shadow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&31
	run timeout 10 cat <&31
	assert_line --partial 'HTTP/1.1 200'
	for i in $(seq 1 "$MAXCONN"); do
		eval "exec $((30 + i))<&-"
	done
	# with the slots free again, a new client is served
	run curl -s -o /dev/null -w '%{http_code}' --retry 5 --retry-all-errors --retry-delay 1 --max-time 20 "$HTTP_URL/things/keep/shadow"
	assert_output '200'
	still_serving
}

@test "a burst of 10 000 requests is answered, every one, and shadowd carries on" {
	local i
	{
		for i in $(seq 1 10000); do
			echo "url = \"$HTTP_URL/things/keep/shadow\""
			echo 'output = "/dev/null"'
		done
	} >"$TD/burst.cfg"
	run bash -c "curl -s --parallel --parallel-max $((MAXCONN - 2)) -w '%{http_code}\n' --config '$TD/burst.cfg' 2>/dev/null | sort | uniq -c"
	assert_success
	assert_output --regexp '^ *10000 200$'
	still_serving
}
