#!/usr/bin/env bats
# make install / make uninstall lay out exactly the expected files.

load ../helpers/common

setup_file() { stack_setup; }

expected_files() {
	cat <<LIST
usr/bin/shadowctl
usr/bin/shadowd
usr/bin/shadowdev
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

@test "make uninstall removes every installed file" {
	run make -s -C "$TOP" install DESTDIR="$TD/root2" PREFIX=/usr BUILD="${BUILD:-build}"
	assert_success
	run make -s -C "$TOP" uninstall DESTDIR="$TD/root2" PREFIX=/usr
	assert_success
	run find "$TD/root2" -type f
	assert_output ""
}
