#!/bin/sh
# relay.sh - shadowdev --exec command: the key MOTOR switches a relay on
# GPIO line 17 of gpiochip0 (libgpiod 1.x gpioset; with libgpiod 2 write
# "gpioset -t0 -c gpiochip0 17=$level"). shadowdev(1), "Driving real
# hardware", explains the contract: the keys to change arrive as JSON on
# stdin; exit 0 means done; what is printed on stdout is reported.
set -eu
motor=$(jq -r '.MOTOR // empty')
case $motor in
ON)  level=1 ;;
OFF) level=0 ;;
"")  exit 0 ;;          # nothing for this script in the delta
*)   echo "MOTOR must be ON or OFF, not '$motor'" >&2; exit 2 ;;
esac
gpioset gpiochip0 17=$level
