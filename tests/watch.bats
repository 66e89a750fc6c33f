#!/usr/bin/env bats
# --watch: stay in the foreground and put back entries that vanish or change.

load helpers/common

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	WATCH_PID=
}

teardown() {
	if [ -n "$WATCH_PID" ]; then
		kill "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	instance_stop
}

# Wait up to $1 seconds for a command to succeed.
eventually() {
	local seconds=$1 _
	shift
	for _ in $(seq $((seconds * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

has_entry() {
	in_instance test -e "$BINFMT/$1"
}

flags_are() {
	[ "$(entry_field "$1" flags:)" = "$2" ]
}

@test "entries flushed while it watches come back within one interval; changed ones are put back; SIGTERM ends it with 0" {
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	# nsenter directly, not through a function: $! is then register itself.
	nsenter --target "$INSTANCE_PID" --user --mount -- \
		"$REGISTER" --reset -p yes -Q "$FAKE" --watch 1 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	WATCH_PID=$!
	eventually 5 has_entry qemu-s390x
	# Flushed, as a systemd-binfmt restart or another tool would.
	in_instance sh -c 'echo -1 > "$1/qemu-aarch64"; echo -1 > "$1/qemu-s390x"' sh "$BINFMT"
	run has_entry qemu-aarch64
	assert_failure
	eventually 3 has_entry qemu-aarch64
	eventually 3 has_entry qemu-s390x
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	# Changed by someone else: replaced with its own.
	local other
	other=$("$REGISTER" --dry-run -p no -Q /elsewhere riscv64)
	in_instance sh -c 'echo -1 > "$1/qemu-riscv64" && printf "%s" "$2" > "$1/register"' sh "$BINFMT" "$other"
	assert_equal "$(entry_field qemu-riscv64 interpreter)" /elsewhere/qemu-riscv64-static
	eventually 3 flags_are qemu-riscv64 F
	assert_equal "$(entry_field qemu-riscv64 interpreter)" "$FAKE/qemu-riscv64-static"
	# Other tools' entries are never touched.
	has_entry python3.11
	kill -TERM "$WATCH_PID"
	local status=0 start=$SECONDS
	wait "$WATCH_PID" || status=$?
	WATCH_PID=
	assert_equal "$status" 0
	[ $((SECONDS - start)) -le 2 ]
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "register: note: watch: re-created qemu-aarch64 (it had vanished)"
	assert_line "register: note: watch: re-created qemu-riscv64 (it had changed)"
	assert_line "register: note: watch: stopped by SIGTERM; the entries stay registered"
	# The entries stay.
	assert_equal "$(entries | grep -c '^qemu-')" 31
}

@test "--watch takes whole seconds from 1 to 86400" {
	run reg --watch 0
	assert_failure 2
	assert_line "register: --watch expects whole seconds from 1 to 86400, not '0'"
	run reg --watch 5s
	assert_failure 2
	run reg --dry-run --watch 5
	assert_failure 2
	assert_line "register: --dry-run does not go with --watch"
}
