#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr is set by `run --separate-stderr`
# Registration as the kernel reads it back: names, interpreters, flags, magic
# and mask; --reset; idempotency; what other tools registered survives.

load helpers/common

# The 31 targets that are not of x86_64's family (i386, i486, x86_64).
FOREIGN="aarch64 aarch64_be alpha arm armeb hexagon hppa loongarch64 m68k
microblaze microblazeel mips mips64 mips64el mipsel mipsn32 mipsn32el or1k ppc
ppc64 ppc64le riscv32 riscv64 s390x sh4 sh4eb sparc sparc32plus sparc64 xtensa
xtensaeb"

setup() {
	[ "$(uname -m)" = x86_64 ] || fail "these expectations are written for an x86_64 host"
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
}

teardown() {
	instance_stop
}

expected_names() {
	local t
	for t in $FOREIGN; do echo "qemu-$t"; done | sort
}

# Other tools' entries, as a Python, a WSL and a Java install make them.
add_foreign_entries() {
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':WSLInterop:M::MZ::/init:P'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
	raw_register ':qemu_like:M::\x01\x02\x03::/usr/bin/other:'
}

@test "--reset -p yes registers the 31 foreign targets with the pinned emulators, as the kernel reads back" {
	run reg --reset -p yes -Q "$QEMU_BIN"
	assert_success
	assert_line "Setting $QEMU_BIN/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "31 registered, 0 already present, 0 removed, 3 skipped, 0 failed"
	assert_equal "$(entries)" "$(expected_names)"
	local t
	for t in $FOREIGN; do
		[ -x "$QEMU_BIN/qemu-$t-static" ]
		assert_equal "$(entry qemu-"$t" | head -1)" enabled
		assert_equal "$(entry_field qemu-"$t" interpreter)" "$QEMU_BIN/qemu-$t-static"
		assert_equal "$(entry_field qemu-"$t" flags:)" F
		assert_equal "$(entry_field qemu-"$t" offset)" 0
		assert_equal "$(entry_field qemu-"$t" magic)" "$(dry_run_hex "$t" 5)"
		assert_equal "$(entry_field qemu-"$t" mask)" "$(dry_run_hex "$t" 6)"
	done
	assert_equal "$(entry_field qemu-aarch64 magic)" 7f454c460201010000000000000000000200b700
	assert_equal "$(entry_field qemu-aarch64 mask)" ffffffffffffff00fffffffffffffffffeffffff
}

@test "--reset without flags registers entries whose flags read back empty" {
	reg --reset -p yes -Q "$FAKE"
	run reg --reset -Q "$FAKE"
	assert_success
	assert_line "31 registered, 0 already present, 31 removed, 3 skipped, 0 failed"
	run entry qemu-aarch64
	assert_line "flags: "
	assert_equal "$(entry_field qemu-s390x flags:)" ""
}

@test "-c yes reads back OC; -c, -g and -p together read back POCF" {
	reg --reset -c yes -Q "$FAKE" aarch64
	assert_equal "$(entry_field qemu-aarch64 flags:)" OC
	run reg --reset --credential yes --preserve-argv0 yes --persistent yes -Q "$FAKE" aarch64
	assert_success
	assert_equal "$(entry_field qemu-aarch64 flags:)" POCF
	reg --reset -g yes -Q "$FAKE" aarch64
	assert_equal "$(entry_field qemu-aarch64 flags:)" P
}

@test "-c yes explains, in one line, what credentials mean, with --verbose (a routine note otherwise kept quiet)" {
	run reg -c yes -p yes -Q "$FAKE" riscv64
	assert_success
	refute_output --partial "note:"
	run reg -c yes -p yes --verbose -Q "$FAKE" --reset riscv64
	assert_success
	assert_line "register: note: --credential yes: setuid programs (sudo, su, ping) run emulated with the credentials of their owner, root for most of them"
}

@test "multiarch's stdout: only the Setting line of each entry registered; Removed, Already registered and the summary go to stderr" {
	reg -p yes -Q "$FAKE" aarch64 s390x
	run --separate-stderr reg --reset -p yes -Q "$FAKE" aarch64 riscv64
	assert_success
	assert_equal "$output" "$(printf 'Setting %s as binfmt interpreter for %s\n' \
		"$FAKE/qemu-aarch64-static" aarch64 "$FAKE/qemu-riscv64-static" riscv64)"
	assert_equal "$stderr" $'Removed qemu-aarch64\nRemoved qemu-s390x\n2 registered, 0 already present, 2 removed, 32 skipped, 0 failed'
	run --separate-stderr reg -p yes -Q "$FAKE" aarch64
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "Already registered: $FAKE/qemu-aarch64-static as binfmt interpreter for aarch64
0 registered, 1 already present, 0 removed, 33 skipped, 0 failed"
	# A failure: on stderr, and nothing on stdout.
	run --separate-stderr reg -p no -Q "$FAKE" aarch64
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "register: qemu-aarch64: a different entry is already registered (interpreter $FAKE/qemu-aarch64-static, flags: F); run with --reset to replace it
0 registered, 0 already present, 0 removed, 33 skipped, 1 failed"
}

@test "entries that are not QEMU's survive --reset untouched" {
	add_foreign_entries
	local before
	before=$(in_instance sh -c 'cd "$1"; for e in python3.11 WSLInterop jar qemu_like; do echo "== $e"; cat "$e"; done' sh "$BINFMT")
	reg --reset -p yes -Q "$FAKE"
	run reg --reset -Q "$FAKE"
	assert_success
	assert_line "31 registered, 0 already present, 31 removed, 3 skipped, 0 failed"
	refute_line --partial "Removed python3.11"
	local after
	after=$(in_instance sh -c 'cd "$1"; for e in python3.11 WSLInterop jar qemu_like; do echo "== $e"; cat "$e"; done' sh "$BINFMT")
	assert_equal "$after" "$before"
	assert_equal "$(entries | grep -c '^qemu-')" 31
}

@test "--reset is honoured anywhere on the line, not only first" {
	reg -p yes -Q "$FAKE" aarch64 riscv64
	run reg -p no -Q "$FAKE" --reset aarch64
	assert_success
	assert_line "Removed qemu-riscv64"
	assert_equal "$(entries)" "qemu-aarch64"
	assert_equal "$(entry_field qemu-aarch64 flags:)" ""
}

@test "a second identical run exits 0 and changes nothing" {
	add_foreign_entries
	reg --reset -p yes -Q "$FAKE"
	local before
	before=$(snapshot)
	run reg -p yes -Q "$FAKE"
	assert_success
	assert_line "Already registered: $FAKE/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "0 registered, 31 already present, 0 removed, 3 skipped, 0 failed"
	assert_equal "$(snapshot)" "$before"
}

@test "a run that differs, without --reset, exits 1, names each target and changes nothing" {
	reg --reset -p yes -Q "$FAKE"
	local before
	before=$(snapshot)
	run reg -p no -Q "$FAKE"
	assert_failure 1
	assert_line "register: qemu-aarch64: a different entry is already registered (interpreter $FAKE/qemu-aarch64-static, flags: F); run with --reset to replace it"
	assert_line --partial "register: qemu-s390x: a different entry is already registered"
	assert_line "0 registered, 0 already present, 0 removed, 3 skipped, 31 failed"
	assert_equal "$(snapshot)" "$before"
}

@test "named targets register only those" {
	run reg -p yes -Q "$FAKE" riscv64 s390x
	assert_success
	assert_equal "$(entries)" "$(printf 'qemu-riscv64\nqemu-s390x')"
	assert_line "2 registered, 0 already present, 0 removed, 32 skipped, 0 failed"
}

@test "with no option that asks for a change, it prints the JSON status and changes nothing; --status prints a table" {
	add_foreign_entries
	reg -p yes -Q "$FAKE" aarch64
	in_instance sh -c 'echo 0 > "$1/jar"' sh "$BINFMT"
	local before
	before=$(snapshot)
	run --separate-stderr reg
	assert_success
	assert_equal "$(jq -c .emulators <<<"$output")" '["WSLInterop","python3.11","qemu-aarch64","qemu_like"]'
	assert_equal "$(jq -r '.supported[0]' <<<"$output")" linux/amd64
	assert_equal "$stderr" ""
	assert_equal "$(snapshot)" "$before"
	run reg --status
	assert_success
	assert_line --index 0 --regexp '^ENTRY +TARGET +STATE +FLAGS +PROBE +INTERPRETER$'
	assert_line --regexp "^qemu-aarch64 +aarch64 +enabled +F +[a-z-]+ +$FAKE/qemu-aarch64-static$"
	assert_line --regexp "^jar +- +disabled +- +- +/usr/bin/jexec$"
	run reg --status --json
	assert_success
	assert_equal "$(jq -c '.[] | select(.entry == "qemu-aarch64") | [.target, .flags, .enabled]' <<<"$output")" '["aarch64","F",true]'
	assert_equal "$(snapshot)" "$before"
}

# "Nothing mounted" is an empty folder: an empty tmpfs stands for it, and
# hides whatever the host has mounted there.
@test "it mounts binfmt_misc itself when nothing is mounted there (here, asked for a private instance)" {
	instance_stop
	run unshare --user --map-root-user --mount sh -c '
		mount -t tmpfs -o size=4k empty /proc/sys/fs/binfmt_misc || exit 9
		"$1" --reset -p yes --private-instance --verbose -Q "$2" aarch64 && cat /proc/sys/fs/binfmt_misc/qemu-aarch64' sh "$REGISTER" "$FAKE"
	assert_success
	assert_line "register: note: mounted binfmt_misc at /proc/sys/fs/binfmt_misc (a private instance of this user namespace)"
	assert_line "Setting $FAKE/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "interpreter $FAKE/qemu-aarch64-static"
	# Without --verbose the mount is routine, said nowhere: the plain status
	# call prints its JSON document and nothing on stderr.
	run --separate-stderr unshare --user --map-root-user --mount sh -c '
		mount -t tmpfs -o size=4k empty /proc/sys/fs/binfmt_misc || exit 9
		"$1" --private-instance' sh "$REGISTER"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c .emulators <<<"$output")" '[]'
}

@test "with F, targets whose emulator is absent are skipped (a note with --verbose); a named one is a failure" {
	local some=$BATS_TEST_TMPDIR/some
	mkdir -p "$some"
	ln -s "$HELPERS/reporter" "$some/qemu-aarch64-static"
	run reg -p yes -Q "$some" --verbose
	assert_success
	assert_line "register: note: skipping riscv64: $some/qemu-riscv64-static is not here (with --persistent yes the interpreter must exist when registering)"
	assert_line "1 registered, 0 already present, 0 removed, 33 skipped, 0 failed"
	assert_equal "$(entries)" qemu-aarch64
	run reg -p yes -Q "$some" aarch64 riscv64
	assert_failure 1
	assert_line --partial "register: qemu-riscv64: cannot use interpreter $some/qemu-riscv64-static: No such file or directory"
	assert_line "0 registered, 1 already present, 0 removed, 32 skipped, 1 failed"
}

@test "without F, entries are written as asked, with a note that the paths must exist where programs run" {
	run reg -Q /nonexistent/bin riscv64 --verbose
	assert_success
	assert_line --partial "note: without --persistent yes the kernel looks up each interpreter at every exec"
	assert_equal "$(entry_field qemu-riscv64 interpreter)" /nonexistent/bin/qemu-riscv64-static
}

@test "QEMU_BIN_DIR and QEMU_SUFFIX set the interpreter path; -Q and -F override them" {
	run in_instance env QEMU_BIN_DIR=/opt/q QEMU_SUFFIX=-x "$REGISTER" --dry-run riscv64
	assert_output --regexp ':/opt/q/qemu-riscv64-x:$'
	run in_instance env QEMU_BIN_DIR=/opt/q QEMU_SUFFIX= "$REGISTER" --dry-run riscv64
	assert_output --regexp ':/opt/q/qemu-riscv64:$'
	run in_instance env QEMU_BIN_DIR=/opt/q "$REGISTER" --dry-run -Q /usr/local/bin -F -q riscv64
	assert_output --regexp ':/usr/local/bin/qemu-riscv64-q:$'
}

@test "in a user namespace it refuses to create a private instance unless asked, and mounts nothing" {
	instance_stop
	# The machine's own mount, if it has one, is inherited (under the tmpfs):
	# what counts is that register adds none.
	run unshare --user --map-root-user --mount sh -c '
		before=$(grep -c " /proc/sys/fs/binfmt_misc binfmt_misc " /proc/self/mounts)
		mount -t tmpfs -o size=4k empty /proc/sys/fs/binfmt_misc || exit 9
		"$1" --reset -p yes -Q "$2" aarch64; echo "exit $?"
		echo "binfmt_misc mounts added: $(($(grep -c " /proc/sys/fs/binfmt_misc binfmt_misc " /proc/self/mounts) - before))"' sh "$REGISTER" "$FAKE"
	assert_line --regexp "^register: binfmt_misc is not mounted at /proc/sys/fs/binfmt_misc, and this process runs in a user namespace \(a rootless container\?\): mounting it here would create a private instance that serves only this namespace, and the host would get nothing\. Run a rootful, privileged container .*, or add --private-instance if a private instance is what you want$"
	assert_line "exit 3"
	assert_line "binfmt_misc mounts added: 0"
	refute_line --partial Setting
	# The status view refuses in the same way: an empty private instance says nothing true.
	run unshare --user --map-root-user --mount sh -c '
		mount -t tmpfs -o size=4k empty /proc/sys/fs/binfmt_misc || exit 9; exec "$1"' sh "$REGISTER"
	assert_failure 3
	assert_line --partial "would create a private instance"
}
