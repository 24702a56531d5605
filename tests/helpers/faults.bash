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

# SQLite statements that fail on demand (tests/helpers/sqlfault.c, built by
# "make units"): shadowd started through sqlfault_env runs with the library
# preloaded; while $TD/sqlfault exists, the statements it names fail.
#
#   sqlfault_env sd_start [ARGS...]   (or any function that starts shadowd)
#   sqlfault_on IOERR BEGIN           BEGIN fails with SQLITE_IOERR
#   sqlfault_off                      every statement runs again
#   sqlfault_reset                    off, and its log forgotten
#   sqlfault_hits 'IOERR BEGIN'       how many statements it failed so far

# The library of the build under test ($BUILD, as tests/run exports it).
sqlfault_so() {
	local b=${BUILD:-build}
	case $b in
	/*) ;;
	*) b=$TOP/$b ;;
	esac
	echo "$b/tests/sqlfault.so"
}

# sqlfault_env CMD [ARGS...]: CMD with the library preloaded into what it
# starts. An ASan build refuses a preload ahead of its runtime unless told
# not to check; under valgrind (tests/run VALGRIND=1) the preload goes
# through the wrapper and valgrind to shadowd.
sqlfault_env() {
	local so
	so=$(sqlfault_so)
	[ -f "$so" ] || { echo "sqlfault_env: no $so (make units builds it)" >&2; return 1; }
	sqlfault_reset
	SQLFAULT_FILE=$TD/sqlfault LD_PRELOAD=$so${LD_PRELOAD:+:$LD_PRELOAD} \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$@"
}

# sqlfault_on CODE SQL [CODE SQL...]: statements beginning with SQL fail
# with CODE (a result code without SQLITE_: IOERR, BUSY, FULL ...). Written
# whole, then renamed, so shadowd never reads half a line.
sqlfault_on() {
	printf '%s %s\n' "$@" >"$TD/sqlfault.new" &&
	    mv "$TD/sqlfault.new" "$TD/sqlfault"
}
sqlfault_off() { rm -f "$TD/sqlfault"; }
# sqlfault_reset: off, and its log forgotten (from setup: hits per test).
sqlfault_reset() { rm -f "$TD/sqlfault" "$TD/sqlfault.log"; }

# sqlfault_hits LINE: the statements failed so far whose "CODE SQL" line
# begins with LINE.
sqlfault_hits() {
	[ -f "$TD/sqlfault.log" ] || { echo 0; return 0; }
	awk -v p="$1" 'index($0, p) == 1 { n++ } END { print n + 0 }' "$TD/sqlfault.log"
}

# assert_500 TEXT TOKEN: TEXT is the 500 error document for TOKEN, exactly.
assert_500() {
	assert_json "$1" "{\"code\":500,\"message\":\"Internal service failure\",\"timestamp\":1,\"clientToken\":\"$2\"}"
	printf '%s' "$1" | jqe '.timestamp | type == "number"' >/dev/null
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
