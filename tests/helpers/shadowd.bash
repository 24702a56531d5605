# Helpers for the shadowd suites: one watcher subscribed to every answer
# topic, and requests that wait for their answers in that watcher's log.
#
#   setup_file() { sd_stack_start [SHADOWD ARGS...]; }
#   setup() { sd_load; }
#   teardown_file() { stack_teardown; }
#   ask '$aws/things/t1/shadow' update '{"state":...}' 3
#   answer update/accepted          payload of that answer in $output
#   assert_json "$(answer update/accepted)" '{"state":...,"timestamp":"T"}'

load ../helpers/common

# A thing name unique to the running test.
thing() { echo "t${BATS_TEST_NUMBER}_${1:-x}"; }

sd_watch_start() {
	local id="sdwatch-$$-$RANDOM"
	: >"$TD/watch.log"
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -v \
	    -t '$aws/things/+/shadow/+/+' \
	    -t '$aws/things/+/shadow/name/+/+/+' >>"$TD/watch.log" 2>&1 &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	echo "$WATCH_PID" >"$TD/watch.pid"
	wait_subscribed "$id"
}

sd_stack_start() {
	stack_setup
	sd_broker_start
	sd_start "$@"
	sd_watch_start
}

# Tests run in subshells: keep the pids of restarted processes in files so
# the next test finds them (sd_load, from setup).
sd_start() {
	shadowd_start "$@" || return 1
	echo "$SHADOWD_PID" >"$TD/shadowd.pid"
}

sd_broker_start() {
	broker_start || return 1
	echo "$BROKER_PID" >"$TD/broker.pid"
}

sd_load() {
	SHADOWD_PID=$(cat "$TD/shadowd.pid" 2>/dev/null)
	BROKER_PID=$(cat "$TD/broker.pid" 2>/dev/null)
	WATCH_PID=$(cat "$TD/watch.pid" 2>/dev/null)
	export SHADOWD_PID BROKER_PID WATCH_PID
}

# Answer lines of the watcher log for one shadow root.
answers_of() {
	awk -v r="$1/" 'index($0, r) == 1 {
		rest = substr($0, length(r) + 1)
		sp = index(rest, " ")
		t = substr(rest, 1, sp - 1)
		if (t ~ /^(get|update|delete)\/(accepted|rejected|delta|documents)$/)
			print
	}' "$TD/watch.log"
}

count_answers() {
	awk -v r="$1/" 'index($0, r) == 1 {
		rest = substr($0, length(r) + 1)
		t = substr(rest, 1, index(rest, " ") - 1)
		if (t ~ /^(get|update|delete)\/(accepted|rejected|delta|documents)$/)
			n++
	} END { print n + 0 }' "$TD/watch.log"
}

# wait_answers ROOT N: until ROOT has at least N answers (default 5 s).
wait_answers() {
	local root=$1 n=$2 tries=$(( ${3:-5} * 50 )) i
	for i in $(seq 1 "$tries"); do
		[ "$(count_answers "$root")" -ge "$n" ] && return 0
		sleep 0.02
	done
	echo "wait_answers: $root has $(count_answers "$root") answers, wanted $n" >&2
	return 1
}

# ask ROOT OP PAYLOAD [N]: publish a request, print its N answers (default 1).
ask() {
	local root=$1 op=$2 payload=$3 n=${4:-1} before
	before=$(count_answers "$root")
	pub "$root/$op" "$payload" || return 1
	wait_answers "$root" $((before + n)) || return 1
	answers_of "$root" | tail -n +$((before + 1)) | head -n "$n"
}

# answer SUFFIX [TEXT]: payload of the answer on .../SUFFIX in TEXT ($output).
answer() {
	local suffix=$1 text=${2-$output}
	printf '%s\n' "$text" | awk -v s="/$suffix " '{
		i = index($0, s)
		if (i > 0 && index(substr($0, 1, i), " ") == 0) {
			print substr($0, i + length(s)); exit
		}
	}'
}

# The answer topics in order, relative to the root (update/accepted ...).
answer_kinds() {
	printf '%s\n' "$output" | awk '{ n = split($1, p, "/"); print p[n-1] "/" p[n] }'
}

# Timestamps replaced by "T", keys sorted, compact.
norm_json() {
	jq -S -c 'walk(if type == "object" and has("timestamp") then .timestamp = "T" else . end)'
}

assert_json() {
	local got want
	got=$(printf '%s' "$1" | norm_json) || { echo "not JSON: $1" >&2; return 1; }
	want=$(printf '%s' "$2" | norm_json) || { echo "bad expected JSON: $2" >&2; return 1; }
	if [ "$got" != "$want" ]; then
		echo "expected: $want" >&2
		echo "actual:   $got" >&2
		return 1
	fi
}

# classic / named roots
root() { echo "\$aws/things/$1/shadow"; }
nroot() { echo "\$aws/things/$1/shadow/name/$2"; }

# pub_lines TOPIC < FILE: publish each line of stdin as one QoS 1 message.
pub_lines() {
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$1" -l
}

# pub_file TOPIC FILE: publish a file's bytes as one message.
pub_file() {
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$1" -f "$2"
}
