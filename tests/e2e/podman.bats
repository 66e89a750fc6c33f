#!/usr/bin/env bats
# END-TO-END (podman): the image registers emulators in this machine's REAL,
# host-wide binfmt_misc, and foreign containers, builds and programs run.
#
# Host state: taken as found (binfmt_misc mounted or not, other tools'
# entries, ours from `make run`). setup_file records it (every mount, every
# entry's full text) and mounts binfmt_misc the way systemd hosts do; only
# qemu-* entries are ever removed or replaced, other tools' never touched.
# Each test that changes the mounts, and teardown_file, put the host back
# exactly as recorded (our entries re-created as they were), and the last
# test asserts that byte for byte. Needs root, podman and runc, and the
# images of `make image`.
# bats file_tags=e2e

load ../helpers/common
load ../helpers/engines

setup_file() {
	require_root
	require_tools podman runc unshare
	host_binfmt_record
	require_host_binfmt_restorable
	podman_setup
	require_images "$IMAGE:latest" "$IMAGE:register" "$IMAGE:aarch64"
	build_busybox_images
	host_binfmt_mount
}

teardown_file() {
	e2e_teardown_file
}

# Tests that change the host's mounts call host_changes; teardown then puts
# the host back as it was found.
teardown() {
	e2e_teardown
}

# The registration test 1 makes, which the next tests use.
require_registered() {
	[ -e "$BINFMT/qemu-aarch64" ] ||
		fail "the host has no qemu-aarch64 entry: the first test (registration) failed"
}

# A test image's `uname -m` under --platform PLATFORM.
uname_in() {
	podman run --rm --pull=never --platform "$1" "$TEST_IMAGE:$2" uname -m
}

@test "podman run --rm --privileged IMAGE --reset -p yes registers the pinned emulators with F in the host's binfmt_misc" {
	# stdout and stderr apart: the engine interleaves them mid-line otherwise.
	run --separate-stderr podman run --rm --privileged localhost/qemu-user-static:latest --reset -p yes
	assert_success
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "Setting /usr/bin/qemu-riscv64-static as binfmt interpreter for riscv64"
	assert_summary_line '^31 registered, 0 already present, [0-9]+ removed, 3 skipped, 0 failed$'

	# Read back from the host, after the container has gone.
	assert_equal "$(host_entry qemu-aarch64 | head -n 1)" enabled
	assert_equal "$(host_entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
	assert_equal "$(host_entry_field qemu-aarch64 magic)" 7f454c460201010000000000000000000200b700
	local names n
	names=$(host_entry_names)
	assert_equal "$(echo "$names" | wc -l)" 31
	for n in $names; do
		assert_equal "$n: $(host_entry_field "$n" flags:)" "$n: F"
		assert_equal "$n: $(host_entry_field "$n" interpreter)" "$n: /usr/bin/$n-static"
	done
	# Nothing of this host's own family.
	refute [ -e "$BINFMT/qemu-x86_64" ]
	refute [ -e "$BINFMT/qemu-i386" ]
	# And a foreign program runs on the host itself.
	run host_busybox arm64 uname -m
	assert_success
	assert_output aarch64
}

@test "an arm64 container runs with --platform linux/arm64 (uname -m: aarch64)" {
	require_registered
	run uname_in linux/arm64 arm64
	assert_success
	assert_output aarch64
}

@test "a riscv64 container runs with --platform linux/riscv64" {
	require_registered
	run uname_in linux/riscv64 riscv64
	assert_success
	assert_output riscv64
}

@test "a ppc64le container runs with --platform linux/ppc64le" {
	require_registered
	run uname_in linux/ppc64le ppc64le
	assert_success
	assert_output ppc64le
}

@test "an s390x container runs with --platform linux/s390x" {
	require_registered
	run uname_in linux/s390x s390x
	assert_success
	assert_output s390x
}

@test "an arm/v7 container runs with --platform linux/arm/v7 (uname -m: armv7l)" {
	require_registered
	run uname_in linux/arm/v7 armv7
	assert_success
	assert_output armv7l
}

@test "podman build --platform linux/arm64 runs a RUN step through the registered emulator" {
	require_registered
	local ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	run podman build --pull=never --network=none --layers=false --platform linux/arm64 \
		-f "$E2E/Containerfile.run" -t "$BUILT_IMAGE:run" "$ctx"
	assert_success
	# The step's work is in the image: only the arm64 busybox could have done it.
	run podman run --rm --pull=never --platform linux/arm64 "$BUILT_IMAGE:run" ls /built
	assert_success
	assert_output /built
	assert_equal "$(podman image inspect --format '{{.Architecture}}' "$BUILT_IMAGE:run")" arm64
}

@test ":register --reset re-registers without F (flags: empty); containers without an emulator inside then fail" {
	require_registered
	run --separate-stderr podman run --rm --privileged localhost/qemu-user-static:register --reset
	assert_success
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_summary_line '^31 registered, 0 already present, 31 removed, 3 skipped, 0 failed$'
	run host_entry qemu-aarch64
	assert_line "flags: "
	assert_equal "$(host_entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
	# Without F the kernel looks for /usr/bin/qemu-aarch64-static in the
	# container at exec time: this image has none, and the host has none.
	run uname_in linux/arm64 arm64
	assert_failure
	refute_output aarch64
}

@test "without F, a build that COPY --from=...:aarch64 the emulator into the arm64 image runs its RUN step" {
	require_registered
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" ""
	local ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	# Control: the same RUN step without the emulator copied in fails.
	run podman build --pull=never --network=none --layers=false \
		-f "$E2E/Containerfile.run" -t "$BUILT_IMAGE:no-emulator" "$ctx"
	assert_failure
	# No --platform: the FROM image is arm64 and the emulator image amd64, as
	# in the Dockerfiles that copied multiarch/qemu-user-static:x86_64-aarch64.
	run podman build --pull=never --network=none --layers=false \
		-f "$E2E/Containerfile.copy-emulator" -t "$BUILT_IMAGE:copied" "$ctx"
	assert_success
	assert_equal "$(podman image inspect --format '{{.Architecture}}' "$BUILT_IMAGE:copied")" arm64
	# The image carries its emulator, so it runs without F too.
	run podman run --rm --pull=never --platform linux/arm64 "$BUILT_IMAGE:copied" ls /built /usr/bin/qemu-aarch64-static
	assert_success
	assert_line /built
	run podman run --rm --pull=never --platform linux/arm64 "$BUILT_IMAGE:copied" uname -m
	assert_success
	assert_output aarch64
}

@test "in a user-namespaced (rootless-like) container it refuses a private instance (exit 3) unless --private-instance; the host gets nothing" {
	# Start from a host instance without qemu entries, mount kept.
	host_binfmt_mounted || fail "setup_file's host mount is gone"
	host_remove_qemu_entries
	assert_host_has_no_qemu_entries
	local userns=(--uidmap 0:100000:65536 --gidmap 0:100000:65536)
	run podman run --rm --privileged --pull=never "${userns[@]}" localhost/qemu-user-static:register --reset
	assert_failure 3
	assert_output --partial "private instance"
	assert_host_has_no_qemu_entries
	run --separate-stderr podman run --rm --privileged --pull=never "${userns[@]}" localhost/qemu-user-static:register \
		--reset --private-instance aarch64
	assert_success
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	# It registered in the container's own instance, which died with it.
	assert_host_has_no_qemu_entries
	refute [ -e "$BINFMT/qemu-aarch64" ]
}

@test "kernel >= 6.7, host without a mount: with --pid=host register mounts binfmt_misc in the host's mount namespace and the entries outlive the container" {
	host_changes
	assert_pid_host_keeps_entries podman
	run podman ps -aq
	assert_output ""
}

@test "kernel >= 6.7, host without a mount: without --pid=host register warns that the entries vanish, and names both fixes" {
	host_changes
	assert_entries_vanish_with_warning podman
}

@test "docker/setup-qemu-action's sequence through podman: IMAGE --install all, then IMAGE, whose stdout parses as JSON" {
	host_changes
	host_binfmt_mount
	# --install keeps an entry already there: start without ours.
	host_remove_qemu_entries
	local others
	others=$(host_binfmt_foreign_names)
	run --separate-stderr podman run --rm --privileged localhost/qemu-user-static:latest --install all
	assert_success
	# `all`: tonistiigi/binfmt's architectures, less this machine's own (other
	# tools' entries are listed too).
	assert_equal "$(jq -r '[.emulators[] | select(startswith("qemu-"))] | join(" ")' <<<"$output")" "qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x"
	assert_equal "$(host_entry_field qemu-riscv64 flags:)" POCF
	run --separate-stderr podman run --rm --privileged localhost/qemu-user-static:latest
	assert_success
	assert_supported_everything "$output"
	# --uninstall through the image: the entries go, and the platforms with
	# them; other tools' entries stay.
	run --separate-stderr podman run --rm --privileged localhost/qemu-user-static:latest --uninstall 'qemu-*'
	assert_success
	assert_equal "$(jq -c '[.emulators[] | select(startswith("qemu-"))]' <<<"$output")" '[]'
	assert_equal "$(jq -c '.supported | index("linux/arm64")' <<<"$output")" null
	assert_equal "$(host_entry_names | wc -l)" 0
	assert_equal "$(host_binfmt_foreign_names)" "$others"
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
