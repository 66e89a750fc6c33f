#!/usr/bin/env bats
# --watch: stay in the foreground and put back entries that vanish or change.

load helpers/common

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	WATCH_PID=
	PID1=
}

# PID1: the child that unshare --fork ($WATCH_PID) started (/proc files have
# no size: read, not test -s).
child_of_unshare() {
	PID1=$(cat "/proc/$WATCH_PID/task/$WATCH_PID/children" 2>/dev/null)
	PID1=${PID1%% *}
	[ -n "$PID1" ]
}

teardown() {
	# unshare --fork ignores SIGTERM: end the PID 1 below it instead.
	if [ -z "$PID1" ] && [ -n "$WATCH_PID" ] && [ "$(cat "/proc/$WATCH_PID/comm" 2>/dev/null)" = unshare ]; then
		child_of_unshare || true
	fi
	if [ -n "$PID1" ]; then
		kill -KILL "$PID1" 2>/dev/null || true
	fi
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

# Whether process $1, a child of this shell, has exited (bash reaps its
# background jobs itself, and keeps their status for `wait`).
exited() {
	[ ! -e "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
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

# Start register --watch 1 ARGS... in the instance (nsenter itself, so that
# $WATCH_PID is register) and wait for its first pass to end.
start_watch() {
	nsenter --target "$INSTANCE_PID" --user --mount -- \
		"$REGISTER" --watch 1 "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	WATCH_PID=$!
	eventually 10 grep -q 'watch: checking' "$BATS_TEST_TMPDIR/out"
}

# End the watch with SIGTERM; its exit status in $WATCH_STATUS.
stop_watch() {
	WATCH_STATUS=0
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" || WATCH_STATUS=$?
	WATCH_PID=
}

# issue 11, item 7
@test "--watch never replaces an entry --install kept: it repairs only what the first pass put in place" {
	local other
	other=$("$REGISTER" --dry-run -p no -Q /elsewhere riscv64)
	raw_register "$other"
	start_watch --install aarch64,riscv64 -Q "$FAKE"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --partial "register: note: qemu-riscv64: already registered differently (interpreter /elsewhere/qemu-riscv64-static"
	# Its own entry vanishes: put back. The kept one stays as it was, pass after pass.
	in_instance sh -c 'echo -1 > "$1/qemu-aarch64"' sh "$BINFMT"
	eventually 3 has_entry qemu-aarch64
	sleep 2.5
	assert_equal "$(entry_field qemu-riscv64 interpreter)" /elsewhere/qemu-riscv64-static
	assert_equal "$(entry_field qemu-riscv64 flags:)" ""
	stop_watch
	assert_equal "$WATCH_STATUS" 0
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "register: note: watch: re-created qemu-aarch64 (it had vanished)"
	refute_output --partial "re-created qemu-riscv64"
}

# issue 11, item 7
@test "--watch never replaces an entry registration refused, and a failed first pass keeps its exit status" {
	local other
	other=$("$REGISTER" --dry-run -p no -Q /elsewhere riscv64)
	raw_register "$other"
	start_watch -p yes -Q "$FAKE" aarch64 riscv64
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "register: qemu-riscv64: a different entry is already registered (interpreter /elsewhere/qemu-riscv64-static, flags: ); run with --reset to replace it"
	assert_line "1 registered, 0 already present, 0 removed, 32 skipped, 1 failed"
	sleep 2.5
	assert_equal "$(entry_field qemu-riscv64 interpreter)" /elsewhere/qemu-riscv64-static
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	stop_watch
	# The first pass failed: so does the run, however the watch ended.
	assert_equal "$WATCH_STATUS" 1
	run cat "$BATS_TEST_TMPDIR/out"
	refute_output --partial "re-created qemu-riscv64"
	assert_line "register: note: watch: stopped by SIGTERM; the entries stay registered"
}

# issue 11, item 10
@test "as PID 1, a SIGTERM that arrives during --install's probes is not lost: the watch ends at once, with the first pass's status" {
	local hung=$BATS_TEST_TMPDIR/hung
	make_hung_qemu "$hung"
	raw_register "$("$REGISTER" --dry-run -p yes -Q "$hung" aarch64)"
	# PID 1 of a PID namespace of its own, as in a container: an unhandled
	# SIGTERM is dropped there. unshare waits for it and passes on its status.
	nsenter --target "$INSTANCE_PID" --user --mount -- unshare --pid --fork --kill-child \
		"$REGISTER" --install riscv64 -Q "$FAKE" --watch 1 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	WATCH_PID=$!
	eventually 5 child_of_unshare
	# Its progress line comes before the JSON status, whose probes then hang for 5 s.
	eventually 5 grep -q 'installing: riscv64 OK' "$BATS_TEST_TMPDIR/out"
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$PID1/status" || fail "register is not PID 1 of its namespace"
	refute grep -q 'watch: checking' "$BATS_TEST_TMPDIR/out"
	kill -TERM "$PID1"
	# The probes end within 5 s; the watch then at once (not waited for
	# without bound: before the fix it never ended).
	eventually 8 exited "$WATCH_PID" || fail "register still runs 8 s after SIGTERM"
	WATCH_STATUS=0
	wait "$WATCH_PID" || WATCH_STATUS=$?
	WATCH_PID=
	PID1=
	hung_stop "$hung"
	assert_equal "$WATCH_STATUS" 0
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "register: note: watch: stopped by SIGTERM; the entries stay registered"
	assert_equal "$(entry_field qemu-riscv64 flags:)" POCF
}
