# bash completion for shadowd(8)

_shadowd_profiles()
{
	local f=${SHADOW_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/shadow/config}
	[ -r "$f" ] && sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' "$f"
}

_shadowd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	--ca|--cert|--key|--config|--password-file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--data-dir|--certs)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--mqtt)
		COMPREPLY=($(compgen -W '3.1.1 5' -- "$cur"))
		return
		;;
	--profile)
		COMPREPLY=($(compgen -W "$(_shadowd_profiles)" -- "$cur"))
		return
		;;
	--alpn)
		COMPREPLY=($(compgen -W 'x-amzn-mqtt-ca mqtt' -- "$cur"))
		return
		;;
	--rate-limit|--max-doc-size|--forget-deleted|-e|--endpoint|-p|--port|\
	-u|--username|-P|--password|-i|--client-id|-k|--keepalive)
		return
		;;
	esac

	COMPREPLY=($(compgen -W '--data-dir --rate-limit --max-doc-size
	    --forget-deleted -e --endpoint -p --port --ca --cert --key --certs
	    --tls --no-tls --alpn --insecure -u --username -P --password
	    --password-file -i --client-id -k --keepalive --mqtt --profile
	    --config -v --verbose -q --quiet -h --help --version' -- "$cur"))
}
complete -F _shadowd shadowd
