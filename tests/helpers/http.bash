# Helpers for the suites of shadowd's HTTP face (load after ../helpers/shadowd
# or ../helpers/common). Real clients: the AWS CLI v2 and boto3 from Debian,
# with dummy credentials and a private HOME, talking to 127.0.0.1 only.
#
#   http_stack_start [SHADOWD ARGS...]   broker, shadowd --http 127.0.0.1:0
#                                        (and the answer watcher of
#                                        helpers/shadowd when loaded)
#   http_port_of LOG                     the port shadowd says it serves on
#   awsd ARGS...        aws iot-data ARGS --endpoint-url $HTTP_URL
#   py SCRIPT [ARGS]    /usr/bin/python3 with boto3 ($HTTP_URL in the env)
#   hcurl ARGS...       curl on $HTTP_URL, printing status, headers, body

# Debian's clients, not whatever else PATH finds first (a pip aws v1).
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
[ -x "$AWS_CLI" ] || AWS_CLI=$(command -v aws)
PYTHON3=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON3" ] || PYTHON3=$(command -v python3)

# A private AWS environment: no real profile, no instance metadata.
http_aws_env() {
	mkdir -p "$TD/home"
	export HOME=$TD/home
	export AWS_CONFIG_FILE=$TD/home/aws-config
	export AWS_SHARED_CREDENTIALS_FILE=$TD/home/aws-credentials
	export AWS_ACCESS_KEY_ID=AKIDSHADOWTEST AWS_SECRET_ACCESS_KEY=dummy-secret
	export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
	unset AWS_PROFILE AWS_SESSION_TOKEN
}

http_port_of() {
	sed -n 's/.*IoT Data Plane API on https\{0,1\}:\/\/.*:\([0-9][0-9]*\)$/\1/p' "$1" | tail -1
}

# http_shadowd_start [ARGS...]: shadowd with the HTTP face on a free port.
http_shadowd_start() {
	if declare -F sd_start >/dev/null; then
		sd_start --http 127.0.0.1:0 "$@" || return 1
	else
		shadowd_start --http 127.0.0.1:0 "$@" || return 1
	fi
	HTTP_PORT=$(http_port_of "$TD/shadowd.log")
	[ -n "$HTTP_PORT" ] || { echo "no HTTP port in $TD/shadowd.log" >&2; return 1; }
	export HTTP_PORT HTTP_URL=http://127.0.0.1:$HTTP_PORT
	echo "$HTTP_PORT" >"$TD/http.port"
}

http_stack_start() {
	stack_setup
	http_aws_env
	if declare -F sd_broker_start >/dev/null; then
		sd_broker_start || return 1
	else
		broker_start || return 1
	fi
	http_shadowd_start "$@" || return 1
	if declare -F sd_watch_start >/dev/null; then
		sd_watch_start
	fi
}

# From setup(): the values of setup_file, which ran in another shell.
http_load() {
	http_aws_env
	HTTP_PORT=$(cat "$TD/http.port")
	export HTTP_PORT HTTP_URL=http://127.0.0.1:$HTTP_PORT
}

awsd() {
	"$AWS_CLI" iot-data --endpoint-url "$HTTP_URL" "$@"
}

py() {
	local script=$1
	shift
	HTTP_URL=$HTTP_URL "$PYTHON3" "$BATS_TEST_DIRNAME/../helpers/$script" "$@"
}

# hcurl ARGS...: one request; prints "STATUS", the headers and the body.
hcurl() {
	curl -s -i --max-time 20 "$@"
}

# The status code of an hcurl output ($output).
http_status() { printf '%s\n' "$output" | awk 'NR == 1 { print $2 }'; }
# The value of a header in an hcurl output.
http_header_of() {
	printf '%s\n' "$output" | tr -d '\r' |
	    awk -v h="$(echo "$1" | tr 'A-Z' 'a-z'):" 'tolower($1) == h { $1 = ""; sub(/^ /, ""); print; exit }'
}
# The body of an hcurl output.
http_body_of() { printf '%s\n' "$output" | tr -d '\r' | awk 'b { print } /^$/ { b = 1 }'; }
