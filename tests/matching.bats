#!/usr/bin/env bats
# Each of the 34 entries takes the programs of its own target and no other's:
# synthetic ELF headers, built from ELF facts (data/elf-machines.tsv), are
# executed through the kernel, with a stand-in interpreter that reports which
# entry the kernel chose.

load helpers/common

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	HEADERS=$BATS_TEST_TMPDIR/elf
	mkdir -p "$FAKE" "$HEADERS"
	local t class data machine flags
	while read -r t class data machine flags; do
		ln -s "$HELPERS/reporter" "$FAKE/qemu-$t-static"
		"$HELPERS/mkelf" "$HEADERS/$t.exec" "$class" "$data" "$machine" exec "$flags"
		"$HELPERS/mkelf" "$HEADERS/$t.dyn" "$class" "$data" "$machine" dyn "$flags"
	done < <(grep -v '^#' "$REPO/tests/data/elf-machines.tsv")
}

teardown() {
	instance_stop
}

# The emulator a target runs on: i486 programs run on qemu-i386.
interpreter_of() {
	if [ "$1" = i486 ]; then echo qemu-i386-static; else echo "qemu-$1-static"; fi
}

@test "every target not of this machine's family takes exactly its own ELF executables and shared objects" {
	run reg --reset -p yes -Q "$FAKE"
	assert_success
	local registered failures=() t kind
	registered=$(entries | sed 's/^qemu-//')
	[ "$(echo "$registered" | wc -l)" -eq 31 ]
	for t in $registered; do
		for kind in exec dyn; do
			run in_instance "$HEADERS/$t.$kind"
			[ "$output" = "$(interpreter_of "$t") $HEADERS/$t.$kind" ] ||
				failures+=("$t.$kind -> $output")
		done
	done
	[ ${#failures[@]} -eq 0 ] || { printf '%s\n' "${failures[@]}"; false; }
}

@test "i386 and i486, of this machine's family, each take their own programs when registered by name" {
	HOST_ARCH=aarch64 run reg -p yes -Q "$FAKE" i486
	assert_success
	run in_instance "$HEADERS/i486.exec"
	assert_output "qemu-i386-static $HEADERS/i486.exec"
	# No entry takes an i386 header yet: the kernel's own ELF loader refuses it
	# (ENOEXEC; nsenter's execvp then hands it to sh, which fails too).
	run -127 in_instance "$HEADERS/i386.exec"
	refute_output --partial "qemu-"
	HOST_ARCH=aarch64 run reg -p yes -Q "$FAKE" i386
	assert_success
	run in_instance "$HEADERS/i386.dyn"
	assert_output "qemu-i386-static $HEADERS/i386.dyn"
}

@test "no register string matches another target's executables (all 34, both ELF types)" {
	# Two dry runs together print all 34 strings: this host's 31, and from an
	# aarch64 host with --ignore-family, i386, i486 and x86_64.
	local lines
	lines=$({ "$REGISTER" --dry-run; HOST_ARCH=aarch64 "$REGISTER" --dry-run -i yes; } | sort -u)
	[ "$(echo "$lines" | wc -l)" -eq 34 ]
	local failures=() line owner t kind
	while read -r line; do
		owner=${line#:qemu-}
		owner=${owner%%:*}
		for t in $(all_targets); do
			for kind in exec dyn; do
				if "$HELPERS/binfmt-match" "$line" "$HEADERS/$t.$kind"; then
					[ "$t" = "$owner" ] || failures+=("qemu-$owner matches $t.$kind")
				else
					[ "$t" != "$owner" ] || failures+=("qemu-$owner misses $t.$kind")
				fi
			done
		done
	done <<<"$lines"
	[ ${#failures[@]} -eq 0 ] || { printf '%s\n' "${failures[@]}"; false; }
}

@test "x86_64's register string, never registered live here, matches an x86_64 header" {
	run env HOST_ARCH=aarch64 "$REGISTER" --dry-run x86_64
	assert_success
	assert_output --regexp '^:qemu-x86_64:M::'
	"$HELPERS/binfmt-match" "$output" "$HEADERS/x86_64.exec"
	"$HELPERS/binfmt-match" "$output" "$HEADERS/x86_64.dyn"
	# ... and this very program, an x86_64 executable.
	"$HELPERS/binfmt-match" "$output" "$REGISTER"
}

@test "big-endian microblaze programs reach qemu-microblaze, which QEMU's own magic never does" {
	run reg -p yes -Q "$FAKE" microblaze microblazeel
	assert_success
	run in_instance "$HEADERS/microblaze.exec"
	assert_output "qemu-microblaze-static $HEADERS/microblaze.exec"
	run in_instance "$HEADERS/microblazeel.exec"
	assert_output "qemu-microblazeel-static $HEADERS/microblazeel.exec"
	# QEMU's table has the e_type bytes of a little-endian file (\x02\x00).
	local qemu_magic='\x7fELF\x01\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xba\xab'
	local qemu_mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
	run "$HELPERS/binfmt-match" ":qemu-microblaze:M::$qemu_magic:$qemu_mask:/x:" "$HEADERS/microblaze.exec"
	assert_failure 1
	run "$HELPERS/binfmt-match" ":qemu-microblaze:M::$qemu_magic:$qemu_mask:/x:" "$HEADERS/microblaze.dyn"
	assert_failure 1
}
