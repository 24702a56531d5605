#!/usr/bin/env bats
# Every command in README.md is run here against a real stack, or is named
# here as covered by another suite (make demo, make check, make install) or
# as needing an AWS account (aws, curl). A README command this suite does not
# know fails the first test, so README and tests cannot drift apart.

load ../helpers/common
load ../helpers/certs
load ../helpers/hardware

# The README's AWS endpoint and certificate folders, and what stands in for
# them here: a mutual-TLS listener of the suite's broker and certificates
# from certs.example/make-certs.sh laid out the same way.
AWS_ENDPOINT=abc123-ats.iot.eu-west-1.amazonaws.com

setup_file() {
	stack_setup
	certs_make demo-motor
	TLS_PORT=$(free_port)
	{
		echo "listener $TLS_PORT 127.0.0.1"
		echo "cafile $CERTS/broker/AmazonRootCA1.pem"
		echo "certfile $CERTS/broker/certificate.pem"
		echo "keyfile $CERTS/broker/privateKey.pem"
		echo "require_certificate true"
	} >"$TD/tls-listener.conf"
	broker_start "$TD/tls-listener.conf"
	export TLS_PORT
	mkdir -p "$TD/home/certs"
	cp -r "$CERTS/demo-motor" "$TD/home/certs/demo-motor"
	mkdir -p "$TD/path"
	for p in shadowctl shadowdev shadowd; do ln -sf "$BIN/$p" "$TD/path/$p"; done
}

teardown_file() { stack_teardown; }

# readme_commands: every command line of the README's sh blocks, with
# backslash continuations joined.
readme_commands() {
	awk '
		/^ *```sh$/ { inblock = 1; next }
		/^ *```/ { inblock = 0; next }
		inblock {
			sub(/^ +/, "")
			if (sub(/\\$/, "")) { cont = cont $0; next }
			line = cont $0; cont = ""
			if (line != "" && line !~ /^#/) print line
		}
	' "$TOP/README.md"
}

# README_PORT: the free port the README's workshop uses; the suite's broker
# stands in for its mosquitto line, so it is replaced by the suite's port.
README_PORT=18830

# The lines of the shadowd section's block, which runs whole, as written.
SHADOWD_BLOCK_RE='^(port=18831 |/usr/sbin/mosquitto -p \$port |until |shadowd -p \$port |kill \$sd|mosquitto_pub -p \$port |shadowctl -p \$port )'

# classify LINE: how this suite covers it.
classify() {
	[[ $1 =~ $SHADOWD_BLOCK_RE ]] && { echo "shadowd block"; return; }
	case "$1" in
	"/usr/sbin/mosquitto -p $README_PORT") echo broker ;;
	"export SHADOW_PORT=$README_PORT") echo env ;;
	"shadowd"|"shadowd "*) echo shadowd ;;
	*"shadowdev "*" run") echo device ;;
	"mosquitto_pub "*) echo pub ;;
	"build/bin/shadowctl "*"--certs build/demo/certs/"*) echo "demo.bats" ;;
	"shadowctl "*) echo ctl ;;
	"make demo") echo "demo.bats" ;;
	"make check"|"make") echo ".ci/run" ;;
	"aws iot-data "*"--endpoint-url http://127.0.0.1:8080 "*) echo http ;;
	"export AWS_ACCESS_KEY_ID=local "*) echo env ;;
	"aws "*|"curl "*) echo "needs an AWS account" ;;
	*) echo unknown ;;
	esac
}

# localise LINE: the README line pointed at this suite's stack.
localise() {
	local l=$1
	l=${l//"-p $README_PORT"/-p $BROKER_PORT}
	l=${l//"-e $AWS_ENDPOINT"/-e localhost -p $TLS_PORT}
	l=${l//"~/certs/"/$TD/home/certs/}
	l=${l//"~/.local/state/"/$TD/home/state/}
	l=${l//"mosquitto_pub "/mosquitto_pub -h 127.0.0.1 -p $BROKER_PORT }
	l=${l%" &"}
	echo "$l"
}

# run_readme_line LINE: run it as a user would, with our programs on PATH.
run_readme_line() {
	local l
	l=$(localise "$1")
	case "$(classify "$1")" in
	broker)
		# the suite's broker stands in; the command must exist as written
		[ -x "${1%% *}" ] ;;
	env) return 0 ;;
	shadowd)
		# one shadowd at a time: two with one client id take turns
		# kicking each other off the broker
		[ -f "$TD/readme-shadowd.pid" ] && kill "$(cat "$TD/readme-shadowd.pid")" 2>/dev/null &&
			wait_gone "$(cat "$TD/readme-shadowd.pid")"
		: >"$TD/readme-shadowd.log"
		PATH=$TD/path:$PATH bash -c "exec $l" >/dev/null 2>>"$TD/readme-shadowd.log" &
		echo $! >"$TD/readme-shadowd.pid"
		track_pid $!
		wait_for_line "$TD/readme-shadowd.log" ready 10 ;;
	device)
		PATH=$TD/path:$PATH bash -c "exec $l --interval 0.2" >>"$TD/readme-device.log" 2>&1 &
		track_pid $!
		wait_for_line "$TD/readme-device.log" "reported|all [0-9]+ devices" 20 ;;
	pub|ctl)
		if [[ $l == *" watch"* ]]; then
			l=${l/ watch/ watch --timeout 1}
		fi
		PATH=$TD/path:$PATH bash -c "$l" ;;
	*) return 0 ;;
	esac
}

@test "every command in the README is run by this suite or named as covered elsewhere" {
	local l n=0
	while IFS= read -r l; do
		n=$((n + 1))
		[ "$(classify "$l")" != unknown ] || { echo "README command not covered by any test: $l"; return 1; }
	done < <(readme_commands)
	[ "$n" -ge 20 ]
}

# readme_block HEADING: the first sh block after the line "## HEADING...".
readme_block() {
	awk -v h="## $1" 'index($0, h) == 1 { f = 1 } f && /^```sh$/ { on = 1; next }
		on && /^```/ { exit } on' "$TOP/README.md"
}

@test "the workshop scenario of the README works as written" {
	local l
	mapfile -t lines < <(readme_commands | sed -n '1,4p')
	assert_equal "${lines[0]}" "/usr/sbin/mosquitto -p $README_PORT"
	for l in "${lines[@]}"; do
		run run_readme_line "$l"
		assert_success
	done
	wait_for_line "$TD/readme-device.log" 'applied' 5
	wait_for_line "$TD/readme-device.log" 'data/vibration' 5
}

@test "the everyday commands of the README succeed against shadowd" {
	local l seen=0
	while IFS= read -r l; do
		[[ $l == "shadowctl -t lamp"* ]] || continue
		seen=$((seen + 1))
		run run_readme_line "$l"
		assert_success
	done < <(readme_commands)
	[ "$seen" -ge 9 ]
	run "$BIN/shadowctl" -t lamp get
	assert_failure 1
}

# run_readme_matching GLOB...: run every README line that matches one of
# the globs, in order; README_SEEN is how many there were.
run_readme_matching() {
	local l g
	README_SEEN=0
	while IFS= read -r l; do
		for g in "$@"; do
			# shellcheck disable=SC2053
			[[ $l == $g ]] || continue
			README_SEEN=$((README_SEEN + 1))
			run_readme_line "$l" || {
				echo "README line failed: $l" >&2
				return 1
			}
			break
		done
	done < <(readme_commands)
}

@test "the fleet of the README obeys like a single device" {
	run_readme_matching "shadowdev -t pump *" "shadowctl -t pump-*"
	[ "$README_SEEN" -eq 2 ]
	run "$BIN/shadowctl" -t pump-42 get state.reported.MOTOR -r
	assert_output "ON"
}

@test "the shadowd section's block works pasted as one block, and stops what it started" {
	local port=18831
	readme_block "shadowd:" >"$TD/shadowd-block.sh"
	run grep -c . "$TD/shadowd-block.sh"
	assert_output 11
	# as written, unless another program holds its port
	if port_open "$port"; then
		port=$((20000 + RANDOM % 40000))
		while port_open "$port"; do port=$((port + 1)); done
		sed -i "s/^port=18831 /port=$port /" "$TD/shadowd-block.sh"
	fi
	PATH=$TD/path:$PATH setsid bash "$TD/shadowd-block.sh" >"$TD/shadowd-block.out" 2>&1 &
	local pg=$! rc=0
	track_pid "$pg"
	wait "$pg" || rc=$?
	cat "$TD/shadowd-block.out"
	assert_equal "$rc" 0
	# nothing of the block's process group is left running
	run kill -0 -- "-$pg"
	assert_failure
	run cat "$TD/shadowd-block.out"
	assert_output - <<'OUT'
{
  "on": true
}
OUT
	run port_open "$port"
	assert_failure
}

@test "the AWS commands of the README work against a mutual-TLS broker laid out the same way" {
	local l seen=0
	while IFS= read -r l; do
		[[ $l == *"-e $AWS_ENDPOINT"* ]] || continue
		seen=$((seen + 1))
		run run_readme_line "$l"
		assert_success
	done < <(readme_commands)
	[ "$seen" -eq 2 ]
}

@test "the AWS profile of the README's config file is used by --profile aws" {
	mkdir -p "$XDG_CONFIG_HOME/shadow"
	awk '/^ *```ini$/ { on = 1; next } /^ *```/ { on = 0 } on { sub(/^ +/, ""); print }' \
	    "$TOP/README.md" |
	    sed -e "s|^endpoint = $AWS_ENDPOINT|endpoint = localhost\nport = $TLS_PORT|" \
	        -e "s|/home/me/certs/|$TD/home/certs/|" >"$XDG_CONFIG_HOME/shadow/config"
	grep -q "port = $TLS_PORT" "$XDG_CONFIG_HOME/shadow/config"
	run env -u SHADOW_PORT -u SHADOW_ENDPOINT "$BIN/shadowctl" --profile aws get
	assert_success
	assert_output --partial '"MOTOR": "ON"'
}

# readme_python: the README's python block.
readme_python() {
	awk '/^ *```python$/ { on = 1; next } /^ *```/ { on = 0 } on { sub(/^ +/, ""); print }' "$TOP/README.md"
}

@test "the apps section of the README works as written: aws iot-data and boto3 against shadowd --http" {
	local l port='' seen=0
	# a private AWS environment; Debian's AWS CLI v2 and python3 first
	mkdir -p "$TD/aws-home"
	export HOME=$TD/aws-home AWS_CONFIG_FILE=$TD/aws-home/none AWS_SHARED_CREDENTIALS_FILE=$TD/aws-home/none
	export AWS_EC2_METADATA_DISABLED=true
	# the shadowd of the tests before lets go of the data directory first
	if [ -f "$TD/readme-shadowd.pid" ]; then
		kill "$(cat "$TD/readme-shadowd.pid")" 2>/dev/null
		local i
		for i in $(seq 1 600); do
			kill -0 "$(cat "$TD/readme-shadowd.pid")" 2>/dev/null || break
			sleep 0.05
		done
	fi
	while IFS= read -r l; do
		case "$(classify "$l")" in
		shadowd)
			[[ $l == *"--http 8080"* ]] || continue
			# a port of its choosing, read back from its log
			run run_readme_line "${l//--http 8080/--http 127.0.0.1:0}"
			[ "$status" -eq 0 ] || cat "$TD/readme-shadowd.log"
			assert_success
			port=$(sed -n 's/.*IoT Data Plane API on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$TD/readme-shadowd.log") ;;
		env)
			[[ $l == "export AWS_ACCESS_KEY_ID=local "* ]] && eval "$l" ;;
		http)
			seen=$((seen + 1))
			[ -n "$port" ]
			run env PATH="$TD/path:/usr/bin:$PATH" bash -c "${l//127.0.0.1:8080/127.0.0.1:$port} | cat"
			assert_success ;;
		esac
	done < <(readme_commands)
	[ "$seen" -eq 4 ]
	run /usr/bin/aws iot-data get-thing-shadow --endpoint-url "http://127.0.0.1:$port" --thing-name lamp "$TD/lamp.json"
	assert_success
	assert_equal "$(jq -c .state.desired "$TD/lamp.json")" '{"on":true}'
	run /usr/bin/python3 -c "$(readme_python | sed "s|127.0.0.1:8080|127.0.0.1:$port|")"
	assert_success
	assert_equal "$(jq -c .state.desired <<<"$output")" '{"on":false}'
}

@test "the hardware example of the README switches the relay and publishes the sensor" {
	hw_setup
	export MOTOR_FILE=$TD/readme.motor SENSOR=$TD/readme.sensor
	echo 21500 >"$SENSOR"
	: >"$TD/readme-device.log"
	cd "$TOP"
	run_readme_matching "*-t pump1 *"
	[ "$README_SEEN" -eq 2 ]
	assert_equal "$(cat "$MOTOR_FILE")" "gpiochip0 17=1"
	run jq -c . "$TD/home/state/shadowdev/pump1.json"
	assert_output '{"MOTOR":"ON"}'
	wait_for_line "$TD/readme-device.log" 'telemetry data/temperature \{"temp":21.5,"unit":"C"\}' 10
}
