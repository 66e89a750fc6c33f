#!/usr/bin/env bats
# The standard streams in hostile hands (issue 11): started with descriptors
# 0-2 closed, register still does the whole job and writes nothing of its
# own into binfmt_misc.

load helpers/common

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	# The 31 entries of an x86_64 host, by name.
	ALL31=$(all_targets | grep -vx -e i386 -e i486 -e x86_64 | sed 's/^/qemu-/' | sort)
}

teardown() {
	instance_stop
}

qemu_entries() {
	entries | grep '^qemu-' || true
}

# --- item 3: closed descriptors ----------------------------------------------

@test "started with fds 0-2 closed: they are /dev/null, binfmt_misc gets only register strings, and the job is done" {
	command -v strace >/dev/null || fail "strace is not installed (apt-get install strace)"
	local trace=$BATS_TEST_TMPDIR/closed.trace
	# The shipped build: a sanitizer's runtime writes to fd 2 itself.
	run in_instance strace -f -qq -y -s 256 -o "$trace" -e trace=execve,openat,write,writev \
		sh -c 'exec "$@" <&- >&- 2>&-' sh "$BUILD/register" --reset -p yes -Q "$FAKE"
	assert_success
	assert_equal "$(qemu_entries)" "$ALL31"
	# register's own lines: from its exec on (sh opened its libraries).
	local own=$BATS_TEST_TMPDIR/own.trace
	sed -n "/execve(\"${BUILD//\//\\/}\/register\"/,\$p" "$trace" >"$own"
	[ -s "$own" ] || fail "no exec of register in the trace"
	# The three are /dev/null before anything else is opened.
	run grep -E "^[0-9]+ +openat\(" "$own"
	assert_line --index 0 --regexp '"/dev/null", O_RDWR.* = 0<'
	assert_line --index 1 --regexp '"/dev/null", O_RDWR.* = 1<'
	assert_line --index 2 --regexp '"/dev/null", O_RDWR.* = 2<'
	# No descriptor under binfmt_misc is 0, 1 or 2; every write there is a
	# register string or a removal.
	refute grep -E "= [012]<$BINFMT" "$own"
	local line writes=0
	while IFS= read -r line; do
		writes=$((writes + 1))
		[[ $line =~ \<$BINFMT/register\>,\ \":qemu- ]] || [[ $line =~ \<$BINFMT/qemu-[a-z0-9_]+\>,\ \"-1\" ]] ||
			fail "a write to binfmt_misc that is not register's own: $line"
	done < <(grep -E "^[0-9]+ +writev?\([0-9]+<$BINFMT" "$own")
	[ "$writes" -eq 31 ] || fail "$writes writes to binfmt_misc, expected 31"
	# The other modes with 0-2 closed: exit 0, nothing changed.
	local args
	for args in "" "--status" "--status --json" "--dry-run -p yes -Q $FAKE" "--doctor"; do
		# shellcheck disable=SC2086 # one string per mode, split on purpose
		run in_instance sh -c 'exec "$@" <&- >&- 2>&-' sh "$REGISTER" $args
		[ "$status" -eq 0 ] || [[ $args == --doctor && $status -eq 1 ]] ||
			fail "'$args' with fds 0-2 closed exited $status"
	done
	assert_equal "$(qemu_entries)" "$ALL31"
}

