#!/usr/bin/env bats
# Real foreign programs, from Debian's archive, run through the pinned
# emulators registered in a private instance: what users actually do.

load helpers/common

setup_file() {
	require_fixtures
}

setup() {
	instance_start
	reg --reset -p yes -Q "$QEMU_BIN" >/dev/null
}

teardown() {
	instance_stop
}

@test "static busybox of arm64, armhf, ppc64el, s390x, mips64el and riscv64 runs and names its machine" {
	local pair arch machine
	for pair in arm64:aarch64 armhf:armv7l ppc64el:ppc64le s390x:s390x mips64el:mips64 riscv64:riscv64; do
		arch=${pair%%:*}
		machine=${pair#*:}
		run in_instance "$FIXTURES/busybox-$arch/bin/busybox" uname -m
		assert_success
		assert_output "$machine"
	done
}

@test "a dynamic arm64 hello runs in a chroot of its own root, with no emulator copied into it (F)" {
	run find "$FIXTURES/rootfs-arm64" -name 'qemu-*'
	assert_output ""
	run in_instance chroot "$FIXTURES/rootfs-arm64" /usr/bin/hello
	assert_success
	assert_output "Hello, world!"
}

@test "i386, of this machine's family, is not registered and runs natively" {
	[ "$(uname -m)" = x86_64 ] || fail "written for an x86_64 host"
	run entries
	refute_line qemu-i386
	# Natively, a 32-bit process on an x86_64 kernel reports x86_64; under
	# qemu-i386 it would report i686.
	run in_instance "$FIXTURES/busybox-i386/bin/busybox" uname -m
	assert_success
	assert_output x86_64
}

@test "without P, busybox applets that re-exec themselves fail; with -g yes they work" {
	echo via-applet > "$BATS_TEST_TMPDIR/file"
	run -127 in_instance "$FIXTURES/busybox-arm64/bin/busybox" sh -c "cat $BATS_TEST_TMPDIR/file"
	assert_output --partial "applet not found"
	reg --reset -p yes -g yes -Q "$QEMU_BIN" aarch64 >/dev/null
	assert_equal "$(entry_field qemu-aarch64 flags:)" PF
	run in_instance "$FIXTURES/busybox-arm64/bin/busybox" sh -c "cat $BATS_TEST_TMPDIR/file"
	assert_success
	assert_output via-applet
}
