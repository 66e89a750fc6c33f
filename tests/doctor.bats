#!/usr/bin/env bats
# register --doctor [PROGRAM]: each check meets its problem for real, in a
# private binfmt_misc instance; the line and the fix it prints are exact, the
# kernel shows the problem is real (a foreign program fails), and the fix,
# run as printed, makes it go away.

load helpers/common

setup_file() {
	require_fixtures
}

setup() {
	[ "$(uname -m)" = x86_64 ] || fail "these expectations are written for an x86_64 host"
	instance_start
	# The fixes then name the pinned emulators' folder (-Q), as users'
	# own QEMU_BIN_DIR would be named.
	export QEMU_BIN_DIR=$QEMU_BIN
	ARM64=$FIXTURES/busybox-arm64/bin/busybox
	# Every run inside the instance sees a user namespace and says so.
	USERNS="warning  userns: this process runs in a user namespace (a rootless container?) and the binfmt_misc at $BINFMT is a private instance: programs started in this namespace use only its entries, listed here, not the host's, and what is registered here reaches no one else; register from a rootful container"
}

teardown() {
	instance_stop
}

doctor() {
	reg --doctor "$@"
}

# Execute a program in the instance and show what the kernel said. Through
# bash: nsenter, env and sh fall back to running a file as a shell script
# when the kernel answers ENOEXEC, bash says "Exec format error".
execute() {
	in_instance bash -c '"$@"' bash "$@"
}

# The fix the doctor printed for SUBJECT, from its JSON form.
fix_for() {
	local subject=$1
	shift
	reg --doctor --json "$@" | jq -r --arg s "$subject" \
		'[.checks[] | select(.subject == $s and .fix != null)][0].fix'
}

# Run a printed fix in the instance, with this build as `register`.
apply_fix() {
	local fix=$1
	if [ -z "$fix" ] || [ "$fix" = null ]; then
		fail "no fix printed"
	fi
	in_instance sh -c "${fix/#register /$REGISTER }"
}

@test "no entry: a problem, with the command that registers every emulator" {
	run doctor
	assert_failure 1
	assert_line "ok       kernel: the kernel has binfmt_misc"
	assert_line "ok       mount: binfmt_misc is mounted at $BINFMT"
	assert_line "ok       status: binfmt_misc is enabled"
	assert_line "$USERNS"
	assert_line "problem  entries: no QEMU entry is registered: programs of other architectures fail with 'exec format error'"
	assert_line "         fix: register --reset -p yes -Q $QEMU_BIN"
	assert_line "1 problem, 1 warning"
	run execute "$ARM64" uname -m
	assert_failure
	assert_output --partial "Exec format error"
	apply_fix "$(fix_for entries)" >/dev/null
	run doctor
	assert_success
	assert_line "0 problems, 1 warning"
	run execute "$ARM64" uname -m
	assert_output aarch64
}

@test "a disabled entry: a problem, fixed by writing 1 to it" {
	reg -p yes aarch64 >/dev/null
	in_instance sh -c 'echo 0 > "$1/qemu-aarch64"' sh "$BINFMT"
	run doctor
	assert_failure 1
	assert_line "problem  qemu-aarch64: disabled (0 was written to it): its programs fail with 'exec format error'"
	assert_line "         fix: echo 1 > $BINFMT/qemu-aarch64"
	run execute "$ARM64" uname -m
	assert_output --partial "Exec format error"
	apply_fix "$(fix_for qemu-aarch64)"
	assert_equal "$(entry qemu-aarch64 | head -1)" enabled
	run doctor
	assert_success
	assert_line "ok       qemu-aarch64: enabled, flags F, interpreter $QEMU_BIN/qemu-aarch64-static (opened at registration); probe ran: linux/arm64"
	run execute "$ARM64" uname -m
	assert_output aarch64
}

@test "binfmt_misc disabled as a whole (0 in status): a problem, fixed by writing 1 to status" {
	reg -p yes aarch64 >/dev/null
	in_instance sh -c 'echo 0 > "$1/status"' sh "$BINFMT"
	run doctor
	assert_failure 1
	assert_line "problem  status: binfmt_misc is disabled as a whole (0 was written to status): the kernel uses no entry, and every foreign program fails with 'exec format error'"
	assert_line "         fix: echo 1 > $BINFMT/status"
	# The probes cannot run then, and that is not blamed on the emulator.
	refute_line --partial "probe"
	run execute "$ARM64" uname -m
	assert_output --partial "Exec format error"
	apply_fix "$(fix_for status)"
	run doctor
	assert_success
	assert_line "ok       status: binfmt_misc is enabled"
	run execute "$ARM64" uname -m
	assert_output aarch64
}

@test "an entry without F whose interpreter is absent: a problem; the program's exec fails with ENOENT, and why" {
	reg -Q /nonexistent aarch64 >/dev/null
	assert_equal "$(entry_field qemu-aarch64 flags:)" ""
	run doctor "$ARM64"
	assert_failure 1
	assert_line "problem  qemu-aarch64: its interpreter /nonexistent/qemu-aarch64-static does not exist here, and without flag F the kernel looks for it at each exec, in the mount namespace of the program started: its programs fail with 'no such file or directory'; register with -p yes (F) so that the kernel opens the emulator once"
	assert_line "         fix: register --reset -p yes -Q $QEMU_BIN"
	assert_line "ok       $ARM64: the kernel hands it to qemu-aarch64 (interpreter /nonexistent/qemu-aarch64-static)"
	assert_line "problem  $ARM64: exec failed: No such file or directory (ENOENT), although the program is there: qemu-aarch64 takes it, and its interpreter /nonexistent/qemu-aarch64-static is missing here (no flag F)"
	# What users see (bash 5.2): the file is there, and "not found".
	run -127 execute "$ARM64" uname -m
	assert_output --partial "$ARM64: cannot execute: required file not found"
	apply_fix "$(fix_for qemu-aarch64)" >/dev/null
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	run doctor "$ARM64"
	assert_success
}

@test "an entry that takes this machine's own programs: an exec loop, found without executing a native program" {
	local fake=$BATS_TEST_TMPDIR/fake line outside fix
	make_fake_qemu "$fake"
	# register refuses this entry itself; its dry-run line, for an aarch64
	# host, is what a careless tool would write.
	line=$(HOST_ARCH=aarch64 "$REGISTER" --dry-run -Q "$fake" x86_64)
	raw_register "$line"
	# From now on no native program starts in the instance, the doctor
	# included: it looks from outside, at the instance's mount.
	run in_instance true
	assert_failure
	assert_output --partial "Too many levels of symbolic links"
	outside=/proc/$INSTANCE_PID/root$BINFMT
	run timeout 20 "$REGISTER" --doctor --mount "$outside"
	assert_failure 1
	assert_line "problem  qemu-x86_64: takes this machine's own programs (it matches this very program): every native exec goes to $fake/qemu-x86_64-static, which it takes again, until the kernel gives up with 'too many levels of symbolic links' (ELOOP); remove it"
	assert_line "         fix: echo -1 > $outside/qemu-x86_64"
	# Nothing else is held against it (the warning, if any, is this
	# machine's own: whether it keeps binfmt_misc mounted).
	assert_line --regexp "^1 problem, [01] warnings?$"
	fix=$(timeout 20 "$REGISTER" --doctor --json --mount "$outside" | jq -r '.checks[] | select(.check == "native") | .fix')
	sh -c "$fix"
	run in_instance true
	assert_success
	assert_equal "$(entries)" ""
}

@test "other tools' entries are listed, never judged, even disabled" {
	reg -p yes aarch64 >/dev/null
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
	in_instance sh -c 'echo 0 > "$1/jar"' sh "$BINFMT"
	run doctor
	assert_success
	assert_line "info     python3.11: not a QEMU entry (/usr/bin/python3.11): listed, not judged"
	assert_line "info     jar: not a QEMU entry (/usr/bin/jexec): listed, not judged"
	assert_line "0 problems, 1 warning"
}

@test "two entries for the same programs: the newer takes them, and the older is named as shadowed" {
	local fake=$BATS_TEST_TMPDIR/fake magic mask
	make_fake_qemu "$fake"
	reg -p yes aarch64 >/dev/null
	magic=$(HOST_ARCH=x86_64 "$REGISTER" --dry-run aarch64 | cut -d: -f5)
	mask=$(HOST_ARCH=x86_64 "$REGISTER" --dry-run aarch64 | cut -d: -f6)
	raw_register ":qemu-arm64:M::$magic:$mask:$fake/qemu-aarch64-static:"
	# The kernel hands the program to the newer entry, the stand-in.
	run execute "$ARM64" uname -m
	assert_output "qemu-aarch64-static $ARM64 uname -m"
	run doctor
	assert_failure 1
	assert_line "warning  qemu-aarch64: shadowed by qemu-arm64, registered later, which takes the same programs: the kernel uses the newest matching entry, so this one is never used for them; remove one of the two"
	assert_line "         fix: echo -1 > $BINFMT/qemu-aarch64"
	# The probe of linux/arm64 goes where programs go, and it shows.
	assert_line "problem  qemu-arm64: the linux/arm64 probe, a tiny program of that platform, did not run through the kernel: the emulator $fake/qemu-aarch64-static fails"
	in_instance sh -c 'echo -1 > "$1/qemu-arm64"' sh "$BINFMT"
	run doctor
	assert_success
	refute_line --partial "shadowed"
}

@test "missing P and C are trade-offs, said once each with the command that changes them, and are not problems" {
	reg --reset -p yes >/dev/null
	run doctor
	assert_success
	assert_line "info     flag P: 31 of 31 QEMU entries lack P (preserve argv[0]): a program that runs itself again by its argv[0], as busybox applets do, fails under them with 'applet not found'. A trade-off, not an error: with P the emulator must know the flag (QEMU does)"
	assert_line "         change: register --reset -p yes -g yes -Q $QEMU_BIN"
	assert_line "info     flag C: 31 of 31 QEMU entries lack C (credentials): setuid programs such as sudo run with the caller's credentials under them and fail ('sudo: effective uid is not 0'). A trade-off, not an error: with C the emulator runs with the program owner's credentials, root for sudo"
	assert_line "         change: register --reset -p yes -c yes -Q $QEMU_BIN"
	run -127 in_instance "$ARM64" sh -c 'cat /dev/null'
	assert_output --partial "applet not found"
	apply_fix "$(fix_for "flag P")" >/dev/null
	run in_instance "$ARM64" sh -c 'echo applet ran'
	assert_success
	assert_output "applet ran"
	run doctor
	refute_line --partial "flag P:"
}

@test "systemd host: the entries in no binfmt.d file are named, and systemd-binfmt does remove exactly those" {
	local conf=$BATS_TEST_TMPDIR/binfmt.d
	mkdir -p "$conf"
	reg -p yes aarch64 riscv64 >/dev/null
	HOST_ARCH=x86_64 "$REGISTER" --dry-run -p yes aarch64 > "$conf/qemu-aarch64.conf"
	# A systemd host, as the doctor sees it: /run/systemd/system and a
	# binfmt.d folder, in a mount and PID namespace of the test's own (no
	# binfmt_misc is mounted there: an empty tmpfs covers the machine's).
	run unshare --mount --pid --fork --propagation private sh -c '
		mount -t tmpfs tmpfs "$1" && mount -t tmpfs tmpfs /run &&
		mkdir -p /run/systemd/system /run/binfmt.d && cp "$2"/*.conf /run/binfmt.d/ &&
		exec "$3" --doctor --mount "$4"' sh "$BINFMT" "$conf" "$REGISTER" "/proc/$INSTANCE_PID/root$BINFMT"
	assert_success
	assert_line "warning  systemd-binfmt: this host runs systemd, and 1 QEMU entry (qemu-riscv64) is in no binfmt.d file: systemd-binfmt removes every entry when it starts again (a restart, an upgrade of systemd), and registers only those of its files; keep them in binfmt.d files when the emulators are on the host, or register again after such a restart"
	assert_line "         fix: docker run --rm -v /etc/binfmt.d:/etc/binfmt.d IMAGE --systemd ALL -p yes -Q $QEMU_BIN"
	# A container that cannot see the host still knows that something
	# keeps binfmt_misc mounted: entries exist.
	assert_line "ok       persistence: entries exist, so something keeps binfmt_misc mounted (the host, or another container)"
	# Probes would run through this process's own (empty) instance, not
	# the one looked at: none is run.
	assert_line "ok       qemu-aarch64: enabled, flags F, interpreter $QEMU_BIN/qemu-aarch64-static (opened at registration)"
	refute_line --partial "probe"
	# The real systemd-binfmt, in the instance: it flushes, then loads its files.
	[ -x /lib/systemd/systemd-binfmt ] || fail "systemd-binfmt is missing: apt-get install systemd"
	in_instance sh -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/binfmt.d &&
		cp "$1"/*.conf /run/binfmt.d/ && /lib/systemd/systemd-binfmt' sh "$conf"
	run entries
	assert_line qemu-aarch64
	refute_line qemu-riscv64
}

@test "--json: the same checks as one document, line for line; and the same output twice" {
	reg -p yes aarch64 riscv64 >/dev/null
	in_instance sh -c 'echo 0 > "$1/qemu-riscv64"' sh "$BINFMT"
	run doctor --json
	assert_failure 1
	local json=$output text
	jq -e '.problems == 1 and .warnings == 1' <<<"$json"
	jq -e 'all(.checks[]; (keys == ["check", "fix", "level", "message", "subject"]) and
		(.level | IN("ok", "info", "warning", "problem")))' <<<"$json"
	assert_equal "$(jq -r '.checks[] | select(.subject == "qemu-riscv64") | [.check, .level, .fix] | @tsv' <<<"$json")" \
		"$(printf 'enabled\tproblem\techo 1 > %s/qemu-riscv64' "$BINFMT")"
	# Rendered back as text, the JSON gives the text form's lines.
	text=$(doctor || true)
	assert_equal "$(jq -r '.checks[] | "\(.level)|\(.subject): \(.message)"' <<<"$json")" \
		"$(grep -v -e '^ ' -e '^[0-9]' <<<"$text" | sed -E 's/^([a-z]+) +/\1|/')"
	assert_equal "$(doctor --json)" "$json"
}

@test "--doctor PROGRAM on Debian's static busybox of arm64, riscv64 and s390x: architecture, entry, and a real run" {
	reg --reset -p yes >/dev/null
	local row arch target platform order prog first
	for row in arm64:aarch64:linux/arm64:LSB riscv64:riscv64:linux/riscv64:LSB s390x:s390x:linux/s390x:MSB; do
		IFS=: read -r arch target platform order <<<"$row"
		prog=$FIXTURES/busybox-$arch/bin/busybox
		first=$(in_instance "$prog" 2>&1 | head -1)
		[[ $first == BusyBox* ]] || fail "busybox-$arch did not run: $first"
		run doctor "$prog"
		assert_success
		assert_line "ok       $prog: ELF 64-bit $order for $target ($platform), static"
		assert_line "ok       $prog: the kernel hands it to qemu-$target (interpreter $QEMU_BIN/qemu-$target-static)"
		assert_line "ok       $prog: ran (through qemu-$target) with no argument: exit status 0; output: \"$first\""
	done
}

@test "--doctor PROGRAM on native programs: this machine's own, and of its family" {
	run doctor "$HELPERS/reporter"
	assert_line "ok       $HELPERS/reporter: ELF 64-bit LSB for x86_64 (linux/amd64), static"
	assert_line "ok       $HELPERS/reporter: this machine's own architecture: the kernel runs it itself"
	assert_line "ok       $HELPERS/reporter: ran with no argument: exit status 0; output: \"reporter\""
	local i386=$FIXTURES/busybox-i386/bin/busybox
	run doctor "$i386"
	assert_line "ok       $i386: ELF 32-bit LSB for i386 (linux/386), static"
	assert_line "ok       $i386: of this machine's family: the kernel runs it itself, where the CPU can"
	assert_line --regexp "^ok       $i386: ran with no argument: exit status 0; output: \"BusyBox .*\"$"
}

@test "--doctor PROGRAM, foreign with no entry: exec format error, and the --install that adds one" {
	run doctor "$ARM64"
	assert_failure 1
	assert_line "ok       $ARM64: ELF 64-bit LSB for aarch64 (linux/arm64), static"
	assert_line "problem  $ARM64: no entry takes it: exec fails with 'exec format error'"
	assert_line "         fix: register --install arm64 -Q $QEMU_BIN"
	assert_line "problem  $ARM64: exec failed: Exec format error (ENOEXEC): the kernel cannot run it itself, and no enabled entry takes it"
	apply_fix "$(fix_for "$ARM64" "$ARM64")" >/dev/null
	assert_equal "$(entries)" qemu-aarch64
	run doctor "$ARM64"
	assert_success
	assert_line --partial "ok       $ARM64: ran (through qemu-aarch64) with no argument: exit status 0"
}

@test "--doctor PROGRAM, a dynamic program whose loader is not here: 'no such file' explained by its PT_INTERP" {
	reg -p yes aarch64 >/dev/null
	local hello=$FIXTURES/rootfs-arm64/usr/bin/hello
	run doctor "$hello"
	assert_failure 1
	assert_line "ok       $hello: ELF 64-bit LSB for aarch64 (linux/arm64), dynamic, loader /lib/ld-linux-aarch64.so.1"
	assert_line "problem  $hello: started (through qemu-aarch64), but exited with status 255: its dynamic loader /lib/ld-linux-aarch64.so.1 is missing here (output: \"qemu-aarch64-static: Could not open '/lib/ld-linux-aarch64.so.1': No such file or directory\"); run it in a root that has its libraries (a chroot, a container of its platform)"
	run in_instance chroot "$FIXTURES/rootfs-arm64" /usr/bin/hello
	assert_output "Hello, world!"
}

@test "--doctor PROGRAM that cannot be read: a problem" {
	run doctor /nonexistent/program
	assert_failure 1
	assert_line "problem  /nonexistent/program: cannot read it: No such file or directory"
}

@test "the doctor changes nothing: the instance reads the same before and after" {
	reg --reset -p yes >/dev/null
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	in_instance sh -c 'echo 0 > "$1/qemu-s390x"' sh "$BINFMT"
	local before
	before=$(snapshot)
	doctor "$ARM64" >/dev/null || true
	doctor --json >/dev/null || true
	assert_equal "$(snapshot)" "$before"
}

# Persistence is the host's: the doctor judges it by the mounts of the
# machine's initial mount namespace, mounted or not as this machine is.
assert_persistence_of_this_machine() {
	if binfmt_mounted_here; then
		assert_line "ok       persistence: the host keeps binfmt_misc mounted: the entries outlive the containers that register them"
		refute_line --partial "warning  persistence:"
	else
		assert_line "warning  persistence: the host keeps no binfmt_misc mount: on Linux >= 6.7 entries live only while binfmt_misc is mounted somewhere, so those a container registers vanish when it exits; mount it on the host"
		assert_line "         fix: mount -t binfmt_misc binfmt_misc $BINFMT"
	fi
}

# "Not mounted" is made in a mount namespace of the test's own (the machine
# keeps its mount, if it has one).
@test "with binfmt_misc not mounted where it runs, it looks through a mount of its own, leaves none, and judges persistence by the host's" {
	run without_binfmt_mount sh -c '
		"$1" --doctor
		echo "binfmt_misc mounts left: $(grep -c " $2 binfmt_misc " /proc/self/mounts)"' sh "$REGISTER" "$BINFMT"
	assert_line "ok       mount: binfmt_misc was not mounted at $BINFMT; mounted it in a mount namespace of this process alone, to look"
	assert_line "binfmt_misc mounts left: 0"
	assert_persistence_of_this_machine
}

# The same on the machine as it is: its persistence line follows whether it
# keeps a mount (after `make run`, or on a systemd host) or not.
@test "on this machine itself it judges persistence by the machine's own mount, and changes no mount" {
	local before
	before=$(grep " binfmt_misc " /proc/self/mounts || true)
	run "$REGISTER" --doctor
	if binfmt_mounted_here; then
		assert_line "ok       mount: binfmt_misc is mounted at $BINFMT"
	else
		assert_line "ok       mount: binfmt_misc was not mounted at $BINFMT; mounted it in a mount namespace of this process alone, to look"
	fi
	assert_persistence_of_this_machine
	assert_equal "$(grep " binfmt_misc " /proc/self/mounts || true)" "$before"
}

# issue 11, item 10
@test "PROGRAM that hangs and starts a child: stopped after 5 s with everything it started, none of it left running" {
	local hung=$BATS_TEST_TMPDIR/hung
	make_hung_qemu "$hung"
	reg -p yes -Q "$hung" aarch64 >/dev/null
	run doctor "$ARM64"
	hung_left "$hung" >"$BATS_TEST_TMPDIR/left"
	hung_stop "$hung"
	assert_line "ok       $ARM64: ran (through qemu-aarch64), and was still running after 5 s: stopped it (its output began: \"\")"
	# The probe and the program: each a stand-in and its child.
	assert_equal "$(wc -l <"$hung/pids")" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/left")" ""
}
