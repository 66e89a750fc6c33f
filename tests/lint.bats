#!/usr/bin/env bats
# Static analysis, held to zero findings: compilers, cppcheck, clang-tidy
# (check set in .clang-tidy), shellcheck.

load helpers/common

C_SOURCES=("$REPO"/entrypoint/*.c)

@test "the entrypoint builds with gcc and clang at -Wall -Wextra -Werror" {
	local cc
	for cc in gcc clang; do
		run "$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
			-O2 -o "$BATS_TEST_TMPDIR/register-$cc" "${C_SOURCES[@]}"
		assert_success
		assert_output ""
	done
}

@test "cppcheck finds nothing in the entrypoint and the test helpers" {
	run cppcheck --enable=warning,style,performance,portability --error-exitcode=1 \
		--inline-suppr -q --std=c11 -D_GNU_SOURCE "$REPO/entrypoint" "$REPO"/tests/helpers/*.c
	assert_success
	assert_output ""
}

@test "clang-tidy finds nothing with the project's check set" {
	cd "$REPO"
	run clang-tidy --quiet "${C_SOURCES[@]}" tests/helpers/*.c -- -std=c11 -D_GNU_SOURCE
	assert_success
	refute_output --partial "warning:"
	refute_output --partial "error:"
}

@test "shellcheck is clean on every shell script and test suite" {
	cd "$REPO"
	local files=() f
	while IFS= read -r f; do
		head -n1 "$f" | grep -qE '^#!.*(bash|/sh|bats)' && files+=("$f")
	done < <(git ls-files --cached --others --exclude-standard)
	files+=(tests/helpers/*.bash)
	[ ${#files[@]} -gt 10 ]
	run shellcheck -x "${files[@]}"
	assert_success
	assert_output ""
}
