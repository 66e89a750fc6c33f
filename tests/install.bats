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
	# tonistiigi/binfmt's lines, on stderr, and nothing else.
	assert_equal "$stderr" $'installing: arm64 OK\ninstalling: riscv64 OK'
	# And the programs run.
	run in_instance "$FIXTURES/busybox-riscv64/bin/busybox" uname -m
	assert_output riscv64
}

@test "--install takes QEMU names, Go and Debian arch names and platforms; -p no -c no -g no turn the flags off" {
	run reg --install aarch64,386,linux/arm/v7,mips64le,loong64,ppc64el -p no -c no -g no -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries)" "$(printf 'qemu-aarch64\nqemu-arm\nqemu-loongarch64\nqemu-mips64el\nqemu-ppc64le')"
	assert_equal "$(entry_field qemu-arm flags:)" ""
	# 386 is this machine's own family: skipped, and said so on its line.
	assert_line "installing: 386 skipped: i386 is of this machine's family (i386) and runs natively; --ignore-family yes registers it"
	assert_line "installing: arm OK"
	assert_line "installing: mips64le OK"
}

# tonistiigi/binfmt's ten architectures (cmd/binfmt/config.go), less
# amd64 and 386, which run natively here.
INSTALL_ALL="qemu-aarch64 qemu-arm qemu-loongarch64 qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x"

@test "--install all registers tonistiigi/binfmt's set less this machine's own: 8 entries here, one tonistiigi line each" {
	run --separate-stderr reg --install all -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries | tr '\n' ' ')" "$INSTALL_ALL "
	assert_equal "$(jq -r '.emulators | join(" ")' <<<"$output")" "$INSTALL_ALL"
	assert_equal "$(entry_field qemu-loongarch64 flags:)" POCF
	assert_equal "$stderr" "$(printf 'installing: %s OK\n' arm ppc64le mips64 mips64le s390x arm64 riscv64 loong64)"
	# The other targets stay available by name, and through --reset -p yes.
	run reg --install aarch64_be,sparc64 -Q "$QEMU_BIN"
	assert_success
	assert_line "installing: aarch64_be OK"
	assert_line "installing: sparc64 OK"
	run reg --reset -p yes -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(entries | wc -l)" 31
}

@test "tonistiigi/binfmt's check: after --install all, --uninstall aarch64,riscv64 leaves no emulator named *aarch64* or *riscv64*" {
	reg --install all -Q "$QEMU_BIN" >/dev/null 2>&1
	run --separate-stderr reg --uninstall aarch64,riscv64
	assert_success
	assert_equal "$stderr" $'uninstalling: aarch64 OK\nuninstalling: riscv64 OK'
	run jq -r '.emulators[]' <<<"$output"
	refute_output --partial aarch64
	refute_output --partial riscv64
	assert_line qemu-arm
	assert_line qemu-ppc64le
}

@test "tonistiigi/binfmt's lines: installing: ARCH OK, ... already registered, a failure's cause; uninstalling: NAME OK, ... not found" {
	run --separate-stderr reg --install linux/arm64,riscv64 -Q "$QEMU_BIN"
	assert_equal "$stderr" $'installing: arm64 OK\ninstalling: riscv64 OK'
	run --separate-stderr reg --install aarch64,linux/riscv64 -Q "$QEMU_BIN"
	assert_success
	assert_equal "$stderr" $'installing: arm64 qemu-aarch64 already registered\ninstalling: riscv64 qemu-riscv64 already registered'
	run --separate-stderr reg --install s390x -Q "$BATS_TEST_TMPDIR/none"
	assert_failure 1
	assert_equal "$stderr" "installing: s390x qemu-s390x: cannot use interpreter $BATS_TEST_TMPDIR/none/qemu-s390x-static: No such file or directory (with --persistent yes it must exist when registering)"
	# An arch or platform name is reported by the target's name, as
	# tonistiigi/binfmt does; a glob or entry name by each entry's.
	reg --install s390x,ppc64le -Q "$QEMU_BIN" >/dev/null 2>&1
	run --separate-stderr reg --uninstall arm64,linux/riscv64,'qemu-s*',qemu-ppc64le,mips64,vax
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' 'uninstalling: aarch64 OK' 'uninstalling: riscv64 OK' \
		'uninstalling: qemu-s390x OK' 'uninstalling: qemu-ppc64le OK' \
		'uninstalling: mips64 not found' 'uninstalling: vax not found')"
	assert_equal "$(entries)" ""
}

@test "the routine notes (flags' meaning, a container's mount) only with --verbose; the summary then too" {
	run --separate-stderr reg --install arm64 -Q "$QEMU_BIN"
	refute_output --partial "note:"
	assert_equal "$stderr" "installing: arm64 OK"
	run --separate-stderr reg --install riscv64 --verbose -Q "$QEMU_BIN"
	assert_success
	assert_equal "$(sed -n 1p <<<"$stderr")" "register: note: --credential yes: setuid programs (sudo, su, ping) run emulated with the credentials of their owner, root for most of them"
	assert_equal "$(sed -n 2p <<<"$stderr")" "installing: riscv64 OK"
	assert_equal "$(sed -n 3p <<<"$stderr")" "1 registered, 0 already present, 0 removed, 33 skipped, 0 failed"
	jq -e . <<<"$output" >/dev/null
}

@test "--install keeps an existing entry, even a different one, as tonistiigi/binfmt does" {
	reg -p no -Q /somewhere/else aarch64 >/dev/null
	local before
	before=$(entry qemu-aarch64)
	run reg --install arm64 -Q "$QEMU_BIN"
	assert_success
	assert_line "installing: arm64 qemu-aarch64 already registered"
	assert_output --partial "note: qemu-aarch64: already registered differently (interpreter /somewhere/else/qemu-aarch64-static, flags: ); left as is: --uninstall it first to replace it"
	assert_equal "$(entry qemu-aarch64)" "$before"
}

@test "an unknown --install name exits 2 and changes nothing, and stdout still holds the JSON document of the state" {
	reg --install riscv64 -Q "$QEMU_BIN" >/dev/null 2>&1
	run --separate-stderr reg --install arm64,vax -Q "$QEMU_BIN"
	assert_failure 2
	[[ $stderr == "register: unknown target 'vax' in --install;"* ]] || fail "no error for vax: $stderr"
	assert_equal "$(jq -c .emulators <<<"$output")" '["qemu-riscv64"]'
	assert_equal "$(jq -r '.supported | index("linux/riscv64") != null' <<<"$output")" true
	assert_equal "$(entries)" qemu-riscv64
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
	assert_equal "$(jq -r '.emulators | join(" ")' <<<"$output")" "$INSTALL_ALL"
}
