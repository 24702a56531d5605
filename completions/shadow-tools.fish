# fish completion for shadowctl(1), shadowdev(1) and shadowd(8).
# One file for the three programs: it is installed under each one's name.

function __shadow_tools_profiles
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

# Sections of ~/.aws/credentials, "[profile X]" and "[default]" of ~/.aws/config.
function __shadow_tools_aws_profiles
	set -l creds $AWS_SHARED_CREDENTIALS_FILE
	test -n "$creds"; or set creds ~/.aws/credentials
	set -l conf $AWS_CONFIG_FILE
	test -n "$conf"; or set conf ~/.aws/config
	begin
		test -r $creds; and sed -n 's/^[[:space:]]*\[[[:space:]]*\([^] ]*\)[[:space:]]*\].*/\1/p' $creds
		test -r $conf; and sed -n -e 's/^[[:space:]]*\[[[:space:]]*profile[[:space:]]\{1,\}\([^] ]*\)[[:space:]]*\].*/\1/p' -e 's/^[[:space:]]*\[[[:space:]]*\(default\)[[:space:]]*\].*/\1/p' $conf
	end | sort -u
end

for prog in shadowctl shadowdev shadowd
	complete -c $prog -f
	complete -c $prog -s e -l endpoint -x -a '(__fish_print_hostnames)' -d 'Broker host'
	complete -c $prog -s p -l port -x -d 'Broker port'
	complete -c $prog -l ca -r -F -d 'CA bundle'
	complete -c $prog -l cert -r -F -d 'Client certificate'
	complete -c $prog -l key -r -F -d 'Client private key'
	complete -c $prog -l certs -x -a '(__fish_complete_directories)' -d 'Folder of AWS certificate files'
	complete -c $prog -l tls -d 'Force TLS on'
	complete -c $prog -l no-tls -d 'Force TLS off'
	complete -c $prog -l alpn -x -a 'x-amzn-mqtt-ca mqtt' -d 'TLS ALPN protocol'
	complete -c $prog -l insecure -d 'Do not check the broker host name'
	complete -c $prog -s u -l username -x -d 'User name'
	complete -c $prog -s P -l password -x -d 'Password'
	complete -c $prog -l password-file -r -F -d 'Read the password from a file'
	complete -c $prog -s i -l client-id -x -d 'MQTT client id'
	complete -c $prog -s k -l keepalive -x -d 'MQTT keep-alive'
	complete -c $prog -l mqtt -x -a '3.1.1 5' -d 'MQTT protocol version'
	complete -c $prog -l profile -x -a '(__shadow_tools_profiles)' -d 'Config file section'
	complete -c $prog -l config -r -F -d 'Config file'
	complete -c $prog -s v -l verbose -d 'More on stderr'
	complete -c $prog -s q -l quiet -d 'Less on stderr'
	complete -c $prog -s h -l help -d 'Print the usage'
	complete -c $prog -l version -d 'Print the version'
end

for prog in shadowctl shadowdev
	complete -c $prog -s t -l thing -x -d 'Thing name'
	complete -c $prog -s n -l shadow -x -d 'Named shadow'
end

set -l __shadowctl_cmds get set unset update delete watch list

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
complete -c shadowctl -n "not __fish_seen_subcommand_from $__shadowctl_cmds" -a list -d 'Print the named shadows (HTTP endpoint)'
complete -c shadowctl -n "__fish_seen_subcommand_from list" -l page-size -x -d 'Names per request (1-100)'
complete -c shadowctl -l aws-profile -x -a '(__shadow_tools_aws_profiles)' -d 'AWS credentials profile'
complete -c shadowctl -l region -x -d 'AWS region for signing'
complete -c shadowctl -s c -l compact -d 'One-line JSON'
complete -c shadowctl -s r -l raw -d 'Print strings without quotes'
complete -c shadowctl -l timeout -x -d 'Seconds to wait for answers, or to watch'

complete -c shadowdev -n 'not __fish_seen_subcommand_from run' -a run -d 'Run the simulated device'
complete -c shadowdev -l state -x -a 'MOTOR=OFF MOTOR=ON' -d 'Owned key and initial value'
complete -c shadowdev -l interval -x -d 'Seconds between telemetry messages'
complete -c shadowdev -l telemetry-prefix -x -d 'First levels of the telemetry topics'
complete -c shadowdev -l max-desired-age -x -d 'Ignore and remove orders older than this'
complete -c shadowdev -l duration -x -d 'Stop after this many seconds'
complete -c shadowdev -l json -d 'Log events as JSON Lines'
complete -c shadowdev -l count -x -d 'Run a fleet of N devices, things NAME-1 ... NAME-N'
complete -c shadowdev -l things-from -r -F -d 'Run a fleet with the thing names of a file'
complete -c shadowdev -l connect-rate -x -d 'Fleet connects per second'
complete -c shadowdev -l exec -x -a '(__fish_complete_command)' -d 'Apply each delta by running this command'
complete -c shadowdev -l exec-timeout -x -d 'Seconds a command may run'
complete -c shadowdev -l telemetry-exec -x -a '(__fish_complete_command)' -d 'Publish what this command prints'
complete -c shadowdev -l state-dir -x -a '(__fish_complete_directories)' -d 'Keep the device state in this folder'
complete -c shadowdev -l exec-jobs -x -d 'Fleet: commands running at once'

complete -c shadowd -l data-dir -x -a '(__fish_complete_directories)' -d 'Where the shadow store lives'
complete -c shadowd -l rate-limit -x -d 'Requests per second and thing (0 = off)'
complete -c shadowd -l max-doc-size -x -d 'Largest desired+reported in bytes'
complete -c shadowd -l forget-deleted -x -d 'Forget deleted versions after SEC (0 = never)'
complete -c shadowd -l http -x -d 'Serve the IoT Data Plane API on [ADDR:]PORT'
complete -c shadowd -l http-credentials -r -F -d 'Access keys allowed over HTTP (SigV4)'
complete -c shadowd -l http-cert -r -F -d 'HTTPS certificate'
complete -c shadowd -l http-key -r -F -d 'HTTPS private key'
complete -c shadowd -l http-insecure -d 'Allow a non-loopback address without credentials'
complete -c shadowd -l http-max-connections -x -d 'HTTP connections at once'
