#!/usr/bin/env bats
# Bash completion for shadowctl: source it and call _shadowctl.

load ../helpers/common
load ../helpers/shadowctl

setup_file() {
	stack_setup
}

setup() {
	# compopt only works inside a real completion; a no-op stands in.
	compopt() { :; }
	source "$TOP/completions/shadow-tools.bash"
	mkdir -p "$TD/files/certdir" "$XDG_CONFIG_HOME/shadow"
	: >"$TD/files/cert.pem"
	: >"$TD/files/key.pem"
	cd "$TD/files"
}

# complete WORDS...: the last word is the one being completed.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_shadowctl
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "the command is completed" {
	run complete_words shadowctl ''
	assert_output "delete
get
list
set
unset
update
watch"
	run complete_words shadowctl -t demo u
	assert_output "unset
update"
}

@test "options are completed" {
	run complete_words shadowctl --ti
	assert_output "--timeout"
	run complete_words shadowctl --ce
	assert_output "--cert
--certs"
}

@test "command options are offered after their command only" {
	run complete_words shadowctl set --w
	assert_output "--wait"
	run complete_words shadowctl unset --all
	assert_output "--all"
	run complete_words shadowctl set --all
	assert_output ""
	run complete_words shadowctl watch --cou
	assert_output "--count"
	run complete_words shadowctl get --w
	assert_output ""
}

@test "--cert, --key, --ca and -f complete file names" {
	run complete_words shadowctl --cert c
	assert_output "cert.pem
certdir"
	run complete_words shadowctl --key k
	assert_output "key.pem"
	run complete_words shadowctl --ca ce
	assert_output "cert.pem
certdir"
	run complete_words shadowctl update -f k
	assert_output "key.pem"
}

@test "--certs completes directories only" {
	run complete_words shadowctl --certs c
	assert_output "certdir"
}

@test "--profile completes the profile names of the config file" {
	printf '[default]\nthing = a\n[aws]\n# [not-a-profile]\n  [local-dev]\n' \
	    >"$XDG_CONFIG_HOME/shadow/config"
	run complete_words shadowctl --profile ''
	assert_output "aws
default
local-dev"
	run complete_words shadowctl --profile a
	assert_output "aws"
}

@test "--profile reads the file given by --config or SHADOW_CONFIG" {
	printf '[alt]\n' >"$TD/alt.conf"
	run complete_words shadowctl --config "$TD/alt.conf" --profile ''
	assert_output "alt"
	SHADOW_CONFIG=$TD/alt.conf run complete_words shadowctl --profile ''
	assert_output "alt"
}

@test "--aws-profile completes the profiles of ~/.aws/credentials and ~/.aws/config" {
	mkdir -p "$TD/home/.aws"
	printf '[default]\naws_access_key_id = A\n[ci]\n' >"$TD/home/.aws/credentials"
	printf '[default]\nregion = eu-west-1\n[profile prod]\n[ profile  sso-dev ]\n[sso-session corp]\n' \
	    >"$TD/home/.aws/config"
	HOME=$TD/home run complete_words shadowctl --aws-profile ''
	assert_output "ci
default
prod
sso-dev"
	HOME=$TD/home run complete_words shadowctl --aws-profile p
	assert_output "prod"
}

@test "--aws-profile follows AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE" {
	printf '[profile from-conf]\n' >"$TD/aws-conf"
	printf '[from-creds]\n' >"$TD/aws-creds"
	HOME=$TD/nowhere AWS_CONFIG_FILE=$TD/aws-conf \
	    AWS_SHARED_CREDENTIALS_FILE=$TD/aws-creds \
	    run complete_words shadowctl --aws-profile ''
	assert_output "from-conf
from-creds"
}

@test "list offers --page-size; --region takes free text" {
	run complete_words shadowctl list --pag
	assert_output "--page-size"
	run complete_words shadowctl get --pag
	assert_output ""
	run complete_words shadowctl --region ''
	assert_output ""
}

@test "option values that are free text complete nothing" {
	run complete_words shadowctl -t ''
	assert_output ""
	run complete_words shadowctl --timeout ''
	assert_output ""
}

@test "--mqtt and --alpn complete their values" {
	run complete_words shadowctl --mqtt ''
	assert_output "3.1.1
5"
	run complete_words shadowctl --alpn x
	assert_output "x-amzn-mqtt-ca"
}

@test "get completes path starts" {
	run complete_words shadowctl get state.r
	assert_output "state.reported."
}

@test "the zsh and fish completions exist and name every command" {
	for c in get set unset update delete watch list; do
		grep -q "'$c:" "$TOP/completions/_shadowctl"
		grep -q -- "-a $c " "$TOP/completions/shadow-tools.fish"
	done
}

# complete_prog PROG WORDS...: the same for shadowdev and shadowd.
complete_prog() {
	local fn=_$1
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$fn"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

@test "shadowdev completes its command, its own options and the common ones" {
	run complete_prog shadowdev ''
	assert_output "run"
	run complete_prog shadowdev --things
	assert_output "--things-from"
	run complete_prog shadowdev --cer
	assert_output "--cert
--certs"
	run complete_prog shadowdev --things-from ce
	assert_output "cert.pem
certdir"
	run complete_prog shadowdev --state ''
	assert_output "MOTOR=OFF
MOTOR=ON"
	run complete_prog shadowdev --exec-
	assert_output "--exec-jobs
--exec-timeout"
	run complete_prog shadowdev --state-dir ce
	assert_output "certdir"
}

@test "shadowd completes its options and a directory for --data-dir" {
	run complete_prog shadowd --data
	assert_output "--data-dir"
	run complete_prog shadowd --data-dir ''
	assert_output "certdir"
	run complete_prog shadowd --rate-limit ''
	assert_output ""
	run complete_prog shadowd -t
	assert_output ""
}

@test "shadowd completes the options of its HTTP face, a file for --http-credentials" {
	run complete_prog shadowd --http-c
	assert_output "--http-cert
--http-credentials"
	run complete_prog shadowd --http-credentials ce
	assert_output "cert.pem
certdir"
	run complete_prog shadowd --http ''
	assert_output ""
	grep -q -- "--http-max-connections=" "$TOP/completions/_shadowd"
	grep -q -- "-c shadowd -l http-insecure" "$TOP/completions/shadow-tools.fish"
}

@test "the fish completion offers commands and options of all three programs" {
	command -v fish >/dev/null || skip "fish is not installed"
	run fish -c "source '$TOP/completions/shadow-tools.fish'; complete -C'shadowctl se'; complete -C'shadowdev --things'; complete -C'shadowd --data'"
	assert_success
	assert_line --partial "set"
	assert_line --partial "--things-from"
	assert_line --partial "--data-dir"
}

@test "the zsh completions parse" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	for p in shadowctl shadowdev shadowd; do
		run zsh -n "$TOP/completions/_$p"
		assert_success
	done
}
