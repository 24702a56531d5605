# Helpers for the bats suites: a real mosquitto on a free loopback port, a
# real shadowd, and cleanup of every process a suite starts.
#
#   load ../helpers/common            in a .bats file
#   setup_file() { stack_start; }     (stack_setup; broker_start; shadowd_start)
#   teardown_file() { stack_teardown; }
#
# Variables: BIN (programs), TD (the suite's scratch dir), BROKER_PORT,
# and SHADOW_ENDPOINT/SHADOW_PORT exported so the tools find the broker.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

BIN=${SHADOW_BIN_DIR:-$BATS_TEST_DIRNAME/../../build/bin}
TOP=${SHADOW_TOP:-$BATS_TEST_DIRNAME/../..}
export SHADOW_BIN_DIR=$BIN

# The stack itself (broker, shadowd, pids, waits) is the bats library we
# ship to users, contrib/bats/shadow.bash: one implementation for both.
# Below, the names the suites use, on top of it.
load "$TOP/contrib/bats/shadow.bash"

stack_setup() {
	export SHADOW_TEST_DIR=$BATS_FILE_TMPDIR
	shadow_setup || return 1
	: >"$SHADOW_TEST_DIR/pids"
	export TD=$SHADOW_TEST_DIR
}

# Remember a pid so stack_teardown stops it.
track_pid() { shadow_track_pid "$@"; }
stack_teardown() { shadow_stack_stop; }
port_open() { shadow_port_open "$@"; }
free_port() { shadow_free_port; }
alive() { shadow_alive "$@"; }
reap() { shadow_reap "$@"; }
wait_port() { shadow_wait_port "$1" "${2:-10}"; }
wait_listening() { shadow_wait_listening "$1" "$2" "${3:-10}"; }
wait_gone() { shadow_wait_gone "$1" "${2:-5}"; }

# Wait until FILE contains a line matching REGEX (default 5 s).
wait_for_line() { shadow_wait_for_line "$1" "$2" "${3:-5}"; }

# broker_start [EXTRA_CONF_FILE]: mosquitto with our config on a free port
# (BROKER_PORT when set); persistence on, so a clean restart keeps sessions
# and queued messages. Sets BROKER_PORT and BROKER_PID.
broker_start() {
	if [ -n "${BROKER_PORT:-}" ]; then
		export SHADOW_BROKER_PORT=$BROKER_PORT
	else
		unset SHADOW_BROKER_PORT
	fi
	shadow_broker_start "$@" || return 1
	export BROKER_PORT=$SHADOW_BROKER_PORT BROKER_PID=$SHADOW_BROKER_PID
}

broker_stop() { shadow_broker_stop "${BROKER_PID:-}"; }
broker_kill() { shadow_broker_kill "${BROKER_PID:-}"; }

# Restart on the same port (sessions kept through persistence). The clients
# come back to that port, so the old broker must have let it go first: on a
# loaded machine saving its sessions takes longer than broker_stop waits, and
# broker_start would then move to another port that no client knows.
broker_restart() {
	local port=$BROKER_PORT
	broker_stop
	shadow_wait_gone "$BROKER_PID" 30 || return 1
	poll_until 30 eval '! port_open "$port"' || return 1
	broker_start || return 1
	# (shadow_broker_start takes another port when it cannot have this one)
	[ "$BROKER_PORT" = "$port" ] ||
	    { echo "broker_restart: port $port was taken, now on $BROKER_PORT" >&2; return 1; }
}

# poll_until SECONDS CMD...: run CMD every 0.1 s until it succeeds.
poll_until() {
	local tries=$(( $1 * 10 )) i
	shift
	for i in $(seq 1 "$tries"); do
		"$@" && return 0
		sleep 0.1
	done
	echo "poll_until: '$*' never succeeded" >&2
	return 1
}

# count_lines FILE REGEX: how many lines of FILE match (0 when none).
count_lines() {
	grep -cE "$2" "$1" 2>/dev/null || true
}

# lines_at_least FILE REGEX N: FILE has N or more lines matching REGEX (for
# poll_until: a later line of a kind already seen).
lines_at_least() {
	[ "$(count_lines "$1" "$2")" -ge "$3" ]
}

# shadowd_start [ARGS...] and shadowd_stop [PID] are the library's: shadowd
# on the broker, data in $TD/shadowd-data, log $TD/shadowd.log, SHADOWD_PID.

# stack_start [SHADOWD ARGS...]: the usual suite: scratch dir, broker, shadowd.
stack_start() {
	stack_setup
	broker_start || return 1
	shadowd_start "$@"
}

# wait_subscribed CLIENT_ID: wait until the broker logged its subscription.
wait_subscribed() {
	wait_for_line "$TD/broker/mosquitto.log" ": $1 [0-9] " 5
}

# pub TOPIC PAYLOAD: publish one QoS 1 message to the test broker.
pub() {
	mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$1" -m "$2"
}

# req TOPIC_ROOT OP PAYLOAD [N]: publish a request and print the first N
# (default 1) answers on ROOT/OP/#, one "topic payload" line each.
req() {
	local root=$1 op=$2 payload=$3 n=${4:-1} f
	f=$(mktemp "$TD/req.XXXXXX")
	local id="req-$RANDOM$RANDOM"
	mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -i "$id" -q 1 -v -C "$n" -W 5 \
	    -t "$root/$op/accepted" -t "$root/$op/rejected" \
	    -t "$root/update/delta" -t "$root/update/documents" >"$f" 2>&1 &
	local sp=$!
	wait_subscribed "$id"
	pub "$root/$op" "$payload"
	wait "$sp"
	cat "$f"
	rm -f "$f"
}

# jqe ARGS...: jq -e that also fails when jq printed nothing. jq 1.6 exits
# 0 on empty input whatever -e says, so "cmd | jq -e TEST" passes when cmd
# prints nothing; make lint-bats rejects a bare "jq -e" (use jqe, or -s).
jqe() {
	local out rc
	out=$(jq -e "$@") || { rc=$?; [ -z "$out" ] || printf '%s\n' "$out"; return "$rc"; }
	if [ -z "$out" ]; then
		echo "jqe: jq had no input to test (jq -e $*)" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
