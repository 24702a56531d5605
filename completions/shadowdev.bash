# bash completion for shadowdev(1)

_shadowdev_profiles()
{
	local f=${SHADOW_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/shadow/config}
	[ -r "$f" ] && sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' "$f"
}

_shadowdev()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--ca|--cert|--key|--config|--password-file|--things-from)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--certs)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--mqtt)
		COMPREPLY=($(compgen -W '3.1.1 5' -- "$cur"))
		return
		;;
	--profile)
		COMPREPLY=($(compgen -W "$(_shadowdev_profiles)" -- "$cur"))
		return
		;;
	--alpn)
		COMPREPLY=($(compgen -W 'x-amzn-mqtt-ca mqtt' -- "$cur"))
		return
		;;
	--state)
		COMPREPLY=($(compgen -W 'MOTOR=OFF MOTOR=ON' -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
		;;
	-t|--thing|-n|--shadow|--interval|--telemetry-prefix|\
	--max-desired-age|--duration|-e|--endpoint|-p|--port|-u|--username|\
	-P|--password|-i|--client-id|-k|--keepalive|--count|--connect-rate)
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '-t --thing -n --shadow --state
		    --interval --telemetry-prefix --max-desired-age --duration
		    --json --count --things-from --connect-rate -e --endpoint -p --port --ca --cert --key --certs
		    --tls --no-tls --alpn --insecure -u --username -P --password
		    --password-file -i --client-id -k --keepalive --mqtt
		    --profile --config -v --verbose -q --quiet -h --help
		    --version' -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W 'run' -- "$cur"))
}
complete -F _shadowdev shadowdev
