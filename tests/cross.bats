#!/usr/bin/env bats
# scripts/cross-build: `register` for each platform of the image, built with clang-19 against
# musl, is a static ELF executable of that platform's machine, class and byte order, and runs
# under that platform's pinned emulator (invoked explicitly: nothing is registered here).

load helpers/common

CROSS=$BUILD/cross
export CROSS

# Built once for the whole file; the log and the time it took are kept for the tests.
setup_file() {
	local start=$SECONDS
	"$REPO/scripts/cross-build" --all "$CROSS" >"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/build.log"
		echo "scripts/cross-build --all $CROSS failed"
		return 1
	}
	echo $((SECONDS - start)) >"$BATS_FILE_TMPDIR/build.seconds"
}

# The first 20 bytes of FILE as decimal numbers, one per array element, in HDR.
read_header() {
	read -r -a HDR <<<"$(od -An -v -tu1 -N20 -- "$1" | tr '\n' ' ')"
}

# check_platform DEBARCH QEMU-TARGET CLASS DATA E_MACHINE HOST-NAME FAMILY...
#   CLASS 32|64, DATA le|be, E_MACHINE decimal (ELF spec / psABI), HOST-NAME what register
#   normalizes that machine's `uname -m` to, FAMILY the targets register leaves out on it.
check_platform() {
	local arch=$1 target=$2 class=$3 data=$4 machine=$5 host=$6
	shift 6
	local family=("$@") out=$CROSS/$arch/register emu t
	[ -f "$out" ] || fail "$out was not built"

	read_header "$out"
	assert_equal "${HDR[*]:0:4}" "127 69 76 70"
	assert_equal "${HDR[4]}" "$([ "$class" = 64 ] && echo 2 || echo 1)"
	assert_equal "${HDR[5]}" "$([ "$data" = be ] && echo 2 || echo 1)"
	if [ "$data" = le ]; then
		assert_equal "$((HDR[16] | HDR[17] << 8))" 2 # ET_EXEC: not PIE
		assert_equal "$((HDR[18] | HDR[19] << 8))" "$machine"
	else
		assert_equal "$((HDR[16] << 8 | HDR[17]))" 2
		assert_equal "$((HDR[18] << 8 | HDR[19]))" "$machine"
	fi
	run "$REPO/scripts/elfinfo" "$out"
	assert_output "$out"$'\t'static # no PT_INTERP

	# amd64 runs on this x86_64 machine's own kernel; the others through their emulator.
	if [ "$arch" = amd64 ]; then
		[ "$(uname -m)" = x86_64 ] || fail "amd64 is run natively: this needs an x86_64 host"
		emu=()
	else
		[ -x "$QEMU_BIN/qemu-$target-static" ] ||
			fail "$QEMU_BIN/qemu-$target-static missing: run qemu-static/fetch $BUILD/rootfs"
		emu=("$QEMU_BIN/qemu-$target-static")
	fi

	run "${emu[@]}" "$out" --version
	assert_success
	assert_output "register $(tr -d '[:space:]' <"$REPO/VERSION")"

	# No HOST_ARCH: register asks uname(2), which the emulator answers for its own machine.
	run "${emu[@]}" "$out" --dry-run
	assert_success
	assert_equal "${#lines[@]}" $((34 - ${#family[@]}))
	for t in "${family[@]}"; do refute_line --regexp "^:qemu-$t:"; done
	refute_line --regexp '^[^:]' # nothing but register strings
	# Same strings as the native build gives for that host: the tables survive the byte order.
	[ -x "$REGISTER" ] || fail "$REGISTER missing: run make"
	assert_equal "$output" "$(HOST_ARCH=$host "$REGISTER" --dry-run)"
}

@test "amd64: static x86-64 ELF, runs, plans the 31 targets outside x86's family" {
	check_platform amd64 x86_64 64 le 62 x86_64 i386 i486 x86_64
}

@test "arm64: static AArch64 ELF, runs under qemu-aarch64, plans 32 targets" {
	check_platform arm64 aarch64 64 le 183 aarch64 arm aarch64
}

@test "armhf: static ARM hard-float EABI5 ELF, runs under qemu-arm on a Cortex-A7, plans 32 targets" {
	check_platform armhf arm 32 le 40 arm arm aarch64
	# e_flags: EABI version 5, hard-float calling convention.
	assert_equal "$(od -An -tx4 -j36 -N4 -- "$CROSS/armhf/register" | tr -d ' ')" 05000400
	# Debian's armhf baseline is ARMv7: the binary must not need more.
	run "$QEMU_BIN/qemu-arm-static" -cpu cortex-a7 "$CROSS/armhf/register" --version
	assert_success
}

@test "i386: static i386 ELF, runs under qemu-i386, plans the 31 targets outside x86's family" {
	check_platform i386 i386 32 le 3 i386 i386 i486 x86_64
}

@test "ppc64el: static little-endian PowerPC64 ELFv2, runs under qemu-ppc64le, plans 33 targets" {
	check_platform ppc64el ppc64le 64 le 21 ppc64le ppc64le
	assert_equal "$(od -An -tx4 -j48 -N4 -- "$CROSS/ppc64el/register" | tr -d ' ')" 00000002
}

@test "s390x: static big-endian S/390 ELF, runs under qemu-s390x, plans 33 targets" {
	check_platform s390x s390x 64 be 22 s390x s390x
}

@test "riscv64: static RISC-V ELF (RVC, double-float ABI), runs under qemu-riscv64, plans 32 targets" {
	check_platform riscv64 riscv64 64 le 243 riscv64 riscv32 riscv64
	assert_equal "$(od -An -tx4 -j48 -N4 -- "$CROSS/riscv64/register" | tr -d ' ')" 00000005
}

@test "--all builds the seven well under 2 minutes" {
	local s
	s=$(cat "$BATS_FILE_TMPDIR/build.seconds")
	[ "$s" -lt 60 ] || fail "scripts/cross-build --all took ${s}s"
	run ls "$CROSS"
	assert_output "$(printf '%s\n' amd64 arm64 armhf i386 ppc64el riscv64 s390x)"
}

@test "a second build reuses the sysroot and gives the same bytes" {
	local stamp=${QUS_CACHE:-$REPO/.cache}/sysroots/riscv64/.pins before
	before=$(stat -c %Y.%i -- "$stamp")
	run "$REPO/scripts/cross-build" riscv64 "$BATS_TEST_TMPDIR/register"
	assert_success
	assert_equal "$(stat -c %Y.%i -- "$stamp")" "$before"
	cmp -- "$BATS_TEST_TMPDIR/register" "$CROSS/riscv64/register"
}

@test "an unknown architecture or a missing argument fails with a message and status 2" {
	run -2 "$REPO/scripts/cross-build" sparc64 "$BATS_TEST_TMPDIR/register"
	assert_output --partial "unknown DEBARCH 'sparc64'"
	[ ! -e "$BATS_TEST_TMPDIR/register" ]
	run -2 "$REPO/scripts/cross-build" arm64
	assert_output --partial "Usage:"
}
