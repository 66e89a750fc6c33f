#!/usr/bin/env bats
# What Debian's and Fedora's guides have people do by hand: run a foreign
# program, chroot into a foreign root, and build one with debootstrap's two
# stages. Everything runs in private binfmt_misc instances; the emulators are
# the pinned ones of build/rootfs, registered as users do:
# `register --reset -p yes -Q $QEMU_BIN`. The README's "chroot and debootstrap"
# section shows the same commands.

load helpers/common

ROOT_ARM64=$FIXTURES/rootfs-arm64
BUSYBOX_ARM64=$FIXTURES/busybox-arm64/bin/busybox
MIRROR=http://deb.debian.org/debian
# The root debootstrap builds; teardown removes it.
DEBOOTSTRAP_ROOT=

setup_file() {
	if [ ! -x "$BUSYBOX_ARM64" ] || [ ! -x "$ROOT_ARM64/usr/bin/hello" ]; then
		echo "fixtures missing: run 'make fixtures'" >&2
		return 1
	fi
}

setup() {
	# chroot's messages, as the assertions spell them.
	export LC_ALL=C
	instance_start
}

teardown() {
	instance_stop
	if [ -n "$DEBOOTSTRAP_ROOT" ]; then
		# Every mount of the second stage (proc, sysfs) was made in the
		# namespaces that have just ended; none may be left on this machine.
		if grep -qF " $DEBOOTSTRAP_ROOT" /proc/self/mounts; then
			echo "mounts left under $DEBOOTSTRAP_ROOT" >&2
			return 1
		fi
		rm -rf --one-file-system "$DEBOOTSTRAP_ROOT"
	fi
}

# A copy of the arm64 fixture root that a test may change.
root_copy() {
	local root=$BATS_TEST_TMPDIR/rootfs-arm64
	cp -a "$ROOT_ARM64" "$root"
	echo "$root"
}

# Replace the helpers' instance (only root mapped) by one whose user namespace
# maps uids and gids 0-65535 onto the same ones here, the owners a Debian root
# holds (root, mail, staff, ...), so dpkg's chown works in it. Writing such a
# map takes root.
instance_start_mapped() {
	[ "$(id -u)" = 0 ] ||
		fail "debootstrap's root holds files of many owners: mapping them into a namespace takes root"
	instance_stop
	unshare --user --mount --propagation private sleep 3600 3>&- &
	INSTANCE_PID=$!
	local ours _
	ours=$(readlink /proc/self/ns/user)
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$INSTANCE_PID/ns/user" 2>/dev/null)" != "$ours" ] && break
		sleep 0.05
	done
	[ "$(readlink "/proc/$INSTANCE_PID/ns/user")" != "$ours" ] || fail "the namespace did not start"
	echo '0 0 65536' >"/proc/$INSTANCE_PID/gid_map"
	echo '0 0 65536' >"/proc/$INSTANCE_PID/uid_map"
	in_instance mount -t binfmt_misc binfmt_misc "$BINFMT" ||
		fail "cannot mount a private binfmt_misc instance: this needs Linux >= 6.7"
}

@test "an arm64 program fails with 'Exec format error' until registered, then ./busybox uname -m prints aarch64" {
	local dir=${BUSYBOX_ARM64%/busybox}
	run -126 in_instance sh -c 'cd "$1" && ./busybox uname -m' sh "$dir"
	assert_output --partial "./busybox: Exec format error"

	run reg --reset -p yes -Q "$QEMU_BIN"
	assert_success
	assert_line "Setting $QEMU_BIN/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_equal "$(entry_field qemu-aarch64 flags:)" F

	run in_instance sh -c 'cd "$1" && ./busybox uname -m' sh "$dir"
	assert_success
	assert_output aarch64
}

@test "with F, chroot into an arm64 root that holds no emulator runs its dynamic hello, even after the emulator file is gone" {
	run find "$ROOT_ARM64" -name 'qemu-*'
	assert_output ""
	# A copy of the emulator outside the root, deleted once registered: with F
	# the kernel opened it at registration and keeps it.
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir "$bin"
	cp "$QEMU_BIN/qemu-aarch64-static" "$bin/"
	run reg --reset -p yes -Q "$bin" aarch64
	assert_success
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$bin/qemu-aarch64-static"
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	rm "$bin/qemu-aarch64-static"

	run in_instance chroot "$ROOT_ARM64" /usr/bin/hello
	assert_success
	assert_output "Hello, world!"
}

@test "without F, chroot fails with 'No such file or directory' for a program that is there: the emulator is looked up inside the root" {
	run reg --reset -Q "$QEMU_BIN" aarch64
	assert_success
	assert_equal "$(entry_field qemu-aarch64 flags:)" ""
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$QEMU_BIN/qemu-aarch64-static"
	# Outside the root the same entry works: its interpreter is found here.
	run in_instance "$BUSYBOX_ARM64" uname -m
	assert_success
	assert_output aarch64

	[ -x "$ROOT_ARM64/usr/bin/hello" ]
	[ ! -e "$ROOT_ARM64$QEMU_BIN/qemu-aarch64-static" ]
	run -127 in_instance chroot "$ROOT_ARM64" /usr/bin/hello
	assert_output "chroot: failed to run command '/usr/bin/hello': No such file or directory"
	# The kernel's own answer to the exec, not a fallback of chroot's.
	command -v strace >/dev/null || fail "strace is missing: install the test dependencies (scripts/install-deps test)"
	run -127 in_instance strace -qq -e trace=execve chroot "$ROOT_ARM64" /usr/bin/hello
	assert_line --regexp '^execve\("/usr/bin/hello", .*\) = -1 ENOENT \(No such file or directory\)$'
}

@test "the old way, an emulator copied into the root, fixes that; F does it with no copy" {
	local root
	root=$(root_copy)
	# As multiarch's :register image and Debian's guides register: no F, the
	# emulator at /usr/bin/qemu-aarch64-static, looked up at every exec.
	run reg --reset aarch64
	assert_success
	assert_equal "$(entry_field qemu-aarch64 interpreter)" /usr/bin/qemu-aarch64-static
	assert_equal "$(entry_field qemu-aarch64 flags:)" ""
	run -127 in_instance chroot "$root" /usr/bin/hello
	assert_output "chroot: failed to run command '/usr/bin/hello': No such file or directory"

	# cp qemu-aarch64-static ROOT/usr/bin/ (or COPY --from=IMAGE:aarch64 in a
	# Containerfile: the same file, tests/image.bats).
	cp "$QEMU_BIN/qemu-aarch64-static" "$root/usr/bin/"
	run in_instance chroot "$root" /usr/bin/hello
	assert_success
	assert_output "Hello, world!"

	rm "$root/usr/bin/qemu-aarch64-static"
	run -127 in_instance chroot "$root" /usr/bin/hello
	run reg --reset -p yes -Q "$QEMU_BIN" aarch64
	assert_success
	run find "$root" -name 'qemu-*'
	assert_output ""
	run in_instance chroot "$root" /usr/bin/hello
	assert_success
	assert_output "Hello, world!"
}

@test "debootstrap --foreign for arm64, then --second-stage in a chroot with no emulator copied in (F): uname -m is aarch64" {
	command -v debootstrap >/dev/null ||
		fail "debootstrap is missing: install the test dependencies (scripts/install-deps test)"
	[ "$(id -u)" = 0 ] || fail "debootstrap's first stage creates device nodes: it takes root"
	local tarball root=$BATS_TEST_TMPDIR/arm64-root
	DEBOOTSTRAP_ROOT=$root

	# First stage, as root here: it downloads and unpacks, and runs nothing
	# foreign. The downloads are kept, verified, in .cache/debootstrap/:
	# `--make-tarball` once, then `--unpack-tarball` (see the helper). Its own
	# PID namespace makes the /proc/1 debootstrap reads its own process.
	tarball=$("$REPO/tests/helpers/debootstrap-cache" bookworm arm64 minbase "$MIRROR") ||
		fail "the first stage's packages could not be fetched or verified (above)"
	run unshare --pid --fork --mount-proc debootstrap --foreign --arch=arm64 --variant=minbase \
		--unpack-tarball="$tarball" bookworm "$root" "$MIRROR"
	assert_success
	[ -x "$root/debootstrap/debootstrap" ]
	run find "$root" -name 'qemu-*'
	assert_output ""

	instance_start_mapped
	# Without F, the guides' error: /bin/sh is in the root, the emulator is not.
	run reg --reset -Q "$QEMU_BIN" aarch64
	assert_success
	run -127 in_instance chroot "$root" /debootstrap/debootstrap --second-stage
	assert_output "chroot: failed to run command '/debootstrap/debootstrap': No such file or directory"

	# With F. The namespace's own workarounds, not needed on a host as root:
	# container=lxc skips only the mknod probe of debootstrap's sanity check
	# (a user namespace may not create device nodes; the first stage made
	# them), and new PID and network namespaces let it mount proc and sysfs.
	run reg --reset -p yes -Q "$QEMU_BIN" aarch64
	assert_success
	run in_instance env container=lxc unshare --pid --net --fork --mount-proc \
		chroot "$root" /debootstrap/debootstrap --second-stage
	assert_success
	assert_line "I: Base system installed successfully."
	refute_line --regexp '^[WE]: '

	run in_instance chroot "$root" /bin/uname -m
	assert_success
	assert_output aarch64
	run in_instance chroot "$root" dpkg --print-architecture
	assert_success
	assert_output arm64
	# Every package installed and configured; still no emulator in the root.
	run in_instance chroot "$root" dpkg --audit
	assert_success
	assert_output ""
	run find "$root" -name 'qemu-*'
	assert_output ""
}

@test "the cached first stage is verified before use: a changed .deb or InRelease is refused, naming it" {
	[ "$(id -u)" = 0 ] || fail "making the cache runs debootstrap: it takes root"
	local tarball tree=$BATS_TEST_TMPDIR/tree deb
	tarball=$("$REPO/tests/helpers/debootstrap-cache" bookworm arm64 minbase "$MIRROR") ||
		fail "the first stage's packages could not be fetched or verified (above)"
	mkdir "$tree"
	tar -xf "$tarball" -C "$tree"
	deb=$(grep '^zlib1g ' "$tree/debootstrap/debpaths" | cut -d' ' -f2)
	echo tampered >>"$tree$deb"
	tar -cf "$BATS_TEST_TMPDIR/deb.tar" -C "$tree" .
	run -1 "$REPO/tests/helpers/debootstrap-cache" --verify "$BATS_TEST_TMPDIR/deb.tar" bookworm arm64
	assert_output --regexp '^zlib1g: sha256 [0-9a-f]{64}, Packages says [0-9a-f]{64}$'

	sed -i 's/^Date: /Date:  /' "$tree"/var/lib/apt/lists/*_InRelease
	tar -cf "$BATS_TEST_TMPDIR/inrelease.tar" -C "$tree" .
	run -1 "$REPO/tests/helpers/debootstrap-cache" --verify "$BATS_TEST_TMPDIR/inrelease.tar" bookworm arm64
	assert_line --index 0 --partial "InRelease is not signed by Debian's archive key"
	assert_line --partial "BAD signature"
}
