# shellcheck shell=bash
# Helpers for tests/bench/run: a throw-away mosquitto on a free loopback
# port and bookkeeping of every process the benchmark starts.
#
#   . tests/bench/lib.sh
#   bench_init DIR        scratch dir; installs the EXIT trap
#   bench_broker_start    sets BENCH_PORT, BENCH_BROKER_PID
#   bench_track PID       stop PID on exit
#   bench_stop PID        TERM, wait, then KILL
#   bench_wait_line FILE REGEX [SECONDS]

MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
BENCH_PIDS=()

bench_init() {
	BENCH_DIR=$1
	mkdir -p "$BENCH_DIR" || return 1
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_track() { BENCH_PIDS+=("$1"); }

bench_alive() { kill -0 "$1" 2>/dev/null; }

# bench_stop PID: ask politely, then insist after 3 s.
bench_stop() {
	local pid=$1 i
	bench_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 60); do
		bench_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Newest first: clients go before the broker they talk to.
bench_cleanup() {
	local i
	for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
		bench_stop "${BENCH_PIDS[i]}"
	done
	BENCH_PIDS=()
}

bench_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

bench_wait_port() {
	local i
	for i in $(seq 1 100); do
		bench_port_open "$1" && return 0
		sleep 0.05
	done
	return 1
}

# bench_wait_line FILE REGEX [SECONDS] [PID]: until FILE has a matching line;
# gives up early when PID (the process writing FILE) is gone.
bench_wait_line() {
	local file=$1 re=$2 tries=$(( ${3:-5} * 20 )) pid=${4:-} i
	for i in $(seq 1 "$tries"); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		[ -n "$pid" ] && ! bench_alive "$pid" && return 1
		sleep 0.05
	done
	return 1
}

# bench_free_port: a loopback port nothing listens on.
bench_free_port() {
	local _ port
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		bench_port_open "$port" || { echo "$port"; return 0; }
	done
	return 1
}

bench_broker_start() {
	local _ port dir=$BENCH_DIR/broker
	mkdir -p "$dir" || return 1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		bench_port_open "$port" && continue
		{
			echo "listener $port 127.0.0.1"
			echo "allow_anonymous true"
			echo "set_tcp_nodelay true"
			echo "user $(id -un)"
			echo "persistence false"
			echo "log_dest file $dir/mosquitto.log"
			echo "log_type error"
			echo "log_type warning"
		} >"$dir/mosquitto.conf"
		"$MOSQUITTO" -c "$dir/mosquitto.conf" >>"$dir/stdout" 2>&1 &
		BENCH_BROKER_PID=$!
		bench_track "$BENCH_BROKER_PID"
		if bench_wait_port "$port" && bench_alive "$BENCH_BROKER_PID"; then
			# shellcheck disable=SC2034 # read by tests/bench/run
			BENCH_PORT=$port
			return 0
		fi
		bench_stop "$BENCH_BROKER_PID"
	done
	echo "bench: could not start mosquitto (see $dir)" >&2
	return 1
}
