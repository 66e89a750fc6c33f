/*
 * A tiny TAP producer for the unit tests (tests/unit/, `make check`).
 *
 *     int main(void)
 *     {
 *             plan(2);
 *             is_int(1 + 1, 2, "addition");
 *             is_str(host_normalize("arm64"), "aarch64", "arm64 is aarch64");
 *             return done_testing();
 *     }
 *
 * Each check prints "ok N - NAME" or "not ok N - NAME" with what was got and
 * expected on "# " lines under it, so that .ci/run's tally (it counts the
 * "ok N " and "not ok N " lines of the whole log) counts unit tests as it
 * counts the bats suites'. done_testing() gives main's exit status: 0 only
 * when every planned check ran and passed.
 */
#ifndef QUS_TAP_H
#define QUS_TAP_H

#include <stdbool.h>
#include <stddef.h>

#define TAP_FMT(a, b) __attribute__((format(printf, a, b)))

void tap_plan(int count);
bool tap_ok(bool passed, const char *file, int line, const char *fmt, ...) TAP_FMT(4, 5);
bool tap_is_int(long long got, long long want, const char *file, int line,
		const char *fmt, ...) TAP_FMT(5, 6);
bool tap_is_str(const char *got, const char *want, const char *file, int line,
		const char *fmt, ...) TAP_FMT(5, 6);
bool tap_is_bytes(const void *got, size_t got_len, const void *want, size_t want_len,
		  const char *file, int line, const char *fmt, ...) TAP_FMT(7, 8);
void tap_diag(const char *fmt, ...) TAP_FMT(1, 2);
int tap_done(void);

/* The number of checks this program makes, printed first as "1..N". */
#define plan(count) tap_plan(count)
/* Each returns whether the check passed; NAME is a printf format. */
#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
/* Either string may be NULL; two NULLs are equal. */
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_bytes(got, got_len, want, want_len, ...) \
	tap_is_bytes((got), (got_len), (want), (want_len), __FILE__, __LINE__, __VA_ARGS__)
/* A "# " comment line on stdout, for context. */
#define diag(...) tap_diag(__VA_ARGS__)
#define done_testing() tap_done()

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
