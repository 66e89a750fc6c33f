#!/usr/bin/env bats
# Fuzzing, short runs: every parser of register's inputs runs under
# libFuzzer with ASan and UBSan for FUZZ_SECONDS (60) each, starting from
# the committed corpus (which holds every crash ever found, as regression
# inputs). Any crash, leak, UB report or timeout fails the test.
# `make fuzz` runs the same harnesses for 10 minutes each.

load helpers/common

FUZZ_SECONDS=${FUZZ_SECONDS:-60}

# Run HARNESS and check that it ran cleanly for the whole time.
fuzz_harness() {
	local harness=$1
	[ -x "$BUILD/fuzz/$harness" ] || fail "$BUILD/fuzz/$harness is missing: run make fuzz-build"
	run "$REPO/tests/fuzz/run" "$harness" "$FUZZ_SECONDS" "$BATS_TEST_TMPDIR/$harness"
	assert_success
	assert_line --regexp "^fuzz: $harness runs=[1-9][0-9]* seconds=[0-9]+ corpus=[0-9]+ artifacts=0 status=0$"
	refute_output --partial "ERROR: AddressSanitizer"
	refute_output --partial "ERROR: LeakSanitizer"
	refute_output --partial "runtime error:"
	# It fuzzed for the time asked, not only replayed the corpus.
	local seconds
	seconds=$(echo "$output" | sed -n "s/^fuzz: $harness runs=[0-9]* seconds=\([0-9]*\) .*/\1/p")
	[ "$seconds" -ge $((FUZZ_SECONDS - 2)) ] || fail "$harness ran $seconds s, not $FUZZ_SECONDS"
}

@test "fuzz: the command line (cli_parse, then host detection and plan_build) for 60 s" {
	fuzz_harness cli
}

@test "fuzz: target, arch and platform names (target_by_name, target_lookup, host_normalize) for 60 s" {
	fuzz_harness names
}

@test "fuzz: binfmt_misc entry files (binfmt_parse_entry and its round trip) for 60 s" {
	fuzz_harness entry
}

@test "fuzz: the export formats (-s, -d: plan_build, export_run, the files read back) for 60 s" {
	fuzz_harness export
}

@test "fuzz: every committed regression input still runs cleanly" {
	local harness f
	for harness in cli names entry export; do
		for f in "$REPO/tests/fuzz/corpus/$harness"/regression-*; do
			[ -e "$f" ] || continue
			run "$BUILD/fuzz/$harness" "$f"
			assert_success
		done
	done
}
