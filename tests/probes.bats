#!/usr/bin/env bats
# The platform probes: tiny static programs built from probes/*.S, embedded
# in register, run through the kernel to learn which platforms really run
# here ("supported" of the JSON status, as tonistiigi/binfmt prints it).

load helpers/common

PROBES=$BUILD/probes
PROBE_RUN=$BUILD/test/probe-run

# name, QEMU target, ELF class (1: 32-bit, 2: 64-bit), byte order (1: little,
# 2: big), e_machine, platform
PROBE_TABLE="arm64 aarch64 2 1 183 linux/arm64
arm-v7 arm 1 1 40 linux/arm/v7
arm-v6 arm 1 1 40 linux/arm/v6
riscv64 riscv64 2 1 243 linux/riscv64
ppc64le ppc64le 2 1 21 linux/ppc64le
s390x s390x 2 2 22 linux/s390x
386 i386 1 1 3 linux/386
mips64le mips64el 2 1 8 linux/mips64le
mips64 mips64 2 2 8 linux/mips64
loong64 loongarch64 2 1 258 linux/loong64
amd64 x86_64 2 1 62 linux/amd64"

# What register must find supported once every emulator is registered.
EMULATED="linux/arm64 linux/riscv64 linux/ppc64le linux/s390x linux/arm/v7 linux/arm/v6
linux/mips64le linux/mips64 linux/loong64"

setup_file() {
	local f
	for f in "$BUILD/probes.c" "$PROBE_RUN" "$REGISTER" "$QEMU_BIN/qemu-aarch64-static"; do
		[ -e "$f" ] || {
			echo "$f missing: run 'make build/register build/test/probe-run qemu'" >&2
			return 1
		}
	done
	command -v jq >/dev/null || {
		echo "jq missing: run 'make test-deps'" >&2
		return 1
	}
}

teardown() {
	instance_stop
}

# Unsigned integer of LEN bytes at OFFSET of FILE, in byte order ORDER (1 or 2).
elf_uint() {
	local file=$1 offset=$2 len=$3 order=$4 v=0 b
	local -a bytes
	read -r -a bytes <<<"$(od -An -v -tu1 -j "$offset" -N "$len" "$file" | tr -s ' \n' ' ')"
	[ "$order" = 1 ] && mapfile -t bytes < <(printf '%s\n' "${bytes[@]}" | tac)
	for b in "${bytes[@]}"; do v=$((v * 256 + b)); done
	echo "$v"
}

# The platforms this machine runs natively, as register's probe code sees them.
natives() {
	"$PROBE_RUN" --native
}

# The "supported" list of register's JSON status inside the instance, one per line.
supported() {
	reg | jq -r '.supported[]'
}

@test "each probe is a small static ELF of its platform's class, byte order and machine, without sections" {
	local name target class order machine platform size
	while read -r name target class order machine platform; do
		[ -f "$PROBES/$name" ] || fail "$PROBES/$name was not built"
		run "$REPO/scripts/elfinfo" "$PROBES/$name"
		assert_output "$PROBES/$name	static"
		[ "$(elf_uint "$PROBES/$name" 4 1 1)" = "$class" ] || fail "$name: ELF class is not $class"
		[ "$(elf_uint "$PROBES/$name" 5 1 1)" = "$order" ] || fail "$name: byte order is not $order"
		[ "$(elf_uint "$PROBES/$name" 18 2 "$order")" = "$machine" ] ||
			fail "$name: e_machine is $(elf_uint "$PROBES/$name" 18 2 "$order"), not $machine"
		# No section headers: only what the kernel and QEMU read (e_shnum 0).
		[ "$(elf_uint "$PROBES/$name" $((class == 2 ? 60 : 48)) 2 "$order")" = 0 ] ||
			fail "$name still has section headers"
		size=$(stat -c %s "$PROBES/$name")
		[ "$size" -ge 150 ] && [ "$size" -le 700 ] || fail "$name is $size bytes, not 150-700"
	done <<<"$PROBE_TABLE"
}

@test "each probe falls to its own target's binfmt_misc entry and to no other" {
	local name target class order machine platform host line entry matched
	while read -r name target class order machine platform; do
		# Any host outside the probe's family, so that its entry is planned.
		host=s390x
		[ "$target" = s390x ] && host=x86_64
		matched=
		while IFS= read -r line; do
			entry=${line#:}
			entry=${entry%%:*}
			if "$HELPERS/binfmt-match" "$line" "$PROBES/$name"; then
				matched="$matched $entry"
			fi
		done < <(HOST_ARCH=$host "$REGISTER" --dry-run -i yes 2>/dev/null)
		[ "$matched" = " qemu-$target" ] || fail "$name matches [$matched ], not qemu-$target"
	done <<<"$PROBE_TABLE"
}

@test "each probe prints exactly its line under its emulator, called directly" {
	local name target class order machine platform
	while read -r name target class order machine platform; do
		run "$QEMU_BIN/qemu-$target-static" "$PROBES/$name"
		assert_success
		assert_output "qus-probe $platform"
	done <<<"$PROBE_TABLE"
}

@test "the ARMv7 probe dies with SIGILL on an ARMv6 CPU (arm1176), the ARMv6 probe runs there" {
	run "$QEMU_BIN/qemu-arm-static" -cpu arm1176 "$PROBES/arm-v7"
	assert_equal "$status" 132
	refute_output --partial "qus-probe"
	run "$QEMU_BIN/qemu-arm-static" -cpu arm1176 "$PROBES/arm-v6"
	assert_success
	assert_output "qus-probe linux/arm/v6"
	run "$QEMU_BIN/qemu-arm-static" -cpu cortex-a7 "$PROBES/arm-v7"
	assert_success
	assert_output "qus-probe linux/arm/v7"
}

@test "register embeds exactly the built probes, byte for byte" {
	local name target class order machine platform ident
	run "$PROBE_RUN" --embedded
	assert_success
	assert_equal "${#lines[@]}" "$(wc -l <<<"$PROBE_TABLE")"
	while read -r name target class order machine platform; do
		assert_line "$platform $target $(stat -c %s "$PROBES/$name")"
		ident=probe_${name//-/_}
		# The C array's bytes against the file's.
		diff <(sed -n "/^static const unsigned char $ident\[\] = {/,/^};/p" "$BUILD/probes.c" |
			grep -o '0x[0-9a-f][0-9a-f]' | sed 's/^0x//') \
			<(od -An -v -tx1 "$PROBES/$name" | tr -s ' \n' '\n' | sed '/^$/d') ||
			fail "$ident in build/probes.c differs from $PROBES/$name"
	done <<<"$PROBE_TABLE"
}

@test "probe_run: a program that prints its line and exits 0 ran, and leaves no fd or child behind" {
	printf '#!/bin/sh\necho "qus-probe linux/test"\n' >"$BATS_TEST_TMPDIR/good"
	run "$PROBE_RUN" "$BATS_TEST_TMPDIR/good" linux/test
	assert_success
	assert_line --index 0 "ran"
	assert_line --index 1 "fds: same"
	assert_line --index 2 "children: none"
}

@test "probe_run: a wrong line, a failing exit status, or too much output is not running" {
	local t="$BATS_TEST_TMPDIR"
	printf '#!/bin/sh\necho "qus-probe linux/other"\n' >"$t/other"
	printf '#!/bin/sh\necho "qus-probe linux/test"\nexit 3\n' >"$t/status"
	printf '#!/bin/sh\nprintf "qus-probe linux/test"\n' >"$t/nonewline"
	printf '#!/bin/sh\nhead -c 5000 /dev/zero | tr "\\\\0" x\necho\necho "qus-probe linux/test"\n' >"$t/flood"
	printf 'not a program\n' >"$t/garbage"
	for f in other status nonewline flood garbage; do
		run "$PROBE_RUN" "$t/$f" linux/test
		assert_failure 1
		assert_line --index 0 "did not run"
		assert_line --index 1 "fds: same"
		assert_line --index 2 "children: none"
	done
}

@test "probe_run: an emulator's chatter on stdout around the line does not hide it" {
	# qemu-ppc64le 10.0 prints "Could not resolve /dev/fd/N" before the program's line.
	printf '#!/bin/sh\necho "Could not resolve /dev/fd/4"\necho "qus-probe linux/test"\n' \
		>"$BATS_TEST_TMPDIR/chatter"
	run "$PROBE_RUN" "$BATS_TEST_TMPDIR/chatter" linux/test
	assert_success
	assert_line --index 0 "ran"
}

@test "probe_run: the program gets an empty environment and /dev/null for stdin" {
	printf '#!/bin/sh\n[ -z "$QEMU_CPU$HOME" ] && ! read -r x && echo "qus-probe linux/test"\n' \
		>"$BATS_TEST_TMPDIR/clean"
	QEMU_CPU=arm1176 run "$PROBE_RUN" "$BATS_TEST_TMPDIR/clean" linux/test <<<"input"
	assert_success
	assert_line --index 0 "ran"
}

@test "probe_run: a program that hangs is killed after 5 s and reaped" {
	local t="$BATS_TEST_TMPDIR" ms pid
	printf '#!/bin/sh\necho $$ > "%s"\nexec sleep 60\n' "$t/hang.pid" >"$t/hang"
	printf '#!/bin/sh\necho $$ > "%s"\necho "qus-probe linux/test"\nexec >&-\nexec sleep 60\n' \
		"$t/linger.pid" >"$t/linger"
	for f in hang linger; do
		run "$PROBE_RUN" "$t/$f" linux/test
		assert_failure 1
		assert_line --index 0 "did not run"
		assert_line --index 1 "fds: same"
		assert_line --index 2 "children: none"
		ms=${lines[3]#ms: }
		[ "$ms" -ge 4900 ] && [ "$ms" -le 6500 ] || fail "$f: gave up after $ms ms, not 5 s"
		pid=$(cat "$t/$f.pid")
		! kill -0 "$pid" 2>/dev/null || fail "$f: process $pid still runs"
	done
}

@test "probe_run: an ignored SIGCHLD inherited from the caller does not hide the exit status" {
	printf '#!/bin/sh\necho "qus-probe linux/test"\n' >"$BATS_TEST_TMPDIR/good"
	# bash passes an ignored signal on through exec: the kernel would reap
	# our child itself, and waitpid() would find nothing.
	run bash -c 'trap "" CHLD; grep -q "^SigIgn:.*[1-9a-f]....$" /proc/self/status && exec "$@"' \
		bash "$PROBE_RUN" "$BATS_TEST_TMPDIR/good" linux/test
	assert_success
	assert_line --index 0 "ran"
	assert_line --index 2 "children: none"
}

@test "probe_run: without /dev/null (a FROM-scratch container) the native probe still runs" {
	local native name
	native=$(natives | head -n1)
	name=$(awk -v p="$native" '$6 == p { print $1 }' <<<"$PROBE_TABLE")
	[ -n "$name" ] || fail "no probe for the native platform $native"
	instance_start
	run in_instance sh -c 'mount -t tmpfs none /dev && [ ! -e /dev/null ] && exec "$1" "$2" "$3"' \
		sh "$PROBE_RUN" "$PROBES/$name" "$native"
	assert_success
	assert_line --index 0 "ran"
	assert_line --index 1 "fds: same"
}

@test "native platforms: uname's platform first; on x86_64 the levels the CPU has, per /proc/cpuinfo" {
	run natives
	assert_success
	case $(uname -m) in
	x86_64) ;;
	aarch64) assert_line --index 0 "linux/arm64"; refute_output --partial "amd64"; return ;;
	*) refute_output --partial "amd64/v"; return ;;
	esac
	assert_line --index 0 "linux/amd64"
	# Exactly the levels /proc/cpuinfo names, in order.
	assert_equal "$(grep '^linux/amd64' <<<"$output")" "$(cpuinfo_amd64_platforms)"
}

@test "supported: every registered emulator's platform, plus the native ones, and only platforms that ran" {
	local p
	instance_start
	reg --reset -p yes -Q "$QEMU_BIN" >/dev/null
	run supported
	assert_success
	for p in $EMULATED $(natives); do
		assert_line "$p"
	done
	# Nothing listed twice, and the natives first, in their order.
	assert_equal "$(sort <<<"$output" | uniq -d)" ""
	assert_equal "$(head -n "$(natives | wc -l)" <<<"$output")" "$(natives)"
	run reg
	assert_success
	run jq -e '.emulators | index("qemu-aarch64") != null' <<<"$output"
	assert_success
}

@test "supported: disabling qemu-aarch64 removes linux/arm64, disabling qemu-arm removes arm/v7 and arm/v6" {
	instance_start
	reg --reset -p yes -Q "$QEMU_BIN" >/dev/null
	in_instance sh -c 'echo 0 > "$1/qemu-aarch64"' sh "$BINFMT"
	assert_equal "$(entry qemu-aarch64 | head -n1)" "disabled"
	run supported
	refute_line "linux/arm64"
	assert_line "linux/riscv64"
	assert_line "linux/arm/v7"
	in_instance sh -c 'echo 0 > "$1/qemu-arm"' sh "$BINFMT"
	run supported
	refute_line "linux/arm/v7"
	refute_line "linux/arm/v6"
	assert_line "linux/s390x"
	in_instance sh -c 'echo 1 > "$1/qemu-aarch64"' sh "$BINFMT"
	run supported
	assert_line "linux/arm64"
}

@test "supported: with no entries, or with entries whose emulator does not run the probe, only native platforms" {
	instance_start
	assert_equal "$(entries)" ""
	run supported
	assert_success
	assert_output "$(natives)"
	# Every entry enabled, but served by a stand-in that prints something else:
	# an entry alone is not support, the probe has to run.
	make_fake_qemu "$BATS_TEST_TMPDIR/fake"
	reg --reset -p yes -Q "$BATS_TEST_TMPDIR/fake" >/dev/null
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$BATS_TEST_TMPDIR/fake/qemu-aarch64-static"
	run supported
	assert_success
	assert_output "$(natives)"
}

@test "supported: all probes together take well under a second or two" {
	local start end
	instance_start
	reg --reset -p yes -Q "$QEMU_BIN" >/dev/null
	start=$(date +%s%N)
	reg >/dev/null
	end=$(date +%s%N)
	[ $(((end - start) / 1000000)) -lt 3000 ] || fail "status with probes took $(((end - start) / 1000000)) ms"
}

# issue 11, items 10 and 11
@test "supported: with every emulator hung, the probes run at once under one deadline (under 6 s), and nothing they started is left running" {
	local hung=$BATS_TEST_TMPDIR/hung start ms
	make_hung_qemu "$hung"
	instance_start
	reg --reset -p yes -Q "$hung" >/dev/null
	start=$(date +%s%N)
	run reg
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_success
	# Only the natives: no emulated probe ran.
	assert_equal "$(jq -r '.supported[]' <<<"$output")" "$(natives)"
	# Each hung probe started its stand-in and a child of it: 9 probes, 18 processes.
	assert_equal "$(wc -l <"$hung/pids")" 18
	run hung_left "$hung"
	hung_stop "$hung"
	assert_output ""
	echo "# JSON status with 9 probes hung: $ms ms" >&3
	[ "$ms" -lt 6000 ] || fail "the JSON status with every probe hung took $ms ms"
}
