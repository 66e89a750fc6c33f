#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr is set by `run --separate-stderr`
# END-TO-END (docker): tonistiigi/binfmt's own CI script, hack/install-and-test
# at commit a461ca26f662478887d0f5979e0d0c9ff60b4e0f (with hack/util, which it
# sources for buildxCmd only), replayed assertion by assertion against OUR
# image localhost/qemu-user-static:latest in place of tonistiigi/binfmt:test,
# through a real engine (Debian's docker.io 20.10, a dockerd of the tests'
# own: tests/helpers/engines.bash) on this machine's REAL binfmt_misc. Our own
# tests, written from reading that script: its logic, not its code. Each
# @test names the lines it mirrors. What users script against is the same
# two calls as docker/setup-qemu-action; the progress lines are those of
# tonistiigi's cmd/binfmt/main.go (commit 097ba972d0add114aa94250383d30332bd43637f,
# run(): log.Printf "uninstalling: %s OK", "installing: %s OK",
# "installing: %s %v" with "%s already registered"), which go to stderr there
# (Go's log package) and here.
#
# How the script was made to run here, offline:
# - line 6 (buildx bake --load mainline) builds their image; ours is built by
#   `make image` before the suites run, and only checked to be present.
# - `alpine` pulled with --platform (lines 23-28, 44, 47) is replaced by the
#   local busybox images built from the pinned Debian fixtures
#   (build_busybox_images; linux/386 from busybox-static:i386), loaded into
#   the test dockerd, run with --pull=never. busybox's `uname -a` stands for
#   alpine's (alpine's /bin/uname is busybox too).
# - GitHub's ubuntu runners keep binfmt_misc mounted (systemd's automount),
#   so entries made by one `docker run --privileged` stay for the next; the
#   script relies on that. Each test mounts the host's binfmt_misc first, as
#   on those runners (no --pid=host: the script has none).
# - $status (the script's variable) is $st here: bats owns $status.
# - `echo $status | jq .supported | grep X` is kept as it is, jq and grep.
#
# Host state: taken as found, recorded in setup_file and put back exactly
# after each test and in teardown_file (only qemu-* entries are removed or
# replaced); the last test asserts that byte for byte. Needs root, docker.io,
# podman, runc, jq, and the images of `make image`.
# bats file_tags=e2e

load ../helpers/common
load ../helpers/engines

PEER="tonistiigi/binfmt hack/install-and-test@a461ca26f662478887d0f5979e0d0c9ff60b4e0f"

# The script's image, tonistiigi/binfmt:${TAG:-test}.
BINFMT_IMAGE=localhost/qemu-user-static:latest

# `all` here: tonistiigi/binfmt's ten architectures less amd64 and 386, which
# run natively on this x86_64 machine, in our order (README: --install).
ALL_LINES='installing: arm OK
installing: ppc64le OK
installing: mips64 OK
installing: mips64le OK
installing: s390x OK
installing: arm64 OK
installing: riscv64 OK
installing: loong64 OK'

setup_file() {
	require_root
	require_tools podman runc unshare jq
	host_binfmt_record
	require_host_binfmt_restorable
	podman_setup
	require_images "$BINFMT_IMAGE"
	build_busybox_images linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x linux/riscv64 linux/386
	docker_start
	docker_load "$BINFMT_IMAGE" "$TEST_IMAGE:arm64" "$TEST_IMAGE:armv7" "$TEST_IMAGE:ppc64le" \
		"$TEST_IMAGE:s390x" "$TEST_IMAGE:riscv64" "$TEST_IMAGE:386"
}

teardown_file() {
	e2e_teardown_file docker
}

# Every test here changes the host.
host_changes
teardown() {
	e2e_teardown
}

# `docker run --rm --platform PLATFORM alpine uname -a`, offline: the busybox
# image of that platform.
alpine_uname() {
	local platform=$1 tag
	case $platform in
	linux/arm64) tag=arm64 ;;
	linux/arm/v7) tag=armv7 ;;
	linux/ppc64le) tag=ppc64le ;;
	linux/s390x) tag=s390x ;;
	linux/386) tag=386 ;;
	linux/riscv64) tag=riscv64 ;;
	*) echo "no local image for $platform" >&2; return 2 ;;
	esac
	docker run --rm --pull=never --platform "$platform" "$TEST_IMAGE:$tag" uname -a
}

# Lines 9-10: `--uninstall qemu-*`, then `st=$(... --install all)`, on a
# host that keeps binfmt_misc mounted, as the script's runners do.
uninstall_all_then_install_all() {
	host_binfmt_mount
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --uninstall 'qemu-*'
	assert_success
	# One tonistiigi line per entry the glob took, or "not found" for none;
	# and when the instance held no entry at all, register's warning that
	# the container had to mount it (it cannot see the host's mount).
	run grep -Evx -e 'uninstalling: qemu-[a-z0-9_]+ OK|uninstalling: qemu-\* not found' \
		-e 'register: warning: the entries will vanish when this container exits: .*' <<<"$stderr"
	assert_output ""
	assert_equal "$(host_qemu_entries)" ""
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --install all
	assert_success
	st=$output
	install_all_stderr=$stderr
}

@test "the test dockerd is the tests' own and holds our image and the six platforms' stand-ins for alpine ($PEER line 6)" {
	# Line 6 builds and loads tonistiigi/binfmt:test; here: make image built
	# ours, setup_file loaded it.
	run docker info --format '{{.DefaultRuntime}} {{.ServerVersion}}'
	assert_success
	assert_output --regexp '^qus 20\.10\.'
	run docker image inspect --format '{{.Os}}/{{.Architecture}}' "$BINFMT_IMAGE" "$TEST_IMAGE:arm64" \
		"$TEST_IMAGE:armv7" "$TEST_IMAGE:ppc64le" "$TEST_IMAGE:s390x" "$TEST_IMAGE:386" "$TEST_IMAGE:riscv64"
	assert_success
	assert_output "$(printf '%s\n' linux/amd64 linux/arm64 linux/arm linux/ppc64le linux/s390x linux/386 linux/riscv64)"
}

@test "--uninstall qemu-*, then --install all: .supported lists arm64, amd64, arm/v7, arm/v6, riscv64, ppc64le, 386 ($PEER lines 9-18)" {
	uninstall_all_then_install_all
	# Lines 12-18, as written: jq .supported, grep.
	jq .supported <<<"$st" | grep linux/arm64
	jq .supported <<<"$st" | grep linux/amd64
	jq .supported <<<"$st" | grep linux/arm/v7
	jq .supported <<<"$st" | grep linux/arm/v6
	jq .supported <<<"$st" | grep linux/riscv64
	jq .supported <<<"$st" | grep linux/ppc64le
	jq .supported <<<"$st" | grep linux/386
}

@test "after --install all, .emulators lists qemu-riscv64 and qemu-arm ($PEER lines 20-21)" {
	uninstall_all_then_install_all
	jq .emulators <<<"$st" | grep qemu-riscv64
	jq .emulators <<<"$st" | grep qemu-arm
}

@test "--install all prints tonistiigi/binfmt's progress lines on stderr, one 'installing: ARCH OK' per architecture, and only the JSON document on stdout (issue 14; cmd/binfmt/main.go's formats)" {
	uninstall_all_then_install_all
	# Besides them, only the warning register gives when the instance it
	# mounted in the container held no entry at all (here: after --uninstall
	# qemu-* on a host without other tools' entries); the container cannot
	# see that the host keeps a mount.
	assert_equal "$(grep -v '^register: warning: the entries will vanish when this container exits' <<<"$install_all_stderr")" "$ALL_LINES"
	if [ -n "$(host_binfmt_foreign_names)" ]; then
		refute grep -q 'warning:' <<<"$install_all_stderr"
	fi
	# stdout is one JSON document and nothing else.
	jq -e 'keys == ["emulators", "supported"]' <<<"$st"
	assert_equal "$(jq -r '[.emulators[] | select(startswith("qemu-"))] | join(" ")' <<<"$st")" \
		"qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x"
	# A second run keeps every entry, with tonistiigi's "already registered".
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --install arm64,linux/riscv64
	assert_success
	assert_equal "$stderr" $'installing: arm64 qemu-aarch64 already registered\ninstalling: riscv64 qemu-riscv64 already registered'
	jq -e . <<<"$output" >/dev/null
}

@test "after --install all, alpine runs on linux/arm64, arm/v7, ppc64le, s390x, 386 and riscv64 ($PEER lines 23-28)" {
	uninstall_all_then_install_all
	local platform machine
	while read -r platform machine; do
		run alpine_uname "$platform"
		assert_success
		# The script asks for success only; the machine named proves emulation
		# (386 runs natively: the kernel's x86_64, or i686 under linux32).
		assert_output --regexp " ($machine) "
	done <<-'EOF'
		linux/arm64 aarch64
		linux/arm/v7 armv7l
		linux/ppc64le ppc64le
		linux/s390x s390x
		linux/386 x86_64|i686
		linux/riscv64 riscv64
	EOF
}

@test "on x86_64, --uninstall aarch64,riscv64: neither in .supported nor in .emulators, arm and ppc64le still are ($PEER lines 30-42)" {
	# Line 30: the rest of the script runs on x86_64 hosts only (ours: make
	# image builds for this machine, and CI's machines are x86_64).
	# (a skip fails CI: every machine CI runs on is x86_64)
	[ "$(uname -m)" = x86_64 ] || skip "$PEER's lines 30-49 run on x86_64 only; this is $(uname -m)"
	uninstall_all_then_install_all
	# Line 32.
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --uninstall aarch64,riscv64
	assert_success
	st=$output
	# tonistiigi's lines for it (cmd/binfmt/main.go), on stderr.
	assert_equal "$stderr" $'uninstalling: aarch64 OK\nuninstalling: riscv64 OK'
	# Lines 34-35: `if ... grep; then exit 1`.
	run grep linux/arm64 < <(jq .supported <<<"$st")
	assert_failure
	run grep linux/riscv64 < <(jq .supported <<<"$st")
	assert_failure
	# Lines 36-37.
	jq .supported <<<"$st" | grep linux/ppc64le
	jq .supported <<<"$st" | grep linux/arm/v7
	# Lines 39-40.
	jq .emulators <<<"$st" | grep qemu-arm
	jq .emulators <<<"$st" | grep qemu-ppc64le
	# Lines 41-42: no emulator name containing aarch64 (qemu-aarch64_be
	# included: `all` does not register it) nor riscv64.
	run grep aarch64 < <(jq .emulators <<<"$st")
	assert_failure
	run grep riscv64 < <(jq .emulators <<<"$st")
	assert_failure
	# And the host's instance agrees.
	run host_qemu_entries
	refute_output --partial aarch64
	refute_output --partial riscv64
}

@test "after --uninstall aarch64, arm64 alpine fails; --install arm64 brings it back; --install riscv64 succeeds ($PEER lines 44-49)" {
	# (a skip fails CI: every machine CI runs on is x86_64)
	[ "$(uname -m)" = x86_64 ] || skip "$PEER's lines 30-49 run on x86_64 only; this is $(uname -m)"
	uninstall_all_then_install_all
	run docker run --rm --privileged "$BINFMT_IMAGE" --uninstall aarch64,riscv64
	assert_success
	# Line 44: `if docker run ... uname -a 2>/dev/null; then exit 1`.
	run alpine_uname linux/arm64
	assert_failure
	# Lines 46-47.
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --install arm64
	assert_success
	assert_equal "$stderr" "installing: arm64 OK"
	run alpine_uname linux/arm64
	assert_success
	assert_output --partial " aarch64 "
	# Line 49 (its exit status ends the script).
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --install riscv64
	assert_success
	assert_equal "$stderr" "installing: riscv64 OK"
	run alpine_uname linux/riscv64
	assert_success
	assert_output --partial " riscv64 "
}

@test "the plain status call (the image alone, as setup-qemu-action's second call) writes the JSON document to stdout and nothing to stderr (issue 14)" {
	uninstall_all_then_install_all
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE"
	assert_success
	assert_equal "$stderr" ""
	jq -e '(.supported | index("linux/arm64")) and (.emulators | index("qemu-aarch64"))' <<<"$output"
}

@test "--install foo prints the JSON document of the state on stdout and exits non-zero (2), changing nothing (issue 14)" {
	uninstall_all_then_install_all
	local before
	before=$(host_qemu_entries)
	run --separate-stderr docker run --rm --privileged "$BINFMT_IMAGE" --install foo
	assert_failure 2
	[[ $stderr == "register: unknown target 'foo' in --install;"* ]] || fail "no error naming foo on stderr: $stderr"
	jq -e 'keys == ["emulators", "supported"]' <<<"$output"
	jq .emulators <<<"$output" | grep qemu-riscv64
	assert_equal "$(host_qemu_entries)" "$before"
	# tonistiigi/binfmt itself exits 0 here ("installing: foo unsupported
	# architecture: foo"); ours keeps its exit status 2 (README: Exit status).
}

@test "the host's binfmt_misc is back as the suite found it: mounts, status and every entry, byte for byte" {
	host_binfmt_restore "$QUS_HOST_SNAPSHOT"
	assert_host_binfmt_restored "$QUS_HOST_SNAPSHOT"
}
