#!/usr/bin/env bats
# END-TO-END (docker): the README's `docker run --rm --privileged ...` against
# this machine's REAL, host-wide binfmt_misc, through a dockerd of the tests'
# own (Debian's docker.io; started in setup_file, stopped and waited for in
# teardown_file, with its containerd; own data root, socket and pidfile; no
# bridge, no iptables rules). Images come from podman's storage (podman save
# | docker load); nothing is pulled.
#
# Host state: taken as found, recorded in setup_file and put back exactly
# after each test that changes the mounts and in teardown_file (only qemu-*
# entries are removed or replaced; see tests/e2e/podman.bats); the last test
# asserts that byte for byte. Needs root, docker.io, podman and runc, and the
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
	require_images "$IMAGE:latest"
	build_busybox_images linux/arm64
	docker_start
	docker_load "$IMAGE:latest" "$TEST_IMAGE:arm64"
}

teardown_file() {
	e2e_teardown_file docker
}

teardown() {
	e2e_teardown
}

@test "the test dockerd is the tests' own, with the capability-dropping runtime, and holds the images" {
	run docker info --format '{{.DefaultRuntime}} {{.ServerVersion}}'
	assert_success
	assert_output --regexp '^qus 20\.10\.'
	run docker image inspect --format '{{.Architecture}}' localhost/qemu-user-static:latest "$TEST_IMAGE:arm64"
	assert_success
	assert_output $'amd64\narm64'
}

@test "docker run --rm --privileged IMAGE --reset -p yes registers with F in the host's binfmt_misc (host mounted, as with systemd)" {
	host_changes
	host_binfmt_mount
	# stdout and stderr apart: the engine interleaves them mid-line otherwise.
	run --separate-stderr docker run --rm --privileged localhost/qemu-user-static:latest --reset -p yes
	assert_success
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_summary_line '^31 registered, 0 already present, [0-9]+ removed, 3 skipped, 0 failed$'
	# Read back from the host after the container has gone.
	assert_equal "$(host_entry qemu-aarch64 | head -n 1)" enabled
	assert_equal "$(host_entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" F
	assert_equal "$(host_entry_names | wc -l)" 31

	# An arm64 container through docker.
	run docker run --rm --pull=never --platform linux/arm64 "$TEST_IMAGE:arm64" uname -m
	assert_success
	assert_output aarch64
}

@test "kernel >= 6.7, host without a mount: docker run --privileged --pid=host keeps the entries after the container exits" {
	host_changes
	assert_pid_host_keeps_entries docker
	# And the container is gone (removed), not lingering to hold the mount.
	run docker ps -aq
	assert_output ""
}

@test "kernel >= 6.7, host without a mount: without --pid=host the entries vanish with the container, and it warns so" {
	host_changes
	assert_entries_vanish_with_warning docker
}

@test "docker/setup-qemu-action's sequence: IMAGE --install all, then IMAGE, whose stdout parses as JSON listing the platforms" {
	host_changes
	host_binfmt_mount
	# --install keeps an entry already there: start without ours.
	host_remove_qemu_entries
	run --separate-stderr docker run --rm --privileged localhost/qemu-user-static:latest --install all
	assert_success
	# `all`: tonistiigi/binfmt's architectures, less this machine's own (other
	# tools' entries are listed too).
	assert_equal "$(jq -r '[.emulators[] | select(startswith("qemu-"))] | join(" ")' <<<"$output")" "qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x"
	assert_equal "$(host_entry_field qemu-aarch64 flags:)" POCF
	# The action's second call, parsed as it does (JSON.parse of stdout).
	run --separate-stderr docker run --rm --privileged localhost/qemu-user-static:latest
	assert_success
	assert_supported_everything "$output"
	# An arm64 container runs afterwards.
	run docker run --rm --pull=never --platform linux/arm64 "$TEST_IMAGE:arm64" uname -m
	assert_output aarch64
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
