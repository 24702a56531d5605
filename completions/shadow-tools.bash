# bash completion for shadowctl(1), shadowdev(1) and shadowd(8).
# One file for the three programs: it is installed under each one's name.

_shadow_tools_profiles()
{
	local f=${SHADOW_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/shadow/config}
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --config ]] && f=${COMP_WORDS[i+1]}
	done
	[ -r "$f" ] && sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' "$f"
}

# The AWS profiles: sections of ~/.aws/credentials, and "[profile X]" (or
# "[default]") sections of ~/.aws/config, as the AWS CLI reads them.
_shadow_tools_aws_profiles()
{
	local creds=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
	local conf=${AWS_CONFIG_FILE:-$HOME/.aws/config}
	{
		[ -r "$creds" ] && sed -n 's/^[[:space:]]*\[[[:space:]]*\([^] ]*\)[[:space:]]*\].*/\1/p' "$creds"
		[ -r "$conf" ] && sed -n -e 's/^[[:space:]]*\[[[:space:]]*profile[[:space:]]\{1,\}\([^] ]*\)[[:space:]]*\].*/\1/p' \
		    -e 's/^[[:space:]]*\[[[:space:]]*\(default\)[[:space:]]*\].*/\1/p' "$conf"
	} | sort -u
}

_shadow_tools_common_opts='-e --endpoint -p --port --ca --cert --key --certs
    --tls --no-tls --alpn --insecure -u --username -P --password
    --password-file -i --client-id -k --keepalive --mqtt --profile --config
    -v --verbose -q --quiet -h --help --version'

# _shadow_tools_value PREV CUR FILEOPTS DIROPTS FREEOPTS: complete the value
# of option PREV; true when PREV takes a value (COMPREPLY is then set).
_shadow_tools_value()
{
	local prev=$1 cur=$2
	case " $3 --ca --cert --key --config --password-file " in
	*" $prev "*)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	esac
	case " $4 --certs " in
	*" $prev "*)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0 ;;
	esac
	case $prev in
	--profile) COMPREPLY=($(compgen -W "$(_shadow_tools_profiles)" -- "$cur")); return 0 ;;
	--mqtt) COMPREPLY=($(compgen -W '3.1.1 5' -- "$cur")); return 0 ;;
	--alpn) COMPREPLY=($(compgen -W 'x-amzn-mqtt-ca mqtt' -- "$cur")); return 0 ;;
	esac
	case " $5 -e --endpoint -p --port -u --username -P --password -i --client-id -k --keepalive " in
	*" $prev "*) return 0 ;;
	esac
	return 1
}

_shadowctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands='get set unset update delete watch list'
	local opts="-t --thing -n --shadow --timeout -c --compact -r --raw
	    --aws-profile --region $_shadow_tools_common_opts"
	local cmd='' w i

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case " $commands " in
		*" $w "*) cmd=$w; break ;;
		esac
	done
	if [[ $prev == --aws-profile ]]; then
		COMPREPLY=($(compgen -W "$(_shadow_tools_aws_profiles)" -- "$cur"))
		return
	fi
	_shadow_tools_value "$prev" "$cur" "-f --file" "" \
	    "-t --thing -n --shadow --timeout --count --expect-version
	    --region --page-size" && return

	case $cmd in
	set) opts+=' --reported --wait --expect-version' ;;
	unset) opts+=' --reported --all --expect-version' ;;
	update) opts+=' --wait --expect-version -f --file' ;;
	watch) opts+=' --count' ;;
	list) opts+=' --page-size' ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
	fi
	case $cmd in
	get)
		COMPREPLY=($(compgen -W 'state.desired. state.reported.
		    state.delta. version metadata.' -- "$cur"))
		compopt -o nospace 2>/dev/null
		;;
	update)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
}

_shadowdev()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	COMPREPLY=()
	if [[ $prev == --state ]]; then
		COMPREPLY=($(compgen -W 'MOTOR=OFF MOTOR=ON' -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
	fi
	if [[ $prev == --state-dir ]]; then
		COMPREPLY=($(compgen -d -- "$cur"))
		return
	fi
	if [[ $prev == --exec || $prev == --telemetry-exec ]]; then
		COMPREPLY=($(compgen -c -- "$cur"))
		return
	fi
	_shadow_tools_value "$prev" "$cur" "--things-from" "" \
	    "-t --thing -n --shadow --interval --telemetry-prefix
	    --max-desired-age --duration --count --connect-rate --exec-timeout
	    --exec-jobs" && return
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-t --thing -n --shadow --state --interval
		    --telemetry-prefix --max-desired-age --duration --json --count
		    --things-from --connect-rate --exec --exec-timeout
		    --telemetry-exec --state-dir --exec-jobs
		    $_shadow_tools_common_opts" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W 'run' -- "$cur"))
}

_shadowd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	COMPREPLY=()
	_shadow_tools_value "$prev" "$cur" \
	    "--http-credentials --http-cert --http-key" "--data-dir" \
	    "--rate-limit --max-doc-size --forget-deleted --http --http-max-connections" &&
	    return
	COMPREPLY=($(compgen -W "--data-dir --rate-limit --max-doc-size
	    --forget-deleted --http --http-credentials --http-cert --http-key
	    --http-insecure --http-max-connections
	    $_shadow_tools_common_opts" -- "$cur"))
}

complete -F _shadowctl shadowctl
complete -F _shadowdev shadowdev
complete -F _shadowd shadowd
