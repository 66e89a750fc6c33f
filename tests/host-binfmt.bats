#!/usr/bin/env bats
# tests/helpers/host-binfmt.bash, the snapshot and exact restore the
# end-to-end suites rely on, proved on a private instance: HOST_BINFMT_ENTER
# points the helpers at its namespaces, which stand for the host's. The
# instance holds what real hosts hold: other tools' entries (binfmt-support's
# python3.11, jar, llvm; WSL's), a disabled one, one of type E, and ours
# registered with F "from a container" (a folder bound over /usr/bin), whose
# interpreters this machine does not have.

load helpers/common
load helpers/host-binfmt

setup() {
	instance_start
	export HOST_BINFMT_ENTER="nsenter --target $INSTANCE_PID --user --mount --"
	FAKE=$BATS_TEST_TMPDIR/fake
	make_fake_qemu "$FAKE"
	export HOST_BINFMT_EMULATORS=$FAKE
	SNAP=$BATS_TEST_TMPDIR/snapshot
	PROG=$BATS_TEST_TMPDIR/aarch64.elf
	"$HELPERS/mkelf" "$PROG" 64 le 183 exec
	chmod +x "$PROG"
	[ ! -e /usr/bin/qemu-aarch64-static ] ||
		fail "/usr/bin/qemu-aarch64-static exists on this machine: these tests need an interpreter path it does not have"
}

teardown() {
	instance_stop
}

# Other tools' entries, as binfmt-support, WSL and a Java install make them.
add_foreign_entries() {
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':llvm-14-runtime.binfmt:M::BC::/usr/bin/lli-14:'
	raw_register ':WSLInterop:M::MZ::/init:P'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
	raw_register ':masked:M:2:\x01\x02\x03:\xff\x0f\xff:/usr/bin/other:OC'
	in_instance sh -c 'echo 0 >"$1/jar"' sh "$BINFMT"
}

# Register our entries the way `make run` does: with F, from a mount
# namespace where /usr/bin holds the emulators (the container's).
register_as_container() {
	in_instance unshare --mount --propagation private sh -c '
		mount --bind "$1" /usr/bin && exec "$2" --reset -p yes -Q /usr/bin "$3" "$4"' \
		sh "$FAKE" "$REGISTER" aarch64 riscv64 >/dev/null
}

@test "snapshot records every entry's full text, the status and the mounts, as the kernel prints them" {
	add_foreign_entries
	register_as_container
	host_binfmt_snapshot "$SNAP"
	run ls "$SNAP/entries"
	assert_output "$(printf '%s\n' WSLInterop jar llvm-14-runtime.binfmt masked python3.11 qemu-aarch64 qemu-riscv64)"
	assert_equal "$(cat "$SNAP/entries/qemu-aarch64")" "$(entry qemu-aarch64)"
	assert_equal "$(cat "$SNAP/entries/jar")" "$(entry jar)"
	assert_equal "$(head -n 1 "$SNAP/entries/jar")" disabled
	assert_equal "$(cat "$SNAP/status")" enabled
	assert_equal "$(cat "$SNAP/mounts")" "$(in_instance grep " $BINFMT binfmt_misc " /proc/self/mounts)"
	# The helpers' mounts were private and are gone.
	assert_equal "$(in_instance grep -c " binfmt_misc " /proc/self/mounts)" 1
}

@test "the register strings made from the kernel's text are the ones that were written" {
	add_foreign_entries
	register_as_container
	host_binfmt_snapshot "$SNAP"
	run _hb_register_string "$SNAP/entries/masked"
	assert_output ':masked:M:2:\x01\x02\x03:\xff\x0f\xff:/usr/bin/other:OC'
	run _hb_register_string "$SNAP/entries/jar"
	assert_output ':jar:E::jar::/usr/bin/jexec:'
	run _hb_register_string "$SNAP/entries/WSLInterop"
	assert_output ':WSLInterop:M:0:\x4d\x5a::/init:P'
	assert_equal "$(_hb_register_string "$SNAP/entries/qemu-aarch64")" \
		"$(HOST_ARCH=x86_64 "$REGISTER" --dry-run -p yes -Q "$FAKE" aarch64 | sed "s|$FAKE/|/usr/bin/|; s|:M::|:M:0:|")"
}

@test "after --reset, a new entry and a disabled one, restore puts ours back byte for byte and never touches the others" {
	add_foreign_entries
	register_as_container
	# An administrator disabled one of ours: restored disabled.
	in_instance sh -c 'echo 0 >"$1/qemu-riscv64"' sh "$BINFMT"
	host_binfmt_snapshot "$SNAP"
	local foreign_before
	foreign_before=$(in_instance sh -c 'cd "$1" && for e in python3.11 llvm-14-runtime.binfmt WSLInterop jar masked; do ls -i "$e"; cat "$e"; done' sh "$BINFMT")
	# What an end-to-end suite does: ours replaced, one more, one disabled.
	reg --reset -Q "$FAKE" aarch64 s390x >/dev/null
	in_instance sh -c 'echo 0 >"$1/qemu-aarch64"' sh "$BINFMT"
	run host_binfmt_compare "$SNAP"
	assert_failure
	assert_output --partial qemu-s390x
	# Only ours changed.
	run host_binfmt_compare_others "$SNAP"
	assert_success
	assert_output ""
	run host_binfmt_restore "$SNAP"
	assert_success
	assert_output ""
	assert_host_binfmt_restored "$SNAP"
	# The others are the very same entries (same inodes), not written again.
	assert_equal "$(in_instance sh -c 'cd "$1" && for e in python3.11 llvm-14-runtime.binfmt WSLInterop jar masked; do ls -i "$e"; cat "$e"; done' sh "$BINFMT")" "$foreign_before"
	# The restored F entry was opened for real: it runs a program.
	run in_instance "$PROG"
	assert_success
	assert_output "qemu-aarch64-static $PROG"
}

@test "restore leaves another tool's changed or new entry alone and fails; a vanished one is written again, and that fails too" {
	add_foreign_entries
	host_binfmt_snapshot "$SNAP"
	in_instance sh -c 'echo 0 >"$1/python3.11"; echo -1 >"$1/WSLInterop"' sh "$BINFMT"
	raw_register ':newcomer:M::\x09\x09::/usr/bin/x:'
	run host_binfmt_compare_others "$SNAP"
	assert_failure
	assert_line "< enabled"
	assert_line "> disabled"
	assert_line "Only in now/entries: newcomer"
	assert_line "Only in recorded/entries: WSLInterop"
	run host_binfmt_restore "$SNAP"
	assert_failure
	assert_line "host_binfmt_restore: another tool's entry python3.11 changed since the snapshot; left alone"
	assert_line "host_binfmt_restore: another tool's entry newcomer appeared since the snapshot; left alone"
	assert_line "host_binfmt_restore: another tool's entry WSLInterop had vanished; written again as recorded"
	assert_equal "$(entry python3.11 | head -n 1)" disabled
	assert_equal "$(entry newcomer | head -n 1)" enabled
	assert_equal "$(entry WSLInterop)" "$(cat "$SNAP/entries/WSLInterop")"
	run host_binfmt_compare "$SNAP"
	assert_failure
	assert_output --partial newcomer
}

@test "compare finds a one-letter difference in one entry" {
	register_as_container
	host_binfmt_snapshot "$SNAP"
	host_binfmt_remove qemu-riscv64
	in_instance unshare --mount --propagation private sh -c '
		mount --bind "$1" /usr/bin && printf "%s" "$2" >"$3/register"' sh "$FAKE" \
		"$(_hb_register_string "$SNAP/entries/qemu-riscv64" | sed 's/:F$/:PF/')" "$BINFMT"
	run host_binfmt_compare "$SNAP"
	assert_failure
	assert_line "< flags: F"
	assert_line "> flags: PF"
	host_binfmt_restore "$SNAP"
	assert_host_binfmt_restored "$SNAP"
}

@test "make_bare unmounts a mount with only our entries, and restore brings back the mount line and the entries" {
	register_as_container
	host_binfmt_snapshot "$SNAP"
	run host_binfmt_make_bare "$SNAP"
	assert_success
	assert_equal "$(in_instance grep -c " binfmt_misc " /proc/self/mounts)" 0
	# Gone for real: the instance died with its last mount.
	assert_equal "$(host_binfmt_names)" ""
	run -126 in_instance bash -c '"$@"' bash "$PROG"
	assert_output --partial "cannot execute binary file: Exec format error"
	host_binfmt_restore "$SNAP"
	assert_host_binfmt_restored "$SNAP"
	run in_instance "$PROG"
	assert_output "qemu-aarch64-static $PROG"
}

@test "make_bare changes nothing when other tools' entries would die with the mount, or ours could not be put back" {
	add_foreign_entries
	register_as_container
	host_binfmt_snapshot "$SNAP"
	run host_binfmt_make_bare "$SNAP"
	assert_failure
	assert_output "other tools' entries are registered (WSLInterop jar llvm-14-runtime.binfmt masked python3.11 ): unmounting would destroy them"
	assert_host_binfmt_restored "$SNAP"
	# Only ours, but no folder holds their emulators any more.
	host_binfmt_remove WSLInterop jar llvm-14-runtime.binfmt masked python3.11
	host_binfmt_snapshot "$SNAP"
	HOST_BINFMT_EMULATORS=$BATS_TEST_TMPDIR/none run host_binfmt_make_bare "$SNAP"
	assert_failure
	assert_output "entry qemu-aarch64 (flag F): /usr/bin/qemu-aarch64-static is not here and no emulator folder holds qemu-aarch64-static"
	assert_host_binfmt_restored "$SNAP"
}

@test "restore of a host found unmounted takes away the mount and the entries made since" {
	in_instance umount "$BINFMT"
	host_binfmt_snapshot "$SNAP"
	assert_equal "$(cat "$SNAP/mounts")" ""
	host_binfmt_mount
	register_as_container
	run host_binfmt_restore "$SNAP"
	assert_success
	assert_host_binfmt_restored "$SNAP"
	assert_equal "$(in_instance grep -c " binfmt_misc " /proc/self/mounts)" 0
	# And it will not unmount when that would destroy another tool's entry.
	host_binfmt_mount
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	run host_binfmt_restore "$SNAP"
	assert_failure
	assert_line "host_binfmt_restore: not unmounting $BINFMT: the entries python3.11 would go with the last mount"
	assert_equal "$(entry python3.11 | head -n 1)" enabled
}

# These tests, and every suite's, stand in for the host with a private
# instance: it must never lie on top of the machine's own mount, which an
# umount in the instance would bring back, writable by its root.
@test "a private instance has nothing below it: unmounted, it leaves no binfmt_misc mount, whatever the machine has" {
	assert_equal "$(in_instance grep -c " $BINFMT binfmt_misc " /proc/self/mounts)" 1
	in_instance umount "$BINFMT"
	assert_equal "$(in_instance grep -c " binfmt_misc " /proc/self/mounts || true)" 0
	run in_instance stat -f -c %T "$BINFMT"
	refute_output binfmt_misc
}
