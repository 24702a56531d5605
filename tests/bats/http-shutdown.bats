#!/usr/bin/env bats
# shadowd's HTTP face while shadowd shuts down (SIGTERM): the requests it
# already received are applied and answered; one that arrives after gets 503
# ServiceUnavailableException and its connection closed, with every client;
# an MQTT request arriving meanwhile is answered once, with its token, by
# this shadowd or the next; shadowd exits 0.
#
# How a request is made to arrive during the shutdown, without timing: the
# broker is stopped (SIGSTOP) and an update is made over HTTP; its
# notifications wait for the broker's PUBACKs, so after SIGTERM shadowd stays
# in its final flush (up to 5 s) with its listener open. It is stopped there
# (SIGSTOP right after its "stopping" line; the listener, closed only once
# the flush is over and the connections queued on it are taken, shows it
# had not left it: the one bound is that the SIGSTOP comes within those
# 5 s, and the test fails, not passes, when it does not), the clients
# connect and send (the kernel holds their requests, seen with ss), then
# SIGCONT: whatever the time, shadowd answers what arrived before closing.
bats_require_minimum_version 1.5.0

load ../helpers/shadowd
load ../helpers/http

MSG="shadowd is shutting down; try again when it is back"

setup_file() {
	stack_setup
	http_aws_env
	sd_broker_start
	sd_watch_start
	: >"$TD/shadowd.pid"   # each test starts its own
}
teardown_file() {
	kill -CONT "$(cat "$TD/broker.pid")" 2>/dev/null
	stack_teardown
}
setup() { sd_load; http_aws_env; }
# A failed test may leave the broker or shadowd stopped, or shadowd running.
teardown() {
	kill -CONT "$BROKER_PID" 2>/dev/null
	if [ -n "${SHADOWD_PID:-}" ] && alive "$SHADOWD_PID"; then
		kill -CONT "$SHADOWD_PID" 2>/dev/null
		reap "$SHADOWD_PID"
	fi
}

# up: shadowd with its HTTP face, a child of the test's shell (its exit
# status can be waited for), on the suite's store and broker session.
up() {
	http_shadowd_start || return 1
	SHADOWD_PID=$(cat "$TD/shadowd.pid")
}

# down: SIGTERM, then exited0.
down() {
	kill -TERM "$SHADOWD_PID"
	exited0
}

# exited0: shadowd exits 0 after its "stopped" line.
exited0() {
	local rc=0
	wait "$SHADOWD_PID" || rc=$?
	[ "$rc" -eq 0 ] || { echo "shadowd exited $rc, wanted 0" >&2; return 1; }
	grep -q ': stopped$' "$TD/shadowd.log"
}

# listening PORT: a socket listens on PORT.
listening() { [ -n "$(ss -Hltn "( sport = :$1 )")" ]; }

# queued N: N connections to the HTTP face hold request bytes shadowd has
# not read (it is stopped; accepted or not, the kernel holds them).
queued() {
	[ "$(ss -Htn state established "( sport = :$HTTP_PORT )" |
	    awk '$1 > 0' | wc -l)" -ge "$1" ]
}

# hold THING: shadowd in its shutting-down phase, stopped there (see the top).
hold() {
	local out
	kill -STOP "$BROKER_PID"
	out=$(hcurl -X POST --data '{"state":{"reported":{"before":1}}}' \
	    "$HTTP_URL/things/$1/shadow") || return 1
	[ "$(output=$out http_status)" = 200 ] || { echo "update: $out" >&2; return 1; }
	kill -TERM "$SHADOWD_PID"
	wait_for_line "$TD/shadowd.log" ': stopping: finishing the requests in hand'
	kill -STOP "$SHADOWD_PID"
	listening "$HTTP_PORT" || {
		echo "shadowd had closed its HTTP listener before SIGSTOP" >&2
		return 1
	}
}

# answered_after ROOT: the get with the clientToken "after" is answered.
answered_after() {
	answers_of "$1" | grep -q '/get/accepted .*"clientToken":"after"'
}

# bg NAME CMD...: run CMD in the background, its output in $TD/NAME.out and
# its exit status in $TD/NAME.rc; its pid is added to BG.
bg() {
	local name=$1
	shift
	{
		local rc=0
		"$@" >"$TD/$name.out" 2>&1 || rc=$?
		echo "$rc" >"$TD/$name.rc"
	} &
	BG+=($!)
}

@test "a request arriving during the shutdown: 503 ServiceUnavailableException, Connection: close, with curl, boto3, the AWS CLI and shadowctl; nothing applied; exit 0" {
	local t p; t=$(thing)
	up
	hold "$t"
	BG=()
	bg curl hcurl -X POST --data '{"state":{"reported":{"late":1}}}' "$HTTP_URL/things/$t/shadow"
	bg boto3 py iotdata.py update "$t" '{"state":{"reported":{"late":2}}}'
	bg aws env AWS_MAX_ATTEMPTS=1 "$AWS_CLI" iot-data --endpoint-url "$HTTP_URL" \
	    get-thing-shadow --thing-name "$t" "$TD/aws.json"
	bg ctl env -u SHADOW_PORT "$BIN/shadowctl" -e "$HTTP_URL" -t "$t" --timeout 60 \
	    set --reported late:=3
	poll_until 60 queued 4
	kill -CONT "$SHADOWD_PID"
	for p in "${BG[@]}"; do wait "$p"; done
	# curl: the status, the error type, the JSON message, and the close
	output=$(cat "$TD/curl.out")
	assert_equal "$(cat "$TD/curl.rc")" 0
	assert_equal "$(http_status)" 503
	assert_equal "$(http_header_of x-amzn-ErrorType)" ServiceUnavailableException
	assert_equal "$(http_header_of Connection)" close
	assert_equal "$(http_body_of)" "{\"message\":\"$MSG\"}"
	# boto3 raises its modelled exception
	assert_equal "$(cat "$TD/boto3.rc")" 1
	assert_equal "$(cat "$TD/boto3.out")" "ServiceUnavailableException: $MSG"
	# the AWS CLI: a service error (254) naming it
	assert_equal "$(cat "$TD/aws.rc")" 254
	run cat "$TD/aws.out"
	assert_output --partial "An error occurred (ServiceUnavailableException) when calling the GetThingShadow operation"
	assert_output --partial "$MSG"
	# shadowctl: a rejection, exit 1
	assert_equal "$(cat "$TD/ctl.rc")" 1
	assert_equal "$(cat "$TD/ctl.out")" "shadowctl: update rejected: 503 $MSG"
	kill -CONT "$BROKER_PID"
	exited0
	run ! listening "$HTTP_PORT"
	# the next shadowd has the update made before the SIGTERM, none of the late ones
	up
	run hcurl "$HTTP_URL/things/$t/shadow"
	assert_equal "$(http_status)" 200
	assert_equal "$(http_body_of | jq -c '[.version, .state]')" '[1,{"reported":{"before":1}}]'
	down
}

@test "requests received before the SIGTERM are applied and answered 200 (curl, boto3), with Connection: close; their notifications go out; exit 0" {
	local t p; t=$(thing)
	up
	kill -STOP "$SHADOWD_PID"
	BG=()
	bg curl hcurl -X POST --data '{"state":{"reported":{"a":1}},"clientToken":"c1"}' \
	    "$HTTP_URL/things/$t/shadow"
	bg boto3 py iotdata.py update "$t" '{"state":{"reported":{"b":2}}}' cfg
	poll_until 60 queued 2
	kill -TERM "$SHADOWD_PID"
	kill -CONT "$SHADOWD_PID"
	for p in "${BG[@]}"; do wait "$p"; done
	output=$(cat "$TD/curl.out")
	assert_equal "$(http_status)" 200
	assert_equal "$(http_header_of Connection)" close
	assert_json "$(http_body_of)" '{"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":"T"}}},"version":1,"timestamp":"T","clientToken":"c1"}'
	assert_equal "$(cat "$TD/boto3.rc")" 0
	assert_equal "$(jq -c '[.version, .state]' "$TD/boto3.out")" '[1,{"reported":{"b":2}}]'
	exited0
	# their notifications were published before the exit
	wait_answers "$(root "$t")" 2
	wait_answers "$(nroot "$t" cfg)" 2
	run answers_of "$(root "$t")"
	assert_json "$(answer update/accepted)" '{"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":"T"}}},"version":1,"timestamp":"T","clientToken":"c1"}'
	# and they are stored
	up
	run py iotdata.py get "$t"
	assert_equal "$(jq -c '[.version, .state]' <<<"$output")" '[1,{"reported":{"a":1}}]'
	run py iotdata.py get "$t" cfg
	assert_equal "$(jq -c '[.version, .state]' <<<"$output")" '[1,{"reported":{"b":2}}]'
	down
}

@test "an MQTT request arriving during the shutdown is answered once, with its clientToken, by this shadowd or the next; never 503" {
	local t u r; t=$(thing a) u=$(thing b); r=$(root "$u")
	up
	hold "$t"
	kill -CONT "$BROKER_PID"
	# returns once the broker has it; shadowd, stopped, reads nothing
	pub "$r/update" '{"state":{"reported":{"m":1}},"clientToken":"late-mqtt"}'
	kill -CONT "$SHADOWD_PID"
	exited0
	# the next shadowd answers it if the first left it in the session;
	# a get after it comes back after any copy delivered again
	up
	pub "$r/get" '{"clientToken":"after"}'
	poll_until 20 answered_after "$r"
	run answers_of "$r"
	assert_equal "$(grep -c '/update/accepted ' <<<"$output")" 1
	assert_equal "$(grep -c '/rejected ' <<<"$output")" 0
	assert_json "$(answer update/accepted)" '{"state":{"reported":{"m":1}},"metadata":{"reported":{"m":{"timestamp":"T"}}},"version":1,"timestamp":"T","clientToken":"late-mqtt"}'
	assert_equal "$(answer get/accepted | jq -c '[.version, .clientToken]')" '[1,"after"]'
	down
}
