# fish completion for shadowd(8)

function __shadowd_profiles
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

complete -c shadowd -f
complete -c shadowd -l data-dir -x -a '(__fish_complete_directories)' -d 'Where the shadow store lives'
complete -c shadowd -l rate-limit -x -d 'Requests per second and thing (0 = off)'
complete -c shadowd -l max-doc-size -x -d 'Largest desired+reported in bytes'
complete -c shadowd -l forget-deleted -x -d 'Forget deleted versions after SEC (0 = never)'
complete -c shadowd -s e -l endpoint -x -a '(__fish_print_hostnames)' -d 'Broker host'
complete -c shadowd -s p -l port -x -d 'Broker port'
complete -c shadowd -l ca -r -F -d 'CA bundle'
complete -c shadowd -l cert -r -F -d 'Client certificate'
complete -c shadowd -l key -r -F -d 'Client private key'
complete -c shadowd -l certs -x -a '(__fish_complete_directories)' -d 'Folder of AWS certificate files'
complete -c shadowd -l tls -d 'Force TLS on'
complete -c shadowd -l no-tls -d 'Force TLS off'
complete -c shadowd -l alpn -x -a 'x-amzn-mqtt-ca mqtt' -d 'TLS ALPN protocol'
complete -c shadowd -l insecure -d 'Do not check the broker host name'
complete -c shadowd -s u -l username -x -d 'User name'
complete -c shadowd -s P -l password -x -d 'Password'
complete -c shadowd -l password-file -r -F -d 'Read the password from a file'
complete -c shadowd -s i -l client-id -x -d 'MQTT client id'
complete -c shadowd -s k -l keepalive -x -d 'MQTT keep-alive'
complete -c shadowd -l mqtt -x -a '3.1.1 5' -d 'MQTT protocol version'
complete -c shadowd -l profile -x -a '(__shadowd_profiles)' -d 'Config file section'
complete -c shadowd -l config -r -F -d 'Config file'
complete -c shadowd -s v -l verbose -d 'Log every request'
complete -c shadowd -s q -l quiet -d 'Log errors only'
complete -c shadowd -s h -l help -d 'Show usage'
complete -c shadowd -l version -d 'Show version'
