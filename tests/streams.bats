#!/usr/bin/env bats
# The standard streams in hostile hands (issue 11, items 2, 3 and 4): started
# with descriptors 0-2 closed, with stdout a pipe whose reader has gone, or
# with stdout on a full disk, register still does the whole job, writes
# nothing of its own into binfmt_misc, and its exit status says when the
# output was lost.

load helpers/common

setup() {
	fake_qemu_instance
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	# The 31 entries of an x86_64 host, by name.
	ALL31=$(all_targets | grep -vx -e i386 -e i486 -e x86_64 | sed 's/^/qemu-/' | sort)
	LOST="register: the output to stdout was lost"
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

# --- item 2: SIGPIPE -----------------------------------------------------------

# `register ARGS | head -n1`, and register's exit status (PIPESTATUS).
register_into_head() {
	in_instance bash -c '"$@" 2>/dev/null | head -n1 >/dev/null; echo "${PIPESTATUS[0]}"' bash "$@"
}

@test "stdout a pipe whose reader is gone: no SIGPIPE death; the registration completes, exit 4 says the output was lost" {
	# The reader exits before register writes its first line: every run
	# meets EPIPE at the same place.
	run in_instance bash -c '{ sleep 0.3; "$@"; echo "status $?" >&2; } | true' bash \
		"$REGISTER" --reset -p yes -Q "$FAKE"
	assert_line "status 4"
	assert_line --partial "$LOST (Broken pipe)"
	assert_equal "$(qemu_entries)" "$ALL31"
	# The issue's own command, 20 times: none killed, every run complete.
	local i s killed=0 incomplete=0
	for i in $(seq 20); do
		s=$(register_into_head "$REGISTER" --reset -p yes -Q "$FAKE")
		[ "$s" -eq 141 ] && killed=$((killed + 1))
		[ "$(qemu_entries)" = "$ALL31" ] || incomplete=$((incomplete + 1))
		[ "$s" -eq 4 ] || [ "$s" -eq 0 ] || fail "run $i exited $s"
	done
	echo "# register --reset -p yes | head -n1: $killed of 20 killed by SIGPIPE, $incomplete incomplete" >&3
	assert_equal "$killed" 0
	assert_equal "$incomplete" 0
	# The JSON status into a reader that has gone.
	run in_instance bash -c '{ sleep 0.3; "$@"; echo "status $?" >&2; } | true' bash "$REGISTER"
	assert_line "status 4"
}

@test "SIGPIPE is not ignored in the programs register starts: the probes and --doctor PROGRAM see the default" {
	# A handler, not SIG_IGN: an ignored SIGPIPE would be inherited through
	# exec, and a program that register starts would not die of it.
	local prog=$BATS_TEST_TMPDIR/sigign
	printf '%s\n' '#include <signal.h>' '#include <stdio.h>' \
		'int main(void) { struct sigaction sa; sigaction(SIGPIPE, NULL, &sa);' \
		'printf("SIGPIPE %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "default"); return 0; }' \
		>"$prog.c"
	musl-gcc -static -o "$prog" "$prog.c"
	run in_instance "$REGISTER" --doctor "$prog"
	assert_output --partial 'output: "SIGPIPE default"'
}

# --- item 4: stdout on a full disk ---------------------------------------------

@test "stdout on /dev/full: every mode exits 4 and says the output was lost; the work is still done" {
	local dir=$BATS_TEST_TMPDIR/export args
	# One working entry (the pinned arm64 emulator): --doctor finds no
	# problem, so its status is 0 but for the lost output.
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" --install arm64 -Q "$QEMU_BIN"
	assert_failure 4
	for args in "--doctor" "--doctor --json"; do
		# shellcheck disable=SC2086 # one string per mode, split on purpose
		run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" $args
		[ "$status" -eq 4 ] || fail "'$args' with stdout on /dev/full exited $status: $output"
	done
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" --reset -p yes -Q "$FAKE"
	assert_failure 4
	assert_line "$LOST (No space left on device): everything else was done, as the other lines on stderr say"
	assert_equal "$(qemu_entries)" "$ALL31"
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" -s ALL -e "$dir/systemd"
	assert_failure 4
	[ "$(find "$dir/systemd" -name 'qemu-*.conf' | wc -l)" -eq 31 ]
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" -d -e "$dir/debian"
	assert_failure 4
	[ "$(find "$dir/debian" -name 'qemu-*' | wc -l)" -eq 31 ]
	for args in "" "--status" "--status --json" "--dry-run -p yes -Q $FAKE" "--help" \
		"--version" "--uninstall qemu-sh4eb" "--install sh4eb -Q $FAKE"; do
		# shellcheck disable=SC2086 # one string per mode, split on purpose
		run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" $args
		[ "$status" -eq 4 ] || fail "'$args' with stdout on /dev/full exited $status: $output"
		assert_line --partial "$LOST (No space left on device)"
	done
	# A failure keeps its own status (1), and the loss is still said.
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" -p yes -Q "$FAKE" aarch64 nonexistent-target
	assert_failure 2
	local some=$BATS_TEST_TMPDIR/some-qemu
	mkdir -p "$some"
	ln -s "$HELPERS/reporter" "$some/qemu-aarch64-static"
	run in_instance sh -c '"$@" >/dev/full' sh "$REGISTER" --reset -p yes -Q "$some" aarch64 riscv64
	assert_failure 1
	assert_line --partial "register: qemu-riscv64: kept as it is: its replacement cannot be registered: cannot use interpreter"
	assert_line "$LOST (No space left on device)"
}

# --- whole lines: an engine relays stdout and stderr on their own ----------------

@test "every write to stdout that is not a terminal ends at a line end: docker's separate relay of stdout and stderr cannot cut a line" {
	command -v strace >/dev/null || fail "strace is not installed (apt-get install strace)"
	# docker run (no terminal) reads the two pipes apart and writes what
	# each read gave: a write to stdout that ends mid-line lets the summary,
	# from stderr, land inside a "Setting ..." line (seen in release.bats:
	# "Setting /usr/bin/qemu-hexagon-static31 registered, ..."). Every mode
	# below prints more than musl's 1 KiB BUFSIZ. The shipped build, also
	# in the sanitizer pass: its libc (musl) is the one whose buffer cut.
	local trace=$BATS_TEST_TMPDIR/writes.trace out=$BATS_TEST_TMPDIR/out args writes
	for args in "--reset -p yes -Q $FAKE" "--dry-run -p yes -Q $FAKE" "--status" \
		"--status --json" "--help"; do
		# shellcheck disable=SC2086 # one string per mode, split on purpose
		in_instance strace -f -qq -s 1000000 -e trace=write,writev -e signal=none -o "$trace" \
			"$BUILD/register" $args 2>/dev/null | cat >"$out"
		[ "$(wc -c <"$out")" -gt 1024 ] || fail "'$args' printed only $(wc -c <"$out") bytes"
		# strace -f starts each line with the PID; musl writes with writev,
		# the buffer and then what did not fit it: the last non-empty
		# piece is what the write ends with.
		grep -E '^[0-9]+ +writev?\(1, ' "$trace" |
			sed -E 's/, \{iov_base=(NULL|""), iov_len=0\}//g' >"$trace.stdout" || true
		writes=$(wc -l <"$trace.stdout")
		[ "$writes" -ge 1 ] || fail "'$args': no write to stdout in the trace"
		if grep -vE '\\n"(, iov_len=[0-9]+\}\])?, [0-9]+\) = [0-9]+$' "$trace.stdout"; then
			fail "'$args': the writes above, of $writes to stdout, end mid-line"
		fi
	done
}

@test "--watch with stdout on /dev/full: SIGTERM ends it with 4, not 0" {
	nsenter --target "$INSTANCE_PID" --user --mount -- \
		"$REGISTER" --watch 1 -p yes -Q "$FAKE" aarch64 \
		>/dev/full 2>"$BATS_TEST_TMPDIR/watch.log" 3>&- &
	local watcher=$! status=0
	wait_for_line "$BATS_TEST_TMPDIR/watch.log" 'watch: checking'
	kill -TERM "$watcher"
	wait "$watcher" || status=$?
	assert_equal "$status" 4
	run cat "$BATS_TEST_TMPDIR/watch.log"
	assert_line --partial "$LOST (No space left on device)"
}
