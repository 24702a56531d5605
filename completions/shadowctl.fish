# fish completion for shadowctl(1)

function __shadowctl_profiles
	set -l f $SHADOW_CONFIG
	if test -z "$f"
		if set -q XDG_CONFIG_HOME
			set f $XDG_CONFIG_HOME/shadow/config
		else
			set f ~/.config/shadow/config
		end
	end
	test -r $f; and sed -n 's/^[[:space:]]*\[\([^]]*\)\].*/\1/p' $f
end

set -l __shadowctl_cmds get set unset update delete watch

complete -c shadowctl -f
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a get -d 'Print the shadow, or one value with PATH'
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a set -d 'Update desired (or reported) with KEY=VALUE / KEY:=JSON'
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a unset -d 'Remove keys, or --all'
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a update -d 'Send a raw update document'
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a delete -d 'Delete the shadow'
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a watch -d 'Print the shadow traffic as JSON Lines'
complete -c shadowctl -n "__fish_seen_subcommand_from update" -F
complete -c shadowctl -n "__fish_seen_subcommand_from set unset" -l reported -d 'Work on reported'
complete -c shadowctl -n "__fish_seen_subcommand_from set update" -l wait -d 'Wait until reported holds what was set'
complete -c shadowctl -n "__fish_seen_subcommand_from unset" -l all -d 'Clear the whole section'
complete -c shadowctl -n "__fish_seen_subcommand_from set unset update" -l expect-version -x -d 'Reject unless at this version'
complete -c shadowctl -n "__fish_seen_subcommand_from update" -s f -l file -r -F -d 'Update document file'
complete -c shadowctl -n "__fish_seen_subcommand_from watch" -l count -x -d 'Stop after N messages'
complete -c shadowctl -s t -l thing -x -d 'Thing name'
complete -c shadowctl -s n -l shadow -x -d 'Named shadow'
complete -c shadowctl -s c -l compact -d 'One-line JSON'
complete -c shadowctl -s r -l raw -d 'Print strings without quotes'
complete -c shadowctl -l timeout -x -d 'Seconds to wait for answers, or to watch'
complete -c shadowctl -s e -l endpoint -x -a '(__fish_print_hostnames)' -d 'Broker host'
complete -c shadowctl -s p -l port -x -d 'Broker port'
complete -c shadowctl -l ca -r -F -d 'CA bundle'
complete -c shadowctl -l cert -r -F -d 'Client certificate'
complete -c shadowctl -l key -r -F -d 'Client private key'
complete -c shadowctl -l certs -x -a '(__fish_complete_directories)' -d 'Folder of AWS certificate files'
complete -c shadowctl -l tls -d 'Force TLS on'
complete -c shadowctl -l no-tls -d 'Force TLS off'
complete -c shadowctl -l alpn -x -a 'x-amzn-mqtt-ca mqtt' -d 'TLS ALPN protocol'
complete -c shadowctl -l insecure -d 'Do not check the broker host name'
complete -c shadowctl -s u -l username -x -d 'User name'
complete -c shadowctl -s P -l password -x -d 'Password'
complete -c shadowctl -l password-file -r -F -d 'Read the password from a file'
complete -c shadowctl -s i -l client-id -x -d 'MQTT client id'
complete -c shadowctl -s k -l keepalive -x -d 'MQTT keep-alive'
complete -c shadowctl -l mqtt -x -a '3.1.1 5' -d 'MQTT protocol version'
complete -c shadowctl -l profile -x -a '(__shadowctl_profiles)' -d 'Config file section'
complete -c shadowctl -l config -r -F -d 'Config file'
complete -c shadowctl -s v -l verbose -d 'More on stderr'
complete -c shadowctl -s q -l quiet -d 'Less on stderr'
complete -c shadowctl -s h -l help -d 'Print the usage'
complete -c shadowctl -l version -d 'Print the version'
