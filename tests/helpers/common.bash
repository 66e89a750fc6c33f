# Shared by every suite: where things are, and a private binfmt_misc instance
# (helpers/instance.bash: a user + mount namespace of its own, with binfmt_misc
# mounted inside; the machine's own binfmt_misc is never touched).
# shellcheck shell=bash

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
BUILD=$REPO/build
# The build under test: SANITIZE=1 runs every suite against another one.
REGISTER=${REGISTER_UNDER_TEST:-$BUILD/register}
QEMU_BIN=$BUILD/rootfs/usr/bin
FIXTURES=$BUILD/fixtures
HELPERS=$BUILD/test
BINFMT=/proc/sys/fs/binfmt_misc
export REPO BUILD REGISTER QEMU_BIN FIXTURES HELPERS BINFMT

# instance_start, in_instance, instance_stop (shared with bench/run).
# shellcheck source=tests/helpers/instance.bash
. "$(dirname "${BASH_SOURCE[0]}")/instance.bash"

# `register` inside the private instance.
reg() {
	in_instance "$REGISTER" "$@"
}

# The names of the entries the instance holds, one per line, sorted.
entries() {
	in_instance sh -c 'cd "$1" && ls -1 | grep -vx -e register -e status | sort' sh "$BINFMT"
}

# The kernel's text for one entry.
entry() {
	in_instance cat "$BINFMT/$1"
}

# A snapshot of everything the instance holds: names and contents.
snapshot() {
	in_instance sh -c 'cd "$1" && for f in $(ls -1 | sort); do
		[ "$f" = register ] && continue; echo "== $f"; cat "$f"; done' sh "$BINFMT"
}

# Write a register string straight to the kernel, bypassing `register`.
raw_register() {
	in_instance sh -c 'printf "%s" "$1" > "$2/register"' sh "$1" "$BINFMT"
}

# The value of FIELD ("interpreter", "flags:", "magic", ...) in entry NAME.
entry_field() {
	entry "$1" | sed -n "s/^$2 \{0,1\}//p"
}

# The 34 QEMU target names, from the tests' own ELF facts.
all_targets() {
	grep -v '^#' "$REPO/tests/data/elf-machines.tsv" | cut -f1
}

# A folder of stand-in emulators, one symlink to the reporter per target, so
# that registration with F works without QEMU and an exec reports its entry.
make_fake_qemu() {
	local dir=$1 t
	mkdir -p "$dir"
	for t in $(all_targets); do
		ln -sf "$HELPERS/reporter" "$dir/qemu-$t-static"
	done
}

# A private instance, and in $FAKE stand-in emulators for every target.
fake_qemu_instance() {
	instance_start "$BATS_TEST_TMPDIR"
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
}

# Wait up to 5 s for a line matching PATTERN in FILE (a background run's log).
wait_for_line() {
	local file=$1 pattern=$2 _
	for _ in $(seq 50); do
		grep -q "$pattern" "$file" && return 0
		sleep 0.1
	done
	return 1
}

# A folder of stand-in emulators that hang: each one starts a child that
# would outlive it, and both append their PIDs to DIR/pids. Probes get an
# empty environment, so the folder is written into the script itself.
make_hung_qemu() {
	local dir=$1 t
	mkdir -p "$dir"
	printf '#!/bin/sh\necho $$ >>%s/pids\nsleep 60 &\necho $! >>%s/pids\nwait\n' \
		"$dir" "$dir" >"$dir/hang"
	chmod 755 "$dir/hang"
	for t in $(all_targets); do
		ln -sf hang "$dir/qemu-$t-static"
	done
}

# The PIDs of DIR/pids (make_hung_qemu) that still run: not zombies, and
# still the stand-in's shell or its `sleep 60` (a PID may have been reused).
hung_left() {
	local pid cmd state
	[ -e "$1/pids" ] || return 0
	while read -r pid; do
		state=$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) || continue
		if [ -z "$state" ] || [ "$state" = Z ]; then
			continue
		fi
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		[[ $cmd == "sleep 60 " || $cmd == *"$1/"* ]] && echo "$pid"
	done <"$1/pids"
	return 0
}

# End what make_hung_qemu's stand-ins left running (only their own PIDs).
hung_stop() {
	local pid
	for pid in $(hung_left "$1"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# The magic or mask (FIELD 4 or 5 of the register string) of TARGET's
# dry-run line (any target but x86_64), as the kernel prints it back: lowercase
# hex, no escapes.
dry_run_hex() {
	local target=$1 field=$2
	HOST_ARCH=x86_64 "$REGISTER" --dry-run -i yes "$target" 2>/dev/null |
		cut -d: -f"$field" | sed 's/\\x//g'
}

# Run COMMAND (as root) in a mount namespace of its own where nothing is
# mounted at $BINFMT: the machine's own mount, if it has one, is unmounted
# there only; the machine keeps it, and its entries. For the tests that need
# "binfmt_misc not mounted", whatever state this machine is in.
without_binfmt_mount() {
	unshare --mount --propagation private sh -c '
		while [ "$(stat -f -c %T "$1")" = binfmt_misc ]; do umount "$1" || exit 125; done
		shift
		exec "$@"' sh "$BINFMT" "$@"
}

# Has this machine binfmt_misc mounted at $BINFMT (in this mount namespace)?
binfmt_mounted_here() {
	grep -q " $BINFMT binfmt_misc " /proc/self/mounts
}

# For setup_file of suites that run Debian's foreign programs.
require_fixtures() {
	[ -x "$FIXTURES/busybox-arm64/bin/busybox" ] || {
		echo "fixtures missing: run 'make fixtures'" >&2
		return 1
	}
}

# The x86-64 psABI levels this CPU has, as platforms (linux/amd64, then
# linux/amd64/v2 ... while every feature of the level is there), read from
# /proc/cpuinfo's words, independently of register's CPUID probe (sse3 is
# pni, lzcnt is abm; osxsave is not listed: xsave with AVX working stands
# for it). Machines differ: an EPYC without AVX-512 stops at v3.
cpuinfo_amd64_platforms() {
	local flags want f level=1
	flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
	echo linux/amd64
	for want in "cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3" \
		"avx avx2 bmi1 bmi2 f16c fma abm movbe xsave" \
		"avx512f avx512bw avx512cd avx512dq avx512vl"; do
		for f in $want; do [[ $flags == *" $f "* ]] || return 0; done
		level=$((level + 1))
		echo "linux/amd64/v$level"
	done
}
