#!/usr/bin/env bats
# The bench (bench/run, `make bench`) still runs to completion: in smoke mode
# (tiny counts, no host binfmt_misc), written to a temporary BENCHMARKS.md
# that must hold every section, each with numbers. And bench-timer measures
# what it says it measures.

load helpers/common

TIMER=$BUILD/bench/timer
NUM='[0-9]+(\.[0-9]+)?'

setup_file() {
	export OUT=$BATS_FILE_TMPDIR/BENCHMARKS.md RAW=$BATS_FILE_TMPDIR/raw
	"$REPO/bench/run" --smoke --out "$OUT" --raw "$RAW" >"$BATS_FILE_TMPDIR/log" 2>&1
	echo $? >"$BATS_FILE_TMPDIR/status"
}

# The smoke run succeeded; prints its log otherwise.
bench_ran() {
	[ "$(cat "$BATS_FILE_TMPDIR/status")" = 0 ] || {
		cat "$BATS_FILE_TMPDIR/log"
		fail "bench/run --smoke failed"
	}
	[ -s "$OUT" ] || fail "bench/run wrote no $OUT"
}

# The markdown section that starts with "## N." (up to the next one).
section() {
	awk -v n="## $1." 'index($0, n) == 1 { on = 1; print; next } /^## / { on = 0 } on' "$OUT"
}

@test "bench-timer: wall time, exit status and each run's own peak RSS" {
	[ -x "$TIMER" ] || fail "$TIMER is missing: make $TIMER"
	run "$TIMER" -n 2 sleep 0.2
	assert_success
	[ "${#lines[@]}" -eq 2 ] || fail "expected 2 lines: $output"
	local ns rss st
	read -r ns rss st <<<"${lines[0]}"
	[ "$ns" -ge 200000000 ] && [ "$ns" -lt 2000000000 ] || fail "sleep 0.2 measured $ns ns"
	[ "$st" = 0 ]
	# A sequence is one run: the statuses and times of its commands add up.
	run "$TIMER" sleep 0.1 \; sh -c 'exit 3' \; sleep 0.1
	read -r ns rss st <<<"$output"
	[ "$ns" -ge 200000000 ] || fail "two sleeps of 0.1 s measured $ns ns"
	[ "$st" = 3 ] || fail "status $st, expected 3"
	run "$TIMER" sh -c 'kill -TERM $$'
	[ "$(cut -d' ' -f3 <<<"$output")" = 143 ] || fail "a SIGTERM gave: $output"
	# Peak RSS is per run (wait4), not the maximum over all children so far.
	run "$TIMER" dd if=/dev/zero of=/dev/null bs=40M count=1 \; true
	read -r ns rss st <<<"$output"
	[ "$rss" -ge 39000 ] || fail "dd with a 40 MB buffer gave a peak RSS of $rss KiB"
	# -m: VmHWM at exit, exact where ru_maxrss is coarse (0 for tiny programs).
	run "$TIMER" -m -n 2 "$REGISTER" --version
	local hwm
	read -r ns rss st hwm <<<"${lines[1]}"
	[ "$hwm" -gt 0 ] && [ "$hwm" -lt 4096 ] || fail "register --version: VmHWM $hwm KiB"
	run "$TIMER" -m dd if=/dev/zero of=/dev/null bs=40M count=1
	read -r ns rss st hwm <<<"$output"
	[ "$hwm" -ge 40960 ] || fail "dd with a 40 MiB buffer: VmHWM $hwm KiB"
	[ "$st" = 0 ]
	run "$TIMER" -m sh -c 'kill -TERM $$'
	[ "$(cut -d' ' -f3 <<<"$output")" = 143 ] || fail "a SIGTERM under -m gave: $output"
	# The commands' output is not the timer's.
	run "$TIMER" echo hello
	refute_output --partial hello
	run "$TIMER" -v echo hello
	assert_line hello
}

@test "bench smoke run: every section of BENCHMARKS.md, in order, with machine and versions" {
	bench_ran
	run grep -E '^## [0-9]\.' "$OUT"
	assert_line --index 0 --regexp '^## 1\. Registration'
	assert_line --index 1 --regexp '^## 2\. Resources'
	assert_line --index 2 --regexp '^## 3\. Image bytes'
	assert_line --index 3 --regexp '^## 4\. Cold start'
	assert_line --index 4 --regexp '^## 5\. Exec overhead'
	assert_line --index 5 --regexp '^## 6\. Pulls from a registry'
	run sh -c 'sed "/^## /q" "$1" | grep -E "^\| (machine|kernel|register|QEMU|peers|tools) \|"' sh "$OUT"
	[ "${#lines[@]}" -eq 6 ] || fail "machine table incomplete: $output"
	grep -q 'smoke mode' "$OUT"
	grep -q 'make bench' "$OUT"
	run grep -Ei '\b(nan|inf)\b|\| - \|' "$OUT"
	assert_failure
}

@test "bench registration: the three tools loaded the same entries; times, ratios and syscalls are numbers" {
	bench_ran
	run section 1
	local t
	for t in register systemd-binfmt update-binfmts; do
		assert_line --regexp "^\| $t \| $NUM \| $NUM \| $NUM \| $NUM \| $NUM \| 3 \|$"
		assert_line --regexp "^\| $t \| [0-9]+ \| $NUM \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \|$"
	done
	assert_output --regexp "register/systemd-binfmt = \*\*$NUM\*\*"
	assert_output --regexp "register/update-binfmts =[[:space:]]+\*\*$NUM\*\* \($NUM"
	# One target's calls, from the trace: its register string goes out in one write.
	assert_output --regexp 'write\([0-9]+, ":qemu-aarch64:M::'
	# Same entries: each tool's snapshot of the kernel equals register's.
	[ ! -s "$RAW/snapshots.diff" ] || fail "$(cat "$RAW/snapshots.diff")"
	cmp "$RAW/snapshot.register" "$RAW/snapshot.systemd-binfmt"
	cmp "$RAW/snapshot.register" "$RAW/snapshot.update-binfmts"
	[ "$(grep -c '^flags: F$' "$RAW/snapshot.register")" -eq "$(cat "$RAW/targets")" ]
}

@test "bench resources: peak RSS and binary size against the goals; the analysed build is build/register" {
	bench_ran
	run section 2
	assert_output --regexp "VmHWM at exit, [0-9]+ runs \| median [0-9]+ KiB, max [0-9]+ KiB \| at most 1 MiB \| (meets the goal|\*\*misses the goal\*\*)"
	assert_output --regexp "ru_maxrss from wait4 in the 3 timed runs \| median [0-9]+ KiB, max [0-9]+ KiB"
	# VmHWM is exact: register's is more than nothing, less than a peer's.
	local hwm sd
	hwm=$(awk '{ print $4 }' "$RAW/mem.register" | sort -n | tail -1)
	sd=$(awk '{ print $4 }' "$RAW/mem.systemd-binfmt" | sort -n | tail -1)
	[ "$hwm" -gt 0 ] && [ "$hwm" -lt "$sd" ] || fail "VmHWM register $hwm KiB, systemd-binfmt $sd KiB"
	assert_output --partial "| $(stat -c %s "$BUILD/register") bytes ("
	assert_output --regexp '\*\*program objects[^|]*\*\* \| \*\*[0-9]+\*\*'
	assert_output --regexp '\*\*libc\.a, libgcc\*\* \| \*\*[0-9]+\*\*'
	assert_output --partial 'byte for byte `build/register`)'
	# The link map's sizes account for .text (all but alignment padding).
	local mapped text
	mapped=$(awk '$2 == ".text" { s += $1 } END { print s }' "$RAW/mapsizes")
	text=$(size -A "$BUILD/bench/register.unstripped" | awk '$1 == ".text" { print $2 }')
	[ "$mapped" -le "$text" ] && [ "$((mapped * 100 / text))" -ge 95 ] ||
		fail "map accounts for $mapped of $text bytes of .text"
}

@test "bench images: bytes per compression, and podman pulled and ran the zstd images" {
	bench_ran
	run section 3
	assert_line --regexp "^\| \`register\` \| $NUM MB \| $NUM MB \| $NUM MB \| ($NUM MB|not supported) \| $NUM MB \| $NUM \|$"
	local version
	version=$("$REGISTER" --version | head -1)
	assert_line "| \`register\` | zstd | $version |"
	assert_line "| \`register\` | zstd-long | $version |"
	grep -q ' zstd-long ' "$RAW/images.tsv"
}

@test "bench cold start: podman run times next to --version; smoke mode left the host alone" {
	bench_ran
	run section 4
	assert_line --regexp "^\| \`IMAGE --version\` \| $NUM \| $NUM \| $NUM \| $NUM \| $NUM \| 1 \| $NUM ms \|$"
	assert_line --regexp "^\| \`--uidmap \.\.\. IMAGE --private-instance --reset -p yes\` \| $NUM( \| $NUM){4} \| 1 \| -?$NUM ms \|$"
	refute_output --partial '(host binfmt_misc)'
	[ ! -e "$RAW/cold.host" ]
	grep -Eq '^[0-9]+ registered, .* 0 failed$' "$RAW/cold.private.said"
}

@test "bench exec overhead: F and no-F execs really ran arm64 code; the ratio is a number" {
	bench_ran
	run section 5
	assert_line --regexp "^\| with F \| $NUM( \| $NUM){4} \| 20 \|$"
	assert_line --regexp "^\| without F \| $NUM( \| $NUM){4} \| 20 \|$"
	assert_output --regexp "without F / with F: $NUM\*\*; median difference"
	assert_output --regexp "without F minus with F\): -?$NUM µs"
	[ "$(cat "$RAW/exec.uname")" = aarch64 ]
	[ "$(cat "$RAW/exec.routing")" = routed ]
}

@test "bench pulls: a real registry sent each compression of register to podman; bytes and times are ratios to gzip; nothing left running" {
	bench_ran
	run section 6
	local c
	for c in gzip zstd zstd-long; do
		assert_line --regexp "^\| \`register\` \| $c \| $NUM MB \| $NUM \| $NUM \| $NUM \| 1 \|$"
	done
	assert_line --regexp '^\| `register` \| gzip \| [0-9.]+ MB \| 1\.000 \| [0-9.]+ \| 1\.000 \| 1 \|$'
	assert_output --partial "docker-registry github.com/docker/distribution 2.8"
	# The bytes are the registry's own count: at least the image's layer.
	local layer sent
	layer=$(awk '$1 == "register" && $2 == "gzip" { print $3 }' "$RAW/images.tsv")
	sent=$(awk '$1 == "register" && $2 == "gzip" { print $5 }' "$RAW/pulls.tsv")
	[ "$sent" -ge "$layer" ] || fail "the registry sent $sent bytes for a layer of $layer"
	# The registry is gone with its storage, and so is the layout it was fed from.
	[ ! -e "$RAW/pulls/registry" ] || fail "the bench's registry folder is still there"
	[ ! -e "$RAW/images/oci" ] || fail "the OCI layout is still there"
}
