#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr is set by `run --separate-stderr`
# END-TO-END (docker): multiarch/qemu-user-static's own CI script, test.sh at
# commit 1530f63bbe44901196c46233369c39d18da3a1d3 (run by its
# .github/workflows/actions.yml and .travis.yml as `./test.sh -d
# "$DOCKER_REPO"` after the images were built), replayed assertion by
# assertion against OUR images (DOCKER_REPO=localhost/qemu-user-static:
# :latest, :register, :aarch64, :x86_64-aarch64) through a real engine
# (Debian's docker.io 20.10, a dockerd of the tests' own:
# tests/helpers/engines.bash) on this machine's REAL binfmt_misc. Our own
# tests, written from reading that script: its logic, not its code. Each
# @test names the lines it mirrors. README, "What goes to stdout, and what to
# stderr": in this style stdout holds only the `Setting ...` lines
# multiarch's /register printed.
#
# How the script was made to run here, offline:
# - `docker pull arm64v8/ubuntu` (line 31): a local stand-in with a C
#   library, Debian's dynamic arm64 root of the fixtures (libc6:arm64, hello)
#   plus the static arm64 busybox as sh and uname (Containerfile.arm64-root),
#   loaded into the test dockerd; the pull becomes a check that it is there
#   and is arm64.
# - `apt-get update && apt-get -y install gcc` in a build on it (lines
#   34-38) needs a mirror: the RUN step keeps its shell form and `&&`, and
#   runs the image's own foreign dynamic program (hello, through the arm64
#   loader and glibc) writing into the image instead of installing a package.
# - `docker pull arm64v8/fedora` (line 41): a second, different arm64 image,
#   the static busybox one (build_busybox_images linux/arm64).
# - lines 43-49 are commented out in the peer's script (a dnf build): no
#   assertion there to mirror.
# - GitHub's and Travis' runners keep binfmt_misc mounted, and the script
#   reads /proc/sys/fs/binfmt_misc/qemu-aarch64 on the host after the
#   container exits: each test mounts the host's binfmt_misc first (the
#   script runs the image without --pid=host).
# - `docker run -t` is kept: its output lines end in CR LF, compared without CR.
#
# Host state: taken as found, recorded in setup_file and put back exactly
# after each test and in teardown_file (only qemu-* entries are removed or
# replaced); the last test asserts that byte for byte. Needs root, docker.io,
# podman, runc, and the images of `make image`.
# bats file_tags=e2e

load ../helpers/common
load ../helpers/engines

# shellcheck disable=SC2034 # used in the tests' names
PEER="multiarch/qemu-user-static test.sh@1530f63bbe44901196c46233369c39d18da3a1d3"

# The script's ${DOCKER_REPO}.
DOCKER_REPO=localhost/qemu-user-static
# Its arm64v8/ubuntu and arm64v8/fedora.
UBUNTU=$TEST_IMAGE:arm64-root
FEDORA=$TEST_IMAGE:arm64

setup_file() {
	require_root
	require_tools podman runc unshare
	host_binfmt_record
	require_host_binfmt_restorable
	podman_setup
	require_images "$DOCKER_REPO:latest" "$DOCKER_REPO:register" "$DOCKER_REPO:aarch64" "$DOCKER_REPO:x86_64-aarch64"
	build_busybox_images linux/arm64
	build_arm64_root
	docker_start
	docker_load "$DOCKER_REPO:latest" "$DOCKER_REPO:register" "$DOCKER_REPO:aarch64" \
		"$DOCKER_REPO:x86_64-aarch64" "$UBUNTU" "$FEDORA"
}

teardown_file() {
	e2e_teardown_file docker
}

# Every test here changes the host.
host_changes
teardown() {
	e2e_teardown
}

# The arm64v8/ubuntu stand-in (see the header).
build_arm64_root() {
	local ctx=$BATS_FILE_TMPDIR/arm64-root
	if [ ! -x "$FIXTURES/rootfs-arm64/usr/bin/hello" ] || [ ! -x "$FIXTURES/busybox-arm64/bin/busybox" ]; then
		fail "fixtures rootfs-arm64 or busybox-arm64 are missing: run make fixtures"
	fi
	rm -rf "$ctx"
	cp -a "$FIXTURES/rootfs-arm64" "$ctx"
	cp "$FIXTURES/busybox-arm64/bin/busybox" "$ctx/usr/bin/busybox"
	ln -s busybox "$ctx/usr/bin/sh"
	ln -s busybox "$ctx/usr/bin/uname"
	podman build -q --pull=never --network=none --layers=false --platform linux/arm64 \
		-f "$REPO/tests/peers/Containerfile.arm64-root" -t "$UBUNTU" "$ctx" >/dev/null ||
		fail "podman build of $UBUNTU failed"
	assert_equal "$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$UBUNTU")" linux/arm64
}

# Line 26: the image registers every target with F, as the script's runners
# keep binfmt_misc mounted. stdout: only `Setting ...` lines.
reset_persistent() {
	host_binfmt_mount
	run --separate-stderr docker run --rm --privileged "$DOCKER_REPO" --reset -p yes
	assert_success
	assert_only_setting_lines 31
	assert_summary_line '^31 registered, 0 already present, [0-9]+ removed, 3 skipped, 0 failed$'
}

# Line 56: the :register image, without F.
reset_register_tag() {
	run --separate-stderr docker run --rm --privileged "$DOCKER_REPO:register" --reset
	assert_success
	assert_only_setting_lines 31
	assert_summary_line '^31 registered, 0 already present, 31 removed, 3 skipped, 0 failed$'
}

# After `run --separate-stderr`: stdout is COUNT lines, every one
# `Setting /usr/bin/qemu-<t>-static as binfmt interpreter for <t>`.
assert_only_setting_lines() {
	local others
	others=$(grep -Evx 'Setting /usr/bin/qemu-([a-z0-9_]+)-static as binfmt interpreter for \1' <<<"$output") || true
	[ -z "$others" ] || fail "stdout holds more than the Setting lines: $others"
	assert_equal "$(grep -c '^Setting ' <<<"$output")" "$1"
}

# `docker run --rm -t IMAGE ARG...`: its output without the terminal's CRs,
# and without docker's own warning for an image of another platform run
# without --platform (as the script runs arm64v8/ubuntu), on its stderr.
docker_run_t() {
	local out rc=0 err=$BATS_TEST_TMPDIR/docker-run.err
	out=$(docker run --rm -t "$@" 2>"$err") || rc=$?
	printf '%s\n' "${out//$'\r'/}"
	grep -v "^WARNING: The requested image's platform (linux/arm64) does not match the detected host platform (linux/amd64) and no specific platform was requested$" "$err" >&2 || true
	return "$rc"
}

@test "the test dockerd is the tests' own and holds our four images and the two arm64 stand-ins ($PEER lines 31, 41: docker pull)" {
	run docker info --format '{{.DefaultRuntime}} {{.ServerVersion}}'
	assert_success
	assert_output --regexp '^qus 20\.10\.'
	# The pulls of arm64v8/ubuntu and arm64v8/fedora, offline.
	run docker image inspect --format '{{.Os}}/{{.Architecture}}' "$UBUNTU" "$FEDORA"
	assert_success
	assert_output $'linux/arm64\nlinux/arm64'
	run docker image inspect --format '{{.Architecture}}' "$DOCKER_REPO:latest" "$DOCKER_REPO:register" \
		"$DOCKER_REPO:aarch64" "$DOCKER_REPO:x86_64-aarch64"
	assert_success
	assert_output "$(printf 'amd64\n%.0s' 1 2 3 4)"
}

@test "IMAGE --reset -p yes: the host's qemu-aarch64 reads 'flags: F', and stdout holds only 'Setting ...' lines ($PEER lines 24-28; issue 14)" {
	reset_persistent
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64"
	# Lines 27-28, read on the host after the container has gone.
	cat "$BINFMT/qemu-aarch64"
	grep -q '^flags: F$' "$BINFMT/qemu-aarch64"
	# What register adds is on stderr, and no routine note without --verbose.
	refute grep -q '^Setting ' <<<"$stderr"
	refute grep -q 'note:' <<<"$stderr"
}

@test "after --reset -p yes, arm64v8/ubuntu's uname -m prints aarch64 ($PEER lines 30-32)" {
	reset_persistent
	run docker_run_t "$UBUNTU" uname -m
	assert_success
	assert_output aarch64
}

@test "after --reset -p yes, a build on arm64v8/ubuntu runs its RUN step ($PEER lines 33-38)" {
	reset_persistent
	# Its `apt-get update && apt-get -y install gcc`, offline: the same shell
	# form, running the image's foreign dynamic program into the image.
	run docker build --rm -t "$BUILT_IMAGE:latest-ubuntu" - <<-EOF
		FROM $UBUNTU
		RUN hello >/hello.out && \\
		    test -s /hello.out
	EOF
	assert_success
	run docker_run_t "$BUILT_IMAGE:latest-ubuntu" /usr/bin/busybox cat /hello.out
	assert_success
	assert_output "Hello, world!"
}

@test "after --reset -p yes, arm64v8/fedora's uname -m prints aarch64 ($PEER lines 40-42)" {
	reset_persistent
	run docker_run_t "$FEDORA" uname -m
	assert_success
	assert_output aarch64
}

@test "IMAGE:register --reset: the host's qemu-aarch64 reads 'flags: ' (empty), and stdout holds only 'Setting ...' lines ($PEER lines 54-58)" {
	# The script's state at line 56: line 26's entries, with F.
	reset_persistent
	reset_register_tag
	cat "$BINFMT/qemu-aarch64"
	grep -q '^flags: $' "$BINFMT/qemu-aarch64"
	assert_equal "$(host_entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
}

@test "IMAGE:aarch64 and IMAGE:x86_64-aarch64 hold /usr/bin/qemu-aarch64-static, which runs --version ($PEER lines 64-66)" {
	run docker_run_t "$DOCKER_REPO:aarch64" /usr/bin/qemu-aarch64-static --version
	assert_success
	assert_line --regexp '^qemu-aarch64 version [0-9]+\.[0-9]+\.[0-9]+'
	run docker_run_t "$DOCKER_REPO:x86_64-aarch64" /usr/bin/qemu-aarch64-static --version
	assert_success
	assert_line --regexp '^qemu-aarch64 version [0-9]+\.[0-9]+\.[0-9]+'
}

@test "integration: without F, arm64v8/ubuntu with the emulator COPY --from=IMAGE:x86_64-aarch64 runs uname -m ($PEER lines 68-75)" {
	# The script's state here: line 56's entries, without F (the kernel looks
	# the interpreter up in the container at exec time).
	reset_persistent
	reset_register_tag
	grep -q '^flags: $' "$BINFMT/qemu-aarch64"
	run docker build --rm -t "$BUILT_IMAGE:integration-ubuntu" - <<-EOF
		FROM $DOCKER_REPO:x86_64-aarch64 as qemu
		FROM $UBUNTU
		COPY --from=qemu /usr/bin/qemu-aarch64-static /usr/bin
	EOF
	assert_success
	run docker_run_t "$BUILT_IMAGE:integration-ubuntu" uname -m
	assert_success
	assert_output aarch64
	# Control: the same image without the emulator does not run now.
	run docker_run_t "$UBUNTU" uname -m
	assert_failure
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
