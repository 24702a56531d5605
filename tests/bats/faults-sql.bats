#!/usr/bin/env bats
# The store fails inside SQLite: BEGIN, COMMIT or a write returns an error
# (tests/helpers/sqlfault.c, preloaded into shadowd, makes the chosen
# statements fail while $TD/sqlfault names them). Every request the fault
# touches is answered 500 "Internal service failure" with its own
# clientToken over MQTT, 500 InternalFailureException over HTTP; shadowctl
# exits 1 with that message; nothing of a refused write is kept, shadowd
# logs what failed and goes on, and once the fault clears the next request
# is applied with the next version. (faults-store.bats makes the faults
# the OS can make: a full disk, a read-only file.)

load ../helpers/shadowd
load ../helpers/faults
load ../helpers/http

setup_file() {
	stack_setup
	http_aws_env
	sd_broker_start
	sqlfault_env http_shadowd_start
	sd_watch_start
}
teardown_file() { faults_teardown; }
setup() {
	sd_load
	http_load
	sqlfault_reset
}
# (a failed test may leave the fault on, or shadowd stopped)
teardown() {
	sqlfault_off
	kill -CONT "$SHADOWD_PID" 2>/dev/null
	return 0
}

DB() { echo "$TD/shadowd-data/shadows.db"; }
sql() { sqlite3 -cmd '.timeout 5000' "$(DB)" "$@"; }

# stored THING: "version|present|reported" of the classic shadow as the
# store holds it (sqlite3, not shadowd), empty when there is no row.
stored() {
	sql "SELECT version, present, json_extract(doc, '\$.state.reported')
	    FROM shadows WHERE thing = '$1' AND name = ''"
}

# kept TOKEN: rows of the store (outcomes and outbox) that mention TOKEN.
kept() {
	sql "SELECT (SELECT count(*) FROM outcomes WHERE json_extract(answer, '\$.clientToken') = '$1') +
	    (SELECT count(*) FROM outbox WHERE body LIKE '%\"$1\"%')"
}

# ctl ARGS...: shadowctl over MQTT; ctl_http ARGS...: over HTTP.
ctl() { run --separate-stderr "$BIN/shadowctl" -c "$@"; }
ctl_http() { run --separate-stderr env -u SHADOW_PORT "$BIN/shadowctl" -c -e "$HTTP_URL" "$@"; }

# shadow_url THING: the Data Plane URL of a classic shadow.
shadow_url() { echo "$HTTP_URL/things/$1/shadow"; }

# seed_then_fault URL CODE SQL: the shadow at URL made over HTTP (reported
# a:1, version 1), then statements beginning with SQL fail with CODE.
seed_then_fault() {
	run hcurl -X POST -d '{"state":{"reported":{"a":1}}}' "$1"
	assert_equal "$(http_status)" 200
	sqlfault_on "$2" "$3"
}

# assert_http_500: $output (hcurl) is the documented 500.
assert_http_500() {
	assert_equal "$(http_status)" 500
	assert_equal "$(http_header_of x-amzn-ErrorType)" InternalFailureException
	assert_json "$(http_body_of)" '{"message":"Internal service failure"}'
}

# log_has TEXT: shadowd logged TEXT (fixed string).
log_has() { grep -qF "$1" "$TD/shadowd.log"; }

# recv_queue PID PORT: bytes waiting unread in PID's connection to PORT.
recv_queue() {
	ss -tnpH state established "( dport = :$2 )" |
	    awk -v p="pid=$1," 'index($0, p) { print $1; exit }'
}

# one_batch TOPIC PAYLOAD [TOPIC PAYLOAD...]: the requests reach shadowd
# while it is stopped; it goes on once all of them wait in its socket (at
# least their topics' and payloads' bytes), and reads them in one round:
# one batch, one transaction.
one_batch() {
	local n=0 rc=0
	kill -STOP "$SHADOWD_PID"
	while [ $# -ge 2 ]; do
		pub "$1" "$2" || rc=1
		n=$((n + ${#1} + ${#2}))
		shift 2
	done
	[ "$rc" = 0 ] && poll_until 10 eval \
	    '[ "$(recv_queue "$SHADOWD_PID" "$BROKER_PORT")" -ge '"$n"' ]' || rc=1
	kill -CONT "$SHADOWD_PID"
	return "$rc"
}

@test "BEGIN fails (IOERR): update, get and delete over MQTT get 500 with their tokens; nothing kept; applied once the fault clears" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	assert_equal "$(answer update/accepted | jq .version)" 1
	sqlfault_on IOERR BEGIN
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"b-upd"}'
	assert_500 "$(answer update/rejected)" b-upd
	run ask "$r" get '{"clientToken":"b-get"}'
	assert_500 "$(answer get/rejected)" b-get
	run ask "$r" delete '{"clientToken":"b-del"}'
	assert_500 "$(answer delete/rejected)" b-del
	# the injected fault is what they met, and shadowd says so and goes on
	[ "$(sqlfault_hits 'IOERR BEGIN')" -ge 3 ]
	log_has "shadowd: store: $(DB): can't begin a transaction: disk I/O error (Input/output error)"
	alive "$SHADOWD_PID"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	assert_equal "$(kept b-upd)$(kept b-del)" 00
	sqlfault_off
	# the same update again (same token, same payload): a 500 is not an
	# outcome to repeat, so it is applied now, once
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"b-upd"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .state, .clientToken]')" '[2,{"reported":{"a":2}},"b-upd"]'
	run ask "$r" get '{"clientToken":"b-get"}'
	assert_json "$(answer get/accepted | jq -c '[.version, .state, .clientToken]')" '[2,{"reported":{"a":2}},"b-get"]'
	run ask "$r" delete '{"clientToken":"b-del"}'
	assert_json "$(answer delete/accepted | jq -c '[.version, .clientToken]')" '[2,"b-del"]'
	assert_equal "$(stored "$t")" '2|0|'
	assert_equal "$(sql 'PRAGMA integrity_check')" ok
}

@test "BEGIN fails (BUSY): shadowctl over MQTT exits 1 with the 500, not a timeout" {
	local t; t=$(thing)
	ctl -t "$t" set a:=1
	assert_success
	sqlfault_on BUSY BEGIN
	ctl -t "$t" set a:=2
	assert_failure 1
	assert_equal "$stderr" "shadowctl: update rejected: 500 Internal service failure"
	ctl -t "$t" update '{"state":{"desired":{"a":3}},"clientToken":"ctl-upd"}'
	assert_failure 1
	assert_equal "$stderr" "shadowctl: update rejected: 500 Internal service failure"
	ctl -t "$t" get
	assert_failure 1
	assert_equal "$stderr" "shadowctl: get rejected: 500 Internal service failure"
	ctl -t "$t" delete
	assert_failure 1
	assert_equal "$stderr" "shadowctl: delete rejected: 500 Internal service failure"
	# the answer to the update with a token carried it
	wait_for_line "$TD/watch.log" '"clientToken":"ctl-upd"'
	assert_500 "$(answer update/rejected "$(answers_of "$(root "$t")" | grep -F '"ctl-upd"')")" ctl-upd
	log_has "shadowd: store: $(DB): can't begin a transaction: database is locked"
	[ "$(sqlfault_hits 'BUSY BEGIN')" -ge 4 ]
	alive "$SHADOWD_PID"
	sqlfault_off
	ctl -t "$t" set a:=4
	assert_success
	assert_equal "$(printf '%s' "$output" | jq -c '[.version, .state]')" '[2,{"desired":{"a":4}}]'
	assert_equal "$(stored "$t")" '2|1|'
}

@test "BEGIN fails over HTTP: 500 InternalFailureException for update, get and delete; shadowctl over HTTP exits 1; applied once the fault clears" {
	local t u; t=$(thing); u=$(shadow_url "$t")
	seed_then_fault "$u" IOERR BEGIN
	run hcurl -X POST -d '{"state":{"reported":{"a":2}},"clientToken":"h-upd"}' "$u"
	assert_http_500
	run hcurl "$u"
	assert_http_500
	run hcurl -X DELETE "$u"
	assert_http_500
	ctl_http -t "$t" set --reported a:=3
	assert_failure 1
	assert_equal "$stderr" "shadowctl: update rejected: 500 Internal service failure"
	ctl_http -t "$t" get
	assert_failure 1
	assert_equal "$stderr" "shadowctl: get rejected: 500 Internal service failure"
	[ "$(sqlfault_hits 'IOERR BEGIN')" -ge 5 ]
	alive "$SHADOWD_PID"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	assert_equal "$(kept h-upd)" 0
	sqlfault_off
	run hcurl -X POST -d '{"state":{"reported":{"a":2}},"clientToken":"h-upd"}' "$u"
	assert_equal "$(http_status)" 200
	assert_json "$(http_body_of | jq -c '[.version, .state, .clientToken]')" '[2,{"reported":{"a":2}},"h-upd"]'
	ctl_http -t "$t" get
	assert_success
	assert_equal "$(printf '%s' "$output" | jq -c '[.version, .state.reported]')" '[2,{"a":2}]'
	# the refused HTTP update published nothing on MQTT: the only update
	# answers of this shadow are those of the two applied ones, in order
	# (the answers of one connection arrive in the order they were sent)
	wait_answers "$(root "$t")" 4
	run answers_of "$(root "$t")"
	assert_equal "$(answer_kinds | tr '\n' ' ')" "update/accepted update/documents update/accepted update/documents "
}

@test "COMMIT fails (IOERR): every write of the batch gets 500 with its token, a get is answered from what is stored; nothing kept" {
	local t r i; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":0}}}' 2
	sqlfault_on IOERR COMMIT
	one_batch "$r/update" '{"state":{"reported":{"a":1}},"clientToken":"c1"}' \
	    "$r/update" '{"state":{"reported":{"a":2}},"clientToken":"c2"}' \
	    "$r/update" '{"state":{"reported":{"a":3}},"clientToken":"c3"}' \
	    "$r/delete" '{"clientToken":"c-del"}'
	wait_answers "$r" 6
	run answers_of "$r"
	for i in c1 c2 c3; do
		assert_500 "$(answer update/rejected "$(printf '%s\n' "$output" | grep -F "\"clientToken\":\"$i\"")")" "$i"
	done
	assert_500 "$(answer delete/rejected)" c-del
	[ "$(count_answers "$r")" -eq 6 ]
	# a read changes nothing: its answer stands, with what is stored
	run ask "$r" get '{"clientToken":"c-get"}'
	assert_json "$(answer get/accepted | jq -c '[.version, .state, .clientToken]')" '[1,{"reported":{"a":0}},"c-get"]'
	log_has "shadowd: store: $(DB): can't commit: disk I/O error (Input/output error); answering the batch's writes 500"
	[ "$(sqlfault_hits 'IOERR COMMIT')" -ge 2 ]
	alive "$SHADOWD_PID"
	# rolled back: no shadow change, no kept outcome, no answer in the outbox
	assert_equal "$(stored "$t")" '1|1|{"a":0}'
	assert_equal "$(kept c1)$(kept c2)$(kept c3)$(kept c-del)" 0000
	sqlfault_off
	run ask "$r" update '{"state":{"reported":{"a":3}},"clientToken":"c3"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .state, .clientToken]')" '[2,{"reported":{"a":3}},"c3"]'
	assert_equal "$(stored "$t")" '2|1|{"a":3}'
	assert_equal "$(sql 'PRAGMA integrity_check')" ok
}

@test "COMMIT fails over HTTP: an update or delete is 500 InternalFailureException, a get is 200; shadowctl over HTTP exits 1" {
	local t u; t=$(thing); u=$(shadow_url "$t")
	seed_then_fault "$u" BUSY COMMIT
	run hcurl -X POST -d '{"state":{"reported":{"a":2}},"clientToken":"hc-upd"}' "$u"
	assert_http_500
	run hcurl -X DELETE "$u"
	assert_http_500
	run hcurl "$u"
	assert_equal "$(http_status)" 200
	assert_equal "$(http_body_of | jq -c '[.version, .state]')" '[1,{"reported":{"a":1}}]'
	ctl_http -t "$t" set a:=5
	assert_failure 1
	assert_equal "$stderr" "shadowctl: update rejected: 500 Internal service failure"
	log_has "shadowd: store: $(DB): can't commit: database is locked; answering the batch's writes 500"
	alive "$SHADOWD_PID"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	assert_equal "$(kept hc-upd)" 0
	sqlfault_off
	ctl_http -t "$t" set a:=5
	assert_success
	assert_equal "$(printf '%s' "$output" | jq -c '[.version, .state]')" '[2,{"desired":{"a":5}}]'
}

@test "the write of the shadow fails (BUSY): updates and deletes get 500 with their tokens, a get is answered; nothing kept" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on BUSY 'INSERT OR REPLACE INTO shadows'
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"w-upd"}'
	assert_500 "$(answer update/rejected)" w-upd
	run ask "$r" delete '{"clientToken":"w-del"}'
	assert_500 "$(answer delete/rejected)" w-del
	run ask "$r" get '{"clientToken":"w-get"}'
	assert_json "$(answer get/accepted | jq -c '[.version, .clientToken]')" '[1,"w-get"]'
	log_has "shadowd: store: $(DB): can't write: database is locked"
	[ "$(sqlfault_hits 'BUSY INSERT OR REPLACE INTO shadows')" -eq 2 ]
	alive "$SHADOWD_PID"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	assert_equal "$(kept w-upd)$(kept w-del)" 00
	sqlfault_off
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"w-upd"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[2,"w-upd"]'
	assert_equal "$(stored "$t")" '2|1|{"a":2}'
}

@test "the write of the shadow fails (IOERR) over HTTP: 500 InternalFailureException, then applied once the fault clears" {
	local t u; t=$(thing); u=$(shadow_url "$t")
	seed_then_fault "$u" IOERR_WRITE 'INSERT OR REPLACE INTO shadows'
	run hcurl -X POST -d '{"state":{"reported":{"a":2}}}' "$u"
	assert_http_500
	run hcurl -X DELETE "$u"
	assert_http_500
	log_has "shadowd: store: $(DB): can't write: disk I/O error (Input/output error)"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	sqlfault_off
	run hcurl -X POST -d '{"state":{"reported":{"a":2}}}' "$u"
	assert_equal "$(http_status)" 200
	assert_equal "$(http_body_of | jq .version)" 2
	assert_equal "$(stored "$t")" '2|1|{"a":2}'
}

@test "the answers cannot be put in the outbox (FULL): the batch's writes get 500 with their tokens, rolled back" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on FULL 'INSERT INTO outbox'
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"o-upd"}'
	assert_500 "$(answer update/rejected)" o-upd
	log_has "shadowd: store: $(DB): can't keep an answer: database or disk is full (No space left on device); answering the batch's writes 500"
	alive "$SHADOWD_PID"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	assert_equal "$(kept o-upd)" 0
	sqlfault_off
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"o-upd"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[2,"o-upd"]'
}

@test "the outcome of a write cannot be kept (BUSY on the outcomes table): 500, and the write is not applied either" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on BUSY 'INSERT INTO outcomes'
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"k-upd"}'
	assert_500 "$(answer update/rejected)" k-upd
	log_has "shadowd: store: $(DB): can't keep the outcome of a request: database is locked"
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	sqlfault_off
	run ask "$r" update '{"state":{"reported":{"a":2}},"clientToken":"k-upd"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[2,"k-upd"]'
}

@test "COMMIT fails: a get in the batch of a refused write does not answer with that write" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on IOERR COMMIT
	one_batch "$r/update" '{"state":{"reported":{"a":2}},"clientToken":"p-upd"}' \
	    "$r/get" '{"clientToken":"p-get"}'
	wait_answers "$r" 4
	run answers_of "$r"
	assert_500 "$(answer update/rejected)" p-upd
	assert_equal "$(stored "$t")" '1|1|{"a":1}'
	# what it answers is what is stored, or a 500: never version 2
	run answer get/accepted
	[ -z "$output" ] || assert_equal "$(printf '%s' "$output" | jq -c '[.version, .state]')" '[1,{"reported":{"a":1}}]'
}

@test "COMMIT and then ROLLBACK fail: the refused write is not applied by a later batch" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on IOERR COMMIT IOERR ROLLBACK
	run ask "$r" update '{"state":{"reported":{"a":2},"desired":{"x":1}},"clientToken":"rb-upd"}'
	assert_500 "$(answer update/rejected)" rb-upd
	[ "$(sqlfault_hits 'IOERR ROLLBACK')" -ge 1 ]
	log_has "shadowd: store: $(DB): can't roll back: disk I/O error (Input/output error); rolled back before the next batch"
	sqlfault_off
	run ask "$r" update '{"state":{"reported":{"a":3}},"clientToken":"rb-next"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[2,"rb-next"]'
	assert_equal "$(stored "$t")" '2|1|{"a":3}'
	assert_equal "$(sql "SELECT json_extract(doc, '\$.state.desired') IS NULL FROM shadows WHERE thing = '$t'")" 1
	assert_equal "$(kept rb-upd)" 0
}

@test "a list over HTTP shows only what is committed: not the named shadow of a batch whose COMMIT and ROLLBACK failed" {
	local t r; t=$(thing); r=$(root "$t")
	run ask "$r/name/kept" update '{"state":{"reported":{"a":1}}}' 2
	sqlfault_on IOERR COMMIT IOERR ROLLBACK
	run ask "$r/name/ghost" update '{"state":{"reported":{"a":1}},"clientToken":"gh"}'
	assert_500 "$(answer update/rejected)" gh
	[ "$(sqlfault_hits 'IOERR ROLLBACK')" -ge 1 ]
	# the refused write waits in the transaction left open: not listed
	run curl -sS "$HTTP_URL/api/things/shadow/ListNamedShadowsForThing/$t"
	assert_success
	assert_equal "$(jq -c .results <<<"$output")" '["kept"]'
	sqlfault_off
	run ask "$r/name/later" update '{"state":{"reported":{"a":1}},"clientToken":"gl"}' 2
	run curl -sS "$HTTP_URL/api/things/shadow/ListNamedShadowsForThing/$t"
	assert_equal "$(jq -c .results <<<"$output")" '["kept","later"]'
}

@test "the injector fails only what it is told to: a fault on another statement leaves requests alone" {
	local t r; t=$(thing); r=$(root "$t")
	sqlfault_on IOERR 'SELECT no such statement'
	run ask "$r" update '{"state":{"reported":{"a":1}},"clientToken":"n-upd"}' 2
	assert_json "$(answer update/accepted | jq -c '[.version, .clientToken]')" '[1,"n-upd"]'
	assert_equal "$(sqlfault_hits IOERR)" 0
	# and what it fails is logged: its log is how the tests above know
	# (one fault a line: the first line that matches counts; "BUSY SELECT"
	# would also catch the pruning of old outcomes, a SELECT of its own)
	sqlfault_on IOERR 'SELECT no such statement' IOERR 'SELECT version' BUSY 'SELECT version'
	run ask "$r" get '{"clientToken":"n-get"}'
	assert_500 "$(answer get/rejected)" n-get
	assert_equal "$(sqlfault_hits 'IOERR SELECT version, present, doc, deleted_at FROM shadows')" 1
	assert_equal "$(sqlfault_hits BUSY)" 0
	log_has "shadowd: store: $(DB): can't read: disk I/O error (Input/output error)"
}
