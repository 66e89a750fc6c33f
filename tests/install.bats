#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr is set by `run --separate-stderr`
# tonistiigi/binfmt compatibility, as docker/setup-qemu-action drives it:
# --install, --uninstall, and the JSON document on stdout.

load helpers/common

setup() {
	instance_start
}

teardown() {
	instance_stop
}

@test "--install arm64,riscv64 registers exactly those, with P, O, C and F, and prints the JSON status on stdout only" {
	run --separate-stderr reg --install arm64,riscv64 -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries)" "$(printf 'qemu-aarch64\nqemu-riscv64')"
	assert_equal "$(entry_field qemu-aarch64 flags:)" POCF
	assert_equal "$(entry_field qemu-riscv64 interpreter)" "$QEMU_BIN/qemu-riscv64-static"
	assert_equal "$(jq -c .emulators <<<"$output")" '["qemu-aarch64","qemu-riscv64"]'
	# Progress and the credentials note go to stderr.
	[[ $stderr == *"Setting $QEMU_BIN/qemu-aarch64-static as binfmt interpreter for aarch64"* ]]
	[[ $stderr == *"note: --credential yes: setuid programs"* ]]
	# And the programs run.
	run in_instance "$FIXTURES/busybox-riscv64/bin/busybox" uname -m
	assert_output riscv64
}

@test "--install takes QEMU names, Go and Debian arch names and platforms; -p no -c no -g no turn the flags off" {
	run reg --install aarch64,386,linux/arm/v7,mips64le,loong64,ppc64el -p no -c no -g no -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries)" "$(printf 'qemu-aarch64\nqemu-arm\nqemu-loongarch64\nqemu-mips64el\nqemu-ppc64le')"
	assert_equal "$(entry_field qemu-arm flags:)" ""
	# 386 is this machine's own family: skipped, with a note.
	assert_output --partial "note: skipping i386: i386 is of this machine's family"
}

@test "--install all registers every shipped emulator not native to this machine" {
	run --separate-stderr reg --install all -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries | wc -l)" 31
	assert_equal "$(jq '.emulators | length' <<<"$output")" 31
	run entries
	refute_line qemu-x86_64
	refute_line qemu-i386
}

@test "--install keeps an existing entry, even a different one, as tonistiigi/binfmt does" {
	reg -p no -Q /somewhere/else aarch64 >/dev/null
	local before
	before=$(entry qemu-aarch64)
	run reg --install arm64 -Q "$QEMU_BIN"
	assert_success
	assert_output --partial "note: qemu-aarch64: already registered differently (interpreter /somewhere/else/qemu-aarch64-static, flags: ); left as is: --uninstall it first to replace it"
	assert_equal "$(entry qemu-aarch64)" "$before"
}

@test "an unknown --install name exits 2 and changes nothing" {
	run reg --install arm64,vax -Q "$QEMU_BIN"
	assert_failure 2
	assert_line --partial "register: unknown target 'vax' in --install"
	assert_equal "$(entries)" ""
}

@test "--uninstall 'qemu-*' removes every QEMU entry and nothing else; --uninstall aarch64 only that one" {
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':WSLInterop:M::MZ::/init:P'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
	reg --install arm64,riscv64,s390x -Q "$QEMU_BIN" >/dev/null 2>&1
	run --separate-stderr reg --uninstall aarch64
	assert_success
	assert_equal "$(entries)" "$(printf 'WSLInterop\njar\npython3.11\nqemu-riscv64\nqemu-s390x')"
	assert_equal "$(jq -c .emulators <<<"$output")" '["WSLInterop","jar","python3.11","qemu-riscv64","qemu-s390x"]'
	run reg --uninstall 'qemu-*'
	assert_success
	assert_equal "$(entries)" "$(printf 'WSLInterop\njar\npython3.11')"
	# A glob never reaches other tools' entries; only their exact name does.
	run reg --uninstall '*'
	assert_equal "$(entries)" "$(printf 'WSLInterop\njar\npython3.11')"
	run reg --uninstall jar
	assert_equal "$(entries)" "$(printf 'WSLInterop\npython3.11')"
}

@test "setup-qemu-action's sequence: --install all, then a bare run whose stdout is JSON with the supported platforms" {
	reg --install all -Q "$QEMU_BIN" >/dev/null 2>&1
	run --separate-stderr reg
	assert_success
	assert_equal "$stderr" ""
	jq -e . <<<"$output" >/dev/null
	assert_equal "$(jq -r '.supported | index("linux/amd64") != null' <<<"$output")" true
	assert_equal "$(jq '.emulators | length' <<<"$output")" 31
}
