#!/usr/bin/env bats
# shadowd as a service: command line, store, restarts, durability, broker
# loss.

load ../helpers/shadowd

setup_file() { sd_stack_start; }
teardown_file() { stack_teardown; }
setup() { sd_load; }

@test "--version, --help, bad options and arguments" {
	run "$BIN/shadowd" --version
	assert_success
	assert_output "shadowd 0.1.0"
	run "$BIN/shadowd" -h
	assert_success
	assert_output --partial "usage: shadowd"
	run "$BIN/shadowd" --no-such-option
	assert_failure 2
	run "$BIN/shadowd" get
	assert_failure 2
	assert_output --partial "unexpected argument 'get'"
	run "$BIN/shadowd" --rate-limit lots
	assert_failure 2
}

@test "an unreadable CA file is a usage error naming the file" {
	run "$BIN/shadowd" --data-dir "$TD/unused" --ca "$TD/no-such-ca.pem"
	assert_failure 2
	assert_output --partial "no-such-ca.pem"
}

@test "no broker: exit 3 naming the endpoint; the data directory is created 0700" {
	local port dir=$TD/new/nested/data
	port=$(( BROKER_PORT + 1 ))
	port_open "$port" && skip "port $port is in use"
	run "$BIN/shadowd" --data-dir "$dir" -e 127.0.0.1 -p "$port" -i sd-noconn
	assert_failure 3
	assert_output --partial "127.0.0.1:$port"
	assert_output --partial "connection refused"
	[ "$(stat -c %a "$dir")" = 700 ]
	[ -f "$dir/shadows.db" ]
}

@test "a corrupt database file is a clear error and is left untouched" {
	local dir=$TD/corrupt sum
	mkdir -p "$dir"
	head -c 8192 /dev/urandom >"$dir/shadows.db"
	sum=$(md5sum <"$dir/shadows.db")
	run "$BIN/shadowd" --data-dir "$dir" -i sd-corrupt
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	assert_output --partial "untouched"
	[ "$(md5sum <"$dir/shadows.db")" = "$sum" ]
	[ ! -e "$dir/shadows.db-wal" ]
}

@test "another program's SQLite database is refused and left untouched" {
	local dir=$TD/foreign sum
	mkdir -p "$dir"
	sqlite3 "$dir/shadows.db" "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');"
	sum=$(md5sum <"$dir/shadows.db")
	run "$BIN/shadowd" --data-dir "$dir" -i sd-foreign
	assert_failure 1
	assert_output --partial "not a shadowd database"
	[ "$(md5sum <"$dir/shadows.db")" = "$sum" ]
	[ "$(sqlite3 "$dir/shadows.db" 'SELECT t FROM notes')" = mine ]
}

@test "the store is SQLite in WAL mode with one row per shadow" {
	local t; t=$(thing)
	run ask "$(root "$t")" update '{"state":{"reported":{"a":1}}}' 2
	run ask "$(nroot "$t" n1)" update '{"state":{"reported":{"a":1}}}' 2
	[ "$(sqlite3 "$TD/shadowd-data/shadows.db" 'PRAGMA journal_mode')" = wal ]
	run sqlite3 "$TD/shadowd-data/shadows.db" "SELECT name, version FROM shadows WHERE thing = '$t' ORDER BY name"
	assert_output "$(printf '|1\nn1|1')"
}

@test "restart: documents and versions are kept, requests sent while down are answered" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"desired":{"a":1}}}' 3
	run ask "$(nroot "$t" n)" update '{"state":{"reported":{"b":2}}}' 2
	assert_output --partial update/accepted
	shadowd_stop
	grep -q "stopped" "$TD/shadowd.log"
	local before; before=$(count_answers "$r")
	pub "$r/update" '{"state":{"reported":{"a":1}},"clientToken":"while-down"}'
	pub "$r/get" '{"clientToken":"get-while-down"}'
	sd_start
	wait_answers "$r" $((before + 3))
	run answers_of "$r"
	assert_output --partial '"clientToken":"while-down"'
	assert_json "$(echo "$output" | grep get/accepted | tail -1 | cut -d' ' -f2- | jq -c '[.version, .state, .clientToken]')" \
	    '[2,{"desired":{"a":1},"reported":{"a":1}},"get-while-down"]'
	run ask "$(nroot "$t" n)" get ''
	assert_json "$(answer get/accepted | jq -c '[.version, .state]')" '[1,{"reported":{"b":2}}]'
}

@test "SIGTERM: shadowd finishes, closes the store and exits 0" {
	local t r; t=$(thing); r=$(root "$t")
	shadowd_stop
	sd_start
	for i in $(seq 1 50); do echo "{\"state\":{\"reported\":{\"i\":$i}}}"; done | pub_lines "$r/update"
	kill -TERM "$SHADOWD_PID"
	local rc=0
	wait "$SHADOWD_PID" || rc=$?
	[ "$rc" -eq 0 ]
	grep -q "stopped" "$TD/shadowd.log"
	sd_start
	wait_answers "$r" 100 10
	run ask "$r" get ''
	assert_json "$(answer get/accepted | jq -c '[.version, .state.reported.i]')" '[50,50]'
}

@test "durability: every acknowledged update survives kill -9" {
	local k i t r acked
	for k in 1 2 3 4 5 6; do
		r=$(root "$(thing d$k)")
		for i in $(seq 1 400); do echo "{\"state\":{\"reported\":{\"i\":$i}}}"; done |
		    pub_lines "$r/update" &
	done
	for i in $(seq 1 200); do
		[ "$(grep -c '/update/accepted' "$TD/watch.log")" -ge 100 ] && break
		sleep 0.01
	done
	kill -KILL "$SHADOWD_PID"
	wait_gone "$SHADOWD_PID"
	cp "$TD/watch.log" "$TD/acked.log"
	wait
	sd_start
	# the requests queued while it was down are answered in order: wait
	# for the answer to each thing's last one
	for k in 1 2 3 4 5 6; do
		r=$(root "$(thing d$k)")
		wait_for_line "$TD/watch.log" "^$(printf '%s' "$r" | sed 's/\$/\\$/')/update/accepted \\{\"state\":\\{\"reported\":\\{\"i\":400\\}" 60
	done
	for k in 1 2 3 4 5 6; do
		t=$(thing d$k); r=$(root "$t")
		acked=$(grep "^$(printf '%s' "$r" | sed 's/\$/\\$/')/update/accepted " "$TD/acked.log" |
		    cut -d' ' -f2- | jq -s 'map(.version) | max // 0')
		run ask "$r" get ''
		local v ri
		v=$(answer get/accepted | jq .version)
		ri=$(answer get/accepted | jq .state.reported.i)
		echo "thing $t: acknowledged up to version $acked, stored version $v, i $ri" >&3
		[ "$v" -ge "$acked" ]
		[ "$ri" -ge "$acked" ]
		[ "$ri" -le 400 ]
	done
}

# db_locked FILE: another connection holds the write lock of FILE.
db_locked() {
	run sqlite3 "$1" "BEGIN IMMEDIATE; ROLLBACK;"
	[ "$status" -ne 0 ] && [[ $output == *locked* ]]
}

@test "a write that cannot be stored is answered 500; service resumes when the fault clears" {
	local r db=$TD/shadowd-data/shadows.db; r=$(root "$(thing)")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	assert_output --partial update/accepted
	mkfifo "$TD/lockfifo"
	sqlite3 "$db" <"$TD/lockfifo" &
	local lp=$!
	exec 7>"$TD/lockfifo"
	echo "BEGIN IMMEDIATE; INSERT INTO shadows VALUES ('zz','',1,0,NULL,0);" >&7
	poll_until 10 db_locked "$db"
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"busy"}' 1
	assert_json "$(answer update/rejected)" '{"code":500,"message":"Internal service failure","clientToken":"busy","timestamp":1}'
	run ask "$r" get ''
	assert_json "$(answer get/accepted | jq -c '[.version, .state.reported.a]')" '[1,1]'
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$lp"
	run ask "$r" update '{"state":{"reported":{"a":3}}}' 2
	assert_json "$(answer update/accepted | jq .version)" 2
	grep -q "store:" "$TD/shadowd.log"
}

@test "a broker restart is survived: shadowd reconnects and serves" {
	local r; r=$(root "$(thing)")
	broker_stop
	sd_broker_start
	wait_for_line "$TD/shadowd.log" "regained" 15
	kill "$WATCH_PID"
	sd_watch_start
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	assert_output --partial update/accepted
}

@test "a broker crash that loses the session: shadowd subscribes again" {
	local r; r=$(root "$(thing)")
	: >"$TD/shadowd.log.mark"
	broker_kill
	rm -f "$TD/broker/"*.db
	sd_broker_start
	wait_for_line "$TD/shadowd.log" "subscribing again" 15
	kill "$WATCH_PID"
	sd_watch_start
	wait_subscribed shadowd
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	assert_output --partial update/accepted
}
