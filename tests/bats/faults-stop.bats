#!/usr/bin/env bats
# shadowd stopped (SIGSTOP) for longer than the clients' timeout, then
# continued: the clients time out cleanly, the requests queued meanwhile are
# answered, and each accepted update bumped the version exactly once.

load ../helpers/shadowd
load ../helpers/faults

setup_file() { sd_stack_start; }
teardown_file() { kill -CONT "$(cat "$TD/shadowd.pid")" 2>/dev/null; faults_teardown; }
setup() { sd_load; }

@test "shadowd stopped past the timeout: clients exit 4 with the timeout message, queued requests are answered on SIGCONT, versions consistent" {
	local t r i pids=() rc; t=$(thing); r=$(root "$t")
	run "$BIN/shadowctl" -t "$t" -c set --reported s0:=0
	assert_success
	kill -STOP "$SHADOWD_PID"
	local before; before=$(count_answers "$r")
	for i in 1 2 3 4; do
		timeout 30 "$BIN/shadowctl" -t "$t" -c --timeout 2 set --reported "s$i:=$i" \
		    >"$TD/out$i" 2>"$TD/err$i" &
		pids+=($!)
	done
	timeout 30 "$BIN/shadowctl" -t "$t" -c --timeout 2 get >"$TD/out-get" 2>"$TD/err-get" &
	pids+=($!)
	for i in "${pids[@]}"; do
		rc=0; wait "$i" || rc=$?
		[ "$rc" -eq 4 ] || { echo "shadowctl exit $rc, wanted 4" >&2; return 1; }
	done
	for i in 1 2 3 4 -get; do
		[ ! -s "$TD/out$i" ]
		grep -q "no answer from the shadow service on 127.0.0.1:$BROKER_PORT within 2 s" "$TD/err$i"
	done
	# nothing was answered while it was stopped
	[ "$(count_answers "$r")" -eq "$before" ]
	kill -CONT "$SHADOWD_PID"
	# 4 updates (accepted + documents each) and a get
	wait_answers "$r" $((before + 9)) 10
	run answers_of "$r"
	local news; news=$(echo "$output" | tail -n +$((before + 1)))
	[ "$(echo "$news" | grep -c '/update/accepted ')" -eq 4 ]
	[ "$(echo "$news" | grep -c '/get/accepted ')" -eq 1 ]
	run grep -c '/rejected ' <<<"$news"
	assert_output 0
	# each update got its own version, 2..5, exactly once
	run bash -c "echo '$news' | grep '/update/accepted ' | cut -d' ' -f2- | jq -c .version | sort -n | tr '\n' ' '"
	assert_output "2 3 4 5 "
	assert_json "$(reported_of "$r")" '{"version":5,"reported":{"s0":0,"s1":1,"s2":2,"s3":3,"s4":4}}'
	# and it serves new requests as before
	run timeout 30 "$BIN/shadowctl" -t "$t" -c --timeout 5 set --reported s5:=5
	assert_success
	assert_output --partial '"version":6'
}
