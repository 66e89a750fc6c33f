#!/usr/bin/env bats
# Host configuration files (-s CPU|ALL, -d, -e DIR), in the formats of QEMU's
# qemu-binfmt-conf.sh: their names and exact contents, and the proof that
# they mean what `register` does: the REAL systemd-binfmt and the REAL
# update-binfmts --import, each run inside a private binfmt_misc instance,
# leave the kernel holding, byte for byte, the entries `register` writes.

# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helpers/common

SYSTEMD_BINFMT=/lib/systemd/systemd-binfmt

# The 31 targets that are not of x86_64's family (i386, i486, x86_64).
FOREIGN="aarch64 aarch64_be alpha arm armeb hexagon hppa loongarch64 m68k
microblaze microblazeel mips mips64 mips64el mipsel mipsn32 mipsn32el or1k ppc
ppc64 ppc64le riscv32 riscv64 s390x sh4 sh4eb sparc sparc32plus sparc64 xtensa
xtensaeb"

# QEMU's own aarch64 magic and mask, every byte as \xHH.
AARCH64_MAGIC='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
AARCH64_MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

setup() {
	OUT=$BATS_TEST_TMPDIR/out
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	# The files describe an x86_64 host whatever runs the tests.
	export HOST_ARCH=x86_64
}

teardown() {
	instance_stop
}

# The expected file names in a folder, one per line, sorted.
names_with_suffix() {
	local t
	for t in $FOREIGN; do echo "qemu-$t$1"; done | sort
}

# Everything in folder $1, hidden files too: no temporary file may remain.
listing() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# How many names folder $1 holds, hidden ones too.
count_files() {
	listing "$1" | wc -l
}

require_loaders() {
	[ -x "$SYSTEMD_BINFMT" ] ||
		fail "$SYSTEMD_BINFMT is missing: install Debian's systemd package (scripts/install-deps)"
	command -v update-binfmts >/dev/null ||
		fail "update-binfmts is missing: install Debian's binfmt-support package (scripts/install-deps)"
}

# Register FLAGS directly, then load the -s ALL files with systemd-binfmt and
# the -d templates with update-binfmts --import, each in a fresh private
# instance: the kernel's text of every entry must be the same each time.
# The host's real architecture decides the targets, as for users. DIRECT
# keeps the snapshot of the direct registration.
assert_loaders_agree() {
	local via_systemd via_debian
	require_loaders
	unset HOST_ARCH

	instance_start
	run reg -Q "$FAKE" "$@"
	assert_success
	DIRECT=$(snapshot)
	[ "$(entries | wc -l)" -ge 1 ] || fail "register registered nothing"
	instance_stop

	run "$REGISTER" -s ALL -e "$OUT/binfmt.d" -Q "$FAKE" "$@"
	assert_success
	instance_start
	run in_instance "$SYSTEMD_BINFMT" "$OUT"/binfmt.d/*.conf
	assert_success
	via_systemd=$(snapshot)
	instance_stop

	run "$REGISTER" -d -e "$OUT/binfmts" -Q "$FAKE" "$@"
	assert_success
	mkdir "$OUT/admin"
	instance_start
	run in_instance update-binfmts --admindir "$OUT/admin" --importdir "$OUT/binfmts" --import
	assert_success
	via_debian=$(snapshot)
	instance_stop

	assert_equal "$via_systemd" "$DIRECT"
	assert_equal "$via_debian" "$DIRECT"
	# As many entries as files written, and each file loaded one entry.
	assert_equal "$(grep -c '^== qemu-' <<<"$DIRECT")" "$(count_files "$OUT/binfmt.d")"
	assert_equal "$(grep -c '^== qemu-' <<<"$DIRECT")" "$(count_files "$OUT/binfmts")"
}

@test "-s aarch64 writes exactly qemu-aarch64.conf: the register string on one line, mode 0644; stdout holds only QEMU's line" {
	run --separate-stderr "$REGISTER" -s aarch64 -e "$OUT"
	assert_success
	assert_output "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64 for systemd-binfmt.service in $OUT/qemu-aarch64.conf"
	assert_equal "$stderr" "1 written, 0 skipped, 0 failed
register: note: systemd-binfmt.service loads /etc/binfmt.d/*.conf at boot; to load these now: /lib/systemd/systemd-binfmt $OUT/qemu-*.conf"
	assert_equal "$(listing "$OUT")" qemu-aarch64.conf
	assert_equal "$(cat "$OUT/qemu-aarch64.conf")" \
		":qemu-aarch64:M::$AARCH64_MAGIC:$AARCH64_MASK:/usr/bin/qemu-aarch64-static:"
	# One line, ended by a newline, nothing else.
	assert_equal "$(wc -lc <"$OUT/qemu-aarch64.conf" | tr -s ' ')" " 1 209"
	assert_equal "$(stat -c %a "$OUT/qemu-aarch64.conf")" 644
}

@test "-s ALL writes the 31 files of an x86_64 host, each the register string of its target" {
	run "$REGISTER" -s ALL -e "$OUT" -p yes -Q "$FAKE"
	assert_success
	assert_line "31 written, 3 skipped, 0 failed"
	assert_line "Setting $FAKE/qemu-riscv64-static as binfmt interpreter for riscv64 for systemd-binfmt.service in $OUT/qemu-riscv64.conf"
	assert_equal "$(listing "$OUT")" "$(names_with_suffix .conf)"
	# Each file is one line, and together they are the --dry-run lines.
	local t
	for t in $FOREIGN; do
		assert_equal "$(wc -l <"$OUT/qemu-$t.conf")" 1
		assert_equal "$(cut -d: -f2 "$OUT/qemu-$t.conf")" "qemu-$t"
	done
	assert_equal "$(cat "$OUT"/*.conf | sort)" \
		"$("$REGISTER" --dry-run -p yes -Q "$FAKE" 2>/dev/null | sort)"

	# Path and suffix as given, with the emulators not (yet) on this machine.
	run --separate-stderr "$REGISTER" -s ALL -e "$OUT/opt" -p yes -Q /opt/qemu -F ''
	assert_success
	assert_equal "$(grep -cx "31 written, 3 skipped, 0 failed" <<<"$stderr")" 1
	assert_equal "$(cat "$OUT/opt/qemu-aarch64.conf")" \
		":qemu-aarch64:M::$AARCH64_MAGIC:$AARCH64_MASK:/opt/qemu/qemu-aarch64:F"
	assert_equal "$(grep -c 'note: 31 emulator(s) not on this machine' <<<"$stderr")" 1

	# ALL with TARGETs writes those.
	run "$REGISTER" -s ALL -e "$OUT/named" s390x riscv64
	assert_success
	assert_equal "$(listing "$OUT/named")" "qemu-riscv64.conf
qemu-s390x.conf"

	# i486 runs on qemu-i386; an aarch64 host registers both.
	run env HOST_ARCH=aarch64 "$REGISTER" -s i486 -e "$OUT/arm"
	assert_success
	assert_equal "$(cut -d: -f7 "$OUT/arm/qemu-i486.conf")" /usr/bin/qemu-i386-static
}

@test "-d writes the 31 update-binfmts templates, in QEMU's keys and order" {
	run "$REGISTER" -d -e "$OUT"
	assert_success
	assert_line "31 written, 3 skipped, 0 failed"
	assert_line "Setting /usr/bin/qemu-aarch64-static as binfmt interpreter for aarch64 for update-binfmts in $OUT/qemu-aarch64"
	assert_equal "$(listing "$OUT")" "$(names_with_suffix '')"
	assert_equal "$(cat "$OUT/qemu-aarch64")" "package qemu-aarch64
interpreter /usr/bin/qemu-aarch64-static
magic $AARCH64_MAGIC
mask $AARCH64_MASK
credentials no
preserve no
fix_binary no"
	assert_equal "$(stat -c %a "$OUT/qemu-aarch64")" 644

	rm -r "$OUT"
	run "$REGISTER" -d -e "$OUT" -c yes -g yes -p yes aarch64 riscv64
	assert_success
	assert_equal "$(listing "$OUT")" "qemu-aarch64
qemu-riscv64"
	assert_equal "$(tail -n3 "$OUT/qemu-riscv64")" "credentials yes
preserve yes
fix_binary yes"
	# Magic and mask are those of the register string.
	local line
	line=$("$REGISTER" --dry-run riscv64 2>/dev/null)
	assert_equal "$(sed -n 's/^magic //p' "$OUT/qemu-riscv64")" "$(cut -d: -f5 <<<"$line")"
	assert_equal "$(sed -n 's/^mask //p' "$OUT/qemu-riscv64")" "$(cut -d: -f6 <<<"$line")"
}

@test "systemd-binfmt and update-binfmts load exactly the entries register writes (no flags)" {
	assert_loaders_agree
}

@test "systemd-binfmt and update-binfmts load exactly the entries register writes (-p yes)" {
	assert_loaders_agree -p yes
	assert_equal "$(grep -c '^flags: F$' <<<"$DIRECT")" "$(count_files "$OUT/binfmts")"
}

@test "systemd-binfmt and update-binfmts load exactly the entries register writes (-c yes -g yes -p yes)" {
	assert_loaders_agree -c yes -g yes -p yes
	# The kernel's canonical flags, so the comparison covered every letter.
	instance_start
	run in_instance "$SYSTEMD_BINFMT" "$OUT/binfmt.d/qemu-s390x.conf"
	assert_success
	assert_equal "$(entry_field qemu-s390x flags:)" POCF
	assert_equal "$(entries)" qemu-s390x
}

@test "usage errors exit 2 and write nothing: unknown CPU, -e alone, -s with -d, -s CPU with targets" {
	run "$REGISTER" -s sparc99 -e "$OUT"
	assert_failure 2
	assert_line --partial "register: --systemd: unknown CPU 'sparc99'; give ALL or one of: i386 i486 x86_64 alpha arm"
	assert_line --partial " aarch64 aarch64_be "
	assert_line "Try 'register --help' for the options."
	[ ! -e "$OUT" ]

	run "$REGISTER" -e "$OUT"
	assert_failure 2
	assert_line "register: --exportdir goes with --systemd or --debian"
	[ ! -e "$OUT" ]

	run "$REGISTER" -s ALL -d -e "$OUT"
	assert_failure 2
	assert_line "register: --systemd and --debian write different files: give one of them per run"
	[ ! -e "$OUT" ]

	run "$REGISTER" -s aarch64 riscv64 -e "$OUT"
	assert_failure 2
	assert_line --partial "register: --systemd aarch64 names its target already"
	[ ! -e "$OUT" ]

	run "$REGISTER" -d -e "$OUT" nosuchcpu
	assert_failure 2
	assert_line --partial "unknown target 'nosuchcpu'"
	[ ! -e "$OUT" ]
}

@test "files replace what is there atomically: a planted symlink is replaced, never followed" {
	mkdir -p "$OUT"
	echo keep >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$OUT/qemu-aarch64.conf"
	echo stale >"$OUT/qemu-riscv64.conf"
	run bash -c 'umask 077 && "$1" -s ALL -e "$2"' sh "$REGISTER" "$OUT"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" keep
	[ -f "$OUT/qemu-aarch64.conf" ] && [ ! -L "$OUT/qemu-aarch64.conf" ]
	assert_equal "$(cut -d: -f2 "$OUT/qemu-aarch64.conf")" qemu-aarch64
	assert_equal "$(cut -d: -f2 "$OUT/qemu-riscv64.conf")" qemu-riscv64
	# Mode 0644 whatever the umask, and no temporary file left behind.
	assert_equal "$(stat -c %a "$OUT"/*.conf | sort -u)" 644
	assert_equal "$(listing "$OUT")" "$(names_with_suffix .conf)"
}

@test "a file that cannot be written fails alone: exit 1, named, the others written" {
	mkdir -p "$OUT/qemu-s390x.conf/occupied"
	run "$REGISTER" -s ALL -e "$OUT"
	assert_failure 1
	assert_line --regexp "^register: qemu-s390x: cannot write $OUT/qemu-s390x.conf: "
	assert_line "30 written, 3 skipped, 1 failed"
	# The 30 written, the folder in the way, and no temporary file.
	assert_equal "$(listing "$OUT")" "$(names_with_suffix .conf)"
	[ -d "$OUT/qemu-s390x.conf/occupied" ]
}

@test "the export folder is created when missing (mkdir -p); a folder that cannot be is exit 1" {
	run "$REGISTER" -d -e "$OUT/a/b/c" s390x
	assert_success
	[ -f "$OUT/a/b/c/qemu-s390x" ]

	touch "$BATS_TEST_TMPDIR/plain-file"
	run "$REGISTER" -s ALL -e "$BATS_TEST_TMPDIR/plain-file/sub"
	assert_failure 1
	assert_line "register: cannot create the folder $BATS_TEST_TMPDIR/plain-file/sub: Not a directory"
	refute_output --partial "written"

	run "$REGISTER" -s ALL -e "$BATS_TEST_TMPDIR/plain-file"
	assert_failure 1
	assert_line "register: $BATS_TEST_TMPDIR/plain-file is not a folder"
}

@test "default folders: /etc/binfmt.d for -s, /usr/share/binfmts for -d (in a private mount namespace)" {
	# Empty tmpfs over /etc and /usr/share in the instance's own mount
	# namespace: the machine's folders are never written.
	instance_start
	in_instance mount -t tmpfs tmpfs /etc
	in_instance mount -t tmpfs tmpfs /usr/share
	run in_instance "$REGISTER" -s aarch64
	assert_success
	assert_line --partial "in /etc/binfmt.d/qemu-aarch64.conf"
	run in_instance "$REGISTER" -d -p yes mips64el
	assert_success
	assert_line --partial "in /usr/share/binfmts/qemu-mips64el"
	assert_equal "$(in_instance ls -A /etc/binfmt.d /usr/share/binfmts)" "/etc/binfmt.d:
qemu-aarch64.conf

/usr/share/binfmts:
qemu-mips64el"
	assert_equal "$(in_instance sed -n 's/^fix_binary //p' /usr/share/binfmts/qemu-mips64el)" yes
	# Writing files registered nothing.
	assert_equal "$(entries)" ""
}

@test "export needs no binfmt_misc and changes none: run where none is mounted" {
	instance_start
	in_instance umount "$BINFMT"
	in_instance mount -t tmpfs tmpfs "$BINFMT"
	run in_instance "$REGISTER" -s ALL -p yes -e "$OUT"
	assert_success
	assert_line "31 written, 3 skipped, 0 failed"
	refute_output --partial "mounted binfmt_misc"
	assert_equal "$(in_instance ls -A "$BINFMT")" ""
}

@test "-s x86_64 on x86_64 writes nothing and says why; HOST_ARCH writes another machine's files" {
	run "$REGISTER" -s x86_64 -e "$OUT"
	assert_success
	assert_line "register: note: skipping x86_64: x86_64 is this machine's own architecture"
	assert_line "0 written, 1 skipped, 0 failed"
	[ ! -e "$OUT" ]

	# For an aarch64 machine: qemu-x86_64 is what it needs. The refusal of
	# entries that match this machine's programs is for registering only.
	run env HOST_ARCH=aarch64 "$REGISTER" -s ALL -e "$OUT"
	assert_success
	assert_line "32 written, 2 skipped, 0 failed"
	[ -f "$OUT/qemu-x86_64.conf" ] && [ -f "$OUT/qemu-i386.conf" ]
	# Its own family is left out, as QEMU's script does (armeb is another).
	[ ! -e "$OUT/qemu-aarch64.conf" ] && [ ! -e "$OUT/qemu-arm.conf" ]
	[ -f "$OUT/qemu-aarch64_be.conf" ] && [ -f "$OUT/qemu-armeb.conf" ]
}
