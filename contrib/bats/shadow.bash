# shellcheck shell=bash
# shadow.bash: a private Device Shadow stack for bats tests, from
# shadow-tools. Installed as /usr/share/shadow-tools/bats/shadow.bash (or
# under PREFIX); shadow-tools' own suites use it too. The README's "In CI"
# paragraph shows a whole test file (example.bats, beside this file).
#
#   load /usr/share/shadow-tools/bats/shadow.bash
#   setup_file()    { shadow_stack_start; shadow_device_start lamp --state on:=false; }
#   teardown_file() { shadow_stack_stop; }
#   @test "..." { shadowctl -t lamp set on:=true --wait; assert_shadow -t lamp state.reported.on true; }
#
# shadow_stack_start starts a mosquitto of its own on a free loopback port
# and a shadowd on it, and exports what the tools read (SHADOW_ENDPOINT,
# SHADOW_PORT), so shadowctl, shadowdev and a device of yours that honours
# them reach this stack and nothing else. Everything it starts is stopped by
# pid in shadow_stack_stop.
#
# Settings (environment, read when a function runs):
#   SHADOW_BIN_DIR       where shadowctl/shadowdev/shadowd are (default: PATH);
#                        shadow_setup puts it first in PATH
#   SHADOW_TEST_DIR      scratch directory (default: $BATS_FILE_TMPDIR)
#   SHADOW_WAIT_TIMEOUT  seconds the waits give up after (default: 10)
# Exported by the functions:
#   SHADOW_ENDPOINT SHADOW_PORT           the private broker (127.0.0.1, port)
#   SHADOW_BROKER_PORT SHADOW_BROKER_PID  the same port; mosquitto's pid
#   SHADOWD_PID SHADOW_DEVICE_PID         pids of shadowd, of the last device
#   SHADOW_PID                            pid of the last shadow_spawn
#
# Functions:
#   shadow_stack_start [SHADOWD ARGS...]  setup + broker + shadowd
#   shadow_stack_stop                     stop every process started here
#   shadow_setup                          scratch dir, clean environment
#   shadow_broker_start [EXTRA_CONF]      mosquitto (persistence on)
#   shadow_broker_stop / _kill [PID]      (default $SHADOW_BROKER_PID)
#   shadow_broker_restart                 on the same port
#   shadowd_start [ARGS...] / shadowd_stop [PID]
#   shadow_device_start THING [ARGS...]   shadowdev -t THING ARGS run
#   shadow_spawn NAME CMD [ARGS...]       any program (your device), logged
#                                         to $SHADOW_TEST_DIR/NAME.log
#   shadow_track_pid PID                  stop PID with the stack
#   shadow_wait_reported THING KEY VALUE  until state.reported.KEY is VALUE
#   shadow_wait_desired THING KEY VALUE   until state.desired.KEY is VALUE
#   assert_shadow [-t THING] [-n SHADOW] PATH VALUE
#                                         the value at PATH of the document
#                                         (as "shadowctl get PATH -r" prints it)
#   shadow_wait_for_line FILE REGEX [SEC] shadow_wait_port PORT [SEC]
#   shadow_wait_gone PID [SEC]            shadow_port_open PORT
#   shadow_wait_until SEC CMD [ARGS...]   shadow_free_port
#   shadow_alive PID
#   shadow_wait_listening PID PORT [SEC]  shadow_reap PID

shadow__bin() {
	if [ -n "${SHADOW_BIN_DIR:-}" ]; then
		echo "$SHADOW_BIN_DIR/$1"
	else
		command -v "$1" || echo "/usr/bin/$1"
	fi
}

shadow__timeout() { echo "${1:-${SHADOW_WAIT_TIMEOUT:-10}}"; }

shadow__fail() { echo "shadow.bash: $*" >&2; return 1; }

# shadow_setup: the scratch directory, and an environment that reaches the
# private stack only (no config file, profile or credentials of the user).
shadow_setup() {
	export SHADOW_TEST_DIR=${SHADOW_TEST_DIR:-${BATS_FILE_TMPDIR:?run from bats or set SHADOW_TEST_DIR}}
	mkdir -p "$SHADOW_TEST_DIR" || return 1
	touch "$SHADOW_TEST_DIR/pids" || return 1
	unset SHADOW_CONFIG SHADOW_PROFILE SHADOW_THING SHADOW_NAME SHADOW_CA \
	    SHADOW_CERT SHADOW_KEY SHADOW_CERTS SHADOW_USERNAME SHADOW_PASSWORD \
	    SHADOW_CLIENT_ID
	export XDG_CONFIG_HOME=$SHADOW_TEST_DIR/xdg-config
	export XDG_STATE_HOME=$SHADOW_TEST_DIR/xdg-state
	export NO_COLOR=1
	if [ -n "${SHADOW_BIN_DIR:-}" ]; then
		export PATH=$SHADOW_BIN_DIR:$PATH
	fi
}

shadow_track_pid() { echo "$1" >>"$SHADOW_TEST_DIR/pids"; }

# True when something accepts TCP connections on 127.0.0.1:PORT.
shadow_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# shadow_free_port: a loopback port nothing listens on now, below the
# kernel's range of ephemeral ports (32768-60999), so that no client socket
# holds it.
shadow_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		shadow_port_open "$p" || { echo "$p"; return 0; }
	done
}

# shadow_alive PID: the process runs (not gone, not a zombie left to reap).
shadow_alive() {
	local st
	if [ -d /proc/self ]; then
		st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# shadow_wait_listening PID PORT [SEC]: until PORT accepts connections (0),
# or the process PID is gone (1: it could not listen).
shadow_wait_listening() {
	local end=$((SECONDS + $(shadow__timeout "${3:-}")))
	until shadow_port_open "$2" && shadow_alive "$1"; do
		shadow_alive "$1" && [ "$SECONDS" -le "$end" ] || return 1
		sleep 0.05
	done
}

# shadow_reap PID: stop a process that may be gone already (never fails).
shadow_reap() {
	kill "$1" 2>/dev/null && shadow_wait_gone "$1"
	return 0
}

# shadow_wait_until SEC CMD [ARGS...]: run CMD every 0.05 s until it
# succeeds (0), at most SEC seconds (1); the other waits are made of it.
shadow_wait_until() {
	local end=$((SECONDS + $(shadow__timeout "$1")))
	shift
	until "$@"; do
		[ "$SECONDS" -le "$end" ] || return 1
		sleep 0.05
	done
}

shadow__gone() { ! shadow_alive "$1"; }

shadow_wait_port() { shadow_wait_until "${2:-}" shadow_port_open "$1"; }
shadow_wait_gone() { shadow_wait_until "${2:-}" shadow__gone "$1"; }

# shadow_wait_for_line FILE REGEX [SEC]: until FILE has a line matching REGEX.
shadow_wait_for_line() {
	shadow_wait_until "${3:-}" grep -qE "$2" "$1" 2>/dev/null ||
		shadow__fail "no line matching '$2' in $1 after $(shadow__timeout "${3:-}") s"
}

# shadow_stack_stop: SIGTERM to every process started here, then SIGKILL to
# those still running after the wait.
shadow_stack_stop() {
	local p pids
	[ -f "${SHADOW_TEST_DIR:-}/pids" ] || return 0
	mapfile -t pids <"$SHADOW_TEST_DIR/pids"
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		shadow_wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	: >"$SHADOW_TEST_DIR/pids"
}

# shadow_broker_start [EXTRA_CONF_FILE]: mosquitto on a free loopback port
# (SHADOW_BROKER_PORT when set, so a restart keeps the port), persistence on
# so a clean restart keeps sessions and queued messages; its log
# ($SHADOW_TEST_DIR/broker/mosquitto.log) records subscriptions.
shadow_broker_start() {
	local extra=${1:-} port dir=$SHADOW_TEST_DIR/broker mosquitto
	mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
	mkdir -p "$dir" || return 1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=${SHADOW_BROKER_PORT:-$(shadow_free_port)}
		shadow_port_open "$port" && { unset SHADOW_BROKER_PORT; continue; }
		{
			echo "listener $port 127.0.0.1"
			echo "allow_anonymous true"
			echo "user $(id -un)"
			echo "set_tcp_nodelay true"
			echo "persistence true"
			echo "persistence_location $dir/"
			echo "max_queued_messages 100000"
			echo "log_dest file $dir/mosquitto.log"
			echo "log_type error"
			echo "log_type warning"
			echo "log_type notice"
			echo "log_type subscribe"
			[ -n "$extra" ] && cat "$extra"
		} >"$dir/mosquitto.conf"
		"$mosquitto" -c "$dir/mosquitto.conf" >>"$dir/stdout" 2>&1 &
		SHADOW_BROKER_PID=$!
		shadow_track_pid "$SHADOW_BROKER_PID"
		if shadow_wait_listening "$SHADOW_BROKER_PID" "$port" 10; then
			export SHADOW_BROKER_PORT=$port SHADOW_BROKER_PID
			export SHADOW_ENDPOINT=127.0.0.1 SHADOW_PORT=$port
			return 0
		fi
		# a port taken meanwhile ("Address already in use"): the next
		# try takes another one
		shadow_reap "$SHADOW_BROKER_PID"
		unset SHADOW_BROKER_PORT
	done
	shadow__fail "could not start mosquitto ($mosquitto; see $dir)"
}

# shadow__signal SIG [PID]: send SIG to PID (none given: nothing to do)
# and wait until it is gone.
shadow__signal() {
	[ -n "${2:-}" ] || return 0
	kill "-$1" "$2" 2>/dev/null
	shadow_wait_gone "$2"
}

shadow_broker_stop() { shadow__signal TERM "${1:-${SHADOW_BROKER_PID:-}}"; }
shadow_broker_kill() { shadow__signal KILL "${1:-${SHADOW_BROKER_PID:-}}"; }

# shadow_broker_restart [EXTRA_CONF_FILE]: stop, start on the same port
# (sessions and queued messages kept through persistence).
shadow_broker_restart() {
	shadow_broker_stop "${SHADOW_BROKER_PID:-}"
	shadow_broker_start "$@"
}

# shadowd_start [ARGS...]: shadowd on the private broker, data in
# $SHADOW_TEST_DIR/shadowd-data, log in $SHADOW_TEST_DIR/shadowd.log;
# returns once it serves (its "ready" line).
shadowd_start() {
	local dir=$SHADOW_TEST_DIR
	mkdir -p "$dir/shadowd-data" || return 1
	: >"$dir/shadowd.log"
	"$(shadow__bin shadowd)" --data-dir "$dir/shadowd-data" "$@" >>"$dir/shadowd.log" 2>&1 &
	export SHADOWD_PID=$!
	shadow_track_pid "$SHADOWD_PID"
	shadow_wait_for_line "$dir/shadowd.log" ": ready" || {
		tail -5 "$dir/shadowd.log" >&2
		return 1
	}
}

shadowd_stop() { shadow__signal TERM "${1:-${SHADOWD_PID:-}}"; }

# shadow_stack_start [SHADOWD ARGS...]: the usual setup_file.
shadow_stack_start() {
	shadow_setup || return 1
	shadow_broker_start || return 1
	shadowd_start "$@"
}

# shadow_spawn NAME CMD [ARGS...]: run CMD in the background with the
# stack's environment; output in $SHADOW_TEST_DIR/NAME.log; SHADOW_PID.
shadow_spawn() {
	local name=$1
	shift
	"$@" >>"$SHADOW_TEST_DIR/$name.log" 2>&1 &
	export SHADOW_PID=$!
	shadow_track_pid "$SHADOW_PID"
}

# shadow_device_start THING [ARGS...]: a simulated device (shadowdev run),
# log in $SHADOW_TEST_DIR/THING.log; returns once it is connected.
shadow_device_start() {
	local thing=$1
	shift
	shadow_spawn "$thing" "$(shadow__bin shadowdev)" -t "$thing" "$@" run ||
		return 1
	export SHADOW_DEVICE_PID=$SHADOW_PID
	shadow_wait_for_line "$SHADOW_TEST_DIR/$thing.log" "connected"
}

# shadow__value ARGS...: the value "shadowctl ARGS get PATH -r" prints.
shadow__value() {
	"$(shadow__bin shadowctl)" "$@" -r 2>/dev/null
}

# shadow__wait_value THING PATH VALUE: poll the shadow until PATH is VALUE.
shadow__wait_value() {
	local thing=$1 path=$2 want=$3 got end
	end=$((SECONDS + $(shadow__timeout)))
	while :; do
		got=$(shadow__value -t "$thing" get "$path") || got=
		[ "$got" = "$want" ] && return 0
		[ "$SECONDS" -le "$end" ] || break
		sleep 0.1
	done
	shadow__fail "$thing: $path is '${got}' after ${SHADOW_WAIT_TIMEOUT:-10} s, expected '$want'"
}

shadow_wait_reported() { shadow__wait_value "$1" "state.reported.$2" "$3"; }
shadow_wait_desired() { shadow__wait_value "$1" "state.desired.$2" "$3"; }

# assert_shadow [-t THING] [-n SHADOW] PATH VALUE: PATH of the document is
# VALUE now (THING defaults to $SHADOW_THING).
assert_shadow() {
	local args=() got
	while [ $# -gt 2 ]; do
		case $1 in
		-t|-n) args+=("$1" "$2"); shift 2 ;;
		*) shadow__fail "assert_shadow: unexpected '$1' (usage: assert_shadow [-t THING] [-n SHADOW] PATH VALUE)"; return 1 ;;
		esac
	done
	[ $# -eq 2 ] || { shadow__fail "assert_shadow: usage: assert_shadow [-t THING] [-n SHADOW] PATH VALUE"; return 1; }
	got=$(shadow__value "${args[@]}" get "$1") || got=
	[ "$got" = "$2" ] && return 0
	{
		echo "-- shadow value differs --"
		echo "path     : $1"
		echo "expected : $2"
		echo "actual   : $got"
		echo "--"
	} >&2
	return 1
}
