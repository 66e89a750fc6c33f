#!/usr/bin/env bats
# Security posture, seen from the system calls (strace, in a private
# instance): every open under binfmt_misc refuses symlinks and closes on
# exec, the mount is checked again with fstatfs before each batch of writes,
# and nothing is executed but the built-in probes: no shell, no system().
# These are facts of the shipped program, so it is always the one traced
# ($BUILD/register), also when the suite runs against another build (a
# sanitizer's runtime opens files of its own, and LeakSanitizer cannot run
# under ptrace).

load helpers/common

setup() {
	command -v strace >/dev/null || fail "strace is not installed (apt-get install strace)"
	SHIPPED=$BUILD/register
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	TRACES=${TRACES_KEEP:-$BATS_TEST_TMPDIR/traces}
	mkdir -p "$TRACES"
}

teardown() {
	instance_stop
}

# Trace `register ARGS` inside the instance into $TRACES/NAME (strace -f,
# fds shown with their paths). The program's output and status are those
# of `run`.
trace() {
	local name=$1
	shift
	run in_instance strace -f -qq -y -s 64 -o "$TRACES/$name" \
		-e trace=open,openat,openat2,execve,execveat,fstatfs,statfs,write \
		"$SHIPPED" "$@"
}

# The main flows, each traced; entries exist before each where it matters.
trace_main_flows() {
	in_instance "$REGISTER" -p yes -Q "$FAKE" aarch64 riscv64 >/dev/null
	trace reset --reset -p yes -Q "$FAKE"
	assert_success
	trace status
	assert_success
	trace status-table --status
	assert_success
	trace uninstall --uninstall qemu-s390x,qemu-ppc64le
	assert_success
	trace install --install s390x,ppc64le -Q "$FAKE"
	assert_success
	trace dry-run --dry-run -p yes -Q "$FAKE"
	assert_success
	trace export -s ALL -e "$BATS_TEST_TMPDIR/binfmt.d"
	assert_success
	trace doctor --doctor
}

# The register process's own lines (not the probes' after their exec).
own_lines() {
	local file=$1 pid
	pid=$(head -1 "$file" | cut -d' ' -f1)
	grep "^$pid " "$file"
}

@test "every open under binfmt_misc has O_NOFOLLOW and O_CLOEXEC; every open has O_CLOEXEC" {
	trace_main_flows
	local f line under=0
	for f in "$TRACES"/*; do
		while IFS= read -r line; do
			case $line in
			*' open('* | *' openat('* | *' openat2('*) ;;
			*) continue ;;
			esac
			[[ $line == *O_CLOEXEC* ]] || fail "$(basename "$f"): open without O_CLOEXEC: $line"
			# Relative to the mount's fd, or a path inside the mount.
			if [[ $line =~ openat2?\([0-9]+\<$BINFMT(/[^\>]*)?\>, ]] ||
				[[ $line == *"\"$BINFMT/"* ]]; then
				under=$((under + 1))
				[[ $line == *O_NOFOLLOW* ]] ||
					fail "$(basename "$f"): open under $BINFMT without O_NOFOLLOW: $line"
			fi
		done < <(own_lines "$f")
	done
	echo "# $under opens under $BINFMT checked" >&3
	[ "$under" -ge 50 ]
}

# Line numbers in FILE of the lines matching the extended regex RE.
lines_of() {
	grep -nE "$2" "$1" | cut -d: -f1
}

# Whether FILE has an fstatfs of the mount between lines FROM and TO.
statfs_between() {
	local file=$1 from=$2 to=$3 n
	for n in $(lines_of "$file" "fstatfs\([0-9]+<$BINFMT(/register)?>"); do
		[ "$n" -gt "$from" ] && [ "$n" -lt "$to" ] && return 0
	done
	return 1
}

@test "the mount is checked again with fstatfs before the removals and before the first registration" {
	trace_main_flows
	local f opened first_removal last_removal first_register
	for f in reset uninstall install; do
		f=$TRACES/$f
		opened=$(lines_of "$f" "open(at)?\((AT_FDCWD(<[^>]*>)?, )?\"$BINFMT\"" | head -1)
		[ -n "$opened" ] || fail "$(basename "$f"): $BINFMT never opened"
		first_removal=$(lines_of "$f" "write\([0-9]+<$BINFMT/[^>]+>, \"-1\"" | head -1)
		last_removal=$(lines_of "$f" "write\([0-9]+<$BINFMT/[^>]+>, \"-1\"" | tail -1)
		first_register=$(lines_of "$f" "write\([0-9]+<$BINFMT/register>" | head -1)
		[ -n "$first_removal$first_register" ] || fail "$(basename "$f"): no write to $BINFMT"
		if [ -n "$first_removal" ]; then
			statfs_between "$f" "$opened" "$first_removal" ||
				fail "$(basename "$f"): no fstatfs between the open (line $opened) and the first removal (line $first_removal)"
		fi
		if [ -n "$first_register" ]; then
			statfs_between "$f" "${last_removal:-$opened}" "$first_register" ||
				fail "$(basename "$f"): no fstatfs before the first registration (line $first_register)"
		fi
	done
	# The removals and registrations did happen where expected.
	grep -qE "write\([0-9]+<$BINFMT/qemu-aarch64>, \"-1\"" "$TRACES/reset"
	grep -qE "write\([0-9]+<$BINFMT/register>, \":qemu-s390x:" "$TRACES/install"
	grep -qE "write\([0-9]+<$BINFMT/qemu-ppc64le>, \"-1\"" "$TRACES/uninstall"
}

@test "nothing is executed but the built-in probes: no shell, no system(), no other program" {
	trace_main_flows
	local f line execs=0 probes=0
	for f in "$TRACES"/*; do
		# The first line is register's own exec.
		head -1 "$f" | grep -qE "execve\(\"$SHIPPED\"" ||
			fail "$(basename "$f"): the trace does not start with register: $(head -1 "$f")"
		while IFS= read -r line; do
			execs=$((execs + 1))
			[[ $line =~ execveat\([0-9]+\</memfd:qus-probe\>(\(deleted\))?,\ \"\",\ \[\"qus-probe\"\] ]] ||
				fail "$(basename "$f"): an exec that is not a probe: $line"
			probes=$((probes + 1))
		done < <(tail -n +2 "$f" | grep -E ' execve(at)?\(')
	done
	refute grep -q '/bin/sh' "$TRACES"/*
	echo "# $probes probe execs, nothing else" >&3
	# The status views do run probes; --reset runs none.
	grep -q 'execveat(' "$TRACES/status"
	refute grep -q 'execveat(' "$TRACES/reset"
}

@test "-c yes registers with flags OC, and with --verbose prints its one-line explanation" {
	run reg --reset -p yes -c yes -Q "$FAKE" aarch64
	assert_success
	refute_output --partial "--credential yes"
	assert_equal "$(entry_field qemu-aarch64 flags:)" OCF
	run reg --reset -p yes -c yes --verbose -Q "$FAKE" aarch64
	assert_success
	assert_line "register: note: --credential yes: setuid programs (sudo, su, ping) run emulated with the credentials of their owner, root for most of them"
	[ "$(grep -c -- '--credential' <<<"$output")" -eq 1 ]
	assert_equal "$(entry_field qemu-aarch64 flags:)" OCF
	# Without -c yes, no such line.
	run reg --reset -p yes -Q "$FAKE" aarch64
	assert_success
	refute_output --partial "--credential yes"
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
}
