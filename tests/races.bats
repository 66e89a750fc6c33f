#!/usr/bin/env bats
# Races and load, in a private instance: many register processes at once
# against one binfmt_misc must all tell the truth, and leave every entry
# either absent or exactly what a lone run writes, never half-registered.
# A thousand runs in a row leak no descriptor and no memory.

load helpers/common

# RACE_ROUNDS=N runs the --install/--uninstall race N times (default 4).

setup() {
	instance_start
	FAKE=$BATS_TEST_TMPDIR/fake-qemu
	make_fake_qemu "$FAKE"
	RUNS=$BATS_TEST_TMPDIR/runs
	mkdir -p "$RUNS"
}

teardown() {
	instance_stop
}

# Other tools' entries, which every run must leave alone.
add_foreign_entries() {
	raw_register ':python3.11:M::\xa7\x0d\x0d\x0a::/usr/bin/python3.11:'
	raw_register ':WSLInterop:M::MZ::/bin/true:PF'
	raw_register ':jar:E::jar::/usr/bin/jexec:'
}

FOREIGN_NAMES='WSLInterop jar python3.11'

# The kernel's text of the foreign entries.
foreign_snapshot() {
	local n
	for n in $FOREIGN_NAMES; do
		echo "== $n"
		entry "$n"
	done
}

# The qemu-* entries only: names and contents.
qemu_snapshot() {
	in_instance sh -c 'cd "$1" && for f in qemu-*; do [ -e "$f" ] || continue;
		echo "== $f"; cat "$f"; done' sh "$BINFMT"
}

# What a lone run of `register ARGS` leaves in a fresh instance of its own.
lone_run() {
	local saved=$INSTANCE_PID
	# instance_start waits for this file: the first instance's must go.
	rm -f "$BATS_TEST_TMPDIR/instance.ready"
	instance_start
	in_instance "$REGISTER" "$@" >/dev/null 2>&1
	qemu_snapshot
	instance_stop
	INSTANCE_PID=$saved
}

# Start N=$1 processes at the same moment; process I runs the command that
# `argv_of I` prints (one argument per line). Output of process I goes to
# $RUNS/out.I (stdout and stderr), its exit status to $RUNS/status.I.
# They all wait on one FIFO, held open here, and are released together.
start_together() {
	local n=$1 i pids=()
	local gate=$RUNS/gate
	rm -f "$gate"
	mkfifo "$gate"
	exec 5<>"$gate"
	for i in $(seq "$n"); do
		local args=()
		mapfile -t args < <(argv_of "$i")
		in_instance sh -c 'read -r _ < "$1"; shift; exec "$@"' sh "$gate" \
			"$REGISTER" "${args[@]}" >"$RUNS/out.$i" 2>&1 5>&- &
		pids+=($!)
	done
	sleep 0.5
	printf '\n%.0s' $(seq "$n") >&5
	for i in $(seq "$n"); do
		local s=0
		wait "${pids[$((i - 1))]}" || s=$?
		echo "$s" >"$RUNS/status.$i"
	done
	exec 5>&-
	rm -f "$gate"
}

# Each process's own account: its summary line's numbers must add up to
# what it was asked for. Prints "registered present removed failed".
summary_of() {
	sed -n 's/^\([0-9]*\) registered, \([0-9]*\) already present, \([0-9]*\) removed, [0-9]* skipped, \([0-9]*\) failed$/\1 \2 \3 \4/p' "$RUNS/out.$1"
}

@test "16 concurrent --reset -p yes: all exit 0, the 31 entries are byte-identical to a lone run's, other entries untouched" {
	local lone
	lone=$(lone_run --reset -p yes -Q "$FAKE")
	[ "$(grep -c '^== qemu-' <<<"$lone")" -eq 31 ]
	add_foreign_entries
	local foreign
	foreign=$(foreign_snapshot)
	argv_of() { printf '%s\n' --reset -p yes -Q "$FAKE"; }
	local round i
	# Round 1 from empty, round 2 over the 31 entries round 1 left.
	for round in 1 2; do
		start_together 16
		for i in $(seq 16); do
			[ "$(cat "$RUNS/status.$i")" -eq 0 ] ||
				fail "round $round, process $i exited $(cat "$RUNS/status.$i"): $(cat "$RUNS/out.$i")"
			read -r registered present removed failed < <(summary_of "$i")
			[ "$((registered + present))" -eq 31 ] && [ "$failed" -eq 0 ] ||
				fail "round $round, process $i: $(tail -1 "$RUNS/out.$i")"
			[ "$(grep -c '^Setting ' "$RUNS/out.$i")" -eq "$registered" ]
			[ "$(grep -c '^Removed qemu-' "$RUNS/out.$i")" -eq "$removed" ]
		done
		assert_equal "$(qemu_snapshot)" "$lone"
		assert_equal "$(foreign_snapshot)" "$foreign"
		run entries
		assert_equal "${#lines[@]}" 34
	done
}

# Process I installs 8 targets starting at the I-th: each target is asked
# for by up to 8 processes at once.
INSTALL_TARGETS=(aarch64 arm armeb riscv64 riscv32 s390x ppc64le ppc64 ppc mips mipsel
	mips64 mips64el mipsn32 mipsn32el sh4 sh4eb sparc sparc64 m68k alpha hppa
	microblaze microblazeel or1k xtensa xtensaeb hexagon loongarch64 aarch64_be
	sparc32plus)

# The name tonistiigi/binfmt's lines give target T: its Go architecture.
install_name() {
	case $1 in
	aarch64) echo arm64 ;; mipsel) echo mipsle ;; mips64el) echo mips64le ;;
	loongarch64) echo loong64 ;; *) echo "$1" ;;
	esac
}

install_list_of() {
	local i=$1 k list=()
	for k in $(seq 0 7); do
		list+=("${INSTALL_TARGETS[$(((i * 2 + k) % ${#INSTALL_TARGETS[@]}))]}")
	done
	local IFS=,
	echo "${list[*]}"
}

@test "16 overlapping --install runs: all exit 0, each entry byte-identical to a lone --install, nothing duplicated" {
	add_foreign_entries
	local foreign
	foreign=$(foreign_snapshot)
	argv_of() { printf '%s\n' --install "$(install_list_of "$1")" -Q "$FAKE"; }
	local all=() i
	for i in $(seq 16); do
		IFS=, read -ra more <<<"$(install_list_of "$i")"
		all+=("${more[@]}")
	done
	local union
	union=$(printf '%s\n' "${all[@]}" | sort -u | paste -sd, -)
	local lone
	lone=$(lone_run --install "$union" -Q "$FAKE")
	start_together 16
	for i in $(seq 16); do
		[ "$(cat "$RUNS/status.$i")" -eq 0 ] ||
			fail "process $i exited $(cat "$RUNS/status.$i"): $(cat "$RUNS/out.$i")"
		# Its own account, one tonistiigi/binfmt line per target:
		# registered now, or found already registered.
		registered=$(grep -c '^installing: [a-z0-9_]* OK$' "$RUNS/out.$i" || true)
		present=$(grep -c '^installing: [a-z0-9_]* qemu-[a-z0-9_]* already registered$' "$RUNS/out.$i" || true)
		[ "$((registered + present))" -eq 8 ] && [ "$(grep -c '^installing: ' "$RUNS/out.$i")" -eq 8 ] ||
			fail "process $i: $(cat "$RUNS/out.$i")"
	done
	# Each target registered by exactly one process; the others found it.
	local t n
	for t in $(tr , ' ' <<<"$union"); do
		n=$(cat "$RUNS"/out.* | grep -c "^installing: $(install_name "$t") OK$" || true)
		[ "$n" -eq 1 ] || fail "$t: $n processes say they registered it"
	done
	assert_equal "$(qemu_snapshot)" "$lone"
	assert_equal "$(foreign_snapshot)" "$foreign"
}

@test "--install racing --uninstall: every entry absent or whole, and each process's account matches the final state" {
	add_foreign_entries
	local foreign
	foreign=$(foreign_snapshot)
	local lone
	lone=$(lone_run --install aarch64,riscv64,s390x -Q "$FAKE")
	argv_of() {
		if [ $(($1 % 2)) -eq 0 ]; then
			printf '%s\n' --install aarch64,riscv64,s390x -Q "$FAKE"
		else
			printf '%s\n' --uninstall qemu-aarch64,qemu-riscv64,qemu-s390x
		fi
	}
	local round i t before final registered removed
	declare -A was=([aarch64]=0 [riscv64]=0 [s390x]=0)
	for round in $(seq "${RACE_ROUNDS:-4}"); do
		start_together 16
		for i in $(seq 16); do
			[ "$(cat "$RUNS/status.$i")" -eq 0 ] ||
				fail "round $round, process $i exited $(cat "$RUNS/status.$i"): $(cat "$RUNS/out.$i")"
		done
		for t in aarch64 riscv64 s390x; do
			before=${was[$t]}
			final=$(in_instance sh -c '[ -e "$1/qemu-$2" ] && echo 1 || echo 0' sh "$BINFMT" "$t")
			registered=$(cat "$RUNS"/out.* | grep -c "^installing: $(install_name "$t") OK$" || true)
			removed=$(cat "$RUNS"/out.* | grep -c "^uninstalling: qemu-$t OK$" || true)
			echo "# round $round qemu-$t: before $before, $registered registered, $removed removed, after $final" >&3
			# Every registration is absent -> present, every removal
			# present -> absent: the accounts must add up to the change.
			[ $((before + registered - removed)) -eq "$final" ] ||
				fail "qemu-$t: was $before, $registered say they registered it, $removed that they removed it, and it is $final"
			if [ "$final" -eq 1 ]; then
				assert_equal "$(entry "qemu-$t")" \
					"$(sed -n "/^== qemu-$t\$/,/^== /p" <<<"$lone" | grep -v '^== ')"
			fi
			was[$t]=$final
		done
		assert_equal "$(foreign_snapshot)" "$foreign"
	done
}

@test "1,000 consecutive --reset -p yes runs: no descriptor left open, peak memory stable" {
	local check=$BUILD/exitcheck/register
	[ -x "$check" ] || fail "$check is missing: run make exitcheck"
	# The checker itself catches a descriptor left open, and ignores the
	# ones a runner hands down (fd 7 here).
	printf '#include <fcntl.h>\nint main(void) { return open("/", O_RDONLY) < 0; }\n' \
		>"$BATS_TEST_TMPDIR/leak.c"
	musl-gcc -static -D_GNU_SOURCE -o "$BATS_TEST_TMPDIR/leak" "$BATS_TEST_TMPDIR/leak.c" \
		"$REPO/tests/helpers/exitcheck.c"
	run "$BATS_TEST_TMPDIR/leak" 7</dev/null
	assert_line --regexp '^register: exitcheck: fds=1 hwm_kb=[0-9]+ pid=[0-9]+$'
	assert_line --regexp '^register: exitcheck: open fd [0-9]+ -> /$'
	add_foreign_entries
	local log=$BATS_TEST_TMPDIR/exitcheck.log
	in_instance sh -c 'i=0; while [ $i -lt 1000 ]; do
		"$1" --reset -p yes -Q "$2" >/dev/null 2>>"$3" || { echo "run $i failed" >&2; exit 1; }
		i=$((i + 1)); done' sh "$check" "$FAKE" "$log"
	[ "$(grep -c '^register: exitcheck: fds=' "$log")" -eq 1000 ]
	run grep -c '^register: exitcheck: fds=0 ' "$log"
	assert_output 1000
	refute grep -q 'exitcheck: open fd' "$log"
	# Peak resident memory (VmHWM) of the first and the last run: equal
	# within 16 KB (one run differs from the next by a page, as ASLR
	# places things).
	local first last
	first=$(grep -m1 -o 'hwm_kb=[0-9]*' "$log" | cut -d= -f2)
	last=$(grep -o 'hwm_kb=[0-9]*' "$log" | tail -1 | cut -d= -f2)
	echo "# peak RSS: first run ${first} KB, last run ${last} KB" >&3
	[ "$first" -gt 0 ] && [ $((last - first)) -le 16 ] && [ $((first - last)) -le 16 ] ||
		fail "peak RSS moved from $first KB to $last KB"
	run entries
	assert_equal "${#lines[@]}" 34
	run foreign_snapshot
	assert_success
}
