# Scripts as hardware for the shadowdev --exec suites (load after
# ../helpers/common and ../helpers/shadowdev).
#
#   hw_setup                  $TD/hw: a gpioset that writes its arguments
#                             to $MOTOR_FILE (the file that stands for the
#                             motor), first on PATH
#   hw_script NAME BODY       an executable $TD/hw/NAME running BODY (sh)
#   calls FILE                how many lines FILE has (0 when absent)
#   fd_count PID              open descriptors of a process

EXAMPLES=$TOP/docs/examples

hw_setup() {
	mkdir -p "$TD/hw"
	cat >"$TD/hw/gpioset" <<'SH'
#!/bin/sh
echo "$*" >>"$MOTOR_FILE"
SH
	chmod +x "$TD/hw/gpioset"
	export PATH="$TD/hw:$PATH"
}

hw_script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$TD/hw/$1"
	chmod +x "$TD/hw/$1"
}

calls() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# shadow_has_no_delta THING: the shadow exists and desired matches reported.
shadow_has_no_delta() {
	shadow_doc "$1" | jqe '.version and .state.delta == null' >/dev/null
}

# hwm PID: the peak resident memory of a process, in kB.
hwm() {
	awk '/VmHWM/ {print $2}' "/proc/$1/status"
}

# gone PID: the process has ended (a zombie its new parent has not reaped
# yet counts as ended).
gone() {
	if kill -0 "$1" 2>/dev/null; then
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
	fi
}
