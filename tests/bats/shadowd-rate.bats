#!/usr/bin/env bats
# shadowd --rate-limit N: requests over N per second and thing get 429, with
# the clientToken, before any validation; other things are not limited.

load ../helpers/shadowd

setup_file() { sd_stack_start --rate-limit 3; }
teardown_file() { stack_teardown; }
setup() { sd_load; }

# The limiter counts per thing in windows of one second of shadowd's clock,
# which the tests cannot see; so they check what holds wherever the window
# boundaries fall, on a loaded machine too:
# - answered in request order, the first 3 of a window pass and the rest get
#   429: a run of passes that ends in a 429 is at least 3 long, unless the
#   previous window ended inside it (then it is longer);
# - answers stamped with one second of wall time come from at most two
#   windows (three at a boundary): at most 9 pass in it.

# ok_or_429 ROOT TOKEN_PREFIX N: "A" (passed) or "R" (429) for the answers
# to tokens PREFIX1..PREFIXN, in request order, on one line.
ok_or_429() {
	local i out
	out=$(answers_of "$1")
	for i in $(seq 1 "$3"); do
		printf '%s\n' "$out" | grep -F "\"clientToken\":\"$2$i\"" |
		    cut -d' ' -f2- | jq -r 'if .code == 429 then "R" else "A" end'
	done | tr -d '\n'
}

# passed_per_second: the most answers other than 429 with one timestamp.
passed_per_second() {
	cut -d' ' -f2- | jq -r 'select(.code != 429) | .timestamp' | sort | uniq -c |
	    awk '$1 > m { m = $1 } END { print m + 0 }'
}

@test "--rate-limit: in each second the first N requests of a thing pass, the rest get 429 with the token" {
	local t r i seq; t=$(thing); r=$(root "$t")
	for i in $(seq 1 20); do echo "{\"clientToken\":\"r$i\"}"; done | pub_lines "$r/get"
	wait_answers "$r" 20 10
	run answers_of "$r"
	[ "$(echo "$output" | wc -l)" -eq 20 ]
	echo "$output" | grep '"code":429' | grep -q '"message":"TOO_MANY_REQUESTS",.*"clientToken":"r[0-9]*"'
	seq=$(ok_or_429 "$r" r 20)
	echo "answers in request order: $seq" >&3
	[ "${#seq}" -eq 20 ]
	[[ $seq == A* ]]
	if [[ $seq =~ (^|R)A{1,2}R ]]; then
		echo "fewer than 3 requests passed in a window: $seq" >&2
		return 1
	fi
	[ "$(answers_of "$r" | passed_per_second)" -le 9 ]
}

@test "--rate-limit is checked before validation and counts all shadows of a thing" {
	local t i k; t=$(thing)
	# six shadows of one thing, ten invalid updates each, all at once
	for k in 1 2 3 4 5 6; do
		for i in $(seq 1 10); do echo "{\"state\":\"bad\",\"clientToken\":\"v$k-$i\"}"; done |
		    pub_lines "$(nroot "$t" "s$k")/update" &
	done
	wait
	for k in 1 2 3 4 5 6; do wait_answers "$(nroot "$t" "s$k")" 10 10; done
	run bash -c "grep -F '\$aws/things/$t/shadow/name/s' '$TD/watch.log'"
	[ "$(echo "$output" | wc -l)" -eq 60 ]
	# over the limit: 429 before the state is looked at; the others 400
	echo "$output" | grep -q '"code":429,"message":"TOO_MANY_REQUESTS",.*"clientToken":"v'
	[ "$(echo "$output" | grep -vc '"code":429\|"code":400')" -eq 0 ]
	# per thing, not per shadow (that would let up to 18 a second pass)
	[ "$(echo "$output" | passed_per_second)" -le 9 ]
	# another thing is not limited by this one
	run ask "$(root "$(thing other)")" get ''
	assert_output --partial '"code":404'
}
