# Helpers for the shadowdev suites (load after ../helpers/common).
#
#   dev_start NAME [ARGS...]   start "shadowdev ARGS run" in the background,
#                              log in $TD/NAME.log (stdout) and NAME.err;
#                              DEV_PID is its pid; waits for "connected"
#   dev_stop [PID]             SIGTERM and wait until it is gone; DEV_RC
#   dev_teardown               stop every device the test started
#   desired_set THING JSON     publish an update of desired with mosquitto_pub
#   shadow_doc THING           print the shadow document (get/accepted payload)

# dev_spawn NAME ARGS...: like dev_start, without waiting for "connected".
dev_spawn() {
	local name=$1
	shift
	: >"$TD/$name.log"
	: >"$TD/$name.err"
	"$BIN/shadowdev" "$@" run >>"$TD/$name.log" 2>>"$TD/$name.err" &
	DEV_PID=$!
	track_pid "$DEV_PID"
	echo "$DEV_PID" >>"$TD/dev-pids"
}

# dev_teardown: stop every device the test started (call from teardown).
dev_teardown() {
	local p
	[ -f "$TD/dev-pids" ] || return 0
	while read -r p; do kill -TERM "$p" 2>/dev/null; done <"$TD/dev-pids"
	while read -r p; do wait_gone "$p"; done <"$TD/dev-pids"
	: >"$TD/dev-pids"
}

dev_start() {
	local name=$1
	dev_spawn "$@"
	wait_for_line "$TD/$name.log" "connected" 10
}

dev_stop() {
	local pid=${1:-$DEV_PID}
	kill -TERM "$pid" 2>/dev/null
	DEV_RC=0
	wait "$pid" || DEV_RC=$?
}

desired_set() {
	pub "\$aws/things/$1/shadow/update" "{\"state\":{\"desired\":$2}}"
}

shadow_doc() {
	req "\$aws/things/$1/shadow" get "{\"clientToken\":\"test-$RANDOM\"}" |
	    sed -n 's/^[^ ]*get\/accepted //p'
}

# reported_is THING KEY VALUE_JSON: the shadow's reported KEY equals VALUE.
reported_is() {
	shadow_doc "$1" | jqe --argjson v "$3" \
	    ".state.reported.$2 == \$v" >/dev/null
}

# desired_lacks THING KEY: the shadow exists and desired has no KEY.
desired_lacks() {
	shadow_doc "$1" | jqe ".version and (.state.desired.$2 == null)" \
	    >/dev/null
}

# A broker restarted inside a test has a new pid that later tests must see
# (each test runs in its own subshell): keep it in a file.
broker_pid_save() { echo "$BROKER_PID" >"$TD/broker.pid"; }
broker_pid_load() {
	[ -f "$TD/broker.pid" ] && BROKER_PID=$(cat "$TD/broker.pid")
	return 0
}

# subscribed_times CLIENT TOPIC: how often the broker logged that CLIENT
# subscribed to TOPIC (the log survives broker restarts).
subscribed_times() {
	grep -cF ": $1 1 $2" "$TD/broker/mosquitto.log" 2>/dev/null || true
}

# Fleets (tests/bats/fleet-*.bats).
#
#   ctl_reported_is THING KEY VALUE_JSON   reported KEY, read with shadowctl
#   fleet_all_reported PREFIX N KEY VALUE_JSON   PREFIX-1 ... PREFIX-N all do
#   fleet_desired_all PREFIX N JSON        desired JSON on PREFIX-1 ... N

ctl_reported_is() {
	"$BIN/shadowctl" -t "$1" get 2>/dev/null |
	    jqe --argjson v "$3" ".state.reported.$2 == \$v" >/dev/null
}

fleet_all_reported() {
	local i
	for i in $(seq 1 "$2"); do
		poll_until 10 ctl_reported_is "$1-$i" "$3" "$4" || {
			echo "fleet: $1-$i never reported $3=$4" >&2
			return 1
		}
	done
}

fleet_desired_all() {
	local i
	for i in $(seq 1 "$2"); do desired_set "$1-$i" "$3" || return 1; done
}

# fleet_connected_events LOG: how many per-device "connected" events (-v --json).
fleet_connected_events() {
	count_lines "$1" '"event":"connected"'
}
