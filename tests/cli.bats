#!/usr/bin/env bats
# The command line users' scripts call: help, version, dry run, build facts.

load helpers/common

@test "--help prints every option and the exit statuses, on stdout, exit 0" {
	run "$REGISTER" --help
	assert_success
	local opt
	for opt in --reset "-p, --persistent yes|no" "-c, --credential yes|no" \
		"-g, --preserve-argv0 yes|no" "-i, --ignore-family yes|no" "-Q, --qemu-path DIR" \
		"-F, --qemu-suffix SUFFIX" "--mount DIR" --dry-run "-h, --help" --version \
		HOST_ARCH QEMU_BIN_DIR QEMU_SUFFIX "Exit status"; do
		assert_output --partial -- "$opt"
	done
	run "$REGISTER" -h
	assert_success
	assert_line --index 0 "Usage: register [OPTION]... [TARGET]..."
}

@test "--version prints the program's version and, beside the emulators, the bundled QEMU version" {
	run "$REGISTER" --version
	assert_success
	assert_output "register $(cat "$REPO/VERSION")"
	run "$REGISTER" --version -Q "$QEMU_BIN"
	assert_success
	assert_line --index 0 "register $(cat "$REPO/VERSION")"
	assert_line --index 1 "QEMU $(cat "$REPO/qemu-static/VERSION")"
}

@test "--dry-run prints one register string per target, needs no privilege, and touches nothing" {
	local mounts_before
	mounts_before=$(grep -c " $BINFMT binfmt_misc " /proc/self/mounts || true)
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$REGISTER" --dry-run -p yes -c yes -g yes -Q "$QEMU_BIN"
	assert_success
	assert_equal "${#lines[@]}" 31
	assert_line ':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$QEMU_BIN"'/qemu-aarch64-static:POCF'
	# The machine's own binfmt_misc was not mounted.
	assert_equal "$(grep -c " $BINFMT binfmt_misc " /proc/self/mounts || true)" "$mounts_before"
}

@test "--dry-run prints the kernel's format: a 9-character head, magic and mask of equal length, flags last" {
	local line magic mask checked=0
	# With -p yes only targets whose emulator exists are printed: the pinned
	# ones, all 31 of this host's foreign targets.
	run "$REGISTER" --dry-run -p yes -Q "$QEMU_BIN"
	assert_success
	for line in "${lines[@]}"; do
		IFS=: read -r _ name type offset magic mask interp flags <<<"$line"
		[[ $name == qemu-* && $type == M && -z $offset && $flags == F ]]
		[ ${#magic} -eq ${#mask} ]
		[[ $interp == "$QEMU_BIN/$name-static" || $name == qemu-i486 ]]
		checked=$((checked + 1))
	done
	assert_equal "$checked" 31
	run "$REGISTER" --dry-run -Q /nonexistent riscv64
	assert_success
	assert_output --regexp '^:qemu-riscv64:M::(\\x[0-9a-f]{2}){20}:(\\x[0-9a-f]{2}){20}:/nonexistent/qemu-riscv64-static:$'
}

@test "the build is a static executable of at most 100 KiB, stripped" {
	# The shipped build, even when the suites run against a sanitizer build.
	local REGISTER=$BUILD/register
	run file "$REGISTER"
	assert_output --partial "statically linked"
	assert_output --partial "stripped"
	refute_output --partial "not stripped"
	local size
	size=$(stat -c %s "$REGISTER")
	echo "size: $size bytes"
	[ "$size" -le 102400 ]
}
