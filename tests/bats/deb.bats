#!/usr/bin/env bats
# The Debian packages: make deb builds shadow-tools and shadowd, lintian
# finds nothing to say, and installing then purging them (as root) leaves
# the system as it was. Installed, the bats library and its example run
# from /usr/share/shadow-tools/bats as a user's CI would run them.

bats_require_minimum_version 1.5.0
load ../helpers/common

setup_file() {
	# The packages build from the sources with Debian's flags, whatever
	# BUILD is: once per CI run is enough.
	stack_setup
	if [ "${BUILD:-build}" != build ]; then
		export DEB_SKIP="the packages are built in the plain run (BUILD=build)"
		return 0
	fi
	export DEBS=$TOP/build/deb
	run env DEB_BUILD_OPTIONS="nocheck noddebs" make -s -C "$TOP" deb
	echo "$output" >"$TD/make-deb.log"
	[ "$status" -eq 0 ] || { tail -30 "$TD/make-deb.log" >&2; return 1; }
}

setup() { [ -z "${DEB_SKIP:-}" ] || skip "$DEB_SKIP"; }
teardown_file() { stack_teardown; }

deb() { ls "$DEBS"/"$1"_*.deb; }

@test "make deb builds the shadow-tools and shadowd packages" {
	run dpkg-deb -f "$(deb shadow-tools)" Package Architecture
	assert_success
	assert_line "Package: shadow-tools"
	run dpkg-deb -c "$(deb shadow-tools)"
	assert_output --partial ./usr/bin/shadowctl
	assert_output --partial ./usr/bin/shadowdev
	assert_output --partial ./usr/share/shadow-tools/bats/shadow.bash
	assert_output --partial ./lib/systemd/system/shadowdev@.service
	refute_output --partial ./usr/bin/shadowd$'\n'
	run dpkg-deb -c "$(deb shadowd)"
	assert_output --partial ./usr/bin/shadowd
	assert_output --partial ./lib/systemd/system/shadowd.service
	assert_output --partial ./etc/default/shadowd
	assert_output --partial ./usr/share/man/man8/shadowd.8.gz
}

@test "make deb leaves no build files in debian/" {
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	run git -C "$TOP" status --porcelain --ignored -- debian
	refute_output --partial '!!'
	run ls -A "$TOP/debian"
	assert_output - <<'LIST'
.gitignore
changelog
control
copyright
rules
shadow-tools.install
shadowd.install
source
LIST
}

@test "lintian reports no error and no warning on the packages" {
	run lintian --fail-on error,warning "$DEBS"/shadow-tools_*.changes
	assert_success
	refute_output --regexp '^[EW]: '
}

# system_state: what a package may touch, as names (and contents under /etc).
system_state() {
	find /etc /lib/systemd /usr /var/lib -xdev \
	    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf \
	       -o -path /etc/ld.so.cache \) -prune -o -print 2>/dev/null | sort
	find /etc -xdev -type f -readable -exec md5sum {} + 2>/dev/null | sort -k2
	dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' | sort
}

@test "installing and purging the packages leaves the system as it was" {
	[ "$(id -u)" = 0 ] || skip "dpkg -i needs root (CI runs as root)"
	run dpkg-query -W -f='${db:Status-Abbrev}' shadow-tools shadowd
	[[ $output != *ii* ]] || skip "shadow-tools or shadowd is installed here already"
	system_state >"$TD/before"
	run dpkg -i "$(deb shadow-tools)" "$(deb shadowd)"
	assert_success
	run /usr/bin/shadowctl --version
	assert_output "shadowctl 0.1.0"
	[ -f /etc/default/shadowd ]
	[ -f /lib/systemd/system/shadowd.service ]
	run env -u SHADOW_BIN_DIR -u SHADOW_TEST_DIR -u SHADOW_BROKER_PORT PATH=/usr/bin:/bin:/usr/sbin:/sbin \
	    bats --tap /usr/share/shadow-tools/bats/example.bats
	echo "$output" >"$TD/example.log"
	assert_success
	assert_line "ok 2 set --wait returns once the lamp has reported"
	run dpkg --purge shadow-tools shadowd
	assert_success
	system_state >"$TD/after"
	run diff "$TD/before" "$TD/after"
	assert_success
	assert_output ""
}
