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
	local shipped=$BUILD/register
	run file "$shipped"
	assert_output --partial "statically linked"
	assert_output --partial "stripped"
	refute_output --partial "not stripped"
	local size
	size=$(stat -c %s "$shipped")
	echo "size: $size bytes"
	[ "$size" -le 102400 ]
}

# --- QEMU's own rules for x86 hosts (issue 11, item 13) -------------------

# The entries a dry run with HOST_ARCH=$1 and ARGS would register, among
# i386, i486 and x86_64, one per line.
x86_family_of() {
	local host=$1
	shift
	HOST_ARCH=$host "$REGISTER" --dry-run "$@" | cut -d: -f2 |
		grep -x -e qemu-i386 -e qemu-i486 -e qemu-x86_64 || true
}

@test "every x86 host name: -i yes registers what QEMU's script does (i486 is i386 for the exact-host check)" {
	local host
	for host in i386 i486 i586 i686; do
		# An i386-family kernel runs EM_486 programs itself: no qemu-i486.
		assert_equal "$(x86_family_of "$host" -i yes)" qemu-x86_64
		assert_equal "$(x86_family_of "$host")" ""
		run env HOST_ARCH="$host" "$REGISTER" --dry-run -i yes
		assert_success
		assert_equal "${#lines[@]}" 32
	done
	for host in x86_64 amd64; do
		assert_equal "$(x86_family_of "$host" -i yes)" "$(printf 'qemu-i386\nqemu-i486')"
		assert_equal "$(x86_family_of "$host")" ""
		run env HOST_ARCH="$host" "$REGISTER" --dry-run -i yes
		assert_equal "${#lines[@]}" 33
	done
	# The files of -s ALL follow the same plan.
	run env HOST_ARCH=i686 "$REGISTER" -s ALL -i yes -e "$BATS_TEST_TMPDIR/binfmt.d"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/binfmt.d/qemu-x86_64.conf" ]
	[ ! -e "$BATS_TEST_TMPDIR/binfmt.d/qemu-i486.conf" ]
	[ ! -e "$BATS_TEST_TMPDIR/binfmt.d/qemu-i386.conf" ]
	# Named on the line, i486 on an i386 host is skipped the same way.
	run env HOST_ARCH=i686 "$REGISTER" --dry-run -i yes i486
	assert_success
	assert_output "register: note: skipping i486: i486 runs on this machine's own architecture (i386)"
}

# --- GNU getopt's spellings, as QEMU's script accepts them (item 14) ------

@test "unambiguous long-option abbreviations mean their option, as GNU getopt_long has them" {
	local want
	want=$("$REGISTER" --dry-run --persistent yes --credential yes --preserve-argv0 yes \
		--qemu-path "$QEMU_BIN" --qemu-suffix -static aarch64)
	run "$REGISTER" --dry --persist yes --cred yes --preserve yes --qemu-p "$QEMU_BIN" \
		--qemu-s -static aarch64
	assert_success
	assert_output "$want"
	run "$REGISTER" --dry-run --persist=yes --ign yes --qemu-p="$QEMU_BIN" i386
	assert_success
	assert_output --partial ":qemu-i386:"
	assert_output --partial ":F"
	run "$REGISTER" --deb --export "$BATS_TEST_TMPDIR/debian" aarch64
	assert_success
	[ -e "$BATS_TEST_TMPDIR/debian/qemu-aarch64" ]
	run "$REGISTER" --sys aarch64 --exp "$BATS_TEST_TMPDIR/systemd"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/systemd/qemu-aarch64.conf" ]
	run "$REGISTER" --vers
	assert_success
	assert_output "register $(cat "$REPO/VERSION")"
}

@test "an ambiguous abbreviation is a usage error (exit 2) that lists the options it could mean" {
	run "$REGISTER" --dry-run --qemu /x
	assert_failure 2
	assert_line "register: option '--qemu' is ambiguous; possibilities: '--qemu-path' '--qemu-suffix'"
	run "$REGISTER" --d
	assert_failure 2
	assert_line "register: option '--d' is ambiguous; possibilities: '--dry-run' '--debian' '--doctor'"
	run "$REGISTER" --p yes
	assert_failure 2
	assert_line "register: option '--p' is ambiguous; possibilities: '--persistent' '--preserve-argv0' '--private-instance'"
	run "$REGISTER" --resetx
	assert_failure 2
	assert_line "register: unknown option '--resetx'"
}

@test "bundled short options (-dpyes) mean each option in turn, as GNU getopt has them" {
	local dir=$BATS_TEST_TMPDIR want
	"$REGISTER" -d -p yes -c yes -e "$dir/want" >/dev/null
	run "$REGISTER" -dpyes -cyes -e "$dir/bundled"
	assert_success
	assert_equal "$(cd "$dir/bundled" && cat ./*)" "$(cd "$dir/want" && cat ./*)"
	run "$REGISTER" -dp yes -e "$dir/spaced"
	assert_success
	assert_equal "$(cat "$dir/spaced/qemu-aarch64")" "$("$REGISTER" -d -p yes -e "$dir/x" >/dev/null; cat "$dir/x/qemu-aarch64")"
	want=$("$REGISTER" -s aarch64 -d 2>&1 || true)
	run "$REGISTER" -ds aarch64
	assert_failure 2
	assert_output "$want"
	run "$REGISTER" -hd
	assert_success
	assert_line --index 0 "Usage: register [OPTION]... [TARGET]..."
	run "$REGISTER" -dx
	assert_failure 2
	assert_line "register: unknown option '-x' (in '-dx')"
}
