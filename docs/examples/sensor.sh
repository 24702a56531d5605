#!/bin/sh
# sensor.sh - shadowdev --telemetry-exec command: a DS18B20 1-Wire
# thermometer (the kernel's w1_therm driver gives millidegrees Celsius).
# It prints one JSON object; each member is published on PREFIX/<member>.
set -eu
millis=$(cat "${SENSOR:-/sys/bus/w1/devices/28-00000a1b2c3d/temperature}")
jq -n --argjson m "$millis" '{temperature: {temp: ($m / 1000), unit: "C"}}'
