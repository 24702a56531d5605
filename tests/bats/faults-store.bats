#!/usr/bin/env bats
# The store cannot be written (full disk, read-only file) or is not ours:
# answers are 500 or a clear refusal at start, nothing is half-written, the
# service resumes once the fault clears. (shadowd-service.bats covers a
# locked store, random bytes and another program's SQLite database.)

load ../helpers/shadowd
load ../helpers/faults

setup_file() { sd_stack_start; }
teardown_file() { faults_teardown; }
setup() { sd_load; }
# (a test may leave the suite's shadowd paused or limited when it fails)
teardown() {
	kill -CONT "$SHADOWD_PID" 2>/dev/null
	fsize_clear "$SHADOWD_PID" 2>/dev/null
	return 0
}

DB() { echo "$TD/shadowd-data/shadows.db"; }

@test "full disk (file size limit): updates and deletes get 500, the stored shadows stay as they were, service resumes when space returns" {
	local t r n i; t=$(thing); r=$(root "$t"); n=$(nroot "$t" cfg)
	run ask "$r" update '{"state":{"desired":{"a":1},"reported":{"a":0}}}' 3
	run ask "$n" update '{"state":{"reported":{"b":1}}}' 2
	assert_output --partial update/accepted
	fsize_limit "$SHADOWD_PID" 1
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"full1"}'
	assert_500 "$(answer update/rejected)" full1
	run ask "$n" delete '{"clientToken":"full-del"}'
	assert_500 "$(answer delete/rejected)" full-del
	# a batch of updates in one transaction: each one is refused
	local before; before=$(count_answers "$r")
	for i in 1 2 3 4 5; do echo "{\"state\":{\"reported\":{\"a\":$((i + 10))}},\"clientToken\":\"b$i\"}"; done |
	    pub_lines "$r/update"
	wait_answers "$r" $((before + 5))
	run answers_of "$r"
	[ "$(echo "$output" | tail -5 | grep -c '/update/rejected {"code":500,"message":"Internal service failure"')" -eq 5 ]
	# a get still works: reads need no space
	run doc_of "$r"
	assert_output '[1,{"desired":{"a":1},"reported":{"a":0},"delta":{"a":1}}]'
	# (its log is a file too, so the limit silences it as well)
	fsize_clear "$SHADOWD_PID"
	run doc_of "$n"
	assert_output '[1,{"reported":{"b":1}}]'
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"after"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[2,"after"]'
	run ask "$n" delete ''
	assert_json "$(answer delete/accepted | jq .version)" 1
	run doc_of "$r"
	assert_output '[2,{"desired":{"a":1},"reported":{"a":1}}]'
	[ "$(sqlite3 "$(DB)" 'PRAGMA integrity_check')" = ok ]
	kill -0 "$SHADOWD_PID"
}

@test "read-only store file (chattr +i, even root can't write): 500, shadow unchanged, service resumes when writable" {
	skip_unless_chattr "$TD"
	local t r wal; t=$(thing); r=$(root "$t"); wal="$(DB)-wal"
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	[ -f "$wal" ]
	immutable "$wal"
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"ro"}'
	assert_500 "$(answer update/rejected)" ro
	run doc_of "$r"
	assert_output '[1,{"reported":{"a":1}}]'
	grep -q "Operation not permitted" "$TD/shadowd.log"
	mutable "$wal"
	run ask "$r" update '{"state":{"reported":{"a":3}},"clientToken":"rw"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .state]')" '[2,{"reported":{"a":3}}]'
	[ "$(sqlite3 "$(DB)" 'PRAGMA integrity_check')" = ok ]
}

@test "a read-only database file at start: clear error naming the file, exit 1, the file unchanged" {
	skip_unless_chattr "$TD"
	local dir=$TD/ro-at-start
	mkdir -p "$dir"
	shadowd_db_make "$dir/shadows.db"
	cp "$dir/shadows.db" "$TD/ro-copy.db"
	immutable "$dir/shadows.db"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-ro
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	assert_output --partial "can't open the database for writing"
	refute_output --partial ready
	mutable "$dir/shadows.db"
	cmp "$dir/shadows.db" "$TD/ro-copy.db"
}

@test "a data directory that cannot be written: clear error naming it, exit 1" {
	skip_unless_chattr "$TD"
	local dir=$TD/ro-dir
	mkdir -p "$dir"
	immutable "$dir"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-rodir
	assert_failure 1
	assert_output --partial "$dir/"
	assert_output --partial "Operation not permitted"
	mutable "$dir"
	[ -z "$(ls -A "$dir")" ]
}

@test "a truncated shadowd database is refused at start and left byte for byte" {
	local dir=$TD/truncated
	mkdir -p "$dir"
	shadowd_db_make "$TD/whole.db"
	[ "$(stat -c %s "$TD/whole.db")" -gt 20000 ]
	head -c 20000 "$TD/whole.db" >"$dir/shadows.db"
	cp "$dir/shadows.db" "$TD/truncated-copy.db"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-trunc
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	assert_output --partial "untouched"
	cmp "$dir/shadows.db" "$TD/truncated-copy.db"
	[ ! -e "$dir/shadows.db-wal" ]
}

@test "a shadowd database of a newer schema is refused at start and left byte for byte" {
	local dir=$TD/newer
	mkdir -p "$dir"
	shadowd_db_make "$dir/shadows.db" 99
	cp "$dir/shadows.db" "$TD/newer-copy.db"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-newer
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	assert_output --partial "schema version 99"
	cmp "$dir/shadows.db" "$TD/newer-copy.db"
	[ ! -e "$dir/shadows.db-wal" ]
}

@test "a text file as the database is refused at start and left byte for byte" {
	local dir=$TD/text
	mkdir -p "$dir"
	printf '{"state":{"reported":{"a":1}}}\n%.0s' $(seq 1 200) >"$dir/shadows.db"
	cp "$dir/shadows.db" "$TD/text-copy.db"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-text
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	assert_output --partial "untouched"
	cmp "$dir/shadows.db" "$TD/text-copy.db"
}

@test "a directory in place of the database file is a clear error at start" {
	local dir=$TD/dirdb
	mkdir -p "$dir/shadows.db"
	run "$BIN/shadowd" --data-dir "$dir" -i sd-dirdb
	assert_failure 1
	assert_output --partial "$dir/shadows.db"
	[ -d "$dir/shadows.db" ]
	[ -z "$(ls -A "$dir/shadows.db")" ]
}

@test "a shadowd database copied from elsewhere is served as it is" {
	local dir=$TD/copied pid r=\$aws/things/t7/shadow out
	mkdir -p "$dir"
	shadowd_db_make "$dir/shadows.db"
	# the suite's shadowd pauses, so that only the one on the copy answers
	kill -STOP "$SHADOWD_PID"
	"$BIN/shadowd" --data-dir "$dir" -i sd-copied >"$TD/copied.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/copied.log" ready 10
	out=$(ask "$r" get '{"clientToken":"cp"}')
	kill -TERM "$pid"
	wait_gone "$pid"
	kill -CONT "$SHADOWD_PID"
	run grep -F untouched "$TD/copied.log"
	assert_failure
	# -s: no answer is [], a failure (jq 1.6 passes -e on no input at all)
	answer get/accepted "$out" | jq -es --arg x "$(printf 'x%.0s' $(seq 1 100))" \
	    'length == 1 and (.[0] | .version == 1 and .state.reported.x == $x and
	     .metadata.reported.x.timestamp == 1 and .clientToken == "cp")'
	[ "$(sqlite3 "$dir/shadows.db" 'SELECT count(*) FROM shadows')" = 200 ]
}

@test "a schema 2 database is upgraded: its shadows and unpublished answers are kept, its outcomes table replaced" {
	local dir=$TD/schema2 pid r=\$aws/things/t9/shadow r2 out
	r2=$(root "$(thing)")
	mkdir -p "$dir"
	shadowd_db_make "$dir/shadows.db" 2
	sqlite3 "$dir/shadows.db" "CREATE TABLE dedupe (id INTEGER PRIMARY KEY, thing TEXT NOT NULL, name TEXT NOT NULL, op INTEGER NOT NULL, token TEXT NOT NULL, hash BLOB NOT NULL, at INTEGER NOT NULL, code INTEGER NOT NULL, msg INTEGER NOT NULL, answer TEXT NOT NULL); CREATE UNIQUE INDEX dedupe_key ON dedupe (thing, name, op, token, hash); CREATE TABLE outbox (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, body TEXT NOT NULL); INSERT INTO outbox (topic, body) VALUES ('$r/update/accepted', '{\"clientToken\":\"kept2\",\"version\":5}');"
	kill -STOP "$SHADOWD_PID"
	"$BIN/shadowd" --data-dir "$dir" -i sd-schema2 >"$TD/schema2.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/schema2.log" ready 10
	wait_answers "$r" 1 10
	out=$(ask "$r2" update '{"state":{"reported":{"y":1}},"clientToken":"up2"}' 2)
	kill -TERM "$pid"
	wait_gone "$pid"
	kill -CONT "$SHADOWD_PID"
	assert_equal "$(answers_of "$r" | head -1 | cut -d' ' -f2- | jq -c '[.clientToken, .version]')" '["kept2",5]'
	assert_equal "$(answer update/accepted "$out" | jq -c '[.version, .clientToken]')" '[1,"up2"]'
	[ "$(sqlite3 "$dir/shadows.db" 'PRAGMA user_version')" = 3 ]
	[ "$(sqlite3 "$dir/shadows.db" 'SELECT count(*) FROM shadows')" = 201 ]
	[ "$(sqlite3 "$dir/shadows.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('dedupe', 'dedupe_key')")" = 0 ]
	[ "$(sqlite3 "$dir/shadows.db" 'SELECT count(*) FROM outcomes')" = 1 ]
	[ "$(sqlite3 "$dir/shadows.db" 'SELECT count(*) FROM meta')" = 0 ]
	[ "$(sqlite3 "$dir/shadows.db" 'PRAGMA integrity_check')" = ok ]
}

@test "a schema 3 database made before the meta table opens, keeps its data and gets the table" {
	local dir=$TD/schema3 pid r=\$aws/things/t11/shadow out
	mkdir -p "$dir"
	shadowd_db_make "$dir/shadows.db" 3
	sqlite3 "$dir/shadows.db" "CREATE TABLE outbox (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, body TEXT NOT NULL); CREATE TABLE outcomes (id INTEGER PRIMARY KEY, key BLOB NOT NULL, at INTEGER NOT NULL, code INTEGER NOT NULL, msg INTEGER NOT NULL, answer TEXT NOT NULL); INSERT INTO outbox (topic, body) VALUES ('$r/update/accepted', '{\"clientToken\":\"kept3\",\"version\":4}');"
	[ "$(sqlite3 "$dir/shadows.db" "SELECT count(*) FROM sqlite_master WHERE name = 'meta'")" = 0 ]
	kill -STOP "$SHADOWD_PID"
	"$BIN/shadowd" --data-dir "$dir" -i sd-schema3 --http 127.0.0.1:0 >"$TD/schema3.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/schema3.log" ready 10
	wait_answers "$r" 1 10
	out=$(ask "$(root t12)" get '{"clientToken":"g3"}')
	kill -TERM "$pid"
	wait_gone "$pid"
	kill -CONT "$SHADOWD_PID"
	assert_equal "$(answers_of "$r" | head -1 | cut -d' ' -f2- | jq -c '[.clientToken, .version]')" '["kept3",4]'
	assert_equal "$(answer get/accepted "$out" | jq -c '[.version, .clientToken]')" '[1,"g3"]'
	[ "$(sqlite3 "$dir/shadows.db" 'PRAGMA user_version')" = 3 ]
	# --http drew the nextToken key into it
	[ "$(sqlite3 "$dir/shadows.db" "SELECT name, length(value) FROM meta")" = 'nextToken key|32' ]
	[ "$(sqlite3 "$dir/shadows.db" 'PRAGMA integrity_check')" = ok ]
}

@test "a second shadowd on the same --data-dir is refused, naming the directory and the first one's pid" {
	run "$BIN/shadowd" --data-dir "$TD/shadowd-data" -i sd-second
	assert_failure 1
	assert_output --partial "data directory $TD/shadowd-data is in use by another shadowd (pid $SHADOWD_PID"
	refute_output --partial ready
	kill -0 "$SHADOWD_PID"
	run ask "$(root "$(thing)")" update '{"state":{"reported":{"a":1}}}' 2
	[ "$(echo "$output" | grep -c '/update/accepted ')" -eq 1 ]
}

@test "the data directory lock goes with the process: after kill -9 a new shadowd starts" {
	local dir=$TD/lockdir pid
	mkdir -p "$dir"
	"$BIN/shadowd" --data-dir "$dir" -i sd-lock1 >"$TD/lock1.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/lock1.log" ready 10
	run "$BIN/shadowd" --data-dir "$dir" -i sd-lock2
	assert_failure 1
	assert_output --partial "in use by another shadowd (pid $pid"
	kill -KILL "$pid"
	wait_gone "$pid"
	"$BIN/shadowd" --data-dir "$dir" -i sd-lock3 >"$TD/lock3.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/lock3.log" ready 10
	kill -TERM "$pid"
	wait_gone "$pid"
}

@test "shadowd -q still prints its ready line (scripts wait for it), and nothing else" {
	local dir=$TD/quiet pid
	"$BIN/shadowd" --data-dir "$dir" -i sd-quiet -q >"$TD/quiet.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait_for_line "$TD/quiet.log" "^shadowd: ready: " 10
	kill -TERM "$pid"
	wait "$pid"
	[ "$(wc -l <"$TD/quiet.log")" -eq 1 ]
}
