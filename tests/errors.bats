#!/usr/bin/env bats
# Every way registration can go wrong: the exact message, the exit status,
# and the kernel's entries left exactly as they were.

load helpers/common

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	# Something to preserve: a QEMU entry and another tool's entry.
	reg -p yes -Q "$FAKE" aarch64 >/dev/null
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	BEFORE=$(snapshot)
}

teardown() {
	instance_stop
}

# Run register in the instance with ARGS; expect exit 2, MESSAGE on stderr,
# and the instance untouched.
expect_usage_error() {
	local message=$1
	shift
	run reg "$@"
	assert_failure 2
	assert_line "register: $message"
	assert_line "Try 'register --help' for the options."
	assert_equal "$(snapshot)" "$BEFORE"
}

@test "an unknown option exits 2 and changes nothing" {
	expect_usage_error "unknown option '--frobnicate'" --reset --frobnicate
	expect_usage_error "unknown option '-z'" --reset -z
}

@test "an option without its value exits 2 and changes nothing" {
	expect_usage_error "--persistent needs a value" --reset --persistent
	expect_usage_error "-Q (--qemu-path) needs a value" --reset -Q
	expect_usage_error "--reset takes no value" --reset=yes
}

@test "a value other than yes or no exits 2 and changes nothing" {
	expect_usage_error "--persistent expects yes or no, not 'maybe'" --reset -p maybe
	expect_usage_error "--credential expects yes or no, not 'YES'" --reset --credential=YES
	expect_usage_error "--preserve-argv0 expects yes or no, not '1'" --reset -g 1
	expect_usage_error "--ignore-family expects yes or no, not ''" --reset -i ''
}

@test "an unknown target exits 2, lists the known ones, and changes nothing" {
	run reg --reset -p yes -Q "$FAKE" aarch64 arm65
	assert_failure 2
	assert_line --regexp "^register: unknown target 'arm65'; known targets: i386 i486 x86_64 alpha .* loongarch64 \(or architecture names such as arm64, 386, loong64, or platforms such as linux/arm/v7\)$"
	assert_equal "$(snapshot)" "$BEFORE"
}

@test "a relative qemu path, or one with ':', a newline or '..', exits 2 and changes nothing" {
	expect_usage_error "--qemu-path must be an absolute path, not 'usr/bin'" --reset -Q usr/bin
	expect_usage_error "--qemu-path must not contain ':' or a newline" --reset -Q /usr/b:in
	expect_usage_error "--qemu-path must not contain ':' or a newline" --reset -Q $'/usr/bin\n:evil'
	expect_usage_error "--qemu-path must not contain a '..' component: '/usr/../bin'" --reset -Q /usr/../bin
	expect_usage_error "--qemu-suffix must not contain '/', ':' or a newline" --reset -F /x
	expect_usage_error "--qemu-suffix must not contain '/', ':' or a newline" --reset -F $'-s\n'
	run in_instance env QEMU_BIN_DIR=relative "$REGISTER" --reset
	assert_failure 2
	assert_line "register: QEMU_BIN_DIR must be an absolute path, not 'relative'"
	run in_instance env QEMU_SUFFIX=a:b "$REGISTER" --reset
	assert_failure 2
	assert_line "register: QEMU_SUFFIX must not contain '/', ':' or a newline"
	assert_equal "$(snapshot)" "$BEFORE"
}

@test "a register string over the kernel's 1920 bytes exits 2 and changes nothing" {
	# mips' string is the longest: 320 bytes of magic and mask plus the path.
	local long
	long=/$(printf 'd%.0s' $(seq 1600))
	expect_usage_error "the register string for mips would be longer than the kernel's limit of 1920 bytes; use a shorter --qemu-path" --reset -Q "$long"
}

@test "an unknown host exits 2 and lists the known names" {
	run in_instance env HOST_ARCH=vax "$REGISTER" --reset
	assert_failure 2
	assert_line --regexp "^register: unknown host architecture 'vax' \(from HOST_ARCH\); known: i386 i486 x86_64 .* loongarch64$"
	assert_equal "$(snapshot)" "$BEFORE"
}

# Not privileged: a real unprivileged user, root only in a user namespace of
# its own that owns no mount namespace. The emulators are the pinned ones
# (the test's own folder is not readable by that user).
unprivileged_register() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare --user --map-root-user "$REGISTER" --reset -p yes --private-instance -Q "$QEMU_BIN"
}

@test "without privilege, with binfmt_misc not mounted, it exits 3 and says what to do" {
	run without_binfmt_mount setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare --user --map-root-user "$REGISTER" --reset -p yes --private-instance -Q "$QEMU_BIN"
	assert_failure 3
	assert_line "register: binfmt_misc is not mounted at /proc/sys/fs/binfmt_misc and this process may not mount it (Operation not permitted): run the container with --privileged, or run register as root on the host"
	refute_line --partial Setting
}

# On the machine as it is: with binfmt_misc mounted (after `make run`, on a
# systemd host) the machine's own instance is in reach, and not writable.
@test "without privilege, on this machine as it is, it exits 3, says what to do, and the machine's entries stay as they were" {
	local before=
	if binfmt_mounted_here; then
		before=$(cd "$BINFMT" && for e in *; do echo "== $e"; cat "$e" 2>&1; done)
	fi
	run unprivileged_register
	assert_failure 3
	refute_line --partial Setting
	if binfmt_mounted_here; then
		assert_line "register: $BINFMT/register is not writable (Permission denied): run the container with --privileged, or run register as root on the host"
		assert_equal "$(cd "$BINFMT" && for e in *; do echo "== $e"; cat "$e" 2>&1; done)" "$before"
	else
		assert_line "register: binfmt_misc is not mounted at /proc/sys/fs/binfmt_misc and this process may not mount it (Operation not permitted): run the container with --privileged, or run register as root on the host"
	fi
}

@test "a --mount folder that is not binfmt_misc and holds a file named register exits 3; the file is untouched" {
	local dir=$BATS_TEST_TMPDIR/fake-binfmt
	mkdir -p "$dir"
	echo "not the kernel's" > "$dir/register"
	touch -d '2020-01-01 00:00:00' "$dir/register"
	local before
	before=$(stat -c '%s %Y %a' "$dir/register")
	run reg --reset -p yes -Q "$FAKE" --mount "$dir"
	assert_failure 3
	assert_line "register: $dir is not a binfmt_misc filesystem and is not empty: refusing to mount over it or to write into it; give --mount the folder where binfmt_misc is mounted"
	assert_equal "$(stat -c '%s %Y %a' "$dir/register")" "$before"
	assert_equal "$(cat "$dir/register")" "not the kernel's"
	# A tmpfs holding such a file: the same.
	in_instance sh -c 'mkdir -p /tmp/qus-tmpfs && mount -t tmpfs tmpfs /tmp/qus-tmpfs && echo x > /tmp/qus-tmpfs/register'
	run reg --reset --mount /tmp/qus-tmpfs
	assert_failure 3
	assert_line --partial "/tmp/qus-tmpfs is not a binfmt_misc filesystem and is not empty"
	assert_equal "$(in_instance cat /tmp/qus-tmpfs/register)" x
	assert_equal "$(snapshot)" "$BEFORE"
}

@test "a read-only binfmt_misc mount exits 3 before any change" {
	in_instance sh -c 'mkdir -p /tmp/qus-ro && mount --bind "$1" /tmp/qus-ro && mount -o remount,bind,ro /tmp/qus-ro' sh "$BINFMT"
	run reg --reset -p yes -Q "$FAKE" --mount /tmp/qus-ro
	assert_failure 3
	assert_line "register: /tmp/qus-ro/register is not writable (Read-only file system): run the container with --privileged, or run register as root on the host"
	assert_equal "$(snapshot)" "$BEFORE"
}

@test "an interpreter that is a folder or not executable fails that target with exit 1; the others are done" {
	local q=$BATS_TEST_TMPDIR/odd
	mkdir -p "$q/qemu-riscv64-static"
	printf '#!/bin/sh\n' > "$q/qemu-s390x-static"
	chmod 644 "$q/qemu-s390x-static"
	ln -s "$HELPERS/reporter" "$q/qemu-ppc64le-static"
	run reg -p yes -Q "$q" riscv64 s390x ppc64le
	assert_failure 1
	assert_line "register: qemu-riscv64: interpreter $q/qemu-riscv64-static is not a regular file"
	assert_line "register: qemu-s390x: interpreter $q/qemu-s390x-static is not executable"
	assert_line "1 registered, 0 already present, 0 removed, 31 skipped, 2 failed"
	run entries
	assert_output "$(printf 'python3.11\nqemu-aarch64\nqemu-ppc64le')"
}

@test "an entry disabled by an administrator is reported (exit 1) and re-enabled only by --reset" {
	in_instance sh -c 'echo 0 > "$1/qemu-aarch64"' sh "$BINFMT"
	run reg -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: registered but disabled (0 was written to it); run with --reset to enable it again"
	assert_equal "$(entry qemu-aarch64 | head -1)" disabled
	run reg --reset -p yes -Q "$FAKE" aarch64
	assert_success
	assert_equal "$(entry qemu-aarch64 | head -1)" enabled
}

@test "HOST_ARCH=aarch64 on this x86_64 machine refuses x86_64, registers i386, skips arm and aarch64; native programs keep running" {
	[ "$(uname -m)" = x86_64 ] || fail "written for an x86_64 host"
	run in_instance env HOST_ARCH=aarch64 "$REGISTER" --reset -p yes -Q "$QEMU_BIN"
	assert_failure 1
	assert_line --regexp "^register: qemu-x86_64: refusing to register: the entry would match this program, a program native to this machine"
	assert_line "Setting $QEMU_BIN/qemu-i386-static as binfmt interpreter for i386"
	refute_line --regexp " for arm$"
	refute_line --regexp " for aarch64$"
	run entries
	refute_line qemu-x86_64
	refute_line qemu-arm
	refute_line qemu-aarch64
	assert_line qemu-i386
	# Native programs still run (an x86_64 entry would have made every exec loop).
	run in_instance /bin/echo still native
	assert_success
	assert_output "still native"
	run in_instance "$REGISTER" --version
	assert_success
}

@test "HOST_ARCH=aarch64 with --ignore-family yes registers arm but not aarch64" {
	run in_instance env HOST_ARCH=aarch64 "$REGISTER" --reset -p yes -i yes -Q "$FAKE"
	assert_failure 1  # x86_64 is still refused
	assert_line "Setting $FAKE/qemu-arm-static as binfmt interpreter for arm"
	refute_line --regexp " for aarch64$"
	run entries
	assert_line qemu-arm
	refute_line qemu-aarch64
	refute_line qemu-x86_64
}

@test "HOST_ARCH is normalised as QEMU does: arm64, armhf, armv7l, i686, amd64, ppc64el" {
	local name host count
	for name in arm64:aarch64 armhf:arm armv7l:arm i686:i386 amd64:x86_64 ppc64el:ppc64le; do
		host=${name#*:}
		run env HOST_ARCH="${name%%:*}" "$REGISTER" --dry-run -i yes
		assert_success
		count=$(echo "$output" | wc -l)
		# On an i386 host i486 is skipped too: it is i386 to QEMU's script.
		assert_equal "$count" "$([ "$host" = i386 ] && echo 32 || echo 33)"
		refute_output --partial ":qemu-$host:"
	done
}

@test "with F and no emulator at all in --qemu-path, it says so and exits 1" {
	run reg --reset -p yes -Q /nonexistent
	assert_failure 1
	assert_line "register: no emulator was found in /nonexistent: is --qemu-path (or QEMU_BIN_DIR) right?"
}
