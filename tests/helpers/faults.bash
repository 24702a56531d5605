# Helpers for the fault suites (faults-*.bats): faults that the OS can make
# and clear while shadowd runs, and their cleanup.
#
#   load ../helpers/shadowd
#   load ../helpers/faults
#   teardown_file() { faults_teardown; }

# fsize_limit PID BYTES: a soft file size limit on a running process; a write
# past BYTES fails with EFBIG, as on a full disk (shadowd ignores SIGXFSZ).
# The hard limit stays unlimited, so the fault can be cleared again.
fsize_limit() { prlimit --pid "$1" --fsize="$2":unlimited; }
fsize_clear() { prlimit --pid "$1" --fsize=unlimited:unlimited; }

# immutable FILE: no process may write it, root included (chattr +i); the
# file is remembered so faults_teardown makes it writable again.
immutable() {
	chattr +i "$1" || return 1
	echo "$1" >>"$TD/immutable"
}
mutable() { chattr -i "$1"; }

# skip_unless_chattr DIR: skip when the file system has no immutable flag,
# or one that does not stop writes through a descriptor opened before (tmpfs
# checks it at open only; shadowd keeps its files open).
skip_unless_chattr() {
	local f=$1/.chattr-probe fd blocked=0
	: >"$f"
	exec {fd}>>"$f"
	if chattr +i "$f" 2>/dev/null; then
		{ echo x >&"$fd"; } 2>/dev/null || blocked=1
		chattr -i "$f"
	fi
	exec {fd}>&-
	rm -f "$f"
	[ "$blocked" = 1 ] || skip "chattr +i does not stop writes on $1"
}

faults_teardown() {
	local f
	if [ -f "$TD/immutable" ]; then
		while read -r f; do chattr -i "$f" 2>/dev/null; done <"$TD/immutable"
	fi
	stack_teardown
}

# doc_of ROOT: "version state" of a shadow, compact, from a get (version 0
# and null when it does not exist).
doc_of() {
	local out
	out=$(ask "$1" get '') || return 1
	answer get/accepted "$out" | jq -c '[.version, .state]' | grep . ||
	    echo '[0,null]'
}

# shadowd_db_make FILE [USER_VERSION]: a shadowd database made with sqlite3
# (the schema and marks of cmd/shadowd/store.c), with a few shadows.
shadowd_db_make() {
	local f=$1 uv=${2:-1} i x
	x=$(printf 'x%.0s' $(seq 1 100))
	{
		echo "PRAGMA application_id = $((0x53484457));"
		echo "PRAGMA user_version = $uv;"
		echo "CREATE TABLE shadows (thing TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, present INTEGER NOT NULL, doc TEXT, deleted_at INTEGER, PRIMARY KEY (thing, name)) WITHOUT ROWID;"
		for i in $(seq 1 200); do
			echo "INSERT INTO shadows VALUES ('t$i', '', 1, 1, '{\"state\":{\"reported\":{\"x\":\"$x\"}},\"metadata\":{\"reported\":{\"x\":{\"timestamp\":1}}},\"version\":1}', NULL);"
		done
	} | sqlite3 "$f"
}

# ctl_loop FILE THING STOPFILE [ARGS...]: run "shadowctl set --reported
# sN:=N" for N = 1, 2, ... until STOPFILE exists, each bounded by timeout 30;
# append "N exit-status" to FILE for each call.
ctl_loop() {
	local log=$1 t=$2 stop=$3 n=0 rc
	shift 3
	while [ ! -e "$stop" ]; do
		n=$((n + 1))
		rc=0
		timeout 30 "$BIN/shadowctl" -t "$t" -c --timeout 5 "$@" \
		    set --reported "s$n:=$n" >/dev/null 2>>"$log.err" || rc=$?
		echo "$n $rc" >>"$log"
	done
}

# reported_of ROOT: {"version":V,"reported":{...}} of a shadow, version 0
# and {} when it does not exist.
reported_of() {
	local out
	out=$(ask "$1" get '') || return 1
	answer get/accepted "$out" |
	    jq -c '{version, reported: (.state.reported // {})}' | grep . ||
	    echo '{"version":0,"reported":{}}'
}
