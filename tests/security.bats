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

# --- what comes from outside is printed as data (issue 11, item 12) -------

@test "--doctor PROGRAM: a crafted PT_INTERP cannot add a line or a terminal escape; it is shown escaped" {
	local prog=$BATS_TEST_TMPDIR/crafted
	"$HELPERS/mkelf" "$prog" 64 le 0xb7 dyn 0 $'/lib/ld\nok       kernel: all is well\e[2J\e]0;owned\a'
	run reg --doctor "$prog"
	# Exactly one line begins with "ok       kernel:", the doctor's own.
	assert_equal "$(grep -c '^ok       kernel:' <<<"$output")" 1
	[[ $output != *$'\e'* ]] || fail "an escape character reached the output"
	[[ $output != *$'\a'* ]] || fail "a bell reached the output"
	assert_line --partial 'loader /lib/ld\x0aok       kernel: all is well\x1b[2J\x1b]0;owned\x07'
	# The JSON form carries the same bytes, escaped as JSON does.
	run --separate-stderr reg --doctor --json "$prog"
	assert_equal "$(jq -r '.checks[] | select(.check == "program") | .message' <<<"$output")" \
		$'ELF 64-bit LSB for aarch64 (linux/arm64), dynamic, loader /lib/ld\nok       kernel: all is well\e[2J\e]0;owned\a'
}

@test "entry names and interpreters from the kernel: control characters escaped in --status and --doctor" {
	# The kernel refuses a newline in a name, but takes other control bytes.
	raw_register $':evil\e[2K\r:M::\\x01\\x02::/bin/tr\tue\e[0m:'
	run reg --status
	assert_success
	[[ $output != *$'\e'* ]] || fail "an escape character reached --status"
	[[ $output != *$'\r'* ]] || fail "a carriage return reached --status"
	assert_line --regexp '^evil\\x1b\[2K\\x0d +- +enabled +- +- +/bin/tr\\x09ue\\x1b\[0m$'
	run reg --doctor
	[[ $output != *$'\e'* ]] || fail "an escape character reached --doctor"
	assert_line --partial 'evil\x1b[2K\x0d: not a QEMU entry (/bin/tr\x09ue\x1b[0m)'
}

@test "JSON: UTF-8 names as they are, control characters and invalid bytes escaped; every document parses" {
	raw_register ':café:M::\x01\x03::/usr/bin/ünïcode:'
	raw_register $':bad\xff\xfe:M::\\x01\\x04::/bin/true:'
	raw_register $':esc\e:M::\\x01\\x05::/bin/true:'
	run --separate-stderr reg
	assert_success
	assert_output --partial '"café"'
	assert_output --partial '"bad\ufffd\ufffd"'
	assert_output --partial '"esc\u001b"'
	jq -e '.emulators | index("café") != null' <<<"$output"
	jq -e '.emulators | index("bad\ufffd\ufffd") != null' <<<"$output"
	run --separate-stderr reg --status --json
	assert_success
	assert_output --partial '"interpreter": "/usr/bin/ünïcode"'
	jq -e '[.[] | .entry] | index("esc\u001b") != null' <<<"$output"
	run --separate-stderr reg --doctor --json
	jq -e '[.checks[] | .subject] | index("café") != null' <<<"$output"
	# Text: valid UTF-8 as it is, the invalid bytes escaped.
	run reg --status
	assert_line --regexp '^café '
	assert_line --regexp '^bad\\xff\\xfe '
}

@test "--status --mount DIR of another instance: probes are not run through this one's entries" {
	# This instance has a working arm64 entry; seen from a nested user
	# namespace with an (empty) instance of its own, through a bind mount.
	reg --install arm64 -Q "$QEMU_BIN" >/dev/null 2>&1
	run reg --status
	assert_line --regexp '^qemu-aarch64 +aarch64 +enabled +POCF +ok '
	in_instance sh -c 'mkdir -p /tmp/qus-outer && mount --bind "$1" /tmp/qus-outer' sh "$BINFMT"
	run in_instance unshare --user --map-root-user --mount sh -c \
		'mount -t binfmt_misc binfmt_misc "$1" && "$2" --status --mount /tmp/qus-outer' sh "$BINFMT" "$SHIPPED"
	assert_success
	assert_line --regexp '^qemu-aarch64 +aarch64 +enabled +POCF +skipped '
	run in_instance unshare --user --map-root-user --mount sh -c \
		'mount -t binfmt_misc binfmt_misc "$1" && "$2" --status --json --mount /tmp/qus-outer' sh "$BINFMT" "$SHIPPED"
	assert_success
	assert_equal "$(jq -r '.[] | select(.entry == "qemu-aarch64") | .probe' <<<"$output")" skipped
	# Its own instance, through --mount: probed.
	run reg --status --mount /tmp/qus-outer
	assert_line --regexp '^qemu-aarch64 +aarch64 +enabled +POCF +ok '
	in_instance umount /tmp/qus-outer
}
