# Shared by the bench scripts: where things are, statistics, messages.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$REPO/build}
REGISTER=${REGISTER:-$BUILD/register}
QEMU_BIN=${QEMU_BIN:-$BUILD/rootfs/usr/bin}
FIXTURES=${FIXTURES:-$BUILD/fixtures}
TIMER=${TIMER:-$BUILD/bench/timer}
BINFMT=/proc/sys/fs/binfmt_misc
export BENCH_DIR REPO BUILD REGISTER QEMU_BIN FIXTURES TIMER BINFMT

# die, note (scripts/lib.sh): messages start with "bench: ".
prog=bench
# shellcheck source=scripts/lib.sh
. "$REPO/scripts/lib.sh"

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || [ -x "$t" ] ||
			die 1 "$t is missing (scripts/install-deps bench installs what the bench needs)"
	done
}

# stats COLUMN < FILE: "n min p25 median p75 max" of that column of the
# timer's lines (quantiles interpolated between ranks).
stats() {
	awk -v c="$1" '{ print $c }' | sort -g | awk '
		{ v[NR] = $1 }
		function q(p,   pos, lo) {
			pos = p * (NR - 1) + 1; lo = int(pos)
			return lo >= NR ? v[NR] : v[lo] + (pos - lo) * (v[lo + 1] - v[lo])
		}
		END {
			if (NR == 0) { print "0 - - - - -"; exit }
			printf "%d %.6g %.6g %.6g %.6g %.6g\n", NR, v[1], q(0.25), q(0.5), q(0.75), v[NR]
		}'
}

# median COLUMN < FILE
median() {
	stats "$1" | cut -d' ' -f4
}

# Every line of a timer's output file ended with status 0, and there are N.
check_runs() {
	local file=$1 n=$2 bad got
	got=$(wc -l <"$file")
	[ "$got" -eq "$n" ] || die 1 "$file: $got runs, expected $n"
	bad=$(awk '$3 != 0' "$file" | head -1)
	[ -z "$bad" ] || die 1 "$file: a run failed (ns rss status: $bad)"
}

# div A B [DIGITS]: A/B with DIGITS decimals (default 2).
div() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b == 0) print "-"; else printf "%.*f\n", d, a / b }'
}

# ns_to UNIT VALUE: nanoseconds as ms or us, 2 decimals.
ns_to() {
	case $1 in
	ms) awk -v v="$2" 'BEGIN { printf "%.2f\n", v / 1e6 }' ;;
	us) awk -v v="$2" 'BEGIN { printf "%.1f\n", v / 1e3 }' ;;
	esac
}

# row_of_stats UNIT "n min p25 med p75 max": a markdown row tail
# "| median | min | p25 | p75 | max | n |".
row_of_stats() {
	local unit=$1 n min p25 med p75 max
	read -r n min p25 med p75 max <<<"$2"
	printf '| %s | %s | %s | %s | %s | %s |\n' "$(ns_to "$unit" "$med")" "$(ns_to "$unit" "$min")" \
		"$(ns_to "$unit" "$p25")" "$(ns_to "$unit" "$p75")" "$(ns_to "$unit" "$max")" "$n"
}

# The QEMU targets `register -p yes` plans on this host, one per line.
planned_targets() {
	"$REGISTER" --dry-run -p yes -Q "$QEMU_BIN" 2>/dev/null | cut -d: -f2 | sed 's/^qemu-//'
}

# Host binfmt_misc in use by someone: a process (not PID 1, never touched)
# in this (the initial) user namespace whose mounts include binfmt_misc.
# Prints their PIDs. Private instances live in other user namespaces and
# do not count.
host_binfmt_users() {
	local self p pid
	self=$(readlink /proc/self/ns/user)
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] && continue
		[ "$(readlink "$p/ns/user" 2>/dev/null)" = "$self" ] || continue
		grep -qs ' binfmt_misc ' "$p/mounts" && echo "$pid"
	done
	return 0
}
