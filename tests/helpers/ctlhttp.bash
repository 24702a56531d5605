# Helpers for the suites of shadowctl's HTTP transport (load after
# ../helpers/common and ../helpers/shadowctl).
#
#   ctl_http_stack_start [SHADOWD ARGS...]   broker, and shadowd serving
#                                        MQTT and its HTTP face on $HTTP_PORT
#   hctl ARGS...          shadowctl over HTTP (-e $HTTP_URL); like ctl
#   mctl ARGS...          shadowctl over MQTT; like ctl
#   no_timestamps         stdin to stdout with every "timestamp": N as 0
#   aws_env_clear         no AWS_* variable and an empty HOME/.aws of the test

# ctl_http_stack_start [ARGS...]: $HTTP_URL is http://127.0.0.1:PORT, or
# https://... when ARGS hold --http-cert; the port is the one shadowd
# chose and logged ("... IoT Data Plane API on URL").
ctl_http_stack_start() {
	stack_setup
	broker_start || return 1
	shadowd_start --http 127.0.0.1:0 "$@" || return 1
	HTTP_URL=$(sed -n 's/.*IoT Data Plane API on \(https\{0,1\}:\/\/[^ ]*\)$/\1/p' \
	    "$TD/shadowd.log" | tail -1)
	[ -n "$HTTP_URL" ] || { echo "no URL in $TD/shadowd.log" >&2; return 1; }
	export HTTP_URL HTTP_PORT=${HTTP_URL##*:}
}

hctl() {
	run --separate-stderr env -u SHADOW_PORT "$CTL" -e "$HTTP_URL" "$@"
}

mctl() {
	run --separate-stderr "$CTL" "$@"
}

no_timestamps() {
	sed -E 's/"timestamp": ?[0-9]+/"timestamp": 0/g'
}

# No credentials from the environment or the real home directory: each
# test says where its credentials come from.
aws_env_clear() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	    AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION \
	    AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME/.aws"
}
