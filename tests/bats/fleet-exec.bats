#!/usr/bin/env bats
# shadowdev fleets with --exec: at most --exec-jobs commands at once, and a
# device whose command hangs never holds up the others (one event loop for
# connections and children alike).

bats_require_minimum_version 1.5.0

load ../helpers/common
load ../helpers/shadowdev
load ../helpers/hardware

FLEETSET=$BIN/../bench/fleetset

setup_file() { stack_start; }

teardown_file() {
	stack_teardown
}

setup() {
	broker_pid_load
	hw_setup
}

teardown() {
	dev_teardown
}

@test "a fleet runs at most --exec-jobs commands at once and every device gets its change" {
	hw_script job 'cat >/dev/null
mkdir "$SLOTS/$SHADOW_THING"
ls "$SLOTS" | wc -l >>"$CONC"
sleep 0.3
rmdir "$SLOTS/$SHADOW_THING"'
	export SLOTS=$TD/slots CONC=$TD/conc
	mkdir -p "$SLOTS"
	dev_spawn fleet -t job --count 20 --connect-rate 500 --exec "$TD/hw/job" \
	    --exec-jobs 2
	wait_for_line "$TD/fleet.log" 'fleet-connected all 20 devices' 20
	fleet_desired_all job 20 '{"MOTOR":"ON"}'
	fleet_all_reported job 20 MOTOR '"ON"'
	assert_equal "$(calls "$CONC")" 20
	run sort -n "$CONC"
	assert_equal "$(tail -n 1 <<<"$output")" 2
	wait_for_line "$TD/fleet.log" ' fleet 20/20 connected, 20 deltas applied' 10
}

@test "while one device's command sleeps, the other 999 of a 1000-device fleet apply and report their deltas" {
	[ -x "$FLEETSET" ] || skip "fleetset not built (make bench-bins)"
	hw_script cmd 'cat >/dev/null
[ "$SHADOW_THING" = slow ] || exit 0
touch "$SLEEPING"
i=0
while [ ! -e "$RELEASE" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
touch "$DONE"'
	export SLEEPING=$TD/slow.sleeping RELEASE=$TD/slow.release DONE=$TD/slow.done
	{ echo slow; seq -f 'big-%g' 1 999; } >"$TD/things"
	dev_spawn fleet --things-from "$TD/things" --connect-rate 2000 \
	    --exec "$TD/hw/cmd" --exec-jobs 4 --interval 5
	wait_for_line "$TD/fleet.log" 'fleet-connected all 1000 devices' 30
	desired_set slow '{"MOTOR":"ON"}'
	poll_until 10 test -e "$SLEEPING"
	run "$FLEETSET" -p "$BROKER_PORT" -P big -n 999 -k MOTOR -v ON -t 60
	assert_success
	assert_output --partial 'converged=999'
	# All of that happened while the slow command still ran.
	[ ! -e "$DONE" ]
	ctl_reported_is slow MOTOR '"OFF"'
	touch "$RELEASE"
	poll_until 10 ctl_reported_is slow MOTOR '"ON"'
}
