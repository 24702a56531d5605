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
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

stack_setup() {
	export TD=$BATS_FILE_TMPDIR
	: >"$TD/pids"
	unset SHADOW_CONFIG SHADOW_PROFILE SHADOW_THING SHADOW_NAME SHADOW_CA \
	    SHADOW_CERT SHADOW_KEY SHADOW_CERTS SHADOW_USERNAME SHADOW_PASSWORD \
	    SHADOW_CLIENT_ID
	export XDG_CONFIG_HOME=$TD/xdg-config XDG_STATE_HOME=$TD/xdg-state
	export NO_COLOR=1
}

# Remember a pid so stack_teardown stops it.
track_pid() { echo "$1" >>"$TD/pids"; }

stack_teardown() {
	local p
	[ -f "$TD/pids" ] || return 0
	while read -r p; do
		kill -TERM "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null
	done <"$TD/pids"
	sleep 0.2
	while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$TD/pids"
	: >"$TD/pids"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a loopback port nothing listens on now, below the kernel's
# range of ephemeral ports (32768-60999), so that no client socket holds it.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		port_open "$p" || { echo "$p"; return 0; }
	done
}

# wait_listening PID PORT: until PORT accepts connections (0), or the
# process PID is gone (1: it could not listen), at most 10 s.
wait_listening() {
	local i
	for i in $(seq 1 200); do
		port_open "$2" && alive "$1" && return 0
		alive "$1" || return 1
		sleep 0.05
	done
	return 1
}

# alive PID: the process runs (not gone, not a zombie left to reap).
alive() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}

# reap PID: stop a process that may be gone already (never fails).
reap() {
	kill "$1" 2>/dev/null && wait_gone "$1"
	return 0
}

wait_port() {
	local i
	for i in $(seq 1 200); do port_open "$1" && return 0; sleep 0.05; done
	return 1
}

# broker_start [EXTRA_CONF_FILE]: mosquitto with our config on a free port.
# Persistence on, so a clean restart keeps sessions and queued messages.
broker_start() {
	local extra=${1:-} try port
	mkdir -p "$TD/broker"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=${BROKER_PORT:-$(free_port)}
		port_open "$port" && { unset BROKER_PORT; continue; }
		{
			echo "listener $port 127.0.0.1"
			echo "allow_anonymous true"
			echo "user $(id -un)"
			echo "set_tcp_nodelay true"
			echo "persistence true"
			echo "persistence_location $TD/broker/"
			echo "max_queued_messages 100000"
			echo "log_dest file $TD/broker/mosquitto.log"
			echo "log_type error"
			echo "log_type warning"
			echo "log_type notice"
			echo "log_type subscribe"
			[ -n "$extra" ] && cat "$extra"
		} >"$TD/broker/mosquitto.conf"
		"$MOSQUITTO" -c "$TD/broker/mosquitto.conf" >>"$TD/broker/stdout" 2>&1 &
		BROKER_PID=$!
		track_pid "$BROKER_PID"
		if wait_listening "$BROKER_PID" "$port"; then
			export BROKER_PORT=$port BROKER_PID
			export SHADOW_ENDPOINT=127.0.0.1 SHADOW_PORT=$port
			return 0
		fi
		# a port taken meanwhile ("Address already in use"): the next try
		# takes another one
		reap "$BROKER_PID"
		unset BROKER_PORT
	done
	echo "broker_start: could not start mosquitto (see $TD/broker)" >&2
	return 1
}

broker_stop() {
	[ -n "${BROKER_PID:-}" ] || return 0
	kill -TERM "$BROKER_PID" 2>/dev/null
	wait_gone "$BROKER_PID"
}

broker_kill() {
	kill -KILL "$BROKER_PID" 2>/dev/null
	wait_gone "$BROKER_PID"
}

# Restart on the same port (sessions kept through persistence).
broker_restart() {
	broker_stop
	broker_start
}

wait_gone() {
	local i
	for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

# Wait until FILE contains a line matching REGEX (default 5 s).
wait_for_line() {
	local file=$1 re=$2 tries=$(( ${3:-5} * 20 )) i
	for i in $(seq 1 "$tries"); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "wait_for_line: no '$re' in $file" >&2
	return 1
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

# shadowd_start [ARGS...]: start shadowd on the broker, wait until it serves.
shadowd_start() {
	mkdir -p "$TD/shadowd-data"
	: >"$TD/shadowd.log"
	"$BIN/shadowd" --data-dir "$TD/shadowd-data" "$@" >>"$TD/shadowd.log" 2>&1 &
	SHADOWD_PID=$!
	export SHADOWD_PID
	track_pid "$SHADOWD_PID"
	wait_for_line "$TD/shadowd.log" "ready" 10
}

# stack_start [SHADOWD ARGS...]: the usual suite: scratch dir, broker, shadowd.
stack_start() {
	stack_setup
	broker_start || return 1
	shadowd_start "$@"
}

shadowd_stop() {
	[ -n "${SHADOWD_PID:-}" ] || return 0
	kill -TERM "$SHADOWD_PID" 2>/dev/null
	wait_gone "$SHADOWD_PID"
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
