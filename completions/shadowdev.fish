# fish completion for shadowdev(1)

function __shadowdev_profiles
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

complete -c shadowdev -f
complete -c shadowdev -n 'not __fish_seen_subcommand_from run' -a run -d 'Run the simulated device'
complete -c shadowdev -s t -l thing -x -d 'Thing name'
complete -c shadowdev -s n -l shadow -x -d 'Named shadow'
complete -c shadowdev -l state -x -a 'MOTOR=OFF MOTOR=ON' -d 'Owned key and initial value'
complete -c shadowdev -l interval -x -d 'Seconds between telemetry messages'
complete -c shadowdev -l telemetry-prefix -x -d 'First levels of the telemetry topics'
complete -c shadowdev -l max-desired-age -x -d 'Ignore and remove orders older than this'
complete -c shadowdev -l duration -x -d 'Stop after this many seconds'
complete -c shadowdev -l json -d 'Log events as JSON Lines'
complete -c shadowdev -l count -x -d 'Run a fleet of N devices, things NAME-1 ... NAME-N'
complete -c shadowdev -l things-from -r -F -d 'Run a fleet with the thing names of a file'
complete -c shadowdev -l connect-rate -x -d 'Fleet connects per second'
complete -c shadowdev -s e -l endpoint -x -a '(__fish_print_hostnames)' -d 'Broker host'
complete -c shadowdev -s p -l port -x -d 'Broker port'
complete -c shadowdev -l ca -r -F -d 'CA bundle'
complete -c shadowdev -l cert -r -F -d 'Client certificate'
complete -c shadowdev -l key -r -F -d 'Client private key'
complete -c shadowdev -l certs -x -a '(__fish_complete_directories)' -d 'Folder of AWS certificate files'
complete -c shadowdev -l tls -d 'Force TLS on'
complete -c shadowdev -l no-tls -d 'Force TLS off'
complete -c shadowdev -l alpn -x -a 'x-amzn-mqtt-ca mqtt' -d 'TLS ALPN protocol'
complete -c shadowdev -l insecure -d 'Do not check the broker host name'
complete -c shadowdev -s u -l username -x -d 'User name'
complete -c shadowdev -s P -l password -x -d 'Password'
complete -c shadowdev -l password-file -r -F -d 'Read the password from a file'
complete -c shadowdev -s i -l client-id -x -d 'MQTT client id'
complete -c shadowdev -s k -l keepalive -x -d 'MQTT keep-alive'
complete -c shadowdev -l mqtt -x -a '3.1.1 5' -d 'MQTT protocol version'
complete -c shadowdev -l profile -x -a '(__shadowdev_profiles)' -d 'Config file section'
complete -c shadowdev -l config -r -F -d 'Config file'
complete -c shadowdev -s v -l verbose -d 'More on stderr'
complete -c shadowdev -s q -l quiet -d 'Less on stderr'
complete -c shadowdev -s h -l help -d 'Print the usage'
complete -c shadowdev -l version -d 'Print the version'
