#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr
# Tests of the pinned, checksummed .deb download glue: scripts/debfetch, qemu-static/fetch and
# tests/fixtures/fetch. Needs Debian's archive (deb.debian.org) for the downloads; the tests that
# use the real qemu-user .deb (71 MB) share the repository's .cache so it is downloaded once.

bats_require_minimum_version 1.5.0

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	DEBFETCH=$REPO/scripts/debfetch
	ELFINFO=$REPO/scripts/elfinfo
	# Tests of debfetch itself get a private, empty cache.
	export QUS_CACHE=$BATS_TEST_TMPDIR/cache
	unset DEBIAN_MIRROR
	# A small real package, pinned once for the fixtures: reuse that row.
	HELLO_ROW=$(grep -P '^hello:arm64\t' "$REPO/tests/fixtures/pins.tsv")
	IFS=$'\t' read -r _ HELLO_POOL HELLO_SUM HELLO_SIZE <<<"$HELLO_ROW"
	HELLO_DEB=${HELLO_POOL##*/}
	PINS=$BATS_TEST_TMPDIR/pins.tsv
	printf '# test pins\n%s\n' "$HELLO_ROW" >"$PINS"
}

# Only the verified file and its lock may remain in the cache: no temporary downloads.
assert_no_temp_files() {
	run find "$QUS_CACHE/debs" -mindepth 1 -name '.*' ! -name '*.lock'
	assert_success
	assert_output ''
}

@test "debfetch refuses a tampered .deb: exit 4, expected and actual sha256, nothing unpacked" {
	# The cache holds a wrong file, and the only mirror serves a wrong file of the right size.
	mkdir -p "$QUS_CACHE/debs" "$BATS_TEST_TMPDIR/mirror/${HELLO_POOL%/*}"
	echo 'tampered cache' >"$QUS_CACHE/debs/$HELLO_DEB"
	head -c "$HELLO_SIZE" /dev/zero >"$BATS_TEST_TMPDIR/mirror/$HELLO_POOL"
	bad_sum=$(sha256sum "$BATS_TEST_TMPDIR/mirror/$HELLO_POOL" | cut -d' ' -f1)

	run --separate-stderr env DEBIAN_MIRROR="file://$BATS_TEST_TMPDIR/mirror" \
		"$DEBFETCH" --unpack "$BATS_TEST_TMPDIR/out" "$PINS" hello:arm64
	assert_failure 4
	assert_output ''
	output=$stderr
	assert_output --partial "cached $QUS_CACHE/debs/$HELLO_DEB does not match"
	assert_output --partial "sha256 mismatch for $HELLO_DEB"
	assert_output --partial 'refusing to unpack'
	assert_output --partial "expected sha256 $HELLO_SUM"
	assert_output --partial "actual sha256 $bad_sum"
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
	# the bad download was deleted; the bad cached file was not replaced by it
	[ "$(cat "$QUS_CACHE/debs/$HELLO_DEB")" = 'tampered cache' ]
	assert_no_temp_files
}

@test "debfetch does not use a tampered cached .deb when the mirror is unreachable: exit 5" {
	mkdir -p "$QUS_CACHE/debs"
	echo 'tampered cache' >"$QUS_CACHE/debs/$HELLO_DEB"
	run --separate-stderr env DEBIAN_MIRROR=http://127.0.0.1:1 \
		"$DEBFETCH" --unpack "$BATS_TEST_TMPDIR/out" "$PINS" hello:arm64
	assert_failure 5
	assert_output ''
	output=$stderr
	assert_output --partial 'does not match its pin'
	assert_output --partial "download of http://127.0.0.1:1/$HELLO_POOL failed"
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
	assert_no_temp_files
}

@test "debfetch reports a pinned file that vanished from the archive: exit 3, re-pin with debpin" {
	printf 'hello:arm64\tpool/main/h/hello/hello_0.0-0_arm64.deb\t%s\t%s\n' "$HELLO_SUM" "$HELLO_SIZE" >"$PINS"
	run --separate-stderr "$DEBFETCH" --unpack "$BATS_TEST_TMPDIR/out" "$PINS" hello:arm64
	assert_failure 3
	assert_output ''
	output=$stderr
	assert_output --partial 'hello_0.0-0_arm64.deb'
	assert_output --partial 'vanished from the mirror'
	assert_output --partial 'HTTP 404'
	assert_output --partial 'scripts/debpin'
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
	assert_no_temp_files
}

@test "debfetch downloads, verifies and unpacks a correct pin, then serves it from the cache offline" {
	run --separate-stderr "$DEBFETCH" --unpack "$BATS_TEST_TMPDIR/out" "$PINS" hello:arm64
	assert_success
	assert_output "$QUS_CACHE/debs/$HELLO_DEB"
	[ "$(sha256sum "$QUS_CACHE/debs/$HELLO_DEB" | cut -d' ' -f1)" = "$HELLO_SUM" ]
	run "$ELFINFO" "$BATS_TEST_TMPDIR/out/usr/bin/hello"
	assert_output "$BATS_TEST_TMPDIR/out/usr/bin/hello"$'\tdynamic\t/lib/ld-linux-aarch64.so.1'
	assert_no_temp_files

	# again, with no usable mirror: the verified cached file is used
	run --separate-stderr env DEBIAN_MIRROR=http://127.0.0.1:1 "$DEBFETCH" "$PINS" hello:arm64
	assert_success
	assert_output "$QUS_CACHE/debs/$HELLO_DEB"
}

@test "debfetch replaces a corrupt cached .deb with a verified download" {
	mkdir -p "$QUS_CACHE/debs"
	echo 'truncated' >"$QUS_CACHE/debs/$HELLO_DEB"
	run --separate-stderr "$DEBFETCH" "$PINS" hello:arm64
	assert_success
	assert_output "$QUS_CACHE/debs/$HELLO_DEB"
	[ "$(sha256sum "$QUS_CACHE/debs/$HELLO_DEB" | cut -d' ' -f1)" = "$HELLO_SUM" ]
}

@test "debfetch: two concurrent downloads of the same file both succeed with one intact file" {
	"$DEBFETCH" --quiet "$PINS" hello:arm64 >"$BATS_TEST_TMPDIR/1.out" 2>&1 &
	p1=$!
	"$DEBFETCH" --quiet "$PINS" hello:arm64 >"$BATS_TEST_TMPDIR/2.out" 2>&1 &
	p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(cat "$BATS_TEST_TMPDIR/1.out")" = "$QUS_CACHE/debs/$HELLO_DEB" ]
	[ "$(cat "$BATS_TEST_TMPDIR/2.out")" = "$QUS_CACHE/debs/$HELLO_DEB" ]
	[ "$(sha256sum "$QUS_CACHE/debs/$HELLO_DEB" | cut -d' ' -f1)" = "$HELLO_SUM" ]
	assert_no_temp_files
}

@test "debfetch rejects an unknown name, a malformed pin file and a name that contradicts its file: exit 2" {
	run "$DEBFETCH" "$PINS" nosuch:arm64
	assert_failure 2
	assert_output --partial "'nosuch:arm64' is not pinned"

	printf 'hello:arm64\t%s\tnot-a-sum\t%s\n' "$HELLO_POOL" "$HELLO_SIZE" >"$PINS"
	run "$DEBFETCH" "$PINS" hello:arm64
	assert_failure 2
	assert_output --partial "$PINS:1: bad sha256"

	printf 'hello:amd64\t%s\t%s\t%s\n' "$HELLO_POOL" "$HELLO_SUM" "$HELLO_SIZE" >"$PINS"
	run "$DEBFETCH" "$PINS" hello:amd64
	assert_failure 2
	assert_output --partial "name 'hello:amd64' does not match pool file '$HELLO_DEB'"
}

@test "qemu-static/VERSION matches the version of all 7 qemu-user pins" {
	version=$(cat "$REPO/qemu-static/VERSION")
	run grep -c -P '^qemu-user:[a-z0-9]+\tpool/main/q/qemu/qemu-user_\Q'"$version"'\E_[a-z0-9]+\.deb\t[0-9a-f]{64}\t[0-9]+$' \
		"$REPO/qemu-static/pins.tsv"
	assert_success
	assert_output 7
}

# The qemu tests use the repository's cache (not QUS_CACHE) so the 71 MB .deb is downloaded once.
qemu_fetch_into() { # destroot
	(unset QUS_CACHE && "$REPO/qemu-static/fetch" "$1")
}

@test "qemu-static/fetch installs static emulators; qemu-aarch64-static --version prints the pinned version" {
	version=$(cat "$REPO/qemu-static/VERSION")
	upstream=${version%-*}
	upstream=${upstream%%+*}
	# from another directory, with a relative DESTROOT
	cd "$BATS_TEST_TMPDIR"
	root=root
	run --separate-stderr env -u QUS_CACHE "$REPO/qemu-static/fetch" "$root"
	assert_success
	assert_output ''
	output=$stderr
	assert_output --regexp "installed [0-9]+ emulators of QEMU $upstream"

	run "$root"/usr/bin/qemu-aarch64-static --version
	assert_success
	assert_line --index 0 "qemu-aarch64 version $upstream (Debian 1:$version)"

	run head -n 1 "$root"/usr/share/qemu-user-static/version
	assert_output "$version"
	run sed -n 2p "$root"/usr/share/qemu-user-static/version
	assert_output "upstream $upstream"

	# every installed file is a static ELF, mode 0755, and listed in the version file
	read -r -a targets < <(sed -n 's/^targets //p' "$root"/usr/share/qemu-user-static/version)
	[ "${#targets[@]}" -ge 20 ]
	[ "$(find "$root"/usr/bin -type f -name 'qemu-*-static' | wc -l)" -eq "${#targets[@]}" ]
	for t in "${targets[@]}"; do
		[ "$(stat -c %a "$root/usr/bin/qemu-$t-static")" = 755 ]
		run "$ELFINFO" "$root/usr/bin/qemu-$t-static"
		assert_output --regexp $'\tstatic(-pie)?$'
	done
	# Debian's alias symlinks are not installed
	[ ! -e "$root"/usr/bin/qemu-arm64-static ]

	# a second run is a no-op
	run --separate-stderr env -u QUS_CACHE "$REPO/qemu-static/fetch" "$root"
	assert_success
	output=$stderr
	assert_output --partial "already in $root"
}

@test "qemu-static/fetch refuses an arch without a pin: exit 2" {
	run "$REPO/qemu-static/fetch" --arch mips "$BATS_TEST_TMPDIR/root"
	assert_failure 2
	assert_output --partial 'no pin for qemu-user:mips'
	[ ! -e "$BATS_TEST_TMPDIR/root" ]
}

@test "tests/fixtures/fetch: each foreign busybox runs under its emulator, hello runs in rootfs-arm64" {
	qemu_fetch_into "$BATS_TEST_TMPDIR/qroot"
	q=$BATS_TEST_TMPDIR/qroot/usr/bin
	run --separate-stderr env -u QUS_CACHE "$REPO/tests/fixtures/fetch" "$BATS_TEST_TMPDIR/fx"
	assert_success
	assert_output ''

	declare -A emu=([arm64]=aarch64 [armhf]=arm [ppc64el]=ppc64le [s390x]=s390x
		[mips64el]=mips64el [riscv64]=riscv64 [i386]=i386)
	declare -A machine=([arm64]=aarch64 [armhf]=armv7l [ppc64el]=ppc64le [s390x]=s390x
		[mips64el]=mips64 [riscv64]=riscv64 [i386]=i686)
	for a in "${!emu[@]}"; do
		run "$q/qemu-${emu[$a]}-static" "$BATS_TEST_TMPDIR/fx/busybox-$a/bin/busybox" uname -m
		assert_success
		assert_output "${machine[$a]}"
	done

	root=$BATS_TEST_TMPDIR/fx/rootfs-arm64
	[ -f "$root/lib/ld-linux-aarch64.so.1" ]
	run "$q/qemu-aarch64-static" -L "$root" "$root/usr/bin/hello"
	assert_success
	assert_output 'Hello, world!'

	# idempotent
	run --separate-stderr env -u QUS_CACHE "$REPO/tests/fixtures/fetch" "$BATS_TEST_TMPDIR/fx"
	assert_success
	output=$stderr
	assert_output --partial 'up to date'
}
