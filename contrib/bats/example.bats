# A device's test in CI: a private broker and shadowd per file, the device
# under test beside them, and assertions on its shadow.
load /usr/share/shadow-tools/bats/shadow.bash

setup_file() {
	shadow_stack_start            # mosquitto + shadowd on free ports
	# the device under test; yours instead: shadow_spawn lamp ./my-device
	shadow_device_start lamp --state MOTOR=OFF --state speed:=1
}

teardown_file() {
	shadow_stack_stop
}

@test "the lamp reports what it was asked to do" {
	shadowctl -t lamp set MOTOR=ON speed:=3
	shadow_wait_reported lamp MOTOR ON
	shadow_wait_reported lamp speed 3
	assert_shadow -t lamp state.desired.MOTOR ON
}

@test "set --wait returns once the lamp has reported" {
	shadowctl -t lamp set MOTOR=OFF --wait
	assert_shadow -t lamp state.reported.MOTOR OFF
}
