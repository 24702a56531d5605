#!/usr/bin/env bats
# kill -9 of the broker during a burst of updates: every update that was
# acknowledged as accepted is in the store after the restart, and the
# shadowctl calls in flight end with 3 or 4, none hangs.

load ../helpers/shadowd
load ../helpers/faults

setup_file() { sd_stack_start; }
teardown_file() { touch "$TD/stop"; faults_teardown; }
setup() { sd_load; }

# Accepted tokens of ROOT's updates in a watcher log, one per line.
accepted_keys() {
	local r=$1 log=$2
	awk -v p="$r/update/accepted " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' "$log" |
	    jq -r '.state.reported | keys[]'
}

# holds DOC WANT: DOC's reported state holds every key and value of WANT.
holds() {
	[ "$(jq -n --argjson d "$1" --argjson w "$2" '$d.reported | contains($w)')" = true ]
}

@test "broker kill -9 mid-burst: every accepted update is stored once, shadowctl calls in flight exit 3 or 4" {
	local k i r t want pubs=() loops=()
	rm -f "$TD/stop"
	# three shadowctl loops, each on its own thing
	for k in 1 2 3; do
		ctl_loop "$TD/ctl$k.log" "$(thing c$k)" "$TD/stop" &
		loops+=($!)
		track_pid "$!"
	done
	# bursts of raw updates with one new key each (k<i>), four things
	for k in 1 2 3 4; do
		r=$(root "$(thing b$k)")
		for i in $(seq 1 300); do echo "{\"state\":{\"reported\":{\"k$i\":$i}},\"clientToken\":\"b$k-$i\"}"; done |
		    pub_lines "$r/update" 2>/dev/null &
		pubs+=($!)
	done
	for i in $(seq 1 300); do
		[ "$(grep -c '/update/accepted' "$TD/watch.log")" -ge 300 ] && break
		sleep 0.02
	done
	echo "$SECONDS s: killing the broker" >&3
	broker_kill
	cp "$TD/watch.log" "$TD/acked.log"
	kill "$WATCH_PID" 2>/dev/null
	# calls started while the broker is down are refused (3) or time out (4)
	poll_until 30 eval '[ "$(cat "$TD"/ctl*.log | awk "\$2 == 3 || \$2 == 4" | wc -l)" -ge 1 ]'
	sd_broker_start
	wait_for_line "$TD/shadowd.log" "regained" 20
	sd_watch_start
	echo "$SECONDS s: broker back, shadowd reconnected" >&3
	# a few more calls once it is back, then stop the loops
	local mark; mark=$(cat "$TD"/ctl*.log | wc -l)
	for i in $(seq 1 200); do
		[ "$(cat "$TD"/ctl*.log | wc -l)" -ge $((mark + 6)) ] && break
		sleep 0.05
	done
	touch "$TD/stop"; echo "$SECONDS s: stopping loops" >&3
	# (not a bare wait: the restarted broker is a child of this shell)
	for i in "${loops[@]}"; do wait "$i"; done
	# a burst cut by the broker's kill may fail: what counts is what was
	# acknowledged (checked below)
	for i in "${pubs[@]}"; do wait "$i" || echo "(a burst ended $?: cut by the kill)" >&3; done

	echo "$SECONDS s: loops done" >&3
	# every shadowctl call ended 0 (accepted), 3 or 4; none hung (124)
	cat "$TD"/ctl*.log | awk '{ print $2 }' | sort | uniq -c >&3
	run bash -c "cat '$TD'/ctl*.log | awk '\$2 != 0 && \$2 != 3 && \$2 != 4'"
	assert_output ""
	[ "$(cat "$TD"/ctl*.log | awk '$2 == 3 || $2 == 4' | wc -l)" -ge 1 ]
	grep -q 'connection refused\|lost the connection' "$TD"/ctl*.log.err

	# each shadowctl call that exited 0 is stored; version = keys stored
	for k in 1 2 3; do
		r=$(root "$(thing c$k)")
		run reported_of "$r"
		local doc=$output
		want=$(awk '$2 == 0 { printf "%s\"s%d\":%d", n++ ? "," : "{", $1, $1 } END { print n ? "}" : "{}" }' "$TD/ctl$k.log")
		holds "$doc" "$want" || { echo "thing c$k: accepted updates $want missing from $doc" >&2; return 1; }
		[ "$(printf '%s' "$doc" | jq '.version == (.reported | length)')" = true ] ||
		    { echo "thing c$k: version is not the number of updates applied: $doc" >&2; return 1; }
	done
	# each burst update the watcher saw accepted is stored
	local acked total=0 n
	for k in 1 2 3 4; do
		r=$(root "$(thing b$k)")
		run reported_of "$r"
		local doc=$output
		acked=$(accepted_keys "$r" "$TD/acked.log")
		n=$(printf '%s\n' "$acked" | awk 'NF { n++ } END { print n + 0 }')
		total=$((total + n))
		echo "thing b$k: $n seen accepted, stored $doc" | cut -c1-150 >&3
		want=$(printf '%s\n' $acked | awk '/./ { printf "%s\"%s\":%d", n++ ? "," : "{", $1, substr($1, 2) } END { print n ? "}" : "{}" }')
		holds "$doc" "$want" || { echo "thing b$k: accepted updates $want missing from $doc" >&2; return 1; }
		[ "$(printf '%s' "$doc" | jq '.version == (.reported | length)')" = true ] ||
		    { echo "thing b$k: version is not the number of updates applied: $doc" >&2; return 1; }
	done
	echo "burst: $total updates seen accepted before the kill, all stored" >&3
	[ "$total" -ge 100 ]
}
