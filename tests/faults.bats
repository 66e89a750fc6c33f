#!/usr/bin/env bats
# Faults: what register says (exact message, exit status) and what it
# leaves when the world is hostile or the kernel says no. Complements
# tests/errors.bats (usage errors, a plain file in a fake --mount, a
# read-only mount, unusable interpreters, a disabled entry with --reset).
#
# The kernel's refusals that register's own targets cannot provoke
# (ENAMETOOLONG, EINVAL, ...) are shown twice: once for real, through a raw
# write, and once through register, with the glibc build and an LD_PRELOAD
# library that makes binfmt_misc answer that errno
# (tests/helpers/faultinject.c).

load helpers/common

setup() {
	fake_qemu_instance
	# Other tools' entries: Python by magic, WSL by magic with flags, Java
	# by extension. No operation of register may touch them.
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':WSLInterop:M::MZ::/bin/true:PF'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
	FOREIGN=$(foreign_snapshot)
	INJECT=$BUILD/faultinject/faultinject.so
	GLIBC_REGISTER=$BUILD/valgrind/register
}

teardown() {
	instance_stop
}

foreign_snapshot() {
	local n
	for n in WSLInterop jar python3.11; do
		echo "== $n"
		entry "$n"
	done
}

# The foreign entries are exactly as they were registered.
assert_foreign_intact() {
	assert_equal "$(foreign_snapshot)" "$FOREIGN"
}

# register (glibc build) with the faults given as VAR=VALUE before ARGS:
#   injected QUS_FAULT_REGISTER=EINVAL -- -p yes aarch64
injected() {
	local env=()
	[ -x "$GLIBC_REGISTER" ] || fail "$GLIBC_REGISTER is missing: run make valgrind-build"
	[ -e "$INJECT" ] || fail "$INJECT is missing: run make faultinject"
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	run in_instance env LD_PRELOAD="$INJECT" "${env[@]}" "$GLIBC_REGISTER" "$@"
}

# --- symlinks --------------------------------------------------------------

@test "binfmt_misc itself holds no symlink: the kernel refuses to create one" {
	run in_instance ln -s "$FAKE/qemu-aarch64-static" "$BINFMT/qemu-aarch64"
	assert_failure
	run in_instance test -L "$BINFMT/qemu-aarch64"
	assert_failure
}

@test "a tmpfs posing as --mount whose register is a symlink to the real one: refused (exit 3), nothing registered" {
	in_instance sh -c 'mkdir -p /tmp/qus-fake && mount -t tmpfs tmpfs /tmp/qus-fake &&
		ln -s "$1/register" /tmp/qus-fake/register' sh "$BINFMT"
	run reg --reset -p yes -Q "$FAKE" --mount /tmp/qus-fake
	assert_failure 3
	assert_output "register: /tmp/qus-fake is not a binfmt_misc filesystem and is not empty: refusing to mount over it or to write into it; give --mount the folder where binfmt_misc is mounted"
	run in_instance test -L /tmp/qus-fake/register
	assert_success
	run entries
	assert_output "$(printf 'WSLInterop\njar\npython3.11')"
	assert_foreign_intact
}

@test "a tmpfs posing as --mount with an entry symlinked to a file: every mode refuses (exit 3), the file is untouched" {
	local victim=$BATS_TEST_TMPDIR/victim
	echo "precious" >"$victim"
	in_instance sh -c 'mkdir -p /tmp/qus-fake && mount -t tmpfs tmpfs /tmp/qus-fake &&
		ln -s "$1" /tmp/qus-fake/qemu-aarch64' sh "$victim"
	local args
	for args in "--reset -p yes -Q $FAKE" "--install aarch64 -Q $FAKE" "--uninstall qemu-*" \
		"--uninstall aarch64"; do
		# shellcheck disable=SC2086 # one string per mode, split on purpose
		run reg $args --mount /tmp/qus-fake
		assert_failure 3
		assert_line "register: /tmp/qus-fake is not a binfmt_misc filesystem and is not empty: refusing to mount over it or to write into it; give --mount the folder where binfmt_misc is mounted"
	done
	assert_equal "$(cat "$victim")" precious
	run in_instance test -L /tmp/qus-fake/qemu-aarch64
	assert_success
	assert_foreign_intact
}

# --- interpreters ----------------------------------------------------------

@test "with F, a named target whose emulator is missing fails (exit 1) with its path; the others are registered" {
	local q=$BATS_TEST_TMPDIR/some-qemu
	mkdir -p "$q"
	ln -s "$HELPERS/reporter" "$q/qemu-aarch64-static"
	run reg -p yes -Q "$q" aarch64 riscv64
	assert_failure 1
	assert_line "register: qemu-riscv64: cannot use interpreter $q/qemu-riscv64-static: No such file or directory (with --persistent yes it must exist when registering)"
	assert_line "Setting $q/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "1 registered, 0 already present, 0 removed, 32 skipped, 1 failed"
	run entries
	assert_output "$(printf 'WSLInterop\njar\npython3.11\nqemu-aarch64')"
	# --install (F by default) says the same.
	run reg --install riscv64 -Q "$q"
	assert_failure 1
	assert_line "installing: riscv64 qemu-riscv64: cannot use interpreter $q/qemu-riscv64-static: No such file or directory (with --persistent yes it must exist when registering)"
	run entries
	refute_line qemu-riscv64
	assert_foreign_intact
}

@test "the kernel's ENOENT and EACCES for an interpreter (F) are named, with the interpreter" {
	injected QUS_FAULT_REGISTER=ENOENT -- -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: the interpreter $FAKE/qemu-aarch64-static does not exist (with --persistent yes the kernel opens it when registering)"
	injected QUS_FAULT_REGISTER=EACCES -- -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: the kernel may not open the interpreter $FAKE/qemu-aarch64-static (permission denied: is it executable, and not on a noexec mount?)"
	run entries
	refute_line qemu-aarch64
	assert_foreign_intact
}

# --- the kernel's refusals -------------------------------------------------

@test "ENAMETOOLONG: the kernel refuses a 256-byte name and keeps a 255-byte one, which every mode then leaves alone" {
	local n255 n256
	n255=$(printf 'n%.0s' $(seq 255))
	n256=$(printf 'n%.0s' $(seq 256))
	run in_instance bash -c 'printf "%s" "$1" > "$2/register"' bash ":$n256:M::\\x01\\x02::/bin/true:" "$BINFMT"
	assert_failure
	assert_output --partial "File name too long"
	raw_register ":$n255:M::\\x01\\x02::/bin/true:"
	local long
	long=$(entry "$n255")
	# register reads it back in every view, and no mode changes it.
	run reg --status
	assert_success
	run reg
	assert_success
	run reg --reset -p yes -Q "$FAKE"
	assert_success
	run reg --uninstall 'qemu-*'
	assert_success
	assert_equal "$(entry "$n255")" "$long"
	assert_foreign_intact
	# The errno's message when the kernel says it to register.
	injected QUS_FAULT_REGISTER=ENAMETOOLONG -- -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: the kernel refused the entry: File name too long"
	assert_line "0 registered, 0 already present, 0 removed, 33 skipped, 1 failed"
}

@test "EINVAL: the kernel refuses malformed strings; register names the cause, and the other targets are done" {
	local bad
	for bad in ':x:M::\x01::/bin/true:Z' ':x:M::::/bin/true:' ':x:Q::\x01::/bin/true:' \
		':x:M::\x01\x02:\xff:/bin/true:' ':.:M::\x01::/bin/true:'; do
		run in_instance bash -c 'printf "%s" "$1" > "$2/register"' bash "$bad" "$BINFMT"
		assert_failure
		assert_output --partial "Invalid argument"
	done
	injected QUS_FAULT_REGISTER=EINVAL QUS_FAULT_ONLY=qemu-riscv64 -- -p yes -Q "$FAKE" aarch64 riscv64 s390x
	assert_failure 1
	assert_line "register: qemu-riscv64: the kernel rejected the entry as invalid (EINVAL); kernels older than 4.8 do not know flag F: use --persistent no there"
	assert_line "2 registered, 0 already present, 0 removed, 31 skipped, 1 failed"
	run entries
	assert_output "$(printf 'WSLInterop\njar\npython3.11\nqemu-aarch64\nqemu-s390x')"
	# Without F, no advice about F.
	injected QUS_FAULT_REGISTER=EINVAL -- -Q "$FAKE" riscv64
	assert_failure 1
	assert_line "register: qemu-riscv64: the kernel rejected the entry as invalid (EINVAL)"
	assert_foreign_intact
}

@test "EEXIST for an entry that then cannot be read: named, exit 1, nothing half-registered" {
	injected QUS_FAULT_REGISTER=EEXIST -- -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: cannot read the existing entry: No such file or directory"
	run entries
	refute_line qemu-aarch64
	assert_foreign_intact
}

@test "a removal the kernel refuses is named (exit 1); the entry is then reported as it is" {
	reg -p yes -Q "$FAKE" aarch64 >/dev/null
	injected QUS_FAULT_REMOVE=EIO -- --reset -p yes -Q "$FAKE" aarch64
	assert_failure 1
	assert_line "register: qemu-aarch64: cannot remove: Input/output error"
	assert_line "Already registered: $FAKE/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "0 registered, 1 already present, 0 removed, 33 skipped, 1 failed"
	injected QUS_FAULT_REMOVE=EPERM -- --uninstall qemu-aarch64
	assert_failure 1
	assert_line "uninstalling: qemu-aarch64 cannot remove qemu-aarch64: Operation not permitted"
	run entries
	assert_line qemu-aarch64
	assert_foreign_intact
}

@test "binfmt_misc replaced under register (fstatfs no longer binfmt_misc): it stops with exit 3 before the next write" {
	reg -p yes -Q "$FAKE" aarch64 >/dev/null
	# The 2nd fstatfs is the check before the removals: nothing is removed.
	injected QUS_FAULT_STATFS_AFTER=2 -- --reset -p yes -Q "$FAKE"
	assert_failure 3
	assert_output "register: $BINFMT is no longer a binfmt_misc filesystem; stopped"
	run entries
	assert_output "$(printf 'WSLInterop\njar\npython3.11\nqemu-aarch64')"
	# The 4th is the check after the removals, before the registrations:
	# what was removed is said, and nothing is registered.
	injected QUS_FAULT_STATFS_AFTER=4 -- --reset -p yes -Q "$FAKE"
	assert_failure 3
	assert_line "Removed qemu-aarch64"
	assert_line "register: $BINFMT is no longer a binfmt_misc filesystem; stopped"
	refute_line --partial "Setting "
	run entries
	assert_output "$(printf 'WSLInterop\njar\npython3.11')"
	assert_foreign_intact
}

# --- an administrator's choices --------------------------------------------

@test "an entry disabled by an administrator: shown disabled, not listed as an emulator, left disabled by --install, removed by --uninstall" {
	reg --install aarch64 -Q "$FAKE" >/dev/null 2>&1
	in_instance sh -c 'echo 0 > "$1/qemu-aarch64"' sh "$BINFMT"
	run reg --status
	assert_success
	assert_line --regexp '^qemu-aarch64 +aarch64 +disabled +POCF '
	run reg
	assert_success
	refute_output --partial qemu-aarch64
	run reg --install aarch64 -Q "$FAKE"
	assert_failure 1
	assert_line "installing: arm64 qemu-aarch64: registered but disabled (0 was written to it); --uninstall it, then --install it again"
	assert_equal "$(entry qemu-aarch64 | head -1)" disabled
	run reg --uninstall aarch64
	assert_success
	assert_line "uninstalling: aarch64 OK"
	run entries
	refute_line qemu-aarch64
	assert_foreign_intact
}

# --- other tools' entries survive every mode -------------------------------

@test "python3.11-, WSLInterop- and jar-style entries survive --reset, --install, --uninstall, status, export and doctor" {
	local dir=$BATS_TEST_TMPDIR/export
	run reg --reset -p yes -Q "$FAKE"
	assert_success
	assert_foreign_intact
	run reg --reset -Q "$FAKE"
	assert_success
	assert_foreign_intact
	run reg --install all -Q "$FAKE"
	assert_success
	assert_foreign_intact
	run reg --uninstall 'qemu-*'
	assert_success
	assert_foreign_intact
	run reg --install all -Q "$FAKE"
	run reg --uninstall '*'
	assert_success
	assert_foreign_intact
	run reg --uninstall 'all'
	assert_foreign_intact
	run reg --install all --uninstall '*' -Q "$FAKE"
	assert_success
	assert_foreign_intact
	run reg --reset --uninstall '*'
	assert_failure 2
	run reg
	assert_success
	run reg --status
	assert_success
	run reg -s ALL -e "$dir/systemd"
	assert_success
	run reg -d -e "$dir/debian"
	assert_success
	run reg --doctor
	assert_foreign_intact
	run entries
	# The last change was --install all: tonistiigi/binfmt's set, less x86.
	assert_output "$(printf '%s\n' WSLInterop jar python3.11 qemu-aarch64 qemu-arm qemu-loongarch64 \
		qemu-mips64 qemu-mips64el qemu-ppc64le qemu-riscv64 qemu-s390x)"
}

@test "--watch repairs only its own entries: a removed or replaced QEMU entry comes back, other tools' entries are never touched" {
	# nsenter itself, not the in_instance function: $! must be register, or
	# SIGTERM below would end a subshell and leave register running.
	nsenter --target "$INSTANCE_PID" --user --mount -- \
		"$REGISTER" --watch 1 -p yes -Q "$FAKE" aarch64 riscv64 \
		>"$BATS_TEST_TMPDIR/watch.log" 2>&1 3>&- &
	local watcher=$! status=0
	wait_for_line "$BATS_TEST_TMPDIR/watch.log" 'watch: checking'
	in_instance sh -c 'echo -1 > "$1/qemu-aarch64"; echo -1 > "$1/python3.11"' sh "$BINFMT"
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	wait_for_line "$BATS_TEST_TMPDIR/watch.log" 're-created qemu-aarch64'
	kill -TERM "$watcher"
	wait "$watcher" || status=$?
	assert_equal "$status" 0
	run cat "$BATS_TEST_TMPDIR/watch.log"
	assert_line "register: note: watch: re-created qemu-aarch64 (it had vanished)"
	refute_output --partial python3.11
	refute_output --partial WSLInterop
	refute_output --partial jar
	assert_equal "$(entry_field qemu-aarch64 flags:)" F
	assert_foreign_intact
}

# --- never remove what this run cannot put back (issue 11, item 1) --------

# FAKE with only the emulators named: a folder where the others are missing.
some_fake_qemu() {
	local dir=$1 t
	shift
	mkdir -p "$dir"
	for t in "$@"; do
		ln -sf "$HELPERS/reporter" "$dir/qemu-$t-static"
	done
}

@test "--reset with nothing registrable (a mistyped -Q, the register tag with -p yes): an error before any change" {
	reg --reset -p yes -Q "$FAKE" >/dev/null
	local before
	before=$(snapshot)
	[ "$(entries | grep -c '^qemu-')" -eq 31 ]
	run reg --reset -p yes -Q /nonexistent
	assert_failure 1
	assert_line "register: no emulator was found in /nonexistent: is --qemu-path (or QEMU_BIN_DIR) right?"
	assert_line "register: --reset: nothing can be registered, so nothing was removed"
	refute_line --partial "Removed "
	assert_equal "$(snapshot)" "$before"
	# The register tag: no emulator at all in /usr/bin, through QEMU_BIN_DIR.
	local empty=$BATS_TEST_TMPDIR/empty
	mkdir -p "$empty"
	run in_instance env QEMU_BIN_DIR="$empty" "$REGISTER" --reset -p yes
	assert_failure 1
	assert_line "register: --reset: nothing can be registered, so nothing was removed"
	assert_equal "$(snapshot)" "$before"
	# A named target whose emulator is missing: the same.
	run reg --reset -p yes -Q "$empty" aarch64
	assert_failure 1
	assert_line --partial "register: qemu-aarch64: cannot use interpreter $empty/qemu-aarch64-static"
	assert_line "register: --reset: nothing can be registered, so nothing was removed"
	assert_equal "$(snapshot)" "$before"
	# --install all --uninstall 'qemu-*' likewise.
	run reg --install all --uninstall 'qemu-*' -Q /nonexistent
	assert_failure 1
	assert_line "register: --uninstall: nothing can be registered, so nothing was removed"
	assert_equal "$(snapshot)" "$before"
	assert_foreign_intact
}

@test "--reset whose replacement cannot be registered (its emulator missing) keeps the old entry, says so, exit 1" {
	reg --reset -p yes -Q "$FAKE" >/dev/null
	local some=$BATS_TEST_TMPDIR/some-qemu
	some_fake_qemu "$some" aarch64 riscv64
	local s390x
	s390x=$(entry qemu-s390x)
	run reg --reset -p yes -Q "$some"
	assert_failure 1
	assert_line "Setting $some/qemu-aarch64-static as binfmt interpreter for aarch64"
	assert_line "Setting $some/qemu-riscv64-static as binfmt interpreter for riscv64"
	assert_line "register: qemu-s390x: kept as it is: its replacement cannot be registered: $some/qemu-s390x-static is not here (with --persistent yes the interpreter must exist when registering)"
	assert_line "2 registered, 0 already present, 2 removed, 3 skipped, 29 failed"
	# All 31 are there: two replaced, 29 as they were.
	assert_equal "$(entries | grep -c '^qemu-')" 31
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$some/qemu-aarch64-static"
	assert_equal "$(entry qemu-s390x)" "$s390x"
	# Run again with every emulator: all replaced, exit 0.
	run reg --reset -p yes -Q "$FAKE"
	assert_success
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$FAKE/qemu-aarch64-static"
	assert_foreign_intact
}

@test "a replacement the kernel refuses: the old entry is registered again as it was (exit 1)" {
	reg --reset -p yes -Q "$FAKE" aarch64 riscv64 >/dev/null
	in_instance sh -c 'echo 0 > "$1/qemu-riscv64"' sh "$BINFMT"
	local old
	old=$(entry qemu-riscv64)
	local other=$BATS_TEST_TMPDIR/other-qemu
	some_fake_qemu "$other" aarch64 riscv64
	injected QUS_FAULT_REGISTER=EINVAL QUS_FAULT_ONLY=qemu-riscv64 QUS_FAULT_TIMES=1 -- \
		--reset -p yes -Q "$other" aarch64 riscv64
	assert_failure 1
	assert_line "register: qemu-riscv64: the kernel rejected the entry as invalid (EINVAL); kernels older than 4.8 do not know flag F: use --persistent no there"
	assert_line "register: qemu-riscv64: registered the old entry again, as it was"
	assert_line "Setting $other/qemu-aarch64-static as binfmt interpreter for aarch64"
	# Byte for byte what it was, disabled state included.
	assert_equal "$(entry qemu-riscv64)" "$old"
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$other/qemu-aarch64-static"
	# --install --uninstall of the same entry: the same rule.
	injected QUS_FAULT_REGISTER=EINVAL QUS_FAULT_ONLY=qemu-aarch64 QUS_FAULT_TIMES=1 -- \
		--install aarch64 --uninstall aarch64 -Q "$FAKE"
	assert_failure 1
	assert_line "register: qemu-aarch64: registered the old entry again, as it was"
	assert_equal "$(entry_field qemu-aarch64 interpreter)" "$other/qemu-aarch64-static"
	assert_foreign_intact
}

# --- any number of entries (issue 11, item 8) -----------------------------

# Names and contents of the entries named x*.
x_snapshot() {
	in_instance sh -c 'cd "$1" && for f in x*; do echo "== $f"; cat "$f"; done' sh "$BINFMT"
}

@test "500 entries of another tool with 255-byte names: every mode works, and none of them is touched" {
	# Names x001000...0 to x500000...0; magic bytes 01 02 and one of 256.
	cat >"$BATS_TEST_TMPDIR/many.sh" <<-'SCRIPT'
		for i in $(seq 500); do
			name=$(printf 'x%03d%0251d' "$i" 0)
			magic=$(printf '\\x01\\x02\\x%02x' $((i % 256)))
			printf ':%s:M::%s::/bin/true:' "$name" "$magic" >"$1/register" || exit 1
		done
	SCRIPT
	in_instance bash "$BATS_TEST_TMPDIR/many.sh" "$BINFMT"
	local many
	many=$(x_snapshot)
	[ "$(entries | grep -c '^x')" -eq 500 ]
	local t0
	t0=$(date +%s%N)
	run reg --reset -p yes -Q "$FAKE"
	assert_success
	assert_line --regexp '^31 registered, '
	echo "# --reset -p yes over 500 entries: $((($(date +%s%N) - t0) / 1000000)) ms" >&3
	run reg --status
	assert_success
	assert_equal "$(grep -c '^x' <<<"$output")" 500
	run --separate-stderr reg
	assert_success
	assert_equal "$(jq '.emulators | length' <<<"$output")" 534
	run --separate-stderr reg --status --json
	assert_success
	assert_equal "$(jq '[.[] | select(.entry | startswith("x"))] | length' <<<"$output")" 500
	run reg --uninstall 'qemu-*'
	assert_success
	assert_equal "$(grep -c '^uninstalling: qemu-[a-z0-9_]* OK$' <<<"$output")" 31
	run --separate-stderr reg --install all --uninstall 'qemu-*' -Q "$FAKE"
	assert_success
	# 500 + 3 other tools' + all's 8 (tonistiigi/binfmt's, less x86).
	assert_equal "$(jq '.emulators | length' <<<"$output")" 511
	# --doctor judges the newest 128 and says so.
	run reg --doctor
	assert_line --partial "info     entries: more than 128 entries, or the folder cannot be read: only the first 128 are looked at"
	# Every one of the 500 is as it was.
	assert_equal "$(x_snapshot)" "$many"
	assert_foreign_intact
}

# --- interpreters that are not files (issue 11, item 9) --------------------

@test "a FIFO at an emulator's path: refused at once as not a regular file where it is opened, nothing hangs" {
	local q=$BATS_TEST_TMPDIR/fifo-qemu
	mkdir -p "$q"
	ln -s "$HELPERS/reporter" "$q/qemu-aarch64-static"
	mkfifo "$q/qemu-riscv64-static"
	local why="register: qemu-riscv64: interpreter $q/qemu-riscv64-static is not a regular file"
	run timeout 10 "$REGISTER" --dry-run -p yes -Q "$q" aarch64 riscv64
	assert_failure 1
	assert_line "$why"
	# The files of -s are for whichever machine loads them: written.
	run timeout 10 "$REGISTER" -s riscv64 -p yes -Q "$q" -e "$BATS_TEST_TMPDIR/systemd"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/systemd/qemu-riscv64.conf" ]
	run timeout 10 nsenter --target "$INSTANCE_PID" --user --mount -- "$REGISTER" --reset -p yes -Q "$q" aarch64 riscv64
	assert_failure 1
	assert_line "$why"
	assert_line "Setting $q/qemu-aarch64-static as binfmt interpreter for aarch64"
	run timeout 10 nsenter --target "$INSTANCE_PID" --user --mount -- "$REGISTER" --install riscv64 -Q "$q"
	assert_failure 1
	assert_line "installing: riscv64 ${why#register: }"
	# Without F the kernel opens it only at exec: registered, not read.
	run timeout 10 nsenter --target "$INSTANCE_PID" --user --mount -- "$REGISTER" -Q "$q" riscv64
	assert_success
	# A FIFO where --version reads the bundled QEMU version.
	mkdir -p "$BATS_TEST_TMPDIR/share/qemu-user-static"
	mkfifo "$BATS_TEST_TMPDIR/share/qemu-user-static/version"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	run timeout 10 "$REGISTER" --version -Q "$BATS_TEST_TMPDIR/bin"
	assert_success
	assert_output "register $(cat "$REPO/VERSION")"
	assert_foreign_intact
}
