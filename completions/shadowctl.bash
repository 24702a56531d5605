# bash completion for shadowctl(1)

_shadowctl_profiles()
{
	local f=${SHADOW_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/shadow/config}
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --config ]] && f=${COMP_WORDS[i+1]}
	done
	[ -r "$f" ] && sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' "$f"
}

_shadowctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands='get set unset update delete watch'
	local opts='-t --thing -n --shadow -e --endpoint -p --port --ca --cert
	    --key --certs --tls --no-tls --alpn --insecure -u --username
	    -P --password --password-file -i --client-id -k --keepalive --mqtt
	    --profile --config --timeout -c --compact -r --raw -v --verbose
	    -q --quiet -h --help --version'
	local cmd='' w i

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case " $commands " in
		*" $w "*) cmd=$w; break ;;
		esac
	done

	case $prev in
	--ca|--cert|--key|--config|--password-file|-f|--file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--certs)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--profile)
		COMPREPLY=($(compgen -W "$(_shadowctl_profiles)" -- "$cur"))
		return
		;;
	--mqtt)
		COMPREPLY=($(compgen -W '3.1.1 5' -- "$cur"))
		return
		;;
	--alpn)
		COMPREPLY=($(compgen -W 'x-amzn-mqtt-ca mqtt' -- "$cur"))
		return
		;;
	-t|--thing|-n|--shadow|-e|--endpoint|-p|--port|-u|--username|\
	-P|--password|-i|--client-id|-k|--keepalive|--timeout|--count|\
	--expect-version)
		return
		;;
	esac

	case $cmd in
	get) ;;
	set) opts+=' --reported --wait --expect-version' ;;
	unset) opts+=' --reported --all --expect-version' ;;
	update) opts+=' --wait --expect-version -f --file' ;;
	watch) opts+=' --count' ;;
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
complete -F _shadowctl shadowctl
