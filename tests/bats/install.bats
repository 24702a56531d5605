#!/usr/bin/env bats
# make install / make uninstall lay out exactly the expected files, and
# uninstall removes the directories install made (and only those).

load ../helpers/common

setup_file() { stack_setup; }

expected_files() {
	cat <<LIST
usr/bin/shadowctl
usr/bin/shadowd
usr/bin/shadowdev
usr/lib/systemd/system/shadowd.service
usr/lib/systemd/system/shadowdev@.service
usr/share/bash-completion/completions/shadowctl
usr/share/bash-completion/completions/shadowd
usr/share/bash-completion/completions/shadowdev
usr/share/fish/vendor_completions.d/shadowctl.fish
usr/share/fish/vendor_completions.d/shadowd.fish
usr/share/fish/vendor_completions.d/shadowdev.fish
usr/share/man/man1/shadowctl.1
usr/share/man/man1/shadowdev.1
usr/share/man/man5/shadow.conf.5
usr/share/man/man8/shadowd.8
usr/share/shadow-tools/bats/example.bats
usr/share/shadow-tools/bats/shadow.bash
usr/share/shadow-tools/installed-dirs
usr/share/zsh/site-functions/_shadowctl
usr/share/zsh/site-functions/_shadowd
usr/share/zsh/site-functions/_shadowdev
LIST
}

@test "make install with DESTDIR and PREFIX lays out the programs, man pages and completions" {
	run make -s -C "$TOP" install DESTDIR="$TD/root" PREFIX=/usr BUILD="${BUILD:-build}"
	assert_success
	run bash -c "cd '$TD/root' && find . -type f | sed 's|^\./||' | sort"
	assert_output "$(expected_files)"
	[ -x "$TD/root/usr/bin/shadowctl" ]
	run "$TD/root/usr/bin/shadowctl" --version
	assert_success
	assert_output "shadowctl 0.1.0"
}

@test "make uninstall removes every installed file and every directory install made" {
	run make -s -C "$TOP" install DESTDIR="$TD/root2" PREFIX=/usr BUILD="${BUILD:-build}"
	assert_success
	run make -s -C "$TOP" uninstall DESTDIR="$TD/root2" PREFIX=/usr
	assert_success
	run find "$TD/root2" -mindepth 1
	assert_output ""
}

@test "make uninstall keeps the directories that were there before install" {
	mkdir -p "$TD/root3/usr/local/bin" "$TD/root3/usr/local/share/man/man1"
	touch "$TD/root3/usr/local/share/man/man1/other.1"
	run make -s -C "$TOP" install DESTDIR="$TD/root3" BUILD="${BUILD:-build}"
	assert_success
	[ -x "$TD/root3/usr/local/bin/shadowd" ]
	run make -s -C "$TOP" install DESTDIR="$TD/root3" BUILD="${BUILD:-build}"
	assert_success
	run make -s -C "$TOP" uninstall DESTDIR="$TD/root3"
	assert_success
	run bash -c "cd '$TD/root3' && find . -mindepth 1 | sort"
	assert_output - <<'LIST'
./usr
./usr/local
./usr/local/bin
./usr/local/share
./usr/local/share/man
./usr/local/share/man/man1
./usr/local/share/man/man1/other.1
LIST
}

@test "make uninstall without an install before removes nothing and succeeds" {
	mkdir -p "$TD/root4/usr/bin"
	run make -s -C "$TOP" uninstall DESTDIR="$TD/root4" PREFIX=/usr
	assert_success
	[ -d "$TD/root4/usr/bin" ]
}

@test "make install with units elsewhere writes ExecStart= for the PREFIX" {
	run make -s -C "$TOP" install DESTDIR="$TD/root5" PREFIX=/opt/shadow \
	    SYSTEMDUNITDIR=/etc/systemd/system BUILD="${BUILD:-build}"
	assert_success
	run grep '^ExecStart=' "$TD/root5/etc/systemd/system/shadowd.service"
	assert_output --partial 'ExecStart=/opt/shadow/bin/shadowd '
	run make -s -C "$TOP" uninstall DESTDIR="$TD/root5" PREFIX=/opt/shadow \
	    SYSTEMDUNITDIR=/etc/systemd/system
	assert_success
	run find "$TD/root5" -mindepth 1
	assert_output ""
}
