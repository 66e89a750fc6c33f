#!/usr/bin/env bats
# valgrind memcheck over the main flows, in a private instance: no invalid
# read or write, no use of uninitialised memory, nothing definitely lost.
# It runs build/valgrind/register, the same sources built with glibc
# (valgrind cannot follow malloc in a static musl program).

load helpers/common

setup() {
	VG_REGISTER=$BUILD/valgrind/register
	[ -x "$VG_REGISTER" ] || fail "$VG_REGISTER is missing: run make valgrind-build"
	command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	VG_LOGS=$BATS_TEST_TMPDIR/vg
	mkdir -p "$VG_LOGS"
}

teardown() {
	instance_stop
}

# register ARGS under memcheck inside the instance. valgrind's own verdict
# is checked by vg_clean; the program's status and output are in $status
# and $output as with `run`.
vg() {
	run in_instance valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--child-silent-after-fork=yes --log-file="$VG_LOGS/vg.%p" \
		"$VG_REGISTER" "$@"
}

# Every memcheck log: zero errors, nothing definitely lost.
vg_clean() {
	local log count=0
	for log in "$VG_LOGS"/vg.*; do
		[ -e "$log" ] || fail "valgrind wrote no log"
		count=$((count + 1))
		grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$log" ||
			fail "memcheck errors: $(cat "$log")"
		if grep -q 'definitely lost:' "$log"; then
			grep -q 'definitely lost: 0 bytes in 0 blocks' "$log" ||
				fail "memory definitely lost: $(cat "$log")"
		fi
	done
	[ "$count" -ge 1 ]
	rm -f "$VG_LOGS"/vg.*
}

@test "valgrind: --reset -p yes registers 31 entries, twice, with no error and no leak" {
	vg --reset -p yes -Q "$FAKE"
	assert_success
	assert_line "31 registered, 0 already present, 0 removed, 3 skipped, 0 failed"
	vg_clean
	vg --reset -p yes -Q "$FAKE"
	assert_success
	assert_line "31 registered, 0 already present, 31 removed, 3 skipped, 0 failed"
	vg_clean
	run entries
	assert_equal "${#lines[@]}" 32
	assert_line python3.11
}

@test "valgrind: --dry-run prints 31 register strings with no error and no leak" {
	vg --dry-run -p yes -Q "$FAKE"
	assert_success
	assert_equal "$(grep -c '^:qemu-' <<<"$output")" 31
	vg_clean
}

@test "valgrind: the status views (JSON with no argument, --status, --status --json)" {
	in_instance "$REGISTER" -p yes -Q "$FAKE" aarch64 riscv64 >/dev/null
	vg
	assert_success
	assert_line --partial '"supported": ['
	vg_clean
	vg --status
	assert_success
	assert_line --regexp '^qemu-aarch64 +aarch64 +enabled +F '
	vg_clean
	vg --status --json
	assert_success
	vg_clean
}

@test "valgrind: --install and --uninstall with no error and no leak" {
	vg --install aarch64,riscv64 -Q "$FAKE"
	assert_success
	assert_equal "$(entry_field qemu-aarch64 flags:)" POCF
	vg_clean
	vg --uninstall 'qemu-*'
	assert_success
	vg_clean
	run entries
	assert_output python3.11
}

@test "valgrind: export (-s ALL, -d) writes its files with no error and no leak" {
	local dir=$BATS_TEST_TMPDIR/export
	mkdir -p "$dir/systemd" "$dir/debian"
	vg -s ALL -e "$dir/systemd"
	assert_success
	[ -s "$dir/systemd/qemu-aarch64.conf" ]
	vg_clean
	vg -d -e "$dir/debian"
	assert_success
	vg_clean
	[ "$(find "$dir/debian" -type f | wc -l)" -ge 31 ]
	run entries
	assert_output python3.11
}

@test "valgrind: --doctor, with and without a PROGRAM, with no error and no leak" {
	in_instance "$REGISTER" -p yes -Q "$FAKE" aarch64 >/dev/null
	vg --doctor
	[ "$status" -le 1 ] || fail "--doctor exited $status: $output"
	vg_clean
	vg --doctor "$FIXTURES/busybox-arm64/bin/busybox"
	[ "$status" -le 1 ] || fail "--doctor PROGRAM exited $status: $output"
	assert_output --partial qemu-aarch64
	vg_clean
}
